/* SPDX-License-Identifier: MIT */
/* Tests for the gmig JSONL backend (src/backends/jsonl.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "valtext.h"

static char dir[] = "/tmp/gmig-test-jsonl-XXXXXX";
static char path[256];
static struct gm_arena *arena;

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/t.jsonl", dir);
	return gm_arena_new(&arena);
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	gm_arena_free(arena);
	return 0;
}

static void put_file(const char *data)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, strlen(data), f), strlen(data));
	fclose(f);
}

static char *get_file(size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)len + 1);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	p[len] = '\0';
	fclose(f);
	*n = (size_t)len;
	return p;
}

static struct gm_backend *open_read(void)
{
	struct gm_backend *b;
	struct gm_open_opts o = {.mode = GM_OPEN_READ};
	char uri[300];

	snprintf(uri, sizeof(uri), "jsonl:%s", path);
	assert_int_equal(gm_backend_open(&b, uri, &o), 0);
	return b;
}

static struct gm_backend *open_write(void)
{
	struct gm_backend *b;
	struct gm_open_opts o = {.mode = GM_OPEN_WRITE, .flags = GM_OPEN_F_OVERWRITE};

	/* chosen by the ".jsonl" ending */
	assert_int_equal(gm_backend_open(&b, path, &o), 0);
	assert_string_equal(b->ops->name, "jsonl");
	return b;
}

/* ---- the sample graph ---- */

static struct gm_str labels_ab[2] = {{"Person", 6}, {"User", 4}};
static struct gm_prop n1_props[3];
static struct gm_prop r1_props[1];
static struct gm_record sample[5];

static void build_sample(void)
{
	memset(sample, 0, sizeof(sample));
	memset(n1_props, 0, sizeof(n1_props));
	n1_props[0].key = gm_str_c("age");
	n1_props[0].val.type = GM_T_INT;
	n1_props[0].val.u.i = 42;
	n1_props[1].key = gm_str_c("born");
	n1_props[1].val.type = GM_T_DATE;
	n1_props[1].val.u.t.secs = gm_days_from_civil(1980, 1, 2);
	n1_props[2].key = gm_str_c("name");
	n1_props[2].val.type = GM_T_STRING;
	n1_props[2].val.u.s = gm_str_c("Zo\xc3\xab \"Z\"");
	memset(r1_props, 0, sizeof(r1_props));
	r1_props[0].key = gm_str_c("since");
	r1_props[0].val.type = GM_T_INT;
	r1_props[0].val.u.i = 1993;

	sample[0].kind = GM_NODE;
	sample[0].key = gm_str_c("n1");
	sample[0].labels = labels_ab;
	sample[0].nlabels = 2;
	sample[0].props = n1_props;
	sample[0].nprops = 3;
	sample[1].kind = GM_NODE;
	sample[1].key = gm_str_c("n2");
	sample[2].kind = GM_NODE;
	sample[2].key = gm_str_c("line\nbreak");
	sample[2].labels = labels_ab + 1;
	sample[2].nlabels = 1;
	sample[3].kind = GM_REL;
	sample[3].key = gm_str_c("r1");
	sample[3].type = gm_str_c("KNOWS");
	sample[3].from = gm_str_c("n1");
	sample[3].to = gm_str_c("n2");
	sample[3].props = r1_props;
	sample[3].nprops = 1;
	sample[4].kind = GM_REL;
	sample[4].type = gm_str_c("KNOWS");
	sample[4].from = gm_str_c("n1");
	sample[4].to = gm_str_c("n1");
}

static const char sample_text[] =
	"{\"gmig\":1}\n"
	"{\"type\":\"node\",\"id\":\"n1\",\"labels\":[\"Person\",\"User\"],\"properties\":{\"age\":"
	"42,"
	"\"born\":{\"$type\":\"Date\",\"_value\":\"1980-01-02\"},\"name\":\"Zo\xc3\xab "
	"\\\"Z\\\"\"}}\n"
	"{\"type\":\"node\",\"id\":\"n2\"}\n"
	"{\"type\":\"node\",\"id\":\"line\\nbreak\",\"labels\":[\"User\"]}\n"
	"{\"type\":\"relationship\",\"id\":\"r1\",\"label\":\"KNOWS\",\"start\":\"n1\",\"end\":"
	"\"n2\","
	"\"properties\":{\"since\":1993}}\n"
	"{\"type\":\"relationship\",\"label\":\"KNOWS\",\"start\":\"n1\",\"end\":\"n1\"}\n"
	"{\"gmig\":\"end\",\"nodes\":3,\"relationships\":2}\n";

