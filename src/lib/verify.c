/* SPDX-License-Identifier: MIT */
/*
 * gmig verify: exact keyed comparison of two graphs (any backends) in memory
 * that does not grow with their size.
 *
 * Identity. A node is identified by its key, a relationship with a key by its
 * key (nodes and relationships are separate name spaces). A relationship
 * without a key is identified by (type, start, end, properties): its identity
 * hash is the hash of its whole canonical encoding, so such a relationship is
 * never "changed", only missing on one side and extra on the other; equal
 * parallel copies are matched one to one. id = XXH3-128 of the key with seed 1
 * (nodes) or 2 (relationships), or of the canonical encoding with seed 3.
 *
 * Canonical encoding of a record (after gm_record_canonicalize: labels sorted
 * bytewise, properties and nested map entries sorted by key). Integers are
 * little-endian; str = u64 byte length, then the bytes (NUL bytes included):
 *
 *   record   = u8 'N' | 'R',  u8 has_key, [str key],
 *              node: u64 nlabels, str label...;  relationship: str type, str start, str end,
 *              u64 nprops, (str name, value)...
 *   value    = u8 gm_type, then by type:
 *     Null              nothing
 *     Boolean           u8 0 or 1
 *     Integer           i64
 *     Float             u64 IEEE-754 bits; every NaN as 0x7ff8000000000000 (NaN equals NaN
 *                       whatever its payload; -0.0 and 0.0 differ: their bits differ)
 *     String, Base64    str
 *     List              u64 n, value...
 *     Map               u64 n, (str key, value)...
 *     Date .. DateTime  i64 secs, i32 nanos, u8 has_offset, [i32 offset when has_offset],
 *                       str zone  (the stored wall clock, offset and zone name, exactly:
 *                       a zone name and an offset for the same instant differ)
 *     Duration          i64 months, i64 days, i64 secs, i32 nanos
 *     Point             u32 srid, u8 dim, u64 bits x, u64 bits y, [u64 bits z when dim 3]
 *     Vector            u64 n, u32 float32 bits...  (raw bits, NaN payloads included)
 *
 * This is exactly gm_value_equal: two records encode alike iff they are equal.
 * content = XXH3-128 of the encoding.
 *
 * Method (full comparison):
 *   pass 1  each side is streamed once; per label set / relationship type counts;
 *           per bucket (2^16 buckets by the low bits of id.low64): records of each
 *           side and sum(content) of the first side minus sum(content) of the
 *           second (each 64-bit half modulo 2^64). Equal buckets hold the same
 *           records with overwhelming probability; 1.5 MB whatever the graph size.
 *   bisect  while the differing buckets hold more records than may be held in
 *           memory (hold_limit), another pass splits each differing region by the
 *           next bits of id.low64 (up to 2^16 sub-regions in all), keeping only the
 *           sub-regions that differ.
 *   compare one pass per group of differing regions that fits hold_limit: the
 *           records of those regions are copied from both sides and matched by
 *           identity: exact matches cancel, otherwise missing / extra / changed
 *           (naming each differing field). Stops early once max_diffs are listed
 *           (then the counts are lower bounds: truncated).
 * Sample (--sample N): each side is streamed once keeping the N records with the
 * smallest id.low64 (a heap); records below the smaller of the two sides' N-th
 * hash are compared as above. Both sides choose by the same hash, so a key
 * sampled on one side is sampled on the other.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "gmig/sys/backend.h"
#include "typedjson.h"
#include "util.h"

#define DEFAULT_BITS 16
#define DEFAULT_HOLD 200000
#define DEFAULT_MAX_DIFFS 100
#define REFINE_SLOTS (1u << 16)
#define FILTER_BITS 16

/* a bucket (struct gm_digest_bucket): records, and the sum of their content hashes per
   64-bit half, modulo 2^64 */

/* gm_digest_out.scratch */
struct digest_scratch {
	struct gm_buf enc, tmp;
};

struct held {
	XXH128_hash_t id, content;
	int side;
	size_t bytes; /* arena bytes the copy took (sample compaction) */
	struct gm_record rec;
};

enum pass_mode { P_DIGEST, P_REFINE, P_COLLECT, P_SAMPLE };

/* Counts by label set / type: rows plus an open-addressing index. */
struct rowtab {
	struct gm_verify_row *rows;
	size_t n;
	size_t *slots, nslots;
};

struct unreadable {
	char *text;
	int is_rel;
};

struct verifier;

/* What one side's stream owns: the two sides are read by two threads. */
struct side {
	struct verifier *v;
	int idx;
	struct gm_arena *read_arena, *hold;
	struct gm_buf enc, tmp;
	struct gm_digest_bucket *dig;
	struct rowtab rows;
	struct unreadable *bad; /* the first max_diffs unreadable records */
	size_t nbad;
	struct held *held;
	size_t nheld, capheld, live_bytes;
	int error;
	char message[1024];
};

struct verifier {
	const struct gm_verify_opts *o;
	struct gm_verify_report *rep;
	const char *uri[2];
	size_t max_diffs;
	uint64_t hold_limit;
	struct side side[2];
	enum pass_mode mode;
	size_t ndig;	/* digests of the current pass, per side */
	unsigned dbits; /* the first pass: ndig = 2^dbits */
	/* regions: sorted low-`rbits` values of id.low64 (after the first pass) */
	uint64_t *rv, *rc; /* rc: records (both sides) in each region */
	size_t rn;
	unsigned rbits, rshift; /* rshift: sub-region bits of a refine pass */
	uint8_t filter[(1u << FILTER_BITS) / 8];
	size_t c0, c1;	    /* P_COLLECT: regions [c0, c1) */
	struct rowtab rows; /* both sides' counts (rows live in rep) */
};

/* ---- canonical encoding ---- */

