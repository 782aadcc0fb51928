/* gen.c - writes the bundle test vectors with an encoder of its own, following doc/FORMAT.md.
 *
 * Built by hand, not by make; randomness is a fixed-seed stream, so the output is reproducible:
 *   gcc -std=c11 -D_GNU_SOURCE -Iinclude -o /tmp/spgen tests/vectors/gen.c \
 *       $(pkg-config --cflags --libs libsodium libargon2)
 *   /tmp/spgen tests/vectors
 * It uses libsodium and libargon2 directly and only the constants of sp_bundle.h, so the vectors
 * check the reader against the written spec rather than against its own writer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <sodium.h>

#include "sp_bundle.h"

#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define NOW 1700000000ull

/* RFC 7748 section 6.1 private keys for Alice and Bob; Carol is never a recipient. */
static const char *const SK_HEX[3] = {
	"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	"c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
};
enum { ALICE, BOB, CAROL };
static unsigned char sk[3][32], pk[3][32];

/* ---- deterministic randomness ---- */

static uint64_t rng_counter;

static void rng_buf(void *buf, size_t len)
{
	unsigned char seed[32], ctr[8];

	for (int i = 0; i < 8; i++)
		ctr[i] = (unsigned char)(rng_counter >> (8 * i));
	rng_counter++;
	crypto_generichash(seed, sizeof seed, ctr, sizeof ctr,
	    (const unsigned char *)"secretpack test vectors, fixed seed", 32);
	randombytes_buf_deterministic(buf, len, seed);
}

static uint32_t rng_random(void)
{
	uint32_t v;

	rng_buf(&v, sizeof v);
	return v;
}

static const char *rng_name(void)
{
	return "fixed";
}

static struct randombytes_implementation rng = { rng_name, rng_random, NULL, NULL, rng_buf, NULL };

/* ---- buffers ---- */

typedef struct {
	unsigned char *p;
	size_t len, cap;
} buf;

static void put(buf *b, const void *src, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	if (len)
		memcpy(b->p + b->len, src, len);
	b->len += len;
}

static void le(buf *b, uint64_t v, size_t n)
{
	unsigned char t[8];

	for (size_t i = 0; i < n; i++)
		t[i] = (unsigned char)(v >> (8 * i));
	put(b, t, n);
}

static void set_le(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- what to build ---- */

typedef struct {
	const char *name;
	uint64_t size;
	uint32_t mode;
	const char *owner, *env;
	const unsigned char *data;
} ent;

typedef struct {
	uint16_t version;
	uint8_t suite;
	uint64_t expires;
	const char *context;
	int recipients[3]; /* ALICE..CAROL, -1 ends */
	const char *pass;
	uint32_t t, m, p;
	/* stanza games */
	int dup_x25519, dup_argon2, unknown_stanza, zero_stanzas, x25519_len_delta;
	size_t junk_before_mac;
	/* index: from entries, or raw bytes with the content given */
	const ent *e;
	size_t n;
	const unsigned char *raw_index;
	size_t raw_index_len;
	const unsigned char *content;
	size_t content_len;
	/* payload games */
	int index_final, early_final, no_final, unbound;
	/* more recipients, a stanza wrapping another file key, other message tags */
	int extra_x25519, wrong_fk_stanza; /* wrong_fk_stanza: 1-based X25519 stanza, 0 none */
	unsigned char index_tag, content_tag;
} spec;

typedef struct {
	buf out;
	size_t off_ctx, off_count, off_stanza, off_mac, hdr_len, off_index, off_content;
	unsigned char hk[32]; /* header key, to re-MAC a changed header */
} built;

static void index_of(buf *ix, const ent *e, size_t n)
{
	le(ix, n, 4);
	for (size_t i = 0; i < n; i++) {
		le(ix, strlen(e[i].name), 2);
		put(ix, e[i].name, strlen(e[i].name));
		le(ix, e[i].size, 8);
		le(ix, e[i].mode, 4);
		le(ix, strlen(e[i].owner), 1);
		put(ix, e[i].owner, strlen(e[i].owner));
		le(ix, strlen(e[i].env), 1);
		put(ix, e[i].env, strlen(e[i].env));
	}
}

static void stanza_x25519(buf *h, const unsigned char fk[32], const unsigned char rpk[32],
    int delta)
{
	unsigned char body[80 + 8] = { 0 };

	crypto_box_seal(body, fk, 32, rpk);
	le(h, SP_STANZA_X25519, 1);
	le(h, (uint64_t)(80 + delta), 2);
	put(h, body, (size_t)(80 + delta));
}

static void stanza_argon2(buf *h, const unsigned char fk[32], const spec *s)
{
	unsigned char salt[16], nonce[24], kek[32], box[48];

	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	/* A cost out of range is written as is, but wrapped with the floor: nobody will run it. */
	if (argon2id_hash_raw(s->t >= SP_KDF_T_MIN && s->t <= SP_KDF_T_MAX ? s->t : SP_KDF_T_MIN,
	    s->m >= SP_KDF_M_MIN && s->m <= SP_KDF_M_MAX ? s->m : SP_KDF_M_MIN,
	    s->p >= SP_KDF_P_MIN && s->p <= SP_KDF_P_MAX ? s->p : SP_KDF_P_MIN,
	    s->pass, strlen(s->pass), salt, sizeof salt, kek, sizeof kek) != ARGON2_OK)
		abort();
	crypto_secretbox_easy(box, fk, 32, nonce, kek);
	le(h, SP_STANZA_ARGON2ID, 1);
	le(h, 100, 2);
	put(h, salt, 16);
	le(h, s->t, 4);
	le(h, s->m, 4);
	le(h, s->p, 4);
	put(h, nonce, 24);
	put(h, box, 48);
}

static void stanzas(built *b, const spec *s, const unsigned char fk[32])
{
	size_t count = 0, at = b->out.len;

	le(&b->out, 0, 1); /* count, set below */
	b->off_stanza = b->out.len;
	for (int i = 0; i < 3 && s->recipients[i] >= 0 && !s->zero_stanzas; i++, count++) {
		unsigned char other[32];

		if (s->wrong_fk_stanza == i + 1)
			randombytes_buf(other, sizeof other);
		stanza_x25519(&b->out, s->wrong_fk_stanza == i + 1 ? other : fk, pk[s->recipients[i]],
		    s->x25519_len_delta);
	}
	for (int i = 0; i < s->extra_x25519; i++, count++) {
		unsigned char xsk[32], xpk[32];

		randombytes_buf(xsk, sizeof xsk);
		crypto_scalarmult_base(xpk, xsk);
		stanza_x25519(&b->out, fk, xpk, 0);
	}
	if (s->dup_x25519) {
		put(&b->out, b->out.p + b->off_stanza, 83);
		count++;
	}
	for (int i = 0; s->pass && i < 1 + s->dup_argon2; i++, count++)
		stanza_argon2(&b->out, fk, s);
	if (s->unknown_stanza) {
		le(&b->out, 3, 1);
		le(&b->out, 32, 2);
		for (int i = 0; i < 32; i++)
			le(&b->out, 0x33, 1);
		count++;
	}
	b->out.p[at] = (unsigned char)count;
}

static void push(buf *out, crypto_secretstream_xchacha20poly1305_state *st,
    const unsigned char *m, size_t len, const unsigned char *ad, unsigned char tag)
{
	unsigned char *c = malloc(len + ABYTES);

	if (c == NULL)
		abort();
	crypto_secretstream_xchacha20poly1305_push(st, c, NULL, m, len, ad, 32, tag);
	put(out, c, len + ABYTES);
	free(c);
}

static void payload(built *b, const spec *s, const unsigned char key[32], const buf *ix,
    const buf *content)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char sh[24], zero[32] = { 0 };
	const unsigned char *ad = s->unbound ? zero : b->out.p + b->off_mac;

	crypto_secretstream_xchacha20poly1305_init_push(&st, sh, key);
	put(&b->out, sh, sizeof sh);
	b->off_index = b->out.len;
	push(&b->out, &st, ix->p, ix->len, ad, s->index_final ? TAG_FINAL : s->index_tag);
	b->off_content = b->out.len;
	for (size_t off = 0; off < content->len; off += SP_CHUNK_BYTES) {
		size_t n = content->len - off < SP_CHUNK_BYTES ? content->len - off : SP_CHUNK_BYTES;

		push(&b->out, &st, content->p + off, n, ad, s->early_final ? TAG_FINAL : s->content_tag);
	}
	push(&b->out, &st, NULL, 0, ad, s->no_final ? TAG_MESSAGE : TAG_FINAL);
}

static void build(built *b, const spec *s)
{
	unsigned char fk[32], hk[32], key[32];
	buf ix = { 0 }, content = { 0 };
	size_t ctx_len = s->context ? strlen(s->context) : 0;

	memset(b, 0, sizeof *b);
	if (s->raw_index) {
		put(&ix, s->raw_index, s->raw_index_len);
		put(&content, s->content, s->content_len);
	} else {
		index_of(&ix, s->e, s->n);
		for (size_t i = 0; i < s->n; i++)
			put(&content, s->e[i].data, s->e[i].size);
	}
	randombytes_buf(fk, sizeof fk);
	crypto_kdf_derive_from_key(hk, 32, 1, "SPKBNDL1", fk);
	crypto_kdf_derive_from_key(key, 32, 2, "SPKBNDL1", fk);
	memcpy(b->hk, hk, sizeof hk);
	put(&b->out, SP_MAGIC, 8);
	le(&b->out, s->version ? s->version : 1, 2);
	le(&b->out, s->suite ? s->suite : 1, 1);
	le(&b->out, 0, 4); /* header length, set below */
	le(&b->out, NOW - 3600, 8);
	le(&b->out, s->expires, 8);
	le(&b->out, ix.len, 4);
	le(&b->out, ctx_len, 1);
	b->off_ctx = b->out.len;
	put(&b->out, s->context, ctx_len);
	b->off_count = b->out.len;
	stanzas(b, s, fk);
	for (size_t i = 0; i < s->junk_before_mac; i++)
		le(&b->out, 0, 1);
	b->off_mac = b->out.len;
	b->hdr_len = b->off_mac + 32;
	set_le(b->out.p + 11, b->hdr_len, 4);
	{
		unsigned char mac[32];

		crypto_auth(mac, b->out.p, b->off_mac, hk);
		put(&b->out, mac, 32);
	}
	payload(b, s, key, &ix, &content);
	free(ix.p);
	free(content.p);
}

/* ---- writing a vector file ---- */

typedef struct {
	const char *file, *description;
	int keys[3]; /* -1 ends */
	const char *pass, *context;
	uint64_t now;
	const char *expect, *error;
} vec;

static const char *dir = ".";
static int written;
static const char *vec_extra; /* more "key: value" lines (format version 2 cases) */

