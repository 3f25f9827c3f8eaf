/* SPDX-License-Identifier: MIT */
/*
 * The "falkordb" backend: a graph in a FalkorDB server (the Redis module),
 * read and written over RESP with hiredis. Also named by the schemes redis:
 * and rediss: (TLS).
 *
 *   falkordb://[user:pass@]host[:port]/GRAPH[?key=_key&label=_gmig&page=2000]
 *   rediss://[user:pass@]host[:port]/GRAPH[?tls_ca=FILE&tls_cert=FILE&tls_key=FILE&tls_verify=no]
 *
 * user, pass and GRAPH may be %-encoded; the password may come from
 * FALKORDB_PASSWORD instead. Messages name host:port/GRAPH only, never the
 * credentials.
 *
 * TLS. Debian bookworm's hiredis (0.14) has no SSL, so rediss: connects
 * through a TLS tunnel (tlsfd.h: OpenSSL in a pump thread behind a
 * socketpair) and hands hiredis the plaintext end (redisConnectFd); the
 * server is verified against the system CAs, tls_ca=FILE or the file named
 * by FALKORDB_TLS_CA, unless tls_verify=no. The tls_* parameters are refused
 * with the other schemes, which would send them (and AUTH) in the clear.
 *
 * Keys. FalkorDB has no record keys of its own, so gmig keeps them in a
 * property, `_key` by default (parameter key=NAME), on nodes and on
 * relationships, and gives every node it writes the extra label `_gmig`
 * (parameter label=NAME) with a range index on (`_gmig`._key): one index
 * finds any node by key whatever its labels, which relationship writes need
 * (an unlabelled MATCH cannot use an index). Relationship types get an index
 * on _key too. Reading takes the key property (when it is a string) back out
 * of the properties and the marker label out of the labels; a node without
 * one (a graph gmig did not write) gets its internal id in decimal as key, a
 * relationship without one has no key; relationship endpoints are named the
 * same way.
 *
 * A graph that does not exist yet is loaded with GRAPH.BULK instead
 * (falkordb_bulk.c; parameters write=auto|bulk|unwind, map_memory=, bulk_size=).
 *
 * Writing (UNWIND path; values inlined as Cypher literals, because FalkorDB's
 * "CYPHER k=v" parameters cannot hold date(), point() or vecf32() calls):
 *   UNWIND [{k:'n1', p:{_key:'n1', age:42}}, ...] AS row
 *     MERGE (n:_gmig {_key: row.k}) SET n = row.p             -- nodes, in order
 *     [RETURN row.k, labels(n)]       -- when the graph held nodes before the run
 *   UNWIND ['n1', ...] AS k MATCH (n:_gmig {_key: k}) REMOVE n:X -- labels a node
 *                                       had that its record has not, per set
 *   UNWIND ['n1', ...] AS k MATCH (n:_gmig {_key: k}) SET n:A:B -- per label set
 *   UNWIND [{s:'n1', e:'n2', k:'r1', p:{...}}, ...] AS row
 *     MATCH (a:_gmig {_key: row.s}) MATCH (b:_gmig {_key: row.e})
 *     MERGE (a)-[r:T {_key: row.k}]->(b) SET r = row.p        -- per type
 * (a relationship without a key is CREATEd: re-runs duplicate it, as in the
 * sqlite store). So a re-run upserts and never duplicates: properties and
 * labels are replaced. A keyed relationship is found by its type, endpoints
 * and key: one whose key the graph holds with another type or other
 * endpoints is created next to it. Each query is atomic, a batch is not:
 * when a batch fails after its nodes were written, they stay (re-writing them
 * is a no-op). Before its relationships are written, the endpoints not written in
 * this run are looked up; a missing one is a bad record (GM_EDATA). Within one
 * run a key may be written once (GM_EDATA "cannot store two nodes with one
 * key"); the run remembers keys as 128-bit hashes (keyset.h). Keys the graph
 * held before the run follow gm_open_opts.existing: upsert (above), skip
 * (the stored record is kept, counted in b->skipped) or fail (GM_EDATA); see
 * "keys from before" for what counts as held before.
 *
 * Values FalkorDB stores (4.16): Boolean, Integer, Float (all, NaN/Inf as
 * 0.0/0.0 and 1.0/0.0, subnormals as m * 2.0^-1074), String without NUL
 * bytes, lists of those (nested too; no nulls or maps inside), Date (years
 * 0..9999), LocalTime and LocalDateTime in whole seconds (it drops fractions),
 * Point WGS-84 2D whose coordinates are float32 values (it keeps float32), and
 * Vector (vecf32). Not: Null, Bytes, Map, Time, DateTime, Duration (stored
 * silently as nothing by 4.16): the core refuses those types; the per-value
 * limits above are refused here with GM_EUNSUPPORTED naming the record.
 * With lossy=stringify (gm_open_opts.lossy, --lossy) such a property is
 * written as a String: its canonical text (valtext.h) for a scalar, gmig's
 * typed JSON for a map, a list or a String with NUL bytes; with lossy=drop
 * it is left out. A null property is left out in both modes (Cypher stores
 * no nulls). Properties left out are counted in gm_backend.dropped.
 *
 * Runs and rollback. Every write is a run with an id, recorded in Redis keys
 * next to the graph:
 *   gmig:runs:GRAPH       hash; field "next" = the last run id (HINCRBY),
 *                         field "<id>" = "<status> <graph_created 0|1>
 *                         <started> <finished> <nodes> <rels>" (times in
 *                         Unix seconds; status running, committed, failed,
 *                         rolled-back; counts = records written so far)
 *   gmig:undo:GRAPH:<id>  list; one blob per batch, RPUSHed before the
 *                         batch's first write, so a crash never leaves
 *                         writes without their undo entries
 * A blob is a sequence of entries: one kind byte, then fields
 * "<decimal length>:<bytes>":
 *   N key                      node created by the run
 *   n key count label... props node the run changed: its labels and its
 *                              properties before (a Cypher map literal,
 *                              key property included)
 *   R type start end key       keyed relationship created by the run
 *   r type start end key props keyed relationship the run changed
 *   X type start end ids       keyless relationships of type from start to
 *                              end: the ids ("[3,9]") of those there before
 * The first entry of a record in a run wins (a replayed batch adds none); a
 * record whose content a batch does not change gets no entry. Before a batch
 * the graph is read for the records' current content (nodes in one query,
 * relationships per type), unless the run created the graph (then all is
 * new). Rollback of run R refuses when a later run that is not rolled back
 * has entries for what R wrote or relationships at nodes R created ("roll
 * back run S first"); when R created the graph and no later run has entries
 * it deletes the graph (GRAPH.DELETE); otherwise it undoes the blobs last to
 * first (relationships deleted or SET back, nodes DETACH DELETEd or SET back
 * with their labels from before), deletes the undo list and marks R
 * rolled-back. Every step can be repeated, so an interrupted rollback can be
 * run again. Resuming run R (gm_open_opts.run) continues its id and undo
 * list; the last blob's records count as touched. commit() marks the run
 * committed; close() without commit marks it failed. Writers other than
 * gmig are not expected while a run or rollback goes on.
 *
 * Reading: every node, then every relationship, in pages of internal id
 * ranges (nodes by id, relationships by their start node's id, each page
 * ordered by id) with GRAPH.RO_QUERY --compact, one page in memory at a time:
 *   MATCH (n) WHERE ID(n) >= lo AND ID(n) < hi
 *   RETURN ID(n), labels(n), [k IN keys(n) | [k, n[k], EXACT(n[k])]] ORDER BY ID(n)
 * Compact replies print floats with 15 digits, so EXACT(x) asks the server for
 * [m, e] with x = m * 2^e for every finite non-zero Float (in lists nested up
 * to 3 deep; deeper ones come with 15 digits). Compact value types: 1 null,
 * 2 string, 3 integer, 4 boolean, 5 double, 6 array, 10 map, 11 point
 * ["lat","lon"], 12 vecf32, 13 datetime, 14 date, 15 time (epoch seconds on
 * 1900-01-01), 16 duration (seconds); 7 edge, 8 node, 9 path cannot be
 * properties.
 */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cyphertext.h"
#include "falkordb.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "keyset.h"
#include "tlsfd.h"
#include "typedjson.h"
#include "valtext.h"

#define DEFAULT_PAGE 2000
#define CY (GM__CY_RAW_CONTROL | GM__CY_SUBNORMAL_EXPR)
#define EPOCH_1900 (-2208988800LL) /* FalkorDB's localtime is on 1900-01-01 UTC */
#define EXACT_DEPTH 3
/* the value types FalkorDB stores (each within the limits of unstorable()) */
#define FDB_TYPES                                                                                  \
	(GM_TYPE_BIT(GM_T_BOOL) | GM_TYPE_BIT(GM_T_INT) | GM_TYPE_BIT(GM_T_FLOAT) |                \
	 GM_TYPE_BIT(GM_T_STRING) | GM_TYPE_BIT(GM_T_LIST) | GM_TYPE_BIT(GM_T_DATE) |              \
	 GM_TYPE_BIT(GM_T_LOCALTIME) | GM_TYPE_BIT(GM_T_LOCALDATETIME) | GM_TYPE_BIT(GM_T_POINT) | \
	 GM_TYPE_BIT(GM_T_VECTOR))

struct fdb {
	struct gm_backend base;
	redisContext *c;
	struct gm__tls *tls; /* rediss: the TLS tunnel under c, else NULL */
	char *graph;
	char where[300]; /* "host:port/graph" for messages */
	char *key;	 /* key property */
	char *label;	 /* marker label */
	struct gm_buf q;
	struct gm_buf t; /* scratch */
	int writing;
	/* write */
	struct gm_keyset *nodes, *rels, *types;
	struct gm__fdb_bulk *bulk; /* a GRAPH.BULK load (falkordb_bulk.c), else NULL */
	/* read */
	int phase; /* 0 nodes, 1 relationships, 2 done */
	int64_t lo, maxid, page;
	redisReply *reply;
	size_t row;
	/* runs and the undo log (writing; see "runs and the undo log") */
	int64_t resume_run; /* gm_open_opts.run: continue this run */
	int graph_created;  /* the run created the graph */
	int committed;
	char *runs_key, *undo_key;
	struct gm_keyset *touched; /* identities that have an undo entry of this run */
	struct gm_buf u, lit, id;  /* the batch's undo blob; scratch */
	struct gm_arena *ua;	   /* prior states of one batch; entries while rolling back */
	/* lossy (see "lossy") */
	unsigned int lossy;
	struct gm_arena *la;
	struct gm_record *lrecs;
	size_t lcap;
	/* keys from before the run (see "keys from before"): the policy; the
	   relationship types with a range index on the key property, listed at open */
	enum gm_existing existing;
	char **ktypes;
	size_t nktypes;
	struct gm_record *xrecs; /* the batch without the records it skips */
	size_t xcap;
};

/* ---- connection ---- */

static int server_error(struct fdb *s, const redisReply *r, const char *what)
{
	int noauth = r->str && !strncmp(r->str, "NOAUTH", 6);

	return gm_error_set(GM_EIO, "falkordb %s: %s: %.*s%s", s->where, what,
			    (int)(r->len > 400 ? 400 : r->len), r->str ? r->str : "",
			    noauth ? " (give user:password@ in the URI or FALKORDB_PASSWORD)" : "");
}

static int io_error(struct fdb *s)
{
	return gm_error_set(GM_EIO, "falkordb %s: %s", s->where,
			    s->c && s->c->errstr[0] ? s->c->errstr : "connection failed");
}

/* Runs GRAPH.QUERY / GRAPH.RO_QUERY with s->q; *out is the reply (free it). */
static int query(struct fdb *s, int ro, redisReply **out, const char *what)
{
	const char *argv[4];
	size_t lens[4];
	redisReply *r;

	*out = NULL;
	if (s->q.oom)
		return GM_ENOMEM;
	argv[0] = ro ? "GRAPH.RO_QUERY" : "GRAPH.QUERY";
	argv[1] = s->graph;
	argv[2] = s->q.p ? s->q.p : "";
	argv[3] = "--compact";
	for (int i = 0; i < 4; i++)
		lens[i] = strlen(argv[i]);
	lens[2] = s->q.len;
	r = redisCommandArgv(s->c, 4, argv, lens);
	if (!r)
		return io_error(s);
	if (r->type == REDIS_REPLY_ERROR) {
		int error = server_error(s, r, what);

		freeReplyObject(r);
		return error;
	}
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return gm_error_set(GM_EIO, "falkordb %s: %s: unexpected reply", s->where, what);
	}
	*out = r;
	return 0;
}

/* Runs a write query and drops the reply. */
static int exec(struct fdb *s, const char *what)
{
	redisReply *r;
	int error = query(s, 0, &r, what);

	freeReplyObject(r);
	return error;
}

static void wipe_free(char *p)
{
	if (!p)
		return;
	for (volatile char *v = p; *v; v++)
		*v = 0;
	gm_free(p);
}

static int param(struct fdb *s, const char *params, const char *name, char **out, const char *dflt)
{
	char what[sizeof(s->where) + 16];

	snprintf(what, sizeof(what), "falkordb %s", s->where);
	return gm_params_dup(params, name, dflt, what, out);
}

static int check_params(struct fdb *s, const char *params)
{
	const char *p = params;

	while (p && *p) {
		size_t n = strcspn(p, "&");
		size_t kl = strcspn(p, "=&");

		if (!((kl == 3 && !strncmp(p, "key", 3)) || (kl == 5 && !strncmp(p, "label", 5)) ||
		      (kl == 4 && !strncmp(p, "page", 4)) || (kl == 5 && !strncmp(p, "write", 5)) ||
		      gm__fdb_bulk_param(p, kl) || gm__tls_param(p, kl)))
			return gm_error_set(GM_EINVAL, "unknown parameter '%.*s' for falkordb %s",
					    (int)kl, p, s->where);
		p += n + (p[n] ? 1 : 0);
	}
	return 0;
}

