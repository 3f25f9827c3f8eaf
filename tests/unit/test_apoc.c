/* SPDX-License-Identifier: MIT */
/* Unit tests of the apoc backend: the fixtures of formats.md section 1, all four shapes, errors, writing. */
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

#include "testutil.h"

#include "gmig/sys/backend.h"
#include "io.h"
#include "valtext.h"

int gm__apoc_open_mem(struct gm_backend **out, const void *data, size_t len, const char *params);

#define MAXREC 32

struct graph {
	struct gm_arena *a;
	struct gm_record r[MAXREC];
	size_t n;
	size_t nerr;
	char err[MAXREC][400];
	int errcode[MAXREC];
	size_t err_before[MAXREC]; /* records read before this error */
	int end;		   /* GM_ITEROVER or the fatal code */
};

static void graph_init(struct graph *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(gm_arena_new(&g->a), 0);
}

static void graph_free(struct graph *g)
{
	gm_arena_free(g->a);
}

/* Reads everything; errors are collected, a fatal one ends the reading. */
static void read_all(struct gm_backend *b, struct graph *g)
{
	struct gm_arena *tmp;

	assert_int_equal(gm_arena_new(&tmp), 0);
	for (int guard = 0; guard < 200; guard++) {
		struct gm_record rec;
		int e;

		gm_arena_reset(tmp);
		e = b->ops->read_next(b, &rec, tmp);
		if (e == 0) {
			assert_true(g->n < MAXREC);
			assert_int_equal(gm_record_copy(&g->r[g->n++], &rec, g->a), 0);
			continue;
		}
		if (e == GM_EDATA || e == GM_ECORRUPT || e == GM_EUNSUPPORTED) {
			assert_true(g->nerr < MAXREC);
			snprintf(g->err[g->nerr], sizeof(g->err[0]), "%s", gm_error_last());
			g->errcode[g->nerr] = e;
			g->err_before[g->nerr++] = g->n;
			if (e == GM_EDATA)
				continue;
		}
		g->end = e;
		break;
	}
	gm_arena_free(tmp);
}

static void read_uri(const char *uri, struct graph *g)
{
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	struct gm_backend *b;

	graph_init(g);
	if (gm_backend_open(&b, uri, &o) < 0)
		fail_msg("open '%s': %s", uri, gm_error_last());
	read_all(b, g);
	gm_backend_close(b);
}

static void read_fixture(const char *name, const char *params, struct graph *g)
{
	const char *dir = getenv("GMIG_TEST_DATA");
	char uri[1024];

	assert_non_null(dir);
	snprintf(uri, sizeof(uri), "apoc:%s/apoc/%s%s%s", dir, name, params ? "?" : "",
		 params ? params : "");
	read_uri(uri, g);
}

static void read_mem(const char *text, const char *params, struct graph *g)
{
	struct gm_backend *b;

	graph_init(g);
	assert_int_equal(gm__apoc_open_mem(&b, text, strlen(text), params), 0);
	read_all(b, g);
	gm_backend_close(b);
}

/* ---- expected values ---- */

static struct gm_str S(const char *s) {
	return gm_str_c(s);
}

static const struct gm_value *
prop(const struct gm_record *r, const char *key)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (gm_str_eq(r->props[i].key, S(key)))
			return &r->props[i].val;
	fail_msg("no property '%s'", key);
	return NULL;
}

static void assert_str(struct gm_str s, const char *want)
{
	assert_int_equal(s.len, strlen(want));
	assert_memory_equal(s.p, want, s.len);
}

static void assert_string_value(const struct gm_value *v, const char *want)
{
	assert_int_equal(v->type, GM_T_STRING);
	assert_str(v->u.s, want);
}

static void assert_int_value(const struct gm_value *v, int64_t want)
{
	assert_int_equal(v->type, GM_T_INT);
	assert_true(v->u.i == want);
}

static void assert_node(const struct gm_record *r, const char *key, const char *label,
			size_t nprops)
{
	assert_int_equal(r->kind, GM_NODE);
	assert_str(r->key, key);
	if (label) {
		assert_int_equal(r->nlabels, 1);
		assert_str(r->labels[0], label);
	} else {
		assert_int_equal(r->nlabels, 0);
	}
	assert_int_equal(r->nprops, nprops);
}

static void assert_rel(const struct gm_record *r, const char *key, const char *type,
		       const char *from, const char *to, size_t nprops)
{
	assert_int_equal(r->kind, GM_REL);
	if (key)
		assert_str(r->key, key);
	else
		assert_null(r->key.p);
	assert_str(r->type, type);
	assert_str(r->from, from);
	assert_str(r->to, to);
	assert_int_equal(r->nprops, nprops);
	assert_int_equal(r->nlabels, 0);
}

