/* SPDX-License-Identifier: MIT */
/*
 * Compact key maps (internal): node key -> 32-bit value, for the few places
 * that must remember every node (dangling-relationship checks, duplicate keys,
 * endpoint labels, FalkorDB's bulk node ids). A key is stored as its 128-bit
 * XXH3 hash, so an entry costs 24 bytes whatever the key's length; the table
 * is kept between 3/8 and 3/4 full (32 bytes per key when full); two keys
 * colliding in 128 bits is not a practical concern.
 *
 * With a memory limit (gm_keyset_set_limit) the table never grows beyond it:
 * when it is full at the limit, its entries are sorted and appended as a run
 * to an unlinked temporary file ($TMPDIR, else /tmp; 20 bytes per key) and the
 * table starts empty again. Lookups then also search the runs: one pread of a
 * 5 KiB block per run (a sparse index of every block's first hash, 16 bytes
 * per 256 keys, stays in memory); more than 8 runs are merged into one. Keys
 * stay unique across table and runs.
 */
#ifndef GMIG_KEYSET_H
#define GMIG_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct gm_keyset;

/** A key's 128-bit hash; never (0, 0). */
struct gm_keyhash {
	uint64_t lo, hi;
};

int gm_keyset_new(struct gm_keyset **out);
void gm_keyset_free(struct gm_keyset *s);
/**
 * Adds key -> val. Returns 1 when added, 0 when the key was already there
 * (the stored value is left alone and copied to *old if old is not NULL), or
 * GM_ENOMEM (GM_EIO when spilling fails).
 */
int gm_keyset_put(struct gm_keyset *s, const char *key, size_t len, uint32_t val, uint32_t *old);
/** Returns 1 and sets *val (may be NULL) when the key is present, else 0 (or GM_EIO). */
int gm_keyset_get(const struct gm_keyset *s, const char *key, size_t len, uint32_t *val);
/** Keys added (in memory and spilled). */
uint64_t gm_keyset_count(const struct gm_keyset *s);
/** Bytes of memory the table uses (with the spill runs' indexes). */
size_t gm_keyset_bytes(const struct gm_keyset *s);

/** The hash gm_keyset_put/get use for key (seed 0); other seeds make separate key spaces. */
struct gm_keyhash gm_keyset_hash(const char *key, size_t len, uint64_t seed);
/** gm_keyset_put and gm_keyset_get by hash. */
int gm_keyset_put_hash(struct gm_keyset *s, struct gm_keyhash h, uint32_t val, uint32_t *old);
int gm_keyset_get_hash(const struct gm_keyset *s, struct gm_keyhash h, uint32_t *val);
/**
 * Caps the table's memory at bytes (raised to 24 KiB at least; 0 = no cap, the
 * default): beyond it, keys spill to disk (see above).
 */
void gm_keyset_set_limit(struct gm_keyset *s, size_t bytes);
/** Keys currently on disk, and the runs they are in (for tests and reports). */
uint64_t gm_keyset_spilled(const struct gm_keyset *s, size_t *runs);

#endif
