// SPDX-License-Identifier: GPL-2.0
/*
 * The module keyring. Root does not possess it (it is linked into no
 * process keyring), so every access goes by the "user" permissions the
 * module and mkey_key_add() grant to uid 0. Keys added by other tools
 * (keyctl padd) only grant "user view"; for those, lookups fall back from
 * keyctl_search to reading the keyring and describing each key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkey/keyring.h"
#include "mkey/label.h"
#include "error-detail.h"

/* What root needs on a key it did not create in its own keyrings. */
#define MKEY_KEY_PERM (KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_SEARCH | \
		       KEY_USR_WRITE | KEY_USR_SETATTR)

int mkey_keyring_serial(key_serial_t *serial)
{
	char text[32] = "", *end;
	long val;
	FILE *f;

	f = fopen(MKEY_KEYRING_PARAM, "re");
	if (!f)
		return errno == ENOENT ? -ENOPKG : -errno;
	if (!fgets(text, sizeof(text), f)) {
		fclose(f);
		return -EBADMSG;
	}
	fclose(f);
	errno = 0;
	val = strtol(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n') || val <= 0 ||
	    val > INT32_MAX)
		return -EBADMSG;
	*serial = (key_serial_t)val;
	return 0;
}

static void key_description(const struct mkey_guid *guid, char *out, size_t len)
{
	char text[MKEY_GUID_STR_LEN + 1];

	mkey_guid_format(guid, text);
	snprintf(out, len, MKEY_KEY_PREFIX "%s", text);
}

/*
 * keyctl_describe gives "type;uid;gid;perm;description". Returns 0 and the
 * GUID when the key is a logon mkey:<GUID> key.
 */
static int describe_mkey_key(key_serial_t key, struct mkey_guid *guid)
{
	char *desc = NULL, *p;
	int ret = -EINVAL, field;

	if (keyctl_describe_alloc(key, &desc) < 0)
		return -errno;
	p = desc;
	for (field = 0; field < 4 && p; field++) {
		p = strchr(p, ';');
		if (p)
			p++;
	}
	if (p && strncmp(desc, "logon;", 6) == 0 &&
	    strncmp(p, MKEY_KEY_PREFIX, strlen(MKEY_KEY_PREFIX)) == 0 &&
	    mkey_guid_parse(p + strlen(MKEY_KEY_PREFIX), guid) == 0)
		ret = 0;
	free(desc);
	return ret;
}

/* Reads the keyring's member serials; returns the count or -errno. */
static int keyring_members(key_serial_t ring, key_serial_t **members)
{
	void *buf = NULL;
	long n;

	n = keyctl_read_alloc(ring, &buf);
	if (n < 0)
		return -errno;
	*members = buf;
	return (int)(n / (long)sizeof(key_serial_t));
}

static int scan_for(key_serial_t ring, const struct mkey_guid *guid,
		    key_serial_t *serial)
{
	key_serial_t *members = NULL;
	int n, i, ret = -ENOKEY;

	n = keyring_members(ring, &members);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		struct mkey_guid g;

		if (describe_mkey_key(members[i], &g) == 0 && mkey_guid_equal(&g, guid)) {
			*serial = members[i];
			ret = 0;
			break;
		}
	}
	free(members);
	return ret;
}

int mkey_key_find(const struct mkey_guid *guid, key_serial_t *serial)
{
	char desc[64];
	key_serial_t ring;
	long key;
	int ret;

	ret = mkey_keyring_serial(&ring);
	if (ret < 0)
		return ret;
	key_description(guid, desc, sizeof(desc));
	/* Searching the module keyring as the ring: the session keyring is never consulted. */
	key = keyctl_search(ring, "logon", desc, 0);
	if (key >= 0) {
		*serial = (key_serial_t)key;
		return 0;
	}
	if (errno == EACCES)
		return scan_for(ring, guid, serial);
	return -errno;
}

