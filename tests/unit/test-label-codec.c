// SPDX-License-Identifier: GPL-2.0
/* Label encode/decode against docs/volume-label.md, rule by rule. */
#include "kselftest_harness.h"

#include <errno.h>

#include "mkey/label.h"
#include "unit-util.h"

#define DEV64 (64 * MIB)

FIXTURE(header) {
	struct mkey_label label;
	uint8_t h[MKEY_LABEL_HEADER_SIZE];
	struct mkey_label out;
};

FIXTURE_SETUP(header)
{
	sample_label(&self->label);
	mkey_label_encode(&self->label, self->h);
}

FIXTURE_TEARDOWN(header)
{
}

static enum mkey_label_fault decode(uint8_t *h, struct mkey_label *out)
{
	return mkey_label_decode(h, MKEY_LABEL_HEADER_SIZE, DEV64, out);
}

TEST_F(header, round_trip_keeps_every_field)
{
	struct mkey_label *o = &self->out, *l = &self->label;

	ASSERT_EQ(MKEY_LABEL_OK, decode(self->h, o));
	EXPECT_EQ(1, o->version);
	EXPECT_EQ(512, o->header_size);
	EXPECT_EQ(0, o->flags);
	EXPECT_TRUE(mkey_guid_equal(&l->volume_uuid, &o->volume_uuid));
	EXPECT_TRUE(mkey_guid_equal(&l->key_guid, &o->key_guid));
	EXPECT_STREQ("aes-xts-plain64", o->cipher);
	EXPECT_EQ(256, o->key_bits);
	EXPECT_EQ(4096, o->sector_size);
	EXPECT_EQ(l->data_offset, o->data_offset);
	EXPECT_EQ(l->data_sectors, o->data_sectors);
	EXPECT_EQ(0, memcmp(l->kcv, o->kcv, MKEY_KCV_SIZE));
}

/* The byte layout itself, so an encoder bug cannot hide behind a decoder bug. */
TEST_F(header, encoded_bytes_match_the_document)
{
	const uint8_t *h = self->h;
	uint8_t sum[32];

	EXPECT_EQ(0, memcmp(h, "MKEYLBL\0", 8));
	EXPECT_EQ(1, h[8]);
	EXPECT_EQ(0, h[9]);
	EXPECT_EQ(0x00, h[10]);
	EXPECT_EQ(0x02, h[11]);		/* 512 little-endian */
	EXPECT_EQ(0x01, h[16]);		/* volume UUID in text order */
	EXPECT_EQ(0xEF, h[31]);
	EXPECT_EQ(0xFE, h[32]);		/* key GUID in text order */
	EXPECT_EQ(0x10, h[47]);
	EXPECT_EQ(0, memcmp(h + 48, "aes-xts-plain64", 15));
	for (int i = 63; i < 80; i++)
		EXPECT_EQ(0, h[i]);
	EXPECT_EQ(0x00, h[80]);
	EXPECT_EQ(0x01, h[81]);		/* 256 */
	EXPECT_EQ(0x00, h[84]);
	EXPECT_EQ(0x10, h[85]);		/* 4096 */
	EXPECT_EQ(0x00, h[88]);
	EXPECT_EQ(0x08, h[89]);		/* 2048 */
	EXPECT_EQ(0xA0, h[104]);
	EXPECT_EQ(0xBF, h[135]);
	for (int i = 136; i < 480; i++)
		EXPECT_EQ(0, h[i]);
	mkey_label_checksum(h, sum);
	EXPECT_EQ(0, memcmp(sum, h + 480, 32));
}

/*
 * Every bit of every byte of the header matters: flipping any one makes
 * the copy invalid, through the magic, version or size rule for those
 * fields and through the checksum for all others.
 */
