/* test_vectors.c - opens every .vec bundle in tests/vectors and checks the layer and error value.
 * Directory: argv[1], else $SP_VECTORS, else tests/vectors (relative to the repository root). */
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "sp_bundle.h"
#include "sp_crypto.h"
#include "sp_err.h"

#define VECTORS_MAX 256
#define FILE_MAX (4u << 20)
#define KEYS_MAX 4
#define ENTRIES_MAX 16

typedef struct {
	char name[SP_NAME_MAX + 1];
	uint64_t size;
	unsigned char sha256[32];
	uint32_t mode;
	char owner[SP_OWNER_MAX + 1];
	char env[SP_ENV_MAX + 1];
} want_entry;

typedef struct {
	char path[512];
	char *text;           /* the whole file; the fields below point into it */
	const char *expect, *error, *pass, *context;
	int has_description, has_now;
	uint64_t now;
	unsigned char sk[KEYS_MAX][32];
	size_t n_sk;
	want_entry e[ENTRIES_MAX];
	size_t n_e;
	/* format version 2 */
	unsigned char trust[KEYS_MAX][32];  /* signers the opener requires, when n_trust > 0 */
	size_t n_trust;
	int has_signer, is_signed;          /* signer: line, and whether it names a key */
	unsigned char signer[32];
	unsigned char rcpt[KEYS_MAX][32];   /* recipient: lines, the index's list on success */
	size_t n_rcpt;
	int rcpt_pass;                      /* passphrase_recipient: line, or -1 */
	unsigned char *bundle;
	size_t len;
	char problem[160];    /* set when the file itself is malformed */
} vector;

static const char *const err_names[SP_ERR_COUNT_] = {
	"SP_OK", "SP_ERR_NOMEM", "SP_ERR_IO", "SP_ERR_ARG", "SP_ERR_LIMIT", "SP_ERR_NOT_BUNDLE",
	"SP_ERR_VERSION", "SP_ERR_SUITE", "SP_ERR_HEADER", "SP_ERR_STANZA", "SP_ERR_KDF_PARAMS",
	"SP_ERR_WRONG_KEY", "SP_ERR_WRONG_PASS", "SP_ERR_NO_PASS_STANZA", "SP_ERR_HEADER_MAC",
	"SP_ERR_CONTEXT", "SP_ERR_EXPIRED", "SP_ERR_TRUNCATED", "SP_ERR_TAMPERED",
	"SP_ERR_TRAILING", "SP_ERR_PAYLOAD", "SP_ERR_NAME", "SP_ERR_DUPLICATE", "SP_ERR_META",
	"SP_ERR_ENCODING", "SP_ERR_CHECKSUM", "SP_ERR_ARMOR", "SP_ERR_TIME", "SP_ERR_PERM",
	"SP_ERR_EXISTS", "SP_ERR_NOT_FOUND", "SP_ERR_NOT_TMPFS", "SP_ERR_UNSAFE_PATH",
	"SP_ERR_PRIV", "SP_ERR_MANIFEST", "SP_ERR_CRYPTO", "SP_ERR_UNSIGNED", "SP_ERR_UNTRUSTED",
	"SP_ERR_SIGNATURE", "SP_ERR_KEY_KIND", "SP_ERR_NOT_BEFORE",
};

static const char *err_name(int err)
{
	return err >= 0 && err < SP_ERR_COUNT_ ? err_names[err] : "(unknown)";
}

/* ---- parsing a vector file ---- */

static int parse_entry(vector *v, const char *val)
{
	want_entry *w;
	char hash[65], mode[8];
	unsigned long long size;

	if (v->n_e == ENTRIES_MAX)
		return -1;
	w = &v->e[v->n_e++];
	if (sscanf(val, "%255s %llu %64s %7s %64s %64s", w->name, &size, hash, mode, w->owner,
	    w->env) != 6)
		return -1;
	w->size = size;
	w->mode = (uint32_t)strtoul(mode, NULL, 8);
	if (strcmp(w->owner, "-") == 0)
		w->owner[0] = '\0';
	if (strcmp(w->env, "-") == 0)
		w->env[0] = '\0';
	return sodium_hex2bin(w->sha256, 32, hash, 64, NULL, NULL, NULL);
}

