// SPDX-License-Identifier: GPL-2.0
/*
 * Text that crosses the device-mapper boundary: names, dm UUIDs, the
 * table line we load and the table/status lines the target reports
 * (docs/dm-mkey-target.md). Pure functions, so they are unit-tested.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "mkey/volume.h"

int mkey_dm_name_check(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len == 0 || len > MKEY_DM_NAME_MAX || strchr(name, '/') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return -EINVAL;	/* udev and shells mangle these */
	return 0;
}

void mkey_dm_uuid(const struct mkey_guid *volume_uuid, const char *name,
		  char out[MKEY_DM_UUID_MAX + 1])
{
	char text[MKEY_GUID_STR_LEN + 1];

	mkey_guid_format(volume_uuid, text);
	snprintf(out, MKEY_DM_UUID_MAX + 1, MKEY_DM_UUID_PREFIX "%s-%s", text, name);
}

int mkey_table_params(dev_t dev, const struct mkey_guid *key_guid,
		      const struct mkey_open_opts *opts, char *buf, size_t len)
{
	char text[MKEY_GUID_STR_LEN + 1];
	int n;

	mkey_guid_format(key_guid, text);
	n = snprintf(buf, len, "%u:%u %s%s", major(dev), minor(dev), text,
		     opts && opts->allow_discards ? " 1 allow_discards" : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Splits a copy of @line on blanks; returns the number of words. */
static int split_words(char *line, char **words, int max)
{
	char *save = NULL, *w;
	int n = 0;

	for (w = strtok_r(line, " \t\n", &save); w && n < max;
	     w = strtok_r(NULL, " \t\n", &save))
		words[n++] = w;
	return w ? max + 1 : n;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -EBADMSG : 0;
}

static int parse_u32(const char *s, uint32_t *v)
{
	uint64_t w;

	if (parse_u64(s, &w) < 0 || w > UINT32_MAX)
		return -EBADMSG;
	*v = (uint32_t)w;
	return 0;
}

#define STATUS_WORDS 10

int mkey_status_parse(const char *params, struct mkey_target_status *st)
{
	char *copy, *w[STATUS_WORDS + 8];
	int n, ret = -EBADMSG;

	memset(st, 0, sizeof(*st));
	if (!params)
		return -EBADMSG;
	copy = strdup(params);
	if (!copy)
		return -ENOMEM;
	/* Later target versions may append fields: read the ones we know. */
	n = split_words(copy, w, (int)(sizeof(w) / sizeof(w[0])));
	if (n < STATUS_WORDS)
		goto out;
	if (mkey_guid_parse(w[0], &st->key_guid) < 0 ||
	    strlen(w[1]) > MKEY_LABEL_CIPHER_SIZE ||
	    parse_u32(w[2], &st->key_bits) < 0 ||
	    parse_u32(w[3], &st->sector_size) < 0 ||
	    (strcmp(w[4], "primary") && strcmp(w[4], "backup")) ||
	    parse_u64(w[5], &st->reads) < 0 || parse_u64(w[6], &st->writes) < 0 ||
	    parse_u64(w[7], &st->read_sectors) < 0 ||
	    parse_u64(w[8], &st->written_sectors) < 0 ||
	    parse_u64(w[9], &st->errors) < 0)
		goto out;
	strcpy(st->cipher, w[1]);
	strcpy(st->label_copy, w[4]);
	ret = 0;
out:
	free(copy);
	return ret;
}

int mkey_table_parse(const char *params, struct mkey_target_table *tt)
{
	char *copy, *w[16];
	uint32_t nopt;
	int n, i, ret = -EBADMSG;

	memset(tt, 0, sizeof(*tt));
	if (!params)
		return -EBADMSG;
	copy = strdup(params);
	if (!copy)
		return -ENOMEM;
	n = split_words(copy, w, 15);
	if (n < 2 || n > 15)
		goto out;
	if (sscanf(w[0], "%u:%u", &tt->major, &tt->minor) != 2 ||
	    mkey_guid_parse(w[1], &tt->key_guid) < 0)
		goto out;
	if (n > 2) {
		if (parse_u32(w[2], &nopt) < 0 || nopt != (uint32_t)(n - 3))
			goto out;
		for (i = 3; i < n; i++)
			if (strcmp(w[i], "allow_discards") == 0)
				tt->allow_discards = true;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}
