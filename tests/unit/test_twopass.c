/* test_twopass.c - the two-pass opener (sp_open_authenticate, sp_open_restart, sp_open_entry,
 * sp_open_tee): nothing decrypted before the whole input authenticated, and a second pass that
 * releases only a prefix of what the first authenticated. */
#include "memio.h"

#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "sp_bundle.h"
#include "sp_crypto.h"
#include "sp_err.h"

#define N_ENTRIES 3
#define ABYTES 17
#define STREAM_HEADER 24

static unsigned char pk[32], sk[32], sign_pk[32], sign_sk[64];
/* Sizes across message boundaries: 1.5 messages, 3 bytes, 2.25 messages. */
static const uint64_t sizes[N_ENTRIES] = { 98304, 3, 147456 };
static unsigned char *content;
static uint64_t total;

/* Every piece the second pass hands out, with the entry it names. */
typedef struct {
	membuf out;
	size_t idx;
	int ended, bad;
} got_t;

static int collect(void *ctx, size_t idx, const unsigned char *buf, size_t len)
{
	got_t *g = ctx;

	if (idx != g->idx || g->ended)
		g->bad = 1;
	if (buf == NULL && len == 0)
		g->ended = 1;
	else if (buf == NULL || len == 0)
		g->bad = 1;
	else
		mem_write(&g->out, buf, len);
	return SP_OK;
}

static void seal(membuf *b, int sign)
{
	sp_entry e[N_ENTRIES];
	sp_seal_params p;
	sp_sealer *s = NULL;

	memset(e, 0, sizeof e);
	for (size_t i = 0; i < N_ENTRIES; i++) {
		snprintf(e[i].name, sizeof e[i].name, "e%zu", i);
		e[i].size = sizes[i];
		e[i].mode = 0400;
	}
	memset(&p, 0, sizeof p);
	p.created = 1000;
	p.x25519 = (const unsigned char (*)[32])pk;
	p.n_x25519 = 1;
	p.entries = e;
	p.n_entries = N_ENTRIES;
	p.sign_sk = sign ? sign_sk : NULL;
	memset(b, 0, sizeof *b);
	assert_int_equal(sp_seal_begin(&s, &p, mem_write, b), SP_OK);
	/* Odd piece sizes: whole messages straight from the buffer and partial ones copied. */
	for (uint64_t off = 0; off < total;) {
		size_t piece = off % 3 ? 65536 * 2 + 5 : 7;

		if (piece > total - off)
			piece = (size_t)(total - off);
		assert_int_equal(sp_seal_write(s, content + off, piece), SP_OK);
		off += piece;
	}
	assert_int_equal(sp_seal_finish(s), SP_OK);
	sp_seal_free(s);
}

/* Pass 1 over first; returns the opener, or NULL with *err set. */
static sp_opener *pass1(memsrc *src, int *err, membuf *tee)
{
	sp_opener *o = NULL;
	const sp_entry *e;
	size_t n;

	assert_int_equal(sp_open_begin(&o, mem_read, src), SP_OK);
	assert_int_equal(sp_open_unlock(o, (const unsigned char (*)[32])sk, 1, NULL, 0), SP_OK);
	if (tee != NULL)
		assert_int_equal(sp_open_tee(o, mem_write, tee), SP_OK);
	assert_int_equal(sp_open_index(o, &e, &n), SP_OK);
	assert_int_equal(n, N_ENTRIES);
	/* Nothing is decrypted yet: the second pass needs the first to have succeeded. */
	assert_int_equal(sp_open_entry(o, 0, collect, NULL), SP_ERR_ARG);
	if ((*err = sp_open_authenticate(o)) != SP_OK) {
		sp_open_free(o);
		return NULL;
	}
	return o;
}

static uint64_t entry_start(size_t idx)
{
	uint64_t start = 0;

	for (size_t i = 0; i < idx; i++)
		start += sizes[i];
	return start;
}

static void test_roundtrip(void **state)
{
	for (int sign = 0; sign <= 1; sign++) {
		membuf b;

		(void)state;
		seal(&b, sign);
		for (size_t idx = 0; idx < N_ENTRIES; idx++) {
			memsrc s1 = { b.p, b.len, 0 }, s2 = { b.p, b.len, 0 };
			got_t g = { { NULL, 0, 0 }, idx, 0, 0 };
			sp_opener *o;
			int err;

			assert_non_null(o = pass1(&s1, &err, NULL));
			assert_int_equal(sp_open_restart(o, mem_read, &s2), SP_OK);
			assert_int_equal(sp_open_entry(o, idx, collect, &g), SP_OK);
			assert_false(g.bad);
			assert_true(g.ended);
			assert_int_equal(g.out.len, sizes[idx]);
			assert_memory_equal(g.out.p, content + entry_start(idx), sizes[idx]);
			/* The second pass stops after the entry's last message. */
			assert_true(s2.off < b.len || idx == N_ENTRIES - 1);
			sp_open_free(o);
			free(g.out.p);
		}
		free(b.p);
	}
}

/* Pass 1 refuses a change anywhere: last content message, final message, trailing byte,
 * signature; nothing to restart from. */
