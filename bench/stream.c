/* stream.c - the ceiling for make bench: raw libsodium secretstream push/pull and Argon2id alone.
 *
 *   stream push KEYFILE [IN [OUT]]   encrypt IN (else stdin) to OUT (else stdout)
 *   stream pull KEYFILE [IN [OUT]]   decrypt; exit 1 on any failed authentication or truncation
 *   stream kdf PASSFILE              Argon2id of the passphrase at secretpack's default cost
 *
 * The stream has the payload's shape (doc/FORMAT.md): a 24-byte header, messages of
 * SP_CHUNK_BYTES plaintext tagged MESSAGE, each with 32 bytes of additional data (the header MAC
 * in a bundle), then an empty FINAL message. KEYFILE holds the 32-byte key. There is no index
 * and no per-entry file handling: this is the crypto and the I/O alone, one core, read(2) and
 * write(2) of one message at a time. Output goes to OUT as it is produced (pull too), so it is a
 * ceiling, not a safe tool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <argon2.h>
#include <sodium.h>

#include "sp_bundle.h"
#include "sp_kdf.h"

#define KEY_BYTES crypto_secretstream_xchacha20poly1305_KEYBYTES
#define HDR_BYTES crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define OVERHEAD crypto_secretstream_xchacha20poly1305_ABYTES
#define MSG_MAX (SP_CHUNK_BYTES + OVERHEAD)
#define AD_BYTES 32

static const unsigned char ad[AD_BYTES] = "secretpack bench stream ad 32 b";

static void usage(FILE *f)
{
	fprintf(f, "usage: stream push KEYFILE [IN [OUT]]\n"
	           "       stream pull KEYFILE [IN [OUT]]\n"
	           "       stream kdf PASSFILE\n"
	           "  push/pull: raw secretstream in %d-byte messages (the bundle payload's shape);\n"
	           "  kdf: Argon2id t=%u m=%u KiB p=%u, 32-byte output (secretpack's default)\n",
	    SP_CHUNK_BYTES, SP_KDF_T_DEFAULT, SP_KDF_M_DEFAULT, SP_KDF_P_DEFAULT);
}

/* read_full reads up to len bytes; *got < len only at end of input. */
static int read_full(int fd, unsigned char *buf, size_t len, size_t *got)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*got = off;
	return 0;
}

static int write_full(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_small_file(const char *path, unsigned char *buf, size_t cap, size_t *got)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = read_full(fd, buf, cap, got);
	close(fd);
	return r;
}

static int push(int in, int out, const unsigned char *key)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char hdr[HDR_BYTES];
	unsigned char *pt = NULL, *ct = NULL;
	unsigned long long clen;
	size_t got;
	int ret = 1;

	if ((pt = malloc(SP_CHUNK_BYTES)) == NULL || (ct = malloc(MSG_MAX)) == NULL) {
		fprintf(stderr, "stream: push: out of memory\n");
		goto out;
	}
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, key);
	if (write_full(out, hdr, sizeof hdr) != 0)
		goto io;
	for (;;) {
		if (read_full(in, pt, SP_CHUNK_BYTES, &got) != 0)
			goto io;
		if (got > 0) {
			crypto_secretstream_xchacha20poly1305_push(&st, ct, &clen, pt, got, ad, sizeof ad,
			    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
			if (write_full(out, ct, (size_t)clen) != 0)
				goto io;
		}
		if (got < SP_CHUNK_BYTES)
			break;
	}
	crypto_secretstream_xchacha20poly1305_push(&st, ct, &clen, NULL, 0, ad, sizeof ad,
	    crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	if (write_full(out, ct, (size_t)clen) != 0)
		goto io;
	ret = 0;
	goto out;
io:
	fprintf(stderr, "stream: push: %s\n", strerror(errno));
out:
	sodium_memzero(&st, sizeof st);
	free(pt);
	free(ct);
	return ret;
}

/* pull keeps one message and the next 17 bytes buffered: a message is a full chunk while more
 * than a final message's worth follows it; at the end of input, what is left before the last 17
 * bytes is the last (short) chunk. */
static int pull(int in, int out, const unsigned char *key)
{
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned char hdr[HDR_BYTES];
	unsigned char *buf = NULL, *pt = NULL, tag;
	unsigned long long plen;
	size_t have = 0, got, mlen;
	unsigned long msgs = 0;
	int ret = 1, final = 0;

	if ((buf = malloc(MSG_MAX + OVERHEAD)) == NULL || (pt = malloc(SP_CHUNK_BYTES)) == NULL) {
		fprintf(stderr, "stream: pull: out of memory\n");
		goto out;
	}
	if (read_full(in, hdr, sizeof hdr, &got) != 0)
		goto io;
	if (got < sizeof hdr || crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr, key) != 0) {
		fprintf(stderr, "stream: pull: truncated or bad stream header\n");
		goto out;
	}
	while (!final) {
		if (read_full(in, buf + have, MSG_MAX + OVERHEAD - have, &got) != 0)
			goto io;
		have += got;
		if (have == MSG_MAX + OVERHEAD)
			mlen = MSG_MAX;
		else if (have > OVERHEAD)
			mlen = have - OVERHEAD;
		else
			mlen = have;
		if (mlen < OVERHEAD) {
			fprintf(stderr, "stream: pull: truncated after message %lu\n", msgs);
			goto out;
		}
		if (crypto_secretstream_xchacha20poly1305_pull(&st, pt, &plen, &tag, buf, mlen, ad,
		        sizeof ad) != 0) {
			fprintf(stderr, "stream: pull: message %lu failed authentication\n", msgs);
			goto out;
		}
		final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
		if (final != (plen == 0 && mlen == have) ||
		    (!final && tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)) {
			fprintf(stderr, "stream: pull: message %lu has the wrong tag\n", msgs);
			goto out;
		}
		if (write_full(out, pt, (size_t)plen) != 0)
			goto io;
		memmove(buf, buf + mlen, have - mlen);
		have -= mlen;
		msgs++;
	}
	ret = 0;
	goto out;
io:
	fprintf(stderr, "stream: pull: %s\n", strerror(errno));
out:
	sodium_memzero(&st, sizeof st);
	if (pt != NULL)
		sodium_memzero(pt, SP_CHUNK_BYTES);
	free(buf);
	free(pt);
	return ret;
}

