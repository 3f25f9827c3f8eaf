/* SPDX-License-Identifier: MIT */
/*
 * gmig migrate as a managed run, around the copy pipeline (copy.c):
 *
 *   run id     the target's own when it records runs (sqlite: gmig_runs.id),
 *              else one made here (the start time in seconds), kept in the
 *              checkpoint and printed
 *   checkpoint after the target is open and after every batch the target made
 *              durable (its sync op): position, the target's resume point and
 *              the counts, in a small JSON file (checkpoint.c), by default
 *              "<target>.gmig-checkpoint"; removed when the run succeeds or
 *              was rolled back
 *   resume     the same run again from the checkpoint: the first `position`
 *              source records are skipped; a store continues the run (sqlite:
 *              re-accepts the batch that may have been committed just before
 *              the checkpoint); a file target continues its temporary cut to
 *              the checkpoint's size. A target without durable batches
 *              (memorygraph:, compressed files) never gets past position 0, so
 *              it is written again from the start
 *   verify     (unless no_verify) the committed target is compared with the
 *              source, keyed and exact (gm_verify). Allowed: the records the
 *              run rejected (--on-error=skip) missing (or different, when the
 *              target held their key before), the ones it skipped
 *              (--skip-duplicates) missing or different, as many extra records
 *              as the target held before the run, and fields the store fills
 *              in itself (added_props). Not compared: --lossy runs and targets
 *              with lossy= (values change on purpose), write-only formats,
 *              stdin/stdout. A difference fails the run, which is then rolled
 *              back
 *   failure    (not an interruption) the run's writes are removed: rollback op
 *              of a store that records runs; files leave nothing under the final
 *              name anyway, memorygraph: rolls back its one transaction itself.
 *              An interruption (SIGINT/SIGTERM) keeps the checkpoint, the
 *              rows and a file's temporary, for --resume
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "fault.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "util.h"

#include <xxhash.h>

#define CKPT_SUFFIX ".gmig-checkpoint"
#define DEFAULT_BATCH 10000

struct mig {
	const char *path; /* checkpoint file, or NULL */
	struct gm_ckpt ck;
	struct gm_copy_stats base; /* counts of earlier sessions of the run */
	int written;		   /* a checkpoint of this run is on disk */
	int created;		   /* a new run whose target file did not exist before */
	int opened;		   /* the target was opened: the run started there */
};

/* A file backend's location that is standard input or output. */
static int is_stdio(const struct gm_backend_ops *ops, const char *loc)
{
	return (ops->caps & GM_CAP_FILE) && (!*loc || !strcmp(loc, "-"));
}

/* ~/.gmig/checkpoints/NAME.gmig-checkpoint for a server's store: NAME is the
   URI without its password, other characters than [A-Za-z0-9._-] as '_', and a
   hash of it (so that two URIs never share a name). Makes the directory. */
static char *home_checkpoint(const char *uri)
{
	const char *home = getenv("HOME");
	char buf[1024], dir[1024], *p;
	const char *shown;
	size_t n;

	if (!home || !*home)
		return NULL;
	shown = gm_uri_redact(uri, buf, sizeof(buf));
	snprintf(dir, sizeof(dir), "%s/.gmig", home);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return NULL;
	snprintf(dir, sizeof(dir), "%s/.gmig/checkpoints", home);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return NULL;
	n = strlen(dir) + strlen(shown) + 40 + sizeof(CKPT_SUFFIX);
	if (!(p = gm_malloc(n)))
		return NULL;
	snprintf(p, n, "%s/%016llx-", dir, (unsigned long long)XXH3_64bits(shown, strlen(shown)));
	for (const char *c = shown; *c && strlen(p) + sizeof(CKPT_SUFFIX) + 1 < n; c++) {
		size_t l = strlen(p);

		p[l] = (isalnum((unsigned char)*c) || *c == '.' || *c == '-') ? *c : '_';
		p[l + 1] = '\0';
	}
	strcat(p, CKPT_SUFFIX);
	return p;
}

