#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "fuzz": a short run of every libFuzzer harness (tests/fuzz,
# FUZZ_NAMES in tests/fuzz/Makefile.inc), each on a throwaway copy of its
# seed corpus. A crash, leak or sanitizer report fails the harness; the
# input that caused it is kept as build/fuzz/NAME-crash-*. KTAP on stdout.
# `make fuzz FUZZ_TIME=N` is the long run.
#
#   tests/lib/phase-fuzz.sh [NAME...]     NAME: keyfile, ...
#
# FUZZ_CHECK_TIME (seconds, default 20) is how long each harness runs.
set -eu
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"

secs=${FUZZ_CHECK_TIME:-20}
read -r -a names <<<"$(mkvar FUZZ_NAMES)"
if [ ${#names[@]} -eq 0 ]; then
	ktap_skip_all "no fuzz harnesses: tests/fuzz/Makefile.inc defines no FUZZ_NAMES"
fi
if ! command -v "$(mkvar FUZZ_CC)" >/dev/null 2>&1; then
	ktap_skip_all "$(mkvar FUZZ_CC) is not installed (run 'make deps')"
fi
if [ $# -gt 0 ]; then
	want=("$@")
	sel=()
	for n in "${names[@]}"; do
		for w in "${want[@]}"; do [ "$w" = "$n" ] && sel+=("$n"); done
	done
	[ ${#sel[@]} -gt 0 ] || ktap_skip_all "no fuzz harness matches: $*"
	names=("${sel[@]}")
fi

ktap_plan $((1 + ${#names[@]}))
logged "build fuzz harnesses" "$logs/fuzz-build.log" mk -j"$jobs" fuzz-targets || true

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for n in "${names[@]}"; do
	bin="$top/build/fuzz/$n"
	if [ ! -x "$bin" ]; then
		fail "$n" "not built (see the build log above)"
		continue
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/mkey-fuzz-$n.XXXXXX")
	cp "$top/tests/fuzz/corpus/$n"/* "$work/" 2>/dev/null || true
	out="$logs/fuzz-$n.log"
	rc=0
	(cd "$top" && timeout -k 10 $((secs + 60)) "$bin" -max_total_time="$secs" \
		-print_final_stats=1 -artifact_prefix="$top/build/fuzz/$n-" \
		"$work") </dev/null >"$out" 2>&1 || rc=$?
	rm -rf "$work"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out")
	if [ "$rc" = 0 ]; then
		diag "$n: ${runs:-?} inputs in ${secs}s (${rate:-?}/s)"
		ok "$n"
	else
		diag_file "$out" 40
		diag "full log: $out; the input is in build/fuzz/$n-*"
		fail "$n" "exit status $rc after ${runs:-?} inputs"
	fi
done

ktap_done