static void put_u8(struct gm_buf *b, unsigned v)
{
	gm_buf_putc(b, (char)(unsigned char)v);
}

static void put_u32(struct gm_buf *b, uint32_t v)
{
	unsigned char x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	gm_buf_put(b, x, 4);
}

static void put_u64(struct gm_buf *b, uint64_t v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	gm_buf_put(b, x, 8);
}

static void put_f64(struct gm_buf *b, double d, int canon_nan)
{
	uint64_t u;

	if (canon_nan && d != d)
		u = 0x7ff8000000000000ULL;
	else
		memcpy(&u, &d, sizeof(u));
	put_u64(b, u);
}

static void put_str(struct gm_buf *b, struct gm_str s)
{
	put_u64(b, s.len);
	if (s.len)
		gm_buf_put(b, s.p, s.len);
}

static void put_value(struct gm_buf *b, const struct gm_value *v)
{
	put_u8(b, (unsigned)v->type);
	switch (v->type) {
	case GM_T_NULL: break;
	case GM_T_BOOL: put_u8(b, v->u.b != 0); break;
	case GM_T_INT: put_u64(b, (uint64_t)v->u.i); break;
	case GM_T_FLOAT: put_f64(b, v->u.f, 1); break;
	case GM_T_STRING:
	case GM_T_BYTES: put_str(b, v->u.s); break;
	case GM_T_LIST:
		put_u64(b, v->u.list.n);
		for (size_t i = 0; i < v->u.list.n; i++)
			put_value(b, &v->u.list.v[i]);
		break;
	case GM_T_MAP:
		put_u64(b, v->u.map.n);
		for (size_t i = 0; i < v->u.map.n; i++) {
			put_str(b, v->u.map.p[i].key);
			put_value(b, &v->u.map.p[i].val);
		}
		break;
	case GM_T_DATE:
	case GM_T_LOCALTIME:
	case GM_T_TIME:
	case GM_T_LOCALDATETIME:
	case GM_T_DATETIME:
		put_u64(b, (uint64_t)v->u.t.secs);
		put_u32(b, (uint32_t)v->u.t.nanos);
		put_u8(b, v->u.t.has_offset != 0);
		if (v->u.t.has_offset)
			put_u32(b, (uint32_t)v->u.t.offset);
		put_str(b, v->u.t.zone);
		break;
	case GM_T_DURATION:
		put_u64(b, (uint64_t)v->u.d.months);
		put_u64(b, (uint64_t)v->u.d.days);
		put_u64(b, (uint64_t)v->u.d.secs);
		put_u32(b, (uint32_t)v->u.d.nanos);
		break;
	case GM_T_POINT:
		put_u32(b, v->u.pt.srid);
		put_u8(b, v->u.pt.dim);
		put_f64(b, v->u.pt.x, 0);
		put_f64(b, v->u.pt.y, 0);
		if (v->u.pt.dim >= 3)
			put_f64(b, v->u.pt.z, 0);
		break;
	case GM_T_VECTOR:
		put_u64(b, v->u.vec.n);
		for (size_t i = 0; i < v->u.vec.n; i++) {
			uint32_t u;

			memcpy(&u, &v->u.vec.v[i], sizeof(u));
			put_u32(b, u);
		}
		break;
	default: break;
	}
}

static int encode(struct gm_buf *b, const struct gm_record *r)
{
	gm_buf_clear(b);
	put_u8(b, r->kind == GM_NODE ? 'N' : 'R');
	put_u8(b, r->key.p != NULL);
	if (r->key.p)
		put_str(b, r->key);
	if (r->kind == GM_NODE) {
		put_u64(b, r->nlabels);
		for (size_t i = 0; i < r->nlabels; i++)
			put_str(b, r->labels[i]);
	} else {
		put_str(b, r->type);
		put_str(b, r->from);
		put_str(b, r->to);
	}
	put_u64(b, r->nprops);
	for (size_t i = 0; i < r->nprops; i++) {
		put_str(b, r->props[i].key);
		put_value(b, &r->props[i].val);
	}
	return b->oom ? GM_ENOMEM : 0;
}

/* ---- regions ---- */

