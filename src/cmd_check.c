/* cmd_check.c - `secretpack check`: a CI gate over bundles: well formed, opens, signed, not expiring. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_io.h"

static const char check_usage[] =
	"usage: secretpack check [-i IDENTITY] [-p] [--context TEXT] [--trust SIGNER]...\n"
	"                        [--expires-within DURATION] [--json] BUNDLE...\n"
	"  Checks each BUNDLE ('-' for stdin, once) and prints one line per bundle: on stdout\n"
	"  'secretpack: check: BUNDLE: ok (...)', on stderr the reason it fails.\n"
	"  Always: the header is well formed; a signed bundle's signature verifies over every byte.\n"
	"  With a key (-i FILE or pipe, -p, SECRETPACK_KEY, SECRETPACK_KEY_FILE or SECRETPACK_KEY_FD):\n"
	"  the bundle opens and its whole payload authenticates.\n"
	"  -i, --identity FILE           identity file or pipe\n"
	"  -p, --passphrase              use the bundle's passphrase\n"
	"  -c, --context TEXT            the bundle must be bound to TEXT (else its context is not\n"
	"                                checked)\n"
	"      --trust SIGNER            it must be signed by SIGNER (spksig1... or a file; repeatable;\n"
	"                                or SECRETPACK_TRUST)\n"
	"      --expires-within DURATION it must not expire within DURATION (30d, 12h, 2w; default 0:\n"
	"                                only an expired bundle fails this check)\n"
	"      --json                    one JSON object per line and bundle on stdout instead\n"
	"  Exit: 0 every bundle passed; 3 the worst was expired or expires within DURATION; 1 a bundle\n"
	"  is broken, tampered, not opened by the key, untrusted or bound to another context (1\n"
	"  outranks 3); 2 usage.\n";

#define VERB "check"
#define EXIT_EXPIRING 3

struct check_opts {
	struct sp_unlock_req req;
	uint64_t horizon; /* expiring (or expired) when expires <= horizon */
	const char *within;
	int json, keyed;
};

static const char *status_name(int rc, int expired)
{
	if (rc == EXIT_OK)
		return "ok";
	if (rc == EXIT_EXPIRING)
		return expired ? "expired" : "expiring";
	return "failed";
}

/* The bundle's line: ok on stdout, expiring on stderr (failures were reported where they
 * happened), or one JSON object on stdout. info is NULL when the header could not be read. */
static void report(const struct check_opts *c, const char *path, const sp_bundle_info *info, int rc)
{
	char exp[32], created[32], key[SP_KEY_TEXT_MAX];
	int expired = info != NULL && info->expires != 0 && sp_now() >= info->expires;

	if (info != NULL) {
		(void)sp_time_format(exp, sizeof exp, info->expires);
		(void)sp_time_format(created, sizeof created, info->created);
		if (info->is_signed)
			(void)sp_signer_encode(key, sizeof key, info->signer);
	}
	if (rc == EXIT_EXPIRING && expired)
		(void)sp_fail("%s: %s: expired %s: re-seal it with a later --expires", VERB, path, exp);
	else if (rc == EXIT_EXPIRING)
		(void)sp_fail("%s: %s: expires %s, within %s: re-seal it with a later --expires", VERB,
		    path, exp, c->within);
	if (c->json) {
		printf("{\"bundle\":");
		sp_cli_json_str(path);
		printf(",\"status\":\"%s\",\"exit\":%d", status_name(rc, expired), rc);
		if (info != NULL) {
			printf(",\"version\":%u,\"created\":\"%s\",\"expires\":", info->version, created);
			if (info->expires)
				printf("\"%s\"", exp);
			else
				printf("null");
			printf(",\"context\":");
			if (info->context[0])
				sp_cli_json_str(info->context);
			else
				printf("null");
			printf(",\"signer\":");
			if (info->is_signed)
				printf("\"%s\"", key);
			else
				printf("null");
			printf(",\"trusted\":%s,\"payload\":\"%s\"", rc != EXIT_FAIL && c->req.trust.n > 0 ?
			    "true" : "false", !c->keyed ? "not checked (no key)" : rc != EXIT_FAIL ?
			    "authenticated" : "failed");
		}
		printf("}\n");
		return;
	}
	if (rc != EXIT_OK)
		return;
	printf("secretpack: %s: %s: ok (%s%s, ", VERB, path, info->expires ? "expires " : "never expires",
	    info->expires ? exp : "");
	if (info->context[0])
		printf("context '%s'", info->context);
	else
		printf("no context");
	if (info->is_signed)
		printf(", signed by %s%s", key, c->req.trust.n > 0 ? ", trusted" : "");
	else
		printf(", unsigned");
	printf(", %s)\n", c->keyed ? "opened, payload authenticated" : "header only: no key given");
}

