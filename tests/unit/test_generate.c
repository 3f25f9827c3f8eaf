/* SPDX-License-Identifier: MIT */
/* Tests for the generate backend: determinism, counts, order, coverage, the named cases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "valtext.h"

/* ---- helpers ---- */

/* All records of a source, deep-copied (tests only read small graphs this way). */
struct graph {
	struct gm_arena *a;
	struct gm_record *r;
	size_t n, cap;
	uint64_t cnodes, crels; /* what count() said */
};

static void load(struct graph *g, const char *uri)
{
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	struct gm_backend *b;
	struct gm_arena *scratch;
	struct gm_record rec;
	int rc;

	memset(g, 0, sizeof(*g));
	assert_int_equal(gm_arena_new(&g->a), 0);
	assert_int_equal(gm_arena_new(&scratch), 0);
	if (gm_backend_open(&b, uri, &o) != 0)
		fail_msg("open '%s': %s", uri, gm_error_last());
	assert_non_null(b->ops->count);
	assert_int_equal(b->ops->count(b, &g->cnodes, &g->crels), 0);
	assert_true(b->progress_total == g->cnodes + g->crels);
	while ((rc = b->ops->read_next(b, &rec, scratch)) == 0) {
		if (g->n == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 64;
			g->r = realloc(g->r, g->cap * sizeof(*g->r));
			assert_non_null(g->r);
		}
		assert_int_equal(gm_record_copy(&g->r[g->n], &rec, g->a), 0);
		g->n++;
		assert_true(b->progress_done == g->n);
		gm_arena_reset(scratch);
	}
	assert_int_equal(rc, GM_ITEROVER);
	assert_int_equal(b->ops->read_next(b, &rec, scratch), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_free(scratch);
}

static void unload(struct graph *g)
{
	free(g->r);
	gm_arena_free(g->a);
}

static int str_is(struct gm_str s, const char *c)
{
	return gm_str_eq(s, gm_str_c(c));
}

static int props_equal(const struct gm_record *a, const struct gm_record *b)
{
	if (a->nprops != b->nprops)
		return 0;
	for (size_t i = 0; i < a->nprops; i++)
		if (!gm_str_eq(a->props[i].key, b->props[i].key) ||
		    !gm_value_equal(&a->props[i].val, &b->props[i].val))
			return 0;
	return 1;
}

static int rec_equal(const struct gm_record *a, const struct gm_record *b)
{
	if (a->kind != b->kind || !gm_str_eq(a->key, b->key) || a->nlabels != b->nlabels ||
	    !gm_str_eq(a->type, b->type) || !gm_str_eq(a->from, b->from) ||
	    !gm_str_eq(a->to, b->to))
		return 0;
	for (size_t i = 0; i < a->nlabels; i++)
		if (!gm_str_eq(a->labels[i], b->labels[i]))
			return 0;
	return props_equal(a, b);
}

static size_t count_kind(const struct graph *g, enum gm_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += g->r[i].kind == k;
	return n;
}

static void check_nodes_first(const struct graph *g)
{
	int seen_rel = 0;

	for (size_t i = 0; i < g->n; i++) {
		if (g->r[i].kind == GM_REL)
			seen_rel = 1;
		else if (seen_rel)
			fail_msg("node record %zu after a relationship", i);
	}
	assert_int_equal(count_kind(g, GM_NODE), g->cnodes);
	assert_int_equal(count_kind(g, GM_REL), g->crels);
}

static uint32_t types_of(const struct graph *g)
{
	uint32_t m = 0;

	for (size_t i = 0; i < g->n; i++)
		m |= gm_record_types(&g->r[i]);
	return m;
}

static int has_node_key(const struct graph *g, struct gm_str k)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->r[i].kind == GM_NODE && gm_str_eq(g->r[i].key, k))
			return 1;
	return 0;
}

static const struct gm_value *prop(const struct gm_record *r, const char *key)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (str_is(r->props[i].key, key))
			return &r->props[i].val;
	return NULL;
}

