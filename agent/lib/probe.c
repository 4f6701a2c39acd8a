// SPDX-License-Identifier: GPL-2.0
/* What is already on a device, as libblkid sees it (used by format). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <blkid/blkid.h>

#include "mkey/blkdev.h"

int mkey_dev_probe_signature(int fd, char *what, size_t len)
{
	const char *type = NULL, *usage = NULL;
	blkid_probe pr;
	int ret;

	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, 0);
	ret = blkid_do_safeprobe(pr);
	if (ret == -2) {
		snprintf(what, len, "ambiguous signatures (several filesystems or "
			 "partition tables)");
		ret = 1;
	} else if (ret == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0) {
			blkid_probe_lookup_value(pr, "USAGE", &usage, NULL);
			snprintf(what, len, "%s of type %s",
				 usage && strcmp(usage, "filesystem") == 0 ? "a filesystem" :
				 usage && strcmp(usage, "raid") == 0 ? "a RAID or LVM member" :
				 usage && strcmp(usage, "crypto") == 0 ? "an encrypted volume" :
				 usage && strcmp(usage, "other") == 0 && !strcmp(type, "swap") ?
				 "swap space" : "a signature", type);
		} else if (blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL) == 0) {
			snprintf(what, len, "a partition table of type %s", type);
		} else {
			snprintf(what, len, "an unnamed signature");
		}
		ret = 1;
	} else if (ret == 1) {
		ret = 0;
	} else {
		ret = -EIO;
	}
	blkid_free_probe(pr);
	return ret;
}
