// SPDX-License-Identifier: GPL-2.0
/* mkey open / close: create and remove dm-mkey mappings. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mkey/error.h"
#include "mkey/keyring.h"
#include "mkey/label.h"
#include "mkey/volume.h"

static int label_error(const char *device, int err, const struct mkey_label_read *r)
{
	if (err == -ENODATA) {
		error_msg("%s has no dm-mkey label; is it the right device? "
			  "('mkey format' writes one)", device);
		return EXIT_NOTFOUND;
	}
	if (err == -EFBIG) {
		error_msg("%s: the label's data area (%" PRIu64 " sectors from sector "
			  "%" PRIu64 ") extends past the end of the device "
			  "(%" PRIu64 " bytes); was the device shrunk?", device,
			  r->label.data_sectors, r->label.data_offset, r->device_bytes);
		return EXIT_NOTFOUND;
	}
	if (r->device_bytes == 0 && err != -ENOSPC)
		return report(err, NULL, "cannot read the label of %s", device);
	error_msg("%s has no valid dm-mkey label: primary copy: %s; backup copy: %s "
		  "(details: 'mkey dump %s')", device,
		  mkey_label_fault_str(r->primary.fault),
		  mkey_label_fault_str(r->backup.fault), device);
	return exit_code_for(err);
}

static int open_error(const char *device, const char *name, int err,
		      const struct mkey_label_read *r)
{
	char guid[MKEY_GUID_STR_LEN + 1];

	mkey_guid_format(&r->label.key_guid, guid);
	switch (err) {
	case -ENODATA: case -EBADMSG: case -EPROTONOSUPPORT: case -EFBIG:
	case -ENOSPC:
		return label_error(device, err, r);
	case -ENOENT:
	case -EACCES:
		return report(err, NULL, "cannot open %s", device);
	case -ENOTBLK:
		error_msg("%s is not a block device; for an image file, attach it "
			  "first with 'losetup --find --show %s'", device, device);
		return EXIT_NOTFOUND;
	case -EEXIST:
		error_msg("cannot open %s as %s: %s; choose another name or "
			  "'mkey close %s'", device, name, mkey_error_detail(), name);
		return EXIT_BUSY;
	case -ENOKEY:
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		error_msg("cannot open %s: its key %s is %s; activate it first: "
			  "'mkey activate --key-file FILE' with the key file that "
			  "holds it, or 'mkey activate --raw-key FILE --guid %s'",
			  device, guid, err == -ENOKEY ? "not active" :
			  mkey_strerror(err), guid);
		return EXIT_NOTFOUND;
	case -EMSGSIZE:
		error_msg("cannot open %s: %s; the active key is not this volume's "
			  "key: 'mkey deactivate %s', then activate the right one",
			  device, mkey_error_detail(), guid);
		return EXIT_NOTFOUND;
	case -EBUSY:
		error_msg("cannot open %s: %s", device, mkey_error_detail());
		return EXIT_BUSY;
	case -ENOPKG:
		error_msg("dm-mkey module is not loaded; run 'modprobe dm-mkey'");
		return EXIT_KERNEL;
	default:
		/* Everything userspace can check passed: the kernel said no. */
		if (mkey_error_detail()[0]) {
			/* libmkey quotes the kernel's reason or points at dmesg. */
			error_msg("cannot open %s as %s: %s", device, name, mkey_error_detail());
		} else {
			error_msg("cannot open %s as %s: %s; see 'dmesg | tail'", device,
				  name, mkey_strerror(err));
		}
		return err == -ENOMEM || err == -EACCES || err == -EPERM ?
		       EXIT_SYSTEM : EXIT_KERNEL;
	}
}

int cmd_open(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read-only", no_argument, NULL, 'r' },
		{ "allow-discards", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd = command_find("open");
	struct mkey_open_opts o = { 0 };
	struct mkey_label_read r;
	const char *device, *name;
	char guid[MKEY_GUID_STR_LEN + 1], size[32];
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			o.read_only = true;
		else if (c == 'd')
			o.allow_discards = true;
		else
			return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	}
	if (argc - optind != 2)
		return usage_error(cmd, argc - optind < 2 ? "need DEVICE and NAME" :
				   "too many arguments");
	device = argv[optind];
	name = argv[optind + 1];
	if (mkey_dm_name_check(name) < 0)
		return usage_error(cmd, "invalid NAME '%s': use 1-%d printable "
				   "characters without '/' or blanks", name,
				   MKEY_DM_NAME_MAX);

	mkey_error_clear();
	memset(&r, 0, sizeof(r));
	ret = mkey_volume_open(device, name, &o, &r);
	if (ret < 0)
		return open_error(device, name, ret, &r);
	if (r.used == MKEY_COPY_BACKUP)
		error_msg("warning: the primary label of %s is invalid (%s); "
			  "used the backup copy", device,
			  mkey_label_fault_str(r.primary.fault));
	mkey_guid_format(&r.label.key_guid, guid);
	format_size(r.label.data_sectors * 512, size, sizeof(size));
	printf("Opened %s as /dev/mapper/%s (%s, key %s%s%s).\n", device, name,
	       size, guid, o.read_only ? ", read-only" : "",
	       o.allow_discards ? ", discards allowed" : "");
	return EXIT_OK;
}

int cmd_close(int argc, char **argv)
{
	const struct command *cmd = command_find("close");
	const char *name;
	int ret;

	if (argc != 2)
		return usage_error(cmd, argc < 2 ? "missing NAME" : "too many arguments");
	name = argv[1];
	if (name[0] == '-')
		return usage_error(cmd, "unknown option '%s'", name);
	ret = mkey_volume_close(name);
	switch (ret) {
	case 0:
		printf("Closed %s.\n", name);
		return EXIT_OK;
	case -ENXIO:
		error_msg("no mapping named %s (see 'mkey list')", name);
		return EXIT_NOTFOUND;
	case -EMEDIUMTYPE:
		error_msg("%s is not a dm-mkey mapping; use 'dmsetup remove' for "
			  "other device-mapper devices", name);
		return EXIT_NOTFOUND;
	case -EBUSY:
		error_msg("cannot close %s: %s; unmount it or stop what holds it, "
			  "then retry", name, mkey_error_detail());
		return EXIT_BUSY;
	default:
		ret = report(ret, NULL, "cannot close %s", name);
		return ret == EXIT_NOTFOUND ? EXIT_KERNEL : ret;
	}
}
