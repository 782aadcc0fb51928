/* cmd_run.c - `secretpack run`: the container entrypoint that opens bundles into a tmpfs, drops
 * privileges and execs the app (or stays as PID 1 with --init). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"
#include "sp_err.h"
#include "run.h"

static const char run_usage[] =
	"usage: secretpack run [--bundle PATH]... [--dir DIR] [--user USER[:GROUP]] [--context TEXT]\n"
	"                      [--init] [--keep-env NAME]... [--allow-disk] [--allow-new-privs]\n"
	"                      [--unlink-key] -- COMMAND [ARG...]\n"
	"  Opens the bundles into DIR (a tmpfs), owned by USER, then drops to USER and execs COMMAND.\n"
	"  All or nothing: on any failure nothing is left in DIR and COMMAND is not started.\n"
	"  --bundle PATH     bundle to open, repeatable (SECRETPACK_BUNDLE; " DEFAULT_BUNDLE ")\n"
	"  --dir DIR         where the secrets go (SECRETPACK_DIR; " DEFAULT_DIR "); must be a tmpfs\n"
	"                    or ramfs, else one is mounted there when permitted (CAP_SYS_ADMIN)\n"
	"  --user U[:G]      name, name:group, uid or uid:gid from /etc/passwd, /etc/group\n"
	"                    (SECRETPACK_USER); without it COMMAND runs as the current user\n"
	"  --context TEXT    the deployment the bundles must be bound to (SECRETPACK_CONTEXT)\n"
	"  --init            stay as PID 1: forward signals, reap zombies, remove the secrets at exit\n"
	"  --keep-env NAME   pass the SECRETPACK_* variable NAME on to COMMAND (never a key or\n"
	"                    passphrase variable), e.g. --keep-env SECRETPACK_CONTEXT\n"
	"  --allow-disk      allow DIR on a disk: the secrets may then persist on the disk\n"
	"  --allow-new-privs do not set no_new_privs (lets COMMAND run setuid programs)\n"
	"  --unlink-key      remove SECRETPACK_KEY_FILE after reading it, when it is on a tmpfs\n"
	"  Key: SECRETPACK_KEY (identity text), SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD (descriptor,\n"
	"  closed after reading); passphrase bundles: SECRETPACK_PASSPHRASE[_FILE]. Every\n"
	"  SECRETPACK_* variable is removed from COMMAND's environment.\n"
	"  Exit: COMMAND's status; 126/127 if it cannot be run; 1 on failure; 2 on usage.\n";

/* ---- arguments ---- */

static const char *env_or(const char *flag, const char *var, const char *def)
{
	const char *v;

	if (flag != NULL)
		return flag;
	v = getenv(var);
	return v != NULL && *v ? v : def;
}

static int keep_env(struct run_opts *o, const char *name)
{
	int err = sp_env_keep_check(name);

	if (err == SP_ERR_PERM)
		return sp_usage_error("run", "--keep-env %s: a key or passphrase variable is never passed "
		    "to the app", name);
	if (err != SP_OK)
		return sp_usage_error("run", "--keep-env %s: only SECRETPACK_* variables are removed; "
		    "others are passed on anyway", name);
	if (o->n_keep == KEEP_MAX)
		return sp_usage_error("run", "too many --keep-env");
	o->keep[o->n_keep++] = name;
	return EXIT_OK;
}

