/* cmd_open.c - `secretpack open` (all entries into a directory) and `secretpack cat` (one entry). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
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

/* Pass 2 writes each authenticated piece straight to stdout: nothing of the entry is held. */
struct cat_state {
	uint64_t written; /* bytes of the entry on stdout so far */
	int out_err;      /* the sink failed on stdout, not on the bundle */
};

static int cat_piece(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct cat_state *c = ctx;
	int err;

	(void)idx;
	if (len == 0)
		return SP_OK;
	if ((err = sp_io_write_all(STDOUT_FILENO, buf, len)) != SP_OK) {
		c->out_err = 1;
		return err;
	}
	c->written += len;
	return SP_OK;
}

/* A bundle from a pipe is read once, and a signed one must be read back exactly as verified: its
 * ciphertext (never plaintext) is staged, as the first pass reads it, in an anonymous tmpfs file
 * (memfd: no name, this process's descriptor only), sealed against writes before the second pass
 * reads it back. It takes tmpfs memory (the container's memory limit), not this process's resident
 * memory, and at most the bundle's own size, which the format bounds (SP_BUNDLE_MAX). */
struct stage {
	int fd;
};

static int stage_write(void *ctx, const unsigned char *buf, size_t len)
{
	const struct stage *st = ctx;

	return sp_io_write_all(st->fd, buf, len);
}

static int stage_read(void *ctx, unsigned char *buf, size_t len, size_t *got)
{
	const struct stage *st = ctx;

	return sp_io_read_full(st->fd, buf, len, got);
}

/* One line for a failure of the second pass: the bundle changed after the first authenticated
 * it. What stdout got is a prefix of the authenticated entry, never other bytes. */
static int cat_changed(const char *path, int err, const struct cat_state *c)
{
	if (c->written == 0)
		return sp_fail("cat: %s: the bundle changed after it was authenticated (%s): nothing was "
		    "written: run cat again once nothing writes the bundle", path, sp_err_str(err));
	return sp_fail("cat: %s: the bundle changed after it was authenticated (%s): stdout got only "
	    "the first %llu bytes of the entry: discard them and run cat again once nothing writes "
	    "the bundle", path, sp_err_str(err), (unsigned long long)c->written);
}

/* An anonymous memory file for the staged ciphertext, sealable, not executable where the kernel
 * knows MFD_NOEXEC_SEAL (Linux 6.3; vm.memfd_noexec=2 refuses memfds without it). */
static int stage_open(void)
{
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
	int fd = memfd_create("secretpack-cat", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);

	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("secretpack-cat", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return fd;
}

int cmd_cat(int argc, char **argv)
{
	struct sp_unlock_req req = { .verb = "cat", .check = 1 };
	struct cat_state c = { 0, 0 };
	struct stage st = { -1 };
	const sp_entry *entries = NULL;
	sp_bundle_info info;
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
	sp_open_info(o, &info);
	/* A pipe cannot be read twice. A signed bundle is staged from a file too: the second pass
	 * re-authenticates each message under the file key, which every recipient holds, so only
	 * the sealed copy of what pass 1 verified binds it to the signer's bytes. */
	if (!sp_source_rereadable(src) || info.is_signed) {
		if ((st.fd = stage_open()) < 0) {
			rc = sp_fail("cat: %s: cannot stage the bundle (memfd_create: %s): %s", req.bundle,
			    strerror(errno), info.is_signed ? "check that /proc/sys/vm/memfd_noexec is "
			    "below 2 or that the kernel has memfd" : "pass the bundle as a file");
			goto out;
		}
		if ((err = sp_open_tee(o, stage_write, &st)) != SP_OK) {
			rc = sp_fail_path("cat", "the staged bundle", err);
			goto out;
		}
	}
	/* Pass 1: the index, then every message authenticated, none decrypted, and the signature. */
	if ((err = sp_open_index(o, &entries, &n)) != SP_OK) {
		rc = err == SP_ERR_IO && st.fd >= 0 ? sp_fail_path("cat", "the staged bundle", err)
			: sp_fail_bundle("cat", req.bundle, err, o);
		goto out;
	}
	for (i = 0; i < n && strcmp(entries[i].name, argv[optind + 1]) != 0; i++)
		;
	if (i == n) {
		rc = sp_fail("cat: %s: no entry named '%s': run 'secretpack inspect -i ...' to list them",
		    req.bundle, argv[optind + 1]);
		goto out;
	}
	if ((err = sp_open_authenticate(o)) != SP_OK) {
		rc = err == SP_ERR_IO && st.fd >= 0 ? sp_fail_path("cat", "the staged bundle", err)
			: sp_fail_bundle("cat", req.bundle, err, o);
		goto out;
	}
	/* Pass 2, from the first byte of the same descriptor (or the sealed stage). */
	if (st.fd >= 0) {
		if (fcntl(st.fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0 ||
		    lseek(st.fd, 0, SEEK_SET) != 0) {
			rc = sp_fail_path("cat", "the staged bundle", SP_ERR_IO);
			goto out;
		}
		err = sp_open_restart(o, stage_read, &st);
	} else if ((err = sp_source_rewind(src)) != SP_OK) {
		rc = sp_fail_path("cat", req.bundle, err);
		goto out;
	} else {
		err = sp_open_restart(o, sp_source_read, src);
	}
	if (err == SP_OK)
		err = sp_open_entry(o, i, cat_piece, &c);
	if (err != SP_OK) {
		rc = c.out_err ? sp_fail_path("cat", "stdout", err)
			: err == SP_ERR_IO ? sp_fail_path("cat", req.bundle, err) : cat_changed(req.bundle, err, &c);
		goto out;
	}
	sp_cli_unlock_note(&req, o);
	/* cppcheck-suppress redundantAssignment ; EXIT_FAIL above keeps every goto out fail-closed */
	rc = EXIT_OK;
out:
	if (st.fd >= 0)
		close(st.fd);
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}
