/* SPDX-License-Identifier: MIT */
/* The GRAPH.BULK value encoding and the size parameters of the falkordb bulk path. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/backends/falkordb.h"
#include "buf.h"
#include "gmig/gmig.h"
#include "testutil.h"

/* Encodes v and compares with want (n bytes); n == 0: must be refused, nothing appended. */
static void expect_bytes(const struct gm_value *v, const void *want, size_t n)
{
	struct gm_buf b = GM_BUF_INIT;

	gm_buf_puts(&b, "x"); /* appended after what is there */
	assert_int_equal(gm__fdb_bulk_value(&b, v), n ? 1 : 0);
	assert_int_equal(b.len, 1 + n);
	if (n)
		assert_memory_equal(b.p + 1, want, n);
	gm_buf_free(&b);
}

static void le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void test_scalars(void **state)
{
	unsigned char w[16];
	struct gm_value v;
	uint64_t bits;
	double d;

	(void)state;
	/* the server reads raw memory: these are the x86-64 (little-endian) bytes */
	v = tu_int(-2);
	w[0] = 4;
	le64(w + 1, (uint64_t)-2);
	expect_bytes(&v, w, 9);
	v = tu_int(INT64_MIN);
	le64(w + 1, (uint64_t)INT64_MIN);
	expect_bytes(&v, w, 9);

	v.type = GM_T_BOOL;
	v.u.b = 1;
	expect_bytes(&v, "\x01\x01", 2);
	v.u.b = 0;
	expect_bytes(&v, "\x01\x00", 2);

	/* doubles travel as bits: NaN, -0.0 and subnormals arrive exactly */
	d = -0.0;
	v = tu_float(d);
	memcpy(&bits, &d, 8);
	w[0] = 2;
	le64(w + 1, bits);
	expect_bytes(&v, w, 9);
	d = 5e-324;
	v = tu_float(d);
	memcpy(&bits, &d, 8);
	le64(w + 1, bits);
	expect_bytes(&v, w, 9);
	v = tu_float(NAN);
	d = v.u.f;
	memcpy(&bits, &d, 8);
	le64(w + 1, bits);
	expect_bytes(&v, w, 9);

	v = tu_str("héllo");
	expect_bytes(&v, "\x03h\xc3\xa9llo", 8);
	v = tu_str("");
	expect_bytes(&v, "\x03", 2);
}

static void test_lists(void **state)
{
	struct gm_value inner[2], outer[2], v;
	unsigned char w[64];
	size_t n = 0;

	(void)state;
	inner[0] = tu_int(1);
	inner[1] = tu_str("a");
	outer[0].type = GM_T_LIST;
	outer[0].u.list.v = inner;
	outer[0].u.list.n = 2;
	outer[1].type = GM_T_LIST;
	outer[1].u.list.v = NULL;
	outer[1].u.list.n = 0;
	v.type = GM_T_LIST;
	v.u.list.v = outer;
	v.u.list.n = 2;
	/* [[1, "a"], []] */
	w[n++] = 5;
	le64(w + n, 2), n += 8;
	w[n++] = 5;
	le64(w + n, 2), n += 8;
	w[n++] = 4;
	le64(w + n, 1), n += 8;
	w[n++] = 3;
	w[n++] = 'a';
	w[n++] = 0;
	w[n++] = 5;
	le64(w + n, 0), n += 8;
	expect_bytes(&v, w, n);
}

static void test_refused(void **state)
{
	struct gm_value v, l[2];
	float f[2] = {1, 2};

	(void)state;
	memset(&v, 0, sizeof(v));
	v.type = GM_T_DATE;
	expect_bytes(&v, NULL, 0);
	v.type = GM_T_LOCALTIME;
	expect_bytes(&v, NULL, 0);
	v.type = GM_T_LOCALDATETIME;
	expect_bytes(&v, NULL, 0);
	v = tu_point(4326, 2, 1.5, 2.5, 0);
	expect_bytes(&v, NULL, 0);
	memset(&v, 0, sizeof(v));
	v.type = GM_T_VECTOR;
	v.u.vec.v = f;
	v.u.vec.n = 2;
	expect_bytes(&v, NULL, 0);
	v.type = GM_T_MAP;
	v.u.map.n = 0;
	expect_bytes(&v, NULL, 0);
	v.type = GM_T_NULL;
	expect_bytes(&v, NULL, 0);
	v.type = GM_T_STRING;
	v.u.s.p = "a\0b";
	v.u.s.len = 3;
	expect_bytes(&v, NULL, 0);
	/* a list is all or nothing */
	l[0] = tu_int(1);
	memset(&l[1], 0, sizeof(l[1]));
	l[1].type = GM_T_DATE;
	v.type = GM_T_LIST;
	v.u.list.v = l;
	v.u.list.n = 2;
	expect_bytes(&v, NULL, 0);
}

static void test_sizes(void **state)
{
	size_t n = 0;

	(void)state;
	assert_int_equal(gm__fdb_parse_size("1048576", 7, &n), 0);
	assert_int_equal(n, 1048576);
	assert_int_equal(gm__fdb_parse_size("64K", 3, &n), 0);
	assert_int_equal(n, 65536);
	assert_int_equal(gm__fdb_parse_size("512m", 4, &n), 0);
	assert_int_equal(n, (size_t)512 << 20);
	assert_int_equal(gm__fdb_parse_size("2G", 2, &n), 0);
	assert_int_equal(n, (size_t)2 << 30);
	assert_int_equal(gm__fdb_parse_size("", 0, &n), GM_EINVAL);
	assert_int_equal(gm__fdb_parse_size("K", 1, &n), GM_EINVAL);
	assert_int_equal(gm__fdb_parse_size("12KB", 4, &n), GM_EINVAL);
	assert_int_equal(gm__fdb_parse_size("-1", 2, &n), GM_EINVAL);
	assert_int_equal(gm__fdb_parse_size("99999999999999999999999", 23, &n), GM_EINVAL);
	assert_int_equal(gm__fdb_bulk_param("map_memory", 10), 1);
	assert_int_equal(gm__fdb_bulk_param("bulk_size", 9), 1);
	assert_int_equal(gm__fdb_bulk_param("page", 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
