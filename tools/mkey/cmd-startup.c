// SPDX-License-Identifier: GPL-2.0
/*
 * keyfile-startup: how a key file is unlocked at boot (interactive,
 * unattended, none), kept in /etc/mkey/startup.conf; unattended adds a
 * system-generated administrator whose secret is stored root-only in
 * /etc/mkey/unattended/ (mkey/startup.h, docs/boot.md).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mkey/error.h"
#include "mkey/keyfile.h"
#include "mkey/startup.h"

static const char unattended_warning[] =
	"Warning: this machine can now unlock the key file by itself, so the data is\n"
	"only as safe as the machine's physical security: whoever has the machine,\n"
	"or a copy of its disk with the key file and\n"
	"  %s,\n"
	"has the data. Keep the key file off the encrypted disks it unlocks, and a\n"
	"verified backup of it elsewhere (mkey keyfile-backup).\n";

/* An absolute path for startup.conf: the real path when the file exists. */
static int canonical(const struct command *cmd, const char *file, char *out)
{
	if (realpath(file, out))
		return EXIT_OK;
	if (file[0] == '/' && strlen(file) < PATH_MAX) {
		snprintf(out, PATH_MAX, "%s", file);
		return EXIT_OK;
	}
	return usage_error(cmd, "%s: %s", file, strerror(errno));
}

static int show(const char *path)
{
	struct mkey_keyfile *kf = NULL;
	struct mkey_startup st;
	char secret[PATH_MAX];
	int ret;

	mkey_error_clear();
	ret = mkey_startup_get(NULL, path, &st);
	if (ret < 0)
		return report(ret, NULL, "cannot read the startup settings");
	if (st.mode != MKEY_STARTUP_UNATTENDED) {
		printf("%s: startup %s%s\n", path, mkey_startup_mode_name(st.mode),
		       st.listed ? "" : " (the default: not in " MKEY_CONF_DIR "/" MKEY_STARTUP_CONF ")");
		return EXIT_OK;
	}
	printf("%s: startup unattended (administrator %s)\n", path, st.admin);
	ret = keyfile_load(path, &kf);
	if (ret != EXIT_OK)
		return ret;
	mkey_unattended_secret_path(NULL, mkey_keyfile_id(kf), secret, sizeof(secret));
	printf("  secret: %s%s\n", secret, access(secret, F_OK) ? " (missing!)" : "");
	if (mkey_keyfile_admin_find(kf, st.admin) < 0)
		printf("  the key file has no administrator %s: run 'mkey keyfile-startup %s "
		       "unattended' again\n", st.admin, path);
	mkey_keyfile_free(kf);
	return EXIT_OK;
}

static int enable(const char *path, const struct auth_options *ao)
{
	struct mkey_keyfile *kf = NULL;
	struct mkey_secbuf *secret = NULL;
	struct mkey_startup st;
	char admin[MKEY_ADMIN_NAME_MAX + 1], secret_path[PATH_MAX], id[MKEY_GUID_STR_LEN + 1];
	int rc, ret;

	if (geteuid() != 0) {
		error_msg("unattended unlocking needs root: its secret is stored root-only "
			  "in %s/%s", MKEY_CONF_DIR, MKEY_UNATTENDED_DIR);
		return EXIT_SYSTEM;
	}
	mkey_unattended_admin_name(admin);
	if (ao->admin) {
		char name[MKEY_ADMIN_NAME_MAX + 1];

		if (mkey_admin_name_normalize(ao->admin, name) == 0 && !strcmp(name, admin)) {
			error_msg("%s is the unattended administrator itself; authorize with a "
				  "person's administrator (--admin NAME)", admin);
			return EXIT_USAGE;
		}
	}
	/* Already enabled and whole? Then there is nothing to do. */
	mkey_error_clear();
	ret = mkey_startup_get(NULL, path, &st);
	if (ret < 0)
		return report(ret, NULL, "cannot read the startup settings");
	rc = keyfile_load(path, &kf);
	if (rc != EXIT_OK)
		return rc;
	mkey_unattended_secret_path(NULL, mkey_keyfile_id(kf), secret_path, sizeof(secret_path));
	if (st.mode == MKEY_STARTUP_UNATTENDED && mkey_keyfile_admin_find(kf, st.admin) >= 0 &&
	    mkey_unattended_secret_read(secret_path, &secret) == 0) {
		mkey_secbuf_free(secret);
		mkey_keyfile_free(kf);
		printf("%s already unlocks unattended (administrator %s, secret %s).\n", path,
		       st.admin, secret_path);
		return EXIT_OK;
	}
	mkey_keyfile_free(kf);
	kf = NULL;

	rc = keyfile_open_for_change(path, ao, &kf);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = mkey_unattended_enable(kf, NULL, path, admin);
	if (ret == -ENOSPC) {
		error_msg("%s already has %d administrators; remove one first", path,
			  MKEY_KEYFILE_MAX_ADMINS);
		rc = EXIT_BUSY;
	} else if (ret == -EPERM) {
		error_msg("%s: %s", path, mkey_error_detail());
		rc = EXIT_BUSY;
	} else if (ret < 0) {
		rc = report(ret, NULL, "cannot enable unattended unlocking of %s", path);
	}
	mkey_guid_format(mkey_keyfile_id(kf), id);
	mkey_keyfile_free(kf);
	if (rc != EXIT_OK)
		return rc;
	printf("%s now unlocks unattended at boot:\n"
	       "  administrator %s added (a random 256-bit secret, Argon2id at its floor)\n"
	       "  secret stored in %s (mode 0400, root only)\n"
	       "  setting recorded in %s/%s\n\n",
	       path, admin, secret_path, MKEY_CONF_DIR, MKEY_STARTUP_CONF);
	printf(unattended_warning, secret_path);
	return EXIT_OK;
}

