#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "valgrind": the mkey CLI's main host-runnable paths under
# valgrind memcheck (the normal -O2 -g build, build/mkey): help, usage
# errors, every key file command with cheap KDF costs, wrong passwords,
# format/dump on image files, and the commands that find no module. Each
# path is one test; it passes when mkey exits as expected and memcheck
# reports no error (invalid read or write, use of uninitialised memory,
# bad free) and no definitely or indirectly lost block. Still-reachable
# memory at exit (OpenSSL's and json-c's globals) is allowed.
# It also runs the KMIP life-cycle test (tests/kmip/t-kmip-lifecycle.sh)
# with mkey under valgrind, against a throwaway pykmip-server: TLS, TTLV
# encoding and decoding, keys.json (KMIP=0 leaves that out). About 65 s.
# KTAP on stdout; every valgrind log in build/check/valgrind/.
#
#   tests/lib/phase-valgrind.sh [cli] [kmip]
set -eu
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"

want_cli=1
want_kmip=${KMIP:-1}
if [ $# -gt 0 ]; then
	want_cli=0
	want_kmip=0
	for a in "$@"; do
		case "$a" in
		cli) want_cli=1 ;;
		kmip) want_kmip=1 ;;
		*) echo "phase-valgrind: unknown part '$a' (cli, kmip)" >&2; exit 2 ;;
		esac
	done
fi

mkey="$top/build/mkey"
command -v valgrind >/dev/null 2>&1 || ktap_skip_all "valgrind is not installed (run 'make deps')"
[ -x "$mkey" ] || ktap_skip_all "build/mkey is not built"

vgdir="$logs/valgrind"
rm -rf "$vgdir"
mkdir -p "$vgdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/mkey-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A wrapper that runs mkey under memcheck, one log per run: used directly
# and as MKEY for the KMIP test.
# VG_LOGDIR (default build/check/valgrind) is where its logs go.
cat >"$work/mkey" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=30 \\
	--log-file="\${VG_LOGDIR:-$vgdir}/run.%p.log" "$mkey" "\$@"
EOF
chmod +x "$work/mkey"
VG="$work/mkey"

# vg_clean LOG...: memcheck saw no error and no lost block in these logs
vg_clean() {
	local l bad=0
	for l in "$@"; do
		if ! grep -q 'ERROR SUMMARY: 0 errors' "$l"; then
			grep -E -A12 '^==[0-9]+== (Invalid|Conditional|Use of|Syscall param|Mismatched|[0-9,]+ bytes in)' "$l" |
				head -n 40 | sed 's/^/# /'
			diag "valgrind log: $l"
			bad=1
		fi
	done
	return "$bad"
}

