/* SPDX-License-Identifier: MIT */
/*
 * The "csv" backend: a directory of neo4j-admin import CSV files, read and
 * written.
 *
 * Written layout (the location is a directory, built as "<dir>.tmp" and
 * renamed into place on commit):
 *
 *   nodes.csv          :ID,<prop>:<type>,...,:LABEL
 *                      one row per node, in the order written
 *   relationships.csv  :START_ID,:END_ID,:TYPE,<prop>:<type>,...[,gmig_key:IGNORE]
 *                      one row per relationship; gmig_key (skipped by neo4j-admin)
 *                      holds the relationship key, empty when it has none
 *   import.args        neo4j-admin argument file: --nodes=nodes.csv
 *                      --relationships=relationships.csv, comments name the
 *                      flags the data needs (--multiline-fields)
 *
 * Fields are RFC 4180: ',' delimited, '"' quoted with quotes doubled; a field
 * is quoted when it holds a delimiter, a quote, CR or LF, leading or trailing
 * blanks, or when it is an empty string (an unquoted empty field is an absent
 * property). The header is the union of every property name seen, each with
 * one neo4j-admin type: Integer long, Float double, Boolean boolean, String
 * string, Bytes byte[] (signed decimal bytes joined by ';'), Date date,
 * LocalTime localtime, Time time, LocalDateTime localdatetime, DateTime
 * datetime ("2018-05-10T12:30+01:00[Europe/Berlin]"), Duration duration, Point
 * point (Cypher map "{x:1.0, y:2.0, crs:'cartesian'}"), Vector float[] (read
 * back as a List of Float: neo4j-admin has no vector array), non-empty
 * homogeneous lists of those scalars as <type>[] joined by ';'. Rows are
 * appended to "<dir>.tmp/nodes.body" while the column set grows; commit writes
 * the header and copies the body after it, padding rows written before a
 * column appeared.
 *
 * Reading takes the groups named by import.args (--nodes=[Labels=]a.csv,b.csv,
 * --relationships=[TYPE=]..., --delimiter, --array-delimiter, --quote) or, when
 * there is none, every *.csv (.csv.gz, .csv.zst) of the directory in name
 * order; a one-line file whose name contains "header" is the header of the
 * files whose names start with the same prefix. The header of a group is the
 * first row of its first file. Node groups come before relationship groups.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "gmig/sys/backend.h"
#include "io.h"
#include "valtext.h"

#define MAX_ROW ((size_t)64 << 20) /* a row longer than this is a runaway quote */
#define KEY_COLUMN "gmig_key"

extern const struct gm_backend_ops gm_backend_csv;

/* ------------------------------------------------------------------ common */

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = gm_malloc(a + b + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

/* Removes the regular files of a directory and the directory; refuses subdirectories. */
static int remove_flat_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int error = 0;

	if (!d)
		return errno == ENOENT ? 0 : gm_error_set(GM_EIO, "cannot open '%s'", dir);
	while ((e = readdir(d))) {
		char *p;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!(p = path_join(dir, e->d_name))) {
			error = GM_ENOMEM;
			break;
		}
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			error = gm_error_set(GM_EINVAL,
					     "cannot remove '%s': it contains a directory", dir);
		else if (unlink(p) < 0 && errno != ENOENT)
			error = gm_error_set(GM_EIO, "cannot remove '%s': %s", p, strerror(errno));
		gm_free(p);
		if (error)
			break;
	}
	closedir(d);
	if (!error && rmdir(dir) < 0 && errno != ENOENT)
		error = gm_error_set(GM_EIO, "cannot remove '%s': %s", dir, strerror(errno));
	return error;
}

/* 1 when dir has no entry but . and .., 0 when it has, < 0 on error. */
static int dir_state(const char *dir, int *has_subdir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	*has_subdir = 0;
	if (!d)
		return gm_error_set(GM_EIO, "cannot open '%s': %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char *p;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		empty = 0;
		if (!(p = path_join(dir, e->d_name))) {
			closedir(d);
			return GM_ENOMEM;
		}
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			*has_subdir = 1;
		gm_free(p);
	}
	closedir(d);
	return empty;
}

/* neo4j-admin type names of the value types written (the element type for arrays). */
static const char *const type_text[GM_T__COUNT] = {
	[GM_T_BOOL] = "boolean",
	[GM_T_INT] = "long",
	[GM_T_FLOAT] = "double",
	[GM_T_STRING] = "string",
	[GM_T_BYTES] = "byte[]",
	[GM_T_DATE] = "date",
	[GM_T_LOCALTIME] = "localtime",
	[GM_T_TIME] = "time",
	[GM_T_LOCALDATETIME] = "localdatetime",
	[GM_T_DATETIME] = "datetime",
	[GM_T_DURATION] = "duration",
	[GM_T_POINT] = "point",
	[GM_T_VECTOR] = "float[]",
};

static const struct {
	const char *name;
	uint32_t srid;
	uint8_t dim;
	uint8_t geo;
} crs_table[] = {
	{"cartesian", 7203, 2, 0},
	{"cartesian-3d", 9157, 3, 0},
	{"wgs-84", 4326, 2, 1},
	{"wgs-84-3d", 4979, 3, 1},
};

static int crs_index(uint32_t srid)
{
	for (int i = 0; i < 4; i++)
		if (crs_table[i].srid == srid)
			return i;
	return -1;
}

/* ------------------------------------------------------------------ reading */

enum col_kind { K_PROP, K_ID, K_START, K_END, K_LABEL, K_TYPE, K_IGNORE, K_KEY };

struct rcol {
	enum col_kind kind;
	char *hdr;  /* the header field as written, for messages */
	char *name; /* property name (K_PROP; K_ID when named) or NULL */
	size_t name_len;
	enum gm_type t; /* value type; element type for arrays */
	uint8_t array;	/* <type>[] */
	uint8_t vector; /* vector{...}: a Vector */
	int bits;	/* integer range: 8, 16, 32 or 64 */
	char *space;	/* ID space of K_ID/K_START/K_END, NULL = the global one */
	uint32_t srid;	/* point default crs, 0 = none */
	char *tz;	/* time/datetime default zone or offset, NULL = none */
};

struct group {
	enum gm_kind kind; /* 0 = decide from the header */
	char **files;
	size_t nfiles;
	char **labels; /* --nodes=A:B=... */
	size_t nlabels;
	char *type; /* --relationships=T=... */
	struct rcol *cols;
	size_t ncols;
	size_t nprops; /* columns that give a property */
	int id_col, start_col, end_col, type_col, label_col, key_col;
};

struct csv_rd {
	struct group *groups;
	size_t ngroups, gi, fi;
	struct gm_in *in;
	const char *fname;
	uint64_t line; /* line breaks consumed in the current file */
	uint64_t row_line, row_off;
	int file_eof, skip_lf;
	struct gm_buf row;
	size_t *fs, *fl;
	unsigned char *fq;
	size_t nf, fcap;
	char delim, adelim, quote;
	int multi_space;
	const void *mem; /* gm__csv_open_mem */
	size_t memlen;
	uint64_t files_done_bytes;
};

/* ------------------------------------------------------------------ writing */

struct wcol {
	char *name;
	size_t len;
	int code; /* gm_type, or 32 + element type for arrays */
};

struct wfile {
	const char *base; /* "nodes" / "relationships" */
	struct gm_out *body;
	struct wcol *cols;
	size_t ncols, cap;
	int keys; /* some relationship had a key */
};

struct csv_wr {
	char *dir, *tmp;
	struct wfile f[2];
	struct gm_buf batch[2], field, val;
	const struct gm_prop **slots;
	size_t nslots;
	int multiline, vector, committed, made_tmp;
};

struct csv {
	struct gm_backend base;
	int writing;
	struct csv_rd rd;
	struct csv_wr wr;
};

/* ================================================================= reader */

static int rd_open_file(struct csv_rd *r, const char *path)
{
	const unsigned char *p;
	size_t n;
	int error;

	if (r->mem)
		error = gm_in_open_mem(&r->in, r->mem, r->memlen, path);
	else
		error = gm_in_open(&r->in, path);
	if (error < 0) {
		r->in = NULL;
		return error;
	}
	r->fname = path;
	r->line = 0;
	r->file_eof = 0;
	r->skip_lf = 0;
	if ((error = gm_in_window(r->in, 3, &p, &n)) < 0)
		return error;
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		gm_in_consume(r->in, 3);
	return 0;
}

static void rd_close_file(struct csv_rd *r)
{
	if (r->in) {
		r->files_done_bytes += r->mem ? r->memlen : gm_in_raw_done(r->in);
		gm_in_free(r->in);
	}
	r->in = NULL;
}

static int end_field(struct csv_rd *r, size_t start, int quoted)
{
	if (r->nf == r->fcap) {
		size_t cap = r->fcap ? r->fcap * 2 : 16;
		size_t *fs = gm_realloc(r->fs, cap * sizeof(*fs));
		size_t *fl;
		unsigned char *fq;

		if (!fs)
			return GM_ENOMEM;
		r->fs = fs;
		if (!(fl = gm_realloc(r->fl, cap * sizeof(*fl))))
			return GM_ENOMEM;
		r->fl = fl;
		if (!(fq = gm_realloc(r->fq, cap)))
			return GM_ENOMEM;
		r->fq = fq;
		r->fcap = cap;
	}
	r->fs[r->nf] = start;
	r->fl[r->nf] = r->row.len - start;
	r->fq[r->nf] = (unsigned char)quoted;
	r->nf++;
	return 0;
}

static const char *field_ptr(const struct csv_rd *r, size_t i)
{
	return r->row.p ? r->row.p + r->fs[i] : "";
}

enum { ST_START, ST_UNQ, ST_Q, ST_QQ };

/*
 * Reads the next row of the current file into r->row / r->fs / r->fl / r->fq.
 * *got is 0 at the end of the file. Blank lines are skipped. Returns 0,
 * GM_EDATA for a quoted field that never ends (the file is then finished),
 * GM_ECORRUPT for a row over MAX_ROW, or an I/O error.
 */
