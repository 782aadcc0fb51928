/* sp_user.h - users and groups from passwd/group text (no NSS), and the verified privilege drop. */
#ifndef SP_USER_H
#define SP_USER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SP_USER_NAME_MAX 64
#define SP_USER_HOME_MAX 1024
#define SP_USER_GROUPS_MAX 256
#define SP_USER_LINE_MAX 4096        /* longer lines are ignored, or refused if they name the user */
#define SP_USER_DB_MAX (4u << 20)    /* /etc/passwd and /etc/group are read up to 4 MiB */

typedef struct {
	uid_t uid;
	gid_t gid;
	gid_t groups[SP_USER_GROUPS_MAX]; /* primary first, then supplementary, no duplicates */
	size_t n_groups;
	char name[SP_USER_NAME_MAX + 1];  /* "" for a numeric uid without a passwd entry */
	char home[SP_USER_HOME_MAX + 1];  /* from passwd; "/" without an entry or with an empty field */
	int has_entry;                    /* the user has a passwd entry */
	int explicit_group;               /* the spec named the group */
	const char *reason;               /* on error: static lowercase text saying what is wrong */
	size_t line;                      /* on error: 1-based line in passwd or group, 0 if none */
	int in_group_db;                  /* on error: line refers to the group text, not passwd */
} sp_user;

/* Resolves spec: NAME, NAME:GROUP, UID, UID:GID (GROUP may also be a gid, GID a group name).
 * passwd/group: the files' bytes (NULL/0 when absent); no NUL needed. Nothing else is read.
 * - A name must have exactly one passwd entry: none is SP_ERR_NOT_FOUND, several are
 *   SP_ERR_DUPLICATE (ambiguous: refused rather than picking one). Same for group names.
 * - A numeric uid uses the first passwd entry with that uid if any; without one it needs an
 *   explicit group (SP_ERR_NOT_FOUND otherwise): there is no fallback to gid 0.
 * - Without an explicit group the groups are the primary gid plus every /etc/group entry listing
 *   the user's name; with one, only that group (as su-exec and runc do).
 * - The line that matches is parsed strictly (7 or 4 fields, decimal ids below 2^32-1, no sign):
 *   else SP_ERR_PRIV with out->line set. Unrelated malformed or overlong lines are ignored.
 * - A bad spec (empty, bad characters, out-of-range id) is SP_ERR_ARG.
 * Root (name or 0) resolves like any user; refusing it is the caller's choice. */
int sp_user_resolve(const char *spec, const char *passwd, size_t passwd_len, const char *group,
    size_t group_len, sp_user *out);

/* Reads a user database file (regular file, O_CLOEXEC, at most SP_USER_DB_MAX). A missing file
 * gives *text = NULL, *len = 0 and SP_OK. *text is malloc'd (NUL-terminated); caller frees. */
int sp_user_read_db(const char *path, char **text, size_t *len);

/* Clears ambient and inheritable capabilities; sets PR_SET_NO_NEW_PRIVS unless allow_new_privs. */
int sp_user_lockdown(int allow_new_privs);

/* setgroups -> setgid -> setuid to u, then verifies with getresuid/getresgid/getgroups that the
 * credentials are exactly u's, that setuid(0) now fails (u->uid != 0) and that no effective or
 * permitted capability is left (u->uid != 0); then sp_user_lockdown. When the process already has
 * exactly u's credentials it only verifies (an unprivileged shim cannot call setgroups).
 * SP_ERR_PRIV on any failure: the caller must not exec. */
int sp_user_drop(const sp_user *u, int allow_new_privs);

/* Keeps only the capabilities in mask (bit n = capability n) in the effective and permitted
 * sets; inheritable and ambient cleared. For the --init parent. */
int sp_user_limit_caps(uint64_t mask);

#endif
