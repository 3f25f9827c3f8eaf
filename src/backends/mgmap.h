/* SPDX-License-Identifier: MIT */
/*
 * MemoryGraph's data model as gmig maps it (internal; shared by the
 * "memorygraph" SQLite backend, the "mgjson" backend and the generator).
 * See memorygraph.c for the mapping itself.
 */
#ifndef GMIG_MGMAP_H
#define GMIG_MGMAP_H

#include "buf.h"
#include "gmig/sys/record.h"

/* MemoryType values (13) and RelationshipType values (35), MemoryGraph 0.12.4 */
extern const char *const gm__mg_memory_types[];
extern const char *const gm__mg_rel_types[];
#define GM__MG_NMEMORY_TYPES 13
#define GM__MG_NREL_TYPES 35

int gm__mg_is_memory_type(struct gm_str s);
int gm__mg_is_rel_type(struct gm_str s);

/* 1 when key starts with "_mg_" (gmig's own carriers, never written as MemoryGraph data) */
int gm__mg_is_carrier(struct gm_str key);

/** The property named key (NULL when absent). */
const struct gm_value *gm__mg_prop(const struct gm_prop *p, size_t n, const char *key);

/**
 * Appends a memory's properties as MemoryGraph stores them in nodes.properties:
 * json.dumps of MemoryNode.to_neo4j_properties(), i.e. the keys id, type,
 * title, content, tags, importance, confidence, usage_count, created_at,
 * updated_at, summary, effectiveness, last_accessed, then context_<field> in
 * MemoryContext's field order, then any other key in the order given.
 * Carriers ("_mg_*") are skipped. Null values are written as null.
 */
int gm__mg_memory_json(struct gm_buf *b, const struct gm_prop *p, size_t n);

/**
 * 1 when p[0..n) is in the order gm__mg_memory_json writes them and has no
 * carrier, i.e. when it writes exactly these keys in this order.
 */
int gm__mg_memory_order(const struct gm_prop *p, size_t n);

/**
 * Sorts p[0..n) by key (bytes, as gm_record_canonicalize does) when every key
 * is a memory key of gm__mg_memory_json or one of _mg_json, _mg_created_at,
 * _mg_updated_at, each at most once; returns 1 then, else 0 with p unchanged.
 */
int gm__mg_memory_sort(struct gm_prop *p, size_t n);

/**
 * Parses a JSON object's text into properties (memory from a), keeping the
 * order of the text; null values are dropped unless keep_nulls. Returns 0, or
 * GM_EDATA when the text is not one JSON object of plain values (message set).
 */
int gm__mg_parse_object(const char *text, size_t len, struct gm_arena *a, int keep_nulls,
			struct gm_prop **out, size_t *n);

/**
 * Normalises an ISO timestamp as Python's datetime.fromisoformat(s).isoformat()
 * does for the forms MemoryGraph writes or reads: "Z" becomes "+00:00", a
 * fraction becomes 6 digits and disappears when it is 0. Other text is
 * appended unchanged.
 */
int gm__mg_isoformat(struct gm_buf *b, const char *s, size_t n);

/** The current UTC time as Python's datetime.now(timezone.utc).isoformat(). */
void gm__mg_now(char out[40]);

#endif
