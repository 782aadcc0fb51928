/* test_crypto.c - the libsodium wrappers: key pairs, key wrapping, secretbox, subkeys, MAC. */
#include "unit.h"

#include <stdlib.h>

#include <sodium.h>

#include "sp_crypto.h"
#include "sp_err.h"

static int all_zero(const unsigned char *p, size_t len)
{
	unsigned char acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

static void test_random(void **state)
{
	unsigned char a[32] = { 0 }, b[32] = { 0 };

	(void)state;
	sp_random(a, sizeof a);
	sp_random(b, sizeof b);
	assert_false(all_zero(a, sizeof a));
	assert_memory_not_equal(a, b, sizeof a);
}

static void test_keygen_public(void **state)
{
	unsigned char pk[SP_KEY_BYTES], sk[SP_KEY_BYTES], pk2[SP_KEY_BYTES], pk3[SP_KEY_BYTES];

	(void)state;
	assert_int_equal(sp_x25519_keygen(pk, sk), SP_OK);
	assert_int_equal(sp_x25519_public(pk2, sk), SP_OK);
	assert_memory_equal(pk, pk2, sizeof pk);
	assert_int_equal(sp_x25519_keygen(pk3, sk), SP_OK);
	assert_memory_not_equal(pk, pk3, sizeof pk);
}

/* RFC 7748 section 6.1: Alice's key pair. */
static void test_public_rfc7748(void **state)
{
	unsigned char sk[32], want[32], pk[32];

	(void)state;
	sodium_hex2bin(sk, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	    64, NULL, NULL, NULL);
	sodium_hex2bin(want, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	    64, NULL, NULL, NULL);
	assert_int_equal(sp_x25519_public(pk, sk), SP_OK);
	assert_memory_equal(pk, want, 32);
}

static void test_wrap_roundtrip(void **state)
{
	unsigned char pk[32], sk[32], key[32], wrapped[SP_WRAP_X25519_BYTES], back[32];

	(void)state;
	sp_x25519_keygen(pk, sk);
	sp_random(key, sizeof key);
	assert_int_equal(sp_wrap_x25519(wrapped, key, pk), SP_OK);
	assert_int_equal(sp_unwrap_x25519(back, wrapped, pk, sk), SP_OK);
	assert_memory_equal(back, key, sizeof key);
}

static void test_unwrap_rejects(void **state)
{
	unsigned char pk[32], sk[32], pk2[32], sk2[32], key[32], wrapped[SP_WRAP_X25519_BYTES];
	unsigned char back[32];

	(void)state;
	sp_x25519_keygen(pk, sk);
	sp_x25519_keygen(pk2, sk2);
	sp_random(key, sizeof key);
	assert_int_equal(sp_wrap_x25519(wrapped, key, pk), SP_OK);
	memset(back, 0xff, sizeof back);
	assert_int_equal(sp_unwrap_x25519(back, wrapped, pk2, sk2), SP_ERR_WRONG_KEY);
	assert_true(all_zero(back, sizeof back));
	for (size_t i = 0; i < sizeof wrapped; i += 7) {
		wrapped[i] ^= 0x10;
		assert_int_equal(sp_unwrap_x25519(back, wrapped, pk, sk), SP_ERR_WRONG_KEY);
		wrapped[i] ^= 0x10;
	}
	assert_int_equal(sp_unwrap_x25519(back, wrapped, pk, sk), SP_OK);
}

/* A low-order public key gives an all-zero shared secret: refused both ways. */
static void test_low_order_key(void **state)
{
	unsigned char zero[32] = { 0 }, key[32] = { 1 }, wrapped[SP_WRAP_X25519_BYTES], back[32];
	unsigned char pk[32], sk[32];

	(void)state;
	assert_int_equal(sp_wrap_x25519(wrapped, key, zero), SP_ERR_ARG);
	sp_x25519_keygen(pk, sk);
	memset(wrapped, 0, sizeof wrapped); /* ephemeral key 0: low order */
	assert_int_equal(sp_unwrap_x25519(back, wrapped, pk, sk), SP_ERR_WRONG_KEY);
}

static void test_secretbox(void **state)
{
	unsigned char key[32], nonce[SP_SECRETBOX_NONCE_BYTES], m[40], c[40 + SP_SECRETBOX_MAC_BYTES];
	unsigned char back[40];

	(void)state;
	sp_random(key, sizeof key);
	sp_random(nonce, sizeof nonce);
	sp_random(m, sizeof m);
	assert_int_equal(sp_secretbox_seal(c, m, sizeof m, nonce, key), SP_OK);
	assert_int_equal(sp_secretbox_open(back, c, sizeof c, nonce, key), SP_OK);
	assert_memory_equal(back, m, sizeof m);
	c[sizeof c - 1] ^= 1;
	memset(back, 0xff, sizeof back);
	assert_int_equal(sp_secretbox_open(back, c, sizeof c, nonce, key), SP_ERR_WRONG_PASS);
	assert_true(all_zero(back, sizeof back));
	c[sizeof c - 1] ^= 1;
	key[0] ^= 1;
	assert_int_equal(sp_secretbox_open(back, c, sizeof c, nonce, key), SP_ERR_WRONG_PASS);
	assert_int_equal(sp_secretbox_open(back, c, SP_SECRETBOX_MAC_BYTES - 1, nonce, key),
	    SP_ERR_ARG);
}

/* The subkey is BLAKE2b-256 keyed with the file key, salt = LE64(id) || 0^8, personal = context
 * || 0^8: spelled out here so a second implementation can follow doc/FORMAT.md. */
static void test_subkey(void **state)
{
	unsigned char key[32], k1[32], k2[32], k1b[32], want[32], salt[16] = { 0 }, pers[16] = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)i;
	assert_int_equal(sp_subkey(k1, 1, SP_SUBKEY_CONTEXT, key), SP_OK);
	assert_int_equal(sp_subkey(k2, 2, SP_SUBKEY_CONTEXT, key), SP_OK);
	assert_int_equal(sp_subkey(k1b, 1, "SPKBNDL2", key), SP_OK);
	assert_memory_not_equal(k1, k2, 32);
	assert_memory_not_equal(k1, k1b, 32);
	salt[0] = 1;
	memcpy(pers, SP_SUBKEY_CONTEXT, 8);
	crypto_generichash_blake2b_salt_personal(want, 32, NULL, 0, key, 32, salt, pers);
	assert_memory_equal(k1, want, 32);
}

