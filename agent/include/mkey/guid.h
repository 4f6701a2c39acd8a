/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GUIDs and UUIDs in the 8-4-4-4-12 text form. Key GUIDs and volume UUIDs
 * share one type: on disk both are 16 bytes in text order (docs/volume-label.md).
 */
#ifndef MKEY_GUID_H
#define MKEY_GUID_H

#include <stdbool.h>
#include <stdint.h>

#define MKEY_GUID_BYTES   16
#define MKEY_GUID_STR_LEN 36	/* without the terminating NUL */

struct mkey_guid {
	uint8_t b[MKEY_GUID_BYTES];
};

/*
 * Strict parse: exactly 8-4-4-4-12 hex digits, either case, nothing before
 * or after. Returns 0, or -EINVAL for anything else (including NULL).
 */
int mkey_guid_parse(const char *text, struct mkey_guid *out);

/* Upper-case text form, as the keyring descriptions use it. */
void mkey_guid_format(const struct mkey_guid *g, char out[MKEY_GUID_STR_LEN + 1]);

/* Random RFC 4122 version 4 UUID from the OpenSSL CSPRNG; -EIO if it fails. */
int mkey_guid_generate(struct mkey_guid *out);

bool mkey_guid_equal(const struct mkey_guid *a, const struct mkey_guid *b);
bool mkey_guid_is_null(const struct mkey_guid *g);

#endif
