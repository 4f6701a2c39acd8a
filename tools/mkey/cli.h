/* SPDX-License-Identifier: GPL-2.0 */
/* The mkey CLI: command table, exit codes and shared helpers. */
#ifndef MKEY_CLI_H
#define MKEY_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "mkey/guid.h"
#include "mkey/keysource.h"

/* Exit codes, documented in docs/mkey.md and mkey(8). */
enum {
	EXIT_OK		= 0,
	EXIT_USAGE	= 1,	/* bad command line */
	EXIT_NOTFOUND	= 2,	/* missing or bad input: device, label, key, mapping */
	EXIT_BUSY	= 3,	/* refused: in use, or already exists */
	EXIT_KERNEL	= 4,	/* module missing, kernel or device-mapper refused */
	EXIT_SYSTEM	= 5,	/* I/O error, permission denied, out of memory */
	EXIT_AUTH	= 6,	/* wrong password or unknown administrator */
};

struct command {
	const char *name;
	int (*handler)(int argc, char **argv);
	const char *args;	/* synopsis after the command name */
	const char *summary;	/* one line for `mkey help` */
	const char *help;	/* long help for `mkey CMD --help` */
};

extern const struct command commands[];
extern const char *program_name;
extern bool verbose;

const struct command *command_find(const char *name);
void command_usage(const struct command *cmd, bool full);

/* "mkey CMD: <message>" on stderr; returns EXIT_USAGE. */
int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "mkey: <message>" on stderr. */
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit code for a libmkey error. */
int exit_code_for(int err);

/*
 * Prints "mkey: <what>: <strerror>[ (<detail>)]" and, when given, a hint
 * line; returns exit_code_for(err).
 */
int report(int err, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Asks @question on the terminal; EXIT_OK only for the answer "yes". Without
 * a terminal, or on another answer, says that key @what was not @done (the
 * @noun: "deletion") and returns EXIT_USAGE.
 */
int confirm_yes(const char *question, const char *noun, const char *done,
		const char *what);

/* Strict unsigned decimal parse; false on junk, sign or overflow. */
bool parse_u64(const char *s, uint64_t *out);

/* GUID argument with a message naming the option on failure. */
bool parse_guid_arg(const struct command *cmd, const char *opt,
		    const char *text, struct mkey_guid *out);

/* --bits: 128, 192 or 256 (the AES key size); false after a usage error. */
bool parse_key_bits(const struct command *cmd, const char *text, uint32_t *bits);

/* The usage error for what getopt_long returned as @c (':' or '?'). */
int getopt_error(const struct command *cmd, int c, char **argv);

/*
 * Takes the arguments left after option parsing as @min..@max positional
 * arguments (@names says which, for the error) into @pos; EXIT_USAGE with a
 * message when there are too few or too many.
 */
int take_positionals(const struct command *cmd, int argc, char **argv,
		     int min, int max, const char *names, const char **pos, int *npos);

/* "1.0 GiB" style sizes. */
void format_size(uint64_t bytes, char *buf, size_t len);

/* Option parsing shared by every command that needs a key. */
struct key_options {
	struct mkey_key_source src;
	int count;		/* how many key sources were given */
};
/* Returns true if @opt (a long option name) is a key-source option. */
bool key_option_take(struct key_options *ko, const char *opt, const char *arg);
/* Checks exactly one source was given. */
bool key_options_check(const struct command *cmd, const struct key_options *ko);
/* Explains a key-source load failure. */
int key_load_error(const struct key_options *ko, int err);

/*
 * Key files (cli-keyfile.c). Long options shared by the key file commands
 * use these getopt values; each command lists the ones it takes.
 */
enum {
	OPT_ADMIN = 1000,
	OPT_PASSWORD_FILE,
	OPT_NEW_PASSWORD_FILE,
	OPT_KDF,
	OPT_KDF_TIME,
	OPT_KDF_MEMORY,
	OPT_KDF_PASSES,
	OPT_KDF_PARALLEL,
	OPT_KDF_ITERATIONS,
	OPT_KEY_FILE,
	OPT_KEY,
	OPT_FORMAT_KMIP_DIR,
	OPT_DESCRIPTION,
	OPT_BITS,
	OPT_DEFAULT,
	OPT_YES,
	OPT_FORCE,
	OPT_JSON,
	OPT_RAW_KEY,
	OPT_GUID,
	OPT_ALL,
};

#define AUTH_LONG_OPTIONS                                                        \
	{ "admin", required_argument, NULL, OPT_ADMIN },                         \
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE }
#define KDF_LONG_OPTIONS                                                         \
	{ "kdf", required_argument, NULL, OPT_KDF },                             \
	{ "kdf-time", required_argument, NULL, OPT_KDF_TIME },                   \
	{ "kdf-memory", required_argument, NULL, OPT_KDF_MEMORY },               \
	{ "kdf-passes", required_argument, NULL, OPT_KDF_PASSES },               \
	{ "kdf-parallel", required_argument, NULL, OPT_KDF_PARALLEL },           \
	{ "kdf-iterations", required_argument, NULL, OPT_KDF_ITERATIONS }

