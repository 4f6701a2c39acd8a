// SPDX-License-Identifier: GPL-2.0
/*
 * mkey keys on KMIP servers: create, look up, fetch (derive the XTS key),
 * activate into the module keyring, destroy. See mkey/kmip.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>

#include "error-detail.h"
#include "kmip-internal.h"
#include "mkey/audit.h"
#include "mkey/error.h"
#include "mkey/keyring.h"
#include "mkey/kmip.h"
#include "mkey/volume.h"

static void key_name(const struct mkey_guid *g, char out[64])
{
	char text[MKEY_GUID_STR_LEN + 1];

	mkey_guid_format(g, text);
	snprintf(out, 64, "%s%s", MKEY_KMIP_KEY_PREFIX, text);
}

int mkey_kmip_derive_xts(const uint8_t *k, size_t n, const struct mkey_guid *guid,
			 struct mkey_secbuf **xts)
{
	char digest[] = "SHA256", info[] = MKEY_KMIP_XTS_INFO;
	struct mkey_secbuf *out = NULL;
	OSSL_PARAM params[5];
	EVP_KDF_CTX *ctx = NULL;
	EVP_KDF *kdf;
	int ret;

	*xts = NULL;
	if (n != 16 && n != 24 && n != 32)
		return mkey_error_set(-EMSGSIZE, "%zu bytes of KMIP key material "
				      "(AES keys have 16, 24 or 32)", n);
	ret = mkey_secbuf_new(2 * n, &out);
	if (ret)
		return ret;
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)k, n);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						      (void *)guid->b, sizeof(guid->b));
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info,
						      strlen(info));
	params[4] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_KDF_derive(ctx, out->data, 2 * n, params) != 1) {
		ret = mkey_error_set(-EIO, "HKDF-SHA256 failed");
		mkey_secbuf_free(out);
	} else {
		out->len = 2 * n;
		*xts = out;
	}
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ret;
}

static bool desc_ok(const char *s)
{
	if (strlen(s) > MKEY_KMIP_DESC_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* "key=GUID server=NAME host=HOST:PORT uid=\"...\"" for audit lines. */
static void audit_ident(struct mkey_kmip_client *c, const struct mkey_guid *g,
			const char *uid, char *buf, size_t len)
{
	char text[MKEY_GUID_STR_LEN + 1], quid[2 * MKEY_KMIP_UID_MAX + 8];
	const char *host = mkey_kmip_answered_by(c);

	mkey_guid_format(g, text);
	mkey_audit_quote(uid ? uid : "", quid, sizeof(quid));
	snprintf(buf, len, "key=%s source=kmip server=%s host=%s uid=%s", text,
		 mkey_kmip_client_config(c)->name, host ? host : "none", quid);
}

int mkey_kmip_key_create(struct mkey_kmip_client *c, uint32_t bits,
			 const char *description, struct mkey_kmip_keyrec *rec)
{
	const struct mkey_kmip_config *cfg = mkey_kmip_client_config(c);
	char name[64], ident[700], detail[512];
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (!description)
		description = "";
	if (!desc_ok(description))
		return mkey_error_set(-EINVAL, "description: at most %d bytes, no "
				      "control characters", MKEY_KMIP_DESC_MAX);
	if (bits != 128 && bits != 192 && bits != 256)
		return mkey_error_set(-EINVAL, "AES keys have 128, 192 or 256 bits");
	if (mkey_guid_generate(&rec->guid) < 0)
		return mkey_error_set(-EIO, "random number generator failed");
	key_name(&rec->guid, name);
	ret = mkey_kmip_create(c, bits, name, rec->uid);
	if (ret)
		return ret;
	snprintf(rec->server, sizeof(rec->server), "%s", cfg->name);
	rec->bits = bits;
	snprintf(rec->description, sizeof(rec->description), "%s", description);
	rec->created = (int64_t)time(NULL);
	audit_ident(c, &rec->guid, rec->uid, ident, sizeof(ident));
	mkey_audit(MKEY_AUDIT_KEY_ADDED, "%s bits=%u", ident, bits);
	ret = mkey_kmip_keys_put(cfg->dir, rec);
	if (ret) {
		snprintf(detail, sizeof(detail), "%s", mkey_error_detail());
		return mkey_error_set(ret, "created KMIP object %s named %s on %s, but "
				      "cannot record it in %s/%s: %s", rec->uid, name,
				      mkey_kmip_answered_by(c), cfg->dir,
				      MKEY_KMIP_STATE_FILE, detail[0] ? detail :
				      mkey_strerror(ret));
	}
	return mkey_kmip_activate(c, rec->uid);
}

