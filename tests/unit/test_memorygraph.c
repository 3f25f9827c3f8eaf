/* SPDX-License-Identifier: MIT */
/*
 * Tests for MemoryGraph support: the json.dumps-exact writer (pyjson), the
 * memorygraph backend on the literal rows of MemoryGraph 0.12.4, and the
 * mgjson writer on the literal 1535-byte export.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "pyjson.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/gmig-test-mg.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- pyjson ---- */

static void expect_float(double d, const char *want)
{
	struct gm_buf b = GM_BUF_INIT;

	assert_int_equal(gm_pyjson_float(&b, d), 0);
	assert_string_equal(b.p, want);
	gm_buf_free(&b);
}

static void test_float_repr(void **state)
{
	(void)state;
	/* Python: repr(float) as json.dumps writes it */
	expect_float(0.8, "0.8");
	expect_float(1.0, "1.0");
	expect_float(100.0, "100.0");
	expect_float(2.5, "2.5");
	expect_float(-2.5, "-2.5");
	expect_float(0.0, "0.0");
	expect_float(-0.0, "-0.0");
	expect_float(1e16, "1e+16");
	expect_float(1e15, "1000000000000000.0");
	expect_float(1.5e16, "1.5e+16");
	expect_float(123456789012345680.0, "1.2345678901234568e+17");
	expect_float(1e22, "1e+22");
	expect_float(0.0001, "0.0001");
	expect_float(0.00012, "0.00012");
	expect_float(1e-05, "1e-05");
	expect_float(1.5e-07, "1.5e-07");
	expect_float(0.1 + 0.2, "0.30000000000000004");
	expect_float(12345.678, "12345.678");
	expect_float(5e-324, "5e-324");
	expect_float(1.7976931348623157e308, "1.7976931348623157e+308");
	expect_float(1e100, "1e+100");
	expect_float(NAN, "NaN");
	expect_float(INFINITY, "Infinity");
	expect_float(-INFINITY, "-Infinity");
}

static void test_string_ascii(void **state)
{
	struct gm_buf b = GM_BUF_INIT;
	const char s[] = "\xc3\xa9\xf0\x9f\x98\x80\x7f\x01\n\t\"\\/ \xe2\x80\xa8~";

	(void)state;
	assert_int_equal(gm_pyjson_string(&b, s, sizeof(s) - 1), 0);
	/* json.dumps("é😀\x7f\x01\n\t\"\\/ \u2028~") */
	assert_string_equal(b.p, "\"\\u00e9\\ud83d\\ude00\\u007f\\u0001\\n\\t\\\"\\\\/ \\u2028~\"");
	gm_buf_clear(&b);
	assert_int_equal(gm_pyjson_string(&b, "\x7f\x7f", 2), 0);
	assert_string_equal(b.p, "\"\\u007f\\u007f\"");
	gm_buf_free(&b);
}

static void test_value_layouts(void **state)
{
	struct gm_value items[3], inner[1], v;
	struct gm_prop props[3];
	struct gm_buf b = GM_BUF_INIT;

	(void)state;
	items[0] = (struct gm_value){.type = GM_T_STRING, .u.s = {"redis", 5}};
	items[1] = (struct gm_value){.type = GM_T_INT, .u.i = -3};
	items[2] = (struct gm_value){.type = GM_T_NULL};
	inner[0] = (struct gm_value){.type = GM_T_BOOL, .u.b = 1};
	props[0] = (struct gm_prop){{"tags", 4}, {.type = GM_T_LIST, .u.list = {items, 3}}};
	props[1] = (struct gm_prop){{"empty", 5}, {.type = GM_T_LIST, .u.list = {NULL, 0}}};
	props[2] = (struct gm_prop){{"m", 1}, {.type = GM_T_MAP, .u.map = {NULL, 0}}};
	v = (struct gm_value){.type = GM_T_MAP, .u.map = {props, 3}};
	(void)inner;
	assert_int_equal(gm_pyjson_value(&b, &v, -1, 0), 0);
	assert_string_equal(b.p, "{\"tags\": [\"redis\", -3, null], \"empty\": [], \"m\": {}}");
	gm_buf_clear(&b);
	assert_int_equal(gm_pyjson_value(&b, &v, 2, 0), 0);
	assert_string_equal(b.p, "{\n  \"tags\": [\n    \"redis\",\n    -3,\n    null\n  ],\n"
				 "  \"empty\": [],\n  \"m\": {}\n}");
	gm_buf_free(&b);
}