/* HMAC-SHA-512-256 is HMAC-SHA-512 cut to 32 bytes (RFC 4231 test case 2 key and data). */
static void test_mac(void **state)
{
	unsigned char key[32] = "Jefe", mac[SP_MAC_BYTES], full[64];
	const unsigned char *msg = (const unsigned char *)"what do ya want for nothing?";
	crypto_auth_hmacsha512_state st;

	(void)state;
	sp_mac(mac, msg, 28, key);
	crypto_auth_hmacsha512_init(&st, key, sizeof key);
	crypto_auth_hmacsha512_update(&st, msg, 28);
	crypto_auth_hmacsha512_final(&st, full);
	assert_memory_equal(mac, full, SP_MAC_BYTES);
	assert_int_equal(sp_mac_verify(mac, msg, 28, key), SP_OK);
	assert_int_equal(sp_mac_verify(mac, msg, 27, key), SP_ERR_HEADER_MAC);
	mac[31] ^= 0x80;
	assert_int_equal(sp_mac_verify(mac, msg, 28, key), SP_ERR_HEADER_MAC);
	mac[31] ^= 0x80;
	key[0] ^= 1;
	assert_int_equal(sp_mac_verify(mac, msg, 28, key), SP_ERR_HEADER_MAC);
}

static void test_checksum4(void **state)
{
	unsigned char data[32], out[4], out2[4], h[32], cat[7 + 32];

	(void)state;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(0xa0 + i);
	sp_checksum4(out, "spkpub1", data, sizeof data);
	memcpy(cat, "spkpub1", 7);
	memcpy(cat + 7, data, sizeof data);
	crypto_generichash(h, sizeof h, cat, sizeof cat, NULL, 0);
	assert_memory_equal(out, h, 4);
	sp_checksum4(out2, "SPKSEC1", data, sizeof data);
	assert_memory_not_equal(out, out2, 4);
	data[5] ^= 1;
	sp_checksum4(out2, "spkpub1", data, sizeof data);
	assert_memory_not_equal(out, out2, 4);
}

