/* cmd_run_bundle.c - `secretpack run`: opening each bundle into the staging directory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_io.h"
#include "run.h"

/* ---- bundles ---- */

struct sink {
	struct run *r;
	const sp_entry *entries;
	const uid_t *uid;
	const gid_t *gid;
	size_t current, bi;
	int opened;
	int err_entry;            /* index of the entry a vault error happened on, or -1 */
	int vault_err;            /* the error the vault returned, if it did */
};

static int sink_step(struct sink *s, size_t idx, const unsigned char *buf, size_t len)
{
	int err;

	if (!s->opened || s->current != idx) {
		const sp_entry *e = &s->entries[idx];
		sp_entry d;
		s->err_entry = (int)idx;
		if (s->r->o.deliver) { /* --deliver: its own modes (cmd_run_deliver.c) */
			d = *e;
			d.mode = run_deliver_mode(s->r, e->mode);
			e = &d;
		}
		err = sp_vault_open_entry(s->r->v, e, s->uid[idx], s->gid[idx]);
		if (err != SP_OK)
			return err;
		s->current = idx;
		s->opened = 1;
	}
	if (buf == NULL && len == 0) {
		s->opened = 0;
		return sp_vault_close_entry(s->r->v);
	}
	return sp_vault_write(s->r->v, buf, len);
}

static int sink_piece(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct sink *s = ctx;
	int err = sink_step(s, idx, buf, len);

	if (err != SP_OK)
		s->vault_err = err; /* so the message names the file, not the bundle */
	return err;
}

static int names_clash(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la == lb)
		return strcmp(a, b) == 0;
	if (la < lb)
		return strncmp(a, b, la) == 0 && b[la] == '/';
	return strncmp(a, b, lb) == 0 && a[lb] == '/';
}

/* Adds a bundle's entries to the list; a name defined by an earlier bundle is refused. */
static int add_entries(struct run *r, size_t bundle, const sp_entry *e, size_t n)
{
	sp_entry *ne;
	size_t *nb, i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < r->n_entries; j++)
			if (names_clash(e[i].name, r->entries[j].name))
				return sp_fail("run: %s: entry %s: %s (also in %s)", r->o.bundles[bundle],
				    e[i].name, sp_err_str(SP_ERR_DUPLICATE), r->o.bundles[r->entry_bundle[j]]);
	ne = realloc(r->entries, (r->n_entries + n + 1) * sizeof *ne);
	if (ne == NULL)
		return sp_fail_err("run", SP_ERR_NOMEM);
	r->entries = ne;
	nb = realloc(r->entry_bundle, (r->n_entries + n + 1) * sizeof *nb);
	if (nb == NULL)
		return sp_fail_err("run", SP_ERR_NOMEM);
	r->entry_bundle = nb;
	for (i = 0; i < n; i++) {
		r->entries[r->n_entries] = e[i];
		r->entry_bundle[r->n_entries++] = bundle;
	}
	return EXIT_OK;
}

/* Each entry's owner: the manifest's, else the target user's (-1: as created). An owner must be
 * the app's user (a group of its own is fine). */
static int entry_owners(struct run *r, const char *bundle, const sp_entry *e, size_t n, uid_t *uid,
    gid_t *gid)
{
	uid_t app = r->has_user ? r->user.uid : geteuid();
	size_t i;

	for (i = 0; i < n; i++) {
		sp_user u;
		int err;
		uid[i] = (uid_t)-1;
		gid[i] = (gid_t)-1;
		if (e[i].owner[0] == '\0')
			continue;
		err = sp_user_resolve(e[i].owner, r->passwd, r->passwd_len, r->group, r->group_len, &u);
		if (err != SP_OK)
			return sp_fail("run: %s: entry %s: owner '%s': %s%s", bundle, e[i].name, e[i].owner,
			    u.reason ? u.reason : sp_err_str(err),
			    err == SP_ERR_NOT_FOUND ? (u.in_group_db ? " in /etc/group" : " in /etc/passwd") : "");
		/* DIR ends 0500 and the app's alone: another user could never reach the file. */
		if (u.uid != app)
			return sp_fail("run: %s: entry %s: owner '%s' is uid %u, but only the app (uid %u) can "
			    "reach %s: drop the owner from the entry, or seal it into a bundle of its own for "
			    "a secretpack run as that user", bundle, e[i].name, e[i].owner, (unsigned)u.uid,
			    (unsigned)app, r->dir);
		uid[i] = u.uid;
		gid[i] = u.gid;
	}
	return EXIT_OK;
}

static int fail_context(const char *bundle, const sp_opener *o, const char *ctx)
{
	sp_bundle_info info;

	sp_open_info(o, &info);
	if (info.context[0] == '\0')
		return sp_fail("run: %s: context mismatch: the bundle is bound to no context, not '%s': "
		    "drop --context and SECRETPACK_CONTEXT", bundle, ctx);
	return sp_fail("run: %s: context mismatch: the bundle is bound to '%s', not '%s': pass the "
	    "right --context or SECRETPACK_CONTEXT", bundle, info.context, ctx);
}