static void test_isoformat(void **state)
{
	struct gm_value v = {.type = GM_T_DATETIME};
	struct gm_buf b = GM_BUF_INIT;

	(void)state;
	/* 2026-11-22T15:17:12.946991+00:00 */
	v.u.t.secs = 1795360632;
	v.u.t.nanos = 946991000;
	v.u.t.has_offset = 1;
	assert_int_equal(gm_pyjson_value(&b, &v, -1, 0), 0);
	assert_string_equal(b.p, "\"2026-11-22T15:17:12.946991+00:00\"");
	gm_buf_clear(&b);
	v.u.t.nanos = 999; /* below a microsecond: Python has none */
	v.u.t.offset = -(5 * 3600 + 30 * 60);
	assert_int_equal(gm_pyjson_value(&b, &v, -1, 0), 0);
	assert_string_equal(b.p, "\"2026-11-22T15:17:12-05:30\"");
	gm_buf_free(&b);
}

/* ---- the memorygraph backend on MemoryGraph's literal rows ---- */

static const char node1_props[] =
	"{\"id\": \"mem-problem-1\", \"type\": \"problem\", \"title\": \"Redis Connection "
	"Timeout\", "
	"\"content\": \"Redis connections timing out after 1000ms\", \"tags\": [\"redis\", "
	"\"timeout\"], \"importance\": 0.8, \"confidence\": 0.8, \"usage_count\": 0, "
	"\"created_at\": \"2026-11-22T15:17:12.946969+00:00\", \"updated_at\": "
	"\"2026-11-22T15:17:12.946998+00:00\", \"context_project_path\": \"/project/api\", "
	"\"context_files_involved\": \"[]\", \"context_languages\": [\"python\"], "
	"\"context_frameworks\": \"[]\", \"context_technologies\": \"[]\", \"context_timestamp\": "
	"\"2026-11-22T15:17:12.946899+00:00\", \"context_additional_metadata\": \"{\\\"k\\\": "
	"1}\", "
	"\"context_visibility\": \"project\"}";
static const char node2_props[] =
	"{\"id\": \"mem-solution-1\", \"type\": \"solution\", \"title\": \"Redis Timeout Fix\", "
	"\"content\": \"Increase timeout to 5000ms\", \"tags\": [], \"importance\": 0.9, "
	"\"confidence\": 0.8, \"usage_count\": 3, \"created_at\": "
	"\"2026-11-22T15:17:12.946991+00:00\", \"updated_at\": "
	"\"2026-11-22T15:17:12.949033+00:00\", "
	"\"summary\": \"bump timeout\", \"effectiveness\": 0.7}";
static const char rel_props[] =
	"{\"strength\": 0.9, \"confidence\": 0.95, \"context\": \"verified\", \"evidence_count\": "
	"1, "
	"\"success_rate\": null, \"created_at\": \"2026-11-22T15:17:12.950786+00:00\", "
	"\"last_validated\": \"2026-11-22T15:17:12.950792+00:00\", \"validation_count\": 0, "
	"\"counter_evidence_count\": 0, \"valid_from\": \"2026-11-22T15:17:12.950795+00:00\", "
	"\"valid_until\": null, \"recorded_at\": \"2026-11-22T15:17:12.950797+00:00\", "
	"\"invalidated_by\": null, \"id\": \"9bd3814a-7eb9-4e1d-b63c-b02721deea1a\"}";

static void sql(const char *path, const char *fmt, ...)
{
	sqlite3 *db;
	char *q;
	va_list ap;

	va_start(ap, fmt);
	q = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(q);
	sqlite3_close(db);
}

/* A MemoryGraph store with the reference's literal rows (schema by gmig's writer). */
static void make_literal_db(const char *path)
{
	struct gm_backend *b;
	struct gm_open_opts wo = {.mode = GM_OPEN_WRITE};
	char uri[400];

	snprintf(uri, sizeof(uri), "memorygraph:%s", path);
	assert_int_equal(gm_backend_open(&b, uri, &wo), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	sql(path,
	    "INSERT INTO nodes VALUES ('mem-problem-1','Memory',%Q,'2026-11-22 "
	    "15:17:12','2026-11-22 "
	    "15:17:12');"
	    "INSERT INTO nodes VALUES ('mem-solution-1','Memory',%Q,'2026-11-22 "
	    "15:17:12','2026-11-22 15:17:12');"
	    "INSERT INTO relationships VALUES ('9bd3814a-7eb9-4e1d-b63c-b02721deea1a',"
	    "'mem-solution-1','mem-problem-1','SOLVES',%Q,'2026-11-22 "
	    "15:17:12','2026-11-22T15:17:12.950795+00:00',NULL,'2026-11-22T15:17:12.950797+00:00',"
	    "NULL)",
	    node1_props, node2_props, rel_props);
}

static const struct gm_value *find(const struct gm_record *r, const char *key)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (r->props[i].key.len == strlen(key) &&
		    !memcmp(r->props[i].key.p, key, r->props[i].key.len))
			return &r->props[i].val;
	return NULL;
}

