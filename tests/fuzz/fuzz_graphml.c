/* SPDX-License-Identifier: MIT */
/* Fuzz target: the GraphML reader over arbitrary bytes, every record read until the end. */
#include <stddef.h>
#include <stdint.h>

#include "../../src/backends/graphml.h"
#include "gmig/gmig.h"
#include "gmig/sys/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_backend *b = NULL;
	struct gm_arena *a = NULL;
	struct gm_record r;
	int e;

	if (gm_arena_new(&a) < 0)
		return 0;
	if (gm__graphml_open_mem(&b, data, size, "fuzz.graphml") == 0) {
		while ((e = b->ops->read_next(b, &r, a)) == 0 || e == GM_EDATA)
			gm_arena_reset(a);
		gm_backend_close(b);
	}
	gm_arena_free(a);
	return 0;
}
