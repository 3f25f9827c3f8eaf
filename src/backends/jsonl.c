/* SPDX-License-Identifier: MIT */
/*
 * The "jsonl" backend: gmig JSON Lines, the default dump format (read + write).
 *
 * One JSON object per line, '\n' after every line, UTF-8 without BOM:
 *
 *   {"gmig":1}
 *   {"type":"node","id":"n1","labels":["A","B"],"properties":{"age":42}}
 *   {"type":"node","id":"n2"}
 *   {"type":"relationship","id":"r1","label":"KNOWS","start":"n1","end":"n2","properties":{}}
 *   {"type":"relationship","label":"KNOWS","start":"n1","end":"n1"}
 *   {"gmig":"end","nodes":2,"relationships":2}
 *
 * The header comes first, then every node, then every relationship, then the
 * end line with the counts. Keys are written in exactly this order; "id" is
 * omitted for a relationship without a key, "labels" when a node has none and
 * "properties" when there are none. Values are typed JSON (typedjson.h).
 *
 * Reading is lenient where nothing can be lost: the header may be missing
 * (APOC-shaped JSON Lines) or carry more keys, keys may come in any order,
 * "id"/"start"/"end" may be JSON integers, and "start"/"end" may be APOC's
 * endpoint objects {"id":..,"labels":..,"properties":..} (only "id" is used).
 * Unknown keys in a record are an error so that nothing is silently dropped.
 * A bad line is GM_EDATA naming the file, line and byte; reading resumes on
 * the next line. In a file that starts with the header, a missing end line
 * (truncation), counts that disagree with the records read, and anything after
 * the end line are GM_ECORRUPT; a file without a header needs no end line.
 *
 * Resuming (gmig migrate --resume): sync() writes out and fsyncs the
 * temporary after a batch and returns its size, which the checkpoint keeps;
 * a resumed run (GM_OPEN_F_RESUME) cuts the temporary to that size and
 * appends to it, so the file ends exactly as an uninterrupted run's would.
 * Compressed outputs cannot be resumed (a resumed run starts them again).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "json.h"
#include "typedjson.h"

#define FLUSH_AT (1u << 20)

struct jsonl {
	struct gm_backend base;
	/* reading */
	struct gm_in *in;
	struct gm_json_reader *r;
	int resync;   /* the last record was bad: continue at the next line */
	int saw_head; /* a header or a record was read */
	int header;   /* the input started with a header: it is a gmig dump and must end properly */
	int saw_rel;
	int saw_end;
	int fatal; /* a GM_ECORRUPT (or worse) was returned: keep returning it */
	uint64_t nodes, rels, bad, last_line;
	/* writing */
	struct gm_out *out;
	struct gm_buf buf;
	int wrote_rel;
};

/* ---- reading ---- */

enum field {
	F_TYPE = 1 << 0,
	F_ID = 1 << 1,
	F_LABELS = 1 << 2,
	F_LABEL = 1 << 3,
	F_START = 1 << 4,
	F_END = 1 << 5,
	F_PROPS = 1 << 6,
	F_GMIG = 1 << 7,
	F_NODES = 1 << 8,
	F_RELS = 1 << 9
};

#define FIELD(s, f)                                                                                \
	{                                                                                          \
		s, sizeof(s) - 1, f                                                                \
	}
static const struct {
	const char *name;
	size_t len;
	enum field f;
} fields[] = {
	FIELD("type", F_TYPE),		FIELD("id", F_ID),	 FIELD("labels", F_LABELS),
	FIELD("label", F_LABEL),	FIELD("start", F_START), FIELD("end", F_END),
	FIELD("properties", F_PROPS),	FIELD("gmig", F_GMIG),	 FIELD("nodes", F_NODES),
	FIELD("relationships", F_RELS),
};

