/* sp_bundle.c - the bundle format (doc/FORMAT.md): entry validation, streaming seal and open. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_bundle.h"
#include "sp_crypto.h"
#include "sp_err.h"
#include "sp_kdf.h"
#include "sp_secmem.h"

#define PREFIX_BYTES 15 /* magic, version, suite, header length */
#define FIXED_BYTES 36  /* ... then created, expires, index length, context length */
#define STANZA_HEAD_BYTES 3
#define X25519_BODY_BYTES SP_WRAP_X25519_BYTES
#define ARGON2_BODY_BYTES (SP_KDF_SALT_BYTES + 12 + SP_SECRETBOX_NONCE_BYTES + SP_KEY_BYTES + \
    SP_SECRETBOX_MAC_BYTES)
#define HEADER_MIN (FIXED_BYTES + 1 + STANZA_HEAD_BYTES + X25519_BODY_BYTES + SP_MAC_BYTES)
#define HEADER_MIN_V2 (HEADER_MIN + 1) /* plus the signer type */
#define SIGN_DOMAIN_BYTES (sizeof SP_SIGN_DOMAIN) /* with its NUL */
#define INDEX_MIN 4
#define ENTRY_MIN_BYTES 16 /* name length, size, mode, owner length, env length */
#define KEY_ID_HEADER 1
#define KEY_ID_PAYLOAD 2
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define STREAM_HEADER_BYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL

typedef crypto_secretstream_xchacha20poly1305_state stream_state;
typedef crypto_sign_state sign_state;

/* ---- little-endian fields ---- */

typedef struct {
	unsigned char *p;
	size_t len, cap;
	int err;
} wbuf;

typedef struct {
	const unsigned char *p;
	size_t len, off;
} rbuf;

static void put_le(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

static void w_bytes(wbuf *b, const void *src, size_t n)
{
	if (b->err)
		return;
	if (n > b->cap - b->len) {
		b->err = SP_ERR_LIMIT;
		return;
	}
	if (n > 0)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void w_uint(wbuf *b, uint64_t v, size_t n)
{
	unsigned char t[8];

	put_le(t, v, n);
	w_bytes(b, t, n);
}

static void w_u8(wbuf *b, uint8_t v) { w_uint(b, v, 1); }
static void w_u16(wbuf *b, uint16_t v) { w_uint(b, v, 2); }
static void w_u32(wbuf *b, uint32_t v) { w_uint(b, v, 4); }
static void w_u64(wbuf *b, uint64_t v) { w_uint(b, v, 8); }

static int r_bytes(rbuf *b, const unsigned char **out, size_t n)
{
	if (n > b->len - b->off)
		return -1;
	*out = b->p + b->off;
	b->off += n;
	return 0;
}

static int r_uint(rbuf *b, uint64_t *v, size_t n)
{
	const unsigned char *p;

	if (r_bytes(b, &p, n) != 0)
		return -1;
	*v = get_le(p, n);
	return 0;
}

static int r_u8(rbuf *b, uint8_t *v)
{
	uint64_t x;

	if (r_uint(b, &x, 1) != 0)
		return -1;
	*v = (uint8_t)x;
	return 0;
}

static int r_u16(rbuf *b, uint16_t *v)
{
	uint64_t x;

	if (r_uint(b, &x, 2) != 0)
		return -1;
	*v = (uint16_t)x;
	return 0;
}

static int r_u32(rbuf *b, uint32_t *v)
{
	uint64_t x;

	if (r_uint(b, &x, 4) != 0)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int r_u64(rbuf *b, uint64_t *v)
{
	return r_uint(b, v, 8);
}

/* Keys, stream states and chunks: from the locked arena (64-byte aligned), freed by
 * sp_secmem_free. */
static void *secure_alloc(size_t n)
{
	return sp_secmem_alloc(n);
}

/* ---- validation ---- */

static int is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int name_char(unsigned char c)
{
	return is_alnum(c) || (c != 0 && strchr("._@+=-", c) != NULL);
}

static int name_component_ok(const char *p, size_t len)
{
	if (len == 0)
		return 0;
	if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!name_char((unsigned char)p[i]))
			return 0;
	return 1;
}

int sp_name_check(const char *name)
{
	size_t len, depth = 0;
	const char *p, *slash;

	if (name == NULL)
		return SP_ERR_NAME;
	len = strnlen(name, SP_NAME_MAX + 1);
	if (len == 0 || len > SP_NAME_MAX)
		return SP_ERR_NAME;
	if (strncmp(name, SP_RESERVED_PREFIX, strlen(SP_RESERVED_PREFIX)) == 0)
		return SP_ERR_NAME;
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		if (!name_component_ok(p, slash ? (size_t)(slash - p) : strlen(p)))
			return SP_ERR_NAME;
		if (++depth > SP_NAME_DEPTH_MAX)
			return SP_ERR_NAME;
		if (slash == NULL)
			return SP_OK;
	}
}

/* Variables that change how a loader, libc, shell or interpreter behaves: a secret must not
 * land in one of them. Compared without regard to case. */
static const char *const env_deny_prefix[] = {
	"SECRETPACK_", "LD_", "DYLD_", "MALLOC_", "GLIBC_", "BASH_FUNC_", "PYTHON", "LUA_INIT",
	"LUA_PATH", "LUA_CPATH",
};

static const char *const env_deny_exact[] = {
	"PATH", "HOME", "SHELL", "USER", "LOGNAME", "IFS", "ENV", "BASH_ENV", "CDPATH", "PS4",
	"PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "GLOBIGNORE", "TMPDIR", "TZDIR", "LOCPATH",
	"NLSPATH", "GCONV_PATH", "GETCONF_DIR", "HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS",
	"RESOLV_HOST_CONF", "NIS_PATH", "NODE_OPTIONS", "NODE_PATH", "PERL5LIB", "PERL5OPT",
	"PERLLIB", "PERL5DB", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
	"JDK_JAVA_OPTIONS", "CLASSPATH", "PHPRC", "PHP_INI_SCAN_DIR", "OPENSSL_CONF",
	"OPENSSL_ENGINES",
};

static int upper_eq(const char *a, const char *upper, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (c != (unsigned char)upper[i])
			return 0;
	}
	return 1;
}

static int env_denied(const char *env, size_t len)
{
	for (size_t i = 0; i < sizeof env_deny_prefix / sizeof env_deny_prefix[0]; i++) {
		size_t n = strlen(env_deny_prefix[i]);

		if (len >= n && upper_eq(env, env_deny_prefix[i], n))
			return 1;
	}
	for (size_t i = 0; i < sizeof env_deny_exact / sizeof env_deny_exact[0]; i++)
		if (strlen(env_deny_exact[i]) == len && upper_eq(env, env_deny_exact[i], len))
			return 1;
	return 0;
}

int sp_env_check(const char *env)
{
	size_t len;

	if (env == NULL)
		return SP_ERR_META;
	len = strnlen(env, SP_ENV_MAX + 1);
	if (len == 0)
		return SP_OK;
	if (len > SP_ENV_MAX)
		return SP_ERR_META;
	if (!(env[0] == '_' || (is_alnum((unsigned char)env[0]) && !(env[0] >= '0' && env[0] <= '9'))))
		return SP_ERR_META;
	for (size_t i = 1; i < len; i++)
		if (!(env[i] == '_' || is_alnum((unsigned char)env[i])))
			return SP_ERR_META;
	return env_denied(env, len) ? SP_ERR_META : SP_OK;
}

