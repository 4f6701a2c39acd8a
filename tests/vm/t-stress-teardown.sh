#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# Teardown races (docs/reliability.md, "Teardown"):
#   - with fio running on a volume: `dmsetup remove` fails (busy) and fio
#     goes on verifying; rmmod fails (in use) and fio goes on; `dmsetup
#     remove --deferred` succeeds at once, the device stays while it is
#     open (fio verifying clean) and vanishes when the last opener closes;
#   - `dmsetup remove --force` under fio: the table is replaced by one that
#     fails all I/O, fio ends with EIO instead of hanging, the device can
#     then be removed; the same while the volume is suspended with fio's
#     I/O queued in it;
#   - a reload naming the mapping itself as its device is refused (the
#     label read goes through the mapping: plaintext, no label), and the
#     mapping keeps working; with a label in the plaintext it is accepted,
#     and I/O to the self-mapped device ends with EIO (each pass moves it
#     data_offset further), not a hang; remove --force clears it; a table
#     load over a suspended device waits
#     for it and completes when it resumes;
#   - the key revoked, unlinked, invalidated and added again in a loop
#     while table loads run in another: every load either succeeds (with
#     the key) or is refused with "Key is not active" / "Key is not usable"
#     — nothing else — and both outcomes happen;
#   - the module unloaded in a loop while another loop loads it, adds the
#     key, creates and removes a mapping: rmmod only ever succeeds with no
#     mapping present, a create only fails with the module (or key) gone.
# The runner fails the test on any oops, WARNING or hung task.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
. /mkey/tests/stress-lib.sh
mkey_require_module
tl_require_bins mkey

LOADS=$(scaled 150)
UNLOADS=$(scaled 60)
ktap_plan 51

check "load dm-mkey" mkey_load_module
check "two 64 MiB ramdisks" ramdisk_create 65536 2
cleanup_add 'touch /tmp/stop; tl_remove vol; tl_remove race; rmmod brd'
key=/tmp/key
mkey_gen_key $key 64
G=$(mkey_gen_guid)
check "format ram0 and ram1" sh -c "mkey format /dev/ram0 --raw-key $key --guid $G --force >/dev/null &&
	mkey format /dev/ram1 --raw-key $key --guid $G --force >/dev/null"
check "activate the key (revocable by root)" tl_key_add "$G" $key
T0=$(tl_table /dev/ram0 "$G")
T1=$(tl_table /dev/ram1 "$G")

# fio_bg NAME SECONDS: fio write+verify on /dev/mapper/vol for SECONDS
# (time-based, verify_backlog: blocks are verified while writing), in the
# background of this shell (so that it can be waited for); its pid in $pid
fio_bg() {
	fio --name="$1" --filename="${FILE:-/dev/mapper/vol}" --ioengine=libaio --direct=1 \
		--iodepth=8 --rw=randwrite --bsrange=4k-64k --size=48M --time_based \
		--runtime="$2" --verify=crc32c --verify_backlog=64 --verify_fatal=1 \
		>"/tmp/$1.log" 2>&1 &
	pid=$!
}
# fio_ok PID NAME: fio ended with status 0 and verified clean
fio_ok() {
	_rc=0
	wait "$1" || _rc=$?
	[ $_rc = 0 ] || grep -vE '^ +(lat|clat|slat|bw|iops|cpu|IO depths|submit|complete|issued|latency|clat percentiles|\|)' "/tmp/$2.log" | head -n 20
	[ $_rc = 0 ] && fio_clean "/tmp/$2.log"
}
busy_msg() {
	grep -qE 'Device or resource busy|in use' /tmp/rm.out
}

# -- remove and rmmod while fio runs
check "create vol" dmsetup create vol --table "$T0"
fio_bg busy 20
sleep 3
check_fail "dmsetup remove while fio has it open fails" sh -c "dmsetup remove vol >/tmp/rm.out 2>&1"
check "... saying the device is busy" busy_msg
check_fail "rmmod dm_mkey while fio runs fails" sh -c "/sbin/rmmod dm_mkey >/tmp/rm.out 2>&1"
check "... the module is still there" test -d /sys/module/dm_mkey
check "fio carried on and verified clean" fio_ok "$pid" busy

