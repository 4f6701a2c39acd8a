# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# KTAP emitters for shell tests, POSIX sh (busybox ash in the VM, dash or
# bash on the host). Source it; do not run it.
#
#   ktap_plan N              "KTAP version 1" (once) and "1..N"
#   ktap_skip_all "why"      "1..0 # SKIP why" and exit 0 (instead of a plan)
#   ok "name"                ok <n> name
#   fail "name" "why"        not ok <n> name, with "why" as a diagnostic
#   skip "name" "why"        ok <n> name # SKIP why
#   todo "name" "why"        not ok <n> name # TODO why (known gap)
#   diag "text"              "# text"
#   diag_file FILE [N]       the last N (default 40) lines of FILE as diagnostics
#   check "name" cmd...      run cmd; ok if it exits 0, else fail with its output
#   check_fail "name" cmd... run cmd; ok if it exits non-zero
#   ktap_done                exit status: 0 if every result passed or skipped
#                            and the plan was met, 1 otherwise
#
# Test numbers and the failure count live in a small state directory, so
# results may be emitted from subshells and pipelines too.

# Not exported: a test script run by another one keeps its own numbering.
KTAP_STATE=${KTAP_STATE:-${TMPDIR:-/tmp}/ktap-state.$$}
mkdir -p "$KTAP_STATE"
[ -e "$KTAP_STATE/n" ] || {
	echo 0 >"$KTAP_STATE/n"
	echo 0 >"$KTAP_STATE/failed"
	echo -1 >"$KTAP_STATE/plan"
}

# _ktap_bump FILE: increment the number in FILE, leave the new value in _kb.
_ktap_bump() {
	read -r _kb <"$KTAP_STATE/$1"
	_kb=$((_kb + 1))
	echo "$_kb" >"$KTAP_STATE/$1"
}

# Test names must be one line and must not contain '#' (the directive mark).
_ktap_name() {
	case "$*" in
	*'#'* | *'
'*) printf '%s' "$*" | tr '\n#' ' _' ;;
	*) printf '%s' "$*" ;;
	esac
}

ktap_header() {
	[ -e "$KTAP_STATE/header" ] && return 0
	: >"$KTAP_STATE/header"
	echo "KTAP version 1"
}

ktap_plan() {
	ktap_header
	echo "$1" >"$KTAP_STATE/plan"
	echo "1..$1"
}

ktap_skip_all() {
	ktap_header
	echo 0 >"$KTAP_STATE/plan"
	echo "1..0 # SKIP $(_ktap_name "$*")"
	exit 0
}

diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

diag_file() {
	[ -s "$1" ] || return 0
	tail -n "${2:-40}" "$1" | sed 's/^/# /'
}

# Optional hook: a library built on this one (tests/vm/lib.sh) may define
# ktap_on_result NUMBER STATUS NAME to mirror results elsewhere.
_ktap_hook() {
	if command -v ktap_on_result >/dev/null 2>&1; then
		ktap_on_result "$@" || true
	fi
}

ok() {
	_ktap_bump n
	_kn=$_kb
	echo "ok $_kn $(_ktap_name "$1")"
	_ktap_hook "$_kn" ok "$1"
}

fail() {
	_ktap_bump failed
	_ktap_bump n
	_kn=$_kb
	[ $# -gt 1 ] && [ -n "$2" ] && diag "$2"
	echo "not ok $_kn $(_ktap_name "$1")"
	_ktap_hook "$_kn" "not ok" "$1"
}

skip() {
	_ktap_bump n
	_kn=$_kb
	echo "ok $_kn $(_ktap_name "$1") # SKIP $(_ktap_name "${2:-}")"
	_ktap_hook "$_kn" skip "$1"
}

todo() {
	_ktap_bump n
	_kn=$_kb
	echo "not ok $_kn $(_ktap_name "$1") # TODO $(_ktap_name "${2:-}")"
	_ktap_hook "$_kn" todo "$1"
}

# check NAME CMD...: run CMD with its output captured; report ok when it
# exits 0, otherwise fail and show the command, its exit status and output.
# Returns the result (0 ok, 1 failed) so a script can branch on it.
check() {
	_kname=$1
	shift
	_kout="$KTAP_STATE/out"
	if "$@" >"$_kout" 2>&1; then
		ok "$_kname"
	else
		_krc=$?
		diag "\$ $*"
		diag_file "$_kout"
		fail "$_kname" "exit status $_krc"
		return 1
	fi
}

# check_fail NAME CMD...: like check, but CMD is expected to fail.
check_fail() {
	_kname=$1
	shift
	_kout="$KTAP_STATE/out"
	if "$@" >"$_kout" 2>&1; then
		diag "\$ $*"
		diag_file "$_kout"
		fail "$_kname" "succeeded but was expected to fail"
		return 1
	else
		ok "$_kname"
	fi
}

ktap_done() {
	read -r _kn <"$KTAP_STATE/n"
	read -r _kf <"$KTAP_STATE/failed"
	read -r _kp <"$KTAP_STATE/plan"
	rm -rf "$KTAP_STATE"
	if [ "$_kp" -ge 0 ] && [ "$_kn" -ne "$_kp" ]; then
		diag "planned $_kp tests but ran $_kn"
		return 1
	fi
	[ "$_kf" -eq 0 ]
}
