/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the KMIP unit tests: the captured PyKMIP messages in
 * tests/kmip/vectors/ (hex, one message per file; the tests run from the
 * top of the tree), and TTLV surgery.
 */
#ifndef MKEY_KMIP_UTIL_H
#define MKEY_KMIP_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KMIP_VECTOR_DIR "tests/kmip/vectors"

/* Loads tests/kmip/vectors/@name.hex; malloc'ed bytes, or NULL. */
static inline uint8_t *kmip_vector(const char *name, size_t *len)
{
	char path[256], *hex = NULL;
	size_t cap = 0, n = 0;
	uint8_t *out;
	ssize_t got;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.hex", KMIP_VECTOR_DIR, name);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	got = getline(&hex, &cap, f);
	fclose(f);
	if (got <= 0) {
		free(hex);
		return NULL;
	}
	while (got > 0 && (hex[got - 1] == '\n' || hex[got - 1] == '\r'))
		hex[--got] = '\0';
	out = malloc((size_t)got / 2 + 1);
	for (ssize_t i = 0; out && i + 1 < got; i += 2) {
		unsigned int b;

		if (sscanf(hex + i, "%2x", &b) != 1) {
			free(out);
			out = NULL;
			break;
		}
		out[n++] = (uint8_t)b;
	}
	free(hex);
	*len = n;
	return out;
}

static inline void kmip_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Every captured response, with the operation it answers (0: none). */
static const struct {
	const char *name;
	uint32_t op;
} kmip_responses[] = {
	{ "01-Create-response", 0x01 },
	{ "02-Activate-response", 0x12 },
	{ "03-Get-response", 0x0A },
	{ "04-Locate-response", 0x08 },
	{ "05-LocateNm-response", 0x08 },
	{ "06-Revoke-response", 0x13 },
	{ "07-Destroy-response", 0x14 },
	{ "08-GetAfter-response", 0x0A },
	{ "09-GetAttributes-response", 0x0B },
	{ "10-Query-response", 0x18 },
	{ "11-DiscoverVersions-response", 0x1E },
	{ "err", 0 },
	{ "noeku-response", 0 },
};

static const char *const kmip_requests[] = {
	"01-Create-request", "02-Activate-request", "03-Get-request",
	"04-Locate-request", "05-LocateNm-request", "06-Revoke-request",
	"07-Destroy-request", "08-GetAfter-request",
};

#define KMIP_N(a) (sizeof(a) / sizeof((a)[0]))

#endif
