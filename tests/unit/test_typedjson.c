/* SPDX-License-Identifier: MIT */
/* Tests for values <-> JSON in the typed and plain dialects (src/lib/typedjson.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gmig/gmig.h"
#include "io.h"
#include "json.h"
#include "typedjson.h"
#include "valtext.h"

static struct gm_arena *arena;
static struct gm_buf wbuf = GM_BUF_INIT;

static int setup(void **state)
{
	(void)state;
	return gm_arena_new(&arena);
}

static int teardown(void **state)
{
	(void)state;
	gm_arena_free(arena);
	gm_buf_free(&wbuf);
	return 0;
}

/* ---- value builders ---- */

static struct gm_value vnull(void)
{
	struct gm_value v;

	memset(&v, 0, sizeof(v));
	return v;
}

static struct gm_value vint(int64_t i)
{
	struct gm_value v = vnull();

	v.type = GM_T_INT;
	v.u.i = i;
	return v;
}

static struct gm_value vfloat(double d)
{
	struct gm_value v = vnull();

	v.type = GM_T_FLOAT;
	v.u.f = d;
	return v;
}

static struct gm_value vstr(const char *s, size_t n)
{
	struct gm_value v = vnull();

	v.type = GM_T_STRING;
	v.u.s.p = s;
	v.u.s.len = n;
	return v;
}

static struct gm_value vtemporal(enum gm_type t, int64_t secs, int32_t nanos, int32_t off,
				 const char *zone)
{
	struct gm_value v = vnull();

	v.type = t;
	v.u.t.secs = secs;
	v.u.t.nanos = nanos;
	v.u.t.offset = off;
	v.u.t.has_offset = t == GM_T_TIME || (t == GM_T_DATETIME && off != INT32_MIN);
	if (v.u.t.has_offset == 0)
		v.u.t.offset = 0;
	v.u.t.zone = gm_str_c(zone);
	return v;
}

/* ---- helpers ---- */

static const char *write_str(const struct gm_value *v, unsigned int flags)
{
	gm_buf_clear(&wbuf);
	assert_int_equal(gm_tjson_write(&wbuf, v, flags), 0);
	return wbuf.p;
}

/* Parses json (one value) with flags; returns the code, the value in *out. */
static int read_str(const char *json, size_t n, unsigned int flags, struct gm_value *out)
{
	struct gm_in *in;
	struct gm_json_reader *r;
	struct gm_json_token t;
	int error;

	assert_int_equal(gm_in_open_mem(&in, json, n, "v.json"), 0);
	assert_int_equal(gm_json_reader_new(&r, in, 0), 0);
	error = gm_tjson_read(r, NULL, arena, out, flags);
	if (error == 0) {
		/* the whole document was one value */
		assert_int_equal(gm_json_next(r, &t), 0);
		assert_int_equal(t.tok, GM_JSON_EOF);
	}
	gm_json_reader_free(r);
	gm_in_free(in);
	return error;
}

static void roundtrip(const struct gm_value *v, unsigned int flags)
{
	struct gm_buf b = GM_BUF_INIT;
	struct gm_value back;

	assert_int_equal(gm_tjson_write(&b, v, flags), 0);
	if (read_str(b.p, b.len, flags, &back) != 0)
		fail_msg("cannot read back %s: %s", b.p, gm_error_last());
	if (!gm_value_equal(v, &back))
		fail_msg("round trip changed the value: %s", b.p);
	gm_buf_free(&b);
}

static void expect_write(const struct gm_value *v, unsigned int flags, const char *want)
{
	assert_string_equal(write_str(v, flags), want);
	if (!(flags & GM_TJ_PLAIN))
		roundtrip(v, flags);
}

static void expect_read_error(const char *json, unsigned int flags, const char *msg)
{
	struct gm_value v;

	assert_int_equal(read_str(json, strlen(json), flags, &v), GM_EDATA);
	assert_string_equal(gm_error_last(), msg);
}

/* ---- tests ---- */

