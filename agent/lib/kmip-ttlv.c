// SPDX-License-Identifier: GPL-2.0
/*
 * KMIP TTLV codec: a strict, bounds-checked decoder and a small encoder.
 * See kmip-ttlv.h for the rules. Nothing here knows about operations.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "error-detail.h"
#include "kmip-ttlv.h"

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Padded size of a value of @len bytes (no overflow: 64-bit). */
static inline uint64_t padded(uint32_t len)
{
	return ((uint64_t)len + 7) & ~(uint64_t)7;
}

const char *kmip_type_name(uint8_t type)
{
	switch (type) {
	case KMIP_T_STRUCT: return "Structure";
	case KMIP_T_INT: return "Integer";
	case KMIP_T_LONG: return "Long Integer";
	case KMIP_T_BIGINT: return "Big Integer";
	case KMIP_T_ENUM: return "Enumeration";
	case KMIP_T_BOOL: return "Boolean";
	case KMIP_T_TEXT: return "Text String";
	case KMIP_T_BYTES: return "Byte String";
	case KMIP_T_DATETIME: return "Date-Time";
	case KMIP_T_INTERVAL: return "Interval";
	default: return "unknown type";
	}
}

/* ---------------------------------------------------------------- encoder */

void kmip_enc_init(struct kmip_enc *e)
{
	memset(e, 0, sizeof(*e));
}

void kmip_enc_free(struct kmip_enc *e)
{
	if (e->buf) {
		OPENSSL_cleanse(e->buf, e->cap);
		free(e->buf);
	}
	memset(e, 0, sizeof(*e));
}

static uint8_t *enc_reserve(struct kmip_enc *e, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (e->err)
		return NULL;
	if (n > KMIP_MSG_MAX || e->len + n > KMIP_MSG_MAX) {
		e->err = -EMSGSIZE;
		return NULL;
	}
	if (e->len + n > e->cap) {
		cap = e->cap ? e->cap : 256;
		while (cap < e->len + n)
			cap *= 2;
		/* Never realloc(): the old copy would be freed unwiped. */
		nb = malloc(cap);
		if (!nb) {
			e->err = -ENOMEM;
			return NULL;
		}
		if (e->buf) {
			memcpy(nb, e->buf, e->len);
			OPENSSL_cleanse(e->buf, e->cap);
			free(e->buf);
		}
		e->buf = nb;
		e->cap = cap;
	}
	return e->buf + e->len;
}

static bool tag_ok(uint32_t tag)
{
	return tag <= 0xFFFFFF && (tag >> 16 == 0x42 || tag >> 16 == 0x54);
}

/* Header + value + zero padding. */
static void enc_item(struct kmip_enc *e, uint32_t tag, uint8_t type,
		     const void *val, size_t len)
{
	uint64_t total;
	uint8_t *p;

	if (e->err)
		return;
	if (!tag_ok(tag)) {
		e->err = -EINVAL;
		return;
	}
	if (len > UINT32_MAX) {
		e->err = -EMSGSIZE;
		return;
	}
	total = KMIP_HDR + padded((uint32_t)len);
	p = enc_reserve(e, (size_t)total);
	if (!p)
		return;
	put_be32(p, tag << 8 | type);
	put_be32(p + 4, (uint32_t)len);
	if (len)
		memcpy(p + KMIP_HDR, val, len);
	memset(p + KMIP_HDR + len, 0, (size_t)total - KMIP_HDR - len);
	e->len += (size_t)total;
}

void kmip_enc_begin(struct kmip_enc *e, uint32_t tag)
{
	uint8_t *p;

	if (e->err)
		return;
	if (!tag_ok(tag) || e->depth >= KMIP_MAX_DEPTH) {
		e->err = -EINVAL;
		return;
	}
	p = enc_reserve(e, KMIP_HDR);
	if (!p)
		return;
	put_be32(p, tag << 8 | KMIP_T_STRUCT);
	put_be32(p + 4, 0);
	e->open[e->depth++] = e->len;
	e->len += KMIP_HDR;
}

