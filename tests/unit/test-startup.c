// SPDX-License-Identifier: GPL-2.0
/*
 * Startup settings of key files (/etc/mkey/startup.conf) and unattended
 * unlocking (mkey/startup.h): the file's format and its rewrites, the
 * secret's permissions, and enable/disable on a real key file.
 */
#include "kselftest_harness.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "keyfile-util.h"
#include "mkey/startup.h"

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
}

static char *read_text(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

FIXTURE(conf)
{
	char dir[128];
	char conf[256];
};

FIXTURE_SETUP(conf)
{
	ASSERT_EQ(0, make_temp_dir(self->dir));
	snprintf(self->conf, sizeof(self->conf), "%s/%s", self->dir, MKEY_STARTUP_CONF);
}

FIXTURE_TEARDOWN(conf)
{
	char sub[256];

	snprintf(sub, sizeof(sub), "%s/%s", self->dir, MKEY_UNATTENDED_DIR);
	remove_dir(sub);
	remove_dir(self->dir);
}

TEST_F(conf, unlisted_and_missing_mean_interactive)
{
	struct mkey_startup st;

	ASSERT_EQ(0, mkey_startup_get(self->dir, "/etc/mkey/a.mkey", &st));
	EXPECT_EQ(MKEY_STARTUP_INTERACTIVE, st.mode);
	EXPECT_FALSE(st.listed);
	write_file(self->conf, "# nothing\n/etc/mkey/b.mkey none\n", 0644);
	ASSERT_EQ(0, mkey_startup_get(self->dir, "/etc/mkey/a.mkey", &st));
	EXPECT_EQ(MKEY_STARTUP_INTERACTIVE, st.mode);
	ASSERT_EQ(0, mkey_startup_get(self->dir, "/etc/mkey/b.mkey", &st));
	EXPECT_EQ(MKEY_STARTUP_NONE, st.mode);
	EXPECT_TRUE(st.listed);
	EXPECT_EQ(2, st.line);
}

TEST_F(conf, malformed_lines_are_named)
{
	static const char *const bad[] = {
		"relative.mkey none\n",
		"/etc/mkey/a.mkey\n",
		"/etc/mkey/a.mkey sometimes\n",
		"/etc/mkey/a.mkey unattended\n",
		"/etc/mkey/a.mkey interactive ALICE\n",
		"/etc/mkey/a.mkey unattended A B\n",
	};
	struct mkey_startup st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(self->conf, bad[i], 0644);
		mkey_error_clear();
		EXPECT_EQ(-EBADMSG, mkey_startup_get(self->dir, "/etc/mkey/a.mkey", &st))
			TH_LOG("%s", bad[i]);
		EXPECT_NE(NULL, strstr(mkey_error_detail(), "startup.conf:1:"))
			TH_LOG("%s -> %s", bad[i], mkey_error_detail());
	}
}

TEST_F(conf, set_replaces_one_line_and_keeps_the_rest)
{
	struct mkey_startup st = { .mode = MKEY_STARTUP_NONE };
	const char *text;

	write_file(self->conf, "# mine\n/etc/mkey/a.mkey interactive\n\n/etc/mkey/b.mkey none\n"
		   "/etc/mkey/a.mkey none\n", 0644);
	ASSERT_EQ(0, mkey_startup_set(self->dir, "/etc/mkey/a.mkey", &st));
	text = read_text(self->conf);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("# mine\n/etc/mkey/a.mkey none\n\n/etc/mkey/b.mkey none\n", text);

	st.mode = MKEY_STARTUP_UNATTENDED;
	strcpy(st.admin, "UNATTENDED@HOST");
	ASSERT_EQ(0, mkey_startup_set(self->dir, "/etc/mkey/c.mkey", &st));
	ASSERT_EQ(0, mkey_startup_get(self->dir, "/etc/mkey/c.mkey", &st));
	EXPECT_EQ(MKEY_STARTUP_UNATTENDED, st.mode);
	EXPECT_STREQ("UNATTENDED@HOST", st.admin);
	EXPECT_EQ(5, st.line);

	/* An unattended setting without its administrator is refused. */
	st.admin[0] = 0;
	EXPECT_EQ(-EINVAL, mkey_startup_set(self->dir, "/etc/mkey/d.mkey", &st));
	EXPECT_EQ(-EINVAL, mkey_startup_set(self->dir, "relative", &st));
}

TEST_F(conf, a_new_file_gets_a_header)
{
	struct mkey_startup st = { .mode = MKEY_STARTUP_INTERACTIVE };
	const char *text;

	ASSERT_EQ(0, mkey_startup_set(self->dir, "/etc/mkey/a.mkey", &st));
	text = read_text(self->conf);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, strncmp(text, "# dm-mkey", 9));
	EXPECT_NE(NULL, strstr(text, "\n/etc/mkey/a.mkey interactive\n"));
}

