#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
# disks: 64M
#
# Data written through an mkey mapping stays intact (AES-256, 4096-byte
# sectors, 64 MiB ramdisk):
#   - across removing and re-creating the mapping (checksums);
#   - as an ext4 file system: files written, unmounted, e2fsck -f -n clean
#     after re-creating the mapping, remounted, contents intact;
#   - under fio --verify=crc32c with two jobs, queue depth 8 and mixed block
#     sizes (randwrite then verify), and in a verify-only pass after
#     re-creating the mapping;
#   - while the mapping is suspended and resumed repeatedly under fio;
#   - after the key is unlinked from, or revoked in, the module keyring: the
#     existing mapping keeps working (fio verifies), but a new table load
#     with that GUID is refused.
# And on a virtio disk (AES-192, 4096-byte sectors), whose completions come
# from interrupts rather than the submitter (brd's), so reads are decrypted
# by workers: fio verifies, also after re-creating the mapping and while
# the table is swapped (reload + resume, allow_discards toggled) under fio.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
mkey_require_module
tl_require_bins mkey

ktap_plan 40

check "load ext4" modprobe ext4
check "load dm-mkey" mkey_load_module
check "64 MiB ramdisk" ramdisk_create 65536 1
cleanup_add 'umount /mnt; tl_remove vdata; tl_remove data2; tl_remove data; rmmod brd'

dev=/dev/ram0
map=/dev/mapper/data
key=/tmp/key
mkey_gen_key $key 64
G=$(mkey_gen_guid)
check "format: AES-256, 4096-byte sectors" tl_format $dev $key "$G" 4096
kserial=$(tl_key_add "$G" $key)
check "activate the key" test -n "$kserial"
TABLE=$(tl_table $dev "$G")
check "create the mapping" tl_create data $dev "$G"

# recreate: remove and create the mapping again (drops every cached page)
recreate() {
	dmsetup remove data && dmsetup create data --table "$TABLE"
}

# -- remove / re-create
sum_of() {
	dd if="$1" bs=1M count="$2" iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1
}
dd if=/dev/urandom of=/tmp/rand bs=1M count=16 2>/dev/null
want=$(sha256sum /tmp/rand | cut -d' ' -f1)
check "write 16 MiB of random data" tl_write /tmp/rand $map 0 1048576
check "its checksum reads back" test "$(sum_of $map 16)" = "$want"
check "remove and re-create the mapping" recreate
check "the checksum survives" test "$(sum_of $map 16)" = "$want"

# -- ext4
populate() {
	mkdir -p /mnt/a/b /mnt/many &&
		cp /tmp/rand /mnt/a/b/big &&
		head -c 300000 /dev/urandom >/mnt/a/odd-size &&
		for i in $(seq 1 200); do
			head -c $((i * 37)) /dev/urandom >"/mnt/many/f$i" || return 1
		done &&
		(cd /mnt && find . -type f | sort | xargs sha256sum) >/tmp/sums
}
verify_files() {
	(cd /mnt && sha256sum -c /tmp/sums >/tmp/sums.out 2>&1) &&
		test "$(wc -l </tmp/sums)" -eq 202
}
check "mkfs.ext4" mkfs.ext4 -q -F $map
check "mount" mount -t ext4 $map /mnt
check "write 202 files (16 MiB, 300 KB, 200 small)" populate
check "umount" umount /mnt
check "re-create the mapping" recreate
check "e2fsck -f -n finds the file system clean" e2fsck -f -n $map
check "remount" mount -t ext4 $map /mnt
check "every file's checksum is intact" verify_files
check "umount again" umount /mnt

# -- fio: two jobs, each in its own 24 MiB region, 4k-64k blocks, QD 8
FIO="fio --filename=$map --direct=1 --ioengine=libaio --iodepth=8
	--numjobs=2 --size=24M --offset_increment=24M --bsrange=4k-64k
	--verify=crc32c --verify_fatal=1 --randrepeat=1 --group_reporting"
# shellcheck disable=SC2086 # FIO is a word list
check "fio randwrite + verify (crc32c, 2 jobs, 4k-64k)" $FIO --name=mix --rw=randwrite --do_verify=1
check "re-create the mapping" recreate
# shellcheck disable=SC2086
check "fio verify-only pass after re-creating the mapping" $FIO --name=mix --rw=randwrite --verify_only

