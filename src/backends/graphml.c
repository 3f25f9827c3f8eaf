/* SPDX-License-Identifier: MIT */
/*
 * The "graphml" backend: reads GraphML as APOC, NetworkX, igraph, Gephi and
 * Memgraph write it, and writes APOC-compatible GraphML that gmig reads back
 * without loss.
 *
 * On-disk layout written (one element per line):
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi=... xsi:schemaLocation=...>
 *   <key id="labels" for="node" attr.name="labels" attr.type="string" gmig.type="Labels"/>
 *   <key id="label" for="edge" attr.name="label" attr.type="string" gmig.type="Type"/>
 *   <key id="d0" for="node" attr.name="age" attr.type="long"/>
 *   <key id="d1" for="node" attr.name="born" attr.type="string" gmig.type="Date"/>
 *   <key id="d2" for="node" attr.name="xs" attr.type="string" attr.list="long"/>
 *   <graph id="G" edgedefault="directed">
 *   <node id="KEY" labels=":A:B"><data key="labels">:A:B</data><data key="d0">42</data></node>
 *   <edge id="KEY" source="FROM" target="TO" label="T"><data key="label">T</data></edge>
 *   </graph>
 *   </graphml>
 *
 * Key ids are "d<N>" in order of first use; there is one key per (node|edge,
 * property name, value kind), so a property with different types on different
 * records gets several keys with the same attr.name. Value kinds:
 *   Boolean "true"/"false" (boolean), Integer (long), Float (double; canonical
 *   text, "NaN", "Infinity", "-Infinity", "-0.0"), String (string),
 *   a list of only Booleans, only Integers within +-2^53, only finite Floats
 *   other than -0.0, or only Strings (attr.type="string" attr.list=<element
 *   type>, JSON text "[1,2,3]"; an empty list is attr.list="string").
 * Every other value is attr.type="string" plus the extension attribute
 * gmig.type on its <key> (an ordinary, unprefixed XML attribute name, like
 * yEd's yfiles.type; other readers ignore it and see a string):
 *   gmig.type="Null"                          empty text
 *   "Date" "LocalTime" "Time" "LocalDateTime" "DateTime" "Duration" "Point"
 *   "Base64"                                  valtext.h's canonical text
 *   "Map" "List" "Vector"                     gmig typed JSON (typedjson.h)
 *   "String"                                  a string holding characters XML 1.0
 *                                             cannot carry (U+0000-U+0008, U+000B,
 *                                             U+000C, U+000E-U+001F, U+FFFE, U+FFFF):
 *                                             its JSON string literal, "\u0001"
 * In JSON texts U+FFFE and U+FFFF are written as \ufffe and \uffff.
 * gmig.type="Labels" and "Type" mark the label and type keys; a file that has
 * any gmig.type is read in gmig mode, where only those keys carry labels and
 * types (so a property called "labels" stays a property).
 * Labels are ":A:B" as APOC writes them; when a label contains ':' or is
 * empty the node also gets gmig.labels='["A:x","B"]' (JSON), which gmig's
 * reader prefers. Node keys, labels, types and property names that contain
 * characters XML cannot carry are refused with GM_EUNSUPPORTED. \t \n \r are
 * written as character references, so they survive XML normalisation.
 * A relationship without a key has no id attribute.
 *
 * Reading: streaming with expat, one record per read_next. Keys (attr.type
 * boolean, int, long, integer, float, double, string; attr.list; <default>)
 * type the values; an undeclared <data key="k"> is a string property named k
 * (APOC writes such files). Node labels come from gmig.labels, else the
 * labels=":A:B" attribute, else a key named labels/labelV/TYPE; a relationship's
 * type from its label="T" attribute, else a key named label/labelE/TYPE, else
 * "RELATED" (the open parameter default_type=X changes it). Booleans accept
 * true/false/1/0 in any case, floats also Python's inf/nan. Relationships are
 * returned after all nodes: each edge is spilled to an unlinked temporary file
 * as it closes and the spill is replayed at the end of the document, so any
 * order of nodes and edges works in bounded memory. Nested graphs and
 * hyperedges are reported (GM_EDATA) and skipped; edgedefault and directed=
 * are ignored (relationships go source -> target).
 */
#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "graphml.h"
#include "io.h"
#include "json.h"
#include "typedjson.h"
#include "valtext.h"

#define GRAPHML_NS "http://graphml.graphdrawing.org/xmlns"
#define NS_SEP '\x01'
#define CHUNK (64 * 1024)
#define DEFAULT_TYPE "RELATED"

/* ---- value kinds (one per key) ---- */

enum sig {
	SIG_STRING = 0,
	SIG_BOOL,
	SIG_INT,
	SIG_FLOAT,
	SIG_LBOOL,
	SIG_LINT,
	SIG_LFLOAT,
	SIG_LSTRING,
	SIG_G_NULL,
	SIG_G_BYTES,
	SIG_G_DATE,
	SIG_G_LOCALTIME,
	SIG_G_TIME,
	SIG_G_LOCALDATETIME,
	SIG_G_DATETIME,
	SIG_G_DURATION,
	SIG_G_POINT,
	SIG_G_MAP,
	SIG_G_LIST,
	SIG_G_STRING,
	SIG_G_VECTOR,
	SIG_G_LABELS,
	SIG_G_TYPE,
	SIG__COUNT
};

static const struct sig_info {
	const char *atype; /* attr.type */
	const char *alist; /* attr.list or NULL */
	const char *gtype; /* gmig.type or NULL */
	enum gm_type t;	   /* the value type it reads back as */
} sigs[SIG__COUNT] = {
	[SIG_STRING] = {"string", NULL, NULL, GM_T_STRING},
	[SIG_BOOL] = {"boolean", NULL, NULL, GM_T_BOOL},
	[SIG_INT] = {"long", NULL, NULL, GM_T_INT},
	[SIG_FLOAT] = {"double", NULL, NULL, GM_T_FLOAT},
	[SIG_LBOOL] = {"string", "boolean", NULL, GM_T_LIST},
	[SIG_LINT] = {"string", "long", NULL, GM_T_LIST},
	[SIG_LFLOAT] = {"string", "double", NULL, GM_T_LIST},
	[SIG_LSTRING] = {"string", "string", NULL, GM_T_LIST},
	[SIG_G_NULL] = {"string", NULL, "Null", GM_T_NULL},
	[SIG_G_BYTES] = {"string", NULL, "Base64", GM_T_BYTES},
	[SIG_G_DATE] = {"string", NULL, "Date", GM_T_DATE},
	[SIG_G_LOCALTIME] = {"string", NULL, "LocalTime", GM_T_LOCALTIME},
	[SIG_G_TIME] = {"string", NULL, "Time", GM_T_TIME},
	[SIG_G_LOCALDATETIME] = {"string", NULL, "LocalDateTime", GM_T_LOCALDATETIME},
	[SIG_G_DATETIME] = {"string", NULL, "DateTime", GM_T_DATETIME},
	[SIG_G_DURATION] = {"string", NULL, "Duration", GM_T_DURATION},
	[SIG_G_POINT] = {"string", NULL, "Point", GM_T_POINT},
	[SIG_G_MAP] = {"string", NULL, "Map", GM_T_MAP},
	[SIG_G_LIST] = {"string", NULL, "List", GM_T_LIST},
	[SIG_G_STRING] = {"string", NULL, "String", GM_T_STRING},
	[SIG_G_VECTOR] = {"string", NULL, "Vector", GM_T_VECTOR},
	[SIG_G_LABELS] = {"string", NULL, "Labels", GM_T_STRING},
	[SIG_G_TYPE] = {"string", NULL, "Type", GM_T_STRING},
};

enum role { ROLE_NONE = 0, ROLE_LABELS, ROLE_TYPE, ROLE_SKIP };

#define FOR_NODE 1u
#define FOR_EDGE 2u

struct key {
	char *id;   /* reader: the key id; writer: "d<N>" */
	char *name; /* attr.name */
	size_t namelen;
	char *hkey; /* what the hash table compares: reader id, writer for+sig+name */
	size_t hlen;
	unsigned forb;
	enum sig sig;
	int gmig;  /* declared with gmig.type */
	int hrole; /* role guessed from the name (non-gmig files) */
	int grole; /* role from gmig.type */
	char *def; /* <default> text, NULL when none */
	size_t deflen;
};

/* ---- a small open-addressing table: hkey -> index into keys ---- */

struct keys {
	struct key *v;
	size_t n, cap;
	uint32_t *slot; /* index + 1, 0 = empty */
	size_t nslot;
};

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static long keys_find(const struct keys *ks, const char *p, size_t n)
{
	if (!ks->nslot)
		return -1;
	for (size_t i = hash(p, n) & (ks->nslot - 1);; i = (i + 1) & (ks->nslot - 1)) {
		uint32_t s = ks->slot[i];

		if (!s)
			return -1;
		if (ks->v[s - 1].hlen == n && !memcmp(ks->v[s - 1].hkey, p, n))
			return (long)(s - 1);
	}
}

