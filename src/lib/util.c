/* SPDX-License-Identifier: MIT */
/* Small pieces shared by copy, validate and verify. */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gmig/gmig.h"

int gm__record_rowname(struct gm_buf *b, const struct gm_record *r)
{
	gm_buf_clear(b);
	if (r->kind == GM_REL) {
		gm_buf_puts(b, "[:");
		gm_buf_put(b, r->type.p, r->type.len);
		gm_buf_putc(b, ']');
	} else if (!r->nlabels) {
		gm_buf_puts(b, "(no labels)");
	} else {
		for (size_t i = 0; i < r->nlabels; i++) {
			gm_buf_putc(b, ':');
			gm_buf_put(b, r->labels[i].p, r->labels[i].len);
		}
	}
	return b->oom ? GM_ENOMEM : 0;
}

double gm__seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int gm__temp_fd(const char *what)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/gmig-%s.XXXXXX", dir, what);
	if ((fd = mkstemp(path)) < 0)
		return gm_error_set(GM_EIO, "cannot make a temporary file in '%s' for the %s: %s",
				    dir, what, strerror(errno));
	unlink(path);
	return fd;
}
