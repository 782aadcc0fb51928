/* test_vault.c - all-or-nothing staging and commit against a hostile destination directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "unit.h"
#include "sp_err.h"
#include "sp_vault.h"

#define NOID ((uid_t)-1)
#define NOGID ((gid_t)-1)

typedef struct {
	char path[64];
	int fd;
} tdir;

static int setup(void **state)
{
	tdir *d = calloc(1, sizeof *d);
	if (d == NULL)
		return -1;
	snprintf(d->path, sizeof d->path, "/tmp/sptest-vault.XXXXXX");
	if (mkdtemp(d->path) == NULL)
		return -1;
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = d;
	return d->fd < 0 ? -1 : 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(p);
	return 0;
}

static int chmod_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && S_ISDIR(st->st_mode))
		chmod(p, 0700);
	return 0;
}

static int teardown(void **state)
{
	tdir *d = *state;
	close(d->fd);
	nftw(d->path, chmod_one, 16, FTW_PHYS);
	nftw(d->path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
	return 0;
}

/* Giving files to another user needs root (CAP_CHOWN). */
static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

static sp_entry entry(const char *name, uint64_t size, uint32_t mode)
{
	sp_entry e;
	memset(&e, 0, sizeof e);
	snprintf(e.name, sizeof e.name, "%s", name);
	e.size = size;
	e.mode = mode;
	return e;
}

static int stage(sp_vault *v, const char *name, const char *text, uint32_t mode)
{
	sp_entry e = entry(name, strlen(text), mode);
	int err = sp_vault_open_entry(v, &e, NOID, NOGID);
	if (err == SP_OK)
		err = sp_vault_write(v, (const unsigned char *)text, strlen(text));
	if (err == SP_OK)
		err = sp_vault_close_entry(v);
	return err;
}

static void write_file(int dirfd, const char *name, const char *text)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_content(int dirfd, const char *name, const char *text)
{
	char buf[256];
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, text);
}

static mode_t mode_of(int dirfd, const char *name)
{
	struct stat st;
	assert_int_equal(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode;
}

/* Names in the directory, excluding "." and "..". */
static int count_names(const char *path, int *reserved)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	int n = 0;
	*reserved = 0;
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strncmp(de->d_name, SP_RESERVED_PREFIX, strlen(SP_RESERVED_PREFIX)) == 0)
			(*reserved)++;
		n++;
	}
	closedir(dir);
	return n;
}

static void assert_no_staging(const tdir *d)
{
	int reserved;
	count_names(d->path, &reserved);
	assert_int_equal(reserved, 0);
}

