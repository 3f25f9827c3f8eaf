/* SPDX-License-Identifier: MIT */
/* Unit tests of the sqlite backend: gmig's embedded graph store. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "gmig/sys/backend.h"
#include "sqlitestore.h"

extern const struct gm_backend_ops gm_backend_sqlite;
static const struct gm_backend_ops *ops = &gm_backend_sqlite;

static char dir[64];
static char path[128];

/* ---- a counting allocator: live and peak bytes of gm_malloc ---- */

static size_t live, peak;

static void *count_malloc(size_t n, void *ctx)
{
	size_t *p = malloc(n + 16);

	(void)ctx;
	if (!p)
		return NULL;
	*p = n;
	live += n;
	if (live > peak)
		peak = live;
	return (char *)p + 16;
}

static void count_free(void *q, void *ctx)
{
	(void)ctx;
	if (!q)
		return;
	live -= *(size_t *)((char *)q - 16);
	free((char *)q - 16);
}

static void *count_realloc(void *q, size_t n, void *ctx)
{
	size_t old;
	size_t *p;

	if (!q)
		return count_malloc(n, ctx);
	old = *(size_t *)((char *)q - 16);
	if (!(p = realloc((char *)q - 16, n + 16)))
		return NULL;
	*p = n;
	live = live - old + n;
	if (live > peak)
		peak = live;
	return (char *)p + 16;
}

/* ---- helpers ---- */

static int exists(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0;
}

static void remove_store(const char *p)
{
	char n[256];

	unlink(p);
	snprintf(n, sizeof(n), "%s-wal", p);
	unlink(n);
	snprintf(n, sizeof(n), "%s-shm", p);
	unlink(n);
	snprintf(n, sizeof(n), "%s-journal", p);
	unlink(n);
}

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "%s/g.gmig.db", dir);
	remove_store(path);
	return 0;
}

static struct gm_backend *open_store(const char *p, enum gm_open_mode mode)
{
	struct gm_open_opts o = {.mode = mode};
	struct gm_backend *b = NULL;
	int error = ops->open(&b, p, &o);

	if (error < 0)
		fail_msg("open '%s': %s", p, gm_error_last());
	b->ops = ops;
	return b;
}

static void write_all(const char *p, const struct gm_record *recs, size_t n)
{
	struct gm_backend *b = open_store(p, GM_OPEN_WRITE);

	assert_int_equal(ops->write_batch(b, recs, n), 0);
	assert_int_equal(ops->commit(b), 0);
	ops->close(b);
}

