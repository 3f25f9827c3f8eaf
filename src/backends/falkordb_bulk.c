/* SPDX-License-Identifier: MIT */
/*
 * The falkordb backend's fast write path: GRAPH.BULK into a new graph.
 *
 * When. With write=auto (the default) a run whose graph does not exist yet is
 * loaded with GRAPH.BULK; an existing graph (even an empty one: its deleted
 * node ids would be reused, so ids could not be predicted) is written with
 * UNWIND + MERGE (falkordb.c). write=bulk insists (GM_EINVAL when the graph
 * exists), write=unwind never bulk-loads.
 *
 * Wire format (FalkorDB 4.16 src/bulk_insert/bulk_insert.c; one call):
 *   GRAPH.BULK graph [BEGIN] nodes edges node_tokens edge_tokens token...
 * BEGIN on the first call only (the server refuses it when the key exists,
 * and deletes the key when a call fails). A token is a header, then records:
 *   header   name NUL, u32 property count (< 65535), property names NUL-ended;
 *            a node token's name is its labels joined by ':' (the marker label
 *            first), an edge token's name its one type
 *   node     one value per header property
 *   edge     u64 source node id, u64 destination node id, then the values
 *   value    u8 type, payload: 0 null (property left out), 1 bool (1 byte),
 *            2 double (8), 3 string (NUL-ended), 4 int64 (8), 5 array (int64
 *            count, then values); integers and doubles in host byte order
 * The server creates node ids 0, 1, 2, ... in the order the records arrive
 * (node tokens of a call before its edge tokens), so gmig keeps a key -> id
 * map (keyset.h, keys as 128-bit hashes: 24 bytes per key, 32 when the table
 * is full) capped at map_memory bytes (default 256M; beyond it sorted runs
 * spill to a temporary file) that also holds the relationship keys (under
 * another hash seed) for the duplicate check. Records are grouped per batch by
 * shape (labels or type, and property names) into tokens; a call is sent when
 * bulk_size bytes (default 32M) are pending, while the next one is encoded.
 * Memory: the map, one call, one batch.
 *
 * What GRAPH.BULK cannot carry (Date, LocalTime, LocalDateTime, Point, Vector,
 * lists holding them; labels with ':'; relationship types with ':'; property
 * names with NUL) still arrives exactly, through Cypher after the last call:
 * such node properties and labels are left out of the node's token and set
 * by internal id (UNWIND [[id, {p: date('...')}], ...] AS r MATCH (n) WHERE
 * ID(n) = r[0] SET n += r[1]); such a relationship is created whole by its
 * endpoints' ids (MATCH (a) WHERE ID(a) = .. MATCH (b) .. CREATE (a)-[:T]->(b)).
 * They wait in an unlinked temporary file, not in memory.
 *
 * Then the key indexes are created (as the UNWIND path does at open) so a
 * later run upserts, and the node and relationship counts are checked. A run
 * that fails, or is closed without commit, deletes the graph: nothing of it
 * remains. Relationship endpoints must be nodes of this run (the graph is
 * new): an unknown one is GM_EDATA naming the relationship, as in the UNWIND
 * path; so is a key written twice in the run.
 */
#define XXH_INLINE_ALL
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "cyphertext.h"
#include "falkordb.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "keyset.h"
#include "util.h"

#define CY (GM__CY_RAW_CONTROL | GM__CY_SUBNORMAL_EXPR)
#define DEFAULT_MAP_MEMORY ((size_t)256 << 20)
#define DEFAULT_BULK_SIZE ((size_t)32 << 20)
#define MAX_HEADER_PROPS 65000
#define MAX_TOKENS 4096	       /* per call */
#define LOCAL UINT32_MAX       /* an endpoint written in this batch */
#define REPLAY_BYTES (1 << 20) /* Cypher text per deferred query */

enum { BI_NULL = 0, BI_BOOL = 1, BI_DOUBLE = 2, BI_STRING = 3, BI_LONG = 4, BI_ARRAY = 5 };

/* deferred entries: kind byte, u32 type length, u32 text length, type, text */
enum { D_PROPS = 'P', D_LABELS = 'L', D_EDGE = 'E' };

/* The node tokens of a call, one after the other (their order numbers the nodes). */
struct tokens {
	struct gm_buf data;
	size_t *off; /* start of each token in data */
	size_t n, cap;
	struct gm_buf shape; /* the last token's shape */
};

/* An edge token: one per shape and call (edges carry their endpoints' ids). */
struct etok {
	uint64_t hash;
	struct gm_buf shape, data;
	size_t hdr;    /* header bytes */
	size_t reclen; /* bytes of every record, SIZE_MAX when they differ, 0 before the first */
	uint64_t n;    /* records */
};

struct gm__fdb_bulk {
	struct gm__fdb_bulk_conf conf;
	size_t bulk_size;
	struct gm_keyset *map; /* node key (seed 0) -> id; relationship key (seed 1) */
	uint64_t next_id;      /* nodes sent */
	uint64_t rels;	       /* relationships sent or deferred */
	/* the call being built */
	struct tokens nt;
	struct etok *et;
	size_t net, cap_et, et_bytes;
	uint64_t call_nodes, call_rels;
	char call_first[240];
	/* the call sent, whose reply is not read yet */
	int outstanding, out_begin;
	uint64_t out_nodes, out_rels;
	char out_first[240];
	int began, created, committed;
	/* deferred Cypher */
	FILE *df;
	uint64_t ndeferred;
	/* relationship types seen (for their key indexes) */
	struct gm_keyset *types;
	struct gm_buf typenames; /* NUL-separated */
	/* per batch */
	struct gm_buf t, q;
	struct item *items;
	uint32_t *ends;
	size_t items_cap;
};

struct item {
	uint64_t shape;
	size_t i;
};

/* ---- values ---- */