static const struct gm_value *find_prop(const struct graph *g, const char *key)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct gm_value *v = prop(&g->r[i], key);

		if (v)
			return v;
	}
	return NULL;
}

/* The canonical text of a prop (temporals, durations, points, floats). */
static const char *text_of(const struct graph *g, const char *key)
{
	static char out[256];
	const struct gm_value *v = find_prop(g, key);
	struct gm_buf b = GM_BUF_INIT;

	if (!v)
		fail_msg("no property '%s'", key);
	assert_int_equal(gm_value_format_text(&b, v), 0);
	snprintf(out, sizeof(out), "%s", b.p);
	gm_buf_free(&b);
	return out;
}

static int has_non_ascii(struct gm_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] >= 0x80)
			return 1;
	return 0;
}

static int has_4byte_utf8(struct gm_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (((unsigned char)s.p[i] & 0xf8) == 0xf0)
			return 1;
	return 0;
}

/* Every value with a text form prints, and reads back as itself. */
static void check_value_text(const struct gm_value *v, struct gm_arena *a)
{
	struct gm_buf b = GM_BUF_INIT;
	struct gm_value back;

	if (v->type == GM_T_LIST) {
		for (size_t i = 0; i < v->u.list.n; i++)
			check_value_text(&v->u.list.v[i], a);
		return;
	}
	if (v->type == GM_T_MAP) {
		for (size_t i = 0; i < v->u.map.n; i++)
			check_value_text(&v->u.map.p[i].val, a);
		return;
	}
	if (v->type < GM_T_DATE || v->type > GM_T_POINT)
		return;
	if (gm_value_format_text(&b, v) != 0)
		fail_msg("%s value has no text: %s", gm_type_name(v->type), gm_error_last());
	assert_int_equal(gm_value_parse_text(v->type, b.p, b.len, a, &back), 0);
	assert_true(gm_value_equal(v, &back));
	gm_buf_free(&b);
}

/* Sanity for every record of any source: canonicalizable, values printable. */
static void check_records(const struct graph *g)
{
	struct gm_arena *a;

	assert_int_equal(gm_arena_new(&a), 0);
	for (size_t i = 0; i < g->n; i++) {
		struct gm_record *r = &g->r[i];

		assert_true(r->key.len > 0);
		if (r->kind == GM_NODE) {
			assert_true(r->type.len == 0 && r->from.len == 0 && r->to.len == 0);
		} else {
			assert_true(r->type.len > 0 && r->from.len > 0 && r->to.len > 0);
			assert_int_equal(r->nlabels, 0);
		}
		if (gm_record_canonicalize(r) != 0)
			fail_msg("record %zu: %s", i, gm_error_last());
		for (size_t k = 0; k < r->nprops; k++)
			check_value_text(&r->props[k].val, a);
		gm_arena_reset(a);
	}
	gm_arena_free(a);
}

/* ---- random graphs ---- */

static void test_deterministic(void **state)
{
	struct graph a, b, c;
	size_t differ = 0;

	(void)state;
	load(&a, "generate:?nodes=60&edges=300&seed=7");
	load(&b, "generate:?seed=7&edges=300&nodes=60");
	load(&c, "generate:?nodes=60&edges=300&seed=8");
	assert_int_equal(a.n, 360);
	assert_int_equal(b.n, 360);
	assert_int_equal(c.n, 360);
	for (size_t i = 0; i < a.n; i++) {
		if (!rec_equal(&a.r[i], &b.r[i]))
			fail_msg("record %zu differs between two runs with the same seed", i);
		differ += !rec_equal(&a.r[i], &c.r[i]);
		/* keys do not depend on the seed */
		assert_true(gm_str_eq(a.r[i].key, c.r[i].key));
	}
	assert_true(differ > 300);
	unload(&a);
	unload(&b);
	unload(&c);
}

