/* sp_user.c - resolves USER[:GROUP] from passwd/group text and drops privileges, verified. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sp_err.h"
#include "sp_user.h"

#define ID_MAX 4294967294u /* (uid_t)-1 means "unchanged" to the kernel: never a real id */
#define PW_FIELDS 7
#define GR_FIELDS 4

typedef struct {
	const char *p;
	size_t len;
} span;

static int span_eq(span s, const char *str)
{
	return s.len == strlen(str) && memcmp(s.p, str, s.len) == 0;
}

/* Decimal id, no sign, no leading junk, not (id_t)-1. */
static int parse_id(span s, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0 || s.len > 10)
		return 0;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > ID_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

static int all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Portable user and group names: [A-Za-z0-9._-], not starting with '-'. */
static int name_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > SP_USER_NAME_MAX || s[0] == '-')
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

/* Next line of text from *pos; 0 at the end. */
static int next_line(const char *text, size_t len, size_t *pos, span *line)
{
	const char *nl;

	if (text == NULL || *pos >= len)
		return 0;
	line->p = text + *pos;
	nl = memchr(line->p, '\n', len - *pos);
	line->len = nl ? (size_t)(nl - line->p) : len - *pos;
	*pos += line->len + (nl ? 1 : 0);
	return 1;
}

/* Splits on ':' into at most max fields; returns the real number of fields. */
static size_t split(span line, char sep, span *f, size_t max)
{
	size_t n = 0;
	const char *p = line.p, *end = line.p + line.len;

	for (;;) {
		const char *c = memchr(p, sep, (size_t)(end - p));
		const char *stop = c ? c : end;
		if (n < max) {
			f[n].p = p;
			f[n].len = (size_t)(stop - p);
		}
		n++;
		if (c == NULL)
			return n;
		p = c + 1;
	}
}

static int fail(sp_user *u, int err, const char *reason, size_t line, int in_group)
{
	u->reason = reason;
	u->line = line;
	u->in_group_db = in_group;
	return err;
}

static int copy_span(char *dst, size_t cap, span s)
{
	if (s.len >= cap)
		return 0;
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 1;
}

static int add_group(sp_user *u, gid_t g)
{
	size_t i;

	for (i = 0; i < u->n_groups; i++)
		if (u->groups[i] == g)
			return SP_OK;
	if (u->n_groups == SP_USER_GROUPS_MAX)
		return SP_ERR_LIMIT;
	u->groups[u->n_groups++] = g;
	return SP_OK;
}

/* Strict parse of the passwd line that names the user. */
static int take_passwd(sp_user *u, span line, size_t lineno)
{
	span f[PW_FIELDS];
	uint32_t uid, gid;

	if (line.len > SP_USER_LINE_MAX || split(line, ':', f, PW_FIELDS) != PW_FIELDS)
		return fail(u, SP_ERR_PRIV, "malformed entry (expected 7 fields)", lineno, 0);
	if (!parse_id(f[2], &uid) || !parse_id(f[3], &gid))
		return fail(u, SP_ERR_PRIV, "malformed entry (bad uid or gid)", lineno, 0);
	if (f[0].len == 0 || !copy_span(u->name, sizeof u->name, f[0]) || memchr(f[0].p, '\0', f[0].len))
		return fail(u, SP_ERR_PRIV, "malformed entry (bad name)", lineno, 0);
	if (f[5].len == 0)
		strcpy(u->home, "/");
	else if (!copy_span(u->home, sizeof u->home, f[5]) || memchr(f[5].p, '\0', f[5].len))
		return fail(u, SP_ERR_PRIV, "malformed entry (bad home directory)", lineno, 0);
	u->uid = uid;
	u->gid = gid;
	u->has_entry = 1;
	u->entry_line = lineno;
	return SP_OK;
}

static void first_field(span line, span *name)
{
	const char *c = memchr(line.p, ':', line.len);

	name->p = line.p;
	name->len = c ? (size_t)(c - line.p) : line.len;
}

static int passwd_by_name(sp_user *u, const char *pw, size_t pw_len, const char *name)
{
	size_t pos = 0, lineno = 0, found = 0;
	span line, first;
	int err;

	while (next_line(pw, pw_len, &pos, &line)) {
		lineno++;
		first_field(line, &first);
		if (!span_eq(first, name))
			continue;
		if (++found > 1)
			return fail(u, SP_ERR_DUPLICATE, "listed more than once: ambiguous, refusing", lineno, 0);
		err = take_passwd(u, line, lineno);
		if (err != SP_OK)
			return err;
	}
	if (!found)
		return fail(u, SP_ERR_NOT_FOUND, "no such user", 0, 0);
	return SP_OK;
}

