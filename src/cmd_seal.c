/* cmd_seal.c - `secretpack seal`: files, NAME=PATH, directories or a manifest into one bundle. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_io.h"
#include "sp_kdf.h"
#include "sp_manifest.h"

static const char seal_usage[] =
	"usage: secretpack seal [-r RECIPIENT]... [-R RECIPIENTS_FILE]... [-p] [--context TEXT]\n"
	"                       [--expires TIME] [--sign KEYFILE] [-a] -o BUNDLE INPUT...\n"
	"  INPUT is FILE (entry named by its basename), NAME=PATH, NAME=- (the entry's content from\n"
	"  stdin), a DIRECTORY (one entry per regular file, named by its relative path), NAME=DIR\n"
	"  (the same, under NAME/) or -m MANIFEST.ini. Symlinks and special files are refused; a\n"
	"  directory walk names every file it refuses, then fails.\n"
	"  -r, --recipient KEY      an spkpub1... recipient (repeatable)\n"
	"  -R, --recipients-file F  a file (or pipe, '-' for stdin) of recipients, one per line (repeatable)\n"
	"  -p, --passphrase         add a passphrase recipient (SECRETPACK_PASSPHRASE[_FILE] or terminal)\n"
	"  -c, --context TEXT       bind the bundle to a deployment, e.g. payments@prod\n"
	"  -e, --expires TIME       YYYY-MM-DD (end of day UTC), YYYY-MM-DDTHH:MM:SSZ or 90d, 12h...\n"
	"  -s, --sign KEYFILE       sign the bundle with the key from keygen --sign (run --trust)\n"
	"  -a, --armor              write printable text instead of binary\n"
	"  -o, --output BUNDLE      the bundle to write (replaced atomically); '-' is stdout, refused\n"
	"                           on a terminal unless --armor\n"
	"  -m, --manifest FILE      an INI manifest of entries, recipients, context and expiry\n";

#define VERB "seal"

/* An input is opened once, without following a symlink, and measured with fstat of that
 * descriptor; the content streamed is read from the same descriptor. When the descriptor limit is
 * too low to keep one per file, it is closed and reopened the same way at streaming time, and must
 * then be the same inode (dev, ino) with the same size. */
struct input {
	sp_entry meta;
	char *path;  /* as shown in messages */
	char *rel;   /* how to reopen it: relative to root (components opened with O_NOFOLLOW) */
	int root;    /* a directory argument's descriptor, or AT_FDCWD for FILE and NAME=PATH */
	int fd;      /* the measured file, or -1 once closed */
	unsigned char *mem; /* NAME=-: the content read from stdin (sodium_malloc), else NULL */
	dev_t dev;
	ino_t ino;
};

/* Descriptors left for everything else once the inputs have their budget. */
#define FD_RESERVE 64
#define O_INPUT (O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
#define O_SUBDIR (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

struct seal {
	struct input *in;
	size_t n, cap;
	int *roots;
	size_t n_roots;
	size_t fd_budget, fds_held;
	unsigned char (*pks)[32];
	size_t n_pks;
	char context[SP_CONTEXT_MAX + 1];
	int has_context;
	const char *expires;
	char manifest_expires[64];
	const char *stdin_by; /* the option that read stdin already, or NULL */
	size_t refused;       /* files a directory walk refused, each reported; the walk goes on */
};

static int stdout_write(void *ctx, const unsigned char *buf, size_t len)
{
	(void)ctx;
	return sp_io_write_all(STDOUT_FILENO, buf, len);
}

static int symlink_refused(const char *where, const char *path)
{
	return sp_fail("%s: %s%s: a symbolic link, not a regular file: links are never followed; "
	    "name its target instead (NAME=PATH)", VERB, where, path);
}

static int changed(const char *path)
{
	return sp_fail("%s: %s: changed while sealing: try again", VERB, path);
}

/* One line for a failed open or stat of an input. */
static int input_error(const char *where, const char *path, int e)
{
	if (e == ELOOP)
		return symlink_refused(where, path);
	if (e == ENOENT)
		return sp_fail("%s: %s%s: no such file: check the path", VERB, where, path);
	if (e == EMFILE || e == ENFILE)
		return sp_fail("%s: %s%s: too many open files: raise the limit (ulimit -n %d)", VERB, where,
		    path, SP_ENTRIES_MAX + 2 * FD_RESERVE);
	return sp_fail("%s: %s%s: %s", VERB, where, path, strerror(e));
}

