/* SPDX-License-Identifier: MIT */
/* Option parsing and help text from one table per command. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gmig/gmig.h"
#include "opt.h"

static const struct opt *find_long(const struct opt *o, const char *name, size_t len)
{
	for (; o->type != OPT_END; o++)
		if (strlen(o->lng) == len && !strncmp(o->lng, name, len))
			return o;
	return NULL;
}

static const struct opt *find_short(const struct opt *o, char c)
{
	for (; o->type != OPT_END; o++)
		if (o->shrt && o->shrt == c)
			return o;
	return NULL;
}

static int set_value(const struct cmd_info *cmd, const struct opt *o, const char *val)
{
	char *end;

	switch (o->type) {
	case OPT_STRING: *(const char **)o->dest = val; return 0;
	case OPT_STRING_LIST: {
		struct opt_list *l = o->dest;
		const char **v = gm_realloc(l->v, (l->n + 1) * sizeof(*v));

		if (!v) {
			fprintf(stderr, "gmig %s: out of memory\n", cmd->name);
			return -1;
		}
		v[l->n++] = val;
		l->v = v;
		return 0;
	}
	case OPT_U64:
		errno = 0;
		if (!*val || *val == '-') {
			errno = EINVAL;
		} else {
			unsigned long long v = strtoull(val, &end, 10);

			if (!errno && !*end) {
				*(uint64_t *)o->dest = v;
				return 0;
			}
		}
		fprintf(stderr, "gmig %s: --%s wants a whole number, not '%s'\n", cmd->name, o->lng,
			val);
		return -1;
	case OPT_CHOICE:
		for (int i = 0; o->choices[i]; i++)
			if (!strcmp(o->choices[i], val)) {
				*(int *)o->dest = i;
				return 0;
			}
		fprintf(stderr, "gmig %s: --%s wants one of", cmd->name, o->lng);
		for (int i = 0; o->choices[i]; i++)
			fprintf(stderr, "%s%s", i ? ", " : " ", o->choices[i]);
		fprintf(stderr, "; not '%s'\n", val);
		return -1;
	default: return -1;
	}
}

int opt_parse(const struct cmd_info *cmd, int argc, const char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o;
		const char *val = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			opt_help(cmd, stdout);
			return 1;
		}
		if (a[0] == '-' && a[1] == '-' && a[2]) {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			if (!(o = find_long(cmd->opts, a + 2, len)) && len > 3 &&
			    !strncmp(a + 2, "no-", 3) &&
			    (o = find_long(cmd->opts, a + 5, len - 3)) && o->type == OPT_BOOL) {
				*(int *)o->dest = 0;
				continue;
			}
			if (!o) {
				fprintf(stderr, "gmig %s: unknown option '%.*s'\n", cmd->name,
					(int)len + 2, a);
				fprintf(stderr, "usage: %s\n", cmd->usage);
				return -1;
			}
			if (eq)
				val = eq + 1;
		} else if (a[0] == '-' && a[1] && !a[2]) {
			if (!(o = find_short(cmd->opts, a[1]))) {
				fprintf(stderr, "gmig %s: unknown option '%s'\n", cmd->name, a);
				fprintf(stderr, "usage: %s\n", cmd->usage);
				return -1;
			}
		} else {
			fprintf(stderr, "gmig %s: unexpected argument '%s'\n", cmd->name, a);
			fprintf(stderr, "usage: %s\n", cmd->usage);
			return -1;
		}
		if (o->type == OPT_BOOL) {
			if (val) {
				fprintf(stderr, "gmig %s: --%s takes no value\n", cmd->name,
					o->lng);
				return -1;
			}
			*(int *)o->dest = 1;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "gmig %s: --%s needs a value (%s)\n", cmd->name,
					o->lng, o->arg);
				return -1;
			}
			val = argv[++i];
		}
		if (set_value(cmd, o, val) < 0)
			return -1;
	}
	return 0;
}

void opt_help(const struct cmd_info *cmd, FILE *out)
{
	fprintf(out, "usage: %s\n\n%s\n\noptions:\n", cmd->usage, cmd->summary);
	for (const struct opt *o = cmd->opts; o->type != OPT_END; o++) {
		char left[64];
		int n = 0;

		if (o->shrt)
			n = snprintf(left, sizeof(left), "-%c, ", o->shrt);
		snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s", o->lng,
			 o->type == OPT_BOOL ? "" : " ", o->type == OPT_BOOL ? "" : o->arg);
		fprintf(out, "  %-28s %s\n", left, o->help);
	}
	fprintf(out, "  %-28s %s\n", "-h, --help", "show this help");
}
