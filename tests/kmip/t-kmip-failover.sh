#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Failover across the servers of one definition (docs/kmip.md, "Failover"):
# the first server answers while it runs; stopped mid-run (SIGINT), the
# second answers, and mkey says which one did and why the first did not;
# a server that accepts TCP but never completes TLS is skipped after
# connect-timeout; a server that completes TLS but never answers is skipped
# for read-only requests, but a Create sent to it is NOT sent to another
# server (it may have been applied); when no server answers, each one's
# error is named and nothing changes (keys.json untouched).
# shellcheck source=tests/kmip/lib.sh
. "$(dirname "$0")/lib.sh"
kmip_skip_unless_ready

ktap_plan 25
check "throwaway CA and certificates" kmip_pki
check "start pykmip-server A" kmip_server_start A
check "start pykmip-server B" kmip_server_start B
pa=$(kmip_port A)
pb=$(kmip_port B)
kmip_definition ha "server=127.0.0.1:$pa" "server=127.0.0.1:$pb" connect-timeout=2 timeout=5
kmip_definition onlyb "server=127.0.0.1:$pb"

expect_ok "kmip-query ha: answered" kmip-query ha
expect_out "... by A, the first server" "KMIP server 127.0.0.1:$pa (ha) answered"
expect_ok "kmip-create on ha" kmip-create ha --json
expect_out "... created on A" "\"answered_by\":\"127.0.0.1:$pa\""

check "stop A mid-run (SIGINT)" kmip_server_stop A
expect_ok "kmip-query ha with A stopped: answered" kmip-query ha
expect_out "... by B" "KMIP server 127.0.0.1:$pb (ha) answered"
expect_out "... and says why not A" "note: KMIP server 127.0.0.1:$pb answered; before it: 127.0.0.1:$pa: connection refused"
expect_ok "kmip-create on ha with A stopped (A never reached: safe to go on)" kmip-create ha --json
guid=$(sed -n 's/.*"guid":"\([^"]*\)".*/\1/p' "$KMIP_OUT")
expect_out "... created on B" "\"answered_by\":\"127.0.0.1:$pb\""
expect_ok "kmip-show on ha finds the new key on B" kmip-show ha "$guid"
expect_out "... answered by B" "(answered: 127.0.0.1:$pb)"

# No server answers: each one named, nothing changed.
d1=$(kmip_free_port)
d2=$(kmip_free_port)
kmip_definition down "server=127.0.0.1:$d1" "server=localhost:$d2"
sum=$(sha256sum "$KMIP_CONF/keys.json")
expect_fail "kmip-query with no server up fails, naming each server's error" 5 \
	"no KMIP server of 'down' answered: 127.0.0.1:$d1: connection refused; localhost:$d2: connection refused" \
	kmip-query down
expect_fail "kmip-create with no server up fails the same way" 5 \
	"127.0.0.1:$d1: connection refused; localhost:$d2: connection refused" kmip-create down
if [ "$sum" = "$(sha256sum "$KMIP_CONF/keys.json")" ]; then
	ok "nothing recorded when no server answered"
else
	fail "nothing recorded when no server answered"
fi

# A server that takes the TCP connection but never speaks TLS.
bh=$(kmip_free_port)
kmip_helper "$KMIP_PY" -c "import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $bh))
s.listen(16)
time.sleep(120)"
kmip_wait_port "$bh" 50
kmip_definition blackhole "server=127.0.0.1:$bh" "server=127.0.0.1:$pb" connect-timeout=1
start=$(date +%s%N)
expect_ok "kmip-query past a server that never completes TLS" kmip-query blackhole
ms=$((($(date +%s%N) - start) / 1000000))
expect_out "... answered by B after the handshake timed out" \
	"127.0.0.1:$bh: TLS handshake timed out after 1.0 s"
if [ "$ms" -lt 4000 ]; then
	ok "... within connect-timeout (${ms} ms)"
else
	fail "... within connect-timeout (${ms} ms)"
fi

# A server that completes TLS (and checks our certificate) but never answers.
hang=$(kmip_free_port)
kmip_helper sh -c "sleep 120 | exec openssl s_server -accept $hang -tls1_2 -quiet \
	-cert '$KMIP_PKI/server.crt' -key '$KMIP_PKI/server.key' \
	-CAfile '$KMIP_PKI/ca.crt' -Verify 1"
kmip_wait_port "$hang" 50
kmip_definition hang "server=127.0.0.1:$hang" "server=127.0.0.1:$pb" timeout=1
mk kmip-list onlyb
before=$(sed -n 's/.*: \([0-9]*\) symmetric key.*/\1/p' "$KMIP_OUT")
expect_fail "kmip-create: no answer after the request was sent, so not sent to B" 5 \
	"127.0.0.1:$hang: no response within 1.0 s after the Create request was sent; it may have been applied there, so it was not sent to another server" \
	kmip-create hang
mk kmip-list onlyb
after=$(sed -n 's/.*: \([0-9]*\) symmetric key.*/\1/p' "$KMIP_OUT")
if [ -n "$before" ] && [ "$before" = "$after" ]; then
	ok "B got no Create"
else
	fail "B got no Create" "keys on B before: $before, after: $after"
fi
# s_server serves one client at a time: let it drop the first one.
kmip_wait_port "$hang" 50
expect_ok "kmip-query (read-only) past the silent server" kmip-query hang
expect_out "... answered by B, naming the silent server" \
	"127.0.0.1:$hang: no response within 1.0 s"
ktap_done
