/* cmd_run.c - `secretpack run`: the container entrypoint that opens bundles into a tmpfs, drops
 * privileges and execs the app (or stays as PID 1 with --init). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"
#include "sp_encoding.h"
#include "sp_envpolicy.h"
#include "sp_err.h"
#include "run.h"

static const char run_usage[] =
	"usage: secretpack run [--bundle PATH]... [--dir DIR] [--user USER[:GROUP]] [--context TEXT]\n"
	"                      [--init] [--keep-env NAME]... [--allow-disk] [--allow-new-privs]\n"
	"                      [--unlink-key] [--env-allow PATTERN]... [--env VAR=ENTRY]...\n"
	"                      [--trust SIGNER]... [--not-before TIME] -- COMMAND [ARG...]\n"
	"       secretpack run --deliver [--group GID] [--bundle PATH]... [--dir DIR] [--context TEXT]\n"
	"                      [--trust SIGNER]... [--not-before TIME] [--allow-disk]\n"
	"  Opens the bundles into DIR (a tmpfs), owned by USER, then drops to USER and execs COMMAND.\n"
	"  All or nothing: on any failure nothing is left in DIR and COMMAND is not started.\n"
	"  --bundle PATH     bundle to open, repeatable (SECRETPACK_BUNDLE; " DEFAULT_BUNDLE ")\n"
	"  --dir DIR         where the secrets go (SECRETPACK_DIR; " DEFAULT_DIR "); must be a tmpfs\n"
	"                    or ramfs, else one is mounted there when permitted (CAP_SYS_ADMIN)\n"
	"  --user U[:G]      name, name:group, uid or uid:gid from /etc/passwd, /etc/group\n"
	"                    (SECRETPACK_USER); without it COMMAND runs as the current user\n"
	"  --context TEXT    the deployment the bundles must be bound to (SECRETPACK_CONTEXT)\n"
	"  --init            stay as PID 1: forward signals, reap zombies, remove the secrets at exit\n"
	"                    (SECRETPACK_INIT=1)\n"
	"  --keep-env NAME   pass the SECRETPACK_* variable NAME on to COMMAND (never a key or\n"
	"                    passphrase variable), e.g. --keep-env SECRETPACK_CONTEXT\n"
	"  --allow-disk      allow DIR on a disk: the secrets may then persist on the disk\n"
	"  --allow-new-privs do not set no_new_privs (lets COMMAND run setuid programs)\n"
	"  --unlink-key      remove SECRETPACK_KEY_FILE after reading it, when it is on a tmpfs\n"
	"  --env-allow PAT   widen ('NAME', 'PREFIX_*') or narrow ('!PAT') the variables a bundle may\n"
	"                    set: by default only *_FILE names not on the deny list (README);\n"
	"                    last match wins (SECRETPACK_ENV_ALLOW=PAT,PAT...)\n"
	"  --env VAR=ENTRY   give COMMAND the content of entry ENTRY in variable VAR (weaker than\n"
	"                    a file: children inherit it)\n"
	"  --trust SIGNER    refuse a bundle not signed by SIGNER: a spksig1... key or a file of\n"
	"                    them; repeatable (SECRETPACK_TRUST=KEY-OR-FILE,...)\n"
	"  --not-before TIME refuse a bundle created before TIME: YYYY-MM-DD (start of day UTC),\n"
	"                    YYYY-MM-DDTHH:MM:SSZ, or 30d, 12h... ago (SECRETPACK_NOT_BEFORE)\n"
	"  --deliver         write the secrets into DIR and exit 0, starting nothing (a Kubernetes\n"
	"                    init container as a non-root user): DIR is the tmpfs root (emptyDir),\n"
	"                    not taken over; entries owned by the current uid, never readable by\n"
	"                    others; an entry's env is not exported; a key file readable by group\n"
	"                    or others is accepted (the app runs in another container)\n"
	"  --group GID       with --deliver: entries get group GID (one of the current groups,\n"
	"                    e.g. the pod's fsGroup) and group read (directories 0550)\n"
	"  Key: one of SECRETPACK_KEY (identity text), SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD\n"
	"  (descriptor, closed before anything else); passphrase bundles: SECRETPACK_PASSPHRASE or\n"
	"  SECRETPACK_PASSPHRASE_FILE. A key or passphrase file USER could read is refused (keep it\n"
	"  root:root 0400). Every SECRETPACK_* variable is removed from COMMAND's environment.\n"
	"  Exit: COMMAND's status; 126/127 if it cannot be run; 1 on failure; 2 on usage.\n";

/* ---- arguments ---- */