static int bulk_ok(const struct gm_value *v)
{
	switch (v->type) {
	case GM_T_BOOL:
	case GM_T_INT:
	case GM_T_FLOAT: return 1;
	case GM_T_STRING: return !memchr(v->u.s.p, 0, v->u.s.len);
	case GM_T_LIST:
		for (size_t i = 0; i < v->u.list.n; i++)
			if (!bulk_ok(&v->u.list.v[i]))
				return 0;
		return 1;
	default: return 0;
	}
}

static void put_u8(struct gm_buf *b, unsigned c)
{
	gm_buf_putc(b, (char)c);
}

static void put_raw64(struct gm_buf *b, const void *p)
{
	gm_buf_put(b, p, 8);
}

static void encode(struct gm_buf *b, const struct gm_value *v)
{
	int64_t n;

	switch (v->type) {
	case GM_T_BOOL:
		put_u8(b, BI_BOOL);
		put_u8(b, v->u.b ? 1 : 0);
		break;
	case GM_T_INT:
		put_u8(b, BI_LONG);
		put_raw64(b, &v->u.i);
		break;
	case GM_T_FLOAT:
		put_u8(b, BI_DOUBLE);
		put_raw64(b, &v->u.f);
		break;
	case GM_T_STRING:
		put_u8(b, BI_STRING);
		gm_buf_put(b, v->u.s.p, v->u.s.len);
		put_u8(b, 0);
		break;
	case GM_T_LIST:
		put_u8(b, BI_ARRAY);
		n = (int64_t)v->u.list.n;
		put_raw64(b, &n);
		for (size_t i = 0; i < v->u.list.n; i++)
			encode(b, &v->u.list.v[i]);
		break;
	default: put_u8(b, BI_NULL); break;
	}
}

int gm__fdb_bulk_value(struct gm_buf *b, const struct gm_value *v)
{
	if (!bulk_ok(v))
		return 0;
	encode(b, v);
	return b->oom ? GM_ENOMEM : 1;
}

int gm__fdb_parse_size(const char *p, size_t len, size_t *out)
{
	size_t v = 0, i = 0, shift = 0;

	if (!len)
		return GM_EINVAL;
	for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (SIZE_MAX - 9) / 10)
			return GM_EINVAL;
		v = v * 10 + (size_t)(p[i] - '0');
	}
	if (i == 0)
		return GM_EINVAL;
	if (i + 1 == len) {
		switch (p[i]) {
		case 'k':
		case 'K': shift = 10; break;
		case 'm':
		case 'M': shift = 20; break;
		case 'g':
		case 'G': shift = 30; break;
		default: return GM_EINVAL;
		}
	} else if (i != len) {
		return GM_EINVAL;
	}
	if (shift && v > (SIZE_MAX >> shift))
		return GM_EINVAL;
	*out = v << shift;
	return 0;
}

/* ---- names and shapes ---- */

static int label_ok(const struct gm__fdb_bulk *b, struct gm_str l)
{
	(void)b;
	return l.len && !memchr(l.p, ':', l.len) && !memchr(l.p, 0, l.len);
}

static int is_marker(const struct gm__fdb_bulk *b, struct gm_str l)
{
	return l.len == strlen(b->conf.label) && !memcmp(l.p, b->conf.label, l.len);
}

static int prop_ok(const struct gm_prop *p)
{
	return !memchr(p->key.p, 0, p->key.len) && bulk_ok(&p->val);
}

/* Whether a relationship goes whole through GRAPH.BULK. */
static int rel_ok(const struct gm_record *r)
{
	if (!r->type.len || memchr(r->type.p, ':', r->type.len) ||
	    memchr(r->type.p, 0, r->type.len))
		return 0;
	if (r->key.p && memchr(r->key.p, 0, r->key.len))
		return 0;
	for (size_t k = 0; k < r->nprops; k++)
		if (!prop_ok(&r->props[k]))
			return 0;
	return 1;
}

/* The bytes that decide a record's token: labels or type, then the bulk property names. */
static void shape_text(const struct gm__fdb_bulk *b, const struct gm_record *r, struct gm_buf *t)
{
	gm_buf_clear(t);
	if (r->kind == GM_NODE) {
		for (size_t l = 0; l < r->nlabels; l++)
			if (label_ok(b, r->labels[l]) && !is_marker(b, r->labels[l])) {
				gm_buf_put(t, r->labels[l].p, r->labels[l].len);
				put_u8(t, 0);
			}
	} else {
		gm_buf_put(t, r->type.p, r->type.len);
		put_u8(t, 0);
	}
	put_u8(t, 1);
	for (size_t k = 0; k < r->nprops; k++)
		if (prop_ok(&r->props[k])) {
			gm_buf_put(t, r->props[k].key.p, r->props[k].key.len);
			put_u8(t, 0);
		}
}

static int cmp_item(const void *x, const void *y)
{
	const struct item *a = x, *c = y;

	if (a->shape != c->shape)
		return a->shape < c->shape ? -1 : 1;
	return a->i < c->i ? -1 : a->i > c->i;
}

/* ---- tokens ---- */

static int token_begin(struct tokens *t)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		size_t *no = gm_realloc(t->off, nc * sizeof(*no));

		if (!no)
			return GM_ENOMEM;
		t->off = no;
		t->cap = nc;
	}
	t->off[t->n++] = t->data.len;
	return 0;
}

/* A token header for r's shape. */
static int put_header(struct gm__fdb_bulk *b, struct gm_buf *d, const struct gm_record *r)
{
	uint32_t n = 1;
	size_t at;

	if (r->kind == GM_NODE) {
		gm_buf_puts(d, b->conf.label);
		for (size_t l = 0; l < r->nlabels; l++)
			if (label_ok(b, r->labels[l]) && !is_marker(b, r->labels[l])) {
				put_u8(d, ':');
				gm_buf_put(d, r->labels[l].p, r->labels[l].len);
			}
	} else {
		gm_buf_put(d, r->type.p, r->type.len);
	}
	put_u8(d, 0);
	at = d->len;
	gm_buf_put(d, &n, 4);
	gm_buf_puts(d, b->conf.key);
	put_u8(d, 0);
	for (size_t k = 0; k < r->nprops; k++)
		if (prop_ok(&r->props[k])) {
			gm_buf_put(d, r->props[k].key.p, r->props[k].key.len);
			put_u8(d, 0);
			n++;
		}
	if (d->oom)
		return GM_ENOMEM;
	memcpy(d->p + at, &n, 4);
	return 0;
}

