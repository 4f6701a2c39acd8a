#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's guest half (tests/bench/run.sh is the host half): fio on
# brd ramdisks, raw vs stock dm-crypt (aes-xts-plain64, default flags) vs
# dm-mkey, same key and sector size, both sector sizes. Configurations are
# interleaved within each round and rounds repeat, because run-to-run noise
# under TCG (about +-20 %) is larger than the differences measured.
#
# Prints one "# bench: SECTOR CONFIG ROW ROUND VALUE" line per fio run.
. /mkey/tests/lib.sh

# run.sh passes the settings in bench.conf (BENCH_ROUNDS, BENCH_RUNTIME).
[ -f /mkey/tests/bench.conf ] && . /mkey/tests/bench.conf
ROUNDS=${BENCH_ROUNDS:-3}
RUNTIME=${BENCH_RUNTIME:-6}
DISK_MIB=1024

ktap_plan 3

key=/tmp/bench.key
mkey_gen_key "$key" 64
hexkey=$(hexdump -ve '1/1 "%02x"' "$key")

setup() {
	mkey_load_module || return 1
	modprobe dm-crypt || return 1
	ramdisk_create $((DISK_MIB * 1024)) 2 || return 1
	for i in 0 1; do
		ss=$((i == 0 ? 512 : 4096))
		guid=$(mkey_gen_guid)
		dev=/dev/ram$i
		# brd allocates pages on first write: touch every page first.
		dd if=/dev/zero of=$dev bs=1M count=$DISK_MIB 2>/dev/null
		mkey activate --raw-key "$key" --guid "$guid" >/dev/null &&
		mkey format "$dev" --raw-key "$key" --guid "$guid" \
			--sector-size $ss --force >/dev/null &&
		mkey open "$dev" "mkey$ss" || return 1
		sectors=$(blockdev --getsz /dev/mapper/mkey$ss)
		opt=
		[ $ss = 4096 ] && opt=" 1 sector_size:4096"
		dmsetup create "crypt$ss" --table \
			"0 $sectors crypt aes-xts-plain64 $hexkey 0 $dev 2048$opt" ||
			return 1
	done
}
check "set up ramdisks, dm-crypt and dm-mkey mappings" setup

# row -> fio arguments
fio_args() {
	case $1 in
	seqwrite) echo "--rw=write --bs=1M --iodepth=32" ;;
	seqread) echo "--rw=read --bs=1M --iodepth=32" ;;
	randwrite) echo "--rw=randwrite --bs=4k --iodepth=32" ;;
	randread) echo "--rw=randread --bs=4k --iodepth=32" ;;
	randwrite-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	randread-qd1) echo "--rw=randread --bs=4k --iodepth=1" ;;
	esac
}

# One fio run; prints MiB/s (seq), IOPS (rand qd32) or mean latency in
# microseconds (qd1). Terse v3 fields: $7 read KiB/s, $8 read IOPS,
# $40 read mean latency; $48 write KiB/s, $49 write IOPS, $81 write latency.
measure() {
	_dev=$1
	_row=$2
	# shellcheck disable=SC2046
	fio --name=bench --filename="$_dev" $(fio_args "$_row") \
		--ioengine=libaio --direct=1 --size=512M --runtime="$RUNTIME" \
		--ramp_time=1 --time_based --output-format=terse \
		--terse-version=3 2>/dev/null |
	awk -F';' -v row="$_row" '
		row ~ /^seqwrite/      { printf "%.1f\n", $48 / 1024; exit }
		row ~ /^seqread/       { printf "%.1f\n", $7 / 1024; exit }
		row == "randwrite"     { printf "%d\n", $49; exit }
		row == "randread"      { printf "%d\n", $8; exit }
		row == "randwrite-qd1" { printf "%.0f\n", $81; exit }
		row == "randread-qd1"  { printf "%.0f\n", $40; exit }'
}

bench() {
	r=1
	while [ $r -le "$ROUNDS" ]; do
		for row in seqwrite seqread randwrite randread randwrite-qd1 randread-qd1; do
			for ss in 512 4096; do
				raw=/dev/ram0
				[ $ss = 4096 ] && raw=/dev/ram1
				for cfg in raw crypt mkey; do
					dev=$raw
					[ $cfg = raw ] || dev=/dev/mapper/$cfg$ss
					v=$(measure "$dev" "$row")
					[ -n "$v" ] || return 1
					echo "$ss $cfg $row $r $v" >>/tmp/bench.out
				done
			done
		done
		r=$((r + 1))
	done
}
: >/tmp/bench.out
check "fio: $ROUNDS interleaved rounds" bench
# check captures a command's output; the measurements go out afterwards.
while read -r line; do
	echo "# bench: $line"
done </tmp/bench.out

check "mkey mappings report no I/O errors" sh -c '
	for ss in 512 4096; do
		dmsetup status mkey$ss | awk "{ exit \$NF != 0 }" || exit 1
	done'
