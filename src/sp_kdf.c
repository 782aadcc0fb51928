/* sp_kdf.c - Argon2id passphrase KDF over libargon2, with cost limits checked before any work. */
#include <string.h>

#include <argon2.h>
#include <sodium.h>

#include "sp_err.h"
#include "sp_kdf.h"
#include "sp_secmem.h"

int sp_passphrase_check(const char *pass, size_t len)
{
	if (pass == NULL || len == 0)
		return SP_ERR_ARG;
	if (len > SP_PASS_MAX)
		return SP_ERR_LIMIT;
	for (size_t i = 0; i < len; i++)
		if (pass[i] == '\0' || pass[i] == '\r' || pass[i] == '\n')
			return SP_ERR_ARG;
	return SP_OK;
}

size_t sp_passphrase_line(const char *line, size_t len)
{
	if (line == NULL)
		return 0;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	else
		return len;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len;
}

void sp_kdf_default(sp_kdf_params *p)
{
	p->t_cost = SP_KDF_T_DEFAULT;
	p->m_cost_kib = SP_KDF_M_DEFAULT;
	p->parallelism = SP_KDF_P_DEFAULT;
}

int sp_kdf_check(const sp_kdf_params *p)
{
	if (p == NULL)
		return SP_ERR_ARG;
	if (p->t_cost < SP_KDF_T_MIN || p->t_cost > SP_KDF_T_MAX)
		return SP_ERR_KDF_PARAMS;
	if (p->m_cost_kib < SP_KDF_M_MIN || p->m_cost_kib > SP_KDF_M_MAX)
		return SP_ERR_KDF_PARAMS;
	if (p->parallelism < SP_KDF_P_MIN || p->parallelism > SP_KDF_P_MAX)
		return SP_ERR_KDF_PARAMS;
	return SP_OK;
}

int sp_kdf_derive(unsigned char out[SP_KDF_KEY_BYTES], const char *pass, size_t pass_len,
    const unsigned char salt[SP_KDF_SALT_BYTES], const sp_kdf_params *p)
{
	int err;

	if ((err = sp_kdf_check(p)) != SP_OK)
		return err;
	if (out == NULL || salt == NULL || (pass == NULL && pass_len > 0))
		return SP_ERR_ARG;
	return sp_kdf_argon2id_raw(out, SP_KDF_KEY_BYTES, pass, pass_len, salt, SP_KDF_SALT_BYTES,
	    NULL, 0, NULL, 0, p->t_cost, p->m_cost_kib, p->parallelism);
}

static int map_argon2(int rc)
{
	if (rc == ARGON2_OK)
		return SP_OK;
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
		return SP_ERR_NOMEM;
	if (rc == ARGON2_THREAD_FAIL)
		return SP_ERR_CRYPTO;
	return SP_ERR_ARG;
}

/* copy appends src to buf at *off and returns where it went (NULL for an empty input). */
static uint8_t *copy(uint8_t *buf, size_t *off, const void *src, size_t len)
{
	uint8_t *at = buf + *off;

	if (len == 0)
		return NULL;
	memcpy(at, src, len);
	*off += len;
	return at;
}

int sp_kdf_argon2id_raw(unsigned char *out, size_t outlen, const void *pwd, size_t pwdlen,
    const void *salt, size_t saltlen, const void *secret, size_t secretlen,
    const void *ad, size_t adlen, uint32_t t, uint32_t m_kib, uint32_t p)
{
	argon2_context ctx;
	uint8_t *buf = NULL;
	size_t total, off = 0;
	int err;

	if (out == NULL || outlen > UINT32_MAX || pwdlen > UINT32_MAX || saltlen > UINT32_MAX ||
	    secretlen > UINT32_MAX || adlen > UINT32_MAX)
		return SP_ERR_ARG;
	if ((pwd == NULL && pwdlen) || (salt == NULL && saltlen) || (secret == NULL && secretlen) ||
	    (ad == NULL && adlen))
		return SP_ERR_ARG;
	total = pwdlen + saltlen + secretlen + adlen;
	if (total < pwdlen || total > UINT32_MAX)
		return SP_ERR_ARG;
	/* argon2_context takes mutable pointers: hand it a private, wiped copy of the inputs. */
	if ((buf = sp_secmem_alloc(total + 1)) == NULL)
		return SP_ERR_NOMEM;
	memset(&ctx, 0, sizeof ctx);
	ctx.out = out;
	ctx.outlen = (uint32_t)outlen;
	ctx.pwd = copy(buf, &off, pwd, pwdlen);
	ctx.pwdlen = (uint32_t)pwdlen;
	ctx.salt = copy(buf, &off, salt, saltlen);
	ctx.saltlen = (uint32_t)saltlen;
	ctx.secret = copy(buf, &off, secret, secretlen);
	ctx.secretlen = (uint32_t)secretlen;
	ctx.ad = copy(buf, &off, ad, adlen);
	ctx.adlen = (uint32_t)adlen;
	ctx.t_cost = t;
	ctx.m_cost = m_kib;
	ctx.lanes = p;
	ctx.threads = p;
	ctx.version = ARGON2_VERSION_13;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	err = map_argon2(argon2_ctx(&ctx, Argon2_id));
	if (err != SP_OK)
		sodium_memzero(out, outlen);
	sodium_memzero(&ctx, sizeof ctx);
	sp_secmem_free(buf); /* wipes */
	return err;
}
