#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs the test VM boots: busybox, kmod, Debian's kernel
# modules the tests need (dependencies resolved through the kernel's
# modules.dep), the host tools the tests call with their shared libraries,
# the project's binaries, dm-mkey.ko and the guest test scripts.
#
#   tests/vm/mkinitramfs.sh [-o DIR] [--ko FILE|--no-ko] [--bin FILE]... [--add FILE]...
#
#   -o DIR     output directory (default build/vm)
#   --ko FILE  the module to put at /mkey/dm-mkey.ko (default kernel/dm-mkey.ko
#              when it exists); --no-ko leaves it out
#   --bin FILE a project binary for /mkey/bin (repeatable); its libraries come too
#   --add FILE an extra guest script for /mkey/tests (repeatable)
#
# The image is two cpio archives, concatenated (the kernel unpacks both):
#   base.cpio     busybox, kmod, tools, libraries, Debian modules: changes
#                 only when the host's packages or the lists change
#   overlay.cpio  /init, /mkey (module, binaries, test scripts): changes with
#                 every build
# Each is rebuilt only when a manifest of its inputs (paths, sizes, mtimes
# and this script) changes. Uncompressed on purpose: unpacking gzip inside an
# emulated (TCG) guest costs more than it saves.
#
# TEST_KVER selects the kernel (default: scripts/debian-kver.sh).
# Prints the path of the image on stdout.
set -eu
set -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
vmdir="$top/tests/vm"
out="$top/build/vm"
ko=auto
bins=()
adds=()

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--no-ko) ko=; shift ;;
	--bin) bins+=("$2"); shift 2 ;;
	--add) adds+=("$2"); shift 2 ;;
	*) die "unknown argument '$1' (see the header of $0)" ;;
	esac
done

kver=${TEST_KVER:-$("$top/scripts/debian-kver.sh")}
moddir="/lib/modules/$kver"
[ -f "$moddir/modules.dep" ] || die "no $moddir/modules.dep: is linux-image-$kver installed? run 'make deps'"
for t in busybox cpio depmod modprobe ldd; do
	PATH="$PATH:/usr/sbin:/sbin" command -v "$t" >/dev/null ||
		die "'$t' not found; run 'make deps'"
done
[ "$ko" = auto ] && { ko="$top/kernel/dm-mkey.ko"; [ -f "$ko" ] || ko=; }

# Kernel modules the VM tests rely on; tests ask for more in modules.list.
base_modules="dm-mod dm-bufio dm-crypt dm-flakey brd loop
	xts ecb aesni-intel crypto_simd cryptd
	ext4 jbd2 mbcache crc16 crc32c_generic crc32c-intel
	virtio_pci virtio_blk af_alg algif_skcipher algif_hash"

# Host programs for the guest (busybox provides the rest); tests ask for more
# in tools.list. Each is copied to its host path with its libraries.
base_tools="dash kmod dmsetup keyctl mke2fs mkfs.ext4 e2fsck dumpe2fs tune2fs
	blkid losetup blockdev dd grep openssl cryptsetup fio flock"

# Entries of a list file: one per line, '#' comments.
read_list() {
	[ -f "$1" ] || return 0
	sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$1" | grep -v '^$' || true
}

