/* test_bundle.c - the bundle format: validation, round trips, and every rejection layer. */
#include "unit.h"

#include <stdlib.h>

#include <sodium.h>

#include "sp_bundle.h"
#include "sp_crypto.h"
#include "sp_err.h"

#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define MAX_ENTRIES 16

/* Header offsets (doc/FORMAT.md). */
#define OFF_VERSION 8
#define OFF_SUITE 10
#define OFF_HDRLEN 11
#define OFF_CREATED 15
#define OFF_EXPIRES 23
#define OFF_INDEXLEN 31
#define OFF_CTXLEN 35
#define STANZA_X_BYTES 83

static unsigned char pk[3][32], sk[3][32];

/* ---- memory I/O ---- */

typedef struct {
	unsigned char *p;
	size_t len, cap;
	size_t max_write;  /* largest single write seen */
	size_t fail_after; /* fail writes once this many bytes went through (0 = never) */
} membuf;

typedef struct {
	const unsigned char *p;
	size_t len, off;
	size_t max_read; /* largest single request seen */
	int fail;        /* return SP_ERR_IO on every read */
} memsrc;

static void mb_put(membuf *b, const void *src, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (len > 0)
		memcpy(b->p + b->len, src, len);
	b->len += len;
}

static void mb_free(membuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static int mem_write(void *ctx, const unsigned char *buf, size_t len)
{
	membuf *b = ctx;

	if (b->fail_after && b->len + len > b->fail_after)
		return SP_ERR_IO;
	if (len > b->max_write)
		b->max_write = len;
	mb_put(b, buf, len);
	return SP_OK;
}

static int mem_read(void *ctx, unsigned char *buf, size_t len, size_t *got)
{
	memsrc *s = ctx;
	size_t n = s->len - s->off;

	if (s->fail)
		return SP_ERR_IO;
	if (len > s->max_read)
		s->max_read = len;
	if (n > len)
		n = len;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	*got = n;
	return SP_OK;
}

/* ---- what the opener hands out, checked for order ---- */

typedef struct {
	membuf data[MAX_ENTRIES];
	int ended[MAX_ENTRIES];
	size_t calls;
	int bad_order;
	int fail_at; /* return SP_ERR_IO on this call (1-based; 0 = never) */
} collect;

static int sink(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	collect *c = ctx;

	c->calls++;
	if (c->fail_at && c->calls == (size_t)c->fail_at)
		return SP_ERR_IO;
	if (idx >= MAX_ENTRIES || c->ended[idx] || (idx > 0 && !c->ended[idx - 1]))
		c->bad_order = 1;
	else if (buf == NULL && len == 0)
		c->ended[idx] = 1;
	else if (buf == NULL || len == 0)
		c->bad_order = 1;
	else
		mb_put(&c->data[idx], buf, len);
	return SP_OK;
}

static void collect_free(collect *c)
{
	for (size_t i = 0; i < MAX_ENTRIES; i++)
		mb_free(&c->data[i]);
}

/* ---- fixtures ---- */

static sp_entry entry(const char *name, uint64_t size)
{
	sp_entry e;

	memset(&e, 0, sizeof e);
	snprintf(e.name, sizeof e.name, "%s", name);
	e.size = size;
	e.mode = 0400;
	return e;
}

static unsigned char *pattern(size_t len, unsigned seed)
{
	unsigned char *p = malloc(len ? len : 1);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)((i * 131u + seed * 17u + (i >> 8)) & 0xff);
	return p;
}

static void base_params(sp_seal_params *p, const sp_entry *e, size_t n)
{
	memset(p, 0, sizeof *p);
	p->created = 1700000000;
	p->x25519 = (const unsigned char (*)[32])pk;
	p->n_x25519 = 1;
	p->entries = e;
	p->n_entries = n;
}

/* Seals content (all entries concatenated) written in pieces of step bytes. */
static int seal_step(membuf *out, const sp_seal_params *p, const unsigned char *content,
    size_t len, size_t step)
{
	sp_sealer *s = NULL;
	int err;

	memset(out, 0, sizeof *out);
	if ((err = sp_seal_begin(&s, p, mem_write, out)) != SP_OK)
		return err;
	for (size_t off = 0; off < len && err == SP_OK; off += step)
		err = sp_seal_write(s, content + off, len - off < step ? len - off : step);
	if (err == SP_OK)
		err = sp_seal_finish(s);
	sp_seal_free(s);
	return err;
}

static int seal(membuf *out, const sp_seal_params *p, const unsigned char *content, size_t len)
{
	return seal_step(out, p, content, len, 4097);
}

typedef struct {
	const unsigned char (*sk)[32];
	size_t n_sk;
	const char *pass;
	const char *context;
	uint64_t now;
} open_args;

static open_args with_key(size_t i)
{
	open_args a = { (const unsigned char (*)[32])sk[i], 1, NULL, NULL, 1700000000 };

	return a;
}

/* Runs every step of opening; returns the first error. */
static int open_all(const unsigned char *b, size_t len, const open_args *a, collect *c,
    sp_bundle_info *info, memsrc *src_out)
{
	memsrc src = { b, len, 0, 0, 0 };
	sp_opener *o = NULL;
	const sp_entry *e;
	size_t n;
	int err;

	memset(c, 0, sizeof *c);
	err = sp_open_begin(&o, mem_read, &src);
	if (err == SP_OK && info != NULL)
		sp_open_info(o, info);
	if (err == SP_OK)
		err = sp_open_unlock(o, a->sk, a->n_sk, a->pass, a->pass ? strlen(a->pass) : 0);
	if (err == SP_OK)
		err = sp_open_check(o, a->context, a->now);
	if (err == SP_OK)
		err = sp_open_index(o, &e, &n);
	if (err == SP_OK)
		err = sp_open_payload(o, sink, c);
	if (err == SP_OK && c->bad_order)
		err = -1;
	sp_open_free(o);
	if (src_out != NULL)
		*src_out = src;
	return err;
}

static int open_err(const unsigned char *b, size_t len, const open_args *a)
{
	collect c;
	int err = open_all(b, len, a, &c, NULL, NULL);

	collect_free(&c);
	return err;
}

/* Seals the entries with the given content and checks that key i gets it all back. */
static void roundtrip(const sp_entry *e, size_t n, size_t step)
{
	sp_seal_params p;
	membuf out;
	collect c;
	uint64_t total = 0;
	unsigned char *content;
	open_args a = with_key(0);

	for (size_t i = 0; i < n; i++)
		total += e[i].size;
	content = pattern(total, 3);
	base_params(&p, e, n);
	assert_int_equal(seal_step(&out, &p, content, total, step), SP_OK);
	assert_int_equal(open_all(out.p, out.len, &a, &c, NULL, NULL), SP_OK);
	for (size_t i = 0, off = 0; i < n; off += e[i].size, i++) {
		assert_true(c.ended[i]);
		assert_int_equal(c.data[i].len, e[i].size);
		if (e[i].size)
			assert_memory_equal(c.data[i].p, content + off, e[i].size);
	}
	collect_free(&c);
	mb_free(&out);
	free(content);
}

/* ---- validation ---- */

static void test_name_check(void **state)
{
	static const char *const good[] = {
		"a", "db/password", "tls/server.crt", "x-y_z.key", "a@b+c=d", "...", ".env", "a..b",
		"1/2/3/4/5/6/7/8", ".secretpac", "x/.secretpack",
	};
	static const char *const bad[] = {
		"", "/abs", "a//b", "a/", "../x", "a/../b", "./a", "a/.", "..", ".", "a b", "a\\b",
		"a\tb", "a\nb", "\x7f", "caf\xc3\xa9", "a*b", "a:b", "1/2/3/4/5/6/7/8/9",
		".secretpack", ".secretpack-stage/x", "$HOME",
	};
	char longname[SP_NAME_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(sp_name_check(good[i]), SP_OK);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sp_name_check(bad[i]), SP_ERR_NAME);
	assert_int_equal(sp_name_check(NULL), SP_ERR_NAME);
	memset(longname, 'a', sizeof longname);
	longname[SP_NAME_MAX] = '\0';
	assert_int_equal(sp_name_check(longname), SP_OK);
	longname[SP_NAME_MAX] = 'a';
	longname[SP_NAME_MAX + 1] = '\0';
	assert_int_equal(sp_name_check(longname), SP_ERR_NAME);
}

