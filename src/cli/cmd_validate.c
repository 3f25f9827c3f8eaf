/* SPDX-License-Identifier: MIT */
/* gmig validate: report what is wrong with a graph; exit 1 when anything is. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "json.h"

static const char *const kind_names[] = {"",	      "bad_record",  "duplicate_key",
					 "dangling",  "mixed_types", "missing_required",
					 "not_unique"};

static void put_field(struct gm_buf *b, const char *name, const char *v)
{
	gm_buf_printf(b, ",\"%s\":", name);
	if (v)
		gm_json_put_string(b, v, strlen(v), 0);
	else
		gm_buf_puts(b, "null");
}

static void report_json(const struct gm_validate_report *r, int problems)
{
	struct gm_buf b = GM_BUF_INIT;

	gm_buf_printf(&b,
		      "{\"ok\":%s,\"nodes\":%llu,\"relationships\":%llu,\"bad_records\":%llu,"
		      "\"duplicate_keys\":%llu,\"dangling\":%llu,\"mixed_types\":%llu,"
		      "\"missing_required\":%llu,\"not_unique\":%llu,\"seconds\":%.3f,\"counts\":[",
		      problems ? "false" : "true", (unsigned long long)r->nodes,
		      (unsigned long long)r->rels, (unsigned long long)r->bad_records,
		      (unsigned long long)r->duplicate_keys, (unsigned long long)r->dangling,
		      (unsigned long long)r->mixed_types, (unsigned long long)r->missing_required,
		      (unsigned long long)r->not_unique, r->seconds);
	for (size_t i = 0; i < r->nrows; i++) {
		gm_buf_puts(&b, i ? ",{" : "{");
		gm_buf_puts(&b, r->rows[i].is_rel ? "\"type\":" : "\"labels\":");
		gm_json_put_string(&b, r->rows[i].name, strlen(r->rows[i].name), 0);
		gm_buf_printf(&b, ",\"count\":%llu}", (unsigned long long)r->rows[i].read);
	}
	gm_buf_puts(&b, "],\"findings\":[");
	for (size_t i = 0; i < r->nfindings; i++) {
		gm_buf_printf(&b, "%s{\"kind\":\"%s\",\"text\":", i ? "," : "",
			      kind_names[r->findings[i].kind]);
		gm_json_put_string(&b, r->findings[i].text, strlen(r->findings[i].text), 0);
		gm_buf_putc(&b, '}');
	}
	gm_buf_puts(&b, "],\"schema\":");
	if (!r->schema_known)
		gm_buf_puts(&b, "null");
	for (size_t i = 0; r->schema_known && i < r->nschema; i++) {
		const struct gm_validate_schema *e = &r->schema[i];

		gm_buf_puts(&b, i ? ",{\"kind\":" : "[{\"kind\":");
		gm_json_put_string(&b, e->kind, strlen(e->kind), 0);
		put_field(&b, "name", e->name);
		put_field(&b, "on", e->on);
		put_field(&b, "columns", e->columns);
		put_field(&b, "definition", e->definition);
		gm_buf_putc(&b, '}');
	}
	if (r->schema_known)
		gm_buf_puts(&b, r->nschema ? "]" : "[]");
	gm_buf_puts(&b, "}\n");
	if (b.p)
		fputs(b.p, stdout);
	gm_buf_free(&b);
}

static void report_text(const struct gm_validate_report *r, int problems)
{
	char a[32];

	printf("%-32s %12s\n", "label / type", "count");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->nrows; i++)
			if (r->rows[i].is_rel == pass) {
				cli_pad(stdout, r->rows[i].name, 32);
				printf(" %12s\n", cli_num(r->rows[i].read, a, sizeof(a)));
			}
	printf("%llu nodes, %llu relationships in %.3f s\n", (unsigned long long)r->nodes,
	       (unsigned long long)r->rels, r->seconds);
	if (r->schema_known)
		printf("%zu indexes and constraints\n", r->nschema);
	for (size_t i = 0; r->schema_known && i < r->nschema; i++) {
		const struct gm_validate_schema *e = &r->schema[i];

		printf("schema: %s '%s' on %s(%s)\n", e->kind, e->name, e->on,
		       e->columns ? e->columns : "");
	}
	for (size_t i = 0; i < r->nfindings; i++)
		printf("%s: %s\n", kind_names[r->findings[i].kind], r->findings[i].text);
	if (problems) {
		printf("problems: %llu bad records, %llu duplicate keys, %llu dangling "
		       "relationship endpoints, %llu properties with mixed types",
		       (unsigned long long)r->bad_records, (unsigned long long)r->duplicate_keys,
		       (unsigned long long)r->dangling, (unsigned long long)r->mixed_types);
		if (r->missing_required || r->not_unique)
			printf(", %llu missing required properties, %llu values not unique",
			       (unsigned long long)r->missing_required,
			       (unsigned long long)r->not_unique);
		printf("\n");
	} else
		printf("no problems found\n");
}

int cmd_validate(int argc, const char **argv)
{
	const char *store = NULL;
	uint64_t max = 20;
	int json = 0, rc, error, problems;
	struct gm_validate_report rep;
	struct gm_validate_opts vo;
	struct opt_list require = {NULL, 0}, unique = {NULL, 0};
	const struct opt opts[] = {
		{OPT_STRING, "store", 's', &store, "URI", "the store or file to check", NULL},
		{OPT_STRING, "from", 0, &store, "URI", "same as --store", NULL},
		{OPT_U64, "max-findings", 0, &max, "N", "findings listed per kind (20)", NULL},
		{OPT_STRING_LIST, "require", 0, &require, "LABEL.PROP",
		 "every node with LABEL has PROP, not null (repeatable)", NULL},
		{OPT_STRING_LIST, "unique", 0, &unique, "LABEL.PROP",
		 "no two nodes with LABEL share a value of PROP (repeatable)", NULL},
		{OPT_BOOL, "json", 0, &json, NULL, "print the report as JSON", NULL},
		{OPT_END, NULL, 0, NULL, NULL, NULL, NULL}};
	const struct cmd_info info = {
		"validate", "gmig validate --store URI [--require L.P] [--unique L.P] [--json]",
		"Reads a whole graph and reports records that cannot be read, duplicate node "
		"keys,\n"
		"relationships whose endpoints are not nodes, properties with more than one type\n"
		"within a label or relationship type, nodes without a --require'd property,\n"
		"repeated values of a --unique property, and counts by label and type.\n"
		"Exit status 1 when it finds a problem, 0 when none, 2 when it cannot read the "
		"graph.",
		opts};

	if ((rc = opt_parse(&info, argc, argv)) != 0) {
		gm_free(require.v);
		gm_free(unique.v);
		return rc > 0 ? 0 : USAGE_ERROR;
	}
	if (!store) {
		fprintf(stderr, "gmig validate: --store is required\nusage: %s\n", info.usage);
		gm_free(require.v);
		gm_free(unique.v);
		return USAGE_ERROR;
	}
	memset(&vo, 0, sizeof(vo));
	vo.max_findings = (size_t)max;
	vo.require = require.v;
	vo.nrequire = require.n;
	vo.unique = unique.v;
	vo.nunique = unique.n;
	error = gm_validate_ex(store, &vo, &rep);
	gm_free(require.v);
	gm_free(unique.v);
	if (error < 0) {
		rc = cli_error("validate", error);
		gm_validate_report_free(&rep);
		return error == GM_EINVAL ? USAGE_ERROR : rc;
	}
	problems = rep.bad_records || rep.duplicate_keys || rep.dangling || rep.mixed_types ||
		   rep.missing_required || rep.not_unique;
	if (json)
		report_json(&rep, problems);
	else
		report_text(&rep, problems);
	gm_validate_report_free(&rep);
	return problems ? 1 : 0;
}
