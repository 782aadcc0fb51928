/* test_manifest.c - the INI manifest: the full example, syntax forms, and each error with its line. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "sp_crypto.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_manifest.h"

static char *read_fixture(const char *name)
{
	char path[4096];
	const char *tests = getenv("SP_TESTS"), *slash = strrchr(__FILE__, '/');
	FILE *f;
	char *buf;
	long n;

	if (tests != NULL) {
		snprintf(path, sizeof path, "%s/unit/data/%s", tests, name);
	} else if (slash != NULL) {
		snprintf(path, sizeof path, "%.*s/data/%s", (int)(slash - __FILE__), __FILE__, name);
	} else {
		snprintf(path, sizeof path, "data/%s", name);
	}
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_full_example(void **state)
{
	sp_manifest m;
	char err[256], *text = read_fixture("manifest-full.ini");
	unsigned char pk[32], want[32];
	int line = -1;
	size_t i;

	(void)state;
	assert_int_equal(sp_manifest_parse(&m, text, "/srv/app", &line, err, sizeof err), SP_OK);
	assert_int_equal(line, 0);
	assert_string_equal(err, "");
	assert_true(m.has_context);
	assert_string_equal(m.context, "shop@prod");
	assert_string_equal(m.expires, "2027-06-30");
	assert_int_equal(m.n_recipient_files, 2);
	assert_string_equal(m.recipient_files[0], "/srv/app/keys/prod.pub");
	assert_string_equal(m.recipient_files[1], "/etc/secretpack/ops.pub");
	assert_int_equal(m.n_recipients, 2);
	for (i = 0; i < 32; i++)
		want[i] = (unsigned char)i;
	assert_int_equal(sp_recipient_decode(pk, m.recipients[0], strlen(m.recipients[0])), SP_OK);
	assert_memory_equal(pk, want, 32);
	for (i = 0; i < 32; i++)
		want[i] = (unsigned char)(0xff - i);
	assert_int_equal(sp_recipient_decode(pk, m.recipients[1], strlen(m.recipients[1])), SP_OK);
	assert_memory_equal(pk, want, 32);

	assert_int_equal(m.n_entries, 3);
	assert_string_equal(m.entries[0].meta.name, "db_password");
	assert_string_equal(m.entries[0].path, "/srv/app/secrets/db_password.txt");
	assert_int_equal(m.entries[0].meta.mode, 0440);
	assert_string_equal(m.entries[0].meta.owner, "app:app");
	assert_string_equal(m.entries[0].meta.env, "DB_PASSWORD_FILE");
	assert_int_equal(m.entries[0].meta.size, 0);
	assert_int_equal(m.entries[0].line, 13);

	assert_string_equal(m.entries[1].meta.name, "tls/server.key");
	assert_string_equal(m.entries[1].path, "/srv/pki/server.key");
	assert_int_equal(m.entries[1].meta.mode, 0400);
	assert_string_equal(m.entries[1].meta.owner, "1000:1000");
	assert_string_equal(m.entries[1].meta.env, "");
	assert_int_equal(m.entries[1].line, 19);

	assert_string_equal(m.entries[2].meta.name, "api/token");
	assert_string_equal(m.entries[2].path, "/srv/app/secrets/api token.txt");
	assert_int_equal(m.entries[2].meta.mode, 0400);
	assert_string_equal(m.entries[2].meta.owner, "");
	assert_string_equal(m.entries[2].meta.env, "");
	assert_int_equal(m.entries[2].line, 25);
	sp_manifest_free(&m);
	assert_int_equal(m.n_entries, 0);
	assert_null(m.entries);
	sp_manifest_free(&m);
	free(text);
}

static const char brief[] =
    "[bundle]\n"
    "context = shop@prod\n"
    "recipients = keys/prod.pub     ; a recipients file, one per line\n"
    "expires = 2027-06-30\n"
    "\n"
    "[secret db_password]\n"
    "file = secrets/db_password.txt\n"
    "mode = 0440\n"
    "owner = app:app\n"
    "env = DB_PASSWORD_FILE\n";

static void test_paths(void **state)
{
	static const char *const cases[][3] = {
		{ "/srv/app", "/srv/app/keys/prod.pub", "/srv/app/secrets/db_password.txt" },
		{ "/srv/app/", "/srv/app/keys/prod.pub", "/srv/app/secrets/db_password.txt" },
		{ "rel", "rel/keys/prod.pub", "rel/secrets/db_password.txt" },
		{ "/", "/keys/prod.pub", "/secrets/db_password.txt" },
		{ "", "keys/prod.pub", "secrets/db_password.txt" },
		{ NULL, "keys/prod.pub", "secrets/db_password.txt" },
	};
	sp_manifest m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(sp_manifest_parse(&m, brief, cases[i][0], NULL, NULL, 0), SP_OK);
		assert_string_equal(m.context, "shop@prod");
		assert_string_equal(m.expires, "2027-06-30");
		assert_int_equal(m.n_recipient_files, 1);
		assert_string_equal(m.recipient_files[0], cases[i][1]);
		assert_int_equal(m.n_recipients, 0);
		assert_int_equal(m.n_entries, 1);
		assert_string_equal(m.entries[0].path, cases[i][2]);
		assert_string_equal(m.entries[0].meta.env, "DB_PASSWORD_FILE");
		assert_int_equal(m.entries[0].line, 6);
		sp_manifest_free(&m);
	}
}

static void test_syntax_forms(void **state)
{
	char text[1024], name[201];
	sp_manifest m;
	int line;

	(void)state;
	/* BOM, CRLF, indentation, ':' separator, comments of both kinds, no final newline */
	assert_int_equal(sp_manifest_parse(&m,
	    "\xef\xbb\xbf[ secret  a/b ]   ; header comment\r\n"
	    "    file: x.txt\r\n"
	    "\tmode=0600\r\n"
	    "  ; indented comment\r\n"
	    "  # another\r\n"
	    "# top\r\n"
	    "env = A_B ; comment\r\n"
	    "[bundle]\r\n"
	    "  context = a;b ; c\r\n"
	    "recipients = one\r\n"
	    "recipients = two", "/d", &line, NULL, 0), SP_OK);
	assert_int_equal(m.n_entries, 1);
	assert_string_equal(m.entries[0].meta.name, "a/b");
	assert_int_equal(m.entries[0].line, 1);
	assert_string_equal(m.entries[0].path, "/d/x.txt");
	assert_int_equal(m.entries[0].meta.mode, 0600);
	assert_string_equal(m.context, "a;b");
	assert_int_equal(m.n_recipient_files, 2);
	assert_string_equal(m.recipient_files[1], "/d/two");
	sp_manifest_free(&m);

	/* an empty manifest and a bundle-only one are not errors here (seal decides) */
	assert_int_equal(sp_manifest_parse(&m, "", NULL, &line, NULL, 0), SP_OK);
	assert_int_equal(m.n_entries, 0);
	assert_false(m.has_context);
	assert_string_equal(m.expires, "");
	sp_manifest_free(&m);

	/* section headers are not bound by inih's line length */
	memset(name, 'n', 200);
	name[200] = '\0';
	snprintf(text, sizeof text, "[secret %s]\nfile = f\n[secret b]\nfile = g\n", name);
	assert_int_equal(sp_manifest_parse(&m, text, NULL, &line, NULL, 0), SP_OK);
	assert_int_equal(m.n_entries, 2);
	assert_string_equal(m.entries[0].meta.name, name);
	assert_string_equal(m.entries[1].meta.name, "b");
	sp_manifest_free(&m);

	/* nor are comment lines */
	memset(name, '-', 200);
	snprintf(text, sizeof text, "# %s\n[secret b]\nfile = g\n", name);
	assert_int_equal(sp_manifest_parse(&m, text, NULL, &line, NULL, 0), SP_OK);
	sp_manifest_free(&m);
}

