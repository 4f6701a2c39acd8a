# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for guest test scripts (busybox ash inside the test VM).
#
#   #!/bin/sh
#   # timeout: 300
#   . /mkey/tests/lib.sh
#   ktap_plan 2
#   check "load dm-mkey" mkey_load_module
#   expect_fail_msg "bad GUID refused" "Invalid key GUID" \
#           dmsetup create x --table "0 8 mkey /dev/ram0 nonsense"
#   ktap_done
#
# KTAP emitters (from ktap.sh): ktap_plan, ktap_skip_all, ok, fail, skip,
# todo, diag, diag_file, check, check_fail, ktap_done. See docs/testing.md.
#
# Kernel log:
#   kmsg_mark [TEXT]         write a marker line into the kernel log
#   kmsg_since               kernel log lines after the latest kmsg_mark
#   expect_fail_msg NAME MSG CMD...
#                            ok if CMD fails AND the kernel log lines it
#                            produced contain MSG (e.g. a ti->error text)
#   expect_kmsg NAME MSG CMD...
#                            ok if CMD succeeds and its kernel log lines
#                            contain MSG
# dm-mkey:
#   mkey_have_module         true if /mkey/dm-mkey.ko is in the image
#   mkey_require_module      ktap_skip_all unless it is (call before ktap_plan)
#   mkey_load_module [ARGS]  modprobe dm-mod and the module's dependencies,
#                            then insmod /mkey/dm-mkey.ko (no-op when loaded)
#   mkey_unload_module       rmmod dm_mkey
#   mkey_keyring             print the module keyring's serial number
#   mkey_add_key GUID FILE   keyctl padd logon mkey:GUID <keyring> < FILE;
#                            prints the new key's serial
#   mkey_gen_key FILE [BYTES]  random key material (default 64 bytes, AES-256-XTS)
#   mkey_gen_guid            a random upper-case GUID
#   aes_xts_ref KEYFILE SECTOR IN OUT
#                            reference AES-XTS (OpenSSL AES + awk XTS) of one
#                            data unit with IV plain64(SECTOR), to check
#                            ciphertext on the device
# Devices:
#   ramdisk_create KIB [N]   (re)load brd: N (default 1) ramdisks /dev/ram0..
#                            of KIB KiB each
# Cleanup:
#   cleanup_add 'CMD'        run CMD (a shell string) when the script exits,
#                            last added first; errors are ignored
# Syslog:
#   syslog_start FILE        busybox syslogd writing every line to FILE until
#                            the script exits; waits up to 5 s for /dev/log
# Narration (the demo):
#   step TEXT                "# == TEXT"
#   run CMD...               show "# $ CMD", run it, show its output as "# "
#                            lines; returns CMD's exit status

MKEY_TESTS=${MKEY_TESTS:-/mkey/tests}
MKEY_KO=${MKEY_KO:-/mkey/dm-mkey.ko}
MKEY_KEYRING_PARAM=/sys/module/dm_mkey/parameters/keyring
MKEY_TEST=${MKEY_TEST:-$(basename "$0" .sh)}

# shellcheck source=tests/lib/ktap.sh
. "$MKEY_TESTS/ktap.sh"

# ------------------------------------------------------------ kernel log

# Every result also goes into the kernel log, so kernel messages can be
# matched to the test step that caused them (build/vm/logs/NAME.kernel.log).
ktap_on_result() {
	echo "mkey-test: $MKEY_TEST: $2 $1 $3" >/dev/kmsg 2>/dev/null
}

_kmsg_seq=0
kmsg_mark() {
	_kmsg_seq=$((_kmsg_seq + 1))
	KMSG_MARK="mkey-test: mark $$.$_kmsg_seq${1:+ $1}"
	echo "$KMSG_MARK" >/dev/kmsg
}

kmsg_since() {
	dmesg | awk -v m="$KMSG_MARK" 'found { print; next } index($0, m) { found = 1 }'
}

