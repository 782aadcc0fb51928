/* sp_encoding.h - text forms: keys with checksums, armor, times. Pure functions. */
#ifndef SP_ENCODING_H
#define SP_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#define SP_RECIPIENT_PREFIX "spkpub1"
#define SP_IDENTITY_PREFIX "SPKSEC1"
#define SP_IDENTITY_ENC_PREFIX "SPKENC1"
#define SP_SIGNER_PREFIX "spksig1"            /* Ed25519 public key (format version 2) */
#define SP_SIGN_IDENTITY_PREFIX "SPKSIGSEC1"  /* Ed25519 seed */
#define SP_SIGN_IDENTITY_ENC_PREFIX "SPKSIGENC1" /* passphrase-protected seed */
#define SP_KEY_TEXT_MAX 256 /* buffer size that holds any key line plus NUL */

#define SP_ARMOR_BEGIN "-----BEGIN SECRETPACK BUNDLE-----"
#define SP_ARMOR_END "-----END SECRETPACK BUNDLE-----"
#define SP_ARMOR_MAX (16u << 20) /* armored input accepted up to 16 MiB */

/* RFC 4648 base32 without padding; decode is case-insensitive. */
size_t sp_base32_len(size_t binlen);
int sp_base32_encode(char *out, size_t cap, const unsigned char *bin, size_t len, int upper);
int sp_base32_decode(unsigned char *out, size_t cap, size_t *outlen, const char *text, size_t len);

/* out must hold SP_KEY_TEXT_MAX. Errors on decode: SP_ERR_ENCODING (wrong prefix, characters or
 * length; an identity given where a recipient is expected and vice versa), SP_ERR_CHECKSUM. */
int sp_recipient_encode(char *out, size_t cap, const unsigned char pk[32]);
int sp_recipient_decode(unsigned char pk[32], const char *text, size_t len);
int sp_identity_encode(char *out, size_t cap, const unsigned char sk[32]);   /* caller wipes out */
int sp_identity_decode(unsigned char sk[32], const char *text, size_t len); /* caller wipes sk */

/* Signing keys. A signing key given where an X25519 key is expected, or the reverse, is
 * SP_ERR_KEY_KIND (here and in the four functions above). */
int sp_signer_encode(char *out, size_t cap, const unsigned char pk[32]);
int sp_signer_decode(unsigned char pk[32], const char *text, size_t len);
int sp_sign_identity_encode(char *out, size_t cap, const unsigned char seed[32]);   /* caller wipes out */
int sp_sign_identity_decode(unsigned char seed[32], const char *text, size_t len); /* caller wipes seed */

/* The general form behind the key strings: prefix + base32(data || checksum4(label, data)).
 * data is at most 124 bytes. Encode: out gets a NUL-terminated line. Decode: data receives
 * exactly len bytes; same errors as above. Both wipe their intermediate buffers; the caller
 * owns and wipes out/data. */
int sp_keytext_encode(char *out, size_t cap, const char *prefix, const char *label,
    const unsigned char *data, size_t len, int upper);
int sp_keytext_decode(unsigned char *data, size_t len, const char *prefix, const char *label,
    const char *text, size_t tlen);
/* 1 if text (len bytes) starts with prefix, ASCII case-insensitively. */
int sp_prefix_match(const char *text, size_t len, const char *prefix);

/* Armor: BEGIN line, base64 lines of 64 characters, END line, LF (CRLF accepted on input).
 * Outputs are malloc'd; caller frees. */
int sp_armor_detect(const unsigned char *buf, size_t len); /* 1 if it starts like armor (after whitespace) */
int sp_armor_encode(char **out, size_t *outlen, const unsigned char *bin, size_t len);
int sp_armor_decode(unsigned char **out, size_t *outlen, const char *text, size_t len);

/* Times are unix seconds, UTC. Accepts YYYY-MM-DD (end of that day, 23:59:59Z),
 * YYYY-MM-DDTHH:MM:SSZ, and durations from now: N followed by s, m, h, d or w (e.g. 90d). */
int sp_time_parse(uint64_t *out, const char *text, uint64_t now);
/* RFC 3339 "YYYY-MM-DDTHH:MM:SSZ"; cap >= 21. */
int sp_time_format(char *out, size_t cap, uint64_t t);

#endif
