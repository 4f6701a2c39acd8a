// SPDX-License-Identifier: GPL-2.0
/* Where a new label's data area goes on a device of a given size. */
#include <errno.h>

#include "mkey/label.h"

uint64_t mkey_label_backup_offset(uint64_t device_bytes)
{
	uint64_t whole = device_bytes / MKEY_LABEL_SLOT_SIZE * MKEY_LABEL_SLOT_SIZE;

	/* The backup must not be the primary slot itself. */
	if (whole < 2 * MKEY_LABEL_SLOT_SIZE)
		return 0;
	return whole - MKEY_LABEL_SLOT_SIZE;
}

uint64_t mkey_label_min_device_bytes(uint32_t sector_size, uint64_t data_offset)
{
	uint64_t data_end;

	if (!data_offset)
		data_offset = MKEY_DEFAULT_DATA_OFFSET;
	data_end = data_offset * 512 + sector_size;
	/* Round the data end up to a slot boundary, then add the backup slot. */
	return (data_end + MKEY_LABEL_SLOT_SIZE - 1) / MKEY_LABEL_SLOT_SIZE *
	       MKEY_LABEL_SLOT_SIZE + MKEY_LABEL_SLOT_SIZE;
}

int mkey_label_layout(uint64_t device_bytes, uint32_t sector_size,
		      uint64_t data_offset, uint64_t *data_offset_out,
		      uint64_t *data_sectors_out)
{
	uint64_t unit, backup, room;

	if (sector_size != 512 && sector_size != 4096)
		return -EINVAL;
	unit = sector_size / 512;
	if (!data_offset)
		data_offset = MKEY_DEFAULT_DATA_OFFSET;
	/* Offsets beyond 2^54 sectors would overflow byte arithmetic. */
	if (data_offset < MKEY_MIN_DATA_OFFSET || data_offset % unit ||
	    data_offset > (UINT64_MAX >> 10))
		return -EINVAL;
	backup = mkey_label_backup_offset(device_bytes) / 512;
	if (backup <= data_offset)
		return -ENOSPC;
	room = (backup - data_offset) / unit * unit;
	if (!room)
		return -ENOSPC;
	*data_offset_out = data_offset;
	*data_sectors_out = room;
	return 0;
}
