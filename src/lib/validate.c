/* SPDX-License-Identifier: MIT */
/*
 * gmig validate: one streaming pass over a store or file. Node keys go into a
 * compact key map (keyset.c) so that duplicates and dangling relationships are
 * found in bounded memory per node; property types are tracked per
 * (label, property) and (type, property).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "gmig/sys/backend.h"
#include "keyset.h"
#include "typedjson.h"
#include "util.h"

/* A --require or --unique rule: label and property, and the values seen (unique). */
struct rule {
	struct gm_str label, prop;
	int unique;
	struct gm_keyset *seen;
};

/* (label or type, property) -> the set of value types seen */
struct schema_entry {
	char *name; /* "L\0prop" or "T\0prop" packed with lengths below */
	size_t owner_len, prop_len;
	int is_rel;
	uint32_t types;
};

struct validator {
	struct gm_validate_report *rep;
	size_t max;
	size_t count[GM_FIND_NOT_UNIQUE + 1];
	struct rule *rules; /* --require then --unique */
	size_t nrules;
	struct gm_keyset *keys;
	struct schema_entry *schema;
	size_t nschema, capschema;
	size_t *slots, nslots;
	struct gm_buf tmp;
};

static size_t hash_bytes(const char *p, size_t n, size_t h)
{
	while (n--)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static int add_finding(struct validator *v, enum gm_finding_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_finding(struct validator *v, enum gm_finding_kind kind, const char *fmt, ...)
{
	struct gm_validate_report *rep = v->rep;
	struct gm_finding *f;
	va_list ap;
	char text[1024];

	if (v->count[kind]++ >= v->max)
		return 0;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!(f = gm_realloc(rep->findings, (rep->nfindings + 1) * sizeof(*f))))
		return GM_ENOMEM;
	rep->findings = f;
	f += rep->nfindings;
	f->kind = kind;
	if (!(f->text = gm_strdup(text)))
		return GM_ENOMEM;
	rep->nfindings++;
	return 0;
}

static int schema_grow(struct validator *v)
{
	size_t ns = v->nslots ? v->nslots * 2 : 256;
	size_t *slots = gm_malloc(ns * sizeof(size_t));

	if (!slots)
		return GM_ENOMEM;
	for (size_t i = 0; i < ns; i++)
		slots[i] = (size_t)-1;
	for (size_t k = 0; k < v->nschema; k++) {
		struct schema_entry *e = &v->schema[k];
		size_t h =
			hash_bytes(e->name, e->owner_len + 1 + e->prop_len, (size_t)e->is_rel + 7);
		size_t i = h & (ns - 1);

		while (slots[i] != (size_t)-1)
			i = (i + 1) & (ns - 1);
		slots[i] = k;
	}
	gm_free(v->slots);
	v->slots = slots;
	v->nslots = ns;
	return 0;
}

/* Records that property prop of owner (a label or a type) had types mask. */
static int note_types(struct validator *v, struct gm_str owner, struct gm_str prop, int is_rel,
		      uint32_t mask)
{
	struct gm_buf *b = &v->tmp;
	size_t h, i;

	if (!mask)
		return 0;
	gm_buf_clear(b);
	gm_buf_put(b, owner.p, owner.len);
	gm_buf_putc(b, '\0');
	gm_buf_put(b, prop.p, prop.len);
	if (b->oom)
		return GM_ENOMEM;
	if (v->nschema * 2 >= v->nslots && schema_grow(v) < 0)
		return GM_ENOMEM;
	h = hash_bytes(b->p, b->len, (size_t)is_rel + 7);
	for (i = h & (v->nslots - 1); v->slots[i] != (size_t)-1; i = (i + 1) & (v->nslots - 1)) {
		struct schema_entry *e = &v->schema[v->slots[i]];

		if (e->is_rel == is_rel && e->owner_len == owner.len && e->prop_len == prop.len &&
		    !memcmp(e->name, b->p, b->len)) {
			e->types |= mask;
			return 0;
		}
	}
	if (v->nschema == v->capschema) {
		size_t nc = v->capschema ? v->capschema * 2 : 64;
		struct schema_entry *ns = gm_realloc(v->schema, nc * sizeof(*ns));

		if (!ns)
			return GM_ENOMEM;
		v->schema = ns;
		v->capschema = nc;
	}
	{
		struct schema_entry *e = &v->schema[v->nschema];

		if (!(e->name = gm_malloc(b->len + 1)))
			return GM_ENOMEM;
		memcpy(e->name, b->p, b->len + 1);
		e->owner_len = owner.len;
		e->prop_len = prop.len;
		e->is_rel = is_rel;
		e->types = mask;
		v->slots[i] = v->nschema++;
	}
	return 0;
}

/* The top-level type of each property (lists count by their element types too). */
static uint32_t prop_types(const struct gm_value *val)
{
	if (val->type == GM_T_NULL)
		return 0;
	return GM_TYPE_BIT(val->type);
}

static int row_count(struct validator *v, const struct gm_record *r)
{
	struct gm_validate_report *rep = v->rep;
	struct gm_buf *b = &v->tmp;
	struct gm_stat_row *rows;
	size_t i;

	if (gm__record_rowname(b, r) < 0)
		return GM_ENOMEM;
	/* label sets are few; a linear scan keeps this simple */
	for (i = 0; i < rep->nrows; i++)
		if (rep->rows[i].is_rel == (r->kind == GM_REL) &&
		    !strcmp(rep->rows[i].name, b->p)) {
			rep->rows[i].read++;
			return 0;
		}
	if (!(rows = gm_realloc(rep->rows, (rep->nrows + 1) * sizeof(*rows))))
		return GM_ENOMEM;
	rep->rows = rows;
	memset(&rows[rep->nrows], 0, sizeof(*rows));
	if (!(rows[rep->nrows].name = gm_strdup(b->p)))
		return GM_ENOMEM;
	rows[rep->nrows].is_rel = r->kind == GM_REL;
	rows[rep->nrows].read = 1;
	rep->nrows++;
	return 0;
}

static void position(char *buf, size_t len, const struct gm_record *r)
{
	if (r->line)
		snprintf(buf, len, " (line %llu)", (unsigned long long)r->line);
	else
		buf[0] = '\0';
}

static const struct gm_value *find_prop(const struct gm_record *r, struct gm_str name)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (gm_str_eq(r->props[i].key, name))
			return &r->props[i].val;
	return NULL;
}

