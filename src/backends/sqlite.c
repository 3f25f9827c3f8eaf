/* SPDX-License-Identifier: MIT */
/*
 * The "sqlite" backend: gmig's own embedded graph store in one SQLite file
 * (read + write). Lossless for every value type; the embedded default target
 * and the staging store other commands can use.
 *
 * Layout (store version 1; every table starts with "gmig_"):
 *
 *   gmig_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)
 *       format = 'gmig-graph', version = '1', created = ISO time (UTC)
 *   gmig_runs(id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,
 *             status TEXT NOT NULL, uri TEXT, nodes INTEGER, relationships INTEGER)
 *       one row per write run; status 'running', then 'committed' or 'failed';
 *       nodes / relationships = records the run wrote (unchanged upserts included)
 *   gmig_nodes(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, labels TEXT NOT NULL,
 *              properties TEXT NOT NULL, run INTEGER NOT NULL)
 *       labels: the canonical (sorted) label set as a JSON array of strings,
 *       properties: a JSON object in gmig's typed JSON (typedjson.h), exact for
 *       every value type; run: the gmig_runs.id of the run that last changed the row
 *   gmig_node_labels(node INTEGER, label TEXT, PRIMARY KEY (node, label)) WITHOUT ROWID
 *       one row per node and label (node = gmig_nodes.id), indexed on label
 *   gmig_relationships(id INTEGER PRIMARY KEY, key TEXT UNIQUE, type TEXT NOT NULL,
 *                      start_key TEXT NOT NULL, end_key TEXT NOT NULL,
 *                      properties TEXT NOT NULL, run INTEGER NOT NULL)
 *       key NULL for a relationship without a key; start_key / end_key are the
 *       endpoint nodes' keys (not checked: dangling endpoints are kept);
 *       indexed on start_key, end_key, type
 *   nodes and relationships are also indexed on run (for rollback by run).
 *   gmig_undo(run INTEGER NOT NULL, kind INTEGER NOT NULL, key TEXT NOT NULL, labels TEXT,
 *             type TEXT, start_key TEXT, end_key TEXT, properties TEXT NOT NULL,
 *             prev_run INTEGER NOT NULL, PRIMARY KEY (run, kind, key)) WITHOUT ROWID
 *       the content a row had before run `run` first changed it (kind 0 node,
 *       1 relationship; labels for nodes, type/start_key/end_key for
 *       relationships), filled by a TEMP trigger of the writing connection;
 *       indexed on prev_run. A row whose run is R and that has no gmig_undo
 *       row of R was created by R. Added to stores made before it at their
 *       next write (CREATE TABLE IF NOT EXISTS; the store version stays 1).
 *
 * Keys and texts are stored as given (UTF-8, NUL bytes kept).
 *
 * Writing opens the file in place (it is a database, not a file written
 * once): a new file gets the schema, an existing gmig store is added to, and
 * any other file (a MemoryGraph database, another schema, not SQLite) is
 * refused with what was found. WAL journal, one transaction per write_batch.
 * Nodes are upserted on key, relationships with a key on theirs; a row whose
 * content is unchanged is not touched (it keeps its run), so re-running the
 * same migration is a no-op. Relationships without a key are inserted, so
 * re-runs duplicate them (gmig's own sources always give keys). Within one run
 * a key may be written once: a second node (or keyed relationship) with the
 * same key is a bad record (GM_EDATA, "cannot store two nodes with one key"),
 * never a silent merge. commit() marks the run committed and checkpoints the
 * WAL. A file the run created is deleted (with its -wal/-shm) when the run is
 * not committed; in an existing store the batches already written stay, their
 * rows tagged with the run id, and the run is marked 'failed' (gmig migrate
 * then rolls it back). Since the store is never replaced, --force
 * (GM_OPEN_F_OVERWRITE) changes nothing here.
 *
 * Runs: gm_open_opts.run continues an earlier run (resume) instead of
 * starting one; its first batch_size records may be the batch committed just
 * before the interruption and are accepted again unchanged. rollback(R)
 * restores the gmig_undo rows of R, deletes the rows still tagged R (created
 * by R), and marks the run 'rolled back', in one transaction; it refuses when
 * a later run changed rows of R (roll that one back first). Keys already in
 * the store follow gm_open_opts.existing: upsert, skip (counted in
 * b->skipped) or fail (GM_EDATA).
 *
 * Reading streams every node ordered by id, then every relationship by id,
 * one row at a time. A row whose JSON cannot be decoded is GM_EDATA naming
 * the file and the row; reading continues with the next row.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "json.h"
#include "sqlitestore.h"
#include "typedjson.h"

#define STORE_FORMAT "gmig-graph"
#define STORE_VERSION 1
#define BUSY_MS 10000
/* page cache while writing (index inserts are random): bounded, not per record */
#define CACHE_KIB "-65536"
#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

static const char schema_sql[] =
	"CREATE TABLE gmig_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE gmig_runs(id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT,"
	" status TEXT NOT NULL, uri TEXT, nodes INTEGER NOT NULL DEFAULT 0,"
	" relationships INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE gmig_nodes(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
	" labels TEXT NOT NULL, properties TEXT NOT NULL, run INTEGER NOT NULL);"
	"CREATE TABLE gmig_node_labels(node INTEGER NOT NULL, label TEXT NOT NULL,"
	" PRIMARY KEY (node, label)) WITHOUT ROWID;"
	"CREATE INDEX gmig_node_labels_label ON gmig_node_labels(label, node);"
	"CREATE INDEX gmig_nodes_run ON gmig_nodes(run);"
	"CREATE TABLE gmig_relationships(id INTEGER PRIMARY KEY, key TEXT UNIQUE,"
	" type TEXT NOT NULL, start_key TEXT NOT NULL, end_key TEXT NOT NULL,"
	" properties TEXT NOT NULL, run INTEGER NOT NULL);"
	"CREATE INDEX gmig_relationships_start ON gmig_relationships(start_key);"
	"CREATE INDEX gmig_relationships_end ON gmig_relationships(end_key);"
	"CREATE INDEX gmig_relationships_type ON gmig_relationships(type);"
	"CREATE INDEX gmig_relationships_run ON gmig_relationships(run);"
	"INSERT INTO gmig_meta(key, value) VALUES ('format', '" STORE_FORMAT "'),"
	" ('version', '1'), ('created', " NOW_SQL ");";

static const char undo_sql[] =
	"CREATE TABLE IF NOT EXISTS gmig_undo(run INTEGER NOT NULL, kind INTEGER NOT NULL,"
	" key TEXT NOT NULL, labels TEXT, type TEXT, start_key TEXT, end_key TEXT,"
	" properties TEXT NOT NULL, prev_run INTEGER NOT NULL, PRIMARY KEY (run, kind, key))"
	" WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS gmig_undo_prev ON gmig_undo(prev_run);";

