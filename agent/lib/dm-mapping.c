// SPDX-License-Identifier: GPL-2.0
/* Reading mkey mappings back from device-mapper: info, table, status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "mkey/blkdev.h"
#include "mkey/volume.h"
#include "dm-common.h"

/*
 * Runs a STATUS or TABLE task for @name and hands the mkey target's
 * parameters to @parse. Fills the info part of @m from the same task.
 */
static int query(int type, const char *name, struct mkey_mapping *m,
		 bool *found_mkey, char *params_out, size_t params_len)
{
	struct dm_task *dmt;
	struct dm_info info;
	void *next = NULL;
	int ret = 0;

	*found_mkey = false;
	dmt = mkey_dm_task(type, &ret);
	if (!dmt)
		return ret;
	if (!dm_task_set_name(dmt, name)) {
		ret = -EINVAL;
		goto out;
	}
	if (!dm_task_run(dmt)) {
		ret = mkey_dm_task_errno(dmt);
		if (ret == -ENXIO || ret == -ENODEV)
			ret = -ENXIO;
		goto out;
	}
	if (!dm_task_get_info(dmt, &info) || !info.exists) {
		ret = -ENXIO;
		goto out;
	}
	m->major = info.major;
	m->minor = info.minor;
	m->open_count = info.open_count;
	m->read_only = info.read_only;
	m->suspended = info.suspended;
	m->live = info.live_table;
	snprintf(m->uuid, sizeof(m->uuid), "%s", dm_task_get_uuid(dmt) ?: "");
	m->sectors = 0;
	do {
		uint64_t start, length;
		char *ttype = NULL, *params = NULL;

		next = dm_get_next_target(dmt, next, &start, &length, &ttype, &params);
		if (!ttype)
			continue;
		m->sectors += length;
		if (!*found_mkey && strcmp(ttype, MKEY_TARGET_NAME) == 0) {
			*found_mkey = true;
			snprintf(params_out, params_len, "%s", params ?: "");
		}
	} while (next);
out:
	dm_task_destroy(dmt);
	return ret;
}

int mkey_mapping_get(const char *name, struct mkey_mapping *m)
{
	char params[1024];
	bool is_mkey;
	int ret;

	mkey_dm_init();
	memset(m, 0, sizeof(*m));
	if (mkey_dm_name_check(name) < 0)
		return -ENXIO;
	snprintf(m->name, sizeof(m->name), "%s", name);

	ret = query(DM_DEVICE_TABLE, name, m, &is_mkey, params, sizeof(params));
	if (ret < 0)
		return ret;
	if (!is_mkey)
		return -EMEDIUMTYPE;
	if (mkey_table_parse(params, &m->table) < 0)
		return -EBADMSG;

	ret = query(DM_DEVICE_STATUS, name, m, &is_mkey, params, sizeof(params));
	if (ret < 0)
		return ret;
	m->have_status = is_mkey && mkey_status_parse(params, &m->status) == 0;

	if (mkey_dev_mount_point(makedev(m->major, m->minor), m->mount_point,
				 sizeof(m->mount_point)) < 0)
		m->mount_point[0] = '\0';
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct mkey_mapping *)a)->name,
		      ((const struct mkey_mapping *)b)->name);
}

int mkey_mapping_list(struct mkey_mapping **out)
{
	struct mkey_mapping *list = NULL, *grown;
	struct dm_names *names;
	struct dm_task *dmt;
	unsigned int next = 0;
	int count = 0, ret = 0;

	mkey_dm_init();
	*out = NULL;
	dmt = mkey_dm_task(DM_DEVICE_LIST, &ret);
	if (!dmt)
		return ret;
	if (!dm_task_run(dmt)) {
		ret = mkey_dm_task_errno(dmt);
		goto out;
	}
	names = dm_task_get_names(dmt);
	if (!names || !names->dev)
		goto out;
	do {
		struct mkey_mapping m;

		names = (struct dm_names *)((char *)names + next);
		next = names->next;
		/* Devices vanish and change under us: skip what is not mkey now. */
		if (mkey_mapping_get(names->name, &m) < 0)
			continue;
		grown = realloc(list, (size_t)(count + 1) * sizeof(*list));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		list = grown;
		list[count++] = m;
	} while (next);
	/* qsort's base is declared nonnull: with no mkey device, list is NULL. */
	if (count > 1)
		qsort(list, (size_t)count, sizeof(*list), by_name);
out:
	dm_task_destroy(dmt);
	if (ret < 0) {
		free(list);
		return ret;
	}
	*out = list;
	return count;
}