/* The key property's value and the bulk properties (in header order). */
static void put_values(struct gm_buf *d, const struct gm_record *r)
{
	if (r->key.p && !memchr(r->key.p, 0, r->key.len)) {
		put_u8(d, BI_STRING);
		gm_buf_put(d, r->key.p, r->key.len);
		put_u8(d, 0);
	} else {
		put_u8(d, BI_NULL);
	}
	for (size_t k = 0; k < r->nprops; k++)
		if (prop_ok(&r->props[k]))
			encode(d, &r->props[k].val);
}

static size_t bulk_props(const struct gm_record *r)
{
	size_t n = 0;

	for (size_t k = 0; k < r->nprops; k++)
		n += (size_t)prop_ok(&r->props[k]);
	return n;
}

/* ---- talking to the server ---- */

static int server_error(struct gm__fdb_bulk *b, const char *what, const char *msg, size_t len)
{
	return gm_error_set(GM_EIO, "falkordb %s: %s: %.*s", b->conf.where, what,
			    (int)(len > 400 ? 400 : len), msg);
}

static int io_error(struct gm__fdb_bulk *b, const char *what)
{
	return gm_error_set(GM_EIO, "falkordb %s: %s: %s", b->conf.where, what,
			    b->conf.c->errstr[0] ? b->conf.c->errstr : "connection failed");
}

/* Runs a GRAPH.QUERY of b->q; the reply is dropped (or returned in *out). */
static int query(struct gm__fdb_bulk *b, const char *what, redisReply **out)
{
	const char *argv[4] = {"GRAPH.QUERY", b->conf.graph, b->q.p ? b->q.p : "", "--compact"};
	size_t lens[4] = {11, strlen(b->conf.graph), b->q.len, 9};
	redisReply *r;
	int error = 0;

	if (out)
		*out = NULL;
	if (b->q.oom)
		return GM_ENOMEM;
	if (!(r = redisCommandArgv(b->conf.c, 4, argv, lens)))
		return io_error(b, what);
	if (r->type == REDIS_REPLY_ERROR)
		error = server_error(b, what, r->str, r->len);
	else if (r->type != REDIS_REPLY_ARRAY)
		error = gm_error_set(GM_EIO, "falkordb %s: %s: unexpected reply", b->conf.where,
				     what);
	if (!error && out)
		*out = r;
	else
		freeReplyObject(r);
	return error;
}

/* Reads the reply of the call in flight. */
static int read_reply(struct gm__fdb_bulk *b)
{
	redisReply *r = NULL;
	int error = 0;
	char what[400];

	if (!b->outstanding)
		return 0;
	b->outstanding = 0;
	snprintf(what, sizeof(what),
		 "cannot bulk-insert the %" PRIu64 " nodes and %" PRIu64
		 " relationships from %s on",
		 b->out_nodes, b->out_rels, b->out_first);
	if (redisGetReply(b->conf.c, (void **)&r) != REDIS_OK || !r)
		return io_error(b, what);
	if (r->type == REDIS_REPLY_ERROR)
		error = server_error(b, what, r->str, r->len);
	else if (r->type != REDIS_REPLY_STRING)
		error = gm_error_set(GM_EIO, "falkordb %s: %s: unexpected reply", b->conf.where,
				     what);
	else if (b->out_begin)
		b->created = 1;
	freeReplyObject(r);
	return error;
}

/*
 * Edges sorted by (source, destination) cost the server about half the time
 * of edges in random order (its matrices are filled in order), so each edge
 * token is sorted before it is sent: in place when its records have one
 * length, else through an index of (source, destination, offset, length).
 */
struct erec {
	uint64_t s, e;
	size_t off, len;
};

static int cmp_edge(const void *x, const void *y)
{
	uint64_t a[2], c[2];

	memcpy(a, x, 16);
	memcpy(c, y, 16);
	if (a[0] != c[0])
		return a[0] < c[0] ? -1 : 1;
	return a[1] < c[1] ? -1 : a[1] > c[1];
}

/* Bytes of the value at p. */
static size_t value_len(const unsigned char *p)
{
	int64_t n;
	size_t len = 1;

	switch (p[0]) {
	case BI_BOOL: return 2;
	case BI_DOUBLE:
	case BI_LONG: return 9;
	case BI_STRING: return 2 + strlen((const char *)p + 1);
	case BI_ARRAY:
		memcpy(&n, p + 1, 8);
		len = 9;
		for (int64_t i = 0; i < n; i++)
			len += value_len(p + len);
		return len;
	default: return 1;
	}
}

static int sort_edges(struct etok *t)
{
	unsigned char *base = (unsigned char *)t->data.p + t->hdr;
	struct erec *idx;
	struct gm_buf out = GM_BUF_INIT;
	uint32_t nprops;
	size_t at = 0;
	const char *name;

	if (t->n < 2)
		return 0;
	if (t->reclen != SIZE_MAX) {
		qsort(base, (size_t)t->n, t->reclen, cmp_edge);
		return 0;
	}
	if (!(idx = gm_malloc((size_t)t->n * sizeof(*idx))))
		return GM_ENOMEM;
	name = t->data.p + strlen(t->data.p) + 1;
	memcpy(&nprops, name, 4);
	for (uint64_t i = 0; i < t->n; i++) {
		size_t len = 16;

		for (uint32_t k = 0; k < nprops; k++)
			len += value_len(base + at + len);
		memcpy(&idx[i].s, base + at, 8);
		memcpy(&idx[i].e, base + at + 8, 8);
		idx[i].off = at;
		idx[i].len = len;
		at += len;
	}
	qsort(idx, (size_t)t->n, sizeof(*idx), cmp_edge);
	gm_buf_grow(&out, t->data.len);
	gm_buf_put(&out, t->data.p, t->hdr);
	for (uint64_t i = 0; i < t->n; i++)
		gm_buf_put(&out, base + idx[i].off, idx[i].len);
	gm_free(idx);
	if (out.oom) {
		gm_buf_free(&out);
		return GM_ENOMEM;
	}
	gm_buf_free(&t->data);
	t->data = out;
	return 0;
}