/* the writing connection's pre-images; TEMP: they live and die with it */
static const char undo_triggers_sql[] =
	"CREATE TEMP TRIGGER gmig_undo_nodes BEFORE UPDATE ON main.gmig_nodes"
	" WHEN old.run <> new.run BEGIN"
	" INSERT OR IGNORE INTO gmig_undo(run, kind, key, labels, properties, prev_run)"
	" VALUES (new.run, 0, old.key, old.labels, old.properties, old.run); END;"
	"CREATE TEMP TRIGGER gmig_undo_relationships BEFORE UPDATE ON main.gmig_relationships"
	" WHEN old.run <> new.run AND old.key IS NOT NULL BEGIN"
	" INSERT OR IGNORE INTO gmig_undo(run, kind, key, type, start_key, end_key, properties,"
	" prev_run) VALUES (new.run, 1, old.key, old.type, old.start_key, old.end_key,"
	" old.properties, old.run); END;";

enum stmt_id {
	S_NODE,	      /* upsert a node, RETURNING its id when inserted or changed */
	S_NODE_NEW,   /* insert a node unless its key is there, RETURNING its id */
	S_REL_NEW,    /* insert a relationship unless its key is there */
	S_NODE_RUN,   /* the run of a node by key */
	S_DEL_LABELS, /* a node's label rows */
	S_ADD_LABEL,  /* one label row */
	S_REL,	      /* upsert / insert a relationship */
	S_REL_RUN,    /* the run of a relationship by key */
	S_READ_NODES, /* every node by id */
	S_READ_RELS,  /* every relationship by id */
	S__COUNT
};

static const char *const stmt_sql[S__COUNT] = {
	[S_NODE] =
		("INSERT INTO gmig_nodes(key, labels, properties, run) VALUES (?1, ?2, ?3, ?4)"
		 " ON CONFLICT(key) DO UPDATE SET labels = excluded.labels,"
		 " properties = excluded.properties, run = excluded.run"
		 " WHERE gmig_nodes.run <> excluded.run AND (gmig_nodes.labels <> excluded.labels"
		 " OR gmig_nodes.properties <> excluded.properties)"
		 " RETURNING id"),
	[S_NODE_NEW] =
		("INSERT INTO gmig_nodes(key, labels, properties, run) VALUES (?1, ?2, ?3, ?4)"
		 " ON CONFLICT(key) DO NOTHING RETURNING id"),
	[S_REL_NEW] = ("INSERT INTO gmig_relationships(key, type, start_key, end_key, properties,"
		       " run) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(key) DO NOTHING"),
	[S_NODE_RUN] = "SELECT run FROM gmig_nodes WHERE key = ?1",
	[S_DEL_LABELS] = "DELETE FROM gmig_node_labels WHERE node = ?1",
	[S_ADD_LABEL] = "INSERT OR IGNORE INTO gmig_node_labels(node, label) VALUES (?1, ?2)",
	[S_REL] = ("INSERT INTO gmig_relationships(key, type, start_key, end_key, properties, run)"
		   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		   " ON CONFLICT(key) DO UPDATE SET type = excluded.type,"
		   " start_key = excluded.start_key, end_key = excluded.end_key,"
		   " properties = excluded.properties, run = excluded.run"
		   " WHERE gmig_relationships.run <> excluded.run"
		   " AND (gmig_relationships.type <> excluded.type"
		   " OR gmig_relationships.start_key <> excluded.start_key"
		   " OR gmig_relationships.end_key <> excluded.end_key"
		   " OR gmig_relationships.properties <> excluded.properties)"),
	[S_REL_RUN] = "SELECT run FROM gmig_relationships WHERE key = ?1",
	[S_READ_NODES] = "SELECT id, key, labels, properties FROM gmig_nodes ORDER BY id",
	[S_READ_RELS] = ("SELECT id, key, type, start_key, end_key, properties"
			 " FROM gmig_relationships ORDER BY id"),
};

struct sq {
	struct gm_backend base;
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[S__COUNT];
	int writing;
	int created;   /* the file did not exist before this run */
	int committed; /* commit() succeeded */
	int in_txn;
	int64_t run;
	enum gm_existing existing;
	uint64_t replay_left; /* resumed run: records that may repeat the last batch */
	/* reading */
	int phase; /* 0 nodes, 1 relationships, 2 done */
	int fatal;
	/* scratch for JSON texts */
	struct gm_buf labels, props;
};

/* ---- errors ---- */

static int code_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM: return GM_ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: return GM_ECORRUPT;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_TOOBIG: return GM_EDATA;
	case SQLITE_CANTOPEN: return GM_ENOTFOUND;
	case SQLITE_INTERRUPT: return GM_EINTR;
	default: return GM_EIO;
	}
}

/* An SQLite failure: "sqlite store 'x.db': <what>: <sqlite's message>". */
static int sq_error(struct sq *s, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_NOMEM)
		return gm_error_set(GM_ENOMEM, "out of memory (sqlite store '%s': %s)", s->path,
				    what);
	return gm_error_set(code_of(rc), "sqlite store '%s': %s: %s", s->path, what,
			    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

static int exec(struct sq *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_error(s, rc, sql);
}

static int prepare(struct sq *s, enum stmt_id id)
{
	int rc;

	if (s->st[id])
		return 0;
	rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
				NULL);
	return rc == SQLITE_OK ? 0 : sq_error(s, rc, "cannot prepare a statement");
}

static int bind_str(sqlite3_stmt *st, int i, struct gm_str v)
{
	return sqlite3_bind_text64(st, i, v.p ? v.p : "", v.len, SQLITE_STATIC, SQLITE_UTF8);
}

/* ---- what is in a SQLite file ---- */

/* Steps st while *rc (from prepare, then from the last step) allows; 1 for a row. */
static int next_row(sqlite3_stmt *st, int *rc)
{
	if (*rc != SQLITE_OK && *rc != SQLITE_ROW)
		return 0;
	*rc = sqlite3_step(st);
	return *rc == SQLITE_ROW;
}

/* 1 when the file starts with the SQLite header string. */
static int has_sqlite_magic(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	FILE *f = fopen(path, "rb");
	size_t got;

	if (!f)
		return 0;
	got = fread(head, 1, sizeof(head), f);
	fclose(f);
	return got == sizeof(head) && !memcmp(head, magic, sizeof(head));
}

static sqlite3 *open_readonly(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, BUSY_MS);
	return db;
}

