/* sp_envpolicy.h - which environment variables a bundle entry may set for the app: an allow list
 * owned by the operator (--env-allow), not by whoever sealed the bundle. */
#ifndef SP_ENVPOLICY_H
#define SP_ENVPOLICY_H

#include <stddef.h>

/* Longest pattern accepted, without its leading '!'. */
#define SP_ENVPOLICY_PATTERN_MAX 128

/* The names the default refuses although they end in _FILE: variables that make a runtime or
 * client load code, configuration, trust (CA certificates) or a cloud identity from a file.
 * Globs ('*' is any run of characters), compared without regard to case. NULL-terminated. */
extern const char *const sp_envpolicy_deny[];

/* SP_OK if pat is a usable pattern: an optional leading '!', then 1..SP_ENVPOLICY_PATTERN_MAX
 * characters of [A-Za-z0-9_*]. SP_ERR_ARG otherwise. */
int sp_envpolicy_pattern_check(const char *pat);
/* 1 if glob (no leading '!'; '*' matches any run, case-sensitive) matches all of name. */
int sp_envpolicy_match(const char *glob, const char *name);
/* The default: 1 if name ends in "_FILE" and matches no pattern of sp_envpolicy_deny.
 * When it refuses a _FILE name, *deny (if not NULL) gets the deny-list pattern, else NULL. */
int sp_envpolicy_default(const char *name, const char **deny);
/* The decision for name: the default, then each of pats[0..n) in order (each passing
 * sp_envpolicy_pattern_check), the last that matches wins; "P" allows, "!P" refuses.
 * *rule (if not NULL) gets the pattern that decided, or NULL when the default did. */
int sp_envpolicy_allowed(const char *name, const char *const *pats, size_t n, const char **rule);

#endif
