/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a single raw data key comes from: a raw key file (or stdin).
 * Key files with wrapped keys, administrators and passwords have their
 * own API (mkey/keyfile.h); a single-key source such as KMIP can plug in
 * here as a further kind, so its callers only ever ask "load the key for
 * GUID X".
 */
#ifndef MKEY_KEYSOURCE_H
#define MKEY_KEYSOURCE_H

#include "mkey/guid.h"
#include "mkey/secmem.h"

enum mkey_key_source_kind {
	MKEY_KEY_SOURCE_NONE = 0,
	MKEY_KEY_SOURCE_RAW,	/* raw XTS key bytes in a file, "-" = stdin */
	MKEY_KEY_SOURCE_KMIP,	/* KMIP server definition name or path (mkey/kmip.h) */
};

struct mkey_key_source {
	enum mkey_key_source_kind kind;
	const char *location;	/* path, or "-" */
};

/*
 * Loads the key for @guid into a new secure buffer (*key, free with
 * mkey_secbuf_free). Raw keys: -EMSGSIZE when the length is not 32, 48 or
 * 64 bytes (the length is left in mkey_error_detail()), -ENOTTY when "-"
 * is a terminal, -ENODATA when empty, else the open/read errno.
 */
int mkey_key_source_load(const struct mkey_key_source *src,
			 const struct mkey_guid *guid,
			 struct mkey_secbuf **key);

/* "raw key file" etc., for messages. */
const char *mkey_key_source_kind_name(enum mkey_key_source_kind kind);

#endif