typedef struct {
	const char *text;
	int line;
	const char *msg;
} bad_case;

static void check_bad(const bad_case *c)
{
	sp_manifest m;
	char err[256];
	int line = -1;

	memset(&m, 0xa5, sizeof m);
	memset(err, 'x', sizeof err);
	if (sp_manifest_parse(&m, c->text, "/base", &line, err, sizeof err) != SP_ERR_MANIFEST ||
	    line != c->line || strstr(err, c->msg) == NULL)
		fail_msg("manifest:\n%s\nwant line %d '%s', got line %d '%s'", c->text, c->line, c->msg,
		    line, err);
	/* nothing is left behind */
	assert_int_equal(m.n_entries, 0);
	assert_null(m.entries);
	assert_null(m.recipient_files);
	assert_null(m.recipients);
	sp_manifest_free(&m);
}

static const bad_case bad_cases[] = {
	/* unknown keys and sections */
	{ "[bundle]\ncontext = a\n\n[secret db_password]\nfiel = x\n", 5,
	  "unknown key 'fiel' in [secret db_password]" },
	{ "[bundle]\nrecipent = spkpub1x\n", 2, "unknown key 'recipent' in [bundle]" },
	{ "[secret a]\nfile = x\nFile = y\n", 3, "unknown key 'File' in [secret a]" },
	{ "[bundle]\n[secrets]\nfile = x\n", 2, "unknown section '[secrets]'" },
	{ "[Bundle]\n", 1, "unknown section '[Bundle]'" },
	{ "[secretx]\n", 1, "unknown section '[secretx]'" },
	{ "[]\n", 1, "unknown section '[]'" },
	{ "[secret a]\nfile = x\n[\x1b[31m]\n", 3, "unknown section '[?[31m]'" },
	/* duplicates */
	{ "[bundle]\ncontext = a\ncontext = b\n", 3, "duplicate key 'context' in [bundle]" },
	{ "[bundle]\nexpires = 90d\n\nexpires = 30d\n", 4, "duplicate key 'expires' in [bundle]" },
	{ "[secret a]\nfile = x\nmode = 0400\nmode = 0440\n", 4, "duplicate key 'mode' in [secret a]" },
	{ "[secret a]\nfile = x\nfile = y\n", 3, "duplicate key 'file' in [secret a]" },
	{ "[secret a]\nfile = x\nowner = a\nowner = b\n", 4, "duplicate key 'owner' in [secret a]" },
	{ "[secret a]\nfile = x\nenv = A\nenv = B\n", 4, "duplicate key 'env' in [secret a]" },
	{ "[secret a]\nfile = x\n[secret b]\nfile = y\n[secret a]\nfile = z\n", 5,
	  "duplicate [secret a] (first at line 1)" },
	{ "[bundle]\ncontext = a\n[secret a]\nfile = x\n[bundle]\nexpires = 1d\n", 5,
	  "duplicate [bundle] section (first at line 1)" },
	/* missing file: reported at the section header */
	{ "[secret a]\nmode = 0400\n[secret b]\nfile = x\n", 1, "missing 'file' in [secret a]" },
	{ "[secret b]\nfile = x\n\n[secret a]\nmode = 0400\n", 4, "missing 'file' in [secret a]" },
	{ "[secret b]\nfile = x\n[secret a]\n", 3, "missing 'file' in [secret a]" },
	{ "[secret a]\n[bundle]\n", 1, "missing 'file' in [secret a]" },
	/* modes */
	{ "[secret a]\nfile = x\nmode = 0999\n", 3, "bad mode '0999': use octal like 0400" },
	{ "[secret a]\nfile = x\nmode = 04000\n", 3, "bad mode '04000': use octal" },
	{ "[secret a]\nfile = x\nmode = 40\n", 3, "bad mode '40': use octal" },
	{ "[secret a]\nfile = x\nmode = 0x1ff\n", 3, "bad mode '0x1ff': use octal" },
	{ "[secret a]\nfile = x\nmode = -400\n", 3, "bad mode '-400': use octal" },
	{ "[secret a]\nfile = x\nmode = rw-r\n", 3, "bad mode 'rw-r': use octal" },
	{ "[secret a]\nfile = x\nmode = 0200\n", 3, "bad mode '0200': must be" },
	{ "[secret a]\nfile = x\nmode = 1400\n", 3, "bad mode '1400': must be" },
	/* names */
	{ "[secret ../etc/passwd]\nfile = x\n", 1, "unsafe secret name '../etc/passwd'" },
	{ "[secret /etc/passwd]\nfile = x\n", 1, "unsafe secret name '/etc/passwd'" },
	{ "[secret a//b]\nfile = x\n", 1, "unsafe secret name 'a//b'" },
	{ "[secret a/./b]\nfile = x\n", 1, "unsafe secret name 'a/./b'" },
	{ "[secret]\nfile = x\n", 1, "missing name in [secret]" },
	{ "[secret    ]\nfile = x\n", 1, "missing name in [secret]" },
	{ "[secret a]\nfile = x\n[secret a/b]\nfile = y\n", 3, "secret 'a' is also a folder of 'a/b'" },
	{ "[secret a/b/c]\nfile = x\n\n[secret a/b]\nfile = y\n", 4,
	  "secret 'a/b' is also a folder of 'a/b/c'" },
	/* owner, env, context, expires, recipient */
	{ "[secret a]\nfile = x\nowner = app app\n", 3, "bad owner 'app app': use user, user:group" },
	{ "[secret a]\nfile = x\nowner = a:b:c\n", 3, "bad owner 'a:b:c'" },
	{ "[secret a]\nfile = x\nenv = 1BAD\n", 3, "bad env '1BAD'" },
	{ "[secret a]\nfile = x\nenv = LD_PRELOAD\n", 3, "bad env 'LD_PRELOAD'" },
	{ "[secret a]\nfile = x\nenv = A-B\n", 3, "bad env 'A-B'" },
	{ "[bundle]\ncontext = a\x01z\n", 2, "bad context 'a?z'" },
	{ "[bundle]\ncontext = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 2,
	  "bad context 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'" },
	{ "[bundle]\nexpires = 2027-02-29\n", 2, "bad expires '2027-02-29': use YYYY-MM-DD" },
	{ "[bundle]\nexpires = soon\n", 2, "bad expires 'soon'" },
	{ "[bundle]\nrecipient = spkpub1aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypygeeaob\n", 2,
	  "key checksum mismatch" },
	{ "[bundle]\nrecipient = keys/prod.pub\n", 2, "bad recipient: not a valid key" },
	/* syntax */
	{ "[bundle]\ncontext = a\njust words\n", 3, "expected 'key = value'" },
	{ "[secret a]\ngarbage\nfiel = x\n", 2, "expected 'key = value'" },
	{ "[secret a]\nfiel = x\ngarbage\n", 2, "unknown key 'fiel'" },
	{ "context = a\n[bundle]\n", 1, "key 'context' outside a section" },
	{ "[secret a]\nfile =\n", 2, "empty value for 'file' in [secret a]" },
	{ "[secret a]\nfile = x\nenv = ; nothing\n", 3, "empty value for 'env' in [secret a]" },
	{ "[secret a\nfile = x\n", 1, "expected ']'" },
	{ "[bundle] x\n", 1, "unexpected text after ']'" },
	{ "\n\n[bundle]\n= value\n", 4, "unknown key '' in [bundle]" },
};

