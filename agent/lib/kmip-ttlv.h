/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal: KMIP TTLV (Tag-Type-Length-Value) codec, docs/kmip.md.
 *
 * Item: tag (3 bytes) | type (1) | length (4, of the value, unpadded) |
 * value | zero padding to a multiple of 8. Big-endian throughout.
 *
 * Encoder: appends items to a growable buffer; structures are opened and
 * closed, their length patched on close. Errors are sticky: build the
 * whole message, then check kmip_enc_result() once.
 *
 * Decoder: kmip_decode() validates a complete message before anything
 * reads it: exactly one top-level item, every length inside its parent,
 * padding present and zero, each type's length rule (Integer 4, Long 8,
 * Boolean 8 and 0/1, ...), text strings UTF-8 without NUL, nesting at most
 * KMIP_MAX_DEPTH. After that, iterators walk structures without copying;
 * they bounds-check again anyway and stop on anything inconsistent. Tags
 * the caller does not know are skipped by simply not asking for them.
 */
#ifndef MKEY_KMIP_TTLV_H
#define MKEY_KMIP_TTLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KMIP_MSG_MAX	(1u << 20)	/* largest message sent or accepted */
#define KMIP_MAX_DEPTH	16		/* structures within structures */
#define KMIP_HDR	8		/* tag + type + length */

enum kmip_type {
	KMIP_T_STRUCT	= 0x01,
	KMIP_T_INT	= 0x02,
	KMIP_T_LONG	= 0x03,
	KMIP_T_BIGINT	= 0x04,
	KMIP_T_ENUM	= 0x05,
	KMIP_T_BOOL	= 0x06,
	KMIP_T_TEXT	= 0x07,
	KMIP_T_BYTES	= 0x08,
	KMIP_T_DATETIME	= 0x09,
	KMIP_T_INTERVAL	= 0x0A,
};

/* Tags (KMIP 1.x, kmip/core/enums.py). */
enum kmip_tag {
	KMIP_TAG_ATTRIBUTE		= 0x420008,
	KMIP_TAG_ATTRIBUTE_INDEX	= 0x420009,
	KMIP_TAG_ATTRIBUTE_NAME		= 0x42000A,
	KMIP_TAG_ATTRIBUTE_VALUE	= 0x42000B,
	KMIP_TAG_BATCH_COUNT		= 0x42000D,
	KMIP_TAG_BATCH_ITEM		= 0x42000F,
	KMIP_TAG_CRYPTO_ALGORITHM	= 0x420028,
	KMIP_TAG_CRYPTO_LENGTH		= 0x42002A,
	KMIP_TAG_CRYPTO_USAGE_MASK	= 0x42002C,
	KMIP_TAG_INITIAL_DATE		= 0x420039,
	KMIP_TAG_KEY			= 0x42003F,
	KMIP_TAG_KEY_BLOCK		= 0x420040,
	KMIP_TAG_KEY_COMPRESSION_TYPE	= 0x420041,
	KMIP_TAG_KEY_FORMAT_TYPE	= 0x420042,
	KMIP_TAG_KEY_MATERIAL		= 0x420043,
	KMIP_TAG_KEY_VALUE		= 0x420045,
	KMIP_TAG_KEY_WRAPPING_DATA	= 0x420046,
	KMIP_TAG_MAXIMUM_ITEMS		= 0x42004F,
	KMIP_TAG_MAXIMUM_RESPONSE_SIZE	= 0x420050,
	KMIP_TAG_NAME			= 0x420053,
	KMIP_TAG_NAME_TYPE		= 0x420054,
	KMIP_TAG_NAME_VALUE		= 0x420055,
	KMIP_TAG_OBJECT_TYPE		= 0x420057,
	KMIP_TAG_OPERATION		= 0x42005C,
	KMIP_TAG_PROTOCOL_VERSION	= 0x420069,
	KMIP_TAG_PROTOCOL_VERSION_MAJOR	= 0x42006A,
	KMIP_TAG_PROTOCOL_VERSION_MINOR	= 0x42006B,
	KMIP_TAG_QUERY_FUNCTION		= 0x420074,
	KMIP_TAG_REQUEST_HEADER		= 0x420077,
	KMIP_TAG_REQUEST_MESSAGE	= 0x420078,
	KMIP_TAG_REQUEST_PAYLOAD	= 0x420079,
	KMIP_TAG_RESPONSE_HEADER	= 0x42007A,
	KMIP_TAG_RESPONSE_MESSAGE	= 0x42007B,
	KMIP_TAG_RESPONSE_PAYLOAD	= 0x42007C,
	KMIP_TAG_RESULT_MESSAGE		= 0x42007D,
	KMIP_TAG_RESULT_REASON		= 0x42007E,
	KMIP_TAG_RESULT_STATUS		= 0x42007F,
	KMIP_TAG_REVOCATION_MESSAGE	= 0x420080,
	KMIP_TAG_REVOCATION_REASON	= 0x420081,
	KMIP_TAG_REVOCATION_REASON_CODE	= 0x420082,
	KMIP_TAG_SERVER_INFORMATION	= 0x420088,
	KMIP_TAG_STATE			= 0x42008D,
	KMIP_TAG_SYMMETRIC_KEY		= 0x42008F,
	KMIP_TAG_TEMPLATE_ATTRIBUTE	= 0x420091,
	KMIP_TAG_TIME_STAMP		= 0x420092,
	KMIP_TAG_UNIQUE_BATCH_ITEM_ID	= 0x420093,
	KMIP_TAG_UNIQUE_IDENTIFIER	= 0x420094,
	KMIP_TAG_VENDOR_IDENTIFICATION	= 0x42009D,
};

