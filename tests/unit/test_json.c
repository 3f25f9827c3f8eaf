/* SPDX-License-Identifier: MIT */
/* Tests for the streaming JSON parser and string writer (src/lib/json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gmig/gmig.h"
#include "io.h"
#include "json.h"

struct src {
	struct gm_in *in;
	struct gm_json_reader *r;
};

static void src_open(struct src *s, const char *data, size_t n, unsigned int flags)
{
	assert_int_equal(gm_in_open_mem(&s->in, data, n, "t.json"), 0);
	assert_int_equal(gm_json_reader_new(&s->r, s->in, flags), 0);
}

static void src_close(struct src *s)
{
	gm_json_reader_free(s->r);
	gm_in_free(s->in);
}

/* Renders the whole token stream as text: one token per line "TOK text". */
static int dump(struct gm_json_reader *r, char *out, size_t cap)
{
	static const char *const names[] = {"NONE", "{",   "}",	   "[",	    "]",    "KEY",
					    "STR",  "NUM", "true", "false", "null", "EOF"};
	struct gm_json_token t;
	size_t len = 0;
	int error;

	out[0] = '\0';
	do {
		if ((error = gm_json_next(r, &t)) < 0)
			return error;
		len += (size_t)snprintf(out + len, cap - len, "%s%s%.*s%s ", names[t.tok],
					t.text ? ":" : "", (int)t.len, t.text ? t.text : "",
					t.tok == GM_JSON_NUMBER ? (t.is_int ? "i" : "f") : "");
		assert_true(len < cap);
	} while (t.tok != GM_JSON_EOF);
	return 0;
}

static void expect_tokens(const char *json, unsigned int flags, const char *want)
{
	struct src s;
	char got[4096];

	src_open(&s, json, strlen(json), flags);
	assert_int_equal(dump(s.r, got, sizeof(got)), 0);
	assert_string_equal(got, want);
	src_close(&s);
}

/* Parses data (n bytes) to the first error and checks the exact message. */
static void expect_error_n(const char *data, size_t n, unsigned int flags, const char *msg)
{
	struct src s;
	char got[4096];

	src_open(&s, data, n, flags);
	assert_int_equal(dump(s.r, got, sizeof(got)), GM_EDATA);
	assert_string_equal(gm_error_last(), msg);
	src_close(&s);
}

static void expect_error(const char *data, const char *msg)
{
	expect_error_n(data, strlen(data), 0, msg);
}

static void test_tokens(void **state)
{
	(void)state;
	expect_tokens("{\"a\":[1,-2.5e3,true,false,null,\"x\"],\"b\":{}}", 0,
		      "{ KEY:a [ NUM:1i NUM:-2.5e3f true false null STR:x ] KEY:b { } } EOF ");
	expect_tokens("  42  ", 0, "NUM:42i EOF ");
	expect_tokens("\"\"", 0, "STR: EOF ");
	expect_tokens("[[],[[]],{}]", 0, "[ [ ] [ [ ] ] { } ] EOF ");
	expect_tokens("0", 0, "NUM:0i EOF ");
	expect_tokens("-0.0", 0, "NUM:-0.0f EOF ");
	expect_tokens("1E+2", 0, "NUM:1E+2f EOF ");
	expect_tokens("\xef\xbb\xbf{}", 0, "{ } EOF ");
	/* sequences */
	expect_tokens("{\"a\":1}\n{\"b\":2}\n", GM_JSON_SEQ,
		      "{ KEY:a NUM:1i } { KEY:b NUM:2i } EOF ");
	expect_tokens("", GM_JSON_SEQ, "EOF ");
	expect_tokens("\n\n  \r\n", GM_JSON_SEQ, "EOF ");
	expect_tokens("1 2 \"x\"", GM_JSON_SEQ, "NUM:1i NUM:2i STR:x EOF ");
}

static void test_positions(void **state)
{
	struct src s;
	struct gm_json_token t;
	const char *doc = "{\n  \"k\": [10,\n  \"v\"]\n}";
	uint64_t line, off;

	(void)state;
	src_open(&s, doc, strlen(doc), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_OBJ_BEGIN);
	assert_int_equal(t.line, 1);
	assert_int_equal(t.offset, 0);
	assert_int_equal(t.depth, 1);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_KEY);
	assert_int_equal(t.line, 2);
	assert_int_equal(t.offset, 4);
	assert_int_equal(t.depth, 1);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_ARR_BEGIN);
	assert_int_equal(t.offset, 9);
	assert_int_equal(t.depth, 2);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_string_equal(t.text, "10");
	assert_int_equal(t.depth, 2);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_STRING);
	assert_int_equal(t.line, 3);
	assert_int_equal(t.offset, 16);
	gm_json_position(s.r, &line, &off);
	assert_int_equal(line, 3);
	assert_int_equal(off, 19);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_ARR_END);
	assert_int_equal(t.depth, 1);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_OBJ_END);
	assert_int_equal(t.line, 4);
	assert_int_equal(t.depth, 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_EOF);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_EOF);
	assert_string_equal(gm_json_name(s.r), "t.json");
	src_close(&s);
}

