/* sp_identity.c - identity files (plain and passphrase-protected secret keys) and recipients files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_crypto.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_kdf.h"
#include "sp_secmem.h"

#define LABEL_ENCRYPTED "secretpack encrypted identity"
#define LABEL_SIGN_ENCRYPTED "secretpack encrypted signing identity"
#define PASS_CAP 1024

/* SPKENC1 payload: salt, t, m, p (u32 little-endian), nonce, secretbox(sk). */
#define ENC_SALT 0
#define ENC_PARAMS (ENC_SALT + SP_KDF_SALT_BYTES)
#define ENC_NONCE (ENC_PARAMS + 12)
#define ENC_BOX (ENC_NONCE + SP_SECRETBOX_NONCE_BYTES)
#define ENC_BYTES (ENC_BOX + 32 + SP_SECRETBOX_MAC_BYTES) /* 100 */

static void put_u32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int encrypt_key(char *out, size_t cap, const char *prefix, const char *label,
    const unsigned char sk[32], const char *pass, size_t pass_len, const sp_kdf_params *p)
{
	unsigned char buf[ENC_BYTES];
	unsigned char key[SP_KDF_KEY_BYTES];
	int err;

	if (out == NULL || sk == NULL || (pass == NULL && pass_len > 0) || p == NULL)
		return SP_ERR_ARG;
	if ((err = sp_passphrase_check(pass, pass_len)) != SP_OK)
		return err;
	if ((err = sp_kdf_check(p)) != SP_OK)
		return err;
	sp_random(buf + ENC_SALT, SP_KDF_SALT_BYTES);
	put_u32le(buf + ENC_PARAMS, p->t_cost);
	put_u32le(buf + ENC_PARAMS + 4, p->m_cost_kib);
	put_u32le(buf + ENC_PARAMS + 8, p->parallelism);
	sp_random(buf + ENC_NONCE, SP_SECRETBOX_NONCE_BYTES);
	if ((err = sp_kdf_derive(key, pass != NULL ? pass : "", pass_len, buf + ENC_SALT, p)) != SP_OK)
		goto out;
	if ((err = sp_secretbox_seal(buf + ENC_BOX, sk, 32, buf + ENC_NONCE, key)) != SP_OK)
		goto out;
	err = sp_keytext_encode(out, cap, prefix, label, buf, sizeof buf, 1);
out:
	sodium_memzero(key, sizeof key);
	sodium_memzero(buf, sizeof buf);
	return err;
}

static int decrypt_key(unsigned char sk[32], const char *prefix, const char *label,
    const char *line, size_t len, const char *pass, size_t pass_len)
{
	unsigned char buf[ENC_BYTES];
	unsigned char key[SP_KDF_KEY_BYTES];
	sp_kdf_params p;
	int err;

	if (sk == NULL || line == NULL || (pass == NULL && pass_len > 0))
		return SP_ERR_ARG;
	err = sp_keytext_decode(buf, sizeof buf, prefix, label, line, len);
	if (err != SP_OK)
		goto out;
	p.t_cost = get_u32le(buf + ENC_PARAMS);
	p.m_cost_kib = get_u32le(buf + ENC_PARAMS + 4);
	p.parallelism = get_u32le(buf + ENC_PARAMS + 8);
	if ((err = sp_kdf_check(&p)) != SP_OK)
		goto out;
	if ((err = sp_kdf_derive(key, pass != NULL ? pass : "", pass_len, buf + ENC_SALT, &p)) != SP_OK)
		goto out;
	err = sp_secretbox_open(sk, buf + ENC_BOX, 32 + SP_SECRETBOX_MAC_BYTES, buf + ENC_NONCE, key);
out:
	sodium_memzero(key, sizeof key);
	sodium_memzero(buf, sizeof buf);
	return err;
}

int sp_identity_encrypt(char *out, size_t cap, const unsigned char sk[32], const char *pass,
    size_t pass_len, const sp_kdf_params *p)
{
	return encrypt_key(out, cap, SP_IDENTITY_ENC_PREFIX, LABEL_ENCRYPTED, sk, pass, pass_len, p);
}

int sp_identity_decrypt(unsigned char sk[32], const char *line, size_t len, const char *pass,
    size_t pass_len)
{
	if (sp_prefix_match(line, len, SP_SIGN_IDENTITY_ENC_PREFIX))
		return SP_ERR_KEY_KIND;
	return decrypt_key(sk, SP_IDENTITY_ENC_PREFIX, LABEL_ENCRYPTED, line, len, pass, pass_len);
}