/* The graph of fixture all.jsonl (formats.md 1.2), every value checked. */
static void check_all(const struct graph *g, int iso)
{
	const struct gm_value *v;

	assert_int_equal(g->nerr, 0);
	assert_int_equal(g->end, GM_ITEROVER);
	assert_int_equal(g->n, 4);
	assert_node(&g->r[0], "0", "User", 6);
	/* properties in file order */
	assert_str(g->r[0].props[0].key, "born");
	assert_str(g->r[0].props[5].key, "kids");
	v = prop(&g->r[0], "born");
	if (iso) {
		struct gm_value want;

		assert_int_equal(gm_value_parse_text(GM_T_LOCALDATETIME, "2015-07-04T19:32:24", 19,
						     g->a, &want),
				 0);
		assert_int_equal(v->type, GM_T_LOCALDATETIME);
		assert_true(gm_value_equal(v, &want));
		assert_true(v->u.t.secs ==
			    gm_days_from_civil(2015, 7, 4) * 86400 + 19 * 3600 + 32 * 60 + 24);
	} else {
		assert_string_value(v, "2015-07-04T19:32:24");
	}
	assert_string_value(prop(&g->r[0], "name"), "Adam");
	v = prop(&g->r[0], "place");
	assert_int_equal(v->type, GM_T_POINT);
	assert_int_equal(v->u.pt.srid, 4326);
	assert_int_equal(v->u.pt.dim, 2);
	assert_true(v->u.pt.x == 33.46789); /* longitude */
	assert_true(v->u.pt.y == 13.1);	    /* latitude */
	assert_int_value(prop(&g->r[0], "age"), 42);
	v = prop(&g->r[0], "male");
	assert_int_equal(v->type, GM_T_BOOL);
	assert_true(v->u.b);
	v = prop(&g->r[0], "kids");
	assert_int_equal(v->type, GM_T_LIST);
	assert_int_equal(v->u.list.n, 3);
	assert_string_value(&v->u.list.v[0], "Sam");
	assert_string_value(&v->u.list.v[1], "Anna");
	assert_string_value(&v->u.list.v[2], "Grace");

	assert_node(&g->r[1], "1", "User", 2);
	assert_string_value(prop(&g->r[1], "name"), "Jim");
	assert_int_value(prop(&g->r[1], "age"), 42);
	assert_node(&g->r[2], "2", "User", 1);
	assert_int_value(prop(&g->r[2], "age"), 12);

	assert_rel(&g->r[3], "0", "KNOWS", "0", "1", 2);
	v = prop(&g->r[3], "bffSince");
	if (iso) {
		assert_int_equal(v->type, GM_T_DURATION);
		assert_true(v->u.d.months == 5 && v->u.d.days == 1 && v->u.d.secs == 12 * 3600 &&
			    v->u.d.nanos == 0);
	} else {
		assert_string_value(v, "P5M1DT12H");
	}
	assert_int_value(prop(&g->r[3], "since"), 1993);
}

static void test_fixture_all(void **state)
{
	struct graph g;

	(void)state;
	read_fixture("all.jsonl", NULL, &g);
	check_all(&g, 0);
	assert_int_equal(g.r[0].offset, 0);
	assert_int_equal(g.r[1].offset, 228); /* length of line 1 plus its newline */
	assert_int_equal(g.r[0].line, 1);
	assert_int_equal(g.r[3].line, 4);
	assert_int_equal(g.r[3].offset, 375);
	graph_free(&g);
}

static void test_fixture_all_temporals_iso(void **state)
{
	struct graph g;

	(void)state;
	read_fixture("all.jsonl", "temporals=iso", &g);
	check_all(&g, 1);
	graph_free(&g);
}

static void test_fixture_nodes_without_labels(void **state)
{
	struct graph g;
	const struct gm_value *v;
	static const double want[4] = {4.816666603088379, 54.31779861450195, 9.52299976348877,
				       75.06666564941406};

	(void)state;
	read_fixture("nodes_without_labels.jsonl", NULL, &g);
	assert_int_equal(g.nerr, 0);
	assert_int_equal(g.n, 1);
	assert_node(&g.r[0], "5016999", NULL, 1);
	v = prop(&g.r[0], "bbox");
	assert_int_equal(v->type, GM_T_LIST);
	assert_int_equal(v->u.list.n, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(v->u.list.v[i].type, GM_T_FLOAT);
		assert_true(v->u.list.v[i].u.f == want[i]);
	}
	graph_free(&g);
}

/* apoc.export.json.query rows are not graph records: each line is refused, reading goes on. */
static void test_fixture_query_rows(void **state)
{
	struct graph g;

	(void)state;
	read_fixture("query_rows.jsonl", NULL, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.nerr, 3);
	assert_int_equal(g.end, GM_ITEROVER);
	assert_non_null(strstr(g.err[0], "invalid record in '"));
	assert_non_null(strstr(g.err[0], "query_rows.jsonl' (line 1, byte 0): unknown key \"u\""));
	assert_non_null(strstr(g.err[1], "(line 2, byte 87): unknown key \"u.age\""));
	assert_non_null(strstr(g.err[2], "(line 3, byte 164): unknown key \"count(n)\""));
	graph_free(&g);
}

