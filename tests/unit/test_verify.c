/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gm_verify. The mutation test: for 1 000 seeds a generated graph
 * (every value type; every 7th relationship without a key) is written to a
 * JSONL file, a copy with one random mutation to another, and gm_verify must
 * (a) find a difference, (b) report exactly the keys a brute-force in-memory
 * comparator reports, with the default buckets and with 4 buckets and a tiny
 * hold limit (which forces bisection passes and several compare passes), and
 * (c) report no difference between the graph and an unmutated copy. Every
 * 10th seed also stores both graphs in sqlite: stores and compares them with
 * the digest slot (sqlite: against JSONL, sqlite: against sqlite:) and with
 * --no-digest: the same differences must come out.
 *
 * The digest slot test: for every conformance case and for random graphs, the
 * sqlite: store's digest slot gives bit-identical buckets and the same label /
 * type counts, in the same order, as gm_digest_add over read_next.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gmig/sys/backend.h"

#define MAXREC 2048

struct graph {
	struct gm_record r[MAXREC];
	size_t n;
};

static char dir[64];
static struct gm_arena *arena;

static void load(struct graph *g, int seed)
{
	char uri[128];
	struct gm_backend *b;
	struct gm_open_opts ro = {.mode = GM_OPEN_READ};
	int error;

	snprintf(uri, sizeof(uri), "generate:?nodes=%d&edges=%d&seed=%d", 30 + seed % 40,
		 100 + seed % 150, seed);
	assert_int_equal(gm_backend_open(&b, uri, &ro), 0);
	g->n = 0;
	for (;;) {
		struct gm_record *r = &g->r[g->n];

		memset(r, 0, sizeof(*r));
		error = b->ops->read_next(b, r, arena);
		if (error == GM_ITEROVER)
			break;
		assert_int_equal(error, 0);
		assert_int_equal(gm_record_canonicalize(r), 0);
		/* every 7th relationship without a key: identified by its content */
		if (r->kind == GM_REL && g->n % 7 == 3) {
			r->key.p = NULL;
			r->key.len = 0;
		}
		g->n++;
		assert_true(g->n < MAXREC - 4);
	}
	gm_backend_close(b);
}

static void remove_store(const char *uri)
{
	char p[160];
	const char *path = strncmp(uri, "sqlite:", 7) ? uri : uri + 7;

	unlink(path);
	if (snprintf(p, sizeof(p), "%s-wal", path) < (int)sizeof(p))
		unlink(p);
	if (snprintf(p, sizeof(p), "%s-shm", path) < (int)sizeof(p))
		unlink(p);
}