static void free_etoks(struct gm__fdb_bulk *b)
{
	for (size_t i = 0; i < b->net; i++) {
		gm_buf_free(&b->et[i].shape);
		gm_buf_free(&b->et[i].data);
	}
	b->net = 0;
	b->et_bytes = 0;
}

/* Sends the pending call (after reading the reply of the one before). */
static int send_call(struct gm__fdb_bulk *b)
{
	size_t argc = 0, nt = b->nt.n, et = b->net, total = 7 + nt + et;
	const char **argv;
	size_t *lens;
	char num[4][24];
	int error, done = 0;

	if ((error = read_reply(b)) < 0)
		return error;
	if (!nt && !et)
		return 0;
	for (size_t i = 0; i < et; i++)
		if ((error = sort_edges(&b->et[i])) < 0)
			return error;
	argv = gm_malloc(total * sizeof(*argv));
	lens = gm_malloc(total * sizeof(*lens));
	if (!argv || !lens) {
		gm_free(argv);
		gm_free(lens);
		return GM_ENOMEM;
	}
	argv[argc++] = "GRAPH.BULK";
	argv[argc++] = b->conf.graph;
	if (!b->began)
		argv[argc++] = "BEGIN";
	snprintf(num[0], sizeof(num[0]), "%" PRIu64, b->call_nodes);
	snprintf(num[1], sizeof(num[1]), "%" PRIu64, b->call_rels);
	snprintf(num[2], sizeof(num[2]), "%zu", nt);
	snprintf(num[3], sizeof(num[3]), "%zu", et);
	for (int i = 0; i < 4; i++)
		argv[argc++] = num[i];
	for (size_t i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	for (size_t i = 0; i < nt; i++) {
		size_t end = i + 1 < nt ? b->nt.off[i + 1] : b->nt.data.len;

		argv[argc] = b->nt.data.p + b->nt.off[i];
		lens[argc++] = end - b->nt.off[i];
	}
	for (size_t i = 0; i < et; i++) {
		argv[argc] = b->et[i].data.p;
		lens[argc++] = b->et[i].data.len;
	}
	error = redisAppendCommandArgv(b->conf.c, (int)argc, argv, lens) == REDIS_OK ? 0 : -1;
	gm_free(argv);
	gm_free(lens);
	if (error < 0)
		return b->conf.c->err ? io_error(b, "cannot send a bulk insert") : GM_ENOMEM;
	while (!done)
		if (redisBufferWrite(b->conf.c, &done) != REDIS_OK)
			return io_error(b, "cannot send a bulk insert");
	b->outstanding = 1;
	b->out_begin = !b->began;
	b->began = 1;
	b->out_nodes = b->call_nodes;
	b->out_rels = b->call_rels;
	memcpy(b->out_first, b->call_first, sizeof(b->out_first));
	b->call_first[0] = '\0';
	b->call_nodes = b->call_rels = 0;
	gm_buf_clear(&b->nt.data);
	gm_buf_clear(&b->nt.shape);
	b->nt.n = 0;
	free_etoks(b);
	return 0;
}

/* ---- deferred Cypher ---- */

static int defer(struct gm__fdb_bulk *b, int kind, struct gm_str type, const struct gm_buf *text)
{
	uint32_t tl = (uint32_t)type.len, xl = (uint32_t)text->len;
	int fd;

	if (text->oom)
		return GM_ENOMEM;
	if (!b->df) {
		if ((fd = gm__temp_fd("falkordb-deferred")) < 0)
			return fd;
		if (!(b->df = fdopen(fd, "w+b"))) {
			close(fd);
			return GM_ENOMEM;
		}
	}
	if (fputc(kind, b->df) == EOF || fwrite(&tl, 4, 1, b->df) != 1 ||
	    fwrite(&xl, 4, 1, b->df) != 1 || (tl && fwrite(type.p, tl, 1, b->df) != 1) ||
	    (xl && fwrite(text->p, xl, 1, b->df) != 1))
		return gm_error_set(GM_EIO, "cannot write the deferred values' temporary file: %s",
				    strerror(errno));
	b->ndeferred++;
	return 0;
}

/* {name: value, ...} of r's properties (all, or only those GRAPH.BULK cannot carry). */
static int put_cypher_props(struct gm__fdb_bulk *b, struct gm_buf *t, const struct gm_record *r,
			    int all)
{
	int first = 1, error;

	gm_buf_putc(t, '{');
	if (all && r->key.p) {
		gm__cy_put_name(t, gm_str_c(b->conf.key));
		gm_buf_putc(t, ':');
		gm__cy_put_string(t, r->key.p, r->key.len, CY);
		first = 0;
	} else if (!all && r->key.p && memchr(r->key.p, 0, r->key.len)) {
		gm__cy_put_name(t, gm_str_c(b->conf.key));
		gm_buf_putc(t, ':');
		gm__cy_put_string(t, r->key.p, r->key.len, CY);
		first = 0;
	}
	for (size_t k = 0; k < r->nprops; k++) {
		if (!all && prop_ok(&r->props[k]))
			continue;
		if (!first)
			gm_buf_putc(t, ',');
		first = 0;
		gm__cy_put_name(t, r->props[k].key);
		gm_buf_putc(t, ':');
		if ((error = gm__fdb_put_value(t, &r->props[k].val)) < 0)
			return error;
	}
	gm_buf_putc(t, '}');
	return t->oom ? GM_ENOMEM : 0;
}

/* What of node r (id) GRAPH.BULK did not carry. */
static int defer_node(struct gm__fdb_bulk *b, const struct gm_record *r, uint64_t id)
{
	int props = r->key.p && memchr(r->key.p, 0, r->key.len) ? 1 : 0, labels = 0, error;
	struct gm_str none = {"", 0};

	for (size_t k = 0; k < r->nprops && !props; k++)
		props = !prop_ok(&r->props[k]);
	for (size_t l = 0; l < r->nlabels; l++)
		labels |= !label_ok(b, r->labels[l]);
	if (props) {
		gm_buf_clear(&b->t);
		gm_buf_printf(&b->t, "[%" PRIu64 ",", id);
		if ((error = put_cypher_props(b, &b->t, r, 0)) < 0)
			return error;
		gm_buf_putc(&b->t, ']');
		if ((error = defer(b, D_PROPS, none, &b->t)) < 0)
			return error;
	}
	if (labels) {
		gm_buf_clear(&b->t);
		gm_buf_printf(&b->t, "MATCH (n) WHERE ID(n) = %" PRIu64 " SET n", id);
		for (size_t l = 0; l < r->nlabels; l++)
			if (!label_ok(b, r->labels[l])) {
				gm_buf_putc(&b->t, ':');
				gm__cy_put_name(&b->t, r->labels[l]);
			}
		if ((error = defer(b, D_LABELS, none, &b->t)) < 0)
			return error;
	}
	return 0;
}

static int defer_rel(struct gm__fdb_bulk *b, const struct gm_record *r, uint32_t s, uint32_t e)
{
	int error;

	gm_buf_clear(&b->t);
	gm_buf_printf(&b->t, "{s:%" PRIu32 ",e:%" PRIu32 ",p:", s, e);
	if ((error = put_cypher_props(b, &b->t, r, 1)) < 0)
		return error;
	gm_buf_putc(&b->t, '}');
	return defer(b, D_EDGE, r->type, &b->t);
}

static int run_deferred(struct gm__fdb_bulk *b, int kind, const struct gm_buf *type)
{
	gm_buf_clear(&b->q);
	if (kind == D_PROPS) {
		gm_buf_puts(&b->q, "UNWIND [");
		gm_buf_put(&b->q, b->t.p, b->t.len);
		gm_buf_puts(&b->q, "] AS r MATCH (n) WHERE ID(n) = r[0] SET n += r[1]");
	} else {
		gm_buf_puts(&b->q, "UNWIND [");
		gm_buf_put(&b->q, b->t.p, b->t.len);
		gm_buf_puts(&b->q, "] AS row MATCH (a) WHERE ID(a) = row.s MATCH (b) WHERE ID(b) = "
				   "row.e CREATE (a)-[r:");
		gm__cy_put_name(&b->q, (struct gm_str){type->p, type->len});
		gm_buf_puts(&b->q, "]->(b) SET r = row.p");
	}
	gm_buf_clear(&b->t);
	return query(b, "cannot write the values GRAPH.BULK cannot carry", NULL);
}

/* Replays the deferred file: consecutive entries of one kind (and type) in one query. */
static int replay(struct gm__fdb_bulk *b)
{
	struct gm_buf type = GM_BUF_INIT, ctype = GM_BUF_INIT, x = GM_BUF_INIT;
	int kind = 0, ck = 0, error = 0;
	size_t rows = 0;

	if (!b->df)
		return 0;
	if (fflush(b->df) || fseek(b->df, 0, SEEK_SET))
		return gm_error_set(GM_EIO, "cannot read the deferred values' temporary file: %s",
				    strerror(errno));
	gm_buf_clear(&b->t);
	for (uint64_t i = 0; i <= b->ndeferred && !error; i++) {
		uint32_t tl = 0, xl = 0;

		if (i < b->ndeferred) {
			kind = fgetc(b->df);
			if (kind == EOF || fread(&tl, 4, 1, b->df) != 1 ||
			    fread(&xl, 4, 1, b->df) != 1) {
				error = gm_error_set(GM_EIO, "cannot read the deferred values' "
							     "temporary file");
				break;
			}
			gm_buf_clear(&type);
			gm_buf_clear(&x);
			if (gm_buf_grow(&type, tl) < 0 || gm_buf_grow(&x, xl) < 0) {
				error = GM_ENOMEM;
				break;
			}
			if ((tl && fread(type.p, tl, 1, b->df) != 1) ||
			    (xl && fread(x.p, xl, 1, b->df) != 1)) {
				error = gm_error_set(GM_EIO, "cannot read the deferred values' "
							     "temporary file");
				break;
			}
			type.len = tl;
			x.len = xl;
		}
		/* flush the rows so far when the kind or type changes, or at the end */
		if (rows && (i == b->ndeferred || kind != ck || kind == D_LABELS ||
			     b->t.len + xl > REPLAY_BYTES ||
			     (kind == D_EDGE &&
			      (type.len != ctype.len || memcmp(type.p, ctype.p, type.len))))) {
			if ((error = run_deferred(b, ck, &ctype)) < 0)
				break;
			rows = 0;
		}
		if (i == b->ndeferred)
			break;
		if (kind == D_LABELS) {
			gm_buf_clear(&b->q);
			gm_buf_put(&b->q, x.p, x.len);
			error = query(b, "cannot write the labels GRAPH.BULK cannot carry", NULL);
			continue;
		}
		if (rows++)
			gm_buf_putc(&b->t, ',');
		gm_buf_put(&b->t, x.p, x.len);
		ck = kind;
		gm_buf_clear(&ctype);
		gm_buf_put(&ctype, type.p, type.len);
		if (b->t.oom || ctype.oom)
			error = GM_ENOMEM;
	}
	gm_buf_free(&type);
	gm_buf_free(&ctype);
	gm_buf_free(&x);
	return error;
}

/* ---- writing ---- */

static int grow_items(struct gm__fdb_bulk *b, size_t n)
{
	struct item *ni;
	uint32_t *ne;

	if (n <= b->items_cap)
		return 0;
	if (!(ni = gm_realloc(b->items, n * sizeof(*ni))))
		return GM_ENOMEM;
	b->items = ni;
	if (!(ne = gm_realloc(b->ends, 2 * n * sizeof(*ne))))
		return GM_ENOMEM;
	b->ends = ne;
	b->items_cap = n;
	return 0;
}

static int dup_error(struct gm__fdb_bulk *b, const struct gm_record *r)
{
	char who[240];
	const char *what = r->kind == GM_REL ? "relationship" : "node";

	gm__fdb_describe(r, who, sizeof(who));
	return gm_error_set(GM_EDATA,
			    "invalid %s for falkordb %s: a %s with this key was already written "
			    "in this run; falkordb cannot store two %ss with one key",
			    who, b->conf.where, what, what);
}

static int too_many_props(const struct gm_record *r)
{
	char who[240];

	gm__fdb_describe(r, who, sizeof(who));
	return gm_error_set(GM_EUNSUPPORTED,
			    "%s has more properties than GRAPH.BULK takes (%d); use ?write=unwind",
			    who, MAX_HEADER_PROPS);
}

/* A key new to the run and to the batch (local), else its GM_EDATA. */
static int new_key(struct gm__fdb_bulk *b, struct gm_keyset *local, const struct gm_record *r,
		   uint64_t seed)
{
	struct gm_keyhash h = gm_keyset_hash(r->key.p, r->key.len, seed);
	int error;

	if ((error = gm_keyset_get_hash(b->map, h, NULL)) < 0)
		return error;
	if (error)
		return dup_error(b, r);
	if ((error = gm_keyset_put_hash(local, h, 0, NULL)) < 0)
		return error;
	return error ? 0 : dup_error(b, r);
}

/* Phase 1: keys, endpoints, sizes; nothing changes, so a batch is all or nothing. */
static int check_batch(struct gm__fdb_bulk *b, const struct gm_record *recs, size_t n)
{
	struct gm_keyset *local = NULL;
	uint64_t nodes = 0;
	int error = 0;
	char who[240];

	if ((error = gm_keyset_new(&local)) < 0)
		return error;
	for (size_t i = 0; i < n && !error; i++) {
		const struct gm_record *r = &recs[i];

		if (bulk_props(r) >= MAX_HEADER_PROPS) {
			error = too_many_props(r);
			break;
		}
		if (r->kind == GM_NODE) {
			if (b->next_id + ++nodes >= UINT32_MAX)
				error = gm_error_set(GM_EUNSUPPORTED,
						     "falkordb %s: a bulk load takes at most %u "
						     "nodes (use ?write=unwind)",
						     b->conf.where, UINT32_MAX - 1);
			else
				error = new_key(b, local, r, 0);
			continue;
		}
		if (r->key.p && (error = new_key(b, local, r, 1)) < 0)
			break;
		for (int e = 0; e < 2 && !error; e++) {
			struct gm_str k = e ? r->to : r->from;
			struct gm_keyhash h = gm_keyset_hash(k.p, k.len, 0);
			uint32_t id = LOCAL;

			if ((error = gm_keyset_get_hash(b->map, h, &id)) == 0)
				error = gm_keyset_get_hash(local, h, NULL);
			if (error < 0)
				break;
			if (error == 1) {
				b->ends[2 * i + (size_t)e] = id;
				error = 0;
				continue;
			}
			gm__fdb_describe(r, who, sizeof(who));
			error = gm_error_set(
				GM_EDATA,
				"%s: its %s node '%.*s' is not in falkordb %s; FalkorDB "
				"cannot store a relationship without both nodes",
				who, e ? "end" : "start", (int)(k.len > 100 ? 100 : k.len), k.p,
				b->conf.where);
		}
	}
	gm_keyset_free(local);
	return error;
}

/* Sorts the records of kind in recs by shape into b->items; returns their count. */
static int sort_shapes(struct gm__fdb_bulk *b, const struct gm_record *recs, size_t n,
		       enum gm_kind kind, size_t *count)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (recs[i].kind != kind || (kind == GM_REL && !rel_ok(&recs[i])))
			continue;
		shape_text(b, &recs[i], &b->t);
		if (b->t.oom)
			return GM_ENOMEM;
		b->items[m].shape = XXH3_64bits(b->t.p, b->t.len);
		b->items[m++].i = i;
	}
	qsort(b->items, m, sizeof(*b->items), cmp_item);
	*count = m;
	return 0;
}

