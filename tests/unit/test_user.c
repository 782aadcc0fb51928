/* test_user.c - USER[:GROUP] resolution from passwd/group text, and the privilege drop. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "sp_err.h"
#include "sp_user.h"

static const char PASSWD[] =
	"root:x:0:0:root:/root:/bin/sh\n"
	"this line is garbage\n"
	"app:x:1000:1000:app:/home/app:/bin/sh\n"
	"other:x:1001:1001:other:/home/other:/bin/sh\n"
	"broken:x:12a:1:::/bin/sh\n"
	"toomany:x:5:5:a:/:/bin/sh:extra\n"
	"nohome:x:1200:1200:::/bin/sh\n"
	"toor:x:0:0:second root:/root2:/bin/sh\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"; /* no final newline */

static const char GROUP[] =
	"root:x:0:\n"
	"app:x:1000:\n"
	"other:x:1001:\n"
	"junk line\n"
	"extra:x:1500:other,app\n"
	"audit:x:1600:other\n"
	"application:x:1700:application,xapp,ap,app2\n"
	"nogroup:x:65534:\n";

static int resolve(const char *spec, sp_user *u)
{
	return sp_user_resolve(spec, PASSWD, strlen(PASSWD), GROUP, strlen(GROUP), u);
}

static void assert_groups(const sp_user *u, const gid_t *want, size_t n)
{
	size_t i;
	assert_int_equal(u->n_groups, n);
	for (i = 0; i < n; i++)
		assert_int_equal(u->groups[i], want[i]);
}

static void t_name(void **state)
{
	sp_user u;
	static const gid_t g[] = { 1000, 1500 };
	(void)state;
	assert_int_equal(resolve("app", &u), SP_OK);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1000);
	assert_groups(&u, g, 2);
	assert_string_equal(u.name, "app");
	assert_string_equal(u.home, "/home/app");
	assert_true(u.has_entry);
	assert_false(u.explicit_group);
}

static void t_name_group(void **state)
{
	sp_user u;
	static const gid_t g[] = { 1500 };
	(void)state;
	assert_int_equal(resolve("app:extra", &u), SP_OK);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1500);
	assert_groups(&u, g, 1);
	assert_true(u.explicit_group);
	assert_int_equal(resolve("app:1600", &u), SP_OK);
	assert_int_equal(u.gid, 1600);
}

static void t_uid_with_entry(void **state)
{
	sp_user u;
	static const gid_t g[] = { 1001, 1500, 1600 };
	(void)state;
	assert_int_equal(resolve("1001", &u), SP_OK);
	assert_int_equal(u.uid, 1001);
	assert_int_equal(u.gid, 1001);
	assert_groups(&u, g, 3);
	assert_string_equal(u.home, "/home/other");
	assert_string_equal(u.name, "other");
}

static void t_uid_gid(void **state)
{
	sp_user u;
	static const gid_t g[] = { 1600 };
	(void)state;
	assert_int_equal(resolve("1000:1600", &u), SP_OK);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1600);
	assert_groups(&u, g, 1);
	assert_string_equal(u.home, "/home/app");
	assert_int_equal(resolve("1000:audit", &u), SP_OK);
	assert_int_equal(u.gid, 1600);
}

static void t_uid_without_entry(void **state)
{
	sp_user u;
	static const gid_t g[] = { 4321 };
	(void)state;
	assert_int_equal(resolve("4321:4321", &u), SP_OK);
	assert_int_equal(u.uid, 4321);
	assert_int_equal(u.gid, 4321);
	assert_groups(&u, g, 1);
	assert_string_equal(u.home, "/");
	assert_string_equal(u.name, "");
	assert_false(u.has_entry);
	/* Never a fallback to gid 0. */
	assert_int_equal(resolve("4321", &u), SP_ERR_NOT_FOUND);
	assert_non_null(u.reason);
	assert_int_equal(sp_user_resolve("4321", NULL, 0, NULL, 0, &u), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_user_resolve("4321:5", NULL, 0, NULL, 0, &u), SP_OK);
}

static void t_root_explicit(void **state)
{
	sp_user u;
	(void)state;
	assert_int_equal(resolve("root", &u), SP_OK);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_int_equal(u.entry_line, 1);
	/* Numeric lookups take the first entry with that uid. */
	assert_int_equal(resolve("0", &u), SP_OK);
	assert_string_equal(u.name, "root");
	assert_string_equal(u.home, "/root");
	assert_int_equal(resolve("0:0", &u), SP_OK);
	assert_int_equal(resolve("root:app", &u), SP_OK);
	assert_int_equal(u.gid, 1000);
	assert_int_equal(sp_user_resolve("0:0", NULL, 0, NULL, 0, &u), SP_OK);
	assert_false(u.root_alias);
}

