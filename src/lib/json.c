/* SPDX-License-Identifier: MIT */
/*
 * Streaming JSON: an RFC 8259 pull parser over a gm_in and the string writer.
 *
 * The parser works directly on the input's window (gm_in_window) and only
 * consumes bytes when the window is used up, so a token that lies wholly
 * inside the window and needs no unescaping is returned in place
 * (GM_JSON_NOCOPY) or with one memcpy; a token that crosses the window's end
 * or contains escapes is assembled in a scratch buffer. Memory is bounded by
 * the longest token (numbers are capped at GM_JSON_MAX_NUMBER bytes).
 *
 * Strings are scanned eight bytes at a time for '"', '\\', control characters
 * and non-ASCII bytes; only those stop the fast loop. Lines are counted while
 * skipping whitespace (a valid string cannot hold a raw newline).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gmig/gmig.h"
#include "json.h"

#if defined(__SSE2__)
#include <emmintrin.h>

/*
 * Bit i set when byte i of the 16 at p is '"', '\\', a control character, or
 * (hi) >= 0x80, or (del) 0x7f.
 */
static inline unsigned special16(const unsigned char *p, int hi, int del)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
				 _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
	unsigned bits;

	/* x <= 0x1f unsigned: max(x, 0x1f) == 0x1f */
	m = _mm_or_si128(m,
			 _mm_cmpeq_epi8(_mm_max_epu8(x, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f)));
	if (del)
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));
	bits = (unsigned)_mm_movemask_epi8(m);
	if (hi)
		bits |= (unsigned)_mm_movemask_epi8(x);
	return bits;
}
#endif

#define GM_JSON_MAX_NUMBER (1u << 20)
#define END_OF_INPUT 256

enum state {
	ST_TOP,	      /* a top-level value (or, in SEQ mode, end of input) */
	ST_TOP_DONE,  /* after the single top-level value: only end of input */
	ST_VALUE,     /* a value after ':' or ',' */
	ST_ARR_FIRST, /* a value or ']' */
	ST_OBJ_FIRST, /* a key or '}' */
	ST_KEY,	      /* a key after ',' */
	ST_COLON,     /* ':' then a value */
	ST_AFTER,     /* ',' or the closing bracket */
	ST_EOF
};

struct gm_json_reader {
	struct gm_in *in;
	unsigned int flags;
	const unsigned char *win; /* the input's window; win[pos..n) is unread */
	size_t pos, n;
	uint64_t base; /* input offset of win[0] */
	uint64_t line;
	unsigned int depth;
	enum state state;
	int failed; /* GM_EDATA or a fatal code once an error was returned */
	int seen;   /* a top-level value was started */
	struct gm_buf scratch;
	unsigned char stack[GM_JSON_MAX_DEPTH + 1]; /* 1 object, 0 array */
};

/* 1 for bytes that end the fast string loop */
static unsigned char str_special[256];
/* bytes that may occur in a number token */
static unsigned char num_char[256];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void fill_tables(void)
{
	const char *nc = "0123456789+-.eE";

	for (int c = 0; c < 256; c++)
		str_special[c] = (unsigned char)(c < 0x20 || c == '"' || c == '\\' || c >= 0x80);
	for (; *nc; nc++)
		num_char[(unsigned char)*nc] = 1;
}

