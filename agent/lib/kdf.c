// SPDX-License-Identifier: GPL-2.0
/*
 * Password KDFs: Argon2id through libargon2, PBKDF2-HMAC-SHA512 through
 * OpenSSL. Calibration times real derivations with a dummy password and
 * scales the cost linearly to the target time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mkey/kdf.h"
#include "error-detail.h"

/* A measurement shorter than this is too noisy to scale from. */
#define CALIBRATE_MIN_MS 40.0

const char *mkey_kdf_type_name(enum mkey_kdf_type type)
{
	switch (type) {
	case MKEY_KDF_ARGON2ID:
		return "argon2id";
	case MKEY_KDF_PBKDF2_SHA512:
		return "pbkdf2-sha512";
	default:
		return "none";
	}
}

int mkey_kdf_type_parse(const char *name, enum mkey_kdf_type *type)
{
	if (!name)
		return -EINVAL;
	if (strcasecmp(name, "argon2id") == 0) {
		*type = MKEY_KDF_ARGON2ID;
		return 0;
	}
	if (strcasecmp(name, "pbkdf2-sha512") == 0 || strcasecmp(name, "pbkdf2") == 0) {
		*type = MKEY_KDF_PBKDF2_SHA512;
		return 0;
	}
	return -EINVAL;
}

static int range(const char *what, uint64_t v, uint64_t lo, uint64_t hi,
		 const char *unit)
{
	if (v < lo)
		return mkey_error_set(-ERANGE, "%s %llu%s is below the minimum of %llu%s",
				      what, (unsigned long long)v, unit,
				      (unsigned long long)lo, unit);
	if (v > hi)
		return mkey_error_set(-ERANGE, "%s %llu%s is above the maximum of %llu%s",
				      what, (unsigned long long)v, unit,
				      (unsigned long long)hi, unit);
	return 0;
}

int mkey_kdf_params_check(const struct mkey_kdf_params *p)
{
	int ret;

	switch (p->type) {
	case MKEY_KDF_ARGON2ID:
		if (p->iterations)
			return mkey_error_set(-EINVAL, "argon2id takes no iteration count");
		ret = range("argon2id passes", p->passes, MKEY_ARGON2_MIN_PASSES,
			    MKEY_ARGON2_MAX_PASSES, "");
		if (!ret)
			ret = range("argon2id memory", p->memory_kib,
				    MKEY_ARGON2_MIN_MEMORY_KIB,
				    MKEY_ARGON2_MAX_MEMORY_KIB, " KiB");
		if (!ret)
			ret = range("argon2id parallelism", p->parallelism, 1,
				    MKEY_ARGON2_MAX_PARALLELISM, "");
		return ret;
	case MKEY_KDF_PBKDF2_SHA512:
		if (p->passes || p->memory_kib || p->parallelism)
			return mkey_error_set(-EINVAL, "pbkdf2-sha512 takes only an "
					      "iteration count");
		return range("pbkdf2-sha512 iterations", p->iterations,
			     MKEY_PBKDF2_MIN_ITERATIONS, MKEY_PBKDF2_MAX_ITERATIONS, "");
	default:
		return mkey_error_set(-EINVAL, "unknown KDF type %d", (int)p->type);
	}
}

int mkey_kdf_request_check(const struct mkey_kdf_request *req)
{
	enum mkey_kdf_type type = req->type ? req->type : MKEY_KDF_ARGON2ID;
	int ret = 0;

	if (type != MKEY_KDF_ARGON2ID && type != MKEY_KDF_PBKDF2_SHA512)
		return mkey_error_set(-EINVAL, "unknown KDF type %d", (int)type);
	if (req->time_ms)
		ret = range("KDF time", req->time_ms, MKEY_KDF_MIN_TIME_MS,
			    MKEY_KDF_MAX_TIME_MS, " ms");
	if (ret)
		return ret;
	if (type == MKEY_KDF_PBKDF2_SHA512) {
		if (req->passes || req->memory_kib || req->parallelism)
			return mkey_error_set(-EINVAL, "passes, memory and parallelism "
					      "are argon2id costs; pbkdf2-sha512 "
					      "takes only iterations");
		if (req->iterations)
			ret = range("pbkdf2-sha512 iterations", req->iterations,
				    MKEY_PBKDF2_MIN_ITERATIONS,
				    MKEY_PBKDF2_MAX_ITERATIONS, "");
		return ret;
	}
	if (req->iterations)
		return mkey_error_set(-EINVAL, "iterations is a pbkdf2-sha512 cost; "
				      "argon2id takes passes, memory and parallelism");
	if (req->passes)
		ret = range("argon2id passes", req->passes, MKEY_ARGON2_MIN_PASSES,
			    MKEY_ARGON2_MAX_PASSES, "");
	if (!ret && req->memory_kib)
		ret = range("argon2id memory", req->memory_kib,
			    MKEY_ARGON2_MIN_MEMORY_KIB, MKEY_ARGON2_MAX_MEMORY_KIB, " KiB");
	if (!ret && req->parallelism)
		ret = range("argon2id parallelism", req->parallelism, 1,
			    MKEY_ARGON2_MAX_PARALLELISM, "");
	return ret;
}

