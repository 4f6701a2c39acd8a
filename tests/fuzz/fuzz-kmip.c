// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the KMIP TTLV decoder (kmip_decode, the
 * iterators, the typed getters), the wire framing check, and the response
 * parser with every payload parser mkey uses (Create/Activate/Revoke/
 * Destroy identifiers, Get key blocks, Locate lists, Get Attributes,
 * Query, Discover Versions). Seeded with real PyKMIP 0.10 replies and
 * requests (tests/kmip/vectors).
 *
 * Invariant checked on every accepted message: walking it with the
 * iterators visits every byte the decoder accepted, no more, no less, and
 * every item stays inside its parent.
 *
 *   make fuzz FUZZ_TIME=600      long run (corpus in build/fuzz/corpus/kmip)
 *   make fuzz-check              the short run of make check
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kmip-msg.h"
#include "kmip-ttlv.h"
#include "mkey/secmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks a validated structure; aborts if the iterators disagree with it. */
static void walk(const struct kmip_item *s, int depth)
{
	struct kmip_iter it;
	struct kmip_item c;
	size_t used = 0;
	char text[64];
	const uint8_t *p;
	size_t n;
	uint32_t u;
	int32_t i;
	int64_t l;
	bool b;

	if (depth > KMIP_MAX_DEPTH)
		abort();
	kmip_iter_init(&it, s);
	while (kmip_iter_next(&it, &c)) {
		if (c.val < s->val || c.val + c.len > s->val + s->len)
			abort();
		used += 8 + (((size_t)c.len + 7) & ~(size_t)7);
		switch (c.type) {
		case KMIP_T_STRUCT:
			walk(&c, depth + 1);
			break;
		case KMIP_T_INT:
			if (kmip_get_int(&c, &i))
				abort();
			break;
		case KMIP_T_LONG:
			if (kmip_get_long(&c, &l))
				abort();
			break;
		case KMIP_T_ENUM:
			if (kmip_get_enum(&c, &u))
				abort();
			break;
		case KMIP_T_BOOL:
			if (kmip_get_bool(&c, &b))
				abort();
			break;
		case KMIP_T_TEXT:
			(void)kmip_get_text(&c, text, sizeof(text));
			break;
		case KMIP_T_BYTES:
			if (kmip_get_bytes(&c, &p, &n) || n != c.len)
				abort();
			break;
		case KMIP_T_DATETIME:
			if (kmip_get_datetime(&c, &l))
				abort();
			break;
		case KMIP_T_INTERVAL:
			if (kmip_get_interval(&c, &u))
				abort();
			break;
		case KMIP_T_BIGINT:
			break;
		default:
			abort();	/* the decoder accepted an unknown type */
		}
	}
	if (used != s->len)
		abort();
}

static void payloads(const struct kmip_response *r)
{
	static char uids[8][MKEY_KMIP_UID_MAX + 1];
	char uid[MKEY_KMIP_UID_MAX + 1];
	struct mkey_kmip_server_info info;
	struct mkey_kmip_object obj;
	struct mkey_secbuf *key = NULL;
	uint32_t alg;
	int32_t bits;

	(void)kmip_response_result(r, r->have_operation ? r->operation : KMIP_OP_GET);
	(void)kmip_parse_uid(r, uid);
	if (kmip_parse_get(r, uid, &key, &alg, &bits) == 0) {
		if (!key || key->len == 0 || key->len > 64)
			abort();
		mkey_secbuf_free(key);
	} else if (key) {
		abort();	/* a failed parse must not hand out a buffer */
	}
	(void)kmip_parse_locate(r, uids, 8);
	(void)kmip_parse_attributes(r, &obj);
	(void)kmip_parse_query(r, &info);
	(void)kmip_parse_versions(r, &info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmip_response r;
	struct kmip_item root;
	uint32_t body;
	uint8_t *copy;

	if (size >= KMIP_HDR && kmip_frame_check(data, KMIP_TAG_RESPONSE_MESSAGE, &body) == 0 &&
	    (body > KMIP_MSG_MAX - KMIP_HDR || body % 8))
		abort();
	/* An exact-size copy, so that any read past the end is caught. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (kmip_decode(copy, size, &root) == 0) {
		if (root.type != KMIP_T_STRUCT || root.len + 8 != size)
			abort();
		walk(&root, 1);
	}
	if (kmip_response_parse(copy, size, &r) == 0)
		payloads(&r);
	free(copy);
	return 0;
}