/* EXIT_OK, EXIT_USAGE, or -1 after -h. */
static int parse_args(struct run_opts *o, int argc, char **argv)
{
	enum { O_BUNDLE = 256, O_DIR, O_USER, O_CONTEXT, O_INIT, O_KEEP, O_DISK, O_NNP, O_UNLINK };
	static const struct option opts[] = {
		{ "bundle", required_argument, 0, O_BUNDLE }, { "dir", required_argument, 0, O_DIR },
		{ "user", required_argument, 0, O_USER }, { "context", required_argument, 0, O_CONTEXT },
		{ "init", no_argument, 0, O_INIT }, { "keep-env", required_argument, 0, O_KEEP },
		{ "allow-disk", no_argument, 0, O_DISK }, { "allow-new-privs", no_argument, 0, O_NNP },
		{ "unlink-key", no_argument, 0, O_UNLINK }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case O_BUNDLE:
			if (o->n_bundles == BUNDLES_MAX)
				return sp_usage_error("run", "too many --bundle");
			o->bundles[o->n_bundles++] = optarg;
			break;
		case O_DIR: o->dir = optarg; break;
		case O_USER: o->user = optarg; break;
		case O_CONTEXT: o->context = optarg; break;
		case O_INIT: o->init = 1; break;
		case O_KEEP:
			if ((rc = keep_env(o, optarg)) != EXIT_OK)
				return rc;
			break;
		case O_DISK: o->allow_disk = 1; break;
		case O_NNP: o->allow_new_privs = 1; break;
		case O_UNLINK: o->unlink_key = 1; break;
		case 'h': (void)fputs(run_usage, stdout); return -1;
		case ':': return sp_usage_error("run", "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error("run", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return sp_usage_error("run", "no command: pass -- COMMAND [ARG...]");
	o->cmd = argv + optind;
	if (o->n_bundles == 0)
		o->bundles[o->n_bundles++] = env_or(NULL, "SECRETPACK_BUNDLE", DEFAULT_BUNDLE);
	o->dir = env_or(o->dir, "SECRETPACK_DIR", DEFAULT_DIR);
	o->user = env_or(o->user, "SECRETPACK_USER", NULL);
	o->context = env_or(o->context, "SECRETPACK_CONTEXT", NULL);
	return EXIT_OK;
}

/* ---- the verb ---- */

static void no_dumps(struct run *r)
{
	struct rlimit off;

	/* Only the soft limit: the hard one could not be raised again for the app. */
	if (getrlimit(RLIMIT_CORE, &r->core) != 0) {
		r->core.rlim_cur = 0;
		r->core.rlim_max = RLIM_INFINITY;
	}
	off.rlim_cur = 0;
	off.rlim_max = r->core.rlim_max;
	(void)setrlimit(RLIMIT_CORE, &off);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int copy_environ(struct run *r)
{
	size_t n = 0;

	while (environ != NULL && environ[n] != NULL)
		n++;
	r->env0 = calloc(n + 1, sizeof *r->env0);
	if (r->env0 == NULL)
		return sp_fail_err("run", SP_ERR_NOMEM);
	if (n > 0)
		memcpy(r->env0, environ, n * sizeof *r->env0);
	return EXIT_OK;
}

static void release(struct run *r)
{
	run_wipe_key(r);
	sp_vault_free(r->v);
	sp_env_free(&r->env);
	sp_fds_free(&r->fds);
	free(r->passwd);
	free(r->group);
	free(r->entries);
	free(r->entry_bundle);
	free(r->env0);
}

static int prepare(struct run *r)
{
	size_t i;

	if (run_load_user(r) != EXIT_OK || run_load_key(r) != EXIT_OK)
		return EXIT_FAIL;
	/* From the first write to the app's start, a signal or a file size limit cannot stop the
	 * shim half-way (a passphrase prompt before this still answers to Ctrl-C). */
	run_signals_hold(r);
	if (run_open_dir(r) != EXIT_OK)
		return EXIT_FAIL;
	for (i = 0; i < r->o.n_bundles; i++)
		if (run_open_bundle(r, i) != EXIT_OK)
			return EXIT_FAIL;
	run_wipe_key(r);
	if (run_finish_dir(r) != EXIT_OK || run_build_env(r) != EXIT_OK)
		return EXIT_FAIL;
	if (sp_fds_cloexec_others(&r->fds) != SP_OK)
		return sp_fail("run: cannot mark descriptors close-on-exec: %s", strerror(errno));
	return EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	struct run r;
	int rc, sig;

	memset(&r, 0, sizeof r);
	r.dirfd = -1;
	r.guard_fd = -1;
	if ((rc = parse_args(&r.o, argc, argv)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	no_dumps(&r);
	if (sp_fds_snapshot(&r.fds) != SP_OK)
		return sp_fail("run: cannot list open descriptors: %s", strerror(errno));
	if (copy_environ(&r) != EXIT_OK) {
		release(&r);
		return EXIT_FAIL;
	}
	rc = prepare(&r);
	sig = rc == EXIT_OK ? run_signals_pending(&r) : 0;
	if (rc != EXIT_OK || sig != 0) {
		if (sig != 0)
			sp_fail("run: stopped by signal %d (%s) during set-up: nothing was left in %s",
			    sig, strsignal(sig), r.dir);
		run_wipe_key(&r);
		run_undo(&r);
		release(&r);
		return sig != 0 ? 128 + sig : EXIT_FAIL;
	}
	run_signals_release(&r);
	if (r.o.init) {
		rc = run_init_mode(&r);
	} else if (run_guard_start(&r) != EXIT_OK) {
		r.committed = 1;
		run_undo(&r);
		rc = EXIT_FAIL;
	} else {
		rc = run_start_app(&r);
		/* Not started: nothing may be left behind. */
		r.committed = 1;
		run_undo(&r);
	}
	release(&r);
	return rc;
}
