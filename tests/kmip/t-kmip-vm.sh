#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# A volume opened with a KMIP key inside the test VM (Debian's kernel under
# QEMU). The server runs here on the host, on 127.0.0.1; the guest reaches
# it through QEMU's user network, where 10.0.2.2 is the host's loopback.
# (A guestfwd to one forwarded address would isolate the guest better, but
# QEMU serves only the first connection through it.) The guest half is
# tests/kmip/vm-volume.sh.
# shellcheck source=tests/kmip/lib.sh
. "$(dirname "$0")/lib.sh"
kmip_skip_unless_ready

ktap_plan 3
check "throwaway CA and certificates" kmip_pki
check "start pykmip-server" kmip_server_start vm
port=$(kmip_port vm)

g=$KMIP_WORK/guest
mkdir -p "$g"
cp "$KMIP_PKI/ca.crt" "$g/kmip-ca.crt"
cp "$KMIP_PKI/client.crt" "$g/kmip-client.crt"
cp "$KMIP_PKI/client.key" "$g/kmip-client.key"
# Generous timeouts: TLS under software emulation is slow.
cat >"$g/kmip-vm.conf" <<CONF
# the host's pykmip-server, reached through QEMU's user network
server = 10.0.2.2:$port
ca = kmip-ca.crt
cert = kmip-client.crt
key = kmip-client.key
connect-timeout = 30
timeout = 60
CONF

echo "    # Subtest: vm-volume"
VM_QEMU_ARGS="-netdev user,id=n0 -device virtio-net-pci,netdev=n0" \
	"$kmip_top/tests/vm/run.sh" --add "$g/kmip-vm.conf" --add "$g/kmip-ca.crt" \
	--add "$g/kmip-client.crt" --add "$g/kmip-client.key" \
	"$kmip_top/tests/kmip/vm-volume.sh" | sed 's/^/    /'
if [ "${PIPESTATUS[0]}" -eq 0 ]; then
	ok "vm-volume"
else
	kmip_server_log vm 20
	fail "vm-volume"
fi
