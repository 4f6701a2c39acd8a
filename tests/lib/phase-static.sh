#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "static": the kernel's own style and type checkers on kernel/,
# and cppcheck and clang-tidy on the userspace C code.
#   checkpatch  scripts/checkpatch.pl --no-tree -f on every kernel/*.c and *.h;
#               any ERROR or WARNING fails that file (one test per file)
#   sparse      make C=2 CHECK=sparse (every file, rebuilt or not); any
#               sparse warning or error in one of our files fails that file
#   cppcheck    cppcheck --enable=warning,style,performance,portability on
#               agent/, tools/ and tests/ (one test per directory), with the
#               suppressions of tests/lib/cppcheck.supp; any finding fails
#   clang-tidy  clang-tidy with .clang-tidy (tests/.clang-tidy for tests/) on
#               every userspace .c file (one test per file); any warning fails
# KTAP on stdout.
#
#   tests/lib/phase-static.sh [checkpatch|sparse|cppcheck|clang-tidy]...
set -eu
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"

want_cp=1
want_sp=1
want_cc=1
want_ct=1
if [ $# -gt 0 ]; then
	want_cp=0
	want_sp=0
	want_cc=0
	want_ct=0
	for a in "$@"; do
		case "$a" in
		checkpatch) want_cp=1 ;;
		sparse) want_sp=1 ;;
		cppcheck) want_cc=1 ;;
		clang-tidy) want_ct=1 ;;
		*) echo "phase-static: unknown check '$a' (checkpatch, sparse, cppcheck, clang-tidy)" >&2; exit 2 ;;
		esac
	done
fi

mapfile -t files < <(kernel_sources)
# Userspace C sources: the library, the programs, the tests' own C code.
mapfile -t user_files < <(cd "$top" && ls agent/lib/*.c agent/src/*.c tools/mkey/*.c \
	tests/unit/*.c tests/fuzz/*.c tests/vm/*.c 2>/dev/null)
user_dirs=(agent tools tests)
[ ${#files[@]} -gt 0 ] || [ ${#user_files[@]} -gt 0 ] || ktap_skip_all "no C sources yet"

n=0
[ "$want_cp" = 1 ] && n=$((n + ${#files[@]}))
[ "$want_sp" = 1 ] && [ ${#files[@]} -gt 0 ] && n=$((n + 1 + ${#files[@]}))
[ "$want_cc" = 1 ] && n=$((n + ${#user_dirs[@]}))
[ "$want_ct" = 1 ] && n=$((n + ${#user_files[@]}))
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

if [ "$want_sp" = 1 ] && [ ${#files[@]} -gt 0 ]; then
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

# The flags the userspace code is built with, plus the test headers.
user_flags=(-D_GNU_SOURCE -DMKEY_VERSION='"0"' -Iagent/include -Iagent/lib -Itools/mkey
	-Itests/unit)

if [ "$want_cc" = 1 ]; then
	for d in "${user_dirs[@]}"; do
		name="cppcheck $d/"
		out="$logs/cppcheck-$d.log"
		if ! command -v cppcheck >/dev/null 2>&1; then
			fail "$name" "cppcheck not installed: run 'make deps'"
			continue
		fi
		# The kselftest headers are found (-I, not skipped): the unit tests'
		# TEST()/EXPECT_*() must expand; their own findings are suppressed.
		rc=0
		(cd "$top" && cppcheck --enable=warning,style,performance,portability --std=c11 \
			"${user_flags[@]}" -Ithird_party/kselftest \
			--suppressions-list=tests/lib/cppcheck.supp --inline-suppr --quiet \
			--error-exitcode=1 -j"$jobs" \
			--template='{file}:{line}: {severity}: {id}: {message}' \
			"$d") >"$out" 2>&1 || rc=$?
		if [ "$rc" = 0 ] && [ ! -s "$out" ]; then
			ok "$name"
		else
			head -n 30 "$out" | sed 's/^/# /'
			fail "$name" "$(grep -c ': ' "$out" || true) findings; full log: $out"
		fi
	done
fi

if [ "$want_ct" = 1 ]; then
	if ! command -v clang-tidy >/dev/null 2>&1; then
		for f in "${user_files[@]}"; do
			fail "clang-tidy $f" "clang-tidy not installed: run 'make deps'"
		done
	else
		ctdir="$logs/clang-tidy"
		rm -rf "$ctdir"
		mkdir -p "$ctdir"
		# One clang-tidy per file, $jobs at a time; each file's log and exit
		# status in build/check/clang-tidy/.
		export ctdir
		# shellcheck disable=SC2016 # the inner sh expands them
		printf '%s\n' "${user_files[@]}" | (cd "$top" && xargs -P "$jobs" -I{} sh -c '
			log="$ctdir/$(echo "$0" | tr / _).log"
			clang-tidy --quiet "$0" -- -std=gnu11 "$@" -isystem third_party/kselftest >"$log" 2>&1
			echo $? >"$log.rc"' {} "${user_flags[@]}")
		for f in "${user_files[@]}"; do
			log="$ctdir/$(echo "$f" | tr / _).log"
			hits=$(grep -E ': (warning|error): ' "$log" 2>/dev/null || true)
			rc=$(cat "$log.rc" 2>/dev/null || echo '?')
			if [ -n "$hits" ]; then
				printf '%s\n' "$hits" | head -n 20 | sed "s|^$top/||; s/^/# /"
				fail "clang-tidy $f" "$(printf '%s\n' "$hits" | wc -l) findings; log: $log"
			elif [ "$rc" != 0 ]; then
				diag_file "$log" 20
				fail "clang-tidy $f" "clang-tidy exited with status $rc; log: $log"
			else
				ok "clang-tidy $f"
			fi
		done
	fi
fi

ktap_done
