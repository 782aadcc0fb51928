/* cmd_run_user.c - `secretpack run`: the target user, resolved from the image's passwd and group. */
#include <string.h>

#include "cli.h"
#include "sp_err.h"
#include "run.h"

/* ---- users ---- */

static int fail_user(const char *spec, const sp_user *u, int err)
{
	const char *db = u->in_group_db ? "/etc/group" : "/etc/passwd";
	const char *why = u->reason ? u->reason : sp_err_str(err);

	if (err == SP_ERR_NOT_FOUND && !u->in_group_db && strchr(spec, ':') == NULL &&
	    strspn(spec, "0123456789") == strlen(spec))
		return sp_fail("run: user '%s': uid %s has no entry in /etc/passwd: name a group too "
		    "(--user %s:GID); there is no fallback to group 0", spec, spec, spec);
	if (err == SP_ERR_ARG)
		return sp_fail("run: user '%s': %s", spec, why);
	if (u->line > 0)
		return sp_fail("run: user '%s': %s line %zu: %s", spec, db, u->line, why);
	return sp_fail("run: user '%s': %s in %s", spec, why, db);
}

static int read_db(const char *path, char **text, size_t *len)
{
	int err = sp_user_read_db(path, text, len);

	if (err != SP_OK)
		return sp_fail_path("run", path, err);
	return EXIT_OK;
}

int run_load_user(struct run *r)
{
	int err;

	if (read_db("/etc/passwd", &r->passwd, &r->passwd_len) != EXIT_OK ||
	    read_db("/etc/group", &r->group, &r->group_len) != EXIT_OK)
		return EXIT_FAIL;
	r->uid = (uid_t)-1;
	r->gid = (gid_t)-1;
	if (r->o.user == NULL)
		return EXIT_OK;
	err = sp_user_resolve(r->o.user, r->passwd, r->passwd_len, r->group, r->group_len, &r->user);
	if (err != SP_OK)
		return fail_user(r->o.user, &r->user, err);
	/* Found out now, before anything is decrypted or written. */
	if (geteuid() != 0 && r->user.uid != geteuid())
		return sp_fail("run: user '%s': secretpack runs as uid %u, not root: it cannot switch "
		    "to uid %u", r->o.user, (unsigned)geteuid(), (unsigned)r->user.uid);
	r->has_user = 1;
	r->uid = r->user.uid;
	r->gid = r->user.gid;
	return EXIT_OK;
}
