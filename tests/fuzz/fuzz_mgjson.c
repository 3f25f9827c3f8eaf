/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: MemoryGraph support on arbitrary bytes.
 * 1. The mgjson reader: every record comes back or is refused with a message,
 *    and reading ends.
 * 2. The stored-properties round trip the memorygraph backend relies on:
 *    whatever JSON object parses, gmig's json.dumps rendering of it parses
 *    back to the same properties, and rendering that gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/backends/mgmap.h"
#include "buf.h"
#include "gmig/sys/backend.h"

int gm__mgjson_open_mem(struct gm_backend **out, const void *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reader(const uint8_t *data, size_t size, struct gm_arena *a)
{
	struct gm_backend *b;
	size_t limit = 2 * size + 16;

	if (gm__mgjson_open_mem(&b, data, size) < 0)
		return;
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
}

static void props_round_trip(const uint8_t *data, size_t size, struct gm_arena *a)
{
	struct gm_prop *p, *q;
	size_t n, m;
	struct gm_buf b1 = GM_BUF_INIT, b2 = GM_BUF_INIT;

	gm_arena_reset(a);
	if (gm__mg_parse_object((const char *)data, size, a, 1, &p, &n) < 0)
		return;
	if (gm__mg_memory_json(&b1, p, n) < 0)
		goto done; /* invalid UTF-8 in a string */
	if (gm__mg_parse_object(b1.p, b1.len, a, 1, &q, &m) < 0)
		abort();
	if (gm__mg_memory_json(&b2, q, m) < 0 || b1.len != b2.len || memcmp(b1.p, b2.p, b1.len))
		abort();
done:
	gm_buf_free(&b1);
	gm_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_arena *a;

	if (gm_arena_new(&a) < 0)
		return 0;
	reader(data, size, a);
	props_round_trip(data, size, a);
	gm_arena_free(a);
	return 0;
}
