// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mkey/volume.h"
#include "dm-common.h"
#include "error-detail.h"

static bool dm_verbose;
static __thread char last_log[512];
static char dm_unavailable[512];
static pthread_once_t dm_once = PTHREAD_ONCE_INIT;

/*
 * libdevmapper prints its own errors ("reload ioctl on X failed: ...") to
 * stderr by default. We keep the last one for our messages, which name the
 * device and say what to do, and print libdm's lines only when verbose.
 */
__attribute__((format(printf, 5, 6)))
static void dm_log(int level, const char *file, int line, int dm_errno_or_class,
		   const char *fmt, ...)
{
	va_list ap;
	int lvl = level & 7;	/* strip libdm's flag bits */

	if (lvl > 3 && !dm_verbose)	/* _LOG_ERR is 3 */
		return;
	va_start(ap, fmt);
	if (lvl <= 3)
		vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	if (dm_verbose) {
		va_start(ap, fmt);
		fputs("libdevmapper: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

static void install_log(void)
{
	dm_log_with_errno_init(dm_log);
}

void mkey_dm_init(void)
{
	pthread_once(&dm_once, install_log);
}

void mkey_dm_set_verbose(bool verbose)
{
	dm_verbose = verbose;
	mkey_dm_init();
}

const char *mkey_dm_last_log(void)
{
	return last_log;
}

void mkey_dm_log_reset(void)
{
	last_log[0] = '\0';
}

struct dm_task *mkey_dm_task(int type, int *err)
{
	struct dm_task *dmt;

	mkey_dm_init();
	mkey_dm_log_reset();
	dmt = dm_task_create(type);
	if (dmt)
		return dmt;
	/*
	 * libdevmapper logs a missing driver once per process; later
	 * failures are silent. Remember why, so every call says so.
	 */
	if (last_log[0])
		snprintf(dm_unavailable, sizeof(dm_unavailable), "%s", last_log);
	if (dm_unavailable[0])
		*err = mkey_error_set(-ENODEV, "device-mapper is not available: %s",
				      dm_unavailable);
	else
		*err = -ENOMEM;
	return NULL;
}

int mkey_dm_task_errno(struct dm_task *dmt)
{
	int err = dm_task_get_errno(dmt);

	if (err > 0)
		return -err;
	return errno > 0 ? -errno : -EIO;
}

int mkey_dm_run_synced(struct dm_task *dmt)
{
	uint32_t cookie = 0;
	int ret = 0;

	/*
	 * dm_task_set_cookie() itself falls back to cookie 0 when udev sync
	 * is unavailable (no udev running: the test VM), and dm_udev_wait(0)
	 * then creates or removes the /dev/mapper node directly.
	 */
	if (!dm_task_set_cookie(dmt, &cookie, 0))
		return -EIO;
	if (!dm_task_run(dmt))
		ret = mkey_dm_task_errno(dmt);
	(void)dm_udev_wait(cookie);
	return ret;
}
