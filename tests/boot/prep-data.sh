#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Not a test of its own: tests/lib/phase-boot.sh runs it in the ordinary
# test VM (tests/vm/run.sh) to fill the encrypted data disk of the boot
# tests, which the host has already formatted with `mkey format`. It opens
# the volume (/dev/vda here) with the key file and password the phase adds
# to /mkey/tests, makes an ext4 file system inside it and writes the files
# the booted system checks: hello.txt and seq.txt (seq 1 200000).
. /mkey/tests/lib.sh
mkey_require_module

ktap_plan 7
modprobe virtio_pci && modprobe virtio_blk
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "load dm-mkey" mkey_load_module
check "activate the data key file" mkey activate --key-file /mkey/tests/boot-data.mkey \
	--admin alice --password-file /mkey/tests/boot-data.pw
check "open the data volume" mkey open /dev/vda data
check "mkfs.ext4 inside it" mkfs.ext4 -q -L mkey-data /dev/mapper/data
fill() {
	mkdir -p /mnt/data &&
		modprobe ext4 && mount -t ext4 /dev/mapper/data /mnt/data &&
		cat /mkey/tests/boot-data.hello >/mnt/data/hello.txt &&
		seq 1 200000 >/mnt/data/seq.txt &&
		umount /mnt/data
}
check "write hello.txt and seq.txt" fill
check "close the volume" mkey close data
check "deactivate the keys" mkey deactivate --key-file /mkey/tests/boot-data.mkey
ktap_done