/* uid 0 only when the user part is literally root or 0: a second name for uid 0, a numeric
 * alias, or an entry rewritten to uid 0 is refused with the line that does it. */
static void t_root_alias(void **state)
{
	static const char rewritten[] =
		"root:x:0:0:root:/root:/bin/sh\n"
		"app:x:0:0:app:/home/app:/bin/sh\n";
	static const char *const aliases[] = { "00", "000:0", "00:root", "0000000000" };
	sp_user u;
	size_t i;
	(void)state;
	assert_int_equal(resolve("toor", &u), SP_ERR_PRIV);
	assert_true(u.root_alias);
	assert_int_equal(u.line, 8);
	assert_false(u.in_group_db);
	assert_non_null(u.reason);
	assert_int_equal(resolve("toor:app", &u), SP_ERR_PRIV);
	assert_true(u.root_alias);
	assert_int_equal(sp_user_resolve("app", rewritten, strlen(rewritten), GROUP, strlen(GROUP), &u),
	    SP_ERR_PRIV);
	assert_true(u.root_alias);
	assert_int_equal(u.line, 2);
	assert_int_equal(sp_user_resolve("app:app", rewritten, strlen(rewritten), GROUP, strlen(GROUP),
	    &u), SP_ERR_PRIV);
	assert_true(u.root_alias);
	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		print_message("# alias %s\n", aliases[i]);
		assert_int_equal(resolve(aliases[i], &u), SP_ERR_PRIV);
		assert_true(u.root_alias);
		assert_non_null(u.reason);
	}
	assert_int_equal(sp_user_resolve("00:0", NULL, 0, NULL, 0, &u), SP_ERR_PRIV);
	assert_true(u.root_alias);
	assert_int_equal(u.line, 0);
	/* Other errors are not root aliases. */
	assert_int_equal(resolve("broken", &u), SP_ERR_PRIV);
	assert_false(u.root_alias);
}

/* gid 0 is an ordinary target group: the OpenShift layout and USER:root are accepted. */
static void t_gid_zero(void **state)
{
	static const char pw[] = "os:x:1001:0:openshift:/home/os:/bin/sh\n";
	static const gid_t g0[] = { 0 };
	static const gid_t gos[] = { 0, 1500 };
	static const char gr[] = "root:x:0:\nextra:x:1500:os\n";
	sp_user u;
	(void)state;
	assert_int_equal(resolve("1000:0", &u), SP_OK);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 0);
	assert_groups(&u, g0, 1);
	assert_int_equal(resolve("1000:root", &u), SP_OK);
	assert_int_equal(u.gid, 0);
	assert_int_equal(resolve("nobody:root", &u), SP_OK);
	assert_int_equal(u.uid, 65534);
	assert_groups(&u, g0, 1);
	assert_int_equal(resolve("app:0", &u), SP_OK);
	assert_int_equal(sp_user_resolve("os", pw, strlen(pw), gr, strlen(gr), &u), SP_OK);
	assert_int_equal(u.uid, 1001);
	assert_int_equal(u.gid, 0);
	assert_groups(&u, gos, 2);
	assert_int_equal(sp_user_resolve("1001", pw, strlen(pw), gr, strlen(gr), &u), SP_OK);
	assert_int_equal(u.gid, 0);
}

static void t_empty_home(void **state)
{
	sp_user u;
	(void)state;
	assert_int_equal(resolve("nohome", &u), SP_OK);
	assert_string_equal(u.home, "/");
	assert_int_equal(resolve("nobody", &u), SP_OK); /* last line, no newline */
	assert_int_equal(u.uid, 65534);
	assert_string_equal(u.home, "/nonexistent");
}

static void t_not_found(void **state)
{
	sp_user u;
	(void)state;
	assert_int_equal(resolve("nosuchuser", &u), SP_ERR_NOT_FOUND);
	assert_false(u.in_group_db);
	assert_int_equal(resolve("nosuchuser:app", &u), SP_ERR_NOT_FOUND);
	assert_int_equal(resolve("app:nosuchgroup", &u), SP_ERR_NOT_FOUND);
	assert_true(u.in_group_db);
	assert_int_equal(resolve("4321:nosuchgroup", &u), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_user_resolve("app", NULL, 0, GROUP, strlen(GROUP), &u), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_user_resolve("app:app", PASSWD, strlen(PASSWD), NULL, 0, &u),
	    SP_ERR_NOT_FOUND);
	/* A prefix or a longer name is not the user. */
	assert_int_equal(resolve("ap", &u), SP_ERR_NOT_FOUND);
	assert_int_equal(resolve("appx", &u), SP_ERR_NOT_FOUND);
}

