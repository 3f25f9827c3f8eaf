/* SPDX-License-Identifier: MIT */
/*
 * The TLS tunnel of tlsfd.h: a TCP connection, an OpenSSL client on it, and a
 * pump thread between the TLS connection and one end of a socketpair.
 *
 * Everything OpenSSL does on the connection, the handshake included, happens
 * in the pump thread, which blocks all signals: a server that resets the
 * connection makes its writes fail with EPIPE, never raises SIGPIPE in a
 * program that did not ignore it, and signal handlers run in the caller's
 * threads. The caller waits for the handshake's outcome (a condition
 * variable) and reads the thread's message after it (under the mutex).
 *
 * The pump works on non-blocking sockets with one buffer each way (one TLS
 * record, 16 KiB): it moves what it can, and polls both sockets for what
 * OpenSSL or the buffers wait for when nothing moved. EOF from the caller
 * ends it after what it had read went out, with a close_notify; a TLS
 * connection that ends or fails first is answered by delivering what the
 * server had sent and then shutting the caller's end down both ways (reads
 * see EOF, writes EPIPE), while it drains what the caller writes meanwhile so
 * that a blocked writer gets to read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gmig/gmig.h"
#include "gmig/sys/backend.h"
#include "tlsfd.h"

#define BUFSZ 16384

struct gm__tls {
	SSL_CTX *ctx;
	SSL *ssl;
	int sock; /* TCP to the server */
	int pfd;  /* the pump's end of the socketpair */
	int timeout_ms;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state;     /* under mu: 0 handshaking, 1 up, -1 the handshake failed */
	char err[512]; /* under mu: why the handshake failed, or the connection ended */
	unsigned char up[BUFSZ], down[BUFSZ]; /* caller -> server, server -> caller */
	size_t upoff, uplen, downoff, downlen;
};

static const char *const params[] = {"tls_ca", "tls_cert", "tls_key", "tls_verify"};

int gm__tls_param(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(params) / sizeof(*params); i++)
		if (strlen(params[i]) == len && !memcmp(params[i], name, len))
			return 1;
	return 0;
}

const char *gm__tls_params_find(const char *p, size_t *len)
{
	while (p && *p) {
		size_t n = strcspn(p, "&"), kl = strcspn(p, "=&");

		if (gm__tls_param(p, kl)) {
			*len = kl;
			return p;
		}
		p += n + (p[n] ? 1 : 0);
	}
	return NULL;
}

/* The %-decoded value of parameter name in *out (NULL when absent). */
static int param(const struct gm__tls_conf *conf, const char *name, char **out)
{
	return gm_params_dup(conf->params, name, NULL, conf->what, out);
}

/* OpenSSL's reason for the last failure of this thread, else dflt. */
static const char *ssl_reason(const char *dflt)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : dflt;
}

/* An encrypted key is refused rather than prompted for on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static int make_ctx(struct gm__tls *t, const struct gm__tls_conf *conf)
{
	char *ca = NULL, *cert = NULL, *key = NULL, *verify = NULL;
	int error, check = 1;

	if ((error = param(conf, "tls_ca", &ca)) < 0 ||
	    (error = param(conf, "tls_cert", &cert)) < 0 ||
	    (error = param(conf, "tls_key", &key)) < 0 ||
	    (error = param(conf, "tls_verify", &verify)) < 0)
		goto done;
	if (verify && !strcmp(verify, "no")) {
		check = 0;
	} else if (verify && strcmp(verify, "yes")) {
		error = gm_error_set(GM_EINVAL, "parameter tls_verify for %s must be yes or no",
				     conf->what);
		goto done;
	}
	if (key && !cert) {
		error = gm_error_set(GM_EINVAL, "parameter tls_key for %s needs tls_cert",
				     conf->what);
		goto done;
	}
	if (!ca && check && conf->ca_env && getenv(conf->ca_env) && *getenv(conf->ca_env) &&
	    !(ca = gm_strdup(getenv(conf->ca_env)))) {
		error = GM_ENOMEM;
		goto done;
	}
	ERR_clear_error();
	if (!(t->ctx = SSL_CTX_new(TLS_client_method()))) {
		error = gm_error_set(GM_EIO, "cannot connect to %s over TLS: %s", conf->what,
				     ssl_reason("cannot make an OpenSSL context"));
		goto done;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_default_passwd_cb(t->ctx, no_passphrase);
	SSL_CTX_set_verify(t->ctx, check ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (check && (ca ? SSL_CTX_load_verify_locations(t->ctx, ca, NULL)
			 : SSL_CTX_set_default_verify_paths(t->ctx)) != 1) {
		error = gm_error_set(GM_EIO, "cannot load the CA certificates %s%s%s for %s: %s",
				     ca ? "'" : "", ca ? ca : "of the system", ca ? "'" : "",
				     conf->what, ssl_reason("no certificates"));
		goto done;
	}
	if (cert && SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1) {
		error = gm_error_set(GM_EIO,
				     "cannot load the TLS client certificate '%s' for %s: %s", cert,
				     conf->what, ssl_reason("not a PEM certificate"));
		goto done;
	}
	if (cert && (SSL_CTX_use_PrivateKey_file(t->ctx, key ? key : cert, SSL_FILETYPE_PEM) != 1 ||
		     SSL_CTX_check_private_key(t->ctx) != 1)) {
		error = gm_error_set(GM_EIO, "cannot load the TLS client key '%s' for %s: %s",
				     key ? key : cert, conf->what,
				     ssl_reason("not the certificate's unencrypted PEM key"));
		goto done;
	}
	error = check; /* 1: verify the server */
