#!/usr/bin/env python3
# keyprobe.py IDENTITY_FILE OLD_BUNDLE NEW_BUNDLE: recovers the file key the identity's X25519
# stanza wraps in OLD_BUNDLE (binary), then prints "old-mac:<ok|bad> new-mac:<ok|bad>": whether
# that file key's header key verifies each bundle's header MAC (doc/FORMAT.md). After a rewrite
# under a new file key the old key must verify the old header only. Needs libsodium (ctypes).
import base64
import ctypes
import ctypes.util
import struct
import sys

na = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
na.sodium_init()


def identity(path):
    for line in open(path):
        line = line.strip()
        if line.startswith("SPKSEC1"):
            b32 = line[7:].upper()
            raw = base64.b32decode(b32 + "=" * (-len(b32) % 8))
            return raw[:32]
    sys.exit("keyprobe: no SPKSEC1 line in " + path)


def header(path):
    b = open(path, "rb").read()
    hlen = struct.unpack_from("<I", b, 11)[0]
    h = b[:hlen]
    off = 36 + h[35]
    count = h[off]
    off += 1
    stanzas = []
    for _ in range(count):
        t, n = h[off], struct.unpack_from("<H", h, off + 1)[0]
        stanzas.append((t, h[off + 3:off + 3 + n]))
        off += 3 + n
    return h, stanzas


def file_key(sk, stanzas):
    pk = ctypes.create_string_buffer(32)
    na.crypto_scalarmult_base(pk, sk)
    fk = ctypes.create_string_buffer(32)
    for t, body in stanzas:
        if t == 1 and na.crypto_box_seal_open(fk, body, ctypes.c_ulonglong(len(body)), pk, sk) == 0:
            return fk.raw
    sys.exit("keyprobe: the identity opens no stanza of the old bundle")


def mac_ok(fk, h):
    hk = ctypes.create_string_buffer(32)
    na.crypto_kdf_derive_from_key(hk, ctypes.c_size_t(32), ctypes.c_uint64(1), b"SPKBNDL1", fk)
    return na.crypto_auth_verify(h[-32:], h[:-32], ctypes.c_ulonglong(len(h) - 32), hk.raw) == 0


sk = identity(sys.argv[1])
old_h, old_st = header(sys.argv[2])
new_h, _ = header(sys.argv[3])
fk = file_key(sk, old_st)
print("old-mac:%s new-mac:%s" % ("ok" if mac_ok(fk, old_h) else "bad", "ok" if mac_ok(fk, new_h) else "bad"))
