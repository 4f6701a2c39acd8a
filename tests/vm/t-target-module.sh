#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 180
#
# The life of dm-mkey.ko and its keyring (docs/dm-mkey-target.md, "Module
# keyring"):
#   - the keyring's serial is published in
#     /sys/module/dm_mkey/parameters/keyring, mode 0444: writing it fails,
#     and `insmod dm-mkey.ko keyring=5` is refused;
#   - the keyring is described dm-mkey, owned by uid 0 / gid 0; root may
#     view, read, write and search it, group and others nothing; a user
#     other than root can neither see it nor add to it;
#   - root can add a logon key, which nobody can read back; the keyring
#     takes only logon keys;
#   - with a mapping present the module cannot be unloaded (refcnt 1);
#     after removing it, rmmod works, and the keyring and its keys are gone;
#   - loading again makes a new, empty keyring: the old key is not active
#     any more, and the volume opens again once it is re-added.
. /mkey/tests/lib.sh
. /mkey/tests/target-lib.sh
mkey_require_module
tl_require_bins mkey

ktap_plan 37

param=$MKEY_KEYRING_PARAM
check "load dm-mkey" mkey_load_module
check "16 MiB ramdisk" ramdisk_create 16384 1
cleanup_add 'tl_remove vol; rmmod brd'

ring=$(cat "$param")
check "keyring parameter is a positive number ($ring)" \
	sh -c "test '$ring' -gt 0 2>/dev/null"
check "keyring parameter is mode 0444" test "$(stat -c %a "$param")" = 444
check_fail "writing the parameter fails" sh -c "echo 5 >$param"
check "the parameter is unchanged" test "$(cat "$param")" = "$ring"

# -- the keyring
# rdescribe: type;uid;gid;perm;description; perm is PPUUGGOO in hex
# (possessor, user, group, other: 0x01 view, 0x02 read, 0x04 write,
# 0x08 search, 0x10 link, 0x20 setattr)
desc=$(keyctl rdescribe "$ring" 2>&1)
diag "keyctl rdescribe $ring: $desc"
field() {
	echo "$desc" | cut -d';' -f"$1"
}
check "it is a keyring described dm-mkey" \
	sh -c "test '$(field 1)' = keyring && test '$(field 5)' = dm-mkey"
check "owned by uid 0, gid 0" test "$(field 2):$(field 3)" = 0:0
perm=$(field 4)
check "root (user) may view, read, write, search: perm byte 0f" \
	test "$(echo "$perm" | cut -c 3-4)" = 0f
check "group and others may do nothing: perm bytes 00 00" \
	test "$(echo "$perm" | cut -c 5-8)" = 0000

# as_nobody CMD...: run CMD as uid/gid 65534
grep -q '^nobody:' /etc/passwd || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
as_nobody() {
	su nobody -s /bin/sh -c "$*"
}
check "a user can run keyctl (control)" as_nobody keyctl show @s
check_fail "a user cannot see the keyring" as_nobody keyctl rdescribe "$ring"
mkey_gen_key /tmp/key 64
chmod 644 /tmp/key
G=$(mkey_gen_guid)
check_fail "a user cannot add a key to it" as_nobody "keyctl padd logon mkey:$G $ring </tmp/key"

check "root adds a logon key" sh -c "keyctl padd logon mkey:$G $ring </tmp/key >/tmp/kserial"
kserial=$(cat /tmp/kserial)
check "the keyring lists it" sh -c "keyctl rlist $ring | tr ' ' '\n' | grep -qx '$kserial'"
check_fail "nobody can read a logon key back (keyctl pipe)" keyctl pipe "$kserial"
G2=$(mkey_gen_guid)
: >/tmp/userkey
check_fail "the keyring refuses a 'user' key" \
	sh -c "keyctl padd user mkey:$G2 $ring </tmp/key >/tmp/userkey"
if [ -s /tmp/userkey ]; then
	for k in $(keyctl rlist "$ring"); do
		diag "in the dm-mkey keyring: $k $(keyctl rdescribe "$k")"
	done
	keyctl unlink "$(cat /tmp/userkey)" "$ring" >/dev/null
fi

# -- unloading
check "format the ramdisk for the key" tl_format /dev/ram0 /tmp/key "$G" 4096
check "a mapping with the key" tl_create vol /dev/ram0 "$G"
dd if=/dev/urandom of=/tmp/data bs=64k count=4 2>/dev/null
check "write through it" tl_write /tmp/data /dev/mapper/vol 0 65536
check "module refcnt is 1 with the mapping" test "$(cat /sys/module/dm_mkey/refcnt)" = 1
# kmod's rmmod by path: a plain `rmmod` is busybox's applet (see target-lib.sh)
rmmod_in_use() {
	! /sbin/rmmod dm_mkey >/tmp/rmmod.out 2>&1 && cat /tmp/rmmod.out &&
		grep -q "Module dm_mkey is in use" /tmp/rmmod.out && test -d /sys/module/dm_mkey
}
check "rmmod fails while the mapping exists: module in use" rmmod_in_use
check "the mapping still reads back" tl_readcmp /tmp/data /dev/mapper/vol 0 65536
check "remove the mapping" dmsetup remove vol
check "module refcnt is 0" test "$(cat /sys/module/dm_mkey/refcnt)" = 0
check "rmmod dm_mkey" rmmod dm_mkey
check_fail "the module is gone" test -d /sys/module/dm_mkey
# gone_soon SERIAL: keyctl describe fails within 5 s (the key garbage
# collector runs asynchronously)
gone_soon() {
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		keyctl describe "$1" >/dev/null 2>&1 || return 0
		sleep 0.5
	done
	keyctl describe "$1"
	return 1
}
check "the keyring is gone (keyctl describe fails)" gone_soon "$ring"
check "the key is gone" gone_soon "$kserial"

# -- loading with a value for the read-only parameter
expect_fail_msg "insmod dm-mkey.ko keyring=5 is refused" \
	"invalid for parameter \`keyring'" insmod "$MKEY_KO" keyring=5
check_fail "... and leaves no module behind" test -d /sys/module/dm_mkey

# -- loading again
check "load dm-mkey again" mkey_load_module
ring2=$(cat "$param")
check "a new keyring ($ring -> $ring2)" sh -c "test '$ring2' -gt 0 && test '$ring2' != '$ring'"
check "it is described dm-mkey" sh -c "keyctl rdescribe '$ring2' | grep -q ';dm-mkey\$'"
check "it is empty" test -z "$(keyctl rlist "$ring2")"
expect_fail_msg "the old key is not active any more" \
	"Key is not active: no mkey:<GUID> key in the dm-mkey keyring" \
	dmsetup create vol --table "$(tl_table /dev/ram0 "$G")"
mkey_add_key "$G" /tmp/key >/dev/null
reopen() {
	tl_create vol /dev/ram0 "$G" && tl_readcmp /tmp/data /dev/mapper/vol 0 65536
}
check "with the key re-added the volume opens, data intact" reopen

ktap_done
