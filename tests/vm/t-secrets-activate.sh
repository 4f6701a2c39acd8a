#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# Secrets audit (docs/reliability.md, "Secrets"): a key file whose
# password and raw keys we know (two keys imported with key-import: an
# AES-256 one and an AES-128 one), activated
#   - from a terminal (a pty, through util-linux script), the password typed
#     at the prompt;
#   - from a FIFO (--password-file), once while mkey is blocked opening it,
#     and once while it is deriving the key-encryption key from the password
#     (an administrator with a costly KDF);
# and then used (format, open, I/O, status, list, dump, deactivate).
# Neither the password nor any key — as raw bytes, or as hex in either
# case, whole or either XTS half — appears in:
#   - /proc/PID/cmdline and /proc/PID/environ of the running mkey;
#   - the terminal: the pty's transcript (the password is not echoed) and
#     the output of every command;
#   - syslog (busybox syslogd), where the audit lines go, or the kernel log;
#   - a core file: mkey runs with RLIMIT_CORE 0 (checked in /proc/PID/limits)
#     and non-dumpable: SIGABRT while it waits for the password, and
#     while it holds the password in the KDF, leaves no core, where a
#     control process does leave one (core_pattern to a file, ulimit -c
#     unlimited).
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
. /mkey/tests/stress-lib.sh
mkey_require_module
tl_require_bins mkey
command -v script >/dev/null 2>&1 || ktap_skip_all "util-linux script is not in the image (tests/vm/tools.list)"

ktap_plan 42

check "load dm-mkey" mkey_load_module
check "a 64 MiB ramdisk" ramdisk_create 65536 1
mkdir -p /etc/mkey /tmp/cores
cleanup_add 'mkey close vol; mkey deactivate --all'

