/* sp_identity.h - identity files (secret keys) and recipients files (public keys), parsed from text. */
#ifndef SP_IDENTITY_H
#define SP_IDENTITY_H

#include <stddef.h>

#include "sp_kdf.h"

typedef struct {
	size_t n;
	unsigned char (*sk)[32]; /* sodium_malloc'd; sp_identities_free wipes */
} sp_identities;

/* Asked for at most once per parse, only if an encrypted identity line is present.
 * Writes the passphrase into buf (cap bytes) and its length into *len. Returns sp_err. */
typedef int (*sp_pass_fn)(void *ctx, char *buf, size_t cap, size_t *len);

/* Appends every identity of an identity file's text to ids. Lines: blank, '#' comments,
 * SPKSEC1... or SPKENC1... (passphrase-protected). Zero identities is SP_ERR_ENCODING.
 * On error *bad_line is the 1-based line (0 if not line-specific) and ids is unchanged. */
int sp_identities_parse(sp_identities *ids, const char *text, size_t len, sp_pass_fn pass,
    void *pass_ctx, size_t *bad_line);
void sp_identities_free(sp_identities *ids);

/* One SPKENC1 line for sk under pass (Argon2id with p, then secretbox). Draws salt and nonce.
 * out: cap >= SP_KEY_TEXT_MAX; the line holds no secret in the clear. */
int sp_identity_encrypt(char *out, size_t cap, const unsigned char sk[32], const char *pass,
    size_t pass_len, const sp_kdf_params *p);
/* SP_ERR_WRONG_PASS, SP_ERR_KDF_PARAMS, SP_ERR_ENCODING, SP_ERR_CHECKSUM. */
int sp_identity_decrypt(unsigned char sk[32], const char *line, size_t len, const char *pass,
    size_t pass_len);

/* Appends the recipients of a recipients file's text (one spkpub1 per line, blank lines and '#'
 * comments) to *pks (realloc'd array, caller frees). Zero recipients is SP_ERR_ENCODING. */
int sp_recipients_parse(unsigned char (**pks)[32], size_t *n, const char *text, size_t len,
    size_t *bad_line);

/* Signing identities (format version 2). One SPKSIGENC1 line for the Ed25519 seed under pass. */
int sp_sign_identity_encrypt(char *out, size_t cap, const unsigned char seed[32], const char *pass,
    size_t pass_len, const sp_kdf_params *p);
/* A signing identity file's text: exactly one SPKSIGSEC1 or SPKSIGENC1 line (else
 * SP_ERR_ENCODING; an X25519 identity is SP_ERR_KEY_KIND). sk receives libsodium's 64-byte
 * secret key and pk the signer key; the caller wipes sk. */
int sp_sign_identity_parse(unsigned char sk[64], unsigned char pk[32], const char *text,
    size_t len, sp_pass_fn pass, void *pass_ctx, size_t *bad_line);
/* Like sp_recipients_parse, for spksig1 signer keys (a trust list). */
int sp_signers_parse(unsigned char (**pks)[32], size_t *n, const char *text, size_t len,
    size_t *bad_line);

#endif
