/* cmd_inspect.c - `secretpack inspect`: the header without a key; entry metadata (never contents)
 * with one, after the whole payload authenticated. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_io.h"

static const char inspect_usage[] =
	"usage: secretpack inspect [-i IDENTITY] [-p] [-c CTX] [--trust SIGNER]... [--json] BUNDLE\n"
	"  Without a key: version, created, expires, context, recipient counts and the signer of\n"
	"  BUNDLE (a signature is verified over the whole bundle).\n"
	"  With -i FILE or pipe (or SECRETPACK_KEY, SECRETPACK_KEY_FILE, SECRETPACK_KEY_FD) or -p: also\n"
	"  each entry's name, size, mode, owner and env variable, and the recipients' keys, once the\n"
	"  whole bundle authenticated. Never the contents.\n"
	"  -i, --identity FILE  identity file or pipe (else SECRETPACK_KEY, SECRETPACK_KEY_FILE or\n"
	"                       SECRETPACK_KEY_FD)\n"
	"  -p, --passphrase     use the bundle's passphrase (SECRETPACK_PASSPHRASE[_FILE] or terminal)\n"
	"  -c, --context CTX    the context to check against (default none)\n"
	"      --trust SIGNER   refuse unless signed by SIGNER: a spksig1... key or a file of them;\n"
	"                       repeatable (SECRETPACK_TRUST)\n"
	"      --json           print the header and entries as one JSON object\n"
	"  Entries are listed even when the context check (against -c) or the expiry check fails:\n"
	"  inspect only looks. A failed check is shown on the 'checks:' line (JSON: \"checks\") and\n"
	"  open, cat and run would refuse the bundle.\n";

/* What inspect learned beyond the header. */
struct seen {
	int verified;      /* the signature verified over the whole bundle */
	int trusted;       /* and its signer is in the trust list */
	const unsigned char (*rcpt)[32];
	size_t n_rcpt;
	int rcpt_pass, mine;
};

/* The result of the context and expiry checks, made on the authenticated header. */
struct checks {
	int context_ok, expired;
	const char *wanted; /* the context checked against, "" for none */
};

static void show_checks(const sp_bundle_info *in, const struct checks *c, int json)
{
	if (json) {
		printf(",\"checks\":{\"passed\":%s,\"context\":\"%s\",\"expiry\":\"%s\"}",
		    c->context_ok && !c->expired ? "true" : "false", c->context_ok ? "ok" : "mismatch",
		    c->expired ? "expired" : "ok");
		return;
	}
	if (c->context_ok && !c->expired) {
		printf("checks:     ok (context and expiry)\n");
		return;
	}
	printf("checks:     FAILED:");
	if (!c->context_ok)
		printf(" context mismatch (bound to %s%s%s, checked against %s%s%s);",
		    in->context[0] ? "'" : "", in->context[0] ? in->context : "no context",
		    in->context[0] ? "'" : "", c->wanted[0] ? "'" : "",
		    c->wanted[0] ? c->wanted : "no context", c->wanted[0] ? "'" : "");
	if (c->expired)
		printf(" expired;");
	/* Without --context, open and cat accept the bundle's own context; run does not. */
	if (!c->context_ok && !c->wanted[0])
		printf(" run refuses this bundle without --context; open and cat accept its own context%s\n",
		    c->expired ? " but not its expiry (--allow-expired reads it)" : "");
	else
		printf(" open, cat and run refuse this bundle%s\n",
		    c->expired ? " (open and cat read it with --allow-expired)" : "");
}

