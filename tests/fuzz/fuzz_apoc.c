/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the APOC JSON reader on arbitrary bytes, in all four shapes.
 * Every record must come back or be refused with a message, and reading must
 * end (a stream that yields errors forever is a bug: abort).
 */
#include <stdint.h>
#include <stdlib.h>

#include "gmig/sys/backend.h"

int gm__apoc_open_mem(struct gm_backend **out, const void *data, size_t len, const char *params);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_backend *b;
	struct gm_arena *a;
	size_t limit = 2 * size + 16;

	if (gm_arena_new(&a) < 0)
		return 0;
	/* odd sizes also try the temporals=iso conversions */
	if (gm__apoc_open_mem(&b, data, size, (size & 1) ? "temporals=iso" : NULL) < 0) {
		gm_arena_free(a);
		return 0;
	}
	for (size_t i = 0;; i++) {
		struct gm_record rec;
		int e;

		if (i > limit)
			abort();
		gm_arena_reset(a);
		e = b->ops->read_next(b, &rec, a);
		if (e == 0) {
			if (rec.kind != GM_NODE && rec.kind != GM_REL)
				abort();
			if (gm_record_canonicalize(&rec) < 0 && gm_error_last()[0] == '\0')
				abort();
			continue;
		}
		if (e == GM_EDATA) {
			if (gm_error_last()[0] == '\0')
				abort();
			continue;
		}
		break;
	}
	gm_backend_close(b);
	gm_arena_free(a);
	return 0;
}
