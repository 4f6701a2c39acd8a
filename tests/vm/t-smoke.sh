#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Smoke test of the VM harness, end to end: Debian's modules load with their
# dependencies, a brd ramdisk, a logon key from a file, a dm-crypt mapping
# that writes and reads back, ciphertext checked against OpenSSL's AES-XTS,
# kernel-log checks; then, when dm-mkey.ko is in the image, that it loads,
# publishes its keyring, registers the target and unloads.
. /mkey/tests/lib.sh

ktap_plan 17

# -- Debian's modules and the tools in the image
check "modprobe dm-mod" modprobe dm-mod
check "modprobe dm-crypt (with its dependencies)" modprobe dm-crypt
check "16 MiB brd ramdisk" ramdisk_create 16384 1
cleanup_add 'rmmod brd'

# -- a dm-crypt mapping keyed by a logon key read from a file
key=/tmp/smoke.key
mkey_gen_key "$key" 64
check "logon key from a file" sh -c "keyctl padd logon smoke:xts @s <'$key'"
sectors=$(blockdev --getsz /dev/ram0)
check "dm-crypt aes-xts-plain64 mapping" \
	dmsetup create smoke --table "0 $sectors crypt aes-xts-plain64 :64:logon:smoke:xts 0 /dev/ram0 0"
cleanup_add 'dmsetup remove smoke'

dd if=/dev/urandom of=/tmp/plain bs=1M count=4 2>/dev/null
check "write 4 MiB through dm-crypt" \
	dd if=/tmp/plain of=/dev/mapper/smoke bs=1M oflag=direct conv=fsync
check "read back through dm-crypt" \
	sh -c 'dd if=/dev/mapper/smoke bs=1M count=4 iflag=direct 2>/dev/null | cmp - /tmp/plain'
dd if=/dev/ram0 of=/tmp/cipher bs=1M count=4 iflag=direct 2>/dev/null
check_fail "ciphertext differs from plaintext" cmp -s /tmp/cipher /tmp/plain

# Sectors 1 and 4000 of the ciphertext must be the reference AES-256-XTS
# (OpenSSL's AES, see aes_xts_ref) of the plaintext with IV = sector number.
xts_sectors() {
	for s in 1 4000; do
		dd if=/tmp/plain of=/tmp/p.$s bs=512 skip=$s count=1 2>/dev/null
		dd if=/tmp/cipher of=/tmp/c.$s bs=512 skip=$s count=1 2>/dev/null
		aes_xts_ref "$key" $s /tmp/p.$s /tmp/r.$s || return 1
		cmp /tmp/c.$s /tmp/r.$s || return 1
	done
}
check "ciphertext equals reference AES-256-XTS (plain64 IV)" xts_sectors

expect_fail_msg "dm-crypt refuses a missing key (kernel log checked)" "device-mapper: table" \
	dmsetup create smoke-bad --table "0 $sectors crypt aes-xts-plain64 :64:logon:smoke:absent 0 /dev/ram0 0"
check "remove the dm-crypt mapping" dmsetup remove smoke

# -- dm-mkey.ko, when it is built
if mkey_have_module; then
	check "insmod dm-mkey.ko" mkey_load_module
	ring=$(cat "$MKEY_KEYRING_PARAM" 2>/dev/null || true)
	case "$ring" in
	'' | *[!0-9]*) fail "keyring parameter is a positive number" "read '$ring' from $MKEY_KEYRING_PARAM" ;;
	*) if [ "$ring" -gt 0 ]; then ok "keyring parameter is a positive number"; else
		fail "keyring parameter is a positive number" "read '$ring'"; fi ;;
	esac
	check "target 'mkey' registered" sh -c 'dmsetup targets | grep -q "^mkey "'
	check "keyring is described dm-mkey" sh -c "keyctl rdescribe '$ring' | grep -q ';dm-mkey\$'"
	guid=$(mkey_gen_guid)
	add_key() {
		mkey_add_key "$guid" "$key" >/dev/null &&
			keyctl list "$ring" | grep -q "logon: mkey:$guid\$"
	}
	check "logon key mkey:GUID added to the module keyring" add_key
	check "rmmod dm-mkey" mkey_unload_module
else
	for t in "insmod dm-mkey.ko" "keyring parameter is a positive number" \
		"target 'mkey' registered" "keyring is described dm-mkey" \
		"logon key mkey:GUID added to the module keyring" "rmmod dm-mkey"; do
		skip "$t" "dm-mkey.ko is not built"
	done
fi

ktap_done
