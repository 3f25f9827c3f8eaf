/* SPDX-License-Identifier: MIT */
/*
 * The "mgjson" backend: MemoryGraph's JSON export/import file (`memorygraph
 * export --format json`, `memorygraph import --format json`), read + write.
 *
 * Layout (v2.0, what MemoryGraph 0.12 writes; json.dump(indent=2), ASCII
 * escapes, Python float repr, no trailing newline):
 *
 *   {
 *     "format_version": "2.0",
 *     "export_version": "1.0",
 *     "export_date": "2026-11-22T15:17:12.958263+00:00",
 *     "backend_type": "sqlite",
 *     "memory_count": 2,
 *     "relationship_count": 1,
 *     "memories": [
 *       {"id", "type", "title", "content", "summary" (null when absent), "tags",
 *        "importance", "confidence", "created_at", "updated_at",
 *        "context": {"project_path", "files_involved", "languages",
 *                    "frameworks", "technologies", "additional_metadata"}}  (context only when set)
 *     ],
 *     "relationships": [
 *       {"from_memory_id", "to_memory_id", "type",
 *        "properties": {"strength", "confidence", "context", "evidence_count"}}
 *     ]
 *   }
 *
 * v1.0 has only "export_version" and relationships may carry "id". Timestamps
 * come as Python isoformat ("+00:00", 0 or 6 fraction digits) or, from the
 * TypeScript port, "...T...:...:....123Z".
 *
 * Reading (streaming: one memory or relationship at a time): memories become
 * (:Memory) nodes with the properties MemoryGraph's SQLite and Cypher stores
 * hold for them (memorygraph.c): key = "id", members as they are, null members
 * left out, the "context" object flattened to context_<field> (a non-empty
 * list stays a list, an empty list becomes the string "[]", an object becomes
 * its json.dumps text), timestamps as written. Relationships: type, from/to,
 * the members of "properties" that are not null, key = "id" when there is one.
 * Top-level keys may come in any order, but memories must come before
 * relationships; a missing version is an error, as in MemoryGraph.
 *
 * Writing produces v2.0 exactly as `memorygraph export` does, byte for byte,
 * with these parameters: export_date=ISO (default: now), backend_type=NAME
 * (default "sqlite"). The format is lossy by MemoryGraph's design: a memory
 * keeps only the fields above (no usage_count, effectiveness, last_accessed,
 * other context fields, no timestamps of the store), a relationship only
 * strength, confidence, context and evidence_count (defaults 0.5, 0.8, null,
 * 1) and no id. As in MemoryGraph's export, only current relationships are
 * written: one with a valid_until is refused (GM_EUNSUPPORTED) unless
 * lossy=drop, which leaves it out and counts it in gm_backend.dropped; memories are written in the
 * order they come (MemoryGraph sorts by importance, then created_at, both
 * descending). Only (:Memory) nodes fit the format; other nodes are rejected
 * (GM_EDATA). The counts come first in the file, so the two arrays go to
 * unlinked temporary files next to the target and are assembled on commit:
 * memory stays bounded. With lossy=stringify, values JSON has no type for
 * are written as text (DateTime as Python isoformat()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "json.h"
#include "mgmap.h"
#include "pyjson.h"
#include "typedjson.h"

enum state { S_TOP, S_MEMORIES, S_RELS, S_DONE };

struct mgj {
	struct gm_backend base;
	/* reading */
	struct gm_in *in;
	struct gm_json_reader *r;
	enum state st;
	int have_version, saw_mem, saw_rel, fatal;
	uint64_t nmem, nrel;
	/* writing */
	struct gm_out *out;
	FILE *fm, *fr;
	struct gm_buf bm, br, tmp;
	struct gm_arena *scratch;
	uint64_t wmem, wrel;
	unsigned int lossy; /* GM_LOSSY_*: drop leaves invalidated relationships out */
	char export_date[64], backend_type[64];
};

/* ---- reading ---- */

