/* test_exec.c - the app's environment, descriptor hygiene, PATH lookup, exec statuses, init loop. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "sp_err.h"
#include "sp_exec.h"

static char *mk(const char *s)
{
	char *p = strdup(s);
	assert_non_null(p);
	return p;
}

static int has(const sp_env *e, const char *kv)
{
	size_t i;
	for (i = 0; i < e->n; i++)
		if (strcmp(e->v[i], kv) == 0)
			return 1;
	return 0;
}

static int has_prefix(const sp_env *e, const char *prefix)
{
	size_t i;
	for (i = 0; i < e->n; i++)
		if (strncmp(e->v[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

static void t_env_filter(void **state)
{
	char *envp[] = {
		mk("PATH=/bin"), mk("SECRETPACK_KEY=SPKSEC1XYZ"), mk("SECRETPACK_KEY_FILE=/k"),
		mk("SECRETPACK_KEY_FD=3"), mk("SECRETPACK_PASSPHRASE=pw"), mk("SECRETPACK_PASSPHRASE_FILE=/p"),
		mk("SECRETPACK_DIR=/run/secrets"), mk("SECRETPACK_CONTEXT=prod"), mk("SECRETPACK_USER=app"),
		mk("SECRETPACK_BUNDLE=/b"), mk("SECRETPACKX=kept"), mk("NOEQUALS"), mk("=empty"),
		mk("HOME=/root"), NULL,
	};
	const char *keep[] = { "SECRETPACK_CONTEXT", "SECRETPACK_KEY", "OTHER" };
	sp_env e;
	size_t i;
	(void)state;
	assert_int_equal(sp_env_from(&e, envp, keep, 3), SP_OK);
	assert_true(has(&e, "PATH=/bin"));
	assert_true(has(&e, "HOME=/root"));
	assert_true(has(&e, "SECRETPACKX=kept"));
	assert_true(has(&e, "SECRETPACK_CONTEXT=prod"));
	assert_false(has_prefix(&e, "SECRETPACK_KEY"));   /* asked for, but secret: never kept */
	assert_false(has_prefix(&e, "SECRETPACK_PASSPHRASE"));
	assert_false(has_prefix(&e, "SECRETPACK_DIR="));
	assert_false(has_prefix(&e, "SECRETPACK_USER="));
	assert_false(has_prefix(&e, "SECRETPACK_BUNDLE="));
	assert_false(has(&e, "NOEQUALS"));
	assert_false(has(&e, "=empty"));
	assert_int_equal(e.n, 4);
	assert_null(e.v[e.n]);
	sp_env_free(&e);
	for (i = 0; envp[i] != NULL; i++)
		free(envp[i]);
}

static void t_env_set(void **state)
{
	char *envp[] = { mk("HOME=/root"), mk("A=1"), mk("DB_PASSWORD_FILE=/wrong"), mk("A=2"), NULL };
	sp_env e;
	size_t i;
	(void)state;
	assert_int_equal(sp_env_from(&e, envp, NULL, 0), SP_OK);
	assert_int_equal(sp_env_set(&e, "HOME", "/home/app"), SP_OK);
	assert_int_equal(sp_env_set(&e, "DB_PASSWORD_FILE", "/run/secrets/db"), SP_OK);
	assert_int_equal(sp_env_set(&e, "NEW_FILE", "/run/secrets/new"), SP_OK);
	assert_int_equal(sp_env_set(&e, "A", "3"), SP_OK);
	assert_string_equal(sp_env_get(&e, "HOME"), "/home/app");
	assert_string_equal(sp_env_get(&e, "DB_PASSWORD_FILE"), "/run/secrets/db");
	assert_string_equal(sp_env_get(&e, "NEW_FILE"), "/run/secrets/new");
	assert_string_equal(sp_env_get(&e, "A"), "3");
	assert_null(sp_env_get(&e, "MISSING"));
	assert_false(has(&e, "HOME=/root"));
	assert_false(has(&e, "A=1"));
	assert_false(has(&e, "A=2"));
	assert_int_equal(e.n, 4);
	assert_null(e.v[e.n]);
	assert_int_equal(sp_env_set(&e, "", "x"), SP_ERR_ARG);
	assert_int_equal(sp_env_set(&e, "A=B", "x"), SP_ERR_ARG);
	sp_env_free(&e);
	/* From an empty environment. */
	assert_int_equal(sp_env_from(&e, NULL, NULL, 0), SP_OK);
	assert_int_equal(e.n, 0);
	assert_non_null(e.v);
	assert_null(e.v[0]);
	assert_int_equal(sp_env_set(&e, "HOME", "/"), SP_OK);
	assert_string_equal(e.v[0], "HOME=/");
	sp_env_free(&e);
	for (i = 0; envp[i] != NULL; i++)
		free(envp[i]);
}

