/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How each key file is unlocked at boot (docs/boot.md, mkeytab(5)):
 *
 *   interactive  an administrator types a name and password at boot
 *                (systemd-ask-password, or the console in the initramfs);
 *                the default for a key file not listed
 *   unattended   the machine unlocks it by itself with a system-generated
 *                administrator whose random 256-bit secret is stored
 *                root-only in /etc/mkey/unattended/<file id>.secret
 *   none         never unlocked at boot
 *
 * The setting belongs to the machine, not to the key file (a key file
 * may serve several machines, each with its own setting and secret), so
 * it lives in /etc/mkey/startup.conf, one line per key file:
 *
 *   <key file path> <interactive|unattended|none> [<administrator>]
 *
 * where <administrator> is the system administrator of an unattended key
 * file. `mkey keyfile-startup` writes it; nothing else needs to.
 */
#ifndef MKEY_STARTUP_H
#define MKEY_STARTUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "mkey/guid.h"
#include "mkey/keyfile.h"
#include "mkey/secmem.h"

#define MKEY_CONF_DIR			"/etc/mkey"
#define MKEY_STARTUP_CONF		"startup.conf"	/* in the configuration directory */
#define MKEY_UNATTENDED_DIR		"unattended"	/* in the configuration directory */
#define MKEY_UNATTENDED_SECRET_BYTES	32		/* 256 bits */
#define MKEY_UNATTENDED_SECRET_HEX	(2 * MKEY_UNATTENDED_SECRET_BYTES)
#define MKEY_UNATTENDED_ADMIN_PREFIX	"UNATTENDED@"

enum mkey_startup_mode {
	MKEY_STARTUP_INTERACTIVE = 0,	/* the default */
	MKEY_STARTUP_UNATTENDED,
	MKEY_STARTUP_NONE,
};

/* "interactive", "unattended", "none". */
const char *mkey_startup_mode_name(enum mkey_startup_mode mode);

/* Parses a mode name; -EINVAL for anything else. */
int mkey_startup_mode_parse(const char *name, enum mkey_startup_mode *mode);

struct mkey_startup {
	enum mkey_startup_mode mode;
	bool listed;				/* false: not in startup.conf, the default applies */
	char admin[MKEY_ADMIN_NAME_MAX + 1];	/* unattended: the system administrator */
	unsigned int line;			/* its line in startup.conf, when listed */
};

/*
 * The setting of @key_file (an absolute path, matched as written or, when
 * both exist, as the same file) in @confdir/startup.conf (@confdir NULL:
 * /etc/mkey). A missing startup.conf or an unlisted key file gives the
 * default, interactive. Returns 0, -EBADMSG (a line of startup.conf is
 * malformed; the detail names it), or the errno of reading it.
 */
int mkey_startup_get(const char *confdir, const char *key_file, struct mkey_startup *out);

/*
 * Records @st for @key_file in @confdir/startup.conf, keeping every other
 * line (comments included); atomically (temp file, fsync, rename, fsync
 * of the directory) under a lock on the directory. An unattended setting
 * needs @st->admin. Returns 0 or a negative errno.
 */
int mkey_startup_set(const char *confdir, const char *key_file, const struct mkey_startup *st);

/* @confdir/unattended/<file id>.secret */
void mkey_unattended_secret_path(const char *confdir, const struct mkey_guid *file_id,
				 char *buf, size_t len);

/*
 * The name of this machine's unattended administrator: UNATTENDED@<host>,
 * <host> from /etc/hostname (else gethostname()), upper case, cut to fit
 * 64 characters.
 */
void mkey_unattended_admin_name(char out[MKEY_ADMIN_NAME_MAX + 1]);

/*
 * Reads an unattended secret (64 hex digits and a newline) into a secure
 * buffer: the password of the unattended administrator. Refuses (-EPERM,
 * the detail says why and how to fix it) a file that is not a regular
 * file owned by the caller or that group or others can access; -ENOENT
 * when it is missing; -EBADMSG when its content is not a secret.
 */
int mkey_unattended_secret_read(const char *path, struct mkey_secbuf **out);

/*
 * Enables unattended unlocking of a key file that is locked for update
 * and unlocked by an administrator (mkey_keyfile_open_update(),
 * mkey_keyfile_unlock()): generates a random 256-bit secret, adds the
 * administrator @admin (mkey_unattended_admin_name()) with it (Argon2id
 * at its floor: the secret is random, stretching it adds nothing),
 * writes the secret to @confdir/unattended/<file id>.secret (mode 0400,
 * directory 0700), commits the key file, and records the setting in
 * startup.conf under @key_file. An administrator of that name already in
 * the file (an earlier enable whose secret is gone) is replaced. If the
 * commit fails the secret file is removed again. Returns 0 or a negative
 * errno (-ENOSPC: the file already has 32 administrators).
 */
int mkey_unattended_enable(struct mkey_keyfile *kf, const char *confdir,
			   const char *key_file, const char *admin);

/*
 * The reverse, on a key file locked for update and unlocked (by any
 * administrator, the unattended one included): removes the administrator
 * @admin, commits, removes the secret file, and records @new_mode in
 * startup.conf. -EPERM when @admin is the file's last administrator.
 */
int mkey_unattended_disable(struct mkey_keyfile *kf, const char *confdir,
			    const char *key_file, const char *admin,
			    enum mkey_startup_mode new_mode);

#endif
