// SPDX-License-Identifier: GPL-2.0
/*
 * The mkey CLI, run as a program on temp files: argument errors, help for
 * every command, exit codes, format and dump. Commands that need the
 * dm-mkey module are only checked for their "module not loaded" answer,
 * and only when the module is indeed not loaded.
 */
#include "kselftest_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "unit-util.h"
#include "cli-run.h"

#define GUID "0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55"

static const char *const all_commands[] = {
	"keyfile-create", "keyfile-show", "keyfile-backup", "key-add", "key-import",
	"key-delete", "key-default", "admin-add", "admin-remove", "admin-passwd",
	"format", "dump", "activate", "active", "deactivate",
	"open", "close", "status", "list", "help",
};

FIXTURE(cli) {
	struct run r;
	char dev[64];
	char key64[64];
	char key33[64];
};

static void write_key(char path[64], size_t len)
{
	uint8_t buf[128];
	int fd = make_temp_device(0, path);

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i + 1);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

FIXTURE_SETUP(cli)
{
	int fd;

	if (access(mkey_bin(), X_OK) != 0)
		SKIP(return, "mkey binary not found at %s (set MKEY_BIN)", mkey_bin());
	fd = make_temp_device(64 * MIB, self->dev);
	ASSERT_GE(fd, 0);
	close(fd);
	write_key(self->key64, 64);
	write_key(self->key33, 33);
}

FIXTURE_TEARDOWN(cli)
{
	unlink(self->dev);
	unlink(self->key64);
	unlink(self->key33);
}

TEST_F(cli, version_and_global_help)
{
	MKEY(&self->r, "--version");
	EXPECT_EQ(0, self->r.status);
	EXPECT_EQ(0, strncmp(self->r.out, "mkey ", 5));
	MKEY(&self->r, "--help");
	EXPECT_EQ(0, self->r.status);
	for (size_t i = 0; i < sizeof(all_commands) / sizeof(all_commands[0]); i++) {
		EXPECT_NE(NULL, strstr(self->r.out, all_commands[i])) TH_LOG("%s", all_commands[i]);
	}
	MKEY(&self->r, "help");
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Commands:"));
}

/*
 * The commands `mkey --help` lists: every entry of the command table, so a
 * command added later is held to the same rules without editing this test.
 */
static size_t listed_commands(const char *help, char names[][32], size_t max)
{
	const char *p = strstr(help, "Commands:\n");
	size_t n = 0;

	if (!p)
		return 0;
	for (p = strchr(p, '\n') + 1; *p == ' ' && p[1] == ' ' && n < max; ) {
		size_t len = strcspn(p + 2, " \n");

		if (len == 0 || len >= 32)
			break;
		memcpy(names[n], p + 2, len);
		names[n++][len] = '\0';
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return n;
}

TEST_F(cli, every_command_has_help_three_ways)
{
	char names[64][32];
	size_t n, i;

	MKEY(&self->r, "--help");
	ASSERT_EQ(0, self->r.status);
	n = listed_commands(self->r.out, names, 64);
	/* The core commands this test was written with are all listed. */
	ASSERT_GE(n, sizeof(all_commands) / sizeof(all_commands[0]));
	for (i = 0; i < n; i++) {
		const char *c = names[i];
		char want[64];

		snprintf(want, sizeof(want), "Usage: mkey %.31s", c);
		MKEY(&self->r, c, "--help");
		EXPECT_EQ(0, self->r.status) TH_LOG("%s --help", c);
		EXPECT_NE(NULL, strstr(self->r.out, want)) TH_LOG("%s --help: %s", c, self->r.out);
		MKEY(&self->r, "help", c);
		EXPECT_EQ(0, self->r.status) TH_LOG("help %s", c);
		EXPECT_NE(NULL, strstr(self->r.out, want));
		MKEY(&self->r, c, "-h");
		EXPECT_EQ(0, self->r.status) TH_LOG("%s -h", c);
	}
}

TEST_F(cli, usage_errors_exit_1)
{
	MKEY(&self->r, "frobnicate");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "unknown command 'frobnicate'"));
	MKEY(&self->r, "--bogus");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "help", "frobnicate");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "format", self->dev, "--guid", GUID);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "--raw-key"));
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "--guid"));
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", "nope");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "'nope' is not a GUID"));
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID,
	     "--sector-size", "1024");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID,
	     "--data-offset", "-5");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID,
	     "--data-offset", "12");	/* not a multiple of 8 with 4096 sectors */
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "format", "--raw-key", self->key64, "--guid", GUID);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "missing DEVICE"));
	MKEY(&self->r, "format", self->dev, "--raw-key");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "dump");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "dump", self->dev, "--frob");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "open", self->dev);
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "open", self->dev, "bad/name");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "close");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "deactivate", "not-a-guid");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "activate", "--guid", GUID);
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "status", "a", "b");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "list", "extra");
	EXPECT_EQ(1, self->r.status);
	/* Nothing above touched the device. */
	MKEY(&self->r, "dump", self->dev);
	EXPECT_EQ(2, self->r.status);
}

