/* SPDX-License-Identifier: MIT */
/*
 * JSON text exactly as Python's json.dumps writes it (internal), for formats
 * that a Python program wrote and compares byte for byte (MemoryGraph).
 *
 *   separators      ", " and ": " (json.dumps defaults); with an indent:
 *                   "," + newline + indent, ": ", empty containers "[]" / "{}"
 *   strings         ensure_ascii: every byte outside 0x20..0x7e escaped; \" \\
 *                   \n \r \t \b \f, other characters as \u00XX / \uXXXX with
 *                   lowercase hex, non-BMP characters as surrogate pairs
 *   floats          repr(): the shortest digits that read back to the same
 *                   double, fixed notation when the decimal exponent is in
 *                   -4 < e <= 16 ("0.0001", "1000000000000000.0"), else
 *                   "1e-05", "1.5e+16" (mantissa without ".0", sign and at
 *                   least two exponent digits); "NaN", "Infinity", "-Infinity"
 *   integers        decimal
 *   other types     what MemoryGraph's models would hand json.dumps: DateTime
 *                   as Python isoformat() ("2026-11-22T15:17:12.946991+00:00",
 *                   fraction only when the microsecond is not 0, truncated to
 *                   microseconds), other temporals, durations, points and bytes
 *                   as their canonical text (valtext.h), vectors as lists
 */
#ifndef GMIG_PYJSON_H
#define GMIG_PYJSON_H

#include "buf.h"
#include "gmig/sys/record.h"

/** Appends repr(d) as json.dumps writes a float. */
int gm_pyjson_float(struct gm_buf *b, double d);
/** Appends p[0..n) as a json.dumps string (ensure_ascii). p must be valid UTF-8. */
int gm_pyjson_string(struct gm_buf *b, const char *p, size_t n);
/**
 * Appends v. indent < 0: one line (", " / ": "); indent >= 0: json.dumps(indent=indent)
 * with level the current nesting depth (the caller's indentation).
 */
int gm_pyjson_value(struct gm_buf *b, const struct gm_value *v, int indent, int level);
/** Appends a DateTime as Python's datetime.isoformat(). */
int gm_pyjson_isoformat(struct gm_buf *b, const struct gm_temporal *t);

#endif
