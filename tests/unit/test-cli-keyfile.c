// SPDX-License-Identifier: GPL-2.0
/*
 * The key file commands of the mkey CLI, run as a program on temp files:
 * the life of a key file, the rules and their exit codes, passwords from
 * files and stdin (never echoed, never in the output), tampering, format
 * with a key file, two writers at once, and the audit lines the commands
 * send to syslog (captured through a private /dev/log, as root only).
 */
#include "kselftest_harness.h"

#include <json-c/json.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "cli-run.h"
#include "keyfile-util.h"
#include "unit-util.h"

#define PW_A "alice's secret pass"
#define PW_B "bob's other pass"
#define RAW_GUID "0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55"
/* The cheapest costs mkey accepts; a warning says so. */
#define CHEAP "--kdf-memory", "8192", "--kdf-passes", "1", "--kdf-parallel", "1"

FIXTURE(kcli) {
	struct run r;
	char dir[128];
	char kf[192], pw_a[192], pw_b[192], pw_new[192], raw[192], img[192];
};

static void put_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

FIXTURE_SETUP(kcli)
{
	const char *t = getenv("TMPDIR");
	uint8_t raw[64];

	if (access(mkey_bin(), X_OK) != 0)
		SKIP(return, "mkey binary not found at %s (set MKEY_BIN)", mkey_bin());
	snprintf(self->dir, sizeof(self->dir), "%s/mkey-kcli-XXXXXX",
		 t && strlen(t) < 80 ? t : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->kf, sizeof(self->kf), "%s/main.mkey", self->dir);
	snprintf(self->pw_a, sizeof(self->pw_a), "%s/a.pw", self->dir);
	snprintf(self->pw_b, sizeof(self->pw_b), "%s/b.pw", self->dir);
	snprintf(self->pw_new, sizeof(self->pw_new), "%s/new.pw", self->dir);
	snprintf(self->raw, sizeof(self->raw), "%s/raw.key", self->dir);
	snprintf(self->img, sizeof(self->img), "%s/disk.img", self->dir);
	put_file(self->pw_a, PW_A "\n", strlen(PW_A) + 1);
	put_file(self->pw_b, PW_B, strlen(PW_B));
	put_file(self->pw_new, "brand new\n", 10);
	for (int i = 0; i < 64; i++)
		raw[i] = (uint8_t)(0xA0 ^ i);
	put_file(self->raw, (const char *)raw, sizeof(raw));
	MKEY(&self->r, "keyfile-create", self->kf, "--admin", "alice", "--password-file",
	     self->pw_a, "--description", "first disk", CHEAP);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
}

FIXTURE_TEARDOWN(kcli)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd) != 0)
		TH_LOG("could not remove %s", self->dir);
}

/* A member of keyfile-show --json output. */
static struct json_object *show_json(struct run *r, const char *path)
{
	MKEY(r, "keyfile-show", path, "--json");
	if (r->status != 0)
		return NULL;
	return json_tokener_parse(r->out);
}

static void key_guid(struct run *r, const char *path, int idx, char out[40])
{
	struct json_object *o = show_json(r, path), *keys, *k, *g;

	out[0] = '\0';
	if (o && json_object_object_get_ex(o, "keys", &keys) &&
	    (k = json_object_array_get_idx(keys, (size_t)idx)) &&
	    json_object_object_get_ex(k, "guid", &g))
		snprintf(out, 40, "%s", json_object_get_string(g));
	json_object_put(o);
}

