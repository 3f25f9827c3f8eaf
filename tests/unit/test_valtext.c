/* SPDX-License-Identifier: MIT */
/* Tests for valtext: canonical text of floats, temporals, durations, points, base64. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gmig/gmig.h"
#include "valtext.h"

static struct gm_arena *arena;

static int setup(void **state)
{
	(void)state;
	return gm_arena_new(&arena);
}

static int teardown(void **state)
{
	(void)state;
	gm_arena_free(arena);
	return 0;
}

/* ---- helpers ---- */

static char out[512];

static const char *fmt_v(const struct gm_value *v)
{
	struct gm_buf b = GM_BUF_INIT;

	assert_int_equal(gm_value_format_text(&b, v), 0);
	assert_true(b.len < sizeof(out));
	memcpy(out, b.p, b.len);
	out[b.len] = '\0';
	gm_buf_free(&b);
	return out;
}

static const char *fmt_d(double d)
{
	struct gm_buf b = GM_BUF_INIT;

	assert_int_equal(gm_fmt_double(&b, d), 0);
	snprintf(out, sizeof(out), "%s", b.p);
	gm_buf_free(&b);
	return out;
}

static const char *fmt_f(float f)
{
	struct gm_buf b = GM_BUF_INIT;

	assert_int_equal(gm_fmt_float32(&b, f), 0);
	snprintf(out, sizeof(out), "%s", b.p);
	gm_buf_free(&b);
	return out;
}

static struct gm_value temporal(enum gm_type t, int64_t secs, int32_t nanos)
{
	struct gm_value v;

	memset(&v, 0, sizeof(v));
	v.type = t;
	v.u.t.secs = secs;
	v.u.t.nanos = nanos;
	if (t == GM_T_TIME)
		v.u.t.has_offset = 1;
	return v;
}

static struct gm_value dur(int64_t months, int64_t days, int64_t secs, int32_t nanos)
{
	struct gm_value v;

	memset(&v, 0, sizeof(v));
	v.type = GM_T_DURATION;
	v.u.d.months = months;
	v.u.d.days = days;
	v.u.d.secs = secs;
	v.u.d.nanos = nanos;
	return v;
}

/* Parses s as t, checks it equals want, and that it prints back as s. */
static void check_rt(enum gm_type t, const char *s, const struct gm_value *want)
{
	struct gm_value v;

	if (gm_value_parse_text(t, s, strlen(s), arena, &v) != 0)
		fail_msg("parse '%s': %s", s, gm_error_last());
	assert_true(gm_value_equal(&v, want));
	assert_string_equal(fmt_v(&v), s);
}

static void check_fmt(const struct gm_value *v, const char *want)
{
	assert_string_equal(fmt_v(v), want);
	check_rt(v->type, want, v);
}

static void check_err(enum gm_type t, const char *s, const char *msg)
{
	struct gm_value v;

	assert_int_equal(gm_value_parse_text(t, s, strlen(s), arena, &v), GM_EDATA);
	assert_string_equal(gm_error_last(), msg);
}

