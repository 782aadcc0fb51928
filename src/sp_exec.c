/* sp_exec.c - what the app inherits (environment, descriptors), how it is found and started. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_exec.h"

#define FD_SCAN_MAX 65536 /* when /proc is not mounted */
#define ARGV_MAX 4096

static const char *const secret_vars[] = {
	"SECRETPACK_KEY", "SECRETPACK_KEY_FILE", "SECRETPACK_KEY_FD",
	"SECRETPACK_PASSPHRASE", "SECRETPACK_PASSPHRASE_FILE",
};

/* The signals the init loop does not take: those the kernel raises for a fault of the shim itself,
 * the terminal's stops for background reads and writes (ignored instead), and the two that cannot
 * be caught. Every other one is forwarded, real-time ones included (tini's list). */
static const int not_waited[] = {
	SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT, SIGTTIN, SIGTTOU, SIGKILL, SIGSTOP,
};

/* Length of the name part of "NAME=value", or 0 without '='. */
static size_t name_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : 0;
}

static int name_is(const char *kv, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(kv, name, len) == 0;
}

int sp_env_is_secret(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof secret_vars / sizeof secret_vars[0]; i++)
		if (strcmp(name, secret_vars[i]) == 0)
			return 1;
	return 0;
}

int sp_env_keep_check(const char *name)
{
	if (name == NULL || strncmp(name, SP_ENV_PREFIX, strlen(SP_ENV_PREFIX)) != 0 ||
	    strchr(name, '=') != NULL)
		return SP_ERR_ARG;
	if (sp_env_is_secret(name))
		return SP_ERR_PERM;
	return SP_OK;
}

static int push(sp_env *e, char *s)
{
	if (e->v == NULL || e->n + 1 >= e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		char **v = realloc(e->v, cap * sizeof *v);
		if (v == NULL)
			return SP_ERR_NOMEM;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
	return SP_OK;
}

static int kept(const char *kv, size_t len, const char *const *keep, size_t n_keep)
{
	size_t i;

	for (i = 0; i < n_keep; i++)
		if (sp_env_keep_check(keep[i]) == SP_OK && name_is(kv, len, keep[i]))
			return 1;
	return 0;
}

int sp_env_from(sp_env *e, char *const *envp, const char *const *keep, size_t n_keep)
{
	size_t i, pl = strlen(SP_ENV_PREFIX);
	int err;

	memset(e, 0, sizeof *e);
	err = push(e, NULL);
	if (err != SP_OK)
		return err;
	e->n = 0;
	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		size_t len = name_len(envp[i]);
		if (len == 0)
			continue;
		if (len >= pl && memcmp(envp[i], SP_ENV_PREFIX, pl) == 0 && !kept(envp[i], len, keep, n_keep))
			continue;
		err = push(e, envp[i]);
		if (err != SP_OK) {
			sp_env_free(e);
			return err;
		}
	}
	return SP_OK;
}

int sp_env_set(sp_env *e, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), i, j;
	char *kv;
	int err;

	if (nl == 0 || strchr(name, '=') != NULL)
		return SP_ERR_ARG;
	if (e->n_own == e->cap_own) {
		size_t cap = e->cap_own ? e->cap_own * 2 : 16;
		char **p = realloc(e->own, cap * sizeof *p);
		if (p == NULL)
			return SP_ERR_NOMEM;
		e->own = p;
		e->cap_own = cap;
	}
	kv = malloc(nl + vl + 2);
	if (kv == NULL)
		return SP_ERR_NOMEM;
	memcpy(kv, name, nl);
	kv[nl] = '=';
	memcpy(kv + nl + 1, value, vl + 1);
	for (i = j = 0; i < e->n; i++)
		if (!name_is(e->v[i], name_len(e->v[i]), name))
			e->v[j++] = e->v[i];
	e->n = j;
	if (e->v != NULL)
		e->v[e->n] = NULL;
	err = push(e, kv);
	if (err != SP_OK) {
		free(kv);
		return err;
	}
	e->own[e->n_own++] = kv;
	return SP_OK;
}

