/* SPDX-License-Identifier: MIT */
/*
 * The "generate" backend: a read-only source of synthetic graphs, for tests,
 * benchmarks and the conformance matrix. Nothing is stored: record i is a pure
 * function of (seed, i), so the stream is deterministic, needs no memory per
 * node and can be restarted anywhere.
 *
 * Random graphs:  generate:?nodes=N&edges=M&seed=S[&profile=P]
 *   Defaults 1000 nodes, 5000 relationships, seed 1, profile "all"; profile
 *   "light" gives each record only its one guaranteed property (below);
 *   "plain" only Boolean, Integer, finite Float, String and non-empty Integer
 *   lists, which every format stores (benchmarks, the "big" case);
 *   "memorygraph" a MemoryGraph graph of N memories and M relationships,
 *   made by generate_mg.c (see there).
 *   Nodes "n0".."n<N-1>", 1 to 3 distinct labels from Person, Company,
 *   Product, Place, Event, Straße. Relationships "r0".."r<M-1>", types KNOWS,
 *   WORKS_AT, LIKES, FOLLOWS, GEHÖRT_ZU. Each endpoint is a rank drawn from a
 *   power law (density ~ x^-1.1 over 1..N+1, sampled by inverting its CDF) and
 *   mapped to a node by a bijection k -> (k * m + c) mod N (one per end, so
 *   the big out-hubs are not also the big in-hubs); degrees are heavy-tailed.
 *   Every 101st relationship (i % 101 == 100) is a self-loop, every 53rd
 *   (i % 53 == 52) repeats the endpoints and type of the one before it.
 *   Properties: each name has one type, and node 0 and relationship 0 carry
 *   all of them; record i carries "p_<i mod 16>" plus each other one with
 *   probability 1/4 (nodes) or 1/8 (relationships):
 *     p_bool p_int p_float p_string p_bytes p_list_int p_list_str
 *     p_map (nested: a null, a list, a map) p_date p_localtime p_time
 *     p_localdatetime p_datetime p_duration p_point p_vector
 *   About one value in 16 is an edge value: int64 min/max, +-(2^53+1), NaN,
 *   +-Infinity, -0.0, 5e-324, DBL_MAX, years -9999/9999/+10000, offsets
 *   +-18:00. Strings mix ASCII, escapes, control characters, 2-, 3- and
 *   4-byte UTF-8. DateTimes have an offset only, an offset and a zone whose
 *   offset is fixed in 1990..2037 (UTC, Asia/Kolkata, Asia/Tokyo,
 *   America/Phoenix, Etc/GMT+10, Asia/Kathmandu; so a store that derives the
 *   offset from the zone agrees), or a zone only. Points use all four SRIDs
 *   (4326, 4979, 7203, 9157).
 *
 * Conformance cases:  generate:?case=NAME  (or generate:NAME)
 *   empty      no records at all
 *   unicode    non-ASCII labels, keys, property names, types and values
 *              (2-, 3- and 4-byte UTF-8, RTL, combining marks, ZWJ emoji)
 *   types      every gm_type with its edge values: int64 min/max, +-(2^53+1),
 *              NaN, +-Infinity, -0.0, 5e-324, 1.7976931348623157e308, "",
 *              a string with NUL and every JSON escape, empty bytes, all 256
 *              byte values, empty list, empty map, nested lists/maps, a map
 *              with exactly the keys "$type" and "_value", dates at years
 *              -9999, 9999 and +10000, times with 1 ns, offsets +-18:00,
 *              +01:00:30 and Amsterdam's 1890 +00:19:32, zone names with and
 *              without offset (one with '+': Etc/GMT+10), negative and
 *              mixed-sign durations, points of the 4 SRIDs, float32 vectors;
 *              4 nodes t0..t3 and one relationship carrying one of each type
 *   selfloops  3 nodes, 5 relationships, 4 of them loops (2 on n0)
 *   parallel   2 nodes; 4 relationships n0-LINK->n1 (two with identical
 *              properties), one n1-LINK->n0, one n0-OTHER->n1
 *   dangling   2 nodes, 3 relationships; r1 ends at "missing" and r2 starts
 *              at "ghost", keys no node has
 *   dupkey     nodes n0, n0 (same key, different labels and properties), n1;
 *              one relationship n0->n1
 *   big        1000 nodes, 100000 relationships: the random graph of seed 1
 *              with one property per record
 *
 * Records are built in a scratch template inside the backend and deep-copied
 * into the caller's arena, so all allocation happens in one place.
 * progress_done/progress_total count records.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate_mg.h"
#include "gmig/sys/backend.h"
#include "valtext.h"

#define DEFAULT_NODES 1000
#define DEFAULT_EDGES 5000
#define ZIPF_A 1.1
#define NPROPS 16

/* ---- PRNG: splitmix64 to seed xoshiro256** ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next(struct rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

/* One independent stream per (seed, purpose, index). */
static void rng_init(struct rng *r, uint64_t seed, uint64_t purpose, uint64_t idx)
{
	uint64_t x = seed, y;

	y = splitmix(&x) ^ (purpose * 0xd1b54a32d192ed03u);
	x = y;
	y = splitmix(&x) + idx;
	x = y;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

static int64_t between(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)below(r, (uint64_t)(hi - lo) + 1);
}

static double unit(struct rng *r)
{
	return (double)(next(r) >> 11) * 0x1.0p-53;
}

/* A rank in 0..n-1 with P(rank >= k) falling as a power of k. */
static uint64_t zipf(struct rng *r, uint64_t n)
{
	double hi = pow((double)n + 1.0, 1.0 - ZIPF_A);
	double x = pow(1.0 + unit(r) * (hi - 1.0), 1.0 / (1.0 - ZIPF_A));
	uint64_t k = x >= 1.0 ? (uint64_t)x - 1 : 0;

	return k < n ? k : n - 1;
}

/* ---- record templates ---- */

#define T_PROPS 48
#define T_MPROPS 64
#define T_VALS 160
#define T_FLOATS 64
#define T_TEXT 4096

struct tmpl {
	struct gm_record r;
	struct gm_str labels[4];
	struct gm_prop props[T_PROPS];
	struct gm_prop mprops[T_MPROPS];
	struct gm_value vals[T_VALS];
	float floats[T_FLOATS];
	char text[T_TEXT];
	size_t nm, nv, nf, nt;
	int overflow;
	/* where requests that do not fit go (then the record fails) */
	union {
		struct gm_prop p[T_MPROPS];
		struct gm_value v[T_VALS];
		float f[T_FLOATS];
		char c[T_TEXT];
	} spill;
};