/* kdf runs Argon2id as secretpack's sp_kdf_derive does (libargon2, lanes = threads = p). */
static int kdf(const char *passfile)
{
	unsigned char pass[SP_PASS_MAX + 1], salt[SP_KDF_SALT_BYTES], out[SP_KDF_KEY_BYTES];
	size_t len;
	int rc, ret = 1;

	if (read_small_file(passfile, pass, sizeof pass, &len) != 0) {
		fprintf(stderr, "stream: kdf: %s: %s\n", passfile, strerror(errno));
		goto out;
	}
	if (len > 0 && pass[len - 1] == '\n') { /* one line, as secretpack reads a passphrase file */
		len--;
		if (len > 0 && pass[len - 1] == '\r')
			len--;
	}
	randombytes_buf(salt, sizeof salt);
	rc = argon2id_hash_raw(SP_KDF_T_DEFAULT, SP_KDF_M_DEFAULT, SP_KDF_P_DEFAULT, pass, len, salt,
	    sizeof salt, out, sizeof out);
	if (rc != ARGON2_OK) {
		fprintf(stderr, "stream: kdf: %s\n", argon2_error_message(rc));
		goto out;
	}
	ret = 0;
out:
	sodium_memzero(pass, sizeof pass);
	sodium_memzero(out, sizeof out);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned char key[KEY_BYTES + 1];
	size_t len;
	int in = 0, out = 1, ret = 1;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "stream: libsodium failed to initialise\n");
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "kdf") == 0)
		return kdf(argv[2]);
	if (argc < 3 || argc > 5 || (strcmp(argv[1], "push") != 0 && strcmp(argv[1], "pull") != 0)) {
		usage(stderr);
		return 2;
	}
	if (read_small_file(argv[2], key, sizeof key, &len) != 0 || len != KEY_BYTES) {
		fprintf(stderr, "stream: %s: the key file must hold exactly %d bytes\n", argv[2],
		    KEY_BYTES);
		goto out;
	}
	if (argc >= 4 && strcmp(argv[3], "-") != 0 && (in = open(argv[3], O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "stream: %s: %s\n", argv[3], strerror(errno));
		goto out;
	}
	if (argc == 5 && strcmp(argv[4], "-") != 0 &&
	    (out = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "stream: %s: %s\n", argv[4], strerror(errno));
		goto out;
	}
	ret = strcmp(argv[1], "push") == 0 ? push(in, out, key) : pull(in, out, key);
	if (out != 1 && close(out) != 0 && ret == 0) {
		fprintf(stderr, "stream: %s: %s\n", argv[4], strerror(errno));
		ret = 1;
	}
out:
	sodium_memzero(key, sizeof key);
	return ret;
}
