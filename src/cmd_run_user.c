/* cmd_run_user.c - `secretpack run`: the target user, resolved from the image's passwd and group. */
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sp_err.h"
#include "run.h"

/* ---- users ---- */

/* " (the file is writable by ...)" when someone but root may write it, else "". */
static const char *writable_note(const struct stat *st, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (sp_user_db_writable(st))
		(void)snprintf(buf, cap, " (and the file is writable by others than root: owner uid %u, "
		    "mode %04o)", (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777));
	return buf;
}

static int fail_user(const char *spec, const sp_user *u, int err, const struct stat *pw_st)
{
	const char *db = u->in_group_db ? "/etc/group" : "/etc/passwd";
	const char *why = u->reason ? u->reason : sp_err_str(err);
	char note[128];

	if (err == SP_ERR_NOT_FOUND && !u->in_group_db && strchr(spec, ':') == NULL &&
	    strspn(spec, "0123456789") == strlen(spec))
		return sp_fail("run: user '%s': uid %s has no entry in /etc/passwd: name a group too "
		    "(--user %s:GID); there is no fallback to group 0", spec, spec, spec);
	if (err == SP_ERR_ARG)
		return sp_fail("run: user '%s': %s", spec, why);
	if (u->root_alias) {
		if (spec[0] >= '0' && spec[0] <= '9')
			return sp_fail("run: user '%s': is uid 0 written another way: pass --user 0 or "
			    "--user root if root is meant", spec);
		if (u->line > 0)
			return sp_fail("run: user '%s': /etc/passwd line %zu gives it uid 0%s: refusing to "
			    "run it as root; restore that line (and keep /etc/passwd root-owned, mode 0644), "
			    "or pass --user root if root is meant", spec, u->line,
			    writable_note(pw_st, note, sizeof note));
		return sp_fail("run: user '%s': is uid 0 under another name: pass --user root if root "
		    "is meant", spec);
	}
	if (u->line > 0)
		return sp_fail("run: user '%s': %s line %zu: %s", spec, db, u->line, why);
	return sp_fail("run: user '%s': %s in %s", spec, why, db);
}

static int read_db(const char *path, char **text, size_t *len, struct stat *st)
{
	int err = sp_user_read_db(path, text, len, st);

	if (err != SP_OK)
		return sp_fail_path("run", path, err);
	return EXIT_OK;
}

/* A root shim about to resolve a user: the app must not be able to rewrite who it becomes. */
static void warn_writable(const char *path, const char *text, const struct stat *st)
{
	if (text == NULL || !sp_user_db_writable(st))
		return;
	sp_fail("run: warning: %s is writable by others than root (owner uid %u, mode %04o): the app "
	    "could rewrite the users it names; make it root-owned and not group- or world-writable "
	    "(chown 0 %s; chmod go-w %s)", path, (unsigned)st->st_uid,
	    (unsigned)(st->st_mode & 07777), path, path);
}