static void test_env_check(void **state)
{
	static const char *const good[] = {
		"", "DB_PASSWORD", "_x", "a1", "API_KEY_2", "PATHX", "MY_PATH", "HOMEDIR", "LD",
	};
	static const char *const bad[] = {
		"1A", "A-B", "A B", "A=B", "LD_PRELOAD", "ld_library_path", "LD_X", "PATH", "path",
		"HOME", "SHELL", "IFS", "ENV", "BASH_ENV", "PYTHONPATH", "PYTHONHOME", "NODE_OPTIONS",
		"PERL5LIB", "RUBYOPT", "GCONV_PATH", "MALLOC_CHECK_", "GLIBC_TUNABLES",
		"SECRETPACK_KEY", "secretpack_key", "DYLD_INSERT_LIBRARIES", "BASH_FUNC_x",
		"JAVA_TOOL_OPTIONS", "OPENSSL_CONF", "TMPDIR", "LOCPATH", "\x01",
	};
	char longenv[SP_ENV_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(sp_env_check(good[i]), SP_OK);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sp_env_check(bad[i]), SP_ERR_META);
	assert_int_equal(sp_env_check(NULL), SP_ERR_META);
	memset(longenv, 'A', sizeof longenv);
	longenv[SP_ENV_MAX] = '\0';
	assert_int_equal(sp_env_check(longenv), SP_OK);
	longenv[SP_ENV_MAX] = 'A';
	longenv[SP_ENV_MAX + 1] = '\0';
	assert_int_equal(sp_env_check(longenv), SP_ERR_META);
}

static void test_owner_check(void **state)
{
	static const char *const good[] = {
		"", "app", "app:app", "1000", "1000:1000", "www-data", "a.b_c", "0:0", "app:1000",
		"4294967294",
	};
	static const char *const bad[] = {
		":", "app:", ":app", "a:b:c", "-app", "app:-grp", "a b", "a/b", "root\n", "a;b",
		"4294967295", "99999999999999999999", "1:4294967296", "ü",
	};
	char longowner[SP_OWNER_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_int_equal(sp_owner_check(good[i]), SP_OK);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sp_owner_check(bad[i]), SP_ERR_META);
	assert_int_equal(sp_owner_check(NULL), SP_ERR_META);
	memset(longowner, 'a', sizeof longowner);
	longowner[SP_OWNER_MAX] = '\0';
	assert_int_equal(sp_owner_check(longowner), SP_OK);
	longowner[SP_OWNER_MAX] = 'a';
	longowner[SP_OWNER_MAX + 1] = '\0';
	assert_int_equal(sp_owner_check(longowner), SP_ERR_META);
}

static void test_mode_context_check(void **state)
{
	char ctx[SP_CONTEXT_MAX + 2];

	(void)state;
	assert_int_equal(sp_mode_check(0400), SP_OK);
	assert_int_equal(sp_mode_check(0777), SP_OK);
	assert_int_equal(sp_mode_check(0440), SP_OK);
	assert_int_equal(sp_mode_check(0), SP_ERR_META);
	assert_int_equal(sp_mode_check(0200), SP_ERR_META);
	assert_int_equal(sp_mode_check(0377), SP_ERR_META);
	assert_int_equal(sp_mode_check(01400), SP_ERR_META);
	assert_int_equal(sp_mode_check(04755), SP_ERR_META);
	assert_int_equal(sp_context_check(NULL), SP_OK);
	assert_int_equal(sp_context_check(""), SP_OK);
	assert_int_equal(sp_context_check("prod eu-west-1 ~!@#$%^&*()"), SP_OK);
	assert_int_equal(sp_context_check("tab\there"), SP_ERR_ARG);
	assert_int_equal(sp_context_check("del\x7f"), SP_ERR_ARG);
	assert_int_equal(sp_context_check("caf\xc3\xa9"), SP_ERR_ARG);
	memset(ctx, 'c', sizeof ctx);
	ctx[SP_CONTEXT_MAX] = '\0';
	assert_int_equal(sp_context_check(ctx), SP_OK);
	ctx[SP_CONTEXT_MAX] = 'c';
	ctx[SP_CONTEXT_MAX + 1] = '\0';
	assert_int_equal(sp_context_check(ctx), SP_ERR_LIMIT);
}

static void test_entries_check(void **state)
{
	sp_entry e[3];
	sp_entry *many;

	(void)state;
	e[0] = entry("a", 1);
	e[1] = entry("b/c", 2);
	e[2] = entry("b/d", 3);
	assert_int_equal(sp_entries_check(e, 3), SP_OK);
	assert_int_equal(sp_entries_check(NULL, 0), SP_OK);
	assert_int_equal(sp_entries_check(NULL, 1), SP_ERR_ARG);
	e[2] = entry("a", 1);
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_DUPLICATE);
	e[2] = entry("a/x", 1); /* "a" is a file and a directory */
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_DUPLICATE);
	e[2] = entry("b", 1);
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_DUPLICATE);
	e[2] = entry("ab", 1); /* shares a prefix, not a directory */
	assert_int_equal(sp_entries_check(e, 3), SP_OK);
	snprintf(e[0].env, sizeof e[0].env, "DB_PASS");
	snprintf(e[2].env, sizeof e[2].env, "DB_PASS");
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_DUPLICATE);
	e[2].env[0] = '\0';
	assert_int_equal(sp_entries_check(e, 3), SP_OK);
	e[1].mode = 0200;
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_META);
	e[1].mode = 0400;
	snprintf(e[1].owner, sizeof e[1].owner, "-x");
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_META);
	e[1].owner[0] = '\0';
	snprintf(e[1].name, sizeof e[1].name, "../x");
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_NAME);
	e[1] = entry("b/c", SP_ENTRY_SIZE_MAX);
	assert_int_equal(sp_entries_check(e, 3), SP_OK);
	e[1].size++;
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_LIMIT);
	/* unterminated fields */
	e[1] = entry("b/c", 1);
	memset(e[1].name, 'a', sizeof e[1].name);
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_NAME);
	e[1] = entry("b/c", 1);
	memset(e[1].env, 'A', sizeof e[1].env);
	assert_int_equal(sp_entries_check(e, 3), SP_ERR_META);

	many = calloc(SP_ENTRIES_MAX + 1, sizeof *many);
	assert_non_null(many);
	for (size_t i = 0; i <= SP_ENTRIES_MAX; i++) {
		char name[32];

		snprintf(name, sizeof name, "s%zu", i);
		many[i] = entry(name, SP_TOTAL_SIZE_MAX / SP_ENTRIES_MAX);
	}
	assert_int_equal(sp_entries_check(many, SP_ENTRIES_MAX), SP_OK);
	assert_int_equal(sp_entries_check(many, SP_ENTRIES_MAX + 1), SP_ERR_LIMIT);
	many[0].size++; /* total one byte over */
	assert_int_equal(sp_entries_check(many, SP_ENTRIES_MAX), SP_ERR_LIMIT);
	free(many);
}

/* ---- sealing arguments ---- */

static void test_seal_refuses(void **state)
{
	sp_entry e[2] = { entry("a", 1), entry("b", 0) };
	unsigned char many_pk[SP_STANZAS_MAX + 1][32];
	sp_seal_params p;
	sp_sealer *s = NULL;
	membuf out = { 0 };

	(void)state;
	base_params(&p, e, 2);
	assert_int_equal(sp_seal_begin(&s, NULL, mem_write, &out), SP_ERR_ARG);
	assert_int_equal(sp_seal_begin(&s, &p, NULL, &out), SP_ERR_ARG);
	p.n_entries = 0;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_ARG);
	p.n_entries = 2;
	p.n_x25519 = 0;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_ARG);
	p.n_x25519 = 1;
	p.context = "bad\ncontext";
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_ARG);
	p.context = NULL;
	p.expires = p.created;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_ARG);
	p.expires = 0;
	p.passphrase_len = 3;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_ARG);
	p.passphrase = "pwd";
	p.kdf.t_cost = 1;
	p.kdf.m_cost_kib = SP_KDF_M_MIN;
	p.kdf.parallelism = 1;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_KDF_PARAMS);
	p.passphrase = NULL;
	p.passphrase_len = 0;
	e[1] = entry("a/b", 0);
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_DUPLICATE);
	e[1] = entry("/b", 0);
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_NAME);
	e[1] = entry("b", 0);
	for (size_t i = 0; i <= SP_STANZAS_MAX; i++) {
		unsigned char skx[32];

		sp_x25519_keygen(many_pk[i], skx);
	}
	p.x25519 = (const unsigned char (*)[32])many_pk;
	p.n_x25519 = SP_STANZAS_MAX + 1;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_LIMIT);
	p.n_x25519 = SP_STANZAS_MAX;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_OK);
	sp_seal_free(s);
	mb_free(&out);
	p.n_x25519 = SP_STANZAS_MAX;
	p.passphrase = "pwd";
	p.passphrase_len = 3;
	p.kdf.t_cost = 2;
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_LIMIT);
	assert_int_equal(out.len, 0); /* nothing written on refusal */
}

