// SPDX-License-Identifier: GPL-2.0
/*
 * Shared key file plumbing of the CLI: options, password input, and one
 * place that turns key file errors into messages and exit codes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "mkey/error.h"
#include "mkey/kdf.h"
#include "mkey/keyfile.h"
#include "mkey/password.h"
#include "mkey/secmem.h"
#include "mkey/startup.h"

bool auth_option(struct auth_options *ao, int c, const char *arg)
{
	switch (c) {
	case OPT_ADMIN:
		ao->admin = arg;
		return true;
	case OPT_PASSWORD_FILE:
		ao->password_file = arg;
		return true;
	default:
		return false;
	}
}

static bool parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(s, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

int kdf_option(const struct command *cmd, struct mkey_kdf_request *rq, int c,
	       const char *arg)
{
	uint32_t *field;
	const char *name;

	switch (c) {
	case OPT_KDF:
		if (mkey_kdf_type_parse(arg, &rq->type) < 0)
			return usage_error(cmd, "--kdf must be argon2id or pbkdf2-sha512, "
					   "not '%s'", arg);
		return EXIT_OK;
	case OPT_KDF_TIME:
		field = &rq->time_ms;
		name = "--kdf-time";
		break;
	case OPT_KDF_MEMORY:
		field = &rq->memory_kib;
		name = "--kdf-memory";
		break;
	case OPT_KDF_PASSES:
		field = &rq->passes;
		name = "--kdf-passes";
		break;
	case OPT_KDF_PARALLEL:
		field = &rq->parallelism;
		name = "--kdf-parallel";
		break;
	case OPT_KDF_ITERATIONS:
		field = &rq->iterations;
		name = "--kdf-iterations";
		break;
	default:
		return -1;
	}
	if (!parse_u32(arg, field) || *field == 0)
		return usage_error(cmd, "%s needs a positive number, not '%s'", name, arg);
	return EXIT_OK;
}

int kdf_choose(const struct mkey_kdf_request *rq, struct mkey_kdf_params *p)
{
	char text[128];
	int ret;

	mkey_error_clear();
	ret = mkey_kdf_request_check(rq);
	if (ret < 0) {
		error_msg("bad KDF cost: %s", mkey_error_detail());
		return EXIT_USAGE;
	}
	ret = mkey_kdf_choose(rq, p);
	if (ret < 0)
		return report(ret, NULL, "cannot choose KDF parameters");
	mkey_kdf_describe(p, text, sizeof(text));
	if (mkey_kdf_is_weak(p))
		error_msg("warning: weak password KDF (%s): fine for tests, too cheap "
			  "against a password guesser; omit the --kdf-* costs to "
			  "calibrate", text);
	return EXIT_OK;
}

int keyfile_error(const char *path, int err)
{
	const char *detail = mkey_error_detail();

	switch (err) {
	case -ENOENT:
		error_msg("key file %s does not exist (create one with 'mkey "
			  "keyfile-create %s')", path, path);
		return EXIT_NOTFOUND;
	case -EBADMSG:
		error_msg("%s is not a valid key file: %s", path, detail);
		error_msg("key files are written only by mkey; restore %s from a "
			  "backup ('mkey keyfile-backup' makes verified copies)", path);
		return EXIT_NOTFOUND;
	case -EPROTONOSUPPORT:
		error_msg("%s: %s; it was written by a newer mkey", path, detail);
		return EXIT_NOTFOUND;
	case -EFBIG:
		error_msg("%s is not a key file: %s", path, detail);
		return EXIT_NOTFOUND;
	case -EINVAL:
		error_msg("%s: %s", path, detail[0] ? detail : "not a regular file");
		return EXIT_NOTFOUND;
	case -EWOULDBLOCK:
		error_msg("%s; try again when the other update is done", detail);
		return EXIT_BUSY;
	default:
		return report(err, NULL, "cannot read key file %s", path);
	}
}

/*
 * A key file others can read gives them offline guesses at the passwords;
 * one others can write, a rollback to an older copy. Say so (the next
 * update writes it back with mode 0600).
 */