done:
	gm_free(ca);
	gm_free(cert);
	gm_free(key);
	gm_free(verify);
	return error;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking TCP socket connected to host:port within timeout_ms, or -1 (message set). */
static int tcp_connect(const char *host, int port, int timeout_ms, const char *what)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char service[16];
	int fd = -1, rc, err = 0;
	long long deadline = now_ms() + timeout_ms;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof(service), "%d", port);
	if ((rc = getaddrinfo(host, service, &hints, &ai)) != 0) {
		gm_error_set(GM_EIO, "cannot connect to %s: %s", what, gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		struct pollfd p;
		socklen_t len = sizeof(err);
		int one = 1;

		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				 a->ai_protocol)) < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			err = errno;
		} else {
			p.fd = fd;
			p.events = POLLOUT;
			do {
				long long left = deadline - now_ms();

				rc = left > 0 ? poll(&p, 1, (int)left) : 0;
			} while (rc < 0 && errno == EINTR);
			if (rc == 0)
				err = ETIMEDOUT;
			else if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
		}
		if (err) {
			close(fd);
			fd = -1;
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	freeaddrinfo(ai);
	if (fd < 0)
		gm_error_set(GM_EIO, "cannot connect to %s: %s", what,
			     err == ETIMEDOUT ? "connection timed out" : strerror(err));
	return fd;
}

/* ---- the pump thread ---- */