static void test_seal_size_mismatch(void **state)
{
	sp_entry e[1] = { entry("a", 10) };
	unsigned char buf[11] = { 0 };
	sp_seal_params p;
	sp_sealer *s = NULL;
	membuf out = { 0 };

	(void)state;
	base_params(&p, e, 1);
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_OK);
	assert_int_equal(sp_seal_write(s, buf, 5), SP_OK);
	assert_int_equal(sp_seal_finish(s), SP_ERR_ARG); /* 5 of 10 */
	assert_int_equal(sp_seal_write(s, buf, 5), SP_ERR_ARG); /* stays failed */
	sp_seal_free(s);
	mb_free(&out);
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_OK);
	assert_int_equal(sp_seal_write(s, buf, 11), SP_ERR_ARG);
	assert_int_equal(sp_seal_finish(s), SP_ERR_ARG);
	sp_seal_free(s);
	mb_free(&out);
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_OK);
	assert_int_equal(sp_seal_write(s, buf, 10), SP_OK);
	assert_int_equal(sp_seal_finish(s), SP_OK);
	assert_int_equal(sp_seal_finish(s), SP_ERR_ARG);
	assert_int_equal(sp_seal_write(s, buf, 1), SP_ERR_ARG);
	sp_seal_free(s);
	sp_seal_free(NULL);
	mb_free(&out);
}

static void test_seal_write_error(void **state)
{
	sp_entry e[1] = { entry("a", 3 * SP_CHUNK_BYTES) };
	unsigned char *content = pattern(3 * SP_CHUNK_BYTES, 1);
	sp_seal_params p;
	membuf out = { 0 };
	sp_sealer *s = NULL;

	(void)state;
	base_params(&p, e, 1);
	out.fail_after = 100; /* inside the header */
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_ERR_IO);
	assert_null(s);
	mb_free(&out);
	out.fail_after = SP_CHUNK_BYTES + 500; /* at the second content chunk */
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, &out), SP_OK);
	assert_int_equal(sp_seal_write(s, content, SP_CHUNK_BYTES), SP_OK);
	assert_int_equal(sp_seal_write(s, content, SP_CHUNK_BYTES), SP_ERR_IO);
	assert_int_equal(sp_seal_finish(s), SP_ERR_IO);
	sp_seal_free(s);
	mb_free(&out);
	free(content);
}

/* ---- round trips ---- */

static void test_roundtrip_one(void **state)
{
	sp_entry e[1] = { entry("db/password", 17) };

	(void)state;
	roundtrip(e, 1, 1);
	roundtrip(e, 1, 100);
}

static void test_roundtrip_empty(void **state)
{
	sp_entry e1[1] = { entry("empty", 0) };
	sp_entry e3[4] = { entry("e1", 0), entry("x", 5), entry("e2", 0), entry("e3", 0) };

	(void)state;
	roundtrip(e1, 1, 1);
	roundtrip(e3, 4, 2);
}

static void test_roundtrip_all_bytes(void **state)
{
	unsigned char content[256];
	sp_entry e[1] = { entry("bin", 256) };
	sp_seal_params p;
	membuf out;
	collect c;
	open_args a = with_key(0);

	(void)state;
	for (size_t i = 0; i < 256; i++)
		content[i] = (unsigned char)i;
	base_params(&p, e, 1);
	assert_int_equal(seal(&out, &p, content, sizeof content), SP_OK);
	assert_int_equal(open_all(out.p, out.len, &a, &c, NULL, NULL), SP_OK);
	assert_int_equal(c.data[0].len, 256);
	assert_memory_equal(c.data[0].p, content, 256);
	collect_free(&c);
	mb_free(&out);
}

/* Size of a sealed bundle: header, stream header, index, chunks and the final message. */
static size_t expected_len(size_t hdr, size_t index_len, uint64_t total)
{
	size_t chunks = (size_t)((total + SP_CHUNK_BYTES - 1) / SP_CHUNK_BYTES);

	return hdr + 24 + index_len + ABYTES + (size_t)total + chunks * ABYTES + ABYTES;
}

static void test_roundtrip_chunks(void **state)
{
	sp_entry e1[1] = { entry("c", SP_CHUNK_BYTES) };
	sp_entry e2[1] = { entry("c", SP_CHUNK_BYTES + 1) };
	sp_entry e3[3] = { entry("a", SP_CHUNK_BYTES - 1), entry("b", 2 * SP_CHUNK_BYTES + 7),
		entry("c/d", 3) };
	sp_seal_params p;
	membuf out;
	unsigned char *content = pattern(SP_CHUNK_BYTES + 1, 9);

	(void)state;
	roundtrip(e1, 1, SP_CHUNK_BYTES);
	roundtrip(e1, 1, 1000);
	roundtrip(e2, 1, SP_CHUNK_BYTES);
	roundtrip(e2, 1, 333);
	roundtrip(e3, 3, 65535);
	roundtrip(e3, 3, 5 * SP_CHUNK_BYTES);
	/* exactly as many messages as the spec says */
	base_params(&p, e1, 1);
	assert_int_equal(seal(&out, &p, content, SP_CHUNK_BYTES), SP_OK);
	assert_int_equal(out.len, expected_len(153, 21 + 34, SP_CHUNK_BYTES));
	mb_free(&out);
	base_params(&p, e2, 1);
	assert_int_equal(seal(&out, &p, content, SP_CHUNK_BYTES + 1), SP_OK);
	assert_int_equal(out.len, expected_len(153, 21 + 34, SP_CHUNK_BYTES + 1));
	mb_free(&out);
	free(content);
}

/* Reader and writer never move more than one message at a time, whatever the bundle size. */
static void test_streaming_bounded(void **state)
{
	sp_entry e[2] = { entry("a", 5 * SP_CHUNK_BYTES + 3), entry("b", 3 * SP_CHUNK_BYTES) };
	size_t total = 8 * SP_CHUNK_BYTES + 3;
	unsigned char *content = pattern(total, 5);
	sp_seal_params p;
	membuf out;
	collect c;
	memsrc src;
	open_args a = with_key(0);

	(void)state;
	base_params(&p, e, 2);
	assert_int_equal(seal_step(&out, &p, content, total, total), SP_OK);
	assert_true(out.max_write <= SP_CHUNK_BYTES + ABYTES);
	assert_int_equal(open_all(out.p, out.len, &a, &c, NULL, &src), SP_OK);
	assert_true(src.max_read <= SP_CHUNK_BYTES + ABYTES);
	assert_int_equal(src.off, out.len);
	assert_memory_equal(c.data[1].p, content + e[0].size, e[1].size);
	collect_free(&c);
	mb_free(&out);
	free(content);
}

static void test_several_recipients(void **state)
{
	sp_entry e[1] = { entry("k", 40) };
	unsigned char *content = pattern(40, 2);
	unsigned char dup[3][32];
	sp_seal_params p;
	sp_bundle_info info;
	membuf out;
	collect c;

	(void)state;
	base_params(&p, e, 1);
	p.n_x25519 = 3;
	assert_int_equal(seal(&out, &p, content, 40), SP_OK);
	for (size_t i = 0; i < 3; i++) {
		open_args a = with_key(i);

		assert_int_equal(open_all(out.p, out.len, &a, &c, &info, NULL), SP_OK);
		assert_int_equal(info.n_x25519, 3);
		assert_int_equal(info.n_passphrase, 0);
		assert_memory_equal(c.data[0].p, content, 40);
		collect_free(&c);
	}
	/* several identities at once: the one that matches is used */
	{
		unsigned char other[2][32];
		unsigned char pkx[32];
		open_args a = { (const unsigned char (*)[32])other, 2, NULL, NULL, 1700000000 };

		sp_x25519_keygen(pkx, other[0]);
		memcpy(other[1], sk[2], 32);
		assert_int_equal(open_err(out.p, out.len, &a), SP_OK);
	}
	mb_free(&out);
	/* the same recipient twice makes one stanza */
	memcpy(dup[0], pk[1], 32);
	memcpy(dup[1], pk[1], 32);
	memcpy(dup[2], pk[0], 32);
	p.x25519 = (const unsigned char (*)[32])dup;
	assert_int_equal(seal(&out, &p, content, 40), SP_OK);
	{
		open_args a = with_key(1);

		assert_int_equal(open_all(out.p, out.len, &a, &c, &info, NULL), SP_OK);
		assert_int_equal(info.n_x25519, 2);
		collect_free(&c);
	}
	mb_free(&out);
	free(content);
}

static void test_wrong_key(void **state)
{
	sp_entry e[1] = { entry("k", 4) };
	sp_seal_params p;
	membuf out;
	open_args a = with_key(1);
	memsrc src;
	sp_opener *o = NULL;

	(void)state;
	base_params(&p, e, 1);
	assert_int_equal(seal(&out, &p, (const unsigned char *)"abcd", 4), SP_OK);
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_WRONG_KEY);
	/* a failed unlock may be retried with the right key; no key at all is a misuse */
	src = (memsrc){ out.p, out.len, 0, 0, 0 };
	assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_OK);
	assert_int_equal(sp_open_unlock(o, NULL, 0, NULL, 0), SP_ERR_ARG);
	assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk[1], 1, NULL, 0),
	    SP_ERR_WRONG_KEY);
	assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk[0], 1, NULL, 0), SP_OK);
	assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk[0], 1, NULL, 0),
	    SP_ERR_ARG);
	sp_open_free(o);
	sp_open_free(NULL);
	mb_free(&out);
}

