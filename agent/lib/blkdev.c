// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkey/blkdev.h"

int mkey_dev_size(int fd, uint64_t *bytes)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, bytes) < 0 ? -errno : 0;
	if (S_ISREG(st.st_mode)) {
		*bytes = (uint64_t)st.st_size;
		return 0;
	}
	return -ENOTBLK;
}

int mkey_dev_logical_block_size(int fd, uint32_t *bytes)
{
	struct stat st;
	int bs;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode)) {
		*bytes = 512;
		return 0;
	}
	if (ioctl(fd, BLKSSZGET, &bs) < 0)
		return -errno;
	*bytes = (uint32_t)bs;
	return 0;
}

bool mkey_dev_is_block(int fd, dev_t *rdev)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	if (rdev)
		*rdev = st.st_rdev;
	return true;
}

int mkey_dev_open_exclusive(const char *path, int flags)
{
	int fd = open(path, flags | O_EXCL | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}
