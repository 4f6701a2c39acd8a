// SPDX-License-Identifier: GPL-2.0
/*
 * startup.conf (agent/lib/startup.c): reading a setting, replacing one
 * without touching the others, and refusing a file with a NUL byte. The
 * line parser stops at a NUL, so before the fix everything after one was
 * silently ignored by mkey_startup_get() and silently dropped from the
 * file by mkey_startup_set() (found by tests/fuzz/fuzz-config.c).
 */
#include "kselftest_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mkey/error.h"
#include "mkey/startup.h"

FIXTURE(conf)
{
	char dir[256];
	char path[PATH_MAX];
};

FIXTURE_SETUP(conf)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(self->dir, sizeof(self->dir), "%s/mkey-startup-XXXXXX",
		 tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/%s", self->dir, MKEY_STARTUP_CONF);
}

FIXTURE_TEARDOWN(conf)
{
	unlink(self->path);
	rmdir(self->dir);
}

static void put(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) < 0)
		abort();
}

static size_t get(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		abort();
	n = read(fd, buf, cap);
	close(fd);
	if (n < 0)
		abort();
	return (size_t)n;
}

#define CONF "# comment\n/etc/mkey/a.mkey unattended UNATTENDED@HOST\n" \
	     "/etc/mkey/b.mkey none\n"

TEST_F(conf, get_and_set_keep_the_other_lines)
{
	struct mkey_startup st, none = { .mode = MKEY_STARTUP_NONE };
	char buf[4096];
	size_t n;

	put(self->path, CONF, strlen(CONF));
	ASSERT_EQ(0, mkey_startup_get(self->dir, "/etc/mkey/a.mkey", &st));
	EXPECT_EQ(MKEY_STARTUP_UNATTENDED, st.mode);
	EXPECT_STREQ("UNATTENDED@HOST", st.admin);
	EXPECT_EQ(2, st.line);
	ASSERT_EQ(0, mkey_startup_get(self->dir, "/etc/mkey/c.mkey", &st));
	EXPECT_FALSE(st.listed);
	EXPECT_EQ(MKEY_STARTUP_INTERACTIVE, st.mode);

	ASSERT_EQ(0, mkey_startup_set(self->dir, "/etc/mkey/c.mkey", &none));
	n = get(self->path, buf, sizeof(buf) - 1);
	buf[n] = 0;
	EXPECT_STREQ(CONF "/etc/mkey/c.mkey none\n", buf);
	ASSERT_EQ(0, mkey_startup_get(self->dir, "/etc/mkey/a.mkey", &st));
	EXPECT_EQ(MKEY_STARTUP_UNATTENDED, st.mode);
}

/* "...a.mkey interactive\n\0garbage\n/etc/mkey/b.mkey none\n" */
static const char with_nul[] = "/etc/mkey/a.mkey interactive\n\0x\n/etc/mkey/b.mkey none\n";

TEST_F(conf, get_refuses_a_nul_byte)
{
	struct mkey_startup st;

	put(self->path, with_nul, sizeof(with_nul) - 1);
	mkey_error_clear();
	/* Before the fix: 0, and b.mkey read as "not listed, interactive". */
	EXPECT_EQ(-EBADMSG, mkey_startup_get(self->dir, "/etc/mkey/b.mkey", &st));
	EXPECT_NE(NULL, strstr(mkey_error_detail(), "contains a NUL byte"))
		TH_LOG("detail: %s", mkey_error_detail());
}

TEST_F(conf, set_refuses_a_nul_byte_and_leaves_the_file_alone)
{
	struct mkey_startup none = { .mode = MKEY_STARTUP_NONE };
	char buf[4096];

	put(self->path, with_nul, sizeof(with_nul) - 1);
	/* Before the fix: 0, and the b.mkey line was gone from the file. */
	EXPECT_EQ(-EBADMSG, mkey_startup_set(self->dir, "/etc/mkey/c.mkey", &none));
	ASSERT_EQ(sizeof(with_nul) - 1, get(self->path, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, with_nul, sizeof(with_nul) - 1));
}

TEST_HARNESS_MAIN