static void t_reset(struct tmpl *t, enum gm_kind kind)
{
	memset(&t->r, 0, sizeof(t->r));
	t->r.kind = kind;
	t->r.labels = t->labels;
	t->r.props = t->props;
	t->nm = t->nv = t->nf = t->nt = 0;
	t->overflow = 0;
}

static struct gm_value *t_prop(struct tmpl *t, const char *key)
{
	struct gm_prop *p;

	if (t->r.nprops == T_PROPS) {
		t->overflow = 1;
		return &t->spill.v[0];
	}
	p = &t->props[t->r.nprops++];
	p->key = gm_str_c(key);
	memset(&p->val, 0, sizeof(p->val));
	return &p->val;
}

static void t_label(struct tmpl *t, const char *l)
{
	if (t->r.nlabels < 4)
		t->labels[t->r.nlabels++] = gm_str_c(l);
	else
		t->overflow = 1;
}

static struct gm_value *t_list(struct tmpl *t, struct gm_value *v, size_t n)
{
	struct gm_value *e;

	v->type = GM_T_LIST;
	v->u.list.n = n;
	v->u.list.v = NULL;
	if (t->nv + n > T_VALS) {
		t->overflow = 1;
		e = t->spill.v;
	} else {
		e = t->vals + t->nv;
		t->nv += n;
	}
	memset(e, 0, n * sizeof(*e));
	if (n)
		v->u.list.v = e;
	return e;
}

/* Makes v a map of n entries; set each with t_entry. */
static struct gm_prop *t_map(struct tmpl *t, struct gm_value *v, size_t n)
{
	struct gm_prop *p;

	v->type = GM_T_MAP;
	v->u.map.n = n;
	v->u.map.p = NULL;
	if (t->nm + n > T_MPROPS) {
		t->overflow = 1;
		p = t->spill.p;
	} else {
		p = t->mprops + t->nm;
		t->nm += n;
	}
	memset(p, 0, n * sizeof(*p));
	if (n)
		v->u.map.p = p;
	return p;
}

static struct gm_value *t_entry(struct gm_prop *p, const char *key)
{
	p->key = gm_str_c(key);
	return &p->val;
}

static char *t_text(struct tmpl *t, size_t n)
{
	char *p;

	if (t->nt + n > T_TEXT) {
		t->overflow = 1;
		return t->spill.c;
	}
	p = t->text + t->nt;
	t->nt += n;
	return p;
}

/* ---- value setters ---- */

static void v_null(struct gm_value *v)
{
	memset(v, 0, sizeof(*v));
}

static void v_bool(struct gm_value *v, int b)
{
	v->type = GM_T_BOOL;
	v->u.b = b;
}

static void v_int(struct gm_value *v, int64_t i)
{
	v->type = GM_T_INT;
	v->u.i = i;
}

static void v_float(struct gm_value *v, double f)
{
	v->type = GM_T_FLOAT;
	v->u.f = f;
}

static void v_strn(struct gm_value *v, const char *s, size_t n)
{
	v->type = GM_T_STRING;
	v->u.s.p = s;
	v->u.s.len = n;
}

static void v_str(struct gm_value *v, const char *s)
{
	v_strn(v, s, strlen(s));
}

static void v_bytes(struct gm_value *v, const void *p, size_t n)
{
	v->type = GM_T_BYTES;
	v->u.s.p = n ? p : NULL;
	v->u.s.len = n;
}

static void v_date(struct gm_value *v, int64_t y, unsigned m, unsigned d)
{
	memset(v, 0, sizeof(*v));
	v->type = GM_T_DATE;
	v->u.t.secs = gm_days_from_civil(y, m, d);
}

static int64_t hms(int h, int m, int s)
{
	return (int64_t)h * 3600 + m * 60 + s;
}

static void v_localtime(struct gm_value *v, int64_t secs, int32_t nanos)
{
	memset(v, 0, sizeof(*v));
	v->type = GM_T_LOCALTIME;
	v->u.t.secs = secs;
	v->u.t.nanos = nanos;
}

static void v_time(struct gm_value *v, int64_t secs, int32_t nanos, int32_t offset)
{
	v_localtime(v, secs, nanos);
	v->type = GM_T_TIME;
	v->u.t.has_offset = 1;
	v->u.t.offset = offset;
}

static void v_ldt(struct gm_value *v, int64_t days, int64_t secs, int32_t nanos)
{
	memset(v, 0, sizeof(*v));
	v->type = GM_T_LOCALDATETIME;
	v->u.t.secs = days * 86400 + secs;
	v->u.t.nanos = nanos;
}

/* zone NULL: offset only; has_offset 0: zone only */
static void v_dt(struct gm_value *v, int64_t days, int64_t secs, int32_t nanos, int has_offset,
		 int32_t offset, const char *zone)
{
	v_ldt(v, days, secs, nanos);
	v->type = GM_T_DATETIME;
	v->u.t.has_offset = (uint8_t)has_offset;
	v->u.t.offset = has_offset ? offset : 0;
	if (zone)
		v->u.t.zone = gm_str_c(zone);
}

static void v_dur(struct gm_value *v, int64_t months, int64_t days, int64_t secs, int32_t nanos)
{
	memset(v, 0, sizeof(*v));
	v->type = GM_T_DURATION;
	v->u.d.months = months;
	v->u.d.days = days;
	v->u.d.secs = secs;
	v->u.d.nanos = nanos;
}

static void v_point(struct gm_value *v, uint32_t srid, double x, double y, double z)
{
	memset(v, 0, sizeof(*v));
	v->type = GM_T_POINT;
	v->u.pt.srid = srid;
	v->u.pt.dim = srid == 4979 || srid == 9157 ? 3 : 2;
	v->u.pt.x = x;
	v->u.pt.y = y;
	v->u.pt.z = v->u.pt.dim == 3 ? z : 0.0;
}

static void v_vector(struct tmpl *t, struct gm_value *v, const float *f, size_t n)
{
	float *dst;

	v->type = GM_T_VECTOR;
	v->u.vec.n = n;
	v->u.vec.v = NULL;
	if (!n)
		return;
	if (t->nf + n > T_FLOATS) {
		t->overflow = 1;
		dst = t->spill.f;
	} else {
		dst = t->floats + t->nf;
		t->nf += n;
	}
	memcpy(dst, f, n * sizeof(*f));
	v->u.vec.v = dst;
}

