/* SPDX-License-Identifier: MIT */
/*
 * The copy pipeline behind export, import and migrate:
 *
 *   source.read_next -> check + canonicalise -> batch -> sink.write_batch -> commit
 *
 * Records of one batch live in one arena that is reset after the batch is
 * written, so memory depends on the batch size, not on the graph. A bad record
 * either stops the run (nothing is committed, so no target file appears) or,
 * with GM_ON_ERROR_SKIP, goes to the reject log; read = written + rejected
 * holds per label set and relationship type.
 *
 * For gm_migrate (migrate.c) the pipeline also: skips the first o->skip source
 * records (by reading them: no backend can seek yet, so a resume re-reads what
 * was copied; cheap next to writing it), limits the rate (a token bucket per
 * record), asks the sink to make each batch durable (its sync op) and reports
 * every batch to o->batch_done, which saves the checkpoint. The fault hooks
 * (fault.h) sit around each batch.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fault.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "json.h"
#include "typedjson.h"
#include "util.h"

volatile int gm_interrupted;

#define DEFAULT_BATCH 10000

/* records of one batch, their summary rows and the arena they live in */
struct batch {
	struct gm_record *rec;
	size_t *row;
	unsigned char *skip; /* the sink's skip_mask for this batch */
	struct gm_arena *arena;
	size_t n;
};

struct copy {
	const struct gm_copy_opts *o;
	struct gm_copy_stats *st;
	struct gm_backend *src, *dst;
	const struct gm_backend_ops *dst_ops;
	struct batch cur; /* being read */
	size_t cap;
	int seen_rel;
	struct gm_out *rejects;
	struct gm_buf line;
	struct timespec t0;
	double last_progress;
	/* stats rows by name: open addressing over indexes into st->rows */
	size_t *slots, nslots;
	/* --rate: token bucket */
	double tokens, burst, rate_t;
	/* the writer thread and the batch it has (see "batches" below) */
	struct batch job;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int threaded, in_flight;	/* in_flight: job is the thread's (main thread only) */
	int quit, job_state, job_error; /* under mu */
	char job_msg[1024];
	struct gm_copy_stats snap; /* the stats as of the job's last record */
	int snap_on;
};

/* ---- summary rows ---- */