static int keys_rehash(struct keys *ks, size_t nslot)
{
	uint32_t *slot = gm_calloc(nslot, sizeof(*slot));

	if (!slot)
		return GM_ENOMEM;
	gm_free(ks->slot);
	ks->slot = slot;
	ks->nslot = nslot;
	for (size_t k = 0; k < ks->n; k++) {
		size_t i = hash(ks->v[k].hkey, ks->v[k].hlen) & (nslot - 1);

		while (slot[i])
			i = (i + 1) & (nslot - 1);
		slot[i] = (uint32_t)(k + 1);
	}
	return 0;
}

static void key_free(struct key *k)
{
	gm_free(k->id);
	gm_free(k->name);
	gm_free(k->hkey);
	gm_free(k->def);
}

/* Takes ownership of k's strings (frees them on failure). Returns the index or < 0. */
static long keys_add(struct keys *ks, struct key *k)
{
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 16;
		struct key *v = gm_realloc(ks->v, cap * sizeof(*v));

		if (!v) {
			key_free(k);
			return GM_ENOMEM;
		}
		ks->v = v;
		ks->cap = cap;
	}
	ks->v[ks->n++] = *k;
	if ((ks->n + 1) * 2 > ks->nslot) {
		if (keys_rehash(ks, ks->nslot ? ks->nslot * 2 : 32) < 0) {
			key_free(&ks->v[--ks->n]);
			return GM_ENOMEM;
		}
	} else {
		size_t i = hash(k->hkey, k->hlen) & (ks->nslot - 1);

		while (ks->slot[i])
			i = (i + 1) & (ks->nslot - 1);
		ks->slot[i] = (uint32_t)ks->n;
	}
	return (long)(ks->n - 1);
}

/* Drops keys added after the first n (a failed write batch). */
static void keys_truncate(struct keys *ks, size_t n)
{
	if (n >= ks->n)
		return;
	while (ks->n > n)
		key_free(&ks->v[--ks->n]);
	memset(ks->slot, 0, ks->nslot * sizeof(*ks->slot));
	for (size_t k = 0; k < ks->n; k++) {
		size_t i = hash(ks->v[k].hkey, ks->v[k].hlen) & (ks->nslot - 1);

		while (ks->slot[i])
			i = (i + 1) & (ks->nslot - 1);
		ks->slot[i] = (uint32_t)(k + 1);
	}
}

static void keys_free(struct keys *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		key_free(&ks->v[i]);
	gm_free(ks->v);
	gm_free(ks->slot);
	memset(ks, 0, sizeof(*ks));
}