static int has_label(const struct gm_record *r, struct gm_str label)
{
	for (size_t i = 0; i < r->nlabels; i++)
		if (gm_str_eq(r->labels[i], label))
			return 1;
	return 0;
}

/* --require and --unique for one node. */
static int check_rules(struct validator *v, const struct gm_record *r, const char *pos)
{
	int error;

	for (size_t k = 0; k < v->nrules; k++) {
		struct rule *u = &v->rules[k];
		const struct gm_value *val;

		if (!has_label(r, u->label))
			continue;
		val = find_prop(r, u->prop);
		if (!u->unique) {
			if ((!val || val->type == GM_T_NULL) &&
			    (error = add_finding(v, GM_FIND_MISSING_REQUIRED,
						 "node '%.*s'%s: :%.*s without '%.*s'",
						 (int)r->key.len, r->key.p, pos, (int)u->label.len,
						 u->label.p, (int)u->prop.len, u->prop.p)) < 0)
				return error;
			continue;
		}
		if (!val || val->type == GM_T_NULL)
			continue;
		gm_buf_clear(&v->tmp);
		if ((error = gm_tjson_write(&v->tmp, val, 0)) < 0)
			return error;
		if (v->tmp.oom)
			return GM_ENOMEM;
		if ((error = gm_keyset_put(u->seen, v->tmp.p, v->tmp.len, 0, NULL)) < 0)
			return error;
		if (error == 0 &&
		    (error = add_finding(v, GM_FIND_NOT_UNIQUE,
					 "node '%.*s'%s: :%.*s '%.*s' = %.200s is not unique",
					 (int)r->key.len, r->key.p, pos, (int)u->label.len,
					 u->label.p, (int)u->prop.len, u->prop.p, v->tmp.p)) < 0)
			return error;
	}
	return 0;
}

