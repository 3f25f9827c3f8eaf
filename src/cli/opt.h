/* SPDX-License-Identifier: MIT */
/*
 * Option tables (git parse-options style): one table per command drives both
 * parsing and --help.
 */
#ifndef GMIG_OPT_H
#define GMIG_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_type { OPT_END = 0, OPT_STRING, OPT_U64, OPT_BOOL, OPT_CHOICE, OPT_STRING_LIST };

/** OPT_STRING_LIST's dest: every value of a repeatable option, in order (free v with gm_free). */
struct opt_list {
	const char **v;
	size_t n;
};

struct opt {
	enum opt_type type;
	const char *lng; /* "batch-size" */
	char shrt;	 /* 'b' or 0 */
	void *dest;	 /* const char **, uint64_t *, int *, struct opt_list * */
	const char *arg; /* "N", "URI": shown in --help */
	const char *help;
	const char *const *choices; /* OPT_CHOICE: NULL-terminated; dest is int * (the index) */
};

struct cmd_info {
	const char *name;
	const char *usage;   /* "gmig export --from URI --to FILE [options]" */
	const char *summary; /* one paragraph */
	const struct opt *opts;
};

/**
 * Parses argv (argv[0] is the command name). Prints the help to stdout and
 * returns 1 for --help; prints an error to stderr and returns -1 for a usage
 * error; 0 otherwise. Positional arguments are refused.
 */
int opt_parse(const struct cmd_info *cmd, int argc, const char **argv);
void opt_help(const struct cmd_info *cmd, FILE *out);

#define USAGE_ERROR 129

#endif