/* One side of "user:group": a name or a numeric id that fits below (uid_t)-1. */
static int owner_part_ok(const char *p, size_t len)
{
	int digits = 1;
	uint64_t v = 0;

	if (len == 0 || p[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!(is_alnum(c) || c == '.' || c == '_' || c == '-'))
			return 0;
		if (c < '0' || c > '9')
			digits = 0;
	}
	for (size_t i = 0; digits && i < len; i++) {
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v >= UINT32_MAX)
			return 0; /* would wrap, or be the "no change" id -1 */
	}
	return 1;
}

int sp_owner_check(const char *owner)
{
	size_t len;
	const char *colon;

	if (owner == NULL)
		return SP_ERR_META;
	len = strnlen(owner, SP_OWNER_MAX + 1);
	if (len == 0)
		return SP_OK;
	if (len > SP_OWNER_MAX)
		return SP_ERR_META;
	colon = strchr(owner, ':');
	if (colon == NULL)
		return owner_part_ok(owner, len) ? SP_OK : SP_ERR_META;
	if (!owner_part_ok(owner, (size_t)(colon - owner)) ||
	    !owner_part_ok(colon + 1, strlen(colon + 1)))
		return SP_ERR_META;
	return SP_OK;
}

int sp_mode_check(uint32_t mode)
{
	if (mode > 0777 || !(mode & 0400))
		return SP_ERR_META;
	return SP_OK;
}

int sp_context_check(const char *ctx)
{
	size_t len;

	if (ctx == NULL)
		return SP_OK;
	len = strnlen(ctx, SP_CONTEXT_MAX + 1);
	if (len > SP_CONTEXT_MAX)
		return SP_ERR_LIMIT;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)ctx[i] < 0x20 || (unsigned char)ctx[i] > 0x7e)
			return SP_ERR_ARG;
	return SP_OK;
}

static int entry_check(const sp_entry *e)
{
	int err;

	if (memchr(e->name, 0, sizeof e->name) == NULL)
		return SP_ERR_NAME;
	if (memchr(e->owner, 0, sizeof e->owner) == NULL || memchr(e->env, 0, sizeof e->env) == NULL)
		return SP_ERR_META;
	if ((err = sp_name_check(e->name)) != SP_OK)
		return err;
	if ((err = sp_mode_check(e->mode)) != SP_OK)
		return err;
	if ((err = sp_owner_check(e->owner)) != SP_OK)
		return err;
	if ((err = sp_env_check(e->env)) != SP_OK)
		return err;
	return e->size > SP_ENTRY_SIZE_MAX ? SP_ERR_LIMIT : SP_OK;
}

/* a equals b, or is a directory of b ("a" and "a/b"). */
static int name_covers(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

static int entries_clash(const sp_entry *a, const sp_entry *b)
{
	if (name_covers(a->name, b->name) || name_covers(b->name, a->name))
		return 1;
	return a->env[0] != '\0' && strcmp(a->env, b->env) == 0;
}

int sp_entries_check(const sp_entry *e, size_t n)
{
	uint64_t total = 0;
	int err;

	if (n > 0 && e == NULL)
		return SP_ERR_ARG;
	if (n > SP_ENTRIES_MAX)
		return SP_ERR_LIMIT;
	for (size_t i = 0; i < n; i++) {
		if ((err = entry_check(&e[i])) != SP_OK)
			return err;
		total += e[i].size;
		if (total > SP_TOTAL_SIZE_MAX)
			return SP_ERR_LIMIT;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (entries_clash(&e[i], &e[j]))
				return SP_ERR_DUPLICATE;
	return SP_OK;
}

/* ---- the index record ---- */

static size_t unique_recipients(const sp_seal_params *p);

/* Version 2: the entries, then the recipient list (count, public keys, passphrase flag). */
static size_t index_size(const sp_seal_params *p)
{
	size_t len = 4;

	for (size_t i = 0; i < p->n_entries; i++)
		len += ENTRY_MIN_BYTES + strlen(p->entries[i].name) + strlen(p->entries[i].owner) +
		    strlen(p->entries[i].env);
	return len + 2 + unique_recipients(p) * SP_KEY_BYTES;
}

/* 1 if pk i is the first occurrence of its key. */
static int first_of(const sp_seal_params *p, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (sodium_memcmp(p->x25519[i], p->x25519[j], SP_KEY_BYTES) == 0)
			return 0;
	return 1;
}

/* Entries already validated, so every length fits its field. */
static int index_encode(unsigned char *out, size_t cap, const sp_seal_params *p)
{
	wbuf b = { out, 0, cap, SP_OK };
	const sp_entry *e = p->entries;
	size_t n = p->n_entries;

	w_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(e[i].name), ol = strlen(e[i].owner), el = strlen(e[i].env);

		w_u16(&b, (uint16_t)nl);
		w_bytes(&b, e[i].name, nl);
		w_u64(&b, e[i].size);
		w_u32(&b, e[i].mode);
		w_u8(&b, (uint8_t)ol);
		w_bytes(&b, e[i].owner, ol);
		w_u8(&b, (uint8_t)el);
		w_bytes(&b, e[i].env, el);
	}
	w_u8(&b, (uint8_t)unique_recipients(p));
	for (size_t i = 0; i < p->n_x25519; i++)
		if (first_of(p, i))
			w_bytes(&b, p->x25519[i], SP_KEY_BYTES);
	w_u8(&b, p->passphrase != NULL);
	if (b.err == SP_OK && b.len != cap)
		return SP_ERR_ARG;
	return b.err;
}

/* A string field: length already read; too long or holding NUL is bad content (toolong),
 * running past the record is malformed (SP_ERR_PAYLOAD). */
static int index_string(rbuf *b, size_t len, char *dst, size_t cap, int toolong)
{
	const unsigned char *p;

	if (len >= cap)
		return toolong;
	if (r_bytes(b, &p, len) != 0)
		return SP_ERR_PAYLOAD;
	if (memchr(p, 0, len) != NULL)
		return toolong;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return SP_OK;
}

static int index_entry(rbuf *b, sp_entry *e)
{
	uint16_t nl;
	uint8_t ol, el;
	int err;

	if (r_u16(b, &nl) != 0)
		return SP_ERR_PAYLOAD;
	if ((err = index_string(b, nl, e->name, sizeof e->name, SP_ERR_NAME)) != SP_OK)
		return err;
	if (r_u64(b, &e->size) != 0 || r_u32(b, &e->mode) != 0 || r_u8(b, &ol) != 0)
		return SP_ERR_PAYLOAD;
	if ((err = index_string(b, ol, e->owner, sizeof e->owner, SP_ERR_META)) != SP_OK)
		return err;
	if (r_u8(b, &el) != 0)
		return SP_ERR_PAYLOAD;
	return index_string(b, el, e->env, sizeof e->env, SP_ERR_META);
}

/* The v2 recipient list, checked against the header's stanza counts. */
typedef struct {
	unsigned char pk[SP_STANZAS_MAX][SP_KEY_BYTES];
	size_t n;
	int passphrase;
} rlist;

static int index_recipients(rbuf *b, const sp_bundle_info *info, rlist *rl)
{
	const unsigned char *pk;
	uint8_t n, pass;

	if (r_u8(b, &n) != 0)
		return SP_ERR_PAYLOAD;
	if (n > SP_STANZAS_MAX)
		return SP_ERR_LIMIT;
	if (n != info->n_x25519)
		return SP_ERR_PAYLOAD;
	for (size_t i = 0; i < n; i++) {
		if (r_bytes(b, &pk, SP_KEY_BYTES) != 0)
			return SP_ERR_PAYLOAD;
		for (size_t j = 0; j < i; j++)
			if (memcmp(rl->pk[j], pk, SP_KEY_BYTES) == 0)
				return SP_ERR_PAYLOAD;
		memcpy(rl->pk[i], pk, SP_KEY_BYTES);
	}
	if (r_u8(b, &pass) != 0 || pass != info->n_passphrase)
		return SP_ERR_PAYLOAD;
	rl->n = n;
	rl->passphrase = pass;
	return SP_OK;
}

/* rl is NULL for version 1 (no recipient list). */
static int index_decode(const unsigned char *p, size_t len, const sp_bundle_info *info,
    rlist *rl, sp_entry **out, size_t *n_out)
{
	rbuf b = { p, len, 0 };
	sp_entry *e = NULL;
	uint32_t n;
	int err = SP_OK;

	if (r_u32(&b, &n) != 0 || n == 0)
		return SP_ERR_PAYLOAD;
	if (n > SP_ENTRIES_MAX)
		return SP_ERR_LIMIT;
	if ((uint64_t)n * ENTRY_MIN_BYTES > len - b.off)
		return SP_ERR_PAYLOAD;
	if ((e = calloc(n, sizeof *e)) == NULL)
		return SP_ERR_NOMEM;
	for (uint32_t i = 0; i < n && err == SP_OK; i++)
		err = index_entry(&b, &e[i]);
	if (err == SP_OK && rl != NULL)
		err = index_recipients(&b, info, rl);
	if (err == SP_OK && b.off != len)
		err = SP_ERR_PAYLOAD;
	if (err == SP_OK)
		err = sp_entries_check(e, n);
	if (err != SP_OK) {
		sodium_memzero(e, (size_t)n * sizeof *e);
		free(e);
		return err;
	}
	*out = e;
	*n_out = n;
	return SP_OK;
}

/* ---- sealing ---- */

struct sp_sealer {
	stream_state st;
	sign_state sign;
	unsigned char sign_sk[SP_SIGN_SECRET_BYTES];
	int signing;
	unsigned char chunk[SP_CHUNK_BYTES];
	unsigned char mac[SP_MAC_BYTES];
	unsigned char *ct; /* ciphertext of one message; not secret */
	size_t fill;
	uint64_t total, written;
	sp_write_fn w;
	void *wctx;
	int err; /* sticky: a failed sealer stays failed */
	int finished;
};

typedef struct {
	unsigned char file_key[SP_KEY_BYTES];
	unsigned char header_key[SP_KEY_BYTES];
	unsigned char payload_key[SP_KEY_BYTES];
	unsigned char kek[SP_KDF_KEY_BYTES];
} key_set;

static int derive_keys(key_set *k)
{
	int err;

	if ((err = sp_subkey(k->header_key, KEY_ID_HEADER, SP_SUBKEY_CONTEXT, k->file_key)) != SP_OK)
		return err;
	return sp_subkey(k->payload_key, KEY_ID_PAYLOAD, SP_SUBKEY_CONTEXT, k->file_key);
}

static size_t unique_recipients(const sp_seal_params *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_x25519; i++)
		n += (size_t)first_of(p, i);
	return n;
}

