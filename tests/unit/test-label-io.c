// SPDX-License-Identifier: GPL-2.0
/* Label I/O on regular files standing in for devices. */
#include "kselftest_harness.h"

#include <errno.h>
#include <sys/stat.h>

#include "mkey/label.h"
#include "unit-util.h"

FIXTURE(device) {
	char path[64];
	int fd;
	struct mkey_label label;
	struct mkey_label_read r;
};

FIXTURE_SETUP(device)
{
	self->fd = make_temp_device(64 * MIB, self->path);
	ASSERT_GE(self->fd, 0);
	sample_label(&self->label);
}

FIXTURE_TEARDOWN(device)
{
	close(self->fd);
	unlink(self->path);
}

static void scribble(int fd, uint64_t offset, size_t len, uint8_t byte)
{
	uint8_t buf[4096];

	memset(buf, byte, sizeof(buf));
	if (pwrite(fd, buf, len, (off_t)offset) != (ssize_t)len)
		abort();
}

static void flip_byte(int fd, uint64_t offset)
{
	uint8_t b;

	if (pread(fd, &b, 1, (off_t)offset) != 1)
		abort();
	b ^= 0x01;
	if (pwrite(fd, &b, 1, (off_t)offset) != 1)
		abort();
}

TEST_F(device, write_then_read_round_trips_via_primary)
{
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	ASSERT_EQ(0, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_PRIMARY, self->r.used);
	EXPECT_EQ(MKEY_LABEL_OK, self->r.primary.fault);
	EXPECT_EQ(MKEY_LABEL_OK, self->r.backup.fault);
	EXPECT_EQ(0, self->r.primary.offset);
	EXPECT_EQ(64 * MIB - 4096, self->r.backup.offset);
	EXPECT_FALSE(self->r.copies_differ);
	EXPECT_FALSE(self->r.data_past_end);
	EXPECT_EQ(64 * MIB, self->r.device_bytes);
	EXPECT_TRUE(mkey_guid_equal(&self->label.key_guid, &self->r.label.key_guid));
	EXPECT_EQ(self->label.data_sectors, self->r.label.data_sectors);
}

TEST_F(device, both_slots_are_written_in_full_with_zero_tails)
{
	uint8_t slot[4096], backup[4096];

	scribble(self->fd, 0, 4096, 0xee);
	scribble(self->fd, 64 * MIB - 4096, 4096, 0xee);
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	ASSERT_EQ(4096, pread(self->fd, slot, 4096, 0));
	ASSERT_EQ(4096, pread(self->fd, backup, 4096, 64 * MIB - 4096));
	EXPECT_EQ(0, memcmp(slot, backup, 4096));
	for (int i = 512; i < 4096; i++) {
		ASSERT_EQ(0, slot[i]) TH_LOG("byte %d of the slot", i);
	}
	EXPECT_EQ(0, memcmp(slot, "MKEYLBL", 8));
}

TEST_F(device, slot_tail_is_ignored_on_read)
{
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	scribble(self->fd, 512, 3584, 0x77);
	ASSERT_EQ(0, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_PRIMARY, self->r.used);
}

TEST_F(device, corrupt_primary_falls_back_to_backup)
{
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	flip_byte(self->fd, 40);	/* inside the key GUID */
	ASSERT_EQ(0, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_BACKUP, self->r.used);
	EXPECT_EQ(MKEY_LABEL_BAD_CHECKSUM, self->r.primary.fault);
	EXPECT_EQ(MKEY_LABEL_OK, self->r.backup.fault);
	EXPECT_TRUE(mkey_guid_equal(&self->label.key_guid, &self->r.label.key_guid));
}

TEST_F(device, wiped_primary_falls_back_to_backup)
{
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	scribble(self->fd, 0, 4096, 0);
	ASSERT_EQ(0, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_BACKUP, self->r.used);
	EXPECT_EQ(MKEY_LABEL_NO_MAGIC, self->r.primary.fault);
}

TEST_F(device, corrupt_backup_keeps_primary)
{
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	flip_byte(self->fd, 64 * MIB - 4096 + 100);
	ASSERT_EQ(0, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_PRIMARY, self->r.used);
	EXPECT_EQ(MKEY_LABEL_BAD_CHECKSUM, self->r.backup.fault);
}

