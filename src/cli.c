/* cli.c - the front-end helpers every verb shares: one-line errors, identities, bundle unlock, options. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_io.h"
#include "sp_kdf.h"

int sp_fail(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof line, "secretpack: ");

	va_start(ap, fmt);
	(void)vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One line, whatever the message holds. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	strcat(line, "\n");
	(void)fputs(line, stderr);
	(void)fflush(stderr);
	return EXIT_FAIL;
}

int sp_fail_err(const char *what, int err)
{
	return sp_fail("%s: %s", what, sp_err_str(err));
}

int sp_fail_path(const char *verb, const char *path, int err)
{
	if (err == SP_ERR_IO)
		return sp_fail("%s: %s: %s", verb, path, strerror(errno));
	if (err == SP_ERR_NOT_FOUND)
		return sp_fail("%s: %s: no such file: check the path", verb, path);
	if (err == SP_ERR_UNSAFE_PATH)
		return sp_fail("%s: %s: not a regular file", verb, path);
	if (err == SP_ERR_PERM)
		return sp_fail("%s: %s: readable or writable by group or others: run 'chmod 600 %s'",
		    verb, path, path);
	return sp_fail("%s: %s: %s", verb, path, sp_err_str(err));
}

static const char *pass_source(void)
{
	const char *env = getenv("SECRETPACK_PASSPHRASE"), *file = getenv("SECRETPACK_PASSPHRASE_FILE");

	if (env != NULL && *env)
		return "SECRETPACK_PASSPHRASE";
	return file != NULL && *file ? "SECRETPACK_PASSPHRASE_FILE" : "terminal";
}

int sp_fail_pass(const char *verb, int err)
{
	switch (err) {
	case SP_ERR_ARG:
		return sp_fail("%s: no passphrase: set SECRETPACK_PASSPHRASE_FILE or SECRETPACK_PASSPHRASE, "
		    "or run on a terminal", verb);
	case SP_ERR_WRONG_PASS:
		return sp_fail("%s: empty passphrase, or the two entries differ: try again", verb);
	case SP_ERR_LIMIT:
		return sp_fail("%s: passphrase longer than %d bytes: use a shorter one", verb, SP_PASS_MAX);
	case SP_ERR_DUPLICATE:
		return sp_fail("%s: more than one passphrase source: SECRETPACK_PASSPHRASE and "
		    "SECRETPACK_PASSPHRASE_FILE are both set: keep one and unset the other (an empty value "
		    "unsets it)", verb);
	case SP_ERR_ENCODING:
		/* Named by the same precedence sp_io_passphrase reads them in. */
		(void)sp_fail("%s: %s: the passphrase holds a line break or NUL byte: put it on one line "
		    "(only one trailing newline is dropped)", verb, pass_source());
		return EXIT_USAGE;
	default: {
		const char *file = getenv("SECRETPACK_PASSPHRASE_FILE");
		/* The file as the user named it, so the fix (chmod 600 FILE) can be pasted. */
		return sp_fail_path(verb, file != NULL && *file ? file : "SECRETPACK_PASSPHRASE_FILE", err);
	}
	}
}

static int env_set(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v;
}

/* The key variables, in the order run names them (cmd_run_key.c). */
static const char *const key_vars[] = { "SECRETPACK_KEY", "SECRETPACK_KEY_FILE", "SECRETPACK_KEY_FD" };

/* At most one key variable is set (like run: none is silently preferred), and SECRETPACK_KEY_FD
 * names an open descriptor. Only asked when no -i was given: -i on the command line wins. */
static int key_env_check(const char *verb)
{
	const char *set[3], *fd = getenv("SECRETPACK_KEY_FD");
	size_t k = 0;

	for (size_t i = 0; i < 3; i++)
		if (env_set(key_vars[i]))
			set[k++] = key_vars[i];
	if (k == 2)
		return sp_fail("%s: more than one key source: %s and %s are both set: keep one and unset the "
		    "other (an empty value unsets it), or pass -i FILE", verb, set[0], set[1]);
	if (k == 3)
		return sp_fail("%s: more than one key source: %s, %s and %s are all set: keep one and unset "
		    "the others (an empty value unsets them), or pass -i FILE", verb, set[0], set[1], set[2]);
	if (fd != NULL && *fd && sp_io_key_fd(fd) < 0)
		return sp_fail("%s: SECRETPACK_KEY_FD=%s: not an open file descriptor: pass the key on "
		    "one, e.g. SECRETPACK_KEY_FD=3 %s 3<key", verb, fd, verb);
	return EXIT_OK;
}