TEST_F(header, every_single_bit_flip_is_detected)
{
	for (int byte = 0; byte < MKEY_LABEL_HEADER_SIZE; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			enum mkey_label_fault want, got;

			self->h[byte] ^= (uint8_t)(1 << bit);
			got = decode(self->h, &self->out);
			self->h[byte] ^= (uint8_t)(1 << bit);
			if (byte < 8)
				want = MKEY_LABEL_NO_MAGIC;
			else if (byte < 10)
				want = MKEY_LABEL_BAD_VERSION;
			else if (byte < 12)
				want = MKEY_LABEL_BAD_HEADER_SIZE;
			else
				want = MKEY_LABEL_BAD_CHECKSUM;
			ASSERT_EQ(want, got) TH_LOG("byte %d bit %d", byte, bit);
		}
	}
	ASSERT_EQ(MKEY_LABEL_OK, decode(self->h, &self->out));
}

TEST_F(header, short_buffer_is_not_a_label)
{
	EXPECT_EQ(MKEY_LABEL_NO_MAGIC,
		  mkey_label_decode(self->h, 511, DEV64, &self->out));
}

TEST_F(header, zeroed_header_is_not_a_label)
{
	memset(self->h, 0, sizeof(self->h));
	EXPECT_EQ(MKEY_LABEL_NO_MAGIC, decode(self->h, &self->out));
	EXPECT_EQ(-ENODATA, mkey_label_fault_errno(MKEY_LABEL_NO_MAGIC));
}

/* Each rule below is tested with a correct checksum, so only the rule can refuse. */
TEST_F(header, version_2_is_unsupported)
{
	self->h[LBL_OFF_VERSION] = 2;
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_BAD_VERSION, decode(self->h, &self->out));
	EXPECT_EQ(2, self->out.version);	/* shown to the user */
	EXPECT_EQ(-EPROTONOSUPPORT, mkey_label_fault_errno(MKEY_LABEL_BAD_VERSION));
}

TEST_F(header, version_0_is_unsupported)
{
	self->h[LBL_OFF_VERSION] = 0;
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_BAD_VERSION, decode(self->h, &self->out));
}

TEST_F(header, header_size_other_than_512_is_refused)
{
	self->h[LBL_OFF_HEADER_SIZE + 1] = 4;	/* 1024 */
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_BAD_HEADER_SIZE, decode(self->h, &self->out));
}

TEST_F(header, any_flag_bit_is_refused)
{
	for (int bit = 0; bit < 32; bit++) {
		put32(self->h + LBL_OFF_FLAGS, 1u << bit);
		reseal(self->h);
		ASSERT_EQ(MKEY_LABEL_BAD_FLAGS, decode(self->h, &self->out))
			TH_LOG("flag bit %d", bit);
	}
}

TEST_F(header, other_ciphers_are_refused)
{
	const char *ciphers[] = { "aes-cbc-essiv:sha256", "aes-xts-plain", "aes-xts-plain6",
				  "AES-XTS-PLAIN64", "aes-xts-plain64 ", "" };

	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		memset(self->h + LBL_OFF_CIPHER, 0, MKEY_LABEL_CIPHER_SIZE);
		memcpy(self->h + LBL_OFF_CIPHER, ciphers[i], strlen(ciphers[i]));
		reseal(self->h);
		ASSERT_EQ(MKEY_LABEL_BAD_CIPHER, decode(self->h, &self->out))
			TH_LOG("cipher '%s'", ciphers[i]);
	}
}

TEST_F(header, cipher_padding_must_be_nul)
{
	self->h[LBL_OFF_CIPHER + 20] = 'x';	/* after the NUL */
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_BAD_CIPHER, decode(self->h, &self->out));
}

TEST_F(header, key_bits_must_be_128_192_or_256)
{
	const uint32_t bad[] = { 0, 64, 127, 255, 257, 384, 512, 0xffffffffu };
	const uint32_t good[] = { 128, 192, 256 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put32(self->h + LBL_OFF_KEY_BITS, bad[i]);
		reseal(self->h);
		ASSERT_EQ(MKEY_LABEL_BAD_KEY_BITS, decode(self->h, &self->out))
			TH_LOG("key_bits %u", bad[i]);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		put32(self->h + LBL_OFF_KEY_BITS, good[i]);
		reseal(self->h);
		ASSERT_EQ(MKEY_LABEL_OK, decode(self->h, &self->out));
		EXPECT_EQ(good[i], self->out.key_bits);
	}
}