/* The sequence of calls is enforced: nothing before its step, nothing twice. */
static void test_open_order(void **state)
{
	sp_entry e[1] = { entry("k", 4) };
	sp_seal_params p;
	membuf out;
	memsrc src;
	sp_opener *o = NULL;
	const sp_entry *ent;
	size_t n;
	collect c;

	(void)state;
	memset(&c, 0, sizeof c);
	base_params(&p, e, 1);
	assert_int_equal(seal(&out, &p, (const unsigned char *)"abcd", 4), SP_OK);
	src = (memsrc){ out.p, out.len, 0, 0, 0 };
	assert_int_equal(sp_open_begin(NULL, mem_read, &src), SP_ERR_ARG);
	assert_int_equal(sp_open_begin(&o, NULL, &src), SP_ERR_ARG);
	assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_OK);
	assert_int_equal(sp_open_check(o, NULL, 0), SP_ERR_ARG);
	assert_int_equal(sp_open_index(o, &ent, &n), SP_ERR_ARG);
	assert_int_equal(sp_open_payload(o, sink, &c), SP_ERR_ARG);
	assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk[0], 1, NULL, 0), SP_OK);
	assert_int_equal(sp_open_payload(o, sink, &c), SP_ERR_ARG);
	assert_int_equal(sp_open_index(o, &ent, &n), SP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ent[0].name, "k");
	assert_int_equal(ent[0].size, 4);
	assert_int_equal(ent[0].mode, 0400);
	assert_int_equal(sp_open_index(o, &ent, &n), SP_ERR_ARG);
	assert_int_equal(sp_open_payload(o, NULL, &c), SP_ERR_ARG);
	assert_int_equal(sp_open_payload(o, sink, &c), SP_OK);
	assert_int_equal(sp_open_payload(o, sink, &c), SP_ERR_ARG);
	assert_memory_equal(c.data[0].p, "abcd", 4);
	sp_open_free(o);
	collect_free(&c);
	mb_free(&out);
}

static void test_metadata_roundtrip(void **state)
{
	sp_entry e[2] = { entry("tls/key.pem", 3), entry("token", 2) };
	sp_seal_params p;
	sp_bundle_info info;
	membuf out;
	memsrc src;
	sp_opener *o = NULL;
	const sp_entry *ent;
	size_t n;

	(void)state;
	e[0].mode = 0440;
	snprintf(e[0].owner, sizeof e[0].owner, "app:1000");
	snprintf(e[1].env, sizeof e[1].env, "API_TOKEN");
	base_params(&p, e, 2);
	p.expires = 1800000000;
	p.context = "prod/eu";
	assert_int_equal(seal(&out, &p, (const unsigned char *)"keyto", 5), SP_OK);
	src = (memsrc){ out.p, out.len, 0, 0, 0 };
	assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_OK);
	sp_open_info(o, &info);
	assert_int_equal(info.version, SP_VERSION);
	assert_int_equal(info.suite, SP_SUITE_V1);
	assert_int_equal(info.created, 1700000000);
	assert_int_equal(info.expires, 1800000000);
	assert_string_equal(info.context, "prod/eu");
	assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk[0], 1, NULL, 0), SP_OK);
	assert_int_equal(sp_open_check(o, "prod/eu", 1799999999), SP_OK);
	assert_int_equal(sp_open_index(o, &ent, &n), SP_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ent[0].name, "tls/key.pem");
	assert_int_equal(ent[0].mode, 0440);
	assert_string_equal(ent[0].owner, "app:1000");
	assert_string_equal(ent[0].env, "");
	assert_string_equal(ent[1].env, "API_TOKEN");
	assert_int_equal(ent[1].size, 2);
	sp_open_free(o);
	mb_free(&out);
}

/* ---- passphrase ---- */

static void test_passphrase_default(void **state)
{
	sp_entry e[1] = { entry("p", 9) };
	sp_seal_params p;
	sp_bundle_info info;
	membuf out;
	collect c;
	open_args a = { NULL, 0, "hunter2 is not it", NULL, 1700000000 };

	(void)state;
	base_params(&p, e, 1);
	p.passphrase = "hunter2 is not it";
	p.passphrase_len = strlen(p.passphrase);
	sp_kdf_default(&p.kdf);
	assert_int_equal(seal(&out, &p, (const unsigned char *)"123456789", 9), SP_OK);
	assert_int_equal(open_all(out.p, out.len, &a, &c, &info, NULL), SP_OK);
	assert_int_equal(info.n_passphrase, 1);
	assert_int_equal(info.n_x25519, 1);
	assert_int_equal(info.kdf.t_cost, SP_KDF_T_DEFAULT);
	assert_int_equal(info.kdf.m_cost_kib, SP_KDF_M_DEFAULT);
	assert_int_equal(info.kdf.parallelism, SP_KDF_P_DEFAULT);
	assert_memory_equal(c.data[0].p, "123456789", 9);
	collect_free(&c);
	a.pass = "hunter3 is not it";
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_WRONG_PASS);
	mb_free(&out);
}

static void test_passphrase_paths(void **state)
{
	sp_entry e[1] = { entry("p", 1) };
	sp_seal_params p;
	membuf out, nopass;
	open_args a = { NULL, 0, "pw", NULL, 1700000000 };

	(void)state;
	base_params(&p, e, 1);
	p.n_x25519 = 0; /* passphrase only */
	p.passphrase = "pw";
	p.passphrase_len = 2;
	p.kdf = (sp_kdf_params){ SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MIN };
	assert_int_equal(seal(&out, &p, (const unsigned char *)"x", 1), SP_OK);
	assert_int_equal(open_err(out.p, out.len, &a), SP_OK);
	/* a key that is not a recipient, then the passphrase: opens */
	a.sk = (const unsigned char (*)[32])sk[1];
	a.n_sk = 1;
	assert_int_equal(open_err(out.p, out.len, &a), SP_OK);
	a.pass = NULL;
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_WRONG_KEY);
	a.pass = "";
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_WRONG_PASS);

	base_params(&p, e, 1);
	assert_int_equal(seal(&nopass, &p, (const unsigned char *)"x", 1), SP_OK);
	a = (open_args){ NULL, 0, "pw", NULL, 1700000000 };
	assert_int_equal(open_err(nopass.p, nopass.len, &a), SP_ERR_NO_PASS_STANZA);
	a.sk = (const unsigned char (*)[32])sk[1];
	a.n_sk = 1;
	assert_int_equal(open_err(nopass.p, nopass.len, &a), SP_ERR_WRONG_KEY);
	mb_free(&out);
	mb_free(&nopass);
}

/* A passphrase is its exact bytes; one no reader could give back is refused at seal. */
static void test_passphrase_bytes(void **state)
{
	static const struct {
		const char *pass;
		size_t len;
		int err;
	} cases[] = {
		{ "", 0, SP_ERR_ARG }, { "pw\nxx", 5, SP_ERR_ARG }, { "pw\n", 3, SP_ERR_ARG },
		{ "pw\rxx", 5, SP_ERR_ARG }, { "pw\0xx", 5, SP_ERR_ARG }, { "\n", 1, SP_ERR_ARG },
		{ " pw ", 4, SP_OK }, { "caf\xc3\xa9", 5, SP_OK }, { "\x01\x7f\xff", 3, SP_OK },
	};
	static char big[SP_PASS_MAX + 1];
	sp_entry e[1] = { entry("p", 1) };
	sp_seal_params p;
	membuf out;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(sp_passphrase_check(cases[i].pass, cases[i].len), cases[i].err);
		if (cases[i].err == SP_OK)
			continue;
		base_params(&p, e, 1);
		p.passphrase = cases[i].pass;
		p.passphrase_len = cases[i].len;
		p.kdf = (sp_kdf_params){ SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MIN };
		assert_int_equal(seal(&out, &p, (const unsigned char *)"x", 1), cases[i].err);
		mb_free(&out);
	}
	memset(big, 'a', sizeof big);
	assert_int_equal(sp_passphrase_check(big, SP_PASS_MAX), SP_OK);
	assert_int_equal(sp_passphrase_check(big, SP_PASS_MAX + 1), SP_ERR_LIMIT);
	/* Exactly one trailing LF or CR LF is not part of a line's passphrase. */
	assert_int_equal(sp_passphrase_line("pw\n", 3), 2);
	assert_int_equal(sp_passphrase_line("pw\r\n", 4), 2);
	assert_int_equal(sp_passphrase_line("pw\n\n", 4), 3);
	assert_int_equal(sp_passphrase_line("pw\r", 3), 3);
	assert_int_equal(sp_passphrase_line("pw", 2), 2);
	assert_int_equal(sp_passphrase_line("\n", 1), 0);
	assert_int_equal(sp_passphrase_line("pw\nxx\n", 6), 5);
}

