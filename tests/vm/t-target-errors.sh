#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# I/O errors below an mkey mapping reach the application, are counted, and
# leave the mapping working once the fault clears. The stack is
#
#   /dev/mapper/top   mkey (AES-256, 4096-byte sectors)
#   /dev/mapper/lower linear over /dev/ram0, its table swapped to inject:
#       1. dm-flakey, always down (every read and write fails)
#       2. the dm error target
#       3. dm-flakey error_writes (reads pass, writes fail)
#
# During each fault: O_DIRECT dd reads and/or writes through the mapping
# fail with "Input/output error" (within a timeout: no hang), fio at queue
# depth 8 fails instead of hanging (async and worker error paths), the
# status error counter rises by exactly the failed bios, and the kernel has
# no oops/BUG/WARNING. After each: data written before the fault reads back
# intact and new writes work.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
mkey_require_module
tl_require_bins mkey

ktap_plan 41

check "load dm-flakey" modprobe dm-flakey
check "load dm-mkey" mkey_load_module
check "16 MiB ramdisk" ramdisk_create 16384 1
cleanup_add 'tl_remove top; tl_remove lower; rmmod brd'

key=/tmp/key
mkey_gen_key $key 64
G=$(mkey_gen_guid)
check "format ram0" tl_format /dev/ram0 $key "$G" 4096
SZ=$(blockdev --getsz /dev/ram0)
DS=$(tl_label /dev/ram0 data_sectors)
LINEAR="0 $SZ linear /dev/ram0 0"
check "lower: linear over ram0" dmsetup create lower --table "$LINEAR"
mkey_add_key "$G" $key >/dev/null
check "top: mkey over lower" dmsetup create top --table "0 $DS mkey /dev/mapper/lower $G"
top=/dev/mapper/top

dd if=/dev/urandom of=/tmp/before bs=64k count=16 2>/dev/null
dd if=/dev/urandom of=/tmp/after bs=64k count=1 2>/dev/null
check "write 1 MiB before any fault" tl_write /tmp/before $top 0 65536

# set_lower TABLE: swap lower's table (suspend, load, resume)
set_lower() {
	dmsetup suspend lower && dmsetup load lower --table "$1" && dmsetup resume lower
}

# eio_dd DD_ARGS...: dd fails within 60 s and says "Input/output error"
eio_dd() {
	timeout 60 /usr/bin/dd "$@" >"$KTAP_STATE/eio" 2>&1
	_rc=$?
	cat "$KTAP_STATE/eio"
	[ $_rc -ne 0 ] && [ $_rc -ne 124 ] && [ $_rc -ne 143 ] &&
		grep -q "Input/output error" "$KTAP_STATE/eio"
}

# read_64k N / write_64k N: one 64 KiB O_DIRECT bio at 64 KiB block N fails
read_64k() {
	eio_dd if=$top of=/dev/null bs=64k skip="$1" count=1 iflag=direct
}
write_64k() {
	eio_dd if=/tmp/after of=$top bs=64k seek="$1" count=1 oflag=direct
}
# fio_fails: fio at queue depth 8 reports errors and ends (within 60 s)
fio_fails() {
	timeout 60 fio --name=fault --filename=$top --direct=1 --ioengine=libaio \
		--iodepth=8 --rw="$1" --bs=16k --size=2M --offset=4M >"$KTAP_STATE/fio" 2>&1
	_rc=$?
	tail -n 5 "$KTAP_STATE/fio"
	[ $_rc -ne 0 ] && [ $_rc -ne 124 ] && [ $_rc -ne 143 ] &&
		grep -q "Input/output error" "$KTAP_STATE/fio"
}
errors() {
	tl_field top 13
}
# errors_rose_by N: the error counter rose by N since the last errors0=...
errors_rose_by() {
	_now=$(errors)
	echo "errors: $errors0 -> $_now (want +$1)"
	[ "$_now" -eq $((errors0 + $1)) ]
}
no_oops() {
	! dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace|general protection'
}
# write_read N: /tmp/after written at 64 KiB block N reads back
write_read() {
	tl_write /tmp/after $top $(($1 * 65536)) 65536 &&
		tl_readcmp /tmp/after $top $(($1 * 65536)) 65536
}
intact() {
	tl_readcmp /tmp/before $top 0 65536
}

# -- 1: dm-flakey, always down (up 0 s, down 1 s)
check "fault 1: lower becomes dm-flakey, always down" set_lower "0 $SZ flakey /dev/ram0 0 0 1"
errors0=$(errors)
check "fault 1: a read fails with EIO" read_64k 0
check "fault 1: a write fails with EIO" write_64k 32
check "fault 1: status counts exactly the 2 failed bios" errors_rose_by 2
check "fault 1: fio randread at QD 8 fails, does not hang" fio_fails randread
check "fault 1: fio randwrite at QD 8 fails, does not hang" fio_fails randwrite
check "fault 1: no oops, BUG or WARNING" no_oops
check "fault 1 cleared: lower is linear again" set_lower "$LINEAR"
errors0=$(errors)
check "fault 1 cleared: data written before it is intact" intact
check "fault 1 cleared: a new write reads back" write_read 32
check "fault 1 cleared: no new errors counted" errors_rose_by 0

# -- 2: the error target
check "fault 2: lower becomes the error target" set_lower "0 $SZ error"
errors0=$(errors)
check "fault 2: a read fails with EIO" read_64k 1
check "fault 2: a write fails with EIO" write_64k 33
check "fault 2: status counts exactly the 2 failed bios" errors_rose_by 2
check "fault 2: fio randrw at QD 8 fails, does not hang" fio_fails randrw
check "fault 2: no oops, BUG or WARNING" no_oops
check "fault 2 cleared: lower is linear again" set_lower "$LINEAR"
check "fault 2 cleared: data written before it is intact" intact
check "fault 2 cleared: I/O works (write, read back)" write_read 33

# -- 3: dm-flakey error_writes: reads work, writes fail
check "fault 3: lower becomes dm-flakey error_writes" \
	set_lower "0 $SZ flakey /dev/ram0 0 0 1 1 error_writes"
errors0=$(errors)
check "fault 3: reads still decrypt the old data" intact
check "fault 3: a write over old data fails with EIO" write_64k 0
check "fault 3: status counts exactly the failed write" errors_rose_by 1
check "fault 3: fio randwrite at QD 8 fails, does not hang" fio_fails randwrite
check "fault 3: no oops, BUG or WARNING" no_oops
check "fault 3 cleared: lower is linear again" set_lower "$LINEAR"
check "fault 3 cleared: the failed write left the old data intact" intact
check "fault 3 cleared: fio randwrite + verify passes" \
	fio --name=ok --filename=$top --direct=1 --ioengine=libaio --iodepth=8 \
	--rw=randwrite --bsrange=4k-64k --size=4M --offset=4M --verify=crc32c --verify_fatal=1

# -- the mapping itself is sound throughout
check "status still reads the key GUID and primary label" \
	sh -c "dmsetup status top | grep -q ' mkey $G aes-xts-plain64 256 4096 primary '"
check "the mapping is removed cleanly" dmsetup remove top
check "lower is removed cleanly" dmsetup remove lower

dmesg >/tmp/kmsg
check "no key material in the kernel log" tl_key_not_in /tmp/kmsg $key
check "no oops, BUG or WARNING at the end" no_oops

ktap_done