static void test_counts_and_keys(void **state)
{
	struct graph g;
	char want[32];

	(void)state;
	load(&g, "generate:?nodes=37&edges=211&seed=3");
	assert_int_equal(g.cnodes, 37);
	assert_int_equal(g.crels, 211);
	assert_int_equal(g.n, 248);
	check_nodes_first(&g);
	for (size_t i = 0; i < g.n; i++) {
		if (i < 37)
			snprintf(want, sizeof(want), "n%zu", i);
		else
			snprintf(want, sizeof(want), "r%zu", i - 37);
		if (!str_is(g.r[i].key, want))
			fail_msg("record %zu has key '%.*s', want '%s'", i, (int)g.r[i].key.len,
				 g.r[i].key.p, want);
		if (g.r[i].kind == GM_REL) {
			assert_true(has_node_key(&g, g.r[i].from));
			assert_true(has_node_key(&g, g.r[i].to));
		}
	}
	check_records(&g);
	unload(&g);

	load(&g, "generate:?nodes=5&edges=0");
	assert_int_equal(g.n, 5);
	assert_int_equal(count_kind(&g, GM_REL), 0);
	unload(&g);

	load(&g, "generate:?nodes=40&edges=40&seed=2&profile=light");
	assert_int_equal(g.n, 80);
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.r[i].nprops, 1);
	assert_int_equal(types_of(&g), GM_TYPES_ALL);
	unload(&g);
	load(&g, "generate:?nodes=3&edges=3&profile=all");
	assert_int_equal(g.r[0].nprops, 16);
	unload(&g);

	load(&g, "generate:?nodes=0&edges=0");
	assert_int_equal(g.n, 0);
	unload(&g);

	load(&g, "generate:");
	assert_int_equal(g.cnodes, 1000);
	assert_int_equal(g.crels, 5000);
	assert_int_equal(g.n, 6000);
	check_nodes_first(&g);
	unload(&g);
}

static void test_every_type(void **state)
{
	struct graph g;

	(void)state;
	/* node 0 alone already carries every type */
	load(&g, "generate:?nodes=1&edges=0&seed=99");
	assert_int_equal(types_of(&g), GM_TYPES_ALL);
	unload(&g);
	load(&g, "generate:?nodes=1&edges=1&seed=5");
	assert_int_equal(gm_record_types(&g.r[1]), GM_TYPES_ALL);
	unload(&g);

	/* each property name keeps one type; edge values occur */
	load(&g, "generate:?nodes=400&edges=400&seed=11");
	assert_int_equal(types_of(&g), GM_TYPES_ALL);
	{
		struct {
			struct gm_str key;
			enum gm_type t;
		} seen[64];
		size_t nseen = 0;
		int nan = 0, negzero = 0, imin = 0, imax = 0, nonascii = 0, four = 0, zone_only = 0,
		    zone_off = 0, srid[4] = {0}, dim3 = 0, off18 = 0;

		for (size_t i = 0; i < g.n; i++)
			for (size_t k = 0; k < g.r[i].nprops; k++) {
				const struct gm_prop *p = &g.r[i].props[k];
				const struct gm_value *v = &p->val;
				size_t j;

				for (j = 0; j < nseen && !gm_str_eq(seen[j].key, p->key); j++)
					;
				if (j == nseen) {
					assert_true(nseen < 64);
					seen[nseen].key = p->key;
					seen[nseen++].t = v->type;
				} else if (seen[j].t != v->type) {
					fail_msg("property '%.*s' is %s and %s", (int)p->key.len,
						 p->key.p, gm_type_name(seen[j].t),
						 gm_type_name(v->type));
				}
				nan |= v->type == GM_T_FLOAT && isnan(v->u.f);
				negzero |= v->type == GM_T_FLOAT && v->u.f == 0 && signbit(v->u.f);
				imin |= v->type == GM_T_INT && v->u.i == INT64_MIN;
				imax |= v->type == GM_T_INT && v->u.i == INT64_MAX;
				if (v->type == GM_T_STRING) {
					nonascii |= has_non_ascii(v->u.s);
					four |= has_4byte_utf8(v->u.s);
				}
				if (v->type == GM_T_DATETIME) {
					zone_only |= !v->u.t.has_offset && v->u.t.zone.len;
					zone_off |= v->u.t.has_offset && v->u.t.zone.len;
				}
				if (v->type == GM_T_TIME)
					off18 |= v->u.t.offset == 18 * 3600 ||
						 v->u.t.offset == -18 * 3600;
				if (v->type == GM_T_POINT) {
					srid[0] |= v->u.pt.srid == 4326 && v->u.pt.dim == 2;
					srid[1] |= v->u.pt.srid == 4979 && v->u.pt.dim == 3;
					srid[2] |= v->u.pt.srid == 7203 && v->u.pt.dim == 2;
					srid[3] |= v->u.pt.srid == 9157 && v->u.pt.dim == 3;
					dim3 |= v->u.pt.dim == 3;
				}
			}
		assert_true(nan && negzero && imin && imax && nonascii && four);
		assert_true(zone_only && zone_off && off18 && dim3);
		assert_true(srid[0] && srid[1] && srid[2] && srid[3]);
		assert_int_equal(nseen, 16);
	}
	check_records(&g);
	unload(&g);
}

