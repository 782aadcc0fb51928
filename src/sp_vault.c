/* sp_vault.c - stages entries in a private directory next to the destination, then moves them in. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_vault.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define STAGE_TRIES 16

typedef struct {
	char *name;    /* relative to the staging directory */
	int is_dir;
	int action;    /* ACT_*, decided by commit */
	int moved;     /* renamed into the destination */
	mode_t orig_mode; /* of a merged directory, restored on roll back */
	uid_t orig_uid;
	gid_t orig_gid;
	dev_t dev;     /* identity of a directory, to find it again after the move */
	ino_t ino;
} item;

struct sp_vault {
	int dirfd;
	int stagefd;
	char stage[sizeof SP_RESERVED_PREFIX + 32];
	uid_t uid;
	gid_t gid;
	mode_t dir_mode;
	int fresh;     /* the destination was empty at begin (sp_vault_fresh) */
	item *items;   /* everything created in staging, parents before children */
	size_t n, cap;
	int fd;        /* entry being written, -1 if none */
	uint64_t size, written;
	mode_t mode;
	uid_t ouid;
	gid_t ogid;
	int committed;
};

static int err_from_errno(int e)
{
	switch (e) {
	case ENOMEM:
		return SP_ERR_NOMEM;
	case ELOOP:
	case ENOTDIR:
	case EISDIR:
	case ENXIO:
		return SP_ERR_UNSAFE_PATH;
	case EPERM:
		return SP_ERR_PRIV;
	default:
		return SP_ERR_IO;
	}
}

/* Defence in depth: the bundle layer validated names; refuse anything that could escape anyway. */
static int name_ok(const char *name)
{
	size_t len = strnlen(name, SP_NAME_MAX + 1);
	unsigned depth = 1;
	const char *c = name;

	if (len == 0 || len > SP_NAME_MAX)
		return 0;
	if (strncmp(name, SP_RESERVED_PREFIX, sizeof SP_RESERVED_PREFIX - 1) == 0)
		return 0;
	for (;;) {
		size_t l = strcspn(c, "/");
		if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (c[l] == '\0')
			break;
		c += l + 1;
		if (++depth > SP_NAME_DEPTH_MAX)
			return 0;
	}
	return 1;
}

static int add_item(sp_vault *v, const char *name, size_t len, int is_dir)
{
	item *it;
	char *copy;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		item *p = realloc(v->items, cap * sizeof *p);
		if (p == NULL)
			return SP_ERR_NOMEM;
		v->items = p;
		v->cap = cap;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return SP_ERR_NOMEM;
	memcpy(copy, name, len);
	copy[len] = '\0';
	it = &v->items[v->n++];
	memset(it, 0, sizeof *it);
	it->name = copy;
	it->is_dir = is_dir;
	return SP_OK;
}

/* Opens the directory holding the last component of name, below base, one component at a time
 * and never through a symlink. With v set, missing directories are created in staging (and
 * recorded); otherwise a missing one is SP_ERR_NOT_FOUND. *leaf points into name. */
static int open_parent(int base, const char *name, sp_vault *v, int *out, const char **leaf)
{
	char comp[SP_NAME_MAX + 1];
	const char *c = name;
	int fd = base, err;

	for (;;) {
		size_t l = strcspn(c, "/");
		int next;
		if (c[l] == '\0')
			break;
		memcpy(comp, c, l);
		comp[l] = '\0';
		if (v != NULL) {
			if (mkdirat(fd, comp, 0700) == 0) {
				err = add_item(v, name, (size_t)(c + l - name), 1);
				if (err != SP_OK)
					goto out;
			} else if (errno != EEXIST) {
				err = err_from_errno(errno);
				goto out;
			}
		}
		next = openat(fd, comp, DIR_FLAGS);
		if (next < 0) {
			if (errno == ENOENT)
				err = SP_ERR_NOT_FOUND;
			else if (v != NULL && (errno == ENOTDIR || errno == ELOOP))
				err = SP_ERR_DUPLICATE; /* a staged file where a directory is needed */
			else
				err = err_from_errno(errno);
			goto out;
		}
		if (fd != base)
			close(fd);
		fd = next;
		c += l + 1;
	}
	*leaf = c;
	*out = fd;
	return SP_OK;
out:
	if (fd != base)
		close(fd);
	return err;
}

static void close_parent(int base, int fd)
{
	if (fd >= 0 && fd != base)
		close(fd);
}

