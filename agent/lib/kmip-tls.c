// SPDX-License-Identifier: GPL-2.0
/*
 * KMIP transport: TCP + TLS (OpenSSL), mutual certificate authentication.
 *
 * - TLS 1.2 at least; OpenSSL's (and the system policy's) cipher suites.
 * - The server certificate must chain to the configured CA file (the
 *   system trust store is never used) and match the configured host: an
 *   IP address against the certificate's IP SANs, a name via
 *   SSL_set1_host() (no partial wildcards). SNI is sent for names.
 * - Connect and handshake share one deadline (connect-timeout); a request
 *   and its response share another (timeout). Sockets are non-blocking,
 *   every wait is a poll() bounded by the deadline.
 * - Framing: an 8-byte header (ResponseMessage, Structure, length checked
 *   before anything is allocated), then the body.
 * - SSL_OP_CLEANSE_PLAINTEXT: OpenSSL wipes decrypted application data
 *   (key material in Get responses) from its buffers once read.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "error-detail.h"
#include "kmip-internal.h"
#include "kmip-ttlv.h"
#include "mkey/error.h"

#define KEY_FILE_MAX	65536
#define CA_FILE_MAX	(1024 * 1024)
#define SECRET_RESP_MAX	65536

struct kmip_conn {
	int fd;
	SSL *ssl;
};

/* ---------------------------------------------------------------- context */

static void openssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, len, "%s", r ? r : "unknown OpenSSL error");
	ERR_clear_error();
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int load_ca(SSL_CTX *ctx, const char *path)
{
	STACK_OF(X509_INFO) *infos;
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	char *text = NULL, why[256];
	size_t len;
	int ret, n = 0;
	BIO *bio;

	ret = kmip_read_small_file(path, 022, "KMIP CA certificate", CA_FILE_MAX,
				   &text, &len);
	if (ret)
		return ret;
	bio = BIO_new_mem_buf(text, (int)len);
	infos = bio ? PEM_X509_INFO_read_bio(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	free(text);
	if (!infos) {
		openssl_reason(why, sizeof(why));
		return mkey_error_set(-EINVAL, "%s: cannot read the CA certificates: %s",
				      path, why);
	}
	for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);

		if (xi->x509 && X509_STORE_add_cert(store, xi->x509) == 1)
			n++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	ERR_clear_error();
	if (n == 0)
		return mkey_error_set(-EINVAL, "%s: no CA certificate in the file", path);
	return 0;
}

static int load_key(SSL_CTX *ctx, const char *path)
{
	struct mkey_secbuf *buf = NULL;
	EVP_PKEY *pkey = NULL;
	char why[256];
	int fd, ret;
	BIO *bio;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return mkey_error_set(-errno, "%s (KMIP client key): %s", path,
				      strerror(errno));
	ret = kmip_check_owner_mode(fd, path, 077, "KMIP client key");
	if (!ret)
		ret = mkey_secbuf_new(KEY_FILE_MAX + 1, &buf);
	while (!ret && buf->len < buf->cap) {
		ssize_t n = read(fd, buf->data + buf->len, buf->cap - buf->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = mkey_error_set(-errno, "%s: %s", path, strerror(errno));
		else if (n == 0)
			break;
		else
			buf->len += (size_t)n;
	}
	close(fd);
	if (!ret && buf->len > KEY_FILE_MAX)
		ret = mkey_error_set(-EFBIG, "%s (KMIP client key) is larger than %d bytes",
				     path, KEY_FILE_MAX);
	if (ret)
		goto out;
	bio = BIO_new_mem_buf(buf->data, (int)buf->len);
	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!pkey) {
		openssl_reason(why, sizeof(why));
		if (memmem(buf->data, buf->len, "ENCRYPTED", 9))
			ret = mkey_error_set(-EINVAL, "%s: the client key is encrypted; "
					     "mkey needs an unencrypted key, protected "
					     "by its file mode, to run unattended", path);
		else
			ret = mkey_error_set(-EINVAL, "%s: cannot read the client key: %s",
					     path, why);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) ==
				X509_R_KEY_VALUES_MISMATCH;

		openssl_reason(why, sizeof(why));
		ret = mismatch ?
		      mkey_error_set(-EINVAL, "%s: the client key does not match the "
				     "client certificate", path) :
		      mkey_error_set(-EINVAL, "%s: client key not usable: %s", path, why);
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		ret = mkey_error_set(-EINVAL, "%s: the client key does not match the "
				     "client certificate", path);
	}
