#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
# disks: 128M
#
# Faults below an mkey volume that carries ext4 (with its journal), while
# files are being written and fsync'ed (docs/reliability.md, "Faults"):
#
#   /mnt                 ext4, data=ordered
#   /dev/mapper/top      mkey (AES-256, 4096-byte sectors)
#   /dev/mapper/lower    linear over the virtio disk /dev/vda; its table is
#                        swapped, under the writers, to
#     power cut  dm-flakey drop_writes: every write from then on is silently
#                lost, as in a crash (the xfstests way)
#     error      dm-flakey error_writes: writes fail, reads work
#     dead       the dm error target: every read and write fails
#     flaky      dm-flakey up 1 s / down 1 s: all I/O fails half the time
#
# A writer writes files from a pool of known contents, each with fsync, and
# records each file whose fsync returned, and whether before the fault
# began. After each
# fault: the writer is stopped and ext4 unmounted (still under the fault,
# as a machine that fails and is reset), the fault is cleared, the mkey
# mapping is created again, ext4 is mounted (journal replay), every file
# whose fsync succeeded has its contents (after a power cut: every file
# fsync'ed before it), and e2fsck -f -n is clean.
# During the error faults the writer must have seen EIO (or the read-only
# remount that ext4 makes of it), and the mapping's error counter must
# have risen; during the power cut nothing fails. No oops, no hung task
# (the runner checks the kernel log).
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
. /mkey/tests/stress-lib.sh
mkey_require_module
tl_require_bins mkey

ROUNDS=$(scaled 1)
ktap_plan $((6 + ROUNDS * 4 * 9 + 3))

check "load ext4 and dm-flakey" sh -c "modprobe ext4 && modprobe dm-flakey"
check "load dm-mkey" mkey_load_module
check "virtio disk /dev/vda" test -b /dev/vda
cleanup_add 'touch /tmp/stop; umount /mnt; tl_remove top; tl_remove lower'
mkdir -p /mnt

key=/tmp/key
mkey_gen_key $key 64
G=$(mkey_gen_guid)
check "format /dev/vda" tl_format /dev/vda $key "$G" 4096
mkey_add_key "$G" $key >/dev/null
SZ=$(blockdev --getsz /dev/vda)
DS=$(tl_label /dev/vda data_sectors)
LINEAR="0 $SZ linear /dev/vda 0"
TOP="0 $DS mkey /dev/mapper/lower $G"

setup() {
	dmsetup create lower --table "$LINEAR" && dmsetup create top --table "$TOP" &&
		mkfs.ext4 -q -F /dev/mapper/top && mount -t ext4 /dev/mapper/top /mnt &&
		mkdir /mnt/w
}
check "lower (linear) + top (mkey) + ext4" setup

# A pool of 8 files, 4 KiB to 60 KiB, whose checksums we know.
i=0
while [ $i -lt 8 ]; do
	/usr/bin/dd if=/dev/urandom of=/tmp/pool$i bs=4k count=$((1 + i * 2)) 2>/dev/null
	i=$((i + 1))
done
check "a pool of 8 files of known contents" test -f /tmp/pool7

# writer: /mnt/w/fN <- /tmp/pool(N%8), fsync'ed; each outcome into /tmp/acked
# ("fN ok P" or "fN err MESSAGE"), until /tmp/stop exists.
writer() {
	_n=0
	while [ ! -e /tmp/stop ]; do
		_n=$((_n + 1))
		_p=$((_n % 8))
		if /usr/bin/dd if=/tmp/pool$_p of=/mnt/w/f$_n bs=64k conv=fsync \
			2>/tmp/writer.err; then
			echo "f$_n ok $_p" >>/tmp/acked
		else
			echo "f$_n err $(head -n 1 /tmp/writer.err)" >>/tmp/acked
			sleep 0.1
		fi
	done
}

set_lower() {
	dmsetup suspend lower && dmsetup load lower --table "$1" && dmsetup resume lower
}

# acked_before_fault: files whose fsync returned before the FAULT marker
acked_before_fault() {
	sed '/^FAULT$/,$d' /tmp/acked | awk '$2 == "ok" { print $1, $3 }'
}

# acked_all: every file whose fsync returned 0. A device that fails writes
# (rather than dropping them) never lets an fsync succeed without the data
# on the disk, so after such a fault these must all be intact too.
acked_all() {
	awk '$2 == "ok" { print $1, $3 }' /tmp/acked
}