static double dbits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static uint64_t bitsd(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

/* ---- floats ---- */

static void check_double(double d, const char *want)
{
	double back;

	assert_string_equal(fmt_d(d), want);
	assert_int_equal(gm_parse_double(want, strlen(want), &back), 0);
	if (isnan(d))
		assert_true(isnan(back));
	else
		assert_true(bitsd(back) == bitsd(d));
}

static void test_double_text(void **state)
{
	(void)state;
	check_double(1.0, "1.0");
	check_double(0.0, "0.0");
	check_double(-0.0, "-0.0");
	check_double(0.1, "0.1");
	check_double(-2.5, "-2.5");
	check_double(100.0, "100.0");
	check_double(1.0 / 3, "0.3333333333333333");
	check_double(0.0001, "0.0001");
	check_double(0.00001, "1e-05");
	check_double(1.5e-7, "1.5e-07");
	check_double(1e16, "1e+16");
	check_double(9007199254740992.0, "9007199254740992.0");
	check_double(9007199254740993.0, "9007199254740992.0");
	check_double(123456789012345678.0, "1.2345678901234568e+17");
	check_double(1e300, "1e+300");
	check_double(5e-324, "5e-324");
	check_double(DBL_MAX, "1.7976931348623157e+308");
	check_double(DBL_MIN, "2.2250738585072014e-308");
	check_double(INFINITY, "Infinity");
	check_double(-INFINITY, "-Infinity");
	check_double(NAN, "NaN");
	check_double(0.30000000000000004, "0.30000000000000004");
}

static void test_double_parse(void **state)
{
	double d;

	(void)state;
	assert_int_equal(gm_parse_double("42", 2, &d), 0);
	assert_true(d == 42.0);
	assert_int_equal(gm_parse_double("-1.5E3", 6, &d), 0);
	assert_true(d == -1500.0);
	assert_int_equal(gm_parse_double("1e-400", 6, &d), 0);
	assert_true(d == 0.0);
	assert_int_equal(gm_parse_double("nan", 3, &d), GM_EDATA);
	assert_string_equal(gm_error_last(), "invalid Float 'nan': not a number");
	assert_int_equal(gm_parse_double("inf", 3, &d), GM_EDATA);
	assert_int_equal(gm_parse_double("1e999", 5, &d), GM_EDATA);
	assert_string_equal(gm_error_last(), "invalid Float '1e999': out of range");
	assert_int_equal(gm_parse_double("1.", 2, &d), GM_EDATA);
	assert_string_equal(gm_error_last(), "invalid Float '1.': no digits after '.'");
	assert_int_equal(gm_parse_double("01", 2, &d), GM_EDATA);
	assert_int_equal(gm_parse_double("1x", 2, &d), GM_EDATA);
	assert_string_equal(gm_error_last(), "invalid Float '1x': unexpected 'x' at offset 1");
	assert_int_equal(gm_parse_double("", 0, &d), GM_EDATA);
	/* not NUL-terminated: only n bytes are read */
	assert_int_equal(gm_parse_double("2.5e", 3, &d), 0);
	assert_true(d == 2.5);
	/* a long number goes through the heap */
	{
		char big[400];

		memset(big, '0', sizeof(big));
		big[0] = '1';
		big[1] = '.';
		assert_int_equal(gm_parse_double(big, sizeof(big), &d), 0);
		assert_true(d == 1.0);
	}
}

static void test_float32_text(void **state)
{
	(void)state;
	assert_string_equal(fmt_f(0.1f), "0.1");
	assert_string_equal(fmt_f(1.0f), "1.0");
	assert_string_equal(fmt_f(-0.0f), "-0.0");
	assert_string_equal(fmt_f(16777216.0f), "16777216.0");
	assert_string_equal(fmt_f(FLT_MAX), "3.4028235e+38");
	assert_string_equal(fmt_f(1e-45f), "1e-45");
	assert_string_equal(fmt_f(3.14159265f), "3.1415927");
	assert_string_equal(fmt_f(NAN), "NaN");
	assert_string_equal(fmt_f(-INFINITY), "-Infinity");
}

static void test_int64(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(gm_parse_int64("9223372036854775807", 19, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(gm_parse_int64("-9223372036854775808", 20, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(gm_parse_int64("-0", 2, &v), 0);
	assert_true(v == 0);
	assert_int_equal(gm_parse_int64("9223372036854775808", 19, &v), GM_EDATA);
	assert_string_equal(gm_error_last(), "invalid Integer '9223372036854775808': out of range");
	assert_int_equal(gm_parse_int64("-9223372036854775809", 20, &v), GM_EDATA);
	assert_int_equal(gm_parse_int64("12a", 3, &v), GM_EDATA);
	assert_string_equal(gm_error_last(), "invalid Integer '12a': unexpected 'a' at offset 2");
	assert_int_equal(gm_parse_int64("", 0, &v), GM_EDATA);
	assert_int_equal(gm_parse_int64("-", 1, &v), GM_EDATA);
}

/* ---- calendar ---- */

static void test_civil(void **state)
{
	int64_t y;
	unsigned m, d;

	(void)state;
	assert_true(gm_days_from_civil(1970, 1, 1) == 0);
	assert_true(gm_days_from_civil(2000, 3, 1) == 11017);
	assert_true(gm_days_from_civil(1969, 12, 31) == -1);
	assert_true(gm_days_from_civil(0, 3, 1) == -719468);
	for (int64_t z = -800000; z < 800000; z += 7) {
		gm_civil_from_days(z, &y, &m, &d);
		assert_true(gm_days_from_civil(y, m, d) == z);
	}
	gm_civil_from_days(gm_days_from_civil(-999999999, 1, 1), &y, &m, &d);
	assert_true(y == -999999999 && m == 1 && d == 1);
	gm_civil_from_days(gm_days_from_civil(999999999, 12, 31), &y, &m, &d);
	assert_true(y == 999999999 && m == 12 && d == 31);
}

/* ---- temporals ---- */

static void test_date(void **state)
{
	struct gm_value v;

	(void)state;
	v = temporal(GM_T_DATE, 0, 0);
	check_fmt(&v, "1970-01-01");
	v = temporal(GM_T_DATE, gm_days_from_civil(2015, 7, 4), 0);
	check_fmt(&v, "2015-07-04");
	v = temporal(GM_T_DATE, gm_days_from_civil(2000, 2, 29), 0);
	check_fmt(&v, "2000-02-29");
	v = temporal(GM_T_DATE, gm_days_from_civil(0, 1, 1), 0);
	check_fmt(&v, "0000-01-01");
	v = temporal(GM_T_DATE, gm_days_from_civil(-1, 12, 31), 0);
	check_fmt(&v, "-0001-12-31");
	v = temporal(GM_T_DATE, gm_days_from_civil(-9999, 1, 1), 0);
	check_fmt(&v, "-9999-01-01");
	v = temporal(GM_T_DATE, gm_days_from_civil(9999, 12, 31), 0);
	check_fmt(&v, "9999-12-31");
	v = temporal(GM_T_DATE, gm_days_from_civil(10000, 1, 1), 0);
	check_fmt(&v, "+10000-01-01");
	v = temporal(GM_T_DATE, gm_days_from_civil(-12345, 6, 7), 0);
	check_fmt(&v, "-12345-06-07");
	v = temporal(GM_T_DATE, gm_days_from_civil(999999999, 12, 31), 0);
	check_fmt(&v, "+999999999-12-31");
	v = temporal(GM_T_DATE, gm_days_from_civil(-999999999, 1, 1), 0);
	check_fmt(&v, "-999999999-01-01");

	check_err(GM_T_DATE, "2015-13-01", "invalid Date '2015-13-01': month out of range");
	check_err(GM_T_DATE, "2015-00-01", "invalid Date '2015-00-01': month out of range");
	check_err(GM_T_DATE, "2015-02-29", "invalid Date '2015-02-29': day out of range");
	check_err(GM_T_DATE, "1900-02-29", "invalid Date '1900-02-29': day out of range");
	check_err(GM_T_DATE, "2015-04-31", "invalid Date '2015-04-31': day out of range");
	check_err(GM_T_DATE, "15-01-01", "invalid Date '15-01-01': year needs at least 4 digits");
	check_err(GM_T_DATE, "12345-01-01",
		  "invalid Date '12345-01-01': year of more than 4 digits needs a sign");
	check_err(GM_T_DATE, "+1000000000-01-01",
		  "invalid Date '+1000000000-01-01': year out of range");
	check_err(GM_T_DATE, "2015-07-04T00:00",
		  "invalid Date '2015-07-04T00:00': unexpected 'T' at offset 10");
	check_err(GM_T_DATE, "2015-07", "invalid Date '2015-07': text ends before the day");
	check_err(GM_T_DATE, "2015/07/04", "invalid Date '2015/07/04': expected '-' at offset 4");
	check_err(GM_T_DATE, "2015-7-04",
		  "invalid Date '2015-7-04': expected 2 digits for the month at offset 5");
	check_err(GM_T_DATE, "-0000-01-01", "invalid Date '-0000-01-01': year -0000 is not a year");
	check_err(GM_T_DATE, "", "invalid Date '': year needs at least 4 digits");
}

static void test_time(void **state)
{
	struct gm_value v;

	(void)state;
	v = temporal(GM_T_LOCALTIME, 12 * 3600 + 50 * 60 + 35, 0);
	check_fmt(&v, "12:50:35");
	v.u.t.nanos = 556000000;
	check_fmt(&v, "12:50:35.556");
	v.u.t.nanos = 500000000;
	check_fmt(&v, "12:50:35.500");
	v.u.t.nanos = 556001000;
	check_fmt(&v, "12:50:35.556001");
	v.u.t.nanos = 1;
	check_fmt(&v, "12:50:35.000000001");
	v.u.t.nanos = 999999999;
	check_fmt(&v, "12:50:35.999999999");
	v = temporal(GM_T_LOCALTIME, 0, 0);
	check_fmt(&v, "00:00:00");
	v = temporal(GM_T_LOCALTIME, 86399, 0);
	check_fmt(&v, "23:59:59");

	/* looser input forms */
	v = temporal(GM_T_LOCALTIME, 12 * 3600 + 50 * 60, 0);
	assert_int_equal(gm_value_parse_text(GM_T_LOCALTIME, "12:50", 5, arena, &v), 0);
	assert_true(v.u.t.secs == 12 * 3600 + 50 * 60 && v.u.t.nanos == 0);
	assert_string_equal(fmt_v(&v), "12:50:00");
	assert_int_equal(gm_value_parse_text(GM_T_LOCALTIME, "12:50:35.5", 10, arena, &v), 0);
	assert_int_equal(v.u.t.nanos, 500000000);
	assert_string_equal(fmt_v(&v), "12:50:35.500");
	assert_int_equal(gm_value_parse_text(GM_T_LOCALTIME, "12:50:35.1234", 13, arena, &v), 0);
	assert_int_equal(v.u.t.nanos, 123400000);
	assert_string_equal(fmt_v(&v), "12:50:35.123400");

	check_err(GM_T_LOCALTIME, "24:00:00", "invalid LocalTime '24:00:00': hour out of range");
	check_err(GM_T_LOCALTIME, "12:60:00", "invalid LocalTime '12:60:00': minute out of range");
	check_err(GM_T_LOCALTIME, "12:00:60", "invalid LocalTime '12:00:60': second out of range");
	check_err(GM_T_LOCALTIME, "12:00:00.",
		  "invalid LocalTime '12:00:00.': fraction of a second needs 1 to 9 digits");
	check_err(GM_T_LOCALTIME, "12:00:00.1234567890",
		  "invalid LocalTime '12:00:00.1234567890': fraction of a second needs 1 to 9 "
		  "digits");
	check_err(GM_T_LOCALTIME, "12:00:00Z",
		  "invalid LocalTime '12:00:00Z': unexpected 'Z' at offset 8");

	/* Time: offsets */
	v = temporal(GM_T_TIME, 12 * 3600 + 50 * 60 + 35, 556000000);
	v.u.t.offset = 3600;
	check_fmt(&v, "12:50:35.556+01:00");
	v.u.t.offset = 0;
	check_fmt(&v, "12:50:35.556Z");
	v.u.t.offset = -18 * 3600;
	check_fmt(&v, "12:50:35.556-18:00");
	v.u.t.offset = 18 * 3600;
	check_fmt(&v, "12:50:35.556+18:00");
	v.u.t.offset = 3630;
	check_fmt(&v, "12:50:35.556+01:00:30");
	v.u.t.offset = -(5 * 3600 + 30 * 60);
	check_fmt(&v, "12:50:35.556-05:30");
	v.u.t.offset = -30;
	check_fmt(&v, "12:50:35.556-00:00:30");

	assert_int_equal(gm_value_parse_text(GM_T_TIME, "10:00:00+0100", 13, arena, &v), 0);
	assert_int_equal(v.u.t.offset, 3600);
	assert_int_equal(v.u.t.has_offset, 1);
	assert_int_equal(gm_value_parse_text(GM_T_TIME, "10:00:00-05", 11, arena, &v), 0);
	assert_int_equal(v.u.t.offset, -5 * 3600);
	assert_int_equal(gm_value_parse_text(GM_T_TIME, "10:00:00+00:00", 14, arena, &v), 0);
	assert_string_equal(fmt_v(&v), "10:00:00Z");

	check_err(GM_T_TIME, "10:00:00+18:01",
		  "invalid Time '10:00:00+18:01': offset out of range");
	check_err(GM_T_TIME, "10:00:00-19:00",
		  "invalid Time '10:00:00-19:00': offset out of range");
	check_err(GM_T_TIME, "10:00:00", "invalid Time '10:00:00': missing offset");
	check_err(GM_T_TIME, "10:00:00+1",
		  "invalid Time '10:00:00+1': expected 2 digits for the "
		  "offset hours at offset 9");
	check_err(GM_T_TIME, "10:00:00+01:60",
		  "invalid Time '10:00:00+01:60': offset out of range");
}

static void test_datetime(void **state)
{
	struct gm_value v;
	int64_t day = gm_days_from_civil(2015, 6, 24) * 86400;

	(void)state;
	v = temporal(GM_T_LOCALDATETIME,
		     gm_days_from_civil(2015, 7, 4) * 86400 + 19 * 3600 + 32 * 60 + 24, 0);
	check_fmt(&v, "2015-07-04T19:32:24");
	v.u.t.nanos = 123000000;
	check_fmt(&v, "2015-07-04T19:32:24.123");
	v = temporal(GM_T_LOCALDATETIME, -1, 0);
	check_fmt(&v, "1969-12-31T23:59:59");
	v = temporal(GM_T_LOCALDATETIME, gm_days_from_civil(-9999, 1, 1) * 86400, 1);
	check_fmt(&v, "-9999-01-01T00:00:00.000000001");
	v = temporal(GM_T_LOCALDATETIME, gm_days_from_civil(10000, 1, 1) * 86400 + 86399, 0);
	check_fmt(&v, "+10000-01-01T23:59:59");

	v = temporal(GM_T_DATETIME, day + 12 * 3600 + 50 * 60 + 35, 556000000);
	v.u.t.has_offset = 1;
	v.u.t.offset = 3600;
	check_fmt(&v, "2015-06-24T12:50:35.556+01:00");
	v.u.t.zone = gm_str_c("Europe/Berlin");
	check_fmt(&v, "2015-06-24T12:50:35.556+01:00[Europe/Berlin]");
	v.u.t.has_offset = 0;
	v.u.t.offset = 0;
	check_fmt(&v, "2015-06-24T12:50:35.556[Europe/Berlin]");
	v.u.t.has_offset = 1;
	v.u.t.zone = gm_str_c("UTC");
	check_fmt(&v, "2015-06-24T12:50:35.556Z[UTC]");
	v.u.t.offset = -10 * 3600;
	v.u.t.zone = gm_str_c("Etc/GMT+10");
	check_fmt(&v, "2015-06-24T12:50:35.556-10:00[Etc/GMT+10]");
	v.u.t.zone = gm_str_c("America/Argentina/Buenos_Aires");
	v.u.t.offset = -3 * 3600;
	check_fmt(&v, "2015-06-24T12:50:35.556-03:00[America/Argentina/Buenos_Aires]");

	/* parsed zones are copied into the arena */
	{
		char text[] = "2015-06-24T12:50:35+02:00[Europe/Paris]";

		assert_int_equal(gm_value_parse_text(GM_T_DATETIME, text, strlen(text), arena, &v),
				 0);
		text[28] = 'X';
		assert_int_equal(v.u.t.zone.len, 12);
		assert_memory_equal(v.u.t.zone.p, "Europe/Paris", 12);
		assert_int_equal(v.u.t.offset, 7200);
	}

	check_err(GM_T_DATETIME, "2015-06-24T12:50:35",
		  "invalid DateTime '2015-06-24T12:50:35': missing offset");
	check_err(GM_T_DATETIME, "2015-06-24T12:50:35+01:00[]",
		  "invalid DateTime '2015-06-24T12:50:35+01:00[]': empty zone name");
	check_err(GM_T_DATETIME, "2015-06-24T12:50:35+01:00[Europe/Berlin",
		  "invalid DateTime '2015-06-24T12:50:35+01:00[Europe/Berlin': unterminated zone "
		  "name");
	check_err(GM_T_DATETIME, "2015-06-24T12:50:35+01:00[Euro pe]",
		  "invalid DateTime '2015-06-24T12:50:35+01:00[Euro pe]': bad character in zone "
		  "name");
	check_err(GM_T_DATETIME, "2015-06-24 12:50:35Z",
		  "invalid DateTime '2015-06-24 12:50:35Z': expected 'T' at offset 10");
	check_err(GM_T_LOCALDATETIME, "2015-06-24T12:50:35Z",
		  "invalid LocalDateTime '2015-06-24T12:50:35Z': unexpected 'Z' at offset 19");

	/* values that have no text */
	{
		struct gm_buf b = GM_BUF_INIT;

		v = temporal(GM_T_DATETIME, 0, 0);
		assert_int_equal(gm_value_format_text(&b, &v), GM_EDATA);
		assert_string_equal(gm_error_last(),
				    "invalid DateTime value: neither offset nor zone");
		v = temporal(GM_T_LOCALTIME, 86400, 0);
		assert_int_equal(gm_value_format_text(&b, &v), GM_EDATA);
		v = temporal(GM_T_LOCALTIME, 0, 1000000000);
		assert_int_equal(gm_value_format_text(&b, &v), GM_EDATA);
		v = temporal(GM_T_DATE, INT64_MAX, 0);
		assert_int_equal(gm_value_format_text(&b, &v), GM_EDATA);
		v = temporal(GM_T_TIME, 0, 0);
		v.u.t.offset = 18 * 3600 + 1;
		assert_int_equal(gm_value_format_text(&b, &v), GM_EDATA);
		v.type = GM_T_STRING;
		assert_int_equal(gm_value_format_text(&b, &v), GM_EINVAL);
		assert_int_equal(b.len, 0);
		gm_buf_free(&b);
	}
}

/* ---- durations ---- */

static void test_duration(void **state)
{
	struct gm_value v;

	(void)state;
	v = dur(0, 0, 0, 0);
	check_fmt(&v, "PT0S");
	v = dur(14, 3, 3723, 500000000);
	check_fmt(&v, "P1Y2M3DT1H2M3.5S");
	v = dur(5, 1, 12 * 3600, 0);
	check_fmt(&v, "P5M1DT12H");
	v = dur(12, 0, 0, 0);
	check_fmt(&v, "P1Y");
	v = dur(-1, 0, 0, 0);
	check_fmt(&v, "P-1M");
	v = dur(-13, -2, 0, 0);
	check_fmt(&v, "P-1Y-1M-2D");
	v = dur(0, 0, 0, 500000000);
	check_fmt(&v, "PT0.5S");
	v = dur(0, 0, -1, 500000000);
	check_fmt(&v, "PT-0.5S");
	v = dur(0, 0, -90, 500000000);
	check_fmt(&v, "PT-1M-29.5S");
	v = dur(0, 0, 0, 1);
	check_fmt(&v, "PT0.000000001S");
	v = dur(0, 0, 59, 120000000);
	check_fmt(&v, "PT59.12S");
	v = dur(0, 0, 3600, 0);
	check_fmt(&v, "PT1H");
	v = dur(0, 0, 60, 0);
	check_fmt(&v, "PT1M");
	v = dur(0, 7, 0, 0);
	check_fmt(&v, "P7D");
	v = dur(1, -1, 1, 0);
	check_fmt(&v, "P1M-1DT1S");
	v = dur(INT64_MAX, INT64_MIN, INT64_MIN, 0);
	check_fmt(&v, "P768614336404564650Y7M-9223372036854775808DT-2562047788015215H-30M-8S");
	v = dur(INT64_MIN, INT64_MAX, INT64_MAX, 999999999);
	check_fmt(&v, "P-768614336404564650Y-8M9223372036854775807DT2562047788015215H30M7."
		      "999999999S");

	/* looser input: weeks, signs, a whole-duration sign, month counts over 12 */
	assert_int_equal(gm_value_parse_text(GM_T_DURATION, "P2W", 3, arena, &v), 0);
	assert_true(v.u.d.days == 14 && v.u.d.months == 0);
	assert_string_equal(fmt_v(&v), "P14D");
	assert_int_equal(gm_value_parse_text(GM_T_DURATION, "P14M3DT1H2M3.5S", 15, arena, &v), 0);
	assert_string_equal(fmt_v(&v), "P1Y2M3DT1H2M3.5S");
	assert_int_equal(gm_value_parse_text(GM_T_DURATION, "-P1DT0.5S", 9, arena, &v), 0);
	assert_true(v.u.d.days == -1 && v.u.d.secs == -1 && v.u.d.nanos == 500000000);
	assert_int_equal(gm_value_parse_text(GM_T_DURATION, "PT+90S", 6, arena, &v), 0);
	assert_string_equal(fmt_v(&v), "PT1M30S");
	assert_int_equal(gm_value_parse_text(GM_T_DURATION, "P1W1D", 5, arena, &v), 0);
	assert_true(v.u.d.days == 8);

	check_err(GM_T_DURATION, "", "invalid Duration '': text ends before 'P'");
	check_err(GM_T_DURATION, "P", "invalid Duration 'P': no component");
	check_err(GM_T_DURATION, "PT", "invalid Duration 'PT': no time component after 'T'");
	check_err(GM_T_DURATION, "P1", "invalid Duration 'P1': number without a unit");
	check_err(GM_T_DURATION, "P1H", "invalid Duration 'P1H': unexpected unit 'H'");
	check_err(GM_T_DURATION, "PT1D", "invalid Duration 'PT1D': unexpected unit 'D'");
	check_err(GM_T_DURATION, "P1D1Y", "invalid Duration 'P1D1Y': unexpected unit 'Y'");
	check_err(GM_T_DURATION, "P1.5D",
		  "invalid Duration 'P1.5D': only seconds may have a "
		  "fraction");
	check_err(GM_T_DURATION, "P99999999999999999999D",
		  "invalid Duration 'P99999999999999999999D': number too large");
	check_err(GM_T_DURATION, "P768614336404564651Y",
		  "invalid Duration 'P768614336404564651Y': duration out of range");
	check_err(GM_T_DURATION, "1D", "invalid Duration '1D': expected 'P' at offset 0");
}

/* ---- points ---- */

static struct gm_value point(uint32_t srid, int dim, double x, double y, double z)
{
	struct gm_value v;

	memset(&v, 0, sizeof(v));
	v.type = GM_T_POINT;
	v.u.pt.srid = srid;
	v.u.pt.dim = (uint8_t)dim;
	v.u.pt.x = x;
	v.u.pt.y = y;
	v.u.pt.z = z;
	return v;
}

static void test_point(void **state)
{
	struct gm_value v;

	(void)state;
	v = point(4326, 2, 1.5, 2.25, 0);
	check_fmt(&v, "SRID=4326;POINT (1.5 2.25)");
	v = point(4979, 3, 1, 2, 3);
	check_fmt(&v, "SRID=4979;POINT Z (1.0 2.0 3.0)");
	v = point(7203, 2, -0.0, 1e300, 0);
	check_fmt(&v, "SRID=7203;POINT (-0.0 1e+300)");
	v = point(9157, 3, NAN, INFINITY, -INFINITY);
	check_fmt(&v, "SRID=9157;POINT Z (NaN Infinity -Infinity)");
	v = point(4326, 2, 13.1, 33.46789, 0);
	check_fmt(&v, "SRID=4326;POINT (13.1 33.46789)");

	assert_int_equal(gm_value_parse_text(GM_T_POINT, "SRID=4326;POINT(1 2)", 20, arena, &v), 0);
	assert_true(v.u.pt.x == 1.0 && v.u.pt.y == 2.0 && v.u.pt.dim == 2);
	check_err(GM_T_POINT, "SRID=4326;POINT Z (1.0 2.0 3.0)",
		  "invalid Point 'SRID=4326;POINT Z (1.0 2.0 3.0)': SRID 4326 is 2D");
	check_err(GM_T_POINT, "SRID=4979;POINT (1.0 2.0)",
		  "invalid Point 'SRID=4979;POINT (1.0 2.0)': SRID 4979 is 3D");
	check_err(GM_T_POINT, "SRID=4326;POINT (1.0 2.0 3.0)",
		  "invalid Point 'SRID=4326;POINT (1.0 2.0 3.0)': 2D point has a third coordinate");
	check_err(GM_T_POINT, "SRID=4326;POINT (1.0 x)",
		  "invalid Point 'SRID=4326;POINT (1.0 x)': bad coordinate 'x': not a number");
	check_err(GM_T_POINT, "POINT (1.0 2.0)",
		  "invalid Point 'POINT (1.0 2.0)': expected 'SRID='");
	check_err(GM_T_POINT, "SRID=4326;POINT (1.0 2.0)x",
		  "invalid Point 'SRID=4326;POINT (1.0 2.0)x': unexpected 'x' at offset 25");
	check_err(GM_T_POINT, "SRID=99999999999;POINT (1.0 2.0)",
		  "invalid Point 'SRID=99999999999;POINT (1.0 2.0)': bad SRID");
}

/* ---- base64 ---- */

static void check_b64(const char *raw, size_t n, const char *want)
{
	struct gm_buf b = GM_BUF_INIT;
	struct gm_value v;

	assert_int_equal(gm_base64_encode(&b, (const unsigned char *)raw, n), 0);
	assert_int_equal(b.len, strlen(want));
	assert_string_equal(b.p, want); /* NUL-terminated, even when empty */
	if (n)
		assert_memory_equal(b.p, want, b.len);
	gm_buf_free(&b);
	assert_int_equal(gm_value_parse_text(GM_T_BYTES, want, strlen(want), arena, &v), 0);
	assert_int_equal(v.u.s.len, n);
	assert_non_null(v.u.s.p);
	if (n)
		assert_memory_equal(v.u.s.p, raw, n);
	assert_string_equal(fmt_v(&v), want);
}

static void test_base64(void **state)
{
	unsigned char all[256];
	struct gm_buf b = GM_BUF_INIT;
	struct gm_str s;

	(void)state;
	check_b64("", 0, "");
	check_b64("f", 1, "Zg==");
	check_b64("fo", 2, "Zm8=");
	check_b64("foo", 3, "Zm9v");
	check_b64("foob", 4, "Zm9vYg==");
	check_b64("fooba", 5, "Zm9vYmE=");
	check_b64("foobar", 6, "Zm9vYmFy");
	check_b64("\0\xff\xfe", 3, "AP/+");
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	assert_int_equal(gm_base64_encode(&b, all, 256), 0);
	assert_int_equal(gm_base64_decode(b.p, b.len, arena, &s), 0);
	assert_int_equal(s.len, 256);
	assert_memory_equal(s.p, all, 256);
	gm_buf_free(&b);

	check_err(GM_T_BYTES, "Zg=", "invalid Base64 'Zg=': length is not a multiple of 4");
	check_err(GM_T_BYTES, "Zh==", "invalid Base64 'Zh==': non-zero bits in the padding");
	check_err(GM_T_BYTES, "Zm9=", "invalid Base64 'Zm9=': non-zero bits in the padding");
	check_err(GM_T_BYTES, "Z===", "invalid Base64 'Z===': misplaced padding at offset 1");
	check_err(GM_T_BYTES,
		  "Zg==Zg==", "invalid Base64 'Zg==Zg==': misplaced padding at offset 2");
	check_err(GM_T_BYTES, "Zm=v", "invalid Base64 'Zm=v': misplaced padding at offset 2");
	check_err(GM_T_BYTES, "Zm9v Zg==",
		  "invalid Base64 'Zm9v Zg==': length is not a multiple "
		  "of 4");
	check_err(GM_T_BYTES, "Zm9-", "invalid Base64 'Zm9-': bad character at offset 3");
	check_err(GM_T_BYTES, "Zm9\n", "invalid Base64 'Zm9\n': bad character at offset 3");
	assert_int_equal(gm_base64_decode("Zg=", 3, arena, &s), GM_EDATA);
}

/* ---- other parse types ---- */

static void test_misc_parse(void **state)
{
	struct gm_value v;
	char longtext[200];

	(void)state;
	assert_int_equal(gm_value_parse_text(GM_T_BOOL, "true", 4, arena, &v), 0);
	assert_true(v.type == GM_T_BOOL && v.u.b == 1);
	assert_int_equal(gm_value_parse_text(GM_T_BOOL, "false", 5, arena, &v), 0);
	assert_true(v.u.b == 0);
	check_err(GM_T_BOOL, "True", "invalid Boolean 'True': expected true or false");
	assert_int_equal(gm_value_parse_text(GM_T_INT, "-42", 3, arena, &v), 0);
	assert_true(v.type == GM_T_INT && v.u.i == -42);
	assert_int_equal(gm_value_parse_text(GM_T_FLOAT, "-0.0", 4, arena, &v), 0);
	assert_true(v.type == GM_T_FLOAT && bitsd(v.u.f) == bitsd(-0.0));
	assert_int_equal(gm_value_parse_text(GM_T_STRING, "x", 1, arena, &v), GM_EINVAL);
	assert_int_equal(gm_value_parse_text(GM_T_LIST, "x", 1, arena, &v), GM_EINVAL);
	/* long texts are cut in messages */
	memset(longtext, 'x', sizeof(longtext));
	assert_int_equal(gm_value_parse_text(GM_T_DATE, longtext, sizeof(longtext), arena, &v),
			 GM_EDATA);
	assert_string_equal(gm_error_last(),
			    "invalid Date "
			    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx."
			    "..': year needs at least 4 digits");
}

/* ---- sniffing ---- */

static void test_sniff(void **state)
{
	static const struct {
		const char *s;
		int t;
	} cases[] = {
		{"2015-07-04", GM_T_DATE},
		{"+10000-01-01", GM_T_DATE},
		{"-0001-01-01", GM_T_DATE},
		{"12:50:35", GM_T_LOCALTIME},
		{"12:50:35.556", GM_T_LOCALTIME},
		{"12:50", GM_T_LOCALTIME}, /* java.time prints zero seconds so */
		{"12:50:35.556+01:00", GM_T_TIME},
		{"12:50:35Z", GM_T_TIME},
		{"12:50Z", GM_T_TIME},
		{"2015-07-04T19:32:24", GM_T_LOCALDATETIME},
		{"2015-07-04T19:32", GM_T_LOCALDATETIME},
		{"2015-06-24T12:50:35.556+01:00", GM_T_DATETIME},
		{"2015-06-24T12:50:35.556+01:00[Europe/Berlin]", GM_T_DATETIME},
		{"2015-06-24T12:50+01:00[Europe/Berlin]", GM_T_DATETIME},
		{"2015-06-24T12:50:35[Europe/Berlin]", GM_T_DATETIME},
		{"P5M1DT12H", GM_T_DURATION},
		{"PT0S", GM_T_DURATION},
		{"PT-0.5S", GM_T_DURATION},
		/* not canonical, not temporal */
		{"12:50:35.5", -1},
		{"12:50:00", GM_T_LOCALTIME},
		{"12:50:35+0100", -1},
		{"12:50:35+00:00", -1},
		{"2015-7-04", -1},
		{"2015-02-29", -1},
		{"+2015-01-01", -1},
		{"P14M", -1},
		{"P2W", -1},
		{"-P1D", -1},
		{"PT90S", -1},
		{"P", -1},
		{"Paris", -1},
		{"hello", -1},
		{"", -1},
		{"12", -1},
		{"2015", -1},
		{"1234567890", -1},
		{"12:5", -1},
		{"SRID=4326;POINT (1.0 2.0)", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int t = gm_value_sniff_temporal(cases[i].s, strlen(cases[i].s));

		if (t != cases[i].t)
			fail_msg("sniff '%s': got %d, want %d", cases[i].s, t, cases[i].t);
	}
	/* sniffing leaves the thread's error alone */
	gm_error_set(GM_EIO, "kept");
	assert_int_equal(gm_value_sniff_temporal("2015-13-01", 10), -1);
	assert_string_equal(gm_error_last(), "kept");
}

/* ---- randomized round trips ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static int64_t rrange(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static double rdouble(void)
{
	switch (rnd() % 6) {
	case 0: return dbits(rnd());
	case 1: return (double)rrange(-1000000, 1000000) / 8;
	case 2: return (double)(int64_t)rnd();
	case 3: return ldexp((double)(rnd() >> 11), (int)rrange(-1100, 1000));
	case 4: return (double)rrange(-100, 100) * 0.1;
	default: {
		static const double sp[] = {0.0,     -0.0, 5e-324, DBL_MAX, -DBL_MAX,
					    DBL_MIN, 1e16, 1e-5,   1e-4,    9999999999999998.0};
		return sp[rnd() % (sizeof(sp) / sizeof(sp[0]))];
	}
	}
}

static const char *const zones[] = {"Europe/Berlin", "UTC", "Etc/GMT+10", "America/New_York",
				    "Asia/Kolkata",  "A",   "Z_z-9/x+1"};

static int32_t rnanos(void)
{
	switch (rnd() % 4) {
	case 0: return 0;
	case 1: return (int32_t)rrange(0, 999) * 1000000;
	case 2: return (int32_t)rrange(0, 999999) * 1000;
	default: return (int32_t)rrange(0, 999999999);
	}
}

static int32_t roffset(void)
{
	switch (rnd() % 3) {
	case 0: return 0;
	case 1: return (int32_t)rrange(-72, 72) * 900;
	default: return (int32_t)rrange(-18 * 3600, 18 * 3600);
	}
}

static void random_value(struct gm_value *v, enum gm_type t, unsigned char *bytes)
{
	int64_t dmin = gm_days_from_civil(-999999999, 1, 1);
	int64_t dmax = gm_days_from_civil(999999999, 12, 31);
	int64_t days = rnd() % 2 ? rrange(dmin, dmax) : rrange(-800000, 3000000);

	memset(v, 0, sizeof(*v));
	v->type = t;
	switch (t) {
	case GM_T_FLOAT: v->u.f = rdouble(); break;
	case GM_T_BYTES: {
		size_t n = (size_t)rrange(0, 64);

		for (size_t i = 0; i < n; i++)
			bytes[i] = (unsigned char)rnd();
		v->u.s.p = (const char *)bytes;
		v->u.s.len = n;
		break;
	}
	case GM_T_DATE: v->u.t.secs = days; break;
	case GM_T_TIME:
		v->u.t.has_offset = 1;
		v->u.t.offset = roffset();
		/* fall through */
	case GM_T_LOCALTIME:
		v->u.t.secs = rrange(0, 86399);
		v->u.t.nanos = rnanos();
		break;
	case GM_T_DATETIME:
		switch (rnd() % 3) {
		case 0:
			v->u.t.has_offset = 1;
			v->u.t.offset = roffset();
			break;
		case 1:
			v->u.t.has_offset = 1;
			v->u.t.offset = roffset();
			v->u.t.zone = gm_str_c(zones[rnd() % 7]);
			break;
		default: v->u.t.zone = gm_str_c(zones[rnd() % 7]);
		}
		/* fall through */
	case GM_T_LOCALDATETIME:
		v->u.t.secs = days * 86400 + rrange(0, 86399);
		v->u.t.nanos = rnanos();
		break;
	case GM_T_DURATION:
		if (rnd() % 2) {
			v->u.d.months = (int64_t)rnd();
			v->u.d.days = (int64_t)rnd();
			v->u.d.secs = (int64_t)rnd();
		} else {
			v->u.d.months = rrange(-30, 30);
			v->u.d.days = rrange(-400, 400);
			v->u.d.secs = rrange(-200000, 200000);
		}
		v->u.d.nanos = rnd() % 2 ? 0 : rnanos();
		break;
	case GM_T_POINT: {
		static const uint32_t srids[] = {4326, 4979, 7203, 9157};

		v->u.pt.srid = srids[rnd() % 4];
		v->u.pt.dim = v->u.pt.srid == 4979 || v->u.pt.srid == 9157 ? 3 : 2;
		/* text keeps no NaN payload; gm_value_equal compares coordinates' bits */
		v->u.pt.x = rdouble();
		v->u.pt.y = rdouble();
		if (v->u.pt.dim == 3)
			v->u.pt.z = rdouble();
		if (isnan(v->u.pt.x))
			v->u.pt.x = NAN;
		if (isnan(v->u.pt.y))
			v->u.pt.y = NAN;
		if (isnan(v->u.pt.z))
			v->u.pt.z = NAN;
		break;
	}
	default: fail();
	}
}

static void test_random_roundtrip(void **state)
{
	static const enum gm_type types[] = {GM_T_FLOAT,     GM_T_BYTES,    GM_T_DATE,
					     GM_T_LOCALTIME, GM_T_TIME,	    GM_T_LOCALDATETIME,
					     GM_T_DATETIME,  GM_T_DURATION, GM_T_POINT};
	unsigned char bytes[64];
	struct gm_buf b = GM_BUF_INIT, b2 = GM_BUF_INIT;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		enum gm_type t = types[i % 9];
		struct gm_value v, back;

		random_value(&v, t, bytes);
		gm_buf_clear(&b);
		gm_buf_clear(&b2);
		assert_int_equal(gm_value_format_text(&b, &v), 0);
		if (gm_value_parse_text(t, b.p ? b.p : "", b.len, arena, &back) != 0)
			fail_msg("%s '%s' does not parse: %s", gm_type_name(t), b.p,
				 gm_error_last());
		if (!gm_value_equal(&v, &back))
			fail_msg("%s '%s' reads back as another value", gm_type_name(t), b.p);
		/* the other direction: canonical text -> value -> the same text */
		assert_int_equal(gm_value_format_text(&b2, &back), 0);
		assert_int_equal(b.len, b2.len);
		if (b.len)
			assert_memory_equal(b.p, b2.p, b.len);
		if (t >= GM_T_DATE && t <= GM_T_DURATION && (int)t != GM_T_DURATION &&
		    gm_value_sniff_temporal(b.p, b.len) != (int)t)
			fail_msg("'%s' is not sniffed as %s", b.p, gm_type_name(t));
		if (t == GM_T_DURATION && b.len < 200 &&
		    gm_value_sniff_temporal(b.p, b.len) != GM_T_DURATION)
			fail_msg("'%s' is not sniffed as Duration", b.p);
		if (i % 1024 == 0)
			gm_arena_reset(arena);
	}
	/* float32: shortest text reads back as the same float */
	for (int i = 0; i < 200000; i++) {
		uint32_t u = (uint32_t)rnd();
		float f, back;

		memcpy(&f, &u, sizeof(f));
		gm_buf_clear(&b);
		assert_int_equal(gm_fmt_float32(&b, f), 0);
		if (isnan(f)) {
			assert_string_equal(b.p, "NaN");
			continue;
		}
		assert_true(strchr(b.p, '.') || strchr(b.p, 'e') || strchr(b.p, 'I'));
		back = strtof(b.p, NULL);
		if (memcmp(&back, &f, sizeof(f)))
			fail_msg("float32 %a printed '%s' reads back as %a", (double)f, b.p,
				 (double)back);
	}
	gm_buf_free(&b);
	gm_buf_free(&b2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_double_text),  cmocka_unit_test(test_double_parse),
		cmocka_unit_test(test_float32_text), cmocka_unit_test(test_int64),
		cmocka_unit_test(test_civil),	     cmocka_unit_test(test_date),
		cmocka_unit_test(test_time),	     cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_duration),     cmocka_unit_test(test_point),
		cmocka_unit_test(test_base64),	     cmocka_unit_test(test_misc_parse),
		cmocka_unit_test(test_sniff),	     cmocka_unit_test(test_random_roundtrip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
