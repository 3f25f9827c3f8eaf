/* SPDX-License-Identifier: MIT */
/*
 * Cypher script (write only): a file for cypher-shell in the shape of
 * apoc.export.cypher.all's default output (format 'cypher-shell', UNWIND
 * batches, parameters inlined), so a graph can be loaded with
 * `cypher-shell -f graph.cypher`:
 *
 *   :begin
 *   CREATE CONSTRAINT UNIQUE_IMPORT_NAME IF NOT EXISTS FOR (n:`UNIQUE IMPORT LABEL`) REQUIRE (n.`UNIQUE IMPORT ID`) IS UNIQUE;
 *   :commit
 *   CALL db.awaitIndexes(300);
 *   :begin
 *   UNWIND [{_id:"n1", properties:{age:42, name:"Ann"}}, {_id:"n2", properties:{}}] AS row
 *   CREATE (n:`UNIQUE IMPORT LABEL`{`UNIQUE IMPORT ID`: row._id}) SET n += row.properties SET n:Person;
 *   :commit
 *   :begin
 *   UNWIND [{start: {_id:"n1"}, end: {_id:"n2"}, properties:{since:2016}}] AS row
 *   MATCH (start:`UNIQUE IMPORT LABEL`{`UNIQUE IMPORT ID`: row.start._id})
 *   MATCH (end:`UNIQUE IMPORT LABEL`{`UNIQUE IMPORT ID`: row.end._id})
 *   CREATE (start)-[r:KNOWS]->(end) SET r += row.properties;
 *   :commit
 *   :begin
 *   MATCH (n:`UNIQUE IMPORT LABEL`)  WITH n LIMIT 1000 REMOVE n:`UNIQUE IMPORT LABEL` REMOVE n.`UNIQUE IMPORT ID`;
 *   :commit
 *   :begin
 *   DROP CONSTRAINT UNIQUE_IMPORT_NAME;
 *   :commit
 *
 * Every node gets the temporary label `UNIQUE IMPORT LABEL` and its key as
 * the property `UNIQUE IMPORT ID` (a string) so relationships can find their
 * endpoints through the constraint's index; the cleanup statement removes
 * both, batch by batch (it is repeated ceil(nodes / batch) times), and the
 * constraint is dropped at the end. Consecutive nodes with the same label set
 * (relationships with the same type) share one UNWIND statement of at most
 * batch rows (open option batch_size, default 1000); a transaction holds
 * statements until batch rows are in it, and nodes and relationships are
 * never in the same transaction. Labels come sorted (canonical records); a
 * node without labels has no "SET n:..." clause.
 *
 * Relationship keys are not written: they are gmig's own identity and
 * Cypher's CREATE makes a new relationship anyway. Reading the script back
 * into a store and exporting it gives relationships without keys.
 *
 * Literals: strings in double quotes with \\ \" \n \r \t escaped and other
 * control characters as \uXXXX (other characters raw UTF-8); integers in
 * decimal; floats in their shortest exact form (1.0, 1e300), NaN as 0.0/0.0,
 * Infinity as 1.0/0.0, -Infinity as -1.0/0.0, -0.0 as -0.0; true/false; lists
 * [a, b]; maps {key:v, `odd key`:v}; date('2015-07-04'), localtime('..'),
 * time('..'), localdatetime('..'), datetime('..'), duration('P1M'); points
 * point({x: 1.0, y: 2.0, crs: 'cartesian'}), point({x:.., y:.., z:.., crs:
 * 'cartesian-3d'}), point({longitude: 1.0, latitude: 2.0, crs: 'wgs-84'}),
 * point({longitude:.., latitude:.., height:.., crs: 'wgs-84-3d'}). Names
 * (labels, types, keys) are backtick-quoted unless they are plain ASCII
 * identifiers, with backticks doubled.
 *
 * Not expressible, refused with GM_EUNSUPPORTED naming record and property
 * unless the parameter lossy allows it (Cypher has no byte or vector
 * literal, and SET n += {p: null} removes p instead of storing a null):
 *   bytes            lossy=stringify: a base64 string
 *   vectors          lossy=stringify: a list of floats
 *   null properties  lossy=drop: left out ("lossy=stringify,drop" for both)
 * Points with other SRIDs are always refused. null inside lists and maps is
 * written as null.
 *
 * Parameters ("k=v&k2=v2"): lossy=stringify|drop.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cyphertext.h"
#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "valtext.h"

#define LOSSY_STRINGIFY GM_LOSSY_STRINGIFY
#define LOSSY_DROP GM_LOSSY_DROP
#define DEFAULT_BATCH 1000

#define IMPORT_LABEL "`UNIQUE IMPORT LABEL`"
#define IMPORT_ID "`UNIQUE IMPORT ID`"

struct cypher {
	struct gm_backend base;
	struct gm_out *out;
	unsigned int lossy;
	size_t batch;
	struct gm_buf buf;   /* text of the current write_batch */
	struct gm_buf group; /* the open statement's label set (": A:B") or type */
	int stmt_kind;	     /* kind of the open UNWIND statement, 0 when none */
	int tx_kind;	     /* kind of the open transaction, 0 when none */
	size_t stmt_rows, tx_rows;
};

