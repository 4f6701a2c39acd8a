/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Password-based key derivation for key-file administrators
 * (docs/key-file.md, "KDF"): Argon2id (libargon2) by default,
 * PBKDF2-HMAC-SHA512 (OpenSSL) on request. Costs are calibrated on the
 * machine that sets the password, or given explicitly within hard floors.
 */
#ifndef MKEY_KDF_H
#define MKEY_KDF_H

#include <stddef.h>
#include <stdint.h>

#define MKEY_KDF_SALT_BYTES		64	/* 512-bit salts */
#define MKEY_KDF_KEY_BYTES		32	/* key-encryption key: AES-256 */
#define MKEY_KDF_DEFAULT_TIME_MS	1000

/* Argon2id bounds. The floors admit cheap test costs; see docs/key-file.md. */
#define MKEY_ARGON2_MIN_MEMORY_KIB	8192u		/* 8 MiB */
#define MKEY_ARGON2_MAX_MEMORY_KIB	4194304u	/* 4 GiB */
#define MKEY_ARGON2_DEFAULT_MEMORY_KIB	1048576u	/* calibration cap: 1 GiB (and RAM/2) */
#define MKEY_ARGON2_MIN_PASSES		1u
#define MKEY_ARGON2_MAX_PASSES		1000u
#define MKEY_ARGON2_MAX_PARALLELISM	16u
#define MKEY_ARGON2_CALIBRATE_MAX_PARALLELISM 4u
/* Below these (RFC 9106's second recommendation) mkey warns. */
#define MKEY_ARGON2_WEAK_MEMORY_KIB	65536u
#define MKEY_ARGON2_WEAK_PASSES		3u

/* PBKDF2-HMAC-SHA512 bounds. */
#define MKEY_PBKDF2_MIN_ITERATIONS	65536u
#define MKEY_PBKDF2_MAX_ITERATIONS	100000000u
#define MKEY_PBKDF2_WEAK_ITERATIONS	210000u	/* OWASP 2023, PBKDF2-HMAC-SHA512 */

/* Calibration targets accepted (milliseconds). */
#define MKEY_KDF_MIN_TIME_MS		10u
#define MKEY_KDF_MAX_TIME_MS		60000u

enum mkey_kdf_type {
	MKEY_KDF_NONE = 0,
	MKEY_KDF_ARGON2ID = 1,
	MKEY_KDF_PBKDF2_SHA512 = 2,
};

/* What is stored per administrator (everything but the password). */
struct mkey_kdf_params {
	enum mkey_kdf_type type;
	uint32_t passes;	/* Argon2id t_cost */
	uint32_t memory_kib;	/* Argon2id m_cost, KiB */
	uint32_t parallelism;	/* Argon2id lanes and threads */
	uint32_t iterations;	/* PBKDF2 */
	uint8_t salt[MKEY_KDF_SALT_BYTES];
};

/*
 * How to choose the costs of a new password. Zero fields mean "default":
 * type Argon2id; time_ms 1000; Argon2id memory calibrated up to
 * min(1 GiB, RAM/2); passes calibrated; parallelism min(CPUs, 4);
 * PBKDF2 iterations calibrated. A field given explicitly is used as is
 * (within the bounds above); what is left is calibrated to time_ms.
 */
struct mkey_kdf_request {
	enum mkey_kdf_type type;
	uint32_t time_ms;
	uint32_t memory_kib;
	uint32_t passes;
	uint32_t parallelism;
	uint32_t iterations;
};

/* "argon2id" / "pbkdf2-sha512" ("none" otherwise). */
const char *mkey_kdf_type_name(enum mkey_kdf_type type);

/* Parses a type name (also "pbkdf2"); -EINVAL for anything else. */
int mkey_kdf_type_parse(const char *name, enum mkey_kdf_type *type);

/*
 * Checks stored parameters against the bounds: 0, or -ERANGE / -EINVAL
 * with a detail naming the parameter and its bound. Fields of the other
 * KDF type must be 0.
 */
int mkey_kdf_params_check(const struct mkey_kdf_params *p);

/* Checks a request's explicit fields against the bounds (as above). */
int mkey_kdf_request_check(const struct mkey_kdf_request *req);

/*
 * Chooses parameters for a new password: explicit request fields, the rest
 * calibrated by timing derivations on this machine, and a fresh random
 * salt. Returns 0, -ERANGE/-EINVAL (bad request, detail says which field),
 * -ENOMEM, -EIO.
 */
int mkey_kdf_choose(const struct mkey_kdf_request *req, struct mkey_kdf_params *out);

/*
 * Derives the 32-byte key-encryption key. @key should be locked memory
 * (a secure buffer). Returns 0, -EINVAL (parameters out of bounds),
 * -ENOMEM (Argon2 could not get its memory), -EIO.
 */
int mkey_kdf_derive(const struct mkey_kdf_params *p, const uint8_t *password,
		    size_t password_len, uint8_t key[MKEY_KDF_KEY_BYTES]);

/* True when the costs are below the "weak" thresholds above. */
int mkey_kdf_is_weak(const struct mkey_kdf_params *p);

/* "argon2id, 3 passes, 1048576 KiB, 4 lanes" / "pbkdf2-sha512, 2000000 iterations" */
void mkey_kdf_describe(const struct mkey_kdf_params *p, char *buf, size_t len);

#endif
