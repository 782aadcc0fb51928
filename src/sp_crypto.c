/* sp_crypto.c - thin wrappers over the libsodium primitives, mapping failures to sp_err values. */
#include <string.h>

#include <sodium.h>

#include "sp_crypto.h"
#include "sp_err.h"

/* The layout of the secretstream nonce in libsodium 1.0.18: a 4-byte counter, then the 8-byte
 * inonce (private names in libsodium's source). */
#define STREAM_COUNTER_BYTES 4
#define STREAM_INONCE_BYTES 8

int sp_crypto_init(void)
{
	return sodium_init() < 0 ? SP_ERR_CRYPTO : SP_OK;
}

void sp_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

int sp_x25519_keygen(unsigned char pk[SP_KEY_BYTES], unsigned char sk[SP_KEY_BYTES])
{
	if (crypto_box_keypair(pk, sk) != 0) {
		sodium_memzero(sk, SP_KEY_BYTES);
		return SP_ERR_CRYPTO;
	}
	return SP_OK;
}

int sp_x25519_public(unsigned char pk[SP_KEY_BYTES], const unsigned char sk[SP_KEY_BYTES])
{
	return crypto_scalarmult_base(pk, sk) == 0 ? SP_OK : SP_ERR_CRYPTO;
}

int sp_wrap_x25519(unsigned char out[SP_WRAP_X25519_BYTES], const unsigned char key[SP_KEY_BYTES],
    const unsigned char pk[SP_KEY_BYTES])
{
	/* Fails only for a low-order public key, which no honest recipient has. */
	if (crypto_box_seal(out, key, SP_KEY_BYTES, pk) != 0)
		return SP_ERR_ARG;
	return SP_OK;
}

int sp_unwrap_x25519(unsigned char key[SP_KEY_BYTES], const unsigned char in[SP_WRAP_X25519_BYTES],
    const unsigned char pk[SP_KEY_BYTES], const unsigned char sk[SP_KEY_BYTES])
{
	if (crypto_box_seal_open(key, in, SP_WRAP_X25519_BYTES, pk, sk) != 0) {
		sodium_memzero(key, SP_KEY_BYTES);
		return SP_ERR_WRONG_KEY;
	}
	return SP_OK;
}

int sp_secretbox_seal(unsigned char *c, const unsigned char *m, size_t mlen,
    const unsigned char nonce[SP_SECRETBOX_NONCE_BYTES], const unsigned char key[SP_KEY_BYTES])
{
	if (mlen > crypto_secretbox_MESSAGEBYTES_MAX)
		return SP_ERR_LIMIT;
	return crypto_secretbox_easy(c, m, mlen, nonce, key) == 0 ? SP_OK : SP_ERR_CRYPTO;
}

int sp_secretbox_open(unsigned char *m, const unsigned char *c, size_t clen,
    const unsigned char nonce[SP_SECRETBOX_NONCE_BYTES], const unsigned char key[SP_KEY_BYTES])
{
	if (clen < SP_SECRETBOX_MAC_BYTES)
		return SP_ERR_ARG;
	if (crypto_secretbox_open_easy(m, c, clen, nonce, key) != 0) {
		sodium_memzero(m, clen - SP_SECRETBOX_MAC_BYTES);
		return SP_ERR_WRONG_PASS;
	}
	return SP_OK;
}

int sp_subkey(unsigned char out[SP_KEY_BYTES], uint64_t id, const char ctx[8],
    const unsigned char key[SP_KEY_BYTES])
{
	if (crypto_kdf_derive_from_key(out, SP_KEY_BYTES, id, ctx, key) != 0) {
		sodium_memzero(out, SP_KEY_BYTES);
		return SP_ERR_CRYPTO;
	}
	return SP_OK;
}

void sp_mac(unsigned char out[SP_MAC_BYTES], const unsigned char *m, size_t len,
    const unsigned char key[SP_KEY_BYTES])
{
	crypto_auth(out, m, len, key);
}

int sp_mac_verify(const unsigned char mac[SP_MAC_BYTES], const unsigned char *m, size_t len,
    const unsigned char key[SP_KEY_BYTES])
{
	return crypto_auth_verify(mac, m, len, key) == 0 ? SP_OK : SP_ERR_HEADER_MAC;
}

