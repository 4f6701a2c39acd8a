// SPDX-License-Identifier: GPL-2.0
/*
 * Key material gets its own anonymous mapping so that locking and
 * MADV_DONTDUMP cover exactly the secret pages and nothing they share a
 * page with; the mapping is wiped before it is unmapped.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "mkey/secmem.h"

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

int mkey_secbuf_new(size_t cap, struct mkey_secbuf **out)
{
	struct mkey_secbuf *buf;
	size_t map_len;
	void *p;

	*out = NULL;
	if (cap == 0 || cap > (1u << 20))
		return -EINVAL;
	map_len = page_round(cap);
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(buf);
		return -ENOMEM;
	}
	if (mlock(p, map_len) < 0) {
		munmap(p, map_len);
		free(buf);
		return -ENOMEM;
	}
	/* Not in core dumps, and a forked child gets zeros, not our keys. */
	(void)madvise(p, map_len, MADV_DONTDUMP);
	(void)madvise(p, map_len, MADV_WIPEONFORK);
	buf->data = p;
	buf->cap = cap;
	buf->map_len = map_len;
	*out = buf;
	return 0;
}

void mkey_secbuf_wipe(struct mkey_secbuf *buf)
{
	if (!buf || !buf->data)
		return;
	OPENSSL_cleanse(buf->data, buf->map_len);
	buf->len = 0;
}

void mkey_secbuf_free(struct mkey_secbuf *buf)
{
	if (!buf)
		return;
	mkey_secbuf_wipe(buf);
	if (buf->data) {
		munlock(buf->data, buf->map_len);
		munmap(buf->data, buf->map_len);
	}
	OPENSSL_cleanse(buf, sizeof(*buf));
	free(buf);
}