static int derive_argon2id(uint32_t t, uint32_t m, uint32_t p, const uint8_t *pw,
			   size_t pw_len, const uint8_t *salt, uint8_t *key)
{
	int ret = argon2id_hash_raw(t, m, p, pw, pw_len, salt, MKEY_KDF_SALT_BYTES,
				    key, MKEY_KDF_KEY_BYTES);

	switch (ret) {
	case ARGON2_OK:
		return 0;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return mkey_error_set(-ENOMEM, "argon2id could not allocate %u KiB", m);
	default:
		return mkey_error_set(-EIO, "argon2id failed: %s", argon2_error_message(ret));
	}
}

static int derive_pbkdf2(uint32_t iterations, const uint8_t *pw, size_t pw_len,
			 const uint8_t *salt, uint8_t *key)
{
	if (pw_len > 0x7fffffff)
		return -EINVAL;
	if (PKCS5_PBKDF2_HMAC((const char *)pw, (int)pw_len, salt, MKEY_KDF_SALT_BYTES,
			      (int)iterations, EVP_sha512(), MKEY_KDF_KEY_BYTES, key) != 1)
		return mkey_error_set(-EIO, "PBKDF2-HMAC-SHA512 failed");
	return 0;
}

int mkey_kdf_derive(const struct mkey_kdf_params *p, const uint8_t *password,
		    size_t password_len, uint8_t key[MKEY_KDF_KEY_BYTES])
{
	int ret = mkey_kdf_params_check(p);

	if (ret < 0)
		return -EINVAL;
	if (p->type == MKEY_KDF_ARGON2ID)
		return derive_argon2id(p->passes, p->memory_kib, p->parallelism,
				       password, password_len, p->salt, key);
	return derive_pbkdf2(p->iterations, password, password_len, p->salt, key);
}

static double clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Milliseconds one derivation takes here: wall clock (Argon2 may run its
 * lanes in threads), best of three, so that a moment of contention on a
 * busy machine does not make the costs weaker.
 */