static void test_escapes(void **state)
{
	struct src s;
	struct gm_json_token t;
	const char *doc =
		"\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\u0000z\"";
	const char want[] = "a\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";

	(void)state;
	src_open(&s, doc, strlen(doc), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_STRING);
	assert_int_equal(t.len, sizeof(want) - 1);
	assert_memory_equal(t.text, want, sizeof(want) - 1);
	assert_int_equal(t.text[t.len], '\0');
	src_close(&s);
	/* uppercase hex digits are fine too */
	expect_tokens("\"\\u00C9\"", 0, "STR:\xc3\x89 EOF ");
}

static void test_nocopy(void **state)
{
	struct src s;
	struct gm_json_token t;
	const char *doc = "{\"key\":\"value\",\"e\":\"a\\nb\"}";

	(void)state;
	src_open(&s, doc, strlen(doc), GM_JSON_NOCOPY);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.len, 3);
	assert_memory_equal(t.text, "key", 3);
	assert_ptr_equal(t.text, doc + 2); /* in place */
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.len, 5);
	assert_ptr_equal(t.text, doc + 8);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.len, 3); /* unescaped: copied */
	assert_memory_equal(t.text, "a\nb", 4);
	src_close(&s);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", "invalid JSON in 't.json' (line 1, byte 0): no value (empty input)");
	expect_error("{\"a\":1} x",
		     "invalid JSON in 't.json' (line 1, byte 8): unexpected 'x' after the value");
	expect_error("[1,2", "invalid JSON in 't.json' (line 1, byte 4): expected ',' or ']' but "
			     "found end of input");
	expect_error("{\"a\"", "invalid JSON in 't.json' (line 1, byte 4): expected ':' but found "
			       "end of input");
	expect_error("{\"a\":",
		     "invalid JSON in 't.json' (line 1, byte 5): unexpected end of input");
	expect_error("\"abc", "invalid JSON in 't.json' (line 1, byte 4): unterminated string at "
			      "end of input");
	expect_error("[1,]", "invalid JSON in 't.json' (line 1, byte 3): unexpected ']'");
	expect_error("{,}", "invalid JSON in 't.json' (line 1, byte 1): expected a key but found "
			    "','");
	expect_error("{\"a\":1,}", "invalid JSON in 't.json' (line 1, byte 7): expected a key but "
				   "found '}'");
	expect_error("[1}", "invalid JSON in 't.json' (line 1, byte 2): expected ',' or ']' but "
			    "found '}'");
	expect_error(
		"\n\n  [01]",
		"invalid JSON in 't.json' (line 3, byte 5): invalid number '01': leading zero");
	expect_error("-", "invalid JSON in 't.json' (line 1, byte 0): invalid number '-': digit "
			  "expected");
	expect_error("1.", "invalid JSON in 't.json' (line 1, byte 0): invalid number '1.': digit "
			   "expected after '.'");
	expect_error("1e", "invalid JSON in 't.json' (line 1, byte 0): invalid number '1e': digit "
			   "expected in exponent");
	expect_error("1.2.3", "invalid JSON in 't.json' (line 1, byte 0): invalid number '1.2.3': "
			      "unexpected character");
	expect_error("+1", "invalid JSON in 't.json' (line 1, byte 0): unexpected '+'");
	expect_error(".5", "invalid JSON in 't.json' (line 1, byte 0): unexpected '.'");
	expect_error("tru", "invalid JSON in 't.json' (line 1, byte 0): unexpected 't'");
	expect_error("[nul]", "invalid JSON in 't.json' (line 1, byte 1): unexpected 'n'");
	expect_error("truex", "invalid JSON in 't.json' (line 1, byte 4): unexpected 'x' after the "
			      "value");
	expect_error("NaN", "invalid JSON in 't.json' (line 1, byte 0): unexpected 'N'");
	expect_error("'a'", "invalid JSON in 't.json' (line 1, byte 0): unexpected '''");
	expect_error("\"a\tb\"", "invalid JSON in 't.json' (line 1, byte 2): control character "
				 "U+0009 in string (must be escaped)");
	expect_error("[\"a\nb\"]", "invalid JSON in 't.json' (line 1, byte 3): control character "
				   "U+000A in string (must be escaped)");
	expect_error("\"\\x\"", "invalid JSON in 't.json' (line 1, byte 1): invalid escape '\\' "
				"followed by 'x'");
	expect_error("\"\\u12\"", "invalid JSON in 't.json' (line 1, byte 1): invalid \\u escape");
	expect_error("\"\\u12g4\"",
		     "invalid JSON in 't.json' (line 1, byte 1): invalid \\u escape");
	expect_error("\"ab\\ud800\"",
		     "invalid JSON in 't.json' (line 1, byte 3): lone surrogate \\ud800");
	expect_error("\"\\ud800\\u0041\"",
		     "invalid JSON in 't.json' (line 1, byte 1): lone surrogate \\ud800");
	expect_error("\"\\udc00\"",
		     "invalid JSON in 't.json' (line 1, byte 1): lone surrogate \\udc00");
	expect_error("\"\\ud800\\ud800\"",
		     "invalid JSON in 't.json' (line 1, byte 1): lone surrogate \\ud800");
	expect_error("\x01", "invalid JSON in 't.json' (line 1, byte 0): unexpected byte 0x01");
	expect_error_n("[\"a\"]\0", 6, 0,
		       "invalid JSON in 't.json' (line 1, byte 5): unexpected byte 0x00 after the "
		       "value");
	/* in a sequence a value must not span lines */
	expect_error_n("{\"a\":1,\n\"b\":2}", 14, GM_JSON_SEQ,
		       "invalid JSON in 't.json' (line 1, byte 7): line ends inside a value");
	/* after an error the reader refuses to go on */
	{
		struct src s;
		struct gm_json_token t;

		src_open(&s, "[x]", 3, 0);
		assert_int_equal(gm_json_next(s.r, &t), 0);
		assert_int_equal(gm_json_next(s.r, &t), GM_EDATA);
		assert_int_equal(gm_json_next(s.r, &t), GM_EDATA);
		assert_non_null(strstr(gm_error_last(), "reading on after an error"));
		src_close(&s);
	}
}