out:
	EVP_PKEY_free(pkey);
	mkey_secbuf_free(buf);
	return ret;
}

int kmip_tls_ctx_new(const struct mkey_kmip_config *cfg, SSL_CTX **out)
{
	char why[256];
	SSL_CTX *ctx;
	int ret;

	*out = NULL;
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return -ENOMEM;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		ret = -EIO;
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_CLEANSE_PLAINTEXT | SSL_OP_NO_TICKET);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	ret = load_ca(ctx, cfg->ca);
	if (ret)
		goto fail;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1) {
		openssl_reason(why, sizeof(why));
		ret = mkey_error_set(access(cfg->cert, R_OK) ? -errno : -EINVAL,
				     "%s: cannot load the client certificate: %s",
				     cfg->cert, why);
		goto fail;
	}
	ret = load_key(ctx, cfg->key);
	if (ret)
		goto fail;
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return ret;
}

/*
 * A server that hangs up must not kill us with SIGPIPE: every write to the
 * socket (handshake, requests, close_notify) runs with SIGPIPE blocked in
 * this thread, and a SIGPIPE it raised is consumed before unblocking.
 */
static void sigpipe_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static void sigpipe_restore(const sigset_t *old)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (!sigismember(old, SIGPIPE))
		while (sigtimedwait(&set, NULL, &zero) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* ---------------------------------------------------------------- time */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for @events on @fd until @deadline: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* ---------------------------------------------------------------- connect */

static int tcp_connect(const struct mkey_kmip_server *srv, int64_t deadline,
		       unsigned int timeout_ms, int *fd_out, char *why, size_t why_len)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char port[8];
	bool v6;
	int ret = -EHOSTUNREACH, gai;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV |
			 (kmip_host_is_ip(srv->host, &v6) ? AI_NUMERICHOST : AI_ADDRCONFIG);
	snprintf(port, sizeof(port), "%u", srv->port);
	gai = getaddrinfo(srv->host, port, &hints, &res);
	if (gai) {
		snprintf(why, why_len, "cannot resolve %s: %s", srv->host,
			 gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (fd < 0) {
			ret = -errno;
			snprintf(why, why_len, "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		if (errno != EINPROGRESS) {
			ret = -errno;
			goto next;
		}
		ret = wait_fd(fd, POLLOUT, deadline);
		if (ret == -ETIMEDOUT) {
			close(fd);
			snprintf(why, why_len, "connect timed out after %u.%u s",
				 timeout_ms / 1000, timeout_ms % 1000 / 100);
			break;
		}
		if (ret)
			goto next;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr == 0)
			goto connected;
		ret = -soerr;
next:
		snprintf(why, why_len, "%s", strerror(-ret));
		/* "Connection refused" reads better in lower case mid-sentence. */
		if (why[0] >= 'A' && why[0] <= 'Z')
			why[0] = (char)(why[0] - 'A' + 'a');
		close(fd);
		continue;
connected:
		freeaddrinfo(res);
		*fd_out = fd;
		return 0;
	}
	freeaddrinfo(res);
	return ret;
}

/* Turns a failed handshake into a sentence. */
static void handshake_why(SSL *ssl, int ssl_err, int sys_errno, char *why, size_t why_len)
{
	long vr = SSL_get_verify_result(ssl);
	unsigned long e = ERR_peek_last_error();
	int reason = e ? ERR_GET_REASON(e) : 0;

	if (vr != X509_V_OK) {
		snprintf(why, why_len, "server certificate not trusted: %s",
			 X509_verify_cert_error_string(vr));
	} else if (e) {
		const char *r = ERR_reason_error_string(e);
		bool client_cert =
			reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA ||
			reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
			reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN ||
			reason == SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE ||
			reason == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED ||
			reason == SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED ||
			reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
			reason == SSL_R_TLSV1_ALERT_ACCESS_DENIED;

		snprintf(why, why_len, "TLS handshake failed: %s%s", r ? r : "error",
			 client_cert ? " (the server rejected the client certificate)" :
			 reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE ||
			 reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ?
			 " (no TLS version or cipher suite in common, or the server "
			 "wants a client certificate it did not get)" : "");
	} else if (ssl_err == SSL_ERROR_SYSCALL && sys_errno) {
		snprintf(why, why_len, "TLS handshake failed: %s", strerror(sys_errno));
	} else {
		snprintf(why, why_len, "TLS handshake failed: the server closed the "
			 "connection");
	}
	ERR_clear_error();
}

int kmip_conn_open(SSL_CTX *ctx, const struct mkey_kmip_server *srv,
		   unsigned int timeout_ms, struct kmip_conn **out,
		   char *why, size_t why_len)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct kmip_conn *c;
	sigset_t old;
	bool v6;
	int ret, fd = -1;

	*out = NULL;
	why[0] = '\0';
	ret = tcp_connect(srv, deadline, timeout_ms, &fd, why, why_len);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	c->fd = fd;
	ERR_clear_error();
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1)
		goto ssl_setup_failed;
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (kmip_host_is_ip(srv->host, &v6)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), srv->host) != 1)
			goto ssl_setup_failed;
	} else {
		if (SSL_set1_host(c->ssl, srv->host) != 1 ||
		    SSL_set_tlsext_host_name(c->ssl, srv->host) != 1)
			goto ssl_setup_failed;
	}
	sigpipe_block(&old);
	for (;;) {
		int r, err, sys;

		errno = 0;
		r = SSL_connect(c->ssl);
		if (r == 1)
			break;
		sys = errno;
		err = SSL_get_error(c->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			ret = wait_fd(fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
				      deadline);
			if (ret == -ETIMEDOUT) {
				snprintf(why, why_len, "TLS handshake timed out after "
					 "%u.%u s (is it a KMIP server?)", timeout_ms / 1000,
					 timeout_ms % 1000 / 100);
				goto fail;
			}
			if (ret) {
				snprintf(why, why_len, "TLS handshake: %s", strerror(-ret));
				goto fail;
			}
			continue;
		}
		handshake_why(c->ssl, err, sys, why, why_len);
		ret = -EPROTO;
		goto fail;
	}
	sigpipe_restore(&old);
	*out = c;
	return 0;
