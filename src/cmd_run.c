/* cmd_run.c - `secretpack run`: the container entrypoint that opens bundles into a tmpfs, drops
 * privileges and execs the app (or stays as PID 1 with --init). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_err.h"
#include "sp_exec.h"
#include "sp_identity.h"
#include "sp_io.h"
#include "sp_user.h"
#include "sp_vault.h"

#define DEFAULT_BUNDLE "/etc/secretpack/bundle.spk"
#define DEFAULT_DIR "/run/secrets"
#define BUNDLES_MAX 64
#define KEEP_MAX 64
#define KEY_MAX (1u << 20)
#define TMPFS_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static const char run_usage[] =
	"usage: secretpack run [--bundle PATH]... [--dir DIR] [--user USER[:GROUP]] [--context TEXT]\n"
	"                      [--init] [--keep-env NAME]... [--allow-disk] [--allow-new-privs]\n"
	"                      [--unlink-key] -- COMMAND [ARG...]\n"
	"  Opens the bundles into DIR (a tmpfs), owned by USER, then drops to USER and execs COMMAND.\n"
	"  All or nothing: on any failure nothing is left in DIR and COMMAND is not started.\n"
	"  --bundle PATH     bundle to open, repeatable (SECRETPACK_BUNDLE; " DEFAULT_BUNDLE ")\n"
	"  --dir DIR         where the secrets go (SECRETPACK_DIR; " DEFAULT_DIR "); must be a tmpfs\n"
	"                    or ramfs, else one is mounted there when permitted (CAP_SYS_ADMIN)\n"
	"  --user U[:G]      name, name:group, uid or uid:gid from /etc/passwd, /etc/group\n"
	"                    (SECRETPACK_USER); without it COMMAND runs as the current user\n"
	"  --context TEXT    the deployment the bundles must be bound to (SECRETPACK_CONTEXT)\n"
	"  --init            stay as PID 1: forward signals, reap zombies, remove the secrets at exit\n"
	"  --keep-env NAME   pass the SECRETPACK_* variable NAME on to COMMAND (never a key or\n"
	"                    passphrase variable), e.g. --keep-env SECRETPACK_CONTEXT\n"
	"  --allow-disk      allow DIR on a disk: the secrets may then persist on the disk\n"
	"  --allow-new-privs do not set no_new_privs (lets COMMAND run setuid programs)\n"
	"  --unlink-key      remove SECRETPACK_KEY_FILE after reading it, when it is on a tmpfs\n"
	"  Key: SECRETPACK_KEY (identity text), SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD (descriptor,\n"
	"  closed after reading); passphrase bundles: SECRETPACK_PASSPHRASE[_FILE]. Every\n"
	"  SECRETPACK_* variable is removed from COMMAND's environment.\n"
	"  Exit: COMMAND's status; 126/127 if it cannot be run; 1 on failure; 2 on usage.\n";

struct run_opts {
	const char *bundles[BUNDLES_MAX];
	size_t n_bundles;
	const char *dir, *user, *context;
	const char *keep[KEEP_MAX];
	size_t n_keep;
	int init, allow_disk, allow_new_privs, unlink_key;
	char **cmd;
};

struct run {
	struct run_opts o;
	sp_fdset fds;
	char **env0;              /* the initial environ array, for wiping in place */
	struct rlimit core;       /* restored for the app */
	char *passwd, *group;
	size_t passwd_len, group_len;
	sp_user user;
	int has_user;
	uid_t uid;                /* owner of DIR and entries; -1: as created */
	gid_t gid;
	sp_identities ids;
	char *pass;
	size_t pass_len;
	char dir[PATH_MAX];       /* absolute */
	int dirfd;
	int made_dir, mounted;
	sp_vault *v;
	int committed;
	sp_entry *entries;        /* of every bundle, for collisions, env and --init cleanup */
	size_t *entry_bundle;
	size_t n_entries;
	sp_env env;
};

/* ---- arguments ---- */

static const char *env_or(const char *flag, const char *var, const char *def)
{
	const char *v;

	if (flag != NULL)
		return flag;
	v = getenv(var);
	return v != NULL && *v ? v : def;
}