static void test_shape(void **state)
{
	struct graph g;
	size_t nodes = 500, loops = 0, parallel = 0, max_out = 0, nonascii_label = 0;
	size_t *out;

	(void)state;
	load(&g, "generate:?nodes=500&edges=20000&seed=42");
	out = calloc(nodes, sizeof(*out));
	assert_non_null(out);
	for (size_t i = 0; i < nodes; i++) {
		const struct gm_record *r = &g.r[i];

		assert_true(r->nlabels >= 1 && r->nlabels <= 3);
		for (size_t a = 0; a < r->nlabels; a++) {
			nonascii_label += has_non_ascii(r->labels[a]);
			for (size_t b = a + 1; b < r->nlabels; b++)
				assert_false(gm_str_eq(r->labels[a], r->labels[b]));
		}
	}
	for (size_t i = nodes; i < g.n; i++) {
		const struct gm_record *r = &g.r[i], *p = &g.r[i - 1];
		size_t from = (size_t)strtoul(r->from.p + 1, NULL, 10);

		assert_true(from < nodes);
		out[from]++;
		loops += gm_str_eq(r->from, r->to);
		if (p->kind == GM_REL && gm_str_eq(r->from, p->from) && gm_str_eq(r->to, p->to) &&
		    gm_str_eq(r->type, p->type))
			parallel++;
	}
	for (size_t i = 0; i < nodes; i++)
		if (out[i] > max_out)
			max_out = out[i];
	/* 20000 / 101 by rule, plus chance */
	assert_true(loops >= 198);
	assert_true(parallel >= 20000 / 53);
	/* heavy tail: the top hub has far more than the mean of 40 */
	assert_true(max_out > 40 * 20);
	assert_true(nonascii_label > 0);
	free(out);
	unload(&g);
}

/* ---- named cases ---- */

static void test_case_empty(void **state)
{
	struct graph g;

	(void)state;
	load(&g, "generate:?case=empty");
	assert_int_equal(g.n, 0);
	assert_int_equal(g.cnodes, 0);
	assert_int_equal(g.crels, 0);
	unload(&g);
	load(&g, "generate:empty");
	assert_int_equal(g.n, 0);
	unload(&g);
}

