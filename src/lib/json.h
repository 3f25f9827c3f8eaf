/* SPDX-License-Identifier: MIT */
/*
 * Streaming JSON (internal): a pull parser over a gm_in, and writer helpers
 * that append to a gm_buf.
 *
 * The parser reads RFC 8259 JSON in bounded memory: a 2 GB document is fine,
 * only the current token (one string or number) is held. Defined behaviour:
 * invalid UTF-8 in strings, lone surrogates in \u escapes, control characters
 * in strings, nesting deeper than GM_JSON_MAX_DEPTH, trailing garbage and
 * truncation are GM_EDATA errors whose message names the input, the line and
 * the byte offset: "invalid JSON in 'x.json' (line 3, byte 41): ...".
 * Numbers are returned as text (the caller decides int vs float; a huge
 * integer is not an error here). Duplicate keys are not detected by the
 * parser (the value builder in typedjson.c does it).
 */
#ifndef GMIG_JSON_H
#define GMIG_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "io.h"

#define GM_JSON_MAX_DEPTH 512

enum gm_json_tok {
	GM_JSON_NONE = 0,
	GM_JSON_OBJ_BEGIN,
	GM_JSON_OBJ_END,
	GM_JSON_ARR_BEGIN,
	GM_JSON_ARR_END,
	GM_JSON_KEY,	/* an object key; text = the unescaped key */
	GM_JSON_STRING, /* text = the unescaped string (may contain NUL) */
	GM_JSON_NUMBER, /* text = the number as written; is_int when no '.', 'e' or 'E' */
	GM_JSON_TRUE,
	GM_JSON_FALSE,
	GM_JSON_NULL,
	GM_JSON_EOF /* no more top-level values */
};

struct gm_json_token {
	enum gm_json_tok tok;
	const char *text; /* valid until the next call on the reader; NUL-terminated */
	size_t len;
	int is_int;
	unsigned int depth; /* nesting depth after this token (top-level value: 0 / 1) */
	uint64_t line;	    /* 1-based line where the token starts */
	uint64_t offset;    /* 0-based byte offset where the token starts */
};

/*
 * Input is a sequence of top-level values (JSON Lines). A value must not span
 * lines (a newline inside an object or array is an error), so that
 * gm_json_resync_line always recovers at the next record.
 */
#define GM_JSON_SEQ (1u << 0)
/*
 * STRING and KEY text may point into the input's window, without a NUL
 * terminator (use len); NUMBER text is always NUL-terminated.
 */
#define GM_JSON_NOCOPY (1u << 1)

struct gm_json_reader;

/** Reads from in (borrowed; must outlive the reader). */
int gm_json_reader_new(struct gm_json_reader **out, struct gm_in *in, unsigned int flags);
void gm_json_reader_free(struct gm_json_reader *r);
/** Returns 0 and the next token, or GM_EDATA / GM_EIO / GM_ENOMEM. After GM_EDATA only gm_json_resync_line is allowed. */
int gm_json_next(struct gm_json_reader *r, struct gm_json_token *t);
/** Skips the value that starts with the next token (after a KEY: its value). */
int gm_json_skip(struct gm_json_reader *r);
/** JSON Lines recovery: drops all state and continues at the start of the next line. */
int gm_json_resync_line(struct gm_json_reader *r);
/** Position of the next unread byte: line (1-based) and offset. */
void gm_json_position(const struct gm_json_reader *r, uint64_t *line, uint64_t *offset);
/** The input's name, for messages. */
const char *gm_json_name(const struct gm_json_reader *r);

/* ---- writing (appends to a gm_buf; the caller places ',' ':' and brackets) ---- */

#define GM_JSON_W_ASCII                                                                            \
	(1u << 0) /* escape every non-ASCII character as \uXXXX (Python ensure_ascii) */

#define GM_JSON_W_DEL                                                                              \
	(1u << 1) /* with GM_JSON_W_ASCII: also DEL (0x7f) as \u007f, as Python does */

/** Writes p[0..len) as a JSON string with quotes. Bytes must be valid UTF-8. */
int gm_json_put_string(struct gm_buf *b, const char *p, size_t len, unsigned int flags);

#endif
