// SPDX-License-Identifier: GPL-2.0
/*
 * The key file model: accessors, unlocking, and the changes an unlocked
 * file allows. Every rule of the format is enforced here, so that no
 * caller can write a file that the parser would refuse.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "keyfile-internal.h"
#include "mkey/audit.h"
#include "mkey/label.h"
#include "error-detail.h"

struct mkey_keyfile *kf_alloc(void)
{
	struct mkey_keyfile *kf = calloc(1, sizeof(*kf));

	if (!kf)
		return NULL;
	kf->keys = calloc(MKEY_KEYFILE_MAX_KEYS, sizeof(*kf->keys));
	if (!kf->keys) {
		free(kf);
		return NULL;
	}
	kf->lock_fd = -1;
	return kf;
}

void mkey_keyfile_free(struct mkey_keyfile *kf)
{
	if (!kf)
		return;
	mkey_secbuf_free(kf->master);
	if (kf->lock_fd >= 0)
		close(kf->lock_fd);	/* releases the flock */
	free(kf->path);
	free(kf->real_path);
	OPENSSL_cleanse(kf->keys, MKEY_KEYFILE_MAX_KEYS * sizeof(*kf->keys));
	free(kf->keys);
	OPENSSL_cleanse(kf, sizeof(*kf));
	free(kf);
}

/* ---------------------------------------------------------------- accessors */

const char *mkey_keyfile_path(const struct mkey_keyfile *kf)
{
	return kf->path;
}

const struct mkey_guid *mkey_keyfile_id(const struct mkey_keyfile *kf)
{
	return &kf->file_id;
}

int64_t mkey_keyfile_created(const struct mkey_keyfile *kf)
{
	return kf->created;
}

const struct mkey_guid *mkey_keyfile_default_key(const struct mkey_keyfile *kf)
{
	return &kf->default_key;
}

int mkey_keyfile_key_count(const struct mkey_keyfile *kf)
{
	return kf->n_keys;
}

const struct mkey_keyfile_key *mkey_keyfile_key_at(const struct mkey_keyfile *kf, int i)
{
	return i >= 0 && i < kf->n_keys ? &kf->keys[i].info : NULL;
}

int mkey_keyfile_key_find(const struct mkey_keyfile *kf, const struct mkey_guid *guid)
{
	for (int i = 0; i < kf->n_keys; i++)
		if (mkey_guid_equal(&kf->keys[i].info.guid, guid))
			return i;
	return -ENOENT;
}

int mkey_keyfile_admin_count(const struct mkey_keyfile *kf)
{
	return kf->n_admins;
}

const struct mkey_keyfile_admin *mkey_keyfile_admin_at(const struct mkey_keyfile *kf, int i)
{
	return i >= 0 && i < kf->n_admins ? &kf->admins[i].info : NULL;
}

int mkey_keyfile_admin_find(const struct mkey_keyfile *kf, const char *name)
{
	char norm[MKEY_ADMIN_NAME_MAX + 1];

	if (mkey_admin_name_normalize(name, norm) < 0)
		return -ENOENT;
	for (int i = 0; i < kf->n_admins; i++)
		if (strcmp(kf->admins[i].info.name, norm) == 0)
			return i;
	return -ENOENT;
}

bool mkey_keyfile_is_unlocked(const struct mkey_keyfile *kf)
{
	return kf->master != NULL;
}

const char *mkey_keyfile_unlocked_by(const struct mkey_keyfile *kf)
{
	return kf->master ? kf->unlocked_by : NULL;
}

/* ---------------------------------------------------------------- names */

int mkey_admin_name_normalize(const char *name, char out[MKEY_ADMIN_NAME_MAX + 1])
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0)
		return mkey_error_set(-EINVAL, "administrator name is empty");
	if (len > MKEY_ADMIN_NAME_MAX)
		return mkey_error_set(-EINVAL, "administrator name is longer than %d "
				      "characters", MKEY_ADMIN_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x21 || c > 0x7e)
			return mkey_error_set(-EINVAL, "administrator names are printable "
					      "ASCII without blanks (character %zu is "
					      "not)", i + 1);
		out[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
	}
	out[len] = '\0';
	return 0;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned int c = *s, n, cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (unsigned int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

int mkey_key_description_check(const char *desc)
{
	size_t len = strlen(desc);

	if (len > MKEY_KEY_DESC_MAX)
		return mkey_error_set(-EINVAL, "description is longer than %d bytes",
				      MKEY_KEY_DESC_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)desc[i];

		if (c < 0x20 || c == 0x7f)
			return mkey_error_set(-EINVAL, "description holds a control character");
	}
	if (!utf8_valid((const unsigned char *)desc))
		return mkey_error_set(-EINVAL, "description is not valid UTF-8");
	return 0;
}