static void assert_str(const struct gm_value *v, const char *s)
{
	assert_non_null(v);
	assert_int_equal(v->type, GM_T_STRING);
	assert_int_equal(v->u.s.len, strlen(s));
	assert_memory_equal(v->u.s.p, s, v->u.s.len);
}

/* Reads every record of uri into recs (deep copies in a). Returns the count. */
static size_t read_all(const char *uri, struct gm_record *recs, size_t max, struct gm_arena *a)
{
	struct gm_backend *b;
	struct gm_open_opts ro = {.mode = GM_OPEN_READ};
	size_t n = 0;
	int rc;

	assert_int_equal(gm_backend_open(&b, uri, &ro), 0);
	while ((rc = b->ops->read_next(b, &recs[n], a)) == 0) {
		assert_true(n < max);
		n++;
	}
	assert_int_equal(rc, GM_ITEROVER);
	gm_backend_close(b);
	return n;
}

static void test_read_literal_rows(void **state)
{
	char path[300], uri[320];
	struct gm_record recs[8];
	struct gm_arena *a;
	const struct gm_value *v;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/lit.db", dir);
	make_literal_db(path);
	snprintf(uri, sizeof(uri), "memorygraph:%s", path);
	assert_int_equal(gm_arena_new(&a), 0);
	n = read_all(uri, recs, 8, a);
	assert_int_equal(n, 3);

	assert_int_equal(recs[0].kind, GM_NODE);
	assert_memory_equal(recs[0].key.p, "mem-problem-1", 13);
	assert_int_equal(recs[0].nlabels, 1);
	assert_memory_equal(recs[0].labels[0].p, "Memory", 6);
	/* 18 JSON members + the two column carriers; nothing else is needed */
	assert_int_equal(recs[0].nprops, 20);
	assert_null(find(&recs[0], "_mg_json"));
	assert_str(find(&recs[0], "_mg_created_at"), "2026-11-22 15:17:12");
	assert_str(find(&recs[0], "_mg_updated_at"), "2026-11-22 15:17:12");
	assert_str(find(&recs[0], "context_files_involved"), "[]"); /* the quirk, kept */
	assert_str(find(&recs[0], "context_additional_metadata"), "{\"k\": 1}");
	v = find(&recs[0], "tags");
	assert_int_equal(v->type, GM_T_LIST);
	assert_int_equal(v->u.list.n, 2);
	v = find(&recs[0], "importance");
	assert_int_equal(v->type, GM_T_FLOAT);
	assert_true(v->u.f == 0.8);
	v = find(&recs[0], "usage_count");
	assert_int_equal(v->type, GM_T_INT);
	assert_int_equal(v->u.i, 0);

	assert_int_equal(recs[1].kind, GM_NODE);
	v = find(&recs[1], "effectiveness");
	assert_int_equal(v->type, GM_T_FLOAT);
	assert_true(v->u.f == 0.7);
	assert_str(find(&recs[1], "summary"), "bump timeout");

	assert_int_equal(recs[2].kind, GM_REL);
	assert_memory_equal(recs[2].key.p, "9bd3814a-7eb9-4e1d-b63c-b02721deea1a", 36);
	assert_memory_equal(recs[2].type.p, "SOLVES", 6);
	assert_memory_equal(recs[2].from.p, "mem-solution-1", 14);
	assert_memory_equal(recs[2].to.p, "mem-problem-1", 13);
	/* 14 keys minus the 3 nulls, plus the created_at column */
	assert_int_equal(recs[2].nprops, 12);
	assert_null(find(&recs[2], "success_rate"));
	assert_null(find(&recs[2], "valid_until"));
	assert_str(find(&recs[2], "valid_from"), "2026-11-22T15:17:12.950795+00:00");
	assert_str(find(&recs[2], "id"), "9bd3814a-7eb9-4e1d-b63c-b02721deea1a");
	assert_null(find(&recs[2], "_mg_json"));
	gm_arena_free(a);
}

/* The invalidation MemoryGraph does: columns change, the JSON does not. */
/* memorygraph.c's parser of the properties text, as mgmap.h declares it */
int gm__mg_parse_object(const char *text, size_t len, struct gm_arena *a, int keep_nulls,
			struct gm_prop **out, size_t *n);

