/* SPDX-License-Identifier: MIT */
/*
 * gmig: the command table (git's commands[]) and the process-wide duties:
 * signals, allocation-failure injection for tests, and making sure a failed
 * write to standard output is never exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"

static const struct {
	const char *name;
	int (*fn)(int argc, const char **argv);
	const char *summary;
} commands[] = {
	{"export", cmd_export, "write a store's graph to a file (gmig JSONL by default)"},
	{"import", cmd_import, "load a graph file into a store"},
	{"migrate", cmd_migrate, "copy a graph from any store or file to any other"},
	{"validate", cmd_validate,
	 "check a graph for dangling relationships, duplicate keys, mixed types"},
	{"verify", cmd_verify, "compare two graphs exactly: missing, extra, changed records"},
	{"generate", cmd_generate, "write a seeded synthetic graph (every value type)"},
	{"formats", cmd_formats, "list the backends and formats and what each can do"},
	{"rollback", cmd_rollback, "remove what one migrate run wrote to a store"},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: gmig <command> [options]\n"
		"       gmig <command> --help\n"
		"       gmig --version\n\n"
		"gmig moves property graphs between stores and files without losing anything.\n\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\nexit status: 0 ok, 1 problems found (validate) or different (verify), 2 error, "
		"129 usage error\n"
		"documentation: docs/ in the source tree; gmig formats lists the URI schemes\n");
}

static void on_signal(int sig)
{
	if (gm_interrupted) {
		/* second signal: stop now, but leave no temporary file behind */
		gm_out_unlink_all_temps();
		signal(sig, SIG_DFL);
		raise(sig);
	}
	gm_interrupted = 1;
}

/* Reports a failure to write standard output (disk full, closed pipe) as exit 2. */
static int finish_stdout(int rc)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		bad = 1;
	if (bad) {
		fprintf(stderr, "gmig: cannot write to standard output: %s\n", strerror(errno));
		return rc ? rc : 2;
	}
	return rc;
}

int main(int argc, const char **argv)
{
	const char *fail = getenv("GMIG_FAIL_ALLOC"), *fault = getenv("GMIG_FAULT");
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (fail && *fail)
		gm_alloc_fail_after(strtoul(fail, NULL, 10), 1);
	if (gm_fault_set(fault) < 0) {
		fprintf(stderr, "gmig: GMIG_FAULT: %s\n", gm_error_last());
		return USAGE_ERROR;
	}

	if (argc < 2) {
		usage(stderr);
		return USAGE_ERROR;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("gmig %s\n", GMIG_VERSION);
		return finish_stdout(0);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return finish_stdout(0);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return finish_stdout(commands[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "gmig: '%s' is not a gmig command; see 'gmig --help'\n", argv[1]);
	return USAGE_ERROR;
}
