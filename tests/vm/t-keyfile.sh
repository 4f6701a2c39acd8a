#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 900
#
# Key files end to end (issue 3): create -> activate -> format -> open ->
# mkfs -> mount -> deactivate refused (naming the mount point) -> umount
# -> deactivate -> open refused until re-activated -> re-activate -> data
# intact. Two administrators each unlock the same keys; a file edited by
# hand is refused; deletion of a key in use is refused; every key event
# reaches syslog (busybox syslogd) as authpriv, and no password does.
#
# KDF costs are the floors (Argon2id 8 MiB, 1 pass): under TCG a
# calibrated 1 s would take minutes. (Run: tests/vm/run.sh t-keyfile;
# VERBOSE_OUT=1 shows every command's output.)
. /mkey/tests/lib.sh
mkey_require_module

VERBOSE_OUT=${VERBOSE_OUT:-}
ktap_plan 83

# expect RC NAME TEXT CMD...: CMD exits with RC and its output contains TEXT
# (the output stays in /tmp/last for further checks: said NAME TEXT)
expect() {
	_rc=$1 _n=$2 _t=$3
	shift 3
	"$@" >/tmp/out 2>&1
	_got=$?
	cp /tmp/out /tmp/last
	if [ "$_got" = "$_rc" ] && grep -qF -- "$_t" /tmp/out; then
		[ -n "$VERBOSE_OUT" ] && sed 's/^/# | /' /tmp/out
		ok "$_n"
	else
		sed 's/^/# /' /tmp/out
		fail "$_n" "exit $_got (want $_rc), want text '$_t'"
	fi
}

said() {
	check "$1" grep -qF -- "$2" /tmp/last
}

# -- syslog: busybox syslogd owns /dev/log and writes every line to a file
syslog_start /tmp/syslog
check "syslogd listens on /dev/log" test -S /dev/log

check "load dm-mkey" mkey_load_module
check "two 64 MiB ramdisks" ramdisk_create 65536 2
mkdir -p /etc/mkey /mnt
modprobe ext4 2>/dev/null
KF=/etc/mkey/main.mkey
CHEAP="--kdf-memory 8192 --kdf-passes 1 --kdf-parallel 1"
PW_A='alice: correct horse'
PW_B='bob: battery staple'
printf '%s\n' "$PW_A" >/tmp/alice.pw
printf '%s\n' "$PW_B" >/tmp/bob.pw
printf 'wrong\n' >/tmp/wrong.pw
cleanup_add 'umount /mnt; mkey close vol; mkey close vol2; mkey close adopted; dmsetup remove old'

# -- the key file: two administrators, two keys
# shellcheck disable=SC2086 # $CHEAP is a word list
expect 0 "create" "Created key file $KF" \
	mkey keyfile-create $KF --admin alice --password-file /tmp/alice.pw \
	--description "volume key" $CHEAP
check "mode 0600" sh -c "ls -l $KF | grep -q '^-rw-------'"
# shellcheck disable=SC2086
expect 0 "admin-add bob, authorized by alice" "Added administrator BOB" \
	mkey admin-add $KF bob --admin alice --password-file /tmp/alice.pw \
	--new-password-file /tmp/bob.pw $CHEAP
expect 0 "key-add by bob" "Added key" \
	mkey key-add $KF --admin bob --password-file /tmp/bob.pw --bits 128 \
	--description "spare key"
# Key lines: "* GUID AES-256 ..." for the default key, "  GUID AES-128 ..." else.
G=$(mkey keyfile-show $KF | sed -n 's/^\* \([0-9A-F-]\{36\}\) AES.*/\1/p')
G2=$(mkey keyfile-show $KF | sed -n 's/^  \([0-9A-F-]\{36\}\) AES.*/\1/p')
case "$G" in ????????-????-????-????-????????????) ok "default key GUID is $G" ;;
*) fail "default key GUID" "got '$G'" ;; esac
expect 0 "keyfile-show lists both admins" "BOB" mkey keyfile-show $KF
expect 0 "keys inactive so far" "inactive" mkey keyfile-show $KF
expect 6 "wrong password refused" "wrong password for administrator ALICE" \
	mkey activate --key-file $KF --admin alice --password-file /tmp/wrong.pw
check_fail "nothing active after a wrong password" sh -c "mkey active | grep -q $G"

# -- activate, format, open, mkfs, mount
expect 0 "activate (alice)" "Activated key $G" \
	mkey activate --key-file $KF --admin alice --password-file /tmp/alice.pw
