/* SPDX-License-Identifier: MIT */
/* Small pieces shared by copy, validate and verify. */
#include "util.h"

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