static void test_utf8(void **state)
{
	static const char *const good[] = {
		"\"\xc2\x80\"",		/* U+0080 */
		"\"\xdf\xbf\"",		/* U+07FF */
		"\"\xe0\xa0\x80\"",	/* U+0800 */
		"\"\xed\x9f\xbf\"",	/* U+D7FF */
		"\"\xee\x80\x80\"",	/* U+E000 */
		"\"\xef\xbf\xbf\"",	/* U+FFFF */
		"\"\xf0\x90\x80\x80\"", /* U+10000 */
		"\"\xf4\x8f\xbf\xbf\"", /* U+10FFFF */
		"\"\x7f\"",		/* DEL is not a control character in JSON */
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{"\"\x80\"", "unexpected continuation byte (byte 0x80)"},
		{"\"\xc0\xaf\"", "overlong encoding (byte 0xc0)"},
		{"\"\xc1\xbf\"", "overlong encoding (byte 0xc1)"},
		{"\"\xe0\x9f\xbf\"", "overlong encoding (byte 0xe0)"},
		{"\"\xf0\x8f\xbf\xbf\"", "overlong encoding (byte 0xf0)"},
		{"\"\xed\xa0\x80\"", "surrogate encoded in UTF-8 (byte 0xed)"},
		{"\"\xed\xbf\xbf\"", "surrogate encoded in UTF-8 (byte 0xed)"},
		{"\"\xf4\x90\x80\x80\"", "code point beyond U+10FFFF (byte 0xf4)"},
		{"\"\xf5\x80\x80\x80\"", "code point beyond U+10FFFF (byte 0xf5)"},
		{"\"\xff\"", "invalid byte (byte 0xff)"},
		{"\"\xc3\"", "truncated sequence (byte 0xc3)"},
		{"\"\xe2\x82\"", "truncated sequence (byte 0xe2)"},
		{"\"\xf0\x9f\x98\"", "truncated sequence (byte 0xf0)"},
		{"\"\xe2\x28\xa1\"", "truncated sequence (byte 0xe2)"},
	};
	char want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(want, sizeof(want), "STR:%.*s EOF ", (int)strlen(good[i]) - 2,
			 good[i] + 1);
		expect_tokens(good[i], 0, want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
			 "invalid JSON in 't.json' (line 1, byte 1): invalid UTF-8 in string: %s",
			 bad[i].why);
		expect_error(bad[i].in, want);
	}
	/* the check also runs late in a long ASCII run (the 8-byte fast loop) */
	expect_error(
		"\"0123456789abcdefghij\xc0\x80\"",
		"invalid JSON in 't.json' (line 1, byte 21): invalid UTF-8 in string: overlong "
		"encoding (byte 0xc0)");
	expect_error(
		"\"0123456789abcdefghij\\q\"",
		"invalid JSON in 't.json' (line 1, byte 21): invalid escape '\\' followed by 'q'");
	expect_error(
		"\"0123456789abcdefghij\x1f\"",
		"invalid JSON in 't.json' (line 1, byte 21): control character U+001F in string "
		"(must be escaped)");
}