# -- deferred remove. Without udev, libdevmapper deletes /dev/mapper/vol
# at once, and fio reopens its file between passes: this shell holds the
# device open on fd 3, and fio opens it through /proc/PID/fd/3.
exec 3</dev/mapper/vol
FILE=/proc/$$/fd/3 fio_bg deferred 12
sleep 3
check "dmsetup remove --deferred under fio succeeds" dmsetup remove --deferred vol
check "the device is still there while open" dmsetup info vol
check "fio verified clean to the end" fio_ok "$pid" deferred
check "the device is still there while this shell holds it" dmsetup info vol
exec 3<&-
gone() {
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		tl_absent vol && return 0
		sleep 0.5
	done
	dmsetup info vol
	return 1
}
check "the device is gone once the last opener closed it" gone

# -- remove --force under fio
eio_end() {
	_rc=0
	wait "$1" || _rc=$?
	tail -n 3 "/tmp/$2.log"
	[ $_rc != 0 ] && [ $_rc != 127 ] && grep -q 'Input/output error' "/tmp/$2.log"
}
check "create vol again" dmsetup create vol --table "$T0"
fio_bg force 60
sleep 3
rc=0
dmsetup remove --force vol >/tmp/rm.out 2>&1 || rc=$?
diag "dmsetup remove --force under fio: exit $rc $(head -n 2 /tmp/rm.out | tr '\n' ' ')"
check "remove --force: its table now fails all I/O (error target)" \
	sh -c "! dmsetup info vol >/dev/null 2>&1 || dmsetup table vol | grep -q ' error'"
check "remove --force: fio ends with EIO instead of hanging" eio_end "$pid" force
check "remove --force: the device can be removed" tl_remove vol
check "remove --force: it is gone" tl_absent vol

# -- remove --force while suspended with I/O queued
check "create vol again" dmsetup create vol --table "$T0"
fio_bg suspended 60
sleep 3
check "suspend vol under fio (its I/O now queues)" dmsetup suspend vol
sleep 1
rc=0
dmsetup remove --force vol >/tmp/rm.out 2>&1 || rc=$?
diag "dmsetup remove --force while suspended: exit $rc $(head -n 2 /tmp/rm.out | tr '\n' ' ')"
check "suspended + remove --force: fio ends with EIO instead of hanging" eio_end "$pid" suspended
check "suspended + remove --force: the device can be removed" tl_remove vol
check "the data written before is still there (a fresh mapping reads)" \
	sh -c "dmsetup create vol --table '$T0' && /usr/bin/dd if=/dev/mapper/vol of=/dev/null bs=1M count=4 iflag=direct && dmsetup remove vol"

# -- a table naming the mapping itself: device-mapper (6.1) lets the
# target open it, and the label read goes through the mapping's own live
# table: its plaintext, which holds no label, so the reload is refused
check "create vol again" dmsetup create vol --table "$T0"
expect_fail_msg "reload vol with itself as its device: refused (its plaintext has no label)" \
	"mkey: No valid dm-mkey label" dmsetup reload vol --table "0 8 mkey /dev/mapper/vol $G"
check "vol still works (a read)" \
	/usr/bin/dd if=/dev/mapper/vol of=/dev/null bs=64k count=4 iflag=direct
# ... but with an mkey label for the same key in its plaintext, the reload
# is accepted and the mapping remaps onto itself: every pass moves the I/O
# data_offset further, until it falls off the end. EIO, not a hang; the
# table holds the mapping open, so only remove --force ends it.
check "a label for the same key written into vol's plaintext" \
	tl_format /dev/mapper/vol $key "$G" 4096
DSI=$(tl_label /dev/mapper/vol data_sectors)
check "reload vol with itself as its device, resume: accepted" \
	sh -c "dmsetup reload vol --table '0 $DSI mkey /dev/mapper/vol $G' && dmsetup resume vol"