/* Parses "//[user:pass@]host[:port]/graph", connects and authenticates. */
static int connect_uri(struct fdb *s, const char *loc, const struct gm_open_opts *o)
{
	const char *hp, *slash, *at, *colon;
	char *user = NULL, *pass = NULL, *host = NULL;
	long port = 6379;
	int error = 0, tls;
	struct timeval tv = {10, 0};
	const char *tp;
	size_t tl;
	char what[320], why[200];

	if (strncmp(loc, "//", 2))
		return gm_error_set(GM_EINVAL, "invalid falkordb location: expected "
					       "falkordb://[user:password@]host[:port]/graph");
	loc += 2;
	slash = strchr(loc, '/');
	if (!slash || !slash[1])
		return gm_error_set(
			GM_EINVAL, "invalid falkordb location: no graph name (falkordb://host:port/"
				   "graph)");
	at = memchr(loc, '@', (size_t)(slash - loc));
	for (const char *q = at; q && q + 1 < slash; q++)
		if (q[1] == '@')
			at = q + 1; /* the last '@' before the path */
	hp = at ? at + 1 : loc;
	if (at) {
		const char *c = memchr(loc, ':', (size_t)(at - loc));

		if (c) {
			user = gm_uri_decode(loc, (size_t)(c - loc));
			pass = gm_uri_decode(c + 1, (size_t)(at - c - 1));
		} else {
			user = gm_uri_decode(loc, (size_t)(at - loc));
		}
		if ((c && !pass) || !user) {
			error = GM_ENOMEM;
			goto done;
		}
	}
	colon = memchr(hp, ':', (size_t)(slash - hp));
	if (hp[0] == '[') /* [::1]:port */
		colon = memchr(hp, ']', (size_t)(slash - hp)) ? strchr(hp, ']') + 1 : NULL;
	if (colon && *colon == ':') {
		char *end;

		port = strtol(colon + 1, &end, 10);
		if (end != slash || port <= 0 || port > 65535) {
			error = gm_error_set(GM_EINVAL, "invalid port in falkordb location '%.*s'",
					     (int)(slash - hp), hp);
			goto done;
		}
	} else {
		colon = slash;
	}
	if (hp[0] == '[')
		host = gm_uri_decode(hp + 1, (size_t)(colon - hp - 2));
	else
		host = gm_uri_decode(hp, (size_t)(colon - hp));
	if (!host || !(s->graph = gm_uri_decode(slash + 1, strlen(slash + 1)))) {
		error = GM_ENOMEM;
		goto done;
	}
	if (!*host) {
		gm_free(host);
		host = gm_strdup("127.0.0.1");
		if (!host) {
			error = GM_ENOMEM;
			goto done;
		}
	}
	snprintf(s->where, sizeof(s->where), "%.100s:%ld/%.150s", host, port, s->graph);
	tls = o->scheme && !strcmp(o->scheme, "rediss");
	if (!tls && (tp = gm__tls_params_find(o->params, &tl))) {
		error = gm_error_set(GM_EINVAL, "parameter %.*s for falkordb %s needs rediss://",
				     (int)tl, tp, s->where);
		goto done;
	}
	if (!pass && getenv("FALKORDB_PASSWORD") && *getenv("FALKORDB_PASSWORD") &&
	    !(pass = gm_strdup(getenv("FALKORDB_PASSWORD")))) {
		error = GM_ENOMEM;
		goto done;
	}
	if (tls) {
		struct gm__tls_conf tc = {o->params, "FALKORDB_TLS_CA", what, 10000};
		redisReply *r = NULL;
		int fd;

		snprintf(what, sizeof(what), "falkordb %s", s->where);
		if ((error = gm__tls_open(&s->tls, &fd, host, (int)port, &tc)) < 0)
			goto done;
		if (!(s->c = redisConnectFd(fd)))
			close(fd);
		/* TLS 1.3 servers refuse a client certificate after the handshake */
		else if (!(r = redisCommand(s->c, "PING")) && gm__tls_error(s->tls, why, 200)) {
			error = gm_error_set(GM_EIO, "cannot connect to %s over TLS: %s", what,
					     why);
			goto done;
		}
		freeReplyObject(r);
	} else {
		s->c = redisConnectWithTimeout(host, (int)port, tv);
	}
	if (!s->c || s->c->err) {
		error = gm_error_set(GM_EIO, "cannot connect to falkordb %s: %s", s->where,
				     s->c ? s->c->errstr : "out of memory");
		goto done;
	}
	redisSetTimeout(s->c, (struct timeval){600, 0});
	if (pass) {
		redisReply *r = user ? redisCommand(s->c, "AUTH %s %s", user, pass)
				     : redisCommand(s->c, "AUTH %s", pass);

		if (!r) {
			error = io_error(s);
		} else if (r->type == REDIS_REPLY_ERROR) {
			error = gm_error_set(GM_EIO, "falkordb %s: authentication failed",
					     s->where);
		}
		freeReplyObject(r);
	}
done:
	wipe_free(pass);
	wipe_free(user);
	gm_free(host);
	return error;
}

/* ---- reading ---- */

static const redisReply *elem(const redisReply *r, size_t i)
{
	return r && r->type == REDIS_REPLY_ARRAY && i < r->elements ? r->element[i] : NULL;
}

static int bad(struct fdb *s, const char *what)
{
	return gm_error_set(GM_EDATA, "falkordb %s: unexpected reply: %s", s->where, what);
}

static int text_double(const redisReply *r, double *out)
{
	char tmp[64];

	if (r->type == REDIS_REPLY_INTEGER) {
		*out = (double)r->integer;
		return 0;
	}
	if (r->type != REDIS_REPLY_STRING || r->len >= sizeof(tmp))
		return -1;
	memcpy(tmp, r->str, r->len);
	tmp[r->len] = '\0';
	if (strstr(tmp, "nan")) {
		*out = tmp[0] == '-' ? -NAN : NAN;
		return 0;
	}
	*out = strtod(tmp, NULL);
	return 0;
}

/* The EXACT column of a property: [3, m] [3, e] pairs, consumed in order. */
struct exact {
	const redisReply *list;
	size_t next;
};

/* A compact [type, value] pair; depth = list nesting (for EXACT). */
static int decode_value(struct fdb *s, const redisReply *cell, struct exact *ex, int depth,
			struct gm_value *v, struct gm_arena *a)
{
	const redisReply *t = elem(cell, 0), *x = elem(cell, 1);
	int error;

	memset(v, 0, sizeof(*v));
	if (!t || t->type != REDIS_REPLY_INTEGER || !x)
		return bad(s, "a value is not a [type, value] pair");
	switch (t->integer) {
	case 1: v->type = GM_T_NULL; return 0;
	case 2:
		if (x->type != REDIS_REPLY_STRING)
			return bad(s, "a string is not a string");
		v->type = GM_T_STRING;
		if (!(v->u.s.p = gm_arena_strdup(a, x->str, x->len)))
			return GM_ENOMEM;
		v->u.s.len = x->len;
		return 0;
	case 3:
		if (x->type != REDIS_REPLY_INTEGER)
			return bad(s, "an integer is not an integer");
		v->type = GM_T_INT;
		v->u.i = x->integer;
		return 0;
	case 4:
		v->type = GM_T_BOOL;
		v->u.b = x->type == REDIS_REPLY_STRING && x->len == 4 && !memcmp(x->str, "true", 4);
		return 0;
	case 5:
		v->type = GM_T_FLOAT;
		if (text_double(x, &v->u.f) < 0)
			return bad(s, "a float is not a number");
		/* 15 digits in the text; EXACT has the finite non-zero ones exactly */
		/* (not by isfinite: DBL_MAX's 15 digits overflow to inf) */
		if (v->u.f != 0 && !isnan(v->u.f) && !memchr(x->str, 'i', x->len) &&
		    depth <= EXACT_DEPTH && ex->list) {
			const redisReply *m = elem(elem(ex->list, ex->next), 1);
			const redisReply *e = elem(elem(ex->list, ex->next + 1), 1);

			if (!m || !e || m->type != REDIS_REPLY_INTEGER ||
			    e->type != REDIS_REPLY_INTEGER)
				return bad(s, "the exact floats do not match the values");
			ex->next += 2;
			v->u.f = ldexp((double)m->integer, (int)e->integer);
		}
		return 0;
	case 6:
		if (x->type != REDIS_REPLY_ARRAY)
			return bad(s, "a list is not an array");
		v->type = GM_T_LIST;
		v->u.list.n = x->elements;
		if (x->elements &&
		    !(v->u.list.v = gm_arena_alloc(a, x->elements * sizeof(*v->u.list.v))))
			return GM_ENOMEM;
		for (size_t i = 0; i < x->elements; i++) {
			if ((error = decode_value(s, x->element[i], ex, depth + 1, &v->u.list.v[i],
						  a)) < 0)
				return error;
		}
		return 0;
	case 10:
		if (x->type != REDIS_REPLY_ARRAY || x->elements % 2)
			return bad(s, "a map is not a flat array");
		v->type = GM_T_MAP;
		v->u.map.n = x->elements / 2;
		if (v->u.map.n &&
		    !(v->u.map.p = gm_arena_alloc(a, v->u.map.n * sizeof(*v->u.map.p))))
			return GM_ENOMEM;
		for (size_t i = 0; i < v->u.map.n; i++) {
			const redisReply *k = x->element[2 * i];

			if (k->type != REDIS_REPLY_STRING)
				return bad(s, "a map key is not a string");
			if (!(v->u.map.p[i].key.p = gm_arena_strdup(a, k->str, k->len)))
				return GM_ENOMEM;
			v->u.map.p[i].key.len = k->len;
			if ((error = decode_value(s, x->element[2 * i + 1], ex, EXACT_DEPTH + 1,
						  &v->u.map.p[i].val, a)) < 0)
				return error;
		}
		return 0;
	case 11: {
		double lat, lon;

		if (!elem(x, 1) || text_double(x->element[0], &lat) < 0 ||
		    text_double(x->element[1], &lon) < 0)
			return bad(s, "a point is not [latitude, longitude]");
		v->type = GM_T_POINT;
		v->u.pt.srid = 4326;
		v->u.pt.dim = 2;
		v->u.pt.x = (double)(float)lon;
		v->u.pt.y = (double)(float)lat;
		return 0;
	}
	case 12:
		if (x->type != REDIS_REPLY_ARRAY)
			return bad(s, "a vector is not an array");
		v->type = GM_T_VECTOR;
		v->u.vec.n = x->elements;
		if (x->elements && !(v->u.vec.v = gm_arena_alloc(a, x->elements * sizeof(float))))
			return GM_ENOMEM;
		for (size_t i = 0; i < x->elements; i++) {
			double d;

			if (text_double(x->element[i], &d) < 0)
				return bad(s, "a vector element is not a number");
			v->u.vec.v[i] = (float)d;
		}
		return 0;
	case 13:
	case 14:
	case 15:
	case 16:
		if (x->type != REDIS_REPLY_INTEGER)
			return bad(s, "a temporal value is not an integer");
		if (t->integer == 13) {
			v->type = GM_T_LOCALDATETIME;
			v->u.t.secs = x->integer;
		} else if (t->integer == 14) {
			v->type = GM_T_DATE;
			v->u.t.secs = x->integer >= 0 ? x->integer / 86400
						      : -((-x->integer + 86399) / 86400);
		} else if (t->integer == 15) {
			v->type = GM_T_LOCALTIME;
			v->u.t.secs = ((x->integer - EPOCH_1900) % 86400 + 86400) % 86400;
		} else {
			v->type = GM_T_DURATION;
			v->u.d.secs = x->integer;
		}
		return 0;
	default:
		return gm_error_set(GM_EDATA,
				    "falkordb %s: a property has a value of type %lld, "
				    "which gmig cannot read",
				    s->where, (long long)t->integer);
	}
}

/*
 * FL(x, d): the Floats in x depth first (lists d levels deep). FalkorDB's CASE
 * is eager (abs('a') fails in a branch not taken), so the type tests are list
 * comprehension filters. hiredis 0.14 reads replies at most 7 arrays deep, so
 * the result is flat.
 */
static void put_floats(struct gm_buf *b, const char *x, int d)
{
	gm_buf_printf(b, "[f%d IN [%s] WHERE typeOf(f%d) = 'Float']", d, x, d);
	if (d > 0) {
		char v[16];

		snprintf(v, sizeof(v), "v%d", d);
		gm_buf_printf(
			b,
			" + reduce(a%d = [], l%d IN [l%d IN [%s] WHERE typeOf(l%d) = 'List'] | "
			"a%d + reduce(b%d = [], v%d IN l%d | b%d + ",
			d, d, d, x, d, d, d, d, d, d);
		put_floats(b, v, d - 1);
		gm_buf_puts(b, "))");
	}
}

/* EXACT(x): m1, e1, m2, e2, ... with Float i = m * 2^e, for the finite non-zero Floats. */
static void put_exact(struct gm_buf *b, const char *x)
{
	static const char l2[] = "toInteger(floor(log(abs(f)) / log(2))) - 53";

	gm_buf_puts(b, "reduce(acc = [], f IN [f IN ");
	put_floats(b, x, EXACT_DEPTH);
	gm_buf_printf(b,
		      " WHERE f <> 0.0 AND f = f AND f * 0.0 = 0.0] | acc + [toInteger(f / "
		      "2.0^(CASE WHEN %s < -1074 THEN -1074 ELSE %s END)), CASE WHEN %s < -1074 "
		      "THEN -1074 ELSE %s END])",
		      l2, l2, l2, l2);
}

/* "UNWIND <keys or [null]> AS k" then the RETURN tail "k, x[k], EXACT(x[k])" */
static void put_unwind(struct gm_buf *b, const char *var)
{
	gm_buf_printf(b, " UNWIND CASE WHEN size(keys(%s)) = 0 THEN [null] ELSE keys(%s) END AS k",
		      var, var);
}

static void put_prop_cols(struct gm_buf *b, const char *var)
{
	char x[16];

	snprintf(x, sizeof(x), "%s[k]", var);
	gm_buf_printf(b, "k, %s, ", x);
	put_exact(b, x);
}

static int next_page(struct fdb *s)
{
	int error;

	freeReplyObject(s->reply);
	s->reply = NULL;
	s->row = 0;
	for (;;) {
		if (s->phase == 2)
			return GM_ITEROVER;
		if (s->lo > s->maxid) {
			s->phase++;
			s->lo = 0;
			continue;
		}
		gm_buf_clear(&s->q);
		if (s->phase == 0) {
			gm_buf_printf(&s->q,
				      "MATCH (n) WHERE ID(n) >= %" PRId64 " AND ID(n) < %" PRId64,
				      s->lo, s->lo + s->page);
			put_unwind(&s->q, "n");
			gm_buf_puts(&s->q, " RETURN ID(n), labels(n), ");
			put_prop_cols(&s->q, "n");
			gm_buf_puts(&s->q, " ORDER BY ID(n)");
		} else {
			gm_buf_printf(&s->q,
				      "MATCH (a)-[r]->(b) WHERE ID(a) >= %" PRId64
				      " AND ID(a) < %" PRId64,
				      s->lo, s->lo + s->page);
			put_unwind(&s->q, "r");
			gm_buf_puts(&s->q, " RETURN ID(r), type(r), ID(a), a.");
			gm__cy_put_name(&s->q, gm_str_c(s->key));
			gm_buf_puts(&s->q, ", ID(b), b.");
			gm__cy_put_name(&s->q, gm_str_c(s->key));
			gm_buf_puts(&s->q, ", ");
			put_prop_cols(&s->q, "r");
			gm_buf_puts(&s->q, " ORDER BY ID(r)");
		}
		s->lo += s->page;
		if ((error = query(s, 1, &s->reply, "cannot read")) < 0)
			return error;
		if (elem(s->reply, 1) && elem(s->reply, 1)->elements)
			return 0;
		freeReplyObject(s->reply);
		s->reply = NULL;
	}
}

/* An endpoint's or node's key: the key property when a string, else the id. */
static int key_of(const redisReply *id, const redisReply *keycell, struct gm_str *out,
		  struct gm_arena *a)
{
	const redisReply *t = elem(keycell, 0), *x = elem(keycell, 1);
	char tmp[32];
	int n;

	if (t && t->type == REDIS_REPLY_INTEGER && t->integer == 2 && x &&
	    x->type == REDIS_REPLY_STRING) {
		out->p = gm_arena_strdup(a, x->str, x->len);
		out->len = x->len;
	} else {
		n = snprintf(tmp, sizeof(tmp), "%lld", id ? (long long)id->integer : -1LL);
		out->p = gm_arena_strdup(a, tmp, (size_t)n);
		out->len = (size_t)n;
	}
	return out->p ? 0 : GM_ENOMEM;
}

/*
 * The properties of rows[first..end) (one row per property: k, value, EXACT at
 * column c); takes the key property out into *key.
 */
static int decode_props(struct fdb *s, const redisReply *rows, size_t first, size_t end, size_t c,
			struct gm_record *rec, struct gm_str *key, int *has_key, struct gm_arena *a)
{
	size_t klen = strlen(s->key);
	int error;

	*has_key = 0;
	rec->nprops = 0;
	rec->props = gm_arena_alloc(a, (end - first) * sizeof(*rec->props));
	if (!rec->props)
		return GM_ENOMEM;
	for (size_t i = first; i < end; i++) {
		const redisReply *row = rows->element[i];
		const redisReply *k = elem(elem(row, c), 1), *val = elem(row, c + 1);
		struct exact ex = {elem(elem(row, c + 2), 1), 0};
		struct gm_prop *p = &rec->props[rec->nprops];

		if (!k || k->type == REDIS_REPLY_NIL)
			continue; /* no properties */
		if (k->type != REDIS_REPLY_STRING || !val)
			return bad(s, "a property is not [key, value]");
		if (k->len == klen && !memcmp(k->str, s->key, klen) && elem(val, 0) &&
		    elem(val, 0)->integer == 2 && elem(val, 1) && !*has_key) {
			*has_key = 1;
			key->p = gm_arena_strdup(a, elem(val, 1)->str, elem(val, 1)->len);
			key->len = elem(val, 1)->len;
			if (!key->p)
				return GM_ENOMEM;
			continue;
		}
		if (!(p->key.p = gm_arena_strdup(a, k->str, k->len)))
			return GM_ENOMEM;
		p->key.len = k->len;
		if ((error = decode_value(s, val, &ex, 0, &p->val, a)) < 0)
			return error;
		rec->nprops++;
	}
	return 0;
}

