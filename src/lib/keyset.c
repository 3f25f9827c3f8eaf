/* SPDX-License-Identifier: MIT */
/*
 * Compact key maps: open addressing over 128-bit key hashes, linear probing;
 * beyond a memory limit, sorted runs in a temporary file.
 *
 * Spill file layout: runs one after the other, each a sorted array (by lo,
 * then hi, unsigned) of 20-byte entries: lo u64, hi u64, val u32, in host
 * byte order (the file lives only as long as the process). A run's blocks are
 * BLOCK entries; the in-memory index keeps each block's first hash.
 */
#define XXH_INLINE_ALL
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "gmig/gmig.h"
#include "keyset.h"
#include "util.h"

#define MIN_SLOTS 1024
#define BLOCK 256
#define ENTRY 20
#define MAX_RUNS 8

struct slot {
	uint64_t lo, hi; /* (0, 0) = empty */
	uint32_t val;
};

struct run {
	off_t off;		/* first entry in the file */
	uint64_t n;		/* entries */
	struct gm_keyhash *idx; /* first hash of every block */
};

struct gm_keyset {
	struct slot *slots;
	size_t mask;	/* capacity - 1 */
	uint64_t count; /* in the table */
	size_t limit;	/* bytes; 0 = none */
	/* spilled */
	int fd;
	off_t end;
	struct run runs[MAX_RUNS + 1];
	size_t nruns;
	uint64_t spilled;
};

int gm_keyset_new(struct gm_keyset **out)
{
	struct gm_keyset *s = gm_calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->slots = gm_calloc(MIN_SLOTS, sizeof(struct slot)))) {
		gm_free(s);
		return GM_ENOMEM;
	}
	s->mask = MIN_SLOTS - 1;
	s->fd = -1;
	*out = s;
	return 0;
}

void gm_keyset_free(struct gm_keyset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nruns; i++)
		gm_free(s->runs[i].idx);
	if (s->fd >= 0)
		close(s->fd);
	gm_free(s->slots);
	gm_free(s);
}

struct gm_keyhash gm_keyset_hash(const char *key, size_t len, uint64_t seed)
{
	XXH128_hash_t h = seed ? XXH3_128bits_withSeed(key, len, seed) : XXH3_128bits(key, len);
	struct gm_keyhash k = {h.low64, h.high64};

	if (k.lo == 0 && k.hi == 0)
		k.lo = 1;
	return k;
}

static int cmp_hash(uint64_t alo, uint64_t ahi, uint64_t blo, uint64_t bhi)
{
	if (alo != blo)
		return alo < blo ? -1 : 1;
	return ahi < bhi ? -1 : ahi > bhi;
}

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return cmp_hash(x->lo, x->hi, y->lo, y->hi);
}

static struct slot *find(const struct gm_keyset *s, struct gm_keyhash h)
{
	size_t i = (size_t)h.lo & s->mask;

	for (;;) {
		struct slot *e = &s->slots[i];

		if ((e->lo == 0 && e->hi == 0) || (e->lo == h.lo && e->hi == h.hi))
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
			struct gm_keyhash h = {old[i].lo, old[i].hi};
			*find(s, h) = old[i];
		}
	gm_free(old);
	return 0;
}

/* ---- spill runs ---- */

static int io_fail(const char *what)
{
	return gm_error_set(GM_EIO, "cannot %s the key map's spill file: %s", what,
			    errno ? strerror(errno) : "short transfer");
}

static void pack(unsigned char *p, const struct slot *e)
{
	memcpy(p, &e->lo, 8);
	memcpy(p + 8, &e->hi, 8);
	memcpy(p + 16, &e->val, 4);
}

static void unpack(const unsigned char *p, struct slot *e)
{
	memcpy(&e->lo, p, 8);
	memcpy(&e->hi, p + 8, 8);
	memcpy(&e->val, p + 16, 4);
}