static int same_buf(const struct gm_buf *x, const struct gm_buf *y)
{
	return x->len == y->len && (!x->len || !memcmp(x->p, y->p, x->len));
}

static void note_first(struct gm__fdb_bulk *b, const struct gm_record *r)
{
	if (!b->call_first[0])
		gm__fdb_describe(r, b->call_first, sizeof(b->call_first));
}

static int write_nodes(struct gm__fdb_bulk *b, const struct gm_record *recs, size_t n)
{
	size_t m;
	int error;

	if ((error = sort_shapes(b, recs, n, GM_NODE, &m)) < 0)
		return error;
	for (size_t j = 0; j < m && !error; j++) {
		const struct gm_record *r = &recs[b->items[j].i];
		struct gm_keyhash h = gm_keyset_hash(r->key.p, r->key.len, 0);

		/* a new token unless it continues the last one */
		shape_text(b, r, &b->t);
		if (!b->nt.n || !same_buf(&b->t, &b->nt.shape)) {
			if ((error = token_begin(&b->nt)) < 0 ||
			    (error = put_header(b, &b->nt.data, r)) < 0)
				break;
			gm_buf_clear(&b->nt.shape);
			gm_buf_put(&b->nt.shape, b->t.p, b->t.len);
		}
		note_first(b, r);
		put_values(&b->nt.data, r);
		if (b->nt.data.oom) {
			error = GM_ENOMEM;
			break;
		}
		if ((error = gm_keyset_put_hash(b->map, h, (uint32_t)b->next_id, NULL)) < 0)
			break;
		error = defer_node(b, r, b->next_id);
		b->next_id++;
		b->call_nodes++;
	}
	return error || !b->nt.shape.oom ? error : GM_ENOMEM;
}

