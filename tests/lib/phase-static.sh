#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "static": the kernel's own style and type checkers on kernel/.
#   checkpatch  scripts/checkpatch.pl --no-tree -f on every kernel/*.c and *.h;
#               any ERROR or WARNING fails that file (one test per file)
#   sparse      make C=2 CHECK=sparse (every file, rebuilt or not); any
#               sparse warning or error in one of our files fails that file
# KTAP on stdout.
#
#   tests/lib/phase-static.sh [checkpatch|sparse]...
set -eu
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"

want_cp=1
want_sp=1
if [ $# -gt 0 ]; then
	want_cp=0
	want_sp=0
	for a in "$@"; do
		case "$a" in
		checkpatch) want_cp=1 ;;
		sparse) want_sp=1 ;;
		*) echo "phase-static: unknown check '$a' (checkpatch, sparse)" >&2; exit 2 ;;
		esac
	done
fi

mapfile -t files < <(kernel_sources)
[ ${#files[@]} -gt 0 ] || ktap_skip_all "no kernel/*.c or *.h yet"

n=0
[ "$want_cp" = 1 ] && n=$((n + ${#files[@]}))
[ "$want_sp" = 1 ] && n=$((n + 1 + ${#files[@]}))
ktap_plan "$n"

if [ "$want_cp" = 1 ]; then
	checkpatch="$top/third_party/scripts/checkpatch.pl"
	[ -x "$checkpatch" ] || "$top/scripts/extract-kernel-tools.sh" >/dev/null 2>&1 || true
	for f in "${files[@]}"; do
		name="checkpatch $f"
		if [ ! -x "$checkpatch" ]; then
			fail "$name" "no $checkpatch: run scripts/extract-kernel-tools.sh ('make deps' first)"
			continue
		fi
		out="$logs/checkpatch-$(basename "$f").log"
		(cd "$top" && "$checkpatch" --no-tree --no-color --show-types -f "$f") >"$out" 2>&1 || true
		total=$(grep '^total: ' "$out" | tail -n 1)
		e=$(printf '%s' "$total" | sed -n 's/^total: \([0-9]*\) errors*, \([0-9]*\) warnings*.*/\1/p')
		w=$(printf '%s' "$total" | sed -n 's/^total: \([0-9]*\) errors*, \([0-9]*\) warnings*.*/\2/p')
		if [ -z "$e" ] || [ -z "$w" ]; then
			diag_file "$out" 20
			fail "$name" "checkpatch.pl did not finish"
		elif [ "$e" != 0 ] || [ "$w" != 0 ]; then
			grep -A3 -E '^(ERROR|WARNING):' "$out" | head -n 60 | sed 's/^/# /'
			fail "$name" "$e errors, $w warnings"
		else
			ok "$name"
		fi
	done
fi

if [ "$want_sp" = 1 ]; then
	out="$logs/sparse.log"
	if [ ! -d "$kdir" ]; then
		fail "sparse run" "no $kdir: run 'make deps'"
	elif command -v sparse >/dev/null 2>&1; then
		# C=2 checks every source file, rebuilt or not.
		if make -C "$kdir" M="$top" C=2 CHECK=sparse -j"$jobs" modules >"$out" 2>&1; then
			ok "sparse run"
		else
			diag_file "$out" 30
			fail "sparse run" "the checked build failed; full log: $out"
		fi
	else
		fail "sparse run" "sparse not installed: run 'make deps'"
	fi
	for f in "${files[@]}"; do
		# Kbuild names our files by absolute path; headers too.
		hits=$(grep -E "^($top/)?$f:[0-9]+(:[0-9]+)?: (warning|error):" "$out" 2>/dev/null || true)
		if [ -n "$hits" ]; then
			printf '%s\n' "$hits" | head -n 30 | sed "s|^$top/||; s/^/# /"
			fail "sparse $f" "$(printf '%s\n' "$hits" | wc -l) sparse findings"
		else
			ok "sparse $f"
		fi
	done
fi

ktap_done
