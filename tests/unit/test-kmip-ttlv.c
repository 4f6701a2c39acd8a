// SPDX-License-Identifier: GPL-2.0
/*
 * KMIP TTLV codec and messages: requests encoded byte for byte as the
 * captured PyKMIP ones, every captured response decoded, and malformed
 * input (truncations, bad lengths, padding, types, nesting, huge lengths)
 * refused with the right error.
 */
#include "kselftest_harness.h"

#include <errno.h>

#include "kmip-msg.h"
#include "kmip-ttlv.h"
#include "kmip-util.h"
#include "mkey/error.h"
#include "mkey/secmem.h"

static const struct kmip_proto pv12 = { 1, 2 };

static void expect_vector(struct __test_metadata *_metadata, struct kmip_enc *e,
			  const char *name)
{
	size_t len;
	uint8_t *want = kmip_vector(name, &len);

	ASSERT_NE(NULL, want) TH_LOG("missing vector %s", name);
	ASSERT_EQ(0, kmip_enc_result(e));
	EXPECT_EQ(len, e->len) TH_LOG("%s", name);
	if (len == e->len)
		EXPECT_EQ(0, memcmp(want, e->buf, len)) TH_LOG("%s", name);
	free(want);
	kmip_enc_free(e);
}

/* ---- requests, byte for byte ---- */

TEST(create_request_matches_capture)
{
	struct kmip_enc e;

	kmip_enc_init(&e);
	kmip_req_create(&e, &pv12, 256, "agent-test-key-1");
	expect_vector(_metadata, &e, "01-Create-request");
}

TEST(uid_requests_match_captures)
{
	struct kmip_enc e;

	kmip_enc_init(&e);
	kmip_req_uid(&e, &pv12, KMIP_OP_ACTIVATE, "1");
	expect_vector(_metadata, &e, "02-Activate-request");
	kmip_enc_init(&e);
	kmip_req_get(&e, &pv12, "1", 0);
	expect_vector(_metadata, &e, "03-Get-request");
	kmip_enc_init(&e);
	kmip_req_uid(&e, &pv12, KMIP_OP_DESTROY, "1");
	expect_vector(_metadata, &e, "07-Destroy-request");
	kmip_enc_init(&e);
	kmip_req_get(&e, &pv12, "1", 0);
	expect_vector(_metadata, &e, "08-GetAfter-request");
}

TEST(locate_requests_match_captures)
{
	struct kmip_enc e;

	kmip_enc_init(&e);
	kmip_req_locate(&e, &pv12, 0, NULL, 0);
	expect_vector(_metadata, &e, "04-Locate-request");
	kmip_enc_init(&e);
	kmip_req_locate(&e, &pv12, 0, "agent-test-key-1", KMIP_OBJECT_SYMMETRIC_KEY);
	expect_vector(_metadata, &e, "05-LocateNm-request");
}

TEST(revoke_request_matches_capture)
{
	struct kmip_enc e;

	kmip_enc_init(&e);
	kmip_req_revoke(&e, &pv12, "1", KMIP_REVOKE_CESSATION, "test done");
	expect_vector(_metadata, &e, "06-Revoke-request");
}