eio() {
	timeout 60 /usr/bin/dd "$@" >/tmp/self.out 2>&1
	_rc=$?
	cat /tmp/self.out
	[ $_rc != 0 ] && [ $_rc != 124 ] && grep -q 'Input/output error' /tmp/self.out
}
check "a read of the self-mapped vol ends with EIO" eio if=/dev/mapper/vol of=/dev/null bs=4k count=1 iflag=direct
check "a write ends with EIO" eio if=/dev/zero of=/dev/mapper/vol bs=4k count=1 oflag=direct
check_fail "dmsetup remove: busy (its own table holds it open)" dmsetup remove vol
check "dmsetup remove --force removes it" sh -c "dmsetup remove --force vol && ! dmsetup info vol"
check "ram0's own label is intact" sh -c "dmsetup create vol --table '$T0' && dmsetup remove vol"

# -- a table load over a suspended device: the label read waits for the
# device; the load completes once it resumes (no hang, no error)
SZ1=$(blockdev --getsz /dev/ram1)
check "lower: linear over ram1, suspended" sh -c \
	"dmsetup create lower --table '0 $SZ1 linear /dev/ram1 0' && dmsetup suspend lower"
TL=$(echo "$T1" | sed 's|/dev/ram1|/dev/mapper/lower|')
(dmsetup create race --table "$TL" >/tmp/susp.out 2>&1; echo "exit $?" >>/tmp/susp.out) &
sleep 5
check "after 5 s the load is still waiting" test ! -s /tmp/susp.out
dmsetup resume lower
waited() {
	for _i in $(seq 1 40); do
		grep -q '^exit' /tmp/susp.out && break
		sleep 0.5
	done
	cat /tmp/susp.out
	grep -qx 'exit 0' /tmp/susp.out
}
check "once lower resumes, the load completes" waited
check "remove it and lower" sh -c "dmsetup remove race && dmsetup remove lower"

# -- key revoked while table loads run
: >/tmp/loads
loader() {
	_i=0
	while [ $_i -lt "$LOADS" ]; do
		_i=$((_i + 1))
		if dmsetup create race --table "$T1" >/tmp/load.out 2>&1; then
			echo loaded >>/tmp/loads
			dmsetup remove race >/dev/null 2>&1 || echo "remove failed" >>/tmp/loads
		else
			# The refusal is among the last kernel lines (the loads are
			# sequential; a mark would scroll out of the log buffer).
			dmesg | tail -n 6 >/tmp/load.kmsg
			if grep -qF "mkey: Key is not active" /tmp/load.kmsg; then
				echo "refused inactive" >>/tmp/loads
			elif grep -qF "mkey: Key is not usable (revoked or expired)" /tmp/load.kmsg; then
				echo "refused unusable" >>/tmp/loads
			else
				echo "refused OTHER: $(grep 'device-mapper: table:' /tmp/load.kmsg | tail -n 1)" >>/tmp/loads
			fi
		fi
	done
}
rm -f /tmp/stop
keyer() {
	_k=0
	while [ ! -e /tmp/stop ]; do
		_k=$((_k + 1))
		_s=$(tl_key_serial "$G")
		case $((_k % 3)) in
		0) keyctl revoke "$_s" ;;
		1) keyctl unlink "$_s" "$(mkey_keyring)" ;;
		2) keyctl invalidate "$_s" ;;
		esac >/dev/null 2>&1
		sleep 0.05
		tl_key_drop "$G" >/dev/null 2>&1
		tl_key_add "$G" $key >/dev/null 2>&1
		sleep 0.05
	done
}
keyer &
kpid=$!
loader
touch /tmp/stop
wait $kpid
loaded=$(grep -c '^loaded' /tmp/loads)
refused=$(grep -c '^refused' /tmp/loads)
inactive=$(grep -c '^refused inactive' /tmp/loads)
unusable=$(grep -c '^refused unusable' /tmp/loads)
other=$(grep '^refused OTHER' /tmp/loads | head -n 3)
diag "$LOADS loads during key churn: $loaded loaded, $refused refused ($inactive not active, $unusable revoked/invalidated)"
check "every load either loaded or was refused" test $((loaded + refused)) = "$LOADS"
check "every refusal says the key is not active or not usable" \
	test "$refused" = $((inactive + unusable))