/* Every byte of the bundle before the signature goes out here, so the signature covers it. */
static int out_bytes(sp_sealer *s, const unsigned char *buf, size_t len)
{
	if (s->signing)
		crypto_sign_update(&s->sign, buf, len);
	return s->w(s->wctx, buf, len);
}

static int seal_check(const sp_seal_params *p)
{
	size_t stanzas;
	int err;

	if (p->n_entries == 0 || p->entries == NULL || (p->n_x25519 > 0 && p->x25519 == NULL))
		return SP_ERR_ARG;
	if (p->passphrase == NULL && p->passphrase_len > 0)
		return SP_ERR_ARG;
	/* A passphrase no reader could type or read back is refused here, not discovered at open. */
	if (p->passphrase != NULL && (err = sp_passphrase_check(p->passphrase, p->passphrase_len)) != SP_OK)
		return err;
	if (p->expires != 0 && p->expires <= p->created)
		return SP_ERR_ARG;
	if ((err = sp_context_check(p->context)) != SP_OK)
		return err;
	if ((err = sp_entries_check(p->entries, p->n_entries)) != SP_OK)
		return err;
	if (p->passphrase != NULL && (err = sp_kdf_check(&p->kdf)) != SP_OK)
		return err;
	stanzas = unique_recipients(p) + (p->passphrase != NULL);
	if (stanzas == 0)
		return SP_ERR_ARG;
	if (stanzas > SP_STANZAS_MAX)
		return SP_ERR_LIMIT;
	return index_size(p) > SP_INDEX_MAX ? SP_ERR_LIMIT : SP_OK;
}

static int write_x25519_stanzas(wbuf *b, const sp_seal_params *p, const key_set *k)
{
	unsigned char body[X25519_BODY_BYTES];
	int err;

	for (size_t i = 0; i < p->n_x25519; i++) {
		size_t j = 0;

		while (j < i && sodium_memcmp(p->x25519[i], p->x25519[j], SP_KEY_BYTES) != 0)
			j++;
		if (j < i)
			continue;
		if ((err = sp_wrap_x25519(body, k->file_key, p->x25519[i])) != SP_OK)
			return err;
		w_u8(b, SP_STANZA_X25519);
		w_u16(b, X25519_BODY_BYTES);
		w_bytes(b, body, sizeof body);
	}
	return SP_OK;
}

static int write_argon2_stanza(wbuf *b, const sp_seal_params *p, key_set *k)
{
	unsigned char salt[SP_KDF_SALT_BYTES], nonce[SP_SECRETBOX_NONCE_BYTES];
	unsigned char box[SP_KEY_BYTES + SP_SECRETBOX_MAC_BYTES];
	int err;

	sp_random(salt, sizeof salt);
	sp_random(nonce, sizeof nonce);
	err = sp_kdf_derive(k->kek, p->passphrase, p->passphrase_len, salt, &p->kdf);
	if (err == SP_OK)
		err = sp_secretbox_seal(box, k->file_key, SP_KEY_BYTES, nonce, k->kek);
	sodium_memzero(k->kek, sizeof k->kek);
	if (err != SP_OK)
		return err;
	w_u8(b, SP_STANZA_ARGON2ID);
	w_u16(b, ARGON2_BODY_BYTES);
	w_bytes(b, salt, sizeof salt);
	w_u32(b, p->kdf.t_cost);
	w_u32(b, p->kdf.m_cost_kib);
	w_u32(b, p->kdf.parallelism);
	w_bytes(b, nonce, sizeof nonce);
	w_bytes(b, box, sizeof box);
	return SP_OK;
}