/* ---------------------------------------------------------------- audit */

void kf_audit_ident(const struct mkey_keyfile *kf, char *buf, size_t len)
{
	char quoted[600], id[MKEY_GUID_STR_LEN + 1];

	mkey_guid_format(&kf->file_id, id);
	if (kf->real_path || kf->path)
		snprintf(buf, len, "file=%s file_id=%s",
			 mkey_audit_quote(kf->real_path ? kf->real_path : kf->path,
					  quoted, sizeof(quoted)), id);
	else
		snprintf(buf, len, "file_id=%s", id);
}

void kf_pending_add(struct mkey_keyfile *kf, enum mkey_audit_event ev,
		    const char *fmt, ...)
{
	struct kf_pending *p;
	va_list ap;

	if (kf->n_pending == KF_MAX_PENDING)
		return;
	p = &kf->pending[kf->n_pending++];
	p->event = ev;
	va_start(ap, fmt);
	vsnprintf(p->fields, sizeof(p->fields), fmt, ap);
	va_end(ap);
}

void kf_pending_flush(struct mkey_keyfile *kf)
{
	char ident[700], admin[200];

	kf_audit_ident(kf, ident, sizeof(ident));
	mkey_audit_quote(kf->unlocked_by, admin, sizeof(admin));
	for (int i = 0; i < kf->n_pending; i++)
		mkey_audit(kf->pending[i].event, "%s admin=%s %s", ident, admin,
			   kf->pending[i].fields);
	kf->n_pending = 0;
}

/* ---------------------------------------------------------------- unlock */

int mkey_keyfile_unlock(struct mkey_keyfile *kf, const char *admin,
			const uint8_t *password, size_t password_len)
{
	struct mkey_secbuf *kek = NULL;
	char ident[700], name[MKEY_ADMIN_NAME_MAX + 1], quoted[200];
	int idx, ret;

	kf_audit_ident(kf, ident, sizeof(ident));
	idx = mkey_keyfile_admin_find(kf, admin);
	if (idx < 0) {
		if (mkey_admin_name_normalize(admin, name) < 0)
			snprintf(name, sizeof(name), "%s", "(invalid name)");
		mkey_audit(MKEY_AUDIT_AUTH_FAILED, "%s admin=%s reason=unknown-admin",
			   ident, mkey_audit_quote(name, quoted, sizeof(quoted)));
		return mkey_error_set(-ENOENT, "no administrator %s in this key file", name);
	}
	ret = mkey_secbuf_new(MKEY_KDF_KEY_BYTES, &kek);
	if (ret < 0)
		return ret;
	ret = mkey_kdf_derive(&kf->admins[idx].info.kdf, password, password_len, kek->data);
	if (!ret)
		ret = kf_unlock_with_kek(kf, idx, kek->data);
	mkey_secbuf_free(kek);
	if (ret == -EKEYREJECTED) {
		mkey_audit(MKEY_AUDIT_AUTH_FAILED, "%s admin=%s reason=wrong-password",
			   ident, mkey_audit_quote(kf->admins[idx].info.name, quoted,
						   sizeof(quoted)));
		return mkey_error_set(ret, "wrong password for administrator %s",
				      kf->admins[idx].info.name);
	}
	if (ret == -EBADMSG)
		mkey_audit(MKEY_AUDIT_INTEGRITY_FAILED, "%s admin=%s reason=mac-mismatch",
			   ident, mkey_audit_quote(kf->admins[idx].info.name, quoted,
						   sizeof(quoted)));
	return ret;
}