/* ---- random values ---- */

static const char *const label_set[] = {"Person", "Company", "Product",
					"Place",  "Event",   "Stra\303\237e"};
static const char *const type_set[] = {"KNOWS", "WORKS_AT", "LIKES", "FOLLOWS", "GEH\xc3\x96RT_ZU"};
#define NLABELS (sizeof(label_set) / sizeof(label_set[0]))
#define NTYPES (sizeof(type_set) / sizeof(type_set[0]))

static const char *const prop_names[NPROPS] = {
	"p_bool",     "p_int",	    "p_float", "p_string",    "p_bytes", "p_list_int",
	"p_list_str", "p_map",	    "p_date",  "p_localtime", "p_time",	 "p_localdatetime",
	"p_datetime", "p_duration", "p_point", "p_vector"};

static const char *const pieces[] = {
	"alpha",
	"beta",
	" ",
	"Gr\303\274\303\237e",				    /* Grüße: 2-byte */
	"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",		    /* 日本語: 3-byte */
	"\xf0\x9f\x98\x80",				    /* 😀: 4-byte */
	"\xf0\x9d\x84\x9e",				    /* 𝄞: 4-byte */
	"\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1", /* Ελλάδα */
	"\xd7\xa2\xd7\x91\xd7\xa8\xd7\x99\xd7\xaa",	    /* עברית */
	"quote\"back\\slash/",
	"tab\there",
	"line\nbreak\r\n",
	"\x01\x1f\x7f",
	"e\xcc\x81", /* e + combining acute */
	"",
	"1234",
};

static void r_int(struct rng *r, struct gm_value *v)
{
	static const int64_t edge[] = {INT64_MIN, INT64_MAX,	      0,
				       -1,	  9007199254740993LL, -9007199254740993LL};

	switch (below(r, 16)) {
	case 0: v_int(v, edge[below(r, 6)]); break;
	case 1:
	case 2:
	case 3:
	case 4:
	case 5: v_int(v, between(r, -1000, 1000)); break;
	case 6:
	case 7:
	case 8:
	case 9:
	case 10: v_int(v, between(r, -1000000000, 1000000000)); break;
	default: v_int(v, (int64_t)next(r));
	}
}

static double r_double(struct rng *r)
{
	static const double edge[] = {NAN,    INFINITY, -INFINITY, -0.0,
				      5e-324, DBL_MAX,	-DBL_MAX,  0.0};

	switch (below(r, 16)) {
	case 0: return edge[below(r, 8)];
	case 1: return (double)between(r, -100, 100) / 4;
	case 2: return ldexp((double)(next(r) >> 11), (int)between(r, -1074, 970));
	default: return (unit(r) * 2 - 1) * pow(10, (double)between(r, -3, 6));
	}
}

static void r_string(struct tmpl *t, struct rng *r, struct gm_value *v)
{
	size_t n = (size_t)below(r, 5), len = 0, k[4];

	for (size_t i = 0; i < n; i++) {
		k[i] = (size_t)below(r, sizeof(pieces) / sizeof(pieces[0]));
		len += strlen(pieces[k[i]]);
	}
	{
		char *p = t_text(t, len + 1), *q = p;

		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(pieces[k[i]]);

			memcpy(q, pieces[k[i]], l);
			q += l;
		}
		*q = '\0';
		v_strn(v, p, len);
	}
}

static int64_t r_days(struct rng *r)
{
	switch (below(r, 32)) {
	case 0: return gm_days_from_civil(-9999, 1, 1);
	case 1: return gm_days_from_civil(9999, 12, 31);
	case 2: return gm_days_from_civil(10000, 1, 1);
	case 3: return gm_days_from_civil(0, 2, 29);
	default:
		return between(r, gm_days_from_civil(1900, 1, 1), gm_days_from_civil(2100, 12, 31));
	}
}

static int32_t r_nanos(struct rng *r)
{
	switch (below(r, 5)) {
	case 0:
	case 1: return 0;
	case 2: return (int32_t)between(r, 0, 999) * 1000000;
	case 3: return (int32_t)between(r, 0, 999999) * 1000;
	default: return (int32_t)between(r, 0, 999999999);
	}
}

static int32_t r_offset(struct rng *r)
{
	switch (below(r, 8)) {
	case 0: return 0;
	case 1: return below(r, 2) ? 18 * 3600 : -18 * 3600;
	case 2: return (int32_t)between(r, -18 * 3600, 18 * 3600); /* with seconds */
	default: return (int32_t)between(r, -4 * 14, 4 * 14) * 900;
	}
}

static void r_datetime(struct rng *r, struct gm_value *v)
{
	static const struct {
		const char *zone;
		int32_t offset;
	} fixed[] = {{"UTC", 0},
		     {"Asia/Kolkata", 19800},
		     {"Asia/Tokyo", 32400},
		     {"America/Phoenix", -25200},
		     {"Etc/GMT+10", -36000},
		     {"Asia/Kathmandu", 20700}};
	static const char *const zones[] = {"Europe/Berlin", "America/New_York",
					    "Australia/Lord_Howe", "America/Argentina/Buenos_Aires",
					    "Asia/Kathmandu"};
	int64_t secs = between(r, 0, 86399);
	int32_t nanos = r_nanos(r);

	switch (below(r, 3)) {
	case 0: v_dt(v, r_days(r), secs, nanos, 1, r_offset(r), NULL); break;
	case 1: {
		size_t z = (size_t)below(r, 6);
		int64_t days = between(r, gm_days_from_civil(1990, 1, 1),
				       gm_days_from_civil(2037, 12, 31));

		v_dt(v, days, secs, nanos, 1, fixed[z].offset, fixed[z].zone);
		break;
	}
	default: v_dt(v, r_days(r), secs, nanos, 0, 0, zones[below(r, 5)]);
	}
}

static void r_point(struct rng *r, struct gm_value *v)
{
	static const uint32_t srids[] = {4326, 4979, 7203, 9157};
	uint32_t srid = srids[below(r, 4)];

	if (srid == 4326 || srid == 4979)
		v_point(v, srid, unit(r) * 360 - 180, unit(r) * 180 - 90,
			(double)between(r, -500, 9000) / 4);
	else
		v_point(v, srid, r_double(r), r_double(r), r_double(r));
	if (!below(r, 16))
		v->u.pt.x = (double)between(r, -10, 10);
}

