/* SPDX-License-Identifier: MIT */
/* gmig rollback: removes what one migrate run wrote to a store (gm_rollback). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_rollback(int argc, const char **argv)
{
	const char *to = NULL, *store = NULL;
	char shown[1024];
	uint64_t run = 0, nodes = 0, rels = 0;
	int json = 0, rc, error;
	struct opt opts[] = {{OPT_U64, "run", 0, &run, "ID",
			      "the run to roll back (printed by gmig migrate)", NULL},
			     {OPT_STRING, "to", 0, &to, "URI", "the store the run wrote to", NULL},
			     {OPT_STRING, "store", 0, &store, "URI", "the same as --to", NULL},
			     {OPT_BOOL, "json", 0, &json, NULL, "print the result as JSON", NULL},
			     {OPT_END, NULL, 0, NULL, NULL, NULL, NULL}};
	const struct cmd_info info = {
		"rollback", "gmig rollback --run ID --to URI",
		"Removes exactly what run ID wrote to the store: rows it created are deleted,\n"
		"rows it changed get their earlier content back; everything else is untouched.\n"
		"Stores that record runs: sqlite:, falkordb:. A later run that changed the same\n"
		"rows must be rolled back first.",
		opts};

	if ((rc = opt_parse(&info, argc, argv)) != 0)
		return rc > 0 ? 0 : USAGE_ERROR;
	if (store && to && strcmp(store, to)) {
		fprintf(stderr,
			"gmig rollback: --store and --to name different stores\nusage: %s\n",
			info.usage);
		return USAGE_ERROR;
	}
	if (store)
		to = store;
	if (!run || !to) {
		fprintf(stderr, "gmig rollback: --%s is required\nusage: %s\n", !run ? "run" : "to",
			info.usage);
		return USAGE_ERROR;
	}
	if ((error = gm_rollback(to, (int64_t)run, &nodes, &rels)) < 0)
		return cli_error("rollback", error);
	if (json)
		printf("{\"ok\":true,\"run\":%llu,\"nodes\":%llu,\"relationships\":%llu}\n",
		       (unsigned long long)run, (unsigned long long)nodes,
		       (unsigned long long)rels);
	else
		printf("run %llu rolled back: %llu nodes and %llu relationships removed or "
		       "restored in '%s'\n",
		       (unsigned long long)run, (unsigned long long)nodes, (unsigned long long)rels,
		       gm_uri_redact(to, shown, sizeof(shown)));
	return 0;
}
