/* SPDX-License-Identifier: MIT */
/*
 * The "memorygraph" backend: MemoryGraph's SQLite store (memorygraphMCP 0.12.x,
 * the default `MEMORY_BACKEND=sqlite`), read and written in place.
 *
 * Location: the database file. Empty ("memorygraph:") means MemoryGraph's own
 * rule: $MEMORY_SQLITE_PATH when set and not empty, else ~/.memorygraph/memory.db.
 * A plain path is recognised for reading when its table "nodes" has
 * MemoryGraph's columns (probe_path).
 *
 * On-disk layout (MemoryGraph's SQLiteFallbackBackend.initialize_schema and
 * SQLiteMemoryDatabase.initialize_schema, whose DDL this file repeats to the
 * byte, so sqlite_master is identical):
 *
 *   nodes(id TEXT PRIMARY KEY, label TEXT NOT NULL, properties TEXT NOT NULL,
 *         created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP ...)
 *   relationships(id TEXT PRIMARY KEY, from_id, to_id, rel_type, properties,
 *         created_at, valid_from NOT NULL, valid_until, recorded_at NOT NULL,
 *         invalidated_by)
 *   8 indexes, idx_nodes_memory, and the (always empty) FTS5 table nodes_fts.
 *
 *   nodes.label is 'Memory' for every memory. nodes.properties is Python's
 *   json.dumps (", " / ": ", ensure_ascii) of MemoryNode.to_neo4j_properties():
 *   id, type, title, content, tags, importance, confidence, usage_count,
 *   created_at, updated_at, [summary, effectiveness, last_accessed],
 *   context_<field>... (lists as JSON arrays, an empty list as the string "[]",
 *   dicts as JSON strings). relationships.properties holds 14 keys (strength,
 *   confidence, context, evidence_count, success_rate, created_at,
 *   last_validated, validation_count, counter_evidence_count, valid_from,
 *   valid_until, recorded_at, invalidated_by, id), nulls included.
 *   nodes.created_at / updated_at and relationships.created_at are SQLite
 *   CURRENT_TIMESTAMP texts ("2026-11-22 15:17:12"); valid_from / valid_until /
 *   recorded_at are ISO texts and, with invalidated_by, authoritative:
 *   MemoryGraph's invalidate_relationship() updates only these columns.
 *
 * The graph gmig reads (and writes back):
 *
 *   node      key = nodes.id, one label = nodes.label ("Memory"), properties =
 *             the JSON object's members as stored (the flattened dict MemoryGraph's
 *             Cypher backends SET on (:Memory); strings, numbers, lists, quirks
 *             such as "[]" kept), null members left out
 *   relation  key = relationships.id, type = rel_type, from/to = from_id/to_id,
 *             properties = the JSON members that are not null, except that
 *             valid_from, valid_until, recorded_at and invalidated_by come from
 *             their columns (absent when the column is NULL)
 *
 * Carriers: what only the SQLite layout has travels in properties named
 * "_mg_*", which the writer consumes (and never writes into the JSON), so that
 * SQLite -> any lossless format -> SQLite gives the same rows byte for byte:
 *
 *   _mg_created_at, _mg_updated_at   the nodes.created_at / updated_at column
 *                                    values (relationships: _mg_created_at);
 *                                    when absent the writer uses
 *                                    CURRENT_TIMESTAMP on insert, as MemoryGraph does
 *   _mg_json                         the stored JSON text, verbatim, present
 *                                    only when gmig's rendering of the other
 *                                    properties would differ from it (another key
 *                                    order, explicit nulls, spacing, a missing
 *                                    relationship key, unparseable JSON). The
 *                                    writer uses it only while the record's
 *                                    properties still equal what it holds;
 *                                    after an edit it renders them instead
 *   _mg_json_<k>, _mg_json_nulls     relationships whose JSON value of a
 *                                    temporal key k differs from its column
 *                                    (every invalidated relationship): the
 *                                    JSON's value of k, or the list of keys the
 *                                    JSON has as null
 *
 * Writing: into a new file, or into an existing MemoryGraph database without
 * deleting anything: the DDL above (CREATE ... IF NOT EXISTS), then an upsert
 * per record: memories by id, relationships by id. A row whose values would
 * not change is not touched, so re-running a migration changes nothing. The
 * whole run is one transaction: commit() commits it, close() without commit
 * rolls it back and removes the file when this run created it.
 *
 *   - a node needs exactly one label; a Memory needs a MemoryType "type" and
 *     string "title" and "content" (MemoryGraph silently ignores others),
 *     unless it carries _mg_json; "id" defaults to the key, "created_at" and
 *     "updated_at" to the existing row's values, else the run's start time
 *   - a relationship's JSON gets all 14 keys; missing ones get MemoryGraph's
 *     defaults (strength 0.5, confidence 0.8, evidence_count 1, counts 0,
 *     nulls) and the four timestamps the existing row's values, else the run's
 *     start time; "id" defaults to the key
 *   - a relationship without a key gets a stable id: a UUID-shaped hash of its
 *     endpoints, type, properties and how many identical ones came before it
 *     in this run, so re-runs find it again and parallel copies stay apart
 *   - values are written as json.dumps would (pyjson.h); other value types
 *     only with lossy=stringify (DateTime as isoformat(), the rest as their
 *     canonical text); lossy=drop leaves null-valued memory properties out
 *   - keys already in the store follow gm_open_opts.existing: upsert (above),
 *     skip (the stored row is kept, counted in b->skipped) or fail (GM_EDATA).
 *     "Already there" means there before this run: a row whose rowid is at
 *     most the largest rowid at open (upserts keep rowids, new rows get larger
 *     ones), so no per-key memory is needed
 *
 * Runs: MemoryGraph's schema has no place for a run id, and none is needed:
 * the run is one transaction, so a failed or interrupted run (kill -9
 * included) leaves nothing, and gmig migrate --resume starts it again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <xxhash.h>

#include "buf.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "mgmap.h"
#include "pyjson.h"
#include "sqlitestore.h"
#include "valtext.h"

/* ---- MemoryGraph 0.12.4's DDL, verbatim (sqlite_master keeps the text) ---- */

static const char *const ddl[] = {
	"\n                CREATE TABLE IF NOT EXISTS nodes (\n"
	"                    id TEXT PRIMARY KEY,\n"
	"                    label TEXT NOT NULL,\n"
	"                    properties TEXT NOT NULL,\n"
	"                    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
	"                    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP\n"
	"                )\n            ",
	"\n                CREATE TABLE IF NOT EXISTS relationships (\n"
	"                    id TEXT PRIMARY KEY,\n"
	"                    from_id TEXT NOT NULL,\n"
	"                    to_id TEXT NOT NULL,\n"
	"                    rel_type TEXT NOT NULL,\n"
	"                    properties TEXT NOT NULL,\n"
	"                    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
	"\n"
	"                    -- Bi-temporal tracking fields (Phase 2.2)\n"
	"                    valid_from TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"                    valid_until TIMESTAMP,\n"
	"                    recorded_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"                    invalidated_by TEXT,\n"
	"\n"
	"                    FOREIGN KEY (from_id) REFERENCES nodes(id) ON DELETE CASCADE,\n"
	"                    FOREIGN KEY (to_id) REFERENCES nodes(id) ON DELETE CASCADE,\n"
	"                    FOREIGN KEY (invalidated_by) REFERENCES relationships(id) ON DELETE "
	"SET NULL\n"
	"                )\n            ",
	"CREATE INDEX IF NOT EXISTS idx_nodes_label ON nodes(label)",
	"CREATE INDEX IF NOT EXISTS idx_nodes_created ON nodes(created_at)",
	"CREATE INDEX IF NOT EXISTS idx_rel_from ON relationships(from_id)",
	"CREATE INDEX IF NOT EXISTS idx_rel_to ON relationships(to_id)",
	"CREATE INDEX IF NOT EXISTS idx_rel_type ON relationships(rel_type)",
	"\n                CREATE INDEX IF NOT EXISTS idx_relationships_temporal\n"
	"                ON relationships(valid_from, valid_until)\n            ",
	"\n                CREATE INDEX IF NOT EXISTS idx_relationships_current\n"
	"                ON relationships(valid_until)\n"
	"                WHERE valid_until IS NULL\n            ",
	"\n                CREATE INDEX IF NOT EXISTS idx_relationships_recorded\n"
	"                ON relationships(recorded_at)\n            ",
	NULL};

/* FTS5 may be missing from a SQLite build: MemoryGraph then skips it too */
static const char ddl_fts[] =
	"\n                    CREATE VIRTUAL TABLE IF NOT EXISTS nodes_fts USING fts5(\n"
	"                        id,\n"
	"                        title,\n"
	"                        content,\n"
	"                        summary,\n"
	"                        content='nodes',\n"
	"                        content_rowid='rowid'\n"
	"                    )\n                ";

static const char ddl_memory_index[] =
	"CREATE INDEX IF NOT EXISTS idx_nodes_memory ON nodes(label) WHERE label = 'Memory'";

static const char q_nodes[] =
	"SELECT id, label, properties, created_at, updated_at FROM nodes ORDER BY rowid";
static const char q_rels[] = "SELECT id, from_id, to_id, rel_type, properties, created_at, "
			     "valid_from, valid_until, recorded_at, invalidated_by "
			     "FROM relationships ORDER BY rowid";

static const char q_upsert_node[] =
	"INSERT INTO nodes (id, label, properties, created_at, updated_at) "
	"VALUES (?1, ?2, ?3, CASE WHEN ?5 THEN ?4 ELSE CURRENT_TIMESTAMP END, "
	"CASE WHEN ?7 THEN ?6 ELSE CURRENT_TIMESTAMP END) "
	"ON CONFLICT(id) DO UPDATE SET label = excluded.label, properties = excluded.properties, "
	"created_at = CASE WHEN ?5 THEN ?4 ELSE nodes.created_at END, "
	"updated_at = CASE WHEN ?7 THEN ?6 ELSE CURRENT_TIMESTAMP END "
	"WHERE nodes.label IS NOT excluded.label OR nodes.properties IS NOT excluded.properties "
	"OR (?5 AND nodes.created_at IS NOT ?4) OR (?7 AND nodes.updated_at IS NOT ?6)";

