/* SPDX-License-Identifier: MIT */
/*
 * libgmig public API: what a program that links libgmig uses.
 *
 * Every function returns 0 on success or a negative GM_E* code; the message
 * for the last error of the calling thread is read with gm_error_last().
 * The library never prints and never exits.
 */
#ifndef GMIG_GMIG_H
#define GMIG_GMIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GMIG_VERSION "0.1.0"

enum gm_error_code {
	GM_OK = 0,
	GM_ERROR = -1,	      /* generic */
	GM_ENOTFOUND = -2,    /* a file, store, key or format that does not exist */
	GM_EINVAL = -3,	      /* bad argument or option */
	GM_ENOMEM = -4,	      /* an allocation failed */
	GM_EIO = -5,	      /* read/write/network failure (also: disk full) */
	GM_EDATA = -6,	      /* a bad record; the stream stays usable */
	GM_ECORRUPT = -7,     /* input unusable from this point on */
	GM_EUNSUPPORTED = -8, /* the backend cannot do this */
	GM_EINTR = -9,	      /* interrupted by a signal or a fault hook */
	GM_ITEROVER = -31     /* end of a stream; not an error */
};

/** Sets the thread's error (printf-style message) and returns code. */
int gm_error_set(int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/** The thread's last error message ("" when none). Borrowed until the next gm_error_set. */
const char *gm_error_last(void);
/** The thread's last error code (0 when none). */
int gm_error_code(void);
/** Clears the thread's error. */
void gm_error_clear(void);
/** A short name for an error code: "ENOMEM". */
const char *gm_error_name(int code);

/* ---- allocation hooks ---- */

struct gm_allocator {
	void *(*malloc)(size_t n, void *ctx);
	void *(*realloc)(void *p, size_t n, void *ctx);
	void (*free)(void *p, void *ctx);
	void *ctx;
};

/** Replaces the allocator (NULL restores libc). Not thread-safe: call before any other use. */
void gm_set_allocator(const struct gm_allocator *a);
/**
 * Makes the Nth allocation from now fail (1 = the next one), and every one after it
 * when sticky is set; 0 turns failure injection off. For tests; also read from the
 * environment variable GMIG_FAIL_ALLOC=N at the CLI's start.
 */
void gm_alloc_fail_after(unsigned long n, int sticky);
void *gm_malloc(size_t n);
void *gm_calloc(size_t n, size_t size);
void *gm_realloc(void *p, size_t n);
void gm_free(void *p);
char *gm_strdup(const char *s);

/**
 * The URI (or a backend location such as "//user:pw@host/g") without its
 * "user:password@" part, for messages and logs: uri itself when it has none,
 * else buf (n bytes) holding the redacted copy.
 */
const char *gm_uri_redact(const char *uri, char *buf, size_t n);

/* ---- copying a graph: export, import, migrate ---- */

enum gm_on_error { GM_ON_ERROR_STOP = 0, GM_ON_ERROR_SKIP = 1 };

/** What a store does with a node or keyed relationship whose key it already holds. */
enum gm_existing {
	GM_EXISTING_UPSERT = 0, /* replace it (re-running a migration changes nothing) */
	GM_EXISTING_SKIP = 1,	/* keep the stored one, count the record as skipped */
	GM_EXISTING_FAIL = 2	/* a bad record (GM_EDATA) */
};

struct gm_copy_stats;

/** Progress snapshot passed to gm_copy_opts.progress. */
struct gm_progress {
	uint64_t records;     /* records read so far */
	uint64_t bytes_done;  /* source position (bytes or records), 0 when unknown */
	uint64_t bytes_total; /* its total, 0 when unknown */
	double elapsed;	      /* seconds since the start */
	int final;	      /* 1 for the last call */
};

struct gm_copy_opts {
	size_t batch_size;	   /* records per write batch; 0 = 10 000 */
	enum gm_on_error on_error; /* stop at the first bad record, or skip it */
	uint64_t max_errors;	 /* with skip: give up after more rejects than this; 0 = no limit */
	const char *reject_path; /* where skipped records are logged (JSON Lines), or NULL */
	int dry_run;		 /* read and check everything, write nothing */
	int force;		 /* a file target may be replaced */
	unsigned int lossy;	 /* GM_LOSSY_* bits for the target (see gmig/sys/backend.h) */
	void (*progress)(const struct gm_progress *p, void *ctx);
	void *progress_ctx;
	enum gm_existing existing; /* keys already in the target (stores only) */
	double rate;		   /* records per second at most (token bucket); 0 = no limit */
	/* resuming (set by gm_migrate): read and discard the first skip records */
	uint64_t skip;
	int64_t run;		 /* continue this run of the target (gm_open_opts.run) */
	unsigned int open_flags; /* more GM_OPEN_F_* for the target (GM_OPEN_F_RESUME) */
	uint64_t resume_size, resume_nodes, resume_rels; /* see gm_open_opts */
	/*
	 * Called once the target is open (batches = 0) and after every written
	 * batch; durable says whether the target made the batches so far durable
	 * (its sync), target_pos is what sync returned. position = source records
	 * read, skip included. A negative return stops the copy with that error.
	 */
	int (*batch_done)(void *ctx, const struct gm_copy_stats *st, uint64_t position, int durable,
			  uint64_t target_pos);
	void *batch_ctx;
};

/** One summary row: a node label set (":A:B", "(no labels)") or a relationship type ("[:T]"). */
struct gm_stat_row {
	char *name;
	int is_rel;
	uint64_t read, written, rejected;
	uint64_t skipped; /* of written: left as they were (--skip-duplicates) */
};

struct gm_verify_report;

/** A dry run's survey of one value type the target cannot store. */
struct gm_unstorable {
	const char *type; /* its name (gm_type_name) */
	uint64_t records; /* records holding at least one such value */
	char *first;	  /* the first of them: "node 'n7' (line 9)" */
};

struct gm_copy_stats {
	uint64_t nodes_read, nodes_written, rels_read, rels_written, rejected;
	uint64_t unreadable; /* records read but too broken to tell node from relationship */
	uint64_t dropped;    /* accepted by the target but left out under --lossy=drop */
	double seconds;
	char *source_backend, *target_backend; /* backend names, for the summary */
	int target_txn;		  /* the target commits batch by batch (a store, not a file) */
	struct gm_stat_row *rows; /* in order of first appearance */
	size_t nrows;
	uint64_t skipped; /* left out because the key was in the target (--skip-duplicates) */
	uint64_t batches; /* batches written */
	int64_t run;	  /* the run id (gm_migrate; the store's own when it records runs) */
	int rolled_back;  /* gm_migrate: the failed run's writes were removed */
	int removed;	  /* gm_migrate: ... by deleting the target file (it was new) */
	int committed;	  /* the target was committed: it holds the whole copy, even if the
			     call failed afterwards (making the summary, verifying it) */
	/* gm_migrate's comparison of the committed target with the source (gm_verify) */
	int verified;		 /* 1: compared, and the target holds the source exactly */
	int verify_failed;	 /* 1: a difference was found, or the target could not be
				    read back (the call failed) */
	const char *verify_skip; /* static text: why it was not compared, or NULL */
	double verify_seconds;
	/* a dry run goes on past values the target cannot store, and lists them here
	   per type (in order of first appearance); the call then fails unless
	   on_error is skip */
	struct gm_unstorable *unstorable;
	size_t nunstorable;
	uint64_t verify_added;		 /* records equal but for fields the target fills in itself
				  (gm_backend_ops.added_props) */
	struct gm_verify_report *verify; /* the comparison's report when it found a
					    difference (the call failed), else NULL */
};

/**
 * Copies every node and relationship of the store or file at from_uri into
 * to_uri (see gm_backend_open for URIs). The target is written completely or
 * not at all: files appear under their final name only when the copy succeeded.
 * stats (may be NULL) is filled also on failure, for the summary; free it with
 * gm_copy_stats_free. Returns 0, or a negative code with the message set.
 */
int gm_copy(const char *from_uri, const char *to_uri, const struct gm_copy_opts *o,
	    struct gm_copy_stats *stats);
void gm_copy_stats_free(struct gm_copy_stats *stats);

/** Adds the counts of src to dst (rows matched by name, new ones appended). */
int gm_copy_stats_add(struct gm_copy_stats *dst, const struct gm_copy_stats *src);

/* ---- managed migration: checkpoints, resume, rollback ---- */

struct gm_migrate_opts {
	struct gm_copy_opts copy;
	/* where the position is saved after each durable batch; NULL = "<target>.gmig-checkpoint"
	   next to a file or store target (none for stdout) */
	const char *checkpoint;
	int resume;	 /* continue the run the checkpoint describes */
	int no_rollback; /* keep what a failed run wrote */
	int no_verify;	 /* leave out the comparison of the target with the source */
};

/**
 * gm_copy as a managed run: a run id, a checkpoint after every durable batch,
 * --resume from it after any interruption (kill -9 included), and on failure
 * the run's own writes removed again (stores that record runs; files leave
 * nothing under the final name). An interruption (SIGINT/SIGTERM) keeps the
 * checkpoint and what was written, for resume. stats->run is the run id.
 */
int gm_migrate(const char *from_uri, const char *to_uri, const struct gm_migrate_opts *o,
	       struct gm_copy_stats *stats);
/**
 * Why gm_migrate would not compare its copy with the source (a static text:
 * a write-only target, standard input or output, a lossy mode), or NULL
 * when it will.
 */
const char *gm_migrate_verify_skip(const char *from_uri, const char *to_uri, unsigned int lossy);
/** Removes what run wrote in the store at uri (see gm_backend_ops.rollback). */
int gm_rollback(const char *uri, int64_t run, uint64_t *nodes, uint64_t *rels);
/**
 * The default checkpoint path for uri: next to a file or store file
 * ("<path>.gmig-checkpoint"), in ~/.gmig/checkpoints/ for a server's store;
 * NULL for stdout, without $HOME, or ENOMEM. Free with gm_free.
 */
char *gm_checkpoint_default(const char *uri);
/**
 * Reads the source and target URIs a checkpoint was written for (gm_free both).
 */
int gm_checkpoint_uris(const char *path, char **from, char **to);

/**
 * Fault injection for tests (inert unless set; the CLI reads GMIG_FAULT):
 * "crash_after_batches:K" ends the process with _exit(137) right after the
 * K-th written batch (and its checkpoint); "fail_after_batches:K" makes the
 * K-th batch fail with GM_EIO. NULL or "" turns it off. GM_EINVAL for a bad spec.
 */
int gm_fault_set(const char *spec);

/* ---- validating a graph ---- */

enum gm_finding_kind {
	GM_FIND_BAD_RECORD = 1,	  /* the source could not read a record */
	GM_FIND_DUPLICATE_KEY,	  /* two nodes with one key */
	GM_FIND_DANGLING,	  /* a relationship endpoint that is no node */
	GM_FIND_MIXED_TYPES,	  /* one property with several types across a label / type */
	GM_FIND_MISSING_REQUIRED, /* a node without a property gm_validate_opts.require names */
	GM_FIND_NOT_UNIQUE	  /* a value gm_validate_opts.unique names, on a second node */
};

struct gm_finding {
	enum gm_finding_kind kind;
	char *text; /* "relationship 'r7' (line 12): end 'n9' is not a node" */
};

/** An index or constraint of the store (see gm_schema_item in gmig/sys/backend.h). */
struct gm_validate_schema {
	char *kind, *name, *on;
	char *columns, *definition; /* NULL when the store gave none */
};

struct gm_validate_report {
	uint64_t nodes, rels;
	uint64_t bad_records, duplicate_keys, dangling, mixed_types; /* counts of findings */
	struct gm_stat_row *rows; /* counts per label set / type ("read" holds the count) */
	size_t nrows;
	struct gm_finding *findings; /* the first max_findings findings of each kind */
	size_t nfindings;
	double seconds;
	uint64_t missing_required, not_unique; /* counts of the gm_validate_ex findings */
	/* the indexes and constraints the store declares (backends that describe them) */
	struct gm_validate_schema *schema;
	size_t nschema;
	int schema_known; /* 1 when the backend described its schema (nschema may be 0) */
};

/** Extra checks for gm_validate_ex; rules are "Label.prop" (split at the first '.'). */
struct gm_validate_opts {
	size_t max_findings;	    /* findings kept per kind (0 = 20) */
	const char *const *require; /* every node with Label has prop (not Null) */
	size_t nrequire;
	const char *const *unique; /* no two nodes with Label share a value of prop */
	size_t nunique;
};

/**
 * Reads every record of uri and checks: records the source cannot read,
 * duplicate node keys, relationships whose endpoints are not nodes, and
 * properties with more than one value type within one label or relationship
 * type (Null does not count). Memory: a compact key map (about 32 bytes per
 * node) and the schema. max_findings (0 = 20) caps the findings kept per kind.
 * Returns 0 when the check ran (look at the counts), < 0 when it could not.
 */
int gm_validate(const char *uri, size_t max_findings, struct gm_validate_report *rep);
/**
 * gm_validate plus required properties and uniqueness (o->require, o->unique).
 * Uniqueness memory: about 32 bytes per distinct value (128-bit hashes of the
 * values' typed JSON). GM_EINVAL for a rule that is not "Label.prop".
 */
int gm_validate_ex(const char *uri, const struct gm_validate_opts *o,
		   struct gm_validate_report *rep);
void gm_validate_report_free(struct gm_validate_report *rep);

/* ---- comparing two graphs ---- */

enum gm_diff_kind {
	GM_DIFF_MISSING = 1, /* in the first graph (from), not in the second (to) */
	GM_DIFF_EXTRA,	     /* in the second graph, not in the first */
	GM_DIFF_CHANGED,     /* in both, with different content */
	GM_DIFF_UNREADABLE   /* a record one side could not read (side says which) */
};

/** One differing field of a changed record. */
struct gm_diff_field {
	char *field;		   /* "labels", "type", "start", "end" or the property name */
	int is_prop;		   /* field names a property */
	char *from_json, *to_json; /* typed JSON of the two values; NULL when absent */
};

struct gm_diff {
	enum gm_diff_kind kind;
	int is_rel;
	int side;  /* GM_DIFF_UNREADABLE: 0 from, 1 to */
	char *key; /* node or relationship key; "(a)-[:T]->(b)" for a relationship without
		      one; for GM_DIFF_UNREADABLE the reader's message */
	struct gm_diff_field *fields; /* GM_DIFF_CHANGED: what differs */
	size_t nfields;
};

/** Counts of one node label set (":A:B", "(no labels)") or relationship type ("[:T]"). */
struct gm_verify_row {
	char *name;
	int is_rel;
	uint64_t count[2]; /* from, to */
};

struct gm_verify_opts {
	uint64_t sample;      /* 0: compare everything; N: only about N keys chosen by hash */
	size_t max_diffs;     /* differences listed (0 = 100); all are counted */
	unsigned bucket_bits; /* first-pass buckets = 2^bits (0 = 16); for tests */
	uint64_t hold_limit;  /* records held in memory at once (0 = 200 000); for tests */
	/* NULL-terminated property names to_uri may hold on a record whose from_uri
	   copy lacks them (a store's own timestamps): counted in added[], not as
	   changed; NULL = none */
	const char *const *added_ok;
	int no_digest; /* stream every side, even one whose backend computes digests itself */
};

struct gm_verify_report {
	int equal;		    /* 1 when no difference was found */
	uint64_t nodes[2], rels[2]; /* records read from each side (unreadable included) */
	uint64_t missing[2], extra[2], changed[2]; /* [0] nodes, [1] relationships */
	uint64_t unreadable[2];			   /* per side */
	uint64_t added[2];	    /* records equal but for properties named in added_ok */
	int truncated;		    /* max_diffs reached before every differing bucket was
					 compared: the counts above are lower bounds */
	uint64_t differing_buckets; /* first-pass buckets whose digests differ */
	uint64_t sampled[2];	    /* --sample: records of each side compared */
	unsigned passes;	    /* streaming passes over each side */
	struct gm_verify_row *rows; /* in order of first appearance */
	size_t nrows;
	struct gm_diff *diffs; /* the first max_diffs differences */
	size_t ndiffs;
	double seconds;
	int digested[2]; /* 1 when the side's digest pass ran in its backend (not streamed) */
};

/**
 * Compares the graphs at from_uri and to_uri exactly, in memory that does not
 * grow with their size (see docs/verify.md for the method and the equality
 * rules). Returns 0 when the comparison ran (rep->equal says the outcome), < 0
 * when a side could not be read. Free rep with gm_verify_report_free.
 */
int gm_verify(const char *from_uri, const char *to_uri, const struct gm_verify_opts *o,
	      struct gm_verify_report *rep);
void gm_verify_report_free(struct gm_verify_report *rep);

/** Set by a signal handler: running copies stop with GM_EINTR at the next record. */
extern volatile int gm_interrupted;

#ifdef __cplusplus
}
#endif
#endif
