#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# timeout: 420
# disks: 64M
#
# Guest half of tests/kmip/t-kmip-vm.sh: a volume opened with a key that
# lives on a KMIP server. The server runs on the host, reached through
# QEMU's user network at 10.0.2.2; the host half passes the server definition,
# CA and client certificate in /mkey/tests/kmip-*. The key is created on
# the server from the guest, fetched into the module keyring, and used to
# format, open, fill, close, deactivate, fetch again and read back.
. /mkey/tests/lib.sh

mkey_require_module
[ -f /mkey/tests/kmip-vm.conf ] ||
	ktap_skip_all "no KMIP server definition (run through tests/kmip/t-kmip-vm.sh)"

ktap_plan 22

conf=/tmp/kmip
mnt=/mnt/kmip
mk() { mkey "$@" --kmip-config-dir "$conf"; }

network() {
	modprobe virtio_net || return 1
	ip link set lo up && ip link set eth0 up &&
	ip addr add 10.0.2.15/24 dev eth0 && return 0
	ip link
	return 1
}
check "guest network up (virtio-net, QEMU user networking)" network

files() {
	mkdir -p "$conf" "$mnt" && chmod 0700 "$conf" &&
	for f in kmip-vm.conf kmip-ca.crt kmip-client.crt kmip-client.key; do
		cp "/mkey/tests/$f" "$conf/$f" || return 1
	done
	mv "$conf/kmip-vm.conf" "$conf/vm.conf" &&
	chmod 0600 "$conf/vm.conf" "$conf/kmip-client.key"
}
check "server definition, CA and client certificate in place" files

check "module loaded" mkey_load_module
check "kmip-query reaches the server on the host" \
	sh -c "mkey kmip-query vm --kmip-config-dir $conf | grep -q 'answered'"

guid=
create() {
	mk kmip-create vm --bits 256 --description "VM volume" --json >/tmp/create.json &&
	guid=$(sed -n 's/.*"guid":"\([^"]*\)".*/\1/p' /tmp/create.json) &&
	[ -n "$guid" ]
}
check "kmip-create an AES-256 key on the server" create
diag "key $guid"

check "kmip-activate fetches it into the module keyring" mk kmip-activate vm "$guid"
check "the key is active" sh -c "mkey active | grep -q '$guid'"
check "format /dev/vda with the KMIP key" mk format /dev/vda --kmip vm --key "$guid" --force
check "open it" mkey open /dev/vda kvol
cleanup_add "umount $mnt"
cleanup_add "mkey close kvol"
marker="kept on KMIP $(date +%s)"
fill() {
	mkfs.ext4 -q /dev/mapper/kvol && mount -t ext4 /dev/mapper/kvol "$mnt" &&
	echo "$marker" >"$mnt/data.txt" && umount "$mnt"
}
check "ext4 on it, a file written" fill
check "plaintext not on the raw disk" sh -c "! grep -qaF '$marker' /dev/vda"
check "close and deactivate" sh -c "mkey close kvol && mkey deactivate '$guid'"
check_fail "open is refused while the key is not active" mkey open /dev/vda kvol
check "kmip-activate fetches the key again" mk kmip-activate vm "$guid"
check "open again" mkey open /dev/vda kvol
check "the file reads back intact" sh -c \
	"mount -t ext4 /dev/mapper/kvol $mnt && grep -qx '$marker' $mnt/data.txt && umount $mnt"
check "close and deactivate" sh -c "mkey close kvol && mkey deactivate '$guid'"

# The boot path: /etc/mkeytab naming kmip:vm, the definition under the
# agent's configuration directory (default /etc/mkey/kmip).
agent_setup() {
	mkdir -p /tmp/mkeyconf && chmod 0700 /tmp/mkeyconf &&
	cp -a "$conf" /tmp/mkeyconf/kmip &&
	echo "kv2 /dev/vda kmip:vm" >/tmp/mkeytab &&
	mkey-agent check --tab /tmp/mkeytab --confdir /tmp/mkeyconf
}
check "mkey-agent check accepts a kmip:SERVER volume" agent_setup
check "the key is not active before the agent runs" sh -c "! mkey active | grep -q '$guid'"
check "mkey-agent unlock fetches the key from KMIP and opens the volume" \
	mkey-agent unlock kv2 --tab /tmp/mkeytab --confdir /tmp/mkeyconf
cleanup_add "mkey close kv2"
check "the file reads back through the agent's mapping" sh -c \
	"mount -t ext4 -o ro /dev/mapper/kv2 $mnt && grep -qx '$marker' $mnt/data.txt && umount $mnt"
check "close and deactivate" sh -c "mkey close kv2 && mkey deactivate '$guid'"
