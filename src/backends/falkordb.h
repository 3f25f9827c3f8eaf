/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the falkordb backend's files: falkordb.c (connection,
 * reading, the UNWIND write path) and falkordb_bulk.c (the GRAPH.BULK write
 * path into a new graph). Not a public API.
 */
#ifndef GMIG_FALKORDB_H
#define GMIG_FALKORDB_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "gmig/sys/record.h"

/* ---- from falkordb.c ---- */

/** "node 'k' (line 3)" / "relationship 'k'" for messages; returns snprintf's count. */
int gm__fdb_describe(const struct gm_record *r, char *buf, size_t n);
/** v as a Cypher literal FalkorDB stores (date('...'), point({...}), vecf32([...]), ...). */
int gm__fdb_put_value(struct gm_buf *b, const struct gm_value *v);

/* ---- falkordb_bulk.c ---- */

struct gm__fdb_bulk;

/** What the bulk writer borrows from the backend (valid while it lives). */
struct gm__fdb_bulk_conf {
	redisContext *c;
	const char *graph;  /* the graph (= Redis key) name */
	const char *where;  /* "host:port/graph" for messages */
	const char *key;    /* the key property */
	const char *label;  /* the marker label */
	const char *params; /* the URI's parameters: map_memory=, bulk_size= (or NULL) */
};

/** The URI parameters the bulk writer reads (for the backend's parameter check). */
int gm__fdb_bulk_param(const char *name, size_t len);
/**
 * Starts a bulk load when the graph does not exist yet: *out is the writer.
 * When the graph exists, *out is NULL and 0 is returned (the caller writes
 * with UNWIND), or, with must (write=bulk), GM_EINVAL.
 */
int gm__fdb_bulk_open(struct gm__fdb_bulk **out, const struct gm__fdb_bulk_conf *conf, int must);
/**
 * Adds a batch (records checked by the caller: storable values, names). All
 * or nothing for GM_EDATA (duplicate key, unknown endpoint: the message names
 * the record). *nodes / *rels are incremented by the records accepted.
 */
int gm__fdb_bulk_write(struct gm__fdb_bulk *b, const struct gm_record *recs, size_t n,
		       uint64_t *nodes, uint64_t *rels);
/** Sends the rest, the deferred values, creates the key indexes, checks the counts. */
int gm__fdb_bulk_commit(struct gm__fdb_bulk *b);
/** Frees the writer; without a successful commit, deletes the graph it created. */
void gm__fdb_bulk_close(struct gm__fdb_bulk *b);

/*
 * The GRAPH.BULK value encoding (for the unit tests): appends v's type byte
 * and payload and returns 1, or returns 0 without appending when the bulk
 * format cannot carry v (temporals, points, vectors, maps, bytes, null,
 * strings with NUL, lists holding any of those). GM_ENOMEM on failure.
 */
int gm__fdb_bulk_value(struct gm_buf *b, const struct gm_value *v);
/** Parses "1048576", "64K", "512M", "2G" (binary units). GM_EINVAL when not such a size. */
int gm__fdb_parse_size(const char *p, size_t len, size_t *out);

#endif
