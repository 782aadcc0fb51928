/* sp_tty.c - the controlling terminal, given up before an app with fewer privileges starts. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_tty.h"

/* 1 if fd is this process's controlling terminal (TIOCGPGRP answers only for that one). */
static int is_ctty(int fd)
{
	return tcgetpgrp(fd) >= 0;
}

/* The tty_nr field of /proc/self/stat: 0 without a controlling terminal; -1 if unreadable. */
static long stat_tty_nr(void)
{
	char buf[512], *p, *end;
	long nr;
	ssize_t n;
	int field;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) state ppid pgrp session tty_nr ...": comm may hold spaces and parentheses. */
	p = strrchr(buf, ')');
	for (field = 0; p != NULL && field < 5; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	errno = 0;
	nr = strtol(p + 1, &end, 10);
	return errno == 0 && end != p + 1 && *end == ' ' ? nr : -1;
}

/* A descriptor (close-on-exec) on the controlling terminal; -1 with errno ENXIO when there is
 * none, other errno when it cannot be found out. */
static int ctty_open(void)
{
	int fd, i, e;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && is_ctty(fd))
		return fd;
	e = fd >= 0 ? ENOTTY : errno;
	if (fd >= 0)
		close(fd);
	else if (e == ENXIO)
		return -1;
	/* No usable /dev/tty (a minimal /dev, or something else there): look at the standard
	 * descriptors, then ask /proc whether there is a terminal at all. */
	for (i = 0; i <= 2; i++)
		if (is_ctty(i))
			return fcntl(i, F_DUPFD_CLOEXEC, 3);
	errno = stat_tty_nr() == 0 ? ENXIO : e;
	return -1;
}

int sp_tty_detach(int *what)
{
	int fd, e, err = SP_OK;

	*what = SP_TTY_NONE;
	fd = ctty_open();
	if (fd < 0)
		return errno == ENXIO ? SP_OK : SP_ERR_NOT_FOUND;
	if (getsid(0) == getpid()) {
		*what = SP_TTY_LEADER;
	} else if (ioctl(fd, TIOCNOTTY) != 0) {
		err = SP_ERR_IO;
	} else if (is_ctty(fd)) {
		err = SP_ERR_PRIV;
	} else {
		*what = SP_TTY_DETACHED;
	}
	e = errno;
	close(fd);
	errno = e;
	return err;
}
