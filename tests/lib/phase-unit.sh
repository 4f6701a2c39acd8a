#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "unit": the host unit tests, each a kselftest_harness.h binary
# printing its own TAP. tests/unit/Makefile.inc defines UNIT_TEST_BINS
# (normal build) and ASAN_UNIT_TEST_BINS (ASan + UBSan build) and the
# targets unit-tests / unit-tests-asan that build them. Each binary's output
# is nested under its own result; KTAP on stdout.
#
#   tests/lib/phase-unit.sh [NAME...]   NAME: test-guid, asan/test-guid,
#                                       asan (every ASan binary), plain (every normal one)
#
# UNIT_TIMEOUT (seconds, default 300) bounds each binary.
set -eu
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"

timeout_s=${UNIT_TIMEOUT:-300}
read -r -a plain <<<"$(mkvar UNIT_TEST_BINS)"
read -r -a asan <<<"$(mkvar ASAN_UNIT_TEST_BINS)"
if [ ${#plain[@]} -eq 0 ] && [ ${#asan[@]} -eq 0 ]; then
	ktap_skip_all "no unit tests: tests/unit/Makefile.inc defines no UNIT_TEST_BINS"
fi

# selected KIND NAME: is this binary asked for?
selected() {
	[ $# -gt 0 ] || return 0
	local kind=$1 name=$2
	shift 2
	[ $# -eq 0 ] && return 0
	local s
	for s in "$@"; do
		case "$kind:$s" in
		plain:"$name" | asan:"asan/$name" | plain:plain | asan:asan) return 0 ;;
		esac
	done
	return 1
}

runs=()   # "kind path"
for b in "${plain[@]}"; do
	selected plain "$(basename "$b")" "$@" && runs+=("plain $b")
done
for b in "${asan[@]}"; do
	selected asan "$(basename "$b")" "$@" && runs+=("asan $b")
done
[ ${#runs[@]} -gt 0 ] || ktap_skip_all "no unit test matches: $*"

need_plain=0
need_asan=0
for r in "${runs[@]}"; do
	case "$r" in plain*) need_plain=1 ;; asan*) need_asan=1 ;; esac
done

ktap_plan $((need_plain + need_asan + ${#runs[@]}))
# -k: build every test that can be built, even when one of them cannot.
# After a failed build, a binary that make would still rebuild (it shows in
# a dry run) is stale: it is reported as not built instead of being run.
stale=
build() {
	local name=$1 log=$2 target=$3
	logged "$name" "$log" mk -k -j"$jobs" "$target" && return 0
	stale="$stale $(mk -n -k "$target" 2>/dev/null | tr -s ' \t' '\n' | grep -v '^-' | sort -u | tr '\n' ' ')"
}
[ "$need_plain" = 1 ] && build "build unit tests" "$logs/unit-build.log" unit-tests
[ "$need_asan" = 1 ] && build "build unit tests (ASan+UBSan)" "$logs/unit-build-asan.log" unit-tests-asan

tmp=$(mktemp -d /tmp/mkey-unit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for r in "${runs[@]}"; do
	kind=${r%% *}
	bin=${r#* }
	name=$(basename "$bin")
	[ "$kind" = asan ] && name="asan/$name"
	case "$bin" in /*) path=$bin ;; *) path="$top/$bin" ;; esac
	echo "    # Subtest: $name"
	# A binary whose build failed may be an old one: never run it.
	if [ ! -x "$path" ] || [[ " $stale " == *" $bin "* ]]; then
		fail "$name" "not built (see the build log above)"
		continue
	fi
	out="$logs/unit-${name//\//-}.log"
	rc=0
	(cd "$top" && TMPDIR="$tmp" timeout -k 5 "$timeout_s" "$path") </dev/null 2>&1 |
		tee "$out" | "$top/tests/lib/ktap-nest.sh" || rc=${PIPESTATUS[0]}
	read -r p f s < <(awk -v out=counts -f "$top/tests/lib/ktap.awk" "$out")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail "$name" "timed out after ${timeout_s}s"
	elif [ "$rc" != 0 ] && [ "$rc" != 4 ]; then
		fail "$name" "exit status $rc"
	elif [ "$f" != 0 ]; then
		fail "$name"
	elif [ "$p" = 0 ] && [ "$s" != 0 ]; then
		skip "$name" "every case skipped"
	elif [ "$p" = 0 ]; then
		fail "$name" "no test results"
	else
		ok "$name"
	fi
done

ktap_done
