#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Every bad table line is refused with its ti->error text from
# docs/dm-mkey-target.md (checked in the kernel log), and leaves no mapping
# behind (`dmsetup info` fails, `dmsetup ls` does not list it): key not
# active, wrong key (KCV), key of the wrong size, revoked and expired keys,
# no label, both label copies corrupt, label for another GUID, data area
# past the end of the device, length past the data area or not a multiple
# of the sector size, missing and unreadable devices, malformed arguments
# (argument count, GUID forms, #opt_params, unknown options).
# Positive cases: the right key loads; with the primary label corrupt the
# backup copy is used ("using backup label", status says backup).
# No key bytes reach the kernel log.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
mkey_require_module
tl_require_bins mkey

ktap_plan 84

check "load dm-mkey" mkey_load_module
check "two 16 MiB ramdisks" ramdisk_create 16384 2
cleanup_add 'tl_remove mkbad; tl_remove mkgood; tl_remove short; tl_remove errdev; rmmod brd'

# refuse NAME MSG TABLE: loading TABLE fails with MSG in the kernel log and
# leaves no device behind. (2 results)
refuse() {
	expect_fail_msg "$1" "$2" dmsetup create mkbad --table "$3"
	check "$1: no mapping left" tl_absent mkbad
	if dmsetup info mkbad >/dev/null 2>&1; then
		diag "the table that loaded: $(dmsetup table mkbad)"
		tl_remove mkbad >/dev/null 2>&1
	fi
}

