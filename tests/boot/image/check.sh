#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the booted Debian test system (mkey-boottest.service, after
# multi-user.target) and checks what the boot did for the case named by
# mkeytest.case= on the kernel command line:
#
#   unattended   /srv/data came up from the encrypted volume with no input,
#                before local-fs.target; deactivation is refused while it is
#                mounted and succeeds after the unmount
#   interactive  the volume was opened in the initramfs after a wrong and a
#                right password; it is mounted with its contents
#   ask-password the same under systemd: the prompt came through
#                systemd-ask-password, a wrong password was refused
#   missing      the key file is gone: multi-user.target is reached anyway,
#                the volume is closed, the journal names the missing file;
#                then the documented recovery (restore the backup, unlock,
#                mount) brings the data back
#
# KTAP goes to ttyS1 (the host's results file), the journal to ttyS2.
# shellcheck disable=SC1091
. /usr/local/lib/mkey-boottest/ktap.sh
. /usr/local/lib/mkey-boottest/expected

exec >/dev/ttyS1 2>&1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
case_name=
# shellcheck disable=SC2013 # the command line is words
for arg in $(cat /proc/cmdline); do
	case "$arg" in mkeytest.case=*) case_name=${arg#mkeytest.case=} ;; esac
done
keyfile=/etc/mkey/data.mkey
unit=mkey@data.service

# shellcheck disable=SC2317 # called through check_grep
unit_log() {
	journalctl -b --no-pager -o cat -u "$unit"
}

# check_grep NAME TEXT CMD...: CMD's output contains TEXT
check_grep() {
	_n=$1 _t=$2
	shift 2
	if "$@" 2>&1 | grep -qF -- "$_t"; then
		ok "$_n"
	else
		diag "\$ $* | grep -F '$_t': no match; its output:"
		"$@" 2>&1 | tail -n 15 | sed 's/^/# /'
		fail "$_n"
	fi
}

# monotonic activation time of a unit, in microseconds
active_at() {
	systemctl show -p ActiveEnterTimestampMonotonic --value "$1"
}

multi_user() {
	state=$(systemctl is-system-running 2>/dev/null || true)
	diag "system state: $state"
	if systemctl is-active -q multi-user.target; then
		ok "multi-user.target reached"
	else
		fail "multi-user.target reached" "multi-user.target is $(systemctl is-active multi-user.target)"
	fi
}

mounted_with_content() {
	src=$(findmnt -n -o SOURCE /srv/data 2>/dev/null || true)
	if [ "$src" = /dev/mapper/data ]; then
		ok "/srv/data is mounted from /dev/mapper/data"
	else
		fail "/srv/data is mounted from /dev/mapper/data" "source: '${src:-not mounted}'; $(systemctl status --no-pager srv-data.mount 2>&1 | tail -n 5)"
	fi
	got=$(cat /srv/data/hello.txt 2>/dev/null || true)
	sum=$(sha256sum /srv/data/seq.txt 2>/dev/null | cut -d' ' -f1)
	if [ "$got" = "$HELLO" ] && [ "$sum" = "$SEQ_SHA256" ]; then
		ok "/srv/data has the expected contents"
	else
		fail "/srv/data has the expected contents" "hello.txt: '$got', seq.txt sha256 $sum (want $SEQ_SHA256)"
	fi
}

case "$case_name" in
unattended)
	ktap_plan 14
	multi_user
	check "$unit succeeded" systemctl is-active -q "$unit"
	check "udev links /dev/disk/by-mkey-uuid/$VOLUME_UUID" test -b "/dev/disk/by-mkey-uuid/$VOLUME_UUID"
	mounted_with_content
	v=$(active_at "$unit")
	l=$(active_at local-fs.target)
	if [ -n "$v" ] && [ -n "$l" ] && [ "$v" -gt 0 ] && [ "$v" -lt "$l" ]; then
		ok "the volume opened before local-fs.target"
	else
		fail "the volume opened before local-fs.target" "$unit at ${v}us, local-fs.target at ${l}us"
	fi
	check_grep "the journal says it was unlocked unattended" "unlocked unattended" unit_log
	check_grep "the journal says where it was opened" "opened as /dev/mapper/data" unit_log
	check_fail "no administrator was asked for" sh -c 'journalctl -b --no-pager | grep -qF "asking for an administrator"'
	out=$(mkey deactivate --key-file "$keyfile" 2>&1)
	rc=$?
	case "$rc:$out" in
	3:*/srv/data*) ok "deactivation is refused while /srv/data is mounted (naming it)" ;;
	*) fail "deactivation is refused while /srv/data is mounted (naming it)" "exit $rc: $out" ;;
	esac
	check "the volume is still open and mounted" sh -c 'mkey list | grep -q "^data " && mountpoint -q /srv/data'
	check "umount /srv/data" umount /srv/data
	check "deactivation succeeds after the unmount" mkey deactivate --key-file "$keyfile"
	# shellcheck disable=SC2016 # expanded by that sh
	check "no mapping and no active key are left" sh -c '[ -z "$(mkey list)" ] && [ -z "$(mkey active)" ]'
	;;
interactive)
	ktap_plan 7
	multi_user
	check_grep "the initramfs refused the wrong password" "wrong password for administrator ALICE" journalctl -b -k --no-pager -o cat
	check_grep "the initramfs unlocked the key file with the right one" \
		"key file $keyfile unlocked by administrator ALICE" journalctl -b -k --no-pager -o cat
	check_grep "the initramfs opened the volume" "opened as /dev/mapper/data" journalctl -b -k --no-pager -o cat
	check_grep "$unit found it open" "volume data is already open" unit_log
	mounted_with_content
	;;
ask-password)
	ktap_plan 7
	multi_user
	check "$unit succeeded" systemctl is-active -q "$unit"
	check_grep "it asked through systemd-ask-password" "through systemd-ask-password" unit_log
	check_grep "a wrong password was refused" "wrong password for administrator ALICE" unit_log
	check_grep "the right one unlocked the key file" "key file $keyfile unlocked by administrator ALICE" unit_log
	mounted_with_content
	;;
missing)
	ktap_plan 10
	multi_user
	check_fail "$unit failed" systemctl is-active -q "$unit"
	check "mkey.target is reached anyway (nofail)" systemctl is-active -q mkey.target
	check_fail "/dev/mapper/data does not exist" test -e /dev/mapper/data
	check_fail "/srv/data is not mounted" mountpoint -q /srv/data
	check_grep "the journal names the missing key file" "key file $keyfile is missing" unit_log
	check_grep "the journal gives the recovery steps" "restore the key file $keyfile from its backup" unit_log
	# The recovery of docs/boot.md: restore the backup, unlock, mount.
	check "restore the key file from its backup" cp -p /root/data.mkey.backup "$keyfile"
	check "mkey-agent unlock data; mount /srv/data" sh -c 'mkey-agent unlock data && mount /srv/data'
	got=$(cat /srv/data/hello.txt 2>/dev/null || true)
	if [ "$got" = "$HELLO" ]; then ok "the data is back"; else fail "the data is back" "hello.txt: '$got'"; fi
	;;
*)
	ktap_plan 1
	fail "known test case" "mkeytest.case='$case_name'"
	;;
esac
ktap_done
rc=$?
echo "# check.sh: exit $rc"
SYSTEMD_COLORS=0 journalctl -b --no-pager -o short-monotonic >/dev/ttyS2 2>&1
exit $rc