static int write_header(sp_sealer *s, const sp_seal_params *p, key_set *k, size_t index_len)
{
	unsigned char hdr[SP_HEADER_MAX];
	wbuf b = { hdr, 0, sizeof hdr, SP_OK };
	size_t ctx_len = p->context ? strlen(p->context) : 0;
	size_t stanzas = unique_recipients(p) + (p->passphrase != NULL);
	int err;

	w_bytes(&b, SP_MAGIC, SP_MAGIC_BYTES);
	w_u16(&b, SP_VERSION);
	w_u8(&b, SP_SUITE_V1);
	w_u32(&b, 0); /* header length, filled in below */
	w_u64(&b, p->created);
	w_u64(&b, p->expires);
	w_u32(&b, (uint32_t)index_len);
	w_u8(&b, (uint8_t)ctx_len);
	w_bytes(&b, p->context, ctx_len);
	w_u8(&b, (uint8_t)stanzas);
	if ((err = write_x25519_stanzas(&b, p, k)) != SP_OK)
		return err;
	if (p->passphrase != NULL && (err = write_argon2_stanza(&b, p, k)) != SP_OK)
		return err;
	w_u8(&b, s->signing ? SP_SIGNER_ED25519 : SP_SIGNER_NONE);
	if (s->signing)
		w_bytes(&b, s->sign_sk + 32, SP_SIGNER_BYTES); /* libsodium keeps the public key there */
	if (b.err != SP_OK || b.len + SP_MAC_BYTES > sizeof hdr)
		return SP_ERR_LIMIT;
	put_le(hdr + 11, b.len + SP_MAC_BYTES, 4);
	sp_mac(s->mac, hdr, b.len, k->header_key);
	w_bytes(&b, s->mac, sizeof s->mac);
	return out_bytes(s, hdr, b.len);
}

static int push(sp_sealer *s, const unsigned char *m, size_t len, unsigned char tag)
{
	crypto_secretstream_xchacha20poly1305_push(&s->st, s->ct, NULL, m, len, s->mac,
	    sizeof s->mac, tag);
	return out_bytes(s, s->ct, len + ABYTES);
}

static int write_index(sp_sealer *s, const sp_seal_params *p, const key_set *k, size_t index_len)
{
	unsigned char sh[STREAM_HEADER_BYTES];
	unsigned char *idx;
	int err;

	if (crypto_secretstream_xchacha20poly1305_init_push(&s->st, sh, k->payload_key) != 0)
		return SP_ERR_CRYPTO;
	if ((err = out_bytes(s, sh, sizeof sh)) != SP_OK)
		return err;
	if ((idx = sodium_malloc(index_len)) == NULL)
		return SP_ERR_NOMEM;
	err = index_encode(idx, index_len, p);
	if (err == SP_OK)
		err = push(s, idx, index_len, TAG_MESSAGE);
	sodium_free(idx);
	return err;
}

