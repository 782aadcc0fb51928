/* cmd_run_key.c - `secretpack run`: the identity or passphrase, from the environment or a descriptor. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include "cli.h"
#include "sp_err.h"
#include "sp_io.h"
#include "run.h"

/* ---- key ---- */

static int is_set(const char *var)
{
	const char *v = getenv(var);
	return v != NULL && *v;
}

static int key_from_fd(struct run *r, const char *s)
{
	unsigned char *text = NULL;
	size_t len = 0, bad = 0;
	char *end;
	long fd;
	int err;

	errno = 0;
	fd = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || fd < 0 || fd > INT_MAX || fcntl((int)fd, F_GETFD) < 0)
		return sp_fail("run: SECRETPACK_KEY_FD=%s: not an open file descriptor", s);
	err = sp_io_read_fd((int)fd, KEY_MAX, 1, &text, &len);
	(void)close((int)fd);
	sp_fds_forget(&r->fds, (int)fd);
	if (err != SP_OK)
		return sp_fail_path("run", "SECRETPACK_KEY_FD", err);
	err = sp_identities_parse(&r->ids, (const char *)text, len, sp_io_identity_pass, NULL, &bad);
	sp_io_free(text, len, 1);
	if (err == SP_ERR_WRONG_PASS)
		return sp_fail("run: SECRETPACK_KEY_FD: wrong passphrase for the encrypted identity");
	if (err != SP_OK && bad > 0)
		return sp_fail("run: SECRETPACK_KEY_FD: line %zu: %s", bad, sp_err_str(err));
	if (err != SP_OK)
		return sp_fail("run: SECRETPACK_KEY_FD: %s", sp_err_str(err));
	return EXIT_OK;
}

static void unlink_key(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) != 0 || ((unsigned long)sf.f_type != (unsigned long)TMPFS_MAGIC &&
	    (unsigned long)sf.f_type != (unsigned long)RAMFS_MAGIC)) {
		sp_fail("run: warning: %s is not on a tmpfs: not removed (--unlink-key)", path);
		return;
	}
	if (unlink(path) != 0)
		sp_fail("run: warning: %s: cannot remove it (--unlink-key): %s", path, strerror(errno));
}

/* sodium_malloc locks key pages but carries on silently when it may not: say so, once. */
static void warn_unlockable(void)
{
	unsigned char probe[64];

	memset(probe, 0, sizeof probe);
	if (mlock(probe, sizeof probe) != 0) {
		(void)sp_fail("run: warning: memory locking refused (%s): key pages may reach swap; "
		    "raise RLIMIT_MEMLOCK (docker run --ulimit memlock=1048576)", strerror(errno));
		return;
	}
	(void)munlock(probe, sizeof probe);
}

int run_load_key(struct run *r)
{
	int have_key = is_set("SECRETPACK_KEY") || is_set("SECRETPACK_KEY_FILE") ||
	    is_set("SECRETPACK_KEY_FD");
	int have_pass = is_set("SECRETPACK_PASSPHRASE") || is_set("SECRETPACK_PASSPHRASE_FILE");
	const char *key_file, *key_fd;
	int err;

	if (have_key || have_pass)
		warn_unlockable();
	if (!have_key && !have_pass)
		return sp_fail("run: no key: set SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD or SECRETPACK_KEY "
		    "(or SECRETPACK_PASSPHRASE_FILE for passphrase bundles)");
	if (is_set("SECRETPACK_KEY") || is_set("SECRETPACK_KEY_FILE")) {
		if (sp_cli_identities("run", NULL, &r->ids) != EXIT_OK)
			return EXIT_FAIL;
		key_file = getenv("SECRETPACK_KEY_FILE");
		if (r->o.unlink_key && !is_set("SECRETPACK_KEY") && key_file != NULL && *key_file)
			unlink_key(key_file);
	} else if ((key_fd = getenv("SECRETPACK_KEY_FD")) != NULL && *key_fd) {
		if (key_from_fd(r, key_fd) != EXIT_OK)
			return EXIT_FAIL;
	}
	if (have_pass) {
		err = sp_io_passphrase(&r->pass, &r->pass_len, "Passphrase for the bundle: ", 0);
		if (err != SP_OK)
			return sp_fail_pass("run", err);
	}
	return EXIT_OK;
}

void run_wipe_key(struct run *r)
{
	sp_identities_free(&r->ids);
	if (r->pass != NULL)
		sp_io_free((unsigned char *)r->pass, r->pass_len, 1);
	r->pass = NULL;
	r->pass_len = 0;
	sp_env_wipe_secrets(r->env0);
}
