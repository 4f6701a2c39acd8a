#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# What the mkey target reports and the limits it sets:
#   - `dmsetup table` is exactly "0 LEN mkey MAJ:MIN GUID" (plus
#     " 1 allow_discards" when set), also for a device given as MAJ:MIN and
#     a lower-case GUID, and never holds key bytes (nor does --showkeys,
#     `dmsetup status` or the kernel log);
#   - `dmsetup status` fields: GUID, aes-xts-plain64, key bits (128, 192,
#     256), sector size, label copy; the read/write bio and sector counters
#     move by exactly the I/O done;
#   - the mapped device's logical block size is the label's sector size, its
#     size the data area; unaligned O_DIRECT I/O is refused;
#   - discards (on a loop device over tmpfs, which supports them): without
#     allow_discards discard_max_bytes is 0 and blkdiscard fails; with it
#     blkdiscard works, reaches the device at the data offset (the range
#     reads back as zeros on the raw device), spares data outside the range
#     and both label copies; write-zeroes are never passed down (they would
#     put plaintext zeros on the device).
# shellcheck disable=SC2154 # G_ram0... are assigned by eval in vol()
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
mkey_require_module
tl_require_bins mkey

ktap_plan 54

check "load loop" modprobe loop
check "load dm-mkey" mkey_load_module
check "three 16 MiB ramdisks" ramdisk_create 16384 3
# shellcheck disable=SC2016 # expanded when the cleanup runs
cleanup_add 'for m in m256 m128 m192 mlow disc nodisc; do tl_remove $m; done; losetup -D; rmmod brd'

# vol DEV KEY_BYTES SECTOR_SIZE: a key file /tmp/key.DEV and GUID in G_DEV
vol() {
	_d=$(basename "$1")
	mkey_gen_key "/tmp/key.$_d" "$2"
	_g=$(mkey_gen_guid)
	eval "G_$_d=\$_g"
	tl_format "$1" "/tmp/key.$_d" "$_g" "$3" && mkey_add_key "$_g" "/tmp/key.$_d" >/dev/null
}
check "ram0: AES-256, 4096-byte sectors" vol /dev/ram0 64 4096
check "ram1: AES-128, 512-byte sectors" vol /dev/ram1 32 512
check "ram2: AES-192, 4096-byte sectors" vol /dev/ram2 48 4096
DS0=$(tl_label /dev/ram0 data_sectors)
DS1=$(tl_label /dev/ram1 data_sectors)
DS2=$(tl_label /dev/ram2 data_sectors)

# is VALUE CMD...: CMD prints exactly VALUE
is() {
	_want=$1
	shift
	_got=$("$@")
	[ "$_got" = "$_want" ] && return 0
	echo "got:  '$_got'"
	echo "want: '$_want'"
	return 1
}

# -- table
check "create m256 on /dev/ram0" tl_create m256 /dev/ram0 "$G_ram0"
check "table is '0 LEN mkey 1:0 GUID'" is "0 $DS0 mkey 1:0 $G_ram0" dmsetup table m256
check "create m128 with the device given as 1:1" \
	dmsetup create m128 --table "0 $DS1 mkey 1:1 $G_ram1"
check "table is '0 LEN mkey 1:1 GUID'" is "0 $DS1 mkey 1:1 $G_ram1" dmsetup table m128
g2_lower=$(printf '%s' "$G_ram2" | tr 'A-F' 'a-f')
check "create m192 with a lower-case GUID" tl_create m192 /dev/ram2 "$g2_lower"
check "table shows the GUID upper-case" is "0 $DS2 mkey 1:2 $G_ram2" dmsetup table m192
check "a shorter mapping (first 1 MiB of the data area) loads" \
	dmsetup create mlow --table "0 2048 mkey /dev/ram0 $G_ram0"
check "its table keeps the length" is "0 2048 mkey 1:0 $G_ram0" dmsetup table mlow
check "remove it" dmsetup remove mlow