static void warn_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 077))
		error_msg("warning: %s is accessible to group or others (mode %04o); "
			  "run 'chmod 600 %s'", path, (unsigned int)(st.st_mode & 07777),
			  path);
}

int keyfile_load(const char *path, struct mkey_keyfile **kf)
{
	int ret;

	mkey_error_clear();
	ret = mkey_keyfile_load(path, kf);
	if (ret < 0)
		return keyfile_error(path, ret);
	warn_mode(path);
	return EXIT_OK;
}

static void admin_list(const struct mkey_keyfile *kf, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < mkey_keyfile_admin_count(kf); i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 mkey_keyfile_admin_at(kf, i)->name);

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

int auth_admin(const struct mkey_keyfile *kf, const struct auth_options *ao,
	       const char **admin)
{
	char names[2048];

	if (ao->admin) {
		if (mkey_keyfile_admin_find(kf, ao->admin) < 0) {
			admin_list(kf, names, sizeof(names));
			error_msg("%s has no administrator '%s' (administrators: %s)",
				  mkey_keyfile_path(kf), ao->admin, names);
			return EXIT_AUTH;
		}
		*admin = ao->admin;
		return EXIT_OK;
	}
	/*
	 * The one administrator a person can be. Unattended administrators
	 * (UNATTENDED@host) have a machine-held secret, not a password, so
	 * enabling unattended startup must not make --admin mandatory.
	 */
	const char *person = NULL;
	int people = 0;

	for (int i = 0; i < mkey_keyfile_admin_count(kf); i++) {
		const char *name = mkey_keyfile_admin_at(kf, i)->name;

		if (strncmp(name, MKEY_UNATTENDED_ADMIN_PREFIX,
			    strlen(MKEY_UNATTENDED_ADMIN_PREFIX)) != 0) {
			person = name;
			people++;
		}
	}
	if (people == 1 || mkey_keyfile_admin_count(kf) == 1) {
		*admin = people == 1 ? person : mkey_keyfile_admin_at(kf, 0)->name;
		return EXIT_OK;
	}
	admin_list(kf, names, sizeof(names));
	error_msg("%s has several administrators (%s): say which one with --admin NAME",
		  mkey_keyfile_path(kf), names);
	return EXIT_USAGE;
}

int password_get(const char *file, const char *option, const char *prompt,
		 bool confirm, const char *what, struct mkey_secbuf **pw)
{
	const char *where = file && strcmp(file, "-") == 0 ? "standard input" : file;
	int ret;

	mkey_error_clear();
	ret = file ? mkey_password_read_file(file, pw) :
		     mkey_password_prompt(prompt, confirm, pw);
	switch (ret) {
	case 0:
		return EXIT_OK;
	case -ENOTTY:
		if (file)
			error_msg("%s -: standard input is a terminal; type %s at the "
				  "prompt instead (leave out %s)", option, what, option);
		else
			error_msg("no terminal to ask for %s: give it with %s FILE (or - "
				  "for standard input)", what, option);
		return EXIT_USAGE;
	case -ENODATA:
		error_msg("%s is empty%s%s", what, file ? " in " : "", file ? where : "");
		return EXIT_USAGE;
	case -EMSGSIZE:
		error_msg("%s is too long: at most %d bytes", what, MKEY_PASSWORD_MAX);
		return EXIT_USAGE;
	case -EINVAL:
		error_msg("the two entries of %s differ; nothing changed", what);
		return EXIT_USAGE;
	case -ENOMEM:
		error_msg("cannot lock memory for %s (RLIMIT_MEMLOCK too low?)", what);
		return EXIT_SYSTEM;
	default:
		return report(ret, NULL, "cannot read %s from %s", what,
			      file ? where : "the terminal");
	}
}

