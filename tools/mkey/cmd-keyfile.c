// SPDX-License-Identifier: GPL-2.0
/*
 * Key file commands: keyfile-create, keyfile-show, keyfile-backup,
 * key-add, key-import, key-delete, key-default, admin-add, admin-remove,
 * admin-passwd. Each reads what it needs, checks what it can before
 * anyone types a password, then unlocks, changes and commits.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "label-print.h"
#include "mkey/error.h"
#include "mkey/kdf.h"
#include "mkey/keyfile.h"
#include "mkey/keyring.h"
#include "mkey/volume.h"

struct kf_args {
	struct auth_options auth;
	const char *new_password_file;
	struct mkey_kdf_request kdf;
	const char *description;
	uint32_t bits;
	bool set_default, yes, force, json;
	const char *raw_key;
	struct mkey_guid guid;
	bool have_guid;
	const char *pos[3];
	int npos;
};

/* Parses options and @min..@max positional arguments named in @names. */
static int parse(const struct command *cmd, int argc, char **argv,
		 const struct option *opts, int min, int max, const char *names,
		 struct kf_args *a)
{
	int c, rc;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (auth_option(&a->auth, c, optarg))
			continue;
		rc = kdf_option(cmd, &a->kdf, c, optarg);
		if (rc == EXIT_OK)
			continue;
		if (rc != -1)
			return rc;
		switch (c) {
		case OPT_NEW_PASSWORD_FILE:
			a->new_password_file = optarg;
			break;
		case OPT_DESCRIPTION:
			if (mkey_key_description_check(optarg) < 0)
				return usage_error(cmd, "--description: %s", mkey_error_detail());
			a->description = optarg;
			break;
		case OPT_BITS:
			if (!parse_key_bits(cmd, optarg, &a->bits))
				return EXIT_USAGE;
			break;
		case OPT_DEFAULT:
			a->set_default = true;
			break;
		case OPT_YES:
			a->yes = true;
			break;
		case OPT_FORCE:
			a->force = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_RAW_KEY:
			a->raw_key = optarg;
			break;
		case OPT_GUID:
			if (!parse_guid_arg(cmd, "--guid", optarg, &a->guid))
				return EXIT_USAGE;
			a->have_guid = true;
			break;
		default:
			return getopt_error(cmd, c, argv);
		}
	}
	rc = take_positionals(cmd, argc, argv, min, max, names, a->pos, &a->npos);
	if (rc != EXIT_OK)
		return rc;
	if (a->auth.password_file && a->new_password_file &&
	    !strcmp(a->auth.password_file, "-") && !strcmp(a->new_password_file, "-"))
		return usage_error(cmd, "--password-file and --new-password-file cannot "
				   "both read standard input");
	return EXIT_OK;
}

static void guid_text(const struct mkey_guid *g, char out[MKEY_GUID_STR_LEN + 1])
{
	mkey_guid_format(g, out);
}

/* ---------------------------------------------------------------- keyfile-create */

