#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian root file system the boot tests start from: debootstrap
# (minbase) of bookworm with systemd, udev, initramfs-tools and the
# libraries mkey and mkey-agent link against. It is built once and kept in
# a cache OUTSIDE the work tree, keyed by everything that goes into it, so
# that later runs and other trees reuse it (~40 s and ~270 MB to build).
#
#   tests/boot/rootfs.sh            print the cached tree's path (build it first if needed)
#   tests/boot/rootfs.sh --check    exit 0 if it is cached, 1 if not; build nothing
#   tests/boot/rootfs.sh --key      print the cache key
#
# Environment:
#   MKEY_BOOT_CACHE     cache directory (default /var/cache/dm-mkey as root,
#                       else ${XDG_CACHE_HOME:-~/.cache}/dm-mkey)
#   MKEY_DEBIAN_MIRROR  Debian mirror (default: the first deb.debian.org-style
#                       URI of the machine's apt sources for bookworm, else
#                       http://deb.debian.org/debian)
#
# The cached tree is <cache>/rootfs-<key>/root, made complete before it is
# renamed into place (a run that dies leaves no half tree), under a lock so
# that two runs do not both build it. Needs root (debootstrap, chroot).
set -eu
set -o pipefail

suite=bookworm
variant=minbase
packages="systemd,systemd-sysv,udev,kmod,initramfs-tools,e2fsprogs,util-linux,keyutils,libdevmapper1.02.1,libkeyutils1,libssl3,libargon2-1,libjson-c5,libblkid1"

die() {
	echo "boot/rootfs: $*" >&2
	exit 1
}

cache_dir() {
	if [ -n "${MKEY_BOOT_CACHE:-}" ]; then
		echo "$MKEY_BOOT_CACHE"
	elif [ "$(id -u)" = 0 ]; then
		echo /var/cache/dm-mkey
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/dm-mkey"
	fi
}

# The mirror the machine's own apt sources use for Debian, if any.
mirror() {
	local m
	if [ -n "${MKEY_DEBIAN_MIRROR:-}" ]; then
		echo "$MKEY_DEBIAN_MIRROR"
		return
	fi
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' |
		grep -E '/debian/?$' | head -n 1 || true)
	if [ -z "$m" ]; then
		m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" && $3 ~ /^'"$suite"'$/ { print $2 }' |
			grep -E '/debian/?$' | head -n 1 || true)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

key() {
	printf '%s\n' "$suite" "$variant" "$packages" "$(dpkg --print-architecture)" |
		sha256sum | cut -c1-12
}

cache=$(cache_dir)
dir="$cache/rootfs-$(key)"

case "${1:-}" in
--check)
	[ -f "$dir/complete" ]
	exit
	;;
--key)
	key
	exit 0
	;;
'') ;;
*)
	sed -n '3,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
	exit 2
	;;
esac

if [ -f "$dir/complete" ]; then
	echo "$dir/root"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "building the Debian root file system needs root (debootstrap)"
command -v debootstrap >/dev/null || die "debootstrap is not installed; run 'make deps'"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -f "$dir/complete" ]; then
	tmp=$(mktemp -d "$cache/.rootfs-build.XXXXXX")
	log="$cache/debootstrap-$(key).log"
	m=$(mirror)
	echo "boot/rootfs: debootstrap --variant=$variant $suite from $m into $dir (log: $log)" >&2
	if ! debootstrap --variant="$variant" --include="$packages" "$suite" "$tmp/root" "$m" \
		>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		rm -rf "$tmp"
		die "debootstrap failed (full log: $log)"
	fi
	# Package caches are not part of the tree the tests start from.
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_* 2>/dev/null || true
	printf 'suite=%s\nvariant=%s\npackages=%s\nmirror=%s\nbuilt=%s\n' "$suite" "$variant" \
		"$packages" "$m" "$(date -u +%FT%TZ)" >"$tmp/complete"
	rm -rf "$dir"
	mv "$tmp" "$dir"
fi
echo "$dir/root"
