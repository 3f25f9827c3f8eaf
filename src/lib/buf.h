/* SPDX-License-Identifier: MIT */
/* Growable byte buffers (internal). */
#ifndef GMIG_BUF_H
#define GMIG_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct gm_buf {
	char *p; /* NUL-terminated when len < cap; NULL until the first growth */
	size_t len;
	size_t cap;
	int oom; /* set once an allocation failed; later puts are ignored */
};

#define GM_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

int gm__buf_grow(struct gm_buf *b, size_t n);

/** Makes room for n more bytes. Returns 0 or GM_ENOMEM (and sets b->oom). */
static inline int gm_buf_grow(struct gm_buf *b, size_t n)
{
	if (b->len + n < b->cap && !b->oom)
		return 0;
	return gm__buf_grow(b, n);
}

static inline int gm_buf_put(struct gm_buf *b, const void *p, size_t n)
{
	if (gm_buf_grow(b, n) < 0)
		return -4; /* GM_ENOMEM */
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int gm_buf_puts(struct gm_buf *b, const char *s);
int gm_buf_printf(struct gm_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/** Appends the decimal form of v. */
int gm_buf_put_i64(struct gm_buf *b, long long v);
int gm_buf_put_u64(struct gm_buf *b, unsigned long long v);
void gm_buf_clear(struct gm_buf *b);
void gm_buf_free(struct gm_buf *b);

static inline int gm_buf_putc(struct gm_buf *b, char c)
{
	if (b->len + 2 > b->cap && gm_buf_grow(b, 1) < 0)
		return -4; /* GM_ENOMEM */
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return 0;
}

struct gm_record;
/**
 * The summary row a record belongs to, as copy, validate and verify print it:
 * ":A:B" for a node's labels (in the record's order), "(no labels)", "[:T]" for
 * a relationship type. Replaces b's content. Returns 0 or GM_ENOMEM.
 */
int gm__record_rowname(struct gm_buf *b, const struct gm_record *r);

/** Seconds elapsed since *t0 (CLOCK_MONOTONIC). */
struct timespec;
double gm__seconds_since(const struct timespec *t0);

#endif
