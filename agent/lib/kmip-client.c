// SPDX-License-Identifier: GPL-2.0
/*
 * KMIP client: operations over a connection to the first server of a
 * definition that answers, with failover (docs/kmip.md, "Failover"):
 *
 * - A server that cannot be reached (name resolution, TCP connect, TLS
 *   handshake, all within connect-timeout) was never sent anything: the
 *   client moves on to the next server, for every operation.
 * - A server that answered — success or a KMIP error such as Item Not
 *   Found or Authentication Not Successful — has the last word: no other
 *   server is asked.
 * - A server that was sent a request but gave no usable answer (timeout,
 *   connection closed, malformed response): for read-only operations (Get,
 *   Locate, Get Attributes, Query, Discover Versions) the client moves on;
 *   for operations that change state (Create, Activate, Revoke, Destroy)
 *   it stops, because the first server may have applied the request and
 *   applying it again elsewhere is not the same (a second key, an error on
 *   an already revoked one). The error says so.
 *
 * A server that failed once is not tried again by the same client, so
 * the servers are walked at most once, in order. The connection that
 * answered is kept for the next request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error-detail.h"
#include "kmip-internal.h"
#include "kmip-msg.h"
#include "mkey/error.h"

struct mkey_kmip_client {
	struct mkey_kmip_config cfg;
	struct kmip_proto pv;
	SSL_CTX *ctx;
	struct kmip_conn *conn;
	int cur;		/* server of conn, or the next to try */
	int pinned;		/* -1, or the only server to use */
	int answered;		/* server of the last answer, or -1 */
	unsigned int connect_ms, io_ms;
	char failures[2048];
};

