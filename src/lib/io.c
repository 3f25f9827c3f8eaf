/* SPDX-License-Identifier: MIT */
/*
 * Byte streams for file backends.
 *
 * Input: one buffer holding a window of decompressed bytes; gzip (zlib, also
 * concatenated members) and zstd are recognised by their magic numbers.
 * Output: bytes go to "<path>.tmp" (compressed when the name ends in .gz or
 * .zst) and are renamed to <path> by gm_out_commit, after fsync, so a failed
 * or interrupted run never leaves a partial file under the final name.
 * Devices, FIFOs and "-" are written directly (there is nothing to rename).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "gmig/gmig.h"
#include "io.h"

#define IN_CHUNK (1u << 20)
#define OUT_CHUNK (1u << 20)

enum codec { C_PLAIN, C_GZIP, C_ZSTD };

struct gm_in {
	char *name;
	int fd; /* -1 for memory input */
	enum codec codec;
	unsigned char *buf; /* decompressed window: buf[start..end) */
	size_t start, end, cap;
	const unsigned char *mem; /* memory input: the whole data */
	size_t memlen;
	unsigned char *raw; /* compressed input buffer */
	size_t rawpos, rawlen;
	int raw_eof, eof;
	uint64_t consumed, raw_done, raw_total;
	z_stream z;
	int z_init;
	ZSTD_DCtx *zd;
	size_t zlast; /* last ZSTD_decompressStream result: 0 = at a frame boundary */
};

static int io_error(const char *what, const char *name)
{
	int e = errno;

	if (e == ENOENT)
		return gm_error_set(GM_ENOTFOUND, "cannot %s '%s': %s", what, name, strerror(e));
	return gm_error_set(GM_EIO, "cannot %s '%s': %s", what, name, strerror(e));
}

static int in_alloc(struct gm_in **out, const char *name)
{
	struct gm_in *in = gm_calloc(1, sizeof(*in));

	*out = NULL;
	if (!in || !(in->name = gm_strdup(name))) {
		gm_free(in);
		return GM_ENOMEM;
	}
	in->fd = -1;
	*out = in;
	return 0;
}

/* Reads more compressed (or plain) bytes from the file into raw. */
static int raw_fill(struct gm_in *in)
{
	ssize_t n;

	if (in->rawpos < in->rawlen)
		return 0;
	in->rawpos = in->rawlen = 0;
	do
		n = read(in->fd, in->raw, IN_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return io_error("read", in->name);
	if (n == 0)
		in->raw_eof = 1;
	in->rawlen = (size_t)n;
	in->raw_done += (uint64_t)n;
	return 0;
}

static int detect_codec(struct gm_in *in)
{
	int error;

	/* gather at least 4 bytes to look at the magic number */
	while (in->rawlen < 4 && !in->raw_eof) {
		ssize_t n;

		do
			n = read(in->fd, in->raw + in->rawlen, IN_CHUNK - in->rawlen);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return io_error("read", in->name);
		if (n == 0)
			in->raw_eof = 1;
		in->rawlen += (size_t)n;
		in->raw_done += (uint64_t)n;
	}
	if (in->rawlen >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		in->codec = C_GZIP;
		if (inflateInit2(&in->z, 15 + 32) != Z_OK)
			return gm_error_set(GM_ENOMEM, "cannot start gzip decoder");
		in->z_init = 1;
	} else if (in->rawlen >= 4 && in->raw[0] == 0x28 && in->raw[1] == 0xb5 &&
		   in->raw[2] == 0x2f && in->raw[3] == 0xfd) {
		in->codec = C_ZSTD;
		if (!(in->zd = ZSTD_createDCtx()))
			return gm_error_set(GM_ENOMEM, "cannot start zstd decoder");
	}
	error = 0;
	return error;
}

int gm_in_open(struct gm_in **out, const char *path)
{
	struct gm_in *in;
	struct stat st;
	int error;

	if ((error = in_alloc(&in, path)) < 0)
		return error;
	if (!strcmp(path, "-"))
		in->fd = dup(STDIN_FILENO);
	else
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0) {
		error = io_error("open", path);
		goto fail;
	}
	if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		error = gm_error_set(GM_EINVAL, "'%s' is a directory", path);
		goto fail;
	}
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
		in->raw_total = (uint64_t)st.st_size;
	if (!(in->raw = gm_malloc(IN_CHUNK))) {
		error = GM_ENOMEM;
		goto fail;
	}
	if ((error = detect_codec(in)) < 0)
		goto fail;
	*out = in;
	return 0;
