# bundlelib.py: what the Python test tools (keyprobe.py, forge_payload.py) share to read a binary
# bundle as a recipient does (doc/FORMAT.md): libsodium through ctypes, the X25519 secret key of
# an identity file, the header and its stanzas, the file key a stanza wraps, and its subkeys.
# Failures end the calling tool with one line prefixed by its name.
import base64
import ctypes
import ctypes.util
import os
import struct
import sys

na = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")


def die(msg):
    sys.exit("%s: %s" % (os.path.basename(sys.argv[0]).rsplit(".", 1)[0], msg))


if na.sodium_init() < 0:
    die("sodium_init failed")


def identity(path):
    """The 32-byte X25519 secret key of the first SPKSEC1 line of an identity file."""
    for line in open(path):
        line = line.strip()
        if line.startswith("SPKSEC1"):
            b32 = line[7:].upper()
            return base64.b32decode(b32 + "=" * (-len(b32) % 8))[:32]
    die("no SPKSEC1 line in " + path)


def parse_header(b):
    """-> (header bytes with its MAC, [(stanza type, body)], signed?) of a binary bundle."""
    if b[:8] != b"SPKB\r\n\x1a\n":
        die("not a binary bundle")
    version = struct.unpack_from("<H", b, 8)[0]
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
    signed = version == 2 and h[off] == 1
    return h, stanzas, signed


def file_key(sk, stanzas):
    """The file key the first X25519 stanza sk opens wraps."""
    pk = ctypes.create_string_buffer(32)
    na.crypto_scalarmult_base(pk, sk)
    fk = ctypes.create_string_buffer(32)
    for t, body in stanzas:
        if t == 1 and na.crypto_box_seal_open(fk, body, ctypes.c_ulonglong(len(body)), pk, sk) == 0:
            return fk.raw
    die("the identity opens no stanza of the bundle")


def subkey(fk, i):
    """Subkey i of the file key (1: header key, 2: payload key)."""
    k = ctypes.create_string_buffer(32)
    na.crypto_kdf_derive_from_key(k, ctypes.c_size_t(32), ctypes.c_uint64(i), b"SPKBNDL1", fk)
    return k.raw
