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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "gmig/sys/backend.h"
#include "typedjson.h"

#define DEFAULT_BITS 16
#define DEFAULT_HOLD 200000
#define DEFAULT_MAX_DIFFS 100
#define REFINE_SLOTS (1u << 16)
#define FILTER_BITS 16

struct digest {
	uint64_t n[2];
	uint64_t lo, hi; /* sum(first side) - sum(second side), per 64-bit half */
};

struct held {
	XXH128_hash_t id, content;
	int side;
	size_t bytes; /* arena bytes the copy took (sample compaction) */
	struct gm_record rec;
};

enum pass_mode { P_DIGEST, P_REFINE, P_COLLECT, P_SAMPLE };

struct vrow_slot {
	size_t idx; /* into rep->rows; (size_t)-1 empty */
};

struct verifier {
	const struct gm_verify_opts *o;
	struct gm_verify_report *rep;
	const char *uri[2];
	size_t max_diffs;
	uint64_t hold_limit;
	struct gm_arena *read_arena;
	struct gm_arena *hold[2];
	struct gm_buf enc, tmp;
	enum pass_mode mode;
	/* digests of the current pass */
	struct digest *dig;
	size_t ndig;
	/* regions: sorted low-`rbits` values of id.low64 (after the first pass) */
	uint64_t *rv, *rc; /* rc: records (both sides) in each region */
	size_t rn;
	unsigned rbits, rshift; /* rshift: sub-region bits of a refine pass */
	uint8_t filter[(1u << FILTER_BITS) / 8];
	size_t c0, c1; /* P_COLLECT: regions [c0, c1) */
	/* held records */
	struct held *held[2];
	size_t nheld[2], capheld[2];
	size_t live_bytes[2];
	/* rows by name */
	size_t *slots, nslots;
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

static int row_count(struct verifier *v, const struct gm_record *r, int side)
{
	struct gm_verify_report *rep = v->rep;
	struct gm_buf *b = &v->tmp;
	int is_rel = r->kind == GM_REL;
	size_t h, i;

	gm_buf_clear(b);
	if (is_rel) {
		gm_buf_puts(b, "[:");
		gm_buf_put(b, r->type.p, r->type.len);
		gm_buf_putc(b, ']');
	} else if (!r->nlabels) {
		gm_buf_puts(b, "(no labels)");
	} else {
		for (i = 0; i < r->nlabels; i++) {
			gm_buf_putc(b, ':');
			gm_buf_put(b, r->labels[i].p, r->labels[i].len);
		}
	}
	if (b->oom)
		return GM_ENOMEM;
	if (rep->nrows * 2 >= v->nslots) {
		size_t ns = v->nslots ? v->nslots * 2 : 64;
		size_t *slots = gm_malloc(ns * sizeof(size_t));
		struct gm_verify_row *rows = gm_realloc(rep->rows, (ns / 2 + 1) * sizeof(*rows));

		if (rows)
			rep->rows = rows;
		if (!slots || !rows) {
			gm_free(slots);
			return GM_ENOMEM;
		}
		for (i = 0; i < ns; i++)
			slots[i] = (size_t)-1;
		for (size_t k = 0; k < rep->nrows; k++) {
			h = hash_name(rep->rows[k].name, strlen(rep->rows[k].name),
				      rep->rows[k].is_rel);
			for (i = h & (ns - 1); slots[i] != (size_t)-1; i = (i + 1) & (ns - 1))
				;
			slots[i] = k;
		}
		gm_free(v->slots);
		v->slots = slots;
		v->nslots = ns;
	}
	h = hash_name(b->p, b->len, is_rel);
	for (i = h & (v->nslots - 1); v->slots[i] != (size_t)-1; i = (i + 1) & (v->nslots - 1)) {
		struct gm_verify_row *row = &rep->rows[v->slots[i]];

		if (row->is_rel == is_rel && !strcmp(row->name, b->p) &&
		    strlen(row->name) == b->len) {
			row->count[side]++;
			return 0;
		}
	}
	{
		struct gm_verify_row *row = &rep->rows[rep->nrows];

		memset(row, 0, sizeof(*row));
		if (!(row->name = gm_malloc(b->len + 1)))
			return GM_ENOMEM;
		memcpy(row->name, b->p, b->len + 1);
		row->is_rel = is_rel;
		row->count[side] = 1;
		v->slots[i] = rep->nrows++;
	}
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

static int report(struct verifier *v, enum gm_diff_kind kind, const struct held *a,
		  const struct held *b)
{
	const struct gm_record *r = a ? &a->rec : &b->rec;
	int is_rel = r->kind == GM_REL;
	struct gm_diff *d;

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
	struct held *A = v->held[0], *B = v->held[1];
	size_t na = v->nheld[0], nb = v->nheld[1], i = 0, j = 0;
	int error;

	qsort(A, na, sizeof(*A), cmp_held);
	qsort(B, nb, sizeof(*B), cmp_held);
	while (i < na || j < nb) {
		size_t ie = i, je = j, a, b;
		const struct held *key;
		/* leftovers after exact matches, as index lists within the group */
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

static int hold(struct verifier *v, int side, const struct gm_record *r, XXH128_hash_t id,
		XXH128_hash_t content, struct held *into)
{
	struct gm_arena *a = v->hold[side];
	size_t before = gm_arena_used(a);
	struct held h;
	int error;

	memset(&h, 0, sizeof(h));
	h.id = id;
	h.content = content;
	h.side = side;
	if ((error = gm_record_copy(&h.rec, r, a)) < 0)
		return error;
	h.bytes = gm_arena_used(a) - before;
	if (!into) {
		if (v->nheld[side] == v->capheld[side]) {
			size_t nc = v->capheld[side] ? v->capheld[side] * 2 : 1024;
			struct held *n = gm_realloc(v->held[side], nc * sizeof(*n));

			if (!n)
				return GM_ENOMEM;
			v->held[side] = n;
			v->capheld[side] = nc;
		}
		into = &v->held[side][v->nheld[side]++];
	} else {
		v->live_bytes[side] -= into->bytes;
	}
	*into = h;
	v->live_bytes[side] += h.bytes;
	return 0;
}

static void clear_held(struct verifier *v)
{
	for (int s = 0; s < 2; s++) {
		v->nheld[s] = 0;
		v->live_bytes[s] = 0;
		gm_arena_reset(v->hold[s]);
	}
}

/* Sample: a max-heap on id.low64 of the N smallest. */
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
		struct held t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(struct held *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (h[p].id.low64 >= h[i].id.low64)
			return;
		struct held t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

/* Copies the live sampled records of side into a fresh arena (the heap left garbage). */
static int compact(struct verifier *v, int side)
{
	struct gm_arena *na;
	int error;

	if ((error = gm_arena_new(&na)) < 0)
		return error;
	for (size_t i = 0; i < v->nheld[side]; i++) {
		struct gm_record r;

		if ((error = gm_record_copy(&r, &v->held[side][i].rec, na)) < 0) {
			gm_arena_free(na);
			return error;
		}
		v->held[side][i].rec = r;
	}
	gm_arena_free(v->hold[side]);
	v->hold[side] = na;
	return 0;
}

static int sample_add(struct verifier *v, int side, const struct gm_record *r, XXH128_hash_t id,
		      XXH128_hash_t content)
{
	size_t n = v->nheld[side];
	int error;

	if (n < v->o->sample) {
		if ((error = hold(v, side, r, id, content, NULL)) < 0)
			return error;
		sift_up(v->held[side], n);
		return 0;
	}
	if (id.low64 >= v->held[side][0].id.low64)
		return 0;
	if ((error = hold(v, side, r, id, content, &v->held[side][0])) < 0)
		return error;
	sift_down(v->held[side], n, 0);
	if (gm_arena_used(v->hold[side]) > 2 * v->live_bytes[side] + (4u << 20))
		return compact(v, side);
	return 0;
}

/* ---- streaming ---- */

static int on_record(struct verifier *v, int side, struct gm_record *r)
{
	XXH128_hash_t id, content;
	int error;
	size_t k;

	if ((error = encode(&v->enc, r)) < 0)
		return error;
	content = XXH3_128bits(v->enc.p, v->enc.len);
	if (r->key.p)
		id = XXH3_128bits_withSeed(r->key.p, r->key.len, r->kind == GM_NODE ? 1 : 2);
	else
		id = XXH3_128bits_withSeed(v->enc.p, v->enc.len, 3);
	switch (v->mode) {
	case P_DIGEST: {
		struct digest *d = &v->dig[id.low64 & (v->ndig - 1)];

		if ((error = row_count(v, r, side)) < 0)
			return error;
		d->n[side]++;
		if (side == 0) {
			d->lo += content.low64;
			d->hi += content.high64;
		} else {
			d->lo -= content.low64;
			d->hi -= content.high64;
		}
		return 0;
	}
	case P_REFINE: {
		struct digest *d;

		if ((k = region_find(v, id.low64)) == (size_t)-1)
			return 0;
		d = &v->dig[(k << v->rshift) |
			    ((v->rbits >= 64 ? 0 : id.low64 >> v->rbits) & low_mask(v->rshift))];
		d->n[side]++;
		if (side == 0) {
			d->lo += content.low64;
			d->hi += content.high64;
		} else {
			d->lo -= content.low64;
			d->hi -= content.high64;
		}
		return 0;
	}
	case P_COLLECT:
		if ((k = region_find(v, id.low64)) == (size_t)-1 || k < v->c0 || k >= v->c1)
			return 0;
		return hold(v, side, r, id, content, NULL);
	case P_SAMPLE:
		if ((error = row_count(v, r, side)) < 0)
			return error;
		return sample_add(v, side, r, id, content);
	}
	return 0;
}

static int stream(struct verifier *v, int side)
{
	struct gm_open_opts ro = {.mode = GM_OPEN_READ};
	struct gm_backend *src = NULL;
	int first = v->mode == P_DIGEST || v->mode == P_SAMPLE;
	int error;

	if ((error = gm_backend_open(&src, v->uri[side], &ro)) < 0)
		return error;
	for (;;) {
		struct gm_record r;

		if (gm_interrupted) {
			error = gm_error_set(GM_EINTR, "interrupted");
			break;
		}
		memset(&r, 0, sizeof(r));
		gm_arena_reset(v->read_arena);
		error = src->ops->read_next(src, &r, v->read_arena);
		if (error == GM_ITEROVER) {
			error = 0;
			break;
		}
		if (error == 0 && r.kind == GM_NODE && !r.key.p)
			error = gm_error_set(GM_EDATA, "'%s': node without a key (line %llu)",
					     v->uri[side], (unsigned long long)r.line);
		if (error == 0 && r.kind != GM_NODE && r.kind != GM_REL)
			error = gm_error_set(GM_EDATA, "'%s': record of unknown kind (line %llu)",
					     v->uri[side], (unsigned long long)r.line);
		if (error == 0 && (error = gm_record_canonicalize(&r)) < 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", gm_error_last());
			error = gm_error_set(
				error, "'%s': invalid %s '%.*s' (line %llu): %s", v->uri[side],
				r.kind == GM_NODE ? "node" : "relationship", (int)r.key.len,
				r.key.p ? r.key.p : "", (unsigned long long)r.line, why);
		}
		if (first && r.kind == GM_NODE)
			v->rep->nodes[side]++;
		else if (first && r.kind == GM_REL)
			v->rep->rels[side]++;
		if (error == GM_EDATA) {
			if (first) {
				struct gm_diff *d;

				v->rep->unreadable[side]++;
				v->rep->equal = 0;
				if (!listed_full(v)) {
					if (!(d = new_diff(v, GM_DIFF_UNREADABLE, r.kind == GM_REL,
							   side)) ||
					    !(d->key = gm_strdup(gm_error_last()))) {
						error = GM_ENOMEM;
						break;
					}
				}
			}
			continue;
		}
		if (error < 0)
			break;
		if ((error = on_record(v, side, &r)) < 0)
			break;
	}
	gm_backend_close(src);
	return error;
}

static int run_pass(struct verifier *v, enum pass_mode mode)
{
	int error;

	v->mode = mode;
	for (int side = 0; side < 2; side++)
		if ((error = stream(v, side)) < 0)
			return error;
	v->rep->passes++;
	return 0;
}

static int differs(const struct digest *d)
{
	return d->n[0] != d->n[1] || d->lo || d->hi;
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
		n += differs(&v->dig[i]);
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
		if (!differs(&v->dig[i]))
			continue;
		reg[k].n = v->dig[i].n[0] + v->dig[i].n[1];
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
	v->ndig = (size_t)1 << bits;
	if (!(v->dig = gm_calloc(v->ndig, sizeof(*v->dig))))
		return GM_ENOMEM;
	if ((error = run_pass(v, P_DIGEST)) < 0)
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
		gm_free(v->dig);
		v->ndig = v->rn << shift;
		if (!(v->dig = gm_calloc(v->ndig, sizeof(*v->dig))))
			return GM_ENOMEM;
		v->rshift = shift;
		if ((error = run_pass(v, P_REFINE)) < 0)
			return error;
		if ((error = select_regions(v, shift, &records)) < 0)
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

	if ((error = run_pass(v, P_SAMPLE)) < 0)
		return error;
	for (int s = 0; s < 2; s++)
		if (v->nheld[s] >= v->o->sample && v->nheld[s] && v->held[s][0].id.low64 < t)
			t = v->held[s][0].id.low64;
	for (int s = 0; s < 2; s++) {
		size_t k = 0;

		for (size_t i = 0; i < v->nheld[s]; i++)
			if (v->held[s][i].id.low64 <= t)
				v->held[s][k++] = v->held[s][i];
		v->nheld[s] = k;
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
	struct timespec t0, t1;
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
	if ((error = gm_arena_new(&v.read_arena)) < 0 || (error = gm_arena_new(&v.hold[0])) < 0 ||
	    (error = gm_arena_new(&v.hold[1])) < 0)
		goto done;
	error = o->sample ? sample_compare(&v) : full_compare(&v);
done:
	if (error < 0)
		rep->equal = 0;
	gm_arena_free(v.read_arena);
	gm_arena_free(v.hold[0]);
	gm_arena_free(v.hold[1]);
	gm_free(v.held[0]);
	gm_free(v.held[1]);
	gm_free(v.dig);
	gm_free(v.rv);
	gm_free(v.rc);
	gm_free(v.slots);
	gm_buf_free(&v.enc);
	gm_buf_free(&v.tmp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
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
