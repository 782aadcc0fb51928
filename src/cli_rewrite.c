/* cli_rewrite.c - the one rewrite path of set, rm, rekey and edit: open the old bundle, stream what
 * is kept into a new one beside the output, rename into place only once the old one verified. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_io.h"
#include "sp_kdf.h"

static int add_key(const char *verb, unsigned char (**pks)[32], size_t *n, const unsigned char pk[32])
{
	unsigned char (*np)[32];

	for (size_t i = 0; i < *n; i++)
		if (sodium_memcmp((*pks)[i], pk, 32) == 0)
			return EXIT_OK;
	if (*n >= SP_STANZAS_MAX)
		return sp_fail("%s: more than %d recipients: a bundle holds at most %d", verb,
		    SP_STANZAS_MAX, SP_STANZAS_MAX);
	if ((np = realloc(*pks, (*n + 1) * sizeof *np)) == NULL)
		return sp_fail_err(verb, SP_ERR_NOMEM);
	*pks = np;
	memcpy(np[(*n)++], pk, 32);
	return EXIT_OK;
}

int sp_rw_recipient(const char *verb, const char *flag, const char *arg, unsigned char (**pks)[32],
    size_t *n)
{
	unsigned char pk[32], *text = NULL, (*list)[32] = NULL;
	size_t len = 0, cnt = 0, bad = 0;
	int err, rc = EXIT_OK;

	if (strcmp(flag, "-R") != 0) {
		if ((err = sp_recipient_decode(pk, arg, strlen(arg))) == SP_ERR_KEY_KIND)
			return sp_fail("%s: %s %.16s...: a signing key, not a recipient: give spkpub1... keys",
			    verb, flag, arg);
		if (err != SP_OK)
			return sp_fail("%s: %s %.16s...: %s", verb, flag, arg, sp_err_str(err));
		return add_key(verb, pks, n, pk);
	}
	if ((err = sp_io_read_file(arg, 1u << 20, 0, 0, &text, &len)) != SP_OK)
		return sp_fail_path(verb, arg, err);
	err = sp_recipients_parse(&list, &cnt, (const char *)text, len, &bad);
	free(text);
	if (err != SP_OK)
		rc = bad > 0 ? sp_fail("%s: %s: line %zu: %s", verb, arg, bad, sp_err_str(err))
			     : sp_fail_path(verb, arg, err);
	for (size_t i = 0; rc == EXIT_OK && i < cnt; i++)
		rc = add_key(verb, pks, n, list[i]);
	free(list);
	return rc;
}

/* The passphrase of a kept passphrase recipient: it wraps the new file key, so it is asked for,
 * and proven by unlocking the old bundle with it alone. */
static int unlock_pass(struct sp_rewrite *rw)
{
	int err;

	if ((err = sp_io_passphrase(&rw->pass, &rw->pass_len, "Passphrase for the bundle: ", 0)) != SP_OK) {
		if (err == SP_ERR_ARG)
			return sp_fail("%s: %s: has a passphrase recipient, which the rewrite keeps: give its "
			    "passphrase (SECRETPACK_PASSPHRASE_FILE, SECRETPACK_PASSPHRASE or a terminal)%s",
			    rw->verb, rw->bundle, rw->rekey ? ", or pass --remove-passphrase" :
			    ", or drop it with 'secretpack rekey --remove-passphrase'");
		return sp_fail_pass(rw->verb, err);
	}
	if ((err = sp_open_unlock(rw->o, NULL, 0, rw->pass, rw->pass_len)) != SP_OK)
		return sp_fail_bundle(rw->verb, rw->bundle, err, rw->o);
	return EXIT_OK;
}

static int unlock_keys(struct sp_rewrite *rw)
{
	sp_identities ids = { 0, NULL };
	char *pass = NULL;
	size_t plen = 0;
	int err;

	if (rw->identity == NULL && !sp_cli_key_env() && rw->info.n_passphrase > 0) {
		/* No key configured: the passphrase opens it, even when it is being replaced or dropped. */
		if ((err = sp_io_passphrase(&pass, &plen, "Passphrase for the bundle: ", 0)) != SP_OK)
			return sp_fail_pass(rw->verb, err);
		err = sp_open_unlock(rw->o, NULL, 0, pass, plen);
		sp_io_free((unsigned char *)pass, plen, 1);
		return err == SP_OK ? EXIT_OK : sp_fail_bundle(rw->verb, rw->bundle, err, rw->o);
	}
	if (sp_cli_identities(rw->verb, rw->identity, &ids) != EXIT_OK)
		return EXIT_FAIL;
	err = sp_open_unlock(rw->o, (const unsigned char (*)[32])ids.sk, ids.n, NULL, 0);
	if (rw->reread && err == SP_OK)
		rw->ids = ids; /* a descriptor or pipe is read once: kept for sp_rw_reopen */
	else
		sp_identities_free(&ids);
	return err == SP_OK ? EXIT_OK : sp_fail_bundle(rw->verb, rw->bundle, err, rw->o);
}

