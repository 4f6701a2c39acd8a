// SPDX-License-Identifier: GPL-2.0
/*
 * Opening and closing volumes. Everything userspace can check is checked
 * before the table load, because once the kernel refuses a table its
 * reason only reaches the kernel log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mkey/blkdev.h"
#include "mkey/error.h"
#include "mkey/audit.h"
#include "mkey/keyring.h"
#include "mkey/volume.h"
#include "dm-common.h"
#include "error-detail.h"
#include "kmsg.h"

static int mapping_exists(const char *name)
{
	struct dm_task *dmt;
	struct dm_info info;
	int ret;

	dmt = mkey_dm_task(DM_DEVICE_INFO, &ret);
	if (!dmt)
		return ret;
	if (!dm_task_set_name(dmt, name) || !dm_task_run(dmt) ||
	    !dm_task_get_info(dmt, &info))
		ret = mkey_dm_task_errno(dmt);
	else
		ret = info.exists ? 1 : 0;
	dm_task_destroy(dmt);
	return ret;
}

static int check_key(const struct mkey_label *label)
{
	char text[MKEY_GUID_STR_LEN + 1];
	key_serial_t key;
	int ret, bytes;

	mkey_guid_format(&label->key_guid, text);
	ret = mkey_key_find(&label->key_guid, &key);
	if (ret < 0)
		return mkey_error_set(ret, "key %s", text);
	bytes = mkey_key_payload_bytes(key);
	if (bytes >= 0 && (size_t)bytes != mkey_key_bytes(label->key_bits))
		return mkey_error_set(-EMSGSIZE,
				      "active key %s has %d bytes; the volume "
				      "uses AES-%u, which needs %zu bytes",
				      text, bytes, label->key_bits,
				      mkey_key_bytes(label->key_bits));
	return 0;
}

/* O_EXCL succeeds only if nobody (mount, dm, md, exclusive opener) holds it. */
static int check_not_in_use(const char *device, dev_t dev)
{
	char why[4200];
	int fd;

	fd = mkey_dev_open_exclusive(device, O_RDONLY);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd != -EBUSY)
		return fd;
	mkey_dev_describe_busy(dev, why, sizeof(why));
	return mkey_error_set(-EBUSY, "%s is in use: %s", device, why);
}

static int create_mapping(const char *name, const char *uuid, uint64_t sectors,
			  const char *params, bool read_only)
{
	struct dm_task *dmt;
	char kernel_says[512];
	int kmsg, ret;

	dmt = mkey_dm_task(DM_DEVICE_CREATE, &ret);
	if (!dmt)
		return ret;
	if (!dm_task_set_name(dmt, name) || !dm_task_set_uuid(dmt, uuid) ||
	    (read_only && !dm_task_set_ro(dmt)) ||
	    !dm_task_add_target(dmt, 0, sectors, MKEY_TARGET_NAME, params)) {
		dm_task_destroy(dmt);
		return -ENOMEM;
	}
	kmsg = mkey_kmsg_mark();
	mkey_dm_log_reset();
	/* libdevmapper creates, loads and resumes, and removes again on failure. */
	ret = mkey_dm_run_synced(dmt);
	dm_task_destroy(dmt);
	if (ret == 0) {
		if (kmsg >= 0)
			close(kmsg);
		return 0;
	}
	if (mkey_kmsg_last_since(kmsg, "mkey", kernel_says, sizeof(kernel_says)) == 0)
		return mkey_error_set(ret, "the kernel refused the table: %s",
				      kernel_says);
	return mkey_error_set(ret, "the kernel refused the table%s%s; see `dmesg | tail`",
			      mkey_dm_last_log()[0] ? ": " : "", mkey_dm_last_log());
}

int mkey_volume_open(const char *device, const char *name,
		     const struct mkey_open_opts *opts,
		     struct mkey_label_read *label_out)
{
	static const struct mkey_open_opts no_opts;
	struct mkey_label_read lr;
	char params[128], uuid[MKEY_DM_UUID_MAX + 1];
	struct stat st;
	int ret;