TEST_F(kcli, create_show_and_no_overwrite)
{
	struct json_object *o, *v, *keys, *admins;
	struct stat st;

	EXPECT_NE(NULL, strstr(self->r.out, "Created key file"));
	EXPECT_NE(NULL, strstr(self->r.out, "administrator: ALICE (argon2id, 1 pass, 8192 KiB"));
	EXPECT_NE(NULL, strstr(self->r.err, "warning: weak password KDF"));
	ASSERT_EQ(0, stat(self->kf, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);

	MKEY(&self->r, "keyfile-create", self->kf, "--admin", "bob", "--password-file",
	     self->pw_b, CHEAP);
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "already exists; mkey never overwrites"));

	MKEY(&self->r, "keyfile-show", self->kf);
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "ALICE"));
	EXPECT_NE(NULL, strstr(self->r.out, "\"first disk\""));
	EXPECT_NE(NULL, strstr(self->r.out, "* "));
	o = show_json(&self->r, self->kf);
	ASSERT_NE(NULL, o);
	ASSERT_TRUE(json_object_object_get_ex(o, "keys", &keys));
	EXPECT_EQ(1, json_object_array_length(keys));
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(keys, 0), "bits", &v));
	EXPECT_EQ(256, json_object_get_int(v));
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(keys, 0), "default",
					      &v));
	EXPECT_TRUE(json_object_get_boolean(v));
	ASSERT_TRUE(json_object_object_get_ex(o, "admins", &admins));
	ASSERT_TRUE(json_object_object_get_ex(json_object_array_get_idx(admins, 0), "kdf", &v));
	ASSERT_TRUE(json_object_object_get_ex(v, "memory_kib", &v));
	EXPECT_EQ(8192, json_object_get_int(v));
	json_object_put(o);

	EXPECT_EQ(NULL, strstr(self->r.err, "warning"));
	ASSERT_EQ(0, chmod(self->kf, 0644));
	MKEY(&self->r, "keyfile-show", self->kf);
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "accessible to group or others (mode 0644)"));
	MKEY(&self->r, "key-add", self->kf, "--password-file", self->pw_a);
	EXPECT_EQ(0, self->r.status);
	ASSERT_EQ(0, stat(self->kf, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);	/* an update puts it right */

	MKEY(&self->r, "keyfile-show", "/nonexistent/k.mkey");
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "does not exist"));
}

TEST_F(kcli, usage_errors)
{
	char other[256];

	snprintf(other, sizeof(other), "%s/other.mkey", self->dir);
	MKEY(&self->r, "keyfile-create", other, "--password-file", self->pw_a, CHEAP);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "missing --admin NAME"));
	MKEY(&self->r, "keyfile-create", other, "--admin", "two words", "--password-file",
	     self->pw_a, CHEAP);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "printable ASCII"));
	MKEY(&self->r, "keyfile-create", other, "--admin", "x", "--password-file",
	     self->pw_a, "--kdf-memory", "4096");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "below the minimum of 8192 KiB"));
	MKEY(&self->r, "keyfile-create", other, "--admin", "x", "--password-file",
	     self->pw_a, "--kdf", "pbkdf2", "--kdf-iterations", "1000");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "below the minimum of 65536"));
	MKEY(&self->r, "keyfile-create", other, "--admin", "x", "--password-file",
	     self->pw_a, "--kdf", "scrypt");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "keyfile-create", other, "--admin", "x", "--password-file",
	     self->pw_a, "--bits", "512");
	EXPECT_EQ(1, self->r.status);
	/* No password source and no terminal: a clear refusal, no file. */
	MKEY(&self->r, "keyfile-create", other, "--admin", "x", CHEAP);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "no terminal to ask for the password of X"));
	EXPECT_NE(0, access(other, F_OK));
	MKEY(&self->r, "key-add");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "key-delete", self->kf);
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "key-delete", self->kf, "not-a-guid");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "admin-add", self->kf, "bob", "--password-file", "-",
	     "--new-password-file", "-");
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "cannot both read standard input"));
	MKEY(&self->r, "key-import", self->kf, "--password-file", self->pw_a);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "missing --raw-key"));
	MKEY(&self->r, "activate", "--key-file", self->kf, "--guid", RAW_GUID);
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "deactivate", "--all", RAW_GUID);
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "deactivate");
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "format", self->img, "--key-file", self->kf, "--raw-key", self->raw);
	EXPECT_EQ(1, self->r.status);
	MKEY(&self->r, "format", self->img, "--raw-key", self->raw, "--guid", RAW_GUID,
	     "--key", RAW_GUID);
	EXPECT_EQ(1, self->r.status);
}

