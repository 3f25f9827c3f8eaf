/* SPDX-License-Identifier: MIT */
/*
 * Checkpoint files of gmig migrate: where a run stands, saved after every
 * batch the target made durable, so that --resume can continue after any
 * interruption (kill -9 included).
 *
 * Layout: one JSON object on one line, written to "<path>.tmp", fsynced,
 * renamed over path, and the directory fsynced (a reader sees the old or the
 * new checkpoint, never a mix):
 *
 *   {"gmig_checkpoint":1,"run":3,"from":"src.jsonl","to":"sqlite:x.db",
 *    "batch_size":500,"on_error":"stop","existing":"upsert","lossy":0,
 *    "position":1500,"target_size":0,"before_nodes":0,"before_rels":0,"batches":3,
 *    "nodes_read":1000,"nodes_written":1000,"relationships_read":500,
 *    "relationships_written":500,"rejected":0,"unreadable":0,"dropped":0,
 *    "skipped":0,
 *    "rows":[{"name":":Person","rel":false,"read":1000,"written":1000,"rejected":0},...]}
 *
 * position: source records (read_next calls that gave a record or a bad
 * record) covered by the durable batches; target_size: a file target's
 * temporary's length at that point (0 for stores); the counts are the run's
 * summary up to position; before_nodes/before_rels: what the target held when
 * the run started (absent when it could not be counted); committed: 1 once the
 * copy is committed and only migrate's verification is left (absent before).
 * Unknown keys are ignored (newer gmig versions may add some).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "io.h"
#include "json.h"

static const char *const on_error_names[] = {"stop", "skip"};
static const char *const existing_names[] = {"upsert", "skip", "fail"};

static int put_str(struct gm_buf *b, const char *key, const char *v)
{
	gm_buf_printf(b, ",\"%s\":", key);
	return gm_json_put_string(b, v ? v : "", v ? strlen(v) : 0, 0);
}

static int sync_dir(const char *path)
{
	char *copy = gm_strdup(path);
	int fd, error = 0;

	if (!copy)
		return GM_ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			error = gm_error_set(GM_EIO, "cannot sync the directory of '%s': %s", path,
					     strerror(errno));
		close(fd);
	}
	gm_free(copy);
	return error;
}

int gm__ckpt_write(const char *path, const struct gm_ckpt *c)
{
	struct gm_buf b = GM_BUF_INIT;
	const struct gm_copy_stats *st = &c->st;
	char *tmp = NULL;
	size_t n = strlen(path), off = 0;
	int fd = -1, error = 0;

	gm_buf_printf(&b, "{\"gmig_checkpoint\":1,\"run\":%lld", (long long)c->run);
	put_str(&b, "from", c->from);
	put_str(&b, "to", c->to);
	gm_buf_printf(&b,
		      ",\"batch_size\":%llu,\"on_error\":\"%s\",\"existing\":\"%s\",\"lossy\":%u,"
		      "\"position\":%llu,\"target_size\":%llu,\"batches\":%llu,\"nodes_read\":%llu,"
		      "\"nodes_written\":%llu,\"relationships_read\":%llu,"
		      "\"relationships_written\":%llu,\"rejected\":%llu,\"unreadable\":%llu,"
		      "\"dropped\":%llu,\"skipped\":%llu,\"rows\":[",
		      (unsigned long long)c->batch_size, on_error_names[c->on_error ? 1 : 0],
		      existing_names[c->existing <= GM_EXISTING_FAIL ? c->existing : 0], c->lossy,
		      (unsigned long long)c->position, (unsigned long long)c->target_size,
		      (unsigned long long)st->batches, (unsigned long long)st->nodes_read,
		      (unsigned long long)st->nodes_written, (unsigned long long)st->rels_read,
		      (unsigned long long)st->rels_written, (unsigned long long)st->rejected,
		      (unsigned long long)st->unreadable, (unsigned long long)st->dropped,
		      (unsigned long long)st->skipped);
	for (size_t i = 0; i < st->nrows; i++) {
		const struct gm_stat_row *r = &st->rows[i];

		gm_buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
		gm_json_put_string(&b, r->name, strlen(r->name), 0);
		gm_buf_printf(&b,
			      ",\"rel\":%s,\"read\":%llu,\"written\":%llu,\"skipped\":%llu,"
			      "\"rejected\":%llu}",
			      r->is_rel ? "true" : "false", (unsigned long long)r->read,
			      (unsigned long long)r->written, (unsigned long long)r->skipped,
			      (unsigned long long)r->rejected);
	}
	gm_buf_puts(&b, "]");
	if (c->before_nodes != UINT64_MAX && c->before_rels != UINT64_MAX)
		gm_buf_printf(&b, ",\"before_nodes\":%llu,\"before_rels\":%llu",
			      (unsigned long long)c->before_nodes,
			      (unsigned long long)c->before_rels);
	if (c->committed)
		gm_buf_puts(&b, ",\"committed\":1");
	gm_buf_puts(&b, "}\n");
	if (b.oom || !(tmp = gm_malloc(n + 5))) {
		error = GM_ENOMEM;
		goto out;
	}
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp", 5);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0) {
		error = gm_error_set(GM_EIO, "cannot write the checkpoint '%s': %s", tmp,
				     strerror(errno));
		goto out;
	}
	while (off < b.len) {
		ssize_t k = write(fd, b.p + off, b.len - off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			error = gm_error_set(GM_EIO, "cannot write the checkpoint '%s': %s", tmp,
					     strerror(errno));
			goto out;
		}
		off += (size_t)k;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		error = gm_error_set(GM_EIO, "cannot sync the checkpoint '%s': %s", tmp,
				     strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error = gm_error_set(GM_EIO, "cannot rename the checkpoint into '%s': %s", path,
				     strerror(errno));
		goto out;
	}
	error = sync_dir(path);
out:
	if (fd >= 0)
		close(fd);
	if (error < 0 && tmp)
		unlink(tmp);
	gm_free(tmp);
	gm_buf_free(&b);
	return error;
}

/* ---- reading ---- */

