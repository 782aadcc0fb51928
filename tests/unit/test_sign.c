/* test_sign.c - format version 2: signed bundles, the trust check, the recipient list, and the
 * signing key texts. */
#include "memio.h"

#include <stdlib.h>

#include <sodium.h>

#include "sp_bundle.h"
#include "sp_crypto.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"

static int discard(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	(void)ctx;
	(void)idx;
	(void)buf;
	(void)len;
	return SP_OK;
}

static unsigned char rpk[2][32], rsk[2][32];
static unsigned char spk[2][32], ssk[2][64];

static int setup(void **state)
{
	unsigned char seed[32];

	(void)state;
	if (sp_crypto_init() != SP_OK)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (sp_x25519_keygen(rpk[i], rsk[i]) != SP_OK || sp_sign_keygen(spk[i], seed) != SP_OK)
			return -1;
		if (sp_sign_from_seed(spk[i], ssk[i], seed) != SP_OK)
			return -1;
	}
	return 0;
}

/* A bundle of two entries to recipient 0, signed by signer (or unsigned when signer < 0). */
static void make(membuf *out, int signer)
{
	sp_entry e[2] = { { "a", 5, 0400, "", "" }, { "b/c", 3, 0400, "", "" } };
	sp_seal_params p;
	sp_sealer *s = NULL;

	memset(&p, 0, sizeof p);
	memset(out, 0, sizeof *out);
	p.created = 1700000000;
	p.x25519 = (const unsigned char (*)[32])rpk;
	p.n_x25519 = 1;
	p.entries = e;
	p.n_entries = 2;
	p.sign_sk = signer >= 0 ? ssk[signer] : NULL;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, out), SP_OK);
	assert_int_equal(sp_seal_write(s, (const unsigned char *)"hello", 5), SP_OK);
	assert_int_equal(sp_seal_write(s, (const unsigned char *)"abc", 3), SP_OK);
	assert_int_equal(sp_seal_finish(s), SP_OK);
	sp_seal_free(s);
}

/* The whole streaming open, trusting signer 'trust' (or no one when < 0). */
static int open_all(const unsigned char *b, size_t len, int trust)
{
	memsrc src = { b, len, 0 };
	sp_opener *o = NULL;
	const sp_entry *e;
	size_t n;
	int err;

	if ((err = sp_open_begin(&o, mem_read, &src)) != SP_OK)
		goto out;
	if (trust >= 0 && (err = sp_open_trust(o, (const unsigned char (*)[32])spk[trust], 1)) != SP_OK)
		goto out;
	if ((err = sp_open_unlock(o, (const unsigned char (*)[32])rsk, 1, NULL, 0)) != SP_OK ||
	    (err = sp_open_check(o, NULL, 1700000000)) != SP_OK ||
	    (err = sp_open_index(o, &e, &n)) != SP_OK)
		goto out;
	err = sp_open_payload(o, discard, NULL);
out:
	sp_open_free(o);
	return err;
}

/* The keyless first pass: header, trust, then the signature over everything. */
static int verify_all(const unsigned char *b, size_t len, int trust)
{
	memsrc src = { b, len, 0 };
	sp_opener *o = NULL;
	int err;

	if ((err = sp_open_begin(&o, mem_read, &src)) == SP_OK &&
	    (err = sp_open_trust(o, (const unsigned char (*)[32])spk[trust], 1)) == SP_OK)
		err = sp_open_verify(o);
	sp_open_free(o);
	return err;
}

static void test_signed_roundtrip(void **state)
{
	membuf b;
	memsrc src;
	sp_opener *o = NULL;
	sp_bundle_info info;

	(void)state;
	make(&b, 0);
	src = (memsrc){ b.p, b.len, 0 };
	assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_OK);
	sp_open_info(o, &info);
	assert_int_equal(info.version, 2);
	assert_true(info.is_signed);
	assert_memory_equal(info.signer, spk[0], 32);
	sp_open_free(o);
	assert_int_equal(open_all(b.p, b.len, 0), SP_OK);
	assert_int_equal(open_all(b.p, b.len, -1), SP_OK);
	assert_int_equal(verify_all(b.p, b.len, 0), SP_OK);
	/* the signature is checked without trust too */
	b.p[b.len - 1] ^= 1;
	assert_int_equal(open_all(b.p, b.len, -1), SP_ERR_SIGNATURE);
	free(b.p);
}

static void test_trust(void **state)
{
	membuf u, s;

	(void)state;
	make(&u, -1);
	make(&s, 1);
	assert_int_equal(open_all(u.p, u.len, -1), SP_OK);
	assert_int_equal(open_all(u.p, u.len, 0), SP_ERR_UNSIGNED);
	assert_int_equal(verify_all(u.p, u.len, 0), SP_ERR_UNSIGNED);
	assert_int_equal(open_all(s.p, s.len, 0), SP_ERR_UNTRUSTED);
	assert_int_equal(verify_all(s.p, s.len, 0), SP_ERR_UNTRUSTED);
	assert_int_equal(open_all(s.p, s.len, 1), SP_OK);
	free(u.p);
	free(s.p);
}