/* the tables are filled once, whichever thread parses first */
static void init_tables(void)
{
	pthread_once(&tables_once, fill_tables);
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
fail(struct gm_json_reader *r, uint64_t line, uint64_t off, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->failed = GM_EDATA;
	return gm_error_set(GM_EDATA,
			    "invalid JSON in '%s' (line %" PRIu64 ", byte %" PRIu64 "): %s",
			    gm_in_name(r->in), line, off, msg);
}

static int fatal(struct gm_json_reader *r, int code)
{
	r->failed = code;
	return code;
}

/* A printable description of byte c for messages. */
static const char *describe(int c, char *buf, size_t n)
{
	if (c == END_OF_INPUT)
		snprintf(buf, n, "end of input");
	else if (c > 0x20 && c < 0x7f)
		snprintf(buf, n, "'%c'", c);
	else
		snprintf(buf, n, "byte 0x%02x", (unsigned)c);
	return buf;
}

/*
 * Consumes what was read and makes at least want bytes available (fewer only
 * at the end of input). r->n - r->pos is what is available afterwards.
 */
static int refill(struct gm_json_reader *r, size_t want)
{
	int error;

	if (r->pos) {
		gm_in_consume(r->in, r->pos);
		r->base += r->pos;
		r->n -= r->pos;
		r->pos = 0;
	}
	if ((error = gm_in_window(r->in, want, &r->win, &r->n)) < 0)
		return fatal(r, error);
	return 0;
}

int gm_json_reader_new(struct gm_json_reader **out, struct gm_in *in, unsigned int flags)
{
	struct gm_json_reader *r;

	init_tables();
	if (!(*out = r = gm_calloc(1, sizeof(*r))))
		return GM_ENOMEM;
	r->in = in;
	r->flags = flags;
	r->line = 1;
	r->base = gm_in_tell(in);
	r->state = ST_TOP;
	return 0;
}

void gm_json_reader_free(struct gm_json_reader *r)
{
	if (!r)
		return;
	if (r->pos)
		gm_in_consume(r->in, r->pos);
	gm_buf_free(&r->scratch);
	gm_free(r);
}

/* Returns the next non-whitespace byte (not consumed), END_OF_INPUT, or < 0. */
static int skip_ws_slow(struct gm_json_reader *r)
{
	int error;

	for (;;) {
		/* no window yet before the first refill */
		const unsigned char *p = r->win ? r->win + r->pos : NULL;
		const unsigned char *e = r->win ? r->win + r->n : NULL;

		while (p < e) {
			unsigned int c = *p;

			if (c > ' ') {
				r->pos = (size_t)(p - r->win);
				return (int)c;
			}
			if (c == ' ' || c == '\t' || c == '\r') {
				p++;
			} else if (c == '\n') {
				if (r->depth && (r->flags & GM_JSON_SEQ)) {
					r->pos = (size_t)(p - r->win);
					return fail(r, r->line, r->base + r->pos,
						    "line ends inside a value");
				}
				r->line++;
				p++;
			} else {
				r->pos = (size_t)(p - r->win);
				return (int)c;
			}
		}
		r->pos = r->n;
		if ((error = refill(r, 1)) < 0)
			return error;
		if (r->n == 0)
			return END_OF_INPUT;
	}
}

/* The common case inline: the next byte is already a token's first byte. */
static inline int skip_ws(struct gm_json_reader *r)
{
	if (r->pos < r->n) {
		unsigned int c = r->win[r->pos];

		if (c > ' ')
			return (int)c;
		if (c == ' ' && r->pos + 1 < r->n && r->win[r->pos + 1] > ' ') {
			r->pos++;
			return r->win[r->pos];
		}
	}
	return skip_ws_slow(r);
}

static int put(struct gm_json_reader *r, const void *p, size_t n)
{
	if (gm_buf_put(&r->scratch, p, n) < 0)
		return fatal(r, GM_ENOMEM);
	return 0;
}

static int hexval(unsigned int c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

/* Reads 4 hex digits at p; -1 if one is not a hex digit. */
static long hex4(const unsigned char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static size_t utf8_put(unsigned char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Length of the UTF-8 sequence at p (avail bytes readable), or 0 with *why set
 * when it is invalid. Follows RFC 3629: no overlongs, no surrogates, nothing
 * beyond U+10FFFF.
 */
static size_t utf8_check(const unsigned char *p, size_t avail, const char **why)
{
	unsigned int c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c < 0xc0) {
		*why = "unexpected continuation byte";
		return 0;
	}
	if (c < 0xc2) {
		*why = "overlong encoding";
		return 0;
	}
	if (c < 0xe0) {
		need = 2;
	} else if (c < 0xf0) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*why = c < 0xf8 ? "code point beyond U+10FFFF" : "invalid byte";
		return 0;
	}
	if (avail < 2 || p[1] < 0x80 || p[1] > 0xbf) {
		*why = "truncated sequence";
		return 0;
	}
	if (p[1] < lo) {
		*why = "overlong encoding";
		return 0;
	}
	if (p[1] > hi) {
		*why = c == 0xed ? "surrogate encoded in UTF-8" : "code point beyond U+10FFFF";
		return 0;
	}
	for (size_t i = 2; i < need; i++)
		if (avail <= i || p[i] < 0x80 || p[i] > 0xbf) {
			*why = "truncated sequence";
			return 0;
		}
	return need;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Nonzero when one of the 8 bytes in x is '"', '\\', < 0x20 or >= 0x80. */
static inline uint64_t has_special(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x) | x) & HIGHS;
}

/*
 * Scans the string whose opening quote is at win[pos]. On return the token's
 * text/len are set and pos is after the closing quote.
 */
static int scan_string(struct gm_json_reader *r, struct gm_json_token *t)
{
	const unsigned char *p, *e, *seg;
	int copied = 0, error;

	r->scratch.len = 0;
	r->pos++;
	p = seg = r->win + r->pos;
	e = r->win + r->n;
	for (;;) {
		unsigned int c;

#if defined(__SSE2__)
		while (e - p >= 16) {
			unsigned bits = special16(p, 1, 0);

			if (bits) {
				p += __builtin_ctz(bits);
				break;
			}
			p += 16;
		}
#endif
		while (e - p >= 8) {
			uint64_t x;

			memcpy(&x, p, 8);
			if (has_special(x))
				break;
			p += 8;
		}
		while (p < e && !str_special[*p])
			p++;
		if (p == e) {
			if ((error = put(r, seg, (size_t)(p - seg))) < 0)
				return error;
			copied = 1;
			r->pos = r->n;
			if ((error = refill(r, 1)) < 0)
				return error;
			if (r->n == 0)
				return fail(r, r->line, r->base,
					    "unterminated string at end of input");
			p = seg = r->win;
			e = r->win + r->n;
			continue;
		}
		c = *p;
		if (c == '"')
			break;
		if (c == '\\') {
			unsigned char u[4];
			size_t k = 2;
			long cp;

			if ((error = put(r, seg, (size_t)(p - seg))) < 0)
				return error;
			copied = 1;
			if (e - p < 12) {
				r->pos = (size_t)(p - r->win);
				if ((error = refill(r, 12)) < 0)
					return error;
				p = r->win;
				e = r->win + r->n;
			}
			if (e - p < 2)
				return fail(r, r->line, r->base + (size_t)(p - r->win),
					    "unterminated string at end of input");
			switch (p[1]) {
			case '"': u[0] = '"'; break;
			case '\\': u[0] = '\\'; break;
			case '/': u[0] = '/'; break;
			case 'b': u[0] = '\b'; break;
			case 'f': u[0] = '\f'; break;
			case 'n': u[0] = '\n'; break;
			case 'r': u[0] = '\r'; break;
			case 't': u[0] = '\t'; break;
			case 'u':
				if (e - p < 6 || (cp = hex4(p + 2)) < 0)
					return fail(r, r->line, r->base + (size_t)(p - r->win),
						    "invalid \\u escape");
				k = 6;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail(r, r->line, r->base + (size_t)(p - r->win),
						    "lone surrogate \\u%04lx", cp);
				if (cp >= 0xd800 && cp <= 0xdbff) {
					long lo;

					if (e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
					    (lo = hex4(p + 8)) < 0xdc00 || lo > 0xdfff)
						return fail(r, r->line,
							    r->base + (size_t)(p - r->win),
							    "lone surrogate \\u%04lx", cp);
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					k = 12;
				}
				break;
			default: {
				char d[16];

				return fail(r, r->line, r->base + (size_t)(p - r->win),
					    "invalid escape '\\' followed by %s",
					    describe(p[1], d, sizeof(d)));
			}
			}
			if (p[1] == 'u') {
				if ((error = put(r, u, utf8_put(u, (unsigned long)cp))) < 0)
					return error;
			} else if ((error = put(r, u, 1)) < 0) {
				return error;
			}
			p += k;
			seg = p;
			continue;
		}
		if (c < 0x20) {
			r->pos = (size_t)(p - r->win);
			return fail(r, r->line, r->base + r->pos,
				    "control character U+%04X in string (must be escaped)", c);
		} else {
			const char *why = NULL;
			size_t k;

			if (e - p < 4) {
				/* the sequence may continue in the next window */
				if ((error = put(r, seg, (size_t)(p - seg))) < 0)
					return error;
				copied = 1;
				r->pos = (size_t)(p - r->win);
				if ((error = refill(r, 4)) < 0)
					return error;
				p = seg = r->win;
				e = r->win + r->n;
			}
			if (!(k = utf8_check(p, (size_t)(e - p), &why))) {
				r->pos = (size_t)(p - r->win);
				return fail(r, r->line, r->base + r->pos,
					    "invalid UTF-8 in string: %s (byte 0x%02x)", why, *p);
			}
			p += k;
		}
	}
	if (copied || !(r->flags & GM_JSON_NOCOPY)) {
		if ((error = put(r, seg, (size_t)(p - seg))) < 0)
			return error;
		t->text = r->scratch.p ? r->scratch.p : "";
		t->len = r->scratch.len;
	} else {
		t->text = (const char *)seg;
		t->len = (size_t)(p - seg);
	}
	r->pos = (size_t)(p + 1 - r->win);
	return 0;
}

/* Checks the JSON number grammar; returns a reason or NULL. Sets *is_int. */
static const char *number_check(const char *s, size_t n, int *is_int)
{
	size_t i = 0;

#define DIG(i) ((i) < n && s[i] >= '0' && s[i] <= '9')
	*is_int = 1;
	if (i < n && s[i] == '-')
		i++;
	if (!DIG(i))
		return "digit expected";
	if (s[i] == '0') {
		i++;
		if (DIG(i))
			return "leading zero";
	} else {
		while (DIG(i))
			i++;
	}
	if (i < n && s[i] == '.') {
		*is_int = 0;
		i++;
		if (!DIG(i))
			return "digit expected after '.'";
		while (DIG(i))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*is_int = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!DIG(i))
			return "digit expected in exponent";
		while (DIG(i))
			i++;
	}
	if (i != n)
		return "unexpected character";
#undef DIG
	return NULL;
}

