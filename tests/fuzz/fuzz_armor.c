/* fuzz_armor.c - libFuzzer harness: the input is armored text for sp_armor_decode. */
#include <stdlib.h>
#include <string.h>

#include "forge.h"
#include "sp_encoding.h"
#include "sp_err.h"

/* What decodes must encode back to armor that decodes to the same bytes. */
static void armor_roundtrip(const unsigned char *bin, size_t len)
{
	unsigned char *again = NULL;
	char *text = NULL;
	size_t tlen = 0, alen = 0;

	FZ_CHECK(sp_armor_encode(&text, &tlen, bin, len) == SP_OK);
	FZ_CHECK(text != NULL && strlen(text) == tlen);
	FZ_CHECK(sp_armor_detect((const unsigned char *)text, tlen) == 1);
	FZ_CHECK(sp_armor_decode(&again, &alen, text, tlen) == SP_OK);
	FZ_CHECK(alen == len && (len == 0 || memcmp(again, bin, len) == 0));
	free(again);
	free(text);
}

int fuzz_armor(const uint8_t *data, size_t size)
{
	unsigned char *bin = NULL;
	size_t len = 0;
	int err;

	if (forge_init() != 0)
		FZ_FAIL("forge_init");
	err = sp_armor_decode(&bin, &len, (const char *)data, size);
	if (err != SP_OK) {
		FZ_CHECK(bin == NULL && len == 0);
		return err;
	}
	FZ_CHECK(bin != NULL);
	FZ_CHECK(sp_armor_detect(data, size) == 1);
	armor_roundtrip(bin, len);
	free(bin);
	return SP_OK;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_armor(data, size);
	return 0;
}
#endif