static size_t hash_bytes(const char *p, size_t n)
{
	size_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static int row_for(struct copy *c, const char *name, size_t len, int is_rel, size_t *out)
{
	struct gm_copy_stats *st = c->st;
	size_t h, i;

	if (st->nrows * 2 >= c->nslots) {
		size_t ns = c->nslots ? c->nslots * 2 : 64;
		size_t *slots = gm_malloc(ns * sizeof(size_t));

		if (!slots)
			return GM_ENOMEM;
		for (i = 0; i < ns; i++)
			slots[i] = (size_t)-1;
		for (size_t r = 0; r < st->nrows; r++) {
			h = hash_bytes(st->rows[r].name, strlen(st->rows[r].name)) +
			    (size_t)st->rows[r].is_rel;
			for (i = h & (ns - 1); slots[i] != (size_t)-1; i = (i + 1) & (ns - 1))
				;
			slots[i] = r;
		}
		gm_free(c->slots);
		c->slots = slots;
		c->nslots = ns;
		if (!(st->rows = gm_realloc(st->rows, (ns / 2 + 1) * sizeof(*st->rows))))
			return GM_ENOMEM;
	}
	h = hash_bytes(name, len) + (size_t)is_rel;
	for (i = h & (c->nslots - 1); c->slots[i] != (size_t)-1; i = (i + 1) & (c->nslots - 1)) {
		struct gm_stat_row *r = &st->rows[c->slots[i]];

		if (r->is_rel == is_rel && strlen(r->name) == len && !memcmp(r->name, name, len)) {
			*out = c->slots[i];
			return 0;
		}
	}
	{
		struct gm_stat_row *r = &st->rows[st->nrows];

		memset(r, 0, sizeof(*r));
		if (!(r->name = gm_malloc(len + 1)))
			return GM_ENOMEM;
		memcpy(r->name, name, len);
		r->name[len] = '\0';
		r->is_rel = is_rel;
		c->slots[i] = st->nrows;
		*out = st->nrows++;
	}
	return 0;
}

/* The summary row of a record: ":A:B" for nodes, "[:T]" for relationships. */
static int record_row(struct copy *c, const struct gm_record *r, size_t *out)
{
	struct gm_buf *b = &c->line;

	if (gm__record_rowname(b, r) < 0)
		return GM_ENOMEM;
	return row_for(c, b->p, b->len, r->kind == GM_REL, out);
}

/* ---- rejects ---- */

static int reject(struct copy *c, const struct gm_record *r, size_t row, const char *reason)
{
	struct gm_buf *b = &c->line;
	int error;

	c->st->rejected++;
	if (row != (size_t)-1)
		c->st->rows[row].rejected++;
	if (c->o->on_error != GM_ON_ERROR_SKIP)
		return gm_error_set(GM_EDATA, "%s", reason);
	if (c->o->max_errors && c->st->rejected > c->o->max_errors)
		return gm_error_set(GM_EDATA, "more than %llu bad records (--max-errors); last: %s",
				    (unsigned long long)c->o->max_errors, reason);
	if (!c->rejects)
		return 0;
	gm_buf_clear(b);
	gm_buf_puts(b, "{\"input\":");
	{
		char shown[1024];
		const char *loc = gm_uri_redact(c->src->location, shown, sizeof(shown));

		gm_json_put_string(b, loc, strlen(loc), 0); /* never a password in a log */
	}
	if (r && r->line) {
		gm_buf_puts(b, ",\"line\":");
		gm_buf_put_u64(b, r->line);
	}
	if (r && (r->line || r->offset)) {
		gm_buf_puts(b, ",\"byte\":");
		gm_buf_put_u64(b, r->offset);
	}
	gm_buf_puts(b, ",\"reason\":");
	gm_json_put_string(b, reason, strlen(reason), 0);
	if (r && r->kind) {
		gm_buf_puts(b, r->kind == GM_NODE ? ",\"kind\":\"node\""
						  : ",\"kind\":\"relationship\"");
		if (r->key.p) {
			gm_buf_puts(b, ",\"id\":");
			gm_json_put_string(b, r->key.p, r->key.len, 0);
		}
		if (r->kind == GM_REL) {
			gm_buf_puts(b, ",\"label\":");
			gm_json_put_string(b, r->type.p, r->type.len, 0);
			gm_buf_puts(b, ",\"start\":");
			gm_json_put_string(b, r->from.p, r->from.len, 0);
			gm_buf_puts(b, ",\"end\":");
			gm_json_put_string(b, r->to.p, r->to.len, 0);
		} else if (r->nlabels) {
			gm_buf_puts(b, ",\"labels\":[");
			for (size_t i = 0; i < r->nlabels; i++) {
				if (i)
					gm_buf_putc(b, ',');
				gm_json_put_string(b, r->labels[i].p, r->labels[i].len, 0);
			}
			gm_buf_putc(b, ']');
		}
		if (r->nprops) {
			gm_buf_puts(b, ",\"properties\":");
			gm_tjson_write_props(b, r->props, r->nprops, 0);
		}
	}
	gm_buf_puts(b, "}\n");
	if (b->oom)
		return GM_ENOMEM;
	if ((error = gm_out_write(c->rejects, b->p, b->len)) < 0)
		return error;
	return 0;
}

static int batch_new(struct batch *b, size_t cap)
{
	int error;

	if ((error = gm_arena_new(&b->arena)) < 0)
		return error;
	if (!(b->rec = gm_malloc(cap * sizeof(*b->rec))) ||
	    !(b->row = gm_malloc(cap * sizeof(size_t))) || !(b->skip = gm_malloc(cap)))
		return GM_ENOMEM;
	return 0;
}

static void batch_free(struct batch *b)
{
	gm_free(b->rec);
	gm_free(b->row);
	gm_free(b->skip);
	gm_arena_free(b->arena);
}

/* ---- batches ----
 *
 * A batch is written by a second thread while the next one is read, so a copy
 * takes about as long as the slower of its two ends instead of their sum. The
 * writer thread only calls the sink's write_batch; everything else (counting,
 * rejects, sync, checkpoints, fault hooks) happens here, in the reading thread,
 * when the batch is complete(): the thread that owns the stats. A checkpoint
 * must not count records read ahead, so with batch_done the stats are copied
 * when a batch is handed over and that copy is what the checkpoint saves.
 * GMIG_THREADS=1 writes in the reading thread (one batch at a time).
 */

/* The sink's write_batch of records [i, i + n) of b, which says in b->skip which it skipped. */
static int write_batch(struct copy *c, struct batch *b, size_t i, size_t n)
{
	int error;

	memset(b->skip + i, 0, n);
	c->dst->skip_mask = b->skip + i;
	error = c->dst_ops->write_batch(c->dst, b->rec + i, n);
	c->dst->skip_mask = NULL;
	return error;
}

enum { JOB_IDLE, JOB_QUEUED, JOB_DONE };

static void *writer_main(void *arg)
{
	struct copy *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		int error;

		while (c->job_state != JOB_QUEUED && !c->quit)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->quit)
			break;
		pthread_mutex_unlock(&c->mu);
		error = write_batch(c, &c->job, 0, c->job.n);
		if (error < 0) /* the message is per thread: carry it over */
			snprintf(c->job_msg, sizeof(c->job_msg), "%s", gm_error_last());
		pthread_mutex_lock(&c->mu);
		c->job_error = error;
		c->job_state = JOB_DONE;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Starts the writer thread; without one (GMIG_THREADS=1, no resources) batches are written here. */
static void writer_start(struct copy *c)
{
	const char *env = getenv("GMIG_THREADS");

	if (env && !strcmp(env, "1"))
		return;
	if (pthread_mutex_init(&c->mu, NULL))
		return;
	if (pthread_cond_init(&c->cv, NULL)) {
		pthread_mutex_destroy(&c->mu);
		return;
	}
	if (pthread_create(&c->thread, NULL, writer_main, c)) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		return;
	}
	c->threaded = 1;
}

