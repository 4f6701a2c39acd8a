// SPDX-License-Identifier: GPL-2.0
/*
 * Password KDFs: bounds, explicit costs, determinism, and calibration (a
 * 200 ms target must give costs whose derivation lands in a sane range on
 * this machine, and must respect the memory and parallelism caps).
 */
#include "kselftest_harness.h"

#include <time.h>

#include <argon2.h>
#include <openssl/evp.h>

#include "mkey/error.h"
#include "mkey/kdf.h"

static double ms_now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Best of two: the host is shared, a single sample may be a stall.
 * Argon2id may run lanes in threads, so it is timed by the wall clock;
 * PBKDF2 is one thread and calibrated on CPU time, so timed on CPU time.
 */
static double time_derive(const struct mkey_kdf_params *p)
{
	clockid_t clock = p->type == MKEY_KDF_ARGON2ID ? CLOCK_MONOTONIC :
			  CLOCK_THREAD_CPUTIME_ID;
	uint8_t key[MKEY_KDF_KEY_BYTES];
	double best = 1e9;

	for (int i = 0; i < 2; i++) {
		double t = ms_now(clock);

		if (mkey_kdf_derive(p, (const uint8_t *)"pw", 2, key) != 0)
			return -1;
		t = ms_now(clock) - t;
		if (t < best)
			best = t;
	}
	return best;
}

TEST(type_names)
{
	enum mkey_kdf_type t;

	EXPECT_EQ(0, mkey_kdf_type_parse("argon2id", &t));
	EXPECT_EQ(MKEY_KDF_ARGON2ID, t);
	EXPECT_EQ(0, mkey_kdf_type_parse("PBKDF2", &t));
	EXPECT_EQ(MKEY_KDF_PBKDF2_SHA512, t);
	EXPECT_EQ(0, mkey_kdf_type_parse("pbkdf2-sha512", &t));
	EXPECT_EQ(-EINVAL, mkey_kdf_type_parse("scrypt", &t));
	EXPECT_EQ(-EINVAL, mkey_kdf_type_parse("argon2i", &t));
	EXPECT_STREQ("argon2id", mkey_kdf_type_name(MKEY_KDF_ARGON2ID));
	EXPECT_STREQ("pbkdf2-sha512", mkey_kdf_type_name(MKEY_KDF_PBKDF2_SHA512));
}

TEST(floors_and_ceilings)
{
	struct mkey_kdf_params p = { .type = MKEY_KDF_ARGON2ID, .passes = 1,
				     .memory_kib = 8192, .parallelism = 1 };

	EXPECT_EQ(0, mkey_kdf_params_check(&p));
	p.memory_kib = 8191;
	EXPECT_EQ(-ERANGE, mkey_kdf_params_check(&p));
	EXPECT_STREQ("argon2id memory 8191 KiB is below the minimum of 8192 KiB",
		     mkey_error_detail());
	p.memory_kib = MKEY_ARGON2_MAX_MEMORY_KIB + 1;
	EXPECT_EQ(-ERANGE, mkey_kdf_params_check(&p));
	p.memory_kib = 8192;
	p.passes = 0;
	EXPECT_EQ(-ERANGE, mkey_kdf_params_check(&p));
	p.passes = MKEY_ARGON2_MAX_PASSES + 1;
	EXPECT_EQ(-ERANGE, mkey_kdf_params_check(&p));
	p.passes = 1;
	p.parallelism = 0;
	EXPECT_EQ(-ERANGE, mkey_kdf_params_check(&p));
	p.parallelism = 17;
	EXPECT_EQ(-ERANGE, mkey_kdf_params_check(&p));
	p.parallelism = 1;
	p.iterations = 100000;
	EXPECT_EQ(-EINVAL, mkey_kdf_params_check(&p));

	memset(&p, 0, sizeof(p));
	p.type = MKEY_KDF_PBKDF2_SHA512;
	p.iterations = 65536;
	EXPECT_EQ(0, mkey_kdf_params_check(&p));
	p.iterations = 65535;
	EXPECT_EQ(-ERANGE, mkey_kdf_params_check(&p));
	EXPECT_STREQ("pbkdf2-sha512 iterations 65535 is below the minimum of 65536",
		     mkey_error_detail());
	p.iterations = MKEY_PBKDF2_MAX_ITERATIONS + 1;
	EXPECT_EQ(-ERANGE, mkey_kdf_params_check(&p));
	p.iterations = 65536;
	p.memory_kib = 8192;
	EXPECT_EQ(-EINVAL, mkey_kdf_params_check(&p));
	p.type = MKEY_KDF_NONE;
	EXPECT_EQ(-EINVAL, mkey_kdf_params_check(&p));
}

