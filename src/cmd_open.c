/* cmd_open.c - `secretpack open` (all entries into a directory) and `secretpack cat` (one entry). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_io.h"
#include "sp_vault.h"

/* ---- open ---- */

static const char open_usage[] =
	"usage: secretpack open [-i IDENTITY] [-p] [--context TEXT] [--allow-expired] [--trust SIGNER]...\n"
	"                       [--force] -o DIR BUNDLE\n"
	"  Writes every entry of BUNDLE ('-' for stdin) into DIR, a new (created 0700) or empty\n"
	"  directory, with the entries' modes. All or nothing: on any failure nothing is left in DIR.\n"
	"  -i, --identity FILE  identity file or pipe (else SECRETPACK_KEY, SECRETPACK_KEY_FILE or\n"
	"                       SECRETPACK_KEY_FD)\n"
	"  -p, --passphrase     use the bundle's passphrase (SECRETPACK_PASSPHRASE[_FILE] or terminal)\n"
	"  -c, --context TEXT   the deployment the bundle must be bound to; without it, the bundle's\n"
	"                       own context is accepted and named on stderr\n"
	"  -o, --output DIR     the directory to write into ('-' is refused: a directory cannot be\n"
	"                       stdout; use cat for one entry)\n"
	"      --allow-expired  read a bundle past its expiry (says when it expired)\n"
	"      --trust SIGNER   refuse unless signed by SIGNER: a spksig1... key or a file of them;\n"
	"                       repeatable (SECRETPACK_TRUST)\n"
	"      --force          DIR may hold files: regular files at the bundle's names are replaced;\n"
	"                       an existing directory, symlink or other file at a name (or above a\n"
	"                       nested one) is refused\n";

/* The vault wants open_entry before the first piece; the sink sees pieces only, so wrap. */
struct open_state {
	sp_vault *v;
	const sp_entry *entries;
	size_t current;
	int opened;
};

static int open_piece(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct open_state *st = ctx;
	int err;

	if (!st->opened || st->current != idx) {
		if ((err = sp_vault_open_entry(st->v, &st->entries[idx], (uid_t)-1, (gid_t)-1)) != SP_OK)
			return err;
		st->current = idx;
		st->opened = 1;
	}
	if (buf == NULL && len == 0) {
		st->opened = 0;
		return sp_vault_close_entry(st->v);
	}
	return sp_vault_write(st->v, buf, len);
}

/* Sets *empty to 1 if the directory open at dirfd holds nothing (dirfd stays open; the listing
 * reads a descriptor of its own). */
static int dir_empty(int dirfd, int *empty)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return SP_ERR_IO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return SP_ERR_IO;
	}
	*empty = 1;
	while ((errno = 0, de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			*empty = 0;
			break;
		}
	fd = errno;
	closedir(d);
	errno = fd;
	return fd != 0 ? SP_ERR_IO : SP_OK;
}

/* What open may write in DIR: a name the bundle creates must be free, or with --force a regular
 * file it replaces. Every other name is new, so nothing below an existing directory is ever
 * written: for a nested name, its first part must not exist. Prints the one error line. */
static int check_names(const char *dir, int dirfd, const sp_entry *e, size_t n, int force)
{
	char top[SP_NAME_MAX + 1];
	const char *kind;
	struct stat st;

	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(e[i].name, "/");
		int nested = e[i].name[len] == '/';
		memcpy(top, e[i].name, len);
		top[len] = 0;
		if (fstatat(dirfd, top, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue;
			return sp_fail("open: %s/%s: %s", dir, top, strerror(errno));
		}
		if (S_ISREG(st.st_mode) && !nested) {
			if (force)
				continue;
			return sp_fail("open: %s/%s: already exists: pass --force to replace it, or open into an "
			    "empty directory", dir, top);
		}
		kind = S_ISDIR(st.st_mode) ? "an existing directory" : S_ISLNK(st.st_mode) ? "a symbolic link"
			: S_ISREG(st.st_mode) ? "a file where the bundle has a directory" : "a special file";
		return sp_fail("open: %s/%s: %s in the way: --force replaces only regular files and never "
		    "writes into an existing directory: remove it or open into an empty directory", dir, top, kind);
	}
	return EXIT_OK;
}

