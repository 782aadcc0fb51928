/* test_identity.c - identity files, encrypted identities, recipients files. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "sp_crypto.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_kdf.h"

#define LABEL_ENCRYPTED "secretpack encrypted identity"

static const sp_kdf_params cheap = { 2, 19456, 1 };

typedef struct {
	const char *pass;
	int calls;
	int fail;
} pass_ctx;

static int pass_cb(void *ctx, char *buf, size_t cap, size_t *len)
{
	pass_ctx *pc = ctx;
	size_t n = strlen(pc->pass);

	pc->calls++;
	if (pc->fail)
		return pc->fail;
	assert_true(cap >= n);
	memcpy(buf, pc->pass, n);
	*len = n;
	return SP_OK;
}

static void key(unsigned char k[32], unsigned seed)
{
	size_t i;

	for (i = 0; i < 32; i++)
		k[i] = (unsigned char)(seed * 37u + i * 11u + 1);
}

static void identity_text(char out[SP_KEY_TEXT_MAX], unsigned seed)
{
	unsigned char k[32];

	key(k, seed);
	assert_int_equal(sp_identity_encode(out, SP_KEY_TEXT_MAX, k), SP_OK);
}

static void recipient_text(char out[SP_KEY_TEXT_MAX], unsigned seed)
{
	unsigned char k[32];

	key(k, seed);
	assert_int_equal(sp_recipient_encode(out, SP_KEY_TEXT_MAX, k), SP_OK);
}

static void assert_key(const unsigned char got[32], unsigned seed)
{
	unsigned char k[32];

	key(k, seed);
	assert_memory_equal(got, k, 32);
}

/* ---- encrypted identity lines ---- */

static void test_encrypt_round_trip(void **state)
{
	unsigned char sk[32], back[32], raw1[100], raw2[100];
	char line[SP_KEY_TEXT_MAX], again[SP_KEY_TEXT_MAX];
	size_t n;

	(void)state;
	key(sk, 1);
	assert_int_equal(sp_identity_encrypt(line, sizeof line, sk, "correct horse", 13, &cheap), SP_OK);
	assert_memory_equal(line, "SPKENC1", 7);
	assert_int_equal(strlen(line), 7 + 167);
	assert_null(strstr(line, "SPKSEC1"));
	assert_int_equal(sp_identity_decrypt(back, line, strlen(line), "correct horse", 13), SP_OK);
	assert_memory_equal(back, sk, 32);
	/* fresh salt and nonce each time */
	assert_int_equal(sp_identity_encrypt(again, sizeof again, sk, "correct horse", 13, &cheap), SP_OK);
	assert_string_not_equal(line, again);
	assert_int_equal(sp_base32_decode(raw1, sizeof raw1, &n, line + 7, 160), SP_OK);
	assert_int_equal(sp_base32_decode(raw2, sizeof raw2, &n, again + 7, 160), SP_OK);
	assert_memory_not_equal(raw1, raw2, 16);           /* salt */
	assert_memory_equal(raw1 + 16, raw2 + 16, 12);     /* t, m, p */
	assert_memory_equal(raw1 + 16, "\2\0\0\0\0\x4c\0\0\1\0\0\0", 12);
	assert_memory_not_equal(raw1 + 28, raw2 + 28, 24); /* nonce */
	/* A passphrase no reader could give back is refused when encrypting (doc/FORMAT.md). */
	assert_int_equal(sp_identity_encrypt(line, sizeof line, sk, "", 0, &cheap), SP_ERR_ARG);
	assert_int_equal(sp_identity_encrypt(line, sizeof line, sk, "pw\nxx", 5, &cheap), SP_ERR_ARG);
	assert_int_equal(sp_identity_encrypt(line, sizeof line, sk, "pw\rxx", 5, &cheap), SP_ERR_ARG);
	assert_int_equal(sp_identity_encrypt(line, sizeof line, sk, "pw\0xx", 5, &cheap), SP_ERR_ARG);
	assert_int_equal(sp_identity_decrypt(back, again, strlen(again), "x", 1), SP_ERR_WRONG_PASS);
}

