// SPDX-License-Identifier: GPL-2.0
/*
 * KMIP 1.x messages: request building and response parsing for the
 * operations mkey uses. One batch item per message, no asynchronous
 * operations, no TimeStamp in requests (PyKMIP refuses stale ones and the
 * clocks need not agree).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error-detail.h"
#include "kmip-msg.h"
#include "mkey/secmem.h"

static const struct {
	uint32_t op;
	const char *name;
} op_names[] = {
	{ 0x01, "Create" }, { 0x02, "Create Key Pair" }, { 0x03, "Register" },
	{ 0x04, "Re-key" }, { 0x05, "Derive Key" }, { 0x08, "Locate" },
	{ 0x09, "Check" }, { 0x0A, "Get" }, { 0x0B, "Get Attributes" },
	{ 0x0C, "Get Attribute List" }, { 0x0D, "Add Attribute" },
	{ 0x0E, "Modify Attribute" }, { 0x0F, "Delete Attribute" },
	{ 0x10, "Obtain Lease" }, { 0x11, "Get Usage Allocation" },
	{ 0x12, "Activate" }, { 0x13, "Revoke" }, { 0x14, "Destroy" },
	{ 0x15, "Archive" }, { 0x16, "Recover" }, { 0x17, "Validate" },
	{ 0x18, "Query" }, { 0x19, "Cancel" }, { 0x1A, "Poll" },
	{ 0x1B, "Notify" }, { 0x1C, "Put" }, { 0x1D, "Re-key Key Pair" },
	{ 0x1E, "Discover Versions" }, { 0x1F, "Encrypt" }, { 0x20, "Decrypt" },
	{ 0x21, "Sign" }, { 0x22, "Signature Verify" }, { 0x23, "MAC" },
	{ 0x24, "MAC Verify" }, { 0x25, "RNG Retrieve" }, { 0x26, "RNG Seed" },
	{ 0x27, "Hash" }, { 0x28, "Create Split Key" }, { 0x29, "Join Split Key" },
};

const char *kmip_op_name(uint32_t op, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (op_names[i].op == op)
			return op_names[i].name;
	snprintf(buf, len, "operation 0x%X", op);
	return buf;
}

const char *mkey_kmip_op_name(uint32_t op, char *buf, size_t len)
{
	return kmip_op_name(op, buf, len);
}

static const struct {
	uint32_t reason;
	const char *name;
	int err;
} reasons[] = {
	{ 0x01, "Item Not Found", -ENOENT },
	{ 0x02, "Response Too Large", -EMSGSIZE },
	{ 0x03, "Authentication Not Successful", -EACCES },
	{ 0x04, "Invalid Message", -EPROTO },
	{ 0x05, "Operation Not Supported", -EOPNOTSUPP },
	{ 0x06, "Missing Data", -EPROTO },
	{ 0x07, "Invalid Field", -EINVAL },
	{ 0x08, "Feature Not Supported", -EOPNOTSUPP },
	{ 0x09, "Operation Canceled By Requester", -ECANCELED },
	{ 0x0A, "Cryptographic Failure", -EIO },
	{ 0x0B, "Illegal Operation", -EPERM },
	{ 0x0C, "Permission Denied", -EACCES },
	{ 0x0D, "Object Archived", -ENOENT },
	{ 0x0E, "Index Out Of Bounds", -ERANGE },
	{ 0x0F, "Application Namespace Not Supported", -EOPNOTSUPP },
	{ 0x10, "Key Format Type Not Supported", -EOPNOTSUPP },
	{ 0x11, "Key Compression Type Not Supported", -EOPNOTSUPP },
	{ 0x12, "Encoding Option Error", -EINVAL },
	{ 0x13, "Key Value Not Present", -ENODATA },
	{ 0x14, "Attestation Required", -EACCES },
	{ 0x15, "Attestation Failed", -EACCES },
	{ 0x16, "Sensitive", -EACCES },
	{ 0x17, "Not Extractable", -EACCES },
	{ 0x18, "Object Already Exists", -EEXIST },
	{ 0x100, "General Failure", -EIO },
};

const char *kmip_reason_name(uint32_t reason, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].reason == reason)
			return reasons[i].name;
	snprintf(buf, len, "result reason 0x%X", reason);
	return buf;
}

int kmip_reason_errno(uint32_t reason)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].reason == reason)
			return reasons[i].err;
	return -EIO;
}

bool kmip_uid_ok(const char *uid)
{
	size_t n = strlen(uid);

	if (n == 0 || n > MKEY_KMIP_UID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (uid[i] < 0x20 || uid[i] > 0x7e)
			return false;
	return true;
}

/* ---------------------------------------------------------------- requests */

