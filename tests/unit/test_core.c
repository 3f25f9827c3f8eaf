/* SPDX-License-Identifier: MIT */
/* Unit tests of the core: errors, allocation hooks, arenas, buffers, values, key maps, io. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "keyset.h"

static void test_error_message(void **state)
{
	(void)state;
	assert_int_equal(gm_error_set(GM_EDATA, "invalid node (line %d): %s", 12, "missing \"id\""),
			 GM_EDATA);
	assert_string_equal(gm_error_last(), "invalid node (line 12): missing \"id\"");
	assert_int_equal(gm_error_code(), GM_EDATA);
	assert_string_equal(gm_error_name(GM_ENOMEM), "ENOMEM");
	gm_error_clear();
	assert_string_equal(gm_error_last(), "");
}

static void test_alloc_failure_injection(void **state)
{
	void *a, *b, *c;

	(void)state;
	gm_alloc_fail_after(2, 0);
	a = gm_malloc(10);
	b = gm_malloc(10);
	c = gm_malloc(10);
	assert_non_null(a);
	assert_null(b);
	assert_non_null(c); /* not sticky: only the 2nd fails */
	assert_int_equal(gm_error_code(), GM_ENOMEM);
	gm_free(a);
	gm_free(c);
	gm_alloc_fail_after(1, 1);
	assert_null(gm_malloc(1));
	assert_null(gm_realloc(NULL, 1)); /* sticky */
	gm_alloc_fail_after(0, 0);
	a = gm_malloc(1);
	assert_non_null(a);
	gm_free(a);
}

static void test_arena(void **state)
{
	struct gm_arena *a;
	char *s;
	void *big;

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	s = gm_arena_strdup(a, "abc\0def", 7);
	assert_memory_equal(s, "abc\0def", 8);
	assert_int_equal(((uintptr_t)gm_arena_alloc(a, 3)) % 16, 0);
	big = gm_arena_alloc(a, 1 << 20); /* larger than a block */
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	assert_true(gm_arena_used(a) >= (1 << 20));
	gm_arena_reset(a);
	assert_int_equal(gm_arena_used(a), 0);
	assert_non_null(gm_arena_alloc(a, 100));
	gm_arena_free(a);
	gm_arena_free(NULL);
}

static void test_buf(void **state)
{
	struct gm_buf b = GM_BUF_INIT;

	(void)state;
	gm_buf_puts(&b, "x=");
	gm_buf_put_i64(&b, INT64_MIN);
	gm_buf_putc(&b, ',');
	gm_buf_put_u64(&b, UINT64_MAX);
	gm_buf_printf(&b, ",%s", "end");
	assert_string_equal(b.p, "x=-9223372036854775808,18446744073709551615,end");
	gm_buf_free(&b);
}

static void test_value_equal_and_copy(void **state)
{
	struct gm_value nan1 = {.type = GM_T_FLOAT}, nan2 = {.type = GM_T_FLOAT};
	struct gm_value z = {.type = GM_T_FLOAT}, nz = {.type = GM_T_FLOAT};
	struct gm_value items[2] = {{.type = GM_T_INT, .u.i = 1}, {.type = GM_T_STRING}};
	struct gm_value list = {.type = GM_T_LIST}, copy;
	struct gm_arena *a;

	(void)state;
	nan1.u.f = nan2.u.f = __builtin_nan("");
	z.u.f = 0.0;
	nz.u.f = -0.0;
	assert_true(gm_value_equal(&nan1, &nan2));
	assert_false(gm_value_equal(&z, &nz));
	items[1].u.s = gm_str_c("hi");
	list.u.list.v = items;
	list.u.list.n = 2;
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(gm_value_copy(&copy, &list, a), 0);
	assert_true(gm_value_equal(&copy, &list));
	assert_ptr_not_equal(copy.u.list.v, items);
	items[0].u.i = 2;
	assert_false(gm_value_equal(&copy, &list));
	assert_int_equal(gm_value_types(&list),
			 GM_TYPE_BIT(GM_T_LIST) | GM_TYPE_BIT(GM_T_INT) | GM_TYPE_BIT(GM_T_STRING));
	assert_string_equal(gm_type_name(GM_T_DATE), "Date");
	assert_int_equal(gm_type_from_name("Duration", 8), GM_T_DURATION);
	assert_int_equal(gm_type_from_name("Nope", 4), -1);
	gm_arena_free(a);
}

static void test_canonicalize(void **state)
{
	struct gm_str labels[3] = {{"b", 1}, {"a", 1}, {"c", 1}};
	struct gm_prop inner[2] = {{{"z", 1}, {.type = GM_T_NULL}},
				   {{"y", 1}, {.type = GM_T_NULL}}};
	struct gm_prop props[2] = {{{"k2", 2}, {.type = GM_T_INT}},
				   {{"k1", 2}, {.type = GM_T_MAP}}};
	struct gm_record r = {0};

	(void)state;
	props[1].val.u.map.p = inner;
	props[1].val.u.map.n = 2;
	r.kind = GM_NODE;
	r.labels = labels;
	r.nlabels = 3;
	r.props = props;
	r.nprops = 2;
	assert_int_equal(gm_record_canonicalize(&r), 0);
	assert_memory_equal(labels[0].p, "a", 1);
	assert_memory_equal(labels[2].p, "c", 1);
	assert_memory_equal(props[0].key.p, "k1", 2);
	assert_memory_equal(inner[0].key.p, "y", 1);
	labels[1] = labels[0];
	assert_int_equal(gm_record_canonicalize(&r), GM_EDATA);
	assert_string_equal(gm_error_last(), "duplicate label 'a'");
}