/* Waits until the writer thread's batch is written; returns write_batch's result. */
static int writer_wait(struct copy *c)
{
	int error;

	pthread_mutex_lock(&c->mu);
	while (c->job_state == JOB_QUEUED)
		pthread_cond_wait(&c->cv, &c->mu);
	error = c->job_error;
	c->job_state = JOB_IDLE;
	pthread_mutex_unlock(&c->mu);
	c->in_flight = 0;
	return error;
}

static void writer_stop(struct copy *c)
{
	if (!c->threaded)
		return;
	if (c->in_flight)
		writer_wait(c);
	pthread_mutex_lock(&c->mu);
	c->quit = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	c->threaded = 0;
}

/* Record i of batch b is in the target: counted in the stats and their checkpoint copy. */
static void count_written(struct copy *c, const struct batch *b, size_t i)
{
	struct gm_copy_stats *sts[2] = {c->st, c->snap_on ? &c->snap : NULL};

	for (int k = 0; k < 2 && sts[k]; k++) {
		sts[k]->rows[b->row[i]].written++;
		sts[k]->rows[b->row[i]].skipped += b->skip[i];
		if (b->rec[i].kind == GM_NODE)
			sts[k]->nodes_written++;
		else
			sts[k]->rels_written++;
	}
}

static int write_one_by_one(struct copy *c, struct batch *b)
{
	int error;

	for (size_t i = 0; i < b->n; i++) {
		error = write_batch(c, b, i, 1);
		if (error == GM_EDATA || error == GM_EUNSUPPORTED) {
			char reason[1024];

			snprintf(reason, sizeof(reason), "%s", gm_error_last());
			if (c->snap_on) {
				c->snap.rejected++;
				c->snap.rows[b->row[i]].rejected++;
			}
			if ((error = reject(c, &b->rec[i], b->row[i], reason)) < 0)
				return error;
			continue;
		}
		if (error < 0)
			return error;
		count_written(c, b, i);
	}
	return 0;
}