	mkey_dm_init();
	mkey_error_clear();
	if (!opts)
		opts = &no_opts;
	if (mkey_dm_name_check(name) < 0)
		return mkey_error_set(-EINVAL, "invalid mapping name \"%s\": use 1-%d "
				      "printable characters without '/' or blanks",
				      name ? name : "", MKEY_DM_NAME_MAX);
	if (stat(device, &st) < 0)
		return mkey_error_set(-errno, "%s", device);
	if (!S_ISBLK(st.st_mode))
		return mkey_error_set(-ENOTBLK, "%s is not a block device", device);

	ret = mkey_label_read_path(device, &lr);
	if (label_out)
		*label_out = lr;
	if (ret < 0)
		return ret;

	ret = mapping_exists(name);
	if (ret < 0)
		return mkey_error_set(ret, "cannot query device-mapper%s%s",
				      mkey_dm_last_log()[0] ? ": " : "",
				      mkey_dm_last_log());
	if (ret > 0)
		return mkey_error_set(-EEXIST, "a device-mapper device named %s "
				      "already exists", name);

	ret = check_key(&lr.label);
	if (ret < 0)
		return ret;
	ret = check_not_in_use(device, st.st_rdev);
	if (ret < 0)
		return ret;

	ret = mkey_table_params(st.st_rdev, &lr.label.key_guid, opts, params,
				sizeof(params));
	if (ret < 0)
		return ret;
	mkey_dm_uuid(&lr.label.volume_uuid, name, uuid);
	return create_mapping(name, uuid, lr.label.data_sectors, params,
			      opts->read_only);
}

static int remove_mapping(const struct mkey_mapping *m)
{
	struct dm_task *dmt;
	int ret;

	dmt = mkey_dm_task(DM_DEVICE_REMOVE, &ret);
	if (!dmt)
		return ret;
	if (!dm_task_set_name(dmt, m->name)) {
		dm_task_destroy(dmt);
		return -ENOMEM;
	}
	/*
	 * A closed device may still be opened for a moment by udev's probe:
	 * let libdevmapper retry then. An open one stays open: fail at once.
	 */
	if (m->open_count == 0)
		dm_task_retry_remove(dmt);
	mkey_dm_log_reset();
	ret = mkey_dm_run_synced(dmt);
	dm_task_destroy(dmt);
	if (ret == -EBUSY) {
		char why[4200];

		mkey_dev_describe_busy(makedev(m->major, m->minor), why, sizeof(why));
		return mkey_error_set(-EBUSY, "%s is in use (%s)", m->name, why);
	}
	if (ret < 0)
		return mkey_error_set(ret, "cannot remove %s%s%s", m->name,
				      mkey_dm_last_log()[0] ? ": " : "",
				      mkey_dm_last_log());
	return 0;
}

int mkey_volume_close(const char *name)
{
	struct mkey_mapping m;
	int ret;

	mkey_error_clear();
	ret = mkey_mapping_get(name, &m);
	if (ret == -ENXIO)
		return mkey_error_set(ret, "no device-mapper device named %s", name);
	if (ret == -EMEDIUMTYPE)
		return mkey_error_set(ret, "%s is not a dm-mkey mapping", name);
	if (ret < 0)
		return ret;
	return remove_mapping(&m);
}

static bool uses_key(const struct mkey_mapping *m, const struct mkey_guid *guid)
{
	return mkey_guid_equal(&m->table.key_guid, guid);
}