/* Leaving unattended: the unattended administrator and its secret go. */
static int disable(const char *path, const struct mkey_startup *cur,
		   enum mkey_startup_mode mode, const struct auth_options *ao)
{
	struct mkey_keyfile *kf = NULL;
	struct mkey_secbuf *secret = NULL;
	char secret_path[PATH_MAX];
	int rc, ret;

	rc = keyfile_load(path, &kf);
	if (rc != EXIT_OK)
		return rc;
	mkey_unattended_secret_path(NULL, mkey_keyfile_id(kf), secret_path, sizeof(secret_path));
	mkey_keyfile_free(kf);
	kf = NULL;
	/* The secret authorizes its own removal; otherwise a person does. */
	if (!ao->admin && !ao->password_file &&
	    mkey_unattended_secret_read(secret_path, &secret) == 0) {
		mkey_error_clear();
		ret = mkey_keyfile_open_update(path, 0, &kf);
		if (ret < 0) {
			mkey_secbuf_free(secret);
			return keyfile_error(path, ret);
		}
		if (mkey_keyfile_admin_find(kf, cur->admin) >= 0) {
			rc = keyfile_unlock(kf, cur->admin, secret);
		} else {
			/* Already gone from the file: nothing to authorize there. */
			mkey_keyfile_free(kf);
			kf = NULL;
			rc = keyfile_open_for_change(path, ao, &kf);
		}
		mkey_secbuf_free(secret);
	} else {
		rc = keyfile_open_for_change(path, ao, &kf);
	}
	if (rc != EXIT_OK) {
		mkey_keyfile_free(kf);
		return rc;
	}
	mkey_error_clear();
	ret = mkey_unattended_disable(kf, NULL, path, cur->admin, mode);
	mkey_keyfile_free(kf);
	if (ret == -EPERM) {
		error_msg("%s is the last administrator of %s: add a person's administrator "
			  "first ('mkey admin-add %s NAME')", cur->admin, path, path);
		return EXIT_BUSY;
	}
	if (ret < 0)
		return report(ret, NULL, "cannot disable unattended unlocking of %s", path);
	printf("%s: unattended unlocking disabled (administrator %s and secret %s removed); "
	       "startup %s.\n", path, cur->admin, secret_path, mkey_startup_mode_name(mode));
	return EXIT_OK;
}

int cmd_keyfile_startup(int argc, char **argv)
{
	static const struct option opts[] = {
		AUTH_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("keyfile-startup");
	struct auth_options ao = { 0 };
	enum mkey_startup_mode mode;
	struct mkey_startup cur, st;
	char path[PATH_MAX];
	int c, rc, ret, npos;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (auth_option(&ao, c, optarg))
			continue;
		if (c == ':')
			return usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	npos = argc - optind;
	if (npos < 1)
		return usage_error(cmd, "missing FILE");
	if (npos > 2)
		return usage_error(cmd, "too many arguments (expected FILE and a setting)");
	rc = canonical(cmd, argv[optind], path);
	if (rc != EXIT_OK)
		return rc;
	if (npos == 1)
		return show(path);
	if (mkey_startup_mode_parse(argv[optind + 1], &mode) < 0)
		return usage_error(cmd, "the setting is interactive, unattended or none, not '%s'",
				   argv[optind + 1]);
	if (mode == MKEY_STARTUP_UNATTENDED)
		return enable(path, &ao);

	mkey_error_clear();
	ret = mkey_startup_get(NULL, path, &cur);
	if (ret < 0)
		return report(ret, NULL, "cannot read the startup settings");
	if (cur.mode == MKEY_STARTUP_UNATTENDED)
		return disable(path, &cur, mode, &ao);
	memset(&st, 0, sizeof(st));
	st.mode = mode;
	mkey_error_clear();
	ret = mkey_startup_set(NULL, path, &st);
	if (ret < 0)
		return report(ret, NULL, "cannot record the startup setting of %s", path);
	printf("%s: startup %s.\n", path, mkey_startup_mode_name(mode));
	return EXIT_OK;
}
