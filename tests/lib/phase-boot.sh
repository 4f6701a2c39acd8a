#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "boot": dm-mkey at boot on a real Debian system (docs/boot.md,
# docs/testing.md). A Debian bookworm root file system made by debootstrap
# (cached outside the tree, tests/boot/rootfs.sh) gets the project installed
# the way a user installs it (make install DESTDIR=..., dm-mkey.ko for the
# Debian kernel, depmod), a key file and /etc/mkeytab; its initramfs is made
# inside it by update-initramfs. Debian's kernel then boots it in QEMU (TCG)
# from a virtio disk, with a second virtio disk holding an encrypted volume:
#
#   unattended   no input; /srv/data is mounted from the volume before
#                local-fs.target; deactivation refused while mounted, done
#                after the unmount
#   interactive  the initramfs asks on the serial console: a wrong password
#                is refused and asked again, the right one mounts the volume
#   missing      no key file, the volume and its mount "nofail": multi-user
#                is reached, the volume stays closed, the journal names the
#                missing file; the documented recovery brings the data back
#   ask-password interactive under systemd: the prompt goes through
#                systemd-ask-password (the console agent), wrong password
#                refused and asked again
#   required     no key file, and the volume is "required": emergency mode,
#                with a message that says why and what to do
#
# In the booted system mkey-boottest.service checks each case and reports
# KTAP on a second serial port. KTAP on stdout; logs in build/boot/logs/.
#
#   tests/lib/phase-boot.sh [unattended|missing|interactive|ask-password|required ...]
#
# Skips (1..0 # SKIP) only when debootstrap cannot run here at all (not
# root, no debootstrap or python3); with CI=true that is a failure instead.
set -eu
set -o pipefail
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"

all_cases=(unattended missing interactive ask-password required)
bootdir="$top/build/boot"
blogs="$bootdir/logs"
root="$bootdir/root"
python=/usr/bin/python3
password="correct horse battery staple"
boot_timeout=${BOOT_TIMEOUT:-600}

cases=()
for c in "$@"; do
	case " ${all_cases[*]} " in
	*" $c "*) cases+=("$c") ;;
	*) echo "phase-boot: unknown case '$c' (${all_cases[*]})" >&2; exit 2 ;;
	esac
