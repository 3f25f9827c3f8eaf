/* SPDX-License-Identifier: MIT */
/*
 * gmig record model: the values, properties, nodes and relationships that flow
 * from a source backend through the core to a sink backend.
 *
 * Everything a record points to lives in a gm_arena owned by the caller of
 * read_next (the core), so a batch of records stays valid until the core
 * resets that arena. Strings are UTF-8, carry an explicit length, may contain
 * NUL bytes and are always followed by a NUL terminator when made by
 * gm_arena_strdup.
 */
#ifndef GMIG_SYS_RECORD_H
#define GMIG_SYS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The value types: the whole Bolt property type system. Order is part of the ABI. */
enum gm_type {
	GM_T_NULL = 0,
	GM_T_BOOL,
	GM_T_INT,    /* int64 */
	GM_T_FLOAT,  /* float64; NaN, +-Inf and -0.0 are kept */
	GM_T_STRING, /* UTF-8 */
	GM_T_BYTES,
	GM_T_LIST,
	GM_T_MAP,
	GM_T_DATE,	    /* t.secs = days since 1970-01-01 */
	GM_T_LOCALTIME,	    /* t.secs = seconds since midnight, t.nanos */
	GM_T_TIME,	    /* as LOCALTIME plus t.offset (has_offset = 1) */
	GM_T_LOCALDATETIME, /* t.secs = seconds since 1970-01-01T00:00:00 wall clock, t.nanos */
	GM_T_DATETIME,	    /* as LOCALDATETIME plus an offset and/or a zone name */
	GM_T_DURATION,
	GM_T_POINT,
	GM_T_VECTOR, /* float32[] */
	GM_T__COUNT
};

#define GM_TYPE_BIT(t) (1u << (t))
#define GM_TYPES_ALL ((1u << GM_T__COUNT) - 1)

/** A borrowed byte string; p may be NULL only when len is 0. */
struct gm_str {
	const char *p;
	size_t len;
};

/** Temporal values. Wall-clock representation, so text round trips are exact. */
struct gm_temporal {
	int64_t secs;	    /* meaning depends on the type, see enum gm_type */
	int32_t nanos;	    /* 0 .. 999 999 999 */
	int32_t offset;	    /* seconds east of UTC; valid when has_offset */
	uint8_t has_offset; /* TIME: always 1; DATETIME: 0 only when zone is set */
	struct gm_str zone; /* DATETIME: IANA zone name ("Europe/Berlin"), len 0 if none */
};

/** A Cypher duration: the four components are kept apart, never normalised across. */
struct gm_duration {
	int64_t months;
	int64_t days;
	int64_t secs;
	int32_t nanos; /* 0 .. 999 999 999, added to secs (so -0.5 s is secs -1, nanos 5e8) */
};

/** SRIDs Neo4j knows: 7203 cartesian, 9157 cartesian-3d, 4326 wgs-84, 4979 wgs-84-3d. */
struct gm_point {
	uint32_t srid;
	uint8_t dim; /* 2 or 3 */
	double x, y, z;
};

struct gm_prop;

struct gm_value {
	enum gm_type type;
	union {
		int b;
		int64_t i;
		double f;
		struct gm_str s; /* STRING and BYTES */
		struct {
			struct gm_value *v;
			size_t n;
		} list;
		struct {
			struct gm_prop *p;
			size_t n;
		} map;
		struct gm_temporal t;
		struct gm_duration d;
		struct gm_point pt;
		struct {
			float *v;
			size_t n;
		} vec;
	} u;
};

/** A property or a map entry. Keys are unique within one record or map. */
struct gm_prop {
	struct gm_str key;
	struct gm_value val;
};

enum gm_kind { GM_NODE = 1, GM_REL = 2 };

/**
 * A node or a relationship.
 *
 * Node: key (required, unique among nodes), labels, props.
 * Relationship: key (optional: key.p == NULL means none), type, from/to = the
 * endpoint nodes' keys, props.
 * line/offset say where the record came from (1-based line, 0-based byte offset
 * into the uncompressed stream; 0 and 0 when unknown) for error messages.
 */
struct gm_record {
	enum gm_kind kind;
	struct gm_str key;
	struct gm_str *labels;
	size_t nlabels;
	struct gm_str type;
	struct gm_str from;
	struct gm_str to;
	struct gm_prop *props;
	size_t nprops;
	uint64_t line;
	uint64_t offset;
};

/* ---- arenas: per-batch bump allocation, reset instead of freed one by one ---- */

struct gm_arena;

/** Creates an arena. Returns 0 or GM_ENOMEM. Free with gm_arena_free(). */
int gm_arena_new(struct gm_arena **out);
/** Frees the arena and everything allocated from it. NULL is a no-op. */
void gm_arena_free(struct gm_arena *a);
/** Forgets every allocation; keeps the first block for reuse. */
void gm_arena_reset(struct gm_arena *a);
/** Returns n bytes aligned for any type, or NULL (error set to GM_ENOMEM). */
void *gm_arena_alloc(struct gm_arena *a, size_t n);
/** Copies len bytes and a NUL terminator; returns NULL on GM_ENOMEM. */
char *gm_arena_strdup(struct gm_arena *a, const char *p, size_t len);
/** Bytes currently allocated from the arena (for memory accounting). */
size_t gm_arena_used(const struct gm_arena *a);

/* ---- values ---- */

/** The name used in messages and typed JSON: "Integer", "Date", ... */
const char *gm_type_name(enum gm_type t);
/** Parses a gm_type_name() back; returns -1 when unknown. */
int gm_type_from_name(const char *name, size_t len);
/** 1 when the two values are identical (type and bits: NaN == NaN, -0.0 != 0.0). */
int gm_value_equal(const struct gm_value *a, const struct gm_value *b);
/** Deep copy of src into dst using arena a. Returns 0 or GM_ENOMEM. */
int gm_value_copy(struct gm_value *dst, const struct gm_value *src, struct gm_arena *a);
/** Bit mask (GM_TYPE_BIT) of every type in v, recursing into lists and maps. */
uint32_t gm_value_types(const struct gm_value *v);

/** 1 when the two strings have the same bytes. */
int gm_str_eq(struct gm_str a, struct gm_str b);
/** memcmp-style order, shorter prefix first. */
int gm_str_cmp(struct gm_str a, struct gm_str b);
/** A gm_str for a NUL-terminated C string. */
struct gm_str gm_str_c(const char *s);

/**
 * Puts a record in canonical order: labels sorted bytewise, properties and
 * every nested map sorted by key. Returns 0, or GM_EDATA when a label or a key
 * appears twice (the message names it).
 */
int gm_record_canonicalize(struct gm_record *r);
/** Bit mask of every value type used by the record's properties. */
uint32_t gm_record_types(const struct gm_record *r);
/** Deep copy of src into dst using arena a. */
int gm_record_copy(struct gm_record *dst, const struct gm_record *src, struct gm_arena *a);

#ifdef __cplusplus
}
#endif
#endif
