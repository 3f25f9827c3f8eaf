/* SPDX-License-Identifier: MIT */
/* The "memorygraph" profile of the generate backend (internal; see generate_mg.c). */
#ifndef GMIG_GENERATE_MG_H
#define GMIG_GENERATE_MG_H

#include <stdint.h>

#include "gmig/sys/record.h"

/**
 * Record i (0 <= i < nodes + rels; the memories first) of the seeded
 * MemoryGraph graph with that many memories and relationships, allocated from
 * a. A pure function of its arguments. Returns 0 or GM_ENOMEM.
 */
int gm__mg_gen_record(uint64_t seed, uint64_t nodes, uint64_t rels, uint64_t i,
		      struct gm_record *rec, struct gm_arena *a);

#endif