static int time_argon2id(uint32_t t, uint32_t m, uint32_t p, double *ms)
{
	static const uint8_t pw[] = "mkey calibration";
	uint8_t salt[MKEY_KDF_SALT_BYTES] = { 0 }, key[MKEY_KDF_KEY_BYTES];
	int ret = 0;

	*ms = 1e12;
	for (int i = 0; i < 3 && !ret; i++) {
		double start = clock_ms(CLOCK_MONOTONIC), took;

		ret = derive_argon2id(t, m, p, pw, sizeof(pw) - 1, salt, key);
		took = clock_ms(CLOCK_MONOTONIC) - start;
		if (took < *ms)
			*ms = took;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/* PBKDF2 is one thread: its CPU time is its cost, whatever else runs. */
static int time_pbkdf2(uint32_t iterations, double *ms)
{
	static const uint8_t pw[] = "mkey calibration";
	uint8_t salt[MKEY_KDF_SALT_BYTES] = { 0 }, key[MKEY_KDF_KEY_BYTES];
	double start = clock_ms(CLOCK_THREAD_CPUTIME_ID);
	int ret = derive_pbkdf2(iterations, pw, sizeof(pw) - 1, salt, key);

	*ms = clock_ms(CLOCK_THREAD_CPUTIME_ID) - start;
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

static uint64_t clamp64(double v, uint64_t lo, uint64_t hi)
{
	if (v < (double)lo)
		return lo;
	if (v > (double)hi)
		return hi;
	return (uint64_t)(v + 0.5);
}

/* Argon2id memory cap when none is given: min(1 GiB, half the RAM). */
static uint32_t default_memory_cap(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t half_kib;

	if (pages <= 0 || page <= 0)
		return MKEY_ARGON2_MIN_MEMORY_KIB;
	half_kib = (uint64_t)pages * (uint64_t)page / 1024 / 2;
	if (half_kib > MKEY_ARGON2_DEFAULT_MEMORY_KIB)
		return MKEY_ARGON2_DEFAULT_MEMORY_KIB;
	if (half_kib < MKEY_ARGON2_MIN_MEMORY_KIB)
		return MKEY_ARGON2_MIN_MEMORY_KIB;
	return (uint32_t)half_kib;
}

static uint32_t default_parallelism(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	if (n > (long)MKEY_ARGON2_CALIBRATE_MAX_PARALLELISM)
		return MKEY_ARGON2_CALIBRATE_MAX_PARALLELISM;
	return (uint32_t)n;
}

static int choose_argon2id(const struct mkey_kdf_request *req, uint32_t target_ms,
			   struct mkey_kdf_params *out)
{
	uint32_t p = req->parallelism ? req->parallelism : default_parallelism();
	uint32_t cap = req->memory_kib ? req->memory_kib : default_memory_cap();
	uint32_t m0, t0 = 1;
	double ms = 0, rate, budget;
	int ret;

	out->parallelism = p;
	if (req->memory_kib && req->passes) {
		out->memory_kib = req->memory_kib;
		out->passes = req->passes;
		return 0;
	}
	/*
	 * Cost per KiB-pass, measured on at least 16 MiB (more if that is
	 * too quick to time), so that caches do not flatter the rate.
	 */
	m0 = cap < 16384 ? cap : 16384;
	for (;;) {
		ret = time_argon2id(t0, m0, p, &ms);
		if (ret < 0)
			return ret;
		if (ms >= CALIBRATE_MIN_MS)
			break;
		if (m0 < cap)
			m0 = (uint64_t)m0 * 4 < cap ? m0 * 4 : cap;
		else if (t0 < 64)
			t0 *= 2;
		else
			break;
	}
	if (ms < 0.001)
		ms = 0.001;
	rate = ms / ((double)m0 * t0);
	budget = target_ms / rate;	/* KiB-passes that fit in the target */
	if (req->passes) {
		out->passes = req->passes;
		out->memory_kib = (uint32_t)clamp64(budget / req->passes,
						    MKEY_ARGON2_MIN_MEMORY_KIB, cap);
	} else if (req->memory_kib) {
		out->memory_kib = req->memory_kib;
		out->passes = (uint32_t)clamp64(budget / req->memory_kib,
						MKEY_ARGON2_MIN_PASSES,
						MKEY_ARGON2_MAX_PASSES);
	} else {
		/* Memory first (that is what hurts an attacker), then passes. */
		out->memory_kib = (uint32_t)clamp64(budget, MKEY_ARGON2_MIN_MEMORY_KIB, cap);
		out->passes = (uint32_t)clamp64(budget / out->memory_kib,
						MKEY_ARGON2_MIN_PASSES,
						MKEY_ARGON2_MAX_PASSES);
	}
	return 0;
}

static int choose_pbkdf2(const struct mkey_kdf_request *req, uint32_t target_ms,
			 struct mkey_kdf_params *out)
{
	uint32_t i0 = MKEY_PBKDF2_MIN_ITERATIONS;
	double ms = 0;
	int ret;

	if (req->iterations) {
		out->iterations = req->iterations;
		return 0;
	}
	for (;;) {
		ret = time_pbkdf2(i0, &ms);
		if (ret < 0)
			return ret;
		if (ms >= CALIBRATE_MIN_MS || i0 >= (1u << 26))
			break;
		i0 *= 2;
	}
	if (ms < 0.001)
		ms = 0.001;
	out->iterations = (uint32_t)clamp64((double)i0 * target_ms / ms,
					    MKEY_PBKDF2_MIN_ITERATIONS,
					    MKEY_PBKDF2_MAX_ITERATIONS);
	return 0;
}

int mkey_kdf_choose(const struct mkey_kdf_request *req, struct mkey_kdf_params *out)
{
	uint32_t target = req->time_ms ? req->time_ms : MKEY_KDF_DEFAULT_TIME_MS;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = mkey_kdf_request_check(req);
	if (ret < 0)
		return ret;
	out->type = req->type ? req->type : MKEY_KDF_ARGON2ID;
	if (out->type == MKEY_KDF_ARGON2ID)
		ret = choose_argon2id(req, target, out);
	else
		ret = choose_pbkdf2(req, target, out);
	if (ret < 0)
		return ret;
	if (RAND_bytes(out->salt, sizeof(out->salt)) != 1)
		return mkey_error_set(-EIO, "random number generator failed");
	return mkey_kdf_params_check(out);
}

int mkey_kdf_is_weak(const struct mkey_kdf_params *p)
{
	if (p->type == MKEY_KDF_ARGON2ID)
		return p->memory_kib < MKEY_ARGON2_WEAK_MEMORY_KIB ||
		       (uint64_t)p->memory_kib * p->passes <
		       (uint64_t)MKEY_ARGON2_WEAK_MEMORY_KIB * MKEY_ARGON2_WEAK_PASSES;
	return p->iterations < MKEY_PBKDF2_WEAK_ITERATIONS;
}

void mkey_kdf_describe(const struct mkey_kdf_params *p, char *buf, size_t len)
{
	if (p->type == MKEY_KDF_ARGON2ID)
		snprintf(buf, len, "argon2id, %u pass%s, %u KiB, %u lane%s",
			 p->passes, p->passes == 1 ? "" : "es", p->memory_kib,
			 p->parallelism, p->parallelism == 1 ? "" : "s");
	else if (p->type == MKEY_KDF_PBKDF2_SHA512)
		snprintf(buf, len, "pbkdf2-sha512, %u iterations", p->iterations);
	else
		snprintf(buf, len, "unknown KDF");
}