/* ---- context and expiry ---- */

static void test_context(void **state)
{
	sp_entry e[1] = { entry("c", 1) };
	sp_seal_params p;
	membuf with, without;
	open_args a = with_key(0);

	(void)state;
	base_params(&p, e, 1);
	p.context = "prod";
	assert_int_equal(seal(&with, &p, (const unsigned char *)"x", 1), SP_OK);
	p.context = NULL;
	assert_int_equal(seal(&without, &p, (const unsigned char *)"x", 1), SP_OK);
	a.context = "prod";
	assert_int_equal(open_err(with.p, with.len, &a), SP_OK);
	assert_int_equal(open_err(without.p, without.len, &a), SP_ERR_CONTEXT);
	a.context = "prod2";
	assert_int_equal(open_err(with.p, with.len, &a), SP_ERR_CONTEXT);
	a.context = "Prod";
	assert_int_equal(open_err(with.p, with.len, &a), SP_ERR_CONTEXT);
	a.context = NULL;
	assert_int_equal(open_err(with.p, with.len, &a), SP_ERR_CONTEXT);
	assert_int_equal(open_err(without.p, without.len, &a), SP_OK);
	a.context = "";
	assert_int_equal(open_err(without.p, without.len, &a), SP_OK);
	mb_free(&with);
	mb_free(&without);
}

static void test_expiry(void **state)
{
	sp_entry e[1] = { entry("c", 1) };
	sp_seal_params p;
	membuf out;
	open_args a = with_key(0);

	(void)state;
	base_params(&p, e, 1);
	p.expires = 1700000100;
	assert_int_equal(seal(&out, &p, (const unsigned char *)"x", 1), SP_OK);
	a.now = 1700000099;
	assert_int_equal(open_err(out.p, out.len, &a), SP_OK);
	a.now = 1700000100;
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_EXPIRED);
	a.now = UINT64_MAX;
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_EXPIRED);
	mb_free(&out);
	p.expires = 0;
	assert_int_equal(seal(&out, &p, (const unsigned char *)"x", 1), SP_OK);
	assert_int_equal(open_err(out.p, out.len, &a), SP_OK);
	mb_free(&out);
}

/* ---- damaged input ---- */

static void test_not_a_bundle(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		int want;
	} cases[] = {
		{ "", 0, SP_ERR_NOT_BUNDLE },
		{ "S", 1, SP_ERR_TRUNCATED },
		{ "SPKB\r\n\x1a", 7, SP_ERR_TRUNCATED },
		{ "SPKB\n\x1a\n", 7, SP_ERR_NOT_BUNDLE }, /* CRLF turned into LF */
		{ "age-encryption.org/v1\n", 22, SP_ERR_NOT_BUNDLE },
		{ "X", 1, SP_ERR_NOT_BUNDLE },
		{ "SPKB\r\n\x1a\n\x01", 9, SP_ERR_TRUNCATED },
		{ "SPKB\r\n\x1a\n\x03\x00\x01", 11, SP_ERR_VERSION },
		{ "SPKB\r\n\x1a\n\x00\x01\x01", 11, SP_ERR_VERSION },
		{ "SPKB\r\n\x1a\n\x00\x00\x01", 11, SP_ERR_HEADER },
		{ "SPKB\r\n\x1a\n\x01\x00", 10, SP_ERR_TRUNCATED },
		{ "SPKB\r\n\x1a\n\x01\x00\x02", 11, SP_ERR_SUITE },
		{ "SPKB\r\n\x1a\n\x01\x00\x00", 11, SP_ERR_SUITE },
		{ "SPKB\r\n\x1a\n\x01\x00\x01\x00\x01", 13, SP_ERR_TRUNCATED },
		{ "SPKB\r\n\x1a\n\x01\x00\x01\x97\x00\x00\x00", 15, SP_ERR_HEADER },
		{ "SPKB\r\n\x1a\n\x01\x00\x01\x01\x10\x00\x00", 15, SP_ERR_LIMIT },
		{ "SPKB\r\n\x1a\n\x01\x00\x01\xff\xff\xff\xff", 15, SP_ERR_LIMIT },
		{ "SPKB\r\n\x1a\n\x01\x00\x01\x01\x08\x00\x00", 15, SP_ERR_LIMIT },
		{ "SPKB\r\n\x1a\n\x01\x00\x01\x00\x08\x00\x00", 15, SP_ERR_TRUNCATED },
	};
	open_args a = with_key(0);
	sp_bundle_info info;
	sp_opener *o = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memsrc src = { (const unsigned char *)cases[i].bytes, cases[i].len, 0, 0, 0 };

		int want = cases[i].want;

		assert_int_equal(open_err((const unsigned char *)cases[i].bytes, cases[i].len, &a),
		    want);
		assert_int_equal(sp_open_begin(&o, mem_read, &src), want);
		if (want == SP_ERR_VERSION || want == SP_ERR_SUITE)
			assert_non_null(o);
		else
			assert_null(o);
		sp_open_free(o);
		o = NULL;
	}
	/* the version read is reported even when it is refused; nothing else is allowed */
	{
		memsrc src = { (const unsigned char *)"SPKB\r\n\x1a\n\x07\x01\x01", 11, 0, 0, 0 };

		assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_ERR_VERSION);
		assert_non_null(o);
		sp_open_info(o, &info);
		assert_int_equal(info.version, 0x0107);
		assert_int_equal(info.suite, 0);
		assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk[0], 1, NULL, 0),
		    SP_ERR_ARG);
		assert_int_equal(sp_open_check(o, NULL, 0), SP_ERR_ARG);
		sp_open_free(o);
		o = NULL;
	}
	{
		memsrc src = { (const unsigned char *)"SPKB\r\n\x1a\n\x01\x00\x09", 11, 0, 0, 0 };

		assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_ERR_SUITE);
		sp_open_info(o, &info);
		assert_int_equal(info.version, 1);
		assert_int_equal(info.suite, 9);
		sp_open_free(o);
		o = NULL;
	}
	{
		memsrc src = { NULL, 0, 0, 0, 1 };

		assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_ERR_IO);
	}
}

/* The layer that must refuse a bundle with bit flipped at header offset off. */
static int header_flip_want(const unsigned char *hdr, size_t off, size_t hdr_len, unsigned bit)
{
	size_t ctx_len = hdr[OFF_CTXLEN], stanza = OFF_CTXLEN + 1 + ctx_len + 1;

	if (off < OFF_VERSION)
		return SP_ERR_NOT_BUNDLE;
	if (off == OFF_VERSION)
		return (hdr[OFF_VERSION] ^ bit) == 0 ? SP_ERR_HEADER : SP_ERR_VERSION;
	if (off < OFF_SUITE)
		return SP_ERR_VERSION;
	if (off == OFF_SUITE)
		return SP_ERR_SUITE;
	if (off < OFF_CREATED)
		return -2; /* header length: depends */
	if (off < OFF_INDEXLEN)
		return SP_ERR_HEADER_MAC;
	if (off < OFF_CTXLEN) {
		uint64_t v = 0;

		for (size_t i = 4; i > 0; i--)
			v = v << 8 | hdr[OFF_INDEXLEN + i - 1];
		v ^= (uint64_t)bit << (8 * (off - OFF_INDEXLEN));
		return v > SP_INDEX_MAX ? SP_ERR_LIMIT : v < 4 ? SP_ERR_HEADER : SP_ERR_HEADER_MAC;
	}
	if (off == OFF_CTXLEN || off == stanza - 1)
		return -2; /* a length or count: depends */
	if (off < stanza - 1)
		return bit == 0x80 ? SP_ERR_HEADER : SP_ERR_HEADER_MAC; /* printable or not */
	if (off >= hdr_len - SP_MAC_BYTES)
		return SP_ERR_HEADER_MAC;
	if (off == hdr_len - SP_MAC_BYTES - 1)
		return SP_ERR_HEADER;     /* signer type 0: any other value is unknown or too long */
	if ((off - stanza) % STANZA_X_BYTES < 3)
		return SP_ERR_STANZA;     /* type or body length */
	if (off < stanza + STANZA_X_BYTES)
		return SP_ERR_WRONG_KEY;  /* the key's own stanza */
	return SP_ERR_HEADER_MAC;     /* another recipient's stanza */
}