static void r_vector(struct tmpl *t, struct rng *r, struct gm_value *v)
{
	float f[8];
	size_t n = 1 + (size_t)below(r, 8);

	for (size_t i = 0; i < n; i++)
		f[i] = below(r, 16) ? (float)((unit(r) * 2 - 1) * 100) : -0.0f;
	v_vector(t, v, f, n);
}

static void r_value(struct tmpl *t, struct rng *r, int which, struct gm_value *v)
{
	switch (which) {
	case 0: v_bool(v, (int)below(r, 2)); break;
	case 1: r_int(r, v); break;
	case 2: v_float(v, r_double(r)); break;
	case 3: r_string(t, r, v); break;
	case 4: {
		size_t n = (size_t)below(r, 17);
		char *p = t_text(t, n + 1);

		for (size_t i = 0; i < n; i++)
			p[i] = (char)next(r);
		v_bytes(v, p, n);
		break;
	}
	case 5: {
		size_t n = (size_t)below(r, 6);
		struct gm_value *e = t_list(t, v, n);

		for (size_t i = 0; i < n; i++)
			r_int(r, &e[i]);
		break;
	}
	case 6: {
		size_t n = (size_t)below(r, 4);
		struct gm_value *e = t_list(t, v, n);

		for (size_t i = 0; i < n; i++)
			r_string(t, r, &e[i]);
		break;
	}
	case 7: {
		struct gm_prop *m = t_map(t, v, 4), *inner;
		struct gm_value *l;

		v_null(t_entry(&m[0], "nothing"));
		r_int(r, t_entry(&m[1], "count"));
		l = t_list(t, t_entry(&m[2], "list"), 2);
		r_string(t, r, &l[0]);
		v_float(&l[1], r_double(r));
		inner = t_map(t, t_entry(&m[3], "inner"), 2);
		v_bool(t_entry(&inner[0], "flag"), (int)below(r, 2));
		v_date(t_entry(&inner[1], "when"), between(r, 1900, 2100),
		       1 + (unsigned)below(r, 12), 1 + (unsigned)below(r, 28));
		break;
	}
	case 8:
		memset(v, 0, sizeof(*v));
		v->type = GM_T_DATE;
		v->u.t.secs = r_days(r);
		break;
	case 9: v_localtime(v, between(r, 0, 86399), r_nanos(r)); break;
	case 10: v_time(v, between(r, 0, 86399), r_nanos(r), r_offset(r)); break;
	case 11: v_ldt(v, r_days(r), between(r, 0, 86399), r_nanos(r)); break;
	case 12: r_datetime(r, v); break;
	case 13:
		if (!below(r, 16))
			v_dur(v, 0, 0, 0, 0);
		else
			v_dur(v, between(r, -30, 30), between(r, -400, 400),
			      between(r, -200000, 200000), below(r, 2) ? 0 : r_nanos(r));
		break;
	case 14: r_point(r, v); break;
	default: r_vector(t, r, v); break;
	}
}

/* ---- the backend ---- */

struct gen;
typedef int (*case_fn)(struct gen *g, struct tmpl *t, uint64_t i);

struct gen {
	struct gm_backend base;
	uint64_t nodes, rels, seed;
	uint64_t next;
	int light;    /* one property per record */
	int plain;    /* only values every format stores: see plain_props */
	int mg;	      /* profile "memorygraph": generate_mg.c makes the records */
	case_fn make; /* a named case, or NULL for the random graph */
	uint64_t mul[2], add[2];
	struct tmpl t;
};

enum { S_NODE = 1, S_REL, S_ENDS, S_PERM };

/*
 * The "plain" profile: Boolean, Integer, finite Float (not -0.0), String and
 * non-empty lists of Integer - what every format, APOC JSON and neo4j-admin CSV
 * included, stores exactly. Used by the benchmarks and the "big" case.
 */
static const int plain_props[] = {0, 1, 2, 3, 5};
#define NPLAIN (sizeof(plain_props) / sizeof(plain_props[0]))

static void plain_value(struct tmpl *t, struct rng *r, int which, struct gm_value *v)
{
	r_value(t, r, which, v);
	if (v->type == GM_T_FLOAT && (!isfinite(v->u.f) || (v->u.f == 0 && signbit(v->u.f))))
		v->u.f = 0.5;
	if (v->type == GM_T_LIST && v->u.list.n == 0) {
		struct gm_value *e = t_list(t, v, 1);

		v_int(&e[0], 7);
	}
}

/* Adds record i's properties: the one it always has, then a random share of the rest. */
static void add_props(struct gen *g, struct tmpl *t, struct rng *r, uint64_t i, unsigned share)
{
	if (g->plain) {
		for (size_t k = 0; k < NPLAIN; k++)
			if (k == i % NPLAIN || (!g->light && (i == 0 || !below(r, share))))
				plain_value(t, r, plain_props[k],
					    t_prop(t, prop_names[plain_props[k]]));
		return;
	}
	for (int p = 0; p < NPROPS; p++)
		if ((uint64_t)p == i % NPROPS || (!g->light && (i == 0 || !below(r, share))))
			r_value(t, r, p, t_prop(t, prop_names[p]));
}

static int random_node(struct gen *g, struct tmpl *t, uint64_t i)
{
	struct rng r;
	char *key;
	size_t nl;
	unsigned pick[3];

	rng_init(&r, g->seed, S_NODE, i);
	t_reset(t, GM_NODE);
	key = t_text(t, 24);
	t->r.key.len = (size_t)snprintf(key, 24, "n%llu", (unsigned long long)i);
	t->r.key.p = key;
	nl = 1 + (size_t)below(&r, 3);
	for (size_t k = 0; k < nl; k++) {
		size_t j;

		do {
			pick[k] = (unsigned)below(&r, NLABELS);
			for (j = 0; j < k && pick[j] != pick[k]; j++)
				;
		} while (j < k);
		t_label(t, label_set[pick[k]]);
	}
	add_props(g, t, &r, i, 4);
	return 0;
}

/* Endpoints and type of relationship i before the parallel-edge rule. */
static void rel_base(const struct gen *g, uint64_t i, uint64_t *from, uint64_t *to, unsigned *type)
{
	struct rng r;
	uint64_t kf, kt;

	rng_init(&r, g->seed, S_ENDS, i);
	kf = zipf(&r, g->nodes);
	kt = zipf(&r, g->nodes);
	*from = (kf * g->mul[0] + g->add[0]) % g->nodes;
	*to = i % 101 == 100 ? *from : (kt * g->mul[1] + g->add[1]) % g->nodes;
	*type = (unsigned)below(&r, NTYPES);
}

