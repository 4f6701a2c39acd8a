/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Block device helpers. Regular files stand in for devices in the unit
 * tests and for image files, so every helper also works on them.
 */
#ifndef MKEY_BLKDEV_H
#define MKEY_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Size in bytes: BLKGETSIZE64 for block devices, st_size for files. */
int mkey_dev_size(int fd, uint64_t *bytes);

/* Logical block size: BLKSSZGET for block devices, 512 for files. */
int mkey_dev_logical_block_size(int fd, uint32_t *bytes);

/* True if @fd is a block device; its dev_t in @rdev (may be NULL). */
bool mkey_dev_is_block(int fd, dev_t *rdev);

/*
 * Opens @path with @flags | O_EXCL | O_CLOEXEC. For block devices O_EXCL
 * is the kernel's "nobody else has it claimed" test: it fails with EBUSY
 * when the device is mounted, a dm or md holder uses it, or another
 * exclusive opener exists. Returns the fd or a negative errno.
 */
int mkey_dev_open_exclusive(const char *path, int flags);

/*
 * Where the block device @dev is mounted, from /proc/self/mountinfo.
 * Returns 0 with the first mount point in @buf, -ENOENT if not mounted.
 */
int mkey_dev_mount_point(dev_t dev, char *buf, size_t len);

/*
 * Names the holders of @dev (/sys/dev/block/M:m/holders: dm-3, md0 ...)
 * as a comma-separated list, with device-mapper names resolved ("dm-3
 * (data)"). Returns 0, -ENOENT when there are none.
 */
int mkey_dev_holders(dev_t dev, char *buf, size_t len);

/*
 * One phrase that says why @dev is busy, for messages: "mounted on /mnt",
 * "held by dm-3 (data)", or "held open by a process". Never fails.
 */
void mkey_dev_describe_busy(dev_t dev, char *buf, size_t len);

/*
 * Looks for anything libblkid recognizes on @fd (a filesystem, swap, RAID
 * or LVM member, LUKS, a partition table). Returns 0 when there is
 * nothing, 1 with what it is in @what ("a filesystem of type ext4", "a
 * partition table of type dos", "ambiguous signatures ..."), or a
 * negative errno.
 */
int mkey_dev_probe_signature(int fd, char *what, size_t len);

#endif