static int keep_env(struct run_opts *o, const char *name)
{
	int err = sp_env_keep_check(name);

	if (err == SP_ERR_PERM)
		return sp_usage_error("run", "--keep-env %s: a key or passphrase variable is never passed "
		    "to the app", name);
	if (err != SP_OK)
		return sp_usage_error("run", "--keep-env %s: only SECRETPACK_* variables are removed; "
		    "others are passed on anyway", name);
	if (o->n_keep == KEEP_MAX)
		return sp_usage_error("run", "too many --keep-env");
	o->keep[o->n_keep++] = name;
	return EXIT_OK;
}

/* EXIT_OK, EXIT_USAGE, or -1 after -h. */
static int parse_args(struct run_opts *o, int argc, char **argv)
{
	enum { O_BUNDLE = 256, O_DIR, O_USER, O_CONTEXT, O_INIT, O_KEEP, O_DISK, O_NNP, O_UNLINK };
	static const struct option opts[] = {
		{ "bundle", required_argument, 0, O_BUNDLE }, { "dir", required_argument, 0, O_DIR },
		{ "user", required_argument, 0, O_USER }, { "context", required_argument, 0, O_CONTEXT },
		{ "init", no_argument, 0, O_INIT }, { "keep-env", required_argument, 0, O_KEEP },
		{ "allow-disk", no_argument, 0, O_DISK }, { "allow-new-privs", no_argument, 0, O_NNP },
		{ "unlink-key", no_argument, 0, O_UNLINK }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case O_BUNDLE:
			if (o->n_bundles == BUNDLES_MAX)
				return sp_usage_error("run", "too many --bundle");
			o->bundles[o->n_bundles++] = optarg;
			break;
		case O_DIR: o->dir = optarg; break;
		case O_USER: o->user = optarg; break;
		case O_CONTEXT: o->context = optarg; break;
		case O_INIT: o->init = 1; break;
		case O_KEEP:
			if ((rc = keep_env(o, optarg)) != EXIT_OK)
				return rc;
			break;
		case O_DISK: o->allow_disk = 1; break;
		case O_NNP: o->allow_new_privs = 1; break;
		case O_UNLINK: o->unlink_key = 1; break;
		case 'h': (void)fputs(run_usage, stdout); return -1;
		case ':': return sp_usage_error("run", "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error("run", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return sp_usage_error("run", "no command: pass -- COMMAND [ARG...]");
	o->cmd = argv + optind;
	if (o->n_bundles == 0)
		o->bundles[o->n_bundles++] = env_or(NULL, "SECRETPACK_BUNDLE", DEFAULT_BUNDLE);
	o->dir = env_or(o->dir, "SECRETPACK_DIR", DEFAULT_DIR);
	o->user = env_or(o->user, "SECRETPACK_USER", NULL);
	o->context = env_or(o->context, "SECRETPACK_CONTEXT", NULL);
	return EXIT_OK;
}

/* ---- users ---- */

static int fail_user(const char *spec, const sp_user *u, int err)
{
	const char *db = u->in_group_db ? "/etc/group" : "/etc/passwd";
	const char *why = u->reason ? u->reason : sp_err_str(err);

	if (err == SP_ERR_NOT_FOUND && !u->in_group_db && strchr(spec, ':') == NULL &&
	    strspn(spec, "0123456789") == strlen(spec))
		return sp_fail("run: user '%s': uid %s has no entry in /etc/passwd: name a group too "
		    "(--user %s:GID); there is no fallback to group 0", spec, spec, spec);
	if (err == SP_ERR_ARG)
		return sp_fail("run: user '%s': %s", spec, why);
	if (u->line > 0)
		return sp_fail("run: user '%s': %s line %zu: %s", spec, db, u->line, why);
	return sp_fail("run: user '%s': %s in %s", spec, why, db);
}

static int read_db(const char *path, char **text, size_t *len)
{
	int err = sp_user_read_db(path, text, len);

	if (err != SP_OK)
		return sp_fail_path("run", path, err);
	return EXIT_OK;
}

static int load_user(struct run *r)
{
	int err;

	if (read_db("/etc/passwd", &r->passwd, &r->passwd_len) != EXIT_OK ||
	    read_db("/etc/group", &r->group, &r->group_len) != EXIT_OK)
		return EXIT_FAIL;
	r->uid = (uid_t)-1;
	r->gid = (gid_t)-1;
	if (r->o.user == NULL)
		return EXIT_OK;
	err = sp_user_resolve(r->o.user, r->passwd, r->passwd_len, r->group, r->group_len, &r->user);
	if (err != SP_OK)
		return fail_user(r->o.user, &r->user, err);
	/* Found out now, before anything is decrypted or written. */
	if (geteuid() != 0 && r->user.uid != geteuid())
		return sp_fail("run: user '%s': secretpack runs as uid %u, not root: it cannot switch "
		    "to uid %u", r->o.user, (unsigned)geteuid(), (unsigned)r->user.uid);
	r->has_user = 1;
	r->uid = r->user.uid;
	r->gid = r->user.gid;
	return EXIT_OK;
}

/* ---- key ---- */

static int is_set(const char *var)
{
	const char *v = getenv(var);
	return v != NULL && *v;
}

static int key_from_fd(struct run *r, const char *s)
{
	unsigned char *text = NULL;
	size_t len = 0, bad = 0;
	char *end;
	long fd;
	int err;

	errno = 0;
	fd = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || fd < 0 || fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0)
		return sp_fail("run: SECRETPACK_KEY_FD=%s: not an open file descriptor", s);
	err = sp_io_read_fd((int)fd, KEY_MAX, 1, &text, &len);
	(void)close((int)fd);
	sp_fds_forget(&r->fds, (int)fd);
	if (err != SP_OK)
		return sp_fail_path("run", "SECRETPACK_KEY_FD", err);
	err = sp_identities_parse(&r->ids, (const char *)text, len, sp_io_identity_pass, NULL, &bad);
	sp_io_free(text, len, 1);
	if (err == SP_ERR_WRONG_PASS)
		return sp_fail("run: SECRETPACK_KEY_FD: wrong passphrase for the encrypted identity");
	if (err != SP_OK && bad > 0)
		return sp_fail("run: SECRETPACK_KEY_FD: line %zu: %s", bad, sp_err_str(err));
	if (err != SP_OK)
		return sp_fail("run: SECRETPACK_KEY_FD: %s", sp_err_str(err));
	return EXIT_OK;
}

static void unlink_key(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) != 0 || ((unsigned long)sf.f_type != (unsigned long)TMPFS_MAGIC &&
	    (unsigned long)sf.f_type != (unsigned long)RAMFS_MAGIC)) {
		sp_fail("run: warning: %s is not on a tmpfs: not removed (--unlink-key)", path);
		return;
	}
	if (unlink(path) != 0)
		sp_fail("run: warning: %s: cannot remove it (--unlink-key): %s", path, strerror(errno));
}