TEST_F(kcli, passwords_wrong_unknown_and_from_stdin)
{
	MKEY(&self->r, "key-add", self->kf, "--password-file", self->pw_b);
	EXPECT_EQ(6, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "wrong password for administrator ALICE"));
	MKEY(&self->r, "key-add", self->kf, "--admin", "carol", "--password-file", self->pw_a);
	EXPECT_EQ(6, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "no administrator 'carol' (administrators: ALICE)"));
	/* Stdin: one trailing newline removed, as from a file. */
	MKEY_IN(&self->r, self->pw_a, "key-add", self->kf, "--password-file", "-",
		"--description", "via stdin");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	/* The password is never echoed into any output. */
	EXPECT_EQ(NULL, strstr(self->r.out, PW_A));
	EXPECT_EQ(NULL, strstr(self->r.err, PW_A));
	/* Case-insensitive names. */
	MKEY(&self->r, "key-add", self->kf, "--admin", "ALice", "--password-file", self->pw_a);
	EXPECT_EQ(0, self->r.status);
}

TEST_F(kcli, administrators)
{
	MKEY(&self->r, "admin-add", self->kf, "bob", "--password-file", self->pw_a,
	     "--new-password-file", self->pw_b, "--kdf", "pbkdf2-sha512",
	     "--kdf-iterations", "65536");
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.out, "Added administrator BOB"));
	MKEY(&self->r, "admin-add", self->kf, "Bob", "--admin", "alice", "--password-file",
	     self->pw_a, "--new-password-file", self->pw_b, CHEAP);
	EXPECT_EQ(3, self->r.status);
	/* Two administrators: say which one. */
	MKEY(&self->r, "key-add", self->kf, "--password-file", self->pw_a);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "several administrators (ALICE, BOB)"));
	MKEY(&self->r, "key-add", self->kf, "--admin", "bob", "--password-file", self->pw_b);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	/* Bob changes his own password. */
	MKEY(&self->r, "admin-passwd", self->kf, "--admin", "bob", "--password-file",
	     self->pw_b, "--new-password-file", self->pw_new, CHEAP);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "key-add", self->kf, "--admin", "bob", "--password-file", self->pw_b);
	EXPECT_EQ(6, self->r.status);
	MKEY(&self->r, "admin-remove", self->kf, "alice", "--admin", "bob",
	     "--password-file", self->pw_new);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "admin-remove", self->kf, "bob", "--admin", "bob",
	     "--password-file", self->pw_new);
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "BOB is the last administrator"));
	MKEY(&self->r, "admin-remove", self->kf, "nobody", "--password-file", self->pw_new);
	EXPECT_EQ(2, self->r.status);
}

TEST_F(kcli, an_unattended_administrator_needs_no_admin_option)
{
	/* What 'mkey keyfile-startup FILE unattended' adds: a machine's admin. */
	MKEY(&self->r, "admin-add", self->kf, "UNATTENDED@testhost", "--password-file",
	     self->pw_a, "--new-password-file", self->pw_b, CHEAP);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	/* ALICE is still the one person: she is assumed. */
	MKEY(&self->r, "key-add", self->kf, "--password-file", self->pw_a);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	/* A second person makes the choice ambiguous again. */
	MKEY(&self->r, "admin-add", self->kf, "bob", "--password-file", self->pw_a,
	     "--new-password-file", self->pw_b, CHEAP);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "key-add", self->kf, "--password-file", self->pw_a);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "several administrators"));
}

