/* sp_exec.h - the app's environment, descriptor hygiene, PATH lookup and exec, and the PID-1 init loop. */
#ifndef SP_EXEC_H
#define SP_EXEC_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define SP_ENV_PREFIX "SECRETPACK_"
#define SP_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* An environment under construction. v is NULL-terminated and ready for execve. Strings of the
 * source envp are borrowed (not copied); strings added by sp_env_set are owned and freed here. */
typedef struct {
	char **v;
	size_t n, cap;
	char **own;
	size_t n_own, cap_own;
} sp_env;

/* 1 for the variables that carry a key or passphrase or point at one (SECRETPACK_KEY,
 * SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD, SECRETPACK_PASSPHRASE, SECRETPACK_PASSPHRASE_FILE). */
int sp_env_is_secret(const char *name);
/* Whether --keep-env NAME is acceptable: SP_OK; SP_ERR_ARG when NAME is not SECRETPACK_*
 * (those are never removed); SP_ERR_PERM when NAME is one of the secret variables. */
int sp_env_keep_check(const char *name);
/* Copies envp without any SECRETPACK_* variable except those named in keep (n_keep names,
 * each passing sp_env_keep_check; others are ignored). Entries without '=' are dropped. */
int sp_env_from(sp_env *e, char *const *envp, const char *const *keep, size_t n_keep);
/* Sets name=value, replacing every earlier definition of name. */
int sp_env_set(sp_env *e, const char *name, const char *value);
/* The value of name in e, or NULL. */
const char *sp_env_get(const sp_env *e, const char *name);
void sp_env_free(sp_env *e);
/* Overwrites in place the values of SECRETPACK_KEY= and SECRETPACK_PASSPHRASE= in the strings
 * envp points to (pass a copy of the initial environ array taken at startup): what
 * /proc/PID/environ shows. The strings stay in place, their values become NUL bytes. */
void sp_env_wipe_secrets(char *const *envp);

/* The descriptors above 2 open at a moment (the ones the container runtime passed in). */
typedef struct {
	int *fd;
	size_t n;
} sp_fdset;
int sp_fds_snapshot(sp_fdset *s);
/* Forgets fd (closed after reading, so its number may be reused by the shim). */
void sp_fds_forget(sp_fdset *s, int fd);
/* Sets FD_CLOEXEC on every descriptor above 2 that is not in keep. */
int sp_fds_cloexec_others(const sp_fdset *keep);
void sp_fds_free(sp_fdset *s);

/* execvpe's lookup: cmd with a '/' is used as is; else each PATH element (path NULL:
 * SP_DEFAULT_PATH; an empty element is the current directory) is tried for an executable
 * regular file, checked with access(X_OK) as the calling user. out gets the path (cap bytes).
 * SP_ERR_NOT_FOUND if there is none, SP_ERR_PERM if only non-executable files were found,
 * SP_ERR_LIMIT if a candidate path does not fit. */
int sp_exec_find(const char *cmd, const char *path, char *out, size_t cap);
/* execve(path, argv, envp); a file the kernel cannot execute (ENOEXEC) is run by /bin/sh as
 * execvp does. Returns only on failure, with errno set. */
void sp_exec_run(const char *path, char *const argv[], char *const envp[]);
/* The shell's exit status for an exec failure: 127 for a missing file, 126 otherwise. */
int sp_exec_status(int errno_value);

/* --init: called in the child after fork with the signal mask and dispositions restored and the
 * terminal taken. It drops privileges and execs; it returns only on failure, with the exit
 * status to use (it prints its own message). */
typedef int (*sp_child_fn)(void *ctx);

typedef struct {
	pid_t child;
	pid_t fg;              /* the terminal's foreground group to give back, or 0 */
	sigset_t old_mask;
	struct sigaction old_chld, old_ttin, old_ttou;
} sp_init;

/* 1 if the init loop forwards sig to the app: every catchable signal (the real-time ones
 * too) except SIGCHLD, the ones raised by a fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
 * SIGSYS, SIGABRT) and SIGTTIN/SIGTTOU. */
int sp_init_forwards(int sig);
/* Becomes a child subreaper; blocks every signal the loop forwards and SIGCHLD; sets SIGCHLD to
 * its default (an inherited SIG_IGN would have the kernel reap the app); ignores SIGTTIN/SIGTTOU;
 * forks. The child gets its own process group (the terminal's foreground group when stdin is a
 * terminal whose foreground group is the caller's), then exactly the mask and dispositions the
 * caller had, and runs fn. The parent returns with in->child set. */
int sp_init_spawn(sp_init *in, sp_child_fn fn, void *ctx);
/* Forwards the signals above to the child, reaps every child (zombies included) until the app
 * exits; *status is its exit code or 128 + the signal that killed it. Gives the terminal's
 * foreground back to the group that had it. SP_ERR_NOT_FOUND (*status 1) when the app is gone
 * without a status (waitpid: ECHILD). The signals stay blocked, so that nothing pending ends the
 * caller before its cleanup: it exits, or calls sp_init_restore. */
int sp_init_wait(sp_init *in, int *status);
/* Restores the mask and dispositions sp_init_spawn changed (pending signals are then delivered). */
void sp_init_restore(const sp_init *in);

#endif
