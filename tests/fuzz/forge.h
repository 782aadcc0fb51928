/* forge.h - shared by the fuzz harnesses: fixed test keys, a memory reader, an entry oracle and
 * a forging encoder that wraps any index plaintext into a correctly encrypted, MAC'd bundle. */
#ifndef SP_FUZZ_FORGE_H
#define SP_FUZZ_FORGE_H

#include <stddef.h>
#include <stdint.h>

#include "sp_bundle.h"

#define FORGE_NOW 1700000000ull         /* "now" of the test vectors */
#define FORGE_PASS "correct horse"      /* passphrase of tests/vectors/ok-passphrase.vec */
#define FORGE_ID_PASS "golden test passphrase" /* of tests/cli/keys/test-enc.key */

/* An invariant of the code under test: aborts, so that libFuzzer reports the input. The unit
 * test that replays the corpus defines FZ_FAIL to fail the test instead. */
#ifndef FZ_FAIL
#define FZ_FAIL(what) forge_abort(what, __FILE__, __LINE__)
#endif
#define FZ_CHECK(cond) do { if (!(cond)) FZ_FAIL(#cond); } while (0)
void forge_abort(const char *what, const char *file, int line);

/* sodium_init, and the stanza forge_bundle reuses; idempotent. 0 or -1. */
int forge_init(void);
/* Secret keys the harnesses open with: the vectors' (RFC 7748 Alice) and tests/cli/keys/test.key.
 * Public test data, never secret. */
extern const unsigned char forge_sk[2][32];

/* Reader over a byte array, for sp_open_begin. */
typedef struct {
	const unsigned char *p;
	size_t len, off;
} forge_src;
int forge_read(void *ctx, unsigned char *buf, size_t len, size_t *got);

/* Independent of sp_bundle.c: 1 if the entries obey every rule of doc/FORMAT.md that the index
 * reader must enforce (names, mode, owner, env, sizes, uniqueness), else 0. */
int forge_entries_sane(const sp_entry *e, size_t n);

/* Checks what sp_open_payload hands its sink: order, lengths, and at the end every byte. */
typedef struct {
	const sp_entry *e;
	size_t n, cur;
	uint64_t got;
} forge_sink_state;
int forge_sink(void *ctx, size_t idx, const unsigned char *buf, size_t len);
/* After sp_open_payload returned SP_OK: every entry complete. */
int forge_sink_complete(const forge_sink_state *s);

/* Payload games for forge_bundle. */
#define FORGE_INDEX_FINAL   0x01 /* index message tagged FINAL */
#define FORGE_CHUNK_FINAL   0x02 /* content messages tagged FINAL */
#define FORGE_NO_FINAL      0x04 /* last message tagged MESSAGE */
#define FORGE_EXTRA_MESSAGE 0x08 /* an empty MESSAGE before the final one */
#define FORGE_TRAILING      0x10 /* one byte after the final message */

typedef struct {
	const unsigned char *index;   /* index plaintext, any bytes */
	size_t index_len;
	int64_t index_len_delta;      /* added to the length the header declares */
	const unsigned char *content; /* content plaintext */
	size_t content_len;
	size_t chunk;                 /* content bytes per message; 0 = SP_CHUNK_BYTES */
	unsigned flags;
} forge_spec;

/* A bundle to forge_sk[0] with header, MAC and payload all valid for the given plaintext.
 * *out is malloc'd; the caller frees. 0, or -1 when out of memory or not initialized. */
int forge_bundle(unsigned char **out, size_t *outlen, const forge_spec *s);

/* One input each; they return the first error of the code under test (SP_OK when everything
 * accepted it) so that the corpus replay can tell that the paths were reached. */
int fuzz_bundle(const uint8_t *data, size_t size);
int fuzz_index(const uint8_t *data, size_t size);
int fuzz_armor(const uint8_t *data, size_t size);
int fuzz_keys(const uint8_t *data, size_t size);
int fuzz_manifest(const uint8_t *data, size_t size);
int fuzz_passwd(const uint8_t *data, size_t size);

/* libFuzzer's entry point, defined by each harness unless FUZZ_NO_MAIN. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