# _kmsg_expect NAME MSG WANT CMD...: WANT is "fail" or "succeed".
_kmsg_expect() {
	_ename=$1
	_emsg=$2
	_ewant=$3
	shift 3
	kmsg_mark "$_ename"
	if "$@" >"$KTAP_STATE/out" 2>&1; then _erc=0; else _erc=$?; fi
	kmsg_since >"$KTAP_STATE/kmsg"
	_ewhy=
	if [ "$_ewant" = fail ] && [ "$_erc" -eq 0 ]; then
		_ewhy="the command succeeded but was expected to fail"
	elif [ "$_ewant" = succeed ] && [ "$_erc" -ne 0 ]; then
		_ewhy="the command failed with exit status $_erc"
	elif ! grep -qF -- "$_emsg" "$KTAP_STATE/kmsg"; then
		_ewhy="the kernel log does not say: $_emsg"
	fi
	if [ -z "$_ewhy" ]; then
		ok "$_ename"
		return 0
	fi
	diag "\$ $*"
	diag_file "$KTAP_STATE/out" 20
	diag "kernel log since the command started:"
	diag_file "$KTAP_STATE/kmsg" 20
	fail "$_ename" "$_ewhy"
	return 1
}

expect_fail_msg() {
	_xn=$1
	_xm=$2
	shift 2
	_kmsg_expect "$_xn" "$_xm" fail "$@"
}

expect_kmsg() {
	_xn=$1
	_xm=$2
	shift 2
	_kmsg_expect "$_xn" "$_xm" succeed "$@"
}

# ------------------------------------------------------------ dm-mkey

mkey_have_module() {
	[ -f "$MKEY_KO" ]
}

mkey_require_module() {
	mkey_have_module || ktap_skip_all "dm-mkey.ko is not built (no $MKEY_KO in the image)"
}

mkey_load_module() {
	[ -d /sys/module/dm_mkey ] && return 0
	if ! mkey_have_module; then
		echo "mkey_load_module: $MKEY_KO is not in the image (is kernel/ built?)" >&2
		return 1
	fi
	modprobe dm-mod || return 1
	for _dep in $(modinfo -F depends "$MKEY_KO" | tr ',' ' '); do
		modprobe "$_dep" || return 1
	done
	insmod "$MKEY_KO" "$@"
}

mkey_unload_module() {
	[ -d /sys/module/dm_mkey ] || return 0
	rmmod dm_mkey
}

mkey_keyring() {
	if [ ! -r "$MKEY_KEYRING_PARAM" ]; then
		echo "mkey_keyring: no $MKEY_KEYRING_PARAM (is dm-mkey loaded?)" >&2
		return 1
	fi
	cat "$MKEY_KEYRING_PARAM"
}

mkey_add_key() {
	_guid=$(printf '%s' "$1" | tr 'a-f' 'A-F')
	_ring=$(mkey_keyring) || return 1
	keyctl padd logon "mkey:$_guid" "$_ring" <"$2"
}

mkey_gen_key() {
	head -c "${2:-64}" /dev/urandom >"$1"
}

mkey_gen_guid() {
	tr 'a-f' 'A-F' </proc/sys/kernel/random/uuid
}

# ------------------------------------------------------------ reference AES-XTS

