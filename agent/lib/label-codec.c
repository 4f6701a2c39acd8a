// SPDX-License-Identifier: GPL-2.0
/*
 * Encode and decode one label header. The read rules are checked in an
 * order that gives the most useful answer: "not a label" before "newer
 * version" before "corrupt", and field rules only once the checksum says
 * the bytes are the ones that were written.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mkey/label.h"
#include "label-layout.h"
#include "le.h"

static const uint8_t label_magic[8] = MKEY_LABEL_MAGIC;

int mkey_label_checksum(const uint8_t *header, uint8_t out[LBL_CHECKSUM_SIZE])
{
	unsigned int len = 0;

	if (EVP_Digest(header, LBL_OFF_CHECKSUM, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != LBL_CHECKSUM_SIZE)
		return -EIO;
	return 0;
}

const char *mkey_label_fault_str(enum mkey_label_fault fault)
{
	switch (fault) {
	case MKEY_LABEL_OK:
		return "valid";
	case MKEY_LABEL_NO_MAGIC:
		return "no dm-mkey label (magic not found)";
	case MKEY_LABEL_BAD_VERSION:
		return "unsupported label version";
	case MKEY_LABEL_BAD_HEADER_SIZE:
		return "unsupported label header size";
	case MKEY_LABEL_BAD_CHECKSUM:
		return "bad checksum (label corrupted)";
	case MKEY_LABEL_BAD_FLAGS:
		return "unknown flags set";
	case MKEY_LABEL_BAD_CIPHER:
		return "unsupported cipher";
	case MKEY_LABEL_BAD_KEY_BITS:
		return "invalid key size (not 128, 192 or 256 bits)";
	case MKEY_LABEL_BAD_SECTOR_SIZE:
		return "invalid sector size (not 512 or 4096)";
	case MKEY_LABEL_BAD_RESERVED:
		return "reserved bytes are not zero";
	case MKEY_LABEL_BAD_DATA_OFFSET:
		return "invalid data offset";
	case MKEY_LABEL_BAD_DATA_SECTORS:
		return "invalid data length";
	case MKEY_LABEL_DATA_PAST_END:
		return "data area extends past the end of the device (device shrunk?)";
	case MKEY_LABEL_UNREADABLE:
		return "cannot be read (I/O error)";
	case MKEY_LABEL_OUTSIDE_DEVICE:
		return "device too small to hold a label";
	}
	return "unknown label fault";
}

int mkey_label_fault_errno(enum mkey_label_fault fault)
{
	switch (fault) {
	case MKEY_LABEL_OK:
		return 0;
	case MKEY_LABEL_NO_MAGIC:
		return -ENODATA;
	case MKEY_LABEL_BAD_VERSION:
	case MKEY_LABEL_BAD_HEADER_SIZE:
		return -EPROTONOSUPPORT;
	case MKEY_LABEL_UNREADABLE:
		return -EIO;
	case MKEY_LABEL_OUTSIDE_DEVICE:
		return -ENOSPC;
	case MKEY_LABEL_DATA_PAST_END:
		return -EFBIG;
	default:
		return -EBADMSG;
	}
}

size_t mkey_key_bytes(uint32_t key_bits)
{
	if (key_bits != 128 && key_bits != 192 && key_bits != 256)
		return 0;
	return 2 * key_bits / 8;
}

uint32_t mkey_key_bits_for_len(size_t key_len)
{
	if (key_len != 32 && key_len != 48 && key_len != 64)
		return 0;
	return (uint32_t)(key_len * 8 / 2);
}

void mkey_label_encode(const struct mkey_label *l, uint8_t h[MKEY_LABEL_HEADER_SIZE])
{
	memset(h, 0, MKEY_LABEL_HEADER_SIZE);
	memcpy(h + LBL_OFF_MAGIC, label_magic, sizeof(label_magic));
	put_le16(h + LBL_OFF_VERSION, MKEY_LABEL_VERSION);
	put_le16(h + LBL_OFF_HEADER_SIZE, MKEY_LABEL_HEADER_SIZE);
	put_le32(h + LBL_OFF_FLAGS, l->flags);
	memcpy(h + LBL_OFF_VOLUME_UUID, l->volume_uuid.b, MKEY_GUID_BYTES);
	memcpy(h + LBL_OFF_KEY_GUID, l->key_guid.b, MKEY_GUID_BYTES);
	memcpy(h + LBL_OFF_CIPHER, l->cipher,
	       strnlen(l->cipher, MKEY_LABEL_CIPHER_SIZE));
	put_le32(h + LBL_OFF_KEY_BITS, l->key_bits);
	put_le32(h + LBL_OFF_SECTOR_SIZE, l->sector_size);
	put_le64(h + LBL_OFF_DATA_OFFSET, l->data_offset);
	put_le64(h + LBL_OFF_DATA_SECTORS, l->data_sectors);
	memcpy(h + LBL_OFF_KCV, l->kcv, MKEY_KCV_SIZE);
	/* A digest failure leaves a zero checksum: the copy reads as corrupt. */
	(void)mkey_label_checksum(h, h + LBL_OFF_CHECKSUM);
}