static int random_rel(struct gen *g, struct tmpl *t, uint64_t i)
{
	struct rng r;
	uint64_t from, to;
	unsigned type;
	char *s;

	rel_base(g, i % 53 == 52 ? i - 1 : i, &from, &to, &type);
	rng_init(&r, g->seed, S_REL, i);
	t_reset(t, GM_REL);
	s = t_text(t, 72);
	t->r.key.p = s;
	t->r.key.len = (size_t)snprintf(s, 24, "r%llu", (unsigned long long)i);
	t->r.from.p = s + 24;
	t->r.from.len = (size_t)snprintf(s + 24, 24, "n%llu", (unsigned long long)from);
	t->r.to.p = s + 48;
	t->r.to.len = (size_t)snprintf(s + 48, 24, "n%llu", (unsigned long long)to);
	t->r.type = gm_str_c(type_set[type]);
	add_props(g, t, &r, i, 8);
	return 0;
}

static int random_record(struct gen *g, struct tmpl *t, uint64_t i)
{
	return i < g->nodes ? random_node(g, t, i) : random_rel(g, t, i - g->nodes);
}

/* ---- conformance cases ---- */

static void node(struct tmpl *t, const char *key, const char *label)
{
	t_reset(t, GM_NODE);
	t->r.key = gm_str_c(key);
	if (label)
		t_label(t, label);
}

static void rel(struct tmpl *t, const char *key, const char *type, const char *from, const char *to)
{
	t_reset(t, GM_REL);
	t->r.key = gm_str_c(key);
	t->r.type = gm_str_c(type);
	t->r.from = gm_str_c(from);
	t->r.to = gm_str_c(to);
}