TEST_F(kcli, keys_default_delete_import)
{
	char first[40], second[40];

	key_guid(&self->r, self->kf, 0, first);
	MKEY(&self->r, "key-add", self->kf, "--password-file", self->pw_a, "--bits", "128",
	     "--description", "second");
	ASSERT_EQ(0, self->r.status);
	key_guid(&self->r, self->kf, 1, second);
	ASSERT_EQ(36, strlen(second));
	EXPECT_NE(NULL, strstr(self->r.out, second));

	MKEY(&self->r, "key-delete", self->kf, first, "--password-file", self->pw_a, "--yes");
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "is the default key"));
	/* No terminal to confirm and no --yes: nothing deleted. */
	MKEY(&self->r, "key-delete", self->kf, second, "--password-file", self->pw_a);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "pass --yes"));
	MKEY(&self->r, "key-delete", self->kf, RAW_GUID, "--password-file", self->pw_a,
	     "--yes");
	EXPECT_EQ(2, self->r.status);
	MKEY(&self->r, "key-default", self->kf, second, "--password-file", self->pw_a);
	EXPECT_EQ(0, self->r.status);
	MKEY(&self->r, "key-delete", self->kf, first, "--password-file", self->pw_a, "--yes");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "keyfile-show", self->kf);
	EXPECT_EQ(NULL, strstr(self->r.out, first));

	MKEY(&self->r, "key-import", self->kf, "--raw-key", self->raw, "--guid", RAW_GUID,
	     "--description", "adopted", "--password-file", self->pw_a);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "key-import", self->kf, "--raw-key", self->raw, "--guid", RAW_GUID,
	     "--password-file", self->pw_a);
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "already holds key " RAW_GUID));
	put_file(self->raw, "short", 5);
	MKEY(&self->r, "key-import", self->kf, "--raw-key", self->raw,
	     "--password-file", self->pw_a);
	EXPECT_EQ(2, self->r.status);
	MKEY(&self->r, "keyfile-show", self->kf);
	EXPECT_NE(NULL, strstr(self->r.out, RAW_GUID " AES-256"));
}

TEST_F(kcli, backup_and_tampering)
{
	char backup[256], *text, *m;
	size_t len;

	snprintf(backup, sizeof(backup), "%s/main.bak", self->dir);
	MKEY(&self->r, "keyfile-backup", self->kf, backup);
	EXPECT_EQ(0, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.out, "verified"));
	MKEY(&self->r, "keyfile-backup", self->kf, backup);
	EXPECT_EQ(3, self->r.status);
	MKEY(&self->r, "keyfile-backup", self->kf, backup, "--force");
	EXPECT_EQ(0, self->r.status);

	/* An edit by hand: the MAC catches it at unlock. */
	text = read_whole(self->kf, &len);
	m = replace_once(text, "first disk", "first disc");
	put_file(self->kf, m, strlen(m));
	MKEY(&self->r, "keyfile-show", self->kf);
	EXPECT_EQ(0, self->r.status);	/* listing needs no password, proves nothing */
	MKEY(&self->r, "key-add", self->kf, "--password-file", self->pw_a);
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "failed its integrity check"));
	EXPECT_NE(NULL, strstr(self->r.err, "restore it from a backup"));
	free(m);
	/* Reformatting: the reader refuses it outright, naming the place. */
	m = replace_once(text, "\"version\": 1", "\"version\" :1");
	put_file(self->kf, m, strlen(m));
	MKEY(&self->r, "keyfile-show", self->kf);
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "line 3, column 12"));
	MKEY(&self->r, "keyfile-backup", self->kf, backup, "--force");
	EXPECT_EQ(2, self->r.status);
	free(m);
	free(text);
	/* The backup is intact and usable. */
	MKEY(&self->r, "key-add", backup, "--password-file", self->pw_a);
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
}

TEST_F(kcli, format_with_a_key_file)
{
	char first[40], second[40];
	int fd;

	key_guid(&self->r, self->kf, 0, first);
	MKEY(&self->r, "key-add", self->kf, "--password-file", self->pw_a, "--bits", "128");
	key_guid(&self->r, self->kf, 1, second);
	fd = open(self->img, O_RDWR | O_CREAT, 0600);
	ASSERT_EQ(0, ftruncate(fd, 64 * MIB));
	close(fd);

	MKEY(&self->r, "format", self->img, "--key-file", self->kf, "--password-file",
	     self->pw_b);
	EXPECT_EQ(6, self->r.status);
	MKEY(&self->r, "format", self->img, "--key-file", self->kf, "--password-file",
	     self->pw_a);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "dump", self->img);
	EXPECT_NE(NULL, strstr(self->r.out, first));
	EXPECT_NE(NULL, strstr(self->r.out, "Key size:       256 bits"));
	MKEY(&self->r, "format", self->img, "--key-file", self->kf, "--key", second,
	     "--password-file", self->pw_a, "--force");
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	MKEY(&self->r, "dump", self->img);
	EXPECT_NE(NULL, strstr(self->r.out, second));
	EXPECT_NE(NULL, strstr(self->r.out, "Key size:       128 bits"));
	MKEY(&self->r, "format", self->img, "--key-file", self->kf, "--key", RAW_GUID,
	     "--password-file", self->pw_a, "--force");
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "holds no key " RAW_GUID));
}