TEST(get_with_raw_format_appends_key_format_type)
{
	static const uint8_t tail[] = {
		0x42, 0x00, 0x42, 0x05, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	struct kmip_enc e;
	size_t len;
	uint8_t *base = kmip_vector("03-Get-request", &len);

	ASSERT_NE(NULL, base);
	kmip_enc_init(&e);
	kmip_req_get(&e, &pv12, "1", KMIP_KEY_FORMAT_RAW);
	ASSERT_EQ(0, kmip_enc_result(&e));
	ASSERT_EQ(len + 16, e.len);
	EXPECT_EQ(0, memcmp(e.buf + len, tail, 16));
	/* every enclosing length grew by 16, the rest is the same */
	EXPECT_EQ(0, memcmp(e.buf + 8, base + 8, 0x40 - 8));
	free(base);
	kmip_enc_free(&e);
}

TEST(every_captured_message_decodes)
{
	struct kmip_item root;

	for (size_t i = 0; i < KMIP_N(kmip_requests); i++) {
		size_t len;
		uint8_t *m = kmip_vector(kmip_requests[i], &len);

		ASSERT_NE(NULL, m);
		EXPECT_EQ(0, kmip_decode(m, len, &root)) TH_LOG("%s: %s", kmip_requests[i],
								mkey_error_detail());
		EXPECT_EQ(KMIP_TAG_REQUEST_MESSAGE, root.tag);
		free(m);
	}
	for (size_t i = 0; i < KMIP_N(kmip_responses); i++) {
		size_t len;
		uint8_t *m = kmip_vector(kmip_responses[i].name, &len);

		ASSERT_NE(NULL, m);
		EXPECT_EQ(0, kmip_decode(m, len, &root)) TH_LOG("%s", kmip_responses[i].name);
		EXPECT_EQ(KMIP_TAG_RESPONSE_MESSAGE, root.tag);
		free(m);
	}
}

/* ---- responses ---- */

FIXTURE(resp) {
	uint8_t *msg;
	size_t len;
	struct kmip_response r;
};

FIXTURE_SETUP(resp)
{
	self->msg = NULL;
}

FIXTURE_TEARDOWN(resp)
{
	free(self->msg);
}

static int load_resp(FIXTURE_DATA(resp) *self, const char *name)
{
	self->msg = kmip_vector(name, &self->len);
	if (!self->msg)
		return -ENOENT;
	return kmip_response_parse(self->msg, self->len, &self->r);
}

TEST_F(resp, create_gives_uid)
{
	char uid[MKEY_KMIP_UID_MAX + 1];

	ASSERT_EQ(0, load_resp(self, "01-Create-response"));
	EXPECT_EQ(1, self->r.major);
	EXPECT_EQ(2, self->r.minor);
	EXPECT_EQ(0x6b05b05f, self->r.timestamp);
	ASSERT_EQ(0, kmip_response_result(&self->r, KMIP_OP_CREATE));
	ASSERT_EQ(0, kmip_parse_uid(&self->r, uid));
	EXPECT_STREQ("1", uid);
	/* a reply for another operation is refused */
	EXPECT_EQ(-EBADMSG, kmip_response_result(&self->r, KMIP_OP_DESTROY));
}

TEST_F(resp, uid_replies)
{
	static const struct { const char *name; uint32_t op; } v[] = {
		{ "02-Activate-response", KMIP_OP_ACTIVATE },
		{ "06-Revoke-response", KMIP_OP_REVOKE },
		{ "07-Destroy-response", KMIP_OP_DESTROY },
	};
	char uid[MKEY_KMIP_UID_MAX + 1];

	for (size_t i = 0; i < KMIP_N(v); i++) {
		free(self->msg);
		ASSERT_EQ(0, load_resp(self, v[i].name));
		EXPECT_EQ(0, kmip_response_result(&self->r, v[i].op));
		ASSERT_EQ(0, kmip_parse_uid(&self->r, uid));
		EXPECT_STREQ("1", uid);
	}
}

TEST_F(resp, get_gives_key_material)
{
	static const char key_hex[] =
		"3dbbf062aecbe74a7ad12ca54393dc8eac3877720f073fa41dc5e1e66386ea7a";
	char uid[MKEY_KMIP_UID_MAX + 1];
	struct mkey_secbuf *key = NULL;
	uint8_t want[32];
	uint32_t alg;
	int32_t bits;

	for (int i = 0; i < 32; i++) {
		unsigned int b;

		sscanf(key_hex + 2 * i, "%2x", &b);
		want[i] = (uint8_t)b;
	}
	ASSERT_EQ(0, load_resp(self, "03-Get-response"));
	ASSERT_EQ(0, kmip_response_result(&self->r, KMIP_OP_GET));
	ASSERT_EQ(0, kmip_parse_get(&self->r, uid, &key, &alg, &bits));
	EXPECT_STREQ("1", uid);
	EXPECT_EQ(3, alg);
	EXPECT_EQ(256, bits);
	ASSERT_EQ(32, key->len);
	EXPECT_EQ(0, memcmp(want, key->data, 32));
	mkey_secbuf_free(key);
}

TEST_F(resp, locate_lists_uids)
{
	char uids[4][MKEY_KMIP_UID_MAX + 1];

	ASSERT_EQ(0, load_resp(self, "04-Locate-response"));
	ASSERT_EQ(0, kmip_response_result(&self->r, KMIP_OP_LOCATE));
	ASSERT_EQ(1, kmip_parse_locate(&self->r, uids, 4));
	EXPECT_STREQ("1", uids[0]);
	free(self->msg);
	ASSERT_EQ(0, load_resp(self, "05-LocateNm-response"));
	ASSERT_EQ(1, kmip_parse_locate(&self->r, uids, 4));
	/* a list longer than the caller's room is refused, not cut */
	EXPECT_EQ(-E2BIG, kmip_parse_locate(&self->r, uids, 0));
}

TEST_F(resp, get_after_destroy_is_item_not_found)
{
	ASSERT_EQ(0, load_resp(self, "08-GetAfter-response"));
	mkey_error_clear();
	EXPECT_EQ(-ENOENT, kmip_response_result(&self->r, KMIP_OP_GET));
	EXPECT_STREQ("Item Not Found: Could not locate object: 1", mkey_error_detail());
}

TEST_F(resp, unparsed_request_error_has_no_operation)
{
	ASSERT_EQ(0, load_resp(self, "err"));
	EXPECT_FALSE(self->r.have_operation);
	EXPECT_EQ(4, self->r.minor);
	EXPECT_EQ(-EPROTO, kmip_response_result(&self->r, KMIP_OP_GET));
	EXPECT_STREQ("Invalid Message: Batch item ID is undefined.", mkey_error_detail());
}

TEST_F(resp, client_cert_without_eku_is_authentication_failure)
{
	ASSERT_EQ(0, load_resp(self, "noeku-response"));
	EXPECT_EQ(0, self->r.minor);
	EXPECT_EQ(-EACCES, kmip_response_result(&self->r, KMIP_OP_CREATE));
	EXPECT_STREQ("Authentication Not Successful: Error verifying the client "
		     "certificate. See server logs for more information.",
		     mkey_error_detail());
}

TEST_F(resp, get_attributes_gives_name_state_and_size)
{
	struct mkey_kmip_object o;
	struct mkey_guid g;

	ASSERT_EQ(0, load_resp(self, "09-GetAttributes-response"));
	ASSERT_EQ(0, kmip_response_result(&self->r, KMIP_OP_GET_ATTRIBUTES));
	ASSERT_EQ(0, kmip_parse_attributes(&self->r, &o));
	EXPECT_STREQ("1", o.uid);
	EXPECT_EQ(1, o.n_names);
	EXPECT_STREQ("mkey:99678FAC-13EE-4795-980E-0662A06792FB", o.name);
	ASSERT_TRUE(o.have_guid);
	ASSERT_EQ(0, mkey_guid_parse("99678FAC-13EE-4795-980E-0662A06792FB", &g));
	EXPECT_TRUE(mkey_guid_equal(&g, &o.guid));
	EXPECT_EQ(2, o.object_type);
	EXPECT_EQ(3, o.algorithm);
	EXPECT_EQ(192, o.bits);
	EXPECT_EQ(MKEY_KMIP_STATE_ACTIVE, o.state);
	EXPECT_EQ(0x6b0770cf, o.initial_date);
}

TEST_F(resp, query_and_discover_versions)
{
	struct mkey_kmip_server_info info;
	char buf[32];

	memset(&info, 0, sizeof(info));
	ASSERT_EQ(0, load_resp(self, "10-Query-response"));
	ASSERT_EQ(0, kmip_response_result(&self->r, KMIP_OP_QUERY));
	ASSERT_EQ(0, kmip_parse_query(&self->r, &info));
	EXPECT_STREQ("PyKMIP 0.10.0 Software Server", info.vendor);
	EXPECT_EQ(18, info.n_ops);
	EXPECT_STREQ("Create", kmip_op_name(info.ops[0], buf, sizeof(buf)));
	free(self->msg);
	ASSERT_EQ(0, load_resp(self, "11-DiscoverVersions-response"));
	ASSERT_EQ(0, kmip_response_result(&self->r, KMIP_OP_DISCOVER_VERSIONS));
	ASSERT_EQ(0, kmip_parse_versions(&self->r, &info));
	ASSERT_EQ(6, info.n_versions);
	EXPECT_EQ(2, info.versions[0].major);
	EXPECT_EQ(0, info.versions[0].minor);
	EXPECT_EQ(1, info.versions[5].major);
	EXPECT_EQ(0, info.versions[5].minor);
}

/* ---- malformed input ---- */

TEST(every_truncation_of_every_capture_is_refused)
{
	const char *all[KMIP_N(kmip_requests) + KMIP_N(kmip_responses)];
	size_t n = 0;

	for (size_t i = 0; i < KMIP_N(kmip_requests); i++)
		all[n++] = kmip_requests[i];
	for (size_t i = 0; i < KMIP_N(kmip_responses); i++)
		all[n++] = kmip_responses[i].name;
	for (size_t i = 0; i < n; i++) {
		struct kmip_response r;
		struct kmip_item root;
		size_t len;
		uint8_t *m = kmip_vector(all[i], &len);

		ASSERT_NE(NULL, m);
		for (size_t cut = 0; cut < len; cut++) {
			/* a private copy of exactly @cut bytes, so ASan sees overreads */
			uint8_t *t = malloc(cut ? cut : 1);

			memcpy(t, m, cut);
			ASSERT_NE(0, kmip_decode(t, cut, &root)) TH_LOG("%s cut %zu", all[i], cut);
			ASSERT_NE(0, kmip_response_parse(t, cut, &r));
			free(t);
		}
		free(m);
	}
}

TEST(trailing_bytes_are_refused)
{
	struct kmip_item root;
	size_t len;
	uint8_t *m = kmip_vector("02-Activate-response", &len), *t;

	ASSERT_NE(NULL, m);
	t = calloc(1, len + 8);
	memcpy(t, m, len);
	EXPECT_EQ(-EBADMSG, kmip_decode(t, len + 8, &root));
	free(t);
	free(m);
}

/* One item wrapped in a RequestMessage structure: header + value bytes as given. */
static size_t wrap(uint8_t *out, uint32_t tag, uint8_t type, uint32_t len,
		   const uint8_t *val, size_t val_bytes)
{
	kmip_put_be32(out, KMIP_TAG_REQUEST_MESSAGE << 8 | KMIP_T_STRUCT);
	kmip_put_be32(out + 4, (uint32_t)(8 + val_bytes));
	kmip_put_be32(out + 8, tag << 8 | type);
	kmip_put_be32(out + 12, len);
	memcpy(out + 16, val, val_bytes);
	return 16 + val_bytes;
}

TEST(type_length_rules)
{
	static const uint8_t zero8[8], one8[8] = { 0, 0, 0, 0, 0, 0, 0, 1 },
		two8[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	static const struct {
		uint8_t type;
		uint32_t len;
		const uint8_t *val;
		int want;
	} cases[] = {
		{ KMIP_T_INT, 4, zero8, 0 },
		{ KMIP_T_INT, 8, zero8, -EBADMSG },
		{ KMIP_T_INT, 0, zero8, -EBADMSG },
		{ KMIP_T_ENUM, 4, zero8, 0 },
		{ KMIP_T_ENUM, 3, zero8, -EBADMSG },
		{ KMIP_T_INTERVAL, 4, zero8, 0 },
		{ KMIP_T_INTERVAL, 8, zero8, -EBADMSG },
		{ KMIP_T_LONG, 8, zero8, 0 },
		{ KMIP_T_LONG, 4, zero8, -EBADMSG },
		{ KMIP_T_DATETIME, 8, zero8, 0 },
		{ KMIP_T_DATETIME, 7, zero8, -EBADMSG },
		{ KMIP_T_BOOL, 8, one8, 0 },
		{ KMIP_T_BOOL, 8, two8, -EBADMSG },
		{ KMIP_T_BOOL, 4, zero8, -EBADMSG },
		{ KMIP_T_BIGINT, 8, zero8, 0 },
		{ KMIP_T_BIGINT, 4, zero8, -EBADMSG },
		{ KMIP_T_BIGINT, 0, zero8, -EBADMSG },
		{ KMIP_T_STRUCT, 4, zero8, -EBADMSG },
		{ KMIP_T_BYTES, 3, zero8, 0 },
		{ KMIP_T_TEXT, 3, (const uint8_t *)"abc\0\0\0\0\0", 0 },
		{ KMIP_T_TEXT, 3, (const uint8_t *)"a\0c\0\0\0\0\0", -EBADMSG },
		{ KMIP_T_TEXT, 2, (const uint8_t *)"\xc3\xa9\0\0\0\0\0\0", 0 },
		{ KMIP_T_TEXT, 2, (const uint8_t *)"\xc0\xaf\0\0\0\0\0\0", -EBADMSG },
		{ KMIP_T_TEXT, 3, (const uint8_t *)"\xed\xa0\x80\0\0\0\0\0", -EBADMSG },
		{ KMIP_T_TEXT, 1, (const uint8_t *)"\xe2\0\0\0\0\0\0\0", -EBADMSG },
		{ 0x00, 0, zero8, -EBADMSG },
		{ 0x0B, 0, zero8, -EBADMSG },
		{ 0xFF, 4, zero8, -EBADMSG },
	};
	struct kmip_item root;
	uint8_t buf[64];

	for (size_t i = 0; i < KMIP_N(cases); i++) {
		size_t n = wrap(buf, 0x420094, cases[i].type, cases[i].len, cases[i].val,
				cases[i].len ? 8 : 0);

		mkey_error_clear();
		EXPECT_EQ(cases[i].want, kmip_decode(buf, n, &root))
			TH_LOG("case %zu: type %02x len %u: %s", i, cases[i].type,
			       cases[i].len, mkey_error_detail());
	}
}

TEST(padding_must_be_zero)
{
	uint8_t val[8] = { 'a', 'b', 'c', 0, 0, 0, 0, 0 }, buf[64];
	struct kmip_item root;
	size_t n;

	n = wrap(buf, 0x420094, KMIP_T_TEXT, 3, val, 8);
	ASSERT_EQ(0, kmip_decode(buf, n, &root));
	for (int i = 3; i < 8; i++) {
		buf[16 + i] = 0x20;
		mkey_error_clear();
		EXPECT_EQ(-EBADMSG, kmip_decode(buf, n, &root));
		EXPECT_NE(NULL, strstr(mkey_error_detail(), "padding"));
		buf[16 + i] = 0;
	}
	/* an Integer's 4 padding bytes too */
	memset(val, 0, 8);
	n = wrap(buf, 0x42000D, KMIP_T_INT, 4, val, 8);
	buf[16 + 7] = 1;
	EXPECT_EQ(-EBADMSG, kmip_decode(buf, n, &root));
}

TEST(lengths_past_the_parent_are_refused)
{
	static const uint32_t lens[] = {
		9, 16, 0x100, 0x7FFFFFF8, 0xFFFFFFF8, 0xFFFFFFFF,
	};
	uint8_t buf[64], val[8] = { 0 };
	struct kmip_item root;

	for (size_t i = 0; i < KMIP_N(lens); i++) {
		size_t n = wrap(buf, 0x420043, KMIP_T_BYTES, lens[i], val, 8);

		mkey_error_clear();
		EXPECT_EQ(-EBADMSG, kmip_decode(buf, n, &root)) TH_LOG("len %u", lens[i]);
		EXPECT_NE(NULL, strstr(mkey_error_detail(), "past the end"));
	}
	/* the outer length itself disagreeing with the buffer */
	wrap(buf, 0x420043, KMIP_T_BYTES, 8, val, 8);
	kmip_put_be32(buf + 4, 0xFFFFFFF0);
	EXPECT_EQ(-EBADMSG, kmip_decode(buf, 24, &root));
	kmip_put_be32(buf + 4, 8);
	EXPECT_EQ(-EBADMSG, kmip_decode(buf, 24, &root));
}

TEST(tags_outside_kmip_ranges_are_refused)
{
	uint8_t buf[64], val[8] = { 0 };
	struct kmip_item root;
	size_t n;

	n = wrap(buf, 0x540001, KMIP_T_INT, 4, val, 8);	/* extension: fine */
	EXPECT_EQ(0, kmip_decode(buf, n, &root));
	n = wrap(buf, 0x430001, KMIP_T_INT, 4, val, 8);
	EXPECT_EQ(-EBADMSG, kmip_decode(buf, n, &root));
	n = wrap(buf, 0x000000, KMIP_T_INT, 4, val, 8);
	EXPECT_EQ(-EBADMSG, kmip_decode(buf, n, &root));
}

static void nest(struct kmip_enc *e, int depth)
{
	for (int i = 0; i < depth; i++)
		kmip_enc_begin(e, 0x420001);
	kmip_enc_int(e, 0x420002, 7);
	for (int i = 0; i < depth; i++)
		kmip_enc_end(e);
}

TEST(nesting_is_limited)
{
	struct kmip_item root;
	struct kmip_enc e;
	uint8_t *m;
	size_t len;

	kmip_enc_init(&e);
	nest(&e, KMIP_MAX_DEPTH);
	ASSERT_EQ(0, kmip_enc_result(&e));
	EXPECT_EQ(0, kmip_decode(e.buf, e.len, &root));
	kmip_enc_free(&e);

	/* one level deeper: the encoder refuses, and so does the decoder */
	kmip_enc_init(&e);
	nest(&e, KMIP_MAX_DEPTH + 1);
	EXPECT_EQ(-EINVAL, kmip_enc_result(&e));
	kmip_enc_free(&e);

	len = 8 * (KMIP_MAX_DEPTH + 1) + 16;
	m = calloc(1, len);
	for (int i = 0; i <= KMIP_MAX_DEPTH; i++) {
		kmip_put_be32(m + 8 * i, 0x420001 << 8 | KMIP_T_STRUCT);
		kmip_put_be32(m + 8 * i + 4, (uint32_t)(len - 8 * (i + 1)));
	}
	kmip_put_be32(m + len - 16, 0x420002 << 8 | KMIP_T_INT);
	kmip_put_be32(m + len - 12, 4);
	mkey_error_clear();
	EXPECT_EQ(-EBADMSG, kmip_decode(m, len, &root));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "nested too deeply"));
	free(m);
}

