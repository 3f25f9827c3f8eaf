/* SPDX-License-Identifier: MIT */
/*
 * Backend author's API: the vtable every store and file format implements.
 *
 * A backend is one file in src/backends/ plus one line in the registry table
 * (src/lib/registry.c). The core opens it, pulls records with read_next (a
 * source) or pushes batches with write_batch (a sink), then commit()s and
 * close()s it. The core never knows which backend it talks to.
 */
#ifndef GMIG_SYS_BACKEND_H
#define GMIG_SYS_BACKEND_H

#include "gmig/gmig.h"
#include "gmig/sys/record.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GM_BACKEND_ABI_VERSION 1

/* capability bits */
#define GM_CAP_READ (1u << 0)	  /* read_next works */
#define GM_CAP_WRITE (1u << 1)	  /* write_batch works */
#define GM_CAP_FILE (1u << 2)	  /* location is a file path; may be probed and compressed */
#define GM_CAP_COUNT (1u << 3)	  /* count() answers without reading everything */
#define GM_CAP_TXN (1u << 4)	  /* write batches are transactions */
#define GM_CAP_DIR (1u << 5)	  /* location is a directory (several files) */
#define GM_CAP_LOSSY (1u << 6)	  /* honours gm_open_opts.lossy (stringify / drop) */
#define GM_CAP_EXISTING (1u << 7) /* honours gm_open_opts.existing (skip / fail on a known key) */
#define GM_CAP_RESUME (1u << 8)	  /* a file sink that continues its temporary (GM_OPEN_F_RESUME) */

/* What a sink may do with values it cannot store exactly, when the user asked for it. */
#define GM_LOSSY_STRINGIFY (1u << 0) /* write them as text the format has */
#define GM_LOSSY_DROP (1u << 1)	     /* leave null-valued properties out */

enum gm_open_mode { GM_OPEN_READ = 1, GM_OPEN_WRITE = 2 };

/** Options the core passes to open(). Zeroed fields mean defaults. */
struct gm_open_opts {
	enum gm_open_mode mode;
	size_t batch_size;  /* records per write_batch; 0 = backend default */
	const char *params; /* "k=v&k2=v2" after '?' in a "scheme:location?..." URI,
				     or NULL; valid while the backend lives */
	unsigned int flags; /* GM_OPEN_F_* */
	unsigned int lossy; /* GM_LOSSY_*: from --lossy or the URI parameter lossy=...
			       (the core takes it out of params); only for GM_CAP_LOSSY */
	/* the URI scheme the backend was named by ("redis" for an alias), or NULL when
	 * chosen by file name or content; set by the core, valid during open() */
	const char *scheme;
	/* keys already in the target: GM_EXISTING_* (only for GM_CAP_EXISTING) */
	enum gm_existing existing;
	/*
	 * > 0: continue this run of the target (gmig migrate --resume) instead of
	 * starting a new one. A store that records runs (sqlite:) tags what it writes
	 * with it and accepts the first batch_size records again unchanged: they may
	 * be the batch that was committed just before the interruption.
	 */
	int64_t run;
	/* GM_OPEN_F_RESUME (GM_CAP_RESUME): the temporary is kept up to resume_size
	   bytes and appended to; the run had written resume_nodes / resume_rels */
	uint64_t resume_size, resume_nodes, resume_rels;
};

#define GM_OPEN_F_OVERWRITE (1u << 0) /* an existing file target may be replaced */
#define GM_OPEN_F_RESUME (1u << 1)    /* continue a file sink's temporary (see resume_size) */

struct gm_backend_ops;
struct gm_digest_out;
struct gm_schema_item;

/** Common head of every backend object; a backend embeds it as its first member. */
struct gm_backend {
	const struct gm_backend_ops *ops;
	char *location; /* what open() was given, after the scheme: a path, "-", a URL */
	uint64_t nodes_written, rels_written;
	/* records a sink accepted but left out because the user asked for lossy=drop */
	uint64_t dropped;
	/* the value types this instance stores: ops->types, widened by the core for lossy */
	uint32_t types;
	/* for progress: bytes of input consumed and the total (0 when unknown) */
	uint64_t progress_done, progress_total;
	/* a sink's run id when the target records runs (sqlite:), else 0 */
	int64_t run;
	/* records a sink left out because their key was already there (GM_EXISTING_SKIP) */
	uint64_t skipped;
	/* set by the core before each write_batch: one byte per record, zeroed; a sink
	   that leaves record i out under GM_EXISTING_SKIP also sets skip_mask[i] = 1
	   (for the per-label summary). NULL outside write_batch */
	unsigned char *skip_mask;
};

