/* SPDX-License-Identifier: MIT */
/*
 * MemoryGraph's data model (internal): enum values, the key order of a
 * memory's stored properties, and small parsing helpers shared by the
 * memorygraph, mgjson and generate backends. See mgmap.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "gmig/gmig.h"
#include "io.h"
#include "json.h"
#include "mgmap.h"
#include "pyjson.h"
#include "typedjson.h"

const char *const gm__mg_memory_types[] = {
	"task", "code_pattern", "problem",	"solution", "project", "technology",   "error",
	"fix",	"command",	"file_context", "workflow", "general", "conversation", NULL};

const char *const gm__mg_rel_types[] = {
	"CAUSES",	  "TRIGGERS",	   "LEADS_TO",	    "PREVENTS",
	"BREAKS",	  "SOLVES",	   "ADDRESSES",	    "ALTERNATIVE_TO",
	"IMPROVES",	  "REPLACES",	   "OCCURS_IN",	    "APPLIES_TO",
	"WORKS_WITH",	  "REQUIRES",	   "USED_IN",	    "BUILDS_ON",
	"CONTRADICTS",	  "CONFIRMS",	   "GENERALIZES",   "SPECIALIZES",
	"SIMILAR_TO",	  "VARIANT_OF",	   "RELATED_TO",    "ANALOGY_TO",
	"OPPOSITE_OF",	  "FOLLOWS",	   "DEPENDS_ON",    "ENABLES",
	"BLOCKS",	  "PARALLEL_TO",   "EFFECTIVE_FOR", "INEFFECTIVE_FOR",
	"PREFERRED_OVER", "DEPRECATED_BY", "VALIDATED_BY",  NULL};

static int in_list(const char *const *l, struct gm_str s)
{
	for (; *l; l++)
		if (strlen(*l) == s.len && !memcmp(*l, s.p, s.len))
			return 1;
	return 0;
}

int gm__mg_is_memory_type(struct gm_str s)
{
	return in_list(gm__mg_memory_types, s);
}

int gm__mg_is_rel_type(struct gm_str s)
{
	return in_list(gm__mg_rel_types, s);
}

int gm__mg_is_carrier(struct gm_str key)
{
	return key.len >= 4 && !memcmp(key.p, "_mg_", 4);
}

const struct gm_value *gm__mg_prop(const struct gm_prop *p, size_t n, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < n; i++)
		if (p[i].key.len == kl && !memcmp(p[i].key.p, key, kl))
			return &p[i].val;
	return NULL;
}

/* MemoryNode.to_neo4j_properties(): fixed keys, then MemoryContext's fields */
static const char *const memory_order[] = {"id",
					   "type",
					   "title",
					   "content",
					   "tags",
					   "importance",
					   "confidence",
					   "usage_count",
					   "created_at",
					   "updated_at",
					   "summary",
					   "effectiveness",
					   "last_accessed",
					   "context_project_path",
					   "context_files_involved",
					   "context_languages",
					   "context_frameworks",
					   "context_technologies",
					   "context_git_commit",
					   "context_git_branch",
					   "context_working_directory",
					   "context_timestamp",
					   "context_session_id",
					   "context_user_id",
					   "context_additional_metadata",
					   "context_tenant_id",
					   "context_team_id",
					   "context_visibility",
					   "context_created_by",
					   NULL};

static int put_pair(struct gm_buf *b, int *first, const struct gm_prop *p)
{
	int error;

	if (!*first && (error = gm_buf_put(b, ", ", 2)) < 0)
		return error;
	*first = 0;
	if ((error = gm_pyjson_string(b, p->key.p, p->key.len)) < 0 ||
	    (error = gm_buf_put(b, ": ", 2)) < 0)
		return error;
	return gm_pyjson_value(b, &p->val, -1, 0);
}

/* the carriers a memory read from SQLite has, after memory_order in sort_rank */
static const char *const memory_carriers[] = {"_mg_json", "_mg_created_at", "_mg_updated_at"};
#define NMEMKEYS (sizeof(memory_order) / sizeof(memory_order[0]) - 1)
#define NSORTKEYS (NMEMKEYS + 3)

static const char *sort_name(size_t i)
{
	return i < NMEMKEYS ? memory_order[i] : memory_carriers[i - NMEMKEYS];
}

/* filled once (pthread_once: a reader and a writer thread may both be here) */
static size_t name_len[NSORTKEYS];
static unsigned char rank_order[NSORTKEYS]; /* key indexes in byte order of the names */
static unsigned char by_hash[256];	    /* 1 + index of the name at its hash (probed) */
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static unsigned name_hash(const char *p, size_t n)
{
	return (unsigned)(n * 7 + (unsigned char)p[n / 2] * 3 + (unsigned char)p[n - 1]) & 255;
}

static void fill_tables(void)
{
	for (size_t i = 0; i < NSORTKEYS; i++) {
		size_t r = 0;
		unsigned h;

		name_len[i] = strlen(sort_name(i));
		for (size_t j = 0; j < NSORTKEYS; j++)
			r += strcmp(sort_name(j), sort_name(i)) < 0;
		rank_order[r] = (unsigned char)i;
		for (h = name_hash(sort_name(i), name_len[i]); by_hash[h]; h = (h + 1) & 255)
			;
		by_hash[h] = (unsigned char)(i + 1);
	}
}