static int64_t query_int(const char *p, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void run_sql(const char *p, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static struct gm_record node(const char *key, struct gm_str *labels, size_t nlabels,
			     struct gm_prop *props, size_t nprops)
{
	struct gm_record r;

	memset(&r, 0, sizeof(r));
	r.kind = GM_NODE;
	r.key = gm_str_c(key);
	r.labels = labels;
	r.nlabels = nlabels;
	r.props = props;
	r.nprops = nprops;
	return r;
}

static struct gm_record rel(const char *key, const char *type, const char *from, const char *to)
{
	struct gm_record r;

	memset(&r, 0, sizeof(r));
	r.kind = GM_REL;
	if (key)
		r.key = gm_str_c(key);
	r.type = gm_str_c(type);
	r.from = gm_str_c(from);
	r.to = gm_str_c(to);
	return r;
}

static void assert_records_equal(const struct gm_record *a, const struct gm_record *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_true((a->key.p == NULL) == (b->key.p == NULL));
	assert_true(gm_str_eq(a->key, b->key));
	assert_int_equal(a->nlabels, b->nlabels);
	for (size_t i = 0; i < a->nlabels; i++)
		assert_true(gm_str_eq(a->labels[i], b->labels[i]));
	if (a->kind == GM_REL) {
		assert_true(gm_str_eq(a->type, b->type));
		assert_true(gm_str_eq(a->from, b->from));
		assert_true(gm_str_eq(a->to, b->to));
	}
	assert_int_equal(a->nprops, b->nprops);
	for (size_t i = 0; i < a->nprops; i++) {
		assert_true(gm_str_eq(a->props[i].key, b->props[i].key));
		if (!gm_value_equal(&a->props[i].val, &b->props[i].val))
			fail_msg("property '%s' differs after the round trip", a->props[i].key.p);
	}
}

/* Reads the whole store and compares it with want[0..n). */
static void assert_store(const char *p, const struct gm_record *want, size_t n)
{
	struct gm_backend *b = open_store(p, GM_OPEN_READ);
	struct gm_arena *a;
	struct gm_record r;
	size_t i = 0;
	int error;

	assert_int_equal(gm_arena_new(&a), 0);
	while ((error = ops->read_next(b, &r, a)) == 0) {
		assert_true(i < n);
		assert_records_equal(&want[i], &r);
		i++;
		gm_arena_reset(a);
	}
	assert_int_equal(error, GM_ITEROVER);
	assert_int_equal(i, n);
	assert_int_equal(b->progress_done, n);
	assert_int_equal(b->progress_total, n);
	gm_arena_free(a);
	ops->close(b);
}

/* ---- tests ---- */

static void test_every_type_round_trips(void **state)
{
	static const char bytes[] = {0, 1, 2, (char)0xff};
	static const char nulstr[] = "a\0b";
	float vec[] = {1.5f, -0.0f, 3.25f};
	struct gm_value list[3], inner[1];
	struct gm_prop map[2], nested[1];
	struct gm_prop p[24];
	struct gm_str labels[] = {gm_str_c("A"), gm_str_c("B")};
	struct gm_record recs[4];
	size_t k = 0;

	(void)state;
	memset(p, 0, sizeof(p));
	p[k].key = gm_str_c("a_null");
	p[k++].val.type = GM_T_NULL;
	p[k].key = gm_str_c("b_bool");
	p[k].val.type = GM_T_BOOL;
	p[k++].val.u.b = 1;
	p[k].key = gm_str_c("c_int");
	p[k].val.type = GM_T_INT;
	p[k++].val.u.i = INT64_MIN;
	p[k].key = gm_str_c("c_int_big");
	p[k].val.type = GM_T_INT;
	p[k++].val.u.i = 9007199254740993LL;
	p[k].key = gm_str_c("d_float");
	p[k].val.type = GM_T_FLOAT;
	p[k++].val.u.f = 0.1;
	p[k].key = gm_str_c("d_float_nan");
	p[k].val.type = GM_T_FLOAT;
	p[k++].val.u.f = NAN;
	p[k].key = gm_str_c("d_float_negzero");
	p[k].val.type = GM_T_FLOAT;
	p[k++].val.u.f = -0.0;
	p[k].key = gm_str_c("d_float_inf");
	p[k].val.type = GM_T_FLOAT;
	p[k++].val.u.f = -INFINITY;
	p[k].key = gm_str_c("e_string");
	p[k].val.type = GM_T_STRING;
	p[k].val.u.s.p = nulstr;
	p[k++].val.u.s.len = 3;
	p[k].key = gm_str_c("e_unicode");
	p[k].val.type = GM_T_STRING;
	p[k++].val.u.s = gm_str_c("\xc3\xa9\xf0\x9f\x98\x80 \"q\"\n");
	p[k].key = gm_str_c("f_bytes");
	p[k].val.type = GM_T_BYTES;
	p[k].val.u.s.p = bytes;
	p[k++].val.u.s.len = sizeof(bytes);
	list[0].type = GM_T_INT;
	list[0].u.i = 1;
	list[1].type = GM_T_STRING;
	list[1].u.s = gm_str_c("x");
	list[2].type = GM_T_DATE;
	memset(&list[2].u.t, 0, sizeof(list[2].u.t));
	list[2].u.t.secs = 18262;
	p[k].key = gm_str_c("g_list");
	p[k].val.type = GM_T_LIST;
	p[k].val.u.list.v = list;
	p[k++].val.u.list.n = 3;
	/* a user map with exactly the keys $type and _value */
	map[0].key = gm_str_c("$type");
	map[0].val.type = GM_T_STRING;
	map[0].val.u.s = gm_str_c("Date");
	map[1].key = gm_str_c("_value");
	map[1].val.type = GM_T_STRING;
	map[1].val.u.s = gm_str_c("2020-01-01");
	p[k].key = gm_str_c("h_map_typed_keys");
	p[k].val.type = GM_T_MAP;
	p[k].val.u.map.p = map;
	p[k++].val.u.map.n = 2;
	inner[0].type = GM_T_DURATION;
	inner[0].u.d = (struct gm_duration){14, -3, 7200, 500000000};
	nested[0].key = gm_str_c("d");
	nested[0].val.type = GM_T_LIST;
	nested[0].val.u.list.v = inner;
	nested[0].val.u.list.n = 1;
	p[k].key = gm_str_c("h_map_nested");
	p[k].val.type = GM_T_MAP;
	p[k].val.u.map.p = nested;
	p[k++].val.u.map.n = 1;
	p[k].key = gm_str_c("i_date");
	p[k].val.type = GM_T_DATE;
	p[k++].val.u.t.secs = -719162;
	p[k].key = gm_str_c("j_localtime");
	p[k].val.type = GM_T_LOCALTIME;
	p[k].val.u.t.secs = 3723;
	p[k++].val.u.t.nanos = 123456789;
	p[k].key = gm_str_c("k_time");
	p[k].val.type = GM_T_TIME;
	p[k].val.u.t.secs = 86399;
	p[k].val.u.t.offset = -5 * 3600;
	p[k++].val.u.t.has_offset = 1;
	p[k].key = gm_str_c("l_localdatetime");
	p[k].val.type = GM_T_LOCALDATETIME;
	p[k].val.u.t.secs = 1577836800;
	p[k++].val.u.t.nanos = 1;
	p[k].key = gm_str_c("m_datetime_offset");
	p[k].val.type = GM_T_DATETIME;
	p[k].val.u.t.secs = 1577836800;
	p[k].val.u.t.offset = 3600;
	p[k++].val.u.t.has_offset = 1;
	p[k].key = gm_str_c("m_datetime_zone");
	p[k].val.type = GM_T_DATETIME;
	p[k].val.u.t.secs = 1577836800;
	p[k].val.u.t.offset = 3600;
	p[k].val.u.t.has_offset = 1;
	p[k++].val.u.t.zone = gm_str_c("Europe/Berlin");
	p[k].key = gm_str_c("n_duration");
	p[k].val.type = GM_T_DURATION;
	p[k++].val.u.d = (struct gm_duration){-1, 2, -1, 500000000};
	p[k].key = gm_str_c("o_point2d");
	p[k].val.type = GM_T_POINT;
	p[k++].val.u.pt = (struct gm_point){4326, 2, 13.4, 52.5, 0};
	p[k].key = gm_str_c("o_point3d");
	p[k].val.type = GM_T_POINT;
	p[k++].val.u.pt = (struct gm_point){9157, 3, 1.0, -2.5, 1e-300};
	p[k].key = gm_str_c("p_vector");
	p[k].val.type = GM_T_VECTOR;
	p[k].val.u.vec.v = vec;
	p[k++].val.u.vec.n = 3;
	assert_true(k <= sizeof(p) / sizeof(p[0]));

	recs[0] = node("n1", labels, 2, p, k);
	recs[1] = node("", NULL, 0, NULL, 0); /* the empty key is a key */
	recs[2] = rel("r1", "T", "n1", "");
	recs[2].props = p;
	recs[2].nprops = k;
	recs[3] = rel(NULL, "T", "n1", "missing"); /* keyless and dangling: kept */
	{
		uint32_t seen = 0;

		for (size_t i = 0; i < k; i++)
			seen |= gm_value_types(&p[i].val);
		assert_int_equal(seen, GM_TYPES_ALL);
	}
	write_all(path, recs, 4);
	assert_store(path, recs, 4);
}

static void test_multiple_labels(void **state)
{
	struct gm_str l3[] = {gm_str_c("Alpha"), gm_str_c("Beta"), gm_str_c("Ga:mma \"x\"")};
	struct gm_str l1[] = {gm_str_c("Beta")};
	struct gm_record recs[] = {node("a", l3, 3, NULL, 0), node("b", l1, 1, NULL, 0),
				   node("c", NULL, 0, NULL, 0)};

	(void)state;
	write_all(path, recs, 3);
	assert_store(path, recs, 3);
	assert_int_equal(query_int(path, "SELECT count(*) FROM gmig_node_labels"), 4);
	assert_int_equal(
		query_int(path, "SELECT count(*) FROM gmig_node_labels WHERE label='Beta'"), 2);
	/* the label index is there and used for label lookups */
	assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE type='index'"
					 " AND name='gmig_node_labels_label'"),
			 1);
	/* a later run changes the labels: the label rows follow */
	recs[0].nlabels = 1;
	write_all(path, recs, 3);
	assert_store(path, recs, 3);
	assert_int_equal(query_int(path, "SELECT count(*) FROM gmig_node_labels"), 2);
	assert_int_equal(query_int(path, "SELECT run FROM gmig_nodes WHERE key='a'"), 2);
	assert_int_equal(query_int(path, "SELECT run FROM gmig_nodes WHERE key='b'"), 1);
}

