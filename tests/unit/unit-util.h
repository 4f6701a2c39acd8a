/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the libmkey unit tests: temp files that stand in for
 * block devices, a known-good sample label, and header surgery.
 */
#ifndef MKEY_UNIT_UTIL_H
#define MKEY_UNIT_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mkey/label.h"
#include "label-layout.h"

#define SAMPLE_VOLUME_UUID "0123456789ABCDEF0123456789ABCDEF"
#define MIB (1024ull * 1024)

static inline void hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int b;

		sscanf(hex + 2 * i, "%2x", &b);
		out[i] = (uint8_t)b;
	}
}

/* A sparse temp file of @bytes bytes; returns an O_RDWR fd, path in @path. */
static inline int make_temp_device(uint64_t bytes, char path[64])
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, 64, "%s/mkey-unit-XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)bytes) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* A valid label for a 64 MiB device, 4096-byte sectors, AES-256. */
static inline void sample_label(struct mkey_label *l)
{
	memset(l, 0, sizeof(*l));
	l->version = MKEY_LABEL_VERSION;
	l->header_size = MKEY_LABEL_HEADER_SIZE;
	mkey_guid_parse("01234567-89AB-CDEF-0123-456789ABCDEF", &l->volume_uuid);
	mkey_guid_parse("FEDCBA98-7654-3210-FEDC-BA9876543210", &l->key_guid);
	strcpy(l->cipher, MKEY_LABEL_CIPHER);
	l->key_bits = 256;
	l->sector_size = 4096;
	l->data_offset = MKEY_DEFAULT_DATA_OFFSET;
	l->data_sectors = 64 * MIB / 512 - 8 - MKEY_DEFAULT_DATA_OFFSET;
	for (int i = 0; i < MKEY_KCV_SIZE; i++)
		l->kcv[i] = (uint8_t)(0xA0 + i);
}

/* Recomputes the checksum after a test changed header bytes on purpose. */
static inline void reseal(uint8_t *h)
{
	mkey_label_checksum(h, h + LBL_OFF_CHECKSUM);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