fail:
	gm_in_free(in);
	*out = NULL;
	return error;
}

int gm_in_open_mem(struct gm_in **out, const void *data, size_t len, const char *name)
{
	int error = in_alloc(out, name ? name : "<memory>");

	if (error < 0)
		return error;
	(*out)->mem = data;
	(*out)->memlen = len;
	(*out)->raw_total = len;
	return 0;
}

/* Appends decompressed bytes to buf[end..cap). */
static int fill(struct gm_in *in)
{
	int error;

	if (in->codec == C_PLAIN) {
		if (in->rawpos < in->rawlen) {
			size_t k = in->rawlen - in->rawpos;

			if (k > in->cap - in->end)
				k = in->cap - in->end;
			memcpy(in->buf + in->end, in->raw + in->rawpos, k);
			in->rawpos += k;
			in->end += k;
			return 0;
		}
		if (in->raw_eof) {
			in->eof = 1;
			return 0;
		}
		/* read straight into the window */
		ssize_t n;

		do
			n = read(in->fd, in->buf + in->end, in->cap - in->end);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return io_error("read", in->name);
		if (n == 0)
			in->eof = in->raw_eof = 1;
		in->end += (size_t)n;
		in->raw_done += (uint64_t)n;
		return 0;
	}
	if ((error = raw_fill(in)) < 0)
		return error;
	if (in->codec == C_GZIP) {
		int zr;

		if (in->rawpos == in->rawlen && in->raw_eof) {
			if (in->z.total_in == 0 && in->z.total_out == 0) {
				in->eof = 1;
				return 0;
			}
			return gm_error_set(GM_ECORRUPT, "truncated gzip data in '%s'", in->name);
		}
		in->z.next_in = in->raw + in->rawpos;
		in->z.avail_in = (uInt)(in->rawlen - in->rawpos);
		in->z.next_out = in->buf + in->end;
		in->z.avail_out = (uInt)(in->cap - in->end);
		zr = inflate(&in->z, Z_NO_FLUSH);
		in->end = (size_t)(in->z.next_out - in->buf);
		in->rawpos = (size_t)(in->z.next_in - in->raw);
		if (zr == Z_STREAM_END) {
			/* another member may follow (concatenated gzip) */
			if (in->rawpos == in->rawlen) {
				if ((error = raw_fill(in)) < 0)
					return error;
			}
			if (in->rawpos == in->rawlen && in->raw_eof)
				in->eof = 1;
			else if (inflateReset(&in->z) != Z_OK)
				return gm_error_set(GM_ECORRUPT, "bad gzip data in '%s'", in->name);
			else
				in->z.total_in = in->z.total_out = 1; /* not at the very start */
			return 0;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return gm_error_set(GM_ECORRUPT, "bad gzip data in '%s': %s", in->name,
					    in->z.msg ? in->z.msg : "inflate failed");
		return 0;
	}
	/* zstd */
	{
		ZSTD_inBuffer ib = {in->raw, in->rawlen, in->rawpos};
		ZSTD_outBuffer ob = {in->buf, in->cap, in->end};
		size_t r;

		if (in->rawpos == in->rawlen && in->raw_eof) {
			/* flush whatever the decoder still holds */
			r = ZSTD_decompressStream(in->zd, &ob, &ib);
			if (ZSTD_isError(r))
				return gm_error_set(GM_ECORRUPT, "bad zstd data in '%s': %s",
						    in->name, ZSTD_getErrorName(r));
			if (ob.pos == in->end) {
				if (in->zlast != 0)
					return gm_error_set(GM_ECORRUPT,
							    "truncated zstd data in '%s'",
							    in->name);
				in->eof = 1;
			}
			if (ob.pos != in->end)
				in->zlast = r;
			in->end = ob.pos;
			return 0;
		}
		r = ZSTD_decompressStream(in->zd, &ob, &ib);
		if (ZSTD_isError(r))
			return gm_error_set(GM_ECORRUPT, "bad zstd data in '%s': %s", in->name,
					    ZSTD_getErrorName(r));
		in->zlast = r;
		in->end = ob.pos;
		in->rawpos = ib.pos;
		return 0;
	}
}

int gm_in_window(struct gm_in *in, size_t want, const unsigned char **p, size_t *n)
{
	int error;

	if (in->mem) {
		*p = in->mem + in->start;
		*n = in->memlen - in->start;
		return 0;
	}
	if (want == 0)
		want = 1;
	if (in->end - in->start < want && !in->eof) {
		size_t need = want > IN_CHUNK ? want : IN_CHUNK;

		if (in->start > 0) {
			memmove(in->buf, in->buf + in->start, in->end - in->start);
			in->end -= in->start;
			in->start = 0;
		}
		if (need > in->cap) {
			unsigned char *nb = gm_realloc(in->buf, need);

			if (!nb)
				return GM_ENOMEM;
			in->buf = nb;
			in->cap = need;
		}
		while (in->end - in->start < want && !in->eof)
			if ((error = fill(in)) < 0)
				return error;
	}
	*p = in->buf + in->start;
	*n = in->end - in->start;
	return 0;
}

void gm_in_consume(struct gm_in *in, size_t n)
{
	in->start += n;
	in->consumed += n;
	if (in->mem) {
		in->raw_done = in->start;
		return;
	}
	if (in->start == in->end)
		in->start = in->end = 0;
}

uint64_t gm_in_tell(const struct gm_in *in)
{
	return in->consumed;
}

uint64_t gm_in_raw_done(const struct gm_in *in)
{
	return in->raw_done;
}

uint64_t gm_in_raw_total(const struct gm_in *in)
{
	return in->raw_total;
}

const char *gm_in_name(const struct gm_in *in)
{
	return in->name;
}

void gm_in_free(struct gm_in *in)
{
	if (!in)
		return;
	if (in->fd >= 0)
		close(in->fd);
	if (in->z_init)
		inflateEnd(&in->z);
	ZSTD_freeDCtx(in->zd);
	gm_free(in->buf);
	gm_free(in->raw);
	gm_free(in->name);
	gm_free(in);
}

int gm_file_head(const char *path, unsigned char *buf, size_t len, size_t *got)
{
	struct gm_in *in;
	const unsigned char *p;
	size_t n;
	int error;

	*got = 0;
	if (!strcmp(path, "-"))
		return 0; /* cannot peek at stdin without consuming it */
	if ((error = gm_in_open(&in, path)) < 0)
		return error;
	if ((error = gm_in_window(in, len, &p, &n)) == 0) {
		if (n > len)
			n = len;
		memcpy(buf, p, n);
		*got = n;
	}
	gm_in_free(in);
	return error;
}

/* ---- output ---- */

static int do_fsync = 1;

void gm_io_set_fsync(int on)
{
	do_fsync = on;
}

static int keep_interrupted;

void gm_io_set_keep_interrupted(int on)
{
	keep_interrupted = on;
}

#define MAX_TEMPS 64
static char *volatile temps[MAX_TEMPS]; /* read by the signal path */

struct gm_out {
	char *path, *tmp; /* tmp NULL when writing directly */
	int fd;
	enum codec codec;
	char *buf;
	size_t len, cap;
	unsigned char *zbuf;
	z_stream z;
	int z_init;
	ZSTD_CCtx *zc;
	uint64_t written;
	int committed, failed;
};

static void temp_register(char *tmp)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (!temps[i]) {
			temps[i] = tmp;
			return;
		}
}

