#!/usr/bin/env python3
# keyprobe.py IDENTITY_FILE OLD_BUNDLE NEW_BUNDLE: recovers the file key the identity's X25519
# stanza wraps in OLD_BUNDLE (binary), then prints "old-mac:<ok|bad> new-mac:<ok|bad>": whether
# that file key's header key verifies each bundle's header MAC (doc/FORMAT.md). After a rewrite
# under a new file key the old key must verify the old header only. Needs libsodium (ctypes).
import ctypes
import sys

from bundlelib import file_key, identity, na, parse_header, subkey


def header(path):
    h, stanzas, _ = parse_header(open(path, "rb").read())
    return h, stanzas


def mac_ok(fk, h):
    hk = subkey(fk, 1)
    return na.crypto_auth_verify(h[-32:], h[:-32], ctypes.c_ulonglong(len(h) - 32), hk) == 0


sk = identity(sys.argv[1])
old_h, old_st = header(sys.argv[2])
new_h, _ = header(sys.argv[3])
fk = file_key(sk, old_st)
print("old-mac:%s new-mac:%s" % ("ok" if mac_ok(fk, old_h) else "bad", "ok" if mac_ok(fk, new_h) else "bad"))