/* The cypher backend takes no parameters of its own (lossy= is taken by the core). */
static int parse_params(struct cypher *s, const char *params)
{
	size_t kl;

	(void)s;
	if (!params || !*params)
		return 0;
	kl = strcspn(params, "=&");
	return gm_error_set(GM_EINVAL, "unknown parameter '%.*s' for the cypher backend", (int)kl,
			    params);
}

/* ---- literals (cyphertext.h) ---- */

static void put_name(struct gm_buf *b, struct gm_str n)
{
	gm__cy_put_name(b, n);
}

static void put_string(struct gm_buf *b, const char *p, size_t n)
{
	gm__cy_put_string(b, p, n, 0);
}

static int put_double(struct gm_buf *b, double d)
{
	return gm__cy_put_double(b, d, 0);
}

static int put_float32(struct gm_buf *b, float f)
{
	return gm__cy_put_float32(b, f, 0);
}

static int put_value(struct cypher *s, struct gm_buf *b, const struct gm_value *v);

static int put_call(struct gm_buf *b, const char *fn, const struct gm_value *v)
{
	int error;

	gm_buf_puts(b, fn);
	gm_buf_puts(b, "('");
	if ((error = gm_value_format_text(b, v)) < 0)
		return error;
	return gm_buf_puts(b, "')");
}

static int put_point(struct gm_buf *b, const struct gm_point *pt)
{
	int geo = pt->srid == 4326 || pt->srid == 4979;
	int error;

	gm_buf_puts(b, geo ? "point({longitude: " : "point({x: ");
	if ((error = put_double(b, pt->x)) < 0)
		return error;
	gm_buf_puts(b, geo ? ", latitude: " : ", y: ");
	if ((error = put_double(b, pt->y)) < 0)
		return error;
	if (pt->dim == 3) {
		gm_buf_puts(b, geo ? ", height: " : ", z: ");
		if ((error = put_double(b, pt->z)) < 0)
			return error;
	}
	gm_buf_puts(b, ", crs: '");
	gm_buf_puts(b, pt->srid == 4326	  ? "wgs-84"
		       : pt->srid == 4979 ? "wgs-84-3d"
		       : pt->srid == 7203 ? "cartesian"
					  : "cartesian-3d");
	return gm_buf_puts(b, "'})");
}

static int put_map(struct cypher *s, struct gm_buf *b, const struct gm_prop *p, size_t n, int top)
{
	size_t k = 0;
	int error;

	gm_buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (top && p[i].val.type == GM_T_NULL)
			continue; /* lossy=drop: checked before */
		if (k++)
			gm_buf_puts(b, ", ");
		put_name(b, p[i].key);
		gm_buf_putc(b, ':');
		if ((error = put_value(s, b, &p[i].val)) < 0)
			return error;
	}
	return gm_buf_putc(b, '}');
}