static enum field field_of(const char *p, size_t n)
{
	/* the common keys of a record first, without a search */
	switch (n) {
	case 2:
		if (p[0] == 'i' && p[1] == 'd')
			return F_ID;
		break;
	case 3:
		if (!memcmp(p, "end", 3))
			return F_END;
		break;
	case 4:
		if (!memcmp(p, "type", 4))
			return F_TYPE;
		break;
	case 5:
		if (!memcmp(p, "start", 5))
			return F_START;
		if (!memcmp(p, "label", 5))
			return F_LABEL;
		break;
	case 6:
		if (!memcmp(p, "labels", 6))
			return F_LABELS;
		break;
	case 10:
		if (!memcmp(p, "properties", 10))
			return F_PROPS;
		break;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].len == n && !memcmp(fields[i].name, p, n))
			return fields[i].f;
	return 0;
}

enum rkind { K_UNKNOWN, K_NODE, K_REL };

static const char *kind_word(enum rkind k)
{
	return k == K_NODE ? "node" : k == K_REL ? "relationship" : "record";
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int
bad_rec(struct jsonl *j, enum rkind k, uint64_t line, uint64_t off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gm_error_set(GM_EDATA, "invalid %s in '%s' (line %" PRIu64 ", byte %" PRIu64 "): %s",
			    kind_word(k), gm_in_name(j->in), line, off, msg);
}

static int tok_str(struct gm_arena *a, const struct gm_json_token *t, struct gm_str *s)
{
	char *p = gm_arena_strdup(a, t->text, t->len);

	if (!p)
		return GM_ENOMEM;
	s->p = p;
	s->len = t->len;
	return 0;
}

/* A node reference: "n1", 12, or {"id":"n1",...}. */
static int read_ref(struct jsonl *j, enum rkind k, const char *what, struct gm_arena *a,
		    struct gm_str *s)
{
	struct gm_json_token t;
	int error, have = 0;

	if ((error = gm_json_next(j->r, &t)) < 0)
		return error;
	if (t.tok == GM_JSON_STRING || (t.tok == GM_JSON_NUMBER && t.is_int))
		return tok_str(a, &t, s);
	if (t.tok != GM_JSON_OBJ_BEGIN)
		return bad_rec(j, k, t.line, t.offset,
			       "\"%s\" must be a string, an integer or an "
			       "object with an \"id\"",
			       what);
	for (;;) {
		if ((error = gm_json_next(j->r, &t)) < 0)
			return error;
		if (t.tok == GM_JSON_OBJ_END)
			break;
		if (t.len == 2 && !memcmp(t.text, "id", 2) && !have) {
			if ((error = gm_json_next(j->r, &t)) < 0)
				return error;
			if (t.tok != GM_JSON_STRING && !(t.tok == GM_JSON_NUMBER && t.is_int))
				return bad_rec(j, k, t.line, t.offset,
					       "\"%s\" id must be a string or an integer", what);
			if ((error = tok_str(a, &t, s)) < 0)
				return error;
			have = 1;
		} else if ((error = gm_json_skip(j->r)) < 0) {
			return error;
		}
	}
	if (!have)
		return bad_rec(j, k, t.line, t.offset, "\"%s\" has no \"id\"", what);
	return 0;
}

static int read_labels(struct jsonl *j, enum rkind k, struct gm_arena *a, struct gm_record *rec)
{
	struct gm_json_token t;
	struct gm_buf lb = GM_BUF_INIT;
	struct gm_str s, few[8];
	size_t nfew = 0;
	int error;

	if ((error = gm_json_next(j->r, &t)) < 0)
		return error;
	if (t.tok != GM_JSON_ARR_BEGIN)
		return bad_rec(j, k, t.line, t.offset, "\"labels\" must be an array of strings");
	/* most nodes have a few labels: no buffer for them */
	for (;;) {
		if ((error = gm_json_next(j->r, &t)) < 0)
			return error;
		if (t.tok == GM_JSON_ARR_END) {
			rec->nlabels = nfew;
			rec->labels = NULL;
			if (nfew && !(rec->labels = gm_arena_alloc(a, nfew * sizeof(few[0]))))
				return GM_ENOMEM;
			if (nfew)
				memcpy(rec->labels, few, nfew * sizeof(few[0]));
			return 0;
		}
		if (t.tok != GM_JSON_STRING)
			return bad_rec(j, k, t.line, t.offset,
				       "\"labels\" must be an array of strings");
		if ((error = tok_str(a, &t, &few[nfew])) < 0)
			return error;
		if (++nfew == sizeof(few) / sizeof(few[0]))
			break;
	}
	if ((error = gm_buf_put(&lb, few, sizeof(few))) < 0)
		goto done;
	for (;;) {
		if ((error = gm_json_next(j->r, &t)) < 0)
			goto done;
		if (t.tok == GM_JSON_ARR_END)
			break;
		if (t.tok != GM_JSON_STRING) {
			error = bad_rec(j, k, t.line, t.offset,
					"\"labels\" must be an array of strings");
			goto done;
		}
		if ((error = tok_str(a, &t, &s)) < 0 ||
		    (error = gm_buf_put(&lb, &s, sizeof(s))) < 0)
			goto done;
	}
	rec->nlabels = lb.len / sizeof(struct gm_str);
	rec->labels = NULL;
	if (rec->nlabels) {
		if (!(rec->labels = gm_arena_alloc(a, lb.len))) {
			error = GM_ENOMEM;
			goto done;
		}
		memcpy(rec->labels, lb.p, lb.len);
	}
	error = 0;
done:
	gm_buf_free(&lb);
	return error;
}

static int read_count(struct jsonl *j, enum rkind k, const char *what, uint64_t *v)
{
	struct gm_json_token t;
	int error;
	uint64_t n = 0;

	if ((error = gm_json_next(j->r, &t)) < 0)
		return error;
	if (t.tok != GM_JSON_NUMBER || !t.is_int || t.text[0] == '-' || t.len > 19)
		return bad_rec(j, k, t.line, t.offset, "\"%s\" must be a count", what);
	for (size_t i = 0; i < t.len; i++)
		n = n * 10 + (uint64_t)(t.text[i] - '0');
	*v = n;
	return 0;
}

/* The end line: checks the counts against what was read. */
static int check_end(struct jsonl *j, uint64_t line, uint64_t nodes, uint64_t rels)
{
	int ok;

	if (!j->bad)
		ok = nodes == j->nodes && rels == j->rels;
	else
		ok = j->nodes <= nodes && j->rels <= rels &&
		     j->nodes + j->rels + j->bad == nodes + rels;
	if (ok)
		return 0;
	j->fatal = GM_ECORRUPT;
	return gm_error_set(GM_ECORRUPT,
			    "'%s' (line %" PRIu64 "): the end line counts %" PRIu64
			    " nodes and %" PRIu64 " relationships but %" PRIu64
			    " nodes and %" PRIu64 " relationships were read (%" PRIu64
			    " bad lines)",
			    gm_in_name(j->in), line, nodes, rels, j->nodes, j->rels, j->bad);
}

/*
 * Reads one line's object (its '{' is t0). Returns 0 with rec filled, 1 for a
 * header or end line, or < 0.
 */
static int read_object(struct jsonl *j, const struct gm_json_token *t0, struct gm_record *rec,
		       struct gm_arena *a)
{
	struct gm_json_token t;
	enum rkind k = K_UNKNOWN;
	unsigned int seen = 0;
	int gmig = 0; /* 1 header, 2 end line */
	uint64_t nodes = 0, rels = 0;
	struct gm_value props;
	int error;

	memset(rec, 0, sizeof(*rec));
	rec->line = t0->line;
	rec->offset = t0->offset;
	for (;;) {
		enum field f = 0;

		if ((error = gm_json_next(j->r, &t)) < 0)
			return error;
		if (t.tok == GM_JSON_OBJ_END)
			break;
		f = field_of(t.text, t.len);
		if (!f) {
			if (seen & F_GMIG) { /* the header may say more (source, ...) */
				if ((error = gm_json_skip(j->r)) < 0)
					return error;
				continue;
			}
			return bad_rec(j, k, t.line, t.offset, "unknown key \"%.*s\"",
				       t.len > 100 ? 100 : (int)t.len, t.text);
		}
		if (seen & f)
			return bad_rec(j, k, t.line, t.offset, "duplicate key \"%.*s\"", (int)t.len,
				       t.text);
		seen |= f;
		switch (f) {
		case F_TYPE:
			if ((error = gm_json_next(j->r, &t)) < 0)
				return error;
			if (t.tok == GM_JSON_STRING && t.len == 4 && !memcmp(t.text, "node", 4))
				k = K_NODE;
			else if (t.tok == GM_JSON_STRING && t.len == 12 &&
				 !memcmp(t.text, "relationship", 12))
				k = K_REL;
			else
				return bad_rec(j, k, t.line, t.offset,
					       "\"type\" must be \"node\" or \"relationship\"");
			/* known from here on, for the core's reject log */
			rec->kind = k == K_NODE ? GM_NODE : GM_REL;
			/* even a bad relationship line ends the nodes */
			if (k == K_REL)
				j->saw_rel = 1;
			break;
		case F_ID:
			if ((error = gm_json_next(j->r, &t)) < 0)
				return error;
			if (t.tok != GM_JSON_STRING && !(t.tok == GM_JSON_NUMBER && t.is_int))
				return bad_rec(j, k, t.line, t.offset,
					       "\"id\" must be a string or an integer");
			if ((error = tok_str(a, &t, &rec->key)) < 0)
				return error;
			break;
		case F_LABELS:
			if ((error = read_labels(j, k, a, rec)) < 0)
				return error;
			break;
		case F_LABEL:
			if ((error = gm_json_next(j->r, &t)) < 0)
				return error;
			if (t.tok != GM_JSON_STRING)
				return bad_rec(j, k, t.line, t.offset,
					       "\"label\" must be a string");
			if ((error = tok_str(a, &t, &rec->type)) < 0)
				return error;
			break;
		case F_START:
		case F_END:
			if ((error = read_ref(j, k, f == F_START ? "start" : "end", a,
					      f == F_START ? &rec->from : &rec->to)) < 0)
				return error;
			break;
		case F_PROPS:
			if ((error = gm_json_next(j->r, &t)) < 0)
				return error;
			if (t.tok != GM_JSON_OBJ_BEGIN)
				return bad_rec(j, k, t.line, t.offset,
					       "\"properties\" must be an object");
			if ((error = gm_tjson_read(j->r, &t, a, &props, 0)) < 0)
				return error;
			if (props.type != GM_T_MAP)
				return bad_rec(
					j, k, t.line, t.offset,
					"\"properties\" must be an object (not a typed value)");
			rec->props = props.u.map.p;
			rec->nprops = props.u.map.n;
			break;
		case F_GMIG:
			if ((error = gm_json_next(j->r, &t)) < 0)
				return error;
			if (t.tok == GM_JSON_NUMBER && t.len == 1 && t.text[0] == '1')
				gmig = 1;
			else if (t.tok == GM_JSON_STRING && t.len == 3 && !memcmp(t.text, "end", 3))
				gmig = 2;
			else
				return bad_rec(j, k, t.line, t.offset,
					       "unsupported \"gmig\" version (this reads 1)");
			break;
		case F_NODES:
			if ((error = read_count(j, k, "nodes", &nodes)) < 0)
				return error;
			break;
		case F_RELS:
			if ((error = read_count(j, k, "relationships", &rels)) < 0)
				return error;
			break;
		}
	}
	if (seen & F_GMIG) {
		if (seen & ~(unsigned)(F_GMIG | F_NODES | F_RELS))
			return bad_rec(j, k, t0->line, t0->offset,
				       "a \"gmig\" line cannot be a node or relationship");
		if (gmig == 1) {
			if (j->saw_head)
				return bad_rec(j, k, t0->line, t0->offset,
					       "the header line must come first");
			j->saw_head = 1;
			j->header = 1;
			return 1;
		}
		if (!(seen & F_NODES) || !(seen & F_RELS))
			return bad_rec(j, k, t0->line, t0->offset,
				       "the end line needs \"nodes\" and \"relationships\"");
		j->saw_end = 1;
		j->saw_head = 1;
		if ((error = check_end(j, t0->line, nodes, rels)) < 0)
			return error;
		return 1;
	}
	if (seen & (F_NODES | F_RELS))
		return bad_rec(j, k, t0->line, t0->offset, "unknown key \"%s\"",
			       (seen & F_NODES) ? "nodes" : "relationships");
	if (k == K_UNKNOWN)
		return bad_rec(j, k, t0->line, t0->offset, "missing \"type\"");
	j->saw_head = 1;
	if (k == K_NODE) {
		if (seen & (F_LABEL | F_START | F_END))
			return bad_rec(j, k, t0->line, t0->offset,
				       "unexpected key \"%s\" in a node",
				       (seen & F_LABEL)	  ? "label"
				       : (seen & F_START) ? "start"
							  : "end");
		if (!(seen & F_ID))
			return bad_rec(j, k, t0->line, t0->offset, "missing \"id\"");
		if (j->saw_rel)
			return bad_rec(j, k, t0->line, t0->offset,
				       "node after the first relationship");
		rec->kind = GM_NODE;
		return 0;
	}
	if (seen & F_LABELS)
		return bad_rec(j, k, t0->line, t0->offset,
			       "unexpected key \"labels\" in a relationship");
	if (!(seen & F_LABEL))
		return bad_rec(j, k, t0->line, t0->offset, "missing \"label\"");
	if (!(seen & F_START))
		return bad_rec(j, k, t0->line, t0->offset, "missing \"start\"");
	if (!(seen & F_END))
		return bad_rec(j, k, t0->line, t0->offset, "missing \"end\"");
	rec->kind = GM_REL;
	j->saw_rel = 1;
	return 0;
}

static int jsonl_read_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct jsonl *j = (struct jsonl *)b;
	struct gm_json_token t;
	int error;

	if (j->fatal)
		return j->fatal;
	if (j->resync) {
		j->resync = 0;
		if ((error = gm_json_resync_line(j->r)) < 0)
			return j->fatal = error;
	}
	for (;;) {
		b->progress_done = gm_in_raw_done(j->in);
		error = gm_json_next(j->r, &t);
		if (error == 0 && t.tok == GM_JSON_EOF) {
			/*
			 * Without a header this is plain APOC-shaped JSON Lines: no end
			 * line. An empty input is a dump cut off before its header.
			 */
			if (j->saw_end || (!j->header && j->last_line))
				return GM_ITEROVER;
			j->fatal = GM_ECORRUPT;
			return gm_error_set(GM_ECORRUPT,
					    "'%s' is truncated after line %" PRIu64
					    ": the end line is missing",
					    gm_in_name(j->in), j->last_line);
		}
		if (error == 0 && j->saw_end) {
			j->fatal = GM_ECORRUPT;
			return gm_error_set(GM_ECORRUPT,
					    "'%s' (line %" PRIu64 "): data after the end line",
					    gm_in_name(j->in), t.line);
		}
		if (error == 0) {
			j->last_line = t.line;
			if (t.tok != GM_JSON_OBJ_BEGIN) {
				memset(rec, 0, sizeof(*rec));
				rec->line = t.line;
				rec->offset = t.offset;
				error = bad_rec(j, K_UNKNOWN, t.line, t.offset,
						"a line must hold a JSON object");
			} else {
				error = read_object(j, &t, rec, a);
			}
		}
		if (error == 1)
			continue;
		if (error == 0) {
			if (rec->kind == GM_NODE)
				j->nodes++;
			else
				j->rels++;
			return 0;
		}
		if (error == GM_EDATA) {
			if (!rec->line)
				gm_json_position(j->r, &rec->line, &rec->offset);
			j->bad++;
			j->resync = 1;
		} else if (!j->fatal && error != GM_ENOMEM) {
			j->fatal = error;
		}
		return error;
	}
}

