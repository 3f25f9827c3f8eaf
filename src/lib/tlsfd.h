/* SPDX-License-Identifier: MIT */
/*
 * A TLS tunnel behind a plain file descriptor (internal), for clients of
 * libraries without TLS of their own (Debian bookworm's hiredis 0.14): it
 * connects to host:port over TCP, does the TLS handshake with OpenSSL in a
 * pump thread, and hands back one end of a socketpair; the thread copies
 * bytes both ways between the other end and the TLS connection until the
 * caller closes its end (then it sends TLS close_notify and ends) or the
 * server goes away (then the caller's end reads EOF and writes fail).
 *
 * The server certificate is verified by default, chain and name: against the
 * system CA store, or the PEM file of the URI parameter tls_ca=FILE (else of
 * the environment variable conf->ca_env); the name is the host as given (an
 * IP address matches the certificate's IP SANs). URI parameters:
 *   tls_ca=FILE      CA certificates (PEM) to verify the server against
 *   tls_cert=FILE    a client certificate (PEM, chain allowed)
 *   tls_key=FILE     its private key (PEM, not encrypted); default: in tls_cert
 *   tls_verify=no    accept any server certificate (yes, the default, verifies)
 * File names may be %-encoded.
 */
#ifndef GMIG_TLSFD_H
#define GMIG_TLSFD_H

#include <stddef.h>

struct gm__tls;

struct gm__tls_conf {
	const char *params; /* the URI's "k=v&k2=v2" parameters (tls_*), or NULL */
	const char *ca_env; /* names a CA file when there is no tls_ca (or NULL) */
	const char *what;   /* names the server in messages: "falkordb host:port/graph" */
	int timeout_ms;	    /* for the TCP connect and for the handshake; <= 0: 10 s */
};

/** 1 when the name (len bytes) is one of the URI parameters above, else 0. */
int gm__tls_param(const char *name, size_t len);

/** The first tls_* parameter in params as "name" (borrowed), or NULL when there is none. */
const char *gm__tls_params_find(const char *params, size_t *len);

/**
 * Connects to host:port and does the TLS handshake (verifying the server as
 * the parameters say). On success *out is the tunnel and *fd the plaintext
 * end (a blocking socket, never fd 0; both the caller's): close *fd first,
 * then free the tunnel with gm__tls_close. Returns 0, GM_EINVAL (a bad parameter), GM_EIO
 * (cannot connect, read a file, or complete the handshake: the message says
 * "cannot connect to WHAT over TLS: " and OpenSSL's reason, such as
 * "certificate verify failed: unable to get local issuer certificate") or
 * GM_ENOMEM. On failure *out is NULL and *fd is -1.
 */
int gm__tls_open(struct gm__tls **out, int *fd, const char *host, int port,
		 const struct gm__tls_conf *conf);

/**
 * Why the TLS connection ended (OpenSSL's reason, such as "tlsv13 alert
 * certificate required", or "the server closed the TLS connection"), for a
 * caller whose end read EOF: returns 1 and copies it to buf (n bytes), or
 * returns 0 (an empty buf) while the connection is up.
 */
int gm__tls_error(struct gm__tls *t, char *buf, size_t n);

/**
 * Ends the pump thread (it sends close_notify unless the server went first),
 * waits for it and frees the tunnel. The caller's end should be closed
 * before: what the caller wrote and the pump did not send yet is dropped.
 * NULL-safe.
 */
void gm__tls_close(struct gm__tls *t);

#endif
