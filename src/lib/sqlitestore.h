/* SPDX-License-Identifier: MIT */
/* Internal helpers of the sqlite backend (src/backends/sqlite.c) used by the registry. */
#ifndef GMIG_SQLITESTORE_H
#define GMIG_SQLITESTORE_H

#include <stddef.h>

/**
 * When path is a SQLite database: writes its table names ("a, b, c", or "none")
 * to buf and returns 1. Returns 0 when it is not one (or cannot be opened).
 */
int gm__sqlite_describe(const char *path, char *buf, size_t len);

#endif
