#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# The mkey target writes exactly AES-XTS plain64 ciphertext, for every key
# size (AES-128/192/256: 32/48/64-byte keys) and both sector sizes (512,
# 4096). For each combination, on a fresh ramdisk:
#   - format, activate, open with the mkey CLI;
#   - write random plaintext through the mapping (O_DIRECT) at the start of
#     the data area and at a non-zero offset (not a multiple of 8 sectors
#     for 512-byte sectors, an odd number of 4 KiB sectors for 4096), read
#     it back through the mapping;
#   - xts-verify: the raw device's data area is the AES-XTS of the plaintext,
#     computed independently in userspace (OpenSSL AES-ECB + XTS); also for
#     one 4 MiB O_DIRECT write (more than a write clone holds), and with the
#     target behind a zero target in the table (IVs count from the target's
#     own start);
#   - no plaintext on the device: a recognisable text written through the
#     mapping is found through the mapping but nowhere on the raw device;
#   - stock dm-crypt (aes-xts-plain64, the key in hex, the label's data
#     offset, sector_size:4096 when needed) decrypts the same data.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
mkey_require_module
tl_require_bins mkey xts-verify

COMBOS="32:512 32:4096 48:512 48:4096 64:512 64:4096"
ktap_plan $((1 + 6 * 17 + 2))

load_modules() {
	mkey_load_module && modprobe dm-crypt
}
check "load dm-mkey and dm-crypt" load_modules
cleanup_add 'tl_remove xts-off; tl_remove xts; tl_remove xts-crypt; rmmod brd'

dev=/dev/ram0
canary="MKEY-CANARY-PLAINTEXT"
keys=

# Steps of one combination (globals: ss, off, canary_off, t).
write_all() {
	tl_write /tmp/p0 /dev/mapper/xts 0 "$ss" &&
		tl_write /tmp/p1 /dev/mapper/xts "$off" "$ss" &&
		tl_write /tmp/canary /dev/mapper/xts "$canary_off" "$ss"
}

# readback MAPPING [canary]: the plaintexts read back through MAPPING
readback() {
	tl_readcmp /tmp/p0 "/dev/mapper/$1" 0 "$ss" &&
		tl_readcmp /tmp/p1 "/dev/mapper/$1" "$off" "$ss" &&
		{ [ -z "${2:-}" ] || tl_readcmp /tmp/canary "/dev/mapper/$1" "$canary_off" "$ss"; }
}

# has_canary DEV: the canary text is somewhere in DEV (read with O_DIRECT)
has_canary() {
	dd if="$1" bs=1M iflag=direct 2>/dev/null | grep -qaF "$canary $t"
}

# big_write: one 4 MiB O_DIRECT write at data byte 4 MiB, then xts-verify
big_write() {
	dd if=/tmp/p4m of=/dev/mapper/xts bs=4M seek=1 count=1 oflag=direct conv=fsync &&
		xts-verify $dev "$key" /tmp/p4m 4194304
}

# behind_error: a table of an error target of $lead sectors, then mkey
behind_error() {
	printf '0 %s error\n%s %s mkey %s %s\n' "$lead" "$lead" "$ds" "$dev" "$guid" |
		dmsetup create xts-off
}

# offset_write: write /tmp/p2 at table sector $lead + data byte 3 MiB
offset_write() {
	tl_write /tmp/p2 /dev/mapper/xts-off $((lead * 512 + 3 * 1048576)) "$ss" &&
		xts-verify $dev "$key" /tmp/p2 $((3 * 1048576))
}

crypt_done() {
	dmsetup remove xts-crypt && mkey deactivate "$guid" >/dev/null
}

# xts_combo KEY_BYTES SECTOR_SIZE: the 13 checks for one combination.
xts_combo() {
	kb=$1
	ss=$2
	t="AES-$((kb * 4))/$ss"
	key=/tmp/key.$kb.$ss
	keys="$keys $key"
	mkey_gen_key "$key" "$kb"
	guid=$(mkey_gen_guid)
	# second write: byte offset 1 MiB + 3 sectors (IV 2051 or 2072)
	off=$((1048576 + 3 * ss))
	canary_off=$((2 * 1048576))

	ramdisk_create 16384 1
	check "$t: format" tl_format $dev "$key" "$guid" "$ss"
	check "$t: activate" _tl_run mkey activate --raw-key "$key" --guid "$guid"
	check "$t: open" _tl_run mkey open $dev xts

	dd if=/dev/urandom of=/tmp/p0 bs=64k count=4 2>/dev/null
	dd if=/dev/urandom of=/tmp/p1 bs=64k count=1 2>/dev/null
	yes "$canary $t" | head -c 65536 >/tmp/canary
	check "$t: O_DIRECT writes at data offset 0, $off and $canary_off" write_all
	check "$t: read back through the mapping" readback xts
	check "$t: xts-verify at offset 0" _tl_run xts-verify $dev "$key" /tmp/p0 0
	check "$t: xts-verify at offset $off" _tl_run xts-verify $dev "$key" /tmp/p1 "$off"
	# The same search finds the text through the mapping (so it works on
	# this data) and must not find it on the device.
	check "$t: the plaintext text is readable through the mapping" has_canary /dev/mapper/xts
	check_fail "$t: no plaintext on the raw device" has_canary $dev
	dd if=/dev/urandom of=/tmp/p4m bs=1M count=4 2>/dev/null
	check "$t: one 4 MiB O_DIRECT write, xts-verify" big_write
	ds=$(tl_label $dev data_sectors)
	lead=$((ss / 512))
	dd if=/dev/urandom of=/tmp/p2 bs=64k count=1 2>/dev/null
	check "$t: mkey behind a $lead-sector error target in one table" behind_error
	check "$t: there data byte x is table byte $lead*512 + x, IVs unchanged (xts-verify)" offset_write
	check "$t: remove it" dmsetup remove xts-off
	check "$t: close" _tl_run mkey close xts

	# Stock dm-crypt with the same key and the label's layout.
	do=$(tl_label $dev data_offset)
	opt=
	[ "$ss" = 4096 ] && opt=" 1 sector_size:4096"
	check "$t: stock dm-crypt maps the volume (offset $do, $ds sectors)" \
		_tl_run dmsetup create xts-crypt --table "0 $ds crypt aes-xts-plain64 $(tl_key_hex "$key") 0 $dev $do$opt"
	check "$t: dm-crypt decrypts what dm-mkey wrote" readback xts-crypt canary
	check "$t: remove dm-crypt, deactivate the key" crypt_done
}

for c in $COMBOS; do
	xts_combo "${c%:*}" "${c#*:}"
done

# The search below must be able to find a key: a log line with the second
# XTS half of a key, byte-spaced as printk's %*ph prints it.
{
	echo "some log line"
	tl_key_hex /tmp/key.64.4096 | cut -c 65-100 | sed 's/../& /g'
} >/tmp/fake-kmsg
check_fail "the key search finds %*ph-printed key bytes (control)" \
	tl_key_not_in /tmp/fake-kmsg /tmp/key.64.4096
dmesg >/tmp/kmsg
# shellcheck disable=SC2086 # one argument per key file
check "no key material in the kernel log" tl_key_not_in /tmp/kmsg $keys

ktap_done
