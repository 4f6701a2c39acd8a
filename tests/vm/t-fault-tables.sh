#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# Hostile table lines and labels, generated (docs/reliability.md,
# "Malformed input"). t-target-refusals checks each refusal message once,
# by hand; this test generates mutations of a good table line and of a
# good label, and checks every one:
#   table lines  argument counts; every character of the GUID replaced
#                (non-hex, dash moved), then random GUID mutations whose
#                expected outcome is computed; #opt_params values (words,
#                negative, hex, exponent, overflow at 2^32 and 2^64);
#                lengths (not a multiple of the sector size, past the data
#                area; 2^63 and 2^64-8, which dm core refuses as too
#                large before the target sees them); option names; device
#                paths (missing,
#                not a block device, relative, major:minor forms, another
#                volume, unformatted, too small, unreadable);
#   labels       every field of the header (magic, version, header size,
#                flags, cipher, key bits, sector size, data offset, data
#                length, reserved bytes, checksum) with several bad values,
#                in the primary copy only (the backup is used: "using
#                backup label", status says backup) and in both copies
#                (refused, the kernel log naming both faults), checksums
#                recomputed so that each rule is reached, and in the backup
#                copy only (the primary is used); then valid labels
#                that must still be refused: KCV, volume UUID (the KCV
#                binds it), key GUID, data area past the device, length
#                past the data area.
# Every mutation is refused with its ti->error text (docs/dm-mkey-target.md)
# in the kernel log — or, for the few that device-mapper itself refuses
# before the target sees them, with dm's own message — and leaves no
# mapping behind; the few harmless ones (case of hex digits, "01", case of
# option names, major:minor) must load. The runner fails the test on any oops.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
. /mkey/tests/stress-lib.sh
mkey_require_module
tl_require_bins mkey

# Cases are run as they are generated; results go to /tmp/cases.
: >/tmp/cases
n=0
# refuse NAME MSG TABLE [CORE]: loading TABLE fails, the kernel log says
# "mkey: MSG" (ti->error; with CORE: just MSG, dm core's own) and, when
# ALSO is set, ALSO too; and no mapping is left. One result.
ALSO=
refuse() {
	n=$((n + 1))
	kmsg_mark "case $n"
	_rc=0
	dmsetup create mkbad --table "$3" >/tmp/case.out 2>&1 || _rc=$?
	kmsg_since >/tmp/case.kmsg
	_pat="mkey: $2"
	[ -n "${4:-}" ] && _pat=$2
	_why=
	[ $_rc != 0 ] || _why="the table loaded"
	grep -qF -- "$_pat" /tmp/case.kmsg || _why="${_why:+$_why; }the kernel log does not say: $_pat"
	[ -z "$ALSO" ] || grep -qF -- "$ALSO" /tmp/case.kmsg ||
		_why="${_why:+$_why; }the kernel log does not say: $ALSO"
	if ! tl_absent mkbad; then
		_why="${_why:+$_why; }a mapping was left behind"
		dmsetup remove --force mkbad >/dev/null 2>&1
	fi
	if [ -z "$_why" ]; then
		echo "refused ${4:+core}" >>/tmp/cases
		ok "$1"
	else
		echo "FAILED $1" >>/tmp/cases
		diag "table: $3"
		diag_file /tmp/case.out 5
		diag_file /tmp/case.kmsg 8
		fail "$1" "$_why"
	fi
}

# accept NAME TABLE [TEXT [COPY [NOT]]]: TABLE loads (and the kernel log says
# TEXT, status names label copy COPY, the log does not say NOT); it is
# removed again. One result.
accept() {
	n=$((n + 1))
	kmsg_mark "case $n"
	_why=
	dmsetup create mkok --table "$2" >/tmp/case.out 2>&1 || _why="refused"
	kmsg_since >/tmp/case.kmsg
	[ -z "${3:-}" ] || grep -qF -- "$3" /tmp/case.kmsg || _why="${_why:+$_why; }the kernel log does not say: $3"
	if [ -n "${4:-}" ] && [ -z "$_why" ]; then
		[ "$(tl_field mkok 8)" = "$4" ] || _why="status says label copy $(tl_field mkok 8), not $4"
	fi
	if [ -n "${5:-}" ] && grep -qF -- "$5" /tmp/case.kmsg; then
		_why="${_why:+$_why; }the kernel log says: $5"
	fi
	tl_remove mkok >/dev/null 2>&1
	if [ -z "$_why" ]; then
		echo "accepted" >>/tmp/cases
		ok "$1"
	else
		echo "FAILED $1" >>/tmp/cases
		diag "table: $2"
		diag_file /tmp/case.out 5
		diag_file /tmp/case.kmsg 8
		fail "$1" "$_why"
	fi
}

