/* SPDX-License-Identifier: MIT */
/*
 * APOC JSON: what apoc.export.json.* writes and apoc.import.json reads.
 *
 * Reading accepts the four jsonFormat shapes, told apart by the first tokens:
 *
 *   JSON_LINES       {"type":"node","id":"0","labels":["User"],"properties":{...}}\n ...
 *   ARRAY_JSON       [{"type":"node",...},\n{"type":"relationship",...}]
 *   JSON             {"nodes":[{...},...],"rels":[{...},...]}
 *   JSON_ID_AS_KEYS  {"nodes":{"0":{...},...},"rels":{"0":{...},...}}
 *
 * A node is an object with "type":"node", "id" (a string; a JSON integer is
 * read as its decimal text), "labels" (array of strings, optional) and
 * "properties" (object, optional). A relationship has "type":"relationship",
 * "id" (optional; becomes the record's key), "label" (its type), "properties",
 * and "start"/"end": objects {"id":..,"labels":[..],"properties":{..}} of which
 * only "id" is used (a bare string or integer is accepted as well). Key order
 * inside objects is free. Any other key is an error: nothing is dropped
 * silently. In JSON_ID_AS_KEYS the member name stands in for a missing "id".
 *
 * Values are plain JSON (typedjson.h, GM_TJ_PLAIN). A JSON object among the
 * properties (also inside a list) that has a "crs" member is a point:
 *   {"crs":"wgs-84","latitude":y,"longitude":x,"height":null}   SRID 4326, 2D
 *   {"crs":"wgs-84-3d",...,"height":z}                           SRID 4979, 3D
 *   {"crs":"cartesian","x":x,"y":y,"z":null}                     SRID 7203, 2D
 *   {"crs":"cartesian-3d",...,"z":z}                             SRID 9157, 3D
 * (x/longitude, y/latitude and z/height are accepted for every crs). Other
 * objects stay maps. APOC writes temporals and durations as untagged ISO
 * strings, so they are read as strings; with the parameter temporals=iso,
 * every string that gm_value_sniff_temporal() recognises becomes a Date,
 * LocalTime, Time, LocalDateTime, DateTime or Duration instead (a string that
 * merely looks like one is then converted too: that is the price of the flag).
 *
 * Memory is bounded: records are pulled token by token with the streaming
 * parser. A JSON/JSON_ID_AS_KEYS document whose "rels" member comes before
 * "nodes" is read twice (a second stream on the same file): the first pass
 * skips "rels" and yields the nodes, the second skips "nodes" and yields the
 * relationships. That needs a file; standard input is refused for it.
 *
 * Errors: in JSON Lines a bad line is GM_EDATA and reading continues on the
 * next line. In the other shapes a bad record (missing key, wrong value type)
 * is GM_EDATA and reading continues after it, but invalid JSON, an invalid
 * property value (duplicate key, integer beyond 64 bits) or a bad container is
 * GM_ECORRUPT: a single document cannot be resynchronised.
 *
 * Writing produces JSON_LINES exactly as apoc.export.json.all does (nodes
 * first, "\n" after every line; labels and property keys arrive sorted):
 *
 *   {"type":"node","id":"k","labels":["A","B"],"properties":{"p":1}}
 *   {"type":"relationship","id":"r","label":"T","properties":{..},"start":{"id":"k","labels":["A","B"]},"end":{"id":"m"}}
 *
 * "labels" and "properties" are omitted when empty; a relationship without a
 * key has no "id". start/end carry the endpoint's labels (apoc.import.json
 * matches endpoints by them) but not its properties; an endpoint that has no
 * labels, or was not written (a dangling relationship), has no "labels". To
 * know the endpoint labels the writer keeps node key -> label set: label sets
 * are interned (their JSON text kept once, ids from 1), node keys are kept as
 * 128-bit hashes in a gm_keyset (about 32 bytes per node written).
 *
 * Exact types: booleans, integers, finite floats, strings, lists of those and
 * points with one of the four SRIDs. Anything else (null, bytes, maps, NaN and
 * infinities, temporals, durations, vectors) would not read back as itself and
 * is refused with GM_EUNSUPPORTED naming record, property and type, unless
 * the parameter lossy=stringify is given (then written as APOC writes them: ISO
 * strings, base64, "NaN", JSON objects and arrays, null). lossy=drop omits
 * null properties; "lossy=stringify,drop" does both.
 *
 * Parameters ("k=v&k2=v2"): temporals=iso (reading), lossy=stringify|drop (writing).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "json.h"
#include "keyset.h"
#include "typedjson.h"
#include "valtext.h"

#define LOSSY_STRINGIFY GM_LOSSY_STRINGIFY
#define LOSSY_DROP GM_LOSSY_DROP

enum state {
	ST_START,     /* a document (array or object): nothing read yet */
	ST_LINES,     /* JSON Lines: between records */
	ST_ARRAY,     /* ARRAY_JSON: inside the array */
	ST_DOC,	      /* JSON/JSON_ID_AS_KEYS: between members of the top object */
	ST_SECT_ARR,  /* inside "nodes":[..] or "rels":[..] */
	ST_SECT_KEYS, /* inside "nodes":{..} or "rels":{..} */
	ST_TAIL,      /* after the document: only the end of input may follow */
	ST_DONE,
	ST_DEAD
};

struct apoc {
	struct gm_backend base;
	char *path;	 /* a copy of the location, for the second pass */
	const void *mem; /* input in memory (gm__apoc_open_mem), else NULL */
	size_t memlen;
	unsigned int lossy;
	int temporals_iso;

