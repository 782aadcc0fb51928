/* fuzz_keys.c - libFuzzer harness: the input as an identity file, a recipients file, a single key
 * string and a time, through every parser of key and time text. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "forge.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"

#define KEYS_ENC_LINES_MAX 2 /* each SPKENC1 line with the right passphrase costs an Argon2id run */

typedef struct {
	int calls;
} keys_pass_ctx;

static int keys_pass(void *ctx, char *buf, size_t cap, size_t *len)
{
	keys_pass_ctx *p = ctx;
	size_t n = strlen(FORGE_ID_PASS);

	p->calls++;
	FZ_CHECK(cap >= n);
	memcpy(buf, FORGE_ID_PASS, n);
	*len = n;
	return SP_OK;
}

static size_t keys_count_enc(const char *text, size_t len)
{
	size_t n = 0, plen = strlen(SP_IDENTITY_ENC_PREFIX);

	for (size_t i = 0; i + plen <= len; i++)
		n += sp_prefix_match(text + i, len - i, SP_IDENTITY_ENC_PREFIX) != 0;
	return n;
}

/* Base32 that decodes has one spelling, up to case. */
static void keys_base32(const char *text, size_t len)
{
	unsigned char bin[SP_KEY_TEXT_MAX];
	char again[SP_KEY_TEXT_MAX * 2];
	size_t n = 0;

	if (len > SP_KEY_TEXT_MAX || sp_base32_decode(bin, sizeof bin, &n, text, len) != SP_OK)
		return;
	FZ_CHECK(n <= sizeof bin && sp_base32_len(n) == len);
	FZ_CHECK(sp_base32_encode(again, sizeof again, bin, n, 0) == SP_OK);
	FZ_CHECK(strlen(again) == len && strncasecmp(again, text, len) == 0);
}

/* A key string that decodes has one spelling, up to case. */
static void keys_single(const char *text, size_t len)
{
	unsigned char key[32];
	char again[SP_KEY_TEXT_MAX];

	keys_base32(text, len);
	if (len > 7)
		keys_base32(text + 7, len - 7); /* after a prefix */
	if (sp_recipient_decode(key, text, len) == SP_OK) {
		FZ_CHECK(sp_recipient_encode(again, sizeof again, key) == SP_OK);
		FZ_CHECK(strlen(again) == len && strncasecmp(again, text, len) == 0);
	}
	if (sp_identity_decode(key, text, len) == SP_OK) {
		FZ_CHECK(sp_identity_encode(again, sizeof again, key) == SP_OK);
		FZ_CHECK(strlen(again) == len && strncasecmp(again, text, len) == 0);
	}
}

static int keys_files(const char *text, size_t len)
{
	unsigned char (*pks)[32] = NULL;
	sp_identities ids = { 0, NULL };
	keys_pass_ctx pc = { 0 };
	size_t n = 0, bad = 0;
	int err, err2;

	err = sp_recipients_parse(&pks, &n, text, len, &bad);
	if (err == SP_OK)
		FZ_CHECK(n > 0 && pks != NULL && bad == 0);
	else
		FZ_CHECK(n == 0 && pks == NULL);
	free(pks);
	if (keys_count_enc(text, len) > KEYS_ENC_LINES_MAX)
		return err;
	err2 = sp_identities_parse(&ids, text, len, keys_pass, &pc, &bad);
	FZ_CHECK(pc.calls <= 1);
	if (err2 == SP_OK)
		FZ_CHECK(ids.n > 0 && ids.sk != NULL && bad == 0);
	else
		FZ_CHECK(ids.n == 0 && ids.sk == NULL);
	sp_identities_free(&ids);
	return err == SP_OK ? err : err2;
}

/* A time that parses formats back to text that parses to the same time. */
static void keys_time(const char *text)
{
	uint64_t t = 0, again = 0;
	char out[32];

	if (sp_time_parse(&t, text, FORGE_NOW) != SP_OK)
		return;
	FZ_CHECK(sp_time_format(out, sizeof out, t) == SP_OK);
	FZ_CHECK(sp_time_parse(&again, out, FORGE_NOW) == SP_OK && again == t);
}

int fuzz_keys(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *str;
	int err;

	if (forge_init() != 0)
		FZ_FAIL("forge_init");
	keys_single(text, size);
	err = keys_files(text, size);
	if ((str = malloc(size + 1)) == NULL)
		FZ_FAIL("malloc");
	memcpy(str, data, size);
	str[size] = '\0';
	keys_time(str);
	free(str);
	return err;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_keys(data, size);
	return 0;
}
#endif