# aes_xts_ref KEYFILE SECTOR IN OUT: encrypt IN, one XTS data unit (16 to
# 4096 bytes, a multiple of 16), with AES-XTS and IV = SECTOR as a 64-bit
# little-endian number (plain64), into OUT. KEYFILE holds K1||K2 (32, 48 or
# 64 bytes). OpenSSL's AES-ECB does the block cipher and awk the XTS mode,
# so the result is independent of the kernel's crypto.
aes_xts_ref() {
	_xk=$(hexdump -ve '1/1 "%02x"' "$1")
	case ${#_xk} in
	64) _xc=aes-128-ecb ;;
	96) _xc=aes-192-ecb ;;
	128) _xc=aes-256-ecb ;;
	*) echo "aes_xts_ref: $1 must hold 32, 48 or 64 bytes" >&2; return 1 ;;
	esac
	_xh=$((${#_xk} / 2))
	_xk1=$(printf '%s' "$_xk" | cut -c "1-$_xh")
	_xk2=$(printf '%s' "$_xk" | cut -c "$((_xh + 1))-")
	_xiv=$(awk -v s="$2" 'BEGIN { for (i = 0; i < 16; i++) { printf "%02x", (i < 8) ? s % 256 : 0; s = int(s / 256) } }')
	_xt=$(printf '%s' "$_xiv" | xxd -r -p | openssl enc "-$_xc" -K "$_xk2" -nopad | hexdump -ve '1/1 "%02x"') || return 1
	_xp=$(hexdump -ve '1/1 "%02x"' "$3")
	_aes_xts_tweak "$_xt" "$_xp" | xxd -r -p | openssl enc "-$_xc" -K "$_xk1" -nopad >"$4.cc" || return 1
	_aes_xts_tweak "$_xt" "$(hexdump -ve '1/1 "%02x"' "$4.cc")" | xxd -r -p >"$4"
	rm -f "$4.cc"
}

# _aes_xts_tweak T0 DATA: DATA (hex) XOR the XTS tweaks T0, T0*a, T0*a^2...
# (one per 16-byte block, multiplication in GF(2^128), little-endian).
_aes_xts_tweak() {
	awk -v t0="$1" -v d="$2" '
	function hv(s) { return index("0123456789abcdef", substr(s, 1, 1)) * 16 - 17 + index("0123456789abcdef", substr(s, 2, 1)) }
	BEGIN {
		for (i = 0; i < 16; i++) t[i] = hv(substr(t0, 2 * i + 1, 2))
		n = length(d) / 32
		for (j = 0; j < n; j++) {
			for (i = 0; i < 16; i++)
				printf "%02x", xor(hv(substr(d, 32 * j + 2 * i + 1, 2)), t[i])
			c = rshift(t[15], 7)
			for (i = 15; i > 0; i--) t[i] = and(lshift(t[i], 1), 255) + rshift(t[i - 1], 7)
			t[0] = xor(and(lshift(t[0], 1), 255), c * 135)
		}
		printf "\n"
	}'
}

# ------------------------------------------------------------ devices

ramdisk_create() {
	if [ -d /sys/module/brd ]; then
		rmmod brd || return 1
	fi
	modprobe brd rd_nr="${2:-1}" rd_size="$1" max_part=0
}

# ------------------------------------------------------------ cleanup

_cleanup_cmds=
cleanup_add() {
	_cleanup_cmds="$1
$_cleanup_cmds"
}

_cleanup_run() {
	_c_list=$_cleanup_cmds
	_cleanup_cmds=
	printf '%s\n' "$_c_list" | while IFS= read -r _c; do
		[ -n "$_c" ] && eval "$_c" >/dev/null 2>&1
	done
	return 0
}
trap '_cleanup_run' EXIT
trap '_cleanup_run; exit 130' INT TERM

# ------------------------------------------------------------ syslog

syslog_start() {
	syslogd -n -O "$1" &
	cleanup_add "kill $!"
	_sl_i=0
	while [ ! -S /dev/log ] && [ $_sl_i -lt 50 ]; do
		sleep 0.1
		_sl_i=$((_sl_i + 1))
	done
}

# ------------------------------------------------------------ narration

step() {
	echo "#"
	echo "# == $*"
}

run() {
	if [ $# -ge 3 ] && [ "$1" = sh ] && [ "$2" = -c ]; then
		echo "# \$ $3"
	else
		echo "# \$ $*"
	fi
	if "$@" >"$KTAP_STATE/run" 2>&1; then _rrc=0; else _rrc=$?; fi
	sed 's/^/#   /' "$KTAP_STATE/run"
	[ "$_rrc" -eq 0 ] || echo "#   (exit status $_rrc)"
	return "$_rrc"
}