struct rd {
	struct gm_json_reader *r;
	const char *path;
};

static int bad(const struct rd *d, const char *what)
{
	return gm_error_set(GM_EDATA, "invalid checkpoint '%s': %s", d->path, what);
}

static int next(struct rd *d, struct gm_json_token *t)
{
	int error = gm_json_next(d->r, t);

	return error == GM_EDATA ? bad(d, gm_error_last()) : error;
}

static int get_u64(struct rd *d, uint64_t *out)
{
	struct gm_json_token t;
	int error;

	if ((error = next(d, &t)) < 0)
		return error;
	if (t.tok != GM_JSON_NUMBER || !t.is_int || t.text[0] == '-')
		return bad(d, "a count is not a number");
	*out = strtoull(t.text, NULL, 10);
	return 0;
}

static int get_str(struct rd *d, char **out)
{
	struct gm_json_token t;
	int error;

	if ((error = next(d, &t)) < 0)
		return error;
	if (t.tok != GM_JSON_STRING)
		return bad(d, "a name is not a string");
	gm_free(*out);
	if (!(*out = gm_malloc(t.len + 1)))
		return GM_ENOMEM;
	memcpy(*out, t.text, t.len);
	(*out)[t.len] = '\0';
	return 0;
}

static int get_choice(struct rd *d, const char *const *names, int n, int *out)
{
	char *s = NULL;
	int error = get_str(d, &s);

	if (error < 0)
		return error;
	for (*out = 0; *out < n && strcmp(s, names[*out]); (*out)++)
		;
	gm_free(s);
	return *out < n ? 0 : bad(d, "an unknown option value");
}

static int get_rows(struct rd *d, struct gm_copy_stats *st)
{
	struct gm_json_token t;
	int error;

	if ((error = next(d, &t)) < 0)
		return error;
	if (t.tok != GM_JSON_ARR_BEGIN)
		return bad(d, "\"rows\" is not an array");
	for (;;) {
		struct gm_stat_row row = {0};
		struct gm_copy_stats one = {0};

		if ((error = next(d, &t)) < 0)
			return error;
		if (t.tok == GM_JSON_ARR_END)
			return 0;
		if (t.tok != GM_JSON_OBJ_BEGIN)
			return bad(d, "a row is not an object");
		while ((error = next(d, &t)) == 0 && t.tok == GM_JSON_KEY) {
			if (!strcmp(t.text, "name"))
				error = get_str(d, &row.name);
			else if (!strcmp(t.text, "rel")) {
				if ((error = next(d, &t)) == 0)
					row.is_rel = t.tok == GM_JSON_TRUE;
			} else if (!strcmp(t.text, "read"))
				error = get_u64(d, &row.read);
			else if (!strcmp(t.text, "written"))
				error = get_u64(d, &row.written);
			else if (!strcmp(t.text, "rejected"))
				error = get_u64(d, &row.rejected);
			else if (!strcmp(t.text, "skipped"))
				error = get_u64(d, &row.skipped);
			else
				error = gm_json_skip(d->r);
			if (error < 0)
				break;
		}
		if (error == 0 && !row.name)
			error = bad(d, "a row has no name");
		if (error == 0) {
			one.rows = &row;
			one.nrows = 1;
			error = gm_copy_stats_add(st, &one);
		}
		gm_free(row.name);
		if (error < 0)
			return error;
	}
}

