// SPDX-License-Identifier: GPL-2.0
/* Table lines we build and status/table lines we parse (dm-mkey-target.md). */
#include "kselftest_harness.h"

#include <errno.h>
#include <sys/sysmacros.h>

#include "mkey/volume.h"

#define GUID "0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55"

TEST(table_params_plain_and_with_discards)
{
	struct mkey_open_opts o = { 0 };
	struct mkey_guid g;
	char buf[128];

	ASSERT_EQ(0, mkey_guid_parse(GUID, &g));
	ASSERT_EQ(0, mkey_table_params(makedev(8, 16), &g, &o, buf, sizeof(buf)));
	EXPECT_STREQ("8:16 " GUID, buf);
	o.allow_discards = true;
	ASSERT_EQ(0, mkey_table_params(makedev(259, 1048575), &g, &o, buf, sizeof(buf)));
	EXPECT_STREQ("259:1048575 " GUID " 1 allow_discards", buf);
	EXPECT_EQ(-ENAMETOOLONG, mkey_table_params(makedev(8, 16), &g, &o, buf, 20));
}

TEST(status_line_from_the_document)
{
	struct mkey_target_status st;
	char text[MKEY_GUID_STR_LEN + 1];

	ASSERT_EQ(0, mkey_status_parse(GUID " aes-xts-plain64 256 4096 primary 120 48 960 384 0", &st));
	mkey_guid_format(&st.key_guid, text);
	EXPECT_STREQ(GUID, text);
	EXPECT_STREQ("aes-xts-plain64", st.cipher);
	EXPECT_EQ(256, st.key_bits);
	EXPECT_EQ(4096, st.sector_size);
	EXPECT_STREQ("primary", st.label_copy);
	EXPECT_EQ(120, st.reads);
	EXPECT_EQ(48, st.writes);
	EXPECT_EQ(960, st.read_sectors);
	EXPECT_EQ(384, st.written_sectors);
	EXPECT_EQ(0, st.errors);
}

TEST(status_line_backup_copy_and_big_counters)
{
	struct mkey_target_status st;

	ASSERT_EQ(0, mkey_status_parse(GUID " aes-xts-plain64 128 512 backup "
				       "18446744073709551615 1 2 3 4\n", &st));
	EXPECT_STREQ("backup", st.label_copy);
	EXPECT_EQ(UINT64_MAX, st.reads);
	EXPECT_EQ(4, st.errors);
}

TEST(status_line_with_extra_fields_is_accepted)
{
	struct mkey_target_status st;

	EXPECT_EQ(0, mkey_status_parse(GUID " aes-xts-plain64 256 4096 primary 1 2 3 4 5 future", &st));
}

TEST(bad_status_lines_are_refused)
{
	const char *bad[] = {
		"",
		GUID,
		GUID " aes-xts-plain64 256 4096 primary 120 48 960 384",	/* short */
		"not-a-guid aes-xts-plain64 256 4096 primary 1 2 3 4 5",
		GUID " aes-xts-plain64 256 4096 middle 1 2 3 4 5",
		GUID " aes-xts-plain64 -1 4096 primary 1 2 3 4 5",
		GUID " aes-xts-plain64 256 4096 primary 1 2 3 4 x",
		GUID " aes-xts-plain64 99999999999 4096 primary 1 2 3 4 5",
		GUID " aes-xts-plain64 256 4096 primary 1 2 3 4 18446744073709551616",
		GUID " a-cipher-name-that-is-far-too-long-for-the-field 256 4096 primary 1 2 3 4 5",
	};
	struct mkey_target_status st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EBADMSG, mkey_status_parse(bad[i], &st)) TH_LOG("'%s'", bad[i]);
	}
	EXPECT_EQ(-EBADMSG, mkey_status_parse(NULL, &st));
}

TEST(table_lines)
{
	struct mkey_target_table tt;

	ASSERT_EQ(0, mkey_table_parse("1:0 " GUID " 1 allow_discards", &tt));
	EXPECT_EQ(1, tt.major);
	EXPECT_EQ(0, tt.minor);
	EXPECT_TRUE(tt.allow_discards);
	ASSERT_EQ(0, mkey_table_parse("253:7 " GUID, &tt));
	EXPECT_EQ(253, tt.major);
	EXPECT_EQ(7, tt.minor);
	EXPECT_FALSE(tt.allow_discards);
	ASSERT_EQ(0, mkey_table_parse("8:1 " GUID " 0", &tt));

	EXPECT_EQ(-EBADMSG, mkey_table_parse("", &tt));
	EXPECT_EQ(-EBADMSG, mkey_table_parse("8:1", &tt));
	EXPECT_EQ(-EBADMSG, mkey_table_parse("/dev/sdb " GUID, &tt));
	EXPECT_EQ(-EBADMSG, mkey_table_parse("8:1 nope", &tt));
	EXPECT_EQ(-EBADMSG, mkey_table_parse("8:1 " GUID " 2 allow_discards", &tt));
	EXPECT_EQ(-EBADMSG, mkey_table_parse("8:1 " GUID " x", &tt));
}

TEST(dm_names)
{
	char long_name[200];

	EXPECT_EQ(0, mkey_dm_name_check("data"));
	EXPECT_EQ(0, mkey_dm_name_check("vol-1_backup.2"));
	EXPECT_EQ(-EINVAL, mkey_dm_name_check(""));
	EXPECT_EQ(-EINVAL, mkey_dm_name_check(NULL));
	EXPECT_EQ(-EINVAL, mkey_dm_name_check("a/b"));
	EXPECT_EQ(-EINVAL, mkey_dm_name_check("."));
	EXPECT_EQ(-EINVAL, mkey_dm_name_check(".."));
	EXPECT_EQ(-EINVAL, mkey_dm_name_check("with space"));
	EXPECT_EQ(-EINVAL, mkey_dm_name_check("tab\there"));
	memset(long_name, 'x', sizeof(long_name));
	long_name[127] = '\0';
	EXPECT_EQ(0, mkey_dm_name_check(long_name));
	long_name[127] = 'x';
	long_name[128] = '\0';
	EXPECT_EQ(-EINVAL, mkey_dm_name_check(long_name));
}

TEST(dm_uuid_is_prefixed_and_fits)
{
	struct mkey_guid u;
	char out[MKEY_DM_UUID_MAX + 1], name[128];

	ASSERT_EQ(0, mkey_guid_parse(GUID, &u));
	mkey_dm_uuid(&u, "data", out);
	EXPECT_STREQ("MKEY-" GUID "-data", out);
	memset(name, 'n', sizeof(name));
	name[127] = '\0';
	mkey_dm_uuid(&u, name, out);
	EXPECT_EQ(MKEY_DM_UUID_MAX, strlen(out));
	EXPECT_EQ(0, strncmp(out, "MKEY-" GUID "-", 42));
}

TEST_HARNESS_MAIN