/*
 * The backend reads properties with a fast parser and falls back to the general
 * one: for every text, the values read are the general parser's, and a text it
 * rejects travels verbatim in _mg_json.
 */
static void test_read_props_like_general_parser(void **state)
{
	static const char *const texts[] = {
		"{\"id\": \"a\", \"type\": \"fix\", \"n\": -0, \"big\": 9223372036854775807}",
		"{\"x\": -9223372036854775808, \"y\": 9223372036854775808}",
		"{\"f\": 0.1, \"g\": -532659.8954370818, \"h\": 1e-05, \"i\": 1.5e+300, \"j\": "
		"2E3}",
		"{\"f\": 1.00000000000000000000001, \"g\": 123456789012345678901234.5}",
		"{\"s\": \"caf\\u00e9 \\ud834\\udd1e \\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u0000 end\"}",
		"{\"s\": \"lone \\ud834 surrogate\"}",
		"{\"s\": \"lone \\udd1e low\"}",
		"{\"s\": \"bad \\x escape\"}",
		"{\"s\": \"raw \xc3\xa9 utf8\"}",
		"{\"s\": \"bad \xc3 utf8\"}",
		"{\"s\": \"ctl \x01 char\"}",
		"{\"l\": [1, [2, [3, {}]], [], {\"k\": null}], \"m\": {\"a\": {\"b\": [true, "
		"false]}}}",
		"{\"a\": 1, \"a\": 2}",
		"{\"a\\u0062\": 1, \"ab\": 2}",
		"{\"n\": NaN}",
		"{\"n\": Infinity}",
		"{\"n\": 01}",
		"{\"n\": 1.}",
		"{\"n\": .5}",
		"{\"n\": 1e}",
		"{\"n\": 1+2}",
		"{\"n\": -}",
		"{\"t\": truex}",
		"{\"t\": nul}",
		"{\"a\": 1,}",
		"{\"a\": 1} x",
		"{\"a\": 1}  \n\t",
		"  {\"a\" :1 ,\"b\":null}",
		"\xef\xbb\xbf{\"bom\": 1}",
		"[1, 2]",
		"\"just a string\"",
		"{}",
		"",
		"{\"a\": 1",
		"{\"deep\": "
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]"
		"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	};
	enum { N = sizeof(texts) / sizeof(texts[0]) };
	char path[300], uri[320];
	struct gm_record recs[N];
	struct gm_arena *a;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/props.db", dir);
	make_literal_db(path);
	sql(path, "DELETE FROM relationships; DELETE FROM nodes");
	for (size_t i = 0; i < N; i++)
		sql(path, "INSERT INTO nodes VALUES ('n%03d','Memory',%Q,'t','t')", (int)i,
		    texts[i]);
	snprintf(uri, sizeof(uri), "memorygraph:%s", path);
	assert_int_equal(gm_arena_new(&a), 0);
	n = read_all(uri, recs, N, a);
	assert_int_equal(n, N);
	for (size_t i = 0; i < N; i++) {
		struct gm_prop *p = NULL;
		size_t np = 0, k = 0;
		int ok = gm__mg_parse_object(texts[i], strlen(texts[i]), a, 0, &p, &np) == 0;

		for (size_t j = 0; j < recs[i].nprops; j++) {
			const struct gm_prop *r = &recs[i].props[j];

			if (r->key.len >= 4 && !memcmp(r->key.p, "_mg_", 4))
				continue;
			if (!ok || k >= np)
				fail_msg("text %zu: unexpected property '%.*s'", i, (int)r->key.len,
					 r->key.p);
			if (!gm_str_eq(r->key, p[k].key) || !gm_value_equal(&r->val, &p[k].val))
				fail_msg("text %zu: property %zu differs", i, k);
			k++;
		}
		if (ok && k != np)
			fail_msg("text %zu: %zu properties read, %zu parsed", i, k, np);
		if (!ok)
			assert_str(find(&recs[i], "_mg_json"), texts[i]);
	}
	gm_arena_free(a);
}

int gm__mg_memory_json(struct gm_buf *b, const struct gm_prop *p, size_t n);

