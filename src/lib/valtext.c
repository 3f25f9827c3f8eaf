/* SPDX-License-Identifier: MIT */
/*
 * Canonical text forms of values (see valtext.h for the forms): shortest
 * round-trip floats, ISO 8601 temporals as Java/Neo4j print them, Neo4j's
 * duration text, WKT points with SRID, base64.
 *
 * Ranges follow Neo4j (java.time): years -999999999..999999999 of the
 * proleptic Gregorian calendar, offsets within +-18:00, nanoseconds
 * 0..999999999. Temporals are kept as wall-clock values (DateTime's secs is
 * the local date and time, the offset and zone ride along), so formatting is
 * pure arithmetic and never consults a time zone database.
 *
 * The scanners below do not set the thread's error; they leave a reason in
 * their context, and only the public entry points turn it into a message.
 * gm_value_sniff_temporal uses them to try several types silently.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmig/gmig.h"
#include "valtext.h"

#define YEAR_MIN (-999999999LL)
#define YEAR_MAX 999999999LL
#define OFFSET_MAX (18 * 3600)
#define ZONE_MAX 128
#define NANOS 1000000000
#define DAY_SECS 86400LL
#define TEXT_MAX 256 /* longest canonical temporal/duration/point text, with room */

/* ---- calendar ---- */

/*
 * Days from civil: shift the year to start in March so the leap day is last,
 * count whole 400-year eras (146097 days each), then days within the era.
 */
int64_t gm_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (int64_t)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d) - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void gm_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

static int64_t days_min(void)
{
	return gm_days_from_civil(YEAR_MIN, 1, 1);
}

