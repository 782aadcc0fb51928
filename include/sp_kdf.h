/* sp_kdf.h - Argon2id passphrase KDF (libargon2; the only user of it). */
#ifndef SP_KDF_H
#define SP_KDF_H

#include <stddef.h>
#include <stdint.h>

#define SP_KDF_SALT_BYTES 16
#define SP_KDF_KEY_BYTES 32
#define SP_PASS_MAX 1024 /* bytes of a passphrase */

/* Defaults: RFC 9106 second recommended option. */
#define SP_KDF_T_DEFAULT 3u
#define SP_KDF_M_DEFAULT 65536u /* KiB = 64 MiB */
#define SP_KDF_P_DEFAULT 4u

/* Accepted when reading; anything outside is SP_ERR_KDF_PARAMS, checked before allocating. */
#define SP_KDF_T_MIN 2u
#define SP_KDF_T_MAX 64u
#define SP_KDF_M_MIN 19456u   /* KiB (19 MiB) */
#define SP_KDF_M_MAX 1048576u /* KiB (1 GiB) */
#define SP_KDF_P_MIN 1u
#define SP_KDF_P_MAX 16u

typedef struct {
	uint32_t t_cost;     /* passes */
	uint32_t m_cost_kib; /* memory in KiB */
	uint32_t parallelism; /* lanes, and threads */
} sp_kdf_params;

/* A passphrase is the exact bytes given: 1 to SP_PASS_MAX bytes, none of them NUL, CR or LF
 * (SP_ERR_ARG when empty or holding one, SP_ERR_LIMIT when too long). No normalisation. */
int sp_passphrase_check(const char *pass, size_t len);
/* The passphrase length of a line read from a file, a variable or a terminal: len less exactly
 * one trailing LF or CR LF. The result still goes through sp_passphrase_check. */
size_t sp_passphrase_line(const char *line, size_t len);

void sp_kdf_default(sp_kdf_params *p);
/* SP_OK or SP_ERR_KDF_PARAMS. */
int sp_kdf_check(const sp_kdf_params *p);
/* out: caller-owned, caller wipes. Checks params first. */
int sp_kdf_derive(unsigned char out[SP_KDF_KEY_BYTES], const char *pass, size_t pass_len,
    const unsigned char salt[SP_KDF_SALT_BYTES], const sp_kdf_params *p);
/* Full Argon2id (secret and associated data, any length) for RFC 9106 vectors; no floor check. */
int sp_kdf_argon2id_raw(unsigned char *out, size_t outlen, const void *pwd, size_t pwdlen,
    const void *salt, size_t saltlen, const void *secret, size_t secretlen,
    const void *ad, size_t adlen, uint32_t t, uint32_t m_kib, uint32_t p);

#endif
