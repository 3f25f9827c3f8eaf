/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: compiled into every build, inert until gm_fault_set gives it
 * a spec (the CLI passes $GMIG_FAULT). "crash_after_batches:K" ends the process
 * with _exit(137), as kill -9 would (no cleanup, no atexit, temporaries stay),
 * right after the K-th batch was written and its checkpoint made durable;
 * "fail_after_batches:K" makes the K-th batch fail with GM_EIO before anything
 * of it is written, for the rollback tests; "lose_in_batch:K" silently leaves
 * the last record of the K-th batch out, a writer bug that only migrate's
 * verify step can see; "crash_before_verify" ends the process as kill -9 would
 * once migrate's copy is committed, before it is verified.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "gmig/gmig.h"

enum { F_NONE, F_CRASH, F_FAIL, F_LOSE, F_CRASH_VERIFY };

static const struct {
	const char *prefix;
	int kind;
} kinds[] = {
	{"crash_after_batches:", F_CRASH},
	{"fail_after_batches:", F_FAIL},
	{"lose_in_batch:", F_LOSE},
	{"crash_before_verify", F_CRASH_VERIFY},
};

static int kind;
static uint64_t at;

int gm_fault_set(const char *spec)
{
	const char *n = NULL;
	char *end;
	unsigned long long k;
	size_t i;

	kind = F_NONE;
	if (!spec || !*spec)
		return 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(spec, kinds[i].prefix, strlen(kinds[i].prefix))) {
			n = spec + strlen(kinds[i].prefix);
			break;
		}
	if (!n)
		return gm_error_set(
			GM_EINVAL,
			"invalid fault '%s': crash_after_batches:K, fail_after_batches:K, "
			"lose_in_batch:K or crash_before_verify",
			spec);
	if (kinds[i].kind == F_CRASH_VERIFY) {
		if (*n)
			return gm_error_set(GM_EINVAL, "invalid fault '%s': crash_before_verify",
					    spec);
		kind = F_CRASH_VERIFY;
		return 0;
	}
	k = strtoull(n, &end, 10);
	if (end == n || *end || k == 0)
		return gm_error_set(GM_EINVAL, "invalid fault '%s': K must be a number > 0", spec);
	kind = kinds[i].kind;
	at = k;
	return 0;
}

void gm__fault_before_verify(void)
{
	if (kind == F_CRASH_VERIFY)
		_exit(137);
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