static void assert_rec_equal(const struct gm_record *a, const struct gm_record *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_true(gm_str_eq(a->key, b->key));
	assert_true((a->key.p == NULL) == (b->key.p == NULL));
	assert_int_equal(a->nlabels, b->nlabels);
	for (size_t i = 0; i < a->nlabels; i++)
		assert_true(gm_str_eq(a->labels[i], b->labels[i]));
	assert_true(gm_str_eq(a->type, b->type));
	assert_true(gm_str_eq(a->from, b->from));
	assert_true(gm_str_eq(a->to, b->to));
	assert_int_equal(a->nprops, b->nprops);
	for (size_t i = 0; i < a->nprops; i++) {
		assert_true(gm_str_eq(a->props[i].key, b->props[i].key));
		assert_true(gm_value_equal(&a->props[i].val, &b->props[i].val));
	}
}

static void test_write_exact(void **state)
{
	struct gm_backend *b;
	size_t n;
	char *got;

	(void)state;
	build_sample();
	b = open_write();
	/* nothing under the final name before commit */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(b->ops->write_batch(b, sample, 2), 0);
	assert_int_equal(b->ops->write_batch(b, sample + 2, 3), 0);
	assert_int_equal(b->nodes_written, 3);
	assert_int_equal(b->rels_written, 2);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	got = get_file(&n);
	assert_string_equal(got, sample_text);
	assert_int_equal(n, sizeof(sample_text) - 1);
	free(got);
}

static void test_write_batch_atomic(void **state)
{
	struct gm_backend *b;
	struct gm_record bad[2];
	size_t n;
	char *got;

	(void)state;
	build_sample();
	b = open_write();
	assert_int_equal(b->ops->write_batch(b, sample, 1), 0);
	assert_int_equal(b->ops->write_batch(b, sample + 3, 1), 0);
	/* a node after a relationship: the whole batch is refused */
	bad[0] = sample[4];
	bad[1] = sample[1];
	assert_int_equal(b->ops->write_batch(b, bad, 2), GM_EDATA);
	assert_non_null(strstr(gm_error_last(), "nodes must come before relationships"));
	assert_int_equal(b->ops->write_batch(b, sample + 4, 1), 0);
	assert_int_equal(gm_backend_commit(b), 0);
	gm_backend_close(b);
	got = get_file(&n);
	assert_string_equal(
		got, "{\"gmig\":1}\n"
		     "{\"type\":\"node\",\"id\":\"n1\",\"labels\":[\"Person\",\"User\"],"
		     "\"properties\":{\"age\":42,\"born\":{\"$type\":\"Date\",\"_value\":"
		     "\"1980-01-02\"},\"name\":\"Zo\xc3\xab \\\"Z\\\"\"}}\n"
		     "{\"type\":\"relationship\",\"id\":\"r1\",\"label\":\"KNOWS\",\"start\":"
		     "\"n1\",\"end\":\"n2\",\"properties\":{\"since\":1993}}\n"
		     "{\"type\":\"relationship\",\"label\":\"KNOWS\",\"start\":\"n1\",\"end\":"
		     "\"n1\"}\n"
		     "{\"gmig\":\"end\",\"nodes\":1,\"relationships\":2}\n");
	free(got);
	/* not committed: nothing is left behind */
	unlink(path);
	b = open_write();
	assert_int_equal(b->ops->write_batch(b, sample, 1), 0);
	gm_backend_close(b);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_read_back(void **state)
{
	struct gm_backend *b;
	struct gm_record r;

	(void)state;
	build_sample();
	put_file(sample_text);
	b = open_read();
	assert_int_equal(b->progress_total, sizeof(sample_text) - 1);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(b->ops->read_next(b, &r, arena), 0);
		assert_rec_equal(&r, &sample[i]);
		assert_int_equal(r.line, (uint64_t)i + 2);
	}
	assert_int_equal(r.offset,
			 strstr(sample_text, "{\"type\":\"relationship\",\"label\"") - sample_text);
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ITEROVER);
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ITEROVER);
	assert_int_equal(b->progress_done, sizeof(sample_text) - 1);
	gm_backend_close(b);
	gm_arena_reset(arena);
}

