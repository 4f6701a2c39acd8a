// SPDX-License-Identifier: GPL-2.0
/* mkey: administer dm-mkey keys and volumes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"
#include "mkey/volume.h"

const char *program_name = "mkey";
bool verbose;

/* Key material must never end up in a core file, whatever goes wrong. */
static int no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0)
		return -errno;
	return 0;
}

static void main_usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [--verbose] COMMAND [ARGS...]\n"
		"       %s help [COMMAND] | --help | --version\n"
		"\n"
		"Managed-key encryption for block devices (dm-mkey).\n"
		"\n"
		"Commands:\n", program_name, program_name);
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-15s %s\n", c->name, c->summary);
	fprintf(out, "\nRun '%s COMMAND --help' for a command's options.\n",
		program_name);
}

int cmd_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		main_usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return usage_error(command_find("help"), "too many arguments");
	cmd = command_find(argv[1]);
	if (!cmd) {
		error_msg("unknown command '%s'; run '%s help' for the list",
			  argv[1], program_name);
		return EXIT_USAGE;
	}
	command_usage(cmd, true);
	return EXIT_OK;
}

/* --help anywhere before a "--" asks for the command's help. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int i;

	if (no_core_dumps() < 0) {
		error_msg("cannot disable core dumps: %s", strerror(errno));
		return EXIT_SYSTEM;
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			main_usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			printf("mkey %s\n", MKEY_VERSION);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
			verbose = true;
			continue;
		}
		error_msg("unknown option '%s'", argv[i]);
		main_usage(stderr);
		return EXIT_USAGE;
	}
	if (i == argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	cmd = command_find(argv[i]);
	if (!cmd) {
		error_msg("unknown command '%s'; run '%s help' for the list",
			  argv[i], program_name);
		return EXIT_USAGE;
	}
	if (wants_help(argc - i, argv + i)) {
		command_usage(cmd, true);
		return EXIT_OK;
	}
	mkey_dm_set_verbose(verbose);
	return cmd->handler(argc - i, argv + i);
}