static int bad(struct mgj *j, const char *what, uint64_t n, const struct gm_json_token *t,
	       const char *why)
{
	return gm_error_set(
		GM_EDATA, "invalid %s %" PRIu64 " in '%s' (line %" PRIu64 ", byte %" PRIu64 "): %s",
		what, n, gm_in_name(j->in), t->line, t->offset, why);
}

static int fatal(struct mgj *j, int error)
{
	if (error < 0 && error != GM_EDATA && error != GM_ENOMEM)
		j->fatal = error;
	else if (error == GM_EDATA)
		j->fatal = GM_ECORRUPT; /* a syntax error: the document cannot be followed */
	return error;
}

/* Python json.dumps text of a value, as an arena string. */
static int dumps(struct mgj *j, const struct gm_value *v, struct gm_arena *a, struct gm_value *out)
{
	char *p;
	int error;

	gm_buf_clear(&j->tmp);
	if ((error = gm_pyjson_value(&j->tmp, v, -1, 0)) < 0)
		return error;
	if (!(p = gm_arena_strdup(a, j->tmp.p ? j->tmp.p : "", j->tmp.len)))
		return GM_ENOMEM;
	out->type = GM_T_STRING;
	out->u.s.p = p;
	out->u.s.len = j->tmp.len;
	return 0;
}

static int scalar(const struct gm_value *v)
{
	return v->type == GM_T_STRING || v->type == GM_T_INT || v->type == GM_T_FLOAT ||
	       v->type == GM_T_BOOL;
}

/* A memory object -> a (:Memory) node with MemoryGraph's stored properties. */
static int memory_record(struct mgj *j, const struct gm_value *v, const struct gm_json_token *t,
			 struct gm_record *rec, struct gm_arena *a)
{
	const struct gm_value *id = NULL, *ctx = NULL;
	struct gm_prop *p;
	size_t n = 0, cap;
	int error;

	if (v->type != GM_T_MAP)
		return bad(j, "memory", j->nmem, t, "not an object");
	id = gm__mg_prop(v->u.map.p, v->u.map.n, "id");
	if (!id || id->type != GM_T_STRING)
		return bad(j, "memory", j->nmem, t, "missing \"id\" string");
	ctx = gm__mg_prop(v->u.map.p, v->u.map.n, "context");
	cap = v->u.map.n + (ctx && ctx->type == GM_T_MAP ? ctx->u.map.n : 0);
	if (!(p = gm_arena_alloc(a, (cap ? cap : 1) * sizeof(*p))))
		return GM_ENOMEM;
	for (size_t i = 0; i < v->u.map.n; i++) {
		const struct gm_prop *m = &v->u.map.p[i];

		if (m->val.type == GM_T_NULL)
			continue;
		if (&m->val != ctx || ctx->type != GM_T_MAP) {
			p[n++] = *m;
			continue;
		}
		for (size_t k = 0; k < ctx->u.map.n; k++) {
			const struct gm_prop *c = &ctx->u.map.p[k];
			char *key;
			int all_scalar = 1;

			if (c->val.type == GM_T_NULL)
				continue;
			if (!(key = gm_arena_alloc(a, c->key.len + 9)))
				return GM_ENOMEM;
			memcpy(key, "context_", 8);
			memcpy(key + 8, c->key.p, c->key.len);
			key[8 + c->key.len] = '\0';
			p[n].key.p = key;
			p[n].key.len = c->key.len + 8;
			if (c->val.type == GM_T_LIST)
				for (size_t e = 0; e < c->val.u.list.n; e++)
					all_scalar &= scalar(&c->val.u.list.v[e]);
			/* MemoryNode.to_neo4j_properties: lists of scalars stay, an empty
			 * list or a nested one and dicts become JSON text */
			if ((c->val.type == GM_T_LIST && (!c->val.u.list.n || !all_scalar)) ||
			    c->val.type == GM_T_MAP) {
				if ((error = dumps(j, &c->val, a, &p[n].val)) < 0)
					return error;
			} else {
				p[n].val = c->val;
			}
			n++;
		}
	}
	rec->kind = GM_NODE;
	rec->key = id->u.s;
	if (!(rec->labels = gm_arena_alloc(a, sizeof(*rec->labels))))
		return GM_ENOMEM;
	rec->labels[0] = gm_str_c("Memory");
	rec->nlabels = 1;
	rec->props = p;
	rec->nprops = n;
	return 0;
}