/* ---- writing ---- */

#define PUT_LIT(b, s) gm_buf_put((b), (s), sizeof(s) - 1)

static int put_ref(struct gm_buf *b, const char *key, size_t klen, struct gm_str s)
{
	int error;

	if ((error = gm_buf_put(b, key, klen)) < 0)
		return error;
	return gm_json_put_string(b, s.p, s.len, 0);
}

#define PUT_REF(b, k, s) put_ref((b), (k), sizeof(k) - 1, (s))

static int write_record(struct gm_buf *b, const struct gm_record *r)
{
	int error = 0;

	if (r->kind == GM_NODE) {
		if ((error = PUT_REF(b, "{\"type\":\"node\",\"id\":", r->key)) < 0)
			return error;
		if (r->nlabels) {
			if ((error = PUT_LIT(b, ",\"labels\":[")) < 0)
				return error;
			for (size_t i = 0; i < r->nlabels; i++)
				if ((i && (error = gm_buf_putc(b, ',')) < 0) ||
				    (error = gm_json_put_string(b, r->labels[i].p, r->labels[i].len,
								0)) < 0)
					return error;
			if ((error = gm_buf_putc(b, ']')) < 0)
				return error;
		}
	} else {
		if ((error = PUT_LIT(b, "{\"type\":\"relationship\"")) < 0 ||
		    (r->key.p && (error = PUT_REF(b, ",\"id\":", r->key)) < 0) ||
		    (error = PUT_REF(b, ",\"label\":", r->type)) < 0 ||
		    (error = PUT_REF(b, ",\"start\":", r->from)) < 0 ||
		    (error = PUT_REF(b, ",\"end\":", r->to)) < 0)
			return error;
	}
	if (r->nprops && ((error = PUT_LIT(b, ",\"properties\":")) < 0 ||
			  (error = gm_tjson_write_props(b, r->props, r->nprops, 0)) < 0))
		return error;
	return gm_buf_put(b, "}\n", 2);
}