# Plan: fixed setup results + the generated cases (counted below).
N_GUID_RANDOM=$(scaled 40)
plan_table=$((9 + 36 + N_GUID_RANDOM + 15 + 10 + 10 + 16 + 6))
plan_label=$((2 + 26 * 3 + 8))
ktap_plan $((8 + plan_table + plan_label + 3))

check "load dm-mkey" mkey_load_module
check "two 16 MiB ramdisks" ramdisk_create 16384 2
cleanup_add 'tl_remove mkbad; tl_remove mkok; tl_remove errdev; tl_remove tiny; tl_remove other; tl_remove shifted; rmmod brd'
key=/tmp/key
mkey_gen_key $key 64
G=$(mkey_gen_guid)
check "format ram0 (AES-256, 4096-byte sectors)" tl_format /dev/ram0 $key "$G" 4096
mkey_add_key "$G" $key >/dev/null
DS=$(tl_label /dev/ram0 data_sectors)
T="0 $DS mkey /dev/ram0"
check "the good table loads" sh -c "dmsetup create mkok --table '$T $G' && dmsetup remove mkok"
check "an unreadable device (error target)" dmsetup create errdev --table "0 32768 error"
check "a device too small for a label (4 KiB)" dmsetup create tiny --table "0 8 linear /dev/ram1 0"
check "another mkey volume (mapped ram0)" dmsetup create other --table "$T $G"
SZ=$(blockdev --getsz /dev/ram0)
check "ram0 shifted by 8 sectors (linear)" \
	dmsetup create shifted --table "0 $((SZ - 8)) linear /dev/ram0 8"

# ---------------------------------------------------------------- tables
# -- argument counts
refuse "argc: none" "$MSG_ARGC" "0 8 mkey"
refuse "argc: device only" "$MSG_ARGC" "0 8 mkey /dev/ram0"
refuse "argc: GUID only" "$MSG_ARGC" "0 8 mkey $G"
refuse "argc: word after #opt_params 0" "$MSG_ARGC" "$T $G 0 x"
refuse "argc: word after the options" "$MSG_ARGC" "$T $G 1 allow_discards x"
refuse "argc: GUID before device" "$MSG_GUID" "0 8 mkey $G /dev/ram0"
refuse "argc: device twice" "$MSG_GUID" "$T /dev/ram0 $G"
refuse "argc: 3 words, the third not a number" "$MSG_NOPT" "$T $G allow_discards"
refuse "argc: 16 options" "$MSG_NOPT" "$T $G 16 a b c d e f g h i j k l m n o p"

# -- every character of the GUID
i=1
subst="g x Z _ . : / - y G , ="
while [ $i -le 36 ]; do
	orig=$(printf '%s' "$G" | cut -c $i)
	case $i in
	9 | 14 | 19 | 24) rep=A ;;
	*) rep=$(echo "$subst" | awk -v k=$(((i - 1) % 12 + 1)) '{ print $k }')
	   [ "$rep" = "$orig" ] && rep=g ;;
	esac
	bad=$(printf '%s' "$G" | awk -v i=$i -v r="$rep" '{ print substr($0, 1, i - 1) r substr($0, i + 1) }')
	refuse "GUID character $i '$orig' -> '$rep'" "$MSG_GUID" "$T $bad"
	i=$((i + 1))
done

