/* sp_encoding.c - base32 key strings with checksums, base64 armor, and UTC times as text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_crypto.h"
#include "sp_encoding.h"
#include "sp_err.h"

#define LABEL_RECIPIENT "secretpack recipient"
#define LABEL_IDENTITY "secretpack identity"
#define LABEL_SIGNER "secretpack signer"
#define LABEL_SIGN_IDENTITY "secretpack signing identity"
#define CHECK_BYTES 4
#define KEYTEXT_PAYLOAD_MAX 124 /* largest payload of a key string (an SPKENC1 line uses 100) */
#define ARMOR_LINE 64
#define ARMOR_LINE_MAX 76 /* accepted on input: MIME's limit, for re-wrapped copies */

/* Branch-free masks (all ones or zero) for bytes; secret keys pass through base32. */
static unsigned ct_lt(unsigned x, unsigned y)
{
	return 0u - ((x - y) >> 31);
}

static unsigned ct_in(unsigned c, unsigned lo, unsigned hi)
{
	return ~ct_lt(c, lo) & ct_lt(c, hi + 1);
}

static char b32_char(unsigned v, int upper)
{
	unsigned letter = ct_lt(v, 26);
	unsigned base = upper ? 'A' : 'a';

	return (char)((letter & (v + base)) | (~letter & (v - 26 + '2')));
}

/* 0..31, or 0xff for a character outside the alphabet. */
static unsigned b32_value(unsigned char ch)
{
	unsigned c = ch;
	unsigned up = ct_in(c, 'A', 'Z'), lo = ct_in(c, 'a', 'z'), dg = ct_in(c, '2', '7');
	unsigned ok = up | lo | dg;

	return (up & (c - 'A')) | (lo & (c - 'a')) | (dg & (c - '2' + 26)) | (~ok & 0xff);
}

size_t sp_base32_len(size_t binlen)
{
	static const unsigned char tail[5] = { 0, 2, 4, 5, 7 };

	return binlen / 5 * 8 + tail[binlen % 5];
}

