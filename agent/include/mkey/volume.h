/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Volumes: device-mapper mappings of target "mkey" (docs/dm-mkey-target.md),
 * driven through libdevmapper.
 */
#ifndef MKEY_VOLUME_H
#define MKEY_VOLUME_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mkey/guid.h"
#include "mkey/label.h"

#define MKEY_TARGET_NAME  "mkey"
#define MKEY_DM_UUID_PREFIX "MKEY-"
#define MKEY_DM_NAME_MAX  127	/* DM_NAME_LEN - 1 */
#define MKEY_DM_UUID_MAX  128	/* DM_UUID_LEN - 1 */

struct mkey_open_opts {
	bool read_only;
	bool allow_discards;
};

/* ---- pure helpers (no kernel needed; unit-tested) ---- */

/* 0 if @name is usable as a dm name (1..127 chars, no '/', not . or ..). */
int mkey_dm_name_check(const char *name);

/* "MKEY-<volume UUID>-<name>", name cut to fit DM_UUID_LEN. */
void mkey_dm_uuid(const struct mkey_guid *volume_uuid, const char *name,
		  char out[MKEY_DM_UUID_MAX + 1]);

/*
 * Target parameters of the table line:
 * "<major:minor> <GUID>[ 1 allow_discards]". Returns 0 or -ENAMETOOLONG.
 */
int mkey_table_params(dev_t dev, const struct mkey_guid *key_guid,
		      const struct mkey_open_opts *opts, char *buf, size_t len);

struct mkey_target_status {
	struct mkey_guid key_guid;
	char cipher[MKEY_LABEL_CIPHER_SIZE + 1];
	uint32_t key_bits;
	uint32_t sector_size;
	char label_copy[8];	/* "primary" / "backup" */
	uint64_t reads, writes, read_sectors, written_sectors, errors;
};

/* Parses the target's STATUSTYPE_INFO line; -EBADMSG if malformed. */
int mkey_status_parse(const char *params, struct mkey_target_status *st);

struct mkey_target_table {
	unsigned int major, minor;
	struct mkey_guid key_guid;
	bool allow_discards;
};

/* Parses the target's STATUSTYPE_TABLE line; -EBADMSG if malformed. */
int mkey_table_parse(const char *params, struct mkey_target_table *tt);

/* ---- mappings ---- */

struct mkey_mapping {
	char name[MKEY_DM_NAME_MAX + 1];
	char uuid[MKEY_DM_UUID_MAX + 1];
	unsigned int major, minor;	/* of the mapped device (dm-N) */
	int open_count;
	bool read_only;
	bool suspended;
	bool live;			/* has a live table */
	uint64_t sectors;		/* mapped length, 512-byte sectors */
	struct mkey_target_table table;	/* backing device, options */
	struct mkey_target_status status;
	bool have_status;
	char mount_point[PATH_MAX];	/* "" when not mounted */
};

/*
 * Reads one mapping. -ENXIO when no dm device has that name, -EMEDIUMTYPE
 * when it exists but is not an mkey mapping.
 */
int mkey_mapping_get(const char *name, struct mkey_mapping *m);

/*
 * Every device whose table has an mkey target, sorted by name. Returns
 * the count and a malloc'ed array in @out (free(); NULL when 0).
 */
int mkey_mapping_list(struct mkey_mapping **out);

/*
 * Opens @device as mapping @name: reads the label, checks the key is
 * active with the right size, checks the device is not in use, and
 * creates the dm device (dm uuid MKEY-...). @label_out (may be NULL)
 * receives the label read. Errors: label errors as mkey_label_read_fd,
 * -ENOTBLK, -EEXIST (name taken), -ENOKEY/-EKEYREVOKED (key not active),
 * -EMSGSIZE (active key has the wrong size), -EBUSY (device in use),
 * -ENOPKG (module not loaded), -EINVAL (kernel refused the table; the
 * kernel's reason, when readable, is in mkey_error_detail()).
 */
int mkey_volume_open(const char *device, const char *name,
		     const struct mkey_open_opts *opts,
		     struct mkey_label_read *label_out);

/*
 * Removes mapping @name. -ENXIO if absent, -EMEDIUMTYPE if not mkey,
 * -EBUSY when it is open (mkey_error_detail() says where it is mounted
 * or who holds it). Removal is device-mapper's own, which refuses an open
 * device atomically: there is no window between a check and the removal.
 */
int mkey_volume_close(const char *name);

/*
 * Deactivates a key the safe way: refuses with -EBUSY (detail names the
 * mappings and mount points) when any mkey mapping using @guid is open;
 * otherwise removes those mappings (each removal itself refuses an open
 * device), then revokes and unlinks the key. @closed (may be NULL)
 * receives the number of mappings removed. -ENOKEY when the key is not
 * active and no mapping used it.
 */
int mkey_volume_deactivate_key(const struct mkey_guid *guid, int *closed);

/*
 * The same for several keys at once (a key file's keys, or every active
 * key): refuses with -EBUSY, changing nothing, while any mapping that uses
 * any of them is open (the detail names each key, device and mount
 * point); otherwise removes their mappings, then revokes and unlinks each
 * key that is active (keys that are not are skipped, except that a single
 * key that is neither active nor used gives -ENOKEY). @closed receives
 * the number of mappings removed, @removed the number of keys removed
 * (both may be NULL). Deactivations and refusals are audited.
 */
int mkey_volume_deactivate_keys(const struct mkey_guid *guids, int n_guids,
				int *closed, int *removed);

/*
 * How many mkey mappings (open or not) use @guid; their names and mount
 * points go to @buf ("/dev/mapper/vol (mounted on /srv), ..."). 0 when
 * device-mapper is not available at all. Negative errno on failure.
 */
int mkey_volume_key_users(const struct mkey_guid *guid, char *buf, size_t len);

/*
 * Sends libdevmapper's own log lines to stderr (verbose) or keeps them
 * quiet, remembering the last error as detail. Called once by the CLI.
 */
void mkey_dm_set_verbose(bool verbose);

#endif
