/* cmd_run_dir.c - `secretpack run`: the secrets directory: open or mount, commit, remove. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* DIR as an absolute path without empty, "." or ".." components or a trailing slash: a trailing
 * slash would make the kernel resolve a symlink at DIR's place, and every check below is about
 * exactly the path given. "/" itself is refused. */
static int absolute_dir(struct run *r)
{
	char raw[PATH_MAX];
	const char *c;
	size_t n = 0;

	if (r->o.dir[0] == '/') {
		if (strlen(r->o.dir) >= sizeof raw)
			return sp_fail("run: %s: path too long", r->o.dir);
		strcpy(raw, r->o.dir);
	} else {
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof cwd) == NULL ||
		    (size_t)snprintf(raw, sizeof raw, "%s/%s", cwd, r->o.dir) >= sizeof raw)
			return sp_fail("run: %s: cannot make the path absolute", r->o.dir);
	}
	for (c = raw; *c != '\0';) {
		size_t l;
		while (*c == '/')
			c++;
		l = strcspn(c, "/");
		if (l == 0)
			break;
		if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return sp_fail("run: --dir %s: '.' or '..' in the path: pass the plain path", r->o.dir);
		r->dir[n++] = '/';
		memcpy(r->dir + n, c, l);
		n += l;
		c += l;
	}
	r->dir[n] = '\0';
	if (n == 0)
		return sp_fail("run: --dir %s: not the root directory: pass a directory of its own, "
		    "e.g. " DEFAULT_DIR, r->o.dir);
	return EXIT_OK;
}

/* One directory DIR's path passes through: owned by root or us, and writable by nobody else
 * unless sticky; otherwise whoever can write it could rename DIR (and put their own in its
 * place) after the checks, or while the app runs (OpenSSH's safe_path). */
static int safe_ancestor(const struct run *r, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return EXIT_OK; /* missing: creating DIR fails with its own message */
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return sp_fail("run: %s: %s is owned by uid %u, who could replace %s: pass a --dir whose "
		    "parents belong to root", r->dir, path, (unsigned)st.st_uid, r->dir);
	if ((st.st_mode & 022) != 0 && !(st.st_mode & S_ISVTX))
		return sp_fail("run: %s: %s is writable by others (mode %04o, not sticky), who could "
		    "replace %s: run 'chmod go-w %s' (or chmod +t) or pass another --dir", r->dir, path,
		    (unsigned)(st.st_mode & 07777), r->dir, path);
	return EXIT_OK;
}

/* Every directory above DIR: as named (a symlink there is checked where it points, and the
 * directory holding it is checked too) and as resolved. */
static int safe_ancestors(const struct run *r)
{
	char path[PATH_MAX], real[PATH_MAX];
	char *slash;
	size_t i;

	(void)snprintf(path, sizeof path, "%s", r->dir);
	slash = strrchr(path, '/');
	*slash = '\0';
	if (path[0] == '\0')
		strcpy(path, "/");
	for (i = 1; ; i++) {
		char c = path[i];
		path[i] = '\0';
		if (safe_ancestor(r, i == 1 ? "/" : path) != EXIT_OK)
			return EXIT_FAIL;
		path[i] = c;
		if (c == '\0')
			break;
		while (path[i] != '\0' && path[i] != '/')
			i++;
		if (path[i] == '\0') {
			if (safe_ancestor(r, path) != EXIT_OK)
				return EXIT_FAIL;
			break;
		}
	}
	if (realpath(path, real) == NULL || strcmp(real, path) == 0)
		return EXIT_OK; /* nothing resolved differently: every directory was checked above */
	for (i = 1; ; i++) {
		while (real[i] != '\0' && real[i] != '/')
			i++;
		if (real[i] == '\0')
			return safe_ancestor(r, real);
		real[i] = '\0';
		if (safe_ancestor(r, real) != EXIT_OK)
			return EXIT_FAIL;
		real[i] = '/';
	}
}

static const char *clear_why(int why)
{
	switch (why) {
	case SP_CLEAR_SYMLINK: return "a symlink";
	case SP_CLEAR_SPECIAL: return "a FIFO, socket or device (special file)";
	case SP_CLEAR_OWNER: return "owned by another user";
	case SP_CLEAR_WRITABLE: return "writable by others";
	case SP_CLEAR_LINKS: return "a file with other names (hard links)";
	case SP_CLEAR_DEEP: return "deeper than any entry";
	case SP_CLEAR_DIR_MODE: return "a directory of a mode secretpack never gives (not 0500)";
	default: return "in a directory no earlier run left";
	}
}

/* DIR becomes ours (owner the shim's euid, 0700) before anything is written, then loses what an
 * earlier run left; anything else in it is refused and DIR gets its owner and mode back. What
 * an earlier run leaves is a directory of ours or the app's that nobody else may enter (0500,
 * or 0700 after a killed run); in any other directory (a fresh 1777 tmpfs, a 0777 emptyDir,
 * /run by mistake) only an empty one is taken. */