/* RequestMessage { RequestHeader, BatchItem { Operation, RequestPayload { */
static void req_begin(struct kmip_enc *e, const struct kmip_proto *pv, uint32_t op)
{
	kmip_enc_begin(e, KMIP_TAG_REQUEST_MESSAGE);
	kmip_enc_begin(e, KMIP_TAG_REQUEST_HEADER);
	kmip_enc_begin(e, KMIP_TAG_PROTOCOL_VERSION);
	kmip_enc_int(e, KMIP_TAG_PROTOCOL_VERSION_MAJOR, pv->major);
	kmip_enc_int(e, KMIP_TAG_PROTOCOL_VERSION_MINOR, pv->minor);
	kmip_enc_end(e);
	kmip_enc_int(e, KMIP_TAG_BATCH_COUNT, 1);
	kmip_enc_end(e);
	kmip_enc_begin(e, KMIP_TAG_BATCH_ITEM);
	kmip_enc_enum(e, KMIP_TAG_OPERATION, op);
	kmip_enc_begin(e, KMIP_TAG_REQUEST_PAYLOAD);
}

static void req_end(struct kmip_enc *e)
{
	kmip_enc_end(e);	/* payload */
	kmip_enc_end(e);	/* batch item */
	kmip_enc_end(e);	/* message */
}

static void attr_begin(struct kmip_enc *e, const char *name)
{
	kmip_enc_begin(e, KMIP_TAG_ATTRIBUTE);
	kmip_enc_text(e, KMIP_TAG_ATTRIBUTE_NAME, name);
}

static void attr_name(struct kmip_enc *e, const char *name)
{
	attr_begin(e, "Name");
	kmip_enc_begin(e, KMIP_TAG_ATTRIBUTE_VALUE);
	kmip_enc_text(e, KMIP_TAG_NAME_VALUE, name);
	kmip_enc_enum(e, KMIP_TAG_NAME_TYPE, KMIP_NAME_TEXT);
	kmip_enc_end(e);
	kmip_enc_end(e);
}

void kmip_req_create(struct kmip_enc *e, const struct kmip_proto *pv,
		     uint32_t bits, const char *name)
{
	req_begin(e, pv, KMIP_OP_CREATE);
	kmip_enc_enum(e, KMIP_TAG_OBJECT_TYPE, KMIP_OBJECT_SYMMETRIC_KEY);
	kmip_enc_begin(e, KMIP_TAG_TEMPLATE_ATTRIBUTE);
	attr_begin(e, "Cryptographic Algorithm");
	kmip_enc_enum(e, KMIP_TAG_ATTRIBUTE_VALUE, KMIP_ALG_AES);
	kmip_enc_end(e);
	attr_begin(e, "Cryptographic Length");
	kmip_enc_int(e, KMIP_TAG_ATTRIBUTE_VALUE, (int32_t)bits);
	kmip_enc_end(e);
	attr_begin(e, "Cryptographic Usage Mask");
	kmip_enc_int(e, KMIP_TAG_ATTRIBUTE_VALUE, KMIP_USAGE_ENCRYPT | KMIP_USAGE_DECRYPT);
	kmip_enc_end(e);
	if (name)
		attr_name(e, name);
	kmip_enc_end(e);
	req_end(e);
}

void kmip_req_uid(struct kmip_enc *e, const struct kmip_proto *pv, uint32_t op,
		  const char *uid)
{
	req_begin(e, pv, op);
	kmip_enc_text(e, KMIP_TAG_UNIQUE_IDENTIFIER, uid);
	req_end(e);
}

