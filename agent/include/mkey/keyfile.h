/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key files (docs/key-file.md): one JSON file holding data-encryption keys
 * (DEKs) wrapped by a master key, and the master key wrapped once per
 * administrator under a key derived from that administrator's password.
 *
 * Life cycle:
 *
 *   mkey_keyfile_load()         read + strict parse, no password (listing)
 *   mkey_keyfile_open_update()  lock the file for an update, then load
 *   mkey_keyfile_unlock()       password -> master key; verifies the file MAC
 *   mkey_keyfile_key_get()      unwrap one DEK into a secure buffer
 *   mkey_keyfile_key_add() ...  change the unlocked file in memory
 *   mkey_keyfile_commit()       write it back atomically and durably
 *   mkey_keyfile_free()         wipe secrets, release the lock
 *
 * Errors follow libmkey's convention (mkey/error.h); a malformed file gives
 * -EBADMSG with a detail naming the field ("keys[2].bits: ...").
 */
#ifndef MKEY_KEYFILE_H
#define MKEY_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <keyutils.h>

#include "mkey/guid.h"
#include "mkey/kdf.h"
#include "mkey/secmem.h"

#define MKEY_KEYFILE_FORMAT	"dm-mkey key file"
#define MKEY_KEYFILE_VERSION	1
#define MKEY_KEYFILE_MAX_BYTES	(1024 * 1024)	/* larger files are refused */
#define MKEY_KEYFILE_MAX_KEYS	256
#define MKEY_KEYFILE_MAX_ADMINS	32
#define MKEY_ADMIN_NAME_MAX	64	/* printable ASCII, no blanks */
#define MKEY_KEY_DESC_MAX	256	/* bytes of UTF-8, no control characters */
#define MKEY_MASTER_KEY_BYTES	32
#define MKEY_KEYFILE_LOCK_TIMEOUT_MS 30000

struct mkey_keyfile;

struct mkey_keyfile_key {
	struct mkey_guid guid;
	uint32_t bits;		/* AES key size: 128, 192 or 256 (XTS material is twice that) */
	char description[MKEY_KEY_DESC_MAX + 1];
	int64_t created;	/* seconds since the epoch, UTC */
};

struct mkey_keyfile_admin {
	char name[MKEY_ADMIN_NAME_MAX + 1];	/* upper case */
	int64_t created;
	struct mkey_kdf_params kdf;
};

/* ---- reading ---- */

/*
 * Strict parse of a key file image (no password needed, nothing secret
 * decrypted): JSON syntax, duplicate members, unknown/missing members,
 * types, lengths, limits, and the canonical form (the bytes must be
 * exactly what mkey writes for that content). -EFBIG (too large),
 * -EPROTONOSUPPORT (other version), -EBADMSG (anything else; the detail
 * names the field), -ENOMEM.
 */
int mkey_keyfile_parse(const void *data, size_t len, struct mkey_keyfile **out);

/* Reads and parses @path (no lock: updates replace the file atomically). */
int mkey_keyfile_load(const char *path, struct mkey_keyfile **out);

/* Wipes the master key, releases a lock, frees. NULL is a no-op. */
void mkey_keyfile_free(struct mkey_keyfile *kf);

const char *mkey_keyfile_path(const struct mkey_keyfile *kf);	/* NULL if parsed from memory */
const struct mkey_guid *mkey_keyfile_id(const struct mkey_keyfile *kf);
int64_t mkey_keyfile_created(const struct mkey_keyfile *kf);
const struct mkey_guid *mkey_keyfile_default_key(const struct mkey_keyfile *kf);
int mkey_keyfile_key_count(const struct mkey_keyfile *kf);
const struct mkey_keyfile_key *mkey_keyfile_key_at(const struct mkey_keyfile *kf, int i);
/* Index of the key, or -ENOENT. */
int mkey_keyfile_key_find(const struct mkey_keyfile *kf, const struct mkey_guid *guid);
int mkey_keyfile_admin_count(const struct mkey_keyfile *kf);
const struct mkey_keyfile_admin *mkey_keyfile_admin_at(const struct mkey_keyfile *kf, int i);
/* Index of the administrator (case-insensitive), or -ENOENT. */
int mkey_keyfile_admin_find(const struct mkey_keyfile *kf, const char *name);
bool mkey_keyfile_is_unlocked(const struct mkey_keyfile *kf);
/* Name of the administrator who unlocked the file, or NULL. */
const char *mkey_keyfile_unlocked_by(const struct mkey_keyfile *kf);

/*
 * Administrator names: 1..64 printable ASCII characters without blanks,
 * case-insensitive. Writes the stored (upper-case) form to @out.
 * Returns 0 or -EINVAL (detail says why).
 */
int mkey_admin_name_normalize(const char *name, char out[MKEY_ADMIN_NAME_MAX + 1]);

/* Descriptions: at most 256 bytes of UTF-8 without control characters. */
int mkey_key_description_check(const char *desc);

/* ---- unlocking ---- */

