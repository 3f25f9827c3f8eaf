/* SPDX-License-Identifier: MIT */
/* Tests of the GraphML backend: dialects read, exact bytes written, lossless round trips. */
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

#include "../../src/backends/graphml.h"
#include "buf.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "gmig/sys/record.h"

static char *fixture(const char *name, size_t *len)
{
	const char *dir = getenv("GMIG_TEST_DATA");
	char path[4096];

	snprintf(path, sizeof(path), "%s/graphml/%s", dir ? dir : "tests/data", name);
	return tu_slurp(path, len);
}

static const struct gm_prop *prop(const struct gm_record *r, const char *name)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (gm_str_eq(r->props[i].key, gm_str_c(name)))
			return &r->props[i];
	return NULL;
}

static void assert_str(struct gm_str s, const char *want)
{
	if (!gm_str_eq(s, gm_str_c(want)))
		fail_msg("got '%.*s', want '%s'", (int)s.len, s.p ? s.p : "", want);
}

static void assert_labels(const struct gm_record *r, const char *const *want, size_t n)
{
	assert_int_equal(r->nlabels, n);
	for (size_t i = 0; i < n; i++)
		assert_str(r->labels[i], want[i]);
}

static struct gm_backend *open_text(const char *text)
{
	struct gm_backend *b = NULL;

	assert_int_equal(gm__graphml_open_mem(&b, text, strlen(text), "t.graphml"), 0);
	return b;
}

/* ---- reading the dialects ---- */

static void test_read_apoc(void **state)
{
	static const char *const l0[] = {"Foo", "Foo0", "Foo2"}, *const l2[] = {"Bar"};
	struct gm_backend *b = NULL;
	struct gm_arena *a;
	struct gm_record r;
	const struct gm_prop *p;
	size_t len;
	char *text = fixture("apoc.graphml", &len);

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(gm__graphml_open_mem(&b, text, len, "apoc.graphml"), 0);

	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_int_equal(r.kind, GM_NODE);
	assert_str(r.key, "n0");
	assert_labels(&r, l0, 3);
	assert_int_equal(r.nprops, 3);
	assert_int_equal(r.line, 8);
	assert_non_null(p = prop(&r, "born"));
	assert_int_equal(p->val.type, GM_T_STRING);
	assert_str(p->val.u.s, "2018-10-10");
	assert_non_null(p = prop(&r, "name"));
	assert_str(p->val.u.s, "foo");
	assert_non_null(p = prop(&r, "place"));
	assert_str(
		p->val.u.s,
		"{\"crs\":\"wgs-84-3d\",\"latitude\":12.78,\"longitude\":56.7,\"height\":100.0}");

	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.key, "n2");
	assert_labels(&r, l2, 1);
	assert_int_equal(r.nprops, 2);
	assert_non_null(p = prop(&r, "age"));
	assert_int_equal(p->val.type, GM_T_INT);
	assert_int_equal(p->val.u.i, 12);
	assert_non_null(p = prop(&r, "values"));
	assert_int_equal(p->val.type, GM_T_LIST);
	assert_int_equal(p->val.u.list.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(p->val.u.list.v[i].type, GM_T_INT);
		assert_int_equal(p->val.u.list.v[i].u.i, (int64_t)i + 1);
	}

	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_int_equal(r.kind, GM_REL);
	assert_str(r.key, "e0");
	assert_str(r.type, "KNOWS");
	assert_str(r.from, "n0");
	assert_str(r.to, "n1"); /* dangling: data, not an error */
	assert_int_equal(r.nprops, 0);

	assert_int_equal(b->ops->read_next(b, &r, a), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_free(a);
	free(text);
}