static int fdb_read_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct fdb *s = (struct fdb *)b;
	const redisReply *rows, *row, *id;
	size_t first, end;
	int error, has_key;

	memset(rec, 0, sizeof(*rec));
	rows = elem(s->reply, 1);
	if (!rows || s->row >= rows->elements) {
		if ((error = next_page(s)) < 0)
			return error;
		rows = elem(s->reply, 1);
	}
	/* the rows of one node or relationship: same id, consecutive (ORDER BY id) */
	first = s->row;
	row = rows->element[first];
	id = elem(elem(row, 0), 1);
	if (!id || id->type != REDIS_REPLY_INTEGER) {
		s->row++;
		return bad(s, "a row has no id");
	}
	for (end = first + 1; end < rows->elements; end++) {
		const redisReply *i2 = elem(elem(rows->element[end], 0), 1);

		if (!i2 || i2->type != REDIS_REPLY_INTEGER || i2->integer != id->integer)
			break;
	}
	s->row = end;
	if (s->phase == 0) {
		const redisReply *labels = elem(elem(row, 1), 1);
		size_t ml = strlen(s->label);

		rec->kind = GM_NODE;
		if (!labels || labels->type != REDIS_REPLY_ARRAY)
			return bad(s, "a node row has no labels");
		b->progress_done = (uint64_t)id->integer;
		rec->labels = labels->elements
				      ? gm_arena_alloc(a, labels->elements * sizeof(*rec->labels))
				      : NULL;
		if (labels->elements && !rec->labels)
			return GM_ENOMEM;
		for (size_t i = 0; i < labels->elements; i++) {
			const redisReply *l = elem(labels->element[i], 1);

			if (!l || l->type != REDIS_REPLY_STRING)
				return bad(s, "a label is not a string");
			if (l->len == ml && !memcmp(l->str, s->label, ml))
				continue;
			if (!(rec->labels[rec->nlabels].p = gm_arena_strdup(a, l->str, l->len)))
				return GM_ENOMEM;
			rec->labels[rec->nlabels++].len = l->len;
		}
		if ((error = decode_props(s, rows, first, end, 2, rec, &rec->key, &has_key, a)) <
		    0) {
			if (error == GM_EDATA)
				return gm_error_set(
					GM_EDATA, "invalid node %lld in falkordb %s: %s",
					(long long)id->integer, s->where, gm_error_last());
			return error;
		}
		if (!has_key)
			return key_of(id, NULL, &rec->key, a);
		return 0;
	}
	{
		const redisReply *type = elem(elem(row, 1), 1);

		rec->kind = GM_REL;
		if (!type || type->type != REDIS_REPLY_STRING)
			return bad(s, "a relationship row has no type");
		if (!(rec->type.p = gm_arena_strdup(a, type->str, type->len)))
			return GM_ENOMEM;
		rec->type.len = type->len;
		if ((error = key_of(elem(elem(row, 2), 1), elem(row, 3), &rec->from, a)) < 0 ||
		    (error = key_of(elem(elem(row, 4), 1), elem(row, 5), &rec->to, a)) < 0)
			return error;
		if ((error = decode_props(s, rows, first, end, 6, rec, &rec->key, &has_key, a)) <
		    0) {
			if (error == GM_EDATA)
				return gm_error_set(
					GM_EDATA, "invalid relationship %lld in falkordb %s: %s",
					(long long)id->integer, s->where, gm_error_last());
			return error;
		}
		if (!has_key)
			rec->key.p = NULL, rec->key.len = 0;
		return 0;
	}
}

static int count_query(struct fdb *s, const char *q, int64_t *out, int64_t *out2)
{
	redisReply *r;
	const redisReply *row;
	int error;

	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q, q);
	if ((error = query(s, 1, &r, "cannot count")) < 0)
		return error;
	row = elem(elem(r, 1), 0);
	*out = elem(elem(row, 0), 1) ? elem(elem(row, 0), 1)->integer : 0;
	if (out2)
		*out2 = elem(elem(row, 1), 1) && elem(elem(row, 1), 1)->type == REDIS_REPLY_INTEGER
				? elem(elem(row, 1), 1)->integer
				: -1;
	freeReplyObject(r);
	return 0;
}

static int fdb_count(struct gm_backend *b, uint64_t *nodes, uint64_t *rels)
{
	struct fdb *s = (struct fdb *)b;
	int64_t n = 0, r = 0;
	int error;

	if ((error = count_query(s, "MATCH (n) RETURN count(n)", &n, NULL)) < 0 ||
	    (error = count_query(s, "MATCH ()-[r]->() RETURN count(r)", &r, NULL)) < 0)
		return error;
	*nodes = (uint64_t)n;
	*rels = (uint64_t)r;
	return 0;
}

/* ---- writing ---- */

static int describe(const struct gm_record *r, char *buf, size_t n)
{
	char pos[40] = "";

	if (r->line)
		snprintf(pos, sizeof(pos), " (line %llu)", (unsigned long long)r->line);
	return snprintf(buf, n, "%s '%.*s'%s", r->kind == GM_NODE ? "node" : "relationship",
			(int)(r->key.len > 100 ? 100 : r->key.len), r->key.p ? r->key.p : "", pos);
}

/* Why FalkorDB cannot store v exactly (or gmig cannot read it back), or NULL. */
static const char *unstorable(const struct gm_value *v, int depth)
{
	int64_t y;
	unsigned m, d;
	const char *why;

	switch (v->type) {
	case GM_T_STRING:
		return memchr(v->u.s.p, 0, v->u.s.len) ? "a String value with a NUL character"
						       : NULL;
	case GM_T_LIST:
		/* hiredis 0.14 reads replies at most 7 arrays deep: a list in a list is the most */
		if (depth >= 2)
			return "a List value nested more than two deep (this build reads FalkorDB "
			       "replies at most 7 arrays deep: hiredis 0.14)";
		for (size_t i = 0; i < v->u.list.n; i++)
			if ((why = unstorable(&v->u.list.v[i], depth + 1)))
				return why;
		return NULL;
	case GM_T_DATE:
		gm_civil_from_days(v->u.t.secs, &y, &m, &d);
		return y < 0 || y > 9999 ? "a Date value outside the years 0..9999" : NULL;
	case GM_T_LOCALTIME:
		return v->u.t.nanos
			       ? "a LocalTime value with fractions of a second (FalkorDB keeps "
				 "whole seconds)"
			       : NULL;
	case GM_T_LOCALDATETIME: {
		int64_t days =
			v->u.t.secs >= 0 ? v->u.t.secs / 86400 : -((-v->u.t.secs + 86399) / 86400);

		if (v->u.t.nanos)
			return "a LocalDateTime value with fractions of a second (FalkorDB keeps "
			       "whole seconds)";
		gm_civil_from_days(days, &y, &m, &d);
		return y < 0 || y > 9999 ? "a LocalDateTime value outside the years 0..9999" : NULL;
	}
	case GM_T_POINT:
		if (v->u.pt.srid != 4326 || v->u.pt.dim != 2)
			return "a Point value other than 2D WGS-84 (SRID 4326)";
		if ((double)(float)v->u.pt.x != v->u.pt.x || (double)(float)v->u.pt.y != v->u.pt.y)
			return "a Point value whose coordinates are not float32 values (FalkorDB "
			       "keeps float32)";
		if (fabs(v->u.pt.y) > 90 || fabs(v->u.pt.x) > 180)
			return "a Point value outside latitude -90..90, longitude -180..180";
		return NULL;
	default: return NULL;
	}
}

static int check_record(struct fdb *s, const struct gm_record *r)
{
	char who[200];
	size_t kl = strlen(s->key);

	for (size_t k = 0; k < r->nprops; k++) {
		const char *why;

		if (r->props[k].key.len == kl && !memcmp(r->props[k].key.p, s->key, kl)) {
			describe(r, who, sizeof(who));
			return gm_error_set(
				GM_EDATA,
				"%s has a property '%s', which falkordb %s uses for keys "
				"(name another with ?key=NAME)",
				who, s->key, s->where);
		}
		if ((why = unstorable(&r->props[k].val, 0))) {
			describe(r, who, sizeof(who));
			return gm_error_set(
				GM_EUNSUPPORTED,
				"%s has %s in property '%.*s', which falkordb cannot store%s", who,
				why, (int)(r->props[k].key.len > 100 ? 100 : r->props[k].key.len),
				r->props[k].key.p,
				s->lossy ? "" : " (--lossy=stringify or drop accepts the loss)");
		}
	}
	for (size_t l = 0; l < r->nlabels + (r->kind == GM_REL); l++) {
		struct gm_str n = r->kind == GM_REL ? r->type : r->labels[l];

		if (memchr(n.p, '`', n.len)) {
			describe(r, who, sizeof(who));
			return gm_error_set(GM_EUNSUPPORTED,
					    "%s has the %s '%.*s' with a backtick, which falkordb "
					    "cannot store (its Cypher has no escape for it)",
					    who, r->kind == GM_REL ? "type" : "label",
					    (int)(n.len > 100 ? 100 : n.len), n.p);
		}
	}
	for (size_t k = 0; k < r->nprops; k++) {
		if (memchr(r->props[k].key.p, '`', r->props[k].key.len)) {
			describe(r, who, sizeof(who));
			return gm_error_set(
				GM_EUNSUPPORTED,
				"%s has the property name '%.*s' with a backtick, which "
				"falkordb cannot store (its Cypher has no escape for it)",
				who, (int)(r->props[k].key.len > 100 ? 100 : r->props[k].key.len),
				r->props[k].key.p);
		}
	}
	if (r->kind == GM_NODE && !r->key.p)
		return gm_error_set(GM_EDATA, "invalid node for falkordb %s: it has no key",
				    s->where);
	return 0;
}

static int put_value(struct gm_buf *b, const struct gm_value *v)
{
	int error;

	switch (v->type) {
	case GM_T_BOOL: return gm_buf_puts(b, v->u.b ? "true" : "false");
	case GM_T_INT:
		if (v->u.i == INT64_MIN)
			return gm_buf_puts(b, "(-9223372036854775807 - 1)");
		return gm_buf_put_i64(b, v->u.i);
	case GM_T_FLOAT: return gm__cy_put_double(b, v->u.f, CY);
	case GM_T_STRING: return gm__cy_put_string(b, v->u.s.p, v->u.s.len, CY);
	case GM_T_LIST:
		gm_buf_putc(b, '[');
		for (size_t i = 0; i < v->u.list.n; i++) {
			if (i)
				gm_buf_putc(b, ',');
			if ((error = put_value(b, &v->u.list.v[i])) < 0)
				return error;
		}
		return gm_buf_putc(b, ']');
	case GM_T_DATE:
	case GM_T_LOCALTIME:
	case GM_T_LOCALDATETIME:
		gm_buf_puts(b, v->type == GM_T_DATE	   ? "date('"
			       : v->type == GM_T_LOCALTIME ? "localtime('"
							   : "localdatetime('");
		if ((error = gm_value_format_text(b, v)) < 0)
			return error;
		return gm_buf_puts(b, "')");
	case GM_T_POINT:
		gm_buf_puts(b, "point({latitude:");
		gm__cy_put_double(b, v->u.pt.y, CY);
		gm_buf_puts(b, ",longitude:");
		gm__cy_put_double(b, v->u.pt.x, CY);
		return gm_buf_puts(b, "})");
	case GM_T_VECTOR:
		gm_buf_puts(b, "vecf32([");
		for (size_t i = 0; i < v->u.vec.n; i++) {
			if (i)
				gm_buf_putc(b, ',');
			gm__cy_put_float32(b, v->u.vec.v[i], CY);
		}
		return gm_buf_puts(b, "])");
	default:
		return gm_error_set(GM_EUNSUPPORTED, "falkordb cannot store a %s value",
				    gm_type_name(v->type));
	}
}

/* {_key:'k', a:1, ...} */
static int put_props(struct fdb *s, struct gm_buf *b, const struct gm_record *r)
{
	int error;

	gm_buf_putc(b, '{');
	gm__cy_put_name(b, gm_str_c(s->key));
	gm_buf_putc(b, ':');
	if (r->key.p)
		gm__cy_put_string(b, r->key.p, r->key.len, CY);
	else
		gm_buf_puts(b, "null");
	for (size_t k = 0; k < r->nprops; k++) {
		gm_buf_putc(b, ',');
		gm__cy_put_name(b, r->props[k].key);
		gm_buf_putc(b, ':');
		if ((error = put_value(b, &r->props[k].val)) < 0)
			return error;
	}
	return gm_buf_putc(b, '}');
}

static int same_labels(const struct gm_record *a, const struct gm_record *b)
{
	if (a->nlabels != b->nlabels)
		return 0;
	for (size_t i = 0; i < a->nlabels; i++)
		if (!gm_str_eq(a->labels[i], b->labels[i]))
			return 0;
	return 1;
}

/* ":A:B", the labels of reply cell list that are neither the marker nor in r's labels */
static void extra_labels(struct fdb *s, struct gm_buf *b, const redisReply *list,
			 const struct gm_str *labels, size_t nlabels)
{
	size_t ml = strlen(s->label);

	for (size_t l = 0; list && list->type == REDIS_REPLY_ARRAY && l < list->elements; l++) {
		const redisReply *x = elem(list->element[l], 1);
		struct gm_str ls;
		size_t k;

		if (!x || x->type != REDIS_REPLY_STRING ||
		    (x->len == ml && !memcmp(x->str, s->label, ml)))
			continue;
		ls.p = x->str;
		ls.len = x->len;
		for (k = 0; k < nlabels; k++)
			if (gm_str_eq(ls, labels[k]))
				break;
		if (k < nlabels)
			continue;
		gm_buf_putc(b, ':');
		gm__cy_put_name(b, ls);
	}
}

/* "{s:FROM,e:TO" and ",k:KEY" when key is not NULL: a relationship's row of an UNWIND (open) */
static void put_ends(struct fdb *s, struct gm_str from, struct gm_str to, const struct gm_str *key)
{
	gm_buf_puts(&s->q, "{s:");
	gm__cy_put_string(&s->q, from.p, from.len, CY);
	gm_buf_puts(&s->q, ",e:");
	gm__cy_put_string(&s->q, to.p, to.len, CY);
	if (key) {
		gm_buf_puts(&s->q, ",k:");
		gm__cy_put_string(&s->q, key->p, key->len, CY);
	}
}

static void put_match_node(struct fdb *s, const char *var, const char *expr, struct gm_str lit);

/* "(var:_gmig {_key: expr})": a node of gmig's by its key */
static void put_node(struct fdb *s, const char *var, const char *expr)
{
	put_match_node(s, var, expr, (struct gm_str){NULL, 0});
}

/*
 * An upsert replaces a node's labels: r is the MERGE's reply (row.k,
 * labels(n) before the batch's labels are set); the labels a node had that
 * its record has not are REMOVEd, one query per distinct set of them.
 */
