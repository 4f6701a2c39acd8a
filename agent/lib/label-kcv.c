// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "mkey/label.h"

int mkey_kcv_compute(const uint8_t *key, size_t key_len,
		     const struct mkey_guid *volume_uuid,
		     const struct mkey_guid *key_guid,
		     uint8_t kcv[MKEY_KCV_SIZE])
{
	static const char msg[] = MKEY_KCV_MESSAGE;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t out_len = 0;
	int ret = -EIO;

	if (!mkey_key_bits_for_len(key_len))
		return -EINVAL;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx || EVP_MAC_init(ctx, key, key_len, params) != 1)
		goto out;
	if (EVP_MAC_update(ctx, (const unsigned char *)msg, sizeof(msg) - 1) != 1 ||
	    EVP_MAC_update(ctx, volume_uuid->b, MKEY_GUID_BYTES) != 1 ||
	    EVP_MAC_update(ctx, key_guid->b, MKEY_GUID_BYTES) != 1 ||
	    EVP_MAC_final(ctx, kcv, &out_len, MKEY_KCV_SIZE) != 1 ||
	    out_len != MKEY_KCV_SIZE)
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);	/* frees the keyed state with cleansing */
	EVP_MAC_free(mac);
	return ret;
}

int mkey_kcv_verify(const struct mkey_label *label, const uint8_t *key,
		    size_t key_len)
{
	uint8_t kcv[MKEY_KCV_SIZE];
	int ret;

	if (key_len != mkey_key_bytes(label->key_bits))
		return -EMSGSIZE;
	ret = mkey_kcv_compute(key, key_len, &label->volume_uuid,
			       &label->key_guid, kcv);
	if (ret < 0)
		return ret;
	ret = CRYPTO_memcmp(kcv, label->kcv, MKEY_KCV_SIZE) ? -EKEYREJECTED : 0;
	OPENSSL_cleanse(kcv, sizeof(kcv));
	return ret;
}