static int endpoint(struct gm__fdb_bulk *b, const struct gm_record *r, size_t i, int e,
		    uint32_t *id)
{
	struct gm_str k = e ? r->to : r->from;
	int error;

	*id = b->ends[2 * i + (size_t)e];
	if (*id != LOCAL)
		return 0;
	error = gm_keyset_get_hash(b->map, gm_keyset_hash(k.p, k.len, 0), id);
	return error < 0 ? error : error ? 0 : gm_error_set(GM_ERROR, "falkordb bulk: lost a key");
}

static int note_type(struct gm__fdb_bulk *b, struct gm_str type)
{
	int added = gm_keyset_put(b->types, type.p, type.len, 0, NULL);

	if (added < 0)
		return added;
	if (added) {
		gm_buf_put(&b->typenames, type.p, type.len);
		put_u8(&b->typenames, 0);
	}
	return b->typenames.oom ? GM_ENOMEM : 0;
}

/* The call's edge token for r's shape (made with its header when new). */
static int edge_token(struct gm__fdb_bulk *b, const struct gm_record *r, uint64_t hash,
		      struct etok *last, struct etok **out)
{
	struct etok *t;
	int error;

	shape_text(b, r, &b->t);
	if (b->t.oom)
		return GM_ENOMEM;
	if (last && last->hash == hash && same_buf(&last->shape, &b->t)) {
		*out = last;
		return 0;
	}
	for (size_t i = b->net; i-- > 0;)
		if (b->et[i].hash == hash && same_buf(&b->et[i].shape, &b->t)) {
			*out = &b->et[i];
			return 0;
		}
	if (b->net == b->cap_et) {
		size_t nc = b->cap_et ? b->cap_et * 2 : 16;
		struct etok *ne = gm_realloc(b->et, nc * sizeof(*ne));

		if (!ne)
			return GM_ENOMEM;
		b->et = ne;
		b->cap_et = nc;
	}
	t = &b->et[b->net++];
	memset(t, 0, sizeof(*t));
	t->hash = hash;
	gm_buf_put(&t->shape, b->t.p, b->t.len);
	if ((error = put_header(b, &t->data, r)) < 0 || t->shape.oom)
		return error < 0 ? error : GM_ENOMEM;
	t->hdr = t->data.len;
	b->et_bytes += t->data.len;
	*out = t;
	return 0;
}