/* The user tables, "a, b, c" ("none" when there are none). Returns SQLITE_OK or a code. */
static int list_tables(sqlite3 *db, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	size_t used = 0;
	int rc, n = 0;

	if (len)
		buf[0] = '\0';
	rc = sqlite3_prepare_v2(db,
				"SELECT name FROM sqlite_master WHERE type = 'table'"
				" AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
				-1, &st, NULL);
	while (next_row(st, &rc)) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int w;

		if (!name || !len)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", n++ ? ", " : "", name);
		if (w < 0 || (size_t)w >= len - used) {
			/* too many: end with an ellipsis */
			if (len >= 4)
				memcpy(buf + len - 4, "...", 4);
			rc = SQLITE_DONE;
			break;
		}
		used += (size_t)w;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE && !n && len)
		snprintf(buf, len, "none");
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

enum layout { L_EMPTY, L_GMIG, L_MEMORYGRAPH, L_OTHER };

/* 1 when table has every one of the columns (a NULL-terminated list). */
static int has_columns(sqlite3 *db, const char *table, const char *const *cols)
{
	sqlite3_stmt *st = NULL;
	int ok = 1;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	for (; ok && *cols; cols++) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, *cols, -1, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return ok;
}

/*
 * Tells what db holds. Sets *version for a gmig store. Returns SQLITE_OK, or
 * an SQLite code when the file cannot be read (SQLITE_NOTADB: not SQLite).
 */
static int find_layout(sqlite3 *db, enum layout *out, int64_t *version)
{
	static const char *const mg_nodes[] = {"id", "label", "properties", NULL};
	static const char *const mg_rels[] = {"from_id", "to_id", NULL};
	sqlite3_stmt *st = NULL;
	int rc, ntables = 0, has_meta = 0, has_nodes = 0, has_rels = 0;

	*out = L_OTHER;
	*version = 0;
	rc = sqlite3_prepare_v2(db,
				"SELECT name FROM sqlite_master WHERE type = 'table'"
				" AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
				-1, &st, NULL);
	while (next_row(st, &rc)) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		ntables++;
		if (name && !strcmp(name, "gmig_meta"))
			has_meta = 1;
		else if (name && !strcmp(name, "nodes"))
			has_nodes = 1;
		else if (name && !strcmp(name, "relationships"))
			has_rels = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	if (!ntables) {
		*out = L_EMPTY;
		return SQLITE_OK;
	}
	if (has_meta) {
		int fmt_ok = 0;

		st = NULL;
		rc = sqlite3_prepare_v2(db, "SELECT key, value FROM gmig_meta", -1, &st, NULL);
		while (next_row(st, &rc)) {
			const char *k = (const char *)sqlite3_column_text(st, 0);
			const char *v = (const char *)sqlite3_column_text(st, 1);

			if (k && v && !strcmp(k, "format") && !strcmp(v, STORE_FORMAT))
				fmt_ok = 1;
			else if (k && v && !strcmp(k, "version"))
				*version = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return rc;
		if (fmt_ok) {
			*out = L_GMIG;
			return SQLITE_OK;
		}
	}
	if (has_nodes && has_rels && has_columns(db, "nodes", mg_nodes) &&
	    has_columns(db, "relationships", mg_rels))
		*out = L_MEMORYGRAPH;
	return SQLITE_OK;
}

int gm__sqlite_describe(const char *path, char *buf, size_t len)
{
	sqlite3 *db;
	int rc;

	if (len)
		buf[0] = '\0';
	if (!has_sqlite_magic(path) || !(db = open_readonly(path)))
		return 0;
	rc = list_tables(db, buf, len);
	sqlite3_close(db);
	if (rc != SQLITE_OK && len)
		snprintf(buf, len, "unreadable: %s", sqlite3_errstr(rc));
	return 1;
}

static int sqlite_probe_path(const char *path)
{
	sqlite3 *db;
	enum layout l;
	int64_t version;
	int rc;

	if (!has_sqlite_magic(path) || !(db = open_readonly(path)))
		return 0;
	rc = find_layout(db, &l, &version);
	sqlite3_close(db);
	return rc == SQLITE_OK && l == L_GMIG ? 100 : 0;
}

/* Checks that the open db is a gmig store this version can use (or, writing, empty). */
static int check_layout(struct sq *s, enum layout *l)
{
	char tables[512];
	int64_t version;
	int rc = find_layout(s->db, l, &version);

	if ((rc & 0xff) == SQLITE_NOTADB)
		return gm_error_set(GM_EINVAL,
				    "'%s' is not a SQLite database (so not a gmig store)", s->path);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "cannot read the schema");
	if (*l == L_GMIG) {
		if (version == STORE_VERSION)
			return 0;
		return gm_error_set(GM_EUNSUPPORTED,
				    "'%s' is a gmig store of version %" PRId64
				    ", which this gmig cannot %s (it knows version %d)",
				    s->path, version, s->writing ? "write" : "read", STORE_VERSION);
	}
	if (*l == L_EMPTY) {
		if (s->writing)
			return 0;
		return gm_error_set(GM_EINVAL, "'%s' is an empty SQLite database, not a gmig store",
				    s->path);
	}
	list_tables(s->db, tables, sizeof(tables));
	if (*l == L_MEMORYGRAPH)
		return gm_error_set(
			GM_EINVAL,
			"'%s' is a MemoryGraph database, not a gmig store (tables: %s); "
			"use 'memorygraph:%s'",
			s->path, tables, s->path);
	return gm_error_set(
		GM_EINVAL, "'%s' is a SQLite database but not a gmig store (tables: %s)%s", s->path,
		tables, s->writing ? "; gmig makes its store only in a new or empty file" : "");
}

/* ---- reading ---- */

/*
 * Decodes a row's JSON texts: the labels array (when labels is not NULL) and
 * the properties object, from one in-memory input holding both.
 */
