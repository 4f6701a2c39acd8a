// SPDX-License-Identifier: GPL-2.0
/* mkey status / list: what dm-mkey mappings exist and how they are doing. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "label-print.h"
#include "mkey/volume.h"

/* "/dev/sdb" for 8:16, via the sysfs link; "8:16" if unknown. */
static void device_name(unsigned int major, unsigned int minor, char *buf, size_t len)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major, minor);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		const char *base;

		target[n] = '\0';
		base = strrchr(target, '/');
		/* Kernel device names are short; the cap keeps the compiler sure of it. */
		snprintf(buf, len, "/dev/%.200s", base ? base + 1 : target);
	} else {
		snprintf(buf, len, "%u:%u", major, minor);
	}
}

static void print_one(const struct mkey_mapping *m)
{
	char guid[MKEY_GUID_STR_LEN + 1], dev[PATH_MAX], backing[PATH_MAX], size[32];
	const struct mkey_target_status *st = &m->status;

	mkey_guid_format(&m->table.key_guid, guid);
	device_name(m->major, m->minor, dev, sizeof(dev));
	device_name(m->table.major, m->table.minor, backing, sizeof(backing));
	format_size(m->sectors * 512, size, sizeof(size));
	printf("/dev/mapper/%s is active%s%s.\n", m->name,
	       m->read_only ? ", read-only" : "", m->suspended ? ", suspended" : "");
	printf("  device:       %s (%u:%u)\n", dev, m->major, m->minor);
	printf("  dm uuid:      %s\n", m->uuid[0] ? m->uuid : "(none)");
	printf("  backing:      %s (%u:%u)\n", backing, m->table.major, m->table.minor);
	printf("  key GUID:     %s\n", guid);
	if (m->have_status) {
		printf("  cipher:       %s\n", st->cipher);
		printf("  key size:     %u bits\n", st->key_bits);
		printf("  sector size:  %u\n", st->sector_size);
		printf("  label copy:   %s\n", st->label_copy);
	}
	printf("  size:         %" PRIu64 " sectors (%s)\n", m->sectors, size);
	printf("  discards:     %s\n", m->table.allow_discards ? "allowed" : "not passed down");
	printf("  open count:   %d\n", m->open_count);
	printf("  mounted on:   %s\n", m->mount_point[0] ? m->mount_point : "-");
	if (m->have_status)
		printf("  I/O:          %" PRIu64 " reads (%" PRIu64 " sectors), %" PRIu64
		       " writes (%" PRIu64 " sectors), %" PRIu64 " errors\n",
		       st->reads, st->read_sectors, st->writes, st->written_sectors,
		       st->errors);
}

static struct json_object *mapping_json(const struct mkey_mapping *m, bool detail)
{
	char guid[MKEY_GUID_STR_LEN + 1], dev[PATH_MAX], backing[PATH_MAX];
	const struct mkey_target_status *st = &m->status;
	struct json_object *o = json_object_new_object();

	mkey_guid_format(&m->table.key_guid, guid);
	device_name(m->major, m->minor, dev, sizeof(dev));
	device_name(m->table.major, m->table.minor, backing, sizeof(backing));
	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "device", json_object_new_string(dev));
	json_object_object_add(o, "key_guid", json_object_new_string(guid));
	json_object_object_add(o, "sectors", json_object_new_uint64(m->sectors));
	json_object_object_add(o, "open_count", json_object_new_int(m->open_count));
	json_object_object_add(o, "mount_point", m->mount_point[0] ?
			       json_object_new_string(m->mount_point) : NULL);
	if (!detail) {
		json_object_object_add(o, "cipher", m->have_status ?
				       json_object_new_string(st->cipher) : NULL);
		json_object_object_add(o, "key_bits", m->have_status ?
				       json_object_new_int64(st->key_bits) : NULL);
		return o;
	}
	json_object_object_add(o, "dm_uuid", json_object_new_string(m->uuid));
	json_object_object_add(o, "backing_device", json_object_new_string(backing));
	json_object_object_add(o, "read_only", json_object_new_boolean(m->read_only));
	json_object_object_add(o, "suspended", json_object_new_boolean(m->suspended));
	json_object_object_add(o, "allow_discards",
			       json_object_new_boolean(m->table.allow_discards));
	if (m->have_status) {
		struct json_object *io = json_object_new_object();

		json_object_object_add(o, "cipher", json_object_new_string(st->cipher));
		json_object_object_add(o, "key_bits", json_object_new_int64(st->key_bits));
		json_object_object_add(o, "sector_size", json_object_new_int64(st->sector_size));
		json_object_object_add(o, "label_copy", json_object_new_string(st->label_copy));
		json_object_object_add(io, "reads", json_object_new_uint64(st->reads));
		json_object_object_add(io, "writes", json_object_new_uint64(st->writes));
		json_object_object_add(io, "read_sectors", json_object_new_uint64(st->read_sectors));
		json_object_object_add(io, "written_sectors",
				       json_object_new_uint64(st->written_sectors));
		json_object_object_add(io, "errors", json_object_new_uint64(st->errors));
		json_object_object_add(o, "io", io);
	}
	return o;
}

