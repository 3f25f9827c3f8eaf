/* SPDX-License-Identifier: MIT */
/*
 * Values <-> JSON (internal), in two dialects.
 *
 * Typed (gmig JSONL): plain JSON wherever it is exact, Neo4j's typed JSON
 * ({"$type":T,"_value":V}) elsewhere:
 *   null, true/false, strings, lists, maps          plain
 *   Integer within +-2^53                            plain number: 42
 *   Integer beyond                                   {"$type":"Integer","_value":"9007199254740993"}
 *   Float finite, not -0.0                           plain number, always with '.' or 'e': 1.0
 *   Float NaN / Infinity / -Infinity / -0.0          {"$type":"Float","_value":"NaN"}
 *   Bytes                                            {"$type":"Base64","_value":"AAE="}
 *   Date, LocalTime, Time, LocalDateTime             {"$type":"Date","_value":"2020-01-01"} ...
 *   DateTime with offset only                        {"$type":"OffsetDateTime","_value":...}
 *   DateTime with a zone name                        {"$type":"ZonedDateTime","_value":...}
 *   Duration                                         {"$type":"Duration","_value":"P1M"}
 *   Point                                            {"$type":"Point","_value":"SRID=4326;POINT (1.0 2.0)"}
 *   Vector (float32)                                 {"$type":"Vector","_value":[1.5,2.0]}
 *   a map whose keys are exactly $type and _value    {"$type":"Map","_value":{...}}
 * Texts inside _value are valtext.h's canonical forms. Map keys are written
 * in the order given (records are canonicalised before writing).
 *
 * Plain (APOC and friends): what apoc.export.json writes: temporals and
 * durations as bare ISO strings, points as {"crs":..,"x"/"latitude":..},
 * bytes as base64 strings, NaN/Infinity as strings.
 */
#ifndef GMIG_TYPEDJSON_H
#define GMIG_TYPEDJSON_H

#include "buf.h"
#include "gmig/sys/record.h"
#include "json.h"

#define GM_TJ_PLAIN (1u << 0) /* APOC dialect on write; on read: no $type decoding */
#define GM_TJ_ASCII (1u << 1) /* \uXXXX for non-ASCII */

/** Appends v as JSON. */
int gm_tjson_write(struct gm_buf *b, const struct gm_value *v, unsigned int flags);
/** Appends a JSON object of properties: {"k":v,...} ("{}" when n is 0). */
int gm_tjson_write_props(struct gm_buf *b, const struct gm_prop *p, size_t n, unsigned int flags);

/**
 * Reads the next complete JSON value from r into out (memory from a).
 * Typed wrappers are decoded unless GM_TJ_PLAIN. JSON numbers without '.', 'e'
 * or 'E' become Integer (GM_EDATA if beyond int64), others Float. A duplicate
 * key in an object is GM_EDATA naming the key and position. If first is not
 * NULL it is the value's first token, already read by the caller.
 */
int gm_tjson_read(struct gm_json_reader *r, const struct gm_json_token *first, struct gm_arena *a,
		  struct gm_value *out, unsigned int flags);

#endif