static void t_keep_check(void **state)
{
	(void)state;
	assert_int_equal(sp_env_keep_check("SECRETPACK_CONTEXT"), SP_OK);
	assert_int_equal(sp_env_keep_check("SECRETPACK_DIR"), SP_OK);
	assert_int_equal(sp_env_keep_check("SECRETPACK_KEY"), SP_ERR_PERM);
	assert_int_equal(sp_env_keep_check("SECRETPACK_KEY_FILE"), SP_ERR_PERM);
	assert_int_equal(sp_env_keep_check("SECRETPACK_KEY_FD"), SP_ERR_PERM);
	assert_int_equal(sp_env_keep_check("SECRETPACK_PASSPHRASE"), SP_ERR_PERM);
	assert_int_equal(sp_env_keep_check("SECRETPACK_PASSPHRASE_FILE"), SP_ERR_PERM);
	assert_int_equal(sp_env_keep_check("PATH"), SP_ERR_ARG);
	assert_int_equal(sp_env_keep_check("SECRETPACK_X=1"), SP_ERR_ARG);
	assert_int_equal(sp_env_keep_check(NULL), SP_ERR_ARG);
	assert_true(sp_env_is_secret("SECRETPACK_KEY"));
	assert_false(sp_env_is_secret("SECRETPACK_KEYS"));
}

static void t_wipe(void **state)
{
	/* One contiguous block, as the kernel lays out the initial environment. */
	char block[] = "A=1\0SECRETPACK_KEY=SPKSEC1SECRET\0SECRETPACK_PASSPHRASE=hunter2\0"
		       "SECRETPACK_KEY_FILE=/k\0SECRETPACK_KEYX=notsecret\0Z=2";
	char *envp[7];
	size_t i, off = 0;
	(void)state;
	for (i = 0; i < 6; i++) {
		envp[i] = block + off;
		off += strlen(block + off) + 1;
	}
	envp[6] = NULL;
	sp_env_wipe_secrets(envp);
	assert_string_equal(envp[0], "A=1");
	assert_string_equal(envp[1], "SECRETPACK_KEY=");
	assert_string_equal(envp[2], "SECRETPACK_PASSPHRASE=");
	assert_string_equal(envp[3], "SECRETPACK_KEY_FILE=/k");
	assert_string_equal(envp[4], "SECRETPACK_KEYX=notsecret");
	assert_string_equal(envp[5], "Z=2");
	assert_null(memmem(block, sizeof block, "SECRET\0", 7));
	assert_null(memmem(block, sizeof block, "hunter2", 7));
	assert_null(memmem(block, sizeof block, "SPKSEC1", 7));
	/* The layout is unchanged: names stay where they were. */
	assert_memory_equal(block + 4, "SECRETPACK_KEY=\0\0\0", 18);
	sp_env_wipe_secrets(NULL);
}

static int cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);
	assert_true(f >= 0);
	return (f & FD_CLOEXEC) != 0;
}

