/* cmd_open.c - `secretpack open` (all entries into a directory) and `secretpack cat` (one entry),
 * plus the unlock sequence every reading verb shares. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_io.h"
#include "sp_vault.h"

int sp_fail_bundle(const char *verb, const char *path, int err, const sp_opener *o)
{
	sp_bundle_info info;

	if (err == SP_ERR_IO)
		return sp_fail_path(verb, path, err);
	if (err == SP_ERR_VERSION && o != NULL) {
		sp_open_info(o, &info);
		return sp_fail("%s: %s: bundle format version %u is not supported by this secretpack "
		    "(it reads version %d): upgrade secretpack", verb, path, info.version, SP_VERSION);
	}
	return sp_fail("%s: %s: %s", verb, path, sp_err_str(err));
}

int sp_cli_key_env(void)
{
	const char *key = getenv("SECRETPACK_KEY"), *key_file = getenv("SECRETPACK_KEY_FILE");

	return (key != NULL && *key) || (key_file != NULL && *key_file);
}

int sp_cli_begin(const char *verb, const char *path, sp_source **src, sp_opener **o)
{
	int err, rc;

	*src = NULL;
	*o = NULL;
	if ((err = sp_source_open(src, path)) != SP_OK)
		return err == SP_ERR_ARMOR || err == SP_ERR_LIMIT ? sp_fail_bundle(verb, path, err, NULL)
			: sp_fail_path(verb, path, err);
	if ((err = sp_open_begin(o, sp_source_read, *src)) != SP_OK) {
		rc = sp_fail_bundle(verb, path, err, *o);
		sp_open_free(*o);
		sp_source_close(*src);
		*o = NULL;
		*src = NULL;
		return rc;
	}
	return EXIT_OK;
}

int sp_cli_unlock(const struct sp_unlock_req *req, sp_source **src, sp_opener **o)
{
	sp_identities ids = { 0, NULL };
	sp_bundle_info info;
	char *pass = NULL;
	size_t plen = 0;
	const char *ctx;
	int err, rc, have_key;

	sp_no_dumps();
	if ((rc = sp_cli_begin(req->verb, req->bundle, src, o)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	sp_open_info(*o, &info);
	have_key = req->identity != NULL || sp_cli_key_env();
	/* An identity unless -p was given, or no key is configured and the bundle takes a passphrase. */
	if (req->passphrase == 0 && have_key && info.n_x25519 == 0) {
		rc = sp_fail("%s: %s: the bundle has only a passphrase recipient: pass -p (or set "
		    "SECRETPACK_PASSPHRASE_FILE)", req->verb, req->bundle);
		goto out;
	}
	if (req->passphrase == 0 && (have_key || info.n_passphrase == 0)) {
		if (sp_cli_identities(req->verb, req->identity, &ids) != EXIT_OK)
			goto out;
	} else {
		if (info.n_passphrase == 0) {
			rc = sp_fail("%s: %s: %s", req->verb, req->bundle, sp_err_str(SP_ERR_NO_PASS_STANZA));
			goto out;
		}
		if ((err = sp_io_passphrase(&pass, &plen, "Passphrase for the bundle: ", 0)) != SP_OK) {
			rc = sp_fail_pass(req->verb, err);
			goto out;
		}
	}
	err = sp_open_unlock(*o, (const unsigned char (*)[32])ids.sk, ids.n, pass, plen);
	sp_identities_free(&ids);
	if (pass != NULL) {
		sp_io_free((unsigned char *)pass, plen, 1);
		pass = NULL;
	}
	if (err != SP_OK) {
		rc = sp_fail_bundle(req->verb, req->bundle, err, *o);
		goto out;
	}
	if (req->check) {
		ctx = req->context ? req->context : "";
		if ((err = sp_open_check(*o, ctx, sp_now())) != SP_OK) {
			if (err == SP_ERR_CONTEXT && !info.context[0])
				rc = sp_fail("%s: %s: context mismatch: the bundle is bound to no context, "
				    "not '%s': seal it with --context %s", req->verb, req->bundle, ctx, ctx);
			else if (err == SP_ERR_CONTEXT)
				rc = sp_fail("%s: %s: context mismatch: the bundle is bound to '%s'%s%s%s: "
				    "pass the right --context", req->verb, req->bundle, info.context,
				    *ctx ? ", not '" : " and no --context was given", ctx, *ctx ? "'" : "");
			else
				rc = sp_fail_bundle(req->verb, req->bundle, err, *o);
			goto out;
		}
	}
	return EXIT_OK;
