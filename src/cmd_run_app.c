/* cmd_run_app.c - `secretpack run`: the app's environment, the privilege drop and exec, --init. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>

#include "cli.h"
#include "sp_err.h"
#include "sp_tty.h"
#include "run.h"

int run_build_env(struct run *r)
{
	char path[PATH_MAX + SP_NAME_MAX + 2];
	size_t i, j;
	int err;

	err = sp_env_from(&r->env, environ, r->o.keep, r->o.n_keep);
	if (err == SP_OK && r->has_user)
		err = sp_env_set(&r->env, "HOME", r->user.home);
	for (i = 0; err == SP_OK && i < r->n_entries; i++) {
		const sp_entry *e = &r->entries[i];
		if (e->env[0] == '\0')
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(r->entries[j].env, e->env) == 0)
				return sp_fail("run: %s: entry %s: env %s is already set by entry %s",
				    r->o.bundles[r->entry_bundle[i]], e->name, e->env, r->entries[j].name);
		(void)snprintf(path, sizeof path, "%s%s%s", r->dir,
		    r->dir[strlen(r->dir) - 1] == '/' ? "" : "/", e->name);
		err = sp_env_set(&r->env, e->env, path);
	}
	if (err != SP_OK)
		return sp_fail_err("run", err);
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