/* After a written batch: make it durable when someone keeps checkpoints, and report it. */
static int batch_written(struct copy *c)
{
	struct gm_copy_stats *st = c->snap_on ? &c->snap : c->st;
	uint64_t pos = 0;
	int durable = 0, error;

	c->st->batches++;
	c->st->dropped = c->dst->dropped;
	c->st->skipped = c->dst->skipped;
	if (!c->o->batch_done)
		return 0;
	if (st != c->st) {
		st->batches = c->st->batches;
		st->dropped = c->st->dropped;
		st->skipped = c->st->skipped;
	}
	if (c->dst_ops->sync) {
		error = c->dst_ops->sync(c->dst, &pos);
		if (error < 0 && error != GM_EUNSUPPORTED)
			return error;
		durable = error == 0;
	}
	error = c->o->batch_done(c->o->batch_ctx, st,
				 c->o->skip + st->nodes_read + st->rels_read + st->unreadable,
				 durable, pos);
	if (error < 0)
		return error;
	gm__fault_after_batch(c->st->batches);
	return 0;
}

/* The sink answered error for batch b: counts it, retries it record by record or stops. */
static int complete(struct copy *c, struct batch *b, int error)
{
	if ((error == GM_EDATA || error == GM_EUNSUPPORTED) && c->o->on_error == GM_ON_ERROR_SKIP)
		error = write_one_by_one(c, b);
	else if (error == 0)
		for (size_t i = 0; i < b->n; i++)
			count_written(c, b, i);
	else if (error == GM_EDATA || error == GM_EUNSUPPORTED)
		c->st->rejected++; /* stop: the record the message names */
	if (error == 0)
		error = batch_written(c);
	b->n = 0;
	gm_arena_reset(b->arena);
	return error;
}

/* Completes the batch the writer thread has, if any. */
static int finish_job(struct copy *c)
{
	int error;

	if (!c->in_flight)
		return 0;
	if ((error = writer_wait(c)) < 0)
		gm_error_set(error, "%s", c->job_msg);
	return complete(c, &c->job, error);
}

/*
 * The run failed with error while the writer thread had a batch: waits for it.
 * Its own failure came first in the stream, so it is the one reported, unless
 * it would have been skipped (--on-error=skip) or the run was interrupted.
 */
static int abandon_job(struct copy *c, int error)
{
	int jerr;

	if (!c->in_flight)
		return error;
	jerr = writer_wait(c);
	if (jerr >= 0 || error == GM_EINTR ||
	    ((jerr == GM_EDATA || jerr == GM_EUNSUPPORTED) && c->o->on_error == GM_ON_ERROR_SKIP))
		return error;
	if (jerr == GM_EDATA || jerr == GM_EUNSUPPORTED)
		c->st->rejected++;
	return gm_error_set(jerr, "%s", c->job_msg);
}

static int flush(struct copy *c)
{
	struct batch t;
	int error;

	if (c->cur.n == 0)
		return 0;
	if (!c->dst) {
		c->cur.n = 0;
		gm_arena_reset(c->cur.arena);
		return 0;
	}
	if ((error = finish_job(c)) < 0)
		return error;
	if ((error = gm__fault_before_batch(c->st->batches + 1)) < 0) {
		c->cur.n = 0;
		gm_arena_reset(c->cur.arena);
		return error;
	}
	c->cur.n -= gm__fault_lost(c->st->batches + 1, c->cur.n);
	if (!c->threaded)
		return complete(c, &c->cur, write_batch(c, &c->cur, 0, c->cur.n));
	if (c->o->batch_done) { /* what the checkpoint after this batch will say */
		gm_copy_stats_free(&c->snap);
		if ((error = gm_copy_stats_add(&c->snap, c->st)) < 0)
			return error;
		c->snap.run = c->st->run;
		c->snap_on = 1;
	}
	/* the batch to write becomes the thread's, its old one is read into next */
	t = c->job;
	c->job = c->cur;
	c->cur = t;
	pthread_mutex_lock(&c->mu);
	c->job_state = JOB_QUEUED;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	c->in_flight = 1;
	return 0;
}