static int take_over(struct run *r)
{
	char bad[SP_NAME_MAX + 2];
	struct stat st, now;
	int err, why, earlier;

	if (fstat(r->dirfd, &st) != 0)
		return sp_fail("run: %s: %s", r->dir, strerror(errno));
	if (geteuid() != 0 && st.st_uid != geteuid())
		return sp_fail("run: %s: owned by uid %u, not by uid %u that runs secretpack: mount the "
		    "tmpfs with uid=%u (e.g. --tmpfs %s:uid=%u,mode=0700)", r->dir, (unsigned)st.st_uid,
		    (unsigned)geteuid(), (unsigned)geteuid(), r->dir, (unsigned)geteuid());
	earlier = (st.st_mode & 0077) == 0 &&
	    (st.st_uid == geteuid() || (r->has_user && st.st_uid == r->uid));
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(r->dirfd, geteuid(), getegid()) != 0)
		return sp_fail("run: %s: cannot take it over: %s%s", r->dir, strerror(errno),
		    run_cap_hint(errno));
	if ((st.st_mode & 07777) != 0700 && fchmod(r->dirfd, 0700) != 0)
		return sp_fail("run: %s: cannot take it over: %s%s", r->dir, strerror(errno),
		    run_cap_hint(errno));
	/* Once ours, nobody else can rename DIR (its parents are safe, a sticky one lets only the
	 * owner rename): check that the path still names what we took over. A rename that passed
	 * its permission check before our chown may still be under way (the kernel checks the
	 * sticky bit under the parent's lock, and a lookup does not wait for it): renaming DIR onto
	 * itself changes nothing but takes that lock, so such a rename has finished after it. */
	(void)renameat(AT_FDCWD, r->dir, AT_FDCWD, r->dir);
	if (lstat(r->dir, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		if (fchown(r->dirfd, st.st_uid, st.st_gid) == 0)
			(void)fchmod(r->dirfd, st.st_mode & 07777);
		return sp_fail("run: %s: replaced while secretpack took it over (renamed by its owner, uid "
		    "%u): refusing; use a --dir no other user owns", r->dir, (unsigned)st.st_uid);
	}
	err = sp_vault_clear(r->dirfd, r->has_user ? r->uid : (uid_t)-1,
	    earlier ? SP_CLEAR_EARLIER : SP_CLEAR_EMPTY, bad, sizeof bad, &why);
	if (err == SP_OK) {
		r->cleared = 1;
		return EXIT_OK;
	}
	/* Nothing of ours is in it: as it was. (If the owner cannot be given back, it stays ours.) */
	if (fchown(r->dirfd, st.st_uid, st.st_gid) == 0)
		(void)fchmod(r->dirfd, st.st_mode & 07777);
	if (err == SP_ERR_UNSAFE_PATH && why == SP_CLEAR_NOT_EMPTY)
		return sp_fail("run: %s: not empty (it holds %s) and not left by an earlier run (mode "
		    "%04o, uid %u): start with an empty directory", r->dir, bad,
		    (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
	if (err == SP_ERR_UNSAFE_PATH)
		return sp_fail("run: %s: holds %s, %s, which secretpack did not put there: empty the "
		    "directory (or pass another --dir)", r->dir, bad, clear_why(why));
	return sp_fail("run: %s: cannot remove what an earlier run left: %s", r->dir,
	    err == SP_ERR_IO ? strerror(errno) : sp_err_str(err));
}

static int fail_create(const struct run *r, int e)
{
	if (e == EROFS)
		return sp_fail("run: %s: cannot create it on a read-only file system: add --tmpfs %s "
		    "(docker run), tmpfs: [%s] (compose) or an emptyDir with medium: Memory (Kubernetes)",
		    r->dir, r->dir, r->dir);
	return sp_fail("run: %s: cannot create it: %s", r->dir, strerror(e));
}

int run_open_dir(struct run *r)
{
	int err;

	if (absolute_dir(r) != EXIT_OK || safe_ancestors(r) != EXIT_OK)
		return EXIT_FAIL;
	r->dirfd = open_dirfd(r->dir);
	if (r->dirfd < 0 && errno == ENOENT) {
		if (mkdir(r->dir, 0700) != 0)
			return fail_create(r, errno);
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
	if (take_over(r) != EXIT_OK)
		return EXIT_FAIL;
	err = sp_vault_begin(&r->v, r->dirfd, r->uid, r->gid, 0500);
	if (err != SP_OK)
		return sp_fail_path("run", r->dir, err);
	sp_vault_fresh(r->v); /* take_over emptied DIR, which is ours and 0700 */
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
		/* DIR was emptied and is ours: only someone acting in it as root gets here. */
		if (err == SP_ERR_UNSAFE_PATH)
			return sp_fail("run: %s: changed while secretpack wrote it (its staging directory "
			    "moved, or something put in the way): refusing; find out what else writes there",
			    r->dir);
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

/* Everything this run put in DIR (it emptied DIR first): with the privileges the shim still has. */
static void undo_dir(struct run *r)
{
	char target[PATH_MAX], bad[SP_NAME_MAX + 2];
	int why;

	sp_vault_free(r->v);
	r->v = NULL;
	if (r->dirfd >= 0 && (r->cleared || r->committed)) {
		(void)fchmod(r->dirfd, 0700);
		if (r->cleared)
			(void)sp_vault_clear(r->dirfd, r->uid, SP_CLEAR_PURGE, bad, sizeof bad, &why);
		else
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

/* Tells the helper the exec failed and waits for its clean-up; 0 if it did it. */
static int guard_undo(struct run *r)
{
	struct sigaction ign, old;
	ssize_t w;
	int st;

	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &ign, &old);
	do
		w = write(r->guard_fd, "x", 1);
	while (w < 0 && errno == EINTR);
	(void)sigaction(SIGPIPE, &old, NULL);
	close(r->guard_fd);
	r->guard_fd = -1;
	while (waitpid(r->guard, &st, 0) < 0 && errno == EINTR)
		;
	r->guard = 0;
	return w == 1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Leaves nothing behind after a failure before the app started. */
void run_undo(struct run *r)
{
	if (r->guard > 0 && guard_undo(r) == 0) {
		sp_vault_free(r->v);
		r->v = NULL;
		if (r->dirfd >= 0)
			close(r->dirfd);
		r->dirfd = -1;
		return;
	}
	undo_dir(r);
}

int run_guard_start(struct run *r)
{
	int p[2];
	pid_t pid;

	r->guard_fd = -1;
	/* Without a tmpfs of our own, the process that fails to exec cleans up itself, as the user
	 * it became: DIR and everything in it belong to that user, who may empty it (run_undo).
	 * Only an unmount needs the privileges the drop gives up: then a helper keeps them. */
	if (geteuid() != 0 || !r->mounted)
		return EXIT_OK;
	if (pipe2(p, O_CLOEXEC) != 0)
		return sp_fail("run: cannot make a pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return sp_fail("run: cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		sigset_t all;
		char c;
		ssize_t n;
		int fd, lo, hi;
		/* Short-lived and deaf to the app's signals: it only waits for the exec's outcome. */
		(void)sigfillset(&all);
		(void)sigprocmask(SIG_SETMASK, &all, NULL);
		close(p[1]);
		/* Everything but the pipe and DIR: by ranges (close_range, Linux 5.11), else one by one. */
		lo = p[0] < r->dirfd ? p[0] : r->dirfd;
		hi = p[0] < r->dirfd ? r->dirfd : p[0];
		if ((lo > 3 && close_range(3, (unsigned int)lo - 1, 0) != 0) ||
		    (hi > lo + 1 && close_range((unsigned int)lo + 1, (unsigned int)hi - 1, 0) != 0) ||
		    close_range((unsigned int)hi + 1, ~0U, 0) != 0)
			for (fd = 3; fd < 1024; fd++)
				if (fd != p[0] && fd != r->dirfd)
					(void)close(fd);
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1)
			undo_dir(r);
		_exit(0);
	}
	close(p[0]);
	r->guard = pid;
	r->guard_fd = p[1];
	return EXIT_OK;
}

/* ---- signals during set-up ---- */

static void held_signals(sigset_t *s)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
		SIGPIPE, SIGVTALRM, SIGPROF, SIGIO };
	size_t i;

	(void)sigemptyset(s);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		(void)sigaddset(s, sigs[i]);
}

void run_signals_hold(struct run *r)
{
	struct sigaction ign;
	sigset_t s;

	if (r->held)
		return;
	r->held = 1;
	held_signals(&s);
	(void)sigprocmask(SIG_BLOCK, &s, &r->old_mask);
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	(void)sigaction(SIGXFSZ, &ign, &r->old_xfsz);
}

int run_signals_pending(const struct run *r)
{
	struct timespec now = { 0, 0 };
	sigset_t s;
	int sig;

	if (!r->held)
		return 0;
	held_signals(&s);
	/* A blocked signal stays pending even when ignored (nohup's SIGHUP): that one is no stop. */
	while ((sig = sigtimedwait(&s, NULL, &now)) > 0) {
		struct sigaction sa;
		if (sigaction(sig, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN)
			return sig;
	}
	return 0;
}

void run_signals_release(struct run *r)
{
	if (!r->held)
		return;
	r->held = 0;
	(void)sigaction(SIGXFSZ, &r->old_xfsz, NULL);
	(void)sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
}

/* --deliver: DIR's path as `run` checks it (absolute, plain, parents safe). */
int run_check_dir_path(struct run *r)
{
	if (absolute_dir(r) != EXIT_OK || safe_ancestors(r) != EXIT_OK)
		return EXIT_FAIL;
	return EXIT_OK;
}