static void test_fixture_id_as_keys_example(void **state)
{
	struct graph g;

	(void)state;
	read_fixture("id_as_keys_example.json", NULL, &g);
	assert_int_equal(g.nerr, 0);
	assert_int_equal(g.end, GM_ITEROVER);
	assert_int_equal(g.n, 2);
	assert_node(&g.r[0], "0", "User", 1);
	assert_int_value(prop(&g.r[0], "age"), 42);
	assert_rel(&g.r[1], "0", "KNOWS", "0", "1", 1);
	assert_int_value(prop(&g.r[1], "since"), 1993);
	graph_free(&g);
}

/* Memgraph's export_util.json (formats.md 1.6): integer ids, bare start/end. */
static void test_fixture_memgraph(void **state)
{
	struct graph g;
	const struct gm_value *v;

	(void)state;
	read_fixture("memgraph_export.json", NULL, &g);
	assert_int_equal(g.nerr, 0);
	assert_int_equal(g.n, 2);
	assert_node(&g.r[0], "4000", "City", 2);
	assert_int_value(prop(&g.r[0], "id"), 0);
	assert_string_value(prop(&g.r[0], "name"), "Amsterdam");
	assert_rel(&g.r[1], "7175", "CloseTo", "4035", "4052", 1);
	v = prop(&g.r[1], "eu_border");
	assert_int_equal(v->type, GM_T_BOOL);
	assert_true(v->u.b);
	assert_int_equal(g.r[1].line, 3);
	graph_free(&g);
}

static void assert_same_records(const struct graph *a, const struct graph *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct gm_record *x = &a->r[i], *y = &b->r[i];

		assert_int_equal(x->kind, y->kind);
		assert_true(gm_str_eq(x->key, y->key));
		assert_true(gm_str_eq(x->type, y->type));
		assert_true(gm_str_eq(x->from, y->from));
		assert_true(gm_str_eq(x->to, y->to));
		assert_int_equal(x->nlabels, y->nlabels);
		for (size_t k = 0; k < x->nlabels; k++)
			assert_true(gm_str_eq(x->labels[k], y->labels[k]));
		assert_int_equal(x->nprops, y->nprops);
		for (size_t k = 0; k < x->nprops; k++) {
			assert_true(gm_str_eq(x->props[k].key, y->props[k].key));
			assert_true(gm_value_equal(&x->props[k].val, &y->props[k].val));
		}
	}
}

/* JSON_LINES, ARRAY_JSON, JSON, JSON_ID_AS_KEYS, and both documents with "rels" first. */
static void test_shapes_equal(void **state)
{
	static const char *const files[] = {"all_array.json", "all_doc.json", "all_id_as_keys.json",
					    "rels_first.json", "rels_first_id_as_keys.json"};
	struct graph lines;

	(void)state;
	read_fixture("all.jsonl", NULL, &lines);
	check_all(&lines, 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct graph g;

		read_fixture(files[i], NULL, &g);
		if (g.nerr)
			fail_msg("%s: %s", files[i], g.err[0]);
		assert_int_equal(g.end, GM_ITEROVER);
		check_all(&g, 0);
		assert_same_records(&lines, &g);
		graph_free(&g);
	}
	graph_free(&lines);
}

/* The second pass of a rels-first document is also done for documents in memory. */
static void test_rels_first_mem(void **state)
{
	struct graph g;

	(void)state;
	read_mem("{\"rels\":[{\"type\":\"relationship\",\"label\":\"R\",\"start\":\"a\",\"end\":"
		 "{\"id\":\"b\"}}],\n\"nodes\":[{\"type\":\"node\",\"id\":\"a\"},"
		 "{\"id\":\"b\",\"type\":\"node\"}]}",
		 NULL, &g);
	assert_int_equal(g.nerr, 0);
	assert_int_equal(g.end, GM_ITEROVER);
	assert_int_equal(g.n, 3);
	assert_node(&g.r[0], "a", NULL, 0);
	assert_node(&g.r[1], "b", NULL, 0);
	assert_rel(&g.r[2], NULL, "R", "a", "b", 0);
	assert_int_equal(g.r[2].line, 1);
	graph_free(&g);

	read_mem("{\"rels\":[]}", NULL, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.nerr, 0);
	graph_free(&g);
	read_mem("{}", NULL, &g);
	assert_int_equal(g.n + g.nerr, 0);
	assert_int_equal(g.end, GM_ITEROVER);
	graph_free(&g);
	read_mem("", NULL, &g);
	assert_int_equal(g.n + g.nerr, 0);
	assert_int_equal(g.end, GM_ITEROVER);
	graph_free(&g);
}