static uint64_t low_mask(unsigned bits)
{
	return bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void build_filter(struct verifier *v)
{
	uint64_t fm = low_mask(v->rbits < FILTER_BITS ? v->rbits : FILTER_BITS);

	memset(v->filter, 0, sizeof(v->filter));
	for (size_t i = 0; i < v->rn; i++) {
		uint64_t f = v->rv[i] & fm;

		v->filter[f >> 3] |= (uint8_t)(1u << (f & 7));
	}
}

/* The index of the region holding hash h, or (size_t)-1. */
static size_t region_find(const struct verifier *v, uint64_t h)
{
	uint64_t f = h & low_mask(v->rbits < FILTER_BITS ? v->rbits : FILTER_BITS);
	uint64_t x = h & low_mask(v->rbits);
	size_t lo = 0, hi = v->rn;

	if (!(v->filter[f >> 3] & (1u << (f & 7))))
		return (size_t)-1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->rv[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->rn && v->rv[lo] == x ? lo : (size_t)-1;
}

/* ---- counts per label set / type ---- */

static size_t hash_name(const char *p, size_t n, int is_rel)
{
	return (size_t)XXH3_64bits_withSeed(p, n, (XXH64_hash_t)is_rel);
}

static int rowtab_add(struct rowtab *t, const char *name, size_t len, int is_rel, int side,
		      uint64_t count)
{
	size_t h, i;

	if (t->n * 2 >= t->nslots) {
		size_t ns = t->nslots ? t->nslots * 2 : 64;
		size_t *slots = gm_malloc(ns * sizeof(size_t));
		struct gm_verify_row *rows = gm_realloc(t->rows, (ns / 2 + 1) * sizeof(*rows));

		if (rows)
			t->rows = rows;
		if (!slots || !rows) {
			gm_free(slots);
			return GM_ENOMEM;
		}
		for (i = 0; i < ns; i++)
			slots[i] = (size_t)-1;
		for (size_t k = 0; k < t->n; k++) {
			h = hash_name(t->rows[k].name, strlen(t->rows[k].name), t->rows[k].is_rel);
			for (i = h & (ns - 1); slots[i] != (size_t)-1; i = (i + 1) & (ns - 1))
				;
			slots[i] = k;
		}
		gm_free(t->slots);
		t->slots = slots;
		t->nslots = ns;
	}
	h = hash_name(name, len, is_rel);
	for (i = h & (t->nslots - 1); t->slots[i] != (size_t)-1; i = (i + 1) & (t->nslots - 1)) {
		struct gm_verify_row *row = &t->rows[t->slots[i]];

		if (row->is_rel == is_rel && strlen(row->name) == len &&
		    !memcmp(row->name, name, len)) {
			row->count[side] += count;
			return 0;
		}
	}
	{
		struct gm_verify_row *row = &t->rows[t->n];

		memset(row, 0, sizeof(*row));
		if (!(row->name = gm_malloc(len + 1)))
			return GM_ENOMEM;
		memcpy(row->name, name, len);
		row->name[len] = '\0';
		row->is_rel = is_rel;
		row->count[side] = count;
		t->slots[i] = t->n++;
	}
	return 0;
}

static void rowtab_free(struct rowtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		gm_free(t->rows[i].name);
	gm_free(t->rows);
	gm_free(t->slots);
	memset(t, 0, sizeof(*t));
}

static int row_count(struct side *sd, const struct gm_record *r)
{
	struct gm_buf *b = &sd->tmp;

	if (gm__record_rowname(b, r) < 0)
		return GM_ENOMEM;
	return rowtab_add(&sd->rows, b->p, b->len, r->kind == GM_REL, sd->idx, 1);
}

static struct gm_diff *new_diff(struct verifier *v, enum gm_diff_kind kind, int is_rel, int side);
static int listed_full(const struct verifier *v);

/* Merges both sides' counts and unreadable records into the report (after a first pass). */
static int merge_sides(struct verifier *v)
{
	struct gm_verify_report *rep = v->rep;
	int error;

	for (int s = 0; s < 2; s++) {
		struct rowtab *t = &v->side[s].rows;

		for (size_t i = 0; i < t->n; i++)
			if ((error = rowtab_add(&v->rows, t->rows[i].name, strlen(t->rows[i].name),
						t->rows[i].is_rel, s, t->rows[i].count[s])) < 0)
				return error;
	}
	rep->rows = v->rows.rows;
	rep->nrows = v->rows.n;
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < v->side[s].nbad; i++) {
			struct gm_diff *d;

			if (listed_full(v))
				break;
			if (!(d = new_diff(v, GM_DIFF_UNREADABLE, v->side[s].bad[i].is_rel, s)))
				return GM_ENOMEM;
			d->key = v->side[s].bad[i].text;
			v->side[s].bad[i].text = NULL;
		}
	for (int s = 0; s < 2; s++)
		if (rep->unreadable[s])
			rep->equal = 0;
	return 0;
}

/* ---- differences ---- */

static char *display_key(const struct gm_record *r)
{
	struct gm_buf b = GM_BUF_INIT;

	if (r->key.p) {
		gm_buf_put(&b, r->key.p, r->key.len);
	} else {
		gm_buf_putc(&b, '(');
		gm_buf_put(&b, r->from.p, r->from.len);
		gm_buf_puts(&b, ")-[:");
		gm_buf_put(&b, r->type.p, r->type.len);
		gm_buf_puts(&b, "]->(");
		gm_buf_put(&b, r->to.p, r->to.len);
		gm_buf_putc(&b, ')');
	}
	if (b.oom || !b.p) {
		gm_buf_free(&b);
		return b.oom ? NULL : gm_strdup("");
	}
	return b.p;
}

static struct gm_diff *new_diff(struct verifier *v, enum gm_diff_kind kind, int is_rel, int side)
{
	struct gm_verify_report *rep = v->rep;
	struct gm_diff *d;

	if (rep->ndiffs >= v->max_diffs)
		return NULL;
	if (!(d = gm_realloc(rep->diffs, (rep->ndiffs + 1) * sizeof(*d))))
		return NULL;
	rep->diffs = d;
	d += rep->ndiffs++;
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->is_rel = is_rel;
	d->side = side;
	return d;
}

static int listed_full(const struct verifier *v)
{
	return v->rep->ndiffs >= v->max_diffs;
}

static int add_field(struct gm_diff *d, const char *name, size_t len, int is_prop,
		     struct gm_buf *from, struct gm_buf *to)
{
	struct gm_diff_field *f = gm_realloc(d->fields, (d->nfields + 1) * sizeof(*f));

	if (!f)
		return GM_ENOMEM;
	d->fields = f;
	f += d->nfields++;
	memset(f, 0, sizeof(*f));
	f->is_prop = is_prop;
	if (!(f->field = gm_malloc(len + 1)))
		return GM_ENOMEM;
	memcpy(f->field, name, len);
	f->field[len] = '\0';
	if (from && !(f->from_json = gm_strdup(from->p ? from->p : "")))
		return GM_ENOMEM;
	if (to && !(f->to_json = gm_strdup(to->p ? to->p : "")))
		return GM_ENOMEM;
	return 0;
}

static int json_str(struct gm_buf *b, struct gm_str s)
{
	gm_buf_clear(b);
	gm_json_put_string(b, s.p ? s.p : "", s.len, 0);
	return b->oom ? GM_ENOMEM : 0;
}

static int json_labels(struct gm_buf *b, const struct gm_record *r)
{
	gm_buf_clear(b);
	gm_buf_putc(b, '[');
	for (size_t i = 0; i < r->nlabels; i++) {
		if (i)
			gm_buf_putc(b, ',');
		gm_json_put_string(b, r->labels[i].p, r->labels[i].len, 0);
	}
	gm_buf_putc(b, ']');
	return b->oom ? GM_ENOMEM : 0;
}

static int json_value(struct gm_buf *b, const struct gm_value *val)
{
	int error;

	gm_buf_clear(b);
	if ((error = gm_tjson_write(b, val, 0)) < 0)
		return error;
	return b->oom ? GM_ENOMEM : 0;
}

static int labels_equal(const struct gm_record *a, const struct gm_record *b)
{
	if (a->nlabels != b->nlabels)
		return 0;
	for (size_t i = 0; i < a->nlabels; i++)
		if (!gm_str_eq(a->labels[i], b->labels[i]))
			return 0;
	return 1;
}

/* Names every differing field of a and b (same identity, different content). */
static int describe_change(struct gm_diff *d, const struct gm_record *a, const struct gm_record *b)
{
	struct gm_buf x = GM_BUF_INIT, y = GM_BUF_INIT;
	int error = 0;
	size_t i = 0, j = 0;

	if (a->kind == GM_NODE) {
		if (!labels_equal(a, b) &&
		    ((error = json_labels(&x, a)) < 0 || (error = json_labels(&y, b)) < 0 ||
		     (error = add_field(d, "labels", 6, 0, &x, &y)) < 0))
			goto out;
	} else {
		static const char *const names[3] = {"type", "start", "end"};
		const struct gm_str sa[3] = {a->type, a->from, a->to};
		const struct gm_str sb[3] = {b->type, b->from, b->to};

		for (int k = 0; k < 3; k++)
			if (!gm_str_eq(sa[k], sb[k]) &&
			    ((error = json_str(&x, sa[k])) < 0 ||
			     (error = json_str(&y, sb[k])) < 0 ||
			     (error = add_field(d, names[k], strlen(names[k]), 0, &x, &y)) < 0))
				goto out;
	}
	while (i < a->nprops || j < b->nprops) {
		int c = i == a->nprops	 ? 1
			: j == b->nprops ? -1
					 : gm_str_cmp(a->props[i].key, b->props[j].key);
		const struct gm_prop *p = c <= 0 ? &a->props[i] : &b->props[j];

		if (c < 0)
			error = json_value(&x, &a->props[i].val);
		else if (c > 0)
			error = json_value(&y, &b->props[j].val);
		else if (!gm_value_equal(&a->props[i].val, &b->props[j].val) &&
			 (error = json_value(&x, &a->props[i].val)) == 0)
			error = json_value(&y, &b->props[j].val);
		else
			c = 2; /* equal */
		if (error < 0)
			goto out;
		if (c != 2 && (error = add_field(d, p->key.p ? p->key.p : "", p->key.len, 1,
						 c <= 0 ? &x : NULL, c >= 0 ? &y : NULL)) < 0)
			goto out;
		if (c <= 0 || c == 2)
			i++;
		if (c >= 0)
			j++;
	}
out:
	gm_buf_free(&x);
	gm_buf_free(&y);
	return error;
}

static int listed(const char *const *names, struct gm_str s)
{
	for (; names && *names; names++)
		if (strlen(*names) == s.len && !memcmp(*names, s.p, s.len))
			return 1;
	return 0;
}

/* b equals a but for properties of o->added_ok that a lacks (both sorted by key). */
static int only_added(const struct gm_verify_opts *o, const struct gm_record *a,
		      const struct gm_record *b)
{
	const char *const *added_ok = o->added_ok;
	size_t i = 0, j = 0;

	if (!added_ok || a->kind != b->kind)
		return 0;
	if (a->kind == GM_NODE ? !labels_equal(a, b)
			       : !gm_str_eq(a->type, b->type) || !gm_str_eq(a->from, b->from) ||
					 !gm_str_eq(a->to, b->to))
		return 0;
	while (j < b->nprops) {
		int c = i == a->nprops ? 1 : gm_str_cmp(a->props[i].key, b->props[j].key);

		if (c < 0)
			return 0; /* a property of the source is missing */
		if (c > 0) {
			if (!listed(added_ok, b->props[j].key))
				return 0;
			j++;
			continue;
		}
		if (!gm_value_equal(&a->props[i].val, &b->props[j].val))
			return 0;
		i++;
		j++;
	}
	return i == a->nprops;
}

static int report(struct verifier *v, enum gm_diff_kind kind, const struct held *a,
		  const struct held *b)
{
	const struct gm_record *r = a ? &a->rec : &b->rec;
	int is_rel = r->kind == GM_REL;
	struct gm_diff *d;

	if (kind == GM_DIFF_CHANGED && only_added(v->o, &a->rec, &b->rec)) {
		v->rep->added[is_rel]++;
		return 0;
	}
	v->rep->equal = 0;
	if (kind == GM_DIFF_MISSING)
		v->rep->missing[is_rel]++;
	else if (kind == GM_DIFF_EXTRA)
		v->rep->extra[is_rel]++;
	else
		v->rep->changed[is_rel]++;
	if (listed_full(v))
		return 0;
	if (!(d = new_diff(v, kind, is_rel, a ? 0 : 1)) || !(d->key = display_key(r)))
		return GM_ENOMEM;
	if (kind == GM_DIFF_CHANGED)
		return describe_change(d, &a->rec, &b->rec);
	return 0;
}

static int cmp_held(const void *pa, const void *pb)
{
	const struct held *a = pa, *b = pb;

	if (a->id.high64 != b->id.high64)
		return a->id.high64 < b->id.high64 ? -1 : 1;
	if (a->id.low64 != b->id.low64)
		return a->id.low64 < b->id.low64 ? -1 : 1;
	if (a->content.high64 != b->content.high64)
		return a->content.high64 < b->content.high64 ? -1 : 1;
	if (a->content.low64 != b->content.low64)
		return a->content.low64 < b->content.low64 ? -1 : 1;
	return 0;
}

static int same_id(const struct held *a, const struct held *b)
{
	return a->id.low64 == b->id.low64 && a->id.high64 == b->id.high64;
}

/*
 * Matches the held records of both sides (each sorted by identity, then
 * content): per identity, equal contents cancel one to one; what is left is
 * paired as changed, and the rest is missing (first side) or extra (second).
 */
static int compare_held(struct verifier *v)
{
	struct held *A = v->side[0].held, *B = v->side[1].held;
	size_t na = v->side[0].nheld, nb = v->side[1].nheld, i = 0, j = 0;
	int error;

	if (na)
		qsort(A, na, sizeof(*A), cmp_held);
	if (nb)
		qsort(B, nb, sizeof(*B), cmp_held);
	while (i < na || j < nb) {
		size_t ie = i, je = j, a, b;
		const struct held *key;
		/* records left after the exact matches */
		size_t la = 0, lb = 0, ka, kb;

		if (i < na && (j == nb || cmp_held(&A[i], &B[j]) <= 0))
			key = &A[i];
		else
			key = &B[j];
		while (ie < na && same_id(&A[ie], key))
			ie++;
		while (je < nb && same_id(&B[je], key))
			je++;
		/* mark exact matches by zeroing side (-1 = matched) */
		for (a = i, b = j; a < ie && b < je;) {
			int c = cmp_held(&A[a], &B[b]);

			if (c == 0) {
				A[a++].side = -1;
				B[b++].side = -1;
			} else if (c < 0) {
				a++;
			} else {
				b++;
			}
		}
		for (a = i; a < ie; a++)
			la += A[a].side >= 0;
		for (b = j; b < je; b++)
			lb += B[b].side >= 0;
		for (a = i, b = j, ka = 0, kb = 0; ka < la || kb < lb;) {
			while (a < ie && A[a].side < 0)
				a++;
			while (b < je && B[b].side < 0)
				b++;
			if (ka < la && kb < lb) {
				error = report(v, GM_DIFF_CHANGED, &A[a++], &B[b++]);
				ka++;
				kb++;
			} else if (ka < la) {
				error = report(v, GM_DIFF_MISSING, &A[a++], NULL);
				ka++;
			} else {
				error = report(v, GM_DIFF_EXTRA, NULL, &B[b++]);
				kb++;
			}
			if (error < 0)
				return error;
		}
		i = ie;
		j = je;
	}
	return 0;
}

/* ---- holding records ---- */

static int hold(struct side *sd, const struct gm_record *r, XXH128_hash_t id, XXH128_hash_t content,
		struct held *into)
{
	size_t before = gm_arena_used(sd->hold);
	struct held h;
	int error;

	memset(&h, 0, sizeof(h));
	h.id = id;
	h.content = content;
	h.side = sd->idx;
	if ((error = gm_record_copy(&h.rec, r, sd->hold)) < 0)
		return error;
	h.bytes = gm_arena_used(sd->hold) - before;
	if (!into) {
		if (sd->nheld == sd->capheld) {
			size_t nc = sd->capheld ? sd->capheld * 2 : 1024;
			struct held *n = gm_realloc(sd->held, nc * sizeof(*n));

			if (!n)
				return GM_ENOMEM;
			sd->held = n;
			sd->capheld = nc;
		}
		into = &sd->held[sd->nheld++];
	} else {
		sd->live_bytes -= into->bytes;
	}
	*into = h;
	sd->live_bytes += h.bytes;
	return 0;
}

static void clear_held(struct verifier *v)
{
	for (int s = 0; s < 2; s++) {
		v->side[s].nheld = 0;
		v->side[s].live_bytes = 0;
		gm_arena_reset(v->side[s].hold);
	}
}

/* Sample: a max-heap on id.low64 of the N smallest. */
static void swap_held(struct held *a, struct held *b)
{
	struct held t = *a;

	*a = *b;
	*b = t;
}

static void sift_down(struct held *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && h[l].id.low64 > h[m].id.low64)
			m = l;
		if (r < n && h[r].id.low64 > h[m].id.low64)
			m = r;
		if (m == i)
			return;
		swap_held(&h[i], &h[m]);
		i = m;
	}
}