/* --rate: waits until a token is there; the bucket holds a tenth of a second's worth. */
static void rate_wait(struct copy *c)
{
	double rate = c->o->rate, t = gm__seconds_since(&c->t0);

	c->tokens += (t - c->rate_t) * rate;
	c->rate_t = t;
	if (c->tokens > c->burst)
		c->tokens = c->burst;
	if (c->tokens < 1) {
		double wait = (1 - c->tokens) / rate;
		struct timespec ts;

		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		t = gm__seconds_since(&c->t0);
		c->tokens += (t - c->rate_t) * rate;
		c->rate_t = t;
	}
	c->tokens -= 1;
}

/* Resuming: reads and discards the first o->skip records (nothing is checked or counted). */
static int skip_records(struct copy *c)
{
	struct gm_record r;
	uint64_t n = 0;
	int error;

	while (n < c->o->skip) {
		if (gm_interrupted)
			return gm_error_set(GM_EINTR, "interrupted");
		memset(&r, 0, sizeof(r));
		error = c->src->ops->read_next(c->src, &r, c->cur.arena);
		if (error == GM_ITEROVER)
			return gm_error_set(GM_EINVAL,
					    "'%s' has %llu records, but the checkpoint says %llu "
					    "were copied: the source changed since the run started",
					    c->src->location, (unsigned long long)n,
					    (unsigned long long)c->o->skip);
		if (error < 0 && error != GM_EDATA)
			return error;
		if (r.kind == GM_REL)
			c->seen_rel = 1;
		if ((++n & 1023) == 0)
			gm_arena_reset(c->cur.arena);
	}
	gm_arena_reset(c->cur.arena);
	return 0;
}

static void progress(struct copy *c, int final)
{
	struct gm_progress p;
	double t = gm__seconds_since(&c->t0);

	if (!c->o->progress || (!final && t - c->last_progress < 0.25))
		return;
	c->last_progress = t;
	p.records = c->st->nodes_read + c->st->rels_read;
	p.bytes_done = c->src->progress_done;
	p.bytes_total = c->src->progress_total;
	p.elapsed = t;
	p.final = final;
	c->o->progress(&p, c->o->progress_ctx);
}

/* " (line N)" for messages, formatted only when one is written. */
static const char *pos_of(const struct gm_record *r, char *buf, size_t n)
{
	buf[0] = '\0';
	if (r->line)
		snprintf(buf, n, " (line %llu)", (unsigned long long)r->line);
	return buf;
}

#define POS pos_of(r, pos, sizeof(pos))

/* The types a dry run lets through: the sink's, widened as --lossy widens them when opened. */
static uint32_t dry_types(const struct copy *c)
{
	uint32_t t = c->dst_ops->types;

	if (!(c->dst_ops->caps & GM_CAP_LOSSY))
		return t;
	if (c->o->lossy & GM_LOSSY_STRINGIFY)
		t = GM_TYPES_ALL;
	if (c->o->lossy & GM_LOSSY_DROP)
		t |= c->dst_ops->drop_types ? c->dst_ops->drop_types : GM_TYPE_BIT(GM_T_NULL);
	return t;
}

/* A dry run notes the types of bad (values the target cannot store) in r's name. */
static int survey(struct copy *c, const struct gm_record *r, uint32_t bad)
{
	struct gm_copy_stats *st = c->st;
	char pos[96], first[512];

	for (int t = 0; t < GM_T__COUNT; t++) {
		const char *name = gm_type_name((enum gm_type)t);
		size_t i;

		if (!(bad & GM_TYPE_BIT(t)))
			continue;
		for (i = 0; i < st->nunstorable && strcmp(st->unstorable[i].type, name); i++)
			;
		if (i == st->nunstorable) {
			struct gm_unstorable *u =
				gm_realloc(st->unstorable, (i + 1) * sizeof(*st->unstorable));

			if (!u)
				return GM_ENOMEM;
			st->unstorable = u;
			memset(&u[i], 0, sizeof(u[i]));
			u[i].type = name;
			snprintf(first, sizeof(first), "%s '%.*s'%s",
				 r->kind == GM_NODE ? "node" : "relationship", (int)r->key.len,
				 r->key.p ? r->key.p : "", pos_of(r, pos, sizeof(pos)));
			if (!(u[i].first = gm_strdup(first)))
				return GM_ENOMEM;
			st->nunstorable++;
		}
		st->unstorable[i].records++;
	}
	return 0;
}