static int check_record(struct validator *v, struct gm_record *r)
{
	char pos[64];
	int error;

	position(pos, sizeof(pos), r);
	if ((error = row_count(v, r)) < 0)
		return error;
	if (r->kind == GM_NODE) {
		v->rep->nodes++;
		if ((error = gm_keyset_put(v->keys, r->key.p, r->key.len, 0, NULL)) < 0)
			return error;
		if (error == 0 && (error = add_finding(v, GM_FIND_DUPLICATE_KEY,
						       "node%s: key '%.*s' is used twice", pos,
						       (int)r->key.len, r->key.p)) < 0)
			return error;
		if ((error = check_rules(v, r, pos)) < 0)
			return error;
		for (size_t l = 0; l < r->nlabels; l++)
			for (size_t i = 0; i < r->nprops; i++)
				if ((error = note_types(v, r->labels[l], r->props[i].key, 0,
							prop_types(&r->props[i].val))) < 0)
					return error;
	} else {
		v->rep->rels++;
		for (int end = 0; end < 2; end++) {
			struct gm_str k = end ? r->to : r->from;

			if (!gm_keyset_get(v->keys, k.p, k.len, NULL) &&
			    (error = add_finding(v, GM_FIND_DANGLING,
						 "relationship '%.*s'%s: %s '%.*s' is not a node",
						 (int)r->key.len, r->key.p ? r->key.p : "", pos,
						 end ? "end" : "start", (int)k.len, k.p)) < 0)
				return error;
		}
		for (size_t i = 0; i < r->nprops; i++)
			if ((error = note_types(v, r->type, r->props[i].key, 1,
						prop_types(&r->props[i].val))) < 0)
				return error;
	}
	return 0;
}

static int report_mixed(struct validator *v)
{
	int error;

	for (size_t k = 0; k < v->nschema; k++) {
		struct schema_entry *e = &v->schema[k];
		char types[256] = "";
		size_t n = 0;

		if (!(e->types & (e->types - 1)))
			continue;
		for (int t = 0; t < GM_T__COUNT; t++)
			if (e->types & GM_TYPE_BIT(t))
				n += (size_t)snprintf(types + n, sizeof(types) - n, "%s%s",
						      n ? ", " : "", gm_type_name((enum gm_type)t));
		if ((error = add_finding(
			     v, GM_FIND_MIXED_TYPES, "%s%s%.*s%s property '%s' has types %s",
			     e->is_rel ? "[:" : ":", "", (int)e->owner_len, e->name,
			     e->is_rel ? "]" : "", e->name + e->owner_len + 1, types)) < 0)
			return error;
	}
	return 0;
}

static int add_rules(struct validator *v, const char *const *list, size_t n, int unique)
{
	struct rule *nr;

	if (!n)
		return 0;
	if (!(nr = gm_realloc(v->rules, (v->nrules + n) * sizeof(*nr))))
		return GM_ENOMEM;
	v->rules = nr;
	for (size_t i = 0; i < n; i++) {
		const char *dot = strchr(list[i], '.');
		struct rule *u = &v->rules[v->nrules];
		int error;

		if (!dot || dot == list[i] || !dot[1])
			return gm_error_set(GM_EINVAL, "'%s' is not Label.property", list[i]);
		memset(u, 0, sizeof(*u));
		u->label.p = list[i];
		u->label.len = (size_t)(dot - list[i]);
		u->prop = gm_str_c(dot + 1);
		u->unique = unique;
		if (unique && (error = gm_keyset_new(&u->seen)) < 0)
			return error;
		v->nrules++;
	}
	return 0;
}

/* describe_schema's emit: one more entry of rep->schema. */
static int add_schema(void *ctx, const struct gm_schema_item *it)
{
	struct gm_validate_report *rep = ctx;
	struct gm_validate_schema *e = gm_realloc(rep->schema, (rep->nschema + 1) * sizeof(*e));

	if (!e)
		return GM_ENOMEM;
	rep->schema = e;
	e += rep->nschema++;
	memset(e, 0, sizeof(*e));
	if (!(e->kind = gm_strdup(it->kind ? it->kind : "")) ||
	    !(e->name = gm_strdup(it->name ? it->name : "")) ||
	    !(e->on = gm_strdup(it->on ? it->on : "")) ||
	    (it->columns && !(e->columns = gm_strdup(it->columns))) ||
	    (it->definition && !(e->definition = gm_strdup(it->definition))))
		return GM_ENOMEM;
	return 0;
}