static int parse_json_flag(const struct command *cmd, int argc, char **argv,
			   bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	*json = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		*json = true;
	}
	return EXIT_OK;
}

static int list_error(int err)
{
	report(err, "is the dm_mod module loaded and are you root?",
	       "cannot list device-mapper devices");
	return err == -ENOMEM ? EXIT_SYSTEM : EXIT_KERNEL;
}

static void print_json_list(struct mkey_mapping *list, int n, bool detail)
{
	struct json_object *arr = json_object_new_array(), *o = json_object_new_object();

	for (int i = 0; i < n; i++)
		json_object_array_add(arr, mapping_json(&list[i], detail));
	json_object_object_add(o, "mappings", arr);
	json_print(o);
}

int cmd_status(int argc, char **argv)
{
	const struct command *cmd = command_find("status");
	struct mkey_mapping *list = NULL, one;
	bool json;
	int rc, n, ret;

	rc = parse_json_flag(cmd, argc, argv, &json);
	if (rc != EXIT_OK)
		return rc;
	if (argc - optind > 1)
		return usage_error(cmd, "too many arguments");
	if (argc - optind == 1) {
		const char *name = argv[optind];

		ret = mkey_mapping_get(name, &one);
		if (ret == -ENXIO) {
			error_msg("no mapping named %s (see 'mkey list')", name);
			return EXIT_NOTFOUND;
		}
		if (ret == -EMEDIUMTYPE) {
			error_msg("%s is not a dm-mkey mapping", name);
			return EXIT_NOTFOUND;
		}
		if (ret < 0)
			return list_error(ret);
		if (json)
			json_print(mapping_json(&one, true));
		else
			print_one(&one);
		return EXIT_OK;
	}
	n = mkey_mapping_list(&list);
	if (n < 0)
		return list_error(n);
	if (json) {
		print_json_list(list, n, true);
	} else if (n == 0) {
		printf("No dm-mkey mappings.\n");
	} else {
		for (int i = 0; i < n; i++) {
			if (i)
				putchar('\n');
			print_one(&list[i]);
		}
	}
	free(list);
	return EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
	const struct command *cmd = command_find("list");
	struct mkey_mapping *list = NULL;
	bool json;
	int rc, n;

	rc = parse_json_flag(cmd, argc, argv, &json);
	if (rc != EXIT_OK)
		return rc;
	if (argc != optind)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	n = mkey_mapping_list(&list);
	if (n < 0)
		return list_error(n);
	if (json)
		print_json_list(list, n, false);
	for (int i = 0; !json && i < n; i++) {
		char guid[MKEY_GUID_STR_LEN + 1], size[32], cipher[64];

		mkey_guid_format(&list[i].table.key_guid, guid);
		format_size(list[i].sectors * 512, size, sizeof(size));
		/* One word per field ("1.0GiB"), so that scripts can split lines. */
		char *space = strchr(size, ' ');

		if (space)
			memmove(space, space + 1, strlen(space));
		if (list[i].have_status)
			snprintf(cipher, sizeof(cipher), "%s/%u", list[i].status.cipher,
				 list[i].status.key_bits);
		else
			snprintf(cipher, sizeof(cipher), "-");
		printf("%s %s %s %s open=%d %s\n", list[i].name, guid, cipher, size,
		       list[i].open_count,
		       list[i].mount_point[0] ? list[i].mount_point : "-");
	}
	free(list);
	return EXIT_OK;
}