static void t_bad_spec(void **state)
{
	static const char *const bad[] = {
		"", ":", "app:", ":app", "a:b:c", "-1", "-app", "app name", "app\n", "4294967295",
		"4294967296", "99999999999", "1:4294967295", "app:-5", "app:gr oup", "/etc",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	sp_user u;
	size_t i;
	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		print_message("# spec %zu\n", i);
		assert_int_equal(resolve(bad[i], &u), SP_ERR_ARG);
		assert_non_null(u.reason);
	}
	assert_int_equal(sp_user_resolve(NULL, PASSWD, strlen(PASSWD), GROUP, strlen(GROUP), &u),
	    SP_ERR_ARG);
	assert_int_equal(sp_user_resolve("app", PASSWD, strlen(PASSWD), GROUP, strlen(GROUP), NULL),
	    SP_ERR_ARG);
}

static void t_malformed_match(void **state)
{
	static const struct {
		const char *line;
	} cases[] = {
		{ "svc:x:12a:1:svc:/:/bin/sh\n" },
		{ "svc:x:-5:1:svc:/:/bin/sh\n" },
		{ "svc:x:5:-1:svc:/:/bin/sh\n" },
		{ "svc:x:99999999999:1:svc:/:/bin/sh\n" },
		{ "svc:x:4294967295:1:svc:/:/bin/sh\n" },
		{ "svc:x::1:svc:/:/bin/sh\n" },
		{ "svc:x: 5:1:svc:/:/bin/sh\n" },
		{ "svc:x:5:1:svc:/\n" },
		{ "svc:x:5:1:svc:/:/bin/sh:more\n" },
		{ "svc\n" },
	};
	char pw[256];
	sp_user u;
	size_t i;
	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(pw, sizeof pw, "root:x:0:0::/:/bin/sh\n%s", cases[i].line);
		print_message("# line %s", cases[i].line);
		assert_int_equal(sp_user_resolve("svc", pw, strlen(pw), NULL, 0, &u), SP_ERR_PRIV);
		assert_int_equal(u.line, 2);
		assert_non_null(u.reason);
	}
	/* The same lines, unrelated to the user asked for, are ignored. */
	assert_int_equal(resolve("other", &u), SP_OK);
	assert_int_equal(resolve("broken", &u), SP_ERR_PRIV);
	assert_int_equal(u.line, 5);
	assert_int_equal(resolve("toomany", &u), SP_ERR_PRIV);
	/* A numeric lookup skips lines it cannot read as an entry. */
	assert_int_equal(resolve("5", &u), SP_ERR_NOT_FOUND);
	assert_int_equal(resolve("5:5", &u), SP_OK);
	assert_false(u.has_entry);
}

static void t_malformed_group(void **state)
{
	static const char gr[] =
		"bad:x:1x:\n"
		"worse:x:2\n"
		"neg:x:-3:app\n"
		"ok:x:9:\n";
	sp_user u;
	static const gid_t g[] = { 1000 };
	(void)state;
	assert_int_equal(sp_user_resolve("app:bad", PASSWD, strlen(PASSWD), gr, strlen(gr), &u), SP_ERR_PRIV);
	assert_int_equal(u.line, 1);
	assert_true(u.in_group_db);
	assert_int_equal(sp_user_resolve("app:worse", PASSWD, strlen(PASSWD), gr, strlen(gr), &u),
	    SP_ERR_PRIV);
	assert_int_equal(sp_user_resolve("app:ok", PASSWD, strlen(PASSWD), gr, strlen(gr), &u), SP_OK);
	assert_int_equal(u.gid, 9);
	/* A membership line that lists the user must have a valid gid. */
	assert_int_equal(sp_user_resolve("app", PASSWD, strlen(PASSWD), gr, strlen(gr), &u), SP_ERR_PRIV);
	assert_int_equal(u.line, 3);
	assert_int_equal(sp_user_resolve("other", PASSWD, strlen(PASSWD), gr, strlen(gr), &u), SP_OK);
	assert_int_equal(sp_user_resolve("app", PASSWD, strlen(PASSWD), gr, 20, &u), SP_OK);
	assert_groups(&u, g, 1);
}