static int scan_number(struct gm_json_reader *r, struct gm_json_token *t)
{
	const unsigned char *p = r->win + r->pos, *e = r->win + r->n, *seg = p;
	const char *why;
	int error;

	r->scratch.len = 0;
	for (;;) {
		while (p < e && num_char[*p])
			p++;
		if ((error = put(r, seg, (size_t)(p - seg))) < 0)
			return error;
		if (r->scratch.len > GM_JSON_MAX_NUMBER)
			return fail(r, t->line, t->offset, "number longer than %u bytes",
				    GM_JSON_MAX_NUMBER);
		if (p < e)
			break;
		r->pos = r->n;
		if ((error = refill(r, 1)) < 0)
			return error;
		if (r->n == 0)
			break;
		p = seg = r->win;
		e = r->win + r->n;
	}
	r->pos = (size_t)(p - r->win);
	t->text = r->scratch.p;
	t->len = r->scratch.len;
	if ((why = number_check(t->text, t->len, &t->is_int)))
		return fail(r, t->line, t->offset, "invalid number '%.*s': %s",
			    t->len > 40 ? 40 : (int)t->len, t->text, why);
	return 0;
}

/* Sets the state that follows a complete value. */
static void after_value(struct gm_json_reader *r)
{
	if (r->depth)
		r->state = ST_AFTER;
	else
		r->state = (r->flags & GM_JSON_SEQ) ? ST_TOP : ST_TOP_DONE;
}