# flip_byte DEV BYTE_OFFSET: invert one byte of DEV (O_DIRECT slot rewrite).
flip_byte() {
	_slot=$(($2 / 4096))
	_o=$(($2 % 4096))
	dd if="$1" of=/tmp/slot bs=4096 skip=$_slot count=1 iflag=direct 2>/dev/null || return 1
	_v=$(dd if=/tmp/slot bs=1 skip=$_o count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the escaped byte
	printf "\\$(printf %03o $((_v ^ 255)))" |
		dd of=/tmp/slot bs=1 seek=$_o count=1 conv=notrunc 2>/dev/null
	dd if=/tmp/slot of="$1" bs=4096 seek=$_slot count=1 oflag=direct conv=notrunc 2>/dev/null
}

# backup_offset DEV: byte offset of the backup label slot
backup_offset() {
	echo $(($(blockdev --getsize64 "$1") / 4096 * 4096 - 4096))
}

# A byte in the header's reserved area: the copy's checksum no longer matches.
HDR_BYTE=200

key=/tmp/key
mkey_gen_key $key 64
mkey_gen_key /tmp/wrong 64
mkey_gen_key /tmp/short 32
G=$(mkey_gen_guid)
G2=$(mkey_gen_guid)
check "format ram0: AES-256, 4096-byte sectors" tl_format /dev/ram0 $key "$G" 4096
DS=$(tl_label /dev/ram0 data_sectors)
T="0 $DS mkey /dev/ram0"

# activate GUID FILE: FILE's bytes become the only key mkey:GUID
activate() {
	tl_key_drop "$1" && mkey_add_key "$1" "$2" >/dev/null
}

revoke_key() {
	tl_key_drop "$G" && _k=$(tl_key_add "$G" $key) && keyctl revoke "$_k"
}

expire_key() {
	tl_key_drop "$G" && _k=$(tl_key_add "$G" $key) && keyctl timeout "$_k" 1 && sleep 2
}

# -- the key (the label is right; only the key in the keyring is wrong)
refuse "key not active" "$MSG_INACTIVE" "$T $G"
check "activate a wrong 64-byte key" activate "$G" /tmp/wrong
refuse "wrong key of the right size (KCV mismatch)" "$MSG_KCV" "$T $G"
check "activate a 32-byte key" activate "$G" /tmp/short
refuse "32-byte key for an AES-256 label" "$MSG_KEYLEN" "$T $G"
check "activate the right key, revoke it" revoke_key
refuse "revoked key" "$MSG_REVOKED" "$T $G"
check "activate the right key with a 1 s timeout, let it expire" expire_key
refuse "expired key" "$MSG_REVOKED" "$T $G"
check "activate the right key" activate "$G" $key

check "the right key and table load" dmsetup create mkgood --table "$T $G"
check "remove it" dmsetup remove mkgood

# -- the label
refuse "zeroed device: no label" "$MSG_NOLABEL" "0 8 mkey /dev/ram1 $G"
check "format ram1" tl_format /dev/ram1 $key "$G" 4096
flip_byte /dev/ram1 $HDR_BYTE
flip_byte /dev/ram1 $(($(backup_offset /dev/ram1) + HDR_BYTE))
refuse "both label copies corrupt" "$MSG_NOLABEL" "0 8 mkey /dev/ram1 $G"
check "format ram1 again" tl_format /dev/ram1 $key "$G" 4096
flip_byte /dev/ram1 $HDR_BYTE
expect_kmsg "primary corrupt: loads from the backup, says 'using backup label'" \
	"using backup label" dmsetup create mkgood --table "0 8 mkey /dev/ram1 $G"
check "status says backup" sh -c "test \"\$(dmsetup status mkgood | awk '{ print \$8 }')\" = backup"
check "remove it" dmsetup remove mkgood

check "activate the right key under another GUID" activate "$G2" $key
refuse "label for another key GUID (that key is active)" "$MSG_OTHER" "$T $G2"
tl_key_drop "$G2"
check "an 8 MiB linear device over the first half of ram0" \
	dmsetup create short --table "0 16384 linear /dev/ram0 0"
refuse "label's data area past the end of the device" "$MSG_PASTEND" "0 8 mkey /dev/mapper/short $G"
check "remove it" dmsetup remove short

# -- the length
refuse "length one 4 KiB sector past the data area" "$MSG_LEN" "0 $((DS + 8)) mkey /dev/ram0 $G"
refuse "length not a multiple of 4096 (data area - 1)" "$MSG_LENMUL" "0 $((DS - 1)) mkey /dev/ram0 $G"
refuse "length 4 sectors (< one 4 KiB sector)" "$MSG_LENMUL" "0 4 mkey /dev/ram0 $G"

# -- the device
refuse "missing device path" "$MSG_OPEN" "0 8 mkey /dev/no-such-disk $G"
refuse "major:minor of no device" "$MSG_OPEN" "0 8 mkey 250:250 $G"
check "a device that fails every read (dm error target)" \
	dmsetup create errdev --table "0 32768 error"
refuse "unreadable device" "$MSG_READ" "0 8 mkey /dev/mapper/errdev $G"

# -- the arguments
refuse "no arguments" "$MSG_ARGC" "0 8 mkey"
refuse "one argument" "$MSG_ARGC" "0 8 mkey /dev/ram0"
refuse "extra argument after #opt_params 0" "$MSG_ARGC" "$T $G 0 extra"
refuse "extra argument after the optional parameters" "$MSG_ARGC" "$T $G 1 allow_discards extra"
g_short=$(printf '%s' "$G" | cut -c 1-35)
g_nodash=$(printf '%s' "$G" | tr -d -)
g_moved=$(printf '%s' "$g_nodash" | sed 's/^\(.........\)\(....\)\(....\)\(....\)/\1-\2-\3-\4-/')
refuse "GUID too short (35 characters)" "$MSG_GUID" "$T $g_short"
refuse "GUID too long (37 characters)" "$MSG_GUID" "$T ${G}0"
refuse "GUID not hexadecimal" "$MSG_GUID" "$T X${G#?}"
refuse "GUID without dashes" "$MSG_GUID" "$T $g_nodash"
refuse "GUID with dashes in the wrong places ($g_moved)" "$MSG_GUID" "$T $g_moved"
refuse "#opt_params not a number (abc)" "$MSG_NOPT" "$T $G abc"
refuse "#opt_params negative (-1)" "$MSG_NOPT" "$T $G -1"
refuse "#opt_params huge (99999999999999999999)" "$MSG_NOPT" "$T $G 99999999999999999999"
refuse "#opt_params 2^32 (0 when truncated to 32 bits)" "$MSG_NOPT" "$T $G 4294967296"
refuse "#opt_params 2^32+1 (1 when truncated)" "$MSG_NOPT" "$T $G 4294967297 allow_discards"
refuse "#opt_params larger than the parameters given" "$MSG_NOPT" "$T $G 2 allow_discards"
refuse "unknown optional parameter" "$MSG_UNKOPT" "$T $G 1 no_such_option"
refuse "dm-crypt's same_cpu_crypt is unknown here" "$MSG_UNKOPT" "$T $G 1 same_cpu_crypt"

dmesg >/tmp/kmsg
check "no key material in the kernel log" tl_key_not_in /tmp/kmsg $key /tmp/wrong /tmp/short

ktap_done
