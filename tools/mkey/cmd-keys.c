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
#include "mkey/keyfile.h"
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
	if (!guid)
		return report(err, NULL, "cannot %s keys", what);
	return report(err, NULL, "cannot %s key %s", what, guid);
}

static int activate_keyfile(const char *path, const struct auth_options *ao)
{
	struct mkey_keyfile_activation *res = NULL;
	struct mkey_keyfile *kf = NULL;
	key_serial_t ring;
	int rc, n, ret, added = 0, already = 0, failed = 0, first_err = 0;

	/* No password is asked for when the kernel could not take the keys. */
	ret = mkey_keyring_serial(&ring);
	if (ret < 0)
		return keyring_error(ret, "activate", NULL);
	rc = keyfile_open_for_use(path, ao, &kf);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	n = mkey_keyfile_activate(kf, &res);
	if (n < 0) {
		mkey_keyfile_free(kf);
		if (n == -ENOPKG)
			return keyring_error(n, "activate", NULL);
		return report(n, NULL, "cannot activate the keys of %s", path);
	}
	for (int i = 0; i < n; i++) {
		char text[MKEY_GUID_STR_LEN + 1];

		mkey_guid_format(&res[i].guid, text);
		if (res[i].result == 0) {
			printf("Activated key %s (AES-%u).\n", text, res[i].bits);
			added++;
		} else if (res[i].result == -EEXIST) {
			printf("Key %s (AES-%u) is already active.\n", text, res[i].bits);
			already++;
		} else {
			error_msg("cannot activate key %s: %s", text,
				  mkey_strerror(res[i].result));
			if (!first_err)
				first_err = res[i].result;
			failed++;
		}
	}
	printf("%s: %d of %d key%s active (%d activated now, %d already active).\n",
	       path, added + already, n, n == 1 ? "" : "s", added, already);
	free(res);
	mkey_keyfile_free(kf);
	return failed ? exit_code_for(first_err) : EXIT_OK;
}

int cmd_activate(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS,
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "raw-key", required_argument, NULL, 'k' },
		{ "guid", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("activate");
	char text[MKEY_GUID_STR_LEN + 1];
	struct auth_options ao = { 0 };
	struct key_options ko = { 0 };
	struct mkey_secbuf *key = NULL;
	struct mkey_guid guid;
	const char *key_file = NULL;
	bool have_guid = false;
	key_serial_t serial = 0;
	int c, idx, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (auth_option(&ao, c, optarg))
			continue;
		switch (c) {
		case OPT_KEY_FILE:
			key_file = optarg;
			break;
		case 'k':
			key_option_take(&ko, opts[idx].name, optarg);
			break;
		case 'g':
			if (!parse_guid_arg(cmd, "--guid", optarg, &guid))
				return EXIT_USAGE;
			have_guid = true;
			break;
		default:
			return getopt_error(cmd, c, argv);
		}
	}
	if (optind != argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (key_file) {
		if (ko.count || have_guid)
			return usage_error(cmd, "--key-file activates every key of the "
					   "file; it does not go with --raw-key or --guid");
		return activate_keyfile(key_file, &ao);
	}
	if (ao.admin || ao.password_file)
		return usage_error(cmd, "--admin and --password-file go with --key-file");
	if (ko.count == 0)
		return usage_error(cmd, "no key given: use --key-file FILE, or --raw-key "
				   "FILE (- for stdin) with --guid GUID");
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
		return keyring_error(n, "list", NULL);
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
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "all", no_argument, NULL, OPT_ALL },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("deactivate");
	char text[MKEY_GUID_STR_LEN + 1], what[300];
	struct mkey_active_key *act = NULL;
	struct mkey_keyfile *kf = NULL;
	struct mkey_guid *guids = NULL;
	const char *key_file = NULL;
	bool all = false;
	int c, n = 0, closed = 0, removed = 0, ret, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_KEY_FILE)
			key_file = optarg;
		else if (c == OPT_ALL)
			all = true;
		else if (c == ':')
			return usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		else
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	if ((key_file != NULL) + all + (optind < argc) != 1)
		return usage_error(cmd, "name the keys: GUID..., --key-file FILE or --all");

	if (key_file) {
		rc = keyfile_load(key_file, &kf);
		if (rc != EXIT_OK)
			return rc;
		n = mkey_keyfile_key_count(kf);
		guids = calloc((size_t)n, sizeof(*guids));
		for (int i = 0; guids && i < n; i++)
			guids[i] = mkey_keyfile_key_at(kf, i)->guid;
		mkey_keyfile_free(kf);
		snprintf(what, sizeof(what), "the keys of %s", key_file);
	} else if (all) {
		n = mkey_key_list(&act);
		if (n < 0)
			return keyring_error(n, "list", NULL);
		guids = calloc((size_t)(n ? n : 1), sizeof(*guids));
		for (int i = 0; guids && i < n; i++)
			guids[i] = act[i].guid;
		free(act);
		snprintf(what, sizeof(what), "all active keys");
	} else {
		n = argc - optind;
		guids = calloc((size_t)n, sizeof(*guids));
		for (int i = 0; guids && i < n; i++) {
			if (!parse_guid_arg(cmd, "GUID", argv[optind + i], &guids[i])) {
				free(guids);
				return EXIT_USAGE;
			}
		}
		mkey_guid_format(&guids[0], text);
		snprintf(what, sizeof(what), n == 1 ? "key %s" : "the keys named", text);
	}
	if (!guids)
		return report(-ENOMEM, NULL, "cannot deactivate %s", what);
	if (n == 0) {
		printf("No key is active.\n");
		free(guids);
		return EXIT_OK;
	}

	ret = mkey_volume_deactivate_keys(guids, n, &closed, &removed);
	free(guids);
	if (ret == -ENOKEY && (key_file || all))
		ret = 0;	/* the file's only key was not active: nothing to do */
	if (closed)
		printf("Closed %d volume%s.\n", closed, closed == 1 ? "" : "s");
	if (ret == -EBUSY) {
		error_msg("not deactivating %s: %s", what, mkey_error_detail());
		error_msg("unmount those volumes (or stop what holds them), then "
			  "deactivate again");
		return EXIT_BUSY;
	}
	if (ret == -ENOKEY) {
		error_msg("key %s is not active (see 'mkey active')", text);
		return EXIT_NOTFOUND;
	}
	if (ret == -ENOPKG)
		return keyring_error(ret, "deactivate", what);
	if (ret < 0)
		return report(ret, NULL, "cannot deactivate %s", what);
	if (n == 1 && !key_file && !all)
		printf("Deactivated key %s.\n", text);
	else
		printf("Deactivated %d key%s (%s).\n", removed, removed == 1 ? "" : "s", what);
	return EXIT_OK;
}
