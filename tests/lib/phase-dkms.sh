#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "dkms": dkms.conf really builds the module. On a throwaway copy
# of the module source (scripts/dkms-stage.sh) in a throwaway DKMS tree:
# dkms add, dkms build -k <Debian kernel>, the built module's vermagic is the
# Debian kernel's, the fresh build has no compiler warnings, dkms remove --all.
# Nothing is installed; /var/lib/dkms and /usr/src are not touched (except
# that Debian's dkms creates its module signing key, /var/lib/dkms/mok.key,
# on its first build, as it would for any DKMS package). KTAP on stdout.
set -eu
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"

command -v dkms >/dev/null 2>&1 || { ktap_plan 1; fail "dkms installed" "run 'make deps'"; ktap_done; exit 1; }
ktap_plan 6

version=$(mkvar VERSION)
pkgver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$top/dkms.conf")
if [ -n "$version" ] && [ "$pkgver" = "$version" ]; then
	ok "dkms.conf PACKAGE_VERSION is the Makefile's VERSION ($version)"
else
	fail "dkms.conf PACKAGE_VERSION is the Makefile's VERSION" "dkms.conf says '$pkgver', the Makefile '$version'"
fi
version=${pkgver:-$version}

tmp=$(mktemp -d /tmp/mkey-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src="$tmp/src"
tree="$tmp/tree"
mkdir -p "$src" "$tree"
dk() {
	dkms "$@" -m dm-mkey -v "$version" --sourcetree "$src" --dkmstree "$tree"
}

built="$tree/dm-mkey/$version/$kver/$(uname -m)/module/dm-mkey.ko"
stage_and_add() {
	"$top/scripts/dkms-stage.sh" "$src/dm-mkey-$version" && dk add
}
added=0
compiled=0
if logged "dkms add (source staged by scripts/dkms-stage.sh)" "$logs/dkms-add.log" stage_and_add; then
	added=1
	if logged "dkms build -k $kver" "$logs/dkms-build.log" dk build -k "$kver"; then
		compiled=1
	fi
else
	skip "dkms build -k $kver" "dkms add failed"
fi
# DKMS keeps the log of the last build beside the module.
mlog=$(find "$tree" -name make.log 2>/dev/null | head -n 1)
[ -n "$mlog" ] && cp "$mlog" "$logs/dkms-make.log"

if [ "$compiled" = 1 ]; then
	[ -f "$built" ] || built=$(find "$tree" -name 'dm-mkey.ko*' -path '*/module/*' | head -n 1)
	want=$(modinfo -k "$kver" -F vermagic dm-mod 2>/dev/null || true)
	got=$(modinfo -F vermagic "$built" 2>/dev/null || true)
	if [ -n "$got" ] && [ "$got" = "$want" ]; then
		ok "vermagic is the Debian kernel's ($kver)"
	else
		fail "vermagic is the Debian kernel's ($kver)" "module: '$got', kernel's dm-mod: '$want'"
	fi
	warns=$(grep -E ': (warning|error): ' "${mlog:-/dev/null}" 2>/dev/null || true)
	if [ -z "$mlog" ]; then
		fail "module compiles without warnings" "no make.log in the DKMS tree"
	elif [ -n "$warns" ]; then
		printf '%s\n' "$warns" | head -n 20 | sed 's/^/# /'
		fail "module compiles without warnings" "$(printf '%s\n' "$warns" | wc -l) compiler warnings (full log: $logs/dkms-make.log)"
	else
		ok "module compiles without warnings"
	fi
else
	if [ "$added" = 1 ] && [ -n "$mlog" ]; then
		diag "last lines of DKMS's make.log ($logs/dkms-make.log):"
		diag_file "$mlog" 20
	fi
	skip "vermagic is the Debian kernel's ($kver)" "nothing built"
	skip "module compiles without warnings" "nothing built"
fi
if [ "$added" = 1 ]; then
	logged "dkms remove --all" "$logs/dkms-remove.log" dk remove --all || true
else
	skip "dkms remove --all" "nothing added"
fi

ktap_done