/* JSON Lines: every bad line is GM_EDATA with line and byte, the next line is read. */
static void test_errors_lines(void **state)
{
	struct graph g;
	const char *text =
		"{\"type\":\"node\",\"id\":\"a\"}\n"
		"{\"type\":\"node\",\"id\":\"b\",,}\n"
		"{\"type\":\"node\",\"labels\":[\"X\"]}\n"
		"{\"type\":\"node\",\"id\":\"c\",\"colour\":1}\n"
		"{\"type\":\"node\",\"id\":\"d\",\"properties\":{\"p\":{\"crs\":\"mars\","
		"\"x\":1,\"y\":2}}}\n"
		"{\"type\":\"relationship\",\"label\":\"R\",\"start\":{\"id\":\"a\"}}\n"
		"{\"type\":\"relationship\",\"label\":\"R\",\"start\":\"a\",\"end\":\"a\"}\n"
		"{\"type\":\"node\",\"id\":\"e\"}\n"
		"{\"type\":\"edge\",\"id\":\"f\"}\n"
		"[1,2]\n"
		"{\"type\":\"node\",\"id\":\"g\",\"properties\":{\"p\":1,\"p\":2}}\n"
		"{\"type\":\"relationship\",\"label\":\"S\",\"start\":\"a\",\"end\":\"a\"}\n";

	(void)state;
	read_mem(text, NULL, &g);
	assert_int_equal(g.end, GM_ITEROVER);
	assert_int_equal(g.n, 3);
	assert_node(&g.r[0], "a", NULL, 0);
	assert_rel(&g.r[1], NULL, "R", "a", "a", 0);
	assert_rel(&g.r[2], NULL, "S", "a", "a", 0);
	assert_int_equal(g.nerr, 9);
	for (size_t i = 0; i < g.nerr; i++)
		assert_int_equal(g.errcode[i], GM_EDATA);
	assert_non_null(strstr(g.err[0], "'<memory>'"));
	assert_non_null(strstr(g.err[0], "line 2"));
	assert_string_equal(g.err[1],
			    "invalid node in '<memory>' (line 3, byte 52): missing \"id\"");
	assert_string_equal(g.err[2],
			    "invalid node in '<memory>' (line 4, byte 83): unknown key \"colour\"");
	assert_string_equal(g.err[3], "invalid node in '<memory>' (line 5, byte 119): invalid "
				      "point: unknown \"crs\" in property \"p\"");
	assert_string_equal(g.err[4], "invalid relationship in '<memory>' (line 6, byte 190): "
				      "missing \"end\"");
	assert_non_null(strstr(g.err[5], "(line 8, byte "));
	assert_non_null(strstr(g.err[5], "a node after the first relationship"));
	assert_non_null(strstr(g.err[6], "unknown \"type\" \"edge\""));
	assert_non_null(strstr(g.err[7], "line 10"));
	assert_non_null(strstr(g.err[7], "not a JSON object"));
	assert_non_null(strstr(g.err[8], "line 11"));
	assert_int_equal(g.err_before[8], 2);
	graph_free(&g);

	/* a bad first line does not stop JSON Lines either */
	read_mem("xyz\n42\n{\"type\":\"node\",\"id\":\"a\"}\n", NULL, &g);
	assert_int_equal(g.end, GM_ITEROVER);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.nerr, 2);
	assert_non_null(strstr(g.err[0], "line 1"));
	assert_string_equal(g.err[1],
			    "invalid record in '<memory>' (line 2, byte 4): not a JSON object");
	graph_free(&g);
}