/* Every occurrence of a flag: a later one must not hide an empty earlier one. */
static int nonempty(const char *flag, const char *var, const char *val)
{
	if (*val == '\0')
		return sp_usage_error("run", "%s '': an empty value is not allowed (nor %s=''): give "
		    "a value or leave %s out", flag, var, flag);
	return EXIT_OK;
}

/* A flag's value, else its SECRETPACK_* variable's, else def. An empty value means nothing a
 * user could want (the current directory? the default? the current user?): a usage error
 * naming both the flag and the variable, wherever it comes from. EXIT_OK or EXIT_USAGE. */
static int flag_or_env(const char *flag, const char *val, const char *var, const char *def,
    const char **out)
{
	const char *v = getenv(var);

	if (val != NULL && nonempty(flag, var, val) != EXIT_OK)
		return EXIT_USAGE;
	if (v != NULL && *v == '\0')
		return sp_usage_error("run", "%s='' (the variable of %s): an empty value is not "
		    "allowed: give a value or unset %s", var, flag, var);
	*out = val != NULL ? val : v != NULL ? v : def;
	return EXIT_OK;
}

static int keep_env(struct run_opts *o, const char *name)
{
	int err = sp_env_keep_check(name);

	if (*name == '\0')
		return sp_usage_error("run", "--keep-env '': an empty value is not allowed: name a "
		    "SECRETPACK_* variable or leave --keep-env out");
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

static int env_allow(struct run_opts *o, const char *pat, const char *from)
{
	if (sp_envpolicy_pattern_check(pat) != SP_OK)
		return sp_usage_error("run", "%s '%s': not a pattern: a variable name, '*' for any run "
		    "of characters, '!' first to refuse (e.g. GOOGLE_APPLICATION_CREDENTIALS, '!AWS_*')",
		    from, pat);
	if (o->n_allow == ENV_ALLOW_MAX)
		return sp_usage_error("run", "too many --env-allow patterns (at most %d)", ENV_ALLOW_MAX);
	o->allow[o->n_allow++] = pat;
	return EXIT_OK;
}

/* SECRETPACK_ENV_ALLOW: the same patterns, comma-separated; they come before the flags'. */
static int env_allow_var(struct run_opts *o)
{
	const char *v = NULL;
	char *p, *next;
	int rc;

	if ((rc = flag_or_env("--env-allow", NULL, "SECRETPACK_ENV_ALLOW", NULL, &v)) != EXIT_OK)
		return rc;
	if (v == NULL)
		return EXIT_OK;
	if (strlen(v) >= sizeof o->allow_env)
		return sp_usage_error("run", "SECRETPACK_ENV_ALLOW: longer than %zu bytes",
		    sizeof o->allow_env - 1);
	memcpy(o->allow_env, v, strlen(v) + 1);
	for (p = o->allow_env; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		if (*p == '\0')
			return sp_usage_error("run", "SECRETPACK_ENV_ALLOW: an empty pattern (the variable "
			    "of --env-allow): separate patterns with single commas");
		if ((rc = env_allow(o, p, "SECRETPACK_ENV_ALLOW")) != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

/* --env VAR=ENTRY: VAR a name the app may be given, once; ENTRY checked when the bundles are open. */
static int env_map(struct run_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[SP_ENV_MAX + 1];
	size_t nl = eq != NULL ? (size_t)(eq - arg) : 0;

	if (eq == NULL || nl == 0 || eq[1] == '\0')
		return sp_usage_error("run", "--env '%s': expected VAR=ENTRY (e.g. --env "
		    "DB_PASSWORD=db_password)", arg);
	if (nl > SP_ENV_MAX)
		return sp_usage_error("run", "--env %.*s: variable name longer than %d characters",
		    (int)nl, arg, SP_ENV_MAX);
	memcpy(name, arg, nl);
	name[nl] = '\0';
	if (sp_env_check(name) != SP_OK)
		return sp_usage_error("run", "--env %s: not a variable the app may be given (a name of "
		    "letters, digits and '_', not SECRETPACK_*, LD_*, PATH and other loader or shell "
		    "variables)", name);
	for (size_t i = 0; i < o->n_env_map; i++)
		if (strncmp(o->env_map[i], arg, nl + 1) == 0)
			return sp_usage_error("run", "--env %s: given twice", name);
	if (o->n_env_map == ENV_MAP_MAX)
		return sp_usage_error("run", "too many --env (at most %d)", ENV_MAP_MAX);
	o->env_map[o->n_env_map++] = arg;
	return EXIT_OK;
}

/* --not-before: a date means its first second; a duration counts back from now. */
static int not_before(struct run_opts *o, const char *val)
{
	const char *v = NULL;
	uint64_t t, now = sp_now();
	int rc;

	if ((rc = flag_or_env("--not-before", val, "SECRETPACK_NOT_BEFORE", NULL, &v)) != EXIT_OK)
		return rc;
	if (v == NULL)
		return EXIT_OK;
	if (sp_time_parse(&t, v, 0) != SP_OK)
		return sp_usage_error("run", "--not-before '%s': %s", v, sp_err_str(SP_ERR_TIME));
	if (strlen(v) >= 5 && v[4] == '-')
		o->not_before = strlen(v) == 10 ? t - 86399 : t;
	else if (t < now)
		o->not_before = now - t;
	else
		return sp_usage_error("run", "--not-before '%s': reaches back before 1970", v);
	if (o->not_before == 0)
		o->not_before = 1;
	o->not_before_text = v;
	return EXIT_OK;
}

static int init_var(struct run_opts *o)
{
	const char *v = NULL;
	int rc;

	if ((rc = flag_or_env("--init", NULL, "SECRETPACK_INIT", NULL, &v)) != EXIT_OK)
		return rc;
	if (v == NULL || strcmp(v, "0") == 0)
		return EXIT_OK;
	if (strcmp(v, "1") != 0)
		return sp_usage_error("run", "SECRETPACK_INIT=%s (the variable of --init): expected 1 "
		    "or 0", v);
	o->init = 1;
	return EXIT_OK;
}

/* --group GID: a number (a pod's fsGroup has no name in the image). */
static int group_arg(struct run_opts *o, const char *v)
{
	char *end;
	unsigned long g;

	errno = 0;
	g = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || g >= 0xffffffffUL)
		return sp_usage_error("run", "--group '%s': expected a numeric gid (e.g. the pod's "
		    "fsGroup, --group 2000)", v);
	o->group = (gid_t)g;
	return EXIT_OK;
}

/* EXIT_OK, EXIT_USAGE, or -1 after -h. */
static int parse_args(struct run_opts *o, int argc, char **argv)
{
	enum { O_BUNDLE = 256, O_DIR, O_USER, O_CONTEXT, O_INIT, O_KEEP, O_DISK, O_NNP, O_UNLINK,
	    O_ALLOW, O_ENV, O_TRUST, O_NOT_BEFORE, O_DELIVER, O_GROUP };
	static const struct option opts[] = {
		{ "bundle", required_argument, 0, O_BUNDLE }, { "dir", required_argument, 0, O_DIR },
		{ "user", required_argument, 0, O_USER }, { "context", required_argument, 0, O_CONTEXT },
		{ "init", no_argument, 0, O_INIT }, { "keep-env", required_argument, 0, O_KEEP },
		{ "allow-disk", no_argument, 0, O_DISK }, { "allow-new-privs", no_argument, 0, O_NNP },
		{ "unlink-key", no_argument, 0, O_UNLINK }, { "env-allow", required_argument, 0, O_ALLOW },
		{ "env", required_argument, 0, O_ENV }, { "help", no_argument, 0, 'h' },
		{ "trust", required_argument, 0, O_TRUST },
		{ "not-before", required_argument, 0, O_NOT_BEFORE },
		{ "deliver", no_argument, 0, O_DELIVER }, { "group", required_argument, 0, O_GROUP },
		{ 0, 0, 0, 0 },
	};
	const char *allow[ENV_ALLOW_MAX], *bundle_env = NULL, *nb = NULL, *trust_env = NULL;
	size_t n_allow = 0;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case O_BUNDLE:
			if ((rc = nonempty("--bundle", "SECRETPACK_BUNDLE", optarg)) != EXIT_OK)
				return rc;
			if (o->n_bundles == BUNDLES_MAX)
				return sp_usage_error("run", "too many --bundle");
			o->bundles[o->n_bundles++] = optarg;
			break;
		case O_DIR:
			if ((rc = nonempty("--dir", "SECRETPACK_DIR", optarg)) != EXIT_OK)
				return rc;
			o->dir = optarg;
			break;
		case O_USER:
			if ((rc = nonempty("--user", "SECRETPACK_USER", optarg)) != EXIT_OK)
				return rc;
			o->user = optarg;
			break;
		case O_CONTEXT:
			if ((rc = nonempty("--context", "SECRETPACK_CONTEXT", optarg)) != EXIT_OK)
				return rc;
			o->context = optarg;
			break;
		case O_INIT: o->init = 1; break;
		case O_KEEP:
			if ((rc = keep_env(o, optarg)) != EXIT_OK)
				return rc;
			break;
		case O_DISK: o->allow_disk = 1; break;
		case O_NNP: o->allow_new_privs = 1; break;
		case O_UNLINK: o->unlink_key = 1; break;
		case O_ALLOW:
			if ((rc = nonempty("--env-allow", "SECRETPACK_ENV_ALLOW", optarg)) != EXIT_OK)
				return rc;
			if (n_allow == ENV_ALLOW_MAX)
				return sp_usage_error("run", "too many --env-allow patterns (at most %d)",
				    ENV_ALLOW_MAX);
			allow[n_allow++] = optarg;
			break;
		case O_ENV:
			if ((rc = env_map(o, optarg)) != EXIT_OK)
				return rc;
			break;
		case O_TRUST:
			if ((rc = nonempty("--trust", "SECRETPACK_TRUST", optarg)) != EXIT_OK)
				return rc;
			if (sp_cli_trust_add("run", "--trust", optarg, &o->trust) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case O_NOT_BEFORE: nb = optarg; break;
		case O_DELIVER: o->deliver = 1; break;
		case O_GROUP:
			if ((rc = group_arg(o, optarg)) != EXIT_OK)
				return rc;
			break;
		case 'h': (void)fputs(run_usage, stdout); return -1;
		case ':': return sp_usage_error("run", "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error("run", "unknown option %s", argv[optind - 1]);
		}
	}
	if (o->deliver || o->group != (gid_t)-1) {
		if ((rc = run_deliver_args(o, argc - optind)) != EXIT_OK)
			return rc;
	} else if (optind >= argc)
		return sp_usage_error("run", "no command: pass -- COMMAND [ARG...]");
	o->cmd = argv + optind;
	if ((rc = flag_or_env("--bundle", NULL, "SECRETPACK_BUNDLE", DEFAULT_BUNDLE, &bundle_env)) != EXIT_OK)
		return rc;
	if (o->n_bundles == 0)
		o->bundles[o->n_bundles++] = bundle_env;
	if ((rc = flag_or_env("--dir", o->dir, "SECRETPACK_DIR", DEFAULT_DIR, &o->dir)) != EXIT_OK ||
	    (rc = flag_or_env("--user", o->user, "SECRETPACK_USER", NULL, &o->user)) != EXIT_OK ||
	    (rc = flag_or_env("--context", o->context, "SECRETPACK_CONTEXT", NULL, &o->context)) != EXIT_OK ||
	    (rc = init_var(o)) != EXIT_OK || (rc = env_allow_var(o)) != EXIT_OK ||
	    (rc = not_before(o, nb)) != EXIT_OK)
		return rc;
	if (o->trust.n == 0) {
		if ((rc = flag_or_env("--trust", NULL, "SECRETPACK_TRUST", NULL, &trust_env)) != EXIT_OK)
			return rc;
		if (sp_cli_trust_env("run", &o->trust) != EXIT_OK)
			return EXIT_USAGE;
	}
	for (size_t i = 0; i < n_allow; i++)
		if ((rc = env_allow(o, allow[i], "--env-allow")) != EXIT_OK)
			return rc;
	if (o->deliver && (o->user != NULL || o->init || o->n_allow > 0))
		return sp_usage_error("run", "--deliver: %s is set, but nothing is started: unset it",
		    o->user != NULL ? "SECRETPACK_USER" : o->init ? "SECRETPACK_INIT" :
		    "--env-allow (or SECRETPACK_ENV_ALLOW)");
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
	r.o.group = (gid_t)-1;
	run_take_key_fds(&r);
	if ((rc = parse_args(&r.o, argc, argv)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	no_dumps(&r);
	if (sp_fds_snapshot(&r.fds) != SP_OK)
		return sp_fail("run: cannot list open descriptors: %s", strerror(errno));
	if (copy_environ(&r) != EXIT_OK) {
		release(&r);
		return EXIT_FAIL;
	}
	if (r.o.deliver) {
		rc = run_deliver(&r);
		release(&r);
		return rc;
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