# intact WHICH: every file of acked_WHICH has its contents
intact() {
	_bad=0
	"acked_$1" >/tmp/expect
	while read -r _f _p; do
		if ! cmp -s "/mnt/w/$_f" "/tmp/pool$_p"; then
			echo "$_f: lost or different"
			_bad=$((_bad + 1))
		fi
	done </tmp/expect
	echo "$(wc -l </tmp/expect) files checked, $_bad lost"
	[ "$_bad" = 0 ]
}

fs_check() {
	e2fsck -f -n /dev/mapper/top >/tmp/fsck.out 2>&1
	_rc=$?
	tail -n 3 /tmp/fsck.out
	[ $_rc = 0 ]
}

# app_saw_errors: the writer saw EIO, or the read-only remount ext4 makes
# after a write error, during the fault
app_saw_errors() {
	sed -n '/^FAULT$/,$p' /tmp/acked | grep ' err ' | head -n 3
	sed -n '/^FAULT$/,$p' /tmp/acked | grep -qE ' err .*(Input/output error|Read-only file system)'
}

total_acked=0
total_dropped=0
total_eio=0
# fault NAME TABLE KIND: one round (9 results). KIND: drop (nothing may
# fail) or error (the writer must see errors, the counter must rise).
fault() {
	_name=$1
	_table=$2
	_kind=$3
	rm -f /tmp/stop /tmp/acked
	writer &
	_wpid=$!
	sleep 3
	_e0=$(tl_field top 13)
	echo FAULT >>/tmp/acked
	check "$_name: fault injected under the writer" set_lower "$_table"
	sleep 3
	touch /tmp/stop
	wait $_wpid
	if [ "$_kind" = drop ]; then
		check "$_name: the writer saw no error (writes vanish silently)" \
			sh -c "! sed -n '/^FAULT\$/,\$p' /tmp/acked | grep ' err '"
		check "$_name: nothing counted as failed" test "$(tl_field top 13)" = "$_e0"
	else
		check "$_name: the application saw EIO (or ext4's read-only remount)" app_saw_errors
		check "$_name: the mapping counted failed bios" test "$(tl_field top 13)" -gt "$_e0"
	fi
	_acked=$(acked_before_fault | wc -l)
	_after=$(sed -n '/^FAULT$/,$p' /tmp/acked | grep -c ' ok ')
	_errs=$(sed -n '/^FAULT$/,$p' /tmp/acked | grep -c ' err ')
	if [ "$_kind" = drop ]; then
		total_acked=$((total_acked + _acked))
		total_dropped=$((total_dropped + _after))
	else
		total_acked=$((total_acked + _acked + _after))
	fi
	total_eio=$((total_eio + _errs))
	diag "$_name: $_acked files fsync'ed before the fault; $_after after it, $_errs failed"
	# the machine fails and is reset: unmount under the fault, then clear it
	umount /mnt 2>/tmp/umount.err || { diag "umount: $(cat /tmp/umount.err)"; umount -l /mnt; }
	check "$_name: fault cleared (lower is linear again)" set_lower "$LINEAR"
	check "$_name: the mkey mapping opens again" \
		sh -c "dmsetup remove top && dmsetup create top --table '$TOP'"
	check "$_name: ext4 mounts (journal replay)" mount -t ext4 /dev/mapper/top /mnt
	if [ "$_kind" = drop ]; then
		check "$_name: every file fsync'ed before the fault is intact" intact before_fault
	else
		check "$_name: every file whose fsync succeeded is intact" intact all
	fi
	check "$_name: unmount" umount /mnt
	check "$_name: e2fsck -f -n is clean" fs_check
	# ready for the next round
	mount -t ext4 /dev/mapper/top /mnt && rm -rf /mnt/w && mkdir /mnt/w && sync
}

r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	fault "power cut $r" "0 $SZ flakey /dev/vda 0 0 1 1 drop_writes" drop
	fault "write errors $r" "0 $SZ flakey /dev/vda 0 0 1 1 error_writes" error
	fault "dead device $r" "0 $SZ error" error
	fault "flaky device $r" "0 $SZ flakey /dev/vda 0 1 1" error
done
figure "faults: $((ROUNDS * 4)) faults injected under ext4 (power cut, write errors, dead device," \
	"flaky device); $total_acked fsync'ed files checked after recovery, 0 lost;" \
	"$total_eio fsync'ed writes failed during faults; $total_dropped acknowledged by the power-cut device and lost as in a crash"

umount /mnt 2>/dev/null
check "the mappings are removed cleanly" sh -c "dmsetup remove top && dmsetup remove lower"
check "no allocation failure or crypto error in the kernel log" kmsg_clean
dmesg >/tmp/kmsg
check "no key material in the kernel log" tl_key_not_in /tmp/kmsg $key

ktap_done
