/* SPDX-License-Identifier: MIT */
/* Cypher literal writing shared by the Cypher-speaking backends (see cyphertext.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cyphertext.h"
#include "gmig/gmig.h"
#include "valtext.h"

int gm__cy_plain_name(const char *p, size_t n)
{
	if (!n || !((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z') || p[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return 0;
	return 1;
}

int gm__cy_put_name(struct gm_buf *b, struct gm_str s)
{
	if (gm__cy_plain_name(s.p, s.len))
		return gm_buf_put(b, s.p, s.len);
	gm_buf_putc(b, '`');
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '`')
			gm_buf_putc(b, '`');
		gm_buf_putc(b, s.p[i]);
	}
	return gm_buf_putc(b, '`');
}

int gm__cy_put_string(struct gm_buf *b, const char *p, size_t n, unsigned int flags)
{
	int raw = (flags & GM__CY_RAW_CONTROL) != 0;
	char q = raw ? '\'' : '"';
	size_t run = 0;

	gm_buf_putc(b, q);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		const char *esc = NULL;
		char u[8];

		if (c == '\\')
			esc = "\\\\";
		else if (c == (unsigned char)q)
			esc = raw ? "\\'" : "\\\"";
		else if (raw)
			esc = NULL;
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20 || c == 0x7f) {
			snprintf(u, sizeof(u), "\\u%04X", c);
			esc = u;
		}
		if (!esc)
			continue;
		gm_buf_put(b, p + run, i - run);
		gm_buf_puts(b, esc);
		run = i + 1;
	}
	gm_buf_put(b, p + run, n - run);
	return gm_buf_putc(b, q);
}

/* Cypher has no '+' in exponents: "1e+300" is written 1e300. */
static void drop_exponent_plus(struct gm_buf *b, size_t start)
{
	for (size_t i = start; i + 1 < b->len; i++)
		if ((b->p[i] == 'e' || b->p[i] == 'E') && b->p[i + 1] == '+') {
			memmove(b->p + i + 1, b->p + i + 2, b->len - i - 2);
			b->p[--b->len] = '\0';
			return;
		}
}

int gm__cy_put_double(struct gm_buf *b, double d, unsigned int flags)
{
	size_t start = b->len;
	int error;

	if (isnan(d))
		return gm_buf_puts(b, "0.0/0.0");
	if (isinf(d))
		return gm_buf_puts(b, d < 0 ? "-1.0/0.0" : "1.0/0.0");
	if ((flags & GM__CY_SUBNORMAL_EXPR) && d != 0 && fabs(d) < 0x1p-1022) {
		/* exact: an integer below 2^52 times a power of two */
		return gm_buf_printf(b, "(%.0f * 2.0^-1074)", ldexp(d, 1074));
	}
	if ((error = gm_fmt_double(b, d)) < 0)
		return error;
	drop_exponent_plus(b, start);
	return 0;
}

int gm__cy_put_float32(struct gm_buf *b, float f, unsigned int flags)
{
	size_t start = b->len;
	int error;

	if (isnan(f) || isinf(f))
		return gm__cy_put_double(b, (double)f, flags);
	if ((error = gm_fmt_float32(b, f)) < 0)
		return error;
	drop_exponent_plus(b, start);
	return 0;
}
