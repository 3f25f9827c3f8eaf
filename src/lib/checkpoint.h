/* SPDX-License-Identifier: MIT */
/* Checkpoint files of gmig migrate (internal; see checkpoint.c for the layout). */
#ifndef GMIG_CHECKPOINT_H
#define GMIG_CHECKPOINT_H

#include <stdint.h>

#include "gmig/gmig.h"

struct gm_ckpt {
	int64_t run;
	char *from, *to;
	uint64_t batch_size;
	enum gm_on_error on_error;
	enum gm_existing existing;
	unsigned int lossy;
	uint64_t position;    /* source records copied by durable batches */
	uint64_t target_size; /* a file target: its temporary's size at position */
	/* the target's counts before the run, for the verify at its end (UINT64_MAX: unknown) */
	uint64_t before_nodes, before_rels;
	uint64_t committed;	 /* 1: the copy is committed, only its verification is left */
	struct gm_copy_stats st; /* counts up to position (source/target names unused) */
};

/** Writes c to path durably: "<path>.tmp", fsync, rename, fsync of the directory. */
int gm__ckpt_write(const char *path, const struct gm_ckpt *c);
/** Reads path into c (zeroed first). GM_ENOTFOUND when there is none, GM_EDATA when unreadable. */
int gm__ckpt_read(const char *path, struct gm_ckpt *c);
void gm__ckpt_free(struct gm_ckpt *c);

#endif