int sp_seal_begin(sp_sealer **out, const sp_seal_params *p, sp_write_fn w, void *wctx)
{
	sp_sealer *s = NULL;
	key_set *k = NULL;
	size_t index_len, ct_cap;
	int err;

	if (out == NULL || p == NULL || w == NULL)
		return SP_ERR_ARG;
	*out = NULL;
	if ((err = seal_check(p)) != SP_OK)
		return err;
	index_len = index_size(p);
	ct_cap = (index_len > SP_CHUNK_BYTES ? index_len : SP_CHUNK_BYTES) + ABYTES;
	s = secure_alloc(sizeof *s);
	k = secure_alloc(sizeof *k);
	if (s == NULL || k == NULL) {
		err = SP_ERR_NOMEM;
		goto out;
	}
	memset(s, 0, sizeof *s);
	s->w = w;
	s->wctx = wctx;
	if (p->sign_sk != NULL) {
		memcpy(s->sign_sk, p->sign_sk, sizeof s->sign_sk);
		s->signing = 1;
		crypto_sign_init(&s->sign);
		crypto_sign_update(&s->sign, (const unsigned char *)SP_SIGN_DOMAIN, SIGN_DOMAIN_BYTES);
	}
	for (size_t i = 0; i < p->n_entries; i++)
		s->total += p->entries[i].size;
	if ((s->ct = malloc(ct_cap)) == NULL) {
		err = SP_ERR_NOMEM;
		goto out;
	}
	sp_random(k->file_key, sizeof k->file_key);
	if ((err = derive_keys(k)) != SP_OK)
		goto out;
	if ((err = write_header(s, p, k, index_len)) != SP_OK)
		goto out;
	if ((err = write_index(s, p, k, index_len)) != SP_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	sp_secmem_free(k);
	sp_seal_free(s);
	return err;
}

int sp_seal_write(sp_sealer *s, const unsigned char *buf, size_t len)
{
	if (s == NULL || (buf == NULL && len > 0))
		return SP_ERR_ARG;
	if (s->err != SP_OK)
		return s->err;
	if (s->finished || len > s->total - s->written)
		return s->err = SP_ERR_ARG;
	s->written += len;
	while (len > 0) {
		size_t take = SP_CHUNK_BYTES - s->fill;

		/* Whole messages go from the caller's buffer straight to the cipher: no copy (the
		 * final message is an empty one of its own, written by sp_seal_finish). */
		if (s->fill == 0 && len >= SP_CHUNK_BYTES) {
			if ((s->err = push(s, buf, SP_CHUNK_BYTES, TAG_MESSAGE)) != SP_OK)
				return s->err;
			buf += SP_CHUNK_BYTES;
			len -= SP_CHUNK_BYTES;
			continue;
		}
		if (take > len)
			take = len;
		memcpy(s->chunk + s->fill, buf, take);
		s->fill += take;
		buf += take;
		len -= take;
		/* The chunk is overwritten by the next message and wiped when the sealer is freed. */
		if (s->fill == SP_CHUNK_BYTES) {
			s->err = push(s, s->chunk, s->fill, TAG_MESSAGE);
			s->fill = 0;
			if (s->err != SP_OK)
				return s->err;
		}
	}
	return SP_OK;
}

int sp_seal_finish(sp_sealer *s)
{
	if (s == NULL)
		return SP_ERR_ARG;
	if (s->err != SP_OK)
		return s->err;
	if (s->finished || s->written != s->total)
		return s->err = SP_ERR_ARG;
	if (s->fill > 0) {
		s->err = push(s, s->chunk, s->fill, TAG_MESSAGE);
		sodium_memzero(s->chunk, sizeof s->chunk);
		s->fill = 0;
		if (s->err != SP_OK)
			return s->err;
	}
	if ((s->err = push(s, NULL, 0, TAG_FINAL)) != SP_OK)
		return s->err;
	if (s->signing) {
		unsigned char sig[SP_SIGNATURE_BYTES];

		if (crypto_sign_final_create(&s->sign, sig, NULL, s->sign_sk) != 0)
			return s->err = SP_ERR_CRYPTO;
		if ((s->err = s->w(s->wctx, sig, sizeof sig)) != SP_OK)
			return s->err;
	}
	s->finished = 1;
	return SP_OK;
}

void sp_seal_free(sp_sealer *s)
{
	if (s == NULL)
		return;
	free(s->ct);
	sodium_memzero(s->sign_sk, sizeof s->sign_sk);
	sp_secmem_free(s);
}

/* ---- opening ---- */

/* ST_AUTHENTICATED: sp_open_authenticate verified the whole input; ST_RESTARTED: sp_open_restart
 * read it again up to the content, for sp_open_entry. */
enum { ST_HEADER, ST_UNLOCKED, ST_INDEXED, ST_DONE, ST_FAILED, ST_AUTHENTICATED, ST_RESTARTED };

/* The chunk first and 64-byte aligned (sodium_malloc aligns the block's end, and the struct's size
 * is a multiple of 64): the kernel copies it into a file at half the speed from an odd address. */
typedef struct {
	_Alignas(64) unsigned char chunk[SP_CHUNK_BYTES];
	stream_state st;
	unsigned char payload_key[SP_KEY_BYTES];
} open_secrets;

struct sp_opener {
	sp_read_fn r;
	void *rctx;
	unsigned char *hdr; /* the whole header, MAC included */
	size_t hdr_len;
	uint32_t index_len;
	sp_bundle_info info;
	size_t n_stanzas;
	struct {
		uint8_t type;
		const unsigned char *body;
	} stanza[SP_STANZAS_MAX];
	int state;
	open_secrets *sec;
	unsigned char *ct;
	sp_entry *entries;
	size_t n_entries;
	sign_state sign;    /* over every byte read while hashing is set */
	int hashing;
	rlist rcpt;         /* version 2 */
	int opened_by;      /* index into stanza[] of the X25519 stanza that opened it, or -1 */
	unsigned char opened_pk[SP_KEY_BYTES];
	unsigned char sh[STREAM_HEADER_BYTES]; /* the stream header, for sp_open_restart */
	sp_write_fn tee;    /* sp_open_tee: every byte read is also given to it */
	void *tee_ctx;
};

/* Exactly len bytes: a short read is the end of the input. */
static int read_some(sp_opener *o, unsigned char *buf, size_t len, size_t *got)
{
	int err;

	*got = 0;
	if ((err = o->r(o->rctx, buf, len, got)) != SP_OK)
		return err;
	if (*got > len)
		return SP_ERR_IO;
	if (o->hashing && *got > 0)
		crypto_sign_update(&o->sign, buf, *got);
	if (o->tee != NULL && *got > 0)
		return o->tee(o->tee_ctx, buf, *got);
	return SP_OK;
}

static int read_full(sp_opener *o, unsigned char *buf, size_t len)
{
	size_t got;
	int err;

	if ((err = read_some(o, buf, len, &got)) != SP_OK)
		return err;
	return got == len ? SP_OK : SP_ERR_TRUNCATED;
}

static int read_prefix(sp_opener *o, unsigned char pre[PREFIX_BYTES], uint32_t *hdr_len)
{
	size_t got;
	int err;

	if ((err = read_some(o, pre, SP_MAGIC_BYTES, &got)) != SP_OK)
		return err;
	if (got == 0 || memcmp(pre, SP_MAGIC, got) != 0)
		return SP_ERR_NOT_BUNDLE;
	if (got < SP_MAGIC_BYTES)
		return SP_ERR_TRUNCATED;
	if ((err = read_full(o, pre + 8, 2)) != SP_OK)
		return err;
	o->info.version = (uint16_t)get_le(pre + 8, 2);
	if (o->info.version == 0)
		return SP_ERR_HEADER;
	if (o->info.version != SP_VERSION && o->info.version != SP_VERSION_V1)
		return SP_ERR_VERSION;
	if ((err = read_full(o, pre + 10, 1)) != SP_OK)
		return err;
	o->info.suite = pre[10];
	if (o->info.suite != SP_SUITE_V1)
		return SP_ERR_SUITE;
	if ((err = read_full(o, pre + 11, 4)) != SP_OK)
		return err;
	*hdr_len = (uint32_t)get_le(pre + 11, 4);
	if (*hdr_len < (o->info.version == SP_VERSION_V1 ? HEADER_MIN : HEADER_MIN_V2))
		return SP_ERR_HEADER;
	return *hdr_len > SP_HEADER_MAX ? SP_ERR_LIMIT : SP_OK;
}

/* Costs are checked here, while parsing, before any key is tried or memory allocated. */
static int parse_argon2(sp_opener *o, const unsigned char *body)
{
	const unsigned char *costs = body + SP_KDF_SALT_BYTES;

	if (o->info.n_passphrase > 0)
		return SP_ERR_STANZA;
	o->info.n_passphrase = 1;
	o->info.kdf.t_cost = (uint32_t)get_le(costs, 4);
	o->info.kdf.m_cost_kib = (uint32_t)get_le(costs + 4, 4);
	o->info.kdf.parallelism = (uint32_t)get_le(costs + 8, 4);
	return sp_kdf_check(&o->info.kdf);
}

static int parse_stanza(sp_opener *o, rbuf *b)
{
	const unsigned char *body;
	uint8_t type;
	uint16_t len;

	if (r_u8(b, &type) != 0 || r_u16(b, &len) != 0)
		return SP_ERR_HEADER;
	if (type != SP_STANZA_X25519 && type != SP_STANZA_ARGON2ID)
		return SP_ERR_STANZA;
	if (len != (type == SP_STANZA_X25519 ? X25519_BODY_BYTES : ARGON2_BODY_BYTES))
		return SP_ERR_STANZA;
	if (r_bytes(b, &body, len) != 0)
		return SP_ERR_HEADER;
	for (size_t i = 0; i < o->n_stanzas; i++)
		if (o->stanza[i].type == type && memcmp(o->stanza[i].body, body, len) == 0)
			return SP_ERR_STANZA;
	o->stanza[o->n_stanzas].type = type;
	o->stanza[o->n_stanzas].body = body;
	o->n_stanzas++;
	if (type == SP_STANZA_X25519) {
		o->info.n_x25519++;
		return SP_OK;
	}
	return parse_argon2(o, body);
}

static int parse_context(sp_opener *o, rbuf *b)
{
	const unsigned char *ctx;
	uint8_t len;

	if (r_u8(b, &len) != 0)
		return SP_ERR_HEADER;
	if (len > SP_CONTEXT_MAX)
		return SP_ERR_LIMIT;
	if (r_bytes(b, &ctx, len) != 0)
		return SP_ERR_HEADER;
	for (size_t i = 0; i < len; i++)
		if (ctx[i] < 0x20 || ctx[i] > 0x7e)
			return SP_ERR_HEADER;
	memcpy(o->info.context, ctx, len);
	o->info.context[len] = '\0';
	return SP_OK;
}

/* Version 2: signer type, then the Ed25519 public key when it is 1. */
static int parse_signer(sp_opener *o, rbuf *b)
{
	const unsigned char *pk;
	uint8_t type;

	if (r_u8(b, &type) != 0)
		return SP_ERR_HEADER;
	if (type == SP_SIGNER_NONE)
		return SP_OK;
	if (type != SP_SIGNER_ED25519)
		return SP_ERR_HEADER;
	if (r_bytes(b, &pk, SP_SIGNER_BYTES) != 0)
		return SP_ERR_HEADER;
	memcpy(o->info.signer, pk, SP_SIGNER_BYTES);
	o->info.is_signed = 1;
	return SP_OK;
}

/* Everything after the prefix, up to the MAC, which must follow the last stanza exactly. */
static int parse_header(sp_opener *o)
{
	rbuf b = { o->hdr, o->hdr_len - SP_MAC_BYTES, PREFIX_BYTES };
	uint8_t count;
	int err;

	if (r_u64(&b, &o->info.created) != 0 || r_u64(&b, &o->info.expires) != 0 ||
	    r_u32(&b, &o->index_len) != 0)
		return SP_ERR_HEADER;
	if (o->index_len < INDEX_MIN)
		return SP_ERR_HEADER;
	if (o->index_len > SP_INDEX_MAX)
		return SP_ERR_LIMIT;
	if ((err = parse_context(o, &b)) != SP_OK)
		return err;
	if (r_u8(&b, &count) != 0 || count == 0)
		return SP_ERR_HEADER;
	if (count > SP_STANZAS_MAX)
		return SP_ERR_LIMIT;
	for (unsigned i = 0; i < count; i++)
		if ((err = parse_stanza(o, &b)) != SP_OK)
			return err;
	if (o->info.version != SP_VERSION_V1 && (err = parse_signer(o, &b)) != SP_OK)
		return err;
	return b.off == b.len ? SP_OK : SP_ERR_HEADER;
}

int sp_open_begin(sp_opener **out, sp_read_fn r, void *rctx)
{
	sp_opener *o = NULL;
	unsigned char pre[PREFIX_BYTES];
	uint32_t hdr_len = 0;
	int err;

	if (out == NULL || r == NULL)
		return SP_ERR_ARG;
	*out = NULL;
	if ((o = calloc(1, sizeof *o)) == NULL)
		return SP_ERR_NOMEM;
	o->r = r;
	o->rctx = rctx;
	o->opened_by = -1;
	crypto_sign_init(&o->sign);
	crypto_sign_update(&o->sign, (const unsigned char *)SP_SIGN_DOMAIN, SIGN_DOMAIN_BYTES);
	o->hashing = 1;
	if ((err = read_prefix(o, pre, &hdr_len)) != SP_OK)
		goto out;
	if ((o->hdr = malloc(hdr_len)) == NULL) {
		err = SP_ERR_NOMEM;
		goto out;
	}
	o->hdr_len = hdr_len;
	memcpy(o->hdr, pre, PREFIX_BYTES);
	if ((err = read_full(o, o->hdr + PREFIX_BYTES, hdr_len - PREFIX_BYTES)) != SP_OK)
		goto out;
	err = parse_header(o);
	/* The SHA-512 of the signature runs over every byte read: only a signed bundle needs it. */
	o->hashing = o->info.is_signed;
out:
	if (err == SP_ERR_VERSION || err == SP_ERR_SUITE) {
		o->state = ST_FAILED; /* kept only so that the caller can name what it read */
		*out = o;
	} else if (err == SP_OK) {
		*out = o;
	} else {
		sp_open_free(o);
	}
	return err;
}

void sp_open_info(const sp_opener *o, sp_bundle_info *info)
{
	if (o == NULL)
		memset(info, 0, sizeof *info);
	else
		*info = o->info;
}

static int unlock_x25519(sp_opener *o, unsigned char fk[SP_KEY_BYTES],
    const unsigned char (*sk)[32], size_t n_sk)
{
	unsigned char pk[SP_KEY_BYTES];

	for (size_t i = 0; i < n_sk; i++) {
		if (sp_x25519_public(pk, sk[i]) != SP_OK)
			continue;
		for (size_t j = 0; j < o->n_stanzas; j++)
			if (o->stanza[j].type == SP_STANZA_X25519 &&
			    sp_unwrap_x25519(fk, o->stanza[j].body, pk, sk[i]) == SP_OK) {
				o->opened_by = (int)j;
				memcpy(o->opened_pk, pk, sizeof pk);
				return SP_OK;
			}
	}
	return SP_ERR_WRONG_KEY;
}

static int unlock_pass(const sp_opener *o, key_set *k, const char *pass, size_t pass_len)
{
	const unsigned char *body = NULL;
	int err;

	for (size_t j = 0; j < o->n_stanzas; j++)
		if (o->stanza[j].type == SP_STANZA_ARGON2ID)
			body = o->stanza[j].body;
	if (body == NULL)
		return SP_ERR_NO_PASS_STANZA;
	err = sp_kdf_derive(k->kek, pass, pass_len, body, &o->info.kdf);
	if (err == SP_OK)
		err = sp_secretbox_open(k->file_key, body + SP_KDF_SALT_BYTES + 12 +
		    SP_SECRETBOX_NONCE_BYTES, SP_KEY_BYTES + SP_SECRETBOX_MAC_BYTES,
		    body + SP_KDF_SALT_BYTES + 12, k->kek);
	sodium_memzero(k->kek, sizeof k->kek);
	return err;
}

static int recover_file_key(sp_opener *o, key_set *k, const unsigned char (*sk)[32],
    size_t n_sk, const char *pass, size_t pass_len)
{
	int err = SP_ERR_WRONG_KEY;

	if (n_sk > 0)
		err = unlock_x25519(o, k->file_key, sk, n_sk);
	if (err == SP_OK || pass == NULL)
		return err;
	err = unlock_pass(o, k, pass, pass_len);
	/* With identities given too, "wrong key" says more than "no passphrase recipient". */
	if (err == SP_ERR_NO_PASS_STANZA && n_sk > 0)
		return SP_ERR_WRONG_KEY;
	return err;
}

int sp_open_unlock(sp_opener *o, const unsigned char (*sk)[32], size_t n_sk, const char *pass,
    size_t pass_len)
{
	key_set *k = NULL;
	int err;

	if (o == NULL || o->state != ST_HEADER || (n_sk > 0 && sk == NULL) ||
	    (n_sk == 0 && pass == NULL))
		return SP_ERR_ARG;
	if ((k = secure_alloc(sizeof *k)) == NULL || (o->sec == NULL &&
	    (o->sec = secure_alloc(sizeof *o->sec)) == NULL)) {
		err = SP_ERR_NOMEM;
		goto out;
	}
	if ((err = recover_file_key(o, k, sk, n_sk, pass, pass_len)) != SP_OK)
		goto out;
	if ((err = derive_keys(k)) != SP_OK)
		goto out;
	err = sp_mac_verify(o->hdr + o->hdr_len - SP_MAC_BYTES, o->hdr, o->hdr_len - SP_MAC_BYTES,
	    k->header_key);
	if (err != SP_OK) {
		o->state = ST_FAILED;
		goto out;
	}
	memcpy(o->sec->payload_key, k->payload_key, SP_KEY_BYTES);
	o->state = ST_UNLOCKED;
out:
	sp_secmem_free(k);
	return err;
}

int sp_open_check(const sp_opener *o, const char *context, uint64_t now)
{
	if (o == NULL || o->state == ST_HEADER || o->state == ST_FAILED)
		return SP_ERR_ARG;
	if (strcmp(o->info.context, context ? context : "") != 0)
		return SP_ERR_CONTEXT;
	if (o->info.expires != 0 && now >= o->info.expires)
		return SP_ERR_EXPIRED;
	return SP_OK;
}

int sp_open_check_created(const sp_opener *o, uint64_t not_before)
{
	if (o == NULL || o->state == ST_HEADER || o->state == ST_FAILED)
		return SP_ERR_ARG;
	return o->info.created < not_before ? SP_ERR_NOT_BEFORE : SP_OK;
}

/* Reads and authenticates the next message of exactly len plaintext bytes into m; with m NULL,
 * authenticates it without decrypting it (the first pass of a two-pass reader). */
static int pull(sp_opener *o, unsigned char *m, size_t len, unsigned char *tag)
{
	int err;

	if ((err = read_full(o, o->ct, len + ABYTES)) != SP_OK)
		return err;
	if (m == NULL)
		return sp_stream_verify(&o->sec->st, tag, o->ct, len + ABYTES,
		    o->hdr + o->hdr_len - SP_MAC_BYTES, SP_MAC_BYTES);
	if (crypto_secretstream_xchacha20poly1305_pull(&o->sec->st, m, NULL, tag, o->ct,
	    len + ABYTES, o->hdr + o->hdr_len - SP_MAC_BYTES, SP_MAC_BYTES) != 0)
		return SP_ERR_TAMPERED;
	return SP_OK;
}

static int key_listed(const rlist *rl, const unsigned char pk[SP_KEY_BYTES])
{
	for (size_t i = 0; i < rl->n; i++)
		if (memcmp(rl->pk[i], pk, SP_KEY_BYTES) == 0)
			return 1;
	return 0;
}

static int read_index(sp_opener *o)
{
	unsigned char sh[STREAM_HEADER_BYTES];
	unsigned char *idx = NULL;
	unsigned char tag;
	size_t cap = (o->index_len > SP_CHUNK_BYTES ? o->index_len : SP_CHUNK_BYTES) + ABYTES;
	int err;

	if ((err = read_full(o, sh, sizeof sh)) != SP_OK)
		return err;
	memcpy(o->sh, sh, sizeof sh);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&o->sec->st, sh, o->sec->payload_key) != 0)
		return SP_ERR_TAMPERED;
	if ((o->ct = malloc(cap)) == NULL || (idx = secure_alloc(o->index_len)) == NULL) {
		err = SP_ERR_NOMEM;
		goto out;
	}
	if ((err = pull(o, idx, o->index_len, &tag)) != SP_OK)
		goto out;
	if (tag != TAG_MESSAGE) {
		err = SP_ERR_PAYLOAD;
		goto out;
	}
	err = index_decode(idx, o->index_len, &o->info,
	    o->info.version == SP_VERSION_V1 ? NULL : &o->rcpt, &o->entries, &o->n_entries);
	if (err == SP_OK && o->info.version != SP_VERSION_V1 && o->opened_by >= 0 &&
	    !key_listed(&o->rcpt, o->opened_pk))
		err = SP_ERR_PAYLOAD; /* the list must name the key that opened it */