/* Writes g to path (a new file or store, replacing what was there). */
static void save(const struct graph *g, const char *path)
{
	struct gm_backend *b;
	struct gm_open_opts wo = {.mode = GM_OPEN_WRITE, .flags = GM_OPEN_F_OVERWRITE};

	remove_store(path);
	assert_int_equal(gm_backend_open(&b, path, &wo), 0);
	if (g->n)
		assert_int_equal(b->ops->write_batch(b, g->r, g->n), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
}

/* 1 when g has no two nodes, and no two keyed relationships, with one key. */
static int keys_unique(const struct graph *g)
{
	for (size_t i = 0; i < g->n; i++)
		for (size_t j = i + 1; g->r[i].key.p && j < g->n; j++)
			if (g->r[j].kind == g->r[i].kind && g->r[j].key.p &&
			    gm_str_eq(g->r[i].key, g->r[j].key))
				return 0;
	return 1;
}

/* ---- the reference: brute force over both graphs in memory ---- */

static int record_equal(const struct gm_record *a, const struct gm_record *b)
{
	if (a->kind != b->kind || !gm_str_eq(a->key, b->key) || !a->key.p != !b->key.p ||
	    a->nlabels != b->nlabels || a->nprops != b->nprops || !gm_str_eq(a->type, b->type) ||
	    !gm_str_eq(a->from, b->from) || !gm_str_eq(a->to, b->to))
		return 0;
	for (size_t i = 0; i < a->nlabels; i++)
		if (!gm_str_eq(a->labels[i], b->labels[i]))
			return 0;
	for (size_t i = 0; i < a->nprops; i++)
		if (!gm_str_eq(a->props[i].key, b->props[i].key) ||
		    !gm_value_equal(&a->props[i].val, &b->props[i].val))
			return 0;
	return 1;
}

/* Same identity: same kind and key; a relationship without a key: equal content. */
static int same_identity(const struct gm_record *a, const struct gm_record *b)
{
	if (a->kind != b->kind || !a->key.p != !b->key.p)
		return 0;
	if (!a->key.p)
		return record_equal(a, b);
	return gm_str_eq(a->key, b->key);
}

static void display(const struct gm_record *r, char *buf, size_t len)
{
	if (r->key.p)
		snprintf(buf, len, "%.*s", (int)r->key.len, r->key.p);
	else
		snprintf(buf, len, "(%.*s)-[:%.*s]->(%.*s)", (int)r->from.len, r->from.p,
			 (int)r->type.len, r->type.p, (int)r->to.len, r->to.p);
}

/* Differences as sorted lines "kind node|rel key". */
struct lines {
	char l[64][160];
	size_t n;
};

static int cmp_line(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void add_line(struct lines *ls, int kind, int is_rel, const char *key)
{
	assert_true(ls->n < 64);
	snprintf(ls->l[ls->n++], sizeof(ls->l[0]), "%d %s %s", kind, is_rel ? "rel" : "node", key);
}

static void reference(const struct graph *a, const struct graph *b, struct lines *out)
{
	static unsigned char ua[MAXREC], ub[MAXREC];
	char key[128];

	memset(ua, 0, sizeof(ua));
	memset(ub, 0, sizeof(ub));
	out->n = 0;
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (!ub[j] && record_equal(&a->r[i], &b->r[j])) {
				ua[i] = ub[j] = 1;
				break;
			}
	for (size_t i = 0; i < a->n; i++) {
		if (ua[i])
			continue;
		display(&a->r[i], key, sizeof(key));
		for (size_t j = 0; j < b->n; j++)
			if (!ub[j] && same_identity(&a->r[i], &b->r[j])) {
				ua[i] = ub[j] = 1;
				add_line(out, GM_DIFF_CHANGED, a->r[i].kind == GM_REL, key);
				break;
			}
		if (!ua[i])
			add_line(out, GM_DIFF_MISSING, a->r[i].kind == GM_REL, key);
	}
	for (size_t j = 0; j < b->n; j++)
		if (!ub[j]) {
			display(&b->r[j], key, sizeof(key));
			add_line(out, GM_DIFF_EXTRA, b->r[j].kind == GM_REL, key);
		}
	qsort(out->l, out->n, sizeof(out->l[0]), cmp_line);
}

static void from_report(const struct gm_verify_report *rep, struct lines *out)
{
	out->n = 0;
	for (size_t i = 0; i < rep->ndiffs; i++)
		add_line(out, rep->diffs[i].kind, rep->diffs[i].is_rel, rep->diffs[i].key);
	qsort(out->l, out->n, sizeof(out->l[0]), cmp_line);
}

/* ---- mutations ---- */

static size_t pick(const struct graph *g, enum gm_kind kind, unsigned *rnd, int need_props,
		   int need_labels)
{
	size_t tries = 0;

	for (;;) {
		size_t i = (size_t)(rand_r(rnd) % (int)g->n);

		if (g->r[i].kind == kind && (!need_props || g->r[i].nprops) &&
		    (!need_labels || g->r[i].nlabels))
			return i;
		assert_true(++tries < 100000);
	}
}

static size_t first_rel(const struct graph *g)
{
	size_t i = 0;

	while (i < g->n && g->r[i].kind == GM_NODE)
		i++;
	return i;
}

static void insert_at(struct graph *g, size_t at, const struct gm_record *r)
{
	memmove(&g->r[at + 1], &g->r[at], (g->n - at) * sizeof(g->r[0]));
	g->r[at] = *r;
	g->n++;
}

static void remove_at(struct graph *g, size_t at)
{
	memmove(&g->r[at], &g->r[at + 1], (g->n - at - 1) * sizeof(g->r[0]));
	g->n--;
}

/* Changes property values in place: a copy of the prop array, so the original graph keeps its. */
static struct gm_prop *own_props(struct gm_record *r)
{
	struct gm_prop *p = gm_arena_alloc(arena, (r->nprops + 1) * sizeof(*p));

	assert_non_null(p);
	memcpy(p, r->props, r->nprops * sizeof(*p));
	r->props = p;
	return p;
}

static const char *mutate(struct graph *g, unsigned *rnd)
{
	int m = rand_r(rnd) % 11;
	struct gm_record r;
	size_t i;

	switch (m) {
	case 0: { /* change a value, keeping the type where it has a neighbour */
		int rel = rand_r(rnd) % 2;
		struct gm_prop *p;
		struct gm_value *val;

		i = pick(g, rel ? GM_REL : GM_NODE, rnd, 1, 0);
		p = own_props(&g->r[i]);
		val = &p[rand_r(rnd) % (int)g->r[i].nprops].val;
		switch (val->type) {
		case GM_T_INT: val->u.i ^= 1; return "value int";
		case GM_T_FLOAT:
			if (isnan(val->u.f))
				val->u.f = 1.5;
			else
				val->u.f = -val->u.f; /* 0.0 -> -0.0 must differ */
			return "value float";
		case GM_T_BOOL: val->u.b = !val->u.b; return "value bool";
		case GM_T_STRING: {
			char *s = gm_arena_alloc(arena, val->u.s.len + 2);

			memcpy(s, val->u.s.p, val->u.s.len);
			s[val->u.s.len] = '~';
			val->u.s.p = s;
			val->u.s.len++;
			return "value string";
		}
		default:
			val->type = val->type == GM_T_NULL ? GM_T_INT : GM_T_NULL;
			val->u.i = 3;
			return "value other";
		}
	}
	case 1: { /* change a value's type */
		struct gm_prop *p;
		struct gm_value *val;

		i = pick(g, rand_r(rnd) % 2 ? GM_REL : GM_NODE, rnd, 1, 0);
		p = own_props(&g->r[i]);
		val = &p[rand_r(rnd) % (int)g->r[i].nprops].val;
		if (val->type == GM_T_INT) {
			val->type = GM_T_FLOAT;
			val->u.f = (double)val->u.i;
		} else if (val->type == GM_T_STRING) {
			val->type = GM_T_BYTES; /* same bytes, other type */
		} else {
			val->type = GM_T_STRING;
			val->u.s.p = "7";
			val->u.s.len = 1;
		}
		return "type";
	}
	case 2: /* drop a label */
		i = pick(g, GM_NODE, rnd, 0, 1);
		g->r[i].nlabels--; /* the last one; the array stays sorted */
		return "drop label";
	case 3: { /* add a label */
		struct gm_str *l;

		i = pick(g, GM_NODE, rnd, 0, 0);
		l = gm_arena_alloc(arena, (g->r[i].nlabels + 1) * sizeof(*l));
		memcpy(l, g->r[i].labels, g->r[i].nlabels * sizeof(*l));
		l[g->r[i].nlabels] = gm_str_c("Zmutant"); /* sorts last */
		g->r[i].labels = l;
		g->r[i].nlabels++;
		return "add label";
	}
	case 4: /* drop a node */ remove_at(g, pick(g, GM_NODE, rnd, 0, 0)); return "drop node";
	case 5: /* add a node */
		memset(&r, 0, sizeof(r));
		r.kind = GM_NODE;
		r.key = gm_str_c("mutant-node");
		insert_at(g, 0, &r);
		return "add node";
	case 6: /* duplicate a node */
		i = pick(g, GM_NODE, rnd, 0, 0);
		r = g->r[i];
		insert_at(g, i, &r);
		return "duplicate node";
	case 7: /* drop a relationship */
		remove_at(g, pick(g, GM_REL, rnd, 0, 0));
		return "drop relationship";
	case 8: /* add a relationship, with or without a key */
		memset(&r, 0, sizeof(r));
		r.kind = GM_REL;
		if (rand_r(rnd) % 2)
			r.key = gm_str_c("mutant-rel");
		r.type = gm_str_c("KNOWS");
		r.from = g->r[0].key;
		r.to = g->r[0].key;
		insert_at(g, g->n, &r);
		return "add relationship";
	case 9: /* duplicate a relationship */
		i = pick(g, GM_REL, rnd, 0, 0);
		r = g->r[i];
		insert_at(g, i, &r);
		return "duplicate relationship";
	default: { /* retarget a relationship to another node */
		size_t n = first_rel(g);

		i = pick(g, GM_REL, rnd, 0, 0);
		for (size_t k = 0; k < n; k++) {
			struct gm_str to = g->r[(k + (size_t)rand_r(rnd)) % n].key;

			if (!gm_str_eq(to, g->r[i].to)) {
				g->r[i].to = to;
				break;
			}
		}
		return "retarget";
	}
	}
}

static void run_verify_ex(const char *a, const char *b, unsigned bits, uint64_t hold, int no_digest,
			  struct gm_verify_report *rep)
{
	struct gm_verify_opts o;

	memset(&o, 0, sizeof(o));
	o.max_diffs = 1000;
	o.bucket_bits = bits;
	o.hold_limit = hold;
	o.no_digest = no_digest;
	assert_int_equal(gm_verify(a, b, &o, rep), 0);
}

static void run_verify(const char *a, const char *b, unsigned bits, uint64_t hold,
		       struct gm_verify_report *rep)
{
	run_verify_ex(a, b, bits, hold, 0, rep);
}

/* verify a b must report exactly want; sides: which of them must use the digest slot */
static void expect_diffs(const char *a, const char *b, int no_digest, const int slot[2],
			 const struct lines *want, int seed, const char *what)
{
	struct gm_verify_report rep;
	struct lines got;

	for (int cfg = 0; cfg < 2; cfg++) {
		run_verify_ex(a, b, cfg ? 2 : 0, cfg ? 8 : 0, no_digest, &rep);
		for (int s = 0; s < 2; s++)
			if (rep.digested[s] != (!no_digest && slot[s]))
				fail_msg("seed %d (%s, %s vs %s): side %d digested %d", seed, what,
					 a, b, s, rep.digested[s]);
		from_report(&rep, &got);
		if (got.n != want->n)
			fail_msg("seed %d (%s, %s vs %s, cfg %d, no_digest %d): %zu differences, "
				 "reference %zu",
				 seed, what, a, b, cfg, no_digest, got.n, want->n);
		for (size_t k = 0; k < got.n; k++)
			if (strcmp(got.l[k], want->l[k]))
				fail_msg("seed %d (%s, cfg %d): '%s', reference '%s'", seed, what,
					 cfg, got.l[k], want->l[k]);
		if (!want->n && (!rep.equal || rep.differing_buckets))
			fail_msg("seed %d: equal graphs, %llu differing buckets", seed,
				 (unsigned long long)rep.differing_buckets);
		gm_verify_report_free(&rep);
	}
}

static void test_mutations(void **state)
{
	static struct graph ga, gb;
	char pa[128], pb[128], sa[128], sb[128];
	int seeds = getenv("GMIG_VERIFY_SEEDS") ? atoi(getenv("GMIG_VERIFY_SEEDS")) : 1000;
	int sq_runs = 0, sq_both = 0;

	(void)state;
	snprintf(pa, sizeof(pa), "%s/a.jsonl", dir);
	snprintf(pb, sizeof(pb), "%s/b.jsonl", dir);
	snprintf(sa, sizeof(sa), "sqlite:%s/a.db", dir);
	snprintf(sb, sizeof(sb), "sqlite:%s/b.db", dir);
	for (int seed = 1; seed <= seeds; seed++) {
		struct gm_verify_report rep;
		struct lines want, got;
		unsigned rnd = (unsigned)seed * 2654435761u;
		const char *what;

		gm_arena_reset(arena);
		load(&ga, seed);
		save(&ga, pa);
		gb = ga;
		/* clean copy: equal, by the full check and by a sample */
		save(&gb, pb);
		run_verify(pa, pb, 0, 0, &rep);
		if (!rep.equal || rep.ndiffs)
			fail_msg("seed %d: clean copy reported different (%zu diffs)", seed,
				 rep.ndiffs);
		assert_int_equal(rep.nodes[0], rep.nodes[1]);
		gm_verify_report_free(&rep);

		what = mutate(&gb, &rnd);
		save(&gb, pb);
		reference(&ga, &gb, &want);
		if (!want.n)
			fail_msg("seed %d: mutation '%s' made no difference", seed, what);
		for (int cfg = 0; cfg < 2; cfg++) {
			run_verify(pa, pb, cfg ? 2 : 0, cfg ? 8 : 0, &rep);
			if (rep.equal)
				fail_msg("seed %d: mutation '%s' not detected (cfg %d)", seed, what,
					 cfg);
			from_report(&rep, &got);
			if (got.n != want.n)
				fail_msg("seed %d (%s, cfg %d): %zu differences, reference %zu: %s",
					 seed, what, cfg, got.n, want.n, got.n ? got.l[0] : "");
			for (size_t k = 0; k < got.n; k++)
				if (strcmp(got.l[k], want.l[k]))
					fail_msg("seed %d (%s, cfg %d): '%s', reference '%s'", seed,
						 what, cfg, got.l[k], want.l[k]);
			if (cfg)
				assert_true(rep.passes >= 2);
			gm_verify_report_free(&rep);
		}
		if (seed % 10)
			continue;
		/* the same through sqlite: stores, with and without the digest slot */
		save(&ga, sa);
		sq_runs++;
		for (int nd = 0; nd < 2; nd++) {
			static const int slot_a[2] = {1, 0}, slot_ab[2] = {1, 1};

			expect_diffs(sa, pb, nd, slot_a, &want, seed, what);
			if (!keys_unique(&gb))
				continue;
			if (!nd) {
				save(&gb, sb);
				sq_both++;
			}
			expect_diffs(sa, sb, nd, slot_ab, &want, seed, what);
		}
	}
	if (seeds >= 80)
		assert_true(sq_runs > 0 && sq_both > 0);
}

/* ---- the digest slot against streaming ---- */

/* the label / type counts in the order they come: a hash of the sequence and a total */
struct count_seq {
	uint64_t h, n;
};

static int count_seq_add(void *ctx, const char *name, size_t len, int is_rel, uint64_t n)
{
	struct count_seq *c = ctx;

	for (size_t i = 0; i < len; i++)
		c->h = (c->h ^ (unsigned char)name[i]) * 1099511628211ULL;
	c->h = (c->h ^ (uint64_t)is_rel ^ (n << 8)) * 1099511628211ULL;
	c->n += n;
	return 0;
}

/* Digests of uri by the slot (slot 1) or by gm_digest_add over read_next (slot 0). */
static void digests_of(const char *uri, unsigned bits, int slot, struct gm_digest_bucket *bk,
		       struct count_seq *c, uint64_t *nodes, uint64_t *rels)
{
	struct gm_backend *b;
	struct gm_open_opts ro = {.mode = GM_OPEN_READ};
	struct gm_digest_out d;
	struct gm_arena *a;

	memset(bk, 0, ((size_t)1 << bits) * sizeof(*bk));
	memset(c, 0, sizeof(*c));
	memset(&d, 0, sizeof(d));
	d.bits = bits;
	d.buckets = bk;
	d.count = count_seq_add;
	d.ctx = c;
	assert_int_equal(gm_backend_open(&b, uri, &ro), 0);
	if (slot) {
		assert_non_null(b->ops->digest);
		assert_int_equal(b->ops->digest(b, &d), 0);
	} else {
		assert_int_equal(gm_arena_new(&a), 0);
		for (;;) {
			struct gm_record r;
			int error;

			memset(&r, 0, sizeof(r));
			gm_arena_reset(a);
			error = b->ops->read_next(b, &r, a);
			if (error == GM_ITEROVER)
				break;
			assert_int_equal(error, 0);
			assert_int_equal(gm_digest_add(&d, &r), 0);
		}
		gm_arena_free(a);
	}
	gm_digest_release(&d);
	gm_backend_close(b);
	*nodes = d.nodes;
	*rels = d.rels;
}

/* The slot's digests of the store at uri equal the streamed ones, at 2^16 and 2^3 buckets. */
static void check_slot(const char *uri, const char *what)
{
	static struct gm_digest_bucket x[1u << 16], y[1u << 16];
	static const unsigned bits[2] = {16, 3};

	for (int k = 0; k < 2; k++) {
		struct count_seq cx, cy;
		uint64_t nx, rx, ny, ry, sum = 0;

		digests_of(uri, bits[k], 1, x, &cx, &nx, &rx);
		digests_of(uri, bits[k], 0, y, &cy, &ny, &ry);
		if (memcmp(x, y, ((size_t)1 << bits[k]) * sizeof(x[0])))
			fail_msg("%s: the slot's digests differ from the streamed ones (%u bits)",
				 what, bits[k]);
		assert_int_equal(nx, ny);
		assert_int_equal(rx, ry);
		assert_int_equal(cx.n, nx + rx);
		assert_true(cx.h == cy.h);
		for (size_t i = 0; i < ((size_t)1 << bits[k]); i++)
			sum += x[i].n;
		assert_int_equal(sum, nx + rx);
	}
}

static void test_digest_slot(void **state)
{
	static struct graph g;
	const char *data = getenv("GMIG_TEST_DATA");
	char path[512], line[512], uri[160], sq[160], js[160];
	FILE *f;
	int ncases = 0;
	struct gm_copy_opts co;
	struct gm_copy_stats st;

	(void)state;
	snprintf(sq, sizeof(sq), "sqlite:%s/slot.db", dir);
	snprintf(js, sizeof(js), "%s/slot.jsonl", dir);
	/* every conformance case (the first column of tests/conformance.tsv) */
	assert_non_null(data);
	snprintf(path, sizeof(path), "%s/../conformance.tsv", data);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f)) {
		struct gm_verify_report rep;
		size_t n = strcspn(line, " \t\n");

		if (line[0] == '#' || !n)
			continue;
		line[n] = '\0';
		snprintf(uri, sizeof(uri), "generate:?case=%.100s", line);
		/* dupkey: the store keeps the first of two nodes with one key */
		remove_store(sq);
		remove_store(js);
		memset(&co, 0, sizeof(co));
		co.on_error = GM_ON_ERROR_SKIP;
		co.force = 1;
		assert_int_equal(gm_copy(uri, sq, &co, &st), 0);
		gm_copy_stats_free(&st);
		check_slot(sq, line);
		/* verify with the slot against a streamed JSONL copy of the store */
		assert_int_equal(gm_copy(sq, js, &co, &st), 0);
		gm_copy_stats_free(&st);
		run_verify(sq, js, 0, 0, &rep);
		if (!rep.equal || rep.differing_buckets || !rep.digested[0] || rep.digested[1])
			fail_msg("case %s: equal %d, %llu differing buckets, digested %d/%d", line,
				 rep.equal, (unsigned long long)rep.differing_buckets,
				 rep.digested[0], rep.digested[1]);
		gm_verify_report_free(&rep);
		ncases++;
	}
	fclose(f);
	assert_true(ncases >= 8);
	/* random graphs (every value type; every 7th relationship without a key) */
	for (int seed = 1; seed <= 20; seed++) {
		gm_arena_reset(arena);
		load(&g, seed * 37);
		save(&g, sq);
		snprintf(uri, sizeof(uri), "seed %d", seed);
		check_slot(sq, uri);
	}
}

