#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: dm-mkey against stock dm-crypt in the test VM.
#
# Boots the test VM once with two 1 GiB brd ramdisks (512- and 4096-byte
# encryption sectors), runs tests/bench/guest-bench.sh, and turns its
# measurements into a table (median over rounds) and JSON:
#   build/bench/results.json, build/bench/results.md, build/bench/raw.txt
#
# Environment: BENCH_ROUNDS (3), BENCH_RUNTIME seconds per fio run (6),
# VM_MEM (3072), plus everything tests/vm/run.sh takes.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out="$top/build/bench"
mkdir -p "$out"

export VM_MEM=${VM_MEM:-3072}
rounds=${BENCH_ROUNDS:-3}
runtime=${BENCH_RUNTIME:-6}
# 6 rows x 2 sector sizes x 3 configurations per round, 1 s ramp each.
budget=$(( rounds * 36 * (runtime + 4) + 300 ))
printf 'BENCH_ROUNDS=%d\nBENCH_RUNTIME=%d\n' "$rounds" "$runtime" >"$out/bench.conf"

echo "make bench: $rounds rounds x 36 fio runs of ${runtime}s; about $(( budget / 60 )) minutes" >&2
VM_TIMEOUT=$budget "$top/tests/vm/run.sh" --add "$out/bench.conf" \
	"$top/tests/bench/guest-bench.sh" | tee "$out/vm.txt"
grep -o 'bench: .*' "$out/vm.txt" | sed 's/^bench: //' >"$out/raw.txt"
if [ ! -s "$out/raw.txt" ]; then
	echo "make bench: the VM produced no measurements; see $out/vm.txt" >&2
	exit 1
fi

awk -v json="$out/results.json" -v md="$out/results.md" -v rounds="$rounds" '
function median(s,   n, a, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ v[$1 " " $2 " " $3] = v[$1 " " $2 " " $3] " " $5 }
END {
	nrows = split("seqwrite seqread randwrite randread randwrite-qd1 randread-qd1", rows, " ")
	label["seqwrite"] = "seq write 1 MiB qd32";   unit["seqwrite"] = "MiB/s"
	label["seqread"] = "seq read 1 MiB qd32";     unit["seqread"] = "MiB/s"
	label["randwrite"] = "rand write 4 KiB qd32"; unit["randwrite"] = "IOPS"
	label["randread"] = "rand read 4 KiB qd32";   unit["randread"] = "IOPS"
	label["randwrite-qd1"] = "rand write 4 KiB qd1"; unit["randwrite-qd1"] = "us"
	label["randread-qd1"] = "rand read 4 KiB qd1";   unit["randread-qd1"] = "us"
	hdr = sprintf("| sectors | row | unit | raw brd | dm-crypt | dm-mkey | dm-mkey / dm-crypt |")
	print hdr > md
	print "|---|---|---|---:|---:|---:|---:|" > md
	printf "%-7s %-24s %-6s %10s %10s %10s %8s\n", "sectors", "row", "unit", "raw", "dm-crypt", "dm-mkey", "ratio"
	printf "{\n  \"rounds\": %d,\n  \"rows\": [\n", rounds > json
	first = 1
	for (s = 0; s < 2; s++) {
		ss = s ? 4096 : 512
		for (i = 1; i <= nrows; i++) {
			r = rows[i]
			raw = median(v[ss " raw " r]); c = median(v[ss " crypt " r]); m = median(v[ss " mkey " r])
			# Latency: lower is better, so the ratio is inverted.
			ratio = (unit[r] == "us") ? (m > 0 ? c / m : 0) : (c > 0 ? m / c : 0)
			printf "%-7s %-24s %-6s %10s %10s %10s %8.2f\n", ss, label[r], unit[r], raw, c, m, ratio
			printf "| %s | %s | %s | %s | %s | %s | %.2f |\n", ss, label[r], unit[r], raw, c, m, ratio > md
			printf "%s    {\"sector_size\": %d, \"row\": \"%s\", \"unit\": \"%s\", \"raw\": %s, \"dm_crypt\": %s, \"dm_mkey\": %s, \"ratio\": %.3f,\n      \"samples\": {\"raw\": [%s], \"dm_crypt\": [%s], \"dm_mkey\": [%s]}}", first ? "" : ",\n", ss, r, unit[r], raw, c, m, ratio, csv(v[ss " raw " r]), csv(v[ss " crypt " r]), csv(v[ss " mkey " r]) > json
			first = 0
		}
	}
	printf "\n  ],\n  \"ratio_note\": \"dm-mkey / dm-crypt; for latency rows dm-crypt / dm-mkey, so above 1 is better everywhere\"\n}\n" > json
}
function csv(s,   t) { t = s; sub(/^ /, "", t); gsub(/ /, ", ", t); return t }
' "$out/raw.txt"
echo
echo "make bench: wrote $out/results.json and $out/results.md"
