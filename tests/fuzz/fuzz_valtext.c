/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the valtext parsers. The first byte picks the type, the rest
 * is the text. Whatever parses must print, and the printed text must read back
 * as the same value and print the same again (the canonical round trip);
 * sniffing must agree with parsing. Violations abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gmig/gmig.h"
#include "valtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum gm_type types[] = {GM_T_BOOL,	    GM_T_INT,	    GM_T_FLOAT, GM_T_BYTES,
				     GM_T_DATE,	    GM_T_LOCALTIME, GM_T_TIME,	GM_T_LOCALDATETIME,
				     GM_T_DATETIME, GM_T_DURATION,  GM_T_POINT};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_arena *a;
	struct gm_value v, back;
	struct gm_buf b = GM_BUF_INIT, b2 = GM_BUF_INIT;
	enum gm_type t;
	const char *p = (const char *)data + 1;
	size_t n;
	int sniffed;

	if (size < 1 || gm_arena_new(&a) < 0)
		return 0;
	t = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	n = size - 1;
	sniffed = gm_value_sniff_temporal(p, n);
	if (sniffed >= 0 && gm_value_parse_text((enum gm_type)sniffed, p, n, a, &v) != 0)
		abort();
	if (gm_value_parse_text(t, p, n, a, &v) == 0 && t != GM_T_BOOL && t != GM_T_INT) {
		if (gm_value_format_text(&b, &v) != 0)
			abort();
		if (gm_value_parse_text(t, b.p ? b.p : "", b.len, a, &back) != 0 ||
		    !gm_value_equal(&v, &back))
			abort();
		if (gm_value_format_text(&b2, &back) != 0 || b.len != b2.len ||
		    (b.len && memcmp(b.p, b2.p, b.len)))
			abort();
		/* canonical temporal text is always sniffed as its type */
		if (t >= GM_T_DATE && t <= GM_T_DURATION && b.len < 200 &&
		    gm_value_sniff_temporal(b.p, b.len) != (int)t)
			abort();
	}
	gm_buf_free(&b);
	gm_buf_free(&b2);
	gm_arena_free(a);
	return 0;
}