TEST(explicit_requests_are_used_as_given_within_the_floors)
{
	struct mkey_kdf_request rq = { .type = MKEY_KDF_ARGON2ID, .passes = 2,
				       .memory_kib = 9000, .parallelism = 3 };
	struct mkey_kdf_params p, q;
	static const uint8_t zero[MKEY_KDF_SALT_BYTES];

	ASSERT_EQ(0, mkey_kdf_choose(&rq, &p));
	EXPECT_EQ(MKEY_KDF_ARGON2ID, p.type);
	EXPECT_EQ(2, p.passes);
	EXPECT_EQ(9000, p.memory_kib);
	EXPECT_EQ(3, p.parallelism);
	EXPECT_NE(0, memcmp(p.salt, zero, sizeof(zero)));
	ASSERT_EQ(0, mkey_kdf_choose(&rq, &q));
	EXPECT_NE(0, memcmp(p.salt, q.salt, sizeof(p.salt)));	/* fresh salts */

	rq.memory_kib = 4096;
	EXPECT_EQ(-ERANGE, mkey_kdf_choose(&rq, &p));
	rq.memory_kib = 8192;
	rq.iterations = 100000;
	EXPECT_EQ(-EINVAL, mkey_kdf_choose(&rq, &p));

	memset(&rq, 0, sizeof(rq));
	rq.type = MKEY_KDF_PBKDF2_SHA512;
	rq.iterations = 70000;
	ASSERT_EQ(0, mkey_kdf_choose(&rq, &p));
	EXPECT_EQ(70000, p.iterations);
	EXPECT_EQ(0, p.memory_kib);
	rq.iterations = 1000;
	EXPECT_EQ(-ERANGE, mkey_kdf_choose(&rq, &p));
	rq.iterations = 0;
	rq.memory_kib = 8192;
	EXPECT_EQ(-EINVAL, mkey_kdf_choose(&rq, &p));
	rq.memory_kib = 0;
	rq.time_ms = 5;
	EXPECT_EQ(-ERANGE, mkey_kdf_choose(&rq, &p));
	rq.time_ms = 60001;
	EXPECT_EQ(-ERANGE, mkey_kdf_choose(&rq, &p));
}

TEST(derivation_is_deterministic_and_matches_the_references)
{
	struct mkey_kdf_params p = { .type = MKEY_KDF_ARGON2ID, .passes = 2,
				     .memory_kib = 8192, .parallelism = 2 };
	uint8_t a[32], b[32], ref[32];

	for (int i = 0; i < MKEY_KDF_SALT_BYTES; i++)
		p.salt[i] = (uint8_t)i;
	ASSERT_EQ(0, mkey_kdf_derive(&p, (const uint8_t *)"password", 8, a));
	ASSERT_EQ(0, mkey_kdf_derive(&p, (const uint8_t *)"password", 8, b));
	EXPECT_EQ(0, memcmp(a, b, 32));
	ASSERT_EQ(ARGON2_OK, argon2id_hash_raw(2, 8192, 2, "password", 8, p.salt,
					       MKEY_KDF_SALT_BYTES, ref, 32));
	EXPECT_EQ(0, memcmp(a, ref, 32));
	ASSERT_EQ(0, mkey_kdf_derive(&p, (const uint8_t *)"passwore", 8, b));
	EXPECT_NE(0, memcmp(a, b, 32));
	p.salt[63] ^= 1;
	ASSERT_EQ(0, mkey_kdf_derive(&p, (const uint8_t *)"password", 8, b));
	EXPECT_NE(0, memcmp(a, b, 32));

	memset(&p, 0, sizeof(p));
	p.type = MKEY_KDF_PBKDF2_SHA512;
	p.iterations = 65536;
	ASSERT_EQ(0, mkey_kdf_derive(&p, (const uint8_t *)"password", 8, a));
	ASSERT_EQ(1, PKCS5_PBKDF2_HMAC("password", 8, p.salt, MKEY_KDF_SALT_BYTES, 65536,
				       EVP_sha512(), 32, ref));
	EXPECT_EQ(0, memcmp(a, ref, 32));
	p.iterations = 1000;	/* below the floor: refused even here */
	EXPECT_EQ(-EINVAL, mkey_kdf_derive(&p, (const uint8_t *)"password", 8, a));
}