static int drop_labels(struct fdb *s, const struct gm_record *recs, size_t n, const redisReply *r)
{
	const redisReply *rows = elem(r, 1);
	struct gm_keyset *idx = NULL;
	struct extra {
		size_t off, len; /* the ":A:B" text in s->lit */
		struct gm_str key;
	} *ex = NULL;
	size_t nex = 0;
	int error;

	if (!rows || !rows->elements)
		return 0;
	if ((error = gm_keyset_new(&idx)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == GM_NODE &&
		    gm_keyset_put(idx, recs[i].key.p, recs[i].key.len, (uint32_t)i, NULL) < 0) {
			error = GM_ENOMEM;
			goto out;
		}
	if (!(ex = gm_malloc(rows->elements * sizeof(*ex)))) {
		error = GM_ENOMEM;
		goto out;
	}
	gm_buf_clear(&s->lit);
	for (size_t i = 0; i < rows->elements; i++) {
		const redisReply *k = elem(elem(rows->element[i], 0), 1);
		size_t off = s->lit.len;
		uint32_t j;

		if (!k || k->type != REDIS_REPLY_STRING || !gm_keyset_get(idx, k->str, k->len, &j))
			continue;
		extra_labels(s, &s->lit, elem(elem(rows->element[i], 1), 1), recs[j].labels,
			     recs[j].nlabels);
		if (s->lit.len > off)
			ex[nex++] = (struct extra){off, s->lit.len - off, recs[j].key};
	}
	if (s->lit.oom) {
		error = GM_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nex && !error; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (ex[j].len == ex[i].len &&
			    !memcmp(s->lit.p + ex[j].off, s->lit.p + ex[i].off, ex[i].len))
				break;
		if (j < i)
			continue;
		gm_buf_clear(&s->q);
		gm_buf_puts(&s->q, "UNWIND [");
		for (j = i; j < nex; j++) {
			if (ex[j].len != ex[i].len ||
			    memcmp(s->lit.p + ex[j].off, s->lit.p + ex[i].off, ex[i].len))
				continue;
			if (j > i)
				gm_buf_putc(&s->q, ',');
			gm__cy_put_string(&s->q, ex[j].key.p, ex[j].key.len, CY);
		}
		gm_buf_puts(&s->q, "] AS k MATCH ");
		put_node(s, "n", "k");
		gm_buf_puts(&s->q, " REMOVE n");
		gm_buf_put(&s->q, s->lit.p + ex[i].off, ex[i].len);
		error = exec(s, "cannot remove labels");
	}
out:
	gm_keyset_free(idx);
	gm_free(ex);
	return error;
}

static int write_nodes(struct fdb *s, const struct gm_record *recs, size_t n)
{
	int error;
	size_t first = 1;

	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q, "UNWIND [");
	for (size_t i = 0; i < n; i++) {
		if (recs[i].kind != GM_NODE)
			continue;
		if (!first)
			gm_buf_putc(&s->q, ',');
		first = 0;
		gm_buf_puts(&s->q, "{k:");
		gm__cy_put_string(&s->q, recs[i].key.p, recs[i].key.len, CY);
		gm_buf_puts(&s->q, ",p:");
		if ((error = put_props(s, &s->q, &recs[i])) < 0)
			return error;
		gm_buf_putc(&s->q, '}');
	}
	if (first)
		return 0;
	gm_buf_puts(&s->q, "] AS row MERGE ");
	put_node(s, "n", "row.k");
	gm_buf_puts(&s->q, " SET n = row.p");
	if (s->graph_created) {
		if ((error = exec(s, "cannot write nodes")) < 0)
			return error;
	} else {
		redisReply *r;

		gm_buf_puts(&s->q, " RETURN row.k, labels(n)");
		if ((error = query(s, 0, &r, "cannot write nodes")) < 0)
			return error;
		error = drop_labels(s, recs, n, r);
		freeReplyObject(r);
		if (error < 0)
			return error;
	}
	/* labels: one query per distinct label set (first appearance order) */
	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (recs[i].kind != GM_NODE || !recs[i].nlabels)
			continue;
		for (j = 0; j < i; j++)
			if (recs[j].kind == GM_NODE && same_labels(&recs[i], &recs[j]))
				break;
		if (j < i)
			continue;
		gm_buf_clear(&s->q);
		gm_buf_puts(&s->q, "UNWIND [");
		for (j = i; j < n; j++) {
			if (recs[j].kind != GM_NODE || !same_labels(&recs[i], &recs[j]))
				continue;
			if (j > i)
				gm_buf_putc(&s->q, ',');
			gm__cy_put_string(&s->q, recs[j].key.p, recs[j].key.len, CY);
		}
		gm_buf_puts(&s->q, "] AS k MATCH ");
		put_node(s, "n", "k");
		gm_buf_puts(&s->q, " SET n");
		for (size_t l = 0; l < recs[i].nlabels; l++) {
			gm_buf_putc(&s->q, ':');
			gm__cy_put_name(&s->q, recs[i].labels[l]);
		}
		if ((error = exec(s, "cannot set labels")) < 0)
			return error;
	}
	return 0;
}

/* The first relationship endpoint of recs that is not in the graph, as a GM_EDATA. */
static int check_endpoints(struct fdb *s, const struct gm_record *recs, size_t n)
{
	redisReply *r;
	const redisReply *k;
	int error, any = 0;
	char who[200];

	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q, "UNWIND [");
	for (size_t i = 0; i < n; i++) {
		const struct gm_str ends[2] = {recs[i].from, recs[i].to};

		if (recs[i].kind != GM_REL)
			continue;
		for (int e = 0; e < 2; e++) {
			if (gm_keyset_get(s->nodes, ends[e].p, ends[e].len, NULL))
				continue;
			if (any++)
				gm_buf_putc(&s->q, ',');
			gm__cy_put_string(&s->q, ends[e].p, ends[e].len, CY);
		}
	}
	if (!any)
		return 0;
	gm_buf_puts(&s->q, "] AS k OPTIONAL MATCH ");
	put_node(s, "n", "k");
	gm_buf_puts(&s->q, " WITH k, n WHERE n IS NULL RETURN k LIMIT 1");
	if ((error = query(s, 1, &r, "cannot look up endpoints")) < 0)
		return error;
	k = elem(elem(elem(elem(r, 1), 0), 0), 1);
	if (!k || k->type != REDIS_REPLY_STRING) {
		freeReplyObject(r);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		int start;

		if (recs[i].kind != GM_REL)
			continue;
		start = recs[i].from.len == k->len && !memcmp(recs[i].from.p, k->str, k->len);
		if (!start && !(recs[i].to.len == k->len && !memcmp(recs[i].to.p, k->str, k->len)))
			continue;
		describe(&recs[i], who, sizeof(who));
		error = gm_error_set(
			GM_EDATA,
			"%s: its %s node '%.*s' is not in falkordb %s; FalkorDB cannot "
			"store a relationship without both nodes",
			who, start ? "start" : "end", (int)(k->len > 100 ? 100 : k->len), k->str,
			s->where);
		freeReplyObject(r);
		return error;
	}
	freeReplyObject(r);
	return 0;
}

static int rel_index(struct fdb *s, struct gm_str type)
{
	redisReply *r;
	int error;

	if (gm_keyset_get(s->types, type.p, type.len, NULL))
		return 0;
	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q, "CREATE INDEX FOR ()-[r:");
	gm__cy_put_name(&s->q, type);
	gm_buf_puts(&s->q, "]-() ON (r.");
	gm__cy_put_name(&s->q, gm_str_c(s->key));
	gm_buf_puts(&s->q, ")");
	error = query(s, 0, &r, "cannot create an index");
	freeReplyObject(r);
	if (error < 0 && !strstr(gm_error_last(), "already indexed"))
		return error;
	gm_error_clear();
	return gm_keyset_put(s->types, type.p, type.len, 0, NULL) < 0 ? GM_ENOMEM : 0;
}

static int write_rels(struct fdb *s, const struct gm_record *recs, size_t n)
{
	int error;

	if ((error = check_endpoints(s, recs, n)) < 0)
		return error;
	/* one query per type and keyed/keyless, in first appearance order */
	for (size_t i = 0; i < n; i++) {
		size_t j;
		int keyed = recs[i].key.p != NULL, rows = 0;

		if (recs[i].kind != GM_REL)
			continue;
		for (j = 0; j < i; j++)
			if (recs[j].kind == GM_REL && (recs[j].key.p != NULL) == keyed &&
			    gm_str_eq(recs[j].type, recs[i].type))
				break;
		if (j < i)
			continue;
		if ((error = rel_index(s, recs[i].type)) < 0)
			return error;
		gm_buf_clear(&s->q);
		gm_buf_puts(&s->q, "UNWIND [");
		for (j = i; j < n; j++) {
			if (recs[j].kind != GM_REL || (recs[j].key.p != NULL) != keyed ||
			    !gm_str_eq(recs[j].type, recs[i].type))
				continue;
			if (rows++)
				gm_buf_putc(&s->q, ',');
			put_ends(s, recs[j].from, recs[j].to, keyed ? &recs[j].key : NULL);
			gm_buf_puts(&s->q, ",p:");
			if ((error = put_props(s, &s->q, &recs[j])) < 0)
				return error;
			gm_buf_putc(&s->q, '}');
		}
		gm_buf_puts(&s->q, "] AS row MATCH ");
		put_node(s, "a", "row.s");
		gm_buf_puts(&s->q, " MATCH (b:");
		gm__cy_put_name(&s->q, gm_str_c(s->label));
		gm_buf_puts(&s->q, " {");
		gm__cy_put_name(&s->q, gm_str_c(s->key));
		gm_buf_puts(&s->q, keyed ? ": row.e}) MERGE (a)-[r:" : ": row.e}) CREATE (a)-[r:");
		gm__cy_put_name(&s->q, recs[i].type);
		if (keyed) {
			gm_buf_puts(&s->q, " {");
			gm__cy_put_name(&s->q, gm_str_c(s->key));
			gm_buf_puts(&s->q, ": row.k}");
		}
		gm_buf_puts(&s->q, "]->(b) SET r = row.p");
		if (!keyed) /* no key property on a relationship without a key */
			gm_buf_puts(&s->q, " REMOVE r."), gm__cy_put_name(&s->q, gm_str_c(s->key));
		if ((error = exec(s, "cannot write relationships")) < 0)
			return error;
	}
	return 0;
}

/* Duplicate keys: against the run's and within the batch. */
static int check_dups(struct fdb *s, const struct gm_record *recs, size_t n)
{
	struct gm_keyset *batch[2] = {NULL, NULL};
	int error = 0;
	char who[200];

	for (size_t i = 0; i < n && !error; i++) {
		int rel = recs[i].kind == GM_REL;
		struct gm_keyset *run = rel ? s->rels : s->nodes;
		int added;

		if (!recs[i].key.p)
			continue;
		if (!batch[rel] && (error = gm_keyset_new(&batch[rel])) < 0)
			break;
		added = gm_keyset_put(batch[rel], recs[i].key.p, recs[i].key.len, 0, NULL);
		if (added < 0) {
			error = added;
			break;
		}
		if (!added || gm_keyset_get(run, recs[i].key.p, recs[i].key.len, NULL)) {
			describe(&recs[i], who, sizeof(who));
			error = gm_error_set(
				GM_EDATA,
				"invalid %s for falkordb %s: a %s with this key was "
				"already written in this run; falkordb cannot store two "
				"%ss with one key",
				who, s->where, rel ? "relationship" : "node",
				rel ? "relationship" : "node");
		}
	}
	gm_keyset_free(batch[0]);
	gm_keyset_free(batch[1]);
	return error;
}

/*
 * ---- runs and the undo log ----
 *
 * Written before each batch (see the file header): what the batch creates and
 * what it changes, with the content from before. Entries are a kind byte and
 * fields "<decimal length>:<bytes>".
 */

static void u_field(struct gm_buf *b, const char *p, size_t n)
{
	gm_buf_printf(b, "%zu:", n);
	gm_buf_put(b, p, n);
}

static void u_str(struct gm_buf *b, struct gm_str v)
{
	u_field(b, v.p ? v.p : "", v.len);
}

/* Parses the next field at *p; -1 when malformed. */
static int u_next(const char **p, const char *end, struct gm_str *out)
{
	size_t n = 0;
	const char *q = *p;

	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9') {
		n = n * 10 + (size_t)(*q - '0');
		if (n > (size_t)(end - q))
			return -1;
		q++;
	}
	if (q >= end || *q != ':' || (size_t)(end - q - 1) < n)
		return -1;
	out->p = q + 1;
	out->len = n;
	*p = q + 1 + n;
	return 0;
}

/*
 * The identity of what an entry is about: 'n' + key for a node, 'r' + type,
 * start, end + key for a keyed relationship, 'x' + type, start, end for the
 * keyless relationships of one type between two nodes.
 */
static void ident(struct gm_buf *b, char kind, struct gm_str key, struct gm_str type,
		  struct gm_str from, struct gm_str to)
{
	gm_buf_clear(b);
	gm_buf_putc(b, kind);
	if (kind != 'n') {
		u_str(b, type);
		u_str(b, from);
		u_str(b, to);
	}
	if (kind != 'x')
		gm_buf_put(b, key.p ? key.p : "", key.len);
}

static void ident_rec(struct gm_buf *b, const struct gm_record *r)
{
	ident(b, r->kind == GM_NODE ? 'n' : r->key.p ? 'r' : 'x', r->key, r->type, r->from, r->to);
}

/* Runs a Redis command; *out is the reply (free it), never an error reply. */
static int rcmd(struct fdb *s, redisReply **out, const char *what, int argc, const char **argv,
		const size_t *lens)
{
	size_t l[6];
	redisReply *r;

	*out = NULL;
	if (!lens) {
		for (int i = 0; i < argc; i++)
			l[i] = strlen(argv[i]);
		lens = l;
	}
	r = redisCommandArgv(s->c, argc, argv, lens);
	if (!r)
		return io_error(s);
	if (r->type == REDIS_REPLY_ERROR) {
		int error = server_error(s, r, what);

		freeReplyObject(r);
		return error;
	}
	*out = r;
	return 0;
}

/* "gmig:runs:<graph>" and "gmig:undo:<graph>:<run>" */
static int run_keys(struct fdb *s, int64_t run)
{
	size_t g = strlen(s->graph);

	gm_free(s->runs_key);
	gm_free(s->undo_key);
	s->runs_key = gm_malloc(g + 16);
	s->undo_key = gm_malloc(g + 40);
	if (!s->runs_key || !s->undo_key)
		return GM_ENOMEM;
	snprintf(s->runs_key, g + 16, "gmig:runs:%s", s->graph);
	snprintf(s->undo_key, g + 40, "gmig:undo:%s:%" PRId64, s->graph, run);
	return 0;
}

/* A run's row in gmig:runs:<graph>: "<status> <graph_created> <started> <finished> <nodes> <rels>" */
struct runrec {
	char status[16]; /* running, committed, failed, rolled-back */
	int graph_created;
	long long started, finished;
	unsigned long long nodes, rels;
};

static int run_get(struct fdb *s, int64_t run, struct runrec *rr, int *found)
{
	char field[32];
	const char *argv[3] = {"HGET", s->runs_key, field};
	redisReply *r;
	int error;

	memset(rr, 0, sizeof(*rr));
	*found = 0;
	snprintf(field, sizeof(field), "%" PRId64, run);
	if ((error = rcmd(s, &r, "cannot read the runs", 3, argv, NULL)) < 0)
		return error;
	if (r->type == REDIS_REPLY_STRING) {
		char tmp[200];

		snprintf(tmp, sizeof(tmp), "%.*s", (int)(r->len < 199 ? r->len : 199), r->str);
		*found = sscanf(tmp, "%15s %d %lld %lld %llu %llu", rr->status, &rr->graph_created,
				&rr->started, &rr->finished, &rr->nodes, &rr->rels) == 6;
	}
	freeReplyObject(r);
	return 0;
}

static int run_put(struct fdb *s, int64_t run, const struct runrec *rr)
{
	char field[32], val[200];
	const char *argv[4] = {"HSET", s->runs_key, field, val};
	redisReply *r;
	int error;

	snprintf(field, sizeof(field), "%" PRId64, run);
	snprintf(val, sizeof(val), "%s %d %lld %lld %llu %llu", rr->status, rr->graph_created,
		 rr->started, rr->finished, rr->nodes, rr->rels);
	error = rcmd(s, &r, "cannot record the run", 4, argv, NULL);
	freeReplyObject(r);
	return error;
}