static void test_rerun_upserts(void **state)
{
	struct gm_prop p[1];
	struct gm_record recs[4];
	struct gm_backend *b;
	uint64_t nodes = 0, rels = 0;

	(void)state;
	memset(p, 0, sizeof(p));
	p[0].key = gm_str_c("x");
	p[0].val.type = GM_T_INT;
	p[0].val.u.i = 1;
	recs[0] = node("a", NULL, 0, p, 1);
	recs[1] = node("b", NULL, 0, NULL, 0);
	recs[2] = rel("r1", "K", "a", "b");
	recs[3] = rel("r2", "K", "b", "a");
	write_all(path, recs, 4);
	write_all(path, recs, 4);
	b = open_store(path, GM_OPEN_READ);
	assert_int_equal(ops->count(b, &nodes, &rels), 0);
	assert_int_equal(nodes, 2);
	assert_int_equal(rels, 2);
	ops->close(b);
	assert_store(path, recs, 4);
	/* the second run changed nothing, so no row is its */
	assert_int_equal(query_int(path, "SELECT count(*) FROM gmig_runs WHERE status='committed'"),
			 2);
	assert_int_equal(query_int(path, "SELECT count(*) FROM gmig_nodes WHERE run=2"), 0);
	assert_int_equal(query_int(path, "SELECT nodes FROM gmig_runs WHERE id=2"), 2);
	/* a third run with a changed property and relationship end updates in place */
	p[0].val.u.i = 2;
	recs[3].to = gm_str_c("b");
	write_all(path, recs, 4);
	assert_store(path, recs, 4);
	assert_int_equal(query_int(path, "SELECT id FROM gmig_nodes WHERE key='a'"), 1);
	assert_int_equal(query_int(path, "SELECT run FROM gmig_nodes WHERE key='a'"), 3);
	assert_int_equal(query_int(path, "SELECT run FROM gmig_relationships WHERE key='r2'"), 3);
	assert_int_equal(query_int(path, "SELECT run FROM gmig_relationships WHERE key='r1'"), 1);
}

