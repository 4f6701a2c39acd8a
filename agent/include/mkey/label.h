/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The on-disk volume label, format version 1: see docs/volume-label.md,
 * which is the contract with the kernel target. This header only gives it
 * names; every rule here is a rule from that document.
 */
#ifndef MKEY_LABEL_H
#define MKEY_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mkey/guid.h"

#define MKEY_LABEL_SLOT_SIZE	 4096
#define MKEY_LABEL_HEADER_SIZE	 512
#define MKEY_LABEL_VERSION	 1
#define MKEY_LABEL_MAGIC	 "MKEYLBL"	/* 8 bytes with the NUL */
#define MKEY_LABEL_CIPHER	 "aes-xts-plain64"
#define MKEY_LABEL_CIPHER_SIZE	 32
#define MKEY_KCV_SIZE		 32
#define MKEY_KCV_MESSAGE	 "dm-mkey key check v1"
#define MKEY_DEFAULT_DATA_OFFSET 2048	/* 512-byte sectors: 1 MiB */
#define MKEY_MIN_DATA_OFFSET	 8	/* just past the primary slot */
#define MKEY_KEY_MAX_BYTES	 64	/* XTS key material for AES-256 */

struct mkey_label {
	uint16_t version;
	uint16_t header_size;
	uint32_t flags;
	struct mkey_guid volume_uuid;
	struct mkey_guid key_guid;
	char cipher[MKEY_LABEL_CIPHER_SIZE + 1];	/* always NUL-terminated */
	uint32_t key_bits;
	uint32_t sector_size;
	uint64_t data_offset;	/* 512-byte sectors */
	uint64_t data_sectors;	/* 512-byte sectors */
	uint8_t kcv[MKEY_KCV_SIZE];
};

/*
 * Why a label copy is not valid. Each read rule has its own value so that a
 * user can be told exactly what is wrong.
 */
enum mkey_label_fault {
	MKEY_LABEL_OK = 0,
	MKEY_LABEL_NO_MAGIC,		/* not a dm-mkey label at all */
	MKEY_LABEL_BAD_VERSION,
	MKEY_LABEL_BAD_HEADER_SIZE,
	MKEY_LABEL_BAD_CHECKSUM,
	MKEY_LABEL_BAD_FLAGS,
	MKEY_LABEL_BAD_CIPHER,
	MKEY_LABEL_BAD_KEY_BITS,
	MKEY_LABEL_BAD_SECTOR_SIZE,
	MKEY_LABEL_BAD_RESERVED,
	MKEY_LABEL_BAD_DATA_OFFSET,
	MKEY_LABEL_BAD_DATA_SECTORS,
	MKEY_LABEL_DATA_PAST_END,	/* data area runs into the backup slot */
	MKEY_LABEL_UNREADABLE,		/* I/O error reading the slot */
	MKEY_LABEL_OUTSIDE_DEVICE,	/* device too small to hold the slot */
};

/* One-line explanation of a fault, e.g. "bad checksum". */
const char *mkey_label_fault_str(enum mkey_label_fault fault);

/* Negative errno that stands for a fault: -ENODATA (no label), -EBADMSG, ... */
int mkey_label_fault_errno(enum mkey_label_fault fault);

/* Byte offset of the backup slot; 0 if the device is too small for one. */
uint64_t mkey_label_backup_offset(uint64_t device_bytes);

/*
 * Encodes @label into a 512-byte header (reserved bytes zeroed, checksum
 * computed; magic, version, header size are always written as v1). @label's
 * own version/header_size fields are ignored so that a caller cannot write
 * a label this library cannot read.
 */
void mkey_label_encode(const struct mkey_label *label,
		       uint8_t header[MKEY_LABEL_HEADER_SIZE]);

/*
 * Decodes and checks one header. @device_bytes enables the rule that the
 * data area ends before the backup slot (0: skip that rule, as the copy
 * validity check of the label document does). Fills @out
 * with the fields as read, even when a rule fails after the checksum
 * passed (so a dump can show them), and returns the fault, MKEY_LABEL_OK
 * when the copy is valid.
 */
