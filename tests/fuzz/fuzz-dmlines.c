// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the text that crosses the device-mapper boundary
 * (agent/lib/dm-lines.c, agent/lib/guid.c): the table line libmkey builds
 * (mkey_table_params) and reads back (mkey_table_parse), the status line
 * of the target (mkey_status_parse), device-mapper names and UUIDs
 * (mkey_dm_name_check, mkey_dm_uuid) and GUID text (mkey_guid_parse).
 * Every parser sees the same NUL-terminated input.
 *
 * Invariants checked:
 *   - a table line that parses is rebuilt by mkey_table_params() into a
 *     line that parses to the same device, GUID and options;
 *   - a status line that parses has a cipher that fits its field and a
 *     label copy of "primary" or "backup";
 *   - a GUID that parses formats back to the same text (upper case) and
 *     parses again to the same bytes;
 *   - a name that passes mkey_dm_name_check has no '/' or blank, is at
 *     most 127 bytes, and gives a dm UUID that fits (128 bytes) and starts
 *     with MKEY-.
 *
 *   make fuzz FUZZ_TIME=600      long run (corpus in build/fuzz/corpus/dmlines)
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "mkey/guid.h"
#include "mkey/volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void table(const char *s)
{
	struct mkey_target_table tt, again;
	struct mkey_open_opts opts = { 0 };
	char line[256];

	if (mkey_table_parse(s, &tt) != 0)
		return;
	opts.allow_discards = tt.allow_discards;
	if (mkey_table_params(makedev(tt.major, tt.minor), &tt.key_guid, &opts, line,
			      sizeof(line)) != 0)
		abort();
	if (mkey_table_parse(line, &again) != 0 || again.major != tt.major ||
	    again.minor != tt.minor || !mkey_guid_equal(&again.key_guid, &tt.key_guid) ||
	    again.allow_discards != tt.allow_discards)
		abort();	/* the line we build does not say what we read */
}

static void status(const char *s)
{
	struct mkey_target_status st;

	if (mkey_status_parse(s, &st) != 0)
		return;
	if (strlen(st.cipher) > MKEY_LABEL_CIPHER_SIZE ||
	    (strcmp(st.label_copy, "primary") && strcmp(st.label_copy, "backup")))
		abort();
}

static void guid(const char *s)
{
	char text[MKEY_GUID_STR_LEN + 1];
	struct mkey_guid g, again;

	if (mkey_guid_parse(s, &g) != 0)
		return;
	mkey_guid_format(&g, text);
	if (strcasecmp(text, s) != 0)
		abort();
	for (const char *p = text; *p; p++)
		if (islower((unsigned char)*p))
			abort();
	if (mkey_guid_parse(text, &again) != 0 || !mkey_guid_equal(&g, &again))
		abort();
}

static void name(const char *s)
{
	char uuid[MKEY_DM_UUID_MAX + 1];
	struct mkey_guid g;

	if (mkey_dm_name_check(s) != 0)
		return;
	if (strlen(s) > MKEY_DM_NAME_MAX || strchr(s, '/') || strchr(s, ' '))
		abort();
	memset(&g, 0xa5, sizeof(g));
	mkey_dm_uuid(&g, s, uuid);
	if (strlen(uuid) > MKEY_DM_UUID_MAX || strncmp(uuid, MKEY_DM_UUID_PREFIX, 5))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	table(s);
	status(s);
	guid(s);
	name(s);
	free(s);
	return 0;
}