out:
	sp_identities_free(&ids);
	if (pass != NULL)
		sp_io_free((unsigned char *)pass, plen, 1);
	sp_open_free(*o);
	sp_source_close(*src);
	*o = NULL;
	*src = NULL;
	return rc;
}

/* ---- open ---- */

static const char open_usage[] =
	"usage: secretpack open [-i IDENTITY] [-p] [--context TEXT] -o DIR BUNDLE\n"
	"  Writes every entry of BUNDLE into DIR (created 0700 if missing), with the entries' modes.\n"
	"  All or nothing: on any failure nothing is left in DIR.\n"
	"  -i FILE   identity file (else SECRETPACK_KEY or SECRETPACK_KEY_FILE)\n"
	"  -p        use the bundle's passphrase (SECRETPACK_PASSPHRASE[_FILE] or terminal)\n"
	"  --context TEXT   the deployment the bundle must be bound to\n";

/* The vault wants open_entry before the first piece; the sink sees pieces only, so wrap. */
struct open_state {
	sp_vault *v;
	const sp_entry *entries;
	size_t current;
	int opened;
};

static int open_piece(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct open_state *st = ctx;
	int err;

	if (!st->opened || st->current != idx) {
		if ((err = sp_vault_open_entry(st->v, &st->entries[idx], (uid_t)-1, (gid_t)-1)) != SP_OK)
			return err;
		st->current = idx;
		st->opened = 1;
	}
	if (buf == NULL && len == 0) {
		st->opened = 0;
		return sp_vault_close_entry(st->v);
	}
	return sp_vault_write(st->v, buf, len);
}