TEST(message_size_limits)
{
	struct kmip_item root;
	uint8_t hdr[8];
	uint32_t body;
	struct kmip_enc e;
	uint8_t *big;

	kmip_put_be32(hdr, KMIP_TAG_RESPONSE_MESSAGE << 8 | KMIP_T_STRUCT);
	kmip_put_be32(hdr + 4, 0x80);
	EXPECT_EQ(0, kmip_frame_check(hdr, KMIP_TAG_RESPONSE_MESSAGE, &body));
	EXPECT_EQ(0x80, body);
	kmip_put_be32(hdr + 4, KMIP_MSG_MAX);
	EXPECT_EQ(-EMSGSIZE, kmip_frame_check(hdr, KMIP_TAG_RESPONSE_MESSAGE, &body));
	kmip_put_be32(hdr + 4, 0xFFFFFFF8);
	EXPECT_EQ(-EMSGSIZE, kmip_frame_check(hdr, KMIP_TAG_RESPONSE_MESSAGE, &body));
	kmip_put_be32(hdr + 4, 0x84);
	EXPECT_EQ(-EBADMSG, kmip_frame_check(hdr, KMIP_TAG_RESPONSE_MESSAGE, &body));
	kmip_put_be32(hdr + 4, 0x80);
	EXPECT_EQ(-EBADMSG, kmip_frame_check(hdr, KMIP_TAG_REQUEST_MESSAGE, &body));
	kmip_put_be32(hdr, KMIP_TAG_RESPONSE_MESSAGE << 8 | KMIP_T_INT);
	EXPECT_EQ(-EBADMSG, kmip_frame_check(hdr, KMIP_TAG_RESPONSE_MESSAGE, &body));

	big = calloc(1, KMIP_MSG_MAX + 8);
	EXPECT_EQ(-EMSGSIZE, kmip_decode(big, KMIP_MSG_MAX + 8, &root));
	kmip_enc_init(&e);
	kmip_enc_begin(&e, KMIP_TAG_REQUEST_MESSAGE);
	kmip_enc_bytes(&e, 0x420043, big, KMIP_MSG_MAX);
	kmip_enc_end(&e);
	EXPECT_EQ(-EMSGSIZE, kmip_enc_result(&e));
	kmip_enc_free(&e);
	free(big);
}

