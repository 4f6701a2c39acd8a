/* SPDX-License-Identifier: GPL-2.0 */
/* Internal: byte offsets of the v1 header fields (docs/volume-label.md). */
#ifndef MKEY_LABEL_LAYOUT_H
#define MKEY_LABEL_LAYOUT_H

#define LBL_OFF_MAGIC		0
#define LBL_OFF_VERSION		8
#define LBL_OFF_HEADER_SIZE	10
#define LBL_OFF_FLAGS		12
#define LBL_OFF_VOLUME_UUID	16
#define LBL_OFF_KEY_GUID	32
#define LBL_OFF_CIPHER		48
#define LBL_OFF_KEY_BITS	80
#define LBL_OFF_SECTOR_SIZE	84
#define LBL_OFF_DATA_OFFSET	88
#define LBL_OFF_DATA_SECTORS	96
#define LBL_OFF_KCV		104
#define LBL_OFF_RESERVED	136
#define LBL_RESERVED_SIZE	344
#define LBL_OFF_CHECKSUM	480
#define LBL_CHECKSUM_SIZE	32

/* SHA-256 of header bytes 0..479 into @out; 0 or -EIO. */
int mkey_label_checksum(const uint8_t *header, uint8_t out[LBL_CHECKSUM_SIZE]);

#endif
