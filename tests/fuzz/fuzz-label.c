// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the volume label reader (docs/volume-label.md):
 * mkey_label_decode() on one header, mkey_label_read_fd() on a whole
 * "device" (a sparse memfd of any size up to 2 TiB with the two copies in
 * their slots), and the layout arithmetic that format uses.
 *
 * Input: 1 control byte, 8 bytes of device size, then the primary header
 * and the backup header (up to 512 bytes each; short ones are zero-padded
 * on the device but decoded at their real length too). Control bits 0 and
 * 1 make the harness write a correct SHA-256 into the primary and backup
 * header first, so that every field rule behind the checksum is reachable
 * (a fuzzer cannot forge SHA-256 by itself).
 *
 * Invariants checked:
 *   - a header that decodes as valid re-encodes to exactly the same bytes
 *     (the reader accepts nothing the writer would not produce);
 *   - a valid decode obeys every rule of the format (key size, sector size,
 *     offsets and lengths in whole sectors, data area before the backup);
 *   - mkey_label_read_fd() returns 0 only with a valid copy chosen, that
 *     copy's label, and a data area that fits the device; it prefers the
 *     primary; copies_differ only when both are valid;
 *   - mkey_label_layout() gives a layout that the decoder accepts.
 *
 *   make fuzz FUZZ_TIME=600      long run (corpus in build/fuzz/corpus/label)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "label-layout.h"
#include "le.h"
#include "mkey/label.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEV_MAX_BYTES (2ULL << 40)	/* 2 TiB, sparse */

static int dev_fd = -1;

static void check_valid(const struct mkey_label *l, uint64_t device_bytes)
{
	uint64_t unit;

	if (l->version != MKEY_LABEL_VERSION || l->header_size != MKEY_LABEL_HEADER_SIZE ||
	    l->flags != 0 || strcmp(l->cipher, MKEY_LABEL_CIPHER) != 0 ||
	    !mkey_key_bytes(l->key_bits) ||
	    (l->sector_size != 512 && l->sector_size != 4096))
		abort();
	unit = l->sector_size / 512;
	if (l->data_offset < MKEY_MIN_DATA_OFFSET || l->data_offset % unit ||
	    l->data_sectors == 0 || l->data_sectors % unit)
		abort();
	if (device_bytes) {
		uint64_t backup = mkey_label_backup_offset(device_bytes) / 512;

		if (l->data_offset > backup || l->data_sectors > backup - l->data_offset)
			abort();
	}
}

/* Decode @h (@len bytes) and check the round trip when it is valid. */
static enum mkey_label_fault decode_one(const uint8_t *h, size_t len, uint64_t device_bytes)
{
	uint8_t again[MKEY_LABEL_HEADER_SIZE];
	struct mkey_label l;
	enum mkey_label_fault f;

	f = mkey_label_decode(h, len, device_bytes, &l);
	if (f != MKEY_LABEL_OK) {
		if (mkey_label_fault_str(f) == NULL || mkey_label_fault_errno(f) >= 0)
			abort();
		return f;
	}
	if (len < MKEY_LABEL_HEADER_SIZE)
		abort();	/* a short buffer must never be a label */
	check_valid(&l, device_bytes);
	mkey_label_encode(&l, again);
	if (memcmp(again, h, MKEY_LABEL_HEADER_SIZE) != 0)
		abort();	/* accepted bytes the writer would not produce */
	return f;
}

static void fix_checksum(uint8_t *h)
{
	uint8_t sum[LBL_CHECKSUM_SIZE];

	if (mkey_label_checksum(h, sum) == 0)
		memcpy(h + LBL_OFF_CHECKSUM, sum, sizeof(sum));
}