/* The run's row as it is now; status NULL keeps it. */
static int run_update(struct fdb *s, const char *status)
{
	struct runrec rr;
	int found, error;

	if ((error = run_get(s, s->base.run, &rr, &found)) < 0)
		return error;
	if (!found)
		return gm_error_set(GM_EIO, "falkordb %s: run %" PRId64 " has vanished from %s",
				    s->where, s->base.run, s->runs_key);
	if (status) {
		snprintf(rr.status, sizeof(rr.status), "%s", status);
		rr.finished = (long long)time(NULL);
	}
	rr.nodes = s->base.nodes_written;
	rr.rels = s->base.rels_written;
	return run_put(s, s->base.run, &rr);
}

/* Adds the identities of one undo blob to set (all entries, or only 'N' entries). */
static int blob_idents(struct fdb *s, const char *p, size_t len, struct gm_keyset *set,
		       int created_nodes_only);

/*
 * Starts the run (or continues o->run) before the first write; the graph did
 * not exist before when the run creates it.
 */
static int run_open(struct fdb *s)
{
	struct runrec rr;
	redisReply *r;
	int error, found;

	if ((error = gm_keyset_new(&s->touched)) < 0 || (error = gm_arena_new(&s->ua)) < 0 ||
	    (error = run_keys(s, 0)) < 0)
		return error;
	if (s->resume_run > 0) {
		if ((error = run_keys(s, s->resume_run)) < 0 ||
		    (error = run_get(s, s->resume_run, &rr, &found)) < 0)
			return error;
		if (!found)
			return gm_error_set(GM_EINVAL,
					    "cannot resume run %" PRId64
					    ": falkordb %s has no such run",
					    s->resume_run, s->where);
		if (!strcmp(rr.status, "committed") || !strcmp(rr.status, "rolled-back"))
			return gm_error_set(
				GM_EINVAL, "cannot resume run %" PRId64 " in falkordb %s: it is %s",
				s->resume_run, s->where, rr.status);
		s->base.run = s->resume_run;
		s->graph_created = rr.graph_created;
		snprintf(rr.status, sizeof(rr.status), "running");
		if ((error = run_put(s, s->base.run, &rr)) < 0)
			return error;
		/* the batch after the checkpoint may be written again: its entries stay first */
		{
			const char *argv[3] = {"LINDEX", s->undo_key, "-1"};

			if ((error = rcmd(s, &r, "cannot read the undo log", 3, argv, NULL)) < 0)
				return error;
			if (r->type == REDIS_REPLY_STRING)
				error = blob_idents(s, r->str, r->len, s->touched, 0);
			freeReplyObject(r);
			return error;
		}
	}
	{
		const char *argv[2] = {"EXISTS", s->graph};

		if ((error = rcmd(s, &r, "cannot look for the graph", 2, argv, NULL)) < 0)
			return error;
		s->graph_created = r->type == REDIS_REPLY_INTEGER && r->integer == 0;
		freeReplyObject(r);
	}
	{
		const char *argv[4] = {"HINCRBY", s->runs_key, "next", "1"};

		if ((error = rcmd(s, &r, "cannot start a run", 4, argv, NULL)) < 0)
			return error;
		s->base.run = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
		freeReplyObject(r);
	}
	if (s->base.run <= 0)
		return gm_error_set(GM_EIO, "falkordb %s: %s has no valid run counter", s->where,
				    s->runs_key);
	memset(&rr, 0, sizeof(rr));
	snprintf(rr.status, sizeof(rr.status), "running");
	rr.graph_created = s->graph_created;
	rr.started = (long long)time(NULL);
	if ((error = run_keys(s, s->base.run)) < 0)
		return error;
	return run_put(s, s->base.run, &rr);
}

/* Calls fn for every node (phase 0) or relationship (phase 1) of a reply in the reader's shape. */
static int each_record(struct fdb *s, redisReply *r, int phase,
		       int (*fn)(struct fdb *, struct gm_record *, void *), void *ctx)
{
	redisReply *old = s->reply;
	size_t orow = s->row;
	int ophase = s->phase, error = 0;
	const redisReply *rows = elem(r, 1);

	if (!rows || rows->type != REDIS_REPLY_ARRAY || elem(r, 2) == NULL)
		return 0;
	s->reply = r;
	s->row = 0;
	s->phase = phase;
	while (!error && s->row < rows->elements) {
		struct gm_record rec;

		if ((error = fdb_read_next(&s->base, &rec, s->ua)) == 0)
			error = fn(s, &rec, ctx);
	}
	s->reply = old;
	s->row = orow;
	s->phase = ophase;
	return error;
}

struct prior_ctx {
	struct gm_keyset *idx; /* identity -> batch index */
	struct gm_record **prior;
};

static int keep_prior(struct fdb *s, struct gm_record *rec, void *ctx)
{
	struct prior_ctx *c = ctx;
	uint32_t i;
	int error;

	if ((error = gm_record_canonicalize(rec)) < 0)
		return error;
	ident_rec(&s->id, rec);
	if (s->id.oom)
		return GM_ENOMEM;
	if (!gm_keyset_get(c->idx, s->id.p, s->id.len, &i) || c->prior[i])
		return 0;
	if (!(c->prior[i] = gm_arena_alloc(s->ua, sizeof(*rec))))
		return GM_ENOMEM;
	*c->prior[i] = *rec;
	return 0;
}

/* Whether writing now over prior changes it (properties and labels replaced). */
static int changes(struct fdb *s, const struct gm_record *now, const struct gm_record *prior,
		   int *out)
{
	size_t half;
	int error;

	gm_buf_clear(&s->lit);
	if ((error = put_props(s, &s->lit, now)) < 0)
		return error;
	half = s->lit.len;
	if ((error = put_props(s, &s->lit, prior)) < 0)
		return error;
	if (s->lit.oom)
		return GM_ENOMEM;
	*out = s->lit.len != 2 * half || memcmp(s->lit.p, s->lit.p + half, half);
	/* labels are replaced (nodes): the same set or a change */
	for (int pass = 0; pass < 2 && !*out; pass++) {
		const struct gm_record *a = pass ? prior : now, *b = pass ? now : prior;

		for (size_t i = 0; i < a->nlabels && !*out; i++) {
			size_t j;

			for (j = 0; j < b->nlabels; j++)
				if (gm_str_eq(a->labels[i], b->labels[j]))
					break;
			*out = j == b->nlabels;
		}
	}
	return 0;
}

/* The prior content of a record as an entry 'n' (node) or 'r' (relationship). */
static int put_changed(struct fdb *s, const struct gm_record *r, const struct gm_record *prior)
{
	char who[200];
	int error;

	gm_buf_clear(&s->lit);
	if ((error = put_props(s, &s->lit, prior)) < 0) {
		describe(r, who, sizeof(who));
		return gm_error_set(GM_EUNSUPPORTED,
				    "%s: falkordb %s holds it with a value gmig cannot write back "
				    "(%s), so a rollback could not restore it",
				    who, s->where, gm_error_last());
	}
	if (r->kind == GM_NODE) {
		char nl[32];

		gm_buf_putc(&s->u, 'n');
		u_str(&s->u, r->key);
		snprintf(nl, sizeof(nl), "%zu", prior->nlabels);
		u_field(&s->u, nl, strlen(nl));
		for (size_t l = 0; l < prior->nlabels; l++)
			u_str(&s->u, prior->labels[l]);
	} else {
		gm_buf_putc(&s->u, 'r');
		u_str(&s->u, r->type);
		u_str(&s->u, r->from);
		u_str(&s->u, r->to);
		u_str(&s->u, r->key);
	}
	u_field(&s->u, s->lit.p, s->lit.len);
	return 0;
}

static void put_created(struct fdb *s, const struct gm_record *r)
{
	if (r->kind == GM_NODE) {
		gm_buf_putc(&s->u, 'N');
		u_str(&s->u, r->key);
		return;
	}
	gm_buf_putc(&s->u, 'R');
	u_str(&s->u, r->type);
	u_str(&s->u, r->from);
	u_str(&s->u, r->to);
	u_str(&s->u, r->key);
}

/* Whether rec's identity had no entry yet in this run (and now counts as having one). */
static int first_touch(struct fdb *s, const struct gm_record *r)
{
	ident_rec(&s->id, r);
	if (s->id.oom)
		return GM_ENOMEM;
	return gm_keyset_put(s->touched, s->id.p, s->id.len, 0, NULL);
}

/* Entries for the nodes (kind GM_NODE) or keyed relationships (GM_REL) of the batch. */
static int undo_keyed(struct fdb *s, const struct gm_record *recs, size_t n, enum gm_kind kind)
{
	struct prior_ctx c = {NULL, NULL};
	uint8_t *todo = NULL;
	redisReply *r = NULL;
	int error = 0;

	if ((error = gm_keyset_new(&c.idx)) < 0)
		return error;
	if (!(c.prior = gm_calloc(n ? n : 1, sizeof(*c.prior))) ||
	    !(todo = gm_calloc(n ? n : 1, 1))) {
		error = GM_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (recs[i].kind != kind || (kind == GM_REL && !recs[i].key.p))
			continue;
		ident_rec(&s->id, &recs[i]);
		if (s->id.oom) {
			error = GM_ENOMEM;
			goto out;
		}
		if (gm_keyset_get(s->touched, s->id.p, s->id.len, NULL))
			continue;
		todo[i] = 1;
		if (gm_keyset_put(c.idx, s->id.p, s->id.len, (uint32_t)i, NULL) < 0) {
			error = GM_ENOMEM;
			goto out;
		}
	}
	/* what the graph holds now: nodes in one query, relationships in one per type */
	for (size_t i = 0, queried = 0; i < n; i++) {
		size_t j;
		int rows = 0;

		if (!todo[i])
			continue;
		if (kind == GM_NODE && queried)
			break; /* all nodes were in the first query */
		queried = 1;
		for (j = 0; j < i && kind == GM_REL; j++)
			if (todo[j] && gm_str_eq(recs[j].type, recs[i].type))
				break;
		if (kind == GM_REL && j < i)
			continue;
		gm_buf_clear(&s->q);
		gm_buf_puts(&s->q, "UNWIND [");
		for (j = i; j < n; j++) {
			if (!todo[j] || (kind == GM_REL && !gm_str_eq(recs[j].type, recs[i].type)))
				continue;
			if (rows++)
				gm_buf_putc(&s->q, ',');
			if (kind == GM_NODE) {
				gm__cy_put_string(&s->q, recs[j].key.p, recs[j].key.len, CY);
				continue;
			}
			put_ends(s, recs[j].from, recs[j].to, &recs[j].key);
			gm_buf_putc(&s->q, '}');
		}
		if (kind == GM_NODE) {
			gm_buf_puts(&s->q, "] AS gk MATCH ");
			put_node(s, "n", "gk");
			put_unwind(&s->q, "n");
			gm_buf_puts(&s->q, " RETURN ID(n), labels(n), ");
			put_prop_cols(&s->q, "n");
			gm_buf_puts(&s->q, " ORDER BY ID(n)");
		} else {
			gm_buf_puts(&s->q, "] AS row MATCH ");
			put_node(s, "a", "row.s");
			gm_buf_puts(&s->q, "-[r:");
			gm__cy_put_name(&s->q, recs[i].type);
			gm_buf_puts(&s->q, " {");
			gm__cy_put_name(&s->q, gm_str_c(s->key));
			gm_buf_puts(&s->q, ": row.k}]->");
			put_node(s, "b", "row.e");
			put_unwind(&s->q, "r");
			gm_buf_puts(&s->q, " RETURN ID(r), type(r), ID(a), a.");
			gm__cy_put_name(&s->q, gm_str_c(s->key));
			gm_buf_puts(&s->q, ", ID(b), b.");
			gm__cy_put_name(&s->q, gm_str_c(s->key));
			gm_buf_puts(&s->q, ", ");
			put_prop_cols(&s->q, "r");
			gm_buf_puts(&s->q, " ORDER BY ID(r)");
		}
		if ((error = query(s, 1, &r, "cannot read what the batch changes")) < 0 ||
		    (error = each_record(s, r, kind == GM_NODE ? 0 : 1, keep_prior, &c)) < 0)
			goto out;
		freeReplyObject(r);
		r = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		int changed = 0;

		if (!todo[i])
			continue;
		if (c.prior[i] && (error = changes(s, &recs[i], c.prior[i], &changed)) < 0)
			goto out;
		if (c.prior[i] && !changed)
			continue; /* the same content: nothing to undo */
		if ((error = first_touch(s, &recs[i])) < 0)
			goto out;
		if (c.prior[i])
			error = put_changed(s, &recs[i], c.prior[i]);
		else
			put_created(s, &recs[i]);
		if (error < 0)
			goto out;
	}
out:
	freeReplyObject(r);
	gm_keyset_free(c.idx);
	gm_free(c.prior);
	gm_free(todo);
	return error;
}

/*
 * Entries 'X' for keyless relationships: per type, start and end, the ids of
 * the keyless relationships there before the run (a keyless relationship is
 * always created, so rollback deletes the others).
 */
static int undo_keyless(struct fdb *s, const struct gm_record *recs, size_t n)
{
	uint8_t *todo = gm_calloc(n ? n : 1, 1);
	redisReply *r = NULL;
	int error = 0;

	if (!todo)
		return GM_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int added;

		if (recs[i].kind != GM_REL || recs[i].key.p)
			continue;
		if ((added = first_touch(s, &recs[i])) < 0) {
			error = added;
			goto out;
		}
		todo[i] = (uint8_t)added;
	}
	for (size_t i = 0; i < n; i++) {
		const redisReply *rows;
		size_t j;
		int nrows = 0;

		if (!todo[i])
			continue;
		for (j = 0; j < i; j++)
			if (todo[j] && gm_str_eq(recs[j].type, recs[i].type))
				break;
		if (j < i)
			continue;
		if (!s->graph_created) {
			gm_buf_clear(&s->q);
			gm_buf_puts(&s->q, "UNWIND [");
			for (j = i; j < n; j++) {
				if (!todo[j] || !gm_str_eq(recs[j].type, recs[i].type))
					continue;
				if (nrows++)
					gm_buf_putc(&s->q, ',');
				put_ends(s, recs[j].from, recs[j].to, NULL);
				gm_buf_putc(&s->q, '}');
			}
			gm_buf_puts(&s->q, "] AS row MATCH ");
			put_node(s, "a", "row.s");
			gm_buf_puts(&s->q, "-[r:");
			gm__cy_put_name(&s->q, recs[i].type);
			gm_buf_puts(&s->q, "]->");
			put_node(s, "b", "row.e");
			gm_buf_puts(&s->q, " WHERE r.");
			gm__cy_put_name(&s->q, gm_str_c(s->key));
			gm_buf_puts(&s->q, " IS NULL RETURN row.s, row.e, collect(ID(r))");
			if ((error = query(s, 1, &r, "cannot read what the batch changes")) < 0)
				goto out;
		}
		rows = elem(r, 1);
		for (j = i; j < n; j++) {
			if (!todo[j] || !gm_str_eq(recs[j].type, recs[i].type))
				continue;
			gm_buf_clear(&s->lit);
			gm_buf_putc(&s->lit, '[');
			for (size_t k = 0; rows && k < rows->elements; k++) {
				const redisReply *row = rows->element[k];
				const redisReply *a = elem(elem(row, 0), 1),
						 *b = elem(elem(row, 1), 1);
				const redisReply *ids = elem(elem(row, 2), 1);

				if (!a || !b || a->type != REDIS_REPLY_STRING ||
				    b->type != REDIS_REPLY_STRING || a->len != recs[j].from.len ||
				    b->len != recs[j].to.len ||
				    memcmp(a->str, recs[j].from.p, a->len) ||
				    memcmp(b->str, recs[j].to.p, b->len))
					continue;
				for (size_t m = 0; ids && m < ids->elements; m++) {
					const redisReply *id = elem(ids->element[m], 1);

					if (m)
						gm_buf_putc(&s->lit, ',');
					gm_buf_put_i64(&s->lit, id ? id->integer : -1);
				}
				break;
			}
			gm_buf_putc(&s->lit, ']');
			gm_buf_putc(&s->u, 'X');
			u_str(&s->u, recs[j].type);
			u_str(&s->u, recs[j].from);
			u_str(&s->u, recs[j].to);
			u_field(&s->u, s->lit.p, s->lit.len);
		}
		freeReplyObject(r);
		r = NULL;
	}