char *gm_checkpoint_default(const char *uri)
{
	const struct gm_backend_ops *ops;
	const char *loc;
	char *p;
	size_t n;

	if (gm_backend_resolve(uri, GM_OPEN_WRITE, &ops, &loc) < 0)
		return NULL;
	if (!(ops->caps & GM_CAP_FILE) && (ops->caps & GM_CAP_TXN))
		return home_checkpoint(uri); /* a server's store */
	if (!(ops->caps & GM_CAP_FILE) || is_stdio(ops, loc))
		return NULL;
	n = strlen(loc);
	if (!(p = gm_malloc(n + sizeof(CKPT_SUFFIX))))
		return NULL;
	memcpy(p, loc, n);
	memcpy(p + n, CKPT_SUFFIX, sizeof(CKPT_SUFFIX));
	return p;
}

int gm_checkpoint_uris(const char *path, char **from, char **to)
{
	struct gm_ckpt c;
	int error = gm__ckpt_read(path, &c);

	*from = *to = NULL;
	if (error < 0)
		return error;
	*from = c.from;
	*to = c.to;
	c.from = c.to = NULL;
	gm__ckpt_free(&c);
	return 0;
}

/* The checkpoint holds the earlier sessions' counts plus this session's. */
static int save(struct mig *m, const struct gm_copy_stats *st, uint64_t position,
		uint64_t target_size)
{
	struct gm_copy_stats sum;
	int error;

	memset(&sum, 0, sizeof(sum));
	if ((error = gm_copy_stats_add(&sum, &m->base)) == 0 &&
	    (error = gm_copy_stats_add(&sum, st)) == 0) {
		gm_copy_stats_free(&m->ck.st);
		m->ck.st = sum;
		memset(&sum, 0, sizeof(sum));
		m->ck.position = position;
		m->ck.target_size = target_size;
		error = gm__ckpt_write(m->path, &m->ck);
	}
	gm_copy_stats_free(&sum);
	if (error == 0)
		m->written = 1;
	return error;
}

static int on_batch(void *ctx, const struct gm_copy_stats *st, uint64_t position, int durable,
		    uint64_t target_pos)
{
	struct mig *m = ctx;

	if (st->batches == 0) { /* the target is open: the run has its id */
		m->opened = 1;
		if (st->run > 0)
			m->ck.run = st->run;
		if (!m->path || (m->written && position > 0))
			return 0; /* resumed: the checkpoint on disk is right as it is */
		return save(m, st, position, 0);
	}
	if (!m->path || !durable)
		return 0;
	return save(m, st, position, target_pos);
}

/* What the target holds before a new run: a file is replaced whole; a store is counted
   (UINT64_MAX: unknown). */
static void count_before(struct mig *m, const struct gm_backend_ops *ops, const char *loc,
			 const char *to_uri)
{
	if ((ops->caps & GM_CAP_FILE) && !(ops->caps & GM_CAP_EXISTING)) {
		m->ck.before_nodes = m->ck.before_rels = 0;
		return;
	}
	if (gm_backend_count_uri(to_uri, &m->ck.before_nodes, &m->ck.before_rels))
		return;
	if ((ops->caps & GM_CAP_FILE) && access(loc, F_OK) < 0)
		m->ck.before_nodes = m->ck.before_rels = 0; /* a new store */
	else
		m->ck.before_nodes = m->ck.before_rels = UINT64_MAX;
}

const char *gm_migrate_verify_skip(const char *from_uri, const char *to_uri, unsigned int lossy)
{
	const struct gm_backend_ops *src_ops, *ops;
	const char *src_loc, *to_loc, *q;
	struct gm_str l;

	if (gm_backend_resolve(from_uri, GM_OPEN_READ, &src_ops, &src_loc) < 0 ||
	    gm_backend_resolve(to_uri, GM_OPEN_WRITE, &ops, &to_loc) < 0) {
		gm_error_clear(); /* the copy said why: nothing to compare */
		return "an end cannot be opened";
	}
	if (!(ops->caps & GM_CAP_READ))
		return "the target's format cannot be read back";
	if (is_stdio(src_ops, src_loc) || is_stdio(ops, to_loc))
		return "stdin and stdout cannot be read again";
	if (lossy)
		return "--lossy changes values on purpose";
	if ((q = strchr(to_loc, '?')) && gm_params_get(q + 1, "lossy", &l))
		return "lossy= changes values on purpose";
	return NULL;
}