/* Checks one record read from the source; returns GM_EDATA with the reason when it is bad. */
static int check(struct copy *c, struct gm_record *r)
{
	const char *what = r->kind == GM_NODE ? "node" : "relationship";
	char pos[96];
	uint32_t bad;
	int error;

	if (r->kind == GM_NODE) {
		if (c->seen_rel)
			return gm_error_set(GM_EDATA,
					    "node '%.*s' after relationships%s: sources "
					    "must give all nodes first",
					    (int)r->key.len, r->key.p, POS);
		if (!r->key.p)
			return gm_error_set(GM_EDATA, "node without a key%s", POS);
	} else if (r->kind == GM_REL) {
		c->seen_rel = 1;
		if (!r->type.len)
			return gm_error_set(GM_EDATA, "relationship without a type%s", POS);
		if (!r->from.p || !r->to.p)
			return gm_error_set(GM_EDATA, "relationship without an endpoint%s", POS);
	} else {
		return gm_error_set(GM_EDATA, "record of unknown kind%s", POS);
	}
	if ((error = gm_record_canonicalize(r)) < 0)
		return gm_error_set(error, "invalid %s '%.*s'%s: %s", what, (int)r->key.len,
				    r->key.p ? r->key.p : "", POS, gm_error_last());
	if ((bad = gm_record_types(r) & ~(c->dst ? c->dst->types : dry_types(c)))) {
		int t = 0;

		if (!c->dst && (error = survey(c, r, bad)) < 0)
			return error;
		while (!(bad & GM_TYPE_BIT(t)))
			t++;
		return gm_error_set(
			GM_EUNSUPPORTED,
			"%s '%.*s'%s has a %s value, which the %s format cannot store%s", what,
			(int)r->key.len, r->key.p ? r->key.p : "", POS,
			gm_type_name((enum gm_type)t), c->dst_ops->name,
			(c->dst_ops->caps & GM_CAP_LOSSY) && !c->o->lossy
				? " (--lossy=stringify or drop accepts the loss)"
				: "");
	}
	return 0;
}

#undef POS

static int run(struct copy *c)
{
	int error;

	for (;;) {
		struct gm_record *r;
		size_t row = (size_t)-1;

		if (gm_interrupted)
			return gm_error_set(GM_EINTR, "interrupted");
		if (c->cur.n == c->cap && (error = flush(c)) < 0)
			return error;
		if (c->o->rate > 0 && c->dst) /* a dry run writes nothing: no need to wait */
			rate_wait(c);
		r = &c->cur.rec[c->cur.n];
		memset(r, 0, sizeof(*r));
		error = c->src->ops->read_next(c->src, r, c->cur.arena);
		if (error == GM_ITEROVER)
			break;
		if (error == GM_EDATA) {
			char reason[1024];

			snprintf(reason, sizeof(reason), "%s", gm_error_last());
			if (r->kind == GM_NODE)
				c->st->nodes_read++;
			else if (r->kind == GM_REL)
				c->st->rels_read++;
			else
				c->st->unreadable++;
			/* a record too broken to tell what it is gets a row of its own */
			if (r->kind)
				error = record_row(c, r, &row);
			else
				error = row_for(c, "(unreadable)", 12, 0, &row);
			if (error < 0)
				return error;
			c->st->rows[row].read++;
			if ((error = reject(c, r, row, reason)) < 0)
				return error;
			continue;
		}
		if (error < 0)
			return error;
		if (r->kind == GM_NODE)
			c->st->nodes_read++;
		else
			c->st->rels_read++;
		/* check first: it puts labels in canonical order, which names the summary row */
		if ((error = check(c, r)) < 0) {
			char reason[1024];

			int surveyed = error == GM_EUNSUPPORTED && !c->dst &&
				       c->o->on_error != GM_ON_ERROR_SKIP;

			if (error != GM_EDATA && error != GM_EUNSUPPORTED)
				return error;
			snprintf(reason, sizeof(reason), "%s", gm_error_last());
			if ((error = record_row(c, r, &row)) < 0)
				return error;
			c->st->rows[row].read++;
			if (surveyed) { /* listed in st->unstorable; the dry run goes on */
				c->st->rejected++;
				c->st->rows[row].rejected++;
				continue;
			}
			if ((error = reject(c, r, row, reason)) < 0)
				return error;
			continue;
		}
		if ((error = record_row(c, r, &row)) < 0)
			return error;
		c->st->rows[row].read++;
		if (!c->dst) { /* dry run: counted as would-be written */
			c->st->rows[row].written++;
			if (r->kind == GM_NODE)
				c->st->nodes_written++;
			else
				c->st->rels_written++;
			continue;
		}
		c->cur.row[c->cur.n++] = row;
		if (((c->st->nodes_read + c->st->rels_read) & 1023) == 0)
			progress(c, 0); /* it reads the clock: not for every record */
	}
	if ((error = flush(c)) < 0)
		return error;
	if (c->st->nunstorable && c->o->on_error != GM_ON_ERROR_SKIP)
		return gm_error_set(GM_EUNSUPPORTED,
				    "%llu records hold values the %s format cannot store (listed "
				    "below)%s",
				    (unsigned long long)c->st->rejected, c->dst_ops->name,
				    (c->dst_ops->caps & GM_CAP_LOSSY) && !c->o->lossy
					    ? "; --lossy=stringify or drop accepts the loss"
					    : "");
	return finish_job(c);
}