static char *dupn(const char *p, size_t n)
{
	char *s = gm_malloc(n + 1);

	if (s) {
		if (n)
			memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* An unlinked temporary file in $TMPDIR (or /tmp). */
static FILE *temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;
	FILE *f;

	if (!dir || !*dir)
		dir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/gmig-graphml-XXXXXX", dir) >= (int)sizeof(path))
		return NULL;
	if ((fd = mkstemp(path)) < 0)
		return NULL;
	unlink(path);
	if (!(f = fdopen(fd, "w+b")))
		close(fd);
	return f;
}

/* ======================================================================
 * Reading
 * ====================================================================== */

/* attributes of <node>/<edge> kept in a raw record */
enum { A_ID, A_SOURCE, A_TARGET, A_LABEL, A_LABELS, A_GMIG_LABELS, A__COUNT };

struct span {
	uint64_t off, len;
	int present;
};

struct item {
	uint64_t off, len;
	uint32_t key;
};

/* A <node> or <edge> as written, before typing: all text in one buffer. */
struct raw {
	int kind; /* GM_NODE / GM_REL */
	uint64_t line, col, offset;
	struct span attr[A__COUNT];
	struct gm_buf text;
	struct item *items;
	size_t nitems, cap;
};

/* the fixed part of a spilled raw record */
struct spill_hdr {
	uint64_t line, col, offset, textlen, nitems;
	struct span attr[A__COUNT];
	int kind;
};

/* The common head of a reader and a writer. */
struct head {
	struct gm_backend base;
	int writer;
};

struct reader {
	struct gm_backend base;
	int writer; /* 0 */
	struct gm_in *in;
	const char *name;
	XML_Parser xp;
	struct keys keys;
	int gmig_mode;
	char *default_type;

	/* parse state */
	unsigned depth, skip; /* skip: depth of the element whose subtree is ignored */
	int root_seen;
	long cur_key; /* <key> being read, -1 when none */
	int in_default;
	struct gm_buf deftext;
	unsigned graph_depth; /* depth of the open <graph>, 0 when none */
	int in_elem;	      /* GM_NODE / GM_REL while inside one */
	int in_data;	      /* collecting a <data>'s text into raw.text */
	struct raw raw;

	/* results of the last parse step */
	int node_ready;
	int err_code;
	char err_msg[768];
	uint64_t err_line, err_offset;
	int fatal;

	int suspended, final_fed, doc_done;

	FILE *spill;
	uint64_t nspilled;
	int replaying;
};

static void local_name(const XML_Char *name, const char **local, int *foreign)
{
	const char *sep = strchr(name, NS_SEP);

	if (!sep) {
		*local = name;
		*foreign = 0;
		return;
	}
	*local = sep + 1;
	*foreign = !((size_t)(sep - name) == strlen(GRAPHML_NS) &&
		     !memcmp(name, GRAPHML_NS, strlen(GRAPHML_NS)));
}

static const char *attr_get(const XML_Char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (!strcmp(atts[i], name))
			return atts[i + 1];
	return NULL;
}

static uint64_t cur_line(const struct reader *r)
{
	return (uint64_t)XML_GetCurrentLineNumber(r->xp);
}

static uint64_t cur_col(const struct reader *r)
{
	return (uint64_t)XML_GetCurrentColumnNumber(r->xp) + 1;
}

static void set_fatal(struct reader *r, int code)
{
	if (!r->fatal)
		r->fatal = code;
	XML_StopParser(r->xp, XML_FALSE);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
data_error(struct reader *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (!r->err_code) {
		va_start(ap, fmt);
		vsnprintf(r->err_msg, sizeof(r->err_msg), fmt, ap);
		va_end(ap);
		r->err_code = code;
		r->err_line = cur_line(r);
		r->err_offset = (uint64_t)XML_GetCurrentByteIndex(r->xp);
	}
	XML_StopParser(r->xp, XML_TRUE);
}

static int type_name_sig(const char *t, int list, enum sig *out)
{
	static const struct {
		const char *name;
		enum sig s, l;
	} names[] = {
		{"boolean", SIG_BOOL, SIG_LBOOL},    {"int", SIG_INT, SIG_LINT},
		{"long", SIG_INT, SIG_LINT},	     {"integer", SIG_INT, SIG_LINT},
		{"float", SIG_FLOAT, SIG_LFLOAT},    {"double", SIG_FLOAT, SIG_LFLOAT},
		{"string", SIG_STRING, SIG_LSTRING},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(t, names[i].name)) {
			*out = list ? names[i].l : names[i].s;
			return 0;
		}
	return -1;
}

static int guess_role(const char *name, unsigned forb)
{
	if ((forb & FOR_NODE) &&
	    (!strcmp(name, "labels") || !strcmp(name, "labelV") || !strcmp(name, "TYPE")))
		return ROLE_LABELS;
	if ((forb & FOR_EDGE) &&
	    (!strcmp(name, "label") || !strcmp(name, "labelE") || !strcmp(name, "TYPE")))
		return ROLE_TYPE;
	return ROLE_NONE;
}

static int key_role(const struct reader *r, const struct key *k, int kind)
{
	int role = k->gmig || r->gmig_mode ? k->grole : k->hrole;

	if (role == ROLE_LABELS && kind != GM_NODE)
		return ROLE_NONE;
	if (role == ROLE_TYPE && kind != GM_REL)
		return ROLE_NONE;
	return role;
}

static void start_key(struct reader *r, const XML_Char **atts)
{
	const char *id = attr_get(atts, "id");
	const char *forv = attr_get(atts, "for");
	const char *name = attr_get(atts, "attr.name");
	const char *atype = attr_get(atts, "attr.type");
	const char *alist = attr_get(atts, "attr.list");
	const char *gtype = attr_get(atts, "gmig.type");
	struct key k = {0};
	long at;

	r->cur_key = -1;
	if (!id) {
		data_error(r, GM_EDATA,
			   "invalid key in '%s' (line %llu, column %llu): missing \"id\"", r->name,
			   (unsigned long long)cur_line(r), (unsigned long long)cur_col(r));
		return;
	}
	if (!name)
		name = id;
	if (!forv || !strcmp(forv, "all"))
		k.forb = FOR_NODE | FOR_EDGE;
	else if (!strcmp(forv, "node"))
		k.forb = FOR_NODE;
	else if (!strcmp(forv, "edge"))
		k.forb = FOR_EDGE;
	else
		k.forb = 0; /* graph, graphml, port, hyperedge...: never a property */
	k.sig = SIG_STRING;
	if (gtype) {
		int found = 0;

		k.gmig = 1;
		for (int s = SIG_G_NULL; s < SIG__COUNT; s++)
			if (!strcmp(gtype, sigs[s].gtype)) {
				k.sig = (enum sig)s;
				found = 1;
			}
		if (!found)
			data_error(r, GM_EDATA,
				   "invalid key '%s' in '%s' (line %llu, column %llu): unknown "
				   "gmig.type '%s', read as string",
				   id, r->name, (unsigned long long)cur_line(r),
				   (unsigned long long)cur_col(r), gtype);
		k.grole = k.sig == SIG_G_LABELS ? ROLE_LABELS
			  : k.sig == SIG_G_TYPE ? ROLE_TYPE
						: ROLE_NONE;
	} else if (attr_get(atts, "yfiles.type")) {
		k.hrole = k.grole = ROLE_SKIP;
	} else {
		if (alist && type_name_sig(alist, 1, &k.sig) < 0)
			data_error(r, GM_EDATA,
				   "invalid key '%s' in '%s' (line %llu, column %llu): unknown "
				   "attr.list '%s', read as string",
				   id, r->name, (unsigned long long)cur_line(r),
				   (unsigned long long)cur_col(r), alist);
		else if (!alist && atype && type_name_sig(atype, 0, &k.sig) < 0)
			data_error(r, GM_EDATA,
				   "invalid key '%s' in '%s' (line %llu, column %llu): unknown "
				   "attr.type '%s', read as string",
				   id, r->name, (unsigned long long)cur_line(r),
				   (unsigned long long)cur_col(r), atype);
		k.hrole = guess_role(name, k.forb);
	}
	if (!k.forb)
		k.hrole = k.grole = ROLE_SKIP;
	if ((at = keys_find(&r->keys, id, strlen(id))) >= 0) {
		data_error(r, GM_EDATA,
			   "invalid key in '%s' (line %llu, column %llu): key '%s' declared twice; "
			   "the first declaration is used",
			   r->name, (unsigned long long)cur_line(r), (unsigned long long)cur_col(r),
			   id);
		r->skip = r->depth;
		return;
	}
	k.id = dupn(id, strlen(id));
	k.hkey = dupn(id, strlen(id));
	k.hlen = strlen(id);
	k.name = dupn(name, strlen(name));
	k.namelen = strlen(name);
	if (!k.id || !k.hkey || !k.name) {
		key_free(&k);
		set_fatal(r, GM_ENOMEM);
		return;
	}
	if ((at = keys_add(&r->keys, &k)) < 0) {
		set_fatal(r, (int)at);
		return;
	}
	r->cur_key = at;
}

/* The key for <data key="id">; an undeclared id becomes a string key of that name. */
static long data_key(struct reader *r, const char *id)
{
	long at = keys_find(&r->keys, id, strlen(id));
	struct key k = {0};

	if (at >= 0)
		return at;
	k.forb = FOR_NODE | FOR_EDGE;
	k.sig = SIG_STRING;
	k.hrole = guess_role(id, k.forb);
	k.id = dupn(id, strlen(id));
	k.hkey = dupn(id, strlen(id));
	k.hlen = strlen(id);
	k.name = dupn(id, strlen(id));
	k.namelen = strlen(id);
	if (!k.id || !k.hkey || !k.name) {
		key_free(&k);
		return GM_ENOMEM;
	}
	return keys_add(&r->keys, &k);
}

static void raw_reset(struct raw *w, int kind)
{
	w->kind = kind;
	memset(w->attr, 0, sizeof(w->attr));
	gm_buf_clear(&w->text);
	w->nitems = 0;
}

static int raw_put_attr(struct raw *w, int slot, const char *v)
{
	size_t n;

	if (!v)
		return 0;
	n = strlen(v);
	w->attr[slot].off = w->text.len;
	w->attr[slot].len = n;
	w->attr[slot].present = 1;
	return gm_buf_put(&w->text, v, n);
}

static void start_elem(struct reader *r, int kind, const XML_Char **atts)
{
	struct raw *w = &r->raw;
	int e = 0;

	raw_reset(w, kind);
	w->line = cur_line(r);
	w->col = cur_col(r);
	w->offset = (uint64_t)XML_GetCurrentByteIndex(r->xp);
	e |= raw_put_attr(w, A_ID, attr_get(atts, "id"));
	if (kind == GM_NODE) {
		e |= raw_put_attr(w, A_LABELS, attr_get(atts, "labels"));
		e |= raw_put_attr(w, A_GMIG_LABELS, attr_get(atts, "gmig.labels"));
	} else {
		e |= raw_put_attr(w, A_SOURCE, attr_get(atts, "source"));
		e |= raw_put_attr(w, A_TARGET, attr_get(atts, "target"));
		e |= raw_put_attr(w, A_LABEL, attr_get(atts, "label"));
	}
	if (e)
		set_fatal(r, GM_ENOMEM);
	r->in_elem = kind;
}

static void start_data(struct reader *r, const XML_Char **atts)
{
	struct raw *w = &r->raw;
	const char *id = attr_get(atts, "key");
	long at;

	if (!id) {
		data_error(
			r, GM_EDATA,
			"invalid data in '%s' (line %llu, column %llu): missing \"key\"; skipped",
			r->name, (unsigned long long)cur_line(r), (unsigned long long)cur_col(r));
		r->skip = r->depth;
		return;
	}
	if ((at = data_key(r, id)) < 0) {
		set_fatal(r, (int)at);
		return;
	}
	if (r->keys.v[at].hrole == ROLE_SKIP && r->keys.v[at].grole == ROLE_SKIP) {
		r->skip = r->depth;
		return;
	}
	if (w->nitems == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct item *v = gm_realloc(w->items, cap * sizeof(*v));

		if (!v) {
			set_fatal(r, GM_ENOMEM);
			return;
		}
		w->items = v;
		w->cap = cap;
	}
	w->items[w->nitems].key = (uint32_t)at;
	w->items[w->nitems].off = w->text.len;
	w->items[w->nitems].len = 0;
	w->nitems++;
	r->in_data = 1;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct reader *r = ud;
	const char *local;
	int foreign;

	r->depth++;
	if (r->skip || r->fatal)
		return;
	local_name(name, &local, &foreign);
	if (!r->root_seen) {
		r->root_seen = 1;
		if (foreign || strcmp(local, "graphml")) {
			gm_error_set(GM_ECORRUPT,
				     "invalid GraphML in '%s' (line %llu, column %llu): the root "
				     "element is <%s>, not <graphml>",
				     r->name, (unsigned long long)cur_line(r),
				     (unsigned long long)cur_col(r), local);
			set_fatal(r, GM_ECORRUPT);
		}
		return;
	}
	if (foreign || r->in_data || r->in_default) {
		r->skip = r->depth;
		return;
	}
	if (r->cur_key >= 0) {
		if (!strcmp(local, "default")) {
			r->in_default = 1;
			gm_buf_clear(&r->deftext);
		} else {
			r->skip = r->depth;
		}
		return;
	}
	if (!strcmp(local, "key") && !r->graph_depth) {
		start_key(r, atts);
	} else if (!strcmp(local, "graph")) {
		if (r->in_elem) {
			data_error(
				r, GM_EDATA,
				"invalid node in '%s' (line %llu, column %llu): nested graphs are "
				"not supported; the nested graph is skipped",
				r->name, (unsigned long long)cur_line(r),
				(unsigned long long)cur_col(r));
			r->skip = r->depth;
			return;
		}
		if (r->graph_depth) {
			r->skip = r->depth;
			return;
		}
		r->graph_depth = r->depth;
		for (size_t i = 0; i < r->keys.n; i++)
			if (r->keys.v[i].gmig)
				r->gmig_mode = 1;
	} else if (r->graph_depth && !r->in_elem && !strcmp(local, "node")) {
		start_elem(r, GM_NODE, atts);
	} else if (r->graph_depth && !r->in_elem && !strcmp(local, "edge")) {
		start_elem(r, GM_REL, atts);
	} else if (r->in_elem && !strcmp(local, "data")) {
		start_data(r, atts);
	} else if (!strcmp(local, "hyperedge")) {
		data_error(r, GM_EDATA,
			   "invalid hyperedge in '%s' (line %llu, column %llu): hyperedges are not "
			   "supported; skipped",
			   r->name, (unsigned long long)cur_line(r),
			   (unsigned long long)cur_col(r));
		r->skip = r->depth;
	} else {
		/* <desc>, <port>, <data> of the graph, <locator>, unknown elements */
		r->skip = r->depth;
	}
}

static int spill_raw(struct reader *r)
{
	struct raw *w = &r->raw;
	struct spill_hdr h;

	if (!r->spill && !(r->spill = temp_file()))
		return gm_error_set(GM_EIO, "cannot create a temporary file for '%s': %s", r->name,
				    strerror(errno));
	memset(&h, 0, sizeof(h));
	h.line = w->line;
	h.col = w->col;
	h.offset = w->offset;
	h.textlen = w->text.len;
	h.nitems = w->nitems;
	h.kind = w->kind;
	memcpy(h.attr, w->attr, sizeof(h.attr));
	if (fwrite(&h, sizeof(h), 1, r->spill) != 1 ||
	    (w->text.len && fwrite(w->text.p, w->text.len, 1, r->spill) != 1) ||
	    (w->nitems && fwrite(w->items, sizeof(*w->items), w->nitems, r->spill) != w->nitems))
		return gm_error_set(GM_EIO, "cannot write a temporary file for '%s': %s", r->name,
				    strerror(errno));
	r->nspilled++;
	return 0;
}

static int unspill_raw(struct reader *r)
{
	struct raw *w = &r->raw;
	struct spill_hdr h;

	if (fread(&h, sizeof(h), 1, r->spill) != 1)
		return feof(r->spill)
			       ? GM_ITEROVER
			       : gm_error_set(GM_EIO, "cannot read a temporary file for '%s'",
					      r->name);
	raw_reset(w, h.kind);
	w->line = h.line;
	w->col = h.col;
	w->offset = h.offset;
	memcpy(w->attr, h.attr, sizeof(h.attr));
	if (gm_buf_grow(&w->text, h.textlen) < 0)
		return GM_ENOMEM;
	if (h.nitems > w->cap) {
		struct item *v = gm_realloc(w->items, h.nitems * sizeof(*v));

		if (!v)
			return GM_ENOMEM;
		w->items = v;
		w->cap = h.nitems;
	}
	if ((h.textlen && fread(w->text.p, h.textlen, 1, r->spill) != 1) ||
	    (h.nitems && fread(w->items, sizeof(*w->items), h.nitems, r->spill) != h.nitems))
		return gm_error_set(GM_EIO, "cannot read a temporary file for '%s'", r->name);
	w->text.len = h.textlen;
	w->text.p[w->text.len] = '\0';
	w->nitems = h.nitems;
	return 0;
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct reader *r = ud;
	const char *local;
	int foreign;

	(void)foreign;
	if (r->skip) {
		if (r->depth == r->skip)
			r->skip = 0;
		r->depth--;
		return;
	}
	r->depth--;
	if (r->fatal)
		return;
	local_name(name, &local, &foreign);
	if (r->in_default) {
		struct key *k = &r->keys.v[r->cur_key];

		r->in_default = 0;
		gm_free(k->def);
		if (!(k->def = dupn(r->deftext.p ? r->deftext.p : "", r->deftext.len))) {
			set_fatal(r, GM_ENOMEM);
			return;
		}
		k->deflen = r->deftext.len;
	} else if (r->cur_key >= 0) {
		r->cur_key = -1; /* </key> */
	} else if (r->in_data) {
		struct item *it = &r->raw.items[r->raw.nitems - 1];

		it->len = r->raw.text.len - it->off;
		r->in_data = 0;
	} else if (r->in_elem) {
		r->in_elem = 0;
		if (r->raw.kind == GM_NODE) {
			r->node_ready = 1;
			XML_StopParser(r->xp, XML_TRUE);
		} else {
			int e = spill_raw(r);

			if (e < 0)
				set_fatal(r, e);
		}
	} else if (r->graph_depth && r->depth + 1 == r->graph_depth) {
		r->graph_depth = 0;
	}
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct reader *r = ud;
	struct gm_buf *b;

	if (r->skip || r->fatal)
		return;
	if (r->in_data)
		b = &r->raw.text;
	else if (r->in_default)
		b = &r->deftext;
	else
		return;
	if (gm_buf_put(b, s, (size_t)len) < 0)
		set_fatal(r, GM_ENOMEM);
}

/* Entity declarations could expand without bound: GraphML never needs them. */
static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
			      int value_len, const XML_Char *base, const XML_Char *system_id,
			      const XML_Char *public_id, const XML_Char *notation)
{
	struct reader *r = ud;

	(void)is_param, (void)value, (void)value_len, (void)base, (void)system_id;
	(void)public_id, (void)notation;
	gm_error_set(GM_ECORRUPT,
		     "invalid GraphML in '%s' (line %llu, column %llu): entity declarations are "
		     "not supported ('%s')",
		     r->name, (unsigned long long)cur_line(r), (unsigned long long)cur_col(r),
		     name);
	set_fatal(r, GM_ECORRUPT);
}

/* ---- typing ---- */

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **p, size_t *n)
{
	while (*n && is_ws((*p)[0]))
		(*p)++, (*n)--;
	while (*n && is_ws((*p)[*n - 1]))
		(*n)--;
}