enum mkey_label_fault mkey_label_decode(const uint8_t *header, size_t len,
					uint64_t device_bytes,
					struct mkey_label *out);

/* Key material bytes for a key size: 2 * key_bits / 8; 0 if invalid. */
size_t mkey_key_bytes(uint32_t key_bits);

/* key_bits for a raw key length (32/48/64 -> 128/192/256); 0 if invalid. */
uint32_t mkey_key_bits_for_len(size_t key_len);

/*
 * Key check value per the label document. @key_len must be 32, 48 or 64.
 * Returns 0, -EINVAL (bad length) or -EIO (OpenSSL failure).
 */
int mkey_kcv_compute(const uint8_t *key, size_t key_len,
		     const struct mkey_guid *volume_uuid,
		     const struct mkey_guid *key_guid,
		     uint8_t kcv[MKEY_KCV_SIZE]);

/*
 * Checks a key against a label in constant time. Returns 0 when it is the
 * label's key, -EKEYREJECTED when it is not, -EMSGSIZE when its length does
 * not match the label's key size, -EIO on OpenSSL failure.
 */
int mkey_kcv_verify(const struct mkey_label *label, const uint8_t *key,
		    size_t key_len);

/*
 * Format layout: given the device size, encryption sector size and data
 * offset (0 = MKEY_DEFAULT_DATA_OFFSET), compute data_sectors, the largest
 * multiple of the sector size that ends before the backup slot.
 * Returns 0; -EINVAL for a sector size other than 512/4096 or a data
 * offset below 8 or not a multiple of the sector size; -ENOSPC when the
 * device cannot hold both slots and one encryption sector of data.
 */
int mkey_label_layout(uint64_t device_bytes, uint32_t sector_size,
		      uint64_t data_offset, uint64_t *data_offset_out,
		      uint64_t *data_sectors_out);

/* Smallest device (bytes) that mkey_label_layout() accepts. */
uint64_t mkey_label_min_device_bytes(uint32_t sector_size, uint64_t data_offset);

/* ---- label I/O on a device or regular file ---- */

enum mkey_label_copy {
	MKEY_COPY_NONE = 0,
	MKEY_COPY_PRIMARY,
	MKEY_COPY_BACKUP,
};

const char *mkey_label_copy_name(enum mkey_label_copy copy);

struct mkey_label_slot {
	uint64_t offset;		/* byte offset of the slot */
	enum mkey_label_fault fault;	/* MKEY_LABEL_OK if valid */
	int io_error;			/* negative errno if UNREADABLE */
	struct mkey_label label;	/* fields as read (trust only if valid) */
};

struct mkey_label_read {
	uint64_t device_bytes;
	enum mkey_label_copy used;	/* which copy @label comes from */
	struct mkey_label label;	/* the label to use */
	struct mkey_label_slot primary;
	struct mkey_label_slot backup;
	bool copies_differ;		/* both valid but not identical */
	bool data_past_end;		/* chosen label's data area does not fit */
};

/*
 * Reads both copies from @fd (block device or regular file) and picks the
 * label: primary if valid, else backup. Always fills @out, so a caller can
 * explain each copy. Returns 0 when a copy is usable; otherwise the errno
 * of the primary copy's fault (-ENODATA when it has no label at all),
 * or -EIO/-ENOSPC for devices that could not be read/are too small.
 * As in the kernel, whether the data area fits the device is a rule on
 * the chosen label, not on copy validity: a chosen label whose data area
 * runs into the backup slot sets data_past_end and returns -EFBIG.
 */
int mkey_label_read_fd(int fd, struct mkey_label_read *out);

/* Opens @path read-only (O_DIRECT on block devices) and reads. */
int mkey_label_read_path(const char *path, struct mkey_label_read *out);

/* True when either copy at least carries the label magic. */
bool mkey_label_read_found_any(const struct mkey_label_read *r);

/*
 * Writes both copies (primary, then backup, each a full 4 KiB slot) and
 * fsyncs. Checks first that @label decodes as valid for @fd's size.
 * Returns 0, -EINVAL (label breaks a rule), -ENOSPC, or the write errno.
 */
int mkey_label_write_fd(int fd, const struct mkey_label *label);

#endif