int mkey_kmip_client_new(const struct mkey_kmip_config *cfg,
			 struct mkey_kmip_client **out)
{
	struct mkey_kmip_client *c;
	int ret;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->pv.major = cfg->proto_major;
	c->pv.minor = cfg->proto_minor;
	c->pinned = -1;
	c->answered = -1;
	c->connect_ms = cfg->connect_timeout_ms;
	c->io_ms = cfg->timeout_ms;
	ret = kmip_tls_ctx_new(cfg, &c->ctx);
	if (ret) {
		free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void mkey_kmip_client_free(struct mkey_kmip_client *c)
{
	if (!c)
		return;
	kmip_conn_close(c->conn);
	SSL_CTX_free(c->ctx);
	free(c);
}

const struct mkey_kmip_config *mkey_kmip_client_config(const struct mkey_kmip_client *c)
{
	return &c->cfg;
}

const char *mkey_kmip_answered_by(const struct mkey_kmip_client *c)
{
	return c->answered >= 0 ? c->cfg.servers[c->answered].label : NULL;
}

const char *mkey_kmip_failures(const struct mkey_kmip_client *c)
{
	return c->failures;
}

int mkey_kmip_client_pin(struct mkey_kmip_client *c, int index)
{
	if (index < 0 || index >= c->cfg.n_servers)
		return -EINVAL;
	kmip_conn_close(c->conn);
	c->conn = NULL;
	c->pinned = index;
	c->cur = index;
	c->answered = -1;
	c->failures[0] = '\0';
	return 0;
}

void mkey_kmip_client_set_timeouts(struct mkey_kmip_client *c,
				   unsigned int connect_ms, unsigned int io_ms)
{
	if (connect_ms)
		c->connect_ms = connect_ms;
	if (io_ms)
		c->io_ms = io_ms;
}

static void add_failure(struct mkey_kmip_client *c, int server, const char *why)
{
	size_t used = strlen(c->failures);

	snprintf(c->failures + used, sizeof(c->failures) - used, "%s%s: %s",
		 used ? "; " : "", c->cfg.servers[server].label, why);
}

static int last_server(const struct mkey_kmip_client *c)
{
	return c->pinned >= 0 ? c->pinned : c->cfg.n_servers - 1;
}

/* Connects to c->cur or the first server after it that can be reached. */
static int connect_next(struct mkey_kmip_client *c)
{
	char why[512];

	for (; c->cur <= last_server(c); c->cur++) {
		int ret = kmip_conn_open(c->ctx, &c->cfg.servers[c->cur], c->connect_ms,
					 &c->conn, why, sizeof(why));

		if (!ret)
			return 0;
		add_failure(c, c->cur, why);
	}
	if (c->pinned >= 0)	/* "host:port: why" */
		return mkey_error_set(-EHOSTUNREACH, "%s", c->failures);
	return mkey_error_set(-EHOSTUNREACH, "no KMIP server of '%s' answered: %s",
			      c->cfg.name, c->failures);
}

/*
 * Sends @req (operation @op) and parses the answer into @r / @rb (@rb
 * must be freed by the caller on success). Failover as described above.
 */
static int call(struct mkey_kmip_client *c, struct kmip_enc *req, uint32_t op,
		bool changes_state, bool secret, struct kmip_response *r,
		struct kmip_rbuf *rb)
{
	char why[512], opname[32];
	int ret;

	ret = kmip_enc_result(req);
	if (ret)
		return mkey_error_set(ret, "cannot build the KMIP %s request",
				      kmip_op_name(op, opname, sizeof(opname)));
	for (;;) {
		bool sent = false;

		if (!c->conn) {
			ret = connect_next(c);
			if (ret)
				return ret;
		}
		ret = kmip_conn_roundtrip(c->conn, req->buf, req->len, c->io_ms, secret,
					  rb, &sent, why, sizeof(why));
		if (!ret) {
			ret = kmip_response_parse(rb->data, rb->len, r);
			if (ret) {
				snprintf(why, sizeof(why), "%s", mkey_error_detail());
				kmip_rbuf_free(rb);
			}
		}
		if (!ret) {
			c->answered = c->cur;
			return 0;
		}
		/* No usable answer: this server is done for this client. */
		kmip_conn_close(c->conn);
		c->conn = NULL;
		add_failure(c, c->cur, why);
		if (changes_state && sent) {
			char label[sizeof(c->cfg.servers[0].label)];

			snprintf(label, sizeof(label), "%s", c->cfg.servers[c->cur].label);
			c->cur = last_server(c) + 1;
			return mkey_error_set(ret == -EBADMSG ? -EBADMSG : -EIO,
					      "KMIP server %s: %s after the %s request was "
					      "sent; it may have been applied there, so it "
					      "was not sent to another server", label, why,
					      kmip_op_name(op, opname, sizeof(opname)));
		}
		c->cur++;
	}
}

/* The result of @r for @op, the detail prefixed by the answering server. */
static int result(struct mkey_kmip_client *c, const struct kmip_response *r, uint32_t op)
{
	char detail[512];
	int ret;

	mkey_error_clear();
	ret = kmip_response_result(r, op);
	if (ret) {
		snprintf(detail, sizeof(detail), "%s", mkey_error_detail());
		mkey_error_set(ret, "%s: %s", c->cfg.servers[c->answered].label, detail);
	}
	return ret;
}

/* A malformed payload from the server that answered. */
static int payload_error(struct mkey_kmip_client *c, int ret)
{
	char detail[512];

	snprintf(detail, sizeof(detail), "%s", mkey_error_detail());
	return mkey_error_set(ret, "%s: %s", c->cfg.servers[c->answered].label, detail);
}

static int simple(struct mkey_kmip_client *c, struct kmip_enc *e, uint32_t op,
		  bool changes_state, const char *uid)
{
	struct kmip_response r;
	struct kmip_rbuf rb;
	char got[MKEY_KMIP_UID_MAX + 1];
	int ret;

	ret = call(c, e, op, changes_state, false, &r, &rb);
	kmip_enc_free(e);
	if (ret)
		return ret;
	ret = result(c, &r, op);
	if (!ret) {
		ret = kmip_parse_uid(&r, got);
		if (ret)
			ret = payload_error(c, ret);
		else if (uid && strcmp(uid, got))
			ret = mkey_error_set(-EBADMSG, "%s: answered for object %s, "
					     "asked about %s",
					     c->cfg.servers[c->answered].label, got, uid);
	}
	kmip_rbuf_free(&rb);
	return ret;
}

static int uid_arg(const char *uid)
{
	if (!uid || !kmip_uid_ok(uid))
		return mkey_error_set(-EINVAL, "bad KMIP unique identifier");
	return 0;
}

int mkey_kmip_create(struct mkey_kmip_client *c, uint32_t bits, const char *name,
		     char uid[MKEY_KMIP_UID_MAX + 1])
{
	struct kmip_response r;
	struct kmip_rbuf rb;
	struct kmip_enc e;
	int ret;

	if (bits != 128 && bits != 192 && bits != 256)
		return mkey_error_set(-EINVAL, "AES keys have 128, 192 or 256 bits");
	kmip_enc_init(&e);
	kmip_req_create(&e, &c->pv, bits, name);
	ret = call(c, &e, KMIP_OP_CREATE, true, false, &r, &rb);
	kmip_enc_free(&e);
	if (ret)
		return ret;
	ret = result(c, &r, KMIP_OP_CREATE);
	if (!ret && (ret = kmip_parse_uid(&r, uid)))
		ret = payload_error(c, ret);
	kmip_rbuf_free(&rb);
	return ret;
}

int mkey_kmip_activate(struct mkey_kmip_client *c, const char *uid)
{
	struct kmip_enc e;
	int ret = uid_arg(uid);

	if (ret)
		return ret;
	kmip_enc_init(&e);
	kmip_req_uid(&e, &c->pv, KMIP_OP_ACTIVATE, uid);
	return simple(c, &e, KMIP_OP_ACTIVATE, true, uid);
}

int mkey_kmip_destroy(struct mkey_kmip_client *c, const char *uid)
{
	struct kmip_enc e;
	int ret = uid_arg(uid);

	if (ret)
		return ret;
	kmip_enc_init(&e);
	kmip_req_uid(&e, &c->pv, KMIP_OP_DESTROY, uid);
	return simple(c, &e, KMIP_OP_DESTROY, true, uid);
}

int mkey_kmip_revoke(struct mkey_kmip_client *c, const char *uid, bool compromised,
		     const char *message)
{
	struct kmip_enc e;
	int ret = uid_arg(uid);

	if (ret)
		return ret;
	kmip_enc_init(&e);
	kmip_req_revoke(&e, &c->pv, uid, compromised ? KMIP_REVOKE_KEY_COMPROMISE :
			KMIP_REVOKE_CESSATION, message);
	return simple(c, &e, KMIP_OP_REVOKE, true, uid);
}

int mkey_kmip_get(struct mkey_kmip_client *c, const char *uid,
		  struct mkey_secbuf **key, uint32_t *alg, int32_t *bits)
{
	char got[MKEY_KMIP_UID_MAX + 1];
	struct kmip_response r;
	struct kmip_rbuf rb;
	struct kmip_enc e;
	uint32_t a;
	int32_t b;
	int ret = uid_arg(uid);

	*key = NULL;
	if (ret)
		return ret;
	kmip_enc_init(&e);
	kmip_req_get(&e, &c->pv, uid, KMIP_KEY_FORMAT_RAW);
	ret = call(c, &e, KMIP_OP_GET, false, true, &r, &rb);
	kmip_enc_free(&e);
	if (ret)
		return ret;
	ret = result(c, &r, KMIP_OP_GET);
	if (!ret && (ret = kmip_parse_get(&r, got, key, &a, &b)))
		ret = payload_error(c, ret);
	kmip_rbuf_free(&rb);
	if (!ret && strcmp(got, uid)) {
		mkey_secbuf_free(*key);
		*key = NULL;
		ret = mkey_error_set(-EBADMSG, "%s: sent object %s, asked for %s",
				     c->cfg.servers[c->answered].label, got, uid);
	}
	if (!ret) {
		if (alg)
			*alg = a;
		if (bits)
			*bits = b;
	}
	return ret;
}

int mkey_kmip_locate(struct mkey_kmip_client *c, const char *name,
		     char (**uids)[MKEY_KMIP_UID_MAX + 1])
{
	char (*list)[MKEY_KMIP_UID_MAX + 1];
	struct kmip_response r;
	struct kmip_rbuf rb;
	struct kmip_enc e;
	int ret, n;

	*uids = NULL;
	kmip_enc_init(&e);
	kmip_req_locate(&e, &c->pv, MKEY_KMIP_LOCATE_MAX, name, KMIP_OBJECT_SYMMETRIC_KEY);
	ret = call(c, &e, KMIP_OP_LOCATE, false, false, &r, &rb);
	kmip_enc_free(&e);
	if (ret)
		return ret;
	ret = result(c, &r, KMIP_OP_LOCATE);
	if (ret) {
		kmip_rbuf_free(&rb);
		return ret;
	}
	list = calloc(MKEY_KMIP_LOCATE_MAX, sizeof(*list));
	if (!list) {
		kmip_rbuf_free(&rb);
		return -ENOMEM;
	}
	n = kmip_parse_locate(&r, list, MKEY_KMIP_LOCATE_MAX);
	kmip_rbuf_free(&rb);
	if (n < 0) {
		free(list);
		return payload_error(c, n);
	}
	if (n == 0) {
		free(list);
		return 0;
	}
	*uids = list;
	return n;
}

int mkey_kmip_get_object(struct mkey_kmip_client *c, const char *uid,
			 struct mkey_kmip_object *obj)
{
	static const char *const names[] = {
		"Name", "Object Type", "Cryptographic Algorithm",
		"Cryptographic Length", "State", "Initial Date", NULL,
	};
	struct kmip_response r;
	struct kmip_rbuf rb;
	struct kmip_enc e;
	int ret = uid_arg(uid);

	memset(obj, 0, sizeof(*obj));
	if (ret)
		return ret;
	kmip_enc_init(&e);
	kmip_req_get_attributes(&e, &c->pv, uid, names);
	ret = call(c, &e, KMIP_OP_GET_ATTRIBUTES, false, false, &r, &rb);
	kmip_enc_free(&e);
	if (ret)
		return ret;
	ret = result(c, &r, KMIP_OP_GET_ATTRIBUTES);
	if (!ret && (ret = kmip_parse_attributes(&r, obj)))
		ret = payload_error(c, ret);
	kmip_rbuf_free(&rb);
	if (!ret && strcmp(obj->uid, uid))
		ret = mkey_error_set(-EBADMSG, "%s: answered for object %s, asked "
				     "about %s", c->cfg.servers[c->answered].label,
				     obj->uid, uid);
	return ret;
}

int mkey_kmip_query(struct mkey_kmip_client *c, struct mkey_kmip_server_info *info)
{
	static const uint32_t functions[] = {
		KMIP_QUERY_OPERATIONS, KMIP_QUERY_OBJECTS, KMIP_QUERY_SERVER_INFORMATION,
	};
	char first_detail[512] = "";
	struct kmip_response r;
	struct kmip_rbuf rb;
	struct kmip_enc e;
	int ret, first = 0;

	memset(info, 0, sizeof(*info));
	kmip_enc_init(&e);
	kmip_req_query(&e, &c->pv, functions, 3);
	ret = call(c, &e, KMIP_OP_QUERY, false, false, &r, &rb);
	kmip_enc_free(&e);
	if (ret)
		return ret;
	ret = result(c, &r, KMIP_OP_QUERY);
	if (!ret && (ret = kmip_parse_query(&r, info)))
		ret = payload_error(c, ret);
	kmip_rbuf_free(&rb);
	if (!ret)
		info->have_query = true;
	else if (ret == -EBADMSG)
		return ret;
	first = ret;
	snprintf(first_detail, sizeof(first_detail), "%s", mkey_error_detail());

	kmip_enc_init(&e);
	kmip_req_discover_versions(&e, &c->pv);
	ret = call(c, &e, KMIP_OP_DISCOVER_VERSIONS, false, false, &r, &rb);
	kmip_enc_free(&e);
	if (ret)
		return ret;
	ret = result(c, &r, KMIP_OP_DISCOVER_VERSIONS);
	if (!ret && (ret = kmip_parse_versions(&r, info)))
		ret = payload_error(c, ret);
	kmip_rbuf_free(&rb);
	if (!ret)
		info->have_versions = true;
	if (info->have_query || info->have_versions)
		return 0;
	return mkey_error_set(first, "%s", first_detail);
}

const char *mkey_kmip_state_name(uint32_t state)
{
	switch (state) {
	case MKEY_KMIP_STATE_PRE_ACTIVE: return "pre-active";
	case MKEY_KMIP_STATE_ACTIVE: return "active";
	case MKEY_KMIP_STATE_DEACTIVATED: return "deactivated";
	case MKEY_KMIP_STATE_COMPROMISED: return "compromised";
	case MKEY_KMIP_STATE_DESTROYED: return "destroyed";
	case MKEY_KMIP_STATE_DESTROYED_COMPROMISED: return "destroyed-compromised";
	default: return "unknown";
	}
}
