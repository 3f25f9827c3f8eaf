/* SPDX-License-Identifier: MIT */
/*
 * Values <-> JSON in the typed (gmig) and plain (APOC) dialects; see
 * typedjson.h for the table of encodings.
 *
 * Reading is a recursive descent over the pull parser (recursion is bounded by
 * GM_JSON_MAX_DEPTH). Array elements and object entries collect on one
 * growable stack per call and are copied into the arena when their container
 * closes, so the arena only holds the final values.
 *
 * A typed wrapper is recognised when an object's FIRST key is "$type" (as
 * Neo4j and our writer put it); it must then be exactly {"$type":T,"_value":V}.
 * The writer therefore wraps every map whose first key is "$type" (and every
 * map whose keys are exactly $type and _value) in {"$type":"Map","_value":..},
 * which keeps the encoding unambiguous and the reader streaming.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmig/gmig.h"
#include "typedjson.h"
#include "valtext.h"

#define SAFE_INT 9007199254740991LL /* 2^53 - 1: every integer up to it is exact in a double */

/* ---- writing ---- */

static int put_lit(struct gm_buf *b, const char *s, size_t n)
{
	return gm_buf_put(b, s, n);
}

#define PUT_LIT(b, s) put_lit((b), (s), sizeof(s) - 1)

static unsigned int sflags(unsigned int flags)
{
	return (flags & GM_TJ_ASCII) ? GM_JSON_W_ASCII : 0;
}

/* Appends v's canonical text (valtext) as a JSON string. */
static int put_text(struct gm_buf *b, const struct gm_value *v, unsigned int flags)
{
	size_t start = b->len;
	int error;

	if ((error = gm_buf_putc(b, '"')) < 0 || (error = gm_value_format_text(b, v)) < 0)
		return error;
	for (size_t i = start + 1; i < b->len; i++) {
		unsigned char c = (unsigned char)b->p[i];

		if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
			/* rare (a zone name from the input): escape it properly */
			struct gm_buf tmp = GM_BUF_INIT;

			if ((error = gm_buf_put(&tmp, b->p + start + 1, b->len - start - 1)) < 0)
				return error;
			b->len = start;
			error = gm_json_put_string(b, tmp.p, tmp.len, sflags(flags));
			gm_buf_free(&tmp);
			return error;
		}
	}
	return gm_buf_putc(b, '"');
}

/* {"$type":"name","_value": */
static int put_wrap(struct gm_buf *b, const char *name)
{
	int error;

	if ((error = PUT_LIT(b, "{\"$type\":\"")) < 0 || (error = gm_buf_puts(b, name)) < 0 ||
	    (error = PUT_LIT(b, "\",\"_value\":")) < 0)
		return error;
	return 0;
}

static int put_float32(struct gm_buf *b, float f)
{
	int error;

	if (isfinite(f))
		return gm_fmt_float32(b, f);
	if ((error = gm_buf_putc(b, '"')) < 0 || (error = gm_fmt_float32(b, f)) < 0)
		return error;
	return gm_buf_putc(b, '"');
}

static int write_value(struct gm_buf *b, const struct gm_value *v, unsigned int flags);

static int write_entries(struct gm_buf *b, const struct gm_prop *p, size_t n, unsigned int flags)
{
	int error;

	if ((error = gm_buf_putc(b, '{')) < 0)
		return error;
	for (size_t i = 0; i < n; i++) {
		if ((i && (error = gm_buf_putc(b, ',')) < 0) ||
		    (error = gm_json_put_string(b, p[i].key.p, p[i].key.len, sflags(flags))) < 0 ||
		    (error = gm_buf_putc(b, ':')) < 0 ||
		    (error = write_value(b, &p[i].val, flags)) < 0)
			return error;
	}
	return gm_buf_putc(b, '}');
}

static int is_key(struct gm_str k, const char *s)
{
	size_t n = strlen(s);

	return k.len == n && !memcmp(k.p, s, n);
}

/* A map the reader would take for a typed wrapper. */
static int needs_map_wrap(const struct gm_prop *p, size_t n)
{
	if (n && is_key(p[0].key, "$type"))
		return 1;
	return n == 2 && ((is_key(p[0].key, "_value") && is_key(p[1].key, "$type")));
}