static int ieq(const char *p, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return 0;
	}
	return i == n && !lit[i];
}

static int parse_bool(const char *p, size_t n, struct gm_value *out)
{
	trim(&p, &n);
	out->type = GM_T_BOOL;
	if (ieq(p, n, "true") || (n == 1 && p[0] == '1'))
		out->u.b = 1;
	else if (ieq(p, n, "false") || (n == 1 && p[0] == '0'))
		out->u.b = 0;
	else
		return gm_error_set(GM_EDATA, "'%.*s' is not a boolean", (int)(n > 64 ? 64 : n), p);
	return 0;
}

static int parse_float(const char *p, size_t n, struct gm_value *out)
{
	const char *q = p;

	trim(&p, &n);
	out->type = GM_T_FLOAT;
	q = p;
	if (n && (q[0] == '+' || q[0] == '-'))
		q++;
	/* Python writes inf / nan */
	if (ieq(q, n - (size_t)(q - p), "inf") || ieq(q, n - (size_t)(q - p), "infinity")) {
		out->u.f = p[0] == '-' ? -HUGE_VAL : HUGE_VAL;
		return 0;
	}
	if (ieq(q, n - (size_t)(q - p), "nan") && q == p) {
		out->u.f = NAN;
		return 0;
	}
	return gm_parse_double(p, n, &out->u.f);
}

static int parse_json(const char *p, size_t n, struct gm_arena *a, unsigned flags,
		      struct gm_value *out)
{
	struct gm_in *in = NULL;
	struct gm_json_reader *jr = NULL;
	uint64_t line, off;
	int e;

	if ((e = gm_in_open_mem(&in, p, n, "value")) < 0 ||
	    (e = gm_json_reader_new(&jr, in, 0)) < 0 ||
	    (e = gm_tjson_read(jr, NULL, a, out, flags)) < 0)
		goto done;
	/* only white space may follow the value */
	gm_json_position(jr, &line, &off);
	for (; off < n; off++)
		if (!is_ws(p[off])) {
			e = gm_error_set(GM_EDATA, "trailing text after the JSON value");
			break;
		}
done:
	gm_json_reader_free(jr);
	gm_in_free(in);
	return e;
}

/* An attr.list value: JSON array whose elements are coerced to the element type. */
static int parse_list(enum sig s, const char *p, size_t n, struct gm_arena *a, struct gm_value *out)
{
	int e;

	trim(&p, &n);
	if ((e = parse_json(p, n, a, GM_TJ_PLAIN, out)) < 0)
		return e;
	if (out->type != GM_T_LIST)
		return gm_error_set(GM_EDATA, "not a JSON array");
	for (size_t i = 0; i < out->u.list.n; i++) {
		struct gm_value *v = &out->u.list.v[i];

		if (s == SIG_LFLOAT && v->type == GM_T_INT) {
			v->type = GM_T_FLOAT;
			v->u.f = (double)v->u.i;
		}
		if (v->type != sigs[s].t && v->type != (s == SIG_LBOOL	  ? GM_T_BOOL
							: s == SIG_LINT	  ? GM_T_INT
							: s == SIG_LFLOAT ? GM_T_FLOAT
									  : GM_T_STRING))
			return gm_error_set(GM_EDATA, "element %zu is a %s, not a %s", i,
					    gm_type_name(v->type), sigs[s].alist);
	}
	return 0;
}

static int parse_value(enum sig s, const char *p, size_t n, struct gm_arena *a,
		       struct gm_value *out)
{
	const char *q;
	size_t m;
	int e;