TEST_F(header, sector_size_must_be_512_or_4096)
{
	const uint32_t bad[] = { 0, 256, 1024, 2048, 8192, 4097, 0xffffffffu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put32(self->h + LBL_OFF_SECTOR_SIZE, bad[i]);
		reseal(self->h);
		ASSERT_EQ(MKEY_LABEL_BAD_SECTOR_SIZE, decode(self->h, &self->out))
			TH_LOG("sector_size %u", bad[i]);
	}
	put32(self->h + LBL_OFF_SECTOR_SIZE, 512);
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_OK, decode(self->h, &self->out));
}

TEST_F(header, every_reserved_byte_must_be_zero)
{
	for (int off = LBL_OFF_RESERVED; off < LBL_OFF_RESERVED + LBL_RESERVED_SIZE; off++) {
		self->h[off] = 0x01;
		reseal(self->h);
		ASSERT_EQ(MKEY_LABEL_BAD_RESERVED, decode(self->h, &self->out))
			TH_LOG("reserved byte %d", off);
		self->h[off] = 0;
	}
}

TEST_F(header, data_offset_rules)
{
	/* 4096-byte sectors: at least 8 and a multiple of 8. */
	const uint64_t bad[] = { 0, 1, 7, 9, 12, 2047 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put64(self->h + LBL_OFF_DATA_OFFSET, bad[i]);
		reseal(self->h);
		ASSERT_EQ(MKEY_LABEL_BAD_DATA_OFFSET, decode(self->h, &self->out))
			TH_LOG("data_offset %llu", (unsigned long long)bad[i]);
	}
	put64(self->h + LBL_OFF_DATA_OFFSET, 8);
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_OK, decode(self->h, &self->out));
	/* 512-byte sectors: any offset from 8 on. */
	put32(self->h + LBL_OFF_SECTOR_SIZE, 512);
	put64(self->h + LBL_OFF_DATA_OFFSET, 9);
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_OK, decode(self->h, &self->out));
	put64(self->h + LBL_OFF_DATA_OFFSET, 7);
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_BAD_DATA_OFFSET, decode(self->h, &self->out));
}

TEST_F(header, data_sectors_rules)
{
	const uint64_t bad[] = { 0, 1, 7, 4097 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put64(self->h + LBL_OFF_DATA_SECTORS, bad[i]);
		reseal(self->h);
		ASSERT_EQ(MKEY_LABEL_BAD_DATA_SECTORS, decode(self->h, &self->out))
			TH_LOG("data_sectors %llu", (unsigned long long)bad[i]);
	}
	put64(self->h + LBL_OFF_DATA_SECTORS, 8);
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_OK, decode(self->h, &self->out));
}

TEST_F(header, data_area_must_end_before_the_backup_slot)
{
	uint64_t backup = (DEV64 - 4096) / 512;

	/* Exactly up to the backup slot is fine ... */
	put64(self->h + LBL_OFF_DATA_SECTORS, backup - 2048);
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_OK, decode(self->h, &self->out));
	/* ... one encryption sector more is not. */
	put64(self->h + LBL_OFF_DATA_SECTORS, backup - 2048 + 8);
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_DATA_PAST_END, decode(self->h, &self->out));
	/* Without a device size the rule is not applied (copy validity only). */
	EXPECT_EQ(MKEY_LABEL_OK, mkey_label_decode(self->h, 512, 0, &self->out));
	/* Overflowing sums cannot sneak past the rule. */
	put64(self->h + LBL_OFF_DATA_SECTORS, UINT64_MAX - 7);
	reseal(self->h);
	EXPECT_EQ(MKEY_LABEL_DATA_PAST_END, decode(self->h, &self->out));
}