int gm_copy(const char *from_uri, const char *to_uri, const struct gm_copy_opts *o,
	    struct gm_copy_stats *stats)
{
	struct copy c;
	struct gm_copy_stats local;
	struct gm_open_opts ro = {.mode = GM_OPEN_READ};
	struct gm_open_opts wo = {.mode = GM_OPEN_WRITE};
	const char *loc;
	int error, rerr = 0;

	memset(&c, 0, sizeof(c));
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	c.o = o;
	c.st = stats;
	c.cap = o->batch_size ? o->batch_size : DEFAULT_BATCH;
	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	wo.batch_size = c.cap;
	wo.flags = (o->force ? GM_OPEN_F_OVERWRITE : 0) | o->open_flags;
	wo.lossy = o->lossy;
	wo.existing = o->existing;
	wo.run = o->run;
	wo.resume_size = o->resume_size;
	wo.resume_nodes = o->resume_nodes;
	wo.resume_rels = o->resume_rels;
	c.burst = o->rate / 10 > 1 ? o->rate / 10 : 1;
	c.tokens = c.burst;

	if ((error = gm_backend_resolve(to_uri, GM_OPEN_WRITE, &c.dst_ops, &loc)) < 0)
		goto done;
	if (o->existing != GM_EXISTING_UPSERT && !(c.dst_ops->caps & GM_CAP_EXISTING)) {
		error = gm_error_set(
			GM_EUNSUPPORTED,
			"--%s: the %s target '%s' is written whole and has no keys "
			"from before; this option is for stores (sqlite:, memorygraph:, "
			"falkordb:)",
			o->existing == GM_EXISTING_SKIP ? "skip-duplicates" : "fail-on-existing",
			c.dst_ops->name, loc);
		goto done;
	}
	if ((o->open_flags & GM_OPEN_F_RESUME) && !(c.dst_ops->caps & GM_CAP_RESUME)) {
		error = gm_error_set(GM_EUNSUPPORTED, "the %s target '%s' cannot be resumed",
				     c.dst_ops->name, loc);
		goto done;
	}
	if ((error = gm_backend_open(&c.src, from_uri, &ro)) < 0)
		goto done;
	stats->source_backend = gm_strdup(c.src->ops->name);
	stats->target_backend = gm_strdup(c.dst_ops->name);
	stats->target_txn = (c.dst_ops->caps & GM_CAP_TXN) != 0;
	if (!stats->source_backend || !stats->target_backend) {
		error = GM_ENOMEM;
		goto done;
	}
	if ((error = batch_new(&c.cur, c.cap)) < 0)
		goto done;
	if (o->reject_path && !o->dry_run &&
	    (error = gm_out_open(&c.rejects, o->reject_path, GM_OUT_OVERWRITE)) < 0)
		goto done;
	if (!o->dry_run && (error = gm_backend_open(&c.dst, to_uri, &wo)) < 0)
		goto done;
	if (c.dst) {
		stats->run = c.dst->run;
		if (o->skip) { /* the sink counts the whole run (an end line, a run's row) */
			c.dst->nodes_written = o->resume_nodes;
			c.dst->rels_written = o->resume_rels;
		}
	}
	if (o->skip && (error = skip_records(&c)) < 0)
		goto done;
	if (c.dst) {
		if ((error = batch_new(&c.job, c.cap)) < 0)
			goto done;
		writer_start(&c);
	}
	if (c.dst && o->batch_done &&
	    (error = o->batch_done(o->batch_ctx, stats, o->skip, 0, 0)) < 0)
		goto done;
	if ((error = run(&c)) < 0)
		goto done;
	if (c.dst && (error = gm_backend_commit(c.dst)) < 0)
		goto done;
	stats->committed = c.dst != NULL;
	stats->dropped = c.dst ? c.dst->dropped : 0;
	stats->skipped = c.dst ? c.dst->skipped : 0;
done:
	if (error < 0) /* an earlier batch's failure is the one to report */
		error = abandon_job(&c, error);
	writer_stop(&c);
	/* the reject log is kept whether the run succeeded or not: it explains the failure */
	if (c.rejects && (rerr = gm_out_commit(c.rejects)) < 0 && error == 0)
		error = rerr;
	gm_out_free(c.rejects);
	if (c.src)
		progress(&c, 1);
	gm_backend_close(c.dst);
	gm_backend_close(c.src);
	stats->seconds = gm__seconds_since(&c.t0);
	batch_free(&c.cur);
	batch_free(&c.job);
	gm_copy_stats_free(&c.snap);
	gm_free(c.slots);
	gm_buf_free(&c.line);
	if (stats == &local)
		gm_copy_stats_free(&local);
	return error;
}

