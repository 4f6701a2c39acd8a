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

/* Strict unsigned decimal parse; false on junk, sign or overflow. */
bool parse_u64(const char *s, uint64_t *out);

/* GUID argument with a message naming the option on failure. */
bool parse_guid_arg(const struct command *cmd, const char *opt,
		    const char *text, struct mkey_guid *out);

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
