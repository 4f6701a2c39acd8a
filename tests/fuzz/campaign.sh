#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A fuzzing campaign: every libFuzzer harness (or the ones named) for a
# number of executions, on its long-lived corpus build/fuzz/corpus/NAME
# (seeded from tests/fuzz/corpus/NAME), at low CPU priority, one after the
# other. Prints one Markdown table row per harness — executions, time,
# executions per second, coverage (cov: edges, ft: features), corpus size,
# findings — as docs/reliability.md records them, and keeps each full log
# in build/fuzz/campaign/NAME.log.
#
#   tests/fuzz/campaign.sh [NAME...]          (make fuzz-campaign)
#
# Environment:
#   FUZZ_RUNS   executions per harness (default 10000000)
#   FUZZ_MAX_TIME  stop a harness after this many seconds anyway (default
#               0: no limit)
#   FUZZ_NICE   nice level (default 19: other people's VMs come first)
#
# A crash, leak, timeout or sanitizer report ends that harness; the input
# is kept as build/fuzz/campaign/NAME-crash-* (or -leak-, -timeout-) and
# the row says so. Exit status 1 when any harness found something.
set -eu
set -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${FUZZ_RUNS:-10000000}
max_time=${FUZZ_MAX_TIME:-0}
nice_level=${FUZZ_NICE:-19}
out="$top/build/fuzz/campaign"
mkdir -p "$out"

read -r -a names <<<"$(make -s --no-print-directory -C "$top" print-FUZZ_NAMES)"
[ $# -gt 0 ] && names=("$@")
make -s --no-print-directory -C "$top" fuzz-targets >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "| harness | executions | time | exec/s | cov | ft | corpus | findings |"
echo "|---------|-----------:|-----:|-------:|----:|---:|-------:|----------|"
found=0
for n in "${names[@]}"; do
	bin="$top/build/fuzz/$n"
	[ -x "$bin" ] || { echo "campaign: no harness $n (build/fuzz/$n)" >&2; exit 2; }
	corpus="$top/build/fuzz/corpus/$n"
	mkdir -p "$corpus"
	seeds=()
	[ -d "$top/tests/fuzz/corpus/$n" ] && seeds=("$top/tests/fuzz/corpus/$n")
	log="$out/$n.log"
	start=$(date +%s)
	rc=0
	(cd "$out" && nice -n "$nice_level" "$bin" -runs="$runs" -max_total_time="$max_time" \
		-print_final_stats=1 -artifact_prefix="$out/$n-" \
		"$corpus" "${seeds[@]}") </dev/null >"$log" 2>&1 || rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true)
	cov=$(printf '%s' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s' "$last" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
	if [ "$rc" = 0 ]; then
		finding=none
	else
		found=1
		input=
		for a in "$out/$n-"*; do [ -e "$a" ] && input=$a; done
		finding="exit $rc: $(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$log" || echo '?'); input ${input:-?}"
	fi
	printf '| %s | %s | %ss | %s | %s | %s | %s | %s |\n' "$n" "${execs:-?}" "$secs" \
		"${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$finding"
done
exit "$found"