out:
	sp_secmem_free(idx);
	return err;
}

int sp_open_index(sp_opener *o, const sp_entry **entries, size_t *n)
{
	int err;

	if (o == NULL || entries == NULL || n == NULL || o->state != ST_UNLOCKED)
		return SP_ERR_ARG;
	if ((err = read_index(o)) != SP_OK) {
		o->state = ST_FAILED;
		return err;
	}
	o->state = ST_INDEXED;
	*entries = o->entries;
	*n = o->n_entries;
	return SP_OK;
}

typedef struct {
	sp_sink_fn sink;
	void *ctx;
	size_t cur;      /* entry being delivered */
	uint64_t left;   /* its bytes still to come */
} delivery;

/* Closes every finished entry (empty ones included) up to the next one with bytes to come. */
static int advance(sp_opener *o, delivery *d)
{
	int err;

	while (d->cur < o->n_entries && d->left == 0) {
		if ((err = d->sink(d->ctx, d->cur, NULL, 0)) != SP_OK)
			return err;
		if (++d->cur < o->n_entries)
			d->left = o->entries[d->cur].size;
	}
	return SP_OK;
}

static int deliver(sp_opener *o, delivery *d, const unsigned char *p, size_t len)
{
	int err;

	while (len > 0) {
		size_t take = d->left < len ? (size_t)d->left : len;

		if ((err = d->sink(d->ctx, d->cur, p, take)) != SP_OK)
			return err;
		p += take;
		len -= take;
		d->left -= take;
		if ((err = advance(o, d)) != SP_OK)
			return err;
	}
	return SP_OK;
}

