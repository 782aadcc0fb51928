/* cmd_edit.c - `secretpack edit`: decrypt into a private RAM-backed directory, run the editor,
 * re-seal what changed; the plaintext is overwritten and removed on every way out. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include <sodium.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_err.h"
#include "sp_io.h"

#define VERB "edit"
#define TMPFS_MAGIC_ 0x01021994
#define RAMFS_MAGIC_ 0x858458f6
#define O_DIR (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static const char edit_usage[] =
	"usage: secretpack edit [-i IDENTITY] [--sign KEYFILE] [--allow-disk] [--allow-expired]\n"
	"                       [-o OUT] BUNDLE [NAME]\n"
	"  Decrypts BUNDLE into a new private (0700) directory on a RAM-backed file system\n"
	"  ($XDG_RUNTIME_DIR or /dev/shm, checked to be tmpfs), runs $VISUAL or $EDITOR (else vi) on\n"
	"  entry NAME (only it is decrypted) or on the whole directory, then re-seals to the same recipients, context, expiry\n"
	"  and signer, each entry keeping its mode, owner and env. Files added get mode 0400 and no\n"
	"  owner or env; files deleted leave the bundle. Nothing changed: BUNDLE is left untouched.\n"
	"  The plaintext is overwritten with zeros and removed on every exit: success, editor failure\n"
	"  (non-zero status: nothing changes), SIGINT, SIGTERM or SIGHUP.\n"
	"  -i, --identity FILE   identity that opens BUNDLE (else SECRETPACK_KEY or SECRETPACK_KEY_FILE);\n"
	"                        a bundle with a passphrase recipient asks for its passphrase instead\n"
	"  -s, --sign KEYFILE    signing key of a signed bundle (required to keep its signature)\n"
	"      --allow-disk      use $TMPDIR (or /tmp) when no RAM-backed directory exists: the\n"
	"                        plaintext then reaches a disk\n"
	"      --allow-expired   rewrite an expired bundle (it keeps its expiry, so stays expired)\n"
	"  -o, --output OUT      write the new bundle to OUT and leave BUNDLE as it is\n"
	"  The editor owns the terminal: BUNDLE and OUT are files, not - (stdin/stdout).\n";

/* One file of the workspace, by entry name. */
struct wfile {
	char name[SP_NAME_MAX + 1];
	unsigned char hash[32];
	int fd;
	uint64_t size;
};

struct edit {
	int ws;                /* the workspace directory */
	int files;             /* its files/ subdirectory, where the entries are */
	char path[4096];       /* of the workspace */
	unsigned char key[32]; /* keys the content hashes that tell what changed */
	unsigned char (*old_hash)[32];
	/* extraction */
	const sp_entry *old;
	long only;             /* edit NAME: the one entry decrypted, else -1 */
	int fd;
	int keep;              /* the workspace's keep/ directory: a second link to each decrypted
	                        * file, so that it is zeroed at the end even if the editor replaced
	                        * it by rename or deleted it */
	crypto_generichash_state h;
	/* after the editor */
	struct wfile *w;
	size_t n_w, cap_w;
};

static int is_ram(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) == 0 && ((unsigned long)sf.f_type == TMPFS_MAGIC_ ||
	    (unsigned long)sf.f_type == RAMFS_MAGIC_);
}

/* The base of the workspace: a RAM-backed directory, or with --allow-disk TMPDIR. */
static const char *pick_base(int allow_disk)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");

	if (xdg != NULL && *xdg == '/' && is_ram(xdg))
		return xdg;
	if (is_ram("/dev/shm"))
		return "/dev/shm";
	if (!allow_disk)
		return NULL;
	return tmp != NULL && *tmp == '/' ? tmp : "/tmp";
}