/* A double as a JSON number, or as a string when it is not finite (APOC/Jackson style). */
static int put_double(struct gm_buf *b, double d)
{
	int error;

	if (isfinite(d))
		return gm_fmt_double(b, d);
	if ((error = gm_buf_putc(b, '"')) < 0 || (error = gm_fmt_double(b, d)) < 0)
		return error;
	return gm_buf_putc(b, '"');
}

static int write_point_plain(struct gm_buf *b, const struct gm_point *pt)
{
	int error = 0;
	int wgs = pt->srid == 4326 || pt->srid == 4979;
	int known = wgs || pt->srid == 7203 || pt->srid == 9157;

	if (known) {
		const char *crs = pt->srid == 4326   ? "wgs-84"
				  : pt->srid == 4979 ? "wgs-84-3d"
				  : pt->srid == 7203 ? "cartesian"
						     : "cartesian-3d";

		if ((error = PUT_LIT(b, "{\"crs\":\"")) < 0 || (error = gm_buf_puts(b, crs)) < 0 ||
		    (error = gm_buf_putc(b, '"')) < 0)
			return error;
	} else if ((error = PUT_LIT(b, "{\"srid\":")) < 0 ||
		   (error = gm_buf_put_u64(b, pt->srid)) < 0) {
		return error;
	}
	if ((error = gm_buf_puts(b, wgs ? ",\"latitude\":" : ",\"x\":")) < 0 ||
	    (error = put_double(b, wgs ? pt->y : pt->x)) < 0 ||
	    (error = gm_buf_puts(b, wgs ? ",\"longitude\":" : ",\"y\":")) < 0 ||
	    (error = put_double(b, wgs ? pt->x : pt->y)) < 0 ||
	    (error = gm_buf_puts(b, wgs ? ",\"height\":" : ",\"z\":")) < 0)
		return error;
	if (pt->dim == 3)
		error = put_double(b, pt->z);
	else
		error = PUT_LIT(b, "null");
	if (error < 0)
		return error;
	return gm_buf_putc(b, '}');
}

static int write_value(struct gm_buf *b, const struct gm_value *v, unsigned int flags)
{
	int plain = flags & GM_TJ_PLAIN;
	int error;

	switch (v->type) {
	case GM_T_NULL: return PUT_LIT(b, "null");
	case GM_T_BOOL: return v->u.b ? PUT_LIT(b, "true") : PUT_LIT(b, "false");
	case GM_T_INT:
		if (plain || (v->u.i >= -SAFE_INT && v->u.i <= SAFE_INT))
			return gm_buf_put_i64(b, v->u.i);
		if ((error = PUT_LIT(b, "{\"$type\":\"Integer\",\"_value\":\"")) < 0 ||
		    (error = gm_buf_put_i64(b, v->u.i)) < 0)
			return error;
		return PUT_LIT(b, "\"}");
	case GM_T_FLOAT:
		/* integral values below 1e15: what gm_fmt_double writes, without its search */
		if (v->u.f > -1e15 && v->u.f < 1e15 && v->u.f == (double)(int64_t)v->u.f &&
		    (v->u.f != 0 || !signbit(v->u.f))) {
			if ((error = gm_buf_put_i64(b, (int64_t)v->u.f)) < 0)
				return error;
			return PUT_LIT(b, ".0");
		}
		if (isfinite(v->u.f) && (plain || v->u.f != 0 || !signbit(v->u.f)))
			return gm_fmt_double(b, v->u.f);
		if (plain)
			return put_text(b, v, flags);
		if ((error = put_wrap(b, "Float")) < 0 || (error = put_text(b, v, flags)) < 0)
			return error;
		return gm_buf_putc(b, '}');
	case GM_T_STRING: return gm_json_put_string(b, v->u.s.p, v->u.s.len, sflags(flags));
	case GM_T_LIST:
		if ((error = gm_buf_putc(b, '[')) < 0)
			return error;
		for (size_t i = 0; i < v->u.list.n; i++)
			if ((i && (error = gm_buf_putc(b, ',')) < 0) ||
			    (error = write_value(b, &v->u.list.v[i], flags)) < 0)
				return error;
		return gm_buf_putc(b, ']');
	case GM_T_MAP:
		if (plain || !needs_map_wrap(v->u.map.p, v->u.map.n))
			return write_entries(b, v->u.map.p, v->u.map.n, flags);
		if ((error = put_wrap(b, "Map")) < 0 ||
		    (error = write_entries(b, v->u.map.p, v->u.map.n, flags)) < 0)
			return error;
		return gm_buf_putc(b, '}');
	case GM_T_POINT:
		if (plain)
			return write_point_plain(b, &v->u.pt);
		/* fall through */
	case GM_T_BYTES:
	case GM_T_DATE:
	case GM_T_LOCALTIME:
	case GM_T_TIME:
	case GM_T_LOCALDATETIME:
	case GM_T_DATETIME:
	case GM_T_DURATION: {
		const char *name = gm_type_name(v->type);

		if (plain)
			return put_text(b, v, flags);
		if (v->type == GM_T_DATETIME)
			name = v->u.t.zone.len ? "ZonedDateTime" : "OffsetDateTime";
		if ((error = put_wrap(b, name)) < 0 || (error = put_text(b, v, flags)) < 0)
			return error;
		return gm_buf_putc(b, '}');
	}
	case GM_T_VECTOR:
		if (!plain && (error = put_wrap(b, "Vector")) < 0)
			return error;
		if ((error = gm_buf_putc(b, '[')) < 0)
			return error;
		for (size_t i = 0; i < v->u.vec.n; i++)
			if ((i && (error = gm_buf_putc(b, ',')) < 0) ||
			    (error = put_float32(b, v->u.vec.v[i])) < 0)
				return error;
		if ((error = gm_buf_putc(b, ']')) < 0)
			return error;
		return plain ? 0 : gm_buf_putc(b, '}');
	default:
		return gm_error_set(GM_EINVAL, "cannot write a value of type %d as JSON",
				    (int)v->type);
	}
}