TEST(encoder_refuses_unbalanced_and_bad_tags)
{
	struct kmip_enc e;

	kmip_enc_init(&e);
	EXPECT_EQ(-EINVAL, kmip_enc_result(&e));	/* empty */
	kmip_enc_begin(&e, 0x420078);
	EXPECT_EQ(-EINVAL, kmip_enc_result(&e));	/* still open */
	kmip_enc_end(&e);
	EXPECT_EQ(0, kmip_enc_result(&e));
	kmip_enc_end(&e);
	EXPECT_EQ(-EINVAL, kmip_enc_result(&e));	/* one end too many */
	kmip_enc_free(&e);
	kmip_enc_init(&e);
	kmip_enc_int(&e, 0x1000000, 1);
	EXPECT_EQ(-EINVAL, kmip_enc_result(&e));
	kmip_enc_free(&e);
}

TEST(typed_getters_check_types)
{
	struct kmip_enc e;
	struct kmip_item root, c;
	struct kmip_iter it;
	uint32_t u;
	int32_t i;
	int64_t l;
	bool b;
	char text[4];
	const uint8_t *p;
	size_t n;

	kmip_enc_init(&e);
	kmip_enc_begin(&e, 0x420078);
	kmip_enc_int(&e, 0x420001, -5);
	kmip_enc_long(&e, 0x420002, -6);
	kmip_enc_enum(&e, 0x420003, 7);
	kmip_enc_bool(&e, 0x420004, true);
	kmip_enc_text(&e, 0x420005, "abcd");
	kmip_enc_bytes(&e, 0x420006, "\x01\x02", 2);
	kmip_enc_datetime(&e, 0x420007, 1700000000);
	kmip_enc_interval(&e, 0x420008, 9);
	kmip_enc_end(&e);
	ASSERT_EQ(0, kmip_enc_result(&e));
	ASSERT_EQ(0, kmip_decode(e.buf, e.len, &root));
	kmip_iter_init(&it, &root);
	ASSERT_TRUE(kmip_iter_next(&it, &c));
	EXPECT_EQ(0, kmip_get_int(&c, &i));
	EXPECT_EQ(-5, i);
	EXPECT_EQ(-EBADMSG, kmip_get_enum(&c, &u));
	ASSERT_TRUE(kmip_iter_next(&it, &c));
	EXPECT_EQ(0, kmip_get_long(&c, &l));
	EXPECT_EQ(-6, l);
	ASSERT_TRUE(kmip_iter_next(&it, &c));
	EXPECT_EQ(0, kmip_get_enum(&c, &u));
	EXPECT_EQ(7, u);
	EXPECT_EQ(-EBADMSG, kmip_get_int(&c, &i));
	ASSERT_TRUE(kmip_iter_next(&it, &c));
	EXPECT_EQ(0, kmip_get_bool(&c, &b));
	EXPECT_TRUE(b);
	ASSERT_TRUE(kmip_iter_next(&it, &c));
	EXPECT_EQ(-ENAMETOOLONG, kmip_get_text(&c, text, sizeof(text)));
	ASSERT_TRUE(kmip_iter_next(&it, &c));
	EXPECT_EQ(0, kmip_get_bytes(&c, &p, &n));
	EXPECT_EQ(2, n);
	EXPECT_EQ(2, p[1]);
	ASSERT_TRUE(kmip_iter_next(&it, &c));
	EXPECT_EQ(0, kmip_get_datetime(&c, &l));
	EXPECT_EQ(1700000000, l);
	ASSERT_TRUE(kmip_iter_next(&it, &c));
	EXPECT_EQ(0, kmip_get_interval(&c, &u));
	EXPECT_EQ(9, u);
	EXPECT_FALSE(kmip_iter_next(&it, &c));
	EXPECT_EQ(-EBADMSG, kmip_want_struct(&c));
	kmip_enc_free(&e);
}