/* sodium_malloc locks key pages but carries on silently when it may not: say so, once. */
static void warn_unlockable(void)
{
	unsigned char probe[64];

	memset(probe, 0, sizeof probe);
	if (mlock(probe, sizeof probe) != 0) {
		(void)sp_fail("run: warning: memory locking refused (%s): key pages may reach swap; "
		    "raise RLIMIT_MEMLOCK (docker run --ulimit memlock=1048576)", strerror(errno));
		return;
	}
	(void)munlock(probe, sizeof probe);
}

static int load_key(struct run *r)
{
	int have_key = is_set("SECRETPACK_KEY") || is_set("SECRETPACK_KEY_FILE") ||
	    is_set("SECRETPACK_KEY_FD");
	int have_pass = is_set("SECRETPACK_PASSPHRASE") || is_set("SECRETPACK_PASSPHRASE_FILE");
	const char *key_file, *key_fd;
	int err;

	if (have_key || have_pass)
		warn_unlockable();
	if (!have_key && !have_pass)
		return sp_fail("run: no key: set SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD or SECRETPACK_KEY "
		    "(or SECRETPACK_PASSPHRASE_FILE for passphrase bundles)");
	if (is_set("SECRETPACK_KEY") || is_set("SECRETPACK_KEY_FILE")) {
		if (sp_cli_identities("run", NULL, &r->ids) != EXIT_OK)
			return EXIT_FAIL;
		key_file = getenv("SECRETPACK_KEY_FILE");
		if (r->o.unlink_key && !is_set("SECRETPACK_KEY") && key_file != NULL && *key_file)
			unlink_key(key_file);
	} else if ((key_fd = getenv("SECRETPACK_KEY_FD")) != NULL && *key_fd) {
		if (key_from_fd(r, key_fd) != EXIT_OK)
			return EXIT_FAIL;
	}
	if (have_pass) {
		err = sp_io_passphrase(&r->pass, &r->pass_len, "Passphrase for the bundle: ", 0);
		if (err != SP_OK)
			return sp_fail_pass("run", err);
	}
	return EXIT_OK;
}

