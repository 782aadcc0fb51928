/* cmd_run_app.c - `secretpack run`: the app's environment, the privilege drop and exec, --init. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>

#include "cli.h"
#include "sp_envpolicy.h"
#include "sp_err.h"
#include "sp_io.h"
#include "sp_tty.h"
#include "run.h"

/* One string passed to execve is at most 32 pages (MAX_ARG_STRLEN): leave room for the name. */
#define ENV_VALUE_MAX (128 * 1024 - SP_ENV_MAX - 2)

/* Whether the operator lets a bundle set e->env (the allow list), in one line if not. */
static int env_permitted(const struct run *r, size_t i)
{
	const sp_entry *e = &r->entries[i];
	const char *b = r->o.bundles[r->entry_bundle[i]], *rule = NULL, *deny = NULL;

	if (sp_envpolicy_allowed(e->env, r->o.allow, r->o.n_allow, &rule))
		return EXIT_OK;
	/* Under --trust every bundle is signed by a key the operator pinned: the names are the
	 * signer's decision. The operator's own --env-allow patterns still apply, and loader and
	 * SECRETPACK_* names were refused when the bundle was read. */
	if (rule == NULL && r->o.trust.n > 0)
		return EXIT_OK;
	if (rule != NULL)
		return sp_fail("run: %s: entry %s: env %s: refused by --env-allow '%s' (or "
		    "SECRETPACK_ENV_ALLOW): the app is not started", b, e->name, e->env, rule);
	(void)sp_envpolicy_default(e->env, &deny);
	if (deny != NULL)
		return sp_fail("run: %s: entry %s: env %s: a bundle may not set it by default (it makes "
		    "programs load code, configuration, trust or an identity: deny list '%s'): if the "
		    "image means it, add --env-allow %s", b, e->name, e->env, deny, e->env);
	return sp_fail("run: %s: entry %s: env %s: a bundle may set only *_FILE variables by default: "
	    "if the image means it, add --env-allow %s", b, e->name, e->env, e->env);
}

/* Reads the committed entry name (nested names included, no symlink followed) into a wiped
 * buffer (sp_io_free(.., 1)). */
static int read_entry(int dirfd, const char *name, unsigned char **buf, size_t *len)
{
	char part[SP_NAME_MAX + 1];
	const char *p = name, *slash;
	int fd = dirfd, next, err;

	while ((slash = strchr(p, '/')) != NULL) {
		(void)snprintf(part, sizeof part, "%.*s", (int)(slash - p), p);
		next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != dirfd)
			(void)close(fd);
		if (next < 0)
			return SP_ERR_IO;
		fd = next;
		p = slash + 1;
	}
	next = openat(fd, p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd != dirfd)
		(void)close(fd);
	if (next < 0)
		return SP_ERR_IO;
	err = sp_io_read_fd(next, ENV_VALUE_MAX, SP_IO_LOCKED, buf, len);
	(void)close(next);
	return err;
}

/* --env VAR=ENTRY: the operator's choice, so not subject to the bundle allow list. */
static int env_from_entry(struct run *r, const char *arg)
{
	const char *eq = strchr(arg, '='), *entry = eq + 1;
	char var[SP_ENV_MAX + 1];
	unsigned char *val = NULL;
	size_t i, len = 0;
	int err;

	(void)snprintf(var, sizeof var, "%.*s", (int)(eq - arg), arg);
	for (i = 0; i < r->n_entries && strcmp(r->entries[i].name, entry) != 0; i++)
		;
	if (i == r->n_entries)
		return sp_fail("run: --env %s: no entry %s in the bundles: name one that 'secretpack "
		    "inspect -i KEY' lists", arg, entry);
	if (sp_env_get(&r->env, var) != NULL)
		return sp_fail("run: --env %s: %s is already set in the environment%s: the app gets "
		    "one value; unset it or pick another name", arg, var,
		    r->has_user && strcmp(var, "HOME") == 0 ? " (by --user)" : "");
	err = read_entry(r->dirfd, entry, &val, &len);
	if (err == SP_ERR_LIMIT)
		return sp_fail("run: --env %s: entry %s is larger than %d bytes, too large for a "
		    "variable: read it from %s/%s instead", arg, entry, ENV_VALUE_MAX, r->dir, entry);
	if (err != SP_OK)
		return sp_fail("run: --env %s: cannot read entry %s back: %s", arg, entry,
		    err == SP_ERR_IO ? strerror(errno) : sp_err_str(err));
	if (memchr(val, 0, len) != NULL) {
		sp_io_free(val, len, 1);
		return sp_fail("run: --env %s: entry %s holds a NUL byte, which a variable cannot "
		    "carry: read it from %s/%s instead", arg, entry, r->dir, entry);
	}
	err = sp_env_set(&r->env, var, (const char *)val);
	sp_io_free(val, len, 1);
	if (err != SP_OK)
		return sp_fail_err("run", err);
	return EXIT_OK;
}