static int rel_record(struct mgj *j, const struct gm_value *v, const struct gm_json_token *t,
		      struct gm_record *rec, struct gm_arena *a)
{
	const struct gm_value *f, *to, *ty, *id, *pr;
	struct gm_prop *p;
	size_t n = 0;

	if (v->type != GM_T_MAP)
		return bad(j, "relationship", j->nrel, t, "not an object");
	f = gm__mg_prop(v->u.map.p, v->u.map.n, "from_memory_id");
	to = gm__mg_prop(v->u.map.p, v->u.map.n, "to_memory_id");
	ty = gm__mg_prop(v->u.map.p, v->u.map.n, "type");
	id = gm__mg_prop(v->u.map.p, v->u.map.n, "id");
	pr = gm__mg_prop(v->u.map.p, v->u.map.n, "properties");
	if (!f || f->type != GM_T_STRING || !to || to->type != GM_T_STRING)
		return bad(j, "relationship", j->nrel, t,
			   "\"from_memory_id\" and \"to_memory_id\" must be strings");
	if (!ty || ty->type != GM_T_STRING)
		return bad(j, "relationship", j->nrel, t, "missing \"type\" string");
	if (pr && pr->type != GM_T_MAP && pr->type != GM_T_NULL)
		return bad(j, "relationship", j->nrel, t, "\"properties\" must be an object");
	if (!(p = gm_arena_alloc(a, (v->u.map.n + (pr && pr->type == GM_T_MAP ? pr->u.map.n : 0)) *
					    sizeof(*p))))
		return GM_ENOMEM;
	for (size_t i = 0; pr && pr->type == GM_T_MAP && i < pr->u.map.n; i++)
		if (pr->u.map.p[i].val.type != GM_T_NULL)
			p[n++] = pr->u.map.p[i];
	/* anything else a writer put beside them is kept, unless it clashes */
	for (size_t i = 0; i < v->u.map.n; i++) {
		const struct gm_prop *m = &v->u.map.p[i];

		if (&m->val == f || &m->val == to || &m->val == ty || &m->val == id ||
		    &m->val == pr || m->val.type == GM_T_NULL ||
		    gm__mg_prop(p, n, m->key.p ? m->key.p : ""))
			continue;
		p[n++] = *m;
	}
	rec->kind = GM_REL;
	rec->from = f->u.s;
	rec->to = to->u.s;
	rec->type = ty->u.s;
	if (id && id->type == GM_T_STRING)
		rec->key = id->u.s;
	rec->props = p;
	rec->nprops = n;
	return 0;
}