done
[ ${#cases[@]} -gt 0 ] || cases=("${all_cases[@]}")

cannot() {
	if [ "${CI:-}" = true ]; then
		ktap_plan 1
		fail "boot tests can run" "$1 (CI must run the boot tests)"
		exit 1
	fi
	ktap_skip_all "$1"
}
[ "$(id -u)" = 0 ] || cannot "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || cannot "debootstrap is not installed (make deps)"
[ -x "$python" ] || cannot "$python is not installed (make deps)"
command -v qemu-system-x86_64 >/dev/null || cannot "qemu-system-x86_64 is not installed (make deps)"

mkdir -p "$blogs"
exec 8>"$bootdir/.lock"
flock 8

# A case is two results: its image, and its boot.
ktap_plan $((4 + 2 * ${#cases[@]}))
# Never leave the image's /proc or /dev mounted.
trap 'umount "$root/dev" "$root/proc" 2>/dev/null || true' EXIT

# ---------------------------------------------------------------- the image

# Debian kernel modules the guest needs, with their dependencies.
guest_modules="virtio_pci virtio_blk virtio_rng ext4 crc32c-intel dm-mod xts ecb aesni-intel autofs4"

copy_modules() {
	local m f mods=$guest_modules
	[ -f "$top/kernel/dm-mkey.ko" ] && mods="$mods $(modinfo -F depends "$top/kernel/dm-mkey.ko" | tr ',' ' ')"
	for m in $mods; do
		modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }' || return 1
	done | sort -u >"$bootdir/modules.txt" || return 1
	while read -r f; do
		install -D -m 0644 "$f" "$root$f" || return 1
	done <"$bootdir/modules.txt"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		cp "/lib/modules/$kver/$f" "$root/lib/modules/$kver/" || return 1
	done
	cp "/boot/config-$kver" "$root/boot/"
}

stage() {
	local cache_root=$1
	rm -rf "$root"
	mkdir -p "$root"
	cp -a "$cache_root/." "$root/" || return 1
	copy_modules || return 1
	# What a user does: make install (default PREFIX /usr/local).
	mk install DESTDIR="$root" KVER="$kver" || return 1
	chroot "$root" depmod -a "$kver" || return 1
	echo mkeytest >"$root/etc/hostname"
	mkdir -p "$root/srv/data"
	install -D -m 0755 "$top/tests/boot/image/check.sh" "$root/usr/local/lib/mkey-boottest/check.sh"
	install -m 0644 "$top/tests/lib/ktap.sh" "$root/usr/local/lib/mkey-boottest/ktap.sh"
	install -m 0644 "$top/tests/boot/image/mkey-boottest.service" "$root/etc/systemd/system/"
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sf ../mkey-boottest.service "$root/etc/systemd/system/multi-user.target.wants/"
	# No NIC, no network: nothing to wait for.
	rm -f "$root/etc/systemd/system/multi-user.target.wants/"systemd-networkd* 2>/dev/null || true
}

# The key file, the encrypted data disk, unattended unlocking.
keys() {
	local pw=$bootdir/boot-data.pw
	install -d -m 0755 "$root/etc/mkey"
	printf '%s\n' "$password" >"$pw"
	chmod 0600 "$pw"
	"$top/build/mkey" keyfile-create "$root/etc/mkey/data.mkey" --admin alice \
		--password-file "$pw" --kdf-memory 8192 --kdf-passes 1 --kdf-parallel 1 \
		--description "boot test data" || return 1
	rm -f "$bootdir/data.img"
	truncate -s 64M "$bootdir/data.img" || return 1
	"$top/build/mkey" format "$bootdir/data.img" --key-file "$root/etc/mkey/data.mkey" \
		--password-file "$pw" || return 1
	uuid=$("$top/build/mkey" dump "$bootdir/data.img" | awk '/^Volume UUID:/ { print $3 }')
	[ -n "$uuid" ] || return 1
	# What the booted system checks.
	printf 'dm-mkey boot test\n' >"$bootdir/boot-data.hello"
	{
		echo "VOLUME_UUID=$uuid"
		echo "HELLO='dm-mkey boot test'"
		echo "SEQ_SHA256=$(seq 1 200000 | sha256sum | cut -d' ' -f1)"
	} >"$root/usr/local/lib/mkey-boottest/expected"
	cp "$root/etc/mkey/data.mkey" "$bootdir/boot-data.mkey"
}

# Fill the data volume in the ordinary test VM (the host cannot load the module).
fill_data() {
	VM_LOGDIR="$blogs" VM_QEMU_ARGS="-drive file=$bootdir/data.img,if=virtio,format=raw,cache=unsafe" \
		"$top/tests/vm/run.sh" --add "$bootdir/boot-data.mkey" --add "$bootdir/boot-data.pw" \
		--add "$bootdir/boot-data.hello" "$top/tests/boot/prep-data.sh"
}

# in_root CMD...: run CMD chrooted in the image, with /proc and /dev there.
in_root() {
	local rc=0
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	chroot "$root" "$@" || rc=$?
	umount "$root/dev" "$root/proc"
	return $rc
}

# The configuration of one case, the initramfs made inside the image, and
# the root disk image.
configure() {
	local case=$1 options=- fsopts=defaults startup=unattended rc=0
	case "$case" in
	interactive) options=initramfs,tries=3 startup=interactive ;;
	ask-password) options=tries=3 startup=interactive ;;
	missing) options=nofail fsopts=defaults,nofail ;;
	required) options=required fsopts=defaults,nofail ;;
	esac
	# Back to the whole key file, with the startup setting of the case.
	if [ ! -f "$root/etc/mkey/data.mkey" ]; then
		cp -p "$root/root/data.mkey.backup" "$root/etc/mkey/data.mkey" || return 1
	fi
	cp "$bootdir/boot-data.pw" "$root/run/boot-data.pw" || return 1
	in_root /usr/local/sbin/mkey keyfile-startup /etc/mkey/data.mkey "$startup" \
		--admin alice --password-file /run/boot-data.pw || rc=$?
	rm -f "$root/run/boot-data.pw"
	[ "$rc" = 0 ] || return 1
	in_root /usr/local/sbin/mkey keyfile-backup --force /etc/mkey/data.mkey \
		/root/data.mkey.backup || return 1
	if [ "$case" = missing ] || [ "$case" = required ]; then
		rm "$root/etc/mkey/data.mkey" || return 1
	fi
	cat >"$root/etc/mkeytab" <<-EOF
		# dm-mkey boot test, case $case
		data  UUID=$uuid  /etc/mkey/data.mkey  $options
	EOF
	cat >"$root/etc/fstab" <<-EOF
		/dev/vda          /          ext4  errors=remount-ro  0 1
		/dev/mapper/data  /srv/data  ext4  $fsopts           0 2
	EOF
	in_root update-initramfs -c -k "$kver" >/dev/null 2>"$bootdir/update-initramfs.err" ||
		{ cat "$bootdir/update-initramfs.err"; return 1; }
	cat "$bootdir/update-initramfs.err"
	rm -f "$root/boot/initrd.img-$kver.dpkg-bak"
	cp "$root/boot/initrd.img-$kver" "$bootdir/initrd-$case.img" || return 1
	rm -f "$bootdir/root-$case.img"
	mkfs.ext4 -q -F -L mkey-root -d "$root" "$bootdir/root-$case.img" 1G || return 1
	# What the initramfs holds, for the log.
	echo "initramfs of case $case:"
	in_root lsinitramfs "/boot/initrd.img-$kver" | grep -E 'mkey|dm-mod|mkeytab' || true
}

