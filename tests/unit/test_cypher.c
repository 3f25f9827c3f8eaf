/* SPDX-License-Identifier: MIT */
/* Unit tests of the cypher backend: exact script text, every literal kind, refusals. */
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
#include "valtext.h"

static char tmpdir[64];
static struct gm_arena *arena;

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gmig-cypher-XXXXXX");
	return mkdtemp(tmpdir) && gm_arena_new(&arena) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	gm_arena_free(arena);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct gm_str S(const char *s) {
	return gm_str_c(s);
}

static struct gm_value
vint(int64_t i)
{
	struct gm_value v = {.type = GM_T_INT, .u.i = i};
	return v;
}

static struct gm_value vtext(enum gm_type t, const char *text)
{
	struct gm_value v;

	assert_int_equal(gm_value_parse_text(t, text, strlen(text), arena, &v), 0);
	return v;
}

static int open_write(struct gm_backend **b, const char *name, size_t batch, const char *params)
{
	struct gm_open_opts o = {.mode = GM_OPEN_WRITE, .batch_size = batch};
	char uri[256];

	snprintf(uri, sizeof(uri), "cypher:%s/%s%s%s", tmpdir, name, params ? "?" : "",
		 params ? params : "");
	return gm_backend_open(b, uri, &o);
}

static char *write_and_read(const char *name, size_t batch, const char *params,
			    const struct gm_record *recs, size_t n)
{
	struct gm_backend *b;
	char path[128];

	assert_int_equal(open_write(&b, name, batch, params), 0);
	if (n)
		assert_int_equal(b->ops->write_batch(b, recs, n), 0);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_int_equal(access(path, F_OK), -1); /* nothing before commit */
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	return tu_slurp(path, NULL);
}

#define HEAD                                                                                       \
	":begin\nCREATE CONSTRAINT UNIQUE_IMPORT_NAME IF NOT EXISTS FOR (n:`UNIQUE IMPORT "        \
	"LABEL`) REQUIRE (n.`UNIQUE IMPORT ID`) IS UNIQUE;\n:commit\nCALL db.awaitIndexes(300);\n"
#define NODES_END                                                                                  \
	"] AS row\nCREATE (n:`UNIQUE IMPORT LABEL`{`UNIQUE IMPORT ID`: row._id}) SET n += "        \
	"row.properties"
#define RELS_END                                                                                   \
	"] AS row\nMATCH (start:`UNIQUE IMPORT LABEL`{`UNIQUE IMPORT ID`: row.start._id})\n"       \
	"MATCH (end:`UNIQUE IMPORT LABEL`{`UNIQUE IMPORT ID`: row.end._id})\nCREATE "              \
	"(start)-[r:"
#define CLEANUP(n)                                                                                 \
	":begin\nMATCH (n:`UNIQUE IMPORT LABEL`)  WITH n LIMIT " n " REMOVE n:`UNIQUE IMPORT "     \
	"LABEL` REMOVE n.`UNIQUE IMPORT ID`;\n:commit\n"
#define DROP ":begin\nDROP CONSTRAINT UNIQUE_IMPORT_NAME;\n:commit\n"

static void test_empty(void **state)
{
	char *text;

	(void)state;
	text = write_and_read("empty.cypher", 0, NULL, NULL, 0);
	assert_string_equal(text, HEAD DROP);
	free(text);
}