int cmd_open(int argc, char **argv)
{
	struct sp_unlock_req req = { .verb = "open", .check = 1 };
	struct open_state st = { NULL, NULL, 0, 0 };
	const char *dir = NULL;
	sp_source *src = NULL;
	sp_opener *o = NULL;
	size_t n = 0;
	int rc, err, dirfd = -1, made = 0, force = 0, empty = 0;

	if ((rc = sp_cli_read_opts("open", open_usage, argc, argv, &req, &dir, NULL, &force)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	if (dir == NULL)
		return sp_usage_error("open", "no output directory: pass -o DIR");
	if (!strcmp(dir, "-"))
		return sp_usage_error("open", "-o -: a directory cannot be stdout: pass -o DIR, or print "
		    "one entry with 'secretpack cat BUNDLE NAME'");
	if (optind + 1 != argc)
		return sp_usage_error("open", "expected one bundle");
	req.bundle = argv[optind];
	if ((rc = sp_cli_unlock(&req, &src, &o)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if ((err = sp_open_index(o, &st.entries, &n)) != SP_OK) {
		rc = sp_fail_bundle("open", req.bundle, err, o);
		goto out;
	}
	if (mkdir(dir, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		rc = sp_fail_path("open", dir, SP_ERR_IO);
		goto out;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = errno == ELOOP || errno == ENOTDIR
			? sp_fail("open: %s: not a directory (or a symlink): pass a directory", dir)
			: sp_fail_path("open", dir, SP_ERR_IO);
		goto out;
	}
	if (dir_empty(dirfd, &empty) != SP_OK) {
		rc = sp_fail_path("open", dir, SP_ERR_IO);
		goto out;
	}
	if (!empty && !force) {
		rc = sp_fail("open: %s: not empty: open into a new or empty directory, or pass --force to "
		    "replace the files the bundle names", dir);
		goto out;
	}
	if (check_names(dir, dirfd, st.entries, n, force) != EXIT_OK)
		goto out;
	if ((err = sp_vault_begin(&st.v, dirfd, (uid_t)-1, (gid_t)-1, 0700)) != SP_OK) {
		rc = sp_fail_path("open", dir, err);
		goto out;
	}
	if ((err = sp_open_payload(o, open_piece, &st)) != SP_OK) {
		rc = err == SP_ERR_IO ? sp_fail_path("open", dir, err) : sp_fail_bundle("open", req.bundle, err, o);
		goto out;
	}
	/* Again just before the move: the vault would merge into a directory made meanwhile. */
	if (check_names(dir, dirfd, st.entries, n, force) != EXIT_OK)
		goto out;
	if ((err = sp_vault_commit(st.v)) != SP_OK) {
		rc = err == SP_ERR_UNSAFE_PATH ? sp_fail("open: %s: %s", dir, sp_err_str(err))
					       : sp_fail_path("open", dir, err);
		goto out;
	}
	sp_cli_unlock_note(&req, o);
	/* cppcheck-suppress redundantAssignment ; EXIT_FAIL above keeps every goto out fail-closed */
	rc = EXIT_OK;
out:
	sp_vault_free(st.v);
	if (dirfd >= 0)
		close(dirfd);
	if (rc != EXIT_OK && made)
		(void)rmdir(dir);
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}

/* ---- cat ---- */

static const char cat_usage[] =
	"usage: secretpack cat [-i IDENTITY] [-p] [--context TEXT] [--allow-expired] [--trust SIGNER]...\n"
	"                      BUNDLE NAME\n"
	"  Writes entry NAME to stdout, only once the whole bundle has been authenticated.\n"
	"  BUNDLE '-' is stdin.\n"
	"  -i, --identity FILE  identity file or pipe (else SECRETPACK_KEY, SECRETPACK_KEY_FILE or\n"
	"                       SECRETPACK_KEY_FD)\n"
	"  -p, --passphrase     use the bundle's passphrase (SECRETPACK_PASSPHRASE[_FILE] or terminal)\n"
	"  -c, --context TEXT   the deployment the bundle must be bound to; without it, the bundle's\n"
	"                       own context is accepted and named on stderr\n"
	"      --allow-expired  read a bundle past its expiry (says when it expired)\n"
	"      --trust SIGNER   refuse unless signed by SIGNER: a spksig1... key or a file of them;\n"
	"                       repeatable (SECRETPACK_TRUST)\n";

struct cat_state {
	size_t want;
	unsigned char *buf;
	size_t len, cap;
};

static int cat_piece(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct cat_state *c = ctx;

	if (idx != c->want || len == 0)
		return SP_OK;
	if (len > c->cap - c->len)
		return SP_ERR_PAYLOAD;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	return SP_OK;
}

int cmd_cat(int argc, char **argv)
{
	struct sp_unlock_req req = { .verb = "cat", .check = 1 };
	struct cat_state c = { 0, NULL, 0, 0 };
	const sp_entry *entries = NULL;
	sp_source *src = NULL;
	sp_opener *o = NULL;
	size_t n = 0, i;
	int rc, err;

	if ((rc = sp_cli_read_opts("cat", cat_usage, argc, argv, &req, NULL, NULL, NULL)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	if (optind + 2 != argc)
		return sp_usage_error("cat", "expected a bundle and an entry name");
	req.bundle = argv[optind];
	if ((rc = sp_cli_unlock(&req, &src, &o)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if ((err = sp_open_index(o, &entries, &n)) != SP_OK) {
		rc = sp_fail_bundle("cat", req.bundle, err, o);
		goto out;
	}
	for (i = 0; i < n && strcmp(entries[i].name, argv[optind + 1]) != 0; i++)
		;
	if (i == n) {
		rc = sp_fail("cat: %s: no entry named '%s': run 'secretpack inspect -i ...' to list them",
		    req.bundle, argv[optind + 1]);
		goto out;
	}
	c.want = i;
	c.cap = (size_t)entries[i].size;
	if ((c.buf = sodium_malloc(c.cap ? c.cap : 1)) == NULL) {
		rc = sp_fail_err("cat", SP_ERR_NOMEM);
		goto out;
	}
	if ((err = sp_open_payload(o, cat_piece, &c)) != SP_OK) {
		rc = sp_fail_bundle("cat", req.bundle, err, o);
		goto out;
	}
	if (c.len != c.cap) {
		rc = sp_fail_bundle("cat", req.bundle, SP_ERR_PAYLOAD, o);
		goto out;
	}
	if ((err = sp_io_write_all(STDOUT_FILENO, c.buf, c.len)) != SP_OK) {
		rc = sp_fail_path("cat", "stdout", err);
		goto out;
	}
	sp_cli_unlock_note(&req, o);
	/* cppcheck-suppress redundantAssignment ; EXIT_FAIL above keeps every goto out fail-closed */
	rc = EXIT_OK;
out:
	if (c.buf != NULL)
		sodium_free(c.buf);
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}