int sp_sign_identity_encrypt(char *out, size_t cap, const unsigned char seed[32], const char *pass,
    size_t pass_len, const sp_kdf_params *p)
{
	return encrypt_key(out, cap, SP_SIGN_IDENTITY_ENC_PREFIX, LABEL_SIGN_ENCRYPTED, seed, pass,
	    pass_len, p);
}

/* ---- line-oriented files ---- */

typedef struct {
	const char *text;
	size_t len, pos, lineno;
} lines;

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Next line that is neither blank nor a '#' comment, trimmed; 0 at the end of the text. */
static int next_line(lines *l, const char **s, size_t *n)
{
	while (l->pos < l->len) {
		const char *start = l->text + l->pos;
		const char *nl = memchr(start, '\n', l->len - l->pos);
		size_t end = nl != NULL ? (size_t)(nl - start) : l->len - l->pos, b = 0;

		l->pos += nl != NULL ? end + 1 : end;
		l->lineno++;
		while (b < end && is_blank((unsigned char)start[b]))
			b++;
		while (end > b && is_blank((unsigned char)start[end - 1]))
			end--;
		if (end == b || start[b] == '#')
			continue;
		*s = start + b;
		*n = end - b;
		return 1;
	}
	return 0;
}

static size_t count_lines(const char *text, size_t len)
{
	lines l = { text, len, 0, 0 };
	const char *s;
	size_t n, count = 0;

	while (next_line(&l, &s, &n))
		count++;
	return count;
}

typedef struct {
	sp_pass_fn fn;
	void *ctx;
	char *buf;  /* locked memory (sp_secmem.h) once asked */
	size_t len;
	int asked;
} pass_cache;

static int pass_get(pass_cache *pc)
{
	int err;

	if (pc->asked)
		return pc->buf != NULL ? SP_OK : SP_ERR_ARG;
	pc->asked = 1;
	if (pc->fn == NULL)
		return SP_ERR_ARG;
	if ((pc->buf = sp_secmem_alloc(PASS_CAP)) == NULL)
		return SP_ERR_NOMEM;
	pc->len = 0;
	err = pc->fn(pc->ctx, pc->buf, PASS_CAP, &pc->len);
	if (err == SP_OK && pc->len > PASS_CAP)
		err = SP_ERR_ARG;
	if (err != SP_OK) {
		sp_secmem_free(pc->buf); /* wipes */
		pc->buf = NULL;
	}
	return err;
}

static void pass_wipe(pass_cache *pc)
{
	sp_secmem_free(pc->buf); /* wipes */
	pc->buf = NULL;
}

static int identity_line(unsigned char sk[32], const char *s, size_t n, pass_cache *pc)
{
	int err;

	if (sp_prefix_match(s, n, SP_SIGN_IDENTITY_PREFIX) ||
	    sp_prefix_match(s, n, SP_SIGN_IDENTITY_ENC_PREFIX))
		return SP_ERR_KEY_KIND;

	if (!sp_prefix_match(s, n, SP_IDENTITY_ENC_PREFIX))
		return sp_identity_decode(sk, s, n);
	if ((err = pass_get(pc)) != SP_OK)
		return err;
	return sp_identity_decrypt(sk, s, n, pc->buf, pc->len);
}

static void keys_free(unsigned char (*sk)[32], size_t n)
{
	if (sk == NULL)
		return;
	sodium_memzero(sk, n * sizeof *sk);
	sp_secmem_free(sk);
}

/* The new keys go into a fresh array holding the old ones too, swapped in only on success,
 * so that on any error ids is exactly as it was. */
int sp_identities_parse(sp_identities *ids, const char *text, size_t len, sp_pass_fn pass,
    void *pass_ctx, size_t *bad_line)
{
	pass_cache pc = { pass, pass_ctx, NULL, 0, 0 };
	lines l = { text, len, 0, 0 };
	unsigned char (*sk)[32] = NULL;
	const char *s;
	size_t n, cap, used;
	int err = SP_ERR_ENCODING;

	if (bad_line != NULL)
		*bad_line = 0;
	if (ids == NULL || (text == NULL && len > 0) || (ids->sk == NULL && ids->n > 0))
		return SP_ERR_ARG;
	cap = count_lines(text, len);
	if (cap == 0)
		return SP_ERR_ENCODING;
	if (ids->n > SIZE_MAX / sizeof *sk - cap)
		return SP_ERR_LIMIT;
	cap += ids->n;
	if ((sk = sp_secmem_alloc(cap * sizeof *sk)) == NULL)
		return SP_ERR_NOMEM;
	if (ids->n > 0)
		memcpy(sk, ids->sk, ids->n * sizeof *sk);
	used = ids->n;
	while (next_line(&l, &s, &n)) {
		if ((err = identity_line(sk[used], s, n, &pc)) != SP_OK) {
			if (bad_line != NULL)
				*bad_line = l.lineno;
			goto out;
		}
		used++;
	}
	keys_free(ids->sk, ids->n);
	ids->sk = sk;
	ids->n = used;
	sk = NULL;
	err = SP_OK;
out:
	keys_free(sk, cap);
	pass_wipe(&pc);
	return err;
}