/* Takes fd (a regular file, measured in *st): kept while the budget allows, else closed and
 * reopened from root/rel when sealing. Closes fd on failure. */
static int add_input(struct seal *s, const char *name, const char *path, const sp_entry *meta, int fd,
    int root, const char *rel, const struct stat *st)
{
	struct input *in;

	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		if (ncap > (size_t)SP_ENTRIES_MAX * 2 || (in = realloc(s->in, ncap * sizeof *in)) == NULL) {
			close(fd);
			return sp_fail_err(VERB, s->cap > SP_ENTRIES_MAX ? SP_ERR_LIMIT : SP_ERR_NOMEM);
		}
		s->in = in;
		s->cap = ncap;
	}
	in = &s->in[s->n];
	memset(in, 0, sizeof *in);
	in->fd = -1;
	if (meta != NULL)
		in->meta = *meta;
	else
		in->meta.mode = 0400;
	if (strlen(name) > SP_NAME_MAX || sp_name_check(name) != SP_OK) {
		close(fd);
		s->refused++;
		return sp_fail("%s: entry '%s': %s: rename it (letters, digits, . _ - @ + =, '/' between parts)",
		    VERB, name, sp_err_str(SP_ERR_NAME));
	}
	if ((unsigned long long)st->st_size > SP_ENTRY_SIZE_MAX) {
		close(fd);
		s->refused++;
		return sp_fail("%s: %s: larger than the %llu MiB entry limit", VERB, path, SP_ENTRY_SIZE_MAX >> 20);
	}
	memcpy(in->meta.name, name, strlen(name) + 1);
	in->meta.size = (uint64_t)st->st_size;
	in->root = root;
	in->dev = st->st_dev;
	in->ino = st->st_ino;
	if ((in->path = strdup(path)) == NULL || (in->rel = strdup(rel)) == NULL) {
		free(in->path);
		close(fd);
		return sp_fail_err(VERB, SP_ERR_NOMEM);
	}
	if (s->fds_held < s->fd_budget) {
		in->fd = fd;
		s->fds_held++;
	} else {
		close(fd);
	}
	s->n++;
	return EXIT_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every regular file below the directory open at fd (taken; shown as dir) as prefix/relative
 * name, sorted. Every level is opened with openat and O_NOFOLLOW: nothing below the directory
 * argument is reached through a symlink. below is dir's path relative to root ("" at the top), to
 * reopen files. A file that cannot be sealed (a symlink, a special file, an unsafe name, too big,
 * unreadable) is reported and counted in s->refused, and the walk goes on, so that one run names
 * them all; other failures stop it. */
