#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# (Run with: tests/vm/run.sh t-mkey-cli; VERBOSE_OUT=1
# in the guest shows every command's output.)
#
# The mkey CLI end to end on a ramdisk: format, dump, activate, open,
# I/O with the ciphertext checked against reference AES-XTS, status/list,
# close/deactivate refusals while mounted, wrong key, backup label.
. /mkey/tests/lib.sh
mkey_require_module

VERBOSE_OUT=${VERBOSE_OUT:-}
ktap_plan 60

# expect RC NAME TEXT CMD...: CMD exits with RC and its output contains TEXT
expect() {
	_rc=$1 _n=$2 _t=$3
	shift 3
	"$@" >/tmp/out 2>&1
	_got=$?
	if [ "$_got" = "$_rc" ] && grep -qF -- "$_t" /tmp/out; then
		[ -n "$VERBOSE_OUT" ] && sed 's/^/# | /' /tmp/out
		ok "$_n"
	else
		sed 's/^/# /' /tmp/out
		fail "$_n" "exit $_got (want $_rc), want text '$_t'"
	fi
}

check "load dm-mkey" mkey_load_module
check "64 MiB ramdisk" ramdisk_create 65536 1
dev=/dev/ram0
key=/tmp/k1
mkey_gen_key $key 64
G=$(mkey_gen_guid)
g_lower=$(printf '%s' "$G" | tr 'A-F' 'a-f')

expect 0 "format" "Formatted $dev" mkey format $dev --raw-key $key --guid "$g_lower"
expect 3 "second format refused" "already holds a dm-mkey label" mkey format $dev --raw-key $key --guid "$G"
expect 0 "dump" "Key GUID:       $G" mkey dump $dev
expect 2 "open without active key" "is not active" mkey open $dev vol
expect 0 "activate" "Activated key $G" mkey activate --guid "$G" --raw-key $key
expect 0 "activate again is idempotent" "already active" mkey activate --guid "$G" --raw-key - <$key
expect 0 "active lists the key" "$G AES-256" mkey active
expect 0 "active --json" "\"guid\":\"$G\"" mkey active --json
expect 0 "open" "/dev/mapper/vol" mkey open $dev vol
check "/dev/mapper/vol is a block device (no udev)" test -b /dev/mapper/vol
cleanup_add 'umount /mnt; mkey close vol; mkey close vol2'
expect 0 "dmsetup table shows GUID, no key" "mkey 1:0 $G" dmsetup table vol
expect 0 "dm uuid has the MKEY- prefix" "MKEY-" dmsetup info -c -o uuid --noheadings vol
expect 0 "status" "key GUID:     $G" mkey status vol
expect 0 "status shows the label copy" "label copy:   primary" mkey status vol
expect 0 "list" "vol $G" mkey list
expect 0 "status --json" "\"open_count\":0" mkey status --json vol
expect 3 "second open of the same device refused" "in use" mkey open $dev vol2

dd if=/dev/urandom of=/tmp/plain bs=4096 count=16 2>/dev/null
check "write through the mapping" dd if=/tmp/plain of=/dev/mapper/vol bs=4096 oflag=direct conv=fsync
check "read back" sh -c 'dd if=/dev/mapper/vol bs=4096 count=16 iflag=direct 2>/dev/null | cmp - /tmp/plain'
# Data sector 8 (512-byte units; the second 4 KiB sector) sits at device
# sector 2048 + 8; its IV is 8.
dd if=/tmp/plain of=/tmp/p8 bs=4096 skip=1 count=1 2>/dev/null
dd if=$dev of=/tmp/c8 bs=512 skip=2056 count=8 iflag=direct 2>/dev/null
xts_check() {
	aes_xts_ref /tmp/k1 8 /tmp/p8 /tmp/r8 && cmp /tmp/c8 /tmp/r8
}
check "ciphertext is reference AES-256-XTS, plain64 IV" xts_check
expect 0 "status counts the I/O" "writes (" mkey status vol