int gm__ckpt_read(const char *path, struct gm_ckpt *c)
{
	struct gm_in *in = NULL;
	struct rd d = {NULL, path};
	struct gm_json_token t;
	struct stat sb;
	int error, v = 0;

	memset(c, 0, sizeof(*c));
	c->before_nodes = c->before_rels = UINT64_MAX;
	if (stat(path, &sb) < 0)
		return gm_error_set(GM_ENOTFOUND, "no checkpoint '%s': nothing to resume", path);
	if ((error = gm_in_open(&in, path)) < 0 || (error = gm_json_reader_new(&d.r, in, 0)) < 0)
		goto out;
	if ((error = next(&d, &t)) < 0)
		goto out;
	if (t.tok != GM_JSON_OBJ_BEGIN) {
		error = bad(&d, "not a JSON object");
		goto out;
	}
	while ((error = next(&d, &t)) == 0 && t.tok == GM_JSON_KEY) {
		const char *k = t.text;
		uint64_t u = 0;

		if (!strcmp(k, "from"))
			error = get_str(&d, &c->from);
		else if (!strcmp(k, "to"))
			error = get_str(&d, &c->to);
		else if (!strcmp(k, "on_error")) {
			error = get_choice(&d, on_error_names, 2, &v);
			c->on_error = (enum gm_on_error)v;
		} else if (!strcmp(k, "existing")) {
			error = get_choice(&d, existing_names, 3, &v);
			c->existing = (enum gm_existing)v;
		} else if (!strcmp(k, "rows"))
			error = get_rows(&d, &c->st);
		else {
			static const char *const keys[] = {"gmig_checkpoint",
							   "run",
							   "batch_size",
							   "lossy",
							   "position",
							   "target_size",
							   "batches",
							   "nodes_read",
							   "nodes_written",
							   "relationships_read",
							   "relationships_written",
							   "rejected",
							   "unreadable",
							   "dropped",
							   "skipped",
							   "before_nodes",
							   "before_rels",
							   "committed"};
			uint64_t *dst[] = {NULL,
					   NULL,
					   &c->batch_size,
					   NULL,
					   &c->position,
					   &c->target_size,
					   &c->st.batches,
					   &c->st.nodes_read,
					   &c->st.nodes_written,
					   &c->st.rels_read,
					   &c->st.rels_written,
					   &c->st.rejected,
					   &c->st.unreadable,
					   &c->st.dropped,
					   &c->st.skipped,
					   &c->before_nodes,
					   &c->before_rels,
					   &c->committed};
			size_t i;

			for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && strcmp(k, keys[i]); i++)
				;
			if (i == sizeof(keys) / sizeof(keys[0])) {
				error = gm_json_skip(d.r);
			} else if ((error = get_u64(&d, &u)) == 0) {
				if (dst[i])
					*dst[i] = u;
				else if (i == 1)
					c->run = (int64_t)u;
				else if (i == 3)
					c->lossy = (unsigned int)u;
			}
		}
		if (error < 0)
			goto out;
	}
	if (error == 0 && t.tok != GM_JSON_OBJ_END)
		error = bad(&d, "not a JSON object");
	if (error == 0 && (!c->from || !c->to || c->run <= 0))
		error = bad(&d, "\"run\", \"from\" or \"to\" is missing");
out:
	gm_json_reader_free(d.r);
	gm_in_free(in);
	if (error < 0)
		gm__ckpt_free(c);
	return error;
}

void gm__ckpt_free(struct gm_ckpt *c)
{
	gm_free(c->from);
	gm_free(c->to);
	gm_copy_stats_free(&c->st);
	memset(c, 0, sizeof(*c));
}