static void sift_up(struct held *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (h[p].id.low64 >= h[i].id.low64)
			return;
		swap_held(&h[i], &h[p]);
		i = p;
	}
}

/* Copies the live sampled records into a fresh arena (replaced ones left garbage). */
static int compact(struct side *sd)
{
	struct gm_arena *na;
	int error;

	if ((error = gm_arena_new(&na)) < 0)
		return error;
	for (size_t i = 0; i < sd->nheld; i++) {
		struct gm_record r;

		if ((error = gm_record_copy(&r, &sd->held[i].rec, na)) < 0) {
			gm_arena_free(na);
			return error;
		}
		sd->held[i].rec = r;
	}
	gm_arena_free(sd->hold);
	sd->hold = na;
	return 0;
}

static int sample_add(struct side *sd, const struct gm_record *r, XXH128_hash_t id,
		      XXH128_hash_t content)
{
	size_t n = sd->nheld;
	int error;

	if (n < sd->v->o->sample) {
		if ((error = hold(sd, r, id, content, NULL)) < 0)
			return error;
		sift_up(sd->held, n);
		return 0;
	}
	if (id.low64 >= sd->held[0].id.low64)
		return 0;
	if ((error = hold(sd, r, id, content, &sd->held[0])) < 0)
		return error;
	sift_down(sd->held, n, 0);
	if (gm_arena_used(sd->hold) > 2 * sd->live_bytes + (4u << 20))
		return compact(sd);
	return 0;
}