static int put_value(struct cypher *s, struct gm_buf *b, const struct gm_value *v)
{
	int error;

	switch (v->type) {
	case GM_T_NULL: return gm_buf_puts(b, "null");
	case GM_T_BOOL: return gm_buf_puts(b, v->u.b ? "true" : "false");
	case GM_T_INT: return gm_buf_put_i64(b, v->u.i);
	case GM_T_FLOAT: return put_double(b, v->u.f);
	case GM_T_STRING: put_string(b, v->u.s.p, v->u.s.len); return 0;
	case GM_T_BYTES: {
		struct gm_buf t = GM_BUF_INIT;

		if ((error = gm_base64_encode(&t, (const unsigned char *)v->u.s.p, v->u.s.len)) <
		    0) {
			gm_buf_free(&t);
			return error;
		}
		put_string(b, t.p ? t.p : "", t.len);
		gm_buf_free(&t);
		return 0;
	}
	case GM_T_LIST:
		gm_buf_putc(b, '[');
		for (size_t i = 0; i < v->u.list.n; i++) {
			if (i)
				gm_buf_puts(b, ", ");
			if ((error = put_value(s, b, &v->u.list.v[i])) < 0)
				return error;
		}
		return gm_buf_putc(b, ']');
	case GM_T_MAP: return put_map(s, b, v->u.map.p, v->u.map.n, 0);
	case GM_T_DATE: return put_call(b, "date", v);
	case GM_T_LOCALTIME: return put_call(b, "localtime", v);
	case GM_T_TIME: return put_call(b, "time", v);
	case GM_T_LOCALDATETIME: return put_call(b, "localdatetime", v);
	case GM_T_DATETIME: return put_call(b, "datetime", v);
	case GM_T_DURATION: return put_call(b, "duration", v);
	case GM_T_POINT: return put_point(b, &v->u.pt);
	case GM_T_VECTOR:
		gm_buf_putc(b, '[');
		for (size_t i = 0; i < v->u.vec.n; i++) {
			if (i)
				gm_buf_puts(b, ", ");
			if ((error = put_float32(b, v->u.vec.v[i])) < 0)
				return error;
		}
		return gm_buf_putc(b, ']');
	default: return gm_error_set(GM_EINVAL, "unknown value type %d", (int)v->type);
	}
}

/* The first value in v that cannot be written, or NULL. */
static const struct gm_value *unwritable(const struct cypher *s, const struct gm_value *v)
{
	const struct gm_value *bad;

	switch (v->type) {
	case GM_T_BYTES:
	case GM_T_VECTOR: return (s->lossy & LOSSY_STRINGIFY) ? NULL : v;
	case GM_T_POINT:
		if ((v->u.pt.dim == 2 && (v->u.pt.srid == 4326 || v->u.pt.srid == 7203)) ||
		    (v->u.pt.dim == 3 && (v->u.pt.srid == 4979 || v->u.pt.srid == 9157)))
			return NULL;
		return v;
	case GM_T_LIST:
		for (size_t i = 0; i < v->u.list.n; i++)
			if ((bad = unwritable(s, &v->u.list.v[i])))
				return bad;
		return NULL;
	case GM_T_MAP:
		for (size_t i = 0; i < v->u.map.n; i++)
			if ((bad = unwritable(s, &v->u.map.p[i].val)))
				return bad;
		return NULL;
	default: return NULL;
	}
}

static int check_record(const struct cypher *s, const struct gm_record *r)
{
	for (size_t k = 0; k < r->nprops; k++) {
		const struct gm_value *v = &r->props[k].val, *bad = v;
		const char *hint;
		char pos[40] = "";

		if (v->type == GM_T_NULL) {
			if (s->lossy & LOSSY_DROP)
				continue;
			hint = "SET would remove the property; parameter lossy=drop leaves null "
			       "properties out";
		} else if (!(bad = unwritable(s, v))) {
			continue;
		} else if (bad->type == GM_T_POINT) {
			hint = "a point with an SRID other than 4326, 4979, 7203 or 9157";
		} else {
			hint = "Cypher has no such literal; parameter lossy=stringify writes bytes "
			       "as base64 strings and vectors as lists";
		}
		if (r->line)
			snprintf(pos, sizeof(pos), " (line %llu)", (unsigned long long)r->line);
		return gm_error_set(GM_EUNSUPPORTED,
				    "%s '%.*s'%s has a %s value in property '%.*s', which the "
				    "cypher format cannot store (%s)",
				    r->kind == GM_NODE ? "node" : "relationship",
				    (int)(r->key.len > 100 ? 100 : r->key.len),
				    r->key.p ? r->key.p : "", pos, gm_type_name(bad->type),
				    (int)(r->props[k].key.len > 100 ? 100 : r->props[k].key.len),
				    r->props[k].key.p, hint);
	}
	return 0;
}

