/* cmd_run_key.c - `secretpack run`: the identity or passphrase, from the environment, a file or a
 * descriptor, and the checks that keep both out of the app's reach. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <sodium.h>

#include "cli.h"
#include "sp_err.h"
#include "sp_io.h"
#include "sp_kdf.h"
#include "sp_secmem.h"
#include "run.h"

#define PASS_MAX SP_PASS_MAX
#define DESC_MAX (2 * PATH_MAX + 64)

/* The value of var, or NULL when unset or empty (an empty key variable counts as unset). */
static const char *value_of(const char *var)
{
	const char *v = getenv(var);
	return v != NULL && *v ? v : NULL;
}

static int is_set(const char *var)
{
	return value_of(var) != NULL;
}

/* ---- descriptors ---- */

static int parse_fd(const char *s, int *fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > INT_MAX)
		return -1;
	*fd = (int)v;
	return fcntl(*fd, F_GETFD) < 0 ? -1 : 0;
}

/* Runs before anything else can fail: a descriptor named by a SECRETPACK_*_FD variable is never
 * inherited by the app, whichever key source is used in the end and whatever fails. */
void run_take_key_fds(struct run *r)
{
	size_t pl = strlen(SP_ENV_PREFIX), i;
	int fd, null;

	r->key_fd = -1;
	for (i = 0; environ != NULL && environ[i] != NULL; i++) {
		const char *kv = environ[i], *eq = strchr(kv, '=');
		size_t nl = eq != NULL ? (size_t)(eq - kv) : 0;
		int is_key = nl == strlen("SECRETPACK_KEY_FD") && strncmp(kv, "SECRETPACK_KEY_FD", nl) == 0;

		if (nl < pl + 3 || strncmp(kv, SP_ENV_PREFIX, pl) != 0 || strncmp(eq - 3, "_FD", 3) != 0 ||
		    eq[1] == '\0')
			continue;
		if (parse_fd(eq + 1, &fd) != 0) {
			if (is_key && r->key_fd < 0)
				r->key_fd_bad = 1;
			continue;
		}
		if (is_key && r->key_fd < 0 && (r->key_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
			r->key_fd_bad = 1;
		(void)close(fd);
		/* 0, 1 or 2 must not be left free for the next open() to take. */
		if (fd <= 2 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && null != fd) {
			(void)dup2(null, fd);
			(void)close(null);
		}
	}
}

/* ---- who the app will be, and what it could read ---- */

struct target {
	uid_t uid;
	gid_t groups[SP_USER_GROUPS_MAX + 1];
	size_t n;
	int self;                 /* the shim is not root and already runs as the app's uid */
	int deliver;              /* --deliver: no app in this container, so none to keep out */
};

static void target_of(const struct run *r, struct target *t)
{
	int n;

	memset(t, 0, sizeof *t);
	if (r->has_user) {
		t->uid = r->user.uid;
		memcpy(t->groups, r->user.groups, r->user.n_groups * sizeof t->groups[0]);
		t->n = r->user.n_groups;
	} else {
		t->uid = geteuid();
		t->groups[0] = getegid();
		n = getgroups(SP_USER_GROUPS_MAX, t->groups + 1);
		t->n = 1 + (n > 0 ? (size_t)n : 0);
	}
	t->self = t->uid == geteuid() && geteuid() != 0;
	t->deliver = r->o.deliver;
}

enum reach { REACH_NONE, REACH_OWNER, REACH_GROUP, REACH_OTHER, REACH_LOOSE };

/* How the app could get at the file behind st after the drop. An app running as root can read
 * every file anyway: only the old rule (no group or other bits) applies then. */
static enum reach reach_of(const struct target *t, const struct stat *st)
{
	size_t i;

	/* --deliver starts nothing: the app runs in another container, which does not mount the
	 * key (README, Kubernetes); the init container must read a key that kubelet gives it
	 * through fsGroup (defaultMode 0440). */
	if (t->deliver)
		return REACH_NONE;
	if (t->uid != 0) {
		if (st->st_uid == t->uid)
			return REACH_OWNER; /* even mode 0000: the owner may chmod it */
		for (i = 0; (st->st_mode & S_IRGRP) && i < t->n; i++)
			if (t->groups[i] == st->st_gid)
				return REACH_GROUP;
		if (st->st_mode & S_IROTH)
			return REACH_OTHER;
	}
	return (st->st_mode & 077) ? REACH_LOOSE : REACH_NONE;
}

/* Where a file bind-mounted on its own (docker -v HOST:/run/secretpack/key) comes from, as its
 * source filesystem sees it (/proc/self/mountinfo, field 4); "" when unknown. */
static void mount_source(const char *path, char *out, size_t cap)
{
	char real[PATH_MAX], *line = NULL, *f[5], *save, *p;
	size_t n = 0, i;
	FILE *fp;

	out[0] = '\0';
	if (realpath(path, real) == NULL || (fp = fopen("/proc/self/mountinfo", "re")) == NULL)
		return;
	while (getline(&line, &n, fp) > 0) {
		for (i = 0, p = line; i < 5 && (f[i] = strtok_r(p, " \n", &save)) != NULL; i++)
			p = NULL;
		if (i == 5 && strcmp(f[4], real) == 0 && strcmp(f[3], "/") != 0 &&
		    strlen(f[3]) < cap && strchr(f[3], '\\') == NULL)
			memcpy(out, f[3], strlen(f[3]) + 1);
	}
	free(line);
	(void)fclose(fp);
}

/* "SECRETPACK_KEY_FILE /run/secretpack/key (mounted from /home/dev/app.key)" into d; the path to
 * put in the fix (the mount's source when known) into fix. */
static void describe(const char *var, const char *path, char *d, char *fix)
{
	char src[PATH_MAX];

	mount_source(path, src, sizeof src);
	if (src[0] != '\0')
		(void)snprintf(d, DESC_MAX, "%s %s (mounted from %s)", var, path, src);
	else
		(void)snprintf(d, DESC_MAX, "%s %s", var, path);
	(void)snprintf(fix, PATH_MAX, "%s", src[0] != '\0' ? src : path);
}

/* describe(), done once, when a message needs it. */
static const char *described(const char *var, const char *path, char *d, char *fix)
{
	if (d[0] == '\0')
		describe(var, path, d, fix);
	return d;
}

static int fail_reach(enum reach how, const char *desc, const char *fix,
    const struct stat *st, const char *what, const char *extra)
{
	char why[128];
	const char *file = fix;

	switch (how) {
	case REACH_OWNER:
		(void)snprintf(why, sizeof why, "owned by uid %u, the uid the app runs as: the app could "
		    "read the %s", (unsigned)st->st_uid, what);
		break;
	case REACH_GROUP:
		(void)snprintf(why, sizeof why, "readable by group %u, one of the app's groups: the app "
		    "could read the %s", (unsigned)st->st_gid, what);
		break;
	case REACH_OTHER:
		(void)snprintf(why, sizeof why, "readable by every user (mode %04o): the app could read "
		    "the %s", (unsigned)(st->st_mode & 07777), what);
		break;
	default:
		(void)snprintf(why, sizeof why, "readable or writable by group or others (mode %04o)",
		    (unsigned)(st->st_mode & 07777));
		break;
	}
	return sp_fail("run: %s: %s%s: fix it where it comes from: on the host 'chown root:root %s "
	    "&& chmod 0400 %s', in a Kubernetes Secret volume defaultMode: 0400 without fsGroup, or "
	    "on a tmpfs with --unlink-key", desc, why, extra, file, file);
}

/* ---- files ---- */

/* Removes the file read through fd, named path, when that is safe and verifiable: path is not a
 * symlink, is the same file, on a tmpfs; afterwards fd's link count must be 0. NULL on success,
 * else the reason (in why). */
static const char *unlink_file(const char *path, int fd, char *why, size_t cap)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	struct stat st, ls;
	struct statfs sf;
	int dfd;

	if (fstatfs(fd, &sf) != 0 || ((unsigned long)sf.f_type != (unsigned long)TMPFS_MAGIC &&
	    (unsigned long)sf.f_type != (unsigned long)RAMFS_MAGIC))
		return "it is not on a tmpfs, where removing it would leave its bytes on the disk";
	if (slash == NULL)
		(void)snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		(void)snprintf(dir, sizeof dir, "/");
	else
		(void)snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if (*base == '\0' || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return "its folder cannot be opened";
	if (fstatat(dfd, base, &ls, AT_SYMLINK_NOFOLLOW) != 0 || fstat(fd, &st) != 0 ||
	    (!S_ISLNK(ls.st_mode) && ls.st_dev == st.st_dev && ls.st_ino == st.st_ino &&
	    unlinkat(dfd, base, 0) != 0)) {
		(void)snprintf(why, cap, "%s", strerror(errno));
	} else if (S_ISLNK(ls.st_mode)) {
		(void)snprintf(why, cap, "it is a symlink (a Kubernetes Secret or projected volume?) and "
		    "only a regular file is removed");
	} else if (ls.st_dev != st.st_dev || ls.st_ino != st.st_ino) {
		(void)snprintf(why, cap, "it was replaced after it was read");
	} else if (fstat(fd, &st) != 0 || st.st_nlink != 0) {
		(void)snprintf(why, cap, "another hard link to it remains");
	} else {
		(void)close(dfd);
		return NULL;
	}
	(void)close(dfd);
	return why;
}

static int fail_open(const struct run *r, const char *var, const char *path)
{
	int e = errno;

	if ((e == EACCES || e == EPERM) && r->o.deliver)
		return sp_fail("run: %s %s: permission denied: secretpack runs as uid %u and cannot read "
		    "it: give the pod an fsGroup and the Secret volume defaultMode: 0440 (or run the init "
		    "container as the file's owner)", var, path, (unsigned)geteuid());
	if (e == ENOENT)
		return sp_fail("run: %s %s: no such file: mount the key there (docker run -v "
		    "/absolute/path/app.key:%s:ro, a compose volume, or a Kubernetes Secret volume) or "
		    "correct the path", var, path, path);
	if ((e == EACCES || e == EPERM) && geteuid() != 0)
		return sp_fail("run: %s %s: permission denied: secretpack runs as uid %u and cannot read "
		    "it: start it as root with --user (the key root:root 0400, unreadable by the app), "
		    "or pass the key on a pipe (SECRETPACK_KEY_FD)", var, path, (unsigned)geteuid());
	return sp_fail("run: %s %s: %s", var, path, strerror(e));
}

/* Reads a key or passphrase file (var names it) after checking that the app could not read it;
 * with unlinkable and --unlink-key, removes it. *text is locked memory (sp_io_free(.., 1)). */
static int load_file(struct run *r, const char *var, const char *path, int unlinkable, size_t max,
    const char *what, unsigned char **text, size_t *len)
{
	char desc[DESC_MAX], fix[PATH_MAX], why[256];
	const char *failed;
	struct target t;
	struct stat st;
	enum reach how;
	int fd, err, do_unlink = unlinkable && r->o.unlink_key, rc = EXIT_FAIL;

	*text = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted where a file is expected must not hang us; cleared below. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return fail_open(r, var, path);
	target_of(r, &t);
	/* The description reads /proc/self/mountinfo: only for a message. */
	desc[0] = fix[0] = '\0';
	if (fstat(fd, &st) != 0) {
		sp_fail("run: %s: %s", described(var, path, desc, fix), strerror(errno));
		goto out;
	}
	/* (Only a regular file is read, on which O_NONBLOCK changes nothing: it stays set.) */
	if (!S_ISREG(st.st_mode)) {
		sp_fail("run: %s: not a regular file", described(var, path, desc, fix));
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		sp_fail("run: %s: larger than %zu bytes: not a %s", described(var, path, desc, fix), max,
		    what);
		goto out;
	}
	how = reach_of(&t, &st);
	/* The shim running as the app's own uid cannot keep the app out: it says so instead. */
	if (how != REACH_NONE && !do_unlink && !(how == REACH_OWNER && t.self)) {
		fail_reach(how, described(var, path, desc, fix), fix, &st, what, "");
		goto out;
	}
	if ((err = sp_io_read_fd(fd, max, SP_IO_LOCKED, text, len)) != SP_OK) {
		sp_fail_path("run", described(var, path, desc, fix), err);
		goto out;
	}
	if (do_unlink) {
		if ((failed = unlink_file(path, fd, why, sizeof why)) != NULL && how != REACH_NONE) {
			char extra[300];

			(void)snprintf(extra, sizeof extra, ", and --unlink-key cannot remove it: %s", failed);
			fail_reach(how, described(var, path, desc, fix), fix, &st, what, extra);
			goto out;
		}
		if (failed != NULL)
			sp_fail("run: warning: %s: not removed (--unlink-key): %s; the app cannot read it",
			    described(var, path, desc, fix), failed);
	} else if (how == REACH_OWNER && t.self && r->key_warn[0] == '\0') {
		(void)snprintf(r->key_warn, sizeof r->key_warn, "%s %s", var, path);
	}
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK && *text != NULL) {
		sp_io_free(*text, *len, 1);
		*text = NULL;
		*len = 0;
	}
	(void)close(fd);
	return rc;
}

/* ---- passphrase ---- */

/* The passphrase of src (its exact bytes, less one trailing LF or CR LF) into r->pass
 * (locked memory, sp_secmem.h). */
static int set_pass(struct run *r, const char *var, const char *src, size_t n)
{
	if (src == NULL)
		n = 0;
	n = n > 0 ? sp_passphrase_line(src, n) : 0;
	if (n == 0)
		return sp_fail("run: %s: empty passphrase: put the passphrase in it", var);
	if (n > PASS_MAX)
		return sp_fail("run: %s: passphrase longer than %d bytes: use a shorter one", var, PASS_MAX);
	if (sp_passphrase_check(src, n) != SP_OK)
		return sp_fail("run: %s: the passphrase holds a line break or NUL byte: put it on one line "
		    "(only one trailing newline is dropped)", var);
	if ((r->pass = sp_secmem_alloc(n + 1)) == NULL)
		return sp_fail_err("run", SP_ERR_NOMEM);
	memcpy(r->pass, src, n);
	r->pass[n] = '\0';
	r->pass_len = n;
	return EXIT_OK;
}

static int load_pass(struct run *r)
{
	const char *env = value_of("SECRETPACK_PASSPHRASE"), *file = value_of("SECRETPACK_PASSPHRASE_FILE");
	unsigned char *text = NULL;
	size_t len = 0;
	int rc;

	if (env != NULL)
		return set_pass(r, "SECRETPACK_PASSPHRASE", env, strlen(env));
	if (file == NULL)
		return EXIT_OK;
	if (load_file(r, "SECRETPACK_PASSPHRASE_FILE", file, 0, PASS_MAX + 2, "passphrase", &text,
	    &len) != EXIT_OK)
		return EXIT_FAIL;
	rc = set_pass(r, "SECRETPACK_PASSPHRASE_FILE", (const char *)text, len);
	sp_io_free(text, len, 1);
	return rc;
}

/* An encrypted identity takes the passphrase given for the run, else asks the terminal. */
static int identity_pass(void *ctx, char *buf, size_t cap, size_t *len)
{
	struct run *r = ctx;

	if (r->pass == NULL)
		return sp_io_identity_pass(NULL, buf, cap, len);
	if (r->pass_len + 1 > cap)
		return SP_ERR_LIMIT;
	memcpy(buf, r->pass, r->pass_len + 1);
	*len = r->pass_len;
	return SP_OK;
}

/* ---- key ---- */

static int parse_key(struct run *r, const char *shown, const unsigned char *text, size_t len)
{
	size_t bad = 0;
	int err = sp_identities_parse(&r->ids, (const char *)text, len, identity_pass, r, &bad);

	if (err == SP_OK)
		return EXIT_OK;
	if (err == SP_ERR_WRONG_PASS)
		return sp_fail("run: %s: wrong passphrase for the encrypted identity", shown);
	if (err == SP_ERR_ARG)
		return sp_fail_pass("run", err);
	if (bad > 0)
		return sp_fail("run: %s: line %zu: %s", shown, bad, sp_err_str(err));
	return sp_fail("run: %s: %s", shown, sp_err_str(err));
}

static int key_from_fd(struct run *r)
{
	char link[64], target[PATH_MAX], desc[DESC_MAX], fix[PATH_MAX];
	unsigned char *text = NULL;
	const char *val = getenv("SECRETPACK_KEY_FD");
	struct target t;
	struct stat st;
	enum reach how;
	size_t len = 0;
	ssize_t n;
	int err, rc = EXIT_FAIL, fd = r->key_fd;

	if (r->key_fd_bad || fd < 0)
		return sp_fail("run: SECRETPACK_KEY_FD=%s: not an open file descriptor", val);
	if (fstat(fd, &st) != 0) {
		sp_fail("run: SECRETPACK_KEY_FD=%s: %s", val, strerror(errno));
		goto out;
	}
	/* A pipe is consumed; a regular file could still be opened by its name. */
	if (S_ISREG(st.st_mode)) {
		(void)snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof target - 1);
		target[n > 0 ? (size_t)n : 0] = '\0';
		(void)snprintf(desc, sizeof desc, "SECRETPACK_KEY_FD=%s%s%s", val, n > 0 ? " " : "", target);
		(void)snprintf(fix, sizeof fix, "%s", n > 0 ? target : "FILE");
		target_of(r, &t);
		how = reach_of(&t, &st);
		if (how != REACH_NONE && !(how == REACH_OWNER && t.self)) {
			fail_reach(how, desc, fix, &st, "key", "");
			goto out;
		}
		if (how == REACH_OWNER && t.self)
			(void)snprintf(r->key_warn, sizeof r->key_warn, "%.*s", PATH_MAX - 1, desc);
	} else if (S_ISDIR(st.st_mode)) {
		sp_fail("run: SECRETPACK_KEY_FD=%s: a directory, not the key", val);
		goto out;
	}
	if ((err = sp_io_read_fd(fd, KEY_MAX, SP_IO_LOCKED, &text, &len)) != SP_OK) {
		sp_fail_path("run", "SECRETPACK_KEY_FD", err);
		goto out;
	}
	rc = parse_key(r, "SECRETPACK_KEY_FD", text, len);
out:
	sp_io_free(text, len, 1);
	(void)close(fd);
	sp_fds_forget(&r->fds, fd);
	r->key_fd = -1;
	return rc;
}