/* NOLINTNEXTLINE(misc-no-recursion): depth is capped at SP_NAME_DEPTH_MAX */
static int add_dir(struct seal *s, int fd, const char *dir, const char *prefix, const char *below,
    int root, int depth)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char **names = NULL, path[4096], name[SP_NAME_MAX + 2], rel[SP_NAME_MAX + 2];
	size_t refused;
	size_t n = 0, cap = 0, dlen = strlen(dir);
	int rc = EXIT_FAIL, cfd;

	if (depth > SP_NAME_DEPTH_MAX) {
		close(fd);
		return sp_fail("%s: %s: directories nested too deep (limit %d)", VERB, dir, SP_NAME_DEPTH_MAX);
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return sp_fail_path(VERB, dir, SP_ERR_IO);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **nn;
			if (ncap > 4 * (size_t)SP_ENTRIES_MAX) {
				rc = sp_fail("%s: %s: too many files (limit %d entries)", VERB, dir, SP_ENTRIES_MAX);
				goto out;
			}
			if ((nn = realloc(names, ncap * sizeof *nn)) == NULL) {
				rc = sp_fail_err(VERB, SP_ERR_NOMEM);
				goto out;
			}
			names = nn;
			cap = ncap;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = sp_fail_err(VERB, SP_ERR_NOMEM);
			goto out;
		}
		n++;
	}
	if (errno != 0) {
		rc = sp_fail_path(VERB, dir, SP_ERR_IO);
		goto out;
	}
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		int a = snprintf(path, sizeof path, "%s%s%s", dir, dlen > 0 && dir[dlen - 1] == '/' ? "" : "/",
		    names[i]);
		int b = snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "/" : "", names[i]);
		int r = snprintf(rel, sizeof rel, "%s%s%s", below, *below ? "/" : "", names[i]);
		if (a < 0 || (size_t)a >= sizeof path || b < 0 || (size_t)b >= sizeof name || r < 0 ||
		    (size_t)r >= sizeof rel) {
			rc = sp_fail("%s: %s: path or entry name too long", VERB, path);
			goto out;
		}
		/* The type decides how to open; the open itself refuses a symlink swapped in since. */
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = input_error("", path, errno);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			(void)symlink_refused("", path);
			s->refused++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((cfd = openat(dirfd(d), names[i], O_SUBDIR)) < 0) {
				if (errno == EACCES) {
					(void)input_error("", path, errno);
					s->refused++;
					continue;
				}
				rc = errno == ENOTDIR ? changed(path) : input_error("", path, errno);
				goto out;
			}
			if (add_dir(s, cfd, path, name, rel, root, depth + 1) != EXIT_OK)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			if ((cfd = openat(dirfd(d), names[i], O_INPUT)) < 0) {
				if (errno == EACCES) {
					(void)input_error("", path, errno);
					s->refused++;
					continue;
				}
				rc = input_error("", path, errno);
				goto out;
			}
			if (fstat(cfd, &st) != 0 || !S_ISREG(st.st_mode)) {
				close(cfd);
				rc = changed(path);
				goto out;
			}
			refused = s->refused;
			if (add_input(s, name, path, NULL, cfd, root, rel, &st) != EXIT_OK && s->refused == refused)
				goto out;
		} else {
			(void)sp_fail("%s: %s: not a regular file or directory: remove it or seal files one by one",
			    VERB, path);
			s->refused++;
		}
	}
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

/* A FILE, NAME=PATH or manifest path: the path the user gave, whose last component must not be a
 * symlink; opened and measured once. where prefixes messages (a manifest line). */
static int add_file(struct seal *s, const char *name, const char *path, const sp_entry *meta,
    const char *where)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0)
		return input_error(where, path, errno);
	if (S_ISLNK(st.st_mode))
		return symlink_refused(where, path);
	if (!S_ISREG(st.st_mode))
		return sp_fail("%s: %s%s: not a regular file: seal regular files or directories", VERB, where,
		    path);
	if ((fd = open(path, O_INPUT)) < 0)
		return input_error(where, path, errno);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return changed(path);
	}
	return add_input(s, name, path, meta, fd, AT_FDCWD, path, &st);
}

/* A directory argument (DIR, or NAME=DIR with prefix NAME): opened once; a copy of its descriptor
 * stays open (s->roots) to reopen files below it without a path from the current directory. */
static int add_tree(struct seal *s, const char *arg, const char *prefix)
{
	int fd, keep, *nr;

	if ((fd = open(arg, O_SUBDIR)) < 0)
		return errno == ENOTDIR ? changed(arg) : input_error("", arg, errno);
	if ((nr = realloc(s->roots, (s->n_roots + 1) * sizeof *nr)) == NULL) {
		close(fd);
		return sp_fail_err(VERB, SP_ERR_NOMEM);
	}
	s->roots = nr;
	if ((keep = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		int e = errno;
		close(fd);
		return input_error("", arg, e);
	}
	s->roots[s->n_roots++] = keep;
	s->fds_held++;
	return add_dir(s, fd, arg, prefix, "", keep, 1);
}

/* NAME=-: the whole of stdin, read now (the header declares every size before any content). */
static int add_stdin(struct seal *s, const char *name)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t len = 0;
	int err;

	if (s->stdin_by != NULL)
		return sp_fail("%s: %s=-: stdin is already read for %s: give one of them as a file", VERB,
		    name, s->stdin_by);
	s->stdin_by = "NAME=-";
	if ((err = sp_io_read_fd(STDIN_FILENO, SP_ENTRY_SIZE_MAX, 1, &buf, &len)) != SP_OK)
		return err == SP_ERR_LIMIT ? sp_fail("%s: %s=-: stdin holds more than the %llu MiB entry "
		    "limit", VERB, name, SP_ENTRY_SIZE_MAX >> 20) : sp_fail_path(VERB, "stdin", err);
	/* No descriptor: the entry is streamed from memory. */
	memset(&st, 0, sizeof st);
	st.st_size = (off_t)len;
	if (add_input(s, name, "stdin", NULL, -1, AT_FDCWD, "-", &st) != EXIT_OK || s->in == NULL) {
		sp_io_free(buf, len, 1);
		return EXIT_FAIL;
	}
	s->in[s->n - 1].mem = buf;
	return EXIT_OK;
}

