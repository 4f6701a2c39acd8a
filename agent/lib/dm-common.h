/* SPDX-License-Identifier: GPL-2.0 */
/* Internal: shared libdevmapper plumbing. */
#ifndef MKEY_DM_COMMON_H
#define MKEY_DM_COMMON_H

#include <libdevmapper.h>

/* Installs our libdevmapper log handler once; call before any dm_task. */
void mkey_dm_init(void);

/*
 * dm_task_create() that says why it failed: libdevmapper checks the driver
 * first, so NULL mostly means no device-mapper (dm_mod not loaded, no
 * /dev/mapper/control, not root). Returns the task, or NULL with *err set
 * (-ENODEV with a detail quoting libdevmapper, or -ENOMEM).
 */
struct dm_task *mkey_dm_task(int type, int *err);

/* Negative errno for a failed dm_task_run, never 0. */
int mkey_dm_task_errno(struct dm_task *dmt);

/* The last error libdevmapper logged since mkey_dm_log_reset(). */
const char *mkey_dm_last_log(void);
void mkey_dm_log_reset(void);

/*
 * Runs @dmt with udev synchronisation when udev is running (cookie, then
 * wait), and otherwise lets libdevmapper create/remove the /dev/mapper
 * nodes itself, as cryptsetup does. Returns 0 or a negative errno.
 */
int mkey_dm_run_synced(struct dm_task *dmt);

#endif