static void t_duplicates(void **state)
{
	static const char pw[] = "svc:x:5:5::/a:/bin/sh\nsvc:x:6:6::/b:/bin/sh\n";
	static const char gr[] = "g:x:7:\ng:x:8:\n";
	sp_user u;
	(void)state;
	assert_int_equal(sp_user_resolve("svc", pw, strlen(pw), NULL, 0, &u), SP_ERR_DUPLICATE);
	assert_int_equal(u.line, 2);
	assert_int_equal(sp_user_resolve("5:g", pw, strlen(pw), gr, strlen(gr), &u), SP_ERR_DUPLICATE);
	assert_true(u.in_group_db);
	assert_int_equal(sp_user_resolve("5:7", pw, strlen(pw), gr, strlen(gr), &u), SP_OK);
}

static void t_membership_exact(void **state)
{
	static const char gr[] = "a:x:10:app\nb:x:11:x,app,y\nc:x:12:app2,xapp\nd:x:10:app\n";
	static const gid_t g[] = { 1000, 10, 11 };
	sp_user u;
	(void)state;
	assert_int_equal(sp_user_resolve("app", PASSWD, strlen(PASSWD), gr, strlen(gr), &u), SP_OK);
	assert_groups(&u, g, 3);
}

static void t_too_many_groups(void **state)
{
	size_t cap = (SP_USER_GROUPS_MAX + 2) * 32, len = 0, i;
	char *gr = malloc(cap);
	sp_user u;
	(void)state;
	assert_non_null(gr);
	for (i = 0; i < SP_USER_GROUPS_MAX; i++)
		len += (size_t)snprintf(gr + len, cap - len, "g%zu:x:%zu:app\n", i, 2000 + i);
	assert_int_equal(sp_user_resolve("app", PASSWD, strlen(PASSWD), gr, len, &u), SP_ERR_LIMIT);
	/* One fewer fits with the primary group. */
	len = 0;
	for (i = 0; i + 1 < SP_USER_GROUPS_MAX; i++)
		len += (size_t)snprintf(gr + len, cap - len, "g%zu:x:%zu:app\n", i, 2000 + i);
	assert_int_equal(sp_user_resolve("app", PASSWD, strlen(PASSWD), gr, len, &u), SP_OK);
	assert_int_equal(u.n_groups, SP_USER_GROUPS_MAX);
	free(gr);
}

static void t_overlong_lines(void **state)
{
	size_t n = SP_USER_LINE_MAX + 100;
	char *pw = malloc(n + 200);
	sp_user u;
	(void)state;
	assert_non_null(pw);
	/* An unrelated overlong line is skipped. */
	memset(pw, 'z', n);
	memcpy(pw + n, "\napp:x:1000:1000::/h:/bin/sh\n", 30);
	assert_int_equal(sp_user_resolve("app", pw, n + 29, NULL, 0, &u), SP_OK);
	assert_int_equal(u.uid, 1000);
	/* One that names the user is refused. */
	memcpy(pw, "svc:x:5:5::/", 12);
	assert_int_equal(sp_user_resolve("svc", pw, n + 29, NULL, 0, &u), SP_ERR_PRIV);
	assert_int_equal(u.line, 1);
	free(pw);
}

static void t_embedded_nul(void **state)
{
	static const char pw[] = "svc:x:5:5::/ho\0me:/bin/sh\nx\0y:x:6:6::/:/bin/sh\n";
	sp_user u;
	(void)state;
	assert_int_equal(sp_user_resolve("svc", pw, sizeof pw - 1, NULL, 0, &u), SP_ERR_PRIV);
	assert_int_equal(sp_user_resolve("x", pw, sizeof pw - 1, NULL, 0, &u), SP_ERR_NOT_FOUND);
	assert_int_equal(sp_user_resolve("6", pw, sizeof pw - 1, NULL, 0, &u), SP_ERR_PRIV);
}