/* JSON values, canonical as json.dumps writes them and not */
static const char *const canon_values[] = {
	"0.1",
	"0.59",
	"1.0",
	"1000.0",
	"0.0001",
	"0.001",
	"0.00012",
	"1e-05",
	"1e+16",
	"1e16",
	"12345678901234567.0",
	"1234567890123456.0",
	"123456789012345.0",
	"10000000000000000.0",
	"1000000000000000.0",
	"0.30000000000000004",
	"0.3",
	"0.30",
	"123456789012345.6",
	"12345678901234.56",
	"1234567890123456.7",
	"9007199254740993.0",
	"-0.0",
	"0.0",
	"-1.5",
	"2.50",
	"100.0",
	"1.25e2",
	"0.000123",
	"5e-324",
	"1.7976931348623157e+308",
	"0.00001",
	"1.000",
	"01.5",
	"-0.5",
	"0.1000000000000000055511151231257827",
	"0.123456789012345",
	"0.0123456789012345",
	"0.1234567890123456",
	"-0",
	"0",
	"-5",
	"9223372036854775807",
	"\"caf\\u00e9\"",
	"\"caf\\u00E9\"",
	"\"a\\/b\"",
	"\"\\u0041\"",
	"\"\\u007f\"",
	"\"del \x7f\"",
	"\"\\u001f\"",
	"\"\\u000a\"",
	"\"\\n\"",
	"\"\\ud834\\udd1e\"",
	"\"\\uD834\\uDD1E\"",
	"\"\\ud834\\uDD1E\"",
	"\"\\\" \\\\ \\b\\f\\n\\r\\t\"",
	"\"\\u0000\"",
	"\"\\u0008\"",
	"\"\\u00ff\\u20ac\"",
	"\"{\\\"k\\\": 1}\"",
	"[1,2]",
	"[ 1]",
	"[1 ]",
	"[1, 2]",
	"[1,  2]",
	"{}",
	"[]",
	"{ }",
	"[ ]",
	"{\"a\": [1, 2.5, true, false, null]}",
	"{\"a\":1}",
	"{\"a\" : 1}",
	"{\"b\": 1, \"a\": 2}",
	"[null]",
	"true",
	"null",
	"\"tab\\tx\"",
	"\""
	"\\u00e9"
	"\"",
};

/* the 14 keys of a relationship's JSON, in MemoryGraph's order */
static const char *const rk[14] = {"strength",
				   "confidence",
				   "context",
				   "evidence_count",
				   "success_rate",
				   "created_at",
				   "last_validated",
				   "validation_count",
				   "counter_evidence_count",
				   "valid_from",
				   "valid_until",
				   "recorded_at",
				   "invalidated_by",
				   "id"};

/* What the writer renders for a relationship's parsed JSON (all 14 keys first), or -1. */
static int rel_render(struct gm_buf *b, const struct gm_prop *p, size_t n)
{
	assert_int_equal(gm_buf_putc(b, '{'), 0);
	for (int k = 0; k < 14; k++) {
		size_t i = 0;

		while (i < n &&
		       !(p[i].key.len == strlen(rk[k]) && !memcmp(p[i].key.p, rk[k], p[i].key.len)))
			i++;
		if (i == n)
			return -1;
		if (k)
			assert_int_equal(gm_buf_put(b, ", ", 2), 0);
		if (gm_pyjson_string(b, rk[k], strlen(rk[k])) < 0 || gm_buf_put(b, ": ", 2) < 0 ||
		    gm_pyjson_value(b, &p[i].val, -1, 0) < 0)
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int known = p[i].key.len >= 4 && !memcmp(p[i].key.p, "_mg_", 4);

		for (int k = 0; k < 14; k++)
			known |= p[i].key.len == strlen(rk[k]) &&
				 !memcmp(p[i].key.p, rk[k], p[i].key.len);
		if (known)
			continue;
		if (gm_buf_put(b, ", ", 2) < 0 ||
		    gm_pyjson_string(b, p[i].key.p, p[i].key.len) < 0 ||
		    gm_buf_put(b, ": ", 2) < 0 || gm_pyjson_value(b, &p[i].val, -1, 0) < 0)
			return -1;
	}
	return gm_buf_putc(b, '}');
}

/*
 * The reader judges a canonical text while parsing it: for every text, _mg_json
 * is there exactly when rendering the general parser's values differs from it.
 */