static void handshake_done(struct gm__tls *t, int state)
{
	pthread_mutex_lock(&t->mu);
	t->state = state;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static void handshake_failed(struct gm__tls *t, int ret)
{
	int saved = errno;
	int e = SSL_get_error(t->ssl, ret);
	long v = SSL_get_verify_result(t->ssl);
	unsigned long code = ERR_peek_last_error();

	pthread_mutex_lock(&t->mu);
	if (v != X509_V_OK)
		snprintf(t->err, sizeof(t->err), "certificate verify failed: %s",
			 X509_verify_cert_error_string(v));
	else if (code)
		snprintf(t->err, sizeof(t->err), "%s", ssl_reason("handshake failed"));
	else if (e == SSL_ERROR_SYSCALL && saved)
		snprintf(t->err, sizeof(t->err), "%s", strerror(saved));
	else
		snprintf(t->err, sizeof(t->err),
			 "the server closed the connection during the handshake (is it a TLS "
			 "port?)");
	pthread_mutex_unlock(&t->mu);
	handshake_done(t, -1);
}

static int handshake(struct gm__tls *t)
{
	long long deadline = now_ms() + t->timeout_ms;

	for (;;) {
		struct pollfd p = {t->sock, 0, 0};
		int ret, rc;

		ERR_clear_error();
		errno = 0;
		if ((ret = SSL_connect(t->ssl)) == 1)
			return 0;
		switch (SSL_get_error(t->ssl, ret)) {
		case SSL_ERROR_WANT_READ: p.events = POLLIN; break;
		case SSL_ERROR_WANT_WRITE: p.events = POLLOUT; break;
		default: handshake_failed(t, ret); return -1;
		}
		do {
			long long left = deadline - now_ms();

			rc = left > 0 ? poll(&p, 1, (int)left) : 0;
		} while (rc < 0 && errno == EINTR);
		if (rc <= 0) {
			pthread_mutex_lock(&t->mu);
			snprintf(t->err, sizeof(t->err), "%s",
				 rc == 0 ? "the TLS handshake timed out (is it a TLS port?)"
					 : strerror(errno));
			pthread_mutex_unlock(&t->mu);
			handshake_done(t, -1);
			return -1;
		}
	}
}

static int again(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Sets *want to POLLIN / POLLOUT for a retry, or returns 1 when the TLS connection is over. */
static int ssl_failed(struct gm__tls *t, int ret, short *want)
{
	int saved = errno, e = SSL_get_error(t->ssl, ret);

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*want |= e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	pthread_mutex_lock(&t->mu);
	if (!t->err[0])
		snprintf(t->err, sizeof(t->err), "%s",
			 e == SSL_ERROR_ZERO_RETURN	   ? "the server closed the TLS connection"
			 : ERR_peek_last_error()	   ? ssl_reason("TLS error")
			 : e == SSL_ERROR_SYSCALL && saved ? strerror(saved)
							   : "the server closed the connection");
	pthread_mutex_unlock(&t->mu);
	return 1;
}

static void pump(struct gm__tls *t)
{
	int cdone = 0, sdone = 0; /* the caller closed; the TLS connection is over */

	for (;;) {
		short pwant = 0, swant = 0;
		int moved = 0;
		ssize_t n;
		int ret;

		if (!cdone && !t->uplen) {
			if ((n = recv(t->pfd, t->up, sizeof(t->up), 0)) > 0) {
				t->upoff = 0;
				t->uplen = (size_t)n;
				moved = 1;
			} else if (n == 0 || !again()) {
				cdone = 1;
			}
		}
		if (t->uplen && sdone) {
			t->uplen = 0; /* nobody to send it to: drained so the caller can read */
		} else if (t->uplen) {
			ERR_clear_error();
			errno = 0;
			if ((ret = SSL_write(t->ssl, t->up + t->upoff, (int)t->uplen)) > 0) {
				t->upoff += (size_t)ret;
				t->uplen -= (size_t)ret;
				moved = 1;
			} else if (ssl_failed(t, ret, &swant)) {
				sdone = 1;
				t->uplen = 0;
			}
		}
		if (!sdone && !t->downlen) {
			ERR_clear_error();
			errno = 0;
			if ((ret = SSL_read(t->ssl, t->down, sizeof(t->down))) > 0) {
				t->downoff = 0;
				t->downlen = (size_t)ret;
				moved = 1;
			} else if (ssl_failed(t, ret, &swant)) {
				sdone = 1;
			}
		}
		if (t->downlen) {
			if ((n = send(t->pfd, t->down + t->downoff, t->downlen,
				      MSG_NOSIGNAL | MSG_DONTWAIT)) > 0) {
				t->downoff += (size_t)n;
				t->downlen -= (size_t)n;
				moved = 1;
			} else if (n < 0 && !again()) {
				t->downlen = 0; /* the caller is gone */
				cdone = 1;
			}
		}
		if (cdone) { /* what is left either way has nobody to answer to */
			if (!sdone) {
				ERR_clear_error();
				SSL_shutdown(t->ssl); /* close_notify, best effort */
			}
			return;
		}
		if (sdone && !t->downlen) {
			shutdown(t->pfd, SHUT_RDWR);
			return;
		}
		if (moved)
			continue;
		if (!cdone && !t->uplen)
			pwant |= POLLIN;
		if (t->downlen)
			pwant |= POLLOUT;
		{
			/*
			 * The caller's end always (its POLLHUP: the caller is gone, even
			 * while the server does not read), the server's only when OpenSSL
			 * waits for it (its POLLHUP would spin while the caller reads).
			 */
			struct pollfd p[2] = {{t->pfd, pwant, 0}, {swant ? t->sock : -1, swant, 0}};

			if (poll(p, 2, -1) < 0 && errno != EINTR)
				sdone = cdone = 1; /* cannot wait: give up both ways */
			else if ((p[0].revents & (POLLHUP | POLLERR)) && !(p[0].revents & POLLIN))
				cdone = 1;
		}
	}
}

static void *pump_main(void *arg)
{
	struct gm__tls *t = arg;

	if (handshake(t) < 0)
		return NULL;
	handshake_done(t, 1);
	pump(t);
	return NULL;
}

/* ---- open / close ---- */

static int is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

int gm__tls_open(struct gm__tls **out, int *fd, const char *host, int port,
		 const struct gm__tls_conf *conf)
{
	struct gm__tls *t;
	int sp[2] = {-1, -1};
	int error, check, rc;
	sigset_t all, old;

	*out = NULL;
	*fd = -1;
	if (!(t = gm_calloc(1, sizeof(*t))))
		return GM_ENOMEM;
	t->sock = t->pfd = -1;
	t->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms : 10000;
	if (pthread_mutex_init(&t->mu, NULL)) {
		gm_free(t);
		return GM_ENOMEM;
	}
	if (pthread_cond_init(&t->cv, NULL)) {
		pthread_mutex_destroy(&t->mu);
		gm_free(t);
		return GM_ENOMEM;
	}
	if ((error = check = make_ctx(t, conf)) < 0)
		goto fail;
	ERR_clear_error();
	if (!(t->ssl = SSL_new(t->ctx))) {
		error = GM_ENOMEM;
		goto fail;
	}
	/* the name checked (an IP address against IP SANs), and SNI for a DNS name */
	if (check && (is_ip(host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host)
				  : SSL_set1_host(t->ssl, host)) != 1) {
		error = gm_error_set(GM_EINVAL, "cannot connect to %s over TLS: bad host name",
				     conf->what);
		goto fail;
	}
	if (!is_ip(host) && SSL_set_tlsext_host_name(t->ssl, host) != 1) {
		error = gm_error_set(GM_EINVAL, "cannot connect to %s over TLS: %s", conf->what,
				     ssl_reason("bad host name"));
		goto fail;
	}
	if ((t->sock = tcp_connect(host, port, t->timeout_ms, conf->what)) < 0) {
		error = GM_EIO;
		goto fail;
	}
	if (SSL_set_fd(t->ssl, t->sock) != 1) {
		error = GM_ENOMEM;
		goto fail;
	}
	SSL_set_connect_state(t->ssl);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		error = gm_error_set(GM_EIO, "cannot connect to %s over TLS: socketpair: %s",
				     conf->what, strerror(errno));
		goto fail;
	}
	t->pfd = sp[1];
	if (fcntl(t->pfd, F_SETFL, fcntl(t->pfd, F_GETFL) | O_NONBLOCK) < 0) {
		error = gm_error_set(GM_EIO, "cannot connect to %s over TLS: %s", conf->what,
				     strerror(errno));
		goto fail;
	}
	/* the thread starts with every signal blocked (see the top) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t->thread, NULL, pump_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		error = gm_error_set(GM_EIO, "cannot connect to %s over TLS: cannot start a thread",
				     conf->what);
		goto fail;
	}
	t->started = 1;
	pthread_mutex_lock(&t->mu);
	while (!t->state)
		pthread_cond_wait(&t->cv, &t->mu);
	rc = t->state;
	if (rc < 0)
		error = gm_error_set(GM_EIO, "cannot connect to %s over TLS: %s", conf->what,
				     t->err);
	pthread_mutex_unlock(&t->mu);
	if (rc < 0)
		goto fail;
	/* hiredis never closes fd 0 (a program without stdin could get it) */
	if (sp[0] == 0 && (rc = fcntl(sp[0], F_DUPFD_CLOEXEC, 1)) > 0) {
		close(sp[0]);
		sp[0] = rc;
	}
	*fd = sp[0];
	*out = t;
	return 0;
fail:
	if (sp[0] >= 0)
		close(sp[0]);
	gm__tls_close(t);
	return error;
}

int gm__tls_error(struct gm__tls *t, char *buf, size_t n)
{
	int any;

	pthread_mutex_lock(&t->mu);
	any = t->err[0] != '\0';
	snprintf(buf, n, "%s", t->err);
	pthread_mutex_unlock(&t->mu);
	return any;
}

void gm__tls_close(struct gm__tls *t)
{
	if (!t)
		return;
	/* the pump ends on its own once the caller's end is closed; this makes sure */
	if (t->pfd >= 0)
		shutdown(t->pfd, SHUT_RDWR);
	if (t->started)
		pthread_join(t->thread, NULL);
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	if (t->sock >= 0)
		close(t->sock);
	if (t->pfd >= 0)
		close(t->pfd);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	gm_free(t);
}