void kmip_req_get(struct kmip_enc *e, const struct kmip_proto *pv,
		  const char *uid, uint32_t key_format)
{
	req_begin(e, pv, KMIP_OP_GET);
	kmip_enc_text(e, KMIP_TAG_UNIQUE_IDENTIFIER, uid);
	if (key_format)
		kmip_enc_enum(e, KMIP_TAG_KEY_FORMAT_TYPE, key_format);
	req_end(e);
}

void kmip_req_revoke(struct kmip_enc *e, const struct kmip_proto *pv,
		     const char *uid, uint32_t code, const char *message)
{
	req_begin(e, pv, KMIP_OP_REVOKE);
	kmip_enc_text(e, KMIP_TAG_UNIQUE_IDENTIFIER, uid);
	kmip_enc_begin(e, KMIP_TAG_REVOCATION_REASON);
	kmip_enc_enum(e, KMIP_TAG_REVOCATION_REASON_CODE, code);
	if (message)
		kmip_enc_text(e, KMIP_TAG_REVOCATION_MESSAGE, message);
	kmip_enc_end(e);
	req_end(e);
}

void kmip_req_locate(struct kmip_enc *e, const struct kmip_proto *pv,
		     int32_t max_items, const char *name, uint32_t object_type)
{
	req_begin(e, pv, KMIP_OP_LOCATE);
	if (max_items > 0)
		kmip_enc_int(e, KMIP_TAG_MAXIMUM_ITEMS, max_items);
	if (name)
		attr_name(e, name);
	if (object_type) {
		attr_begin(e, "Object Type");
		kmip_enc_enum(e, KMIP_TAG_ATTRIBUTE_VALUE, object_type);
		kmip_enc_end(e);
	}
	req_end(e);
}

void kmip_req_get_attributes(struct kmip_enc *e, const struct kmip_proto *pv,
			     const char *uid, const char *const *names)
{
	req_begin(e, pv, KMIP_OP_GET_ATTRIBUTES);
	kmip_enc_text(e, KMIP_TAG_UNIQUE_IDENTIFIER, uid);
	for (; names && *names; names++)
		kmip_enc_text(e, KMIP_TAG_ATTRIBUTE_NAME, *names);
	req_end(e);
}

void kmip_req_query(struct kmip_enc *e, const struct kmip_proto *pv,
		    const uint32_t *functions, int n)
{
	req_begin(e, pv, KMIP_OP_QUERY);
	for (int i = 0; i < n; i++)
		kmip_enc_enum(e, KMIP_TAG_QUERY_FUNCTION, functions[i]);
	req_end(e);
}

void kmip_req_discover_versions(struct kmip_enc *e, const struct kmip_proto *pv)
{
	req_begin(e, pv, KMIP_OP_DISCOVER_VERSIONS);
	req_end(e);
}

/* ---------------------------------------------------------------- responses */

static int malformed(const char *what)
{
	return mkey_error_set(-EBADMSG, "malformed KMIP response: %s", what);
}

/* A text value copied for messages: control characters become '?'. */
static void sanitized_text(const struct kmip_item *it, char *buf, size_t size)
{
	size_t n = it->len < size - 1 ? it->len : size - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = it->val[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[n] = '\0';
	/* Never end inside a UTF-8 sequence when cut short. */
	if (n < it->len)
		while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
			buf[--n] = '\0';
	if (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0xC0)
		buf[--n] = '\0';
}

static int parse_version(const struct kmip_item *pv, int *major, int *minor)
{
	struct kmip_iter it;
	struct kmip_item c;
	bool have_major = false, have_minor = false;
	int32_t v;
	int ret;

	if ((ret = kmip_want_struct(pv)))
		return ret;
	kmip_iter_init(&it, pv);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag == KMIP_TAG_PROTOCOL_VERSION_MAJOR) {
			if (have_major || (ret = kmip_get_int(&c, &v)) || v < 0)
				return ret ? ret : malformed("bad protocol version");
			*major = v;
			have_major = true;
		} else if (c.tag == KMIP_TAG_PROTOCOL_VERSION_MINOR) {
			if (have_minor || (ret = kmip_get_int(&c, &v)) || v < 0)
				return ret ? ret : malformed("bad protocol version");
			*minor = v;
			have_minor = true;
		}
	}
	if (!have_major || !have_minor)
		return malformed("protocol version without major or minor");
	return 0;
}