/* The store's indexes and constraints, when its backend can list them. */
static int describe_schema(struct gm_backend *src, struct gm_validate_report *rep)
{
	int error;

	if (!src->ops->describe_schema)
		return 0;
	error = src->ops->describe_schema(src, add_schema, rep);
	if (error == GM_EUNSUPPORTED)
		return 0;
	if (error == 0)
		rep->schema_known = 1;
	return error;
}

int gm_validate(const char *uri, size_t max_findings, struct gm_validate_report *rep)
{
	struct gm_validate_opts o;

	memset(&o, 0, sizeof(o));
	o.max_findings = max_findings;
	return gm_validate_ex(uri, &o, rep);
}

int gm_validate_ex(const char *uri, const struct gm_validate_opts *o,
		   struct gm_validate_report *rep)
{
	size_t max_findings = o->max_findings;
	struct validator v;
	struct gm_backend *src = NULL;
	struct gm_arena *arena = NULL;
	struct gm_open_opts ro = {.mode = GM_OPEN_READ};
	struct timespec t0;
	int error;

	memset(rep, 0, sizeof(*rep));
	memset(&v, 0, sizeof(v));
	v.rep = rep;
	v.max = max_findings ? max_findings : 20;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((error = add_rules(&v, o->require, o->nrequire, 0)) < 0 ||
	    (error = add_rules(&v, o->unique, o->nunique, 1)) < 0)
		goto done;
	if ((error = gm_keyset_new(&v.keys)) < 0 || (error = gm_arena_new(&arena)) < 0 ||
	    (error = gm_backend_open(&src, uri, &ro)) < 0)
		goto done;
	for (;;) {
		struct gm_record r;

		if (gm_interrupted) {
			error = gm_error_set(GM_EINTR, "interrupted");
			goto done;
		}
		memset(&r, 0, sizeof(r));
		gm_arena_reset(arena);
		error = src->ops->read_next(src, &r, arena);
		if (error == GM_ITEROVER)
			break;
		if (error == GM_EDATA) {
			if ((error = add_finding(&v, GM_FIND_BAD_RECORD, "%s", gm_error_last())) <
			    0)
				goto done;
			continue;
		}
		if (error < 0)
			goto done;
		if ((error = check_record(&v, &r)) < 0)
			goto done;
	}
	if ((error = report_mixed(&v)) == 0)
		error = describe_schema(src, rep);
done:
	rep->bad_records = v.count[GM_FIND_BAD_RECORD];
	rep->duplicate_keys = v.count[GM_FIND_DUPLICATE_KEY];
	rep->dangling = v.count[GM_FIND_DANGLING];
	rep->mixed_types = v.count[GM_FIND_MIXED_TYPES];
	rep->missing_required = v.count[GM_FIND_MISSING_REQUIRED];
	rep->not_unique = v.count[GM_FIND_NOT_UNIQUE];
	for (size_t k = 0; k < v.nrules; k++)
		gm_keyset_free(v.rules[k].seen);
	gm_free(v.rules);
	gm_backend_close(src);
	gm_arena_free(arena);
	gm_keyset_free(v.keys);
	for (size_t k = 0; k < v.nschema; k++)
		gm_free(v.schema[k].name);
	gm_free(v.schema);
	gm_free(v.slots);
	gm_buf_free(&v.tmp);
	rep->seconds = gm__seconds_since(&t0);
	return error;
}

void gm_validate_report_free(struct gm_validate_report *rep)
{
	for (size_t i = 0; i < rep->nschema; i++) {
		struct gm_validate_schema *e = &rep->schema[i];

		gm_free(e->kind);
		gm_free(e->name);
		gm_free(e->on);
		gm_free(e->columns);
		gm_free(e->definition);
	}
	gm_free(rep->schema);
	for (size_t i = 0; i < rep->nrows; i++)
		gm_free(rep->rows[i].name);
	for (size_t i = 0; i < rep->nfindings; i++)
		gm_free(rep->findings[i].text);
	gm_free(rep->rows);
	gm_free(rep->findings);
	memset(rep, 0, sizeof(*rep));
}