static void t_read_db(void **state)
{
	char path[] = "/tmp/sptest-user.XXXXXX";
	char *text;
	size_t len;
	struct stat st;
	int fd;
	(void)state;
	assert_int_equal(sp_user_read_db("/nonexistent/passwd", &text, &len, &st), SP_OK);
	assert_null(text);
	assert_int_equal(len, 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode, 0);
	assert_int_equal(sp_user_read_db("/", &text, &len, NULL), SP_ERR_UNSAFE_PATH);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, PASSWD, strlen(PASSWD)), (ssize_t)strlen(PASSWD));
	assert_int_equal(sp_user_read_db(path, &text, &len, NULL), SP_OK);
	assert_int_equal(len, strlen(PASSWD));
	assert_memory_equal(text, PASSWD, len);
	assert_int_equal(text[len], '\0');
	free(text);
	/* The stat is the descriptor's: owner and mode of what was read. */
	assert_int_equal(fchmod(fd, 0664), 0);
	assert_int_equal(sp_user_read_db(path, &text, &len, &st), SP_OK);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0664);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal((size_t)st.st_size, strlen(PASSWD));
	free(text);
	assert_int_equal(ftruncate(fd, SP_USER_DB_MAX + 1), 0);
	assert_int_equal(sp_user_read_db(path, &text, &len, NULL), SP_ERR_LIMIT);
	assert_null(text);
	assert_int_equal(ftruncate(fd, SP_USER_DB_MAX), 0);
	assert_int_equal(sp_user_read_db(path, &text, &len, NULL), SP_OK);
	assert_int_equal(len, SP_USER_DB_MAX);
	free(text);
	close(fd);
	unlink(path);
}

static void t_db_writable(void **state)
{
	static const struct {
		uid_t uid;
		mode_t mode;
		int writable;
	} cases[] = {
		{ 0, 0644, 0 }, { 0, 0444, 0 }, { 0, 0600, 0 }, { 0, 0664, 1 }, { 0, 0646, 1 },
		{ 0, 0666, 1 }, { 1000, 0644, 1 }, { 1000, 0444, 1 }, { 0, 0674, 1 },
	};
	struct stat st;
	size_t i;
	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&st, 0, sizeof st);
		st.st_uid = cases[i].uid;
		st.st_mode = S_IFREG | cases[i].mode;
		print_message("# uid %u mode %o\n", (unsigned)cases[i].uid, (unsigned)cases[i].mode);
		assert_int_equal(sp_user_db_writable(&st), cases[i].writable);
	}
}

/* A user with the calling process's own uid and gid, and the given groups. */
static void self_user(sp_user *u, const gid_t *groups, size_t n)
{
	size_t i;
	memset(u, 0, sizeof *u);
	u->uid = getuid();
	u->gid = getgid();
	u->groups[0] = u->gid;
	u->n_groups = 1;
	for (i = 0; i < n; i++)
		if (groups[i] != u->gid)
			u->groups[u->n_groups++] = groups[i];
}

static void t_compare_self(void **state)
{
	gid_t list[SP_USER_GROUPS_MAX + 4];
	sp_user u;
	sp_user_self self;
	int n = getgroups(SP_USER_GROUPS_MAX, list);
	(void)state;
	assert_true(n >= 0);
	/* Exactly the process's credentials. */
	self_user(&u, list, (size_t)n);
	assert_int_equal(sp_user_compare_self(&u, &self), SP_OK);
	assert_true(self.uid_ok && self.gid_ok);
	assert_int_equal(self.n_extra, 0);
	assert_int_equal(self.n_missing, 0);
	/* The user has two groups more: a subset is fine, and they are named. */
	list[n] = 54321;
	list[n + 1] = 54322;
	self_user(&u, list, (size_t)n + 2);
	assert_int_equal(sp_user_compare_self(&u, &self), SP_OK);
	assert_int_equal(self.n_missing, 2);
	assert_int_equal(self.missing[0], 54321);
	assert_int_equal(self.missing[1], 54322);
	/* Another uid or gid is not the process. */
	self_user(&u, list, (size_t)n);
	u.uid = getuid() + 1;
	assert_int_equal(sp_user_compare_self(&u, &self), SP_ERR_PRIV);
	assert_false(self.uid_ok);
	assert_true(self.gid_ok);
	self_user(&u, list, (size_t)n);
	u.gid = u.groups[0] = getgid() + 1;
	assert_int_equal(sp_user_compare_self(&u, &self), SP_ERR_PRIV);
	assert_true(self.uid_ok);
	assert_false(self.gid_ok);
	/* Groups the process has and the user has not: they could not be dropped. */
	{
		size_t i, want = 0;
		self_user(&u, NULL, 0);
		for (i = 0; i < (size_t)n; i++)
			want += list[i] != getgid();
		assert_int_equal(sp_user_compare_self(&u, &self), want ? SP_ERR_PRIV : SP_OK);
		assert_int_equal(self.n_extra > 0, want > 0);
		for (i = 0; i < self.n_extra; i++)
			assert_int_not_equal(self.extra[i], getgid());
	}
}

