#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
# disks: 64M
#
# Flushes and FUA reach the device below an mkey mapping.
#
# The device below is a virtio disk, which has a write cache, so the mapped
# device inherits one and the block layer passes flushes and FUA down to
# the target. tracefs' block_bio_queue event then shows what dm-mkey sends
# to the disk: an fsync must produce an empty PREFLUSH bio there (rwbs
# "FWS"), an O_DSYNC direct write a FUA write ("WFS"), and an ordinary
# direct write neither.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh

mkey_require_module
tl_require_bins mkey

ktap_plan 7

T=/sys/kernel/tracing
key=/tmp/flush.key
guid=$(mkey_gen_guid)
mkey_gen_key "$key" 64

setup() {
	mkey_load_module &&
	grep -qx "write back" /sys/block/vda/queue/write_cache &&
	tl_format /dev/vda "$key" "$guid" 4096 &&
	mkey activate --raw-key "$key" --guid "$guid" >/dev/null &&
	mkey open /dev/vda flush
}
check "mkey volume over a virtio disk with a write cache" setup
cleanup_add 'mkey close flush'

dm=$(tl_sysfs flush)
check "the mapped device has a write cache too" \
	grep -qx "write back" "$dm/queue/write_cache"

trace_on() {
	{ [ -d $T/events ] || mount -t tracefs tracefs $T; } &&
	echo 0 >$T/tracing_on && : >$T/trace &&
	echo 1 >$T/events/block/block_bio_queue/enable &&
	echo 1 >$T/tracing_on
}
check "tracefs block_bio_queue enabled" trace_on

# The trace names devices "major,minor".
vda=$(tr ':' ',' </sys/block/vda/dev)

# rwbs of the bios queued to vda since the last call.
vda_bios() {
	echo 0 >$T/tracing_on
	awk -v dev="$vda" '/block_bio_queue:/ { for (i = 1; i < NF; i++) if ($i == dev) { print $(i + 1); break } }' $T/trace
	: >$T/trace
	echo 1 >$T/tracing_on
}

head -c 4096 /dev/urandom >/tmp/blk

vda_bios >/dev/null
dd if=/tmp/blk of=/dev/mapper/flush bs=4096 oflag=direct 2>/dev/null
vda_bios >/tmp/plain.rwbs
check "a plain direct write reaches vda without flush or FUA" \
	sh -c 'grep -qx "WS" /tmp/plain.rwbs && ! grep -q "F" /tmp/plain.rwbs || { cat /tmp/plain.rwbs; exit 1; }'

dd if=/tmp/blk of=/dev/mapper/flush bs=4096 oflag=direct,dsync 2>/dev/null
vda_bios >/tmp/fua.rwbs
check "an O_DSYNC direct write reaches vda as a FUA write" \
	sh -c 'grep -q "^WF" /tmp/fua.rwbs || { cat /tmp/fua.rwbs; exit 1; }'

dd if=/tmp/blk of=/dev/mapper/flush bs=4096 oflag=direct conv=fsync 2>/dev/null
vda_bios >/tmp/fsync.rwbs
check "fsync sends a PREFLUSH down to vda" \
	sh -c 'grep -q "^FW" /tmp/fsync.rwbs || { cat /tmp/fsync.rwbs; exit 1; }'

echo 0 >$T/events/block/block_bio_queue/enable
check "the data written is intact" tl_readcmp /tmp/blk /dev/mapper/flush 0 4096
