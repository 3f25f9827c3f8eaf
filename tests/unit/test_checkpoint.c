/* SPDX-License-Identifier: MIT */
/* Unit tests of checkpoint files (checkpoint.c), the fault-hook parser and the stats merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "checkpoint.h"
#include "gmig/gmig.h"
#include "testutil.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gmig-ckpt.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.gmig-checkpoint", dir);
	return 0;
}

static int teardown(void **state)
{
	char tmp[160];

	(void)state;
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	return 0;
}

static void add_row(struct gm_copy_stats *st, const char *name, int rel, uint64_t n)
{
	struct gm_stat_row row = {(char *)name, rel, n, n - 1, 1, n / 100};
	struct gm_copy_stats one = {0};

	one.rows = &row;
	one.nrows = 1;
	one.nodes_read = rel ? 0 : n;
	one.rels_read = rel ? n : 0;
	assert_int_equal(gm_copy_stats_add(st, &one), 0);
}

static void test_round_trip(void **state)
{
	struct gm_ckpt c, r;
	char *from, *to;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.run = 42;
	c.from = gm_strdup("src \"q\".jsonl");
	c.to = gm_strdup("sqlite:out.db");
	c.batch_size = 500;
	c.on_error = GM_ON_ERROR_SKIP;
	c.existing = GM_EXISTING_FAIL;
	c.lossy = 3;
	c.position = 1500;
	c.target_size = 123456789012ULL;
	c.st.batches = 3;
	c.st.skipped = 7;
	add_row(&c.st, ":Person:Straße", 0, 1000);
	add_row(&c.st, "[:KNOWS]", 1, 500);
	assert_int_equal(gm__ckpt_write(path, &c), 0);
	assert_int_equal(gm__ckpt_read(path, &r), 0);
	assert_int_equal(r.run, 42);
	assert_string_equal(r.from, "src \"q\".jsonl");
	assert_string_equal(r.to, "sqlite:out.db");
	assert_int_equal(r.batch_size, 500);
	assert_int_equal(r.on_error, GM_ON_ERROR_SKIP);
	assert_int_equal(r.existing, GM_EXISTING_FAIL);
	assert_int_equal(r.lossy, 3);
	assert_int_equal(r.position, 1500);
	assert_true(r.target_size == 123456789012ULL);
	assert_int_equal(r.st.batches, 3);
	assert_int_equal(r.st.skipped, 7);
	assert_int_equal(r.st.nodes_read, 1000);
	assert_int_equal(r.st.rels_read, 500);
	assert_int_equal(r.st.nrows, 2);
	assert_string_equal(r.st.rows[0].name, ":Person:Straße");
	assert_int_equal(r.st.rows[0].is_rel, 0);
	assert_int_equal(r.st.rows[0].written, 999);
	assert_int_equal(r.st.rows[0].skipped, 10);
	assert_int_equal(r.st.rows[1].is_rel, 1);
	assert_int_equal(r.st.rows[1].rejected, 1);
	assert_int_equal(gm_checkpoint_uris(path, &from, &to), 0);
	assert_string_equal(from, "src \"q\".jsonl");
	assert_string_equal(to, "sqlite:out.db");
	gm_free(from);
	gm_free(to);
	gm__ckpt_free(&r);
	gm__ckpt_free(&c);
}

static void test_missing_and_bad(void **state)
{
	struct gm_ckpt r;
	FILE *f;

	(void)state;
	unlink(path);
	assert_int_equal(gm__ckpt_read(path, &r), GM_ENOTFOUND);
	assert_non_null(strstr(gm_error_last(), "nothing to resume"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"gmig_checkpoint\":1,\"run\":\"x\"}\n", f);
	fclose(f);
	assert_int_equal(gm__ckpt_read(path, &r), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "invalid checkpoint"));
	f = fopen(path, "w");
	fputs("{\"gmig_checkpoint\":1,\"from\":\"a\",\"to\":\"b\"}\n", f);
	fclose(f);
	assert_int_equal(gm__ckpt_read(path, &r), GM_EDATA); /* no run */
	f = fopen(path, "w");
	fputs("{\"gmig_checkpoint\":1,\"run\":2,\"from\":\"a\",\"to\":\"b\",\"future\":[1,{}]}\n",
	      f);
	fclose(f);
	assert_int_equal(gm__ckpt_read(path, &r), 0); /* unknown keys are skipped */
	assert_int_equal(r.run, 2);
	gm__ckpt_free(&r);
}

static void test_fault_spec(void **state)
{
	(void)state;
	assert_int_equal(gm_fault_set("crash_after_batches:3"), 0);
	assert_int_equal(gm_fault_set("fail_after_batches:1"), 0);
	assert_int_equal(gm_fault_set("fail_after_batches:0"), GM_EINVAL);
	assert_int_equal(gm_fault_set("crash_after_batches:x"), GM_EINVAL);
	assert_int_equal(gm_fault_set("explode"), GM_EINVAL);
	assert_int_equal(gm_fault_set(""), 0);
	assert_int_equal(gm_fault_set(NULL), 0);
}

static void test_stats_add(void **state)
{
	struct gm_copy_stats a = {0}, b = {0};

	(void)state;
	add_row(&a, ":A", 0, 10);
	add_row(&b, ":A", 0, 5);
	add_row(&b, "[:T]", 1, 4);
	b.skipped = 2;
	assert_int_equal(gm_copy_stats_add(&a, &b), 0);
	assert_int_equal(a.nrows, 2);
	assert_int_equal(a.rows[0].read, 15);
	assert_int_equal(a.rows[1].read, 4);
	assert_int_equal(a.nodes_read, 15);
	assert_int_equal(a.rels_read, 4);
	assert_int_equal(a.skipped, 2);
	gm_copy_stats_free(&a);
	gm_copy_stats_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_bad, setup, teardown),
		cmocka_unit_test(test_fault_spec),
		cmocka_unit_test(test_stats_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