static void test_scalars(void **state)
{
	struct gm_value v = vnull();

	(void)state;
	expect_write(&v, 0, "null");
	v.type = GM_T_BOOL;
	v.u.b = 1;
	expect_write(&v, 0, "true");
	v.u.b = 0;
	expect_write(&v, 0, "false");
	v = vint(42);
	expect_write(&v, 0, "42");
	v = vint(-9007199254740991LL);
	expect_write(&v, 0, "-9007199254740991");
	v = vint(9007199254740992LL);
	expect_write(&v, 0, "{\"$type\":\"Integer\",\"_value\":\"9007199254740992\"}");
	v = vint(INT64_MIN);
	expect_write(&v, 0, "{\"$type\":\"Integer\",\"_value\":\"-9223372036854775808\"}");
	expect_write(&v, GM_TJ_PLAIN, "-9223372036854775808");
	v = vint(INT64_MAX);
	expect_write(&v, 0, "{\"$type\":\"Integer\",\"_value\":\"9223372036854775807\"}");
	v = vfloat(1.0);
	expect_write(&v, 0, "1.0");
	v = vfloat(0.1);
	expect_write(&v, 0, "0.1");
	v = vfloat(1e300);
	expect_write(&v, 0, "1e+300");
	v = vfloat(5e-324);
	expect_write(&v, 0, "5e-324");
	v = vfloat(0.0);
	expect_write(&v, 0, "0.0");
	v = vfloat(-0.0);
	expect_write(&v, 0, "{\"$type\":\"Float\",\"_value\":\"-0.0\"}");
	expect_write(&v, GM_TJ_PLAIN, "-0.0");
	v = vfloat(NAN);
	expect_write(&v, 0, "{\"$type\":\"Float\",\"_value\":\"NaN\"}");
	expect_write(&v, GM_TJ_PLAIN, "\"NaN\"");
	v = vfloat(INFINITY);
	expect_write(&v, 0, "{\"$type\":\"Float\",\"_value\":\"Infinity\"}");
	v = vfloat(-INFINITY);
	expect_write(&v, 0, "{\"$type\":\"Float\",\"_value\":\"-Infinity\"}");
	expect_write(&v, GM_TJ_PLAIN, "\"-Infinity\"");
	v = vstr("", 0);
	expect_write(&v, 0, "\"\"");
	v = vstr("caf\xc3\xa9 \"q\"\n\0x", 12);
	expect_write(&v, 0, "\"caf\xc3\xa9 \\\"q\\\"\\n\\u0000x\"");
	expect_write(&v, GM_TJ_ASCII, "\"caf\\u00e9 \\\"q\\\"\\n\\u0000x\"");
	v.type = GM_T_BYTES;
	v.u.s.p = "\x00\x01\xff";
	v.u.s.len = 3;
	expect_write(&v, 0, "{\"$type\":\"Base64\",\"_value\":\"AAH/\"}");
	expect_write(&v, GM_TJ_PLAIN, "\"AAH/\"");
	v.u.s.len = 0;
	expect_write(&v, 0, "{\"$type\":\"Base64\",\"_value\":\"\"}");
}