TEST_F(conf, the_secret_must_be_root_only_and_well_formed)
{
	struct mkey_secbuf *s = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/x.secret", self->dir);
	EXPECT_EQ(-ENOENT, mkey_unattended_secret_read(path, &s));
	write_file(path, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", 0400);
	ASSERT_EQ(0, mkey_unattended_secret_read(path, &s));
	EXPECT_EQ(64, s->len);
	mkey_secbuf_free(s);
	chmod(path, 0440);
	mkey_error_clear();
	EXPECT_EQ(-EPERM, mkey_unattended_secret_read(path, &s));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "chmod 0400"));
	chmod(path, 0600);
	write_file(path, "0123\n", 0600);
	EXPECT_EQ(-EBADMSG, mkey_unattended_secret_read(path, &s));
	write_file(path, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n", 0600);
	EXPECT_EQ(-EBADMSG, mkey_unattended_secret_read(path, &s));
	/* A directory others can write to is refused too. */
	write_file(path, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", 0400);
	chmod(self->dir, 0777);
	mkey_error_clear();
	EXPECT_EQ(-EPERM, mkey_unattended_secret_read(path, &s));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "can be changed by others"));
	chmod(self->dir, 0700);
	unlink(path);
	EXPECT_EQ(0, symlink("/etc/hostname", path));
	EXPECT_EQ(-EPERM, mkey_unattended_secret_read(path, &s));
	unlink(path);
}

TEST(admin_name_is_upper_case_and_valid)
{
	char name[MKEY_ADMIN_NAME_MAX + 1], norm[MKEY_ADMIN_NAME_MAX + 1];

	mkey_unattended_admin_name(name);
	EXPECT_EQ(0, strncmp(name, MKEY_UNATTENDED_ADMIN_PREFIX, strlen(MKEY_UNATTENDED_ADMIN_PREFIX)));
	ASSERT_EQ(0, mkey_admin_name_normalize(name, norm));
	EXPECT_STREQ(name, norm);
}

TEST_F(conf, enable_then_disable_on_a_key_file)
{
	struct mkey_keyfile *kf = NULL;
	struct mkey_kdf_params kdf;
	struct mkey_secbuf *secret = NULL;
	struct mkey_startup st;
	char kpath[256], spath[256], sdir[256];
	struct stat sb;

	snprintf(kpath, sizeof(kpath), "%s/data.mkey", self->dir);
	cheap_kdf(&kdf);
	ASSERT_EQ(0, mkey_keyfile_new("alice", PW(PW_ALICE), &kdf, 256, "d", &kf));
	ASSERT_EQ(0, mkey_keyfile_create(kf, kpath));
	mkey_keyfile_free(kf);

	/* Enable, as mkey keyfile-startup does: lock, unlock, enable. */
	ASSERT_EQ(0, mkey_keyfile_open_update(kpath, 0, &kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(kf, "alice", PW(PW_ALICE)));
	ASSERT_EQ(0, mkey_unattended_enable(kf, self->dir, kpath, "UNATTENDED@TEST"));
	mkey_unattended_secret_path(self->dir, mkey_keyfile_id(kf), spath, sizeof(spath));
	mkey_keyfile_free(kf);

	ASSERT_EQ(0, stat(spath, &sb));
	EXPECT_EQ(0400, sb.st_mode & 07777);
	snprintf(sdir, sizeof(sdir), "%s/%s", self->dir, MKEY_UNATTENDED_DIR);
	ASSERT_EQ(0, stat(sdir, &sb));
	EXPECT_EQ(0700, sb.st_mode & 07777);
	ASSERT_EQ(0, mkey_startup_get(self->dir, kpath, &st));
	EXPECT_EQ(MKEY_STARTUP_UNATTENDED, st.mode);
	EXPECT_STREQ("UNATTENDED@TEST", st.admin);

	/* The secret unlocks the file as the unattended administrator. */
	ASSERT_EQ(0, mkey_unattended_secret_read(spath, &secret));
	ASSERT_EQ(0, mkey_keyfile_load(kpath, &kf));
	EXPECT_EQ(2, mkey_keyfile_admin_count(kf));
	EXPECT_EQ(0, mkey_keyfile_unlock(kf, st.admin, secret->data, secret->len));
	mkey_keyfile_free(kf);

	/* Enabling again replaces administrator and secret. */
	ASSERT_EQ(0, mkey_keyfile_open_update(kpath, 0, &kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(kf, "alice", PW(PW_ALICE)));
	ASSERT_EQ(0, mkey_unattended_enable(kf, self->dir, kpath, "UNATTENDED@TEST"));
	mkey_keyfile_free(kf);
	ASSERT_EQ(0, mkey_keyfile_load(kpath, &kf));
	EXPECT_EQ(2, mkey_keyfile_admin_count(kf));
	EXPECT_EQ(-EKEYREJECTED, mkey_keyfile_unlock(kf, st.admin, secret->data, secret->len));
	mkey_keyfile_free(kf);
	mkey_secbuf_free(secret);

	/* Disable, authorized by the secret itself. */
	ASSERT_EQ(0, mkey_unattended_secret_read(spath, &secret));
	ASSERT_EQ(0, mkey_keyfile_open_update(kpath, 0, &kf));
	ASSERT_EQ(0, mkey_keyfile_unlock(kf, st.admin, secret->data, secret->len));
	mkey_secbuf_free(secret);
	ASSERT_EQ(0, mkey_unattended_disable(kf, self->dir, kpath, st.admin,
					     MKEY_STARTUP_INTERACTIVE));
	mkey_keyfile_free(kf);
	EXPECT_NE(0, access(spath, F_OK));
	ASSERT_EQ(0, mkey_keyfile_load(kpath, &kf));
	EXPECT_EQ(1, mkey_keyfile_admin_count(kf));
	EXPECT_EQ(-ENOENT, mkey_keyfile_admin_find(kf, "UNATTENDED@TEST"));
	mkey_keyfile_free(kf);
	ASSERT_EQ(0, mkey_startup_get(self->dir, kpath, &st));
	EXPECT_EQ(MKEY_STARTUP_INTERACTIVE, st.mode);
	unlink(kpath);
}

TEST_HARNESS_MAIN