/* A row the slot cannot decode: that side is streamed, and the row reported unreadable. */
static void test_digest_fallback(void **state)
{
	static struct graph g;
	char sq[160], js[160];
	struct gm_verify_report rep;
	sqlite3 *db;

	(void)state;
	snprintf(sq, sizeof(sq), "sqlite:%s/bad.db", dir);
	snprintf(js, sizeof(js), "%s/bad.jsonl", dir);
	gm_arena_reset(arena);
	load(&g, 5);
	save(&g, sq);
	save(&g, js);
	run_verify(sq, js, 0, 0, &rep);
	assert_true(rep.equal);
	assert_int_equal(rep.digested[0], 1);
	gm_verify_report_free(&rep);
	assert_int_equal(sqlite3_open(sq + 7, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE gmig_nodes SET properties = '{bad' WHERE id = 2",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	run_verify(sq, js, 0, 0, &rep);
	assert_false(rep.equal);
	assert_int_equal(rep.digested[0], 0);
	assert_int_equal(rep.unreadable[0], 1);
	assert_int_equal(rep.extra[0], 1); /* the JSONL copy's node 2 has no equal */
	assert_int_equal(rep.nodes[0], rep.nodes[1]);
	gm_verify_report_free(&rep);
}

/* Writes a gmig JSONL file: header, the lines, and the end line with their counts. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int nodes = 0, rels = 0;

	for (const char *p = text; (p = strstr(p, "\"type\":\"")); p++)
		if (!strncmp(p + 8, "node", 4))
			nodes++;
		else if (!strncmp(p + 8, "relationship", 12))
			rels++;
	assert_non_null(f);
	fputs(text, f);
	fprintf(f, "{\"gmig\":\"end\",\"nodes\":%d,\"relationships\":%d}\n", nodes, rels);
	fclose(f);
}

#define HEAD "{\"gmig\":1}\n"
#define NODE(props) "{\"type\":\"node\",\"id\":\"a\",\"labels\":[\"P\"],\"properties\":" props "}\n"

static int equal_props(const char *x, const char *y)
{
	char pa[128], pb[128];
	struct gm_verify_report rep;
	char ta[512], tb[512];
	int eq;

	snprintf(pa, sizeof(pa), "%s/x.jsonl", dir);
	snprintf(pb, sizeof(pb), "%s/y.jsonl", dir);
	snprintf(ta, sizeof(ta), HEAD "{\"type\":\"node\",\"id\":\"a\",\"properties\":%s}\n", x);
	snprintf(tb, sizeof(tb), HEAD "{\"type\":\"node\",\"id\":\"a\",\"properties\":%s}\n", y);
	write_file(pa, ta);
	write_file(pb, tb);
	assert_int_equal(gm_verify(pa, pb, NULL, &rep), 0);
	eq = rep.equal;
	if (!eq) {
		assert_int_equal(rep.changed[0], 1);
		assert_int_equal(rep.ndiffs, 1);
		assert_string_equal(rep.diffs[0].fields[0].field, "v");
	}
	gm_verify_report_free(&rep);
	return eq;
}

static void test_value_rules(void **state)
{
	(void)state;
	assert_true(equal_props("{\"v\":{\"$type\":\"Float\",\"_value\":\"NaN\"}}",
				"{\"v\":{\"$type\":\"Float\",\"_value\":\"NaN\"}}"));
	assert_false(
		equal_props("{\"v\":0.0}", "{\"v\":{\"$type\":\"Float\",\"_value\":\"-0.0\"}}"));
	assert_false(equal_props("{\"v\":1}", "{\"v\":1.0}"));
	assert_false(equal_props(
		"{\"v\":{\"$type\":\"ZonedDateTime\",\"_value\":"
		"\"2020-06-01T12:00:00+02:00[Europe/Berlin]\"}}",
		"{\"v\":{\"$type\":\"OffsetDateTime\",\"_value\":\"2020-06-01T12:00:00+02:00\"}}"));
	assert_false(equal_props("{\"v\":{\"$type\":\"OffsetDateTime\",\"_value\":"
				 "\"2020-06-01T12:00:00+02:00\"}}",
				 "{\"v\":{\"$type\":\"OffsetDateTime\",\"_value\":"
				 "\"2020-06-01T10:00:00Z\"}}"));
	assert_true(equal_props("{\"v\":[1,{\"b\":2,\"a\":1}]}", "{\"v\":[1,{\"a\":1,\"b\":2}]}"));
	assert_false(equal_props("{\"v\":\"x\"}", "{}"));
}

static void test_report_fields(void **state)
{
	char pa[128], pb[128];
	struct gm_verify_report rep;
	struct gm_verify_opts o;

	(void)state;
	snprintf(pa, sizeof(pa), "%s/f1.jsonl", dir);
	snprintf(pb, sizeof(pb), "%s/f2.jsonl", dir);
	write_file(pa, HEAD NODE("{\"x\":1,\"y\":\"s\"}") "{\"type\":\"node\",\"id\":\"b\","
							  "\"labels\":[\"Q\"]}\n"
							  "{\"type\":\"relationship\",\"id\":"
							  "\"r1\",\"label\":\"K\",\"start\":\"a\","
							  "\"end\":\"b\"}\n");
	write_file(pb,
		   HEAD NODE("{\"x\":\"1\",\"z\":true}") "{\"type\":\"node\",\"id\":\"c\","
							 "\"labels\":[\"Q\"]}\n"
							 "{\"type\":\"relationship\",\"id\":\"r1\","
							 "\"label\":\"K\",\"start\":\"a\","
							 "\"end\":\"c\"}\n");
	assert_int_equal(gm_verify(pa, pb, NULL, &rep), 0);
	assert_false(rep.equal);
	assert_int_equal(rep.changed[0], 1);
	assert_int_equal(rep.missing[0], 1);
	assert_int_equal(rep.extra[0], 1);
	assert_int_equal(rep.changed[1], 1);
	assert_int_equal(rep.ndiffs, 4);
	for (size_t i = 0; i < rep.ndiffs; i++) {
		const struct gm_diff *d = &rep.diffs[i];

		if (d->kind == GM_DIFF_CHANGED && !d->is_rel) {
			assert_string_equal(d->key, "a");
			assert_int_equal(d->nfields, 3);
			assert_string_equal(d->fields[0].field, "x");
			assert_string_equal(d->fields[0].from_json, "1");
			assert_string_equal(d->fields[0].to_json, "\"1\"");
			assert_string_equal(d->fields[1].field, "y");
			assert_null(d->fields[1].to_json);
			assert_string_equal(d->fields[2].field, "z");
			assert_null(d->fields[2].from_json);
		} else if (d->kind == GM_DIFF_CHANGED) {
			assert_string_equal(d->key, "r1");
			assert_int_equal(d->nfields, 1);
			assert_string_equal(d->fields[0].field, "end");
			assert_false(d->fields[0].is_prop);
			assert_string_equal(d->fields[0].to_json, "\"c\"");
		} else if (d->kind == GM_DIFF_MISSING) {
			assert_string_equal(d->key, "b");
		} else {
			assert_int_equal(d->kind, GM_DIFF_EXTRA);
			assert_string_equal(d->key, "c");
		}
	}
	assert_int_equal(rep.nrows, 3);
	gm_verify_report_free(&rep);

	/* max_diffs caps the list, not the counts */
	memset(&o, 0, sizeof(o));
	o.max_diffs = 1;
	assert_int_equal(gm_verify(pa, pb, &o, &rep), 0);
	assert_int_equal(rep.ndiffs, 1);
	assert_int_equal(rep.changed[0] + rep.missing[0] + rep.extra[0] + rep.changed[1], 4);
	gm_verify_report_free(&rep);

	/* a missing file is an error, not a difference */
	assert_int_equal(gm_verify(pa, "/nonexistent/x.jsonl", NULL, &rep), GM_ENOTFOUND);
	gm_verify_report_free(&rep);
}

static void test_sample(void **state)
{
	struct gm_verify_report rep;
	struct gm_verify_opts o;
	const char *g = "generate:?nodes=2000&edges=8000&seed=5";

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sample = 100;
	assert_int_equal(gm_verify(g, g, &o, &rep), 0);
	assert_true(rep.equal);
	assert_int_equal(rep.sampled[0], 100);
	assert_int_equal(rep.sampled[1], 100);
	assert_int_equal(rep.nodes[0], 2000);
	assert_int_equal(rep.passes, 1);
	gm_verify_report_free(&rep);
	/* another seed: the sampled keys exist on both sides but differ */
	assert_int_equal(gm_verify(g, "generate:?nodes=2000&edges=8000&seed=6", &o, &rep), 0);
	assert_false(rep.equal);
	assert_true(rep.changed[0] + rep.changed[1] > 0);
	gm_verify_report_free(&rep);
}

static void test_unreadable(void **state)
{
	char pa[128], pb[128];
	struct gm_verify_report rep;

	(void)state;
	snprintf(pa, sizeof(pa), "%s/u1.jsonl", dir);
	snprintf(pb, sizeof(pb), "%s/u2.jsonl", dir);
	write_file(pa, HEAD NODE("{}"));
	write_file(pb, HEAD NODE("{}") "{\"type\":\"node\",\"id\":\"b\" \"labels\":[]}\n");
	assert_int_equal(gm_verify(pa, pb, NULL, &rep), 0);
	assert_false(rep.equal);
	assert_int_equal(rep.unreadable[1], 1);
	assert_int_equal(rep.ndiffs, 1);
	assert_int_equal(rep.diffs[0].kind, GM_DIFF_UNREADABLE);
	assert_int_equal(rep.diffs[0].side, 1);
	assert_non_null(strstr(rep.diffs[0].key, "line 3"));
	gm_verify_report_free(&rep);
}

static int setup(void **state)
{
	(void)state;
	/* tmpfs when there is one: the sqlite: stores sync at every commit */
	snprintf(dir, sizeof(dir), "/dev/shm/gmig-verify-XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, sizeof(dir), "/tmp/gmig-verify-XXXXXX");
		if (!mkdtemp(dir))
			return -1;
	}
	return gm_arena_new(&arena);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	gm_arena_free(arena);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_rules), cmocka_unit_test(test_report_fields),
		cmocka_unit_test(test_sample),	    cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_digest_slot), cmocka_unit_test(test_digest_fallback),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
