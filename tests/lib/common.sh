# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034
#
# Shared set-up of the host-side test phases (tests/lib/phase-*.sh). Source it.
#   top    the source tree        kver  the Debian kernel the tests target
#   logs   build/check/, where each phase keeps its full logs
#   jobs   make -j value
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib/ktap.sh
. "$top/tests/lib/ktap.sh"
logs="$top/build/check"
mkdir -p "$logs"
jobs=$(nproc 2>/dev/null || echo 2)

if [ -z "${TEST_KVER:-}" ]; then
	TEST_KVER=$("$top/scripts/debian-kver.sh") || {
		ktap_plan 1
		fail "find the Debian kernel" "scripts/debian-kver.sh failed; run 'make deps'"
		exit 1
	}
fi
kver=$TEST_KVER
kdir="/lib/modules/$kver/build"

# mk ARGS...: make in the source tree, quietly (no "Entering directory").
mk() {
	make -C "$top" --no-print-directory "$@"
}

# mkvar VAR: the value of a make variable of the top-level Makefile.
mkvar() {
	mk -s "print-$1" 2>/dev/null
}

# logged NAME LOG CMD...: run CMD with its output in LOG; ok, or fail with
# the end of LOG.
logged() {
	local name=$1 log=$2 rc=0
	shift 2
	"$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		ok "$name"
		return 0
	fi
	diag "\$ $*"
	diag_file "$log" 30
	diag "full log: $log"
	fail "$name" "exit status $rc"
	return 1
}

# kernel_sources: our kernel/*.c and *.h, without modpost's generated *.mod.c.
kernel_sources() {
	local f
	for f in "$top"/kernel/*.c "$top"/kernel/*.h; do
		[ -e "$f" ] || continue
		case "$f" in *.mod.c) continue ;; esac
		printf '%s\n' "${f#"$top"/}"
	done
}