static void test_case_types(void **state)
{
	struct graph g;
	const struct gm_value *v;

	(void)state;
	load(&g, "generate:?case=types");
	check_nodes_first(&g);
	assert_int_equal(types_of(&g), GM_TYPES_ALL);
	/* the relationship alone has every type too */
	assert_int_equal(gm_record_types(&g.r[g.n - 1]), GM_TYPES_ALL);
	assert_true(find_prop(&g, "int_min")->u.i == INT64_MIN);
	assert_true(find_prop(&g, "int_max")->u.i == INT64_MAX);
	assert_true(find_prop(&g, "int_2p53_plus_1")->u.i == 9007199254740993LL);
	assert_true(isnan(find_prop(&g, "float_nan")->u.f));
	assert_string_equal(text_of(&g, "float_minus_zero"), "-0.0");
	assert_string_equal(text_of(&g, "float_inf"), "Infinity");
	assert_string_equal(text_of(&g, "float_minus_inf"), "-Infinity");
	assert_string_equal(text_of(&g, "float_min_subnormal"), "5e-324");
	assert_string_equal(text_of(&g, "float_max"), "1.7976931348623157e+308");
	v = find_prop(&g, "string_empty");
	assert_true(v->type == GM_T_STRING && v->u.s.len == 0);
	v = find_prop(&g, "string_nul_escapes");
	assert_true(v->type == GM_T_STRING && memchr(v->u.s.p, '\0', v->u.s.len));
	assert_true(memchr(v->u.s.p, '\b', v->u.s.len) && memchr(v->u.s.p, '\f', v->u.s.len));
	assert_true(has_4byte_utf8(v->u.s));
	v = find_prop(&g, "bytes_empty");
	assert_true(v->type == GM_T_BYTES && v->u.s.len == 0);
	assert_int_equal(find_prop(&g, "bytes_all")->u.s.len, 256);
	v = find_prop(&g, "list_empty");
	assert_true(v->type == GM_T_LIST && v->u.list.n == 0);
	v = find_prop(&g, "map_empty");
	assert_true(v->type == GM_T_MAP && v->u.map.n == 0);
	v = find_prop(&g, "map_type_value");
	assert_true(v->type == GM_T_MAP && v->u.map.n == 2);
	assert_true(str_is(v->u.map.p[0].key, "$type") && str_is(v->u.map.p[1].key, "_value"));
	v = find_prop(&g, "map_nested");
	assert_true(v->type == GM_T_MAP && (gm_value_types(v) & GM_TYPE_BIT(GM_T_LIST)));
	assert_string_equal(text_of(&g, "date_min"), "-9999-01-01");
	assert_string_equal(text_of(&g, "date_max"), "9999-12-31");
	assert_string_equal(text_of(&g, "date_big"), "+10000-01-01");
	assert_string_equal(text_of(&g, "localtime_1ns"), "00:00:00.000000001");
	assert_string_equal(text_of(&g, "time_plus18"), "12:00:00+18:00");
	assert_string_equal(text_of(&g, "time_minus18"), "12:00:00-18:00");
	assert_string_equal(text_of(&g, "time_offset_secs"), "12:00:00.000000001+01:00:30");
	assert_string_equal(text_of(&g, "datetime_zone_offset"),
			    "2015-06-24T12:50:35.556+02:00[Europe/Berlin]");
	assert_string_equal(text_of(&g, "datetime_zone_only"),
			    "2015-06-24T12:50:35[America/New_York]");
	assert_string_equal(text_of(&g, "datetime_offset_secs"),
			    "1890-01-01T00:00:00+00:19:32[Europe/Amsterdam]");
	assert_string_equal(text_of(&g, "duration_negative"), "P-1Y-2M-3DT-1H-2M-3.5S");
	assert_string_equal(text_of(&g, "duration_minus_half_second"), "PT-0.5S");
	assert_string_equal(text_of(&g, "duration_zero"), "PT0S");
	assert_string_equal(text_of(&g, "point_wgs84"), "SRID=4326;POINT (13.1 33.46789)");
	assert_string_equal(text_of(&g, "point_wgs84_3d"), "SRID=4979;POINT Z (-122.3 47.6 100.0)");
	assert_string_equal(text_of(&g, "point_cartesian"), "SRID=7203;POINT (-0.0 1e+300)");
	assert_string_equal(text_of(&g, "point_cartesian_3d"), "SRID=9157;POINT Z (1.0 2.0 3.0)");
	v = find_prop(&g, "vector");
	assert_true(v->type == GM_T_VECTOR && v->u.vec.n == 6 && signbit(v->u.vec.v[1]));
	check_records(&g);
	unload(&g);
}