#define TREE_DEPTH_MAX (SP_NAME_DEPTH_MAX + 2)

/* NOLINTNEXTLINE(misc-no-recursion): depth is capped at TREE_DEPTH_MAX */
static int remove_tree_at(int base, const char *name, unsigned depth);

/* A directory stream of its own over fd (a duplicate, rewound: it shares fd's offset), or NULL
 * with *err set. */
static DIR *open_stream(int fd, int *err)
{
	int dfd = dup(fd);
	DIR *d;

	if (dfd < 0) {
		*err = err_from_errno(errno);
		return NULL;
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		*err = err_from_errno(errno);
		close(dfd);
		return NULL;
	}
	rewinddir(d);
	return d;
}

/* Removes everything inside the directory fd (never following a symlink: a symlink is unlinked
 * itself), making each subdirectory writable first. Keeps going after an error; returns the
 * first. */
/* NOLINTNEXTLINE(misc-no-recursion): depth is capped at TREE_DEPTH_MAX */
static int empty_dir(int fd, unsigned depth)
{
	int again = 1, err = SP_OK;

	if (depth > TREE_DEPTH_MAX)
		return SP_ERR_LIMIT;
	while (again) {
		struct dirent *de;
		int e0 = SP_OK;
		DIR *d = open_stream(fd, &e0);
		again = 0;
		if (d == NULL)
			return e0;
		while ((de = readdir(d)) != NULL) {
			int e;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			/* Not a directory by its type: unlinked without a look first (unlinkat never
			 * follows a symlink; a directory after all fails with EISDIR and is emptied). */
			if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && unlinkat(fd, de->d_name, 0) == 0) {
				again = 1;
				continue;
			}
			e = remove_tree_at(fd, de->d_name, depth + 1);
			if (e == SP_OK)
				again = 1;
			else if (err == SP_OK)
				err = e;
		}
		closedir(d);
		if (err != SP_OK)
			break;
	}
	return err;
}