mkdir -p "$out"
tmp=$(mktemp -d "$out/.mkinitramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------- manifests
# A manifest line is "SRC DST": copy file SRC (dereferenced) to DST in the
# guest. Dependencies of dm-mkey.ko are Debian modules, so they go in the base.

declare -A have_lib=()

# add_elf SRC DST MANIFEST: the file and, for a dynamic ELF, its libraries.
add_elf() {
	echo "$1 $2" >>"$3"
	# Not a dynamic executable (busybox-static, scripts): nothing more.
	ldd "$1" >"$tmp/ldd" 2>/dev/null || return 0
	while read -r a b c _; do
		lib=
		case "$a" in
		/*) lib=$a ;;            # the ELF interpreter
		*) [ "$b" = "=>" ] && lib=$c ;;
		esac
		case "$lib" in
		/*) ;;
		"") continue ;;
		*) die "$1 needs $a, which ldd cannot find" ;;
		esac
		[ -n "${have_lib[$lib]:-}" ] && continue
		have_lib[$lib]=1
		echo "$lib $lib" >>"$3"
	done <"$tmp/ldd"
}

tool_path() {
	PATH="/usr/sbin:/usr/bin:/sbin:/bin" command -v "$1" 2>/dev/null || true
}

base="$tmp/base.manifest"
: >"$base"
mods="$base_modules $(read_list "$vmdir/modules.list" | tr '\n' ' ')"
if [ -n "$ko" ]; then
	[ -f "$ko" ] || die "module '$ko' does not exist"
	mods="$mods $(/sbin/modinfo -F depends "$ko" | tr ',' ' ')"
fi
for m in $mods; do
	modprobe -S "$kver" --show-depends "$m" >"$tmp/dep" 2>"$tmp/dep.err" ||
		die "kernel module '$m' not found for $kver: $(cat "$tmp/dep.err")"
	# "insmod /lib/modules/.../x.ko [params]" or "builtin x"
	awk '$1 == "insmod" { print $2, $2 }' "$tmp/dep" >>"$base"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$moddir/$f" ] && echo "$moddir/$f $moddir/$f" >>"$base"
done
echo "$(tool_path busybox) /bin/busybox" >>"$base"
for t in $base_tools $(read_list "$vmdir/tools.list"); do
	p=$(tool_path "$t")
	[ -n "$p" ] || die "host tool '$t' not found; run 'make deps' (or fix tests/vm/tools.list)"
	add_elf "$p" "$p" "$base"
done
for f in /etc/mke2fs.conf; do
	[ -f "$f" ] && echo "$f $f" >>"$base"
done
sort -u -o "$base" "$base"

over="$tmp/overlay.manifest"
: >"$over"
echo "$vmdir/init /init" >>"$over"
echo "$top/tests/lib/ktap.sh /mkey/tests/ktap.sh" >>"$over"
for f in "$vmdir"/*.sh "${adds[@]}"; do
	case "$(basename "$f")" in
	run.sh | mkinitramfs.sh) continue ;; # host side
	esac
	[ -f "$f" ] || die "guest script '$f' does not exist"
	echo "$f /mkey/tests/$(basename "$f")" >>"$over"
done
[ -n "$ko" ] && echo "$ko /mkey/dm-mkey.ko" >>"$over"
for b in "${bins[@]}"; do
	[ -f "$b" ] || die "project binary '$b' does not exist; build it first ('make')"
	add_elf "$b" "/mkey/bin/$(basename "$b")" "$over"
done

# ---------------------------------------------------------------- archives

# stamp MANIFEST: a digest of everything that goes into the archive.
stamp() {
	{
		echo "kver $kver"
		sha256sum "$0" | cut -d' ' -f1
		while read -r src dst; do
			stat -L -c "%n %s %Y %a $dst" "$src"
		done <"$1"
	} | sha256sum | cut -d' ' -f1
}

# stage MANIFEST ROOT: copy the files into ROOT.
stage() {
	while read -r src dst; do
		mkdir -p "$2$(dirname "$dst")"
		cp -L --preserve=mode "$src" "$2$dst"
	done <"$1"
}

# mkcpio ROOT FILE: a newc archive of ROOT, owned by root, in stable order.
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0 >"$2")
}

build_base() {
	local root="$tmp/base"
	mkdir -p "$root"
	# Mirror the host's merged-/usr layout so every host path works as is.
	for d in bin sbin lib lib64; do
		if [ -L "/$d" ]; then
			mkdir -p "$root/$(readlink "/$d")"
			ln -s "$(readlink "/$d")" "$root/$d"
		else
			mkdir -p "$root/$d"
		fi
	done
	mkdir -p "$root"/{usr/bin,usr/sbin,dev,proc,sys,tmp,run,mnt,root,etc,var/tmp}
	stage "$base" "$root"
	# busybox applets first, so kmod and the real tools win over them.
	busybox --list-full | while read -r a; do
		[ -e "$root/$a" ] || [ -L "$root/$a" ] || ln -s /bin/busybox "$root/$a"
	done
	for a in modprobe insmod rmmod lsmod modinfo depmod; do
		rm -f "$root/sbin/$a"
		ln -s /bin/kmod "$root/sbin/$a"
	done
	# Debian's busybox-static shell runs its own applets before PATH, so
	# under it "dd" is busybox dd whatever PATH says (and busybox dd drops
	# O_DIRECT when the kernel refuses it). dash looks commands up in PATH.
	ln -sf "$(tool_path dash)" "$root/bin/sh"
	depmod -b "$root" "$kver"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"
	: >"$root/etc/fstab"
	# The kernel opens /dev/console for /init before devtmpfs is mounted.
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null ||
		echo "mkinitramfs: cannot mknod /dev/console (not root?): early boot messages of /init are lost" >&2
	mkcpio "$root" "$tmp/base.cpio"
}

build_overlay() {
	local root="$tmp/overlay"
	mkdir -p "$root/mkey/bin" "$root/mkey/tests"
	# Libraries of the project's binaries that the base already has: skip.
	awk 'NR == FNR { inbase[$2] = 1; next } !($2 in inbase)' "$base" "$over" >"$tmp/over.manifest"
	stage "$tmp/over.manifest" "$root"
	chmod 0755 "$root/init" "$root"/mkey/tests/*.sh
	mkcpio "$root" "$tmp/overlay.cpio"
}

changed=0
for part in base overlay; do
	m="$tmp/$part.manifest"
	[ "$part" = overlay ] && m="$over"
	s=$(stamp "$m")
	if [ -f "$out/$part.cpio" ] && [ "$(cat "$out/$part.stamp" 2>/dev/null)" = "$s" ]; then
		continue
	fi
	echo "mkinitramfs: building $part.cpio for $kver" >&2
	"build_$part"
	mv "$tmp/$part.cpio" "$out/$part.cpio"
	echo "$s" >"$out/$part.stamp"
	changed=1
done
if [ "$changed" = 1 ] || [ ! -f "$out/initramfs.img" ]; then
	cat "$out/base.cpio" "$out/overlay.cpio" >"$tmp/initramfs.img"
	mv "$tmp/initramfs.img" "$out/initramfs.img"
fi
echo "$out/initramfs.img"