int cmd_keyfile_create(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS, KDF_LONG_OPTIONS,
		{ "bits", required_argument, NULL, OPT_BITS },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("keyfile-create");
	struct mkey_keyfile *kf = NULL;
	struct mkey_kdf_params kdf;
	struct mkey_secbuf *pw = NULL;
	struct kf_args a;
	char name[MKEY_ADMIN_NAME_MAX + 1], prompt[256], what[128], text[128];
	char guid[MKEY_GUID_STR_LEN + 1], id[MKEY_GUID_STR_LEN + 1];
	const char *path;
	int rc, ret;

	rc = parse(cmd, argc, argv, opts, 1, 1, "FILE", &a);
	if (rc != EXIT_OK)
		return rc;
	path = a.pos[0];
	if (!a.auth.admin)
		return usage_error(cmd, "missing --admin NAME (the first administrator)");
	if (mkey_admin_name_normalize(a.auth.admin, name) < 0)
		return usage_error(cmd, "--admin '%s': %s", a.auth.admin, mkey_error_detail());
	if (access(path, F_OK) == 0) {
		error_msg("%s already exists; mkey never overwrites a key file", path);
		return EXIT_BUSY;
	}
	rc = kdf_choose(&a.kdf, &kdf);
	if (rc != EXIT_OK)
		return rc;
	snprintf(prompt, sizeof(prompt), "New password of %s for %s: ", name, path);
	snprintf(what, sizeof(what), "the password of %s", name);
	rc = password_get(a.auth.password_file, "--password-file", prompt, true, what, &pw);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = mkey_keyfile_new(name, pw->data, pw->len, &kdf, a.bits ? a.bits : 256,
			       a.description ? a.description : "", &kf);
	mkey_secbuf_free(pw);
	if (ret < 0)
		return report(ret, NULL, "cannot create a key file");
	mkey_error_clear();
	ret = mkey_keyfile_create(kf, path);
	if (ret < 0) {
		mkey_keyfile_free(kf);
		if (ret == -EEXIST) {
			error_msg("%s already exists; mkey never overwrites a key file", path);
			return EXIT_BUSY;
		}
		return report(ret, NULL, "cannot create %s", path);
	}
	guid_text(mkey_keyfile_default_key(kf), guid);
	guid_text(mkey_keyfile_id(kf), id);
	mkey_kdf_describe(&kdf, text, sizeof(text));
	printf("Created key file %s (file id %s).\n", path, id);
	printf("  administrator: %s (%s)\n", name, text);
	printf("  key:           %s AES-%u (default)\n", guid,
	       mkey_keyfile_key_at(kf, 0)->bits);
	mkey_keyfile_free(kf);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- keyfile-show */

static bool key_active(const struct mkey_active_key *act, int n, const struct mkey_guid *g)
{
	for (int i = 0; i < n; i++)
		if (mkey_guid_equal(&act[i].guid, g))
			return true;
	return false;
}

static struct json_object *time_json(int64_t t)
{
	char text[32];

	kf_time_text(t, text, sizeof(text));
	return json_object_new_string(text);
}

static struct json_object *kdf_json(const struct mkey_kdf_params *k)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(mkey_kdf_type_name(k->type)));
	if (k->type == MKEY_KDF_ARGON2ID) {
		json_object_object_add(o, "passes", json_object_new_int64(k->passes));
		json_object_object_add(o, "memory_kib", json_object_new_int64(k->memory_kib));
		json_object_object_add(o, "parallelism", json_object_new_int64(k->parallelism));
	} else {
		json_object_object_add(o, "iterations", json_object_new_int64(k->iterations));
	}
	return o;
}

static void show_json(const struct mkey_keyfile *kf, const struct mkey_active_key *act,
		      int n_act)
{
	struct json_object *o = json_object_new_object(), *admins, *keys;
	char text[64];

	json_object_object_add(o, "file", json_object_new_string(mkey_keyfile_path(kf)));
	guid_text(mkey_keyfile_id(kf), text);
	json_object_object_add(o, "file_id", json_object_new_string(text));
	json_object_object_add(o, "version", json_object_new_int(MKEY_KEYFILE_VERSION));
	json_object_object_add(o, "created", time_json(mkey_keyfile_created(kf)));
	guid_text(mkey_keyfile_default_key(kf), text);
	json_object_object_add(o, "default_key", json_object_new_string(text));
	admins = json_object_new_array();
	for (int i = 0; i < mkey_keyfile_admin_count(kf); i++) {
		const struct mkey_keyfile_admin *ad = mkey_keyfile_admin_at(kf, i);
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "name", json_object_new_string(ad->name));
		json_object_object_add(e, "created", time_json(ad->created));
		json_object_object_add(e, "kdf", kdf_json(&ad->kdf));
		json_object_array_add(admins, e);
	}
	json_object_object_add(o, "admins", admins);
	keys = json_object_new_array();
	for (int i = 0; i < mkey_keyfile_key_count(kf); i++) {
		const struct mkey_keyfile_key *k = mkey_keyfile_key_at(kf, i);
		struct json_object *e = json_object_new_object();

		guid_text(&k->guid, text);
		json_object_object_add(e, "guid", json_object_new_string(text));
		json_object_object_add(e, "bits", json_object_new_int64(k->bits));
		json_object_object_add(e, "description", json_object_new_string(k->description));
		json_object_object_add(e, "created", time_json(k->created));
		json_object_object_add(e, "default", json_object_new_boolean(
			mkey_guid_equal(&k->guid, mkey_keyfile_default_key(kf))));
		json_object_object_add(e, "active", n_act < 0 ? NULL :
				       json_object_new_boolean(key_active(act, n_act, &k->guid)));
		json_object_array_add(keys, e);
	}
	json_object_object_add(o, "keys", keys);
	json_print(o);
}