static void test_read_raw_json_like_rendering(void **state)
{
	enum { NV = sizeof(canon_values) / sizeof(canon_values[0]), NS = 20 };
	static const char *const node_texts[NS] = {
		"{\"id\": \"a\", \"type\": \"fix\", \"title\": \"t\", \"content\": \"c\", "
		"\"tags\": "
		"[\"x\", \"y\"], \"importance\": 0.5, \"confidence\": 0.59, \"usage_count\": 3, "
		"\"created_at\": \"2025-01-01T00:00:00+00:00\", \"context_project_path\": \"/p\", "
		"\"context_additional_metadata\": \"{\\\"k\\\": 1}\", \"zzz\": {\"a\": [1, null]}}",
		"{\"type\": \"fix\", \"id\": \"a\"}",
		"{\"zz\": 1, \"id\": \"a\"}",
		"{\"id\": \"a\", \"_mg_x\": 1}",
		"{\"id\": \"a\", \"n\": null}",
		"{\"id\": \"a\", \"zz\": 1, \"type\": \"x\"}",
		"{\"id\": \"a\", \"id\": \"b\"}",
		"{\"id\":\"a\"}",
		"{\"id\": \"a\" }",
		"{ \"id\": \"a\"}",
		"{\"id\": \"a\",  \"b\": 1}",
		"{\"id\": \"a\",\"b\": 1}",
		"{\"id\": \"a\", \"b\":  1}",
		"{\"id\": \"a\", \"b\":\t1}",
		" {\"id\": \"a\"}",
		"{\"id\": \"a\"} ",
		"{}",
		"{ }",
		"{\"context_timestamp\": \"x\", \"context_project_path\": \"y\"}",
		"{\"id\": \"a\", \"type\": \"fix\", \"n\": null, \"zz\": 1}",
	};
	static const char rel_fmt[] =
		"{\"strength\": %s, \"confidence\": 0.8, \"context\": null, \"evidence_count\": 1, "
		"\"success_rate\": null, \"created_at\": \"2025-01-01T00:00:00+00:00\", "
		"\"last_validated\": \"2025-01-01T00:00:00+00:00\", \"validation_count\": 0, "
		"\"counter_evidence_count\": 0, \"valid_from\": "
		"\"2026-11-22T15:17:12.950795+00:00\", "
		"\"valid_until\": null, \"recorded_at\": \"2026-11-22T15:17:12.950797+00:00\", "
		"\"invalidated_by\": null, \"id\": \"r\"%s}";
	static const char *const rel_tails[] = {
		"", ", \"x\": 1", ", \"_mg_x\": 1", ", \"id\": 2", ", \"x\": [1,2]", ",\"x\": 1"};
	enum { NT = sizeof(rel_tails) / sizeof(rel_tails[0]) };
	static char texts[2 * NV + NS + NT + 2][1024];
	size_t nn = 0, nr = 0, n;
	char path[300], uri[320];
	static struct gm_record recs[2 * NV + NS + NT + 2];
	struct gm_arena *a;
	struct gm_buf b = GM_BUF_INIT;
	int raws = 0, canons = 0;

	(void)state;
	for (size_t i = 0; i < NV; i++)
		snprintf(texts[nn++], sizeof(texts[0]), "{\"id\": \"a\", \"v\": %s}",
			 canon_values[i]);
	for (size_t i = 0; i < NS; i++)
		snprintf(texts[nn++], sizeof(texts[0]), "%s", node_texts[i]);
	for (size_t i = 0; i < NV; i++)
		snprintf(texts[nn + nr++], sizeof(texts[0]), rel_fmt, canon_values[i], "");
	for (size_t i = 0; i < NT; i++)
		snprintf(texts[nn + nr++], sizeof(texts[0]), rel_fmt, "0.5", rel_tails[i]);
	/* key order */
	snprintf(texts[nn + nr++], sizeof(texts[0]), "%s",
		 "{\"confidence\": 0.8, \"strength\": 0.5, \"context\": null, \"evidence_count\": "
		 "1, "
		 "\"success_rate\": null, \"created_at\": \"c\", \"last_validated\": \"l\", "
		 "\"validation_count\": 0, \"counter_evidence_count\": 0, \"valid_from\": "
		 "\"2026-11-22T15:17:12.950795+00:00\", \"valid_until\": null, \"recorded_at\": "
		 "\"2026-11-22T15:17:12.950797+00:00\", \"invalidated_by\": null, \"id\": \"r\"}");
	snprintf(texts[nn + nr++], sizeof(texts[0]), "%s", "{\"strength\": 0.5}");

	snprintf(path, sizeof(path), "%s/canon.db", dir);
	make_literal_db(path);
	sql(path, "DELETE FROM relationships; DELETE FROM nodes");
	for (size_t i = 0; i < nn; i++)
		sql(path, "INSERT INTO nodes VALUES ('n%03d','Memory',%Q,'t','t')", (int)i,
		    texts[i]);
	for (size_t i = 0; i < nr; i++)
		sql(path,
		    "INSERT INTO relationships VALUES ('r%03d','n000','n001','SOLVES',%Q,'t',"
		    "'2026-11-22T15:17:12.950795+00:00',NULL,'2026-11-22T15:17:12.950797+00:00',"
		    "NULL)",
		    (int)i, texts[nn + i]);
	snprintf(uri, sizeof(uri), "memorygraph:%s", path);
	assert_int_equal(gm_arena_new(&a), 0);
	n = read_all(uri, recs, nn + nr, a);
	assert_int_equal(n, nn + nr);
	for (size_t i = 0; i < n; i++) {
		struct gm_prop *p = NULL;
		size_t np = 0;
		int rel = i >= nn;
		int ok = gm__mg_parse_object(texts[i], strlen(texts[i]), a, rel, &p, &np) == 0;
		int same;

		gm_error_clear();
		gm_buf_clear(&b);
		if (ok)
			ok = (rel ? rel_render(&b, p, np) : gm__mg_memory_json(&b, p, np)) == 0;
		gm_error_clear();
		same = ok && b.len == strlen(texts[i]) && !memcmp(b.p, texts[i], b.len);
		if (same == (find(&recs[i], "_mg_json") != NULL))
			fail_msg("text %zu (%s): _mg_json %s", i, texts[i],
				 same ? "present, but the rendering is the text" : "missing");
		raws += !same;
		canons += same;
	}
	/* both outcomes are exercised */
	assert_true(raws > 20);
	assert_true(canons > 20);
	/* a memory with MemoryGraph's keys only comes sorted by key (for canonicalizing) */
	assert_int_equal(recs[NV + 18].nprops, 5);
	for (size_t j = 1; j < recs[NV + 18].nprops; j++)
		assert_true(gm_str_cmp(recs[NV + 18].props[j - 1].key, recs[NV + 18].props[j].key) <
			    0);
	gm_buf_free(&b);
	gm_arena_free(a);
}