static void test_script_exact(void **state)
{
	struct gm_str pu[] = {{"Person", 6}, {"User", 4}}, my[] = {{"My Label", 8}};
	struct gm_value list[] = {vint(1), tu_str("x")};
	struct gm_prop map[] = {{S("k"), vint(1)}, {S("odd key"), {.type = GM_T_NULL}}};
	struct gm_prop p1[] = {
		{S("a`b"), vint(-9223372036854775807LL - 1)},
		{S("b"), {.type = GM_T_BOOL, .u.b = 1}},
		{S("d"), vtext(GM_T_DATE, "2018-10-31")},
		{S("dt"), vtext(GM_T_DATETIME, "2015-06-24T12:50:35.556+01:00")},
		{S("dur"), vtext(GM_T_DURATION, "P5M1DT12H")},
		{S("f"), tu_float(1.5)},
		{S("fe"), tu_float(1e300)},
		{S("inf"), tu_float(INFINITY)},
		{S("l"), {.type = GM_T_LIST, .u.list = {list, 2}}},
		{S("ldt"), vtext(GM_T_LOCALDATETIME, "2015-07-04T19:32:24")},
		{S("lt"), vtext(GM_T_LOCALTIME, "12:50:35.556")},
		{S("m"), {.type = GM_T_MAP, .u.map = {map, 2}}},
		{S("nan"), tu_float(NAN)},
		{S("ninf"), tu_float(-INFINITY)},
		{S("nz"), tu_float(-0.0)},
		{S("p2"), tu_point(4326, 2, 33.46789, 13.1, 0)},
		{S("p3"), tu_point(9157, 3, 1.0, -2.5, 3e-7)},
		{S("p4"), tu_point(4979, 3, 1.0, 2.0, 100.0)},
		{S("p5"), tu_point(7203, 2, 0.5, 0.25, 0)},
		{S("s"), tu_str("a\"b\\c\nd\re\tf\x01g'h\xc3\xa9")},
		{S("t"), vtext(GM_T_TIME, "12:50:35.556+01:00")},
		{S("weird key"), vint(1)},
		{S("zdt"), vtext(GM_T_DATETIME, "2015-06-24T12:50:35+01:00[Europe/Berlin]")},
	};
	struct gm_prop pr[] = {{S("since"), vint(2016)}};
	struct gm_record recs[] = {
		{.kind = GM_NODE,
		 .key = S("n1"),
		 .labels = pu,
		 .nlabels = 2,
		 .props = p1,
		 .nprops = sizeof(p1) / sizeof(p1[0])},
		{.kind = GM_NODE, .key = S("n\"2"), .labels = pu, .nlabels = 2},
		{.kind = GM_NODE, .key = S("n3"), .labels = my, .nlabels = 1},
		{.kind = GM_NODE, .key = S("n4")},
		{.kind = GM_REL,
		 .key = S("r1"),
		 .type = S("KNOWS"),
		 .from = S("n1"),
		 .to = S("n\"2"),
		 .props = pr,
		 .nprops = 1},
		{.kind = GM_REL, .type = S("KNOWS"), .from = S("n\"2"), .to = S("n3")},
		{.kind = GM_REL, .type = S("HAS PART"), .from = S("n1"), .to = S("n4")},
	};
	static const char want[] = HEAD
		":begin\n"
		"UNWIND [{_id:\"n1\", properties:{`a``b`:-9223372036854775808, b:true, "
		"d:date('2018-10-31'), dt:datetime('2015-06-24T12:50:35.556+01:00'), "
		"dur:duration('P5M1DT12H'), f:1.5, fe:1e300, inf:1.0/0.0, l:[1, \"x\"], "
		"ldt:localdatetime('2015-07-04T19:32:24'), lt:localtime('12:50:35.556'), "
		"m:{k:1, `odd key`:null}, nan:0.0/0.0, ninf:-1.0/0.0, nz:-0.0, "
		"p2:point({longitude: 33.46789, latitude: 13.1, crs: 'wgs-84'}), "
		"p3:point({x: 1.0, y: -2.5, z: 3e-07, crs: 'cartesian-3d'}), "
		"p4:point({longitude: 1.0, latitude: 2.0, height: 100.0, crs: 'wgs-84-3d'}), "
		"p5:point({x: 0.5, y: 0.25, crs: 'cartesian'}), "
		"s:\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g'h\xc3\xa9\", "
		"t:time('12:50:35.556+01:00'), `weird key`:1, "
		"zdt:datetime('2015-06-24T12:50:35+01:00[Europe/Berlin]')}}, "
		"{_id:\"n\\\"2\", properties:{}}" NODES_END " SET n:Person:User;\n"
		":commit\n"
		":begin\n"
		"UNWIND [{_id:\"n3\", properties:{}}" NODES_END " SET n:`My Label`;\n"
		"UNWIND [{_id:\"n4\", properties:{}}" NODES_END ";\n"
		":commit\n"
		":begin\n"
		"UNWIND [{start: {_id:\"n1\"}, end: {_id:\"n\\\"2\"}, properties:{since:2016}}, "
		"{start: {_id:\"n\\\"2\"}, end: {_id:\"n3\"}, properties:{}}" RELS_END
		"KNOWS]->(end) SET r += row.properties;\n"
		":commit\n"
		":begin\n"
		"UNWIND [{start: {_id:\"n1\"}, end: {_id:\"n4\"}, properties:{}}" RELS_END
		"`HAS PART`]->(end) SET r += row.properties;\n"
		":commit\n" CLEANUP("2") CLEANUP("2") DROP;
	char *text;

	(void)state;
	text = write_and_read("g.cypher", 2, NULL, recs, sizeof(recs) / sizeof(recs[0]));
	assert_string_equal(text, want);
	free(text);
}