/* ---- streaming ---- */

static void digest_add(struct gm_digest_bucket *d, XXH128_hash_t content)
{
	d->n++;
	d->lo += content.low64;
	d->hi += content.high64;
}

static XXH128_hash_t identity(const struct gm_record *r, const struct gm_buf *enc)
{
	if (r->key.p)
		return XXH3_128bits_withSeed(r->key.p, r->key.len, r->kind == GM_NODE ? 1 : 2);
	return XXH3_128bits_withSeed(enc->p, enc->len, 3);
}

/* The digest pass for one canonical record: its bucket and its label set / type count. */
static int digest_record(struct gm_digest_out *d, struct digest_scratch *sc,
			 const struct gm_record *r)
{
	XXH128_hash_t id, content;
	int error;

	if ((error = encode(&sc->enc, r)) < 0)
		return error;
	content = XXH3_128bits(sc->enc.p, sc->enc.len);
	id = identity(r, &sc->enc);
	digest_add(&d->buckets[id.low64 & low_mask(d->bits)], content);
	if (r->kind == GM_NODE)
		d->nodes++;
	else
		d->rels++;
	if (gm__record_rowname(&sc->tmp, r) < 0)
		return GM_ENOMEM;
	return d->count(d->ctx, sc->tmp.p, sc->tmp.len, r->kind == GM_REL, 1);
}

