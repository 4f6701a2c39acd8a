#!/bin/sh
# Print the version of the Debian kernel the tests boot: the one that
# linux-image-amd64 depends on, which must have its headers installed.
# Never `uname -r`: the build machine's own kernel cannot load the module.
set -eu
dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null || true)
kver=$(printf '%s\n' "$dep" | tr ',|' '\n\n' | sed -n 's/^ *linux-image-\([0-9][^ ]*\).*/\1/p' | head -n 1)
if [ -z "$kver" ]; then
	# Fall back to the newest kernel that has both an image and headers.
	for d in $(ls -1d /lib/modules/*/build 2>/dev/null | sort -rV); do
		v=$(basename "$(dirname "$d")")
		if [ -e "/boot/vmlinuz-$v" ]; then kver=$v; break; fi
	done
fi
if [ -z "$kver" ] || [ ! -e "/boot/vmlinuz-$kver" ] || [ ! -d "/lib/modules/$kver/build" ]; then
	echo "debian-kver: no Debian kernel with headers found; run 'make deps'" >&2
	exit 1
fi
echo "$kver"
