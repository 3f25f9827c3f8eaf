/* SPDX-License-Identifier: MIT */
/* gmig formats: the registered backends and what each can do. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gmig/sys/backend.h"

int cmd_formats(int argc, const char **argv)
{
	int json = 0, rc;
	const struct opt opts[] = {{OPT_BOOL, "json", 0, &json, NULL, "print as JSON", NULL},
				   {OPT_END, NULL, 0, NULL, NULL, NULL, NULL}};
	const struct cmd_info info = {
		"formats", "gmig formats [--json]",
		"Lists every backend (URI scheme), whether it reads and writes, "
		"the file endings\nthat select it, and the value types it stores "
		"exactly.",
		opts};
	const struct gm_backend_ops *const *b = gm_backends();

	if ((rc = opt_parse(&info, argc, argv)) != 0)
		return rc > 0 ? 0 : USAGE_ERROR;
	if (json)
		printf("[");
	for (size_t i = 0; b[i]; i++) {
		const struct gm_backend_ops *o = b[i];

		if (json) {
			printf("%s{\"name\":\"%s\",\"read\":%s,\"write\":%s,\"suffixes\":[",
			       i ? "," : "", o->name, o->caps & GM_CAP_READ ? "true" : "false",
			       o->caps & GM_CAP_WRITE ? "true" : "false");
			for (size_t k = 0; o->suffixes && o->suffixes[k]; k++)
				printf("%s\"%s\"", k ? "," : "", o->suffixes[k]);
			printf("],\"types\":[");
			for (int t = 0, n = 0; t < GM_T__COUNT; t++)
				if (o->types & GM_TYPE_BIT(t))
					printf("%s\"%s\"", n++ ? "," : "",
					       gm_type_name((enum gm_type)t));
			printf("]}");
			continue;
		}
		printf("%-10s %-5s %s\n", o->name,
		       (o->caps & GM_CAP_READ) && (o->caps & GM_CAP_WRITE) ? "rw"
		       : (o->caps & GM_CAP_READ)			   ? "r"
									   : "w",
		       o->summary);
		if (o->suffixes && o->suffixes[0]) {
			printf("%-16s files:", "");
			for (size_t k = 0; o->suffixes[k]; k++)
				printf(" *%s", o->suffixes[k]);
			/* compression applies to byte-stream formats, not to databases */
			printf("%s\n", o->caps & GM_CAP_TXN ? "" : " (also .gz, .zst)");
		}
		if (o->caps & GM_CAP_WRITE) {
			if ((o->types & GM_TYPES_ALL) == GM_TYPES_ALL) {
				printf("%-16s stores: every value type\n", "");
			} else {
				printf("%-16s cannot store:", "");
				for (int t = 0; t < GM_T__COUNT; t++)
					if (!(o->types & GM_TYPE_BIT(t)))
						printf(" %s", gm_type_name((enum gm_type)t));
				printf("\n");
			}
		}
	}
	if (json)
		printf("]\n");
	return 0;
}
