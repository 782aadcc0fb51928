/* sp_user.h - users and groups from passwd/group text (no NSS), and the verified privilege drop. */
#ifndef SP_USER_H
#define SP_USER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
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
	size_t entry_line;                /* 1-based line of that entry in passwd, 0 without one */
	int explicit_group;               /* the spec named the group */
	const char *reason;               /* on error: static lowercase text saying what is wrong */
	size_t line;                      /* on error: 1-based line in passwd or group, 0 if none */
	int in_group_db;                  /* on error: line refers to the group text, not passwd */
	int root_alias;                   /* on error: a user part other than root or 0 is uid 0 */
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
 * - uid 0 only for a user part that is literally "root" or "0": any other name (or a numeric
 *   alias such as "00") that resolves to uid 0 is SP_ERR_PRIV with out->root_alias set and
 *   out->line the passwd line that gives it uid 0 (0 if none): a rewritten /etc/passwd must not
 *   turn a user name into root. gid 0 is an ordinary group. Root itself resolves; refusing it
 *   is the caller's choice. */
int sp_user_resolve(const char *spec, const char *passwd, size_t passwd_len, const char *group,
    size_t group_len, sp_user *out);

/* Reads a user database file (regular file, O_CLOEXEC, at most SP_USER_DB_MAX). A missing file
 * gives *text = NULL, *len = 0 and SP_OK. *text is malloc'd (NUL-terminated); caller frees.
 * st (may be NULL): the fstat of the descriptor read (zeroed when the file is missing). */
int sp_user_read_db(const char *path, char **text, size_t *len, struct stat *st);

/* 1 if someone other than root may write the file st describes: a non-root owner, or group or
 * other write permission (the app in group 0 of an image that ran `chmod g=u /etc/passwd`). */
int sp_user_db_writable(const struct stat *st);

/* How the calling process's credentials compare with u's (getresuid, getresgid, getgroups). */
typedef struct {
	int uid_ok;                            /* real, effective and saved uid are u->uid */
	int gid_ok;                            /* real, effective and saved gid are u->gid */
	gid_t extra[SP_USER_GROUPS_MAX];       /* groups the process has that u's list lacks */
	size_t n_extra;
	gid_t missing[SP_USER_GROUPS_MAX];     /* u's groups the process lacks (never u->gid) */
	size_t n_missing;
} sp_user_self;

/* Fills out. SP_OK when the process can be u without changing anything: uid and gid are u's and
 * its group list is a subset of u's groups plus u->gid (missing groups are allowed: an
 * unprivileged process cannot add them, and runc leaves the primary gid out of the list);
 * SP_ERR_PRIV otherwise; SP_ERR_IO when the credentials cannot be read. */
int sp_user_compare_self(const sp_user *u, sp_user_self *out);

/* The calling process's effective capability set (bit n = capability n). */
int sp_user_caps_effective(uint64_t *eff);

/* Clears ambient and inheritable capabilities; sets PR_SET_NO_NEW_PRIVS unless allow_new_privs. */
int sp_user_lockdown(int allow_new_privs);

/* Root (or a process not yet u): setgroups -> setgid -> setuid to u, then verifies with
 * getresuid/getresgid/getgroups that uid, gid and groups are exactly u's (the list may leave out
 * u->gid, which the process holds as its gid). An unprivileged process that already is u
 * (sp_user_compare_self is SP_OK: its group list may lack some of u's groups) changes nothing
 * and only verifies. Then, for u->uid != 0, that root cannot be regained: setuid(0) and
 * setgroups fail, setgid(0) fails unless u->gid is 0 (gid 0 is a legitimate target), and after
 * sp_user_lockdown no effective, permitted, inheritable or ambient capability is left.
 * SP_ERR_PRIV on any failure: the caller must not exec. */
int sp_user_drop(const sp_user *u, int allow_new_privs);

/* Keeps only the capabilities in mask (bit n = capability n) in the effective and permitted
 * sets; inheritable and ambient cleared. For the --init parent. */
int sp_user_limit_caps(uint64_t mask);

#endif
