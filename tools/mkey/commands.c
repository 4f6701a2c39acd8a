// SPDX-License-Identifier: GPL-2.0
/*
 * The one command table. Synopsis, summary and long help live next to the
 * handler's name so that `mkey help`, `mkey CMD --help` and the docs never
 * drift apart.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct command commands[] = {
	{
		"format", cmd_format,
		"DEVICE --raw-key FILE|- --guid GUID [--sector-size 512|4096]\n"
		"       [--data-offset SECTORS] [--uuid UUID] [--force]",
		"write a dm-mkey label to a device",
		"Writes a dm-mkey volume label (primary and backup copy) to DEVICE.\n"
		"The label records the key GUID, the key size and a key check value,\n"
		"never the key itself. The key size follows from the raw key length:\n"
		"32, 48 or 64 bytes for AES-128, -192 or -256 in XTS mode.\n"
		"\n"
		"Options:\n"
		"  --raw-key FILE|-      read the raw key from FILE, or stdin for -\n"
		"  --guid GUID           GUID of the data key (8-4-4-4-12 hex)\n"
		"  --sector-size N       encryption sector size, 512 or 4096 (default 4096)\n"
		"  --data-offset N       start of the data in 512-byte sectors (default 2048)\n"
		"  --uuid UUID           volume UUID (default: a new random UUID)\n"
		"  --force               overwrite an existing dm-mkey label\n"
		"\n"
		"Refuses a device that is in use (mounted, mapped, held open) and one\n"
		"that already holds a dm-mkey label unless --force is given. Data\n"
		"already on the device is not erased or encrypted.",
	},
	{
		"dump", cmd_dump,
		"DEVICE [--json]",
		"show a device's dm-mkey label",
		"Shows which label copies on DEVICE are valid (and why not), and the\n"
		"fields of the label in use. Never shows key material; the key check\n"
		"value is shown in hex, it does not reveal the key.\n"
		"\n"
		"Options:\n"
		"  --json                machine-readable output",
	},
	{
		"activate", cmd_activate,
		"--raw-key FILE|- --guid GUID",
		"make a data key available to the kernel",
		"Adds the key as logon key mkey:GUID to the dm-mkey module keyring,\n"
		"where the kernel target finds it when a volume is opened. A key that\n"
		"is already active is left as it is.\n"
		"\n"
		"Options:\n"
		"  --raw-key FILE|-      read the raw key from FILE, or stdin for -\n"
		"  --guid GUID           GUID of the data key",
	},
	{
		"active", cmd_active,
		"[--json]",
		"list active data keys",
		"Lists the GUIDs of the data keys in the dm-mkey module keyring.\n"
		"\n"
		"Options:\n"
		"  --json                machine-readable output",
	},
	{
		"deactivate", cmd_deactivate,
		"GUID",
		"close a key's volumes and remove the key",
		"Removes the data key GUID from the kernel. Refuses while any dm-mkey\n"
		"mapping that uses the key is open (mounted or held), naming it and\n"
		"its mount point. Otherwise closes the key's mappings, then revokes\n"
		"and unlinks the key. Device-mapper itself refuses to remove an open\n"
		"device, so a volume mounted meanwhile is never torn away.",
	},
	{
		"open", cmd_open,
		"DEVICE NAME [--read-only] [--allow-discards]",
		"map a formatted device as /dev/mapper/NAME",
		"Reads DEVICE's label, checks that its key is active, and creates the\n"
		"device-mapper device NAME (target mkey) that decrypts the volume.\n"
		"\n"
		"Options:\n"
		"  --read-only           create a read-only mapping\n"
		"  --allow-discards      pass discards down (reveals which blocks are free)",
	},
	{
		"close", cmd_close,
		"NAME",
		"remove a dm-mkey mapping",
		"Removes the dm-mkey mapping NAME. Refuses while it is open, saying\n"
		"where it is mounted or what holds it.",
	},
	{
		"status", cmd_status,
		"[NAME] [--json]",
		"show dm-mkey mappings in detail",
		"Shows the mapping NAME, or every dm-mkey mapping: backing device, key\n"
		"GUID, cipher, key size, sector size, size, open count, mount point,\n"
		"which label copy the kernel uses, and I/O counters.\n"
		"\n"
		"Options:\n"
		"  --json                machine-readable output",
	},
	{
		"list", cmd_list,
		"[--json]",
		"list dm-mkey mappings, one per line",
		"Lists every dm-mkey mapping on one line each: name, key GUID, size,\n"
		"open count and mount point.\n"
		"\n"
		"Options:\n"
		"  --json                machine-readable output",
	},
	{
		"help", cmd_help,
		"[COMMAND]",
		"show help for mkey or for one command",
		"Without COMMAND lists all commands; with COMMAND shows its help.",
	},
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void command_usage(const struct command *cmd, bool full)
{
	FILE *out = full ? stdout : stderr;

	fprintf(out, "Usage: %s %s %s\n", program_name, cmd->name, cmd->args);
	if (full)
		fprintf(out, "\n%s.\n\n%s\n", cmd->summary, cmd->help);
	else
		fprintf(out, "Try '%s %s --help' for more information.\n",
			program_name, cmd->name);
}