/* A statement stays open across write_batch calls; a third node starts a new transaction. */
static void test_batches_across_calls(void **state)
{
	struct gm_str l[] = {{"L", 1}};
	struct gm_record recs[] = {
		{.kind = GM_NODE, .key = S("a"), .labels = l, .nlabels = 1},
		{.kind = GM_NODE, .key = S("b"), .labels = l, .nlabels = 1},
		{.kind = GM_NODE, .key = S("c"), .labels = l, .nlabels = 1},
	};
	struct gm_backend *b;
	char path[128], *text;

	(void)state;
	assert_int_equal(open_write(&b, "x.cypherl", 2, NULL), 0);
	assert_int_equal(b->ops->write_batch(b, recs, 1), 0);
	assert_int_equal(b->ops->write_batch(b, recs + 1, 2), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	assert_int_equal(b->nodes_written, 3);
	gm_backend_close(b);
	snprintf(path, sizeof(path), "%s/x.cypherl", tmpdir);
	text = tu_slurp(path, NULL);
	assert_string_equal(text, HEAD ":begin\nUNWIND [{_id:\"a\", properties:{}}, {_id:\"b\", "
				       "properties:{}}" NODES_END " SET n:L;\n:commit\n:begin\n"
				       "UNWIND [{_id:\"c\", properties:{}}" NODES_END
				       " SET n:L;\n:commit\n" CLEANUP("2") CLEANUP("2") DROP);
	free(text);
}

static void test_refusals(void **state)
{
	unsigned char raw[] = {0, 1, 255};
	float fv[] = {1.5f, -2.0f};
	struct gm_prop p[1];
	struct gm_record ok = {.kind = GM_NODE, .key = {"a", 1}};
	struct gm_record rec = {.kind = GM_NODE, .key = {"n1", 2}, .props = p, .nprops = 1};
	struct gm_record two[2] = {ok, rec};
	struct gm_backend *b;
	char path[128], *text;

	(void)state;
	two[1].props = p;
	assert_int_equal(open_write(&b, "r.cypher", 0, NULL), 0);
	p[0] = (struct gm_prop){S("raw"), {.type = GM_T_BYTES, .u.s = {(const char *)raw, 3}}};
	assert_int_equal(b->ops->write_batch(b, two, 2), GM_EUNSUPPORTED);
	assert_string_equal(gm_error_last(),
			    "node 'n1' has a Base64 value in property 'raw', which the cypher "
			    "format cannot store (Cypher has no such literal; parameter "
			    "lossy=stringify writes bytes as base64 strings and vectors as lists)");
	p[0] = (struct gm_prop){S("v"), {.type = GM_T_VECTOR, .u.vec = {fv, 2}}};
	rec.line = 3;
	assert_int_equal(b->ops->write_batch(b, &rec, 1), GM_EUNSUPPORTED);
	assert_non_null(strstr(gm_error_last(), "node 'n1' (line 3) has a Vector value"));
	p[0] = (struct gm_prop){S("n"), {.type = GM_T_NULL}};
	assert_int_equal(b->ops->write_batch(b, &rec, 1), GM_EUNSUPPORTED);
	assert_non_null(strstr(gm_error_last(), "has a Null value in property 'n'"));
	assert_non_null(strstr(gm_error_last(), "lossy=drop"));
	p[0] = (struct gm_prop){S("pt"), tu_point(3857, 2, 1, 2, 0)};
	assert_int_equal(b->ops->write_batch(b, &rec, 1), GM_EUNSUPPORTED);
	assert_non_null(strstr(gm_error_last(), "has a Point value"));
	{
		struct gm_value inner = {.type = GM_T_BYTES, .u.s = {"x", 1}};

		p[0] = (struct gm_prop){S("l"), {.type = GM_T_LIST, .u.list = {&inner, 1}}};
		assert_int_equal(b->ops->write_batch(b, &rec, 1), GM_EUNSUPPORTED);
		assert_non_null(strstr(gm_error_last(), "has a Base64 value in property 'l'"));
	}
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	snprintf(path, sizeof(path), "%s/r.cypher", tmpdir);
	text = tu_slurp(path, NULL);
	assert_string_equal(text, HEAD DROP); /* refused batches wrote nothing */
	free(text);

	/* lossy */
	{
		struct gm_prop q[] = {
			{S("n"), {.type = GM_T_NULL}},
			{S("raw"), {.type = GM_T_BYTES, .u.s = {(const char *)raw, 3}}},
			{S("v"), {.type = GM_T_VECTOR, .u.vec = {fv, 2}}},
		};
		struct gm_record r = {.kind = GM_NODE, .key = {"k", 1}, .props = q, .nprops = 3};

		text = write_and_read("lossy.cypher", 0, "lossy=stringify,drop", &r, 1);
		assert_string_equal(
			text, HEAD ":begin\nUNWIND [{_id:\"k\", properties:{raw:\"AAH/\", "
				   "v:[1.5, -2.0]}}" NODES_END ";\n:commit\n" CLEANUP("1000") DROP);
		free(text);
	}
	assert_int_equal(open_write(&b, "bad.cypher", 0, "lossy=yes"), GM_EINVAL);
	assert_int_equal(open_write(&b, "bad.cypher", 0, "format=plain"), GM_EINVAL);
	assert_non_null(strstr(gm_error_last(), "unknown parameter 'format'"));
	snprintf(path, sizeof(path), "%s/bad.cypher", tmpdir);
	assert_int_equal(access(path, F_OK), -1);
}

/* Every allocation failing in turn: GM_ENOMEM or success, never a crash or a leak (ASan). */
static void test_alloc_failures(void **state)
{
	int done = 0;

	(void)state;
	for (unsigned long k = 1; k < 400 && !done; k++) {
		struct gm_str l[] = {{"L", 1}};
		struct gm_value d = vtext(GM_T_DATE, "2020-01-02");
		struct gm_prop p[] = {{{"p", 1}, d}};
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
		e = open_write(&b, "oom.cypher", 0, NULL);
		if (e == 0)
			e = b->ops->write_batch(b, recs, 2);
		if (e == 0)
			e = gm_backend_commit(b);
		gm_alloc_fail_after(0, 0);
		if (e == 0)
			done = 1;
		else if (e != GM_ENOMEM)
			fail_msg("allocation %lu: %d %s", k, e, gm_error_last());
		gm_backend_close(b);
	}
	assert_true(done);
}

static void test_registered(void **state)
{
	const struct gm_backend_ops *ops = gm_backend_find("cypher", 6);

	(void)state;
	assert_non_null(ops);
	assert_int_equal(ops->caps, GM_CAP_WRITE | GM_CAP_FILE | GM_CAP_LOSSY);
	assert_null(ops->read_next);
	assert_int_equal(ops->types & GM_TYPE_BIT(GM_T_BYTES), 0);
	assert_int_not_equal(ops->types & GM_TYPE_BIT(GM_T_DATETIME), 0);
	assert_string_equal(ops->suffixes[0], ".cypher");
	assert_string_equal(ops->suffixes[1], ".cypherl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_script_exact),
		cmocka_unit_test(test_batches_across_calls),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_alloc_failures),
		cmocka_unit_test(test_registered),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