static int write_all(int fd, const unsigned char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return io_fail("write");
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static int read_all(int fd, unsigned char *p, size_t n, off_t off)
{
	errno = 0;
	while (n) {
		ssize_t r = pread(fd, p, n, off);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return io_fail("read");
		}
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

/* Writes entries one block at a time into a run at the end of fd. */
struct run_writer {
	int fd;
	off_t *end;
	struct run *run;
	unsigned char buf[BLOCK * ENTRY];
	size_t n; /* in buf */
	size_t cap_idx;
};

static int rw_flush(struct run_writer *w)
{
	int error;

	if (!w->n)
		return 0;
	if ((error = write_all(w->fd, w->buf, w->n * ENTRY, *w->end)) < 0)
		return error;
	*w->end += (off_t)(w->n * ENTRY);
	w->n = 0;
	return 0;
}

static int rw_put(struct run_writer *w, const struct slot *e)
{
	int error;

	if (w->run->n % BLOCK == 0) {
		size_t b = (size_t)(w->run->n / BLOCK);

		if (b == w->cap_idx) {
			size_t nc = w->cap_idx ? w->cap_idx * 2 : 16;
			struct gm_keyhash *ni = gm_realloc(w->run->idx, nc * sizeof(*ni));

			if (!ni)
				return GM_ENOMEM;
			w->run->idx = ni;
			w->cap_idx = nc;
		}
		w->run->idx[b].lo = e->lo;
		w->run->idx[b].hi = e->hi;
	}
	pack(w->buf + w->n * ENTRY, e);
	w->run->n++;
	if (++w->n == BLOCK && (error = rw_flush(w)) < 0)
		return error;
	return 0;
}

/* Reads a run sequentially, one block at a time (for merging). */
struct run_reader {
	const struct run *run;
	uint64_t pos; /* next entry */
	unsigned char buf[BLOCK * ENTRY];
	struct slot head;
};

static int rr_next(int fd, struct run_reader *r)
{
	size_t i = (size_t)(r->pos % BLOCK);
	int error;

	if (r->pos >= r->run->n)
		return 0;
	if (i == 0) {
		uint64_t left = r->run->n - r->pos;
		size_t k = left < BLOCK ? (size_t)left : BLOCK;

		if ((error = read_all(fd, r->buf, k * ENTRY,
				      r->run->off + (off_t)(r->pos * ENTRY))) < 0)
			return error;
	}
	unpack(r->buf + i * ENTRY, &r->head);
	r->pos++;
	return 1;
}

/* Merges every run into one, in a new file. */
static int merge_runs(struct gm_keyset *s)
{
	struct run_reader *rd = gm_calloc(s->nruns, sizeof(*rd));
	struct run_writer *w = gm_calloc(1, sizeof(*w));
	struct run merged = {0, 0, NULL};
	off_t end = 0;
	int fd = -1, error = 0;
	size_t live = 0;

	if (!rd || !w) {
		error = GM_ENOMEM;
		goto done;
	}
	if ((fd = gm__temp_fd("keymap")) < 0) {
		error = fd;
		goto done;
	}
	w->fd = fd;
	w->end = &end;
	w->run = &merged;
	for (size_t i = 0; i < s->nruns; i++) {
		rd[i].run = &s->runs[i];
		if ((error = rr_next(s->fd, &rd[i])) < 0)
			goto done;
		live += (size_t)error;
		if (!error)
			rd[i].run = NULL;
	}
	error = 0;
	while (live) {
		size_t m = SIZE_MAX;

		for (size_t i = 0; i < s->nruns; i++)
			if (rd[i].run && (m == SIZE_MAX || cmp_slot(&rd[i].head, &rd[m].head) < 0))
				m = i;
		if ((error = rw_put(w, &rd[m].head)) < 0)
			goto done;
		if ((error = rr_next(s->fd, &rd[m])) < 0)
			goto done;
		if (!error) {
			rd[m].run = NULL;
			live--;
		}
		error = 0;
	}
	if ((error = rw_flush(w)) < 0)
		goto done;
	for (size_t i = 0; i < s->nruns; i++)
		gm_free(s->runs[i].idx);
	close(s->fd);
	s->fd = fd;
	fd = -1;
	s->end = end;
	s->runs[0] = merged;
	merged.idx = NULL;
	s->nruns = 1;
done:
	if (fd >= 0)
		close(fd);
	gm_free(merged.idx);
	gm_free(rd);
	gm_free(w);
	return error;
}

/* Moves the table's entries to a new sorted run; the table is empty after. */
static int spill(struct gm_keyset *s)
{
	size_t cap = s->mask + 1, n = 0;
	struct run_writer *w;
	struct run *run = &s->runs[s->nruns];
	int error = 0;

	if (s->fd < 0 && (s->fd = gm__temp_fd("keymap")) < 0) {
		error = s->fd;
		s->fd = -1;
		return error;
	}
	if (!(w = gm_calloc(1, sizeof(*w))))
		return GM_ENOMEM;
	for (size_t i = 0; i < cap; i++)
		if (s->slots[i].lo || s->slots[i].hi)
			s->slots[n++] = s->slots[i];
	qsort(s->slots, n, sizeof(struct slot), cmp_slot);
	memset(run, 0, sizeof(*run));
	run->off = s->end;
	w->fd = s->fd;
	w->end = &s->end;
	w->run = run;
	for (size_t i = 0; i < n && !error; i++)
		error = rw_put(w, &s->slots[i]);
	if (!error)
		error = rw_flush(w);
	gm_free(w);
	/* the table is cleared even on failure: its entries were reordered */
	memset(s->slots, 0, cap * sizeof(struct slot));
	s->count = 0;
	if (error < 0) {
		gm_free(run->idx);
		run->idx = NULL;
		return error;
	}
	s->nruns++;
	s->spilled += n;
	if (s->nruns > MAX_RUNS)
		return merge_runs(s);
	return 0;
}

/* 1 and *val when h is in a run, else 0 (or GM_EIO). */
static int find_in_runs(const struct gm_keyset *s, struct gm_keyhash h, uint32_t *val)
{
	unsigned char buf[BLOCK * ENTRY];
	int error;

	for (size_t r = 0; r < s->nruns; r++) {
		const struct run *run = &s->runs[r];
		size_t nb = (size_t)((run->n + BLOCK - 1) / BLOCK), lo = 0, hi = nb, k;
		struct slot e;

		/* the last block whose first hash <= h */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (cmp_hash(run->idx[mid].lo, run->idx[mid].hi, h.lo, h.hi) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			continue;
		lo--;
		k = (size_t)(run->n - (uint64_t)lo * BLOCK);
		if (k > BLOCK)
			k = BLOCK;
		if ((error = read_all(s->fd, buf, k * ENTRY,
				      run->off + (off_t)((uint64_t)lo * BLOCK * ENTRY))) < 0)
			return error;
		for (size_t a = 0, b = k; a < b;) {
			size_t mid = a + (b - a) / 2;
			int c;

			unpack(buf + mid * ENTRY, &e);
			c = cmp_hash(e.lo, e.hi, h.lo, h.hi);
			if (c == 0) {
				if (val)
					*val = e.val;
				return 1;
			}
			if (c < 0)
				a = mid + 1;
			else
				b = mid;
		}
	}
	return 0;
}

/* ---- public ---- */

int gm_keyset_put_hash(struct gm_keyset *s, struct gm_keyhash h, uint32_t val, uint32_t *old)
{
	struct slot *e = find(s, h);
	int error;

	if (e->lo || e->hi) {
		if (old)
			*old = e->val;
		return 0;
	}
	if (s->nruns && (error = find_in_runs(s, h, old)) != 0)
		return error < 0 ? error : 0;
	if ((s->count + 1) * 4 > (s->mask + 1) * 3) {
		if (s->limit && (s->mask + 1) * 2 * sizeof(struct slot) > s->limit)
			error = spill(s);
		else
			error = grow(s);
		if (error < 0)
			return error;
		e = find(s, h);
	}
	e->lo = h.lo;
	e->hi = h.hi;
	e->val = val;
	s->count++;
	return 1;
}

int gm_keyset_get_hash(const struct gm_keyset *s, struct gm_keyhash h, uint32_t *val)
{
	struct slot *e = find(s, h);

	if (!e->lo && !e->hi)
		return s->nruns ? find_in_runs(s, h, val) : 0;
	if (val)
		*val = e->val;
	return 1;
}

int gm_keyset_put(struct gm_keyset *s, const char *key, size_t len, uint32_t val, uint32_t *old)
{
	return gm_keyset_put_hash(s, gm_keyset_hash(key, len, 0), val, old);
}

int gm_keyset_get(const struct gm_keyset *s, const char *key, size_t len, uint32_t *val)
{
	return gm_keyset_get_hash(s, gm_keyset_hash(key, len, 0), val);
}

uint64_t gm_keyset_count(const struct gm_keyset *s)
{
	return s->count + s->spilled;
}

size_t gm_keyset_bytes(const struct gm_keyset *s)
{
	size_t n = (s->mask + 1) * sizeof(struct slot) + sizeof(*s);

	for (size_t i = 0; i < s->nruns; i++)
		n += (size_t)((s->runs[i].n + BLOCK - 1) / BLOCK) * sizeof(struct gm_keyhash);
	return n;
}

void gm_keyset_set_limit(struct gm_keyset *s, size_t bytes)
{
	if (bytes && bytes < MIN_SLOTS * sizeof(struct slot))
		bytes = MIN_SLOTS * sizeof(struct slot);
	s->limit = bytes;
}

uint64_t gm_keyset_spilled(const struct gm_keyset *s, size_t *runs)
{
	if (runs)
		*runs = s->nruns;
	return s->spilled;
}
