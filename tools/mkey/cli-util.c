// SPDX-License-Identifier: GPL-2.0
/* Messages, exit codes and argument parsing shared by the commands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mkey/error.h"
#include "mkey/password.h"

void error_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", program_name, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	command_usage(cmd, false);
	return EXIT_USAGE;
}

int exit_code_for(int err)
{
	switch (-err) {
	case 0:
		return EXIT_OK;
	case EBUSY:
	case EEXIST:
		return EXIT_BUSY;
	case ENOPKG:
	case ENODEV:	/* no device-mapper driver */
		return EXIT_KERNEL;
	case EIO:
	case ENOMEM:
	case EACCES:
	case EPERM:
	case EROFS:
		return EXIT_SYSTEM;
	default:
		/* Anything else is about what the user named or supplied. */
		return EXIT_NOTFOUND;
	}
}

int report(int err, const char *hint, const char *fmt, ...)
{
	const char *detail = mkey_error_detail();
	va_list ap;

	fprintf(stderr, "%s: ", program_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s", mkey_strerror(err));
	if (detail[0])
		fprintf(stderr, " (%s)", detail);
	fputc('\n', stderr);
	if (!hint && (err == -EACCES || err == -EPERM))
		hint = "this needs root privileges";
	if (hint)
		fprintf(stderr, "%s: %s\n", program_name, hint);
	return exit_code_for(err);
}

bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool parse_guid_arg(const struct command *cmd, const char *opt,
		    const char *text, struct mkey_guid *out)
{
	if (mkey_guid_parse(text, out) == 0)
		return true;
	usage_error(cmd, "%s '%s' is not a GUID: expected 8-4-4-4-12 hex digits, "
		    "e.g. 0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55", opt, text);
	return false;
}

bool parse_key_bits(const struct command *cmd, const char *text, uint32_t *bits)
{
	uint64_t v;

	if (!parse_u64(text, &v) || (v != 128 && v != 192 && v != 256)) {
		usage_error(cmd, "--bits must be 128, 192 or 256 (the AES key size), "
			    "not '%s'", text);
		return false;
	}
	*bits = (uint32_t)v;
	return true;
}

int getopt_error(const struct command *cmd, int c, char **argv)
{
	if (c == ':')
		return usage_error(cmd, "option %s needs a value", argv[optind - 1]);
	return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int take_positionals(const struct command *cmd, int argc, char **argv,
		     int min, int max, const char *names, const char **pos, int *npos)
{
	int n = argc - optind;

	if (n < min)
		return usage_error(cmd, "missing %s", names);
	if (n > max)
		return usage_error(cmd, "too many arguments (expected %s)", names);
	for (int i = 0; i < n; i++)
		pos[i] = argv[optind + i];
	*npos = n;
	return EXIT_OK;
}

void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

/*
 * Key sources by option name. A new source (key files, KMIP) is one more
 * row here and one more case in libmkey's mkey_key_source_load().
 */
static const struct {
	const char *option;
	enum mkey_key_source_kind kind;
} key_option_table[] = {
	{ "raw-key", MKEY_KEY_SOURCE_RAW },
	{ "kmip", MKEY_KEY_SOURCE_KMIP },
};

bool key_option_take(struct key_options *ko, const char *opt, const char *arg)
{
	for (size_t i = 0; i < sizeof(key_option_table) / sizeof(key_option_table[0]); i++) {
		if (strcmp(opt, key_option_table[i].option) == 0) {
			ko->src.kind = key_option_table[i].kind;
			ko->src.location = arg;
			ko->count++;
			return true;
		}
	}
	return false;
}

bool key_options_check(const struct command *cmd, const struct key_options *ko)
{
	if (ko->count == 0) {
		usage_error(cmd, "no key given: use --raw-key FILE (or - for stdin)");
		return false;
	}
	if (ko->count > 1) {
		usage_error(cmd, "give exactly one key source");
		return false;
	}
	return true;
}

int key_load_error(const struct key_options *ko, int err)
{
	const char *where = strcmp(ko->src.location, "-") == 0 ?
			    "standard input" : ko->src.location;

	if (ko->src.kind == MKEY_KEY_SOURCE_KMIP) {
		/* The detail names the server and what it answered. */
		error_msg("cannot fetch the key from KMIP server definition %s: %s",
			  where, mkey_error_detail()[0] ? mkey_error_detail() :
			  mkey_strerror(err));
		return err == -EACCES ? EXIT_AUTH : err == -EHOSTUNREACH ? EXIT_SYSTEM :
		       exit_code_for(err);
	}
	switch (err) {
	case -EMSGSIZE:
		error_msg("raw key %s is %s; a raw key must be exactly 32, 48 or 64 "
			  "bytes (AES-128/192/256 in XTS mode)", where,
			  mkey_error_detail());
		return EXIT_NOTFOUND;
	case -ENODATA:
		error_msg("raw key %s is empty", where);
		return EXIT_NOTFOUND;
	case -ENOTTY:
		error_msg("--raw-key -: standard input is a terminal; pipe or "
			  "redirect the key file into mkey instead");
		return EXIT_USAGE;
	case -ENOMEM:
		error_msg("cannot lock memory for the key (RLIMIT_MEMLOCK too low?)");
		return EXIT_SYSTEM;
	default:
		error_msg("cannot read %s %s: %s",
			  mkey_key_source_kind_name(ko->src.kind), where,
			  mkey_strerror(err));
		return exit_code_for(err);
	}
}

int confirm_yes(const char *question, const char *noun, const char *done,
		const char *what)
{
	char answer[16];
	int ret = mkey_tty_ask(question, answer, sizeof(answer));

	if (ret == -ENOTTY) {
		error_msg("no terminal to confirm the %s of key %s: pass --yes", noun, what);
		return EXIT_USAGE;
	}
	if (ret < 0)
		return report(ret, NULL, "cannot read the confirmation");
	if (strcmp(answer, "yes") != 0) {
		error_msg("not confirmed; key %s was not %s", what, done);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