static void test_depth(void **state)
{
	char *doc = malloc(2 * GM_JSON_MAX_DEPTH + 4);
	struct src s;
	struct gm_json_token t;
	int n = GM_JSON_MAX_DEPTH;
	unsigned int maxd = 0;

	(void)state;
	for (int i = 0; i < n; i++) {
		doc[i] = '[';
		doc[2 * n - 1 - i] = ']';
	}
	src_open(&s, doc, 2 * (size_t)n, 0);
	do {
		assert_int_equal(gm_json_next(s.r, &t), 0);
		if (t.depth > maxd)
			maxd = t.depth;
	} while (t.tok != GM_JSON_EOF);
	assert_int_equal(maxd, GM_JSON_MAX_DEPTH);
	src_close(&s);

	memmove(doc + 1, doc, 2 * (size_t)n);
	doc[0] = '[';
	doc[2 * n + 1] = ']';
	expect_error_n(doc, 2 * (size_t)n + 2, 0,
		       "invalid JSON in 't.json' (line 1, byte 512): nesting deeper than 512");
	free(doc);
}

static void test_numbers(void **state)
{
	size_t n = 200000;
	char *doc = malloc(GM_JSON_MAX_DEPTH + (1u << 20) + 16);
	struct src s;
	struct gm_json_token t;

	(void)state;
	/* a long number is fine, and comes back exactly */
	doc[0] = '-';
	for (size_t i = 1; i < n; i++)
		doc[i] = (char)('1' + i % 9);
	memcpy(doc + n, ".5e-7", 5);
	src_open(&s, doc, n + 5, 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_NUMBER);
	assert_int_equal(t.len, n + 5);
	assert_false(t.is_int);
	assert_memory_equal(t.text, doc, n + 5);
	assert_int_equal(t.text[t.len], '\0');
	src_close(&s);
	/* 1 MiB and one byte is too long */
	n = (1u << 20) + 1;
	memset(doc, '7', n);
	expect_error_n(
		doc, n, 0,
		"invalid JSON in 't.json' (line 1, byte 0): number longer than 1048576 bytes");
	expect_tokens("[18446744073709551616000, -9223372036854775809]", 0,
		      "[ NUM:18446744073709551616000i NUM:-9223372036854775809i ] EOF ");
	free(doc);
}

static void test_resync(void **state)
{
	const char *doc = "{\"a\":1}\n"
			  "{\"a\":tru}\n"
			  "{\"a\":\n"
			  "[1,2]\n"
			  "{\"b\":\"x\xff\"}\n"
			  "{\"c\":3}";
	struct src s;
	struct gm_json_token t;

	(void)state;
	src_open(&s, doc, strlen(doc), GM_JSON_SEQ);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_skip(s.r), 0); /* skips the rest: "a" -> the value 1 */
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_NUMBER);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_OBJ_END);
	/* line 2: bad literal */
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.line, 2);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_next(s.r, &t), GM_EDATA);
	assert_string_equal(gm_error_last(),
			    "invalid JSON in 't.json' (line 2, byte 13): unexpected 't'");
	assert_int_equal(gm_json_resync_line(s.r), 0);
	/* line 3: a value that does not end on its line */
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.line, 3);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_next(s.r, &t), GM_EDATA);
	assert_string_equal(gm_error_last(),
			    "invalid JSON in 't.json' (line 3, byte 23): line ends inside a value");
	assert_int_equal(gm_json_resync_line(s.r), 0);
	/* line 4 is read whole */
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_ARR_BEGIN);
	assert_int_equal(t.line, 4);
	assert_int_equal(t.offset, 24);
	assert_int_equal(gm_json_skip(s.r), 0); /* the element 1 */
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_string_equal(t.text, "2");
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_ARR_END);
	/* line 5: bad UTF-8 */
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_next(s.r, &t), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "(line 5, byte 37): invalid UTF-8"));
	assert_int_equal(gm_json_resync_line(s.r), 0);
	/* line 6, without a final newline */
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.line, 6);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_memory_equal(t.text, "c", 1);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_OBJ_END);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_EOF);
	/* resync at the end is harmless */
	assert_int_equal(gm_json_resync_line(s.r), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_EOF);
	src_close(&s);
}

