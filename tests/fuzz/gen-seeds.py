#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seed corpora for the harnesses whose inputs are binary or assembled
(label, dmlines, mkeytab, config): writes tests/fuzz/corpus/NAME/*.
Run from the top of the tree after changing a harness's input format:

    tests/fuzz/gen-seeds.py

The seeds are checked in; this script only documents and remakes them.
"""
import hashlib
import os
import struct
import uuid

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def out(name, fname, data):
    d = os.path.join(TOP, "tests", "fuzz", "corpus", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---------------------------------------------------------------- label
def header(key_bits=256, sector=4096, offset=2048, sectors=2048, version=1,
           hsize=512, flags=0, cipher=b"aes-xts-plain64", checksum=True):
    h = bytearray(512)
    h[0:8] = b"MKEYLBL\0"
    struct.pack_into("<HHI", h, 8, version, hsize, flags)
    h[16:32] = uuid.UUID("407c5c18-52b9-4536-ad2f-fdf97215d628").bytes
    h[32:48] = uuid.UUID("0b8e42c2-3c4b-4f0a-9e0d-8b6f2f0a1c55").bytes
    h[48:48 + len(cipher)] = cipher
    struct.pack_into("<IIQQ", h, 80, key_bits, sector, offset, sectors)
    h[104:136] = bytes(range(1, 33))
    if checksum:
        h[480:512] = hashlib.sha256(bytes(h[:480])).digest()
    return bytes(h)


def label_input(ctl, dev, prim, back=b""):
    return bytes([ctl]) + struct.pack("<Q", dev) + prim + back


def labels():
    mib = 1 << 20
    good = header()
    out("label", "valid-both", label_input(0, 16 * mib, good, good))
    out("label", "valid-512", label_input(0, 16 * mib,
                                          header(128, 512, 8, 4096), header(128, 512, 8, 4096)))
    out("label", "valid-192", label_input(0, 4 * mib, header(192, 4096, 2048, 8), b""))
    bad = bytearray(good)
    bad[200] ^= 0xff
    out("label", "primary-corrupt", label_input(0, 16 * mib, bytes(bad), good))
    out("label", "past-end", label_input(0, 1 * mib + 8192, good, good))
    out("label", "tiny-device", label_input(0, 4096, good))
    out("label", "big-device", label_input(0x80, 1 << 40, good, good))
    out("label", "fixup-version", label_input(3, 16 * mib, header(version=2), header(hsize=4096)))
    out("label", "fixup-fields", label_input(3, 16 * mib, header(flags=1, cipher=b"aes-cbc-essiv"),
                                             header(key_bits=512, sector=1024)))
    out("label", "fixup-offsets", label_input(0x33, 16 * mib, header(offset=4), header(sectors=7)))
    out("label", "differ", label_input(0, 16 * mib, good, header(sectors=8)))
    out("label", "no-label", label_input(0, 16 * mib, bytes(512), bytes(512)))


# ---------------------------------------------------------------- dmlines
G = "0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55"


def dmlines():
    seeds = {
        "table": "8:16 " + G,
        "table-discards": "259:1048575 " + G + " 1 allow_discards",
        "table-zero-opts": "253:7 " + G + " 0",
        "status": G + " aes-xts-plain64 256 4096 primary 120 48 960 384 0",
        "status-backup": G + " aes-xts-plain64 128 512 backup 18446744073709551615 1 2 3 4\n",
        "status-future": G + " aes-xts-plain64 256 4096 primary 1 2 3 4 5 future",
        "guid-lower": G.lower(),
        "name": "vol-1_backup.2",
    }
    for k, v in seeds.items():
        out("dmlines", k, v)


# ---------------------------------------------------------------- mkeytab
def mkeytab():
    with open(os.path.join(TOP, "boot", "mkeytab.example")) as f:
        example = f.read()
    out("mkeytab", "example", example)
    out("mkeytab", "uncommented", "\n".join(l[1:] if l.startswith("#") and not
                                            l.startswith("# ") else l
                                            for l in example.split("\n")))
    out("mkeytab", "options",
        "# name device keyfile options\n"
        "a /dev/vdb /etc/mkey/a.mkey nofail,noauto,readonly,discard,tries=0\n"
        "b\tUUID=407c5c18-52b9-4536-ad2f-fdf97215d628\t/etc/mkey/b.mkey\tinitramfs,required,tries=100,x-other\r\n"
        "c /dev/disk/by-id/x /k read-only\n"
        "d /dev/sdd /k -\n"
        "e /dev/sde /k none\n"
        "k UUID=0b8e42c2-3c4b-4f0a-9e0d-8b6f2f0a1c55 kmip:prod-kms.1 nofail,discard\n")
    out("mkeytab", "errors",
        "a\n"
        "a /dev/x /k nofail,required\n"
        "b ../x /k\n"
        "c /dev//x /k\n"
        "d /dev/x kmip:server\n"
        "e /dev/x /k tries=007\n"
        "f /dev/x /k ,nofail\n"
        "g /dev/x /k/ \n"
        "h UUID=nope /k\n"
        "a /dev/y /k\n"
        "i /dev/x /k a b\n"
        "j /dev/x kmip:bad/name\n"
        "l /dev/x kmip:srv initramfs\n")


# ---------------------------------------------------------------- config
KMIP_CONF = """# KMIP cluster
server = kms1.example.com
  server=10.0.0.7:5697
server = [2001:db8::1]:15696

ca = ca.pem
cert = /c/client.pem
key = client.key
connect-timeout = 2.5
timeout = 30
protocol = 1.4
"""

STARTUP = """# dm-mkey: how each key file is unlocked at boot
/etc/mkey/a.mkey unattended UNATTENDED@HOST
/etc/mkey/b.mkey interactive
/etc/mkey/c.mkey none
"""

KEYS_JSON = """{
  "format": "dm-mkey KMIP keys",
  "version": 1,
  "keys": [
    {
      "guid": "0B8E42C2-3C4B-4F0A-9E0D-8B6F2F0A1C55",
      "server": "kms",
      "uid": "7f3c-11",
      "bits": 256,
      "description": "data volume \\u00e9",
      "created": "2025-11-25T10:00:00Z"
    },
    {
      "guid": "407C5C18-52B9-4536-AD2F-FDF97215D628",
      "server": "kms.backup",
      "uid": "12",
      "bits": 128,
      "description": "",
      "created": "1970-01-01T00:00:00Z"
    }
  ]
}
"""


def config():
    out("config", "kmip", b"\x00" + KMIP_CONF.encode())
    out("config", "kmip-minimal", b"\x00server = 127.0.0.1\nca = a\ncert = b\nkey = c\n")
    out("config", "kmip-bad", b"\x00server = a:65536\nca = x\nca = y\n")
    out("config", "startup", b"\x01" + STARTUP.encode())
    out("config", "startup-bad", b"\x01relative none\n/etc/mkey/a.mkey unattended\n")
    out("config", "keys-json", b"\x02" + KEYS_JSON.encode())
    out("config", "keys-json-empty", b'\x02{"format": "dm-mkey KMIP keys", "version": 1, "keys": []}')
    out("config", "secret", b"\x03" + b"0123456789abcdef" * 4 + b"\n")
    out("config", "secret-short", b"\x03" + b"0123456789abcdef")


if __name__ == "__main__":
    labels()
    dmlines()
    mkeytab()
    config()