static int read_row(struct csv_rd *r, int *got)
{
	int st = ST_START, quoted = 0, error;
	size_t start = 0;
	const char dl = r->delim, qc = r->quote;

	*got = 0;
	r->nf = 0;
	gm_buf_clear(&r->row);
	r->row_line = r->line + 1;
	r->row_off = gm_in_tell(r->in);
	if (r->file_eof)
		return 0;
	for (;;) {
		const unsigned char *p;
		size_t n, i = 0;
		uint64_t base = gm_in_tell(r->in);

		if ((error = gm_in_window(r->in, 1, &p, &n)) < 0)
			return error;
		if (n == 0)
			break;
		while (i < n) {
			unsigned char c = p[i];
			size_t j;

			if (r->skip_lf) {
				r->skip_lf = 0;
				if (c == '\n') {
					i++;
					if (st == ST_START && r->nf == 0) {
						r->row_off = base + i;
					}
					continue;
				}
			}
			if (st == ST_Q) {
				for (j = i; j < n && p[j] != (unsigned char)qc; j++)
					if (p[j] == '\n')
						r->line++;
				if (gm_buf_put(&r->row, p + i, j - i) < 0)
					return GM_ENOMEM;
				if (j < n) {
					st = ST_QQ;
					j++;
				}
				i = j;
				continue;
			}
			if (st == ST_QQ) {
				if (c == (unsigned char)qc) {
					if (gm_buf_putc(&r->row, (char)qc) < 0)
						return GM_ENOMEM;
					st = ST_Q;
					i++;
					continue;
				}
				if (c != (unsigned char)dl && c != '\n' && c != '\r')
					st = ST_UNQ; /* text after a closing quote is kept */
			} else if (st == ST_START) {
				if (c == '\n' || c == '\r') {
					if (r->nf == 0) { /* a blank line */
						r->line++;
						r->skip_lf = c == '\r';
						i++;
						r->row_line = r->line + 1;
						r->row_off = base + i;
						continue;
					}
				} else if (c == (unsigned char)qc) {
					quoted = 1;
					start = r->row.len;
					st = ST_Q;
					i++;
					continue;
				} else {
					start = r->row.len;
					st = ST_UNQ;
				}
				if (c == (unsigned char)dl || c == '\n' || c == '\r')
					start = r->row.len;
			}
			if (c == (unsigned char)dl) {
				if ((error = end_field(r, start, quoted)) < 0)
					return error;
				quoted = 0;
				st = ST_START;
				i++;
				continue;
			}
			if (c == '\n' || c == '\r') {
				r->line++;
				r->skip_lf = c == '\r';
				gm_in_consume(r->in, i + 1);
				if ((error = end_field(r, start, quoted)) < 0)
					return error;
				*got = 1;
				return 0;
			}
			for (j = i;
			     j < n && p[j] != (unsigned char)dl && p[j] != '\n' && p[j] != '\r';
			     j++)
				;
			if (gm_buf_put(&r->row, p + i, j - i) < 0)
				return GM_ENOMEM;
			i = j;
		}
		gm_in_consume(r->in, n);
		if (r->row.len > MAX_ROW)
			return gm_error_set(
				GM_ECORRUPT,
				"invalid CSV in '%s' (line %llu): row longer than %zu MiB "
				"(an unterminated quote?)",
				r->fname, (unsigned long long)r->row_line, MAX_ROW >> 20);
	}
	r->file_eof = 1;
	if (st == ST_Q)
		return gm_error_set(GM_EDATA,
				    "invalid CSV in '%s' (line %llu): quoted field never ends",
				    r->fname, (unsigned long long)r->row_line);
	if (st == ST_START && r->nf == 0)
		return 0;
	if ((error = end_field(r, start, quoted)) < 0)
		return error;
	*got = 1;
	return 0;
}

/* ---- header ---- */

static char *dup_n(const char *p, size_t n)
{
	char *s = gm_malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int ieq(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && !strncasecmp(p, word, n);
}

static const struct {
	const char *name;
	enum gm_type t;
	int bits;
} scalar_types[] = {
	{"string", GM_T_STRING, 0},	{"char", GM_T_STRING, 0},
	{"int", GM_T_INT, 32},		{"long", GM_T_INT, 64},
	{"short", GM_T_INT, 16},	{"byte", GM_T_INT, 8},
	{"float", GM_T_FLOAT, 0},	{"double", GM_T_FLOAT, 0},
	{"boolean", GM_T_BOOL, 0},	{"point", GM_T_POINT, 0},
	{"date", GM_T_DATE, 0},		{"localtime", GM_T_LOCALTIME, 0},
	{"time", GM_T_TIME, 0},		{"localdatetime", GM_T_LOCALDATETIME, 0},
	{"datetime", GM_T_DATETIME, 0}, {"duration", GM_T_DURATION, 0},
};

/* Finds "key:value" in a {k:v, k2:v2} header configuration; value without quotes. */
static int config_get(const char *cfg, size_t n, const char *key, const char **v, size_t *vn)
{
	size_t i = 0, kl = strlen(key);

	while (i < n) {
		size_t ks, ke, vs, ve;

		while (i < n && (is_blank(cfg[i]) || cfg[i] == ','))
			i++;
		ks = i;
		while (i < n && cfg[i] != ':' && cfg[i] != ',')
			i++;
		ke = i;
		while (ke > ks && is_blank(cfg[ke - 1]))
			ke--;
		if (i < n && cfg[i] == ':')
			i++;
		while (i < n && is_blank(cfg[i]))
			i++;
		vs = i;
		while (i < n && cfg[i] != ',')
			i++;
		ve = i;
		while (ve > vs && is_blank(cfg[ve - 1]))
			ve--;
		if (ve > vs + 1 && (cfg[vs] == '\'' || cfg[vs] == '"') && cfg[ve - 1] == cfg[vs]) {
			vs++;
			ve--;
		}
		if (ke - ks == kl && !strncasecmp(cfg + ks, key, kl)) {
			*v = cfg + vs;
			*vn = ve - vs;
			return 1;
		}
	}
	return 0;
}

static int crs_from_name(const char *p, size_t n)
{
	for (int i = 0; i < 4; i++)
		if (ieq(p, n, crs_table[i].name))
			return i;
	return -1;
}

static int header_err(const struct csv_rd *r, const char *file, size_t col, const char *hdr,
		      const char *why)
{
	(void)r;
	return gm_error_set(GM_EDATA, "invalid header in '%s' (column %zu \"%s\"): %s", file,
			    col + 1, hdr, why);
}

/* Parses one header field "name:type(group){config}" into c. */
static int parse_header_field(const struct csv_rd *r, const char *file, size_t col, const char *p,
			      size_t n, struct rcol *c)
{
	const char *cfg = NULL, *grp = NULL, *ty;
	size_t cfgn = 0, grpn = 0, tyn, m = n, k;
	const char *v;
	size_t vn;

	memset(c, 0, sizeof(*c));
	c->bits = 64;
	if (!(c->hdr = dup_n(p, n)))
		return GM_ENOMEM;
	if (m && p[m - 1] == '}') {
		for (k = m - 1; k > 0 && p[k] != '{'; k--)
			;
		if (p[k] == '{') {
			cfg = p + k + 1;
			cfgn = m - 1 - (k + 1);
			m = k;
		}
	}
	if (m && p[m - 1] == ')') {
		for (k = m - 1; k > 0 && p[k] != '('; k--)
			;
		if (p[k] == '(') {
			grp = p + k + 1;
			grpn = m - 1 - (k + 1);
			m = k;
		}
	}
	for (k = m; k > 0 && p[k - 1] != ':'; k--)
		;
	if (k == 0) { /* no type: a string property */
		if (!n)
			return header_err(r, file, col, c->hdr, "a column needs a name or a type");
		c->kind = K_PROP;
		c->t = GM_T_STRING;
		if (!(c->name = dup_n(p, n)))
			return GM_ENOMEM;
		c->name_len = n;
		return 0;
	}
	ty = p + k;
	tyn = m - k;
	if (k > 1 && !(c->name = dup_n(p, k - 1)))
		return GM_ENOMEM;
	c->name_len = k > 1 ? k - 1 : 0;
	if (ieq(ty, tyn, "ID"))
		c->kind = K_ID;
	else if (ieq(ty, tyn, "START_ID"))
		c->kind = K_START;
	else if (ieq(ty, tyn, "END_ID"))
		c->kind = K_END;
	else if (ieq(ty, tyn, "LABEL"))
		c->kind = K_LABEL;
	else if (ieq(ty, tyn, "TYPE"))
		c->kind = K_TYPE;
	else if (ieq(ty, tyn, "IGNORE"))
		c->kind = c->name_len == strlen(KEY_COLUMN) &&
					  !memcmp(c->name, KEY_COLUMN, c->name_len)
				  ? K_KEY
				  : K_IGNORE;
	else {
		size_t i, base = tyn;

		c->kind = K_PROP;
		if (!c->name_len)
			return header_err(r, file, col, c->hdr, "a property column needs a name");
		if (tyn > 2 && ty[tyn - 2] == '[' && ty[tyn - 1] == ']') {
			c->array = 1;
			base = tyn - 2;
		}
		if (!c->array && ieq(ty, tyn, "vector")) {
			c->vector = 1;
			c->t = GM_T_VECTOR;
		} else {
			for (i = 0; i < sizeof(scalar_types) / sizeof(scalar_types[0]); i++)
				if (ieq(ty, base, scalar_types[i].name))
					break;
			if (i == sizeof(scalar_types) / sizeof(scalar_types[0])) {
				char why[160];

				snprintf(why, sizeof(why), "unknown type '%.*s'", (int)tyn, ty);
				return header_err(r, file, col, c->hdr, why);
			}
			c->t = scalar_types[i].t;
			if (scalar_types[i].bits)
				c->bits = scalar_types[i].bits;
			/* byte[] is a byte array: Bytes */
			if (c->array && ieq(ty, base, "byte")) {
				c->array = 0;
				c->t = GM_T_BYTES;
			}
		}
		if (cfg && c->t == GM_T_POINT && config_get(cfg, cfgn, "crs", &v, &vn)) {
			int ci = crs_from_name(v, vn);

			if (ci < 0)
				return header_err(r, file, col, c->hdr, "unknown crs");
			c->srid = crs_table[ci].srid;
		}
		if (cfg && (c->t == GM_T_TIME || c->t == GM_T_DATETIME) &&
		    config_get(cfg, cfgn, "timezone", &v, &vn) && vn && !(c->tz = dup_n(v, vn)))
			return GM_ENOMEM;
	}
	if (grp && (c->kind == K_ID || c->kind == K_START || c->kind == K_END) && grpn &&
	    !(c->space = dup_n(grp, grpn)))
		return GM_ENOMEM;
	if (c->kind == K_ID && c->name_len) /* a named id is also a String property */
		c->t = GM_T_STRING;
	return 0;
}

static void free_cols(struct rcol *cols, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		gm_free(cols[i].hdr);
		gm_free(cols[i].name);
		gm_free(cols[i].space);
		gm_free(cols[i].tz);
	}
	gm_free(cols);
}