out:
	freeReplyObject(r);
	gm_free(todo);
	return error;
}

/*
 * Before a batch is written: its undo entries, appended to the run's undo log
 * (RPUSH, one blob per batch). When the run created the graph everything it
 * writes is new, and the graph is not read.
 */
static int undo_batch(struct fdb *s, const struct gm_record *recs, size_t n)
{
	int error;

	gm_buf_clear(&s->u);
	gm_arena_reset(s->ua);
	if (s->graph_created) {
		for (size_t i = 0; i < n; i++)
			if (recs[i].kind == GM_NODE || recs[i].key.p)
				put_created(s, &recs[i]);
	} else if ((error = undo_keyed(s, recs, n, GM_NODE)) < 0 ||
		   (error = undo_keyed(s, recs, n, GM_REL)) < 0) {
		return error;
	}
	if ((error = undo_keyless(s, recs, n)) < 0)
		return error;
	if (s->u.oom)
		return GM_ENOMEM;
	if (s->u.len) {
		const char *argv[3] = {"RPUSH", s->undo_key, s->u.p};
		size_t lens[3] = {5, strlen(s->undo_key), s->u.len};
		redisReply *r;

		if ((error = rcmd(s, &r, "cannot write the undo log", 3, argv, lens)) < 0)
			return error;
		freeReplyObject(r);
	}
	return 0;
}

/*
 * ---- keys from before (--skip-duplicates, --fail-on-existing) ----
 *
 * A record's key is "from before" when the graph held it before this run: a
 * node with the marker label and the key, or a relationship with the key of
 * any type that has a range index on the key property (the types gmig wrote
 * with keys; listed at open, so the types this run adds are left out: their
 * keys are all this run's). A key the run wrote itself is not from before:
 * within one process check_dups refuses it first, and after a resume the
 * batch written again has its records in the last undo blob (s->touched),
 * which a record from before never has (it was skipped or failed, never
 * written). A graph the run created holds nothing from before.
 */

/* The relationship types with a range index on the key property, into s->ktypes. */
static int list_key_types(struct fdb *s)
{
	redisReply *r;
	const redisReply *rows;
	int error;

	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q, "CALL db.indexes() YIELD label, types, entitytype WHERE entitytype = "
			   "'RELATIONSHIP' AND 'RANGE' IN types[");
	gm__cy_put_string(&s->q, s->key, strlen(s->key), CY);
	gm_buf_puts(&s->q, "] RETURN label ORDER BY label");
	if ((error = query(s, 1, &r, "cannot list the indexes")) < 0)
		return error;
	rows = elem(r, 1);
	if (rows && rows->elements && !(s->ktypes = gm_calloc(rows->elements, sizeof(char *)))) {
		freeReplyObject(r);
		return GM_ENOMEM;
	}
	for (size_t i = 0; rows && i < rows->elements; i++) {
		const redisReply *l = elem(elem(rows->element[i], 0), 1);

		if (!l || l->type != REDIS_REPLY_STRING)
			continue;
		if (!(s->ktypes[s->nktypes] = gm_malloc(l->len + 1))) {
			freeReplyObject(r);
			return GM_ENOMEM;
		}
		memcpy(s->ktypes[s->nktypes], l->str, l->len);
		s->ktypes[s->nktypes++][l->len] = '\0';
	}
	freeReplyObject(r);
	return 0;
}

/* Runs s->q (RETURN DISTINCT k) and adds every k of the reply to set. */
static int found_keys(struct fdb *s, struct gm_keyset *set)
{
	redisReply *r;
	const redisReply *rows;
	int error;

	if ((error = query(s, 1, &r, "cannot look up keys")) < 0)
		return error;
	rows = elem(r, 1);
	for (size_t i = 0; rows && i < rows->elements && !error; i++) {
		const redisReply *k = elem(elem(rows->element[i], 0), 1);

		if (k && k->type == REDIS_REPLY_STRING &&
		    gm_keyset_put(set, k->str, k->len, 0, NULL) < 0)
			error = GM_ENOMEM;
	}
	freeReplyObject(r);
	return error;
}

/* "UNWIND [<the batch's node keys or keyed relationship keys>] AS k", or 0 when none. */
static int put_batch_keys(struct fdb *s, const struct gm_record *recs, size_t n, enum gm_kind kind)
{
	int rows = 0;

	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q, "UNWIND [");
	for (size_t i = 0; i < n; i++) {
		if (recs[i].kind != kind || !recs[i].key.p)
			continue;
		if (rows++)
			gm_buf_putc(&s->q, ',');
		gm__cy_put_string(&s->q, recs[i].key.p, recs[i].key.len, CY);
	}
	gm_buf_puts(&s->q, "] AS k");
	return rows;
}

/*
 * Applies s->existing to the batch: GM_EDATA for the first record whose key
 * is from before (fail), or *out / *nout = the batch without them (skip,
 * *skipped of them). Nothing is written here.
 */
static int keep_existing(struct fdb *s, const struct gm_record *recs, size_t n,
			 const struct gm_record **out, size_t *nout, uint64_t *skipped)
{
	struct gm_keyset *found[2] = {NULL, NULL};
	char who[200];
	int error;

	*out = recs;
	*nout = n;
	*skipped = 0;
	if (s->existing == GM_EXISTING_UPSERT || s->graph_created || !n)
		return 0;
	if ((error = gm_keyset_new(&found[0])) < 0 || (error = gm_keyset_new(&found[1])) < 0)
		goto out;
	if (put_batch_keys(s, recs, n, GM_NODE)) {
		gm_buf_puts(&s->q, " MATCH ");
		put_node(s, "n", "k");
		gm_buf_puts(&s->q, " RETURN DISTINCT k");
		if ((error = found_keys(s, found[0])) < 0)
			goto out;
	}
	for (size_t t = 0; t < s->nktypes; t++) {
		if (!put_batch_keys(s, recs, n, GM_REL))
			break;
		gm_buf_puts(&s->q, " MATCH ()-[r:");
		gm__cy_put_name(&s->q, gm_str_c(s->ktypes[t]));
		gm_buf_puts(&s->q, " {");
		gm__cy_put_name(&s->q, gm_str_c(s->key));
		gm_buf_puts(&s->q, ": k}]->() RETURN DISTINCT k");
		if ((error = found_keys(s, found[1])) < 0)
			goto out;
	}
	if (s->existing == GM_EXISTING_SKIP && n > s->xcap) {
		struct gm_record *p = gm_realloc(s->xrecs, n * sizeof(*p));

		if (!p) {
			error = GM_ENOMEM;
			goto out;
		}
		s->xrecs = p;
		s->xcap = n;
	}
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		const struct gm_record *r = &recs[i];
		int there = r->key.p &&
			    gm_keyset_get(found[r->kind == GM_REL], r->key.p, r->key.len, NULL);

		if (there) { /* unless this run wrote it (a resumed run's repeated batch) */
			ident_rec(&s->id, r);
			if (s->id.oom) {
				error = GM_ENOMEM;
				goto out;
			}
			there = !gm_keyset_get(s->touched, s->id.p, s->id.len, NULL);
		}
		if (there && s->existing == GM_EXISTING_FAIL) {
			describe(r, who, sizeof(who));
			error = gm_error_set(
				GM_EDATA,
				"invalid %s for falkordb %s: its key is already in the "
				"graph (--fail-on-existing)",
				who, s->where);
			goto out;
		}
		if (there) {
			(*skipped)++;
			if (s->base.skip_mask)
				s->base.skip_mask[i] = 1;
		} else if (s->existing == GM_EXISTING_SKIP)
			s->xrecs[(*nout)++] = *r;
	}
	if (s->existing == GM_EXISTING_SKIP)
		*out = s->xrecs;
	else
		*nout = n;
out:
	gm_keyset_free(found[0]);
	gm_keyset_free(found[1]);
	return error;
}

/* ---- lossy ---- */

/* Whether FalkorDB stores v exactly. */
static int storable(const struct gm_value *v, int depth)
{
	if (!(FDB_TYPES & GM_TYPE_BIT(v->type)))
		return 0;
	if (v->type == GM_T_LIST)
		for (size_t i = 0; i < v->u.list.n; i++)
			if (!storable(&v->u.list.v[i], depth + 1))
				return 0;
	return unstorable(v, depth) == NULL;
}

/*
 * With lossy=stringify|drop: a copy of the batch where every property
 * FalkorDB cannot store is text (stringify: canonical text for a scalar,
 * gmig's typed JSON for a map or list) or left out (drop); a null property
 * is left out either way. *dropped counts the properties left out.
 */
static int lossy_batch(struct fdb *s, const struct gm_record *recs, size_t n,
		       const struct gm_record **out, uint64_t *dropped)
{
	int error;

	*out = recs;
	*dropped = 0;
	gm_arena_reset(s->la);
	if (n > s->lcap) {
		struct gm_record *p = gm_realloc(s->lrecs, n * sizeof(*p));

		if (!p)
			return GM_ENOMEM;
		s->lrecs = p;
		s->lcap = n;
	}
	for (size_t i = 0; i < n; i++) {
		const struct gm_record *r = &recs[i];
		struct gm_prop *props = NULL;
		size_t np = 0;

		s->lrecs[i] = *r;
		for (size_t k = 0; k < r->nprops; k++)
			if (!storable(&r->props[k].val, 0))
				break;
			else if (k + 1 == r->nprops)
				goto next;
		if (r->nprops && !(props = gm_arena_alloc(s->la, r->nprops * sizeof(*props))))
			return GM_ENOMEM;
		for (size_t k = 0; k < r->nprops; k++) {
			const struct gm_value *v = &r->props[k].val;

			if (storable(v, 0)) {
				props[np++] = r->props[k];
				continue;
			}
			if (v->type == GM_T_NULL || !(s->lossy & GM_LOSSY_STRINGIFY)) {
				(*dropped)++;
				continue;
			}
			gm_buf_clear(&s->lit);
			if (v->type == GM_T_MAP || v->type == GM_T_LIST || v->type == GM_T_STRING)
				error = gm_tjson_write(&s->lit, v, 0);
			else
				error = gm_value_format_text(&s->lit, v);
			if (error < 0)
				return error;
			if (s->lit.oom)
				return GM_ENOMEM;
			props[np] = r->props[k];
			props[np].val.type = GM_T_STRING;
			props[np].val.u.s.len = s->lit.len;
			if (!(props[np].val.u.s.p = gm_arena_strdup(s->la, s->lit.p, s->lit.len)))
				return GM_ENOMEM;
			np++;
		}
		s->lrecs[i].props = props;
		s->lrecs[i].nprops = np;
	next:;
	}
	*out = s->lrecs;
	return 0;
}