/* ---- response semantics, on messages built with the encoder ---- */

struct resp_opts {
	int batch_count;
	int items;
	bool no_header, no_status, dup_status, unknown_tags, wrapped_key, transparent;
	uint32_t op;
};

static void build_get_response(struct kmip_enc *e, const struct resp_opts *o)
{
	static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	kmip_enc_begin(e, KMIP_TAG_RESPONSE_MESSAGE);
	if (!o->no_header) {
		kmip_enc_begin(e, KMIP_TAG_RESPONSE_HEADER);
		kmip_enc_begin(e, KMIP_TAG_PROTOCOL_VERSION);
		kmip_enc_int(e, KMIP_TAG_PROTOCOL_VERSION_MAJOR, 1);
		kmip_enc_int(e, KMIP_TAG_PROTOCOL_VERSION_MINOR, 2);
		kmip_enc_end(e);
		if (o->unknown_tags)
			kmip_enc_text(e, 0x540123, "vendor thing");
		kmip_enc_datetime(e, KMIP_TAG_TIME_STAMP, 1);
		kmip_enc_int(e, KMIP_TAG_BATCH_COUNT, o->batch_count);
		kmip_enc_end(e);
	}
	for (int i = 0; i < o->items; i++) {
		kmip_enc_begin(e, KMIP_TAG_BATCH_ITEM);
		kmip_enc_enum(e, KMIP_TAG_OPERATION, o->op);
		if (!o->no_status)
			kmip_enc_enum(e, KMIP_TAG_RESULT_STATUS, 0);
		if (o->dup_status)
			kmip_enc_enum(e, KMIP_TAG_RESULT_STATUS, 0);
		kmip_enc_begin(e, KMIP_TAG_RESPONSE_PAYLOAD);
		kmip_enc_enum(e, KMIP_TAG_OBJECT_TYPE, 2);
		kmip_enc_text(e, KMIP_TAG_UNIQUE_IDENTIFIER, "42");
		if (o->unknown_tags) {
			kmip_enc_begin(e, 0x540200);
			kmip_enc_int(e, 0x540201, 1);
			kmip_enc_end(e);
		}
		kmip_enc_begin(e, KMIP_TAG_SYMMETRIC_KEY);
		kmip_enc_begin(e, KMIP_TAG_KEY_BLOCK);
		kmip_enc_enum(e, KMIP_TAG_KEY_FORMAT_TYPE, o->transparent ? 7 : 1);
		kmip_enc_begin(e, KMIP_TAG_KEY_VALUE);
		if (o->transparent) {
			kmip_enc_begin(e, KMIP_TAG_KEY_MATERIAL);
			kmip_enc_bytes(e, KMIP_TAG_KEY, key, 16);
			kmip_enc_end(e);
		} else {
			kmip_enc_bytes(e, KMIP_TAG_KEY_MATERIAL, key, 16);
		}
		kmip_enc_end(e);
		kmip_enc_enum(e, KMIP_TAG_CRYPTO_ALGORITHM, 3);
		kmip_enc_int(e, KMIP_TAG_CRYPTO_LENGTH, 128);
		if (o->wrapped_key) {
			kmip_enc_begin(e, KMIP_TAG_KEY_WRAPPING_DATA);
			kmip_enc_enum(e, 0x42009E, 1);
			kmip_enc_end(e);
		}
		kmip_enc_end(e);
		kmip_enc_end(e);
		kmip_enc_end(e);
		kmip_enc_end(e);
	}
	kmip_enc_end(e);
}

