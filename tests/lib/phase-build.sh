#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "build": the kernel's test tools, dm-mkey.ko for the Debian
# kernel the VM boots, and every userspace program (make user). KTAP on stdout.
#
# A module or program that fails to build is deleted, so that later phases
# (the VM above all) never test a stale binary from an earlier build.
set -eu
. "$(dirname "$0")/common.sh"

ktap_plan 3
diag "kernel $kver ($kdir)"

logged "kernel tools extracted (kselftest harness, checkpatch)" \
	"$logs/build-tools.log" "$top/scripts/extract-kernel-tools.sh" || true

if [ ! -d "$kdir" ]; then
	fail "module dm-mkey.ko for $kver" "no $kdir: run 'make deps' (linux-headers-amd64)"
elif ! logged "module dm-mkey.ko for $kver" "$logs/build-module.log" \
	mk -j"$jobs" module KVER="$kver"; then
	rm -f "$top/kernel/dm-mkey.ko"
fi

targets=$(mkvar USER_TARGETS)
if [ -z "$targets" ]; then
	skip "userspace programs" "no userspace fragments define USER_TARGETS yet"
elif ! logged "userspace programs" "$logs/build-user.log" mk -j"$jobs" user; then
	for t in $targets; do
		case "$t" in /*) ;; *) t="$top/$t" ;; esac
		rm -f "$t"
	done
fi

ktap_done