void kmip_enc_end(struct kmip_enc *e)
{
	size_t start;

	if (e->err)
		return;
	if (e->depth == 0) {
		e->err = -EINVAL;
		return;
	}
	start = e->open[--e->depth];
	/* Children are whole padded items, so this is a multiple of 8. */
	put_be32(e->buf + start + 4, (uint32_t)(e->len - start - KMIP_HDR));
}

void kmip_enc_int(struct kmip_enc *e, uint32_t tag, int32_t v)
{
	uint8_t b[4];

	put_be32(b, (uint32_t)v);
	enc_item(e, tag, KMIP_T_INT, b, 4);
}

void kmip_enc_long(struct kmip_enc *e, uint32_t tag, int64_t v)
{
	uint8_t b[8];

	put_be32(b, (uint32_t)((uint64_t)v >> 32));
	put_be32(b + 4, (uint32_t)v);
	enc_item(e, tag, KMIP_T_LONG, b, 8);
}

void kmip_enc_enum(struct kmip_enc *e, uint32_t tag, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	enc_item(e, tag, KMIP_T_ENUM, b, 4);
}

void kmip_enc_bool(struct kmip_enc *e, uint32_t tag, bool v)
{
	uint8_t b[8] = { 0 };

	b[7] = v ? 1 : 0;
	enc_item(e, tag, KMIP_T_BOOL, b, 8);
}

void kmip_enc_text(struct kmip_enc *e, uint32_t tag, const char *s)
{
	enc_item(e, tag, KMIP_T_TEXT, s, strlen(s));
}

void kmip_enc_bytes(struct kmip_enc *e, uint32_t tag, const void *p, size_t n)
{
	enc_item(e, tag, KMIP_T_BYTES, p, n);
}

void kmip_enc_datetime(struct kmip_enc *e, uint32_t tag, int64_t t)
{
	uint8_t b[8];

	put_be32(b, (uint32_t)((uint64_t)t >> 32));
	put_be32(b + 4, (uint32_t)t);
	enc_item(e, tag, KMIP_T_DATETIME, b, 8);
}

void kmip_enc_interval(struct kmip_enc *e, uint32_t tag, uint32_t v)
{
	uint8_t b[4];

	put_be32(b, v);
	enc_item(e, tag, KMIP_T_INTERVAL, b, 4);
}

int kmip_enc_result(const struct kmip_enc *e)
{
	if (e->err)
		return e->err;
	if (e->depth != 0 || e->len == 0)
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- decoder */

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, <= U+10FFFF; no NUL. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			k = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return false;
		i += k + 1;
	}
	return true;
}

struct dec {
	const uint8_t *base;
};

static int bad(const struct dec *d, const uint8_t *at, uint32_t tag, const char *why)
{
	return mkey_error_set(-EBADMSG, "malformed KMIP message: item at offset %zu "
			      "(tag %06X): %s", (size_t)(at - d->base), tag, why);
}

/* Value rules per type, given a value of @len bytes at @v. */
static int check_value(const struct dec *d, const uint8_t *at, uint32_t tag,
		       uint8_t type, const uint8_t *v, uint32_t len)
{
	switch (type) {
	case KMIP_T_INT:
	case KMIP_T_ENUM:
	case KMIP_T_INTERVAL:
		if (len != 4)
			return bad(d, at, tag, "an Integer, Enumeration or Interval "
				   "must have length 4");
		return 0;
	case KMIP_T_LONG:
	case KMIP_T_DATETIME:
		if (len != 8)
			return bad(d, at, tag, "a Long Integer or Date-Time must "
				   "have length 8");
		return 0;
	case KMIP_T_BOOL:
		if (len != 8)
			return bad(d, at, tag, "a Boolean must have length 8");
		if (get_be64(v) > 1)
			return bad(d, at, tag, "a Boolean must be 0 or 1");
		return 0;
	case KMIP_T_BIGINT:
		if (len == 0 || len % 8)
			return bad(d, at, tag, "a Big Integer's length must be a "
				   "non-zero multiple of 8");
		return 0;
	case KMIP_T_TEXT:
		if (!utf8_ok(v, len))
			return bad(d, at, tag, "text string is not valid UTF-8 "
				   "(or contains NUL)");
		return 0;
	case KMIP_T_BYTES:
		return 0;
	case KMIP_T_STRUCT:
		if (len % 8)
			return bad(d, at, tag, "a Structure's length must be a "
				   "multiple of 8");
		return 0;
	default:
		return bad(d, at, tag, "unknown item type");
	}
}