static int mgj_read_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct mgj *j = (struct mgj *)b;
	struct gm_json_token t;
	struct gm_value v;
	int error;

	if (j->fatal)
		return j->fatal;
	for (;;) {
		b->progress_done = gm_in_raw_done(j->in);
		if (j->st == S_DONE)
			return GM_ITEROVER;
		if ((error = gm_json_next(j->r, &t)) < 0)
			return fatal(j, error);
		if (j->st == S_MEMORIES || j->st == S_RELS) {
			int mem = j->st == S_MEMORIES;

			if (t.tok == GM_JSON_ARR_END) {
				j->st = S_TOP;
				continue;
			}
			if ((error = gm_tjson_read(j->r, &t, a, &v, GM_TJ_PLAIN)) < 0)
				return fatal(j, error);
			memset(rec, 0, sizeof(*rec));
			rec->line = t.line;
			rec->offset = t.offset;
			if (mem) {
				j->nmem++;
				return memory_record(j, &v, &t, rec, a);
			}
			j->nrel++;
			return rel_record(j, &v, &t, rec, a);
		}
		/* S_TOP: the document's '{', then keys */
		if (t.tok == GM_JSON_OBJ_BEGIN && t.depth == 1)
			continue;
		if (t.tok == GM_JSON_OBJ_END && t.depth == 0) {
			if ((error = gm_json_next(j->r, &t)) < 0)
				return fatal(j, error);
			if (!j->have_version)
				return j->fatal = gm_error_set(
					       GM_ECORRUPT,
					       "'%s' is not a MemoryGraph export: missing version "
					       "information (\"format_version\" or "
					       "\"export_version\")",
					       gm_in_name(j->in));
			if (!j->saw_mem || !j->saw_rel)
				return j->fatal = gm_error_set(
					       GM_ECORRUPT,
					       "'%s' is not a MemoryGraph export: it needs "
					       "\"memories\" and \"relationships\"",
					       gm_in_name(j->in));
			j->st = S_DONE;
			return GM_ITEROVER;
		}
		if (t.tok != GM_JSON_KEY || t.depth != 1)
			return j->fatal = gm_error_set(GM_ECORRUPT,
						       "'%s' (line %" PRIu64 ", byte %" PRIu64
						       "): not a MemoryGraph export (a JSON object "
						       "expected)",
						       gm_in_name(j->in), t.line, t.offset);
		if ((t.len == 14 && !memcmp(t.text, "format_version", 14)) ||
		    (t.len == 14 && !memcmp(t.text, "export_version", 14))) {
			j->have_version = 1;
			if ((error = gm_json_skip(j->r)) < 0)
				return fatal(j, error);
		} else if ((t.len == 8 && !memcmp(t.text, "memories", 8)) ||
			   (t.len == 13 && !memcmp(t.text, "relationships", 13))) {
			int mem = t.len == 8;
			struct gm_json_token k = t;

			if ((error = gm_json_next(j->r, &t)) < 0)
				return fatal(j, error);
			if (t.tok != GM_JSON_ARR_BEGIN)
				return j->fatal = gm_error_set(GM_ECORRUPT,
							       "'%s' (line %" PRIu64
							       "): \"%s\" must be an array",
							       gm_in_name(j->in), k.line,
							       mem ? "memories" : "relationships");
			if (mem && j->saw_rel)
				return j->fatal = gm_error_set(
					       GM_ECORRUPT,
					       "'%s' (line %" PRIu64 "): \"memories\" after "
					       "\"relationships\"; gmig reads the memories first",
					       gm_in_name(j->in), k.line);
			if ((mem && j->saw_mem) || (!mem && j->saw_rel))
				return j->fatal = gm_error_set(GM_ECORRUPT,
							       "'%s' (line %" PRIu64
							       "): duplicate key \"%s\"",
							       gm_in_name(j->in), k.line,
							       mem ? "memories" : "relationships");
			if (mem)
				j->saw_mem = 1;
			else
				j->saw_rel = 1;
			j->st = mem ? S_MEMORIES : S_RELS;
		} else if ((error = gm_json_skip(j->r)) < 0) {
			return fatal(j, error);
		}
	}
}

/* ---- writing ---- */

static int pm(struct gm_prop *p, const char *key, struct gm_value v)
{
	p->key = gm_str_c(key);
	p->val = v;
	return 1;
}

static struct gm_value as_float(const struct gm_value *v, double d)
{
	struct gm_value x = {.type = GM_T_FLOAT};

	if (!v) {
		x.u.f = d;
		return x;
	}
	if (v->type == GM_T_INT) {
		x.u.f = (double)v->u.i;
		return x;
	}
	return *v;
}

/* A context_* string that MemoryGraph's reader JSON-decodes. */
static int decode(struct mgj *j, const struct gm_value *v, int always, struct gm_value *out)
{
	struct gm_in *in = NULL;
	struct gm_json_reader *r = NULL;
	struct gm_json_token t;
	int error;

	*out = *v;
	if (v->type != GM_T_STRING || !v->u.s.len ||
	    (!always && v->u.s.p[0] != '[' && v->u.s.p[0] != '{'))
		return 0;
	if ((error = gm_in_open_mem(&in, v->u.s.p, v->u.s.len, "context")) == 0 &&
	    (error = gm_json_reader_new(&r, in, 0)) == 0 &&
	    (error = gm_tjson_read(r, NULL, j->scratch, out, GM_TJ_PLAIN)) == 0 &&
	    (error = gm_json_next(r, &t)) == 0 && t.tok != GM_JSON_EOF)
		error = GM_EDATA;
	gm_json_reader_free(r);
	gm_in_free(in);
	if (error == GM_ENOMEM)
		return error;
	if (error < 0) { /* json.JSONDecodeError: the string stays */
		gm_error_clear();
		*out = *v;
	}
	return 0;
}