/* Reads the first row of the group's first file and sets up its columns. */
static int load_header(struct csv_rd *r, struct group *g)
{
	int got = 0, error;
	const char *file = g->files[0];

	if ((error = rd_open_file(r, file)) < 0)
		goto done;
	if ((error = read_row(r, &got)) < 0)
		goto done;
	if (!got) {
		error = gm_error_set(GM_EDATA, "invalid CSV in '%s': no header", file);
		goto done;
	}
	if (!(g->cols = gm_calloc(r->nf, sizeof(*g->cols)))) {
		error = GM_ENOMEM;
		goto done;
	}
	g->id_col = g->start_col = g->end_col = g->type_col = g->label_col = g->key_col = -1;
	for (size_t i = 0; i < r->nf; i++) {
		struct rcol *c = &g->cols[i];
		int *slot = NULL;

		g->ncols = i + 1;
		if ((error = parse_header_field(r, file, i, field_ptr(r, i), r->fl[i], c)) < 0)
			goto done;
		switch (c->kind) {
		case K_ID: slot = &g->id_col; break;
		case K_START: slot = &g->start_col; break;
		case K_END: slot = &g->end_col; break;
		case K_TYPE: slot = &g->type_col; break;
		case K_LABEL: slot = &g->label_col; break;
		case K_KEY: slot = &g->key_col; break;
		default: break;
		}
		if (slot) {
			if (*slot >= 0) {
				error = header_err(r, file, i, c->hdr,
						   c->kind == K_ID
							   ? "composite ids are not supported"
							   : "column appears twice");
				goto done;
			}
			*slot = (int)i;
		}
		if (c->name && (c->kind == K_PROP || c->kind == K_ID)) {
			for (size_t j = 0; j < i; j++)
				if (g->cols[j].name &&
				    (g->cols[j].kind == K_PROP || g->cols[j].kind == K_ID) &&
				    g->cols[j].name_len == c->name_len &&
				    !memcmp(g->cols[j].name, c->name, c->name_len)) {
					error = header_err(r, file, i, c->hdr,
							   "property appears twice");
					goto done;
				}
			g->nprops++;
		}
	}
	if (!g->kind)
		g->kind = (g->start_col >= 0 || g->end_col >= 0) ? GM_REL : GM_NODE;
	if (g->kind == GM_REL && (g->start_col < 0 || g->end_col < 0))
		error = gm_error_set(GM_EDATA,
				     "invalid header in '%s': a relationship file needs :START_ID "
				     "and :END_ID",
				     file);
done:
	rd_close_file(r);
	r->files_done_bytes = 0;
	return error;
}

/* ---- import.args and directory listing ---- */

static void free_group(struct group *g)
{
	for (size_t i = 0; i < g->nfiles; i++)
		gm_free(g->files[i]);
	gm_free(g->files);
	for (size_t i = 0; i < g->nlabels; i++)
		gm_free(g->labels[i]);
	gm_free(g->labels);
	gm_free(g->type);
	free_cols(g->cols, g->ncols);
}

static int add_group(struct csv_rd *r, struct group **out)
{
	struct group *g = gm_realloc(r->groups, (r->ngroups + 1) * sizeof(*g));

	if (!g)
		return GM_ENOMEM;
	r->groups = g;
	*out = memset(&g[r->ngroups++], 0, sizeof(*g));
	return 0;
}

static int group_add_file(struct group *g, char *path)
{
	char **f;

	if (!path)
		return GM_ENOMEM;
	if (!(f = gm_realloc(g->files, (g->nfiles + 1) * sizeof(*f)))) {
		gm_free(path);
		return GM_ENOMEM;
	}
	g->files = f;
	g->files[g->nfiles++] = path;
	return 0;
}

static int file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A path from import.args: as given when it exists, else relative to dir, else its basename in dir. */
static char *resolve_path(const char *dir, const char *p, size_t n)
{
	char *s = dup_n(p, n), *j, *k = NULL;
	const char *slash;

	if (!s || s[0] == '/')
		return s;
	if (!(j = path_join(dir, s)) || file_exists(j) || file_exists(s)) {
		if (j && !file_exists(j)) {
			gm_free(j);
			return s;
		}
		gm_free(s);
		return j;
	}
	if ((slash = strrchr(s, '/')) && (k = path_join(dir, slash + 1)) && file_exists(k)) {
		gm_free(j);
		j = k;
	} else if (slash) {
		gm_free(k);
	}
	gm_free(s);
	return j;
}

static int parse_delim_opt(const char *v, size_t n, char *out)
{
	if (ieq(v, n, "TAB") || ieq(v, n, "\\t")) {
		*out = '\t';
		return 0;
	}
	if (n == 1) {
		*out = v[0];
		return 0;
	}
	if (n == 6 && (v[0] == 'U' || v[0] == 'u') && v[1] == '+') {
		char hex[5] = {v[2], v[3], v[4], v[5], 0};
		long c = strtol(hex, NULL, 16);

		if (c > 0 && c < 128) {
			*out = (char)c;
			return 0;
		}
	}
	return gm_error_set(GM_EINVAL, "unsupported delimiter '%.*s' in import.args", (int)n, v);
}

/* One --nodes / --relationships value: "[labels=]file,file". */
static int args_group(struct csv_rd *r, const char *dir, enum gm_kind kind, const char *v, size_t n)
{
	struct group *g;
	const char *eq = memchr(v, '=', n);
	int error;

	if ((error = add_group(r, &g)) < 0)
		return error;
	g->kind = kind;
	if (eq) {
		const char *s = v, *end = eq;

		if (kind == GM_REL) {
			if (end > s && !(g->type = dup_n(s, (size_t)(end - s))))
				return GM_ENOMEM;
		} else {
			while (s < end) {
				const char *c = memchr(s, ':', (size_t)(end - s));
				const char *e = c ? c : end;
				char **l;

				if (e > s) {
					if (!(l = gm_realloc(g->labels,
							     (g->nlabels + 1) * sizeof(*l))))
						return GM_ENOMEM;
					g->labels = l;
					if (!(l[g->nlabels] = dup_n(s, (size_t)(e - s))))
						return GM_ENOMEM;
					g->nlabels++;
				}
				s = e + (c ? 1 : 0);
			}
		}
		n -= (size_t)(eq + 1 - v);
		v = eq + 1;
	}
	while (n) {
		const char *c = memchr(v, ',', n);
		size_t k = c ? (size_t)(c - v) : n;

		if (k && (error = group_add_file(g, resolve_path(dir, v, k))) < 0)
			return error;
		v += k + (c ? 1 : 0);
		n -= k + (c ? 1 : 0);
	}
	if (!g->nfiles)
		return gm_error_set(GM_EINVAL, "an empty file list in '%s/import.args'", dir);
	return 0;
}

static int args_token(struct csv_rd *r, const char *dir, const char *t, size_t n,
		      const char **pending)
{
	static const char *const opts[] = {"--nodes", "--relationships", "--delimiter",
					   "--array-delimiter", "--quote"};
	const char *v = NULL;
	size_t vn = 0, oi;

	if (*pending) { /* the value of "--option value" */
		const char *o = *pending;

		*pending = NULL;
		for (oi = 0; oi < 5 && strcmp(opts[oi], o); oi++)
			;
		v = t;
		vn = n;
	} else {
		for (oi = 0; oi < 5; oi++) {
			size_t ol = strlen(opts[oi]);

			if (n >= ol && !memcmp(t, opts[oi], ol) && (n == ol || t[ol] == '='))
				break;
		}
		if (oi == 5)
			return 0;
		if (n == strlen(opts[oi])) {
			*pending = opts[oi];
			return 0;
		}
		v = t + strlen(opts[oi]) + 1;
		vn = n - strlen(opts[oi]) - 1;
	}
	switch (oi) {
	case 0: return args_group(r, dir, GM_NODE, v, vn);
	case 1: return args_group(r, dir, GM_REL, v, vn);
	case 2: return parse_delim_opt(v, vn, &r->delim);
	case 3: return parse_delim_opt(v, vn, &r->adelim);
	case 4: return parse_delim_opt(v, vn, &r->quote);
	}
	return 0;
}

/* Reads "<dir>/import.args" (picocli argument file: '#' comments, quoted tokens). */
static int read_args(struct csv_rd *r, const char *dir, const char *path)
{
	struct gm_in *in = NULL;
	struct gm_buf tok = GM_BUF_INIT;
	const char *pending = NULL;
	int error, comment = 0, at_line_start = 1, q = 0, intok = 0;

	if ((error = gm_in_open(&in, path)) < 0)
		return error;
	for (;;) {
		const unsigned char *p;
		size_t n;

		if ((error = gm_in_window(in, 1, &p, &n)) < 0)
			goto done;
		if (!n)
			break;
		for (size_t i = 0; i < n; i++) {
			char c = (char)p[i];

			if (comment) {
				if (c == '\n') {
					comment = 0;
					at_line_start = 1;
				}
				continue;
			}
			if (q) {
				if (c == q)
					q = 0;
				else if (gm_buf_putc(&tok, c) < 0)
					goto oom;
				continue;
			}
			if (c == '#' && at_line_start && !intok) {
				comment = 1;
				continue;
			}
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
				if (intok) {
					if ((error = args_token(r, dir, tok.p ? tok.p : "", tok.len,
								&pending)) < 0)
						goto done;
					gm_buf_clear(&tok);
					intok = 0;
				}
				if (c == '\n')
					at_line_start = 1;
				continue;
			}
			at_line_start = 0;
			intok = 1;
			if (c == '"' || c == '\'')
				q = c;
			else if (gm_buf_putc(&tok, c) < 0)
				goto oom;
		}
		gm_in_consume(in, n);
	}
	if (intok)
		error = args_token(r, dir, tok.p ? tok.p : "", tok.len, &pending);
	goto done;
oom:
	error = GM_ENOMEM;
done:
	gm_buf_free(&tok);
	gm_in_free(in);
	return error;
}