# -- syslog and core dumps
syslog_start /tmp/syslog
check "syslogd listens on /dev/log" test -S /dev/log
echo '/tmp/cores/core.%e.%p' >/proc/sys/kernel/core_pattern
# shellcheck disable=SC3045 # dash has ulimit -c
ulimit -c unlimited
# no_core: /tmp/cores holds no file
no_core() {
	set -- /tmp/cores/*
	[ ! -e "$1" ]
}
control_core() {
	sh -c 'kill -SEGV $$'
	sleep 0.5
	! no_core
}
check "control: a crashing shell leaves a core file (core_pattern, ulimit work)" control_core
rm -f /tmp/cores/*

# -- the secrets
PW='Correct-Horse 7 Battery Staple!'
PW2='bob: slow derivation, 9 seconds?'
printf '%s\n' "$PW" >/tmp/alice.pw
printf '%s\n' "$PW2" >/tmp/bob.pw
mkey_gen_key /tmp/k256 64
mkey_gen_key /tmp/k128 32
G1=$(mkey_gen_guid)
G2=$(mkey_gen_guid)
KF=/etc/mkey/audit.mkey
CHEAP="--kdf-memory 8192 --kdf-passes 1 --kdf-parallel 1"
SLOW="--kdf-memory 262144 --kdf-passes 4 --kdf-parallel 1"
: >/tmp/term
# run CMD...: CMD's output (stdout and stderr) goes to the terminal log
run_t() {
	"$@" >>/tmp/term 2>&1
}
# shellcheck disable=SC2086 # $CHEAP is a word list
check "keyfile-create (alice)" run_t mkey keyfile-create $KF --admin alice \
	--password-file /tmp/alice.pw $CHEAP
check "key-import an AES-256 key" run_t mkey key-import $KF --raw-key /tmp/k256 \
	--guid "$G1" --default --admin alice --password-file /tmp/alice.pw
check "key-import an AES-128 key" run_t mkey key-import $KF --raw-key - \
	--guid "$G2" --admin alice --password-file /tmp/alice.pw </tmp/k128
# shellcheck disable=SC2086
check "admin-add bob with a costly KDF" run_t mkey admin-add $KF bob --admin alice \
	--password-file /tmp/alice.pw --new-password-file /tmp/bob.pw $SLOW

# -- 1. the password typed on a terminal (a pty)
mkfifo /tmp/tty.in
script -q -f -c "mkey activate --key-file $KF --admin alice" /tmp/typescript \
	</tmp/tty.in >/tmp/script.out 2>&1 &
spid=$!
exec 4>/tmp/tty.in
prompted() {
	for _i in $(seq 1 100); do
		grep -q 'Password of ALICE' /tmp/typescript 2>/dev/null && return 0
		sleep 0.1
	done
	cat /tmp/typescript
	return 1
}
check "mkey asks for alice's password on the terminal" prompted
printf '%s\n' "$PW" >&4
rc=0
wait $spid || rc=$?
exec 4>&-
cat /tmp/typescript >>/tmp/term
check "activation from the terminal succeeded" sh -c "test $rc = 0 && grep -q 'Activated key $G1' /tmp/typescript"
check "both imported keys are active" sh -c "mkey active | grep -q $G1 && mkey active | grep -q $G2"
check "deactivate them" run_t mkey deactivate --key-file $KF

# -- 2. blocked on the password FIFO
mkfifo /tmp/pw.fifo
mkey activate --key-file $KF --admin alice --password-file /tmp/pw.fifo >>/tmp/term 2>&1 &
mpid=$!
sleep 1
# readable NAME: /proc/PID/NAME of mkey, NUL-separated fields as lines
cp_proc() {
	tr '\0' '\n' <"/proc/$1/$2" >"/tmp/proc.$2.$3"
}
check "mkey waits for the password (still running)" alive $mpid
cp_proc $mpid cmdline waiting
cp_proc $mpid environ waiting
grep 'Max core file size' "/proc/$mpid/limits" >/tmp/limits
diag "$(cat /tmp/limits)"
check "its core file size limit is 0" sh -c "grep -Eq 'Max core file size +0 +0 ' /tmp/limits"
kill -ABRT $mpid
rc=0
wait $mpid || rc=$?
check "SIGABRT ends it (exit status $rc)" test "$rc" -gt 128
sleep 0.5
check "no core file" no_core

# -- 3. the password read, the KDF running
mkey activate --key-file $KF --admin bob --password-file /tmp/pw.fifo >>/tmp/term 2>&1 &
mpid=$!
sleep 1
printf '%s\n' "$PW2" >/tmp/pw.fifo
sleep 1
check "mkey derives bob's key (still running, password in memory)" alive $mpid
cp_proc $mpid cmdline kdf
cp_proc $mpid environ kdf
kill -ABRT $mpid
rc=0
wait $mpid || rc=$?
check "SIGABRT in the KDF ends it (exit status $rc)" test "$rc" -gt 128
sleep 0.5
check "no core file" no_core
check "nothing was activated" sh -c "! mkey active | grep -q $G1"

# -- 4. a whole activation from the FIFO, then use the volume
mkey activate --key-file $KF --admin alice --password-file /tmp/pw.fifo >>/tmp/term 2>&1 &
mpid=$!
sleep 1
cp_proc $mpid cmdline full
cp_proc $mpid environ full
printf '%s\n' "$PW" >/tmp/pw.fifo
rc=0
wait $mpid || rc=$?
check "activation from the FIFO succeeded" test $rc = 0
check "format with the AES-256 key" run_t mkey format /dev/ram0 --key-file $KF --key "$G1" \
	--admin alice --password-file /tmp/alice.pw --force
check "open" run_t mkey open /dev/ram0 vol
check "write and read through it" sh -c "dd if=/dev/urandom of=/dev/mapper/vol bs=64k count=16 oflag=direct 2>/dev/null && dd if=/dev/mapper/vol of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null"
for c in "mkey status vol" "mkey list" "mkey active" "mkey keyfile-show $KF" \
	"mkey dump /dev/ram0" "mkey dump /dev/ram0 --json" "dmsetup table" "dmsetup status" \
	"keyctl show @s"; do
	echo "\$ $c" >>/tmp/term
	$c >>/tmp/term 2>&1
done
check "close" run_t mkey close vol
check "deactivate" run_t mkey deactivate --key-file $KF
check "the terminal log shows the work (GUIDs, not keys)" grep -q "$G1" /tmp/term

# -- the audit: no secret anywhere
# hexline FILE: FILE as one line of lower-case hex
hexline() {
	od -An -v -tx1 "$1" | tr -d ' \n'
}
# secret_free FILE: no password (raw, or as hex), no key (raw bytes, or as
# hex text in any case, whole or either half) in FILE
printf '%s' "$PW" >/tmp/pw.raw
printf '%s' "$PW2" >/tmp/pw2.raw
secret_free() {
	[ -f "$1" ] || { echo "$1: missing"; return 1; }
	_h=$(hexline "$1")
	for _s in /tmp/pw.raw /tmp/pw2.raw; do
		_x=$(hexline $_s)
		case $_h in *"$_x"*) echo "$1 holds the password of $_s (raw)"; return 1 ;; esac
		# the password as hex text
		if grep -qiF "$(echo "$_x" | cut -c 1-24)" "$1"; then
			echo "$1 holds the password of $_s as hex"
			return 1
		fi
	done
	for _k in /tmp/k256 /tmp/k128; do
		_x=$(hexline $_k)
		_half=$((${#_x} / 2))
		for _p in "$_x" "$(echo "$_x" | cut -c "1-$_half")" "$(echo "$_x" | cut -c "$((_half + 1))-")"; do
			_p16=$(echo "$_p" | cut -c 1-32)
			case $_h in *"$_p16"*) echo "$1 holds key bytes of $_k (raw)"; return 1 ;; esac
		done
	done
	tl_key_not_in "$1" /tmp/k256 /tmp/k128
}
# The audit must be able to fail: files that do hold the secrets.
hexline /tmp/k128 | tr 'a-f' 'A-F' | cut -c 33- >/tmp/k128.hexhalf
printf 'prefix %s suffix' "$(hexline /tmp/k256 | cut -c 1-64)" >/tmp/k256.hexlow
check_fail "control: the audit finds the password" secret_free /tmp/alice.pw
check_fail "control: the audit finds raw key bytes" secret_free /tmp/k256
check_fail "control: the audit finds the upper-case hex of an XTS half" secret_free /tmp/k128.hexhalf
check_fail "control: the audit finds lower-case hex in text" secret_free /tmp/k256.hexlow
for f in waiting kdf full; do
	check "/proc/PID/cmdline ($f) holds no secret" secret_free /tmp/proc.cmdline.$f
	check "/proc/PID/environ ($f) holds no secret" secret_free /tmp/proc.environ.$f
done
check "the pty transcript holds no secret (no echo)" secret_free /tmp/typescript
check "the terminal output of every command holds no secret" secret_free /tmp/term
sleep 0.5
check "syslog has the audit lines" grep -q "$G1" /tmp/syslog
check "syslog holds no secret" secret_free /tmp/syslog
dmesg >/tmp/kmsg
check "the kernel log holds no secret" secret_free /tmp/kmsg
figure "secrets: password and 2 raw keys (hex and raw, whole and halves) absent from" \
	"cmdline/environ (3 moments), pty transcript, command output, syslog, kernel log;" \
	"RLIMIT_CORE 0; SIGABRT while waiting and in the KDF: no core file"

ktap_done