static int case_unicode(struct gen *g, struct tmpl *t, uint64_t i)
{
	(void)g;
	switch (i) {
	case 0:
		node(t, "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87-1",
		     "\xc3\x9cn\xc3\xaf"
		     "c\xc3\xb8"
		     "d\xc3\xa9");
		t_label(t, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
		v_str(t_prop(t, "\xe5\x90\x8d\xe5\x89\x8d"),
		      "\xe6\x9d\xb1\xe4\xba\xac\xe3\x82\xbf\xe3\x83\xaf\xe3\x83\xbc");
		v_str(t_prop(t, "\xc3\xa9moji\xf0\x9f\x98\x80"),
		      "\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd\xf0\x9f\x91\xa8\xe2\x80\x8d"
		      "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7");
		v_str(t_prop(t, "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"),
		      "\xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5");
		return 0;
	case 1:
		node(t,
		     "\xf0\x9f\x94\x91"
		     "2",
		     "Emoji\xf0\x9f\x98\x80");
		v_str(t_prop(t, "\xd7\xa2\xd7\x91\xd7\xa8\xd7\x99\xd7\xaa"),
		      "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");
		v_str(t_prop(t, "combining"), "e\xcc\x81 n\xcc\x83 a\xcc\x8a");
		v_str(t_prop(t, "bidi"),
		      "abc \xd7\x90\xd7\x91\xd7\x92 123 \xd8\xb9\xd8\xb1\xd8\xa8");
		v_str(t_prop(t, "bmp_edge"), "\xef\xbf\xbd\xef\xbb\xbf\xe2\x80\xa8\xe2\x80\xa9");
		v_str(t_prop(t, "max"), "\xf4\x8f\xbf\xbf");
		return 0;
	case 2: {
		struct gm_value *l;

		node(t,
		     "\xe9\x94\xae"
		     "3",
		     "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba"
		     "\xce\xac");
		v_str(t_prop(t, "text"), "\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1");
		l = t_list(t, t_prop(t, "list_\xe2\x9c\x93"), 3);
		v_str(&l[0], "\xe2\x9c\x93");
		v_str(&l[1], "\xf0\x9f\x8e\x89");
		v_str(&l[2], "\xc3\xa5");
		/* no map here: the case must go through every format (maps are in "types") */
		v_str(t_prop(t, "star_\xe2\x98\x85"), "\xe2\x98\x86 \xf0\x9f\x98\x80");
		return 0;
	}
	case 3:
		node(t, "plain", "ASCII");
		v_str(t_prop(t, "name"), "plain");
		return 0;
	case 4:
		rel(t, "\xe9\x96\xa2\xe4\xbf\x82-1", "\xd0\x97\xd0\x9d\xd0\x90\xd0\x95\xd0\xa2",
		    "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87-1",
		    "\xf0\x9f\x94\x91"
		    "2");
		v_str(t_prop(t, "\xd1\x81\xd0\xb2\xd0\xbe\xd0\xb9\xd1\x81\xd1\x82\xd0\xb2\xd0\xbe"),
		      "\xd0\xb7\xd0\xbd\xd0\xb0\xd1\x87\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5");
		v_int(t_prop(t, "\xf0\x9f\x98\x80"), 1);
		return 0;
	default:
		rel(t, "r2", "LIKES_\xe2\x9d\xa4",
		    "\xe9\x94\xae"
		    "3",
		    "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87-1");
		v_str(t_prop(t, "note"), "\xf0\x9d\x90\x80\xf0\x9d\x90\x81");
		return 0;
	}
}

/* One value of every type, for the "types" relationship. */
static void types_sample(struct tmpl *t)
{
	static const float vec[] = {1.5f, -2.25f};
	struct gm_value *l;
	struct gm_prop *m;

	v_null(t_prop(t, "null"));
	v_bool(t_prop(t, "bool"), 1);
	v_int(t_prop(t, "int"), -7);
	v_float(t_prop(t, "float"), 2.5);
	v_str(t_prop(t, "string"), "s");
	v_bytes(t_prop(t, "bytes"), "\x00\x01", 2);
	l = t_list(t, t_prop(t, "list"), 2);
	v_int(&l[0], 1);
	v_int(&l[1], 2);
	m = t_map(t, t_prop(t, "map"), 1);
	v_str(t_entry(&m[0], "k"), "v");
	v_date(t_prop(t, "date"), 2020, 2, 29);
	v_localtime(t_prop(t, "localtime"), hms(1, 2, 3), 4000);
	v_time(t_prop(t, "time"), hms(1, 2, 3), 0, -3600);
	v_ldt(t_prop(t, "localdatetime"), gm_days_from_civil(2020, 1, 1), hms(0, 0, 1), 0);
	v_dt(t_prop(t, "datetime"), gm_days_from_civil(2020, 1, 1), hms(0, 0, 1), 0, 1, 0, "UTC");
	v_dur(t_prop(t, "duration"), 1, 2, 3, 4);
	v_point(t_prop(t, "point"), 7203, 1, 2, 0);
	v_vector(t, t_prop(t, "vector"), vec, 2);
}

static int case_types(struct gen *g, struct tmpl *t, uint64_t i)
{
	static const char nul_esc[] = "a\0b\"c\\d/e\bf\fg\nh\ri\tj\x01k\x1f\x7f"
				      "\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80";
	static const float vec[] = {1.5f, -0.0f, FLT_MAX, 1e-45f, -FLT_MIN, 0.1f};
	static const float vec1[] = {0.1f};
	struct gm_value *l, *l2;
	struct gm_prop *m, *m2;
	int64_t day0 = gm_days_from_civil(2015, 6, 24);

	char *all;

	(void)g;
	switch (i) {
	case 0:
		node(t, "t0", "Scalars");
		v_null(t_prop(t, "null"));
		v_bool(t_prop(t, "bool_true"), 1);
		v_bool(t_prop(t, "bool_false"), 0);
		v_int(t_prop(t, "int_zero"), 0);
		v_int(t_prop(t, "int_min"), INT64_MIN);
		v_int(t_prop(t, "int_max"), INT64_MAX);
		v_int(t_prop(t, "int_2p53_plus_1"), 9007199254740993LL);
		v_int(t_prop(t, "int_minus_2p53_plus_1"), -9007199254740993LL);
		v_int(t_prop(t, "int_2p53"), 9007199254740992LL);
		v_float(t_prop(t, "float_nan"), NAN);
		v_float(t_prop(t, "float_inf"), INFINITY);
		v_float(t_prop(t, "float_minus_inf"), -INFINITY);
		v_float(t_prop(t, "float_minus_zero"), -0.0);
		v_float(t_prop(t, "float_zero"), 0.0);
		v_float(t_prop(t, "float_min_subnormal"), 5e-324);
		v_float(t_prop(t, "float_max"), 1.7976931348623157e308);
		v_float(t_prop(t, "float_one"), 1.0);
		v_float(t_prop(t, "float_tenth"), 0.1);
		v_float(t_prop(t, "float_2p53_plus_2"), 9007199254740994.0);
		v_str(t_prop(t, "string_empty"), "");
		v_strn(t_prop(t, "string_nul_escapes"), nul_esc, sizeof(nul_esc) - 1);
		v_bytes(t_prop(t, "bytes_empty"), NULL, 0);
		all = t_text(t, 256);
		for (int k = 0; k < 256; k++)
			all[k] = (char)k;
		v_bytes(t_prop(t, "bytes_all"), all, 256);
		return 0;
	case 1:
		node(t, "t1", "Containers");
		t_list(t, t_prop(t, "list_empty"), 0);
		t_map(t, t_prop(t, "map_empty"), 0);
		l = t_list(t, t_prop(t, "list_int"), 3);
		v_int(&l[0], 1);
		v_int(&l[1], INT64_MIN);
		v_int(&l[2], INT64_MAX);
		l = t_list(t, t_prop(t, "list_float"), 3);
		v_float(&l[0], NAN);
		v_float(&l[1], -0.0);
		v_float(&l[2], 1.5);
		l = t_list(t, t_prop(t, "list_string"), 3);
		v_str(&l[0], "");
		v_str(&l[1], "a");
		v_str(&l[2], "\xf0\x9f\x98\x80");
		l = t_list(t, t_prop(t, "list_mixed"), 5);
		v_int(&l[0], 1);
		v_str(&l[1], "one");
		v_float(&l[2], 1.0);
		v_null(&l[3]);
		v_bool(&l[4], 1);
		l = t_list(t, t_prop(t, "list_nested"), 3);
		l2 = t_list(t, &l[0], 2);
		v_int(&l2[0], 1);
		t_list(t, &l2[1], 0);
		t_list(t, &l[1], 0);
		m = t_map(t, &l[2], 1);
		v_str(t_entry(&m[0], "k"), "v");
		m = t_map(t, t_prop(t, "map_nested"), 3);
		m2 = t_map(t, t_entry(&m[0], "a"), 1);
		m2 = t_map(t, t_entry(&m2[0], "b"), 1);
		l = t_list(t, t_entry(&m2[0], "c"), 3);
		v_int(&l[0], 1);
		v_null(&l[1]);
		v_date(&l[2], 2000, 1, 1);
		t_map(t, t_entry(&m[1], "empty"), 0);
		v_null(t_entry(&m[2], "null"));
		m = t_map(t, t_prop(t, "map_type_value"), 2);
		v_str(t_entry(&m[0], "$type"), "Date");
		v_str(t_entry(&m[1], "_value"), "2020-01-01");
		m = t_map(t, t_prop(t, "map_type_only"), 1);
		v_str(t_entry(&m[0], "$type"), "Integer");
		v_vector(t, t_prop(t, "vector"), vec, sizeof(vec) / sizeof(vec[0]));
		v_vector(t, t_prop(t, "vector_one"), vec1, 1);
		return 0;
	case 2:
		node(t, "t2", "Temporals");
		v_date(t_prop(t, "date_min"), -9999, 1, 1);
		v_date(t_prop(t, "date_max"), 9999, 12, 31);
		v_date(t_prop(t, "date_big"), 10000, 1, 1);
		v_date(t_prop(t, "date_epoch"), 1970, 1, 1);
		v_date(t_prop(t, "date_year0_leap"), 0, 2, 29);
		v_localtime(t_prop(t, "localtime_midnight"), 0, 0);
		v_localtime(t_prop(t, "localtime_1ns"), 0, 1);
		v_localtime(t_prop(t, "localtime_max"), hms(23, 59, 59), 999999999);
		v_localtime(t_prop(t, "localtime_millis"), hms(12, 50, 35), 556000000);
		v_time(t_prop(t, "time_plus18"), hms(12, 0, 0), 0, 18 * 3600);
		v_time(t_prop(t, "time_minus18"), hms(12, 0, 0), 0, -18 * 3600);
		v_time(t_prop(t, "time_offset_secs"), hms(12, 0, 0), 1, 3630);
		v_time(t_prop(t, "time_utc"), hms(23, 59, 59), 500000000, 0);
		v_ldt(t_prop(t, "localdatetime"), gm_days_from_civil(2015, 7, 4), hms(19, 32, 24),
		      0);
		v_ldt(t_prop(t, "localdatetime_min"), gm_days_from_civil(-9999, 1, 1), 0, 1);
		v_ldt(t_prop(t, "localdatetime_big"), gm_days_from_civil(10000, 1, 1),
		      hms(23, 59, 59), 999999999);
		v_dt(t_prop(t, "datetime_offset"), day0, hms(12, 50, 35), 556000000, 1, 3600, NULL);
		v_dt(t_prop(t, "datetime_zone_offset"), day0, hms(12, 50, 35), 556000000, 1, 7200,
		     "Europe/Berlin");
		v_dt(t_prop(t, "datetime_zone_only"), day0, hms(12, 50, 35), 0, 0, 0,
		     "America/New_York");
		v_dt(t_prop(t, "datetime_utc"), day0, 0, 0, 1, 0, "UTC");
		v_dt(t_prop(t, "datetime_minus18"), gm_days_from_civil(-9999, 1, 1), 0, 1, 1,
		     -18 * 3600, NULL);
		v_dt(t_prop(t, "datetime_offset_secs"), gm_days_from_civil(1890, 1, 1),
		     hms(0, 0, 0), 0, 1, 1172, "Europe/Amsterdam");
		v_dt(t_prop(t, "datetime_plus_sign_zone"), day0, hms(1, 0, 0), 0, 1, -36000,
		     "Etc/GMT+10");
		return 0;
	case 3:
		node(t, "t3", "Others");
		v_dur(t_prop(t, "duration_zero"), 0, 0, 0, 0);
		v_dur(t_prop(t, "duration_full"), 14, 3, hms(1, 2, 3), 500000000);
		v_dur(t_prop(t, "duration_negative"), -14, -3, -hms(1, 2, 4), 500000000);
		v_dur(t_prop(t, "duration_minus_half_second"), 0, 0, -1, 500000000);
		v_dur(t_prop(t, "duration_mixed_signs"), 1, -1, 1, 0);
		v_dur(t_prop(t, "duration_1ns"), 0, 0, 0, 1);
		v_dur(t_prop(t, "duration_weeks"), 0, 14, 0, 0);
		v_point(t_prop(t, "point_wgs84"), 4326, 13.1, 33.46789, 0);
		v_point(t_prop(t, "point_wgs84_3d"), 4979, -122.3, 47.6, 100.0);
		v_point(t_prop(t, "point_cartesian"), 7203, -0.0, 1e300, 0);
		v_point(t_prop(t, "point_cartesian_3d"), 9157, 1.0, 2.0, 3.0);
		return 0;
	default:
		rel(t, "r0", "HAS_TYPES", "t0", "t1");
		types_sample(t);
		return 0;
	}
}

static int case_selfloops(struct gen *g, struct tmpl *t, uint64_t i)
{
	static const char *const rels[5][4] = {{"r0", "LOOP", "n0", "n0"},
					       {"r1", "LOOP", "n0", "n0"},
					       {"r2", "OTHER", "n1", "n1"},
					       {"r3", "LINK", "n0", "n1"},
					       {"r4", "LOOP", "n2", "n2"}};
	static const char *const keys[] = {"n0", "n1", "n2"};

	(void)g;
	if (i < 3) {
		node(t, keys[i], "Node");
		v_int(t_prop(t, "i"), (int64_t)i);
		return 0;
	}
	i -= 3;
	rel(t, rels[i][0], rels[i][1], rels[i][2], rels[i][3]);
	v_int(t_prop(t, "i"), (int64_t)i);
	return 0;
}

static int case_parallel(struct gen *g, struct tmpl *t, uint64_t i)
{
	static const char *const rels[6][4] = {
		{"r0", "LINK", "n0", "n1"}, {"r1", "LINK", "n0", "n1"},
		{"r2", "LINK", "n0", "n1"}, {"r3", "LINK", "n0", "n1"},
		{"r4", "LINK", "n1", "n0"}, {"r5", "OTHER", "n0", "n1"}};

	(void)g;
	if (i < 2) {
		node(t, i ? "n1" : "n0", "Node");
		return 0;
	}
	i -= 2;
	rel(t, rels[i][0], rels[i][1], rels[i][2], rels[i][3]);
	if (i <= 1 || i == 4)
		v_int(t_prop(t, "w"), 1); /* r0 and r1 are identical but for the key */
	else if (i == 3)
		v_int(t_prop(t, "w"), 2);
	return 0;
}

static int case_dangling(struct gen *g, struct tmpl *t, uint64_t i)
{
	(void)g;
	switch (i) {
	case 0: node(t, "n0", "Node"); return 0;
	case 1: node(t, "n1", "Node"); return 0;
	case 2: rel(t, "r0", "LINK", "n0", "n1"); return 0;
	case 3: rel(t, "r1", "LINK", "n0", "missing"); return 0;
	default: rel(t, "r2", "LINK", "ghost", "n1"); return 0;
	}
}

static int case_dupkey(struct gen *g, struct tmpl *t, uint64_t i)
{
	(void)g;
	switch (i) {
	case 0:
		node(t, "n0", "Person");
		v_str(t_prop(t, "name"), "first");
		return 0;
	case 1:
		node(t, "n0", "Company");
		v_str(t_prop(t, "name"), "second");
		v_int(t_prop(t, "extra"), 2);
		return 0;
	case 2: node(t, "n1", "Person"); return 0;
	default: rel(t, "r0", "KNOWS", "n0", "n1"); return 0;
	}
}

static const struct gcase {
	const char *name;
	uint64_t nodes, rels;
	case_fn make;
} cases[] = {
	{"empty", 0, 0, NULL},
	{"unicode", 4, 2, case_unicode},
	{"types", 4, 1, case_types},
	{"selfloops", 3, 5, case_selfloops},
	{"parallel", 2, 6, case_parallel},
	{"dangling", 2, 3, case_dangling},
	{"dupkey", 3, 1, case_dupkey},
	{"big", 1000, 100000, NULL},
};

static const struct gcase *find_case(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strlen(cases[i].name) == n && !memcmp(cases[i].name, p, n))
			return &cases[i];
	return NULL;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;

		a = b;
		b = r;
	}
	return a;
}

