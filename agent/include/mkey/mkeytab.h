/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The volume table, /etc/mkeytab (docs/man/mkeytab.5, docs/boot.md): the
 * dm-mkey volumes to open at boot, one per line, as crypttab(5) lists
 * dm-crypt volumes:
 *
 *   <name> <device> <key source> [<options>]
 *
 *   name        the mapping: /dev/mapper/<name>
 *   device      an absolute path (/dev/vdb, /dev/disk/by-id/...), or
 *               UUID=<volume UUID> (the UUID in the volume's label)
 *   key source  the absolute path of a key file, or kmip:SERVER for a key
 *               on the KMIP servers of definition SERVER (the key named
 *               by the volume label's GUID; mkey-agent fetches it once the
 *               network is up)
 *   options     comma-separated: nofail, noauto, required, readonly,
 *               discard, initramfs, tries=N; "-" or "none" for none;
 *               x-... options are ignored (for other tools)
 *
 * The parser keeps every line that is valid and reports each one that is
 * not, so that one bad line costs one volume, not the boot.
 */
#ifndef MKEY_MKEYTAB_H
#define MKEY_MKEYTAB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "mkey/guid.h"

#define MKEY_TAB_PATH		"/etc/mkeytab"
#define MKEY_TAB_LINE_MAX	4096	/* longer lines are refused */
#define MKEY_TAB_DEFAULT_TRIES	3
#define MKEY_TAB_MAX_TRIES	100
#define MKEY_TAB_NAME_MAX	127	/* a device-mapper name */
#define MKEY_TAB_KMIP_NAME_MAX	64	/* MKEY_KMIP_NAME_MAX */
/* udev's link for a volume UUID (mkey-agent probe, 60-mkey.rules) */
#define MKEY_BY_UUID_DIR	"/dev/disk/by-mkey-uuid"

struct mkey_tab_entry {
	char name[MKEY_TAB_NAME_MAX + 1];
	char device[PATH_MAX];		/* as written */
	bool by_uuid;			/* device was UUID=... */
	struct mkey_guid volume_uuid;	/* when by_uuid */
	char key_file[PATH_MAX];	/* absolute path; "" for KMIP */
	/* kmip:SERVER: a KMIP server definition name (mkey/kmip.h) */
	char kmip_server[MKEY_TAB_KMIP_NAME_MAX + 1];
	bool nofail;
	bool noauto;
	bool required;
	bool readonly;
	bool discard;
	bool initramfs;
	unsigned int tries;		/* 0 = no limit */
	unsigned int line;		/* line number in the table */
};

struct mkey_tab {
	struct mkey_tab_entry *entries;
	int n_entries;
	char **errors;			/* "/etc/mkeytab:3: unknown option 'x'" */
	int n_errors;
};

/*
 * Parses a table. @origin names it in messages ("/etc/mkeytab"). Lines
 * that are not valid are left out and described in (*out)->errors; a
 * name used twice keeps the first line. Returns 0 (even when some lines
 * were bad) or -ENOMEM.
 */
int mkey_tab_parse(const char *text, size_t len, const char *origin,
		   struct mkey_tab **out);

/*
 * Reads and parses @path (NULL: /etc/mkeytab). A missing file is an
 * empty table. Returns 0, -ENOMEM, -EFBIG (over 1 MiB), or the errno of
 * open/read.
 */
int mkey_tab_load(const char *path, struct mkey_tab **out);

void mkey_tab_free(struct mkey_tab *tab);

/* The entry named @name, or NULL. */
const struct mkey_tab_entry *mkey_tab_find(const struct mkey_tab *tab, const char *name);

/*
 * The device path to open for @e: its path, or for UUID=... the udev
 * link /dev/disk/by-mkey-uuid/<UUID>.
 */
void mkey_tab_device_path(const struct mkey_tab_entry *e, char *buf, size_t len);

/* The key source as written: the key file, or "kmip:SERVER". */
void mkey_tab_key_source_text(const struct mkey_tab_entry *e, char *buf, size_t len);

/* "nofail,readonly,tries=5" (the options in canonical form, "-" for none). */
void mkey_tab_options_text(const struct mkey_tab_entry *e, char *buf, size_t len);

#endif
