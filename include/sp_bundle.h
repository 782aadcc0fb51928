/* sp_bundle.h - the sealed bundle format (doc/FORMAT.md): header, recipient stanzas, payload. */
#ifndef SP_BUNDLE_H
#define SP_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "sp_kdf.h"

#define SP_MAGIC "SPKB\r\n\x1a\n" /* 8 bytes */
#define SP_MAGIC_BYTES 8
#define SP_VERSION 2      /* the version writers write; readers also read SP_VERSION_V1 */
#define SP_VERSION_V1 1
#define SP_SUITE_V1 1   /* X25519 box_seal, Argon2id+XSalsa20-Poly1305, HMAC-SHA-512-256, secretstream XChaCha20-Poly1305 */

#define SP_STANZA_X25519 1
#define SP_STANZA_ARGON2ID 2

#define SP_SIGNER_NONE 0     /* v2 header signer type: unsigned */
#define SP_SIGNER_ED25519 1  /* v2 header signer type: Ed25519ph signature trailer */
#define SP_SIGNER_BYTES 32   /* Ed25519 public key */
#define SP_SIGN_SECRET_BYTES 64 /* libsodium Ed25519 secret key (seed || public key) */
#define SP_SIGNATURE_BYTES 64
#define SP_SIGN_DOMAIN "secretpack v2 signature" /* signed with its NUL: 24 bytes */

/* Limits, all checked when reading before any allocation. The header and index limits sit above
 * the largest valid version 1 header (1545 bytes) and index (408580 bytes), with room for the
 * fields later versions add; doc/FORMAT.md gives the arithmetic. */
#define SP_HEADER_MAX 2048
#define SP_CONTEXT_MAX 128
#define SP_STANZAS_MAX 16
#define SP_ENTRIES_MAX 1024
#define SP_NAME_MAX 255
#define SP_NAME_DEPTH_MAX 8
#define SP_OWNER_MAX 64
#define SP_ENV_MAX 64
#define SP_ENTRY_SIZE_MAX (64ull << 20)  /* 64 MiB */
#define SP_TOTAL_SIZE_MAX (256ull << 20) /* 256 MiB */
#define SP_CHUNK_BYTES 65536
#define SP_INDEX_MAX (512u << 10)
#define SP_RESERVED_PREFIX ".secretpack" /* top-level names the vault uses for staging */

typedef struct {
	uint16_t version;
	uint8_t suite;
	uint64_t created;  /* unix seconds */
	uint64_t expires;  /* unix seconds, 0 = never */
	char context[SP_CONTEXT_MAX + 1]; /* NUL-terminated; "" = none */
	unsigned n_x25519;
	unsigned n_passphrase;
	sp_kdf_params kdf;  /* of the passphrase stanza, when n_passphrase == 1 */
	int is_signed;      /* v2 only: the header names a signer */
	unsigned char signer[SP_SIGNER_BYTES]; /* Ed25519 public key when is_signed */
} sp_bundle_info;

typedef struct {
	char name[SP_NAME_MAX + 1];   /* relative path, '/'-separated, validated */
	uint64_t size;
	uint32_t mode;                /* permission bits, <= 0777; default 0400 */
	char owner[SP_OWNER_MAX + 1]; /* "" or "user", "user:group", "uid:gid" */
	char env[SP_ENV_MAX + 1];     /* "" or environment variable name */
} sp_entry;

/* I/O callbacks; they return an sp_err value. A reader sets *got < len only at end of input. */
typedef int (*sp_write_fn)(void *ctx, const unsigned char *buf, size_t len);
typedef int (*sp_read_fn)(void *ctx, unsigned char *buf, size_t len, size_t *got);

/* Validation shared by seal, open, manifest and vault. SP_OK, SP_ERR_NAME or SP_ERR_META
 * (sp_context_check: SP_ERR_ARG for a bad character, SP_ERR_LIMIT when too long). */
int sp_name_check(const char *name);
int sp_env_check(const char *env);     /* [A-Za-z_][A-Za-z0-9_]*, not SECRETPACK_*, LD_*, PATH, HOME... */
int sp_owner_check(const char *owner); /* "" or name/uid [":" group/gid], portable charset;
                                        * numeric ids below 4294967295 */
