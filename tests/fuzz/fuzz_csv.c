/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the csv reader: the input is one neo4j-admin CSV file
 * (header on the first line; a node or relationship file by its header) read
 * from memory through gm__csv_open_mem. Every record must be well formed and
 * every call must make progress.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gmig/sys/backend.h"

int gm__csv_open_mem(struct gm_backend **out, const void *data, size_t len, const char *name);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_backend *b = NULL;
	struct gm_arena *a = NULL;
	size_t calls = 0;

	if (gm__csv_open_mem(&b, data, size, "fuzz.csv") < 0)
		return 0;
	if (gm_arena_new(&a) < 0) {
		b->ops->close(b);
		return 0;
	}
	for (;;) {
		struct gm_record r;
		int error = b->ops->read_next(b, &r, a);

		if (++calls > size + 2)
			abort(); /* a call that consumed nothing */
		if (error == GM_EDATA)
			continue;
		if (error < 0)
			break;
		if (!r.key.p && r.kind == GM_NODE)
			abort();
		if (r.kind == GM_REL && (!r.from.p || !r.to.p || !r.type.len))
			abort();
		for (size_t i = 0; i < r.nprops; i++)
			if (!r.props[i].key.len || r.props[i].val.type == GM_T_NULL)
				abort();
		gm_arena_reset(a);
	}
	gm_arena_free(a);
	b->ops->close(b);
	return 0;
}