/* Who unlocks a key file, and where the password comes from. */
struct auth_options {
	const char *admin;		/* NULL: the only administrator */
	const char *password_file;	/* NULL: ask on the terminal */
};

struct mkey_keyfile;
struct mkey_kdf_request;
struct mkey_kdf_params;
struct mkey_secbuf;

/* Takes OPT_ADMIN / OPT_PASSWORD_FILE; false if @c is not one of them. */
bool auth_option(struct auth_options *ao, int c, const char *arg);

/* Takes the KDF options: -1 if @c is not one, else an exit code. */
int kdf_option(const struct command *cmd, struct mkey_kdf_request *rq, int c,
	       const char *arg);

/* Chooses (calibrates) KDF parameters, explaining failures; exit code. */
int kdf_choose(const struct mkey_kdf_request *rq, struct mkey_kdf_params *p);

/* Explains a key file load/parse error for @path; returns the exit code. */
int keyfile_error(const char *path, int err);

/* Loads @path (no lock), explaining errors; exit code. */
int keyfile_load(const char *path, struct mkey_keyfile **kf);

/* Resolves --admin: the option, or the only administrator; exit code. */
int auth_admin(const struct mkey_keyfile *kf, const struct auth_options *ao,
	       const char **admin);

/*
 * Reads a password: from @file ("-" = stdin) when given, else from the
 * terminal with @prompt (twice when @confirm). @what names it in errors
 * ("the password of ALICE"); @option is the option that gives a file.
 */
int password_get(const char *file, const char *option, const char *prompt,
		 bool confirm, const char *what, struct mkey_secbuf **pw);

/*
 * Unlocks @kf as @admin with @pw, explaining failures (wrong password,
 * tampered file); exit code.
 */
int keyfile_unlock(struct mkey_keyfile *kf, const char *admin,
		   const struct mkey_secbuf *pw);

/*
 * The usual sequence for a change: load to check the administrator,
 * read the password, lock the file for the update, unlock. On EXIT_OK
 * *kf is locked and unlocked; the caller changes, commits and frees it.
 */
int keyfile_open_for_change(const char *path, const struct auth_options *ao,
			    struct mkey_keyfile **kf);

/* Same, without the lock (activation, format): load + unlock. */
int keyfile_open_for_use(const char *path, const struct auth_options *ao,
			 struct mkey_keyfile **kf);

/* Explains a commit failure; exit code. */
int keyfile_commit(struct mkey_keyfile *kf);

/*
 * Ends a change @ret made to a key file opened for change: a refusal by the
 * key file's rules (-EEXIST, -ENOSPC, -EPERM: exit 3; -ENOENT: exit 2) is
 * told with the library's detail, another error as "cannot ..." (@fmt), and
 * success is written to disk (keyfile_commit).
 */
int keyfile_finish_change(struct mkey_keyfile *kf, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "2024-01-02 03:04:05 UTC" */
void format_time(int64_t t, char *buf, size_t len);
/* "2024-01-02T03:04:05Z" (as in the key file and in --json output) */
void kf_time_text(int64_t t, char *buf, size_t len);

int cmd_keyfile_create(int argc, char **argv);
int cmd_keyfile_show(int argc, char **argv);
int cmd_keyfile_backup(int argc, char **argv);
int cmd_key_add(int argc, char **argv);
int cmd_key_import(int argc, char **argv);
int cmd_key_delete(int argc, char **argv);
int cmd_key_default(int argc, char **argv);
int cmd_admin_add(int argc, char **argv);
int cmd_admin_remove(int argc, char **argv);
int cmd_admin_passwd(int argc, char **argv);
int cmd_keyfile_startup(int argc, char **argv);

int cmd_kmip_create(int argc, char **argv);
int cmd_kmip_list(int argc, char **argv);
int cmd_kmip_show(int argc, char **argv);
int cmd_kmip_activate(int argc, char **argv);
int cmd_kmip_destroy(int argc, char **argv);
int cmd_kmip_query(int argc, char **argv);

int cmd_help(int argc, char **argv);
int cmd_format(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_activate(int argc, char **argv);
int cmd_active(int argc, char **argv);
int cmd_deactivate(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_close(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);

#endif