static void test_temporals(void **state)
{
	int64_t day = gm_days_from_civil(2015, 6, 24);
	int64_t tod = 12 * 3600 + 50 * 60 + 35;
	struct gm_value v;

	(void)state;
	v = vtemporal(GM_T_DATE, 0, 0, 0, NULL);
	expect_write(&v, 0, "{\"$type\":\"Date\",\"_value\":\"1970-01-01\"}");
	expect_write(&v, GM_TJ_PLAIN, "\"1970-01-01\"");
	v = vtemporal(GM_T_DATE, gm_days_from_civil(-1, 1, 1), 0, 0, NULL);
	expect_write(&v, 0, "{\"$type\":\"Date\",\"_value\":\"-0001-01-01\"}");
	v = vtemporal(GM_T_LOCALTIME, tod, 556000000, 0, NULL);
	expect_write(&v, 0, "{\"$type\":\"LocalTime\",\"_value\":\"12:50:35.556\"}");
	v = vtemporal(GM_T_TIME, tod, 556000000, 3600, NULL);
	expect_write(&v, 0, "{\"$type\":\"Time\",\"_value\":\"12:50:35.556+01:00\"}");
	v = vtemporal(GM_T_LOCALDATETIME, day * 86400 + tod, 1, 0, NULL);
	expect_write(&v, 0,
		     "{\"$type\":\"LocalDateTime\",\"_value\":\"2015-06-24T12:50:35.000000001\"}");
	v = vtemporal(GM_T_DATETIME, day * 86400 + tod, 556000000, 3600, NULL);
	expect_write(&v, 0,
		     "{\"$type\":\"OffsetDateTime\",\"_value\":\"2015-06-24T12:50:35.556+01:00\"}");
	expect_write(&v, GM_TJ_PLAIN, "\"2015-06-24T12:50:35.556+01:00\"");
	v = vtemporal(GM_T_DATETIME, day * 86400 + tod, 0, 7200, "Europe/Berlin");
	expect_write(&v, 0,
		     "{\"$type\":\"ZonedDateTime\",\"_value\":\"2015-06-24T12:50:35+02:00[Europe/"
		     "Berlin]\"}");
	v = vtemporal(GM_T_DATETIME, day * 86400 + tod, 0, INT32_MIN, "America/New_York");
	expect_write(&v, 0,
		     "{\"$type\":\"ZonedDateTime\",\"_value\":\"2015-06-24T12:50:35[America/"
		     "New_York]\"}");
	v = vnull();
	v.type = GM_T_DURATION;
	v.u.d.months = 14;
	v.u.d.days = 3;
	v.u.d.secs = 3723;
	v.u.d.nanos = 500000000;
	expect_write(&v, 0, "{\"$type\":\"Duration\",\"_value\":\"P1Y2M3DT1H2M3.5S\"}");
	expect_write(&v, GM_TJ_PLAIN, "\"P1Y2M3DT1H2M3.5S\"");
	v.u.d.months = -1;
	v.u.d.days = 0;
	v.u.d.secs = -1;
	roundtrip(&v, 0);
}

static void test_points_vectors(void **state)
{
	struct gm_value v = vnull();
	float f[4] = {1.5f, 2.0f, -0.0f, 0.1f};

	(void)state;
	v.type = GM_T_POINT;
	v.u.pt.srid = 4326;
	v.u.pt.dim = 2;
	v.u.pt.x = 1.5;
	v.u.pt.y = 2.25;
	expect_write(&v, 0, "{\"$type\":\"Point\",\"_value\":\"SRID=4326;POINT (1.5 2.25)\"}");
	expect_write(&v, GM_TJ_PLAIN,
		     "{\"crs\":\"wgs-84\",\"latitude\":2.25,\"longitude\":1.5,\"height\":null}");
	v.u.pt.srid = 9157;
	v.u.pt.dim = 3;
	v.u.pt.z = -3.0;
	expect_write(&v, 0,
		     "{\"$type\":\"Point\",\"_value\":\"SRID=9157;POINT Z (1.5 2.25 -3.0)\"}");
	expect_write(&v, GM_TJ_PLAIN, "{\"crs\":\"cartesian-3d\",\"x\":1.5,\"y\":2.25,\"z\":-3.0}");
	v.u.pt.srid = 7203;
	v.u.pt.dim = 2;
	v.u.pt.x = NAN;
	expect_write(&v, GM_TJ_PLAIN,
		     "{\"crs\":\"cartesian\",\"x\":\"NaN\",\"y\":2.25,\"z\":null}");
	roundtrip(&v, 0);
	v = vnull();
	v.type = GM_T_VECTOR;
	v.u.vec.v = f;
	v.u.vec.n = 4;
	expect_write(&v, 0, "{\"$type\":\"Vector\",\"_value\":[1.5,2.0,-0.0,0.1]}");
	expect_write(&v, GM_TJ_PLAIN, "[1.5,2.0,-0.0,0.1]");
	f[1] = NAN;
	f[2] = -INFINITY;
	expect_write(&v, 0, "{\"$type\":\"Vector\",\"_value\":[1.5,\"NaN\",\"-Infinity\",0.1]}");
	v.u.vec.n = 0;
	expect_write(&v, 0, "{\"$type\":\"Vector\",\"_value\":[]}");
	/* float32 values that need all 9 digits read back exactly */
	for (uint32_t bits = 0x00800000; bits < 0x7f000000; bits += 0x00fedcb7) {
		memcpy(&f[0], &bits, 4);
		v.u.vec.n = 1;
		roundtrip(&v, 0);
	}
}