static int iso(struct mgj *j, const struct gm_value *v, struct gm_value *out)
{
	char *p;
	int error;

	if (!v || v->type != GM_T_STRING) {
		*out = v ? *v : (struct gm_value){.type = GM_T_NULL};
		return 0;
	}
	gm_buf_clear(&j->tmp);
	if ((error = gm__mg_isoformat(&j->tmp, v->u.s.p, v->u.s.len)) < 0)
		return error;
	if (!(p = gm_arena_strdup(j->scratch, j->tmp.p ? j->tmp.p : "", j->tmp.len)))
		return GM_ENOMEM;
	*out = (struct gm_value){.type = GM_T_STRING, .u.s = {p, j->tmp.len}};
	return 0;
}

static const char *const ctx_fields[] = {
	"project_path", "files_involved",      "languages", "frameworks",
	"technologies", "additional_metadata", NULL};

static int write_memory(struct mgj *j, const struct gm_record *r, struct gm_buf *out)
{
	const struct gm_prop *rp = r->props;
	size_t rn = r->nprops;
	const struct gm_value *v;
	struct gm_prop top[11], ctx[6];
	struct gm_value obj = {.type = GM_T_MAP}, c, x;
	size_t n = 0, nc = 0;
	int has_ctx = 0, is_mem = 0, error;

	for (size_t i = 0; i < r->nlabels; i++)
		is_mem |= r->labels[i].len == 6 && !memcmp(r->labels[i].p, "Memory", 6);
	if (!is_mem)
		return gm_error_set(GM_EDATA,
				    "invalid node \"%.*s\" for '%s': a MemoryGraph export holds "
				    "only :Memory nodes",
				    (int)r->key.len, r->key.p ? r->key.p : "", gm_out_name(j->out));
	gm_arena_reset(j->scratch);
	v = gm__mg_prop(rp, rn, "id");
	n += pm(&top[n], "id", v ? *v : (struct gm_value){.type = GM_T_STRING, .u.s = r->key});
	v = gm__mg_prop(rp, rn, "type");
	n += pm(&top[n], "type", v ? *v : (struct gm_value){.type = GM_T_NULL});
	v = gm__mg_prop(rp, rn, "title");
	n += pm(&top[n], "title", v ? *v : (struct gm_value){.type = GM_T_NULL});
	v = gm__mg_prop(rp, rn, "content");
	n += pm(&top[n], "content", v ? *v : (struct gm_value){.type = GM_T_NULL});
	v = gm__mg_prop(rp, rn, "summary");
	n += pm(&top[n], "summary", v ? *v : (struct gm_value){.type = GM_T_NULL});
	v = gm__mg_prop(rp, rn, "tags");
	n += pm(&top[n], "tags", v ? *v : (struct gm_value){.type = GM_T_LIST});
	n += pm(&top[n], "importance", as_float(gm__mg_prop(rp, rn, "importance"), 0.5));
	n += pm(&top[n], "confidence", as_float(gm__mg_prop(rp, rn, "confidence"), 0.8));
	if ((error = iso(j, gm__mg_prop(rp, rn, "created_at"), &x)) < 0)
		return error;
	n += pm(&top[n], "created_at", x);
	if ((error = iso(j, gm__mg_prop(rp, rn, "updated_at"), &x)) < 0)
		return error;
	n += pm(&top[n], "updated_at", x);
	/* a memory has a context when any context_* value is set (memory_parser.py) */
	for (size_t i = 0; i < rn; i++)
		has_ctx |= rp[i].key.len > 8 && !memcmp(rp[i].key.p, "context_", 8) &&
			   rp[i].val.type != GM_T_NULL;
	if (has_ctx) {
		for (size_t f = 0; ctx_fields[f]; f++) {
			char key[40];

			snprintf(key, sizeof(key), "context_%s", ctx_fields[f]);
			v = gm__mg_prop(rp, rn, key);
			if (v && v->type != GM_T_NULL) {
				if ((error = decode(j, v, f == 5, &x)) < 0)
					return error;
			} else if (f == 0) {
				continue; /* project_path: None is left out */
			} else {
				x = (struct gm_value){.type = f == 5 ? GM_T_MAP : GM_T_LIST};
			}
			nc += pm(&ctx[nc], ctx_fields[f], x);
		}
		c = (struct gm_value){.type = GM_T_MAP};
		c.u.map.p = ctx;
		c.u.map.n = nc;
		n += pm(&top[n], "context", c);
	}
	obj.u.map.p = top;
	obj.u.map.n = n;
	if ((error = gm_buf_puts(out, j->wmem || out->len ? ",\n    " : "\n    ")) < 0)
		return error;
	return gm_pyjson_value(out, &obj, 2, 2);
}

