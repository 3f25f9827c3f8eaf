/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests (linked into each of them). */
#ifndef GMIG_TESTUTIL_H
#define GMIG_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "gmig/sys/record.h"

/** Reads a whole file (fails the test when it cannot); NUL-terminated, free() it. len may be NULL. */
char *tu_slurp(const char *path, size_t *len);
/** Values for building records; strings are borrowed. */
struct gm_value tu_int(int64_t i);
struct gm_value tu_str(const char *s);
struct gm_value tu_float(double f);
struct gm_value tu_point(uint32_t srid, int dim, double x, double y, double z);

#endif