/* Documents: bad records are skipped, broken JSON ends the stream for good. */
static void test_errors_documents(void **state)
{
	struct graph g;

	(void)state;
	read_mem("[{\"type\":\"node\",\"id\":\"a\"},\n{\"type\":\"node\"},\n"
		 "{\"type\":\"node\",\"id\":\"b\"}]",
		 NULL, &g);
	assert_int_equal(g.end, GM_ITEROVER);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.nerr, 1);
	assert_string_equal(g.err[0],
			    "invalid node in '<memory>' (line 2, byte 27): missing \"id\"");
	graph_free(&g);

	read_mem(
		"{\"nodes\":[{\"type\":\"node\",\"id\":\"a\"},{\"type\":\"relationship\",\"label\":"
		"\"R\",\"start\":\"a\",\"end\":\"a\"}],\"rels\":{\"7\":{\"type\":\"relationship\","
		"\"label\":\"R\",\"start\":\"a\",\"end\":\"a\"}}}",
		NULL, &g);
	assert_int_equal(g.end, GM_ITEROVER);
	assert_int_equal(g.n, 2);
	assert_rel(&g.r[1], "7", "R", "a", "a", 0); /* key from JSON_ID_AS_KEYS */
	assert_int_equal(g.nerr, 1);
	assert_non_null(strstr(g.err[0], "a relationship among \"nodes\""));
	graph_free(&g);

	read_mem("[{\"type\":\"node\",\"id\":\"a\"},\n{\"type\":\"node\",\"id\":}]", NULL, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.nerr, 1);
	assert_int_equal(g.errcode[0], GM_ECORRUPT);
	assert_non_null(strstr(g.err[0], "line 2"));
	assert_int_equal(g.end, GM_ECORRUPT);
	graph_free(&g);

	read_mem("[{\"type\":\"node\",\"id\":\"a\"}] {}", NULL, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.end, GM_ECORRUPT);
	graph_free(&g);

	read_mem("{\"nodes\":[],\"nodes\":[]}", NULL, &g);
	assert_int_equal(g.end, GM_ECORRUPT);
	assert_non_null(strstr(g.err[0], "\"nodes\" given twice"));
	graph_free(&g);

	read_mem("{\"nodes\":5}", NULL, &g);
	assert_int_equal(g.end, GM_ECORRUPT);
	assert_string_equal(g.err[0], "invalid APOC JSON in '<memory>' (line 1, byte 9): "
				      "\"nodes\" is not an array or object");
	graph_free(&g);

	read_mem("{\"nodes\":[],\"paths\":[1],\"rels\":[]}", NULL, &g);
	assert_int_equal(g.end, GM_ITEROVER);
	assert_int_equal(g.nerr, 1);
	assert_int_equal(g.errcode[0], GM_EDATA);
	assert_non_null(strstr(g.err[0], "unknown member \"paths\""));
	graph_free(&g);
}

static void test_points(void **state)
{
	struct graph g;
	const struct gm_value *v;

	(void)state;
	read_mem(
		"{\"type\":\"node\",\"id\":\"p\",\"properties\":{"
		"\"a\":{\"crs\":\"cartesian\",\"x\":1,\"y\":2.5,\"z\":null},"
		"\"b\":{\"z\":3.0,\"y\":2,\"x\":1,\"crs\":\"cartesian-3d\"},"
		"\"c\":{\"crs\":\"wgs-84-3d\",\"latitude\":1.5,\"longitude\":2.5,\"height\":100.0},"
		"\"d\":[{\"crs\":\"wgs-84\",\"longitude\":1,\"latitude\":2}],"
		"\"e\":{\"k\":1}}}\n",
		NULL, &g);
	assert_int_equal(g.nerr, 0);
	v = prop(&g.r[0], "a");
	assert_int_equal(v->type, GM_T_POINT);
	assert_true(v->u.pt.srid == 7203 && v->u.pt.dim == 2 && v->u.pt.x == 1 && v->u.pt.y == 2.5);
	v = prop(&g.r[0], "b");
	assert_true(v->type == GM_T_POINT && v->u.pt.srid == 9157 && v->u.pt.dim == 3 &&
		    v->u.pt.z == 3.0);
	v = prop(&g.r[0], "c");
	assert_true(v->type == GM_T_POINT && v->u.pt.srid == 4979 && v->u.pt.x == 2.5 &&
		    v->u.pt.y == 1.5 && v->u.pt.z == 100.0);
	v = prop(&g.r[0], "d");
	assert_true(v->type == GM_T_LIST && v->u.list.v[0].type == GM_T_POINT &&
		    v->u.list.v[0].u.pt.srid == 4326);
	v = prop(&g.r[0], "e"); /* not a point: stays a map */
	assert_int_equal(v->type, GM_T_MAP);
	graph_free(&g);

	read_mem("{\"type\":\"node\",\"id\":\"p\",\"properties\":{\"a\":{\"crs\":\"wgs-84\","
		 "\"latitude\":1,\"longitude\":2,\"height\":5}}}\n",
		 NULL, &g);
	assert_int_equal(g.nerr, 1);
	assert_non_null(strstr(g.err[0], "invalid point: a 2D point with z/height"));
	graph_free(&g);
}

/* ---- writing ---- */

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gmig-apoc-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct gm_str labels_pu[] = {{"Person", 6}, {"User", 4}};
static struct gm_value kids[] = {{.type = GM_T_STRING, .u.s = {"a", 1}},
				 {.type = GM_T_STRING, .u.s = {"b\xc3\xa9", 3}}};

static int open_write(struct gm_backend **b, const char *name, const char *params)
{
	struct gm_open_opts o = {.mode = GM_OPEN_WRITE};
	char uri[256];

	snprintf(uri, sizeof(uri), "apoc:%s/%s%s%s", tmpdir, name, params ? "?" : "",
		 params ? params : "");
	return gm_backend_open(b, uri, &o);
}

