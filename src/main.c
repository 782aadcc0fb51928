/* main.c - verb dispatch; the helpers the verbs share are in cli.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sp_crypto.h"

static const char usage[] =
	"usage: secretpack <command> [options]\n"
	"\n"
	"  keygen [-o FILE] [--passphrase]     make an identity, print its recipient\n"
	"  pubkey FILE                         print the recipient of an identity file\n"
	"  seal [-r RCPT]... [-R FILE]... [-p] [--context TEXT] [--expires TIME] [-a]\n"
	"       -o BUNDLE INPUT...             encrypt files, dirs, NAME=PATH or -m MANIFEST\n"
	"  inspect [-i IDENTITY] [--json] BUNDLE   show a bundle's header (and entries with a key)\n"
	"  open -i IDENTITY [--context TEXT] [--force] -o DIR BUNDLE   entries into a new or empty DIR\n"
	"  cat -i IDENTITY [--context TEXT] BUNDLE NAME      write one entry to stdout\n"
	"  run [options] -- COMMAND [ARG...]   container entrypoint: secrets to tmpfs, drop, exec\n"
	"  set -i IDENTITY BUNDLE NAME [FILE|-]  add or replace one entry, keep everything else\n"
	"  rm -i IDENTITY BUNDLE NAME...       remove entries, keep everything else\n"
	"  rekey -i IDENTITY [-r RCPT]... [--remove RCPT]... [--expires TIME] BUNDLE\n"
	"                                      change recipients, expiry, context or signer\n"
	"  edit -i IDENTITY BUNDLE [NAME]      edit entries in RAM with $EDITOR, re-seal\n"
	"\n"
	"'secretpack <command> -h' for a command's options. Exit: 0 ok, 1 failure, 2 usage.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} verbs[] = {
	{ "keygen", cmd_keygen }, { "pubkey", cmd_pubkey }, { "seal", cmd_seal },
	{ "inspect", cmd_inspect }, { "open", cmd_open }, { "cat", cmd_cat }, { "run", cmd_run },
	{ "set", cmd_set }, { "rm", cmd_rm }, { "rekey", cmd_rekey }, { "edit", cmd_edit },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		(void)fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		(void)fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("secretpack 1.0 (bundle format 1)");
		return EXIT_OK;
	}
	if (sp_crypto_init() != 0)
		return sp_fail("cannot initialise libsodium: check /dev/urandom is available");
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	sp_fail("unknown command '%s': run 'secretpack -h' for the list", argv[1]);
	return EXIT_USAGE;
}