static int fdb_write_batch(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	struct fdb *s = (struct fdb *)b;
	const struct gm_record *w;
	size_t wn;
	uint64_t dropped = 0, skipped = 0;
	int error;

	if (s->lossy && (error = lossy_batch(s, recs, n, &recs, &dropped)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if ((error = check_record(s, &recs[i])) < 0)
			return error;
	if (s->bulk)
		return gm__fdb_bulk_write(s->bulk, recs, n, &b->nodes_written, &b->rels_written);
	if ((error = check_dups(s, recs, n)) < 0)
		return error;
	/* w: what is written; the records skipped count as written (and are in the run's keys) */
	if ((error = keep_existing(s, recs, n, &w, &wn, &skipped)) < 0)
		return error;
	if ((error = undo_batch(s, w, wn)) < 0)
		return error;
	if ((error = write_nodes(s, w, wn)) < 0)
		return error;
	/* the batch's nodes count as written once all of it is (a failed batch is retried) */
	if ((error = write_rels(s, w, wn)) < 0)
		return error;
	for (size_t i = 0; i < n; i++) {
		if (recs[i].kind == GM_NODE &&
		    gm_keyset_put(s->nodes, recs[i].key.p, recs[i].key.len, 0, NULL) < 0)
			return GM_ENOMEM;
		if (recs[i].kind == GM_REL) {
			b->rels_written++;
			if (recs[i].key.p &&
			    gm_keyset_put(s->rels, recs[i].key.p, recs[i].key.len, 0, NULL) < 0)
				return GM_ENOMEM;
		} else {
			b->nodes_written++;
		}
	}
	b->dropped += dropped;
	b->skipped += skipped;
	return 0;
}

/* ---- open / close ---- */

static int fdb_close(struct gm_backend *b)
{
	struct fdb *s = (struct fdb *)b;

	if (!s)
		return 0;
	if (s->c && s->writing && s->base.run > 0 && !s->committed)
		run_update(s, "failed"); /* best effort: the undo log says what to roll back */
	freeReplyObject(s->reply);
	gm__fdb_bulk_close(s->bulk);
	if (s->c)
		redisFree(s->c); /* closes the tunnel's end: its thread ends */
	gm__tls_close(s->tls);
	gm_keyset_free(s->touched);
	gm_buf_free(&s->u);
	gm_buf_free(&s->lit);
	gm_buf_free(&s->id);
	gm_arena_free(s->ua);
	gm_arena_free(s->la);
	gm_free(s->lrecs);
	gm_free(s->xrecs);
	for (size_t i = 0; i < s->nktypes; i++)
		gm_free(s->ktypes[i]);
	gm_free(s->ktypes);
	gm_free(s->runs_key);
	gm_free(s->undo_key);
	gm_keyset_free(s->nodes);
	gm_keyset_free(s->rels);
	gm_keyset_free(s->types);
	gm_buf_free(&s->q);
	gm_buf_free(&s->t);
	gm_free(s->graph);
	gm_free(s->key);
	gm_free(s->label);
	gm_free(s);
	return 0;
}

static int open_read(struct fdb *s)
{
	const char *argv[2] = {"EXISTS", s->graph};
	redisReply *r;
	int64_t n;
	int error;

	/* a server error (NOAUTH ...) is said as such, not as a missing graph */
	if ((error = rcmd(s, &r, "cannot look for the graph", 2, argv, NULL)) < 0)
		return error;
	if (r->type != REDIS_REPLY_INTEGER || r->integer != 1) {
		freeReplyObject(r);
		return gm_error_set(GM_ENOTFOUND, "falkordb %s: there is no graph '%s'", s->where,
				    s->graph);
	}
	freeReplyObject(r);
	if ((error = count_query(s, "MATCH (n) RETURN count(n), max(ID(n))", &n, &s->maxid)) < 0)
		return error;
	s->base.progress_total = (uint64_t)(s->maxid < 0 ? 0 : s->maxid);
	return 0;
}

/* write=auto|bulk|unwind: a new graph is bulk-loaded (falkordb_bulk.c) unless unwind. */
static int open_bulk(struct fdb *s, const char *params)
{
	struct gm__fdb_bulk_conf conf = {s->c, s->graph, s->where, s->key, s->label, params};
	struct gm_str w = {"auto", 4};

	gm_params_get(params, "write", &w);
	if (w.len == 6 && !memcmp(w.p, "unwind", 6))
		return 0;
	if (s->lossy && w.p[0] == 'a')
		return 0; /* the UNWIND path stringifies or drops what FalkorDB cannot store */
	if (s->lossy)
		return gm_error_set(GM_EINVAL,
				    "falkordb %s: write=bulk takes no --lossy (write=auto or "
				    "unwind do)",
				    s->where);
	if (!(w.len == 4 && (!memcmp(w.p, "auto", 4) || !memcmp(w.p, "bulk", 4))))
		return gm_error_set(GM_EINVAL,
				    "parameter write for falkordb %s must be auto, bulk or unwind",
				    s->where);
	return gm__fdb_bulk_open(&s->bulk, &conf, w.p[0] == 'b');
}

static int run_open(struct fdb *s);

static int open_write(struct fdb *s, const char *params)
{
	redisReply *r;
	int error;

	if ((error = gm_keyset_new(&s->nodes)) < 0 || (error = gm_keyset_new(&s->rels)) < 0 ||
	    (error = gm_keyset_new(&s->types)) < 0 || (error = gm_arena_new(&s->la)) < 0 ||
	    (error = run_open(s)) < 0)
		return error;
	if ((error = open_bulk(s, params)) < 0 || s->bulk)
		return error; /* the bulk load makes its indexes at the end */
	if (s->existing != GM_EXISTING_UPSERT && !s->graph_created &&
	    (error = list_key_types(s)) < 0)
		return error;
	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q, "CREATE INDEX FOR (n:");
	gm__cy_put_name(&s->q, gm_str_c(s->label));
	gm_buf_puts(&s->q, ") ON (n.");
	gm__cy_put_name(&s->q, gm_str_c(s->key));
	gm_buf_puts(&s->q, ")");
	error = query(s, 0, &r, "cannot create the key index");
	freeReplyObject(r);
	if (error < 0 && !strstr(gm_error_last(), "already indexed"))
		return error;
	gm_error_clear();
	return 0;
}

static int fdb_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct fdb *s = gm_calloc(1, sizeof(*s));
	char *page = NULL;
	int error;

	*out = NULL;
	if (!s)
		return GM_ENOMEM;
	snprintf(s->where, sizeof(s->where), "(location)");
	if ((error = connect_uri(s, location, o)) < 0 || (error = check_params(s, o->params)) < 0 ||
	    (error = param(s, o->params, "key", &s->key, "_key")) < 0 ||
	    (error = param(s, o->params, "label", &s->label, "_gmig")) < 0 ||
	    (error = param(s, o->params, "page", &page, "2000")) < 0)
		goto fail;
	s->page = strtoll(page, NULL, 10);
	gm_free(page);
	if (s->page <= 0) {
		error = gm_error_set(GM_EINVAL,
				     "parameter page for falkordb %s must be a positive "
				     "number",
				     s->where);
		goto fail;
	}
	s->writing = o->mode == GM_OPEN_WRITE;
	s->lossy = o->lossy;
	s->existing = o->existing;
	s->resume_run = o->run;
	if ((error = s->writing ? open_write(s, o->params) : open_read(s)) < 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	fdb_close(&s->base);
	return error;
}

int gm__fdb_describe(const struct gm_record *r, char *buf, size_t n)
{
	return describe(r, buf, n);
}

int gm__fdb_put_value(struct gm_buf *b, const struct gm_value *v)
{
	return put_value(b, v);
}

/* ---- runs: sync, commit, rollback ---- */

/* Each batch is in the server when write_batch returns: the run's row gets its counts. */
static int fdb_sync(struct gm_backend *b, uint64_t *pos)
{
	struct fdb *s = (struct fdb *)b;

	*pos = 0;
	if (s->bulk)
		return GM_EUNSUPPORTED; /* a bulk load is there only once committed */
	return s->base.run > 0 ? run_update(s, NULL) : 0;
}

static int fdb_commit(struct gm_backend *b)
{
	struct fdb *s = (struct fdb *)b;
	int error;

	if (s->bulk && (error = gm__fdb_bulk_commit(s->bulk)) < 0)
		return error;
	if (!s->writing || s->base.run <= 0)
		return 0;
	if ((error = run_update(s, "committed")) == 0)
		s->committed = 1;
	return error;
}

/* One parsed undo entry; f[] are its fields, labels the prior labels of an 'n'. */
struct uent {
	char kind;
	struct gm_str f[5];
	struct gm_str *labels;
	size_t nlabels;
};

static int u_parse(struct fdb *s, const char **p, const char *end, struct uent *e,
		   struct gm_arena *a)
{
	int nf;

	memset(e, 0, sizeof(*e));
	e->kind = **p;
	(*p)++;
	switch (e->kind) {
	case 'N': nf = 1; break;
	case 'R': nf = 4; break;
	case 'r': nf = 5; break;
	case 'X': nf = 4; break;
	case 'n': {
		struct gm_str c;
		size_t nl = 0;

		if (u_next(p, end, &e->f[0]) < 0 || u_next(p, end, &c) < 0)
			return bad(s, "a malformed undo log entry");
		for (size_t i = 0; i < c.len; i++)
			nl = nl * 10 + (size_t)(c.p[i] - '0');
		if (nl > (size_t)(end - *p))
			return bad(s, "a malformed undo log entry");
		e->nlabels = nl;
		if (nl && !(e->labels = a ? gm_arena_alloc(a, nl * sizeof(*e->labels)) : NULL) && a)
			return GM_ENOMEM;
		for (size_t i = 0; i < nl; i++) {
			struct gm_str l;

			if (u_next(p, end, &l) < 0)
				return bad(s, "a malformed undo log entry");
			if (e->labels)
				e->labels[i] = l;
		}
		if (u_next(p, end, &e->f[1]) < 0)
			return bad(s, "a malformed undo log entry");
		return 0;
	}
	default: return bad(s, "an undo log entry of unknown kind");
	}
	for (int i = 0; i < nf; i++)
		if (u_next(p, end, &e->f[i]) < 0)
			return bad(s, "a malformed undo log entry");
	return 0;
}

/* The identity of an entry (see ident) into s->id. */
static void ident_ent(struct fdb *s, const struct uent *e)
{
	struct gm_str none = {"", 0};

	if (e->kind == 'N' || e->kind == 'n')
		ident(&s->id, 'n', e->f[0], none, none, none);
	else if (e->kind == 'X')
		ident(&s->id, 'x', none, e->f[0], e->f[1], e->f[2]);
	else
		ident(&s->id, 'r', e->f[3], e->f[0], e->f[1], e->f[2]);
}

static int blob_idents(struct fdb *s, const char *p, size_t len, struct gm_keyset *set,
		       int created_nodes_only)
{
	const char *end = p + len;
	struct uent e;
	int error;

	while (p < end) {
		if ((error = u_parse(s, &p, end, &e, NULL)) < 0)
			return error;
		if (created_nodes_only && e.kind != 'N')
			continue;
		ident_ent(s, &e);
		if (s->id.oom || gm_keyset_put(set, s->id.p, s->id.len, 0, NULL) < 0)
			return GM_ENOMEM;
	}
	return 0;
}

static int undo_len(struct fdb *s, const char *key, long long *n)
{
	const char *argv[2] = {"LLEN", key};
	redisReply *r;
	int error = rcmd(s, &r, "cannot read the undo log", 2, argv, NULL);

	if (error < 0)
		return error;
	*n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return 0;
}

/* Blob i of the undo log at key; *out is the reply (a string, or nil). */
static int undo_blob(struct fdb *s, const char *key, long long i, redisReply **out)
{
	char idx[32];
	const char *argv[3] = {"LINDEX", key, idx};

	snprintf(idx, sizeof(idx), "%lld", i);
	return rcmd(s, out, "cannot read the undo log", 3, argv, NULL);
}

/*
 * Refuses to roll back run when a later run that is not rolled back changed
 * what run wrote, or wrote relationships at nodes run created. *later_entries
 * says whether any later run has undo entries at all.
 */
static int rb_check_later(struct fdb *s, int64_t run, int *later_entries)
{
	struct gm_keyset *mine = NULL, *made = NULL;
	char *key2 = NULL;
	size_t klen = strlen(s->graph) + 40;
	long long max = 0, n;
	redisReply *r = NULL;
	int error;

	*later_entries = 0;
	{
		const char *argv[3] = {"HGET", s->runs_key, "next"};

		if ((error = rcmd(s, &r, "cannot read the runs", 3, argv, NULL)) < 0)
			return error;
		if (r->type == REDIS_REPLY_STRING)
			max = strtoll(r->str, NULL, 10);
		freeReplyObject(r);
		r = NULL;
	}
	if ((error = gm_keyset_new(&mine)) < 0 || (error = gm_keyset_new(&made)) < 0)
		goto out;
	if (!(key2 = gm_malloc(klen))) {
		error = GM_ENOMEM;
		goto out;
	}
	for (int64_t r2 = run + 1; r2 <= max; r2++) {
		struct runrec rr;
		int found;

		if ((error = run_get(s, r2, &rr, &found)) < 0)
			goto out;
		if (!found || !strcmp(rr.status, "rolled-back"))
			continue;
		snprintf(key2, klen, "gmig:undo:%s:%" PRId64, s->graph, r2);
		if ((error = undo_len(s, key2, &n)) < 0)
			goto out;
		if (n == 0)
			continue;
		if (!*later_entries) { /* this run's identities, once */
			long long m;

			*later_entries = 1;
			if ((error = undo_len(s, s->undo_key, &m)) < 0)
				goto out;
			for (long long i = 0; i < m; i++) {
				if ((error = undo_blob(s, s->undo_key, i, &r)) < 0)
					goto out;
				if (r->type == REDIS_REPLY_STRING &&
				    ((error = blob_idents(s, r->str, r->len, mine, 0)) < 0 ||
				     (error = blob_idents(s, r->str, r->len, made, 1)) < 0))
					goto out;
				freeReplyObject(r);
				r = NULL;
			}
		}
		for (long long i = 0; i < n; i++) {
			const char *p, *end;

			if ((error = undo_blob(s, key2, i, &r)) < 0)
				goto out;
			p = r->type == REDIS_REPLY_STRING ? r->str : "";
			end = p + (r->type == REDIS_REPLY_STRING ? r->len : 0);
			while (p < end) {
				struct uent e;
				int hit = 0;
				struct gm_str none = {"", 0};

				if ((error = u_parse(s, &p, end, &e, NULL)) < 0)
					goto out;
				ident_ent(s, &e);
				if (e.kind != 'N' && e.kind != 'R')
					hit = gm_keyset_get(mine, s->id.p, s->id.len, NULL);
				if (e.kind == 'R' || e.kind == 'r' || e.kind == 'X') {
					for (int k = 1; k <= 2 && !hit; k++) {
						ident(&s->id, 'n', e.f[k], none, none, none);
						hit = gm_keyset_get(made, s->id.p, s->id.len, NULL);
					}
				}
				if (hit) {
					error = gm_error_set(
						GM_EINVAL,
						"run %" PRId64 " changed what run %" PRId64
						" wrote in falkordb %s; roll back run %" PRId64
						" first",
						r2, run, s->where, r2);
					goto out;
				}
			}
			freeReplyObject(r);
			r = NULL;
		}
	}
out:
	freeReplyObject(r);
	gm_keyset_free(mine);
	gm_keyset_free(made);
	gm_free(key2);
	return error;
}

/* "Relationships deleted: N" etc. from a reply's statistics. */
static uint64_t stat_of(const redisReply *r, const char *name)
{
	const redisReply *st = r && r->type == REDIS_REPLY_ARRAY && r->elements
				       ? r->element[r->elements - 1]
				       : NULL;
	size_t nl = strlen(name);

	for (size_t i = 0; st && st->type == REDIS_REPLY_ARRAY && i < st->elements; i++) {
		const redisReply *x = st->element[i];

		if (x->type == REDIS_REPLY_STRING && x->len > nl && !memcmp(x->str, name, nl))
			return strtoull(x->str + nl, NULL, 10);
	}
	return 0;
}

/* "(var:_gmig {_key: expr})", or with the key lit as a string literal when expr is NULL */
static void put_match_node(struct fdb *s, const char *var, const char *expr, struct gm_str lit)
{
	gm_buf_printf(&s->q, "(%s:", var);
	gm__cy_put_name(&s->q, gm_str_c(s->label));
	gm_buf_puts(&s->q, " {");
	gm__cy_put_name(&s->q, gm_str_c(s->key));
	gm_buf_puts(&s->q, ": ");
	if (expr)
		gm_buf_puts(&s->q, expr);
	else
		gm__cy_put_string(&s->q, lit.p, lit.len, CY);
	gm_buf_puts(&s->q, "})");
}

/* Runs s->q as a write; *n += the statistic name of its reply. */
static int rb_exec(struct fdb *s, const char *name, uint64_t *n)
{
	redisReply *r;
	int error = query(s, 0, &r, "cannot roll back");

	if (error == 0 && name && n)
		*n += stat_of(r, name);
	freeReplyObject(r);
	return error;
}

/* Undoes one blob: relationships first, then nodes. */
static int rb_blob(struct fdb *s, const char *p, size_t len, uint64_t *nodes, uint64_t *rels)
{
	const struct gm_str none = {"", 0};
	const char *end = p + len, *q;
	struct uent *ents;
	size_t n = 0, cap = 0;
	int error;

	for (q = p; q < end; n++) { /* count, then parse into the arena */
		struct uent e;

		if ((error = u_parse(s, &q, end, &e, NULL)) < 0)
			return error;
	}
	gm_arena_reset(s->ua);
	cap = n;
	if (!(ents = gm_arena_alloc(s->ua, (cap ? cap : 1) * sizeof(*ents))))
		return GM_ENOMEM;
	for (q = p, n = 0; q < end; n++)
		if ((error = u_parse(s, &q, end, &ents[n], s->ua)) < 0)
			return error;
	/* keyless: those not there before the run */
	for (size_t i = 0; i < n; i++) {
		if (ents[i].kind != 'X')
			continue;
		gm_buf_clear(&s->q);
		gm_buf_puts(&s->q, "MATCH ");
		put_match_node(s, "a", NULL, ents[i].f[1]);
		gm_buf_puts(&s->q, "-[r:");
		gm__cy_put_name(&s->q, ents[i].f[0]);
		gm_buf_puts(&s->q, "]->");
		put_match_node(s, "b", NULL, ents[i].f[2]);
		gm_buf_puts(&s->q, " WHERE r.");
		gm__cy_put_name(&s->q, gm_str_c(s->key));
		gm_buf_puts(&s->q, " IS NULL AND NOT ID(r) IN ");
		gm_buf_put(&s->q, ents[i].f[3].p, ents[i].f[3].len);
		gm_buf_puts(&s->q, " DELETE r");
		if ((error = rb_exec(s, "Relationships deleted: ", rels)) < 0)
			return error;
	}
	/* keyed: 'R' deleted, 'r' restored; one query per kind and type */
	for (int pass = 0; pass < 2; pass++) {
		char kind = pass ? 'r' : 'R';

		for (size_t i = 0; i < n; i++) {
			size_t j;
			int rows = 0;

			if (ents[i].kind != kind)
				continue;
			for (j = 0; j < i; j++)
				if (ents[j].kind == kind && gm_str_eq(ents[j].f[0], ents[i].f[0]))
					break;
			if (j < i)
				continue;
			gm_buf_clear(&s->q);
			gm_buf_puts(&s->q, "UNWIND [");
			for (j = i; j < n; j++) {
				if (ents[j].kind != kind || !gm_str_eq(ents[j].f[0], ents[i].f[0]))
					continue;
				if (rows++)
					gm_buf_putc(&s->q, ',');
				put_ends(s, ents[j].f[1], ents[j].f[2], &ents[j].f[3]);
				if (pass) {
					gm_buf_puts(&s->q, ",p:");
					gm_buf_put(&s->q, ents[j].f[4].p, ents[j].f[4].len);
				}
				gm_buf_putc(&s->q, '}');
			}
			gm_buf_puts(&s->q, "] AS row MATCH ");
			put_match_node(s, "a", "row.s", none);
			gm_buf_puts(&s->q, "-[r:");
			gm__cy_put_name(&s->q, ents[i].f[0]);
			gm_buf_puts(&s->q, " {");
			gm__cy_put_name(&s->q, gm_str_c(s->key));
			gm_buf_puts(&s->q, ": row.k}]->");
			put_match_node(s, "b", "row.e", none);
			gm_buf_puts(&s->q, pass ? " SET r = row.p" : " DELETE r");
			if ((error = rb_exec(s, NULL, NULL)) < 0)
				return error;
			*rels += (uint64_t)rows;
		}
	}
	/* nodes: 'N' deleted (with what is attached), 'n' restored */
	for (int pass = 0; pass < 2; pass++) {
		char kind = pass ? 'n' : 'N';
		int rows = 0;

		gm_buf_clear(&s->q);
		gm_buf_puts(&s->q, "UNWIND [");
		for (size_t i = 0; i < n; i++) {
			if (ents[i].kind != kind)
				continue;
			if (rows++)
				gm_buf_putc(&s->q, ',');
			gm_buf_puts(&s->q, "{k:");
			gm__cy_put_string(&s->q, ents[i].f[0].p, ents[i].f[0].len, CY);
			if (pass) {
				gm_buf_puts(&s->q, ",p:");
				gm_buf_put(&s->q, ents[i].f[1].p, ents[i].f[1].len);
			}
			gm_buf_putc(&s->q, '}');
		}
		if (!rows)
			continue;
		gm_buf_puts(&s->q, "] AS row MATCH ");
		put_match_node(s, "n", "row.k", none);
		gm_buf_puts(&s->q, pass ? " SET n = row.p" : " DETACH DELETE n");
		if ((error = rb_exec(s, NULL, NULL)) < 0)
			return error;
		*nodes += (uint64_t)rows;
	}
	/* labels back to those before the run: added ones REMOVEd, removed ones SET */
	for (size_t i = 0; i < n; i++) {
		redisReply *r;
		const redisReply *labels;

		if (ents[i].kind != 'n')
			continue;
		gm_buf_clear(&s->q);
		gm_buf_puts(&s->q, "MATCH ");
		put_match_node(s, "n", NULL, ents[i].f[0]);
		gm_buf_puts(&s->q, " RETURN labels(n)");
		if ((error = query(s, 1, &r, "cannot roll back")) < 0)
			return error;
		labels = elem(elem(elem(elem(r, 1), 0), 0), 1);
		gm_buf_clear(&s->lit);
		extra_labels(s, &s->lit, labels, ents[i].labels, ents[i].nlabels);
		gm_buf_clear(&s->t);
		for (size_t k = 0; k < ents[i].nlabels; k++) {
			size_t l;

			for (l = 0;
			     labels && labels->type == REDIS_REPLY_ARRAY && l < labels->elements;
			     l++) {
				const redisReply *x = elem(labels->element[l], 1);

				if (x && x->type == REDIS_REPLY_STRING &&
				    x->len == ents[i].labels[k].len &&
				    !memcmp(x->str, ents[i].labels[k].p, x->len))
					break;
			}
			if (labels && labels->type == REDIS_REPLY_ARRAY && l < labels->elements)
				continue;
			gm_buf_putc(&s->t, ':');
			gm__cy_put_name(&s->t, ents[i].labels[k]);
		}
		freeReplyObject(r);
		if (!s->lit.len && !s->t.len)
			continue;
		gm_buf_clear(&s->q);
		gm_buf_puts(&s->q, "MATCH ");
		put_match_node(s, "n", NULL, ents[i].f[0]);
		if (s->lit.len) {
			gm_buf_puts(&s->q, " REMOVE n");
			gm_buf_put(&s->q, s->lit.p, s->lit.len);
		}
		if (s->t.len) {
			gm_buf_puts(&s->q, " SET n");
			gm_buf_put(&s->q, s->t.p, s->t.len);
		}
		if (s->lit.oom || s->t.oom)
			return GM_ENOMEM;
		if ((error = rb_exec(s, NULL, NULL)) < 0)
			return error;
	}
	return 0;
}

static int rollback_in(struct fdb *s, int64_t run, uint64_t *nodes, uint64_t *rels)
{
	struct runrec rr;
	long long nb;
	int found, later, error;
	redisReply *r;

	if ((error = run_keys(s, run)) < 0 || (error = run_get(s, run, &rr, &found)) < 0)
		return error;
	if (!found)
		return gm_error_set(GM_ENOTFOUND, "falkordb %s has no run %" PRId64, s->where, run);
	if (!strcmp(rr.status, "rolled-back"))
		return gm_error_set(GM_EINVAL,
				    "run %" PRId64 " in falkordb %s is already rolled back", run,
				    s->where);
	if ((error = rb_check_later(s, run, &later)) < 0)
		return error;
	if (rr.graph_created && !later) {
		/* the graph did not exist before the run, and no later run changed it */
		const char *argv[2] = {"GRAPH.DELETE", s->graph};

		if ((error = fdb_count(&s->base, nodes, rels)) < 0 && error != GM_EIO)
			return error;
		gm_error_clear();
		error = rcmd(s, &r, "cannot delete the graph", 2, argv, NULL);
		if (error < 0 && !strstr(gm_error_last(), "empty key"))
			return error;
		gm_error_clear();
		freeReplyObject(r);
	} else {
		if ((error = undo_len(s, s->undo_key, &nb)) < 0)
			return error;
		for (long long i = nb - 1; i >= 0; i--) {
			if ((error = undo_blob(s, s->undo_key, i, &r)) < 0)
				return error;
			if (r->type == REDIS_REPLY_STRING)
				error = rb_blob(s, r->str, r->len, nodes, rels);
			freeReplyObject(r);
			if (error < 0)
				return error;
		}
	}
	{
		const char *argv[2] = {"DEL", s->undo_key};

		if ((error = rcmd(s, &r, "cannot remove the undo log", 2, argv, NULL)) < 0)
			return error;
		freeReplyObject(r);
	}
	snprintf(rr.status, sizeof(rr.status), "rolled-back");
	rr.finished = (long long)time(NULL);
	return run_put(s, run, &rr);
}

static int fdb_rollback(const char *location, int64_t run, uint64_t *nodes, uint64_t *rels)
{
	struct fdb *s = gm_calloc(1, sizeof(*s));
	struct gm_open_opts o = {.mode = GM_OPEN_WRITE};
	const char *params = NULL;
	char *loc = NULL, *l, *qm;
	int error;

	*nodes = *rels = 0;
	if (!s || !(loc = l = gm_strdup(location))) {
		gm_free(s);
		return GM_ENOMEM;
	}
	if (strncmp(l, "//", 2) && (qm = strchr(l, ':'))) { /* the whole URI: the scheme counts */
		*qm = '\0';
		o.scheme = loc;
		l = qm + 1;
	}
	if ((qm = strchr(l, '?'))) {
		*qm = '\0';
		params = o.params = qm + 1;
	}
	snprintf(s->where, sizeof(s->where), "(location)");
	if ((error = connect_uri(s, l, &o)) < 0 ||
	    (error = param(s, params, "key", &s->key, "_key")) < 0 ||
	    (error = param(s, params, "label", &s->label, "_gmig")) < 0 ||
	    (error = gm_arena_new(&s->ua)) < 0)
		goto out;
	error = rollback_in(s, run, nodes, rels);
out:
	gm_free(loc);
	fdb_close(&s->base);
	return error;
}

/* ---- schema (gmig validate) ---- */

/* A copy of the string in a compact [type, value] cell ("" when it is none); NULL: no memory. */
static char *cell_dup(const redisReply *cell)
{
	const redisReply *x = elem(cell, 1);
	size_t n = x && x->type == REDIS_REPLY_STRING ? x->len : 0;
	char *p = gm_malloc(n + 1);

	if (p) {
		if (n)
			memcpy(p, x->str, n);
		p[n] = '\0';
	}
	return p;
}

/* w in lower case ("RANGE" -> "range"), then suffix */
static void put_lower(struct gm_buf *b, const char *w, const char *suffix)
{
	for (const char *c = w; *c; c++)
		gm_buf_putc(b, *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c);
	gm_buf_puts(b, suffix);
}

/*
 * Emits one index or constraint. kind is e.g. "range index" with a status
 * other than OPERATIONAL added ("unique constraint (failed)"); on is
 * ":Label" or "[:TYPE]". FalkorDB names neither indexes nor constraints: the
 * name is what identifies one in its commands, on(properties).
 */
static int emit_item(const char *type, const char *what, const char *label, int rel,
		     const char *cols, const char *status, const char *definition,
		     int (*emit)(void *ctx, const struct gm_schema_item *it), void *ctx)
{
	struct gm_buf k = GM_BUF_INIT, on = GM_BUF_INIT, name = GM_BUF_INIT;
	struct gm_schema_item it;
	int error = GM_ENOMEM;

	put_lower(&k, type, what);
	if (*status && strcmp(status, "OPERATIONAL")) {
		gm_buf_puts(&k, " (");
		put_lower(&k, status, ")");
	}
	gm_buf_printf(&on, rel ? "[:%s]" : ":%s", label);
	gm_buf_printf(&name, "%s(%s)", on.p ? on.p : "", cols);
	if (!k.oom && !on.oom && !name.oom) {
		it.kind = k.p;
		it.name = name.p;
		it.on = on.p;
		it.columns = cols;
		it.definition = definition;
		error = emit(ctx, &it);
	}
	gm_buf_free(&k);
	gm_buf_free(&on);
	gm_buf_free(&name);
	return error;
}

/*
 * The graph's indexes (CALL db.indexes(): a row per label and entity type,
 * with its properties, the index types of each and their options) and
 * constraints (CALL db.constraints()). An index item is one property with
 * one index type (FalkorDB creates and drops them one by one), a constraint
 * item one constraint. The indexes' info column is not asked for: it nests
 * deeper than hiredis 0.14 reads; the options come flattened to "k: v" texts.
 */
static int fdb_describe_schema(struct gm_backend *b,
			       int (*emit)(void *ctx, const struct gm_schema_item *it), void *ctx)
{
	struct fdb *s = (struct fdb *)b;
	struct gm_buf cols = GM_BUF_INIT;
	redisReply *r = NULL;
	const redisReply *rows;
	char *f[5] = {NULL, NULL, NULL, NULL, NULL};
	int error;

	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q,
		    "CALL db.indexes() YIELD label, properties, types, options, entitytype, status "
		    "UNWIND properties AS p UNWIND types[p] AS t "
		    "RETURN entitytype, label, p, t, status, [k IN keys(options[p]) | k + ': ' + "
		    "CASE WHEN typeOf(options[p][k]) = 'String' THEN \"'\" + options[p][k] + \"'\" "
		    "ELSE toString(options[p][k]) END] ORDER BY entitytype, label, t, p");
	if ((error = query(s, 1, &r, "cannot list the indexes")) < 0)
		goto out;
	rows = elem(r, 1);
	for (size_t i = 0; rows && i < rows->elements && !error; i++) {
		/* entitytype, label, property, index type, status */
		const redisReply *row = rows->element[i], *opts = elem(elem(row, 5), 1);
		int rel;

		for (int k = 0; k < 5; k++) {
			gm_free(f[k]);
			if (!(f[k] = cell_dup(elem(row, (size_t)k))))
				error = GM_ENOMEM;
		}
		if (error < 0)
			break;
		rel = !strcmp(f[0], "RELATIONSHIP");
		/* the Cypher that creates it */
		gm_buf_clear(&s->t);
		gm_buf_puts(&s->t, "CREATE ");
		if (strcmp(f[3], "RANGE"))
			gm_buf_printf(&s->t, "%s ", f[3]);
		gm_buf_puts(&s->t, rel ? "INDEX FOR ()-[e:" : "INDEX FOR (e:");
		gm__cy_put_name(&s->t, gm_str_c(f[1]));
		gm_buf_puts(&s->t, rel ? "]-() ON (e." : ") ON (e.");
		gm__cy_put_name(&s->t, gm_str_c(f[2]));
		gm_buf_putc(&s->t, ')');
		for (size_t k = 0; opts && opts->type == REDIS_REPLY_ARRAY && k < opts->elements;
		     k++) {
			const redisReply *o = elem(opts->element[k], 1);

			gm_buf_puts(&s->t, k ? ", " : " OPTIONS {");
			if (o && o->type == REDIS_REPLY_STRING)
				gm_buf_put(&s->t, o->str, o->len);
			if (k + 1 == opts->elements)
				gm_buf_putc(&s->t, '}');
		}
		error = s->t.oom ? GM_ENOMEM
				 : emit_item(f[3], " index", f[1], rel, f[2], f[4], s->t.p, emit,
					     ctx);
	}
	freeReplyObject(r);
	r = NULL;
	if (error < 0)
		goto out;
	gm_buf_clear(&s->q);
	gm_buf_puts(&s->q,
		    "CALL db.constraints() YIELD type, label, properties, entitytype, status "
		    "RETURN type, label, entitytype, status, properties "
		    "ORDER BY entitytype, label, type");
	if ((error = query(s, 1, &r, "cannot list the constraints")) < 0)
		goto out;
	rows = elem(r, 1);
	for (size_t i = 0; rows && i < rows->elements && !error; i++) {
		/* type, label, entitytype, status; properties */
		const redisReply *row = rows->element[i], *props = elem(elem(row, 4), 1);
		size_t np = props && props->type == REDIS_REPLY_ARRAY ? props->elements : 0;

		for (int k = 0; k < 4; k++) {
			gm_free(f[k]);
			if (!(f[k] = cell_dup(elem(row, (size_t)k))))
				error = GM_ENOMEM;
		}
		if (error < 0)
			break;
		/* GRAPH.CONSTRAINT CREATE graph UNIQUE NODE Label PROPERTIES n p1 ... */
		gm_buf_clear(&s->t);
		gm_buf_printf(&s->t, "GRAPH.CONSTRAINT CREATE %s %s %s %s PROPERTIES %zu", s->graph,
			      f[0], f[2], f[1], np);
		gm_buf_clear(&cols);
		gm_buf_putc(&cols, '\0'); /* allocated, "" when none */
		gm_buf_clear(&cols);
		for (size_t k = 0; k < np; k++) {
			const redisReply *pr = elem(props->element[k], 1);

			if (!pr || pr->type != REDIS_REPLY_STRING)
				continue;
			gm_buf_putc(&s->t, ' ');
			gm_buf_put(&s->t, pr->str, pr->len);
			if (cols.len)
				gm_buf_putc(&cols, ',');
			gm_buf_put(&cols, pr->str, pr->len);
		}
		error = s->t.oom || cols.oom ? GM_ENOMEM
					     : emit_item(f[0], " constraint", f[1],
							 !strcmp(f[2], "RELATIONSHIP"), cols.p,
							 f[3], s->t.p, emit, ctx);
	}
out:
	freeReplyObject(r);
	for (int k = 0; k < 5; k++)
		gm_free(f[k]);
	gm_buf_free(&cols);
	return error;
}

static const char *const fdb_aliases[] = {"redis", "rediss", NULL};

const struct gm_backend_ops gm_backend_falkordb = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "falkordb",
	.summary = "FalkorDB graph (falkordb://[user:pass@]host:port/GRAPH), read and write",
	.caps = GM_CAP_READ | GM_CAP_WRITE | GM_CAP_COUNT | GM_CAP_TXN | GM_CAP_LOSSY |
		GM_CAP_EXISTING,
	.types = FDB_TYPES,
	.open = fdb_open,
	.read_next = fdb_read_next,
	.write_batch = fdb_write_batch,
	.count = fdb_count,
	.commit = fdb_commit,
	.close = fdb_close,
	.aliases = fdb_aliases,
	.sync = fdb_sync,
	.rollback = fdb_rollback,
	.describe_schema = fdb_describe_schema,
	/* lossy=drop leaves out every property FalkorDB cannot store */
	.drop_types = GM_TYPES_ALL,
};