static void t_fds(void **state)
{
	sp_fdset s;
	int inherited, mine, reused;
	(void)state;
	inherited = open("/dev/null", O_RDONLY);
	assert_true(inherited > 2);
	assert_int_equal(sp_fds_snapshot(&s), SP_OK);
	mine = open("/dev/null", O_RDONLY);
	assert_true(mine > 2);
	assert_false(cloexec(mine));
	assert_int_equal(sp_fds_cloexec_others(&s), SP_OK);
	assert_true(cloexec(mine));
	assert_false(cloexec(inherited));
	assert_false(cloexec(0));
	/* A forgotten inherited fd (read then closed) whose number gets reused is ours. */
	sp_fds_forget(&s, inherited);
	close(inherited);
	reused = open("/dev/null", O_RDONLY);
	assert_int_equal(reused, inherited);
	assert_int_equal(sp_fds_cloexec_others(&s), SP_OK);
	assert_true(cloexec(reused));
	sp_fds_free(&s);
	close(mine);
	close(reused);
}

/* The app sees only 0-2 and what was inherited. */
static void t_fds_exec(void **state)
{
	sp_fdset s;
	int inherited, low, mine, p[2], st;
	char buf[256] = { 0 }, want[64];
	pid_t pid;
	ssize_t n;
	(void)state;
	inherited = open("/dev/null", O_RDONLY);
	assert_int_equal(pipe(p), 0); /* opened before the snapshot: inherited too */
	assert_int_equal(sp_fds_snapshot(&s), SP_OK);
	low = open("/dev/null", O_RDONLY);
	assert_true(low > 2);
	mine = fcntl(low, F_DUPFD, 100); /* a number ls will not reuse for its own directory */
	assert_true(mine >= 100);
	close(low);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { (char *)"sh", (char *)"-c",
			(char *)"cd /proc/self/fd && ls -1 | sort -n | tr '\\n' ' ' >&\"$1\"", (char *)"sh",
			NULL, NULL };
		char num[16];
		snprintf(num, sizeof num, "%d", p[1]);
		argv[4] = num;
		if (sp_fds_cloexec_others(&s) != SP_OK)
			_exit(99);
		sp_exec_run("/bin/sh", argv, NULL);
		_exit(98);
	}
	close(p[1]);
	buf[0] = ' ';
	n = read(p[0], buf + 1, sizeof buf - 2);
	assert_true(n > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* ls's own directory fd shows up as one more number; mine must not. */
	snprintf(want, sizeof want, " %d ", mine);
	assert_null(strstr(buf, want));
	assert_non_null(strstr(buf, " 0 1 2 "));
	snprintf(want, sizeof want, " %d ", inherited);
	assert_non_null(strstr(buf, want));
	snprintf(want, sizeof want, " %d ", p[0]);
	assert_non_null(strstr(buf, want));
	snprintf(want, sizeof want, " %d ", p[1]);
	assert_non_null(strstr(buf, want));
	sp_fds_free(&s);
	close(inherited);
	close(mine);
	close(p[0]);
}

typedef struct {
	char path[64];
} tdir;

static void touch(const char *dir, const char *name, mode_t mode)
{
	char p[128];
	int fd;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "echo script-ran\n", 16), 16);
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
}

static void t_find(void **state)
{
	char a[] = "/tmp/sptest-exec-a.XXXXXX", b[] = "/tmp/sptest-exec-b.XXXXXX";
	char path[256], out[256], want[128];
	(void)state;
	assert_non_null(mkdtemp(a));
	assert_non_null(mkdtemp(b));
	touch(a, "noexec", 0644);
	touch(b, "prog", 0755);
	touch(a, "prog", 0644);   /* a non-executable earlier in PATH does not stop the search */
	snprintf(want, sizeof want, "%s/sub", a);
	assert_int_equal(mkdir(want, 0755), 0); /* a directory of that name is skipped */
	snprintf(path, sizeof path, "%s:%s", a, b);
	assert_int_equal(sp_exec_find("prog", path, out, sizeof out), SP_OK);
	snprintf(want, sizeof want, "%s/prog", b);
	assert_string_equal(out, want);
	assert_int_equal(sp_exec_find("sub", path, out, sizeof out), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_exec_find("missing", path, out, sizeof out), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_exec_find("noexec", path, out, sizeof out), SP_ERR_PERM);
	assert_int_equal(sp_exec_find("", path, out, sizeof out), SP_ERR_NOT_FOUND);
	/* With a slash: as is. */
	assert_int_equal(sp_exec_find("./x/y", path, out, sizeof out), SP_OK);
	assert_string_equal(out, "./x/y");
	/* Default PATH when unset. */
	assert_int_equal(sp_exec_find("sh", NULL, out, sizeof out), SP_OK);
	assert_true(strcmp(out, "/usr/bin/sh") == 0 || strcmp(out, "/bin/sh") == 0);
	/* An empty element is the current directory. */
	assert_int_equal(chdir(b), 0);
	snprintf(path, sizeof path, "/nonexistent::/also-not");
	assert_int_equal(sp_exec_find("prog", path, out, sizeof out), SP_OK);
	assert_string_equal(out, "prog");
	assert_int_equal(chdir("/"), 0);
	/* Too long for out. */
	assert_int_equal(sp_exec_find("prog", b, out, 8), SP_ERR_LIMIT);
	snprintf(want, sizeof want, "rm -rf %s %s", a, b);
	assert_int_equal(system(want), 0);
}

