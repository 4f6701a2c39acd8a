#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test phase "kmip": the KMIP client against Debian's own KMIP server on
# the host (tests/kmip/t-*.sh; each starts throwaway pykmip-server
# instances on 127.0.0.1 with a throwaway CA and stops them when it ends).
# Each script's KTAP is nested under its own result. KTAP on stdout.
#
#   tests/lib/phase-kmip.sh [NAME...]     NAME: t-kmip-lifecycle, ...
#
# KMIP_TIMEOUT (seconds, default 120) bounds each script, unless its header
# says "# timeout: N" (t-kmip-vm boots the test VM).
set -eu
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/common.sh"

timeout_s=${KMIP_TIMEOUT:-120}
mapfile -t scripts < <(cd "$top" && ls tests/kmip/t-*.sh 2>/dev/null)
[ ${#scripts[@]} -gt 0 ] || ktap_skip_all "no tests/kmip/t-*.sh"
if [ $# -gt 0 ]; then
	sel=()
	for s in "${scripts[@]}"; do
		for w in "$@"; do [ "$w" = "$(basename "$s" .sh)" ] && sel+=("$s"); done
	done
	[ ${#sel[@]} -gt 0 ] || ktap_skip_all "no KMIP test matches: $*"
	scripts=("${sel[@]}")
fi
if [ ! -x /usr/bin/pykmip-server ]; then
	ktap_skip_all "no /usr/bin/pykmip-server (python3-pykmip; run 'make deps')"
fi

ktap_plan ${#scripts[@]}
mkey_bin="$top/build/mkey"
for s in "${scripts[@]}"; do
	name=$(basename "$s" .sh)
	echo "    # Subtest: $name"
	# An mkey whose build failed in this run may be an old one: never test it.
	if [ ! -x "$mkey_bin" ] || grep -qxF "$mkey_bin" "${MKEY_STALE_LIST:-/dev/null}" 2>/dev/null; then
		fail "$name" "build/mkey is not built (see the build phase)"
		continue
	fi
	out="$logs/kmip-$name.log"
	rc=0
	# A script that boots the test VM says how long it needs: "# timeout: N".
	to=$(sed -n '1,30s/^# timeout: *\([0-9][0-9]*\)$/\1/p' "$top/$s" | head -n 1)
	to=${to:-$timeout_s}
	(cd "$top" && MKEY="$mkey_bin" timeout -k 10 "$to" "$top/$s") </dev/null 2>&1 |
		tee "$out" | "$top/tests/lib/ktap-nest.sh" || rc=${PIPESTATUS[0]}
	read -r p f sk < <(awk -v out=counts -f "$top/tests/lib/ktap.awk" "$out")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail "$name" "timed out after ${to}s"
	elif [ "$rc" != 0 ] || [ "$f" != 0 ]; then
		fail "$name" "exit status $rc; full log: $out"
	elif [ "$p" = 0 ] && [ "$sk" != 0 ]; then
		skip "$name" "skipped"
	elif [ "$p" = 0 ]; then
		fail "$name" "no test results"
	else
		ok "$name"
	fi
done

ktap_done