static void test_read_networkx(void **state)
{
	struct gm_backend *b = NULL;
	struct gm_arena *a;
	struct gm_record r;
	const struct gm_prop *p;
	size_t len;
	char *text = fixture("networkx.graphml", &len);

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(gm__graphml_open_mem(&b, text, len, "nx.graphml"), 0);

	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.key, "a");
	assert_int_equal(r.nlabels, 0);
	assert_int_equal(r.nprops, 4);
	assert_non_null(p = prop(&r, "name"));
	assert_str(p->val.u.s, "Ann \"q\" <&> \xc3\xbcn\xc3\xaf");
	assert_non_null(p = prop(&r, "age"));
	assert_int_equal(p->val.type, GM_T_INT);
	assert_int_equal(p->val.u.i, 42);
	assert_non_null(p = prop(&r, "ok"));
	assert_int_equal(p->val.type, GM_T_BOOL);
	assert_int_equal(p->val.u.b, 1);
	assert_non_null(p = prop(&r, "score"));
	assert_int_equal(p->val.type, GM_T_FLOAT);
	assert_true(isinf(p->val.u.f) && p->val.u.f > 0);

	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.key, "b");
	assert_non_null(p = prop(&r, "ok"));
	assert_int_equal(p->val.u.b, 0);
	assert_non_null(p = prop(&r, "name")); /* from <default> */
	assert_str(p->val.u.s, "anon");
	assert_non_null(p = prop(&r, "score"));
	assert_true(p->val.u.f == 1.5);

	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_int_equal(r.kind, GM_REL);
	assert_str(r.key, "0");
	assert_str(r.type, "RELATED");
	assert_int_equal(r.nprops, 1);
	assert_non_null(p = prop(&r, "weight"));
	assert_true(p->val.type == GM_T_FLOAT && p->val.u.f == 0.25);
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_free(a);
	free(text);
}

static void test_read_igraph(void **state)
{
	struct gm_backend *b = NULL;
	struct gm_arena *a;
	struct gm_record r;
	const struct gm_prop *p;
	size_t len;
	char *text = fixture("igraph.graphml", &len);

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(gm__graphml_open_mem(&b, text, len, "ig.graphml"), 0);
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_non_null(p = prop(&r, "age"));
	assert_true(p->val.type == GM_T_FLOAT && p->val.u.f == 42.0);
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_non_null(p = prop(&r, "age"));
	assert_true(p->val.type == GM_T_FLOAT && isnan(p->val.u.f));
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_int_equal(r.kind, GM_REL);
	assert_null(r.key.p);
	assert_non_null(p = prop(&r, "w"));
	assert_true(p->val.type == GM_T_FLOAT && p->val.u.f == 2.0);
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_free(a);
	free(text);
}

static void test_read_tinkerpop_gephi(void **state)
{
	static const char *const ab[] = {"A", "B"};
	const char *text =
		"<graphml>"
		"<key id=\"labelV\" for=\"node\" attr.name=\"labelV\" attr.type=\"string\"/>"
		"<key id=\"labelE\" for=\"edge\" attr.name=\"labelE\" attr.type=\"string\"/>"
		"<key id=\"TYPE\" for=\"node\" attr.name=\"TYPE\" attr.type=\"string\"/>"
		"<key id=\"c\" for=\"node\" attr.name=\"c\" attr.type=\"int\">"
		"<default>7</default></key>"
		"<graph><node id=\"1\"><data key=\"labelV\">A:B</data></node>"
		"<node id=\"2\"><data key=\"TYPE\">:A:B</data><data key=\"c\">1</data></node>"
		"<edge source=\"1\" target=\"2\"><data key=\"labelE\">LIKES</data></edge>"
		"</graph></graphml>";
	struct gm_backend *b = open_text(text);
	struct gm_arena *a;
	struct gm_record r;

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_labels(&r, ab, 2);
	assert_int_equal(r.nprops, 1);
	assert_int_equal(prop(&r, "c")->val.u.i, 7);
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_labels(&r, ab, 2);
	assert_int_equal(prop(&r, "c")->val.u.i, 1);
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.type, "LIKES");
	assert_int_equal(r.nprops, 0);
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_free(a);
}

