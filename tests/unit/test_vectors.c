/* test_vectors.c - opens every .vec bundle in tests/vectors and checks the layer and error value;
 * armor, text-key and passphrase vectors too; and that every SP_ERR_* value doc/FORMAT.md names
 * has at least one vector. Directory: argv[1], else $SP_VECTORS, else tests/vectors (relative to
 * the repository root); the spec: $SP_FORMAT_MD, else DIR/../../doc/FORMAT.md. */
#include "unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_bundle.h"
#include "sp_crypto.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_identity.h"
#include "sp_io.h"
#include "sp_kdf.h"

#define VECTORS_MAX 1024
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
	uint64_t not_before;                /* not_before: line, 0 for none */
	unsigned char *bundle;
	size_t len;
	char problem[160];    /* set when the file itself is malformed */
	/* other kinds (absent kind: a binary bundle) */
	const char *kind, *key_type;
	unsigned char key[KEYS_MAX][32];  /* text-key: the keys expected, in order */
	size_t n_key;
	size_t pad;           /* armor: LF bytes appended to the input */
	int canonical;        /* armor: a writer must produce exactly this text */
	unsigned char want_pass[SP_PASS_MAX + 1];
	size_t want_pass_len;
	int has_want_pass;
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
	else if (strcmp(line, "kind") == 0)
		v->kind = val;
	else if (strcmp(line, "key_type") == 0)
		v->key_type = val;
	else if (strcmp(line, "key") == 0 && v->n_key < KEYS_MAX)
		return sodium_hex2bin(v->key[v->n_key++], 32, val, strlen(val), NULL, NULL, NULL);
	else if (strcmp(line, "pad") == 0)
		v->pad = (size_t)strtoull(val, NULL, 10);
	else if (strcmp(line, "canonical") == 0)
		v->canonical = strcmp(val, "yes") == 0;
	else if (strcmp(line, "passphrase_hex") == 0) {
		v->has_want_pass = 1;
		return sodium_hex2bin(v->want_pass, sizeof v->want_pass, val, strlen(val), NULL,
		    &v->want_pass_len, NULL);
	} else if (strcmp(line, "trust") == 0 && v->n_trust < KEYS_MAX)
		return sodium_hex2bin(v->trust[v->n_trust++], 32, val, strlen(val), NULL, NULL, NULL);
	else if (strcmp(line, "signer") == 0) {
		v->has_signer = 1;
		v->is_signed = strcmp(val, "none") != 0;
		return v->is_signed ? sodium_hex2bin(v->signer, 32, val, strlen(val), NULL, NULL, NULL) : 0;
	} else if (strcmp(line, "recipient") == 0 && v->n_rcpt < KEYS_MAX)
		return sodium_hex2bin(v->rcpt[v->n_rcpt++], 32, val, strlen(val), NULL, NULL, NULL);
	else if (strcmp(line, "passphrase_recipient") == 0)
		v->rcpt_pass = atoi(val);
	else if (strcmp(line, "not_before") == 0)
		v->not_before = strtoull(val, NULL, 10);
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
	case 6:
		return "not-before";
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
	sp_read_fn r;
	void *rctx;
	sp_opener *o;
	int step; /* 0 begin, 5 trust, 1 unlock, 2 check, 6 not before, 3 index, 4 payload */
	const sp_entry *e;
	size_t n;
	hashes h;
} opening;