TEST_F(kcli, format_refuses_a_filesystem_unless_forced)
{
	char cmd[512];
	int fd;

	if (system("command -v mkfs.ext4 >/dev/null 2>&1 || test -x /sbin/mkfs.ext4") != 0)
		SKIP(return, "mkfs.ext4 is not installed");
	fd = open(self->img, O_RDWR | O_CREAT, 0600);
	ASSERT_EQ(0, ftruncate(fd, 64 * MIB));
	close(fd);
	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/sbin:/usr/sbin mkfs.ext4 -q -F '%s' "
		 ">/dev/null 2>&1", self->img);
	ASSERT_EQ(0, system(cmd));
	MKEY(&self->r, "format", self->img, "--key-file", self->kf, "--password-file",
	     self->pw_a);
	EXPECT_EQ(3, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "holds a filesystem of type ext4"));
	EXPECT_NE(NULL, strstr(self->r.err, "--force"));
	MKEY(&self->r, "format", self->img, "--raw-key", self->raw, "--guid", RAW_GUID);
	EXPECT_EQ(3, self->r.status);
	MKEY(&self->r, "format", self->img, "--key-file", self->kf, "--password-file",
	     self->pw_a, "--force");
	EXPECT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
}

TEST_F(kcli, kernel_commands_without_the_module_ask_no_password)
{
	if (access("/sys/module/dm_mkey", F_OK) == 0)
		SKIP(return, "dm-mkey is loaded here; covered by the VM tests");
	/* No --password-file and no terminal: had it asked, exit 1 would say so. */
	MKEY(&self->r, "activate", "--key-file", self->kf);
	EXPECT_EQ(4, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "modprobe dm-mkey"));
}

TEST_F(kcli, two_writers_at_once_both_succeed)
{
	pid_t a, b;
	int sa, sb;
	struct json_object *o, *keys;

	a = fork();
	if (a == 0) {
		struct run r;

		MKEY(&r, "key-add", self->kf, "--password-file", self->pw_a,
		     "--description", "writer a");
		_exit(r.status);
	}
	b = fork();
	if (b == 0) {
		struct run r;

		MKEY(&r, "key-add", self->kf, "--password-file", self->pw_a,
		     "--description", "writer b");
		_exit(r.status);
	}
	ASSERT_EQ(a, waitpid(a, &sa, 0));
	ASSERT_EQ(b, waitpid(b, &sb, 0));
	EXPECT_EQ(0, WEXITSTATUS(sa));
	EXPECT_EQ(0, WEXITSTATUS(sb));
	o = show_json(&self->r, self->kf);
	ASSERT_NE(NULL, o);
	ASSERT_TRUE(json_object_object_get_ex(o, "keys", &keys));
	EXPECT_EQ(3, json_object_array_length(keys));	/* neither update was lost */
	json_object_put(o);
}

/* ---------------------------------------------------------------- audit */

struct logdev {
	char dir[160];		/* holds log.sock and olddev/ */
};

/*
 * In the child: a private mount namespace whose /dev is a tmpfs with
 * null, zero, urandom and a "log" link to our socket, so that the mkey
 * process's syslog(3) lines come to the test and nowhere else.
 */