static int add_arg(struct seal *s, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[SP_NAME_MAX + 2];
	struct stat st;
	const char *base;
	size_t len;

	if (eq != NULL) {
		len = (size_t)(eq - arg);
		if (len == 0 || len > SP_NAME_MAX)
			return sp_fail("%s: '%s': expected NAME=PATH with a name of 1 to %d bytes", VERB, arg,
			    SP_NAME_MAX);
		memcpy(name, arg, len);
		name[len] = 0;
		if (!strcmp(eq + 1, "-"))
			return add_stdin(s, name);
		/* NAME=DIR: the files below DIR, named NAME/relative path. */
		if (lstat(eq + 1, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (sp_name_check(name) != SP_OK)
				return sp_fail("%s: '%s': %s: rename it (letters, digits, . _ - @ + =, '/' "
				    "between parts)", VERB, name, sp_err_str(SP_ERR_NAME));
			return add_tree(s, eq + 1, name);
		}
		return add_file(s, name, eq + 1, NULL, "");
	}
	if (!strcmp(arg, "-"))
		return sp_fail("%s: '-': content from stdin needs an entry name: pass NAME=-", VERB);
	if (lstat(arg, &st) != 0)
		return input_error("", arg, errno);
	if (S_ISDIR(st.st_mode))
		return add_tree(s, arg, "");
	len = strlen(arg);
	while (len > 1 && arg[len - 1] == '/')
		len--;
	base = memrchr(arg, '/', len);
	base = base ? base + 1 : arg;
	if ((size_t)(arg + len - base) > SP_NAME_MAX)
		return sp_fail("%s: %s: file name too long for an entry: use NAME=PATH", VERB, arg);
	memcpy(name, base, (size_t)(arg + len - base));
	name[arg + len - base] = 0;
	return add_file(s, name, arg, NULL, "");
}

static int too_many(size_t n, int passphrase)
{
	return sp_fail("%s: %zu recipients%s: a bundle holds at most %d (a passphrase counts as one): "
	    "split the bundle", VERB, n, passphrase ? " and a passphrase" : "", SP_STANZAS_MAX);
}

/* Adds pk unless already there: identical public keys are one recipient (doc/FORMAT.md), so
 * the limit counts distinct keys. */
static int add_pk(struct seal *s, const unsigned char pk[32])
{
	unsigned char (*np)[32];

	for (size_t i = 0; i < s->n_pks; i++)
		if (sodium_memcmp(s->pks[i], pk, 32) == 0)
			return EXIT_OK;
	if (s->n_pks >= SP_STANZAS_MAX)
		return too_many(s->n_pks + 1, 0);
	if ((np = realloc(s->pks, (s->n_pks + 1) * sizeof *np)) == NULL)
		return sp_fail_err(VERB, SP_ERR_NOMEM);
	s->pks = np;
	memcpy(s->pks[s->n_pks++], pk, 32);
	return EXIT_OK;
}

static int add_recipient_text(struct seal *s, const char *text, size_t len, const char *where)
{
	unsigned char pk[32];
	int err = sp_recipient_decode(pk, text, len);

	if (err == SP_ERR_KEY_KIND)
		return sp_fail("%s: recipient %s: a signing key, not a recipient: encrypt to spkpub1... "
		    "keys, and sign with --sign KEYFILE", VERB, where);
	if (err != SP_OK)
		return sp_fail("%s: recipient %s: %s", VERB, where, sp_err_str(err));
	return add_pk(s, pk);
}

static int add_recipients_file(struct seal *s, const char *path)
{
	unsigned char *text = NULL, (*pks)[32] = NULL;
	size_t len = 0, n = 0, bad = 0;
	int err;

	if ((err = sp_io_read_input(path, 1u << 20, 0, 0, &text, &len)) != SP_OK)
		return sp_fail_path(VERB, path, err);
	err = sp_recipients_parse(&pks, &n, (const char *)text, len, &bad);
	free(text);
	if (err != SP_OK) {
		free(pks);
		if (bad > 0)
			return sp_fail("%s: %s: line %zu: %s", VERB, path, bad, sp_err_str(err));
		return sp_fail_path(VERB, path, err);
	}
	for (size_t i = 0; i < n; i++)
		if (add_pk(s, pks[i]) != EXIT_OK) {
			free(pks);
			return EXIT_FAIL;
		}
	free(pks);
	return EXIT_OK;
}

static int add_manifest(struct seal *s, const char *path)
{
	sp_manifest m;
	unsigned char *text = NULL;
	char dir[4096], why[256] = "", where[1024];
	const char *slash = strrchr(path, '/');
	size_t len = 0;
	int line = 0, err, rc = EXIT_FAIL;

	memset(&m, 0, sizeof m);
	if ((err = sp_io_read_file(path, 1u << 20, 0, 0, &text, &len)) != SP_OK)
		return sp_fail_path(VERB, path, err);
	if (strlen(text ? (char *)text : "") != len) {
		free(text);
		return sp_fail("%s: %s: manifest contains a NUL byte", VERB, path);
	}
	(void)snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
	    slash ? path : ".");
	err = sp_manifest_parse(&m, (const char *)text, dir, &line, why, sizeof why);
	free(text);
	if (err != SP_OK) {
		if (line > 0)
			return sp_fail("%s: %s:%d: %s", VERB, path, line, why[0] ? why : sp_err_str(err));
		return sp_fail("%s: %s: %s", VERB, path, why[0] ? why : sp_err_str(err));
	}
	if (m.has_context) {
		memcpy(s->context, m.context, sizeof s->context);
		s->has_context = 1;
	}
	if (m.expires[0])
		memcpy(s->manifest_expires, m.expires, sizeof s->manifest_expires);
	for (size_t i = 0; i < m.n_recipient_files; i++)
		if (add_recipients_file(s, m.recipient_files[i]) != EXIT_OK)
			goto out;
	for (size_t i = 0; i < m.n_recipients; i++) {
		(void)snprintf(where, sizeof where, "in %s", path);
		if (add_recipient_text(s, m.recipients[i], strlen(m.recipients[i]), where) != EXIT_OK)
			goto out;
	}
	for (size_t i = 0; i < m.n_entries; i++) {
		(void)snprintf(where, sizeof where, "%s:%d: ", path, m.entries[i].line);
		if (add_file(s, m.entries[i].meta.name, m.entries[i].path, &m.entries[i].meta, where) != EXIT_OK)
			goto out;
	}
	rc = EXIT_OK;
out:
	sp_manifest_free(&m);
	return rc;
}