static const char q_upsert_rel[] =
	"INSERT INTO relationships (id, from_id, to_id, rel_type, properties, created_at, "
	"valid_from, valid_until, recorded_at, invalidated_by) "
	"VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?7 THEN ?6 ELSE CURRENT_TIMESTAMP END, "
	"?8, ?9, ?10, ?11) "
	"ON CONFLICT(id) DO UPDATE SET from_id = excluded.from_id, to_id = excluded.to_id, "
	"rel_type = excluded.rel_type, properties = excluded.properties, "
	"created_at = CASE WHEN ?7 THEN ?6 ELSE relationships.created_at END, "
	"valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
	"recorded_at = excluded.recorded_at, invalidated_by = excluded.invalidated_by "
	"WHERE relationships.from_id IS NOT excluded.from_id "
	"OR relationships.to_id IS NOT excluded.to_id "
	"OR relationships.rel_type IS NOT excluded.rel_type "
	"OR relationships.properties IS NOT excluded.properties "
	"OR (?7 AND relationships.created_at IS NOT ?6) "
	"OR relationships.valid_from IS NOT excluded.valid_from "
	"OR relationships.valid_until IS NOT excluded.valid_until "
	"OR relationships.recorded_at IS NOT excluded.recorded_at "
	"OR relationships.invalidated_by IS NOT excluded.invalidated_by";

static const char q_old_node[] =
	"SELECT json_extract(properties, '$.created_at'), "
	"json_extract(properties, '$.updated_at') FROM nodes WHERE id = ?1";
static const char q_old_rel[] = "SELECT json_extract(properties, '$.created_at'), "
				"json_extract(properties, '$.last_validated'), valid_from, "
				"recorded_at FROM relationships WHERE id = ?1";

/* relationships.properties: RelationshipProperties.model_dump() + "id", in this order */
enum {
	RK_STRENGTH,
	RK_CONFIDENCE,
	RK_CONTEXT,
	RK_EVIDENCE,
	RK_SUCCESS,
	RK_CREATED,
	RK_VALIDATED,
	RK_VCOUNT,
	RK_CCOUNT,
	RK_VALID_FROM,
	RK_VALID_UNTIL,
	RK_RECORDED,
	RK_INVALIDATED_BY,
	RK_ID,
	RK__COUNT
};

static const char *const rel_keys[RK__COUNT] = {"strength",
						"confidence",
						"context",
						"evidence_count",
						"success_rate",
						"created_at",
						"last_validated",
						"validation_count",
						"counter_evidence_count",
						"valid_from",
						"valid_until",
						"recorded_at",
						"invalidated_by",
						"id"};

static const unsigned char rel_key_len[RK__COUNT] = {8,	 10, 7,	 14, 12, 10, 14,
						     16, 22, 10, 11, 11, 14, 2};

/* The index of a relationship JSON key in rel_keys, or -1. */
static int rel_key_index(struct gm_str k)
{
	int i = -1;

	/* the one candidate by length and first byte, then a compare */
	switch (k.len) {
	case 2: i = RK_ID; break;
	case 7: i = RK_CONTEXT; break;
	case 8: i = RK_STRENGTH; break;
	case 10:
		i = k.p[0] == 'v' ? RK_VALID_FROM : k.p[1] == 'o' ? RK_CONFIDENCE : RK_CREATED;
		break;
	case 11: i = k.p[0] == 'v' ? RK_VALID_UNTIL : RK_RECORDED; break;
	case 12: i = RK_SUCCESS; break;
	case 14:
		i = k.p[0] == 'e' ? RK_EVIDENCE : k.p[0] == 'l' ? RK_VALIDATED : RK_INVALIDATED_BY;
		break;
	case 16: i = RK_VCOUNT; break;
	case 22: i = RK_CCOUNT; break;
	default: return -1;
	}
	return !memcmp(rel_keys[i], k.p, k.len) ? i : -1;
}

/* the four keys that also have columns; their columns are authoritative */
static const int temporal[4] = {RK_VALID_FROM, RK_VALID_UNTIL, RK_RECORDED, RK_INVALIDATED_BY};

struct mg {
	struct gm_backend base;
	sqlite3 *db;
	char *path;
	int created;	/* this run made the file */
	int in_txn;	/* BEGIN was run */
	int committed;	/* COMMIT succeeded */
	int drop_nulls; /* lossy=drop: null-valued properties are left out */
	/* reading */
	sqlite3_stmt *qn, *qr;
	int phase; /* 0 nodes, 1 relationships, 2 done */
	uint64_t row;
	/* writing */
	sqlite3_stmt *un, *ur, *on, *orel, *kget, *kput;
	struct gm_buf json, tmp;
	struct gm_arena *scratch;
	/* the fast properties parser's scratch: entries of open containers, escaped strings */
	struct gm_prop *fstk;
	size_t fn, fcap;
	struct gm_buf fstr;
	char now[40];
	/* existing keys: the policy, and the largest rowids before the run */
	enum gm_existing existing;
	int64_t max_node_rowid, max_rel_rowid;
	sqlite3_stmt *ex_node, *ex_rel;
};

/* ---- small helpers ---- */

static int db_error(struct mg *m, int code, const char *what)
{
	return gm_error_set(code, "memorygraph '%s': %s: %s", m->path, what,
			    m->db ? sqlite3_errmsg(m->db) : "cannot open");
}

static int exec(struct mg *m, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(m->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		int code = rc == SQLITE_NOMEM ? GM_ENOMEM : GM_EIO;

		gm_error_set(code, "memorygraph '%s': %s", m->path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return code;
	}
	return 0;
}

static int prepare(struct mg *m, const char *sql, sqlite3_stmt **s)
{
	if (sqlite3_prepare_v2(m->db, sql, -1, s, NULL) != SQLITE_OK)
		return db_error(m, GM_EIO, "cannot prepare a statement");
	return 0;
}

static int str_is(struct gm_str s, const char *c)
{
	return s.len == strlen(c) && !memcmp(s.p, c, s.len);
}

/* Column set of a table: a bit per wanted name present. */
static unsigned columns_of(struct mg *m, const char *table, const char *const *want)
{
	char sql[96];
	sqlite3_stmt *s = NULL;
	unsigned bits = 0;

	snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(m->db, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);

		for (unsigned i = 0; name && want[i]; i++)
			if (!strcmp(name, want[i]))
				bits |= 1u << i;
	}
	sqlite3_finalize(s);
	return bits;
}

static const char *const node_cols[] = {"id",	      "label",	    "properties",
					"created_at", "updated_at", NULL};
static const char *const rel_cols[] = {"id",	      "from_id",	"to_id",      "rel_type",
				       "properties",  "created_at",	"valid_from", "valid_until",
				       "recorded_at", "invalidated_by", NULL};

static int table_exists(struct mg *m, const char *name)
{
	sqlite3_stmt *s = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(m->db,
			       "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1,
			       &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/*
 * 1: MemoryGraph's layout; 0: no tables at all (an empty database);
 * < 0: something else (error set).
 */
static int check_layout(struct mg *m)
{
	sqlite3_stmt *s = NULL;
	int ntables = 0, rc;

	rc = sqlite3_prepare_v2(m->db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ntables = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return gm_error_set(rc == SQLITE_NOTADB ? GM_EINVAL : GM_EIO,
				    "memorygraph '%s': not a SQLite database (%s)", m->path,
				    sqlite3_errmsg(m->db));
	if (!ntables)
		return 0;
	if (columns_of(m, "nodes", node_cols) == 0x1fu &&
	    columns_of(m, "relationships", rel_cols) == 0x3ffu)
		return 1;
	if (table_exists(m, "memories") > 0)
		return gm_error_set(GM_EINVAL,
				    "memorygraph '%s': this is the layout of MemoryGraph's "
				    "TypeScript port (table \"memories\"); the memorygraph backend "
				    "handles the Python layout (tables \"nodes\" and "
				    "\"relationships\")",
				    m->path);
	return gm_error_set(
		GM_EINVAL,
		"memorygraph '%s': not a MemoryGraph database (it needs table \"nodes\" "
		"with id, label, properties, created_at, updated_at and table "
		"\"relationships\" with its bi-temporal columns)",
		m->path);
}

/* ---- reading ---- */

static int col_value(sqlite3_stmt *s, int i, struct gm_arena *a, struct gm_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		v->type = GM_T_INT;
		v->u.i = sqlite3_column_int64(s, i);
		return 0;
	case SQLITE_FLOAT:
		v->type = GM_T_FLOAT;
		v->u.f = sqlite3_column_double(s, i);
		return 0;
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const void *p = sqlite3_column_type(s, i) == SQLITE_TEXT
					? (const void *)sqlite3_column_text(s, i)
					: sqlite3_column_blob(s, i);
		size_t n = (size_t)sqlite3_column_bytes(s, i);
		char *c;

		v->type = sqlite3_column_type(s, i) == SQLITE_TEXT ? GM_T_STRING : GM_T_BYTES;
		if (!(c = gm_arena_strdup(a, p ? p : "", n)))
			return GM_ENOMEM;
		v->u.s.p = c;
		v->u.s.len = n;
		return 0;
	}
	default: v->type = GM_T_NULL; return 0;
	}
}

static int col_str(sqlite3_stmt *s, int i, struct gm_arena *a, struct gm_str *out)
{
	const unsigned char *p = sqlite3_column_text(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);
	char *c;

	if (!p)
		return 1; /* NULL */
	if (!(c = gm_arena_strdup(a, (const char *)p, n)))
		return GM_ENOMEM;
	out->p = c;
	out->len = n;
	return 0;
}

/* A growing list of properties (on the stack until it outgrows it), copied into the arena. */
#define PL_LOCAL 48

struct plist {
	struct gm_prop *p;
	size_t n, cap;
	struct gm_prop local[PL_LOCAL];
};

static void pl_init(struct plist *l)
{
	l->p = l->local;
	l->n = 0;
	l->cap = PL_LOCAL;
}

static void pl_free(struct plist *l)
{
	if (l->p != l->local)
		gm_free(l->p);
}

static int pl_add(struct plist *l, struct gm_str key, const struct gm_value *v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap * 2;
		struct gm_prop *np;

		if (l->p == l->local) {
			if (!(np = gm_malloc(cap * sizeof(*np))))
				return GM_ENOMEM;
			memcpy(np, l->local, l->n * sizeof(*np));
		} else if (!(np = gm_realloc(l->p, cap * sizeof(*np)))) {
			return GM_ENOMEM;
		}
		l->p = np;
		l->cap = cap;
	}
	l->p[l->n].key = key;
	l->p[l->n].val = *v;
	l->n++;
	return 0;
}

