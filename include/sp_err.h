/* sp_err.h - error values shared by every layer; 0 is success. */
#ifndef SP_ERR_H
#define SP_ERR_H

typedef enum {
	SP_OK = 0,
	SP_ERR_NOMEM,        /* allocation failed */
	SP_ERR_IO,           /* read/write failure (errno is meaningful) */
	SP_ERR_ARG,          /* invalid argument passed by the caller */
	SP_ERR_LIMIT,        /* a size or count exceeds a documented limit */
	/* bundle, outer layers */
	SP_ERR_NOT_BUNDLE,   /* bad magic: not a secretpack bundle */
	SP_ERR_VERSION,      /* newer/unknown format version */
	SP_ERR_SUITE,        /* unknown or weaker algorithm suite */
	SP_ERR_HEADER,       /* malformed header (bad lengths, fields) */
	SP_ERR_STANZA,       /* unknown stanza type, duplicated stanza, bad stanza length */
	SP_ERR_KDF_PARAMS,   /* Argon2 parameters below the floor or above the ceiling */
	SP_ERR_WRONG_KEY,    /* no identity opens any X25519 stanza */
	SP_ERR_WRONG_PASS,   /* passphrase does not open the passphrase stanza */
	SP_ERR_NO_PASS_STANZA, /* a passphrase was given but the bundle has no passphrase recipient */
	SP_ERR_HEADER_MAC,   /* header MAC mismatch: header tampered */
	SP_ERR_CONTEXT,      /* context mismatch */
	SP_ERR_EXPIRED,      /* bundle past its expiry time */
	SP_ERR_TRUNCATED,    /* input ended early */
	SP_ERR_TAMPERED,     /* payload authentication failed */
	SP_ERR_TRAILING,     /* bytes after the final payload message */
	SP_ERR_PAYLOAD,      /* authenticated payload is malformed (bad records) */
	SP_ERR_NAME,         /* entry name unsafe (absolute, .., control chars...) */
	SP_ERR_DUPLICATE,    /* two entries with the same name (or a file/dir clash) */
	SP_ERR_META,         /* bad entry metadata: mode, owner or env variable name */
	/* text encodings */
	SP_ERR_ENCODING,     /* not a recipient/identity string, bad characters */
	SP_ERR_CHECKSUM,     /* checksum mismatch: typo or truncation */
	SP_ERR_ARMOR,        /* malformed armor */
	SP_ERR_TIME,         /* unparsable time */
	/* files and runtime */
	SP_ERR_PERM,         /* file permissions too loose */
	SP_ERR_EXISTS,       /* refusing to overwrite */
	SP_ERR_NOT_FOUND,    /* entry/user/group not found */
	SP_ERR_NOT_TMPFS,    /* directory is not on tmpfs/ramfs */
	SP_ERR_UNSAFE_PATH,  /* symlink, FIFO, device or other non-regular object where a file/dir was expected */
	SP_ERR_PRIV,         /* privilege drop failed or could not be verified */
	SP_ERR_MANIFEST,     /* manifest syntax or content error */
	SP_ERR_CRYPTO,       /* unexpected libsodium/libargon2 failure */
	/* signatures (format version 2) */
	SP_ERR_UNSIGNED,     /* a signature is required and the bundle has none */
	SP_ERR_UNTRUSTED,    /* signed by a key the opener does not trust */
	SP_ERR_SIGNATURE,    /* the signature does not verify: modified after signing */
	SP_ERR_KEY_KIND,     /* a signing key where an X25519 key is expected, or the reverse */
	SP_ERR_NOT_BEFORE,   /* created before the opener's not-before time */
	SP_ERR_COUNT_
} sp_err;

/* Short lowercase description of an error value, never NULL. */
const char *sp_err_str(int err);

#endif