/* Step 5: the committed target against the source (see the top of the file). */
static int verify_after(struct mig *m, const char *from_uri, const char *to_uri,
			const struct gm_backend_ops *ops, struct gm_copy_stats *st)
{
	struct gm_verify_opts vo;
	struct gm_verify_report *rep;
	struct timespec t0;
	uint64_t rejected[2] = {0, 0}, before[2] = {m->ck.before_nodes, m->ck.before_rels};
	char msg[1024];
	int error, ok = 1;

	if ((st->verify_skip = gm_migrate_verify_skip(from_uri, to_uri, m->ck.lossy)))
		return 0;
	if (!(rep = gm_malloc(sizeof(*rep))))
		return GM_ENOMEM;
	memset(&vo, 0, sizeof(vo));
	vo.added_ok = ops->added_props;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	error = gm_verify(from_uri, to_uri, &vo, rep);
	st->verify_seconds = gm__seconds_since(&t0);
	if (error < 0) {
		gm_free(rep);
		snprintf(msg, sizeof(msg), "%s", gm_error_last()); /* not formatted into itself */
		st->verify_failed =
			1; /* a copy that cannot be read back is not known to be exact */
		return gm_error_set(error, "the copy could not be verified: %s", msg);
	}
	for (size_t i = 0; i < st->nrows; i++)
		rejected[st->rows[i].is_rel != 0] += st->rows[i].rejected;
	/* a rejected record whose key the target held before is different, not missing */
	for (int k = 0; k < 2; k++)
		ok &= rep->missing[k] <= rejected[k] &&
		      rep->missing[k] + rep->changed[k] <= rejected[k] + st->skipped &&
		      (before[k] == UINT64_MAX || rep->extra[k] <= before[k]);
	ok &= !rep->unreadable[1];
	if (ok) {
		st->verified = 1;
		st->verify_added = rep->added[0] + rep->added[1];
		gm_verify_report_free(rep);
		gm_free(rep);
		return 0;
	}
	st->verify = rep;
	st->verify_failed = 1;
	return gm_error_set(GM_EDATA,
			    "the target differs from the source: nodes %llu missing, %llu changed, "
			    "%llu extra; relationships %llu missing, %llu changed, %llu extra",
			    (unsigned long long)rep->missing[0],
			    (unsigned long long)rep->changed[0], (unsigned long long)rep->extra[0],
			    (unsigned long long)rep->missing[1],
			    (unsigned long long)rep->changed[1], (unsigned long long)rep->extra[1]);
}

/* Removes a target file and what SQLite keeps next to one. */
static int remove_target(const char *loc)
{
	static const char *const side[] = {"-journal", "-wal", "-shm"};
	char p[4096];

	if (unlink(loc) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++)
		if (snprintf(p, sizeof(p), "%s%s", loc, side[i]) < (int)sizeof(p))
			unlink(p);
	return 0;
}

/* The session of a resumed run whose copy was committed: nothing to copy, the
   names for the summary (the counts are the checkpoint's, in m->base). */
static int committed_session(struct mig *m, const char *from_uri,
			     const struct gm_backend_ops *to_ops, struct gm_copy_stats *session)
{
	const struct gm_backend_ops *ops;
	const char *loc;
	int error;

	if ((error = gm_backend_resolve(from_uri, GM_OPEN_READ, &ops, &loc)) < 0)
		return error;
	if (!(session->source_backend = gm_strdup(ops->name)) ||
	    !(session->target_backend = gm_strdup(to_ops->name)))
		return GM_ENOMEM;
	session->target_txn = (to_ops->caps & GM_CAP_TXN) != 0;
	session->committed = 1;
	m->opened = 1;
	return 0;
}

static int file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

int gm_migrate(const char *from_uri, const char *to_uri, const struct gm_migrate_opts *o,
	       struct gm_copy_stats *stats)
{
	struct gm_copy_opts co = o->copy;
	struct gm_copy_stats local, session;
	const struct gm_backend_ops *ops;
	const char *loc;
	char *dflt = NULL;
	struct mig m;
	int error, rerr;