static void show_text(const struct mkey_keyfile *kf, const struct mkey_active_key *act,
		      int n_act)
{
	char text[128], when[64];

	printf("Key file:       %s\n", mkey_keyfile_path(kf));
	guid_text(mkey_keyfile_id(kf), text);
	printf("File ID:        %s\n", text);
	printf("Format version: %d\n", MKEY_KEYFILE_VERSION);
	format_time(mkey_keyfile_created(kf), when, sizeof(when));
	printf("Created:        %s\n", when);
	printf("Administrators: %d\n", mkey_keyfile_admin_count(kf));
	for (int i = 0; i < mkey_keyfile_admin_count(kf); i++) {
		const struct mkey_keyfile_admin *ad = mkey_keyfile_admin_at(kf, i);

		mkey_kdf_describe(&ad->kdf, text, sizeof(text));
		format_time(ad->created, when, sizeof(when));
		printf("  %-16s %s; since %s\n", ad->name, text, when);
	}
	printf("Keys:           %d (* default key%s)\n", mkey_keyfile_key_count(kf),
	       n_act < 0 ? "; dm-mkey not loaded, activity unknown" : "");
	for (int i = 0; i < mkey_keyfile_key_count(kf); i++) {
		const struct mkey_keyfile_key *k = mkey_keyfile_key_at(kf, i);
		bool def = mkey_guid_equal(&k->guid, mkey_keyfile_default_key(kf));

		guid_text(&k->guid, text);
		format_time(k->created, when, sizeof(when));
		printf("%c %s AES-%u %-8s %s%s%s%s\n", def ? '*' : ' ', text, k->bits,
		       n_act < 0 ? "" : key_active(act, n_act, &k->guid) ? "active" :
		       "inactive", when, k->description[0] ? " \"" : "", k->description,
		       k->description[0] ? "\"" : "");
	}
}

int cmd_keyfile_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("keyfile-show");
	struct mkey_active_key *act = NULL;
	struct mkey_keyfile *kf = NULL;
	struct kf_args a;
	int rc, n_act;

	rc = parse(cmd, argc, argv, opts, 1, 1, "FILE", &a);
	if (rc != EXIT_OK)
		return rc;
	rc = keyfile_load(a.pos[0], &kf);
	if (rc != EXIT_OK)
		return rc;
	n_act = mkey_key_list(&act);
	if (a.json)
		show_json(kf, act, n_act);
	else
		show_text(kf, act, n_act);
	free(act);
	mkey_keyfile_free(kf);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- keyfile-backup */

