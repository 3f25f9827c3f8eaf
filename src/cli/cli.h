/* SPDX-License-Identifier: MIT */
/* Shared pieces of the CLI commands. */
#ifndef GMIG_CLI_H
#define GMIG_CLI_H

#include "gmig/gmig.h"
#include <stdio.h>

#include "opt.h"

int cmd_export(int argc, const char **argv);
int cmd_import(int argc, const char **argv);
int cmd_migrate(int argc, const char **argv);
int cmd_generate(int argc, const char **argv);
int cmd_validate(int argc, const char **argv);
int cmd_verify(int argc, const char **argv);
int cmd_formats(int argc, const char **argv);
int cmd_rollback(int argc, const char **argv);

/** Exit status for a library error code: 2 for everything but usage errors. */
int cli_error(const char *cmd, int code);
/** Starts/ends progress display on stderr (tty, or forced with --progress). */
void cli_progress(const struct gm_progress *p, void *ctx);
/** Prints s and pads it with spaces to width characters (UTF-8 aware). */
void cli_pad(FILE *out, const char *s, int width);
/**
 * Prints the plan of gmig migrate --dry-run: source counts, target state, what
 * will be created, batches, key policy, rate and an estimated time; st is the
 * dry run's summary.
 */
void cli_plan(FILE *out, const char *from, const char *to, const struct gm_copy_opts *o,
	      const struct gm_copy_stats *st, int no_verify);
/** Prints a human-readable number with thin grouping: 1 234 567. */
/* the text report of gmig verify (also printed when migrate's verify finds a difference) */
void cli_verify_text(FILE *out, const struct gm_verify_report *r, uint64_t sample);
const char *cli_num(uint64_t v, char *buf, size_t len);

#endif