	memset(&m, 0, sizeof(m));
	memset(&session, 0, sizeof(session));
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (co.dry_run)
		return gm_copy(from_uri, to_uri, &co, stats);
	if ((error = gm_backend_resolve(to_uri, GM_OPEN_WRITE, &ops, &loc)) < 0)
		return error;
	m.path = o->checkpoint;
	if (!m.path && (dflt = gm_checkpoint_default(to_uri)))
		m.path = dflt;
	if (o->resume && !m.path) {
		error = gm_error_set(GM_EINVAL,
				     "'%s' has no checkpoint to resume from (give "
				     "--checkpoint FILE)",
				     to_uri);
		goto out;
	}
	if (o->resume) {
		if ((error = gm__ckpt_read(m.path, &m.ck)) < 0)
			goto out;
		if (strcmp(m.ck.from, from_uri) || strcmp(m.ck.to, to_uri)) {
			char f[1024], t[1024];

			error = gm_error_set(GM_EINVAL,
					     "the checkpoint '%s' is for --from '%s' --to '%s'",
					     m.path, gm_uri_redact(m.ck.from, f, sizeof(f)),
					     gm_uri_redact(m.ck.to, t, sizeof(t)));
			goto out;
		}
		m.written = 1;
		/* the run goes on as it started: same batches, same decisions */
		co.batch_size = (size_t)m.ck.batch_size;
		co.on_error = m.ck.on_error;
		co.existing = m.ck.existing;
		co.lossy = m.ck.lossy;
		co.run = m.ck.run;
		if (m.ck.committed) {
			if ((error = gm_copy_stats_add(&m.base, &m.ck.st)) < 0)
				goto out;
		} else if (m.ck.position > 0) {
			co.skip = m.ck.position;
			co.resume_nodes = m.ck.st.nodes_written;
			co.resume_rels = m.ck.st.rels_written;
			if (ops->caps & GM_CAP_RESUME) {
				co.open_flags |= GM_OPEN_F_RESUME;
				co.resume_size = m.ck.target_size;
			}
			if ((error = gm_copy_stats_add(&m.base, &m.ck.st)) < 0)
				goto out;
		}
	} else {
		if (m.path && file_exists(m.path) && !co.force) {
			struct gm_ckpt old;

			if (gm__ckpt_read(m.path, &old) == 0) {
				error = gm_error_set(
					GM_EINVAL,
					"'%s' holds the checkpoint of unfinished run %lld: "
					"continue it with --resume, or remove it (--force)",
					m.path, (long long)old.run);
				gm__ckpt_free(&old);
			} else {
				error = gm_error_set(
					GM_EINVAL,
					"'%s' exists but is no checkpoint; remove it or "
					"give --checkpoint FILE",
					m.path);
			}
			goto out;
		}
		if (!(m.ck.from = gm_strdup(from_uri)) || !(m.ck.to = gm_strdup(to_uri))) {
			error = GM_ENOMEM;
			goto out;
		}
		m.ck.batch_size = co.batch_size ? co.batch_size : DEFAULT_BATCH;
		m.ck.on_error = co.on_error;
		m.ck.existing = co.existing;
		m.ck.lossy = co.lossy;
		m.ck.run = (int64_t)time(NULL); /* replaced by the store's own run id */
		m.created = (ops->caps & GM_CAP_FILE) && *loc && !file_exists(loc);
		count_before(&m, ops, loc, to_uri);
	}
	co.batch_done = on_batch;
	co.batch_ctx = &m;
	if (m.ck.committed) { /* interrupted after the commit: only the verify is left */
		error = committed_session(&m, from_uri, ops, &session);
	} else {
		gm_io_set_keep_interrupted(m.path != NULL);
		error = gm_copy(from_uri, to_uri, &co, &session);
		gm_io_set_keep_interrupted(0);
	}

