/* SPDX-License-Identifier: MIT */
/* Compact key maps: open addressing over 128-bit key hashes, linear probing. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "gmig/gmig.h"
#include "keyset.h"

struct slot {
	uint64_t lo, hi; /* (0, 0) = empty */
	uint32_t val;
};

struct gm_keyset {
	struct slot *slots;
	size_t mask; /* capacity - 1 */
	uint64_t count;
};

int gm_keyset_new(struct gm_keyset **out)
{
	struct gm_keyset *s = gm_calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->slots = gm_calloc(1024, sizeof(struct slot)))) {
		gm_free(s);
		return GM_ENOMEM;
	}
	s->mask = 1023;
	*out = s;
	return 0;
}

void gm_keyset_free(struct gm_keyset *s)
{
	if (!s)
		return;
	gm_free(s->slots);
	gm_free(s);
}

static XXH128_hash_t hash(const char *key, size_t len)
{
	XXH128_hash_t h = XXH3_128bits(key, len);

	if (h.low64 == 0 && h.high64 == 0)
		h.low64 = 1;
	return h;
}

static struct slot *find(const struct gm_keyset *s, XXH128_hash_t h)
{
	size_t i = (size_t)h.low64 & s->mask;

	for (;;) {
		struct slot *e = &s->slots[i];

		if ((e->lo == 0 && e->hi == 0) || (e->lo == h.low64 && e->hi == h.high64))
			return e;
		i = (i + 1) & s->mask;
	}
}

static int grow(struct gm_keyset *s)
{
	size_t ncap = (s->mask + 1) * 2;
	struct slot *old = s->slots, *ns = gm_calloc(ncap, sizeof(struct slot));
	size_t ocap = s->mask + 1;

	if (!ns)
		return GM_ENOMEM;
	s->slots = ns;
	s->mask = ncap - 1;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].lo || old[i].hi) {
			XXH128_hash_t h = {old[i].lo, old[i].hi};
			*find(s, h) = old[i];
		}
	gm_free(old);
	return 0;
}

int gm_keyset_put(struct gm_keyset *s, const char *key, size_t len, uint32_t val, uint32_t *old)
{
	XXH128_hash_t h = hash(key, len);
	struct slot *e;

	if ((s->count + 1) * 4 > (s->mask + 1) * 3 && grow(s) < 0)
		return GM_ENOMEM;
	e = find(s, h);
	if (e->lo || e->hi) {
		if (old)
			*old = e->val;
		return 0;
	}
	e->lo = h.low64;
	e->hi = h.high64;
	e->val = val;
	s->count++;
	return 1;
}

int gm_keyset_get(const struct gm_keyset *s, const char *key, size_t len, uint32_t *val)
{
	struct slot *e = find(s, hash(key, len));

	if (!e->lo && !e->hi)
		return 0;
	if (val)
		*val = e->val;
	return 1;
}

uint64_t gm_keyset_count(const struct gm_keyset *s)
{
	return s->count;
}

size_t gm_keyset_bytes(const struct gm_keyset *s)
{
	return (s->mask + 1) * sizeof(struct slot) + sizeof(*s);
}
