// SPDX-License-Identifier: GPL-2.0
/* Activation of a key file: every DEK into the module keyring. */
#include <errno.h>
#include <stdlib.h>

#include "keyfile-internal.h"
#include "mkey/audit.h"
#include "mkey/keyring.h"

int mkey_keyfile_activate(const struct mkey_keyfile *kf,
			  struct mkey_keyfile_activation **results)
{
	struct mkey_keyfile_activation *res;
	key_serial_t ring;
	char ident[700], admin[200];
	int ret;

	*results = NULL;
	if (!kf->master)
		return -EACCES;
	ret = mkey_keyring_serial(&ring);
	if (ret < 0)
		return ret;
	res = calloc((size_t)kf->n_keys, sizeof(*res));
	if (!res)
		return -ENOMEM;
	kf_audit_ident(kf, ident, sizeof(ident));
	mkey_audit_quote(kf->unlocked_by, admin, sizeof(admin));
	for (int i = 0; i < kf->n_keys; i++) {
		const struct mkey_keyfile_key *k = &kf->keys[i].info;
		struct mkey_secbuf *dek = NULL;
		char text[MKEY_GUID_STR_LEN + 1];

		res[i].guid = k->guid;
		res[i].bits = k->bits;
		ret = mkey_keyfile_key_get(kf, &k->guid, &dek);
		if (!ret) {
			ret = mkey_key_add(&k->guid, dek->data, dek->len, &res[i].serial);
			mkey_secbuf_free(dek);
		}
		res[i].result = ret;
		mkey_guid_format(&k->guid, text);
		if (ret == 0 || ret == -EEXIST)
			mkey_audit(MKEY_AUDIT_KEY_ACTIVATED, "%s admin=%s key=%s result=%s",
				   ident, admin, text, ret ? "already-active" : "activated");
		else
			mkey_audit(MKEY_AUDIT_KEY_ACTIVATED, "%s admin=%s key=%s "
				   "result=failed errno=%d", ident, admin, text, -ret);
	}
	*results = res;
	return kf->n_keys;
}