	memset(out, 0, sizeof(*out));
	switch (s) {
	case SIG_STRING:
	case SIG_G_LABELS:
	case SIG_G_TYPE:
		out->type = GM_T_STRING;
		if (!(out->u.s.p = gm_arena_strdup(a, p, n)))
			return GM_ENOMEM;
		out->u.s.len = n;
		return 0;
	case SIG_BOOL: return parse_bool(p, n, out);
	case SIG_INT:
		q = p, m = n;
		trim(&q, &m);
		out->type = GM_T_INT;
		return gm_parse_int64(q, m, &out->u.i);
	case SIG_FLOAT: return parse_float(p, n, out);
	case SIG_LBOOL:
	case SIG_LINT:
	case SIG_LFLOAT:
	case SIG_LSTRING: return parse_list(s, p, n, a, out);
	case SIG_G_NULL:
		out->type = GM_T_NULL;
		if (n)
			return gm_error_set(GM_EDATA, "a Null value must be empty");
		return 0;
	case SIG_G_MAP:
	case SIG_G_LIST:
	case SIG_G_STRING:
	case SIG_G_VECTOR:
		if ((e = parse_json(p, n, a, 0, out)) < 0)
			return e;
		if (out->type != sigs[s].t)
			return gm_error_set(GM_EDATA, "a %s where a %s was declared",
					    gm_type_name(out->type), gm_type_name(sigs[s].t));
		return 0;
	default: return gm_value_parse_text(sigs[s].t, p, n, a, out);
	}
}

static int arena_str(struct gm_arena *a, const char *p, size_t n, struct gm_str *out)
{
	char *s = gm_arena_strdup(a, p, n);

	if (!s)
		return GM_ENOMEM;
	out->p = s;
	out->len = n;
	return 0;
}

/* ":A:B" (APOC, Gephi) or "A:B" (TinkerPop) */
static int split_labels(const char *p, size_t n, struct gm_arena *a, struct gm_record *rec)
{
	size_t count = 0, k = 0;

	for (size_t i = 0; i <= n; i++)
		if ((i == n || p[i] == ':') && i > 0 && p[i - 1] != ':')
			count++;
	if (!count)
		return 0;
	if (!(rec->labels = gm_arena_alloc(a, count * sizeof(*rec->labels))))
		return GM_ENOMEM;
	for (size_t i = 0, start = 0; i <= n; i++) {
		if (i < n && p[i] != ':')
			continue;
		if (i > start && arena_str(a, p + start, i - start, &rec->labels[k++]) < 0)
			return GM_ENOMEM;
		start = i + 1;
	}
	rec->nlabels = k;
	return 0;
}

static int json_labels(const char *p, size_t n, struct gm_arena *a, struct gm_record *rec)
{
	struct gm_value v;
	int e;

	if ((e = parse_json(p, n, a, GM_TJ_PLAIN, &v)) < 0)
		return e;
	if (v.type != GM_T_LIST)
		return gm_error_set(GM_EDATA, "gmig.labels is not a JSON array");
	if (v.u.list.n && !(rec->labels = gm_arena_alloc(a, v.u.list.n * sizeof(*rec->labels))))
		return GM_ENOMEM;
	for (size_t i = 0; i < v.u.list.n; i++) {
		if (v.u.list.v[i].type != GM_T_STRING)
			return gm_error_set(GM_EDATA, "gmig.labels holds a %s",
					    gm_type_name(v.u.list.v[i].type));
		rec->labels[i] = v.u.list.v[i].u.s;
	}
	rec->nlabels = v.u.list.n;
	return 0;
}

/* Builds rec from r->raw. Errors are GM_EDATA with the element's position, or GM_ENOMEM. */
static int build(struct reader *r, struct gm_record *rec, struct gm_arena *a)
{
	struct raw *w = &r->raw;
	const char *t = w->text.p ? w->text.p : "";
	const char *what = w->kind == GM_NODE ? "node" : "relationship";
	char inner[512];
	size_t nprops = 0, ndef = 0;
	const struct span *sp;
	const char *typetext = NULL;
	size_t typelen = 0;
	int e = 0;

	memset(rec, 0, sizeof(*rec));
	rec->kind = w->kind;
	rec->line = w->line;
	rec->offset = w->offset;
	inner[0] = '\0';
	sp = &w->attr[A_ID];
	if (sp->present) {
		if (arena_str(a, t + sp->off, sp->len, &rec->key) < 0)
			return GM_ENOMEM;
	} else if (w->kind == GM_NODE) {
		snprintf(inner, sizeof(inner), "missing \"id\"");
		goto bad;
	}
	if (w->kind == GM_REL) {
		if (!w->attr[A_SOURCE].present || !w->attr[A_TARGET].present) {
			snprintf(inner, sizeof(inner), "missing \"%s\"",
				 w->attr[A_SOURCE].present ? "target" : "source");
			goto bad;
		}
		if (arena_str(a, t + w->attr[A_SOURCE].off, w->attr[A_SOURCE].len, &rec->from) <
			    0 ||
		    arena_str(a, t + w->attr[A_TARGET].off, w->attr[A_TARGET].len, &rec->to) < 0)
			return GM_ENOMEM;
		if (w->attr[A_LABEL].present) {
			typetext = t + w->attr[A_LABEL].off;
			typelen = w->attr[A_LABEL].len;
		}
	} else if (w->attr[A_GMIG_LABELS].present) {
		sp = &w->attr[A_GMIG_LABELS];
		if ((e = json_labels(t + sp->off, sp->len, a, rec)) < 0)
			goto bad_inner;
	} else if (w->attr[A_LABELS].present) {
		sp = &w->attr[A_LABELS];
		if (split_labels(t + sp->off, sp->len, a, rec) < 0)
			return GM_ENOMEM;
	}

	/* labels/type from data, and how many properties */
	for (size_t i = 0; i < w->nitems; i++) {
		const struct key *k = &r->keys.v[w->items[i].key];
		int role = key_role(r, k, w->kind);

		if (role == ROLE_NONE) {
			nprops++;
		} else if (role == ROLE_LABELS && !rec->labels && !w->attr[A_LABELS].present &&
			   !w->attr[A_GMIG_LABELS].present) {
			if (split_labels(t + w->items[i].off, w->items[i].len, a, rec) < 0)
				return GM_ENOMEM;
		} else if (role == ROLE_TYPE && !typetext) {
			typetext = t + w->items[i].off;
			typelen = w->items[i].len;
		}
	}
	if (w->kind == GM_REL) {
		if (!typetext) {
			typetext = r->default_type;
			typelen = strlen(r->default_type);
		}
		if (arena_str(a, typetext, typelen, &rec->type) < 0)
			return GM_ENOMEM;
	}
	for (size_t i = 0; i < r->keys.n; i++)
		if (r->keys.v[i].def)
			ndef++;
	if (nprops + ndef &&
	    !(rec->props = gm_arena_alloc(a, (nprops + ndef) * sizeof(*rec->props))))
		return GM_ENOMEM;
	for (size_t i = 0; i < w->nitems; i++) {
		const struct key *k = &r->keys.v[w->items[i].key];
		struct gm_prop *p;

		if (key_role(r, k, w->kind) != ROLE_NONE)
			continue;
		p = &rec->props[rec->nprops];
		if (arena_str(a, k->name, k->namelen, &p->key) < 0)
			return GM_ENOMEM;
		if ((e = parse_value(k->sig, t + w->items[i].off, w->items[i].len, a, &p->val)) <
		    0) {
			if (e == GM_ENOMEM)
				return e;
			snprintf(inner, sizeof(inner), "bad %s value for key '%s' (%s): %s",
				 sigs[k->sig].gtype   ? sigs[k->sig].gtype
				 : sigs[k->sig].alist ? "list"
						      : sigs[k->sig].atype,
				 k->id, k->name, gm_error_last());
			goto bad;
		}
		rec->nprops++;
	}
	if (ndef) {
		unsigned want = w->kind == GM_NODE ? FOR_NODE : FOR_EDGE;

		for (size_t ki = 0; ki < r->keys.n; ki++) {
			const struct key *k = &r->keys.v[ki];
			struct gm_prop *p;
			int seen = 0;

			if (!k->def || !(k->forb & want) || key_role(r, k, w->kind) != ROLE_NONE)
				continue;
			p = &rec->props[rec->nprops];
			for (size_t i = 0; i < w->nitems && !seen; i++)
				seen = w->items[i].key == ki;
			if (seen)
				continue;
			if (arena_str(a, k->name, k->namelen, &p->key) < 0)
				return GM_ENOMEM;
			if ((e = parse_value(k->sig, k->def, k->deflen, a, &p->val)) < 0) {
				if (e == GM_ENOMEM)
					return e;
				snprintf(inner, sizeof(inner), "bad default for key '%s' (%s): %s",
					 k->id, k->name, gm_error_last());
				goto bad;
			}
			rec->nprops++;
		}
	}
	if ((e = gm_record_canonicalize(rec)) < 0) {
		if (e == GM_ENOMEM)
			return e;
		goto bad_inner;
	}
	return 0;
bad_inner:
	if (e == GM_ENOMEM)
		return e;
	snprintf(inner, sizeof(inner), "%s", gm_error_last());
bad:
	return gm_error_set(GM_EDATA, "invalid %s '%.*s' in '%s' (line %llu, column %llu): %s",
			    what, w->attr[A_ID].present ? (int)w->attr[A_ID].len : 0,
			    t + w->attr[A_ID].off, r->name, (unsigned long long)w->line,
			    (unsigned long long)w->col, inner);
}