/* The tmpfs is too small: how much the secrets need (in pages, as tmpfs counts), counting the
 * bundles still to open by their size, which bounds their entries'. */
static int fail_full(struct run *r, size_t bi)
{
	unsigned long long need = 0, kib;
	size_t i;

	for (i = 0; i < r->n_entries; i++)
		need += (r->entries[i].size + 4095) / 4096 * 4096;
	for (i = bi + 1; i < r->o.n_bundles; i++) {
		struct stat st;
		if (stat(r->o.bundles[i], &st) == 0 && st.st_size > 0)
			need += ((unsigned long long)st.st_size + 4095) / 4096 * 4096;
	}
	kib = (need + 65535) / 65536 * 64 + 64; /* to 64 KiB, and some room */
	return sp_fail("run: %s is full: the secrets need %llu bytes: give the tmpfs at least %lluk "
	    "(e.g. --tmpfs %s:size=%lluk)", r->dir, need, kib, r->dir, kib);
}

static int fail_payload(struct run *r, const char *bundle, const sp_opener *o, const struct sink *s,
    int err)
{
	const char *name = s->err_entry >= 0 ? s->entries[s->err_entry].name : "?";

	if (err != s->vault_err)
		return sp_fail_bundle("run", bundle, err, o);
	switch (err) {
	case SP_ERR_IO:
		if (errno == ENOSPC)
			return fail_full(r, s->bi);
		if (errno == EFBIG)
			return sp_fail("run: %s/%s: the file size limit (ulimit -f) is below the entry's "
			    "%llu bytes: raise it (docker run --ulimit fsize=-1)", r->dir, name,
			    (unsigned long long)s->entries[s->err_entry].size);
		return sp_fail("run: %s/%s: %s", r->dir, name, strerror(errno));
	case SP_ERR_PRIV:
		return sp_fail("run: %s/%s: cannot give it its owner: %s%s", r->dir, name, strerror(errno),
		    run_cap_hint(errno));
	case SP_ERR_UNSAFE_PATH:
	case SP_ERR_DUPLICATE:
		return sp_fail("run: %s: entry %s: %s", bundle, name, sp_err_str(err));
	default:
		return sp_fail_bundle("run", bundle, err, o);
	}
}

/* After the MAC: created is authenticated (and, under --trust, signed). */
static int check_not_before(const struct run *r, const char *path, const sp_opener *o)
{
	char created[32], floor[32];
	sp_bundle_info info;

	if (sp_open_check_created(o, r->o.not_before) == SP_OK)
		return EXIT_OK;
	sp_open_info(o, &info);
	(void)sp_time_format(created, sizeof created, info.created);
	(void)sp_time_format(floor, sizeof floor, r->o.not_before);
	return sp_fail("run: %s: created %s, before --not-before %s (%s): seal a new one, or lower "
	    "--not-before", path, created, floor, r->o.not_before_text);
}

int run_open_bundle(struct run *r, size_t bi)
{
	const char *path = r->o.bundles[bi];
	const char *ctx = r->o.context ? r->o.context : "";
	struct sink s = { r, NULL, NULL, NULL, 0, bi, 0, -1, SP_OK };
	sp_source *src = NULL;
	sp_opener *o = NULL;
	const sp_entry *e = NULL;
	uid_t *uid = NULL;
	gid_t *gid = NULL;
	size_t n = 0;
	int err, rc = EXIT_FAIL;

	if (sp_cli_begin("run", path, &src, &o) != EXIT_OK)
		goto out;
	if (sp_cli_trust_check("run", path, &r->o.trust, &src, &o) != EXIT_OK)
		goto out;
	if ((err = sp_open_unlock(o, (const unsigned char (*)[32])r->ids.sk, r->ids.n, r->pass,
	    r->pass_len)) != SP_OK) {
		rc = sp_fail_bundle("run", path, err, o);
		goto out;
	}
	if ((err = sp_open_check(o, ctx, sp_now())) != SP_OK) {
		rc = err == SP_ERR_CONTEXT ? fail_context(path, o, ctx) : sp_fail_bundle("run", path, err, o);
		goto out;
	}
	if (r->o.not_before != 0 && (rc = check_not_before(r, path, o)) != EXIT_OK)
		goto out;
	rc = EXIT_FAIL;
	if ((err = sp_open_index(o, &e, &n)) != SP_OK) {
		rc = sp_fail_bundle("run", path, err, o);
		goto out;
	}
	uid = calloc(n + 1, sizeof *uid);
	gid = calloc(n + 1, sizeof *gid);
	if (uid == NULL || gid == NULL) {
		rc = sp_fail_err("run", SP_ERR_NOMEM);
		goto out;
	}
	if (add_entries(r, bi, e, n) != EXIT_OK || entry_owners(r, path, e, n, uid, gid) != EXIT_OK)
		goto out;
	s.entries = e;
	s.uid = uid;
	s.gid = gid;
	if ((err = sp_open_payload(o, sink_piece, &s)) != SP_OK) {
		rc = fail_payload(r, path, o, &s, err);
		goto out;
	}
	rc = EXIT_OK;
out:
	free(uid);
	free(gid);
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}