static void test_decrypt_rejects(void **state)
{
	unsigned char sk[32], back[32], raw[100];
	char line[SP_KEY_TEXT_MAX], bad[SP_KEY_TEXT_MAX];
	size_t len, n;

	(void)state;
	key(sk, 2);
	assert_int_equal(sp_identity_encrypt(line, sizeof line, sk, "pw", 2, &cheap), SP_OK);
	len = strlen(line);
	assert_int_equal(sp_identity_decrypt(back, line, len, "pW", 2), SP_ERR_WRONG_PASS);
	assert_int_equal(sp_identity_decrypt(back, line, len, "pw", 1), SP_ERR_WRONG_PASS);
	/* a typo anywhere is caught by the checksum before any KDF work */
	memcpy(bad, line, len + 1);
	bad[50] = bad[50] == 'A' ? 'B' : 'A';
	assert_int_equal(sp_identity_decrypt(back, bad, len, "pw", 2), SP_ERR_CHECKSUM);
	assert_int_equal(sp_identity_decrypt(back, line, len - 1, "pw", 2), SP_ERR_CHECKSUM);
	/* not an encrypted identity */
	identity_text(bad, 2);
	assert_int_equal(sp_identity_decrypt(back, bad, strlen(bad), "pw", 2), SP_ERR_ENCODING);
	recipient_text(bad, 2);
	assert_int_equal(sp_identity_decrypt(back, bad, strlen(bad), "pw", 2), SP_ERR_ENCODING);

	/* re-encode with a correct checksum: changed salt -> wrong passphrase; cost out of range */
	assert_int_equal(sp_base32_decode(raw, sizeof raw, &n, line + 7, 160), SP_OK);
	assert_int_equal(n, 100);
	raw[0] ^= 1;
	assert_int_equal(sp_keytext_encode(bad, sizeof bad, "SPKENC1", LABEL_ENCRYPTED, raw, 100, 1), SP_OK);
	assert_int_equal(sp_identity_decrypt(back, bad, strlen(bad), "pw", 2), SP_ERR_WRONG_PASS);
	raw[0] ^= 1;
	raw[16] = 1; /* t = 1 */
	assert_int_equal(sp_keytext_encode(bad, sizeof bad, "SPKENC1", LABEL_ENCRYPTED, raw, 100, 1), SP_OK);
	assert_int_equal(sp_identity_decrypt(back, bad, strlen(bad), "pw", 2), SP_ERR_KDF_PARAMS);
	raw[16] = 2;
	raw[23] = 0x7f; /* m huge */
	assert_int_equal(sp_keytext_encode(bad, sizeof bad, "SPKENC1", LABEL_ENCRYPTED, raw, 100, 1), SP_OK);
	assert_int_equal(sp_identity_decrypt(back, bad, strlen(bad), "pw", 2), SP_ERR_KDF_PARAMS);
	raw[23] = 0;
	assert_int_equal(sp_keytext_encode(bad, sizeof bad, "SPKENC1", LABEL_ENCRYPTED, raw, 100, 1), SP_OK);
	assert_int_equal(sp_identity_decrypt(back, bad, strlen(bad), "pw", 2), SP_OK);
	assert_memory_equal(back, sk, 32);
}

static void test_encrypt_rejects(void **state)
{
	unsigned char sk[32] = { 0 };
	char line[SP_KEY_TEXT_MAX];
	sp_kdf_params weak = { 1, 19456, 1 };

	(void)state;
	assert_int_equal(sp_identity_encrypt(line, sizeof line, sk, "pw", 2, &weak), SP_ERR_KDF_PARAMS);
	assert_int_equal(sp_identity_encrypt(line, 174, sk, "pw", 2, &cheap), SP_ERR_ARG);
	assert_int_equal(sp_identity_encrypt(line, 175, sk, "pw", 2, &cheap), SP_OK);
	assert_int_equal(sp_identity_encrypt(line, sizeof line, sk, "pw", 2, NULL), SP_ERR_ARG);
}