static void test_containers(void **state)
{
	struct gm_value items[4], inner[2], v = vnull(), m = vnull();
	struct gm_prop props[3], tp[2];

	(void)state;
	items[0] = vint(1);
	items[1] = vstr("a", 1);
	items[2] = vfloat(NAN);
	items[3] = vnull();
	v.type = GM_T_LIST;
	v.u.list.v = items;
	v.u.list.n = 4;
	expect_write(&v, 0, "[1,\"a\",{\"$type\":\"Float\",\"_value\":\"NaN\"},null]");
	v.u.list.n = 0;
	expect_write(&v, 0, "[]");
	/* a map nested in a list nested in a map */
	inner[0] = vint(7);
	inner[1] = v;
	inner[1].u.list.v = items;
	inner[1].u.list.n = 2;
	props[0].key = gm_str_c("k");
	props[0].val = inner[1];
	props[1].key = gm_str_c("\xc3\xa9");
	props[1].val = inner[0];
	m.type = GM_T_MAP;
	m.u.map.p = props;
	m.u.map.n = 2;
	expect_write(&m, 0, "{\"k\":[1,\"a\"],\"\xc3\xa9\":7}");
	m.u.map.n = 0;
	expect_write(&m, 0, "{}");
	/* a user map that looks like a typed value is wrapped */
	tp[0].key = gm_str_c("$type");
	tp[0].val = vstr("Date", 4);
	tp[1].key = gm_str_c("_value");
	tp[1].val = vstr("2020-01-01", 10);
	m.u.map.p = tp;
	m.u.map.n = 2;
	expect_write(
		&m, 0,
		"{\"$type\":\"Map\",\"_value\":{\"$type\":\"Date\",\"_value\":\"2020-01-01\"}}");
	expect_write(&m, GM_TJ_PLAIN, "{\"$type\":\"Date\",\"_value\":\"2020-01-01\"}");
	/* also when the keys come the other way round, or $type comes first with others */
	props[0] = tp[1];
	props[1] = tp[0];
	m.u.map.p = props;
	expect_write(
		&m, 0,
		"{\"$type\":\"Map\",\"_value\":{\"_value\":\"2020-01-01\",\"$type\":\"Date\"}}");
	props[0] = tp[0];
	props[1] = tp[1];
	props[2].key = gm_str_c("x");
	props[2].val = vint(1);
	m.u.map.n = 3;
	expect_write(&m, 0,
		     "{\"$type\":\"Map\",\"_value\":{\"$type\":\"Date\",\"_value\":\"2020-01-01\","
		     "\"x\":1}}");
	/* a map with only $type */
	m.u.map.n = 1;
	expect_write(&m, 0, "{\"$type\":\"Map\",\"_value\":{\"$type\":\"Date\"}}");
	/* a map whose $type is not first is plain */
	props[0].key = gm_str_c("!");
	props[0].val = vnull();
	props[1] = tp[0];
	m.u.map.n = 2;
	expect_write(&m, 0, "{\"!\":null,\"$type\":\"Date\"}");
}