/* ---- statements ---- */

static void end_statement(struct cypher *s)
{
	struct gm_buf *b = &s->buf;

	if (!s->stmt_kind)
		return;
	if (s->stmt_kind == GM_NODE) {
		gm_buf_puts(b, "] AS row\nCREATE (n:" IMPORT_LABEL "{" IMPORT_ID
			       ": row._id}) SET n += row.properties");
		if (s->group.len) {
			gm_buf_puts(b, " SET n");
			gm_buf_put(b, s->group.p, s->group.len);
		}
		gm_buf_puts(b, ";\n");
	} else {
		gm_buf_puts(b, "] AS row\nMATCH (start:" IMPORT_LABEL "{" IMPORT_ID
			       ": row.start._id})\nMATCH (end:" IMPORT_LABEL "{" IMPORT_ID
			       ": row.end._id})\nCREATE (start)-[r:");
		gm_buf_put(b, s->group.p, s->group.len);
		gm_buf_puts(b, "]->(end) SET r += row.properties;\n");
	}
	s->stmt_kind = 0;
	s->stmt_rows = 0;
}

static void end_tx(struct cypher *s)
{
	end_statement(s);
	if (s->tx_kind)
		gm_buf_puts(&s->buf, ":commit\n");
	s->tx_kind = 0;
	s->tx_rows = 0;
}

/* The group text of a record: ":A:B" for nodes (empty without labels), the type for rels. */
static void group_of(const struct gm_record *r, struct gm_buf *g)
{
	gm_buf_clear(g);
	if (r->kind == GM_NODE) {
		for (size_t i = 0; i < r->nlabels; i++) {
			gm_buf_putc(g, ':');
			put_name(g, r->labels[i]);
		}
	} else {
		put_name(g, r->type);
	}
}

static int put_record(struct cypher *s, const struct gm_record *r, struct gm_buf *g)
{
	struct gm_buf *b = &s->buf;
	int error;

	group_of(r, g);
	if (g->oom)
		return GM_ENOMEM;
	if (s->tx_kind && s->tx_kind != (int)r->kind)
		end_tx(s);
	if (s->stmt_kind &&
	    (s->stmt_rows >= s->batch ||
	     !gm_str_eq((struct gm_str){g->p, g->len}, (struct gm_str){s->group.p, s->group.len})))
		end_statement(s);
	if (s->tx_kind && s->tx_rows >= s->batch)
		end_tx(s);
	if (!s->tx_kind) {
		gm_buf_puts(b, ":begin\n");
		s->tx_kind = (int)r->kind;
	}
	if (!s->stmt_kind) {
		gm_buf_clear(&s->group);
		gm_buf_put(&s->group, g->p, g->len);
		gm_buf_puts(b, "UNWIND [");
		s->stmt_kind = (int)r->kind;
	} else {
		gm_buf_puts(b, ", ");
	}
	if (r->kind == GM_NODE) {
		gm_buf_puts(b, "{_id:");
		put_string(b, r->key.p, r->key.len);
	} else {
		gm_buf_puts(b, "{start: {_id:");
		put_string(b, r->from.p, r->from.len);
		gm_buf_puts(b, "}, end: {_id:");
		put_string(b, r->to.p, r->to.len);
		gm_buf_putc(b, '}');
	}
	gm_buf_puts(b, ", properties:");
	if ((error = put_map(s, b, r->props, r->nprops, 1)) < 0)
		return error;
	gm_buf_putc(b, '}');
	s->stmt_rows++;
	s->tx_rows++;
	return b->oom ? GM_ENOMEM : 0;
}

