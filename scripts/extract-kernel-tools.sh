#!/bin/sh
# Extract the kernel's own test and style tools from Debian's linux-source
# tarball into third_party/ (never committed):
#   third_party/kselftest/{kselftest_harness.h,kselftest.h}
#   third_party/scripts/{checkpatch.pl,spelling.txt,const_structs.checkpatch}
# Idempotent: does nothing when the files are already there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dest="$top/third_party"
stamp="$dest/.extracted"
[ -e "$stamp" ] && exit 0

tarball=$(ls -1 /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tarball" ]; then
	echo "extract-kernel-tools: no /usr/src/linux-source-*.tar.xz; run 'make deps'" >&2
	exit 1
fi
srcdir=$(basename "$tarball" .tar.xz)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" \
	"$srcdir/tools/testing/selftests/kselftest_harness.h" \
	"$srcdir/tools/testing/selftests/kselftest.h" \
	"$srcdir/scripts/checkpatch.pl" \
	"$srcdir/scripts/spelling.txt" \
	"$srcdir/scripts/const_structs.checkpatch"
mkdir -p "$dest/kselftest" "$dest/scripts"
cp "$tmp/$srcdir/tools/testing/selftests/kselftest_harness.h" \
   "$tmp/$srcdir/tools/testing/selftests/kselftest.h" "$dest/kselftest/"
cp "$tmp/$srcdir/scripts/checkpatch.pl" "$tmp/$srcdir/scripts/spelling.txt" \
   "$tmp/$srcdir/scripts/const_structs.checkpatch" "$dest/scripts/"
chmod +x "$dest/scripts/checkpatch.pl"
touch "$stamp"
