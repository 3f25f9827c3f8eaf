/* SPDX-License-Identifier: MIT */
/*
 * Per-batch arenas: a chain of blocks, bump allocation, reset keeps the first
 * block so a steady stream of batches allocates nothing after warm-up.
 */
#include <stdint.h>
#include <string.h>

#include "gmig/gmig.h"
#include "gmig/sys/record.h"

#define BLOCK_MIN (64 * 1024)
#define ALIGN 16

struct block {
	struct block *next;
	size_t cap, used;
	_Alignas(16) unsigned char data[];
};

struct gm_arena {
	struct block *head; /* current block; older blocks follow */
	size_t total;
};

int gm_arena_new(struct gm_arena **out)
{
	struct gm_arena *a = gm_calloc(1, sizeof(*a));

	*out = a;
	return a ? 0 : GM_ENOMEM;
}

static void free_chain(struct block *b)
{
	while (b) {
		struct block *n = b->next;
		gm_free(b);
		b = n;
	}
}

void gm_arena_free(struct gm_arena *a)
{
	if (!a)
		return;
	free_chain(a->head);
	gm_free(a);
}

void gm_arena_reset(struct gm_arena *a)
{
	struct block *last;

	if (!a->head)
		return;
	/* keep the largest (the oldest is the first allocated; keep the current one) */
	last = a->head;
	free_chain(last->next);
	last->next = NULL;
	last->used = 0;
	a->total = 0;
}

void *gm_arena_alloc(struct gm_arena *a, size_t n)
{
	struct block *b = a->head;
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);

	if (need < n) {
		gm_error_set(GM_ENOMEM, "out of memory (arena overflow)");
		return NULL;
	}
	if (!b || b->cap - b->used < need) {
		size_t cap = BLOCK_MIN;

		if (b && b->cap * 2 > cap)
			cap = b->cap * 2;
		while (cap < need)
			cap *= 2;
		if (!(b = gm_malloc(sizeof(*b) + cap)))
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	b->used += need;
	a->total += need;
	return b->data + b->used - need;
}

char *gm_arena_strdup(struct gm_arena *a, const char *p, size_t len)
{
	char *s = gm_arena_alloc(a, len + 1);

	if (!s)
		return NULL;
	if (len)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

size_t gm_arena_used(const struct gm_arena *a)
{
	return a->total;
}