/* Overwrites every regular file below dfd with zeros, then removes everything; dfd is closed. */
/* NOLINTNEXTLINE(misc-no-recursion): depth capped at 64 below */
static void wipe_dir(int dfd, int depth)
{
	static const unsigned char zero[4096];
	struct dirent *de;
	struct stat st;
	DIR *d = fdopendir(dfd);
	int fd;

	if (d == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 64) {
			if ((fd = openat(dirfd(d), de->d_name, O_DIR)) >= 0)
				wipe_dir(fd, depth + 1);
			(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
			continue;
		}
		if (S_ISREG(st.st_mode) &&
		    (fd = openat(dirfd(d), de->d_name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) >= 0) {
			off_t left = fstat(fd, &st) == 0 ? st.st_size : 0;
			while (left > 0) {
				size_t n = left < (off_t)sizeof zero ? (size_t)left : sizeof zero;
				if (sp_io_write_all(fd, zero, n) != SP_OK)
					break;
				left -= (off_t)n;
			}
			(void)fdatasync(fd);
			close(fd);
		}
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* Workspaces a killed edit (SIGKILL, a crash) left: ours (same owner), and no longer locked by
 * the edit that made it. A running edit holds an exclusive flock on its workspace, whatever PID
 * namespace it runs in. */
static void sweep_stale(const char *base)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int bfd = open(base, O_DIR), fd;

	if (bfd < 0 || (d = fdopendir(bfd)) == NULL) {
		if (bfd >= 0)
			close(bfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "secretpack-edit.", 16) != 0 ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid() || (fd = openat(dirfd(d), de->d_name, O_DIR)) < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			close(fd);
			continue;
		}
		wipe_dir(fd, 0);
		(void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void wipe(struct edit *e)
{
	char *slash;
	int base;

	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	if (e->keep >= 0)
		close(e->keep);
	e->keep = -1;
	if (e->files >= 0)
		close(e->files);
	e->files = -1;
	for (size_t i = 0; i < e->n_w; i++)
		if (e->w[i].fd >= 0)
			close(e->w[i].fd);
	e->n_w = 0;
	if (e->ws < 0)
		return;
	/* Twice: a listing read while it shrinks may miss a name. */
	if ((base = openat(e->ws, ".", O_DIR)) >= 0)
		wipe_dir(base, 0);
	wipe_dir(e->ws, 0);
	e->ws = -1;
	if ((slash = strrchr(e->path, '/')) != NULL) {
		*slash = '\0';
		if ((base = open(e->path[0] ? e->path : "/", O_DIR)) >= 0) {
			(void)unlinkat(base, slash + 1, AT_REMOVEDIR);
			close(base);
		}
		*slash = '/';
	}
}

/* Opens (creating 0700 directories) the parent of name below dfd; *leaf points into name. */
static int open_parent(int dfd, const char *name, const char **leaf, int create)
{
	char part[SP_NAME_MAX + 1];
	const char *p = name, *slash;
	int fd = dup(dfd), nfd;

	while (fd >= 0 && (slash = strchr(p, '/')) != NULL) {
		memcpy(part, p, (size_t)(slash - p));
		part[slash - p] = '\0';
		if (create && mkdirat(fd, part, 0700) != 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		nfd = openat(fd, part, O_DIR);
		close(fd);
		fd = nfd;
		p = slash + 1;
	}
	*leaf = p;
	return fd;
}

static int extract(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct edit *e = ctx;
	const char *leaf;
	int dfd;

	if (e->only >= 0 && (long)idx != e->only)
		return SP_OK; /* edit NAME: the others are authenticated, never written out */
	if (e->fd < 0) {
		if ((dfd = open_parent(e->files, e->old[idx].name, &leaf, 1)) < 0)
			return SP_ERR_IO;
		char num[32];
		e->fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		(void)snprintf(num, sizeof num, "%zu", idx);
		if (e->fd >= 0 && linkat(dfd, leaf, e->keep, num, 0) != 0) {
			close(e->fd);
			e->fd = -1;
		}
		close(dfd);
		if (e->fd < 0)
			return SP_ERR_IO;
		crypto_generichash_init(&e->h, e->key, sizeof e->key, 32);
	}
	if (buf == NULL) {
		crypto_generichash_final(&e->h, e->old_hash[idx], 32);
		sodium_memzero(&e->h, sizeof e->h);
		close(e->fd);
		e->fd = -1;
		return SP_OK;
	}
	crypto_generichash_update(&e->h, buf, len);
	return sp_io_write_all(e->fd, buf, len);
}

static int add_wfile(struct edit *e, const char *name, int fd, uint64_t size)
{
	struct wfile *nw;

	if (e->n_w == e->cap_w) {
		size_t ncap = e->cap_w ? e->cap_w * 2 : 16;
		if (ncap > 2 * (size_t)SP_ENTRIES_MAX || (nw = realloc(e->w, ncap * sizeof *nw)) == NULL) {
			close(fd);
			return e->cap_w >= SP_ENTRIES_MAX ? sp_fail("%s: more than %d files: the limit is %d entries",
			    VERB, SP_ENTRIES_MAX, SP_ENTRIES_MAX) : sp_fail_err(VERB, SP_ERR_NOMEM);
		}
		e->w = nw;
		e->cap_w = ncap;
	}
	nw = &e->w[e->n_w++];
	memset(nw, 0, sizeof *nw);
	memcpy(nw->name, name, strlen(name) + 1);
	nw->fd = fd;
	nw->size = size;
	return EXIT_OK;
}

static int hash_fd(struct edit *e, int fd, unsigned char out[32])
{
	crypto_generichash_state h;
	unsigned char buf[16384];
	ssize_t r;

	crypto_generichash_init(&h, e->key, sizeof e->key, 32);
	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sodium_memzero(buf, sizeof buf);
			sodium_memzero(&h, sizeof h); /* it buffers up to a block of the plaintext */
			return SP_ERR_IO;
		}
		crypto_generichash_update(&h, buf, (size_t)r);
	}
	sodium_memzero(buf, sizeof buf);
	crypto_generichash_final(&h, out, 32);
	sodium_memzero(&h, sizeof h);
	return SP_OK;
}

/* Every file below dfd (the edited tree) as an entry named by its relative path. */
/* NOLINTNEXTLINE(misc-no-recursion): depth is capped at SP_NAME_DEPTH_MAX */
static int scan(struct edit *e, int dfd, const char *prefix, int depth)
{
	char name[SP_NAME_MAX + 2];
	struct dirent *de;
	struct stat st;
	DIR *d = fdopendir(dfd);
	int fd, rc = EXIT_FAIL, n;

	if (d == NULL) {
		close(dfd);
		return sp_fail_path(VERB, e->path, SP_ERR_IO);
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n = snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name);
		if (n < 0 || (size_t)n > SP_NAME_MAX || sp_name_check(name) != SP_OK || depth > SP_NAME_DEPTH_MAX) {
			rc = sp_fail("%s: '%.*s': not a valid entry name (letters, digits, . _ - @ + =, '/' between "
			    "at most %d parts): nothing changed; edit again and name it so", VERB, 300, name,
			    SP_NAME_DEPTH_MAX);
			goto out;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = sp_fail_path(VERB, name, SP_ERR_IO);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((fd = openat(dirfd(d), de->d_name, O_DIR)) < 0 || scan(e, fd, name, depth + 1) != EXIT_OK) {
				rc = fd < 0 ? sp_fail_path(VERB, name, SP_ERR_IO) : EXIT_FAIL;
				goto out;
			}
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = sp_fail("%s: '%s': not a regular file (a link or special file): nothing changed", VERB, name);
			goto out;
		}
		if ((fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0 ||
		    fstat(fd, &st) != 0) {
			if (fd >= 0)
				close(fd);
			rc = sp_fail_path(VERB, name, SP_ERR_IO);
			goto out;
		}
		if ((unsigned long long)st.st_size > SP_ENTRY_SIZE_MAX) {
			close(fd);
			rc = sp_fail("%s: '%s': larger than the %llu MiB entry limit: nothing changed", VERB, name,
			    SP_ENTRY_SIZE_MAX >> 20);
			goto out;
		}
		if (add_wfile(e, name, fd, (uint64_t)st.st_size) != EXIT_OK)
			goto out;
		if (hash_fd(e, fd, e->w[e->n_w - 1].hash) != SP_OK) {
			rc = sp_fail_path(VERB, name, SP_ERR_IO);
			goto out;
		}
	}
	rc = errno != 0 ? sp_fail_path(VERB, e->path, SP_ERR_IO) : EXIT_OK;
out:
	closedir(d);
	return rc;
}

/* edit NAME: the entry's file only; whatever else the editor left in the workspace is wiped. */
static int collect_one(struct edit *e, const char *name)
{
	struct stat st;
	const char *leaf;
	int dfd = open_parent(e->files, name, &leaf, 0), fd = -1;

	if (dfd >= 0) {
		fd = openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		close(dfd);
	}
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return sp_fail("%s: '%s': deleted in the editor: nothing changed; remove an entry with "
		    "'secretpack rm'", VERB, name);
	if (fd < 0 && errno == ELOOP)
		return sp_fail("%s: '%s': not a regular file (a link or special file): nothing changed", VERB, name);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return sp_fail_path(VERB, name, SP_ERR_IO);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return sp_fail("%s: '%s': not a regular file (a link or special file): nothing changed", VERB, name);
	}
	if ((unsigned long long)st.st_size > SP_ENTRY_SIZE_MAX) {
		close(fd);
		return sp_fail("%s: '%s': larger than the %llu MiB entry limit: nothing changed", VERB, name,
		    SP_ENTRY_SIZE_MAX >> 20);
	}
	if (add_wfile(e, name, fd, (uint64_t)st.st_size) != EXIT_OK)
		return EXIT_FAIL;
	if (hash_fd(e, fd, e->w[e->n_w - 1].hash) != SP_OK)
		return sp_fail_path(VERB, name, SP_ERR_IO);
	return EXIT_OK;
}

static int cmp_wfile(const void *a, const void *b)
{
	return strcmp(((const struct wfile *)a)->name, ((const struct wfile *)b)->name);
}

static const char *sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

/* A signal that arrived while blocked: the edit stops there. */
static int interrupted(const sigset_t *set)
{
	sigset_t pending;

	if (sigpending(&pending) != 0)
		return 0;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGCHLD && sigismember(set, s) && sigismember(&pending, s))
			return s;
	return 0;
}

/* Runs the editor on path with the signals unblocked in the child only. SIGTERM and SIGHUP are
 * passed on to the editor and stop the edit; SIGINT belongs to the editor (a terminal sends it
 * to both). Returns EXIT_OK after a zero exit status, else prints the one line. */
static int run_editor(const struct edit *e, const char *path, const sigset_t *set, const sigset_t *old)
{
	const char *ed = getenv("VISUAL");
	char cmd[4096], tmpdir[4200];
	siginfo_t si;
	pid_t pid;
	int status, stop = 0;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	/* exec: the signals passed on reach the editor itself, not only a shell waiting for it. */
	if ((size_t)snprintf(cmd, sizeof cmd, "exec %s \"$@\"", ed) >= sizeof cmd)
		return sp_fail("%s: $EDITOR is too long", VERB);
	(void)snprintf(tmpdir, sizeof tmpdir, "%s/tmp", e->path);
	if ((pid = fork()) < 0)
		return sp_fail("%s: cannot start the editor: %s", VERB, strerror(errno));
	if (pid == 0) {
		/* The editor gets no key or passphrase (SECRETPACK_KEY holds an identity's text) and
		 * keeps its own temporary files in the workspace too. */
		for (size_t i = 0; environ[i] != NULL;) {
			char var[256];
			size_t len = strcspn(environ[i], "=");
			if (strncmp(environ[i], "SECRETPACK_", 11) != 0 || len >= sizeof var) {
				i++;
				continue;
			}
			memcpy(var, environ[i], len);
			var[len] = '\0';
			if (unsetenv(var) != 0)
				_exit(127);
		}
		(void)setenv("TMPDIR", tmpdir, 1);
		(void)signal(SIGCHLD, SIG_DFL);
		(void)sigprocmask(SIG_SETMASK, old, NULL);
		execl("/bin/sh", "sh", "-c", cmd, ed, path, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		int sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue;
		if (sig == SIGTERM || sig == SIGHUP) {
			stop = sig;
			(void)kill(pid, sig);
			continue;
		}
		if (sig != SIGCHLD)
			continue;
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (stop)
		return sp_fail("%s: interrupted by %s: nothing changed; the decrypted files were wiped", VERB,
		    sig_name(stop));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return EXIT_OK;
	if (WIFEXITED(status))
		return sp_fail("%s: the editor (%s) exited with status %d: nothing changed; the decrypted files "
		    "were wiped", VERB, ed, WEXITSTATUS(status));
	return sp_fail("%s: the editor (%s) was killed by signal %d: nothing changed; the decrypted files "
	    "were wiped", VERB, ed, WTERMSIG(status));
}

static void on_chld(int sig)
{
	(void)sig;
}

int cmd_edit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, 0, 'i' }, { "sign", required_argument, 0, 's' },
		{ "allow-disk", no_argument, 0, 'D' }, { "output", required_argument, 0, 'o' },
		{ "allow-expired", no_argument, 0, 'x' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct sp_rewrite rw;
	struct edit e;
	struct sp_rw_entry *list = NULL;
	struct sigaction sa;
	sigset_t set, old;
	const char *base, *name = NULL;
	char target[4096 + SP_NAME_MAX + 8];
	size_t n = 0;
	int c, err, sig, rc = EXIT_FAIL, allow_disk = 0, changed = 0, masked = 0;

	memset(&rw, 0, sizeof rw);
	memset(&e, 0, sizeof e);
	e.ws = e.files = e.fd = e.keep = -1;
	e.only = -1;
	rw.verb = VERB;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': rw.identity = optarg; break;
		case 's': rw.sign = optarg; break;
		case 'D': allow_disk = 1; break;
		case 'o': rw.out = optarg; break;
		case 'x': rw.allow_expired = 1; break;
		case 'h': (void)fputs(edit_usage, stdout); return EXIT_OK;
		case ':': return sp_usage_error(VERB, "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error(VERB, "unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return sp_usage_error(VERB, "expected BUNDLE [NAME]");
	rw.bundle = argv[optind];
	if (argc - optind == 2)
		name = argv[optind + 1];
	/* The editor reads the terminal and draws on stdout: neither can carry a bundle. */
	if (!strcmp(rw.bundle, "-"))
		return sp_usage_error(VERB, "BUNDLE -: the editor needs the terminal as stdin: name the "
		    "bundle file (or use 'secretpack set' with BUNDLE - and -o)");
	if (rw.out != NULL && !strcmp(rw.out, "-"))
		return sp_usage_error(VERB, "-o -: the editor draws on stdout: write to a file with -o OUT");
	/* edit NAME decrypts that entry only; the others stream from a second read of the bundle. */
	rw.reread = name != NULL;
	if ((base = pick_base(allow_disk)) == NULL)
		return sp_fail("%s: no RAM-backed directory: neither $XDG_RUNTIME_DIR nor /dev/shm is a tmpfs, "
		    "and the decrypted files must not reach a disk: mount one, or pass --allow-disk", VERB);
	/* Unlocked (and any passphrase asked for) while Ctrl-C still simply ends the program. */
	if ((c = sp_rw_open(&rw)) != EXIT_OK) {
		rc = c;
		goto out;
	}
	if (name != NULL) {
		size_t i = 0;
		while (i < rw.n_old && strcmp(rw.old[i].name, name) != 0)
			i++;
		if (i == rw.n_old) {
			rc = sp_fail("%s: %s: no entry named '%s': add one with 'secretpack set', or edit the whole "
			    "bundle", VERB, rw.bundle, name);
			goto out;
		}
		e.only = (long)i;
	}
	/* From here the signals wait: every way out wipes the workspace first. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	(void)sigaction(SIGCHLD, &sa, NULL);
	if (sigprocmask(SIG_BLOCK, &set, &old) != 0) {
		rc = sp_fail("%s: cannot block signals: %s", VERB, strerror(errno));
		goto out;
	}
	masked = 1;
	randombytes_buf(e.key, sizeof e.key);
	sweep_stale(base);
	if ((size_t)snprintf(e.path, sizeof e.path, "%s/secretpack-edit.XXXXXX", base) >= sizeof e.path) {
		rc = sp_fail("%s: %s: path too long", VERB, base);
		goto out;
	}
	if (mkdtemp(e.path) == NULL) {
		rc = sp_fail("%s: %s: cannot make a private directory: %s", VERB, base, strerror(errno));
		goto out;
	}
	if ((e.ws = open(e.path, O_DIR)) < 0 || flock(e.ws, LOCK_EX) != 0 || mkdirat(e.ws, "files", 0700) != 0 ||
	    mkdirat(e.ws, "tmp", 0700) != 0 || mkdirat(e.ws, "keep", 0700) != 0 ||
	    (e.files = openat(e.ws, "files", O_DIR)) < 0 || (e.keep = openat(e.ws, "keep", O_DIR)) < 0) {
		rc = sp_fail_path(VERB, e.path, SP_ERR_IO);
		goto out;
	}
	if ((e.old_hash = calloc(rw.n_old ? rw.n_old : 1, sizeof *e.old_hash)) == NULL) {
		rc = sp_fail_err(VERB, SP_ERR_NOMEM);
		goto out;
	}
	e.old = rw.old;
	if ((err = sp_rw_drain(&rw, extract, &e)) != SP_OK) {
		rc = err == SP_ERR_IO ? sp_fail_path(VERB, e.path, err) : sp_fail_bundle(VERB, rw.bundle, err, NULL);
		goto out;
	}
	if ((sig = interrupted(&set)) != 0) {
		rc = sp_fail("%s: interrupted by %s: nothing changed; the decrypted files were wiped", VERB,
		    sig_name(sig));
		goto out;
	}
	(void)snprintf(target, sizeof target, "%s/files%s%s", e.path, name ? "/" : "", name ? name : "");
	if (run_editor(&e, target, &set, &old) != EXIT_OK)
		goto out;
	if (e.only >= 0 && name != NULL ? collect_one(&e, name) != EXIT_OK
	    : scan(&e, dup(e.files), "", 1) != EXIT_OK)
		goto out;
	/* Old entries in their order, with their metadata; added files after them, by name. */
	if ((list = calloc(e.n_w > rw.n_old ? e.n_w : rw.n_old ? rw.n_old : 1, sizeof *list)) == NULL) {
		rc = sp_fail_err(VERB, SP_ERR_NOMEM);
		goto out;
	}
	if (e.n_w > 1)
		qsort(e.w, e.n_w, sizeof *e.w, cmp_wfile);
	for (size_t i = 0; e.only >= 0 && i < rw.n_old; i++) {
		/* The entry from its file; every other one streams from the bundle. */
		list[n].meta = rw.old[i];
		list[n].old = (long)i;
		list[n].fd = -1;
		if ((long)i == e.only) {
			changed = sodium_memcmp(e.w[0].hash, e.old_hash[i], 32) != 0;
			list[n].meta.size = e.w[0].size;
			list[n].old = -1;
			list[n].fd = e.w[0].fd;
		}
		n++;
	}
	for (size_t i = 0; e.only < 0 && i < rw.n_old; i++) {
		struct wfile key, *f;
		memset(&key, 0, sizeof key);
		memcpy(key.name, rw.old[i].name, sizeof key.name);
		f = e.n_w ? bsearch(&key, e.w, e.n_w, sizeof *e.w, cmp_wfile) : NULL;
		if (f == NULL) {
			changed = 1;
			continue;
		}
		if (sodium_memcmp(f->hash, e.old_hash[i], 32) != 0)
			changed = 1;
		list[n].meta = rw.old[i];
		list[n].meta.size = f->size;
		list[n].old = -1;
		list[n].fd = f->fd;
		f->size = UINT64_MAX; /* taken */
		n++;
	}
	for (size_t i = 0; e.only < 0 && i < e.n_w; i++) {
		if (e.w[i].size == UINT64_MAX)
			continue;
		changed = 1;
		memset(&list[n].meta, 0, sizeof list[n].meta);
		memcpy(list[n].meta.name, e.w[i].name, sizeof list[n].meta.name);
		list[n].meta.size = e.w[i].size;
		list[n].meta.mode = 0400;
		list[n].old = -1;
		list[n].fd = e.w[i].fd;
		n++;
	}
	if ((sig = interrupted(&set)) != 0) {
		rc = sp_fail("%s: interrupted by %s: nothing changed; the decrypted files were wiped", VERB,
		    sig_name(sig));
		goto out;
	}
	if (!changed) {
		(void)sp_fail("%s: %s: no changes: left as it was", VERB, rw.bundle);
		rc = EXIT_OK;
		goto out;
	}
	if (e.only >= 0 && sp_rw_reopen(&rw) != EXIT_OK)
		goto out;
	rc = sp_rw_commit(&rw, list, n);
out:
	wipe(&e);
	sp_rw_free(&rw);
	free(list);
	free(e.w);
	free(e.old_hash);
	sodium_memzero(e.key, sizeof e.key);
	sodium_memzero(&e.h, sizeof e.h);
	if (masked) {
		/* Signals that arrived meanwhile are dropped: the edit already stopped or finished. */
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&set, NULL, &zero) > 0)
			;
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	}
	return rc;
}
