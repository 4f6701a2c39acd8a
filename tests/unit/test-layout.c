// SPDX-License-Identifier: GPL-2.0
/* Format layout: where the data area goes for a given device size. */
#include "kselftest_harness.h"

#include <errno.h>

#include "mkey/label.h"
#include "unit-util.h"

TEST(default_layout_of_a_64_mib_device)
{
	uint64_t off, len;

	ASSERT_EQ(0, mkey_label_layout(64 * MIB, 4096, 0, &off, &len));
	EXPECT_EQ(2048, off);
	/* 131072 sectors - 8 (backup slot) - 2048 (offset) */
	EXPECT_EQ(129016, len);
	EXPECT_EQ(64 * MIB - 4096, mkey_label_backup_offset(64 * MIB));
}

TEST(device_size_not_a_multiple_of_4096)
{
	uint64_t off, len, size = 64 * MIB + 3000;

	/* The backup sits in the last whole 4 KiB; the tail bytes are unused. */
	EXPECT_EQ(64 * MIB - 4096, mkey_label_backup_offset(size));
	ASSERT_EQ(0, mkey_label_layout(size, 4096, 0, &off, &len));
	EXPECT_EQ(129016, len);
	ASSERT_EQ(0, mkey_label_layout(size, 512, 0, &off, &len));
	EXPECT_EQ(129016, len);
}

TEST(data_length_is_a_multiple_of_the_sector_size)
{
	uint64_t off, len;

	/* Offset 10 with 512-byte sectors leaves an odd number of sectors. */
	ASSERT_EQ(0, mkey_label_layout(64 * MIB, 512, 10, &off, &len));
	EXPECT_EQ(10, off);
	EXPECT_EQ(131064 - 10, len);
	/* With 4096-byte sectors the length is rounded down to 8 sectors. */
	ASSERT_EQ(0, mkey_label_layout(64 * MIB, 4096, 16, &off, &len));
	EXPECT_EQ(0, len % 8);
	EXPECT_EQ(131064 - 16, len);
}

TEST(offset_rules)
{
	uint64_t off, len;

	EXPECT_EQ(-EINVAL, mkey_label_layout(64 * MIB, 4096, 4, &off, &len));
	EXPECT_EQ(-EINVAL, mkey_label_layout(64 * MIB, 4096, 7, &off, &len));
	EXPECT_EQ(-EINVAL, mkey_label_layout(64 * MIB, 4096, 2049, &off, &len));
	EXPECT_EQ(0, mkey_label_layout(64 * MIB, 4096, 8, &off, &len));
	EXPECT_EQ(8, off);
	EXPECT_EQ(-EINVAL, mkey_label_layout(64 * MIB, 4096, UINT64_MAX, &off, &len));
}

TEST(sector_size_rules)
{
	uint64_t off, len;

	EXPECT_EQ(-EINVAL, mkey_label_layout(64 * MIB, 0, 0, &off, &len));
	EXPECT_EQ(-EINVAL, mkey_label_layout(64 * MIB, 1024, 0, &off, &len));
	EXPECT_EQ(-EINVAL, mkey_label_layout(64 * MIB, 8192, 0, &off, &len));
}

TEST(too_small_devices)
{
	uint64_t off, len;

	EXPECT_EQ(-ENOSPC, mkey_label_layout(0, 4096, 0, &off, &len));
	EXPECT_EQ(-ENOSPC, mkey_label_layout(4096, 4096, 0, &off, &len));
	EXPECT_EQ(-ENOSPC, mkey_label_layout(1 * MIB, 4096, 0, &off, &len));
	/* Exactly 1 MiB of offset + one sector + backup slot is not enough: ... */
	EXPECT_EQ(-ENOSPC, mkey_label_layout(1 * MIB + 4096, 4096, 0, &off, &len));
	EXPECT_EQ(0, mkey_label_backup_offset(4096));
	EXPECT_EQ(0, mkey_label_backup_offset(8191));
	EXPECT_EQ(4096, mkey_label_backup_offset(8192));
}

TEST(minimum_size_is_exact)
{
	const uint32_t sizes[] = { 512, 4096 };
	const uint64_t offsets[] = { 0, 8, 9, 16, 2048, 4096 };

	for (size_t s = 0; s < 2; s++) {
		for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
			uint32_t ss = sizes[s];
			uint64_t min, off, len;

			if (offsets[o] % (ss / 512))
				continue;
			min = mkey_label_min_device_bytes(ss, offsets[o]);
			ASSERT_EQ(0, mkey_label_layout(min, ss, offsets[o], &off, &len))
				TH_LOG("ss %u offset %llu min %llu", ss,
				       (unsigned long long)offsets[o], (unsigned long long)min);
			EXPECT_GE(len, ss / 512);
			EXPECT_EQ(-ENOSPC, mkey_label_layout(min - 1, ss, offsets[o], &off, &len))
				TH_LOG("ss %u offset %llu min-1", ss, (unsigned long long)offsets[o]);
		}
	}
}

TEST(layout_result_is_a_valid_label)
{
	const uint64_t sizes[] = { 2 * MIB, 64 * MIB + 511, 1000 * MIB + 12345, 1ull << 40 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t h[MKEY_LABEL_HEADER_SIZE];
		struct mkey_label l, out;

		sample_label(&l);
		ASSERT_EQ(0, mkey_label_layout(sizes[i], 4096, 0, &l.data_offset,
					       &l.data_sectors));
		mkey_label_encode(&l, h);
		EXPECT_EQ(MKEY_LABEL_OK, mkey_label_decode(h, sizeof(h), sizes[i], &out))
			TH_LOG("size %llu", (unsigned long long)sizes[i]);
	}
}

TEST_HARNESS_MAIN