static void wipe_key(struct run *r)
{
	sp_identities_free(&r->ids);
	if (r->pass != NULL)
		sp_io_free((unsigned char *)r->pass, r->pass_len, 1);
	r->pass = NULL;
	r->pass_len = 0;
	sp_env_wipe_secrets(r->env0);
}

/* ---- the directory ---- */

static void fd_path(char *buf, size_t cap, int fd, const char *fallback)
{
	/* Through /proc/self/fd the kernel acts on the directory we opened, whatever the path
	 * names by now; without /proc, the path is all there is. */
	int n = access("/proc/self/fd", F_OK) == 0 ? snprintf(buf, cap, "/proc/self/fd/%d", fd)
	    : snprintf(buf, cap, "%s", fallback);

	if (n < 0 || (size_t)n >= cap)
		buf[0] = '\0'; /* never a cut path: mount and umount fail on "" */
}

static int open_dirfd(const char *dir)
{
	return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int fail_not_tmpfs(const char *dir)
{
	return sp_fail("run: %s is not a tmpfs: add --tmpfs %s (docker run), tmpfs: [%s] (compose) or "
	    "an emptyDir with medium: Memory (Kubernetes), or pass --dir on a tmpfs", dir, dir, dir);
}

static int mount_tmpfs(struct run *r)
{
	char target[PATH_MAX], data[128];
	unsigned long long size = (unsigned long long)r->o.n_bundles * SP_TOTAL_SIZE_MAX + (1u << 20);
	int fd;

	fd_path(target, sizeof target, r->dirfd, r->dir);
	(void)snprintf(data, sizeof data, "mode=0700,size=%llu,noswap", size);
	if (mount("tmpfs", target, "tmpfs", TMPFS_FLAGS, data) != 0) {
		if (errno != EINVAL)
			return fail_not_tmpfs(r->dir);
		/* Kernels before 6.4 know no noswap. */
		(void)snprintf(data, sizeof data, "mode=0700,size=%llu", size);
		if (mount("tmpfs", target, "tmpfs", TMPFS_FLAGS, data) != 0)
			return fail_not_tmpfs(r->dir);
	}
	r->mounted = 1;
	fd = open_dirfd(r->dir);
	if (fd < 0)
		return sp_fail("run: %s: cannot open the tmpfs just mounted: %s", r->dir, strerror(errno));
	close(r->dirfd);
	r->dirfd = fd;
	if (sp_vault_is_ram(fd) != SP_OK)
		return sp_fail("run: %s: the tmpfs just mounted is not there: refusing", r->dir);
	return EXIT_OK;
}

static int absolute_dir(struct run *r)
{
	char cwd[PATH_MAX];

	if (r->o.dir[0] == '/') {
		if (strlen(r->o.dir) >= sizeof r->dir)
			return sp_fail("run: %s: path too long", r->o.dir);
		strcpy(r->dir, r->o.dir);
		return EXIT_OK;
	}
	if (getcwd(cwd, sizeof cwd) == NULL ||
	    (size_t)snprintf(r->dir, sizeof r->dir, "%s/%s", cwd, r->o.dir) >= sizeof r->dir)
		return sp_fail("run: %s: cannot make the path absolute", r->o.dir);
	return EXIT_OK;
}

static int open_dir(struct run *r)
{
	struct stat st;
	int err;

	if (absolute_dir(r) != EXIT_OK)
		return EXIT_FAIL;
	r->dirfd = open_dirfd(r->dir);
	if (r->dirfd < 0 && errno == ENOENT) {
		if (mkdir(r->dir, 0700) != 0)
			return sp_fail("run: %s: cannot create it: %s", r->dir, strerror(errno));
		r->made_dir = 1;
		r->dirfd = open_dirfd(r->dir);
	}
	if (r->dirfd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return sp_fail("run: %s: a symlink or not a directory: pass the real directory", r->dir);
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	}
	err = sp_vault_is_ram(r->dirfd);
	if (err == SP_ERR_NOT_TMPFS && r->o.allow_disk) {
		sp_fail("run: warning: %s is on a disk, not a tmpfs: the secrets are written to the disk "
		    "and may persist after the container stops (--allow-disk)", r->dir);
	} else if (err == SP_ERR_NOT_TMPFS) {
		if (mount_tmpfs(r) != EXIT_OK)
			return EXIT_FAIL;
	} else if (err != SP_OK) {
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	}
	if (fstat(r->dirfd, &st) != 0)
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	if (geteuid() != 0 && st.st_uid != geteuid())
		return sp_fail("run: %s: owned by uid %u, not by uid %u that runs secretpack: mount the "
		    "tmpfs with uid=%u (e.g. --tmpfs %s:uid=%u,mode=0700)", r->dir, (unsigned)st.st_uid,
		    (unsigned)geteuid(), (unsigned)geteuid(), r->dir, (unsigned)geteuid());
	/* A directory left 0500 by an earlier run must be writable while we stage. */
	if ((st.st_mode & 0700) != 0700 && fchmod(r->dirfd, 0700) != 0)
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	err = sp_vault_begin(&r->v, r->dirfd, r->uid, r->gid, 0500);
	if (err != SP_OK)
		return sp_fail_path("run", r->dir, err);
	return EXIT_OK;
}

/* Root without the file capabilities Docker grants by default fails with EPERM/EACCES: say which. */
static const char *cap_hint(int e)
{
	if (geteuid() != 0 || (e != EPERM && e != EACCES))
		return "";
	return ": the container needs CAP_CHOWN, CAP_FOWNER and CAP_DAC_OVERRIDE (in Docker's default set)";
}

/* ---- bundles ---- */

struct sink {
	struct run *r;
	const sp_entry *entries;
	const uid_t *uid;
	const gid_t *gid;
	size_t current;
	int opened;
	int err_entry;            /* index of the entry a vault error happened on, or -1 */
	int vault_err;            /* the error the vault returned, if it did */
};

static int sink_step(struct sink *s, size_t idx, const unsigned char *buf, size_t len)
{
	int err;

	if (!s->opened || s->current != idx) {
		s->err_entry = (int)idx;
		err = sp_vault_open_entry(s->r->v, &s->entries[idx], s->uid[idx], s->gid[idx]);
		if (err != SP_OK)
			return err;
		s->current = idx;
		s->opened = 1;
	}
	if (buf == NULL && len == 0) {
		s->opened = 0;
		return sp_vault_close_entry(s->r->v);
	}
	return sp_vault_write(s->r->v, buf, len);
}

static int sink_piece(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct sink *s = ctx;
	int err = sink_step(s, idx, buf, len);

	if (err != SP_OK)
		s->vault_err = err; /* so the message names the file, not the bundle */
	return err;
}

static int names_clash(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return strcmp(a, b) == 0;
	if (la < lb)
		return strncmp(a, b, la) == 0 && b[la] == '/';
	return strncmp(a, b, lb) == 0 && a[lb] == '/';
}

/* Adds a bundle's entries to the list; a name defined by an earlier bundle is refused. */
static int add_entries(struct run *r, size_t bundle, const sp_entry *e, size_t n)
{
	sp_entry *ne;
	size_t *nb, i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < r->n_entries; j++)
			if (names_clash(e[i].name, r->entries[j].name))
				return sp_fail("run: %s: entry %s: %s (also in %s)", r->o.bundles[bundle],
				    e[i].name, sp_err_str(SP_ERR_DUPLICATE), r->o.bundles[r->entry_bundle[j]]);
	ne = realloc(r->entries, (r->n_entries + n + 1) * sizeof *ne);
	if (ne == NULL)
		return sp_fail_err("run", SP_ERR_NOMEM);
	r->entries = ne;
	nb = realloc(r->entry_bundle, (r->n_entries + n + 1) * sizeof *nb);
	if (nb == NULL)
		return sp_fail_err("run", SP_ERR_NOMEM);
	r->entry_bundle = nb;
	for (i = 0; i < n; i++) {
		r->entries[r->n_entries] = e[i];
		r->entry_bundle[r->n_entries++] = bundle;
	}
	return EXIT_OK;
}