int cmd_keyfile_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("keyfile-backup");
	struct kf_args a;
	int rc, ret;

	rc = parse(cmd, argc, argv, opts, 2, 2, "FILE and DEST", &a);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = mkey_keyfile_backup(a.pos[0], a.pos[1], a.force);
	if (ret == -EEXIST) {
		error_msg("%s already exists; use --force to replace it", a.pos[1]);
		return EXIT_BUSY;
	}
	if (ret == -EIO && strstr(mkey_error_detail(), "read back")) {
		error_msg("backup %s is damaged: %s; do not rely on it", a.pos[1],
			  mkey_error_detail());
		return EXIT_SYSTEM;
	}
	if (ret < 0 && (ret == -EBADMSG || ret == -EPROTONOSUPPORT || ret == -EFBIG ||
			ret == -ENOENT))
		return keyfile_error(a.pos[0], ret);
	if (ret < 0)
		return report(ret, NULL, "cannot back up %s to %s", a.pos[0], a.pos[1]);
	printf("Backed up %s to %s (read back and verified).\n", a.pos[0], a.pos[1]);
	return EXIT_OK;
}

/* ---------------------------------------------------------------- keys */

int cmd_key_add(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS,
		{ "bits", required_argument, NULL, OPT_BITS },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "default", no_argument, NULL, OPT_DEFAULT },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("key-add");
	struct mkey_keyfile *kf = NULL;
	struct mkey_guid g;
	struct kf_args a;
	char text[MKEY_GUID_STR_LEN + 1];
	int rc, ret;

	rc = parse(cmd, argc, argv, opts, 1, 1, "FILE", &a);
	if (rc != EXIT_OK)
		return rc;
	rc = keyfile_open_for_change(a.pos[0], &a.auth, &kf);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = mkey_keyfile_key_add(kf, a.bits ? a.bits : 256, a.description, NULL, 0,
				   NULL, &g);
	if (!ret && a.set_default)
		ret = mkey_keyfile_set_default(kf, &g);
	rc = keyfile_finish_change(kf, ret, "cannot add a key to %s", a.pos[0]);
	if (rc == EXIT_OK) {
		guid_text(&g, text);
		printf("Added key %s (AES-%u) to %s%s.\n", text, a.bits ? a.bits : 256,
		       a.pos[0], a.set_default ? " as the default key" : "");
	}
	mkey_keyfile_free(kf);
	return rc;
}

int cmd_key_import(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS,
		{ "raw-key", required_argument, NULL, OPT_RAW_KEY },
		{ "guid", required_argument, NULL, OPT_GUID },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "default", no_argument, NULL, OPT_DEFAULT },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("key-import");
	struct key_options ko = { 0 };
	struct mkey_keyfile *kf = NULL, *probe = NULL;
	struct mkey_secbuf *raw = NULL;
	struct mkey_guid g;
	struct kf_args a;
	char text[MKEY_GUID_STR_LEN + 1];
	int rc, ret;

	rc = parse(cmd, argc, argv, opts, 1, 1, "FILE", &a);
	if (rc != EXIT_OK)
		return rc;
	if (!a.raw_key)
		return usage_error(cmd, "missing --raw-key FILE|- (the key to import)");
	if (a.auth.password_file && !strcmp(a.auth.password_file, "-") &&
	    !strcmp(a.raw_key, "-"))
		return usage_error(cmd, "--raw-key and --password-file cannot both read "
				   "standard input");
	/* Refuse a GUID that is already there before asking for anything. */
	if (a.have_guid) {
		rc = keyfile_load(a.pos[0], &probe);
		if (rc != EXIT_OK)
			return rc;
		ret = mkey_keyfile_key_find(probe, &a.guid);
		mkey_keyfile_free(probe);
		if (ret >= 0) {
			guid_text(&a.guid, text);
			error_msg("%s already holds key %s", a.pos[0], text);
			return EXIT_BUSY;
		}
	}
	ko.src.kind = MKEY_KEY_SOURCE_RAW;
	ko.src.location = a.raw_key;
	mkey_error_clear();
	ret = mkey_key_source_load(&ko.src, &a.guid, &raw);
	if (ret < 0)
		return key_load_error(&ko, ret);
	rc = keyfile_open_for_change(a.pos[0], &a.auth, &kf);
	if (rc != EXIT_OK) {
		mkey_secbuf_free(raw);
		return rc;
	}
	mkey_error_clear();
	ret = mkey_keyfile_key_add(kf, 0, a.description, raw->data, raw->len,
				   a.have_guid ? &a.guid : NULL, &g);
	mkey_secbuf_free(raw);
	if (!ret && a.set_default)
		ret = mkey_keyfile_set_default(kf, &g);
	rc = keyfile_finish_change(kf, ret, "cannot import the key into %s", a.pos[0]);
	if (rc == EXIT_OK) {
		guid_text(&g, text);
		printf("Imported key %s (AES-%u) into %s%s.\n", text,
		       mkey_keyfile_key_at(kf, mkey_keyfile_key_find(kf, &g))->bits,
		       a.pos[0], a.set_default ? " as the default key" : "");
	}
	mkey_keyfile_free(kf);
	return rc;
}