static int decode(struct sq *s, struct gm_arena *a, const char *ltext, size_t llen,
		  const char *ptext, size_t plen, struct gm_record *rec)
{
	struct gm_in *in = NULL;
	struct gm_json_reader *r = NULL;
	struct gm_json_token t;
	struct gm_value v;
	struct gm_buf *b = &s->props;
	int error;

	gm_buf_clear(b);
	if (ltext)
		gm_buf_put(b, ltext, llen);
	gm_buf_putc(b, '\n');
	gm_buf_put(b, ptext, plen);
	if (b->oom) {
		b->oom = 0;
		return GM_ENOMEM;
	}
	if ((error = gm_in_open_mem(&in, b->p, b->len, s->path)) < 0 ||
	    (error = gm_json_reader_new(&r, in, GM_JSON_SEQ | GM_JSON_NOCOPY)) < 0)
		goto done;
	if (ltext) {
		if ((error = gm_tjson_read(r, NULL, a, &v, GM_TJ_PLAIN)) < 0)
			goto done;
		if (v.type != GM_T_LIST) {
			error = gm_error_set(GM_EDATA, "the labels are not a JSON array");
			goto done;
		}
		rec->nlabels = v.u.list.n;
		rec->labels = NULL;
		if (v.u.list.n &&
		    !(rec->labels = gm_arena_alloc(a, v.u.list.n * sizeof(struct gm_str)))) {
			error = GM_ENOMEM;
			goto done;
		}
		for (size_t i = 0; i < v.u.list.n; i++) {
			if (v.u.list.v[i].type != GM_T_STRING) {
				error = gm_error_set(GM_EDATA, "a label is not a string");
				goto done;
			}
			rec->labels[i] = v.u.list.v[i].u.s;
		}
	}
	if ((error = gm_tjson_read(r, NULL, a, &v, 0)) < 0)
		goto done;
	if (v.type != GM_T_MAP) {
		error = gm_error_set(GM_EDATA, "the properties are not a JSON object");
		goto done;
	}
	rec->props = v.u.map.p;
	rec->nprops = v.u.map.n;
	if ((error = gm_json_next(r, &t)) == 0 && t.tok != GM_JSON_EOF)
		error = gm_error_set(GM_EDATA, "text after the properties");
done:
	gm_json_reader_free(r);
	gm_in_free(in);
	return error;
}

static int col_str(sqlite3_stmt *st, int i, struct gm_arena *a, struct gm_str *out)
{
	const char *p;
	int n;

	out->p = NULL;
	out->len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	p = (const char *)sqlite3_column_text(st, i);
	n = sqlite3_column_bytes(st, i);
	if (!p)
		return GM_ENOMEM;
	if (!(out->p = gm_arena_strdup(a, p, (size_t)n)))
		return GM_ENOMEM;
	out->len = (size_t)n;
	return 0;
}

static int sqlite_read_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st;
	int rc, error;

	if (s->fatal)
		return s->fatal;
	for (;;) {
		if (s->phase >= 2)
			return GM_ITEROVER;
		st = s->st[s->phase == 0 ? S_READ_NODES : S_READ_RELS];
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE) {
			s->phase++;
			continue;
		}
		if (rc != SQLITE_ROW)
			return s->fatal = sq_error(s, rc, "cannot read");
		break;
	}
	memset(rec, 0, sizeof(*rec));
	b->progress_done++;
	if (s->phase == 0) {
		rec->kind = GM_NODE;
		if ((error = col_str(st, 1, a, &rec->key)) < 0)
			return error;
		if (!rec->key.p)
			return gm_error_set(GM_EDATA,
					    "invalid node in '%s' (row %" PRId64 "): no key",
					    s->path, (int64_t)sqlite3_column_int64(st, 0));
		error = decode(s, a, (const char *)sqlite3_column_text(st, 2),
			       (size_t)sqlite3_column_bytes(st, 2),
			       (const char *)sqlite3_column_text(st, 3),
			       (size_t)sqlite3_column_bytes(st, 3), rec);
		if (error == GM_EDATA) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s", gm_error_last());
			return gm_error_set(
				GM_EDATA, "invalid node '%.*s' in '%s' (row %" PRId64 "): %s",
				(int)(rec->key.len > 200 ? 200 : rec->key.len), rec->key.p, s->path,
				(int64_t)sqlite3_column_int64(st, 0), msg);
		}
		return error;
	}
	rec->kind = GM_REL;
	if ((error = col_str(st, 1, a, &rec->key)) < 0 ||
	    (error = col_str(st, 2, a, &rec->type)) < 0 ||
	    (error = col_str(st, 3, a, &rec->from)) < 0 ||
	    (error = col_str(st, 4, a, &rec->to)) < 0)
		return error;
	error = decode(s, a, NULL, 0, (const char *)sqlite3_column_text(st, 5),
		       (size_t)sqlite3_column_bytes(st, 5), rec);
	if (error == GM_EDATA) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", gm_error_last());
		return gm_error_set(GM_EDATA,
				    "invalid relationship '%.*s' in '%s' (row %" PRId64 "): %s",
				    (int)(rec->key.len > 200 ? 200 : rec->key.len),
				    rec->key.p ? rec->key.p : "", s->path,
				    (int64_t)sqlite3_column_int64(st, 0), msg);
	}
	return error;
}

static int sqlite_count(struct gm_backend *b, uint64_t *nodes, uint64_t *rels)
{
	struct sq *s = (struct sq *)b;
	static const char *const sql[2] = {"SELECT count(*) FROM gmig_nodes",
					   "SELECT count(*) FROM gmig_relationships"};
	uint64_t *out[2] = {nodes, rels};

	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL);

		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			*out[i] = (uint64_t)sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_OK)
			return sq_error(s, rc, "cannot count");
	}
	return 0;
}

/* ---- verify's digests, computed inside SQLite ---- */

/* the state of one gmig_digest() query: its sqlite3_user_data */
struct digest_run {
	struct sq *s;
	struct gm_digest_out *d;
	struct gm_arena *a;
	int error;
};

static void dg_str(sqlite3_value *v, struct gm_str *out)
{
	out->p = NULL;
	out->len = 0;
	if (sqlite3_value_type(v) == SQLITE_NULL)
		return;
	out->p = (const char *)sqlite3_value_text(v);
	out->len = (size_t)sqlite3_value_bytes(v);
}

/* Stops the query with dr->error set. */
static void dg_fail(sqlite3_context *cx, struct digest_run *dr, int error)
{
	dr->error = error;
	sqlite3_result_error(cx, "gmig_digest failed", -1);
}

/*
 * gmig_digest(kind, key, labels | type, start_key, end_key, properties): an
 * aggregate over the rows of gmig_nodes (kind 0) or gmig_relationships (1)
 * that decodes each row as read_next does and adds it to the digests
 * (gm_digest_add). Its value is the number of rows.
 */
static void dg_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct digest_run *dr = sqlite3_user_data(cx);
	struct gm_record rec;
	struct gm_str labels, props;
	int error;

	(void)argc;
	if (dr->error)
		return;
	if (gm_interrupted)
		return dg_fail(cx, dr, gm_error_set(GM_EINTR, "interrupted"));
	gm_arena_reset(dr->a);
	memset(&rec, 0, sizeof(rec));
	rec.kind = sqlite3_value_int(argv[0]) ? GM_REL : GM_NODE;
	dg_str(argv[1], &rec.key);
	dg_str(argv[5], &props);
	if (rec.kind == GM_NODE) {
		dg_str(argv[2], &labels);
		if (!rec.key.p)
			return dg_fail(cx, dr, gm_error_set(GM_EDATA, "a node without a key"));
		error = decode(dr->s, dr->a, labels.p, labels.len, props.p, props.len, &rec);
	} else {
		dg_str(argv[2], &rec.type);
		dg_str(argv[3], &rec.from);
		dg_str(argv[4], &rec.to);
		error = decode(dr->s, dr->a, NULL, 0, props.p, props.len, &rec);
	}
	if (error == 0)
		error = gm_digest_add(dr->d, &rec);
	if (error < 0)
		dg_fail(cx, dr, error);
}