/* Each entry's owner: the manifest's, else the target user's (-1: as created). */
static int entry_owners(struct run *r, const char *bundle, const sp_entry *e, size_t n, uid_t *uid,
    gid_t *gid)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sp_user u;
		int err;
		uid[i] = (uid_t)-1;
		gid[i] = (gid_t)-1;
		if (e[i].owner[0] == '\0')
			continue;
		err = sp_user_resolve(e[i].owner, r->passwd, r->passwd_len, r->group, r->group_len, &u);
		if (err != SP_OK)
			return sp_fail("run: %s: entry %s: owner '%s': %s%s", bundle, e[i].name, e[i].owner,
			    u.reason ? u.reason : sp_err_str(err),
			    err == SP_ERR_NOT_FOUND ? (u.in_group_db ? " in /etc/group" : " in /etc/passwd") : "");
		uid[i] = u.uid;
		gid[i] = u.gid;
	}
	return EXIT_OK;
}

static int fail_context(const char *bundle, const sp_opener *o, const char *ctx)
{
	sp_bundle_info info;

	sp_open_info(o, &info);
	if (info.context[0] == '\0')
		return sp_fail("run: %s: context mismatch: the bundle is bound to no context, not '%s': "
		    "drop --context and SECRETPACK_CONTEXT", bundle, ctx);
	return sp_fail("run: %s: context mismatch: the bundle is bound to '%s', not '%s': pass the "
	    "right --context or SECRETPACK_CONTEXT", bundle, info.context, ctx);
}

