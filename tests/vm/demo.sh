#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# The dm-mkey demo (`make demo`): the main job, start to finish, in a
# throwaway VM. Each step shows its commands and their output, and is a
# KTAP result, so `make check` runs the demo too (as vm/demo).
#
#   load dm-mkey -> activate a data key -> mkey format -> mkey open ->
#   mkfs.ext4, mount, write -> the disk holds only ciphertext -> umount,
#   remount, read back -> mkey close -> stock dm-crypt reads the same volume
#   with the same key -> deactivate the key -> opening is refused
. /mkey/tests/lib.sh

if ! mkey_have_module; then
	ktap_skip_all "dm-mkey.ko is not built (kernel/)"
fi
if ! command -v mkey >/dev/null 2>&1; then
	ktap_skip_all "the mkey CLI is not built (build/mkey)"
fi

ktap_plan 16

# demo NAME CMD...: show and run CMD; one KTAP result.
demo() {
	_dn=$1
	shift
	if run "$@"; then ok "$_dn"; else fail "$_dn"; fi
}

key=/tmp/demo.key
guid=$(mkey_gen_guid)
mnt=/mnt/secret
marker="dm-mkey demo plaintext $(date +%s)"
mkdir -p "$mnt"
cleanup_add "umount '$mnt'"
cleanup_add "mkey close secret"
cleanup_add "dmsetup remove stock"

step "Load dm-mkey.ko. It creates its own keyring for data keys, so a key activated by one service is found by every table load."
demo "load dm-mkey" mkey_load_module
run keyctl show "$(mkey_keyring)"

step "A 64 MiB RAM disk stands in for the disk to encrypt."
demo "64 MiB ramdisk /dev/ram0" ramdisk_create 65536 1

step "A data key: 64 random bytes (AES-256 in XTS mode), known by its GUID $guid."
mkey_gen_key "$key" 64
demo "activate the key (a logon key in the module keyring)" \
	mkey activate --raw-key "$key" --guid "$guid"
run mkey active

step "Format: the label records the key's GUID and a key check value, never the key."
demo "mkey format /dev/ram0" mkey format /dev/ram0 --raw-key "$key" --guid "$guid"
run mkey dump /dev/ram0

step "Open: the kernel reads the label, finds the key in its keyring and checks it."
demo "mkey open /dev/ram0 secret" mkey open /dev/ram0 secret
demo "the table names the key by GUID only" sh -c "dmsetup table secret | tee /dev/stderr | grep -q ' $guid'"
run mkey status

step "A file system on the decrypted device."
demo "mkfs.ext4 /dev/mapper/secret" mkfs.ext4 -q /dev/mapper/secret
demo "mount and write a file" sh -c "mount -t ext4 /dev/mapper/secret '$mnt' && echo '$marker' >'$mnt/hello.txt' && sync"
run df -h "$mnt"

step "The disk itself holds only ciphertext: the text is nowhere on /dev/ram0."
demo "plaintext not on the raw disk" sh -c "! grep -qaF '$marker' /dev/ram0"

step "Unmount, mount again, read the file back."
demo "umount" umount "$mnt"
demo "mount again and read back" sh -c "mount -t ext4 /dev/mapper/secret '$mnt' && grep -qx '$marker' '$mnt/hello.txt' && cat '$mnt/hello.txt'"
demo "umount and mkey close" sh -c "umount '$mnt' && mkey close secret"

step "Recovery with stock tools: dm-crypt with the same key, offset and sector size reads the volume."
sectors=$(mkey dump /dev/ram0 | sed -n 's/^Data length: *\([0-9]*\) sectors.*/\1/p')
offset=$(mkey dump /dev/ram0 | sed -n 's/^Data offset: *\([0-9]*\) sectors.*/\1/p')
ssize=$(mkey dump /dev/ram0 | sed -n 's/^Sector size: *\([0-9]*\).*/\1/p')
hexkey=$(hexdump -ve '1/1 "%02x"' "$key")
echo "# \$ dmsetup create stock --table \"0 $sectors crypt aes-xts-plain64 <key> 0 /dev/ram0 $offset 1 sector_size:$ssize\""
if dmsetup create stock --table "0 $sectors crypt aes-xts-plain64 $hexkey 0 /dev/ram0 $offset 1 sector_size:$ssize" 2>&1 | sed 's/^/#   /'; then
	demo "dm-crypt reads the file" sh -c "mount -t ext4 -o ro /dev/mapper/stock '$mnt' && grep -qx '$marker' '$mnt/hello.txt' && umount '$mnt' && dmsetup remove stock"
else
	fail "dm-crypt reads the file" "dmsetup create failed"
fi

step "Deactivate the key: the kernel forgets it, and the volume cannot be opened."
demo "mkey deactivate" mkey deactivate "$guid"
run mkey active
echo "# \$ mkey open /dev/ram0 secret"
if mkey open /dev/ram0 secret >/tmp/open.out 2>&1; then
	fail "mkey open is refused" "it succeeded"
else
	sed 's/^/#   /' /tmp/open.out
	ok "mkey open is refused"
fi
step "The kernel checks too: a table loaded by hand is refused, and says why."
echo "# \$ dmsetup create secret --table \"0 $sectors mkey /dev/ram0 $guid\""
expect_fail_msg "the kernel refuses the table: key not active" "Key is not active" \
	dmsetup create secret --table "0 $sectors mkey /dev/ram0 $guid"
kmsg_since | sed -n 's/^.*\(device-mapper: table:.*\)$/#   kernel: \1/p'

ktap_done