static int try_get(const struct resp_opts *o, struct mkey_secbuf **key)
{
	char uid[MKEY_KMIP_UID_MAX + 1];
	struct kmip_response r;
	struct kmip_enc e;
	uint32_t alg;
	int32_t bits;
	int ret;

	*key = NULL;
	kmip_enc_init(&e);
	build_get_response(&e, o);
	ret = kmip_enc_result(&e);
	if (!ret)
		ret = kmip_response_parse(e.buf, e.len, &r);
	if (!ret)
		ret = kmip_response_result(&r, KMIP_OP_GET);
	if (!ret)
		ret = kmip_parse_get(&r, uid, key, &alg, &bits);
	kmip_enc_free(&e);
	return ret;
}

TEST(response_structure_rules)
{
	struct resp_opts good = { .batch_count = 1, .items = 1, .op = KMIP_OP_GET }, o;
	struct mkey_secbuf *key;

	ASSERT_EQ(0, try_get(&good, &key));
	EXPECT_EQ(16, key->len);
	mkey_secbuf_free(key);

	o = good;
	o.unknown_tags = true;	/* vendor extensions are skipped */
	EXPECT_EQ(0, try_get(&o, &key));
	mkey_secbuf_free(key);
	o = good;
	o.transparent = true;
	EXPECT_EQ(0, try_get(&o, &key));
	EXPECT_EQ(16, key ? key->len : 0);
	mkey_secbuf_free(key);

	o = good;
	o.batch_count = 2;
	EXPECT_EQ(-EBADMSG, try_get(&o, &key));
	o.items = 2;
	EXPECT_EQ(-EBADMSG, try_get(&o, &key));
	o = good;
	o.items = 0;
	EXPECT_EQ(-EBADMSG, try_get(&o, &key));
	o = good;
	o.no_header = true;
	EXPECT_EQ(-EBADMSG, try_get(&o, &key));
	o = good;
	o.no_status = true;
	EXPECT_EQ(-EBADMSG, try_get(&o, &key));
	o = good;
	o.dup_status = true;
	EXPECT_EQ(-EBADMSG, try_get(&o, &key));
	o = good;
	o.op = KMIP_OP_LOCATE;
	EXPECT_EQ(-EBADMSG, try_get(&o, &key));
	o = good;
	o.wrapped_key = true;
	EXPECT_EQ(-EOPNOTSUPP, try_get(&o, &key));
	EXPECT_EQ(NULL, key);
}

TEST(reason_names_and_errnos)
{
	char buf[32];

	EXPECT_STREQ("Permission Denied", kmip_reason_name(12, buf, sizeof(buf)));
	EXPECT_EQ(-EACCES, kmip_reason_errno(12));
	EXPECT_EQ(-EPERM, kmip_reason_errno(11));
	EXPECT_EQ(-EIO, kmip_reason_errno(0x100));
	EXPECT_STREQ("result reason 0x77", kmip_reason_name(0x77, buf, sizeof(buf)));
	EXPECT_STREQ("Discover Versions", kmip_op_name(0x1E, buf, sizeof(buf)));
	EXPECT_STREQ("operation 0x99", kmip_op_name(0x99, buf, sizeof(buf)));
	EXPECT_TRUE(kmip_uid_ok("abc-123"));
	EXPECT_FALSE(kmip_uid_ok(""));
	EXPECT_FALSE(kmip_uid_ok("a\nb"));
}

TEST_HARNESS_MAIN
