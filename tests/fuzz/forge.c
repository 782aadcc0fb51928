/* forge.c - test keys, memory reader, entry oracle and bundle forger shared by the fuzz harnesses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "forge.h"
#include "sp_err.h"

#define F_ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define F_TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define F_TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define F_STANZA_BYTES 80

const unsigned char forge_sk[2][32] = {
	{ 0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66,
	  0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9,
	  0x2c, 0x2a },
	{ 0x5d, 0xeb, 0x8e, 0xb3, 0xe6, 0x8b, 0xfa, 0xd1, 0xda, 0xfa, 0x84, 0xad, 0xc3, 0x3e, 0x2d,
	  0x7e, 0xa8, 0xa9, 0xa7, 0xc9, 0x78, 0xe7, 0xf4, 0xc2, 0xb5, 0x9e, 0xc4, 0xc5, 0x31, 0x88,
	  0x4d, 0x88 },
};

/* The forged bundles share one file key and one stanza: sealing a stanza per input would cost
 * more than the parsing under test. Test data only. */
static struct {
	int ready;
	unsigned char file_key[32], header_key[32], payload_key[32];
	unsigned char stanza[F_STANZA_BYTES];
} forge_keys;

void forge_abort(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
	abort();
}

int forge_init(void)
{
	unsigned char pk[32];

	if (forge_keys.ready)
		return 0;
	if (sodium_init() < 0)
		return -1;
	memset(forge_keys.file_key, 0x42, sizeof forge_keys.file_key);
	crypto_kdf_derive_from_key(forge_keys.header_key, 32, 1, "SPKBNDL1", forge_keys.file_key);
	crypto_kdf_derive_from_key(forge_keys.payload_key, 32, 2, "SPKBNDL1", forge_keys.file_key);
	if (crypto_scalarmult_base(pk, forge_sk[0]) != 0 ||
	    crypto_box_seal(forge_keys.stanza, forge_keys.file_key, 32, pk) != 0)
		return -1;
	forge_keys.ready = 1;
	return 0;
}

int forge_read(void *ctx, unsigned char *buf, size_t len, size_t *got)
{
	forge_src *s = ctx;
	size_t n = s->len - s->off < len ? s->len - s->off : len;

	if (n > 0)
		memcpy(buf, s->p + s->off, n);
	s->off += n;
	*got = n;
	return SP_OK;
}

/* ---- the oracle: doc/FORMAT.md's entry rules, written out again ---- */

static int oracle_component(const char *p, size_t n)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@+=-";

	if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\0' || strchr(ok, p[i]) == NULL)
			return 0;
	return 1;
}

static int oracle_name(const char *name)
{
	size_t len = strnlen(name, SP_NAME_MAX + 1), start = 0, depth = 0;

	if (len == 0 || len > SP_NAME_MAX || strncmp(name, ".secretpack", 11) == 0)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '/')
			continue;
		if (!oracle_component(name + start, i - start) || ++depth > SP_NAME_DEPTH_MAX)
			return 0;
		start = i + 1;
	}
	return 1;
}

static int oracle_id_part(const char *p, size_t n)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	unsigned long long v = 0;
	int digits = 1;

	if (n == 0 || p[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\0' || strchr(ok, p[i]) == NULL)
			return 0;
		if (p[i] < '0' || p[i] > '9')
			digits = 0;
	}
	for (size_t i = 0; digits && i < n; i++)
		if ((v = v * 10 + (unsigned)(p[i] - '0')) >= 4294967295ull)
			return 0;
	return 1;
}

static int oracle_owner(const char *o)
{
	const char *colon = strchr(o, ':');
	size_t len = strnlen(o, SP_OWNER_MAX + 1);

	if (len == 0)
		return 1;
	if (len > SP_OWNER_MAX)
		return 0;
	if (colon == NULL)
		return oracle_id_part(o, len);
	return oracle_id_part(o, (size_t)(colon - o)) && oracle_id_part(colon + 1, strlen(colon + 1));
}

/* A sample of the refused variables: enough to catch a deny list that stopped working. */
static int oracle_env(const char *env)
{
	static const char *const exact[] = { "PATH", "HOME", "IFS", "ENV", "BASH_ENV", "SHELL" };
	size_t len = strnlen(env, SP_ENV_MAX + 1);

	if (len == 0)
		return 1;
	if (len > SP_ENV_MAX || (env[0] >= '0' && env[0] <= '9'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(env[i] == '_' || (env[i] >= 'A' && env[i] <= 'Z') ||
		    (env[i] >= 'a' && env[i] <= 'z') || (env[i] >= '0' && env[i] <= '9')))
			return 0;
	if (strncasecmp(env, "LD_", 3) == 0 || strncasecmp(env, "SECRETPACK_", 11) == 0)
		return 0;
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strcasecmp(env, exact[i]) == 0)
			return 0;
	return 1;
}

static int oracle_clash(const sp_entry *a, const sp_entry *b)
{
	size_t la = strlen(a->name), lb = strlen(b->name);

	if (la <= lb && memcmp(a->name, b->name, la) == 0 && (la == lb || b->name[la] == '/'))
		return 1;
	if (lb < la && memcmp(a->name, b->name, lb) == 0 && a->name[lb] == '/')
		return 1;
	return a->env[0] != '\0' && strcmp(a->env, b->env) == 0;
}