/* index of key among memory_order and then the carriers, or -1 */
static int sort_index(struct gm_str k)
{
	if (!k.len)
		return -1;
	pthread_once(&tables_once, fill_tables);
	for (unsigned h = name_hash(k.p, k.len); by_hash[h]; h = (h + 1) & 255) {
		size_t i = by_hash[h] - 1u;

		if (name_len[i] == k.len && !memcmp(sort_name(i), k.p, k.len))
			return (int)i;
	}
	return -1;
}

/* index of key in memory_order, or -1 */
static int known_index(struct gm_str k)
{
	int i = sort_index(k);

	return i < (int)NMEMKEYS ? i : -1;
}

int gm__mg_memory_json(struct gm_buf *b, const struct gm_prop *p, size_t n)
{
	enum { NKNOWN = sizeof(memory_order) / sizeof(memory_order[0]) - 1 };
	const struct gm_prop *slot[NKNOWN] = {0};
	int first = 1, error;

	if ((error = gm_buf_putc(b, '{')) < 0)
		return error;
	for (size_t i = 0; i < n; i++) {
		int k = known_index(p[i].key);

		if (k >= 0)
			slot[k] = &p[i];
	}
	for (int k = 0; k < NKNOWN; k++)
		if (slot[k] && (error = put_pair(b, &first, slot[k])) < 0)
			return error;
	for (size_t i = 0; i < n; i++) {
		if (gm__mg_is_carrier(p[i].key) || known_index(p[i].key) >= 0)
			continue;
		if ((error = put_pair(b, &first, &p[i])) < 0)
			return error;
	}
	return gm_buf_putc(b, '}');
}

int gm__mg_memory_sort(struct gm_prop *p, size_t n)
{
	const struct gm_prop *slot[NSORTKEYS] = {0};
	struct gm_prop tmp[NSORTKEYS];
	size_t k = 0;

	if (n > NSORTKEYS)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int x = sort_index(p[i].key);

		if (x < 0 || slot[x])
			return 0;
		slot[x] = &p[i];
	}
	for (size_t r = 0; r < NSORTKEYS; r++)
		if (slot[rank_order[r]])
			tmp[k++] = *slot[rank_order[r]];
	memcpy(p, tmp, n * sizeof(*p));
	return 1;
}

int gm__mg_memory_order(const struct gm_prop *p, size_t n)
{
	int last = -1, other = 0;

	for (size_t i = 0; i < n; i++) {
		int k = known_index(p[i].key);

		if (k >= 0) {
			if (other || k <= last)
				return 0;
			last = k;
		} else if (gm__mg_is_carrier(p[i].key)) {
			return 0;
		} else {
			other = 1;
		}
	}
	return 1;
}

int gm__mg_parse_object(const char *text, size_t len, struct gm_arena *a, int keep_nulls,
			struct gm_prop **out, size_t *n)
{
	struct gm_in *in = NULL;
	struct gm_json_reader *r = NULL;
	struct gm_json_token t;
	struct gm_value v;
	int error;

	*out = NULL;
	*n = 0;
	if ((error = gm_in_open_mem(&in, text, len, "properties")) < 0 ||
	    (error = gm_json_reader_new(&r, in, 0)) < 0)
		goto done;
	if ((error = gm_json_next(r, &t)) < 0)
		goto done;
	if (t.tok != GM_JSON_OBJ_BEGIN) {
		error = gm_error_set(GM_EDATA, "the properties are not a JSON object");
		goto done;
	}
	if ((error = gm_tjson_read(r, &t, a, &v, GM_TJ_PLAIN)) < 0)
		goto done;
	if ((error = gm_json_next(r, &t)) < 0)
		goto done;
	if (t.tok != GM_JSON_EOF || v.type != GM_T_MAP) {
		error = gm_error_set(GM_EDATA, "the properties are not one JSON object");
		goto done;
	}
	*out = v.u.map.p;
	*n = v.u.map.n;
	if (!keep_nulls) {
		size_t k = 0;

		for (size_t i = 0; i < v.u.map.n; i++)
			if (v.u.map.p[i].val.type != GM_T_NULL)
				v.u.map.p[k++] = v.u.map.p[i];
		*n = k;
	}
	error = 0;
done:
	gm_json_reader_free(r);
	gm_in_free(in);
	return error;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int gm__mg_isoformat(struct gm_buf *b, const char *s, size_t n)
{
	size_t i = 19, f0, f1;
	char frac[7] = "000000";
	int error;

	/* YYYY-MM-DDTHH:MM:SS */
	if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return gm_buf_put(b, s, n);
	if ((error = gm_buf_put(b, s, 19)) < 0)
		return error;
	if (i < n && s[i] == '.') {
		f0 = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		f1 = i;
		for (size_t k = 0; k < 6 && f0 + k < f1; k++)
			frac[k] = s[f0 + k];
		if (strcmp(frac, "000000") &&
		    ((error = gm_buf_putc(b, '.')) < 0 || (error = gm_buf_put(b, frac, 6)) < 0))
			return error;
	}
	if (i < n && s[i] == 'Z' && i + 1 == n)
		return gm_buf_put(b, "+00:00", 6);
	return gm_buf_put(b, s + i, n - i);
}

void gm__mg_now(char out[40])
{
	struct timeval tv;
	struct tm tm;
	time_t secs;
	size_t k;

	gettimeofday(&tv, NULL);
	secs = tv.tv_sec;
	gmtime_r(&secs, &tm);
	k = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (tv.tv_usec)
		k += (size_t)snprintf(out + k, 40 - k, ".%06ld", (long)tv.tv_usec);
	snprintf(out + k, 40 - k, "+00:00");
}
