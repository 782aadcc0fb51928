/* fuzz_passwd.c - libFuzzer harness: a user spec and /etc/passwd and /etc/group texts for
 * sp_user_resolve.
 *
 * Input: the spec up to the first newline (at most SPEC_MAX bytes), then the passwd text up to
 * the first NUL byte, then the group text. */
#include <stdlib.h>
#include <string.h>

#include "forge.h"
#include "sp_err.h"
#include "sp_user.h"

#define PASSWD_SPEC_MAX 80

static void passwd_check(const sp_user *u)
{
	FZ_CHECK(u->n_groups >= 1 && u->n_groups <= SP_USER_GROUPS_MAX);
	FZ_CHECK(u->groups[0] == u->gid);
	for (size_t i = 0; i < u->n_groups; i++)
		for (size_t j = 0; j < i; j++)
			FZ_CHECK(u->groups[i] != u->groups[j]);
	for (size_t i = 0; i < u->n_groups; i++)
		FZ_CHECK(u->groups[i] != (gid_t)-1);
	FZ_CHECK(u->uid != (uid_t)-1 && u->gid != (gid_t)-1);
	FZ_CHECK(memchr(u->name, 0, sizeof u->name) != NULL);
	FZ_CHECK(memchr(u->home, 0, sizeof u->home) != NULL && u->home[0] != '\0');
	FZ_CHECK(!u->has_entry || u->name[0] != '\0');
	FZ_CHECK(u->has_entry || u->explicit_group);
	if (u->explicit_group)
		FZ_CHECK(u->n_groups == 1);
}

int fuzz_passwd(const uint8_t *data, size_t size)
{
	char spec[PASSWD_SPEC_MAX + 1];
	const char *text, *nl, *nul, *group = NULL;
	size_t slen, rest, pw_len, gr_len = 0;
	sp_user u;
	int err;

	if (forge_init() != 0)
		FZ_FAIL("forge_init");
	nl = memchr(data, '\n', size < PASSWD_SPEC_MAX ? size : PASSWD_SPEC_MAX);
	slen = nl != NULL ? (size_t)(nl - (const char *)data) : (size < PASSWD_SPEC_MAX ? size :
	    PASSWD_SPEC_MAX);
	memcpy(spec, data, slen);
	spec[slen] = '\0';
	text = (const char *)data + slen + (nl != NULL);
	rest = size - slen - (nl != NULL);
	nul = memchr(text, '\0', rest);
	pw_len = nul != NULL ? (size_t)(nul - text) : rest;
	if (nul != NULL) {
		group = nul + 1;
		gr_len = rest - pw_len - 1;
	}
	err = sp_user_resolve(spec, text, pw_len, group, gr_len, &u);
	if (err == SP_OK)
		passwd_check(&u);
	else
		FZ_CHECK(u.reason != NULL);
	return err;
}

#ifndef FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_passwd(data, size);
	return 0;
}
#endif