/* After the final message of a signed bundle: the signature, then the end of the input. */
static int read_signature(sp_opener *o)
{
	unsigned char sig[SP_SIGNATURE_BYTES], extra;
	size_t got;
	int err;

	o->hashing = 0;
	if ((err = read_full(o, sig, sizeof sig)) != SP_OK)
		return err;
	if ((err = read_some(o, &extra, 1, &got)) != SP_OK)
		return err;
	if (got != 0)
		return SP_ERR_TRAILING;
	if (crypto_sign_final_verify(&o->sign, sig, o->info.signer) != 0)
		return SP_ERR_SIGNATURE;
	return SP_OK;
}

static int read_payload(sp_opener *o, delivery *d)
{
	uint64_t rest = 0;
	unsigned char tag, extra;
	size_t got;
	int err;

	for (size_t i = 0; i < o->n_entries; i++)
		rest += o->entries[i].size;
	d->left = o->entries[0].size;
	if (d->sink != NULL && (err = advance(o, d)) != SP_OK)
		return err;
	/* No sink: authenticate only. The chunk is overwritten by each message and wiped on free. */
	while (rest > 0) {
		size_t len = rest < SP_CHUNK_BYTES ? (size_t)rest : SP_CHUNK_BYTES;

		if ((err = pull(o, d->sink != NULL ? o->sec->chunk : NULL, len, &tag)) != SP_OK)
			return err;
		if (tag != TAG_MESSAGE)
			return SP_ERR_PAYLOAD;
		if (d->sink != NULL && (err = deliver(o, d, o->sec->chunk, len)) != SP_OK)
			return err;
		rest -= len;
	}
	if ((err = pull(o, NULL, 0, &tag)) != SP_OK)
		return err;
	if (tag != TAG_FINAL)
		return SP_ERR_PAYLOAD;
	if (o->info.is_signed)
		return read_signature(o);
	if ((err = read_some(o, &extra, 1, &got)) != SP_OK)
		return err;
	return got == 0 ? SP_OK : SP_ERR_TRAILING;
}

int sp_open_payload(sp_opener *o, sp_sink_fn sink, void *ctx)
{
	delivery d = { sink, ctx, 0, 0 };
	int err;

	if (o == NULL || sink == NULL || o->state != ST_INDEXED)
		return SP_ERR_ARG;
	err = read_payload(o, &d);
	o->state = err == SP_OK ? ST_DONE : ST_FAILED;
	return err;
}

int sp_open_tee(sp_opener *o, sp_write_fn w, void *wctx)
{
	if (o == NULL || w == NULL || (o->state != ST_HEADER && o->state != ST_UNLOCKED))
		return SP_ERR_ARG;
	o->tee = w;
	o->tee_ctx = wctx;
	return w(wctx, o->hdr, o->hdr_len);
}

