/* SPDX-License-Identifier: MIT */
/*
 * The backend registry: one table of every backend, and the rules that turn a
 * URI or a file name into an opened backend (scheme, then file ending, then
 * probing the first bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gmig/sys/backend.h"
#include "io.h"
#include "sqlitestore.h"

/* One line per backend (src/backends/<name>.c). */
#define BACKENDS(X)                                                                                \
	X(jsonl)                                                                                   \
	X(apoc)                                                                                    \
	X(csv)                                                                                     \
	X(graphml)                                                                                 \
	X(cypher)                                                                                  \
	X(generate)                                                                                \
	X(sqlite)                                                                                  \
	X(memorygraph)                                                                             \
	X(mgjson)                                                                                  \
	X(falkordb)

#define DECLARE(name) extern const struct gm_backend_ops gm_backend_##name;
#define ENTRY(name) &gm_backend_##name,
BACKENDS(DECLARE)
static const struct gm_backend_ops *const registry[] = {BACKENDS(ENTRY) NULL};

const struct gm_backend_ops *const *gm_backends(void)
{
	return registry;
}

const struct gm_backend_ops *gm_backend_find(const char *name, size_t len)
{
	for (size_t i = 0; registry[i]; i++) {
		if (strlen(registry[i]->name) == len && !memcmp(registry[i]->name, name, len))
			return registry[i];
		for (const char *const *a = registry[i]->aliases; a && *a; a++)
			if (strlen(*a) == len && !memcmp(*a, name, len))
				return registry[i];
	}
	return NULL;
}

/* Strips ".gz" / ".zst" and matches the rest of the name against suffixes. */
static const struct gm_backend_ops *by_suffix(const char *path)
{
	size_t n = strlen(path);
	size_t best_len = 0;
	const struct gm_backend_ops *best = NULL;

	if (n > 3 && !strcmp(path + n - 3, ".gz"))
		n -= 3;
	else if (n > 4 && !strcmp(path + n - 4, ".zst"))
		n -= 4;
	for (size_t i = 0; registry[i]; i++) {
		const char *const *s = registry[i]->suffixes;

		for (; s && *s; s++) {
			size_t k = strlen(*s);

			if (k <= n && k > best_len && !strncasecmp(path + n - k, *s, k)) {
				best = registry[i];
				best_len = k;
			}
		}
	}
	return best;
}

static const struct gm_backend_ops *by_probe(const char *path, int *error)
{
	unsigned char head[4096];
	size_t got = 0;
	int best_score = 0;
	const struct gm_backend_ops *best = NULL;

	if ((*error = gm_file_head(path, head, sizeof(head), &got)) < 0)
		return NULL;
	for (size_t i = 0; registry[i]; i++) {
		int s;

		if (!registry[i]->probe || !(registry[i]->caps & GM_CAP_READ))
			continue;
		if ((s = registry[i]->probe(head, got)) > best_score) {
			best_score = s;
			best = registry[i];
		}
	}
	/* formats the first bytes cannot tell apart (SQLite files) look inside */
	for (size_t i = 0; registry[i] && best_score < 100; i++) {
		int s;

		if (!registry[i]->probe_path || (registry[i]->caps & (GM_CAP_READ | GM_CAP_FILE)) !=
							(GM_CAP_READ | GM_CAP_FILE))
			continue;
		if ((s = registry[i]->probe_path(path)) > best_score) {
			best_score = s;
			best = registry[i];
		}
	}
	return best;
}

/* A scheme is letters/digits/+/-/. before ':' and at least 2 long (so "C:\x" is a path). */
static size_t scheme_len(const char *uri)
{
	size_t i = 0;

	while (uri[i] && (('a' <= uri[i] && uri[i] <= 'z') || ('0' <= uri[i] && uri[i] <= '9') ||
			  uri[i] == '+' || uri[i] == '-' || uri[i] == '.'))
		i++;
	return (i >= 2 && uri[i] == ':') ? i : 0;
}