static int parse_field(vector *v, char *line)
{
	char *val = strstr(line, ": ");

	if (val == NULL)
		return -1;
	*val = '\0';
	val += 2;
	if (strcmp(line, "description") == 0)
		v->has_description = 1;
	else if (strcmp(line, "secret_key") == 0 && v->n_sk < KEYS_MAX)
		return sodium_hex2bin(v->sk[v->n_sk++], 32, val, strlen(val), NULL, NULL, NULL);
	else if (strcmp(line, "passphrase") == 0)
		v->pass = val;
	else if (strcmp(line, "context") == 0)
		v->context = val;
	else if (strcmp(line, "now") == 0) {
		v->now = strtoull(val, NULL, 10);
		v->has_now = 1;
	} else if (strcmp(line, "expect") == 0)
		v->expect = val;
	else if (strcmp(line, "error") == 0)
		v->error = val;
	else if (strcmp(line, "entry") == 0)
		return parse_entry(v, val);
	else if (strcmp(line, "trust") == 0 && v->n_trust < KEYS_MAX)
		return sodium_hex2bin(v->trust[v->n_trust++], 32, val, strlen(val), NULL, NULL, NULL);
	else if (strcmp(line, "signer") == 0) {
		v->has_signer = 1;
		v->is_signed = strcmp(val, "none") != 0;
		return v->is_signed ? sodium_hex2bin(v->signer, 32, val, strlen(val), NULL, NULL, NULL) : 0;
	} else if (strcmp(line, "recipient") == 0 && v->n_rcpt < KEYS_MAX)
		return sodium_hex2bin(v->rcpt[v->n_rcpt++], 32, val, strlen(val), NULL, NULL, NULL);
	else if (strcmp(line, "passphrase_recipient") == 0)
		v->rcpt_pass = atoi(val);
	else
		return -1;
	return 0;
}

static int parse_hex(vector *v, const char *hex)
{
	size_t n = strlen(hex);

	if ((v->bundle = malloc(n / 2 + 1)) == NULL)
		return -1;
	return sodium_hex2bin(v->bundle, n / 2 + 1, hex, n, " \t\r\n", &v->len, NULL);
}

static void vector_parse(vector *v)
{
	char *p = v->text, *nl;

	while ((nl = strchr(p, '\n')) != NULL && nl != p) {
		*nl = '\0';
		if (parse_field(v, p) != 0) {
			snprintf(v->problem, sizeof v->problem, "bad line: %.60s", p);
			return;
		}
		p = nl + 1;
	}
	if (nl == NULL) {
		snprintf(v->problem, sizeof v->problem, "no blank line before the bundle");
		return;
	}
	if (!v->has_description || !v->has_now || v->expect == NULL || v->error == NULL)
		snprintf(v->problem, sizeof v->problem, "missing description, now, expect or error");
	else if (parse_hex(v, nl + 1) != 0)
		snprintf(v->problem, sizeof v->problem, "bad hex");
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t n;

	if (f == NULL)
		return NULL;
	if ((text = malloc(FILE_MAX + 1)) != NULL) {
		n = fread(text, 1, FILE_MAX + 1, f);
		if (n > FILE_MAX || ferror(f)) {
			free(text);
			text = NULL;
		} else {
			text[n] = '\0';
		}
	}
	fclose(f);
	return text;
}

/* ---- opening ---- */

typedef struct {
	const unsigned char *p;
	size_t len, off;
} memsrc;

static int mem_read(void *ctx, unsigned char *buf, size_t len, size_t *got)
{
	memsrc *s = ctx;
	size_t n = s->len - s->off < len ? s->len - s->off : len;

	memcpy(buf, s->p + s->off, n);
	s->off += n;
	*got = n;
	return SP_OK;
}

typedef struct {
	crypto_hash_sha256_state st[ENTRIES_MAX];
	uint64_t got[ENTRIES_MAX];
	int ended[ENTRIES_MAX];
	size_t n;
} hashes;

static int sink(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	hashes *h = ctx;

	if (idx >= h->n || h->ended[idx])
		return SP_ERR_ARG;
	if (buf == NULL) {
		h->ended[idx] = 1;
		return SP_OK;
	}
	h->got[idx] += len;
	crypto_hash_sha256_update(&h->st[idx], buf, len);
	return SP_OK;
}

/* The layer a failure belongs to follows from the step and the value, so that a parser bug
 * cannot pass as an authentication failure. */
static const char *layer_of(int step, int err)
{
	if (err == SP_OK)
		return "success";
	if (err == SP_ERR_TRUNCATED)
		return "truncated";
	switch (step) {
	case 0:
		return err == SP_ERR_STANZA || err == SP_ERR_KDF_PARAMS ? "stanza" : "header";
	case 1:
		return err == SP_ERR_HEADER_MAC ? "mac" : "unlock";
	case 2:
		return err == SP_ERR_EXPIRED ? "expired" : "context";
	case 3:
		return err == SP_ERR_TAMPERED ? "payload" : "index";
	case 5:
		return "trust";
	default:
		return err == SP_ERR_TRAILING ? "trailing" : err == SP_ERR_SIGNATURE ? "signature"
			: "payload";
	}
}

static void check_entries(const vector *v, const sp_entry *e, size_t n, hashes *h)
{
	unsigned char sum[32];

	assert_int_equal(n, v->n_e);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(e[i].name, v->e[i].name);
		assert_int_equal(e[i].size, v->e[i].size);
		assert_int_equal(e[i].mode, v->e[i].mode);
		assert_string_equal(e[i].owner, v->e[i].owner);
		assert_string_equal(e[i].env, v->e[i].env);
		assert_true(h->ended[i]);
		assert_int_equal(h->got[i], v->e[i].size);
		crypto_hash_sha256_final(&h->st[i], sum);
		assert_memory_equal(sum, v->e[i].sha256, 32);
	}
}