said "activate prints every GUID" "Activated key $G2"
expect 0 "activate again is idempotent" "already active" \
	mkey activate --key-file $KF --admin alice --password-file - </tmp/alice.pw
expect 0 "active lists the key" "$G AES-256" mkey active
expect 0 "keyfile-show marks it active" "$G AES-256 active" mkey keyfile-show $KF
expect 0 "format with the default key" "Key GUID:       $G" \
	mkey format /dev/ram0 --key-file $KF --admin bob --password-file /tmp/bob.pw
expect 0 "format a second volume with the spare key" "Key GUID:       $G2" \
	mkey format /dev/ram1 --key-file $KF --key "$G2" --admin bob \
	--password-file /tmp/bob.pw
expect 0 "open" "/dev/mapper/vol" mkey open /dev/ram0 vol
expect 0 "open the second (not mounted)" "/dev/mapper/vol2" mkey open /dev/ram1 vol2
expect 0 "list shows cipher and key size" "vol $G aes-xts-plain64/256" mkey list
check "mkfs.ext4" mkfs.ext4 -q /dev/mapper/vol
expect 3 "format refuses a device with a filesystem" "filesystem of type ext4" \
	mkey format /dev/mapper/vol --key-file $KF --admin bob --password-file /tmp/bob.pw
check "mount" mount /dev/mapper/vol /mnt
dd if=/dev/urandom of=/mnt/data bs=4096 count=64 2>/dev/null
sum=$(md5sum </mnt/data)
check "sync" sync

# -- deactivation refused while mounted, by GUID, by key file, and all
expect 3 "deactivate GUID refused" "mounted on /mnt" mkey deactivate "$G"
expect 3 "deactivate --key-file refused" "/dev/mapper/vol (mounted on /mnt)" \
	mkey deactivate --key-file $KF
expect 3 "deactivate --all refused" "mounted on /mnt" mkey deactivate --all
check "the unmounted volume was not closed either" test -b /dev/mapper/vol2
expect 0 "keys still active" "$G" mkey active
expect 3 "key-delete of a key in use refused" "used by open volumes: /dev/mapper/vol2" \
	mkey key-delete $KF "$G2" --admin alice --password-file /tmp/alice.pw --yes
expect 3 "close refused while mounted" "mounted on /mnt" mkey close vol

# -- after umount, deactivation closes both volumes and removes the keys
check "umount" umount /mnt
expect 0 "deactivate --key-file" "Closed 2 volumes" mkey deactivate --key-file $KF
check_fail "vol gone" test -e /dev/mapper/vol
check_fail "vol2 gone" test -e /dev/mapper/vol2
check_fail "key gone" sh -c "mkey active | grep -q $G"
check_fail "spare key gone" sh -c "mkey active | grep -q $G2"
expect 2 "open refused: key not active" "mkey activate --key-file" mkey open /dev/ram0 vol
said "open names the key" "$G is not active"
expect 0 "deactivate --key-file again: nothing to do" "Deactivated 0 keys" \
	mkey deactivate --key-file $KF

# -- the second administrator unlocks the same keys; the data is intact
expect 0 "activate (bob)" "Activated key $G" \
	mkey activate --key-file $KF --admin bob --password-file /tmp/bob.pw
said "bob activated the spare key too" "Activated key $G2"
expect 0 "open again" "Opened /dev/ram0 as /dev/mapper/vol" mkey open /dev/ram0 vol
check "mount again" mount /dev/mapper/vol /mnt
check "data intact" sh -c "test \"\$(md5sum </mnt/data)\" = '$sum'"
check "umount again" umount /mnt
expect 0 "deactivate by GUID" "Deactivated key $G" mkey deactivate "$G"
expect 0 "deactivate --all" "Deactivated 1 key" mkey deactivate --all
check_fail "nothing active" sh -c "mkey active | grep -q ."

# -- key rules and key file updates
expect 3 "default key cannot be deleted" "is the default key" \
	mkey key-delete $KF "$G" --admin alice --password-file /tmp/alice.pw --yes
expect 0 "a key not in use can be deleted" "Deleted key $G2" \
	mkey key-delete $KF "$G2" --admin alice --password-file /tmp/alice.pw --yes
# shellcheck disable=SC2086
expect 0 "bob changes his password" "Changed the password of BOB" \
	mkey admin-passwd $KF --admin bob --password-file /tmp/bob.pw \
	--new-password-file /tmp/alice.pw $CHEAP
expect 6 "bob's old password no longer works" "wrong password" \
	mkey activate --key-file $KF --admin bob --password-file /tmp/bob.pw