const char *sp_env_get(const sp_env *e, const char *name)
{
	size_t i;
	const char *found = NULL;

	for (i = 0; i < e->n; i++)
		if (name_is(e->v[i], name_len(e->v[i]), name))
			found = e->v[i] + strlen(name) + 1;
	return found;
}

void sp_env_free(sp_env *e)
{
	size_t i;

	/* Owned strings may hold an entry's content (run --env): wiped, not only freed. */
	for (i = 0; i < e->n_own; i++) {
		explicit_bzero(e->own[i], strlen(e->own[i]));
		free(e->own[i]);
	}
	free(e->own);
	free(e->v);
	memset(e, 0, sizeof *e);
}

void sp_env_wipe_secrets(char *const *envp)
{
	size_t i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		size_t len = name_len(envp[i]);
		if (len > 0 && (name_is(envp[i], len, "SECRETPACK_KEY") ||
		    name_is(envp[i], len, "SECRETPACK_PASSPHRASE")))
			explicit_bzero(envp[i] + len + 1, strlen(envp[i] + len + 1));
	}
}

static int fds_add(sp_fdset *s, int fd, size_t *cap)
{
	if (s->n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		int *p = realloc(s->fd, c * sizeof *p);
		if (p == NULL)
			return SP_ERR_NOMEM;
		s->fd = p;
		*cap = c;
	}
	s->fd[s->n++] = fd;
	return SP_OK;
}

/* Calls fn for every open descriptor above 2, from /proc/self/fd or by probing. The directory is
 * read with getdents64 itself: a DIR stream costs three more system calls to set up. */
static int each_fd(int (*fn)(int fd, void *ctx), void *ctx)
{
	_Alignas(struct dirent64) char buf[4096];
	struct rlimit rl;
	ssize_t n;
	int dfd, err = SP_OK, fd, max = FD_SCAN_MAX;

	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		while ((n = getdents64(dfd, buf, sizeof buf)) > 0) {
			for (ssize_t off = 0; err == SP_OK && off < n;) {
				const struct dirent64 *de = (const struct dirent64 *)(const void *)(buf + off);
				char *end;
				long v = strtol(de->d_name, &end, 10);
				off += de->d_reclen;
				if (*end != '\0' || end == de->d_name || v <= 2 || v == dfd)
					continue;
				err = fn((int)v, ctx);
			}
			if (err != SP_OK)
				break;
		}
		close(dfd);
		return err == SP_OK && n < 0 ? SP_ERR_IO : err;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
		max = (int)rl.rlim_cur;
	for (fd = 3; err == SP_OK && fd < max; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			err = fn(fd, ctx);
	return err;
}

typedef struct {
	sp_fdset *s;
	size_t cap;
} snap_ctx;

static int snap_one(int fd, void *ctx)
{
	snap_ctx *c = ctx;
	return fds_add(c->s, fd, &c->cap);
}

int sp_fds_snapshot(sp_fdset *s)
{
	snap_ctx c = { s, 0 };
	int err;

	s->fd = NULL;
	s->n = 0;
	err = each_fd(snap_one, &c);
	if (err != SP_OK)
		sp_fds_free(s);
	return err;
}

void sp_fds_forget(sp_fdset *s, int fd)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->fd[i] == fd)
			s->fd[i] = -1;
}

