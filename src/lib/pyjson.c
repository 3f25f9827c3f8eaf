/* SPDX-License-Identifier: MIT */
/* JSON text as Python's json.dumps writes it (see pyjson.h for the rules). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gmig/gmig.h"
#include "json.h"
#include "pyjson.h"
#include "valtext.h"

int gm_pyjson_float(struct gm_buf *b, double d)
{
	char tb[64];
	struct gm_buf t = {tb, 0, sizeof(tb), 0}; /* gm_fmt_double writes at most 26 bytes */
	char digits[40], o[64];
	int nd = 0, exp10 = 0, esign = 1, decpt, error, seen_point = 0, lead = 1;
	size_t len = 0;
	const char *q, *end;

	if (isnan(d))
		return gm_buf_puts(b, "NaN");
	if (isinf(d))
		return gm_buf_puts(b, d < 0 ? "-Infinity" : "Infinity");
	if (d == 0)
		return gm_buf_puts(b, signbit(d) ? "-0.0" : "0.0");
	/* the shortest round-trip digits come from valtext; only the layout differs */
	if ((error = gm_fmt_double(&t, d)) < 0)
		return error;
	q = t.p;
	end = t.p + t.len;
	if (*q == '-') {
		o[len++] = '-';
		q++;
	}
	decpt = 0;
	for (; q < end && *q != 'e' && *q != 'E'; q++) {
		if (*q == '.') {
			seen_point = 1;
			continue;
		}
		if (lead && *q == '0') {
			if (seen_point)
				decpt--;
			continue;
		}
		lead = 0;
		if (nd < (int)sizeof(digits))
			digits[nd++] = *q;
		if (!seen_point)
			decpt++;
	}
	if (q < end) {
		q++;
		if (*q == '+' || *q == '-')
			esign = *q++ == '-' ? -1 : 1;
		for (; q < end; q++)
			exp10 = exp10 * 10 + (*q - '0');
		decpt += esign * exp10;
	}
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	len += gm__fmt_digits(o + len, digits, nd, decpt);
	return gm_buf_put(b, o, len);
}

int gm_pyjson_string(struct gm_buf *b, const char *p, size_t n)
{
	/* ensure_ascii escapes DEL (0x7f) too */
	return gm_json_put_string(b, p, n, GM_JSON_W_ASCII | GM_JSON_W_DEL);
}

int gm_pyjson_isoformat(struct gm_buf *b, const struct gm_temporal *t)
{
	int64_t days = t->secs >= 0 ? t->secs / 86400 : -((-t->secs + 86399) / 86400);
	int64_t sod = t->secs - days * 86400, y;
	unsigned mo, d;
	int off = t->offset, us = t->nanos / 1000, error;

	gm_civil_from_days(days, &y, &mo, &d);
	if ((error = gm_buf_printf(b, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, mo, d,
				   (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60))) < 0)
		return error;
	if (us && (error = gm_buf_printf(b, ".%06d", us)) < 0)
		return error;
	if (!t->has_offset)
		return 0;
	if ((error = gm_buf_printf(b, "%c%02d:%02d", off < 0 ? '-' : '+',
				   (off < 0 ? -off : off) / 3600,
				   (off < 0 ? -off : off) / 60 % 60)) < 0)
		return error;
	if ((off < 0 ? -off : off) % 60)
		return gm_buf_printf(b, ":%02d", (off < 0 ? -off : off) % 60);
	return 0;
}

static int newline(struct gm_buf *b, int indent, int level)
{
	int error;

	if ((error = gm_buf_putc(b, '\n')) < 0)
		return error;
	for (int i = 0; i < indent * level; i++)
		if ((error = gm_buf_putc(b, ' ')) < 0)
			return error;
	return 0;
}