static int flush(struct jsonl *j)
{
	int error = 0;

	if (j->buf.len && (error = gm_out_write(j->out, j->buf.p, j->buf.len)) == 0)
		gm_buf_clear(&j->buf);
	return error;
}

static int jsonl_write_batch(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	struct jsonl *j = (struct jsonl *)b;
	size_t mark = j->buf.len;
	int wrote_rel = j->wrote_rel, error = 0;
	uint64_t nodes = 0, rels = 0;

	for (size_t i = 0; i < n; i++) {
		const struct gm_record *r = &recs[i];

		if (r->kind == GM_NODE) {
			if (wrote_rel) {
				error = gm_error_set(GM_EDATA,
						     "invalid node \"%.*s\" for '%s': nodes must "
						     "come before relationships",
						     (int)r->key.len, r->key.p ? r->key.p : "",
						     gm_out_name(j->out));
				break;
			}
			if (!r->key.p) {
				error = gm_error_set(GM_EDATA,
						     "invalid node for '%s': it has no key",
						     gm_out_name(j->out));
				break;
			}
			nodes++;
		} else if (r->kind == GM_REL) {
			wrote_rel = 1;
			rels++;
		} else {
			error = gm_error_set(GM_EINVAL, "invalid record kind %d", (int)r->kind);
			break;
		}
		if ((error = write_record(&j->buf, r)) < 0)
			break;
	}
	if (error < 0) {
		/* none of the batch is written */
		j->buf.len = mark;
		j->buf.oom = 0;
		if (j->buf.p)
			j->buf.p[mark] = '\0';
		return error;
	}
	j->wrote_rel = wrote_rel;
	b->nodes_written += nodes;
	b->rels_written += rels;
	return j->buf.len >= FLUSH_AT ? flush(j) : 0;
}