/*
 * Validates the items that exactly fill [p, end) at nesting @depth. The
 * recursion is bounded by KMIP_MAX_DEPTH.
 */
static int check_items(const struct dec *d, const uint8_t *p, const uint8_t *end,
		       int depth)
{
	while (p < end) {
		size_t room = (size_t)(end - p);
		uint32_t w0, tag, len;
		uint8_t type;
		uint64_t pad;
		int ret;

		if (room < KMIP_HDR)
			return bad(d, p, 0, "truncated item header");
		w0 = get_be32(p);
		tag = w0 >> 8;
		type = (uint8_t)w0;
		len = get_be32(p + 4);
		if (tag >> 16 != 0x42 && tag >> 16 != 0x54)
			return bad(d, p, tag, "tag outside the KMIP (42xxxx) and "
				   "extension (54xxxx) ranges");
		pad = padded(len);
		if (pad > room - KMIP_HDR)
			return bad(d, p, tag, "length runs past the end of the "
				   "enclosing structure or message");
		ret = check_value(d, p, tag, type, p + KMIP_HDR, len);
		if (ret)
			return ret;
		for (uint64_t i = len; i < pad; i++)
			if (p[KMIP_HDR + i])
				return bad(d, p, tag, "non-zero padding");
		if (type == KMIP_T_STRUCT) {
			if (depth + 1 > KMIP_MAX_DEPTH)
				return bad(d, p, tag, "structures nested too deeply");
			ret = check_items(d, p + KMIP_HDR, p + KMIP_HDR + len, depth + 1);
			if (ret)
				return ret;
		}
		p += KMIP_HDR + pad;
	}
	return 0;
}

int kmip_decode(const uint8_t *msg, size_t len, struct kmip_item *root)
{
	struct dec d = { msg };
	uint32_t w0, vlen;
	int ret;

	memset(root, 0, sizeof(*root));
	if (len > KMIP_MSG_MAX)
		return mkey_error_set(-EMSGSIZE, "KMIP message of %zu bytes is larger "
				      "than %u", len, KMIP_MSG_MAX);
	if (len < KMIP_HDR)
		return mkey_error_set(-EBADMSG, "malformed KMIP message: %zu bytes, "
				      "shorter than an item header", len);
	w0 = get_be32(msg);
	vlen = get_be32(msg + 4);
	if ((uint8_t)w0 != KMIP_T_STRUCT)
		return bad(&d, msg, w0 >> 8, "a message must be a Structure");
	if ((uint64_t)KMIP_HDR + vlen != len)
		return bad(&d, msg, w0 >> 8, "message length does not match its "
			   "size (truncated or trailing bytes)");
	ret = check_items(&d, msg, msg + len, 0);
	if (ret)
		return ret;
	root->tag = w0 >> 8;
	root->type = KMIP_T_STRUCT;
	root->len = vlen;
	root->val = msg + KMIP_HDR;
	root->off = 0;
	return 0;
}

int kmip_frame_check(const uint8_t hdr[KMIP_HDR], uint32_t want_tag,
		     uint32_t *body_len)
{
	uint32_t w0 = get_be32(hdr), len = get_be32(hdr + 4);

	if (w0 >> 8 != want_tag || (uint8_t)w0 != KMIP_T_STRUCT)
		return mkey_error_set(-EBADMSG, "not a KMIP response: message "
				      "starts with %02X%02X%02X%02X%02X%02X%02X%02X",
				      hdr[0], hdr[1], hdr[2], hdr[3], hdr[4],
				      hdr[5], hdr[6], hdr[7]);
	if (len > KMIP_MSG_MAX - KMIP_HDR)
		return mkey_error_set(-EMSGSIZE, "KMIP response of %u bytes is "
				      "larger than %u", len, KMIP_MSG_MAX - KMIP_HDR);
	if (len % 8)
		return mkey_error_set(-EBADMSG, "malformed KMIP message: length %u "
				      "is not a multiple of 8", len);
	*body_len = len;
	return 0;
}