static int parse_header(const struct kmip_item *h, struct kmip_response *r)
{
	struct kmip_iter it;
	struct kmip_item c;
	bool have_pv = false, have_ts = false, have_count = false;
	int32_t count = 0;
	int ret;

	if ((ret = kmip_want_struct(h)))
		return ret;
	kmip_iter_init(&it, h);
	while (kmip_iter_next(&it, &c)) {
		switch (c.tag) {
		case KMIP_TAG_PROTOCOL_VERSION:
			if (have_pv)
				return malformed("two protocol versions");
			if ((ret = parse_version(&c, &r->major, &r->minor)))
				return ret;
			have_pv = true;
			break;
		case KMIP_TAG_TIME_STAMP:
			if (have_ts)
				return malformed("two time stamps");
			if ((ret = kmip_get_datetime(&c, &r->timestamp)))
				return ret;
			have_ts = true;
			break;
		case KMIP_TAG_BATCH_COUNT:
			if (have_count)
				return malformed("two batch counts");
			if ((ret = kmip_get_int(&c, &count)))
				return ret;
			have_count = true;
			break;
		default:
			break;	/* nonce, attestation types, ...: not used */
		}
	}
	if (!have_pv)
		return malformed("no protocol version");
	if (!have_count)
		return malformed("no batch count");
	if (count != 1)
		return mkey_error_set(-EBADMSG, "malformed KMIP response: batch count "
				      "%d for a request of one item", count);
	return 0;
}

static int parse_batch_item(const struct kmip_item *b, struct kmip_response *r)
{
	struct kmip_iter it;
	struct kmip_item c;
	bool have_status = false, have_message = false;
	int ret;

	if ((ret = kmip_want_struct(b)))
		return ret;
	kmip_iter_init(&it, b);
	while (kmip_iter_next(&it, &c)) {
		switch (c.tag) {
		case KMIP_TAG_OPERATION:
			if (r->have_operation)
				return malformed("two operations");
			if ((ret = kmip_get_enum(&c, &r->operation)))
				return ret;
			r->have_operation = true;
			break;
		case KMIP_TAG_RESULT_STATUS:
			if (have_status)
				return malformed("two result statuses");
			if ((ret = kmip_get_enum(&c, &r->status)))
				return ret;
			have_status = true;
			break;
		case KMIP_TAG_RESULT_REASON:
			if (r->have_reason)
				return malformed("two result reasons");
			if ((ret = kmip_get_enum(&c, &r->reason)))
				return ret;
			r->have_reason = true;
			break;
		case KMIP_TAG_RESULT_MESSAGE:
			if (have_message)
				return malformed("two result messages");
			if (c.type != KMIP_T_TEXT)
				return malformed("result message is not text");
			sanitized_text(&c, r->message, sizeof(r->message));
			have_message = true;
			break;
		case KMIP_TAG_RESPONSE_PAYLOAD:
			if (r->have_payload)
				return malformed("two payloads");
			if ((ret = kmip_want_struct(&c)))
				return ret;
			r->payload = c;
			r->have_payload = true;
			break;
		default:
			break;	/* Unique Batch Item ID, async correlation, ... */
		}
	}
	if (!have_status)
		return malformed("no result status");
	return 0;
}

int kmip_response_parse(const uint8_t *msg, size_t len, struct kmip_response *r)
{
	struct kmip_item root, c;
	struct kmip_iter it;
	bool have_header = false, have_item = false;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = kmip_decode(msg, len, &root);
	if (ret)
		return ret;
	if (root.tag != KMIP_TAG_RESPONSE_MESSAGE)
		return mkey_error_set(-EBADMSG, "not a KMIP response: top-level tag "
				      "%06X", root.tag);
	kmip_iter_init(&it, &root);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag == KMIP_TAG_RESPONSE_HEADER) {
			if (have_header || have_item)
				return malformed("header repeated or after a batch item");
			if ((ret = parse_header(&c, r)))
				return ret;
			have_header = true;
		} else if (c.tag == KMIP_TAG_BATCH_ITEM) {
			if (!have_header)
				return malformed("batch item before the header");
			if (have_item)
				return malformed("more batch items than the batch count");
			if ((ret = parse_batch_item(&c, r)))
				return ret;
			have_item = true;
		}
	}
	if (!have_header)
		return malformed("no response header");
	if (!have_item)
		return malformed("no batch item");
	return 0;
}