/* Every gm_type, nested in a list and a map, survives value -> typed JSON -> value. */
static void test_every_type(void **state)
{
	struct gm_value all[GM_T__COUNT], list = vnull(), map = vnull();
	struct gm_prop props[GM_T__COUNT];
	float vec[2] = {0.25f, -1e-30f};
	struct gm_prop mp[1];
	unsigned int seen = 0;

	(void)state;
	all[GM_T_NULL] = vnull();
	all[GM_T_BOOL] = vnull();
	all[GM_T_BOOL].type = GM_T_BOOL;
	all[GM_T_BOOL].u.b = 1;
	all[GM_T_INT] = vint(-123456789012345678LL);
	all[GM_T_FLOAT] = vfloat(-1.25e-300);
	all[GM_T_STRING] = vstr("s\xf0\x9f\x98\x80", 5);
	all[GM_T_BYTES] = vstr("\0\xfe", 2);
	all[GM_T_BYTES].type = GM_T_BYTES;
	all[GM_T_LIST] = vnull();
	all[GM_T_LIST].type = GM_T_LIST;
	all[GM_T_MAP] = vnull();
	all[GM_T_MAP].type = GM_T_MAP;
	mp[0].key = gm_str_c("$type");
	mp[0].val = vint(1);
	all[GM_T_MAP].u.map.p = mp;
	all[GM_T_MAP].u.map.n = 1;
	all[GM_T_DATE] = vtemporal(GM_T_DATE, 16000, 0, 0, NULL);
	all[GM_T_LOCALTIME] = vtemporal(GM_T_LOCALTIME, 86399, 999999999, 0, NULL);
	all[GM_T_TIME] = vtemporal(GM_T_TIME, 0, 0, -(5 * 3600 + 30 * 60), NULL);
	all[GM_T_LOCALDATETIME] = vtemporal(GM_T_LOCALDATETIME, -1, 5000, 0, NULL);
	all[GM_T_DATETIME] = vtemporal(GM_T_DATETIME, 1234567890, 0, 3630, "Europe/Paris");
	all[GM_T_DURATION] = vnull();
	all[GM_T_DURATION].type = GM_T_DURATION;
	all[GM_T_DURATION].u.d.days = -40;
	all[GM_T_DURATION].u.d.nanos = 1;
	all[GM_T_POINT] = vnull();
	all[GM_T_POINT].type = GM_T_POINT;
	all[GM_T_POINT].u.pt.srid = 4979;
	all[GM_T_POINT].u.pt.dim = 3;
	all[GM_T_POINT].u.pt.x = 13.1;
	all[GM_T_POINT].u.pt.y = 33.46789;
	all[GM_T_POINT].u.pt.z = 100.0;
	all[GM_T_VECTOR] = vnull();
	all[GM_T_VECTOR].type = GM_T_VECTOR;
	all[GM_T_VECTOR].u.vec.v = vec;
	all[GM_T_VECTOR].u.vec.n = 2;
	for (int t = 0; t < GM_T__COUNT; t++) {
		assert_int_equal(all[t].type, t);
		roundtrip(&all[t], 0);
		roundtrip(&all[t], GM_TJ_ASCII);
		seen |= GM_TYPE_BIT(t);
		props[t].key = gm_str_c(gm_type_name((enum gm_type)t));
		props[t].val = all[t];
	}
	assert_int_equal(seen, GM_TYPES_ALL);
	list.type = GM_T_LIST;
	list.u.list.v = all;
	list.u.list.n = GM_T__COUNT;
	roundtrip(&list, 0);
	map.type = GM_T_MAP;
	map.u.map.p = props;
	map.u.map.n = GM_T__COUNT;
	roundtrip(&map, 0);
	assert_int_equal(gm_value_types(&map), GM_TYPES_ALL);
}