static int parse_u64(const char *k, size_t kl, const char *v, size_t vl, uint64_t *out)
{
	uint64_t x = 0;

	if (!vl)
		return gm_error_set(GM_EINVAL, "generate: empty value for '%.*s'", (int)kl, k);
	for (size_t i = 0; i < vl; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - 9) / 10)
			return gm_error_set(GM_EINVAL, "generate: bad value '%.*s' for '%.*s'",
					    (int)vl, v, (int)kl, k);
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

static int gen_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct gen *g;
	const struct gcase *c = NULL;
	const char *p = o->params;
	int have_size = 0, error;

	*out = NULL;
	if (o->mode != GM_OPEN_READ)
		return gm_error_set(GM_EUNSUPPORTED, "the generate backend cannot write");
	if (!(g = gm_calloc(1, sizeof(*g))))
		return GM_ENOMEM;
	g->nodes = DEFAULT_NODES;
	g->rels = DEFAULT_EDGES;
	g->seed = 1;
	if (location && *location && !(c = find_case(location, strlen(location)))) {
		error = gm_error_set(GM_EINVAL,
				     "generate: unknown case '%s' (known: empty, unicode, types, "
				     "selfloops, parallel, dangling, dupkey, big)",
				     location);
		goto fail;
	}
	while (p && *p) {
		const char *amp = strchr(p, '&'), *eq;
		size_t len = amp ? (size_t)(amp - p) : strlen(p), kl;
		uint64_t *dst = NULL;

		eq = memchr(p, '=', len);
		if (!eq) {
			error = gm_error_set(GM_EINVAL, "generate: expected key=value, got '%.*s'",
					     (int)len, p);
			goto fail;
		}
		kl = (size_t)(eq - p);
		if (kl == 4 && !memcmp(p, "case", 4)) {
			if (!(c = find_case(eq + 1, len - kl - 1))) {
				error = gm_error_set(
					GM_EINVAL,
					"generate: unknown case '%.*s' (known: empty, "
					"unicode, types, selfloops, parallel, dangling, "
					"dupkey, big)",
					(int)(len - kl - 1), eq + 1);
				goto fail;
			}
		} else if (kl == 7 && !memcmp(p, "profile", 7)) {
			size_t vl = len - kl - 1;

			if (vl == 5 && !memcmp(eq + 1, "light", 5)) {
				g->light = 1;
			} else if (vl == 5 && !memcmp(eq + 1, "plain", 5)) {
				g->plain = 1;
			} else if (vl == 11 && !memcmp(eq + 1, "memorygraph", 11)) {
				g->mg = 1;
			} else if (!(vl == 3 && !memcmp(eq + 1, "all", 3))) {
				error = gm_error_set(
					GM_EINVAL,
					"generate: unknown profile '%.*s' (known: all, "
					"light, plain, memorygraph)",
					(int)vl, eq + 1);
				goto fail;
			}
		} else if (kl == 5 && !memcmp(p, "nodes", 5)) {
			dst = &g->nodes;
		} else if (kl == 5 && !memcmp(p, "edges", 5)) {
			dst = &g->rels;
		} else if (kl == 4 && !memcmp(p, "seed", 4)) {
			dst = &g->seed;
		} else {
			error = gm_error_set(GM_EINVAL,
					     "generate: unknown parameter '%.*s' (known: nodes, "
					     "edges, seed, profile, case)",
					     (int)kl, p);
			goto fail;
		}
		if (dst && (error = parse_u64(p, kl, eq + 1, len - kl - 1, dst)) < 0)
			goto fail;
		if (dst && dst != &g->seed)
			have_size = 1;
		p = amp ? amp + 1 : p + len;
	}
	if (c && have_size) {
		error = gm_error_set(GM_EINVAL,
				     "generate: a case has a fixed size; drop nodes/edges");
		goto fail;
	}
	if (c) {
		g->nodes = c->nodes;
		g->rels = c->rels;
		g->make = c->make;
		if (!strcmp(c->name, "big")) {
			g->plain = 1;
			g->light = 1;
			g->seed = 1;
		}
	}
	if (g->nodes > UINT32_MAX) {
		error = gm_error_set(GM_EINVAL, "generate: at most %u nodes", (unsigned)UINT32_MAX);
		goto fail;
	}
	if (!g->nodes && g->rels && !g->make) {
		error = gm_error_set(GM_EINVAL, "generate: relationships need nodes");
		goto fail;
	}
	if (!g->make)
		g->make = random_record;
	if (g->nodes) {
		uint64_t x = g->seed ^ S_PERM;

		for (int k = 0; k < 2; k++) {
			g->mul[k] = splitmix(&x) % g->nodes;
			while (gcd(g->mul[k], g->nodes) != 1)
				g->mul[k]++;
			g->mul[k] %= g->nodes;
			g->add[k] = splitmix(&x) % g->nodes;
		}
	}
	g->base.progress_total = g->nodes + g->rels;
	*out = &g->base;
	return 0;