/* ---- the read loop ---- */

static int parse_step(struct reader *r)
{
	enum XML_Status st;

	if (r->suspended) {
		st = XML_ResumeParser(r->xp);
	} else {
		const unsigned char *p;
		size_t n;
		void *buf;
		int e;

		if ((e = gm_in_window(r->in, CHUNK, &p, &n)) < 0)
			return e;
		if (!(buf = XML_GetBuffer(r->xp, (int)n)))
			return gm_error_set(GM_ENOMEM, "out of memory reading '%s'", r->name);
		if (n)
			memcpy(buf, p, n);
		gm_in_consume(r->in, n);
		r->final_fed = n == 0;
		r->base.progress_done = gm_in_raw_done(r->in);
		r->base.progress_total = gm_in_raw_total(r->in);
		st = XML_ParseBuffer(r->xp, (int)n, r->final_fed);
	}
	if (st == XML_STATUS_ERROR) {
		if (r->fatal)
			return r->fatal;
		r->fatal = GM_ECORRUPT;
		return gm_error_set(GM_ECORRUPT, "invalid XML in '%s' (line %llu, column %llu): %s",
				    r->name, (unsigned long long)cur_line(r),
				    (unsigned long long)cur_col(r),
				    XML_ErrorString(XML_GetErrorCode(r->xp)));
	}
	r->suspended = st == XML_STATUS_SUSPENDED;
	if (!r->suspended && r->final_fed)
		r->doc_done = 1;
	return 0;
}

static int reader_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct reader *r = (struct reader *)b;
	int e;

	for (;;) {
		if (r->fatal)
			return r->fatal == GM_ENOMEM
				       ? gm_error_set(GM_ENOMEM, "out of memory reading '%s'",
						      r->name)
				       : r->fatal;
		if (r->err_code) {
			e = r->err_code;
			r->err_code = 0;
			memset(rec, 0, sizeof(*rec));
			rec->line = r->err_line;
			rec->offset = r->err_offset;
			return gm_error_set(e, "%s", r->err_msg);
		}
		if (r->node_ready) {
			r->node_ready = 0;
			return build(r, rec, a);
		}
		if (r->replaying) {
			if ((e = unspill_raw(r)) < 0) {
				if (e != GM_ITEROVER)
					r->fatal = e;
				return e;
			}
			return build(r, rec, a);
		}
		if (r->doc_done) {
			if (!r->spill)
				return GM_ITEROVER;
			if (fflush(r->spill) != 0 || fseek(r->spill, 0, SEEK_SET) != 0)
				return r->fatal = gm_error_set(
					       GM_EIO, "cannot read a temporary file for '%s'",
					       r->name);
			r->replaying = 1;
			continue;
		}
		if ((e = parse_step(r)) < 0) {
			r->fatal = e;
			return e;
		}
	}
}

static int reader_close(struct gm_backend *b)
{
	struct reader *r = (struct reader *)b;

	if (r->xp)
		XML_ParserFree(r->xp);
	if (r->spill)
		fclose(r->spill);
	gm_in_free(r->in);
	keys_free(&r->keys);
	gm_buf_free(&r->deftext);
	gm_buf_free(&r->raw.text);
	gm_free(r->raw.items);
	gm_free(r->default_type);
	gm_free(r);
	return 0;
}

/* "default_type=T" from "k=v&k2=v2"; unknown parameters are refused. */
static int reader_params(struct reader *r, const char *params)
{
	const char *p = params;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);

		if (n > 13 && !strncmp(p, "default_type=", 13)) {
			gm_free(r->default_type);
			if (!(r->default_type = dupn(p + 13, n - 13)))
				return GM_ENOMEM;
		} else if (n) {
			return gm_error_set(GM_EINVAL, "unknown graphml parameter '%.*s'", (int)n,
					    p);
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

static int reader_open(struct gm_backend **out, struct gm_in *in, const char *params)
{
	struct reader *r = gm_calloc(1, sizeof(*r));
	int e;

	*out = NULL;
	if (!r) {
		gm_in_free(in);
		return GM_ENOMEM;
	}
	r->in = in;
	r->name = gm_in_name(in);
	r->cur_key = -1;
	if (!(r->default_type = dupn(DEFAULT_TYPE, strlen(DEFAULT_TYPE)))) {
		reader_close(&r->base);
		return GM_ENOMEM;
	}
	if ((e = reader_params(r, params)) < 0) {
		reader_close(&r->base);
		return e;
	}
	if (!(r->xp = XML_ParserCreateNS(NULL, NS_SEP))) {
		reader_close(&r->base);
		return gm_error_set(GM_ENOMEM, "out of memory opening '%s'", r->name);
	}
	XML_SetUserData(r->xp, r);
	XML_SetElementHandler(r->xp, on_start, on_end);
	XML_SetCharacterDataHandler(r->xp, on_text);
	XML_SetEntityDeclHandler(r->xp, on_entity);
	XML_SetParamEntityParsing(r->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	r->base.ops = &gm_backend_graphml;
	*out = &r->base;
	return 0;
}

int gm__graphml_open_mem(struct gm_backend **out, const void *data, size_t len, const char *name)
{
	struct gm_in *in;
	int e;

	*out = NULL;
	if ((e = gm_in_open_mem(&in, data, len, name)) < 0)
		return e;
	return reader_open(out, in, NULL);
}

/* ======================================================================
 * Writing
 * ====================================================================== */

struct writer {
	struct gm_backend base;
	int writer; /* 1 */
	struct gm_out *out;
	FILE *body;
	struct keys keys;
	struct gm_buf batch; /* one batch's XML */
	struct gm_buf tmp;   /* one value's text */
	struct gm_buf ck;    /* a composite key for lookups */
	int committed;
};

/* Decodes one UTF-8 sequence at p[0..n); returns its length or 0 when invalid. */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0];
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return len;
}

/* 1: XML can carry s; 0: it holds a character XML 1.0 forbids; -1: invalid UTF-8. */
static int xml_safe(struct gm_str s)
{
	const unsigned char *p = (const unsigned char *)s.p;

	for (size_t i = 0; i < s.len;) {
		uint32_t c;
		size_t k = utf8_next(p + i, s.len - i, &c);

		if (!k)
			return -1;
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xfffe || c == 0xffff)
			return 0;
		i += k;
	}
	return 1;
}

/* Appends p[0..n) escaped for an attribute value (attr) or element text. */
static int put_esc(struct gm_buf *b, const char *p, size_t n, int attr)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;

		switch (p[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = attr ? "&quot;" : NULL; break;
		case '\r': rep = "&#13;"; break;
		case '\t': rep = attr ? "&#9;" : NULL; break;
		case '\n': rep = attr ? "&#10;" : NULL; break;
		default: break;
		}
		if (!rep)
			continue;
		gm_buf_put(b, p + run, i - run);
		gm_buf_puts(b, rep);
		run = i + 1;
	}
	return gm_buf_put(b, p + run, n - run);
}

/* In JSON, U+FFFE and U+FFFF are legal raw; XML forbids them: escape them in place. */
static int json_fix_nonchars(struct gm_buf *b, size_t from)
{
	for (size_t i = from; i + 2 < b->len; i++) {
		unsigned char *q = (unsigned char *)b->p + i;

		if (q[0] == 0xef && q[1] == 0xbf && (q[2] == 0xbe || q[2] == 0xbf)) {
			const char *rep = q[2] == 0xbe ? "\\ufffe" : "\\uffff";

			if (gm_buf_grow(b, 3) < 0)
				return GM_ENOMEM;
			q = (unsigned char *)b->p + i;
			memmove(q + 6, q + 3, b->len - i - 3);
			memcpy(q, rep, 6);
			b->len += 3;
			b->p[b->len] = '\0';
			i += 5;
		}
	}
	return 0;
}

