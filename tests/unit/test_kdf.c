/* test_kdf.c - Argon2id: the RFC 9106 vector, cost limits, and refusal before any work. */
#include "unit.h"

#include <sodium.h>

#include "sp_err.h"
#include "sp_kdf.h"

static void params(sp_kdf_params *p, uint32_t t, uint32_t m, uint32_t par)
{
	p->t_cost = t;
	p->m_cost_kib = m;
	p->parallelism = par;
}

static void test_rfc9106_vector(void **state)
{
	static const char want_hex[] =
	    "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659";
	unsigned char pwd[32], salt[16], secret[8], ad[12], out[32], want[32];

	(void)state;
	memset(pwd, 0x01, sizeof pwd);
	memset(salt, 0x02, sizeof salt);
	memset(secret, 0x03, sizeof secret);
	memset(ad, 0x04, sizeof ad);
	assert_int_equal(sodium_hex2bin(want, sizeof want, want_hex, 64, NULL, NULL, NULL), 0);
	assert_int_equal(sp_kdf_argon2id_raw(out, sizeof out, pwd, sizeof pwd, salt, sizeof salt,
	    secret, sizeof secret, ad, sizeof ad, 3, 32, 4), SP_OK);
	assert_memory_equal(out, want, sizeof want);
}

static void test_raw_rejects_invalid(void **state)
{
	unsigned char out[32], salt[16] = { 0 };

	(void)state;
	memset(out, 0xaa, sizeof out);
	/* t = 0 is not Argon2; the output is wiped, not left half-written. */
	assert_int_equal(sp_kdf_argon2id_raw(out, sizeof out, "pw", 2, salt, sizeof salt, NULL, 0,
	    NULL, 0, 0, 32, 1), SP_ERR_ARG);
	for (size_t i = 0; i < sizeof out; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(sp_kdf_argon2id_raw(NULL, 32, "pw", 2, salt, sizeof salt, NULL, 0, NULL, 0,
	    3, 32, 1), SP_ERR_ARG);
	assert_int_equal(sp_kdf_argon2id_raw(out, sizeof out, NULL, 2, salt, sizeof salt, NULL, 0,
	    NULL, 0, 3, 32, 1), SP_ERR_ARG);
	/* salt shorter than Argon2's 8-byte minimum */
	assert_int_equal(sp_kdf_argon2id_raw(out, sizeof out, "pw", 2, salt, 4, NULL, 0, NULL, 0,
	    3, 32, 1), SP_ERR_ARG);
}

static void test_default_is_accepted(void **state)
{
	sp_kdf_params p;

	(void)state;
	sp_kdf_default(&p);
	assert_int_equal(p.t_cost, SP_KDF_T_DEFAULT);
	assert_int_equal(p.m_cost_kib, SP_KDF_M_DEFAULT);
	assert_int_equal(p.parallelism, SP_KDF_P_DEFAULT);
	assert_int_equal(sp_kdf_check(&p), SP_OK);
	assert_int_equal(sp_kdf_check(NULL), SP_ERR_ARG);
}

static void test_bounds(void **state)
{
	static const struct {
		uint32_t t, m, p;
		int want;
	} cases[] = {
		{ SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MIN, SP_OK },
		{ SP_KDF_T_MAX, SP_KDF_M_MAX, SP_KDF_P_MAX, SP_OK },
		{ SP_KDF_T_MIN - 1, SP_KDF_M_MIN, SP_KDF_P_MIN, SP_ERR_KDF_PARAMS },
		{ SP_KDF_T_MAX + 1, SP_KDF_M_MIN, SP_KDF_P_MIN, SP_ERR_KDF_PARAMS },
		{ SP_KDF_T_MIN, SP_KDF_M_MIN - 1, SP_KDF_P_MIN, SP_ERR_KDF_PARAMS },
		{ SP_KDF_T_MIN, SP_KDF_M_MAX + 1, SP_KDF_P_MIN, SP_ERR_KDF_PARAMS },
		{ SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MIN - 1, SP_ERR_KDF_PARAMS },
		{ SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MAX + 1, SP_ERR_KDF_PARAMS },
		{ 0, 0, 0, SP_ERR_KDF_PARAMS },
		{ UINT32_MAX, UINT32_MAX, UINT32_MAX, SP_ERR_KDF_PARAMS },
	};
	sp_kdf_params p;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		params(&p, cases[i].t, cases[i].m, cases[i].p);
		assert_int_equal(sp_kdf_check(&p), cases[i].want);
	}
}