/* Removes name in base: a file, symlink or special file is unlinked, a directory emptied first. */
/* NOLINTNEXTLINE(misc-no-recursion): depth is capped at TREE_DEPTH_MAX */
static int remove_tree_at(int base, const char *name, unsigned depth)
{
	struct stat st;
	int fd, err;

	if (fstatat(base, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? SP_OK : err_from_errno(errno);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(base, name, 0) != 0 && errno != ENOENT)
			return err_from_errno(errno);
		return SP_OK;
	}
	fd = openat(base, name, DIR_FLAGS);
	if (fd < 0)
		return err_from_errno(errno);
	if ((st.st_mode & 0700) != 0700)
		(void)fchmod(fd, 0700);
	err = empty_dir(fd, depth);
	close(fd);
	if (err == SP_OK && unlinkat(base, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		err = err_from_errno(errno);
	return err;
}

/* SP_OK if the staging directory is still at its name in the destination. */
static int same_stage(const sp_vault *v)
{
	struct stat a, b;

	if (fstat(v->stagefd, &a) != 0)
		return SP_ERR_IO;
	if (fstatat(v->dirfd, v->stage, &b, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? SP_ERR_UNSAFE_PATH : err_from_errno(errno);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return SP_ERR_UNSAFE_PATH;
	return SP_OK;
}

int sp_vault_is_ram(int dirfd)
{
	struct statfs sf;

	if (fstatfs(dirfd, &sf) != 0)
		return SP_ERR_IO;
	if ((unsigned long)sf.f_type == (unsigned long)TMPFS_MAGIC ||
	    (unsigned long)sf.f_type == (unsigned long)RAMFS_MAGIC)
		return SP_OK;
	return SP_ERR_NOT_TMPFS;
}

static int make_stage(sp_vault *v)
{
	struct stat st;
	int i;

	for (i = 0; i < STAGE_TRIES; i++) {
		unsigned char rnd[6];
		randombytes_buf(rnd, sizeof rnd);
		(void)snprintf(v->stage, sizeof v->stage, "%s-stage-%02x%02x%02x%02x%02x%02x",
		    SP_RESERVED_PREFIX, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		if (mkdirat(v->dirfd, v->stage, 0700) == 0)
			break;
		if (errno != EEXIST)
			return err_from_errno(errno);
	}
	if (i == STAGE_TRIES)
		return SP_ERR_EXISTS;
	v->stagefd = openat(v->dirfd, v->stage, DIR_FLAGS);
	if (v->stagefd < 0)
		return err_from_errno(errno);
	/* Someone who can write the destination could have swapped the directory. */
	if (fstat(v->stagefd, &st) != 0)
		return SP_ERR_IO;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
		close(v->stagefd);
		v->stagefd = -1;
		return SP_ERR_UNSAFE_PATH;
	}
	return SP_OK;
}

int sp_vault_begin(sp_vault **out, int dirfd, uid_t uid, gid_t gid, mode_t dir_mode)
{
	sp_vault *v;
	int err;

	*out = NULL;
	if (dirfd < 0 || (dir_mode & ~(mode_t)0777) != 0)
		return SP_ERR_ARG;
	v = calloc(1, sizeof *v);
	if (v == NULL)
		return SP_ERR_NOMEM;
	v->dirfd = dirfd;
	v->stagefd = -1;
	v->fd = -1;
	v->uid = uid;
	v->gid = gid;
	v->dir_mode = dir_mode;
	err = make_stage(v);
	if (err != SP_OK) {
		sp_vault_free(v); /* without a verified stagefd it leaves the directory alone */
		return err;
	}
	*out = v;
	return SP_OK;
}

void sp_vault_fresh(sp_vault *v)
{
	if (v != NULL)
		v->fresh = 1;
}

int sp_vault_open_entry(sp_vault *v, const sp_entry *e, uid_t owner_uid, gid_t owner_gid)
{
	const char *leaf;
	int parent = -1, err;

	if (v == NULL || e == NULL || v->fd >= 0 || v->committed || v->stagefd < 0)
		return SP_ERR_ARG;
	if (!name_ok(e->name))
		return SP_ERR_NAME;
	if ((e->mode & ~(uint32_t)0777) != 0)
		return SP_ERR_META;
	if (e->size > SP_ENTRY_SIZE_MAX)
		return SP_ERR_LIMIT;
	err = open_parent(v->stagefd, e->name, v, &parent, &leaf);
	if (err != SP_OK)
		return err;
	v->fd = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (v->fd < 0) {
		err = errno == EEXIST ? SP_ERR_DUPLICATE : err_from_errno(errno);
		goto out;
	}
	err = add_item(v, e->name, strlen(e->name), 0);
	if (err != SP_OK) {
		unlinkat(parent, leaf, 0);
		close(v->fd);
		v->fd = -1;
		goto out;
	}
	v->size = e->size;
	v->written = 0;
	v->mode = (mode_t)e->mode;
	v->ouid = owner_uid != (uid_t)-1 ? owner_uid : v->uid;
	v->ogid = owner_gid != (gid_t)-1 ? owner_gid : v->gid;
out:
	close_parent(v->stagefd, parent);
	return err;
}

int sp_vault_write(sp_vault *v, const unsigned char *buf, size_t len)
{
	if (v == NULL || v->fd < 0 || (buf == NULL && len > 0))
		return SP_ERR_ARG;
	if (len > v->size - v->written)
		return SP_ERR_PAYLOAD; /* more than the index declared */
	while (len > 0) {
		ssize_t w = write(v->fd, buf, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return err_from_errno(errno);
		}
		if (w == 0)
			return SP_ERR_IO;
		buf += w;
		len -= (size_t)w;
		v->written += (uint64_t)w;
	}
	return SP_OK;
}

static int set_owner(int fd, uid_t uid, gid_t gid)
{
	if (uid == (uid_t)-1 && gid == (gid_t)-1)
		return SP_OK;
	if (fchown(fd, uid, gid) != 0)
		return err_from_errno(errno);
	return SP_OK;
}

int sp_vault_close_entry(sp_vault *v)
{
	int err = SP_OK;

	if (v == NULL || v->fd < 0)
		return SP_ERR_ARG;
	if (v->written != v->size)
		err = SP_ERR_PAYLOAD;
	if (err == SP_OK)
		err = set_owner(v->fd, v->ouid, v->ogid);
	/* Mode last: until now the file was 0600 and owned by us, so a partial file is never readable. */
	if (err == SP_OK && fchmod(v->fd, v->mode) != 0)
		err = err_from_errno(errno);
	if (close(v->fd) != 0 && err == SP_OK)
		err = SP_ERR_IO;
	v->fd = -1;
	return err;
}

/* Unlinks name below base (a file, or an empty directory with is_dir), never following a
 * symlink on the way. Missing is fine. */
static int remove_one(int base, const char *name, int is_dir)
{
	const char *leaf;
	int parent, err;

	err = open_parent(base, name, NULL, &parent, &leaf);
	if (err == SP_ERR_NOT_FOUND)
		return SP_OK;
	if (err != SP_OK)
		return err;
	/* Subdirectories may have been made read-only (dir_mode); we are deleting them anyway. */
	if (parent != base)
		(void)fchmod(parent, 0700);
	if (unlinkat(parent, leaf, is_dir ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
		err = (is_dir && (errno == ENOTEMPTY || errno == EEXIST)) ? SP_ERR_EXISTS
		    : err_from_errno(errno);
	close_parent(base, parent);
	return err;
}

/* What commit does with a staged item. */
enum {
	ACT_NONE,    /* inside a directory that moves as a whole */
	ACT_NEW,     /* nothing there: renamed in, never replacing */
	ACT_REPLACE, /* a regular file there: atomically replaced */
	ACT_MERGE,   /* our own directory there: the staged children move into it */
};

/* The item that is the parent directory of item i, or -1 at the top. */
static ssize_t parent_of(const sp_vault *v, size_t i)
{
	const char *name = v->items[i].name, *slash = strrchr(name, '/');
	size_t len, j;

	if (slash == NULL)
		return -1;
	len = (size_t)(slash - name);
	for (j = 0; j < i; j++)
		if (v->items[j].is_dir && strlen(v->items[j].name) == len &&
		    memcmp(v->items[j].name, name, len) == 0)
			return (ssize_t)j;
	return -1;
}

/* Opens the directory name (itself) below base, never through a symlink. */
static int open_dir_at(int base, const char *name, int *out)
{
	const char *leaf;
	int parent, err;

	err = open_parent(base, name, NULL, &parent, &leaf);
	if (err != SP_OK)
		return err;
	*out = openat(parent, leaf, DIR_FLAGS);
	err = *out < 0 ? err_from_errno(errno) : SP_OK;
	close_parent(base, parent);
	return err;
}

/* A directory we may move entries into: a real directory, ours or the target user's, that
 * nobody else can write to (so nobody else can swap what we put there). */
static int mergeable(const sp_vault *v, const struct stat *st)
{
	return S_ISDIR(st->st_mode) && (st->st_mode & 022) == 0 &&
	    (st->st_uid == geteuid() || (v->uid != (uid_t)-1 && st->st_uid == v->uid));
}

/* Decides what happens to every item before anything moves; any refusal moves nothing. */
static int plan(sp_vault *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		item *it = &v->items[i];
		ssize_t p = parent_of(v, i);
		const char *leaf;
		struct stat st;
		int parent, err, r;
		it->action = ACT_NONE;
		if (p >= 0 && v->items[p].action != ACT_MERGE)
			continue;
		/* An empty destination: nothing to replace or merge, no lookup per name. A name that
		 * appeared anyway fails its RENAME_NOREPLACE, and the move is rolled back. */
		if (v->fresh) {
			it->action = ACT_NEW;
			continue;
		}
		err = open_parent(v->dirfd, it->name, NULL, &parent, &leaf);
		if (err != SP_OK)
			return err;
		r = fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW);
		close_parent(v->dirfd, parent);
		if (r != 0 && errno != ENOENT)
			return err_from_errno(errno);
		if (r != 0)
			it->action = ACT_NEW;
		else if (!it->is_dir && S_ISREG(st.st_mode))
			it->action = ACT_REPLACE;
		else if (it->is_dir && mergeable(v, &st))
			it->action = ACT_MERGE;
		else
			return SP_ERR_UNSAFE_PATH;
		if (it->action == ACT_MERGE) {
			it->dev = st.st_dev;
			it->ino = st.st_ino;
			it->orig_mode = st.st_mode & 07777;
			it->orig_uid = st.st_uid;
			it->orig_gid = st.st_gid;
		}
	}
	return SP_OK;
}

/* Before the move: owners of staged directories, and the final mode of those that travel
 * inside another (a directory moved by itself needs write permission on it when we are not
 * root, so it gets its mode afterwards). Merged directories are opened up for the move. */
static int prepare_dirs(sp_vault *v)
{
	size_t i;

	for (i = v->n; i-- > 0;) {
		item *it = &v->items[i];
		struct stat st;
		int fd, err;
		if (!it->is_dir)
			continue;
		if (it->action == ACT_MERGE) {
			err = open_dir_at(v->dirfd, it->name, &fd);
			if (err != SP_OK)
				return err;
			if (fstat(fd, &st) != 0 || st.st_dev != it->dev || st.st_ino != it->ino)
				err = SP_ERR_UNSAFE_PATH;
			if (err == SP_OK && (st.st_mode & 0700) != 0700 &&
			    fchmod(fd, (st.st_mode & 07777) | 0700) != 0)
				err = err_from_errno(errno);
			close(fd);
			if (err != SP_OK)
				return err;
			continue;
		}
		err = open_dir_at(v->stagefd, it->name, &fd);
		if (err != SP_OK)
			return err;
		err = set_owner(fd, v->uid, v->gid);
		if (err == SP_OK && fstat(fd, &st) != 0)
			err = SP_ERR_IO;
		if (err == SP_OK && it->action == ACT_NONE && fchmod(fd, v->dir_mode) != 0)
			err = err_from_errno(errno);
		close(fd);
		if (err != SP_OK)
			return err;
		it->dev = st.st_dev;
		it->ino = st.st_ino;
	}
	return SP_OK;
}

static int move_one(sp_vault *v, item *it)
{
	const char *leaf;
	int from, to, err;

	err = open_parent(v->stagefd, it->name, NULL, &from, &leaf);
	if (err != SP_OK)
		return err;
	err = open_parent(v->dirfd, it->name, NULL, &to, &leaf);
	if (err != SP_OK) {
		close_parent(v->stagefd, from);
		return err;
	}
	if (it->action == ACT_NEW) {
		struct stat st;
		if (renameat2(from, leaf, to, leaf, RENAME_NOREPLACE) == 0)
			goto out;
		if (errno != EINVAL && errno != ENOSYS) {
			err = errno == EEXIST ? SP_ERR_UNSAFE_PATH : err_from_errno(errno);
			goto out;
		}
		/* No RENAME_NOREPLACE here: a fresh vault looks now what plan() did not. */
		if (v->fresh && (fstatat(to, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)) {
			err = SP_ERR_UNSAFE_PATH;
			goto out;
		}
	}
	/* rename() replaces the name itself: a symlink or hard link there is never written through. */
	if (renameat(from, leaf, to, leaf) != 0)
		err = err_from_errno(errno);
out:
	close_parent(v->stagefd, from);
	close_parent(v->dirfd, to);
	return err;
}

/* Sets a merged directory's mode (and owner) back; with open_up, first makes it writable. */
static void restore_merged(sp_vault *v, int open_up)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		item *it = &v->items[i];
		struct stat st;
		int fd;
		if (it->action != ACT_MERGE || open_dir_at(v->dirfd, it->name, &fd) != SP_OK)
			continue;
		if (fstat(fd, &st) == 0 && st.st_dev == it->dev && st.st_ino == it->ino) {
			if (open_up) {
				(void)fchmod(fd, it->orig_mode | 0700);
			} else {
				(void)set_owner(fd, it->orig_uid, it->orig_gid);
				(void)fchmod(fd, it->orig_mode);
			}
		}
		close(fd);
	}
}

/* Puts back into staging what was moved, deepest first (sp_vault_free then removes it), and
 * restores merged directories; what cannot be put back is removed. A file we replaced is gone
 * either way; nothing of this run is left in the destination. */
static void roll_back(sp_vault *v)
{
	size_t i;

	restore_merged(v, 1);
	for (i = v->n; i-- > 0;) {
		item *it = &v->items[i];
		const char *leaf;
		int from, to = -1;
		if (!it->moved)
			continue;
		it->moved = 0;
		if (open_parent(v->dirfd, it->name, NULL, &from, &leaf) != SP_OK)
			continue;
		if (open_parent(v->stagefd, it->name, NULL, &to, &leaf) != SP_OK ||
		    renameat(from, leaf, to, leaf) != 0) {
			if (it->is_dir)
				(void)remove_tree_at(from, leaf, 0);
			else
				(void)unlinkat(from, leaf, 0);
		}
		if (to >= 0)
			close_parent(v->stagefd, to);
		close_parent(v->dirfd, from);
	}
	restore_merged(v, 0);
}

/* After the move: the final owner and mode of directories moved by themselves or merged. */
static int finish_dirs(sp_vault *v)
{
	size_t i;

	for (i = v->n; i-- > 0;) {
		const item *it = &v->items[i];
		struct stat st;
		int fd, err;
		if (!it->is_dir || (it->action != ACT_NEW && it->action != ACT_MERGE))
			continue;
		err = open_dir_at(v->dirfd, it->name, &fd);
		if (err != SP_OK)
			return err;
		if (fstat(fd, &st) != 0 || st.st_dev != it->dev || st.st_ino != it->ino)
			err = SP_ERR_UNSAFE_PATH;
		if (err == SP_OK && it->action == ACT_MERGE)
			err = set_owner(fd, v->uid, v->gid);
		if (err == SP_OK && fchmod(fd, v->dir_mode) != 0)
			err = err_from_errno(errno);
		close(fd);
		if (err != SP_OK)
			return err;
	}
	return SP_OK;
}

int sp_vault_commit(sp_vault *v)
{
	size_t i;
	int err;

	if (v == NULL || v->fd >= 0 || v->committed || v->stagefd < 0)
		return SP_ERR_ARG;
	err = same_stage(v);
	if (err == SP_OK)
		err = plan(v);
	if (err == SP_OK)
		err = prepare_dirs(v);
	for (i = 0; err == SP_OK && i < v->n; i++) {
		item *it = &v->items[i];
		if (it->action != ACT_NEW && it->action != ACT_REPLACE)
			continue;
		err = move_one(v, it);
		if (err == SP_OK)
			it->moved = 1;
	}
	if (err == SP_OK)
		err = finish_dirs(v);
	/* The staging directory must still be where we made it: one moved away (or swapped) means
	 * someone else acts in the destination, and nothing of this run may stay there. */
	if (err == SP_OK)
		err = same_stage(v);
	if (err != SP_OK) {
		roll_back(v);
		return err;
	}
	v->committed = 1;
	/* What is left in staging: the directories that were merged into existing ones. */
	for (i = v->n; i-- > 0;)
		if (v->items[i].action == ACT_MERGE)
			(void)remove_one(v->stagefd, v->items[i].name, 1);
	close(v->stagefd);
	v->stagefd = -1;
	if (unlinkat(v->dirfd, v->stage, AT_REMOVEDIR) != 0)
		return err_from_errno(errno);
	v->stage[0] = '\0';
	return SP_OK;
}

void sp_vault_free(sp_vault *v)
{
	size_t i;

	if (v == NULL)
		return;
	if (v->fd >= 0)
		close(v->fd);
	if (v->stagefd >= 0) {
		(void)empty_dir(v->stagefd, 0);
		if (v->stage[0] != '\0' && same_stage(v) == SP_OK)
			(void)unlinkat(v->dirfd, v->stage, AT_REMOVEDIR);
		close(v->stagefd);
	}
	for (i = 0; i < v->n; i++)
		free(v->items[i].name);
	free(v->items);
	free(v);
}

/* Directories implied by the entry names, each removed after the files in it. */
static int remove_dirs(int dirfd, const char *name)
{
	char path[SP_NAME_MAX + 1];
	char *slash;
	int err = SP_OK;

	(void)snprintf(path, sizeof path, "%s", name);
	while ((slash = strrchr(path, '/')) != NULL) {
		int e;
		*slash = '\0';
		e = remove_one(dirfd, path, 1);
		if (e == SP_ERR_EXISTS)
			break; /* still holds another entry or something the app made */
		if (e != SP_OK && err == SP_OK)
			err = e;
	}
	return err;
}

int sp_vault_remove(int dirfd, const sp_entry *e, size_t n)
{
	size_t i;
	int err = SP_OK;

	if (dirfd < 0 || (e == NULL && n > 0))
		return SP_ERR_ARG;
	for (i = 0; i < n; i++) {
		int r;
		if (!name_ok(e[i].name)) {
			if (err == SP_OK)
				err = SP_ERR_NAME;
			continue;
		}
		r = remove_one(dirfd, e[i].name, 0);
		if (r != SP_OK && err == SP_OK)
			err = r;
	}
	for (i = 0; i < n; i++) {
		int r;
		if (!name_ok(e[i].name))
			continue;
		r = remove_dirs(dirfd, e[i].name);
		if (r != SP_OK && err == SP_OK)
			err = r;
	}
	return err;
}

/* ---- the destination before a run: what an earlier run left ---- */

typedef struct {
	uid_t uid;
	int how;
	char *bad;
	size_t bad_cap;
	int why;
	size_t seen;   /* names found, at every depth */
	uid_t euid;    /* ours, asked once */
} scan;

static int refuse(scan *s, const char *path, int why)
{
	(void)snprintf(s->bad, s->bad_cap, "%s", path);
	s->why = why;
	return SP_ERR_UNSAFE_PATH;
}

/* Checks what is in fd (prefix: its path from the destination, "" at the top); changes nothing. */
/* NOLINTNEXTLINE(misc-no-recursion): depth is capped at SP_NAME_DEPTH_MAX */
static int check_dir(scan *s, int fd, const char *prefix, unsigned depth)
{
	char path[SP_NAME_MAX + 2];
	struct dirent *de;
	int err = SP_OK;
	DIR *d = open_stream(fd, &err);

	if (d == NULL)
		return err;
	while (err == SP_OK && (de = readdir(d)) != NULL) {
		struct stat st;
		int sub;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		s->seen++;
		if ((size_t)snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "/" : "",
		    de->d_name) >= sizeof path) {
			err = refuse(s, de->d_name, SP_CLEAR_DEEP);
			break;
		}
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT)
				err = err_from_errno(errno);
			continue;
		}
		if (depth == 0 && strncmp(de->d_name, SP_RESERVED_PREFIX "-stage-",
		    sizeof SP_RESERVED_PREFIX + 6) == 0) {
			/* A staging directory: private to its maker, so nothing in it is anyone else's. */
			if (!S_ISDIR(st.st_mode) || st.st_uid != s->euid || (st.st_mode & 0077) != 0)
				err = refuse(s, path, SP_CLEAR_OWNER);
			continue;
		}
		if (s->how == SP_CLEAR_EMPTY)
			err = refuse(s, path, SP_CLEAR_NOT_EMPTY);
		else if (S_ISLNK(st.st_mode))
			err = refuse(s, path, SP_CLEAR_SYMLINK);
		else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			err = refuse(s, path, SP_CLEAR_SPECIAL);
		else if (st.st_uid != s->euid && (s->uid == (uid_t)-1 || st.st_uid != s->uid))
			err = refuse(s, path, SP_CLEAR_OWNER);
		else if ((st.st_mode & 022) != 0)
			err = refuse(s, path, SP_CLEAR_WRITABLE);
		else if (S_ISREG(st.st_mode) && st.st_nlink != 1)
			err = refuse(s, path, SP_CLEAR_LINKS);
		else if (S_ISDIR(st.st_mode) && (st.st_mode & 07777) != 0500 && (st.st_mode & 07777) != 0700 &&
		    !(s->how == SP_CLEAR_DELIVERED && (st.st_mode & 07777) == 0550))
			err = refuse(s, path, SP_CLEAR_DIR_MODE);
		else if (S_ISDIR(st.st_mode) && depth + 1 >= SP_NAME_DEPTH_MAX)
			err = refuse(s, path, SP_CLEAR_DEEP);
		if (err != SP_OK || !S_ISDIR(st.st_mode))
			continue;
		sub = openat(fd, de->d_name, DIR_FLAGS);
		if (sub < 0) {
			err = err_from_errno(errno);
			continue;
		}
		err = check_dir(s, sub, path, depth + 1);
		close(sub);
	}
	closedir(d);
	return err;
}

int sp_vault_clear(int dirfd, uid_t uid, int how, char *bad, size_t bad_cap, int *why)
{
	scan s;
	int err;

	if (dirfd < 0 || bad == NULL || bad_cap == 0 || why == NULL ||
	    (how != SP_CLEAR_EMPTY && how != SP_CLEAR_EARLIER && how != SP_CLEAR_PURGE &&
	    how != SP_CLEAR_DELIVERED))
		return SP_ERR_ARG;
	memset(&s, 0, sizeof s);
	s.uid = uid;
	s.euid = geteuid();
	s.how = how;
	s.bad = bad;
	s.bad_cap = bad_cap;
	bad[0] = '\0';
	*why = SP_CLEAR_NONE;
	if (how != SP_CLEAR_PURGE) {
		err = check_dir(&s, dirfd, "", 0);
		*why = s.why;
		if (err != SP_OK)
			return err;
		if (s.seen == 0)
			return SP_OK; /* found empty: no second pass (a fresh tmpfs, every first start) */
	}
	return empty_dir(dirfd, 0);
}