static void test_header_flips(void **state)
{
	sp_entry e[1] = { entry("c", 3) };
	sp_seal_params p;
	membuf out;
	open_args a = with_key(0);
	const size_t hdr_len = 36 + 4 + 1 + 2 * STANZA_X_BYTES + 1 + 32;

	(void)state;
	base_params(&p, e, 1);
	p.context = "prod";
	p.n_x25519 = 2;
	p.expires = 1800000000;
	a.context = "prod";
	assert_int_equal(seal(&out, &p, (const unsigned char *)"abc", 3), SP_OK);
	assert_int_equal(out.p[OFF_HDRLEN] | out.p[OFF_HDRLEN + 1] << 8, hdr_len);
	for (size_t off = 0; off < hdr_len; off++) {
		for (unsigned bit = 1; bit <= 0x80; bit <<= 7) {
			int want = header_flip_want(out.p, off, hdr_len, bit);
			int got;

			out.p[off] ^= (unsigned char)bit;
			got = open_err(out.p, out.len, &a);
			out.p[off] ^= (unsigned char)bit;
			if (want == -2)
				assert_int_not_equal(got, SP_OK);
			else if (got != want)
				fail_msg("offset %zu bit %#x: got %s, want %s", off, bit,
				    sp_err_str(got), sp_err_str(want));
		}
	}
	assert_int_equal(open_err(out.p, out.len, &a), SP_OK);
	mb_free(&out);
}

/* Rebuilds a bundle of X25519-only stanzas with the stanzas listed in order (indexes into the
 * original), keeping the original MAC and payload. */
static void restanza(membuf *dst, const membuf *src, size_t ctx_len, const int *order, size_t n)
{
	size_t count_off = OFF_CTXLEN + 1 + ctx_len;
	size_t n_orig = src->p[count_off];
	size_t first = count_off + 1, mac = first + n_orig * STANZA_X_BYTES;
	unsigned char b;
	uint32_t hdr;

	memset(dst, 0, sizeof *dst);
	mb_put(dst, src->p, count_off);
	b = (unsigned char)n;
	mb_put(dst, &b, 1);
	for (size_t i = 0; i < n; i++)
		mb_put(dst, src->p + first + (size_t)order[i] * STANZA_X_BYTES, STANZA_X_BYTES);
	mb_put(dst, src->p + mac, src->len - mac);
	hdr = (uint32_t)(first + n * STANZA_X_BYTES + 1 + SP_MAC_BYTES); /* signer type, MAC */
	for (int i = 0; i < 4; i++)
		dst->p[OFF_HDRLEN + i] = (unsigned char)(hdr >> (8 * i));
}

static void test_stanza_games(void **state)
{
	static const int dup[] = { 0, 1, 0 }, strip[] = { 0 }, strip0[] = { 1 }, swap[] = { 1, 0 },
		same[] = { 0, 1 };
	sp_entry e[1] = { entry("c", 3) };
	sp_seal_params p;
	membuf out, m;
	open_args a = with_key(0);

	(void)state;
	base_params(&p, e, 1);
	p.n_x25519 = 2;
	assert_int_equal(seal(&out, &p, (const unsigned char *)"abc", 3), SP_OK);
	restanza(&m, &out, 0, same, 2);
	assert_int_equal(m.len, out.len);
	assert_int_equal(open_err(m.p, m.len, &a), SP_OK); /* the rebuild itself is faithful */
	mb_free(&m);
	restanza(&m, &out, 0, dup, 3);
	assert_int_equal(open_err(m.p, m.len, &a), SP_ERR_STANZA);
	mb_free(&m);
	restanza(&m, &out, 0, strip, 1);
	assert_int_equal(open_err(m.p, m.len, &a), SP_ERR_HEADER_MAC);
	mb_free(&m);
	restanza(&m, &out, 0, strip0, 1);
	assert_int_equal(open_err(m.p, m.len, &a), SP_ERR_WRONG_KEY);
	mb_free(&m);
	restanza(&m, &out, 0, swap, 2);
	assert_int_equal(open_err(m.p, m.len, &a), SP_ERR_HEADER_MAC);
	mb_free(&m);
	/* zero stanzas */
	restanza(&m, &out, 0, swap, 0);
	assert_int_equal(open_err(m.p, m.len, &a), SP_ERR_HEADER);
	mb_free(&m);
	/* a byte between the last stanza and the MAC */
	{
		size_t mac = OFF_CTXLEN + 2 + 2 * STANZA_X_BYTES + 1;

		memset(&m, 0, sizeof m);
		mb_put(&m, out.p, mac);
		mb_put(&m, "\0", 1);
		mb_put(&m, out.p + mac, out.len - mac);
		m.p[OFF_HDRLEN]++;
		assert_int_equal(open_err(m.p, m.len, &a), SP_ERR_HEADER);
		mb_free(&m);
	}
	mb_free(&out);
}

/* Argon2id stanza: at most one, and its costs checked at parse, before any work. */
static void test_argon2_stanza_games(void **state)
{
	sp_entry e[1] = { entry("c", 3) };
	sp_seal_params p;
	membuf out, m;
	open_args a = { NULL, 0, "pw", NULL, 1700000000 };
	const size_t st = OFF_CTXLEN + 2, body = st + 3, hdr_len = st + 3 + 100 + 1 + 32;
	uint32_t hdr = (uint32_t)(hdr_len + 103);

	(void)state;
	base_params(&p, e, 1);
	p.n_x25519 = 0;
	p.passphrase = "pw";
	p.passphrase_len = 2;
	p.kdf = (sp_kdf_params){ SP_KDF_T_MIN, SP_KDF_M_MIN, SP_KDF_P_MIN };
	assert_int_equal(seal(&out, &p, (const unsigned char *)"abc", 3), SP_OK);
	assert_int_equal(out.p[st], SP_STANZA_ARGON2ID);
	assert_int_equal(out.p[OFF_HDRLEN], hdr_len);
	/* t_cost 1, m_cost huge, p 0 */
	out.p[body + 16] = 1;
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_KDF_PARAMS);
	out.p[body + 16] = SP_KDF_T_MIN;
	memset(out.p + body + 20, 0xff, 4);
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_KDF_PARAMS);
	out.p[body + 20] = (unsigned char)(SP_KDF_M_MIN & 0xff);
	out.p[body + 21] = (unsigned char)(SP_KDF_M_MIN >> 8);
	out.p[body + 22] = out.p[body + 23] = 0;
	out.p[body + 24] = 0;
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_KDF_PARAMS);
	out.p[body + 24] = 1;
	assert_int_equal(open_err(out.p, out.len, &a), SP_OK);
	/* higher t within range: a different key, so the passphrase no longer opens it */
	out.p[body + 16] = 3;
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_WRONG_PASS);
	out.p[body + 16] = SP_KDF_T_MIN;
	/* a second passphrase stanza (another nonce) */
	memset(&m, 0, sizeof m);
	mb_put(&m, out.p, st - 1);
	mb_put(&m, "\x02", 1);
	mb_put(&m, out.p + st, 103);
	mb_put(&m, out.p + st, 103);
	m.p[m.len - 20] ^= 1;
	mb_put(&m, out.p + st + 103, out.len - st - 103);
	m.p[OFF_HDRLEN] = (unsigned char)hdr;
	m.p[OFF_HDRLEN + 1] = (unsigned char)(hdr >> 8);
	assert_int_equal(open_err(m.p, m.len, &a), SP_ERR_STANZA);
	mb_free(&m);
	mb_free(&out);
}

static void test_payload_flips(void **state)
{
	sp_entry e[2] = { entry("a", 10), entry("b", 0) };
	sp_seal_params p;
	membuf out;
	open_args a = with_key(0);
	const size_t hdr_len = 153 + 0;

	(void)state;
	base_params(&p, e, 2);
	assert_int_equal(seal(&out, &p, (const unsigned char *)"0123456789", 10), SP_OK);
	assert_int_equal(out.p[OFF_HDRLEN], hdr_len);
	for (size_t off = hdr_len; off < out.len; off++) {
		int got;

		out.p[off] ^= 0x04;
		got = open_err(out.p, out.len, &a);
		out.p[off] ^= 0x04;
		if (got != SP_ERR_TAMPERED)
			fail_msg("offset %zu: got %s", off, sp_err_str(got));
	}
	mb_free(&out);
}

static void test_truncation(void **state)
{
	sp_entry e[2] = { entry("a", 100), entry("b", 2 * SP_CHUNK_BYTES) };
	unsigned char *content = pattern(100 + 2 * SP_CHUNK_BYTES, 4);
	sp_seal_params p;
	membuf out;
	open_args a = with_key(0);
	size_t body;

	(void)state;
	base_params(&p, e, 2);
	assert_int_equal(seal(&out, &p, content, 100 + 2 * SP_CHUNK_BYTES), SP_OK);
	assert_int_equal(open_err(out.p, 0, &a), SP_ERR_NOT_BUNDLE);
	/* every cut in the header, the stream header and the index */
	body = 153 + 24 + 4 + 2 * 17 + 34 + ABYTES;
	for (size_t cut = 1; cut < body + 3; cut++)
		if (open_err(out.p, cut, &a) != SP_ERR_TRUNCATED)
			fail_msg("cut at %zu: got %s", cut, sp_err_str(open_err(out.p, cut, &a)));
	/* chunk boundaries, inside chunks, inside and before the final message */
	{
		size_t c1 = body + SP_CHUNK_BYTES + ABYTES, c2 = c1 + SP_CHUNK_BYTES + ABYTES;
		size_t c3 = c2 + 100 + ABYTES;
		size_t cuts[] = { body + 1, c1 - 1, c1, c1 + 1, c2 - 1, c2, c2 + 1, c3 - 1, c3, c3 + 1,
			out.len - 1 };

		assert_int_equal(c3 + ABYTES, out.len);
		for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
			assert_int_equal(open_err(out.p, cuts[i], &a), SP_ERR_TRUNCATED);
	}
	assert_int_equal(open_err(out.p, out.len, &a), SP_OK);
	mb_free(&out);
	free(content);
}