static int parse_value(struct gm_json_reader *r, int c, struct gm_json_token *t)
{
	static const char *const lit[3] = {"true", "false", "null"};
	static const enum gm_json_tok lit_tok[3] = {GM_JSON_TRUE, GM_JSON_FALSE, GM_JSON_NULL};
	char d[16];
	int error, k;

	r->seen = 1;
	switch (c) {
	case '{':
	case '[':
		if (r->depth >= GM_JSON_MAX_DEPTH)
			return fail(r, t->line, t->offset, "nesting deeper than %d",
				    GM_JSON_MAX_DEPTH);
		r->stack[++r->depth] = (unsigned char)(c == '{');
		r->pos++;
		t->tok = c == '{' ? GM_JSON_OBJ_BEGIN : GM_JSON_ARR_BEGIN;
		r->state = c == '{' ? ST_OBJ_FIRST : ST_ARR_FIRST;
		t->depth = r->depth;
		return 0;
	case '"':
		if ((error = scan_string(r, t)) < 0)
			return error;
		t->tok = GM_JSON_STRING;
		break;
	case 't':
	case 'f':
	case 'n':
		k = c == 't' ? 0 : c == 'f' ? 1 : 2;
		{
			size_t len = strlen(lit[k]);

			if (r->n - r->pos < len && (error = refill(r, len)) < 0)
				return error;
			if (r->n - r->pos < len || memcmp(r->win + r->pos, lit[k], len))
				return fail(r, t->line, t->offset, "unexpected %s",
					    describe(c, d, sizeof(d)));
			r->pos += len;
		}
		t->tok = lit_tok[k];
		break;
	default:
		if (c == '-' || (c >= '0' && c <= '9')) {
			if ((error = scan_number(r, t)) < 0)
				return error;
			t->tok = GM_JSON_NUMBER;
			break;
		}
		return fail(r, t->line, t->offset, "unexpected %s", describe(c, d, sizeof(d)));
	}
	t->depth = r->depth;
	after_value(r);
	return 0;
}