/* Room for one descriptor per input: the soft limit is raised up to the hard one; past the budget,
 * inputs are closed once measured and reopened (and checked) while sealing. */
static void fd_budget(struct seal *s)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(SP_ENTRIES_MAX + 2 * FD_RESERVE);

	s->fd_budget = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > want)
		rl.rlim_cur = want;
	s->fd_budget = rl.rlim_cur > FD_RESERVE ? (size_t)(rl.rlim_cur - FD_RESERVE) : 0;
}

/* Opens in->rel again below in->root, never through a symlink. Returns the descriptor or -1. */
static int reopen_input(const struct input *in)
{
	char rel[SP_NAME_MAX + 2], *part, *next;
	int fd = in->root, nfd;

	if (in->root == AT_FDCWD)
		return open(in->rel, O_INPUT);
	if ((size_t)snprintf(rel, sizeof rel, "%s", in->rel) >= sizeof rel) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (part = rel; (next = strchr(part, '/')) != NULL; part = next + 1) {
		*next = 0;
		nfd = openat(fd, part, O_SUBDIR);
		if (fd != in->root)
			close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
	}
	nfd = openat(fd, part, O_INPUT);
	if (fd != in->root)
		close(fd);
	return nfd;
}

static int check_entries(struct seal *s, sp_entry *list)
{
	uint64_t total = 0;
	int err;

	if (s->n == 0)
		return sp_fail("%s: nothing to seal: name files, NAME=PATH, directories or -m MANIFEST", VERB);
	if (s->n > SP_ENTRIES_MAX)
		return sp_fail("%s: %zu entries: the limit is %d", VERB, s->n, SP_ENTRIES_MAX);
	for (size_t i = 0; i < s->n; i++) {
		list[i] = s->in[i].meta;
		total += list[i].size;
		if (sp_mode_check(list[i].mode) != SP_OK || sp_owner_check(list[i].owner) != SP_OK ||
		    (list[i].env[0] && sp_env_check(list[i].env) != SP_OK))
			return sp_fail("%s: entry '%s': %s", VERB, list[i].name, sp_err_str(SP_ERR_META));
		for (size_t j = 0; j < i; j++) {
			size_t a = strlen(list[j].name), b = strlen(list[i].name);
			size_t m = a < b ? a : b;
			if (!strcmp(list[i].name, list[j].name) ||
			    (!strncmp(list[i].name, list[j].name, m) &&
			     (list[i].name[m] == '/' || list[j].name[m] == '/')))
				return sp_fail("%s: entries '%s' and '%s' clash: give one another name (NAME=PATH, "
				    "or NAME=DIR for a directory)",
				    VERB, list[j].name, list[i].name);
			if (list[i].env[0] && !strcmp(list[i].env, list[j].env))
				return sp_fail("%s: entries '%s' and '%s' both set env %s", VERB, list[j].name,
				    list[i].name, list[i].env);
		}
	}
	if (total > SP_TOTAL_SIZE_MAX)
		return sp_fail("%s: %llu bytes in all: the limit is %llu MiB", VERB,
		    (unsigned long long)total, SP_TOTAL_SIZE_MAX >> 20);
	if ((err = sp_entries_check(list, s->n)) != SP_OK)
		return sp_fail_err(VERB, err);
	return EXIT_OK;
}

