/* SPDX-License-Identifier: MIT */
/* The value model: names, equality, deep copies and the canonical record order. */
#include <stdlib.h>
#include <string.h>

#include "gmig/gmig.h"
#include "gmig/sys/record.h"

static const char *const type_names[GM_T__COUNT] = {
	[GM_T_NULL] = "Null",	      [GM_T_BOOL] = "Boolean",
	[GM_T_INT] = "Integer",	      [GM_T_FLOAT] = "Float",
	[GM_T_STRING] = "String",     [GM_T_BYTES] = "Base64",
	[GM_T_LIST] = "List",	      [GM_T_MAP] = "Map",
	[GM_T_DATE] = "Date",	      [GM_T_LOCALTIME] = "LocalTime",
	[GM_T_TIME] = "Time",	      [GM_T_LOCALDATETIME] = "LocalDateTime",
	[GM_T_DATETIME] = "DateTime", [GM_T_DURATION] = "Duration",
	[GM_T_POINT] = "Point",	      [GM_T_VECTOR] = "Vector",
};

const char *gm_type_name(enum gm_type t)
{
	return (unsigned)t < GM_T__COUNT ? type_names[t] : "?";
}

int gm_type_from_name(const char *name, size_t len)
{
	for (int t = 0; t < GM_T__COUNT; t++)
		if (strlen(type_names[t]) == len && !memcmp(type_names[t], name, len))
			return t;
	return -1;
}

struct gm_str gm_str_c(const char *s)
{
	struct gm_str r = {s, s ? strlen(s) : 0};
	return r;
}

int gm_str_eq(struct gm_str a, struct gm_str b)
{
	return a.len == b.len && (a.len == 0 || !memcmp(a.p, b.p, a.len));
}

int gm_str_cmp(struct gm_str a, struct gm_str b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.p, b.p, n) : 0;

	if (c)
		return c;
	return a.len < b.len ? -1 : a.len > b.len;
}

static int temporal_equal(const struct gm_temporal *a, const struct gm_temporal *b)
{
	return a->secs == b->secs && a->nanos == b->nanos && a->has_offset == b->has_offset &&
	       (!a->has_offset || a->offset == b->offset) && gm_str_eq(a->zone, b->zone);
}

int gm_value_equal(const struct gm_value *a, const struct gm_value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case GM_T_NULL: return 1;
	case GM_T_BOOL: return !a->u.b == !b->u.b;
	case GM_T_INT: return a->u.i == b->u.i;
	case GM_T_FLOAT:
		return !memcmp(&a->u.f, &b->u.f, sizeof(double)) ||
		       (a->u.f != a->u.f && b->u.f != b->u.f);
	case GM_T_STRING:
	case GM_T_BYTES: return gm_str_eq(a->u.s, b->u.s);
	case GM_T_LIST:
		if (a->u.list.n != b->u.list.n)
			return 0;
		for (size_t i = 0; i < a->u.list.n; i++)
			if (!gm_value_equal(&a->u.list.v[i], &b->u.list.v[i]))
				return 0;
		return 1;
	case GM_T_MAP:
		if (a->u.map.n != b->u.map.n)
			return 0;
		for (size_t i = 0; i < a->u.map.n; i++)
			if (!gm_str_eq(a->u.map.p[i].key, b->u.map.p[i].key) ||
			    !gm_value_equal(&a->u.map.p[i].val, &b->u.map.p[i].val))
				return 0;
		return 1;
	case GM_T_DATE:
	case GM_T_LOCALTIME:
	case GM_T_TIME:
	case GM_T_LOCALDATETIME:
	case GM_T_DATETIME: return temporal_equal(&a->u.t, &b->u.t);
	case GM_T_DURATION:
		return a->u.d.months == b->u.d.months && a->u.d.days == b->u.d.days &&
		       a->u.d.secs == b->u.d.secs && a->u.d.nanos == b->u.d.nanos;
	case GM_T_POINT:
		return a->u.pt.srid == b->u.pt.srid && a->u.pt.dim == b->u.pt.dim &&
		       !memcmp(&a->u.pt.x, &b->u.pt.x, sizeof(double)) &&
		       !memcmp(&a->u.pt.y, &b->u.pt.y, sizeof(double)) &&
		       (a->u.pt.dim < 3 || !memcmp(&a->u.pt.z, &b->u.pt.z, sizeof(double)));
	case GM_T_VECTOR:
		return a->u.vec.n == b->u.vec.n &&
		       (a->u.vec.n == 0 ||
			!memcmp(a->u.vec.v, b->u.vec.v, a->u.vec.n * sizeof(float)));
	default: return 0;
	}
}

static int copy_str(struct gm_str *dst, struct gm_str src, struct gm_arena *a)
{
	char *p;

	if (!src.p) {
		*dst = src;
		return 0;
	}
	if (!(p = gm_arena_strdup(a, src.p, src.len)))
		return GM_ENOMEM;
	dst->p = p;
	dst->len = src.len;
	return 0;
}