TEST_F(header, encode_always_writes_v1_whatever_the_struct_says)
{
	self->label.version = 7;
	self->label.header_size = 99;
	mkey_label_encode(&self->label, self->h);
	EXPECT_EQ(MKEY_LABEL_OK, decode(self->h, &self->out));
	EXPECT_EQ(1, self->out.version);
}

/*
 * Garbage that passes the magic, version, size and checksum checks reaches
 * every field rule; none of it may crash or be accepted unless it obeys
 * them all. (Run under ASan/UBSan too.)
 */
TEST(random_sealed_headers_are_judged_not_crashed_on)
{
	uint8_t h[MKEY_LABEL_HEADER_SIZE];
	struct mkey_label out;
	unsigned int seed = 12345;
	int accepted = 0;

	for (int round = 0; round < 20000; round++) {
		for (size_t i = 0; i < sizeof(h); i++)
			h[i] = (uint8_t)rand_r(&seed);
		memcpy(h, "MKEYLBL", 8);
		h[8] = 1, h[9] = 0, h[10] = 0, h[11] = 2;
		if (round % 2) {	/* mostly-valid fields, random values */
			memset(h + LBL_OFF_FLAGS, 0, 4);
			memset(h + LBL_OFF_CIPHER, 0, MKEY_LABEL_CIPHER_SIZE);
			memcpy(h + LBL_OFF_CIPHER, "aes-xts-plain64", 15);
			put32(h + LBL_OFF_KEY_BITS, 128 + 64 * (rand_r(&seed) % 3));
			put32(h + LBL_OFF_SECTOR_SIZE, rand_r(&seed) % 2 ? 512 : 4096);
			memset(h + LBL_OFF_RESERVED, 0, LBL_RESERVED_SIZE);
			put64(h + LBL_OFF_DATA_OFFSET, (uint64_t)rand_r(&seed) % 100000);
			put64(h + LBL_OFF_DATA_SECTORS, 8 * ((uint64_t)rand_r(&seed) % 100000));
		}
		reseal(h);
		if (mkey_label_decode(h, sizeof(h), (uint64_t)rand_r(&seed) * 4096, &out) ==
		    MKEY_LABEL_OK) {
			accepted++;
			ASSERT_EQ(0, out.flags);
			ASSERT_NE(0, mkey_key_bytes(out.key_bits));
			ASSERT_TRUE(out.sector_size == 512 || out.sector_size == 4096);
			ASSERT_GE(out.data_offset, 8);
			ASSERT_EQ(0, out.data_sectors % (out.sector_size / 512));
		}
	}
	EXPECT_GT(accepted, 0);	/* the valid path was exercised too */
}

TEST(fault_strings_are_distinct)
{
	for (int a = MKEY_LABEL_OK; a <= MKEY_LABEL_OUTSIDE_DEVICE; a++)
		for (int b = a + 1; b <= MKEY_LABEL_OUTSIDE_DEVICE; b++) {
			ASSERT_NE(0, strcmp(mkey_label_fault_str(a), mkey_label_fault_str(b)))
				TH_LOG("faults %d and %d", a, b);
		}
}

TEST(key_sizes)
{
	EXPECT_EQ(32, mkey_key_bytes(128));
	EXPECT_EQ(48, mkey_key_bytes(192));
	EXPECT_EQ(64, mkey_key_bytes(256));
	EXPECT_EQ(0, mkey_key_bytes(512));
	EXPECT_EQ(128, mkey_key_bits_for_len(32));
	EXPECT_EQ(192, mkey_key_bits_for_len(48));
	EXPECT_EQ(256, mkey_key_bits_for_len(64));
	EXPECT_EQ(0, mkey_key_bits_for_len(16));
	EXPECT_EQ(0, mkey_key_bits_for_len(33));
	EXPECT_EQ(0, mkey_key_bits_for_len(0));
}

TEST_HARNESS_MAIN