static void dg_final(sqlite3_context *cx)
{
	struct digest_run *dr = sqlite3_user_data(cx);

	sqlite3_result_int64(cx, (sqlite3_int64)(dr->d->nodes + dr->d->rels));
}

/*
 * The digest slot: two aggregate queries, so the records never leave SQLite
 * as rows; nodes in id order, then relationships in id order, as read_next.
 */
static int sqlite_digest(struct gm_backend *b, struct gm_digest_out *d)
{
	static const char *const sql[2] = {
		"SELECT gmig_digest(0, key, labels, NULL, NULL, properties)"
		" FROM gmig_nodes",
		"SELECT gmig_digest(1, key, type, start_key, end_key, properties)"
		" FROM gmig_relationships"};
	struct sq *s = (struct sq *)b;
	struct digest_run dr = {s, d, NULL, 0};
	int rc, error = 0;

	if (s->writing)
		return gm_error_set(GM_EUNSUPPORTED,
				    "digests are computed on a store opened for reading");
	if ((error = gm_arena_new(&dr.a)) < 0)
		return error;
	rc = sqlite3_create_function_v2(s->db, "gmig_digest", 6, SQLITE_UTF8 | SQLITE_DIRECTONLY,
					&dr, NULL, dg_step, dg_final, NULL);
	if (rc != SQLITE_OK)
		error = sq_error(s, rc, "cannot register gmig_digest");
	for (int i = 0; i < 2 && !error; i++) {
		sqlite3_stmt *st = NULL;

		rc = sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL);
		if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
			rc = SQLITE_OK;
		sqlite3_finalize(st);
		if (dr.error)
			error = dr.error;
		else if (rc != SQLITE_OK)
			error = sq_error(s, rc, "cannot compute the digests");
	}
	sqlite3_create_function_v2(s->db, "gmig_digest", 6, SQLITE_UTF8, NULL, NULL, NULL, NULL,
				   NULL);
	gm_arena_free(dr.a);
	return error;
}

/* ---- the schema: indexes and constraints ---- */

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* The table an FTS table indexes ("content='nodes'"), or the FTS table itself. */
static void fts_content(const char *sql, const char *self, char *buf, size_t len)
{
	const char *p = sql ? strstr(sql, "content='") : NULL;
	size_t n;

	snprintf(buf, len, "%s", self);
	if (!p)
		return;
	p += 9;
	n = strcspn(p, "'");
	if (n && n < len)
		snprintf(buf, len, "%.*s", (int)n, p);
}