static int close_container(struct gm_json_reader *r, struct gm_json_token *t, int obj)
{
	r->pos++;
	r->depth--;
	t->tok = obj ? GM_JSON_OBJ_END : GM_JSON_ARR_END;
	t->depth = r->depth;
	after_value(r);
	return 0;
}

int gm_json_next(struct gm_json_reader *r, struct gm_json_token *t)
{
	char d[16];
	int c, error;

	t->tok = GM_JSON_NONE;
	t->text = NULL;
	t->len = 0;
	t->is_int = 0;
	if (r->failed) {
		if (r->failed == GM_EDATA)
			return gm_error_set(GM_EDATA,
					    "invalid JSON in '%s' (line %" PRIu64
					    "): reading on after an error",
					    gm_in_name(r->in), r->line);
		return r->failed;
	}
	for (;;) {
		if ((c = skip_ws(r)) < 0)
			return c;
		t->line = r->line;
		t->offset = r->base + r->pos;
		t->depth = r->depth;
		switch (r->state) {
		case ST_TOP:
			if (c == END_OF_INPUT) {
				if (!(r->flags & GM_JSON_SEQ) && !r->seen)
					return fail(r, t->line, t->offset,
						    "no value (empty input)");
				r->state = ST_EOF;
				t->tok = GM_JSON_EOF;
				return 0;
			}
			if (r->pos == 0 && r->base == 0 && c == 0xef && r->n >= 3 &&
			    r->win[1] == 0xbb && r->win[2] == 0xbf) {
				r->pos =
					3; /* a UTF-8 byte order mark (RFC 8259 allows ignoring it) */
				continue;
			}
			return parse_value(r, c, t);
		case ST_TOP_DONE:
			if (c == END_OF_INPUT) {
				r->state = ST_EOF;
				t->tok = GM_JSON_EOF;
				return 0;
			}
			return fail(r, t->line, t->offset, "unexpected %s after the value",
				    describe(c, d, sizeof(d)));
		case ST_EOF: t->tok = GM_JSON_EOF; return 0;
		case ST_COLON:
			if (c != ':')
				return fail(r, t->line, t->offset, "expected ':' but found %s",
					    describe(c, d, sizeof(d)));
			r->pos++;
			r->state = ST_VALUE;
			/* straight on to the value: saves a trip through the switch */
			if ((c = skip_ws(r)) < 0)
				return c;
			t->offset = r->base + r->pos;
			t->line = r->line;
			goto value;
		case ST_ARR_FIRST:
			if (c == ']')
				return close_container(r, t, 0);
			/* fall through */
		case ST_VALUE:
		value:
			if (c == END_OF_INPUT)
				return fail(r, t->line, t->offset, "unexpected end of input");
			return parse_value(r, c, t);
		case ST_OBJ_FIRST:
			if (c == '}')
				return close_container(r, t, 1);
			/* fall through */
		case ST_KEY:
		key:
			if (c != '"')
				return fail(r, t->line, t->offset, "expected a key but found %s",
					    describe(c, d, sizeof(d)));
			if ((error = scan_string(r, t)) < 0)
				return error;
			t->tok = GM_JSON_KEY;
			r->state = ST_COLON;
			return 0;
		case ST_AFTER: {
			int obj = r->stack[r->depth];

			if (c == ',') {
				r->pos++;
				r->state = obj ? ST_KEY : ST_VALUE;
				if ((c = skip_ws(r)) < 0)
					return c;
				t->offset = r->base + r->pos;
				t->line = r->line;
				if (obj)
					goto key;
				goto value;
			}
			if (c == (obj ? '}' : ']'))
				return close_container(r, t, obj);
			return fail(r, t->line, t->offset, "expected ',' or '%c' but found %s",
				    obj ? '}' : ']', describe(c, d, sizeof(d)));
		}
		}
	}
}