static int simple_list_sig(const struct gm_value *v, enum sig *out)
{
	enum gm_type t;

	if (!v->u.list.n) {
		*out = SIG_LSTRING;
		return 1;
	}
	t = v->u.list.v[0].type;
	for (size_t i = 0; i < v->u.list.n; i++) {
		const struct gm_value *e = &v->u.list.v[i];

		if (e->type != t)
			return 0;
		if (t == GM_T_INT && (e->u.i > 9007199254740991ll || e->u.i < -9007199254740991ll))
			return 0;
		if (t == GM_T_FLOAT &&
		    (e->u.f != e->u.f || e->u.f - e->u.f != 0 || (e->u.f == 0 && signbit(e->u.f))))
			return 0;
	}
	switch (t) {
	case GM_T_BOOL: *out = SIG_LBOOL; return 1;
	case GM_T_INT: *out = SIG_LINT; return 1;
	case GM_T_FLOAT: *out = SIG_LFLOAT; return 1;
	case GM_T_STRING: *out = SIG_LSTRING; return 1;
	default: return 0;
	}
}

/* The key kind of a value; GM_EDATA for a string that is not UTF-8. */
static int value_sig(const struct gm_value *v, enum sig *out)
{
	switch (v->type) {
	case GM_T_NULL: *out = SIG_G_NULL; return 0;
	case GM_T_BOOL: *out = SIG_BOOL; return 0;
	case GM_T_INT: *out = SIG_INT; return 0;
	case GM_T_FLOAT: *out = SIG_FLOAT; return 0;
	case GM_T_STRING:
		switch (xml_safe(v->u.s)) {
		case 1: *out = SIG_STRING; return 0;
		case 0: *out = SIG_G_STRING; return 0;
		default: return gm_error_set(GM_EDATA, "a string is not valid UTF-8");
		}
	case GM_T_BYTES: *out = SIG_G_BYTES; return 0;
	case GM_T_LIST:
		if (!simple_list_sig(v, out))
			*out = SIG_G_LIST;
		return 0;
	case GM_T_MAP: *out = SIG_G_MAP; return 0;
	case GM_T_DATE: *out = SIG_G_DATE; return 0;
	case GM_T_LOCALTIME: *out = SIG_G_LOCALTIME; return 0;
	case GM_T_TIME: *out = SIG_G_TIME; return 0;
	case GM_T_LOCALDATETIME: *out = SIG_G_LOCALDATETIME; return 0;
	case GM_T_DATETIME: *out = SIG_G_DATETIME; return 0;
	case GM_T_DURATION: *out = SIG_G_DURATION; return 0;
	case GM_T_POINT: *out = SIG_G_POINT; return 0;
	case GM_T_VECTOR: *out = SIG_G_VECTOR; return 0;
	default: return gm_error_set(GM_EDATA, "unknown value type %d", (int)v->type);
	}
}

/* Appends the text of v (kind s) to b, unescaped. */
static int value_text(struct gm_buf *b, enum sig s, const struct gm_value *v)
{
	size_t from = b->len;
	int e;

	switch (s) {
	case SIG_STRING: return gm_buf_put(b, v->u.s.p, v->u.s.len);
	case SIG_BOOL: return gm_buf_puts(b, v->u.b ? "true" : "false");
	case SIG_INT: return gm_buf_put_i64(b, v->u.i);
	case SIG_FLOAT: return gm_fmt_double(b, v->u.f);
	case SIG_G_NULL: return 0;
	case SIG_LBOOL:
	case SIG_LINT:
	case SIG_LFLOAT:
	case SIG_LSTRING:
	case SIG_G_MAP:
	case SIG_G_LIST:
	case SIG_G_STRING:
	case SIG_G_VECTOR:
		if ((e = gm_tjson_write(b, v, 0)) < 0)
			return e;
		return json_fix_nonchars(b, from);
	default: return gm_value_format_text(b, v);
	}
}

static int write_key_decl(struct gm_buf *b, const struct key *k)
{
	const struct sig_info *si = &sigs[k->sig];

	gm_buf_puts(b, "<key id=\"");
	put_esc(b, k->id, strlen(k->id), 1);
	gm_buf_puts(b, k->forb == FOR_NODE ? "\" for=\"node\" attr.name=\""
					   : "\" for=\"edge\" attr.name=\"");
	put_esc(b, k->name, k->namelen, 1);
	gm_buf_printf(b, "\" attr.type=\"%s\"", si->atype);
	if (si->alist)
		gm_buf_printf(b, " attr.list=\"%s\"", si->alist);
	if (si->gtype)
		gm_buf_printf(b, " gmig.type=\"%s\"", si->gtype);
	return gm_buf_puts(b, "/>\n");
}

/* The key for (kind, name, sig), declared on first use. Returns its index or < 0. */
static long writer_key(struct writer *w, unsigned forb, struct gm_str name, enum sig s)
{
	struct key k = {0};
	char id[32];
	long at;

	gm_buf_clear(&w->ck);
	gm_buf_printf(&w->ck, "%c%d:", forb == FOR_NODE ? 'n' : 'e', (int)s);
	if (gm_buf_put(&w->ck, name.p, name.len) < 0)
		return GM_ENOMEM;
	if ((at = keys_find(&w->keys, w->ck.p, w->ck.len)) >= 0)
		return at;
	if (xml_safe(name) != 1)
		return gm_error_set(GM_EUNSUPPORTED,
				    "the property name '%.*s' holds characters XML cannot carry",
				    (int)name.len, name.p);
	snprintf(id, sizeof(id), "d%zu", w->keys.n - 2);
	k.forb = forb;
	k.sig = s;
	k.id = dupn(id, strlen(id));
	k.name = dupn(name.p, name.len);
	k.namelen = name.len;
	k.hkey = dupn(w->ck.p, w->ck.len);
	k.hlen = w->ck.len;
	if (!k.id || !k.name || !k.hkey) {
		key_free(&k);
		return GM_ENOMEM;
	}
	return keys_add(&w->keys, &k);
}

static int write_props(struct writer *w, unsigned forb, const struct gm_record *rec)
{
	struct gm_buf *b = &w->batch;
	int e;

	for (size_t i = 0; i < rec->nprops; i++) {
		const struct gm_prop *p = &rec->props[i];
		enum sig s;
		long at;

		if ((e = value_sig(&p->val, &s)) < 0)
			return e;
		if ((at = writer_key(w, forb, p->key, s)) < 0)
			return (int)at;
		gm_buf_clear(&w->tmp);
		if ((e = value_text(&w->tmp, s, &p->val)) < 0)
			return e;
		gm_buf_puts(b, "<data key=\"");
		gm_buf_puts(b, w->keys.v[at].id);
		gm_buf_puts(b, "\">");
		put_esc(b, w->tmp.p ? w->tmp.p : "", w->tmp.len, 0);
		gm_buf_puts(b, "</data>");
	}
	return b->oom ? GM_ENOMEM : 0;
}

static int check_name(const char *what, struct gm_str s)
{
	if (xml_safe(s) != 1)
		return gm_error_set(GM_EUNSUPPORTED,
				    "the %s '%.*s' holds characters XML cannot carry", what,
				    (int)s.len, s.p ? s.p : "");
	return 0;
}

static int write_node(struct writer *w, const struct gm_record *rec)
{
	struct gm_buf *b = &w->batch;
	int colon = 0, e;

	if (!rec->key.p)
		return gm_error_set(GM_EDATA, "a node without a key cannot be written to GraphML");
	if ((e = check_name("node key", rec->key)) < 0)
		return e;
	gm_buf_puts(b, "<node id=\"");
	put_esc(b, rec->key.p, rec->key.len, 1);
	gm_buf_puts(b, "\"");
	if (rec->nlabels) {
		gm_buf_puts(b, " labels=\"");
		for (size_t i = 0; i < rec->nlabels; i++) {
			if ((e = check_name("label", rec->labels[i])) < 0)
				return e;
			if (!rec->labels[i].len ||
			    memchr(rec->labels[i].p, ':', rec->labels[i].len))
				colon = 1;
			gm_buf_putc(b, ':');
			put_esc(b, rec->labels[i].p, rec->labels[i].len, 1);
		}
		gm_buf_puts(b, "\"");
		if (colon) {
			gm_buf_clear(&w->tmp);
			gm_buf_putc(&w->tmp, '[');
			for (size_t i = 0; i < rec->nlabels; i++) {
				if (i)
					gm_buf_putc(&w->tmp, ',');
				if ((e = gm_json_put_string(&w->tmp, rec->labels[i].p,
							    rec->labels[i].len, 0)) < 0)
					return e;
			}
			gm_buf_putc(&w->tmp, ']');
			gm_buf_puts(b, " gmig.labels=\"");
			put_esc(b, w->tmp.p, w->tmp.len, 1);
			gm_buf_puts(b, "\"");
		}
		/* the same text again as element content: \t and \n need no reference there */
		gm_buf_puts(b, "><data key=\"labels\">");
		for (size_t i = 0; i < rec->nlabels; i++) {
			gm_buf_putc(b, ':');
			put_esc(b, rec->labels[i].p, rec->labels[i].len, 0);
		}
		gm_buf_puts(b, "</data>");
	} else {
		gm_buf_puts(b, ">");
	}
	if ((e = write_props(w, FOR_NODE, rec)) < 0)
		return e;
	return gm_buf_puts(b, "</node>\n");
}