int gm__sqlite_schema(struct sqlite3 *db, const char *like,
		      int (*emit)(void *ctx, const struct gm_schema_item *it), void *ctx)
{
	static const char indexes_sql[] =
		"SELECT t.name, il.name, il.\"unique\", il.origin, il.partial,"
		" (SELECT group_concat(coalesce(c.name, '(expression)'), ',') FROM"
		"  (SELECT name FROM pragma_index_info(il.name, t.schema) ORDER BY seqno) c),"
		" (SELECT sql FROM sqlite_master m WHERE m.type = 'index' AND m.name = il.name)"
		" FROM pragma_table_list t, pragma_index_list(t.name, t.schema) il"
		" WHERE t.schema = 'main' AND t.type = 'table'"
		" AND t.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND t.name LIKE ?1 ESCAPE '\\'"
		" ORDER BY t.name, il.name";
	static const char virtual_sql[] =
		"SELECT t.name, m.sql, (SELECT group_concat(c.name, ',') FROM"
		"  (SELECT name FROM pragma_table_info(t.name, t.schema) ORDER BY cid) c)"
		" FROM pragma_table_list t JOIN sqlite_master m ON m.name = t.name"
		" WHERE t.schema = 'main' AND t.type = 'virtual' AND t.name LIKE ?1 ESCAPE '\\'"
		" ORDER BY t.name";
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	rc = sqlite3_prepare_v2(db, indexes_sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_text(st, 1, like ? like : "%", -1, SQLITE_STATIC);
	while (!error && next_row(st, &rc)) {
		const char *origin = col_text(st, 3);
		struct gm_schema_item it = {
			.name = col_text(st, 1),
			.on = col_text(st, 0),
			.columns = col_text(st, 5),
			.definition = col_text(st, 6),
		};

		if (origin && !strcmp(origin, "pk"))
			it.kind = "primary key";
		else if (origin && !strcmp(origin, "u"))
			it.kind = "unique constraint";
		else
			it.kind = sqlite3_column_int(st, 2)   ? "unique index"
				  : sqlite3_column_int(st, 4) ? "partial index"
							      : "index";
		if (!it.name || !it.on)
			continue;
		error = emit(ctx, &it);
	}
	sqlite3_finalize(st);
	if (!error && rc != SQLITE_DONE)
		goto fail;
	st = NULL;
	rc = sqlite3_prepare_v2(db, virtual_sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		sqlite3_bind_text(st, 1, like ? like : "%", -1, SQLITE_STATIC);
	while (!error && next_row(st, &rc)) {
		const char *name = col_text(st, 0), *sql = col_text(st, 1);
		char on[256];
		struct gm_schema_item it = {
			.name = name, .columns = col_text(st, 2), .definition = sql};

		if (!name)
			continue;
		fts_content(sql, name, on, sizeof(on));
		it.on = on;
		it.kind = sql && strstr(sql, "fts") ? "fulltext index" : "virtual table";
		error = emit(ctx, &it);
	}
	sqlite3_finalize(st);
	if (error || rc == SQLITE_DONE)
		return error;
fail:
	if ((rc & 0xff) == SQLITE_NOMEM)
		return GM_ENOMEM;
	return gm_error_set(GM_EIO, "cannot list the indexes of '%s': %s",
			    sqlite3_db_filename(db, "main"), sqlite3_errmsg(db));
}

static int sqlite_describe_schema(struct gm_backend *b,
				  int (*emit)(void *ctx, const struct gm_schema_item *it),
				  void *ctx)
{
	return gm__sqlite_schema(((struct sq *)b)->db, "gmig\\_%", emit, ctx);
}

/* ---- writing ---- */

static int put_labels(struct gm_buf *b, const struct gm_record *r)
{
	int error = 0;

	gm_buf_clear(b);
	gm_buf_putc(b, '[');
	for (size_t i = 0; i < r->nlabels; i++) {
		if (i)
			gm_buf_putc(b, ',');
		if ((error = gm_json_put_string(b, r->labels[i].p ? r->labels[i].p : "",
						r->labels[i].len, 0)) < 0)
			return error;
	}
	gm_buf_putc(b, ']');
	return b->oom ? GM_ENOMEM : 0;
}

static int put_props(struct gm_buf *b, const struct gm_record *r)
{
	gm_buf_clear(b);
	return gm_tjson_write_props(b, r->props, r->nprops, 0);
}

/* Runs a single-row lookup of a run by key; *run = -1 when there is no row. */
static int run_of(struct sq *s, enum stmt_id id, struct gm_str key, int64_t *run)
{
	sqlite3_stmt *st = s->st[id];
	int rc;

	bind_str(st, 1, key);
	rc = sqlite3_step(st);
	*run = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_error(s, rc, "cannot look up a key");
}

static int dup_key(struct sq *s, const struct gm_record *r)
{
	const char *what = r->kind == GM_NODE ? "node" : "relationship";

	return gm_error_set(GM_EDATA,
			    "invalid %s '%.*s' for '%s': a %s with this key was already written "
			    "in this run; the sqlite store cannot store two %ss with one key",
			    what, (int)(r->key.len > 200 ? 200 : r->key.len), r->key.p, s->path,
			    what, what);
}

/*
 * A write found key already stored (and left it as it was): written by this
 * run (a duplicate, or the repeated batch of a resume) or before it (the
 * --skip-duplicates / --fail-on-existing decision).
 */
static int key_was_there(struct sq *s, const struct gm_record *r, enum stmt_id id)
{
	int64_t run;
	int error;

	if ((error = run_of(s, id, r->key, &run)) < 0)
		return error;
	if (run == s->run)
		return s->replay_left ? 0 : dup_key(s, r);
	if (s->existing == GM_EXISTING_FAIL)
		return gm_error_set(GM_EDATA,
				    "invalid %s '%.*s' for '%s': its key is already in the store "
				    "(--fail-on-existing)",
				    r->kind == GM_NODE ? "node" : "relationship",
				    (int)(r->key.len > 200 ? 200 : r->key.len), r->key.p, s->path);
	if (s->existing == GM_EXISTING_SKIP)
		s->base.skipped++;
	return 0;
}

static int write_node(struct sq *s, const struct gm_record *r)
{
	sqlite3_stmt *st = s->st[s->existing == GM_EXISTING_UPSERT ? S_NODE : S_NODE_NEW];
	int64_t id = -1;
	int rc, error;

	if (!r->key.p)
		return gm_error_set(GM_EDATA, "invalid node for '%s': it has no key", s->path);
	if ((error = put_labels(&s->labels, r)) < 0 || (error = put_props(&s->props, r)) < 0)
		return error;
	bind_str(st, 1, r->key);
	sqlite3_bind_text64(st, 2, s->labels.p, s->labels.len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_text64(st, 3, s->props.p, s->props.len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_int64(st, 4, s->run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot write a node");
	if (id < 0) /* not changed: the same content, already written by this run, or kept */
		return key_was_there(s, r, S_NODE_RUN);
	st = s->st[S_DEL_LABELS];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot write a node's labels");
	st = s->st[S_ADD_LABEL];
	for (size_t i = 0; i < r->nlabels; i++) {
		sqlite3_bind_int64(st, 1, id);
		bind_str(st, 2, r->labels[i]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return sq_error(s, rc, "cannot write a node's labels");
	}
	return 0;
}

static int write_rel(struct sq *s, const struct gm_record *r)
{
	sqlite3_stmt *st = s->st[s->existing == GM_EXISTING_UPSERT ? S_REL : S_REL_NEW];
	int rc, error;

	if (!r->type.len || !r->from.p || !r->to.p)
		return gm_error_set(
			GM_EDATA,
			"invalid relationship '%.*s' for '%s': it needs a type, a start "
			"and an end",
			(int)(r->key.len > 200 ? 200 : r->key.len), r->key.p ? r->key.p : "",
			s->path);
	if ((error = put_props(&s->props, r)) < 0)
		return error;
	if (r->key.p)
		bind_str(st, 1, r->key);
	else
		sqlite3_bind_null(st, 1);
	bind_str(st, 2, r->type);
	bind_str(st, 3, r->from);
	bind_str(st, 4, r->to);
	sqlite3_bind_text64(st, 5, s->props.p, s->props.len, SQLITE_STATIC, SQLITE_UTF8);
	sqlite3_bind_int64(st, 6, s->run);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot write a relationship");
	if (sqlite3_changes(s->db) == 0 && r->key.p)
		return key_was_there(s, r, S_REL_RUN);
	return 0;
}

static int sqlite_write_batch(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	struct sq *s = (struct sq *)b;
	uint64_t nodes = 0, rels = 0, skipped = b->skipped;
	int error = 0;

	if (n == 0)
		return 0;
	if ((error = exec(s, "BEGIN IMMEDIATE")) < 0)
		return error;
	s->in_txn = 1;
	for (size_t i = 0; i < n && error == 0; i++) {
		uint64_t had = b->skipped;

		if (recs[i].kind == GM_NODE) {
			error = write_node(s, &recs[i]);
			nodes++;
		} else if (recs[i].kind == GM_REL) {
			error = write_rel(s, &recs[i]);
			rels++;
		} else {
			error = gm_error_set(GM_EINVAL, "invalid record kind %d",
					     (int)recs[i].kind);
		}
		if (b->skipped != had && b->skip_mask)
			b->skip_mask[i] = 1;
	}
	if (error == 0)
		error = exec(s, "COMMIT");
	if (error < 0) {
		/* none of the batch is written; keep the first error's message */
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_txn = 0;
		b->skipped = skipped;
		return error;
	}
	s->replay_left = s->replay_left > n ? s->replay_left - n : 0;
	s->in_txn = 0;
	b->nodes_written += nodes;
	b->rels_written += rels;
	return 0;
}

static int sqlite_commit(struct gm_backend *b)
{
	struct sq *s = (struct sq *)b;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db,
				"UPDATE gmig_runs SET finished = " NOW_SQL ", status = 'committed',"
				" nodes = ?1, relationships = ?2 WHERE id = ?3",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)b->nodes_written);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)b->rels_written);
		sqlite3_bind_int64(st, 3, s->run);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot finish the run");
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return sq_error(s, rc, "cannot checkpoint");
	/*
	 * At rest the store is one file: back to a rollback journal, so that
	 * readers (read-only) leave no -wal/-shm behind. Busy (another
	 * connection) is fine: the store stays in WAL mode.
	 */
	sqlite3_exec(s->db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	s->committed = 1;
	return 0;
}

/* ---- open / close ---- */

static void remove_files(const char *path)
{
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
	char name[4096];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if ((size_t)snprintf(name, sizeof(name), "%s%s", path, ext[i]) < sizeof(name))
			unlink(name);
}

static int sqlite_close(struct gm_backend *b)
{
	struct sq *s = (struct sq *)b;

	if (!s)
		return 0;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db && s->in_txn)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (s->db && s->writing && !s->committed && !s->created && s->run > 0) {
		sqlite3_stmt *st = NULL;

		/* best effort: the batches already committed stay, tagged with the run */
		if (sqlite3_prepare_v2(s->db,
				       "UPDATE gmig_runs SET finished = " NOW_SQL
				       ", status = 'failed' WHERE id = ?1",
				       -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, s->run);
			sqlite3_step(st);
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(s->db);
	if (s->writing && s->created && !s->committed && s->path)
		remove_files(s->path);
	gm_buf_free(&s->labels);
	gm_buf_free(&s->props);
	gm_free(s->path);
	gm_free(s);
	return 0;
}

/* Continues run (resume): it must be there and neither committed nor rolled back. */
/* The status of run `run` in gmig_runs into status ("" when there is no such run). */
static int run_status(struct sq *s, int64_t run, char *status, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc;

	status[0] = '\0';
	rc = sqlite3_prepare_v2(s->db, "SELECT status FROM gmig_runs WHERE id = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			snprintf(status, len, "%s", (const char *)sqlite3_column_text(st, 0));
			rc = SQLITE_DONE;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_error(s, rc, "cannot read the runs");
}

static int continue_run(struct sq *s, int64_t run)
{
	sqlite3_stmt *st = NULL;
	char status[32] = "";
	int rc, error;

	if ((error = run_status(s, run, status, sizeof(status))) < 0)
		return error;
	if (!status[0])
		return gm_error_set(GM_ENOTFOUND,
				    "cannot resume run %" PRId64 ": '%s' has no such run", run,
				    s->path);
	if (strcmp(status, "running") && strcmp(status, "failed"))
		return gm_error_set(GM_EINVAL, "cannot resume run %" PRId64 " in '%s': it is %s",
				    run, s->path, status);
	st = NULL;
	rc = sqlite3_prepare_v2(s->db, "UPDATE gmig_runs SET status = 'running' WHERE id = ?1", -1,
				&st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot resume the run");
	s->run = run;
	return 0;
}

static int open_write(struct sq *s, const struct gm_open_opts *o)
{
	static const enum stmt_id wstmts[] = {S_NODE,	    S_NODE_NEW,	 S_REL_NEW, S_NODE_RUN,
					      S_DEL_LABELS, S_ADD_LABEL, S_REL,	    S_REL_RUN};
	struct stat sb;
	enum layout l;
	sqlite3_stmt *st = NULL;
	int rc, error;

	if (stat(s->path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			return gm_error_set(GM_EINVAL, "'%s' is not a regular file", s->path);
		if (sb.st_size > 0 && !has_sqlite_magic(s->path))
			return gm_error_set(GM_EINVAL,
					    "'%s' exists and is not a SQLite database; gmig does "
					    "not write a store over it",
					    s->path);
	} else if (errno == ENOENT) {
		s->created = 1;
	} else {
		return gm_error_set(GM_EIO, "cannot open '%s': %s", s->path, strerror(errno));
	}
	rc = sqlite3_open_v2(s->path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "cannot open");
	sqlite3_busy_timeout(s->db, BUSY_MS);
	if ((error = check_layout(s, &l)) < 0)
		return error;
	if ((error = exec(s, "PRAGMA journal_mode = WAL")) < 0 ||
	    (error = exec(s, "PRAGMA synchronous = NORMAL")) < 0 ||
	    (error = exec(s, "PRAGMA cache_size = " CACHE_KIB)) < 0)
		return error;
	if (l == L_EMPTY) {
		if ((error = exec(s, "BEGIN IMMEDIATE")) < 0)
			return error;
		/* another process may have made the store meanwhile */
		if ((error = check_layout(s, &l)) < 0 ||
		    (l == L_EMPTY && (error = exec(s, schema_sql)) < 0)) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return error;
		}
		if ((error = exec(s, "COMMIT")) < 0)
			return error;
	}
	if ((error = exec(s, undo_sql)) < 0 || (error = exec(s, undo_triggers_sql)) < 0)
		return error;
	s->existing = o->existing;
	if (o->run > 0) {
		s->replay_left = o->batch_size ? o->batch_size : 10000;
		if ((error = continue_run(s, o->run)) < 0)
			return error;
		goto prepared;
	}
	rc = sqlite3_prepare_v2(s->db,
				"INSERT INTO gmig_runs(started, status, uri) VALUES (" NOW_SQL
				", 'running', ?1)",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, s->path, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot start a run");
	s->run = sqlite3_last_insert_rowid(s->db);
prepared:
	s->base.run = s->run;
	for (size_t i = 0; i < sizeof(wstmts) / sizeof(wstmts[0]); i++)
		if ((error = prepare(s, wstmts[i])) < 0)
			return error;
	return 0;
}

static int open_read(struct sq *s)
{
	struct stat sb;
	enum layout l;
	uint64_t nodes = 0, rels = 0;
	int rc, error;

	if (stat(s->path, &sb) != 0)
		return gm_error_set(errno == ENOENT ? GM_ENOTFOUND : GM_EIO, "cannot open '%s': %s",
				    s->path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return gm_error_set(GM_EINVAL, "'%s' is not a regular file", s->path);
	if (!has_sqlite_magic(s->path))
		return gm_error_set(GM_EINVAL,
				    "'%s' is not a SQLite database (so not a gmig store)", s->path);
	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return sq_error(s, rc, "cannot open");
	sqlite3_busy_timeout(s->db, BUSY_MS);
	if ((error = check_layout(s, &l)) < 0)
		return error;
	if ((error = sqlite_count(&s->base, &nodes, &rels)) < 0)
		return error;
	s->base.progress_total = nodes + rels;
	if ((error = prepare(s, S_READ_NODES)) < 0 || (error = prepare(s, S_READ_RELS)) < 0)
		return error;
	return 0;
}

static int sqlite_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct sq *s = gm_calloc(1, sizeof(*s));
	int error;

	*out = NULL;
	if (!s)
		return GM_ENOMEM;
	if (!(s->path = gm_strdup(location))) {
		gm_free(s);
		return GM_ENOMEM;
	}
	s->writing = o->mode == GM_OPEN_WRITE;
	if (!location[0] || !strcmp(location, "-") || !strcmp(location, ":memory:"))
		error = gm_error_set(GM_EINVAL,
				     "the sqlite store needs a file name ('sqlite:graph.gmig.db')");
	else
		error = s->writing ? open_write(s, o) : open_read(s);
	if (error < 0) {
		sqlite_close(&s->base);
		return error;
	}
	*out = &s->base;
	return 0;
}

/* Every batch is committed (WAL, synchronous=NORMAL: durable when the process dies). */
static int sqlite_sync(struct gm_backend *b, uint64_t *pos)
{
	(void)b;
	*pos = 0;
	return 0;
}

/* ---- rollback of a run ---- */

static int count_of(struct sq *s, const char *sql, int64_t run, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			*n = (uint64_t)sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : sq_error(s, rc, "cannot read the run");
}

static int exec_run(struct sq *s, const char *sql, int64_t run)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sq_error(s, rc, "cannot roll back");
}

static const char *const rollback_sql[] = {
	/* rows the run changed get their content from before it back */
	"UPDATE gmig_nodes SET labels = u.labels, properties = u.properties, run = u.prev_run"
	" FROM gmig_undo AS u WHERE u.run = ?1 AND u.kind = 0 AND u.key = gmig_nodes.key",
	"DELETE FROM gmig_node_labels WHERE node IN (SELECT n.id FROM gmig_nodes AS n"
	" JOIN gmig_undo AS u ON u.key = n.key WHERE u.run = ?1 AND u.kind = 0)",
	"INSERT OR IGNORE INTO gmig_node_labels(node, label) SELECT n.id, j.value"
	" FROM gmig_undo AS u JOIN gmig_nodes AS n ON n.key = u.key, json_each(n.labels) AS j"
	" WHERE u.run = ?1 AND u.kind = 0",
	"UPDATE gmig_relationships SET type = u.type, start_key = u.start_key,"
	" end_key = u.end_key, properties = u.properties, run = u.prev_run"
	" FROM gmig_undo AS u WHERE u.run = ?1 AND u.kind = 1 AND u.key = gmig_relationships.key",
	/* what is still tagged with the run was created by it */
	"DELETE FROM gmig_node_labels WHERE node IN (SELECT id FROM gmig_nodes WHERE run = ?1)",
	"DELETE FROM gmig_nodes WHERE run = ?1", "DELETE FROM gmig_relationships WHERE run = ?1",
	"DELETE FROM gmig_undo WHERE run = ?1",
	"UPDATE gmig_runs SET status = 'rolled back', finished = " NOW_SQL " WHERE id = ?1", NULL};

static int rollback_in(struct sq *s, int64_t run, uint64_t *nodes, uint64_t *rels)
{
	sqlite3_stmt *st = NULL;
	char status[32] = "";
	int64_t later = 0;
	int rc, error;

	if ((error = run_status(s, run, status, sizeof(status))) < 0)
		return error;
	if (!status[0])
		return gm_error_set(GM_ENOTFOUND, "'%s' has no run %" PRId64, s->path, run);
	if (!strcmp(status, "rolled back"))
		return gm_error_set(GM_EINVAL, "run %" PRId64 " in '%s' is already rolled back",
				    run, s->path);
	st = NULL;
	rc = sqlite3_prepare_v2(
		s->db, "SELECT run FROM gmig_undo WHERE prev_run = ?1 AND run <> ?1 LIMIT 1", -1,
		&st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			later = sqlite3_column_int64(st, 0);
			rc = SQLITE_DONE;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_error(s, rc, "cannot read the undo log");
	if (later)
		return gm_error_set(GM_EINVAL,
				    "run %" PRId64 " changed rows that run %" PRId64
				    " wrote in '%s'; roll back run %" PRId64 " first",
				    later, run, s->path, later);
	/* every row the run created or changed is tagged with it */
	if ((error = count_of(s, "SELECT count(*) FROM gmig_nodes WHERE run = ?1", run, nodes)) <
		    0 ||
	    (error = count_of(s, "SELECT count(*) FROM gmig_relationships WHERE run = ?1", run,
			      rels)) < 0)
		return error;
	for (size_t i = 0; rollback_sql[i]; i++)
		if ((error = exec_run(s, rollback_sql[i], run)) < 0)
			return error;
	return 0;
}

static int sqlite_rollback(const char *location, int64_t run, uint64_t *nodes, uint64_t *rels)
{
	struct sq *s = gm_calloc(1, sizeof(*s));
	enum layout l;
	int rc, error;

	*nodes = *rels = 0;
	if (!s)
		return GM_ENOMEM;
	if (!(s->path = gm_strdup(location))) {
		gm_free(s);
		return GM_ENOMEM;
	}
	if (!has_sqlite_magic(s->path)) {
		error = gm_error_set(GM_EINVAL, "'%s' is not a gmig store", s->path);
		goto out;
	}
	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		error = sq_error(s, rc, "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(s->db, BUSY_MS);
	s->writing = 1;
	if ((error = check_layout(s, &l)) < 0)
		goto out;
	if (l != L_GMIG) {
		error = gm_error_set(GM_EINVAL, "'%s' is an empty database, not a gmig store",
				     s->path);
		goto out;
	}
	/* a store from before gmig_undo: nothing was changed with a pre-image */
	if ((error = exec(s, undo_sql)) < 0 || (error = exec(s, "BEGIN IMMEDIATE")) < 0)
		goto out;
	if ((error = rollback_in(s, run, nodes, rels)) < 0 || (error = exec(s, "COMMIT")) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_exec(s->db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
out:
	sqlite3_close(s->db);
	gm_free(s->path);
	gm_free(s);
	return error;
}

static const char *const sqlite_suffixes[] = {".gmig.db", ".gmig.sqlite", NULL};

const struct gm_backend_ops gm_backend_sqlite = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "sqlite",
	.summary = "gmig's embedded graph store in one SQLite file (typed values, upserts on key)",
	.suffixes = sqlite_suffixes,
	.caps = GM_CAP_READ | GM_CAP_WRITE | GM_CAP_FILE | GM_CAP_COUNT | GM_CAP_TXN |
		GM_CAP_EXISTING,
	.types = GM_TYPES_ALL,
	.open = sqlite_open,
	.read_next = sqlite_read_next,
	.write_batch = sqlite_write_batch,
	.count = sqlite_count,
	.commit = sqlite_commit,
	.close = sqlite_close,
	.probe_path = sqlite_probe_path,
	.sync = sqlite_sync,
	.rollback = sqlite_rollback,
	.digest = sqlite_digest,
	.describe_schema = sqlite_describe_schema,
};