static void show(const char *path, const sp_bundle_info *in, const sp_entry *e, size_t n, int keyed,
    int json, const struct seen *sn, const struct checks *chk)
{
	char created[32], expires[32], key[SP_KEY_TEXT_MAX];
	int expired = in->expires != 0 && sp_now() >= in->expires;

	(void)sp_time_format(created, sizeof created, in->created);
	(void)sp_time_format(expires, sizeof expires, in->expires);
	if (json) {
		printf("{\"bundle\":");
		sp_cli_json_str(path);
		printf(",\"version\":%u,\"created\":\"%s\",\"expires\":", in->version, created);
		if (in->expires)
			printf("\"%s\",\"expired\":%s", expires, expired ? "true" : "false");
		else
			printf("null,\"expired\":false");
		printf(",\"context\":");
		if (in->context[0])
			sp_cli_json_str(in->context);
		else
			printf("null");
		printf(",\"recipients\":{\"x25519\":%u,\"passphrase\":%u}", in->n_x25519, in->n_passphrase);
		if (in->n_passphrase)
			printf(",\"kdf\":{\"algorithm\":\"argon2id\",\"t_cost\":%u,\"m_cost_kib\":%u,"
			       "\"parallelism\":%u}", in->kdf.t_cost, in->kdf.m_cost_kib, in->kdf.parallelism);
		printf(",\"signer\":");
		if (in->is_signed) {
			(void)sp_signer_encode(key, sizeof key, in->signer);
			printf("\"%s\",\"signature\":\"%s\",\"trusted\":%s", key,
			    sn->verified ? "verified" : "not verified", sn->trusted ? "true" : "false");
		} else {
			printf("null");
		}
		if (keyed && in->version != SP_VERSION_V1) {
			printf(",\"recipient_keys\":[");
			for (size_t i = 0; i < sn->n_rcpt; i++) {
				(void)sp_recipient_encode(key, sizeof key, sn->rcpt[i]);
				printf("%s\"%s\"", i ? "," : "", key);
			}
			printf("],\"passphrase_recipient\":%s,\"opened_with\":",
			    sn->rcpt_pass ? "true" : "false");
			if (sn->mine >= 0) {
				(void)sp_recipient_encode(key, sizeof key, sn->rcpt[sn->mine]);
				printf("\"%s\"", key);
			} else {
				printf("\"passphrase\"");
			}
		}
		if (keyed) {
			show_checks(in, chk, 1);
			printf(",\"entries\":[");
			for (size_t i = 0; i < n; i++) {
				printf("%s{\"name\":", i ? "," : "");
				sp_cli_json_str(e[i].name);
				printf(",\"size\":%llu,\"mode\":\"%04o\",\"owner\":", (unsigned long long)e[i].size,
				    (unsigned)e[i].mode);
				if (e[i].owner[0])
					sp_cli_json_str(e[i].owner);
				else
					printf("null");
				printf(",\"env\":");
				if (e[i].env[0])
					sp_cli_json_str(e[i].env);
				else
					printf("null");
				putchar('}');
			}
			putchar(']');
		}
		printf("}\n");
		return;
	}
	printf("bundle:     %s\n", path);
	printf("format:     secretpack bundle version %u\n", in->version);
	printf("created:    %s\n", created);
	printf("expires:    %s%s\n", in->expires ? expires : "never", expired ? " (expired)" : "");
	printf("context:    %s\n", in->context[0] ? in->context : "(none)");
	printf("recipients: %u x25519, %u passphrase", in->n_x25519, in->n_passphrase);
	if (in->n_passphrase)
		printf(" (argon2id t=%u m=%u KiB p=%u)", in->kdf.t_cost, in->kdf.m_cost_kib,
		    in->kdf.parallelism);
	putchar('\n');
	if (in->is_signed) {
		(void)sp_signer_encode(key, sizeof key, in->signer);
		printf("signer:     %s (%s%s)\n", key, sn->verified ? "signature verified" :
		    "signature not verified", sn->trusted ? ", trusted" : "");
	} else {
		printf("signer:     none (unsigned%s)\n", in->version == SP_VERSION_V1 ?
		    ": format version 1" : "");
	}
	if (!keyed)
		return;
	show_checks(in, chk, 0);
	for (size_t i = 0; i < sn->n_rcpt; i++) {
		(void)sp_recipient_encode(key, sizeof key, sn->rcpt[i]);
		printf("recipient:  %s%s\n", key, (int)i == sn->mine ? " (yours)" : "");
	}
	if (sn->rcpt_pass)
		printf("recipient:  passphrase%s\n", sn->mine < 0 ? " (yours)" : "");
	printf("entries:    %zu\n", n);
	for (size_t i = 0; i < n; i++)
		printf("  %04o %10llu  %-32s owner=%s env=%s\n", (unsigned)e[i].mode,
		    (unsigned long long)e[i].size, e[i].name, e[i].owner[0] ? e[i].owner : "-",
		    e[i].env[0] ? e[i].env : "-");
}