mkdir -p /mnt
modprobe ext4 2>/dev/null
check "mkfs.ext4" mkfs.ext4 -q /dev/mapper/vol
check "mount" mount /dev/mapper/vol /mnt
expect 3 "close refused while mounted" "mounted on /mnt" mkey close vol
expect 3 "deactivate refused while mounted" "mounted on /mnt" mkey deactivate "$G"
check "vol still there" test -b /dev/mapper/vol
expect 0 "key still active" "$G" mkey active
check "umount" umount /mnt
expect 0 "deactivate closes the volume" "Deactivated key $G" mkey deactivate "$G"
check_fail "mapping gone" test -e /dev/mapper/vol
check_fail "key gone" sh -c "mkey active | grep -q $G"
expect 2 "deactivate again: not active" "is not active" mkey deactivate "$G"

# Same GUID, different key bytes: only the kernel's KCV check can catch it.
mkey_gen_key /tmp/k2 64
expect 0 "activate a wrong key" "Activated" mkey activate --guid "$G" --raw-key /tmp/k2
expect 4 "kernel refuses the wrong key, quoted" "Wrong key" mkey open $dev vol
check "deactivate the wrong key" mkey deactivate "$G"

check "activate the right key" mkey activate --guid "$G" --raw-key $key
check "wipe the primary label" dd if=/dev/zero of=$dev bs=4096 count=1 oflag=direct conv=fsync
expect 0 "open via the backup label" "used the backup copy" mkey open $dev vol
expect 0 "kernel uses the backup too" "label copy:   backup" mkey status vol
check "data still reads back" sh -c 'dd if=/dev/mapper/vol bs=4096 count=1 iflag=direct 2>/dev/null | head -c 1024 >/dev/null'
expect 3 "format refuses a mapped device" "in use" mkey format $dev --raw-key $key --guid "$G" --force
expect 0 "close" "Closed vol" mkey close vol

# Read-only and discards; a device-mapper device that is not mkey.
expect 0 "open --read-only --allow-discards" "read-only" \
	mkey open $dev ro --read-only --allow-discards
expect 0 "table has allow_discards" "1 allow_discards" dmsetup table ro
check_fail "writes to a read-only mapping fail" \
	dd if=/dev/zero of=/dev/mapper/ro bs=4096 count=1 oflag=direct
check "close refused while a process holds it" sh -c 'exec 3</dev/mapper/ro; mkey close ro >/tmp/held 2>&1; test $? = 3'
expect 0 "held message" "held open by a process" cat /tmp/held
check "close ro" mkey close ro
check "a linear dm device" dmsetup create lin --table "0 8 linear $dev 0"
expect 2 "close refuses a non-mkey device" "not a dm-mkey mapping" mkey close lin
check_fail "list ignores it" sh -c 'mkey list | grep -q lin'
check "remove it" dmsetup remove lin

# AES-128, 512-byte sectors: ciphertext of data sector 5 has IV 5.
mkey_gen_key /tmp/k128 32
G2=$(mkey_gen_guid)
expect 0 "format AES-128 / 512" "128 bits" mkey format $dev --raw-key /tmp/k128 --guid "$G2" \
	--sector-size 512 --data-offset 64 --force
check "activate it" mkey activate --raw-key - --guid "$G2" </tmp/k128
expect 0 "open it" "Opened" mkey open $dev v128
dd if=/dev/urandom of=/tmp/p5 bs=512 count=1 2>/dev/null
check "write data sector 5" dd if=/tmp/p5 of=/dev/mapper/v128 bs=512 seek=5 oflag=direct conv=fsync
dd if=$dev of=/tmp/c5 bs=512 skip=69 count=1 iflag=direct 2>/dev/null
xts128_check() {
	aes_xts_ref /tmp/k128 5 /tmp/p5 /tmp/r5 && cmp /tmp/c5 /tmp/r5
}
check "ciphertext is reference AES-128-XTS at offset 64" xts128_check
expect 0 "deactivate closes it" "Closed 1 volume" mkey deactivate "$G2"

ktap_done