void sp_identities_free(sp_identities *ids)
{
	if (ids == NULL)
		return;
	keys_free(ids->sk, ids->n);
	ids->sk = NULL;
	ids->n = 0;
}

/* A signing identity file: exactly one SPKSIGSEC1 or SPKSIGENC1 line. */
int sp_sign_identity_parse(unsigned char sk[64], unsigned char pk[32], const char *text,
    size_t len, sp_pass_fn pass, void *pass_ctx, size_t *bad_line)
{
	pass_cache pc = { pass, pass_ctx, NULL, 0, 0 };
	lines l = { text, len, 0, 0 };
	unsigned char seed[32];
	const char *s;
	size_t n;
	int err = SP_ERR_ENCODING;

	if (bad_line != NULL)
		*bad_line = 0;
	if (sk == NULL || pk == NULL || (text == NULL && len > 0))
		return SP_ERR_ARG;
	if (count_lines(text, len) != 1 || !next_line(&l, &s, &n))
		return SP_ERR_ENCODING;
	if (sp_prefix_match(s, n, SP_SIGN_IDENTITY_ENC_PREFIX)) {
		if ((err = pass_get(&pc)) == SP_OK)
			err = decrypt_key(seed, SP_SIGN_IDENTITY_ENC_PREFIX, LABEL_SIGN_ENCRYPTED, s, n,
			    pc.buf, pc.len);
	} else {
		err = sp_sign_identity_decode(seed, s, n);
	}
	if (err == SP_OK)
		err = sp_sign_from_seed(pk, sk, seed);
	if (err != SP_OK && bad_line != NULL && err != SP_ERR_ARG)
		*bad_line = l.lineno;
	sodium_memzero(seed, sizeof seed);
	pass_wipe(&pc);
	return err;
}

typedef int (*key_decode_fn)(unsigned char pk[32], const char *text, size_t len);
static int keys_parse(key_decode_fn decode, unsigned char (**pks)[32], size_t *n,
    const char *text, size_t len, size_t *bad_line);

int sp_recipients_parse(unsigned char (**pks)[32], size_t *n, const char *text, size_t len,
    size_t *bad_line)
{
	return keys_parse(sp_recipient_decode, pks, n, text, len, bad_line);
}

int sp_signers_parse(unsigned char (**pks)[32], size_t *n, const char *text, size_t len,
    size_t *bad_line)
{
	return keys_parse(sp_signer_decode, pks, n, text, len, bad_line);
}

static int keys_parse(key_decode_fn decode, unsigned char (**pks)[32], size_t *n,
    const char *text, size_t len, size_t *bad_line)
{
	lines l = { text, len, 0, 0 };
	unsigned char (*grown)[32];
	unsigned char (*tmp)[32] = NULL;
	const char *s;
	size_t sn, count, used = 0;
	int err = SP_ERR_ENCODING;

	if (bad_line != NULL)
		*bad_line = 0;
	if (pks == NULL || n == NULL || (text == NULL && len > 0) || (*pks == NULL && *n > 0))
		return SP_ERR_ARG;
	count = count_lines(text, len);
	if (count == 0)
		return SP_ERR_ENCODING;
	if ((tmp = malloc(count * sizeof *tmp)) == NULL)
		return SP_ERR_NOMEM;
	while (next_line(&l, &s, &sn)) {
		if ((err = decode(tmp[used], s, sn)) != SP_OK) {
			if (bad_line != NULL)
				*bad_line = l.lineno;
			goto out;
		}
		used++;
	}
	err = SP_ERR_LIMIT;
	if (*n > SIZE_MAX / sizeof *tmp - used)
		goto out;
	err = SP_ERR_NOMEM;
	/* NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI): used == count > 0 here */
	if ((grown = realloc(*pks, (*n + used) * sizeof *grown)) == NULL)
		goto out;
	memcpy(grown[*n], tmp, used * sizeof *tmp);
	*pks = grown;
	*n += used;
	err = SP_OK;
out:
	free(tmp);
	return err;
}