static void test_first_pass_refuses(void **state)
{
	for (int sign = 0; sign <= 1; sign++) {
		membuf b;
		size_t at[3];
		int err;

		(void)state;
		seal(&b, sign);
		at[0] = b.len - (sign ? 64 : 0) - ABYTES - 20;  /* the last content message */
		at[1] = b.len - (sign ? 64 : 0) - 3;            /* the final message */
		at[2] = b.len - 1;                               /* the signature, or the final tag */
		for (size_t k = 0; k < 3; k++) {
			memsrc s1 = { b.p, b.len, 0 };

			b.p[at[k]] ^= 1;
			assert_null(pass1(&s1, &err, NULL));
			assert_int_equal(err, sign && k == 2 ? SP_ERR_SIGNATURE : SP_ERR_TAMPERED);
			b.p[at[k]] ^= 1;
		}
		{
			unsigned char *longer = malloc(b.len + 1);
			memsrc s1 = { longer, b.len + 1, 0 };

			memcpy(longer, b.p, b.len);
			longer[b.len] = 0;
			assert_null(pass1(&s1, &err, NULL));
			assert_int_equal(err, SP_ERR_TRAILING);
			free(longer);
		}
		free(b.p);
	}
}

/* The input changes between the passes: a header byte, the stream header, the index, a content
 * byte of the entry, the input cut short. The second pass fails at the change, and what it
 * delivered before is exactly a prefix of the entry. */
static void test_changed_between_passes(void **state)
{
	membuf b;
	size_t hdr_len, idx_end, at[5];
	uint64_t start2 = entry_start(2);

	(void)state;
	seal(&b, 0);
	hdr_len = (size_t)b.p[11] | (size_t)b.p[12] << 8;
	idx_end = b.len - ((size_t)((total + 65535) / 65536) * ABYTES + total + ABYTES);
	at[0] = 40;                    /* a header byte */
	at[1] = hdr_len + 3;           /* the stream header */
	at[2] = idx_end - 5;           /* the index */
	/* the third message (entry 2 starts at 98307, in the second): inside entry 2 */
	at[3] = idx_end + 2 * (65536 + ABYTES) + 100;
	at[4] = 0;                     /* not a change: the input cut in entry 2's last message */
	for (size_t k = 0; k < 5; k++) {
		memsrc s1 = { b.p, b.len, 0 }, s2 = { b.p, k == 4 ? b.len - 1000 : b.len, 0 };
		got_t g = { { NULL, 0, 0 }, 2, 0, 0 };
		sp_opener *o;
		int err, want;

		assert_non_null(o = pass1(&s1, &err, NULL));
		if (k < 4)
			b.p[at[k]] ^= 0x20;
		err = sp_open_restart(o, mem_read, &s2);
		if (err == SP_OK)
			err = sp_open_entry(o, 2, collect, &g);
		want = k == 4 ? SP_ERR_TRUNCATED : SP_ERR_TAMPERED;
		assert_int_equal(err, want);
		assert_false(g.ended);
		assert_false(g.bad);
		if (k < 3)
			assert_int_equal(g.out.len, 0);
		else
			assert_true(g.out.len > 0 && g.out.len < sizes[2]);
		if (g.out.len > 0)
			assert_memory_equal(g.out.p, content + start2, g.out.len);
		/* After a failure, nothing more. */
		assert_int_equal(sp_open_entry(o, 2, collect, &g), SP_ERR_ARG);
		if (k < 4)
			b.p[at[k]] ^= 0x20;
		sp_open_free(o);
		free(g.out.p);
	}
	free(b.p);
}

/* A pipe: the tee gets every byte pass 1 read, which is the whole bundle, and pass 2 reads it. */
static void test_tee(void **state)
{
	for (int sign = 0; sign <= 1; sign++) {
		membuf b, staged = { NULL, 0, 0 };
		memsrc s1, s2;
		got_t g = { { NULL, 0, 0 }, 0, 0, 0 };
		sp_opener *o;
		int err;

		(void)state;
		seal(&b, sign);
		s1 = (memsrc){ b.p, b.len, 0 };
		assert_non_null(o = pass1(&s1, &err, &staged));
		assert_int_equal(staged.len, b.len);
		assert_memory_equal(staged.p, b.p, b.len);
		s2 = (memsrc){ staged.p, staged.len, 0 };
		assert_int_equal(sp_open_restart(o, mem_read, &s2), SP_OK);
		assert_int_equal(sp_open_entry(o, 0, collect, &g), SP_OK);
		assert_int_equal(g.out.len, sizes[0]);
		assert_memory_equal(g.out.p, content, sizes[0]);
		sp_open_free(o);
		free(g.out.p);
		free(staged.p);
		free(b.p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_first_pass_refuses),
		cmocka_unit_test(test_changed_between_passes),
		cmocka_unit_test(test_tee),
	};
	unsigned char seed[32];
	int rc;

	if (sp_crypto_init() != SP_OK)
		return 1;
	assert_int_equal(sp_x25519_keygen(pk, sk), SP_OK);
	assert_int_equal(sp_sign_keygen(sign_pk, seed), SP_OK);
	assert_int_equal(sp_sign_from_seed(sign_pk, sign_sk, seed), SP_OK);
	for (size_t i = 0; i < N_ENTRIES; i++)
		total += sizes[i];
	content = malloc((size_t)total);
	sp_random(content, (size_t)total);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(content);
	return rc;
}