static int pl_finish(struct plist *l, struct gm_arena *a, struct gm_record *rec)
{
	rec->nprops = l->n;
	rec->props = NULL;
	if (l->n) {
		if (!(rec->props = gm_arena_alloc(a, l->n * sizeof(*rec->props))))
			return GM_ENOMEM;
		memcpy(rec->props, l->p, l->n * sizeof(*rec->props));
	}
	return 0;
}

static int bad_row(struct mg *m, const char *what, uint64_t row, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

static int bad_row(struct mg *m, const char *what, uint64_t row, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gm_error_set(GM_EDATA, "invalid %s in memorygraph '%s' (row %" PRIu64 "): %s", what,
			    m->path, row, msg);
}

/* The value a relationship's JSON holds for a key (getter for rel_json). */
typedef const struct gm_value *(*rel_getter)(int k, void *ctx);

static int rel_json(struct gm_buf *b, rel_getter get, void *ctx, const struct gm_prop *extra,
		    size_t nextra, const char *const defaults[RK__COUNT]);

/* ctx: the values by key index (rel_slots) */
static const struct gm_value *get_slot(int k, void *ctx)
{
	return ((const struct gm_value **)ctx)[k];
}

/*
 * A fast path for the properties text, which MemoryGraph writes with Python's
 * json.dumps (ASCII only, ", " and ": "). It accepts a strict subset of what
 * gm__mg_parse_object accepts and gives the same values for it: every string,
 * number and literal is checked as that parser checks it, and anything else
 * (bytes >= 0x80, lone surrogates, numbers strtod would have to convert,
 * duplicate keys, deep nesting, any error) returns FP_BAIL, after which the
 * caller runs gm__mg_parse_object (which then also words the error).
 * The text is read in place; strings are copied into the arena.
 */
#define FP_BAIL 1
#define FP_MAX_DEPTH 64
#define FP_MAX_KEYS 64

struct fp {
	struct mg *m;
	const unsigned char *p, *e;
	struct gm_arena *a;
	int depth;
	int canon; /* 1 while the text is exactly json.dumps of what was read, 0 when unsure */
};

static void fp_ws(struct fp *f)
{
	while (f->p < f->e && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
		f->p++;
}

/* Skips whitespace; the text stays canonical when it was exactly want spaces (0 or 1). */
static void fp_sep(struct fp *f, int want)
{
	const unsigned char *s = f->p;

	fp_ws(f);
	if (f->p - s != want || (want && *s != ' '))
		f->canon = 0;
}

/* 1 when the 4 hex digits at q are lowercase, as json.dumps writes them */
static int fp_hex_lower(const unsigned char *q)
{
	for (int i = 0; i < 4; i++)
		if (q[i] >= 'A' && q[i] <= 'F')
			return 0;
	return 1;
}

static int fp_hex4(const unsigned char *q, long *cp)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = q[i];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + (long)c;
	}
	*cp = v;
	return 0;
}

#define FP_ONES 0x0101010101010101ull
#define FP_HIGHS 0x8080808080808080ull

/* The end of the run from q of bytes that a string holds as they are (ASCII, no '"', '\\'). */
static const unsigned char *fp_plain_run(const unsigned char *q, const unsigned char *e)
{
	while (e - q >= 8) {
		uint64_t x, a, b, d;

		memcpy(&x, q, 8);
		a = x ^ (FP_ONES * '"');
		b = x ^ (FP_ONES * '\\');
		d = x ^ (FP_ONES * 0x7f);
		if ((((a - FP_ONES) & ~a) | ((b - FP_ONES) & ~b) | ((d - FP_ONES) & ~d) |
		     ((x - FP_ONES * 0x20) & ~x) | x) &
		    FP_HIGHS)
			break;
		q += 8;
	}
	while (q < e && *q != '"' && *q != '\\' && *q >= 0x20 && *q < 0x7f)
		q++;
	return q;
}