expect 0 "admin-remove bob" "Removed administrator BOB" \
	mkey admin-remove $KF bob --admin alice --password-file /tmp/alice.pw
expect 3 "last administrator kept" "last administrator" \
	mkey admin-remove $KF alice --admin alice --password-file /tmp/alice.pw
expect 0 "verified backup" "verified" mkey keyfile-backup $KF /etc/mkey/main.bak

# -- a file edited by hand is refused
sed 's/"volume key"/"volume kez"/' $KF >/etc/mkey/edited.mkey
expect 2 "edited description: refused at unlock" "failed its integrity check" \
	mkey activate --key-file /etc/mkey/edited.mkey --password-file /tmp/alice.pw
sed 's/"version": 1,/"version":1,/' $KF >/etc/mkey/reformatted.mkey
expect 2 "reformatted file: refused by the reader" "not in the exact form" \
	mkey keyfile-show /etc/mkey/reformatted.mkey
check_fail "nothing activated from a bad file" sh -c "mkey active | grep -q ."
expect 0 "the original still works" "Activated key $G" \
	mkey activate --key-file $KF --password-file /tmp/alice.pw
check "deactivate" mkey deactivate --all

# -- adopting a plain dm-crypt volume: import its key, write only a label
mkey_gen_key /tmp/old.key 64
old_sectors=$(($(blockdev --getsz /dev/ram1) - 2048 - 8))	# last 4 KiB unused
check "plain dm-crypt key in the session keyring" sh -c "keyctl padd logon old:xts @s </tmp/old.key >/dev/null"
check "plain dm-crypt volume at offset 2048" \
	dmsetup create old --table "0 $old_sectors crypt aes-xts-plain64 :64:logon:old:xts 0 /dev/ram1 2048"
dd if=/dev/urandom of=/tmp/olddata bs=4096 count=16 2>/dev/null
check "data written through dm-crypt" dd if=/tmp/olddata of=/dev/mapper/old bs=4096 oflag=direct conv=fsync
check "dm-crypt volume removed" dmsetup remove old
GI=$(mkey_gen_guid)
expect 0 "key-import with its GUID" "Imported key $GI" \
	mkey key-import $KF --raw-key /tmp/old.key --guid "$GI" --description "old crypt disk" \
	--password-file /tmp/alice.pw
expect 0 "format writes only the label" "Key GUID:       $GI" \
	mkey format /dev/ram1 --key-file $KF --key "$GI" --data-offset 2048 --sector-size 512 \
	--force --password-file /tmp/alice.pw
expect 0 "activate the file" "Activated key $GI" \
	mkey activate --key-file $KF --password-file /tmp/alice.pw
expect 0 "open the adopted volume" "Opened /dev/ram1" mkey open /dev/ram1 adopted
check "its data reads back through dm-mkey" \
	sh -c 'dd if=/dev/mapper/adopted bs=4096 count=16 iflag=direct 2>/dev/null | cmp - /tmp/olddata'
expect 0 "deactivate all (closes it)" "Closed 1 volume" mkey deactivate --all

# -- audit trail
sleep 1
audit() {
	grep -q "authpriv\.$1[a-z]* mkey\[[0-9]*\]: event=$2 " /tmp/syslog
}
check "syslog: keyfile-created" audit notice keyfile-created
check "syslog: admin-added (target BOB)" sh -c 'grep "event=admin-added" /tmp/syslog | grep -q "target=\"BOB\""'
check "syslog: key-added" audit notice key-added
check "syslog: key-activated with GUID and admin" \
	sh -c "grep 'event=key-activated' /tmp/syslog | grep 'admin=\"BOB\"' | grep -q 'key=$G'"
check "syslog: deactivate-refused names the mount" \
	sh -c "grep 'event=deactivate-refused' /tmp/syslog | grep -q 'mounted on /mnt'"
check "syslog: key-deactivated" audit notice key-deactivated
check "syslog: auth-failed as a warning" audit warn auth-failed
check "syslog: integrity-failed" audit warn integrity-failed
check "syslog: key-deleted, password-changed, admin-removed" sh -c \
	'grep -q "event=key-deleted" /tmp/syslog && grep -q "event=password-changed" /tmp/syslog && grep -q "event=admin-removed" /tmp/syslog'
check_fail "no password in syslog" grep -qF -e "correct horse" -e "battery staple" /tmp/syslog
if [ -n "$VERBOSE_OUT" ] || ! grep -q "event=key-activated" /tmp/syslog; then
	diag_file /tmp/syslog 60
fi

ktap_done
