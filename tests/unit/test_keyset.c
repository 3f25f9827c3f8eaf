/* SPDX-License-Identifier: MIT */
/* Key maps beyond their memory limit: spilled sorted runs, merged runs, lookups, duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "gmig/gmig.h"
#include "keyset.h"

static int key(char *buf, size_t n, uint32_t i)
{
	return snprintf(buf, n, "node-%u", i);
}

/* n keys with a limit: every key finds its value, absent keys are absent, re-puts say "there". */
static void check_spilled(uint32_t n, size_t limit, size_t want_min_runs)
{
	struct gm_keyset *s;
	char k[32];
	uint32_t v;
	size_t runs = 0;
	int len;

	assert_int_equal(gm_keyset_new(&s), 0);
	gm_keyset_set_limit(s, limit);
	for (uint32_t i = 0; i < n; i++) {
		len = key(k, sizeof(k), i);
		assert_int_equal(gm_keyset_put(s, k, (size_t)len, i * 3 + 1, NULL), 1);
		assert_true(gm_keyset_bytes(s) <= (limit < 24576 ? 24576 : limit) + 4096 + n / 8);
	}
	assert_int_equal(gm_keyset_count(s), n);
	assert_true(gm_keyset_spilled(s, &runs) > 0);
	assert_true(runs >= want_min_runs);
	assert_true(runs <= 8);
	for (uint32_t i = 0; i < n; i++) {
		len = key(k, sizeof(k), i);
		v = 0;
		assert_int_equal(gm_keyset_get(s, k, (size_t)len, &v), 1);
		assert_int_equal(v, i * 3 + 1);
	}
	for (uint32_t i = n; i < n + 1000; i++) {
		len = key(k, sizeof(k), i);
		assert_int_equal(gm_keyset_get(s, k, (size_t)len, NULL), 0);
	}
	/* a key that is on disk is not added twice, and its old value comes back */
	for (uint32_t i = 0; i < n; i += 997) {
		len = key(k, sizeof(k), i);
		v = 0;
		assert_int_equal(gm_keyset_put(s, k, (size_t)len, 7, &v), 0);
		assert_int_equal(v, i * 3 + 1);
	}
	assert_int_equal(gm_keyset_count(s), n);
	gm_keyset_free(s);
}

static void test_spill_few_runs(void **state)
{
	(void)state;
	check_spilled(5000, 24576, 2); /* 768 keys per run: 6 runs, no merge */
}

static void test_spill_merged(void **state)
{
	(void)state;
	check_spilled(100000, 50000, 1); /* ~1500 keys per run: merged many times */
}

static void test_no_limit_no_spill(void **state)
{
	struct gm_keyset *s;
	size_t runs = 9;

	(void)state;
	assert_int_equal(gm_keyset_new(&s), 0);
	for (uint32_t i = 0; i < 20000; i++) {
		char k[32];
		int len = key(k, sizeof(k), i);

		assert_int_equal(gm_keyset_put(s, k, (size_t)len, i, NULL), 1);
	}
	assert_int_equal(gm_keyset_spilled(s, &runs), 0);
	assert_int_equal(runs, 0);
	/* 24-byte slots, at most 3/4 full before it grows: 32768 slots for 20000 keys */
	assert_true(gm_keyset_bytes(s) <= 32768 * 24 + 1024);
	gm_keyset_free(s);
}

static void test_seeds_are_separate(void **state)
{
	struct gm_keyset *s;
	struct gm_keyhash a = gm_keyset_hash("k", 1, 0), b = gm_keyset_hash("k", 1, 1);
	uint32_t v;

	(void)state;
	assert_false(a.lo == b.lo && a.hi == b.hi);
	assert_int_equal(gm_keyset_new(&s), 0);
	assert_int_equal(gm_keyset_put_hash(s, a, 1, NULL), 1);
	assert_int_equal(gm_keyset_get_hash(s, b, NULL), 0);
	assert_int_equal(gm_keyset_put_hash(s, b, 2, NULL), 1);
	assert_int_equal(gm_keyset_get(s, "k", 1, &v), 1);
	assert_int_equal(v, 1);
	gm_keyset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spill_few_runs),
		cmocka_unit_test(test_spill_merged),
		cmocka_unit_test(test_no_limit_no_spill),
		cmocka_unit_test(test_seeds_are_separate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
