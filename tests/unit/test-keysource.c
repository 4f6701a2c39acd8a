// SPDX-License-Identifier: GPL-2.0
/* Raw key files: sizes, errors, stdin. */
#include "kselftest_harness.h"

#include <errno.h>

#include "mkey/error.h"
#include "mkey/keysource.h"
#include "unit-util.h"

FIXTURE(keyfile) {
	char path[64];
	int fd;
	struct mkey_key_source src;
	struct mkey_guid guid;
	struct mkey_secbuf *key;
};

FIXTURE_SETUP(keyfile)
{
	self->fd = make_temp_device(0, self->path);
	ASSERT_GE(self->fd, 0);
	self->src.kind = MKEY_KEY_SOURCE_RAW;
	self->src.location = self->path;
	self->key = NULL;
	memset(&self->guid, 0, sizeof(self->guid));
}

FIXTURE_TEARDOWN(keyfile)
{
	mkey_secbuf_free(self->key);
	close(self->fd);
	unlink(self->path);
}

static void fill(int fd, size_t len)
{
	uint8_t buf[2048];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, len, 0) != (ssize_t)len)
		abort();
}

TEST_F(keyfile, valid_lengths_load_exactly)
{
	const size_t lens[] = { 32, 48, 64 };

	for (size_t i = 0; i < 3; i++) {
		fill(self->fd, lens[i]);
		ASSERT_EQ(0, mkey_key_source_load(&self->src, &self->guid, &self->key));
		EXPECT_EQ(lens[i], self->key->len);
		EXPECT_EQ(1, self->key->data[0]);
		EXPECT_EQ((uint8_t)((lens[i] - 1) * 7 + 1), self->key->data[lens[i] - 1]);
		mkey_secbuf_free(self->key);
		self->key = NULL;
	}
}

TEST_F(keyfile, wrong_lengths_are_refused_naming_the_length)
{
	const size_t lens[] = { 1, 16, 31, 33, 47, 63 };
	char want[32];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		fill(self->fd, lens[i]);
		mkey_error_clear();
		ASSERT_EQ(-EMSGSIZE, mkey_key_source_load(&self->src, &self->guid, &self->key));
		EXPECT_EQ(NULL, self->key);
		snprintf(want, sizeof(want), "%zu bytes", lens[i]);
		EXPECT_STREQ(want, mkey_error_detail());
	}
}

TEST_F(keyfile, too_long_is_refused)
{
	fill(self->fd, 65);
	EXPECT_EQ(-EMSGSIZE, mkey_key_source_load(&self->src, &self->guid, &self->key));
	EXPECT_STREQ("more than 64 bytes", mkey_error_detail());
	fill(self->fd, 2048);
	EXPECT_EQ(-EMSGSIZE, mkey_key_source_load(&self->src, &self->guid, &self->key));
}

TEST_F(keyfile, empty_file_is_refused)
{
	EXPECT_EQ(-ENODATA, mkey_key_source_load(&self->src, &self->guid, &self->key));
}

TEST_F(keyfile, missing_file_and_bad_sources)
{
	self->src.location = "/nonexistent/key";
	EXPECT_EQ(-ENOENT, mkey_key_source_load(&self->src, &self->guid, &self->key));
	self->src.location = "";
	EXPECT_EQ(-EINVAL, mkey_key_source_load(&self->src, &self->guid, &self->key));
	self->src.kind = MKEY_KEY_SOURCE_NONE;
	EXPECT_EQ(-EINVAL, mkey_key_source_load(&self->src, &self->guid, &self->key));
}

TEST_F(keyfile, dash_reads_stdin)
{
	int saved = dup(STDIN_FILENO);

	fill(self->fd, 48);
	ASSERT_EQ(0, lseek(self->fd, 0, SEEK_SET));
	ASSERT_EQ(STDIN_FILENO, dup2(self->fd, STDIN_FILENO));
	self->src.location = "-";
	EXPECT_EQ(0, mkey_key_source_load(&self->src, &self->guid, &self->key));
	dup2(saved, STDIN_FILENO);
	close(saved);
	ASSERT_NE(NULL, self->key);
	EXPECT_EQ(48, self->key->len);
}

TEST_HARNESS_MAIN