int cmd_inspect(int argc, char **argv)
{
	struct sp_unlock_req req = { .verb = "inspect" };
	const sp_entry *entries = NULL;
	sp_bundle_info info;
	struct seen sn = { 0, 0, NULL, 0, 0, -1 };
	sp_source *src = NULL;
	sp_opener *o = NULL;
	struct checks chk = { 1, 0, "" };
	size_t n = 0;
	int rc, err, json = 0, keyed;

	if ((rc = sp_cli_read_opts("inspect", inspect_usage, argc, argv, &req, NULL, &json, NULL)) != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	if (optind + 1 != argc)
		return sp_usage_error("inspect", "expected one bundle");
	req.bundle = argv[optind];
	keyed = req.identity != NULL || req.passphrase || sp_cli_key_env();
	if (keyed) {
		if ((rc = sp_cli_unlock(&req, &src, &o)) != EXIT_OK)
			return rc;
		rc = EXIT_FAIL;
		/* Look-only: a failed check is reported, not fatal (doc/FORMAT.md, Checks). */
		chk.wanted = req.context ? req.context : "";
		err = sp_open_check(o, chk.wanted, sp_now());
		chk.context_ok = err != SP_ERR_CONTEXT;
		/* sp_open_check stops at the first failure; the expiry is shown on its own too. */
		sp_open_info(o, &info);
		chk.expired = err == SP_ERR_EXPIRED || (info.expires != 0 && sp_now() >= info.expires);
		if ((err = sp_open_index(o, &entries, &n)) != SP_OK ||
		    (err = sp_open_authenticate(o)) != SP_OK ||
		    (err = sp_open_recipients(o, &sn.rcpt, &sn.n_rcpt, &sn.rcpt_pass, &sn.mine)) != SP_OK) {
			rc = sp_fail_bundle("inspect", req.bundle, err, o);
			goto out;
		}
		sp_open_info(o, &info);
		sn.verified = info.is_signed; /* sp_open_authenticate checked it */
	} else {
		if ((rc = sp_cli_begin("inspect", req.bundle, &src, &o)) != EXIT_OK)
			return rc;
		if ((rc = sp_cli_trust_check("inspect", req.bundle, &req.trust, &src, &o)) != EXIT_OK)
			return rc;
		rc = EXIT_FAIL;
		sp_open_info(o, &info);
		/* The signature covers the ciphertext: checking it needs no key. */
		if (info.is_signed && (err = sp_open_verify(o)) != SP_OK) {
			rc = sp_fail_bundle("inspect", req.bundle, err, o);
			goto out;
		}
		sn.verified = info.is_signed;
	}
	sp_open_info(o, &info);
	sn.trusted = sn.verified && req.trust.n > 0;
	show(req.bundle, &info, entries, n, keyed, json, &sn, &chk);
	/* cppcheck-suppress redundantAssignment ; EXIT_FAIL above keeps every goto out fail-closed */
	rc = fflush(stdout) == 0 ? EXIT_OK : sp_fail_path("inspect", "stdout", SP_ERR_IO);
out:
	sp_open_free(o);
	sp_source_close(src);
	return rc;
}