static void test_keyset(void **state)
{
	struct gm_keyset *s;
	char key[32];
	uint32_t v;

	(void)state;
	assert_int_equal(gm_keyset_new(&s), 0);
	for (uint32_t i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof(key), "n%u", i);
		assert_int_equal(gm_keyset_put(s, key, (size_t)n, i, NULL), 1);
	}
	assert_int_equal(gm_keyset_put(s, "n77", 3, 5, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(gm_keyset_get(s, "n99999", 6, &v), 1);
	assert_int_equal(v, 99999);
	assert_int_equal(gm_keyset_get(s, "n100000", 7, NULL), 0);
	assert_int_equal(gm_keyset_count(s), 100000);
	assert_true(gm_keyset_bytes(s) <= 100000 * 64);
	gm_keyset_free(s);
}

/* Writes data through gm_out with the given name, reads it back with gm_in. */
static void roundtrip_file(const char *name, size_t size)
{
	char dir[] = "/tmp/gmig-io-XXXXXX", path[256];
	unsigned char *data = malloc(size), *back = malloc(size + 1);
	struct gm_out *o;
	struct gm_in *in;
	size_t got = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)((i * 7919) >> 3);
	assert_int_equal(gm_out_open(&o, path, 0), 0);
	assert_int_equal(access(path, F_OK), -1); /* nothing under the final name yet */
	assert_int_equal(gm_out_write(o, data, size), 0);
	assert_int_equal(gm_out_commit(o), 0);
	gm_out_free(o);
	assert_int_equal(gm_in_open(&in, path), 0);
	for (;;) {
		const unsigned char *p;
		size_t n;

		if (gm_in_window(in, 4096, &p, &n) < 0)
			fail_msg("%s: %s", name, gm_error_last());
		if (!n)
			break;
		assert_true(got + n <= size);
		memcpy(back + got, p, n);
		got += n;
		gm_in_consume(in, n);
	}
	assert_int_equal(got, size);
	assert_memory_equal(back, data, size);
	gm_in_free(in);
	/* an existing file is not replaced without the flag */
	assert_int_equal(gm_out_open(&o, path, 0), GM_EINVAL);
	/* an uncommitted output leaves nothing */
	unlink(path);
	assert_int_equal(gm_out_open(&o, path, 0), 0);
	assert_int_equal(gm_out_write(o, data, size < 10 ? size : 10), 0);
	gm_out_free(o);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path + strlen(path), 5, ".tmp");
	assert_int_equal(access(path, F_OK), -1);
	rmdir(dir);
	free(data);
	free(back);
}

static void test_io_plain_gz_zst(void **state)
{
	(void)state;
	roundtrip_file("a.bin", 3 << 20);
	roundtrip_file("a.bin.gz", 3 << 20);
	roundtrip_file("a.bin.zst", 3 << 20);
	roundtrip_file("empty.gz", 0);
}

static void test_io_full_disk(void **state)
{
	struct gm_out *o;
	char buf[4096] = {0};
	int error = 0;

	(void)state;
	assert_int_equal(gm_out_open(&o, "/dev/full", 0), 0);
	for (int i = 0; i < 1024 && error == 0; i++)
		error = gm_out_write(o, buf, sizeof(buf));
	if (error == 0)
		error = gm_out_commit(o);
	assert_int_equal(error, GM_EIO);
	assert_non_null(strstr(gm_error_last(), "No space left on device"));
	gm_out_free(o);
}

static void test_params(void **state)
{
	struct gm_str v;

	(void)state;
	assert_int_equal(gm_params_get("nodes=10&seed=3&flag", "seed", &v), 1);
	assert_int_equal(v.len, 1);
	assert_memory_equal(v.p, "3", 1);
	assert_int_equal(gm_params_get("nodes=10&seed=3&flag", "flag", &v), 1);
	assert_int_equal(v.len, 0);
	assert_int_equal(gm_params_get("nodes=10", "node", &v), 0);
	assert_int_equal(gm_params_get(NULL, "x", &v), 0);
}

static void test_uri_redact(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(gm_uri_redact("falkordb://u:secret@h:6379/g", buf, sizeof(buf)),
			    "falkordb://h:6379/g");
	assert_string_equal(gm_uri_redact("//u:secret@h/g", buf, sizeof(buf)), "//h/g");
	assert_string_equal(gm_uri_redact("bolt://h:7687/x@y", buf, sizeof(buf)),
			    "bolt://h:7687/x@y"); /* '@' after the host is not a password */
	assert_string_equal(gm_uri_redact("out.jsonl", buf, sizeof(buf)), "out.jsonl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_alloc_failure_injection),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_value_equal_and_copy),
		cmocka_unit_test(test_canonicalize),
		cmocka_unit_test(test_keyset),
		cmocka_unit_test(test_io_plain_gz_zst),
		cmocka_unit_test(test_io_full_disk),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_uri_redact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