# -- status fields
check "m256 status: GUID aes-xts-plain64 256 4096 primary" \
	is "0 $DS0 mkey $G_ram0 aes-xts-plain64 256 4096 primary" sh -c "dmsetup status m256 | cut -d' ' -f1-8"
check "m128 status: GUID aes-xts-plain64 128 512 primary" \
	is "0 $DS1 mkey $G_ram1 aes-xts-plain64 128 512 primary" sh -c "dmsetup status m128 | cut -d' ' -f1-8"
check "m192 status: GUID aes-xts-plain64 192 4096 primary" \
	is "0 $DS2 mkey $G_ram2 aes-xts-plain64 192 4096 primary" sh -c "dmsetup status m192 | cut -d' ' -f1-8"
check "status has 13 fields, the 5 counters numbers" \
	sh -c "dmsetup status m256 | awk 'NF != 13 { exit 1 } { for (i = 9; i <= 13; i++) if (\$i !~ /^[0-9]+\$/) exit 1 }'"

# -- counters: reads writes read_sectors write_sectors errors
counters() {
	dmsetup status "$1" | cut -d' ' -f9-13
}
# moved NAME "dR dW dRS dWS dE" CMD...: CMD moves the counters by exactly that
moved() {
	_n=$1
	_d=$2
	shift 2
	_before=$(counters "$_n")
	"$@" >/dev/null 2>&1 || { echo "command failed: $*"; return 1; }
	_after=$(counters "$_n")
	_delta=$(echo "$_before $_after" | awk '{ print $6 - $1, $7 - $2, $8 - $3, $9 - $4, $10 - $5 }')
	echo "counters $_before -> $_after: moved $_delta, want $_d"
	[ "$_delta" = "$_d" ]
}
check "m256: 4 x 4 KiB O_DIRECT writes: writes +4, sectors +32" \
	moved m256 "0 4 0 32 0" dd if=/dev/urandom of=/dev/mapper/m256 bs=4096 count=4 oflag=direct
check "m256: 2 x 16 KiB O_DIRECT reads: reads +2, sectors +64" \
	moved m256 "2 0 64 0 0" dd if=/dev/mapper/m256 of=/dev/null bs=16k count=2 iflag=direct
check "m256: one 64 KiB write: writes +1, sectors +128" \
	moved m256 "0 1 0 128 0" dd if=/dev/urandom of=/dev/mapper/m256 bs=64k count=1 seek=3 oflag=direct
check "m128: 3 x 512-byte writes: writes +3, sectors +3" \
	moved m128 "0 3 0 3 0" dd if=/dev/urandom of=/dev/mapper/m128 bs=512 count=3 seek=7 oflag=direct
check "m128: one 1 KiB read: reads +1, sectors +2" \
	moved m128 "1 0 2 0 0" dd if=/dev/mapper/m128 of=/dev/null bs=1024 count=1 skip=5 iflag=direct
check "m192: counters are per mapping (m256 I/O moved none)" is "0 0 0 0 0" counters m192

# -- limits
check "m256: logical block size 4096" is 4096 blockdev --getss /dev/mapper/m256
check "m128: logical block size 512" is 512 blockdev --getss /dev/mapper/m128
check "m192: logical block size 4096" is 4096 blockdev --getss /dev/mapper/m192
check "m256: size is the data area" is "$DS0" blockdev --getsz /dev/mapper/m256
check "m128: size is the data area" is "$DS1" blockdev --getsz /dev/mapper/m128
check_fail "m256: a 512-byte O_DIRECT write is refused" \
	dd if=/dev/zero of=/dev/mapper/m256 bs=512 count=1 seek=1 oflag=direct
check_fail "m256: a 512-byte O_DIRECT read is refused" \
	dd if=/dev/mapper/m256 of=/dev/null bs=512 count=1 skip=1 iflag=direct