/* Every signature byte, every bit position sampled: streaming and first-pass checks fail. */
static void test_signature_bytes(void **state)
{
	membuf b;

	(void)state;
	make(&b, 0);
	for (size_t i = b.len - SP_SIGNATURE_BYTES; i < b.len; i++) {
		unsigned char bit = (unsigned char)(1u << (i % 8));

		b.p[i] ^= bit;
		assert_int_equal(open_all(b.p, b.len, 0), SP_ERR_SIGNATURE);
		assert_int_equal(verify_all(b.p, b.len, 0), SP_ERR_SIGNATURE);
		b.p[i] ^= bit;
	}
	assert_int_equal(open_all(b.p, b.len, 0), SP_OK);
	free(b.p);
}

/* Every byte of the bundle: the keyless first pass refuses each change before any decryption. */
static void test_every_byte(void **state)
{
	membuf b;

	(void)state;
	make(&b, 0);
	for (size_t i = 0; i < b.len; i++) {
		b.p[i] ^= 0x20;
		if (verify_all(b.p, b.len, 0) == SP_OK)
			fail_msg("offset %zu: a changed byte passed the signature check", i);
		if (open_all(b.p, b.len, 0) == SP_OK)
			fail_msg("offset %zu: a changed byte opened", i);
		b.p[i] ^= 0x20;
	}
	free(b.p);
}

static void test_trailer(void **state)
{
	membuf a, b;

	(void)state;
	make(&a, 0);
	make(&b, 0);
	/* stripped, cut by one, extended by one */
	assert_int_equal(open_all(a.p, a.len - SP_SIGNATURE_BYTES, 0), SP_ERR_TRUNCATED);
	assert_int_equal(verify_all(a.p, a.len - SP_SIGNATURE_BYTES, 0), SP_ERR_SIGNATURE);
	assert_int_equal(open_all(a.p, a.len - 1, 0), SP_ERR_TRUNCATED);
	assert_int_equal(verify_all(a.p, 300, 0), SP_ERR_SIGNATURE);
	mem_write(&a, (const unsigned char *)"x", 1);
	assert_int_equal(open_all(a.p, a.len, 0), SP_ERR_TRAILING);
	assert_int_equal(verify_all(a.p, a.len, 0), SP_ERR_SIGNATURE);
	a.len--;
	/* the signature of one bundle moved onto another by the same signer */
	memcpy(b.p + b.len - SP_SIGNATURE_BYTES, a.p + a.len - SP_SIGNATURE_BYTES,
	    SP_SIGNATURE_BYTES);
	assert_int_equal(open_all(b.p, b.len, 0), SP_ERR_SIGNATURE);
	assert_int_equal(verify_all(b.p, b.len, 0), SP_ERR_SIGNATURE);
	free(a.p);
	free(b.p);
}

static void test_recipient_list(void **state)
{
	unsigned char (*pks3)[32] = malloc(3 * 32);
	sp_entry e[1] = { { "a", 1, 0400, "", "" } };
	const unsigned char (*got)[32];
	sp_seal_params p;
	sp_sealer *s = NULL;
	membuf b = { 0 };
	memsrc src;
	sp_opener *o = NULL;
	const sp_entry *ent;
	size_t n;
	int pass, mine;

	(void)state;
	assert_non_null(pks3);
	memcpy(pks3[0], rpk[0], 32);
	memcpy(pks3[1], rpk[1], 32);
	memcpy(pks3[2], rpk[0], 32); /* given twice: listed once */
	memset(&p, 0, sizeof p);
	p.created = 1700000000;
	p.x25519 = (const unsigned char (*)[32])pks3;
	p.n_x25519 = 3;
	p.passphrase = "pw";
	p.passphrase_len = 2;
	p.kdf = (sp_kdf_params){ SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MIN };
	p.entries = e;
	p.n_entries = 1;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &b), SP_OK);
	assert_int_equal(sp_seal_write(s, (const unsigned char *)"z", 1), SP_OK);
	assert_int_equal(sp_seal_finish(s), SP_OK);
	sp_seal_free(s);
	src = (memsrc){ b.p, b.len, 0 };
	assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_OK);
	assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])rsk[1], 1, NULL, 0), SP_OK);
	assert_int_equal(sp_open_recipients(o, &got, &n, &pass, &mine), SP_ERR_ARG); /* before index */
	assert_int_equal(sp_open_index(o, &ent, &n), SP_OK);
	assert_int_equal(sp_open_recipients(o, &got, &n, &pass, &mine), SP_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(got[0], rpk[0], 32);
	assert_memory_equal(got[1], rpk[1], 32);
	assert_int_equal(pass, 1);
	assert_int_equal(mine, 1);
	sp_open_free(o);
	/* opened with the passphrase: none of the keys is "mine" */
	src = (memsrc){ b.p, b.len, 0 };
	assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_OK);
	assert_int_equal(sp_open_unlock(o, NULL, 0, "pw", 2), SP_OK);
	assert_int_equal(sp_open_index(o, &ent, &n), SP_OK);
	assert_int_equal(sp_open_recipients(o, &got, &n, &pass, &mine), SP_OK);
	assert_int_equal(mine, -1);
	sp_open_free(o);
	free(pks3);
	free(b.p);
}

