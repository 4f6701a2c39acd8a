// SPDX-License-Identifier: GPL-2.0
/*
 * The volume table /etc/mkeytab (mkey/mkeytab.h, mkeytab(5)): every field,
 * every option, and that a bad line costs only itself.
 */
#include "kselftest_harness.h"

#include <errno.h>
#include <string.h>

#include "mkey/mkeytab.h"
#include "mkey/volume.h"

static struct mkey_tab *parse(const char *text)
{
	struct mkey_tab *tab = NULL;

	if (mkey_tab_parse(text, strlen(text), "/etc/mkeytab", &tab) != 0)
		return NULL;
	return tab;
}

TEST(a_full_table)
{
	struct mkey_tab *tab = parse(
		"# comment\n"
		"\n"
		"   # indented comment\n"
		"data  UUID=407c5c18-52b9-4536-ad2f-fdf97215d628 /etc/mkey/data.mkey discard\n"
		"srv\t/dev/disk/by-id/virtio-srv0\t/etc/mkey/srv.mkey\tinitramfs,required,tries=5\n"
		"ro /dev/vdc /etc/mkey/data.mkey readonly,noauto,nofail,x-foo=bar\n"
		"plain /dev/vdd /etc/mkey/k.mkey\r\n"
		"last /dev/vde /etc/mkey/k.mkey -");
	const struct mkey_tab_entry *e;
	char buf[PATH_MAX];

	ASSERT_NE(NULL, tab);
	EXPECT_EQ(0, tab->n_errors);
	ASSERT_EQ(5, tab->n_entries);

	e = mkey_tab_find(tab, "data");
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->by_uuid);
	EXPECT_STREQ("/etc/mkey/data.mkey", e->key_file);
	EXPECT_TRUE(e->discard);
	EXPECT_FALSE(e->nofail);
	EXPECT_EQ(MKEY_TAB_DEFAULT_TRIES, e->tries);
	EXPECT_EQ(4, e->line);
	mkey_tab_device_path(e, buf, sizeof(buf));
	EXPECT_STREQ("/dev/disk/by-mkey-uuid/407C5C18-52B9-4536-AD2F-FDF97215D628", buf);

	e = mkey_tab_find(tab, "srv");
	ASSERT_NE(NULL, e);
	EXPECT_FALSE(e->by_uuid);
	EXPECT_STREQ("/dev/disk/by-id/virtio-srv0", e->device);
	EXPECT_TRUE(e->initramfs);
	EXPECT_TRUE(e->required);
	EXPECT_EQ(5, e->tries);
	mkey_tab_options_text(e, buf, sizeof(buf));
	EXPECT_STREQ("required,initramfs,tries=5", buf);

	e = mkey_tab_find(tab, "ro");
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->readonly && e->noauto && e->nofail);

	e = mkey_tab_find(tab, "plain");
	ASSERT_NE(NULL, e);
	EXPECT_STREQ("/etc/mkey/k.mkey", e->key_file);
	mkey_tab_options_text(e, buf, sizeof(buf));
	EXPECT_STREQ("-", buf);

	EXPECT_NE(NULL, mkey_tab_find(tab, "last"));
	EXPECT_EQ(NULL, mkey_tab_find(tab, "none"));
	mkey_tab_free(tab);
}

TEST(every_bad_line_is_reported_and_the_rest_kept)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "a /dev/vdb", "found 2 fields" },
		{ "a /dev/vdb /k opts extra", "more than 4 fields" },
		{ "a/b /dev/vdb /k", "may contain only" },
		{ "a%b /dev/vdb /k", "may contain only" },
		{ ".. /dev/vdb /k", "cannot be . or .." },
		{ "a vdb /k", "must be an absolute path" },
		{ "a /srv/img /k", "not under /dev" },
		{ "a UUID=nope /k", "is not UUID=" },
		{ "a /dev//vdb /k", "must not contain //" },
		{ "a /dev/vdb k.mkey", "must be an absolute path" },
		{ "a /dev/vdb /etc/mkey/../k", "must not contain" },
		{ "a /dev/vdb /etc/k$x", "must not contain %" },
		{ "a /dev/vdb /etc/mkey/", "must not end with '/'" },
		{ "a /dev/vdb kmip:server/key", "is not kmip:SERVER" },
		{ "a /dev/vdb kmip:", "is not kmip:SERVER" },
		{ "a /dev/vdb kmip:.hidden", "is not kmip:SERVER" },
		{ "a /dev/vdb kmip:vault initramfs", "needs the network" },
		{ "a /dev/vdb /k bogus", "unknown option 'bogus'" },
		{ "a /dev/vdb /k nofail,required", "contradict" },
		{ "a /dev/vdb /k tries=", "bad value" },
		{ "a /dev/vdb /k tries=101", "bad value" },
		{ "a /dev/vdb /k tries=-1", "bad value" },
		{ "a /dev/vdb /k tries=03", "bad value" },
		{ "a /dev/vdb /k nofail,,discard", "empty option" },
		{ "a /dev/vdb /k ,nofail", "empty option" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];
		struct mkey_tab *tab;

		snprintf(text, sizeof(text), "good /dev/vda /k\n%s\nalso /dev/vdc /k\n", bad[i].line);
		tab = parse(text);
		ASSERT_NE(NULL, tab);
		EXPECT_EQ(2, tab->n_entries) TH_LOG("%s", bad[i].line);
		ASSERT_EQ(1, tab->n_errors) TH_LOG("%s", bad[i].line);
		EXPECT_NE(NULL, strstr(tab->errors[0], "/etc/mkeytab:2: "))
			TH_LOG("%s -> %s", bad[i].line, tab->errors[0]);
		EXPECT_NE(NULL, strstr(tab->errors[0], bad[i].why))
			TH_LOG("%s -> %s", bad[i].line, tab->errors[0]);
		mkey_tab_free(tab);
	}
}

