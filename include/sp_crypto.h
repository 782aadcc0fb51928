/* sp_crypto.h - the libsodium primitives secretpack uses, behind one header. */
#ifndef SP_CRYPTO_H
#define SP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define SP_KEY_BYTES 32          /* X25519 public/secret keys, file key, symmetric keys */
#define SP_WRAP_X25519_BYTES 80  /* crypto_box_seal of a 32-byte key: 32 + 48 */
#define SP_SECRETBOX_NONCE_BYTES 24
#define SP_SECRETBOX_MAC_BYTES 16
#define SP_MAC_BYTES 32          /* HMAC-SHA-512-256 */
#define SP_SUBKEY_CONTEXT "SPKBNDL1" /* 8 bytes: crypto_kdf context of the bundle subkeys */

/* sodium_init; SP_ERR_CRYPTO on failure. Call once from main before anything else. */
int sp_crypto_init(void);
void sp_random(void *buf, size_t len);
/* sk: caller-owned secret buffer, caller wipes. */
int sp_x25519_keygen(unsigned char pk[SP_KEY_BYTES], unsigned char sk[SP_KEY_BYTES]);
int sp_x25519_public(unsigned char pk[SP_KEY_BYTES], const unsigned char sk[SP_KEY_BYTES]);
/* crypto_box_seal of a 32-byte key to pk. */
int sp_wrap_x25519(unsigned char out[SP_WRAP_X25519_BYTES], const unsigned char key[SP_KEY_BYTES],
    const unsigned char pk[SP_KEY_BYTES]);
/* SP_ERR_WRONG_KEY if sk does not open it; key is wiped on failure. */
int sp_unwrap_x25519(unsigned char key[SP_KEY_BYTES], const unsigned char in[SP_WRAP_X25519_BYTES],
    const unsigned char pk[SP_KEY_BYTES], const unsigned char sk[SP_KEY_BYTES]);
/* XSalsa20-Poly1305; c holds mlen + SP_SECRETBOX_MAC_BYTES. */
int sp_secretbox_seal(unsigned char *c, const unsigned char *m, size_t mlen,
    const unsigned char nonce[SP_SECRETBOX_NONCE_BYTES], const unsigned char key[SP_KEY_BYTES]);
/* SP_ERR_WRONG_PASS on authentication failure (m is wiped). */
int sp_secretbox_open(unsigned char *m, const unsigned char *c, size_t clen,
    const unsigned char nonce[SP_SECRETBOX_NONCE_BYTES], const unsigned char key[SP_KEY_BYTES]);
/* crypto_kdf_derive_from_key (BLAKE2b) of a 32-byte subkey number id under ctx (8 bytes).
 * out: caller-owned secret, caller wipes. */
int sp_subkey(unsigned char out[SP_KEY_BYTES], uint64_t id, const char ctx[8],
    const unsigned char key[SP_KEY_BYTES]);
/* HMAC-SHA-512-256 (crypto_auth) of m under key. */
void sp_mac(unsigned char out[SP_MAC_BYTES], const unsigned char *m, size_t len,
    const unsigned char key[SP_KEY_BYTES]);
/* Constant-time check of mac over m: SP_OK or SP_ERR_HEADER_MAC. */
int sp_mac_verify(const unsigned char mac[SP_MAC_BYTES], const unsigned char *m, size_t len,
    const unsigned char key[SP_KEY_BYTES]);
/* Ed25519 signing keys (crypto_sign): the 32-byte seed is what a signing identity stores; sk is
 * libsodium's 64-byte form (seed || public key). seed and sk: caller-owned secrets, caller wipes. */
int sp_sign_keygen(unsigned char pk[32], unsigned char seed[32]);
int sp_sign_from_seed(unsigned char pk[32], unsigned char sk[64], const unsigned char seed[32]);
struct crypto_secretstream_xchacha20poly1305_state;
/* Authenticates one secretstream message (in: inlen bytes, at least the 17 of overhead) exactly as
 * crypto_secretstream_xchacha20poly1305_pull would, and advances st the same way, without
 * decrypting the message: *tag gets its tag. SP_ERR_TAMPERED (st unchanged) on failure. */
int sp_stream_verify(struct crypto_secretstream_xchacha20poly1305_state *st, unsigned char *tag,
    const unsigned char *in, size_t inlen, const unsigned char *ad, size_t adlen);
/* First 4 bytes of BLAKE2b-256(label || data): the typo checksum of text keys. */
void sp_checksum4(unsigned char out[4], const char *label, const unsigned char *data, size_t len);

#endif