# ---------------------------------------------------------------- booting

boot() {
	local case=$1 start rc=0
	shift
	local ktap="$blogs/$case.ktap" console="$blogs/$case.console.log"
	rm -f "$ktap" "$blogs/$case.journal.log"
	: >"$ktap"
	start=$(date +%s)
	"$python" "$top/tests/boot/console.py" --log "$console" --timeout "$boot_timeout" \
		--fail-on 'Kernel panic' "$@" -- \
		qemu-system-x86_64 -accel tcg -cpu max -smp "${VM_SMP:-2}" -m "${BOOT_MEM:-1024}" \
		-no-reboot -nodefaults -no-user-config -display none -monitor none \
		-kernel "/boot/vmlinuz-$kver" -initrd "$bootdir/initrd-$case.img" \
		-drive "file=$bootdir/root-$case.img,if=virtio,format=raw,cache=unsafe" \
		-drive "file=$bootdir/data.img,if=virtio,format=raw,cache=unsafe" \
		-device virtio-rng-pci \
		-serial stdio -serial "file:$ktap" -serial "file:$blogs/$case.journal.log" \
		-append "root=/dev/vda ro console=ttyS0,115200 quiet systemd.show_status=1 panic=-1 mkeytest.case=$case" \
		</dev/null 2>"$blogs/$case.console.err" || rc=$?
	boot_secs=$(($(date +%s) - start))
	sed -i 's/\r$//' "$ktap" "$blogs/$case.journal.log" 2>/dev/null || true
	return $rc
}

# The required case never reaches multi-user.target: its checks are on the
# console the host saw (KTAP in the form check.sh writes).
emergency_ktap() {
	local console="$blogs/required.console.log" n=0 failed=0
	echo "KTAP version 1"
	echo "1..3"
	for t in "key file /etc/mkey/data.mkey is missing|the console names the missing key file" \
		"volume data is required (option 'required' in /etc/mkeytab)|the console says the volume is required and how to go on" \
		"You are in emergency mode|the system is in emergency mode"; do
		n=$((n + 1))
		if grep -qF -- "${t%%|*}" "$console"; then
			echo "ok $n ${t#*|}"
		else
			echo "# the console never showed: ${t%%|*}"
			echo "not ok $n ${t#*|}"
			failed=1
		fi
	done
	echo "# check.sh: exit $failed"
}

