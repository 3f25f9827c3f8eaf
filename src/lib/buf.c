/* SPDX-License-Identifier: MIT */
/* Growable byte buffers. */
#include <stdio.h>

#include "buf.h"
#include "gmig/gmig.h"

int gm__buf_grow(struct gm_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->oom)
		return GM_ENOMEM;
	if (b->len + n + 1 <= b->cap)
		return 0;
	while (cap < b->len + n + 1) {
		if (cap > (size_t)-1 / 2) {
			b->oom = 1;
			return gm_error_set(GM_ENOMEM, "out of memory (buffer overflow)");
		}
		cap *= 2;
	}
	if (!(p = gm_realloc(b->p, cap))) {
		b->oom = 1;
		return GM_ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int gm_buf_puts(struct gm_buf *b, const char *s)
{
	return gm_buf_put(b, s, strlen(s));
}

int gm_buf_printf(struct gm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return gm_error_set(GM_EINVAL, "bad format string");
	if (gm_buf_grow(b, (size_t)n) < 0)
		return GM_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int gm_buf_put_u64(struct gm_buf *b, unsigned long long v)
{
	char *o;
	size_t n = 1;

	for (unsigned long long t = v; t >= 10; t /= 10)
		n++;
	if (gm_buf_grow(b, n) < 0)
		return GM_ENOMEM;
	o = b->p + b->len + n;
	*o = '\0';
	do {
		*--o = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	b->len += n;
	return 0;
}

int gm_buf_put_i64(struct gm_buf *b, long long v)
{
	if (v < 0) {
		if (gm_buf_putc(b, '-') < 0)
			return GM_ENOMEM;
		return gm_buf_put_u64(b, 0ULL - (unsigned long long)v);
	}
	return gm_buf_put_u64(b, (unsigned long long)v);
}

void gm_buf_clear(struct gm_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void gm_buf_free(struct gm_buf *b)
{
	gm_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
