// SPDX-License-Identifier: GPL-2.0
/* GUID parsing, formatting and generation. */
#include "kselftest_harness.h"

#include <errno.h>

#include "mkey/guid.h"

static const uint8_t sample_bytes[16] = {
	0x0b, 0x8e, 0x42, 0xc2, 0x3c, 0x4b, 0x4f, 0x0a,
	0x9e, 0x0d, 0x8b, 0x6f, 0x2f, 0x0a, 0x1c, 0x55,
};

TEST(parse_upper_lower_and_mixed_case)
{
	const char *forms[] = {
		"0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55",
		"0b8e42c2-3c4b-4f0a-9e0d-8b6f2f0a1c55",
		"0b8E42c2-3C4b-4f0A-9e0D-8b6F2f0A1c55",
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct mkey_guid g;

		ASSERT_EQ(0, mkey_guid_parse(forms[i], &g)) TH_LOG("%s", forms[i]);
		EXPECT_EQ(0, memcmp(g.b, sample_bytes, 16)) TH_LOG("%s", forms[i]);
	}
}

TEST(format_is_upper_case_and_round_trips)
{
	struct mkey_guid g, back;
	char text[MKEY_GUID_STR_LEN + 1];

	memcpy(g.b, sample_bytes, 16);
	mkey_guid_format(&g, text);
	EXPECT_STREQ("0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55", text);
	ASSERT_EQ(0, mkey_guid_parse(text, &back));
	EXPECT_TRUE(mkey_guid_equal(&g, &back));
}

TEST(bad_inputs_are_refused_and_leave_output_alone)
{
	const char *bad[] = {
		"",
		"0",
		"0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C5",		/* short */
		"0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C555",	/* long */
		"0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55\n",	/* trailing newline */
		" 0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55",	/* leading blank */
		"0B8E42C23C4B-4F0A-9E0D-8B6F2F0A1C55-",		/* dash moved */
		"0B8E42C2-3C4B4F0A-9E0D-8B6F-2F0A1C55",		/* dashes elsewhere */
		"0B8E42C23C4B4F0A9E0D8B6F2F0A1C55",		/* no dashes */
		"{0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55}",	/* braces */
		"0G8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55",		/* non-hex */
		"0B8E42C2_3C4B_4F0A_9E0D_8B6F2F0A1C55",		/* wrong separator */
		"0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C5\xc3\xa9",	/* UTF-8 */
		"-B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55",
		"0B8E42C2--C4B-4F0A-9E0D-8B6F2F0A1C55",
	};
	struct mkey_guid g;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(g.b, 0x5a, sizeof(g.b));
		EXPECT_EQ(-EINVAL, mkey_guid_parse(bad[i], &g)) TH_LOG("accepted '%s'", bad[i]);
		EXPECT_EQ(0x5a, g.b[0]);
		EXPECT_EQ(0x5a, g.b[15]);
	}
	EXPECT_EQ(-EINVAL, mkey_guid_parse(NULL, &g));
}

TEST(generate_is_rfc4122_v4_and_random)
{
	struct mkey_guid a, b;
	char text[MKEY_GUID_STR_LEN + 1];

	ASSERT_EQ(0, mkey_guid_generate(&a));
	ASSERT_EQ(0, mkey_guid_generate(&b));
	EXPECT_EQ(0x40, a.b[6] & 0xf0);		/* version 4 */
	EXPECT_EQ(0x80, a.b[8] & 0xc0);		/* variant 10xx */
	EXPECT_FALSE(mkey_guid_equal(&a, &b));
	EXPECT_FALSE(mkey_guid_is_null(&a));
	mkey_guid_format(&a, text);
	EXPECT_EQ('4', text[14]);
	EXPECT_NE(NULL, strchr("89AB", text[19]));
}

TEST(null_guid)
{
	struct mkey_guid g;

	memset(&g, 0, sizeof(g));
	EXPECT_TRUE(mkey_guid_is_null(&g));
	g.b[15] = 1;
	EXPECT_FALSE(mkey_guid_is_null(&g));
}

TEST_HARNESS_MAIN