static void test_duplicate_key_in_one_run(void **state)
{
	struct gm_record ok[] = {node("a", NULL, 0, NULL, 0)};
	struct gm_record dup[] = {node("b", NULL, 0, NULL, 0), node("b", NULL, 0, NULL, 0)};
	struct gm_record rdup[] = {rel("r", "K", "a", "a"), rel("r", "K", "a", "a")};
	struct gm_backend *b;

	(void)state;
	b = open_store(path, GM_OPEN_WRITE);
	assert_int_equal(ops->write_batch(b, ok, 1), 0);
	assert_int_equal(ops->write_batch(b, dup, 2), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "invalid node 'b'"));
	assert_non_null(strstr(gm_error_last(), "cannot store two nodes with one key"));
	/* the whole batch was rolled back: "b" is not there, and can be written once */
	assert_int_equal(ops->write_batch(b, dup, 1), 0);
	assert_int_equal(ops->write_batch(b, rdup, 2), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "two relationships with one key"));
	assert_int_equal(ops->write_batch(b, rdup, 1), 0);
	assert_int_equal(ops->write_batch(b, ok, 1), GM_EDATA); /* also across batches */
	assert_int_equal(ops->commit(b), 0);
	assert_int_equal(b->nodes_written, 2);
	assert_int_equal(b->rels_written, 1);
	ops->close(b);
	assert_int_equal(query_int(path, "SELECT count(*) FROM gmig_nodes"), 2);
	assert_int_equal(query_int(path, "SELECT count(*) FROM gmig_relationships"), 1);
}