# vg NAME WANT CMD-ARGS...: run mkey CMD-ARGS under memcheck; WANT is the
# exit status expected (or "any").
vg_n=0
vg() {
	local name=$1 want=$2 rc=0 dir l new=()
	shift 2
	vg_n=$((vg_n + 1))
	dir="$vgdir/$vg_n"
	mkdir -p "$dir"
	(cd "$work" && VG_LOGDIR="$dir" "$VG" "$@") </dev/null >"$work/out" 2>&1 || rc=$?
	for l in "$dir"/run.*.log; do
		[ -e "$l" ] && new+=("$l")
	done
	if [ "$want" != any ] && [ "$rc" != "$want" ]; then
		diag "\$ mkey $*"
		diag_file "$work/out" 10
		fail "$name" "exit status $rc, expected $want"
		return 0
	fi
	if [ ${#new[@]} = 0 ]; then
		fail "$name" "no valgrind log"
	elif vg_clean "${new[@]}"; then
		ok "$name"
	else
		fail "$name" "memcheck found errors or leaks"
	fi
	return 0
}

cli_tests=27
n=0
[ "$want_cli" = 1 ] && n=$((n + cli_tests))
[ "$want_kmip" = 1 ] && n=$((n + 1))
ktap_plan "$n"

if [ "$want_cli" = 1 ]; then
	KF=$work/main.mkey
	CHEAP=(--kdf-memory 8192 --kdf-passes 1 --kdf-parallel 1)
	printf 'alice password\n' >"$work/alice.pw"
	printf 'bob password\n' >"$work/bob.pw"
	printf 'bob new password\n' >"$work/bob2.pw"
	printf 'wrong\n' >"$work/wrong.pw"
	head -c 64 /dev/urandom >"$work/raw.key"
	head -c 48 /dev/urandom >"$work/raw192.key"
	truncate -s 64M "$work/disk.img"
	truncate -s 64M "$work/disk2.img"
	truncate -s 16M "$work/empty.img"
	truncate -s 4096 "$work/tiny.img"
	G=0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55
	A=(--admin alice --password-file "$work/alice.pw")

	# help and usage errors
	help_all() {
		local c rc=0
		for c in $("$mkey" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'); do
			(cd "$work" && VG_LOGDIR="$vgdir/help" "$VG" "$c" --help) >/dev/null 2>&1 ||
				{ echo "$c --help failed"; rc=1; }
		done
		return $rc
	}
	vg "--help" 0 --help
	vg "--version" 0 --version
	vg "help format" 0 help format
	mkdir -p "$vgdir/help"
	if help_all >"$work/help.out" 2>&1 && vg_clean "$vgdir"/help/run.*.log; then
		ok "COMMAND --help for every command"
	else
		diag_file "$work/help.out" 10
		fail "COMMAND --help for every command"
	fi
	vg "unknown command" 1 no-such-command
	vg "missing argument" 1 format
	vg "bad GUID" 1 format "$work/disk.img" --raw-key "$work/raw.key" --guid not-a-guid

	# key files
	vg "keyfile-create" 0 keyfile-create "$KF" "${A[@]}" "${CHEAP[@]}" --description "vg key"
	vg "keyfile-show" 0 keyfile-show "$KF"
	vg "keyfile-show --json" 0 keyfile-show "$KF" --json
	vg "key-add (AES-128)" 0 key-add "$KF" --bits 128 --description second "${A[@]}"
	vg "key-import (AES-256 raw key)" 0 key-import "$KF" --raw-key "$work/raw.key" --guid "$G" "${A[@]}"
	vg "key-import from stdin is refused without input" any key-import "$KF" --raw-key - "${A[@]}"
	vg "key-default" 0 key-default "$KF" "$G" "${A[@]}"
	vg "admin-add bob" 0 admin-add "$KF" bob "${A[@]}" --new-password-file "$work/bob.pw" "${CHEAP[@]}"
	vg "admin-passwd (bob)" 0 admin-passwd "$KF" --admin bob --password-file "$work/bob.pw" \
		--new-password-file "$work/bob2.pw" "${CHEAP[@]}"
	vg "wrong password" 6 key-add "$KF" --admin alice --password-file "$work/wrong.pw"
	vg "admin-remove bob" 0 admin-remove "$KF" bob "${A[@]}"
	vg "keyfile-backup" 0 keyfile-backup "$KF" "$work/backup.mkey"
	vg "key-delete the AES-128 key" 0 key-delete "$KF" \
		"$("$mkey" keyfile-show "$KF" | sed -n 's/^  \([0-9A-F-]\{36\}\) AES-128.*/\1/p')" --yes "${A[@]}"

	# volumes on image files
	vg "format --raw-key (4096-byte sectors)" 0 format "$work/disk.img" --raw-key "$work/raw192.key" \
		--guid "$G" --sector-size 4096 --force
	vg "format --key-file (512-byte sectors)" 0 format "$work/disk2.img" --key-file "$KF" "${A[@]}" \
		--sector-size 512 --force
	vg "dump" 0 dump "$work/disk.img"
	vg "dump --json" 0 dump "$work/disk2.img" --json
	vg "dump of a device without a label" any dump "$work/empty.img"
	vg "format of a device too small" any format "$work/tiny.img" --raw-key "$work/raw.key" \
		--guid "$G" --force
	# no dm-mkey module on the build machine: these fail early, cleanly
	vg "activate without the module" any activate --key-file "$KF" "${A[@]}"
fi

if [ "$want_kmip" = 1 ]; then
	out="$logs/valgrind-kmip.log"
	rc=0
	mkdir -p "$vgdir/kmip"
	VG_LOGDIR="$vgdir/kmip" MKEY="$VG" "$top/tests/kmip/t-kmip-lifecycle.sh" >"$out" 2>&1 || rc=$?
	kl=()
	for l in "$vgdir"/kmip/run.*.log; do
		[ -e "$l" ] && kl+=("$l")
	done
	if grep -q '^1\.\.0 *# *SKIP' "$out"; then
		skip "KMIP life cycle (tests/kmip/t-kmip-lifecycle.sh) with mkey under memcheck" \
			"$(sed -n 's/^1\.\.0 *# *SKIP *//p' "$out")"
	elif [ "$rc" = 0 ] && [ ${#kl[@]} -gt 0 ] && vg_clean "${kl[@]}"; then
		diag "$(grep -c '^ *ok ' "$out") KMIP steps, ${#kl[@]} mkey runs under memcheck"
		ok "KMIP life cycle (tests/kmip/t-kmip-lifecycle.sh) with mkey under memcheck"
	else
		grep -E '^ *not ok' "$out" | head -n 10 | sed 's/^/# /'
		fail "KMIP life cycle (tests/kmip/t-kmip-lifecycle.sh) with mkey under memcheck" \
			"exit status $rc; log: $out"
	fi
fi

ktap_done