check "no other refusal message" test -z "$other"
[ -z "$other" ] || diag "$other"
check "both outcomes happened (the race was real)" test "$loaded" -gt 0 -a "$refused" -gt 0
check "no mapping left behind" tl_absent race
tl_key_drop "$G"
tl_key_add "$G" $key >/dev/null
check "with the key added again, a load succeeds" \
	sh -c "dmsetup create race --table '$T1' && dmsetup remove race"

# -- module unloaded while mappings come and go
: >/tmp/modlog
rm -f /tmp/stop
cycler() {
	while [ ! -e /tmp/stop ]; do
		if [ ! -d /sys/module/dm_mkey ]; then
			mkey_load_module >/dev/null 2>&1 && echo inserted >>/tmp/modlog
		fi
		mkey_add_key "$G" $key >/dev/null 2>&1
		if dmsetup create race --table "$T1" >/dev/null 2>&1; then
			echo created >>/tmp/modlog
			/usr/bin/dd if=/dev/mapper/race of=/dev/null bs=64k count=4 iflag=direct 2>/dev/null
			dmsetup remove race >/dev/null 2>&1 || echo "remove failed" >>/tmp/modlog
		else
			echo "create failed" >>/tmp/modlog
		fi
	done
}
cycler &
cpid=$!
# rmmod either unloads the module (no mapping at that instant: a mapping
# left without its target would oops on its next I/O or removal) or is
# refused because the module is in use (kmod says so, or, when the module
# was taken between its check and the syscall, EAGAIN), or finds it not
# loaded.
u=0
while [ $u -lt "$UNLOADS" ]; do
	u=$((u + 1))
	if /sbin/rmmod dm_mkey >/tmp/rmmod.out 2>&1; then
		echo rmmod >>/tmp/modlog
	elif grep -qE 'is in use|Resource temporarily unavailable' /tmp/rmmod.out; then
		echo "rmmod refused" >>/tmp/modlog
	elif grep -q 'is not currently loaded' /tmp/rmmod.out; then
		echo "not loaded" >>/tmp/modlog
	else
		echo "RMMOD ODD: $(cat /tmp/rmmod.out)" >>/tmp/modlog
	fi
	sleep 0.1
done
touch /tmp/stop
wait $cpid
creates=$(grep -c '^created' /tmp/modlog)
rmmods=$(grep -c '^rmmod$' /tmp/modlog)
refusals=$(grep -c '^rmmod refused' /tmp/modlog)
inserts=$(grep -c '^inserted' /tmp/modlog)
diag "module churn: $inserts loads, $rmmods unloads, $refusals unloads refused, $creates mappings created and removed"
check "rmmod only ever unloaded, was refused (in use) or found nothing" \
	sh -c "! grep 'RMMOD ODD' /tmp/modlog"
check "every mapping that was created was removed" sh -c "! grep -q 'remove failed' /tmp/modlog"
check "the module was unloaded and loaded again, and mappings made, many times" \
	test "$rmmods" -gt 2 -a "$inserts" -gt 2 -a "$creates" -gt 2
mkey_load_module
mkey_add_key "$G" $key >/dev/null 2>&1
check "a mapping works after all that" sh -c "dmsetup create race --table '$T1' && dmsetup remove race"

figure "teardown: remove/rmmod refused under fio, deferred remove, remove --force (also while" \
	"suspended) ending fio with EIO; $LOADS table loads against key churn ($loaded loaded," \
	"$refused refused cleanly); $rmmods module unloads and $refusals refused ones against" \
	"$creates create/remove cycles"
check "no allocation failure or crypto error in the kernel log" kmsg_clean
dmesg >/tmp/kmsg
check "no key material in the kernel log" tl_key_not_in /tmp/kmsg $key

ktap_done