static int key_wrapping_key(const struct mkey_keyfile *kf, uint8_t out[32])
{
	return kf_hkdf(kf, KF_HKDF_WRAP_LABEL, out);
}

int mkey_keyfile_key_get(const struct mkey_keyfile *kf, const struct mkey_guid *guid,
			 struct mkey_secbuf **key)
{
	struct mkey_secbuf *out = NULL;
	const struct kf_key *k;
	struct kf_aad aad;
	uint8_t kwk[32];
	int idx, ret;

	*key = NULL;
	if (!kf->master)
		return -EACCES;
	idx = mkey_keyfile_key_find(kf, guid);
	if (idx < 0)
		return idx;
	k = &kf->keys[idx];
	ret = mkey_secbuf_new(k->info.bits / 4, &out);
	if (ret < 0)
		return ret;
	ret = key_wrapping_key(kf, kwk);
	if (!ret) {
		kf_aad_dek(kf, &k->info.guid, k->info.bits, &aad);
		ret = kf_open(kwk, &aad, k->wrapped, k->wrapped_len, out->data);
	}
	OPENSSL_cleanse(kwk, sizeof(kwk));
	if (ret < 0) {
		mkey_secbuf_free(out);
		return ret;
	}
	out->len = k->info.bits / 4;
	*key = out;
	return 0;
}

/* ---------------------------------------------------------------- changes */

static int64_t now(void)
{
	return (int64_t)time(NULL);
}

static int wrap_master(struct mkey_keyfile *kf, struct kf_admin *a,
		       const uint8_t *password, size_t password_len)
{
	struct mkey_secbuf *kek = NULL;
	struct kf_aad aad;
	int ret;

	ret = mkey_secbuf_new(MKEY_KDF_KEY_BYTES, &kek);
	if (ret < 0)
		return ret;
	ret = mkey_kdf_derive(&a->info.kdf, password, password_len, kek->data);
	if (!ret) {
		kf_aad_master(kf, &a->info, &aad);
		ret = kf_seal(kek->data, &aad, kf->master->data, MKEY_MASTER_KEY_BYTES,
			      a->wrapped);
	}
	mkey_secbuf_free(kek);
	return ret;
}

static int check_password(const uint8_t *password, size_t password_len)
{
	if (!password || password_len == 0)
		return mkey_error_set(-EINVAL, "the password is empty");
	return 0;
}

int mkey_keyfile_key_add(struct mkey_keyfile *kf, uint32_t bits, const char *description,
			 const uint8_t *material, size_t material_len,
			 const struct mkey_guid *guid, struct mkey_guid *guid_out)
{
	struct mkey_secbuf *dek = NULL;
	struct kf_key *k;
	struct kf_aad aad;
	char text[MKEY_GUID_STR_LEN + 1];
	uint8_t kwk[32];
	int ret;

	if (!kf->master)
		return -EACCES;
	if (material)
		bits = mkey_key_bits_for_len(material_len);
	if (bits != 128 && bits != 192 && bits != 256)
		return mkey_error_set(-EINVAL, material ? "a raw key is 32, 48 or 64 bytes" :
				      "key size must be 128, 192 or 256 bits");
	if (!description)
		description = "";
	ret = mkey_key_description_check(description);
	if (ret < 0)
		return ret;
	if (kf->n_keys >= MKEY_KEYFILE_MAX_KEYS)
		return mkey_error_set(-ENOSPC, "the key file already holds the maximum "
				      "of %d keys", MKEY_KEYFILE_MAX_KEYS);
	k = &kf->keys[kf->n_keys];
	memset(k, 0, sizeof(*k));
	if (guid) {
		k->info.guid = *guid;
	} else if (mkey_guid_generate(&k->info.guid) < 0) {
		return mkey_error_set(-EIO, "random number generator failed");
	}
	mkey_guid_format(&k->info.guid, text);
	if (mkey_keyfile_key_find(kf, &k->info.guid) >= 0)
		return mkey_error_set(-EEXIST, "key %s is already in the key file", text);
	k->info.bits = bits;
	snprintf(k->info.description, sizeof(k->info.description), "%s", description);
	k->info.created = now();
	k->wrapped_len = bits / 4 + KF_WRAP_OVERHEAD;

	ret = mkey_secbuf_new(bits / 4, &dek);
	if (ret < 0)
		return ret;
	if (material)
		memcpy(dek->data, material, material_len);
	else if (RAND_priv_bytes(dek->data, bits / 4) != 1)
		ret = mkey_error_set(-EIO, "random number generator failed");
	if (!ret)
		ret = key_wrapping_key(kf, kwk);
	if (!ret) {
		kf_aad_dek(kf, &k->info.guid, bits, &aad);
		ret = kf_seal(kwk, &aad, dek->data, bits / 4, k->wrapped);
	}
	OPENSSL_cleanse(kwk, sizeof(kwk));
	mkey_secbuf_free(dek);
	if (ret < 0)
		return ret;
	kf->n_keys++;
	if (guid_out)
		*guid_out = k->info.guid;
	kf_pending_add(kf, material ? MKEY_AUDIT_KEY_IMPORTED : MKEY_AUDIT_KEY_ADDED,
		       "key=%s bits=%u", text, bits);
	return 0;
}