static void write_vec(const vec *v, const spec *s, const buf *bundle)
{
	char path[512], hex[65];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.vec", dir, v->file);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "description: %s\n", v->description);
	for (int i = 0; i < 3 && v->keys[i] >= 0; i++)
		fprintf(f, "secret_key: %s\n", SK_HEX[v->keys[i]]);
	if (v->pass)
		fprintf(f, "passphrase: %s\n", v->pass);
	if (v->context)
		fprintf(f, "context: %s\n", v->context);
	fprintf(f, "now: %llu\n", (unsigned long long)(v->now ? v->now : NOW));
	fprintf(f, "expect: %s\n", v->expect);
	fprintf(f, "error: %s\n", v->error);
	if (vec_extra)
		fputs(vec_extra, f);
	for (size_t i = 0; s && !s->raw_index && i < s->n; i++) {
		unsigned char h[32];
		char hh[65];

		crypto_hash_sha256(h, s->e[i].data, s->e[i].size);
		sodium_bin2hex(hh, sizeof hh, h, sizeof h);
		fprintf(f, "entry: %s %llu %s %04o %s %s\n", s->e[i].name,
		    (unsigned long long)s->e[i].size, hh, (unsigned)s->e[i].mode,
		    *s->e[i].owner ? s->e[i].owner : "-", *s->e[i].env ? s->e[i].env : "-");
	}
	fprintf(f, "\n");
	for (size_t off = 0; off < bundle->len; off += 32) {
		size_t n = bundle->len - off < 32 ? bundle->len - off : 32;

		sodium_bin2hex(hex, sizeof hex, bundle->p + off, n);
		fprintf(f, "%s\n", hex);
	}
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	written++;
}

/* ---- the cases ---- */

static unsigned char big[SP_CHUNK_BYTES + 1], all[256];

#define E(n, sz, d) { n, sz, 0400, "", "", d }
#define TO_ALICE { ALICE, -1, -1 }
#define KEY_ALICE { ALICE, -1, -1 }
#define NO_KEY { -1, -1, -1 }

static const ent one[] = { E("db/password", 22, (const unsigned char *)"correct horse battery") };

static void emit(const vec *v, const spec *s)
{
	built b;

	build(&b, s);
	write_vec(v, s, &b.out);
	free(b.out.p);
}

