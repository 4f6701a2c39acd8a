/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data keys in the dm-mkey module's own keyring (docs/dm-mkey-target.md):
 * logon keys described "mkey:<GUID>", payload = raw XTS key material.
 */
#ifndef MKEY_KEYRING_H
#define MKEY_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include <keyutils.h>

#include "mkey/guid.h"

#define MKEY_KEYRING_PARAM "/sys/module/dm_mkey/parameters/keyring"
#define MKEY_KEY_PREFIX	   "mkey:"

/*
 * Serial of the module keyring. -ENOPKG when the module is not loaded
 * (the parameter file is missing), -EBADMSG if it holds garbage.
 */
int mkey_keyring_serial(key_serial_t *serial);

/*
 * Adds @key as logon key mkey:<GUID> to the module keyring and lets root
 * find it without possessing the keyring. Never replaces an existing key:
 * returns -EEXIST (with its serial in @serial) when one is already there.
 * @key_len must be 32, 48 or 64 (-EINVAL otherwise).
 */
int mkey_key_add(const struct mkey_guid *guid, const uint8_t *key,
		 size_t key_len, key_serial_t *serial);

/*
 * Finds mkey:<GUID> in the module keyring only (never the session
 * keyring). Returns 0 with its serial, -ENOKEY if absent, -EKEYREVOKED /
 * -EKEYEXPIRED for a dead key, -ENOPKG if the module is not loaded.
 */
int mkey_key_find(const struct mkey_guid *guid, key_serial_t *serial);

struct mkey_active_key {
	key_serial_t serial;
	struct mkey_guid guid;
	int payload_bytes;	/* from /proc/keys; -1 when unknown */
};

/*
 * Lists the mkey:<GUID> keys in the module keyring. On success returns the
 * count and a malloc'ed array in @keys (free() it; NULL when 0).
 */
int mkey_key_list(struct mkey_active_key **keys);

/* Payload size of a key from /proc/keys, or a negative errno. */
int mkey_key_payload_bytes(key_serial_t serial);

/*
 * Deactivates a key: revokes it (so no holder can use it) and unlinks it
 * from the module keyring. Returns 0 or -ENOKEY when it is not active.
 * This does not look at mappings; see mkey_volume_deactivate_key().
 */
int mkey_key_remove(const struct mkey_guid *guid);

#endif