void gm_digest_release(struct gm_digest_out *d)
{
	struct digest_scratch *sc = d->scratch;

	if (sc) {
		gm_buf_free(&sc->enc);
		gm_buf_free(&sc->tmp);
		gm_free(sc);
	}
	d->scratch = NULL;
}

int gm_digest_add(struct gm_digest_out *d, struct gm_record *r)
{
	int error;

	if (!d->scratch && !(d->scratch = gm_calloc(1, sizeof(struct digest_scratch))))
		return GM_ENOMEM;
	if (r->kind == GM_NODE && !r->key.p)
		return gm_error_set(GM_EDATA, "node without a key");
	if (r->kind != GM_NODE && r->kind != GM_REL)
		return gm_error_set(GM_EDATA, "record of unknown kind");
	if ((error = gm_record_canonicalize(r)) < 0)
		return error;
	return digest_record(d, d->scratch, r);
}

static int count_row(void *ctx, const char *name, size_t len, int is_rel, uint64_t n)
{
	struct side *sd = ctx;

	return rowtab_add(&sd->rows, name, len, is_rel, sd->idx, n);
}

static void side_digest_out(struct side *sd, struct gm_digest_out *d)
{
	memset(d, 0, sizeof(*d));
	d->bits = sd->v->dbits;
	d->buckets = sd->dig;
	d->count = count_row;
	d->ctx = sd;
}

/*
 * The digest pass by the backend's digest slot. 0 when it ran; 1 when this
 * side must be streamed instead (the slot declined or met an unreadable
 * record: what it filled is undone); < 0 on failure.
 */
static int backend_digest(struct side *sd, struct gm_backend *src)
{
	struct verifier *v = sd->v;
	struct gm_digest_out d;
	int error;

	side_digest_out(sd, &d);
	error = src->ops->digest(src, &d);
	gm_digest_release(&d);
	if (error == 0) {
		v->rep->nodes[sd->idx] = d.nodes;
		v->rep->rels[sd->idx] = d.rels;
		v->rep->digested[sd->idx] = 1;
		return 0;
	}
	if (error != GM_EUNSUPPORTED && error != GM_EDATA)
		return error;
	memset(sd->dig, 0, v->ndig * sizeof(*sd->dig));
	rowtab_free(&sd->rows);
	return 1;
}

static int on_record(struct side *sd, struct gm_record *r)
{
	struct verifier *v = sd->v;
	XXH128_hash_t id, content;
	int error;
	size_t k;

	if (v->mode == P_DIGEST) {
		struct gm_digest_out d;
		struct digest_scratch sc = {sd->enc, sd->tmp};

		side_digest_out(sd, &d);
		error = digest_record(&d, &sc, r);
		sd->enc = sc.enc;
		sd->tmp = sc.tmp;
		return error;
	}
	if ((error = encode(&sd->enc, r)) < 0)
		return error;
	content = XXH3_128bits(sd->enc.p, sd->enc.len);
	id = identity(r, &sd->enc);
	switch (v->mode) {
	case P_DIGEST: return 0;
	case P_REFINE:
		if ((k = region_find(v, id.low64)) == (size_t)-1)
			return 0;
		digest_add(
			&sd->dig[(k << v->rshift) | ((v->rbits >= 64 ? 0 : id.low64 >> v->rbits) &
						     low_mask(v->rshift))],
			content);
		return 0;
	case P_COLLECT:
		if ((k = region_find(v, id.low64)) == (size_t)-1 || k < v->c0 || k >= v->c1)
			return 0;
		return hold(sd, r, id, content, NULL);
	case P_SAMPLE:
		if ((error = row_count(sd, r)) < 0)
			return error;
		return sample_add(sd, r, id, content);
	}
	return 0;
}

static int note_unreadable(struct side *sd, const struct gm_record *r)
{
	struct unreadable *u;

	sd->v->rep->unreadable[sd->idx]++;
	if (sd->nbad >= sd->v->max_diffs)
		return 0;
	if (!(u = gm_realloc(sd->bad, (sd->nbad + 1) * sizeof(*u))))
		return GM_ENOMEM;
	sd->bad = u;
	u += sd->nbad;
	u->is_rel = r->kind == GM_REL;
	if (!(u->text = gm_strdup(gm_error_last())))
		return GM_ENOMEM;
	sd->nbad++;
	return 0;
}

