/* cmd_keygen.c - `secretpack keygen` and `secretpack pubkey`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "sp_crypto.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_io.h"
#include "sp_kdf.h"

static const char keygen_usage[] =
	"usage: secretpack keygen [--sign] [-o FILE] [--passphrase]\n"
	"  Makes a new X25519 identity. With -o, writes it to FILE (mode 0600, never overwrites)\n"
	"  and prints the recipient (public key) as the last line; without -o, writes the identity\n"
	"  to stdout (as does -o -). --passphrase encrypts the identity with a passphrase (Argon2id).\n"
	"  -o, --output FILE   the identity file to write (created 0600)\n"
	"  -p, --passphrase    encrypt the identity (SECRETPACK_PASSPHRASE[_FILE] or terminal)\n"
	"      --sign          make an Ed25519 signing key instead (for seal --sign); the last line\n"
	"                      printed is its signer key (spksig1...), for run --trust\n";

struct keytext {
	char recipient[SP_KEY_TEXT_MAX];
	char identity[SP_KEY_TEXT_MAX];
	char created[32];
	char file[3 * SP_KEY_TEXT_MAX];
};

static int make_identity(struct keytext *kt, int protect, int sign)
{
	unsigned char pk[32], sk[32];
	sp_kdf_params kdf;
	char *pass = NULL;
	size_t plen = 0;
	int err, n;

	if ((err = sign ? sp_sign_keygen(pk, sk) : sp_x25519_keygen(pk, sk)) != SP_OK)
		goto out;
	if ((err = sign ? sp_signer_encode(kt->recipient, sizeof kt->recipient, pk)
			: sp_recipient_encode(kt->recipient, sizeof kt->recipient, pk)) != SP_OK)
		goto out;
	if (protect) {
		if ((err = sp_io_passphrase(&pass, &plen, "Passphrase for the new identity: ", 1)) != SP_OK) {
			err = -err; /* tells the caller it is a passphrase failure */
			goto out;
		}
		sp_kdf_default(&kdf);
		err = sign ? sp_sign_identity_encrypt(kt->identity, sizeof kt->identity, sk, pass, plen, &kdf)
			: sp_identity_encrypt(kt->identity, sizeof kt->identity, sk, pass, plen, &kdf);
	} else {
		err = sign ? sp_sign_identity_encode(kt->identity, sizeof kt->identity, sk)
			: sp_identity_encode(kt->identity, sizeof kt->identity, sk);
	}
	if (err != SP_OK)
		goto out;
	(void)sp_time_format(kt->created, sizeof kt->created, sp_now());
	n = snprintf(kt->file, sizeof kt->file, "# created: %s\n# %s: %s\n%s\n", kt->created,
	    sign ? "signer" : "recipient", kt->recipient, kt->identity);
	err = (n < 0 || (size_t)n >= sizeof kt->file) ? SP_ERR_LIMIT : SP_OK;