/* First entry with that uid; unrelated malformed lines are skipped. 0 if none. */
static int passwd_by_uid(sp_user *u, const char *pw, size_t pw_len, uint32_t uid)
{
	size_t pos = 0, lineno = 0;
	span line, f[PW_FIELDS];
	uint32_t v;

	while (next_line(pw, pw_len, &pos, &line)) {
		lineno++;
		if (line.len > SP_USER_LINE_MAX || split(line, ':', f, PW_FIELDS) != PW_FIELDS)
			continue;
		if (!parse_id(f[2], &v) || v != uid)
			continue;
		return take_passwd(u, line, lineno) == SP_OK ? 1 : -1;
	}
	return 0;
}

static int group_by_name(sp_user *u, const char *gr, size_t gr_len, const char *name, gid_t *gid)
{
	size_t pos = 0, lineno = 0, found = 0;
	span line, first, f[GR_FIELDS];
	uint32_t v = 0;

	while (next_line(gr, gr_len, &pos, &line)) {
		lineno++;
		first_field(line, &first);
		if (!span_eq(first, name))
			continue;
		if (++found > 1)
			return fail(u, SP_ERR_DUPLICATE, "listed more than once: ambiguous, refusing", lineno, 1);
		if (line.len > SP_USER_LINE_MAX || split(line, ':', f, GR_FIELDS) != GR_FIELDS)
			return fail(u, SP_ERR_PRIV, "malformed entry (expected 4 fields)", lineno, 1);
		if (!parse_id(f[2], &v))
			return fail(u, SP_ERR_PRIV, "malformed entry (bad gid)", lineno, 1);
	}
	if (!found)
		return fail(u, SP_ERR_NOT_FOUND, "no such group", 0, 1);
	*gid = (gid_t)v;
	return SP_OK;
}

/* 1 if the comma-separated member list holds name exactly. */
static int lists(span members, const char *name)
{
	const char *p = members.p, *end = members.p + members.len;

	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		span s = { p, (size_t)((c ? c : end) - p) };
		if (span_eq(s, name))
			return 1;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

/* Every group whose member list names the user. */
static int memberships(sp_user *u, const char *gr, size_t gr_len)
{
	size_t pos = 0, lineno = 0;
	span line, f[GR_FIELDS];
	uint32_t v;

	while (next_line(gr, gr_len, &pos, &line)) {
		lineno++;
		if (line.len > SP_USER_LINE_MAX || split(line, ':', f, GR_FIELDS) != GR_FIELDS)
			continue;
		if (!lists(f[3], u->name))
			continue;
		if (!parse_id(f[2], &v))
			return fail(u, SP_ERR_PRIV, "malformed entry (bad gid)", lineno, 1);
		if (add_group(u, (gid_t)v) != SP_OK)
			return fail(u, SP_ERR_LIMIT, "member of too many groups", lineno, 1);
	}
	return SP_OK;
}

static int split_spec(const char *spec, char *user, char *group, int *has_group)
{
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);

	if (ulen == 0 || ulen > SP_USER_NAME_MAX)
		return 0;
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	*has_group = colon != NULL;
	group[0] = '\0';
	if (colon == NULL)
		return 1;
	if (strchr(colon + 1, ':') != NULL || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) > SP_USER_NAME_MAX)
		return 0;
	strcpy(group, colon + 1);
	return 1;
}

static int resolve_user(sp_user *u, const char *user, int has_group, const char *pw, size_t pw_len)
{
	uint32_t id;
	int r;

	if (!all_digits(user)) {
		if (!name_ok(user))
			return fail(u, SP_ERR_ARG, "bad user name", 0, 0);
		return passwd_by_name(u, pw, pw_len, user);
	}
	if (!parse_id((span){ user, strlen(user) }, &id))
		return fail(u, SP_ERR_ARG, "uid out of range", 0, 0);
	r = passwd_by_uid(u, pw, pw_len, id);
	if (r < 0)
		return SP_ERR_PRIV;
	if (r == 0) {
		if (!has_group)
			return fail(u, SP_ERR_NOT_FOUND,
			    "no such uid, and no group given (UID:GID)", 0, 0);
		u->uid = (uid_t)id;
		strcpy(u->home, "/");
	}
	return SP_OK;
}

