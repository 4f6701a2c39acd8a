#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every dm-mkey test, as `make check` runs it. Phases, in order:
#
#   build   dm-mkey.ko for the Debian kernel the VM boots, userspace programs
#   unit    host unit tests (tests/unit), normal and ASan+UBSan builds
#   fuzz    a short run of each libFuzzer harness (tests/fuzz, FUZZ_CHECK_TIME)
#   valgrind  the mkey CLI's main paths (and the KMIP life cycle) under
#           valgrind memcheck
#   kmip    the KMIP client against Debian's pykmip-server on 127.0.0.1 (tests/kmip)
#   static  checkpatch.pl and sparse on kernel/; cppcheck and clang-tidy on
#           the userspace C code
#   dkms    dkms add/build/remove of a throwaway copy, vermagic check
#   vm      system tests: one QEMU VM per tests/vm/t-*.sh, and the demo
#   boot    a real Debian system booting with dm-mkey volumes: unattended,
#           missing key file, interactive in the initramfs and under systemd,
#           a required volume (emergency mode) (tests/boot)
#
# Each phase prints KTAP, nested (indented) under the phase's own result, as
# it goes; the last line is "N passed, N failed" (", N skipped" when any
# were skipped), counting leaf tests. Exit status 0 only when nothing failed.
#
#   tests/run-all.sh                    everything
#   tests/run-all.sh --only vm,static   only these phases (build always runs)
#   tests/run-all.sh vm/t-smoke unit/test-guid unit/asan/test-guid static/sparse
#                                       only these tests (phase/name; a bare
#                                       phase name means the whole phase)
#   tests/run-all.sh --list             the phases and tests there are
#
# make check TESTS="vm/t-smoke unit" passes TESTS as arguments.
# Logs: build/check/ (one NAME.ktap per phase, build and tool logs),
# build/vm/logs/ (serial and kernel logs of each VM test).
set -eu
set -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
logs="$top/build/check"
phases=(build unit fuzz valgrind kmip static dkms vm boot)