struct gm_backend_ops {
	unsigned int version; /* GM_BACKEND_ABI_VERSION; append-only below */
	const char *name;     /* "jsonl"; also its URI scheme ("jsonl:out.txt") */
	const char *summary;  /* one line for `gmig formats` */
	/* file name endings that select this backend (after .gz/.zst is stripped),
	 * NULL-terminated; NULL when none */
	const char *const *suffixes;
	uint32_t caps;	/* GM_CAP_* */
	uint32_t types; /* GM_TYPE_BIT()s of the value types a sink stores exactly */

	/** Optional (files): how sure (0..100) that head, the first decompressed bytes, is ours. */
	int (*probe)(const unsigned char *head, size_t len);

	/**
	 * Required. Opens location (the URI without the "scheme:" prefix) for o->mode.
	 * On success *out is a gm_backend whose ops and location the core sets.
	 * A sink opened for a file writes to a temporary name; nothing appears
	 * under the final name before commit().
	 */
	int (*open)(struct gm_backend **out, const char *location, const struct gm_open_opts *o);

	/**
	 * Required if GM_CAP_READ. Fills rec with the next record: all nodes come
	 * before all relationships. Everything rec points to is allocated from a
	 * (the core resets a between batches). Returns 0, GM_ITEROVER at the end,
	 * GM_EDATA for a bad record (message names the position, and rec->line /
	 * rec->offset are set to it; the next call continues after it), or another
	 * negative code when the stream is unusable.
	 */
	int (*read_next)(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a);

	/**
	 * Required if GM_CAP_WRITE. Writes n records in canonical order
	 * (gm_record_canonicalize), nodes before relationships. Either all n are
	 * accepted or, on GM_EDATA/GM_EUNSUPPORTED, none of them (the message names
	 * the record), so the core can retry one by one to isolate a bad record.
	 */
	int (*write_batch)(struct gm_backend *b, const struct gm_record *recs, size_t n);

	/** Optional. Counts nodes and relationships (GM_CAP_COUNT). */
	int (*count)(struct gm_backend *b, uint64_t *nodes, uint64_t *rels);

	/**
	 * Optional (sinks). Makes everything written durable and visible under the
	 * final name (files: flush, close, rename). Called once, after the last batch.
	 */
	int (*commit)(struct gm_backend *b);

	/**
	 * Required. Frees the backend. A sink that was not committed removes what it
	 * wrote (a file's temporary). Called also after errors; NULL-safe in the core.
	 */
	int (*close)(struct gm_backend *b);

	/**
	 * Optional (GM_CAP_FILE). How sure (0..100) that the file at path is ours, for
	 * formats whose first bytes cannot tell (SQLite files all start alike): the
	 * registry calls it, besides probe, when it probes a plain path for reading.
	 * Must not change the file; 0 when it cannot be opened.
	 */
	int (*probe_path)(const char *path);

	/** Optional. Further URI schemes that name this backend, NULL-terminated. */
	const char *const *aliases;
	/**
	 * Optional (sinks). Makes every batch written so far durable, so that a
	 * resumed run may start after it, and sets *pos to what a resume needs
	 * (files: the temporary's size in bytes; stores: 0). Absent, or
	 * GM_EUNSUPPORTED, when batches become durable only at commit() (a
	 * store written in one transaction, a compressed file).
	 */
	int (*sync)(struct gm_backend *b, uint64_t *pos);

	/**
	 * Optional (stores that record runs). Removes what run wrote in the store
	 * at location: rows it created are deleted, rows it changed get their
	 * previous content back; data from before the run is untouched. *nodes and
	 * *rels are the rows removed or restored. Refuses (GM_EINVAL) when a later
	 * run changed rows of this one. location is what open() would be given (the
	 * URI after its scheme, parameters included) for a file (GM_CAP_FILE); for
	 * a server it is the whole URI, so that an alias scheme keeps its meaning
	 * (falkordb's rediss: is TLS).
	 */
	int (*rollback)(const char *location, int64_t run, uint64_t *nodes, uint64_t *rels);

	/**
	 * Optional (sources). Computes, next to the data, what gmig verify's digest
	 * pass computes by streaming every record (struct gm_digest_out): the
	 * per-bucket digests and the counts per label set and type, bit-identical
	 * to feeding every record read_next would give to gm_digest_add. Called on a
	 * freshly opened backend instead of read_next. GM_EUNSUPPORTED (this store
	 * cannot) or GM_EDATA (a record that cannot be read) make the core stream
	 * this side instead, so unreadable records are reported as usual.
	 */
	int (*digest)(struct gm_backend *b, struct gm_digest_out *d);

	/**
	 * Optional (stores with a schema). Calls emit once per index or constraint
	 * the store declares (struct gm_schema_item; its strings are valid during
	 * the call), for gmig validate's report. Returns 0, or emit's or the store's
	 * negative code.
	 */
	int (*describe_schema)(struct gm_backend *b,
			       int (*emit)(void *ctx, const struct gm_schema_item *it), void *ctx);

	/**
	 * Optional, NULL-terminated. Properties the store fills in itself when a
	 * record comes without them (memorygraph:'s row timestamps), so that
	 * migrate's verify accepts them on records whose source lacks them.
	 */
	const char *const *added_props;