/* gids as "1500, 1600" into buf. */
static const char *gid_list(const gid_t *g, size_t n, char *buf, size_t cap)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < cap; i++) {
		int w = snprintf(buf + used, cap - used, "%s%u", i ? ", " : "", (unsigned)g[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* An unprivileged shim cannot change its credentials: it can only be the user already. */
static int check_self(struct run *r)
{
	const char *spec = r->o.user;
	const sp_user *u = &r->user;
	sp_user_self self;
	char list[512];
	int err = sp_user_compare_self(u, &self);

	if (err == SP_ERR_IO)
		return sp_fail("run: user '%s': cannot read the credentials secretpack runs with", spec);
	if (!self.uid_ok)
		return sp_fail("run: user '%s': secretpack runs as uid %u, not root: it cannot switch "
		    "to uid %u; start the container as that user or drop --user", spec,
		    (unsigned)geteuid(), (unsigned)u->uid);
	if (!self.gid_ok)
		return sp_fail("run: user '%s': secretpack runs as uid %u with gid %u, not root: it "
		    "cannot switch to gid %u; start the container with that group (docker run --user "
		    "%u:%u, Kubernetes runAsGroup) or drop --user", spec, (unsigned)geteuid(),
		    (unsigned)getegid(), (unsigned)u->gid, (unsigned)u->uid, (unsigned)u->gid);
	if (self.n_extra > 0)
		return sp_fail("run: user '%s': secretpack runs with supplementary groups %s that the "
		    "user does not have, and cannot drop them without root: list the user in them in "
		    "/etc/group, or drop --user", spec, gid_list(self.extra, self.n_extra, list, sizeof list));
	if (self.n_missing > 0)
		sp_fail("run: warning: user '%s': the app runs without groups %s that /etc/group gives "
		    "it (secretpack is not root and cannot add them): start the container with them "
		    "(docker run --group-add, Kubernetes supplementalGroups)", spec,
		    gid_list(self.missing, self.n_missing, list, sizeof list));
	return EXIT_OK;
}

static const struct {
	int cap;
	const char *name;
} cap_names[] = {
	{ CAP_CHOWN, "CHOWN" }, { CAP_DAC_OVERRIDE, "DAC_OVERRIDE" }, { CAP_FOWNER, "FOWNER" },
	{ CAP_SETGID, "SETGID" }, { CAP_SETUID, "SETUID" },
};

/* "CAP_A, CAP_B and CAP_C" (style 0), "--cap-add A --cap-add B" (1) or "A, B" (2). */
static const char *cap_list(uint64_t mask, int style, char *buf, size_t cap)
{
	size_t i, k = 0, n = 0, used = 0;

	for (i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
		n += (mask >> cap_names[i].cap) & 1u;
	buf[0] = '\0';
	for (i = 0; i < sizeof cap_names / sizeof cap_names[0] && used < cap; i++) {
		const char *sep = k == 0 ? "" : style == 1 ? " " : style == 0 && k + 1 == n ? " and " : ", ";
		int w;
		if (!((mask >> cap_names[i].cap) & 1u))
			continue;
		w = snprintf(buf + used, cap - used, "%s%s%s", sep, style == 1 ? "--cap-add " :
		    style == 0 ? "CAP_" : "", cap_names[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
		k++;
	}
	return buf;
}

/* A root shim finds out now, before anything is decrypted, whether it may become the user and
 * hand the secrets over; the drop itself comes last, when failing costs more. */
static int check_caps(struct run *r)
{
	const sp_user *u = &r->user;
	sp_user_self self;
	uint64_t need = 0, have;
	char all[160], miss[160], add[200], k8s[120];

	if (sp_user_compare_self(u, &self) != SP_OK || self.n_missing > 0)
		need |= 1ull << CAP_SETGID; /* setgroups, setresgid */
	if (!self.uid_ok)
		need |= 1ull << CAP_SETUID;
	/* chown to the user; then fchmod and write (or clean up on a restart) in what it owns. */
	if (u->uid != geteuid())
		need |= 1ull << CAP_CHOWN | 1ull << CAP_DAC_OVERRIDE | 1ull << CAP_FOWNER;
	else if (u->gid != getegid())
		need |= 1ull << CAP_CHOWN;
	if (need == 0)
		return EXIT_OK;
	if (sp_user_caps_effective(&have) != SP_OK)
		return sp_fail("run: user '%s': cannot read the capabilities secretpack runs with",
		    r->o.user);
	if ((need & ~have) == 0)
		return EXIT_OK;
	return sp_fail("run: user '%s': the container lacks %s: becoming uid %u and handing it the "
	    "secrets needs %s; add the missing ones (docker run %s; Kubernetes "
	    "securityContext.capabilities.add: [%s])", r->o.user, cap_list(need & ~have, 0, miss,
	    sizeof miss), (unsigned)u->uid, cap_list(need, 0, all, sizeof all),
	    cap_list(need & ~have, 1, add, sizeof add), cap_list(need & ~have, 2, k8s, sizeof k8s));
}

int run_load_user(struct run *r)
{
	struct stat pw_st, gr_st;
	int err;

	if (read_db("/etc/passwd", &r->passwd, &r->passwd_len, &pw_st) != EXIT_OK ||
	    read_db("/etc/group", &r->group, &r->group_len, &gr_st) != EXIT_OK)
		return EXIT_FAIL;
	r->uid = (uid_t)-1;
	r->gid = (gid_t)-1;
	if (r->o.user == NULL)
		return EXIT_OK;
	err = sp_user_resolve(r->o.user, r->passwd, r->passwd_len, r->group, r->group_len, &r->user);
	if (err != SP_OK)
		return fail_user(r->o.user, &r->user, err, &pw_st);
	/* Found out now, before anything is decrypted or written. */
	if (geteuid() != 0) {
		if (check_self(r) != EXIT_OK)
			return EXIT_FAIL;
	} else {
		warn_writable("/etc/passwd", r->passwd, &pw_st);
		warn_writable("/etc/group", r->group, &gr_st);
		if (check_caps(r) != EXIT_OK)
			return EXIT_FAIL;
	}
	r->has_user = 1;
	r->uid = r->user.uid;
	r->gid = r->user.gid;
	return EXIT_OK;
}