int sp_mode_check(uint32_t mode);      /* <= 0777 and owner-readable (0400 bit set) */
int sp_context_check(const char *ctx); /* printable ASCII, <= SP_CONTEXT_MAX */
/* Whole entry list: each field valid, names unique, no name is a directory prefix of another,
 * env names unique (SP_ERR_DUPLICATE), counts and sizes within limits (SP_ERR_LIMIT). */
int sp_entries_check(const sp_entry *e, size_t n);

typedef struct {
	uint64_t created, expires;          /* expires 0 = never */
	const char *context;                /* NULL or "" = none */
	const unsigned char (*x25519)[32];  /* recipient public keys */
	size_t n_x25519;
	const char *passphrase;             /* NULL = no passphrase recipient */
	size_t passphrase_len;
	sp_kdf_params kdf;                  /* for the passphrase stanza */
	const sp_entry *entries;
	size_t n_entries;
	const unsigned char *sign_sk;       /* NULL, or the SP_SIGN_SECRET_BYTES signing key */
} sp_seal_params;

typedef struct sp_sealer sp_sealer;
/* Draws a file key, writes header and index through w. At least one recipient (identical
 * public keys count once), at most SP_STANZAS_MAX stanzas (SP_ERR_LIMIT); at least one entry
 * (SP_ERR_ARG); expires 0 or after created (SP_ERR_ARG). Entries are checked with
 * sp_entries_check, context with sp_context_check, kdf with sp_kdf_check. p and everything it
 * points to stay owned by the caller and may be freed on return. The sealer holds its secrets in
 * sodium_malloc memory. */
int sp_seal_begin(sp_sealer **out, const sp_seal_params *p, sp_write_fn w, void *wctx);
/* Writes version 2: with p->sign_sk the header names the signer and sp_seal_finish appends the
 * signature over every byte written before it. The index lists the recipients. */
/* Contents of the entries, concatenated in entry order, in pieces of any size. */
int sp_seal_write(sp_sealer *s, const unsigned char *buf, size_t len);
/* Fails (SP_ERR_ARG) unless exactly the declared sizes were written; writes the final message. */
int sp_seal_finish(sp_sealer *s);
/* Wipes and frees; NULL is fine. */
void sp_seal_free(sp_sealer *s);

typedef struct sp_opener sp_opener;
/* Reads and parses the header through r (no key needed). Errors: SP_ERR_NOT_BUNDLE (bad magic or
 * empty input), SP_ERR_TRUNCATED, SP_ERR_VERSION, SP_ERR_SUITE, SP_ERR_HEADER, SP_ERR_LIMIT,
 * SP_ERR_STANZA, SP_ERR_KDF_PARAMS, or the reader's error.
 * On SP_ERR_VERSION and SP_ERR_SUITE *out is still set, to an opener that only sp_open_info
 * (version, and suite once read; the rest zero) and sp_open_free accept, so that the caller can
 * name what it found. On any other error *out is NULL. */
int sp_open_begin(sp_opener **out, sp_read_fn r, void *rctx);
/* Header fields; not authenticated until sp_open_unlock succeeds. */
void sp_open_info(const sp_opener *o, sp_bundle_info *info);
/* Right after sp_open_begin, before unlocking: the bundle must name one of the n signers
 * (Ed25519 public keys) in its header. SP_ERR_UNSIGNED (no signer: an unsigned v2 bundle or any
 * v1 bundle), SP_ERR_UNTRUSTED (another signer). The signature itself is checked at the end of
 * sp_open_payload (always, when the header names a signer), or by sp_open_verify. */
int sp_open_trust(const sp_opener *o, const unsigned char (*signers)[SP_SIGNER_BYTES], size_t n);
/* Right after sp_open_begin, instead of unlocking: reads the rest of the input without
 * decrypting anything and verifies the signature over it. SP_ERR_UNSIGNED, SP_ERR_TRUNCATED,
 * SP_ERR_SIGNATURE, or the reader's error. Afterwards only sp_open_info and sp_open_free. */
int sp_open_verify(sp_opener *o);
/* Recovers the file key from any X25519 stanza with any of the n_sk secret keys, else from the
 * passphrase stanza if pass != NULL; then verifies the header MAC. Errors: SP_ERR_WRONG_KEY,
 * SP_ERR_WRONG_PASS, SP_ERR_NO_PASS_STANZA (only when n_sk == 0), SP_ERR_HEADER_MAC (final),
 * SP_ERR_ARG (no key and no passphrase). After a wrong key or passphrase it may be called again.
 * sk and pass stay owned by the caller; the file key and subkeys live in o, wiped on free. */