	/* reading */
	struct gm_in *in;
	struct gm_json_reader *r;
	enum state st;
	int pass; /* 1, or 2 while re-reading a document for its "rels" */
	int want; /* record kind the current section holds (0: any) */
	int seen_nodes, seen_rels, rels_deferred;
	int seen_rel; /* a relationship was read: no node may follow */
	int dead_code;
	struct gm_buf idkey; /* JSON_ID_AS_KEYS: the current member name */

	/* writing */
	struct gm_out *out;
	struct gm_buf buf;	  /* one batch of lines */
	struct gm_buf lab;	  /* scratch: one label set as JSON */
	struct gm_keyset *nodes;  /* node key -> label set id (0: no labels) */
	struct gm_keyset *setidx; /* label set JSON -> id */
	struct gm_buf sets;	  /* every interned label set's JSON, concatenated */
	struct setref {
		size_t off, len;
	} * setv; /* by id - 1 */
	size_t nsets, capsets;
};

extern const struct gm_backend_ops gm_backend_apoc;
int gm__apoc_open_mem(struct gm_backend **out, const void *data, size_t len, const char *params);

static int str_is(const struct gm_json_token *t, const char *s)
{
	return t->len == strlen(s) && !memcmp(t->text, s, t->len);
}

static int sv_is(struct gm_str v, const char *s)
{
	return v.len == strlen(s) && !memcmp(v.p, s, v.len);
}

/* ---- parameters ---- */