/* The locked arena (sp_secmem.h) carries on without the lock when it may not: say so, once. */
static void warn_unlockable(void)
{
	if (sp_secmem_init() == SP_ERR_PRIV)
		(void)sp_fail("run: warning: memory locking refused (%s): key pages may reach swap; "
		    "raise RLIMIT_MEMLOCK (docker run --ulimit memlock=1048576)", strerror(errno));
}

/* More than one of vars[0..n) set: one line naming them. */
static int one_source(const char *const *vars, size_t n, const char *what)
{
	const char *set[3];
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (is_set(vars[i]))
			set[k++] = vars[i];
	if (k == 2)
		return sp_fail("run: more than one %s: %s and %s are both set: keep one and unset the "
		    "other (an empty value unsets it)", what, set[0], set[1]);
	if (k == 3)
		return sp_fail("run: more than one %s: %s, %s and %s are all set: keep one and unset the "
		    "others (an empty value unsets them)", what, set[0], set[1], set[2]);
	return EXIT_OK;
}

int run_load_key(struct run *r)
{
	static const char *const keys[] = { "SECRETPACK_KEY", "SECRETPACK_KEY_FILE", "SECRETPACK_KEY_FD" };
	static const char *const passes[] = { "SECRETPACK_PASSPHRASE", "SECRETPACK_PASSPHRASE_FILE" };
	int have_key = is_set(keys[0]) || is_set(keys[1]) || is_set(keys[2]);
	int have_pass = is_set(passes[0]) || is_set(passes[1]);
	const char *k, *file;
	unsigned char *text = NULL;
	size_t len = 0;
	int rc;

	if (one_source(keys, 3, "key source") != EXIT_OK || one_source(passes, 2, "passphrase source") != EXIT_OK)
		return EXIT_FAIL;
	if (!have_key && !have_pass)
		return sp_fail("run: no key: set SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD or SECRETPACK_KEY "
		    "(or SECRETPACK_PASSPHRASE_FILE for passphrase bundles)");
	if (r->o.unlink_key && !is_set("SECRETPACK_KEY_FILE"))
		return sp_fail("run: --unlink-key: the key does not come from SECRETPACK_KEY_FILE, so "
		    "there is no file to remove: drop --unlink-key");
	warn_unlockable();
	/* The passphrase first: an encrypted identity is unlocked with it. */
	if (have_pass && load_pass(r) != EXIT_OK)
		return EXIT_FAIL;
	if ((k = value_of("SECRETPACK_KEY")) != NULL)
		return parse_key(r, "SECRETPACK_KEY", (const unsigned char *)k, strlen(k));
	if ((file = value_of("SECRETPACK_KEY_FILE")) != NULL) {
		if (load_file(r, "SECRETPACK_KEY_FILE", file, 1, KEY_MAX, "key", &text, &len) != EXIT_OK)
			return EXIT_FAIL;
		rc = parse_key(r, file, text, len);
		sp_io_free(text, len, 1);
		return rc;
	}
	if (is_set("SECRETPACK_KEY_FD"))
		return key_from_fd(r);
	return EXIT_OK;
}

void run_key_warning(const struct run *r)
{
	if (r->key_warn[0] == '\0')
		return;
	(void)sp_fail("run: warning: secretpack runs as uid %u, the app's own uid, so the app can read "
	    "%s too: pass the key on a pipe (SECRETPACK_KEY_FD), keep it on a tmpfs with --unlink-key, "
	    "or start secretpack as root with --user (or open the bundle in a separate init "
	    "container)", (unsigned)geteuid(), r->key_warn);
}

void run_wipe_key(struct run *r)
{
	sp_identities_free(&r->ids);
	if (r->pass != NULL)
		sp_io_free((unsigned char *)r->pass, r->pass_len, 1);
	r->pass = NULL;
	r->pass_len = 0;
	if (r->key_fd >= 0) {
		(void)close(r->key_fd);
		sp_fds_forget(&r->fds, r->key_fd);
		r->key_fd = -1;
	}
	sp_env_wipe_secrets(r->env0);
}