static int open_steps(const vector *v, opening *op)
{
	int err;

	if ((err = sp_open_begin(&op->o, op->r, op->rctx)) != SP_OK)
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
	op->step = 6;
	if ((err = sp_open_check_created(op->o, v->not_before)) != SP_OK)
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

/* kind: armor. The input goes through the front end's bundle source (armor detection within
 * the first 64 bytes, the size limit, decoding), then is opened as a bundle. */
static int armor_source(const vector *v, sp_source **src)
{
	char path[64];
	int fd, err = SP_ERR_IO;

	*src = NULL;
	if ((fd = memfd_create("vector", MFD_CLOEXEC)) < 0)
		return SP_ERR_IO;
	if (sp_io_write_all(fd, v->bundle, v->len) == SP_OK) {
		unsigned char lf[4096];
		size_t left = v->pad;

		memset(lf, '\n', sizeof lf);
		err = SP_OK;
		while (err == SP_OK && left > 0) {
			size_t n = left < sizeof lf ? left : sizeof lf;

			err = sp_io_write_all(fd, lf, n);
			left -= n;
		}
	}
	if (err == SP_OK && lseek(fd, 0, SEEK_SET) != 0)
		err = SP_ERR_IO;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	if (err == SP_OK)
		err = sp_source_open(src, path);
	close(fd);
	return err;
}

/* A canonical armor vector is exactly what a writer produces for the bundle it holds. */
static void check_canonical(const vector *v)
{
	unsigned char *bin = NULL;
	char *text = NULL;
	size_t binlen = 0, textlen = 0;

	assert_int_equal(sp_armor_decode(&bin, &binlen, (const char *)v->bundle, v->len), SP_OK);
	assert_int_equal(sp_armor_encode(&text, &textlen, bin, binlen), SP_OK);
	assert_int_equal(textlen, v->len);
	assert_memory_equal(text, v->bundle, textlen);
	free(bin);
	free(text);
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

static void run_bundle(const vector *v)
{
	opening *op;
	sp_source *src = NULL;
	const char *layer;
	int err, step = 0;

	op = calloc(1, sizeof *op);
	assert_non_null(op);
	op->src = (memsrc){ v->bundle, v->len, 0 };
	op->r = mem_read;
	op->rctx = &op->src;
	if (v->kind != NULL && strcmp(v->kind, "armor") == 0) {
		err = armor_source(v, &src);
		op->r = sp_source_read;
		op->rctx = src;
	} else {
		err = SP_OK;
	}
	if (err == SP_OK) {
		err = open_steps(v, op);
		step = op->step;
		layer = layer_of(step, err);
	} else {
		layer = "armor";
	}
	if (strcmp(layer, v->expect) != 0 || strcmp(err_name(err), v->error) != 0) {
		sp_open_free(op->o);
		sp_source_close(src);
		free(op);
		fail_msg("%s: got %s (%s), want %s (%s)", v->path, layer, err_name(err), v->expect,
		    v->error);
	}
	if (err == SP_OK)
		check_entries(v, op->e, op->n, &op->h);
	if (err == SP_OK)
		check_v2(v, op->o);
	sp_open_free(op->o);
	sp_source_close(src);
	free(op);
	if (v->canonical)
		check_canonical(v);
}

static int vector_pass(void *ctx, char *buf, size_t cap, size_t *len)
{
	const vector *v = ctx;

	if (v->pass == NULL)
		return SP_ERR_ARG;
	*len = strlen(v->pass);
	if (*len + 1 > cap)
		return SP_ERR_LIMIT;
	memcpy(buf, v->pass, *len + 1);
	return SP_OK;
}

/* kind: text-key. A recipient or identity line, or an identity or recipients file. */
static void run_text_key(vector *v)
{
	unsigned char one[32], (*pks)[32] = NULL;
	const unsigned char (*got)[32] = NULL;
	sp_identities ids = { 0, NULL };
	const char *text = (const char *)v->bundle;
	size_t n = 0, bad = 0;
	int err = SP_ERR_ARG;

	if (v->key_type == NULL)
		fail_msg("%s: no key_type", v->path);
	if (strcmp(v->key_type, "recipient") == 0) {
		err = sp_recipient_decode(one, text, v->len);
		got = (const unsigned char (*)[32])one;
		n = 1;
	} else if (strcmp(v->key_type, "identity") == 0) {
		err = sp_identity_decode(one, text, v->len);
		got = (const unsigned char (*)[32])one;
		n = 1;
	} else if (strcmp(v->key_type, "identity-file") == 0) {
		err = sp_identities_parse(&ids, text, v->len, vector_pass, v, &bad);
		got = (const unsigned char (*)[32])ids.sk;
		n = ids.n;
	} else if (strcmp(v->key_type, "recipients-file") == 0) {
		err = sp_recipients_parse(&pks, &n, text, v->len, &bad);
		got = (const unsigned char (*)[32])pks;
	} else {
		fail_msg("%s: unknown key_type %s", v->path, v->key_type);
	}
	if (strcmp(err == SP_OK ? "success" : "key", v->expect) != 0 ||
	    strcmp(err_name(err), v->error) != 0) {
		sp_identities_free(&ids);
		free(pks);
		fail_msg("%s: got %s (%s), want %s (%s)", v->path, err == SP_OK ? "success" : "key",
		    err_name(err), v->expect, v->error);
	}
	if (err == SP_OK) {
		assert_int_equal(n, v->n_key);
		for (size_t i = 0; i < n; i++)
			assert_memory_equal(got[i], v->key[i], 32);
	}
	sp_identities_free(&ids);
	free(pks);
}

/* kind: passphrase. The bytes of a passphrase source (a file, a variable, a terminal line). */
static void run_passphrase(const vector *v)
{
	size_t n = sp_passphrase_line((const char *)v->bundle, v->len);
	int err = sp_passphrase_check((const char *)v->bundle, n);
	const char *layer = err == SP_OK ? "success" : "passphrase";

	if (strcmp(layer, v->expect) != 0 || strcmp(err_name(err), v->error) != 0)
		fail_msg("%s: got %s (%s), want %s (%s)", v->path, layer, err_name(err), v->expect,
		    v->error);
	if (err == SP_OK) {
		assert_true(v->has_want_pass);
		assert_int_equal(n, v->want_pass_len);
		assert_memory_equal(v->bundle, v->want_pass, n);
	}
}

static void run_vector(void **state)
{
	vector *v = *state;

	if (v->problem[0])
		fail_msg("%s: %s", v->path, v->problem);
	if (v->kind == NULL || strcmp(v->kind, "bundle") == 0 || strcmp(v->kind, "armor") == 0)
		run_bundle(v);
	else if (strcmp(v->kind, "text-key") == 0)
		run_text_key(v);
	else if (strcmp(v->kind, "passphrase") == 0)
		run_passphrase(v);
	else
		fail_msg("%s: unknown kind %s", v->path, v->kind);
}

/* Every SP_ERR_* value doc/FORMAT.md names (a rejection, a writer's refusal, an error of the
 * text forms) must be the expected error of at least one vector, so that the claim "the vectors
 * exercise every rejection" stays true as the spec grows. */
typedef struct {
	const char *spec_path;
	const vector *vecs;
	size_t n;
} coverage;

static void spec_coverage(void **state)
{
	const coverage *c = *state;
	char *text = read_text(c->spec_path), missing[1024] = "";
	size_t named = 0;

	if (text == NULL)
		fail_msg("cannot read %s", c->spec_path);
	for (char *p = strstr(text, "SP_ERR_"); p != NULL; p = strstr(p + 1, "SP_ERR_")) {
		char name[64];
		size_t len = 7, i;
		int found = 0;

		while (len < sizeof name - 1 && ((p[len] >= 'A' && p[len] <= 'Z') ||
		    (p[len] >= '0' && p[len] <= '9') || p[len] == '_'))
			len++;
		if (len == 7 || len == sizeof name - 1)
			continue; /* "SP_ERR_..." in prose */
		memcpy(name, p, len);
		name[len] = '\0';
		for (i = 0; i < c->n && !found; i++)
			found = c->vecs[i].error != NULL && strcmp(c->vecs[i].error, name) == 0;
		named++;
		if (!found && strstr(missing, name) == NULL &&
		    strlen(missing) + len + 2 < sizeof missing) {
			strcat(missing, " ");
			strcat(missing, name);
		}
	}
	free(text);
	assert_true(named > 0);
	if (missing[0])
		fail_msg("%s names error values that no vector expects:%s", c->spec_path, missing);
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
	static struct CMUnitTest tests[VECTORS_MAX + 2];
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
	{
		static coverage cov;
		static char spec_path[600];
		const char *env = getenv("SP_FORMAT_MD");

		if (env != NULL && *env)
			snprintf(spec_path, sizeof spec_path, "%s", env);
		else
			snprintf(spec_path, sizeof spec_path, "%s/../../doc/FORMAT.md", dir);
		cov = (coverage){ spec_path, vecs, n };
		tests[n > 0 ? n : 1] = (struct CMUnitTest){ "every error value in the spec has a vector",
			spec_coverage, NULL, NULL, &cov };
	}
	rc = _cmocka_run_group_tests("vectors", tests, (n > 0 ? n : 1) + 1, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		free(vecs[i].text);
		free(vecs[i].bundle);
		free(names[i]);
	}
	return rc;
}