/* ---- encoder ---- */

struct kmip_enc {
	uint8_t *buf;
	size_t len, cap;
	size_t open[KMIP_MAX_DEPTH];	/* offsets of open structures */
	int depth;
	int err;			/* sticky: -ENOMEM, -EMSGSIZE, -EINVAL */
};

void kmip_enc_init(struct kmip_enc *e);
/* Wipes and frees the buffer. */
void kmip_enc_free(struct kmip_enc *e);
void kmip_enc_begin(struct kmip_enc *e, uint32_t tag);
void kmip_enc_end(struct kmip_enc *e);
void kmip_enc_int(struct kmip_enc *e, uint32_t tag, int32_t v);
void kmip_enc_long(struct kmip_enc *e, uint32_t tag, int64_t v);
void kmip_enc_enum(struct kmip_enc *e, uint32_t tag, uint32_t v);
void kmip_enc_bool(struct kmip_enc *e, uint32_t tag, bool v);
void kmip_enc_text(struct kmip_enc *e, uint32_t tag, const char *s);
void kmip_enc_bytes(struct kmip_enc *e, uint32_t tag, const void *p, size_t n);
void kmip_enc_datetime(struct kmip_enc *e, uint32_t tag, int64_t t);
void kmip_enc_interval(struct kmip_enc *e, uint32_t tag, uint32_t v);
/*
 * 0 when the message is complete (every structure closed, at least one
 * item), else the first error: -ENOMEM, -EMSGSIZE (over KMIP_MSG_MAX or an
 * item over 4 GiB), -EINVAL (unbalanced begin/end, bad tag).
 */
int kmip_enc_result(const struct kmip_enc *e);

/* ---- decoder ---- */

struct kmip_item {
	uint32_t tag;
	uint8_t type;
	uint32_t len;		/* value length, unpadded */
	const uint8_t *val;	/* len bytes; a structure's children */
	size_t off;		/* offset in the message, for messages */
};

/*
 * Validates the complete message @msg of @len bytes (see above) and
 * returns its single top-level item in @root. -EBADMSG with a detail
 * naming the offset and the rule broken; -EMSGSIZE over KMIP_MSG_MAX.
 */
int kmip_decode(const uint8_t *msg, size_t len, struct kmip_item *root);

/*
 * The 8-byte message header as read from the wire: checks the tag is
 * @want_tag, the type a structure, the length a multiple of 8 and at most
 * KMIP_MSG_MAX - 8; gives the body length. -EBADMSG / -EMSGSIZE.
 */
int kmip_frame_check(const uint8_t hdr[KMIP_HDR], uint32_t want_tag,
		     uint32_t *body_len);

struct kmip_iter {
	const uint8_t *base;	/* message start, for offsets */
	const uint8_t *p, *end;
};

/* Iterates the children of a structure (type checked by the caller). */
void kmip_iter_init(struct kmip_iter *it, const struct kmip_item *s);
/* Next child, or false at the end (or on anything inconsistent). */
bool kmip_iter_next(struct kmip_iter *it, struct kmip_item *out);

/* Typed values; each returns -EBADMSG (with a detail) on a type mismatch. */
int kmip_get_int(const struct kmip_item *it, int32_t *v);
int kmip_get_long(const struct kmip_item *it, int64_t *v);
int kmip_get_enum(const struct kmip_item *it, uint32_t *v);
int kmip_get_bool(const struct kmip_item *it, bool *v);
int kmip_get_datetime(const struct kmip_item *it, int64_t *v);
int kmip_get_interval(const struct kmip_item *it, uint32_t *v);
/* Text: copies into @buf (NUL-terminated); -ENAMETOOLONG if it does not fit. */
int kmip_get_text(const struct kmip_item *it, char *buf, size_t size);
/* Byte string: points into the message. */
int kmip_get_bytes(const struct kmip_item *it, const uint8_t **p, size_t *n);
int kmip_want_struct(const struct kmip_item *it);

/* "Integer", "Structure", ... for messages. */
const char *kmip_type_name(uint8_t type);

#endif