static void test_read_lenient(void **state)
{
	struct gm_backend *b;
	struct gm_record r;

	(void)state;
	/* APOC shape: no header, keys in another order, integer ids, endpoint objects */
	put_file("{\"id\":7,\"type\":\"node\",\"labels\":[\"User\"],\"properties\":{\"x\":1.5}}\r\n"
		 "{\"type\":\"node\",\"id\":\"8\"}\n"
		 "\n"
		 "{\"id\":\"0\",\"type\":\"relationship\",\"label\":\"KNOWS\",\"properties\":{},"
		 "\"start\":{\"id\":\"7\",\"labels\":[\"User\"],\"properties\":{\"x\":1.5}},"
		 "\"end\":{\"labels\":[],\"id\":8}}\n");
	b = open_read();
	assert_int_equal(b->ops->read_next(b, &r, arena), 0);
	assert_int_equal(r.kind, GM_NODE);
	assert_true(gm_str_eq(r.key, gm_str_c("7")));
	assert_int_equal(r.nprops, 1);
	assert_int_equal(r.props[0].val.type, GM_T_FLOAT);
	assert_int_equal(b->ops->read_next(b, &r, arena), 0);
	assert_true(gm_str_eq(r.key, gm_str_c("8")));
	assert_int_equal(b->ops->read_next(b, &r, arena), 0);
	assert_int_equal(r.kind, GM_REL);
	assert_int_equal(r.line, 4);
	assert_true(gm_str_eq(r.key, gm_str_c("0")));
	assert_true(gm_str_eq(r.from, gm_str_c("7")));
	assert_true(gm_str_eq(r.to, gm_str_c("8")));
	assert_int_equal(r.nprops, 0);
	/* no header: no end line needed */
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ITEROVER);
	gm_backend_close(b);
	/* a header with more information is fine */
	put_file("{\"gmig\":1,\"source\":\"bolt://x\",\"nodes\":1,\"relationships\":0}\n"
		 "{\"type\":\"node\",\"id\":\"a\"}\n"
		 "{\"gmig\":\"end\",\"nodes\":1,\"relationships\":0}");
	b = open_read();
	assert_int_equal(b->ops->read_next(b, &r, arena), 0);
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ITEROVER);
	gm_backend_close(b);
	gm_arena_reset(arena);
}

static void test_truncated_msg(void **state)
{
	struct gm_backend *b;
	struct gm_record r;
	char want[512];

	(void)state;
	/* cut in the middle of a line */
	put_file("{\"gmig\":1}\n{\"type\":\"node\",\"id\":\"a\"}\n{\"type\":\"no");
	b = open_read();
	assert_int_equal(b->ops->read_next(b, &r, arena), 0);
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_EDATA);
	snprintf(want, sizeof(want),
		 "invalid JSON in '%s' (line 3, byte 47): unterminated string at end of input",
		 path);
	assert_string_equal(gm_error_last(), want);
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ECORRUPT);
	snprintf(want, sizeof(want), "'%s' is truncated after line 3: the end line is missing",
		 path);
	assert_string_equal(gm_error_last(), want);
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ECORRUPT);
	gm_backend_close(b);
	/* an empty file is a dump cut off before its header */
	put_file("");
	b = open_read();
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ECORRUPT);
	snprintf(want, sizeof(want), "'%s' is truncated after line 0: the end line is missing",
		 path);
	assert_string_equal(gm_error_last(), want);
	gm_backend_close(b);
}

static void test_counts_and_trailer(void **state)
{
	struct gm_backend *b;
	struct gm_record r;
	char want[512];

	(void)state;
	put_file("{\"gmig\":1}\n{\"type\":\"node\",\"id\":\"a\"}\n"
		 "{\"gmig\":\"end\",\"nodes\":2,\"relationships\":0}\n");
	b = open_read();
	assert_int_equal(b->ops->read_next(b, &r, arena), 0);
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ECORRUPT);
	snprintf(want, sizeof(want),
		 "'%s' (line 3): the end line counts 2 nodes and 0 relationships but 1 nodes and 0 "
		 "relationships were read (0 bad lines)",
		 path);
	assert_string_equal(gm_error_last(), want);
	gm_backend_close(b);

	put_file("{\"gmig\":1}\n{\"type\":\"node\",\"id\":\"a\"}\n"
		 "{\"gmig\":\"end\",\"nodes\":1,\"relationships\":0}\n{\"type\":\"node\",\"id\":"
		 "\"b\"}\n");
	b = open_read();
	assert_int_equal(b->ops->read_next(b, &r, arena), 0);
	assert_int_equal(b->ops->read_next(b, &r, arena), GM_ECORRUPT);
	snprintf(want, sizeof(want), "'%s' (line 4): data after the end line", path);
	assert_string_equal(gm_error_last(), want);
	gm_backend_close(b);
	gm_arena_reset(arena);
}