static int resolve_group(sp_user *u, const char *group, const char *gr, size_t gr_len)
{
	uint32_t id;
	gid_t g;
	int err;

	if (all_digits(group)) {
		if (!parse_id((span){ group, strlen(group) }, &id))
			return fail(u, SP_ERR_ARG, "gid out of range", 0, 1);
		u->gid = (gid_t)id;
		return SP_OK;
	}
	if (!name_ok(group))
		return fail(u, SP_ERR_ARG, "bad group name", 0, 1);
	err = group_by_name(u, gr, gr_len, group, &g);
	if (err == SP_OK)
		u->gid = g;
	return err;
}

int sp_user_resolve(const char *spec, const char *passwd, size_t passwd_len, const char *group,
    size_t group_len, sp_user *out)
{
	char uname[SP_USER_NAME_MAX + 1], gname[SP_USER_NAME_MAX + 1];
	int has_group, err;

	if (out == NULL)
		return SP_ERR_ARG;
	memset(out, 0, sizeof *out);
	if (spec == NULL || !split_spec(spec, uname, gname, &has_group))
		return fail(out, SP_ERR_ARG, "expected USER, USER:GROUP, UID or UID:GID", 0, 0);
	if (passwd == NULL)
		passwd_len = 0;
	if (group == NULL)
		group_len = 0;
	err = resolve_user(out, uname, has_group, passwd, passwd_len);
	/* Root only when asked for by name: a passwd line the app could rewrite must not make
	 * "app" (or "00") root at the next start. */
	if (err == SP_OK && out->uid == 0 && strcmp(uname, "root") != 0 && strcmp(uname, "0") != 0) {
		out->root_alias = 1;
		return fail(out, SP_ERR_PRIV, "resolves to uid 0, and only 'root' or '0' may name root: "
		    "restore its /etc/passwd line, or name root", out->entry_line, 0);
	}
	if (err == SP_OK && has_group)
		err = resolve_group(out, gname, group, group_len);
	if (err != SP_OK)
		return err;
	out->explicit_group = has_group;
	out->n_groups = 0;
	(void)add_group(out, out->gid);
	if (!has_group && out->has_entry)
		err = memberships(out, group, group_len);
	return err;
}

int sp_user_read_db(const char *path, char **text, size_t *len, struct stat *stp)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0, cap;
	int fd, err = SP_OK;

	*text = NULL;
	*len = 0;
	if (stp != NULL)
		memset(stp, 0, sizeof *stp);
	/* O_NONBLOCK: a FIFO planted as the file must be refused below, not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? SP_OK : SP_ERR_IO;
	if (fstat(fd, &st) != 0) {
		err = SP_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = SP_ERR_UNSAFE_PATH;
		goto out;
	}
	if (stp != NULL)
		*stp = st;
	if ((uint64_t)st.st_size > SP_USER_DB_MAX) {
		err = SP_ERR_LIMIT;
		goto out;
	}
	/* Sized by fstat (a file that grows meanwhile gets more room, up to the cap): a few KiB from
	 * the heap, not a 4 MiB mapping for every read. One byte over the size sees the end. */
	cap = st.st_size < 4095 ? 4096 : (size_t)st.st_size + 1;
	for (;;) {
		ssize_t r;
		if (got == cap) {
			char *more;
			if (cap > SP_USER_DB_MAX) {
				err = SP_ERR_LIMIT;
				goto out;
			}
			cap = cap * 2 > SP_USER_DB_MAX + 1 ? SP_USER_DB_MAX + 1 : cap * 2;
			if ((more = realloc(buf, cap + 1)) == NULL) {
				err = SP_ERR_NOMEM;
				goto out;
			}
			buf = more;
		} else if (buf == NULL && (buf = malloc(cap + 1)) == NULL) {
			err = SP_ERR_NOMEM;
			goto out;
		}
		r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = SP_ERR_IO;
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > SP_USER_DB_MAX) {
			err = SP_ERR_LIMIT;
			goto out;
		}
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

int sp_user_db_writable(const struct stat *st)
{
	return st->st_uid != 0 || (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(d, 0, 2 * sizeof d[0]);
	return syscall(SYS_capget, &h, d) == 0 ? SP_OK : SP_ERR_PRIV;
}

static int caps_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capset, &h, d) == 0 ? SP_OK : SP_ERR_PRIV;
}