# report CASE RC: nest the guest's KTAP and print the case's result.
report_case() {
	local case=$1 rc=$2 f reasons=()
	local ktap="$blogs/$case.ktap"
	echo "    # Subtest: $case"
	[ "$case" = required ] && emergency_ktap >"$ktap"
	"$top/tests/lib/ktap-nest.sh" <"$ktap"
	read -r _ f _ < <(awk -v out=counts -f "$top/tests/lib/ktap.awk" "$ktap")
	[ "$rc" = 0 ] || reasons+=("$(sed 's/^/    # /' "$blogs/$case.console.err")")
	if ! grep -Eq '^(KTAP version|[0-9]+\.\.[0-9]+)' "$ktap"; then
		reasons+=("    # no KTAP from the guest's checks (did it reach multi-user.target?)")
	elif ! grep -qx '# check.sh: exit 0' "$ktap"; then
		reasons+=("    # the guest's check script did not finish with exit 0")
	fi
	bad=$(grep -E 'Kernel panic|BUG:|Oops|general protection fault|Call Trace' \
		"$blogs/$case.console.log" | head -n 5 || true)
	[ -z "$bad" ] || reasons+=("    # the console shows a kernel problem:" "$(printf '%s\n' "$bad" | sed 's/^/    #   /')")
	echo "    # $case: booted and checked in ${boot_secs}s"
	if [ "$f" != 0 ] || [ ${#reasons[@]} -gt 0 ]; then
		printf '%s\n' "${reasons[@]}"
		echo "    # logs: $blogs/$case.console.log, $case.journal.log, $case.ktap"
		fail "$case"
	else
		ok "$case"
	fi
}

run_case() {
	local case=$1 rc=0
	if ! logged "$case: configuration and initramfs (update-initramfs in the image)" \
		"$blogs/$case.setup.log" configure "$case"; then
		skip "$case" "its image could not be made"
		return
	fi
	case "$case" in
	interactive | ask-password)
		boot "$case" --fail-on 'You are in emergency mode' \
			--expect 'Administrator for key file /etc/mkey/data.mkey \(volume data\) \[ALICE\]:' \
			--send alice \
			--expect 'Password of ALICE for key file /etc/mkey/data.mkey:' --send 'wrong password' \
			--expect 'Wrong password for ALICE \(attempt 1 of 3\)' \
			--expect 'Administrator for key file /etc/mkey/data.mkey \(volume data\) \[ALICE\]:' \
			--send alice \
			--expect 'Password of ALICE for key file /etc/mkey/data.mkey:' --send "$password" \
			|| rc=$?
		;;
	required)
		boot "$case" --expect "volume data is required" \
			--expect 'You are in emergency mode' --stop || rc=$?
		;;
	*)
		boot "$case" --fail-on 'You are in emergency mode' || rc=$?
		;;
	esac
	report_case "$case" "$rc"
}

# ---------------------------------------------------------------- main

cache_root=
if logged "Debian root file system (debootstrap, cached outside the tree)" \
	"$blogs/rootfs.log" "$top/tests/boot/rootfs.sh"; then
	cache_root=$(tail -n 1 "$blogs/rootfs.log")
	diag "rootfs: $cache_root"
fi
staged=0
if [ -n "$cache_root" ] && logged "make install into a copy, with Debian's modules for $kver" \
	"$blogs/install.log" stage "$cache_root"; then
	staged=1
elif [ -z "$cache_root" ]; then
	skip "make install into a copy, with Debian's modules for $kver" "no root file system"
fi
uuid=
filled=0
if [ "$staged" = 1 ] && logged "key file (mkey keyfile-create) and data disk (mkey format)" \
	"$blogs/keys.log" keys; then
	uuid=$(sed -n 's/^VOLUME_UUID=//p' "$root/usr/local/lib/mkey-boottest/expected")
	if logged "data volume filled in the test VM" "$blogs/fill-data.log" fill_data; then
		filled=1
	fi
else
	skip "key file (mkey keyfile-create) and data disk (mkey format)" "no image"
	skip "data volume filled in the test VM" "no image"
fi
for c in "${cases[@]}"; do
	if [ "$filled" = 1 ]; then
		run_case "$c"
	else
		skip "$c: configuration and initramfs (update-initramfs in the image)" "no image"
		skip "$c" "the image or the data disk could not be made"
	fi
done
ktap_done
