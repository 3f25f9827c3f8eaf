/* SPDX-License-Identifier: MIT */
/* Internal entry points of the GraphML backend, for tests and fuzz targets. */
#ifndef GMIG_BACKENDS_GRAPHML_H
#define GMIG_BACKENDS_GRAPHML_H

#include <stddef.h>

#include "gmig/sys/backend.h"

extern const struct gm_backend_ops gm_backend_graphml;

/**
 * Opens a GraphML reader over data[0..len) (not copied; must outlive the
 * backend). name is used in messages. *out is closed with gm_backend_close().
 * Returns 0, GM_ENOMEM or GM_EIO.
 */
int gm__graphml_open_mem(struct gm_backend **out, const void *data, size_t len, const char *name);

#endif