int kmip_response_result(const struct kmip_response *r, uint32_t op)
{
	char b1[32], b2[32];

	if (r->status == KMIP_RESULT_SUCCESS) {
		if (!r->have_operation)
			return malformed("success without an operation");
		if (r->operation != op)
			return mkey_error_set(-EBADMSG, "KMIP response is for %s, the "
					      "request was %s",
					      kmip_op_name(r->operation, b1, sizeof(b1)),
					      kmip_op_name(op, b2, sizeof(b2)));
		return 0;
	}
	/* A server that could not parse the request may omit the operation. */
	if (r->have_operation && r->operation != op)
		return mkey_error_set(-EBADMSG, "KMIP response is for %s, the "
				      "request was %s",
				      kmip_op_name(r->operation, b1, sizeof(b1)),
				      kmip_op_name(op, b2, sizeof(b2)));
	if (r->status == KMIP_RESULT_FAILED) {
		const char *reason = r->have_reason ?
			kmip_reason_name(r->reason, b1, sizeof(b1)) : "no reason given";

		return mkey_error_set(r->have_reason ? kmip_reason_errno(r->reason) : -EIO,
				      "%s%s%s", reason, r->message[0] ? ": " : "",
				      r->message);
	}
	if (r->status == 2 || r->status == 3)
		return mkey_error_set(-EPROTO, "server answered %s %s (asynchronous "
				      "operations are not supported)",
				      kmip_op_name(op, b1, sizeof(b1)),
				      r->status == 2 ? "Operation Pending" : "Operation Undone");
	return mkey_error_set(-EBADMSG, "malformed KMIP response: result status %u",
			      r->status);
}

/* ---------------------------------------------------------------- payloads */

static int need_payload(const struct kmip_response *r)
{
	if (!r->have_payload)
		return malformed("no response payload");
	return 0;
}

/* A Unique Identifier item into @uid, checked. */
static int get_uid(const struct kmip_item *c, char uid[MKEY_KMIP_UID_MAX + 1])
{
	int ret = kmip_get_text(c, uid, MKEY_KMIP_UID_MAX + 1);

	if (ret == -ENAMETOOLONG || (!ret && !kmip_uid_ok(uid)))
		return malformed("unique identifier empty, longer than 255 bytes or not printable ASCII");
	return ret;
}

int kmip_parse_uid(const struct kmip_response *r, char uid[MKEY_KMIP_UID_MAX + 1])
{
	struct kmip_iter it;
	struct kmip_item c;
	bool have_uid = false;
	uint32_t type;
	int ret;

	if ((ret = need_payload(r)))
		return ret;
	kmip_iter_init(&it, &r->payload);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag == KMIP_TAG_UNIQUE_IDENTIFIER) {
			if (have_uid)
				return malformed("two unique identifiers");
			if ((ret = get_uid(&c, uid)))
				return ret;
			have_uid = true;
		} else if (c.tag == KMIP_TAG_OBJECT_TYPE) {
			if ((ret = kmip_get_enum(&c, &type)))
				return ret;
			if (type != KMIP_OBJECT_SYMMETRIC_KEY)
				return mkey_error_set(-EBADMSG, "KMIP response: object "
						      "type %u, not a symmetric key", type);
		}
	}
	if (!have_uid)
		return malformed("no unique identifier");
	return 0;
}