/* sp_stream_verify against libsodium's own pull: same verdict, same tag, same state after every
 * message, for lengths around the 64-byte block and the 16-byte Poly1305 padding, every tag, with
 * and without additional data; one flipped bit anywhere fails both and leaves the state as is. */
static void test_stream_verify(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 47, 48, 63, 64, 65, 1000, 65536 };
	static const unsigned char tags[] = { 0, 1, 2, 3 };
	crypto_secretstream_xchacha20poly1305_state push, pull, ver;
	unsigned char key[32], hdr[24], ad[32], tag_p, tag_v;
	unsigned char *m = malloc(65536), *c = malloc(65536 + 17), *out = malloc(65536);

	(void)state;
	assert_non_null(m);
	assert_non_null(c);
	assert_non_null(out);
	sp_random(key, sizeof key);
	sp_random(ad, sizeof ad);
	for (size_t adlen = 0; adlen <= sizeof ad; adlen += 32) {
		crypto_secretstream_xchacha20poly1305_init_push(&push, hdr, key);
		assert_int_equal(crypto_secretstream_xchacha20poly1305_init_pull(&pull, hdr, key), 0);
		memcpy(&ver, &pull, sizeof ver);
		for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
			for (size_t t = 0; t < sizeof tags; t++) {
				size_t clen = lens[i] + 17;

				sp_random(m, lens[i]);
				crypto_secretstream_xchacha20poly1305_push(&push, c, NULL, m, lens[i], ad, adlen,
				    tags[t]);
				/* A flipped bit: both refuse, and neither state moves. */
				for (size_t bit = 0; bit < clen * 8; bit += clen * 8 / 5 + 1) {
					crypto_secretstream_xchacha20poly1305_state before;

					memcpy(&before, &ver, sizeof before);
					c[bit / 8] ^= (unsigned char)(1u << (bit % 8));
					assert_int_equal(sp_stream_verify(&ver, &tag_v, c, clen, ad, adlen),
					    SP_ERR_TAMPERED);
					assert_int_not_equal(crypto_secretstream_xchacha20poly1305_pull(&pull, out,
					    NULL, &tag_p, c, clen, ad, adlen), 0);
					c[bit / 8] ^= (unsigned char)(1u << (bit % 8));
					assert_memory_equal(&before, &ver, sizeof ver);
				}
				assert_int_equal(crypto_secretstream_xchacha20poly1305_pull(&pull, out, NULL,
				    &tag_p, c, clen, ad, adlen), 0);
				assert_int_equal(sp_stream_verify(&ver, &tag_v, c, clen, ad, adlen), SP_OK);
				assert_int_equal(tag_v, tag_p);
				assert_int_equal(tag_v, tags[t]);
				assert_memory_equal(&ver, &pull, sizeof ver);
			}
	}
	assert_int_equal(sp_stream_verify(&ver, &tag_v, c, 16, ad, 0), SP_ERR_TAMPERED);
	free(m);
	free(c);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_keygen_public),
		cmocka_unit_test(test_public_rfc7748),
		cmocka_unit_test(test_wrap_roundtrip),
		cmocka_unit_test(test_unwrap_rejects),
		cmocka_unit_test(test_low_order_key),
		cmocka_unit_test(test_secretbox),
		cmocka_unit_test(test_subkey),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_checksum4),
		cmocka_unit_test(test_stream_verify),
	};

	if (sp_crypto_init() != SP_OK)
		return 1;
	return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
