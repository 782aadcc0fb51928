/* sp_err.c - one lowercase message per error value, saying what to do where it can. */
#include "sp_err.h"

static const char *const msgs[SP_ERR_COUNT_] = {
	[SP_OK] = "ok",
	[SP_ERR_NOMEM] = "out of memory",
	[SP_ERR_IO] = "input/output error",
	[SP_ERR_ARG] = "invalid argument",
	[SP_ERR_LIMIT] = "exceeds a size or count limit (see doc/FORMAT.md)",
	[SP_ERR_NOT_BUNDLE] = "not a secretpack bundle",
	[SP_ERR_VERSION] = "unsupported bundle format version: upgrade secretpack",
	[SP_ERR_SUITE] = "unknown or unsupported algorithm suite: refusing to downgrade",
	[SP_ERR_HEADER] = "malformed bundle header: the bundle is corrupt",
	[SP_ERR_STANZA] = "malformed, unknown or duplicated recipient stanza: the bundle is corrupt",
	[SP_ERR_KDF_PARAMS] = "passphrase cost parameters out of the accepted range: refusing",
	[SP_ERR_WRONG_KEY] = "wrong key or not a recipient: use an identity the bundle was sealed to",
	[SP_ERR_WRONG_PASS] = "wrong passphrase",
	[SP_ERR_NO_PASS_STANZA] = "the bundle has no passphrase recipient: use an identity",
	[SP_ERR_HEADER_MAC] = "header authentication failed: the bundle was tampered with",
	[SP_ERR_CONTEXT] = "context mismatch: the bundle was sealed for another deployment",
	[SP_ERR_EXPIRED] = "the bundle has expired: seal a new one",
	[SP_ERR_TRUNCATED] = "truncated: the bundle is incomplete",
	[SP_ERR_TAMPERED] = "payload authentication failed: the bundle was tampered with or corrupted",
	[SP_ERR_TRAILING] = "unexpected data after the end of the bundle: tampered with or corrupted",
	[SP_ERR_PAYLOAD] = "malformed payload records: the bundle is corrupt",
	[SP_ERR_NAME] = "unsafe entry name (absolute, '..', empty component or bad character)",
	[SP_ERR_DUPLICATE] = "duplicate entry name",
	[SP_ERR_META] = "bad entry metadata (mode, owner or env variable)",
	[SP_ERR_ENCODING] = "not a valid key string",
	[SP_ERR_CHECKSUM] = "key checksum mismatch: the key has a typo or was truncated",
	[SP_ERR_ARMOR] = "malformed armor: expected BEGIN/END SECRETPACK BUNDLE lines around base64",
	[SP_ERR_TIME] = "bad time: use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or a duration like 90d",
	[SP_ERR_PERM] = "permissions too open: run 'chmod 600' on it",
	[SP_ERR_EXISTS] = "already exists: refusing to overwrite",
	[SP_ERR_NOT_FOUND] = "not found",
	[SP_ERR_NOT_TMPFS] = "not a tmpfs or ramfs",
	[SP_ERR_UNSAFE_PATH] = "unexpected symlink, directory or special file in the way: refusing",
	[SP_ERR_PRIV] = "privilege drop failed",
	[SP_ERR_MANIFEST] = "bad manifest",
	[SP_ERR_CRYPTO] = "cryptographic library failure",
	[SP_ERR_UNSIGNED] = "not signed, and a signature is required: sign it with seal --sign",
	[SP_ERR_UNTRUSTED] = "signed by a key that is not trusted: add it, or re-seal with a trusted key",
	[SP_ERR_SIGNATURE] = "signature does not verify: the bundle was modified after signing",
	[SP_ERR_KEY_KIND] = "a signing key where an encryption key is expected, or the reverse",
	[SP_ERR_NOT_BEFORE] = "created before the --not-before time: seal a new one",
};

const char *sp_err_str(int err)
{
	if (err < 0 || err >= SP_ERR_COUNT_ || msgs[err] == 0)
		return "unknown error";
	return msgs[err];
}