TEST(a_kmip_key_source)
{
	struct mkey_tab *tab = parse("vol /dev/vdb kmip:vault-eu_1 nofail\n");
	const struct mkey_tab_entry *e;
	char src[64];

	ASSERT_NE(NULL, tab);
	ASSERT_EQ(0, tab->n_errors) TH_LOG("%s", tab->errors[0]);
	ASSERT_EQ(1, tab->n_entries);
	e = &tab->entries[0];
	EXPECT_STREQ("vault-eu_1", e->kmip_server);
	EXPECT_STREQ("", e->key_file);
	EXPECT_TRUE(e->nofail);
	mkey_tab_key_source_text(e, src, sizeof(src));
	EXPECT_STREQ("kmip:vault-eu_1", src);
	mkey_tab_free(tab);
}

TEST(a_name_twice_keeps_the_first)
{
	struct mkey_tab *tab = parse("v /dev/vda /a\nv /dev/vdb /b\n");

	ASSERT_NE(NULL, tab);
	ASSERT_EQ(1, tab->n_entries);
	EXPECT_STREQ("/a", tab->entries[0].key_file);
	ASSERT_EQ(1, tab->n_errors);
	EXPECT_NE(NULL, strstr(tab->errors[0], "already listed on line 1"));
	mkey_tab_free(tab);
}

TEST(tries_zero_means_no_limit)
{
	struct mkey_tab *tab = parse("v /dev/vda /a tries=0\n");

	ASSERT_NE(NULL, tab);
	ASSERT_EQ(1, tab->n_entries);
	EXPECT_EQ(0, tab->entries[0].tries);
	mkey_tab_free(tab);
}

TEST(names_the_table_accepts_are_device_mapper_names)
{
	const char *names[] = { "data", "a.b_c-d+e:f@g", "X", "0" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char text[256];
		struct mkey_tab *tab;

		snprintf(text, sizeof(text), "%s /dev/vda /k\n", names[i]);
		tab = parse(text);
		ASSERT_NE(NULL, tab);
		EXPECT_EQ(1, tab->n_entries) TH_LOG("%s", names[i]);
		EXPECT_EQ(0, mkey_dm_name_check(names[i])) TH_LOG("%s", names[i]);
		mkey_tab_free(tab);
	}
}

TEST(long_lines_and_nul_bytes_are_refused)
{
	char *text = malloc(MKEY_TAB_LINE_MAX + 100);
	struct mkey_tab *tab = NULL;
	static const char nul[] = "a /dev/vda /k\0x\nb /dev/vdb /k\n";

	ASSERT_NE(NULL, text);
	memset(text, 'a', MKEY_TAB_LINE_MAX + 10);
	strcpy(text + MKEY_TAB_LINE_MAX + 10, " /dev/vda /k\nb /dev/vdb /k\n");
	tab = parse(text);
	ASSERT_NE(NULL, tab);
	EXPECT_EQ(1, tab->n_entries);
	EXPECT_EQ(1, tab->n_errors);
	mkey_tab_free(tab);
	free(text);

	ASSERT_EQ(0, mkey_tab_parse(nul, sizeof(nul) - 1, "t", &tab));
	EXPECT_EQ(1, tab->n_entries);
	EXPECT_EQ(1, tab->n_errors);
	EXPECT_NE(NULL, strstr(tab->errors[0], "NUL"));
	mkey_tab_free(tab);
}

TEST(a_missing_table_is_empty)
{
	struct mkey_tab *tab = NULL;

	ASSERT_EQ(0, mkey_tab_load("/nonexistent/mkeytab", &tab));
	EXPECT_EQ(0, tab->n_entries);
	EXPECT_EQ(0, tab->n_errors);
	mkey_tab_free(tab);
}

TEST_HARNESS_MAIN
