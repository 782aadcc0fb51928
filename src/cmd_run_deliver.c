/* cmd_run_deliver.c - `secretpack run --deliver`: open the bundles into a directory shared with
 * another container (a Kubernetes init container writing a memory emptyDir) and exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sp_err.h"
#include "run.h"

/* Left in DIR before anything is written: a later delivery empties a DIR that has it (what is
 * there must still be ours, as sp_vault_clear checks); without it DIR must be empty. */
#define DELIVERED SP_RESERVED_PREFIX "-delivered"

int run_deliver_args(const struct run_opts *o, int n_cmd)
{
	const char *bad = NULL;

	if (!o->deliver)
		return sp_usage_error("run", "--group: only with --deliver (without it the entries "
		    "belong to --user)");
	if (n_cmd > 0)
		return sp_usage_error("run", "--deliver starts nothing: drop the command (the app runs "
		    "in its own container and reads DIR)");
	if (o->user != NULL)
		bad = "--user (the entries belong to the uid running secretpack)";
	else if (o->init)
		bad = "--init";
	else if (o->n_keep > 0)
		bad = "--keep-env";
	else if (o->n_env_map > 0)
		bad = "--env";
	else if (o->unlink_key)
		bad = "--unlink-key (a Secret volume is read-only)";
	else if (o->allow_new_privs)
		bad = "--allow-new-privs";
	if (bad != NULL)
		return sp_usage_error("run", "--deliver starts nothing, so %s makes no sense: drop it",
		    bad);
	return EXIT_OK;
}

uint32_t run_deliver_mode(const struct run *r, uint32_t mode)
{
	uint32_t m = mode & 0700;

	if (r->o.group != (gid_t)-1 && (mode & 0400))
		m |= 0040;
	return m;
}

/* The group must be one the process has: a non-root chown to any other fails. */
static int check_group(const struct run *r)
{
	gid_t g[SP_USER_GROUPS_MAX];
	int n, i;

	if (r->o.group == (gid_t)-1 || r->o.group == getegid())
		return EXIT_OK;
	n = getgroups(SP_USER_GROUPS_MAX, g);
	for (i = 0; i < n; i++)
		if (g[i] == r->o.group)
			return EXIT_OK;
	return sp_fail("run: --group %u: not a group secretpack runs with (uid %u, gid %u): give the "
	    "pod that fsGroup (or runAsGroup), or pass a group it has", (unsigned)r->o.group,
	    (unsigned)geteuid(), (unsigned)getegid());
}

/* DIR: an existing tmpfs, owned by root (kubelet's emptyDir) or by us, never taken over (a
 * non-root uid cannot): emptied of an earlier delivery, else it must be empty. */
static int open_dir(struct run *r)
{
	char bad[SP_NAME_MAX + 2];
	struct stat st, mk;
	int err, why, fd, earlier;

	if (run_check_dir_path(r) != EXIT_OK)
		return EXIT_FAIL;
	r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->dirfd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return sp_fail("run: %s: a symlink or not a directory: pass the real directory", r->dir);
		if (errno == ENOENT)
			return sp_fail("run: %s: no such directory: mount an emptyDir with medium: Memory "
			    "there (or --tmpfs %s)", r->dir, r->dir);
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	}
	err = sp_vault_is_ram(r->dirfd);
	if (err == SP_ERR_NOT_TMPFS && r->o.allow_disk)
		sp_fail("run: warning: %s is on a disk, not a tmpfs: the secrets are written to the disk "
		    "and may persist after the pod stops (--allow-disk)", r->dir);
	else if (err == SP_ERR_NOT_TMPFS)
		return sp_fail("run: %s is not a tmpfs: give the emptyDir medium: Memory (or --tmpfs %s), "
		    "or pass --dir on a tmpfs", r->dir, r->dir);
	else if (err != SP_OK)
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	if (fstat(r->dirfd, &st) != 0)
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return sp_fail("run: %s: owned by uid %u, who could replace the secrets: use a directory "
		    "owned by root (an emptyDir) or by uid %u", r->dir, (unsigned)st.st_uid,
		    (unsigned)geteuid());
	earlier = fstatat(r->dirfd, DELIVERED, &mk, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(mk.st_mode) && mk.st_uid == geteuid();
	err = sp_vault_clear(r->dirfd, (uid_t)-1, earlier ? SP_CLEAR_DELIVERED : SP_CLEAR_EMPTY, bad,
	    sizeof bad, &why);
	if (err == SP_ERR_UNSAFE_PATH && why == SP_CLEAR_NOT_EMPTY)
		return sp_fail("run: %s: not empty (it holds %s) and not left by an earlier --deliver: "
		    "start with an empty directory", r->dir, bad);
	if (err == SP_ERR_UNSAFE_PATH)
		return sp_fail("run: %s: holds %s, which no delivery of uid %u left (a symlink, another "
		    "user's or a writable file, a special file or a directory of another mode): empty "
		    "the directory", r->dir, bad, (unsigned)geteuid());
	if (err != SP_OK)
		return sp_fail("run: %s: cannot remove what an earlier delivery left: %s", r->dir,
		    err == SP_ERR_IO ? strerror(errno) : sp_err_str(err));
	r->cleared = 1;
	fd = openat(r->dirfd, DELIVERED, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
	if (fd < 0)
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	(void)close(fd);
	/* Subdirectories of nested names: the group enters them with --group, nobody else. */
	err = sp_vault_begin(&r->v, r->dirfd, (uid_t)-1, r->o.group,
	    r->o.group != (gid_t)-1 ? 0550 : 0500);
	if (err != SP_OK)
		return sp_fail_path("run", r->dir, err);
	return EXIT_OK;
}

/* After a failure: DIR emptied (all in it was checked to be ours when it was cleared). */
static void undo(struct run *r)
{
	char bad[SP_NAME_MAX + 2];
	int why;

	sp_vault_free(r->v);
	r->v = NULL;
	if (r->dirfd >= 0 && r->cleared)
		(void)sp_vault_clear(r->dirfd, (uid_t)-1, SP_CLEAR_PURGE, bad, sizeof bad, &why);
}

static int deliver(struct run *r)
{
	size_t i;
	int err;

	if (check_group(r) != EXIT_OK || run_load_user(r) != EXIT_OK || run_load_key(r) != EXIT_OK)
		return EXIT_FAIL;
	run_signals_hold(r);
	if (open_dir(r) != EXIT_OK)
		return EXIT_FAIL;
	for (i = 0; i < r->o.n_bundles; i++)
		if (run_open_bundle(r, i) != EXIT_OK)
			return EXIT_FAIL;
	run_wipe_key(r);
	if ((err = sp_vault_commit(r->v)) != SP_OK) {
		if (err == SP_ERR_UNSAFE_PATH)
			return sp_fail("run: %s: changed while secretpack wrote it (its staging directory "
			    "moved, or something put in the way): refusing; only the init container may "
			    "mount it read-write", r->dir);
		return sp_fail_path("run", r->dir, err);
	}
	r->committed = 1;
	return EXIT_OK;
}

int run_deliver(struct run *r)
{
	int rc = deliver(r), sig = rc == EXIT_OK ? run_signals_pending(r) : 0;

	if (rc != EXIT_OK || sig != 0) {
		if (sig != 0)
			sp_fail("run: stopped by signal %d (%s) during --deliver: nothing was left in %s",
			    sig, strsignal(sig), r->dir);
		run_wipe_key(r);
		undo(r);
	}
	run_signals_release(r);
	if (r->dirfd >= 0)
		(void)close(r->dirfd);
	r->dirfd = -1;
	return sig != 0 ? 128 + sig : rc;
}