static int jsonl_commit(struct gm_backend *b)
{
	struct jsonl *j = (struct jsonl *)b;
	int error;

	if ((error = gm_buf_printf(&j->buf,
				   "{\"gmig\":\"end\",\"nodes\":%" PRIu64
				   ",\"relationships\":%" PRIu64 "}\n",
				   b->nodes_written, b->rels_written)) < 0 ||
	    (error = flush(j)) < 0)
		return error;
	return gm_out_commit(j->out);
}

static int jsonl_sync(struct gm_backend *b, uint64_t *pos)
{
	struct jsonl *j = (struct jsonl *)b;
	int error;

	if ((error = flush(j)) < 0)
		return error;
	return gm_out_sync(j->out, pos);
}

/* ---- open / close / probe ---- */

static int jsonl_close(struct gm_backend *b)
{
	struct jsonl *j = (struct jsonl *)b;

	if (!j)
		return 0;
	gm_json_reader_free(j->r);
	gm_in_free(j->in);
	gm_out_free(j->out);
	gm_buf_free(&j->buf);
	gm_free(j);
	return 0;
}

static int jsonl_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct jsonl *j = gm_calloc(1, sizeof(*j));
	int error;

	*out = NULL;
	if (!j)
		return GM_ENOMEM;
	if (o->mode == GM_OPEN_READ) {
		if ((error = gm_in_open(&j->in, location)) < 0 ||
		    (error = gm_json_reader_new(&j->r, j->in, GM_JSON_SEQ | GM_JSON_NOCOPY)) < 0)
			goto fail;
		j->base.progress_total = gm_in_raw_total(j->in);
	} else if (o->flags & GM_OPEN_F_RESUME) {
		/* the header and the records of the committed batches are in the temporary */
		if ((error = gm_out_resume(&j->out, location,
					   (o->flags & GM_OPEN_F_OVERWRITE) ? GM_OUT_OVERWRITE : 0,
					   o->resume_size)) < 0)
			goto fail;
		j->wrote_rel = o->resume_rels > 0;
	} else {
		if ((error = gm_out_open(&j->out, location,
					 (o->flags & GM_OPEN_F_OVERWRITE) ? GM_OUT_OVERWRITE : 0)) <
			    0 ||
		    (error = gm_buf_puts(&j->buf, "{\"gmig\":1}\n")) < 0)
			goto fail;
	}
	*out = &j->base;
	return 0;
fail:
	jsonl_close(&j->base);
	return error;
}

static int jsonl_probe(const unsigned char *head, size_t len)
{
	if (len >= 8 && !memcmp(head, "{\"gmig\":", 8))
		return 100;
	if (len >= 14 && !memcmp(head, "{\"type\":\"node\"", 14))
		return 60;
	return 0;
}

static const char *const jsonl_suffixes[] = {".jsonl", ".ndjson", ".gmig.jsonl", NULL};

const struct gm_backend_ops gm_backend_jsonl = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "jsonl",
	.summary = "gmig JSON Lines, the default dump format (typed values, exact round trip)",
	.suffixes = jsonl_suffixes,
	.caps = GM_CAP_READ | GM_CAP_WRITE | GM_CAP_FILE | GM_CAP_RESUME,
	.types = GM_TYPES_ALL,
	.probe = jsonl_probe,
	.open = jsonl_open,
	.read_next = jsonl_read_next,
	.write_batch = jsonl_write_batch,
	.commit = jsonl_commit,
	.close = jsonl_close,
	.sync = jsonl_sync,
};
