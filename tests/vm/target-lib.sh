# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers shared by the t-target-*.sh guest tests (the `mkey` device-mapper
# target, docs/dm-mkey-target.md). Source after lib.sh:
#
#   . /mkey/tests/lib.sh
#   . /mkey/tests/target-lib.sh
#
# Setup:
#   tl_require_bins PROG...  ktap_skip_all unless every PROG (mkey,
#                         xts-verify) is in the image (the runner leaves out
#                         programs whose build failed); call before ktap_plan
# Volumes:
#   tl_format DEV KEYFILE GUID [SECTOR_SIZE]
#                         mkey format --force (quiet; output shown on failure)
#   tl_label DEV FIELD    a numeric field of the label in use (data_offset,
#                         data_sectors, key_bits, sector_size), from mkey dump
#   tl_table DEV GUID [LEN] [OPT...]
#                         the mkey table line for the whole data area (or LEN
#                         sectors), with OPTs as "<#opt_params> <opts>"
#   tl_create NAME DEV GUID [OPT...]
#                         dmsetup create NAME with tl_table's line
#   tl_remove NAME        dmsetup remove NAME if it exists
#   tl_absent NAME        true if no device NAME: `dmsetup info` fails and
#                         `dmsetup ls` does not list it
#   tl_sysfs NAME         /sys/dev/block/MAJ:MIN of device-mapper device NAME
#   tl_field NAME N       field N of `dmsetup status NAME` (1 = start, 3 =
#                         target type, 4 = key GUID, ..., 13 = errors)
# Keys:
#   tl_key_add GUID FILE  like mkey_add_key, but the key gets permissions
#                         that let root revoke it later (as mkey activate
#                         does: born in the session keyring, setperm, link)
#   tl_key_hex FILE       the key material as lower-case hex
#   tl_key_serial GUID    serial of mkey:GUID in the module keyring (also
#                         revoked/expired ones, and ones root may only view)
#   tl_key_drop GUID      unlink mkey:GUID from the module keyring (if there)
#   tl_key_not_in FILE KEYFILE...
#                         true if no key's hex (whole, or either XTS half,
#                         packed or byte-spaced) appears in FILE
# Data:
#   tl_write FILE DEV BYTE_OFFSET BS
#                         O_DIRECT write of FILE at BYTE_OFFSET (a multiple
#                         of BS), fsync'ed
#   tl_readcmp FILE DEV BYTE_OFFSET BS
#                         O_DIRECT read of FILE's size at BYTE_OFFSET equals FILE
#   MSG_*                 the target's ti->error texts (MSG_KCV, ...)

MKEY_BIN=${MKEY_BIN:-mkey}

# The target's ti->error texts (kernel/mkey-target.c, mkey-label.c,
# mkey-keyring.c), for expect_fail_msg.
# shellcheck disable=SC2034 # used by the tests that source this file
{
	MSG_ARGC="Invalid argument count: need <device> <key GUID> [<#opt_params> <opt_params>...]"
	MSG_GUID="Invalid key GUID: expected 8-4-4-4-12 hexadecimal digits"
	MSG_NOPT="Invalid number of optional parameters"
	MSG_UNKOPT="Unknown optional parameter"
	MSG_OPEN="Cannot open device"
	MSG_READ="Cannot read the volume label from the device"
	MSG_NOLABEL="No valid dm-mkey label on the device (both copies missing or corrupt)"
	MSG_SMALL="No valid dm-mkey label on the device (device too small)"
	MSG_OTHER="The device label is for a different key GUID"
	MSG_PASTEND="The label's data area extends past the end of the device"
	MSG_LEN="Target length exceeds the volume's data area"
	MSG_LENMUL="Target length is not a multiple of the volume's sector size"
	MSG_INACTIVE="Key is not active: no mkey:<GUID> key in the dm-mkey keyring"
	MSG_REVOKED="Key is not usable (revoked or expired)"
	MSG_KEYLEN="Active key has the wrong length for the volume's key size"
	MSG_KCV="Wrong key: key check value does not match the volume label"
}

# The guest's busybox sh runs its own applets ahead of PATH (the image's
# busybox is built with FEATURE_SH_STANDALONE): a plain `dd` is busybox dd,
# which quietly drops O_DIRECT when the kernel refuses it (a 512-byte
# "oflag=direct" write to a 4096-byte-sector device succeeds, buffered), and
# busybox losetup has no --show. These tests want the real tools, which the
# image has; a function wins over an applet. (Commands run through sh -c,
# timeout or xargs still get the applet: name the path there.)
dd() { /usr/bin/dd "$@"; }
grep() { /usr/bin/grep "$@"; }
losetup() { /usr/sbin/losetup "$@"; }

# _tl_run CMD...: run CMD quietly; on failure show its output as diagnostics.
_tl_run() {
	if "$@" >"$KTAP_STATE/tl.out" 2>&1; then
		return 0
	else
		_tl_rc=$?
	fi
	diag "\$ $* (exit status $_tl_rc)"
	diag_file "$KTAP_STATE/tl.out" 20
	return "$_tl_rc"
}