	/* the run's summary: earlier sessions plus this one */
	stats->source_backend = session.source_backend;
	stats->target_backend = session.target_backend;
	session.source_backend = session.target_backend = NULL;
	stats->target_txn = session.target_txn;
	stats->committed = session.committed;
	stats->seconds = session.seconds;
	if ((rerr = gm_copy_stats_add(stats, &m.base)) == 0)
		rerr = gm_copy_stats_add(stats, &session);
	stats->run = m.ck.run;
	if (error == 0 && rerr == 0 && !o->no_verify) {
		/* a resume after an interruption from here on only verifies */
		if (m.path && !m.ck.committed) {
			m.ck.committed = 1;
			gm_copy_stats_free(&m.ck.st);
			if ((rerr = gm_copy_stats_add(&m.ck.st, stats)) < 0 ||
			    (rerr = gm__ckpt_write(m.path, &m.ck)) < 0) {
				error = rerr; /* the copy stands; only its report failed */
				goto out;
			}
			m.written = 1;
		}
		gm__fault_before_verify();
		error = verify_after(&m, from_uri, to_uri, ops, stats);
	}
	if (error == 0) { /* the copy is committed: a failed summary changes nothing of it */
		if (m.path)
			unlink(m.path);
		error = rerr;
		goto out;
	}
	/* a wrong file is not left under the final name: a replaced file, or a
	   store this run created that cannot roll a run back */
	if (stats->verify_failed && !o->no_rollback && (ops->caps & GM_CAP_FILE) &&
	    (!(ops->caps & GM_CAP_EXISTING) || (m.created && !ops->rollback)) &&
	    remove_target(loc) == 0) {
		stats->committed = 0;
		stats->rolled_back = 1;
		stats->removed = 1;
	}
	if (gm_interrupted || error == GM_EINTR)
		goto out; /* resumable: keep the checkpoint and what was written */
	/* a store that records runs rolls back without a checkpoint too (falkordb:) */
	/* (a resumed session that failed before its target opened wrote nothing) */
	if (!o->no_rollback && ops->rollback && m.ck.run > 0 &&
	    (o->resume ? m.opened : m.written || m.opened) &&
	    (!(ops->caps & GM_CAP_FILE) || file_exists(loc))) {
		char msg[1024];
		uint64_t n = 0, r = 0;

		snprintf(msg, sizeof(msg), "%s", gm_error_last());
		if (ops->rollback((ops->caps & GM_CAP_FILE) ? loc : to_uri, m.ck.run, &n, &r) ==
		    0) {
			stats->rolled_back = 1;
			stats->committed = 0;
		} else
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
				 "; rolling back run %lld failed too: %s", (long long)m.ck.run,
				 gm_error_last());
		gm_error_set(error, "%s", msg);
	}
	/* a failed run is not resumed (it would fail again): its checkpoint goes */
	if (m.path && m.written)
		unlink(m.path);
out:
	gm_copy_stats_free(&session);
	gm_copy_stats_free(&m.base);
	gm__ckpt_free(&m.ck);
	gm_free(dflt);
	if (stats == &local)
		gm_copy_stats_free(&local);
	return error;
}

int gm_rollback(const char *uri, int64_t run, uint64_t *nodes, uint64_t *rels)
{
	const struct gm_backend_ops *ops;
	const char *loc;
	int error;

	*nodes = *rels = 0;
	if ((error = gm_backend_resolve(uri, GM_OPEN_WRITE, &ops, &loc)) < 0)
		return error;
	if (!ops->rollback) {
		if (ops->caps & GM_CAP_TXN)
			return gm_error_set(
				GM_EUNSUPPORTED,
				"the %s store '%s' keeps no record of runs; a run is one "
				"transaction there, so a failed run left nothing",
				ops->name, loc);
		return gm_error_set(GM_EUNSUPPORTED,
				    "the %s target '%s' is written whole (a failed run leaves "
				    "nothing under its name); there is no run to roll back",
				    ops->name, loc);
	}
	if ((ops->caps & GM_CAP_FILE) && !file_exists(loc))
		return gm_error_set(GM_ENOTFOUND, "'%s' does not exist", loc);
	return ops->rollback((ops->caps & GM_CAP_FILE) ? loc : uri, run, nodes, rels);
}