static void test_bad_lines(void **state)
{
	static const char *const lines[] = {
		"{\"gmig\":1}",
		"{\"type\":\"node\",\"id\":\"a\",\"labels\":[\"P\"],\"properties\":{\"x\":1}}",
		"{\"type\":\"node\",\"id\":\"b\",\"properties\":{\"x\":2",
		"{\"type\":\"node\",\"labels\":[\"Q\"]}",
		"{\"type\":\"node\",\"id\":\"c\",\"colour\":\"red\"}",
		"{\"type\":\"node\",\"id\":\"d\",\"properties\":{\"x\":1,\"x\":2}}",
		"[1,2]",
		"{\"type\":\"vertex\",\"id\":\"e\"}",
		"{\"type\":\"node\",\"id\":\"f\",\"id\":\"g\"}",
		"{\"type\":\"node\",\"id\":\"h\"}",
		"{\"type\":\"relationship\",\"label\":\"K\",\"start\":\"a\"}",
		"{\"type\":\"relationship\",\"start\":\"a\",\"end\":\"h\"}",
		"{\"type\":\"relationship\",\"label\":\"K\",\"start\":{\"labels\":[]},\"end\":"
		"\"h\"}",
		"{\"type\":\"node\",\"id\":\"late\"}",
		"{\"type\":\"relationship\",\"label\":\"K\",\"start\":\"a\",\"end\":\"h\","
		"\"properties\":{\"t\":{\"$type\":\"Date\",\"_value\":\"2020-02-30\"}}}",
		"{\"type\":\"relationship\",\"label\":\"K\",\"start\":\"a\",\"end\":\"h\"}",
		"{\"gmig\":\"end\",\"nodes\":9,\"relationships\":6}",
	};
	/* the expected outcome of each read: 0 or the message after the file name */
	static const struct {
		int code;
		uint64_t line;
		enum gm_kind kind;
		const char *msg;
	} want[] = {
		{0, 2, GM_NODE, NULL},
		{GM_EDATA, 3, GM_NODE,
		 "invalid JSON in '%s' (line 3, byte 115): line ends inside a value"},
		{GM_EDATA, 4, GM_NODE, "invalid node in '%s' (line 4, byte 116): missing \"id\""},
		{GM_EDATA, 5, GM_NODE,
		 "invalid node in '%s' (line 5, byte 171): unknown key \"colour\""},
		{GM_EDATA, 6, GM_NODE,
		 "invalid value in '%s' (line 6, byte 231): duplicate key \"x\""},
		{GM_EDATA, 7, 0,
		 "invalid record in '%s' (line 7, byte 239): a line must hold a JSON "
		 "object"},
		{GM_EDATA, 8, 0,
		 "invalid record in '%s' (line 8, byte 253): \"type\" must be "
		 "\"node\" or \"relationship\""},
		{GM_EDATA, 9, GM_NODE,
		 "invalid node in '%s' (line 9, byte 296): duplicate key \"id\""},
		{0, 10, GM_NODE, NULL},
		{GM_EDATA, 11, GM_REL,
		 "invalid relationship in '%s' (line 11, byte 331): missing \"end\""},
		{GM_EDATA, 12, GM_REL,
		 "invalid relationship in '%s' (line 12, byte 379): missing \"label\""},
		{GM_EDATA, 13, GM_REL,
		 "invalid relationship in '%s' (line 13, byte 480): \"start\" has no \"id\""},
		{GM_EDATA, 14, GM_NODE,
		 "invalid node in '%s' (line 14, byte 493): node after the first relationship"},
		{GM_EDATA, 15, GM_REL,
		 "invalid value in '%s' (line 15, byte 621): invalid Date '2020-02-30': day out of "
		 "range"},
		{0, 16, GM_REL, NULL},
		{GM_ITEROVER, 0, 0, NULL},
	};
	struct gm_buf file = GM_BUF_INIT;
	struct gm_backend *b;
	struct gm_record r;
	char msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		gm_buf_puts(&file, lines[i]);
		gm_buf_putc(&file, '\n');
	}
	put_file(file.p);
	b = open_read();
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int e;

		memset(&r, 0, sizeof(r));
		e = b->ops->read_next(b, &r, arena);
		if (e != want[i].code)
			fail_msg("read %zu: %d, wanted %d: %s", i, e, want[i].code,
				 gm_error_last());
		if (e == GM_ITEROVER)
			break;
		assert_int_equal(r.line, want[i].line);
		assert_int_equal(r.kind, want[i].kind);
		if (want[i].msg) {
			const char *ps = strstr(want[i].msg, "%s");

			/* the messages name the file where they say %s */
			snprintf(msg, sizeof(msg), "%.*s%s%s", (int)(ps - want[i].msg), want[i].msg,
				 path, ps + 2);
			assert_string_equal(gm_error_last(), msg);
		}
	}
	gm_backend_close(b);
	gm_buf_free(&file);
	gm_arena_reset(arena);
}