static int write_rel(const struct gm_record *r, struct gm_buf *out, int first)
{
	const struct gm_prop *rp = r->props;
	size_t rn = r->nprops;
	const struct gm_value *v;
	struct gm_prop top[4], pp[4];
	struct gm_value obj = {.type = GM_T_MAP}, props = {.type = GM_T_MAP};
	int error;

	pm(&top[0], "from_memory_id", (struct gm_value){.type = GM_T_STRING, .u.s = r->from});
	pm(&top[1], "to_memory_id", (struct gm_value){.type = GM_T_STRING, .u.s = r->to});
	pm(&top[2], "type", (struct gm_value){.type = GM_T_STRING, .u.s = r->type});
	pm(&pp[0], "strength", as_float(gm__mg_prop(rp, rn, "strength"), 0.5));
	pm(&pp[1], "confidence", as_float(gm__mg_prop(rp, rn, "confidence"), 0.8));
	v = gm__mg_prop(rp, rn, "context");
	pm(&pp[2], "context", v ? *v : (struct gm_value){.type = GM_T_NULL});
	v = gm__mg_prop(rp, rn, "evidence_count");
	pm(&pp[3], "evidence_count", v ? *v : (struct gm_value){.type = GM_T_INT, .u.i = 1});
	props.u.map.p = pp;
	props.u.map.n = 4;
	pm(&top[3], "properties", props);
	obj.u.map.p = top;
	obj.u.map.n = 4;
	if ((error = gm_buf_puts(out, first ? "\n    " : ",\n    ")) < 0)
		return error;
	return gm_pyjson_value(out, &obj, 2, 2);
}

static int mgj_write_batch(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	struct mgj *j = (struct mgj *)b;
	uint64_t nm = 0, nr = 0;
	int error = 0;

	gm_buf_clear(&j->bm);
	gm_buf_clear(&j->br);
	for (size_t i = 0; i < n && !error; i++) {
		const struct gm_record *r = &recs[i];

		if (r->kind == GM_NODE) {
			if (!(error = write_memory(j, r, &j->bm)))
				nm++;
		} else {
			const struct gm_value *vu = gm__mg_prop(r->props, r->nprops, "valid_until");

			/*
			 * The format holds only current relationships (MemoryGraph's
			 * export leaves the others out). Never silently: refused, or
			 * left out and counted when the user asked for lossy=drop.
			 */
			if (vu && vu->type != GM_T_NULL) {
				if (j->lossy & GM_LOSSY_DROP) {
					b->dropped++;
					continue;
				}
				return gm_error_set(
					GM_EUNSUPPORTED,
					"relationship '%.*s' is invalidated (valid_until is set): "
					"MemoryGraph's JSON holds only current relationships; "
					"--lossy=drop leaves such relationships out (counted), "
					"memorygraph: or gmig JSONL keep them",
					(int)r->key.len, r->key.p ? r->key.p : "");
			}
			if (!(error = write_rel(r, &j->br, j->wrel + nr == 0)))
				nr++;
		}
	}
	if (error < 0)
		return error;
	if ((j->bm.len && fwrite(j->bm.p, 1, j->bm.len, j->fm) != j->bm.len) ||
	    (j->br.len && fwrite(j->br.p, 1, j->br.len, j->fr) != j->br.len))
		return gm_error_set(GM_EIO, "cannot write a temporary file for '%s': %s",
				    gm_out_name(j->out), strerror(errno));
	j->wmem += nm;
	j->wrel += nr;
	b->nodes_written += nm;
	b->rels_written += nr;
	return 0;
}

