// SPDX-License-Identifier: GPL-2.0
/* mkey activate / active / deactivate: data keys in the kernel keyring. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "label-print.h"
#include "mkey/error.h"
#include "mkey/keyring.h"
#include "mkey/label.h"
#include "mkey/secmem.h"
#include "mkey/volume.h"


static int keyring_error(int err, const char *what, const char *guid)
{
	if (err == -ENOPKG) {
		error_msg("dm-mkey module is not loaded (no %s); run 'modprobe dm-mkey'",
			  MKEY_KEYRING_PARAM);
		return EXIT_KERNEL;
	}
	return report(err, NULL, "cannot %s key %s", what, guid);
}

int cmd_activate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raw-key", required_argument, NULL, 'k' },
		{ "guid", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("activate");
	char text[MKEY_GUID_STR_LEN + 1];
	struct key_options ko = { 0 };
	struct mkey_secbuf *key = NULL;
	struct mkey_guid guid;
	bool have_guid = false;
	key_serial_t serial = 0;
	int c, idx, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		switch (c) {
		case 'k':
			key_option_take(&ko, opts[idx].name, optarg);
			break;
		case 'g':
			if (!parse_guid_arg(cmd, "--guid", optarg, &guid))
				return EXIT_USAGE;
			have_guid = true;
			break;
		case ':':
			return usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		default:
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!key_options_check(cmd, &ko))
		return EXIT_USAGE;
	if (!have_guid)
		return usage_error(cmd, "missing --guid GUID");
	mkey_guid_format(&guid, text);

	mkey_error_clear();
	ret = mkey_key_source_load(&ko.src, &guid, &key);
	if (ret < 0)
		return key_load_error(&ko, ret);
	ret = mkey_key_add(&guid, key->data, key->len, &serial);
	c = (int)mkey_key_bits_for_len(key->len);
	mkey_secbuf_free(key);
	if (ret == -EEXIST) {
		printf("Key %s is already active (serial %d); left unchanged.\n",
		       text, serial);
		return EXIT_OK;
	}
	if (ret < 0)
		return keyring_error(ret, "activate", text);
	printf("Activated key %s (AES-%d, serial %d).\n", text, c, serial);
	return EXIT_OK;
}

static bool parse_json_only(const struct command *cmd, int argc, char **argv,
			    bool *json, int *rc)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	*json = false;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j') {
			*rc = usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
			return false;
		}
		*json = true;
	}
	return true;
}

int cmd_active(int argc, char **argv)
{
	const struct command *cmd = command_find("active");
	struct mkey_active_key *keys = NULL;
	struct json_object *arr;
	bool json;
	int n, rc;

	if (!parse_json_only(cmd, argc, argv, &json, &rc))
		return rc;
	if (optind != argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	n = mkey_key_list(&keys);
	if (n < 0)
		return keyring_error(n, "list", "keys");
	arr = json ? json_object_new_array() : NULL;
	for (int i = 0; i < n; i++) {
		char text[MKEY_GUID_STR_LEN + 1];
		int bits = keys[i].payload_bytes > 0 ?
			(int)mkey_key_bits_for_len((size_t)keys[i].payload_bytes) : 0;

		mkey_guid_format(&keys[i].guid, text);
		if (json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "guid", json_object_new_string(text));
			json_object_object_add(o, "serial", json_object_new_int(keys[i].serial));
			json_object_object_add(o, "key_bits", bits ? json_object_new_int(bits) : NULL);
			json_object_array_add(arr, o);
		} else if (bits) {
			printf("%s AES-%d\n", text, bits);
		} else {
			printf("%s\n", text);
		}
	}
	free(keys);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "keys", arr);
		json_print(o);
	}
	return EXIT_OK;
}

int cmd_deactivate(int argc, char **argv)
{
	const struct command *cmd = command_find("deactivate");
	char text[MKEY_GUID_STR_LEN + 1];
	struct mkey_guid guid;
	int closed = 0, ret;

	if (argc != 2)
		return usage_error(cmd, argc < 2 ? "missing GUID" : "too many arguments");
	if (argv[1][0] == '-')
		return usage_error(cmd, "unknown option '%s'", argv[1]);
	if (!parse_guid_arg(cmd, "GUID", argv[1], &guid))
		return EXIT_USAGE;
	mkey_guid_format(&guid, text);

	ret = mkey_volume_deactivate_key(&guid, &closed);
	if (closed)
		printf("Closed %d volume%s that used key %s.\n", closed,
		       closed == 1 ? "" : "s", text);
	if (ret == -EBUSY) {
		error_msg("not deactivating key %s: %s", text, mkey_error_detail());
		error_msg("unmount those volumes (or stop what holds them), then "
			  "run 'mkey deactivate %s' again", text);
		return EXIT_BUSY;
	}
	if (ret == -ENOKEY) {
		error_msg("key %s is not active (see 'mkey active')", text);
		return EXIT_NOTFOUND;
	}
	if (ret == -ENOPKG)
		return keyring_error(ret, "deactivate", text);
	if (ret < 0)
		return report(ret, NULL, "cannot deactivate key %s", text);
	printf("Deactivated key %s.\n", text);
	return EXIT_OK;
}