static void test_probe(void **state)
{
	const struct gm_backend_ops *ops = gm_backend_find("jsonl", 5);

	(void)state;
	assert_non_null(ops);
	assert_int_equal(ops->probe((const unsigned char *)"{\"gmig\":1}\n", 11), 100);
	assert_int_equal(ops->probe((const unsigned char *)"{\"type\":\"node\",\"id\":\"1\"}", 24),
			 60);
	assert_int_equal(ops->probe((const unsigned char *)"[{\"type\":\"node\"}]", 17), 0);
	assert_int_equal(ops->probe((const unsigned char *)"{\"gm", 4), 0);
	assert_true(ops->caps & GM_CAP_READ);
	assert_true(ops->caps & GM_CAP_WRITE);
	assert_int_equal(ops->types, GM_TYPES_ALL);
}

/* Writes and reads back a large file; prints the throughput (not a timed test). */
static void test_throughput(void **state)
{
	const size_t n = 200000, batch = 1000;
	struct gm_record *recs = calloc(batch, sizeof(*recs));
	struct gm_prop props[4];
	struct gm_str lab = {"Person", 6};
	char *keys = malloc(batch * 16), *ends = malloc(batch * 16);
	struct gm_backend *b;
	struct gm_record r;
	clock_t t0;
	double wsec, rsec;
	size_t bytes, count = 0;

	(void)state;
	memset(props, 0, sizeof(props));
	props[0].key = gm_str_c("age");
	props[0].val.type = GM_T_INT;
	props[1].key = gm_str_c("name");
	props[1].val.type = GM_T_STRING;
	props[1].val.u.s = gm_str_c("A reasonably long name with \"quotes\" and \xc3\xbcnicode");
	props[2].key = gm_str_c("score");
	props[2].val.type = GM_T_FLOAT;
	props[2].val.u.f = 0.125;
	props[3].key = gm_str_c("tags");
	props[3].val.type = GM_T_LIST;
	b = open_write();
	t0 = clock();
	for (size_t i = 0; i < n; i += batch) {
		for (size_t k = 0; k < batch; k++) {
			struct gm_record *x = &recs[k];
			int kl = snprintf(keys + 16 * k, 16, "n%zu", i + k);

			memset(x, 0, sizeof(*x));
			x->key.p = keys + 16 * k;
			x->key.len = (size_t)kl;
			x->props = props;
			x->nprops = 4;
			if (i < n / 2) {
				x->kind = GM_NODE;
				x->labels = &lab;
				x->nlabels = 1;
			} else {
				int el = snprintf(ends + 16 * k, 16, "n%zu", (i + k) / 3);

				x->kind = GM_REL;
				x->type = gm_str_c("KNOWS");
				x->from = x->key;
				x->to.p = ends + 16 * k;
				x->to.len = (size_t)el;
			}
		}
		assert_int_equal(b->ops->write_batch(b, recs, batch), 0);
	}
	assert_int_equal(gm_backend_commit(b), 0);
	wsec = (double)(clock() - t0) / CLOCKS_PER_SEC;
	gm_backend_close(b);
	free(get_file(&bytes));
	b = open_read();
	t0 = clock();
	while (b->ops->read_next(b, &r, arena) == 0) {
		count++;
		if (count % batch == 0)
			gm_arena_reset(arena);
	}
	rsec = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_int_equal(count, n);
	gm_backend_close(b);
	printf("# %zu records, %.1f MB: write %.0f MB/s, read %.0f MB/s\n", n, (double)bytes / 1e6,
	       (double)bytes / 1e6 / (wsec > 0 ? wsec : 1e-9),
	       (double)bytes / 1e6 / (rsec > 0 ? rsec : 1e-9));
	free(recs);
	free(keys);
	free(ends);
	gm_arena_reset(arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_exact),   cmocka_unit_test(test_write_batch_atomic),
		cmocka_unit_test(test_read_back),     cmocka_unit_test(test_read_lenient),
		cmocka_unit_test(test_truncated_msg), cmocka_unit_test(test_counts_and_trailer),
		cmocka_unit_test(test_bad_lines),     cmocka_unit_test(test_probe),
		cmocka_unit_test(test_throughput),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