static int cloexec_one(int fd, void *ctx)
{
	const sp_fdset *keep = ctx;
	size_t i;
	int flags;

	for (i = 0; keep != NULL && i < keep->n; i++)
		if (keep->fd[i] == fd)
			return SP_OK;
	flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return errno == EBADF ? SP_OK : SP_ERR_IO;
	if (!(flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)
		return SP_ERR_IO;
	return SP_OK;
}

/* close_range marks whole ranges close-on-exec in one call each (Linux 5.11): the gaps between
 * the descriptors to keep, usually none, so one call. 0 on success. */
static int cloexec_ranges(const sp_fdset *keep)
{
	unsigned int lo = 3;
	size_t i;

	for (;;) {
		int next = -1;
		for (i = 0; keep != NULL && i < keep->n; i++)
			if (keep->fd[i] >= 0 && (unsigned int)keep->fd[i] >= lo &&
			    (next < 0 || keep->fd[i] < next))
				next = keep->fd[i];
		if (next < 0)
			return close_range(lo, ~0U, CLOSE_RANGE_CLOEXEC);
		if ((unsigned int)next > lo && close_range(lo, (unsigned int)next - 1, CLOSE_RANGE_CLOEXEC) != 0)
			return -1;
		lo = (unsigned int)next + 1;
	}
}

int sp_fds_cloexec_others(const sp_fdset *keep)
{
	if (cloexec_ranges(keep) == 0)
		return SP_OK;
	/* An older kernel: one descriptor at a time. */
	return each_fd(cloexec_one, (void *)(uintptr_t)keep);
}

void sp_fds_free(sp_fdset *s)
{
	free(s->fd);
	s->fd = NULL;
	s->n = 0;
}

static int is_exec_file(const char *p, int *seen_noexec)
{
	struct stat st;

	if (stat(p, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (access(p, X_OK) == 0)
		return 1;
	*seen_noexec = 1;
	return 0;
}

int sp_exec_find(const char *cmd, const char *path, char *out, size_t cap)
{
	size_t cl = strlen(cmd);
	const char *p;
	int seen_noexec = 0;

	if (cl == 0)
		return SP_ERR_NOT_FOUND;
	if (strchr(cmd, '/') != NULL) {
		if (cl >= cap)
			return SP_ERR_LIMIT;
		memcpy(out, cmd, cl + 1);
		return SP_OK;
	}
	if (path == NULL)
		path = SP_DEFAULT_PATH;
	for (p = path;; p++) {
		size_t dl = strcspn(p, ":");
		if (dl == 0) {
			if (cl >= cap)
				return SP_ERR_LIMIT;
			memcpy(out, cmd, cl + 1);
		} else {
			if (dl + 1 + cl >= cap)
				return SP_ERR_LIMIT;
			memcpy(out, p, dl);
			out[dl] = '/';
			memcpy(out + dl + 1, cmd, cl + 1);
		}
		if (is_exec_file(out, &seen_noexec))
			return SP_OK;
		p += dl;
		if (*p == '\0')
			break;
	}
	out[0] = '\0';
	return seen_noexec ? SP_ERR_PERM : SP_ERR_NOT_FOUND;
}

void sp_exec_run(const char *path, char *const argv[], char *const envp[])
{
	char *sh_argv[ARGV_MAX + 2];
	size_t n;

	execve(path, argv, envp);
	if (errno != ENOEXEC)
		return;
	/* A script without "#!": as execvp does, let the shell run it. */
	for (n = 0; argv[n] != NULL; n++)
		if (n >= ARGV_MAX) {
			errno = E2BIG;
			return;
		}
	sh_argv[0] = (char *)(uintptr_t)"sh";
	sh_argv[1] = (char *)(uintptr_t)path;
	memcpy(sh_argv + 2, argv + (n > 0 ? 1 : 0), (n > 0 ? n : 1) * sizeof *sh_argv);
	execve("/bin/sh", sh_argv, envp);
	errno = ENOEXEC;
}

int sp_exec_status(int errno_value)
{
	return errno_value == ENOENT || errno_value == ENOTDIR ? 127 : 126;
}

/* What the loop waits for: the forwarded signals and SIGCHLD. (sigfillset leaves out the two
 * real-time signals the C library keeps for itself.) */
static void waited_set(sigset_t *set)
{
	size_t i;

	sigfillset(set);
	for (i = 0; i < sizeof not_waited / sizeof not_waited[0]; i++)
		sigdelset(set, not_waited[i]);
}

int sp_init_forwards(int sig)
{
	sigset_t set;

	waited_set(&set);
	return sig != SIGCHLD && sigismember(&set, sig) == 1;
}

void sp_init_restore(const sp_init *in)
{
	(void)sigaction(SIGCHLD, &in->old_chld, NULL);
	(void)sigaction(SIGTTIN, &in->old_ttin, NULL);
	(void)sigaction(SIGTTOU, &in->old_ttou, NULL);
	(void)sigprocmask(SIG_SETMASK, &in->old_mask, NULL);
}

/* In the child: own process group, the terminal's foreground if the shim had it, and exactly the
 * signal mask and dispositions the shim inherited. */
static void child_setup(const sp_init *in)
{
	if (setpgid(0, 0) == 0 && in->fg > 0)
		(void)tcsetpgrp(STDIN_FILENO, getpgrp());
	sp_init_restore(in);
}

int sp_init_spawn(sp_init *in, sp_child_fn fn, void *ctx)
{
	struct sigaction dfl, ign;
	sigset_t set;

	memset(in, 0, sizeof *in);
	in->child = -1;
	/* Orphans of the app get re-parented to us when we are not PID 1 ourselves. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	waited_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, &in->old_mask) != 0)
		return SP_ERR_IO;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	ign = dfl;
	ign.sa_handler = SIG_IGN;
	/* An inherited SIGCHLD ignored (or SA_NOCLDWAIT) would have the kernel reap the app: its
	 * status lost, and nothing left to wait for. */
	if (sigaction(SIGCHLD, &dfl, &in->old_chld) != 0) {
		(void)sigprocmask(SIG_SETMASK, &in->old_mask, NULL);
		return SP_ERR_IO;
	}
	(void)sigaction(SIGTTIN, &ign, &in->old_ttin);
	(void)sigaction(SIGTTOU, &ign, &in->old_ttou);
	/* The app takes the terminal from a shim in the foreground only, never from the caller's
	 * shell when the shim runs in the background. */
	if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp())
		in->fg = getpgrp();
	in->child = fork();
	if (in->child < 0) {
		sp_init_restore(in);
		return SP_ERR_IO;
	}
	if (in->child == 0) {
		child_setup(in);
		_exit(fn(ctx));
	}
	return SP_OK;
}

static int exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* Reaps whatever has exited. 1 when the app was among them (*status set); -1 when no child is
 * left and the app was not seen (reaped by someone else: its status is lost); else 0. */
static int reap(pid_t child, int *status)
{
	pid_t pid;
	int st, done = 0;

	while ((pid = waitpid(-1, &st, WNOHANG)) != 0) {
		if (pid < 0)
			return errno == ECHILD && !done ? -1 : done;
		if (pid == child) {
			done = 1;
			*status = exit_code(st);
		}
	}
	return done;
}

int sp_init_wait(sp_init *in, int *status)
{
	struct timespec tick = { 1, 0 };
	sigset_t set;
	int done = 0, err = SP_OK;

	*status = 1;
	if (in->child <= 0)
		return SP_ERR_ARG;
	waited_set(&set);
	while (done == 0) {
		siginfo_t si;
		int sig = sigtimedwait(&set, &si, &tick);
		if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			err = SP_ERR_IO;
			break;
		}
		if (sig > 0 && sig != SIGCHLD)
			(void)kill(in->child, sig);
		done = reap(in->child, status);
	}
	if (done < 0)
		err = SP_ERR_NOT_FOUND;
	/* The caller gets the terminal back, whatever the app did with it (SIGTTOU is ignored). */
	if (in->fg > 0 && tcgetpgrp(STDIN_FILENO) != in->fg)
		(void)tcsetpgrp(STDIN_FILENO, in->fg);
	return err;
}
