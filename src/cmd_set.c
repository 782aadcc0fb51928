/* cmd_set.c - `secretpack set`: add or replace one entry of a bundle, keeping everything else. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_err.h"
#include "sp_io.h"

#define VERB "set"

static const char set_usage[] =
	"usage: secretpack set [-i IDENTITY] [--mode OCTAL] [--owner USER[:GROUP]] [--env NAME]\n"
	"                      [--sign KEYFILE] [--allow-expired] [-o OUT] BUNDLE NAME [FILE|-]\n"
	"  Adds entry NAME to BUNDLE, or replaces its content, and keeps every other entry, the\n"
	"  recipients, context, expiry and signer. The content comes from FILE, or from stdin when\n"
	"  FILE is - or absent (not echoed on a terminal; end with Ctrl-D). A replaced entry keeps its\n"
	"  mode, owner and env unless given; a new one gets mode 0400, no owner, no env.\n"
	"  -i, --identity FILE   identity that opens BUNDLE (else SECRETPACK_KEY or SECRETPACK_KEY_FILE);\n"
	"                        a bundle with a passphrase recipient asks for its passphrase instead\n"
	"      --mode OCTAL      the entry's file mode, e.g. 0440 (0400 must be set)\n"
	"      --owner OWNER     user, user:group or uid:gid the runtime gives the file ('' for none)\n"
	"      --env NAME        environment variable the runtime sets to the file's path ('' for none)\n"
	"  -s, --sign KEYFILE    signing key of a signed bundle (required to keep its signature)\n"
	"      --allow-expired   rewrite an expired bundle (it keeps its expiry, so stays expired)\n"
	"  -o, --output OUT      write the new bundle to OUT and leave BUNDLE as it is ('-': stdout)\n"
	"  BUNDLE - reads the bundle from stdin (then give -o, and the content as FILE).\n"
	"  BUNDLE is replaced atomically, in the same form (binary or armored); on any failure it is\n"
	"  left byte for byte as it was.\n";

/* The terminal's settings, for a signal that ends the program while echo is off. */
static struct termios saved_tty;

static void restore_tty(int sig)
{
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

/* Reads stdin to its end; on a terminal with echo off, so the secret never shows. */
static int read_stdin(unsigned char **buf, size_t *len)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
	struct sigaction sa, old_sa[sizeof sigs / sizeof sigs[0]];
	struct termios quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tty) == 0, err;

	if (tty) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = restore_tty;
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			(void)sigaction(sigs[i], &sa, &old_sa[i]);
		quiet = saved_tty;
		quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		(void)fputs("secretpack: set: type the secret, then Ctrl-D (not echoed)\n", stderr);
	}
	err = sp_io_read_fd(STDIN_FILENO, SP_ENTRY_SIZE_MAX, 1, buf, len);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			(void)sigaction(sigs[i], &old_sa[i], NULL);
	}
	return err;
}