static int copy_file(struct mgj *j, FILE *f)
{
	char buf[65536];
	size_t k;
	int error;

	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		return gm_error_set(GM_EIO, "temporary file for '%s': %s", gm_out_name(j->out),
				    strerror(errno));
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		if ((error = gm_out_write(j->out, buf, k)) < 0)
			return error;
	if (ferror(f))
		return gm_error_set(GM_EIO, "temporary file for '%s': read error",
				    gm_out_name(j->out));
	return 0;
}

static int mgj_commit(struct gm_backend *b)
{
	struct mgj *j = (struct mgj *)b;
	struct gm_buf h = GM_BUF_INIT;
	int error;

	if ((error = gm_buf_puts(&h, "{\n  \"format_version\": \"2.0\",\n  \"export_version\": "
				     "\"1.0\",\n  \"export_date\": ")) < 0 ||
	    (error = gm_pyjson_string(&h, j->export_date, strlen(j->export_date))) < 0 ||
	    (error = gm_buf_puts(&h, ",\n  \"backend_type\": ")) < 0 ||
	    (error = gm_pyjson_string(&h, j->backend_type, strlen(j->backend_type))) < 0 ||
	    (error = gm_buf_printf(&h,
				   ",\n  \"memory_count\": %" PRIu64
				   ",\n  \"relationship_count\": %" PRIu64 ",\n  \"memories\": %s",
				   j->wmem, j->wrel, j->wmem ? "[" : "[]")) < 0 ||
	    (error = gm_out_write(j->out, h.p, h.len)) < 0)
		goto done;
	if (j->wmem &&
	    ((error = copy_file(j, j->fm)) < 0 || (error = gm_out_write(j->out, "\n  ]", 4)) < 0))
		goto done;
	if ((error = gm_out_write(j->out, ",\n  \"relationships\": ", 21)) < 0 ||
	    (error = gm_out_write(j->out, j->wrel ? "[" : "[]", j->wrel ? 1 : 2)) < 0)
		goto done;
	if (j->wrel &&
	    ((error = copy_file(j, j->fr)) < 0 || (error = gm_out_write(j->out, "\n  ]", 4)) < 0))
		goto done;
	if ((error = gm_out_write(j->out, "\n}", 2)) < 0)
		goto done;
	error = gm_out_commit(j->out);
done:
	gm_buf_free(&h);
	return error;
}

/* ---- open / close / probe ---- */

static int mgj_close(struct gm_backend *b)
{
	struct mgj *j = (struct mgj *)b;

	if (!j)
		return 0;
	gm_json_reader_free(j->r);
	gm_in_free(j->in);
	gm_out_free(j->out);
	if (j->fm)
		fclose(j->fm);
	if (j->fr)
		fclose(j->fr);
	gm_buf_free(&j->bm);
	gm_buf_free(&j->br);
	gm_buf_free(&j->tmp);
	gm_arena_free(j->scratch);
	gm_free(j);
	return 0;
}

/* An unlinked scratch file beside the target (so it is on the same disk). */
static FILE *scratch_file(const char *target, const char *tag)
{
	char name[4200];
	FILE *f;

	if (!strcmp(target, "-"))
		return tmpfile();
	snprintf(name, sizeof(name), "%s.%s.%ld.tmp", target, tag, (long)getpid());
	if (!(f = fopen(name, "w+")))
		return NULL;
	unlink(name);
	return f;
}