static void t_caps_effective(void **state)
{
	uint64_t eff = 1;
	char v[32];
	(void)state;
	assert_int_equal(sp_user_caps_effective(&eff), SP_OK);
	/* The same set /proc reports. */
	{
		FILE *f = fopen("/proc/self/status", "re");
		char line[256];
		unsigned long long want = ~0ull;
		assert_non_null(f);
		while (fgets(line, sizeof line, f) != NULL)
			if (sscanf(line, "CapEff: %31s", v) == 1)
				want = strtoull(v, NULL, 16);
		fclose(f);
		assert_int_equal(eff, want);
	}
}

/* The value of a "Key:" line of /proc/self/status, as text. */
static int status_field(const char *key, char *out, size_t cap)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	size_t klen = strlen(key);
	int found = 0;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			char *v = line + klen + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, cap, "%s", v);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static int status_is(const char *key, const char *want)
{
	char v[128];
	return status_field(key, v, sizeof v) && strcmp(v, want) == 0;
}

/* Runs fn in a child; the child's exit code is the number of the first failed check. */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static const char DROP_PW[] = "nobody:x:65534:65534::/nonexistent:/bin/false\n";
static const char DROP_GR[] = "nogroup:x:65534:\nextra:x:1500:nobody\n";

static int drop_nobody(int allow)
{
	sp_user u;
	if (sp_user_resolve("nobody", DROP_PW, strlen(DROP_PW), DROP_GR, strlen(DROP_GR), &u) != SP_OK)
		return 10;
	if (sp_user_drop(&u, allow) != SP_OK)
		return 11;
	return 0;
}

static int child_drop(void)
{
	uid_t r, e, s;
	gid_t rg, eg, sg, list[8];
	int n, rc = drop_nobody(0);
	if (rc != 0)
		return rc;
	if (getresuid(&r, &e, &s) != 0 || r != 65534 || e != 65534 || s != 65534)
		return 2;
	if (getresgid(&rg, &eg, &sg) != 0 || rg != 65534 || eg != 65534 || sg != 65534)
		return 3;
	n = getgroups(8, list);
	if (n != 2 || !((list[0] == 65534 && list[1] == 1500) || (list[0] == 1500 && list[1] == 65534)))
		return 4;
	if (setuid(0) == 0 || setgid(0) == 0 || seteuid(0) == 0)
		return 5;
	if (!status_is("CapEff", "0000000000000000") || !status_is("CapPrm", "0000000000000000"))
		return 6;
	if (!status_is("CapAmb", "0000000000000000") || !status_is("CapInh", "0000000000000000"))
		return 7;
	if (!status_is("NoNewPrivs", "1"))
		return 8;
	return 0;
}

static void t_drop(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_drop), 0);
}

static int child_drop_allow(void)
{
	int rc = drop_nobody(1);
	if (rc != 0)
		return rc;
	if (!status_is("NoNewPrivs", "0"))
		return 2;
	if (!status_is("CapEff", "0000000000000000"))
		return 3;
	return 0;
}

static void t_drop_allow_new_privs(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_drop_allow), 0);
}

/* Once dropped: the same user again only verifies; another user is refused. */
static int child_drop_twice(void)
{
	sp_user u;
	int rc = drop_nobody(0);
	if (rc != 0)
		return rc;
	if (drop_nobody(0) != 0)
		return 2;
	if (sp_user_resolve("1000:1000", NULL, 0, NULL, 0, &u) != SP_OK)
		return 3;
	if (sp_user_drop(&u, 0) != SP_ERR_PRIV)
		return 4;
	if (getuid() != 65534)
		return 5;
	return 0;
}

static void t_drop_twice(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_drop_twice), 0);
}

/* Dropping to root is possible when asked for; no capability check then. */
static int child_drop_root(void)
{
	sp_user u;
	if (sp_user_resolve("0:0", NULL, 0, NULL, 0, &u) != SP_OK)
		return 1;
	if (sp_user_drop(&u, 0) != SP_OK)
		return 2;
	if (getuid() != 0 || !status_is("NoNewPrivs", "1"))
		return 3;
	return 0;
}

static void t_drop_root(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_drop_root), 0);
}

/* Credentials of the process as "ruid euid suid/rgid egid sgid/sorted groups" must equal want. */
static int creds_equal(uid_t uid, gid_t gid, const gid_t *groups, int n)
{
	uid_t r, e, s;
	gid_t rg, eg, sg, list[16];
	int got, i, j;
	if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid)
		return 0;
	if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid)
		return 0;
	got = getgroups(16, list);
	if (got != n)
		return 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < got && list[j] != groups[i]; j++)
			;
		if (j == got)
			return 0;
	}
	return 1;
}

