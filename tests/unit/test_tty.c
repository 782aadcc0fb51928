/* test_tty.c - giving up the controlling terminal: none, a session leader's, another process's. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "sp_err.h"
#include "sp_tty.h"

/* Exit status of a child running fn: 0 when every check in it held, else from the failed check's
 * line. */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

#define CHECK(x) do { if (!(x)) return __LINE__ % 255 + 1; } while (0)

static int has_ctty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int no_tty(void)
{
	int what = -1;
	CHECK(setsid() > 0);
	CHECK(!has_ctty());
	CHECK(sp_tty_detach(&what) == SP_OK);
	CHECK(what == SP_TTY_NONE);
	return 0;
}

static void t_none(void **state)
{
	(void)state;
	assert_int_equal(in_child(no_tty), 0);
}

/* A new session whose controlling terminal is a fresh pty; returns the master, or -1. */
static int new_session_on_pty(void)
{
	int m, s;
	if (setsid() < 0 || (m = posix_openpt(O_RDWR | O_NOCTTY)) < 0 || grantpt(m) != 0 || unlockpt(m) != 0)
		return -1;
	s = open(ptsname(m), O_RDWR); /* a session leader without a terminal: this one becomes it */
	if (s < 0 || dup2(s, 0) < 0)
		return -1;
	return m;
}

static int detached(void)
{
	int what = -1;
	CHECK(has_ctty());
	CHECK(sp_tty_detach(&what) == SP_OK);
	CHECK(what == SP_TTY_DETACHED);
	CHECK(!has_ctty());
	CHECK(ioctl(0, TIOCSCTTY, 0) != 0); /* not a session leader */
	return 0;
}

static int leader(void)
{
	int what = -1, st;
	pid_t pid;
	CHECK(new_session_on_pty() >= 0);
	CHECK(has_ctty());
	CHECK(sp_tty_detach(&what) == SP_OK);
	CHECK(what == SP_TTY_LEADER);
	CHECK(has_ctty()); /* kept */
	/* A process of the session that does not lead it gives it up alone. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(detached());
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(has_ctty()); /* the leader still has it */
	CHECK(tcgetpgrp(0) == getpgrp());
	return 0;
}

static void t_leader_and_member(void **state)
{
	(void)state;
	assert_int_equal(in_child(leader), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_none),
		cmocka_unit_test(t_leader_and_member),
	};
	return cmocka_run_group_tests_name("tty", tests, NULL, NULL);
}