/* Streams each input from the descriptor it was measured through; a reopened one must be the same
 * inode. Any change of size, while or after reading, fails the seal before the bundle is committed. */
static int stream_inputs(struct seal *s, sp_sealer *sealer, const char *out)
{
	unsigned char *buf;
	int rc = EXIT_FAIL, err;

	if ((buf = sodium_malloc(SP_CHUNK_BYTES)) == NULL)
		return sp_fail_err(VERB, SP_ERR_NOMEM);
	for (size_t i = 0; i < s->n; i++) {
		struct input *in = &s->in[i];
		uint64_t left = in->meta.size;
		struct stat st;

		if (in->mem != NULL) {
			if (left > 0 && (err = sp_seal_write(sealer, in->mem, (size_t)left)) != SP_OK) {
				rc = err == SP_ERR_IO ? sp_fail_path(VERB, out, err) : sp_fail_err(VERB, err);
				goto out;
			}
			continue;
		}
		if (in->fd < 0 && (in->fd = reopen_input(in)) < 0) {
			rc = errno == ENOENT || errno == ENOTDIR ? changed(in->path) : input_error("", in->path, errno);
			goto out;
		}
		if (fstat(in->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != in->dev ||
		    st.st_ino != in->ino || (uint64_t)st.st_size != left) {
			rc = changed(in->path);
			goto out;
		}
		/* O_NONBLOCK only kept a swapped-in FIFO or device from blocking the open. */
		if ((err = fcntl(in->fd, F_GETFL)) < 0 || fcntl(in->fd, F_SETFL, err & ~O_NONBLOCK) < 0) {
			rc = sp_fail_path(VERB, in->path, SP_ERR_IO);
			goto out;
		}
		while (left > 0) {
			size_t want = left < SP_CHUNK_BYTES ? (size_t)left : SP_CHUNK_BYTES;
			ssize_t r = read(in->fd, buf, want);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				rc = r < 0 ? sp_fail_path(VERB, in->path, SP_ERR_IO) : changed(in->path);
				goto out;
			}
			if ((err = sp_seal_write(sealer, buf, (size_t)r)) != SP_OK) {
				rc = err == SP_ERR_IO ? sp_fail_path(VERB, out, err) : sp_fail_err(VERB, err);
				goto out;
			}
			left -= (uint64_t)r;
		}
		if (fstat(in->fd, &st) != 0 || (uint64_t)st.st_size != in->meta.size) {
			rc = changed(in->path);
			goto out;
		}
		close(in->fd);
		in->fd = -1;
	}
	rc = EXIT_OK;
out:
	sodium_free(buf);
	return rc;
}