/* Refuses (exit 3) when a mapping uses @g; exit code. */
static int check_key_unused(const struct mkey_guid *g, const char *text)
{
	char users[4096];
	int n;

	mkey_error_clear();
	n = mkey_volume_key_users(g, users, sizeof(users));
	if (n < 0)
		return report(n, NULL, "cannot check which volumes use key %s", text);
	if (n > 0) {
		error_msg("key %s is used by open volumes: %s; close them first "
			  "('mkey close NAME')", text, users);
		return EXIT_BUSY;
	}
	return EXIT_OK;
}

static int confirm_delete(const char *path, const char *text, const char *desc)
{
	char question[512];

	snprintf(question, sizeof(question),
		 "Delete key %s%s%s%s from %s?\nEvery volume formatted with it becomes "
		 "unreadable unless a backup holds the key.\nType 'yes' to delete: ",
		 text, desc[0] ? " (\"" : "", desc, desc[0] ? "\")" : "", path);
	return confirm_yes(question, "deletion", "deleted", text);
}

int cmd_key_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS,
		{ "yes", no_argument, NULL, OPT_YES },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("key-delete");
	struct mkey_keyfile *kf = NULL;
	struct mkey_guid g;
	struct kf_args a;
	char text[MKEY_GUID_STR_LEN + 1], desc[MKEY_KEY_DESC_MAX + 1];
	int rc, ret, idx;

	rc = parse(cmd, argc, argv, opts, 2, 2, "FILE and GUID", &a);
	if (rc != EXIT_OK)
		return rc;
	if (!parse_guid_arg(cmd, "GUID", a.pos[1], &g))
		return EXIT_USAGE;
	guid_text(&g, text);
	/* Everything that can be refused is refused before the password prompt. */
	rc = keyfile_load(a.pos[0], &kf);
	if (rc != EXIT_OK)
		return rc;
	idx = mkey_keyfile_key_find(kf, &g);
	if (idx < 0) {
		error_msg("%s holds no key %s (see 'mkey keyfile-show %s')", a.pos[0],
			  text, a.pos[0]);
		mkey_keyfile_free(kf);
		return EXIT_NOTFOUND;
	}
	snprintf(desc, sizeof(desc), "%s", mkey_keyfile_key_at(kf, idx)->description);
	if (mkey_guid_equal(&g, mkey_keyfile_default_key(kf))) {
		error_msg("key %s is the default key of %s; make another key the "
			  "default first ('mkey key-default %s GUID')", text, a.pos[0],
			  a.pos[0]);
		mkey_keyfile_free(kf);
		return EXIT_BUSY;
	}
	mkey_keyfile_free(kf);
	kf = NULL;
	rc = check_key_unused(&g, text);
	if (rc == EXIT_OK && !a.yes)
		rc = confirm_delete(a.pos[0], text, desc);
	if (rc == EXIT_OK)
		rc = keyfile_open_for_change(a.pos[0], &a.auth, &kf);
	if (rc != EXIT_OK)
		return rc;
	/* Again under the lock, right before the change. */
	rc = check_key_unused(&g, text);
	if (rc == EXIT_OK) {
		mkey_error_clear();
		ret = mkey_keyfile_key_delete(kf, &g);
		rc = keyfile_finish_change(kf, ret, "cannot delete key %s", text);
	}
	if (rc == EXIT_OK)
		printf("Deleted key %s from %s.\n", text, a.pos[0]);
	mkey_keyfile_free(kf);
	return rc;
}