/* KeyValue: Key Material (Raw: a byte string; Transparent: a structure with Key). */
static int parse_key_value(const struct kmip_item *kv, uint32_t format,
			   const uint8_t **mat, size_t *mat_len)
{
	struct kmip_iter it, it2;
	struct kmip_item c, k;
	bool found = false;
	int ret;

	if ((ret = kmip_want_struct(kv)))
		return ret;
	kmip_iter_init(&it, kv);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag != KMIP_TAG_KEY_MATERIAL)
			continue;	/* attributes inside the key value: not used */
		if (found)
			return malformed("two key materials");
		found = true;
		if (format == KMIP_KEY_FORMAT_RAW) {
			if ((ret = kmip_get_bytes(&c, mat, mat_len)))
				return ret;
			continue;
		}
		/* Transparent Symmetric Key: KeyMaterial { Key } */
		if ((ret = kmip_want_struct(&c)))
			return ret;
		*mat = NULL;
		kmip_iter_init(&it2, &c);
		while (kmip_iter_next(&it2, &k)) {
			if (k.tag != KMIP_TAG_KEY)
				continue;
			if (*mat)
				return malformed("two keys");
			if ((ret = kmip_get_bytes(&k, mat, mat_len)))
				return ret;
		}
		if (!*mat)
			return malformed("transparent key without a key");
	}
	if (!found)
		return malformed("key value without key material");
	return 0;
}

static int parse_key_block(const struct kmip_item *kb, const uint8_t **mat,
			   size_t *mat_len, uint32_t *alg, int32_t *bits)
{
	struct kmip_iter it;
	struct kmip_item c, value = { 0 };
	bool have_format = false, have_value = false;
	uint32_t format = 0, compression;
	int ret;

	if ((ret = kmip_want_struct(kb)))
		return ret;
	kmip_iter_init(&it, kb);
	while (kmip_iter_next(&it, &c)) {
		switch (c.tag) {
		case KMIP_TAG_KEY_FORMAT_TYPE:
			if (have_format)
				return malformed("two key format types");
			if ((ret = kmip_get_enum(&c, &format)))
				return ret;
			have_format = true;
			break;
		case KMIP_TAG_KEY_COMPRESSION_TYPE:
			if ((ret = kmip_get_enum(&c, &compression)))
				return ret;
			return mkey_error_set(-EOPNOTSUPP, "the server sent a compressed "
					      "key (compression type %u)", compression);
		case KMIP_TAG_KEY_WRAPPING_DATA:
			return mkey_error_set(-EOPNOTSUPP, "the server sent a wrapped key; "
					      "mkey asks for and accepts plain keys only");
		case KMIP_TAG_KEY_VALUE:
			if (have_value)
				return malformed("two key values");
			value = c;
			have_value = true;
			break;
		case KMIP_TAG_CRYPTO_ALGORITHM:
			if ((ret = kmip_get_enum(&c, alg)))
				return ret;
			break;
		case KMIP_TAG_CRYPTO_LENGTH:
			if ((ret = kmip_get_int(&c, bits)))
				return ret;
			break;
		default:
			break;
		}
	}
	if (!have_format || !have_value)
		return malformed("key block without format type or key value");
	if (format != KMIP_KEY_FORMAT_RAW && format != KMIP_KEY_FORMAT_TRANSPARENT_SYM)
		return mkey_error_set(-EOPNOTSUPP, "the server sent a key in format %u "
				      "(mkey accepts Raw and Transparent Symmetric Key)",
				      format);
	return parse_key_value(&value, format, mat, mat_len);
}

int kmip_parse_get(const struct kmip_response *r, char uid[MKEY_KMIP_UID_MAX + 1],
		   struct mkey_secbuf **key, uint32_t *alg, int32_t *bits)
{
	struct kmip_iter it, it2;
	struct kmip_item c, kb;
	bool have_uid = false, have_type = false, have_key = false;
	const uint8_t *mat = NULL;
	size_t mat_len = 0;
	uint32_t type = 0;
	int ret;