static int cypher_write_batch(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	struct cypher *s = (struct cypher *)b;
	struct gm_buf g = GM_BUF_INIT;
	int error = 0;

	for (size_t i = 0; i < n; i++)
		if ((error = check_record(s, &recs[i])) < 0)
			return error;
	gm_buf_clear(&s->buf);
	for (size_t i = 0; i < n && error >= 0; i++)
		error = put_record(s, &recs[i], &g);
	gm_buf_free(&g);
	if (error < 0)
		return error;
	if (s->buf.len && (error = gm_out_write(s->out, s->buf.p, s->buf.len)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == GM_NODE)
			b->nodes_written++;
		else
			b->rels_written++;
	return 0;
}

static const char drop[] = ":begin\nDROP CONSTRAINT UNIQUE_IMPORT_NAME;\n:commit\n";

static int cypher_commit(struct gm_backend *b)
{
	struct cypher *s = (struct cypher *)b;
	uint64_t cleanups = (b->nodes_written + s->batch - 1) / s->batch;
	int error;

	gm_buf_clear(&s->buf);
	end_tx(s);
	if (s->buf.len && (error = gm_out_write(s->out, s->buf.p, s->buf.len)) < 0)
		return error;
	for (uint64_t i = 0; i < cleanups; i++) {
		gm_buf_clear(&s->buf);
		gm_buf_printf(&s->buf,
			      ":begin\nMATCH (n:" IMPORT_LABEL
			      ")  WITH n LIMIT %zu REMOVE n:" IMPORT_LABEL " REMOVE n." IMPORT_ID
			      ";\n:commit\n",
			      s->batch);
		if (s->buf.oom)
			return GM_ENOMEM;
		if ((error = gm_out_write(s->out, s->buf.p, s->buf.len)) < 0)
			return error;
	}
	if ((error = gm_out_write(s->out, drop, sizeof(drop) - 1)) < 0)
		return error;
	return gm_out_commit(s->out);
}

static int cypher_close(struct gm_backend *b)
{
	struct cypher *s = (struct cypher *)b;

	if (!s)
		return 0;
	gm_out_free(s->out);
	gm_buf_free(&s->buf);
	gm_buf_free(&s->group);
	gm_free(s);
	return 0;
}

static const char schema[] =
	":begin\nCREATE CONSTRAINT UNIQUE_IMPORT_NAME IF NOT EXISTS FOR (n:" IMPORT_LABEL
	") REQUIRE (n." IMPORT_ID ") IS UNIQUE;\n:commit\nCALL db.awaitIndexes(300);\n";

static int cypher_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct cypher *s = gm_calloc(1, sizeof(*s));
	int error;

	*out = NULL;
	if (!s)
		return GM_ENOMEM;
	s->batch = o->batch_size ? o->batch_size : DEFAULT_BATCH;
	s->lossy = o->lossy;
	if ((error = parse_params(s, o->params)) < 0 ||
	    (error = gm_out_open(&s->out, location,
				 (o->flags & GM_OPEN_F_OVERWRITE) ? GM_OUT_OVERWRITE : 0)) < 0 ||
	    (error = gm_out_write(s->out, schema, sizeof(schema) - 1)) < 0) {
		cypher_close(&s->base);
		return error;
	}
	*out = &s->base;
	return 0;
}

static const char *const cypher_suffixes[] = {".cypher", ".cypherl", NULL};

const struct gm_backend_ops gm_backend_cypher = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "cypher",
	.summary = "Cypher script for cypher-shell (UNWIND batches, as apoc.export.cypher)",
	.suffixes = cypher_suffixes,
	.caps = GM_CAP_WRITE | GM_CAP_FILE | GM_CAP_LOSSY,
	.types = GM_TYPES_ALL &
		 ~(GM_TYPE_BIT(GM_T_NULL) | GM_TYPE_BIT(GM_T_BYTES) | GM_TYPE_BIT(GM_T_VECTOR)),
	.open = cypher_open,
	.write_batch = cypher_write_batch,
	.commit = cypher_commit,
	.close = cypher_close,
};