static int fixed_pass(void *ctx, char *buf, size_t cap, size_t *len)
{
	(void)ctx;
	assert_true(cap > 8);
	memcpy(buf, "sign pw", 8);
	*len = 7;
	return SP_OK;
}

static void test_key_texts(void **state)
{
	char pub[SP_KEY_TEXT_MAX], sec[SP_KEY_TEXT_MAX], enc[SP_KEY_TEXT_MAX], rcpt[SP_KEY_TEXT_MAX];
	char idt[SP_KEY_TEXT_MAX];
	unsigned char pk[32], seed[32], sk[64], back[32];
	unsigned char (*list)[32] = NULL;
	sp_identities ids = { 0, NULL };
	sp_kdf_params kdf = { SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MIN };
	size_t n = 0, bad;

	(void)state;
	assert_int_equal(sp_sign_keygen(pk, seed), SP_OK);
	assert_int_equal(sp_signer_encode(pub, sizeof pub, pk), SP_OK);
	assert_int_equal(sp_sign_identity_encode(sec, sizeof sec, seed), SP_OK);
	assert_int_equal(sp_sign_identity_encrypt(enc, sizeof enc, seed, "sign pw", 7, &kdf), SP_OK);
	assert_int_equal(sp_recipient_encode(rcpt, sizeof rcpt, rpk[0]), SP_OK);
	assert_int_equal(sp_identity_encode(idt, sizeof idt, rsk[0]), SP_OK);
	assert_memory_equal(pub, "spksig1", 7);
	assert_memory_equal(sec, "SPKSIGSEC1", 10);
	assert_memory_equal(enc, "SPKSIGENC1", 10);
	assert_int_equal(sp_signer_decode(back, pub, strlen(pub)), SP_OK);
	assert_memory_equal(back, pk, 32);
	/* one kind where the other is expected */
	assert_int_equal(sp_recipient_decode(back, pub, strlen(pub)), SP_ERR_KEY_KIND);
	assert_int_equal(sp_identity_decode(back, sec, strlen(sec)), SP_ERR_KEY_KIND);
	assert_int_equal(sp_signer_decode(back, rcpt, strlen(rcpt)), SP_ERR_KEY_KIND);
	assert_int_equal(sp_sign_identity_decode(back, idt, strlen(idt)), SP_ERR_KEY_KIND);
	assert_int_equal(sp_identities_parse(&ids, sec, strlen(sec), NULL, NULL, &bad), SP_ERR_KEY_KIND);
	assert_int_equal(bad, 1);
	assert_int_equal(sp_identities_parse(&ids, enc, strlen(enc), NULL, NULL, &bad), SP_ERR_KEY_KIND);
	assert_int_equal(sp_sign_identity_parse(sk, back, idt, strlen(idt), NULL, NULL, &bad),
	    SP_ERR_KEY_KIND);
	/* a typo is a checksum error, as for the other keys */
	pub[10] = pub[10] == 'a' ? 'b' : 'a';
	assert_int_equal(sp_signer_decode(back, pub, strlen(pub)), SP_ERR_CHECKSUM);
	pub[10] = '\0';
	assert_int_equal(sp_signer_decode(back, pub, strlen(pub)), SP_ERR_CHECKSUM);
	/* plain and passphrase-protected signing identities give the same key */
	assert_int_equal(sp_sign_identity_parse(sk, back, sec, strlen(sec), NULL, NULL, &bad), SP_OK);
	assert_memory_equal(back, pk, 32);
	memset(back, 0, sizeof back);
	assert_int_equal(sp_sign_identity_parse(sk, back, enc, strlen(enc), fixed_pass, NULL, &bad),
	    SP_OK);
	assert_memory_equal(back, pk, 32);
	assert_memory_equal(sk + 32, pk, 32);
	/* a trust list: signer keys only */
	assert_int_equal(sp_signer_encode(pub, sizeof pub, pk), SP_OK);
	assert_int_equal(sp_signers_parse(&list, &n, pub, strlen(pub), &bad), SP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(sp_signers_parse(&list, &n, rcpt, strlen(rcpt), &bad), SP_ERR_KEY_KIND);
	free(list);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(seed, sizeof seed);
}

/* A v1 header patched to say version 2 (or the reverse) fails: the layouts differ. */
static void test_version_swap(void **state)
{
	membuf b;

	(void)state;
	make(&b, -1);
	b.p[8] = 1;
	assert_int_equal(open_all(b.p, b.len, -1), SP_ERR_HEADER);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_roundtrip),
		cmocka_unit_test(test_trust),
		cmocka_unit_test(test_signature_bytes),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_trailer),
		cmocka_unit_test(test_recipient_list),
		cmocka_unit_test(test_key_texts),
		cmocka_unit_test(test_version_swap),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