static int run_status(const char *path, char *const argv[])
{
	int st;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		sp_exec_run(path, argv, NULL);
		_exit(sp_exec_status(errno));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void t_exec_status(void **state)
{
	char d[] = "/tmp/sptest-exec-s.XXXXXX", p[128];
	char *argv[] = { (char *)"x", (char *)"arg", NULL };
	char *argv0[] = { NULL };
	(void)state;
	assert_non_null(mkdtemp(d));
	assert_int_equal(sp_exec_status(ENOENT), 127);
	assert_int_equal(sp_exec_status(ENOTDIR), 127);
	assert_int_equal(sp_exec_status(EACCES), 126);
	assert_int_equal(sp_exec_status(ENOEXEC), 126);
	assert_int_equal(run_status("/nonexistent/prog", argv), 127);
	assert_int_equal(run_status(d, argv), 126); /* a directory */
	touch(d, "plain", 0644);
	snprintf(p, sizeof p, "%s/plain", d);
	assert_int_equal(run_status(p, argv), 126); /* no x bit: not even root may run it */
	/* No "#!": run by /bin/sh, like execvp. */
	touch(d, "script", 0755);
	snprintf(p, sizeof p, "%s/script", d);
	assert_int_equal(run_status(p, argv), 0);
	assert_int_equal(run_status(p, argv0), 0);
	snprintf(p, sizeof p, "rm -rf %s", d);
	assert_int_equal(system(p), 0);
}

static int child_exit3(void *ctx)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)ctx, NULL };
	sp_exec_run("/bin/sh", argv, NULL);
	return 120;
}

/* Spawns sh -c script under the init loop; its status. The forwarded signals stay blocked after
 * the wait (nothing pending may end the shim before its cleanup) until sp_init_restore. */
static int init_run(const char *script)
{
	sp_init in;
	sigset_t cur;
	int status = -1;
	assert_int_equal(sp_init_spawn(&in, child_exit3, (void *)(uintptr_t)script), SP_OK);
	assert_true(in.child > 0);
	assert_int_equal(sp_init_wait(&in, &status), SP_OK);
	assert_int_equal(sigprocmask(SIG_SETMASK, NULL, &cur), 0);
	assert_int_equal(sigismember(&cur, SIGTERM), 1);
	assert_int_equal(sigismember(&cur, SIGALRM), 1);
	sp_init_restore(&in);
	return status;
}

static void t_init_status(void **state)
{
	sigset_t cur;
	(void)state;
	assert_int_equal(init_run("exit 3"), 3);
	assert_int_equal(init_run("exit 0"), 0);
	assert_int_equal(init_run("exit 255"), 255);
	assert_int_equal(init_run("kill -TERM $$"), 128 + SIGTERM);
	assert_int_equal(init_run("kill -KILL $$"), 128 + SIGKILL);
	assert_int_equal(sigprocmask(SIG_SETMASK, NULL, &cur), 0);
	assert_int_equal(sigismember(&cur, SIGTERM), 0); /* restored */
}

