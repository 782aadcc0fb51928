/* main.c - verb dispatch; the helpers the verbs share are in cli.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_crypto.h"

/* The Makefile passes the VERSION file's text; a compile outside it (lint) gets a placeholder. */
#ifndef SECRETPACK_VERSION
#define SECRETPACK_VERSION "unknown"
#endif

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
	"  check [-i IDENTITY] [--trust SIGNER] [--expires-within DURATION] [--json] BUNDLE...\n"
	"                                      CI gate: exit 0 ok, 1 broken, 3 expiring\n"
	"  run [options] -- COMMAND [ARG...]   container entrypoint: secrets to tmpfs, drop, exec\n"
	"  set -i IDENTITY BUNDLE NAME [FILE|-]  add or replace one entry, keep everything else\n"
	"  rm -i IDENTITY BUNDLE NAME...       remove entries, keep everything else\n"
	"  rekey -i IDENTITY [-r RCPT]... [--remove RCPT]... [--expires TIME] BUNDLE\n"
	"                                      change recipients, expiry, context or signer\n"
	"  edit -i IDENTITY BUNDLE [NAME]      edit entries in RAM with $EDITOR, re-seal\n"
	"  help [COMMAND]                      this list, or a command's options\n"
	"  version                             print the version (also -V, --version)\n"
	"\n"
	"'secretpack <command> -h' for a command's options. Exit: 0 ok, 1 failure, 2 usage.\n";

static const struct {
	const char *name;
	int (*fn)(int, char **);
} verbs[] = {
	{ "keygen", cmd_keygen }, { "pubkey", cmd_pubkey }, { "seal", cmd_seal },
	{ "inspect", cmd_inspect }, { "open", cmd_open }, { "cat", cmd_cat }, { "run", cmd_run },
	{ "check", cmd_check },
	{ "set", cmd_set }, { "rm", cmd_rm }, { "rekey", cmd_rekey }, { "edit", cmd_edit },
};

/* Edit distance with adjacent transpositions (optimal string alignment), capped at 3. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[9][9];

	if (la > 8 || lb > 8)
		return 3;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb] < 3 ? d[la][lb] : 3;
}

/* The command closest to a mistyped one: a unique prefix of at least two letters, else the one
 * nearest by edit distance when it is near enough (and not tied); NULL when nothing is. */
static const char *closest(const char *word)
{
	static const char *const extra[] = { "help", "version" };
	const char *names[sizeof verbs / sizeof verbs[0] + 2], *best = NULL;
	size_t n = 0, best_d = 3, len = strlen(word), prefix = 0;
	int tie = 0;

	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		names[n++] = verbs[i].name;
	names[n++] = extra[0];
	names[n++] = extra[1];
	if (len >= 2) {
		for (size_t i = 0; i < n; i++)
			if (!strncmp(word, names[i], len)) {
				best = names[i];
				prefix++;
			}
		if (prefix == 1)
			return best;
	}
	best = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, names[i]);

		if (d < best_d) {
			best_d = d;
			best = names[i];
			tie = 0;
		} else if (d == best_d) {
			tie = 1;
		}
	}
	/* One edit for short words, two from five letters on. */
	if (best == NULL || tie || best_d > (len >= 5 ? 2u : 1u))
		return NULL;
	return best;
}

static int unknown(const char *word)
{
	const char *near = closest(word);

	if (near != NULL)
		(void)sp_fail("unknown command '%s': did you mean '%s'? run 'secretpack -h' for the list",
		    word, near);
	else
		(void)sp_fail("unknown command '%s': run 'secretpack -h' for the list", word);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	char *help_argv[3] = { NULL, NULL, NULL };
	char help_flag[] = "-h";

	if (argc < 2) {
		(void)fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc > 2) {
		if (argc > 3) {
			(void)sp_fail("help: expected one command, got %d: run 'secretpack help COMMAND'",
			    argc - 2);
			return EXIT_USAGE;
		}
		if (strcmp(argv[2], "help") != 0 && strcmp(argv[2], "version") != 0 &&
		    strcmp(argv[2], "-h") != 0 && strcmp(argv[2], "--help") != 0) {
			for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
				if (!strcmp(argv[2], verbs[i].name)) {
					/* Exactly what 'secretpack VERB -h' does. */
					help_argv[0] = argv[2];
					help_argv[1] = help_flag;
					return verbs[i].fn(2, help_argv);
				}
			return unknown(argv[2]);
		}
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		(void)fputs(usage, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("secretpack %s (bundle format %d)\n", SECRETPACK_VERSION, SP_VERSION);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	if (sp_crypto_init() != 0)
		return sp_fail("cannot initialise libsodium: check /dev/urandom is available");
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	return unknown(argv[1]);
}