/* Costs that would take minutes and 4 GiB if computed: the refusal must come first and leave
 * the output untouched. */
static void test_derive_refuses_before_work(void **state)
{
	static const uint32_t bad[][3] = {
		{ SP_KDF_T_MAX + 1, SP_KDF_M_MAX, SP_KDF_P_MAX },
		{ SP_KDF_T_MAX, SP_KDF_M_MAX + 1, SP_KDF_P_MAX },
		{ SP_KDF_T_MAX, UINT32_MAX, SP_KDF_P_MAX },
		{ SP_KDF_T_MAX, SP_KDF_M_MAX, SP_KDF_P_MAX + 1 },
		{ SP_KDF_T_MIN - 1, SP_KDF_M_MIN, SP_KDF_P_MIN },
		{ SP_KDF_T_MIN, SP_KDF_M_MIN - 1, SP_KDF_P_MIN },
		{ SP_KDF_T_MIN, SP_KDF_M_MIN, 0 },
	};
	unsigned char out[SP_KDF_KEY_BYTES], salt[SP_KDF_SALT_BYTES] = { 0 };
	sp_kdf_params p;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(out, 0x5a, sizeof out);
		params(&p, bad[i][0], bad[i][1], bad[i][2]);
		assert_int_equal(sp_kdf_derive(out, "pw", 2, salt, &p), SP_ERR_KDF_PARAMS);
		for (size_t j = 0; j < sizeof out; j++)
			assert_int_equal(out[j], 0x5a);
	}
	assert_int_equal(sp_kdf_derive(out, "pw", 2, salt, NULL), SP_ERR_ARG);
}

static void test_derive_args(void **state)
{
	unsigned char out[SP_KDF_KEY_BYTES], salt[SP_KDF_SALT_BYTES] = { 0 };
	sp_kdf_params p;

	(void)state;
	params(&p, SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MIN);
	assert_int_equal(sp_kdf_derive(NULL, "pw", 2, salt, &p), SP_ERR_ARG);
	assert_int_equal(sp_kdf_derive(out, NULL, 2, salt, &p), SP_ERR_ARG);
	assert_int_equal(sp_kdf_derive(out, "pw", 2, NULL, &p), SP_ERR_ARG);
}

/* derive is raw Argon2id with no secret and no associated data, 32 bytes out. */
static void test_derive_matches_raw(void **state)
{
	unsigned char a[32], b[32], c[32], d[32], salt[SP_KDF_SALT_BYTES];
	sp_kdf_params p;

	(void)state;
	memset(salt, 0x42, sizeof salt);
	params(&p, SP_KDF_T_MIN, SP_KDF_M_MIN, 2);
	assert_int_equal(sp_kdf_derive(a, "correct horse", 13, salt, &p), SP_OK);
	assert_int_equal(sp_kdf_argon2id_raw(b, sizeof b, "correct horse", 13, salt, sizeof salt,
	    NULL, 0, NULL, 0, SP_KDF_T_MIN, SP_KDF_M_MIN, 2), SP_OK);
	assert_memory_equal(a, b, sizeof a);
	salt[0] ^= 1;
	assert_int_equal(sp_kdf_derive(c, "correct horse", 13, salt, &p), SP_OK);
	assert_memory_not_equal(a, c, sizeof a);
	salt[0] ^= 1;
	params(&p, SP_KDF_T_MIN, SP_KDF_M_MIN, 1); /* lanes change the result */
	assert_int_equal(sp_kdf_derive(d, "correct horse", 13, salt, &p), SP_OK);
	assert_memory_not_equal(a, d, sizeof a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9106_vector),
		cmocka_unit_test(test_raw_rejects_invalid),
		cmocka_unit_test(test_default_is_accepted),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_derive_refuses_before_work),
		cmocka_unit_test(test_derive_args),
		cmocka_unit_test(test_derive_matches_raw),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("kdf", tests, NULL, NULL);
}