static int fail_payload(struct run *r, const char *bundle, const sp_opener *o, const struct sink *s,
    int err)
{
	const char *name = s->err_entry >= 0 ? s->entries[s->err_entry].name : "?";

	if (err != s->vault_err)
		return sp_fail_bundle("run", bundle, err, o);
	switch (err) {
	case SP_ERR_IO:
		return sp_fail("run: %s/%s: %s", r->dir, name, strerror(errno));
	case SP_ERR_PRIV:
		return sp_fail("run: %s/%s: cannot give it its owner: %s%s", r->dir, name, strerror(errno),
		    cap_hint(errno));
	case SP_ERR_UNSAFE_PATH:
	case SP_ERR_DUPLICATE:
		return sp_fail("run: %s: entry %s: %s", bundle, name, sp_err_str(err));
	default:
		return sp_fail_bundle("run", bundle, err, o);
	}
}

static int open_bundle(struct run *r, size_t bi)
{
	const char *path = r->o.bundles[bi];
	const char *ctx = r->o.context ? r->o.context : "";
	struct sink s = { r, NULL, NULL, NULL, 0, 0, -1, SP_OK };
	sp_source *src = NULL;
	sp_opener *o = NULL;
	const sp_entry *e = NULL;
	uid_t *uid = NULL;
	gid_t *gid = NULL;
	size_t n = 0;
	int err, rc = EXIT_FAIL;

	if (sp_cli_begin("run", path, &src, &o) != EXIT_OK)
		goto out;
	if ((err = sp_open_unlock(o, (const unsigned char (*)[32])r->ids.sk, r->ids.n, r->pass,
	    r->pass_len)) != SP_OK) {
		rc = sp_fail_bundle("run", path, err, o);
		goto out;
	}
	if ((err = sp_open_check(o, ctx, sp_now())) != SP_OK) {
		rc = err == SP_ERR_CONTEXT ? fail_context(path, o, ctx) : sp_fail_bundle("run", path, err, o);
		goto out;
	}
	if ((err = sp_open_index(o, &e, &n)) != SP_OK) {
		rc = sp_fail_bundle("run", path, err, o);
		goto out;
	}
	uid = calloc(n + 1, sizeof *uid);
	gid = calloc(n + 1, sizeof *gid);
	if (uid == NULL || gid == NULL) {
		rc = sp_fail_err("run", SP_ERR_NOMEM);
		goto out;
	}
	if (add_entries(r, bi, e, n) != EXIT_OK || entry_owners(r, path, e, n, uid, gid) != EXIT_OK)
		goto out;
	s.entries = e;
	s.uid = uid;
	s.gid = gid;
	if ((err = sp_open_payload(o, sink_piece, &s)) != SP_OK) {
		rc = fail_payload(r, path, o, &s, err);
		goto out;
	}
	rc = EXIT_OK;
out:
	free(uid);
	free(gid);
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}

/* ---- commit ---- */