/* ---- identity files ---- */

static void test_identities_comments_and_several(void **state)
{
	char a[SP_KEY_TEXT_MAX], b[SP_KEY_TEXT_MAX], c[SP_KEY_TEXT_MAX], text[1024];
	sp_identities ids = { 0, NULL };
	size_t bad = 99, i;

	(void)state;
	identity_text(a, 10);
	identity_text(b, 11);
	identity_text(c, 12);
	for (i = 0; c[i]; i++) /* case does not matter */
		if (c[i] >= 'A' && c[i] <= 'Z')
			c[i] = (char)(c[i] - 'A' + 'a');
	snprintf(text, sizeof text,
	    "# created: 2027-01-01\n"
	    "\n"
	    "   # indented comment\n"
	    "%s\n"
	    "\t %s  \r\n"
	    "\r\n"
	    "%s", a, b, c);
	assert_int_equal(sp_identities_parse(&ids, text, strlen(text), NULL, NULL, &bad), SP_OK);
	assert_int_equal(bad, 0);
	assert_int_equal(ids.n, 3);
	assert_key(ids.sk[0], 10);
	assert_key(ids.sk[1], 11);
	assert_key(ids.sk[2], 12);

	/* appends, keeping the keys already there */
	snprintf(text, sizeof text, "%s\n", a);
	assert_int_equal(sp_identities_parse(&ids, text, strlen(text), NULL, NULL, &bad), SP_OK);
	assert_int_equal(ids.n, 4);
	assert_key(ids.sk[0], 10);
	assert_key(ids.sk[2], 12);
	assert_key(ids.sk[3], 10);
	sp_identities_free(&ids);
	assert_int_equal(ids.n, 0);
	assert_null(ids.sk);
	sp_identities_free(&ids);
	sp_identities_free(NULL);
}

static void parse_fails(const char *text, int want_err, size_t want_line)
{
	char first[SP_KEY_TEXT_MAX];
	sp_identities ids = { 0, NULL };
	unsigned char (*before)[32];
	size_t bad = 99;

	identity_text(first, 40);
	assert_int_equal(sp_identities_parse(&ids, first, strlen(first), NULL, NULL, NULL), SP_OK);
	before = ids.sk;
	assert_int_equal(sp_identities_parse(&ids, text, strlen(text), NULL, NULL, &bad), want_err);
	assert_int_equal(bad, want_line);
	/* unchanged */
	assert_int_equal(ids.n, 1);
	assert_ptr_equal(ids.sk, before);
	assert_key(ids.sk[0], 40);
	sp_identities_free(&ids);
}

static void test_identities_rejects(void **state)
{
	char a[SP_KEY_TEXT_MAX], r[SP_KEY_TEXT_MAX], typo[SP_KEY_TEXT_MAX], text[1024];

	(void)state;
	identity_text(a, 20);
	recipient_text(r, 20);
	memcpy(typo, a, sizeof typo);
	typo[30] = typo[30] == 'Q' ? 'R' : 'Q';

	parse_fails("", SP_ERR_ENCODING, 0);
	parse_fails("# only a comment\n\n   \n", SP_ERR_ENCODING, 0);
	snprintf(text, sizeof text, "%s\n# ok so far\n\nnot a key\n", a);
	parse_fails(text, SP_ERR_ENCODING, 4);
	snprintf(text, sizeof text, "%s\n%s\n", a, r);
	parse_fails(text, SP_ERR_ENCODING, 2);
	snprintf(text, sizeof text, "# typo\n%s\n%s\n", typo, a);
	parse_fails(text, SP_ERR_CHECKSUM, 2);
	snprintf(text, sizeof text, "%s\n%.60s\n", a, a);
	parse_fails(text, SP_ERR_CHECKSUM, 2);
	snprintf(text, sizeof text, "%s %s\n", a, a);
	parse_fails(text, SP_ERR_ENCODING, 1);
	snprintf(text, sizeof text, "%s\n\n%sA\n", a, a);
	parse_fails(text, SP_ERR_CHECKSUM, 3);
	snprintf(text, sizeof text, "; %s\n", a);
	parse_fails(text, SP_ERR_ENCODING, 1);
}