int keyfile_unlock(struct mkey_keyfile *kf, const char *admin,
		   const struct mkey_secbuf *pw)
{
	const char *path = mkey_keyfile_path(kf);
	int ret;

	mkey_error_clear();
	ret = mkey_keyfile_unlock(kf, admin, pw->data, pw->len);
	switch (ret) {
	case 0:
		return EXIT_OK;
	case -EKEYREJECTED:
		error_msg("wrong password for administrator %s of %s",
			  mkey_keyfile_admin_at(kf, mkey_keyfile_admin_find(kf, admin))->name,
			  path);
		return EXIT_AUTH;
	case -ENOENT:
		error_msg("%s has no administrator '%s'", path, admin);
		return EXIT_AUTH;
	case -EBADMSG:
		error_msg("%s failed its integrity check: the password is right, but "
			  "%s", path, mkey_error_detail());
		error_msg("do not use this file; restore it from a backup");
		return EXIT_NOTFOUND;
	case -ENOMEM:
		error_msg("out of memory unlocking %s (the KDF of %s needs %u KiB)",
			  path, admin, mkey_keyfile_admin_at(kf,
				mkey_keyfile_admin_find(kf, admin))->kdf.memory_kib);
		return EXIT_SYSTEM;
	default:
		return report(ret, NULL, "cannot unlock %s", path);
	}
}

static int prompt_and_unlock(const char *path, const struct auth_options *ao,
			     bool for_change, struct mkey_keyfile **kf)
{
	struct mkey_keyfile *probe = NULL;
	struct mkey_secbuf *pw = NULL;
	const char *admin;
	char prompt[256], what[128], name[MKEY_ADMIN_NAME_MAX + 1];
	int rc, ret;

	*kf = NULL;
	/* The administrator is checked before anyone types a password. */
	rc = keyfile_load(path, &probe);
	if (rc != EXIT_OK)
		return rc;
	rc = auth_admin(probe, ao, &admin);
	if (rc == EXIT_OK)
		snprintf(name, sizeof(name), "%s", mkey_keyfile_admin_at(probe,
			 mkey_keyfile_admin_find(probe, admin))->name);
	mkey_keyfile_free(probe);
	if (rc != EXIT_OK)
		return rc;
	snprintf(prompt, sizeof(prompt), "Password of %s for %s: ", name, path);
	snprintf(what, sizeof(what), "the password of %s", name);
	rc = password_get(ao->password_file, "--password-file", prompt, false, what, &pw);
	if (rc != EXIT_OK)
		return rc;
	mkey_error_clear();
	ret = for_change ? mkey_keyfile_open_update(path, 0, kf) :
			   mkey_keyfile_load(path, kf);
	if (ret < 0) {
		mkey_secbuf_free(pw);
		return keyfile_error(path, ret);
	}
	rc = keyfile_unlock(*kf, name, pw);
	mkey_secbuf_free(pw);
	if (rc != EXIT_OK) {
		mkey_keyfile_free(*kf);
		*kf = NULL;
	}
	return rc;
}

int keyfile_open_for_change(const char *path, const struct auth_options *ao,
			    struct mkey_keyfile **kf)
{
	return prompt_and_unlock(path, ao, true, kf);
}

int keyfile_open_for_use(const char *path, const struct auth_options *ao,
			 struct mkey_keyfile **kf)
{
	return prompt_and_unlock(path, ao, false, kf);
}

int keyfile_commit(struct mkey_keyfile *kf)
{
	int ret;

	mkey_error_clear();
	ret = mkey_keyfile_commit(kf);
	if (ret == 0)
		return EXIT_OK;
	return report(ret, NULL, "cannot write %s; it is unchanged", mkey_keyfile_path(kf));
}

int keyfile_finish_change(struct mkey_keyfile *kf, int ret, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	switch (ret) {
	case 0:
		return keyfile_commit(kf);
	case -EEXIST:
	case -ENOSPC:
	case -EPERM:
		error_msg("%s: %s", mkey_keyfile_path(kf), mkey_error_detail());
		return EXIT_BUSY;
	case -ENOENT:
		error_msg("%s: %s", mkey_keyfile_path(kf), mkey_error_detail());
		return EXIT_NOTFOUND;
	default:
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		return report(ret, NULL, "%s", what);
	}
}

void format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, len, "?");
}

void kf_time_text(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(buf, len, "?");
}