static void test_keyless_relationships(void **state)
{
	struct gm_record recs[] = {node("a", NULL, 0, NULL, 0), rel(NULL, "K", "a", "a"),
				   rel(NULL, "K", "a", "a"), rel("", "K", "a", "a")};
	struct gm_backend *b;
	uint64_t nodes, rels;

	(void)state;
	write_all(path, recs, 4);
	assert_store(path, recs, 4); /* NULL key and the empty key stay apart */
	assert_int_equal(
		query_int(path, "SELECT count(*) FROM gmig_relationships WHERE key IS NULL"), 2);
	/* a re-run duplicates keyless relationships (documented), not keyed ones */
	write_all(path, recs, 4);
	b = open_store(path, GM_OPEN_READ);
	assert_int_equal(ops->count(b, &nodes, &rels), 0);
	assert_int_equal(nodes, 1);
	assert_int_equal(rels, 5);
	ops->close(b);
}

static void test_nul_bytes_in_keys(void **state)
{
	struct gm_record recs[] = {node("a", NULL, 0, NULL, 0), node("a", NULL, 0, NULL, 0),
				   rel("r", "K", "a", "a")};

	(void)state;
	recs[1].key.len = 3; /* "a\0" plus the terminator byte: a different key */
	recs[1].key.p = "a\0b";
	recs[2].to = recs[1].key;
	write_all(path, recs, 3);
	assert_store(path, recs, 3);
}

