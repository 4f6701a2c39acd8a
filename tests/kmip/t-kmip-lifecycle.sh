#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The life cycle of an mkey key on a real KMIP server (Debian's PyKMIP):
# Query/DiscoverVersions, Create + Activate (AES-128/192/256), the
# GUID -> object record, Locate + GetAttributes (kmip-list, kmip-show,
# lookup by name without a record), Get through the "kmip" key source
# (format --kmip) checked against an independent Get with PyKMIP's own
# client and HKDF in Python, Revoke + Destroy, and the server's errors
# after the destroy (Item Not Found) reaching the user readably.
# shellcheck source=tests/kmip/lib.sh
. "$(dirname "$0")/lib.sh"
kmip_skip_unless_ready

ktap_plan 27
check "throwaway CA and certificates" kmip_pki
check "start pykmip-server" kmip_server_start a
kmip_definition test "server=127.0.0.1:$(kmip_port a)"
port=$(kmip_port a)

expect_ok "kmip-query: Query and Discover Versions" kmip-query test
expect_out "kmip-query names the server that answered" "KMIP server 127.0.0.1:$port (test) answered"
expect_out "kmip-query lists KMIP 1.2 and the vendor" "PyKMIP"

expect_ok "kmip-create AES-256 (Create + Activate)" kmip-create test --description "lifecycle" --json
guid=$(sed -n 's/.*"guid":"\([^"]*\)".*/\1/p' "$KMIP_OUT")
uid=$(sed -n 's/.*"uid":"\([^"]*\)".*/\1/p' "$KMIP_OUT")
diag "key $guid is object $uid"
check "keys.json records GUID, definition and object" \
	grep -q "\"guid\":\"$guid\"" "$KMIP_CONF/keys.json"
expect_ok "kmip-create AES-128" kmip-create test --bits 128
expect_ok "kmip-create AES-192" kmip-create test --bits 192

expect_ok "kmip-list (Locate + Get Attributes)" kmip-list test
if grep -E "^$guid +$uid +active +256 +no +lifecycle" "$KMIP_OUT" >/dev/null &&
	grep -q ": 3 symmetric keys" "$KMIP_OUT"; then
	ok "kmip-list shows all three keys, the first active, AES-256, with its description"
else
	diag_file "$KMIP_OUT"
	fail "kmip-list shows all three keys, the first active, AES-256, with its description"
fi
expect_ok "kmip-show" kmip-show test "$guid"
expect_out "kmip-show: state and size from the server" "State:          active"

# Get: format a volume image with the KMIP key, and the same image with the
# key fetched and derived independently (PyKMIP's client, HKDF in Python):
# the key check values must agree.
truncate -s 8M "$KMIP_WORK/a.img" "$KMIP_WORK/b.img"
uuid=11111111-2222-4333-8444-555555555555
check "format --kmip DEF --key GUID (Get, derive, key check value)" \
	"$MKEY" format "$KMIP_WORK/a.img" --kmip "$KMIP_CONF/test.conf" --key "$guid" --uuid "$uuid"
printf '[client]\n' >"$KMIP_WORK/pykmip-client.conf"
indep_key() {
	"$KMIP_PY" - "$port" "$KMIP_PKI" "$uid" "$guid" "$KMIP_WORK/pykmip-client.conf" \
		>"$KMIP_WORK/raw.key" <<-'EOF'
	import hashlib, hmac, sys, uuid
	from kmip.core import enums
	from kmip.pie.client import ProxyKmipClient
	port, pki, uid, guid, conf = sys.argv[1:6]
	c = ProxyKmipClient(hostname="127.0.0.1", port=int(port), cert=pki + "/client.crt",
	                    key=pki + "/client.key", ca=pki + "/ca.crt",
	                    ssl_version="PROTOCOL_TLSv1_2", config_file=conf,
	                    kmip_version=enums.KMIPVersion.KMIP_1_2)
	with c:
	    k = c.get(uid).value
	prk = hmac.new(uuid.UUID(guid).bytes, k, hashlib.sha256).digest()
	okm, t, i = b"", b"", 1
	while len(okm) < 2 * len(k):
	    t = hmac.new(prk, t + b"dm-mkey KMIP XTS key v1" + bytes([i]), hashlib.sha256).digest()
	    okm += t
	    i += 1
	sys.stdout.buffer.write(okm[:2 * len(k)])
	EOF
}
check "independent Get with PyKMIP's client, HKDF in Python" indep_key
check "format --raw-key with that key" "$MKEY" format "$KMIP_WORK/b.img" \
	--raw-key "$KMIP_WORK/raw.key" --guid "$guid" --uuid "$uuid"