TEST_F(cli, format_then_dump)
{
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid",
	     "0b8e42c2-3c4b-4f0a-9e0d-8b6f2f0a1c55", "--uuid",
	     "11111111-2222-4333-8444-555555555555", "--sector-size", "512");
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "dump", self->dev);
	ASSERT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Key GUID:       " GUID));
	EXPECT_NE(NULL, strstr(self->r.out, "Volume UUID:    11111111-2222-4333-8444-555555555555"));
	EXPECT_NE(NULL, strstr(self->r.out, "256 bits"));
	EXPECT_NE(NULL, strstr(self->r.out, "Sector size:    512"));
	EXPECT_NE(NULL, strstr(self->r.out, "Primary label:  offset 0, valid"));
	EXPECT_NE(NULL, strstr(self->r.out, "Label in use:   primary"));
}

TEST_F(cli, dump_json_has_the_fields)
{
	struct json_object *o, *label, *v;

	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID);
	ASSERT_EQ(0, self->r.status);
	MKEY(&self->r, "dump", "--json", self->dev);
	ASSERT_EQ(0, self->r.status);
	o = json_tokener_parse(self->r.out);
	ASSERT_NE(NULL, o) TH_LOG("not JSON: %s", self->r.out);
	ASSERT_TRUE(json_object_object_get_ex(o, "label", &label));
	ASSERT_TRUE(json_object_object_get_ex(label, "key_guid", &v));
	EXPECT_STREQ(GUID, json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(label, "key_bits", &v));
	EXPECT_EQ(256, json_object_get_int(v));
	ASSERT_TRUE(json_object_object_get_ex(label, "sector_size", &v));
	EXPECT_EQ(4096, json_object_get_int(v));
	ASSERT_TRUE(json_object_object_get_ex(label, "data_sectors", &v));
	EXPECT_EQ(129016, json_object_get_int64(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "label_in_use", &v));
	EXPECT_STREQ("primary", json_object_get_string(v));
	json_object_put(o);
}

TEST_F(cli, key_from_stdin_and_key_lengths)
{
	MKEY_IN(&self->r, self->key64, "format", self->dev, "--raw-key", "-", "--guid", GUID);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key33, "--guid", GUID, "--force");
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "is 33 bytes"));
	MKEY(&self->r, "format", self->dev, "--raw-key", "/nonexistent/key", "--guid", GUID,
	     "--force");
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "/nonexistent/key"));
}

TEST_F(cli, second_format_needs_force)
{
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID);
	ASSERT_EQ(0, self->r.status);
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID);
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "already holds a dm-mkey label"));
	EXPECT_NE(NULL, strstr(self->r.err, "--force"));
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID, "--force");
	EXPECT_EQ(0, self->r.status);
}

TEST_F(cli, too_small_device_names_sizes)
{
	ASSERT_EQ(0, truncate(self->dev, 512 * 1024));
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID);
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "too small"));
	EXPECT_NE(NULL, strstr(self->r.err, "524288 bytes"));
}

TEST_F(cli, dump_reports_a_corrupt_primary_and_uses_the_backup)
{
	int fd;
	uint8_t b = 0xff;

	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID);
	ASSERT_EQ(0, self->r.status);
	fd = open(self->dev, O_RDWR);
	ASSERT_EQ(1, pwrite(fd, &b, 1, 100));
	close(fd);
	MKEY(&self->r, "dump", self->dev);
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "Primary label:  offset 0, invalid: bad checksum"));
	EXPECT_NE(NULL, strstr(self->r.out, "Label in use:   backup"));
}

TEST_F(cli, dump_of_blank_and_missing_devices)
{
	MKEY(&self->r, "dump", self->dev);
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "no dm-mkey label"));
	MKEY(&self->r, "dump", "/nonexistent/dev");
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "/nonexistent/dev"));
}

TEST_F(cli, open_refuses_a_regular_file)
{
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID);
	ASSERT_EQ(0, self->r.status);
	MKEY(&self->r, "open", self->dev, "unit-test-vol");
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "not a block device"));
	EXPECT_NE(NULL, strstr(self->r.err, "losetup"));
}

TEST_F(cli, keyring_commands_without_the_module)
{
	if (access("/sys/module/dm_mkey", F_OK) == 0)
		SKIP(return, "dm-mkey is loaded here; covered by the VM tests");
	MKEY(&self->r, "active");
	EXPECT_EQ(4, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "modprobe dm-mkey"));
	MKEY(&self->r, "activate", "--raw-key", self->key64, "--guid", GUID);
	EXPECT_EQ(4, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "modprobe dm-mkey"));
}

TEST_F(cli, never_prints_key_bytes)
{
	char hex[129];

	/* The key file holds 01 02 03 ... 40. */
	for (int i = 0; i < 64; i++)
		sprintf(hex + 2 * i, "%02x", i + 1);
	MKEY(&self->r, "format", self->dev, "--raw-key", self->key64, "--guid", GUID);
	ASSERT_EQ(0, self->r.status);
	EXPECT_EQ(NULL, strstr(self->r.out, "0102030405060708"));
	MKEY(&self->r, "dump", "--json", self->dev);
	EXPECT_EQ(NULL, strstr(self->r.out, "0102030405060708"));
	EXPECT_EQ(NULL, strstr(self->r.out, hex));
}

TEST_HARNESS_MAIN