int mkey_keyfile_key_delete(struct mkey_keyfile *kf, const struct mkey_guid *guid)
{
	char text[MKEY_GUID_STR_LEN + 1];
	int idx;

	if (!kf->master)
		return -EACCES;
	mkey_guid_format(guid, text);
	idx = mkey_keyfile_key_find(kf, guid);
	if (idx < 0)
		return mkey_error_set(-ENOENT, "no key %s in the key file", text);
	if (mkey_guid_equal(guid, &kf->default_key))
		return mkey_error_set(-EPERM, "key %s is the default key; make another "
				      "key the default first", text);
	OPENSSL_cleanse(&kf->keys[idx], sizeof(kf->keys[idx]));
	memmove(&kf->keys[idx], &kf->keys[idx + 1],
		(size_t)(kf->n_keys - idx - 1) * sizeof(kf->keys[0]));
	kf->n_keys--;
	memset(&kf->keys[kf->n_keys], 0, sizeof(kf->keys[0]));
	kf_pending_add(kf, MKEY_AUDIT_KEY_DELETED, "key=%s", text);
	return 0;
}

int mkey_keyfile_set_default(struct mkey_keyfile *kf, const struct mkey_guid *guid)
{
	char text[MKEY_GUID_STR_LEN + 1];

	if (!kf->master)
		return -EACCES;
	mkey_guid_format(guid, text);
	if (mkey_keyfile_key_find(kf, guid) < 0)
		return mkey_error_set(-ENOENT, "no key %s in the key file", text);
	kf->default_key = *guid;
	kf_pending_add(kf, MKEY_AUDIT_DEFAULT_KEY_SET, "key=%s", text);
	return 0;
}

int mkey_keyfile_admin_add(struct mkey_keyfile *kf, const char *name,
			   const uint8_t *password, size_t password_len,
			   const struct mkey_kdf_params *kdf)
{
	struct kf_admin *a;
	char norm[MKEY_ADMIN_NAME_MAX + 1], quoted[200];
	int ret;

	if (!kf->master)
		return -EACCES;
	ret = mkey_admin_name_normalize(name, norm);
	if (!ret)
		ret = check_password(password, password_len);
	if (!ret && mkey_kdf_params_check(kdf) < 0)
		ret = -EINVAL;
	if (ret)
		return ret;
	if (mkey_keyfile_admin_find(kf, norm) >= 0)
		return mkey_error_set(-EEXIST, "administrator %s already exists", norm);
	if (kf->n_admins >= MKEY_KEYFILE_MAX_ADMINS)
		return mkey_error_set(-ENOSPC, "the key file already has the maximum "
				      "of %d administrators", MKEY_KEYFILE_MAX_ADMINS);
	a = &kf->admins[kf->n_admins];
	memset(a, 0, sizeof(*a));
	memcpy(a->info.name, norm, sizeof(norm));
	a->info.created = now();
	a->info.kdf = *kdf;
	ret = wrap_master(kf, a, password, password_len);
	if (ret < 0) {
		memset(a, 0, sizeof(*a));
		return ret;
	}
	kf->n_admins++;
	kf_pending_add(kf, MKEY_AUDIT_ADMIN_ADDED, "target=%s kdf=%s",
		       mkey_audit_quote(norm, quoted, sizeof(quoted)),
		       mkey_kdf_type_name(kdf->type));
	return 0;
}

