/* cmd_rm.c - `secretpack rm`: remove entries from a bundle, keeping everything else. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_err.h"

#define VERB "rm"

static const char rm_usage[] =
	"usage: secretpack rm [-i IDENTITY] [--sign KEYFILE] [--allow-expired] [-o OUT] BUNDLE NAME...\n"
	"  Removes the entries NAME... from BUNDLE and keeps every other entry, the recipients,\n"
	"  context, expiry and signer. A name the bundle does not hold is refused, and nothing changes.\n"
	"  -i, --identity FILE   identity that opens BUNDLE (else SECRETPACK_KEY or SECRETPACK_KEY_FILE);\n"
	"                        a bundle with a passphrase recipient asks for its passphrase instead\n"
	"  -s, --sign KEYFILE    signing key of a signed bundle (required to keep its signature)\n"
	"      --allow-expired   rewrite an expired bundle (it keeps its expiry, so stays expired)\n"
	"  -o, --output OUT      write the new bundle to OUT and leave BUNDLE as it is ('-': stdout)\n"
	"  BUNDLE - reads the bundle from stdin (then give -o).\n"
	"  BUNDLE is replaced atomically, in the same form (binary or armored); on any failure it is\n"
	"  left byte for byte as it was.\n";

int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, 0, 'i' }, { "sign", required_argument, 0, 's' },
		{ "output", required_argument, 0, 'o' }, { "allow-expired", no_argument, 0, 'x' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct sp_rewrite rw;
	struct sp_rw_entry *list = NULL;
	size_t n = 0;
	int c, rc = EXIT_FAIL;

	memset(&rw, 0, sizeof rw);
	rw.verb = VERB;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': rw.identity = optarg; break;
		case 's': rw.sign = optarg; break;
		case 'o': rw.out = optarg; break;
		case 'x': rw.allow_expired = 1; break;
		case 'h': (void)fputs(rm_usage, stdout); return EXIT_OK;
		case ':': return sp_usage_error(VERB, "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error(VERB, "unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 2)
		return sp_usage_error(VERB, "expected BUNDLE NAME...");
	rw.bundle = argv[optind];
	if ((c = sp_rw_open(&rw)) != EXIT_OK) {
		rc = c;
		goto out;
	}
	for (int a = optind + 1; a < argc; a++) {
		size_t i = 0;
		while (i < rw.n_old && strcmp(rw.old[i].name, argv[a]) != 0)
			i++;
		if (i == rw.n_old) {
			rc = sp_fail("%s: %s: no entry named '%s': nothing removed; run 'secretpack inspect -i ...' "
			    "to list them", VERB, rw.bundle, argv[a]);
			goto out;
		}
	}
	if ((list = calloc(rw.n_old ? rw.n_old : 1, sizeof *list)) == NULL) {
		rc = sp_fail_err(VERB, SP_ERR_NOMEM);
		goto out;
	}
	for (size_t i = 0; i < rw.n_old; i++) {
		int gone = 0;
		for (int a = optind + 1; a < argc; a++)
			gone |= !strcmp(rw.old[i].name, argv[a]);
		if (gone)
			continue;
		list[n].meta = rw.old[i];
		list[n].old = (long)i;
		list[n].fd = -1;
		n++;
	}
	rc = sp_rw_commit(&rw, list, n);
out:
	sp_rw_free(&rw);
	free(list);
	return rc;
}