static void test_skip(void **state)
{
	const char *doc = "{\"a\":{\"x\":[1,{\"y\":[]}]},\"b\":2}";
	struct src s;
	struct gm_json_token t;

	(void)state;
	src_open(&s, doc, strlen(doc), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_KEY);
	assert_int_equal(gm_json_skip(s.r), 0);
	assert_int_equal(gm_json_next(s.r, &t), 0);
	assert_int_equal(t.tok, GM_JSON_KEY);
	assert_memory_equal(t.text, "b", 1);
	src_close(&s);
}

/* Tokens that straddle the input window's end (1 MiB for files) are assembled correctly. */
static void test_window_boundary(void **state)
{
	static const struct {
		const char *tok, *want;
	} cases[] = {
		{"\"ab\\u00e9\\ud83d\\ude00cd\"", "STR:ab\xc3\xa9\xf0\x9f\x98\x80"
						  "cd"},
		{"\"\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9xyz\"",
		 "STR:\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9xyz"},
		{"\"\\n\\t\\\"\\\\\"", "STR:\n\t\"\\"},
		{"-12345.678e+90", "NUM:-12345.678e+90f"},
		{"false", "false"},
		{"\"0123456789abcdef0123\"", "STR:0123456789abcdef0123"},
	};
	const size_t win = 1u << 20;
	char path[] = "/tmp/gmig-test-json-XXXXXX";
	int fd = mkstemp(path);
	char *buf = malloc(win + 64);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t tl = strlen(cases[c].tok);

		for (size_t k = 1; k <= tl + 1; k++) {
			struct gm_in *in;
			struct gm_json_reader *r;
			char got[512], want[512];
			size_t start = win - k;
			FILE *f = fopen(path, "wb");

			/* "[" spaces token "]" with the token starting k bytes before the end */
			memset(buf, ' ', start);
			buf[0] = '[';
			memcpy(buf + start, cases[c].tok, tl);
			buf[start + tl] = ']';
			assert_non_null(f);
			assert_int_equal(fwrite(buf, 1, start + tl + 1, f), start + tl + 1);
			fclose(f);
			assert_int_equal(gm_in_open(&in, path), 0);
			assert_int_equal(gm_json_reader_new(&r, in, k & 1 ? GM_JSON_NOCOPY : 0), 0);
			assert_int_equal(dump(r, got, sizeof(got)), 0);
			snprintf(want, sizeof(want), "[ %s ] EOF ", cases[c].want);
			assert_string_equal(got, want);
			gm_json_reader_free(r);
			gm_in_free(in);
		}
	}
	unlink(path);
	free(buf);
}

/* ~50 MB of JSON Lines streamed through the parser without building values. */
static void test_big_stream(void **state)
{
	const size_t target = 50u << 20;
	char *doc = malloc(target + 4096);
	size_t len = 0, lines = 0, keys = 0, strings = 0, numbers = 0;
	struct src s;
	struct gm_json_token t;
	clock_t t0;
	double secs;

	(void)state;
	while (len < target) {
		len += (size_t)sprintf(
			doc + len,
			"{\"type\":\"node\",\"id\":\"n%zu\",\"labels\":[\"Person\"],"
			"\"properties\":{\"name\":\"Name \\\"%zu\\\" \xc3\xa9t\xc3\xa9\","
			"\"age\":%zu,\"score\":%zu.25,\"tags\":[\"a\",\"b\"],"
			"\"ok\":true}}\n",
			lines, lines * 7, lines % 100, lines % 1000);
		lines++;
	}
	src_open(&s, doc, len, GM_JSON_SEQ | GM_JSON_NOCOPY);
	t0 = clock();
	do {
		assert_int_equal(gm_json_next(s.r, &t), 0);
		keys += t.tok == GM_JSON_KEY;
		strings += t.tok == GM_JSON_STRING;
		numbers += t.tok == GM_JSON_NUMBER;
	} while (t.tok != GM_JSON_EOF);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_int_equal(keys, lines * 9);
	assert_int_equal(strings, lines * 6);
	assert_int_equal(numbers, lines * 2);
	assert_int_equal(t.line, lines + 1);
	assert_int_equal(t.offset, len);
	printf("# parsed %.1f MB in %.3f s: %.0f MB/s\n", (double)len / 1e6, secs,
	       secs > 0 ? (double)len / 1e6 / secs : 0.0);
	src_close(&s);
	free(doc);
}