/* The one line for a failure to load identities from shown (a path, a variable's name). */
static int identity_fail(const char *verb, const char *shown, int err, size_t bad, int is_fd)
{
	if (err == SP_OK)
		return EXIT_OK;
	if (err == SP_ERR_PERM && is_fd)
		return sp_fail("%s: %s: a file readable or writable by group or others: chmod 600 it, or "
		    "pass the key on a pipe", verb, shown);
	if (err == SP_ERR_UNSAFE_PATH)
		return sp_fail("%s: %s: a terminal, directory or device, not a key: give a file or a pipe "
		    "(-i <(command))", verb, shown);
	if (err == SP_ERR_KEY_KIND)
		return sp_fail("%s: %s: line %zu: this is a signing key, not an identity: give it to "
		    "seal --sign, and -i an identity from secretpack keygen", verb, shown, bad);
	if (err == SP_ERR_ARG || (err == SP_ERR_DUPLICATE && env_set("SECRETPACK_PASSPHRASE") &&
	    env_set("SECRETPACK_PASSPHRASE_FILE")))
		return sp_fail_pass(verb, err);
	if (err == SP_ERR_WRONG_PASS)
		return sp_fail("%s: %s: wrong passphrase for the encrypted identity", verb, shown);
	if (bad > 0)
		return sp_fail("%s: %s: line %zu: %s", verb, shown, bad, sp_err_str(err));
	return sp_fail_path(verb, shown, err);
}

int sp_cli_identities(const char *verb, const char *path, sp_identities *ids)
{
	const char *shown = path;
	char fdname[64];
	size_t bad = 0;
	int err;

	if (shown == NULL) {
		const char *key = getenv("SECRETPACK_KEY"), *fd = getenv("SECRETPACK_KEY_FD");
		if (key_env_check(verb) != EXIT_OK)
			return EXIT_FAIL;
		shown = key != NULL && *key ? "SECRETPACK_KEY" : getenv("SECRETPACK_KEY_FILE");
		if ((shown == NULL || *shown == '\0') && fd != NULL && *fd) {
			(void)snprintf(fdname, sizeof fdname, "SECRETPACK_KEY_FD=%.32s", fd);
			shown = fdname;
		}
	}
	if (shown == NULL || *shown == '\0')
		return sp_fail("%s: no identity: pass -i FILE or set SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD "
		    "or SECRETPACK_KEY", verb);
	err = sp_io_load_identities(ids, path, &bad);
	return identity_fail(verb, shown, err, bad, shown == fdname);
}

int sp_cli_identities_text(const char *verb, const char *shown, const unsigned char *text, size_t len,
    sp_identities *ids)
{
	size_t bad = 0;
	int err = sp_identities_parse(ids, (const char *)text, len, sp_io_identity_pass, NULL, &bad);

	return identity_fail(verb, shown, err, bad, 0);
}

int sp_usage_error(const char *verb, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sp_fail("%s: %s: run 'secretpack %s -h' for usage", verb, msg, verb);
	return EXIT_USAGE;
}

void sp_no_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

unsigned long long sp_now(void)
{
	time_t t = time(NULL);

	return t < 0 ? 0 : (unsigned long long)t;
}

int sp_fail_bundle(const char *verb, const char *path, int err, const sp_opener *o)
{
	sp_bundle_info info;

	if (err == SP_ERR_IO)
		return sp_fail_path(verb, path, err);
	if (err == SP_ERR_VERSION && o != NULL) {
		sp_open_info(o, &info);
		return sp_fail("%s: %s: bundle format version %u is not supported by this secretpack "
		    "(it reads versions 1 to %d): upgrade secretpack", verb, path, info.version, SP_VERSION);
	}
	return sp_fail("%s: %s: %s", verb, path, sp_err_str(err));
}