int mkey_kmip_key_lookup(struct mkey_kmip_client *c, const struct mkey_guid *guid,
			 struct mkey_kmip_keyrec *rec, struct mkey_kmip_object *obj)
{
	const struct mkey_kmip_config *cfg = mkey_kmip_client_config(c);
	char (*uids)[MKEY_KMIP_UID_MAX + 1] = NULL;
	struct mkey_kmip_keyrec r;
	struct mkey_kmip_object o;
	char name[64], detail[512];
	bool recorded = false;
	int ret, n;

	key_name(guid, name);
	ret = mkey_kmip_keys_find(cfg->dir, guid, &r);
	if (ret && ret != -ENOENT)
		return ret;
	recorded = ret == 0 && !strcmp(r.server, cfg->name);
	if (!recorded) {
		n = mkey_kmip_locate(c, name, &uids);
		if (n < 0)
			return n;
		if (n == 0)
			return mkey_error_set(-ENOENT, "%s: no key named %s",
					      mkey_kmip_answered_by(c), name);
		if (n > 1) {
			free(uids);
			return mkey_error_set(-ENOTUNIQ, "%s: %d objects are named %s; "
					      "mkey cannot tell which one holds the key",
					      mkey_kmip_answered_by(c), n, name);
		}
		memset(&r, 0, sizeof(r));
		r.guid = *guid;
		snprintf(r.server, sizeof(r.server), "%s", cfg->name);
		snprintf(r.uid, sizeof(r.uid), "%s", uids[0]);
		free(uids);
	}
	ret = mkey_kmip_get_object(c, r.uid, &o);
	if (ret == -ENOENT && recorded) {
		snprintf(detail, sizeof(detail), "%s", mkey_error_detail());
		return mkey_error_set(ret, "%s (the object recorded for key %s in %s/%s)",
				      detail, name + strlen(MKEY_KMIP_KEY_PREFIX),
				      cfg->dir, MKEY_KMIP_STATE_FILE);
	}
	if (ret)
		return ret;
	if (!o.have_guid || !mkey_guid_equal(&o.guid, guid))
		return mkey_error_set(-EKEYREJECTED, "%s: object %s is named '%s', not "
				      "%s; %s/%s and the server disagree",
				      mkey_kmip_answered_by(c), r.uid,
				      o.n_names ? o.name : "", name, cfg->dir,
				      MKEY_KMIP_STATE_FILE);
	if (!recorded) {
		r.bits = o.bits == 128 || o.bits == 192 || o.bits == 256 ?
			 (uint32_t)o.bits : 0;
		r.created = o.initial_date;
	}
	if (rec) {
		*rec = r;
		rec->recorded_here = recorded;
	}
	if (obj)
		*obj = o;
	return 0;
}

int mkey_kmip_key_fetch(struct mkey_kmip_client *c, const struct mkey_guid *guid,
			struct mkey_secbuf **xts, struct mkey_kmip_keyrec *rec)
{
	const struct mkey_kmip_config *cfg = mkey_kmip_client_config(c);
	struct mkey_secbuf *key = NULL;
	struct mkey_kmip_keyrec r;
	struct mkey_kmip_object o;
	const char *host;
	uint32_t alg = 0;
	int32_t bits = 0;
	int ret;

	*xts = NULL;
	ret = mkey_kmip_key_lookup(c, guid, &r, &o);
	if (ret)
		return ret;
	host = mkey_kmip_answered_by(c);
	switch (o.state) {
	case MKEY_KMIP_STATE_ACTIVE:
	case MKEY_KMIP_STATE_UNKNOWN:
		break;
	case MKEY_KMIP_STATE_PRE_ACTIVE:
		return mkey_error_set(-ENOKEY, "%s: object %s is pre-active (never "
				      "activated on the server)", host, r.uid);
	default:
		return mkey_error_set(-EKEYREVOKED, "%s: object %s is %s", host, r.uid,
				      mkey_kmip_state_name(o.state));
	}
	ret = mkey_kmip_get(c, r.uid, &key, &alg, &bits);
	if (ret)
		return ret;
	if ((alg && alg != 3) || (o.algorithm && o.algorithm != 3)) {
		ret = mkey_error_set(-EMEDIUMTYPE, "%s: object %s is not an AES key",
				     host, r.uid);
	} else if ((bits && (size_t)bits != key->len * 8) ||
		   (o.bits && (size_t)o.bits != key->len * 8)) {
		ret = mkey_error_set(-EMSGSIZE, "%s: object %s has %zu bytes of key "
				     "material for a %d-bit key", host, r.uid, key->len,
				     bits ? bits : o.bits);
	} else {
		ret = mkey_kmip_derive_xts(key->data, key->len, guid, xts);
	}
	mkey_secbuf_free(key);
	if (ret)
		return ret;
	r.bits = (uint32_t)(*xts)->len * 4;
	if (!r.recorded_here) {
		/*
		 * Found by name: record it, unless another definition's record
		 * has it (that one stays). Best effort: a read-only /etc
		 * (initramfs) must not fail a fetch.
		 */
		struct mkey_kmip_keyrec other;
		char saved[512];

		snprintf(saved, sizeof(saved), "%s", mkey_error_detail());
		if (mkey_kmip_keys_find(cfg->dir, guid, &other) == -ENOENT &&
		    mkey_kmip_keys_put(cfg->dir, &r) == 0)
			r.recorded_here = true;
		mkey_error_set(0, "%s", saved);
	}
	if (rec)
		*rec = r;
	return 0;
}

