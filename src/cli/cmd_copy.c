/* SPDX-License-Identifier: MIT */
/*
 * gmig export / import / migrate / generate: one copy operation (gm_copy) with
 * different defaults and words, and the summary printed after it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "json.h"

static const char *const on_error_choices[] = {"stop", "skip", NULL};

struct copy_args {
	const char *from, *to, *reject, *lossy;
	uint64_t batch, max_errors;
	int on_error, dry_run, progress, json, force, no_sync;
	/* migrate only: a managed run (gm_migrate) */
	int managed, resume, skip_dup, upsert, fail_existing, no_rollback, no_verify;
	const char *checkpoint;
	uint64_t rate;
};

void cli_pad(FILE *out, const char *s, int width)
{
	int chars = 0;

	/* count characters, not bytes: continuation bytes of UTF-8 take no column */
	for (const char *p = s; *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	fputs(s, out);
	for (; chars < width; chars++)
		fputc(' ', out);
}

const char *cli_num(uint64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

int cli_error(const char *cmd, int code)
{
	fprintf(stderr, "gmig %s: %s\n", cmd,
		*gm_error_last() ? gm_error_last() : gm_error_name(code));
	return 2;
}

static void fmt_eta(char *buf, size_t len, double s)
{
	if (s < 0 || s > 1e7)
		snprintf(buf, len, "?");
	else if (s >= 3600)
		snprintf(buf, len, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
	else
		snprintf(buf, len, "%d:%02d", (int)s / 60, (int)s % 60);
}

struct progress_state {
	int tty;
	int json;
};

void cli_progress(const struct gm_progress *p, void *ctx)
{
	struct progress_state *ps = ctx;
	double rate = p->elapsed > 0 ? (double)p->records / p->elapsed : 0;

	if (ps->json) {
		fprintf(stderr,
			"{\"event\":\"progress\",\"records\":%llu,\"done\":%llu,\"total\":%llu,"
			"\"elapsed\":%.3f,\"final\":%s}\n",
			(unsigned long long)p->records, (unsigned long long)p->bytes_done,
			(unsigned long long)p->bytes_total, p->elapsed,
			p->final ? "true" : "false");
		return;
	}
	fprintf(stderr, "%s%llu records, %.0f records/s", ps->tty ? "\r\033[K" : "",
		(unsigned long long)p->records, rate);
	if (p->bytes_total && p->bytes_done <= p->bytes_total) {
		double frac = (double)p->bytes_done / (double)p->bytes_total;
		char eta[32];

		fmt_eta(eta, sizeof(eta), frac > 0 ? p->elapsed / frac - p->elapsed : -1);
		fprintf(stderr, ", %.0f%%, ETA %s", floor(frac * 100), eta);
	}
	fputs(ps->tty && !p->final ? "" : "\n", stderr);
}

static int resume_uris(struct copy_args *a);

static void summary_text(FILE *out, const struct gm_copy_stats *st, int dry_run)
{
	uint64_t read = 0, written = 0, rejected = 0, skipped = 0;
	int sk = st->skipped != 0; /* a column for --skip-duplicates */
	static const char rule[] = "------------";
	char a[32], b[32], c[32], d[32];

	fprintf(out, "%-32s %12s %12s", "label / type", "read", dry_run ? "checked" : "written");
	if (sk)
		fprintf(out, " %12s", "(skipped)");
	fprintf(out, " %12s\n", "rejected");
	fprintf(out, "%-32s %12s %12s%s%s %12s\n", "--------------------------------", rule, rule,
		sk ? " " : "", sk ? rule : "", rule);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->nrows; i++) {
			const struct gm_stat_row *r = &st->rows[i];

			if (r->is_rel != pass)
				continue;
			cli_pad(out, r->name, 32);
			fprintf(out, " %12s %12s", cli_num(r->read, a, sizeof(a)),
				cli_num(r->written, b, sizeof(b)));
			if (sk)
				fprintf(out, " %12s", cli_num(r->skipped, d, sizeof(d)));
			fprintf(out, " %12s\n", cli_num(r->rejected, c, sizeof(c)));
			read += r->read;
			written += r->written;
			rejected += r->rejected;
			skipped += r->skipped;
		}
	rejected = st->rejected; /* also counts a record a stopped batch refused */
	fprintf(out, "%-32s %12s %12s%s%s %12s\n", "--------------------------------", rule, rule,
		sk ? " " : "", sk ? rule : "", rule);
	fprintf(out, "%-32s %12s %12s", "total", cli_num(read, a, sizeof(a)),
		cli_num(written, b, sizeof(b)));
	if (sk)
		fprintf(out, " %12s", cli_num(skipped, d, sizeof(d)));
	fprintf(out, " %12s\n", cli_num(rejected, c, sizeof(c)));
	if (st->dropped)
		fprintf(out,
			"%llu of them left out by --lossy=drop (the target cannot hold them)\n",
			(unsigned long long)st->dropped);
	if (st->skipped)
		fprintf(out,
			"%llu of them skipped: their key was already in the target "
			"(--skip-duplicates)\n",
			(unsigned long long)st->skipped);
	fprintf(out, "%llu nodes and %llu relationships %s in %.3f s (%s -> %s)\n",
		(unsigned long long)st->nodes_written, (unsigned long long)st->rels_written,
		dry_run ? "checked" : "written", st->seconds,
		st->source_backend ? st->source_backend : "?",
		st->target_backend ? st->target_backend : "?");
	if (st->verified && st->verify_added)
		fprintf(out,
			"verified: the target holds every record of the source exactly, %llu of "
			"them "
			"with fields the store fills in itself (%.3f s)\n",
			(unsigned long long)st->verify_added, st->verify_seconds);
	else if (st->verified)
		fprintf(out,
			"verified: the target holds every record of the source exactly (%.3f s)\n",
			st->verify_seconds);
	else if (st->verify_skip)
		fprintf(out, "not verified: %s\n", st->verify_skip);
}

static void summary_json(FILE *out, const struct gm_copy_stats *st, int rc, int dry_run)
{
	struct gm_buf b = GM_BUF_INIT;

	gm_buf_printf(&b, "{\"ok\":%s,\"dry_run\":%s,", rc ? "false" : "true",
		      dry_run ? "true" : "false");
	if (rc) {
		gm_buf_puts(&b, "\"error\":");
		gm_json_put_string(&b, gm_error_last(), strlen(gm_error_last()), 0);
		gm_buf_putc(&b, ',');
	}
	gm_buf_printf(&b,
		      "\"records_read\":%llu,\"records_written\":%llu,"
		      "\"nodes_read\":%llu,\"nodes_written\":%llu,\"relationships_read\":%llu,"
		      "\"relationships_written\":%llu,\"rejected\":%llu,\"dropped\":%llu,"
		      "\"skipped\":%llu,\"batches\":%llu,\"run\":%lld,\"rolled_back\":%s,"
		      "\"seconds\":%.3f,\"verified\":%s,",
		      (unsigned long long)(st->nodes_read + st->rels_read + st->unreadable),
		      (unsigned long long)(st->nodes_written + st->rels_written),
		      (unsigned long long)st->nodes_read, (unsigned long long)st->nodes_written,
		      (unsigned long long)st->rels_read, (unsigned long long)st->rels_written,
		      (unsigned long long)st->rejected, (unsigned long long)st->dropped,
		      (unsigned long long)st->skipped, (unsigned long long)st->batches,
		      (long long)st->run, st->rolled_back ? "true" : "false", st->seconds,
		      st->verified ? "true" : "false");
	if (st->verify_skip) {
		gm_buf_puts(&b, "\"not_verified\":");
		gm_json_put_string(&b, st->verify_skip, strlen(st->verify_skip), 0);
		gm_buf_putc(&b, ',');
	}
	if (st->nunstorable) {
		gm_buf_puts(&b, "\"unstorable\":[");
		for (size_t i = 0; i < st->nunstorable; i++) {
			gm_buf_printf(&b, "%s{\"type\":\"%s\",\"records\":%llu,\"first\":",
				      i ? "," : "", st->unstorable[i].type,
				      (unsigned long long)st->unstorable[i].records);
			gm_json_put_string(&b, st->unstorable[i].first,
					   strlen(st->unstorable[i].first), 0);
			gm_buf_putc(&b, '}');
		}
		gm_buf_puts(&b, "],");
	}
	if (st->verified || st->verify)
		gm_buf_printf(&b, "\"verify_seconds\":%.3f,\"verify_added\":%llu,",
			      st->verify_seconds, (unsigned long long)st->verify_added);
	gm_buf_puts(&b, "\"rows\":[");
	for (size_t i = 0; i < st->nrows; i++) {
		const struct gm_stat_row *r = &st->rows[i];

		gm_buf_puts(&b, i ? ",{\"" : "{\"");
		gm_buf_puts(&b, r->is_rel ? "type\":" : "labels\":");
		gm_json_put_string(&b, r->name, strlen(r->name), 0);
		gm_buf_printf(&b,
			      ",\"read\":%llu,\"written\":%llu,\"skipped\":%llu,\"rejected\":%llu}",
			      (unsigned long long)r->read, (unsigned long long)r->written,
			      (unsigned long long)r->skipped, (unsigned long long)r->rejected);
	}
	gm_buf_puts(&b, "]}\n");
	if (b.p)
		fputs(b.p, out);
	gm_buf_free(&b);
}

static int run_copy(const char *verb, const struct cmd_info *info, struct copy_args *a, int argc,
		    const char **argv)
{
	struct gm_copy_opts o;
	struct gm_copy_stats st;
	struct progress_state ps;
	FILE *report;
	int rc, error;
	char uri[1024];

	if ((rc = opt_parse(info, argc, argv)) != 0)
		return rc > 0 ? 0 : USAGE_ERROR;
	if (a->managed && a->resume && (!a->from || !a->to) && (rc = resume_uris(a)) != 0)
		return rc;
	if (!a->from || !a->to) {
		fprintf(stderr, "gmig %s: --%s is required\nusage: %s\n", verb,
			!a->from ? "from" : "to", info->usage);
		return USAGE_ERROR;
	}
	if (a->reject && a->on_error != GM_ON_ERROR_SKIP) {
		fprintf(stderr, "gmig %s: --reject-file needs --on-error=skip\n", verb);
		return USAGE_ERROR;
	}
	memset(&o, 0, sizeof(o));
	o.batch_size = (size_t)a->batch;
	o.on_error = (enum gm_on_error)a->on_error;
	o.max_errors = a->max_errors;
	o.reject_path = a->reject;
	o.dry_run = a->dry_run;
	o.force = a->force;
	gm_io_set_fsync(!a->no_sync);
	if (a->lossy && gm_lossy_parse(a->lossy, strlen(a->lossy), &o.lossy) < 0) {
		fprintf(stderr, "gmig %s: --lossy: %s\n", verb, gm_error_last());
		return USAGE_ERROR;
	}
	if (a->skip_dup + a->upsert + a->fail_existing > 1) {
		fprintf(stderr,
			"gmig %s: choose one of --skip-duplicates, --upsert and "
			"--fail-on-existing\n",
			verb);
		return USAGE_ERROR;
	}
	o.existing = a->skip_dup	? GM_EXISTING_SKIP
		     : a->fail_existing ? GM_EXISTING_FAIL
					: GM_EXISTING_UPSERT;
	o.rate = (double)a->rate;
	ps.tty = isatty(STDERR_FILENO);
	ps.json = a->json;
	if (a->progress || (ps.tty && !a->json)) {
		o.progress = cli_progress;
		o.progress_ctx = &ps;
	}
	if (a->managed) {
		struct gm_migrate_opts mo;

		memset(&mo, 0, sizeof(mo));
		mo.copy = o;
		mo.checkpoint = a->checkpoint;
		mo.resume = a->resume;
		mo.no_rollback = a->no_rollback;
		mo.no_verify = a->no_verify;
		error = gm_migrate(a->from, a->to, &mo, &st);
	} else {
		error = gm_copy(a->from, a->to, &o, &st);
	}
	rc = error < 0 ? 2 : 0;
	/* the data may be going to stdout: reports go to stderr then */
	report = strcmp(a->to, "-") ? stdout : stderr;
	if (error < 0)
		fprintf(stderr, "gmig %s: %s\n", verb, gm_error_last());
	if (!a->json)
		for (size_t i = 0; i < st.nunstorable; i++)
			fprintf(stderr, "  %-14s %10llu record%s, the first: %s\n",
				st.unstorable[i].type, (unsigned long long)st.unstorable[i].records,
				st.unstorable[i].records == 1 ? " " : "s", st.unstorable[i].first);
	if (st.verify && !a->json)
		cli_verify_text(stderr, st.verify, 0);
	if (a->dry_run && a->managed && error == 0 && !a->json)
		cli_plan(report, a->from, a->to, &o, &st, a->no_verify);
	if (a->json)
		summary_json(report, &st, rc, a->dry_run);
	/* after a failure the table only helps where batches were committed (stores) */
	else if (st.source_backend &&
		 (error == 0 || (st.target_txn && st.nrows && !st.rolled_back && !a->dry_run)))
		summary_text(error < 0 ? stderr : report, &st, a->dry_run);
	if (a->managed && !a->dry_run && st.run > 0 && !a->json && error == 0)
		fprintf(report, "run %lld\n", (long long)st.run);
	if (error < 0 && a->managed && st.source_backend && (gm_interrupted || error == GM_EINTR))
		fprintf(stderr,
			"gmig %s: run %lld was interrupted; continue it with: gmig %s --resume "
			"--to '%s'%s%s\n",
			verb, (long long)st.run, verb, gm_uri_redact(a->to, uri, sizeof(uri)),
			a->checkpoint ? " --checkpoint " : "", a->checkpoint ? a->checkpoint : "");
	else if (error < 0 && st.verify_failed && st.removed)
		fprintf(stderr, "gmig %s: '%s' was removed: it did not hold the source exactly\n",
			verb, gm_uri_redact(a->to, uri, sizeof(uri)));
	else if (error < 0 && st.verify_failed && !st.rolled_back)
		fprintf(stderr,
			"gmig %s: '%s' keeps what the run wrote; compare with gmig verify\n", verb,
			gm_uri_redact(a->to, uri, sizeof(uri)));
	else if (error < 0 && st.committed)
		fprintf(stderr, "gmig %s: '%s' was written in full; only the report failed\n", verb,
			gm_uri_redact(a->to, uri, sizeof(uri)));
	else if (error < 0 && st.rolled_back)
		fprintf(stderr,
			"gmig %s: run %lld was rolled back: '%s' holds what it held before\n", verb,
			(long long)st.run, gm_uri_redact(a->to, uri, sizeof(uri)));
	else if (error < 0 && st.source_backend && st.target_txn && !a->dry_run &&
		 st.nodes_written + st.rels_written)
		fprintf(stderr,
			"gmig %s: the batches committed to '%s' before the failure stay there "
			"(%llu records)\n",
			verb, gm_uri_redact(a->to, uri, sizeof(uri)),
			(unsigned long long)(st.nodes_written + st.rels_written));
	else if (error < 0 && st.source_backend)
		fprintf(stderr, "gmig %s: nothing was written to '%s'\n", verb,
			gm_uri_redact(a->to, uri, sizeof(uri)));
	gm_copy_stats_free(&st);
	return rc;
}

/* --resume without --from/--to: they come from the checkpoint. */
static int resume_uris(struct copy_args *a)
{
	static char *from, *to; /* live until the process ends */
	char *dflt = NULL;
	const char *path = a->checkpoint;

	if (!path && a->to && !(path = dflt = gm_checkpoint_default(a->to))) {
		fprintf(stderr, "gmig migrate: '%s' has no default checkpoint; give --checkpoint\n",
			a->to);
		return USAGE_ERROR;
	}
	if (!path) {
		fprintf(stderr, "gmig migrate: --resume needs --to or --checkpoint\n");
		return USAGE_ERROR;
	}
	if (gm_checkpoint_uris(path, &from, &to) < 0) {
		fprintf(stderr, "gmig migrate: %s\n", gm_error_last());
		gm_free(dflt);
		return 2;
	}
	gm_free(dflt);
	if (!a->from)
		a->from = from;
	if (!a->to)
		a->to = to;
	return 0;
}

/* Appends the options every copy command shares (and the end marker) at t. */
static void copy_opts(struct opt *t, struct copy_args *a)
{
	const struct opt common[] = {
		{OPT_U64, "batch-size", 'b', &a->batch, "N", "records per write batch (10000)",
		 NULL},
		{OPT_CHOICE, "on-error", 0, &a->on_error, "stop|skip",
		 "stop at the first bad record (default) or skip it", on_error_choices},
		{OPT_STRING, "reject-file", 0, &a->reject, "FILE",
		 "with --on-error=skip: log each skipped record with its position and reason",
		 NULL},
		{OPT_U64, "max-errors", 0, &a->max_errors, "N",
		 "with --on-error=skip: fail once more than N records were skipped", NULL},
		{OPT_STRING, "lossy", 0, &a->lossy, "MODE",
		 "stringify and/or drop what the target cannot store exactly (else refused)", NULL},
		{OPT_BOOL, "dry-run", 'n', &a->dry_run, NULL,
		 "read and check everything, write nothing", NULL},
		{OPT_BOOL, "force", 'f', &a->force, NULL, "replace an existing target file", NULL},
		{OPT_BOOL, "no-sync", 0, &a->no_sync, NULL,
		 "do not fsync output files before renaming them into place", NULL},
		{OPT_BOOL, "progress", 0, &a->progress, NULL,
		 "show progress on stderr even when it is not a terminal", NULL},
		{OPT_BOOL, "json", 0, &a->json, NULL, "print the summary (and progress) as JSON",
		 NULL},
		{OPT_END, NULL, 0, NULL, NULL, NULL, NULL}};

	memcpy(t, common, sizeof(common));
}

#define MAX_OPTS 24

int cmd_export(int argc, const char **argv)
{
	struct copy_args a = {0};
	struct opt opts[MAX_OPTS] = {
		{OPT_STRING, "from", 0, &a.from, "URI", "the store or file to read", NULL},
		{OPT_STRING, "to", 0, &a.to, "FILE",
		 "the file to write ('-' for stdout); format from its ending or a scheme", NULL}};
	const struct cmd_info info = {
		"export", "gmig export --from URI --to FILE [options]",
		"Writes every node and relationship of a store to a file. The file appears only "
		"when\n"
		"the export succeeded (it is written to FILE.tmp and renamed). Formats: see 'gmig "
		"formats'.",
		opts};

	copy_opts(opts + 2, &a);
	return run_copy("export", &info, &a, argc, argv);
}

int cmd_import(int argc, const char **argv)
{
	struct copy_args a = {0};
	struct opt opts[MAX_OPTS] = {
		{OPT_STRING, "from", 0, &a.from, "FILE", "the graph file to read ('-' for stdin)",
		 NULL},
		{OPT_STRING, "to", 0, &a.to, "URI", "the store to load into", NULL}};
	const struct cmd_info info = {"import", "gmig import --from FILE --to URI [options]",
				      "Loads a graph file (gmig JSONL, APOC JSON, neo4j-admin CSV, "
				      "GraphML; .gz/.zst) into a\n"
				      "store or another file.",
				      opts};

	copy_opts(opts + 2, &a);
	return run_copy("import", &info, &a, argc, argv);
}

int cmd_migrate(int argc, const char **argv)
{
	struct copy_args a = {0};
	struct opt opts[MAX_OPTS] = {
		{OPT_STRING, "from", 0, &a.from, "URI", "the source store or file", NULL},
		{OPT_STRING, "to", 0, &a.to, "URI", "the target store or file", NULL},
		{OPT_BOOL, "resume", 0, &a.resume, NULL,
		 "continue the interrupted run the checkpoint describes (--from/--to from it)",
		 NULL},
		{OPT_STRING, "checkpoint", 0, &a.checkpoint, "FILE",
		 "where the run's position is saved (default: TARGET.gmig-checkpoint)", NULL},
		{OPT_BOOL, "upsert", 0, &a.upsert, NULL,
		 "keys already in the target store are replaced (default)", NULL},
		{OPT_BOOL, "skip-duplicates", 0, &a.skip_dup, NULL,
		 "keys already in the target store are kept as they are (counted)", NULL},
		{OPT_BOOL, "fail-on-existing", 0, &a.fail_existing, NULL,
		 "a key already in the target store is a bad record", NULL},
		{OPT_U64, "rate", 0, &a.rate, "N", "copy at most N records per second", NULL},
		{OPT_BOOL, "no-rollback", 0, &a.no_rollback, NULL,
		 "keep what a failed run wrote to a store (see gmig rollback)", NULL},
		{OPT_BOOL, "no-verify", 0, &a.no_verify, NULL,
		 "do not compare the target with the source after the copy", NULL}};
	const struct cmd_info info = {
		"migrate",
		"gmig migrate --from URI --to URI [options]\n       gmig migrate --resume --to URI",
		"Copies a whole graph from any backend to any other, streaming, in batches, as a\n"
		"run with an id and a checkpoint after every batch: after any interruption\n"
		"--resume continues it; a failed run is rolled back. Then the target is compared\n"
		"with the source, record by record (gmig verify; --no-verify leaves it out).\n"
		"A bad record stops the run unless --on-error=skip. --dry-run prints the plan.",
		opts};

	a.managed = 1;
	copy_opts(opts + 10, &a);
	return run_copy("migrate", &info, &a, argc, argv);
}

int cmd_generate(int argc, const char **argv)
{
	struct copy_args a = {0};
	uint64_t nodes = 1000, edges = 5000, seed = 1;
	const char *cas = NULL, *profile = NULL;
	char uri[512];
	struct opt opts[MAX_OPTS] = {
		{OPT_STRING, "to", 0, &a.to, "URI", "where to write the graph", NULL},
		{OPT_U64, "nodes", 0, &nodes, "N", "number of nodes (1000)", NULL},
		{OPT_U64, "edges", 0, &edges, "M", "number of relationships (5000)", NULL},
		{OPT_U64, "seed", 0, &seed, "S", "random seed: same seed, same graph (1)", NULL},
		{OPT_STRING, "case", 0, &cas, "NAME",
		 "a fixed conformance case instead: empty, unicode, types, selfloops, parallel, "
		 "dangling, dupkey, big",
		 NULL},
		{OPT_STRING, "profile", 0, &profile, "NAME",
		 "a generator profile (default: all types)", NULL}};
	const struct cmd_info info = {
		"generate", "gmig generate --to URI [--nodes N] [--edges M] [--seed S] [options]",
		"Writes a seeded synthetic graph: every value type, self-loops, parallel\n"
		"relationships and power-law degrees. The same seed always gives the same graph.",
		opts};
	int rc;

	copy_opts(opts + 6, &a);
	/* parse once to learn the generator's parameters; run_copy parses again */
	if ((rc = opt_parse(&info, argc, argv)) != 0)
		return rc > 0 ? 0 : USAGE_ERROR;
	if (cas)
		snprintf(uri, sizeof(uri), "generate:?case=%s", cas);
	else
		snprintf(uri, sizeof(uri), "generate:?nodes=%llu&edges=%llu&seed=%llu%s%s",
			 (unsigned long long)nodes, (unsigned long long)edges,
			 (unsigned long long)seed, profile ? "&profile=" : "",
			 profile ? profile : "");
	a.from = uri;
	return run_copy("generate", &info, &a, argc, argv);
}
