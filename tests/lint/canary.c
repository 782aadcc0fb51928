/* canary.c - wrong on purpose: lint.sh requires each of its tools to object to this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int canary(const char *s, int n);

int canary(const char *s, int n)
{
	char buf[8];
	unsigned char len = strlen(s);
	char *p = malloc(n * 4);
	int unread = 0;

	snprintf(buf, sizeof buf, "%s", s);
	unread = buf[len];
	buf[8] = '\0';
	return p[0];
}