int gm_tjson_write(struct gm_buf *b, const struct gm_value *v, unsigned int flags)
{
	return write_value(b, v, flags);
}

int gm_tjson_write_props(struct gm_buf *b, const struct gm_prop *p, size_t n, unsigned int flags)
{
	return write_entries(b, p, n, flags);
}

/* ---- reading ---- */

struct item {
	struct gm_prop p;
	uint64_t line, offset; /* of the key, for duplicate messages */
};

#define LOCAL_ITEMS 32

struct ctx {
	struct gm_json_reader *r;
	struct gm_arena *a;
	unsigned int flags;
	struct item *stk; /* local until it outgrows it, then on the heap */
	size_t n, cap;
	struct item local[LOCAL_ITEMS];
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
bad(struct ctx *c, uint64_t line, uint64_t off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gm_error_set(GM_EDATA,
			    "invalid value in '%s' (line %" PRIu64 ", byte %" PRIu64 "): %s",
			    gm_json_name(c->r), line, off, msg);
}

/* Prefixes the current error message (from valtext) with the position. */
static int bad_here(struct ctx *c, const struct gm_json_token *t)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", gm_error_last());
	return bad(c, t->line, t->offset, "%s", msg);
}

static int push(struct ctx *c, struct item **it)
{
	if (c->n == c->cap) {
		size_t cap = c->cap * 2;
		struct item *s;

		if (c->stk == c->local) {
			if (!(s = gm_malloc(cap * sizeof(*s))))
				return GM_ENOMEM;
			memcpy(s, c->local, c->n * sizeof(*s));
		} else if (!(s = gm_realloc(c->stk, cap * sizeof(*s)))) {
			return GM_ENOMEM;
		}
		c->stk = s;
		c->cap = cap;
	}
	*it = &c->stk[c->n++];
	return 0;
}

static int str_value(struct ctx *c, const struct gm_json_token *t, struct gm_str *s)
{
	char *p = gm_arena_strdup(c->a, t->text ? t->text : "", t->len);

	if (!p)
		return GM_ENOMEM;
	s->p = p;
	s->len = t->len;
	return 0;
}