static int child_fails(void *ctx)
{
	(void)ctx;
	return 42; /* e.g. privilege drop failed: no exec */
}

static void t_init_child_fails(void **state)
{
	sp_init in;
	int status;
	(void)state;
	assert_int_equal(sp_init_spawn(&in, child_fails, NULL), SP_OK);
	assert_int_equal(sp_init_wait(&in, &status), SP_OK);
	sp_init_restore(&in);
	assert_int_equal(status, 42);
}

static int child_grep(void *ctx)
{
	char *argv[] = { (char *)"grep", (char *)"-qxF", (char *)ctx, (char *)"/proc/self/status", NULL };
	sp_exec_run("/bin/grep", argv, NULL);
	return 120;
}

/* Whether the app (grep itself: a shell would change its dispositions) has the line of
 * /proc/self/status that starts with key that we have now. */
static int init_same_line(const char *key)
{
	char line[256] = "";
	sp_init in;
	int status = -1;
	FILE *f = fopen("/proc/self/status", "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL && strncmp(line, key, strlen(key)) != 0)
		;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	assert_int_equal(strncmp(line, key, strlen(key)), 0);
	assert_int_equal(sp_init_spawn(&in, child_grep, line), SP_OK);
	assert_int_equal(sp_init_wait(&in, &status), SP_OK);
	sp_init_restore(&in);
	return status;
}

/* The child runs with the signal mask and ignored set the parent had before, and its own process
 * group. */
static void t_init_child_state(void **state)
{
	(void)state;
	assert_int_equal(init_run("grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status"), 0);
	/* Dispositions ignored by whoever started the test (make ignores some) are inherited, as
	 * across exec; the child must not add any. */
	assert_int_equal(init_same_line("SigBlk:"), 0);
	assert_int_equal(init_same_line("SigIgn:"), 0);
	assert_int_equal(init_run("test \"$(cut -d' ' -f5 /proc/$$/stat)\" = $$"), 0);
}

/* Started with SIGTERM ignored and SIGTERM, SIGINT blocked (a supervisor, a runtime or a shell
 * may do this): the app gets exactly that state, and its status comes back. */
static void t_init_inherited_state(void **state)
{
	struct sigaction ign, old_term;
	sigset_t set, old;
	(void)state;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGTERM, &ign, &old_term), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	assert_int_equal(sigprocmask(SIG_BLOCK, &set, &old), 0);
	assert_int_equal(init_same_line("SigBlk:"), 0);
	assert_int_equal(init_same_line("SigIgn:"), 0);
	assert_int_equal(init_run("kill -TERM $$; kill -INT $$; exit 6"), 6);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	assert_int_equal(sigaction(SIGTERM, &old_term, NULL), 0);
}

/* Started with SIGCHLD ignored: the kernel would reap the app itself and the loop would wait
 * forever. The shim takes SIGCHLD back; the app still gets it ignored, as under tini. */
