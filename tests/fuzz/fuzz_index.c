/* fuzz_index.c - libFuzzer harness: the input is the index plaintext (and content), forged into a
 * valid bundle, so that every input reaches the index reader and the entry rules.
 *
 * Input: flags (1 byte: FORGE_* in bits 0-4, small chunks in bit 5, declared index length off by
 * -1, +1 or +16 in bits 6-7), chunk size - 1 (1 byte), index length (2 bytes, little-endian,
 * clamped to what is left), the index, then the content. */
#include <stdlib.h>

#include "forge.h"
#include "sp_bundle.h"
#include "sp_err.h"

#define INDEX_PREFIX 4

static int index_open(const unsigned char *bundle, size_t len)
{
	forge_src src = { bundle, len, 0 };
	forge_sink_state sink = { NULL, 0, 0, 0 };
	sp_opener *o = NULL;
	const sp_entry *e = NULL;
	size_t n = 0;
	int err;

	err = sp_open_begin(&o, forge_read, &src);
	FZ_CHECK(err == SP_OK);
	FZ_CHECK(sp_open_unlock(o, forge_sk, 1, NULL, 0) == SP_OK);
	FZ_CHECK(sp_open_check(o, NULL, FORGE_NOW) == SP_OK);
	if ((err = sp_open_index(o, &e, &n)) != SP_OK)
		goto out;
	FZ_CHECK(forge_entries_sane(e, n));
	sink.e = e;
	sink.n = n;
	if ((err = sp_open_payload(o, forge_sink, &sink)) == SP_OK)
		FZ_CHECK(forge_sink_complete(&sink));
out:
	sp_open_free(o);
	return err;
}

int fuzz_index(const uint8_t *data, size_t size)
{
	static const int64_t delta[4] = { 0, -1, 1, 16 };
	forge_spec s;
	unsigned char *bundle = NULL;
	size_t len = 0, ilen;
	int err;

	if (forge_init() != 0)
		FZ_FAIL("forge_init");
	if (size < INDEX_PREFIX)
		return SP_ERR_ARG;
	ilen = (size_t)data[2] | (size_t)data[3] << 8;
	if (ilen > size - INDEX_PREFIX)
		ilen = size - INDEX_PREFIX;
	if (ilen < 4)
		return SP_ERR_ARG; /* the header itself would be refused */
	s.index = data + INDEX_PREFIX;
	s.index_len = ilen;
	s.index_len_delta = delta[data[0] >> 6];
	/* The header refuses a declared length below 4 before any index is read. */
	if ((int64_t)ilen + s.index_len_delta < 4)
		s.index_len_delta = 0;
	s.content = data + INDEX_PREFIX + ilen;
	s.content_len = size - INDEX_PREFIX - ilen;
	s.chunk = data[0] & 0x20 ? (size_t)data[1] + 1 : 0;
	s.flags = data[0] & 0x1f;
	if (forge_bundle(&bundle, &len, &s) != 0)
		FZ_FAIL("forge_bundle");
	err = index_open(bundle, len);
	free(bundle);
	return err;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_index(data, size);
	return 0;
}
#endif