int gm_json_skip(struct gm_json_reader *r)
{
	struct gm_json_token t;
	unsigned int d;
	int error;

	if ((error = gm_json_next(r, &t)) < 0)
		return error;
	if (t.tok != GM_JSON_OBJ_BEGIN && t.tok != GM_JSON_ARR_BEGIN)
		return 0;
	d = t.depth - 1;
	do {
		if ((error = gm_json_next(r, &t)) < 0)
			return error;
	} while (t.depth != d);
	return 0;
}

int gm_json_resync_line(struct gm_json_reader *r)
{
	int error;

	if (r->failed && r->failed != GM_EDATA)
		return r->failed;
	r->failed = 0;
	r->depth = 0;
	r->state = ST_TOP;
	for (;;) {
		const unsigned char *nl =
			r->pos < r->n ? memchr(r->win + r->pos, '\n', r->n - r->pos) : NULL;

		if (nl) {
			r->pos = (size_t)(nl - r->win) + 1;
			r->line++;
			return 0;
		}
		r->pos = r->n;
		if ((error = refill(r, 1)) < 0)
			return error;
		if (r->n == 0)
			return 0;
	}
}

void gm_json_position(const struct gm_json_reader *r, uint64_t *line, uint64_t *offset)
{
	*line = r->line;
	*offset = r->base + r->pos;
}

const char *gm_json_name(const struct gm_json_reader *r)
{
	return gm_in_name(r->in);
}

/* ---- writing ---- */

static const char hexdig[] = "0123456789abcdef";

/* 0: copy; 'u': \u00XX; else the letter after the backslash */
static unsigned char esc_tab[256];
static pthread_once_t esc_once = PTHREAD_ONCE_INIT;

static void fill_esc(void)
{
	for (int c = 0; c < 0x20; c++)
		esc_tab[c] = 'u';
	esc_tab['\b'] = 'b';
	esc_tab['\f'] = 'f';
	esc_tab['\n'] = 'n';
	esc_tab['\r'] = 'r';
	esc_tab['\t'] = 't';
	esc_tab['"'] = '"';
	esc_tab['\\'] = '\\';
}

static void init_esc(void)
{
	pthread_once(&esc_once, fill_esc);
}

