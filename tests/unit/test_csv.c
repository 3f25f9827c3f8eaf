/* SPDX-License-Identifier: MIT */
/* Unit tests of the csv backend (neo4j-admin import CSV directories). */
#include <dirent.h>
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

#include "buf.h"
#include "gmig/sys/backend.h"
#include "valtext.h"

int gm__csv_open_mem(struct gm_backend **out, const void *data, size_t len, const char *name);
extern const struct gm_backend_ops gm_backend_csv;

/* ---- helpers ---- */

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/gmig-csv-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static void rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		char p[1024];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		rm_rf(p);
	}
	closedir(d);
	rmdir(path);
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(tmpdir);
	return 0;
}

static char *tpath(const char *name)
{
	static char p[8][512];
	static int k;

	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[1 << 16];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A readable one-line form of a value, for exact assertions. */
static void dump_value(struct gm_buf *b, const struct gm_value *v)
{
	switch (v->type) {
	case GM_T_NULL: gm_buf_puts(b, "null"); break;
	case GM_T_BOOL: gm_buf_puts(b, v->u.b ? "true" : "false"); break;
	case GM_T_INT: gm_buf_put_i64(b, v->u.i); break;
	case GM_T_FLOAT:
		gm_buf_puts(b, "F:");
		gm_fmt_double(b, v->u.f);
		break;
	case GM_T_STRING:
		gm_buf_putc(b, '"');
		gm_buf_put(b, v->u.s.p, v->u.s.len);
		gm_buf_putc(b, '"');
		break;
	case GM_T_BYTES:
		gm_buf_puts(b, "bytes:");
		gm_base64_encode(b, (const unsigned char *)v->u.s.p, v->u.s.len);
		break;
	case GM_T_LIST:
		gm_buf_putc(b, '[');
		for (size_t i = 0; i < v->u.list.n; i++) {
			if (i)
				gm_buf_putc(b, ',');
			dump_value(b, &v->u.list.v[i]);
		}
		gm_buf_putc(b, ']');
		break;
	case GM_T_VECTOR:
		gm_buf_puts(b, "vec[");
		for (size_t i = 0; i < v->u.vec.n; i++) {
			if (i)
				gm_buf_putc(b, ',');
			gm_fmt_float32(b, v->u.vec.v[i]);
		}
		gm_buf_putc(b, ']');
		break;
	default: gm_buf_printf(b, "%s:", gm_type_name(v->type)); gm_value_format_text(b, v);
	}
}

static void dump_record(struct gm_buf *b, const struct gm_record *r)
{
	if (r->kind == GM_NODE) {
		gm_buf_printf(b, "(%.*s", (int)r->key.len, r->key.p);
		for (size_t i = 0; i < r->nlabels; i++)
			gm_buf_printf(b, ":%.*s", (int)r->labels[i].len, r->labels[i].p);
	} else {
		gm_buf_printf(b, "(%.*s)-[", (int)r->from.len, r->from.p);
		if (r->key.p)
			gm_buf_printf(b, "%.*s", (int)r->key.len, r->key.p);
		gm_buf_printf(b, ":%.*s", (int)r->type.len, r->type.p);
	}
	for (size_t i = 0; i < r->nprops; i++) {
		gm_buf_printf(b, " %.*s=", (int)r->props[i].key.len, r->props[i].key.p);
		dump_value(b, &r->props[i].val);
	}
	if (r->kind == GM_NODE)
		gm_buf_puts(b, ")");
	else
		gm_buf_printf(b, "]->(%.*s)", (int)r->to.len, r->to.p);
}

/*
 * Reads every record of a backend into one text, a line per record; errors
 * (GM_EDATA) appear as "! message" lines. Returns the final code.
 */
static int read_all_b(struct gm_backend *b, struct gm_buf *out)
{
	struct gm_arena *a;
	int error;

	assert_int_equal(gm_arena_new(&a), 0);
	for (;;) {
		struct gm_record r;

		error = b->ops->read_next(b, &r, a);
		if (error == GM_ITEROVER) {
			error = 0;
			break;
		}
		if (error == GM_EDATA) {
			gm_buf_printf(out, "! %s\n", gm_error_last());
			continue;
		}
		if (error < 0)
			break;
		dump_record(out, &r);
		gm_buf_putc(out, '\n');
		gm_arena_reset(a);
	}
	gm_arena_free(a);
	return error;
}

static char *read_dir(const char *loc)
{
	static struct gm_buf out;
	struct gm_backend *b = NULL;
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	char uri[600];

	gm_buf_free(&out);
	snprintf(uri, sizeof(uri), "csv:%s", loc);
	if (gm_backend_open(&b, uri, &o) < 0) {
		gm_buf_printf(&out, "open: %s", gm_error_last());
		return out.p;
	}
	if (read_all_b(b, &out) < 0)
		gm_buf_printf(&out, "fatal: %s\n", gm_error_last());
	gm_backend_close(b);
	return out.p ? out.p : (char *)"";
}

static char *read_mem(const char *text)
{
	static struct gm_buf out;
	struct gm_backend *b = NULL;

	gm_buf_free(&out);
	if (gm__csv_open_mem(&b, text, strlen(text), "t.csv") < 0) {
		gm_buf_printf(&out, "open: %s", gm_error_last());
		return out.p;
	}
	if (read_all_b(b, &out) < 0)
		gm_buf_printf(&out, "fatal: %s\n", gm_error_last());
	b->ops->close(b);
	return out.p ? out.p : (char *)"";
}

static struct gm_backend *open_w(const char *dir, unsigned flags)
{
	struct gm_backend *b = NULL;
	struct gm_open_opts o = {.mode = GM_OPEN_WRITE, .flags = flags};
	char uri[600];

	snprintf(uri, sizeof(uri), "csv:%s", dir);
	assert_int_equal(gm_backend_open(&b, uri, &o), 0);
	return b;
}

/* record builders */
static struct gm_value V_int(int64_t i)
{
	struct gm_value v = {.type = GM_T_INT, .u.i = i};
	return v;
}
static struct gm_value V_f(double f)
{
	struct gm_value v = {.type = GM_T_FLOAT, .u.f = f};
	return v;
}
static struct gm_value V_s(const char *s)
{
	struct gm_value v = {.type = GM_T_STRING, .u.s = {s, strlen(s)}};
	return v;
}
static struct gm_value V_b(int b)
{
	struct gm_value v = {.type = GM_T_BOOL, .u.b = b};
	return v;
}
static struct gm_value V_text(enum gm_type t, const char *s, struct gm_arena *a)
{
	struct gm_value v;

	assert_int_equal(gm_value_parse_text(t, s, strlen(s), a, &v), 0);
	return v;
}
static struct gm_value V_list(struct gm_value *items, size_t n)
{
	struct gm_value v = {.type = GM_T_LIST, .u.list = {items, n}};
	return v;
}
static struct gm_prop P(const char *k, struct gm_value v) {
	struct gm_prop p = {{k, strlen(k)}, v};
	return p;
}

static struct gm_record
node(const char *key, struct gm_str *labels, size_t nl, struct gm_prop *props, size_t np)
{
	struct gm_record r;

	memset(&r, 0, sizeof(r));
	r.kind = GM_NODE;
	r.key = gm_str_c(key);
	r.labels = labels;
	r.nlabels = nl;
	r.props = props;
	r.nprops = np;
	return r;
}

static struct gm_record rel(const char *key, const char *from, const char *type, const char *to,
			    struct gm_prop *props, size_t np)
{
	struct gm_record r;

	memset(&r, 0, sizeof(r));
	r.kind = GM_REL;
	if (key)
		r.key = gm_str_c(key);
	r.from = gm_str_c(from);
	r.to = gm_str_c(to);
	r.type = gm_str_c(type);
	r.props = props;
	r.nprops = np;
	return r;
}

/* ---- reading ---- */

static void test_read_movies(void **state)
{
	char dir[1024];
	const char *data = getenv("GMIG_TEST_DATA");

	(void)state;
	snprintf(dir, sizeof(dir), "%s/csv/movies", data ? data : "tests/data");
	assert_string_equal(
		read_dir(dir),
		"(Movie-ID:1:Movie movieId=\"1\" title=\"The Matrix\" year=1999)\n"
		"(Movie-ID:2:Movie:Sequel movieId=\"2\" title=\"The Matrix Reloaded\" year=2003)\n"
		"(Movie-ID:3:Movie:Sequel movieId=\"3\" title=\"The Matrix Revolutions\" "
		"year=2003)\n"
		"(Actor-ID:1:Actor personId=\"1\" name=\"Keanu Reeves\")\n"
		"(Actor-ID:2:Actor personId=\"2\" name=\"Laurence Fishburne\")\n"
		"(Actor-ID:3:Actor personId=\"3\" name=\"Carrie-Anne Moss\")\n"
		"(Actor-ID:1)-[:ACTED_IN role=\"Neo\"]->(Movie-ID:1)\n"
		"(Actor-ID:1)-[:ACTED_IN role=\"Neo\"]->(Movie-ID:2)\n"
		"(Actor-ID:1)-[:ACTED_IN role=\"Neo\"]->(Movie-ID:3)\n"
		"(Actor-ID:2)-[:ACTED_IN role=\"Morpheus\"]->(Movie-ID:1)\n"
		"(Actor-ID:3)-[:ACTED_IN role=\"Trinity\"]->(Movie-ID:1)\n");
}

/* The same files without import.args: grouped by the header files' names. */
static void test_read_scan_headers(void **state)
{
	(void)state;
	/* relationships sort first by name but are read after the nodes */
	put_file(tpath("a_roles_header.csv"), ":START_ID(P),:END_ID(M),:TYPE\n");
	put_file(tpath("a_roles.csv"), "p1,m1,ACTED_IN\n");
	put_file(tpath("movies_header.csv"), "id:ID(M),title,:LABEL\n");
	put_file(tpath("movies_part1.csv"), "m1,One,Movie\n");
	put_file(tpath("movies_part2.csv"), "m2,Two,Movie\n");
	put_file(tpath("people.csv"), ":ID(P),name\np1,Ann\n");
	assert_string_equal(read_dir(tmpdir), "(M:m1:Movie id=\"m1\" title=\"One\")\n"
					      "(M:m2:Movie id=\"m2\" title=\"Two\")\n"
					      "(P:p1 name=\"Ann\")\n"
					      "(P:p1)-[:ACTED_IN]->(M:m1)\n");
}

/* One ID space (or none): keys are the id text. */
static void test_read_single_space(void **state)
{
	(void)state;
	put_file(tpath("n.csv"), ":ID(Person),name\n1,Ann\n2,Bob\n");
	put_file(tpath("r.csv"),
		 ":START_ID(Person),:END_ID(Person),:TYPE,since:int\n1,2,KNOWS,2001\n");
	assert_string_equal(read_dir(tmpdir), "(1 name=\"Ann\")\n(2 name=\"Bob\")\n"
					      "(1)-[:KNOWS since=2001]->(2)\n");
}

static void test_read_typed(void **state)
{
	(void)state;
	/* the examples of the manual */
	assert_string_equal(read_mem(":ID,name,joined:date,active:boolean,points:int\n"
				     "user01,Joe Soap,2017-05-05,true,10\n"
				     "user02,Jane Doe,2017-05-06,True,-3\n"),
			    "(user01 name=\"Joe Soap\" joined=Date:2017-05-05 active=true "
			    "points=10)\n"
			    "(user02 name=\"Jane Doe\" joined=Date:2017-05-06 active=false "
			    "points=-3)\n");
	assert_string_equal(
		read_mem(":ID,name,location:point{crs:WGS-84}\n"
			 "city01,\"Malmö\",\"{latitude:55.6121514, longitude:12.9950357}\"\n"
			 "city02,\"London\",\"{y:51.507222, x:-0.1275}\"\n"
			 "city03,\"San Mateo\",\"{latitude:37.554167, longitude:-122.313056, "
			 "height: 100, crs:'WGS-84-3d'}\"\n"),
		"(city01 name=\"Malmö\" location=Point:SRID=4326;POINT (12.9950357 55.6121514))\n"
		"(city02 name=\"London\" location=Point:SRID=4326;POINT (-0.1275 51.507222))\n"
		"(city03 name=\"San Mateo\" location=Point:SRID=4979;POINT Z (-122.313056 "
		"37.554167 100.0))\n");
	assert_string_equal(read_mem(":ID,p:point\n"
				     "a,\"{x:1, y:2}\"\n"
				     "b,\"{x:1, y:2, z:3}\"\n"
				     "c,\"{longitude:1, latitude:2, srid:4326}\"\n"),
			    "(a p=Point:SRID=7203;POINT (1.0 2.0))\n"
			    "(b p=Point:SRID=9157;POINT Z (1.0 2.0 3.0))\n"
			    "(c p=Point:SRID=4326;POINT (1.0 2.0))\n");
	/* every scalar type, widened as neo4j-admin does */
	assert_string_equal(
		read_mem(":ID,i:int,l:long,s:short,b:byte,f:float,d:double,c:char,t:string,"
			 "lt:localtime,tm:time,ldt:localdatetime,dt:datetime,du:duration\n"
			 "x,1,-9223372036854775808,-32768,127,1.5,2.5e300,c,txt,12:50:35.556,"
			 "12:50:35+01:00,2015-07-04T19:32:24,2015-06-24T12:50:35.556+01:00,"
			 "P14M3DT1H2M3.5S\n"),
		"(x i=1 l=-9223372036854775808 s=-32768 b=127 f=F:1.5 d=F:2.5e+300 c=\"c\" "
		"t=\"txt\" lt=LocalTime:12:50:35.556 tm=Time:12:50:35+01:00 "
		"ldt=LocalDateTime:2015-07-04T19:32:24 dt=DateTime:2015-06-24T12:50:35.556+01:00 "
		"du=Duration:P1Y2M3DT1H2M3.5S)\n");
	/* default zones in the header; a value may override */
	assert_string_equal(
		read_mem(":ID,d:datetime{timezone:Europe/Stockholm},"
			 "t:time{timezone:+02:00},u:datetime\n"
			 "a,2018-05-10T12:30:00,12:30:00,2018-05-10T12:30:00\n"
			 "b,2018-05-10T12:30:00[Europe/Berlin],12:30:00Z,"
			 "2018-05-10T12:30:00-05:00\n"),
		"(a d=DateTime:2018-05-10T12:30:00[Europe/Stockholm] t=Time:12:30:00+02:00 "
		"u=DateTime:2018-05-10T12:30:00Z)\n"
		"(b d=DateTime:2018-05-10T12:30:00[Europe/Berlin] t=Time:12:30:00Z "
		"u=DateTime:2018-05-10T12:30:00-05:00)\n");
}

static void test_read_arrays(void **state)
{
	(void)state;
	assert_string_equal(
		read_mem(":ID,a:int[],b:string[],c:boolean[],d:double[],e:date[],"
			 "f:byte[],g:point[],:LABEL\n"
			 "n,1;2;3,x;y z;,true;false;TRUE,1.5;-2,2020-01-01;2021-02-03,"
			 "1;-1;127,\"{x:1,y:2};{x:3,y:4}\",A;B;;C\n"),
		"(n:A:B:C a=[1,2,3] b=[\"x\",\"y z\",\"\"] c=[true,false,false] "
		"d=[F:1.5,F:-2.0] e=[Date:2020-01-01,Date:2021-02-03] f=bytes:Af9/ "
		"g=[Point:SRID=7203;POINT (1.0 2.0),Point:SRID=7203;POINT (3.0 4.0)])\n");
	/* empty array fields are absent (CSV cannot tell empty from absent) */
	assert_string_equal(read_mem(":ID,a:int[],s:string\nn,,\nm,\"\",\"\"\n"),
			    "(n)\n(m s=\"\")\n");
	assert_string_equal(read_mem(":ID,\"v:vector{coordinateType:float,dimensions:3}\"\n"
				     "n,1.5;2;-0.25\n"),
			    "(n v=vec[1.5,2.0,-0.25])\n");
}

static void test_read_ignore_and_key(void **state)
{
	(void)state;
	assert_string_equal(read_mem(":START_ID,:END_ID,:TYPE,skip:IGNORE,gmig_key:IGNORE,w:long\n"
				     "a,b,T,zzz,k1,1\n"
				     "a,b,T,zzz,,2\n"
				     "a,b,T,zzz,\"\",3\n"),
			    "(a)-[k1:T w=1]->(b)\n"
			    "(a)-[:T w=2]->(b)\n"
			    "(a)-[:T w=3]->(b)\n");
}

static void test_read_bad_rows(void **state)
{
	(void)state;
	assert_string_equal(
		read_mem(":ID,n:int,name\n"
			 "a,1,x\n"
			 "b,2\n"
			 "c,zz,y\n"
			 "d,4,z,extra\n"
			 "e,300000000000,w\n"
			 ",5,v\n"
			 "f,6,\"ok\"\n"),
		"(a n=1 name=\"x\")\n"
		"! invalid node in 't.csv' (line 3): 2 fields, the header has 3 columns\n"
		"! invalid node in 't.csv' (line 4, column 2 \"n:int\"): 'zz' is not an integer\n"
		"! invalid node in 't.csv' (line 5): 4 fields, the header has 3 columns\n"
		"! invalid node in 't.csv' (line 6, column 2 \"n:int\"): 300000000000 is out of "
		"range for 32-bit integers\n"
		"! invalid node in 't.csv' (line 7, column 1 \":ID\"): missing node id\n"
		"(f n=6 name=\"ok\")\n");
	/* line numbers count the lines of multi-line fields */
	assert_string_equal(read_mem(":ID,t,d:date\n"
				     "a,\"one\ntwo\nthree\",2020-01-01\n"
				     "b,x,2020-13-01\n"
				     "c,y,\"{bad\n"),
			    "(a t=\"one\ntwo\nthree\" d=Date:2020-01-01)\n"
			    "! invalid node in 't.csv' (line 5, column 3 \"d:date\"): invalid Date "
			    "'2020-13-01': month out of range\n"
			    "! invalid CSV in 't.csv' (line 6): quoted field never ends\n");
	assert_string_equal(
		read_mem(":ID,p:point\na,\"{x:1}\"\nb,\"{x:1,y:2,q:3}\"\nc,\"{x:1,y:2}\"\n"),
		"! invalid node in 't.csv' (line 2, column 2 \"p:point\"): point "
		"'{x:1}' needs two coordinates\n"
		"! invalid node in 't.csv' (line 3, column 2 \"p:point\"): unknown point "
		"key 'q'\n"
		"(c p=Point:SRID=7203;POINT (1.0 2.0))\n");
	assert_string_equal(
		read_mem(":START_ID,:END_ID,:TYPE\na,b,\n,b,T\n"),
		"! invalid relationship in 't.csv' (line 2): missing relationship type\n"
		"! invalid relationship in 't.csv' (line 3, column 1 \":START_ID\"): "
		"missing start node id\n");
}

static void test_read_bad_header(void **state)
{
	(void)state;
	assert_string_equal(read_mem(":ID,x:nosuch\n"),
			    "open: invalid header in 't.csv' (column 2 \"x:nosuch\"): unknown type "
			    "'nosuch'");
	assert_string_equal(
		read_mem(":ID,a,a:int\n"),
		"open: invalid header in 't.csv' (column 3 \"a:int\"): property appears "
		"twice");
	assert_string_equal(
		read_mem(":ID,,x\n"),
		"open: invalid header in 't.csv' (column 2 \"\"): a column needs a name or "
		"a type");
	assert_string_equal(
		read_mem(":ID,:int\n"),
		"open: invalid header in 't.csv' (column 2 \":int\"): a property column "
		"needs a name");
	assert_string_equal(
		read_mem(":ID,:ID\n"),
		"open: invalid header in 't.csv' (column 2 \":ID\"): composite ids are not "
		"supported");
	assert_string_equal(read_mem(":START_ID,:TYPE\n"),
			    "open: invalid header in 't.csv': a relationship file needs :START_ID "
			    "and :END_ID");
}

static void test_read_quoting(void **state)
{
	(void)state;
	/* BOM, CRLF, blank lines, doubled quotes, delimiter in quotes, quoted vs bare empty */
	assert_string_equal(read_mem("\xEF\xBB\xBF:ID,s,t\r\n"
				     "a,\"x \"\"q\"\", y\",\r\n"
				     "\r\n"
				     "\n"
				     "b,\"\",\"cr\r\nlf\"\r\n"
				     "c,\"ab\"cd,plain\"quote\n"
				     "d, lead ,\"\"\"\""),
			    "(a s=\"x \"q\", y\")\n"
			    "(b s=\"\" t=\"cr\r\nlf\")\n"
			    "(c s=\"abcd\" t=\"plain\"quote\")\n"
			    "(d s=\" lead \" t=\"\"\")\n");
	/* a node file without :ID: nodes named by file and line */
	assert_string_equal(read_mem("name,:LABEL\nAnn,P\n"), "(t.csv:2:P name=\"Ann\")\n");
}

static void test_read_args_options(void **state)
{
	(void)state;
	mkdir(tpath("in"), 0777);
	put_file(tpath("in/n.tsv"), "id:ID\tv:int[]\n1\t1|2\n");
	put_file(tpath("in/r.tsv"), ":START_ID\t:END_ID\n1\t1\n");
	put_file(tpath("in/import.args"), "# comment --nodes=nothing.csv\n"
					  "--delimiter=TAB --array-delimiter \"|\"\n"
					  "--nodes=Person:Admin=n.tsv\n"
					  "--relationships=SELF=r.tsv\n"
					  "neo4j\n");
	assert_string_equal(read_dir(tpath("in")), "(1:Person:Admin id=\"1\" v=[1,2])\n"
						   "(1)-[:SELF]->(1)\n");
}

/* ---- writing ---- */

static void test_write_exact(void **state)
{
	struct gm_str la[] = {{"Person", 6}};
	struct gm_str lb[] = {{"Person", 6}, {"Admin", 5}};
	struct gm_prop pa[] = {P("age", V_int(30)), P("name", V_s("Ann"))};
	struct gm_prop pb[] = {P("name", V_s("Bob \"B\", Jr.")), P("score", V_f(1.5))};
	struct gm_prop pr[] = {P("since", V_int(2020))};
	struct gm_record nodes[] = {node("a", la, 1, pa, 2), node("b", lb, 2, pb, 2),
				    node("c", NULL, 0, NULL, 0)};
	struct gm_record rels[] = {rel(NULL, "a", "KNOWS", "b", pr, 1),
				   rel("r2", "b", "LIKES", "c", NULL, 0)};
	const char *out = tpath("g");
	struct gm_backend *b = open_w(out, 0);

	(void)state;
	assert_int_equal(b->ops->write_batch(b, nodes, 1), 0);
	assert_int_equal(b->ops->write_batch(b, nodes + 1, 2), 0);
	assert_int_equal(b->ops->write_batch(b, rels, 2), 0);
	assert_false(exists(out));
	assert_true(exists(tpath("g.tmp")));
	assert_int_equal(gm_backend_commit(b), 0);
	assert_int_equal(b->nodes_written, 3);
	assert_int_equal(b->rels_written, 2);
	gm_backend_close(b);
	assert_false(exists(tpath("g.tmp")));
	assert_string_equal(slurp(tpath("g/nodes.csv")),
			    ":ID,age:long,name:string,score:double,:LABEL\n"
			    "a,30,Ann,,Person\n"
			    "b,,\"Bob \"\"B\"\", Jr.\",1.5,Person;Admin\n"
			    "c,,,,\n");
	assert_string_equal(slurp(tpath("g/relationships.csv")),
			    ":START_ID,:END_ID,:TYPE,since:long,gmig_key:IGNORE\n"
			    "a,b,KNOWS,2020,\n"
			    "b,c,LIKES,,r2\n");
	assert_string_equal(slurp(tpath("g/import.args")),
			    "# neo4j-admin import arguments written by gmig; from this directory "
			    "run\n"
			    "#   neo4j-admin database import full @import.args <database>\n"
			    "--nodes=nodes.csv\n--relationships=relationships.csv\n");
	assert_string_equal(read_dir(out), "(a:Person age=30 name=\"Ann\")\n"
					   "(b:Person:Admin name=\"Bob \"B\", Jr.\" score=F:1.5)\n"
					   "(c)\n"
					   "(a)-[:KNOWS since=2020]->(b)\n"
					   "(b)-[r2:LIKES]->(c)\n");
}

static void test_write_empty_and_multiline(void **state)
{
	struct gm_prop p[] = {P("t", V_s("two\nlines")), P("e", V_s("")), P("sp", V_s(" x"))};
	struct gm_record n[] = {node("", NULL, 0, p, 3)};
	struct gm_record r[] = {rel("", "", "T", "", NULL, 0)};
	struct gm_backend *b = open_w(tpath("m"), 0);

	(void)state;
	assert_int_equal(b->ops->write_batch(b, n, 1), 0);
	assert_int_equal(b->ops->write_batch(b, r, 1), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	assert_string_equal(slurp(tpath("m/nodes.csv")), ":ID,t:string,e:string,sp:string,:LABEL\n"
							 "\"\",\"two\nlines\",\"\",\" x\",\n");
	assert_string_equal(slurp(tpath("m/relationships.csv")),
			    ":START_ID,:END_ID,:TYPE,gmig_key:IGNORE\n\"\",\"\",T,\"\"\n");
	assert_non_null(strstr(slurp(tpath("m/import.args")), "--multiline-fields=true"));
	assert_string_equal(read_dir(tpath("m")), "( t=\"two\nlines\" e=\"\" sp=\" x\")\n"
						  "()-[:T]->()\n");

	/* an empty graph */
	b = open_w(tpath("e"), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	assert_string_equal(slurp(tpath("e/nodes.csv")), ":ID,:LABEL\n");
	assert_string_equal(slurp(tpath("e/relationships.csv")), ":START_ID,:END_ID,:TYPE\n");
	assert_string_equal(read_dir(tpath("e")), "");
}

static const struct gm_prop *find_prop(const struct gm_record *r, const char *k)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (r->props[i].key.len == strlen(k) && !memcmp(r->props[i].key.p, k, strlen(k)))
			return &r->props[i];
	return NULL;
}

static void test_roundtrip_all_types(void **state)
{
	struct gm_arena *a;
	struct gm_backend *b;
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	struct gm_value li[3], lf[2], ls[3], lb[2], ld[2], lp[2], ldu[2], ldt[2];
	struct gm_value bytes = {.type = GM_T_BYTES, .u.s = {"\x01\xff\x00\x80", 4}};
	struct gm_prop props[40];
	size_t np = 0;
	struct gm_record rec[2];
	char uri[600];

	(void)state;
	assert_int_equal(gm_arena_new(&a), 0);
	li[0] = V_int(INT64_MIN), li[1] = V_int(0), li[2] = V_int(INT64_MAX);
	lf[0] = V_f(-0.0), lf[1] = V_f(1e-300);
	ls[0] = V_s("a,b"), ls[1] = V_s("quote\"d"), ls[2] = V_s("new\nline");
	lb[0] = V_b(1), lb[1] = V_b(0);
	ld[0] = V_text(GM_T_DATE, "-0001-01-01", a), ld[1] = V_text(GM_T_DATE, "+12345-06-07", a);
	lp[0] = V_text(GM_T_POINT, "SRID=4326;POINT (1.5 -2.25)", a);
	lp[1] = V_text(GM_T_POINT, "SRID=4326;POINT (0.0 0.0)", a);
	ldu[0] = V_text(GM_T_DURATION, "P1Y2M", a), ldu[1] = V_text(GM_T_DURATION, "PT-0.5S", a);
	ldt[0] = V_text(GM_T_DATETIME, "2015-06-24T12:50:35.556+01:00[Europe/Berlin]", a);
	ldt[1] = V_text(GM_T_DATETIME, "2015-06-24T12:50:35[Europe/Berlin]", a);
	props[np++] = P("bool", V_b(1));
	props[np++] = P("boolf", V_b(0));
	props[np++] = P("int", V_int(-42));
	props[np++] = P("negzero", V_f(-0.0));
	props[np++] = P("nan", V_f(NAN));
	props[np++] = P("inf", V_f(-INFINITY));
	props[np++] = P("pi", V_f(3.141592653589793));
	props[np++] = P("str", V_s("x,y\n\"z\";\r\n end "));
	props[np++] = P("strempty", V_s(""));
	props[np++] = P("utf8", V_s("Malmö ☃"));
	props[np++] = P("bytes", bytes);
	props[np++] = P("date", V_text(GM_T_DATE, "2015-07-04", a));
	props[np++] = P("ltime", V_text(GM_T_LOCALTIME, "12:50:35.000000001", a));
	props[np++] = P("time", V_text(GM_T_TIME, "12:50:35.556+01:00:30", a));
	props[np++] = P("ldt", V_text(GM_T_LOCALDATETIME, "2015-07-04T19:32:24.5", a));
	props[np++] = P("dt", V_text(GM_T_DATETIME, "2015-06-24T12:50:35.556Z", a));
	props[np++] = P("dtzone", ldt[0]);
	props[np++] = P("dtzoneonly", ldt[1]);
	props[np++] = P("dur", V_text(GM_T_DURATION, "P14M3DT1H2M3.5S", a));
	props[np++] = P("p2", V_text(GM_T_POINT, "SRID=7203;POINT (1.0 2.0)", a));
	props[np++] = P("p3", V_text(GM_T_POINT, "SRID=9157;POINT Z (1.0 2.0 -3.5)", a));
	props[np++] = P("g2", V_text(GM_T_POINT, "SRID=4326;POINT (12.99 55.61)", a));
	props[np++] = P("g3", V_text(GM_T_POINT, "SRID=4979;POINT Z (12.99 55.61 100.0)", a));
	props[np++] = P("lint", V_list(li, 3));
	props[np++] = P("lfloat", V_list(lf, 2));
	props[np++] = P("lstr", V_list(ls, 3));
	props[np++] = P("lbool", V_list(lb, 2));
	props[np++] = P("ldate", V_list(ld, 2));
	props[np++] = P("lpoint", V_list(lp, 2));
	props[np++] = P("ldur", V_list(ldu, 2));
	props[np++] = P("ldtlist", V_list(ldt, 2));
	props[np++] = P("one", V_list(li + 1, 1));
	rec[0] = node("n\"1,\n", NULL, 0, props, np);
	rec[1] = rel("r", "n\"1,\n", "T,T", "n\"1,\n", props, np);
	b = open_w(tpath("rt"), 0);
	if (b->ops->write_batch(b, rec, 2) < 0)
		fail_msg("%s", gm_error_last());
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);

	snprintf(uri, sizeof(uri), "csv:%s", tpath("rt"));
	assert_int_equal(gm_backend_open(&b, uri, &o), 0);
	for (int k = 0; k < 2; k++) {
		struct gm_record r;

		assert_int_equal(b->ops->read_next(b, &r, a), 0);
		assert_int_equal(r.kind, rec[k].kind);
		assert_true(gm_str_eq(r.key, rec[k].key));
		assert_int_equal(r.nprops, np);
		if (k) {
			assert_true(gm_str_eq(r.from, rec[k].from));
			assert_true(gm_str_eq(r.to, rec[k].to));
			assert_true(gm_str_eq(r.type, rec[k].type));
		}
		for (size_t i = 0; i < np; i++) {
			const struct gm_prop *p = find_prop(&r, props[i].key.p);

			assert_non_null(p);
			if (!gm_value_equal(&p->val, &props[i].val))
				fail_msg("property %s differs", props[i].key.p);
		}
	}
	{
		struct gm_record r;

		assert_int_equal(b->ops->read_next(b, &r, a), GM_ITEROVER);
	}
	gm_backend_close(b);
	gm_arena_free(a);
}

/* A Vector is written as float[] and read back as a List of Float (the limit). */
static void test_vector_limit(void **state)
{
	float f[] = {1.5f, 0.1f};
	struct gm_value v = {.type = GM_T_VECTOR, .u.vec = {f, 2}};
	struct gm_prop p[] = {P("v", v)};
	struct gm_record n[] = {node("a", NULL, 0, p, 1)};
	struct gm_backend *b = open_w(tpath("v"), 0);

	(void)state;
	assert_false(gm_backend_csv.types & GM_TYPE_BIT(GM_T_VECTOR));
	assert_int_equal(b->ops->write_batch(b, n, 1), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	assert_string_equal(slurp(tpath("v/nodes.csv")), ":ID,v:float[],:LABEL\na,1.5;0.1,\n");
	assert_string_equal(read_dir(tpath("v")), "(a v=[F:1.5,F:0.1])\n");
}

static void expect_refusal(struct gm_record *r, const char *msg)
{
	struct gm_backend *b = open_w(tpath("x"), 0);

	assert_int_equal(b->ops->write_batch(b, r, 1), GM_EUNSUPPORTED);
	assert_string_equal(gm_error_last(), msg);
	gm_backend_close(b);
	assert_false(exists(tpath("x")));
	assert_false(exists(tpath("x.tmp")));
}

static void test_refusals(void **state)
{
	struct gm_value empty = {.type = GM_T_LIST, .u.list = {NULL, 0}};
	struct gm_value mixed_items[2], nested_items[1], semi_items[2], nul_items[1];
	struct gm_value map = {.type = GM_T_MAP};
	struct gm_value null = {.type = GM_T_NULL};
	struct gm_value ebytes = {.type = GM_T_BYTES, .u.s = {"", 0}};
	struct gm_value badpt = {.type = GM_T_POINT, .u.pt = {1234, 2, 1, 2, 0}};
	struct gm_str semi[] = {{"A;B", 3}};
	struct gm_prop p[1];
	struct gm_record r;

	(void)state;
	mixed_items[0] = V_int(1), mixed_items[1] = V_s("x");
	nested_items[0] = V_list(mixed_items, 1);
	semi_items[0] = V_s("a;b"), semi_items[1] = V_s("c");
	nul_items[0] = null;

	p[0] = P("p", null);
	r = node("n1", NULL, 0, p, 1);
	expect_refusal(&r, "csv cannot store node 'n1': property 'p': null values cannot be stored "
			   "(CSV cannot tell null from absent)");
	p[0] = P("m", map);
	expect_refusal(&r,
		       "csv cannot store node 'n1': property 'm': maps cannot be stored in CSV");
	p[0] = P("l", empty);
	expect_refusal(&r, "csv cannot store node 'n1': property 'l': an empty list cannot be "
			   "stored (CSV cannot tell an empty list from a missing one)");
	p[0] = P("l", V_list(mixed_items, 2));
	expect_refusal(&r, "csv cannot store node 'n1': property 'l': lists of mixed types cannot "
			   "be stored in CSV");
	p[0] = P("l", V_list(nested_items, 1));
	expect_refusal(&r, "csv cannot store node 'n1': property 'l': nested lists and maps in "
			   "lists cannot be stored in CSV");
	p[0] = P("l", V_list(nul_items, 1));
	expect_refusal(&r, "csv cannot store node 'n1': property 'l': lists holding null cannot be "
			   "stored in CSV");
	p[0] = P("l", V_list(semi_items, 2));
	expect_refusal(&r, "csv cannot store node 'n1': property 'l': a list element contains the "
			   "array delimiter ';'");
	p[0] = P("b", ebytes);
	expect_refusal(&r, "csv cannot store node 'n1': property 'b': empty Bytes cannot be stored "
			   "(CSV cannot tell empty from absent)");
	p[0] = P("pt", badpt);
	expect_refusal(&r, "csv cannot store node 'n1': property 'pt': a point whose SRID neo4j "
			   "does not know cannot be stored");
	r = node("n1", semi, 1, NULL, 0);
	expect_refusal(&r, "csv cannot store node 'n1': label 'A;B' contains the array delimiter "
			   "';'");
	p[0] = P("p", null);
	r = rel(NULL, "a", "T", "b", p, 1);
	expect_refusal(&r, "csv cannot store relationship 'a'-[T]->'b': property 'p': null values "
			   "cannot be stored (CSV cannot tell null from absent)");
	r = rel("k", "a", "T", "b", p, 1);
	expect_refusal(&r, "csv cannot store relationship 'k': property 'p': null values cannot be "
			   "stored (CSV cannot tell null from absent)");
}

/* A refused batch writes nothing, not even the columns its good records brought. */
static void test_refusal_batch_atomic(void **state)
{
	struct gm_prop p1[] = {P("a", V_int(1))};
	struct gm_prop p2[] = {P("x", V_int(1)), P("a", V_s("text"))};
	struct gm_prop p3[] = {P("a", V_int(2))};
	struct gm_record batch[] = {node("n1", NULL, 0, p1, 1), node("n2", NULL, 0, p2, 2)};
	struct gm_record ok[] = {node("n3", NULL, 0, p3, 1)};
	struct gm_backend *b = open_w(tpath("at"), 0);

	(void)state;
	assert_int_equal(b->ops->write_batch(b, batch, 2), GM_EUNSUPPORTED);
	assert_string_equal(gm_error_last(), "csv cannot store node 'n2': property 'a' is String "
					     "but its column has type long");
	assert_int_equal(b->ops->write_batch(b, ok, 1), 0);
	assert_int_equal(b->ops->write_batch(b, batch + 1, 1), GM_EUNSUPPORTED);
	assert_int_equal(gm_backend_commit(b), 0);
	assert_int_equal(b->nodes_written, 1);
	gm_backend_close(b);
	assert_string_equal(slurp(tpath("at/nodes.csv")), ":ID,a:long,:LABEL\nn3,2,\n");
}

static void test_write_location_rules(void **state)
{
	struct gm_backend *b = NULL;
	struct gm_open_opts o = {.mode = GM_OPEN_WRITE};
	char uri[600];
	struct gm_record n[] = {node("a", NULL, 0, NULL, 0)};

	(void)state;
	mkdir(tpath("full"), 0777);
	put_file(tpath("full/old.txt"), "old");
	snprintf(uri, sizeof(uri), "csv:%s", tpath("full"));
	assert_int_equal(gm_backend_open(&b, uri, &o), GM_EINVAL);
	assert_non_null(strstr(gm_error_last(), "is not empty"));
	/* an empty directory is fine, a non-empty one with overwrite is replaced */
	mkdir(tpath("empty"), 0777);
	b = open_w(tpath("empty"), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	assert_true(exists(tpath("empty/nodes.csv")));
	b = open_w(tpath("full"), GM_OPEN_F_OVERWRITE);
	assert_int_equal(b->ops->write_batch(b, n, 1), 0);
	assert_true(exists(tpath("full/old.txt")));
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	assert_false(exists(tpath("full/old.txt")));
	assert_string_equal(read_dir(tpath("full")), "(a)\n");
	/* closed without commit: nothing is left */
	b = open_w(tpath("gone"), 0);
	assert_int_equal(b->ops->write_batch(b, n, 1), 0);
	gm_backend_close(b);
	assert_false(exists(tpath("gone")));
	assert_false(exists(tpath("gone.tmp")));
	/* a leftover "<dir>.tmp" of an interrupted run is replaced */
	mkdir(tpath("again.tmp"), 0777);
	put_file(tpath("again.tmp/nodes.body"), "junk");
	b = open_w(tpath("again"), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	assert_string_equal(read_dir(tpath("again")), "");
}

/* Allocation failures anywhere return GM_ENOMEM, never crash or leak (ASan checks leaks). */
static void test_alloc_failures(void **state)
{
	const char *text = ":ID,a:int[],p:point,s,:LABEL\nx,1;2,\"{x:1,y:2}\",hi,A;B\n";
	struct gm_prop p[] = {P("a", V_int(1)), P("s", V_s("x\ny"))};
	struct gm_record n[] = {node("a", NULL, 0, p, 2)};

	(void)state;
	for (unsigned long k = 1; k < 200; k++) {
		struct gm_backend *b = NULL;
		struct gm_arena *a = NULL;
		struct gm_record r;
		int error;

		gm_alloc_fail_after(k, 1);
		error = gm__csv_open_mem(&b, text, strlen(text), "t.csv");
		if (error >= 0 && (error = gm_arena_new(&a)) >= 0)
			while ((error = b->ops->read_next(b, &r, a)) == 0)
				;
		gm_alloc_fail_after(0, 0);
		assert_true(error == GM_ENOMEM || error == GM_ITEROVER);
		gm_arena_free(a);
		if (b)
			b->ops->close(b);
	}
	for (unsigned long k = 1; k < 200; k++) {
		struct gm_backend *b = NULL;
		struct gm_open_opts o = {.mode = GM_OPEN_WRITE};
		char uri[600];
		int error;

		snprintf(uri, sizeof(uri), "csv:%s", tpath("af"));
		gm_alloc_fail_after(k, 1);
		error = gm_backend_open(&b, uri, &o);
		if (error >= 0 && (error = b->ops->write_batch(b, n, 1)) >= 0)
			error = gm_backend_commit(b);
		gm_alloc_fail_after(0, 0);
		gm_backend_close(b);
		assert_true(error == GM_ENOMEM || error == 0);
		if (error == 0) {
			assert_string_equal(read_dir(tpath("af")), "(a a=1 s=\"x\ny\")\n");
			rm_rf(tpath("af"));
		} else {
			assert_false(exists(tpath("af.tmp")));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_movies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_scan_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_single_space, setup, teardown),
		cmocka_unit_test(test_read_typed),
		cmocka_unit_test(test_read_arrays),
		cmocka_unit_test(test_read_ignore_and_key),
		cmocka_unit_test(test_read_bad_rows),
		cmocka_unit_test(test_read_bad_header),
		cmocka_unit_test(test_read_quoting),
		cmocka_unit_test_setup_teardown(test_read_args_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_empty_and_multiline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_all_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vector_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_batch_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_location_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