static int write_rels(struct gm__fdb_bulk *b, const struct gm_record *recs, size_t n)
{
	struct etok *tok = NULL;
	size_t m;
	int error;
	uint32_t s, e;

	/* the ones GRAPH.BULK cannot carry, in record order */
	for (size_t i = 0; i < n; i++) {
		if (recs[i].kind != GM_REL)
			continue;
		if ((error = note_type(b, recs[i].type)) < 0)
			return error;
		if (rel_ok(&recs[i]))
			continue;
		if ((error = endpoint(b, &recs[i], i, 0, &s)) < 0 ||
		    (error = endpoint(b, &recs[i], i, 1, &e)) < 0 ||
		    (error = defer_rel(b, &recs[i], s, e)) < 0)
			return error;
		if (recs[i].key.p &&
		    (error = gm_keyset_put_hash(b->map,
						gm_keyset_hash(recs[i].key.p, recs[i].key.len, 1),
						0, NULL)) < 0)
			return error;
		b->rels++;
	}
	if ((error = sort_shapes(b, recs, n, GM_REL, &m)) < 0)
		return error;
	for (size_t j = 0; j < m && !error; j++) {
		size_t i = b->items[j].i, at;
		const struct gm_record *r = &recs[i];
		uint64_t s64, e64;

		if ((error = endpoint(b, r, i, 0, &s)) < 0 ||
		    (error = endpoint(b, r, i, 1, &e)) < 0)
			break;
		if ((error = edge_token(b, r, b->items[j].shape, tok, &tok)) < 0)
			break;
		note_first(b, r);
		s64 = s;
		e64 = e;
		at = tok->data.len;
		put_raw64(&tok->data, &s64);
		put_raw64(&tok->data, &e64);
		put_values(&tok->data, r);
		b->et_bytes += tok->data.len - at;
		if (!tok->reclen)
			tok->reclen = tok->data.len - at;
		else if (tok->reclen != tok->data.len - at)
			tok->reclen = SIZE_MAX;
		tok->n++;
		if (tok->data.oom) {
			error = GM_ENOMEM;
			break;
		}
		if (r->key.p &&
		    (error = gm_keyset_put_hash(b->map, gm_keyset_hash(r->key.p, r->key.len, 1), 0,
						NULL)) < 0)
			break;
		error = 0;
		b->rels++;
		b->call_rels++;
	}
	return error;
}