int sp_open_authenticate(sp_opener *o)
{
	delivery d = { NULL, NULL, 0, 0 };
	int err;

	if (o == NULL || o->state != ST_INDEXED)
		return SP_ERR_ARG;
	err = read_payload(o, &d);
	o->state = err == SP_OK ? ST_AUTHENTICATED : ST_FAILED;
	return err;
}

/* The second pass reads what the first authenticated: the same header and stream header byte for
 * byte, then the index, which authenticates only if it is the same ciphertext under the same key
 * and MAC. Any other byte read fails (SP_ERR_TAMPERED), a shorter input SP_ERR_TRUNCATED. */
static int restart(sp_opener *o)
{
	unsigned char hdr[SP_HEADER_MAX], sh[STREAM_HEADER_BYTES], tag;
	unsigned char *idx = NULL;
	int err;

	if ((err = read_full(o, hdr, o->hdr_len)) != SP_OK)
		return err;
	if (memcmp(hdr, o->hdr, o->hdr_len) != 0)
		return SP_ERR_TAMPERED;
	if ((err = read_full(o, sh, sizeof sh)) != SP_OK)
		return err;
	if (memcmp(sh, o->sh, sizeof sh) != 0)
		return SP_ERR_TAMPERED;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&o->sec->st, sh, o->sec->payload_key) != 0)
		return SP_ERR_TAMPERED;
	if ((idx = sodium_malloc(o->index_len)) == NULL)
		return SP_ERR_NOMEM;
	if ((err = pull(o, idx, o->index_len, &tag)) == SP_OK && tag != TAG_MESSAGE)
		err = SP_ERR_PAYLOAD;
	sodium_free(idx);
	return err;
}

int sp_open_restart(sp_opener *o, sp_read_fn r, void *rctx)
{
	int err;

	if (o == NULL || r == NULL || o->state != ST_AUTHENTICATED)
		return SP_ERR_ARG;
	o->r = r;
	o->rctx = rctx;
	o->tee = NULL;
	o->hashing = 0; /* the first pass verified the signature over these same bytes */
	err = restart(o);
	o->state = err == SP_OK ? ST_RESTARTED : ST_FAILED;
	return err;
}

/* Messages before the entry are authenticated without being decrypted (the chain of tags needs
 * them); the reading stops at the message holding the entry's last byte. */
static int read_entry(sp_opener *o, size_t idx, sp_sink_fn sink, void *ctx)
{
	uint64_t start = 0, end, pos = 0, total = 0;
	unsigned char tag;
	int err;

	for (size_t i = 0; i < o->n_entries; i++) {
		if (i < idx)
			start += o->entries[i].size;
		total += o->entries[i].size;
	}
	end = start + o->entries[idx].size;
	if (end == start)
		return sink(ctx, idx, NULL, 0); /* an empty entry reads nothing */
	while (pos < end) {
		size_t len = total - pos < SP_CHUNK_BYTES ? (size_t)(total - pos) : SP_CHUNK_BYTES;
		int wanted = pos + len > start; /* and pos < end: the piece is not empty */

		if ((err = pull(o, wanted ? o->sec->chunk : NULL, len, &tag)) != SP_OK)
			return err;
		if (tag != TAG_MESSAGE)
			return SP_ERR_PAYLOAD;
		if (wanted) {
			uint64_t from = start > pos ? start - pos : 0;
			uint64_t to = end < pos + len ? end - pos : len;

			if ((err = sink(ctx, idx, o->sec->chunk + from, (size_t)(to - from))) != SP_OK)
				return err;
		}
		pos += len;
	}
	return sink(ctx, idx, NULL, 0);
}

int sp_open_entry(sp_opener *o, size_t idx, sp_sink_fn sink, void *ctx)
{
	int err;

	if (o == NULL || sink == NULL || o->state != ST_RESTARTED || idx >= o->n_entries)
		return SP_ERR_ARG;
	err = read_entry(o, idx, sink, ctx);
	o->state = err == SP_OK ? ST_DONE : ST_FAILED;
	return err;
}

int sp_open_trust(const sp_opener *o, const unsigned char (*signers)[SP_SIGNER_BYTES], size_t n)
{
	if (o == NULL || o->state != ST_HEADER || (n > 0 && signers == NULL))
		return SP_ERR_ARG;
	if (!o->info.is_signed)
		return SP_ERR_UNSIGNED;
	for (size_t i = 0; i < n; i++)
		if (memcmp(signers[i], o->info.signer, SP_SIGNER_BYTES) == 0)
			return SP_OK;
	return SP_ERR_UNTRUSTED;
}

/* Holds back the last SP_SIGNATURE_BYTES read: they are the signature if the input ends there. */
int sp_open_verify(sp_opener *o)
{
	unsigned char *buf = NULL;
	size_t held = 0, got;
	int err;

	if (o == NULL || o->state != ST_HEADER)
		return SP_ERR_ARG;
	o->state = ST_FAILED; /* nothing but info and free afterwards */
	if (!o->info.is_signed)
		return SP_ERR_UNSIGNED;
	o->hashing = 0;
	if ((buf = malloc(SP_CHUNK_BYTES + SP_SIGNATURE_BYTES)) == NULL)
		return SP_ERR_NOMEM;
	for (;;) {
		if ((err = read_some(o, buf + held, SP_CHUNK_BYTES, &got)) != SP_OK)
			goto out;
		held += got;
		if (held > SP_SIGNATURE_BYTES) {
			crypto_sign_update(&o->sign, buf, held - SP_SIGNATURE_BYTES);
			memmove(buf, buf + held - SP_SIGNATURE_BYTES, SP_SIGNATURE_BYTES);
			held = SP_SIGNATURE_BYTES;
		}
		if (got < SP_CHUNK_BYTES)
			break;
	}
	err = SP_ERR_TRUNCATED;
	if (held < SP_SIGNATURE_BYTES)
		goto out;
	err = crypto_sign_final_verify(&o->sign, buf, o->info.signer) == 0 ? SP_OK : SP_ERR_SIGNATURE;
out:
	free(buf);
	return err;
}

int sp_open_recipients(const sp_opener *o, const unsigned char (**pks)[32], size_t *n,
    int *passphrase, int *mine)
{
	if (o == NULL || pks == NULL || n == NULL || passphrase == NULL || mine == NULL ||
	    o->state == ST_HEADER || o->state == ST_UNLOCKED || o->state == ST_FAILED)
		return SP_ERR_ARG;
	*pks = (const unsigned char (*)[32])o->rcpt.pk;
	*n = o->rcpt.n;
	*passphrase = o->rcpt.passphrase;
	*mine = -1;
	for (size_t i = 0; o->opened_by >= 0 && i < o->rcpt.n; i++)
		if (memcmp(o->rcpt.pk[i], o->opened_pk, SP_KEY_BYTES) == 0)
			*mine = (int)i;
	return SP_OK;
}

void sp_open_free(sp_opener *o)
{
	if (o == NULL)
		return;
	if (o->entries != NULL) {
		sodium_memzero(o->entries, o->n_entries * sizeof *o->entries);
		free(o->entries);
	}
	sp_secmem_free(o->sec);
	free(o->ct);
	free(o->hdr);
	free(o);
}
