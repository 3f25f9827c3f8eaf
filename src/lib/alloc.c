/* SPDX-License-Identifier: MIT */
/*
 * Allocation hooks. Every allocation of the library goes through here so that
 * tests can fail the Nth one and check that the program reports ENOMEM cleanly.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gmig/gmig.h"

static void *libc_malloc(size_t n, void *ctx)
{
	(void)ctx;
	return malloc(n);
}

static void *libc_realloc(void *p, size_t n, void *ctx)
{
	(void)ctx;
	return realloc(p, n);
}

static void libc_free(void *p, void *ctx)
{
	(void)ctx;
	free(p);
}

static struct gm_allocator alloc = {libc_malloc, libc_realloc, libc_free, NULL};
/* atomic: verify reads its two sides in two threads */
static _Atomic unsigned long fail_countdown; /* 0 = off */
static _Atomic int fail_sticky, failing;

void gm_set_allocator(const struct gm_allocator *a)
{
	if (a)
		alloc = *a;
	else
		alloc = (struct gm_allocator){libc_malloc, libc_realloc, libc_free, NULL};
}

void gm_alloc_fail_after(unsigned long n, int sticky)
{
	fail_countdown = n;
	fail_sticky = sticky;
	failing = 0;
}

/* Decides whether this allocation is the one to fail. */
static int should_fail(void)
{
	unsigned long n;

	if (failing)
		return 1;
	n = fail_countdown;
	/* count down without going below zero when threads race */
	while (n && !atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
		;
	if (n == 1) {
		failing = fail_sticky;
		return 1;
	}
	return 0;
}

void *gm_malloc(size_t n)
{
	void *p;

	if (should_fail() || !(p = alloc.malloc(n ? n : 1, alloc.ctx))) {
		gm_error_set(GM_ENOMEM, "out of memory (allocating %zu bytes)", n);
		return NULL;
	}
	return p;
}

void *gm_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > (size_t)-1 / size) {
		gm_error_set(GM_ENOMEM, "out of memory (allocation overflow)");
		return NULL;
	}
	if ((p = gm_malloc(n * size)))
		memset(p, 0, n * size);
	return p;
}

void *gm_realloc(void *p, size_t n)
{
	void *q;

	if (should_fail() || !(q = alloc.realloc(p, n ? n : 1, alloc.ctx))) {
		gm_error_set(GM_ENOMEM, "out of memory (allocating %zu bytes)", n);
		return NULL;
	}
	return q;
}

void gm_free(void *p)
{
	if (p)
		alloc.free(p, alloc.ctx);
}

char *gm_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = gm_malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}