/* f->p at the opening quote */
static int fp_string(struct fp *f, struct gm_str *out)
{
	const unsigned char *s = f->p + 1, *q = s, *e = f->e;
	struct gm_buf *b = &f->m->fstr;
	char *c;

	q = fp_plain_run(q, e);
	if (q < e && *q == '"') {
		if (!(c = gm_arena_strdup(f->a, (const char *)s, (size_t)(q - s))))
			return GM_ENOMEM;
		out->p = c;
		out->len = (size_t)(q - s);
		f->p = q + 1;
		return 0;
	}
	gm_buf_clear(b);
	for (;;) {
		unsigned char u[4];
		long cp, lo;
		size_t k;

		if (gm_buf_put(b, s, (size_t)(q - s)) < 0)
			return GM_ENOMEM;
		if (q < e && *q == 0x7f) { /* json.dumps escapes DEL */
			f->canon = 0;
			if (gm_buf_putc(b, 0x7f) < 0)
				return GM_ENOMEM;
			s = ++q;
			q = fp_plain_run(q, e);
			continue;
		}
		if (q >= e || *q != '\\')
			break;
		if (e - q < 2)
			return FP_BAIL;
		switch (q[1]) {
		case '"': u[0] = '"'; break;
		case '\\': u[0] = '\\'; break;
		case '/':
			u[0] = '/';
			f->canon = 0;
			break;
		case 'b': u[0] = '\b'; break;
		case 'f': u[0] = '\f'; break;
		case 'n': u[0] = '\n'; break;
		case 'r': u[0] = '\r'; break;
		case 't': u[0] = '\t'; break;
		case 'u': break;
		default: return FP_BAIL;
		}
		if (q[1] != 'u') {
			if (gm_buf_putc(b, (char)u[0]) < 0)
				return GM_ENOMEM;
			q += 2;
		} else {
			if (e - q < 6 || fp_hex4(q + 2, &cp) < 0 || (cp >= 0xdc00 && cp <= 0xdfff))
				return FP_BAIL;
			/* json.dumps uses \\u only where no short escape or plain byte does */
			if (!fp_hex_lower(q + 2) || (cp >= 0x20 && cp < 0x7f) || cp == '\b' ||
			    cp == '\f' || cp == '\n' || cp == '\r' || cp == '\t')
				f->canon = 0;
			q += 6;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (e - q < 6 || q[0] != '\\' || q[1] != 'u' ||
				    fp_hex4(q + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return FP_BAIL;
				if (!fp_hex_lower(q + 2))
					f->canon = 0;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			}
			if (cp < 0x80) {
				u[0] = (unsigned char)cp;
				k = 1;
			} else if (cp < 0x800) {
				u[0] = (unsigned char)(0xc0 | (cp >> 6));
				u[1] = (unsigned char)(0x80 | (cp & 0x3f));
				k = 2;
			} else if (cp < 0x10000) {
				u[0] = (unsigned char)(0xe0 | (cp >> 12));
				u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				u[2] = (unsigned char)(0x80 | (cp & 0x3f));
				k = 3;
			} else {
				u[0] = (unsigned char)(0xf0 | (cp >> 18));
				u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
				u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
				u[3] = (unsigned char)(0x80 | (cp & 0x3f));
				k = 4;
			}
			if (gm_buf_put(b, u, k) < 0)
				return GM_ENOMEM;
		}
		s = q;
		q = fp_plain_run(q, e);
	}
	if (q >= e || *q != '"')
		return FP_BAIL;
	if (!(c = gm_arena_strdup(f->a, b->p ? b->p : "", b->len)))
		return GM_ENOMEM;
	out->p = c;
	out->len = b->len;
	f->p = q + 1;
	return 0;
}

static int fp_isnum(unsigned c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/*
 * 1 when the float text s..e (already checked against the JSON grammar) is
 * exactly repr() of its value: fixed notation in repr's range (decimal exponent
 * -4 < x <= 16), no redundant zeros and at most 15 significant digits, so that
 * no other decimal of as many digits or fewer reads back to the same double
 * (DBL_DIG), i.e. these are the shortest round-trip digits. 0 when unsure.
 */
static int fp_float_is_repr(const unsigned char *s, const unsigned char *e)
{
	const unsigned char *ip = s + (*s == '-'), *dot = ip, *fr;
	size_t il, fl, z = 0, sig;

	while (dot < e && *dot >= '0' && *dot <= '9')
		dot++;
	if (dot == e || *dot != '.')
		return 0;
	fr = dot + 1;
	il = (size_t)(dot - ip);
	fl = (size_t)(e - fr);
	for (const unsigned char *q = fr; q < e; q++)
		if (*q == 'e' || *q == 'E')
			return 0;
	if (*ip == '0') {
		while (z < fl && fr[z] == '0')
			z++;
		if (z == fl || z > 3 || e[-1] == '0')
			return 0;
		sig = fl - z;
	} else if (fl == 1 && *fr == '0') {
		if (il > 16)
			return 0;
		sig = il;
		while (sig > 1 && ip[sig - 1] == '0')
			sig--;
	} else {
		if (e[-1] == '0')
			return 0;
		sig = il + fl;
	}
	return sig <= 15;
}

static int fp_number(struct fp *f, struct gm_value *v)
{
	const unsigned char *s = f->p, *q = s, *e;
	int is_int = 1;

	while (q < f->e && fp_isnum(*q))
		q++;
	e = q;
	/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and nothing else */
	q = s;
	if (q < e && *q == '-')
		q++;
	if (q == e || *q < '0' || *q > '9')
		return FP_BAIL;
	if (*q == '0') {
		q++;
	} else {
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < e && *q == '.') {
		is_int = 0;
		if (++q == e || *q < '0' || *q > '9')
			return FP_BAIL;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < e && (*q == 'e' || *q == 'E')) {
		is_int = 0;
		if (++q < e && (*q == '+' || *q == '-'))
			q++;
		if (q == e || *q < '0' || *q > '9')
			return FP_BAIL;
		while (q < e && *q >= '0' && *q <= '9')
			q++;
	}
	if (q != e)
		return FP_BAIL;
	f->p = e;
	if (is_int) {
		int neg = *s == '-';
		uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

		for (q = s + neg; q < e; q++) {
			unsigned d = (unsigned)(*q - '0');

			if (x > (lim - d) / 10)
				return FP_BAIL;
			x = x * 10 + d;
		}
		v->type = GM_T_INT;
		v->u.i = neg ? (int64_t)(0 - x) : (int64_t)x;
		if (neg && !x)
			f->canon = 0; /* -0 */
		return 0;
	}
	if (f->canon && !fp_float_is_repr(s, e))
		f->canon = 0;
	v->type = GM_T_FLOAT;
	return gm__dec_parse((const char *)s, (size_t)(e - s), &v->u.f) < 0 ? FP_BAIL : 0;
}

static int fp_push(struct mg *m, const struct gm_str *key, const struct gm_value *v)
{
	if (m->fn == m->fcap) {
		size_t cap = m->fcap ? m->fcap * 2 : 64;
		struct gm_prop *np = gm_realloc(m->fstk, cap * sizeof(*np));

		if (!np)
			return GM_ENOMEM;
		m->fstk = np;
		m->fcap = cap;
	}
	if (key)
		m->fstk[m->fn].key = *key;
	m->fstk[m->fn++].val = *v;
	return 0;
}

static int fp_value(struct fp *f, struct gm_value *v);

/* f->p at '[' or '{' */
static int fp_container(struct fp *f, struct gm_value *v)
{
	struct mg *m = f->m;
	size_t base = m->fn, n;
	int obj = *f->p == '{', error;
	unsigned char close = obj ? '}' : ']';

	if (++f->depth > FP_MAX_DEPTH)
		return FP_BAIL;
	f->p++;
	fp_sep(f, 0);
	if (f->p < f->e && *f->p == close) {
		f->p++;
	} else {
		for (;;) {
			struct gm_str key;
			struct gm_value x;

			if (obj) {
				if (f->p >= f->e || *f->p != '"')
					return FP_BAIL;
				if ((error = fp_string(f, &key)) != 0)
					return error;
				fp_sep(f, 0);
				if (f->p >= f->e || *f->p != ':')
					return FP_BAIL;
				f->p++;
				fp_sep(f, 1);
			}
			if ((error = fp_value(f, &x)) != 0 ||
			    (error = fp_push(m, obj ? &key : NULL, &x)) < 0)
				return error;
			fp_sep(f, 0);
			if (f->p < f->e && *f->p == ',') {
				f->p++;
				fp_sep(f, 1);
				continue;
			}
			if (f->p < f->e && *f->p == close) {
				f->p++;
				break;
			}
			return FP_BAIL;
		}
	}
	f->depth--;
	n = m->fn - base;
	if (obj) {
		if (n > FP_MAX_KEYS)
			return FP_BAIL;
		for (size_t i = base + 1; i < m->fn; i++)
			for (size_t j = base; j < i; j++)
				if (m->fstk[i].key.len == m->fstk[j].key.len &&
				    (!m->fstk[i].key.len ||
				     (m->fstk[i].key.p[0] == m->fstk[j].key.p[0] &&
				      m->fstk[i].key.p[m->fstk[i].key.len - 1] ==
					      m->fstk[j].key.p[m->fstk[i].key.len - 1] &&
				      !memcmp(m->fstk[i].key.p, m->fstk[j].key.p,
					      m->fstk[i].key.len))))
					return FP_BAIL;
		v->type = GM_T_MAP;
		v->u.map.n = n;
		v->u.map.p = NULL;
		if (n) {
			if (!(v->u.map.p = gm_arena_alloc(f->a, n * sizeof(struct gm_prop))))
				return GM_ENOMEM;
			memcpy(v->u.map.p, m->fstk + base, n * sizeof(struct gm_prop));
		}
	} else {
		v->type = GM_T_LIST;
		v->u.list.n = n;
		v->u.list.v = NULL;
		if (n) {
			if (!(v->u.list.v = gm_arena_alloc(f->a, n * sizeof(struct gm_value))))
				return GM_ENOMEM;
			for (size_t i = 0; i < n; i++)
				v->u.list.v[i] = m->fstk[base + i].val;
		}
	}
	m->fn = base;
	return 0;
}

static int fp_lit(struct fp *f, const char *lit, size_t n)
{
	if ((size_t)(f->e - f->p) < n || memcmp(f->p, lit, n))
		return FP_BAIL;
	f->p += n;
	return 0;
}

static int fp_value(struct fp *f, struct gm_value *v)
{
	fp_ws(f);
	if (f->p >= f->e)
		return FP_BAIL;
	switch (*f->p) {
	case '"': v->type = GM_T_STRING; return fp_string(f, &v->u.s);
	case '{':
	case '[': return fp_container(f, v);
	case 't':
		v->type = GM_T_BOOL;
		v->u.b = 1;
		return fp_lit(f, "true", 4);
	case 'f':
		v->type = GM_T_BOOL;
		v->u.b = 0;
		return fp_lit(f, "false", 5);
	case 'n': v->type = GM_T_NULL; return fp_lit(f, "null", 4);
	default:
		if (*f->p == '-' || (*f->p >= '0' && *f->p <= '9'))
			return fp_number(f, v);
		return FP_BAIL;
	}
}

/*
 * gm__mg_parse_object's contract; the fast path first. *canon: 1 when the text
 * is exactly json.dumps of the members read, in the text's order (nulls
 * included); -1 when the fast path read it but dropped null members, so that
 * no rendering of *out can be the text; 0 when unknown (the general parser
 * read it, or the fast path saw a spelling it does not judge).
 */
static int parse_props(struct mg *m, const char *text, size_t len, struct gm_arena *a,
		       int keep_nulls, struct gm_prop **out, size_t *n, int *canon)
{
	struct fp f = {m, (const unsigned char *)text, (const unsigned char *)text + len, a, 0, 1};
	struct gm_value v;
	int error;

	m->fn = 0;
	*canon = 0;
	fp_sep(&f, 0);
	if (f.p < f.e && *f.p == '{') {
		error = fp_container(&f, &v);
		if (error < 0)
			return error;
		fp_sep(&f, 0);
		if (!error && f.p == f.e) {
			size_t k = 0;

			*out = v.u.map.p;
			*n = v.u.map.n;
			if (!keep_nulls) {
				for (size_t i = 0; i < v.u.map.n; i++)
					if (v.u.map.p[i].val.type != GM_T_NULL)
						v.u.map.p[k++] = v.u.map.p[i];
				*n = k;
			}
			*canon = *n != v.u.map.n ? -1 : f.canon;
			return 0;
		}
	}
	return gm__mg_parse_object(text, len, a, keep_nulls, out, n);
}

static int mg_read_node(struct mg *m, struct gm_record *rec, struct gm_arena *a)
{
	struct plist l;
	struct gm_prop *jp = NULL;
	size_t njp = 0;
	struct gm_value v;
	struct gm_str text = {0};
	int error, parsed, canon = 0, raw;

	rec->kind = GM_NODE;
	pl_init(&l);
	if ((error = col_str(m->qn, 0, a, &rec->key)) != 0)
		return error < 0 ? error : bad_row(m, "node", m->row, "id is NULL");
	if (!(rec->labels = gm_arena_alloc(a, sizeof(*rec->labels))))
		return GM_ENOMEM;
	if ((error = col_str(m->qn, 1, a, &rec->labels[0])) != 0)
		return error < 0 ? error : bad_row(m, "node", m->row, "label is NULL");
	rec->nlabels = 1;
	text.p = (const char *)sqlite3_column_text(m->qn, 2);
	text.len = (size_t)sqlite3_column_bytes(m->qn, 2);
	error = text.p ? 0 : 1;
	parsed = error == 0 && parse_props(m, text.p, text.len, a, 0, &jp, &njp, &canon) == 0;
	gm_error_clear();
	for (size_t i = 0; parsed && i < njp; i++)
		if ((error = pl_add(&l, jp[i].key, &jp[i].val)) < 0)
			goto done;
	if (parsed && canon) {
		/* the rendering is the text when the text's key order is the rendering's */
		raw = canon < 0 || !gm__mg_memory_order(jp, njp);
	} else {
		gm_buf_clear(&m->json);
		if (parsed && (error = gm__mg_memory_json(&m->json, jp, njp)) < 0 &&
		    error != GM_EDATA)
			goto done;
		raw = !parsed || error < 0 || m->json.len != text.len ||
		      memcmp(m->json.p, text.p, text.len);
	}
	if (raw) {
		if (sqlite3_column_type(m->qn, 2) == SQLITE_NULL)
			v.type = GM_T_NULL;
		else if ((error = col_str(m->qn, 2, a, &text)) < 0)
			goto done;
		else
			v = (struct gm_value){.type = GM_T_STRING, .u.s = text};
		if ((error = pl_add(&l, gm_str_c("_mg_json"), &v)) < 0)
			goto done;
	}
	gm_error_clear();
	if ((error = col_value(m->qn, 3, a, &v)) < 0 ||
	    (error = pl_add(&l, gm_str_c("_mg_created_at"), &v)) < 0 ||
	    (error = col_value(m->qn, 4, a, &v)) < 0 ||
	    (error = pl_add(&l, gm_str_c("_mg_updated_at"), &v)) < 0)
		goto done;
	gm__mg_memory_sort(l.p, l.n); /* so that canonicalizing finds them in order */
	error = pl_finish(&l, a, rec);
done:
	pl_free(&l);
	return error;
}

static const char *const carrier_json_key[RK__COUNT] = {
	[RK_VALID_FROM] = "_mg_json_valid_from",
	[RK_VALID_UNTIL] = "_mg_json_valid_until",
	[RK_RECORDED] = "_mg_json_recorded_at",
	[RK_INVALIDATED_BY] = "_mg_json_invalidated_by",
};

static int mg_read_rel(struct mg *m, struct gm_record *rec, struct gm_arena *a)
{
	struct plist l;
	const struct gm_value *slot[RK__COUNT] = {0};
	struct gm_prop *jp = NULL;
	size_t njp = 0;
	struct gm_value v, *nulls = NULL;
	struct gm_str text = {0};
	size_t nnulls = 0;
	int error, parsed, raw = 0, canon = 0;

	rec->kind = GM_REL;
	pl_init(&l);
	if ((error = col_str(m->qr, 0, a, &rec->key)) != 0)
		return error < 0 ? error : bad_row(m, "relationship", m->row, "id is NULL");
	if ((error = col_str(m->qr, 1, a, &rec->from)) != 0)
		return error < 0 ? error : bad_row(m, "relationship", m->row, "from_id is NULL");
	if ((error = col_str(m->qr, 2, a, &rec->to)) != 0)
		return error < 0 ? error : bad_row(m, "relationship", m->row, "to_id is NULL");
	if ((error = col_str(m->qr, 3, a, &rec->type)) != 0)
		return error < 0 ? error : bad_row(m, "relationship", m->row, "rel_type is NULL");
	text.p = (const char *)sqlite3_column_text(m->qr, 4);
	text.len = (size_t)sqlite3_column_bytes(m->qr, 4);
	error = text.p ? 0 : 1;
	parsed = error == 0 && parse_props(m, text.p, text.len, a, 1, &jp, &njp, &canon) == 0;
	gm_error_clear();
	if (!parsed)
		njp = 0;
	for (size_t i = 0; i < njp; i++) {
		int k = rel_key_index(jp[i].key);

		if (k >= 0 && !slot[k])
			slot[k] = &jp[i].val;
	}
	/* the text is reproducible when all 14 keys are there and render the same */
	if (parsed && canon) {
		/* it does when the text has the rendering's key order: the 14, then others */
		raw = njp < RK__COUNT;
		for (size_t i = 0; !raw && i < njp; i++)
			raw = i < RK__COUNT
				      ? jp[i].key.len != rel_key_len[i] ||
						memcmp(jp[i].key.p, rel_keys[i], rel_key_len[i])
				      : gm__mg_is_carrier(jp[i].key);
	} else if (parsed) {
		const char *none[RK__COUNT] = {0};
		int all = 1;

		for (int k = 0; k < RK__COUNT; k++)
			all &= slot[k] != NULL;
		gm_buf_clear(&m->json);
		error = all ? rel_json(&m->json, get_slot, slot, jp, njp, none) : GM_EDATA;
		if (error < 0 && error != GM_EDATA)
			goto done;
		raw = error < 0 || m->json.len != text.len || memcmp(m->json.p, text.p, text.len);
		gm_error_clear();
	} else {
		raw = 1;
	}
	/* the JSON's members, but the temporal ones come from the columns */
	for (size_t i = 0; i < njp; i++) {
		int k = rel_key_index(jp[i].key);
		int is_temporal = k == RK_VALID_FROM || k == RK_VALID_UNTIL || k == RK_RECORDED ||
				  k == RK_INVALIDATED_BY;

		if (!is_temporal && jp[i].val.type != GM_T_NULL &&
		    (error = pl_add(&l, jp[i].key, &jp[i].val)) < 0)
			goto done;
	}
	for (int t = 0; t < 4; t++) {
		int k = temporal[t];
		const struct gm_value *jv = slot[k];

		if ((error = col_value(m->qr, 6 + t, a, &v)) < 0)
			goto done;
		if (v.type != GM_T_NULL && (error = pl_add(&l, gm_str_c(rel_keys[k]), &v)) < 0)
			goto done;
		if (raw || (jv && gm_value_equal(jv, &v)) || (!jv && v.type == GM_T_NULL))
			continue;
		if (!jv || jv->type == GM_T_NULL) {
			struct gm_value *nn = gm_arena_alloc(a, (nnulls + 1) * sizeof(*nn));

			if (!nn) {
				error = GM_ENOMEM;
				goto done;
			}
			if (nnulls)
				memcpy(nn, nulls, nnulls * sizeof(*nn));
			nn[nnulls].type = GM_T_STRING;
			nn[nnulls].u.s = gm_str_c(rel_keys[k]);
			nulls = nn;
			nnulls++;
		} else if ((error = pl_add(&l, gm_str_c(carrier_json_key[k]), jv)) < 0) {
			goto done;
		}
	}
	if (nnulls) {
		v.type = GM_T_LIST;
		v.u.list.v = nulls;
		v.u.list.n = nnulls;
		if ((error = pl_add(&l, gm_str_c("_mg_json_nulls"), &v)) < 0)
			goto done;
	}
	if (raw) {
		if (sqlite3_column_type(m->qr, 4) == SQLITE_NULL)
			v.type = GM_T_NULL;
		else if ((error = col_str(m->qr, 4, a, &text)) < 0)
			goto done;
		else
			v = (struct gm_value){.type = GM_T_STRING, .u.s = text};
		if ((error = pl_add(&l, gm_str_c("_mg_json"), &v)) < 0)
			goto done;
	}
	if ((error = col_value(m->qr, 5, a, &v)) < 0 ||
	    (error = pl_add(&l, gm_str_c("_mg_created_at"), &v)) < 0)
		goto done;
	error = pl_finish(&l, a, rec);
done:
	pl_free(&l);
	return error;
}

static int mg_read_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct mg *m = (struct mg *)b;
	int rc;

	for (;;) {
		sqlite3_stmt *s = m->phase == 0 ? m->qn : m->phase == 1 ? m->qr : NULL;

		if (!s)
			return GM_ITEROVER;
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			m->phase++;
			m->row = 0;
			continue;
		}
		if (rc != SQLITE_ROW)
			return db_error(m, GM_EIO, "cannot read");
		m->row++;
		b->progress_done++;
		memset(rec, 0, sizeof(*rec));
		rec->line = m->row;
		return m->phase == 0 ? mg_read_node(m, rec, a) : mg_read_rel(m, rec, a);
	}
}