/* Between items: ", " on one line, ",\n<indent>" with an indent. */
static int item_start(struct gm_buf *b, size_t i, int indent, int level)
{
	int error;

	if (indent < 0)
		return i ? gm_buf_put(b, ", ", 2) : 0;
	if (i && (error = gm_buf_putc(b, ',')) < 0)
		return error;
	return newline(b, indent, level + 1);
}

/* Canonical text as a JSON string: what json.dumps gets from str() of such a value. */
static int text_value(struct gm_buf *b, const struct gm_value *v)
{
	struct gm_buf t = GM_BUF_INIT;
	int error;

	if ((error = gm_value_format_text(&t, v)) == 0)
		error = gm_pyjson_string(b, t.p ? t.p : "", t.len);
	gm_buf_free(&t);
	return error;
}

int gm_pyjson_value(struct gm_buf *b, const struct gm_value *v, int indent, int level)
{
	int error;

	switch (v->type) {
	case GM_T_NULL: return gm_buf_puts(b, "null");
	case GM_T_BOOL: return gm_buf_puts(b, v->u.b ? "true" : "false");
	case GM_T_INT: return gm_buf_put_i64(b, v->u.i);
	case GM_T_FLOAT: return gm_pyjson_float(b, v->u.f);
	case GM_T_STRING: return gm_pyjson_string(b, v->u.s.p, v->u.s.len);
	case GM_T_LIST:
		if (!v->u.list.n)
			return gm_buf_puts(b, "[]");
		if ((error = gm_buf_putc(b, '[')) < 0)
			return error;
		for (size_t i = 0; i < v->u.list.n; i++)
			if ((error = item_start(b, i, indent, level)) < 0 ||
			    (error = gm_pyjson_value(b, &v->u.list.v[i], indent, level + 1)) < 0)
				return error;
		if (indent >= 0 && (error = newline(b, indent, level)) < 0)
			return error;
		return gm_buf_putc(b, ']');
	case GM_T_MAP:
		if (!v->u.map.n)
			return gm_buf_puts(b, "{}");
		if ((error = gm_buf_putc(b, '{')) < 0)
			return error;
		for (size_t i = 0; i < v->u.map.n; i++) {
			const struct gm_prop *p = &v->u.map.p[i];

			if ((error = item_start(b, i, indent, level)) < 0 ||
			    (error = gm_pyjson_string(b, p->key.p, p->key.len)) < 0 ||
			    (error = gm_buf_put(b, ": ", 2)) < 0 ||
			    (error = gm_pyjson_value(b, &p->val, indent, level + 1)) < 0)
				return error;
		}
		if (indent >= 0 && (error = newline(b, indent, level)) < 0)
			return error;
		return gm_buf_putc(b, '}');
	case GM_T_VECTOR:
		if (!v->u.vec.n)
			return gm_buf_puts(b, "[]");
		if ((error = gm_buf_putc(b, '[')) < 0)
			return error;
		for (size_t i = 0; i < v->u.vec.n; i++)
			if ((error = item_start(b, i, indent, level)) < 0 ||
			    (error = gm_pyjson_float(b, (double)v->u.vec.v[i])) < 0)
				return error;
		if (indent >= 0 && (error = newline(b, indent, level)) < 0)
			return error;
		return gm_buf_putc(b, ']');
	case GM_T_DATETIME:
		if (v->u.t.has_offset && !v->u.t.zone.len) {
			struct gm_buf t = GM_BUF_INIT;
			int64_t y;
			unsigned mo, d;
			int64_t days = v->u.t.secs >= 0 ? v->u.t.secs / 86400
							: -((-v->u.t.secs + 86399) / 86400);

			gm_civil_from_days(days, &y, &mo, &d);
			if (y >= 1 && y <= 9999) {
				if ((error = gm_pyjson_isoformat(&t, &v->u.t)) == 0)
					error = gm_pyjson_string(b, t.p, t.len);
				gm_buf_free(&t);
				return error;
			}
		}
		return text_value(b, v);
	default: return text_value(b, v);
	}
}