static int parse_int(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, lim;
	int neg = n && s[0] == '-';
	size_t i = (size_t)neg;

	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int number_value(struct ctx *c, const struct gm_json_token *t, struct gm_value *out)
{
	if (t->is_int) {
		out->type = GM_T_INT;
		if (parse_int(t->text, t->len, &out->u.i) < 0)
			return bad(c, t->line, t->offset, "integer %.*s out of range (int64)",
				   t->len > 40 ? 40 : (int)t->len, t->text);
		return 0;
	}
	out->type = GM_T_FLOAT;
	if (gm__dec_parse(t->text, t->len, &out->u.f) == 0)
		return 0;
	if (gm_parse_double(t->text, t->len, &out->u.f) < 0)
		return bad_here(c, t);
	if (isinf(out->u.f))
		return bad(c, t->line, t->offset, "number %.*s out of range (float64)",
			   t->len > 40 ? 40 : (int)t->len, t->text);
	return 0;
}

static int read_any(struct ctx *c, const struct gm_json_token *t, struct gm_value *out,
		    int plain_here);

static int read_list(struct ctx *c, struct gm_value *out)
{
	size_t base = c->n;
	struct gm_json_token t;
	struct gm_value v;
	struct item *it;
	int error;

	for (;;) {
		if ((error = gm_json_next(c->r, &t)) < 0)
			goto done;
		if (t.tok == GM_JSON_ARR_END)
			break;
		/* read into v first: nested containers may move the stack */
		if ((error = read_any(c, &t, &v, 0)) < 0 || (error = push(c, &it)) < 0)
			goto done;
		it->p.val = v;
	}
	out->type = GM_T_LIST;
	out->u.list.n = c->n - base;
	out->u.list.v = NULL;
	if (out->u.list.n) {
		if (!(out->u.list.v =
			      gm_arena_alloc(c->a, out->u.list.n * sizeof(struct gm_value)))) {
			error = GM_ENOMEM;
			goto done;
		}
		for (size_t i = 0; i < out->u.list.n; i++)
			out->u.list.v[i] = c->stk[base + i].p.val;
	}
	error = 0;
done:
	c->n = base;
	return error;
}

static int cmp_item(const void *x, const void *y)
{
	const struct item *const *a = x, *const *b = y;
	int r = gm_str_cmp((*a)->p.key, (*b)->p.key);

	if (r)
		return r;
	return *a < *b ? -1 : *a > *b;
}

#define DUP_LINEAR 16

/* Reads the rest of an object whose first key token is t (or OBJ_END). */
static int read_map_from(struct ctx *c, struct gm_json_token *t, struct gm_value *out)
{
	size_t base = c->n, n;
	struct gm_value v;
	struct item *it;
	int error;

	while (t->tok != GM_JSON_OBJ_END) {
		size_t k = c->n - base;

		if (k < DUP_LINEAR) {
			for (size_t i = base; i < c->n; i++)
				if (c->stk[i].p.key.len == t->len &&
				    (!t->len ||
				     (c->stk[i].p.key.p[0] == t->text[0] &&
				      c->stk[i].p.key.p[t->len - 1] == t->text[t->len - 1] &&
				      !memcmp(c->stk[i].p.key.p, t->text, t->len)))) {
					error = bad(c, t->line, t->offset, "duplicate key \"%.*s\"",
						    t->len > 200 ? 200 : (int)t->len, t->text);
					goto done;
				}
		}
		if ((error = push(c, &it)) < 0 || (error = str_value(c, t, &it->p.key)) < 0)
			goto done;
		it->line = t->line;
		it->offset = t->offset;
		/* the stack may move while the value is read */
		k = c->n - 1;
		if ((error = gm_json_next(c->r, t)) < 0 || (error = read_any(c, t, &v, 0)) < 0)
			goto done;
		c->stk[k].p.val = v;
		if ((error = gm_json_next(c->r, t)) < 0)
			goto done;
	}
	n = c->n - base;
	if (n > DUP_LINEAR) {
		struct item **ix = gm_malloc(n * sizeof(*ix));

		if (!ix) {
			error = GM_ENOMEM;
			goto done;
		}
		for (size_t i = 0; i < n; i++)
			ix[i] = &c->stk[base + i];
		qsort(ix, n, sizeof(*ix), cmp_item);
		for (size_t i = 1; i < n; i++)
			if (gm_str_eq(ix[i - 1]->p.key, ix[i]->p.key)) {
				struct item *d = ix[i];

				error = bad(c, d->line, d->offset, "duplicate key \"%.*s\"",
					    d->p.key.len > 200 ? 200 : (int)d->p.key.len,
					    d->p.key.p);
				gm_free(ix);
				goto done;
			}
		gm_free(ix);
	}
	out->type = GM_T_MAP;
	out->u.map.n = n;
	out->u.map.p = NULL;
	if (n) {
		if (!(out->u.map.p = gm_arena_alloc(c->a, n * sizeof(struct gm_prop)))) {
			error = GM_ENOMEM;
			goto done;
		}
		for (size_t i = 0; i < n; i++)
			out->u.map.p[i] = c->stk[base + i].p;
	}
	error = 0;
done:
	c->n = base;
	return error;
}

/* A JSON string, or one of "NaN"/"Infinity"/"-Infinity", as a float32. */
static int vec_elem(struct ctx *c, const struct gm_json_token *t, float *f)
{
	if (t->tok == GM_JSON_NUMBER) {
		char *end;

		errno = 0;
		*f = strtof(t->text, &end);
		if (end != t->text + t->len || isinf(*f))
			return bad(c, t->line, t->offset,
				   "vector element %.*s out of range (float32)",
				   t->len > 40 ? 40 : (int)t->len, t->text);
		return 0;
	}
	if (t->tok == GM_JSON_STRING) {
		double d;

		if (gm_parse_double(t->text, t->len, &d) == 0 && !isfinite(d)) {
			*f = (float)d;
			return 0;
		}
	}
	return bad(c, t->line, t->offset, "vector elements must be numbers");
}

static int read_vector(struct ctx *c, const struct gm_json_token *first, struct gm_value *out)
{
	struct gm_json_token t;
	struct gm_buf fb = GM_BUF_INIT;
	int error;

	if (first->tok != GM_JSON_ARR_BEGIN)
		return bad(c, first->line, first->offset, "Vector _value must be an array");
	for (;;) {
		float f = 0;

		if ((error = gm_json_next(c->r, &t)) < 0)
			goto done;
		if (t.tok == GM_JSON_ARR_END)
			break;
		if ((error = vec_elem(c, &t, &f)) < 0 ||
		    (error = gm_buf_put(&fb, &f, sizeof(f))) < 0)
			goto done;
	}
	out->type = GM_T_VECTOR;
	out->u.vec.n = fb.len / sizeof(float);
	out->u.vec.v = NULL;
	if (fb.len) {
		if (!(out->u.vec.v = gm_arena_alloc(c->a, fb.len))) {
			error = GM_ENOMEM;
			goto done;
		}
		memcpy(out->u.vec.v, fb.p, fb.len);
	}
	error = 0;
done:
	gm_buf_free(&fb);
	return error;
}

/* The text of a typed wrapper's _value, which must be a JSON string. */
static int want_string(struct ctx *c, const struct gm_json_token *t, const char *type)
{
	if (t->tok != GM_JSON_STRING)
		return bad(c, t->line, t->offset, "%s _value must be a string", type);
	return 0;
}

/* {"$type": already read; t is the $type value token. */
static int read_typed(struct ctx *c, const struct gm_json_token *tt, struct gm_value *out)
{
	char name[32];
	struct gm_json_token t;
	enum gm_type type;
	uint64_t line = tt->line, off = tt->offset;
	int error;

	if (tt->tok != GM_JSON_STRING || tt->len >= sizeof(name))
		return bad(c, line, off, "\"$type\" must name a type");
	memcpy(name, tt->text, tt->len);
	name[tt->len] = '\0';
	if (!strcmp(name, "OffsetDateTime") || !strcmp(name, "ZonedDateTime") ||
	    !strcmp(name, "DateTime"))
		type = GM_T_DATETIME;
	else if (!strcmp(name, "ByteArray"))
		type = GM_T_BYTES;
	else if ((int)(type = (enum gm_type)gm_type_from_name(name, tt->len)) < 0)
		return bad(c, line, off, "unknown $type \"%s\"", name);
	if ((error = gm_json_next(c->r, &t)) < 0)
		return error;
	if (t.tok != GM_JSON_KEY || t.len != 6 || memcmp(t.text, "_value", 6))
		return bad(c, t.line, t.offset, "typed value %s: \"_value\" must follow \"$type\"",
			   name);
	if ((error = gm_json_next(c->r, &t)) < 0)
		return error;
	switch (type) {
	case GM_T_NULL:
		if (t.tok != GM_JSON_NULL)
			return bad(c, t.line, t.offset, "Null _value must be null");
		out->type = GM_T_NULL;
		break;
	case GM_T_BOOL:
		if (t.tok != GM_JSON_TRUE && t.tok != GM_JSON_FALSE)
			return bad(c, t.line, t.offset, "Boolean _value must be true or false");
		out->type = GM_T_BOOL;
		out->u.b = t.tok == GM_JSON_TRUE;
		break;
	case GM_T_INT:
	case GM_T_FLOAT:
		if (t.tok == GM_JSON_NUMBER) {
			if ((error = number_value(c, &t, out)) < 0)
				return error;
			if (type == GM_T_FLOAT && out->type == GM_T_INT) {
				out->type = GM_T_FLOAT;
				if (gm_parse_double(t.text, t.len, &out->u.f) < 0)
					return bad_here(c, &t);
			}
			if (out->type != type)
				return bad(c, t.line, t.offset,
					   "Integer _value must be an integer");
			break;
		}
		if ((error = want_string(c, &t, name)) < 0)
			return error;
		if (gm_value_parse_text(type, t.text, t.len, c->a, out) < 0)
			return bad_here(c, &t);
		break;
	case GM_T_STRING:
		if ((error = want_string(c, &t, name)) < 0 ||
		    (error = str_value(c, &t, &out->u.s)) < 0)
			return error;
		out->type = GM_T_STRING;
		break;
	case GM_T_LIST:
		if (t.tok != GM_JSON_ARR_BEGIN)
			return bad(c, t.line, t.offset, "List _value must be an array");
		if ((error = read_any(c, &t, out, 0)) < 0)
			return error;
		break;
	case GM_T_MAP:
		if (t.tok != GM_JSON_OBJ_BEGIN)
			return bad(c, t.line, t.offset, "Map _value must be an object");
		if ((error = read_any(c, &t, out, 1)) < 0)
			return error;
		break;
	case GM_T_VECTOR:
		if ((error = read_vector(c, &t, out)) < 0)
			return error;
		break;
	default:
		if ((error = want_string(c, &t, name)) < 0)
			return error;
		if (gm_value_parse_text(type, t.text, t.len, c->a, out) < 0)
			return bad_here(c, &t);
		if (type == GM_T_DATETIME &&
		    ((!strcmp(name, "OffsetDateTime") && out->u.t.zone.len) ||
		     (!strcmp(name, "ZonedDateTime") && !out->u.t.zone.len)))
			return bad(c, t.line, t.offset, "%s value '%.*s' has the wrong form", name,
				   (int)t.len, t.text);
		break;
	}
	if ((error = gm_json_next(c->r, &t)) < 0)
		return error;
	if (t.tok != GM_JSON_OBJ_END)
		return bad(c, t.line, t.offset,
			   "typed value %s: only \"$type\" and \"_value\" are allowed", name);
	return 0;
}

static int read_any(struct ctx *c, const struct gm_json_token *t, struct gm_value *out,
		    int plain_here)
{
	struct gm_json_token k;
	int error;

	switch (t->tok) {
	case GM_JSON_NULL: out->type = GM_T_NULL; return 0;
	case GM_JSON_TRUE:
	case GM_JSON_FALSE:
		out->type = GM_T_BOOL;
		out->u.b = t->tok == GM_JSON_TRUE;
		return 0;
	case GM_JSON_NUMBER: return number_value(c, t, out);
	case GM_JSON_STRING: out->type = GM_T_STRING; return str_value(c, t, &out->u.s);
	case GM_JSON_ARR_BEGIN: return read_list(c, out);
	case GM_JSON_OBJ_BEGIN:
		if ((error = gm_json_next(c->r, &k)) < 0)
			return error;
		if (!plain_here && !(c->flags & GM_TJ_PLAIN) && k.tok == GM_JSON_KEY &&
		    k.len == 5 && !memcmp(k.text, "$type", 5)) {
			if ((error = gm_json_next(c->r, &k)) < 0)
				return error;
			return read_typed(c, &k, out);
		}
		return read_map_from(c, &k, out);
	case GM_JSON_EOF:
		return bad(c, t->line, t->offset, "a value was expected, not the end of input");
	default: return bad(c, t->line, t->offset, "a value was expected");
	}
}

int gm_tjson_read(struct gm_json_reader *r, const struct gm_json_token *first, struct gm_arena *a,
		  struct gm_value *out, unsigned int flags)
{
	struct ctx c;
	struct gm_json_token t;
	int error;

	c.r = r;
	c.a = a;
	c.flags = flags;
	c.stk = c.local;
	c.n = 0;
	c.cap = LOCAL_ITEMS;

	if (!first) {
		if ((error = gm_json_next(r, &t)) < 0)
			return error;
		first = &t;
	}
	out->type = GM_T_NULL;
	error = read_any(&c, first, out, 0);
	if (c.stk != c.local)
		gm_free(c.stk);
	return error;
}