/*
 * Derives the administrator's key from @password, unwraps the master key
 * and verifies the file MAC. Returns 0; -ENOENT (no such administrator),
 * -EKEYREJECTED (wrong password), -EBADMSG (the password is right but the
 * file MAC does not match: the file was changed outside mkey), -ENOMEM,
 * -EIO. Failures are audited (auth-failed, integrity-failed).
 */
int mkey_keyfile_unlock(struct mkey_keyfile *kf, const char *admin,
			const uint8_t *password, size_t password_len);

/* Unwraps the DEK @guid (XTS material: bits/4 bytes). -ENOENT, -EACCES (not unlocked). */
int mkey_keyfile_key_get(const struct mkey_keyfile *kf, const struct mkey_guid *guid,
			 struct mkey_secbuf **key);

/* ---- creating and changing (in memory; commit writes) ---- */

/*
 * A new key file in memory: random file id and master key, administrator
 * @admin with @kdf (from mkey_kdf_choose()), and one new random key of
 * @bits with @description, which becomes the default key. The result is
 * unlocked; write it with mkey_keyfile_create().
 */
int mkey_keyfile_new(const char *admin, const uint8_t *password, size_t password_len,
		     const struct mkey_kdf_params *kdf, uint32_t bits,
		     const char *description, struct mkey_keyfile **out);

/*
 * Adds a key. @material NULL: a new random key of @bits; else @material_len
 * must be bits/4 bytes (a raw XTS key being imported). @guid NULL: a new
 * random v4 GUID. @guid_out (may be NULL) receives the GUID. -EEXIST (GUID
 * already in the file), -ENOSPC (file full), -EINVAL, -EACCES.
 */
int mkey_keyfile_key_add(struct mkey_keyfile *kf, uint32_t bits, const char *description,
			 const uint8_t *material, size_t material_len,
			 const struct mkey_guid *guid, struct mkey_guid *guid_out);

/* Deletes a key. -ENOENT, -EPERM (it is the default key), -EACCES. */
int mkey_keyfile_key_delete(struct mkey_keyfile *kf, const struct mkey_guid *guid);

/* Makes @guid the default key for new volumes. -ENOENT, -EACCES. */
int mkey_keyfile_set_default(struct mkey_keyfile *kf, const struct mkey_guid *guid);

/* Adds an administrator. -EEXIST, -ENOSPC (32 already), -EINVAL, -EACCES. */
int mkey_keyfile_admin_add(struct mkey_keyfile *kf, const char *name,
			   const uint8_t *password, size_t password_len,
			   const struct mkey_kdf_params *kdf);

/* Removes an administrator. -ENOENT, -EPERM (the last one), -EACCES. */
int mkey_keyfile_admin_remove(struct mkey_keyfile *kf, const char *name);

/* New password (and KDF parameters, fresh salt) for @name. -ENOENT, -EACCES. */
int mkey_keyfile_admin_set_password(struct mkey_keyfile *kf, const char *name,
				    const uint8_t *password, size_t password_len,
				    const struct mkey_kdf_params *kdf);

/* ---- files ---- */

/*
 * Takes an exclusive lock on @path (waiting up to @timeout_ms, 0 = the
 * default of 30 s) and loads it. The lock is held until
 * mkey_keyfile_free(). -EWOULDBLOCK when another process kept it locked
 * for the whole wait.
 */
int mkey_keyfile_open_update(const char *path, int timeout_ms, struct mkey_keyfile **out);

/*
 * Writes a locked, unlocked key file back: temp file in the same
 * directory (mode 0600, owner root when run as root), fsync, rename over
 * the file, fsync of the directory. A crash at any point leaves the old
 * or the new file. Emits the audit events of the changes made since.
 */
int mkey_keyfile_commit(struct mkey_keyfile *kf);

/*
 * Writes a new key file (from mkey_keyfile_new()) to @path, atomically and
 * durably; refuses (-EEXIST) to replace an existing file.
 */
int mkey_keyfile_create(struct mkey_keyfile *kf, const char *path);

/*
 * Verified backup: copies @path to @dest (atomically and durably, mode
 * 0600; -EEXIST unless @overwrite), then reads @dest back and checks it is
 * byte-identical and parses.
 */
int mkey_keyfile_backup(const char *path, const char *dest, bool overwrite);

/* ---- activation ---- */

struct mkey_keyfile_activation {
	struct mkey_guid guid;
	uint32_t bits;
	key_serial_t serial;
	int result;		/* 0 activated, -EEXIST already active, <0 failed */
};

/*
 * Pushes every DEK of an unlocked key file into the dm-mkey module
 * keyring (mkey_key_add()). Keys already active are left alone. Returns
 * the number of keys and a malloc'ed array in @results (free()), or a
 * negative errno when nothing could be tried (-ENOPKG: module not loaded,
 * -EACCES: not unlocked). Each activation is audited.
 */
int mkey_keyfile_activate(const struct mkey_keyfile *kf,
			  struct mkey_keyfile_activation **results);

#endif
