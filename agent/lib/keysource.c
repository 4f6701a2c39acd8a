// SPDX-License-Identifier: GPL-2.0
/*
 * Key sources. Each kind loads the key for a GUID into a secure buffer;
 * new kinds (wrapped key files, KMIP) add a case here and nothing changes
 * for their callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mkey/keysource.h"
#include "mkey/kmip.h"
#include "mkey/label.h"
#include "error-detail.h"

const char *mkey_key_source_kind_name(enum mkey_key_source_kind kind)
{
	switch (kind) {
	case MKEY_KEY_SOURCE_RAW:
		return "raw key file";
	case MKEY_KEY_SOURCE_KMIP:
		return "KMIP server definition";
	default:
		return "no key source";
	}
}

/* Reads at most cap bytes; one more than the longest key tells "too long". */
static int read_all(int fd, struct mkey_secbuf *buf)
{
	while (buf->len < buf->cap) {
		ssize_t n = read(fd, buf->data + buf->len, buf->cap - buf->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		buf->len += (size_t)n;
	}
	return 0;
}

static int load_raw(const char *location, struct mkey_secbuf **key)
{
	struct mkey_secbuf *buf = NULL;
	bool from_stdin = strcmp(location, "-") == 0;
	int fd, ret;

	if (from_stdin) {
		/* Typed bytes are never a good key, and the echo would show them. */
		if (isatty(STDIN_FILENO))
			return -ENOTTY;
		fd = STDIN_FILENO;
	} else {
		fd = open(location, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return -errno;
	}
	ret = mkey_secbuf_new(MKEY_KEY_MAX_BYTES + 1, &buf);
	if (!ret)
		ret = read_all(fd, buf);
	if (!from_stdin)
		close(fd);
	if (ret < 0)
		goto fail;
	if (buf->len == 0) {
		ret = -ENODATA;
		goto fail;
	}
	if (!mkey_key_bits_for_len(buf->len)) {
		ret = mkey_error_set(-EMSGSIZE, buf->len > MKEY_KEY_MAX_BYTES ?
				     "more than %zu bytes" : "%zu bytes",
				     buf->len > MKEY_KEY_MAX_BYTES ?
				     (size_t)MKEY_KEY_MAX_BYTES : buf->len);
		goto fail;
	}
	*key = buf;
	return 0;
fail:
	mkey_secbuf_free(buf);
	return ret;
}

int mkey_key_source_load(const struct mkey_key_source *src,
			 const struct mkey_guid *guid,
			 struct mkey_secbuf **key)
{
	(void)guid;	/* a raw file holds one key; key files will use it */
	*key = NULL;
	switch (src->kind) {
	case MKEY_KEY_SOURCE_RAW:
		if (!src->location || !src->location[0])
			return -EINVAL;
		return load_raw(src->location, key);
	case MKEY_KEY_SOURCE_KMIP:
		if (!src->location || !src->location[0])
			return -EINVAL;
		return mkey_kmip_key_source_load(src->location, guid, key);
	default:
		return -EINVAL;
	}
}