static int stream(struct side *sd)
{
	struct verifier *v = sd->v;
	struct gm_open_opts ro = {.mode = GM_OPEN_READ};
	struct gm_backend *src = NULL;
	const char *uri = v->uri[sd->idx];
	int first = v->mode == P_DIGEST || v->mode == P_SAMPLE;
	int error;

	if ((error = gm_backend_open(&src, uri, &ro)) < 0)
		return error;
	if (v->mode == P_DIGEST && !v->o->no_digest && src->ops->digest) {
		error = backend_digest(sd, src);
		gm_backend_close(src);
		src = NULL;
		if (error <= 0)
			return error;
		if ((error = gm_backend_open(&src, uri, &ro)) < 0)
			return error;
	}
	for (;;) {
		struct gm_record r;

		if (gm_interrupted) {
			error = gm_error_set(GM_EINTR, "interrupted");
			break;
		}
		memset(&r, 0, sizeof(r));
		gm_arena_reset(sd->read_arena);
		error = src->ops->read_next(src, &r, sd->read_arena);
		if (error == GM_ITEROVER) {
			error = 0;
			break;
		}
		if (error == 0 && r.kind == GM_NODE && !r.key.p)
			error = gm_error_set(GM_EDATA, "'%s': node without a key (line %llu)", uri,
					     (unsigned long long)r.line);
		if (error == 0 && r.kind != GM_NODE && r.kind != GM_REL)
			error = gm_error_set(GM_EDATA, "'%s': record of unknown kind (line %llu)",
					     uri, (unsigned long long)r.line);
		if (error == 0 && (error = gm_record_canonicalize(&r)) < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", gm_error_last());
			error = gm_error_set(error, "'%s': invalid %s '%.*s' (line %llu): %s", uri,
					     r.kind == GM_NODE ? "node" : "relationship",
					     (int)r.key.len, r.key.p ? r.key.p : "",
					     (unsigned long long)r.line, why);
		}
		if (first && r.kind == GM_NODE)
			v->rep->nodes[sd->idx]++;
		else if (first && r.kind == GM_REL)
			v->rep->rels[sd->idx]++;
		if (error == GM_EDATA) {
			if (first && (error = note_unreadable(sd, &r)) < 0)
				break;
			continue;
		}
		if (error < 0)
			break;
		if ((error = on_record(sd, &r)) < 0)
			break;
	}
	gm_backend_close(src);
	return error;
}

static void *stream_thread(void *arg)
{
	struct side *sd = arg;

	sd->error = stream(sd);
	if (sd->error < 0)
		snprintf(sd->message, sizeof(sd->message), "%s", gm_error_last());
	return NULL;
}

/* Streams both sides, the second in a thread of its own when one can be made. */
static int run_pass(struct verifier *v, enum pass_mode mode)
{
	pthread_t t;
	int threaded;

	v->mode = mode;
	threaded = pthread_create(&t, NULL, stream_thread, &v->side[1]) == 0;
	stream_thread(&v->side[0]);
	if (threaded)
		pthread_join(t, NULL);
	else
		stream_thread(&v->side[1]);
	for (int s = 0; s < 2; s++)
		if (v->side[s].error < 0)
			return gm_error_set(v->side[s].error, "%s", v->side[s].message);
	v->rep->passes++;
	return 0;
}

static int differs(const struct verifier *v, size_t i)
{
	const struct gm_digest_bucket *a = &v->side[0].dig[i], *b = &v->side[1].dig[i];

	return a->n != b->n || a->lo != b->lo || a->hi != b->hi;
}

/* (Re)allocates both sides' digests: n each, zeroed. */
static int new_digests(struct verifier *v, size_t n)
{
	v->ndig = n;
	for (int s = 0; s < 2; s++) {
		gm_free(v->side[s].dig);
		if (!(v->side[s].dig = gm_calloc(n, sizeof(struct gm_digest_bucket))))
			return GM_ENOMEM;
	}
	return 0;
}

struct region {
	uint64_t val, n;
};

static int cmp_region(const void *a, const void *b)
{
	return cmp_u64(&((const struct region *)a)->val, &((const struct region *)b)->val);
}

/*
 * Keeps the differing digests as the new regions (values at rbits + shift bits,
 * sorted) with the records each holds; *records is their sum.
 */
static int select_regions(struct verifier *v, unsigned shift, uint64_t *records)
{
	size_t n = 0, k = 0;
	struct region *reg;
	uint64_t *nv, *nc;

	*records = 0;
	for (size_t i = 0; i < v->ndig; i++)
		n += differs(v, i);
	reg = gm_malloc((n ? n : 1) * sizeof(*reg));
	nv = gm_malloc((n ? n : 1) * sizeof(uint64_t));
	nc = gm_malloc((n ? n : 1) * sizeof(uint64_t));
	if (!reg || !nv || !nc) {
		gm_free(reg);
		gm_free(nv);
		gm_free(nc);
		return GM_ENOMEM;
	}
	for (size_t i = 0; i < v->ndig; i++) {
		if (!differs(v, i))
			continue;
		reg[k].n = v->side[0].dig[i].n + v->side[1].dig[i].n;
		*records += reg[k].n;
		if (v->mode == P_DIGEST)
			reg[k].val = i;
		else
			reg[k].val =
				v->rv[i >> shift] | ((uint64_t)(i & low_mask(shift)) << v->rbits);
		k++;
	}
	qsort(reg, n, sizeof(*reg), cmp_region);
	for (size_t i = 0; i < n; i++) {
		nv[i] = reg[i].val;
		nc[i] = reg[i].n;
	}
	gm_free(reg);
	gm_free(v->rv);
	gm_free(v->rc);
	v->rv = nv;
	v->rc = nc;
	v->rn = n;
	v->rbits += shift;
	build_filter(v);
	return 0;
}