# -- suspend / resume under I/O
# The stress runs limit writes to 4 MiB/s per job, so that each write pass
# lasts seconds however fast the host is, and suspends/swaps land in it.
suspend_under_fio() {
	# shellcheck disable=SC2086
	$FIO --name=susp --rw=randwrite --do_verify=1 --randseed=4242 --loops=2 --rate=,4m >/tmp/fio-susp.out 2>&1 &
	_pid=$!
	_cycles=0
	sleep 1
	while kill -0 $_pid 2>/dev/null; do
		dmsetup suspend data || break
		sleep 0.3
		dmsetup resume data || break
		_cycles=$((_cycles + 1))
		sleep 0.5
	done
	wait $_pid
	_rc=$?
	echo "$_cycles suspend/resume cycles under fio; fio exit status $_rc" >/tmp/susp.summary
	[ $_rc -eq 0 ] || cat /tmp/fio-susp.out
	[ $_rc -eq 0 ] && [ $_cycles -ge 3 ] && [ "$(dmsetup info -c --noheadings -o suspended data)" = Active ]
}
check "suspend/resume repeatedly while fio writes and verifies" suspend_under_fio
diag "$(cat /tmp/susp.summary)"

# -- the key goes away under a live mapping
# shellcheck disable=SC2086
fio_small() {
	$FIO --name=after --rw=randwrite --do_verify=1 --size=4M --randseed="$1"
}
check "unlink the key from the module keyring" keyctl unlink "$kserial" "$(mkey_keyring)"
check "I/O on the mapping still verifies after the unlink" fio_small 11
expect_fail_msg "a new table load (reload) with that GUID is refused" \
	"Key is not active: no mkey:<GUID> key in the dm-mkey keyring" \
	dmsetup reload data --table "$TABLE"
check "the live table is unchanged" sh -c "dmsetup table data | grep -q ' mkey .* $G\$'"
kserial=$(tl_key_add "$G" $key)
check "a second mapping loads while the key is active again" dmsetup create data2 --table "$TABLE"
check "remove it" dmsetup remove data2
check "revoke the key" keyctl revoke "$kserial"
check "I/O on the mapping still verifies after the revoke" fio_small 12
expect_fail_msg "a new mapping with the revoked key's GUID is refused" \
	"Key is not usable (revoked or expired)" \
	dmsetup create data2 --table "$TABLE"

# -- a virtio disk: completions in interrupt context
vkey=/tmp/vkey
mkey_gen_key $vkey 48
VG=$(mkey_gen_guid)
check "virtio disk /dev/vda: AES-192, 4096-byte sectors" tl_format /dev/vda $vkey "$VG" 4096
mkey_add_key "$VG" $vkey >/dev/null
VTABLE=$(tl_table /dev/vda "$VG")
check "create a mapping on it" tl_create vdata /dev/vda "$VG"
VFIO="fio --filename=/dev/mapper/vdata --direct=1 --ioengine=libaio --iodepth=16
	--numjobs=2 --size=16M --offset_increment=16M --bssplit=4k/40:16k/30:64k/20:128k/10
	--verify=crc32c --verify_fatal=1 --randrepeat=1 --group_reporting --name=virtio"
# shellcheck disable=SC2086
check "fio randwrite + verify on virtio (2 jobs, QD 16, 4k-128k)" $VFIO --rw=randwrite --do_verify=1
vrecreate() {
	dmsetup remove vdata && dmsetup create vdata --table "$VTABLE"
}
check "re-create the mapping" vrecreate
# shellcheck disable=SC2086
check "fio verify-only pass on virtio" $VFIO --rw=randwrite --verify_only
swap_under_fio() {
	# shellcheck disable=SC2086
	$VFIO --rw=randwrite --do_verify=1 --randseed=99 --loops=2 --rate=,4m >/tmp/fio-swap.out 2>&1 &
	_pid=$!
	_swaps=0
	sleep 1
	while kill -0 $_pid 2>/dev/null; do
		if [ $((_swaps % 2)) = 0 ]; then _t="$VTABLE 1 allow_discards"; else _t=$VTABLE; fi
		# shellcheck disable=SC2015 # either failing ends the loop
		dmsetup reload vdata --table "$_t" && dmsetup resume vdata || break
		_swaps=$((_swaps + 1))
		sleep 0.5
	done
	wait $_pid
	_rc=$?
	echo "$_swaps table swaps under fio; fio exit status $_rc" >/tmp/swap.summary
	[ $_rc -eq 0 ] || cat /tmp/fio-swap.out
	[ $_rc -eq 0 ] && [ $_swaps -ge 3 ]
}
check "swap the table (reload + resume) repeatedly while fio writes and verifies" swap_under_fio
diag "$(cat /tmp/swap.summary)"
check "remove the virtio mapping" dmsetup remove vdata

dmesg >/tmp/kmsg
check "no key material in the kernel log" tl_key_not_in /tmp/kmsg $key $vkey

ktap_done