/* One bundle: EXIT_OK, EXIT_EXPIRING or EXIT_FAIL; every failure printed as one line. */
static int check_one(const struct check_opts *c, const char *path)
{
	struct sp_unlock_req req = c->req;
	const sp_entry *entries = NULL;
	sp_bundle_info info;
	sp_source *src = NULL;
	sp_opener *o = NULL;
	int rc = EXIT_FAIL, err, have_info = 0;
	size_t n = 0;

	req.bundle = path;
	if (c->keyed) {
		/* Context (when given) is checked by the unlock; expiry is ours to grade. */
		req.check = 1;
		req.allow_expired = 1;
		if (sp_cli_unlock(&req, &src, &o) != EXIT_OK)
			goto out;
		sp_open_info(o, &info);
		have_info = 1;
		if ((err = sp_open_index(o, &entries, &n)) != SP_OK ||
		    (err = sp_open_authenticate(o)) != SP_OK) {
			(void)sp_fail_bundle(VERB, path, err, o);
			goto out;
		}
	} else {
		if (sp_cli_begin(VERB, path, &src, &o) != EXIT_OK)
			goto out;
		if (sp_cli_trust_check(VERB, path, &req.trust, &src, &o) != EXIT_OK)
			goto out;
		sp_open_info(o, &info);
		have_info = 1;
		if (info.is_signed && (err = sp_open_verify(o)) != SP_OK) {
			(void)sp_fail_bundle(VERB, path, err, o);
			goto out;
		}
		if (req.context != NULL && strcmp(req.context, info.context) != 0) {
			(void)sp_fail("%s: %s: context mismatch: the bundle is bound to %s%s%s, not '%s': "
			    "pass the right --context", VERB, path, info.context[0] ? "'" : "",
			    info.context[0] ? info.context : "no context", info.context[0] ? "'" : "",
			    req.context);
			goto out;
		}
	}
	rc = info.expires != 0 && info.expires <= c->horizon ? EXIT_EXPIRING : EXIT_OK;
out:
	report(c, path, have_info ? &info : NULL, rc);
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, 0, 'i' }, { "passphrase", no_argument, 0, 'p' },
		{ "context", required_argument, 0, 'c' }, { "trust", required_argument, 0, 't' },
		{ "expires-within", required_argument, 0, 'w' }, { "json", no_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	struct check_opts c;
	sp_identities ids = { 0, NULL };
	int ch, rc = EXIT_OK, one, stdin_used = 0;

	memset(&c, 0, sizeof c);
	c.req.verb = VERB;
	c.within = NULL;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":i:pc:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': c.req.identity = optarg; break;
		case 'p': c.req.passphrase = 1; break;
		case 'c': c.req.context = optarg; break;
		case 't':
			if (sp_cli_trust_add(VERB, "--trust", optarg, &c.req.trust) != EXIT_OK)
				return EXIT_FAIL;
			break;
		case 'w': c.within = optarg; break;
		case 'j': c.json = 1; break;
		case 'h': (void)fputs(check_usage, stdout); return EXIT_OK;
		case ':': return sp_usage_error(VERB, "option %s needs a value", argv[optind - 1]);
		default: return sp_usage_error(VERB, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return sp_usage_error(VERB, "expected at least one bundle");
	for (int i = optind; i < argc; i++)
		if (!strcmp(argv[i], "-") && stdin_used++)
			return sp_usage_error(VERB, "'-' given twice: stdin can be read once");
	if (stdin_used && ((c.req.identity != NULL && !strcmp(c.req.identity, "-")) ||
	    (c.req.identity == NULL && sp_cli_key_env() && getenv("SECRETPACK_KEY_FD") != NULL &&
	     sp_io_key_fd(getenv("SECRETPACK_KEY_FD")) == 0)))
		return sp_usage_error(VERB, "the key and the bundle '-' both read stdin: give one of them "
		    "as a file or a pipe");
	c.horizon = sp_now();
	if (c.within != NULL && (c.within[0] < '0' || c.within[0] > '9' || strchr(c.within, '-') != NULL ||
	    sp_time_parse(&c.horizon, c.within, sp_now()) != SP_OK))
		return sp_usage_error(VERB, "--expires-within '%s': give a duration such as 30d, 12h or 2w",
		    c.within);
	if (sp_cli_trust_env(VERB, &c.req.trust) != EXIT_OK)
		return EXIT_FAIL;
	c.keyed = c.req.identity != NULL || c.req.passphrase || sp_cli_key_env();
	sp_no_dumps();
	/* The key is loaded once: a pipe or descriptor can be read only once. */
	if (c.req.identity != NULL || sp_cli_key_env()) {
		if (sp_cli_identities(VERB, c.req.identity, &ids) != EXIT_OK)
			return EXIT_FAIL;
		c.req.keys = &ids;
	}
	for (int i = optind; i < argc; i++) {
		one = check_one(&c, argv[i]);
		/* The worst wins: failure (1), then expiring (3), then ok. */
		if (one == EXIT_FAIL || (one == EXIT_EXPIRING && rc == EXIT_OK))
			rc = one;
	}
	sp_identities_free(&ids);
	if (fflush(stdout) != 0)
		return sp_fail_path(VERB, "stdout", SP_ERR_IO);
	return rc;
}