/* Text with embedded NULs or without a final newline is handled by length. */
static void test_identities_by_length(void **state)
{
	char a[SP_KEY_TEXT_MAX], text[256];
	sp_identities ids = { 0, NULL };
	size_t bad, n;

	(void)state;
	identity_text(a, 50);
	n = strlen(a);
	memcpy(text, a, n);
	memcpy(text + n, "\nGARBAGE", 8);
	assert_int_equal(sp_identities_parse(&ids, text, n, NULL, NULL, &bad), SP_OK);
	assert_int_equal(ids.n, 1);
	text[n] = '\0';
	assert_int_equal(sp_identities_parse(&ids, text, n + 8, NULL, NULL, &bad), SP_ERR_ENCODING);
	assert_int_equal(bad, 1);
	assert_int_equal(ids.n, 1);
	sp_identities_free(&ids);
}

static void test_identities_encrypted(void **state)
{
	unsigned char k1[32], k2[32];
	char e1[SP_KEY_TEXT_MAX], e2[SP_KEY_TEXT_MAX], plain[SP_KEY_TEXT_MAX], text[1024];
	sp_identities ids = { 0, NULL };
	pass_ctx pc = { "open sesame", 0, 0 };
	size_t bad;

	(void)state;
	key(k1, 30);
	key(k2, 31);
	assert_int_equal(sp_identity_encrypt(e1, sizeof e1, k1, "open sesame", 11, &cheap), SP_OK);
	assert_int_equal(sp_identity_encrypt(e2, sizeof e2, k2, "open sesame", 11, &cheap), SP_OK);
	identity_text(plain, 32);
	snprintf(text, sizeof text, "# two encrypted, one plain\n%s\n  %s\n%s\n", e1, plain, e2);
	assert_int_equal(sp_identities_parse(&ids, text, strlen(text), pass_cb, &pc, &bad), SP_OK);
	assert_int_equal(pc.calls, 1);
	assert_int_equal(ids.n, 3);
	assert_key(ids.sk[0], 30);
	assert_key(ids.sk[1], 32);
	assert_key(ids.sk[2], 31);
	sp_identities_free(&ids);

	/* no encrypted line: never asked */
	pc.calls = 0;
	assert_int_equal(sp_identities_parse(&ids, plain, strlen(plain), pass_cb, &pc, &bad), SP_OK);
	assert_int_equal(pc.calls, 0);
	sp_identities_free(&ids);

	/* wrong passphrase: asked once, error on the first encrypted line */
	pc.pass = "open sesamE";
	pc.calls = 0;
	snprintf(text, sizeof text, "%s\n%s\n%s\n", plain, e1, e2);
	assert_int_equal(sp_identities_parse(&ids, text, strlen(text), pass_cb, &pc, &bad),
	    SP_ERR_WRONG_PASS);
	assert_int_equal(pc.calls, 1);
	assert_int_equal(bad, 2);
	assert_int_equal(ids.n, 0);
	assert_null(ids.sk);

	/* callback failure is passed through */
	pc.fail = SP_ERR_IO;
	pc.calls = 0;
	assert_int_equal(sp_identities_parse(&ids, text, strlen(text), pass_cb, &pc, &bad), SP_ERR_IO);
	assert_int_equal(pc.calls, 1);
	assert_int_equal(bad, 2);
	assert_int_equal(ids.n, 0);

	/* no callback */
	assert_int_equal(sp_identities_parse(&ids, text, strlen(text), NULL, NULL, &bad), SP_ERR_ARG);
	assert_int_equal(bad, 2);
	assert_int_equal(ids.n, 0);
}