/* Edges before nodes: all nodes still come first, edges in document order. */
static void test_read_edges_first(void **state)
{
	const char *text = "<graphml><graph>"
			   "<edge id=\"e1\" source=\"x\" target=\"y\" label=\"T1\"/>"
			   "<node id=\"x\"/>"
			   "<edge id=\"e2\" source=\"y\" target=\"x\" label=\"T2\"/>"
			   "<node id=\"y\"/>"
			   "</graph></graphml>";
	struct gm_backend *b = open_text(text);
	struct gm_arena *a;
	struct gm_record r;

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_true(r.kind == GM_NODE);
	assert_str(r.key, "x");
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.key, "y");
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_true(r.kind == GM_REL);
	assert_str(r.key, "e1");
	assert_str(r.type, "T1");
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.key, "e2");
	assert_str(r.from, "y");
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_free(a);
}

/* ---- errors ---- */

static void test_errors_bad_value_continues(void **state)
{
	const char *text = "<graphml>\n"
			   "<key id=\"k\" for=\"node\" attr.name=\"n\" attr.type=\"long\"/>\n"
			   "<graph>\n"
			   "<node id=\"a\"><data key=\"k\">1</data></node>\n"
			   "  <node id=\"b\"><data key=\"k\">x1</data></node>\n"
			   "<node id=\"c\"><data key=\"k\">99999999999999999999</data></node>\n"
			   "<node id=\"d\"><data key=\"k\">3</data></node>\n"
			   "</graph></graphml>\n";
	struct gm_backend *b = open_text(text);
	struct gm_arena *a;
	struct gm_record r;

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.key, "a");
	assert_int_equal(b->ops->read_next(b, &r, a), GM_EDATA);
	assert_non_null(
		strstr(gm_error_last(), "invalid node 'b' in 't.graphml' (line 5, column 3)"));
	assert_non_null(strstr(gm_error_last(), "x1"));
	assert_int_equal(r.line, 5);
	assert_int_equal(b->ops->read_next(b, &r, a), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "(line 6, column 1)"));
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.key, "d");
	assert_int_equal(prop(&r, "n")->val.u.i, 3);
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_free(a);
}

static void test_errors_malformed(void **state)
{
	const char *text = "<graphml>\n<graph>\n<node id=\"a\"></node>\n<node id=\"b\"></nod>\n";
	struct gm_backend *b = open_text(text);
	struct gm_arena *a;
	struct gm_record r;

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ECORRUPT);
	assert_non_null(strstr(gm_error_last(), "invalid XML in 't.graphml' (line 4, column 16)"));
	assert_non_null(strstr(gm_error_last(), "mismatched tag"));
	/* stays failed */
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ECORRUPT);
	gm_backend_close(b);

	b = open_text("<root/>");
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ECORRUPT);
	assert_non_null(strstr(gm_error_last(), "not <graphml>"));
	gm_backend_close(b);

	b = open_text("");
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ECORRUPT);
	gm_backend_close(b);

	b = open_text("<!DOCTYPE g [<!ENTITY x \"xx\">]><graphml/>");
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ECORRUPT);
	assert_non_null(strstr(gm_error_last(), "entity declarations"));
	gm_backend_close(b);

	b = open_text("<graphml><graph><node/><node id=\"z\"/><hyperedge/></graph></graphml>");
	assert_int_equal(b->ops->read_next(b, &r, a), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "missing \"id\""));
	assert_int_equal(b->ops->read_next(b, &r, a), 0);
	assert_str(r.key, "z");
	assert_int_equal(b->ops->read_next(b, &r, a), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "hyperedges"));
	assert_int_equal(b->ops->read_next(b, &r, a), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_free(a);
}

/* ---- writing ---- */

static char *temp_path(const char *suffix)
{
	static int seq;
	char *p = malloc(256);

	snprintf(p, 256, "/tmp/gmig-test-graphml-%d-%d%s", (int)getpid(), seq++, suffix);
	unlink(p);
	return p;
}