static int mg_count(struct gm_backend *b, uint64_t *nodes, uint64_t *rels)
{
	struct mg *m = (struct mg *)b;
	sqlite3_stmt *s = NULL;
	int error = 0;

	if (prepare(m, "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM relationships)",
		    &s) < 0)
		return GM_EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*nodes = (uint64_t)sqlite3_column_int64(s, 0);
		*rels = (uint64_t)sqlite3_column_int64(s, 1);
	} else {
		error = db_error(m, GM_EIO, "cannot count");
	}
	sqlite3_finalize(s);
	return error;
}

/* ---- writing ---- */

static int bind_value(struct mg *m, sqlite3_stmt *s, int i, const struct gm_value *v)
{
	int rc, error;

	switch (v ? v->type : GM_T_NULL) {
	case GM_T_NULL: rc = sqlite3_bind_null(s, i); break;
	case GM_T_BOOL: rc = sqlite3_bind_int(s, i, v->u.b); break;
	case GM_T_INT: rc = sqlite3_bind_int64(s, i, v->u.i); break;
	case GM_T_FLOAT: rc = sqlite3_bind_double(s, i, v->u.f); break;
	case GM_T_STRING:
		rc = sqlite3_bind_text64(s, i, v->u.s.p ? v->u.s.p : "", v->u.s.len,
					 SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case GM_T_BYTES:
		rc = sqlite3_bind_blob64(s, i, v->u.s.p ? v->u.s.p : "", v->u.s.len,
					 SQLITE_TRANSIENT);
		break;
	default: {
		/* the text json.dumps would hold for it, without the quotes' escaping */
		gm_buf_clear(&m->tmp);
		if (v->type == GM_T_DATETIME && v->u.t.has_offset && !v->u.t.zone.len)
			error = gm_pyjson_isoformat(&m->tmp, &v->u.t);
		else if (v->type == GM_T_LIST || v->type == GM_T_MAP || v->type == GM_T_VECTOR)
			error = gm_pyjson_value(&m->tmp, v, -1, 0);
		else
			error = gm_value_format_text(&m->tmp, v);
		if (error < 0)
			return error;
		rc = sqlite3_bind_text64(s, i, m->tmp.p ? m->tmp.p : "", m->tmp.len,
					 SQLITE_TRANSIENT, SQLITE_UTF8);
	}
	}
	return rc == SQLITE_OK ? 0 : db_error(m, GM_EIO, "cannot bind a value");
}

static int bind_str(struct mg *m, sqlite3_stmt *s, int i, struct gm_str v)
{
	struct gm_value x = {.type = GM_T_STRING, .u.s = v};

	return bind_value(m, s, i, &x);
}

static int step_done(struct mg *m, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return db_error(m, rc == SQLITE_FULL ? GM_EIO : GM_EIO, "cannot write");
}

/* Value equality that does not depend on map order (both sides canonicalised). */
static int props_match(const struct gm_prop *a, size_t na, const struct gm_prop *b, size_t nb,
		       int skip_temporal)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < na &&
		       (gm__mg_is_carrier(a[i].key) ||
			(skip_temporal &&
			 (str_is(a[i].key, "valid_from") || str_is(a[i].key, "valid_until") ||
			  str_is(a[i].key, "recorded_at") || str_is(a[i].key, "invalidated_by")))))
			i++;
		while (j < nb &&
		       (gm__mg_is_carrier(b[j].key) ||
			(skip_temporal &&
			 (str_is(b[j].key, "valid_from") || str_is(b[j].key, "valid_until") ||
			  str_is(b[j].key, "recorded_at") || str_is(b[j].key, "invalidated_by")))))
			j++;
		if (i == na || j == nb)
			return i == na && j == nb;
		if (!gm_str_eq(a[i].key, b[j].key) || !gm_value_equal(&a[i].val, &b[j].val))
			return 0;
		i++;
		j++;
	}
}