# -- random GUID mutations: 1 to 3 characters replaced by printable ones;
# the expected outcome is computed: still 8-4-4-4-12 hex -> another GUID
# (or the same one in another case: accepted), else malformed.
seed=$$
diag "random GUID mutations with seed $seed"
awk -v g="$G" -v n="$N_GUID_RANDOM" -v seed=$seed 'BEGIN {
	srand(seed)
	alpha = "0123456789abcdefABCDEFghxyzGHXYZ-_.:/+=,"
	for (k = 1; k <= n; k++) {
		s = g
		m = 1 + int(rand() * 3)
		for (j = 0; j < m; j++) {
			p = 1 + int(rand() * 36)
			c = substr(alpha, 1 + int(rand() * length(alpha)), 1)
			s = substr(s, 1, p - 1) c substr(s, p + 1)
		}
		ok = (s ~ /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/)
		if (!ok) kind = "guid"
		else if (toupper(s) == toupper(g)) kind = "same"
		else kind = "other"
		print kind, s
	}
}' >/tmp/guids
while read -r kind s; do
	case $kind in
	guid) refuse "random GUID $s: malformed" "$MSG_GUID" "$T $s" ;;
	other) refuse "random GUID $s: another key's GUID" "$MSG_OTHER" "$T $s" ;;
	same) accept "random GUID $s: the same GUID" "$T $s" ;;
	esac
done </tmp/guids

# -- #opt_params
for v in abc -1 -0 +1 0x1 1e0 1.0 2 3 99 4294967295 4294967296 4294967297 \
	18446744073709551616 99999999999999999999; do
	refuse "opt count '$v'" "$MSG_NOPT" "$T $G $v allow_discards"
done

# -- lengths (the target sees ti->len; zero and a gap are dm core's)
refuse "length 1" "$MSG_LENMUL" "0 1 mkey /dev/ram0 $G"
refuse "length 7" "$MSG_LENMUL" "0 7 mkey /dev/ram0 $G"
refuse "length data area - 4" "$MSG_LENMUL" "0 $((DS - 4)) mkey /dev/ram0 $G"
refuse "length data area + 8" "$MSG_LEN" "0 $((DS + 8)) mkey /dev/ram0 $G"
refuse "length twice the data area" "$MSG_LEN" "0 $((DS * 2)) mkey /dev/ram0 $G"
refuse "length 2^32" "$MSG_LEN" "0 4294967296 mkey /dev/ram0 $G"
refuse "length 2^63 (dm core)" "too large device" "0 9223372036854775808 mkey /dev/ram0 $G" core
refuse "length 2^64 - 8 (dm core)" "too large device" "0 18446744073709551608 mkey /dev/ram0 $G" core
refuse "length 0 (dm core)" "zero-length target" "0 0 mkey /dev/ram0 $G" core
refuse "start 8 (dm core: a gap)" "Gap in table" "8 $DS mkey /dev/ram0 $G" core

# -- option names
for o in no_such_option allow_discard allow_discards=1 discard discards \
	same_cpu_crypt submit_from_crypt_cpus sector_size:4096 iv_large_sectors x; do
	refuse "option '$o'" "$MSG_UNKOPT" "$T $G 1 $o"
done

# -- device paths
refuse "device /dev/no-such-disk" "$MSG_OPEN" "0 8 mkey /dev/no-such-disk $G"
refuse "device /dev/null (character device)" "$MSG_OPEN" "0 8 mkey /dev/null $G"
refuse "device /tmp (a directory)" "$MSG_OPEN" "0 8 mkey /tmp $G"
refuse "device ram0 (relative)" "$MSG_OPEN" "0 8 mkey ram0 $G"
refuse "device 250:250 (no such device)" "$MSG_OPEN" "0 8 mkey 250:250 $G"
refuse "device 4095:0" "$MSG_OPEN" "0 8 mkey 4095:0 $G"
refuse "device 99999999999:0" "$MSG_OPEN" "0 8 mkey 99999999999:0 $G"
refuse "device -1:0" "$MSG_OPEN" "0 8 mkey -1:0 $G"
refuse "device 1:0x" "$MSG_OPEN" "0 8 mkey 1:0x $G"
refuse "device ':0'" "$MSG_OPEN" "0 8 mkey :0 $G"
refuse "device 0:0" "$MSG_OPEN" "0 8 mkey 0:0 $G"
refuse "device /dev/ram1 (no label)" "$MSG_NOLABEL" "0 8 mkey /dev/ram1 $G"
refuse "device of 4 KiB (too small for a label)" "$MSG_SMALL" "0 8 mkey /dev/mapper/tiny $G"
refuse "device that fails every read" "$MSG_READ" "0 8 mkey /dev/mapper/errdev $G"
refuse "device: the plaintext of another mkey volume" "$MSG_NOLABEL" "0 8 mkey /dev/mapper/other $G"
ALSO="primary label: no label (bad magic); using backup label"
refuse "device shifted by 8 sectors: backup found, its data area past the end" \
	"$MSG_PASTEND" "0 8 mkey /dev/mapper/shifted $G"
