/* cmd_run_dir.c - `secretpack run`: the secrets directory: open or mount, commit, remove. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "cli.h"
#include "sp_err.h"
#include "run.h"

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

int run_open_dir(struct run *r)
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
const char *run_cap_hint(int e)
{
	if (geteuid() != 0 || (e != EPERM && e != EACCES))
		return "";
	return ": handing the secrets to their owner needs CAP_CHOWN, CAP_DAC_OVERRIDE and "
	    "CAP_FOWNER; add the missing ones (docker run --cap-add CHOWN --cap-add DAC_OVERRIDE "
	    "--cap-add FOWNER; Kubernetes securityContext.capabilities.add: [CHOWN, DAC_OVERRIDE, "
	    "FOWNER])";
}

/* ---- commit ---- */

int run_finish_dir(struct run *r)
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
		    run_cap_hint(errno));
	if (fchmod(r->dirfd, 0500) != 0)
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	if (r->mounted) {
		fd_path(target, sizeof target, r->dirfd, r->dir);
		if (mount("tmpfs", target, "tmpfs", MS_REMOUNT | MS_RDONLY | TMPFS_FLAGS, NULL) != 0)
			return sp_fail("run: %s: cannot remount it read-only: %s", r->dir, strerror(errno));
	}
	return EXIT_OK;
}

void run_remove_secrets(struct run *r)
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

/* Leaves nothing behind after a failure before the app started. */
void run_undo(struct run *r)
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