ssl_setup_failed:
	openssl_reason(why, why_len);
	kmip_conn_close(c);
	return -ENOMEM;
fail:
	sigpipe_restore(&old);
	kmip_conn_close(c);
	return ret;
}

void kmip_conn_close(struct kmip_conn *c)
{
	if (!c)
		return;
	if (c->ssl) {
		/* Best effort close_notify; never wait for the peer's. */
		if (SSL_is_init_finished(c->ssl)) {
			sigset_t old;

			sigpipe_block(&old);
			SSL_shutdown(c->ssl);
			sigpipe_restore(&old);
		}
		SSL_free(c->ssl);
	}
	ERR_clear_error();
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

/* ---------------------------------------------------------------- I/O */

void kmip_rbuf_free(struct kmip_rbuf *b)
{
	if (b->sec) {
		mkey_secbuf_free(b->sec);
	} else if (b->data) {
		OPENSSL_cleanse(b->data, b->len);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

/* SSL_read/SSL_write until done; poll on WANT_*. */
static int ssl_io(struct kmip_conn *c, bool writing, void *buf, size_t len,
		  int64_t deadline, unsigned int timeout_ms, char *why, size_t why_len)
{
	size_t done = 0;

	while (done < len) {
		size_t n = 0;
		int r, err, sys, ret;

		errno = 0;
		if (writing)
			r = SSL_write_ex(c->ssl, (uint8_t *)buf + done, len - done, &n);
		else
			r = SSL_read_ex(c->ssl, (uint8_t *)buf + done, len - done, &n);
		if (r == 1) {
			done += n;
			continue;
		}
		sys = errno;
		err = SSL_get_error(c->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			ret = wait_fd(c->fd, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
				      deadline);
			if (ret == -ETIMEDOUT) {
				snprintf(why, why_len, "no response within %u.%u s",
					 timeout_ms / 1000, timeout_ms % 1000 / 100);
				return ret;
			}
			if (ret) {
				snprintf(why, why_len, "%s", strerror(-ret));
				return ret;
			}
			continue;
		}
		if (err == SSL_ERROR_ZERO_RETURN ||
		    (err == SSL_ERROR_SYSCALL && sys == 0 && !ERR_peek_error())) {
			snprintf(why, why_len, "the server closed the connection%s",
				 writing || done ? "" : " without answering");
			ERR_clear_error();
			return -ECONNRESET;
		}
		if (err == SSL_ERROR_SYSCALL && sys) {
			snprintf(why, why_len, "%s", strerror(sys));
			ERR_clear_error();
			return -sys;
		}
		/* TLS 1.3 servers reject a client certificate after the handshake. */
		handshake_why(c->ssl, err, sys, why, why_len);
		if (!strncmp(why, "TLS handshake failed: ", 22))
			memmove(why, why + 22, strlen(why + 22) + 1);
		return -EPROTO;
	}
	return 0;
}

int kmip_conn_roundtrip(struct kmip_conn *c, const uint8_t *req, size_t len,
			unsigned int timeout_ms, bool secret, struct kmip_rbuf *resp,
			bool *sent, char *why, size_t why_len)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint8_t hdr[KMIP_HDR];
	sigset_t old;
	uint32_t body;
	int ret;

	memset(resp, 0, sizeof(*resp));
	why[0] = '\0';
	sigpipe_block(&old);
	*sent = true;
	ret = ssl_io(c, true, (void *)req, len, deadline, timeout_ms, why, why_len);
	sigpipe_restore(&old);
	if (ret)
		return ret;
	ret = ssl_io(c, false, hdr, sizeof(hdr), deadline, timeout_ms, why, why_len);
	if (ret)
		return ret;
	ret = kmip_frame_check(hdr, KMIP_TAG_RESPONSE_MESSAGE, &body);
	if (ret) {
		snprintf(why, why_len, "%s", mkey_error_detail());
		return ret;
	}
	if (secret) {
		if (body + KMIP_HDR > SECRET_RESP_MAX) {
			snprintf(why, why_len, "response of %u bytes to a Get is larger "
				 "than %d", body + KMIP_HDR, SECRET_RESP_MAX);
			return -EMSGSIZE;
		}
		ret = mkey_secbuf_new(body + KMIP_HDR, &resp->sec);
		if (ret) {
			snprintf(why, why_len, "cannot lock memory for the key");
			return ret;
		}
		resp->data = resp->sec->data;
	} else {
		resp->data = malloc(body + KMIP_HDR);
		if (!resp->data) {
			snprintf(why, why_len, "out of memory");
			return -ENOMEM;
		}
	}
	memcpy(resp->data, hdr, KMIP_HDR);
	resp->len = body + KMIP_HDR;
	if (resp->sec)
		resp->sec->len = resp->len;
	ret = ssl_io(c, false, resp->data + KMIP_HDR, body, deadline, timeout_ms,
		     why, why_len);
	if (ret)
		kmip_rbuf_free(resp);
	return ret;
}
