/* SPDX-License-Identifier: MIT */
/* gmig verify: compare two graphs exactly; exit 0 equal, 1 different, 2 error. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "json.h"

static const char *const kind_names[] = {"", "missing", "extra", "changed", "unreadable"};

static void put_side(struct gm_buf *b, const struct gm_verify_report *r, int s)
{
	gm_buf_printf(b, "{\"nodes\":%llu,\"relationships\":%llu,\"unreadable\":%llu",
		      (unsigned long long)r->nodes[s], (unsigned long long)r->rels[s],
		      (unsigned long long)r->unreadable[s]);
	if (r->sampled[s] || r->sampled[!s])
		gm_buf_printf(b, ",\"sampled\":%llu", (unsigned long long)r->sampled[s]);
	gm_buf_putc(b, '}');
}

static void put_pair(struct gm_buf *b, const char *name, const uint64_t *v)
{
	gm_buf_printf(b, ",\"%s\":{\"nodes\":%llu,\"relationships\":%llu}", name,
		      (unsigned long long)v[0], (unsigned long long)v[1]);
}

static void report_json(const struct gm_verify_report *r, uint64_t sample)
{
	struct gm_buf b = GM_BUF_INIT;

	gm_buf_printf(&b, "{\"equal\":%s,\"sample\":%llu,\"from\":", r->equal ? "true" : "false",
		      (unsigned long long)sample);
	put_side(&b, r, 0);
	gm_buf_puts(&b, ",\"to\":");
	put_side(&b, r, 1);
	put_pair(&b, "missing", r->missing);
	put_pair(&b, "extra", r->extra);
	put_pair(&b, "changed", r->changed);
	gm_buf_printf(&b, ",\"digests\":{\"from\":\"%s\",\"to\":\"%s\"}",
		      r->digested[0] ? "backend" : "streamed",
		      r->digested[1] ? "backend" : "streamed");
	gm_buf_printf(&b,
		      ",\"truncated\":%s,\"differing_buckets\":%llu,\"passes\":%u,"
		      "\"seconds\":%.3f,\"counts\":[",
		      r->truncated ? "true" : "false", (unsigned long long)r->differing_buckets,
		      r->passes, r->seconds);
	for (size_t i = 0; i < r->nrows; i++) {
		gm_buf_puts(&b, i ? ",{" : "{");
		gm_buf_puts(&b, r->rows[i].is_rel ? "\"type\":" : "\"labels\":");
		gm_json_put_string(&b, r->rows[i].name, strlen(r->rows[i].name), 0);
		gm_buf_printf(&b, ",\"from\":%llu,\"to\":%llu}",
			      (unsigned long long)r->rows[i].count[0],
			      (unsigned long long)r->rows[i].count[1]);
	}
	gm_buf_puts(&b, "],\"differences\":[");
	for (size_t i = 0; i < r->ndiffs; i++) {
		const struct gm_diff *d = &r->diffs[i];

		gm_buf_printf(&b, "%s{\"kind\":\"%s\",\"entity\":\"%s\"", i ? "," : "",
			      kind_names[d->kind], d->is_rel ? "relationship" : "node");
		if (d->kind == GM_DIFF_UNREADABLE) {
			gm_buf_printf(&b, ",\"side\":\"%s\",\"text\":", d->side ? "to" : "from");
			gm_json_put_string(&b, d->key, strlen(d->key), 0);
			gm_buf_putc(&b, '}');
			continue;
		}
		gm_buf_puts(&b, ",\"key\":");
		gm_json_put_string(&b, d->key, strlen(d->key), 0);
		if (d->kind == GM_DIFF_CHANGED) {
			gm_buf_puts(&b, ",\"fields\":[");
			for (size_t k = 0; k < d->nfields; k++) {
				const struct gm_diff_field *f = &d->fields[k];

				gm_buf_puts(&b, k ? ",{" : "{");
				gm_buf_puts(&b, f->is_prop ? "\"property\":" : "\"field\":");
				gm_json_put_string(&b, f->field, strlen(f->field), 0);
				if (f->from_json)
					gm_buf_printf(&b, ",\"from\":%s", f->from_json);
				if (f->to_json)
					gm_buf_printf(&b, ",\"to\":%s", f->to_json);
				gm_buf_putc(&b, '}');
			}
			gm_buf_putc(&b, ']');
		}
		gm_buf_putc(&b, '}');
	}
	gm_buf_puts(&b, "]}\n");
	if (b.p)
		fputs(b.p, stdout);
	gm_buf_free(&b);
}

void cli_verify_text(FILE *out, const struct gm_verify_report *r, uint64_t sample)
{
	char a[32], c[32];
	uint64_t nd = 0;

	fprintf(out, "%-32s %12s %12s\n", "label / type", "from", "to");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->nrows; i++)
			if (r->rows[i].is_rel == pass) {
				const struct gm_verify_row *w = &r->rows[i];

				cli_pad(out, w->name, 32);
				fprintf(out, " %12s %12s%s\n", cli_num(w->count[0], a, sizeof(a)),
					cli_num(w->count[1], c, sizeof(c)),
					w->count[0] != w->count[1] ? "  differs" : "");
			}
	for (size_t i = 0; i < r->ndiffs; i++) {
		const struct gm_diff *d = &r->diffs[i];
		const char *what = d->is_rel ? "relationship" : "node";

		switch (d->kind) {
		case GM_DIFF_UNREADABLE:
			fprintf(out, "unreadable (%s): %s\n", d->side ? "to" : "from", d->key);
			break;
		case GM_DIFF_MISSING: fprintf(out, "missing %s '%s'\n", what, d->key); break;
		case GM_DIFF_EXTRA: fprintf(out, "extra %s '%s'\n", what, d->key); break;
		case GM_DIFF_CHANGED:
			fprintf(out, "changed %s '%s'\n", what, d->key);
			for (size_t k = 0; k < d->nfields; k++) {
				const struct gm_diff_field *f = &d->fields[k];

				fprintf(out, "    %s%s%s: %s -> %s\n",
					f->is_prop ? "property '" : "", f->field,
					f->is_prop ? "'" : "",
					f->from_json ? f->from_json : "(absent)",
					f->to_json ? f->to_json : "(absent)");
			}
			break;
		}
	}
	for (int k = 0; k < 2; k++)
		nd += r->missing[k] + r->extra[k] + r->changed[k];
	if (sample)
		fprintf(out, "sample: %llu records of from, %llu of to compared\n",
			(unsigned long long)r->sampled[0], (unsigned long long)r->sampled[1]);
	if (r->equal) {
		fprintf(out, "equal: %llu nodes, %llu relationships in %.3f s\n",
			(unsigned long long)r->nodes[0], (unsigned long long)r->rels[0],
			r->seconds);
		return;
	}
	fprintf(out,
		"different%s: %s%llu missing, %llu extra, %llu changed nodes; %llu missing, %llu "
		"extra, %llu changed relationships",
		r->truncated ? " (at least)" : "", "", (unsigned long long)r->missing[0],
		(unsigned long long)r->extra[0], (unsigned long long)r->changed[0],
		(unsigned long long)r->missing[1], (unsigned long long)r->extra[1],
		(unsigned long long)r->changed[1]);
	if (r->unreadable[0] || r->unreadable[1])
		fprintf(out, "; unreadable records: %llu in from, %llu in to",
			(unsigned long long)r->unreadable[0], (unsigned long long)r->unreadable[1]);
	fprintf(out, " (%.3f s)\n", r->seconds);
	if (r->ndiffs < nd + r->unreadable[0] + r->unreadable[1])
		fprintf(out, "(%zu differences listed; --max-diffs N lists more)\n", r->ndiffs);
}

int cmd_verify(int argc, const char **argv)
{
	const char *from = NULL, *to = NULL;
	uint64_t sample = 0, max = 100;
	int json = 0, no_digest = 0, rc, error;
	struct gm_verify_report rep;
	struct gm_verify_opts vo;
	const struct opt opts[] = {
		{OPT_STRING, "from", 'f', &from, "URI", "the first graph (the source)", NULL},
		{OPT_STRING, "to", 't', &to, "URI", "the second graph (the copy)", NULL},
		{OPT_U64, "sample", 0, &sample, "N",
		 "compare only about N records chosen by key hash (quick check)", NULL},
		{OPT_U64, "max-diffs", 0, &max, "N", "differences listed (100); all are counted",
		 NULL},
		{OPT_BOOL, "no-digest", 0, &no_digest, NULL,
		 "stream every record even from a store that computes digests itself", NULL},
		{OPT_BOOL, "json", 0, &json, NULL, "print the report as JSON", NULL},
		{OPT_END, NULL, 0, NULL, NULL, NULL, NULL}};
	const struct cmd_info info = {
		"verify", "gmig verify --from URI --to URI [--sample N] [--no-digest] [--json]",
		"Compares two graphs exactly, key by key, in memory that does not grow with their\n"
		"size: counts per label set and relationship type, then digests of every record,\n"
		"then the differing records: missing, extra, and changed (naming each property\n"
		"that differs). Floats and temporals compare by exact value (docs/verify.md).\n"
		"Exit status 0 when equal, 1 when different, 2 when a graph cannot be read.",
		opts};

	if ((rc = opt_parse(&info, argc, argv)) != 0)
		return rc > 0 ? 0 : USAGE_ERROR;
	if (!from || !to) {
		fprintf(stderr, "gmig verify: --from and --to are required\nusage: %s\n",
			info.usage);
		return USAGE_ERROR;
	}
	memset(&vo, 0, sizeof(vo));
	vo.sample = sample;
	vo.no_digest = no_digest;
	vo.max_diffs = max ? (size_t)max : (size_t)-1;
	error = gm_verify(from, to, &vo, &rep);
	if (error < 0) {
		rc = cli_error("verify", error);
		gm_verify_report_free(&rep);
		return rc;
	}
	if (json)
		report_json(&rep, sample);
	else
		cli_verify_text(stdout, &rep, sample);
	rc = rep.equal ? 0 : 1;
	gm_verify_report_free(&rep);
	return rc;
}