static void test_write_exact(void **state)
{
	struct gm_prop p1[7], p3[2], pr[1];
	struct gm_record recs[6];
	struct gm_backend *b;
	struct graph g;
	char path[128], *text;
	static const char want[] =
		"{\"type\":\"node\",\"id\":\"n1\",\"labels\":[\"Person\",\"User\"],\"properties\":"
		"{\"age\":42,\"big\":9007199254740993,\"kids\":[\"a\",\"b\xc3\xa9\"],\"name\":"
		"\"Ann \\\"q\\\"\\n\",\"ok\":true,\"place\":{\"crs\":\"wgs-84\",\"latitude\":13.1,"
		"\"longitude\":33.46789,\"height\":null},\"score\":1.5}}\n"
		"{\"type\":\"node\",\"id\":\"n2\"}\n"
		"{\"type\":\"node\",\"id\":\"n3\",\"labels\":[\"Person\",\"User\"],\"properties\":"
		"{\"c2\":{\"crs\":\"cartesian\",\"x\":1.0,\"y\":-2.0,\"z\":null},\"c3\":{\"crs\":"
		"\"cartesian-3d\",\"x\":1.0,\"y\":2.0,\"z\":3.0}}}\n"
		"{\"type\":\"relationship\",\"id\":\"r1\",\"label\":\"KNOWS\",\"properties\":"
		"{\"since\":1993},\"start\":{\"id\":\"n1\",\"labels\":[\"Person\",\"User\"]},"
		"\"end\":{\"id\":\"n2\"}}\n"
		"{\"type\":\"relationship\",\"label\":\"LIKES\",\"start\":{\"id\":\"n3\","
		"\"labels\":"
		"[\"Person\",\"User\"]},\"end\":{\"id\":\"n1\",\"labels\":[\"Person\",\"User\"]}}\n"
		"{\"type\":\"relationship\",\"id\":\"r3\",\"label\":\"X\",\"start\":{\"id\":\"n2\"}"
		","
		"\"end\":{\"id\":\"gone\"}}\n";

	(void)state;
	memset(recs, 0, sizeof(recs));
	p1[0] = (struct gm_prop){S("age"), tu_int(42)};
	p1[1] = (struct gm_prop){S("big"), tu_int(9007199254740993LL)};
	p1[2] = (struct gm_prop){S("kids"), {.type = GM_T_LIST, .u.list = {kids, 2}}};
	p1[3] = (struct gm_prop){S("name"), tu_str("Ann \"q\"\n")};
	p1[4] = (struct gm_prop){S("ok"), {.type = GM_T_BOOL, .u.b = 1}};
	p1[5] = (struct gm_prop){S("place"), tu_point(4326, 2, 33.46789, 13.1, 0)};
	p1[6] = (struct gm_prop){S("score"), tu_float(1.5)};
	p3[0] = (struct gm_prop){S("c2"), tu_point(7203, 2, 1.0, -2.0, 0)};
	p3[1] = (struct gm_prop){S("c3"), tu_point(9157, 3, 1.0, 2.0, 3.0)};
	pr[0] = (struct gm_prop){S("since"), tu_int(1993)};
	recs[0] = (struct gm_record){.kind = GM_NODE,
				     .key = S("n1"),
				     .labels = labels_pu,
				     .nlabels = 2,
				     .props = p1,
				     .nprops = 7};
	recs[1] = (struct gm_record){.kind = GM_NODE, .key = S("n2")};
	recs[2] = (struct gm_record){.kind = GM_NODE,
				     .key = S("n3"),
				     .labels = labels_pu,
				     .nlabels = 2,
				     .props = p3,
				     .nprops = 2};
	recs[3] = (struct gm_record){.kind = GM_REL,
				     .key = S("r1"),
				     .type = S("KNOWS"),
				     .from = S("n1"),
				     .to = S("n2"),
				     .props = pr,
				     .nprops = 1};
	recs[4] = (struct gm_record){
		.kind = GM_REL, .type = S("LIKES"), .from = S("n3"), .to = S("n1")};
	recs[5] = (struct gm_record){
		.kind = GM_REL, .key = S("r3"), .type = S("X"), .from = S("n2"), .to = S("gone")};

	assert_int_equal(open_write(&b, "out.json", NULL), 0);
	assert_int_equal(b->ops->write_batch(b, recs, 2), 0);
	assert_int_equal(b->ops->write_batch(b, recs + 2, 4), 0);
	snprintf(path, sizeof(path), "%s/out.json", tmpdir);
	assert_int_equal(access(path, F_OK), -1); /* nothing before commit */
	assert_int_equal(gm_backend_commit(b), 0);
	assert_int_equal(b->nodes_written, 3);
	assert_int_equal(b->rels_written, 3);
	gm_backend_close(b);
	text = tu_slurp(path, NULL);
	assert_string_equal(text, want);
	free(text);

	/* read back: the same records */
	read_uri(path, &g); /* chosen by probing */
	assert_int_equal(g.nerr, 0);
	assert_int_equal(g.n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(gm_record_canonicalize(&g.r[i]), 0);
	{
		struct graph want_g = {.n = 6};

		memcpy(want_g.r, recs, sizeof(recs));
		assert_same_records(&want_g, &g);
	}
	graph_free(&g);
}

static void test_write_refusals(void **state)
{
	struct gm_prop p[1];
	struct gm_record rec = {.kind = GM_NODE, .key = {"n1", 2}, .props = p, .nprops = 1};
	struct gm_record ok = {.kind = GM_NODE, .key = {"n0", 2}};
	struct gm_record two[2];
	struct gm_value date;
	struct gm_backend *b;
	struct gm_arena *a;
	char path[128], *text;

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(gm_value_parse_text(GM_T_DATE, "2015-07-04", 10, a, &date), 0);
	assert_int_equal(open_write(&b, "refused.json", NULL), 0);

	p[0] = (struct gm_prop){S("when"), date};
	two[0] = ok;
	two[1] = rec;
	assert_int_equal(b->ops->write_batch(b, two, 2), GM_EUNSUPPORTED);
	assert_string_equal(gm_error_last(),
			    "node 'n1' has a Date value in property 'when', which the apoc format "
			    "cannot store exactly (parameter lossy=stringify writes it anyway)");
	p[0] = (struct gm_prop){S("x"), tu_float(NAN)};
	rec.line = 7;
	assert_int_equal(b->ops->write_batch(b, &rec, 1), GM_EUNSUPPORTED);
	assert_string_equal(gm_error_last(), "node 'n1' (line 7) has a Float value (NaN or "
					     "infinite) in property 'x', which the apoc format "
					     "cannot store exactly (parameter lossy=stringify "
					     "writes it anyway)");
	p[0] = (struct gm_prop){S("m"), {.type = GM_T_MAP}};
	assert_int_equal(b->ops->write_batch(b, &rec, 1), GM_EUNSUPPORTED);
	assert_non_null(strstr(gm_error_last(), "has a Map value"));
	p[0] = (struct gm_prop){S("n"), {.type = GM_T_NULL}};
	assert_int_equal(b->ops->write_batch(b, &rec, 1), GM_EUNSUPPORTED);
	assert_non_null(strstr(gm_error_last(), "has a Null value"));
	p[0] = (struct gm_prop){S("pt"), tu_point(1234, 2, 1, 2, 0)};
	assert_int_equal(b->ops->write_batch(b, &rec, 1), GM_EUNSUPPORTED);
	assert_non_null(strstr(gm_error_last(), "has a Point value (SRID other than"));
	/* refused batches wrote nothing */
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	snprintf(path, sizeof(path), "%s/refused.json", tmpdir);
	text = tu_slurp(path, NULL);
	assert_string_equal(text, "");
	free(text);

	/* lossy=stringify writes as APOC does; lossy=drop leaves nulls out */
	assert_int_equal(open_write(&b, "lossy.json", "lossy=stringify,drop"), 0);
	{
		struct gm_prop q[3] = {
			{S("a"), {.type = GM_T_NULL}}, {S("b"), tu_float(NAN)}, {S("c"), date}};
		struct gm_record r = {.kind = GM_NODE, .key = {"k", 1}, .props = q, .nprops = 3};

		assert_int_equal(b->ops->write_batch(b, &r, 1), 0);
	}
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	snprintf(path, sizeof(path), "%s/lossy.json", tmpdir);
	text = tu_slurp(path, NULL);
	assert_string_equal(text, "{\"type\":\"node\",\"id\":\"k\",\"properties\":{\"b\":\"NaN\","
				  "\"c\":\"2015-07-04\"}}\n");
	free(text);

	assert_int_equal(open_write(&b, "x.json", "colour=red"), GM_EINVAL);
	assert_non_null(strstr(gm_error_last(), "unknown parameter 'colour'"));
	assert_int_equal(open_write(&b, "x.json", "lossy=all"), GM_EINVAL);
	gm_arena_free(a);
}

static void test_probe(void **state)
{
	const struct gm_backend_ops *ops = gm_backend_find("apoc", 4);
	static const struct {
		const char *head;
		int score;
	} cases[] = {
		{"{\"type\":\"node\",\"id\":\"0\"}", 70},
		{"{ \"type\" : \"relationship\" }", 70},
		{"[{\"type\":\"node\"", 80},
		{"[\n    {\"id\": 4000, \"labels\": [\"City\"], \"type\": \"node\"}", 40},
		{"{\"nodes\":[{\"type\":\"node\"", 80},
		{"{\"nodes\":{\"0\":{", 80},
		{"{\"rels\":[{\"id\"", 80},
		{"{\"gmig\":1}\n{\"type\":\"node\"", 0},
		{"<?xml version", 0},
		{"", 0},
	};

	(void)state;
	assert_non_null(ops);
	assert_int_equal(ops->caps, GM_CAP_READ | GM_CAP_WRITE | GM_CAP_FILE | GM_CAP_LOSSY);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (ops->probe((const unsigned char *)cases[i].head, strlen(cases[i].head)) !=
		    cases[i].score)
			fail_msg("probe '%s': %d, want %d", cases[i].head,
				 ops->probe((const unsigned char *)cases[i].head,
					    strlen(cases[i].head)),
				 cases[i].score);
}

/* After a fatal error the stream stays dead; "rels" before "nodes" cannot come from stdin. */
static void test_dead_and_stdin(void **state)
{
	const char *dir = getenv("GMIG_TEST_DATA");
	const char *text = "[{\"type\":\"node\",\"id\":}]";
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	struct gm_backend *b;
	struct gm_arena *a;
	struct gm_record rec;
	struct graph g;
	char path[1024];

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(gm__apoc_open_mem(&b, text, strlen(text), NULL), 0);
	assert_int_equal(b->ops->read_next(b, &rec, a), GM_ECORRUPT);
	assert_int_equal(b->ops->read_next(b, &rec, a), GM_ECORRUPT);
	assert_string_equal(gm_error_last(), "reading '<memory>' stopped at an earlier error");
	gm_backend_close(b);
	gm_arena_free(a);

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/apoc/rels_first.json", dir);
	assert_non_null(freopen(path, "r", stdin));
	graph_init(&g);
	assert_int_equal(gm_backend_open(&b, "apoc:-", &o), 0);
	read_all(b, &g);
	gm_backend_close(b);
	assert_int_equal(g.n, 3); /* the nodes */
	assert_int_equal(g.end, GM_EUNSUPPORTED);
	assert_non_null(strstr(g.err[0], "must be read twice; give a file, not stdin"));
	graph_free(&g);
}

/* Every allocation failing in turn: GM_ENOMEM or success, never a crash or a leak (ASan). */
static void test_alloc_failures(void **state)
{
	const char *dir = getenv("GMIG_TEST_DATA");
	char uri[1024];
	int done_read = 0, done_write = 0;

	(void)state;
	assert_non_null(dir);
	snprintf(uri, sizeof(uri), "apoc:%s/apoc/rels_first.json?temporals=iso", dir);
	for (unsigned long k = 1; k < 400 && !done_read; k++) {
		struct gm_open_opts o = {.mode = GM_OPEN_READ};
		struct gm_backend *b = NULL;
		struct gm_arena *a;
		struct gm_record rec;
		int e, n = 0;

		assert_int_equal(gm_arena_new(&a), 0);
		gm_alloc_fail_after(k, 1);
		e = gm_backend_open(&b, uri, &o);
		while (e == 0 && (e = b->ops->read_next(b, &rec, a)) == 0)
			n++;
		gm_alloc_fail_after(0, 0);
		if (e == GM_ITEROVER) {
			assert_int_equal(n, 4);
			done_read = 1;
		} else if (e != GM_ENOMEM) {
			fail_msg("allocation %lu: %d %s", k, e, gm_error_last());
		}
		gm_backend_close(b);
		gm_arena_free(a);
	}
	assert_true(done_read);
	for (unsigned long k = 1; k < 400 && !done_write; k++) {
		struct gm_str l[] = {{"L", 1}};
		struct gm_prop p[] = {{{"p", 1}, {.type = GM_T_INT, .u.i = 1}}};
		struct gm_record recs[] = {
			{.kind = GM_NODE,
			 .key = {"a", 1},
			 .labels = l,
			 .nlabels = 1,
			 .props = p,
			 .nprops = 1},
			{.kind = GM_REL, .type = {"R", 1}, .from = {"a", 1}, .to = {"a", 1}},
		};
		struct gm_backend *b = NULL;
		int e;

		gm_alloc_fail_after(k, 1);
		e = open_write(&b, "oom.json", NULL);
		if (e == 0)
			e = b->ops->write_batch(b, recs, 2);
		if (e == 0)
			e = gm_backend_commit(b);
		gm_alloc_fail_after(0, 0);
		if (e == 0)
			done_write = 1;
		else if (e != GM_ENOMEM)
			fail_msg("allocation %lu: %d %s", k, e, gm_error_last());
		gm_backend_close(b);
	}
	assert_true(done_write);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_all),
		cmocka_unit_test(test_fixture_all_temporals_iso),
		cmocka_unit_test(test_fixture_nodes_without_labels),
		cmocka_unit_test(test_fixture_query_rows),
		cmocka_unit_test(test_fixture_id_as_keys_example),
		cmocka_unit_test(test_fixture_memgraph),
		cmocka_unit_test(test_shapes_equal),
		cmocka_unit_test(test_rels_first_mem),
		cmocka_unit_test(test_errors_lines),
		cmocka_unit_test(test_errors_documents),
		cmocka_unit_test(test_points),
		cmocka_unit_test(test_write_exact),
		cmocka_unit_test(test_write_refusals),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_dead_and_stdin),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
