/* SPDX-License-Identifier: MIT */
/* Fault injection for the crash and rollback tests (internal; see gm_fault_set). */
#ifndef GMIG_FAULT_H
#define GMIG_FAULT_H

#include <stdint.h>

/** Called before the n-th batch (1-based) of the process is written: GM_EIO when it must fail. */
int gm__fault_before_batch(uint64_t n);
/** Called after the n-th batch is written and checkpointed: ends the process when asked. */
void gm__fault_after_batch(uint64_t n);

#endif
