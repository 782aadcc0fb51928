/* maxrss.c - runs a command and writes its peak resident set (ru_maxrss, KiB) to fd 3. Built
 * static and tiny so that the RSS the child had before exec (counted in ru_maxrss) stays small. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;

	if (argc < 2)
		return 2;
	if ((pid = fork()) < 0)
		return 2;
	if (pid == 0) {
		close(3);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 2;
	dprintf(3, "%ld\n", ru.ru_maxrss);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
