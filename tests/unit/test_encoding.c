/* test_encoding.c - base32, key strings, armor and time text. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "sp_crypto.h"
#include "sp_encoding.h"
#include "sp_err.h"

static const char b32_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void fill(unsigned char *buf, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(seed * 131u + i * 29u + (i >> 3));
}

/* ---- base32 ---- */

static void test_base32_rfc4648(void **state)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" }, { "foob", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};
	char text[32], lower[32];
	unsigned char bin[16];
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		size_t len = strlen(vec[i][0]);

		assert_int_equal(sp_base32_len(len), strlen(vec[i][1]));
		assert_int_equal(sp_base32_encode(text, sizeof text, (const unsigned char *)vec[i][0], len, 1),
		    SP_OK);
		assert_string_equal(text, vec[i][1]);
		assert_int_equal(sp_base32_encode(lower, sizeof lower, (const unsigned char *)vec[i][0], len,
		    0), SP_OK);
		for (j = 0; text[j]; j++)
			assert_int_equal(lower[j], text[j] >= 'A' && text[j] <= 'Z' ? text[j] - 'A' + 'a' : text[j]);
		assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, text, strlen(text)), SP_OK);
		assert_int_equal(n, len);
		assert_memory_equal(bin, vec[i][0], len);
		assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, lower, strlen(lower)), SP_OK);
		assert_int_equal(n, len);
		assert_memory_equal(bin, vec[i][0], len);
	}
}

static void test_base32_round_trip(void **state)
{
	unsigned char bin[64], back[64];
	char text[128];
	size_t len, n;

	(void)state;
	for (len = 0; len <= sizeof bin; len++) {
		fill(bin, len, (unsigned)len);
		assert_int_equal(sp_base32_encode(text, sizeof text, bin, len, (int)(len & 1)), SP_OK);
		assert_int_equal(strlen(text), sp_base32_len(len));
		assert_int_equal(sp_base32_decode(back, sizeof back, &n, text, strlen(text)), SP_OK);
		assert_int_equal(n, len);
		assert_memory_equal(back, bin, len);
	}
}

static void test_base32_rejects(void **state)
{
	unsigned char bin[16];
	char text[8];
	size_t n;

	(void)state;
	/* characters outside the alphabet, padding */
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZXW6YT1", 8), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZXW6YT0", 8), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZXW6YT8", 8), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MY======", 8), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZ W6", 5), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZ\0W6", 5), SP_ERR_ENCODING);
	/* impossible lengths */
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "M", 1), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZX", 3), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZXW6Y", 6), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "A", 1), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "AAA", 3), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "AAAAAA", 6), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "AAAAAAAAA", 9), SP_ERR_ENCODING);
	/* nonzero spare bits: "MZ" would also decode to "f" */
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZ", 2), SP_ERR_ENCODING);
	assert_int_equal(sp_base32_decode(bin, sizeof bin, &n, "MZXR", 4), SP_ERR_ENCODING);
	/* output too small */
	assert_int_equal(sp_base32_decode(bin, 5, &n, "MZXW6YTBOI", 10), SP_ERR_LIMIT);
	/* encode buffer must hold the NUL too */
	assert_int_equal(sp_base32_encode(text, 2, (const unsigned char *)"f", 1, 1), SP_ERR_ARG);
	assert_int_equal(sp_base32_encode(text, 3, (const unsigned char *)"f", 1, 1), SP_OK);
	assert_int_equal(sp_base32_encode(NULL, 3, (const unsigned char *)"f", 1, 1), SP_ERR_ARG);
}

/* ---- key strings ---- */