typedef struct {
	memsrc src;
	sp_opener *o;
	int step; /* 0 begin, 5 trust, 1 unlock, 2 check, 3 index, 4 payload */
	const sp_entry *e;
	size_t n;
	hashes h;
} opening;

static int open_steps(const vector *v, opening *op)
{
	int err;

	if ((err = sp_open_begin(&op->o, mem_read, &op->src)) != SP_OK)
		return err;
	op->step = 5;
	if (v->n_trust > 0 &&
	    (err = sp_open_trust(op->o, (const unsigned char (*)[32])v->trust, v->n_trust)) != SP_OK)
		return err;
	op->step = 1;
	err = sp_open_unlock(op->o, (const unsigned char (*)[32])v->sk, v->n_sk, v->pass,
	    v->pass ? strlen(v->pass) : 0);
	if (err != SP_OK)
		return err;
	op->step = 2;
	if ((err = sp_open_check(op->o, v->context, v->now)) != SP_OK)
		return err;
	op->step = 3;
	if ((err = sp_open_index(op->o, &op->e, &op->n)) != SP_OK)
		return err;
	op->step = 4;
	op->h.n = op->n < ENTRIES_MAX ? op->n : ENTRIES_MAX;
	for (size_t i = 0; i < op->h.n; i++)
		crypto_hash_sha256_init(&op->h.st[i]);
	return sp_open_payload(op->o, sink, &op->h);
}

/* The signer the header names and, on success, the recipient list of the index. */
static void check_v2(const vector *v, const sp_opener *o)
{
	const unsigned char (*pks)[32];
	sp_bundle_info info;
	size_t n;
	int pass, mine;

	sp_open_info(o, &info);
	if (v->has_signer) {
		assert_int_equal(info.is_signed, v->is_signed);
		if (v->is_signed)
			assert_memory_equal(info.signer, v->signer, 32);
	}
	if (v->rcpt_pass < 0)
		return;
	assert_int_equal(sp_open_recipients(o, &pks, &n, &pass, &mine), SP_OK);
	assert_int_equal(n, v->n_rcpt);
	assert_int_equal(pass, v->rcpt_pass);
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(pks[i], v->rcpt[i], 32);
}

static void run_vector(void **state)
{
	vector *v = *state;
	opening *op;
	int err, step;

	if (v->problem[0])
		fail_msg("%s: %s", v->path, v->problem);
	op = calloc(1, sizeof *op);
	assert_non_null(op);
	op->src = (memsrc){ v->bundle, v->len, 0 };
	err = open_steps(v, op);
	step = op->step;
	if (strcmp(layer_of(step, err), v->expect) != 0 || strcmp(err_name(err), v->error) != 0) {
		sp_open_free(op->o);
		free(op);
		fail_msg("%s: got %s (%s), want %s (%s)", v->path, layer_of(step, err),
		    err_name(err), v->expect, v->error);
	}
	if (err == SP_OK)
		check_entries(v, op->e, op->n, &op->h);
	if (err == SP_OK)
		check_v2(v, op->o);
	sp_open_free(op->o);
	free(op);
}

static void no_vectors(void **state)
{
	fail_msg("no *.vec files in %s", (const char *)*state);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t list_vectors(const char *dir, char **names, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		size_t len = strlen(de->d_name);

		if (len > 4 && strcmp(de->d_name + len - 4, ".vec") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	return n;
}

int main(int argc, char **argv)
{
	static struct CMUnitTest tests[VECTORS_MAX];
	static vector vecs[VECTORS_MAX];
	static char *names[VECTORS_MAX];
	static char dir_copy[256];
	const char *dir = argc > 1 ? argv[1] : getenv("SP_VECTORS");
	size_t n;
	int rc;

	if (dir == NULL || *dir == '\0')
		dir = "tests/vectors";
	if (sp_crypto_init() != SP_OK)
		return 1;
	n = list_vectors(dir, names, VECTORS_MAX);
	snprintf(dir_copy, sizeof dir_copy, "%s", dir);
	if (n == 0)
		tests[0] = (struct CMUnitTest){ "vectors found", no_vectors, NULL, NULL, dir_copy };
	for (size_t i = 0; i < n; i++) {
		vector *v = &vecs[i];

		snprintf(v->path, sizeof v->path, "%s/%s", dir, names[i]);
		v->rcpt_pass = -1;
		if ((v->text = read_text(v->path)) == NULL)
			snprintf(v->problem, sizeof v->problem, "unreadable or over 4 MiB");
		else
			vector_parse(v);
		tests[i] = (struct CMUnitTest){ names[i], run_vector, NULL, NULL, v };
	}
	rc = cmocka_run_group_tests_name("vectors", tests, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		free(vecs[i].text);
		free(vecs[i].bundle);
		free(names[i]);
	}
	return rc;
}