static void t_commit_modes(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	struct stat st;

	need_root();
	assert_int_equal(sp_vault_begin(&v, d->fd, 65534, 65534, 0500), SP_OK);
	assert_int_equal(stage(v, "db_password", "hunter2", 0400), SP_OK);
	assert_int_equal(stage(v, "tls.key", "KEY", 0440), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_content(d->fd, "db_password", "hunter2");
	assert_content(d->fd, "tls.key", "KEY");
	assert_int_equal(mode_of(d->fd, "db_password") & 07777, 0400);
	assert_int_equal(mode_of(d->fd, "tls.key") & 07777, 0440);
	assert_int_equal(fstatat(d->fd, "tls.key", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	assert_no_staging(d);
}

static void t_entry_owner_override(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	sp_entry e = entry("cert", 1, 0444);
	struct stat st;

	need_root();
	assert_int_equal(sp_vault_begin(&v, d->fd, 65534, 65534, 0500), SP_OK);
	assert_int_equal(sp_vault_open_entry(v, &e, 1000, 2000), SP_OK);
	assert_int_equal(sp_vault_write(v, (const unsigned char *)"x", 1), SP_OK);
	assert_int_equal(sp_vault_close_entry(v), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_int_equal(fstatat(d->fd, "cert", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 2000);
}

static void t_nested(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	struct stat st;

	need_root();
	assert_int_equal(sp_vault_begin(&v, d->fd, 65534, 65534, 0500), SP_OK);
	assert_int_equal(stage(v, "db/primary/password", "p1", 0400), SP_OK);
	assert_int_equal(stage(v, "db/replica", "p2", 0400), SP_OK);
	assert_int_equal(stage(v, "top", "t", 0400), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_content(d->fd, "db/primary/password", "p1");
	assert_content(d->fd, "db/replica", "p2");
	assert_int_equal(fstatat(d->fd, "db", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0500);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(fstatat(d->fd, "db/primary", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0500);
	assert_int_equal(st.st_gid, 65534);
	assert_no_staging(d);
}

/* A refused commit moves nothing: the entry staged before the bad one is not in the directory. */
static void assert_refused(tdir *d, const char *name)
{
	sp_vault *v;
	int reserved, n_before, n_after;

	n_before = count_names(d->path, &reserved);
	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(stage(v, "aaa_first", "1", 0400), SP_OK);
	assert_int_equal(stage(v, name, "secret", 0400), SP_OK);
	assert_int_equal(stage(v, "zzz_last", "1", 0400), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_ERR_UNSAFE_PATH);
	sp_vault_free(v);
	n_after = count_names(d->path, &reserved);
	assert_int_equal(n_after, n_before);
	assert_int_equal(reserved, 0);
	assert_int_equal(faccessat(d->fd, "aaa_first", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

static void t_symlink_planted(void **state)
{
	tdir *d = *state;
	write_file(d->fd, "outside", "original");
	assert_int_equal(symlinkat("outside", d->fd, "key"), 0);
	assert_refused(d, "key");
	assert_content(d->fd, "outside", "original");
	assert_true(S_ISLNK(mode_of(d->fd, "key")));
}

static void t_dangling_symlink_planted(void **state)
{
	tdir *d = *state;
	assert_int_equal(symlinkat("created_by_us", d->fd, "key"), 0);
	assert_refused(d, "key");
	assert_int_equal(faccessat(d->fd, "created_by_us", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

static void t_fifo_planted(void **state)
{
	tdir *d = *state;
	assert_int_equal(mkfifoat(d->fd, "key", 0666), 0);
	assert_refused(d, "key");
	assert_true(S_ISFIFO(mode_of(d->fd, "key")));
}

static void t_dir_planted(void **state)
{
	tdir *d = *state;
	assert_int_equal(mkdirat(d->fd, "key", 0755), 0);
	assert_refused(d, "key");
	assert_true(S_ISDIR(mode_of(d->fd, "key")));
}

/* A directory nobody else may write to, of our own, is merged into: an earlier run's. */
static void t_dir_merged(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	struct stat st;

	need_root();
	assert_int_equal(mkdirat(d->fd, "db", 0755), 0);
	assert_int_equal(mkdirat(d->fd, "db/primary", 0500), 0);
	write_file(d->fd, "db/keep", "unrelated");
	write_file(d->fd, "db/replica", "old");
	assert_int_equal(sp_vault_begin(&v, d->fd, 65534, 65534, 0500), SP_OK);
	assert_int_equal(stage(v, "db/primary/password", "p1", 0400), SP_OK);
	assert_int_equal(stage(v, "db/replica", "p2", 0400), SP_OK);
	assert_int_equal(stage(v, "db/new/x", "p3", 0400), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_content(d->fd, "db/primary/password", "p1");
	assert_content(d->fd, "db/replica", "p2");
	assert_content(d->fd, "db/new/x", "p3");
	assert_content(d->fd, "db/keep", "unrelated");
	assert_int_equal(fstatat(d->fd, "db", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0500);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(fstatat(d->fd, "db/primary", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0500);
	assert_int_equal(fstatat(d->fd, "db/new", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0500);
	assert_int_equal(st.st_uid, 65534);
	assert_no_staging(d);
}

/* The same entries again into the same directory: everything replaced, nothing refused. */
static void t_rerun(void **state)
{
	tdir *d = *state;
	uid_t uid = geteuid() == 0 ? 65534 : NOID; /* without root: our own, 0500 dirs */
	gid_t gid = geteuid() == 0 ? 65534 : NOGID;
	int round;

	for (round = 0; round < 2; round++) {
		sp_vault *v;
		const char *text = round ? "second" : "first";
		assert_int_equal(sp_vault_begin(&v, d->fd, uid, gid, 0500), SP_OK);
		assert_int_equal(stage(v, "top", text, 0400), SP_OK);
		assert_int_equal(stage(v, "a/b/c", text, 0400), SP_OK);
		assert_int_equal(sp_vault_commit(v), SP_OK);
		sp_vault_free(v);
		assert_content(d->fd, "top", text);
		assert_content(d->fd, "a/b/c", text);
	}
	assert_no_staging(d);
}

/* Directories someone else could write to, or someone else's, are never merged into. */
static void t_dir_foreign(void **state)
{
	tdir *d = *state;
	struct stat st;

	assert_int_equal(mkdirat(d->fd, "db", 0700), 0);
	assert_int_equal(fchmodat(d->fd, "db", 0777, 0), 0);
	assert_refused(d, "db/password");
	assert_int_equal(faccessat(d->fd, "db/password", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(fchmodat(d->fd, "db", 01770, 0), 0);
	assert_refused(d, "db/password");
	assert_int_equal(fstatat(d->fd, "db", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 01770);
	if (geteuid() == 0) {
		assert_int_equal(fchmodat(d->fd, "db", 0755, 0), 0);
		assert_int_equal(fchownat(d->fd, "db", 1234, 1234, 0), 0);
		assert_refused(d, "db/password");
		assert_int_equal(faccessat(d->fd, "db/password", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	}
}

/* Inside a merged directory the same rules hold: a symlink at an entry path is refused, and
 * the merged directory gets its mode back. */
static void t_merged_symlink(void **state)
{
	tdir *d = *state;
	struct stat st;

	write_file(d->fd, "outside", "original");
	assert_int_equal(mkdirat(d->fd, "db", 0750), 0);
	assert_int_equal(symlinkat("../outside", d->fd, "db/password"), 0);
	assert_refused(d, "db/password");
	assert_content(d->fd, "outside", "original");
	assert_true(S_ISLNK(mode_of(d->fd, "db/password")));
	assert_int_equal(fstatat(d->fd, "db", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
}

/* A symlink to a directory where a staged directory goes is never traversed. */
static void t_symlink_dir_planted(void **state)
{
	tdir *d = *state;
	assert_int_equal(mkdirat(d->fd, "elsewhere", 0755), 0);
	assert_int_equal(symlinkat("elsewhere", d->fd, "db"), 0);
	assert_refused(d, "db/password");
	assert_int_equal(faccessat(d->fd, "elsewhere/password", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

/* A regular file where a staged directory goes is refused too. */
static void t_file_where_dir(void **state)
{
	tdir *d = *state;
	write_file(d->fd, "db", "x");
	assert_refused(d, "db/password");
	assert_content(d->fd, "db", "x");
}

static void t_regular_replaced(void **state)
{
	tdir *d = *state;
	sp_vault *v;

	write_file(d->fd, "key", "old contents that are longer");
	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(stage(v, "key", "new", 0400), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_content(d->fd, "key", "new");
	assert_int_equal(mode_of(d->fd, "key") & 07777, 0400);
}

static void t_hardlink_planted(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	struct stat st;

	write_file(d->fd, "outside", "original");
	assert_int_equal(linkat(d->fd, "outside", d->fd, "key", 0), 0);
	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(stage(v, "key", "secret", 0400), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_content(d->fd, "outside", "original");
	assert_content(d->fd, "key", "secret");
	assert_int_equal(fstatat(d->fd, "key", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(fstatat(d->fd, "outside", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_nlink, 1);
}

/* Until close_entry a staged file is 0600 and ours, so a partial file is never readable. */
static void t_partial_private(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	sp_entry e = entry("key", 4, 0444);
	char stage_path[512], path[600];
	DIR *dir;
	struct dirent *de;
	struct stat st;

	need_root();
	assert_int_equal(sp_vault_begin(&v, d->fd, 65534, 65534, 0500), SP_OK);
	assert_int_equal(sp_vault_open_entry(v, &e, NOID, NOGID), SP_OK);
	assert_int_equal(sp_vault_write(v, (const unsigned char *)"ab", 2), SP_OK);
	dir = opendir(d->path);
	assert_non_null(dir);
	stage_path[0] = '\0';
	while ((de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, SP_RESERVED_PREFIX "-stage-", strlen(SP_RESERVED_PREFIX) + 7) == 0)
			snprintf(stage_path, sizeof stage_path, "%s/%s", d->path, de->d_name);
	closedir(dir);
	assert_true(stage_path[0] != '\0');
	assert_int_equal(lstat(stage_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
	snprintf(path, sizeof path, "%s/key", stage_path);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	sp_vault_free(v);
	assert_int_equal(lstat(stage_path, &st), -1);
	assert_no_staging(d);
}

static void t_size_short(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	sp_entry e = entry("short", 10, 0400);
	int reserved;

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(stage(v, "good", "ok", 0400), SP_OK);
	assert_int_equal(sp_vault_open_entry(v, &e, NOID, NOGID), SP_OK);
	assert_int_equal(sp_vault_write(v, (const unsigned char *)"abc", 3), SP_OK);
	assert_int_equal(sp_vault_close_entry(v), SP_ERR_PAYLOAD);
	sp_vault_free(v);
	assert_int_equal(count_names(d->path, &reserved), 0);
}

static void t_size_long(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	sp_entry e = entry("long", 2, 0400);
	int reserved;

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(sp_vault_open_entry(v, &e, NOID, NOGID), SP_OK);
	assert_int_equal(sp_vault_write(v, (const unsigned char *)"abc", 3), SP_ERR_PAYLOAD);
	sp_vault_free(v);
	assert_int_equal(count_names(d->path, &reserved), 0);
}

static void t_too_big(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	sp_entry e = entry("big", SP_ENTRY_SIZE_MAX + 1, 0400);

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(sp_vault_open_entry(v, &e, NOID, NOGID), SP_ERR_LIMIT);
	sp_vault_free(v);
	assert_no_staging(d);
}

static void t_duplicates(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	int reserved;

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(stage(v, "a", "1", 0400), SP_OK);
	assert_int_equal(stage(v, "a", "2", 0400), SP_ERR_DUPLICATE);
	assert_int_equal(stage(v, "a/b", "3", 0400), SP_ERR_DUPLICATE);
	assert_int_equal(stage(v, "d/x", "4", 0400), SP_OK);
	assert_int_equal(stage(v, "d", "5", 0400), SP_ERR_DUPLICATE);
	sp_vault_free(v);
	assert_int_equal(count_names(d->path, &reserved), 0);
}

static void t_bad_names(void **state)
{
	tdir *d = *state;
	static const char *const bad[] = {
		"", "/abs", "../up", "a/../b", "a//b", "a/", ".", "a/./b", "..",
		SP_RESERVED_PREFIX, SP_RESERVED_PREFIX "-stage-x", "1/2/3/4/5/6/7/8/9",
	};
	sp_vault *v;
	size_t i;

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sp_entry e = entry(bad[i], 0, 0400);
		print_message("# name '%s'\n", bad[i]);
		assert_int_equal(sp_vault_open_entry(v, &e, NOID, NOGID), SP_ERR_NAME);
	}
	sp_vault_free(v);
	assert_no_staging(d);
}

static void t_bad_args(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	sp_entry e = entry("x", 1, 0400), bad_mode = entry("y", 0, 01777);

	assert_int_equal(sp_vault_begin(&v, -1, NOID, NOGID, 0500), SP_ERR_ARG);
	assert_null(v);
	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 04700), SP_ERR_ARG);
	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(sp_vault_write(v, (const unsigned char *)"x", 1), SP_ERR_ARG);
	assert_int_equal(sp_vault_close_entry(v), SP_ERR_ARG);
	assert_int_equal(sp_vault_open_entry(v, &bad_mode, NOID, NOGID), SP_ERR_META);
	assert_int_equal(sp_vault_open_entry(v, &e, NOID, NOGID), SP_OK);
	assert_int_equal(sp_vault_open_entry(v, &e, NOID, NOGID), SP_ERR_ARG);
	assert_int_equal(sp_vault_commit(v), SP_ERR_ARG); /* entry still open */
	assert_int_equal(sp_vault_write(v, (const unsigned char *)"x", 1), SP_OK);
	assert_int_equal(sp_vault_close_entry(v), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_ERR_ARG);
	assert_int_equal(sp_vault_open_entry(v, &e, NOID, NOGID), SP_ERR_ARG);
	sp_vault_free(v);
	sp_vault_free(NULL);
}

/* Everything is created close-on-exec: no descriptor is left open after free. */
static void t_no_fd_leak(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	int probe_before, probe_after;

	probe_before = dup(0);
	close(probe_before);
	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(stage(v, "a/b/c", "1", 0400), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	probe_after = dup(0);
	close(probe_after);
	assert_int_equal(probe_after, probe_before);
}

static void t_remove(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	sp_entry e[3];
	int reserved;

	need_root();
	e[0] = entry("a", 1, 0400);
	e[1] = entry("db/primary/password", 2, 0400);
	e[2] = entry("db/replica", 2, 0400);
	assert_int_equal(sp_vault_begin(&v, d->fd, 65534, 65534, 0500), SP_OK);
	assert_int_equal(stage(v, "a", "1", 0400), SP_OK);
	assert_int_equal(stage(v, "db/primary/password", "p1", 0400), SP_OK);
	assert_int_equal(stage(v, "db/replica", "p2", 0400), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	write_file(d->fd, "app_file", "kept");
	assert_int_equal(sp_vault_remove(d->fd, e, 3), SP_OK);
	assert_int_equal(count_names(d->path, &reserved), 1);
	assert_content(d->fd, "app_file", "kept");
	/* Again: missing entries are fine. */
	assert_int_equal(sp_vault_remove(d->fd, e, 3), SP_OK);
	assert_int_equal(sp_vault_remove(-1, e, 3), SP_ERR_ARG);
}

/* A directory the app swapped for a symlink is not followed while cleaning up. */
static void t_remove_symlink(void **state)
{
	tdir *d = *state;
	sp_entry e[2];

	e[0] = entry("db/password", 1, 0400);
	e[1] = entry("x", 1, 0400);
	assert_int_equal(mkdirat(d->fd, "elsewhere", 0755), 0);
	write_file(d->fd, "elsewhere/password", "victim");
	assert_int_equal(symlinkat("elsewhere", d->fd, "db"), 0);
	write_file(d->fd, "x", "1");
	assert_int_equal(sp_vault_remove(d->fd, e, 2), SP_ERR_UNSAFE_PATH);
	assert_content(d->fd, "elsewhere/password", "victim");
	assert_true(S_ISLNK(mode_of(d->fd, "db")));
	/* It kept going: the other entry is gone. */
	assert_int_equal(faccessat(d->fd, "x", F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

/* A subdirectory holding something else stays; the entry in it goes. */
static void t_remove_keeps_foreign(void **state)
{
	tdir *d = *state;
	sp_entry e = entry("db/password", 1, 0400);

	assert_int_equal(mkdirat(d->fd, "db", 0700), 0);
	write_file(d->fd, "db/password", "1");
	write_file(d->fd, "db/other", "2");
	assert_int_equal(fchmodat(d->fd, "db", 0500, 0), 0);
	assert_int_equal(sp_vault_remove(d->fd, &e, 1), SP_OK);
	assert_int_equal(faccessat(d->fd, "db/password", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_content(d->fd, "db/other", "2");
}

/* A move that fails half-way (here: the destination is a mount point, EBUSY) takes back what
 * was already moved, so nothing of the run is left. Needs a private mount namespace. */
static int child_rollback(const tdir *d)
{
	sp_vault *v;
	char path[128];
	int reserved;

	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 77;
	if (mkdirat(d->fd, "mmm", 0500) != 0)
		return 6;
	write_file(d->fd, "zzz_busy", "mounted over");
	write_file(d->fd, "source", "bind source");
	snprintf(path, sizeof path, "%s/zzz_busy", d->path);
	{
		char src[128];
		snprintf(src, sizeof src, "%s/source", d->path);
		if (mount(src, path, NULL, MS_BIND, NULL) != 0)
			return 77;
	}
	if (sp_vault_begin(&v, d->fd, NOID, NOGID, 0500) != SP_OK)
		return 1;
	if (stage(v, "aaa_new", "1", 0400) != SP_OK || stage(v, "mmm/nested", "2", 0400) != SP_OK ||
	    stage(v, "zzz_busy", "3", 0400) != SP_OK)
		return 2;
	if (sp_vault_commit(v) != SP_ERR_IO)
		return 3;
	sp_vault_free(v);
	if (faccessat(d->fd, "aaa_new", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(d->fd, "mmm/nested", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 4;
	/* mmm (merged, its mode back), zzz_busy, source: nothing else, no staging. */
	if (count_names(d->path, &reserved) != 3 || reserved != 0)
		return 5;
	{
		struct stat st;
		if (fstatat(d->fd, "mmm", &st, AT_SYMLINK_NOFOLLOW) != 0 || (st.st_mode & 07777) != 0500)
			return 7;
	}
	umount2(path, MNT_DETACH);
	return 0;
}

static void t_rollback(void **state)
{
	tdir *d = *state;
	int st, rc;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_rollback(d));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	rc = WEXITSTATUS(st);
	if (rc == 77)
		skip();
	assert_int_equal(rc, 0);
}

static void t_is_ram(void **state)
{
	int fd;
	(void)state;
	fd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		assert_int_equal(sp_vault_is_ram(fd), SP_OK);
		close(fd);
	}
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sp_vault_is_ram(fd), SP_ERR_NOT_TMPFS);
	close(fd);
	assert_int_equal(sp_vault_is_ram(-1), SP_ERR_IO);
}

/* ---- clearing what an earlier run left ---- */

static int clear(tdir *d, int how, char *bad, int *why)
{
	return sp_vault_clear(d->fd, 65534, how, bad, 256, why);
}

/* A stale staging directory (ours, private, with partial plaintext) goes in every mode. */
static void t_clear_stale_stage(void **state)
{
	tdir *d = *state;
	char bad[256];
	int why, reserved;

	assert_int_equal(mkdirat(d->fd, SP_RESERVED_PREFIX "-stage-0123456789ab", 0700), 0);
	assert_int_equal(mkdirat(d->fd, SP_RESERVED_PREFIX "-stage-0123456789ab/db", 0700), 0);
	write_file(d->fd, SP_RESERVED_PREFIX "-stage-0123456789ab/db/password", "partial");
	assert_int_equal(fchmodat(d->fd, SP_RESERVED_PREFIX "-stage-0123456789ab/db", 0500, 0), 0);
	assert_int_equal(clear(d, SP_CLEAR_EMPTY, bad, &why), SP_OK);
	assert_int_equal(count_names(d->path, &reserved), 0);
}

/* Without an earlier run anything there is refused, and nothing changes. */
static void t_clear_empty_refuses(void **state)
{
	tdir *d = *state;
	char bad[256];
	int why, reserved;

	write_file(d->fd, "keep", "mine");
	assert_int_equal(mkdirat(d->fd, SP_RESERVED_PREFIX "-stage-0123456789ab", 0700), 0);
	assert_int_equal(clear(d, SP_CLEAR_EMPTY, bad, &why), SP_ERR_UNSAFE_PATH);
	assert_string_equal(bad, "keep");
	assert_int_equal(why, SP_CLEAR_NOT_EMPTY);
	assert_int_equal(count_names(d->path, &reserved), 2);
	assert_content(d->fd, "keep", "mine");
}

/* What a run leaves (files, 0500 directories, nested) is removed. */
static void t_clear_earlier(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	char bad[256];
	int why, reserved;

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(stage(v, "top", "1", 0400), SP_OK);
	assert_int_equal(stage(v, "a/b/c", "2", 0400), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_int_equal(mkdirat(d->fd, "killed", 0700), 0); /* a run killed before the last chmod */
	assert_int_equal(clear(d, SP_CLEAR_EARLIER, bad, &why), SP_OK);
	assert_int_equal(count_names(d->path, &reserved), 0);
}

/* What `run --deliver --group` leaves (0550 directories) goes with SP_CLEAR_DELIVERED only. */
static void t_clear_delivered(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	char bad[256];
	int why, reserved;

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0550), SP_OK);
	assert_int_equal(stage(v, "a/b", "2", 0440), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_int_equal(clear(d, SP_CLEAR_EARLIER, bad, &why), SP_ERR_UNSAFE_PATH);
	assert_string_equal(bad, "a");
	assert_int_equal(why, SP_CLEAR_DIR_MODE);
	assert_int_equal(mkdirat(d->fd, "open", 0700), 0);
	assert_int_equal(fchmodat(d->fd, "open", 0750, 0), 0);
	assert_int_equal(clear(d, SP_CLEAR_DELIVERED, bad, &why), SP_ERR_UNSAFE_PATH);
	assert_string_equal(bad, "open");
	assert_int_equal(why, SP_CLEAR_DIR_MODE);
	assert_int_equal(unlinkat(d->fd, "open", AT_REMOVEDIR), 0);
	assert_int_equal(clear(d, SP_CLEAR_DELIVERED, bad, &why), SP_OK);
	assert_int_equal(count_names(d->path, &reserved), 0);
}

/* refused_earlier: planted by setup(), refused with WHY, and nothing at all removed. */
static void refused_earlier(tdir *d, const char *name, int want_why)
{
	char bad[256];
	int why, reserved, before;

	print_message("# refused: %s\n", name);
	write_file(d->fd, "aaa_ours", "1"); /* removable, but a refusal changes nothing */
	before = count_names(d->path, &reserved);
	assert_int_equal(clear(d, SP_CLEAR_EARLIER, bad, &why), SP_ERR_UNSAFE_PATH);
	assert_string_equal(bad, name);
	assert_int_equal(why, want_why);
	assert_int_equal(count_names(d->path, &reserved), before);
	assert_content(d->fd, "aaa_ours", "1");
}

static void t_clear_refuses(void **state)
{
	tdir *d = *state;

	write_file(d->fd, "outside", "victim");
	assert_int_equal(symlinkat("outside", d->fd, "link"), 0);
	refused_earlier(d, "link", SP_CLEAR_SYMLINK);
	assert_int_equal(unlinkat(d->fd, "link", 0), 0);
	assert_int_equal(unlinkat(d->fd, "outside", 0), 0);
	assert_int_equal(mkfifoat(d->fd, "fifo", 0600), 0);
	refused_earlier(d, "fifo", SP_CLEAR_SPECIAL);
	assert_int_equal(unlinkat(d->fd, "fifo", 0), 0);
	write_file(d->fd, "open", "x");
	assert_int_equal(fchmodat(d->fd, "open", 0666, 0), 0);
	refused_earlier(d, "open", SP_CLEAR_WRITABLE);
	assert_int_equal(unlinkat(d->fd, "open", 0), 0);
	write_file(d->fd, "one", "x");
	assert_int_equal(linkat(d->fd, "one", d->fd, "two", 0), 0);
	refused_earlier(d, "one", SP_CLEAR_LINKS);
	assert_int_equal(unlinkat(d->fd, "one", 0), 0);
	assert_int_equal(unlinkat(d->fd, "two", 0), 0);
	assert_int_equal(mkdirat(d->fd, "dir", 0700), 0);
	assert_int_equal(fchmodat(d->fd, "dir", 0755, 0), 0);
	refused_earlier(d, "dir", SP_CLEAR_DIR_MODE);
	assert_int_equal(fchmodat(d->fd, "dir", 0700, 0), 0);
	assert_int_equal(mkdirat(d->fd, "dir/sub", 0500), 0);
	assert_int_equal(symlinkat("/etc", d->fd, "dir/sub2"), 0);
	refused_earlier(d, "dir/sub2", SP_CLEAR_SYMLINK);
	assert_int_equal(unlinkat(d->fd, "dir/sub2", 0), 0);
	/* A staging name that is not a private directory of ours. */
	assert_int_equal(mkdirat(d->fd, SP_RESERVED_PREFIX "-stage-x", 0700), 0);
	assert_int_equal(fchmodat(d->fd, SP_RESERVED_PREFIX "-stage-x", 0755, 0), 0);
	refused_earlier(d, SP_RESERVED_PREFIX "-stage-x", SP_CLEAR_OWNER);
	if (geteuid() == 0) {
		assert_int_equal(fchmodat(d->fd, SP_RESERVED_PREFIX "-stage-x", 0700, 0), 0);
		assert_int_equal(fchownat(d->fd, SP_RESERVED_PREFIX "-stage-x", 1234, 1234, 0), 0);
		refused_earlier(d, SP_RESERVED_PREFIX "-stage-x", SP_CLEAR_OWNER);
		assert_int_equal(unlinkat(d->fd, SP_RESERVED_PREFIX "-stage-x", AT_REMOVEDIR), 0);
		write_file(d->fd, "theirs", "x");
		assert_int_equal(fchownat(d->fd, "theirs", 1234, 1234, 0), 0);
		refused_earlier(d, "theirs", SP_CLEAR_OWNER);
		/* The app's (uid given) is fine. */
		assert_int_equal(fchownat(d->fd, "theirs", 65534, 65534, 0), 0);
		{
			char bad[256];
			int why, reserved;
			assert_int_equal(clear(d, SP_CLEAR_EARLIER, bad, &why), SP_OK);
			assert_int_equal(count_names(d->path, &reserved), 0);
		}
	}
}

/* Purge removes everything, never through a symlink. */
static void t_clear_purge(void **state)
{
	tdir *d = *state;
	char bad[256], outside[128];
	int why, reserved, out;

	snprintf(outside, sizeof outside, "%s.out", d->path);
	assert_int_equal(mkdir(outside, 0700), 0);
	out = open(outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(out >= 0);
	write_file(out, "victim", "v");
	assert_int_equal(mkdirat(d->fd, "a", 0500), 0);
	assert_int_equal(symlinkat(outside, d->fd, "link"), 0);
	assert_int_equal(mkfifoat(d->fd, "fifo", 0600), 0);
	assert_int_equal(clear(d, SP_CLEAR_PURGE, bad, &why), SP_OK);
	assert_int_equal(count_names(d->path, &reserved), 0);
	assert_content(out, "victim", "v");
	unlinkat(out, "victim", 0);
	close(out);
	rmdir(outside);
	assert_int_equal(sp_vault_clear(-1, NOID, SP_CLEAR_PURGE, bad, sizeof bad, &why), SP_ERR_ARG);
	assert_int_equal(sp_vault_clear(d->fd, NOID, 0, bad, sizeof bad, &why), SP_ERR_ARG);
}

/* The staging directory renamed away before or during the commit: nothing of the run stays. */
static void t_stage_moved(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	DIR *dir;
	struct dirent *de;
	char sname[SP_NAME_MAX + 1] = "";
	int reserved;

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	assert_int_equal(stage(v, "key", "secret", 0400), SP_OK);
	assert_int_equal(stage(v, "db/password", "secret", 0400), SP_OK);
	dir = opendir(d->path);
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, SP_RESERVED_PREFIX "-stage-", strlen(SP_RESERVED_PREFIX) + 7) == 0)
			snprintf(sname, sizeof sname, "%s", de->d_name);
	closedir(dir);
	assert_true(sname[0] != '\0');
	assert_int_equal(renameat(d->fd, sname, d->fd, "moved"), 0);
	assert_int_equal(sp_vault_commit(v), SP_ERR_UNSAFE_PATH);
	sp_vault_free(v);
	assert_int_equal(faccessat(d->fd, "key", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(faccessat(d->fd, "db", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	/* The moved stage is emptied (its name is not ours any more, so it stays). */
	assert_int_equal(count_names(d->path, &reserved), 1);
	assert_int_equal(unlinkat(d->fd, "moved", AT_REMOVEDIR), 0);
}

/* A fresh vault (the destination was emptied): the same result, nested names included. */
static void t_fresh_commit(void **state)
{
	tdir *d = *state;
	sp_vault *v;

	need_root();
	assert_int_equal(sp_vault_begin(&v, d->fd, 65534, 65534, 0500), SP_OK);
	sp_vault_fresh(v);
	assert_int_equal(stage(v, "db/primary/password", "p1", 0400), SP_OK);
	assert_int_equal(stage(v, "top", "t", 0440), SP_OK);
	assert_int_equal(sp_vault_commit(v), SP_OK);
	sp_vault_free(v);
	assert_content(d->fd, "db/primary/password", "p1");
	assert_content(d->fd, "top", "t");
	assert_int_equal(mode_of(d->fd, "top") & 07777, 0440);
	assert_int_equal(mode_of(d->fd, "db") & 07777, 0500);
	assert_no_staging(d);
}

/* A name that appeared in a fresh vault's destination after begin: the commit fails, the file
 * there is left as it was, and nothing of the vault stays (what moved first is taken back). */
static void t_fresh_name_appeared(void **state)
{
	tdir *d = *state;
	sp_vault *v;
	int reserved;

	assert_int_equal(sp_vault_begin(&v, d->fd, NOID, NOGID, 0500), SP_OK);
	sp_vault_fresh(v);
	assert_int_equal(stage(v, "aaa_first", "1", 0400), SP_OK);
	assert_int_equal(stage(v, "planted", "secret", 0400), SP_OK);
	assert_int_equal(stage(v, "zzz_last", "1", 0400), SP_OK);
	write_file(d->fd, "planted", "theirs");
	assert_int_equal(sp_vault_commit(v), SP_ERR_UNSAFE_PATH);
	sp_vault_free(v);
	assert_content(d->fd, "planted", "theirs");
	assert_int_equal(count_names(d->path, &reserved), 1);
	assert_int_equal(reserved, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(t_commit_modes),
		T(t_entry_owner_override),
		T(t_nested),
		T(t_symlink_planted),
		T(t_dangling_symlink_planted),
		T(t_fifo_planted),
		T(t_dir_planted),
		T(t_dir_merged),
		T(t_rerun),
		T(t_dir_foreign),
		T(t_merged_symlink),
		T(t_symlink_dir_planted),
		T(t_file_where_dir),
		T(t_regular_replaced),
		T(t_hardlink_planted),
		T(t_partial_private),
		T(t_size_short),
		T(t_size_long),
		T(t_too_big),
		T(t_duplicates),
		T(t_bad_names),
		T(t_bad_args),
		T(t_no_fd_leak),
		T(t_rollback),
		T(t_remove),
		T(t_remove_symlink),
		T(t_remove_keeps_foreign),
		T(t_clear_stale_stage),
		T(t_clear_empty_refuses),
		T(t_clear_earlier),
		T(t_clear_delivered),
		T(t_clear_refuses),
		T(t_clear_purge),
		T(t_stage_moved),
		T(t_fresh_commit),
		T(t_fresh_name_appeared),
		cmocka_unit_test(t_is_ram),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("vault", tests, NULL, NULL);
}