static void test_trailing(void **state)
{
	sp_entry e[1] = { entry("a", 3) };
	sp_seal_params p;
	membuf out;
	open_args a = with_key(0);
	collect c;

	(void)state;
	base_params(&p, e, 1);
	assert_int_equal(seal(&out, &p, (const unsigned char *)"abc", 3), SP_OK);
	mb_put(&out, "\0", 1);
	assert_int_equal(open_all(out.p, out.len, &a, &c, NULL, NULL), SP_ERR_TRAILING);
	assert_true(c.ended[0]); /* delivered, but the result says not to trust it */
	collect_free(&c);
	mb_put(&out, "more bytes", 10);
	assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_TRAILING);
	/* a second bundle glued on */
	out.len -= 11;
	{
		size_t len = out.len;
		unsigned char *copy = malloc(len);

		assert_non_null(copy);
		memcpy(copy, out.p, len);
		mb_put(&out, copy, len);
		free(copy);
		assert_int_equal(open_err(out.p, out.len, &a), SP_ERR_TRAILING);
	}
	mb_free(&out);
}

static void test_io_errors(void **state)
{
	sp_entry e[2] = { entry("a", 3), entry("b", 2) };
	sp_seal_params p;
	membuf out;
	memsrc src;
	sp_opener *o = NULL;
	const sp_entry *ent;
	size_t n;
	collect c;

	(void)state;
	base_params(&p, e, 2);
	assert_int_equal(seal(&out, &p, (const unsigned char *)"abcde", 5), SP_OK);
	/* a failing reader after the header */
	src = (memsrc){ out.p, out.len, 0, 0, 0 };
	assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_OK);
	assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk[0], 1, NULL, 0), SP_OK);
	src.fail = 1;
	assert_int_equal(sp_open_index(o, &ent, &n), SP_ERR_IO);
	assert_int_equal(sp_open_index(o, &ent, &n), SP_ERR_ARG);
	sp_open_free(o);
	/* a failing sink stops the reading with its error */
	for (int at = 1; at <= 4; at++) {
		src = (memsrc){ out.p, out.len, 0, 0, 0 };
		memset(&c, 0, sizeof c);
		c.fail_at = at;
		assert_int_equal(sp_open_begin(&o, mem_read, &src), SP_OK);
		assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk[0], 1, NULL, 0),
		    SP_OK);
		assert_int_equal(sp_open_index(o, &ent, &n), SP_OK);
		assert_int_equal(sp_open_payload(o, sink, &c), SP_ERR_IO);
		assert_int_equal(c.calls, at);
		sp_open_free(o);
		collect_free(&c);
	}
	mb_free(&out);
}

/* ---- a second, independent encoder, to craft payloads the sealer refuses to write ---- */

typedef struct {
	const unsigned char *index;
	size_t index_len;
	unsigned char index_tag;
	const unsigned char *content;
	size_t content_len;
	size_t chunk;            /* plaintext per content message */
	unsigned char chunk_tag;
	unsigned char final_tag;
	int extra_message;       /* an empty MESSAGE before the final one */
	long index_len_delta;    /* added to the index length the header declares */
} craft;

static void put_le(membuf *b, uint64_t v, size_t n)
{
	unsigned char t[8];

	for (size_t i = 0; i < n; i++)
		t[i] = (unsigned char)(v >> (8 * i));
	mb_put(b, t, n);
}

static void craft_push(membuf *b, crypto_secretstream_xchacha20poly1305_state *st,
    const unsigned char *m, size_t len, const unsigned char *mac, unsigned char tag)
{
	unsigned char *ct = malloc(len + ABYTES);

	assert_non_null(ct);
	crypto_secretstream_xchacha20poly1305_push(st, ct, NULL, m, len, mac, 32, tag);
	mb_put(b, ct, len + ABYTES);
	free(ct);
}

static void craft_bundle(membuf *b, const craft *c)
{
	unsigned char fk[32], hk[32], payload_key[32], mac[32], sh[24], stanza[80];
	crypto_secretstream_xchacha20poly1305_state st;
	size_t hdr_len = 36 + 1 + 83 + 32;

	memset(b, 0, sizeof *b);
	randombytes_buf(fk, sizeof fk);
	crypto_kdf_derive_from_key(hk, 32, 1, "SPKBNDL1", fk);
	crypto_kdf_derive_from_key(payload_key, 32, 2, "SPKBNDL1", fk);
	mb_put(b, "SPKB\r\n\x1a\n", 8);
	put_le(b, 1, 2);
	put_le(b, 1, 1);
	put_le(b, hdr_len, 4);
	put_le(b, 1700000000, 8);
	put_le(b, 0, 8);
	put_le(b, (uint64_t)((long)c->index_len + c->index_len_delta), 4);
	put_le(b, 0, 1); /* no context */
	put_le(b, 1, 1);
	put_le(b, 1, 1);
	put_le(b, 80, 2);
	crypto_box_seal(stanza, fk, 32, pk[0]);
	mb_put(b, stanza, 80);
	crypto_auth(mac, b->p, b->len, hk);
	mb_put(b, mac, 32);
	crypto_secretstream_xchacha20poly1305_init_push(&st, sh, payload_key);
	mb_put(b, sh, 24);
	craft_push(b, &st, c->index, c->index_len, mac, c->index_tag);
	for (size_t off = 0; off < c->content_len; off += c->chunk) {
		size_t n = c->content_len - off < c->chunk ? c->content_len - off : c->chunk;

		craft_push(b, &st, c->content + off, n, mac, c->chunk_tag);
	}
	if (c->extra_message)
		craft_push(b, &st, NULL, 0, mac, TAG_MESSAGE);
	craft_push(b, &st, NULL, 0, mac, c->final_tag);
}

/* Index bytes, written field by field with lengths as given. */
static void ix_entry(membuf *ix, const char *name, size_t name_len, uint64_t size, uint32_t mode,
    const char *owner, const char *env)
{
	put_le(ix, name_len, 2);
	mb_put(ix, name, name_len);
	put_le(ix, size, 8);
	put_le(ix, mode, 4);
	put_le(ix, strlen(owner), 1);
	mb_put(ix, owner, strlen(owner));
	put_le(ix, strlen(env), 1);
	mb_put(ix, env, strlen(env));
}

static int open_crafted(const membuf *ix, const unsigned char *content, size_t len)
{
	craft c = { ix->p, ix->len, TAG_MESSAGE, content, len, SP_CHUNK_BYTES, TAG_MESSAGE,
		TAG_FINAL, 0, 0 };
	membuf b;
	open_args a = with_key(0);
	int err;

	craft_bundle(&b, &c);
	err = open_err(b.p, b.len, &a);
	mb_free(&b);
	return err;
}

/* One entry of 3 bytes with the given name. */
static int open_named(const char *name, size_t name_len)
{
	membuf ix = { 0 };
	int err;

	put_le(&ix, 1, 4);
	ix_entry(&ix, name, name_len, 3, 0400, "", "");
	err = open_crafted(&ix, (const unsigned char *)"abc", 3);
	mb_free(&ix);
	return err;
}

static void test_crafted_good(void **state)
{
	membuf ix = { 0 };

	(void)state;
	put_le(&ix, 2, 4);
	ix_entry(&ix, "a", 1, 2, 0440, "app", "A_KEY");
	ix_entry(&ix, "d/b", 3, 1, 0400, "", "");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"xyz", 3), SP_OK);
	mb_free(&ix);
}