static int finish_dir(struct run *r)
{
	char target[PATH_MAX];
	int err;

	if ((err = sp_vault_commit(r->v)) != SP_OK) {
		if (err == SP_ERR_UNSAFE_PATH)
			return sp_fail("run: %s: %s", r->dir, sp_err_str(err));
		return sp_fail_path("run", r->dir, err);
	}
	r->committed = 1;
	if ((r->uid != (uid_t)-1 || r->gid != (gid_t)-1) && fchown(r->dirfd, r->uid, r->gid) != 0)
		return sp_fail("run: %s: cannot give it to the user: %s%s", r->dir, strerror(errno),
		    cap_hint(errno));
	if (fchmod(r->dirfd, 0500) != 0)
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	if (r->mounted) {
		fd_path(target, sizeof target, r->dirfd, r->dir);
		if (mount("tmpfs", target, "tmpfs", MS_REMOUNT | MS_RDONLY | TMPFS_FLAGS, NULL) != 0)
			return sp_fail("run: %s: cannot remount it read-only: %s", r->dir, strerror(errno));
	}
	return EXIT_OK;
}

static int build_env(struct run *r)
{
	char path[PATH_MAX + SP_NAME_MAX + 2];
	size_t i, j;
	int err;

	err = sp_env_from(&r->env, environ, r->o.keep, r->o.n_keep);
	if (err == SP_OK && r->has_user)
		err = sp_env_set(&r->env, "HOME", r->user.home);
	for (i = 0; err == SP_OK && i < r->n_entries; i++) {
		const sp_entry *e = &r->entries[i];
		if (e->env[0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(r->entries[j].env, e->env) == 0)
				return sp_fail("run: %s: entry %s: env %s is already set by entry %s",
				    r->o.bundles[r->entry_bundle[i]], e->name, e->env, r->entries[j].name);
		(void)snprintf(path, sizeof path, "%s%s%s", r->dir,
		    r->dir[strlen(r->dir) - 1] == '/' ? "" : "/", e->name);
		err = sp_env_set(&r->env, e->env, path);
	}
	if (err != SP_OK)
		return sp_fail_err("run", err);
	return EXIT_OK;
}

/* ---- launch ---- */

/* Drops to the user and execs; returns only on failure, with the exit status. */
static int start_app(struct run *r)
{
	char path[PATH_MAX];
	const char *cmd = r->o.cmd[0];
	int err;

	/* Secrets are wiped by now: the app may dump core again if its limits allow it. */
	(void)setrlimit(RLIMIT_CORE, &r->core);
	err = r->has_user ? sp_user_drop(&r->user, r->o.allow_new_privs)
	    : sp_user_lockdown(r->o.allow_new_privs);
	if (err != SP_OK) {
		sp_fail("run: user '%s': %s: refusing to start %s", r->o.user ? r->o.user : "(current)",
		    sp_err_str(err), cmd);
		return EXIT_FAIL;
	}
	err = sp_exec_find(cmd, sp_env_get(&r->env, "PATH"), path, sizeof path);
	if (err == SP_ERR_NOT_FOUND) {
		sp_fail("run: %s: not found", cmd);
		return EXIT_NOTFOUND;
	}
	if (err == SP_ERR_PERM) {
		sp_fail("run: %s: permission denied", cmd);
		return EXIT_NOEXEC;
	}
	if (err != SP_OK) {
		sp_fail("run: %s: %s", cmd, sp_err_str(err));
		return EXIT_NOEXEC;
	}
	sp_exec_run(path, r->o.cmd, r->env.v);
	err = errno;
	if (err == ENOENT || err == ENOTDIR)
		sp_fail("run: %s: not found", cmd);
	else if (err == EACCES)
		sp_fail("run: %s: permission denied", cmd);
	else
		sp_fail("run: %s: %s", cmd, strerror(err));
	return sp_exec_status(err);
}

static int child_main(void *ctx)
{
	return start_app(ctx);
}

static void remove_secrets(struct run *r)
{
	char target[PATH_MAX];
	int err;

	if (r->mounted) {
		fd_path(target, sizeof target, r->dirfd, r->dir);
		if (umount2(target, MNT_DETACH) == 0)
			return;
	}
	(void)fchmod(r->dirfd, 0700);
	err = sp_vault_remove(r->dirfd, r->entries, r->n_entries);
	if (err != SP_OK)
		sp_fail("run: warning: %s: could not remove every secret: %s", r->dir, sp_err_str(err));
}

/* What the --init parent keeps: signalling the app, cleaning up DIR (and unmounting it). */
static int parent_limits(struct run *r)
{
	uint64_t keep = (1ull << CAP_KILL) | (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_FOWNER);

	if (r->mounted)
		keep |= 1ull << CAP_SYS_ADMIN;
	if (sp_user_limit_caps(keep) != SP_OK || sp_user_lockdown(0) != SP_OK)
		return SP_ERR_PRIV;
	return SP_OK;
}

static int run_init(struct run *r)
{
	sp_init in;
	int status = EXIT_FAIL;

	if (sp_init_spawn(&in, child_main, r) != SP_OK) {
		sp_fail("run: cannot fork: %s", strerror(errno));
		remove_secrets(r);
		return EXIT_FAIL;
	}
	if (parent_limits(r) != SP_OK)
		sp_fail("run: warning: cannot lower the privileges of the init process");
	if (sp_init_wait(&in, &status) != SP_OK)
		sp_fail("run: waiting for %s: %s", r->o.cmd[0], strerror(errno));
	remove_secrets(r);
	return status;
}

/* ---- the verb ---- */

static void no_dumps(struct run *r)
{
	struct rlimit off;

	/* Only the soft limit: the hard one could not be raised again for the app. */
	if (getrlimit(RLIMIT_CORE, &r->core) != 0) {
		r->core.rlim_cur = 0;
		r->core.rlim_max = RLIM_INFINITY;
	}
	off.rlim_cur = 0;
	off.rlim_max = r->core.rlim_max;
	(void)setrlimit(RLIMIT_CORE, &off);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int copy_environ(struct run *r)
{
	size_t n = 0;

	while (environ != NULL && environ[n] != NULL)
		n++;
	r->env0 = calloc(n + 1, sizeof *r->env0);
	if (r->env0 == NULL)
		return sp_fail_err("run", SP_ERR_NOMEM);
	if (n > 0)
		memcpy(r->env0, environ, n * sizeof *r->env0);
	return EXIT_OK;
}

/* Leaves nothing behind after a failure before the app started. */
static void undo(struct run *r)
{
	char target[PATH_MAX];

	sp_vault_free(r->v);
	r->v = NULL;
	if (r->committed && r->dirfd >= 0) {
		(void)fchmod(r->dirfd, 0700);
		(void)sp_vault_remove(r->dirfd, r->entries, r->n_entries);
	}
	if (r->mounted) {
		fd_path(target, sizeof target, r->dirfd, r->dir);
		(void)umount2(target, MNT_DETACH);
	}
	if (r->dirfd >= 0)
		close(r->dirfd);
	r->dirfd = -1;
	if (r->made_dir)
		(void)rmdir(r->dir);
}

static void release(struct run *r)
{
	wipe_key(r);
	sp_vault_free(r->v);
	sp_env_free(&r->env);
	sp_fds_free(&r->fds);
	free(r->passwd);
	free(r->group);
	free(r->entries);
	free(r->entry_bundle);
	free(r->env0);
}

static int prepare(struct run *r)
{
	size_t i;

	if (load_user(r) != EXIT_OK || load_key(r) != EXIT_OK || open_dir(r) != EXIT_OK)
		return EXIT_FAIL;
	for (i = 0; i < r->o.n_bundles; i++)
		if (open_bundle(r, i) != EXIT_OK)
			return EXIT_FAIL;
	wipe_key(r);
	if (finish_dir(r) != EXIT_OK || build_env(r) != EXIT_OK)
		return EXIT_FAIL;
	if (sp_fds_cloexec_others(&r->fds) != SP_OK)
		return sp_fail("run: cannot mark descriptors close-on-exec: %s", strerror(errno));
	return EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof r);
	r.dirfd = -1;
	if ((rc = parse_args(&r.o, argc, argv)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	no_dumps(&r);
	if (sp_fds_snapshot(&r.fds) != SP_OK)
		return sp_fail("run: cannot list open descriptors: %s", strerror(errno));
	if (copy_environ(&r) != EXIT_OK) {
		release(&r);
		return EXIT_FAIL;
	}
	if (prepare(&r) != EXIT_OK) {
		wipe_key(&r);
		undo(&r);
		release(&r);
		return EXIT_FAIL;
	}
	if (r.o.init) {
		rc = run_init(&r);
	} else {
		rc = start_app(&r);
		/* Not started: nothing may be left behind. */
		r.committed = 1;
		undo(&r);
	}
	release(&r);
	return rc;
}