static void test_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
		check_bad(&bad_cases[i]);
}

static void test_long_lines(void **state)
{
	char text[2048], name[300];
	bad_case c;

	(void)state;
	memset(name, 'p', 260);
	name[260] = '\0';
	snprintf(text, sizeof text, "[secret a]\n\nfile = %.200s\n", name);
	c = (bad_case){ text, 3, "line too long" };
	check_bad(&c);
	snprintf(text, sizeof text, "[secret a]\nfile = x\n[secret %.256s]\nfile = y\n", name);
	c = (bad_case){ text, 3, "secret name too long" };
	check_bad(&c);
}

static void test_too_many(void **state)
{
	size_t cap = (SP_ENTRIES_MAX + 2) * 32, o = 0, i;
	char *text = malloc(cap);
	bad_case c;
	sp_manifest m;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < SP_ENTRIES_MAX; i++)
		o += (size_t)snprintf(text + o, cap - o, "[secret s%zu]\nfile = f\n", i);
	assert_int_equal(sp_manifest_parse(&m, text, NULL, NULL, NULL, 0), SP_OK);
	assert_int_equal(m.n_entries, SP_ENTRIES_MAX);
	sp_manifest_free(&m);
	snprintf(text + o, cap - o, "[secret last]\nfile = f\n");
	c = (bad_case){ text, 2 * SP_ENTRIES_MAX + 1, "too many secrets" };
	check_bad(&c);
	free(text);
}

/* The message buffer is optional and never overrun. */
static void test_err_buffer(void **state)
{
	sp_manifest m;
	char err[8];
	int line = 0;

	(void)state;
	assert_int_equal(sp_manifest_parse(&m, "[x]\n", NULL, NULL, NULL, 0), SP_ERR_MANIFEST);
	assert_int_equal(sp_manifest_parse(&m, "[x]\n", NULL, &line, err, sizeof err), SP_ERR_MANIFEST);
	assert_int_equal(line, 1);
	assert_string_equal(err, "unknown");
	assert_int_equal(sp_manifest_parse(NULL, "", NULL, &line, err, sizeof err), SP_ERR_ARG);
	assert_int_equal(sp_manifest_parse(&m, NULL, NULL, &line, err, sizeof err), SP_ERR_ARG);
}

static int setup(void **state)
{
	(void)state;
	return sp_crypto_init() == SP_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_syntax_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_err_buffer),
	};

	return cmocka_run_group_tests_name("manifest", tests, setup, NULL);
}
