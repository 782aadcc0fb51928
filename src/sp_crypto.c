/* sp_crypto.c - thin wrappers over the libsodium primitives, mapping failures to sp_err values. */
#include <string.h>

#include <sodium.h>

#include "sp_crypto.h"
#include "sp_err.h"

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