static int parse_params(struct apoc *s, const char *params)
{
	const char *p = params;

	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		size_t kl = eq ? (size_t)(eq - p) : n;
		struct gm_str v = {eq ? eq + 1 : p + n, eq ? n - kl - 1 : 0};

		if (kl == 9 && !memcmp(p, "temporals", 9)) {
			if (sv_is(v, "iso"))
				s->temporals_iso = 1;
			else if (!sv_is(v, "string"))
				return gm_error_set(GM_EINVAL,
						    "invalid value '%.*s' for the apoc parameter "
						    "'temporals' (iso, string)",
						    (int)v.len, v.p);
		} else if (n) {
			return gm_error_set(GM_EINVAL,
					    "unknown parameter '%.*s' for the apoc backend "
					    "(temporals; lossy is general)",
					    (int)kl, p);
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* ---- reading ---- */

/* Records where the current record started, for messages. */
struct recpos {
	uint64_t line, offset;
	int kind; /* GM_NODE, GM_REL or 0 when unknown */
	char why[200];
};

static const char *kind_name(int kind)
{
	return kind == GM_NODE ? "node" : kind == GM_REL ? "relationship" : "record";
}

/* Keeps the first reason a record is bad: msg, then arg in quotes when not NULL. */
static void fail(struct recpos *p, const char *msg, const char *arg, size_t len)
{
	if (p->why[0])
		return;
	if (arg)
		snprintf(p->why, sizeof(p->why), "%s \"%.*s\"", msg, (int)(len > 60 ? 60 : len),
			 arg);
	else
		snprintf(p->why, sizeof(p->why), "%s", msg);
}

/*
 * Ends the stream: every later read_next returns code. The message is kept
 * (copied first: it may live in the buffer gm_error_set writes to).
 */
static int die(struct apoc *s, int code)
{
	char msg[512];

	if (code == GM_EDATA)
		code = GM_ECORRUPT;
	snprintf(msg, sizeof(msg), "%s", gm_error_last());
	s->st = ST_DEAD;
	s->dead_code = code;
	return gm_error_set(code, "%s", msg);
}

/*
 * A failure of the JSON layer (gm_json_next, gm_json_skip, gm_tjson_read):
 * recoverable per line in JSON Lines, fatal in a document.
 */
static int json_failed(struct apoc *s, int error)
{
	char msg[512];

	if (error != GM_EDATA || s->st != ST_LINES)
		return die(s, error);
	snprintf(msg, sizeof(msg), "%s", gm_error_last());
	if ((error = gm_json_resync_line(s->r)) < 0)
		return die(s, error);
	return gm_error_set(GM_EDATA, "%s", msg);
}

static int next(struct apoc *s, struct gm_json_token *t)
{
	int error = gm_json_next(s->r, t);

	return error < 0 ? json_failed(s, error) : 0;
}

/* Skips what is left of a container whose opening token was just read. */
static int skip_rest(struct apoc *s, const struct gm_json_token *open)
{
	struct gm_json_token t;
	unsigned int depth;
	int error;

	if (open->tok != GM_JSON_OBJ_BEGIN && open->tok != GM_JSON_ARR_BEGIN)
		return 0;
	depth = open->depth - 1;
	do {
		if ((error = next(s, &t)) < 0)
			return error;
	} while (!(t.depth == depth && (t.tok == GM_JSON_OBJ_END || t.tok == GM_JSON_ARR_END)));
	return 0;
}

static int skip_value(struct apoc *s)
{
	int error = gm_json_skip(s->r);

	return error < 0 ? json_failed(s, error) : 0;
}

static int num_to_double(const struct gm_value *v, double *d)
{
	if (v->type == GM_T_INT)
		*d = (double)v->u.i;
	else if (v->type == GM_T_FLOAT)
		*d = v->u.f;
	else
		return -1;
	return 0;
}

/* Turns a map with a "crs" member into a point. Returns 0, or -1 with *why set. */
static int decode_point(struct gm_value *v, const char **why)
{
	const struct gm_value *crs = NULL, *c[3] = {NULL, NULL, NULL};
	struct gm_point pt = {0, 2, 0, 0, 0};
	static const char *const names[3][2] = {
		{"x", "longitude"}, {"y", "latitude"}, {"z", "height"}};

	for (size_t i = 0; i < v->u.map.n; i++) {
		const struct gm_prop *p = &v->u.map.p[i];
		int k;

		if (sv_is(p->key, "crs")) {
			crs = &p->val;
			continue;
		}
		for (k = 0; k < 3; k++)
			if (sv_is(p->key, names[k][0]) || sv_is(p->key, names[k][1]))
				break;
		if (k == 3) {
			*why = "invalid point: unknown member";
			return -1;
		}
		if (c[k]) {
			*why = "invalid point: a coordinate is given twice";
			return -1;
		}
		c[k] = &p->val;
	}
	if (crs->type != GM_T_STRING) {
		*why = "invalid point: \"crs\" is not a string";
		return -1;
	}
	if (sv_is(crs->u.s, "wgs-84"))
		pt.srid = 4326;
	else if (sv_is(crs->u.s, "wgs-84-3d"))
		pt.srid = 4979, pt.dim = 3;
	else if (sv_is(crs->u.s, "cartesian"))
		pt.srid = 7203;
	else if (sv_is(crs->u.s, "cartesian-3d"))
		pt.srid = 9157, pt.dim = 3;
	else {
		*why = "invalid point: unknown \"crs\"";
		return -1;
	}
	if (!c[0] || !c[1] || num_to_double(c[0], &pt.x) < 0 || num_to_double(c[1], &pt.y) < 0) {
		*why = "invalid point: x/longitude or y/latitude missing or not a number";
		return -1;
	}
	if (pt.dim == 3 ? (!c[2] || num_to_double(c[2], &pt.z) < 0)
			: (c[2] && c[2]->type != GM_T_NULL)) {
		*why = pt.dim == 3 ? "invalid point: z/height missing or not a number"
				   : "invalid point: a 2D point with z/height";
		return -1;
	}
	v->type = GM_T_POINT;
	v->u.pt = pt;
	return 0;
}

/* APOC dialect fix-ups of a property value: points, and ISO temporals with temporals=iso. */
static int decode_value(struct apoc *s, struct gm_value *v, struct gm_arena *a, const char **why)
{
	int t, error;

	switch (v->type) {
	case GM_T_MAP:
		for (size_t i = 0; i < v->u.map.n; i++)
			if (sv_is(v->u.map.p[i].key, "crs"))
				return decode_point(v, why);
		return 0;
	case GM_T_LIST:
		for (size_t i = 0; i < v->u.list.n; i++)
			if ((error = decode_value(s, &v->u.list.v[i], a, why)) < 0)
				return error;
		return 0;
	case GM_T_STRING:
		if (!s->temporals_iso || (t = gm_value_sniff_temporal(v->u.s.p, v->u.s.len)) < 0)
			return 0;
		if ((error = gm_value_parse_text((enum gm_type)t, v->u.s.p, v->u.s.len, a, v)) <
		    0) {
			if (error == GM_ENOMEM)
				return error;
			*why = "invalid ISO temporal";
			return -1;
		}
		return 0;
	default: return 0;
	}
}

/* Copies an id token (string or integer) into the arena. 1: done, 0: not an id, <0: ENOMEM. */
static int take_id(const struct gm_json_token *t, struct gm_arena *a, struct gm_str *out)
{
	char *p;

	if (t->tok != GM_JSON_STRING && !(t->tok == GM_JSON_NUMBER && t->is_int))
		return 0;
	if (!(p = gm_arena_strdup(a, t->text, t->len)))
		return GM_ENOMEM;
	out->p = p;
	out->len = t->len;
	return 1;
}

/* Reads "start"/"end": {"id":..,"labels":..,"properties":..}, or a bare id. */
static int read_endpoint(struct apoc *s, struct gm_arena *a, struct gm_str *out, struct recpos *pos,
			 const char *which)
{
	struct gm_json_token t;
	int error, have = 0;

	if ((error = next(s, &t)) < 0)
		return error;
	if ((error = take_id(&t, a, out)) != 0)
		return error < 0 ? error : 0;
	if (t.tok != GM_JSON_OBJ_BEGIN) {
		fail(pos, "not an object:", which, strlen(which));
		return skip_rest(s, &t);
	}
	for (;;) {
		if ((error = next(s, &t)) < 0)
			return error;
		if (t.tok == GM_JSON_OBJ_END)
			break;
		if (str_is(&t, "id")) {
			if ((error = next(s, &t)) < 0)
				return error;
			if ((error = take_id(&t, a, out)) < 0)
				return error;
			if (!error) {
				fail(pos, "\"id\" is not a string in", which, strlen(which));
				if ((error = skip_rest(s, &t)) < 0)
					return error;
			}
			have = 1;
		} else if (str_is(&t, "labels") || str_is(&t, "properties")) {
			if ((error = skip_value(s)) < 0)
				return error;
		} else {
			fail(pos, "unknown key in an endpoint:", t.text, t.len);
			if ((error = skip_value(s)) < 0)
				return error;
		}
	}
	if (!have)
		fail(pos, "no \"id\" in", which, strlen(which));
	return 0;
}

enum {
	K_TYPE = 1 << 0,
	K_ID = 1 << 1,
	K_LABELS = 1 << 2,
	K_LABEL = 1 << 3,
	K_PROPS = 1 << 4,
	K_START = 1 << 5,
	K_END = 1 << 6
};

static int key_bit(const struct gm_json_token *t)
{
	static const char *const names[] = {"type",	  "id",	   "labels", "label",
					    "properties", "start", "end"};

	for (int i = 0; i < 7; i++)
		if (str_is(t, names[i]))
			return 1 << i;
	return 0;
}

static int read_tjson(struct apoc *s, struct gm_arena *a, struct gm_value *v)
{
	int error = gm_tjson_read(s->r, NULL, a, v, GM_TJ_PLAIN);

	return error < 0 ? json_failed(s, error) : 0;
}

/*
 * Reads the members of a record object whose '{' (begin) was read. Returns 0 with rec filled, GM_EDATA for a
 * bad record (read to its end), or another error.
 */
static int read_record(struct apoc *s, struct gm_record *rec, struct gm_arena *a,
		       const struct gm_json_token *begin)
{
	struct recpos pos = {begin->line, begin->offset, 0, ""};
	struct gm_json_token t;
	struct gm_value v;
	unsigned int seen = 0;
	const char *why;
	int error, bit;

	memset(rec, 0, sizeof(*rec));
	rec->line = begin->line;
	rec->offset = begin->offset;
	for (;;) {
		if ((error = next(s, &t)) < 0)
			return error;
		if (t.tok == GM_JSON_OBJ_END)
			break;
		bit = key_bit(&t);
		if (!bit || (seen & bit)) {
			fail(&pos, bit ? "duplicate key" : "unknown key", t.text, t.len);
			if ((error = skip_value(s)) < 0)
				return error;
			continue;
		}
		seen |= bit;
		switch (bit) {
		case K_TYPE:
			if ((error = next(s, &t)) < 0)
				return error;
			if (t.tok == GM_JSON_STRING && str_is(&t, "node"))
				pos.kind = GM_NODE;
			else if (t.tok == GM_JSON_STRING && str_is(&t, "relationship"))
				pos.kind = GM_REL;
			else if (t.tok == GM_JSON_STRING)
				fail(&pos, "unknown \"type\"", t.text, t.len);
			else
				fail(&pos, "\"type\" is not a string", NULL, 0);
			if ((error = skip_rest(s, &t)) < 0)
				return error;
			break;
		case K_ID:
			if ((error = next(s, &t)) < 0)
				return error;
			if ((error = take_id(&t, a, &rec->key)) < 0)
				return error;
			if (!error) {
				fail(&pos, "\"id\" is not a string", NULL, 0);
				if ((error = skip_rest(s, &t)) < 0)
					return error;
			}
			break;
		case K_LABEL:
			if ((error = next(s, &t)) < 0)
				return error;
			if (t.tok == GM_JSON_STRING) {
				if (!(rec->type.p = gm_arena_strdup(a, t.text, t.len)))
					return GM_ENOMEM;
				rec->type.len = t.len;
			} else {
				fail(&pos, "\"label\" is not a string", NULL, 0);
				if ((error = skip_rest(s, &t)) < 0)
					return error;
			}
			break;
		case K_LABELS:
			if ((error = read_tjson(s, a, &v)) < 0)
				return error;
			if (v.type == GM_T_NULL)
				break;
			if (v.type != GM_T_LIST) {
				fail(&pos, "\"labels\" is not an array", NULL, 0);
				break;
			}
			if (v.u.list.n &&
			    !(rec->labels = gm_arena_alloc(a, v.u.list.n * sizeof(*rec->labels))))
				return GM_ENOMEM;
			for (size_t i = 0; i < v.u.list.n; i++) {
				if (v.u.list.v[i].type != GM_T_STRING) {
					fail(&pos, "a label is not a string", NULL, 0);
					break;
				}
				rec->labels[rec->nlabels++] = v.u.list.v[i].u.s;
			}
			break;
		case K_PROPS:
			if ((error = read_tjson(s, a, &v)) < 0)
				return error;
			if (v.type == GM_T_NULL)
				break;
			if (v.type != GM_T_MAP) {
				fail(&pos, "\"properties\" is not an object", NULL, 0);
				break;
			}
			rec->props = v.u.map.p;
			rec->nprops = v.u.map.n;
			for (size_t i = 0; i < rec->nprops; i++) {
				why = NULL;
				if ((error = decode_value(s, &rec->props[i].val, a, &why)) ==
				    GM_ENOMEM)
					return error;
				if (error < 0) {
					char tmp[120];

					snprintf(tmp, sizeof(tmp), "%s in property", why);
					fail(&pos, tmp, rec->props[i].key.p, rec->props[i].key.len);
				}
			}
			break;
		case K_START:
		case K_END:
			if ((error = read_endpoint(s, a, bit == K_START ? &rec->from : &rec->to,
						   &pos, bit == K_START ? "start" : "end")) < 0)
				return error;
			break;
		}
	}
	if (!pos.why[0]) {
		if (!(seen & K_TYPE))
			fail(&pos, "missing \"type\"", NULL, 0);
		else if (pos.kind == GM_NODE && !(seen & K_ID) && !s->idkey.len)
			fail(&pos, "missing \"id\"", NULL, 0);
		else if (pos.kind == GM_NODE && (seen & (K_LABEL | K_START | K_END)))
			fail(&pos, "a node with \"label\", \"start\" or \"end\"", NULL, 0);
		else if (pos.kind == GM_REL && (seen & K_LABELS))
			fail(&pos, "a relationship with \"labels\" (its type is \"label\")", NULL,
			     0);
		else if (pos.kind == GM_REL && !(seen & K_LABEL))
			fail(&pos, "missing \"label\"", NULL, 0);
		else if (pos.kind == GM_REL && !(seen & K_START))
			fail(&pos, "missing \"start\"", NULL, 0);
		else if (pos.kind == GM_REL && !(seen & K_END))
			fail(&pos, "missing \"end\"", NULL, 0);
		else if (s->want && pos.kind != s->want)
			fail(&pos,
			     s->want == GM_NODE ? "a relationship among \"nodes\""
						: "a node among \"rels\"",
			     NULL, 0);
		else if (pos.kind == GM_NODE && s->seen_rel)
			fail(&pos, "a node after the first relationship", NULL, 0);
	}
	if (pos.why[0])
		return gm_error_set(GM_EDATA, "invalid %s in '%s' (line %llu, byte %llu): %s",
				    kind_name(pos.kind), gm_json_name(s->r),
				    (unsigned long long)pos.line, (unsigned long long)pos.offset,
				    pos.why);
	rec->kind = (enum gm_kind)pos.kind;
	if (!(seen & K_ID) && s->idkey.len) {
		if (!(rec->key.p = gm_arena_strdup(a, s->idkey.p, s->idkey.len)))
			return GM_ENOMEM;
		rec->key.len = s->idkey.len;
	}
	if (rec->kind == GM_REL)
		s->seen_rel = 1;
	return 0;
}

/*
 * JSON Lines (a sequence of one-line values) or a single document? The parser
 * needs to know up front: '[' starts ARRAY_JSON, '{' followed by the member
 * name "nodes" or "rels" a document, anything else JSON Lines.
 */
static unsigned int peek_flags(struct gm_in *in)
{
	const unsigned char *p;
	size_t n, i = 0;

	if (gm_in_window(in, 4096, &p, &n) < 0)
		return GM_JSON_SEQ; /* the parser reports the error */
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (i < n && p[i] == '[')
		return 0;
	if (i >= n || p[i] != '{')
		return GM_JSON_SEQ;
	for (i++; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'); i++)
		;
	if ((n - i >= 8 && !memcmp(p + i, "\"nodes\"", 7)) ||
	    (n - i >= 7 && !memcmp(p + i, "\"rels\"", 6)) || (i < n && p[i] == '}'))
		return 0;
	return GM_JSON_SEQ;
}

static int open_reader(struct apoc *s)
{
	unsigned int flags;
	int error;

	gm_json_reader_free(s->r);
	gm_in_free(s->in);
	s->r = NULL;
	s->in = NULL;
	if (s->mem)
		error = gm_in_open_mem(&s->in, s->mem, s->memlen, s->path);
	else
		error = gm_in_open(&s->in, s->path);
	if (error < 0)
		return error;
	flags = peek_flags(s->in);
	s->st = (flags & GM_JSON_SEQ) ? ST_LINES : ST_START;
	return gm_json_reader_new(&s->r, s->in, flags);
}

static int data_error(struct apoc *s, const struct gm_json_token *t, const char *what,
		      const char *why)
{
	return gm_error_set(GM_EDATA, "invalid %s in '%s' (line %llu, byte %llu): %s", what,
			    gm_json_name(s->r), (unsigned long long)t->line,
			    (unsigned long long)t->offset, why);
}

/* A fatal error about the document's structure at token t. */
static int doc_error(struct apoc *s, const struct gm_json_token *t, const char *what)
{
	gm_error_set(GM_ECORRUPT, "invalid APOC JSON in '%s' (line %llu, byte %llu): %s",
		     gm_json_name(s->r), (unsigned long long)t->line, (unsigned long long)t->offset,
		     what);
	return die(s, GM_ECORRUPT);
}

/* In a document, after a "nodes"/"rels" member name: enters its value. */
static int enter_section(struct apoc *s, int kind)
{
	struct gm_json_token t;
	int error;

	if ((error = next(s, &t)) < 0)
		return error;
	s->want = kind;
	if (t.tok == GM_JSON_ARR_BEGIN)
		s->st = ST_SECT_ARR;
	else if (t.tok == GM_JSON_OBJ_BEGIN)
		s->st = ST_SECT_KEYS;
	else if (t.tok != GM_JSON_NULL)
		return doc_error(s, &t,
				 kind == GM_NODE ? "\"nodes\" is not an array or object"
						 : "\"rels\" is not an array or object");
	return 0;
}

/* A member of the top object of a JSON/JSON_ID_AS_KEYS document. */
static int doc_member(struct apoc *s, const struct gm_json_token *t)
{
	int error;

	if (str_is(t, "nodes")) {
		if (s->seen_nodes)
			return doc_error(s, t, "\"nodes\" given twice");
		s->seen_nodes = 1;
		if (s->pass == 2)
			return (error = skip_value(s)) < 0 ? error : 0;
		return enter_section(s, GM_NODE);
	}
	if (str_is(t, "rels")) {
		if (s->seen_rels)
			return doc_error(s, t, "\"rels\" given twice");
		s->seen_rels = 1;
		if (s->pass == 1 && !s->seen_nodes) {
			s->rels_deferred = 1;
			return (error = skip_value(s)) < 0 ? error : 0;
		}
		return enter_section(s, GM_REL);
	}
	{
		char msg[512];
		int e;

		data_error(s, t, "APOC JSON document", "unknown member");
		snprintf(msg, sizeof(msg), "%s \"%.*s\"", gm_error_last(),
			 (int)(t->len > 60 ? 60 : t->len), t->text);
		if ((e = skip_value(s)) < 0)
			return e;
		return gm_error_set(GM_EDATA, "%s", msg);
	}
}

/* After the top object of a document ended: second pass, or the end. */
static int doc_end(struct apoc *s)
{
	struct gm_json_token t;
	int error;

	if (s->pass == 1 && s->rels_deferred) {
		if (!strcmp(s->path, "-") && !s->mem)
			return die(s,
				   gm_error_set(
					   GM_EUNSUPPORTED,
					   "'-': an APOC JSON document with \"rels\" before "
					   "\"nodes\" must be read twice; give a file, not stdin"));
		s->base.progress_done = s->base.progress_total / 2;
		if ((error = open_reader(s)) < 0)
			return die(s, error);
		s->pass = 2;
		s->seen_nodes = s->seen_rels = 0;
		if ((error = next(s, &t)) < 0)
			return error;
		if (t.tok != GM_JSON_OBJ_BEGIN)
			return doc_error(s, &t, "the document changed between two passes");
		s->st = ST_DOC;
		return 0;
	}
	s->st = ST_TAIL;
	return 0;
}

static void progress(struct apoc *s)
{
	uint64_t total = gm_in_raw_total(s->in);

	if (s->rels_deferred) {
		s->base.progress_total = 2 * total;
		s->base.progress_done = (s->pass == 2 ? total : 0) + gm_in_raw_done(s->in);
	} else {
		s->base.progress_total = total;
		s->base.progress_done = gm_in_raw_done(s->in);
	}
}

static int apoc_read_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct apoc *s = (struct apoc *)b;
	struct gm_json_token t;
	int error;

	memset(rec, 0, sizeof(*rec));
	for (;;) {
		if (s->st == ST_DONE)
			return GM_ITEROVER;
		if (s->st == ST_DEAD)
			return gm_error_set(s->dead_code,
					    "reading '%s' stopped at an earlier error", s->path);
		if ((error = next(s, &t)) < 0)
			goto bad;
		gm_buf_clear(&s->idkey);
		switch (s->st) {
		case ST_START:
			if (t.tok == GM_JSON_EOF) {
				s->st = ST_DONE;
				continue;
			}
			if (t.tok == GM_JSON_ARR_BEGIN) {
				s->st = ST_ARRAY;
				continue;
			}
			if (t.tok != GM_JSON_OBJ_BEGIN)
				return doc_error(s, &t, "not a JSON object or array");
			s->st = ST_DOC;
			continue;
		case ST_LINES:
		case ST_ARRAY:
		case ST_SECT_ARR:
			if (t.tok == GM_JSON_OBJ_BEGIN) {
				error = read_record(s, rec, a, &t);
				goto out;
			}
			if (s->st == ST_LINES && t.tok == GM_JSON_EOF) {
				s->st = ST_DONE;
				continue;
			}
			if (s->st != ST_LINES && t.tok == GM_JSON_ARR_END) {
				s->st = s->st == ST_ARRAY ? ST_TAIL : ST_DOC;
				continue;
			}
			rec->line = t.line;
			rec->offset = t.offset;
			if ((error = skip_rest(s, &t)) < 0)
				goto bad;
			return data_error(s, &t, "record", "not a JSON object");
		case ST_SECT_KEYS:
			if (t.tok == GM_JSON_OBJ_END) {
				s->st = ST_DOC;
				continue;
			}
			if (gm_buf_put(&s->idkey, t.text, t.len) < 0)
				return GM_ENOMEM;
			if ((error = next(s, &t)) < 0)
				goto bad;
			if (t.tok == GM_JSON_OBJ_BEGIN) {
				error = read_record(s, rec, a, &t);
				gm_buf_clear(&s->idkey);
				goto out;
			}
			rec->line = t.line;
			rec->offset = t.offset;
			if ((error = skip_rest(s, &t)) < 0)
				goto bad;
			return data_error(s, &t, "record", "not a JSON object");
		case ST_DOC:
			if (t.tok == GM_JSON_OBJ_END)
				error = doc_end(s);
			else
				error = doc_member(s, &t);
			if (error < 0)
				goto bad;
			continue;
		case ST_TAIL:
			if (t.tok != GM_JSON_EOF)
				return doc_error(s, &t, "data after the end of the document");
			s->st = ST_DONE;
			continue;
		default: continue;
		}
	}
out:
	progress(s);
	return error;
bad:
	if (error == GM_EDATA) {
		uint64_t line, off;

		gm_json_position(s->r, &line, &off);
		rec->line = line;
		rec->offset = off;
	}
	return error;
}

/* ---- writing ---- */

/* The first value in v that would not read back as itself, or NULL; *detail says why. */
static const struct gm_value *inexact(const struct gm_value *v, const char **detail)
{
	const struct gm_value *bad;

	*detail = "";
	switch (v->type) {
	case GM_T_BOOL:
	case GM_T_INT:
	case GM_T_STRING: return NULL;
	case GM_T_FLOAT: *detail = " (NaN or infinite)"; return isfinite(v->u.f) ? NULL : v;
	case GM_T_LIST:
		for (size_t i = 0; i < v->u.list.n; i++)
			if ((bad = inexact(&v->u.list.v[i], detail)))
				return bad;
		return NULL;
	case GM_T_POINT:
		*detail = " (a NaN or infinite coordinate)";
		if (!isfinite(v->u.pt.x) || !isfinite(v->u.pt.y) ||
		    (v->u.pt.dim == 3 && !isfinite(v->u.pt.z)))
			return v;
		*detail = " (SRID other than 4326, 4979, 7203, 9157)";
		if ((v->u.pt.dim == 2 && (v->u.pt.srid == 4326 || v->u.pt.srid == 7203)) ||
		    (v->u.pt.dim == 3 && (v->u.pt.srid == 4979 || v->u.pt.srid == 9157)))
			return NULL;
		return v;
	default: return v;
	}
}

/* Where a record came from, for messages: " (line 12)" or "". */
static void where(const struct gm_record *r, char *buf, size_t n)
{
	buf[0] = '\0';
	if (r->line)
		snprintf(buf, n, " (line %llu)", (unsigned long long)r->line);
}

static int check_record(struct apoc *s, const struct gm_record *r)
{
	for (size_t k = 0; k < r->nprops; k++) {
		const struct gm_value *v = &r->props[k].val, *bad;
		const char *detail;
		char pos[40];

		if (v->type == GM_T_NULL && (s->lossy & LOSSY_DROP))
			continue;
		if ((s->lossy & LOSSY_STRINGIFY) || !(bad = inexact(v, &detail)))
			continue;
		where(r, pos, sizeof(pos));
		return gm_error_set(
			GM_EUNSUPPORTED,
			"%s '%.*s'%s has a %s value%s in property '%.*s', which the apoc format "
			"cannot store exactly (parameter lossy=%s writes it anyway)",
			r->kind == GM_NODE ? "node" : "relationship",
			(int)(r->key.len > 100 ? 100 : r->key.len), r->key.p ? r->key.p : "", pos,
			gm_type_name(bad->type), detail,
			(int)(r->props[k].key.len > 100 ? 100 : r->props[k].key.len),
			r->props[k].key.p,
			v->type == GM_T_NULL ? "drop omits it, lossy=stringify" : "stringify");
	}
	return 0;
}

static int put_props(struct apoc *s, const struct gm_record *r)
{
	struct gm_buf *b = &s->buf;
	size_t n = 0;
	int error;

	for (size_t k = 0; k < r->nprops; k++) {
		if (r->props[k].val.type == GM_T_NULL && (s->lossy & LOSSY_DROP))
			continue;
		gm_buf_puts(b, n++ ? "," : ",\"properties\":{");
		if ((error = gm_json_put_string(b, r->props[k].key.p, r->props[k].key.len, 0)) < 0)
			return error;
		gm_buf_putc(b, ':');
		if ((error = gm_tjson_write(b, &r->props[k].val, GM_TJ_PLAIN)) < 0)
			return error;
	}
	if (n)
		gm_buf_putc(b, '}');
	return b->oom ? GM_ENOMEM : 0;
}

/* Interns the label set in s->lab; *id is its number (from 1). */
static int intern_labels(struct apoc *s, uint32_t *id)
{
	uint32_t old;
	int added;

	if ((added = gm_keyset_put(s->setidx, s->lab.p, s->lab.len, (uint32_t)s->nsets + 1, &old)) <
	    0)
		return added;
	if (!added) {
		*id = old;
		return 0;
	}
	if (s->nsets == s->capsets) {
		size_t cap = s->capsets ? 2 * s->capsets : 16;
		struct setref *v = gm_realloc(s->setv, cap * sizeof(*v));

		if (!v)
			return GM_ENOMEM;
		s->setv = v;
		s->capsets = cap;
	}
	s->setv[s->nsets].off = s->sets.len;
	s->setv[s->nsets].len = s->lab.len;
	if (gm_buf_put(&s->sets, s->lab.p, s->lab.len) < 0)
		return GM_ENOMEM;
	*id = (uint32_t)++s->nsets;
	return 0;
}

static int put_node(struct apoc *s, const struct gm_record *r)
{
	struct gm_buf *b = &s->buf;
	uint32_t id = 0;
	int error;

	gm_buf_puts(b, "{\"type\":\"node\",\"id\":");
	if ((error = gm_json_put_string(b, r->key.p, r->key.len, 0)) < 0)
		return error;
	if (r->nlabels) {
		gm_buf_clear(&s->lab);
		gm_buf_putc(&s->lab, '[');
		for (size_t i = 0; i < r->nlabels; i++) {
			if (i)
				gm_buf_putc(&s->lab, ',');
			if ((error = gm_json_put_string(&s->lab, r->labels[i].p, r->labels[i].len,
							0)) < 0)
				return error;
		}
		gm_buf_putc(&s->lab, ']');
		if (s->lab.oom)
			return GM_ENOMEM;
		if ((error = intern_labels(s, &id)) < 0)
			return error;
		gm_buf_puts(b, ",\"labels\":");
		gm_buf_put(b, s->lab.p, s->lab.len);
	}
	if ((error = put_props(s, r)) < 0)
		return error;
	if (gm_buf_puts(b, "}\n") < 0)
		return GM_ENOMEM;
	/* a duplicate key keeps its first label set */
	return (error = gm_keyset_put(s->nodes, r->key.p, r->key.len, id, NULL)) < 0 ? error : 0;
}

static int put_endpoint(struct apoc *s, const char *name, struct gm_str key)
{
	struct gm_buf *b = &s->buf;
	uint32_t id = 0;
	int error;

	gm_buf_puts(b, name);
	if ((error = gm_json_put_string(b, key.p, key.len, 0)) < 0)
		return error;
	if (gm_keyset_get(s->nodes, key.p, key.len, &id) && id) {
		gm_buf_puts(b, ",\"labels\":");
		gm_buf_put(b, s->sets.p + s->setv[id - 1].off, s->setv[id - 1].len);
	}
	gm_buf_putc(b, '}');
	return b->oom ? GM_ENOMEM : 0;
}

static int put_rel(struct apoc *s, const struct gm_record *r)
{
	struct gm_buf *b = &s->buf;
	int error;

	gm_buf_puts(b, "{\"type\":\"relationship\"");
	if (r->key.p) {
		gm_buf_puts(b, ",\"id\":");
		if ((error = gm_json_put_string(b, r->key.p, r->key.len, 0)) < 0)
			return error;
	}
	gm_buf_puts(b, ",\"label\":");
	if ((error = gm_json_put_string(b, r->type.p, r->type.len, 0)) < 0 ||
	    (error = put_props(s, r)) < 0 ||
	    (error = put_endpoint(s, ",\"start\":{\"id\":", r->from)) < 0 ||
	    (error = put_endpoint(s, ",\"end\":{\"id\":", r->to)) < 0)
		return error;
	return gm_buf_puts(b, "}\n") < 0 ? GM_ENOMEM : 0;
}

static int apoc_write_batch(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	struct apoc *s = (struct apoc *)b;
	int error;

	for (size_t i = 0; i < n; i++)
		if ((error = check_record(s, &recs[i])) < 0)
			return error;
	gm_buf_clear(&s->buf);
	for (size_t i = 0; i < n; i++) {
		if ((error = recs[i].kind == GM_NODE ? put_node(s, &recs[i])
						     : put_rel(s, &recs[i])) < 0)
			return error;
	}
	if (s->buf.len && (error = gm_out_write(s->out, s->buf.p, s->buf.len)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == GM_NODE)
			b->nodes_written++;
		else
			b->rels_written++;
	return 0;
}

static int apoc_commit(struct gm_backend *b)
{
	struct apoc *s = (struct apoc *)b;

	return gm_out_commit(s->out);
}

/* ---- open / close / probe ---- */

static int apoc_close(struct gm_backend *b)
{
	struct apoc *s = (struct apoc *)b;

	if (!s)
		return 0;
	gm_json_reader_free(s->r);
	gm_in_free(s->in);
	gm_out_free(s->out);
	gm_keyset_free(s->nodes);
	gm_keyset_free(s->setidx);
	gm_buf_free(&s->idkey);
	gm_buf_free(&s->buf);
	gm_buf_free(&s->lab);
	gm_buf_free(&s->sets);
	gm_free(s->setv);
	gm_free(s->path);
	gm_free(s);
	return 0;
}

static int open_common(struct apoc **out, const char *location, const struct gm_open_opts *o,
		       const void *mem, size_t memlen)
{
	struct apoc *s = gm_calloc(1, sizeof(*s));
	int error;

	*out = NULL;
	if (!s || !(s->path = gm_strdup(location))) {
		gm_free(s);
		return GM_ENOMEM;
	}
	s->mem = mem;
	s->memlen = memlen;
	s->pass = 1;
	s->st = ST_START;
	s->lossy = o->lossy;
	if ((error = parse_params(s, o->params)) < 0)
		goto fail;
	if (o->mode == GM_OPEN_WRITE) {
		if ((error = gm_keyset_new(&s->nodes)) < 0 ||
		    (error = gm_keyset_new(&s->setidx)) < 0 ||
		    (error = gm_out_open(&s->out, location,
					 (o->flags & GM_OPEN_F_OVERWRITE) ? GM_OUT_OVERWRITE : 0)) <
			    0)
			goto fail;
	} else if ((error = open_reader(s)) < 0) {
		goto fail;
	}
	*out = s;
	return 0;
fail:
	apoc_close(&s->base);
	return error;
}

static int apoc_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct apoc *s;
	int error = open_common(&s, location, o, NULL, 0);

	*out = error < 0 ? NULL : &s->base;
	return error;
}

/*
 * For tests and fuzzing: reads APOC JSON from memory (not copied; must outlive
 * the backend). Close with gm_backend_close.
 */
int gm__apoc_open_mem(struct gm_backend **out, const void *data, size_t len, const char *params)
{
	struct gm_open_opts o = {.mode = GM_OPEN_READ, .params = params};
	struct apoc *s;
	int error;

	*out = NULL;
	if ((error = open_common(&s, "<memory>", &o, data, len)) < 0)
		return error;
	s->base.ops = &gm_backend_apoc;
	if (!(s->base.location = gm_strdup("<memory>"))) {
		apoc_close(&s->base);
		return GM_ENOMEM;
	}
	*out = &s->base;
	return 0;
}

/* Copies head without the whitespace outside strings (and a BOM): at most cap bytes. */
static size_t compact(const unsigned char *h, size_t len, char *out, size_t cap)
{
	size_t i = 0, n = 0;
	int in_str = 0, esc = 0;

	if (len >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
		i = 3;
	for (; i < len && n < cap; i++) {
		unsigned char c = h[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		} else if (c == '"') {
			in_str = 1;
		}
		out[n++] = (char)c;
	}
	return n;
}

static int starts(const char *h, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return n >= k && !memcmp(h, lit, k);
}

/*
 * 70 for a first object starting {"type":"node" or {"type":"relationship" (gmig
 * JSONL scores 60 for it and 100 for its own header {"gmig":..), 80 for the
 * array and document shapes, 40 when "type":"node" merely occurs in the head
 * of something that starts like JSON (APOC JSON with its keys in another order).
 */
static int apoc_probe(const unsigned char *head, size_t len)
{
	char h[4096];
	size_t n = compact(head, len, h, sizeof(h));

	if (starts(h, n, "{\"gmig\":"))
		return 0; /* gmig JSONL's own header */
	if (starts(h, n, "{\"type\":\"node\"") || starts(h, n, "{\"type\":\"relationship\""))
		return 70;
	if (starts(h, n, "[{\"type\":\"node\"") || starts(h, n, "[{\"type\":\"relationship\"") ||
	    starts(h, n, "{\"nodes\":[{") || starts(h, n, "{\"nodes\":{\"") ||
	    starts(h, n, "{\"rels\":[{") || starts(h, n, "{\"rels\":{\"") ||
	    starts(h, n, "{\"nodes\":[]") || starts(h, n, "{\"nodes\":{}"))
		return 80;
	if (n && (h[0] == '{' || h[0] == '['))
		for (size_t k = 0; k + 13 <= n; k++)
			if (!memcmp(h + k, "\"type\":\"node\"", 13))
				return 40;
	return 0;
}

static const char *const apoc_suffixes[] = {".apoc.json", ".apoc.jsonl", NULL};

const struct gm_backend_ops gm_backend_apoc = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "apoc",
	.summary = "APOC JSON (apoc.export.json/apoc.import.json): JSON Lines, arrays, documents",
	.suffixes = apoc_suffixes,
	.caps = GM_CAP_READ | GM_CAP_WRITE | GM_CAP_FILE | GM_CAP_LOSSY,
	.types = GM_TYPE_BIT(GM_T_BOOL) | GM_TYPE_BIT(GM_T_INT) | GM_TYPE_BIT(GM_T_FLOAT) |
		 GM_TYPE_BIT(GM_T_STRING) | GM_TYPE_BIT(GM_T_LIST) | GM_TYPE_BIT(GM_T_POINT),
	.probe = apoc_probe,
	.open = apoc_open,
	.read_next = apoc_read_next,
	.write_batch = apoc_write_batch,
	.commit = apoc_commit,
	.close = apoc_close,
};