static void param(const char *params, const char *key, char *out, size_t size, const char *def)
{
	struct gm_str v;

	if (gm_params_get(params, key, &v))
		snprintf(out, size, "%.*s", (int)v.len, v.p);
	else
		snprintf(out, size, "%s", def);
}

static int mgj_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct mgj *j = gm_calloc(1, sizeof(*j));
	int error;

	*out = NULL;
	if (!j)
		return GM_ENOMEM;
	if (o->mode == GM_OPEN_READ) {
		if ((error = gm_in_open(&j->in, location)) < 0 ||
		    (error = gm_json_reader_new(&j->r, j->in, 0)) < 0)
			goto fail;
		j->base.progress_total = gm_in_raw_total(j->in);
	} else {
		char now[40];

		j->lossy = o->lossy;
		gm__mg_now(now);
		param(o->params, "export_date", j->export_date, sizeof(j->export_date), now);
		param(o->params, "backend_type", j->backend_type, sizeof(j->backend_type),
		      "sqlite");
		if ((error = gm_out_open(&j->out, location,
					 (o->flags & GM_OPEN_F_OVERWRITE) ? GM_OUT_OVERWRITE : 0)) <
			    0 ||
		    (error = gm_arena_new(&j->scratch)) < 0)
			goto fail;
		if (!(j->fm = scratch_file(location, "memories")) ||
		    !(j->fr = scratch_file(location, "relationships"))) {
			error = gm_error_set(GM_EIO, "cannot create a temporary file for '%s': %s",
					     location, strerror(errno));
			goto fail;
		}
	}
	*out = &j->base;
	return 0;
fail:
	mgj_close(&j->base);
	return error;
}

extern const struct gm_backend_ops gm_backend_mgjson;

/* For the fuzz target: a reader over memory (data must outlive it). */
int gm__mgjson_open_mem(struct gm_backend **out, const void *data, size_t len);
int gm__mgjson_open_mem(struct gm_backend **out, const void *data, size_t len)
{
	struct mgj *j = gm_calloc(1, sizeof(*j));
	int error;

	*out = NULL;
	if (!j)
		return GM_ENOMEM;
	if ((error = gm_in_open_mem(&j->in, data, len, "fuzz")) < 0 ||
	    (error = gm_json_reader_new(&j->r, j->in, 0)) < 0) {
		mgj_close(&j->base);
		return error;
	}
	j->base.ops = &gm_backend_mgjson;
	*out = &j->base;
	return 0;
}

static int mgj_probe(const unsigned char *head, size_t len)
{
	size_t i = 0, lim = len < 512 ? len : 512;

	while (i < len && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
		i++;
	if (i >= len || head[i] != '{')
		return 0;
	for (; i + 16 <= lim; i++)
		if (!memcmp(head + i, "\"format_version\"", 16) ||
		    !memcmp(head + i, "\"export_version\"", 16))
			return 90;
	return 0;
}

static const char *const mgj_suffixes[] = {".mg.json", NULL};

const struct gm_backend_ops gm_backend_mgjson = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "mgjson",
	.summary = "MemoryGraph JSON export (reads v1.0/v2.0; writes v2.0 as `memorygraph "
		   "export`, lossy by its design)",
	.suffixes = mgj_suffixes,
	.caps = GM_CAP_READ | GM_CAP_WRITE | GM_CAP_FILE | GM_CAP_LOSSY,
	.types = GM_TYPE_BIT(GM_T_NULL) | GM_TYPE_BIT(GM_T_BOOL) | GM_TYPE_BIT(GM_T_INT) |
		 GM_TYPE_BIT(GM_T_FLOAT) | GM_TYPE_BIT(GM_T_STRING) | GM_TYPE_BIT(GM_T_LIST) |
		 GM_TYPE_BIT(GM_T_MAP),
	.probe = mgj_probe,
	.open = mgj_open,
	.read_next = mgj_read_next,
	.write_batch = mgj_write_batch,
	.commit = mgj_commit,
	.close = mgj_close,
};