static void test_read(void **state)
{
	struct gm_value v;
	const char *neo =
		"[{\"$type\":\"Integer\",\"_value\":\"42\"},{\"$type\":\"String\",\"_value\":"
		"\"x\"},{\"$type\":\"Boolean\",\"_value\":true},{\"$type\":\"Null\","
		"\"_value\":null},{\"$type\":\"List\",\"_value\":[{\"$type\":\"Float\","
		"\"_value\":\"1.5\"}]},{\"$type\":\"Integer\",\"_value\":7},"
		"{\"$type\":\"Float\",\"_value\":2}]";
	static const char *const exact[] = {
		"0.1",
		"2.2250738585072011e-308",
		"3.141592653589793238462643383279502884197",
		"1e-320",
		"-123.456e-7",
		"179769313486231570000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		".0"};

	(void)state;
	/* Neo4j Query API shapes */
	assert_int_equal(read_str(neo, strlen(neo), 0, &v), 0);
	assert_int_equal(v.type, GM_T_LIST);
	assert_int_equal(v.u.list.n, 7);
	assert_int_equal(v.u.list.v[0].type, GM_T_INT);
	assert_int_equal(v.u.list.v[0].u.i, 42);
	assert_int_equal(v.u.list.v[1].type, GM_T_STRING);
	assert_int_equal(v.u.list.v[2].type, GM_T_BOOL);
	assert_int_equal(v.u.list.v[3].type, GM_T_NULL);
	assert_int_equal(v.u.list.v[4].u.list.v[0].type, GM_T_FLOAT);
	assert_true(v.u.list.v[4].u.list.v[0].u.f == 1.5);
	assert_int_equal(v.u.list.v[5].u.i, 7);
	assert_int_equal(v.u.list.v[6].type, GM_T_FLOAT);
	/* plain numbers: integers stay integers, floats read back to the exact double */
	assert_int_equal(read_str("-9223372036854775808", 20, 0, &v), 0);
	assert_int_equal(v.type, GM_T_INT);
	assert_true(v.u.i == INT64_MIN);
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		assert_int_equal(read_str(exact[i], strlen(exact[i]), 0, &v), 0);
		assert_int_equal(v.type, GM_T_FLOAT);
		assert_true(v.u.f == strtod(exact[i], NULL));
	}
	/* plain dialect: no $type decoding */
	assert_int_equal(
		read_str("{\"$type\":\"Date\",\"_value\":\"2020-01-01\"}", 38, GM_TJ_PLAIN, &v), 0);
	assert_int_equal(v.type, GM_T_MAP);
	assert_int_equal(v.u.map.n, 2);
	assert_int_equal(v.u.map.p[1].val.type, GM_T_STRING);
	/* typed: the wrapper becomes the value */
	assert_int_equal(read_str("{\"$type\":\"Date\",\"_value\":\"2020-01-01\"}", 38, 0, &v), 0);
	assert_int_equal(v.type, GM_T_DATE);
	assert_int_equal(v.u.t.secs, gm_days_from_civil(2020, 1, 1));
	/* "_value" before "$type" is an ordinary map */
	assert_int_equal(read_str("{\"_value\":\"2020-01-01\",\"$type\":\"Date\"}", 38, 0, &v), 0);
	assert_int_equal(v.type, GM_T_MAP);
	/* a Map wrapper keeps its content plain at the first level, typed below */
	{
		const char *m = "{\"$type\":\"Map\",\"_value\":{\"$type\":{\"$type\":\"Integer\","
				"\"_value\":\"5\"}}}";

		assert_int_equal(read_str(m, strlen(m), 0, &v), 0);
	}
	assert_int_equal(v.type, GM_T_MAP);
	assert_int_equal(v.u.map.n, 1);
	assert_int_equal(v.u.map.p[0].val.type, GM_T_INT);
	assert_int_equal(v.u.map.p[0].val.u.i, 5);
}