static int parse_read_opts(const char *verb, const char *usage, int argc, char **argv,
    struct sp_unlock_req *req, const char **outdir, int *json)
{
	static const struct option opts[] = {
		{ "identity", required_argument, 0, 'i' }, { "passphrase", no_argument, 0, 'p' },
		{ "context", required_argument, 0, 'c' }, { "output", required_argument, 0, 'o' },
		{ "json", no_argument, 0, 'j' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:pc:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': req->identity = optarg; break;
		case 'p': req->passphrase = 1; break;
		case 'c': req->context = optarg; break;
		case 'o':
			if (outdir == NULL)
				return sp_usage_error(verb, "unknown option -o");
			*outdir = optarg;
			break;
		case 'j':
			if (json == NULL)
				return sp_usage_error(verb, "unknown option --json");
			*json = 1;
			break;
		case 'h': (void)fputs(usage, stdout); return -1;
		case ':': return sp_usage_error(verb, "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error(verb, "unknown option %s", argv[optind - 1]);
		}
	}
	return EXIT_OK;
}

int sp_cli_read_opts(const char *verb, const char *usage, int argc, char **argv,
    struct sp_unlock_req *req, const char **outdir, int *json)
{
	return parse_read_opts(verb, usage, argc, argv, req, outdir, json);
}

int cmd_open(int argc, char **argv)
{
	struct sp_unlock_req req = { "open", NULL, NULL, NULL, 0, 1 };
	struct open_state st = { NULL, NULL, 0, 0 };
	const char *dir = NULL;
	sp_source *src = NULL;
	sp_opener *o = NULL;
	size_t n = 0;
	int rc, err, dirfd = -1, made = 0;

	if ((rc = parse_read_opts("open", open_usage, argc, argv, &req, &dir, NULL)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	if (dir == NULL)
		return sp_usage_error("open", "no output directory: pass -o DIR");
	if (optind + 1 != argc)
		return sp_usage_error("open", "expected one bundle");
	req.bundle = argv[optind];
	if ((rc = sp_cli_unlock(&req, &src, &o)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if ((err = sp_open_index(o, &st.entries, &n)) != SP_OK) {
		rc = sp_fail_bundle("open", req.bundle, err, o);
		goto out;
	}
	if (mkdir(dir, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		rc = sp_fail_path("open", dir, SP_ERR_IO);
		goto out;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = errno == ELOOP || errno == ENOTDIR
			? sp_fail("open: %s: not a directory (or a symlink): pass a directory", dir)
			: sp_fail_path("open", dir, SP_ERR_IO);
		goto out;
	}
	if ((err = sp_vault_begin(&st.v, dirfd, (uid_t)-1, (gid_t)-1, 0700)) != SP_OK) {
		rc = sp_fail_path("open", dir, err);
		goto out;
	}
	if ((err = sp_open_payload(o, open_piece, &st)) != SP_OK) {
		rc = err == SP_ERR_IO ? sp_fail_path("open", dir, err) : sp_fail_bundle("open", req.bundle, err, o);
		goto out;
	}
	if ((err = sp_vault_commit(st.v)) != SP_OK) {
		rc = err == SP_ERR_UNSAFE_PATH ? sp_fail("open: %s: %s", dir, sp_err_str(err))
					       : sp_fail_path("open", dir, err);
		goto out;
	}
	/* cppcheck-suppress redundantAssignment ; EXIT_FAIL above keeps every goto out fail-closed */
	rc = EXIT_OK;
out:
	sp_vault_free(st.v);
	if (dirfd >= 0)
		close(dirfd);
	if (rc != EXIT_OK && made)
		(void)rmdir(dir);
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}

/* ---- cat ---- */

static const char cat_usage[] =
	"usage: secretpack cat [-i IDENTITY] [-p] [--context TEXT] BUNDLE NAME\n"
	"  Writes entry NAME to stdout, only once the whole bundle has been authenticated.\n";

struct cat_state {
	size_t want;
	unsigned char *buf;
	size_t len, cap;
};

static int cat_piece(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	struct cat_state *c = ctx;

	if (idx != c->want || len == 0)
		return SP_OK;
	if (len > c->cap - c->len)
		return SP_ERR_PAYLOAD;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	return SP_OK;
}

int cmd_cat(int argc, char **argv)
{
	struct sp_unlock_req req = { "cat", NULL, NULL, NULL, 0, 1 };
	struct cat_state c = { 0, NULL, 0, 0 };
	const sp_entry *entries = NULL;
	sp_source *src = NULL;
	sp_opener *o = NULL;
	size_t n = 0, i;
	int rc, err;

	if ((rc = parse_read_opts("cat", cat_usage, argc, argv, &req, NULL, NULL)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	if (optind + 2 != argc)
		return sp_usage_error("cat", "expected a bundle and an entry name");
	req.bundle = argv[optind];
	if ((rc = sp_cli_unlock(&req, &src, &o)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if ((err = sp_open_index(o, &entries, &n)) != SP_OK) {
		rc = sp_fail_bundle("cat", req.bundle, err, o);
		goto out;
	}
	for (i = 0; i < n && strcmp(entries[i].name, argv[optind + 1]) != 0; i++)
		;
	if (i == n) {
		rc = sp_fail("cat: %s: no entry named '%s': run 'secretpack inspect -i ...' to list them",
		    req.bundle, argv[optind + 1]);
		goto out;
	}
	c.want = i;
	c.cap = (size_t)entries[i].size;
	if ((c.buf = sodium_malloc(c.cap ? c.cap : 1)) == NULL) {
		rc = sp_fail_err("cat", SP_ERR_NOMEM);
		goto out;
	}
	if ((err = sp_open_payload(o, cat_piece, &c)) != SP_OK) {
		rc = sp_fail_bundle("cat", req.bundle, err, o);
		goto out;
	}
	if (c.len != c.cap) {
		rc = sp_fail_bundle("cat", req.bundle, SP_ERR_PAYLOAD, o);
		goto out;
	}
	if ((err = sp_io_write_all(STDOUT_FILENO, c.buf, c.len)) != SP_OK) {
		rc = sp_fail_path("cat", "stdout", err);
		goto out;
	}
	/* cppcheck-suppress redundantAssignment ; EXIT_FAIL above keeps every goto out fail-closed */
	rc = EXIT_OK;
out:
	if (c.buf != NULL)
		sodium_free(c.buf);
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}