TEST_F(device, both_corrupt_is_refused_with_each_reason)
{
	uint8_t ver = 9;

	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	flip_byte(self->fd, 200);			/* primary: checksum */
	ASSERT_EQ(1, pwrite(self->fd, &ver, 1, 64 * MIB - 4096 + 8));	/* backup: version */
	EXPECT_EQ(-EBADMSG, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_NONE, self->r.used);
	EXPECT_EQ(MKEY_LABEL_BAD_CHECKSUM, self->r.primary.fault);
	EXPECT_EQ(MKEY_LABEL_BAD_VERSION, self->r.backup.fault);
	EXPECT_TRUE(mkey_label_read_found_any(&self->r));
}

TEST_F(device, blank_device_has_no_label)
{
	EXPECT_EQ(-ENODATA, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_LABEL_NO_MAGIC, self->r.primary.fault);
	EXPECT_EQ(MKEY_LABEL_NO_MAGIC, self->r.backup.fault);
	EXPECT_FALSE(mkey_label_read_found_any(&self->r));
}

TEST_F(device, damaged_backup_only_says_corrupt_not_absent)
{
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	scribble(self->fd, 0, 4096, 0);
	flip_byte(self->fd, 64 * MIB - 4096 + 300);
	EXPECT_EQ(-EBADMSG, mkey_label_read_fd(self->fd, &self->r));
}

TEST_F(device, copies_that_differ_prefer_primary)
{
	struct mkey_label other = self->label;

	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &other));
	/* Write a different (valid) primary by hand. */
	self->label.kcv[0] ^= 0xff;
	{
		uint8_t slot[4096] = { 0 };

		mkey_label_encode(&self->label, slot);
		ASSERT_EQ(4096, pwrite(self->fd, slot, 4096, 0));
	}
	ASSERT_EQ(0, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_PRIMARY, self->r.used);
	EXPECT_TRUE(self->r.copies_differ);
	EXPECT_EQ(self->label.kcv[0], self->r.label.kcv[0]);
}

TEST_F(device, grown_device_still_reads_primary)
{
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	ASSERT_EQ(0, ftruncate(self->fd, 128 * MIB));
	ASSERT_EQ(0, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_PRIMARY, self->r.used);
	EXPECT_EQ(MKEY_LABEL_NO_MAGIC, self->r.backup.fault);
}

TEST_F(device, shrunk_device_is_refused_as_data_past_end)
{
	ASSERT_EQ(0, mkey_label_write_fd(self->fd, &self->label));
	ASSERT_EQ(0, ftruncate(self->fd, 32 * MIB));
	EXPECT_EQ(-EFBIG, mkey_label_read_fd(self->fd, &self->r));
	EXPECT_EQ(MKEY_COPY_PRIMARY, self->r.used);
	EXPECT_TRUE(self->r.data_past_end);
}

TEST_F(device, write_refuses_labels_a_reader_would_refuse)
{
	self->label.key_bits = 512;
	EXPECT_EQ(-EINVAL, mkey_label_write_fd(self->fd, &self->label));
	sample_label(&self->label);
	self->label.data_sectors += 8;		/* into the backup slot */
	EXPECT_EQ(-EINVAL, mkey_label_write_fd(self->fd, &self->label));
	sample_label(&self->label);
	self->label.flags = 1;
	EXPECT_EQ(-EINVAL, mkey_label_write_fd(self->fd, &self->label));
	/* Nothing was written. */
	EXPECT_EQ(-ENODATA, mkey_label_read_fd(self->fd, &self->r));
}

TEST(tiny_devices)
{
	struct mkey_label_read r;
	struct mkey_label l;
	char path[64];
	int fd;

	fd = make_temp_device(100, path);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-ENOSPC, mkey_label_read_fd(fd, &r));
	sample_label(&l);
	EXPECT_EQ(-ENOSPC, mkey_label_write_fd(fd, &l));
	ASSERT_EQ(0, ftruncate(fd, 6000));	/* primary slot, no room for a backup */
	EXPECT_EQ(-ENODATA, mkey_label_read_fd(fd, &r));
	EXPECT_EQ(MKEY_LABEL_OUTSIDE_DEVICE, r.backup.fault);
	close(fd);
	unlink(path);
}

TEST(read_path_reports_open_errors)
{
	struct mkey_label_read r;

	EXPECT_EQ(-ENOENT, mkey_label_read_path("/nonexistent/mkey-unit", &r));
	EXPECT_EQ(-ENOTBLK, mkey_label_read_path("/dev/null", &r));	/* char device */
}

TEST_HARNESS_MAIN
