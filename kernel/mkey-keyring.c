// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mkey: the module keyring.
 *
 * The module owns one keyring. Data keys are found only there, never in the
 * caller's session keyring: systemd gives every service a private session
 * keyring, so a key activated by one unit must still be visible to a table
 * load issued by another.
 */
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/key.h>
#include <linux/moduleparam.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <keys/user-type.h>

#include "mkey.h"

#define MKEY_KEYRING_DESC	"dm-mkey"
/* "mkey:" + 36-character GUID + NUL */
#define MKEY_KEY_DESC_LEN	(5 + UUID_STRING_LEN + 1)

static struct key *mkey_keyring;
static int mkey_keyring_serial;

/* Published read-only: a value given at load time must not pretend to work. */
static int mkey_keyring_param_set(const char *val,
				  const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops mkey_keyring_param_ops = {
	.set = mkey_keyring_param_set,
	.get = param_get_int,
};

module_param_cb(keyring, &mkey_keyring_param_ops, &mkey_keyring_serial, 0444);
MODULE_PARM_DESC(keyring,
		 "Serial number of the dm-mkey keyring holding active data keys (read-only)");

/* Only logon keys: their payload can never be read back to userspace. */
static int mkey_restrict_to_logon(struct key *keyring,
				  const struct key_type *type,
				  const union key_payload *payload,
				  struct key *restriction_key)
{
	return type == &key_type_logon ? 0 : -EPERM;
}

int mkey_keyring_init(void)
{
	struct key_restriction *restriction;
	/*
	 * The module possesses the keyring (it holds the reference), so POS
	 * permissions cover the target's own searches. Root reaches it by serial
	 * number without possessing it, so root's rights are the USR ones: view,
	 * list, add keys, search. Nobody else gets anything.
	 */
	key_perm_t perm = KEY_POS_VIEW | KEY_POS_READ | KEY_POS_WRITE |
			  KEY_POS_SEARCH |
			  KEY_USR_VIEW | KEY_USR_READ | KEY_USR_WRITE |
			  KEY_USR_SEARCH;

	/* The keyring owns the restriction and frees it when it dies. */
	restriction = kzalloc(sizeof(*restriction), GFP_KERNEL);
	if (!restriction)
		return -ENOMEM;
	restriction->check = mkey_restrict_to_logon;

	mkey_keyring = keyring_alloc(MKEY_KEYRING_DESC, GLOBAL_ROOT_UID,
				     GLOBAL_ROOT_GID, current_cred(), perm,
				     KEY_ALLOC_NOT_IN_QUOTA, restriction, NULL);
	if (IS_ERR(mkey_keyring)) {
		int r = PTR_ERR(mkey_keyring);

		kfree(restriction);
		mkey_keyring = NULL;
		return r;
	}
	mkey_keyring_serial = mkey_keyring->serial;
	return 0;
}

void mkey_keyring_exit(void)
{
	/*
	 * The keyring may outlive the module until the garbage collector gets
	 * to it, and an add_key() that looked it up just before invalidation
	 * would still call the restriction. Every caller of the check holds
	 * the keyring's semaphore, so dropping the check under it leaves no
	 * call into freed module text; a dying keyring needs no restriction.
	 */
	down_write(&mkey_keyring->sem);
	mkey_keyring->restrict_link->check = NULL;
	up_write(&mkey_keyring->sem);

	/* Invalidation makes the garbage collector unlink and wipe every key. */
	key_invalidate(mkey_keyring);
	key_put(mkey_keyring);
	mkey_keyring = NULL;
}

/*
 * Copy the payload of the logon key "mkey:<GUID>" into @key, which must be
 * exactly @key_size bytes long. The caller wipes @key after use.
 */
int mkey_keyring_copy_key(const uuid_t *guid, u8 *key, unsigned int key_size,
			  char **error)
{
	char desc[MKEY_KEY_DESC_LEN];
	const struct user_key_payload *payload;
	key_ref_t ref;
	struct key *k;
	int r = 0;

	snprintf(desc, sizeof(desc), "mkey:%pUB", guid);
	ref = keyring_search(make_key_ref(mkey_keyring, true), &key_type_logon,
			     desc, false);
	if (IS_ERR(ref)) {
		r = PTR_ERR(ref);
		if (r == -EKEYREVOKED || r == -EKEYEXPIRED) {
			DMERR("key %s is revoked or expired", desc);
			*error = "Key is not usable (revoked or expired)";
		} else {
			DMERR("key %s is not in the dm-mkey keyring (serial %d)",
			      desc, mkey_keyring_serial);
			*error = "Key is not active: no mkey:<GUID> key in the dm-mkey keyring";
			r = -ENOKEY;
		}
		return r;
	}

	k = key_ref_to_ptr(ref);
	down_read(&k->sem);
	payload = user_key_payload_locked(k);
	if (!payload) {
		/* Revoked between the search and the lock. */
		*error = "Key is not usable (revoked or expired)";
		r = -EKEYREVOKED;
	} else if (payload->datalen != key_size) {
		DMERR("key %s has %u bytes, the volume needs %u",
		      desc, payload->datalen, key_size);
		*error = "Active key has the wrong length for the volume's key size";
		r = -EINVAL;
	} else {
		memcpy(key, payload->data, key_size);
	}
	up_read(&k->sem);
	key_put(k);
	return r;
}
