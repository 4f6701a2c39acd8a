#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
# memory: 384
# disks: 384M
#
# Memory pressure (docs/reliability.md, "Memory pressure"): a 384 MiB
# guest with no swap, most of whose free memory is then pinned in tmpfs, so
# that only a few tens of MiB are left for the page cache, fio's buffers
# and the bounce pages that every mkey write holds until the device below
# completes it. Below the mkey volume sits dm-delay (writes delayed 200 ms)
# over a virtio disk, so that encrypted writes pile up in flight, each
# holding its bounce pages:
#   1. fio, 4 jobs at queue depth 16 with 64-256 KiB O_DIRECT random
#      writes, every block verified: many queued bios;
#   2. fio writing through the page cache (buffered, four times the memory
#      that is left), so that writeback, which needs memory for bounce
#      pages, is what frees memory; then reading back and verifying;
#   3. ext4 on the volume (delay removed), 64 files written through the
#      page cache and synced, unmounted, e2fsck -f -n clean, read back.
# Every phase finishes (no failure to make progress; the runner turns a
# task blocked for 120 s into a failure), verifies clean, and the kernel
# log shows no page allocation failure and no OOM kill; the mapping counts
# no failed bio. /proc/vmstat shows that reclaim really ran, and the
# volume's inflight counter that many bios were queued at once.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
. /mkey/tests/stress-lib.sh
mkey_require_module
tl_require_bins mkey

ktap_plan 23

check "load ext4" modprobe ext4
check "load dm-mkey" mkey_load_module
check "virtio disk /dev/vda" test -b /dev/vda
cleanup_add 'umount /mnt; tl_remove vol; tl_remove slow; rm -f /dev/shm/hog*'
mkdir -p /mnt

key=/tmp/key
mkey_gen_key $key 64
G=$(mkey_gen_guid)
check "format /dev/vda" tl_format /dev/vda $key "$G" 4096
mkey_add_key "$G" $key >/dev/null
SZ=$(blockdev --getsz /dev/vda)
DS=$(tl_label /dev/vda data_sectors)
DELAYED="0 $SZ delay /dev/vda 0 0 /dev/vda 0 200"
check "slow: dm-delay over vda, writes delayed 200 ms" \
	sh -c "modprobe dm-delay && dmsetup create slow --table '$DELAYED'"
check "open the volume over it" dmsetup create vol --table "0 $DS mkey /dev/mapper/slow $G"
vol=/dev/mapper/vol

meminfo() {
	awk -v k="$1:" '$1 == k { print int($2 / 1024) }' /proc/meminfo
}
vmstat_sum() {
	awk -v re="$1" '$1 ~ re { s += $2 } END { print s + 0 }' /proc/vmstat
}

# Pin memory in tmpfs (no swap: it cannot be reclaimed) until only LEFT MiB
# are free.
LEFT=64
mount -o remount,size=95% /dev/shm
hog() {
	_i=0
	while [ "$(meminfo MemFree)" -gt $((LEFT + 8)) ]; do
		/usr/bin/dd if=/dev/zero of=/dev/shm/hog$_i bs=1M count=8 2>/dev/null || return 1
		_i=$((_i + 1))
	done
	echo "pinned $((_i * 8)) MiB; MemFree $(meminfo MemFree) MiB, MemAvailable $(meminfo MemAvailable) MiB"
}
diag "before: MemTotal $(meminfo MemTotal) MiB, MemFree $(meminfo MemFree) MiB"
check "pin memory until about $LEFT MiB are free" hog
diag "$(meminfo MemFree) MiB free, $(meminfo MemAvailable) MiB available"
scan0=$(vmstat_sum '^pgscan_')
stall0=$(vmstat_sum '^allocstall_')

# most bios in flight on the volume, sampled while fio runs
dmdev=dm-$(dmsetup info -c --noheadings -o minor vol | tr -d ' ')
inflight_max() {
	_max=0
	while alive "$1"; do
		read -r _r _w <"/sys/block/$dmdev/inflight"
		[ $((_r + _w)) -gt $_max ] && _max=$((_r + _w))
		sleep 0.2
	done
	echo $_max
}