static int open_input(const char *path, int *fd, uint64_t *size)
{
	struct stat st;
	int flags;

	if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		if (errno == ELOOP)
			return sp_fail("%s: %s: a symbolic link: links are never followed; name its target", VERB,
			    path);
		return sp_fail_path(VERB, path, errno == ENOENT ? SP_ERR_NOT_FOUND : SP_ERR_IO);
	}
	if (fstat(*fd, &st) != 0 || (flags = fcntl(*fd, F_GETFL)) < 0 ||
	    fcntl(*fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return sp_fail_path(VERB, path, SP_ERR_IO);
	if (!S_ISREG(st.st_mode))
		return sp_fail("%s: %s: not a regular file: give a file, or - to read stdin", VERB, path);
	if ((unsigned long long)st.st_size > SP_ENTRY_SIZE_MAX)
		return sp_fail("%s: %s: larger than the %llu MiB entry limit", VERB, path,
		    SP_ENTRY_SIZE_MAX >> 20);
	*size = (uint64_t)st.st_size;
	return EXIT_OK;
}

/* The new entry against every other one: names and env names must stay distinct. */
static int clashes(const struct sp_rewrite *rw, const sp_entry *m, long replaced)
{
	for (size_t i = 0; i < rw->n_old; i++) {
		const sp_entry *o = &rw->old[i];
		size_t a = strlen(o->name), b = strlen(m->name), k = a < b ? a : b;

		if ((long)i == replaced)
			continue;
		if (!strncmp(o->name, m->name, k) && (o->name[k] == '/' || m->name[k] == '/'))
			return sp_fail("%s: entry '%s' clashes with entry '%s' (a name cannot be both a file "
			    "and a directory): pick another name", VERB, m->name, o->name);
		if (m->env[0] && !strcmp(o->env, m->env))
			return sp_fail("%s: --env %s: entry '%s' already sets it: pick another name, or clear "
			    "it there first", VERB, m->env, o->name);
	}
	return EXIT_OK;
}

int cmd_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, 0, 'i' }, { "mode", required_argument, 0, 'm' },
		{ "owner", required_argument, 0, 'O' }, { "env", required_argument, 0, 'E' },
		{ "sign", required_argument, 0, 's' }, { "output", required_argument, 0, 'o' },
		{ "allow-expired", no_argument, 0, 'x' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct sp_rewrite rw;
	struct sp_rw_entry *list = NULL;
	const char *mode = NULL, *owner = NULL, *env = NULL, *name, *file = NULL;
	unsigned char *data = NULL;
	size_t dlen = 0, n = 0;
	long replaced = -1;
	sp_entry meta;
	char *end;
	int c, err, fd = -1, rc = EXIT_FAIL;

	memset(&rw, 0, sizeof rw);
	memset(&meta, 0, sizeof meta);
	rw.verb = VERB;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': rw.identity = optarg; break;
		case 'm': mode = optarg; break;
		case 'O': owner = optarg; break;
		case 'E': env = optarg; break;
		case 's': rw.sign = optarg; break;
		case 'o': rw.out = optarg; break;
		case 'x': rw.allow_expired = 1; break;
		case 'h': (void)fputs(set_usage, stdout); return EXIT_OK;
		case ':': return sp_usage_error(VERB, "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error(VERB, "unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		return sp_usage_error(VERB, "expected BUNDLE NAME [FILE|-]");
	rw.bundle = argv[optind];
	name = argv[optind + 1];
	if (argc - optind == 3 && strcmp(argv[optind + 2], "-") != 0)
		file = argv[optind + 2];
	if (!strcmp(rw.bundle, "-") && file == NULL)
		return sp_usage_error(VERB, "the bundle '-' and the content both read stdin: give the content "
		    "as FILE, or the bundle as a file");
	if (strlen(name) > SP_NAME_MAX || sp_name_check(name) != SP_OK)
		return sp_fail("%s: entry '%s': %s: rename it (letters, digits, . _ - @ + =, '/' between parts)",
		    VERB, name, sp_err_str(SP_ERR_NAME));
	if (mode != NULL) {
		unsigned long v;
		errno = 0;
		v = strtoul(mode, &end, 8);
		if (errno != 0 || end == mode || *end || v > 0777 || sp_mode_check((uint32_t)v) != SP_OK)
			return sp_fail("%s: --mode %s: give octal permission bits, at most 0777, with 0400 set "
			    "(e.g. 0440)", VERB, mode);
		meta.mode = (uint32_t)v;
	}
	if (owner != NULL && (strlen(owner) > SP_OWNER_MAX || sp_owner_check(owner) != SP_OK))
		return sp_fail("%s: --owner %s: give user, user:group or uid:gid (letters, digits, . _ -)", VERB,
		    owner);
	if (env != NULL && *env && (strlen(env) > SP_ENV_MAX || sp_env_check(env) != SP_OK))
		return sp_fail("%s: --env %s: not allowed: use a plain variable name that no loader, shell or "
		    "runtime reads (see doc/FORMAT.md)", VERB, env);
	if (file != NULL && open_input(file, &fd, &meta.size) != EXIT_OK)
		goto out;
	if ((c = sp_rw_open(&rw)) != EXIT_OK) {
		rc = c;
		goto out;
	}
	for (size_t i = 0; i < rw.n_old; i++)
		if (!strcmp(rw.old[i].name, name))
			replaced = (long)i;
	/* A replaced entry keeps its metadata unless a flag changes it. */
	if (replaced >= 0) {
		uint64_t size = meta.size;
		uint32_t m = meta.mode;
		meta = rw.old[replaced];
		meta.size = size;
		if (mode != NULL)
			meta.mode = m;
	} else {
		memcpy(meta.name, name, strlen(name) + 1);
		if (mode == NULL)
			meta.mode = 0400;
	}
	if (owner != NULL)
		memcpy(meta.owner, owner, strlen(owner) + 1);
	if (env != NULL)
		memcpy(meta.env, env, strlen(env) + 1);
	if (clashes(&rw, &meta, replaced) != EXIT_OK)
		goto out;
	if (file == NULL) {
		if ((err = read_stdin(&data, &dlen)) != SP_OK) {
			rc = err == SP_ERR_LIMIT ? sp_fail("%s: stdin: larger than the %llu MiB entry limit", VERB,
			    SP_ENTRY_SIZE_MAX >> 20) : sp_fail_path(VERB, "stdin", err);
			goto out;
		}
		meta.size = dlen;
	}
	if ((list = calloc(rw.n_old + 1, sizeof *list)) == NULL) {
		rc = sp_fail_err(VERB, SP_ERR_NOMEM);
		goto out;
	}
	for (size_t i = 0; i < rw.n_old; i++) {
		list[n].meta = rw.old[i];
		list[n].old = (long)i;
		list[n].fd = -1;
		if ((long)i == replaced) {
			list[n].meta = meta;
			list[n].old = -1;
			list[n].fd = fd;
			list[n].buf = data;
		}
		n++;
	}
	if (replaced < 0) {
		list[n].meta = meta;
		list[n].old = -1;
		list[n].fd = fd;
		list[n].buf = data;
		n++;
	}
	rc = sp_rw_commit(&rw, list, n);
out:
	sp_rw_free(&rw);
	if (list != NULL) {
		sodium_memzero(list, (rw.n_old + 1) * sizeof *list);
		free(list);
	}
	if (data != NULL)
		sp_io_free(data, dlen, 1);
	if (fd >= 0)
		close(fd);
	return rc;
}