int gm_backend_resolve(const char *uri, enum gm_open_mode mode, const struct gm_backend_ops **out,
		       const char **location)
{
	const struct gm_backend_ops *ops = NULL;
	size_t sl = scheme_len(uri);
	int error = 0;
	char tables[512];

	*out = NULL;
	*location = uri;
	if (sl) {
		if (!(ops = gm_backend_find(uri, sl)))
			return gm_error_set(GM_ENOTFOUND,
					    "unknown scheme '%.*s' in '%s' (see 'gmig formats')",
					    (int)sl, uri, uri);
		*location = uri + sl + 1;
	} else if (!strcmp(uri, "-")) {
		ops = gm_backend_find("jsonl", 5);
	} else {
		if (mode == GM_OPEN_READ) {
			ops = by_probe(uri, &error);
			if (error < 0)
				return error;
		}
		if (!ops)
			ops = by_suffix(uri);
		if (!ops && mode == GM_OPEN_READ &&
		    gm__sqlite_describe(uri, tables, sizeof(tables)) == 1)
			return gm_error_set(GM_EINVAL,
					    "'%s' is a SQLite database but not a gmig store or a "
					    "MemoryGraph database (tables: %s)",
					    uri, tables);
		if (!ops && mode == GM_OPEN_READ)
			return gm_error_set(GM_EINVAL,
					    "cannot tell the format of '%s' from its content or "
					    "name; name it with a scheme such as 'jsonl:%s' "
					    "(see 'gmig formats')",
					    uri, uri);
		if (!ops)
			return gm_error_set(GM_EINVAL,
					    "cannot tell the format for '%s' from its name; use "
					    "an ending such as '.jsonl' or a scheme such as "
					    "'jsonl:%s' (see 'gmig formats')",
					    uri, uri);
	}
	if (!ops)
		return gm_error_set(GM_ENOTFOUND, "no backend for '%s'", uri);
	if (mode == GM_OPEN_READ && !(ops->caps & GM_CAP_READ))
		return gm_error_set(GM_EUNSUPPORTED, "the %s backend cannot read ('%s')", ops->name,
				    uri);
	if (mode == GM_OPEN_WRITE && !(ops->caps & GM_CAP_WRITE))
		return gm_error_set(GM_EUNSUPPORTED, "the %s backend cannot write ('%s')",
				    ops->name, uri);
	*out = ops;
	return 0;
}

int gm_lossy_parse(const char *p, size_t n, unsigned int *out)
{
	const char *e = p + n;

	while (p < e) {
		const char *c = memchr(p, ',', (size_t)(e - p));
		size_t wl = c ? (size_t)(c - p) : (size_t)(e - p);

		if (wl == 9 && !memcmp(p, "stringify", 9))
			*out |= GM_LOSSY_STRINGIFY;
		else if (wl == 4 && !memcmp(p, "drop", 4))
			*out |= GM_LOSSY_DROP;
		else
			return gm_error_set(GM_EINVAL,
					    "invalid lossy mode '%.*s' (stringify, drop, or both: "
					    "stringify,drop)",
					    (int)wl, p);
		p += wl + (c ? 1 : 0);
	}
	return 0;
}

/* Takes "lossy=..." out of a parameter string (in place) into *lossy. */
static int take_lossy(char *params, unsigned int *lossy)
{
	char *p = params;

	while (*p) {
		char *end = strchr(p, '&');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n >= 6 && !strncmp(p, "lossy=", 6)) {
			int error = gm_lossy_parse(p + 6, n - 6, lossy);

			if (error < 0)
				return error;
			if (end)
				memmove(p, end + 1, strlen(end + 1) + 1);
			else if (p > params)
				p[-1] = '\0';
			else
				*p = '\0';
			continue;
		}
		p = end ? end + 1 : p + n;
	}
	return 0;
}