# -- discards, on a loop device over tmpfs (brd in 6.1 has no discard)
truncate -s 16M /tmp/disc.img
loop=$(losetup -f --show /tmp/disc.img)
check "loop device over a tmpfs file ($loop)" test -b "$loop"
check "the loop device takes discards" \
	sh -c "test \$(cat /sys/block/${loop#/dev/}/queue/discard_max_bytes) -gt 0"
check "loop: AES-256, 4096-byte sectors" vol "$loop" 64 4096
GL=$(eval echo "\$G_$(basename "$loop")")
KL=/tmp/key.$(basename "$loop")
DOL=$(tl_label "$loop" data_offset)
check "mapping without allow_discards" tl_create nodisc "$loop" "$GL"
check "its table has no options" sh -c "dmsetup table nodisc | grep -q ' $GL\$'"
check "its discard_max_bytes is 0" is 0 cat "$(tl_sysfs nodisc)/queue/discard_max_bytes"
check_fail "blkdiscard fails on it" blkdiscard /dev/mapper/nodisc
check "remove it" dmsetup remove nodisc
check "mapping with 1 allow_discards" tl_create disc "$loop" "$GL" 1 allow_discards
check "its table ends in ' 1 allow_discards'" \
	sh -c "dmsetup table disc | grep -q ' mkey [0-9]*:[0-9]* $GL 1 allow_discards\$'"
check "its discard_max_bytes is not 0" \
	sh -c "test \$(cat $(tl_sysfs disc)/queue/discard_max_bytes) -gt 0"
# Write-zeroes passed down would put unencrypted zeros on the device.
check "the loop device takes write-zeroes (control)" \
	sh -c "test \$(cat /sys/block/${loop#/dev/}/queue/write_zeroes_max_bytes) -gt 0"
check "the mapping does not: write_zeroes_max_bytes is 0" \
	is 0 cat "$(tl_sysfs disc)/queue/write_zeroes_max_bytes"
dd if=/dev/urandom of=/tmp/two bs=1M count=2 2>/dev/null
dd if=/tmp/two of=/tmp/second bs=1M skip=1 count=1 2>/dev/null
check "write 2 MiB through it" tl_write /tmp/two /dev/mapper/disc 0 1048576
# raw_zero OFFSET_SECTORS: the raw loop device's 1 MiB at OFFSET_SECTORS is zeros
raw_zero() {
	dd if="$loop" bs=512 skip="$1" count=2048 iflag=direct 2>/dev/null | cmp -s - /tmp/zero1m
}
head -c 1048576 /dev/zero >/tmp/zero1m
check_fail "the raw data area is not zeros before the discard" raw_zero "$DOL"
check "blkdiscard the first 1 MiB of the mapping" blkdiscard -o 0 -l 1048576 /dev/mapper/disc
check "the raw device's first 1 MiB of data area is now zeros" raw_zero "$DOL"
check "the second MiB is untouched" tl_readcmp /tmp/second /dev/mapper/disc 1048576 1048576
check "both label copies are still valid" \
	sh -c "mkey dump $loop --json | tr -d ' \n' | grep -q '\"primary\":{[^}]*\"valid\":true.*\"backup\":{[^}]*\"valid\":true'"
check "remove it" dmsetup remove disc

# -- no key bytes anywhere
{
	dmsetup table
	dmsetup table --showkeys
	dmsetup status
	dmsetup info -c
} >/tmp/dm-out 2>&1
dmesg >/tmp/kmsg
check "no key material in table, --showkeys, status, info" \
	tl_key_not_in /tmp/dm-out /tmp/key.ram0 /tmp/key.ram1 /tmp/key.ram2 "$KL"
check "no key material in the kernel log" \
	tl_key_not_in /tmp/kmsg /tmp/key.ram0 /tmp/key.ram1 /tmp/key.ram2 "$KL"

ktap_done