usage() {
	sed -n '3,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

declare -A want=() sel=()
any=0
add_phase() {
	local p
	for p in "${phases[@]}"; do
		if [ "$p" = "$1" ]; then
			want[$1]=1
			any=1
			return 0
		fi
	done
	echo "run-all: unknown phase '$1' (phases: ${phases[*]})" >&2
	exit 2
}

list=0
while [ $# -gt 0 ]; do
	case "$1" in
	--only)
		[ $# -ge 2 ] || { echo "run-all: --only needs a phase list" >&2; exit 2; }
		for p in ${2//,/ }; do add_phase "$p"; done
		shift ;;
	--only=*)
		v=${1#--only=}
		for p in ${v//,/ }; do add_phase "$p"; done ;;
	--list) list=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "run-all: unknown option '$1' (see --help)" >&2; exit 2 ;;
	*/*)
		p=${1%%/*}
		add_phase "$p"
		sel[$p]="${sel[$p]:-} ${1#*/}" ;;
	*) add_phase "$1" ;;
	esac
	shift
done
if [ "$any" = 0 ]; then
	for p in "${phases[@]}"; do want[$p]=1; done
fi
want[build]=1 # every other phase tests what it builds

if [ "$list" = 1 ]; then
	echo build
	for b in $(make -s -C "$top" --no-print-directory print-UNIT_TEST_BINS 2>/dev/null); do
		echo "unit/$(basename "$b")"
	done
	for b in $(make -s -C "$top" --no-print-directory print-ASAN_UNIT_TEST_BINS 2>/dev/null); do
		echo "unit/asan/$(basename "$b")"
	done
	for f in $(make -s -C "$top" --no-print-directory print-FUZZ_NAMES 2>/dev/null); do
		echo "fuzz/$f"
	done
	echo valgrind/cli
	echo valgrind/kmip
	for f in "$top"/tests/kmip/t-*.sh; do
		[ -e "$f" ] && echo "kmip/$(basename "$f" .sh)"
	done
	echo static/checkpatch
	echo static/sparse
	echo static/cppcheck
	echo static/clang-tidy
	echo dkms
	"$top/tests/vm/run.sh" --list | sed 's|^|vm/|'
	printf 'boot/%s\n' unattended missing interactive ask-password required
	exit 0
fi

mkdir -p "$logs"
if ! TEST_KVER=${TEST_KVER:-$("$top/scripts/debian-kver.sh")}; then
	echo "run-all: cannot find the Debian kernel the tests boot; run 'make deps'" >&2
	exit 1
fi
export TEST_KVER
# Outputs whose build failed in this run (phase-build.sh): the VM leaves
# them out rather than testing an older build.
export MKEY_STALE_LIST="$logs/stale"

# run_phase N NAME CMD...: run one phase, nest its KTAP, print its result.
run_phase() {
	local n=$1 name=$2
	shift 2
	local out="$logs/$name.ktap" rc=0 start p f s
	start=$(date +%s)
	echo "    # Subtest: $name"
	(cd "$top" && "$@") </dev/null 2>&1 | tee "$out" |
		"$top/tests/lib/ktap-nest.sh" || rc=${PIPESTATUS[0]}
	read -r p f s < <(awk -v out=counts -f "$top/tests/lib/ktap.awk" "$out")
	echo "# $name: $p passed, $f failed, $s skipped in $(($(date +%s) - start))s"
	if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		[ "$rc" != 0 ] && echo "# $name: exit status $rc"
		echo "not ok $n $name"
	elif [ "$p" = 0 ] && [ "$s" != 0 ]; then
		echo "ok $n $name # SKIP nothing to test yet"
	else
		echo "ok $n $name"
	fi
}

main() {
	local selected=() p n=0
	for p in "${phases[@]}"; do
		[ -n "${want[$p]:-}" ] && selected+=("$p")
	done
	echo "KTAP version 1"
	echo "# dm-mkey tests: kernel $TEST_KVER, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "1..${#selected[@]}"
	for p in "${selected[@]}"; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # the selection is a word list
		case "$p" in
		build) run_phase "$n" build tests/lib/phase-build.sh ;;
		unit) run_phase "$n" unit tests/lib/phase-unit.sh ${sel[unit]:-} ;;
		fuzz) run_phase "$n" fuzz tests/lib/phase-fuzz.sh ${sel[fuzz]:-} ;;
		valgrind) run_phase "$n" valgrind tests/lib/phase-valgrind.sh ${sel[valgrind]:-} ;;
		kmip) run_phase "$n" kmip tests/lib/phase-kmip.sh ${sel[kmip]:-} ;;
		static) run_phase "$n" static tests/lib/phase-static.sh ${sel[static]:-} ;;
		dkms) run_phase "$n" dkms tests/lib/phase-dkms.sh ;;
		vm) run_phase "$n" vm tests/vm/run.sh ${sel[vm]:-} ;;
		boot) run_phase "$n" boot tests/lib/phase-boot.sh ${sel[boot]:-} ;;
		esac
	done
}

main | tee "$logs/all.ktap"
# The failed leaf tests by path (phase/test/case), then the summary line.
awk -v out=failures -v notes=1 -f "$top/tests/lib/ktap.awk" "$logs/all.ktap" \
	>"$logs/failures.txt" 2>"$logs/ktap-notes.txt"
summary=$(tail -n 1 "$logs/failures.txt")
if [ "$(wc -l <"$logs/failures.txt")" -gt 1 ]; then
	echo "# failed:"
	sed '$d; s/^/#   /' "$logs/failures.txt"
fi
sed 's/^# //; s/^/# /' "$logs/ktap-notes.txt"
echo "$summary"
case "$summary" in
*" 0 failed"*) exit 0 ;;
*) exit 1 ;;
esac