static void private_devlog(void *ctx)
{
	const struct logdev *ld = ctx;
	static const char *const nodes[] = { "null", "zero", "urandom", "random" };
	char old[256], path[256], sock[256];

	snprintf(old, sizeof(old), "%s/olddev", ld->dir);
	snprintf(sock, sizeof(sock), "%.90s/log.sock", ld->dir);
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("/dev", old, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") < 0)
		_exit(120);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		char from[300];

		snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
		snprintf(from, sizeof(from), "%s/%s", old, nodes[i]);
		close(open(path, O_CREAT | O_WRONLY, 0666));
		if (mount(from, path, NULL, MS_BIND, NULL) < 0)
			_exit(121);
	}
	if (symlink(sock, "/dev/log") < 0)
		_exit(122);
}

static int log_socket(const struct logdev *ld)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%.90s/log.sock", ld->dir) >=
	    sizeof(sa.sun_path))
		return -1;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* Everything the socket received, one message per line. */
static void drain(int fd, char *buf, size_t len)
{
	size_t used = strlen(buf);

	for (;;) {
		ssize_t n = recv(fd, buf + used, len - used - 2, MSG_DONTWAIT);

		if (n <= 0)
			break;
		used += (size_t)n;
		buf[used++] = '\n';
		buf[used] = '\0';
	}
}

#define LOGGED(r, ...) run_mkey_hooked(r, NULL, (const char *const[]){ __VA_ARGS__, NULL }, \
				       private_devlog, &ld)

TEST_F(kcli, audit_lines_go_to_syslog_authpriv_without_secrets)
{
	struct logdev ld;
	char log[32768] = "", old[256], first[40];
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root for a private mount namespace");
	snprintf(ld.dir, sizeof(ld.dir), "%s", self->dir);
	snprintf(old, sizeof(old), "%s/olddev", ld.dir);
	ASSERT_EQ(0, mkdir(old, 0700));
	fd = log_socket(&ld);
	ASSERT_GE(fd, 0);
	key_guid(&self->r, self->kf, 0, first);

	LOGGED(&self->r, "key-add", self->kf, "--password-file", self->pw_a);
	if (self->r.status >= 120 && self->r.status <= 122)
		SKIP(return, "cannot set up a private /dev here (status %d)", self->r.status);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	LOGGED(&self->r, "key-add", self->kf, "--password-file", self->pw_b);
	EXPECT_EQ(6, self->r.status);
	LOGGED(&self->r, "admin-add", self->kf, "bob", "--password-file", self->pw_a,
	       "--new-password-file", self->pw_b, CHEAP);
	EXPECT_EQ(0, self->r.status);
	LOGGED(&self->r, "admin-passwd", self->kf, "--admin", "bob", "--password-file",
	       self->pw_b, "--new-password-file", self->pw_new, CHEAP);
	EXPECT_EQ(0, self->r.status);
	LOGGED(&self->r, "admin-remove", self->kf, "bob", "--admin", "alice",
	       "--password-file", self->pw_a);
	EXPECT_EQ(0, self->r.status);
	drain(fd, log, sizeof(log));
	close(fd);
	TH_LOG("syslog received:\n%s", log);
	/* <85> = LOG_AUTHPRIV (10 << 3) | LOG_NOTICE (5); <84>: LOG_WARNING. */
	EXPECT_NE(NULL, strstr(log, "<85>"));
	EXPECT_NE(NULL, strstr(log, "mkey["));
	EXPECT_NE(NULL, strstr(log, "event=key-added"));
	EXPECT_NE(NULL, strstr(log, "<84>"));
	EXPECT_NE(NULL, strstr(log, "event=auth-failed"));
	EXPECT_NE(NULL, strstr(log, "reason=wrong-password"));
	EXPECT_NE(NULL, strstr(log, "event=admin-added"));
	EXPECT_NE(NULL, strstr(log, "event=password-changed"));
	EXPECT_NE(NULL, strstr(log, "event=admin-removed"));
	EXPECT_NE(NULL, strstr(log, "target=\"BOB\""));
	EXPECT_NE(NULL, strstr(log, "admin=\"ALICE\""));
	EXPECT_EQ(NULL, strstr(log, PW_A));
	EXPECT_EQ(NULL, strstr(log, PW_B));
	EXPECT_EQ(NULL, strstr(log, "brand new"));
}

TEST_HARNESS_MAIN
