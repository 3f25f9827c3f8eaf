/* SPDX-License-Identifier: MIT */
/*
 * Compact key maps (internal): node key -> 32-bit value, for the few places
 * that must remember every node (dangling-relationship checks, duplicate keys,
 * endpoint labels). A key is stored as its 128-bit XXH3 hash, so an entry
 * costs 24 bytes whatever the key's length (about 32 bytes per key with the
 * table's slack); two keys colliding in 128 bits is not a practical concern.
 */
#ifndef GMIG_KEYSET_H
#define GMIG_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct gm_keyset;

int gm_keyset_new(struct gm_keyset **out);
void gm_keyset_free(struct gm_keyset *s);
/**
 * Adds key -> val. Returns 1 when added, 0 when the key was already there
 * (the stored value is left alone and copied to *old if old is not NULL), or GM_ENOMEM.
 */
int gm_keyset_put(struct gm_keyset *s, const char *key, size_t len, uint32_t val, uint32_t *old);
/** Returns 1 and sets *val (may be NULL) when the key is present, else 0. */
int gm_keyset_get(const struct gm_keyset *s, const char *key, size_t len, uint32_t *val);
uint64_t gm_keyset_count(const struct gm_keyset *s);
/** Bytes of memory the table uses. */
size_t gm_keyset_bytes(const struct gm_keyset *s);

#endif
