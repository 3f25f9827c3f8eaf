/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the JSON layer: the pull parser (single document and JSON
 * Lines with resync), and gm_tjson_read in both dialects. A value that reads
 * must write and read back to an equal value. Must never crash or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gmig/gmig.h"
#include "io.h"
#include "json.h"
#include "typedjson.h"

static void tokens(const uint8_t *data, size_t size, unsigned int flags)
{
	struct gm_in *in;
	struct gm_json_reader *r;
	struct gm_json_token t;
	uint64_t line, off, last = 0;

	if (gm_in_open_mem(&in, data, size, "fuzz") < 0)
		return;
	if (gm_json_reader_new(&r, in, flags) < 0) {
		gm_in_free(in);
		return;
	}
	for (int i = 0; i < 100000; i++) {
		int e = gm_json_next(r, &t);

		if (e == GM_EDATA && (flags & GM_JSON_SEQ)) {
			if (gm_json_resync_line(r) < 0)
				break;
			gm_json_position(r, &line, &off);
			if (off < last || off > size)
				abort(); /* resync must move forward */
			last = off;
			continue;
		}
		if (e < 0 || t.tok == GM_JSON_EOF)
			break;
		if (t.offset > size || (t.text == NULL && t.len))
			abort();
	}
	gm_json_reader_free(r);
	gm_in_free(in);
}

static int read_one(const void *data, size_t size, struct gm_arena *a, struct gm_value *v,
		    unsigned int flags)
{
	struct gm_in *in;
	struct gm_json_reader *r;
	int e;

	if ((e = gm_in_open_mem(&in, data, size, "fuzz")) < 0)
		return e;
	if ((e = gm_json_reader_new(&r, in, GM_JSON_SEQ)) < 0) {
		gm_in_free(in);
		return e;
	}
	e = gm_tjson_read(r, NULL, a, v, flags);
	gm_json_reader_free(r);
	gm_in_free(in);
	return e;
}

static void values(const uint8_t *data, size_t size, unsigned int flags)
{
	struct gm_arena *a;
	struct gm_value v, back;
	struct gm_buf b = GM_BUF_INIT;

	if (gm_arena_new(&a) < 0)
		return;
	if (read_one(data, size, a, &v, flags) == 0 && gm_tjson_write(&b, &v, flags) == 0) {
		/* typed JSON round trips exactly */
		if (!(flags & GM_TJ_PLAIN) &&
		    (read_one(b.p, b.len, a, &back, flags) != 0 || !gm_value_equal(&v, &back)))
			abort();
	}
	gm_buf_free(&b);
	gm_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tokens(data, size, 0);
	tokens(data, size, GM_JSON_SEQ | GM_JSON_NOCOPY);
	values(data, size, 0);
	values(data, size, GM_TJ_PLAIN);
	values(data, size, GM_TJ_ASCII);
	return 0;
}
