/* run.h - shared by the files of `secretpack run` (cmd_run*.c): options and the state of one run. */
#ifndef SP_RUN_H
#define SP_RUN_H

#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_exec.h"
#include "sp_identity.h"
#include "sp_user.h"
#include "sp_vault.h"

#define DEFAULT_BUNDLE "/etc/secretpack/bundle.spk"
#define DEFAULT_DIR "/run/secrets"
#define BUNDLES_MAX 64
#define KEEP_MAX 64
#define ENV_ALLOW_MAX 64
#define ENV_MAP_MAX 64
#define ENV_ALLOW_ENV_MAX 4096    /* SECRETPACK_ENV_ALLOW, copied into run_opts */
#define KEY_MAX (1u << 20)
#define TMPFS_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

struct run_opts {
	const char *bundles[BUNDLES_MAX];
	size_t n_bundles;
	const char *dir, *user, *context;
	const char *keep[KEEP_MAX];
	size_t n_keep;
	int init, allow_disk, allow_new_privs, unlink_key;
	char **cmd;
	/* --env-allow patterns: SECRETPACK_ENV_ALLOW's first (split in allow_env), then the flags */
	const char *allow[ENV_ALLOW_MAX];
	size_t n_allow;
	char allow_env[ENV_ALLOW_ENV_MAX];
	const char *env_map[ENV_MAP_MAX]; /* --env VAR=ENTRY */
	size_t n_env_map;
	struct sp_trust trust;    /* --trust / SECRETPACK_TRUST: required signers */
	const char *not_before_text; /* --not-before / SECRETPACK_NOT_BEFORE, as given */
	uint64_t not_before;      /* 0 = none */
	int deliver;              /* --deliver: write the secrets and exit (cmd_run_deliver.c) */
	gid_t group;              /* --group GID with --deliver, or (gid_t)-1 */
};

struct run {
	struct run_opts o;
	sp_fdset fds;
	char **env0;              /* the initial environ array, for wiping in place */
	struct rlimit core;       /* restored for the app */
	char *passwd, *group;
	size_t passwd_len, group_len;
	sp_user user;
	int has_user;
	uid_t uid;                /* owner of DIR and entries; -1: as created */
	gid_t gid;
	sp_identities ids;
	char *pass;
	size_t pass_len;
	char dir[PATH_MAX];       /* absolute */
	int dirfd;
	int made_dir, mounted;
	sp_vault *v;
	int committed;
	int cleared;              /* DIR taken over and emptied: all in it is this run's */
	pid_t guard;              /* exec mode: the helper that cleans up if exec fails, or 0 */
	int guard_fd;             /* its pipe (close-on-exec), or -1 */
	int held;                 /* signals held (run_signals_hold) */
	sigset_t old_mask;        /* as found, restored for the app */
	struct sigaction old_xfsz;
	sp_entry *entries;        /* of every bundle, for collisions, env and --init cleanup */
	size_t *entry_bundle;
	size_t n_entries;
	sp_env env;
	int key_fd;               /* SECRETPACK_KEY_FD moved to a close-on-exec descriptor, or -1 */
	int key_fd_bad;           /* SECRETPACK_KEY_FD was set but named no open descriptor */
	char key_warn[PATH_MAX];  /* the key file the app can read too (non-root shim), or "" */
};

/* Takes every SECRETPACK_*_FD descriptor out of reach of the app before anything else runs:
 * SECRETPACK_KEY_FD is moved to a close-on-exec copy (r->key_fd), the original closed. */
void run_take_key_fds(struct run *r);
/* Each prints its own one-line message and returns EXIT_OK or EXIT_FAIL unless said otherwise. */
int run_load_user(struct run *r);
int run_load_key(struct run *r);
void run_wipe_key(struct run *r);
/* The one warning line when the shim runs as the app's own uid and the app can read the key. */
void run_key_warning(const struct run *r);
int run_open_dir(struct run *r);
int run_open_bundle(struct run *r, size_t bi);
int run_finish_dir(struct run *r);
int run_build_env(struct run *r);
/* ": the container needs ..." for a root shim refused with EPERM/EACCES, else "". */
const char *run_cap_hint(int e);
/* Removes the committed secrets (unmounts the tmpfs the shim mounted). */
void run_remove_secrets(struct run *r);
/* Leaves nothing behind after a failure before the app started. */
void run_undo(struct run *r);
/* From the first write on, set-up runs with the terminating signals blocked and SIGXFSZ ignored
 * (a write past the file size limit fails instead of killing the shim half-way). */
void run_signals_hold(struct run *r);
/* The terminating signal that arrived while held, or 0; consumes it. */
int run_signals_pending(const struct run *r);
/* Puts the signal mask and SIGXFSZ back as found, for the app. */
void run_signals_release(struct run *r);
/* Exec mode, when privileged and DIR is a tmpfs the shim mounted: forks a helper that keeps the
 * privileges to unmount it if the exec fails (run_undo tells it); it exits as soon as the exec
 * succeeds. Otherwise no helper: the dropped process owns DIR and its entries and removes them. */
int run_guard_start(struct run *r);
/* Drops to the user and execs; returns only on failure, with the exit status. */
int run_start_app(struct run *r);
/* DIR made absolute and checked like `run` does (parents owned by root or us, not writable). */
int run_check_dir_path(struct run *r);
/* --deliver: checks the flags that make no sense without a command; EXIT_OK or EXIT_USAGE. */
int run_deliver_args(const struct run_opts *o, int n_cmd);
/* --deliver: opens the bundles into DIR and exits without starting anything; EXIT_OK/EXIT_FAIL,
 * or 128+N after a terminating signal. Nothing is left half-written on failure. */
int run_deliver(struct run *r);
/* --deliver: the mode an entry gets (owner bits of the bundle's, group read with --group). */
uint32_t run_deliver_mode(const struct run *r, uint32_t mode);
/* --init: forks the app, stays as its init, removes the secrets when it ends; its status. */
int run_init_mode(struct run *r);

#endif
