/* SPDX-License-Identifier: MIT */
/*
 * libgmig public API: what a program that links libgmig uses.
 *
 * Every function returns 0 on success or a negative GM_E* code; the message
 * for the last error of the calling thread is read with gm_error_last().
 * The library never prints and never exits.
 */
#ifndef GMIG_GMIG_H
#define GMIG_GMIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GMIG_VERSION "0.1.0"

enum gm_error_code {
	GM_OK = 0,
	GM_ERROR = -1,       /* generic */
	GM_ENOTFOUND = -2,   /* a file, store, key or format that does not exist */
	GM_EINVAL = -3,      /* bad argument or option */
	GM_ENOMEM = -4,      /* an allocation failed */
	GM_EIO = -5,         /* read/write/network failure (also: disk full) */
	GM_EDATA = -6,       /* a bad record; the stream stays usable */
	GM_ECORRUPT = -7,    /* input unusable from this point on */
	GM_EUNSUPPORTED = -8,/* the backend cannot do this */
	GM_EINTR = -9,       /* interrupted by a signal or a fault hook */
	GM_ITEROVER = -31    /* end of a stream; not an error */
};

/** Sets the thread's error (printf-style message) and returns code. */
int gm_error_set(int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/** The thread's last error message ("" when none). Borrowed until the next gm_error_set. */
const char *gm_error_last(void);
/** The thread's last error code (0 when none). */
int gm_error_code(void);
/** Clears the thread's error. */
void gm_error_clear(void);
/** A short name for an error code: "ENOMEM". */
const char *gm_error_name(int code);

/* ---- allocation hooks ---- */

struct gm_allocator {
	void *(*malloc)(size_t n, void *ctx);
	void *(*realloc)(void *p, size_t n, void *ctx);
	void (*free)(void *p, void *ctx);
	void *ctx;
};

/** Replaces the allocator (NULL restores libc). Not thread-safe: call before any other use. */
void gm_set_allocator(const struct gm_allocator *a);
/**
 * Makes the Nth allocation from now fail (1 = the next one), and every one after it
 * when sticky is set; 0 turns failure injection off. For tests; also read from the
 * environment variable GMIG_FAIL_ALLOC=N at the CLI's start.
 */
void gm_alloc_fail_after(unsigned long n, int sticky);
void *gm_malloc(size_t n);
void *gm_calloc(size_t n, size_t size);
void *gm_realloc(void *p, size_t n);
void gm_free(void *p);
char *gm_strdup(const char *s);

#ifdef __cplusplus
}
#endif
#endif
