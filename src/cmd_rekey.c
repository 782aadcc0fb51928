/* cmd_rekey.c - `secretpack rekey`: change a bundle's recipients, expiry, context or signer. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"

#define VERB "rekey"

static const char rekey_usage[] =
	"usage: secretpack rekey [-i IDENTITY] [-r RECIPIENT]... [-R FILE]... [--remove RECIPIENT]...\n"
	"                        [-p] [--remove-passphrase] [--rotate] [--expires TIME | --no-expiry]\n"
	"                        [--context TEXT] [--sign KEYFILE | --unsign] [--allow-expired]\n"
	"                        [-o OUT] BUNDLE\n"
	"  Re-seals BUNDLE under a new file key with the changes asked for; the entries and everything\n"
	"  not named stay as they were. Removed recipients cannot open the result.\n"
	"  -i, --identity FILE      identity that opens BUNDLE (else SECRETPACK_KEY or SECRETPACK_KEY_FILE);\n"
	"                           a bundle with a passphrase recipient asks for its passphrase instead\n"
	"  -r, --recipient KEY      add an spkpub1... recipient (repeatable)\n"
	"  -R, --recipients-file F  add the recipients of a file (repeatable); for a format version 1\n"
	"                           bundle, -r and -R name the whole new list\n"
	"      --remove KEY         remove an spkpub1... recipient (repeatable)\n"
	"  -p, --passphrase         add a passphrase recipient, or replace its passphrase\n"
	"      --remove-passphrase  remove the passphrase recipient\n"
	"      --rotate             draw a new file key (every rewrite does; accepted for clarity)\n"
	"      --expires TIME       new expiry: YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or 90d, 12h... (renews\n"
	"                           an expired bundle)\n"
	"      --no-expiry          remove the expiry\n"
	"      --context TEXT       bind to another deployment ('' for none)\n"
	"  -s, --sign KEYFILE       sign with this key (required to keep a signature; may change signer)\n"
	"      --unsign             drop the signature of a signed bundle\n"
	"      --allow-expired      rewrite an expired bundle without renewing it (it stays expired)\n"
	"  -o, --output OUT         write the new bundle to OUT and leave BUNDLE as it is ('-': stdout)\n"
	"  BUNDLE - reads the bundle from stdin (then give -o).\n"
	"  BUNDLE is replaced atomically, in the same form (binary or armored); on any failure it is\n"
	"  left byte for byte as it was.\n";

int cmd_rekey(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, 0, 'i' }, { "recipient", required_argument, 0, 'r' },
		{ "recipients-file", required_argument, 0, 'R' }, { "remove", required_argument, 0, 'x' },
		{ "passphrase", no_argument, 0, 'p' }, { "remove-passphrase", no_argument, 0, 'P' },
		{ "rotate", no_argument, 0, 'k' }, { "expires", required_argument, 0, 'e' },
		{ "no-expiry", no_argument, 0, 'n' }, { "context", required_argument, 0, 'c' },
		{ "sign", required_argument, 0, 's' }, { "unsign", no_argument, 0, 'u' },
		{ "output", required_argument, 0, 'o' }, { "allow-expired", no_argument, 0, 'X' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct sp_rewrite rw;
	struct sp_rw_entry *list = NULL;
	const char *expires = NULL, **rfiles = NULL;
	char *rkind = NULL;
	size_t n_rfiles = 0;
	int c, err, rc = EXIT_FAIL, no_expiry = 0;

	memset(&rw, 0, sizeof rw);
	rw.verb = VERB;
	rw.rekey = 1;
	if ((rfiles = calloc((size_t)argc + 1, sizeof *rfiles)) == NULL ||
	    (rkind = calloc((size_t)argc + 1, 1)) == NULL) {
		free(rfiles);
		return sp_fail_err(VERB, SP_ERR_NOMEM);
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:r:R:ps:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': rw.identity = optarg; break;
		/* -r and -R in their order, read once BUNDLE is known (-R - and the bundle - both stdin) */
		case 'r':
		case 'R':
			rkind[n_rfiles] = (char)c;
			rfiles[n_rfiles++] = optarg;
			break;
		case 'x':
			if (sp_rw_recipient(VERB, "--remove", optarg, &rw.del, &rw.n_del) != EXIT_OK)
				goto out;
			break;
		case 'p': rw.new_pass = 1; break;
		case 'P': rw.drop_pass = 1; break;
		case 'k': break; /* every rewrite draws a new file key */
		case 'e': expires = optarg; break;
		case 'n': no_expiry = 1; break;
		case 'c': rw.context = optarg; break;
		case 's': rw.sign = optarg; break;
		case 'u': rw.unsign = 1; break;
		case 'o': rw.out = optarg; break;
		case 'X': rw.allow_expired = 1; break;
		case 'h': (void)fputs(rekey_usage, stdout); rc = EXIT_OK; goto out;
		case ':': rc = sp_usage_error(VERB, "option %s needs a value", argv[optind - 1]); goto out;
		default: rc = sp_usage_error(VERB, "unknown option %s", argv[optind - 1]); goto out;
		}
	}
	if (argc - optind != 1) {
		rc = sp_usage_error(VERB, "expected one bundle");
		goto out;
	}
	rw.bundle = argv[optind];
	for (size_t i = 0; i < n_rfiles; i++) {
		if (rkind[i] == 'R' && !strcmp(rw.bundle, "-") && !strcmp(rfiles[i], "-")) {
			rc = sp_usage_error(VERB, "-R - and the bundle '-' both read stdin: give one of them as a "
			    "file or a pipe");
			goto out;
		}
	}
	for (size_t i = 0; i < n_rfiles; i++)
		if (sp_rw_recipient(VERB, rkind[i] == 'R' ? "-R" : "-r", rfiles[i], &rw.add, &rw.n_add) != EXIT_OK)
			goto out;
	if (rw.new_pass && rw.drop_pass) {
		rc = sp_usage_error(VERB, "-p and --remove-passphrase exclude each other");
		goto out;
	}
	if (rw.sign != NULL && rw.unsign) {
		rc = sp_usage_error(VERB, "--sign and --unsign exclude each other");
		goto out;
	}
	if (expires != NULL && no_expiry) {
		rc = sp_usage_error(VERB, "--expires and --no-expiry exclude each other");
		goto out;
	}
	if (rw.context != NULL && (strlen(rw.context) > SP_CONTEXT_MAX || sp_context_check(rw.context) != SP_OK)) {
		rc = sp_fail("%s: context '%s': use up to %d printable ASCII characters", VERB, rw.context,
		    SP_CONTEXT_MAX);
		goto out;
	}
	if (expires != NULL) {
		if ((err = sp_time_parse(&rw.expires, expires, sp_now())) != SP_OK) {
			rc = sp_fail("%s: --expires '%s': %s", VERB, expires, sp_err_str(err));
			goto out;
		}
		if (rw.expires <= sp_now()) {
			rc = sp_fail("%s: --expires '%s' is in the past: pick a later time", VERB, expires);
			goto out;
		}
	}
	rw.set_expires = expires != NULL || no_expiry;
	if ((c = sp_rw_open(&rw)) != EXIT_OK) {
		rc = c;
		goto out;
	}
	if ((list = calloc(rw.n_old ? rw.n_old : 1, sizeof *list)) == NULL) {
		rc = sp_fail_err(VERB, SP_ERR_NOMEM);
		goto out;
	}
	for (size_t i = 0; i < rw.n_old; i++) {
		list[i].meta = rw.old[i];
		list[i].old = (long)i;
		list[i].fd = -1;
	}
	rc = sp_rw_commit(&rw, list, rw.n_old);
out:
	sp_rw_free(&rw);
	free(rw.add);
	free(rw.del);
	free(rfiles);
	free(rkind);
	free(list);
	return rc;
}