ALSO=
accept "device 1:0 (major:minor of ram0)" "0 8 mkey 1:0 $G"
accept "opt count '01'" "$T $G 01 allow_discards"
accept "option 'ALLOW_DISCARDS' (options are case-insensitive, as in dm-crypt)" \
	"$T $G 1 ALLOW_DISCARDS"
accept "lower-case GUID" "$T $(printf '%s' "$G" | tr 'A-F' 'a-f')"
accept "opt count 0" "$T $G 0"
accept "length 8 (one 4 KiB sector)" "0 8 mkey /dev/ram0 $G"

# ---------------------------------------------------------------- labels
# The good label slot, and where the copies live.
SLOT=4096
BACKUP=$(($(blockdev --getsize64 /dev/ram0) / SLOT * SLOT - SLOT))
/usr/bin/dd if=/dev/ram0 of=/tmp/slot.good bs=$SLOT count=1 iflag=direct 2>/dev/null
check "read the good label slot" test "$(head -c 7 /tmp/slot.good)" = MKEYLBL

# patch SLOTFILE OFFSET HEX: overwrite bytes at OFFSET with HEX
patch() {
	printf '%s' "$3" | xxd -r -p | /usr/bin/dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# resum SLOTFILE: a correct SHA-256 of bytes 0..479 at 480
resum() {
	head -c 480 "$1" | sha256sum | cut -c 1-64 | xxd -r -p |
		/usr/bin/dd of="$1" bs=1 seek=480 conv=notrunc 2>/dev/null
}
put_slot() {
	/usr/bin/dd if="$1" of=/dev/ram0 bs=$SLOT seek=$(($2 / SLOT)) oflag=direct conv=notrunc 2>/dev/null
}
# label WHERE OFFSET HEX [nosum]: the good label, with HEX at OFFSET in the
# primary copy (WHERE=primary), the backup copy (backup) or both (both),
# checksums fixed unless nosum
label() {
	cp /tmp/slot.good /tmp/slot.bad
	patch /tmp/slot.bad "$2" "$3"
	[ "${4:-}" = nosum ] || resum /tmp/slot.bad
	case $1 in
	primary) put_slot /tmp/slot.bad 0 && put_slot /tmp/slot.good "$BACKUP" ;;
	backup) put_slot /tmp/slot.good 0 && put_slot /tmp/slot.bad "$BACKUP" ;;
	both) put_slot /tmp/slot.bad 0 && put_slot /tmp/slot.bad "$BACKUP" ;;
	esac
}
restore() {
	put_slot /tmp/slot.good 0 && put_slot /tmp/slot.good "$BACKUP"
}
check "the backup copy equals the primary" \
	sh -c "/usr/bin/dd if=/dev/ram0 bs=$SLOT skip=$((BACKUP / SLOT)) count=1 iflag=direct 2>/dev/null | cmp - /tmp/slot.good"

# le32 N / le64hex: little-endian hex of a number
le32() {
	printf '%08x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/'
}
le16() {
	printf '%04x' "$1" | sed 's/\(..\)\(..\)/\2\1/'
}

# bump OFFSET: the good label's byte at OFFSET plus one, as hex (a byte
# that is random in the good label must not be overwritten with a constant:
# one time in 256 the constant is what was there)
bump() {
	printf '%02x' $((($(od -An -tu1 -j"$1" -N1 /tmp/slot.good | tr -d ' ') + 1) % 256))
}

# field NAME OFFSET HEX WHY: the field corrupted in the primary only (the
# backup is used), in the backup only (the primary is used, nothing said),
# and in both copies (refused; the log gives WHY for both)
field() {
	label primary "$2" "$3" "${5:-}"
	accept "label $1: primary only -> backup used" "$T $G" \
		"primary label: $4; using backup label" backup
	label backup "$2" "$3" "${5:-}"
	accept "label $1: backup only -> primary used" "$T $G" "" primary "using backup label"
	label both "$2" "$3" "${5:-}"
	ALSO="primary label: $4; backup label: $4"
	refuse "label $1: both copies -> refused" "$MSG_NOLABEL" "$T $G"
	ALSO=
	restore
}