static void parse_fields(const uint8_t *h, struct mkey_label *l)
{
	memset(l, 0, sizeof(*l));
	l->version = get_le16(h + LBL_OFF_VERSION);
	l->header_size = get_le16(h + LBL_OFF_HEADER_SIZE);
	l->flags = get_le32(h + LBL_OFF_FLAGS);
	memcpy(l->volume_uuid.b, h + LBL_OFF_VOLUME_UUID, MKEY_GUID_BYTES);
	memcpy(l->key_guid.b, h + LBL_OFF_KEY_GUID, MKEY_GUID_BYTES);
	memcpy(l->cipher, h + LBL_OFF_CIPHER, MKEY_LABEL_CIPHER_SIZE);
	l->cipher[MKEY_LABEL_CIPHER_SIZE] = '\0';
	l->key_bits = get_le32(h + LBL_OFF_KEY_BITS);
	l->sector_size = get_le32(h + LBL_OFF_SECTOR_SIZE);
	l->data_offset = get_le64(h + LBL_OFF_DATA_OFFSET);
	l->data_sectors = get_le64(h + LBL_OFF_DATA_SECTORS);
	memcpy(l->kcv, h + LBL_OFF_KCV, MKEY_KCV_SIZE);
}

static bool cipher_ok(const uint8_t *field)
{
	static const char want[] = MKEY_LABEL_CIPHER;
	size_t i;

	if (memcmp(field, want, sizeof(want) - 1) != 0)
		return false;
	for (i = sizeof(want) - 1; i < MKEY_LABEL_CIPHER_SIZE; i++)
		if (field[i] != 0)
			return false;
	return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

enum mkey_label_fault mkey_label_decode(const uint8_t *h, size_t len,
					uint64_t device_bytes,
					struct mkey_label *out)
{
	uint8_t sum[LBL_CHECKSUM_SIZE];
	struct mkey_label l;
	uint64_t unit, backup;

	memset(out, 0, sizeof(*out));
	if (len < MKEY_LABEL_HEADER_SIZE ||
	    memcmp(h + LBL_OFF_MAGIC, label_magic, sizeof(label_magic)) != 0)
		return MKEY_LABEL_NO_MAGIC;
	parse_fields(h, &l);
	*out = l;
	if (l.version != MKEY_LABEL_VERSION)
		return MKEY_LABEL_BAD_VERSION;
	if (l.header_size != MKEY_LABEL_HEADER_SIZE)
		return MKEY_LABEL_BAD_HEADER_SIZE;
	if (mkey_label_checksum(h, sum) < 0 ||
	    CRYPTO_memcmp(sum, h + LBL_OFF_CHECKSUM, sizeof(sum)) != 0)
		return MKEY_LABEL_BAD_CHECKSUM;
	if (l.flags != 0)
		return MKEY_LABEL_BAD_FLAGS;
	if (!cipher_ok(h + LBL_OFF_CIPHER))
		return MKEY_LABEL_BAD_CIPHER;
	if (!mkey_key_bytes(l.key_bits))
		return MKEY_LABEL_BAD_KEY_BITS;
	if (l.sector_size != 512 && l.sector_size != 4096)
		return MKEY_LABEL_BAD_SECTOR_SIZE;
	if (!all_zero(h + LBL_OFF_RESERVED, LBL_RESERVED_SIZE))
		return MKEY_LABEL_BAD_RESERVED;
	unit = l.sector_size / 512;
	if (l.data_offset < MKEY_MIN_DATA_OFFSET || l.data_offset % unit)
		return MKEY_LABEL_BAD_DATA_OFFSET;
	if (l.data_sectors == 0 || l.data_sectors % unit)
		return MKEY_LABEL_BAD_DATA_SECTORS;
	if (device_bytes) {
		backup = mkey_label_backup_offset(device_bytes) / 512;
		if (l.data_offset > backup || l.data_sectors > backup - l.data_offset)
			return MKEY_LABEL_DATA_PAST_END;
	}
	return MKEY_LABEL_OK;
}
