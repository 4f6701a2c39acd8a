// SPDX-License-Identifier: GPL-2.0
/* Device helpers on files and on what the host has. */
#include "kselftest_harness.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "mkey/blkdev.h"
#include "unit-util.h"

TEST(regular_file_size_and_block_size)
{
	char path[64];
	uint64_t size;
	uint32_t bs;
	int fd;

	fd = make_temp_device(5 * MIB + 123, path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mkey_dev_size(fd, &size));
	EXPECT_EQ(5 * MIB + 123, size);
	ASSERT_EQ(0, mkey_dev_logical_block_size(fd, &bs));
	EXPECT_EQ(512, bs);
	EXPECT_FALSE(mkey_dev_is_block(fd, NULL));
	close(fd);
	unlink(path);
}

TEST(char_device_is_not_a_volume)
{
	uint64_t size;
	int fd = open("/dev/null", O_RDONLY);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOTBLK, mkey_dev_size(fd, &size));
	close(fd);
}

TEST(open_exclusive_of_missing_path)
{
	EXPECT_EQ(-ENOENT, mkey_dev_open_exclusive("/nonexistent/dev", O_RDONLY));
}

TEST(mount_point_of_the_root_filesystem)
{
	struct stat st;
	char mp[4096];

	ASSERT_EQ(0, stat("/", &st));
	/* Whatever backs "/" appears in mountinfo with its major:minor. */
	EXPECT_EQ(0, mkey_dev_mount_point(st.st_dev, mp, sizeof(mp)));
	EXPECT_EQ('/', mp[0]);
}

TEST(unmounted_device_has_no_mount_point)
{
	char mp[64];

	/* 1:3 is /dev/null, a character device, never mounted. */
	EXPECT_EQ(-ENOENT, mkey_dev_mount_point(makedev(1, 3), mp, sizeof(mp)));
}

TEST(busy_description_never_fails)
{
	char why[256];

	mkey_dev_describe_busy(makedev(1, 3), why, sizeof(why));
	EXPECT_NE(0, strlen(why));
}

TEST_HARNESS_MAIN