tl_require_bins() {
	for _tb in "$@"; do
		command -v "$_tb" >/dev/null 2>&1 ||
			ktap_skip_all "$_tb is not in the image (not built, or its build failed)"
	done
}

tl_format() {
	_tl_run "$MKEY_BIN" format "$1" --raw-key "$2" --guid "$3" \
		--sector-size "${4:-4096}" --force
}

tl_label() {
	"$MKEY_BIN" dump "$1" --json 2>/dev/null |
		sed -n "s/^ *\"$2\": *\\([0-9][0-9]*\\).*/\\1/p" | head -n 1 | grep .
}

tl_table() {
	_tt_dev=$1
	_tt_guid=$2
	shift 2
	_tt_len=
	if [ $# -gt 0 ]; then
		_tt_len=$1
		shift
	fi
	[ -n "$_tt_len" ] || _tt_len=$(tl_label "$_tt_dev" data_sectors) || return 1
	echo "0 $_tt_len mkey $_tt_dev $_tt_guid${*:+ $*}"
}

tl_create() {
	_tc_name=$1
	_tc_dev=$2
	_tc_guid=$3
	shift 3
	_tc_table=$(tl_table "$_tc_dev" "$_tc_guid" "" "$@") || return 1
	_tl_run dmsetup create "$_tc_name" --table "$_tc_table"
}

tl_remove() {
	dmsetup info "$1" >/dev/null 2>&1 || return 0
	dmsetup remove "$1"
}

tl_absent() {
	dmsetup info "$1" >/dev/null 2>&1 && return 1
	! dmsetup ls 2>/dev/null | awk '{ print $1 }' | grep -qx -- "$1"
}

tl_sysfs() {
	_ts=$(dmsetup info -c --noheadings -o major,minor --separator : "$1") || return 1
	echo "/sys/dev/block/$(echo "$_ts" | tr -d ' ')"
}

tl_field() {
	dmsetup status "$1" | awk -v n="$2" '{ print $n }'
}

tl_key_add() {
	_tk_guid=$(printf '%s' "$1" | tr 'a-f' 'A-F')
	_tk_ring=$(mkey_keyring) || return 1
	_tk=$(keyctl padd logon "mkey:$_tk_guid" @s <"$2") || return 1
	# possessor: all; user (root, not possessing the module keyring): all
	keyctl setperm "$_tk" 0x3f3f0000 &&
		keyctl link "$_tk" "$_tk_ring" &&
		keyctl unlink "$_tk" @s >/dev/null || return 1
	echo "$_tk"
}

tl_key_hex() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}

# Keys added as the document shows (keyctl padd ... <keyring>) only let root
# view them (root does not possess the module keyring), so `keyctl search`
# cannot find them: list the keyring and match descriptions instead.
tl_key_serial() {
	_tk_ring=$(mkey_keyring) || return 1
	_tk_desc="mkey:$(printf '%s' "$1" | tr 'a-f' 'A-F')"
	for _tk in $(keyctl rlist "$_tk_ring" 2>/dev/null); do
		case "$(keyctl rdescribe "$_tk" 2>/dev/null)" in
		logon\;*\;"$_tk_desc")
			echo "$_tk"
			return 0
			;;
		esac
	done
	return 1
}

tl_key_drop() {
	_tk_ring=$(mkey_keyring) || return 1
	while _tk=$(tl_key_serial "$1"); do
		keyctl unlink "$_tk" "$_tk_ring" >/dev/null || return 1
	done
	return 0
}

tl_key_not_in() {
	_tn_file=$1
	shift
	for _tn_key in "$@"; do
		_tn_hex=$(tl_key_hex "$_tn_key")
		_tn_half=$((${#_tn_hex} / 2))
		for _tn_pat in "$_tn_hex" \
			"$(printf '%s' "$_tn_hex" | cut -c "1-$_tn_half")" \
			"$(printf '%s' "$_tn_hex" | cut -c "$((_tn_half + 1))-")"; do
			# the first 12 bytes of the pattern, packed and "%*ph"-spaced
			_tn_p=$(printf '%s' "$_tn_pat" | cut -c 1-24)
			_tn_s=$(printf '%s' "$_tn_p" | sed 's/../& /g; s/ $//')
			if grep -qiF -e "$_tn_p" -e "$_tn_s" "$_tn_file"; then
				diag "key material of $_tn_key found in $_tn_file"
				return 1
			fi
		done
	done
	return 0
}

tl_write() {
	_tl_run dd if="$1" of="$2" bs="$4" seek=$(($3 / $4)) oflag=direct conv=notrunc,fsync
}

tl_readcmp() {
	_tr_size=$(wc -c <"$1")
	dd if="$2" bs="$4" skip=$(($3 / $4)) count=$((_tr_size / $4)) iflag=direct 2>/dev/null |
		cmp - "$1"
}