static char *write_records(struct gm_record *recs, size_t n, size_t *len, char **path_out)
{
	struct gm_open_opts o = {.mode = GM_OPEN_WRITE};
	struct gm_backend *b = NULL;
	char *path = temp_path(".graphml");
	char *text;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(gm_record_canonicalize(&recs[i]), 0);
	assert_int_equal(gm_backend_open(&b, path, &o), 0);
	assert_string_equal(b->ops->name, "graphml");
	for (size_t i = 0; i < n; i++)
		if (b->ops->write_batch(b, &recs[i], 1) < 0)
			fail_msg("write_batch: %s", gm_error_last());
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	text = tu_slurp(path, len);
	if (path_out)
		*path_out = path;
	else {
		unlink(path);
		free(path);
	}
	return text;
}

static void test_write_exact(void **state)
{
	struct gm_str la[] = {gm_str_c("Person"), gm_str_c("A&B")};
	struct gm_value xs[] = {tu_int(1), tu_int(2)};
	struct gm_prop p1[] = {{gm_str_c("name"), tu_str("Ann <\"x\">\tz")},
			       {gm_str_c("xs"), {.type = GM_T_LIST}}};
	struct gm_prop p2[] = {{gm_str_c("name"), tu_int(7)}};
	struct gm_prop p3[] = {{gm_str_c("since"), {.type = GM_T_DATE}}};
	struct gm_record recs[4];
	const char *want =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
		"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		"xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
		"http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n"
		"<key id=\"labels\" for=\"node\" attr.name=\"labels\" attr.type=\"string\" "
		"gmig.type=\"Labels\"/>\n"
		"<key id=\"label\" for=\"edge\" attr.name=\"label\" attr.type=\"string\" "
		"gmig.type=\"Type\"/>\n"
		"<key id=\"d0\" for=\"node\" attr.name=\"name\" attr.type=\"string\"/>\n"
		"<key id=\"d1\" for=\"node\" attr.name=\"xs\" attr.type=\"string\" "
		"attr.list=\"long\"/>\n"
		"<key id=\"d2\" for=\"node\" attr.name=\"name\" attr.type=\"long\"/>\n"
		"<key id=\"d3\" for=\"edge\" attr.name=\"since\" attr.type=\"string\" "
		"gmig.type=\"Date\"/>\n"
		"<graph id=\"G\" edgedefault=\"directed\">\n"
		"<node id=\"n1\" labels=\":A&amp;B:Person\"><data key=\"labels\">:A&amp;B:Person"
		"</data><data key=\"d0\">Ann &lt;\"x\"&gt;\tz</data><data key=\"d1\">[1,2]</data>"
		"</node>\n"
		"<node id=\"n&quot;2\"><data key=\"d2\">7</data></node>\n"
		"<edge id=\"r1\" source=\"n1\" target=\"n&quot;2\" label=\"KNOWS\"><data "
		"key=\"label\">KNOWS</data><data key=\"d3\">2015-07-04</data></edge>\n"
		"<edge source=\"n1\" target=\"n1\" label=\"SELF\"><data key=\"label\">SELF</data>"
		"</edge>\n"
		"</graph>\n"
		"</graphml>\n";
	size_t len;
	char *got;

	(void)state;
	p1[1].val.u.list.v = xs;
	p1[1].val.u.list.n = 2;
	p3[0].val.u.t.secs = 16620; /* 2015-07-04 */
	memset(recs, 0, sizeof(recs));
	recs[0] = (struct gm_record){.kind = GM_NODE,
				     .key = gm_str_c("n1"),
				     .labels = la,
				     .nlabels = 2,
				     .props = p1,
				     .nprops = 2};
	recs[1] = (struct gm_record){
		.kind = GM_NODE, .key = gm_str_c("n\"2"), .props = p2, .nprops = 1};
	recs[2] = (struct gm_record){.kind = GM_REL,
				     .key = gm_str_c("r1"),
				     .type = gm_str_c("KNOWS"),
				     .from = gm_str_c("n1"),
				     .to = gm_str_c("n\"2"),
				     .props = p3,
				     .nprops = 1};
	recs[3] = (struct gm_record){.kind = GM_REL,
				     .type = gm_str_c("SELF"),
				     .from = gm_str_c("n1"),
				     .to = gm_str_c("n1")};
	got = write_records(recs, 4, &len, NULL);
	assert_string_equal(got, want);
	free(got);
}