static char *put_u(char *o, unsigned long v)
{
	o[0] = '\\';
	o[1] = 'u';
	o[2] = hexdig[(v >> 12) & 15];
	o[3] = hexdig[(v >> 8) & 15];
	o[4] = hexdig[(v >> 4) & 15];
	o[5] = hexdig[v & 15];
	return o + 6;
}

#define PUT_CHUNK 65536

/* Nonzero when one of the 8 bytes in x is c (< 0x80). */
static inline uint64_t has_byte(uint64_t x, unsigned c)
{
	uint64_t y = x ^ (ONES * c);

	return (y - ONES) & ~y & HIGHS;
}

/* Nonzero when one of the 8 bytes in x needs escaping ('"', '\\', < 0x20), or is >= 0x80 when ascii. */
static inline uint64_t needs_esc(uint64_t x, uint64_t hi)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x) | (x & hi)) &
	       HIGHS;
}

int gm_json_put_string(struct gm_buf *b, const char *p, size_t len, unsigned int flags)
{
	const unsigned char *s = (const unsigned char *)p, *end = s + len;
	int ascii = flags & GM_JSON_W_ASCII;
	int del = ascii && (flags & GM_JSON_W_DEL);
	uint64_t hi = ascii ? HIGHS : 0;
	char *o;

	init_esc();
	for (int first = 1; first || s < end; first = 0) {
		size_t chunk = (size_t)(end - s) > PUT_CHUNK ? PUT_CHUNK : (size_t)(end - s);
		const unsigned char *ce = s + chunk;

		/* worst case 6 bytes out per byte in, a sequence crossing ce, the quotes */
		if (gm_buf_grow(b, chunk * 6 + 20) < 0)
			return GM_ENOMEM;
		o = b->p + b->len;
		if (first)
			*o++ = '"';
		while (s < ce) {
			const unsigned char *run = s;
			unsigned int c;

#if defined(__SSE2__)
			while (ce - s >= 16) {
				unsigned bits = special16(s, ascii, del);

				if (bits) {
					s += __builtin_ctz(bits);
					break;
				}
				s += 16;
			}
#endif
			while (ce - s >= 8) {
				uint64_t x;

				memcpy(&x, s, 8);
				if (needs_esc(x, hi) || (del && has_byte(x, 0x7f)))
					break;
				s += 8;
			}
			if (del)
				while (s < ce && !esc_tab[*s] && *s < 0x7f)
					s++;
			else if (ascii)
				while (s < ce && !esc_tab[*s] && *s < 0x80)
					s++;
			else
				while (s < ce && !esc_tab[*s])
					s++;
			if (s > run) {
				memcpy(o, run, (size_t)(s - run));
				o += s - run;
			}
			if (s == ce)
				break;
			c = *s;
			if (c < 0x80) {
				if (esc_tab[c] == 'u' || c == 0x7f) {
					o = put_u(o, c);
				} else {
					*o++ = '\\';
					*o++ = (char)esc_tab[c];
				}
				s++;
			} else {
				const char *why;
				size_t k = utf8_check(s, (size_t)(end - s), &why);
				unsigned long cp;

				if (!k) {
					b->len = (size_t)(o - b->p);
					b->p[b->len] = '\0';
					return gm_error_set(
						GM_EDATA,
						"invalid UTF-8 in string: %s (byte 0x%02x)", why,
						*s);
				}
				if (k == 2)
					cp = ((c & 0x1fu) << 6) | (s[1] & 0x3fu);
				else if (k == 3)
					cp = ((c & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) |
					     (s[2] & 0x3fu);
				else
					cp = ((c & 0x07ul) << 18) | ((s[1] & 0x3ful) << 12) |
					     ((s[2] & 0x3ful) << 6) | (s[3] & 0x3ful);
				if (cp >= 0x10000) {
					cp -= 0x10000;
					o = put_u(o, 0xd800 + (cp >> 10));
					o = put_u(o, 0xdc00 + (cp & 0x3ff));
				} else {
					o = put_u(o, cp);
				}
				s += k;
			}
		}
		b->len = (size_t)(o - b->p);
	}
	/* the last grow left room for the closing quote and the NUL */
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
	return 0;
}