int gm_copy_stats_add(struct gm_copy_stats *dst, const struct gm_copy_stats *src)
{
	for (size_t i = 0; i < src->nrows; i++) {
		const struct gm_stat_row *s = &src->rows[i];
		size_t j;

		for (j = 0; j < dst->nrows; j++)
			if (dst->rows[j].is_rel == s->is_rel && !strcmp(dst->rows[j].name, s->name))
				break;
		if (j == dst->nrows) {
			struct gm_stat_row *rows =
				gm_realloc(dst->rows, (dst->nrows + 1) * sizeof(*rows));

			if (!rows)
				return GM_ENOMEM;
			dst->rows = rows;
			memset(&rows[j], 0, sizeof(rows[j]));
			if (!(rows[j].name = gm_strdup(s->name)))
				return GM_ENOMEM;
			rows[j].is_rel = s->is_rel;
			dst->nrows++;
		}
		dst->rows[j].read += s->read;
		dst->rows[j].written += s->written;
		dst->rows[j].rejected += s->rejected;
		dst->rows[j].skipped += s->skipped;
	}
	dst->nodes_read += src->nodes_read;
	dst->nodes_written += src->nodes_written;
	dst->rels_read += src->rels_read;
	dst->rels_written += src->rels_written;
	dst->rejected += src->rejected;
	dst->unreadable += src->unreadable;
	dst->dropped += src->dropped;
	dst->skipped += src->skipped;
	dst->batches += src->batches;
	return 0;
}

void gm_copy_stats_free(struct gm_copy_stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nrows; i++)
		gm_free(st->rows[i].name);
	gm_free(st->rows);
	if (st->verify) {
		gm_verify_report_free(st->verify);
		gm_free(st->verify);
	}
	for (size_t i = 0; i < st->nunstorable; i++)
		gm_free(st->unstorable[i].first);
	gm_free(st->unstorable);
	gm_free(st->source_backend);
	gm_free(st->target_backend);
	memset(st, 0, sizeof(*st));
}
