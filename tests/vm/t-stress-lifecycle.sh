#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# Concurrent I/O while mappings are created, suspended, resumed, reloaded
# and removed (docs/reliability.md, "Load"):
#   - fio with 2 jobs on each of two mkey volumes (4 jobs, queue depth 16,
#     4-128 KiB random writes with crc32c headers, every block read back
#     and verified after each pass), while
#   - a loop creates a third mapping, writes a pattern through it,
#     suspends and resumes it, reloads it with allow_discards toggled,
#     reads the pattern back, removes it; and, on the two busy volumes,
#     suspends and resumes them (flushing and --noflush), reloads them with
#     a new table and resumes, and reads their status, all under the fio
#     load; and takes CPU 1 offline and online again (the target queues
#     crypto work to a chosen CPU: it must still run when that CPU goes);
#   - afterwards both busy volumes are removed and created again, and fio
#     --verify_only finds every block of the last pass intact.
# fio --verify stays clean, every lifecycle step succeeds, no bio is
# counted as an error, and the kernel log has no allocation failure (the
# runner fails the test on any oops, WARNING or hung task).
# STRESS_SCALE multiplies the fio passes (make stress).
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
. /mkey/tests/stress-lib.sh
mkey_require_module
tl_require_bins mkey

ktap_plan 26

check "load dm-mkey" mkey_load_module
check "three 80 MiB ramdisks" ramdisk_create 81920 3
cleanup_add 'tl_remove vol0; tl_remove vol1; tl_remove vol2; rmmod brd'

K0=/tmp/k0
K1=/tmp/k1
mkey_gen_key $K0 64
mkey_gen_key $K1 32
G0=$(mkey_gen_guid)
G1=$(mkey_gen_guid)
check "format ram0, ram1: AES-256, 4096-byte sectors" \
	sh -c "mkey format /dev/ram0 --raw-key $K0 --guid $G0 --force >/dev/null &&
	       mkey format /dev/ram1 --raw-key $K0 --guid $G0 --force >/dev/null"
check "format ram2: AES-128, 512-byte sectors" \
	tl_format /dev/ram2 $K1 "$G1" 512
mkey_add_key "$G0" $K0 >/dev/null
mkey_add_key "$G1" $K1 >/dev/null
T0=$(tl_table /dev/ram0 "$G0")
T1=$(tl_table /dev/ram1 "$G0")
T2=$(tl_table /dev/ram2 "$G1")
check "create vol0 and vol1" sh -c "dmsetup create vol0 --table '$T0' && dmsetup create vol1 --table '$T1'"

# Two jobs per volume, each on its own 32 MiB half; the same parameters and
# seed let fio --verify_only check the last pass later.
PASSES=$(scaled 4)
fio_args() {
	echo "--name=load$1 --filename=/dev/mapper/vol$1 --ioengine=libaio --direct=1 \
--iodepth=16 --numjobs=2 --size=32M --offset_increment=32M --rw=randwrite \
--bsrange=4k-128k --verify=crc32c --verify_fatal=1 --randseed=$((4242 + $1)) \
--group_reporting"
}
# shellcheck disable=SC2046 # fio_args is a word list
fio $(fio_args 0) --loops="$PASSES" >/tmp/fio0.log 2>&1 &
fio0=$!
# shellcheck disable=SC2046
fio $(fio_args 1) --loops="$PASSES" >/tmp/fio1.log 2>&1 &
fio1=$!
cleanup_add "kill $fio0 $fio1"

# -- the lifecycle loop, while fio runs
dd if=/dev/urandom of=/tmp/pat bs=64k count=1 2>/dev/null
failures=/tmp/lifecycle.failures
: >$failures
# step WHAT CMD...: run CMD; on failure note WHAT and its output
step_ok() {
	_what=$1
	shift
	if ! "$@" >/tmp/step.out 2>&1; then
		{ echo "cycle $cycle: $_what failed: $*"; cat /tmp/step.out; } >>$failures
		return 1
	fi
}
opt_for() {
	[ $(($1 % 2)) = 0 ] && echo "1 allow_discards"
}
busy() {
	alive $fio0 || alive $fio1
}
CPU1=/sys/devices/system/cpu/cpu1/online
hotplugs=0
cycle=0
creates=0
suspends=0
reloads=0
removes=0
min_cycles=$(scaled 30)
start=$(date +%s)
while busy || [ $cycle -lt "$min_cycles" ]; do
	cycle=$((cycle + 1))
	off=$(((cycle % 64) * 65536))
	# a short-lived mapping: create, write, suspend/resume, reload, read, remove
	step_ok "create vol2" dmsetup create vol2 --table "$T2" && creates=$((creates + 1))
	step_ok "write vol2" tl_write /tmp/pat /dev/mapper/vol2 $off 65536
	step_ok "suspend vol2" dmsetup suspend vol2 && suspends=$((suspends + 1))
	step_ok "resume vol2" dmsetup resume vol2
	step_ok "reload vol2" dmsetup reload vol2 --table "$T2 $(opt_for $cycle)" &&
		step_ok "resume vol2 (new table)" dmsetup resume vol2 && reloads=$((reloads + 1))
	step_ok "read vol2 back" tl_readcmp /tmp/pat /dev/mapper/vol2 $off 65536
	step_ok "remove vol2" dmsetup remove vol2 && removes=$((removes + 1))
	# the busy volumes: suspend/resume and reload under fio
	v=vol$((cycle % 2))
	eval "t=\$T$((cycle % 2))"
	if [ $((cycle % 3)) = 0 ]; then
		step_ok "suspend --noflush $v" dmsetup suspend --noflush $v
	else
		step_ok "suspend $v" dmsetup suspend $v
	fi && suspends=$((suspends + 1))
	step_ok "resume $v" dmsetup resume $v
	# shellcheck disable=SC2154 # t is set by eval
	step_ok "reload $v" dmsetup reload $v --table "$t $(opt_for $((cycle / 2)))" &&
		step_ok "resume $v (new table)" dmsetup resume $v && reloads=$((reloads + 1))
	step_ok "status $v" dmsetup status $v
	# CPU 1 goes while work may be queued to it, and comes back
	if [ -w $CPU1 ]; then
		step_ok "cpu1 offline" sh -c "echo 0 >$CPU1" &&
			step_ok "cpu1 online" sh -c "echo 1 >$CPU1" && hotplugs=$((hotplugs + 1))
	fi