	/**
	 * Optional (GM_CAP_LOSSY). The value types a sink leaves out under
	 * GM_LOSSY_DROP (counted in gm_backend.dropped); 0 means Null only.
	 */
	uint32_t drop_types;
};

/* ---- verify's digests (the digest slot) ---- */

/** One bucket of verify's digest pass. */
struct gm_digest_bucket {
	uint64_t n;	 /* records */
	uint64_t lo, hi; /* sums of their XXH3-128 content hashes, per 64-bit half, mod 2^64 */
};

/**
 * What verify's digest pass computes for one side (the canonical record
 * encoding and the hashes are specified in src/lib/verify.c). The core sets
 * bits, buckets (zeroed), count and ctx; the digest slot fills the rest.
 */
struct gm_digest_out {
	unsigned bits;			  /* 2^bits buckets, by the low bits of the identity hash */
	struct gm_digest_bucket *buckets; /* 2^bits of them */
	/* n more records of the label set or type name (gm_digest_add's text: ":A:B",
	   "(no labels)", "[:T]"), in the order the records come */
	int (*count)(void *ctx, const char *name, size_t len, int is_rel, uint64_t n);
	void *ctx;
	uint64_t nodes, rels; /* records digested */
	void *scratch;	      /* gm_digest_add's buffers; the core frees them */
};

/**
 * Adds one record to d exactly as verify's streaming pass does: canonicalizes
 * r (in place), encodes and hashes it, adds it to its bucket, counts it.
 * GM_EDATA when r cannot be canonicalized, GM_ENOMEM.
 */
int gm_digest_add(struct gm_digest_out *d, struct gm_record *r);
/** Frees d->scratch (what gm_digest_add allocated); the core calls it after the slot. */
void gm_digest_release(struct gm_digest_out *d);

/** One index or constraint a store declares (the describe_schema slot). */
struct gm_schema_item {
	const char *kind;	/* "index", "unique index", "primary key", "fulltext index", ... */
	const char *name;	/* the store's name for it */
	const char *on;		/* the table, label or relationship type it covers */
	const char *columns;	/* the columns or properties, comma-separated; NULL when none */
	const char *definition; /* the store's own text of it (SQL, ...), or NULL */
};

/* ---- registry ---- */

/** The registered backends, NULL-terminated. */
const struct gm_backend_ops *const *gm_backends(void);
/** A backend by name or alias; NULL when none. */
const struct gm_backend_ops *gm_backend_find(const char *name, size_t len);

/**
 * Opens uri: "scheme:location", or a plain path whose backend is chosen by its
 * ending (".jsonl", ".graphml", ... with optional ".gz"/".zst") or, for reading,
 * by probing its first bytes; "-" is stdin/stdout (gmig JSONL unless the
 * content says otherwise). *found says which backend was chosen and why, for
 * messages (may be NULL).
 */
int gm_backend_open(struct gm_backend **out, const char *uri, const struct gm_open_opts *o);
/**
 * Finds the backend for uri without opening it: *ops, and *location pointing
 * into uri after the scheme. Same rules as gm_backend_open.
 */
int gm_backend_resolve(const char *uri, enum gm_open_mode mode, const struct gm_backend_ops **ops,
		       const char **location);
/**
 * Looks up key in a "k=v&k2=v2" parameter string (NULL allowed). Returns 1 and
 * sets *val (not NUL-terminated, no %-decoding) when present, else 0.
 */
int gm_params_get(const char *params, const char *key, struct gm_str *val);
/** A NUL-terminated copy of n bytes at p with %XX decoded (a URI part); NULL: ENOMEM. */
char *gm_uri_decode(const char *p, size_t n);
/**
 * Sets *out to parameter key's %-decoded value (gm_free it), or a copy of dflt
 * when key is absent (NULL when dflt is). An empty value is refused (GM_EINVAL,
 * "parameter KEY for WHAT is empty").
 */
int gm_params_dup(const char *params, const char *key, const char *dflt, const char *what,
		  char **out);
/** Parses "stringify", "drop" or "stringify,drop" into GM_LOSSY_* bits (or-ed into *out). */
int gm_lossy_parse(const char *p, size_t n, unsigned int *out);
/**
 * Counts the nodes and relationships of the store or file at uri, when its
 * backend can count without reading everything (GM_CAP_COUNT). Returns 1 and
 * sets the counts, or 0 (no such store, cannot count; no error is left set).
 */
int gm_backend_count_uri(const char *uri, uint64_t *nodes, uint64_t *rels);
/** Calls the backend's commit (0 when it has none). */
int gm_backend_commit(struct gm_backend *b);
/** Calls close; NULL is a no-op. Keeps the thread's current error message. */
void gm_backend_close(struct gm_backend *b);

#ifdef __cplusplus
}
#endif
#endif