field "magic byte 0" 0 00 "no label (bad magic)"
field "magic 'MKEYLBL1'" 7 31 "no label (bad magic)"
field "checksum byte 480 (no resum)" 480 "$(bump 480)" "checksum mismatch" nosum
field "volume UUID byte (no resum)" 16 "$(bump 16)" "checksum mismatch" nosum
field "version 0" 8 "$(le16 0)" "unsupported label version"
field "version 2" 8 "$(le16 2)" "unsupported label version"
field "version 0xffff" 8 ffff "unsupported label version"
field "header size 511" 10 "$(le16 511)" "bad header size"
field "header size 4096" 10 "$(le16 4096)" "bad header size"
field "flags bit 0" 12 "$(le32 1)" "unknown flags set"
field "flags bit 31" 12 00000080 "unknown flags set"
field "cipher aes-cbc-plain64" 52 "6362632d" "unsupported cipher"
field "cipher: a byte after the NUL" 70 41 "unsupported cipher"
field "key bits 0" 80 "$(le32 0)" "unsupported key size"
field "key bits 512" 80 "$(le32 512)" "unsupported key size"
field "key bits 257" 80 "$(le32 257)" "unsupported key size"
field "sector size 1024" 84 "$(le32 1024)" "unsupported sector size"
field "sector size 0" 84 "$(le32 0)" "unsupported sector size"
field "reserved byte 136" 136 01 "reserved bytes not zero"
field "reserved byte 479" 479 80 "reserved bytes not zero"
field "data offset 0" 88 0000000000000000 "bad data offset"
field "data offset 7" 88 0700000000000000 "bad data offset"
field "data offset 2049 (not a 4 KiB multiple)" 88 0108000000000000 "bad data offset"
field "data length 0" 96 0000000000000000 "bad data length"
field "data length 9 (not a 4 KiB multiple)" 96 0900000000000000 "bad data length"
field "data length 2^64 - 8 (offset + length overflows)" 96 f8ffffffffffffff "bad data length"

# Valid labels that must still be refused: fields no rule checks, but
# that the KCV, the table or the device size contradict. The kernel takes a
# valid primary as it is (it does not fall back to the backup for these),
# so the primary alone is enough.
label primary 104 "$(bump 104)"
refuse "label KCV first byte changed" "$MSG_KCV" "$T $G"
label backup 104 "$(bump 104)"
accept "label KCV changed in the backup only -> primary used" "$T $G" "" primary \
	"using backup label"
label primary 135 "$(bump 135)"
refuse "label KCV last byte changed" "$MSG_KCV" "$T $G"
label primary 16 "$(bump 16)"
refuse "label volume UUID changed (the KCV binds it)" "$MSG_KCV" "$T $G"
label primary 47 "$(bump 47)"
refuse "label key GUID changed" "$MSG_OTHER" "$T $G"
label primary 96 "$(printf '%016x' $((DS + 8)) | sed 's/\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)/\8\7\6\5\4\3\2\1/')"
refuse "label data length one sector past the device" "$MSG_PASTEND" "0 8 mkey /dev/ram0 $G"
label primary 88 "0000000000000080"
refuse "label data offset 2^63" "$MSG_PASTEND" "0 8 mkey /dev/ram0 $G"
label primary 96 "0800000000000000"
refuse "label data length 8, table length 16" "$MSG_LEN" "0 16 mkey /dev/ram0 $G"
restore

# ---------------------------------------------------------------- totals
total=$(wc -l </tmp/cases)
refused=$(grep -c '^refused' /tmp/cases)
core=$(grep -c '^refused core' /tmp/cases)
accepted=$(grep -c '^accepted' /tmp/cases)
failed=$(grep -c '^FAILED' /tmp/cases)
diag "$total generated cases: $refused refused ($((refused - core)) by the target's ti->error," \
	"$core by dm core), $accepted harmless ones accepted, $failed wrong"
figure "malformed input: $total table lines and labels; $((refused - core)) refused with ti->error," \
	"$core by dm core, $accepted harmless variants accepted, $failed wrong, 0 oopses"
check "the good table still loads" sh -c "dmsetup create mkok --table '$T $G' && dmsetup remove mkok"
check "no mapping left but the helpers" sh -c "! dmsetup ls | grep -E '^(mkbad|mkok)'"
dmesg >/tmp/kmsg
check "no key material in the kernel log" tl_key_not_in /tmp/kmsg $key

ktap_done