static void temp_unregister(const char *tmp)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temps[i] == tmp)
			temps[i] = NULL;
}

void gm_out_unlink_all_temps(void)
{
	for (int i = 0; i < MAX_TEMPS; i++)
		if (temps[i])
			unlink(temps[i]);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int gm_out_open(struct gm_out **out, const char *path, unsigned int flags)
{
	struct gm_out *o = gm_calloc(1, sizeof(*o));
	struct stat st;
	int direct = !strcmp(path, "-");
	int error;

	*out = NULL;
	if (!o)
		return GM_ENOMEM;
	o->fd = -1;
	if (!(o->path = gm_strdup(path)) || !(o->buf = gm_malloc(OUT_CHUNK))) {
		error = GM_ENOMEM;
		goto fail;
	}
	o->cap = OUT_CHUNK;
	if (!direct && stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			direct = 1; /* /dev/full, a FIFO, a terminal */
		else if (S_ISDIR(st.st_mode)) {
			error = gm_error_set(GM_EINVAL, "'%s' is a directory", path);
			goto fail;
		} else if (!(flags & GM_OUT_OVERWRITE)) {
			error = gm_error_set(GM_EINVAL, "'%s' exists; use --force to replace it",
					     path);
			goto fail;
		}
	}
	if (direct) {
		o->fd = !strcmp(path, "-") ? dup(STDOUT_FILENO)
					   : open(path, O_WRONLY | O_CLOEXEC | O_APPEND);
		if (o->fd < 0) {
			error = io_error("open", path);
			goto fail;
		}
	} else {
		size_t n = strlen(path);

		if (!(o->tmp = gm_malloc(n + 5))) {
			error = GM_ENOMEM;
			goto fail;
		}
		memcpy(o->tmp, path, n);
		memcpy(o->tmp + n, ".tmp", 5);
		o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (o->fd < 0) {
			error = io_error("create", o->tmp);
			goto fail;
		}
		temp_register(o->tmp);
	}
	if (!(flags & GM_OUT_PLAIN) &&
	    ((flags & GM_OUT_GZIP) || (!(flags & GM_OUT_ZSTD) && ends_with(path, ".gz")))) {
		o->codec = C_GZIP;
		if (deflateInit2(&o->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			error = gm_error_set(GM_ENOMEM, "cannot start gzip encoder");
			goto fail;
		}
		o->z_init = 1;
	} else if (!(flags & GM_OUT_PLAIN) && ((flags & GM_OUT_ZSTD) || ends_with(path, ".zst"))) {
		o->codec = C_ZSTD;
		if (!(o->zc = ZSTD_createCCtx())) {
			error = gm_error_set(GM_ENOMEM, "cannot start zstd encoder");
			goto fail;
		}
		ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel, 3);
	}
	if (o->codec != C_PLAIN && !(o->zbuf = gm_malloc(OUT_CHUNK))) {
		error = GM_ENOMEM;
		goto fail;
	}
	*out = o;
	return 0;
fail:
	gm_out_free(o);
	return error;
}

static int write_all(struct gm_out *o, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(o->fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			o->failed = 1;
			return io_error("write", o->tmp ? o->path : o->path);
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Compresses (or not) buf[0..len) to the file; finish ends the compressed stream. */
static int drain(struct gm_out *o, int finish)
{
	int error = 0;

	if (o->failed)
		return gm_error_set(GM_EIO, "cannot write '%s': an earlier write failed", o->path);
	if (o->codec == C_PLAIN) {
		error = write_all(o, o->buf, o->len);
	} else if (o->codec == C_GZIP) {
		int zr;

		o->z.next_in = (unsigned char *)o->buf;
		o->z.avail_in = (uInt)o->len;
		do {
			o->z.next_out = o->zbuf;
			o->z.avail_out = OUT_CHUNK;
			zr = deflate(&o->z, finish ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR)
				return gm_error_set(GM_EIO, "gzip encoder failed for '%s'",
						    o->path);
			if ((error = write_all(o, o->zbuf, OUT_CHUNK - o->z.avail_out)) < 0)
				return error;
		} while (o->z.avail_out == 0 || (finish && zr != Z_STREAM_END));
	} else {
		ZSTD_inBuffer ib = {o->buf, o->len, 0};
		size_t r;

		do {
			ZSTD_outBuffer ob = {o->zbuf, OUT_CHUNK, 0};

			r = ZSTD_compressStream2(o->zc, &ob, &ib,
						 finish ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(r))
				return gm_error_set(GM_EIO, "zstd encoder failed for '%s': %s",
						    o->path, ZSTD_getErrorName(r));
			if ((error = write_all(o, o->zbuf, ob.pos)) < 0)
				return error;
		} while (finish ? r != 0 : ib.pos < ib.size);
	}
	o->len = 0;
	return error;
}

int gm_out_write(struct gm_out *o, const void *p, size_t n)
{
	const char *c = p;
	int error;

	o->written += n;
	while (n) {
		size_t k = o->cap - o->len;

		if (k > n)
			k = n;
		memcpy(o->buf + o->len, c, k);
		o->len += k;
		c += k;
		n -= k;
		if (o->len == o->cap && (error = drain(o, 0)) < 0)
			return error;
	}
	return 0;
}

char *gm_out_reserve(struct gm_out *o, size_t n)
{
	if (o->cap - o->len < n) {
		if (drain(o, 0) < 0)
			return NULL;
		if (n > o->cap) {
			char *nb = gm_realloc(o->buf, n);

			if (!nb)
				return NULL;
			o->buf = nb;
			o->cap = n;
		}
	}
	return o->buf + o->len;
}

void gm_out_advance(struct gm_out *o, size_t k)
{
	o->len += k;
	o->written += k;
}

uint64_t gm_out_tell(const struct gm_out *o)
{
	return o->written;
}

const char *gm_out_name(const struct gm_out *o)
{
	return o->path;
}

int gm_out_commit(struct gm_out *o)
{
	int error;

	if ((error = drain(o, 1)) < 0)
		return error;
	if (o->tmp && do_fsync) {
		if (fsync(o->fd) < 0)
			return io_error("sync", o->tmp);
	}
	if (close(o->fd) < 0) {
		o->fd = -1;
		return io_error("close", o->path);
	}
	o->fd = -1;
	if (o->tmp) {
		if (rename(o->tmp, o->path) < 0)
			return io_error("rename into", o->path);
		temp_unregister(o->tmp);
	}
	o->committed = 1;
	return 0;
}

int gm_out_resume(struct gm_out **out, const char *path, unsigned int flags, uint64_t size)
{
	struct gm_out *o;
	struct stat st;
	int error;

	*out = NULL;
	if (!strcmp(path, "-") || (flags & (GM_OUT_GZIP | GM_OUT_ZSTD)) ||
	    (!(flags & GM_OUT_PLAIN) && (ends_with(path, ".gz") || ends_with(path, ".zst"))))
		return gm_error_set(GM_EUNSUPPORTED,
				    "'%s': only an uncompressed file can be resumed", path);
	if (!(o = gm_calloc(1, sizeof(*o))))
		return GM_ENOMEM;
	o->fd = -1;
	if (!(o->path = gm_strdup(path)) || !(o->buf = gm_malloc(OUT_CHUNK)) ||
	    !(o->tmp = gm_malloc(strlen(path) + 5))) {
		error = GM_ENOMEM;
		goto fail;
	}
	o->cap = OUT_CHUNK;
	memcpy(o->tmp, path, strlen(path));
	memcpy(o->tmp + strlen(path), ".tmp", 5);
	o->fd = open(o->tmp, O_WRONLY | O_CLOEXEC);
	if (o->fd < 0 || fstat(o->fd, &st) < 0 || (uint64_t)st.st_size < size) {
		error = gm_error_set(GM_ENOTFOUND, "cannot resume '%s': its temporary '%s' is %s",
				     path, o->tmp,
				     o->fd < 0 ? "missing" : "shorter than the checkpoint says");
		goto fail;
	}
	temp_register(o->tmp);
	if (ftruncate(o->fd, (off_t)size) < 0 || lseek(o->fd, (off_t)size, SEEK_SET) < 0) {
		error = io_error("truncate", o->tmp);
		goto fail;
	}
	o->written = size;
	*out = o;
	return 0;
fail:
	/* the temporary belongs to the interrupted run: never removed here */
	if (o->tmp)
		temp_unregister(o->tmp);
	o->committed = 1;
	gm_out_free(o);
	return error;
}

int gm_out_sync(struct gm_out *o, uint64_t *size)
{
	int error;

	if (o->codec != C_PLAIN || !o->tmp)
		return GM_EUNSUPPORTED;
	if ((error = drain(o, 0)) < 0)
		return error;
	if (do_fsync && fsync(o->fd) < 0)
		return io_error("sync", o->tmp);
	*size = o->written;
	return 0;
}

void gm_out_free(struct gm_out *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp && !o->committed && !(keep_interrupted && gm_interrupted))
		unlink(o->tmp);
	if (o->tmp && !o->committed)
		temp_unregister(o->tmp);
	if (o->z_init)
		deflateEnd(&o->z);
	ZSTD_freeCCtx(o->zc);
	gm_free(o->zbuf);
	gm_free(o->buf);
	gm_free(o->tmp);
	gm_free(o->path);
	gm_free(o);
}
