/* SPDX-License-Identifier: GPL-2.0 */
/* Internal: helpers shared by the kmip-*.c files. */
#ifndef MKEY_KMIP_INTERNAL_H
#define MKEY_KMIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "mkey/kmip.h"
#include "mkey/secmem.h"

/* True when @host is an IPv4 or IPv6 literal (*v6 says which). */
bool kmip_host_is_ip(const char *host, bool *v6);

/*
 * fstat checks of a file mkey trusts: regular, owned by root or the
 * caller, none of the @forbidden mode bits (022: not writable by group or
 * others; 077: private). -EPERM / -EINVAL with a detail naming @what.
 */
int kmip_check_owner_mode(int fd, const char *path, mode_t forbidden, const char *what);

/* Opens, checks (as above) and reads a file of at most @max bytes (NUL-terminated). */
int kmip_read_small_file(const char *path, mode_t forbidden, const char *what,
			 size_t max, char **data, size_t *len);

/* ---- TLS transport (kmip-tls.c) ---- */

/*
 * An SSL_CTX for @cfg: TLS 1.2 minimum, peer verification against the
 * configured CA only, the client certificate and key (the key file read
 * after checking it is private). -EPERM / -EINVAL / -ENOENT with details.
 */
int kmip_tls_ctx_new(const struct mkey_kmip_config *cfg, SSL_CTX **out);

struct kmip_conn;

/* What went wrong with a server, for the failover decision. */
enum kmip_fail {
	KMIP_FAIL_NONE = 0,
	KMIP_FAIL_CONNECT,	/* never reached: resolve, connect, TLS handshake */
	KMIP_FAIL_IO,		/* request (maybe) sent, no usable answer */
};

/*
 * Connects to @srv (TCP, then TLS with host name / IP verification)
 * within @timeout_ms. On failure: negative errno and a reason in @why
 * ("connection refused", "certificate verify failed: ...").
 */
int kmip_conn_open(SSL_CTX *ctx, const struct mkey_kmip_server *srv,
		   unsigned int timeout_ms, struct kmip_conn **out,
		   char *why, size_t why_len);

/* Response buffer: malloc'ed, or a secure buffer for key material. */
struct kmip_rbuf {
	uint8_t *data;
	size_t len;
	struct mkey_secbuf *sec;
};
void kmip_rbuf_free(struct kmip_rbuf *b);

/*
 * Sends one request and reads one ResponseMessage (8-byte header, then a
 * body of at most KMIP_MSG_MAX - 8 bytes; @secret: into a secure buffer,
 * at most 64 KiB) within @timeout_ms. *@sent is set once any byte of the
 * request may have reached the server.
 */
int kmip_conn_roundtrip(struct kmip_conn *c, const uint8_t *req, size_t len,
			unsigned int timeout_ms, bool secret, struct kmip_rbuf *resp,
			bool *sent, char *why, size_t why_len);

void kmip_conn_close(struct kmip_conn *c);

#endif