int sp_sign_keygen(unsigned char pk[32], unsigned char seed[32])
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	int err = SP_OK;

	randombytes_buf(seed, 32);
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0) {
		sodium_memzero(seed, 32);
		err = SP_ERR_CRYPTO;
	}
	sodium_memzero(sk, sizeof sk);
	return err;
}

int sp_sign_from_seed(unsigned char pk[32], unsigned char sk[64], const unsigned char seed[32])
{
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0) {
		sodium_memzero(sk, 64);
		return SP_ERR_CRYPTO;
	}
	return SP_OK;
}

void sp_checksum4(unsigned char out[4], const char *label, const unsigned char *data, size_t len)
{
	crypto_generichash_state st;
	unsigned char h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)label, strlen(label));
	crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, h, sizeof h);
	memcpy(out, h, 4);
	sodium_memzero(&st, sizeof st);
	sodium_memzero(h, sizeof h);
}

/* crypto_secretstream_xchacha20poly1305_pull of libsodium 1.0.18, step for step, without the
 * decryption of the message body: the Poly1305 key (block 0), the encrypted tag byte (block 1)
 * and the MAC over the ciphertext, then the same state update. */
int sp_stream_verify(struct crypto_secretstream_xchacha20poly1305_state *st, unsigned char *tag,
    const unsigned char *in, size_t inlen, const unsigned char *ad, size_t adlen)
{
	static const unsigned char pad0[16];
	crypto_onetimeauth_poly1305_state ps;
	unsigned char block[64], slen[8], mac[crypto_onetimeauth_poly1305_BYTES];
	size_t mlen;
	int err = SP_ERR_TAMPERED;

	if (inlen < crypto_secretstream_xchacha20poly1305_ABYTES)
		return SP_ERR_TAMPERED;
	mlen = inlen - crypto_secretstream_xchacha20poly1305_ABYTES;
	crypto_stream_chacha20_ietf(block, sizeof block, st->nonce, st->k);
	crypto_onetimeauth_poly1305_init(&ps, block);
	crypto_onetimeauth_poly1305_update(&ps, ad, adlen);
	crypto_onetimeauth_poly1305_update(&ps, pad0, (0x10 - adlen) & 0xf);
	memset(block, 0, sizeof block);
	block[0] = in[0];
	crypto_stream_chacha20_ietf_xor_ic(block, block, sizeof block, st->nonce, 1U, st->k);
	*tag = block[0];
	block[0] = in[0];
	crypto_onetimeauth_poly1305_update(&ps, block, sizeof block);
	crypto_onetimeauth_poly1305_update(&ps, in + 1, mlen);
	crypto_onetimeauth_poly1305_update(&ps, pad0, (0x10 - sizeof block + mlen) & 0xf);
	for (size_t i = 0; i < 8; i++)
		slen[i] = (unsigned char)((uint64_t)adlen >> (8 * i));
	crypto_onetimeauth_poly1305_update(&ps, slen, sizeof slen);
	for (size_t i = 0; i < 8; i++)
		slen[i] = (unsigned char)((uint64_t)(sizeof block + mlen) >> (8 * i));
	crypto_onetimeauth_poly1305_update(&ps, slen, sizeof slen);
	crypto_onetimeauth_poly1305_final(&ps, mac);
	if (sodium_memcmp(mac, in + 1 + mlen, sizeof mac) != 0) {
		*tag = 0;
		goto out;
	}
	/* The state update of pull: the inonce absorbs the MAC, the counter counts the message. */
	for (size_t i = 0; i < STREAM_INONCE_BYTES; i++)
		st->nonce[STREAM_COUNTER_BYTES + i] ^= mac[i];
	sodium_increment(st->nonce, STREAM_COUNTER_BYTES);
	if ((*tag & crypto_secretstream_xchacha20poly1305_TAG_REKEY) != 0 ||
	    sodium_is_zero(st->nonce, STREAM_COUNTER_BYTES))
		crypto_secretstream_xchacha20poly1305_rekey(st);
	err = SP_OK;
out:
	sodium_memzero(&ps, sizeof ps);
	sodium_memzero(block, sizeof block);
	sodium_memzero(mac, sizeof mac);
	return err;
}
