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

struct sqlite3;
struct gm_schema_item;

/**
 * The describe_schema slot for SQLite-based stores: calls emit for every
 * index of the ordinary tables of db's main schema whose name is LIKE like
 * (NULL: every table but SQLite's own), in order of table and index name
 * (SQLite's automatic indexes for PRIMARY KEY and UNIQUE constraints
 * included), then for every virtual table (FTS: "fulltext index").
 */
int gm__sqlite_schema(struct sqlite3 *db, const char *like,
		      int (*emit)(void *ctx, const struct gm_schema_item *it), void *ctx);

#endif