# -- 1. many queued O_DIRECT writes
fio --name=queued --filename=$vol --ioengine=libaio --direct=1 --iodepth=16 --thread \
	--numjobs=4 --size=48M --offset_increment=48M --loops="$(scaled 1)" --rw=randwrite \
	--bsrange=64k-256k --verify=crc32c --verify_fatal=1 --group_reporting \
	>/tmp/fio1.log 2>&1 &
fio1=$!
max1=$(inflight_max $fio1)
rc=0
wait $fio1 || rc=$?
[ $rc = 0 ] || diag_file /tmp/fio1.log 20
check "1: fio (4 jobs, QD 16, 64-256 KiB O_DIRECT writes) ends with status 0" test $rc = 0
check "1: fio --verify is clean" fio_clean /tmp/fio1.log
w1=$(fio_mib /tmp/fio1.log WRITE)
diag "1: $w1 MiB written and verified; up to $max1 bios in flight; $(meminfo MemFree) MiB free"
check "1: up to $max1 bios were in flight at once (>= 32)" test "$max1" -ge 32

# -- 2. buffered writes: writeback must make progress on little memory
SZ2=$((LEFT * 4))
fio --name=buffered --filename=$vol --ioengine=psync --direct=0 --rw=write --thread \
	--bs=1M --size=${SZ2}M --offset=0 --loops="$(scaled 1)" --verify=crc32c --verify_fatal=1 \
	--end_fsync=1 >/tmp/fio2.log 2>&1 &
fio2=$!
max2=$(inflight_max $fio2)
rc=0
wait $fio2 || rc=$?
[ $rc = 0 ] || diag_file /tmp/fio2.log 20
diag "2: up to $max2 bios in flight during writeback; $(meminfo MemFree) MiB free"
check "2: buffered fio (${SZ2} MiB through the page cache) ends with status 0" test $rc = 0
check "2: fio --verify is clean" fio_clean /tmp/fio2.log
w2=$(fio_mib /tmp/fio2.log WRITE)

# -- 3. ext4 through the page cache, at full speed
set_slow() {
	dmsetup suspend slow && dmsetup load slow --table "$1" && dmsetup resume slow
}
check "3: the delay removed (slow becomes linear)" set_slow "0 $SZ linear /dev/vda 0"
rc=0
mkfs.ext4 -q -F $vol >/tmp/mkfs.out 2>&1 || rc=$?
check "3: mkfs.ext4" test $rc = 0
check "3: mount" mount -t ext4 $vol /mnt
/usr/bin/dd if=/dev/urandom of=/tmp/blob bs=1M count=2 2>/dev/null
files() {
	_i=0
	while [ $_i -lt 64 ]; do
		cp /tmp/blob /mnt/f$_i || return 1
		_i=$((_i + 1))
	done
	sync
}
check "3: 64 files of 2 MiB written and synced" files
check "3: unmount" umount /mnt
check "3: e2fsck -f -n is clean" e2fsck -f -n $vol
readback() {
	mount -t ext4 -o ro $vol /mnt || return 1
	_i=0
	while [ $_i -lt 64 ]; do
		cmp /mnt/f$_i /tmp/blob || return 1
		_i=$((_i + 1))
	done
	umount /mnt
}
check "3: every file reads back intact" readback

scanned=$(($(vmstat_sum '^pgscan_') - scan0))
stalls=$(($(vmstat_sum '^allocstall_') - stall0))
diag "reclaim: $scanned pages scanned, $stalls direct-reclaim stalls"
check "reclaim ran (pages were scanned for reclaim)" test "$scanned" -gt 0
check "the mapping counted no failed bio" test "$(tl_field vol 13)" = 0
check "no page allocation failure, no OOM kill, no crypto error" kmsg_clean
figure "memory: 384 MiB guest with $(meminfo MemTotal) MiB total and about $LEFT MiB free;" \
	"$w1 MiB of O_DIRECT writes (up to $max1 bios in flight) and $w2 MiB of buffered writes" \
	"(up to $max2 in flight)" \
	"verified, 64 x 2 MiB ext4 files intact; $scanned pages scanned for reclaim," \
	"$stalls direct-reclaim stalls; no allocation failure"
rm -f /dev/shm/hog*
check "remove the volume" sh -c "dmsetup remove vol && dmsetup remove slow"

ktap_done