out:
	sodium_memzero(sk, sizeof sk);
	if (pass != NULL)
		sp_io_free((unsigned char *)pass, plen, 1);
	return err;
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, 0, 'o' }, { "passphrase", no_argument, 0, 'p' },
		{ "sign", no_argument, 0, 's' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct keytext *kt = NULL;
	sp_outfile *of = NULL;
	const char *out = NULL;
	int protect = 0, sign = 0, c, err, rc = EXIT_FAIL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:ph", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'p': protect = 1; break;
		case 's': sign = 1; break;
		case 'h': (void)fputs(keygen_usage, stdout); return EXIT_OK;
		case ':': return sp_usage_error("keygen", "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error("keygen", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return sp_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (out != NULL && !strcmp(out, "-"))
		out = NULL; /* stdout, as without -o (age-keygen does the same) */
	sp_no_dumps();
	if ((kt = sodium_malloc(sizeof *kt)) == NULL)
		return sp_fail_err("keygen", SP_ERR_NOMEM);
	if (out != NULL && (err = sp_outfile_open(&of, out, 0600, 1)) != SP_OK) {
		rc = sp_fail_path("keygen", out, err);
		goto done;
	}
	if ((err = make_identity(kt, protect, sign)) != SP_OK) {
		rc = err < 0 ? sp_fail_pass("keygen", -err) : sp_fail_err("keygen", err);
		goto done;
	}
	if (of == NULL) {
		err = sp_io_write_all(STDOUT_FILENO, (unsigned char *)kt->file, strlen(kt->file));
		rc = err == SP_OK ? EXIT_OK : sp_fail_path("keygen", "stdout", err);
		goto done;
	}
	if ((err = sp_outfile_write(of, (unsigned char *)kt->file, strlen(kt->file))) != SP_OK ||
	    (err = sp_outfile_commit(of)) != SP_OK) {
		rc = sp_fail_path("keygen", out, err);
		goto done;
	}
	printf("%s\n", kt->recipient);
	rc = fflush(stdout) == 0 ? EXIT_OK : sp_fail_path("keygen", "stdout", SP_ERR_IO);
done:
	sp_outfile_free(of);
	sodium_free(kt);
	return rc;
}

static const char pubkey_usage[] =
	"usage: secretpack pubkey FILE\n"
	"  Prints the recipient (public key) of each identity in FILE, or the signer key (spksig1...)\n"
	"  of a signing key from keygen --sign. FILE may be '-' (stdin), a pipe or process\n"
	"  substitution (secretpack pubkey <(pass show prod-key)); a regular file must be private\n"
	"  (chmod 600), like -i.\n";

/* 1 if the first key line of text is a signing key (a peek; nothing is decoded). */
static int is_sign_text(const unsigned char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t end = i;

		while (end < len && text[end] != '\n')
			end++;
		while (i < end && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (i < end && text[i] != '#' && text[i] != '\r')
			return sp_prefix_match((const char *)text + i, end - i, SP_SIGN_IDENTITY_PREFIX) ||
			    sp_prefix_match((const char *)text + i, end - i, SP_SIGN_IDENTITY_ENC_PREFIX);
		i = end + 1;
	}
	return 0;
}

static int print_signer(const char *path, const unsigned char *text, size_t len)
{
	unsigned char sk[64], pk[32];
	char line[SP_KEY_TEXT_MAX];
	int err, rc;

	rc = sp_cli_sign_key_text("pubkey", path, text, len, sk, pk);
	sodium_memzero(sk, sizeof sk);
	if (rc != EXIT_OK)
		return rc;
	if ((err = sp_signer_encode(line, sizeof line, pk)) != SP_OK)
		return sp_fail_err("pubkey", err);
	printf("%s\n", line);
	return fflush(stdout) == 0 ? EXIT_OK : sp_fail_path("pubkey", "stdout", SP_ERR_IO);
}

int cmd_pubkey(int argc, char **argv)
{
	sp_identities ids = { 0, NULL };
	char line[SP_KEY_TEXT_MAX];
	unsigned char pk[32], *text = NULL;
	size_t len = 0;
	int err = SP_OK, rc;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		(void)fputs(pubkey_usage, stdout);
		return EXIT_OK;
	}
	if (argc != 2)
		return sp_usage_error("pubkey", "expected one identity file");
	sp_no_dumps();
	/* Read once: a pipe cannot be peeked at and read again. */
	if ((err = sp_io_read_input(argv[1], 1u << 20, 1, 1, &text, &len)) != SP_OK) {
		if (err == SP_ERR_UNSAFE_PATH)
			return sp_fail("pubkey: %s: a terminal, directory or device, not a key: give a file or a "
			    "pipe (<(command))", argv[1]);
		return sp_fail_path("pubkey", argv[1], err);
	}
	if (is_sign_text(text, len)) {
		rc = print_signer(argv[1], text, len);
		sp_io_free(text, len, 1);
		return rc;
	}
	rc = sp_cli_identities_text("pubkey", argv[1], text, len, &ids);
	sp_io_free(text, len, 1);
	if (rc != EXIT_OK)
		return rc;
	for (size_t i = 0; i < ids.n; i++) {
		if ((err = sp_x25519_public(pk, ids.sk[i])) != SP_OK ||
		    (err = sp_recipient_encode(line, sizeof line, pk)) != SP_OK)
			break;
		printf("%s\n", line);
	}
	sp_identities_free(&ids);
	if (err != SP_OK)
		return sp_fail_err("pubkey", err);
	return fflush(stdout) == 0 ? EXIT_OK : sp_fail_path("pubkey", "stdout", SP_ERR_IO);
}