fail:
	gm_free(g);
	return error;
}

static int gen_read_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct gen *g = (struct gen *)b;
	int error;

	if (g->next >= g->nodes + g->rels)
		return GM_ITEROVER;
	if (g->mg) {
		if ((error = gm__mg_gen_record(g->seed, g->nodes, g->rels, g->next, rec, a)) < 0)
			return error;
		b->progress_done = ++g->next;
		return 0;
	}
	if ((error = g->make(g, &g->t, g->next)) < 0)
		return error;
	if (g->t.overflow)
		return gm_error_set(GM_ERROR, "generate: record %llu does not fit its template",
				    (unsigned long long)g->next);
	if (!g->t.r.nlabels)
		g->t.r.labels = NULL;
	if ((error = gm_record_copy(rec, &g->t.r, a)) < 0)
		return error;
	g->next++;
	b->progress_done = g->next;
	return 0;
}

static int gen_count(struct gm_backend *b, uint64_t *nodes, uint64_t *rels)
{
	struct gen *g = (struct gen *)b;

	*nodes = g->nodes;
	*rels = g->rels;
	return 0;
}

static int gen_close(struct gm_backend *b)
{
	gm_free(b);
	return 0;
}

const struct gm_backend_ops gm_backend_generate = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "generate",
	.summary = "synthetic graphs: generate:?nodes=N&edges=M&seed=S, generate:?case=NAME",
	.suffixes = NULL,
	.caps = GM_CAP_READ | GM_CAP_COUNT,
	.types = 0,
	.probe = NULL,
	.open = gen_open,
	.read_next = gen_read_next,
	.write_batch = NULL,
	.count = gen_count,
	.commit = NULL,
	.close = gen_close,
};