TEST(argon2id_calibration_for_200ms)
{
	struct mkey_kdf_request rq = { .time_ms = 200 };
	struct mkey_kdf_params p;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t half_ram_kib = (uint64_t)pages * (uint64_t)page / 2048;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double ms;

	ASSERT_EQ(0, mkey_kdf_choose(&rq, &p));
	EXPECT_EQ(MKEY_KDF_ARGON2ID, p.type);
	EXPECT_LE(p.memory_kib, MKEY_ARGON2_DEFAULT_MEMORY_KIB);
	EXPECT_LE(p.memory_kib, half_ram_kib);
	EXPECT_GE(p.memory_kib, MKEY_ARGON2_MIN_MEMORY_KIB);
	EXPECT_GE(p.passes, 1);
	EXPECT_LE(p.parallelism, 4);
	EXPECT_EQ(cpus < 4 ? (uint32_t)cpus : 4u, p.parallelism);
	ms = time_derive(&p);
	TH_LOG("argon2id for 200 ms: %u passes, %u KiB, %u lanes: %.0f ms",
	       p.passes, p.memory_kib, p.parallelism, ms);
	EXPECT_GE(ms, 50);
	EXPECT_LE(ms, 1000);

	/* A memory cap is honoured; the time is made up with passes. */
	rq.memory_kib = 16384;
	ASSERT_EQ(0, mkey_kdf_choose(&rq, &p));
	EXPECT_EQ(16384, p.memory_kib);
	ms = time_derive(&p);
	TH_LOG("argon2id for 200 ms at 16 MiB: %u passes: %.0f ms", p.passes, ms);
	EXPECT_GE(p.passes, 2);
	EXPECT_GE(ms, 50);
	EXPECT_LE(ms, 1000);
}

TEST(pbkdf2_calibration_for_200ms)
{
	struct mkey_kdf_request rq = { .type = MKEY_KDF_PBKDF2_SHA512, .time_ms = 200 };
	struct mkey_kdf_params p;
	double ms;

	ASSERT_EQ(0, mkey_kdf_choose(&rq, &p));
	EXPECT_GE(p.iterations, MKEY_PBKDF2_MIN_ITERATIONS);
	ms = time_derive(&p);
	TH_LOG("pbkdf2-sha512 for 200 ms: %u iterations: %.0f ms", p.iterations, ms);
	EXPECT_GE(ms, 50);
	EXPECT_LE(ms, 1000);
	/* A tiny target still never goes below the floor. */
	rq.time_ms = 10;
	ASSERT_EQ(0, mkey_kdf_choose(&rq, &p));
	EXPECT_GE(p.iterations, MKEY_PBKDF2_MIN_ITERATIONS);
}

TEST(weakness_and_description)
{
	struct mkey_kdf_params p = { .type = MKEY_KDF_ARGON2ID, .passes = 1,
				     .memory_kib = 8192, .parallelism = 1 };
	char text[128];

	EXPECT_TRUE(mkey_kdf_is_weak(&p));
	p.memory_kib = 1048576;
	EXPECT_FALSE(mkey_kdf_is_weak(&p));
	mkey_kdf_describe(&p, text, sizeof(text));
	EXPECT_STREQ("argon2id, 1 pass, 1048576 KiB, 1 lane", text);
	memset(&p, 0, sizeof(p));
	p.type = MKEY_KDF_PBKDF2_SHA512;
	p.iterations = 65536;
	EXPECT_TRUE(mkey_kdf_is_weak(&p));
	p.iterations = 1000000;
	EXPECT_FALSE(mkey_kdf_is_weak(&p));
	mkey_kdf_describe(&p, text, sizeof(text));
	EXPECT_STREQ("pbkdf2-sha512, 1000000 iterations", text);
}

TEST_HARNESS_MAIN
