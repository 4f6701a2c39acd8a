#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TLS and authentication against real PyKMIP servers: a server whose
# certificate comes from another CA, or names another host, is refused
# (and skipped when a definition lists a good server after it); a client
# certificate the server rejects in the handshake (unknown CA) and one it
# accepts but refuses to serve (no clientAuth EKU: "Authentication Not
# Successful") are each reported clearly, and the latter is final (no
# failover after an answer); a readable client key, a writable definition
# and a malformed one are refused before any connection.
# shellcheck source=tests/kmip/lib.sh
. "$(dirname "$0")/lib.sh"
kmip_skip_unless_ready

ktap_plan 17
check "throwaway CAs and certificates" \
	kmip_pki server client noeku otherclient untrusted wronghost
check "start pykmip-server (good certificate)" kmip_server_start good
check "start pykmip-server (certificate from another CA)" kmip_server_start bad untrusted
check "start pykmip-server (certificate for another host)" kmip_server_start other wronghost
pg=$(kmip_port good)
pu=$(kmip_port bad)
pw=$(kmip_port other)

kmip_definition untrusted "server=127.0.0.1:$pu"
expect_fail "a server certificate from another CA is refused" 5 \
	"127.0.0.1:$pu: server certificate not trusted: unable to get local issuer certificate" \
	kmip-query untrusted
expect_out "... with a hint about the CA" "does not chain to the 'ca' of the definition"

kmip_definition wronghost "server=127.0.0.1:$pw"
expect_fail "a server certificate for another host is refused" 5 \
	"127.0.0.1:$pw: server certificate not trusted: IP address mismatch" kmip-query wronghost

kmip_definition mixed "server=127.0.0.1:$pu" "server=127.0.0.1:$pg"
expect_ok "an untrusted first server is skipped (never reached)" kmip-create mixed
expect_out "... the trusted one answers" "on KMIP server 127.0.0.1:$pg (mixed)"

kmip_definition noeku "server=127.0.0.1:$pg" certname=noeku
expect_fail "a client certificate without clientAuth: the server's refusal, readably" 6 \
	"127.0.0.1:$pg: Authentication Not Successful: Error verifying the client certificate" \
	kmip-create noeku
expect_out "... with a hint about the client certificate" "extended key usage"

# An answer is final: the same refusal from the first server is not
# followed by a try on the second.
kmip_definition noeku2 "server=127.0.0.1:$pg" "server=127.0.0.1:$pu" certname=noeku
expect_fail "... and final: the next server is not tried" 6 "Authentication Not Successful" \
	kmip-query noeku2
if grep -q "$pu" "$KMIP_OUT"; then
	fail "... the second server is not mentioned"
else
	ok "... the second server is not mentioned"
fi

kmip_definition otherclient "server=127.0.0.1:$pg" certname=otherclient
expect_fail "a client certificate from a CA the server does not trust" 5 \
	"TLS handshake failed: tlsv1 alert unknown ca (the server rejected the client certificate)" \
	kmip-query otherclient

chmod 0644 "$KMIP_PKI/client.key"
kmip_definition readable "server=127.0.0.1:$pg"
expect_fail "a client key others can read is refused" 5 "has mode 0644; it must not be readable" \
	kmip-query readable
chmod 0600 "$KMIP_PKI/client.key"

chmod 0666 "$KMIP_CONF/readable.conf"
expect_fail "a definition others can write is refused" 5 "has mode 0666" kmip-query readable
chmod 0600 "$KMIP_CONF/readable.conf"

printf 'server = 127.0.0.1:%s\nca = %s\ncerts = x\n' "$pg" "$KMIP_PKI/ca.crt" >"$KMIP_CONF/typo.conf"
chmod 0600 "$KMIP_CONF/typo.conf"
expect_fail "a malformed definition is refused naming file and line" 2 \
	"$KMIP_CONF/typo.conf:3: unknown setting 'certs'" kmip-query typo
ktap_done