static int full_compare(struct verifier *v)
{
	unsigned bits = v->o->bucket_bits ? v->o->bucket_bits : DEFAULT_BITS;
	uint64_t records;
	int error = 0;

	if (bits > 20)
		bits = 20;
	v->dbits = bits;
	if ((error = new_digests(v, (size_t)1 << bits)) < 0 ||
	    (error = run_pass(v, P_DIGEST)) < 0 || (error = merge_sides(v)) < 0)
		return error;
	v->rbits = 0;
	if ((error = select_regions(v, bits, &records)) < 0)
		return error;
	v->rep->differing_buckets = v->rn;
	/* bisect: split the differing regions until their records fit in memory */
	while (v->rn && records > v->hold_limit && v->rbits < 64 && v->rn * 2 <= REFINE_SLOTS) {
		unsigned shift = 0;

		while (shift < 64 - v->rbits && (v->rn << (shift + 1)) <= REFINE_SLOTS)
			shift++;
		v->rshift = shift;
		if ((error = new_digests(v, v->rn << shift)) < 0 ||
		    (error = run_pass(v, P_REFINE)) < 0 ||
		    (error = select_regions(v, shift, &records)) < 0)
			return error;
	}
	/* compare: one pass per group of regions whose records fit (at least one region) */
	for (size_t c0 = 0; c0 < v->rn;) {
		uint64_t held = v->rc[c0];
		size_t c1 = c0 + 1;

		while (c1 < v->rn && held + v->rc[c1] <= v->hold_limit)
			held += v->rc[c1++];
		v->c0 = c0;
		v->c1 = c1;
		clear_held(v);
		if ((error = run_pass(v, P_COLLECT)) < 0 || (error = compare_held(v)) < 0)
			return error;
		if (listed_full(v) && c1 < v->rn) {
			v->rep->truncated = 1;
			break;
		}
		c0 = c1;
	}
	return 0;
}

static int sample_compare(struct verifier *v)
{
	uint64_t t = UINT64_MAX;
	int error;

	if ((error = run_pass(v, P_SAMPLE)) < 0 || (error = merge_sides(v)) < 0)
		return error;
	for (int s = 0; s < 2; s++) {
		struct side *sd = &v->side[s];

		if (sd->nheld >= v->o->sample && sd->nheld && sd->held[0].id.low64 < t)
			t = sd->held[0].id.low64;
	}
	for (int s = 0; s < 2; s++) {
		struct side *sd = &v->side[s];
		size_t k = 0;

		for (size_t i = 0; i < sd->nheld; i++)
			if (sd->held[i].id.low64 <= t)
				sd->held[k++] = sd->held[i];
		sd->nheld = k;
		v->rep->sampled[s] = k;
	}
	return compare_held(v);
}

static int check_uri(const char *uri)
{
	if (!strcmp(uri, "-"))
		return gm_error_set(GM_EINVAL,
				    "verify reads each side more than once: '-' (standard input) "
				    "cannot be compared, give a file");
	return 0;
}

int gm_verify(const char *from_uri, const char *to_uri, const struct gm_verify_opts *o,
	      struct gm_verify_report *rep)
{
	static const struct gm_verify_opts defaults;
	struct verifier v;
	struct timespec t0;
	int error;

	memset(rep, 0, sizeof(*rep));
	memset(&v, 0, sizeof(v));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!o)
		o = &defaults;
	v.o = o;
	v.rep = rep;
	v.uri[0] = from_uri;
	v.uri[1] = to_uri;
	v.max_diffs = o->max_diffs ? o->max_diffs : DEFAULT_MAX_DIFFS;
	v.hold_limit = o->hold_limit ? o->hold_limit : DEFAULT_HOLD;
	rep->equal = 1;
	if ((error = check_uri(from_uri)) < 0 || (error = check_uri(to_uri)) < 0)
		goto done;
	for (int s = 0; s < 2; s++) {
		v.side[s].v = &v;
		v.side[s].idx = s;
		if ((error = gm_arena_new(&v.side[s].read_arena)) < 0 ||
		    (error = gm_arena_new(&v.side[s].hold)) < 0)
			goto done;
	}
	error = o->sample ? sample_compare(&v) : full_compare(&v);
done:
	if (error < 0)
		rep->equal = 0;
	/* the rows belong to the report now */
	gm_free(v.rows.slots);
	for (int s = 0; s < 2; s++) {
		struct side *sd = &v.side[s];

		gm_arena_free(sd->read_arena);
		gm_arena_free(sd->hold);
		gm_free(sd->held);
		gm_free(sd->dig);
		rowtab_free(&sd->rows);
		for (size_t i = 0; i < sd->nbad; i++)
			gm_free(sd->bad[i].text);
		gm_free(sd->bad);
		gm_buf_free(&sd->enc);
		gm_buf_free(&sd->tmp);
	}
	if (!rep->rows) /* merge_sides did not run */
		rowtab_free(&v.rows);
	gm_free(v.rv);
	gm_free(v.rc);
	rep->seconds = gm__seconds_since(&t0);
	return error;
}

void gm_verify_report_free(struct gm_verify_report *rep)
{
	for (size_t i = 0; i < rep->nrows; i++)
		gm_free(rep->rows[i].name);
	for (size_t i = 0; i < rep->ndiffs; i++) {
		struct gm_diff *d = &rep->diffs[i];

		for (size_t k = 0; k < d->nfields; k++) {
			gm_free(d->fields[k].field);
			gm_free(d->fields[k].from_json);
			gm_free(d->fields[k].to_json);
		}
		gm_free(d->fields);
		gm_free(d->key);
	}
	gm_free(rep->rows);
	gm_free(rep->diffs);
	memset(rep, 0, sizeof(*rep));
}
