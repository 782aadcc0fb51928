/* sp_io.h - front-end file helpers shared by the CLI verbs and the run shim (not core). */
#ifndef SP_IO_H
#define SP_IO_H

#include <stddef.h>
#include <sys/types.h>

#include "sp_identity.h"

/* secret = SP_IO_LOCKED: the buffer comes from the locked arena (sp_secmem.h), for short-lived
 * key material; free it with sp_io_free(buf, len, 1) only, never with sodium_free. */
#define SP_IO_LOCKED 2

/* Reads a whole regular file (O_NOFOLLOW is not used: users name files through symlinks on
 * purpose; fstat must say regular file or, for "-", any). Files over max: SP_ERR_LIMIT.
 * secret: buffer from sodium_malloc (free with sp_io_free(buf, len, 1)), or SP_IO_LOCKED.
 * private_only: refuse a file readable or writable by group or others (SP_ERR_PERM).
 * The buffer always gets a NUL after len bytes. path "-" is stdin. */
int sp_io_read_file(const char *path, size_t max, int secret, int private_only,
    unsigned char **out, size_t *len);
int sp_io_read_fd(int fd, size_t max, int secret, unsigned char **out, size_t *len);
/* Like sp_io_read_file, for a file a user names to a developer verb (-i, -R, --sign,
 * SECRETPACK_KEY_FILE): a pipe or FIFO is also read (process substitution, "<(pass show key)"),
 * to its end and within max; private_only refuses group or other bits on a FIFO as on a file. A
 * terminal or other device is SP_ERR_UNSAFE_PATH. */
int sp_io_read_input(const char *path, size_t max, int secret, int private_only,
    unsigned char **out, size_t *len);
void sp_io_free(unsigned char *buf, size_t len, int secret);

/* Full write retrying on EINTR and short writes. */
int sp_io_write_all(int fd, const unsigned char *buf, size_t len);
/* Reads len bytes, or up to the end of input (*got says how many), retrying EINTR. */
int sp_io_read_full(int fd, unsigned char *buf, size_t len, size_t *got);

/* Bundle input: binary streamed from a file, or armored text decoded in memory. */
typedef struct sp_source sp_source;
int sp_source_open(sp_source **out, const char *path); /* "-" = stdin */
int sp_source_read(void *src, unsigned char *buf, size_t len, size_t *got); /* an sp_read_fn */
void sp_source_close(sp_source *s);
/* Back to the first byte, for a second pass: armored input, or a regular file. Else SP_ERR_ARG
 * (a pipe can be read once only). */
int sp_source_rewind(sp_source *s);
int sp_source_rereadable(const sp_source *s); /* 1 if sp_source_rewind can succeed */

/* Output created as a temporary file in the destination's folder and renamed into place by
 * commit; abort (or free without commit) unlinks it. no_clobber: refuse an existing path
 * (SP_ERR_EXISTS), checked again atomically at commit with link()+unlink(). */
typedef struct sp_outfile sp_outfile;
int sp_outfile_open(sp_outfile **out, const char *path, mode_t mode, int no_clobber);
int sp_outfile_write(void *of, const unsigned char *buf, size_t len); /* an sp_write_fn */
int sp_outfile_commit(sp_outfile *of);
void sp_outfile_free(sp_outfile *of);

/* A passphrase from SECRETPACK_PASSPHRASE, SECRETPACK_PASSPHRASE_FILE, or the terminal with echo
 * off (twice if confirm): the exact bytes, less one trailing LF or CR LF. *pass is sodium_malloc'd;
 * free with sp_io_free(...,1). No terminal and no variable: SP_ERR_ARG; empty or the entries
 * differ: SP_ERR_WRONG_PASS; a CR, LF or NUL inside: SP_ERR_ENCODING; too long: SP_ERR_LIMIT;
 * both variables set: SP_ERR_DUPLICATE. */
int sp_io_passphrase(char **pass, size_t *len, const char *prompt, int confirm);

/* An sp_pass_fn for encrypted identities: asks sp_io_passphrase and copies into buf. */
int sp_io_identity_pass(void *ctx, char *buf, size_t cap, size_t *len);

/* Identities from path (private_only enforced; a pipe is read too), or if path is NULL from
 * SECRETPACK_KEY (identity text), SECRETPACK_KEY_FILE or SECRETPACK_KEY_FD (the descriptor is read
 * to its end and closed: a regular file behind it must be private). Encrypted identities ask
 * sp_io_passphrase. */
int sp_io_load_identities(sp_identities *ids, const char *path, size_t *bad_line);
/* The descriptor SECRETPACK_KEY_FD's value names (decimal, open), or -1. */
int sp_io_key_fd(const char *val);

#endif