int cmd_seal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "recipient", required_argument, 0, 'r' },
		{ "recipients-file", required_argument, 0, 'R' },
		{ "passphrase", no_argument, 0, 'p' },
		{ "context", required_argument, 0, 'c' },
		{ "expires", required_argument, 0, 'e' },
		{ "armor", no_argument, 0, 'a' },
		{ "output", required_argument, 0, 'o' },
		{ "manifest", required_argument, 0, 'm' },
		{ "sign", required_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct seal s;
	sp_seal_params sp;
	sp_sealer *sealer = NULL;
	sp_outfile *of = NULL;
	struct sp_membuf mem = { NULL, 0, 0 };
	sp_entry *list = NULL;
	char *pass = NULL, *armored = NULL;
	size_t plen = 0, alen = 0;
	const char *out = NULL, *ctx_flag = NULL, *sign = NULL;
	unsigned char *sign_sk = NULL, sign_pk[32];
	uint64_t expires = 0;
	char where[64];
	size_t n_r = 0;
	int c, err, rc = EXIT_FAIL, passphrase = 0, armor = 0, to_stdout = 0;

	memset(&s, 0, sizeof s);
	memset(&sp, 0, sizeof sp);
	fd_budget(&s);
	opterr = 0;
	/* First pass: options that are not inputs. */
	while ((c = getopt_long(argc, argv, ":r:R:pc:e:ao:m:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			(void)snprintf(where, sizeof where, "%zu given with -r", ++n_r);
			if (add_recipient_text(&s, optarg, strlen(optarg), where) != EXIT_OK)
				goto done;
			break;
		case 'R':
			if (!strcmp(optarg, "-") && s.stdin_by != NULL) {
				rc = sp_usage_error(VERB, "-R -: stdin is already read for %s", s.stdin_by);
				goto done;
			}
			if (!strcmp(optarg, "-"))
				s.stdin_by = "-R -";
			if (add_recipients_file(&s, optarg) != EXIT_OK)
				goto done;
			break;
		case 'p': passphrase = 1; break;
		case 'c': ctx_flag = optarg; break;
		case 'e': s.expires = optarg; break;
		case 'a': armor = 1; break;
		case 'o': out = optarg; break;
		case 's': sign = optarg; break;
		case 'm':
			if (add_manifest(&s, optarg) != EXIT_OK)
				goto done;
			break;
		case 'h': (void)fputs(seal_usage, stdout); rc = EXIT_OK; goto done;
		case ':': rc = sp_usage_error(VERB, "option %s needs a value", argv[optind - 1]); goto done;
		default: rc = sp_usage_error(VERB, "unknown option %s", argv[optind - 1]); goto done;
		}
	}
	if (out == NULL) {
		rc = sp_usage_error(VERB, "no output: pass -o BUNDLE");
		goto done;
	}
	to_stdout = !strcmp(out, "-");
	if (to_stdout && !armor && isatty(STDOUT_FILENO)) {
		rc = sp_fail("%s: -o -: stdout is a terminal: redirect it to a file or a pipe, or pass "
		    "--armor for text", VERB);
		goto done;
	}
	for (int i = optind; i < argc; i++)
		if (add_arg(&s, argv[i]) != EXIT_OK)
			goto done;
	if (s.refused > 1) {
		rc = sp_fail("%s: %zu files refused (each named above): nothing sealed", VERB, s.refused);
		goto done;
	}
	if (s.refused == 1)
		goto done;
	if (s.n_pks == 0 && !passphrase) {
		rc = sp_usage_error(VERB, "no recipient: pass -r, -R, -p or recipients in the manifest");
		goto done;
	}
	if (s.n_pks + (passphrase ? 1 : 0) > SP_STANZAS_MAX) {
		rc = too_many(s.n_pks, passphrase);
		goto done;
	}
	if (ctx_flag != NULL) {
		if (strlen(ctx_flag) > SP_CONTEXT_MAX || sp_context_check(ctx_flag) != SP_OK) {
			rc = sp_fail("%s: context '%s': use up to %d printable ASCII characters", VERB, ctx_flag,
			    SP_CONTEXT_MAX);
			goto done;
		}
		(void)snprintf(s.context, sizeof s.context, "%s", ctx_flag);
		s.has_context = 1;
	}
	if (s.expires == NULL && s.manifest_expires[0])
		s.expires = s.manifest_expires;
	if (s.expires != NULL) {
		if ((err = sp_time_parse(&expires, s.expires, sp_now())) != SP_OK) {
			rc = sp_fail("%s: expires '%s': %s", VERB, s.expires, sp_err_str(err));
			goto done;
		}
		if (expires <= sp_now()) {
			rc = sp_fail("%s: expires '%s' is in the past: pick a later time", VERB, s.expires);
			goto done;
		}
	}
	if ((list = calloc(s.n ? s.n : 1, sizeof *list)) == NULL) {
		rc = sp_fail_err(VERB, SP_ERR_NOMEM);
		goto done;
	}
	if (check_entries(&s, list) != EXIT_OK)
		goto done;
	if (passphrase) {
		sp_no_dumps();
		if ((err = sp_io_passphrase(&pass, &plen, "Passphrase for the bundle: ", 1)) != SP_OK) {
			rc = sp_fail_pass(VERB, err);
			goto done;
		}
	}
	if (sign != NULL) {
		sp_no_dumps();
		if ((sign_sk = sodium_malloc(64)) == NULL) {
			rc = sp_fail_err(VERB, SP_ERR_NOMEM);
			goto done;
		}
		if (sp_cli_sign_key(VERB, sign, sign_sk, sign_pk) != EXIT_OK)
			goto done;
	}
	if (!to_stdout && (err = sp_outfile_open(&of, out, 0644, 0)) != SP_OK) {
		rc = sp_fail_path(VERB, out, err);
		goto done;
	}
	sp.created = sp_now();
	sp.expires = expires;
	sp.context = s.has_context ? s.context : NULL;
	sp.x25519 = (const unsigned char (*)[32])s.pks;
	sp.n_x25519 = s.n_pks;
	sp.passphrase = pass;
	sp.passphrase_len = plen;
	sp_kdf_default(&sp.kdf);
	sp.entries = list;
	sp.n_entries = s.n;
	sp.sign_sk = sign_sk;
	if ((err = sp_seal_begin(&sealer, &sp, armor ? sp_membuf_write : to_stdout ? stdout_write :
	         sp_outfile_write, armor ? (void *)&mem : (void *)of)) != SP_OK) {
		rc = err == SP_ERR_IO ? sp_fail_path(VERB, out, err) : sp_fail_err(VERB, err);
		goto done;
	}
	if (stream_inputs(&s, sealer, out) != EXIT_OK)
		goto done;
	if ((err = sp_seal_finish(sealer)) != SP_OK) {
		rc = err == SP_ERR_IO ? sp_fail_path(VERB, out, err) : sp_fail_err(VERB, err);
		goto done;
	}
	if (armor) {
		if ((err = sp_armor_encode(&armored, &alen, mem.p, mem.len)) != SP_OK ||
		    (err = to_stdout ? stdout_write(NULL, (unsigned char *)armored, alen) :
		     sp_outfile_write(of, (unsigned char *)armored, alen)) != SP_OK) {
			rc = err == SP_ERR_IO ? sp_fail_path(VERB, out, err) : sp_fail_err(VERB, err);
			goto done;
		}
	}
	if (!to_stdout && (err = sp_outfile_commit(of)) != SP_OK) {
		rc = sp_fail_path(VERB, out, err);
		goto done;
	}
	rc = EXIT_OK;
done:
	sp_seal_free(sealer);
	sp_outfile_free(of);
	if (pass != NULL)
		sp_io_free((unsigned char *)pass, plen, 1);
	if (sign_sk != NULL) {
		sodium_memzero(sign_sk, 64);
		sodium_free(sign_sk);
	}
	for (size_t i = 0; i < s.n; i++) {
		if (s.in[i].fd >= 0)
			close(s.in[i].fd);
		free(s.in[i].path);
		free(s.in[i].rel);
		if (s.in[i].mem != NULL)
			sodium_free(s.in[i].mem);
	}
	for (size_t i = 0; i < s.n_roots; i++)
		close(s.roots[i]);
	free(s.roots);
	free(s.in);
	free(s.pks);
	free(list);
	free(mem.p);
	free(armored);
	return rc;
}