static int has_csv_suffix(const char *name)
{
	static const char *const sfx[] = {".csv", ".csv.gz", ".csv.zst"};
	size_t n = strlen(name);

	for (int i = 0; i < 3; i++) {
		size_t k = strlen(sfx[i]);

		if (n > k && !strcasecmp(name + n - k, sfx[i]))
			return 1;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Number of rows of a file, stopping at 2. */
static int count_rows(struct csv_rd *r, const char *path, int *rows)
{
	int got = 1, error = 0;

	*rows = 0;
	if ((error = rd_open_file(r, path)) < 0)
		return error;
	while (*rows < 2 && (error = read_row(r, &got)) >= 0 && got)
		(*rows)++;
	rd_close_file(r);
	r->files_done_bytes = 0;
	return error < 0 ? error : 0;
}

/* Length of the group prefix of a header file name ("movies_header.csv" -> "movies"). */
static size_t header_prefix(const char *name)
{
	const char *h = strstr(name, "header");
	size_t k;

	if (!h)
		h = strstr(name, "HEADER");
	k = (size_t)(h - name);
	while (k && (name[k - 1] == '_' || name[k - 1] == '-' || name[k - 1] == '.'))
		k--;
	return k;
}

static int scan_dir(struct csv_rd *r, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	unsigned char *is_hdr = NULL;
	int *grp = NULL;
	size_t n = 0, cap = 0, i, j;
	int error = 0;

	if (!d)
		return gm_error_set(GM_ENOTFOUND, "cannot open directory '%s': %s", dir,
				    strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !has_csv_suffix(e->d_name))
			continue;
		if (n == cap) {
			char **nn = gm_realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));

			if (!nn) {
				error = GM_ENOMEM;
				break;
			}
			names = nn;
		}
		if (!(names[n] = gm_strdup(e->d_name))) {
			error = GM_ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (error)
		goto done;
	if (!n) {
		error = gm_error_set(GM_ENOTFOUND, "no CSV files in '%s'", dir);
		goto done;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	if (!(is_hdr = gm_calloc(n, 1)) || !(grp = gm_malloc(n * sizeof(*grp)))) {
		error = GM_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		grp[i] = -1;
		if (strstr(names[i], "header") || strstr(names[i], "HEADER")) {
			char *p = path_join(dir, names[i]);
			int rows = 0;

			if (!p) {
				error = GM_ENOMEM;
				goto done;
			}
			error = count_rows(r, p, &rows);
			gm_free(p);
			if (error < 0)
				goto done;
			is_hdr[i] = rows == 1;
		}
	}
	/* each data file joins the header with the longest matching prefix */
	for (i = 0; i < n; i++) {
		size_t best = 0;

		if (is_hdr[i])
			continue;
		for (j = 0; j < n; j++) {
			size_t k;

			if (!is_hdr[j])
				continue;
			k = header_prefix(names[j]);
			if (!strncmp(names[i], names[j], k) && (grp[i] < 0 || k > best)) {
				grp[i] = (int)j;
				best = k;
			}
		}
	}
	/* groups in the name order of their first file */
	for (i = 0; i < n; i++) {
		struct group *g;
		int anchor = is_hdr[i] ? (int)i : grp[i];

		if (anchor >= 0) { /* a header group: made at its first file */
			size_t k;

			for (k = 0; k < i && !(is_hdr[k] ? (int)k == anchor : grp[k] == anchor);
			     k++)
				;
			if (k < i)
				continue;
		}
		if ((error = add_group(r, &g)) < 0)
			goto done;
		if (anchor < 0) {
			if ((error = group_add_file(g, path_join(dir, names[i]))) < 0)
				goto done;
			continue;
		}
		if ((error = group_add_file(g, path_join(dir, names[anchor]))) < 0)
			goto done;
		for (j = 0; j < n; j++)
			if (!is_hdr[j] && grp[j] == anchor &&
			    (error = group_add_file(g, path_join(dir, names[j]))) < 0)
				goto done;
	}
done:
	for (i = 0; i < n; i++)
		gm_free(names[i]);
	gm_free(names);
	gm_free(is_hdr);
	gm_free(grp);
	return error;
}

static int str_eq_opt(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Loads every header, orders node groups first and decides how ID spaces name keys. */
static int rd_setup(struct csv_rd *r)
{
	const char *first = NULL;
	int seen = 0, error;
	struct group *sorted;
	size_t k = 0;

	for (size_t i = 0; i < r->ngroups; i++)
		if ((error = load_header(r, &r->groups[i])) < 0)
			return error;
	if (!(sorted = gm_malloc((r->ngroups ? r->ngroups : 1) * sizeof(*sorted))))
		return GM_ENOMEM;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->ngroups; i++)
			if ((r->groups[i].kind == GM_NODE) == (pass == 0))
				sorted[k++] = r->groups[i];
	memcpy(r->groups, sorted, r->ngroups * sizeof(*sorted));
	gm_free(sorted);
	for (size_t i = 0; i < r->ngroups; i++) {
		struct group *g = &r->groups[i];

		for (size_t c = 0; c < g->ncols; c++) {
			enum col_kind kd = g->cols[c].kind;

			if (kd != K_ID && kd != K_START && kd != K_END)
				continue;
			if (!seen) {
				first = g->cols[c].space;
				seen = 1;
			} else if (!str_eq_opt(first, g->cols[c].space)) {
				r->multi_space = 1;
			}
		}
	}
	return 0;
}

/* ---- rows to records ---- */

struct rowctx {
	struct csv_rd *r;
	const struct group *g;
	size_t col;
};

static int row_err(const struct rowctx *x, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static int row_err(const struct rowctx *x, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (x->col == (size_t)-1)
		return gm_error_set(GM_EDATA, "invalid %s in '%s' (line %llu): %s",
				    x->g->kind == GM_REL ? "relationship" : "node", x->r->fname,
				    (unsigned long long)x->r->row_line, why);
	return gm_error_set(GM_EDATA, "invalid %s in '%s' (line %llu, column %zu \"%s\"): %s",
			    x->g->kind == GM_REL ? "relationship" : "node", x->r->fname,
			    (unsigned long long)x->r->row_line, x->col + 1, x->g->cols[x->col].hdr,
			    why);
}

/* The last error message copied out, so it can be part of a new one. */
static const char *last_msg(char *buf, size_t n)
{
	snprintf(buf, n, "%s", gm_error_last());
	return buf;
}

static int parse_point(const struct rowctx *x, const struct rcol *c, const char *p, size_t n,
		       struct gm_value *out)
{
	double coord[3] = {0, 0, 0}; /* x/longitude, y/latitude, z/height */
	int have[3] = {0, 0, 0}, geo = -1, crs = -1, ci;
	size_t i = 0;
	char msg[256];

	while (i < n && is_blank(p[i]))
		i++;
	if (i == n || p[i] != '{')
		return row_err(x, "a point must be a map such as {x:1.0, y:2.0}, not '%.*s'",
			       (int)n, p);
	i++;
	for (;;) {
		size_t ks, kn, vs, vn;
		int slot = -1;

		while (i < n && (is_blank(p[i]) || p[i] == ','))
			i++;
		if (i < n && p[i] == '}')
			break;
		ks = i;
		while (i < n && p[i] != ':' && p[i] != '}' && p[i] != ',' && !is_blank(p[i]))
			i++;
		kn = i - ks;
		while (i < n && is_blank(p[i]))
			i++;
		if (i == n || p[i] != ':' || !kn)
			return row_err(x, "invalid point map '%.*s'", (int)n, p);
		i++;
		while (i < n && is_blank(p[i]))
			i++;
		if (i < n && (p[i] == '\'' || p[i] == '"')) {
			char qc = p[i++];

			vs = i;
			while (i < n && p[i] != qc)
				i++;
			if (i == n)
				return row_err(x, "invalid point map '%.*s'", (int)n, p);
			vn = i++ - vs;
		} else {
			vs = i;
			while (i < n && p[i] != ',' && p[i] != '}' && !is_blank(p[i]))
				i++;
			vn = i - vs;
		}
		if (ieq(p + ks, kn, "crs")) {
			if ((crs = crs_from_name(p + vs, vn)) < 0)
				return row_err(x, "unknown crs '%.*s'", (int)vn, p + vs);
			continue;
		}
		if (ieq(p + ks, kn, "srid")) {
			int64_t s;

			if (gm_parse_int64(p + vs, vn, &s) < 0 ||
			    (crs = crs_index((uint32_t)s)) < 0 || s < 0)
				return row_err(x, "unknown srid '%.*s'", (int)vn, p + vs);
			continue;
		}
		if (ieq(p + ks, kn, "x"))
			slot = 0, geo = geo == 1 ? 2 : 0;
		else if (ieq(p + ks, kn, "y"))
			slot = 1, geo = geo == 1 ? 2 : 0;
		else if (ieq(p + ks, kn, "z"))
			slot = 2, geo = geo == 1 ? 2 : 0;
		else if (ieq(p + ks, kn, "longitude"))
			slot = 0, geo = geo == 0 ? 2 : 1;
		else if (ieq(p + ks, kn, "latitude"))
			slot = 1, geo = geo == 0 ? 2 : 1;
		else if (ieq(p + ks, kn, "height"))
			slot = 2, geo = geo == 0 ? 2 : 1;
		else
			return row_err(x, "unknown point key '%.*s'", (int)kn, p + ks);
		if (geo == 2)
			return row_err(x, "point '%.*s' mixes x/y/z and longitude/latitude/height",
				       (int)n, p);
		if (have[slot])
			return row_err(x, "point key '%.*s' appears twice", (int)kn, p + ks);
		if (gm_parse_double(p + vs, vn, &coord[slot]) < 0)
			return row_err(x, "%s", last_msg(msg, sizeof(msg)));
		have[slot] = 1;
	}
	i++;
	while (i < n && is_blank(p[i]))
		i++;
	if (i != n)
		return row_err(x, "text after the point map '%.*s'", (int)n, p);
	if (!have[0] || !have[1])
		return row_err(x, "point '%.*s' needs two coordinates", (int)n, p);
	if (crs < 0 && c->srid) { /* the header's default, in the value's dimension */
		int d = crs_index(c->srid);

		crs = crs_table[d].geo * 2 + have[2];
	}
	if (crs < 0)
		crs = (geo == 1 ? 2 : 0) + have[2];
	ci = crs;
	if (crs_table[ci].dim != (have[2] ? 3 : 2))
		return row_err(x, "point '%.*s' has %d coordinates but crs '%s'", (int)n, p,
			       have[2] ? 3 : 2, crs_table[ci].name);
	out->type = GM_T_POINT;
	out->u.pt.srid = crs_table[ci].srid;
	out->u.pt.dim = crs_table[ci].dim;
	out->u.pt.x = coord[0];
	out->u.pt.y = coord[1];
	out->u.pt.z = have[2] ? coord[2] : 0.0;
	return 0;
}

/* 1 when a time/datetime text names its offset or zone. */
static int has_zone(const char *p, size_t n, enum gm_type t)
{
	size_t i = 0;

	if (t == GM_T_DATETIME) {
		while (i < n && p[i] != 'T' && p[i] != 't')
			i++;
	}
	for (; i < n; i++)
		if (p[i] == 'Z' || p[i] == 'z' || p[i] == '+' || p[i] == '-' || p[i] == '[')
			return 1;
	return 0;
}

/* Parses one scalar of type c->t (for arrays: one element). */
static int parse_scalar(const struct rowctx *x, const struct rcol *c, const char *p, size_t n,
			struct gm_arena *a, struct gm_value *out)
{
	char msg[256];
	int error;

	memset(out, 0, sizeof(*out));
	switch (c->t) {
	case GM_T_STRING:
		out->type = GM_T_STRING;
		if (!(out->u.s.p = gm_arena_strdup(a, p, n)))
			return GM_ENOMEM;
		out->u.s.len = n;
		return 0;
	case GM_T_BOOL: /* neo4j-admin: true only for exactly "true" */
		out->type = GM_T_BOOL;
		out->u.b = n == 4 && !memcmp(p, "true", 4);
		return 0;
	case GM_T_INT: {
		int64_t v, lim;

		if (gm_parse_int64(p, n, &v) < 0)
			return row_err(x, "'%.*s' is not an integer", (int)n, p);
		lim = c->bits == 64 ? 0 : (int64_t)1 << (c->bits - 1);
		if (lim && (v < -lim || v >= lim))
			return row_err(x, "%.*s is out of range for %d-bit integers", (int)n, p,
				       c->bits);
		out->type = GM_T_INT;
		out->u.i = v;
		return 0;
	}
	case GM_T_FLOAT:
		if (gm_parse_double(p, n, &out->u.f) < 0)
			return row_err(x, "'%.*s' is not a number", (int)n, p);
		out->type = GM_T_FLOAT;
		return 0;
	case GM_T_POINT: return parse_point(x, c, p, n, out);
	case GM_T_TIME:
	case GM_T_DATETIME:
		if (!has_zone(p, n, c->t)) { /* the header's zone, else UTC as neo4j's default */
			const char *tz = c->tz ? c->tz : "Z";
			int offset_like = tz[0] == '+' || tz[0] == '-' || !strcmp(tz, "Z");
			size_t tn = strlen(tz);
			char *s = gm_arena_alloc(a, n + tn + 3);

			if (!s)
				return GM_ENOMEM;
			memcpy(s, p, n);
			if (offset_like) {
				memcpy(s + n, tz, tn);
				n += tn;
			} else {
				s[n] = '[';
				memcpy(s + n + 1, tz, tn);
				s[n + 1 + tn] = ']';
				n += tn + 2;
			}
			p = s;
		}
		/* fall through */
	default:
		if ((error = gm_value_parse_text(c->t, p, n, a, out)) < 0)
			return error == GM_ENOMEM ? error
						  : row_err(x, "%s", last_msg(msg, sizeof(msg)));
		return 0;
	}
}

static size_t count_parts(const char *p, size_t n, char d)
{
	size_t k = 1;

	for (size_t i = 0; i < n; i++)
		k += p[i] == d;
	return k;
}

static int parse_value(const struct rowctx *x, const struct rcol *c, const char *p, size_t n,
		       struct gm_arena *a, struct gm_value *out)
{
	const char d = x->r->adelim;
	size_t k, i, s;
	int error;

	if (c->t == GM_T_BYTES || c->vector || c->array) {
		k = count_parts(p, n, d);
		if (c->t == GM_T_BYTES) {
			unsigned char *b = gm_arena_alloc(a, k);

			if (!b)
				return GM_ENOMEM;
			for (i = 0, s = 0; i < k; i++) {
				const char *e = memchr(p + s, d, n - s);
				size_t len = e ? (size_t)(e - (p + s)) : n - s;
				int64_t v;

				if (gm_parse_int64(p + s, len, &v) < 0 || v < -128 || v > 127)
					return row_err(x, "'%.*s' is not a byte (-128..127)",
						       (int)len, p + s);
				b[i] = (unsigned char)(int8_t)v;
				s += len + 1;
			}
			out->type = GM_T_BYTES;
			out->u.s.p = (const char *)b;
			out->u.s.len = k;
			return 0;
		}
		if (c->vector) {
			float *v = gm_arena_alloc(a, k * sizeof(float));

			if (!v)
				return GM_ENOMEM;
			for (i = 0, s = 0; i < k; i++) {
				const char *e = memchr(p + s, d, n - s);
				size_t len = e ? (size_t)(e - (p + s)) : n - s;
				double f;

				if (gm_parse_double(p + s, len, &f) < 0)
					return row_err(x, "'%.*s' is not a number", (int)len,
						       p + s);
				v[i] = (float)f;
				s += len + 1;
			}
			out->type = GM_T_VECTOR;
			out->u.vec.v = v;
			out->u.vec.n = k;
			return 0;
		}
		if (!(out->u.list.v = gm_arena_alloc(a, k * sizeof(struct gm_value))))
			return GM_ENOMEM;
		for (i = 0, s = 0; i < k; i++) {
			const char *e = memchr(p + s, d, n - s);
			size_t len = e ? (size_t)(e - (p + s)) : n - s;

			if ((error = parse_scalar(x, c, p + s, len, a, &out->u.list.v[i])) < 0)
				return error;
			s += len + 1;
		}
		out->type = GM_T_LIST;
		out->u.list.n = k;
		return 0;
	}
	return parse_scalar(x, c, p, n, a, out);
}

static int make_key(struct csv_rd *r, const struct rcol *c, const char *p, size_t n,
		    struct gm_arena *a, struct gm_str *out)
{
	size_t sn = (r->multi_space && c->space) ? strlen(c->space) + 1 : 0;
	char *s = gm_arena_alloc(a, sn + n + 1);

	if (!s)
		return GM_ENOMEM;
	if (sn) {
		memcpy(s, c->space, sn - 1);
		s[sn - 1] = ':';
	}
	memcpy(s + sn, p, n);
	s[sn + n] = '\0';
	out->p = s;
	out->len = sn + n;
	return 0;
}

static int build_record(struct csv_rd *r, const struct group *g, struct gm_record *rec,
			struct gm_arena *a)
{
	struct rowctx x = {r, g, (size_t)-1};
	size_t nl = 0;
	int error;

	memset(rec, 0, sizeof(*rec));
	rec->kind = g->kind;
	rec->line = r->row_line;
	rec->offset = r->row_off;
	if (r->nf != g->ncols)
		return row_err(&x, "%zu fields, the header has %zu columns", r->nf, g->ncols);
	if (g->nprops && !(rec->props = gm_arena_alloc(a, g->nprops * sizeof(*rec->props))))
		return GM_ENOMEM;
	if (g->kind == GM_NODE) {
		size_t cap = g->nlabels;

		if (g->label_col >= 0)
			cap += count_parts(field_ptr(r, (size_t)g->label_col), r->fl[g->label_col],
					   r->adelim);
		if (cap && !(rec->labels = gm_arena_alloc(a, cap * sizeof(*rec->labels))))
			return GM_ENOMEM;
		for (size_t i = 0; i < g->nlabels; i++)
			rec->labels[nl++] = gm_str_c(g->labels[i]);
	} else if (g->type) {
		rec->type = gm_str_c(g->type);
	}
	for (size_t i = 0; i < g->ncols; i++) {
		const struct rcol *c = &g->cols[i];
		const char *p = field_ptr(r, i);
		size_t n = r->fl[i];
		int empty = n == 0;

		x.col = i;
		switch (c->kind) {
		case K_ID:
			if (g->kind != GM_NODE)
				break;
			if (empty && !r->fq[i])
				return row_err(&x, "missing node id");
			if ((error = make_key(r, c, p, n, a, &rec->key)) < 0)
				return error;
			if (c->name_len) {
				struct gm_prop *pr = &rec->props[rec->nprops++];

				pr->key.p = c->name;
				pr->key.len = c->name_len;
				if ((error = parse_scalar(&x, c, p, n, a, &pr->val)) < 0)
					return error;
			}
			break;
		case K_START:
		case K_END:
			if (g->kind != GM_REL)
				break;
			if (empty && !r->fq[i])
				return row_err(&x, "missing %s node id",
					       c->kind == K_START ? "start" : "end");
			if ((error = make_key(r, c, p, n, a,
					      c->kind == K_START ? &rec->from : &rec->to)) < 0)
				return error;
			break;
		case K_LABEL:
			if (g->kind != GM_NODE)
				break;
			for (size_t s = 0; s <= n;) {
				const char *e = memchr(p + s, r->adelim, n - s);
				size_t len = e ? (size_t)(e - (p + s)) : n - s;

				if (len) {
					if (!(rec->labels[nl].p = gm_arena_strdup(a, p + s, len)))
						return GM_ENOMEM;
					rec->labels[nl++].len = len;
				}
				s += len + 1;
			}
			break;
		case K_TYPE:
			if (g->kind != GM_REL || (empty && g->type))
				break;
			if (!(rec->type.p = gm_arena_strdup(a, p, n)))
				return GM_ENOMEM;
			rec->type.len = n;
			break;
		case K_KEY:
			if (g->kind != GM_REL || (empty && !r->fq[i]))
				break;
			if (!(rec->key.p = gm_arena_strdup(a, p, n)))
				return GM_ENOMEM;
			rec->key.len = n;
			break;
		case K_IGNORE: break;
		case K_PROP: {
			struct gm_prop *pr;

			/* empty is absent; only a quoted empty String is "" */
			if (empty && (!r->fq[i] || c->t != GM_T_STRING || c->array))
				break;
			pr = &rec->props[rec->nprops];
			pr->key.p = c->name;
			pr->key.len = c->name_len;
			if ((error = parse_value(&x, c, p, n, a, &pr->val)) < 0)
				return error;
			rec->nprops++;
			break;
		}
		}
	}
	rec->nlabels = nl;
	x.col = (size_t)-1;
	if (g->kind == GM_NODE && !rec->key.p) {
		/* no :ID column: the node is named by its place in the input */
		char tmp[64];
		int k = snprintf(tmp, sizeof(tmp), ":%llu", (unsigned long long)r->row_line);
		size_t fl = strlen(r->fname);
		char *s = gm_arena_alloc(a, fl + (size_t)k + 1);

		if (!s)
			return GM_ENOMEM;
		memcpy(s, r->fname, fl);
		memcpy(s + fl, tmp, (size_t)k + 1);
		rec->key.p = s;
		rec->key.len = fl + (size_t)k;
	}
	if (g->kind == GM_REL && !rec->type.len)
		return row_err(&x, "missing relationship type");
	/* property names point into the group: copy them so records outlive the reader */
	for (size_t i = 0; i < rec->nprops; i++) {
		struct gm_prop *pr = &rec->props[i];

		if (!(pr->key.p = gm_arena_strdup(a, pr->key.p, pr->key.len)))
			return GM_ENOMEM;
	}
	for (size_t i = 0; i < g->nlabels; i++)
		if (!(rec->labels[i].p = gm_arena_strdup(a, rec->labels[i].p, rec->labels[i].len)))
			return GM_ENOMEM;
	if (g->kind == GM_REL && g->type && rec->type.p == g->type &&
	    !(rec->type.p = gm_arena_strdup(a, g->type, strlen(g->type))))
		return GM_ENOMEM;
	return 0;
}

static int csv_read_next(struct gm_backend *b, struct gm_record *rec, struct gm_arena *a)
{
	struct csv *c = (struct csv *)b;
	struct csv_rd *r = &c->rd;
	int error, got;

	for (;;) {
		struct group *g;

		if (!r->in) {
			if (r->gi >= r->ngroups)
				return GM_ITEROVER;
			g = &r->groups[r->gi];
			if (r->fi >= g->nfiles) {
				r->gi++;
				r->fi = 0;
				continue;
			}
			if ((error = rd_open_file(r, g->files[r->fi])) < 0)
				return error;
			if (r->fi == 0 && ((error = read_row(r, &got)) < 0 || !got)) {
				rd_close_file(r); /* the header row, parsed at open */
				r->fi++;
				if (error < 0)
					return error;
				continue;
			}
		}
		g = &r->groups[r->gi];
		error = read_row(r, &got);
		b->progress_done =
			r->files_done_bytes + (r->mem ? gm_in_tell(r->in) : gm_in_raw_done(r->in));
		if (error == GM_EDATA || (error >= 0 && !got)) {
			rd_close_file(r);
			r->fi++;
			if (error < 0)
				return error;
			continue;
		}
		if (error < 0)
			return error;
		return build_record(r, g, rec, a);
	}
}

static int rd_init(struct csv *c, const char *location)
{
	struct csv_rd *r = &c->rd;
	struct stat st;
	int error;

	r->delim = ',';
	r->adelim = ';';
	r->quote = '"';
	if (stat(location, &st) < 0)
		return gm_error_set(GM_ENOTFOUND, "cannot open '%s': %s", location,
				    strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		char *args = path_join(location, "import.args");

		if (!args)
			return GM_ENOMEM;
		if (file_exists(args))
			error = read_args(r, location, args);
		else
			error = scan_dir(r, location);
		gm_free(args);
		if (error < 0)
			return error;
		if (!r->ngroups)
			return gm_error_set(GM_ENOTFOUND, "no --nodes or --relationships in '%s'",
					    location);
	} else {
		struct group *g;

		if ((error = add_group(r, &g)) < 0 ||
		    (error = group_add_file(g, gm_strdup(location))) < 0)
			return error;
	}
	for (size_t i = 0; i < r->ngroups; i++)
		for (size_t j = 0; j < r->groups[i].nfiles; j++)
			if (stat(r->groups[i].files[j], &st) == 0)
				c->base.progress_total += (uint64_t)st.st_size;
			else
				return gm_error_set(GM_ENOTFOUND, "cannot open '%s': %s",
						    r->groups[i].files[j], strerror(errno));
	return rd_setup(r);
}

static void rd_free(struct csv_rd *r)
{
	rd_close_file(r);
	for (size_t i = 0; i < r->ngroups; i++)
		free_group(&r->groups[i]);
	gm_free(r->groups);
	gm_buf_free(&r->row);
	gm_free(r->fs);
	gm_free(r->fl);
	gm_free(r->fq);
}

/* ================================================================= writer */

static int refuse(const struct gm_record *rec, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static int refuse(const struct gm_record *rec, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (rec->kind == GM_NODE)
		return gm_error_set(GM_EUNSUPPORTED, "csv cannot store node '%.*s': %s",
				    (int)rec->key.len, rec->key.p ? rec->key.p : "", why);
	if (rec->key.p)
		return gm_error_set(GM_EUNSUPPORTED, "csv cannot store relationship '%.*s': %s",
				    (int)rec->key.len, rec->key.p, why);
	return gm_error_set(
		GM_EUNSUPPORTED, "csv cannot store relationship '%.*s'-[%.*s]->'%.*s': %s",
		(int)rec->from.len, rec->from.p ? rec->from.p : "", (int)rec->type.len,
		rec->type.p ? rec->type.p : "", (int)rec->to.len, rec->to.p ? rec->to.p : "", why);
}

static int array_elem_ok(enum gm_type t)
{
	return t == GM_T_BOOL || t == GM_T_INT || t == GM_T_FLOAT || t == GM_T_STRING ||
	       (t >= GM_T_DATE && t <= GM_T_POINT);
}

/* The column code of a value, or -1 with *why set when CSV cannot store it. */
static int value_code(const struct gm_value *v, const char **why)
{
	switch (v->type) {
	case GM_T_NULL:
		*why = "null values cannot be stored (CSV cannot tell null from absent)";
		return -1;
	case GM_T_MAP: *why = "maps cannot be stored in CSV"; return -1;
	case GM_T_BYTES:
		if (!v->u.s.len) {
			*why = "empty Bytes cannot be stored (CSV cannot tell empty from absent)";
			return -1;
		}
		return GM_T_BYTES;
	case GM_T_VECTOR:
		if (!v->u.vec.n) {
			*why = "an empty Vector cannot be stored (CSV cannot tell empty from "
			       "absent)";
			return -1;
		}
		return GM_T_VECTOR;
	case GM_T_POINT:
		if (crs_index(v->u.pt.srid) < 0 ||
		    crs_table[crs_index(v->u.pt.srid)].dim != v->u.pt.dim) {
			*why = "a point whose SRID neo4j does not know cannot be stored";
			return -1;
		}
		return GM_T_POINT;
	case GM_T_LIST: {
		enum gm_type t;

		if (!v->u.list.n) {
			*why = "an empty list cannot be stored (CSV cannot tell an empty list from "
			       "a missing one)";
			return -1;
		}
		t = v->u.list.v[0].type;
		for (size_t i = 0; i < v->u.list.n; i++) {
			const struct gm_value *e = &v->u.list.v[i];

			if (e->type == GM_T_LIST || e->type == GM_T_MAP) {
				*why = "nested lists and maps in lists cannot be stored in CSV";
				return -1;
			}
			if (e->type != t) {
				*why = "lists of mixed types cannot be stored in CSV";
				return -1;
			}
			if (!array_elem_ok(t)) {
				*why = t == GM_T_NULL
					       ? "lists holding null cannot be stored in CSV"
					       : "lists of this type cannot be stored in CSV";
				return -1;
			}
			if (t == GM_T_POINT &&
			    (crs_index(e->u.pt.srid) < 0 ||
			     crs_table[crs_index(e->u.pt.srid)].dim != e->u.pt.dim)) {
				*why = "a point whose SRID neo4j does not know cannot be stored";
				return -1;
			}
		}
		return 32 + (int)t;
	}
	default: return (int)v->type;
	}
}

static int code_text(struct gm_buf *b, int code)
{
	if (code >= 32)
		return gm_buf_printf(b, "%s[]", type_text[code - 32]);
	return gm_buf_puts(b, type_text[code]);
}

static int fmt_point(struct gm_buf *b, const struct gm_point *pt)
{
	int ci = crs_index(pt->srid);
	int geo = crs_table[ci].geo;

	if (gm_buf_puts(b, geo ? "{latitude:" : "{x:") < 0 ||
	    gm_fmt_double(b, geo ? pt->y : pt->x) < 0 ||
	    gm_buf_puts(b, geo ? ", longitude:" : ", y:") < 0 ||
	    gm_fmt_double(b, geo ? pt->x : pt->y) < 0)
		return GM_ENOMEM;
	if (pt->dim == 3 &&
	    (gm_buf_puts(b, geo ? ", height:" : ", z:") < 0 || gm_fmt_double(b, pt->z) < 0))
		return GM_ENOMEM;
	return gm_buf_printf(b, ", crs:'%s'}", crs_table[ci].name);
}

/* Appends the text of a storable scalar (no quoting). */
static int fmt_scalar(struct gm_buf *b, const struct gm_value *v)
{
	switch (v->type) {
	case GM_T_BOOL: return gm_buf_puts(b, v->u.b ? "true" : "false");
	case GM_T_INT: return gm_buf_put_i64(b, (long long)v->u.i);
	case GM_T_FLOAT: return gm_fmt_double(b, v->u.f);
	case GM_T_STRING: return gm_buf_put(b, v->u.s.p, v->u.s.len);
	case GM_T_POINT: return fmt_point(b, &v->u.pt);
	default: return gm_value_format_text(b, v);
	}
}

/* Appends the field text of v; refuses array elements holding the array delimiter. */
static int fmt_value(const struct gm_record *rec, const struct gm_prop *pr, struct gm_buf *b)
{
	const struct gm_value *v = &pr->val;
	int error = 0;

	switch (v->type) {
	case GM_T_BYTES:
		for (size_t i = 0; i < v->u.s.len && !error; i++)
			error = gm_buf_printf(b, i ? ";%d" : "%d",
					      (int)(int8_t)(unsigned char)v->u.s.p[i]);
		return error;
	case GM_T_VECTOR:
		for (size_t i = 0; i < v->u.vec.n && !error; i++)
			if (!(error = i ? gm_buf_putc(b, ';') : 0))
				error = gm_fmt_float32(b, v->u.vec.v[i]);
		return error;
	case GM_T_LIST:
		for (size_t i = 0; i < v->u.list.n; i++) {
			const struct gm_value *e = &v->u.list.v[i];

			if (e->type == GM_T_STRING) {
				if (!e->u.s.len)
					return refuse(
						rec,
						"property '%.*s': an empty string in a list "
						"cannot be stored (CSV arrays cannot hold one)",
						(int)pr->key.len, pr->key.p);
				if (memchr(e->u.s.p, ';', e->u.s.len))
					return refuse(
						rec,
						"property '%.*s': a list element contains the "
						"array delimiter ';'",
						(int)pr->key.len, pr->key.p);
			}
			if ((i && gm_buf_putc(b, ';') < 0) || (error = fmt_scalar(b, e)) < 0)
				return error < 0 ? error : GM_ENOMEM;
		}
		return 0;
	default: return fmt_scalar(b, v);
	}
}

/* Appends one field, RFC 4180 quoted when needed; quote forces quotes (an empty string). */
static int put_field(struct csv_wr *w, struct gm_buf *out, const char *p, size_t n, int quote)
{
	int need = quote || (n && (is_blank(p[0]) || is_blank(p[n - 1])));

	for (size_t i = 0; i < n && !(need && w->multiline); i++)
		if (p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n') {
			need = 1;
			if (p[i] == '\r' || p[i] == '\n')
				w->multiline = 1;
		}
	if (!need)
		return gm_buf_put(out, p, n);
	if (gm_buf_putc(out, '"') < 0)
		return GM_ENOMEM;
	for (size_t i = 0; i < n;) {
		const char *q = memchr(p + i, '"', n - i);
		size_t k = q ? (size_t)(q - (p + i)) + 1 : n - i;

		if (gm_buf_put(out, p + i, k) < 0 || (q && gm_buf_putc(out, '"') < 0))
			return GM_ENOMEM;
		i += k;
	}
	return gm_buf_putc(out, '"');
}

static int put_str_field(struct csv_wr *w, struct gm_buf *out, struct gm_str s, int quote_empty)
{
	return put_field(w, out, s.p ? s.p : "", s.len, quote_empty && !s.len);
}

static int find_col(const struct wfile *f, struct gm_str key)
{
	for (size_t i = 0; i < f->ncols; i++)
		if (f->cols[i].len == key.len && !memcmp(f->cols[i].name, key.p, key.len))
			return (int)i;
	return -1;
}

static int encode_record(struct csv_wr *w, const struct gm_record *rec, struct gm_buf *out)
{
	struct wfile *f = &w->f[rec->kind == GM_REL];
	int error;

	/* columns and checks first: nothing is written for a record that is refused */
	for (size_t i = 0; i < rec->nprops; i++) {
		const struct gm_prop *pr = &rec->props[i];
		const char *why = NULL;
		int code = value_code(&pr->val, &why), ci;

		if (!pr->key.len)
			return refuse(rec, "a property with an empty name cannot be stored");
		if (code < 0)
			return refuse(rec, "property '%.*s': %s", (int)pr->key.len, pr->key.p, why);
		if ((ci = find_col(f, pr->key)) >= 0) {
			if (f->cols[ci].code != code) {
				struct gm_buf t = GM_BUF_INIT;

				code_text(&t, f->cols[ci].code);
				error = refuse(rec,
					       "property '%.*s' is %s%s but its column has type "
					       "%s",
					       (int)pr->key.len, pr->key.p,
					       pr->val.type == GM_T_LIST ? "a List of " : "",
					       gm_type_name(pr->val.type == GM_T_LIST
								    ? pr->val.u.list.v[0].type
								    : pr->val.type),
					       t.p ? t.p : "?");
				gm_buf_free(&t);
				return error;
			}
			continue;
		}
		if (f->ncols == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 16;
			struct wcol *c = gm_realloc(f->cols, cap * sizeof(*c));

			if (!c)
				return GM_ENOMEM;
			f->cols = c;
			f->cap = cap;
		}
		if (!(f->cols[f->ncols].name = dup_n(pr->key.p, pr->key.len)))
			return GM_ENOMEM;
		f->cols[f->ncols].len = pr->key.len;
		f->cols[f->ncols].code = code;
		f->ncols++;
	}
	if (w->nslots < f->ncols) {
		const struct gm_prop **s = gm_realloc(w->slots, f->ncols * sizeof(*s));

		if (!s)
			return GM_ENOMEM;
		w->slots = s;
		w->nslots = f->ncols;
	}
	if (f->ncols)
		memset(w->slots, 0, f->ncols * sizeof(*w->slots));
	for (size_t i = 0; i < rec->nprops; i++)
		w->slots[find_col(f, rec->props[i].key)] = &rec->props[i];

	/* the first field is the one moved to the end at commit (labels / key) */
	if (rec->kind == GM_NODE) {
		gm_buf_clear(&w->field);
		for (size_t i = 0; i < rec->nlabels; i++) {
			struct gm_str l = rec->labels[i];

			if (!l.len)
				return refuse(rec, "an empty label cannot be stored");
			if (memchr(l.p, ';', l.len))
				return refuse(rec, "label '%.*s' contains the array delimiter ';'",
					      (int)l.len, l.p);
			if ((i && gm_buf_putc(&w->field, ';') < 0) ||
			    gm_buf_put(&w->field, l.p, l.len) < 0)
				return GM_ENOMEM;
		}
		if (put_field(w, out, w->field.p ? w->field.p : "", w->field.len, 0) < 0 ||
		    gm_buf_putc(out, ',') < 0 || put_str_field(w, out, rec->key, 1) < 0)
			return GM_ENOMEM;
	} else {
		if (!rec->type.len)
			return refuse(rec, "a relationship needs a type");
		if (rec->key.p)
			f->keys = 1;
		if ((rec->key.p && put_str_field(w, out, rec->key, 1) < 0) ||
		    gm_buf_putc(out, ',') < 0 || put_str_field(w, out, rec->from, 1) < 0 ||
		    gm_buf_putc(out, ',') < 0 || put_str_field(w, out, rec->to, 1) < 0 ||
		    gm_buf_putc(out, ',') < 0 || put_str_field(w, out, rec->type, 1) < 0)
			return GM_ENOMEM;
	}
	for (size_t i = 0; i < f->ncols; i++) {
		const struct gm_prop *pr = w->slots[i];
		const struct gm_value *v;

		if (gm_buf_putc(out, ',') < 0)
			return GM_ENOMEM;
		if (!pr)
			continue;
		v = &pr->val;
		gm_buf_clear(&w->val);
		if ((error = fmt_value(rec, pr, &w->val)) < 0)
			return error;
		if (v->type == GM_T_VECTOR)
			w->vector = 1;
		if (put_field(w, out, w->val.p ? w->val.p : "", w->val.len,
			      v->type == GM_T_STRING && !v->u.s.len) < 0)
			return GM_ENOMEM;
	}
	return gm_buf_putc(out, '\n');
}

static int csv_write_batch(struct gm_backend *b, const struct gm_record *recs, size_t n)
{
	struct csv *c = (struct csv *)b;
	struct csv_wr *w = &c->wr;
	size_t ncols[2] = {w->f[0].ncols, w->f[1].ncols};
	int keys = w->f[1].keys, multiline = w->multiline, vector = w->vector, error = 0;
	uint64_t cnt[2] = {0, 0};

	gm_buf_clear(&w->batch[0]);
	gm_buf_clear(&w->batch[1]);
	for (size_t i = 0; i < n; i++) {
		int k = recs[i].kind == GM_REL;

		if ((error = encode_record(w, &recs[i], &w->batch[k])) < 0)
			break;
		cnt[k]++;
	}
	if (error < 0) { /* undo the batch: columns it introduced, flags it set */
		for (int k = 0; k < 2; k++) {
			for (size_t i = ncols[k]; i < w->f[k].ncols; i++)
				gm_free(w->f[k].cols[i].name);
			w->f[k].ncols = ncols[k];
		}
		w->f[1].keys = keys;
		w->multiline = multiline;
		w->vector = vector;
		return error;
	}
	for (int k = 0; k < 2; k++)
		if (w->batch[k].len &&
		    (error = gm_out_write(w->f[k].body, w->batch[k].p, w->batch[k].len)) < 0)
			return error;
	b->nodes_written += cnt[0];
	b->rels_written += cnt[1];
	return 0;
}

static char *body_path(const struct csv_wr *w, const struct wfile *f)
{
	char name[64];

	snprintf(name, sizeof(name), "%s.body", f->base);
	return path_join(w->tmp, name);
}

/* Copies the body after the header, moving each row's first field to the end and padding. */
static int copy_body(struct csv_wr *w, struct wfile *f, struct gm_out *out, size_t fields,
		     int keep_first)
{
	struct gm_in *in = NULL;
	struct gm_buf first = GM_BUF_INIT, pad = GM_BUF_INIT;
	char *path = body_path(w, f);
	int error, inq = 0, infirst = 1;
	size_t seen = 0; /* fields of the row after the first one */

	if (!path)
		return GM_ENOMEM;
	if ((error = gm_in_open(&in, path)) < 0)
		goto done;
	for (;;) {
		const unsigned char *p;
		size_t n, i = 0;

		if ((error = gm_in_window(in, 1, &p, &n)) < 0)
			goto done;
		if (!n)
			break;
		while (i < n) {
			size_t j = i;

			if (infirst) {
				for (; j < n && (inq || p[j] != ','); j++)
					if (p[j] == '"')
						inq = !inq;
				if (gm_buf_put(&first, p + i, j - i) < 0)
					goto oom;
				if (j < n) {
					infirst = 0;
					seen = 1;
					j++;
				}
				i = j;
				continue;
			}
			for (; j < n && (inq || (p[j] != ',' && p[j] != '\n')); j++)
				if (p[j] == '"')
					inq = !inq;
			if (j > i && (error = gm_out_write(out, p + i, j - i)) < 0)
				goto done;
			if (j == n) {
				i = j;
				continue;
			}
			if (p[j] == ',') {
				if ((error = gm_out_write(out, ",", 1)) < 0)
					goto done;
				seen++;
			} else { /* end of row */
				gm_buf_clear(&pad);
				for (; seen < fields; seen++)
					if (gm_buf_putc(&pad, ',') < 0)
						goto oom;
				if (keep_first &&
				    (gm_buf_putc(&pad, ',') < 0 ||
				     gm_buf_put(&pad, first.p ? first.p : "", first.len) < 0))
					goto oom;
				if (gm_buf_putc(&pad, '\n') < 0)
					goto oom;
				if ((error = gm_out_write(out, pad.p, pad.len)) < 0)
					goto done;
				gm_buf_clear(&first);
				infirst = 1;
			}
			i = j + 1;
		}
		gm_in_consume(in, n);
	}
	error = 0;
	goto done;
oom:
	error = GM_ENOMEM;
done:
	gm_in_free(in);
	if (error >= 0)
		unlink(path);
	gm_free(path);
	gm_buf_free(&first);
	gm_buf_free(&pad);
	return error;
}

static int write_data_file(struct csv_wr *w, struct wfile *f, int rel)
{
	struct gm_buf h = GM_BUF_INIT, t = GM_BUF_INIT;
	struct gm_out *out = NULL;
	char name[64];
	char *path;
	int error = 0;

	snprintf(name, sizeof(name), "%s.csv", f->base);
	if (!(path = path_join(w->tmp, name)))
		return GM_ENOMEM;
	gm_buf_puts(&h, rel ? ":START_ID,:END_ID,:TYPE" : ":ID");
	for (size_t i = 0; i < f->ncols; i++) {
		gm_buf_clear(&t);
		gm_buf_put(&t, f->cols[i].name, f->cols[i].len);
		gm_buf_putc(&t, ':');
		code_text(&t, f->cols[i].code);
		gm_buf_putc(&h, ',');
		if (t.oom || put_field(w, &h, t.p, t.len, 0) < 0)
			break;
	}
	if (!rel)
		gm_buf_puts(&h, ",:LABEL");
	else if (f->keys)
		gm_buf_puts(&h, "," KEY_COLUMN ":IGNORE");
	gm_buf_putc(&h, '\n');
	if (h.oom || t.oom) {
		error = GM_ENOMEM;
		goto done;
	}
	if ((error = gm_out_open(&out, path, GM_OUT_PLAIN | GM_OUT_OVERWRITE)) < 0 ||
	    (error = gm_out_write(out, h.p, h.len)) < 0 ||
	    (error = copy_body(w, f, out, (rel ? 3 : 1) + f->ncols, !rel || f->keys)) < 0 ||
	    (error = gm_out_commit(out)) < 0)
		goto done;
done:
	gm_out_free(out);
	gm_free(path);
	gm_buf_free(&h);
	gm_buf_free(&t);
	return error;
}

static int write_args(struct csv_wr *w)
{
	struct gm_buf b = GM_BUF_INIT;
	struct gm_out *out = NULL;
	char *path = path_join(w->tmp, "import.args");
	int error;

	if (!path)
		return GM_ENOMEM;
	gm_buf_puts(&b, "# neo4j-admin import arguments written by gmig; from this directory run\n"
			"#   neo4j-admin database import full @import.args <database>\n");
	if (w->multiline)
		gm_buf_puts(&b, "# some fields contain line breaks: add --multiline-fields=true\n");
	if (w->vector)
		gm_buf_puts(&b, "# vectors are written as float[] arrays\n");
	gm_buf_puts(&b, "--nodes=nodes.csv\n--relationships=relationships.csv\n");
	if (b.oom)
		error = GM_ENOMEM;
	else if ((error = gm_out_open(&out, path, GM_OUT_PLAIN | GM_OUT_OVERWRITE)) >= 0 &&
		 (error = gm_out_write(out, b.p, b.len)) >= 0)
		error = gm_out_commit(out);
	gm_out_free(out);
	gm_free(path);
	gm_buf_free(&b);
	return error;
}

static int csv_commit(struct gm_backend *b)
{
	struct csv *c = (struct csv *)b;
	struct csv_wr *w = &c->wr;
	struct stat st;
	int error;

	if (!c->writing || w->committed)
		return 0;
	for (int k = 0; k < 2; k++) {
		if ((error = gm_out_commit(w->f[k].body)) < 0)
			return error;
		gm_out_free(w->f[k].body);
		w->f[k].body = NULL;
	}
	for (int k = 0; k < 2; k++)
		if ((error = write_data_file(w, &w->f[k], k)) < 0)
			return error;
	if ((error = write_args(w)) < 0)
		return error;
	if (stat(w->dir, &st) == 0 && (error = remove_flat_dir(w->dir)) < 0)
		return error;
	if (rename(w->tmp, w->dir) < 0)
		return gm_error_set(GM_EIO, "cannot rename '%s' to '%s': %s", w->tmp, w->dir,
				    strerror(errno));
	w->committed = 1;
	return 0;
}

static int wr_init(struct csv *c, const char *location, const struct gm_open_opts *o)
{
	struct csv_wr *w = &c->wr;
	struct stat st;
	size_t n = strlen(location);
	int error, sub;

	while (n > 1 && location[n - 1] == '/')
		n--;
	if (!n || (n == 1 && location[0] == '-'))
		return gm_error_set(GM_EINVAL, "the csv backend writes a directory, not '%s'",
				    location);
	if (!(w->dir = dup_n(location, n)) || !(w->tmp = gm_malloc(n + 5)))
		return GM_ENOMEM;
	memcpy(w->tmp, w->dir, n);
	memcpy(w->tmp + n, ".tmp", 5);
	w->f[0].base = "nodes";
	w->f[1].base = "relationships";
	if (stat(w->dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return gm_error_set(GM_EINVAL, "'%s' exists and is not a directory",
					    w->dir);
		if ((error = dir_state(w->dir, &sub)) < 0)
			return error;
		if (!error && !(o->flags & GM_OPEN_F_OVERWRITE))
			return gm_error_set(GM_EINVAL,
					    "'%s' is not empty (overwrite it to replace it)",
					    w->dir);
		if (sub)
			return gm_error_set(GM_EINVAL,
					    "will not replace '%s': it contains a directory",
					    w->dir);
	}
	/* "<dir>.tmp" is ours: left over from an interrupted run */
	if (stat(w->tmp, &st) == 0 && (error = remove_flat_dir(w->tmp)) < 0)
		return error;
	if (mkdir(w->tmp, 0777) < 0)
		return gm_error_set(GM_EIO, "cannot create '%s': %s", w->tmp, strerror(errno));
	w->made_tmp = 1;
	for (int k = 0; k < 2; k++) {
		char *p = body_path(w, &w->f[k]);

		if (!p)
			return GM_ENOMEM;
		error = gm_out_open(&w->f[k].body, p, GM_OUT_PLAIN | GM_OUT_OVERWRITE);
		gm_free(p);
		if (error < 0)
			return error;
	}
	return 0;
}

static void wr_free(struct csv_wr *w)
{
	for (int k = 0; k < 2; k++) {
		gm_out_free(w->f[k].body);
		for (size_t i = 0; i < w->f[k].ncols; i++)
			gm_free(w->f[k].cols[i].name);
		gm_free(w->f[k].cols);
	}
	if (w->made_tmp && !w->committed)
		remove_flat_dir(w->tmp);
	for (int k = 0; k < 2; k++)
		gm_buf_free(&w->batch[k]);
	gm_buf_free(&w->field);
	gm_buf_free(&w->val);
	gm_free(w->slots);
	gm_free(w->dir);
	gm_free(w->tmp);
}

/* ================================================================= vtable */

static int csv_close(struct gm_backend *b)
{
	struct csv *c = (struct csv *)b;

	if (!c)
		return 0;
	if (c->writing)
		wr_free(&c->wr);
	else
		rd_free(&c->rd);
	gm_free(c);
	return 0;
}

static int csv_open(struct gm_backend **out, const char *location, const struct gm_open_opts *o)
{
	struct csv *c = gm_calloc(1, sizeof(*c));
	int error;

	*out = NULL;
	if (!c)
		return GM_ENOMEM;
	c->writing = o->mode == GM_OPEN_WRITE;
	error = c->writing ? wr_init(c, location, o) : rd_init(c, location);
	if (error < 0) {
		csv_close(&c->base);
		return error;
	}
	*out = &c->base;
	return 0;
}

int gm__csv_open_mem(struct gm_backend **out, const void *data, size_t len, const char *name);

/*
 * For the fuzzer and tests: reads one CSV file (header first line, node or
 * relationship file by its header) from memory. Free with the ops' close.
 */
int gm__csv_open_mem(struct gm_backend **out, const void *data, size_t len, const char *name)
{
	struct csv *c = gm_calloc(1, sizeof(*c));
	struct group *g;
	int error;

	*out = NULL;
	if (!c)
		return GM_ENOMEM;
	c->base.ops = &gm_backend_csv;
	c->rd.delim = ',';
	c->rd.adelim = ';';
	c->rd.quote = '"';
	c->rd.mem = data;
	c->rd.memlen = len;
	c->base.progress_total = len;
	if ((error = add_group(&c->rd, &g)) < 0 ||
	    (error = group_add_file(g, gm_strdup(name))) < 0 || (error = rd_setup(&c->rd)) < 0) {
		csv_close(&c->base);
		return error;
	}
	*out = &c->base;
	return 0;
}

const struct gm_backend_ops gm_backend_csv = {
	.version = GM_BACKEND_ABI_VERSION,
	.name = "csv",
	.summary = "neo4j-admin import CSV directory (nodes.csv, relationships.csv, import.args)",
	.suffixes = NULL,
	.caps = GM_CAP_READ | GM_CAP_WRITE | GM_CAP_DIR,
	.types = GM_TYPE_BIT(GM_T_BOOL) | GM_TYPE_BIT(GM_T_INT) | GM_TYPE_BIT(GM_T_FLOAT) |
		 GM_TYPE_BIT(GM_T_STRING) | GM_TYPE_BIT(GM_T_BYTES) | GM_TYPE_BIT(GM_T_LIST) |
		 GM_TYPE_BIT(GM_T_DATE) | GM_TYPE_BIT(GM_T_LOCALTIME) | GM_TYPE_BIT(GM_T_TIME) |
		 GM_TYPE_BIT(GM_T_LOCALDATETIME) | GM_TYPE_BIT(GM_T_DATETIME) |
		 GM_TYPE_BIT(GM_T_DURATION) | GM_TYPE_BIT(GM_T_POINT),
	.probe = NULL,
	.open = csv_open,
	.read_next = csv_read_next,
	.write_batch = csv_write_batch,
	.count = NULL,
	.commit = csv_commit,
	.close = csv_close,
};