void kmip_iter_init(struct kmip_iter *it, const struct kmip_item *s)
{
	it->base = s->val - s->off - KMIP_HDR;
	it->p = s->val;
	it->end = s->type == KMIP_T_STRUCT ? s->val + s->len : s->val;
}

bool kmip_iter_next(struct kmip_iter *it, struct kmip_item *out)
{
	size_t room;
	uint32_t w0, len;

	if (it->p >= it->end)
		return false;
	room = (size_t)(it->end - it->p);
	if (room < KMIP_HDR)
		goto stop;
	w0 = get_be32(it->p);
	len = get_be32(it->p + 4);
	if (padded(len) > room - KMIP_HDR)
		goto stop;
	out->tag = w0 >> 8;
	out->type = (uint8_t)w0;
	out->len = len;
	out->val = it->p + KMIP_HDR;
	out->off = (size_t)(it->p - it->base);
	it->p += KMIP_HDR + padded(len);
	return true;
stop:
	it->p = it->end;
	return false;
}

static int want(const struct kmip_item *it, uint8_t type, uint32_t len)
{
	if (it->type != type)
		return mkey_error_set(-EBADMSG, "malformed KMIP message: item at "
				      "offset %zu (tag %06X) is a %s, expected a %s",
				      it->off, it->tag, kmip_type_name(it->type),
				      kmip_type_name(type));
	if (len && it->len != len)
		return mkey_error_set(-EBADMSG, "malformed KMIP message: item at "
				      "offset %zu (tag %06X) has length %u",
				      it->off, it->tag, it->len);
	return 0;
}

int kmip_want_struct(const struct kmip_item *it)
{
	return want(it, KMIP_T_STRUCT, 0);
}

int kmip_get_int(const struct kmip_item *it, int32_t *v)
{
	int ret = want(it, KMIP_T_INT, 4);

	if (!ret)
		*v = (int32_t)get_be32(it->val);
	return ret;
}

int kmip_get_long(const struct kmip_item *it, int64_t *v)
{
	int ret = want(it, KMIP_T_LONG, 8);

	if (!ret)
		*v = (int64_t)get_be64(it->val);
	return ret;
}

int kmip_get_enum(const struct kmip_item *it, uint32_t *v)
{
	int ret = want(it, KMIP_T_ENUM, 4);

	if (!ret)
		*v = get_be32(it->val);
	return ret;
}

int kmip_get_bool(const struct kmip_item *it, bool *v)
{
	int ret = want(it, KMIP_T_BOOL, 8);

	if (!ret)
		*v = get_be64(it->val) != 0;
	return ret;
}

int kmip_get_datetime(const struct kmip_item *it, int64_t *v)
{
	int ret = want(it, KMIP_T_DATETIME, 8);

	if (!ret)
		*v = (int64_t)get_be64(it->val);
	return ret;
}

int kmip_get_interval(const struct kmip_item *it, uint32_t *v)
{
	int ret = want(it, KMIP_T_INTERVAL, 4);

	if (!ret)
		*v = get_be32(it->val);
	return ret;
}

int kmip_get_text(const struct kmip_item *it, char *buf, size_t size)
{
	int ret = want(it, KMIP_T_TEXT, 0);

	if (ret)
		return ret;
	if (it->len >= size)
		return mkey_error_set(-ENAMETOOLONG, "KMIP text item (tag %06X) of %u "
				      "bytes is longer than %zu", it->tag, it->len,
				      size ? size - 1 : 0);
	memcpy(buf, it->val, it->len);
	buf[it->len] = '\0';
	return 0;
}

int kmip_get_bytes(const struct kmip_item *it, const uint8_t **p, size_t *n)
{
	int ret = want(it, KMIP_T_BYTES, 0);

	if (!ret) {
		*p = it->val;
		*n = it->len;
	}
	return ret;
}