static void positives(void)
{
	static const ent multi[] = {
		{ "tls/server.key", 11, 0440, "app:app", "", (const unsigned char *)"-----KEY---" },
		{ "tls/ca/root.pem", 4, 0444, "", "", (const unsigned char *)"cert" },
		{ "db_password", 6, 0400, "1000:1000", "DB_PASSWORD", (const unsigned char *)"s3cr3t" },
	};
	static const ent empty[] = { E("empty", 0, NULL), E("after", 3, (const unsigned char *)"abc") };
	static const ent only_empty[] = { E("nothing", 0, NULL) };
	static const ent chunks[] = { E("a", 65000, big), E("b/c", SP_CHUNK_BYTES + 1 - 65000, big + 65000) };
	static const ent exact[] = { E("exact", SP_CHUNK_BYTES, big) };
	static const ent bytes[] = { E("all-bytes.bin", 256, all) };
	spec s;

	s = (spec){ .recipients = TO_ALICE, .e = one, .n = 1 };
	emit(&(vec){ "ok-single", "single entry, one X25519 recipient", KEY_ALICE, NULL, NULL, 0,
	    "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .e = multi, .n = 3 };
	emit(&(vec){ "ok-multi-nested", "three entries, nested names, mode, owner and env",
	    KEY_ALICE, NULL, NULL, 0, "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .e = empty, .n = 2 };
	emit(&(vec){ "ok-empty-entry", "an empty entry before a non-empty one", KEY_ALICE, NULL,
	    NULL, 0, "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .e = only_empty, .n = 1 };
	emit(&(vec){ "ok-no-content", "one empty entry: no content message, only the final one",
	    KEY_ALICE, NULL, NULL, 0, "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .e = chunks, .n = 2 };
	emit(&(vec){ "ok-two-chunks", "65537 content bytes over two entries: a full chunk and a "
	    "one-byte chunk", KEY_ALICE, NULL, NULL, 0, "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .e = exact, .n = 1 };
	emit(&(vec){ "ok-exact-chunk", "exactly one full chunk", KEY_ALICE, NULL, NULL, 0,
	    "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .e = bytes, .n = 1 };
	emit(&(vec){ "ok-all-bytes", "content with every byte value", KEY_ALICE, NULL, NULL, 0,
	    "success", "SP_OK" }, &s);
	s = (spec){ .recipients = { ALICE, BOB, -1 }, .e = one, .n = 1 };
	emit(&(vec){ "ok-second-recipient", "two recipients, opened by the second", { BOB, -1, -1 },
	    NULL, NULL, 0, "success", "SP_OK" }, &s);
	emit(&(vec){ "ok-several-identities", "two recipients, opener holds a stranger's key and "
	    "the first recipient's", { CAROL, ALICE, -1 }, NULL, NULL, 0, "success", "SP_OK" }, &s);
	s = (spec){ .recipients = { -1, -1, -1 }, .pass = "correct horse", .t = 2, .m = 19456,
		.p = 1, .e = one, .n = 1 };
	emit(&(vec){ "ok-passphrase", "passphrase only, cheapest accepted Argon2id costs",
	    NO_KEY, "correct horse", NULL, 0, "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .pass = "pass phrase with spaces", .t = 2,
		.m = 19456, .p = 2, .e = one, .n = 1 };
	emit(&(vec){ "ok-passphrase-and-key", "a key and a passphrase recipient, opened with the "
	    "passphrase", NO_KEY, "pass phrase with spaces", NULL, 0, "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .context = "prod/eu-west-1", .e = one, .n = 1 };
	emit(&(vec){ "ok-context", "context given and matched", KEY_ALICE, NULL, "prod/eu-west-1",
	    0, "success", "SP_OK" }, &s);
	s = (spec){ .recipients = TO_ALICE, .expires = NOW + 1, .e = one, .n = 1 };
	emit(&(vec){ "ok-expires-later", "expires one second after now", KEY_ALICE, NULL, NULL, 0,
	    "success", "SP_OK" }, &s);
}

/* Builds one entry to Alice, then changes it. */
static void mutated(const vec *v, const spec *base, void (*change)(built *, void *), void *arg)
{
	built b;

	build(&b, base);
	change(&b, arg);
	write_vec(v, base, &b.out);
	free(b.out.p);
}

static void flip_at(built *b, void *arg)
{
	size_t off = *(const size_t *)arg;

	b->out.p[off] ^= 0x01;
}

static void set_byte(built *b, void *arg)
{
	const size_t *a = arg; /* offset, value */

	b->out.p[a[0]] = (unsigned char)a[1];
}

static void cut(built *b, void *arg)
{
	b->out.len = *(const size_t *)arg;
}

static void from_end(built *b, void *arg)
{
	b->out.len -= *(const size_t *)arg;
}

static void append(built *b, void *arg)
{
	(void)arg;
	put(&b->out, "\n", 1);
}

static void swap_stanzas(built *b, void *arg)
{
	unsigned char t[83], *p = b->out.p + b->off_stanza;

	(void)arg;
	memcpy(t, p, 83);
	memcpy(p, p + 83, 83);
	memcpy(p + 83, t, 83);
}

static void header_cases(void)
{
	spec s = { .recipients = TO_ALICE, .e = one, .n = 1 };
	built b;
	size_t a[2];

	{
		buf none = { 0 };

		write_vec(&(vec){ "header-empty", "zero bytes", KEY_ALICE, NULL, NULL, 0, "header",
		    "SP_ERR_NOT_BUNDLE" }, NULL, &none);
	}
	a[0] = 3;
	a[1] = 'C';
	mutated(&(vec){ "header-bad-magic", "magic SPKC instead of SPKB", KEY_ALICE, NULL, NULL, 0,
	    "header", "SP_ERR_NOT_BUNDLE" }, &s, set_byte, a);
	a[0] = 4;
	a[1] = '\n';
	mutated(&(vec){ "header-magic-crlf-mangled", "the magic's CR turned into LF by a text "
	    "transfer", KEY_ALICE, NULL, NULL, 0, "header", "SP_ERR_NOT_BUNDLE" }, &s, set_byte, a);
	s.version = 3;
	emit(&(vec){ "header-version-3", "format version 3", KEY_ALICE, NULL, NULL, 0, "header",
	    "SP_ERR_VERSION" }, &s);
	s.version = 0;
	s.suite = 2;
	emit(&(vec){ "header-suite-2", "algorithm suite 2", KEY_ALICE, NULL, NULL, 0, "header",
	    "SP_ERR_SUITE" }, &s);
	s.suite = 0;
	a[0] = 12;
	a[1] = 0x10;
	mutated(&(vec){ "header-length-over-limit", "header length 4248, above SP_HEADER_MAX",
	    KEY_ALICE, NULL, NULL, 0, "header", "SP_ERR_LIMIT" }, &s, set_byte, a);
	s.context = "prod";
	build(&b, &s);
	a[0] = b.off_ctx + 1;
	a[1] = 0x09;
	free(b.out.p);
	mutated(&(vec){ "header-context-control-char", "a TAB in the context", KEY_ALICE, NULL,
	    NULL, 0, "header", "SP_ERR_HEADER" }, &s, set_byte, a);
	s.context = NULL;
	s.zero_stanzas = 1;
	s.junk_before_mac = 83; /* keep the length plausible */
	emit(&(vec){ "header-zero-stanzas", "stanza count 0", KEY_ALICE, NULL, NULL, 0, "header",
	    "SP_ERR_HEADER" }, &s);
	s.zero_stanzas = 0;
	s.junk_before_mac = 1;
	emit(&(vec){ "header-bytes-before-mac", "one byte between the last stanza and the MAC",
	    KEY_ALICE, NULL, NULL, 0, "header", "SP_ERR_HEADER" }, &s);
}

static void stanza_cases(void)
{
	spec s = { .recipients = TO_ALICE, .e = one, .n = 1 };

	s.unknown_stanza = 1;
	emit(&(vec){ "stanza-unknown-type", "an extra stanza of type 3", KEY_ALICE, NULL, NULL, 0,
	    "stanza", "SP_ERR_STANZA" }, &s);
	s.unknown_stanza = 0;
	s.x25519_len_delta = 1;
	emit(&(vec){ "stanza-x25519-81-bytes", "X25519 stanza body of 81 bytes", KEY_ALICE, NULL,
	    NULL, 0, "stanza", "SP_ERR_STANZA" }, &s);
	s.x25519_len_delta = 0;
	s.dup_x25519 = 1;
	emit(&(vec){ "stanza-duplicate", "the X25519 stanza twice", KEY_ALICE, NULL, NULL, 0,
	    "stanza", "SP_ERR_STANZA" }, &s);
	s.dup_x25519 = 0;
	s = (spec){ .recipients = { -1, -1, -1 }, .pass = "pw", .t = 2, .m = 19456, .p = 1,
		.dup_argon2 = 1, .e = one, .n = 1 };
	emit(&(vec){ "stanza-two-passphrases", "two Argon2id stanzas", NO_KEY, "pw", NULL, 0,
	    "stanza", "SP_ERR_STANZA" }, &s);
	s.dup_argon2 = 0;
	s.t = 1;
	emit(&(vec){ "stanza-kdf-t-below-floor", "Argon2id t_cost 1", NO_KEY, "pw", NULL, 0,
	    "stanza", "SP_ERR_KDF_PARAMS" }, &s);
	s.t = 2;
	s.m = 4194304;
	emit(&(vec){ "stanza-kdf-m-above-ceiling", "Argon2id m_cost 4 GiB", NO_KEY, "pw", NULL, 0,
	    "stanza", "SP_ERR_KDF_PARAMS" }, &s);
	s.m = 19456;
	s.p = 0;
	emit(&(vec){ "stanza-kdf-p-zero", "Argon2id parallelism 0", NO_KEY, "pw", NULL, 0,
	    "stanza", "SP_ERR_KDF_PARAMS" }, &s);
}

static void unlock_mac_cases(void)
{
	spec s = { .recipients = TO_ALICE, .e = one, .n = 1 };
	built b;
	size_t off;

	emit(&(vec){ "unlock-wrong-key", "opened with a key that is not a recipient",
	    { CAROL, -1, -1 }, NULL, NULL, 0, "unlock", "SP_ERR_WRONG_KEY" }, &s);
	emit(&(vec){ "unlock-no-passphrase-stanza", "a passphrase given, no passphrase recipient",
	    NO_KEY, "pw", NULL, 0, "unlock", "SP_ERR_NO_PASS_STANZA" }, &s);
	build(&b, &s);
	off = b.off_stanza + 3 + 40;
	free(b.out.p);
	mutated(&(vec){ "unlock-stanza-body-flipped", "one bit of the only X25519 stanza flipped",
	    KEY_ALICE, NULL, NULL, 0, "unlock", "SP_ERR_WRONG_KEY" }, &s, flip_at, &off);
	s = (spec){ .recipients = { -1, -1, -1 }, .pass = "right", .t = 2, .m = 19456, .p = 1,
		.e = one, .n = 1 };
	emit(&(vec){ "unlock-wrong-passphrase", "wrong passphrase", NO_KEY, "wrong", NULL, 0,
	    "unlock", "SP_ERR_WRONG_PASS" }, &s);

	s = (spec){ .recipients = TO_ALICE, .context = "prod", .e = one, .n = 1 };
	build(&b, &s);
	off = b.off_ctx;
	free(b.out.p);
	mutated(&(vec){ "mac-context-changed", "context prod changed to qrod after sealing",
	    KEY_ALICE, NULL, "qrod", 0, "mac", "SP_ERR_HEADER_MAC" }, &s, flip_at, &off);
	s = (spec){ .recipients = TO_ALICE, .expires = NOW + 10, .e = one, .n = 1 };
	off = 23;
	mutated(&(vec){ "mac-expiry-changed", "expiry moved after sealing", KEY_ALICE, NULL, NULL,
	    0, "mac", "SP_ERR_HEADER_MAC" }, &s, flip_at, &off);
	s = (spec){ .recipients = { ALICE, BOB, -1 }, .e = one, .n = 1 };
	mutated(&(vec){ "mac-stanzas-swapped", "the two X25519 stanzas swapped", KEY_ALICE, NULL,
	    NULL, 0, "mac", "SP_ERR_HEADER_MAC" }, &s, swap_stanzas, NULL);
	build(&b, &s);
	off = b.off_mac + 31;
	free(b.out.p);
	mutated(&(vec){ "mac-flipped", "last MAC byte flipped", KEY_ALICE, NULL, NULL, 0, "mac",
	    "SP_ERR_HEADER_MAC" }, &s, flip_at, &off);
	build(&b, &s);
	off = b.off_stanza + 83 + 3 + 10;
	free(b.out.p);
	mutated(&(vec){ "mac-other-stanza-flipped", "the stanza of another recipient altered",
	    KEY_ALICE, NULL, NULL, 0, "mac", "SP_ERR_HEADER_MAC" }, &s, flip_at, &off);
}

static void check_cases(void)
{
	spec s = { .recipients = TO_ALICE, .context = "prod", .e = one, .n = 1 };

	emit(&(vec){ "context-mismatch", "sealed for prod, opened for staging", KEY_ALICE, NULL,
	    "staging", 0, "context", "SP_ERR_CONTEXT" }, &s);
	emit(&(vec){ "context-missing", "sealed for prod, opened with no context", KEY_ALICE, NULL,
	    NULL, 0, "context", "SP_ERR_CONTEXT" }, &s);
	s.context = NULL;
	emit(&(vec){ "context-unexpected", "sealed with no context, opened for prod", KEY_ALICE,
	    NULL, "prod", 0, "context", "SP_ERR_CONTEXT" }, &s);
	s.expires = NOW;
	emit(&(vec){ "expired-now", "expires exactly now", KEY_ALICE, NULL, NULL, 0, "expired",
	    "SP_ERR_EXPIRED" }, &s);
}

static void payload_cases(void)
{
	static const ent two[] = { E("a", 3, (const unsigned char *)"abc"),
		E("b", 2, (const unsigned char *)"de") };
	spec s = { .recipients = TO_ALICE, .e = two, .n = 2 };
	built b;
	size_t off;

	build(&b, &s);
	off = b.off_content + 2;
	free(b.out.p);
	mutated(&(vec){ "payload-content-flipped", "one bit of the content message flipped",
	    KEY_ALICE, NULL, NULL, 0, "payload", "SP_ERR_TAMPERED" }, &s, flip_at, &off);
	off = b.hdr_len + 5;
	mutated(&(vec){ "payload-stream-header-flipped", "one bit of the stream header flipped",
	    KEY_ALICE, NULL, NULL, 0, "payload", "SP_ERR_TAMPERED" }, &s, flip_at, &off);
	off = b.off_index + 1;
	mutated(&(vec){ "payload-index-flipped", "one bit of the index message flipped",
	    KEY_ALICE, NULL, NULL, 0, "payload", "SP_ERR_TAMPERED" }, &s, flip_at, &off);
	s.unbound = 1;
	emit(&(vec){ "payload-not-bound", "payload sealed with zeros as additional data instead "
	    "of the header MAC", KEY_ALICE, NULL, NULL, 0, "payload", "SP_ERR_TAMPERED" }, &s);
	s.unbound = 0;
	s.index_final = 1;
	emit(&(vec){ "index-tag-final", "the index message tagged FINAL", KEY_ALICE, NULL, NULL, 0,
	    "index", "SP_ERR_PAYLOAD" }, &s);
	s.index_final = 0;
	s.early_final = 1;
	emit(&(vec){ "payload-early-final", "the content message tagged FINAL", KEY_ALICE, NULL,
	    NULL, 0, "payload", "SP_ERR_PAYLOAD" }, &s);
	s.early_final = 0;
	s.no_final = 1;
	emit(&(vec){ "payload-no-final", "the last message tagged MESSAGE, not FINAL", KEY_ALICE,
	    NULL, NULL, 0, "payload", "SP_ERR_PAYLOAD" }, &s);
	s.no_final = 0;

	mutated(&(vec){ "trailing-byte", "a newline after the final message", KEY_ALICE, NULL,
	    NULL, 0, "trailing", "SP_ERR_TRAILING" }, &s, append, NULL);
	off = 100;
	mutated(&(vec){ "truncated-header", "cut inside the stanza", KEY_ALICE, NULL, NULL, 0,
	    "truncated", "SP_ERR_TRUNCATED" }, &s, cut, &off);
	off = 5;
	mutated(&(vec){ "truncated-magic", "only the first 5 bytes of the magic", KEY_ALICE, NULL,
	    NULL, 0, "truncated", "SP_ERR_TRUNCATED" }, &s, cut, &off);
	off = ABYTES;
	mutated(&(vec){ "truncated-before-final", "the final message missing", KEY_ALICE, NULL,
	    NULL, 0, "truncated", "SP_ERR_TRUNCATED" }, &s, from_end, &off);
	off = 1;
	mutated(&(vec){ "truncated-in-final", "the last byte missing", KEY_ALICE, NULL, NULL, 0,
	    "truncated", "SP_ERR_TRUNCATED" }, &s, from_end, &off);
	off = b.off_content + 4;
	mutated(&(vec){ "truncated-in-content", "cut inside the content message", KEY_ALICE, NULL,
	    NULL, 0, "truncated", "SP_ERR_TRUNCATED" }, &s, cut, &off);
	off = b.off_index;
	mutated(&(vec){ "truncated-before-index", "cut after the stream header", KEY_ALICE, NULL,
	    NULL, 0, "truncated", "SP_ERR_TRUNCATED" }, &s, cut, &off);
}

static void raw_entry(buf *ix, const char *name, size_t name_len, uint64_t size, uint32_t mode,
    const char *owner, const char *env)
{
	le(ix, name_len, 2);
	put(ix, name, name_len);
	le(ix, size, 8);
	le(ix, mode, 4);
	le(ix, strlen(owner), 1);
	put(ix, owner, strlen(owner));
	le(ix, strlen(env), 1);
	put(ix, env, strlen(env));
}

static void index_case(const char *file, const char *desc, const char *error, const buf *ix,
    size_t content_len)
{
	spec s = { .recipients = TO_ALICE, .raw_index = ix->p, .raw_index_len = ix->len,
		.content = big, .content_len = content_len };

	emit(&(vec){ file, desc, KEY_ALICE, NULL, NULL, 0, "index", error }, &s);
}

static void index_cases(void)
{
	static const struct {
		const char *file, *desc, *name;
		size_t len;
	} names[] = {
		{ "index-name-dotdot", "entry ../etc/passwd", "../etc/passwd", 13 },
		{ "index-name-absolute", "entry /etc/passwd", "/etc/passwd", 11 },
		{ "index-name-empty-component", "entry a//b", "a//b", 4 },
		{ "index-name-nul", "entry a NUL b", "a\0b", 3 },
		{ "index-name-newline", "entry with a newline", "a\nb", 3 },
		{ "index-name-reserved", "entry in the reserved .secretpack prefix",
		  ".secretpack-stage/x", 19 },
	};
	buf ix = { 0 };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		ix.len = 0;
		le(&ix, 1, 4);
		raw_entry(&ix, names[i].name, names[i].len, 3, 0400, "", "");
		index_case(names[i].file, names[i].desc, "SP_ERR_NAME", &ix, 3);
	}
	ix.len = 0;
	le(&ix, 2, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "", "");
	raw_entry(&ix, "a", 1, 1, 0400, "", "");
	index_case("index-duplicate-name", "two entries named a", "SP_ERR_DUPLICATE", &ix, 2);
	ix.len = 0;
	le(&ix, 2, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "", "");
	raw_entry(&ix, "a/b", 3, 1, 0400, "", "");
	index_case("index-file-and-directory", "a is a file and the directory of a/b",
	    "SP_ERR_DUPLICATE", &ix, 2);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "", "LD_PRELOAD");
	index_case("index-env-ld-preload", "env LD_PRELOAD", "SP_ERR_META", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a", 1, 1, 0200, "", "");
	index_case("index-mode-unreadable", "mode 0200", "SP_ERR_META", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a", 1, 1, 04755, "", "");
	index_case("index-mode-setuid", "mode 04755", "SP_ERR_META", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "4294967295", "");
	index_case("index-owner-uid-wraps", "owner uid 4294967295", "SP_ERR_META", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a", 1, SP_ENTRY_SIZE_MAX + 1, 0400, "", "");
	index_case("index-size-over-limit", "an entry of 64 MiB + 1", "SP_ERR_LIMIT", &ix, 0);
	ix.len = 0;
	le(&ix, 0, 4);
	index_case("index-no-entries", "entry count 0", "SP_ERR_PAYLOAD", &ix, 0);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "", "");
	le(&ix, 0, 1);
	index_case("index-trailing-bytes", "a byte after the last entry record", "SP_ERR_PAYLOAD",
	    &ix, 1);
	ix.len = 0;
	le(&ix, 2, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "", "");
	index_case("index-short", "count 2, one entry record", "SP_ERR_PAYLOAD", &ix, 1);
	free(ix.p);
}

/* ---- the spec's remaining rejections, limits, armor, text keys and passphrases ----
 * These cases draw from a randomness stream of their own, so that adding cases elsewhere does
 * not change their bytes, nor theirs the bytes above. */

#define SPEC_STREAM 0x5350454300000000ull

static void set_le_at(built *b, void *arg)
{
	const size_t *a = arg; /* offset, value, width */

	set_le(b->out.p + a[0], a[1], a[2]);
}

static void set_le_remac(built *b, void *arg)
{
	set_le_at(b, arg);
	crypto_auth(b->out.p + b->off_mac, b->out.p, b->off_mac, b->hk);
}

/* The stanza count raised past the last stanza: the next stanza's type would be read from the
 * MAC. */
static void count_plus_one(built *b, void *arg)
{
	(void)arg;
	b->out.p[b->off_count]++;
}

/* Three bytes before the MAC become a stanza head (type 1, length 80) counted in stanza_count:
 * its body would run into the MAC. */
static void body_into_mac(built *b, void *arg)
{
	unsigned char *p = b->out.p + b->off_mac - 3;

	(void)arg;
	b->out.p[b->off_count]++;
	p[0] = SP_STANZA_X25519;
	p[1] = 80;
	p[2] = 0;
}

static char *repeat(char c, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		abort();
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static void spec_header_cases(void)
{
	spec s = { .recipients = TO_ALICE, .e = one, .n = 1 };
	built b;
	size_t a[3];
	char *ctx;

	a[0] = 8;
	a[1] = 0;
	mutated(&(vec){ "header-version-0", "format version 0", KEY_ALICE, NULL, NULL, 0, "header",
	    "SP_ERR_HEADER" }, &s, set_byte, a);
	a[0] = 11;
	a[1] = 151;
	mutated(&(vec){ "header-length-151", "header length 151, one below the smallest valid header",
	    KEY_ALICE, NULL, NULL, 0, "header", "SP_ERR_HEADER" }, &s, set_byte, a);
	s.junk_before_mac = SP_HEADER_MAX - 152;
	emit(&(vec){ "header-length-at-limit", "header length exactly SP_HEADER_MAX is read; the "
	    "padding that makes it that long is then rejected", KEY_ALICE, NULL, NULL, 0, "header",
	    "SP_ERR_HEADER" }, &s);
	s.junk_before_mac = SP_HEADER_MAX - 151;
	emit(&(vec){ "header-length-over-limit-by-one", "header length SP_HEADER_MAX + 1", KEY_ALICE,
	    NULL, NULL, 0, "header", "SP_ERR_LIMIT" }, &s);
	s.junk_before_mac = 0;
	mutated(&(vec){ "header-stanza-count-past-mac", "stanza count 2 with one stanza: the second "
	    "stanza's type and length would be read from the MAC", KEY_ALICE, NULL, NULL, 0,
	    "header", "SP_ERR_HEADER" }, &s, count_plus_one, NULL);
	s.junk_before_mac = 3;
	mutated(&(vec){ "header-stanza-body-into-mac", "a second X25519 stanza whose 80-byte body "
	    "would run into the MAC", KEY_ALICE, NULL, NULL, 0, "header", "SP_ERR_HEADER" }, &s,
	    body_into_mac, NULL);
	s.junk_before_mac = 0;
	a[0] = 31;
	a[2] = 4;
	a[1] = 3;
	mutated(&(vec){ "header-index-len-3", "index length 3, below the 4-byte entry count",
	    KEY_ALICE, NULL, NULL, 0, "header", "SP_ERR_HEADER" }, &s, set_le_at, a);
	a[1] = SP_INDEX_MAX + 1;
	mutated(&(vec){ "header-index-len-over-limit", "index length SP_INDEX_MAX + 1", KEY_ALICE,
	    NULL, NULL, 0, "header", "SP_ERR_LIMIT" }, &s, set_le_at, a);
	a[1] = SP_INDEX_MAX;
	mutated(&(vec){ "header-index-len-at-limit", "index length exactly SP_INDEX_MAX, header "
	    "re-authenticated: accepted, then the input ends inside the index message", KEY_ALICE,
	    NULL, NULL, 0, "truncated", "SP_ERR_TRUNCATED" }, &s, set_le_remac, a);
	ctx = repeat('c', SP_CONTEXT_MAX + 1);
	s.context = ctx;
	emit(&(vec){ "header-context-over-limit", "a context of SP_CONTEXT_MAX + 1 bytes", KEY_ALICE,
	    NULL, ctx, 0, "header", "SP_ERR_LIMIT" }, &s);
	ctx[SP_CONTEXT_MAX] = '\0';
	emit(&(vec){ "ok-context-at-limit", "a context of exactly SP_CONTEXT_MAX bytes", KEY_ALICE,
	    NULL, ctx, 0, "success", "SP_OK" }, &s);
	s.context = NULL;
	build(&b, &s);
	a[0] = b.off_count;
	a[1] = SP_STANZAS_MAX + 1;
	free(b.out.p);
	mutated(&(vec){ "header-stanza-count-over-limit", "stanza count SP_STANZAS_MAX + 1",
	    KEY_ALICE, NULL, NULL, 0, "header", "SP_ERR_LIMIT" }, &s, set_byte, a);
	s.extra_x25519 = SP_STANZAS_MAX - 1;
	emit(&(vec){ "ok-stanzas-at-limit", "SP_STANZAS_MAX X25519 stanzas, the first to Alice",
	    KEY_ALICE, NULL, NULL, 0, "success", "SP_OK" }, &s);
	/* The largest valid version 1 header: longest context, 15 X25519 stanzas and a passphrase. */
	s = (spec){ .recipients = TO_ALICE, .extra_x25519 = SP_STANZAS_MAX - 2, .pass = "pw", .t = 2,
		.m = 19456, .p = 1, .context = ctx, .e = one, .n = 1 };
	emit(&(vec){ "ok-largest-header", "the largest valid header, 1545 bytes: a 128-byte "
	    "context, 15 X25519 stanzas and an Argon2id stanza", KEY_ALICE, NULL, ctx, 0, "success",
	    "SP_OK" }, &s);
	free(ctx);
}

static void spec_stanza_unlock_cases(void)
{
	spec s = { .recipients = { -1, -1, -1 }, .pass = "pw", .t = 2, .m = 19456, .p = 1, .e = one,
		.n = 1 };
	built b;
	size_t a[3];

	build(&b, &s);
	a[0] = b.off_stanza + 1;
	a[1] = 99;
	a[2] = 2;
	free(b.out.p);
	mutated(&(vec){ "stanza-argon2-99-bytes", "Argon2id stanza body of 99 bytes", NO_KEY, "pw",
	    NULL, 0, "stanza", "SP_ERR_STANZA" }, &s, set_le_at, a);

	s = (spec){ .recipients = TO_ALICE, .e = one, .n = 1 };
	emit(&(vec){ "unlock-key-and-passphrase-no-stanza", "a key that is not a recipient and a "
	    "passphrase, no passphrase recipient: wrong key", { CAROL, -1, -1 }, "pw", NULL, 0,
	    "unlock", "SP_ERR_WRONG_KEY" }, &s);
	s = (spec){ .recipients = TO_ALICE, .pass = "right", .t = 2, .m = 19456, .p = 1, .e = one,
		.n = 1 };
	emit(&(vec){ "ok-key-fails-then-passphrase", "a key that is not a recipient, then the right "
	    "passphrase", { CAROL, -1, -1 }, "right", NULL, 0, "success", "SP_OK" }, &s);
	emit(&(vec){ "unlock-key-and-wrong-passphrase", "a key that is not a recipient and a wrong "
	    "passphrase", { CAROL, -1, -1 }, "wrong", NULL, 0, "unlock", "SP_ERR_WRONG_PASS" }, &s);
	emit(&(vec){ "ok-key-before-passphrase", "the right key and a wrong passphrase: the key is "
	    "tried first, the passphrase never", KEY_ALICE, "wrong", NULL, 0, "success", "SP_OK" }, &s);
	/* Passphrases are bytes: "cafe" with e-acute precomposed (NFC) is not the decomposed one. */
	s.pass = "cafe\xcc\x81";
	emit(&(vec){ "unlock-passphrase-not-normalised", "sealed with a decomposed e-acute (NFD), "
	    "opened with the precomposed one (NFC)", NO_KEY, "caf\xc3\xa9", NULL, 0, "unlock",
	    "SP_ERR_WRONG_PASS" }, &s);

	/* Two stanzas wrapping different file keys: the first stanza (Alice's) wraps a stray key,
	 * the second (Bob's) the one the MAC was made with. Keys are tried in the order given, each
	 * against every stanza, and the first stanza that opens gives the file key. */
	s = (spec){ .recipients = { ALICE, BOB, -1 }, .wrong_fk_stanza = 1, .e = one, .n = 1 };
	emit(&(vec){ "ok-keys-outer-loop", "stanza 1 wraps a stray file key for Alice, stanza 2 the "
	    "real one for Bob; keys Bob then Alice: Bob's key opens stanza 2 first", { BOB, ALICE, -1 },
	    NULL, NULL, 0, "success", "SP_OK" }, &s);
	emit(&(vec){ "mac-first-opened-stanza-is-final", "as above, keys Alice then Bob: Alice's "
	    "stanza gives the stray key, the MAC fails, and Bob's is not tried", { ALICE, BOB, -1 },
	    NULL, NULL, 0, "mac", "SP_ERR_HEADER_MAC" }, &s);
}

static void spec_index_cases(void)
{
	buf ix = { 0 };
	char *n255, *o65, *e65, *o64, *e64;

	ix.len = 0;
	le(&ix, SP_ENTRIES_MAX + 1, 4);
	index_case("index-count-over-limit", "entry count SP_ENTRIES_MAX + 1", "SP_ERR_LIMIT", &ix, 0);
	ix.len = 0;
	le(&ix, SP_ENTRIES_MAX, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "", "");
	index_case("index-count-at-limit-short", "entry count SP_ENTRIES_MAX, one record: accepted, "
	    "then more records than the index can hold", "SP_ERR_PAYLOAD", &ix, 1);
	n255 = repeat('n', SP_NAME_MAX + 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, n255, SP_NAME_MAX + 1, 1, 0400, "", "");
	index_case("index-name-over-limit", "a name of SP_NAME_MAX + 1 bytes", "SP_ERR_NAME", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a/b/c/d/e/f/g/h/i", 17, 1, 0400, "", "");
	index_case("index-name-9-components", "a name of SP_NAME_DEPTH_MAX + 1 components",
	    "SP_ERR_NAME", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a/./b", 5, 1, 0400, "", "");
	index_case("index-name-dot", "a name with a . component", "SP_ERR_NAME", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a b", 3, 1, 0400, "", "");
	index_case("index-name-space", "a name with a space", "SP_ERR_NAME", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "caf\xc3\xa9", 5, 1, 0400, "", "");
	index_case("index-name-non-ascii", "a name with a non-ASCII byte", "SP_ERR_NAME", &ix, 1);
	o65 = repeat('o', SP_OWNER_MAX + 1);
	e65 = repeat('E', SP_ENV_MAX + 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a", 1, 1, 0400, o65, "");
	index_case("index-owner-over-limit", "an owner of SP_OWNER_MAX + 1 bytes", "SP_ERR_META", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "", e65);
	index_case("index-env-over-limit", "an env name of SP_ENV_MAX + 1 bytes", "SP_ERR_META", &ix, 1);
	{
		static const struct {
			const char *file, *desc, *owner, *env;
			size_t owner_len, env_len;
		} meta[] = {
			{ "index-owner-nul", "a NUL byte in the owner", "ap\0p", "", 4, 0 },
			{ "index-env-nul", "a NUL byte in the env name", "", "A\0B", 0, 3 },
			{ "index-owner-leading-dash", "owner -1", "-1", "", 2, 0 },
			{ "index-owner-empty-group", "owner app: with an empty group", "app:", "", 4, 0 },
			{ "index-owner-empty-user", "owner :app with an empty user", ":app", "", 4, 0 },
			{ "index-owner-space", "owner with a space", "my app", "", 6, 0 },
			{ "index-owner-two-colons", "owner a:b:c", "a:b:c", "", 5, 0 },
			{ "index-owner-gid-wraps", "owner 0:4294967296", "0:4294967296", "", 12, 0 },
			{ "index-env-leading-digit", "env 1DB", "", "1DB", 0, 3 },
			{ "index-env-dash", "env DB-PASSWORD", "", "DB-PASSWORD", 0, 11 },
			{ "index-env-lowercase-denied", "env ld_preload: denied names ignore case", "",
			  "ld_preload", 0, 10 },
			{ "index-env-denied-prefix", "env PYTHONSTARTUP: the PYTHON prefix", "",
			  "PYTHONSTARTUP", 0, 13 },
			{ "index-env-denied-exact", "env Path: exactly PATH without regard to case", "",
			  "Path", 0, 4 },
		};

		for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
			ix.len = 0;
			le(&ix, 1, 4);
			le(&ix, 1, 2);
			put(&ix, "a", 1);
			le(&ix, 1, 8);
			le(&ix, 0400, 4);
			le(&ix, meta[i].owner_len, 1);
			put(&ix, meta[i].owner, meta[i].owner_len);
			le(&ix, meta[i].env_len, 1);
			put(&ix, meta[i].env, meta[i].env_len);
			index_case(meta[i].file, meta[i].desc, "SP_ERR_META", &ix, 1);
		}
	}
	/* count 1, owner_len 5 with 2 bytes left: the record is long enough for the count check */
	ix.len = 0;
	le(&ix, 1, 4);
	le(&ix, 2, 2);
	put(&ix, "ab", 2);
	le(&ix, 1, 8);
	le(&ix, 0400, 4);
	le(&ix, 5, 1);
	put(&ix, "ap", 2);
	index_case("index-ends-inside-owner", "the index ends inside the owner field",
	    "SP_ERR_PAYLOAD", &ix, 1);
	ix.len = 0;
	le(&ix, 1, 4);
	le(&ix, 20, 2);
	put(&ix, "abcdefghijklmn", 14); /* 16 bytes after the count: enough for one record */
	index_case("index-ends-inside-name", "the index ends inside the name", "SP_ERR_PAYLOAD", &ix, 0);
	ix.len = 0;
	le(&ix, 5, 4);
	for (int i = 0; i < 4; i++) {
		char nm[2] = { (char)('a' + i), 0 };

		raw_entry(&ix, nm, 1, SP_ENTRY_SIZE_MAX, 0400, "", "");
	}
	raw_entry(&ix, "e", 1, 1, 0400, "", "");
	index_case("index-total-over-limit", "four entries of SP_ENTRY_SIZE_MAX and one of 1 byte: "
	    "SP_TOTAL_SIZE_MAX + 1 in all", "SP_ERR_LIMIT", &ix, 0);
	ix.len = 0;
	le(&ix, 4, 4);
	for (int i = 0; i < 4; i++) {
		char nm[2] = { (char)('a' + i), 0 };

		raw_entry(&ix, nm, 1, SP_ENTRY_SIZE_MAX, 0400, "", "");
	}
	{
		spec s = { .recipients = TO_ALICE, .raw_index = ix.p, .raw_index_len = ix.len };

		emit(&(vec){ "index-total-at-limit", "four entries of SP_ENTRY_SIZE_MAX, exactly "
		    "SP_TOTAL_SIZE_MAX: accepted, then the content is missing", KEY_ALICE, NULL, NULL, 0,
		    "truncated", "SP_ERR_TRUNCATED" }, &s);
	}
	ix.len = 0;
	le(&ix, 2, 4);
	raw_entry(&ix, "a", 1, 1, 0400, "", "A_FILE");
	raw_entry(&ix, "b", 1, 1, 0400, "", "A_FILE");
	index_case("index-duplicate-env", "two entries with env A_FILE", "SP_ERR_DUPLICATE", &ix, 2);
	ix.len = 0;
	le(&ix, 2, 4);
	raw_entry(&ix, "a/b", 3, 1, 0400, "", "");
	raw_entry(&ix, "a", 1, 1, 0400, "", "");
	index_case("index-directory-then-file", "a/b, then a as a file", "SP_ERR_DUPLICATE", &ix, 2);
	free(ix.p);

	/* Every field at its limit at once: a valid entry. */
	{
		static char name[SP_NAME_MAX + 1];
		ent e[1];
		spec s;
		size_t i;

		/* 8 components: 7 of 31 bytes and one of 31, with 7 slashes = 255 bytes */
		for (i = 0; i < SP_NAME_MAX; i++)
			name[i] = (char)((i + 1) % 32 == 0 ? '/' : 'a' + (char)(i % 26));
		name[SP_NAME_MAX] = '\0';
		o64 = repeat('u', SP_OWNER_MAX);
		o64[SP_OWNER_MAX / 2] = ':';
		e64 = repeat('E', SP_ENV_MAX);
		e[0] = (ent){ name, 5, 0777, o64, e64, (const unsigned char *)"limit" };
		s = (spec){ .recipients = TO_ALICE, .e = e, .n = 1 };
		emit(&(vec){ "ok-entry-fields-at-limit", "a 255-byte name of 8 components, mode 0777, a "
		    "64-byte owner and a 64-byte env name", KEY_ALICE, NULL, NULL, 0, "success", "SP_OK" },
		    &s);
		free(o64);
		free(e64);
	}
	free(n255);
	free(o65);
	free(e65);
}

static void spec_payload_cases(void)
{
	static const ent two[] = { E("a", 3, (const unsigned char *)"abc"),
		E("b", 2, (const unsigned char *)"de") };
	spec s = { .recipients = TO_ALICE, .e = two, .n = 2 };

	s.index_tag = crypto_secretstream_xchacha20poly1305_TAG_PUSH;
	emit(&(vec){ "index-tag-push", "the index message tagged PUSH", KEY_ALICE, NULL, NULL, 0,
	    "index", "SP_ERR_PAYLOAD" }, &s);
	s.index_tag = 0;
	s.content_tag = crypto_secretstream_xchacha20poly1305_TAG_PUSH;
	emit(&(vec){ "payload-tag-push", "the content message tagged PUSH", KEY_ALICE, NULL, NULL, 0,
	    "payload", "SP_ERR_PAYLOAD" }, &s);
	s.content_tag = crypto_secretstream_xchacha20poly1305_TAG_REKEY;
	emit(&(vec){ "payload-tag-rekey", "the content message tagged REKEY", KEY_ALICE, NULL, NULL,
	    0, "payload", "SP_ERR_PAYLOAD" }, &s);
}

/* ---- vectors of other kinds: armor, text keys, passphrases ---- */

static void write_other(const char *file, const char *head, const unsigned char *p, size_t len)
{
	char path[512], hex[65];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.vec", dir, file);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "%s\n", head);
	for (size_t off = 0; off < len; off += 32) {
		size_t n = len - off < 32 ? len - off : 32;

		sodium_bin2hex(hex, sizeof hex, p + off, n);
		fprintf(f, "%s\n", hex);
	}
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	written++;
}

/* The armored form as doc/FORMAT.md has writers produce it, with a given line length. */
static void armor_of(buf *out, const unsigned char *bin, size_t len, size_t line, const char *eol)
{
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64len);

	if (b64 == NULL)
		abort();
	sodium_bin2base64(b64, b64len, bin, len, sodium_base64_VARIANT_ORIGINAL);
	b64len = strlen(b64);
	put(out, "-----BEGIN SECRETPACK BUNDLE-----", 33);
	put(out, eol, strlen(eol));
	for (size_t i = 0; i < b64len; i += line) {
		put(out, b64 + i, b64len - i < line ? b64len - i : line);
		put(out, eol, strlen(eol));
	}
	put(out, "-----END SECRETPACK BUNDLE-----", 31);
	put(out, eol, strlen(eol));
	free(b64);
}

/* The head of an armor vector that decodes to a bundle opened by Alice. */
static void armor_vec(const char *file, const char *desc, const spec *s, const buf *text,
    const char *extra, const char *expect, const char *error)
{
	char head[2048];
	int n;

	n = snprintf(head, sizeof head, "description: %s\nkind: armor\n%ssecret_key: %s\nnow: %llu\n"
	    "expect: %s\nerror: %s\n", desc, extra, SK_HEX[ALICE], (unsigned long long)NOW, expect,
	    error);
	for (size_t i = 0; strcmp(expect, "success") == 0 && i < s->n; i++) {
		unsigned char h[32];
		char hh[65];

		crypto_hash_sha256(h, s->e[i].data, s->e[i].size);
		sodium_bin2hex(hh, sizeof hh, h, sizeof h);
		n += snprintf(head + n, sizeof head - (size_t)n, "entry: %s %llu %s %04o - -\n",
		    s->e[i].name, (unsigned long long)s->e[i].size, hh, (unsigned)s->e[i].mode);
	}
	write_other(file, head, text->p, text->len);
}

static void armor_cases(void)
{
	static const ent fill[] = { E("db/password", 30, (const unsigned char *)"thirty bytes of content, here.") };
	spec s = { .recipients = TO_ALICE, .e = one, .n = 1 };
	built b, full;
	buf t = { 0 };
	char extra[64];
	size_t i, body;

	build(&b, &s); /* 280 bytes: base64 ends in "==" */
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	armor_vec("armor-ok", "a bundle armored as writers must: 64-character lines, the last shorter",
	    &s, &t, "canonical: yes\n", "success", "SP_OK");
	{
		spec sf = { .recipients = TO_ALICE, .e = fill, .n = 1 };

		build(&full, &sf); /* 288 bytes: 384 base64 characters, six full lines */
		t.len = 0;
		armor_of(&t, full.out.p, full.out.len, 64, "\n");
		armor_vec("armor-ok-full-lines", "base64 that fills its last line exactly: no short "
		    "line, no empty line", &sf, &t, "canonical: yes\n", "success", "SP_OK");
		free(full.out.p);
	}
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 64, "\r\n");
	armor_vec("armor-ok-crlf", "CRLF line ends", &s, &t, "", "success", "SP_OK");
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 76, "  \n");
	armor_vec("armor-ok-76-and-trailing-blanks", "lines of 76 characters with trailing blanks",
	    &s, &t, "", "success", "SP_OK");
	t.len = 0;
	put(&t, "\n\t \r\n", 5);
	for (i = 5; i < 31; i++)
		put(&t, " ", 1);
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	put(&t, "\n \n", 3);
	armor_vec("armor-ok-surrounding-whitespace", "31 whitespace bytes before BEGIN, whitespace "
	    "after END", &s, &t, "", "success", "SP_OK");
	t.len = 0;
	for (i = 0; i < 32; i++)
		put(&t, " ", 1);
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	armor_vec("armor-not-detected-after-32-blanks", "32 spaces before BEGIN: outside the 64-byte "
	    "detection window, so read as binary", &s, &t, "", "header", "SP_ERR_NOT_BUNDLE");
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 77, "\n");
	armor_vec("armor-line-77", "a body line of 77 characters", &s, &t, "", "armor",
	    "SP_ERR_ARMOR");
	body = 34; /* first body character */
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	t.len -= 32; /* drop the END line */
	armor_vec("armor-no-end", "no END line", &s, &t, "", "armor", "SP_ERR_ARMOR");
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	{
		buf u = { 0 };

		put(&u, t.p, body + 65);
		put(&u, "\n", 1);
		put(&u, t.p + body + 65, t.len - body - 65);
		armor_vec("armor-empty-line", "an empty line inside the body", &s, &u, "", "armor",
		    "SP_ERR_ARMOR");
		free(u.p);
	}
	t.p[body + 10] = '*';
	armor_vec("armor-bad-character", "a * in the body", &s, &t, "", "armor", "SP_ERR_ARMOR");
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	t.p[body + 10] = '=';
	armor_vec("armor-padding-inside", "an = inside the first line", &s, &t, "", "armor",
	    "SP_ERR_ARMOR");
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	put(&t, "x\n", 2);
	armor_vec("armor-text-after-end", "a line of text after END", &s, &t, "", "armor",
	    "SP_ERR_ARMOR");
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	{
		/* The body ends "X==\n" then END: X carries 2 data bits and 4 pad bits, set one. */
		size_t last = t.len - 32 - 4;
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		size_t v = (size_t)(strchr(alpha, t.p[last]) - alpha);

		t.p[last] = alpha[v | 1];
		armor_vec("armor-nonzero-pad-bits", "the last base64 group has a pad bit set", &s, &t,
		    "", "armor", "SP_ERR_ARMOR");
		t.len = 0;
		armor_of(&t, b.out.p, b.out.len, 64, "\n");
		memmove(t.p + last + 1, t.p + last + 3, t.len - last - 3);
		t.len -= 2;
		armor_vec("armor-padding-removed", "the body with its == padding removed", &s, &t, "",
		    "armor", "SP_ERR_ARMOR");
	}
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len - 1, 64, "\n");
	armor_vec("armor-truncated-bundle", "well-formed armor of a bundle missing its last byte",
	    &s, &t, "", "truncated", "SP_ERR_TRUNCATED");
	/* Size: the armor plus LF padding after END, to exactly 16 MiB and one byte more. */
	t.len = 0;
	armor_of(&t, b.out.p, b.out.len, 64, "\n");
	snprintf(extra, sizeof extra, "pad: %zu\n", (size_t)(16u << 20) - t.len);
	armor_vec("armor-size-at-limit", "armor and LF padding of exactly 16 MiB", &s, &t, extra,
	    "success", "SP_OK");
	snprintf(extra, sizeof extra, "pad: %zu\n", (size_t)(16u << 20) - t.len + 1);
	armor_vec("armor-size-over-limit", "armor and LF padding of 16 MiB + 1 byte", &s, &t, extra,
	    "armor", "SP_ERR_LIMIT");
	free(t.p);
	free(b.out.p);
}

static void base32(char *out, const unsigned char *p, size_t len, int upper)
{
	const char *alpha = upper ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" : "abcdefghijklmnopqrstuvwxyz234567";
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alpha[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = alpha[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

/* prefix || base32(bytes || BLAKE2b-256(label || bytes)[0..4]) */
static void keytext(char *out, const char *prefix, const char *label, const unsigned char *p,
    size_t len, int upper)
{
	unsigned char msg[256], sum[32], all[160];

	memcpy(msg, label, strlen(label));
	memcpy(msg + strlen(label), p, len);
	crypto_generichash(sum, 32, msg, strlen(label) + len, NULL, 0);
	memcpy(all, p, len);
	memcpy(all + len, sum, 4);
	strcpy(out, prefix);
	base32(out + strlen(prefix), all, len + 4, upper);
}

static void key_vec(const char *file, const char *desc, const char *type, const char *text,
    const char *pass, const char *keys, const char *error)
{
	char head[1024];

	snprintf(head, sizeof head, "description: %s\nkind: text-key\nkey_type: %s\n%s%s%snow: %llu\n"
	    "expect: %s\nerror: %s\n%s", desc, type, pass ? "passphrase: " : "", pass ? pass : "",
	    pass ? "\n" : "", (unsigned long long)NOW, strcmp(error, "SP_OK") ? "key" : "success",
	    error, keys ? keys : "");
	write_other(file, head, (const unsigned char *)text, strlen(text));
}

static void key_cases(void)
{
	char r[128], id[128], t[1024], keys[256], rk[80], ik[80], enc[256];
	unsigned char raw[100], kek[32];
	size_t n;

	keytext(r, "spkpub1", "secretpack recipient", pk[ALICE], 32, 0);
	keytext(id, "SPKSEC1", "secretpack identity", sk[ALICE], 32, 1);
	snprintf(rk, sizeof rk, "key: %s\n", "");
	sodium_bin2hex(rk + 5, 65, pk[ALICE], 32);
	strcat(rk, "\n");
	sodium_bin2hex(ik + 5, 65, sk[ALICE], 32);
	memcpy(ik, "key: ", 5);
	strcat(ik, "\n");
	n = strlen(r);
	key_vec("key-recipient-ok", "Alice's public key as a recipient", "recipient", r, NULL, rk,
	    "SP_OK");
	key_vec("key-identity-ok", "Alice's secret key as an identity", "identity", id, NULL, ik,
	    "SP_OK");
	for (size_t i = 0; r[i]; i++)
		t[i] = (char)(r[i] >= 'a' && r[i] <= 'z' ? r[i] - 'a' + 'A' : r[i]);
	t[n] = '\0';
	key_vec("key-recipient-upper-case", "a recipient in upper case: prefix and base32 compare "
	    "without regard to case", "recipient", t, NULL, rk, "SP_OK");
	for (size_t i = 0; id[i]; i++)
		t[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] - 'A' + 'a' : id[i]);
	t[strlen(id)] = '\0';
	key_vec("key-identity-lower-case", "an identity in lower case", "identity", t, NULL, ik,
	    "SP_OK");
	strcpy(t, r);
	t[6] = '2';
	key_vec("key-wrong-prefix", "prefix spkpub2", "recipient", t, NULL, NULL, "SP_ERR_ENCODING");
	key_vec("key-identity-as-recipient", "an identity where a recipient is expected",
	    "recipient", id, NULL, NULL, "SP_ERR_ENCODING");
	key_vec("key-recipient-as-identity", "a recipient where an identity is expected",
	    "identity", r, NULL, NULL, "SP_ERR_ENCODING");
	strcpy(t, r);
	t[20] = '1';
	key_vec("key-character-outside-alphabet", "a 1, outside the base32 alphabet", "recipient", t,
	    NULL, NULL, "SP_ERR_ENCODING");
	t[n - 1] = '\0';
	key_vec("key-bad-character-and-short", "a character outside the alphabet and one character "
	    "short: the character is reported", "recipient", t, NULL, NULL, "SP_ERR_ENCODING");
	strcpy(t, r);
	strcat(t, "=");
	key_vec("key-padding", "an = padding character", "recipient", t, NULL, NULL,
	    "SP_ERR_ENCODING");
	key_vec("key-empty", "an empty string", "recipient", "", NULL, NULL, "SP_ERR_ENCODING");
	strcpy(t, r);
	t[n - 1] = '\0';
	key_vec("key-one-short", "the last character missing", "recipient", t, NULL, NULL,
	    "SP_ERR_CHECKSUM");
	strcpy(t, r);
	strcat(t, "a");
	key_vec("key-one-long", "one character too many", "recipient", t, NULL, NULL,
	    "SP_ERR_CHECKSUM");
	strcpy(t, r);
	t[10] = t[10] == 'a' ? 'b' : 'a';
	key_vec("key-typo", "one character changed: the checksum does not match", "recipient", t,
	    NULL, NULL, "SP_ERR_CHECKSUM");
	strcpy(t, r);
	{
		/* 36 bytes take 58 characters: the last carries 3 data bits and 2 spare bits. */
		const char *alpha = "abcdefghijklmnopqrstuvwxyz234567";
		size_t v = (size_t)(strchr(alpha, t[n - 1]) - alpha);

		t[n - 1] = alpha[v | 1];
	}
	key_vec("key-spare-bits", "a spare bit set in the last character", "recipient", t, NULL,
	    NULL, "SP_ERR_CHECKSUM");

	/* Identity and recipients files. */
	snprintf(t, sizeof t, "# created: 2023-11-14\r\n\r\n   %s  \r\n", id);
	key_vec("keyfile-identity-ok", "an identity file: a comment, a blank line, CRLF, blanks "
	    "around the key", "identity-file", t, NULL, ik, "SP_OK");
	key_vec("keyfile-identity-empty", "an identity file with no line at all", "identity-file",
	    "", NULL, NULL, "SP_ERR_ENCODING");
	key_vec("keyfile-identity-comments-only", "an identity file with comments and blank lines "
	    "only", "identity-file", "# nothing here\n\n   \n", NULL, NULL, "SP_ERR_ENCODING");
	snprintf(t, sizeof t, "%s\n%s\n", id, r);
	key_vec("keyfile-identity-with-recipient", "an identity file with a recipient line",
	    "identity-file", t, NULL, NULL, "SP_ERR_ENCODING");
	keytext(t, "spkpub1", "secretpack recipient", pk[BOB], 32, 0);
	snprintf(keys, sizeof keys, "%s", rk);
	{
		char line[80] = "key: ";

		sodium_bin2hex(line + 5, 65, pk[BOB], 32);
		strcat(line, "\n");
		strcat(keys, line);
	}
	{
		char file[2048];

		snprintf(file, sizeof file, "# team\n%s\n%s\n", r, t);
		key_vec("keyfile-recipients-ok", "a recipients file of two keys", "recipients-file",
		    file, NULL, keys, "SP_OK");
		snprintf(file, sizeof file, "%s\n%s\n", r, id);
		key_vec("keyfile-recipients-with-identity", "a secret key in a recipients file is an "
		    "error", "recipients-file", file, NULL, NULL, "SP_ERR_ENCODING");
	}
	key_vec("keyfile-recipients-empty", "a recipients file with no recipient", "recipients-file",
	    "\n# none\n", NULL, NULL, "SP_ERR_ENCODING");

	/* A passphrase-protected identity, with the cheapest accepted costs. */
	randombytes_buf(raw, 16);
	set_le(raw + 16, 2, 4);
	set_le(raw + 20, 19456, 4);
	set_le(raw + 24, 1, 4);
	randombytes_buf(raw + 28, 24);
	if (argon2id_hash_raw(2, 19456, 1, "id pass", 7, raw, 16, kek, 32) != ARGON2_OK)
		abort();
	crypto_secretbox_easy(raw + 52, sk[ALICE], 32, raw + 28, kek);
	keytext(enc, "SPKENC1", "secretpack encrypted identity", raw, 100, 1);
	key_vec("keyfile-encrypted-ok", "a passphrase-protected identity", "identity-file", enc,
	    "id pass", ik, "SP_OK");
	key_vec("keyfile-encrypted-wrong-passphrase", "a passphrase-protected identity, wrong "
	    "passphrase", "identity-file", enc, "id pas", NULL, "SP_ERR_WRONG_PASS");
	set_le(raw + 16, 1, 4);
	keytext(enc, "SPKENC1", "secretpack encrypted identity", raw, 100, 1);
	key_vec("keyfile-encrypted-t-below-floor", "a passphrase-protected identity with t = 1",
	    "identity-file", enc, "id pass", NULL, "SP_ERR_KDF_PARAMS");
}

static void pass_vec(const char *file, const char *desc, const char *src, size_t len,
    const char *want, size_t want_len, const char *error)
{
	char head[4096], hex[2 * 1100 + 1];

	if (strcmp(error, "SP_OK") == 0)
		sodium_bin2hex(hex, sizeof hex, (const unsigned char *)want, want_len);
	snprintf(head, sizeof head, "description: %s\nkind: passphrase\nnow: %llu\nexpect: %s\n"
	    "error: %s\n%s%s%s", desc, (unsigned long long)NOW,
	    strcmp(error, "SP_OK") ? "passphrase" : "success", error,
	    strcmp(error, "SP_OK") ? "" : "passphrase_hex: ", strcmp(error, "SP_OK") ? "" : hex,
	    strcmp(error, "SP_OK") ? "" : "\n");
	write_other(file, head, (const unsigned char *)src, len);
}

static void pass_cases(void)
{
	char *big = repeat('p', SP_PASS_MAX + 2);

	pass_vec("pass-ok-lf", "one trailing LF is not part of the passphrase", "pw\n", 3, "pw", 2,
	    "SP_OK");
	pass_vec("pass-ok-crlf", "one trailing CR LF is not part of the passphrase", "pw\r\n", 4,
	    "pw", 2, "SP_OK");
	pass_vec("pass-ok-no-newline", "no newline: the bytes as they are", "pw", 2, "pw", 2, "SP_OK");
	pass_vec("pass-ok-blanks-kept", "leading and trailing blanks are part of it", " pw \t\n", 6,
	    " pw \t", 5, "SP_OK");
	pass_vec("pass-ok-nfd-kept", "UTF-8 is not normalised: a decomposed e-acute stays so",
	    "cafe\xcc\x81\n", 7, "cafe\xcc\x81", 6, "SP_OK");
	pass_vec("pass-second-line", "two lines: refused, never cut at the first line break",
	    "pw\nxx\n", 6, NULL, 0, "SP_ERR_ARG");
	pass_vec("pass-two-newlines", "only one trailing newline is dropped", "pw\n\n", 4, NULL, 0,
	    "SP_ERR_ARG");
	pass_vec("pass-trailing-cr", "a lone trailing CR is not a line end", "pw\r", 3, NULL, 0,
	    "SP_ERR_ARG");
	pass_vec("pass-inner-cr", "a CR inside", "p\rw\n", 4, NULL, 0, "SP_ERR_ARG");
	pass_vec("pass-nul", "a NUL byte inside", "p\0w\n", 4, NULL, 0, "SP_ERR_ARG");
	pass_vec("pass-empty", "no bytes", "", 0, NULL, 0, "SP_ERR_ARG");
	pass_vec("pass-only-newline", "a newline alone is empty", "\n", 1, NULL, 0, "SP_ERR_ARG");
	big[SP_PASS_MAX] = '\n';
	pass_vec("pass-ok-at-limit", "SP_PASS_MAX bytes and a newline", big, SP_PASS_MAX + 1, big,
	    SP_PASS_MAX, "SP_OK");
	big[SP_PASS_MAX] = 'p';
	big[SP_PASS_MAX + 1] = '\n';
	pass_vec("pass-over-limit", "SP_PASS_MAX + 1 bytes and a newline", big, SP_PASS_MAX + 2,
	    NULL, 0, "SP_ERR_LIMIT");
	free(big);
}

static void spec_cases(void)
{
	rng_counter = SPEC_STREAM;
	spec_header_cases();
	spec_stanza_unlock_cases();
	spec_index_cases();
	spec_payload_cases();
	armor_cases();
	key_cases();
	pass_cases();
}

/* ---- format version 2: signer in the header, recipient list in the index, signature ---- */

/* RFC 8032 section 7.1, tests 1 and 2: the trusted signer and a stranger. */
static const char *const SIGN_SEED_HEX[2] = {
	"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
};
enum { SIGNER, STRANGER };
static unsigned char sign_sk[2][64], sign_pk[2][32];

typedef struct {
	int signer;         /* -1: unsigned; else the key named in the header */
	int signed_by;      /* the key that signs (differs from signer for a forgery) */
	int no_trailer;     /* header names a signer, nothing after the final message */
	int signer_type;    /* written as is when not 0 */
	int list_delta;     /* added to the recipient count in the index */
	int list_skip;      /* leave the first recipient out of the list */
	int pass_flag;      /* written as is when not 0 (else 1 with a passphrase) */
} v2opt;

static void build_v2(built *b, const spec *s, const v2opt *o)
{
	unsigned char fk[32], hk[32], key[32], mac[32], sig[64];
	buf ix = { 0 }, content = { 0 };
	size_t ctx_len = s->context ? strlen(s->context) : 0, nr = 0;
	crypto_sign_state st;

	memset(b, 0, sizeof *b);
	index_of(&ix, s->e, s->n);
	for (int i = 0; i < 3 && s->recipients[i] >= 0; i++)
		nr++;
	le(&ix, (uint64_t)((int)nr + o->list_delta - o->list_skip), 1);
	for (size_t i = (size_t)o->list_skip; i < nr; i++)
		put(&ix, pk[s->recipients[i]], 32);
	le(&ix, o->pass_flag ? (uint64_t)o->pass_flag : s->pass != NULL, 1);
	for (size_t i = 0; i < s->n; i++)
		put(&content, s->e[i].data, s->e[i].size);
	randombytes_buf(fk, sizeof fk);
	crypto_kdf_derive_from_key(hk, 32, 1, "SPKBNDL1", fk);
	crypto_kdf_derive_from_key(key, 32, 2, "SPKBNDL1", fk);
	put(&b->out, SP_MAGIC, 8);
	le(&b->out, 2, 2);
	le(&b->out, 1, 1);
	le(&b->out, 0, 4);
	le(&b->out, NOW - 3600, 8);
	le(&b->out, s->expires, 8);
	le(&b->out, ix.len, 4);
	le(&b->out, ctx_len, 1);
	b->off_ctx = b->out.len;
	put(&b->out, s->context, ctx_len);
	b->off_count = b->out.len;
	stanzas(b, s, fk);
	if (o->signer_type)
		le(&b->out, (uint64_t)o->signer_type, 1);
	else
		le(&b->out, o->signer >= 0 ? 1 : 0, 1);
	if (o->signer >= 0)
		put(&b->out, sign_pk[o->signer], 32);
	b->off_mac = b->out.len;
	b->hdr_len = b->off_mac + 32;
	set_le(b->out.p + 11, b->hdr_len, 4);
	crypto_auth(mac, b->out.p, b->off_mac, hk);
	put(&b->out, mac, 32);
	payload(b, s, key, &ix, &content);
	if (o->signer >= 0 && !o->no_trailer) {
		crypto_sign_init(&st);
		crypto_sign_update(&st, (const unsigned char *)"secretpack v2 signature", 24);
		crypto_sign_update(&st, b->out.p, b->out.len);
		crypto_sign_final_create(&st, sig, NULL, sign_sk[o->signed_by]);
		put(&b->out, sig, 64);
	}
	free(ix.p);
	free(content.p);
}

static char extra_buf[1024];

/* The v2 vector lines: the signer the header names, the keys the opener trusts, the list. */
static void v2_lines(const spec *s, const v2opt *o, int trust, int list)
{
	char hex[65];
	size_t n = 0;

	extra_buf[0] = 0;
	if (o->signer >= 0 && o->signer_type == 0) {
		sodium_bin2hex(hex, sizeof hex, sign_pk[o->signer], 32);
		n += (size_t)snprintf(extra_buf + n, sizeof extra_buf - n, "signer: %s\n", hex);
	} else if (o->signer < 0) {
		n += (size_t)snprintf(extra_buf + n, sizeof extra_buf - n, "signer: none\n");
	}
	if (trust >= 0) {
		sodium_bin2hex(hex, sizeof hex, sign_pk[trust], 32);
		n += (size_t)snprintf(extra_buf + n, sizeof extra_buf - n, "trust: %s\n", hex);
	}
	for (int i = 0; list && i < 3 && s->recipients[i] >= 0; i++) {
		sodium_bin2hex(hex, sizeof hex, pk[s->recipients[i]], 32);
		n += (size_t)snprintf(extra_buf + n, sizeof extra_buf - n, "recipient: %s\n", hex);
	}
	if (list)
		(void)snprintf(extra_buf + n, sizeof extra_buf - n, "passphrase_recipient: %d\n",
		    s->pass != NULL);
	vec_extra = extra_buf;
}

typedef enum { M_NONE, M_FLIP, M_CUT, M_APPEND, M_MOVE } v2mut;

static void emit_v2(const vec *v, const spec *s, const v2opt *o, int trust, v2mut m, long at)
{
	built b, other;
	size_t off;

	build_v2(&b, s, o);
	off = at < 0 ? (size_t)((long)b.out.len + at) : (size_t)at;
	switch (m) {
	case M_FLIP: b.out.p[off] ^= 0x01; break;
	case M_CUT: b.out.len = off; break;
	case M_APPEND: put(&b.out, "\0", 1); break;
	case M_MOVE:
		/* the signature of another bundle by the same signer, on this one */
		build_v2(&other, s, o);
		memcpy(b.out.p + b.out.len - 64, other.out.p + other.out.len - 64, 64);
		free(other.out.p);
		break;
	case M_NONE: break;
	}
	v2_lines(s, o, trust, m == M_NONE && strcmp(v->expect, "success") == 0);
	write_vec(v, s, &b.out);
	vec_extra = NULL;
	free(b.out.p);
}

static void v2_cases(void)
{
	static const ent two[] = {
		{ "db/password", 22, 0400, "", "DB_PASSWORD_FILE", (const unsigned char *)"correct horse battery" },
		{ "tls/ca.pem", 4, 0444, "", "", (const unsigned char *)"cert" },
	};
	const v2opt unsigned_ = { -1, -1, 0, 0, 0, 0, 0 }, signed_ = { SIGNER, SIGNER, 0, 0, 0, 0, 0 };
	v2opt o;
	spec s = { .recipients = TO_ALICE, .e = two, .n = 2 };
	spec many = { .recipients = { ALICE, BOB, -1 }, .pass = "correct horse", .t = 2,
		.m = 19456, .p = 1, .e = one, .n = 1 };

	for (int i = 0; i < 2; i++) {
		unsigned char seed[32];

		sodium_hex2bin(seed, 32, SIGN_SEED_HEX[i], 64, NULL, NULL, NULL);
		crypto_sign_seed_keypair(sign_pk[i], sign_sk[i], seed);
	}
	emit_v2(&(vec){ "v2-ok-unsigned", "version 2, unsigned, no trust required", KEY_ALICE, NULL,
	    NULL, 0, "success", "SP_OK" }, &s, &unsigned_, -1, M_NONE, 0);
	emit_v2(&(vec){ "v2-ok-signed", "signed by the trusted signer", KEY_ALICE, NULL, NULL, 0,
	    "success", "SP_OK" }, &s, &signed_, SIGNER, M_NONE, 0);
	emit_v2(&(vec){ "v2-ok-signed-no-trust", "signed; the opener trusts no one, the signature "
	    "is still verified", KEY_ALICE, NULL, NULL, 0, "success", "SP_OK" }, &s, &signed_, -1,
	    M_NONE, 0);
	emit_v2(&(vec){ "v2-ok-recipient-list", "two keys and a passphrase, opened by the second "
	    "key; the index lists both keys and the passphrase", { BOB, -1, -1 }, NULL, NULL, 0,
	    "success", "SP_OK" }, &many, &signed_, SIGNER, M_NONE, 0);
	emit_v2(&(vec){ "v2-unsigned-with-trust", "unsigned, and the opener requires a signature",
	    KEY_ALICE, NULL, NULL, 0, "trust", "SP_ERR_UNSIGNED" }, &s, &unsigned_, SIGNER, M_NONE, 0);
	o = (v2opt){ STRANGER, STRANGER, 0, 0, 0, 0, 0 };
	emit_v2(&(vec){ "v2-wrong-signer", "validly signed by a key the opener does not trust",
	    KEY_ALICE, NULL, NULL, 0, "trust", "SP_ERR_UNTRUSTED" }, &s, &o, SIGNER, M_NONE, 0);
	o = (v2opt){ SIGNER, STRANGER, 0, 0, 0, 0, 0 };
	emit_v2(&(vec){ "v2-forged-signer", "the header names the trusted signer; a public-key "
	    "holder signed it with another key", KEY_ALICE, NULL, NULL, 0, "signature",
	    "SP_ERR_SIGNATURE" }, &s, &o, SIGNER, M_NONE, 0);
	emit_v2(&(vec){ "v2-signature-moved", "the trusted signer's signature of another bundle "
	    "appended to this one", KEY_ALICE, NULL, NULL, 0, "signature", "SP_ERR_SIGNATURE" }, &s,
	    &signed_, SIGNER, M_MOVE, 0);
	emit_v2(&(vec){ "v2-signature-byte-0", "first signature byte changed", KEY_ALICE, NULL, NULL,
	    0, "signature", "SP_ERR_SIGNATURE" }, &s, &signed_, SIGNER, M_FLIP, -64);
	emit_v2(&(vec){ "v2-signature-byte-31", "last byte of the signature's R changed", KEY_ALICE,
	    NULL, NULL, 0, "signature", "SP_ERR_SIGNATURE" }, &s, &signed_, SIGNER, M_FLIP, -33);
	emit_v2(&(vec){ "v2-signature-byte-63", "last signature byte changed", KEY_ALICE, NULL,
	    NULL, 0, "signature", "SP_ERR_SIGNATURE" }, &s, &signed_, SIGNER, M_FLIP, -1);
	emit_v2(&(vec){ "v2-signed-header-changed", "signed; a header byte (created) changed: the "
	    "header MAC fails first", KEY_ALICE, NULL, NULL, 0, "mac", "SP_ERR_HEADER_MAC" }, &s,
	    &signed_, SIGNER, M_FLIP, 15);
	emit_v2(&(vec){ "v2-signed-signer-changed", "signed; a byte of the signer key in the header "
	    "changed", KEY_ALICE, NULL, NULL, 0, "trust", "SP_ERR_UNTRUSTED" }, &s, &signed_, SIGNER,
	    M_FLIP, 36 + 1 + 83 + 1 + 5);
	emit_v2(&(vec){ "v2-signed-payload-changed", "signed; a byte of the index message changed",
	    KEY_ALICE, NULL, NULL, 0, "payload", "SP_ERR_TAMPERED" }, &s, &signed_, SIGNER, M_FLIP,
	    36 + 1 + 83 + 1 + 32 + 32 + 24 + 3);
	emit_v2(&(vec){ "v2-signed-final-changed", "signed; a byte of the final message changed",
	    KEY_ALICE, NULL, NULL, 0, "payload", "SP_ERR_TAMPERED" }, &s, &signed_, SIGNER, M_FLIP,
	    -64 - 5);
	emit_v2(&(vec){ "v2-trailer-truncated", "signed; the last signature byte missing", KEY_ALICE,
	    NULL, NULL, 0, "truncated", "SP_ERR_TRUNCATED" }, &s, &signed_, SIGNER, M_CUT, -1);
	emit_v2(&(vec){ "v2-trailer-stripped", "the header names a signer; the signature was cut "
	    "off", KEY_ALICE, NULL, NULL, 0, "truncated", "SP_ERR_TRUNCATED" }, &s, &signed_, SIGNER,
	    M_CUT, -64);
	emit_v2(&(vec){ "v2-trailer-extended", "signed; one byte after the signature", KEY_ALICE,
	    NULL, NULL, 0, "trailing", "SP_ERR_TRAILING" }, &s, &signed_, SIGNER, M_APPEND, 0);
	o = (v2opt){ SIGNER, SIGNER, 1, 0, 0, 0, 0 };
	emit_v2(&(vec){ "v2-no-trailer", "the header names a signer; nothing after the final "
	    "message", KEY_ALICE, NULL, NULL, 0, "truncated", "SP_ERR_TRUNCATED" }, &s, &o, SIGNER,
	    M_NONE, 0);
	o = (v2opt){ -1, -1, 0, 2, 0, 0, 0 };
	emit_v2(&(vec){ "v2-signer-type-2", "unknown signer type 2", KEY_ALICE, NULL, NULL, 0,
	    "header", "SP_ERR_HEADER" }, &s, &o, -1, M_NONE, 0);
	o = (v2opt){ -1, -1, 0, 0, 1, 0, 0 };
	emit_v2(&(vec){ "v2-recipient-count", "the index lists one more recipient than the header "
	    "has stanzas", KEY_ALICE, NULL, NULL, 0, "index", "SP_ERR_PAYLOAD" }, &s, &o, -1, M_NONE, 0);
	o = (v2opt){ -1, -1, 0, 0, 1, 1, 0 };
	emit_v2(&(vec){ "v2-recipient-not-listed", "the index lists a count matching the stanzas "
	    "but leaves out the key that opened it", KEY_ALICE, NULL, NULL, 0, "index",
	    "SP_ERR_PAYLOAD" }, &many, &o, -1, M_NONE, 0);
	o = (v2opt){ -1, -1, 0, 0, 0, 0, 2 };
	emit_v2(&(vec){ "v2-passphrase-flag", "passphrase flag 2 in the recipient list", KEY_ALICE,
	    NULL, NULL, 0, "index", "SP_ERR_PAYLOAD" }, &s, &o, -1, M_NONE, 0);
}

/* The opener's floor on created, and keys of the wrong kind. They run last, the bundle from a
 * randomness stream of its own, so adding them changes no other vector. */
static void v2_policy_cases(void)
{
	static const ent e1[] = { { "db/password", 22, 0400, "", "DB_PASSWORD_FILE",
		(const unsigned char *)"correct horse battery" } };
	const v2opt signed_ = { SIGNER, SIGNER, 0, 0, 0, 0, 0 };
	spec s = { .recipients = TO_ALICE, .e = e1, .n = 1 };
	char t[128], floor_line[64];
	built b;

	/* created is NOW - 3600 in every version 2 vector */
	rng_counter = 0x4e4f544245464f52ull; /* a stream of its own: "NOTBEFOR" */
	build_v2(&b, &s, &signed_);
	v2_lines(&s, &signed_, SIGNER, 0);
	snprintf(floor_line, sizeof floor_line, "not_before: %llu\n", (unsigned long long)(NOW - 3599));
	strncat(extra_buf, floor_line, sizeof extra_buf - strlen(extra_buf) - 1);
	write_vec(&(vec){ "v2-created-before-not-before", "signed, created one second before the "
	    "opener's not-before floor", KEY_ALICE, NULL, NULL, 0, "not-before", "SP_ERR_NOT_BEFORE" },
	    &s, &b.out);
	v2_lines(&s, &signed_, SIGNER, 1);
	snprintf(floor_line, sizeof floor_line, "not_before: %llu\n", (unsigned long long)(NOW - 3600));
	strncat(extra_buf, floor_line, sizeof extra_buf - strlen(extra_buf) - 1);
	write_vec(&(vec){ "v2-created-at-not-before", "signed, created exactly at the opener's "
	    "not-before floor", KEY_ALICE, NULL, NULL, 0, "success", "SP_OK" }, &s, &b.out);
	vec_extra = NULL;
	free(b.out.p);
	keytext(t, "spksig1", "secretpack signer", sign_pk[SIGNER], 32, 0);
	key_vec("key-signer-as-recipient", "a signer key (spksig1) where a recipient is expected",
	    "recipient", t, NULL, NULL, "SP_ERR_KEY_KIND");
	keytext(t, "SPKSIGSEC1", "secretpack signing identity", sign_sk[SIGNER], 32, 1);
	key_vec("key-signing-identity-as-identity", "a signing identity (SPKSIGSEC1) where an X25519 "
	    "identity is expected", "identity", t, NULL, NULL, "SP_ERR_KEY_KIND");
}

int main(int argc, char **argv)
{
	if (argc > 1)
		dir = argv[1];
	if (randombytes_set_implementation(&rng) != 0 || sodium_init() < 0)
		return 1;
	for (int i = 0; i < 3; i++) {
		sodium_hex2bin(sk[i], 32, SK_HEX[i], 64, NULL, NULL, NULL);
		crypto_scalarmult_base(pk[i], sk[i]);
	}
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 8));
	for (size_t i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)i;
	positives();
	header_cases();
	stanza_cases();
	unlock_mac_cases();
	check_cases();
	payload_cases();
	index_cases();
	/* The spec's cases draw from a stream of their own; the version 2 cases go on from the
	 * main stream, so neither set's bytes depend on the other. */
	{
		uint64_t main_stream = rng_counter;
		spec_cases();
		rng_counter = main_stream;
	}
	v2_cases();
	v2_policy_cases();
	printf("%d vectors written to %s\n", written, dir);
	return 0;
}
