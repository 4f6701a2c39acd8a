// SPDX-License-Identifier: GPL-2.0
/* Key check value: known answers and constant-time verification. */
#include "kselftest_harness.h"

#include <errno.h>

#include "mkey/label.h"
#include "unit-util.h"

/*
 * Vectors computed independently of libmkey with the OpenSSL command line,
 * key = bytes 00 01 02 ... (n-1), volume UUID 01234567-89AB-CDEF-0123-
 * 456789ABCDEF, key GUID FEDCBA98-7654-3210-FEDC-BA9876543210:
 *
 *   K=$(python3 -c "print(bytes(range(64)).hex())")
 *   (printf 'dm-mkey key check v1'
 *    echo 0123456789ABCDEF0123456789ABCDEF | xxd -r -p
 *    echo FEDCBA9876543210FEDCBA9876543210 | xxd -r -p) |
 *   openssl dgst -sha256 -mac HMAC -macopt hexkey:$K
 */
static const struct {
	size_t key_len;
	const char *kcv;
} vectors[] = {
	{ 32, "d655fcb804dfb4d59d49659986140ca77e7790e1705ae8d29a1edcaf62112f7b" },
	{ 48, "e9deb5052f0d949d802a1346306f4dc8e6a5c1b6b149509649264b0ea3cc94da" },
	{ 64, "44c64530ec1659b56796d442e71625ec2df0210cf2d2d1795f648ec4babdc8c9" },
};

static void counting_key(uint8_t *key, size_t len)
{
	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)i;
}

TEST(known_answers)
{
	struct mkey_label l;
	uint8_t key[64], kcv[32], want[32];

	sample_label(&l);
	counting_key(key, sizeof(key));
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		hex_to_bytes(vectors[i].kcv, want, 32);
		ASSERT_EQ(0, mkey_kcv_compute(key, vectors[i].key_len, &l.volume_uuid,
					      &l.key_guid, kcv));
		EXPECT_EQ(0, memcmp(kcv, want, 32)) TH_LOG("key length %zu", vectors[i].key_len);
	}
}

TEST(verify_accepts_the_right_key)
{
	struct mkey_label l;
	uint8_t key[64];

	sample_label(&l);
	counting_key(key, sizeof(key));
	hex_to_bytes(vectors[2].kcv, l.kcv, 32);
	EXPECT_EQ(0, mkey_kcv_verify(&l, key, 64));
}

TEST(verify_rejects_every_one_bit_different_key)
{
	struct mkey_label l;
	uint8_t key[64];

	sample_label(&l);
	counting_key(key, sizeof(key));
	hex_to_bytes(vectors[2].kcv, l.kcv, 32);
	for (int bit = 0; bit < 64 * 8; bit++) {
		key[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		ASSERT_EQ(-EKEYREJECTED, mkey_kcv_verify(&l, key, 64)) TH_LOG("bit %d", bit);
		key[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	EXPECT_EQ(0, mkey_kcv_verify(&l, key, 64));
}

TEST(verify_rejects_a_one_bit_different_kcv)
{
	struct mkey_label l;
	uint8_t key[64];

	sample_label(&l);
	counting_key(key, sizeof(key));
	hex_to_bytes(vectors[2].kcv, l.kcv, 32);
	l.kcv[31] ^= 0x80;
	EXPECT_EQ(-EKEYREJECTED, mkey_kcv_verify(&l, key, 64));
}

TEST(verify_refuses_a_key_of_the_wrong_size)
{
	struct mkey_label l;
	uint8_t key[64];

	sample_label(&l);		/* AES-256: needs 64 bytes */
	counting_key(key, sizeof(key));
	EXPECT_EQ(-EMSGSIZE, mkey_kcv_verify(&l, key, 32));
	EXPECT_EQ(-EMSGSIZE, mkey_kcv_verify(&l, key, 48));
	EXPECT_EQ(-EMSGSIZE, mkey_kcv_verify(&l, key, 63));
}

TEST(compute_refuses_bad_lengths)
{
	struct mkey_label l;
	uint8_t key[65] = { 0 }, kcv[32];

	sample_label(&l);
	EXPECT_EQ(-EINVAL, mkey_kcv_compute(key, 0, &l.volume_uuid, &l.key_guid, kcv));
	EXPECT_EQ(-EINVAL, mkey_kcv_compute(key, 16, &l.volume_uuid, &l.key_guid, kcv));
	EXPECT_EQ(-EINVAL, mkey_kcv_compute(key, 65, &l.volume_uuid, &l.key_guid, kcv));
}

TEST(kcv_binds_volume_uuid_and_key_guid)
{
	struct mkey_label l;
	struct mkey_guid other;
	uint8_t key[64], a[32], b[32], c[32];

	sample_label(&l);
	counting_key(key, sizeof(key));
	other = l.volume_uuid;
	other.b[15] ^= 1;
	ASSERT_EQ(0, mkey_kcv_compute(key, 64, &l.volume_uuid, &l.key_guid, a));
	ASSERT_EQ(0, mkey_kcv_compute(key, 64, &other, &l.key_guid, b));
	ASSERT_EQ(0, mkey_kcv_compute(key, 64, &l.volume_uuid, &other, c));
	EXPECT_NE(0, memcmp(a, b, 32));
	EXPECT_NE(0, memcmp(a, c, 32));
}

TEST_HARNESS_MAIN