int mkey_keyfile_admin_remove(struct mkey_keyfile *kf, const char *name)
{
	char quoted[200];
	int idx;

	if (!kf->master)
		return -EACCES;
	idx = mkey_keyfile_admin_find(kf, name);
	if (idx < 0)
		return mkey_error_set(-ENOENT, "no administrator %s in the key file", name);
	if (kf->n_admins == 1)
		return mkey_error_set(-EPERM, "%s is the last administrator; add another "
				      "one first", kf->admins[idx].info.name);
	mkey_audit_quote(kf->admins[idx].info.name, quoted, sizeof(quoted));
	memmove(&kf->admins[idx], &kf->admins[idx + 1],
		(size_t)(kf->n_admins - idx - 1) * sizeof(kf->admins[0]));
	kf->n_admins--;
	memset(&kf->admins[kf->n_admins], 0, sizeof(kf->admins[0]));
	kf_pending_add(kf, MKEY_AUDIT_ADMIN_REMOVED, "target=%s", quoted);
	return 0;
}

int mkey_keyfile_admin_set_password(struct mkey_keyfile *kf, const char *name,
				    const uint8_t *password, size_t password_len,
				    const struct mkey_kdf_params *kdf)
{
	struct kf_admin a;
	char quoted[200];
	int idx, ret;

	if (!kf->master)
		return -EACCES;
	idx = mkey_keyfile_admin_find(kf, name);
	if (idx < 0)
		return mkey_error_set(-ENOENT, "no administrator %s in the key file", name);
	ret = check_password(password, password_len);
	if (!ret && mkey_kdf_params_check(kdf) < 0)
		ret = -EINVAL;
	if (ret)
		return ret;
	a = kf->admins[idx];
	a.info.kdf = *kdf;
	ret = wrap_master(kf, &a, password, password_len);
	if (ret < 0)
		return ret;
	kf->admins[idx] = a;
	kf_pending_add(kf, MKEY_AUDIT_PASSWORD_CHANGED, "target=%s kdf=%s",
		       mkey_audit_quote(a.info.name, quoted, sizeof(quoted)),
		       mkey_kdf_type_name(kdf->type));
	return 0;
}

int mkey_keyfile_new(const char *admin, const uint8_t *password, size_t password_len,
		     const struct mkey_kdf_params *kdf, uint32_t bits,
		     const char *description, struct mkey_keyfile **out)
{
	struct mkey_keyfile *kf;
	struct mkey_guid guid;
	int ret;

	*out = NULL;
	kf = kf_alloc();
	if (!kf)
		return -ENOMEM;
	kf->is_new = true;
	kf->created = now();
	ret = mkey_guid_generate(&kf->file_id);
	if (!ret)
		ret = mkey_secbuf_new(MKEY_MASTER_KEY_BYTES, &kf->master);
	if (!ret && RAND_priv_bytes(kf->master->data, MKEY_MASTER_KEY_BYTES) != 1)
		ret = mkey_error_set(-EIO, "random number generator failed");
	if (ret)
		goto fail;
	kf->master->len = MKEY_MASTER_KEY_BYTES;
	ret = mkey_keyfile_admin_add(kf, admin, password, password_len, kdf);
	if (ret)
		goto fail;
	snprintf(kf->unlocked_by, sizeof(kf->unlocked_by), "%s", kf->admins[0].info.name);
	ret = mkey_keyfile_key_add(kf, bits, description, NULL, 0, NULL, &guid);
	if (ret)
		goto fail;
	kf->default_key = guid;
	/* The creation is one event; its first administrator and key are in it. */
	kf->n_pending = 0;
	{
		char text[MKEY_GUID_STR_LEN + 1];

		mkey_guid_format(&guid, text);
		kf_pending_add(kf, MKEY_AUDIT_KEYFILE_CREATED, "key=%s bits=%u kdf=%s",
			       text, bits, mkey_kdf_type_name(kdf->type));
	}
	*out = kf;
	return 0;
fail:
	mkey_keyfile_free(kf);
	return ret;
}