int mkey_key_add(const struct mkey_guid *guid, const uint8_t *key,
		 size_t key_len, key_serial_t *serial)
{
	char desc[64];
	key_serial_t ring, existing;
	key_serial_t added;
	int ret;

	if (!mkey_key_bits_for_len(key_len))
		return -EINVAL;
	ret = mkey_keyring_serial(&ring);
	if (ret < 0)
		return ret;
	ret = mkey_key_find(guid, &existing);
	if (ret == 0) {
		if (serial)
			*serial = existing;
		return -EEXIST;
	}
	/* A revoked or expired leftover is replaced when ours is linked. */
	if (ret != -ENOKEY && ret != -EKEYREVOKED && ret != -EKEYEXPIRED)
		return ret;
	key_description(guid, desc, sizeof(desc));
	/*
	 * Only a possessor may change a new key's permissions, and nothing
	 * possesses the module keyring. So the key is born in our thread
	 * keyring, given the permissions root needs to find, revoke and
	 * unlink it later from any process, and only then linked into the
	 * module keyring.
	 */
	added = add_key("logon", desc, key, key_len, KEY_SPEC_THREAD_KEYRING);
	if (added < 0)
		return -errno;
	if (keyctl_setperm(added, MKEY_KEY_PERM) < 0) {
		ret = mkey_error_set(-errno, "cannot set the permissions of key %s", desc);
		goto drop;
	}
	if (keyctl_link(added, ring) < 0) {
		ret = mkey_error_set(-errno, "cannot link key %s into the dm-mkey keyring", desc);
		goto drop;
	}
	keyctl_unlink(added, KEY_SPEC_THREAD_KEYRING);
	if (serial)
		*serial = added;
	return 0;
drop:
	keyctl_revoke(added);
	keyctl_unlink(added, KEY_SPEC_THREAD_KEYRING);
	return ret;
}

int mkey_key_payload_bytes(key_serial_t serial)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f;

	/* "<serial hex> <flags> <usage> <expiry> <perm> <uid> <gid> <type> <desc>: <len>" */
	f = fopen("/proc/keys", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned long id;
		char *colon;
		unsigned int len;

		if (sscanf(line, "%lx", &id) != 1 || id != (unsigned long)serial)
			continue;
		colon = strrchr(line, ':');
		if (colon && sscanf(colon + 1, " %u", &len) == 1)
			ret = (int)len;
		else
			ret = -EBADMSG;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

int mkey_key_list(struct mkey_active_key **keys)
{
	key_serial_t ring, *members = NULL;
	struct mkey_active_key *out;
	int n, i, count = 0, ret;

	*keys = NULL;
	ret = mkey_keyring_serial(&ring);
	if (ret < 0)
		return ret;
	n = keyring_members(ring, &members);
	if (n <= 0) {
		free(members);
		return n;
	}
	out = calloc((size_t)n, sizeof(*out));
	if (!out) {
		free(members);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct mkey_guid g;

		if (describe_mkey_key(members[i], &g) < 0)
			continue;	/* gone meanwhile, or not ours */
		out[count].serial = members[i];
		out[count].guid = g;
		ret = mkey_key_payload_bytes(members[i]);
		out[count].payload_bytes = ret < 0 ? -1 : ret;
		count++;
	}
	free(members);
	if (!count) {
		free(out);
		out = NULL;
	}
	*keys = out;
	return count;
}

int mkey_key_remove(const struct mkey_guid *guid)
{
	key_serial_t ring, key;
	int ret;

	ret = mkey_keyring_serial(&ring);
	if (ret < 0)
		return ret;
	ret = mkey_key_find(guid, &key);
	if (ret == -EKEYREVOKED || ret == -EKEYEXPIRED)
		ret = scan_for(ring, guid, &key);	/* still linked: unlink it */
	if (ret < 0)
		return ret;
	/*
	 * Revoke first so that no other holder of a reference can use the
	 * key. A key added by another tool may not grant us that; unlinking
	 * still makes it unreachable, and the kernel then frees it.
	 */
	if (keyctl_revoke(key) < 0 && errno != EACCES && errno != EKEYREVOKED)
		return -errno;
	if (keyctl_unlink(key, ring) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