static void test_read_errors(void **state)
{
	char big[4096];
	size_t n = 0;

	(void)state;
	expect_read_error("{\"a\":1,\"b\":2,\"a\":3}", 0,
			  "invalid value in 'v.json' (line 1, byte 13): duplicate key \"a\"");
	expect_read_error("[{\"x\":[{\"\":1,\"\":2}]}]", GM_TJ_PLAIN,
			  "invalid value in 'v.json' (line 1, byte 13): duplicate key \"\"");
	/* many keys: the sorted check names the later duplicate */
	n += (size_t)sprintf(big + n, "{");
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(big + n, "\"k%02d\":%d,", i, i);
	n += (size_t)sprintf(big + n, "\"k07\":0}");
	expect_read_error(big, 0,
			  "invalid value in 'v.json' (line 1, byte 351): duplicate key \"k07\"");
	expect_read_error(
		"9223372036854775808", 0,
		"invalid value in 'v.json' (line 1, byte 0): integer 9223372036854775808 out "
		"of range (int64)");
	expect_read_error(
		"[-9223372036854775809]", GM_TJ_PLAIN,
		"invalid value in 'v.json' (line 1, byte 1): integer -9223372036854775809 "
		"out of range (int64)");
	expect_read_error(
		"1e400", 0,
		"invalid value in 'v.json' (line 1, byte 0): invalid Float '1e400': out of "
		"range");
	expect_read_error("{\"$type\":\"Foo\",\"_value\":1}", 0,
			  "invalid value in 'v.json' (line 1, byte 9): unknown $type \"Foo\"");
	expect_read_error(
		"{\"$type\":\"Date\",\"x\":1}", 0,
		"invalid value in 'v.json' (line 1, byte 16): typed value Date: \"_value\" "
		"must follow \"$type\"");
	expect_read_error("{\"$type\":\"Date\",\"_value\":\"2020-01-01\",\"x\":1}", 0,
			  "invalid value in 'v.json' (line 1, byte 38): typed value Date: only "
			  "\"$type\" and \"_value\" are allowed");
	expect_read_error("{\"$type\":1,\"_value\":1}", 0,
			  "invalid value in 'v.json' (line 1, byte 9): \"$type\" must name a type");
	expect_read_error("{\"$type\":\"Date\",\"_value\":\"2015-13-01\"}", 0,
			  "invalid value in 'v.json' (line 1, byte 25): invalid Date '2015-13-01': "
			  "month out of range");
	expect_read_error(
		"{\"$type\":\"Date\",\"_value\":1}", 0,
		"invalid value in 'v.json' (line 1, byte 25): Date _value must be a string");
	expect_read_error("{\"$type\":\"Integer\",\"_value\":\"9223372036854775808\"}", 0,
			  "invalid value in 'v.json' (line 1, byte 28): invalid Integer "
			  "'9223372036854775808': out of range");
	expect_read_error("{\"$type\":\"Integer\",\"_value\":1.5}", 0,
			  "invalid value in 'v.json' (line 1, byte 28): Integer _value must be an "
			  "integer");
	expect_read_error("{\"$type\":\"Vector\",\"_value\":[1,\"x\"]}", 0,
			  "invalid value in 'v.json' (line 1, byte 30): vector elements must be "
			  "numbers");
	expect_read_error("{\"$type\":\"Vector\",\"_value\":[1e39]}", 0,
			  "invalid value in 'v.json' (line 1, byte 28): vector element 1e39 out of "
			  "range (float32)");
	expect_read_error("{\"$type\":\"OffsetDateTime\",\"_value\":\"2015-06-24T12:50:35[Europe/"
			  "Paris]\"}",
			  0,
			  "invalid value in 'v.json' (line 1, byte 35): OffsetDateTime value "
			  "'2015-06-24T12:50:35[Europe/Paris]' has the wrong form");
	expect_read_error(
		"{\"$type\":\"Map\",\"_value\":[]}", 0,
		"invalid value in 'v.json' (line 1, byte 24): Map _value must be an object");
}

static void test_alloc_failure(void **state)
{
	const char *doc = "{\"a\":[1,{\"$type\":\"Date\",\"_value\":\"2020-01-01\"},\"s\"],"
			  "\"b\":{\"$type\":\"Vector\",\"_value\":[1.5]}}";
	struct gm_value v;

	(void)state;
	for (unsigned long k = 1; k < 30; k++) {
		struct gm_in *in = NULL;
		struct gm_json_reader *r = NULL;
		struct gm_arena *a = NULL;
		int e;

		gm_alloc_fail_after(k, 1);
		e = gm_arena_new(&a);
		if (e == 0)
			e = gm_in_open_mem(&in, doc, strlen(doc), "v.json");
		if (e == 0)
			e = gm_json_reader_new(&r, in, 0);
		if (e == 0)
			e = gm_tjson_read(r, NULL, a, &v, 0);
		gm_alloc_fail_after(0, 0);
		assert_true(e == 0 || e == GM_ENOMEM);
		gm_json_reader_free(r);
		gm_in_free(in);
		gm_arena_free(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),	       cmocka_unit_test(test_temporals),
		cmocka_unit_test(test_points_vectors), cmocka_unit_test(test_containers),
		cmocka_unit_test(test_every_type),     cmocka_unit_test(test_read),
		cmocka_unit_test(test_read_errors),    cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