/* Root cannot come back: no setuid(0), no setgroups, no capabilities, no_new_privs. */
static int locked_out(void)
{
	gid_t none[1] = { 0 };
	if (setuid(0) == 0 || seteuid(0) == 0 || setgroups(1, none) == 0)
		return 0;
	return status_is("CapEff", "0000000000000000") && status_is("CapPrm", "0000000000000000") &&
	    status_is("CapAmb", "0000000000000000") && status_is("NoNewPrivs", "1");
}

static int drop_spec(const char *spec)
{
	sp_user u;
	if (resolve(spec, &u) != SP_OK)
		return 10;
	return sp_user_drop(&u, 0) == SP_OK ? 0 : 11;
}

/* The old check took "setgid to the gid I already have" for regaining root: gid 0 targets. */
static int child_drop_1000_0(void)
{
	static const gid_t g[] = { 0 };
	int rc = drop_spec("1000:0");
	if (rc != 0)
		return rc;
	if (!creds_equal(1000, 0, g, 1))
		return 2;
	return locked_out() ? 0 : 3;
}

static int child_drop_nobody_root(void)
{
	static const gid_t g[] = { 0 };
	int rc = drop_spec("nobody:root");
	if (rc != 0)
		return rc;
	if (!creds_equal(65534, 0, g, 1))
		return 2;
	return locked_out() ? 0 : 3;
}

/* OpenShift: a passwd user whose primary gid is 0, with a supplementary group. */
static int child_drop_openshift(void)
{
	static const char pw[] = "os:x:1001:0:openshift:/home/os:/bin/sh\n";
	static const char gr[] = "root:x:0:\nextra:x:1500:os\n";
	static const gid_t g[] = { 0, 1500 };
	sp_user u;
	if (sp_user_resolve("os", pw, strlen(pw), gr, strlen(gr), &u) != SP_OK)
		return 10;
	if (sp_user_drop(&u, 0) != SP_OK)
		return 11;
	if (!creds_equal(1001, 0, g, 2))
		return 2;
	if (setgid(1500) == 0)
		return 4; /* a supplementary group is not a gid it may take */
	return locked_out() ? 0 : 3;
}

static void t_drop_gid_zero(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_drop_1000_0), 0);
	assert_int_equal(in_child(child_drop_nobody_root), 0);
	assert_int_equal(in_child(child_drop_openshift), 0);
}

/* An unprivileged process playing uid/gid with the given group list (setpriv --clear-groups). */
static int become(uid_t uid, gid_t gid, const gid_t *groups, size_t n)
{
	return setgroups(n, groups) == 0 && setresgid(gid, gid, gid) == 0 &&
	    setresuid(uid, uid, uid) == 0;
}

/* No groups at all (runc leaves the primary gid out; --clear-groups): verified, accepted. */
static int child_self_no_groups(void)
{
	if (!become(1001, 1001, NULL, 0))
		return 1;
	if (drop_spec("other") != 0)
		return 2;
	if (!creds_equal(1001, 1001, NULL, 0))
		return 3;
	return locked_out() ? 0 : 4;
}

/* Some of the user's groups, not the primary one (runc for USER app). */
static int child_self_subset(void)
{
	static const gid_t g[] = { 1600 };
	if (!become(1001, 1001, g, 1))
		return 1;
	if (drop_spec("other") != 0)
		return 2;
	if (!creds_equal(1001, 1001, g, 1))
		return 3;
	return locked_out() ? 0 : 4;
}

/* A group the user does not have cannot be dropped without root: refused. */
static int child_self_extra(void)
{
	static const gid_t g[] = { 1500, 1700 };
	sp_user u;
	sp_user_self self;
	if (!become(1001, 1001, g, 2))
		return 1;
	if (resolve("other", &u) != SP_OK)
		return 2;
	if (sp_user_compare_self(&u, &self) != SP_ERR_PRIV || self.n_extra != 1 || self.extra[0] != 1700)
		return 3;
	if (sp_user_drop(&u, 0) != SP_ERR_PRIV)
		return 4;
	return 0;
}

