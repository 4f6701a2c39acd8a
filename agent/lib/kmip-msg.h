/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal: KMIP 1.x request messages and response parsing, one request
 * (one batch item) per message. Requests are built into a kmip_enc;
 * responses are decoded with kmip-ttlv.c, checked against the request's
 * operation, and a failed result (ResultStatus, ResultReason,
 * ResultMessage) becomes a negative errno plus a readable detail.
 */
#ifndef MKEY_KMIP_MSG_H
#define MKEY_KMIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmip-ttlv.h"
#include "mkey/kmip.h"

enum kmip_op {
	KMIP_OP_CREATE		= 0x01,
	KMIP_OP_LOCATE		= 0x08,
	KMIP_OP_GET		= 0x0A,
	KMIP_OP_GET_ATTRIBUTES	= 0x0B,
	KMIP_OP_ACTIVATE	= 0x12,
	KMIP_OP_REVOKE		= 0x13,
	KMIP_OP_DESTROY		= 0x14,
	KMIP_OP_QUERY		= 0x18,
	KMIP_OP_DISCOVER_VERSIONS = 0x1E,
};

#define KMIP_OBJECT_SYMMETRIC_KEY	2
#define KMIP_ALG_AES			3
#define KMIP_USAGE_ENCRYPT		0x04
#define KMIP_USAGE_DECRYPT		0x08
#define KMIP_NAME_TEXT			1
#define KMIP_KEY_FORMAT_RAW		1
#define KMIP_KEY_FORMAT_TRANSPARENT_SYM	7
#define KMIP_REVOKE_KEY_COMPROMISE	2
#define KMIP_REVOKE_CESSATION		6
#define KMIP_QUERY_OPERATIONS		1
#define KMIP_QUERY_OBJECTS		2
#define KMIP_QUERY_SERVER_INFORMATION	3

#define KMIP_RESULT_SUCCESS		0
#define KMIP_RESULT_FAILED		1
#define KMIP_REASON_ITEM_NOT_FOUND	1
#define KMIP_REASON_AUTH_NOT_SUCCESSFUL	3

/* Operation name ("Create", "Get", ...; "operation 0x2A" for others). */
const char *kmip_op_name(uint32_t op, char *buf, size_t len);
/* ResultReason name ("Item Not Found", ...). */
const char *kmip_reason_name(uint32_t reason, char *buf, size_t len);
/* Negative errno for a ResultReason. */
int kmip_reason_errno(uint32_t reason);

struct kmip_proto {
	int major, minor;
};

/* ---- requests: each builds a complete RequestMessage ---- */

/* Create a symmetric AES key of @bits, named @name (NULL: no name). */
void kmip_req_create(struct kmip_enc *e, const struct kmip_proto *pv,
		     uint32_t bits, const char *name);
/* Operations on one object: Activate, Destroy, Get (with @key_format, 0 = none). */
void kmip_req_uid(struct kmip_enc *e, const struct kmip_proto *pv, uint32_t op,
		  const char *uid);
void kmip_req_get(struct kmip_enc *e, const struct kmip_proto *pv,
		  const char *uid, uint32_t key_format);
/* Revoke with a reason code and optional message. */
void kmip_req_revoke(struct kmip_enc *e, const struct kmip_proto *pv,
		     const char *uid, uint32_t code, const char *message);
/*
 * Locate: optional MaximumItems (0: none), optional Name filter, optional
 * Object Type filter (0: none). No filter at all = every object the
 * client may see.
 */
void kmip_req_locate(struct kmip_enc *e, const struct kmip_proto *pv,
		     int32_t max_items, const char *name, uint32_t object_type);
/* GetAttributes for the named attributes (NULL-terminated list). */
void kmip_req_get_attributes(struct kmip_enc *e, const struct kmip_proto *pv,
			     const char *uid, const char *const *names);
void kmip_req_query(struct kmip_enc *e, const struct kmip_proto *pv,
		    const uint32_t *functions, int n);
void kmip_req_discover_versions(struct kmip_enc *e, const struct kmip_proto *pv);

/* ---- responses ---- */

struct kmip_response {
	int major, minor;		/* protocol version of the reply */
	int64_t timestamp;
	bool have_operation;
	uint32_t operation;
	uint32_t status;		/* ResultStatus */
	bool have_reason;
	uint32_t reason;		/* ResultReason */
	char message[512];		/* ResultMessage, sanitized, may be "" */
	bool have_payload;
	struct kmip_item payload;	/* ResponsePayload (a structure) */
};

/*
 * Decodes and checks a ResponseMessage: header (protocol version, time
 * stamp, batch count 1), one batch item with a ResultStatus. -EBADMSG /
 * -EMSGSIZE (with details) for anything malformed. Does not look at the
 * result: see kmip_response_result().
 */
int kmip_response_parse(const uint8_t *msg, size_t len, struct kmip_response *r);

/*
 * 0 when @r reports success for operation @op (a reply for another
 * operation is -EBADMSG). A failure becomes kmip_reason_errno() with the
 * detail "<reason>: <message>" (e.g. "Item Not Found: Could not locate
 * object: 1"); Pending / Undone results are -EPROTO.
 */
int kmip_response_result(const struct kmip_response *r, uint32_t op);

/* ---- payloads (each: -EBADMSG with a detail when malformed) ---- */

/* Create / Activate / Revoke / Destroy: the Unique Identifier. */
int kmip_parse_uid(const struct kmip_response *r, char uid[MKEY_KMIP_UID_MAX + 1]);

/*
 * Get of a symmetric key: checks the object type, that the key is neither
 * wrapped nor compressed, and its format (Raw or Transparent Symmetric
 * Key); copies the material into a new secure buffer. @alg and @bits are
 * the key block's Cryptographic Algorithm and Length (0 when absent).
 */
int kmip_parse_get(const struct kmip_response *r, char uid[MKEY_KMIP_UID_MAX + 1],
		   struct mkey_secbuf **key, uint32_t *alg, int32_t *bits);

/* Locate: up to @max identifiers into @uids; the count, or -EBADMSG/-E2BIG. */
int kmip_parse_locate(const struct kmip_response *r,
		      char (*uids)[MKEY_KMIP_UID_MAX + 1], int max);

/* GetAttributes: the attributes mkey uses. */
int kmip_parse_attributes(const struct kmip_response *r,
			  struct mkey_kmip_object *obj);

int kmip_parse_query(const struct kmip_response *r, struct mkey_kmip_server_info *info);
int kmip_parse_versions(const struct kmip_response *r, struct mkey_kmip_server_info *info);

/* A Unique Identifier mkey accepts: 1..255 bytes of printable ASCII. */
bool kmip_uid_ok(const char *uid);

#endif