done
secs=$(($(date +%s) - start))
diag "$cycle cycles in ${secs}s: $creates creates, $suspends suspends, $reloads reloads, $removes removes, $hotplugs CPU 1 offline/online"
check "every lifecycle step succeeded" test ! -s $failures
[ -s $failures ] && diag_file $failures 30
check "at least $min_cycles cycles ran" test "$cycle" -ge "$min_cycles"
check "CPU 1 went offline and online in every cycle" test "$hotplugs" = "$cycle"
check "no CPU is offline at the end" test -z "$(cat /sys/devices/system/cpu/offline)"

rc0=0
wait $fio0 || rc0=$?
rc1=0
wait $fio1 || rc1=$?
check "fio on vol0 ended with status 0" test $rc0 = 0
check "fio on vol1 ended with status 0" test $rc1 = 0
check "fio --verify on vol0 is clean" fio_clean /tmp/fio0.log
check "fio --verify on vol1 is clean" fio_clean /tmp/fio1.log
[ $rc0 = 0 ] || diag_file /tmp/fio0.log 30
[ $rc1 = 0 ] || diag_file /tmp/fio1.log 30
w=$(($(fio_mib /tmp/fio0.log WRITE) + $(fio_mib /tmp/fio1.log WRITE)))
r=$(($(fio_mib /tmp/fio0.log READ) + $(fio_mib /tmp/fio1.log READ)))
check "fio wrote and verified what it planned (4 jobs x 32 MiB x $PASSES passes)" \
	test "$w" -ge $((128 * PASSES)) -a "$r" -ge $((128 * PASSES))
figure "lifecycle: $w MiB written and $r MiB read back and verified by 4 fio jobs in ${secs}s;" \
	"$cycle cycles: $creates creates, $suspends suspends, $reloads reloads, $removes removes," \
	"$hotplugs CPU 1 offline/online"

errors_of() {
	test "$(tl_field "$1" 13)" = 0
}
check "vol0 counted no failed bio" errors_of vol0
check "vol1 counted no failed bio" errors_of vol1

# -- nothing lost: remove, create again, verify the last pass
check "remove vol0 and vol1" sh -c "dmsetup remove vol0 && dmsetup remove vol1"
check "no mapping is left" sh -c "! dmsetup ls | grep -q vol"
check "create vol0 and vol1 again" sh -c "dmsetup create vol0 --table '$T0' && dmsetup create vol1 --table '$T1'"
# shellcheck disable=SC2046
check "vol0: fio --verify_only finds the last pass intact" \
	sh -c "fio $(fio_args 0) --verify_only >/tmp/v0.log 2>&1 && ! grep -q 'verify:' /tmp/v0.log"
# shellcheck disable=SC2046
check "vol1: fio --verify_only finds the last pass intact" \
	sh -c "fio $(fio_args 1) --verify_only >/tmp/v1.log 2>&1 && ! grep -q 'verify:' /tmp/v1.log"
check "verify_only read all 64 MiB of each" \
	test "$(fio_mib /tmp/v0.log READ)" -ge 64 -a "$(fio_mib /tmp/v1.log READ)" -ge 64
check "remove them" sh -c "dmsetup remove vol0 && dmsetup remove vol1"
check "rmmod dm_mkey once no mapping is left" rmmod dm_mkey
check "no allocation failure or crypto error in the kernel log" kmsg_clean
dmesg >/tmp/kmsg
check "no key material in the kernel log" tl_key_not_in /tmp/kmsg $K0 $K1

ktap_done