static int copy_props(struct gm_prop **dst, const struct gm_prop *src, size_t n, struct gm_arena *a)
{
	struct gm_prop *p;

	if (!n) {
		*dst = NULL;
		return 0;
	}
	if (!(p = gm_arena_alloc(a, n * sizeof(*p))))
		return GM_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (copy_str(&p[i].key, src[i].key, a) < 0 ||
		    gm_value_copy(&p[i].val, &src[i].val, a) < 0)
			return GM_ENOMEM;
	*dst = p;
	return 0;
}

int gm_value_copy(struct gm_value *dst, const struct gm_value *src, struct gm_arena *a)
{
	*dst = *src;
	switch (src->type) {
	case GM_T_STRING:
	case GM_T_BYTES: return copy_str(&dst->u.s, src->u.s, a);
	case GM_T_DATETIME: return copy_str(&dst->u.t.zone, src->u.t.zone, a);
	case GM_T_LIST:
		if (src->u.list.n) {
			if (!(dst->u.list.v =
				      gm_arena_alloc(a, src->u.list.n * sizeof(struct gm_value))))
				return GM_ENOMEM;
			for (size_t i = 0; i < src->u.list.n; i++)
				if (gm_value_copy(&dst->u.list.v[i], &src->u.list.v[i], a) < 0)
					return GM_ENOMEM;
		}
		return 0;
	case GM_T_MAP: return copy_props(&dst->u.map.p, src->u.map.p, src->u.map.n, a);
	case GM_T_VECTOR:
		if (src->u.vec.n) {
			if (!(dst->u.vec.v = gm_arena_alloc(a, src->u.vec.n * sizeof(float))))
				return GM_ENOMEM;
			memcpy(dst->u.vec.v, src->u.vec.v, src->u.vec.n * sizeof(float));
		}
		return 0;
	default: return 0;
	}
}

uint32_t gm_value_types(const struct gm_value *v)
{
	uint32_t m = GM_TYPE_BIT(v->type);

	if (v->type == GM_T_LIST)
		for (size_t i = 0; i < v->u.list.n; i++)
			m |= gm_value_types(&v->u.list.v[i]);
	else if (v->type == GM_T_MAP)
		for (size_t i = 0; i < v->u.map.n; i++)
			m |= gm_value_types(&v->u.map.p[i].val);
	return m;
}

uint32_t gm_record_types(const struct gm_record *r)
{
	uint32_t m = 0;

	for (size_t i = 0; i < r->nprops; i++)
		m |= gm_value_types(&r->props[i].val);
	return m;
}

/*
 * Insertion sort: property lists are short and usually already sorted, where
 * it is linear; qsort would need a comparator context for nothing.
 */
static void sort_strs(struct gm_str *s, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct gm_str x = s[i];
		size_t j = i;

		while (j > 0 && gm_str_cmp(s[j - 1], x) > 0) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = x;
	}
}

static void sort_props(struct gm_prop *p, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct gm_prop x = p[i];
		size_t j = i;

		while (j > 0 && gm_str_cmp(p[j - 1].key, x.key) > 0) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = x;
	}
}

static int canon_value(struct gm_value *v);

static int canon_props(struct gm_prop *p, size_t n)
{
	int error;

	sort_props(p, n);
	for (size_t i = 0; i < n; i++) {
		if (i && gm_str_eq(p[i - 1].key, p[i].key))
			return gm_error_set(GM_EDATA, "duplicate key '%.*s'", (int)p[i].key.len,
					    p[i].key.p);
		if ((error = canon_value(&p[i].val)) < 0)
			return error;
	}
	return 0;
}

static int canon_value(struct gm_value *v)
{
	int error;

	if (v->type == GM_T_MAP)
		return canon_props(v->u.map.p, v->u.map.n);
	if (v->type == GM_T_LIST)
		for (size_t i = 0; i < v->u.list.n; i++)
			if ((error = canon_value(&v->u.list.v[i])) < 0)
				return error;
	return 0;
}

int gm_record_canonicalize(struct gm_record *r)
{
	sort_strs(r->labels, r->nlabels);
	for (size_t i = 1; i < r->nlabels; i++)
		if (gm_str_eq(r->labels[i - 1], r->labels[i]))
			return gm_error_set(GM_EDATA, "duplicate label '%.*s'",
					    (int)r->labels[i].len, r->labels[i].p);
	return canon_props(r->props, r->nprops);
}

int gm_record_copy(struct gm_record *dst, const struct gm_record *src, struct gm_arena *a)
{
	*dst = *src;
	if (copy_str(&dst->key, src->key, a) < 0 || copy_str(&dst->type, src->type, a) < 0 ||
	    copy_str(&dst->from, src->from, a) < 0 || copy_str(&dst->to, src->to, a) < 0)
		return GM_ENOMEM;
	if (src->nlabels) {
		if (!(dst->labels = gm_arena_alloc(a, src->nlabels * sizeof(struct gm_str))))
			return GM_ENOMEM;
		for (size_t i = 0; i < src->nlabels; i++)
			if (copy_str(&dst->labels[i], src->labels[i], a) < 0)
				return GM_ENOMEM;
	}
	return copy_props(&dst->props, src->props, src->nprops, a);
}
