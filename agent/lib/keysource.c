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
#include "fileio.h"

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

static int load_raw(const char *location, struct mkey_secbuf **key)
{
	struct mkey_secbuf *buf = NULL;
	int ret;

	/*
	 * One byte more than the longest key tells "too long"; typed bytes
	 * are never a good key, and the echo would show them.
	 */
	ret = mkey_secret_read(location, MKEY_KEY_MAX_BYTES + 1, &buf);
	if (ret < 0)
		return ret;
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