static int write_rel(struct writer *w, const struct gm_record *rec)
{
	struct gm_buf *b = &w->batch;
	int e;

	if ((rec->key.p && (e = check_name("relationship key", rec->key)) < 0) ||
	    (e = check_name("relationship type", rec->type)) < 0 ||
	    (e = check_name("node key", rec->from)) < 0 ||
	    (e = check_name("node key", rec->to)) < 0)
		return e;
	gm_buf_puts(b, "<edge");
	if (rec->key.p) {
		gm_buf_puts(b, " id=\"");
		put_esc(b, rec->key.p, rec->key.len, 1);
		gm_buf_puts(b, "\"");
	}
	gm_buf_puts(b, " source=\"");
	put_esc(b, rec->from.p, rec->from.len, 1);
	gm_buf_puts(b, "\" target=\"");
	put_esc(b, rec->to.p, rec->to.len, 1);
	gm_buf_puts(b, "\" label=\"");
	put_esc(b, rec->type.p, rec->type.len, 1);
	gm_buf_puts(b, "\"><data key=\"label\">");
	put_esc(b, rec->type.p, rec->type.len, 0);
	gm_buf_puts(b, "</data>");
	if ((e = write_props(w, FOR_EDGE, rec)) < 0)
		return e;
	return gm_buf_puts(b, "</edge>\n");
}

static int writer_batch(struct gm_backend *bk, const struct gm_record *recs, size_t n)
{
	struct writer *w = (struct writer *)bk;
	size_t nkeys = w->keys.n;
	uint64_t nodes = 0, rels = 0;
	int e = 0;

	gm_buf_clear(&w->batch);
	for (size_t i = 0; i < n && !e; i++) {
		const struct gm_record *rec = &recs[i];

		if (rec->kind == GM_NODE)
			e = write_node(w, rec), nodes++;
		else
			e = write_rel(w, rec), rels++;
		if (!e && w->batch.oom)
			e = GM_ENOMEM;
		if (e < 0 && e != GM_ENOMEM) {
			char msg[768];

			snprintf(msg, sizeof(msg), "%s", gm_error_last());
			gm_error_set(e, "cannot write %s '%.*s' to '%s': %s",
				     rec->kind == GM_NODE ? "node" : "relationship",
				     rec->key.p ? (int)rec->key.len : 0,
				     rec->key.p ? rec->key.p : "", gm_out_name(w->out), msg);
		}
	}
	if (!e && w->batch.len && fwrite(w->batch.p, w->batch.len, 1, w->body) != 1)
		e = gm_error_set(GM_EIO, "cannot write a temporary file for '%s': %s",
				 gm_out_name(w->out), strerror(errno));
	if (e < 0) {
		keys_truncate(&w->keys, nkeys);
		if (w->batch.oom) {
			gm_buf_free(&w->batch);
			w->batch.oom = 0;
		}
		if (w->tmp.oom) {
			gm_buf_free(&w->tmp);
			w->tmp.oom = 0;
		}
		return e;
	}
	w->base.nodes_written += nodes;
	w->base.rels_written += rels;
	return 0;
}

static const char header[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
			     "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
			     "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
			     "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n";

static int writer_commit(struct gm_backend *bk)
{
	struct writer *w = (struct writer *)bk;
	struct gm_buf *b = &w->batch;
	char chunk[CHUNK];
	size_t got;
	int e;

	gm_buf_clear(b);
	gm_buf_puts(b, header);
	for (size_t i = 0; i < w->keys.n; i++)
		write_key_decl(b, &w->keys.v[i]);
	gm_buf_puts(b, "<graph id=\"G\" edgedefault=\"directed\">\n");
	if (b->oom)
		return GM_ENOMEM;
	if ((e = gm_out_write(w->out, b->p, b->len)) < 0)
		return e;
	if (fflush(w->body) != 0 || fseek(w->body, 0, SEEK_SET) != 0)
		return gm_error_set(GM_EIO, "cannot read a temporary file for '%s': %s",
				    gm_out_name(w->out), strerror(errno));
	while ((got = fread(chunk, 1, sizeof(chunk), w->body)) > 0)
		if ((e = gm_out_write(w->out, chunk, got)) < 0)
			return e;
	if (ferror(w->body))
		return gm_error_set(GM_EIO, "cannot read a temporary file for '%s'",
				    gm_out_name(w->out));
	if ((e = gm_out_write(w->out, "</graph>\n</graphml>\n", 20)) < 0 ||
	    (e = gm_out_commit(w->out)) < 0)
		return e;
	w->committed = 1;
	return 0;
}

static int writer_close(struct gm_backend *bk)
{
	struct writer *w = (struct writer *)bk;

	gm_out_free(w->out);
	if (w->body)
		fclose(w->body);
	keys_free(&w->keys);
	gm_buf_free(&w->batch);
	gm_buf_free(&w->tmp);
	gm_buf_free(&w->ck);
	gm_free(w);
	return 0;
}

static int writer_open(struct gm_backend **out, const char *path, const struct gm_open_opts *o)
{
	struct writer *w = gm_calloc(1, sizeof(*w));
	static const struct {
		const char *id, *name, *ck;
		unsigned forb;
		enum sig s;
	} fixed[] = {
		{"labels", "labels", "labels", FOR_NODE, SIG_G_LABELS},
		{"label", "label", "label", FOR_EDGE, SIG_G_TYPE},
	};
	int e;

	*out = NULL;
	if (!w)
		return GM_ENOMEM;
	w->base.ops = &gm_backend_graphml;
	w->writer = 1;
	for (size_t i = 0; i < 2; i++) {
		struct key k = {0};
		long at;

		k.forb = fixed[i].forb;
		k.sig = fixed[i].s;
		k.id = dupn(fixed[i].id, strlen(fixed[i].id));
		k.name = dupn(fixed[i].name, strlen(fixed[i].name));
		k.namelen = strlen(fixed[i].name);
		/* a composite key no property lookup can produce (those start "n<d>:") */
		k.hkey = dupn(fixed[i].ck, strlen(fixed[i].ck));
		k.hlen = strlen(fixed[i].ck);
		if (!k.id || !k.name || !k.hkey) {
			key_free(&k);
			writer_close(&w->base);
			return GM_ENOMEM;
		}
		if ((at = keys_add(&w->keys, &k)) < 0) {
			writer_close(&w->base);
			return (int)at;
		}
	}
	if (!(w->body = temp_file())) {
		e = gm_error_set(GM_EIO, "cannot create a temporary file for '%s': %s", path,
				 strerror(errno));
		writer_close(&w->base);
		return e;
	}
	if ((e = gm_out_open(&w->out, path,
			     (o->flags & GM_OPEN_F_OVERWRITE) ? GM_OUT_OVERWRITE : 0)) < 0) {
		writer_close(&w->base);
		return e;
	}
	*out = &w->base;
	return 0;
}

/* ======================================================================
 * The backend
 * ====================================================================== */

static int graphml_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct gm_in *in;
	int e;

	if (o->mode == GM_OPEN_WRITE)
		return writer_open(out, location, o);
	*out = NULL;
	if ((e = gm_in_open(&in, location)) < 0)
		return e;
	return reader_open(out, in, o->params);
}

static int is_writer(struct gm_backend *b)
{
	return ((struct head *)b)->writer;
}

static int graphml_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	if (is_writer(b))
		return gm_error_set(GM_EINVAL, "the graphml backend was opened for writing");
	return reader_next(b, rec, a);
}

static int graphml_write(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	if (!is_writer(b))
		return gm_error_set(GM_EINVAL, "the graphml backend was opened for reading");
	return writer_batch(b, recs, n);
}

static int graphml_commit(struct gm_backend *b)
{
	return is_writer(b) ? writer_commit(b) : 0;
}

static int graphml_close(struct gm_backend *b)
{
	return is_writer(b) ? writer_close(b) : reader_close(b);
}

static int graphml_probe(const unsigned char *head, size_t len)
{
	static const char tag[] = "<graphml";

	for (size_t i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (!memcmp(head + i, tag, sizeof(tag) - 1))
			return 90;
	return 0;
}

static const char *const suffixes[] = {".graphml", NULL};

const struct gm_backend_ops gm_backend_graphml = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "graphml",
	.summary = "GraphML (APOC, NetworkX, igraph, Gephi dialects); lossless for gmig",
	.suffixes = suffixes,
	.caps = GM_CAP_READ | GM_CAP_WRITE | GM_CAP_FILE,
	.types = GM_TYPES_ALL,
	.probe = graphml_probe,
	.open = graphml_open,
	.read_next = graphml_next,
	.write_batch = graphml_write,
	.commit = graphml_commit,
	.close = graphml_close,
};
