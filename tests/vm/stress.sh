#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The reliability tests at a bigger size (make stress; docs/reliability.md):
# the t-stress-*, t-fault-* and t-secrets-* guest tests with STRESS_SCALE
# (default 10) written into /mkey/tests/stress.env, which multiplies their
# loop counts and data sizes, and their timeouts multiplied to match. Prints
# the KTAP of tests/vm/run.sh, then the tests' "# figure:" lines (the
# numbers docs/reliability.md records).
#
#   tests/vm/stress.sh [TEST...]       default: every reliability test
#
# Environment: STRESS_SCALE (10), and tests/vm/run.sh's (VM_MEM, ...).
# Build first: make test-build (make stress does).
set -eu
set -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
scale=${STRESS_SCALE:-10}
case "$scale" in '' | *[!0-9]* | 0) echo "stress: STRESS_SCALE must be a positive number" >&2; exit 2 ;; esac

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for f in "$top"/tests/vm/t-stress-*.sh "$top"/tests/vm/t-fault-*.sh "$top"/tests/vm/t-secrets-*.sh; do
		[ -f "$f" ] && tests+=("$(basename "$f" .sh)")
	done
fi
env="$top/build/vm/stress.env"
mkdir -p "$(dirname "$env")"
echo "STRESS_SCALE=$scale" >"$env"

logdir=${VM_LOGDIR:-$top/build/vm/logs}
rc=0
VM_TIMEOUT_FACTOR=$scale "$top/tests/vm/run.sh" --add "$env" "${tests[@]}" || rc=$?
echo "# STRESS_SCALE=$scale; figures:"
for t in "${tests[@]}"; do
	grep -h '^# figure:' "$logdir/$t.log" 2>/dev/null | sed "s/^# figure:/# $t:/" || true
done
exit "$rc"
