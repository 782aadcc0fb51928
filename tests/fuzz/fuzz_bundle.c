/* fuzz_bundle.c - libFuzzer harness: the input is a whole bundle, opened with the fixed test keys. */
#include <string.h>

#include "forge.h"
#include "sp_bundle.h"
#include "sp_err.h"
#include "sp_kdf.h"

/* Argon2id runs only at the floor costs (about 20 ms): a header may ask for up to 1 GiB and
 * 64 passes, which would stall the fuzzer without reaching any new code. */
static int bundle_cheap_kdf(const sp_bundle_info *info)
{
	return info->n_passphrase == 1 && info->kdf.t_cost == SP_KDF_T_MIN &&
	    info->kdf.m_cost_kib == SP_KDF_M_MIN && info->kdf.parallelism <= 2;
}

static void bundle_check_info(const sp_bundle_info *info)
{
	size_t len = strnlen(info->context, sizeof info->context);

	FZ_CHECK((info->version == SP_VERSION || info->version == SP_VERSION_V1) && info->suite == SP_SUITE_V1);
	FZ_CHECK(len <= SP_CONTEXT_MAX);
	for (size_t i = 0; i < len; i++)
		FZ_CHECK(info->context[i] >= 0x20 && info->context[i] <= 0x7e);
	FZ_CHECK(info->n_x25519 + info->n_passphrase >= 1);
	FZ_CHECK(info->n_x25519 + info->n_passphrase <= SP_STANZAS_MAX && info->n_passphrase <= 1);
	if (info->n_passphrase == 1)
		FZ_CHECK(sp_kdf_check(&info->kdf) == SP_OK);
}

static int bundle_open(sp_opener *o)
{
	forge_sink_state sink = { NULL, 0, 0, 0 };
	sp_bundle_info info;
	const sp_entry *e = NULL;
	const char *pass;
	size_t n = 0;
	int err;

	sp_open_info(o, &info);
	bundle_check_info(&info);
	pass = bundle_cheap_kdf(&info) ? FORGE_PASS : NULL;
	/* test.key first: after a wrong key the opener must take another try (the vectors' key). */
	err = sp_open_unlock(o, forge_sk + 1, 1, NULL, 0);
	if (err == SP_ERR_WRONG_KEY)
		err = sp_open_unlock(o, forge_sk, 1, pass, pass != NULL ? strlen(pass) : 0);
	if (err != SP_OK)
		return err;
	/* The results do not stop the reading: expired or bound bundles still reach the index. */
	if (sp_open_check(o, NULL, FORGE_NOW) == SP_OK)
		FZ_CHECK(info.context[0] == '\0');
	if (sp_open_check(o, info.context, FORGE_NOW) == SP_OK)
		FZ_CHECK(info.expires == 0 || info.expires > FORGE_NOW);
	if ((err = sp_open_index(o, &e, &n)) != SP_OK)
		return err;
	FZ_CHECK(forge_entries_sane(e, n));
	sink.e = e;
	sink.n = n;
	if ((err = sp_open_payload(o, forge_sink, &sink)) == SP_OK)
		FZ_CHECK(forge_sink_complete(&sink));
	return err;
}

int fuzz_bundle(const uint8_t *data, size_t size)
{
	forge_src src = { data, size, 0 };
	sp_opener *o = NULL;
	int err;

	if (forge_init() != 0)
		FZ_FAIL("forge_init");
	err = sp_open_begin(&o, forge_read, &src);
	if (err == SP_ERR_VERSION || err == SP_ERR_SUITE)
		FZ_CHECK(o != NULL && sp_open_unlock(o, forge_sk, 1, NULL, 0) == SP_ERR_ARG);
	else if (err != SP_OK)
		FZ_CHECK(o == NULL);
	else
		err = bundle_open(o);
	FZ_CHECK(src.off <= size);
	sp_open_free(o);
	return err;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_bundle(data, size);
	return 0;
}
#endif
