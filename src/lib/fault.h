/* SPDX-License-Identifier: MIT */
/* Fault injection for the crash and rollback tests (internal; see gm_fault_set). */
#ifndef GMIG_FAULT_H
#define GMIG_FAULT_H

#include <stddef.h>
#include <stdint.h>

/** Called before the n-th batch (1-based) of the process is written: GM_EIO when it must fail. */
int gm__fault_before_batch(uint64_t n);
/** Called with the n-th batch's size before it is written: how many records to leave out. */
size_t gm__fault_lost(uint64_t n, size_t records);
/** Called after the n-th batch is written and checkpointed: ends the process when asked. */
void gm__fault_after_batch(uint64_t n);

/** Called by migrate between the committed copy and its verification. */
void gm__fault_before_verify(void);

#endif