	*key = NULL;
	*alg = 0;
	*bits = 0;
	if ((ret = need_payload(r)))
		return ret;
	kmip_iter_init(&it, &r->payload);
	while (kmip_iter_next(&it, &c)) {
		switch (c.tag) {
		case KMIP_TAG_OBJECT_TYPE:
			if (have_type)
				return malformed("two object types");
			if ((ret = kmip_get_enum(&c, &type)))
				return ret;
			have_type = true;
			break;
		case KMIP_TAG_UNIQUE_IDENTIFIER:
			if (have_uid)
				return malformed("two unique identifiers");
			if ((ret = get_uid(&c, uid)))
				return ret;
			have_uid = true;
			break;
		case KMIP_TAG_SYMMETRIC_KEY:
			if (have_key)
				return malformed("two keys");
			if ((ret = kmip_want_struct(&c)))
				return ret;
			kmip_iter_init(&it2, &c);
			while (kmip_iter_next(&it2, &kb)) {
				if (kb.tag != KMIP_TAG_KEY_BLOCK)
					continue;
				if (have_key)
					return malformed("two key blocks");
				ret = parse_key_block(&kb, &mat, &mat_len, alg, bits);
				if (ret)
					return ret;
				have_key = true;
			}
			if (!have_key)
				return malformed("symmetric key without a key block");
			break;
		default:
			break;
		}
	}
	if (!have_uid || !have_type)
		return malformed("no object type or unique identifier");
	if (type != KMIP_OBJECT_SYMMETRIC_KEY)
		return mkey_error_set(-EMEDIUMTYPE, "KMIP object is of type %u, not a "
				      "symmetric key", type);
	if (!have_key)
		return malformed("no symmetric key");
	if (mat_len == 0 || mat_len > 64)
		return mkey_error_set(-EMSGSIZE, "the server sent %zu bytes of key "
				      "material", mat_len);
	ret = mkey_secbuf_new(mat_len, key);
	if (ret)
		return ret;
	memcpy((*key)->data, mat, mat_len);
	(*key)->len = mat_len;
	return 0;
}

int kmip_parse_locate(const struct kmip_response *r,
		      char (*uids)[MKEY_KMIP_UID_MAX + 1], int max)
{
	struct kmip_iter it;
	struct kmip_item c;
	int n = 0, ret;

	if ((ret = need_payload(r)))
		return ret;
	kmip_iter_init(&it, &r->payload);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag != KMIP_TAG_UNIQUE_IDENTIFIER)
			continue;	/* Located Items (1.3+) */
		if (n >= max)
			return mkey_error_set(-E2BIG, "the server listed more than %d "
					      "objects", max);
		if ((ret = get_uid(&c, uids[n])))
			return ret;
		n++;
	}
	return n;
}

/* Name attribute value: { NameValue, NameType }. */
static int parse_name(const struct kmip_item *v, char *out, size_t size)
{
	struct kmip_iter it;
	struct kmip_item c;
	bool have = false;
	int ret;

	if ((ret = kmip_want_struct(v)))
		return ret;
	kmip_iter_init(&it, v);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag != KMIP_TAG_NAME_VALUE)
			continue;
		if (have || c.type != KMIP_T_TEXT)
			return malformed("bad name");
		sanitized_text(&c, out, size);
		have = true;
	}
	if (!have)
		return malformed("name without a value");
	return 0;
}

static int parse_attribute(const struct kmip_item *a, struct mkey_kmip_object *obj)
{
	struct kmip_iter it;
	struct kmip_item c, value = { 0 };
	char name[64] = "", text[256];
	bool have_name = false, have_value = false;
	int ret;

	if ((ret = kmip_want_struct(a)))
		return ret;
	kmip_iter_init(&it, a);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag == KMIP_TAG_ATTRIBUTE_NAME) {
			if (have_name)
				return malformed("attribute with two names");
			ret = kmip_get_text(&c, name, sizeof(name));
			if (ret == -ENAMETOOLONG) {
				name[0] = '\0';	/* not one we know */
				ret = 0;
			}
			if (ret)
				return ret;
			have_name = true;
		} else if (c.tag == KMIP_TAG_ATTRIBUTE_VALUE) {
			if (have_value)
				return malformed("attribute with two values");
			value = c;
			have_value = true;
		}
	}
	if (!have_name || !have_value)
		return malformed("attribute without name or value");
	if (!strcmp(name, "Name")) {
		struct mkey_guid g;

		if ((ret = parse_name(&value, text, sizeof(text))))
			return ret;
		obj->n_names++;
		if (!strncmp(text, MKEY_KMIP_KEY_PREFIX, strlen(MKEY_KMIP_KEY_PREFIX)) &&
		    mkey_guid_parse(text + strlen(MKEY_KMIP_KEY_PREFIX), &g) == 0) {
			if (obj->have_guid && !mkey_guid_equal(&g, &obj->guid))
				return mkey_error_set(-EBADMSG, "KMIP object %s has two "
						      "mkey names", obj->uid);
			obj->have_guid = true;
			obj->guid = g;
			snprintf(obj->name, sizeof(obj->name), "%s", text);
		} else if (!obj->name[0]) {
			snprintf(obj->name, sizeof(obj->name), "%s", text);
		}
		return 0;
	}
	if (!strcmp(name, "Object Type"))
		return kmip_get_enum(&value, &obj->object_type);
	if (!strcmp(name, "Cryptographic Algorithm"))
		return kmip_get_enum(&value, &obj->algorithm);
	if (!strcmp(name, "Cryptographic Length"))
		return kmip_get_int(&value, &obj->bits);
	if (!strcmp(name, "State"))
		return kmip_get_enum(&value, &obj->state);
	if (!strcmp(name, "Initial Date"))
		return kmip_get_datetime(&value, &obj->initial_date);
	return 0;	/* an attribute mkey does not use */
}