/* Reads every record of text; returns how many, records copied into a. */
static size_t read_all(const char *text, size_t len, struct gm_record *out, size_t max,
		       struct gm_arena *a)
{
	struct gm_backend *b = NULL;
	size_t n = 0;
	int e;

	assert_int_equal(gm__graphml_open_mem(&b, text, len, "rt.graphml"), 0);
	while ((e = b->ops->read_next(b, &out[n], a)) == 0) {
		n++;
		assert_true(n <= max);
	}
	if (e != GM_ITEROVER)
		fail_msg("read_next: %d %s", e, gm_error_last());
	gm_backend_close(b);
	return n;
}

static void assert_record_equal(const struct gm_record *x, const struct gm_record *y)
{
	assert_int_equal(x->kind, y->kind);
	assert_true(gm_str_eq(x->key, y->key));
	assert_true((x->key.p == NULL) == (y->key.p == NULL));
	assert_int_equal(x->nlabels, y->nlabels);
	for (size_t i = 0; i < x->nlabels; i++)
		assert_true(gm_str_eq(x->labels[i], y->labels[i]));
	assert_true(gm_str_eq(x->type, y->type));
	assert_true(gm_str_eq(x->from, y->from));
	assert_true(gm_str_eq(x->to, y->to));
	assert_int_equal(x->nprops, y->nprops);
	for (size_t i = 0; i < x->nprops; i++) {
		if (!gm_str_eq(x->props[i].key, y->props[i].key))
			fail_msg("property %zu: '%.*s' vs '%.*s'", i, (int)x->props[i].key.len,
				 x->props[i].key.p, (int)y->props[i].key.len, y->props[i].key.p);
		if (!gm_value_equal(&x->props[i].val, &y->props[i].val))
			fail_msg("property '%.*s' differs (%s vs %s)", (int)x->props[i].key.len,
				 x->props[i].key.p, gm_type_name(x->props[i].val.type),
				 gm_type_name(y->props[i].val.type));
	}
}

