/* sp_vault.h - all-or-nothing writing of bundle entries into a directory, via directory fds. */
#ifndef SP_VAULT_H
#define SP_VAULT_H

#include <stddef.h>
#include <sys/types.h>

#include "sp_bundle.h"

typedef struct sp_vault sp_vault;

/* Creates a private staging directory (SP_RESERVED_PREFIX...) inside dirfd. uid/gid own the
 * files and subdirectories ((uid_t)-1 / (gid_t)-1: leave as created); subdirectories of nested
 * names end with dir_mode. dirfd stays owned by the caller. */
int sp_vault_begin(sp_vault **out, int dirfd, uid_t uid, gid_t gid, mode_t dir_mode);
/* Tells v that dirfd held nothing when it began (the caller emptied it, and only the caller can
 * write it): commit then moves each entry without looking at its name in dirfd first. A name
 * that appeared anyway still fails its move (RENAME_NOREPLACE, or a look where the file system
 * lacks it) with SP_ERR_UNSAFE_PATH, and what was moved is taken back. */
void sp_vault_fresh(sp_vault *v);
/* Creates entry e (name already validated) in staging: subdirectories as needed, the file with
 * O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC. owner_uid/gid override the vault's for this entry. */
int sp_vault_open_entry(sp_vault *v, const sp_entry *e, uid_t owner_uid, gid_t owner_gid);
int sp_vault_write(sp_vault *v, const unsigned char *buf, size_t len);
/* Applies mode and owner; checks the size written equals e->size. */
int sp_vault_close_entry(sp_vault *v);
/* Moves every staged entry into dirfd. A pre-existing regular file of the same name is replaced
 * atomically; anything else there (directory, symlink, FIFO, device) is refused with
 * SP_ERR_UNSAFE_PATH and nothing is moved. Where a nested name's directory already exists as a
 * real directory owned by the caller or by uid and writable by nobody else (`open` into a
 * directory it wrote before), the entries move into it (it ends with dir_mode and uid/gid); any
 * other directory there is refused. The staging directory must still be where begin made it,
 * before and after the move (else SP_ERR_UNSAFE_PATH). On failure what was moved is taken back
 * (or removed). Removes the staging directory. */
int sp_vault_commit(sp_vault *v);
/* Removes staging and everything in it; frees v. Safe on NULL and after commit. */
void sp_vault_free(sp_vault *v);

/* SP_OK if dirfd is on a tmpfs or ramfs, SP_ERR_NOT_TMPFS if not, SP_ERR_IO if fstatfs fails. */
int sp_vault_is_ram(int dirfd);
/* Unlinks the committed entries e[0..n) from dirfd, then the subdirectories their names imply
 * when empty; never follows a symlink (one in the way is SP_ERR_UNSAFE_PATH). Missing entries
 * are fine. Keeps going after an error and returns the first. Needs write permission on dirfd. */
int sp_vault_remove(int dirfd, const sp_entry *e, size_t n);

/* How sp_vault_clear treats what is in the directory. */
enum {
	SP_CLEAR_EMPTY = 1, /* nothing but stale staging directories (removed) */
	SP_CLEAR_EARLIER,   /* also what an earlier run left: real files and directories, owned by
	                     * the caller's euid or uid, writable by nobody else, files of one link,
	                     * directories 0500 or 0700 */
	SP_CLEAR_PURGE,     /* everything, unchecked */
	SP_CLEAR_DELIVERED, /* as SP_CLEAR_EARLIER, and directories may also be 0550 (what
	                     * `run --deliver --group` leaves) */
};
/* Why sp_vault_clear refused a name. */
enum {
	SP_CLEAR_NONE,
	SP_CLEAR_NOT_EMPTY, /* SP_CLEAR_EMPTY and something is there */
	SP_CLEAR_SYMLINK,   /* a symlink */
	SP_CLEAR_SPECIAL,   /* a FIFO, socket or device */
	SP_CLEAR_OWNER,     /* owned by a uid other than ours and uid (a staging directory: not ours
	                     * or not private) */
	SP_CLEAR_WRITABLE,  /* writable by group or others */
	SP_CLEAR_LINKS,     /* a file with more than one name */
	SP_CLEAR_DIR_MODE,  /* a directory not 0500 (as a run leaves it) or 0700 (a killed run)
	                     * (or 0550 with SP_CLEAR_DELIVERED) */
	SP_CLEAR_DEEP,      /* deeper than any entry name */
};
/* Empties dirfd of what an earlier run left (how: SP_CLEAR_*). Stale staging directories (ours,
 * private) are always removed. Except with purge, everything is checked first and nothing
 * changes on a refusal: the first name refused (its path, at most bad_cap bytes) goes to bad,
 * the reason to *why, and SP_ERR_UNSAFE_PATH is returned. uid: the other owner accepted
 * ((uid_t)-1: none). Never follows a symlink. */
int sp_vault_clear(int dirfd, uid_t uid, int how, char *bad, size_t bad_cap, int *why);

#endif
