/* SPDX-License-Identifier: MIT */
/*
 * generate:?profile=memorygraph&nodes=N&edges=M&seed=S — a realistic
 * MemoryGraph graph (the README's quick start: `gmig generate --profile
 * memorygraph --to memorygraph:demo.db`). Record i is a pure function of
 * (seed, N, M, i), like every generate profile.
 *
 * Memories: (:Memory) nodes with exactly the properties MemoryGraph 0.12.4
 * stores (MemoryNode.to_neo4j_properties()): a UUID id (also the key), a
 * MemoryType (all 13), title, content (one in 17 with non-ASCII text), 0-3
 * lower-case tags, importance / confidence (2 decimals), usage_count,
 * created_at / updated_at as Python isoformat() ("+00:00", no fraction when
 * the microsecond is 0, one in 10), optional summary, effectiveness and
 * last_accessed; seven in ten have a context, flattened as MemoryGraph does:
 * context_project_path, context_files_involved / languages / frameworks /
 * technologies (a list, or the string "[]" when empty), optional git branch
 * and session id, context_timestamp, context_additional_metadata (JSON text,
 * "{}" when empty) and context_visibility.
 *
 * Relationships: a UUID key, a RelationshipType (all 35; SOLVES, RELATED_TO,
 * DEPENDS_ON and BUILDS_ON more often), endpoints two different memories
 * (earlier memories are linked more often), the 14 properties
 * (strength, confidence, context, evidence_count, success_rate, created_at,
 * last_validated, validation_count, counter_evidence_count, valid_from,
 * recorded_at, id; nulls left out). One in 10 is invalidated the way
 * MemoryGraph's invalidate_relationship() leaves it: valid_until (and mostly
 * invalidated_by, the next relationship's id) set in the columns while the
 * JSON still holds null, carried as "_mg_json_nulls" (see memorygraph.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "generate_mg.h"
#include "gmig/gmig.h"
#include "mgmap.h"

struct rng {
	uint64_t x;
};

static uint64_t next(struct rng *r)
{
	uint64_t z = (r->x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

static void rng_init(struct rng *r, uint64_t seed, uint64_t i)
{
	r->x = seed * 0x2545f4914f6cdd1dull ^ (i + 0x6d67) * 0x9e3779b97f4a7c15ull;
	next(r);
}

/* a uuid4-shaped id for record i */
static void uuid_of(uint64_t seed, uint64_t i, char out[37])
{
	static const char hx[] = "0123456789abcdef";
	struct rng r;
	unsigned char b[16];
	uint64_t h, l;
	size_t o = 0;

	rng_init(&r, seed ^ 0x757569640000ull, i);
	h = next(&r);
	l = next(&r);
	for (int k = 0; k < 8; k++) {
		b[k] = (unsigned char)(h >> (8 * k));
		b[8 + k] = (unsigned char)(l >> (8 * k));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (int k = 0; k < 16; k++) {
		if (k == 4 || k == 6 || k == 8 || k == 10)
			out[o++] = '-';
		out[o++] = hx[b[k] >> 4];
		out[o++] = hx[b[k] & 15];
	}
	out[o] = '\0';
}

/* Python's datetime.isoformat() of an aware UTC time */
static void iso(char out[40], int64_t secs, int us)
{
	time_t t = (time_t)secs;
	struct tm tm;
	size_t k;

	gmtime_r(&t, &tm);
	k = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (us)
		k += (size_t)snprintf(out + k, 40 - k, ".%06d", us);
	snprintf(out + k, 40 - k, "+00:00");
}

#define T0 1735689600 /* 2025-01-01T00:00:00Z */

static const char *const verbs[] = {"Fix",   "Investigate", "Document", "Refactor", "Cache",
				    "Retry", "Upgrade",	    "Profile",	"Migrate",  "Pin"};
static const char *const things[] = {
	"connection timeout", "memory leak", "flaky test",    "slow query",    "race condition",
	"config drift",	      "rate limit",  "TLS handshake", "schema change", "cold start"};
static const char *const places[] = {"redis client",  "auth service", "CI pipeline",
				     "postgres pool", "image build",  "API gateway",
				     "job scheduler", "search index", "websocket layer"};
static const char *const tagset[] = {"redis",  "postgres", "ci",     "perf",  "security",
				     "python", "rust",	   "docker", "flaky", "infra"};
static const char *const projects[] = {"api", "web", "worker", "infra", "mobile"};
static const char *const langs[] = {"python", "typescript", "go", "rust", "sql", "bash"};
static const char *const frameworks[] = {"fastapi", "react", "django", "axum", "pytest"};
static const char *const techs[] = {"redis", "postgres", "kafka", "docker", "kubernetes"};
static const char *const files[] = {"src/app.py",      "src/db/pool.py", "tests/test_api.py",
				    "Dockerfile",      "ci.yml",	 "src/lib.rs",
				    "web/src/index.ts"};
static const char *const contexts[] = {"observed in production", "confirmed by a test",
				       "from the incident review", "suggested in code review"};
static const char *const unicode_bits[] = {
	" (Fehlerbehebung f\303\274r Stra\303\237enverkehr)",
	" \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\xa1\xe3\x83\xa2",
	" \xf0\x9f\x9a\x80 shipped", " \xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80"};

/* relationship types, the common ones several times */
static const char *const rel_weighted[] = {"SOLVES",	 "SOLVES",     "SOLVES",     "RELATED_TO",
					   "RELATED_TO", "DEPENDS_ON", "DEPENDS_ON", "BUILDS_ON"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct props {
	struct gm_prop *p;
	size_t n;
	struct gm_arena *a;
	int oom;
};

static const char *dup(struct props *pp, const char *s)
{
	char *c = gm_arena_strdup(pp->a, s, strlen(s));

	if (!c)
		pp->oom = 1;
	return c ? c : "";
}

static void p_str(struct props *pp, const char *key, const char *s)
{
	struct gm_prop *x = &pp->p[pp->n++];

	x->key = gm_str_c(key);
	x->val.type = GM_T_STRING;
	x->val.u.s = gm_str_c(dup(pp, s));
}

static void p_float(struct props *pp, const char *key, double f)
{
	struct gm_prop *x = &pp->p[pp->n++];

	x->key = gm_str_c(key);
	x->val.type = GM_T_FLOAT;
	x->val.u.f = f;
}

static void p_int(struct props *pp, const char *key, int64_t i)
{
	struct gm_prop *x = &pp->p[pp->n++];

	x->key = gm_str_c(key);
	x->val.type = GM_T_INT;
	x->val.u.i = i;
}

/* k distinct picks from list as a string list; k == 0 gives MemoryGraph's "[]" (empty_str) */
static void p_list(struct props *pp, struct rng *r, const char *key, const char *const *list,
		   size_t nlist, size_t k, int empty_str)
{
	struct gm_prop *x = &pp->p[pp->n++];
	struct gm_value *v;
	size_t start = below(r, nlist);

	x->key = gm_str_c(key);
	if (!k && empty_str) {
		x->val.type = GM_T_STRING;
		x->val.u.s = gm_str_c("[]");
		return;
	}
	x->val.type = GM_T_LIST;
	x->val.u.list.n = k;
	x->val.u.list.v = NULL;
	if (!k)
		return;
	if (!(v = gm_arena_alloc(pp->a, k * sizeof(*v)))) {
		pp->oom = 1;
		x->val.u.list.n = 0;
		return;
	}
	for (size_t i = 0; i < k; i++) {
		v[i].type = GM_T_STRING;
		v[i].u.s = gm_str_c(list[(start + i) % nlist]);
	}
	x->val.u.list.v = v;
}

static double two_dec(struct rng *r, int lo, int hi)
{
	return (double)(lo + (int)below(r, (uint64_t)(hi - lo + 1))) / 100.0;
}

static int memory(uint64_t seed, uint64_t i, struct gm_record *rec, struct gm_arena *a)
{
	struct rng r;
	struct props pp = {NULL, 0, a, 0};
	char id[37], buf[600], ts[40];
	int64_t created = T0 + (int64_t)i * 3607 + (int64_t)(i % 13) * 11;
	int us = (i % 10 == 3) ? 0 : (int)((i * 7919 + seed) % 1000000), has_ctx;

	rng_init(&r, seed, i);
	uuid_of(seed, i, id);
	if (!(pp.p = gm_arena_alloc(a, 32 * sizeof(*pp.p))))
		return GM_ENOMEM;
	p_str(&pp, "id", id);
	p_str(&pp, "type", gm__mg_memory_types[below(&r, GM__MG_NMEMORY_TYPES)]);
	snprintf(buf, sizeof(buf), "%s %s in %s", verbs[below(&r, NELEM(verbs))],
		 things[below(&r, NELEM(things))], places[below(&r, NELEM(places))]);
	p_str(&pp, "title", buf);
	snprintf(buf, sizeof(buf),
		 "Seen %u times since the last release. The %s showed up under load; "
		 "the fix was verified on staging%s.",
		 (unsigned)(1 + below(&r, 40)), things[below(&r, NELEM(things))],
		 i % 17 == 5 ? unicode_bits[below(&r, NELEM(unicode_bits))] : "");
	p_str(&pp, "content", buf);
	p_list(&pp, &r, "tags", tagset, NELEM(tagset), below(&r, 4), 0);
	p_float(&pp, "importance", two_dec(&r, 10, 100));
	p_float(&pp, "confidence", two_dec(&r, 50, 100));
	p_int(&pp, "usage_count", (int64_t)below(&r, 50));
	iso(ts, created, us);
	p_str(&pp, "created_at", ts);
	iso(ts, created + (int64_t)below(&r, 86400 * 30), us ? (us + 1) % 1000000 : 0);
	p_str(&pp, "updated_at", ts);
	if (below(&r, 2)) {
		snprintf(buf, sizeof(buf), "%s: %s", verbs[below(&r, NELEM(verbs))],
			 things[below(&r, NELEM(things))]);
		p_str(&pp, "summary", buf);
	}
	if (below(&r, 10) < 3)
		p_float(&pp, "effectiveness", two_dec(&r, 0, 100));
	if (below(&r, 10) < 2) {
		iso(ts, created + 86400 * 45, (int)below(&r, 1000000));
		p_str(&pp, "last_accessed", ts);
	}
	has_ctx = below(&r, 10) < 7;
	if (has_ctx) {
		snprintf(buf, sizeof(buf), "/home/dev/%s", projects[below(&r, NELEM(projects))]);
		p_str(&pp, "context_project_path", buf);
		p_list(&pp, &r, "context_files_involved", files, NELEM(files), below(&r, 3), 1);
		p_list(&pp, &r, "context_languages", langs, NELEM(langs), below(&r, 3), 1);
		p_list(&pp, &r, "context_frameworks", frameworks, NELEM(frameworks), below(&r, 2),
		       1);
		p_list(&pp, &r, "context_technologies", techs, NELEM(techs), below(&r, 3), 1);
		if (below(&r, 2))
			p_str(&pp, "context_git_branch", below(&r, 2) ? "main" : "fix/timeouts");
		iso(ts, created, (us + 17) % 1000000);
		p_str(&pp, "context_timestamp", ts);
		if (below(&r, 3) == 0) {
			snprintf(buf, sizeof(buf), "session-%04u", (unsigned)below(&r, 10000));
			p_str(&pp, "context_session_id", buf);
		}
		p_str(&pp, "context_additional_metadata",
		      below(&r, 4) ? "{}" : "{\"ticket\": \"OPS-1234\", \"severity\": 2}");
		p_str(&pp, "context_visibility", "project");
	}
	if (pp.oom || !(rec->labels = gm_arena_alloc(a, sizeof(*rec->labels))))
		return GM_ENOMEM;
	rec->kind = GM_NODE;
	rec->key = gm_str_c(dup(&pp, id));
	rec->labels[0] = gm_str_c("Memory");
	rec->nlabels = 1;
	rec->props = pp.p;
	rec->nprops = pp.n;
	return pp.oom ? GM_ENOMEM : 0;
}

static int relationship(uint64_t seed, uint64_t n, uint64_t m, uint64_t j, struct gm_record *rec,
			struct gm_arena *a)
{
	struct rng r;
	struct props pp = {NULL, 0, a, 0};
	char id[37], from[37], to[37], ts[40], other[37];
	uint64_t f, t;
	int64_t at = T0 + (int64_t)((j * 3607 * (n ? n : 1)) / (m ? m : 1)) + 600;
	const char *type;

	rng_init(&r, seed ^ 0x72656c00ull, j);
	uuid_of(seed, n + j, id);
	/* earlier memories are linked more: the smaller of two draws */
	f = below(&r, n);
	t = below(&r, n);
	f = f < t ? f : t;
	t = n > 1 ? (f + 1 + below(&r, n - 1)) % n : f;
	uuid_of(seed, f, from);
	uuid_of(seed, t, to);
	type = below(&r, 2) ? rel_weighted[below(&r, NELEM(rel_weighted))]
			    : gm__mg_rel_types[below(&r, GM__MG_NREL_TYPES)];
	if (!(pp.p = gm_arena_alloc(a, 20 * sizeof(*pp.p))))
		return GM_ENOMEM;
	p_float(&pp, "strength", two_dec(&r, 10, 100));
	p_float(&pp, "confidence", two_dec(&r, 50, 100));
	if (below(&r, 2))
		p_str(&pp, "context", contexts[below(&r, NELEM(contexts))]);
	p_int(&pp, "evidence_count", 1 + (int64_t)below(&r, 5));
	if (below(&r, 5) == 0)
		p_float(&pp, "success_rate", two_dec(&r, 0, 100));
	iso(ts, at, (int)below(&r, 1000000));
	p_str(&pp, "created_at", ts);
	p_str(&pp, "last_validated", ts);
	p_int(&pp, "validation_count", (int64_t)below(&r, 3));
	p_int(&pp, "counter_evidence_count", (int64_t)below(&r, 2));
	p_str(&pp, "valid_from", ts);
	p_str(&pp, "recorded_at", ts);
	p_str(&pp, "id", id);
	if (j % 10 == 7) {
		/* invalidated by MemoryGraph: the columns change, the JSON keeps null */
		struct gm_prop *x;
		struct gm_value *v = gm_arena_alloc(a, 2 * sizeof(*v));
		int by = j + 1 < m && below(&r, 4) != 0;

		if (!v)
			return GM_ENOMEM;
		iso(ts, at + 86400 * (1 + (int64_t)below(&r, 60)), (int)below(&r, 1000000));
		p_str(&pp, "valid_until", ts);
		if (by) {
			uuid_of(seed, n + j + 1, other);
			p_str(&pp, "invalidated_by", other);
		}
		v[0].type = GM_T_STRING;
		v[0].u.s = gm_str_c("valid_until");
		v[1].type = GM_T_STRING;
		v[1].u.s = gm_str_c("invalidated_by");
		x = &pp.p[pp.n++];
		x->key = gm_str_c("_mg_json_nulls");
		x->val.type = GM_T_LIST;
		x->val.u.list.v = v;
		x->val.u.list.n = by ? 2 : 1;
	}
	rec->kind = GM_REL;
	rec->key = gm_str_c(dup(&pp, id));
	rec->from = gm_str_c(dup(&pp, from));
	rec->to = gm_str_c(dup(&pp, to));
	rec->type = gm_str_c(type);
	rec->props = pp.p;
	rec->nprops = pp.n;
	return pp.oom ? GM_ENOMEM : 0;
}

int gm__mg_gen_record(uint64_t seed, uint64_t nodes, uint64_t rels, uint64_t i,
		      struct gm_record *rec, struct gm_arena *a)
{
	memset(rec, 0, sizeof(*rec));
	if (i < nodes)
		return memory(seed, i, rec, a);
	return relationship(seed, nodes, rels, i - nodes, rec, a);
}