int mkey_kmip_key_activate(struct mkey_kmip_client *c, const struct mkey_guid *guid,
			   key_serial_t *serial, struct mkey_kmip_keyrec *rec)
{
	struct mkey_secbuf *xts = NULL;
	struct mkey_kmip_keyrec r;
	char ident[700];
	int ret;

	*serial = 0;
	ret = mkey_kmip_key_fetch(c, guid, &xts, &r);
	if (ret) {
		audit_ident(c, guid, NULL, ident, sizeof(ident));
		mkey_audit(MKEY_AUDIT_KEY_ACTIVATED, "%s result=failed errno=%d", ident, -ret);
		return ret;
	}
	ret = mkey_key_add(guid, xts->data, xts->len, serial);
	mkey_secbuf_free(xts);
	audit_ident(c, guid, r.uid, ident, sizeof(ident));
	if (ret == 0 || ret == -EEXIST)
		mkey_audit(MKEY_AUDIT_KEY_ACTIVATED, "%s bits=%u result=%s", ident, r.bits,
			   ret ? "already-active" : "activated");
	else
		mkey_audit(MKEY_AUDIT_KEY_ACTIVATED, "%s bits=%u result=failed errno=%d",
			   ident, r.bits, -ret);
	if (rec)
		*rec = r;
	return ret;
}

int mkey_kmip_key_destroy(struct mkey_kmip_client *c, const struct mkey_guid *guid,
			  struct mkey_kmip_keyrec *rec)
{
	const struct mkey_kmip_config *cfg = mkey_kmip_client_config(c);
	char users[4096], text[MKEY_GUID_STR_LEN + 1], ident[700];
	struct mkey_kmip_keyrec r;
	struct mkey_kmip_object o;
	key_serial_t serial;
	bool active;
	int ret, n;

	mkey_guid_format(guid, text);
	/* 1. Nothing is done while a volume uses the key here. */
	n = mkey_volume_key_users(guid, users, sizeof(users));
	if (n < 0)
		return n;
	if (n > 0)
		return mkey_error_set(-EBUSY, "key %s is used by %s; close the "
				      "volumes first", text, users);
	active = mkey_key_find(guid, &serial) == 0;
	/* 2. The server is reached and the object confirmed before any change. */
	ret = mkey_kmip_key_lookup(c, guid, &r, &o);
	if (ret)
		return ret;
	if (rec)
		*rec = r;
	/* 3. Deactivate here: refused atomically if a mapping is open meanwhile. */
	if (active) {
		ret = mkey_volume_deactivate_key(guid, NULL);
		if (ret && ret != -ENOKEY && ret != -ENOPKG)
			return ret;
	}
	/* 4. Revoke (an Active key cannot be destroyed), destroy, forget. */
	if (o.state == MKEY_KMIP_STATE_ACTIVE) {
		ret = mkey_kmip_revoke(c, r.uid, false, "destroyed with mkey kmip-destroy");
		if (ret)
			return ret;
	}
	ret = mkey_kmip_destroy(c, r.uid);
	if (ret)
		return ret;
	audit_ident(c, guid, r.uid, ident, sizeof(ident));
	mkey_audit(MKEY_AUDIT_KEY_DELETED, "%s", ident);
	ret = mkey_kmip_keys_remove(cfg->dir, guid);
	if (ret == -ENOENT)
		ret = 0;
	return ret;
}

int mkey_kmip_key_source_load(const char *location, const struct mkey_guid *guid,
			      struct mkey_secbuf **key)
{
	struct mkey_kmip_config *cfg = NULL;
	struct mkey_kmip_client *c = NULL;
	int ret;

	*key = NULL;
	ret = mkey_kmip_config_load(NULL, location, &cfg);
	if (!ret)
		ret = mkey_kmip_client_new(cfg, &c);
	if (!ret)
		ret = mkey_kmip_key_fetch(c, guid, key, NULL);
	mkey_kmip_client_free(c);
	mkey_kmip_config_free(cfg);
	return ret;
}