/* Armor is kept: the first 64 bytes say which form the input has. */
static int detect_armor(struct sp_rewrite *rw)
{
	unsigned char head[64];
	size_t got = 0;
	int fd;

	if (rw->from_stdin) {
		/* A file on stdin is peeked at without moving its offset; a pipe is told apart after
		 * sp_cli_begin (armor is decoded in memory, so the source is rereadable). */
		if (fstat(STDIN_FILENO, &rw->st) == 0 && S_ISREG(rw->st.st_mode)) {
			off_t at = lseek(STDIN_FILENO, 0, SEEK_CUR);
			ssize_t r = at < 0 ? -1 : pread(STDIN_FILENO, head, sizeof head, at);
			rw->armored = sp_armor_detect(head, r > 0 ? (size_t)r : 0);
		} else {
			rw->armored = -1;
		}
		memset(&rw->st, 0, sizeof rw->st);
		rw->st.st_mode = 0644; /* like seal's new bundles, less the umask */
		return EXIT_OK;
	}
	if ((fd = open(rw->bundle, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return sp_fail_path(rw->verb, rw->bundle, errno == ENOENT ? SP_ERR_NOT_FOUND : SP_ERR_IO);
	if (fstat(fd, &rw->st) != 0) {
		close(fd);
		return sp_fail_path(rw->verb, rw->bundle, SP_ERR_IO);
	}
	if (!S_ISREG(rw->st.st_mode)) {
		close(fd);
		return sp_fail("%s: %s: not a regular file: %s rewrites a bundle file in place (or to -o OUT)",
		    rw->verb, rw->bundle, rw->verb);
	}
	while (got < sizeof head) {
		ssize_t r = read(fd, head + got, sizeof head - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	rw->armored = sp_armor_detect(head, got);
	return EXIT_OK;
}

static int signing(struct sp_rewrite *rw)
{
	char have[SP_KEY_TEXT_MAX], given[SP_KEY_TEXT_MAX];
	unsigned char pk[32];

	if (rw->info.is_signed)
		(void)sp_signer_encode(have, sizeof have, rw->info.signer);
	if (rw->sign == NULL) {
		if (rw->info.is_signed && !rw->unsign)
			return sp_fail("%s: %s: signed by %s: pass --sign FILE with that signing key to sign the "
			    "new bundle%s", rw->verb, rw->bundle, have, rw->rekey ? ", or --unsign to drop the "
			    "signature" : " (a rewrite never drops a signature; 'secretpack rekey --unsign' does)");
		return EXIT_OK;
	}
	sp_no_dumps();
	if ((rw->sign_sk = sodium_malloc(64)) == NULL)
		return sp_fail_err(rw->verb, SP_ERR_NOMEM);
	if (sp_cli_sign_key(rw->verb, rw->sign, rw->sign_sk, pk) != EXIT_OK)
		return EXIT_FAIL;
	if (rw->info.is_signed && !rw->rekey && sodium_memcmp(pk, rw->info.signer, 32) != 0) {
		(void)sp_signer_encode(given, sizeof given, pk);
		return sp_fail("%s: %s: signed by %s, but --sign %s is %s: give that key, or change the "
		    "signer with 'secretpack rekey --sign'", rw->verb, rw->bundle, have, rw->sign, given);
	}
	return EXIT_OK;
}

/* The new recipient list: the old one (from the version 2 index), less --remove, plus -r/-R. */
static int recipients(struct sp_rewrite *rw)
{
	const unsigned char (*old)[32] = NULL;
	char text[SP_KEY_TEXT_MAX];
	size_t n = 0;
	int pass = 0, mine = -1, err, has_pass;

	if (rw->info.version == SP_VERSION_V1) {
		if (!rw->rekey || rw->n_add == 0)
			return sp_fail("%s: %s: format version 1 keeps no list of its recipients, so a rewrite "
			    "cannot keep them: run 'secretpack rekey -r RECIPIENT... [-R FILE]...' once, naming "
			    "every recipient (the result is version 2)", rw->verb, rw->bundle);
		if (rw->n_del > 0)
			return sp_fail("%s: %s: format version 1 lists no recipients to remove: name the ones "
			    "to keep with -r/-R (they replace the whole list)", rw->verb, rw->bundle);
	} else if ((err = sp_open_recipients(rw->o, &old, &n, &pass, &mine)) != SP_OK) {
		return sp_fail_bundle(rw->verb, rw->bundle, err, rw->o);
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < rw->n_del && sodium_memcmp(rw->del[j], old[i], 32) != 0)
			j++;
		if (j == rw->n_del && add_key(rw->verb, &rw->pks, &rw->n_pks, old[i]) != EXIT_OK)
			return EXIT_FAIL;
	}
	for (size_t j = 0; j < rw->n_del; j++) {
		size_t i = 0;
		while (i < n && sodium_memcmp(rw->del[j], old[i], 32) != 0)
			i++;
		if (i == n) {
			(void)sp_recipient_encode(text, sizeof text, rw->del[j]);
			return sp_fail("%s: %s: --remove %s: not a recipient of this bundle: run 'secretpack "
			    "inspect -i ... --json' to list them", rw->verb, rw->bundle, text);
		}
	}
	for (size_t i = 0; i < rw->n_add; i++)
		if (add_key(rw->verb, &rw->pks, &rw->n_pks, rw->add[i]) != EXIT_OK)
			return EXIT_FAIL;
	has_pass = rw->new_pass || (rw->info.n_passphrase > 0 && !rw->drop_pass);
	if (rw->n_pks == 0 && !has_pass)
		return sp_fail("%s: %s: no recipient would be left: keep one, or add one with -r", rw->verb,
		    rw->bundle);
	if (rw->n_pks + (has_pass ? 1u : 0u) > SP_STANZAS_MAX)
		return sp_fail("%s: %zu recipients and a passphrase: a bundle holds at most %d", rw->verb,
		    rw->n_pks, SP_STANZAS_MAX);
	return EXIT_OK;
}

/* Who else reads stdin when BUNDLE is "-": one stdin only. */
static int stdin_args(const struct sp_rewrite *rw)
{
	const char *fd = getenv("SECRETPACK_KEY_FD"), *key = getenv("SECRETPACK_KEY"),
		   *file = getenv("SECRETPACK_KEY_FILE");

	if (rw->out == NULL)
		return sp_usage_error(rw->verb, "BUNDLE - reads the bundle from stdin, which cannot be "
		    "replaced: give -o OUT (or -o - for stdout)");
	if ((rw->identity != NULL && !strcmp(rw->identity, "-")) ||
	    (rw->identity == NULL && (key == NULL || !*key) && (file == NULL || !*file) && fd != NULL &&
	     *fd && sp_io_key_fd(fd) == STDIN_FILENO))
		return sp_usage_error(rw->verb, "the key and the bundle '-' both read stdin: give one of them "
		    "as a file or a pipe");
	if (rw->sign != NULL && !strcmp(rw->sign, "-"))
		return sp_usage_error(rw->verb, "--sign - and the bundle '-' both read stdin: give one of "
		    "them as a file or a pipe");
	return EXIT_OK;
}

int sp_rw_open(struct sp_rewrite *rw)
{
	char when[32];
	int err, keep_pass, rc;

	sp_no_dumps();
	rw->from_stdin = !strcmp(rw->bundle, "-");
	rw->to_stdout = rw->out != NULL && !strcmp(rw->out, "-");
	if (rw->from_stdin && (rc = stdin_args(rw)) != EXIT_OK)
		return rc;
	if (detect_armor(rw) != EXIT_OK)
		return EXIT_FAIL;
	if (sp_cli_begin(rw->verb, rw->bundle, &rw->src, &rw->o) != EXIT_OK)
		return EXIT_FAIL;
	if (rw->armored < 0)
		rw->armored = sp_source_rereadable(rw->src); /* a pipe: only decoded armor rereads */
	/* Like seal -o -: no binary bundle on a terminal (checked before any passphrase prompt). */
	if (rw->to_stdout && !rw->armored && isatty(STDOUT_FILENO))
		return sp_fail("%s: -o -: stdout is a terminal and the bundle is binary: redirect it to a "
		    "file or a pipe", rw->verb);
	sp_open_info(rw->o, &rw->info);
	if (rw->drop_pass && rw->info.n_passphrase == 0)
		return sp_fail("%s: %s: has no passphrase recipient to remove", rw->verb, rw->bundle);
	/* The signing key first: a wrong one fails before anything is decrypted. */
	if (signing(rw) != EXIT_OK)
		return EXIT_FAIL;
	keep_pass = rw->info.n_passphrase > 0 && !rw->drop_pass && !rw->new_pass;
	if ((keep_pass ? unlock_pass(rw) : unlock_keys(rw)) != EXIT_OK)
		return EXIT_FAIL;
	sp_open_info(rw->o, &rw->info); /* authenticated now */
	if (rw->info.expires != 0 && sp_now() >= rw->info.expires && !rw->set_expires) {
		(void)sp_time_format(when, sizeof when, rw->info.expires);
		if (rw->allow_expired)
			/* The same note open and cat give; the expiry is kept, so the result is expired too. */
			(void)sp_fail("%s: %s: note: expired %s, rewritten anyway (--allow-expired); the new "
			    "bundle keeps that expiry: renew it with 'secretpack rekey --expires TIME'", rw->verb,
			    rw->bundle, when);
		else if (rw->rekey)
			return sp_fail("%s: %s: expired at %s: pass --expires TIME (or --no-expiry) to renew it, "
			    "or --allow-expired to rewrite it still expired", rw->verb, rw->bundle, when);
		else
			return sp_fail("%s: %s: expired at %s: renew it with 'secretpack rekey --expires TIME' "
			    "first, or pass --allow-expired to rewrite it still expired", rw->verb, rw->bundle,
			    when);
	}
	if ((err = sp_open_index(rw->o, &rw->old, &rw->n_old)) != SP_OK)
		return sp_fail_bundle(rw->verb, rw->bundle, err, rw->o);
	if (recipients(rw) != EXIT_OK)
		return EXIT_FAIL;
	if (rw->new_pass) {
		if (rw->pass != NULL)
			sp_io_free((unsigned char *)rw->pass, rw->pass_len, 1);
		rw->pass = NULL;
		if ((err = sp_io_passphrase(&rw->pass, &rw->pass_len, "New passphrase for the bundle: ", 1))
		    != SP_OK)
			return sp_fail_pass(rw->verb, err);
	} else if (!keep_pass && rw->pass != NULL) {
		sp_io_free((unsigned char *)rw->pass, rw->pass_len, 1);
		rw->pass = NULL;
	}
	return EXIT_OK;
}

int sp_rw_drain(struct sp_rewrite *rw, sp_sink_fn sink, void *ctx)
{
	int err = sp_open_payload(rw->o, sink, ctx);

	rw->drained = 1;
	return err;
}

static int same_entry(const sp_entry *a, const sp_entry *b)
{
	return !strcmp(a->name, b->name) && a->size == b->size && a->mode == b->mode &&
	    !strcmp(a->owner, b->owner) && !strcmp(a->env, b->env);
}

int sp_rw_reopen(struct sp_rewrite *rw)
{
	sp_bundle_info info;
	sp_entry *copy = NULL;
	const sp_entry *idx = NULL;
	size_t n = 0;
	int err, rc = EXIT_FAIL, same;

	if (!rw->reread || !rw->drained)
		return sp_fail_err(rw->verb, SP_ERR_ARG);
	if ((copy = calloc(rw->n_old ? rw->n_old : 1, sizeof *copy)) == NULL)
		return sp_fail_err(rw->verb, SP_ERR_NOMEM);
	memcpy(copy, rw->old, rw->n_old * sizeof *copy);
	rw->old = NULL;
	sp_open_free(rw->o);
	rw->o = NULL;
	if ((err = sp_source_rewind(rw->src)) != SP_OK) {
		rc = sp_fail_path(rw->verb, rw->bundle, err);
		goto out;
	}
	if ((err = sp_open_begin(&rw->o, sp_source_read, rw->src)) != SP_OK ||
	    (err = sp_open_unlock(rw->o, (const unsigned char (*)[32])rw->ids.sk, rw->ids.n,
	    rw->ids.n == 0 ? rw->pass : NULL, rw->ids.n == 0 ? rw->pass_len : 0)) != SP_OK ||
	    (err = sp_open_index(rw->o, &idx, &n)) != SP_OK) {
		rc = sp_fail_bundle(rw->verb, rw->bundle, err, rw->o);
		goto out;
	}
	sp_open_info(rw->o, &info);
	same = n == rw->n_old && info.version == rw->info.version && info.expires == rw->info.expires &&
	    info.created == rw->info.created && !strcmp(info.context, rw->info.context) &&
	    info.is_signed == rw->info.is_signed && info.n_x25519 == rw->info.n_x25519 &&
	    info.n_passphrase == rw->info.n_passphrase &&
	    (!info.is_signed || !memcmp(info.signer, rw->info.signer, sizeof info.signer));
	for (size_t i = 0; same && i < n; i++)
		same = same_entry(&idx[i], &copy[i]);
	if (!same) {
		rc = sp_fail("%s: %s: changed on disk while being edited: nothing written; run the command "
		    "again", rw->verb, rw->bundle);
		goto out;
	}
	rw->old = idx;
	rw->drained = 0;
	rc = EXIT_OK;
out:
	sodium_memzero(copy, (rw->n_old ? rw->n_old : 1) * sizeof *copy);
	free(copy);
	return rc;
}

/* -o -: the new bundle waits in an unnamed 0600 file in $TMPDIR (else /tmp) until the old one
 * verified to its last byte; it holds ciphertext only, and memory stays one chunk. */
static int stage_open(const char *verb)
{
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (tmp == NULL || *tmp != '/')
		tmp = "/tmp";
	if ((fd = open(tmp, O_RDWR | O_TMPFILE | O_EXCL | O_CLOEXEC, 0600)) >= 0)
		return fd;
	if ((size_t)snprintf(path, sizeof path, "%s/.secretpack-stage.XXXXXX", tmp) >= sizeof path ||
	    (fd = mkostemp(path, O_CLOEXEC)) < 0) {
		(void)sp_fail("%s: %s: cannot stage the new bundle for stdout: %s: set TMPDIR to a writable "
		    "directory", verb, tmp, strerror(errno));
		return -1;
	}
	(void)unlink(path);
	return fd;
}

static int stage_write(void *ctx, const unsigned char *buf, size_t len)
{
	return sp_io_write_all(*(int *)ctx, buf, len);
}

/* The staged bundle to stdout, a chunk at a time. */
static int stage_emit(int fd)
{
	unsigned char buf[SP_CHUNK_BYTES];
	ssize_t r;
	int err = SP_OK;

	if (lseek(fd, 0, SEEK_SET) != 0)
		return SP_ERR_IO;
	while (err == SP_OK && (r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		err = r < 0 ? SP_ERR_IO : sp_io_write_all(STDOUT_FILENO, buf, (size_t)r);
	}
	return err;
}

struct stream {
	struct sp_rewrite *rw;
	const struct sp_rw_entry *e;
	size_t n, next;
	long *map;          /* old index -> new position, or -1 */
	sp_sealer *sealer;
	unsigned char *buf; /* one chunk */
	int rc;             /* EXIT_FAIL once a line was printed */
	int werr;           /* the sealer's write error, reported against the output */
};

static int new_content(struct stream *s, const struct sp_rw_entry *e)
{
	uint64_t left = e->meta.size;
	struct stat st;
	int err;

	if (e->fd < 0)
		return e->meta.size == 0 ? SP_OK : sp_seal_write(s->sealer, e->buf, (size_t)e->meta.size);
	if (lseek(e->fd, 0, SEEK_SET) != 0)
		return SP_ERR_IO;
	while (left > 0) {
		size_t want = left < SP_CHUNK_BYTES ? (size_t)left : SP_CHUNK_BYTES;
		ssize_t r = read(e->fd, s->buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sodium_memzero(s->buf, SP_CHUNK_BYTES);
			s->rc = sp_fail("%s: entry '%s': its file changed while sealing: try again", s->rw->verb,
			    e->meta.name);
			return SP_ERR_IO;
		}
		err = sp_seal_write(s->sealer, s->buf, (size_t)r);
		sodium_memzero(s->buf, (size_t)r);
		if (err != SP_OK)
			return err;
		left -= (uint64_t)r;
	}
	if (fstat(e->fd, &st) != 0 || (uint64_t)st.st_size != e->meta.size) {
		s->rc = sp_fail("%s: entry '%s': its file changed while sealing: try again", s->rw->verb,
		    e->meta.name);
		return SP_ERR_IO;
	}
	return SP_OK;
}

/* New content for every position before upto. */
static int emit_new(struct stream *s, size_t upto)
{
	int err;

	for (; s->next < upto; s->next++)
		if (s->e[s->next].old < 0 && (err = new_content(s, &s->e[s->next])) != SP_OK)
			return s->werr = err;
	return SP_OK;
}

static int sink(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct stream *s = ctx;
	long pos = s->map[idx];
	int err;

	if (pos < 0)
		return SP_OK; /* removed or replaced: read (and authenticated), not kept */
	if ((err = emit_new(s, (size_t)pos)) != SP_OK)
		return err;
	if (buf == NULL) {
		s->next = (size_t)pos + 1;
		return SP_OK;
	}
	if ((err = sp_seal_write(s->sealer, buf, len)) != SP_OK)
		s->werr = err;
	return err;
}

static int fail_write(struct stream *s, const char *out, int err)
{
	if (s->rc != EXIT_OK)
		return s->rc;
	return err == SP_ERR_IO ? sp_fail_path(s->rw->verb, out, err) : sp_fail_err(s->rw->verb, err);
}

/* The bundle must still be the file that was read: a rewrite never replaces someone else's. */
static int unchanged(const struct sp_rewrite *rw)
{
	struct stat st;

	if (stat(rw->bundle, &st) != 0 || st.st_dev != rw->st.st_dev || st.st_ino != rw->st.st_ino ||
	    st.st_size != rw->st.st_size || st.st_mtim.tv_sec != rw->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != rw->st.st_mtim.tv_nsec)
		return sp_fail("%s: %s: changed on disk while being rewritten: nothing written; run the "
		    "command again", rw->verb, rw->bundle);
	return EXIT_OK;
}

int sp_rw_commit(struct sp_rewrite *rw, const struct sp_rw_entry *e, size_t n)
{
	const char *out = rw->out != NULL ? rw->out : rw->bundle;
	struct stream s;
	struct sp_membuf mem = { NULL, 0, 0 };
	sp_seal_params sp;
	sp_entry *list = NULL;
	sp_outfile *of = NULL;
	char *armored = NULL;
	size_t alen = 0;
	long last = -1;
	int err, rc = EXIT_FAIL, stage = -1;

	memset(&s, 0, sizeof s);
	memset(&sp, 0, sizeof sp);
	s.rw = rw;
	s.e = e;
	s.n = n;
	if (n == 0)
		return sp_fail("%s: %s: no entry would be left: a bundle holds at least one; delete the file "
		    "instead", rw->verb, rw->bundle);
	if ((list = calloc(n, sizeof *list)) == NULL || (s.map = malloc((rw->n_old + 1) * sizeof *s.map)) == NULL ||
	    (s.buf = sodium_malloc(SP_CHUNK_BYTES)) == NULL) {
		rc = sp_fail_err(rw->verb, SP_ERR_NOMEM);
		goto out;
	}
	for (size_t i = 0; i < rw->n_old; i++)
		s.map[i] = -1;
	for (size_t i = 0; i < n; i++) {
		list[i] = e[i].meta;
		if (e[i].old < 0)
			continue;
		/* Kept content streams in the old order; edit (drained) gives every entry anew. */
		if (rw->drained || e[i].old <= last || (size_t)e[i].old >= rw->n_old) {
			rc = sp_fail_err(rw->verb, SP_ERR_ARG);
			goto out;
		}
		s.map[e[i].old] = (long)i;
		last = e[i].old;
	}
	sp.created = sp_now();
	sp.expires = rw->set_expires ? rw->expires : rw->info.expires;
	/* A kept expiry already past (--allow-expired): the format wants it after the creation time,
	 * so the old creation time is kept with it; a renewal (rekey --expires) makes it fresh. */
	if (sp.expires != 0 && sp.expires <= sp.created) {
		sp.created = rw->info.created;
		if (!rw->allow_expired) { /* it expired while the editor ran or the KDF worked */
			char when[32];
			(void)sp_time_format(when, sizeof when, sp.expires);
			(void)sp_fail("%s: %s: note: expired %s, while it was being rewritten; the new bundle "
			    "keeps that expiry: renew it with 'secretpack rekey --expires TIME'", rw->verb,
			    rw->bundle, when);
		}
	}
	sp.context = rw->context != NULL ? rw->context : rw->info.context;
	sp.x25519 = (const unsigned char (*)[32])rw->pks;
	sp.n_x25519 = rw->n_pks;
	sp.passphrase = rw->pass;
	sp.passphrase_len = rw->pass_len;
	if (rw->pass != NULL && !rw->new_pass && rw->info.n_passphrase > 0)
		sp.kdf = rw->info.kdf; /* a kept passphrase keeps its costs */
	else
		sp_kdf_default(&sp.kdf);
	sp.entries = list;
	sp.n_entries = n;
	sp.sign_sk = rw->sign_sk;
	if (rw->to_stdout) {
		if (!rw->armored && (stage = stage_open(rw->verb)) < 0)
			goto out;
	} else if ((err = sp_outfile_open(&of, out, rw->st.st_mode & 0777, 0)) != SP_OK) {
		rc = sp_fail_path(rw->verb, out, err);
		goto out;
	}
	if ((err = sp_seal_begin(&s.sealer, &sp, rw->armored ? sp_membuf_write : of != NULL ?
	    sp_outfile_write : stage_write, rw->armored ? (void *)&mem : of != NULL ? (void *)of :
	    (void *)&stage)) != SP_OK) {
		rc = fail_write(&s, out, err);
		goto out;
	}
	if (!rw->drained) {
		rw->drained = 1;
		if ((err = sp_open_payload(rw->o, sink, &s)) != SP_OK) {
			rc = s.werr != SP_OK ? fail_write(&s, out, s.werr) : sp_fail_bundle(rw->verb, rw->bundle, err, rw->o);
			goto out;
		}
	}
	if ((err = emit_new(&s, n)) != SP_OK || (err = sp_seal_finish(s.sealer)) != SP_OK) {
		rc = fail_write(&s, out, err);
		goto out;
	}
	if (rw->armored && ((err = sp_armor_encode(&armored, &alen, mem.p, mem.len)) != SP_OK ||
	    (of != NULL && (err = sp_outfile_write(of, (unsigned char *)armored, alen)) != SP_OK))) {
		rc = fail_write(&s, out, err);
		goto out;
	}
	if (!rw->from_stdin && unchanged(rw) != EXIT_OK)
		goto out;
	if (rw->to_stdout) {
		/* The old bundle verified to its end: only now does a byte reach stdout. */
		err = rw->armored ? sp_io_write_all(STDOUT_FILENO, (unsigned char *)armored, alen)
				  : stage_emit(stage);
		rc = err == SP_OK ? EXIT_OK : sp_fail_path(rw->verb, "stdout", err);
		goto out;
	}
	if ((err = sp_outfile_commit(of)) != SP_OK) {
		rc = sp_fail_path(rw->verb, out, err);
		goto out;
	}
	/* Root rewriting someone's bundle in place gives it back to its owner (the mode is kept above);
	 * lchown: the name was renamed there just now and is never followed. */
	if (rw->out == NULL && geteuid() == 0 && (rw->st.st_uid != 0 || rw->st.st_gid != 0) &&
	    lchown(out, rw->st.st_uid, rw->st.st_gid) != 0) {
		rc = sp_fail("%s: %s: rewritten, but its owner could not be restored to %u:%u: %s", rw->verb, out,
		    (unsigned)rw->st.st_uid, (unsigned)rw->st.st_gid, strerror(errno));
		goto out;
	}
	rc = EXIT_OK;
out:
	sp_seal_free(s.sealer);
	sp_outfile_free(of);
	if (stage >= 0)
		close(stage);
	if (s.buf != NULL)
		sodium_free(s.buf);
	free(s.map);
	if (list != NULL) {
		sodium_memzero(list, n * sizeof *list);
		free(list);
	}
	free(mem.p);
	free(armored);
	return rc;
}

void sp_rw_free(struct sp_rewrite *rw)
{
	sp_open_free(rw->o);
	sp_source_close(rw->src);
	rw->o = NULL;
	rw->src = NULL;
	free(rw->pks);
	rw->pks = NULL;
	sp_identities_free(&rw->ids);
	if (rw->pass != NULL)
		sp_io_free((unsigned char *)rw->pass, rw->pass_len, 1);
	rw->pass = NULL;
	if (rw->sign_sk != NULL) {
		sodium_memzero(rw->sign_sk, 64);
		sodium_free(rw->sign_sk);
	}
	rw->sign_sk = NULL;
}