static void test_case_unicode(void **state)
{
	struct graph g;
	int label = 0, key = 0, name = 0, value4 = 0, type = 0;

	(void)state;
	load(&g, "generate:?case=unicode");
	check_nodes_first(&g);
	for (size_t i = 0; i < g.n; i++) {
		const struct gm_record *r = &g.r[i];

		key |= has_non_ascii(r->key);
		type |= has_non_ascii(r->type);
		for (size_t k = 0; k < r->nlabels; k++)
			label |= has_non_ascii(r->labels[k]);
		for (size_t k = 0; k < r->nprops; k++) {
			name |= has_4byte_utf8(r->props[k].key);
			if (r->props[k].val.type == GM_T_STRING)
				value4 |= has_4byte_utf8(r->props[k].val.u.s);
		}
		if (r->kind == GM_REL) {
			assert_true(has_node_key(&g, r->from));
			assert_true(has_node_key(&g, r->to));
		}
	}
	assert_true(label && key && name && value4 && type);
	check_records(&g);
	unload(&g);
}

static void test_case_graph_shapes(void **state)
{
	struct graph g;
	size_t loops = 0, same = 0, dangling = 0, dup = 0;

	(void)state;
	load(&g, "generate:?case=selfloops");
	check_nodes_first(&g);
	for (size_t i = 0; i < g.n; i++)
		loops += g.r[i].kind == GM_REL && gm_str_eq(g.r[i].from, g.r[i].to);
	assert_int_equal(loops, 4);
	check_records(&g);
	unload(&g);

	load(&g, "generate:?case=parallel");
	check_nodes_first(&g);
	for (size_t i = 0; i < g.n; i++)
		for (size_t j = i + 1; j < g.n; j++)
			if (g.r[i].kind == GM_REL && g.r[j].kind == GM_REL &&
			    gm_str_eq(g.r[i].from, g.r[j].from) &&
			    gm_str_eq(g.r[i].to, g.r[j].to) &&
			    gm_str_eq(g.r[i].type, g.r[j].type)) {
				same++;
				dup += props_equal(&g.r[i], &g.r[j]);
			}
	assert_int_equal(same, 6); /* 4 parallel LINKs: 6 pairs */
	assert_true(dup >= 1);	   /* two of them identical but for the key */
	check_records(&g);
	unload(&g);

	load(&g, "generate:?case=dangling");
	check_nodes_first(&g);
	for (size_t i = 0; i < g.n; i++)
		if (g.r[i].kind == GM_REL)
			dangling += !has_node_key(&g, g.r[i].to) + !has_node_key(&g, g.r[i].from);
	assert_int_equal(dangling, 2);
	check_records(&g);
	unload(&g);

	load(&g, "generate:?case=dupkey");
	check_nodes_first(&g);
	dup = 0;
	for (size_t i = 0; i < g.n; i++)
		for (size_t j = i + 1; j < g.n; j++)
			dup += g.r[i].kind == GM_NODE && g.r[j].kind == GM_NODE &&
			       gm_str_eq(g.r[i].key, g.r[j].key);
	assert_int_equal(dup, 1);
	check_records(&g);
	unload(&g);
}

static void test_case_big(void **state)
{
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	struct gm_backend *b;
	struct gm_arena *a;
	struct gm_record rec;
	uint64_t nodes = 0, rels = 0, cn, cr;
	uint32_t types = 0;
	int rc;

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(gm_backend_open(&b, "generate:?case=big", &o), 0);
	assert_int_equal(b->ops->count(b, &cn, &cr), 0);
	assert_true(cn == 1000 && cr == 100000);
	while ((rc = b->ops->read_next(b, &rec, a)) == 0) {
		if (rec.kind == GM_NODE) {
			assert_true(rels == 0);
			nodes++;
		} else {
			unsigned long f = strtoul(rec.from.p + 1, NULL, 10);
			unsigned long t = strtoul(rec.to.p + 1, NULL, 10);

			assert_true(f < 1000 && t < 1000);
			rels++;
		}
		assert_int_equal(rec.nprops, 1);
		types |= gm_record_types(&rec);
		gm_arena_reset(a);
	}
	assert_int_equal(rc, GM_ITEROVER);
	assert_true(nodes == 1000 && rels == 100000);
	/* the big case is "plain": only what every format stores */
	assert_int_equal(types, GM_TYPE_BIT(GM_T_BOOL) | GM_TYPE_BIT(GM_T_INT) |
					GM_TYPE_BIT(GM_T_FLOAT) | GM_TYPE_BIT(GM_T_STRING) |
					GM_TYPE_BIT(GM_T_LIST));
	gm_backend_close(b);
	gm_arena_free(a);
}