static void test_recipient_round_trip(void **state)
{
	unsigned char pk[32], back[32];
	char text[SP_KEY_TEXT_MAX];
	size_t i;
	unsigned seed;

	(void)state;
	for (seed = 0; seed < 50; seed++) {
		fill(pk, sizeof pk, seed);
		if (seed >= 25)
			sp_random(pk, sizeof pk);
		assert_int_equal(sp_recipient_encode(text, sizeof text, pk), SP_OK);
		assert_int_equal(strlen(text), 7 + 58);
		assert_memory_equal(text, "spkpub1", 7);
		for (i = 7; text[i]; i++)
			assert_true((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= '2' && text[i] <= '7'));
		memset(back, 0, sizeof back);
		assert_int_equal(sp_recipient_decode(back, text, strlen(text)), SP_OK);
		assert_memory_equal(back, pk, 32);
		/* case-insensitive, prefix included */
		for (i = 0; text[i]; i++)
			if (text[i] >= 'a' && text[i] <= 'z')
				text[i] = (char)(text[i] - 'a' + 'A');
		memset(back, 0, sizeof back);
		assert_int_equal(sp_recipient_decode(back, text, strlen(text)), SP_OK);
		assert_memory_equal(back, pk, 32);
	}
}

static void test_identity_round_trip(void **state)
{
	unsigned char sk[32], back[32];
	char text[SP_KEY_TEXT_MAX];
	size_t i;
	unsigned seed;

	(void)state;
	for (seed = 0; seed < 50; seed++) {
		fill(sk, sizeof sk, seed + 1000);
		if (seed >= 25)
			sp_random(sk, sizeof sk);
		assert_int_equal(sp_identity_encode(text, sizeof text, sk), SP_OK);
		assert_int_equal(strlen(text), 7 + 58);
		assert_memory_equal(text, "SPKSEC1", 7);
		for (i = 7; text[i]; i++)
			assert_true((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= '2' && text[i] <= '7'));
		assert_int_equal(sp_identity_decode(back, text, strlen(text)), SP_OK);
		assert_memory_equal(back, sk, 32);
		for (i = 0; text[i]; i++)
			if (text[i] >= 'A' && text[i] <= 'Z')
				text[i] = (char)(text[i] - 'A' + 'a');
		memset(back, 0, sizeof back);
		assert_int_equal(sp_identity_decode(back, text, strlen(text)), SP_OK);
		assert_memory_equal(back, sk, 32);
	}
}

typedef int (*decode_fn)(unsigned char out[32], const char *text, size_t len);

/* Replaces each character by every other alphabet character (same case) and by characters
 * outside the alphabet: never accepted; CHECKSUM inside the base32 part, ENCODING otherwise. */
