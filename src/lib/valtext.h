/* SPDX-License-Identifier: MIT */
/*
 * Text forms of values (internal), shared by every text format.
 *
 * Canonical output, exact round trip: parse(format(v)) == v for every value,
 * and format(parse(s)) == s for every canonical s.
 *
 *   Float           shortest text that reads back to the same bits; always has a
 *                   '.' or an exponent ("1.0", "1e+300", "-0.0"); "NaN",
 *                   "Infinity", "-Infinity"
 *   Date            "2015-07-04"; years outside 0000..9999 with a sign: "+12345-01-01", "-0001-01-01"
 *   LocalTime       "12:50:35", fraction only when non-zero, in groups of 3
 *                   digits as Java prints it: ".556", ".556001", ".000000001"
 *   Time            LocalTime + offset: "12:50:35.556+01:00", "Z" for +00:00,
 *                   seconds in the offset when non-zero ("+01:00:30")
 *   LocalDateTime   "2015-07-04T19:32:24[.fff]"
 *   DateTime        "2015-06-24T12:50:35.556+01:00", "...+01:00[Europe/Berlin]",
 *                   "...[Europe/Berlin]" (zone without a known offset)
 *   Duration        ISO 8601 as Neo4j prints it: "P1Y2M3DT1H2M3.5S", "PT0S";
 *                   months as Y and M, seconds as H, M and S, each
 *                   component with its own sign ("PT-0.5S", "P-1M")
 *   Point           WKT with SRID as Neo4j's Query API: "SRID=4326;POINT (1.5 2.25)",
 *                   "SRID=4979;POINT Z (1.0 2.0 3.0)"; coordinates as Float above
 *   Bytes           standard base64 with padding
 *
 * Parsers also accept the looser forms other tools write: fractions of 1..9
 * digits, "+0100"/"+01"/"+00:00" offsets, times without seconds ("12:50", as
 * java.time prints them), "+2015" years, durations with weeks ("P2W"), months
 * over 12 ("P14M"), a leading sign ("-P1D") and '+' signs, points with other
 * spacing ("POINT(1 2)"). Not accepted: "20150704", lowercase "nan"/"inf",
 * leap seconds, fractions in duration units other than seconds. They return
 * GM_EDATA with a message naming the text and the reason, e.g.
 * "invalid Date '2015-13-01': month out of range".
 * Ranges are java.time's: years -999999999..999999999, offsets within +-18:00.
 */
#ifndef GMIG_VALTEXT_H
#define GMIG_VALTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "gmig/sys/record.h"

/** Appends the canonical text of a Float. */
int gm_fmt_double(struct gm_buf *b, double d);
/** Appends the shortest text that reads back as the same float32, same rules. */
int gm_fmt_float32(struct gm_buf *b, float f);
/** Parses a Float's text (also plain JSON numbers, "NaN", "Infinity", "-Infinity"). */
int gm_parse_double(const char *p, size_t n, double *out);
/** Parses a decimal int64; GM_EDATA on overflow or junk. */
int gm_parse_int64(const char *p, size_t n, int64_t *out);
/*
 * Internal fast paths: m * 10^e10 correctly rounded, and a JSON number's text
 * (grammar already checked) as a double, when that is cheap to do exactly;
 * -1 otherwise (the caller falls back to strtod). Never out of range.
 */
/**
 * Lays out significant digits (digits[0..nd), no trailing zeros) with the
 * decimal point decpt places from their start, as Python's repr and gmig's
 * canonical Float text do: "1.5", "100.0", "0.0001", "1e-05", "1e+16". Writes
 * no NUL; returns the length (at most nd + 24).
 */
size_t gm__fmt_digits(char *o, const char *digits, int nd, int decpt);
int gm__dec_to_double(uint64_t m, int e10, double *out);
int gm__dec_parse(const char *p, size_t n, double *out);

/**
 * Appends the canonical text of v, which must be a temporal type, Duration,
 * Point, Bytes or Float. Returns GM_EINVAL for other types.
 */
int gm_value_format_text(struct gm_buf *b, const struct gm_value *v);

/**
 * Parses text as type t (a temporal type, Duration, Point, Bytes, Float,
 * Integer or Boolean "true"/"false"). Zone names and bytes are copied into a.
 * Returns 0 or GM_EDATA (message names the type and the text).
 */
int gm_value_parse_text(enum gm_type t, const char *p, size_t n, struct gm_arena *a,
			struct gm_value *out);

/**
 * Guesses the temporal type of an ISO string as APOC writes it untagged:
 * returns GM_T_DATE, GM_T_LOCALTIME, GM_T_TIME, GM_T_LOCALDATETIME,
 * GM_T_DATETIME or GM_T_DURATION when the text is that type's canonical text
 * or java.time's toString() of it (seconds left out when zero: "12:50",
 * "2015-07-04T19:32"), else -1. Leaves the thread's error alone.
 */
int gm_value_sniff_temporal(const char *p, size_t n);

/** Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t gm_days_from_civil(int64_t y, unsigned m, unsigned d);
void gm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/** Base64 (standard alphabet, padded). */
int gm_base64_encode(struct gm_buf *b, const unsigned char *p, size_t n);
int gm_base64_decode(const char *p, size_t n, struct gm_arena *a, struct gm_str *out);

#endif