int sp_base32_encode(char *out, size_t cap, const unsigned char *bin, size_t len, int upper)
{
	unsigned acc = 0, bits = 0;
	size_t i, o = 0;

	if (out == NULL || (bin == NULL && len > 0) || len > SIZE_MAX / 2 || cap <= sp_base32_len(len))
		return SP_ERR_ARG;
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | bin[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_char((acc >> bits) & 31, upper);
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32_char((acc << (5 - bits)) & 31, upper);
	out[o] = '\0';
	return SP_OK;
}

/* Only these lengths mod 8 end on a whole byte; the others leave 5 or more spare bits. */
static int b32_len_ok(size_t len)
{
	size_t r = len % 8;

	return r == 0 || r == 2 || r == 4 || r == 5 || r == 7;
}

static size_t b32_decoded_len(size_t len)
{
	return len / 8 * 5 + len % 8 * 5 / 8;
}

/* Rejects characters outside the alphabet, '=' padding, impossible lengths, and nonzero
 * spare bits in the last character (so each byte string has exactly one spelling). */
int sp_base32_decode(unsigned char *out, size_t cap, size_t *outlen, const char *text, size_t len)
{
	unsigned acc = 0, bits = 0, bad = 0, v;
	size_t i, o = 0, need;

	if (out == NULL || outlen == NULL || (text == NULL && len > 0))
		return SP_ERR_ARG;
	*outlen = 0;
	if (!b32_len_ok(len))
		return SP_ERR_ENCODING;
	need = b32_decoded_len(len);
	if (need > cap)
		return SP_ERR_LIMIT;
	for (i = 0; i < len; i++) {
		v = b32_value((unsigned char)text[i]);
		bad |= v >> 5;
		acc = ((acc << 5) | (v & 31)) & 0x1fff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if ((bad | acc) != 0) {
		sodium_memzero(out, need);
		return SP_ERR_ENCODING;
	}
	*outlen = o;
	return SP_OK;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive ASCII prefix test, independent of the locale. */
int sp_prefix_match(const char *text, size_t len, const char *prefix)
{
	size_t i, n = strlen(prefix);

	if (text == NULL || len < n)
		return 0;
	for (i = 0; i < n; i++)
		if (ascii_lower((unsigned char)text[i]) != ascii_lower((unsigned char)prefix[i]))
			return 0;
	return 1;
}

int sp_keytext_encode(char *out, size_t cap, const char *prefix, const char *label,
    const unsigned char *data, size_t len, int upper)
{
	unsigned char buf[KEYTEXT_PAYLOAD_MAX + CHECK_BYTES];
	size_t plen;
	int err = SP_ERR_ARG;

	if (out == NULL || prefix == NULL || label == NULL || data == NULL || len > KEYTEXT_PAYLOAD_MAX)
		return SP_ERR_ARG;
	plen = strlen(prefix);
	if (cap <= plen + sp_base32_len(len + CHECK_BYTES))
		goto out;
	memcpy(buf, data, len);
	sp_checksum4(buf + len, label, data, len);
	memcpy(out, prefix, plen);
	err = sp_base32_encode(out + plen, cap - plen, buf, len + CHECK_BYTES, upper);
out:
	sodium_memzero(buf, sizeof buf);
	return err;
}

/*
 * Which error a damaged key string gets: a wrong prefix or a character outside the base32
 * alphabet is SP_ERR_ENCODING (this is not a key of that kind). With the right prefix and
 * alphabet, any other damage - a changed character, a missing or extra character, spare bits
 * set in the last character, a checksum that does not match - is SP_ERR_CHECKSUM, whose message
 * says "typo or truncated", which is what the user needs to hear for a mangled copy-paste.
 */
int sp_keytext_decode(unsigned char *data, size_t len, const char *prefix, const char *label,
    const char *text, size_t tlen)
{
	unsigned char buf[KEYTEXT_PAYLOAD_MAX + CHECK_BYTES];
	unsigned char check[CHECK_BYTES];
	const char *body;
	size_t blen, got, i, plen;
	unsigned bad = 0;
	int err = SP_ERR_ENCODING;

	if (data == NULL || prefix == NULL || label == NULL || len > KEYTEXT_PAYLOAD_MAX)
		return SP_ERR_ARG;
	plen = strlen(prefix);
	if (!sp_prefix_match(text, tlen, prefix))
		goto out;
	body = text + plen;
	blen = tlen - plen;
	for (i = 0; i < blen; i++)
		bad |= b32_value((unsigned char)body[i]) >> 5;
	if (bad)
		goto out;
	err = SP_ERR_CHECKSUM;
	if (blen != sp_base32_len(len + CHECK_BYTES))
		goto out;
	if (sp_base32_decode(buf, sizeof buf, &got, body, blen) != SP_OK || got != len + CHECK_BYTES)
		goto out;
	sp_checksum4(check, label, buf, len);
	if (sodium_memcmp(check, buf + len, CHECK_BYTES) != 0)
		goto out;
	memcpy(data, buf, len);
	err = SP_OK;
out:
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(check, sizeof check);
	return err;
}

int sp_recipient_encode(char *out, size_t cap, const unsigned char pk[32])
{
	return sp_keytext_encode(out, cap, SP_RECIPIENT_PREFIX, LABEL_RECIPIENT, pk, 32, 0);
}

/* 1 for a signing key's text, 2 for an X25519 key's, else 0. */
static int key_kind(const char *text, size_t len)
{
	if (sp_prefix_match(text, len, SP_SIGNER_PREFIX) ||
	    sp_prefix_match(text, len, SP_SIGN_IDENTITY_PREFIX) ||
	    sp_prefix_match(text, len, SP_SIGN_IDENTITY_ENC_PREFIX))
		return 1;
	if (sp_prefix_match(text, len, SP_RECIPIENT_PREFIX) ||
	    sp_prefix_match(text, len, SP_IDENTITY_PREFIX) ||
	    sp_prefix_match(text, len, SP_IDENTITY_ENC_PREFIX))
		return 2;
	return 0;
}

int sp_recipient_decode(unsigned char pk[32], const char *text, size_t len)
{
	if (key_kind(text, len) == 1)
		return SP_ERR_KEY_KIND;
	return sp_keytext_decode(pk, 32, SP_RECIPIENT_PREFIX, LABEL_RECIPIENT, text, len);
}

int sp_signer_encode(char *out, size_t cap, const unsigned char pk[32])
{
	return sp_keytext_encode(out, cap, SP_SIGNER_PREFIX, LABEL_SIGNER, pk, 32, 0);
}

int sp_signer_decode(unsigned char pk[32], const char *text, size_t len)
{
	if (key_kind(text, len) == 2)
		return SP_ERR_KEY_KIND;
	return sp_keytext_decode(pk, 32, SP_SIGNER_PREFIX, LABEL_SIGNER, text, len);
}

int sp_sign_identity_encode(char *out, size_t cap, const unsigned char seed[32])
{
	return sp_keytext_encode(out, cap, SP_SIGN_IDENTITY_PREFIX, LABEL_SIGN_IDENTITY, seed, 32, 1);
}

int sp_sign_identity_decode(unsigned char seed[32], const char *text, size_t len)
{
	if (key_kind(text, len) == 2)
		return SP_ERR_KEY_KIND;
	return sp_keytext_decode(seed, 32, SP_SIGN_IDENTITY_PREFIX, LABEL_SIGN_IDENTITY, text, len);
}

int sp_identity_encode(char *out, size_t cap, const unsigned char sk[32])
{
	return sp_keytext_encode(out, cap, SP_IDENTITY_PREFIX, LABEL_IDENTITY, sk, 32, 1);
}

int sp_identity_decode(unsigned char sk[32], const char *text, size_t len)
{
	if (key_kind(text, len) == 1)
		return SP_ERR_KEY_KIND;
	return sp_keytext_decode(sk, 32, SP_IDENTITY_PREFIX, LABEL_IDENTITY, text, len);
}

/* ---- armor ---- */

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_space(const char *s, size_t len, size_t pos)
{
	while (pos < len && is_space((unsigned char)s[pos]))
		pos++;
	return pos;
}

int sp_armor_detect(const unsigned char *buf, size_t len)
{
	size_t pos, n = strlen(SP_ARMOR_BEGIN);

	if (buf == NULL)
		return 0;
	pos = skip_space((const char *)buf, len, 0);
	return len - pos >= n && memcmp(buf + pos, SP_ARMOR_BEGIN, n) == 0;
}

int sp_armor_encode(char **out, size_t *outlen, const unsigned char *bin, size_t len)
{
	const size_t nbegin = strlen(SP_ARMOR_BEGIN), nend = strlen(SP_ARMOR_END);
	size_t b64len, total, i, o = 0;
	char *b64 = NULL, *text = NULL;
	int err = SP_ERR_LIMIT;

	if (out == NULL || outlen == NULL || (bin == NULL && len > 0))
		return SP_ERR_ARG;
	*out = NULL;
	*outlen = 0;
	/* Never produce armor that sp_armor_decode would refuse as too large. */
	if (len > SP_ARMOR_MAX)
		goto out;
	b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL) - 1;
	total = nbegin + 1 + b64len + (b64len + ARMOR_LINE - 1) / ARMOR_LINE + nend + 1;
	if (total > SP_ARMOR_MAX)
		goto out;
	err = SP_ERR_NOMEM;
	b64 = malloc(b64len + 1);
	text = malloc(total + 1);
	if (b64 == NULL || text == NULL)
		goto out;
	sodium_bin2base64(b64, b64len + 1, len > 0 ? bin : (const unsigned char *)"", len,
	    sodium_base64_VARIANT_ORIGINAL);
	memcpy(text, SP_ARMOR_BEGIN "\n", nbegin + 1);
	o = nbegin + 1;
	for (i = 0; i < b64len; i += ARMOR_LINE) {
		size_t n = b64len - i < ARMOR_LINE ? b64len - i : ARMOR_LINE;

		memcpy(text + o, b64 + i, n);
		o += n;
		text[o++] = '\n';
	}
	memcpy(text + o, SP_ARMOR_END "\n", nend + 1);
	o += nend + 1;
	text[o] = '\0';
	*out = text;
	*outlen = o;
	text = NULL;
	err = SP_OK;
out:
	free(b64);
	free(text);
	return err;
}

/* Next line from pos: [*s, *s + *n) without its LF, CR or trailing blanks. 0 at end of text. */
static int next_line(const char *text, size_t len, size_t *pos, const char **s, size_t *n)
{
	size_t start = *pos, end;
	const char *nl;

	if (start >= len)
		return 0;
	nl = memchr(text + start, '\n', len - start);
	end = nl != NULL ? (size_t)(nl - text) : len;
	*pos = nl != NULL ? end + 1 : len;
	while (end > start && (text[end - 1] == '\r' || text[end - 1] == ' ' || text[end - 1] == '\t'))
		end--;
	*s = text + start;
	*n = end - start;
	return 1;
}

static int line_is(const char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

static int b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/' || c == '=';
}

/*
 * Liberal in line length only: body lines may have any length up to 76 (some mailers re-wrap),
 * CRLF and trailing blanks are accepted, and whitespace may surround the armor. Everything else
 * is strict: an empty body line, a character outside base64, padding anywhere but at the end,
 * nonzero spare bits, a missing END line or anything but whitespace after it is SP_ERR_ARMOR.
 */
int sp_armor_decode(unsigned char **out, size_t *outlen, const char *text, size_t len)
{
	const char *s;
	char *b64 = NULL;
	unsigned char *bin = NULL;
	size_t pos, n, i, nb64 = 0, binlen = 0;
	int err = SP_ERR_LIMIT, ended = 0;

	if (out == NULL || outlen == NULL || (text == NULL && len > 0))
		return SP_ERR_ARG;
	*out = NULL;
	*outlen = 0;
	if (len > SP_ARMOR_MAX)
		goto out;
	err = SP_ERR_ARMOR;
	pos = skip_space(text, len, 0);
	if (!next_line(text, len, &pos, &s, &n) || !line_is(s, n, SP_ARMOR_BEGIN))
		goto out;
	err = SP_ERR_NOMEM;
	if ((b64 = malloc(len + 1)) == NULL)
		goto out;
	err = SP_ERR_ARMOR;
	while (next_line(text, len, &pos, &s, &n)) {
		if (line_is(s, n, SP_ARMOR_END)) {
			ended = 1;
			break;
		}
		if (n == 0 || n > ARMOR_LINE_MAX)
			goto out;
		for (i = 0; i < n; i++)
			if (!b64_char((unsigned char)s[i]))
				goto out;
		memcpy(b64 + nb64, s, n);
		nb64 += n;
	}
	if (!ended || skip_space(text, len, pos) != len)
		goto out;
	err = SP_ERR_NOMEM;
	if ((bin = malloc(nb64 / 4 * 3 + 3)) == NULL)
		goto out;
	err = SP_ERR_ARMOR;
	if (sodium_base642bin(bin, nb64 / 4 * 3 + 3, b64, nb64, NULL, &binlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		goto out;
	*out = bin;
	*outlen = binlen;
	bin = NULL;
	err = SP_OK;
out:
	free(b64);
	free(bin);
	return err;
}

/* ---- times ---- */

#define TIME_MAX UINT64_C(253402300799) /* 9999-12-31T23:59:59Z */

static int is_leap(unsigned y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a valid date with y >= 1970 (H. Hinnant's days_from_civil). */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
	unsigned yy = y - (m <= 2), era = yy / 400, yoe = yy - era * 400;
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (uint64_t)era * 146097 + doe - 719468;
}

static void civil_from_days(uint64_t z, unsigned *y, unsigned *m, unsigned *d)
{
	uint64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

/* Exactly n decimal digits at s. */
static int digits(const char *s, size_t n, unsigned *out)
{
	size_t i;
	unsigned v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 1;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" ('t' and 'z' also accepted, as RFC 3339 allows). */
static int parse_date(uint64_t *out, const char *s, size_t len)
{
	unsigned y, mo, d, h = 23, mi = 59, sec = 59;

	if (len != 10 && len != 20)
		return SP_ERR_TIME;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return SP_ERR_TIME;
	if (len == 20 && ((s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec) ||
	    (s[19] != 'Z' && s[19] != 'z')))
		return SP_ERR_TIME;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 59)
		return SP_ERR_TIME;
	*out = days_from_civil(y, mo, d) * 86400 + (uint64_t)h * 3600 + (uint64_t)mi * 60 + sec;
	return SP_OK;
}

/* "[+]N{s,m,h,d,w}", N > 0: an expiry of "now" could never be opened. */
static int parse_duration(uint64_t *out, const char *s, size_t len, uint64_t now)
{
	uint64_t n = 0, unit;
	size_t i = 0;

	if (len > 0 && s[0] == '+')
		i = 1;
	if (len < i + 2)
		return SP_ERR_TIME;
	for (; i < len - 1; i++) {
		if (s[i] < '0' || s[i] > '9' || n > (UINT64_MAX - 9) / 10)
			return SP_ERR_TIME;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	switch (s[len - 1]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 604800; break;
	default: return SP_ERR_TIME;
	}
	if (n == 0 || now > TIME_MAX || n > (TIME_MAX - now) / unit)
		return SP_ERR_TIME;
	*out = now + n * unit;
	return SP_OK;
}

int sp_time_parse(uint64_t *out, const char *text, uint64_t now)
{
	size_t len;

	if (out == NULL || text == NULL)
		return SP_ERR_ARG;
	len = strlen(text);
	if (len >= 5 && text[4] == '-')
		return parse_date(out, text, len);
	return parse_duration(out, text, len, now);
}

int sp_time_format(char *out, size_t cap, uint64_t t)
{
	unsigned y, m, d, s = (unsigned)(t % 86400);

	if (out == NULL || cap < 21)
		return SP_ERR_ARG;
	if (t > TIME_MAX)
		return SP_ERR_TIME;
	civil_from_days(t / 86400, &y, &m, &d);
	(void)snprintf(out, cap, "%04u-%02u-%02uT%02u:%02u:%02uZ", y, m, d, s / 3600, s / 60 % 60, s % 60);
	return SP_OK;
}