static void flip_every_char(const char *good, decode_fn decode)
{
	char text[SP_KEY_TEXT_MAX];
	unsigned char out[32];
	size_t i, j, len = strlen(good);
	int lower = good[0] == 's';

	for (i = 0; i < len; i++) {
		for (j = 0; j < 32; j++) {
			char c = b32_alpha[j];

			if (lower && c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			memcpy(text, good, len + 1);
			if (c == text[i] || (i < 7 && (c | 0x20) == (text[i] | 0x20)))
				continue;
			text[i] = c;
			assert_int_equal(decode(out, text, len), i < 7 ? SP_ERR_ENCODING : SP_ERR_CHECKSUM);
		}
		memcpy(text, good, len + 1);
		text[i] = '0';
		assert_int_equal(decode(out, text, len), SP_ERR_ENCODING);
		text[i] = '=';
		assert_int_equal(decode(out, text, len), SP_ERR_ENCODING);
	}
}

static void test_recipient_every_flip_caught(void **state)
{
	unsigned char pk[32];
	char text[SP_KEY_TEXT_MAX];

	(void)state;
	fill(pk, sizeof pk, 7);
	assert_int_equal(sp_recipient_encode(text, sizeof text, pk), SP_OK);
	flip_every_char(text, sp_recipient_decode);
}

static void test_identity_every_flip_caught(void **state)
{
	unsigned char sk[32];
	char text[SP_KEY_TEXT_MAX];

	(void)state;
	fill(sk, sizeof sk, 9);
	assert_int_equal(sp_identity_encode(text, sizeof text, sk), SP_OK);
	flip_every_char(text, sp_identity_decode);
}

static void test_key_length_damage(void **state)
{
	unsigned char k[32], out[32];
	char rec[SP_KEY_TEXT_MAX], id[SP_KEY_TEXT_MAX], longer[SP_KEY_TEXT_MAX + 1];
	size_t len;

	(void)state;
	fill(k, sizeof k, 3);
	assert_int_equal(sp_recipient_encode(rec, sizeof rec, k), SP_OK);
	assert_int_equal(sp_identity_encode(id, sizeof id, k), SP_OK);
	len = strlen(rec);
	/* truncated by one, by several, down to the bare prefix: a checksum error (truncation) */
	assert_int_equal(sp_recipient_decode(out, rec, len - 1), SP_ERR_CHECKSUM);
	assert_int_equal(sp_identity_decode(out, id, len - 1), SP_ERR_CHECKSUM);
	assert_int_equal(sp_recipient_decode(out, rec, len - 8), SP_ERR_CHECKSUM);
	assert_int_equal(sp_recipient_decode(out, rec, 7), SP_ERR_CHECKSUM);
	/* cut into the prefix: not a key string at all */
	assert_int_equal(sp_recipient_decode(out, rec, 6), SP_ERR_ENCODING);
	assert_int_equal(sp_recipient_decode(out, rec, 0), SP_ERR_ENCODING);
	/* one character too many */
	snprintf(longer, sizeof longer, "%sa", rec);
	assert_int_equal(sp_recipient_decode(out, longer, len + 1), SP_ERR_CHECKSUM);
	snprintf(longer, sizeof longer, "%s ", rec);
	assert_int_equal(sp_recipient_decode(out, longer, len + 1), SP_ERR_ENCODING);
	/* the decoders do not trim */
	snprintf(longer, sizeof longer, " %s", rec);
	assert_int_equal(sp_recipient_decode(out, longer, len + 1), SP_ERR_ENCODING);
}

static void test_key_wrong_prefix_and_confusion(void **state)
{
	unsigned char k[32], out[32];
	char rec[SP_KEY_TEXT_MAX], id[SP_KEY_TEXT_MAX], forged[SP_KEY_TEXT_MAX], enc[SP_KEY_TEXT_MAX];

	(void)state;
	fill(k, sizeof k, 5);
	assert_int_equal(sp_recipient_encode(rec, sizeof rec, k), SP_OK);
	assert_int_equal(sp_identity_encode(id, sizeof id, k), SP_OK);
	/* an identity where a recipient is expected, and the reverse */
	assert_int_equal(sp_recipient_decode(out, id, strlen(id)), SP_ERR_ENCODING);
	assert_int_equal(sp_identity_decode(out, rec, strlen(rec)), SP_ERR_ENCODING);
	/* an encrypted identity is not a plain one, nor a recipient */
	snprintf(enc, sizeof enc, "SPKENC1%s", id + 7);
	assert_int_equal(sp_identity_decode(out, enc, strlen(enc)), SP_ERR_ENCODING);
	assert_int_equal(sp_recipient_decode(out, enc, strlen(enc)), SP_ERR_ENCODING);
	/* a secret key relabelled as public fails its checksum: the labels differ */
	snprintf(forged, sizeof forged, "spkpub1%s", id + 7);
	assert_int_equal(sp_recipient_decode(out, forged, strlen(forged)), SP_ERR_CHECKSUM);
	snprintf(forged, sizeof forged, "SPKSEC1%s", rec + 7);
	assert_int_equal(sp_identity_decode(out, forged, strlen(forged)), SP_ERR_CHECKSUM);
	/* other prefixes */
	snprintf(forged, sizeof forged, "spkpub2%s", rec + 7);
	assert_int_equal(sp_recipient_decode(out, forged, strlen(forged)), SP_ERR_ENCODING);
	snprintf(forged, sizeof forged, "age1%s", rec + 7);
	assert_int_equal(sp_recipient_decode(out, forged, strlen(forged)), SP_ERR_ENCODING);
	assert_int_equal(sp_recipient_decode(out, "", 0), SP_ERR_ENCODING);
}

static void test_key_encode_cap(void **state)
{
	unsigned char k[32] = { 1 };
	char text[SP_KEY_TEXT_MAX];

	(void)state;
	assert_int_equal(sp_recipient_encode(text, 65, k), SP_ERR_ARG);
	assert_int_equal(sp_recipient_encode(text, 66, k), SP_OK);
	assert_int_equal(sp_identity_encode(text, 65, k), SP_ERR_ARG);
	assert_int_equal(sp_identity_encode(text, 66, k), SP_OK);
	assert_int_equal(sp_keytext_encode(text, sizeof text, "x", "l", k, 125, 1), SP_ERR_ARG);
}

/* ---- armor ---- */

static void check_armor_shape(const char *a, size_t alen)
{
	const char *p = a, *nl;
	size_t n, body = 0, last = 64;

	assert_int_equal(strlen(a), alen);
	assert_memory_equal(a, SP_ARMOR_BEGIN "\n", strlen(SP_ARMOR_BEGIN) + 1);
	p += strlen(SP_ARMOR_BEGIN) + 1;
	while ((nl = strchr(p, '\n')) != NULL && strncmp(p, SP_ARMOR_END, strlen(SP_ARMOR_END)) != 0) {
		n = (size_t)(nl - p);
		assert_int_equal(last, 64); /* only the last body line may be short */
		assert_true(n > 0 && n <= 64);
		last = n;
		body++;
		p = nl + 1;
	}
	assert_string_equal(p, SP_ARMOR_END "\n");
	(void)body;
}

static void test_armor_round_trip(void **state)
{
	unsigned char bin[201], *back;
	char *a;
	size_t len, alen, blen;

	(void)state;
	for (len = 0; len <= 200; len++) {
		fill(bin, len, (unsigned)len * 3);
		assert_int_equal(sp_armor_encode(&a, &alen, bin, len), SP_OK);
		check_armor_shape(a, alen);
		assert_int_equal(sp_armor_detect((const unsigned char *)a, alen), 1);
		assert_int_equal(sp_armor_decode(&back, &blen, a, alen), SP_OK);
		assert_int_equal(blen, len);
		assert_memory_equal(back, bin, len);
		free(back);
		free(a);
	}
}

/* CRLF, surrounding whitespace and trailing blanks accepted; lines up to 76 characters. */
static void test_armor_liberal_input(void **state)
{
	unsigned char bin[150], *back;
	char *a, text[1024], b64[256];
	size_t alen, blen, i, o = 0;

	(void)state;
	fill(bin, sizeof bin, 77);
	assert_int_equal(sp_armor_encode(&a, &alen, bin, sizeof bin), SP_OK);
	o += (size_t)snprintf(text, sizeof text, "\n \t\r\n");
	for (i = 0; i < alen; i++) {
		if (a[i] == '\n')
			text[o++] = (i % 3 == 0) ? ' ' : '\r';
		text[o++] = a[i];
	}
	o += (size_t)snprintf(text + o, sizeof text - o, "\r\n\n  ");
	assert_int_equal(sp_armor_detect((const unsigned char *)text, o), 1);
	assert_int_equal(sp_armor_decode(&back, &blen, text, o), SP_OK);
	assert_int_equal(blen, sizeof bin);
	assert_memory_equal(back, bin, sizeof bin);
	free(back);
	free(a);

	/* re-wrapped at 76 */
	sodium_bin2base64(b64, sizeof b64, bin, sizeof bin, sodium_base64_VARIANT_ORIGINAL);
	o = (size_t)snprintf(text, sizeof text, "%s\n%.76s\n%.76s\n%s\n%s\n", SP_ARMOR_BEGIN, b64, b64 + 76,
	    b64 + 152, SP_ARMOR_END);
	assert_int_equal(sp_armor_decode(&back, &blen, text, o), SP_OK);
	assert_int_equal(blen, sizeof bin);
	assert_memory_equal(back, bin, sizeof bin);
	free(back);
	/* 77 is too long */
	o = (size_t)snprintf(text, sizeof text, "%s\n%.77s\n%.75s\n%s\n%s\n", SP_ARMOR_BEGIN, b64, b64 + 77,
	    b64 + 152, SP_ARMOR_END);
	assert_int_equal(sp_armor_decode(&back, &blen, text, o), SP_ERR_ARMOR);
	/* END without a final newline */
	o = (size_t)snprintf(text, sizeof text, "%s\n%s\n%s", SP_ARMOR_BEGIN, "AAAA", SP_ARMOR_END);
	assert_int_equal(sp_armor_decode(&back, &blen, text, o), SP_OK);
	assert_int_equal(blen, 3);
	free(back);
}

static void armor_bad(const char *body_and_end)
{
	char text[512];
	unsigned char *back = (unsigned char *)"x";
	size_t blen = 99;
	int n = snprintf(text, sizeof text, "%s\n%s", SP_ARMOR_BEGIN, body_and_end);

	assert_int_equal(sp_armor_decode(&back, &blen, text, (size_t)n), SP_ERR_ARMOR);
	assert_null(back);
	assert_int_equal(blen, 0);
}

static void test_armor_rejects(void **state)
{
	char text[256];
	unsigned char *back;
	size_t blen;
	int n;

	(void)state;
	/* sanity: the same shape with a good body decodes */
	n = snprintf(text, sizeof text, "%s\nQUJD\n%s\n", SP_ARMOR_BEGIN, SP_ARMOR_END);
	assert_int_equal(sp_armor_decode(&back, &blen, text, (size_t)n), SP_OK);
	assert_int_equal(blen, 3);
	assert_memory_equal(back, "ABC", 3);
	free(back);

	armor_bad("QUJD\n");                                   /* no END */
	armor_bad("QUJD\n-----END SECRETPACK BUNDLE----\n");    /* mangled END */
	armor_bad("QU*D\n" SP_ARMOR_END "\n");                  /* bad character */
	armor_bad("QU-D\n" SP_ARMOR_END "\n");
	armor_bad("QU_D\n" SP_ARMOR_END "\n");                  /* url-safe variant */
	armor_bad("QU D\n" SP_ARMOR_END "\n");
	armor_bad("QUJD\n" SP_ARMOR_END "\ngarbage\n");         /* garbage after END */
	armor_bad("QUJD\n" SP_ARMOR_END "x\n");
	armor_bad("QUJD\n" SP_ARMOR_END "\n" SP_ARMOR_END "\n");
	armor_bad("QUI\n" SP_ARMOR_END "\n");                   /* missing padding */
	armor_bad("QUI==\n" SP_ARMOR_END "\n");                 /* too much padding */
	armor_bad("QQ=\n" SP_ARMOR_END "\n");
	armor_bad("QR==\n" SP_ARMOR_END "\n");                  /* nonzero spare bits */
	armor_bad("QQ==QUJD\n" SP_ARMOR_END "\n");              /* padding in the middle */
	armor_bad("QQ==\nQUJD\n" SP_ARMOR_END "\n");
	armor_bad("QUJD\n\nQUJD\n" SP_ARMOR_END "\n");          /* empty body line */
	armor_bad("QUJDQ\n" SP_ARMOR_END "\n");                 /* impossible length */

	/* no BEGIN, BEGIN with trailing text, something before BEGIN */
	n = snprintf(text, sizeof text, "QUJD\n%s\n", SP_ARMOR_END);
	assert_int_equal(sp_armor_decode(&back, &blen, text, (size_t)n), SP_ERR_ARMOR);
	n = snprintf(text, sizeof text, "%s!\nQUJD\n%s\n", SP_ARMOR_BEGIN, SP_ARMOR_END);
	assert_int_equal(sp_armor_decode(&back, &blen, text, (size_t)n), SP_ERR_ARMOR);
	n = snprintf(text, sizeof text, "x\n%s\nQUJD\n%s\n", SP_ARMOR_BEGIN, SP_ARMOR_END);
	assert_int_equal(sp_armor_decode(&back, &blen, text, (size_t)n), SP_ERR_ARMOR);
	assert_int_equal(sp_armor_decode(&back, &blen, "", 0), SP_ERR_ARMOR);
	assert_int_equal(sp_armor_detect((const unsigned char *)text, (size_t)n), 0);
	assert_int_equal(sp_armor_detect((const unsigned char *)"SPKB\r\n\x1a\n", 8), 0);
	assert_int_equal(sp_armor_detect((const unsigned char *)SP_ARMOR_BEGIN, 20), 0);
	assert_int_equal(sp_armor_detect((const unsigned char *)"\n\t " SP_ARMOR_BEGIN,
	    3 + strlen(SP_ARMOR_BEGIN)), 1);
}

static void test_armor_limits(void **state)
{
	size_t big = (size_t)SP_ARMOR_MAX + 1, alen;
	char *text = malloc(big), *a;
	unsigned char *bin = calloc(12u << 20, 1), *back;

	(void)state;
	assert_non_null(text);
	assert_non_null(bin);
	memset(text, ' ', big);
	assert_int_equal(sp_armor_decode(&back, &alen, text, big), SP_ERR_LIMIT);
	/* 12 MiB would armor to more than 16 MiB: refused rather than made unreadable */
	assert_int_equal(sp_armor_encode(&a, &alen, bin, 12u << 20), SP_ERR_LIMIT);
	assert_null(a);
	assert_int_equal(sp_armor_encode(&a, &alen, bin, 11u << 20), SP_OK);
	assert_int_equal(sp_armor_decode(&back, &big, a, alen), SP_OK);
	assert_int_equal(big, 11u << 20);
	free(back);
	free(a);
	free(bin);
	free(text);
}

/* ---- time ---- */

static void time_ok(const char *text, uint64_t now, uint64_t want)
{
	uint64_t t = 0;

	assert_int_equal(sp_time_parse(&t, text, now), SP_OK);
	assert_true(t == want);
}

static void time_bad(const char *text, uint64_t now)
{
	uint64_t t = 12345;

	assert_int_equal(sp_time_parse(&t, text, now), SP_ERR_TIME);
	assert_true(t == 12345);
}

static void test_time_parse_dates(void **state)
{
	(void)state;
	time_ok("2027-06-30", 0, 1814399999u);
	time_ok("2027-06-30T23:59:59Z", 0, 1814399999u);
	time_ok("2027-06-30T12:00:00Z", 0, 1814356800u);
	time_ok("2027-06-30t12:00:00z", 0, 1814356800u);
	time_ok("1970-01-01T00:00:00Z", 0, 0);
	time_ok("1970-01-01", 0, 86399);
	time_ok("2028-02-29", 0, 1835481599u);
	time_ok("2000-02-29T00:00:00Z", 0, 951782400u);
	time_ok("2038-01-19T03:14:08Z", 0, 2147483648u);
	time_ok("2106-02-07T06:28:16Z", 0, 4294967296u);
	time_ok("9999-12-31T23:59:59Z", 0, UINT64_C(253402300799));
	time_ok("9999-12-31", 0, UINT64_C(253402300799));

	time_bad("2027-02-29", 0);
	time_bad("2100-02-29", 0);
	time_bad("2027-04-31", 0);
	time_bad("2027-00-10", 0);
	time_bad("2027-13-10", 0);
	time_bad("2027-06-00", 0);
	time_bad("2027-06-32", 0);
	time_bad("1969-12-31", 0);
	time_bad("0000-01-01", 0);
	time_bad("2027-06-30T24:00:00Z", 0);
	time_bad("2027-06-30T23:60:00Z", 0);
	time_bad("2027-06-30T23:59:60Z", 0);
	time_bad("2027-06-30T23:59:59", 0);
	time_bad("2027-06-30T23:59:59+00:00", 0);
	time_bad("2027-06-30 23:59:59Z", 0);
	time_bad("2027-06-30x", 0);
	time_bad("2027-06-30 ", 0);
	time_bad(" 2027-06-30", 0);
	time_bad("2027-6-30", 0);
	time_bad("2027-06-3", 0);
	time_bad("27-06-30", 0);
	time_bad("2027/06/30", 0);
	time_bad("2027-06-30T23:59:59ZZ", 0);
	time_bad("+027-06-30", 0);
	time_bad("", 0);
}

static void test_time_parse_durations(void **state)
{
	const uint64_t now = 1800000000u;

	(void)state;
	time_ok("90d", now, now + 90 * 86400u);
	time_ok("+90d", now, now + 90 * 86400u);
	time_ok("30s", now, now + 30);
	time_ok("5m", now, now + 300);
	time_ok("2h", now, now + 7200);
	time_ok("1w", now, now + 604800);
	time_ok("007d", now, now + 7 * 86400u);
	time_ok("1s", 0, 1);

	time_bad("0d", now);
	time_bad("+0s", now);
	time_bad("d", now);
	time_bad("+", now);
	time_bad("+d", now);
	time_bad("5", now);
	time_bad("5x", now);
	time_bad("5D", now);
	time_bad("5dd", now);
	time_bad("5d ", now);
	time_bad(" 5d", now);
	time_bad("5 d", now);
	time_bad("-5d", now);
	time_bad("++5d", now);
	time_bad("1.5d", now);
	time_bad("0x10d", now);
	/* overflow: of the number, of the multiplication, of the sum, of year 9999 */
	time_bad("99999999999999999999d", now);
	time_bad("18446744073709551615s", 0);
	time_bad("18446744073709551621s", now); /* 2^64 + 5 must not wrap to 5 */
	time_bad("30500568904943w", now);
	time_bad("3000000000000d", now);
	time_bad("1s", UINT64_C(253402300799));
	time_ok("1s", UINT64_C(253402300798), UINT64_C(253402300799));
	time_bad("1s", UINT64_MAX);
}

static void test_time_format(void **state)
{
	char out[32];
	uint64_t t, back;
	struct tm tm;
	char want[32];
	time_t tt;

	(void)state;
	assert_int_equal(sp_time_format(out, sizeof out, 0), SP_OK);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	assert_int_equal(sp_time_format(out, sizeof out, 1814399999u), SP_OK);
	assert_string_equal(out, "2027-06-30T23:59:59Z");
	assert_int_equal(sp_time_format(out, sizeof out, 1835395200u), SP_OK);
	assert_string_equal(out, "2028-02-29T00:00:00Z");
	assert_int_equal(sp_time_format(out, 21, UINT64_C(253402300799)), SP_OK);
	assert_string_equal(out, "9999-12-31T23:59:59Z");
	assert_int_equal(sp_time_format(out, sizeof out, UINT64_C(253402300800)), SP_ERR_TIME);
	assert_int_equal(sp_time_format(out, 20, 0), SP_ERR_ARG);

	/* every 61 hours and 7 seconds from 1970 past 2400, against the C library */
	for (t = 0; t < UINT64_C(13600000000); t += 219607u) {
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_int_equal(sp_time_format(out, sizeof out, t), SP_OK);
		assert_string_equal(out, want);
		assert_int_equal(sp_time_parse(&back, out, 0), SP_OK);
		assert_true(back == t);
	}
}

static int setup(void **state)
{
	(void)state;
	return sp_crypto_init() == SP_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base32_rfc4648),
		cmocka_unit_test(test_base32_round_trip),
		cmocka_unit_test(test_base32_rejects),
		cmocka_unit_test(test_recipient_round_trip),
		cmocka_unit_test(test_identity_round_trip),
		cmocka_unit_test(test_recipient_every_flip_caught),
		cmocka_unit_test(test_identity_every_flip_caught),
		cmocka_unit_test(test_key_length_damage),
		cmocka_unit_test(test_key_wrong_prefix_and_confusion),
		cmocka_unit_test(test_key_encode_cap),
		cmocka_unit_test(test_armor_round_trip),
		cmocka_unit_test(test_armor_liberal_input),
		cmocka_unit_test(test_armor_rejects),
		cmocka_unit_test(test_armor_limits),
		cmocka_unit_test(test_time_parse_dates),
		cmocka_unit_test(test_time_parse_durations),
		cmocka_unit_test(test_time_format),
	};

	return cmocka_run_group_tests_name("encoding", tests, setup, NULL);
}
