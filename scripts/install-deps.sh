#!/bin/sh
# Package lists are space-separated words: splitting them is intended.
# shellcheck disable=SC2086
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package dm-mkey needs to build, test, benchmark and
# demo, but only the ones that are missing. Quiet when nothing is missing.
#
#   scripts/install-deps.sh          install what is missing (needs root)
#   scripts/install-deps.sh --list   print the package list and exit
#   scripts/install-deps.sh --check  exit 1 and name what is missing; install nothing
#
# `make deps` runs this; `make check`, `make demo` and `make bench` run it first.
set -eu

# Build: compiler, the Debian kernel the tests boot and its headers, the
# linux-source tarball (kselftest harness, checkpatch), static analysis,
# dkms, and the userspace libraries libmkey links against.
build_pkgs="gcc make pkg-config libc6-dev
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 xz-utils perl
	sparse dkms kmod
	libdevmapper-dev libkeyutils-dev libssl-dev libargon2-dev libjson-c-dev libblkid-dev
	clang libclang-rt-14-dev"

# VM tests: the emulator, and the tools copied into the guest's initramfs.
vm_pkgs="qemu-system-x86 busybox-static cpio coreutils util-linux mount
	dmsetup keyutils e2fsprogs fio cryptsetup-bin openssl"

# A full Debian guest for boot tests, the KMIP test server, static analysis
# of the userspace code (cppcheck, clang-tidy) and valgrind.
later_pkgs="debootstrap python3 python3-pykmip cppcheck clang-tidy valgrind"

all_pkgs=$(printf '%s\n' $build_pkgs $vm_pkgs $later_pkgs)

# One dpkg-query for all packages; "install ok installed" is the only state
# in which a package is usable.
missing_pkgs() {
		installed=$(dpkg-query -W -f='${Package} ${Status}\n' $all_pkgs 2>/dev/null |
		sed -n 's/^\([^ ]*\) install ok installed$/\1/p' || true)
	for p in $all_pkgs; do
		printf '%s\n' "$installed" | grep -qx -- "$p" || printf '%s\n' "$p"
	done
}

case "${1:-}" in
--list)
	printf '%s\n' "$all_pkgs"
	exit 0
	;;
--check)
	missing=$(missing_pkgs)
	[ -z "$missing" ] && exit 0
	echo "install-deps: missing Debian packages:" $missing >&2
	echo "install-deps: run 'make deps' (as root) to install them" >&2
	exit 1
	;;
'') ;;
*)
	echo "usage: $0 [--list|--check]" >&2
	exit 2
	;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: dpkg-query not found: this script needs Debian (bookworm)" >&2
	exit 1
fi

missing=$(missing_pkgs)
[ -z "$missing" ] && exit 0

echo "install-deps: installing missing packages:" $missing
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install packages; run 'sudo make deps'" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once, and only because something is missing.
apt-get update -q
apt-get install -y -q --no-install-recommends $missing

still=$(missing_pkgs)
if [ -n "$still" ]; then
	echo "install-deps: still missing after apt-get install:" $still >&2
	exit 1
fi