static void test_other_sqlite_refused(void **state)
{
	char other[160], buf[256];
	struct gm_open_opts w = {.mode = GM_OPEN_WRITE};
	struct gm_open_opts r = {.mode = GM_OPEN_READ};
	struct gm_backend *b = NULL;

	(void)state;
	snprintf(other, sizeof(other), "%s/other.db", dir);
	remove_store(other);
	run_sql(other, "CREATE TABLE users(id INTEGER); CREATE TABLE orders(id INTEGER);");
	assert_int_equal(ops->open(&b, other, &w), GM_EINVAL);
	assert_null(b);
	assert_non_null(strstr(gm_error_last(), "not a gmig store (tables: orders, users)"));
	assert_int_equal(ops->open(&b, other, &r), GM_EINVAL);
	assert_non_null(strstr(gm_error_last(), "not a gmig store (tables: orders, users)"));
	assert_int_equal(query_int(other, "SELECT count(*) FROM sqlite_master"), 2); /* untouched */
	assert_int_equal(ops->probe_path(other), 0);
	assert_int_equal(gm__sqlite_describe(other, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "orders, users");

	/* the registry names the tables of a plain path nobody claims */
	assert_int_equal(gm_backend_open(&b, other, &r), GM_EINVAL);
	assert_non_null(strstr(gm_error_last(), "is a SQLite database but not a gmig store or a "
						"MemoryGraph database (tables: orders, users)"));

	/* a MemoryGraph database is named as one */
	remove_store(other);
	run_sql(other, "CREATE TABLE nodes(id TEXT PRIMARY KEY, label TEXT, properties TEXT);"
		       "CREATE TABLE relationships(id TEXT, from_id TEXT, to_id TEXT);");
	assert_int_equal(ops->open(&b, other, &w), GM_EINVAL);
	assert_non_null(strstr(gm_error_last(), "is a MemoryGraph database, not a gmig store"));

	/* not SQLite at all */
	remove_store(other);
	run_sql(other, "SELECT 1"); /* makes nothing */
	{
		FILE *f = fopen(other, "w");

		fputs("{\"gmig\":1}\n", f);
		fclose(f);
	}
	assert_int_equal(ops->open(&b, other, &w), GM_EINVAL);
	assert_non_null(strstr(gm_error_last(), "is not a SQLite database"));
	assert_int_equal(ops->probe_path(other), 0);
	assert_int_equal(gm__sqlite_describe(other, buf, sizeof(buf)), 0);
	remove_store(other);
}

static void test_probe_and_describe(void **state)
{
	struct gm_record recs[] = {node("a", NULL, 0, NULL, 0)};
	struct gm_open_opts r = {.mode = GM_OPEN_READ};
	char plain[160], buf[256];
	struct gm_backend *b = NULL;

	(void)state;
	snprintf(plain, sizeof(plain), "%s/plain.db", dir);
	remove_store(plain);
	write_all(plain, recs, 1);
	assert_int_equal(ops->probe_path(plain), 100);
	assert_int_equal(gm__sqlite_describe(plain, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "gmig_meta"));
	/* a plain ".db" path is recognised by looking inside */
	assert_int_equal(gm_backend_open(&b, plain, &r), 0);
	assert_string_equal(b->ops->name, "sqlite");
	gm_backend_close(b);
	/* reading leaves no side files */
	snprintf(buf, sizeof(buf), "%s-wal", plain);
	assert_false(exists(buf));
	snprintf(buf, sizeof(buf), "%s-shm", plain);
	assert_false(exists(buf));
	assert_int_equal(query_int(plain, "SELECT value FROM gmig_meta WHERE key='version'"), 1);
	remove_store(plain);
	assert_int_equal(ops->probe_path(plain), 0); /* missing file */
}

static void test_new_file_removed_without_commit(void **state)
{
	struct gm_record recs[] = {node("a", NULL, 0, NULL, 0), node("b", NULL, 0, NULL, 0)};
	struct gm_backend *b;
	char n[160];

	(void)state;
	b = open_store(path, GM_OPEN_WRITE);
	assert_int_equal(ops->write_batch(b, recs, 2), 0);
	assert_true(exists(path));
	ops->close(b); /* no commit */
	assert_false(exists(path));
	snprintf(n, sizeof(n), "%s-wal", path);
	assert_false(exists(n));
	snprintf(n, sizeof(n), "%s-shm", path);
	assert_false(exists(n));

	/* an existing store is never removed: the run is marked failed */
	write_all(path, recs, 1);
	b = open_store(path, GM_OPEN_WRITE);
	assert_int_equal(ops->write_batch(b, recs + 1, 1), 0);
	ops->close(b);
	assert_true(exists(path));
	assert_int_equal(query_int(path, "SELECT count(*) FROM gmig_nodes"), 2);
	assert_int_equal(query_int(path, "SELECT count(*) FROM gmig_runs WHERE status='failed'"),
			 1);
	assert_int_equal(query_int(path, "SELECT run FROM gmig_nodes WHERE key='b'"), 2);
}

static void test_bad_row_is_skipped(void **state)
{
	struct gm_record recs[] = {node("a", NULL, 0, NULL, 0), node("b", NULL, 0, NULL, 0),
				   node("c", NULL, 0, NULL, 0)};
	struct gm_backend *b;
	struct gm_arena *a;
	struct gm_record r;

	(void)state;
	write_all(path, recs, 3);
	run_sql(path, "UPDATE gmig_nodes SET properties = '{\"x\":' WHERE key = 'b'");
	b = open_store(path, GM_OPEN_READ);
	assert_int_equal(gm_arena_new(&a), 0);
	assert_int_equal(ops->read_next(b, &r, a), 0);
	assert_int_equal(ops->read_next(b, &r, a), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "invalid node 'b' in '"));
	assert_non_null(strstr(gm_error_last(), "(row 2)"));
	assert_int_equal(ops->read_next(b, &r, a), 0);
	assert_true(gm_str_eq(r.key, gm_str_c("c")));
	assert_int_equal(ops->read_next(b, &r, a), GM_ITEROVER);
	gm_arena_free(a);
	ops->close(b);
}

