// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "mkey/guid.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_dash_position(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

int mkey_guid_parse(const char *text, struct mkey_guid *out)
{
	struct mkey_guid g;
	size_t i, n = 0;

	if (!text || !out)
		return -EINVAL;
	for (i = 0; i < MKEY_GUID_STR_LEN; i++) {
		int hi, lo;

		if (is_dash_position(i)) {
			if (text[i] != '-')
				return -EINVAL;
			continue;
		}
		/* text[i + 1] is safe: text[i] was not NUL (hex_value says so). */
		hi = hex_value(text[i]);
		if (hi < 0)
			return -EINVAL;
		lo = hex_value(text[i + 1]);
		if (lo < 0)
			return -EINVAL;
		g.b[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (text[MKEY_GUID_STR_LEN] != '\0')
		return -EINVAL;
	*out = g;
	return 0;
}

void mkey_guid_format(const struct mkey_guid *g, char out[MKEY_GUID_STR_LEN + 1])
{
	const uint8_t *b = g->b;

	snprintf(out, MKEY_GUID_STR_LEN + 1,
		 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
		 "%02X%02X%02X%02X%02X%02X",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

int mkey_guid_generate(struct mkey_guid *out)
{
	if (RAND_bytes(out->b, sizeof(out->b)) != 1)
		return -EIO;
	out->b[6] = (out->b[6] & 0x0f) | 0x40;	/* version 4 */
	out->b[8] = (out->b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	return 0;
}

bool mkey_guid_equal(const struct mkey_guid *a, const struct mkey_guid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

bool mkey_guid_is_null(const struct mkey_guid *g)
{
	static const struct mkey_guid zero;

	return mkey_guid_equal(g, &zero);
}