int cmd_key_default(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("key-default");
	struct mkey_keyfile *kf = NULL;
	struct mkey_guid g;
	struct kf_args a;
	char text[MKEY_GUID_STR_LEN + 1];
	int rc, ret;

	rc = parse(cmd, argc, argv, opts, 2, 2, "FILE and GUID", &a);
	if (rc != EXIT_OK)
		return rc;
	if (!parse_guid_arg(cmd, "GUID", a.pos[1], &g))
		return EXIT_USAGE;
	guid_text(&g, text);
	rc = keyfile_load(a.pos[0], &kf);
	if (rc != EXIT_OK)
		return rc;
	ret = mkey_keyfile_key_find(kf, &g);
	mkey_keyfile_free(kf);
	kf = NULL;
	if (ret < 0) {
		error_msg("%s holds no key %s (see 'mkey keyfile-show %s')", a.pos[0],
			  text, a.pos[0]);
		return EXIT_NOTFOUND;
	}
	rc = keyfile_open_for_change(a.pos[0], &a.auth, &kf);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = mkey_keyfile_set_default(kf, &g);
	rc = keyfile_finish_change(kf, ret, "cannot change the default key of %s", a.pos[0]);
	if (rc == EXIT_OK)
		printf("Key %s is now the default key of %s.\n", text, a.pos[0]);
	mkey_keyfile_free(kf);
	return rc;
}

/* ---------------------------------------------------------------- administrators */

static int new_password(const struct kf_args *a, const char *name, const char *path,
			struct mkey_secbuf **pw)
{
	char prompt[256], what[128];

	snprintf(prompt, sizeof(prompt), "New password of %s for %s: ", name, path);
	snprintf(what, sizeof(what), "the new password of %s", name);
	return password_get(a->new_password_file, "--new-password-file", prompt, true,
			    what, pw);
}

/*
 * Normalizes the NAME argument @arg into @name and looks it up in @path
 * before anyone is asked for a password, so that a typo fails at once:
 * @index is its slot (negative if absent), @count how many there are.
 */
static int admin_lookup(const struct command *cmd, const char *path, const char *arg,
			char name[MKEY_ADMIN_NAME_MAX + 1], int *index, int *count)
{
	struct mkey_keyfile *kf;
	int rc;

	if (mkey_admin_name_normalize(arg, name) < 0)
		return usage_error(cmd, "NAME '%s': %s", arg, mkey_error_detail());
	rc = keyfile_load(path, &kf);
	if (rc != EXIT_OK)
		return rc;
	*index = mkey_keyfile_admin_find(kf, name);
	*count = mkey_keyfile_admin_count(kf);
	mkey_keyfile_free(kf);
	return EXIT_OK;
}