static void t_init_sigchld_ignored(void **state)
{
	(void)state;
	assert_true(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	alarm(20); /* a hang fails the test instead of hanging it */
	assert_int_equal(init_run("exit 3"), 3);
	assert_int_equal(init_run("sleep 0.2; exit 4"), 4);
	assert_int_equal(init_same_line("SigIgn:"), 0);
	alarm(0);
	assert_true(signal(SIGCHLD, SIG_IGN) == SIG_IGN); /* given back */
	assert_true(signal(SIGCHLD, SIG_DFL) != SIG_ERR);
}

/* The app reaped behind the loop's back (here: SIGCHLD ignored again after the spawn): waitpid
 * says ECHILD, which means the app is gone. */
static void t_init_echild(void **state)
{
	sp_init in;
	int status = -1;
	(void)state;
	alarm(20);
	assert_int_equal(sp_init_spawn(&in, child_exit3, (void *)(uintptr_t)"sleep 0.3; exit 4"), SP_OK);
	assert_true(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	assert_int_equal(sp_init_wait(&in, &status), SP_ERR_NOT_FOUND);
	assert_int_equal(status, 1);
	alarm(0);
	sp_init_restore(&in);
}

/* Every catchable signal but SIGCHLD, the fault ones and SIGTTIN/SIGTTOU: real-time ones too. */
static void t_init_forwards_list(void **state)
{
	static const int never[] = { SIGCHLD, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT,
		SIGTTIN, SIGTTOU, SIGKILL, SIGSTOP };
	int sig, n = 0;
	size_t i;
	(void)state;
	for (sig = 1; sig < SIGRTMIN; sig++) {
		int expect = sig < 32;
		for (i = 0; i < sizeof never / sizeof never[0]; i++)
			if (never[i] == sig)
				expect = 0;
		print_message("# %d\n", sig);
		assert_int_equal(sp_init_forwards(sig), expect);
		n += expect;
	}
	assert_int_equal(n, 31 - 12);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		assert_int_equal(sp_init_forwards(sig), 1);
	assert_int_equal(sp_init_forwards(0), 0);
	assert_int_equal(sp_init_forwards(SIGRTMAX + 1), 0);
}

/* A helper that sends sig to pid once file exists. */
static pid_t send_when(pid_t pid, int sig, const char *file)
{
	pid_t h = fork();
	assert_true(h >= 0);
	if (h == 0) {
		struct timespec ts = { 0, 10000000L };
		int i;
		for (i = 0; i < 1000 && access(file, F_OK) != 0; i++)
			nanosleep(&ts, NULL);
		kill(pid, sig);
		_exit(0);
	}
	return h;
}

/* Each forwarded signal reaches the app (which exits with the signal's number from its trap); the
 * loop, not PID 1 here, survives every one of them. */
static void t_init_forward(void **state)
{
	char dir[] = "/tmp/sp_fwd_XXXXXX", mark[64], script[256];
	int sig;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(mark, sizeof mark, "%s/ready", dir);
	for (sig = 1; sig <= SIGRTMAX; sig++) {
		sp_init in;
		int status, st;
		pid_t h;
		if (!sp_init_forwards(sig))
			continue;
		unlink(mark);
		snprintf(script, sizeof script,
		    "trap 'exit %d' %d; : >%s; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; exit 1",
		    sig, sig, mark);
		assert_int_equal(sp_init_spawn(&in, child_exit3, script), SP_OK);
		h = send_when(getpid(), sig, mark);
		assert_int_equal(sp_init_wait(&in, &status), SP_OK);
		sp_init_restore(&in);
		print_message("# signal %d\n", sig);
		assert_int_equal(status, sig);
		(void)waitpid(h, &st, 0); /* usually reaped by the loop already */
	}
	unlink(mark);
	rmdir(dir);
}

/* Orphans re-parented to us are reaped while the app runs. */
static void t_init_reaps(void **state)
{
	int st;
	(void)state;
	assert_int_equal(init_run("(sh -c 'exit 0' &); (sh -c 'exit 0' &); sleep 1.5; exit 5"), 5);
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void t_init_bad(void **state)
{
	sp_init in;
	int status;
	(void)state;
	memset(&in, 0, sizeof in);
	assert_int_equal(sp_init_wait(&in, &status), SP_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_env_filter),
		cmocka_unit_test(t_env_set),
		cmocka_unit_test(t_keep_check),
		cmocka_unit_test(t_wipe),
		cmocka_unit_test(t_fds),
		cmocka_unit_test(t_fds_exec),
		cmocka_unit_test(t_find),
		cmocka_unit_test(t_exec_status),
		cmocka_unit_test(t_init_status),
		cmocka_unit_test(t_init_child_fails),
		cmocka_unit_test(t_init_child_state),
		cmocka_unit_test(t_init_inherited_state),
		cmocka_unit_test(t_init_sigchld_ignored),
		cmocka_unit_test(t_init_echild),
		cmocka_unit_test(t_init_forwards_list),
		cmocka_unit_test(t_init_forward),
		cmocka_unit_test(t_init_reaps),
		cmocka_unit_test(t_init_bad),
	};
	return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