/* "data (/dev/dm-3, mounted on /srv), ..." for every open user of @guid. */
static void describe_open(const struct mkey_mapping *list, int n,
			  const struct mkey_guid *guid, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		char why[4200];
		int w;

		if (!uses_key(&list[i], guid) || list[i].open_count == 0)
			continue;
		if (list[i].mount_point[0])
			snprintf(why, sizeof(why), "mounted on %s", list[i].mount_point);
		else
			mkey_dev_describe_busy(makedev(list[i].major, list[i].minor),
					       why, sizeof(why));
		w = snprintf(buf + used, len - used, "%s/dev/mapper/%s (%s)",
			     used ? ", " : "", list[i].name, why);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

static bool uses_any(const struct mkey_mapping *m, const struct mkey_guid *guids, int n)
{
	for (int i = 0; i < n; i++)
		if (uses_key(m, &guids[i]))
			return true;
	return false;
}

static int list_mappings(struct mkey_mapping **list)
{
	int n = mkey_mapping_list(list);

	if (n < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", mkey_error_detail());
		return mkey_error_set(n, "cannot list device-mapper devices%s%s",
				      why[0] ? ": " : "", why);
	}
	return n;
}

int mkey_volume_deactivate_keys(const struct mkey_guid *guids, int n_guids,
				int *closed, int *removed)
{
	char text[MKEY_GUID_STR_LEN + 1];
	struct mkey_mapping *list = NULL;
	int n, i, ret = 0, n_closed = 0, n_removed = 0;
	bool busy = false;

	mkey_error_clear();
	if (closed)
		*closed = 0;
	if (removed)
		*removed = 0;
	n = list_mappings(&list);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		busy |= uses_any(&list[i], guids, n_guids) && list[i].open_count > 0;
	if (busy) {
		char what[4096], all[4096] = "";
		size_t used = 0;

		/* One audit line per refused key, one message naming every open volume. */
		for (int g = 0; g < n_guids; g++) {
			describe_open(list, n, &guids[g], what, sizeof(what));
			if (!what[0])
				continue;
			mkey_guid_format(&guids[g], text);
			{
				char quoted[4200];

				mkey_audit(MKEY_AUDIT_DEACTIVATE_REFUSED, "key=%s open=%s",
					   text, mkey_audit_quote(what, quoted, sizeof(quoted)));
			}
			used += (size_t)snprintf(all + used, sizeof(all) - used, "%skey %s is "
						 "used by open volumes: %s", used ? "; " : "",
						 text, what);
			if (used >= sizeof(all))
				break;
		}
		free(list);
		return mkey_error_set(-EBUSY, "%s", all);
	}
	for (i = 0; i < n; i++) {
		if (!uses_any(&list[i], guids, n_guids))
			continue;
		/* Opened since we looked? Then the kernel refuses, and we stop. */
		ret = remove_mapping(&list[i]);
		if (ret < 0) {
			char quoted[600];

			mkey_guid_format(&list[i].table.key_guid, text);
			mkey_audit(MKEY_AUDIT_DEACTIVATE_REFUSED, "key=%s open=%s", text,
				   mkey_audit_quote(mkey_error_detail(), quoted, sizeof(quoted)));
			goto out;
		}
		n_closed++;
	}
	for (int g = 0; g < n_guids; g++) {
		int vols = 0;

		for (i = 0; i < n; i++)
			vols += uses_key(&list[i], &guids[g]);
		mkey_guid_format(&guids[g], text);
		ret = mkey_key_remove(&guids[g]);
		if (ret == -ENOKEY) {
			/* Not active: fine when deactivating many, or when its volumes were closed. */
			if (n_guids > 1 || vols)
				continue;
			ret = mkey_error_set(ret, "key %s", text);
			goto out;
		}
		if (ret < 0) {
			ret = mkey_error_set(ret, "key %s", text);
			goto out;
		}
		n_removed++;
		mkey_audit(MKEY_AUDIT_KEY_DEACTIVATED, "key=%s closed=%d", text, vols);
	}
	ret = 0;
out:
	free(list);
	if (closed)
		*closed = n_closed;
	if (removed)
		*removed = n_removed;
	return ret;
}

int mkey_volume_deactivate_key(const struct mkey_guid *guid, int *closed)
{
	return mkey_volume_deactivate_keys(guid, 1, closed, NULL);
}

int mkey_volume_key_users(const struct mkey_guid *guid, char *buf, size_t len)
{
	struct mkey_mapping *list = NULL;
	size_t used = 0;
	int n, count = 0;

	if (len)
		buf[0] = '\0';
	n = mkey_mapping_list(&list);
	if (n == -ENODEV)
		return 0;	/* no device-mapper: no mapping can use the key */
	if (n < 0)
		return list_mappings(&list);
	for (int i = 0; i < n; i++) {
		int w;

		if (!uses_key(&list[i], guid))
			continue;
		count++;
		w = snprintf(buf + used, len - used, "%s/dev/mapper/%s%s%s%s",
			     used ? ", " : "", list[i].name,
			     list[i].mount_point[0] ? " (mounted on " : "",
			     list[i].mount_point, list[i].mount_point[0] ? ")" : "");
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	free(list);
	return count;
}