int run_build_env(struct run *r)
{
	char path[PATH_MAX + SP_NAME_MAX + 2];
	size_t i, j;
	int err;

	err = sp_env_from(&r->env, environ, r->o.keep, r->o.n_keep);
	if (err == SP_OK && r->has_user)
		err = sp_env_set(&r->env, "HOME", r->user.home);
	if (err != SP_OK)
		return sp_fail_err("run", err);
	/* --env names first: a bundle entry naming one of them is then refused as already set. */
	for (i = 0; i < r->o.n_env_map; i++)
		if (env_from_entry(r, r->o.env_map[i]) != EXIT_OK)
			return EXIT_FAIL;
	for (i = 0; i < r->n_entries; i++) {
		const sp_entry *e = &r->entries[i];
		const char *b = r->o.bundles[r->entry_bundle[i]];

		if (e->env[0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(r->entries[j].env, e->env) == 0)
				return sp_fail("run: %s: entry %s: env %s is already set by entry %s",
				    b, e->name, e->env, r->entries[j].name);
		if (env_permitted(r, i) != EXIT_OK)
			return EXIT_FAIL;
		/* Never over what the operator set (the image, the runtime, --env, --user's HOME). */
		for (j = 0; j < r->o.n_env_map; j++)
			if (strncmp(r->o.env_map[j], e->env, strlen(e->env)) == 0 &&
			    r->o.env_map[j][strlen(e->env)] == '=')
				return sp_fail("run: %s: entry %s: env %s is already set by --env %s: "
				    "the bundle does not override it; drop one of them", b, e->name, e->env,
				    r->o.env_map[j]);
		if (sp_env_get(&r->env, e->env) != NULL)
			return sp_fail("run: %s: entry %s: env %s is already set in the environment: the "
			    "bundle does not override it; unset %s or drop env= from the entry", b,
			    e->name, e->env, e->env);
		(void)snprintf(path, sizeof path, "%s%s%s", r->dir,
		    r->dir[strlen(r->dir) - 1] == '/' ? "" : "/", e->name);
		if ((err = sp_env_set(&r->env, e->env, path)) != SP_OK)
			return sp_fail_err("run", err);
	}
	run_key_warning(r);
	return EXIT_OK;
}

/* ---- launch ---- */

/* An app that runs as another uid must not be able to type into the caller's terminal (TIOCSTI):
 * the process about to become the app gives up its controlling terminal. EXIT_OK or EXIT_FAIL. */
static int leave_tty(struct run *r)
{
	int what, err;

	if (!r->has_user || r->user.uid == geteuid())
		return EXIT_OK;
	err = sp_tty_detach(&what);
	if (err == SP_ERR_NOT_FOUND)
		return sp_fail("run: there is a controlling terminal but /dev/tty (%s) and descriptors 0-2 "
		    "are not it: refusing to start %s as uid %u; start it without a terminal",
		    strerror(errno), r->o.cmd[0], (unsigned)r->user.uid);
	if (err != SP_OK)
		return sp_fail("run: cannot give up the controlling terminal: %s: refusing to start %s as "
		    "uid %u; start it without a terminal", err == SP_ERR_IO ? strerror(errno) :
		    "it is still attached", r->o.cmd[0], (unsigned)r->user.uid);
	return EXIT_OK;
}

/* Drops to the user and execs; returns only on failure, with the exit status. */
int run_start_app(struct run *r)
{
	char path[PATH_MAX];
	const char *cmd = r->o.cmd[0];
	int err;

	/* Secrets are wiped by now: the app may dump core again if its limits allow it. */
	(void)setrlimit(RLIMIT_CORE, &r->core);
	if (leave_tty(r) != EXIT_OK)
		return EXIT_FAIL;
	err = r->has_user ? sp_user_drop(&r->user, r->o.allow_new_privs)
	    : sp_user_lockdown(r->o.allow_new_privs);
	if (err != SP_OK) {
		sp_fail("run: user '%s': %s: refusing to start %s", r->o.user ? r->o.user : "(current)",
		    sp_err_str(err), cmd);
		return EXIT_FAIL;
	}
	err = sp_exec_find(cmd, sp_env_get(&r->env, "PATH"), path, sizeof path);
	if (err == SP_ERR_NOT_FOUND) {
		sp_fail("run: %s: not found", cmd);
		return EXIT_NOTFOUND;
	}
	if (err == SP_ERR_PERM) {
		sp_fail("run: %s: permission denied", cmd);
		return EXIT_NOEXEC;
	}
	if (err != SP_OK) {
		sp_fail("run: %s: %s", cmd, sp_err_str(err));
		return EXIT_NOEXEC;
	}
	sp_exec_run(path, r->o.cmd, r->env.v);
	err = errno;
	if (err == ENOENT || err == ENOTDIR)
		sp_fail("run: %s: not found", cmd);
	else if (err == EACCES)
		sp_fail("run: %s: permission denied", cmd);
	else
		sp_fail("run: %s: %s", cmd, strerror(err));
	return sp_exec_status(err);
}

static int child_main(void *ctx)
{
	return run_start_app(ctx);
}


/* What the --init parent keeps: signalling the app, cleaning up DIR (and unmounting it). */
static int parent_limits(struct run *r)
{
	uint64_t keep = (1ull << CAP_KILL) | (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_FOWNER);

	if (r->mounted)
		keep |= 1ull << CAP_SYS_ADMIN;
	if (sp_user_limit_caps(keep) != SP_OK || sp_user_lockdown(0) != SP_OK)
		return SP_ERR_PRIV;
	return SP_OK;
}

int run_init_mode(struct run *r)
{
	sp_init in;
	int err, status = EXIT_FAIL;

	if (sp_init_spawn(&in, child_main, r) != SP_OK) {
		sp_fail("run: cannot fork: %s", strerror(errno));
		run_remove_secrets(r);
		return EXIT_FAIL;
	}
	sp_env_free(&r->env); /* the child has its copy: --env values do not stay in the init */
	if (parent_limits(r) != SP_OK)
		sp_fail("run: warning: cannot lower the privileges of the init process");
	err = sp_init_wait(&in, &status);
	if (err == SP_ERR_NOT_FOUND)
		sp_fail("run: %s: exit status lost: another process reaped it; exiting %d", r->o.cmd[0],
		    status);
	else if (err != SP_OK)
		sp_fail("run: waiting for %s: %s", r->o.cmd[0], strerror(errno));
	/* Every forwarded signal stays blocked until the exit: none can end us before this. */
	run_remove_secrets(r);
	return status;
}