static void test_roundtrip_every_type(void **state)
{
	static float vec[] = {1.5f, -0.0f, 3.25e-3f};
	struct gm_value inner[4] = {0}, lists[6][3] = {0};
	struct gm_prop mp[2] = {0};
	struct gm_prop props[40];
	struct gm_str labels[] = {gm_str_c("A:B"), gm_str_c(""), gm_str_c("\xc3\xa9t\xc3\xa9")};
	struct gm_record recs[4], back[8];
	struct gm_arena *a;
	size_t n = 0, len, got;
	char *text;

	(void)state;
	memset(props, 0, sizeof(props));
	memset(lists, 0, sizeof(lists));
#define P(name) (props[n].key = gm_str_c(name), &props[n++].val)
	P("null")->type = GM_T_NULL;
	{
		struct gm_value *v = P("bool");
		v->type = GM_T_BOOL;
		v->u.b = 1;
	}
	*P("int") = tu_int(INT64_MIN);
	*P("intmax") = tu_int(INT64_MAX);
	{
		struct gm_value *v;

		v = P("f");
		v->type = GM_T_FLOAT, v->u.f = 0.1;
		v = P("fnan");
		v->type = GM_T_FLOAT, v->u.f = NAN;
		v = P("finf");
		v->type = GM_T_FLOAT, v->u.f = -INFINITY;
		v = P("fneg0");
		v->type = GM_T_FLOAT, v->u.f = -0.0;
		v = P("fbig");
		v->type = GM_T_FLOAT, v->u.f = 1e300;
	}
	*P("s") = tu_str("plain \xe2\x82\xac & <tag> \"q\" 'a'\ttab\nline\r\ncrlf  ");
	*P("sctl") = tu_str("nul\x01 ctl\x1f and \xef\xbf\xbf end");
	*P("sempty") = tu_str("");
	*P("labels") = tu_str(":Not:Labels"); /* a property named like the label key */
	{
		struct gm_value *v = P("bytes");
		v->type = GM_T_BYTES;
		v->u.s.p = "\x00\x01\xff";
		v->u.s.len = 3;
	}
	{
		struct gm_value *v;

		v = P("date");
		v->type = GM_T_DATE, v->u.t.secs = -719528; /* 0000-01-01 */
		v = P("ltime");
		v->type = GM_T_LOCALTIME, v->u.t.secs = 45035, v->u.t.nanos = 556000000;
		v = P("time");
		v->type = GM_T_TIME, v->u.t.secs = 45035, v->u.t.has_offset = 1,
		v->u.t.offset = -5400;
		v = P("ldt");
		v->type = GM_T_LOCALDATETIME, v->u.t.secs = 1436038344, v->u.t.nanos = 1;
		v = P("dt");
		v->type = GM_T_DATETIME, v->u.t.secs = 1435150235, v->u.t.has_offset = 1,
		v->u.t.offset = 3600, v->u.t.zone = gm_str_c("Europe/Berlin");
		v = P("dtz");
		v->type = GM_T_DATETIME, v->u.t.secs = 1435150235, v->u.t.has_offset = 0,
		v->u.t.zone = gm_str_c("Europe/Berlin");
		v = P("dto");
		v->type = GM_T_DATETIME, v->u.t.secs = 1435150235, v->u.t.has_offset = 1,
		v->u.t.offset = 0;
		v = P("dur");
		v->type = GM_T_DURATION, v->u.d.months = 14, v->u.d.days = -3, v->u.d.secs = -1,
		v->u.d.nanos = 500000000;
		v = P("pt2");
		v->type = GM_T_POINT, v->u.pt.srid = 4326, v->u.pt.dim = 2, v->u.pt.x = 1.5,
		v->u.pt.y = 2.25;
		v = P("pt3");
		v->type = GM_T_POINT, v->u.pt.srid = 9157, v->u.pt.dim = 3, v->u.pt.x = -1,
		v->u.pt.y = 0.5, v->u.pt.z = 1e10;
		v = P("vec");
		v->type = GM_T_VECTOR, v->u.vec.v = vec, v->u.vec.n = 3;
	}
	/* lists: simple ones and ones that need typed JSON */
	lists[0][0].type = GM_T_BOOL, lists[0][1].type = GM_T_BOOL, lists[0][1].u.b = 1;
	lists[1][0] = tu_int(-9007199254740992), lists[1][1] = tu_int(5);
	lists[2][0].type = GM_T_FLOAT, lists[2][0].u.f = 0.5;
	lists[2][1].type = GM_T_FLOAT, lists[2][1].u.f = 1e-7;
	lists[3][0] = tu_str("a,\"b\"]"), lists[3][1] = tu_str("\x01\xef\xbf\xbe");
	lists[4][0] = tu_int(INT64_MAX), lists[4][1] = tu_str("x"), lists[4][2].type = GM_T_NULL;
	lists[5][0].type = GM_T_FLOAT, lists[5][0].u.f = NAN;
	lists[5][1].type = GM_T_DATE, lists[5][1].u.t.secs = 1;
	{
		static const char *const names[] = {"lb", "li", "lf", "ls", "lmixed", "ltyped"};
		static const size_t counts[] = {2, 2, 2, 2, 3, 2};

		for (int i = 0; i < 6; i++) {
			struct gm_value *v = P(names[i]);
			v->type = GM_T_LIST, v->u.list.v = lists[i], v->u.list.n = counts[i];
		}
		P("lempty")->type = GM_T_LIST;
	}
	inner[0] = tu_int(1);
	inner[1].type = GM_T_DURATION, inner[1].u.d.secs = 3;
	mp[0].key = gm_str_c("$type"), mp[0].val = tu_str("x");
	mp[1].key = gm_str_c("_value"), mp[1].val.type = GM_T_LIST;
	mp[1].val.u.list.v = inner, mp[1].val.u.list.n = 2;
	{
		struct gm_value *v = P("map");
		v->type = GM_T_MAP, v->u.map.p = mp, v->u.map.n = 2;
		P("mapempty")->type = GM_T_MAP;
	}
#undef P
	assert_true(n <= 40);
	memset(recs, 0, sizeof(recs));
	recs[0] = (struct gm_record){.kind = GM_NODE,
				     .key = gm_str_c("k\t1\n"),
				     .labels = labels,
				     .nlabels = 3,
				     .props = props,
				     .nprops = n};
	recs[1] = (struct gm_record){.kind = GM_NODE, .key = gm_str_c("")};
	recs[2] = (struct gm_record){.kind = GM_REL,
				     .key = gm_str_c(""),
				     .type = gm_str_c("T:x"),
				     .from = gm_str_c("k\t1\n"),
				     .to = gm_str_c("zz"),
				     .props = props,
				     .nprops = n};
	recs[3] = (struct gm_record){
		.kind = GM_REL, .type = gm_str_c(""), .from = gm_str_c(""), .to = gm_str_c("")};
	text = write_records(recs, 4, &len, NULL);
	assert_int_equal(gm_arena_new(&a), 0);
	got = read_all(text, len, back, 8, a);
	assert_int_equal(got, 4);
	for (size_t i = 0; i < 4; i++)
		assert_record_equal(&recs[i], &back[i]);
	gm_arena_free(a);
	free(text);
}