int sp_open_unlock(sp_opener *o, const unsigned char (*sk)[32], size_t n_sk, const char *pass,
    size_t pass_len);
/* After unlock. Context must equal the bundle's exactly (NULL = ""): SP_ERR_CONTEXT.
 * Expiry set and now >= expires: SP_ERR_EXPIRED. */
int sp_open_check(const sp_opener *o, const char *context, uint64_t now);
/* After unlock: SP_ERR_NOT_BEFORE when the bundle was created before not_before (unix seconds;
 * 0 sets no floor). created is authenticated by the MAC, and signed when the bundle is. */
int sp_open_check_created(const sp_opener *o, uint64_t not_before);
/* After unlock: decrypts and validates the index (SP_ERR_TRUNCATED, SP_ERR_TAMPERED,
 * SP_ERR_PAYLOAD, SP_ERR_LIMIT, SP_ERR_NAME, SP_ERR_DUPLICATE, SP_ERR_META). *entries stays owned
 * by o. Does not check context or expiry: call sp_open_check first. */
int sp_open_index(sp_opener *o, const sp_entry **entries, size_t *n);
/* After index, version 2: the recipients the bundle was sealed to, as its index lists them (n is
 * 0 for version 1), whether it has a passphrase recipient, and which key opened it (*mine: index
 * into *pks, or -1 when a passphrase or no listed key did). *pks stays owned by o. */
int sp_open_recipients(const sp_opener *o, const unsigned char (**pks)[32], size_t *n,
    int *passphrase, int *mine);
/* After index: for each entry in order, sink(ctx, idx, buf, len) zero or more times with len > 0,
 * then sink(ctx, idx, NULL, 0) once. Returns SP_OK only when the final message authenticated and
 * the input ended right after it; sink output is untrusted until then. buf is the opener's
 * (sodium_malloc) chunk: overwritten by the next message and wiped by sp_open_free. */
typedef int (*sp_sink_fn)(void *ctx, size_t idx, const unsigned char *buf, size_t len);
/* Errors: SP_ERR_TRUNCATED, SP_ERR_TAMPERED, SP_ERR_PAYLOAD (authenticated message with the
 * wrong tag), SP_ERR_TRAILING, SP_ERR_SIGNATURE (a signed bundle whose signature does not verify
 * over every byte read), or the sink's own error, which stops the reading. */
int sp_open_payload(sp_opener *o, sp_sink_fn sink, void *ctx);
/* Two passes, for input that can be read twice (a regular file, decoded armor, staged input).
 * sp_open_authenticate, after index, instead of sp_open_payload: the first pass. Reads the rest of
 * the input and authenticates every message without decrypting any content (no plaintext beyond
 * the index exists), then the end of the input and the signature, with the errors of
 * sp_open_payload. Only then is the bundle known to be whole and authentic. */
int sp_open_authenticate(sp_opener *o);
/* For input that can be read only once (a pipe): from right after sp_open_begin or
 * sp_open_unlock (nothing after the header read yet), w gets the header and then every byte
 * read, so that the caller can stage the ciphertext and give it back to sp_open_restart. w's
 * error stops the reading. Until sp_open_restart. */
int sp_open_tee(sp_opener *o, sp_write_fn w, void *wctx);
/* After sp_open_authenticate: the caller has set r (with rctx) at the first byte of the same
 * input. Reads the header and the stream header again and requires them equal byte for byte to
 * the first pass's, then the index, which must authenticate again (SP_ERR_TAMPERED for any
 * change, SP_ERR_TRUNCATED for a shorter input, or the reader's error). */
int sp_open_restart(sp_opener *o, sp_read_fn r, void *rctx);
/* After sp_open_restart: the second pass delivers entry idx only, through sink as sp_open_payload
 * does (pieces, then sink(ctx, idx, NULL, 0)). Every message up to the entry's last byte is
 * authenticated again, the secretstream chaining each to all before it, so a message that differs
 * from the first pass fails (SP_ERR_TAMPERED, SP_ERR_TRUNCATED) at that message: what the sink got
 * before is then a prefix of the authenticated entry. Messages before the entry are authenticated
 * without being decrypted; the reading stops after the entry. */
int sp_open_entry(sp_opener *o, size_t idx, sp_sink_fn sink, void *ctx);
/* Wipes and frees; NULL is fine. */
void sp_open_free(sp_opener *o);

#endif