/*
 * 1 when the record carries _mg_json and its other properties are still what
 * the reader made of that text (so the text may be written verbatim).
 */
static int raw_json_usable(struct mg *m, const struct gm_record *r, const struct gm_value *raw,
			   int is_rel)
{
	struct gm_record tmp = {0};
	struct gm_prop *jp = NULL;
	size_t njp = 0;
	int ok;

	if (!raw || raw->type != GM_T_STRING)
		return 0;
	gm_arena_reset(m->scratch);
	if (gm__mg_parse_object(raw->u.s.p, raw->u.s.len, m->scratch, 0, &jp, &njp) < 0)
		njp = 0;
	gm_error_clear();
	tmp.kind = GM_NODE;
	tmp.props = jp;
	tmp.nprops = njp;
	if (gm_record_canonicalize(&tmp) < 0) {
		gm_error_clear();
		return 0;
	}
	ok = props_match(r->props, r->nprops, tmp.props, tmp.nprops, is_rel);
	return ok;
}

static const struct gm_value *rprop(const struct gm_record *r, const char *key)
{
	return gm__mg_prop(r->props, r->nprops, key);
}

/*
 * --skip-duplicates / --fail-on-existing: 1 when the row with key was there
 * before the run and is to be kept as it is, 0 to write it, or < 0.
 */
static int kept_existing(struct mg *m, const struct gm_record *r, struct gm_str key)
{
	int is_node = r->kind == GM_NODE;
	sqlite3_stmt *st = is_node ? m->ex_node : m->ex_rel;
	int64_t rowid = -1;
	int rc;

	if (m->existing == GM_EXISTING_UPSERT)
		return 0;
	sqlite3_bind_text64(st, 1, key.p, key.len, SQLITE_STATIC, SQLITE_UTF8);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rowid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(m, GM_EIO, "cannot look up a key");
	if (rowid < 0 || rowid > (is_node ? m->max_node_rowid : m->max_rel_rowid))
		return 0;
	if (m->existing == GM_EXISTING_FAIL)
		return gm_error_set(
			GM_EDATA,
			"invalid %s \"%.*s\" for memorygraph '%s': its id is already in "
			"the store (--fail-on-existing)",
			is_node ? "node" : "relationship", (int)key.len, key.p, m->path);
	m->base.skipped++;
	return 1;
}

static int mg_write_node(struct mg *m, const struct gm_record *r)
{
	const struct gm_value *raw = rprop(r, "_mg_json"), *ca = rprop(r, "_mg_created_at"),
			      *ua = rprop(r, "_mg_updated_at"), *v;
	struct gm_str key = r->key;
	int error, is_memory;

	if (!key.p)
		return gm_error_set(GM_EDATA, "invalid node for memorygraph '%s': it has no key",
				    m->path);
	if (r->nlabels != 1)
		return gm_error_set(GM_EDATA,
				    "invalid node \"%.*s\" for memorygraph '%s': MemoryGraph keeps "
				    "exactly one label per node (this one has %zu)",
				    (int)key.len, key.p, m->path, r->nlabels);
	if ((error = kept_existing(m, r, key)) != 0)
		return error < 0 ? error : 0;
	is_memory = str_is(r->labels[0], "Memory");
	gm_buf_clear(&m->json);
	if (raw_json_usable(m, r, raw, 0)) {
		if ((error = gm_buf_put(&m->json, raw->u.s.p, raw->u.s.len)) < 0)
			return error;
	} else {
		struct gm_prop *p;
		size_t n = 0;
		char olds[2][64] = {{0}};

		if (is_memory) {
			const char *need = NULL;

			if (!(v = rprop(r, "type")) || v->type != GM_T_STRING ||
			    !gm__mg_is_memory_type(v->u.s))
				need = "a \"type\" that is a MemoryGraph memory type (task, "
				       "code_pattern, problem, solution, project, technology, "
				       "error, fix, command, file_context, workflow, general, "
				       "conversation)";
			else if (!(v = rprop(r, "title")) || v->type != GM_T_STRING || !v->u.s.len)
				need = "a string \"title\"";
			else if (!(v = rprop(r, "content")) || v->type != GM_T_STRING ||
				 !v->u.s.len)
				need = "a string \"content\"";
			if (need)
				return gm_error_set(
					GM_EDATA,
					"invalid node \"%.*s\" for memorygraph '%s': a "
					"Memory needs %s; MemoryGraph ignores it otherwise",
					(int)key.len, key.p, m->path, need);
		}
		gm_arena_reset(m->scratch);
		if (!(p = gm_arena_alloc(m->scratch, (r->nprops + 3) * sizeof(*p))))
			return GM_ENOMEM;
		for (size_t i = 0; i < r->nprops; i++)
			if (!gm__mg_is_carrier(r->props[i].key) &&
			    !(m->drop_nulls && r->props[i].val.type == GM_T_NULL))
				p[n++] = r->props[i];
		if (is_memory) {
			int need_id = !rprop(r, "id");
			int need_c = !rprop(r, "created_at"), need_u = !rprop(r, "updated_at");

			if (need_c || need_u) {
				/* defaults: the existing row's values, else the run's start */
				snprintf(olds[0], sizeof(olds[0]), "%s", m->now);
				snprintf(olds[1], sizeof(olds[1]), "%s", m->now);
				if ((error = bind_str(m, m->on, 1, key)) < 0)
					return error;
				if (sqlite3_step(m->on) == SQLITE_ROW)
					for (int c = 0; c < 2; c++)
						if (sqlite3_column_type(m->on, c) == SQLITE_TEXT)
							snprintf(olds[c], sizeof(olds[c]), "%s",
								 (const char *)sqlite3_column_text(
									 m->on, c));
				sqlite3_reset(m->on);
				sqlite3_clear_bindings(m->on);
			}
			if (need_id)
				p[n++] = (struct gm_prop){gm_str_c("id"),
							  {.type = GM_T_STRING, .u.s = key}};
			if (need_c)
				p[n++] = (struct gm_prop){
					gm_str_c("created_at"),
					{.type = GM_T_STRING, .u.s = gm_str_c(olds[0])}};
			if (need_u)
				p[n++] = (struct gm_prop){
					gm_str_c("updated_at"),
					{.type = GM_T_STRING, .u.s = gm_str_c(olds[1])}};
		}
		if ((error = gm__mg_memory_json(&m->json, p, n)) < 0) {
			if (error == GM_EDATA)
				return gm_error_set(
					GM_EDATA, "invalid node \"%.*s\" for memorygraph '%s': %s",
					(int)key.len, key.p, m->path, gm_error_last());
			return error;
		}
	}
	if ((error = bind_str(m, m->un, 1, key)) < 0 ||
	    (error = bind_str(m, m->un, 2, r->labels[0])) < 0 ||
	    (error = bind_str(m, m->un, 3, (struct gm_str){m->json.p, m->json.len})) < 0 ||
	    (error = bind_value(m, m->un, 4, ca)) < 0 ||
	    sqlite3_bind_int(m->un, 5, ca != NULL) != SQLITE_OK ||
	    (error = bind_value(m, m->un, 6, ua)) < 0 ||
	    sqlite3_bind_int(m->un, 7, ua != NULL) != SQLITE_OK)
		return error < 0 ? error : db_error(m, GM_EIO, "cannot bind");
	return step_done(m, m->un);
}

static const char *const rel_defaults_base[RK__COUNT] = {
	[RK_STRENGTH] = "0.5", [RK_CONFIDENCE] = "0.8", [RK_EVIDENCE] = "1",
	[RK_VCOUNT] = "0",     [RK_CCOUNT] = "0",
};

/*
 * Renders the 14 keys (get(k) or, when absent, defaults[k] as literal JSON
 * text, else null), then the extra properties that are not among them.
 */
static int rel_json(struct gm_buf *b, rel_getter get, void *ctx, const struct gm_prop *extra,
		    size_t nextra, const char *const defaults[RK__COUNT])
{
	int error;

	if ((error = gm_buf_putc(b, '{')) < 0)
		return error;
	for (int k = 0; k < RK__COUNT; k++) {
		const struct gm_value *v = get(k, ctx);

		if (k && (error = gm_buf_put(b, ", ", 2)) < 0)
			return error;
		if ((error = gm_pyjson_string(b, rel_keys[k], rel_key_len[k])) < 0 ||
		    (error = gm_buf_put(b, ": ", 2)) < 0)
			return error;
		if (v)
			error = gm_pyjson_value(b, v, -1, 0);
		else if (defaults[k])
			error = gm_buf_puts(b, defaults[k]);
		else
			error = gm_buf_puts(b, "null");
		if (error < 0)
			return error;
	}
	for (size_t i = 0; i < nextra; i++) {
		if (gm__mg_is_carrier(extra[i].key) || rel_key_index(extra[i].key) >= 0)
			continue;
		if ((error = gm_buf_put(b, ", ", 2)) < 0 ||
		    (error = gm_pyjson_string(b, extra[i].key.p, extra[i].key.len)) < 0 ||
		    (error = gm_buf_put(b, ": ", 2)) < 0 ||
		    (error = gm_pyjson_value(b, &extra[i].val, -1, 0)) < 0)
			return error;
	}
	return gm_buf_putc(b, '}');
}