int forge_entries_sane(const sp_entry *e, size_t n)
{
	uint64_t total = 0;

	if (n == 0 || n > SP_ENTRIES_MAX || e == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (memchr(e[i].name, 0, sizeof e[i].name) == NULL ||
		    memchr(e[i].owner, 0, sizeof e[i].owner) == NULL ||
		    memchr(e[i].env, 0, sizeof e[i].env) == NULL)
			return 0;
		if (!oracle_name(e[i].name) || !oracle_owner(e[i].owner) || !oracle_env(e[i].env))
			return 0;
		if (e[i].mode > 0777 || !(e[i].mode & 0400) || e[i].size > SP_ENTRY_SIZE_MAX)
			return 0;
		if ((total += e[i].size) > SP_TOTAL_SIZE_MAX)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (oracle_clash(&e[j], &e[i]))
				return 0;
	}
	return 1;
}

/* ---- the sink ---- */

int forge_sink(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	forge_sink_state *s = ctx;

	FZ_CHECK(idx == s->cur && idx < s->n);
	if (buf == NULL) {
		FZ_CHECK(len == 0);
		FZ_CHECK(s->got == s->e[idx].size);
		s->cur++;
		s->got = 0;
		return SP_OK;
	}
	FZ_CHECK(len > 0 && len <= s->e[idx].size - s->got);
	s->got += len;
	return SP_OK;
}

int forge_sink_complete(const forge_sink_state *s)
{
	return s->cur == s->n && s->got == 0;
}

/* ---- the forger ---- */

typedef struct {
	unsigned char *p;
	size_t len, cap;
	int err;
} forge_buf;

static void fb_put(forge_buf *b, const void *src, size_t n)
{
	unsigned char *grown;

	if (b->err)
		return;
	if (n > b->cap - b->len) {
		b->cap = (b->len + n) * 2 + 256;
		if ((grown = realloc(b->p, b->cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = grown;
	}
	if (n > 0)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void fb_le(forge_buf *b, uint64_t v, size_t n)
{
	unsigned char t[8];

	for (size_t i = 0; i < n; i++)
		t[i] = (unsigned char)(v >> (8 * i));
	fb_put(b, t, n);
}

static void fb_push(forge_buf *b, crypto_secretstream_xchacha20poly1305_state *st,
    const unsigned char *m, size_t len, const unsigned char *mac, unsigned char tag)
{
	unsigned char *c;

	if (b->err || (c = malloc(len + F_ABYTES)) == NULL) {
		b->err = 1;
		return;
	}
	crypto_secretstream_xchacha20poly1305_push(st, c, NULL, m, len, mac, 32, tag);
	fb_put(b, c, len + F_ABYTES);
	free(c);
}

static void forge_header(forge_buf *b, const forge_spec *s, unsigned char mac[32])
{
	size_t hdr_len = SP_MAGIC_BYTES + 2 + 1 + 4 + 8 + 8 + 4 + 1 + 1 + 3 + F_STANZA_BYTES + 32;

	fb_put(b, SP_MAGIC, SP_MAGIC_BYTES);
	fb_le(b, SP_VERSION_V1, 2); /* a version 1 encoder */
	fb_le(b, SP_SUITE_V1, 1);
	fb_le(b, hdr_len, 4);
	fb_le(b, FORGE_NOW - 3600, 8);
	fb_le(b, 0, 8);
	fb_le(b, (uint64_t)((int64_t)s->index_len + s->index_len_delta), 4);
	fb_le(b, 0, 1); /* no context */
	fb_le(b, 1, 1);
	fb_le(b, SP_STANZA_X25519, 1);
	fb_le(b, F_STANZA_BYTES, 2);
	fb_put(b, forge_keys.stanza, F_STANZA_BYTES);
	if (b->err)
		return;
	crypto_auth(mac, b->p, b->len, forge_keys.header_key);
	fb_put(b, mac, 32);
}

int forge_bundle(unsigned char **out, size_t *outlen, const forge_spec *s)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char mac[32], sh[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	unsigned char tag = s->flags & FORGE_CHUNK_FINAL ? F_TAG_FINAL : F_TAG_MESSAGE;
	size_t chunk = s->chunk ? s->chunk : SP_CHUNK_BYTES;
	forge_buf b = { NULL, 0, 0, 0 };

	*out = NULL;
	*outlen = 0;
	if (!forge_keys.ready)
		return -1;
	forge_header(&b, s, mac);
	crypto_secretstream_xchacha20poly1305_init_push(&st, sh, forge_keys.payload_key);
	fb_put(&b, sh, sizeof sh);
	fb_push(&b, &st, s->index, s->index_len, mac,
	    s->flags & FORGE_INDEX_FINAL ? F_TAG_FINAL : F_TAG_MESSAGE);
	for (size_t off = 0; off < s->content_len; off += chunk) {
		size_t n = s->content_len - off < chunk ? s->content_len - off : chunk;

		fb_push(&b, &st, s->content + off, n, mac, tag);
	}
	if (s->flags & FORGE_EXTRA_MESSAGE)
		fb_push(&b, &st, NULL, 0, mac, F_TAG_MESSAGE);
	fb_push(&b, &st, NULL, 0, mac, s->flags & FORGE_NO_FINAL ? F_TAG_MESSAGE : F_TAG_FINAL);
	if (s->flags & FORGE_TRAILING)
		fb_le(&b, 0, 1);
	if (b.err) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	*outlen = b.len;
	return 0;
}