int gm__fdb_bulk_write(struct gm__fdb_bulk *b, const struct gm_record *recs, size_t n,
		       uint64_t *nodes, uint64_t *rels)
{
	int error;

	if ((error = grow_items(b, n)) < 0 || (error = check_batch(b, recs, n)) < 0)
		return error;
	if ((error = write_nodes(b, recs, n)) < 0 || (error = write_rels(b, recs, n)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		++*(recs[i].kind == GM_NODE ? nodes : rels);
	if (b->nt.data.len + b->et_bytes >= b->bulk_size || b->nt.n + b->net >= MAX_TOKENS)
		return send_call(b);
	return 0;
}

/* ---- open / commit / close ---- */

int gm__fdb_bulk_param(const char *name, size_t len)
{
	return (len == 10 && !memcmp(name, "map_memory", 10)) ||
	       (len == 9 && !memcmp(name, "bulk_size", 9));
}

static int size_param(const struct gm__fdb_bulk_conf *conf, const char *name, size_t dflt,
		      size_t *out)
{
	struct gm_str v;

	*out = dflt;
	if (!gm_params_get(conf->params, name, &v))
		return 0;
	if (gm__fdb_parse_size(v.p, v.len, out) < 0 || !*out)
		return gm_error_set(
			GM_EINVAL,
			"parameter %s for falkordb %s must be a size in bytes (a number, "
			"optionally with K, M or G)",
			name, conf->where);
	return 0;
}

int gm__fdb_bulk_open(struct gm__fdb_bulk **out, const struct gm__fdb_bulk_conf *conf, int must)
{
	struct gm__fdb_bulk *b;
	redisReply *r;
	size_t map_memory, bulk_size;
	int error;

	*out = NULL;
	if ((error = size_param(conf, "map_memory", DEFAULT_MAP_MEMORY, &map_memory)) < 0 ||
	    (error = size_param(conf, "bulk_size", DEFAULT_BULK_SIZE, &bulk_size)) < 0)
		return error;
	if (!(r = redisCommand(conf->c, "EXISTS %s", conf->graph)))
		return gm_error_set(GM_EIO, "falkordb %s: %s", conf->where,
				    conf->c->errstr[0] ? conf->c->errstr : "connection failed");
	if (r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return gm_error_set(GM_EIO, "falkordb %s: unexpected reply to EXISTS", conf->where);
	}
	if (r->integer) {
		freeReplyObject(r);
		if (must)
			return gm_error_set(GM_EINVAL,
					    "falkordb %s: write=bulk needs a new graph, and '%s' "
					    "exists",
					    conf->where, conf->graph);
		return 0;
	}
	freeReplyObject(r);
	if (!(b = gm_calloc(1, sizeof(*b))))
		return GM_ENOMEM;
	b->conf = *conf;
	b->bulk_size = bulk_size;
	if ((error = gm_keyset_new(&b->map)) < 0 || (error = gm_keyset_new(&b->types)) < 0) {
		gm__fdb_bulk_close(b);
		return error;
	}
	gm_keyset_set_limit(b->map, map_memory);
	*out = b;
	return 0;
}

/* The key indexes (the first query creates the graph when nothing was sent). */
static int create_index(struct gm__fdb_bulk *b, const char *type)
{
	int error;

	gm_buf_clear(&b->q);
	if (!type) {
		gm_buf_puts(&b->q, "CREATE INDEX FOR (n:");
		gm__cy_put_name(&b->q, gm_str_c(b->conf.label));
		gm_buf_puts(&b->q, ") ON (n.");
	} else {
		gm_buf_puts(&b->q, "CREATE INDEX FOR ()-[n:");
		gm__cy_put_name(&b->q, gm_str_c(type));
		gm_buf_puts(&b->q, "]-() ON (n.");
	}
	gm__cy_put_name(&b->q, gm_str_c(b->conf.key));
	gm_buf_puts(&b->q, ")");
	if ((error = query(b, "cannot create an index", NULL)) < 0 &&
	    !strstr(gm_error_last(), "already indexed"))
		return error;
	gm_error_clear();
	b->created = 1;
	return 0;
}

static int create_indexes(struct gm__fdb_bulk *b)
{
	int error = create_index(b, NULL);

	for (size_t at = 0; !error && at < b->typenames.len; at += strlen(b->typenames.p + at) + 1)
		error = create_index(b, b->typenames.p + at);
	return error;
}

static int count(struct gm__fdb_bulk *b, const char *q, int64_t *n)
{
	redisReply *r;
	const redisReply *x;
	int error;

	gm_buf_clear(&b->q);
	gm_buf_puts(&b->q, q);
	if ((error = query(b, "cannot count", &r)) < 0)
		return error;
	x = r->elements > 1 && r->element[1]->type == REDIS_REPLY_ARRAY &&
			    r->element[1]->elements && r->element[1]->element[0]->elements &&
			    r->element[1]->element[0]->element[0]->elements > 1
		    ? r->element[1]->element[0]->element[0]->element[1]
		    : NULL;
	*n = x && x->type == REDIS_REPLY_INTEGER ? x->integer : -1;
	freeReplyObject(r);
	return 0;
}

int gm__fdb_bulk_commit(struct gm__fdb_bulk *b)
{
	int64_t n, r;
	int error;

	if ((error = send_call(b)) < 0 || (error = read_reply(b)) < 0)
		return error;
	if ((error = create_indexes(b)) < 0 || (error = replay(b)) < 0)
		return error;
	if ((error = count(b, "MATCH (n) RETURN count(n)", &n)) < 0 ||
	    (error = count(b, "MATCH ()-[r]->() RETURN count(r)", &r)) < 0)
		return error;
	if (n != (int64_t)b->next_id || r != (int64_t)b->rels)
		return gm_error_set(GM_EIO,
				    "falkordb %s: the bulk load wrote %" PRIu64
				    " nodes and %" PRIu64
				    " relationships, but the graph has %" PRId64 " and %" PRId64,
				    b->conf.where, b->next_id, b->rels, n, r);
	b->committed = 1;
	return 0;
}

void gm__fdb_bulk_close(struct gm__fdb_bulk *b)
{
	if (!b)
		return;
	if (b->outstanding) {
		redisReply *r = NULL;

		b->outstanding = 0;
		if (redisGetReply(b->conf.c, (void **)&r) == REDIS_OK && r &&
		    r->type == REDIS_REPLY_STRING && b->out_begin)
			b->created = 1;
		freeReplyObject(r);
	}
	if (b->created && !b->committed && !b->conf.c->err)
		freeReplyObject(redisCommand(b->conf.c, "GRAPH.DELETE %s", b->conf.graph));
	if (b->df)
		fclose(b->df);
	gm_keyset_free(b->map);
	gm_keyset_free(b->types);
	gm_buf_free(&b->typenames);
	gm_buf_free(&b->nt.data);
	gm_buf_free(&b->nt.shape);
	gm_free(b->nt.off);
	free_etoks(b);
	gm_free(b->et);
	gm_buf_free(&b->t);
	gm_buf_free(&b->q);
	gm_free(b->items);
	gm_free(b->ends);
	gm_free(b);
}