int sp_cli_key_env(void)
{
	const char *key = getenv("SECRETPACK_KEY"), *key_file = getenv("SECRETPACK_KEY_FILE");

	return (key != NULL && *key) || (key_file != NULL && *key_file) || env_set("SECRETPACK_KEY_FD");
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
	const sp_identities *keys;
	const char *ctx;
	int err, rc, have_key;

	sp_no_dumps();
	if (!strcmp(req->bundle, "-") && ((req->identity != NULL && !strcmp(req->identity, "-")) ||
	    (req->identity == NULL && req->keys == NULL && !env_set("SECRETPACK_KEY") &&
	     !env_set("SECRETPACK_KEY_FILE") && env_set("SECRETPACK_KEY_FD") &&
	     sp_io_key_fd(getenv("SECRETPACK_KEY_FD")) == STDIN_FILENO)))
		return sp_usage_error(req->verb, "the key and the bundle '-' both read stdin: give one of "
		    "them as a file or a pipe");
	if ((rc = sp_cli_begin(req->verb, req->bundle, src, o)) != EXIT_OK)
		return rc;
	if ((rc = sp_cli_trust_check(req->verb, req->bundle, &req->trust, src, o)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	sp_open_info(*o, &info);
	have_key = req->identity != NULL || sp_cli_key_env() || req->keys != NULL;
	/* An identity unless -p was given, or no key is configured and the bundle takes a passphrase. */
	if (req->passphrase == 0 && have_key && info.n_x25519 == 0) {
		rc = sp_fail("%s: %s: the bundle has only a passphrase recipient: pass -p (or set "
		    "SECRETPACK_PASSPHRASE_FILE)", req->verb, req->bundle);
		goto out;
	}
	/* Keys first, then the passphrase (doc/FORMAT.md): with -p, a configured key is tried too
	 * when the bundle has X25519 recipients. */
	if (req->keys != NULL) {
		/* Loaded once by the caller (a descriptor is read once). */
	} else if (req->passphrase && req->identity == NULL && have_key && info.n_x25519 > 0) {
		size_t bad = 0;

		if (key_env_check(req->verb) != EXIT_OK)
			goto out;
		/* -p with a key from the environment only: the passphrase was asked for, so a key that
		 * does not load (an encrypted identity under another passphrase) is skipped, not fatal. */
		if (sp_io_load_identities(&ids, NULL, &bad) != SP_OK)
			sp_identities_free(&ids);
	} else if ((have_key && (req->passphrase == 0 || info.n_x25519 > 0)) ||
	    (req->passphrase == 0 && info.n_passphrase == 0)) {
		if (sp_cli_identities(req->verb, req->identity, &ids) != EXIT_OK)
			goto out;
	}
	keys = req->keys != NULL ? req->keys : &ids;
	err = SP_ERR_WRONG_KEY;
	if (keys->n > 0)
		err = sp_open_unlock(*o, (const unsigned char (*)[32])keys->sk, keys->n, NULL, 0);
	/* Ask for the passphrase only when the keys did not open it and it can make a difference. */
	if (err == SP_ERR_WRONG_KEY && (req->passphrase || !have_key) &&
	    (info.n_passphrase > 0 || keys->n == 0)) {
		if (info.n_passphrase == 0) {
			rc = sp_fail("%s: %s: %s", req->verb, req->bundle, sp_err_str(SP_ERR_NO_PASS_STANZA));
			goto out;
		}
		if ((err = sp_io_passphrase(&pass, &plen, "Passphrase for the bundle: ", 0)) != SP_OK) {
			rc = sp_fail_pass(req->verb, err);
			goto out;
		}
		err = sp_open_unlock(*o, (const unsigned char (*)[32])keys->sk, keys->n, pass, plen);
	}
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
		/* Without --context, the bundle's own (now authenticated) context is accepted. */
		ctx = req->context ? req->context : info.context;
		if ((err = sp_open_check(*o, ctx, req->allow_expired ? 0 : sp_now())) != SP_OK) {
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
void sp_cli_unlock_note(const struct sp_unlock_req *req, const sp_opener *o)
{
	sp_bundle_info info;
	char when[32];

	if (!req->check)
		return;
	sp_open_info(o, &info);
	if (req->context == NULL && info.context[0])
		(void)sp_fail("%s: %s: note: bound to context '%s', accepted as no --context was given "
		    "(pass --context to require one)", req->verb, req->bundle, info.context);
	if (req->allow_expired && info.expires != 0 && sp_now() >= info.expires) {
		(void)sp_time_format(when, sizeof when, info.expires);
		(void)sp_fail("%s: %s: note: expired %s, read anyway (--allow-expired)", req->verb,
		    req->bundle, when);
	}
}

static int parse_read_opts(const char *verb, const char *usage, int argc, char **argv,
    struct sp_unlock_req *req, const char **outdir, int *json, int *force)
{
	static const struct option opts[] = {
		{ "identity", required_argument, 0, 'i' }, { "passphrase", no_argument, 0, 'p' },
		{ "context", required_argument, 0, 'c' }, { "output", required_argument, 0, 'o' },
		{ "json", no_argument, 0, 'j' }, { "force", no_argument, 0, 'f' },
		{ "trust", required_argument, 0, 't' }, { "allow-expired", no_argument, 0, 'x' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:pc:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': req->identity = optarg; break;
		case 'p': req->passphrase = 1; break;
		case 't':
			if (sp_cli_trust_add(verb, "--trust", optarg, &req->trust) != EXIT_OK)
				return EXIT_FAIL;
			break;
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
		case 'f':
			if (force == NULL)
				return sp_usage_error(verb, "unknown option --force");
			*force = 1;
			break;
		case 'x':
			if (!req->check)
				return sp_usage_error(verb, "unknown option --allow-expired");
			req->allow_expired = 1;
			break;
		case 'h': (void)fputs(usage, stdout); return -1;
		case ':': return sp_usage_error(verb, "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error(verb, "unknown option %s", argv[optind - 1]);
		}
	}
	return EXIT_OK;
}

int sp_cli_read_opts(const char *verb, const char *usage, int argc, char **argv,
    struct sp_unlock_req *req, const char **outdir, int *json, int *force)
{
	int rc = parse_read_opts(verb, usage, argc, argv, req, outdir, json, force);

	if (rc == EXIT_OK)
		rc = sp_cli_trust_env(verb, &req->trust);
	return rc;
}

/* ---- signatures ---- */

static int add_signer(const char *verb, const char *from, struct sp_trust *t,
    const unsigned char pk[32])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->pk[i], pk, 32) == 0)
			return EXIT_OK;
	if (t->n == SP_TRUST_MAX)
		return sp_fail("%s: %s: more than %d signer keys", verb, from, SP_TRUST_MAX);
	memcpy(t->pk[t->n++], pk, 32);
	t->from = t->from != NULL ? t->from : from;
	return EXIT_OK;
}

int sp_cli_trust_add(const char *verb, const char *from, const char *arg, struct sp_trust *t)
{
	unsigned char pk[32], *text = NULL, (*pks)[32] = NULL;
	size_t len = 0, n = 0, bad = 0;
	int err, rc = EXIT_OK;

	if (*arg == '\0')
		return sp_fail("%s: %s '': give a signer key (spksig1...) or a file of them", verb, from);
	if (sp_prefix_match(arg, strlen(arg), SP_SIGNER_PREFIX)) {
		if ((err = sp_signer_decode(pk, arg, strlen(arg))) != SP_OK)
			return sp_fail("%s: %s %s: %s", verb, from, arg, sp_err_str(err));
		return add_signer(verb, from, t, pk);
	}
	if (sp_prefix_match(arg, strlen(arg), SP_RECIPIENT_PREFIX) ||
	    sp_prefix_match(arg, strlen(arg), SP_IDENTITY_PREFIX))
		return sp_fail("%s: %s: %.16s... is an encryption key, not a signer key: trust the "
		    "spksig1... key that secretpack keygen --sign printed", verb, from, arg);
	if ((err = sp_io_read_file(arg, 1u << 20, 0, 0, &text, &len)) != SP_OK)
		return err == SP_ERR_NOT_FOUND
			? sp_fail("%s: %s %s: neither a signer key (spksig1...) nor a file", verb, from, arg)
			: sp_fail_path(verb, arg, err);
	err = sp_signers_parse(&pks, &n, (const char *)text, len, &bad);
	free(text);
	if (err == SP_ERR_KEY_KIND)
		rc = sp_fail("%s: %s: line %zu: an encryption key, not a signer key: list spksig1... "
		    "keys", verb, arg, bad);
	else if (err != SP_OK && bad > 0)
		rc = sp_fail("%s: %s: line %zu: %s", verb, arg, bad, sp_err_str(err));
	else if (err != SP_OK)
		rc = sp_fail("%s: %s: no signer keys: list spksig1... keys, one per line", verb, arg);
	for (size_t i = 0; rc == EXIT_OK && i < n; i++)
		rc = add_signer(verb, from, t, pks[i]);
	free(pks);
	return rc;
}

int sp_cli_trust_env(const char *verb, struct sp_trust *t)
{
	const char *v = getenv("SECRETPACK_TRUST");
	char *copy, *p, *next;
	int rc = EXIT_OK;

	if (t->n > 0 || v == NULL || *v == '\0')
		return EXIT_OK;
	if ((copy = strdup(v)) == NULL)
		return sp_fail_err(verb, SP_ERR_NOMEM);
	for (p = copy; p != NULL && rc == EXIT_OK; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		rc = sp_cli_trust_add(verb, "SECRETPACK_TRUST", p, t);
	}
	free(copy);
	return rc;
}

static int fail_trust(const char *verb, const char *path, const struct sp_trust *t,
    const sp_opener *o, int err)
{
	char key[SP_KEY_TEXT_MAX], want[SP_KEY_TEXT_MAX + 32];
	sp_bundle_info info;

	sp_open_info(o, &info);
	if (t->n == 1)
		(void)sp_signer_encode(want, sizeof want, t->pk[0]);
	else
		(void)snprintf(want, sizeof want, "one of the %zu keys it lists", t->n);
	if (err == SP_ERR_UNSIGNED)
		return sp_fail("%s: %s: not signed%s, and %s requires a signature from %s: sign it with "
		    "seal --sign, or remove %s", verb, path, info.version == SP_VERSION_V1 ?
		    " (format version 1)" : "", t->from, want, t->from);
	(void)sp_signer_encode(key, sizeof key, info.signer);
	return sp_fail("%s: %s: signed by %s, which %s does not list: add it, or re-seal with a "
	    "trusted key", verb, path, key, t->from);
}

int sp_cli_trust_check(const char *verb, const char *path, const struct sp_trust *t,
    sp_source **src, sp_opener **o)
{
	int err, rc;

	if (t == NULL || t->n == 0)
		return EXIT_OK;
	if ((err = sp_open_trust(*o, (const unsigned char (*)[32])t->pk, t->n)) != SP_OK) {
		rc = fail_trust(verb, path, t, *o, err);
		goto out;
	}
	/* Read twice when possible: the first pass checks the signature and decrypts nothing. A pipe
	 * is read once: the signature is checked as the bytes stream, before anything is kept. */
	if (!sp_source_rereadable(*src))
		return EXIT_OK;
	err = sp_open_verify(*o);
	sp_open_free(*o);
	*o = NULL;
	if (err != SP_OK) {
		rc = sp_fail_bundle(verb, path, err, NULL);
		goto out;
	}
	if ((err = sp_source_rewind(*src)) != SP_OK) {
		rc = sp_fail_path(verb, path, err);
		goto out;
	}
	if ((err = sp_open_begin(o, sp_source_read, *src)) != SP_OK) {
		rc = sp_fail_bundle(verb, path, err, *o);
		goto out;
	}
	if ((err = sp_open_trust(*o, (const unsigned char (*)[32])t->pk, t->n)) != SP_OK) {
		rc = fail_trust(verb, path, t, *o, err);
		goto out;
	}
	return EXIT_OK;
out:
	sp_open_free(*o);
	sp_source_close(*src);
	*o = NULL;
	*src = NULL;
	return rc;
}

int sp_cli_sign_key(const char *verb, const char *path, unsigned char sk[64], unsigned char pk[32])
{
	unsigned char *text = NULL;
	size_t len = 0;
	int err;

	if ((err = sp_io_read_input(path, 1u << 16, 1, 1, &text, &len)) != SP_OK)
		return sp_fail_path(verb, path, err);
	err = sp_cli_sign_key_text(verb, path, text, len, sk, pk);
	sp_io_free(text, len, 1);
	return err;
}

int sp_cli_sign_key_text(const char *verb, const char *shown, const unsigned char *text, size_t len,
    unsigned char sk[64], unsigned char pk[32])
{
	size_t bad = 0;
	int err = sp_sign_identity_parse(sk, pk, (const char *)text, len, sp_io_identity_pass, NULL, &bad);

	if (err == SP_OK)
		return EXIT_OK;
	if (err == SP_ERR_KEY_KIND)
		return sp_fail("%s: %s: an identity (encryption key), not a signing key: make one with "
		    "secretpack keygen --sign", verb, shown);
	if (err == SP_ERR_ENCODING && bad == 0)
		return sp_fail("%s: %s: expected one signing key (SPKSIGSEC1... or SPKSIGENC1...) from "
		    "secretpack keygen --sign", verb, shown);
	if (err == SP_ERR_WRONG_PASS)
		return sp_fail("%s: %s: wrong passphrase for the signing key", verb, shown);
	if (err == SP_ERR_ARG || (err != SP_ERR_ENCODING && err != SP_ERR_CHECKSUM && bad == 0))
		return sp_fail_pass(verb, err);
	return sp_fail("%s: %s: line %zu: %s", verb, shown, bad, sp_err_str(err));
}

void sp_cli_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

int sp_membuf_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct sp_membuf *m = ctx;
	unsigned char *np;

	if (len > SP_ARMOR_MAX || m->len + len > (size_t)SP_ARMOR_MAX / 4 * 3)
		return SP_ERR_LIMIT;
	if (m->len + len > m->cap) {
		size_t ncap = (m->len + len) * 2;
		if ((np = realloc(m->p, ncap)) == NULL)
			return SP_ERR_NOMEM;
		m->p = np;
		m->cap = ncap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return SP_OK;
}