int sp_user_limit_caps(uint64_t mask)
{
	struct __user_cap_data_struct d[2];
	int i, err = caps_get(d);

	if (err != SP_OK)
		return err;
	for (i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(mask >> (32 * i));
		d[i].effective &= m;
		d[i].permitted &= m;
		d[i].inheritable = 0;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return SP_ERR_PRIV;
	return caps_set(d);
}

int sp_user_lockdown(int allow_new_privs)
{
	struct __user_cap_data_struct d[2];
	int err;

	/* EINVAL: a kernel without ambient capabilities has none to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return SP_ERR_PRIV;
	err = caps_get(d);
	if (err != SP_OK)
		return err;
	if (d[0].inheritable != 0 || d[1].inheritable != 0) {
		d[0].inheritable = d[1].inheritable = 0;
		err = caps_set(d);
		if (err != SP_OK)
			return err;
	}
	if (!allow_new_privs) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			return SP_ERR_PRIV;
	}
	return SP_OK;
}

int sp_user_caps_effective(uint64_t *eff)
{
	struct __user_cap_data_struct d[2];
	int err = caps_get(d);

	*eff = err == SP_OK ? (uint64_t)d[0].effective | (uint64_t)d[1].effective << 32 : 0;
	return err;
}

static int in_set(gid_t g, const gid_t *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == g)
			return 1;
	return 0;
}

int sp_user_compare_self(const sp_user *u, sp_user_self *out)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	gid_t list[SP_USER_GROUPS_MAX];
	int n, i;
	size_t k;

	memset(out, 0, sizeof *out);
	if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return SP_ERR_IO;
	/* More groups than u can have: at least one of them is not u's. */
	n = getgroups(SP_USER_GROUPS_MAX, list);
	if (n < 0 && errno != EINVAL)
		return SP_ERR_IO;
	out->uid_ok = r == u->uid && e == u->uid && s == u->uid;
	out->gid_ok = rg == u->gid && eg == u->gid && sg == u->gid;
	if (n < 0) {
		out->n_extra = 1;
		out->extra[0] = (gid_t)-1;
		n = 0;
	}
	for (i = 0; i < n; i++)
		if (!in_set(list[i], u->groups, u->n_groups) && list[i] != u->gid &&
		    !in_set(list[i], out->extra, out->n_extra))
			out->extra[out->n_extra++] = list[i];
	for (k = 0; k < u->n_groups; k++)
		if (u->groups[k] != u->gid && !in_set(u->groups[k], list, (size_t)n))
			out->missing[out->n_missing++] = u->groups[k];
	return out->uid_ok && out->gid_ok && out->n_extra == 0 ? SP_OK : SP_ERR_PRIV;
}

/* 1 if the process has exactly u's uid, gid and groups (its list may leave out u->gid). */
static int creds_are(const sp_user *u)
{
	sp_user_self self;

	return sp_user_compare_self(u, &self) == SP_OK && self.n_missing == 0;
}

/* Empty effective, permitted and inheritable sets. The ambient set needs no probe of its own (64
 * prctl calls): the kernel keeps it within permitted and inheritable (capabilities(7)), so with
 * both empty it is empty too. */
static int no_caps_left(void)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d) != SP_OK)
		return 0;
	return (d[0].effective | d[1].effective | d[0].permitted | d[1].permitted | d[0].inheritable |
	    d[1].inheritable) == 0;
}

/* Root is out of reach: each way back must fail. If one works, we hold it again: refuse. */
static int cannot_regain_root(const sp_user *u)
{
	gid_t list[SP_USER_GROUPS_MAX];
	int n;

	if (setuid(0) == 0 || seteuid(0) == 0)
		return 0;
	/* The same list again: a success changes nothing, and proves CAP_SETGID is still held. */
	n = getgroups(SP_USER_GROUPS_MAX, list);
	if (n < 0 || setgroups((size_t)n, list) == 0)
		return 0;
	/* With gid 0 as the target, setgid(0) only sets what the process already has. */
	if (u->gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
		return 0;
	return 1;
}

int sp_user_drop(const sp_user *u, int allow_new_privs)
{
	sp_user_self self;
	int already, err;

	if (u == NULL || u->n_groups == 0 || u->groups[0] != u->gid)
		return SP_ERR_ARG;
	/* Unprivileged and already u (within u's groups): nothing to change, nothing it could. */
	already = geteuid() != 0 && sp_user_compare_self(u, &self) == SP_OK;
	if (!already && !creds_are(u)) {
		if (setgroups(u->n_groups, u->groups) != 0)
			return SP_ERR_PRIV;
		if (setresgid(u->gid, u->gid, u->gid) != 0)
			return SP_ERR_PRIV;
		if (setresuid(u->uid, u->uid, u->uid) != 0)
			return SP_ERR_PRIV;
		if (!creds_are(u))
			return SP_ERR_PRIV;
	}
	if (u->uid != 0 && !cannot_regain_root(u))
		return SP_ERR_PRIV;
	err = sp_user_lockdown(allow_new_privs);
	if (err != SP_OK)
		return err;
	if (u->uid != 0 && !no_caps_left())
		return SP_ERR_PRIV;
	return SP_OK;
}
