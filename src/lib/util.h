/* SPDX-License-Identifier: MIT */
/* Small pieces shared by the commands' engines: copy, validate, verify (internal). */
#ifndef GMIG_UTIL_H
#define GMIG_UTIL_H

#include <time.h>

#include "buf.h"
#include "gmig/sys/record.h"

/**
 * The summary row a record belongs to, as copy, validate and verify report it:
 * ":A:B" for a node's labels (in the record's order), "(no labels)", "[:T]" for
 * a relationship type. Replaces b's content. Returns 0 or GM_ENOMEM.
 */
int gm__record_rowname(struct gm_buf *b, const struct gm_record *r);

/** Seconds elapsed since *t0 (read with CLOCK_MONOTONIC). */
double gm__seconds_since(const struct timespec *t0);

/**
 * A temporary file, already unlinked, in $TMPDIR (else /tmp); what names it in
 * the file name and in the message. Returns the descriptor, or GM_EIO.
 */
int gm__temp_fd(const char *what);

#endif