int gm_backend_open(struct gm_backend **out, const char *uri, const struct gm_open_opts *o)
{
	const struct gm_backend_ops *ops;
	const char *loc;
	char *location = NULL;
	char *q;
	struct gm_open_opts opts = *o;
	char scheme[32];
	int error;

	*out = NULL;
	if ((error = gm_backend_resolve(uri, o->mode, &ops, &loc)) < 0)
		return error;
	if (loc != uri && (size_t)(loc - uri) <= sizeof(scheme)) {
		memcpy(scheme, uri, (size_t)(loc - uri) - 1);
		scheme[loc - uri - 1] = '\0';
		opts.scheme = scheme;
	}
	if (!(location = gm_strdup(loc)))
		return GM_ENOMEM;
	/*
	 * "scheme:location?k=v&k2=v2": parameters for the backend (valid as long as
	 * the backend lives). A plain path without a scheme keeps any '?' in its name.
	 */
	if (loc != uri && (q = strchr(location, '?'))) {
		*q = '\0';
		opts.params = q + 1;
		if ((error = take_lossy(location + (q - location) + 1, &opts.lossy)) < 0)
			goto fail;
		if (!*opts.params)
			opts.params = NULL;
	}
	if (opts.lossy && !(ops->caps & GM_CAP_LOSSY)) {
		error = gm_error_set(GM_EINVAL,
				     "the %s backend stores values exactly or refuses them; it has "
				     "no lossy mode ('%s')",
				     ops->name, uri);
		goto fail;
	}
	if ((error = ops->open(out, location, &opts)) < 0)
		goto fail;
	(*out)->ops = ops;
	(*out)->location = location;
	(*out)->types = ops->types;
	if (opts.lossy & GM_LOSSY_STRINGIFY)
		(*out)->types = GM_TYPES_ALL;
	if (opts.lossy & GM_LOSSY_DROP)
		(*out)->types |= ops->drop_types ? ops->drop_types : GM_TYPE_BIT(GM_T_NULL);
	return 0;
fail:
	gm_free(location);
	*out = NULL;
	return error;
}

int gm_backend_commit(struct gm_backend *b)
{
	return b->ops->commit ? b->ops->commit(b) : 0;
}

void gm_backend_close(struct gm_backend *b)
{
	char saved[1024];
	int code = gm_error_code();
	char *location;

	if (!b)
		return;
	snprintf(saved, sizeof(saved), "%s", gm_error_last());
	location = b->location;
	b->ops->close(b);
	gm_free(location);
	if (code)
		gm_error_set(code, "%s", saved);
}

static int unhex(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

char *gm_uri_decode(const char *p, size_t n)
{
	char *d = gm_malloc(n + 1);
	size_t k = 0;

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && unhex(p[i + 1]) >= 0 && unhex(p[i + 2]) >= 0) {
			d[k++] = (char)(unhex(p[i + 1]) * 16 + unhex(p[i + 2]));
			i += 2;
		} else {
			d[k++] = p[i];
		}
	}
	d[k] = '\0';
	return d;
}

int gm_params_dup(const char *params, const char *key, const char *dflt, const char *what,
		  char **out)
{
	struct gm_str v;

	*out = NULL;
	if (!gm_params_get(params, key, &v))
		return !dflt || (*out = gm_strdup(dflt)) ? 0 : GM_ENOMEM;
	if (!v.len)
		return gm_error_set(GM_EINVAL, "parameter %s for %s is empty", key, what);
	return (*out = gm_uri_decode(v.p, v.len)) ? 0 : GM_ENOMEM;
}

int gm_params_get(const char *params, const char *key, struct gm_str *val)
{
	size_t klen = strlen(key);
	const char *p = params;

	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n >= klen && !strncmp(p, key, klen) && (n == klen || p[klen] == '=')) {
			val->p = n == klen ? p + n : p + klen + 1;
			val->len = n == klen ? 0 : n - klen - 1;
			return 1;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

const char *gm_uri_redact(const char *uri, char *buf, size_t n)
{
	const char *p = strstr(uri, "//"), *at, *slash;

	if (!p)
		return uri;
	slash = strchr(p + 2, '/');
	at = strchr(p + 2, '@');
	if (!at || (slash && at > slash))
		return uri;
	snprintf(buf, n, "%.*s%s", (int)(p + 2 - uri), uri, at + 1);
	return buf;
}

int gm_backend_count_uri(const char *uri, uint64_t *nodes, uint64_t *rels)
{
	struct gm_open_opts ro = {.mode = GM_OPEN_READ};
	struct gm_backend *b = NULL;
	int ok;

	if (gm_backend_open(&b, uri, &ro) < 0) {
		gm_error_clear();
		return 0;
	}
	ok = b->ops->count && b->ops->count(b, nodes, rels) == 0;
	gm_backend_close(b);
	gm_error_clear();
	return ok;
}
