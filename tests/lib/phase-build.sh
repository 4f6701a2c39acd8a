#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "build": the kernel's test tools, dm-mkey.ko for the Debian
# kernel the VM boots, and every userspace program (make user). KTAP on stdout.
#
# When the module or the programs fail to build, older builds of them may
# still be on disk (this tree may be shared with people who use them): they
# are left alone but listed in build/check/stale, and tests/run-all.sh keeps
# them out of the VM, so that no phase tests a stale binary.
set -eu
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"
stale="$logs/stale"
: >"$stale"

ktap_plan 3
diag "kernel $kver ($kdir)"

logged "kernel tools extracted (kselftest harness, checkpatch)" \
	"$logs/build-tools.log" "$top/scripts/extract-kernel-tools.sh" || true

if [ ! -d "$kdir" ]; then
	fail "module dm-mkey.ko for $kver" "no $kdir: run 'make deps' (linux-headers-amd64)"
elif ! logged "module dm-mkey.ko for $kver" "$logs/build-module.log" \
	mk -j"$jobs" module KVER="$kver"; then
	echo "$top/kernel/dm-mkey.ko" >>"$stale"
fi

targets=$(mkvar USER_TARGETS)
if [ -z "$targets" ]; then
	skip "userspace programs" "no userspace fragments define USER_TARGETS yet"
elif ! logged "userspace programs" "$logs/build-user.log" mk -j"$jobs" user; then
	for t in $targets $(mkvar VM_GUEST_BINS); do
		case "$t" in /*) ;; *) t="$top/$t" ;; esac
		echo "$t" >>"$stale"
	done
fi

ktap_done