int cmd_admin_add(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS, KDF_LONG_OPTIONS,
		{ "new-password-file", required_argument, NULL, OPT_NEW_PASSWORD_FILE },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("admin-add");
	struct mkey_keyfile *kf = NULL;
	struct mkey_kdf_params kdf;
	struct mkey_secbuf *pw = NULL;
	struct kf_args a;
	char name[MKEY_ADMIN_NAME_MAX + 1];
	int rc, ret, n;

	rc = parse(cmd, argc, argv, opts, 2, 2, "FILE and NAME", &a);
	if (rc == EXIT_OK)
		rc = admin_lookup(cmd, a.pos[0], a.pos[1], name, &ret, &n);
	if (rc != EXIT_OK)
		return rc;
	if (ret >= 0) {
		error_msg("%s already has an administrator %s", a.pos[0], name);
		return EXIT_BUSY;
	}
	/* Who authorizes it first, then the newcomer's password. */
	rc = keyfile_open_for_change(a.pos[0], &a.auth, &kf);
	if (rc != EXIT_OK)
		return rc;
	rc = kdf_choose(&a.kdf, &kdf);
	if (rc == EXIT_OK)
		rc = new_password(&a, name, a.pos[0], &pw);
	if (rc == EXIT_OK) {
		mkey_error_clear();
		ret = mkey_keyfile_admin_add(kf, name, pw->data, pw->len, &kdf);
		rc = keyfile_finish_change(kf, ret, "cannot add administrator %s", name);
	}
	if (rc == EXIT_OK)
		printf("Added administrator %s to %s (authorized by %s).\n", name,
		       a.pos[0], mkey_keyfile_unlocked_by(kf));
	mkey_secbuf_free(pw);
	mkey_keyfile_free(kf);
	return rc;
}

int cmd_admin_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("admin-remove");
	struct mkey_keyfile *kf = NULL;
	struct kf_args a;
	char name[MKEY_ADMIN_NAME_MAX + 1];
	int rc, ret, n;

	rc = parse(cmd, argc, argv, opts, 2, 2, "FILE and NAME", &a);
	if (rc == EXIT_OK)
		rc = admin_lookup(cmd, a.pos[0], a.pos[1], name, &ret, &n);
	if (rc != EXIT_OK)
		return rc;
	if (ret < 0) {
		error_msg("%s has no administrator %s", a.pos[0], name);
		return EXIT_NOTFOUND;
	}
	if (n == 1) {
		error_msg("%s is the last administrator of %s; add another one first "
			  "('mkey admin-add %s NAME')", name, a.pos[0], a.pos[0]);
		return EXIT_BUSY;
	}
	rc = keyfile_open_for_change(a.pos[0], &a.auth, &kf);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = mkey_keyfile_admin_remove(kf, name);
	rc = keyfile_finish_change(kf, ret, "cannot remove administrator %s", name);
	if (rc == EXIT_OK)
		printf("Removed administrator %s from %s.\n", name, a.pos[0]);
	mkey_keyfile_free(kf);
	return rc;
}

int cmd_admin_passwd(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS, KDF_LONG_OPTIONS,
		{ "new-password-file", required_argument, NULL, OPT_NEW_PASSWORD_FILE },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("admin-passwd");
	struct mkey_keyfile *kf = NULL;
	struct mkey_kdf_params kdf;
	struct mkey_secbuf *pw = NULL;
	struct kf_args a;
	char name[MKEY_ADMIN_NAME_MAX + 1];
	int rc, ret;

	rc = parse(cmd, argc, argv, opts, 1, 1, "FILE", &a);
	if (rc != EXIT_OK)
		return rc;
	rc = keyfile_open_for_change(a.pos[0], &a.auth, &kf);
	if (rc != EXIT_OK)
		return rc;
	snprintf(name, sizeof(name), "%s", mkey_keyfile_unlocked_by(kf));
	rc = kdf_choose(&a.kdf, &kdf);
	if (rc == EXIT_OK)
		rc = new_password(&a, name, a.pos[0], &pw);
	if (rc == EXIT_OK) {
		mkey_error_clear();
		ret = mkey_keyfile_admin_set_password(kf, name, pw->data, pw->len, &kdf);
		rc = ret < 0 ? report(ret, NULL, "cannot change the password of %s", name) :
		     keyfile_commit(kf);
	}
	if (rc == EXIT_OK)
		printf("Changed the password of %s in %s.\n", name, a.pos[0]);
	mkey_secbuf_free(pw);
	mkey_keyfile_free(kf);
	return rc;
}