/* ---- recipients files ---- */

static void test_recipients_parse(void **state)
{
	char r1[SP_KEY_TEXT_MAX], r2[SP_KEY_TEXT_MAX], text[1024];
	unsigned char (*pks)[32] = NULL;
	size_t n = 0, bad = 99;

	(void)state;
	recipient_text(r1, 60);
	recipient_text(r2, 61);
	snprintf(text, sizeof text, "# prod\n\n  %s  \r\n# ci\n%s", r1, r2);
	assert_int_equal(sp_recipients_parse(&pks, &n, text, strlen(text), &bad), SP_OK);
	assert_int_equal(bad, 0);
	assert_int_equal(n, 2);
	assert_key(pks[0], 60);
	assert_key(pks[1], 61);
	/* appends */
	assert_int_equal(sp_recipients_parse(&pks, &n, r2, strlen(r2), &bad), SP_OK);
	assert_int_equal(n, 3);
	assert_key(pks[0], 60);
	assert_key(pks[2], 61);
	free(pks);
}

static void recipients_fail(const char *text, int want_err, size_t want_line)
{
	char r[SP_KEY_TEXT_MAX];
	unsigned char (*pks)[32] = NULL;
	unsigned char (*before)[32];
	size_t n = 0, bad = 99;

	recipient_text(r, 70);
	assert_int_equal(sp_recipients_parse(&pks, &n, r, strlen(r), NULL), SP_OK);
	before = pks;
	assert_int_equal(sp_recipients_parse(&pks, &n, text, strlen(text), &bad), want_err);
	assert_int_equal(bad, want_line);
	assert_int_equal(n, 1);
	assert_ptr_equal(pks, before);
	assert_key(pks[0], 70);
	free(pks);
}

static void test_recipients_rejects(void **state)
{
	char r[SP_KEY_TEXT_MAX], id[SP_KEY_TEXT_MAX], enc[SP_KEY_TEXT_MAX], text[1024];
	unsigned char k[32];

	(void)state;
	recipient_text(r, 71);
	identity_text(id, 71);
	key(k, 71);
	assert_int_equal(sp_identity_encrypt(enc, sizeof enc, k, "pw", 2, &cheap), SP_OK);
	recipients_fail("", SP_ERR_ENCODING, 0);
	recipients_fail("# nobody\n", SP_ERR_ENCODING, 0);
	/* a secret key in a recipients file is refused, plain or encrypted */
	snprintf(text, sizeof text, "%s\n%s\n", r, id);
	recipients_fail(text, SP_ERR_ENCODING, 2);
	snprintf(text, sizeof text, "%s\n\n%s\n", r, enc);
	recipients_fail(text, SP_ERR_ENCODING, 3);
	r[40] = r[40] == 'a' ? 'b' : 'a';
	snprintf(text, sizeof text, "# x\n%s\n", r);
	recipients_fail(text, SP_ERR_CHECKSUM, 2);
	recipients_fail("spkpub1\n", SP_ERR_CHECKSUM, 1);
	recipients_fail("ssh-ed25519 AAAA\n", SP_ERR_ENCODING, 1);
}

static int setup(void **state)
{
	(void)state;
	return sp_crypto_init() == SP_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encrypt_round_trip),
		cmocka_unit_test(test_decrypt_rejects),
		cmocka_unit_test(test_encrypt_rejects),
		cmocka_unit_test(test_identities_comments_and_several),
		cmocka_unit_test(test_identities_rejects),
		cmocka_unit_test(test_identities_by_length),
		cmocka_unit_test(test_identities_encrypted),
		cmocka_unit_test(test_recipients_parse),
		cmocka_unit_test(test_recipients_rejects),
	};

	return cmocka_run_group_tests_name("identity", tests, setup, NULL);
}