struct rel_src {
	const struct gm_record *r;
	const struct gm_value *id;
	struct gm_value null;
};

/* What the JSON holds for key k: carriers first, then the record's property. */
static const struct gm_value *get_record(int k, void *ctx)
{
	struct rel_src *s = ctx;
	const struct gm_value *v;

	if (carrier_json_key[k] && (v = rprop(s->r, carrier_json_key[k])))
		return v;
	if (carrier_json_key[k] && (v = rprop(s->r, "_mg_json_nulls")) && v->type == GM_T_LIST)
		for (size_t i = 0; i < v->u.list.n; i++)
			if (v->u.list.v[i].type == GM_T_STRING &&
			    str_is(v->u.list.v[i].u.s, rel_keys[k]))
				return &s->null;
	if (k == RK_ID && !rprop(s->r, "id"))
		return s->id;
	return rprop(s->r, rel_keys[k]);
}

static void put_uuid(char out[37], XXH128_hash_t h)
{
	static const char hx[] = "0123456789abcdef";
	unsigned char by[16];
	size_t o = 0;

	for (int i = 0; i < 8; i++) {
		by[i] = (unsigned char)(h.high64 >> (56 - 8 * i));
		by[8 + i] = (unsigned char)(h.low64 >> (56 - 8 * i));
	}
	by[6] = (unsigned char)((by[6] & 0x0f) | 0x80); /* version 8: custom */
	by[8] = (unsigned char)((by[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[by[i] >> 4];
		out[o++] = hx[by[i] & 15];
	}
	out[o] = '\0';
}

/* A stable id for a relationship without a key (see the file comment). */
static int keyless_id(struct mg *m, const struct gm_record *r, char out[37])
{
	XXH3_state_t *st;
	XXH128_hash_t h;
	char hs[37];
	int64_t k = 0;
	int error;

	gm_buf_clear(&m->tmp);
	if ((error = gm_buf_put(&m->tmp, r->from.p, r->from.len)) < 0 ||
	    (error = gm_buf_putc(&m->tmp, '\0')) < 0 ||
	    (error = gm_buf_put(&m->tmp, r->type.p, r->type.len)) < 0 ||
	    (error = gm_buf_putc(&m->tmp, '\0')) < 0 ||
	    (error = gm_buf_put(&m->tmp, r->to.p, r->to.len)) < 0 ||
	    (error = gm_buf_putc(&m->tmp, '\0')) < 0 ||
	    (error = gm__mg_memory_json(&m->tmp, r->props, r->nprops)) < 0)
		return error;
	h = XXH3_128bits(m->tmp.p, m->tmp.len);
	put_uuid(hs, h);
	if (sqlite3_bind_text(m->kget, 1, hs, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return db_error(m, GM_EIO, "cannot bind");
	if (sqlite3_step(m->kget) == SQLITE_ROW)
		k = sqlite3_column_int64(m->kget, 0);
	sqlite3_reset(m->kget);
	if (sqlite3_bind_text(m->kput, 1, hs, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return db_error(m, GM_EIO, "cannot bind");
	if ((error = step_done(m, m->kput)) < 0)
		return error;
	if (!k) {
		memcpy(out, hs, 37);
		return 0;
	}
	if (!(st = XXH3_createState()))
		return GM_ENOMEM;
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, m->tmp.p, m->tmp.len);
	XXH3_128bits_update(st, &k, sizeof(k));
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	put_uuid(out, h);
	return 0;
}

static int mg_write_rel(struct mg *m, const struct gm_record *r)
{
	const struct gm_value *raw = rprop(r, "_mg_json"), *ca = rprop(r, "_mg_created_at");
	struct rel_src src = {r, NULL, {.type = GM_T_NULL}};
	struct gm_value idv, cols[4];
	const struct gm_value *colp[4];
	const char *defaults[RK__COUNT];
	char olds[4][64], id[37];
	struct gm_str key = r->key;
	int error;

	if (!r->from.p || !r->to.p || !r->type.p)
		return gm_error_set(
			GM_EDATA,
			"invalid relationship for memorygraph '%s': it needs a type and "
			"both endpoints",
			m->path);
	if (!key.p) {
		if ((error = keyless_id(m, r, id)) < 0)
			return error;
		key = gm_str_c(id);
	}
	if ((error = kept_existing(m, r, key)) != 0)
		return error < 0 ? error : 0;
	idv.type = GM_T_STRING;
	idv.u.s = key;
	src.id = &idv;
	memcpy(defaults, rel_defaults_base, sizeof(defaults));
	/* timestamps the record lacks: the existing row's, else the run's start */
	{
		static const int ts[4] = {RK_CREATED, RK_VALIDATED, RK_VALID_FROM, RK_RECORDED};
		int missing = 0;

		for (int t = 0; t < 4; t++) {
			snprintf(olds[t], sizeof(olds[t]), "\"%s\"", m->now);
			missing |= !get_record(ts[t], &src);
		}
		if (missing) {
			if ((error = bind_str(m, m->orel, 1, key)) < 0)
				return error;
			if (sqlite3_step(m->orel) == SQLITE_ROW)
				for (int c = 0; c < 4; c++)
					if (sqlite3_column_type(m->orel, c) == SQLITE_TEXT &&
					    sqlite3_column_bytes(m->orel, c) < 56)
						snprintf(olds[c], sizeof(olds[c]), "\"%s\"",
							 (const char *)sqlite3_column_text(m->orel,
											   c));
			sqlite3_reset(m->orel);
			sqlite3_clear_bindings(m->orel);
		}
		for (int t = 0; t < 4; t++)
			defaults[ts[t]] = olds[t];
	}
	gm_buf_clear(&m->json);
	if (raw_json_usable(m, r, raw, 1))
		error = gm_buf_put(&m->json, raw->u.s.p, raw->u.s.len);
	else
		error = rel_json(&m->json, get_record, &src, r->props, r->nprops, defaults);
	if (error < 0) {
		if (error == GM_EDATA)
			return gm_error_set(
				GM_EDATA, "invalid relationship \"%.*s\" for memorygraph '%s': %s",
				(int)key.len, key.p, m->path, gm_error_last());
		return error;
	}
	/* columns: the record's values; valid_from / recorded_at never NULL */
	for (int t = 0; t < 4; t++) {
		colp[t] = rprop(r, rel_keys[temporal[t]]);
		if (!colp[t] && (temporal[t] == RK_VALID_FROM || temporal[t] == RK_RECORDED)) {
			const char *d = defaults[temporal[t]];

			cols[t].type = GM_T_STRING;
			cols[t].u.s.p = d + 1;
			cols[t].u.s.len = strlen(d) - 2;
			colp[t] = &cols[t];
		}
	}
	if ((error = bind_str(m, m->ur, 1, key)) < 0 ||
	    (error = bind_str(m, m->ur, 2, r->from)) < 0 ||
	    (error = bind_str(m, m->ur, 3, r->to)) < 0 ||
	    (error = bind_str(m, m->ur, 4, r->type)) < 0 ||
	    (error = bind_str(m, m->ur, 5, (struct gm_str){m->json.p, m->json.len})) < 0 ||
	    (error = bind_value(m, m->ur, 6, ca)) < 0 ||
	    sqlite3_bind_int(m->ur, 7, ca != NULL) != SQLITE_OK ||
	    (error = bind_value(m, m->ur, 8, colp[0])) < 0 ||
	    (error = bind_value(m, m->ur, 9, colp[1])) < 0 ||
	    (error = bind_value(m, m->ur, 10, colp[2])) < 0 ||
	    (error = bind_value(m, m->ur, 11, colp[3])) < 0)
		return error < 0 ? error : db_error(m, GM_EIO, "cannot bind");
	return step_done(m, m->ur);
}

static int mg_write_batch(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	struct mg *m = (struct mg *)b;
	uint64_t nodes = 0, rels = 0, skipped = b->skipped;
	int error = 0;

	if ((error = exec(m, "SAVEPOINT gmig_batch")) < 0)
		return error;
	for (size_t i = 0; i < n && !error; i++) {
		uint64_t had = b->skipped;

		if (recs[i].kind == GM_NODE) {
			error = mg_write_node(m, &recs[i]);
			nodes++;
		} else if (recs[i].kind == GM_REL) {
			error = mg_write_rel(m, &recs[i]);
			rels++;
		} else {
			error = gm_error_set(GM_EINVAL, "invalid record kind %d",
					     (int)recs[i].kind);
		}
		if (b->skipped != had && b->skip_mask)
			b->skip_mask[i] = 1;
	}
	if (error < 0) {
		char saved[1024];

		snprintf(saved, sizeof(saved), "%s", gm_error_last());
		sqlite3_exec(m->db, "ROLLBACK TO gmig_batch; RELEASE gmig_batch", NULL, NULL, NULL);
		b->skipped = skipped;
		/* the keyless-id counters live in the same transaction and roll back too */
		return gm_error_set(error, "%s", saved);
	}
	if ((error = exec(m, "RELEASE gmig_batch")) < 0)
		return error;
	b->nodes_written += nodes;
	b->rels_written += rels;
	return 0;
}

static int mg_commit(struct gm_backend *b)
{
	struct mg *m = (struct mg *)b;
	int error;

	if (!m->in_txn)
		return 0;
	if ((error = exec(m, "COMMIT")) < 0)
		return error;
	m->in_txn = 0;
	m->committed = 1;
	return 0;
}

/* ---- open / close ---- */

static void unlink_db(const char *path)
{
	static const char *const ext[] = {"", "-journal", "-wal", "-shm"};
	char name[4096];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, ext[i]);
		unlink(name);
	}
}

static int mg_close(struct gm_backend *b)
{
	struct mg *m = (struct mg *)b;

	if (!m)
		return 0;
	sqlite3_finalize(m->qn);
	sqlite3_finalize(m->qr);
	sqlite3_finalize(m->un);
	sqlite3_finalize(m->ur);
	sqlite3_finalize(m->on);
	sqlite3_finalize(m->orel);
	sqlite3_finalize(m->kget);
	sqlite3_finalize(m->kput);
	sqlite3_finalize(m->ex_node);
	sqlite3_finalize(m->ex_rel);
	if (m->db) {
		if (m->in_txn)
			sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(m->db);
	}
	if (m->created && !m->committed && m->path)
		unlink_db(m->path);
	gm_buf_free(&m->json);
	gm_buf_free(&m->tmp);
	gm_buf_free(&m->fstr);
	gm_free(m->fstk);
	gm_arena_free(m->scratch);
	gm_free(m->path);
	gm_free(m);
	return 0;
}

/* MemoryGraph's rule for the default location; mkdir_parent for writing there. */
static int default_path(char **out, int mkdir_parent)
{
	const char *env = getenv("MEMORY_SQLITE_PATH"), *home;
	char buf[4096];

	if (env && *env) {
		snprintf(buf, sizeof(buf), "%s", env);
	} else {
		if (!(home = getenv("HOME")) || !*home)
			return gm_error_set(GM_EINVAL,
					    "memorygraph: no location given, MEMORY_SQLITE_PATH "
					    "and HOME are not set");
		snprintf(buf, sizeof(buf), "%s/.memorygraph/memory.db", home);
	}
	if (mkdir_parent) {
		/* MemoryGraph does Path(db_path).parent.mkdir(parents=True, exist_ok=True) */
		for (char *p = buf + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(buf, 0777) < 0 && errno != EEXIST) {
				int e = errno;

				*p = '/';
				return gm_error_set(GM_EIO, "memorygraph: cannot create '%s': %s",
						    buf, strerror(e));
			}
			*p = '/';
		}
	}
	return (*out = gm_strdup(buf)) ? 0 : GM_ENOMEM;
}

static int max_rowid(struct mg *m, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int error = prepare(m, sql, &st);

	if (error == 0 && sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (error == 0)
		error = db_error(m, GM_EIO, "cannot read the store");
	sqlite3_finalize(st);
	return error;
}

static int open_write(struct mg *m, const struct gm_open_opts *o)
{
	struct stat st;
	int error, layout;

	m->created = stat(m->path, &st) < 0;
	if (!m->created && !S_ISREG(st.st_mode))
		return gm_error_set(GM_EINVAL, "memorygraph '%s' is not a regular file", m->path);
	if (sqlite3_open_v2(m->path, &m->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return db_error(m, GM_EIO, "cannot open");
	sqlite3_extended_result_codes(m->db, 0);
	sqlite3_busy_timeout(m->db, 5000);
	if ((layout = check_layout(m)) < 0)
		return layout;
	if ((error = exec(m, "BEGIN IMMEDIATE")) < 0)
		return error;
	m->in_txn = 1;
	for (size_t i = 0; ddl[i]; i++)
		if ((error = exec(m, ddl[i])) < 0)
			return error;
	if (sqlite3_exec(m->db, "SAVEPOINT fts", NULL, NULL, NULL) == SQLITE_OK) {
		if (sqlite3_exec(m->db, ddl_fts, NULL, NULL, NULL) != SQLITE_OK)
			sqlite3_exec(m->db, "ROLLBACK TO fts", NULL, NULL, NULL);
		sqlite3_exec(m->db, "RELEASE fts", NULL, NULL, NULL);
	}
	if ((error = exec(m, ddl_memory_index)) < 0)
		return error;
	if ((error = prepare(m, q_upsert_node, &m->un)) < 0 ||
	    (error = prepare(m, q_upsert_rel, &m->ur)) < 0 ||
	    (error = prepare(m, q_old_node, &m->on)) < 0 ||
	    (error = prepare(m, q_old_rel, &m->orel)) < 0 ||
	    (error = exec(m, "CREATE TEMP TABLE IF NOT EXISTS gmig_keyless "
			     "(h TEXT PRIMARY KEY, n INTEGER NOT NULL)")) < 0 ||
	    (error = prepare(m, "SELECT n FROM temp.gmig_keyless WHERE h = ?1", &m->kget)) < 0 ||
	    (error = prepare(m,
			     "INSERT INTO temp.gmig_keyless (h, n) VALUES (?1, 1) "
			     "ON CONFLICT(h) DO UPDATE SET n = n + 1",
			     &m->kput)) < 0 ||
	    (error = gm_arena_new(&m->scratch)) < 0)
		return error;
	m->existing = o->existing;
	if (m->existing != GM_EXISTING_UPSERT &&
	    ((error = prepare(m, "SELECT rowid FROM nodes WHERE id = ?1", &m->ex_node)) < 0 ||
	     (error = prepare(m, "SELECT rowid FROM relationships WHERE id = ?1", &m->ex_rel)) <
		     0 ||
	     (error = max_rowid(m, "SELECT coalesce(max(rowid), 0) FROM nodes",
				&m->max_node_rowid)) < 0 ||
	     (error = max_rowid(m, "SELECT coalesce(max(rowid), 0) FROM relationships",
				&m->max_rel_rowid)) < 0))
		return error;
	gm__mg_now(m->now);
	return 0;
}

static int open_read(struct mg *m)
{
	struct stat st;
	int layout;
	uint64_t n = 0, r = 0;

	if (stat(m->path, &st) < 0)
		return gm_error_set(GM_ENOTFOUND, "memorygraph '%s' does not exist", m->path);
	if (sqlite3_open_v2(m->path, &m->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		return db_error(m, GM_EIO, "cannot open");
	sqlite3_busy_timeout(m->db, 5000);
	if ((layout = check_layout(m)) < 0)
		return layout;
	if (!layout)
		return gm_error_set(GM_EINVAL,
				    "memorygraph '%s': an empty database, not MemoryGraph's",
				    m->path);
	if (prepare(m, q_nodes, &m->qn) < 0 || prepare(m, q_rels, &m->qr) < 0)
		return GM_EIO;
	if (mg_count(&m->base, &n, &r) == 0)
		m->base.progress_total = n + r;
	return 0;
}

static int mg_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct mg *m = gm_calloc(1, sizeof(*m));
	int error;

	*out = NULL;
	if (!m)
		return GM_ENOMEM;
	if (location && *location)
		error = (m->path = gm_strdup(location)) ? 0 : GM_ENOMEM;
	else
		error = default_path(&m->path, o->mode == GM_OPEN_WRITE);
	if (error < 0)
		goto fail;
	m->drop_nulls = (o->lossy & GM_LOSSY_DROP) != 0;
	error = o->mode == GM_OPEN_READ ? open_read(m) : open_write(m, o);
	if (error < 0)
		goto fail;
	*out = &m->base;
	return 0;
fail:
	mg_close(&m->base);
	return error;
}

/*
 * Probing a plain path: 100 for a SQLite file whose "nodes" table has
 * MemoryGraph's columns (id, label, properties, created_at, updated_at).
 */
static int mg_probe_path(const char *path)
{
	static const unsigned char magic[16] = "SQLite format 3";
	unsigned char head[16];
	struct mg m = {0};
	FILE *f = fopen(path, "rb");
	size_t got = f ? fread(head, 1, sizeof(head), f) : 0;
	int score = 0;

	if (f)
		fclose(f);
	if (got != sizeof(head) || memcmp(head, magic, sizeof(magic)))
		return 0;
	m.path = (char *)path;
	if (sqlite3_open_v2(path, &m.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) ==
		    SQLITE_OK &&
	    columns_of(&m, "nodes", node_cols) == 0x1fu)
		score = 100;
	sqlite3_close(m.db);
	return score;
}

/* What the writer fills in when a record comes without it (see "Writing"). */
static const char *const mg_added[] = {
	"_mg_created_at", "_mg_updated_at", "id", "created_at", "updated_at",
	/* relationships: the rest of the 14 JSON keys, MemoryGraph's defaults */
	"strength", "confidence", "context", "evidence_count", "success_rate", "last_validated",
	"validation_count", "counter_evidence_count", "valid_from", "valid_until", "recorded_at",
	"invalidated_by", NULL};
/* MemoryGraph's SQLite indexes (its DDL above) and its FTS5 table, as SQLite has them. */
static int mg_describe_schema(struct gm_backend *b,
			      int (*emit)(void *ctx, const struct gm_schema_item *it), void *ctx)
{
	return gm__sqlite_schema(((struct mg *)b)->db, NULL, emit, ctx);
}

const struct gm_backend_ops gm_backend_memorygraph = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "memorygraph",
	.summary = "MemoryGraph's SQLite store (memorygraphMCP 0.12; default "
		   "$MEMORY_SQLITE_PATH or ~/.memorygraph/memory.db), every field, upserts",
	.suffixes = NULL,
	.caps = GM_CAP_READ | GM_CAP_WRITE | GM_CAP_FILE | GM_CAP_COUNT | GM_CAP_TXN |
		GM_CAP_LOSSY | GM_CAP_EXISTING,
	.types = GM_TYPE_BIT(GM_T_NULL) | GM_TYPE_BIT(GM_T_BOOL) | GM_TYPE_BIT(GM_T_INT) |
		 GM_TYPE_BIT(GM_T_FLOAT) | GM_TYPE_BIT(GM_T_STRING) | GM_TYPE_BIT(GM_T_LIST) |
		 GM_TYPE_BIT(GM_T_MAP),
	.probe = NULL,
	.open = mg_open,
	.read_next = mg_read_next,
	.write_batch = mg_write_batch,
	.count = mg_count,
	.commit = mg_commit,
	.close = mg_close,
	.probe_path = mg_probe_path,
	.added_props = mg_added,
	.describe_schema = mg_describe_schema,
};