kcv_a=$("$MKEY" dump "$KMIP_WORK/a.img" --json | sed -n 's/.*"kcv":"\([0-9a-f]*\)".*/\1/p')
kcv_b=$("$MKEY" dump "$KMIP_WORK/b.img" --json | sed -n 's/.*"kcv":"\([0-9a-f]*\)".*/\1/p')
if [ -n "$kcv_a" ] && [ "$kcv_a" = "$kcv_b" ]; then
	ok "both labels have the same key check value (same XTS key)"
else
	fail "both labels have the same key check value (same XTS key)" "'$kcv_a' vs '$kcv_b'"
fi

# Without a record the key is found by its name (Locate by Name).
mv "$KMIP_CONF/keys.json" "$KMIP_WORK/keys.json.saved"
expect_ok "kmip-show without keys.json finds the key by name" kmip-show test "$guid"
expect_out "... and says so" "Recorded:       no (found by name)"
check "format --kmip without keys.json finds the key by name" \
	"$MKEY" format "$KMIP_WORK/a.img" --force --kmip "$KMIP_CONF/test.conf" --key "$guid"
check "... and records it" grep -q "\"uid\":\"$uid\"" "$KMIP_CONF/keys.json"
mv "$KMIP_WORK/keys.json.saved" "$KMIP_CONF/keys.json"

# No module here: activation refuses before contacting anyone.
expect_fail "kmip-activate without dm-mkey loaded is refused" 4 "dm-mkey module is not loaded" \
	kmip-activate test "$guid"

expect_fail "kmip-destroy asks for confirmation (no terminal: refused)" 1 "pass --yes" \
	kmip-destroy test "$guid"
expect_ok "kmip-destroy (Revoke + Destroy)" kmip-destroy test "$guid" --yes
if grep -q "$guid" "$KMIP_CONF/keys.json"; then
	fail "the destroyed key is no longer recorded"
else
	ok "the destroyed key is no longer recorded"
fi
expect_fail "kmip-show after destroy: no key of that name" 2 "no key named mkey:$guid" \
	kmip-show test "$guid"

# Get after Destroy: a record that outlived its object.
cp "$KMIP_CONF/keys.json" "$KMIP_WORK/keys.json.saved"
mk kmip-create test --json
g2=$(sed -n 's/.*"guid":"\([^"]*\)".*/\1/p' "$KMIP_OUT")
cp "$KMIP_CONF/keys.json" "$KMIP_WORK/keys.json.with-g2"
mk kmip-destroy test "$g2" --yes
cp "$KMIP_WORK/keys.json.with-g2" "$KMIP_CONF/keys.json"
KMIP_RC=0
"$MKEY" format "$KMIP_WORK/a.img" --force --kmip "$KMIP_CONF/test.conf" --key "$g2" \
	>"$KMIP_OUT" 2>&1 || KMIP_RC=$?
if [ "$KMIP_RC" = 2 ] && grep -q "127.0.0.1:$port: Item Not Found: Could not locate object" "$KMIP_OUT"; then
	ok "Get of a destroyed object: the server's Item Not Found, readably"
else
	diag_file "$KMIP_OUT"
	fail "Get of a destroyed object: the server's Item Not Found, readably" "exit $KMIP_RC"
fi
ktap_done