static void test_errors(void **state)
{
	static const struct {
		const char *uri;
		int code;
		const char *msg;
	} cases[] = {
		{"generate:?nodes=x", GM_EINVAL, "generate: bad value 'x' for 'nodes'"},
		{"generate:?nodes=", GM_EINVAL, "generate: empty value for 'nodes'"},
		{"generate:?vertices=3", GM_EINVAL,
		 "generate: unknown parameter 'vertices' (known: nodes, edges, seed, profile, "
		 "case)"},
		{"generate:?profile=heavy", GM_EINVAL,
		 "generate: unknown profile 'heavy' (known: all, light, plain, memorygraph)"},
		{"generate:?nodes", GM_EINVAL, "generate: expected key=value, got 'nodes'"},
		{"generate:?case=nope", GM_EINVAL,
		 "generate: unknown case 'nope' (known: empty, unicode, types, selfloops, "
		 "parallel, dangling, dupkey, big)"},
		{"generate:nope", GM_EINVAL,
		 "generate: unknown case 'nope' (known: empty, unicode, types, selfloops, "
		 "parallel, dangling, dupkey, big)"},
		{"generate:?case=types&nodes=3", GM_EINVAL,
		 "generate: a case has a fixed size; drop nodes/edges"},
		{"generate:?nodes=0&edges=3", GM_EINVAL, "generate: relationships need nodes"},
		{"generate:?nodes=99999999999", GM_EINVAL, "generate: at most 4294967295 nodes"},
		{"generate:?seed=99999999999999999999", GM_EINVAL,
		 "generate: bad value '99999999999999999999' for 'seed'"},
	};
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	struct gm_backend *b;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = gm_backend_open(&b, cases[i].uri, &o);

		if (rc != cases[i].code)
			fail_msg("'%s': got %d (%s)", cases[i].uri, rc, gm_error_last());
		assert_null(b);
		assert_string_equal(gm_error_last(), cases[i].msg);
	}
	o.mode = GM_OPEN_WRITE;
	assert_int_equal(gm_backend_open(&b, "generate:?nodes=1", &o), GM_EUNSUPPORTED);
	assert_non_null(gm_backend_find("generate", 8));
}

static void test_alloc_failure(void **state)
{
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	struct gm_backend *b = NULL;
	struct gm_arena *a;
	struct gm_record rec;
	int rc = 0;

	(void)state;
	/* failures at open and at every read: clean errors, no leaks (ASan checks) */
	for (unsigned long n = 1; n < 12; n++) {
		gm_alloc_fail_after(n, 1);
		rc = gm_backend_open(&b, "generate:?case=types", &o);
		if (rc == 0) {
			if (gm_arena_new(&a) == 0) {
				while ((rc = b->ops->read_next(b, &rec, a)) == 0)
					;
				assert_true(rc == GM_ENOMEM || rc == GM_ITEROVER);
				gm_arena_free(a);
			}
			gm_backend_close(b);
		} else {
			assert_int_equal(rc, GM_ENOMEM);
		}
		gm_alloc_fail_after(0, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic), cmocka_unit_test(test_counts_and_keys),
		cmocka_unit_test(test_every_type),    cmocka_unit_test(test_shape),
		cmocka_unit_test(test_case_empty),    cmocka_unit_test(test_case_types),
		cmocka_unit_test(test_case_unicode),  cmocka_unit_test(test_case_graph_shapes),
		cmocka_unit_test(test_case_big),      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_alloc_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