static int64_t days_max(void)
{
	return gm_days_from_civil(YEAR_MAX, 12, 31);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- scanning context ---- */

struct sc {
	const char *p;
	size_t n, i;
	int oom; /* an allocation failed: GM_ENOMEM, not GM_EDATA */
	char why[128];
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
fail(struct sc *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	return -1;
}

static int at(const struct sc *s, char c)
{
	return s->i < s->n && s->p[s->i] == c;
}

static int eat(struct sc *s, char c)
{
	if (!at(s, c))
		return 0;
	s->i++;
	return 1;
}

static int isdig(char c)
{
	return c >= '0' && c <= '9';
}

static size_t digit_run(const struct sc *s)
{
	size_t k = 0;

	while (s->i + k < s->n && isdig(s->p[s->i + k]))
		k++;
	return k;
}

/* Exactly k digits into *v, or fails naming what. */
static int fixed(struct sc *s, size_t k, int *v, const char *what)
{
	int x = 0;

	if (digit_run(s) < k)
		return fail(s, "expected %zu digits for the %s at offset %zu", k, what, s->i);
	for (size_t j = 0; j < k; j++)
		x = x * 10 + (s->p[s->i++] - '0');
	*v = x;
	return 0;
}

static int expect(struct sc *s, char c, const char *what)
{
	if (eat(s, c))
		return 0;
	if (s->i >= s->n)
		return fail(s, "text ends before %s", what);
	return fail(s, "expected '%c' at offset %zu", c, s->i);
}

static int at_end(struct sc *s)
{
	if (s->i == s->n)
		return 0;
	return fail(s, "unexpected '%c' at offset %zu", s->p[s->i], s->i);
}

/* ---- temporal scanners ---- */

/* [+-]YYYY[Y...]-MM-DD */
static int scan_date(struct sc *s, int64_t *days)
{
	int neg = 0, sign = 0, m = 0, d = 0;
	int64_t y = 0;
	size_t k;

	if (at(s, '+') || at(s, '-')) {
		sign = 1;
		neg = s->p[s->i++] == '-';
	}
	k = digit_run(s);
	if (k < 4)
		return fail(s, "year needs at least 4 digits");
	if (!sign && k > 4)
		return fail(s, "year of more than 4 digits needs a sign");
	if (k > 9)
		return fail(s, "year out of range");
	for (size_t j = 0; j < k; j++)
		y = y * 10 + (s->p[s->i++] - '0');
	if (neg)
		y = -y;
	if (neg && y == 0)
		return fail(s, "year -0000 is not a year");
	if (expect(s, '-', "the month") < 0 || fixed(s, 2, &m, "month") < 0 ||
	    expect(s, '-', "the day") < 0 || fixed(s, 2, &d, "day") < 0)
		return -1;
	if (m < 1 || m > 12)
		return fail(s, "month out of range");
	if (d < 1 || (unsigned)d > month_days(y, (unsigned)m))
		return fail(s, "day out of range");
	*days = gm_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

/* HH:MM[:SS[.f{1,9}]] */
static int scan_time(struct sc *s, int64_t *secs, int32_t *nanos)
{
	int h = 0, m = 0, sec = 0;
	int32_t f = 0;

	if (fixed(s, 2, &h, "hour") < 0 || expect(s, ':', "the minute") < 0 ||
	    fixed(s, 2, &m, "minute") < 0)
		return -1;
	if (eat(s, ':')) {
		if (fixed(s, 2, &sec, "second") < 0)
			return -1;
		if (eat(s, '.')) {
			size_t k = digit_run(s);

			if (k < 1 || k > 9)
				return fail(s, "fraction of a second needs 1 to 9 digits");
			for (size_t j = 0; j < 9; j++)
				f = f * 10 + (j < k ? s->p[s->i + j] - '0' : 0);
			s->i += k;
		}
	}
	if (h > 23)
		return fail(s, "hour out of range");
	if (m > 59)
		return fail(s, "minute out of range");
	if (sec > 59)
		return fail(s, "second out of range");
	*secs = h * 3600 + m * 60 + sec;
	*nanos = f;
	return 0;
}

/* Z | [+-]HH[[:]MM[[:]SS]] */
static int scan_offset(struct sc *s, int32_t *off)
{
	int neg, h = 0, m = 0, sec = 0, colon;

	if (eat(s, 'Z')) {
		*off = 0;
		return 0;
	}
	if (!at(s, '+') && !at(s, '-')) {
		if (s->i >= s->n)
			return fail(s, "missing offset");
		return fail(s, "expected an offset at offset %zu", s->i);
	}
	neg = s->p[s->i++] == '-';
	if (fixed(s, 2, &h, "offset hours") < 0)
		return -1;
	colon = eat(s, ':');
	if (colon || digit_run(s) >= 2) {
		if (fixed(s, 2, &m, "offset minutes") < 0)
			return -1;
		if ((colon && eat(s, ':')) || (!colon && digit_run(s) >= 2))
			if (fixed(s, 2, &sec, "offset seconds") < 0)
				return -1;
	}
	if (m > 59 || sec > 59)
		return fail(s, "offset out of range");
	*off = h * 3600 + m * 60 + sec;
	if (*off > OFFSET_MAX)
		return fail(s, "offset out of range");
	if (neg)
		*off = -*off;
	return 0;
}

static int zone_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || isdig(c) || c == '_' ||
	       c == '+' || c == '-' || c == '/';
}

static int zone_ok(struct gm_str z)
{
	if (z.len == 0 || z.len > ZONE_MAX)
		return 0;
	for (size_t i = 0; i < z.len; i++)
		if (!zone_char(z.p[i]))
			return 0;
	return 1;
}

/* [Zone/Name]; the zone points into the text */
static int scan_zone(struct sc *s, struct gm_str *zone)
{
	size_t start;

	s->i++; /* '[' */
	start = s->i;
	while (s->i < s->n && zone_char(s->p[s->i]))
		s->i++;
	if (s->i == start)
		return fail(s, "empty zone name");
	if (s->i - start > ZONE_MAX)
		return fail(s, "zone name too long");
	if (!eat(s, ']'))
		return fail(s,
			    s->i < s->n ? "bad character in zone name" : "unterminated zone name");
	zone->p = s->p + start;
	zone->len = s->i - 1 - start;
	return 0;
}

static int scan_datetime_head(struct sc *s, struct gm_temporal *t)
{
	int64_t days, tod;

	if (scan_date(s, &days) < 0 || expect(s, 'T', "the time") < 0 ||
	    scan_time(s, &tod, &t->nanos) < 0)
		return -1;
	t->secs = days * DAY_SECS + tod;
	return 0;
}

/* Parses a temporal of type t from s (zone pointing into the text). */
static int scan_temporal(struct sc *s, enum gm_type type, struct gm_temporal *t)
{
	memset(t, 0, sizeof(*t));
	switch (type) {
	case GM_T_DATE:
		if (scan_date(s, &t->secs) < 0)
			return -1;
		break;
	case GM_T_LOCALTIME:
		if (scan_time(s, &t->secs, &t->nanos) < 0)
			return -1;
		break;
	case GM_T_TIME:
		if (scan_time(s, &t->secs, &t->nanos) < 0 || scan_offset(s, &t->offset) < 0)
			return -1;
		t->has_offset = 1;
		break;
	case GM_T_LOCALDATETIME:
		if (scan_datetime_head(s, t) < 0)
			return -1;
		break;
	case GM_T_DATETIME:
		if (scan_datetime_head(s, t) < 0)
			return -1;
		if (!at(s, '[')) {
			if (scan_offset(s, &t->offset) < 0)
				return -1;
			t->has_offset = 1;
		}
		if (at(s, '[') && scan_zone(s, &t->zone) < 0)
			return -1;
		break;
	default: return fail(s, "not a temporal type");
	}
	return at_end(s);
}

/* ---- duration ---- */

static int add_mul(int64_t *acc, int64_t v, int64_t mul)
{
	int64_t x;

	return __builtin_mul_overflow(v, mul, &x) || __builtin_add_overflow(*acc, x, acc);
}

/*
 * [-]P[nY][nM][nW][nD][T[nH][nM][n[.f]S]], each n with its own optional sign;
 * a leading '-' negates the whole duration.
 */
static int scan_duration(struct sc *s, struct gm_duration *d)
{
	static const char units[] = "YMWDHMS";
	static const int64_t mul[] = {12, 1, 7, 1, 3600, 60, 1};
	int neg = eat(s, '-'), any = 0, in_time = 0;
	size_t u = 0;
	int64_t secs = 0, fnanos = 0;

	memset(d, 0, sizeof(*d));
	if (expect(s, 'P', "'P'") < 0)
		return -1;
	while (s->i < s->n) {
		int nneg = 0;
		uint64_t v = 0;
		int64_t sv;
		int32_t f = 0;
		size_t k, fk = 0;
		char c;

		if (at(s, 'T')) {
			if (in_time)
				return fail(s, "unexpected 'T' at offset %zu", s->i);
			s->i++;
			in_time = 1;
			u = 4;
			if (s->i == s->n)
				return fail(s, "no time component after 'T'");
			continue;
		}
		if (at(s, '+') || at(s, '-'))
			nneg = s->p[s->i++] == '-';
		if (!(k = digit_run(s)))
			return fail(s, "expected a number at offset %zu", s->i);
		if (k > 19)
			return fail(s, "number too large");
		for (size_t j = 0; j < k; j++)
			v = v * 10 + (uint64_t)(s->p[s->i++] - '0');
		if (v > (uint64_t)INT64_MAX + nneg)
			return fail(s, "number too large");
		sv = !nneg ? (int64_t)v : v > INT64_MAX ? INT64_MIN : -(int64_t)v;
		if (eat(s, '.')) {
			fk = digit_run(s);
			if (fk < 1 || fk > 9)
				return fail(s, "fraction of a second needs 1 to 9 digits");
			for (size_t j = 0; j < 9; j++)
				f = f * 10 + (j < fk ? s->p[s->i + j] - '0' : 0);
			s->i += fk;
		}
		if (s->i >= s->n)
			return fail(s, "number without a unit");
		c = s->p[s->i++];
		while (u < 7 && (units[u] != c || (u < 4) == in_time))
			u++;
		if (u == 7 || (u < 4 && in_time) || (u >= 4 && !in_time))
			return fail(s, "unexpected unit '%c'", c);
		if (fk && u != 6)
			return fail(s, "only seconds may have a fraction");
		if (u == 6) {
			secs = sv; /* seconds: combined below with H and M */
			fnanos = nneg ? -(int64_t)f : f;
		} else {
			int64_t *acc = u < 2 ? &d->months : u < 4 ? &d->days : &d->secs;

			if (add_mul(acc, sv, mul[u]))
				return fail(s, "duration out of range");
		}
		u++;
		any = 1;
	}
	if (!any)
		return fail(s, "no component");
	if (fnanos < 0) {
		fnanos += NANOS;
		secs -= 1; /* no overflow: secs <= 0 here */
	}
	if (__builtin_add_overflow(d->secs, secs, &d->secs))
		return fail(s, "duration out of range");
	d->nanos = (int32_t)fnanos;
	if (neg) {
		if (d->months == INT64_MIN || d->days == INT64_MIN || d->secs == INT64_MIN)
			return fail(s, "duration out of range");
		d->months = -d->months;
		d->days = -d->days;
		d->secs = -d->secs;
		if (d->nanos) {
			d->secs -= 1;
			d->nanos = NANOS - d->nanos;
		}
	}
	return 0;
}

/* ---- floats ---- */

/* JSON number grammar, or NaN / Infinity / -Infinity. */
static int scan_double(struct sc *s, double *out)
{
	const char *p = s->p;
	size_t n = s->n, i = 0;
	char small[64], *tmp = small;
	double v;

	if ((n == 3 && !memcmp(p, "NaN", 3))) {
		*out = NAN;
		return 0;
	}
	if (n == 8 && !memcmp(p, "Infinity", 8)) {
		*out = INFINITY;
		return 0;
	}
	if (n == 9 && !memcmp(p, "-Infinity", 9)) {
		*out = -INFINITY;
		return 0;
	}
	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && p[i] >= '1' && p[i] <= '9')
		while (i < n && isdig(p[i]))
			i++;
	else
		return fail(s, "not a number");
	if (i < n && p[i] == '.') {
		size_t j = ++i;

		while (i < n && isdig(p[i]))
			i++;
		if (i == j)
			return fail(s, "no digits after '.'");
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t j;

		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		j = i;
		while (i < n && isdig(p[i]))
			i++;
		if (i == j)
			return fail(s, "no digits in the exponent");
	}
	if (i != n)
		return fail(s, "unexpected '%c' at offset %zu", p[i], i);
	if (gm__dec_parse(p, n, out) == 0)
		return 0;
	if (n >= sizeof(small) && !(tmp = gm_malloc(n + 1))) {
		s->oom = 1;
		return fail(s, "out of memory");
	}
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	v = strtod(tmp, NULL);
	if (tmp != small)
		gm_free(tmp);
	if (isinf(v))
		return fail(s, "out of range");
	*out = v;
	return 0;
}

/*
 * Fast path of fmt_real for the common doubles that are short decimals: finds
 * the smallest k with d == r / 10^k for an integer r < 2^50. The division is
 * correctly rounded, so the decimal r * 10^-k reads back as d, and the smallest
 * k gives the fewest digits (a shorter decimal would be found at a smaller k).
 * Below 2^50 the errors of d * 10^k are far from 1/2, so rounding finds r.
 * Fills digits (no trailing zeros), *nd and *exp10 as the %e path does.
 */
static int short_decimal(double d, char *digits, int *nd, int *exp10)
{
	static const double p10[] = {1e0,  1e1,	 1e2,  1e3,  1e4,  1e5,	 1e6,  1e7,
				     1e8,  1e9,	 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	double a = fabs(d);
	char tmp[24];
	int n = 0, k;

	if (a == 0 || a >= 0x1p50 || a < 1e-7)
		return 0;
	for (k = 0; k < 23; k++) {
		double t = a * p10[k], r;
		uint64_t m;

		if (t >= 0x1p50)
			return 0;
		r = nearbyint(t);
		if (r / p10[k] != a)
			continue;
		for (m = (uint64_t)r; m; m /= 10)
			tmp[n++] = (char)('0' + m % 10);
		/* tmp holds the digits of r, least significant first */
		*exp10 = n - 1 - k;
		*nd = 0;
		for (int i = n - 1; i >= 0; i--)
			digits[(*nd)++] = tmp[i];
		while (*nd > 1 && digits[*nd - 1] == '0')
			(*nd)--;
		return 1;
	}
	return 0;
}

/*
 * Exact decimal <-> binary steps in x87 extended precision (64-bit significand),
 * where it exists. Every integer below 2^64 and every 10^k with k <= 27
 * (5^27 < 2^64) is exact there, so m * 10^k and m / 10^k are ONE correctly
 * rounded operation. Rounding that again to a double (53 bits) gives the
 * correctly rounded double unless the extended result lies exactly halfway
 * between two doubles (its low 11 bits 10000000000): rounding to 64 bits is
 * monotonic and every such halfway point is representable, so the first
 * rounding cannot carry a value across one. That case is left to strtod.
 */
#if (defined(__x86_64__) || defined(__i386__)) && LDBL_MANT_DIG == 64
#define HAVE_LD80 1
static const long double ld_p10[28] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,	 1e6L,
				       1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
				       1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
				       1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

/* m * 10^e10 as a double; -1 when this path cannot tell (the caller uses strtod). */
static int ld_to_double(uint64_t m, int e10, double *out)
{
	long double v = (long double)m;
	uint64_t bits;

	if (e10 < -27 || e10 > 27)
		return -1;
	v = e10 < 0 ? v / ld_p10[-e10] : v * ld_p10[e10];
	memcpy(&bits, &v, sizeof(bits)); /* the significand: the low 8 bytes on x86 */
	if ((bits & 0x7ff) == 0x400)
		return -1;
	*out = (double)v;
	return 0;
}
#endif

int gm__dec_to_double(uint64_t m, int e10, double *out)
{
	static const double p10[23] = {1e0,  1e1,  1e2,	 1e3,  1e4,  1e5,  1e6,	 1e7,
				       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

	if (m == 0) {
		*out = 0.0;
		return 0;
	}
	/* Clinger: both operands exact doubles, one correctly rounded operation */
	if (m < (1ULL << 53) && e10 >= -22 && e10 <= 22) {
		*out = e10 < 0 ? (double)m / p10[-e10] : (double)m * p10[e10];
		return 0;
	}
#ifdef HAVE_LD80
	return ld_to_double(m, e10, out);
#else
	return -1;
#endif
}

int gm__dec_parse(const char *p, size_t n, double *out)
{
	uint64_t m = 0;
	int nd = 0, e = 0, neg = 0, frac = 0;
	size_t i = 0;

	if (i < n && p[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n; i++) {
		unsigned dg = (unsigned)(p[i] - '0');

		if (p[i] == '.') {
			frac = 1;
			continue;
		}
		if (dg > 9)
			break;
		e -= frac;
		if (!m && !dg)
			continue;
		if (++nd > 19)
			return -1;
		m = m * 10 + dg;
	}
	if (i < n) { /* exponent: [eE][+-]?digits (checked by the caller) */
		int es = 1, x = 0;

		if (++i < n && (p[i] == '+' || p[i] == '-'))
			es = p[i++] == '-' ? -1 : 1;
		for (; i < n; i++) {
			if (x > 10000)
				return -1;
			x = x * 10 + (p[i] - '0');
		}
		e += es * x;
	}
	if (gm__dec_to_double(m, e, out) < 0)
		return -1;
	if (neg)
		*out = -*out;
	return 0;
}

#ifdef HAVE_LD80
static const uint64_t pow10u[18] = {1ULL,
				    10ULL,
				    100ULL,
				    1000ULL,
				    10000ULL,
				    100000ULL,
				    1000000ULL,
				    10000000ULL,
				    100000000ULL,
				    1000000000ULL,
				    10000000000ULL,
				    100000000000ULL,
				    1000000000000ULL,
				    10000000000000ULL,
				    100000000000000ULL,
				    1000000000000000ULL,
				    10000000000000000ULL,
				    100000000000000000ULL};

static const char two_digits[] = "00010203040506070809101112131415161718192021222324252627282930"
				 "31323334353637383940414243444546474849505152535455565758596061"
				 "62636465666768697071727374757677787980818283848586878889909192"
				 "93949596979899";

/* The p decimal digits of r (r < 10^p), leading zeros included. */
static void put_digits(char *o, uint64_t r, int p)
{
	while (p >= 2) {
		unsigned k = (unsigned)(r % 100) * 2;

		r /= 100;
		p -= 2;
		o[p] = two_digits[k];
		o[p + 1] = two_digits[k + 1];
	}
	if (p)
		o[0] = (char)('0' + r);
}

/*
 * Shortest digits for a double in the usual range without printf or strtod.
 * s = |d| * 10^(16-x) in [10^16, 10^17) is one extended-precision operation,
 * so it is off by at most 2^-8 (s < 2^57). From it, |d| rounded to 17, 16
 * and 15 significant digits is exact integer arithmetic unless the dropped
 * part is within 2^-7 of one half; the first of 15, 16 digits that reads back
 * is taken, else 17. This is what the printf path below computes (the
 * correctly rounded 15-, 16- or 17-digit decimal). Returns 0 (the caller uses
 * that path) near a 15/16-digit tie, outside 10^-11..10^43 or when reading
 * back is undecided; a 17-digit tie asks printf for just those digits.
 */
static int shortest_ld(double d, char *digits, int *nd, int *exp10)
{
	long double a = fabs(d), s, fr;
	uint64_t R;
	int x, k;

	/* floor(ilogb * log10(2)) is x or x - 1 */
	x = (ilogb(d) * 78913) >> 18;
	for (int tries = 0;; tries++) {
		k = 16 - x;
		if (k < -27 || k > 27 || tries > 2)
			return 0;
		s = k < 0 ? a / ld_p10[-k] : a * ld_p10[k];
		if (s >= 1e17L)
			x++;
		else if (s < 1e16L)
			x--;
		else
			break;
	}
	R = (uint64_t)s;
	fr = s - (long double)R;
	for (int p = 15; p <= 17; p++) {
		uint64_t div = pow10u[17 - p], r = R / div;
		long double t = (long double)(R % div) + fr, half = 0.5L * (long double)div;
		int ex = x;
		double back;

		if (t > half - 0x1p-7L && t < half + 0x1p-7L) {
			char e[40];

			if (p < 17)
				return 0;
			snprintf(e, sizeof(e), "%.16e", fabs(d));
			digits[0] = e[0];
			memcpy(digits + 1, e + 2, 16);
			*nd = 17;
			*exp10 = atoi(e + 19);
			goto strip;
		}
		r += t > half;
		if (r == pow10u[p]) {
			r = pow10u[p - 1];
			ex++;
		}
		if (p < 17) {
			if (ld_to_double(r, ex - p + 1, &back) < 0)
				return 0;
			if (back != a)
				continue;
		}
		put_digits(digits, r, p);
		*nd = p;
		*exp10 = ex;
		goto strip;
	}
	return 0;
strip:
	while (*nd > 1 && digits[*nd - 1] == '0')
		(*nd)--;
	return 1;
}
#endif

/*
 * Writes the shortest "%.*e" text of a normal double that reads back as d, for
 * 15..17 significant digits: printf once at 17 digits, round that string to
 * 16 and 15 digits and try them with strtod. Rounding the 17-digit string
 * equals rounding d itself except when the dropped digits are exactly "5" or
 * "50" (d may lie just below or above the tie): then printf decides.
 */
static void shortest_double(double d, char *e, size_t len)
{
	char s17[40];
	const char *m;
	int neg, ex;

	snprintf(s17, sizeof(s17), "%.16e", d);
	neg = s17[0] == '-';
	m = s17 + neg; /* "D.DDDDDDDDDDDDDDDDe+XX" */
	ex = atoi(m + 19);
	for (int prec = 15; prec <= 16; prec++) {
		char dg[18];
		int n = 0, x = ex, carry;

		dg[n++] = m[0];
		for (int i = 2; n < 17; i++)
			dg[n++] = m[i];
		/* dg: the 17 digits; keep prec of them, rounded half up on the rest */
		if (dg[prec] == '5' && (prec == 16 || dg[16] == '0')) {
			snprintf(e, len, "%.*e", prec - 1, d);
		} else {
			carry = dg[prec] >= '5';
			for (int i = prec - 1; i >= 0 && carry; i--) {
				if (dg[i] == '9') {
					dg[i] = '0';
				} else {
					dg[i]++;
					carry = 0;
				}
			}
			if (carry) { /* 9.99..9 rounded up to 10.0 */
				memmove(dg + 1, dg, (size_t)prec - 1);
				dg[0] = '1';
				x++;
			}
			snprintf(e, len, "%s%c.%.*se%c%02d", neg ? "-" : "", dg[0], prec - 1,
				 dg + 1, x < 0 ? '-' : '+', x < 0 ? -x : x);
		}
		if (strtod(e, NULL) == d)
			return;
	}
	memcpy(e, s17, strlen(s17) + 1);
}

size_t gm__fmt_digits(char *o, const char *digits, int nd, int decpt)
{
	int e = decpt - 1, ae = e < 0 ? -e : e;
	size_t len = 0;

	if (decpt <= -4 || decpt > 16) {
		o[len++] = digits[0];
		if (nd > 1) {
			o[len++] = '.';
			memcpy(o + len, digits + 1, (size_t)nd - 1);
			len += (size_t)nd - 1;
		}
		o[len++] = 'e';
		o[len++] = e < 0 ? '-' : '+';
		if (ae >= 100)
			o[len++] = (char)('0' + ae / 100);
		o[len++] = (char)('0' + ae / 10 % 10);
		o[len++] = (char)('0' + ae % 10);
	} else if (decpt <= 0) {
		o[len++] = '0';
		o[len++] = '.';
		for (int j = 0; j < -decpt; j++)
			o[len++] = '0';
		memcpy(o + len, digits, (size_t)nd);
		len += (size_t)nd;
	} else if (decpt >= nd) {
		memcpy(o + len, digits, (size_t)nd);
		len += (size_t)nd;
		for (int j = nd; j < decpt; j++)
			o[len++] = '0';
		o[len++] = '.';
		o[len++] = '0';
	} else {
		memcpy(o + len, digits, (size_t)decpt);
		len += (size_t)decpt;
		o[len++] = '.';
		memcpy(o + len, digits + decpt, (size_t)(nd - decpt));
		len += (size_t)(nd - decpt);
	}
	return len;
}

/*
 * Shortest digits that read back (as a double, or as a float when f32), laid
 * out as Python's repr does: positional for 1e-4 <= |x| < 1e16 with at least
 * one digit after the point, else d[.ddd]e[+-]XX.
 */
static size_t fmt_real(char *o, double d, int f32)
{
	char e[48], digits[24];
	int prec, exp10, nd = 0;
	size_t len = 0;
	const char *q;

	if (isnan(d))
		return (size_t)sprintf(o, "NaN");
	if (isinf(d))
		return (size_t)sprintf(o, d < 0 ? "-Infinity" : "Infinity");
#ifdef HAVE_LD80
	if (!f32 && fabs(d) >= DBL_MIN && shortest_ld(d, digits, &nd, &exp10)) {
		if (signbit(d))
			o[len++] = '-';
		goto layout;
	}
#endif
	if (!f32 && short_decimal(d, digits, &nd, &exp10)) {
		if (signbit(d))
			o[len++] = '-';
		goto layout;
	}
	/*
	 * Start at 15 significant digits (6 for float32): when a shorter decimal
	 * reads back as d, rounding d to 15 digits gives that decimal padded with
	 * zeros (half an ulp is smaller than half a unit in the 15th digit), and
	 * the zeros are stripped below. So at most three tries, not seventeen.
	 * Subnormals have fewer significant bits: search them from one digit up.
	 */
	prec = fabs(d) < (f32 ? FLT_MIN : DBL_MIN) ? 1 : f32 ? 6 : 15;
	if (prec == 15) {
		shortest_double(d, e, sizeof(e));
	} else {
		for (; prec < (f32 ? 9 : 17); prec++) {
			snprintf(e, sizeof(e), "%.*e", prec - 1, d);
			if (f32 ? strtof(e, NULL) == (float)d : strtod(e, NULL) == d)
				break;
		}
		snprintf(e, sizeof(e), "%.*e", prec - 1, d);
	}
	q = e;
	if (*q == '-') {
		o[len++] = '-';
		q++;
	}
	for (; *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	exp10 = atoi(q + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
layout:
	len += gm__fmt_digits(o + len, digits, nd, exp10 + 1);
	o[len] = '\0';
	return len;
}

/* ---- formatters into a char array of TEXT_MAX ---- */

static size_t fmt_date(char *o, int64_t days)
{
	int64_t y;
	unsigned m, d;

	gm_civil_from_days(days, &y, &m, &d);
	if (y > 9999)
		return (size_t)sprintf(o, "+%lld-%02u-%02u", (long long)y, m, d);
	if (y < 0)
		return (size_t)sprintf(o, "-%04lld-%02u-%02u", -(long long)y, m, d);
	return (size_t)sprintf(o, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* java: omit ":00" seconds as java.time's toString() does */
static size_t fmt_time(char *o, int64_t secs, int32_t nanos, int java)
{
	int h = (int)(secs / 3600), m = (int)(secs / 60 % 60), sec = (int)(secs % 60);
	size_t len = (size_t)sprintf(o, "%02d:%02d", h, m);

	if (java && !sec && !nanos)
		return len;
	len += (size_t)sprintf(o + len, ":%02d", sec);
	if (!nanos)
		return len;
	if (nanos % 1000000 == 0)
		return len + (size_t)sprintf(o + len, ".%03d", (int)(nanos / 1000000));
	if (nanos % 1000 == 0)
		return len + (size_t)sprintf(o + len, ".%06d", (int)(nanos / 1000));
	return len + (size_t)sprintf(o + len, ".%09d", (int)nanos);
}

static size_t fmt_offset(char *o, int32_t off)
{
	int a = off < 0 ? -off : off;
	size_t len;

	if (!off)
		return (size_t)sprintf(o, "Z");
	len = (size_t)sprintf(o, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	if (a % 60)
		len += (size_t)sprintf(o + len, ":%02d", a % 60);
	return len;
}

/* Neo4j's DurationValue text. */
static size_t fmt_duration(char *o, const struct gm_duration *d)
{
	size_t len = 1;
	long long s = d->secs;
	int n = d->nanos;

	o[0] = 'P';
	if (d->months / 12)
		len += (size_t)sprintf(o + len, "%lldY", (long long)(d->months / 12));
	if (d->months % 12)
		len += (size_t)sprintf(o + len, "%lldM", (long long)(d->months % 12));
	if (d->days)
		len += (size_t)sprintf(o + len, "%lldD", (long long)d->days);
	if (s || n) {
		if (s < 0 && n) {
			s++;
			n -= NANOS;
		}
		o[len++] = 'T';
		if (s / 3600)
			len += (size_t)sprintf(o + len, "%lldH", s / 3600);
		s %= 3600;
		if (s / 60)
			len += (size_t)sprintf(o + len, "%lldM", s / 60);
		s %= 60;
		if (s || n) {
			if (s)
				len += (size_t)sprintf(o + len, "%lld", s);
			else
				len += (size_t)sprintf(o + len, n < 0 ? "-0" : "0");
			if (n) {
				char f[16];
				int k = sprintf(f, "%09d", n < 0 ? -n : n);

				while (k > 1 && f[k - 1] == '0')
					k--;
				len += (size_t)sprintf(o + len, ".%.*s", k, f);
			}
			o[len++] = 'S';
		}
	}
	if (len == 1)
		len += (size_t)sprintf(o + len, "T0S");
	o[len] = '\0';
	return len;
}

static int valid_nanos(int32_t n)
{
	return n >= 0 && n < NANOS;
}

/*
 * Formats a temporal, duration or point into o (TEXT_MAX bytes). Returns the
 * length, or -1 with *why set when the value is out of range.
 */
static int fmt_small(char *o, const struct gm_value *v, int java, const char **why)
{
	const struct gm_temporal *t = &v->u.t;
	size_t len = 0;

	switch (v->type) {
	case GM_T_DATE:
		if (t->secs < days_min() || t->secs > days_max())
			return *why = "date out of range", -1;
		return (int)fmt_date(o, t->secs);
	case GM_T_LOCALTIME:
	case GM_T_TIME:
		if (t->secs < 0 || t->secs >= DAY_SECS || !valid_nanos(t->nanos))
			return *why = "time of day out of range", -1;
		len = fmt_time(o, t->secs, t->nanos, java);
		if (v->type == GM_T_TIME) {
			if (t->offset < -OFFSET_MAX || t->offset > OFFSET_MAX)
				return *why = "offset out of range", -1;
			len += fmt_offset(o + len, t->offset);
		}
		return (int)len;
	case GM_T_LOCALDATETIME:
	case GM_T_DATETIME: {
		int64_t days = floor_div(t->secs, DAY_SECS);

		if (days < days_min() || days > days_max() || !valid_nanos(t->nanos))
			return *why = "date and time out of range", -1;
		len = fmt_date(o, days);
		o[len++] = 'T';
		len += fmt_time(o + len, t->secs - days * DAY_SECS, t->nanos, java);
		if (v->type == GM_T_LOCALDATETIME)
			return (int)len;
		if (!t->has_offset && !t->zone.len)
			return *why = "neither offset nor zone", -1;
		if (t->has_offset) {
			if (t->offset < -OFFSET_MAX || t->offset > OFFSET_MAX)
				return *why = "offset out of range", -1;
			len += fmt_offset(o + len, t->offset);
		}
		if (t->zone.len) {
			if (!zone_ok(t->zone))
				return *why = "invalid zone name", -1;
			o[len++] = '[';
			memcpy(o + len, t->zone.p, t->zone.len);
			len += t->zone.len;
			o[len++] = ']';
		}
		o[len] = '\0';
		return (int)len;
	}
	case GM_T_DURATION:
		if (!valid_nanos(v->u.d.nanos))
			return *why = "nanoseconds out of range", -1;
		return (int)fmt_duration(o, &v->u.d);
	case GM_T_POINT:
		if (v->u.pt.dim != 2 && v->u.pt.dim != 3)
			return *why = "dimension must be 2 or 3", -1;
		len = (size_t)sprintf(o, "SRID=%u;POINT %s(", (unsigned)v->u.pt.srid,
				      v->u.pt.dim == 3 ? "Z " : "");
		len += fmt_real(o + len, v->u.pt.x, 0);
		o[len++] = ' ';
		len += fmt_real(o + len, v->u.pt.y, 0);
		if (v->u.pt.dim == 3) {
			o[len++] = ' ';
			len += fmt_real(o + len, v->u.pt.z, 0);
		}
		o[len++] = ')';
		o[len] = '\0';
		return (int)len;
	default: return *why = "not a text type", -1;
	}
}

/* ---- points ---- */

static void skip_spaces(struct sc *s)
{
	while (at(s, ' '))
		s->i++;
}

static int scan_coord(struct sc *s, double *out)
{
	size_t start = s->i;
	struct sc sub;

	while (s->i < s->n && s->p[s->i] != ' ' && s->p[s->i] != ')')
		s->i++;
	if (s->i == start)
		return fail(s, "expected a coordinate at offset %zu", start);
	sub.p = s->p + start;
	sub.n = s->i - start;
	sub.i = 0;
	sub.oom = 0;
	if (scan_double(&sub, out) < 0) {
		s->oom = sub.oom;
		return fail(s, "bad coordinate '%.*s': %s", (int)(sub.n > 40 ? 40 : sub.n), sub.p,
			    sub.why);
	}
	return 0;
}

/* SRID=n;POINT [Z ](x y[ z]) */
static int scan_point(struct sc *s, struct gm_point *pt)
{
	uint64_t srid = 0;
	size_t k;

	memset(pt, 0, sizeof(*pt));
	if (s->n - s->i < 5 || memcmp(s->p + s->i, "SRID=", 5))
		return fail(s, "expected 'SRID='");
	s->i += 5;
	if (!(k = digit_run(s)) || k > 10)
		return fail(s, "bad SRID");
	for (size_t j = 0; j < k; j++)
		srid = srid * 10 + (uint64_t)(s->p[s->i++] - '0');
	if (srid > UINT32_MAX)
		return fail(s, "bad SRID");
	pt->srid = (uint32_t)srid;
	if (expect(s, ';', "POINT") < 0)
		return -1;
	if (s->n - s->i < 5 || memcmp(s->p + s->i, "POINT", 5))
		return fail(s, "expected 'POINT' at offset %zu", s->i);
	s->i += 5;
	skip_spaces(s);
	pt->dim = 2;
	if (eat(s, 'Z')) {
		pt->dim = 3;
		skip_spaces(s);
	}
	if (expect(s, '(', "'('") < 0)
		return -1;
	skip_spaces(s);
	if (scan_coord(s, &pt->x) < 0)
		return -1;
	skip_spaces(s);
	if (scan_coord(s, &pt->y) < 0)
		return -1;
	skip_spaces(s);
	if (pt->dim == 3) {
		if (scan_coord(s, &pt->z) < 0)
			return -1;
		skip_spaces(s);
	}
	if (!at(s, ')'))
		return fail(s, pt->dim == 2 && s->i < s->n ? "2D point has a third coordinate"
							   : "expected ')'");
	s->i++;
	if ((pt->srid == 4326 || pt->srid == 7203) && pt->dim != 2)
		return fail(s, "SRID %u is 2D", (unsigned)pt->srid);
	if ((pt->srid == 4979 || pt->srid == 9157) && pt->dim != 3)
		return fail(s, "SRID %u is 3D", (unsigned)pt->srid);
	return at_end(s);
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int gm_base64_encode(struct gm_buf *b, const unsigned char *p, size_t n)
{
	char q[4];

	/* the put also leaves b NUL-terminated when n is 0 */
	if (gm_buf_grow(b, (n + 2) / 3 * 4) < 0 || gm_buf_put(b, "", 0) < 0)
		return GM_ENOMEM;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		gm_buf_put(b, q, 4);
	}
	return b->oom ? GM_ENOMEM : 0;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (isdig(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes into dst (at least n / 4 * 3 bytes); returns the length or -1. */
static int scan_base64(struct sc *s, unsigned char *dst, size_t *outlen)
{
	size_t n = s->n, o = 0;
	size_t pad = 0;

	if (n % 4)
		return fail(s, "length is not a multiple of 4");
	while (pad < n && s->p[n - 1 - pad] == '=')
		pad++;
	if (pad > 2)
		return fail(s, "misplaced padding at offset %zu", n - pad);
	for (size_t i = 0; i < n - pad; i++)
		if (b64val(s->p[i]) < 0)
			return fail(s,
				    s->p[i] == '=' ? "misplaced padding at offset %zu"
						   : "bad character at offset %zu",
				    i);
	for (size_t i = 0; i < n; i += 4) {
		int v[4], qpad = i + 4 == n ? (int)pad : 0;
		uint32_t w;

		for (int j = 0; j < 4; j++)
			v[j] = j < 4 - qpad ? b64val(s->p[i + (size_t)j]) : 0;
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		    (uint32_t)v[3];
		if ((qpad == 1 && (w & 0xff)) || (qpad == 2 && (w & 0xffff)))
			return fail(s, "non-zero bits in the padding");
		if (dst) {
			dst[o] = (unsigned char)(w >> 16);
			if (qpad < 2)
				dst[o + 1] = (unsigned char)(w >> 8);
			if (qpad < 1)
				dst[o + 2] = (unsigned char)w;
		}
		o += 3 - (size_t)qpad;
	}
	*outlen = o;
	return 0;
}

/* ---- public API ---- */

static int parse_error(enum gm_type t, const char *p, size_t n, const struct sc *s);
static void sc_init(struct sc *s, const char *p, size_t n);

int gm_base64_decode(const char *p, size_t n, struct gm_arena *a, struct gm_str *out)
{
	struct sc s;
	size_t len = 0;
	char *dst;

	sc_init(&s, p, n);
	if (scan_base64(&s, NULL, &len) < 0)
		return parse_error(GM_T_BYTES, p, n, &s);
	out->p = "";
	out->len = 0;
	if (!len)
		return 0;
	if (!(dst = gm_arena_alloc(a, n / 4 * 3 + 1)))
		return GM_ENOMEM;
	scan_base64(&s, (unsigned char *)dst, &len);
	dst[len] = '\0';
	out->p = dst;
	out->len = len;
	return 0;
}

/* The text as quoted in messages: at most 60 bytes, cut at a UTF-8 boundary. */
static int quote_len(const char *p, size_t n)
{
	size_t k = n;

	if (k > 60) {
		k = 60;
		while (k > 0 && ((unsigned char)p[k] & 0xc0) == 0x80)
			k--;
	}
	return (int)k;
}

static int parse_error(enum gm_type t, const char *p, size_t n, const struct sc *s)
{
	int k = quote_len(p, n);

	if (s->oom)
		return GM_ENOMEM;
	return gm_error_set(GM_EDATA, "invalid %s '%.*s%s': %s", gm_type_name(t), k, p,
			    (size_t)k < n ? "..." : "", s->why);
}

static void sc_init(struct sc *s, const char *p, size_t n)
{
	s->p = p;
	s->n = n;
	s->i = 0;
	s->oom = 0;
	s->why[0] = '\0';
}

int gm_fmt_double(struct gm_buf *b, double d)
{
	char o[48];

	return gm_buf_put(b, o, fmt_real(o, d, 0));
}

int gm_fmt_float32(struct gm_buf *b, float f)
{
	char o[48];

	return gm_buf_put(b, o, fmt_real(o, f, 1));
}

int gm_parse_double(const char *p, size_t n, double *out)
{
	struct sc s;

	sc_init(&s, p, n);
	if (scan_double(&s, out) < 0)
		return parse_error(GM_T_FLOAT, p, n, &s);
	return 0;
}

static int scan_int64(struct sc *s, int64_t *out)
{
	int neg = 0;
	uint64_t v = 0, lim;
	size_t k;

	if (at(s, '+') || at(s, '-'))
		neg = s->p[s->i++] == '-';
	if (!(k = digit_run(s)))
		return fail(s, "not a number");
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (size_t j = 0; j < k; j++) {
		unsigned dg = (unsigned)(s->p[s->i++] - '0');

		if (v > (lim - dg) / 10)
			return fail(s, "out of range");
		v = v * 10 + dg;
	}
	if (at_end(s) < 0)
		return -1;
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

int gm_parse_int64(const char *p, size_t n, int64_t *out)
{
	struct sc s;

	sc_init(&s, p, n);
	if (scan_int64(&s, out) < 0)
		return parse_error(GM_T_INT, p, n, &s);
	return 0;
}

int gm_value_format_text(struct gm_buf *b, const struct gm_value *v)
{
	char o[TEXT_MAX];
	const char *why = NULL;
	int len;

	switch (v->type) {
	case GM_T_FLOAT: return gm_fmt_double(b, v->u.f);
	case GM_T_BYTES: return gm_base64_encode(b, (const unsigned char *)v->u.s.p, v->u.s.len);
	case GM_T_DATE:
	case GM_T_LOCALTIME:
	case GM_T_TIME:
	case GM_T_LOCALDATETIME:
	case GM_T_DATETIME:
	case GM_T_DURATION:
	case GM_T_POINT:
		if ((len = fmt_small(o, v, 0, &why)) < 0)
			return gm_error_set(GM_EDATA, "invalid %s value: %s", gm_type_name(v->type),
					    why);
		return gm_buf_put(b, o, (size_t)len);
	default: return gm_error_set(GM_EINVAL, "%s has no text form", gm_type_name(v->type));
	}
}

int gm_value_parse_text(enum gm_type t, const char *p, size_t n, struct gm_arena *a,
			struct gm_value *out)
{
	struct sc s;
	int r = 0;

	memset(out, 0, sizeof(*out));
	out->type = t;
	sc_init(&s, p, n);
	switch (t) {
	case GM_T_BOOL:
		if (n == 4 && !memcmp(p, "true", 4))
			out->u.b = 1;
		else if (!(n == 5 && !memcmp(p, "false", 5)))
			r = fail(&s, "expected true or false");
		break;
	case GM_T_INT: r = scan_int64(&s, &out->u.i); break;
	case GM_T_FLOAT: r = scan_double(&s, &out->u.f); break;
	case GM_T_BYTES: return gm_base64_decode(p, n, a, &out->u.s);
	case GM_T_DATE:
	case GM_T_LOCALTIME:
	case GM_T_TIME:
	case GM_T_LOCALDATETIME:
	case GM_T_DATETIME:
		if ((r = scan_temporal(&s, t, &out->u.t)) < 0)
			break;
		if (out->u.t.zone.len) {
			char *z = gm_arena_strdup(a, out->u.t.zone.p, out->u.t.zone.len);

			if (!z)
				return GM_ENOMEM;
			out->u.t.zone.p = z;
		}
		break;
	case GM_T_DURATION:
		r = scan_duration(&s, &out->u.d);
		if (!r)
			r = at_end(&s);
		break;
	case GM_T_POINT: r = scan_point(&s, &out->u.pt); break;
	default: return gm_error_set(GM_EINVAL, "%s cannot be parsed from text", gm_type_name(t));
	}
	if (r < 0)
		return parse_error(t, p, n, &s);
	return 0;
}

/* 1 when p is t's canonical text, or java.time's toString() of the same value. */
static int canonical_as(enum gm_type t, const char *p, size_t n)
{
	struct sc s;
	struct gm_value v;
	char o[TEXT_MAX];
	const char *why;
	int len;

	memset(&v, 0, sizeof(v));
	v.type = t;
	sc_init(&s, p, n);
	if (t == GM_T_DURATION ? scan_duration(&s, &v.u.d) < 0 || at_end(&s) < 0
			       : scan_temporal(&s, t, &v.u.t) < 0)
		return 0;
	for (int java = 0; java < 2; java++)
		if ((len = fmt_small(o, &v, java, &why)) >= 0 && (size_t)len == n &&
		    !memcmp(o, p, n))
			return 1;
	return 0;
}

int gm_value_sniff_temporal(const char *p, size_t n)
{
	static const enum gm_type times[] = {GM_T_LOCALTIME, GM_T_TIME};
	static const enum gm_type dates[] = {GM_T_DATE, GM_T_LOCALDATETIME, GM_T_DATETIME};

	if (n < 3 || n > TEXT_MAX - 16)
		return -1;
	if (p[0] == 'P')
		return canonical_as(GM_T_DURATION, p, n) ? GM_T_DURATION : -1;
	if (!isdig(p[0]) && p[0] != '+' && p[0] != '-')
		return -1;
	if (n >= 5 && p[2] == ':') {
		for (size_t i = 0; i < 2; i++)
			if (canonical_as(times[i], p, n))
				return times[i];
		return -1;
	}
	for (size_t i = 0; i < 3; i++)
		if (canonical_as(dates[i], p, n))
			return dates[i];
	return -1;
}