/* The same property with a different type on each record: one key per type. */
static void test_roundtrip_mixed_types(void **state)
{
	struct gm_prop props[5];
	struct gm_record recs[5], back[6];
	struct gm_arena *a;
	size_t len;
	char *text;

	(void)state;
	memset(props, 0, sizeof(props));
	for (int i = 0; i < 5; i++)
		props[i].key = gm_str_c("x");
	props[0].val = tu_int(1);
	props[1].val = tu_str("1");
	props[2].val.type = GM_T_FLOAT, props[2].val.u.f = 1.0;
	props[3].val.type = GM_T_BOOL, props[3].val.u.b = 1;
	props[4].val.type = GM_T_DATE, props[4].val.u.t.secs = 1;
	for (int i = 0; i < 5; i++) {
		static const char *const keys[] = {"a", "b", "c", "d", "e"};
		recs[i] = (struct gm_record){
			.kind = GM_NODE, .key = gm_str_c(keys[i]), .props = &props[i], .nprops = 1};
	}
	text = write_records(recs, 5, &len, NULL);
	assert_non_null(strstr(text, "<key id=\"d1\" for=\"node\" attr.name=\"x\" "
				     "attr.type=\"string\"/>"));
	assert_non_null(strstr(text, "<key id=\"d4\" for=\"node\" attr.name=\"x\" "
				     "attr.type=\"string\" gmig.type=\"Date\"/>"));
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(read_all(text, len, back, 6, a), 5);
	for (int i = 0; i < 5; i++)
		assert_record_equal(&recs[i], &back[i]);
	gm_arena_free(a);
	free(text);
}

