/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: compiled into every build, inert until gm_fault_set gives it
 * a spec (the CLI passes $GMIG_FAULT). "crash_after_batches:K" ends the process
 * with _exit(137), as kill -9 would (no cleanup, no atexit, temporaries stay),
 * right after the K-th batch was written and its checkpoint made durable;
 * "fail_after_batches:K" makes the K-th batch fail with GM_EIO before anything
 * of it is written, for the rollback tests; "lose_in_batch:K" silently leaves
 * the last record of the K-th batch out, a writer bug that only migrate's
 * verify step can see.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "gmig/gmig.h"

enum { F_NONE, F_CRASH, F_FAIL, F_LOSE };

static int kind;
static uint64_t at;

int gm_fault_set(const char *spec)
{
	static const char crash[] = "crash_after_batches:", failp[] = "fail_after_batches:",
			  lose[] = "lose_in_batch:";
	const char *n;
	char *end;
	unsigned long long k;

	kind = F_NONE;
	if (!spec || !*spec)
		return 0;
	if (!strncmp(spec, crash, sizeof(crash) - 1))
		n = spec + sizeof(crash) - 1;
	else if (!strncmp(spec, failp, sizeof(failp) - 1))
		n = spec + sizeof(failp) - 1;
	else if (!strncmp(spec, lose, sizeof(lose) - 1))
		n = spec + sizeof(lose) - 1;
	else
		return gm_error_set(
			GM_EINVAL,
			"invalid fault '%s': crash_after_batches:K, fail_after_batches:K "
			"or lose_in_batch:K",
			spec);
	k = strtoull(n, &end, 10);
	if (end == n || *end || k == 0)
		return gm_error_set(GM_EINVAL, "invalid fault '%s': K must be a number > 0", spec);
	kind = n == spec + sizeof(crash) - 1  ? F_CRASH
	       : n == spec + sizeof(lose) - 1 ? F_LOSE
					      : F_FAIL;
	at = k;
	return 0;
}

int gm__fault_before_batch(uint64_t n)
{
	if (kind == F_FAIL && n == at)
		return gm_error_set(GM_EIO, "fault injected: batch %llu fails (GMIG_FAULT)",
				    (unsigned long long)n);
	return 0;
}

size_t gm__fault_lost(uint64_t n, size_t records)
{
	return kind == F_LOSE && n == at && records > 0;
}

void gm__fault_after_batch(uint64_t n)
{
	if (kind == F_CRASH && n == at)
		_exit(137);
}