static void test_newer_version_refused(void **state)
{
	struct gm_record recs[] = {node("a", NULL, 0, NULL, 0)};
	struct gm_open_opts r = {.mode = GM_OPEN_READ};
	struct gm_backend *b = NULL;

	(void)state;
	write_all(path, recs, 1);
	run_sql(path, "UPDATE gmig_meta SET value = '2' WHERE key = 'version'");
	assert_int_equal(ops->open(&b, path, &r), GM_EUNSUPPORTED);
	assert_non_null(strstr(gm_error_last(), "version 2"));
}

/* 200k records through the store: memory must not grow with the number of records */
static void test_memory_bounded(void **state)
{
	enum { N = 200000, BATCH = 1000 };
	struct gm_record batch[BATCH];
	char keys[BATCH][16];
	struct gm_prop p[1];
	struct gm_backend *b;
	struct gm_arena *a;
	struct gm_record r;
	size_t n = 0, live0;
	int error;

	(void)state;
	memset(p, 0, sizeof(p));
	p[0].key = gm_str_c("s");
	p[0].val.type = GM_T_STRING;
	p[0].val.u.s = gm_str_c("some text that is stored with every record");
	live0 = peak = live;
	sqlite3_memory_highwater(1);
	b = open_store(path, GM_OPEN_WRITE);
	for (size_t i = 0; i < N; i += BATCH) {
		for (size_t j = 0; j < BATCH; j++) {
			snprintf(keys[j], sizeof(keys[j]), "n%zu", i + j);
			if (i < N / 2)
				batch[j] = node(keys[j], NULL, 0, p, 1);
			else
				batch[j] = rel(keys[j], "K", "n1", "n2");
			batch[j].props = p;
			batch[j].nprops = 1;
		}
		assert_int_equal(ops->write_batch(b, batch, BATCH), 0);
	}
	assert_int_equal(ops->commit(b), 0);
	ops->close(b);
	assert_true(peak - live0 < 256 * 1024);

	peak = live;
	b = open_store(path, GM_OPEN_READ);
	assert_int_equal(gm_arena_new(&a), 0);
	while ((error = ops->read_next(b, &r, a)) == 0) {
		n++;
		gm_arena_reset(a);
	}
	assert_int_equal(error, GM_ITEROVER);
	assert_int_equal(n, N);
	gm_arena_free(a);
	ops->close(b);
	assert_true(peak - live0 < 256 * 1024);
	/* SQLite's own heap stays at its page cache size */
	assert_true(sqlite3_memory_highwater(0) < 32 * 1024 * 1024);
	assert_int_equal(live, live0);
}

static int teardown_all(void **state)
{
	(void)state;
	remove_store(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	static const struct gm_allocator counting = {count_malloc, count_realloc, count_free, NULL};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_every_type_round_trips, setup),
		cmocka_unit_test_setup(test_multiple_labels, setup),
		cmocka_unit_test_setup(test_rerun_upserts, setup),
		cmocka_unit_test_setup(test_duplicate_key_in_one_run, setup),
		cmocka_unit_test_setup(test_keyless_relationships, setup),
		cmocka_unit_test_setup(test_nul_bytes_in_keys, setup),
		cmocka_unit_test_setup(test_other_sqlite_refused, setup),
		cmocka_unit_test_setup(test_probe_and_describe, setup),
		cmocka_unit_test_setup(test_new_file_removed_without_commit, setup),
		cmocka_unit_test_setup(test_bad_row_is_skipped, setup),
		cmocka_unit_test_setup(test_newer_version_refused, setup),
		cmocka_unit_test_setup(test_memory_bounded, setup),
	};

	gm_set_allocator(&counting);
	snprintf(dir, sizeof(dir), "%s/gmig-sqlite.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
