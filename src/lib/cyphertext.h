/* SPDX-License-Identifier: MIT */
/*
 * Cypher literal writing shared by the backends that speak Cypher (internal):
 * the cypher script writer and the falkordb backend.
 */
#ifndef GMIG_CYPHERTEXT_H
#define GMIG_CYPHERTEXT_H

#include <stddef.h>

#include "buf.h"
#include "gmig/sys/record.h"

/* Flags for the dialect. */
#define GM__CY_RAW_CONTROL (1u << 0) /* no \uXXXX escapes: control characters raw, '...' quotes */
#define GM__CY_SUBNORMAL_EXPR (1u << 1) /* subnormal floats as (m * 2.0^-1074): no literal */

/** 1 when n bytes at p are an identifier that needs no backticks. */
int gm__cy_plain_name(const char *p, size_t n);
/** A label, type or key: as is when plain, else in backticks with backticks doubled. */
int gm__cy_put_name(struct gm_buf *b, struct gm_str s);
/**
 * A string literal. Default: double quotes, \\ \" \n \r \t escaped, other
 * control characters as \uXXXX. GM__CY_RAW_CONTROL: single quotes, only \\
 * and \' escaped, everything else raw (for parsers without \u escapes).
 */
int gm__cy_put_string(struct gm_buf *b, const char *p, size_t n, unsigned int flags);
/** A float: shortest exact form, no '+' in exponents; NaN 0.0/0.0, +-Inf +-1.0/0.0. */
int gm__cy_put_double(struct gm_buf *b, double d, unsigned int flags);
/** A float32 in its shortest exact form (NaN/Inf as for doubles). */
int gm__cy_put_float32(struct gm_buf *b, float f, unsigned int flags);

#endif