int kmip_parse_attributes(const struct kmip_response *r, struct mkey_kmip_object *obj)
{
	struct kmip_iter it;
	struct kmip_item c;
	char uid[MKEY_KMIP_UID_MAX + 1];
	bool have_uid = false;
	int ret;

	memset(obj, 0, sizeof(*obj));
	if ((ret = need_payload(r)))
		return ret;
	kmip_iter_init(&it, &r->payload);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag == KMIP_TAG_UNIQUE_IDENTIFIER) {
			if (have_uid)
				return malformed("two unique identifiers");
			if ((ret = get_uid(&c, uid)))
				return ret;
			snprintf(obj->uid, sizeof(obj->uid), "%s", uid);
			have_uid = true;
		} else if (c.tag == KMIP_TAG_ATTRIBUTE) {
			if ((ret = parse_attribute(&c, obj)))
				return ret;
		}
	}
	if (!have_uid)
		return malformed("no unique identifier");
	return 0;
}

int kmip_parse_query(const struct kmip_response *r, struct mkey_kmip_server_info *info)
{
	struct kmip_iter it;
	struct kmip_item c;
	uint32_t v;
	int ret;

	info->n_ops = 0;
	info->n_objects = 0;
	info->vendor[0] = '\0';
	if (!r->have_payload)
		return 0;	/* a server may answer an empty Query with nothing */
	kmip_iter_init(&it, &r->payload);
	while (kmip_iter_next(&it, &c)) {
		switch (c.tag) {
		case KMIP_TAG_OPERATION:
			if ((ret = kmip_get_enum(&c, &v)))
				return ret;
			if (info->n_ops < (int)(sizeof(info->ops) / sizeof(info->ops[0])))
				info->ops[info->n_ops++] = v;
			break;
		case KMIP_TAG_OBJECT_TYPE:
			if ((ret = kmip_get_enum(&c, &v)))
				return ret;
			if (info->n_objects < (int)(sizeof(info->objects) / sizeof(info->objects[0])))
				info->objects[info->n_objects++] = v;
			break;
		case KMIP_TAG_VENDOR_IDENTIFICATION:
			if (c.type != KMIP_T_TEXT)
				return malformed("vendor identification is not text");
			sanitized_text(&c, info->vendor, sizeof(info->vendor));
			break;
		default:
			break;	/* server information, namespaces, extensions */
		}
	}
	return 0;
}

int kmip_parse_versions(const struct kmip_response *r, struct mkey_kmip_server_info *info)
{
	struct kmip_iter it;
	struct kmip_item c;
	int ret, major, minor;

	info->n_versions = 0;
	if (!r->have_payload)
		return 0;
	kmip_iter_init(&it, &r->payload);
	while (kmip_iter_next(&it, &c)) {
		if (c.tag != KMIP_TAG_PROTOCOL_VERSION)
			continue;
		if ((ret = parse_version(&c, &major, &minor)))
			return ret;
		if (info->n_versions < (int)(sizeof(info->versions) / sizeof(info->versions[0]))) {
			info->versions[info->n_versions].major = major;
			info->versions[info->n_versions].minor = minor;
			info->n_versions++;
		}
	}
	return 0;
}