static void test_write_refusals(void **state)
{
	struct gm_open_opts o = {.mode = GM_OPEN_WRITE};
	struct gm_backend *b = NULL;
	struct gm_str bad = {"a\x02", 2};
	struct gm_record ok = {.kind = GM_NODE, .key = gm_str_c("ok")};
	struct gm_record recs[2] = {
		{.kind = GM_NODE, .key = gm_str_c("x")},
		{.kind = GM_NODE, .key = gm_str_c("y"), .labels = &bad, .nlabels = 1}};
	char *path = temp_path(".graphml");
	size_t len;
	char *text;

	(void)state;
	assert_int_equal(gm_backend_open(&b, path, &o), 0);
	/* the batch is refused as a whole */
	assert_int_equal(b->ops->write_batch(b, recs, 2), GM_EUNSUPPORTED);
	assert_non_null(strstr(gm_error_last(), "node 'y'"));
	assert_int_equal(b->ops->write_batch(b, &ok, 1), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	text = tu_slurp(path, &len);
	assert_null(strstr(text, "id=\"x\""));
	assert_non_null(strstr(text, "<node id=\"ok\"></node>\n"));
	free(text);
	unlink(path);
	free(path);

	/* not committed: nothing appears */
	path = temp_path(".graphml");
	assert_int_equal(gm_backend_open(&b, path, &o), 0);
	assert_int_equal(b->ops->write_batch(b, &ok, 1), 0);
	gm_backend_close(b);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

/* A big generated document streams in bounded memory: arena use per record stays small. */
static void test_large_bounded(void **state)
{
	struct gm_buf doc = GM_BUF_INIT;
	struct gm_backend *b = NULL;
	struct gm_arena *a;
	struct gm_record r;
	size_t nodes = 0, rels = 0, max_used = 0;
	const size_t N = 200000;
	int e;

	(void)state;
	gm_buf_puts(&doc, "<?xml version=\"1.0\"?>\n<graphml><key id=\"v\" for=\"all\" "
			  "attr.name=\"v\" attr.type=\"long\"/><graph>\n");
	for (size_t i = 0; i < N; i++) {
		gm_buf_printf(&doc,
			      "<node id=\"n%zu\" labels=\":L\"><data key=\"v\">%zu</data></node>\n",
			      i, i);
		if (i % 2)
			gm_buf_printf(&doc,
				      "<edge source=\"n%zu\" target=\"n%zu\" label=\"E\"><data "
				      "key=\"v\">%zu</data></edge>\n",
				      i, i - 1, i);
	}
	gm_buf_puts(&doc, "</graph></graphml>\n");
	assert_false(doc.oom);
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(gm__graphml_open_mem(&b, doc.p, doc.len, "big.graphml"), 0);
	while ((e = b->ops->read_next(b, &r, a)) == 0) {
		if (r.kind == GM_NODE) {
			assert_int_equal(rels, 0);
			assert_int_equal(r.props[0].val.u.i, (int64_t)nodes);
			nodes++;
		} else {
			assert_int_equal(r.props[0].val.u.i, (int64_t)(2 * rels + 1));
			rels++;
		}
		if (gm_arena_used(a) > max_used)
			max_used = gm_arena_used(a);
		gm_arena_reset(a);
	}
	assert_int_equal(e, GM_ITEROVER);
	assert_int_equal(nodes, N);
	assert_int_equal(rels, N / 2);
	assert_true(max_used < 1024);
	gm_backend_close(b);
	gm_arena_free(a);
	gm_buf_free(&doc);
}

static void test_probe(void **state)
{
	const char *xml = "<?xml version=\"1.0\"?>\n<graphml xmlns=\"x\">";

	(void)state;
	assert_true(gm_backend_graphml.probe((const unsigned char *)xml, strlen(xml)) >= 50);
	assert_int_equal(gm_backend_graphml.probe((const unsigned char *)"{\"a\":1}", 7), 0);
}

/* Allocation failures: no crash, no leak (ASan), an error returned. */
static void test_alloc_failures(void **state)
{
	size_t len;
	char *text = fixture("networkx.graphml", &len);

	(void)state;
	for (unsigned long k = 1; k < 400; k++) {
		struct gm_backend *b = NULL;
		struct gm_arena *a = NULL;
		struct gm_record r;
		int e = 0;

		gm_alloc_fail_after(k, 1);
		if (gm_arena_new(&a) == 0 && gm__graphml_open_mem(&b, text, len, "x") == 0)
			while ((e = b->ops->read_next(b, &r, a)) == 0 || e == GM_EDATA)
				;
		gm_alloc_fail_after(0, 0);
		gm_backend_close(b);
		gm_arena_free(a);
		if (e == GM_ITEROVER)
			break;
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_apoc),
		cmocka_unit_test(test_read_networkx),
		cmocka_unit_test(test_read_igraph),
		cmocka_unit_test(test_read_tinkerpop_gephi),
		cmocka_unit_test(test_read_edges_first),
		cmocka_unit_test(test_errors_bad_value_continues),
		cmocka_unit_test(test_errors_malformed),
		cmocka_unit_test(test_write_exact),
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_roundtrip_mixed_types),
		cmocka_unit_test(test_write_refusals),
		cmocka_unit_test(test_large_bounded),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