static void expect_put(const char *in, size_t n, unsigned int flags, const char *want)
{
	struct gm_buf b = GM_BUF_INIT;

	assert_int_equal(gm_json_put_string(&b, in, n, flags), 0);
	assert_string_equal(b.p, want);
	assert_int_equal(b.len, strlen(want));
	gm_buf_free(&b);
}

static void test_put_string(void **state)
{
	struct gm_buf b = GM_BUF_INIT;
	char *big;
	size_t n = 300000;

	(void)state;
	expect_put("", 0, 0, "\"\"");
	expect_put("plain", 5, 0, "\"plain\"");
	expect_put("q\"b\\s/", 6, 0, "\"q\\\"b\\\\s/\"");
	expect_put("\b\f\n\r\t\x01\x1f\x7f", 8, 0, "\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
	expect_put("a\0b", 3, 0, "\"a\\u0000b\"");
	expect_put("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, 0,
		   "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* ensure_ascii: as Python's json.dumps writes it */
	expect_put("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf", 12, GM_JSON_W_ASCII,
		   "\"\\u00e9\\u20ac\\ud83d\\ude00\\uffff\"");
	expect_put("caf\xc3\xa9 \"x\"\n", 10, GM_JSON_W_ASCII, "\"caf\\u00e9 \\\"x\\\"\\n\"");
	expect_put("\xf4\x8f\xbf\xbf", 4, GM_JSON_W_ASCII, "\"\\udbff\\udfff\"");
	/* invalid UTF-8 cannot be written as \u escapes */
	assert_int_equal(gm_json_put_string(&b, "\xc0\x80", 2, GM_JSON_W_ASCII), GM_EDATA);
	gm_buf_free(&b);
	/* long strings cross the writer's internal chunks */
	big = malloc(n);
	for (size_t i = 0; i < n; i += 3)
		memcpy(big + i, i % 2 ? "\xe2\x82\xac" : "a\"\n", 3);
	assert_int_equal(gm_json_put_string(&b, big, n, GM_JSON_W_ASCII), 0);
	assert_int_equal(b.len, 2 + (n / 6) * (6 + 1 + 2 + 2));
	gm_buf_clear(&b);
	assert_int_equal(gm_json_put_string(&b, big, n, 0), 0);
	assert_int_equal(b.len, 2 + (n / 6) * (3 + 1 + 2 + 2));
	/* and read back to the same bytes */
	{
		struct src s;
		struct gm_json_token t;

		src_open(&s, b.p, b.len, 0);
		assert_int_equal(gm_json_next(s.r, &t), 0);
		assert_int_equal(t.len, n);
		assert_memory_equal(t.text, big, n);
		src_close(&s);
	}
	gm_buf_free(&b);
	free(big);
}

static void test_alloc_failure(void **state)
{
	(void)state;
	/* every allocation failing in turn: ENOMEM, never a crash or a leak (ASan) */
	for (unsigned long k = 1; k < 20; k++) {
		struct gm_in *in = NULL;
		struct gm_json_reader *r = NULL;
		char got[4096];
		const char *doc = "{\"a\\n\":[\"x\\u00e9\",1.5]}";
		int e;

		gm_alloc_fail_after(k, 1);
		e = gm_in_open_mem(&in, doc, strlen(doc), "t.json");
		if (e == 0)
			e = gm_json_reader_new(&r, in, 0);
		if (e == 0)
			e = dump(r, got, sizeof(got));
		gm_alloc_fail_after(0, 0);
		assert_true(e == 0 || e == GM_ENOMEM);
		gm_json_reader_free(r);
		gm_in_free(in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_escapes),		cmocka_unit_test(test_nocopy),
		cmocka_unit_test(test_errors),		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_depth),		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_resync),		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_window_boundary), cmocka_unit_test(test_big_stream),
		cmocka_unit_test(test_put_string),	cmocka_unit_test(test_alloc_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