static void test_hostile_names(void **state)
{
	static const char *const bad[] = {
		"../x", "/abs", "a//b", "a/", "..", ".", "a\x01", "a\nb", "a b", "a\\b",
		".secretpack-x", "1/2/3/4/5/6/7/8/9",
	};
	char longname[SP_NAME_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(open_named(bad[i], strlen(bad[i])), SP_ERR_NAME);
	assert_int_equal(open_named("a\0b", 3), SP_ERR_NAME);
	assert_int_equal(open_named("ab\0", 3), SP_ERR_NAME);
	assert_int_equal(open_named("", 0), SP_ERR_NAME);
	memset(longname, 'n', sizeof longname);
	assert_int_equal(open_named(longname, SP_NAME_MAX), SP_OK);
	assert_int_equal(open_named(longname, SP_NAME_MAX + 1), SP_ERR_NAME);
}

static void test_hostile_index(void **state)
{
	membuf ix = { 0 };

	(void)state;
	/* duplicate names, a file that is also a directory, duplicate env */
	put_le(&ix, 2, 4);
	ix_entry(&ix, "a", 1, 1, 0400, "", "");
	ix_entry(&ix, "a", 1, 1, 0400, "", "");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"xy", 2), SP_ERR_DUPLICATE);
	mb_free(&ix);
	put_le(&ix, 2, 4);
	ix_entry(&ix, "a/b", 3, 1, 0400, "", "");
	ix_entry(&ix, "a", 1, 1, 0400, "", "");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"xy", 2), SP_ERR_DUPLICATE);
	mb_free(&ix);
	put_le(&ix, 2, 4);
	ix_entry(&ix, "a", 1, 1, 0400, "", "E");
	ix_entry(&ix, "b", 1, 1, 0400, "", "E");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"xy", 2), SP_ERR_DUPLICATE);
	mb_free(&ix);
	/* metadata */
	put_le(&ix, 1, 4);
	ix_entry(&ix, "a", 1, 1, 0200, "", "");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"x", 1), SP_ERR_META);
	mb_free(&ix);
	put_le(&ix, 1, 4);
	ix_entry(&ix, "a", 1, 1, 04400, "", "");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"x", 1), SP_ERR_META);
	mb_free(&ix);
	put_le(&ix, 1, 4);
	ix_entry(&ix, "a", 1, 1, 0400, "root:-x", "");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"x", 1), SP_ERR_META);
	mb_free(&ix);
	put_le(&ix, 1, 4);
	ix_entry(&ix, "a", 1, 1, 0400, "", "LD_PRELOAD");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"x", 1), SP_ERR_META);
	mb_free(&ix);
	put_le(&ix, 1, 4);
	ix_entry(&ix, "a", 1, 1, 0400, "", "E\x01");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"x", 1), SP_ERR_META);
	mb_free(&ix);
	/* sizes over the limits: refused from the index, before any content is read */
	put_le(&ix, 1, 4);
	ix_entry(&ix, "a", 1, SP_ENTRY_SIZE_MAX + 1, 0400, "", "");
	assert_int_equal(open_crafted(&ix, NULL, 0), SP_ERR_LIMIT);
	mb_free(&ix);
	put_le(&ix, 1, 4);
	ix_entry(&ix, "a", 1, UINT64_MAX, 0400, "", "");
	assert_int_equal(open_crafted(&ix, NULL, 0), SP_ERR_LIMIT);
	mb_free(&ix);
	put_le(&ix, 5, 4);
	for (int i = 0; i < 5; i++)
		ix_entry(&ix, (const char[]){ (char)('a' + i), 0 }, 1, SP_ENTRY_SIZE_MAX, 0400, "", "");
	assert_int_equal(open_crafted(&ix, NULL, 0), SP_ERR_LIMIT);
	mb_free(&ix);
	put_le(&ix, SP_ENTRIES_MAX + 1, 4);
	for (int i = 0; i < 20; i++)
		ix_entry(&ix, "a", 1, 0, 0400, "", "");
	assert_int_equal(open_crafted(&ix, NULL, 0), SP_ERR_LIMIT);
	mb_free(&ix);
}

static void test_malformed_index(void **state)
{
	membuf ix = { 0 };

	(void)state;
	put_le(&ix, 0, 4); /* no entries */
	assert_int_equal(open_crafted(&ix, NULL, 0), SP_ERR_PAYLOAD);
	mb_free(&ix);
	put_le(&ix, 2, 4); /* says two, has one */
	ix_entry(&ix, "a", 1, 1, 0400, "", "");
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"x", 1), SP_ERR_PAYLOAD);
	mb_free(&ix);
	put_le(&ix, 1, 4); /* bytes after the last entry */
	ix_entry(&ix, "a", 1, 1, 0400, "", "");
	mb_put(&ix, "\0", 1);
	assert_int_equal(open_crafted(&ix, (const unsigned char *)"x", 1), SP_ERR_PAYLOAD);
	mb_free(&ix);
	put_le(&ix, 1, 4); /* a name running past the end */
	put_le(&ix, 200, 2);
	mb_put(&ix, "abcdefghijklmnop", 16);
	assert_int_equal(open_crafted(&ix, NULL, 0), SP_ERR_PAYLOAD);
	mb_free(&ix);
	put_le(&ix, 1, 4); /* cut inside the size field */
	put_le(&ix, 1, 2);
	mb_put(&ix, "a\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14);
	ix.len -= 1;
	assert_int_equal(open_crafted(&ix, NULL, 0), SP_ERR_PAYLOAD);
	mb_free(&ix);
	put_le(&ix, 1, 4); /* owner longer than the limit */
	put_le(&ix, 1, 2);
	mb_put(&ix, "a", 1);
	put_le(&ix, 0, 8);
	put_le(&ix, 0400, 4);
	put_le(&ix, SP_OWNER_MAX + 1, 1);
	for (int i = 0; i <= SP_OWNER_MAX; i++)
		mb_put(&ix, "o", 1);
	put_le(&ix, 0, 1);
	assert_int_equal(open_crafted(&ix, NULL, 0), SP_ERR_META);
	mb_free(&ix);
}

/* Messages with the wrong tag or length: authenticated but malformed, or misaligned. */
static void test_bad_messages(void **state)
{
	membuf ix = { 0 }, b;
	unsigned char *content = pattern(2 * SP_CHUNK_BYTES, 6);
	open_args a = with_key(0);
	craft c;

	(void)state;
	put_le(&ix, 1, 4);
	ix_entry(&ix, "a", 1, 2 * SP_CHUNK_BYTES, 0400, "", "");
	c = (craft){ ix.p, ix.len, TAG_MESSAGE, content, 2 * SP_CHUNK_BYTES, SP_CHUNK_BYTES,
		TAG_MESSAGE, TAG_FINAL, 0, 0 };
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_OK);
	mb_free(&b);
	c.index_tag = TAG_FINAL;
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_PAYLOAD);
	mb_free(&b);
	c.index_tag = TAG_MESSAGE;
	c.chunk_tag = TAG_FINAL; /* final too early */
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_PAYLOAD);
	mb_free(&b);
	c.chunk_tag = crypto_secretstream_xchacha20poly1305_TAG_PUSH;
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_PAYLOAD);
	mb_free(&b);
	c.chunk_tag = TAG_MESSAGE;
	c.final_tag = TAG_MESSAGE; /* never final */
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_PAYLOAD);
	mb_free(&b);
	c.final_tag = TAG_FINAL;
	c.extra_message = 1;
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_PAYLOAD);
	mb_free(&b);
	c.extra_message = 0;
	c.chunk = SP_CHUNK_BYTES - 1; /* misaligned messages fail authentication */
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_TAMPERED);
	mb_free(&b);
	c.chunk = 1000;
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_TAMPERED);
	mb_free(&b);
	/* the header declares an index length other than the message's */
	c.chunk = SP_CHUNK_BYTES;
	c.index_len_delta = -1;
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_TAMPERED);
	mb_free(&b);
	c.index_len_delta = 1;
	craft_bundle(&b, &c);
	assert_int_equal(open_err(b.p, b.len, &a), SP_ERR_TAMPERED);
	mb_free(&b);
	mb_free(&ix);
	free(content);
}

static int group_setup(void **state)
{
	(void)state;
	if (sp_crypto_init() != SP_OK)
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (sp_x25519_keygen(pk[i], sk[i]) != SP_OK)
			return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_env_check),
		cmocka_unit_test(test_owner_check),
		cmocka_unit_test(test_mode_context_check),
		cmocka_unit_test(test_entries_check),
		cmocka_unit_test(test_seal_refuses),
		cmocka_unit_test(test_seal_size_mismatch),
		cmocka_unit_test(test_seal_write_error),
		cmocka_unit_test(test_roundtrip_one),
		cmocka_unit_test(test_roundtrip_empty),
		cmocka_unit_test(test_roundtrip_all_bytes),
		cmocka_unit_test(test_roundtrip_chunks),
		cmocka_unit_test(test_streaming_bounded),
		cmocka_unit_test(test_several_recipients),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_open_order),
		cmocka_unit_test(test_metadata_roundtrip),
		cmocka_unit_test(test_passphrase_default),
		cmocka_unit_test(test_passphrase_paths),
		cmocka_unit_test(test_passphrase_bytes),
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_not_a_bundle),
		cmocka_unit_test(test_header_flips),
		cmocka_unit_test(test_stanza_games),
		cmocka_unit_test(test_argon2_stanza_games),
		cmocka_unit_test(test_payload_flips),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_crafted_good),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_hostile_index),
		cmocka_unit_test(test_malformed_index),
		cmocka_unit_test(test_bad_messages),
	};

	return cmocka_run_group_tests_name("bundle", tests, group_setup, NULL);
}
