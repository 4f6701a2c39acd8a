/* SPDX-License-Identifier: GPL-2.0 */
/* Internal: the key file model, codec and crypto shared by keyfile*.c. */
#ifndef MKEY_KEYFILE_INTERNAL_H
#define MKEY_KEYFILE_INTERNAL_H

#include <sys/types.h>

#include "mkey/audit.h"
#include "mkey/error.h"
#include "mkey/keyfile.h"

#define KF_NONCE_BYTES	12
#define KF_TAG_BYTES	16
#define KF_WRAP_OVERHEAD (KF_NONCE_BYTES + KF_TAG_BYTES)
#define KF_MAC_BYTES	32
#define KF_WRAPPED_MK_BYTES (MKEY_MASTER_KEY_BYTES + KF_WRAP_OVERHEAD)
#define KF_WRAPPED_DEK_MAX (64 + KF_WRAP_OVERHEAD)
#define KF_MAX_PENDING	8

/* HKDF labels and AAD domain strings (docs/key-file.md, "Cryptography"). */
#define KF_HKDF_WRAP_LABEL	"dm-mkey key file v1 data-key wrapping"
#define KF_HKDF_MAC_LABEL	"dm-mkey key file v1 file MAC"
#define KF_AAD_MASTER		"dm-mkey key file v1 master key"
#define KF_AAD_DEK		"dm-mkey key file v1 data key"

struct kf_admin {
	struct mkey_keyfile_admin info;
	uint8_t wrapped[KF_WRAPPED_MK_BYTES];
};

struct kf_key {
	struct mkey_keyfile_key info;
	uint8_t wrapped[KF_WRAPPED_DEK_MAX];
	size_t wrapped_len;
};

struct kf_pending {
	enum mkey_audit_event event;
	char fields[600];
};

struct mkey_keyfile {
	struct mkey_guid file_id;
	int64_t created;
	struct mkey_guid default_key;
	int n_admins;
	struct kf_admin admins[MKEY_KEYFILE_MAX_ADMINS];
	int n_keys;
	struct kf_key *keys;	/* MKEY_KEYFILE_MAX_KEYS entries */
	uint8_t mac[KF_MAC_BYTES];

	/* Unlocked: the master key, and who unlocked it. */
	struct mkey_secbuf *master;
	char unlocked_by[MKEY_ADMIN_NAME_MAX + 1];

	/* File: its name (as given), where it really lives, the update lock. */
	char *path;
	char *real_path;
	int lock_fd;
	bool is_new;

	/* Audit events of changes not yet committed. */
	int n_pending;
	struct kf_pending pending[KF_MAX_PENDING];
};

/* A growable byte buffer for serialization. */
struct kf_buf {
	char *data;
	size_t len, cap;
	bool failed;	/* out of memory */
};
void kf_buf_put(struct kf_buf *b, const char *s, size_t n);
void kf_buf_printf(struct kf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kf_buf_free(struct kf_buf *b);

/* Allocates an empty model (lock_fd -1). */
struct mkey_keyfile *kf_alloc(void);

/*
 * The canonical serialization. @with_mac false: the MAC'd prefix only
 * (everything before the "mac" member). 0 or -ENOMEM.
 */
int kf_serialize(const struct mkey_keyfile *kf, bool with_mac, struct kf_buf *out);

/* Base64 (RFC 4648, padded). Decode is strict: -EINVAL on any deviation. */
size_t kf_b64_encoded_len(size_t n);
void kf_b64_encode(const uint8_t *in, size_t n, char *out);	/* NUL-terminated */
int kf_b64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
		  size_t *out_len);

/* "YYYY-MM-DDTHH:MM:SSZ" */
void kf_time_format(int64_t t, char out[21]);
int kf_time_parse(const char *s, int64_t *t);

/* ---- crypto ---- */

/* AAD: a domain string, then each field as a 4-byte big-endian length + bytes. */
struct kf_aad {
	uint8_t data[512];
	size_t len;
};
void kf_aad_master(const struct mkey_keyfile *kf, const struct mkey_keyfile_admin *a,
		   struct kf_aad *aad);
void kf_aad_dek(const struct mkey_keyfile *kf, const struct mkey_guid *guid,
		uint32_t bits, struct kf_aad *aad);

/* AES-256-GCM, random 96-bit nonce; out = nonce || ciphertext || tag. */
int kf_seal(const uint8_t key[32], const struct kf_aad *aad, const uint8_t *pt,
	    size_t pt_len, uint8_t *out);
/* -EBADMSG when the tag does not verify. @pt receives in_len - 28 bytes. */
int kf_open(const uint8_t key[32], const struct kf_aad *aad, const uint8_t *in,
	    size_t in_len, uint8_t *pt);
/* HKDF-SHA256(ikm = master key, salt = file id, info = @label) -> 32 bytes. */
int kf_hkdf(const struct mkey_keyfile *kf, const char *label, uint8_t out[32]);
int kf_hmac_sha256(const uint8_t key[32], const void *data, size_t len,
		   uint8_t out[KF_MAC_BYTES]);

/* Computes the file MAC of the current content into kf->mac (needs master). */
int kf_compute_mac(struct mkey_keyfile *kf);

/*
 * Unlock with an already derived key-encryption key: unwraps the master
 * key of administrator @idx, verifies the MAC. The unit tests and the
 * fuzzer use it to skip the (deliberately slow) KDF. -EKEYREJECTED,
 * -EBADMSG, -ENOMEM.
 */
int kf_unlock_with_kek(struct mkey_keyfile *kf, int idx, const uint8_t kek[32]);

/* Queues an audit event for the next commit. */
void kf_pending_add(struct mkey_keyfile *kf, enum mkey_audit_event ev,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "file=\"...\" file_id=..." for audit lines. */
void kf_audit_ident(const struct mkey_keyfile *kf, char *buf, size_t len);
void kf_pending_flush(struct mkey_keyfile *kf);

#endif
