// SPDX-License-Identifier: GPL-2.0
/*
 * Key file cryptography, all OpenSSL EVP: AES-256-GCM for every wrapped
 * secret, HKDF-SHA256 for the keys derived from the master key, HMAC-SHA256
 * for the file MAC. See docs/key-file.md, "Cryptography".
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "keyfile-internal.h"
#include "error-detail.h"

static void aad_put(struct kf_aad *aad, const void *data, size_t len)
{
	if (aad->len + 4 + len > sizeof(aad->data)) {
		aad->len = sizeof(aad->data) + 1;	/* poisoned: seal/open refuse */
		return;
	}
	aad->data[aad->len++] = (uint8_t)(len >> 24);
	aad->data[aad->len++] = (uint8_t)(len >> 16);
	aad->data[aad->len++] = (uint8_t)(len >> 8);
	aad->data[aad->len++] = (uint8_t)len;
	memcpy(aad->data + aad->len, data, len);
	aad->len += len;
}

static void aad_u32(struct kf_aad *aad, uint32_t v)
{
	uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			  (uint8_t)v };

	aad_put(aad, be, sizeof(be));
}

static void aad_start(struct kf_aad *aad, const char *domain, const struct mkey_keyfile *kf)
{
	aad->len = 0;
	aad_put(aad, domain, strlen(domain));
	aad_u32(aad, MKEY_KEYFILE_VERSION);
	aad_put(aad, kf->file_id.b, sizeof(kf->file_id.b));
}

void kf_aad_master(const struct mkey_keyfile *kf, const struct mkey_keyfile_admin *a,
		   struct kf_aad *aad)
{
	const char *type = mkey_kdf_type_name(a->kdf.type);

	aad_start(aad, KF_AAD_MASTER, kf);
	aad_put(aad, a->name, strlen(a->name));
	aad_put(aad, type, strlen(type));
	aad_u32(aad, a->kdf.passes);
	aad_u32(aad, a->kdf.memory_kib);
	aad_u32(aad, a->kdf.parallelism);
	aad_u32(aad, a->kdf.iterations);
	aad_put(aad, a->kdf.salt, sizeof(a->kdf.salt));
}

void kf_aad_dek(const struct mkey_keyfile *kf, const struct mkey_guid *guid,
		uint32_t bits, struct kf_aad *aad)
{
	aad_start(aad, KF_AAD_DEK, kf);
	aad_put(aad, guid->b, sizeof(guid->b));
	aad_u32(aad, bits);
}

static int gcm(bool enc, const uint8_t key[32], const struct kf_aad *aad,
	       const uint8_t *nonce, const uint8_t *in, size_t len, uint8_t *out,
	       uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx;
	int n = 0, ret = -EIO;

	if (aad->len > sizeof(aad->data) || len > 4096)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, KF_NONCE_BYTES, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, aad->data, (int)aad->len) != 1)
		goto out;
	if (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, KF_TAG_BYTES, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &n) != 1) {
		ret = enc ? -EIO : -EBADMSG;	/* decrypt: the tag did not verify */
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, KF_TAG_BYTES, tag) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	return ret;
}

int kf_seal(const uint8_t key[32], const struct kf_aad *aad, const uint8_t *pt,
	    size_t pt_len, uint8_t *out)
{
	if (RAND_bytes(out, KF_NONCE_BYTES) != 1)
		return mkey_error_set(-EIO, "random number generator failed");
	return gcm(true, key, aad, out, pt, pt_len, out + KF_NONCE_BYTES,
		   out + KF_NONCE_BYTES + pt_len);
}

int kf_open(const uint8_t key[32], const struct kf_aad *aad, const uint8_t *in,
	    size_t in_len, uint8_t *pt)
{
	size_t len;
	uint8_t tag[KF_TAG_BYTES];
	int ret;

	if (in_len < KF_WRAP_OVERHEAD)
		return -EBADMSG;
	len = in_len - KF_WRAP_OVERHEAD;
	memcpy(tag, in + KF_NONCE_BYTES + len, KF_TAG_BYTES);
	ret = gcm(false, key, aad, in, in + KF_NONCE_BYTES, len, pt, tag);
	if (ret < 0)
		OPENSSL_cleanse(pt, len);	/* nothing unauthenticated survives */
	return ret;
}

int kf_hkdf(const struct mkey_keyfile *kf, const char *label, uint8_t out[32])
{
	char digest[] = "SHA256";
	OSSL_PARAM params[5];
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	int ret = -EIO;

	if (!kf->master)
		return -EACCES;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return -EIO;
	ctx = EVP_KDF_CTX_new(kdf);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      kf->master->data, kf->master->len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						      (void *)kf->file_id.b,
						      sizeof(kf->file_id.b));
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      (void *)label, strlen(label));
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, 32, params) == 1)
		ret = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

int kf_hmac_sha256(const uint8_t key[32], const void *data, size_t len,
		   uint8_t out[KF_MAC_BYTES])
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	size_t out_len = 0;
	int ret = -EIO;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return -EIO;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx && EVP_MAC_init(ctx, key, 32, params) == 1 &&
	    EVP_MAC_update(ctx, data, len) == 1 &&
	    EVP_MAC_final(ctx, out, &out_len, KF_MAC_BYTES) == 1 &&
	    out_len == KF_MAC_BYTES)
		ret = 0;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

/* MAC over the canonical bytes before the "mac" member. */
static int mac_of_content(const struct mkey_keyfile *kf, uint8_t out[KF_MAC_BYTES])
{
	struct kf_buf body = { 0 };
	uint8_t key[32];
	int ret;

	ret = kf_hkdf(kf, KF_HKDF_MAC_LABEL, key);
	if (ret < 0)
		return ret;
	ret = kf_serialize(kf, false, &body);
	if (!ret)
		ret = kf_hmac_sha256(key, body.data, body.len, out);
	OPENSSL_cleanse(key, sizeof(key));
	kf_buf_free(&body);
	return ret;
}

int kf_compute_mac(struct mkey_keyfile *kf)
{
	return mac_of_content(kf, kf->mac);
}

int kf_unlock_with_kek(struct mkey_keyfile *kf, int idx, const uint8_t kek[32])
{
	struct mkey_secbuf *master = NULL;
	struct kf_aad aad;
	uint8_t mac[KF_MAC_BYTES];
	int ret;

	if (idx < 0 || idx >= kf->n_admins)
		return -ENOENT;
	ret = mkey_secbuf_new(MKEY_MASTER_KEY_BYTES, &master);
	if (ret < 0)
		return ret;
	kf_aad_master(kf, &kf->admins[idx].info, &aad);
	ret = kf_open(kek, &aad, kf->admins[idx].wrapped, KF_WRAPPED_MK_BYTES,
		      master->data);
	if (ret < 0) {
		mkey_secbuf_free(master);
		return ret == -EBADMSG ? -EKEYREJECTED : ret;
	}
	master->len = MKEY_MASTER_KEY_BYTES;
	mkey_secbuf_free(kf->master);
	kf->master = master;
	ret = mac_of_content(kf, mac);
	if (!ret && CRYPTO_memcmp(mac, kf->mac, KF_MAC_BYTES) != 0)
		ret = mkey_error_set(-EBADMSG, "the file MAC does not match: the file "
				     "was changed outside mkey, or is damaged");
	if (ret < 0) {
		mkey_secbuf_free(kf->master);
		kf->master = NULL;
		return ret;
	}
	snprintf(kf->unlocked_by, sizeof(kf->unlocked_by), "%s",
		 kf->admins[idx].info.name);
	return 0;
}