static void check_layout(uint64_t device_bytes, uint8_t ctl, uint64_t offset_hint)
{
	uint32_t ss = (ctl & 0x10) ? 4096 : 512;
	uint64_t off, sectors, min;
	struct mkey_label l = { 0 };
	uint8_t h[MKEY_LABEL_HEADER_SIZE];

	if (mkey_label_layout(device_bytes, ss, offset_hint, &off, &sectors) != 0)
		return;
	l.flags = 0;
	strcpy(l.cipher, MKEY_LABEL_CIPHER);
	l.key_bits = 256;
	l.sector_size = ss;
	l.data_offset = off;
	l.data_sectors = sectors;
	mkey_label_encode(&l, h);
	if (mkey_label_decode(h, sizeof(h), device_bytes, &l) != MKEY_LABEL_OK)
		abort();	/* format would write a label the reader refuses */
	min = mkey_label_min_device_bytes(ss, offset_hint);
	if (min > device_bytes)
		abort();	/* the layout fit a device smaller than the minimum */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t prim[MKEY_LABEL_HEADER_SIZE] = { 0 }, back[MKEY_LABEL_HEADER_SIZE] = { 0 };
	size_t plen, blen;
	uint64_t dev, backup_off;
	struct mkey_label_read r;
	enum mkey_label_fault pf, bf;
	uint8_t ctl;
	int ret;

	if (size < 9)
		return 0;
	ctl = data[0];
	dev = get_le64(data + 1);
	data += 9;
	size -= 9;
	plen = size < MKEY_LABEL_HEADER_SIZE ? size : MKEY_LABEL_HEADER_SIZE;
	memcpy(prim, data, plen);
	data += plen;
	size -= plen;
	blen = size < MKEY_LABEL_HEADER_SIZE ? size : MKEY_LABEL_HEADER_SIZE;
	memcpy(back, data, blen);

	/* Small devices are the interesting ones; big ones come from the top bits. */
	if (ctl & 0x80)
		dev %= DEV_MAX_BYTES;
	else
		dev %= 1 << 24;
	if (ctl & 0x01) {
		fix_checksum(prim);
		plen = MKEY_LABEL_HEADER_SIZE;
	}
	if (ctl & 0x02) {
		fix_checksum(back);
		blen = MKEY_LABEL_HEADER_SIZE;
	}

	/* The decoder alone, at the real length and padded, with and without a device size. */
	(void)decode_one(prim, plen, 0);
	(void)decode_one(back, blen, 0);
	pf = decode_one(prim, MKEY_LABEL_HEADER_SIZE, dev);
	bf = decode_one(back, MKEY_LABEL_HEADER_SIZE, dev);
	check_layout(dev, ctl, get_le64(prim + LBL_OFF_DATA_OFFSET) & ((ctl & 0x20) ? ~0ULL : 0xffff));

	/* The reader on a device of @dev bytes. */
	if (dev_fd < 0) {
		dev_fd = memfd_create("fuzz-label", MFD_CLOEXEC);
		if (dev_fd < 0)
			abort();
	}
	if (ftruncate(dev_fd, 0) < 0 || ftruncate(dev_fd, (off_t)dev) < 0)
		abort();
	if (dev >= MKEY_LABEL_SLOT_SIZE &&
	    pwrite(dev_fd, prim, sizeof(prim), 0) != (ssize_t)sizeof(prim))
		abort();
	backup_off = mkey_label_backup_offset(dev);
	if (backup_off && pwrite(dev_fd, back, sizeof(back), (off_t)backup_off) != (ssize_t)sizeof(back))
		abort();

	ret = mkey_label_read_fd(dev_fd, &r);
	if (r.device_bytes != dev)
		abort();
	if (dev < MKEY_LABEL_SLOT_SIZE) {
		if (ret != -ENOSPC)
			abort();	/* no room for even the primary slot */
		return 0;
	}
	if (r.primary.fault != mkey_label_decode(prim, MKEY_LABEL_HEADER_SIZE, 0, &(struct mkey_label){ 0 }))
		abort();
	(void)pf;
	(void)bf;
	if (ret == 0 || ret == -EFBIG) {
		if (r.used == MKEY_COPY_PRIMARY) {
			if (r.primary.fault != MKEY_LABEL_OK)
				abort();
		} else if (r.used == MKEY_COPY_BACKUP) {
			if (r.primary.fault == MKEY_LABEL_OK || r.backup.fault != MKEY_LABEL_OK)
				abort();
		} else {
			abort();
		}
		check_valid(&r.label, 0);
		if ((ret == -EFBIG) != r.data_past_end)
			abort();
		if (ret == 0)
			check_valid(&r.label, dev);
		if (r.copies_differ && r.backup.fault != MKEY_LABEL_OK)
			abort();
	} else {
		if (r.used != MKEY_COPY_NONE || r.primary.fault == MKEY_LABEL_OK ||
		    r.backup.fault == MKEY_LABEL_OK)
			abort();
	}
	(void)mkey_label_read_found_any(&r);
	(void)mkey_label_copy_name(r.used);
	return 0;
}
