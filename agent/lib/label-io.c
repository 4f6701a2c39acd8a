// SPDX-License-Identifier: GPL-2.0
/*
 * Label I/O. Buffers are 4 KiB-aligned and every transfer is a whole
 * 4 KiB slot at a 4 KiB offset, so the same code works on regular files,
 * on 512e and 4Kn block devices, and on fds opened with O_DIRECT (which we
 * use for block devices, so that we read the disk and not a page cache
 * that another path to the disk may have left stale).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkey/blkdev.h"
#include "mkey/label.h"

const char *mkey_label_copy_name(enum mkey_label_copy copy)
{
	switch (copy) {
	case MKEY_COPY_PRIMARY:
		return "primary";
	case MKEY_COPY_BACKUP:
		return "backup";
	default:
		return "none";
	}
}

static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* short device: treat as unreadable */
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOSPC;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static void read_slot(int fd, uint8_t *buf, struct mkey_label_slot *slot)
{
	int ret;

	ret = pread_full(fd, buf, MKEY_LABEL_SLOT_SIZE, slot->offset);
	if (ret < 0) {
		slot->fault = MKEY_LABEL_UNREADABLE;
		slot->io_error = ret;
		return;
	}
	slot->fault = mkey_label_decode(buf, MKEY_LABEL_HEADER_SIZE, 0,
					&slot->label);
}

/* Field by field: struct padding is not guaranteed to be copied. */
static bool labels_equal(const struct mkey_label *a, const struct mkey_label *b)
{
	return a->version == b->version && a->header_size == b->header_size &&
	       a->flags == b->flags &&
	       mkey_guid_equal(&a->volume_uuid, &b->volume_uuid) &&
	       mkey_guid_equal(&a->key_guid, &b->key_guid) &&
	       strcmp(a->cipher, b->cipher) == 0 &&
	       a->key_bits == b->key_bits && a->sector_size == b->sector_size &&
	       a->data_offset == b->data_offset &&
	       a->data_sectors == b->data_sectors &&
	       memcmp(a->kcv, b->kcv, sizeof(a->kcv)) == 0;
}

static bool label_fits(const struct mkey_label *l, uint64_t device_bytes)
{
	uint64_t backup = mkey_label_backup_offset(device_bytes) / 512;

	return l->data_offset <= backup && l->data_sectors <= backup - l->data_offset;
}

/* Which copy's complaint tells the user most when neither is usable. */
static int read_error(const struct mkey_label_read *r)
{
	enum mkey_label_fault p = r->primary.fault, b = r->backup.fault;

	if (p == MKEY_LABEL_UNREADABLE)
		return r->primary.io_error;
	if (p == MKEY_LABEL_NO_MAGIC && b != MKEY_LABEL_NO_MAGIC &&
	    b != MKEY_LABEL_OUTSIDE_DEVICE && b != MKEY_LABEL_UNREADABLE)
		return mkey_label_fault_errno(b);
	return mkey_label_fault_errno(p);
}

int mkey_label_read_fd(int fd, struct mkey_label_read *out)
{
	uint8_t *buf = NULL;
	uint64_t size;
	int ret;

	memset(out, 0, sizeof(*out));
	out->primary.fault = MKEY_LABEL_OUTSIDE_DEVICE;
	out->backup.fault = MKEY_LABEL_OUTSIDE_DEVICE;
	ret = mkey_dev_size(fd, &size);
	if (ret < 0)
		return ret;
	out->device_bytes = size;
	if (size < MKEY_LABEL_SLOT_SIZE)
		return -ENOSPC;
	if (posix_memalign((void **)&buf, MKEY_LABEL_SLOT_SIZE, MKEY_LABEL_SLOT_SIZE))
		return -ENOMEM;

	out->primary.offset = 0;
	read_slot(fd, buf, &out->primary);
	out->backup.offset = mkey_label_backup_offset(size);
	if (out->backup.offset)
		read_slot(fd, buf, &out->backup);
	free(buf);

	if (out->primary.fault == MKEY_LABEL_OK) {
		out->used = MKEY_COPY_PRIMARY;
		out->label = out->primary.label;
		out->copies_differ = out->backup.fault == MKEY_LABEL_OK &&
			!labels_equal(&out->primary.label, &out->backup.label);
	} else if (out->backup.fault == MKEY_LABEL_OK) {
		out->used = MKEY_COPY_BACKUP;
		out->label = out->backup.label;
	} else {
		return read_error(out);
	}
	out->data_past_end = !label_fits(&out->label, size);
	return out->data_past_end ? -EFBIG : 0;
}

bool mkey_label_read_found_any(const struct mkey_label_read *r)
{
	enum mkey_label_fault p = r->primary.fault, b = r->backup.fault;

	return (p != MKEY_LABEL_NO_MAGIC && p != MKEY_LABEL_OUTSIDE_DEVICE &&
		p != MKEY_LABEL_UNREADABLE) ||
	       (b != MKEY_LABEL_NO_MAGIC && b != MKEY_LABEL_OUTSIDE_DEVICE &&
		b != MKEY_LABEL_UNREADABLE);
}

int mkey_label_read_path(const char *path, struct mkey_label_read *out)
{
	struct stat st;
	int fd, ret;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		int dfd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);

		if (dfd >= 0) {
			close(fd);
			fd = dfd;
		}
	}
	ret = mkey_label_read_fd(fd, out);
	close(fd);
	return ret;
}

int mkey_label_write_fd(int fd, const struct mkey_label *label)
{
	struct mkey_label check;
	uint8_t *slot = NULL;
	uint64_t size, backup;
	int ret;

	ret = mkey_dev_size(fd, &size);
	if (ret < 0)
		return ret;
	backup = mkey_label_backup_offset(size);
	if (!backup)
		return -ENOSPC;
	if (posix_memalign((void **)&slot, MKEY_LABEL_SLOT_SIZE, MKEY_LABEL_SLOT_SIZE))
		return -ENOMEM;
	memset(slot, 0, MKEY_LABEL_SLOT_SIZE);
	mkey_label_encode(label, slot);
	/* Never write what a reader (ours or the kernel's) would refuse. */
	if (mkey_label_decode(slot, MKEY_LABEL_HEADER_SIZE, size, &check) != MKEY_LABEL_OK) {
		ret = -EINVAL;
		goto out;
	}
	ret = pwrite_full(fd, slot, MKEY_LABEL_SLOT_SIZE, 0);
	if (!ret)
		ret = pwrite_full(fd, slot, MKEY_LABEL_SLOT_SIZE, backup);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
out:
	free(slot);
	return ret;
}
