/* SPDX-License-Identifier: MIT */
/*
 * The plan gmig migrate --dry-run prints before its summary: what the source
 * holds, what the target holds now, what the run would create, and how it would
 * go (batches, checkpoints, key policy, rate, an estimated time).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "gmig/sys/backend.h"

#define DEFAULT_BATCH 10000

void cli_plan(FILE *out, const char *from, const char *to, const struct gm_copy_opts *o,
	      const struct gm_copy_stats *st, int no_verify)
{
	const struct gm_backend_ops *ops;
	const char *loc, *skip;
	uint64_t n = 0, r = 0, records = st->nodes_read + st->rels_read + st->unreadable;
	uint64_t batch = o->batch_size ? o->batch_size : DEFAULT_BATCH;
	int counted = gm_backend_count_uri(from, &n, &r), exists = 0, store;
	double est;
	struct stat sb;
	char *ckpt;

	fprintf(out, "plan: migrate '%s' -> '%s'\n", from, to);
	if (counted)
		fprintf(out,
			"  source       %s: %llu nodes, %llu relationships (its count; %llu "
			"records read)\n",
			st->source_backend ? st->source_backend : "?", (unsigned long long)n,
			(unsigned long long)r, (unsigned long long)records);
	else
		fprintf(out,
			"  source       %s: %llu nodes, %llu relationships (counted by reading)\n",
			st->source_backend ? st->source_backend : "?",
			(unsigned long long)st->nodes_read, (unsigned long long)st->rels_read);
	if (gm_backend_resolve(to, GM_OPEN_WRITE, &ops, &loc) < 0) {
		gm_error_clear();
		return;
	}
	store = (ops->caps & GM_CAP_TXN) != 0;
	n = r = 0;
	if (ops->caps & GM_CAP_FILE)
		exists = *loc && stat(loc, &sb) == 0;
	else /* a server's graph: there when it can be counted */
		exists = gm_backend_count_uri(to, &n, &r) == 1;
	gm_error_clear();
	if (!exists)
		fprintf(out, "  target       %s %s '%s': does not exist\n", ops->name,
			store ? "store" : "file", loc);
	else if (store && (!(ops->caps & GM_CAP_FILE) || gm_backend_count_uri(to, &n, &r)))
		fprintf(out, "  target       %s store '%s': %s, %llu nodes, %llu relationships\n",
			ops->name, loc, n + r ? "not empty" : "empty", (unsigned long long)n,
			(unsigned long long)r);
	else
		fprintf(out, "  target       %s %s '%s': exists%s\n", ops->name,
			store ? "store" : "file", loc,
			store	   ? ""
			: o->force ? " (replaced: --force)"
				   : " (refused without --force)");
	if (!store && !strcmp(loc, "-"))
		fprintf(out, "  will create  nothing: the graph goes to standard output\n");
	else if (!store)
		fprintf(out, "  will create  file '%s' (written as '%s.tmp', renamed at the end)\n",
			loc, loc);
	else if (!exists)
		fprintf(out, "  will create  store file '%s' with its schema and indexes\n", loc);
	else
		fprintf(out, "  will create  nothing new: rows are added to the store\n");
	if (store)
		fprintf(out, "  keys         keys already in the target are %s\n",
			o->existing == GM_EXISTING_SKIP	  ? "kept as they are (--skip-duplicates)"
			: o->existing == GM_EXISTING_FAIL ? "bad records (--fail-on-existing)"
							  : "replaced (--upsert)");
	ckpt = gm_checkpoint_default(to);
	fprintf(out, "  batches      %llu of %llu records",
		(unsigned long long)((records + batch - 1) / batch), (unsigned long long)batch);
	if (ops->sync && ckpt)
		fprintf(out, "; a checkpoint after each in '%s'\n", ckpt);
	else if (ckpt)
		fprintf(out, "; the target keeps them only at the end, so a resumed run starts "
			     "again\n");
	else
		fprintf(out, "\n");
	gm_free(ckpt);
	if (o->rate > 0)
		fprintf(out, "  rate         at most %.0f records/s\n", o->rate);
	else
		fprintf(out, "  rate         unlimited\n");
	skip = no_verify ? "--no-verify" : gm_migrate_verify_skip(from, to, o->lossy);
	if (skip)
		fprintf(out, "  verify       no: %s\n", skip);
	else
		fprintf(out,
			"  verify       the target against the source, every record, after the "
			"copy\n");
	/* reading and checking took st->seconds; writing is assumed to take twice that */
	est = st->seconds * 3;
	if (o->rate > 0 && (double)records / o->rate > est)
		est = (double)records / o->rate;
	fprintf(out,
		"  estimate     about %.1f s (reading and checking took %.2f s; writing is "
		"assumed to take twice that%s)\n",
		est, st->seconds, o->rate > 0 ? ", or --rate, whichever is slower" : "");
	fprintf(out, "\n");
}