static void test_read_invalidated(void **state)
{
	char path[300], uri[320];
	struct gm_record recs[8];
	struct gm_arena *a;
	const struct gm_value *v;

	(void)state;
	snprintf(path, sizeof(path), "%s/inv.db", dir);
	make_literal_db(path);
	sql(path, "UPDATE relationships SET valid_until = '2026-11-23T00:00:00+00:00', "
		  "invalidated_by = 'other'");
	snprintf(uri, sizeof(uri), "memorygraph:%s", path);
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(read_all(uri, recs, 8, a), 3);
	assert_str(find(&recs[2], "valid_until"), "2026-11-23T00:00:00+00:00");
	assert_str(find(&recs[2], "invalidated_by"), "other");
	v = find(&recs[2], "_mg_json_nulls");
	assert_non_null(v);
	assert_int_equal(v->type, GM_T_LIST);
	assert_int_equal(v->u.list.n, 2);
	assert_str(&v->u.list.v[0], "valid_until");
	assert_str(&v->u.list.v[1], "invalidated_by");
	assert_null(find(&recs[2], "_mg_json"));
	gm_arena_free(a);
}

/* Write what was read into a new store: the same rows, byte for byte. */
static void test_write_same_rows(void **state)
{
	char src[300], dst[300], uri[320];
	struct gm_record recs[8];
	struct gm_arena *a;
	struct gm_backend *b;
	struct gm_open_opts wo = {.mode = GM_OPEN_WRITE};
	sqlite3 *db;
	sqlite3_stmt *s;
	size_t n;
	int rows = 0;

	(void)state;
	snprintf(src, sizeof(src), "%s/src.db", dir);
	snprintf(dst, sizeof(dst), "%s/dst.db", dir);
	make_literal_db(src);
	sql(src,
	    "UPDATE nodes SET properties = replace(properties, '\"type\": \"solution\", ', '') "
	    "|| '' WHERE id = 'mem-solution-1'");
	sql(src,
	    "UPDATE nodes SET properties = '{\"type\": \"solution\", ' || substr(properties, 2) "
	    "WHERE id = 'mem-solution-1'"); /* another key order: needs _mg_json */
	snprintf(uri, sizeof(uri), "memorygraph:%s", src);
	assert_int_equal(gm_arena_new(&a), 0);
	n = read_all(uri, recs, 8, a);
	assert_int_equal(n, 3);
	assert_non_null(find(&recs[1], "_mg_json"));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(gm_record_canonicalize(&recs[i]), 0);
	snprintf(uri, sizeof(uri), "memorygraph:%s", dst);
	assert_int_equal(gm_backend_open(&b, uri, &wo), 0);
	assert_int_equal(b->ops->write_batch(b, recs, n), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);

	assert_int_equal(sqlite3_open(dst, &db), SQLITE_OK);
	{
		char *q = sqlite3_mprintf("ATTACH %Q AS s", src);

		assert_int_equal(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_free(q);
	}
	assert_int_equal(
		sqlite3_prepare_v2(db,
				   "SELECT (SELECT count(*) FROM (SELECT * FROM main.nodes "
				   "EXCEPT SELECT * FROM s.nodes)) + (SELECT count(*) FROM "
				   "(SELECT * FROM main.relationships EXCEPT SELECT * FROM "
				   "s.relationships)), (SELECT count(*) FROM main.nodes) + "
				   "(SELECT count(*) FROM main.relationships)",
				   -1, &s, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0); /* no row differs */
	rows = sqlite3_column_int(s, 1);
	assert_int_equal(rows, 3);
	sqlite3_finalize(s);
	sqlite3_close(db);
	gm_arena_free(a);
}

/* ---- the mgjson writer: the literal 1535-byte export ---- */

static void test_mgjson_literal(void **state)
{
	char path[300], uri[600], out[300], want_path[400];
	struct gm_record recs[8], order[3];
	struct gm_arena *a;
	struct gm_backend *b;
	struct gm_open_opts wo = {.mode = GM_OPEN_WRITE};
	char want[4096], got[4096];
	size_t nw, ng;
	FILE *f;
	const char *data = getenv("GMIG_TEST_DATA");

	(void)state;
	assert_non_null(data);
	snprintf(path, sizeof(path), "%s/lit2.db", dir);
	make_literal_db(path);
	snprintf(uri, sizeof(uri), "memorygraph:%s", path);
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(read_all(uri, recs, 8, a), 3);
	/* MemoryGraph's export order: importance descending */
	order[0] = recs[1];
	order[1] = recs[0];
	order[2] = recs[2];
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(gm_record_canonicalize(&order[i]), 0);
	snprintf(out, sizeof(out), "%s/out.mg.json", dir);
	snprintf(uri, sizeof(uri),
		 "mgjson:%s?export_date=2026-11-22T15:17:12.958263+00:00&backend_type=sqlite", out);
	assert_int_equal(gm_backend_open(&b, uri, &wo), 0);
	assert_int_equal(b->ops->write_batch(b, order, 2), 0);
	assert_int_equal(b->ops->write_batch(b, order + 2, 1), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);

	snprintf(want_path, sizeof(want_path), "%s/memorygraph/literal_v2.json", data);
	assert_non_null(f = fopen(want_path, "rb"));
	nw = fread(want, 1, sizeof(want), f);
	fclose(f);
	assert_int_equal(nw, 1535);
	assert_non_null(f = fopen(out, "rb"));
	ng = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(ng, nw);
	assert_memory_equal(got, want, nw);
	gm_arena_free(a);
}

/* Reading the literal export: memories flattened as MemoryGraph stores them. */
static void test_mgjson_read_literal(void **state)
{
	char uri[400];
	struct gm_record recs[8];
	struct gm_arena *a;
	const char *data = getenv("GMIG_TEST_DATA");

	(void)state;
	assert_non_null(data);
	snprintf(uri, sizeof(uri), "%s/memorygraph/literal_v2.json", data);
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(read_all(uri, recs, 8, a), 3); /* found by probing */
	assert_int_equal(recs[0].kind, GM_NODE);
	assert_null(find(&recs[1], "summary")); /* null: left out */
	assert_str(find(&recs[1], "context_files_involved"), "[]");
	assert_str(find(&recs[1], "context_additional_metadata"), "{\"k\": 1}");
	assert_int_equal(find(&recs[1], "context_languages")->type, GM_T_LIST);
	assert_int_equal(recs[2].kind, GM_REL);
	assert_null(recs[2].key.p);
	assert_memory_equal(recs[2].type.p, "SOLVES", 6);
	assert_str(find(&recs[2], "context"), "verified");
	gm_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_float_repr),
		cmocka_unit_test(test_string_ascii),
		cmocka_unit_test(test_value_layouts),
		cmocka_unit_test(test_isoformat),
		cmocka_unit_test(test_read_literal_rows),
		cmocka_unit_test(test_read_invalidated),
		cmocka_unit_test(test_read_props_like_general_parser),
		cmocka_unit_test(test_read_raw_json_like_rendering),
		cmocka_unit_test(test_write_same_rows),
		cmocka_unit_test(test_mgjson_literal),
		cmocka_unit_test(test_mgjson_read_literal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