/* Another gid than the user's: refused (an unprivileged process cannot change it). */
static int child_self_other_gid(void)
{
	sp_user u;
	sp_user_self self;
	if (!become(1001, 1500, NULL, 0))
		return 1;
	if (resolve("other", &u) != SP_OK)
		return 2;
	if (sp_user_compare_self(&u, &self) != SP_ERR_PRIV || !self.uid_ok || self.gid_ok)
		return 3;
	if (sp_user_drop(&u, 0) != SP_ERR_PRIV)
		return 4;
	return 0;
}

static void t_drop_self(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_self_no_groups), 0);
	assert_int_equal(in_child(child_self_subset), 0);
	assert_int_equal(in_child(child_self_extra), 0);
	assert_int_equal(in_child(child_self_other_gid), 0);
}

/* Capabilities kept across the uid change (PR_SET_KEEPCAPS) are found and refused. */
static int child_keepcaps(void)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		return 1;
	if (drop_spec("nobody") != 11)
		return 2;
	return status_is("CapPrm", "0000000000000000") ? 3 : 0;
}

static void t_drop_keepcaps(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_keepcaps), 0);
}

static void t_drop_bad_args(void **state)
{
	sp_user u;
	(void)state;
	assert_int_equal(sp_user_drop(NULL, 0), SP_ERR_ARG);
	memset(&u, 0, sizeof u);
	u.uid = 65534;
	u.gid = 65534;
	assert_int_equal(sp_user_drop(&u, 0), SP_ERR_ARG); /* no group */
	u.n_groups = 1;
	u.groups[0] = 1;
	assert_int_equal(sp_user_drop(&u, 0), SP_ERR_ARG); /* primary not first */
	assert_int_equal(getuid(), geteuid());
}

static int raise_ambient(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	d[0].inheritable |= 1u << CAP_NET_RAW;
	if (syscall(SYS_capset, &h, d) != 0)
		return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0);
}

static int child_lockdown(void)
{
	if (raise_ambient() != 0)
		return 1;
	if (status_is("CapAmb", "0000000000000000"))
		return 2;
	if (sp_user_lockdown(0) != SP_OK)
		return 3;
	if (!status_is("CapAmb", "0000000000000000") || !status_is("CapInh", "0000000000000000"))
		return 4;
	if (!status_is("NoNewPrivs", "1") || getuid() != 0)
		return 5;
	return 0;
}

static void t_lockdown(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_lockdown), 0);
}

static int child_limit(void)
{
	if (sp_user_limit_caps(1ull << CAP_KILL) != SP_OK)
		return 1;
	if (!status_is("CapEff", "0000000000000020") || !status_is("CapPrm", "0000000000000020"))
		return 2;
	/* Gone for good: it cannot be raised again. */
	if (sp_user_limit_caps(~0ull) != SP_OK || !status_is("CapPrm", "0000000000000020"))
		return 3;
	if (setuid(12345) == 0)
		return 4; /* CAP_SETUID is gone */
	return 0;
}

static void t_limit_caps(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(child_limit), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_name),
		cmocka_unit_test(t_name_group),
		cmocka_unit_test(t_uid_with_entry),
		cmocka_unit_test(t_uid_gid),
		cmocka_unit_test(t_uid_without_entry),
		cmocka_unit_test(t_root_explicit),
		cmocka_unit_test(t_root_alias),
		cmocka_unit_test(t_gid_zero),
		cmocka_unit_test(t_empty_home),
		cmocka_unit_test(t_not_found),
		cmocka_unit_test(t_bad_spec),
		cmocka_unit_test(t_malformed_match),
		cmocka_unit_test(t_malformed_group),
		cmocka_unit_test(t_duplicates),
		cmocka_unit_test(t_membership_exact),
		cmocka_unit_test(t_too_many_groups),
		cmocka_unit_test(t_overlong_lines),
		cmocka_unit_test(t_embedded_nul),
		cmocka_unit_test(t_read_db),
		cmocka_unit_test(t_db_writable),
		cmocka_unit_test(t_compare_self),
		cmocka_unit_test(t_caps_effective),
		cmocka_unit_test(t_drop),
		cmocka_unit_test(t_drop_allow_new_privs),
		cmocka_unit_test(t_drop_twice),
		cmocka_unit_test(t_drop_root),
		cmocka_unit_test(t_drop_gid_zero),
		cmocka_unit_test(t_drop_self),
		cmocka_unit_test(t_drop_keepcaps),
		cmocka_unit_test(t_drop_bad_args),
		cmocka_unit_test(t_lockdown),
		cmocka_unit_test(t_limit_caps),
	};
	return cmocka_run_group_tests_name("user", tests, NULL, NULL);
}
