/* main.c - verb dispatch and the front-end helpers every verb shares. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"
#include "sp_crypto.h"
#include "sp_err.h"
#include "sp_io.h"

static const char usage[] =
	"usage: secretpack <command> [options]\n"
	"\n"
	"  keygen [-o FILE] [--passphrase]     make an identity, print its recipient\n"
	"  pubkey FILE                         print the recipient of an identity file\n"
	"  seal [-r RCPT]... [-R FILE]... [-p] [--context TEXT] [--expires TIME] [-a]\n"
	"       -o BUNDLE INPUT...             encrypt files, dirs, NAME=PATH or -m MANIFEST\n"
	"  inspect [-i IDENTITY] [--json] BUNDLE   show a bundle's header (and entries with a key)\n"
	"  open -i IDENTITY [--context TEXT] -o DIR BUNDLE   write every entry into DIR\n"
	"  cat -i IDENTITY [--context TEXT] BUNDLE NAME      write one entry to stdout\n"
	"  run [options] -- COMMAND [ARG...]   container entrypoint: secrets to tmpfs, drop, exec\n"
	"\n"
	"'secretpack <command> -h' for a command's options. Exit: 0 ok, 1 failure, 2 usage.\n";

int sp_fail(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof line, "secretpack: ");

	va_start(ap, fmt);
	(void)vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One line, whatever the message holds. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	strcat(line, "\n");
	(void)fputs(line, stderr);
	(void)fflush(stderr);
	return EXIT_FAIL;
}

int sp_fail_err(const char *what, int err)
{
	return sp_fail("%s: %s", what, sp_err_str(err));
}

int sp_fail_path(const char *verb, const char *path, int err)
{
	if (err == SP_ERR_IO)
		return sp_fail("%s: %s: %s", verb, path, strerror(errno));
	if (err == SP_ERR_NOT_FOUND)
		return sp_fail("%s: %s: no such file: check the path", verb, path);
	if (err == SP_ERR_UNSAFE_PATH)
		return sp_fail("%s: %s: not a regular file", verb, path);
	if (err == SP_ERR_PERM)
		return sp_fail("%s: %s: readable or writable by group or others: run 'chmod 600 %s'",
		    verb, path, path);
	return sp_fail("%s: %s: %s", verb, path, sp_err_str(err));
}

int sp_fail_pass(const char *verb, int err)
{
	switch (err) {
	case SP_ERR_ARG:
		return sp_fail("%s: no passphrase: set SECRETPACK_PASSPHRASE_FILE or SECRETPACK_PASSPHRASE, "
		    "or run on a terminal", verb);
	case SP_ERR_WRONG_PASS:
		return sp_fail("%s: empty passphrase, or the two entries differ: try again", verb);
	case SP_ERR_LIMIT:
		return sp_fail("%s: passphrase longer than 1024 bytes: use a shorter one", verb);
	default:
		return sp_fail_path(verb, "SECRETPACK_PASSPHRASE_FILE", err);
	}
}

int sp_cli_identities(const char *verb, const char *path, sp_identities *ids)
{
	const char *shown = path;
	size_t bad = 0;
	int err;

	if (shown == NULL) {
		const char *key = getenv("SECRETPACK_KEY");
		shown = key != NULL && *key ? "SECRETPACK_KEY" : getenv("SECRETPACK_KEY_FILE");
	}
	if (shown == NULL)
		return sp_fail("%s: no identity: pass -i FILE or set SECRETPACK_KEY_FILE or SECRETPACK_KEY", verb);
	err = sp_io_load_identities(ids, path, &bad);
	if (err == SP_OK)
		return EXIT_OK;
	if (err == SP_ERR_ARG)
		return sp_fail_pass(verb, err);
	if (err == SP_ERR_WRONG_PASS)
		return sp_fail("%s: %s: wrong passphrase for the encrypted identity", verb, shown);
	if (bad > 0)
		return sp_fail("%s: %s: line %zu: %s", verb, shown, bad, sp_err_str(err));
	return sp_fail_path(verb, shown, err);
}

int sp_usage_error(const char *verb, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sp_fail("%s: %s: run 'secretpack %s -h' for usage", verb, msg, verb);
	return EXIT_USAGE;
}

void sp_no_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

unsigned long long sp_now(void)
{
	time_t t = time(NULL);

	return t < 0 ? 0 : (unsigned long long)t;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} verbs[] = {
	{ "keygen", cmd_keygen }, { "pubkey", cmd_pubkey }, { "seal", cmd_seal },
	{ "inspect", cmd_inspect }, { "open", cmd_open }, { "cat", cmd_cat }, { "run", cmd_run },
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
