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
	/* ---- key files ---- */
	{
		"keyfile-create", cmd_keyfile_create,
		"FILE --admin NAME [--password-file FILE|-] [--bits 128|192|256]\n"
		"       [--description TEXT] [KDF OPTIONS]",
		"create a key file with its first administrator and key",
		"Creates the key file FILE (mode 0600) with a new master key, the\n"
		"administrator NAME and one new random data key, which becomes the\n"
		"default key for new volumes. Refuses to overwrite an existing file.\n"
		"The password is asked twice on the terminal unless --password-file\n"
		"gives it.\n"
		"\n"
		"Options:\n"
		"  --admin NAME          the first administrator (printable ASCII, no\n"
		"                        blanks; case-insensitive, stored upper case)\n"
		"  --password-file FILE  read the password from FILE (- for stdin); one\n"
		"                        trailing newline is removed\n"
		"  --bits N              AES key size of the first key: 128, 192 or 256\n"
		"                        (default 256; XTS uses twice that material)\n"
		"  --description TEXT    description of the first key\n"
		"\n"
		"KDF options (how the password is stretched; default: Argon2id,\n"
		"calibrated here to about 1 s and up to min(1 GiB, RAM/2)):\n"
		"  --kdf argon2id|pbkdf2-sha512\n"
		"  --kdf-time MS         calibration target (10..60000 ms)\n"
		"  --kdf-memory KIB      Argon2id memory (at least 8192 KiB)\n"
		"  --kdf-passes N        Argon2id passes (at least 1)\n"
		"  --kdf-parallel N      Argon2id lanes (1..16; default min(CPUs, 4))\n"
		"  --kdf-iterations N    PBKDF2 iterations (at least 65536)\n"
		"Costs given explicitly are used as they are; the rest is calibrated.",
	},
	{
		"keyfile-show", cmd_keyfile_show,
		"FILE [--json]",
		"list a key file's keys and administrators",
		"Shows the key file's id, its administrators with their KDF costs,\n"
		"and its keys (GUID, size, creation time, description, whether it is\n"
		"the default key and whether it is active in the kernel). Needs no\n"
		"password and shows nothing secret; the file MAC is verified only\n"
		"when a password unlocks the file.\n"
		"\n"
		"Options:\n"
		"  --json                machine-readable output",
	},
	{
		"keyfile-backup", cmd_keyfile_backup,
		"FILE DEST [--force]",
		"make a verified copy of a key file",
		"Copies FILE to DEST (mode 0600) atomically and durably, then reads\n"
		"DEST back and checks that it is identical and parses. A file that\n"
		"does not parse is not copied. Refuses to replace DEST unless --force.",
	},
	{
		"key-add", cmd_key_add,
		"FILE [--bits 128|192|256] [--description TEXT] [--default]\n"
		"       [--admin NAME] [--password-file FILE|-]",
		"add a new random data key to a key file",
		"Generates a new data key with a new GUID and adds it to FILE.\n"
		"\n"
		"Options:\n"
		"  --bits N              AES key size: 128, 192 or 256 (default 256)\n"
		"  --description TEXT    what the key is for (at most 256 bytes)\n"
		"  --default             make it the default key for new volumes\n"
		"  --admin NAME          the administrator who authorizes the change\n"
		"                        (needed when the file has several)\n"
		"  --password-file FILE  that administrator's password (- for stdin)",
	},
	{
		"key-import", cmd_key_import,
		"FILE --raw-key FILE|- [--guid GUID] [--description TEXT] [--default]\n"
		"       [--admin NAME] [--password-file FILE|-]",
		"import an existing raw key into a key file",
		"Adds an existing raw XTS key (32, 48 or 64 bytes) to FILE, for\n"
		"instance the key of a volume formatted with --raw-key, so that it is\n"
		"wrapped, backed up and activated like any other key of the file.\n"
		"\n"
		"Options:\n"
		"  --raw-key FILE|-      the raw key (- for stdin)\n"
		"  --guid GUID           its GUID (the one its volumes name; default: new)\n"
		"  --description TEXT    what the key is for\n"
		"  --default             make it the default key\n"
		"  --admin NAME, --password-file FILE   as for key-add",
	},
	{
		"key-delete", cmd_key_delete,
		"FILE GUID [--yes] [--admin NAME] [--password-file FILE|-]",
		"delete a data key from a key file",
		"Deletes the key GUID from FILE after asking for confirmation on the\n"
		"terminal (--yes skips it). Volumes formatted with the key become\n"
		"unreadable unless a backup of the key file holds it. Refuses the\n"
		"default key and a key that a dm-mkey mapping uses.",
	},
	{
		"key-default", cmd_key_default,
		"FILE GUID [--admin NAME] [--password-file FILE|-]",
		"make a key the default key for new volumes",
		"Makes the key GUID the default key of FILE: 'mkey format --key-file'\n"
		"uses it unless --key names another.",
	},
	{
		"admin-add", cmd_admin_add,
		"FILE NAME [--admin NAME] [--password-file FILE|-]\n"
		"       [--new-password-file FILE|-] [KDF OPTIONS]",
		"add an administrator to a key file",
		"Adds the administrator NAME, authorized by an existing administrator\n"
		"(--admin, --password-file). The new administrator's password is asked\n"
		"twice on the terminal unless --new-password-file gives it. The KDF\n"
		"options are those of keyfile-create.",
	},
	{
		"admin-remove", cmd_admin_remove,
		"FILE NAME [--admin NAME] [--password-file FILE|-]",
		"remove an administrator from a key file",
		"Removes the administrator NAME, authorized by an administrator\n"
		"(possibly NAME itself). The last administrator cannot be removed.",
	},
	{
		"admin-passwd", cmd_admin_passwd,
		"FILE [--admin NAME] [--password-file FILE|-]\n"
		"       [--new-password-file FILE|-] [KDF OPTIONS]",
		"change an administrator's own password",
		"Changes the password of the administrator who authenticates with the\n"
		"current one. The KDF is chosen anew (new salt; calibrated unless the\n"
		"KDF options of keyfile-create say otherwise).",
	},
	{
		"keyfile-startup", cmd_keyfile_startup,
		"FILE [interactive|unattended|none] [--admin NAME] [--password-file FILE|-]",
		"how a key file is unlocked at boot (unattended, interactive, none)",
		"Shows or sets how FILE is unlocked at boot (docs/boot.md, mkeytab(5)):\n"
		"  interactive  an administrator types a name and password (the default)\n"
		"  unattended   this machine unlocks it by itself: adds the administrator\n"
		"               UNATTENDED@<hostname> with a random 256-bit secret, stored\n"
		"               root-only in /etc/mkey/unattended/<file id>.secret; an\n"
		"               administrator authorizes it (--admin, --password-file)\n"
		"  none         never unlocked at boot\n"
		"Leaving unattended removes that administrator and its secret again (the\n"
		"secret itself authorizes this). The setting is kept in\n"
		"/etc/mkey/startup.conf. With unattended unlocking the data is only as\n"
		"safe as the machine's physical security: keep the key file off the\n"
		"encrypted disks it unlocks.",
	},
	/* ---- activation ---- */
	{
		"activate", cmd_activate,
		"--key-file FILE [--admin NAME] [--password-file FILE|-]\n"
		"       | --raw-key FILE|- --guid GUID",
		"make data keys available to the kernel",
		"With --key-file, unlocks FILE and adds every key in it to the dm-mkey\n"
		"module keyring as logon key mkey:GUID, printing each GUID. With\n"
		"--raw-key, adds that one key as GUID. Keys that are already active\n"
		"are left as they are, so activating again is harmless.\n"
		"\n"
		"Options:\n"
		"  --key-file FILE       the key file\n"
		"  --admin NAME          administrator who unlocks it (if several)\n"
		"  --password-file FILE  that administrator's password (- for stdin)\n"
		"  --raw-key FILE|-      a raw key instead (- for stdin)\n"
		"  --guid GUID           the raw key's GUID",
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
		"GUID... | --key-file FILE | --all",
		"close volumes and remove data keys from the kernel",
		"Removes data keys from the kernel: the keys named, every key of a key\n"
		"file (no password needed), or every active key. Refuses, changing\n"
		"nothing, while any dm-mkey mapping that uses one of them is open\n"
		"(mounted or held), naming each one and its mount point. Otherwise\n"
		"closes the keys' mappings, then revokes and unlinks the keys.\n"
		"Device-mapper itself refuses to remove an open device, so a volume\n"
		"mounted meanwhile is never torn away.\n"
		"\n"
		"Options:\n"
		"  --key-file FILE       every key of FILE\n"
		"  --all                 every active key",
	},
	/* ---- volumes ---- */
	{
		"format", cmd_format,
		"DEVICE --key-file FILE [--key GUID] [--admin NAME] [--password-file FILE|-]\n"
		"       | DEVICE --raw-key FILE|- --guid GUID\n"
		"       | DEVICE --kmip SERVER --key GUID [--kmip-config-dir DIR]\n"
		"       [--sector-size 512|4096] [--data-offset SECTORS] [--uuid UUID] [--force]",
		"write a dm-mkey label to a device",
		"Writes a dm-mkey volume label (primary and backup copy) to DEVICE.\n"
		"The label records the key GUID, the key size and a key check value,\n"
		"never the key itself. With --key-file the key is the file's default\n"
		"key, or the one --key names (the administrator's password is needed\n"
		"to compute the key check value). With --raw-key the key size follows\n"
		"from its length: 32, 48 or 64 bytes for AES-128, -192 or -256. With\n"
		"--kmip the key GUID is fetched from the KMIP servers of definition\n"
		"SERVER (see 'mkey kmip-create --help').\n"
		"\n"
		"Options:\n"
		"  --key-file FILE       take the key from this key file\n"
		"  --key GUID            which key of the file (default: its default key)\n"
		"  --admin NAME          administrator who unlocks the file (if several)\n"
		"  --password-file FILE  that administrator's password (- for stdin)\n"
		"  --raw-key FILE|-      read the raw key from FILE, or stdin for -\n"
		"  --guid GUID           GUID of the raw key (8-4-4-4-12 hex)\n"
		"  --kmip SERVER         KMIP server definition (name or path); --key\n"
		"                        names the key\n"
		"  --kmip-config-dir DIR look SERVER up in DIR (default /etc/mkey/kmip)\n"
		"  --sector-size N       encryption sector size, 512 or 4096 (default 4096)\n"
		"  --data-offset N       start of the data in 512-byte sectors (default 2048)\n"
		"  --uuid UUID           volume UUID (default: a new random UUID)\n"
		"  --force               format even though DEVICE holds a filesystem,\n"
		"                        another signature or a dm-mkey label\n"
		"\n"
		"Refuses a device that is in use (mounted, mapped, held open), even with\n"
		"--force, and one that holds a filesystem, partition table or other\n"
		"signature libblkid knows, or a dm-mkey label, unless --force is given.\n"
		"Data already on the device is not erased or encrypted.",
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
		"Lists every dm-mkey mapping on one line each: name, key GUID, cipher\n"
		"and key size, size, open count and mount point.\n"
		"\n"
		"Options:\n"
		"  --json                machine-readable output",
	},
	/* ---- keys on KMIP servers ---- */
	{
		"kmip-create", cmd_kmip_create,
		"SERVER [--bits 128|192|256] [--description TEXT] [--json]",
		"create a data key on a KMIP server",
		"Creates an AES key (default 256 bits) on the KMIP servers of the\n"
		"server definition SERVER (/etc/mkey/kmip/SERVER.conf, or a path to a\n"
		"definition file), named mkey:GUID with a new GUID, activates it there\n"
		"and records GUID -> object in keys.json beside the definitions.\n"
		"The servers are tried in order; a server that was sent the request\n"
		"but did not answer is not followed by another (the key may exist).\n"
		"\n"
		"Options:\n"
		"  --bits N              AES key size: 128, 192 or 256 (default 256; the\n"
		"                        XTS key derived from it is twice that)\n"
		"  --description TEXT    what the key is for (kept in keys.json)\n"
		"  --json                machine-readable output\n"
		"  --kmip-config-dir DIR server definitions in DIR, not /etc/mkey/kmip",
	},
	{
		"kmip-list", cmd_kmip_list,
		"SERVER [--json]",
		"list the keys on a KMIP server",
		"Lists the symmetric keys the KMIP server lets this client see: GUID\n"
		"(for keys named mkey:GUID), object identifier, state, size, whether\n"
		"the key is active here, and the description recorded in keys.json.\n"
		"Warns about recorded keys the server does not list.\n"
		"\n"
		"Options:\n"
		"  --json                machine-readable output\n"
		"  --kmip-config-dir DIR server definitions in DIR",
	},
	{
		"kmip-show", cmd_kmip_show,
		"SERVER GUID [--json]",
		"show one key on a KMIP server",
		"Finds key GUID on the KMIP server (the object recorded in keys.json,\n"
		"else by its name mkey:GUID), checks the object carries that name, and\n"
		"shows its state, size, creation time, and whether it is active here\n"
		"and used by volumes. Never shows key material.\n"
		"\n"
		"Options:\n"
		"  --json                machine-readable output\n"
		"  --kmip-config-dir DIR server definitions in DIR",
	},
	{
		"kmip-activate", cmd_kmip_activate,
		"SERVER [GUID...]",
		"fetch keys from a KMIP server into the kernel",
		"Fetches the keys GUID... (default: every key keys.json records for\n"
		"SERVER) with KMIP Get, derives their XTS keys and adds them to the\n"
		"dm-mkey module keyring, like 'mkey activate'. Keys already active are\n"
		"left as they are. The key must be Active on the server.\n"
		"\n"
		"Options:\n"
		"  --kmip-config-dir DIR server definitions in DIR",
	},
	{
		"kmip-destroy", cmd_kmip_destroy,
		"SERVER GUID [--yes]",
		"revoke and destroy a key on a KMIP server",
		"Destroys key GUID for good: refused while a dm-mkey mapping uses it.\n"
		"Otherwise asks for confirmation (--yes skips it), confirms the object\n"
		"on the server, deactivates the key here, revokes it on the server if\n"
		"it is active, destroys it and removes it from keys.json. Every volume\n"
		"formatted with the key becomes unreadable.\n"
		"\n"
		"Options:\n"
		"  --yes                 do not ask\n"
		"  --kmip-config-dir DIR server definitions in DIR",
	},
	{
		"kmip-query", cmd_kmip_query,
		"SERVER [--all] [--json]",
		"check KMIP servers: operations and protocol versions",
		"Sends Query and Discover Versions to the first server of SERVER that\n"
		"answers and shows the vendor, the operations and the KMIP versions it\n"
		"supports. With --all, asks every server of the definition on its own\n"
		"and shows each one's answer or error.\n"
		"\n"
		"Options:\n"
		"  --all                 every server, no failover\n"
		"  --json                machine-readable output\n"
		"  --kmip-config-dir DIR server definitions in DIR",
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
