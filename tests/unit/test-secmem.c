// SPDX-License-Identifier: GPL-2.0
/*
 * Secure buffers. The test binary is linked with --wrap=munmap so that it
 * can look at a buffer's pages at the moment they are handed back, which is
 * the only way to see that mkey_secbuf_free() wiped them.
 */
#include "kselftest_harness.h"

#include <errno.h>
#include <sys/mman.h>

#include "mkey/secmem.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len);

static const void *watched;
static size_t watched_len;
static int watched_nonzero = -1;	/* -1: not seen being unmapped */

int __wrap_munmap(void *addr, size_t len)
{
	if (addr == watched && len >= watched_len) {
		const uint8_t *p = addr;

		watched_nonzero = 0;
		for (size_t i = 0; i < len; i++)
			watched_nonzero += p[i] != 0;
	}
	return __real_munmap(addr, len);
}

/* VmFlags of the mapping that contains @addr, from /proc/self/smaps. */
static int vm_flags(const void *addr, char *flags, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool inside = false;
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			inside = (unsigned long)addr >= lo && (unsigned long)addr < hi;
			continue;
		}
		if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(flags, len, "%s", line + 8);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

TEST(new_buffer_is_zeroed_locked_and_not_dumpable)
{
	struct mkey_secbuf *b = NULL;
	char flags[512];

	ASSERT_EQ(0, mkey_secbuf_new(64, &b));
	ASSERT_NE(NULL, b);
	EXPECT_EQ(64, b->cap);
	EXPECT_EQ(0, b->len);
	for (size_t i = 0; i < b->cap; i++)
		ASSERT_EQ(0, b->data[i]);
	ASSERT_EQ(0, vm_flags(b->data, flags, sizeof(flags)));
#ifndef UNDER_ASAN
	/* ASan replaces mlock() with a no-op, so only the plain build can check. */
	EXPECT_NE(NULL, strstr(flags, " lo")) TH_LOG("VmFlags:%s", flags);	/* mlocked */
#endif
	EXPECT_NE(NULL, strstr(flags, " dd")) TH_LOG("VmFlags:%s", flags);	/* no dump */
	mkey_secbuf_free(b);
}

TEST(wipe_clears_every_byte_and_len)
{
	struct mkey_secbuf *b = NULL;

	ASSERT_EQ(0, mkey_secbuf_new(100, &b));
	memset(b->data, 0xA5, b->map_len);
	b->len = 100;
	mkey_secbuf_wipe(b);
	EXPECT_EQ(0, b->len);
	for (size_t i = 0; i < b->map_len; i++) {
		ASSERT_EQ(0, b->data[i]) TH_LOG("byte %zu", i);
	}
	mkey_secbuf_free(b);
}

TEST(free_wipes_before_unmapping)
{
	struct mkey_secbuf *b = NULL;

	ASSERT_EQ(0, mkey_secbuf_new(64, &b));
	memset(b->data, 0x5A, b->map_len);
	b->len = 64;
	watched = b->data;
	watched_len = b->map_len;
	watched_nonzero = -1;
	mkey_secbuf_free(b);
	EXPECT_EQ(0, watched_nonzero) TH_LOG("%d secret bytes left in unmapped pages",
					     watched_nonzero);
	watched = NULL;
}

TEST(free_null_is_a_no_op)
{
	mkey_secbuf_free(NULL);
	mkey_secbuf_wipe(NULL);
}

TEST(bad_sizes_are_refused)
{
	struct mkey_secbuf *b = (void *)1;

	EXPECT_EQ(-EINVAL, mkey_secbuf_new(0, &b));
	EXPECT_EQ(NULL, b);
	EXPECT_EQ(-EINVAL, mkey_secbuf_new((size_t)1 << 30, &b));
}

TEST_HARNESS_MAIN
