/* SPDX-License-Identifier: MIT */
/*
 * Byte streams for file backends (internal): buffered input with transparent
 * gzip/zstd decompression, and output written under a temporary name,
 * optionally compressed, renamed into place on commit.
 */
#ifndef GMIG_IO_H
#define GMIG_IO_H

#include <stddef.h>
#include <stdint.h>

struct gm_in;

/**
 * Opens path for reading ("-" = stdin). gzip and zstd are recognised by their
 * magic bytes, whatever the name. Returns 0, GM_ENOTFOUND or GM_EIO.
 */
int gm_in_open(struct gm_in **out, const char *path);
/** Reads from memory (not copied; must outlive the stream). name is used in messages. */
int gm_in_open_mem(struct gm_in **out, const void *data, size_t len, const char *name);
/**
 * Makes at least want bytes available at *p (fewer only at the end of input)
 * without consuming them. *n is how many are available (0 = end of input).
 * The pointer is valid until the next gm_in_window/gm_in_consume. Returns 0 or < 0.
 */
int gm_in_window(struct gm_in *in, size_t want, const unsigned char **p, size_t *n);
/** Consumes n bytes of the window. */
void gm_in_consume(struct gm_in *in, size_t n);
/** Uncompressed bytes consumed so far. */
uint64_t gm_in_tell(const struct gm_in *in);
/** Bytes read from the underlying file (compressed) and its size (0 unknown): progress. */
uint64_t gm_in_raw_done(const struct gm_in *in);
uint64_t gm_in_raw_total(const struct gm_in *in);
/** The name given at open, for messages. */
const char *gm_in_name(const struct gm_in *in);
void gm_in_free(struct gm_in *in);

/** Peeks at most len decompressed bytes from the start of path (for probing). *got set. */
int gm_file_head(const char *path, unsigned char *buf, size_t len, size_t *got);

struct gm_out;

#define GM_OUT_OVERWRITE (1u << 0) /* replace an existing final file */
#define GM_OUT_GZIP (1u << 1)	   /* force gzip */
#define GM_OUT_ZSTD (1u << 2)	   /* force zstd */
#define GM_OUT_PLAIN (1u << 3)	   /* no compression whatever the name */

/**
 * Opens path for writing ("-" = stdout, written directly). Data goes to
 * "<path>.tmp" until gm_out_commit renames it; compression follows the name's
 * ending (.gz, .zst) unless a flag forces it. Refuses (GM_EINVAL) to replace an
 * existing path without GM_OUT_OVERWRITE.
 */
int gm_out_open(struct gm_out **out, const char *path, unsigned int flags);
int gm_out_write(struct gm_out *o, const void *p, size_t n);
/**
 * Returns a pointer to at least n writable bytes in the output buffer; after
 * filling k <= n of them call gm_out_advance(o, k). NULL on error.
 */
char *gm_out_reserve(struct gm_out *o, size_t n);
void gm_out_advance(struct gm_out *o, size_t k);
/**
 * Continues the temporary "<path>.tmp" of an earlier, interrupted run: it must
 * be at least size bytes long; it is cut to size and written on from there.
 * Uncompressed files only (GM_EUNSUPPORTED otherwise); GM_ENOTFOUND when the
 * temporary is missing or shorter than size.
 */
int gm_out_resume(struct gm_out **out, const char *path, unsigned int flags, uint64_t size);
/**
 * Writes out what is buffered and fsyncs it (unless gm_io_set_fsync(0)); *size
 * is then the file's length. Uncompressed files only (GM_EUNSUPPORTED).
 */
int gm_out_sync(struct gm_out *o, uint64_t *size);
/** Uncompressed bytes written so far. */
uint64_t gm_out_tell(const struct gm_out *o);
/** Flushes, finishes compression, fsyncs, closes and renames into place. Returns 0 or GM_EIO. */
int gm_out_commit(struct gm_out *o);
/** Frees o; when not committed, removes the temporary file. NULL is a no-op. */
void gm_out_free(struct gm_out *o);
const char *gm_out_name(const struct gm_out *o);

/**
 * Whether gm_out_commit fsyncs before renaming (default 1). Process-wide, like
 * pg_dump --no-sync: for benchmarks and throw-away outputs.
 */
void gm_io_set_fsync(int on);

/**
 * With on, an output freed uncommitted after an interruption (gm_interrupted
 * set) keeps its temporary file, so that gmig migrate --resume can continue
 * it. Process-wide; default off.
 */
void gm_io_set_keep_interrupted(int on);

/**
 * Removes every temporary file still open (called from the CLI's signal
 * handler path on SIGINT/SIGTERM; async-signal-safe: only unlink()).
 */
void gm_out_unlink_all_temps(void);

#endif
