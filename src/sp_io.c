/* sp_io.c - front-end file helpers: capped reads, create-then-rename outputs, bundle sources,
 * passphrases and identities from files, descriptors, the environment or the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "sp_bundle.h"
#include "sp_encoding.h"
#include "sp_err.h"
#include "sp_io.h"
#include "sp_kdf.h"
#include "sp_secmem.h"

#define PASS_MAX SP_PASS_MAX

static void *buf_alloc(size_t n, int secret)
{
	if (secret == SP_IO_LOCKED)
		return sp_secmem_alloc(n);
	return secret ? sodium_malloc(n) : malloc(n);
}

void sp_io_free(unsigned char *buf, size_t len, int secret)
{
	if (buf == NULL)
		return;
	if (secret) {
		sp_secmem_free(buf); /* wipes; takes the arena's blocks and sodium_malloc's alike */
	} else {
		(void)len;
		free(buf);
	}
}

int sp_io_read_fd(int fd, size_t max, int secret, unsigned char **out, size_t *len)
{
	unsigned char *buf = NULL, *nbuf;
	size_t cap = 4096, n = 0;
	ssize_t r;
	int err = SP_ERR_NOMEM;

	*out = NULL;
	*len = 0;
	if ((buf = buf_alloc(cap + 1, secret)) == NULL)
		goto out;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				err = SP_ERR_LIMIT;
				goto out;
			}
			if ((nbuf = buf_alloc(cap * 2 + 1, secret)) == NULL)
				goto out;
			memcpy(nbuf, buf, n);
			sodium_memzero(buf, n);
			sp_io_free(buf, cap, secret);
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = SP_ERR_IO;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			err = SP_ERR_LIMIT;
			goto out;
		}
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	buf = NULL;
	err = SP_OK;
out:
	if (buf != NULL) {
		sodium_memzero(buf, n);
		sp_io_free(buf, cap, secret);
	}
	return err;
}

/* A FIFO opened without blocking: wait until a writer has written or come and gone (Linux reports
 * no hang-up for a FIFO no writer has opened yet), then read to its end. */
static int read_pipe(int fd, size_t max, int secret, unsigned char **out, size_t *len)
{
	struct pollfd p = { fd, POLLIN, 0 };

	while (poll(&p, 1, -1) < 0)
		if (errno != EINTR)
			return SP_ERR_IO;
	if (fcntl(fd, F_SETFL, O_RDONLY) != 0)
		return SP_ERR_IO;
	return sp_io_read_fd(fd, max, secret, out, len);
}
/* A regular file (or, with allow_fifo, a pipe), already opened and fstat'ed as st. */
static int read_opened(int fd, const struct stat *st, size_t max, int private_only, int allow_fifo,
    int secret, unsigned char **out, size_t *len)
{
	int fifo = allow_fifo && S_ISFIFO(st->st_mode);

	if (!S_ISREG(st->st_mode) && !fifo)
		return SP_ERR_UNSAFE_PATH;
	if (private_only && (st->st_mode & 077) != 0)
		return SP_ERR_PERM;
	if (fifo)
		return read_pipe(fd, max, secret, out, len);
	if ((unsigned long long)st->st_size > max)
		return SP_ERR_LIMIT;
	if (fcntl(fd, F_SETFL, O_RDONLY) != 0)
		return SP_ERR_IO;
	return sp_io_read_fd(fd, max, secret, out, len);
}

/* "-" is stdin. O_NONBLOCK: a FIFO planted where a file is expected must not hang us; a regular
 * file is read in blocking mode again. */
static int read_path(const char *path, size_t max, int secret, int private_only, int allow_fifo,
    unsigned char **out, size_t *len)
{
	struct stat st;
	int fd, err, saved;

	*out = NULL;
	*len = 0;
	if (!strcmp(path, "-"))
		return sp_io_read_fd(STDIN_FILENO, max, secret, out, len);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return errno == ENOENT ? SP_ERR_NOT_FOUND : SP_ERR_IO;
	if (fstat(fd, &st) != 0)
		err = SP_ERR_IO;
	else
		err = read_opened(fd, &st, max, private_only, allow_fifo, secret, out, len);
	saved = errno;
	close(fd);
	errno = saved;
	return err;
}

int sp_io_read_file(const char *path, size_t max, int secret, int private_only,
    unsigned char **out, size_t *len)
{
	return read_path(path, max, secret, private_only, 0, out, len);
}

int sp_io_read_input(const char *path, size_t max, int secret, int private_only,
    unsigned char **out, size_t *len)
{
	return read_path(path, max, secret, private_only, 1, out, len);
}

int sp_io_write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return SP_ERR_IO;
		buf += w;
		len -= (size_t)w;
	}
	return SP_OK;
}

/* ---- bundle sources ---- */

struct sp_source {
	int fd;
	int own_fd;
	unsigned char peek[64];
	size_t peek_len, peek_off;
	off_t start; /* the offset the descriptor was at (stdin need not be at 0) */
	unsigned char *mem; /* decoded armor */
	size_t mem_len, mem_off;
};

int sp_io_read_full(int fd, unsigned char *buf, size_t len, size_t *got)
{
	size_t n = 0;

	while (n < len) {
		ssize_t r = read(fd, buf + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return SP_ERR_IO;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*got = n;
	return SP_OK;
}

int sp_source_open(sp_source **out, const char *path)
{
	sp_source *s;
	unsigned char *rest = NULL, *text = NULL;
	size_t rest_len = 0;
	struct stat st;
	int err;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return SP_ERR_NOMEM;
	s->fd = -1;
	if (!strcmp(path, "-")) {
		s->fd = STDIN_FILENO;
	} else {
		if ((s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
			err = errno == ENOENT ? SP_ERR_NOT_FOUND : SP_ERR_IO;
			goto out;
		}
		s->own_fd = 1;
		if (fstat(s->fd, &st) != 0) {
			err = SP_ERR_IO;
			goto out;
		}
		if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
			err = SP_ERR_UNSAFE_PATH;
			goto out;
		}
	}
	if ((s->start = lseek(s->fd, 0, SEEK_CUR)) < 0)
		s->start = 0; /* a pipe: never rewound */
	if ((err = sp_io_read_full(s->fd, s->peek, sizeof s->peek, &s->peek_len)) != SP_OK)
		goto out;
	if (sp_armor_detect(s->peek, s->peek_len)) {
		if ((err = sp_io_read_fd(s->fd, SP_ARMOR_MAX, 0, &rest, &rest_len)) != SP_OK)
			goto out;
		if (s->peek_len + rest_len > SP_ARMOR_MAX) {
			err = SP_ERR_LIMIT;
			goto out;
		}
		if ((text = malloc(s->peek_len + rest_len + 1)) == NULL) {
			err = SP_ERR_NOMEM;
			goto out;
		}
		memcpy(text, s->peek, s->peek_len);
		memcpy(text + s->peek_len, rest, rest_len);
		err = sp_armor_decode(&s->mem, &s->mem_len, (const char *)text, s->peek_len + rest_len);
		if (err != SP_OK)
			goto out;
		s->peek_len = 0;
	}
	*out = s;
	s = NULL;
	err = SP_OK;
out:
	free(rest);
	free(text);
	sp_source_close(s);
	return err;
}

int sp_source_read(void *src, unsigned char *buf, size_t len, size_t *got)
{
	sp_source *s = src;
	size_t n = 0, more = 0;
	int err;

	if (s->mem != NULL) {
		n = s->mem_len - s->mem_off < len ? s->mem_len - s->mem_off : len;
		memcpy(buf, s->mem + s->mem_off, n);
		s->mem_off += n;
		*got = n;
		return SP_OK;
	}
	if (s->peek_off < s->peek_len) {
		n = s->peek_len - s->peek_off < len ? s->peek_len - s->peek_off : len;
		memcpy(buf, s->peek + s->peek_off, n);
		s->peek_off += n;
	}
	if (n < len) {
		if ((err = sp_io_read_full(s->fd, buf + n, len - n, &more)) != SP_OK)
			return err;
	}
	*got = n + more;
	return SP_OK;
}

int sp_source_rereadable(const sp_source *s)
{
	struct stat st;

	return s->mem != NULL || (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode));
}

int sp_source_rewind(sp_source *s)
{
	if (s->mem != NULL) {
		s->mem_off = 0;
		return SP_OK;
	}
	if (!sp_source_rereadable(s))
		return SP_ERR_ARG;
	if (lseek(s->fd, s->start + (off_t)s->peek_len, SEEK_SET) != s->start + (off_t)s->peek_len)
		return SP_ERR_IO;
	s->peek_off = 0;
	return SP_OK;
}

void sp_source_close(sp_source *s)
{
	if (s == NULL)
		return;
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	free(s->mem);
	free(s);
}

/* ---- outputs: create a temporary beside the target, rename into place ---- */

struct sp_outfile {
	int fd;
	int no_clobber;
	char *path;
	char *tmp;
};

int sp_outfile_open(sp_outfile **out, const char *path, mode_t mode, int no_clobber)
{
	sp_outfile *of;
	struct stat st;
	const char *slash;
	unsigned char rnd[6];
	int err = SP_ERR_NOMEM, n;
	size_t dirlen, cap;

	*out = NULL;
	if (no_clobber && lstat(path, &st) == 0)
		return SP_ERR_EXISTS;
	if ((of = calloc(1, sizeof *of)) == NULL)
		return SP_ERR_NOMEM;
	of->fd = -1;
	of->no_clobber = no_clobber;
	if ((of->path = strdup(path)) == NULL)
		goto out;
	slash = strrchr(path, '/');
	dirlen = slash ? (size_t)(slash - path) + 1 : 0;
	cap = strlen(path) + 32;
	if ((of->tmp = malloc(cap)) == NULL)
		goto out;
	for (int tries = 0; tries < 16; tries++) {
		randombytes_buf(rnd, sizeof rnd);
		n = snprintf(of->tmp, cap, "%.*s.%s.tmp-%02x%02x%02x%02x%02x%02x", (int)dirlen, path,
		    path + dirlen, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		if (n < 0 || (size_t)n >= cap)
			goto out;
		of->fd = open(of->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (of->fd >= 0 || errno != EEXIST)
			break;
	}
	if (of->fd < 0) {
		err = errno == ENOENT ? SP_ERR_NOT_FOUND : SP_ERR_IO;
		free(of->tmp);
		of->tmp = NULL;
		goto out;
	}
	if (fchmod(of->fd, mode) != 0) {
		err = SP_ERR_IO;
		goto out;
	}
	*out = of;
	of = NULL;
	err = SP_OK;
out:
	sp_outfile_free(of);
	return err;
}

int sp_outfile_write(void *of, const unsigned char *buf, size_t len)
{
	const sp_outfile *f = of;

	return sp_io_write_all(f->fd, buf, len);
}

int sp_outfile_commit(sp_outfile *of)
{
	int fd = of->fd;

	of->fd = -1;
	if (fsync(fd) != 0) {
		close(fd);
		return SP_ERR_IO;
	}
	if (close(fd) != 0)
		return SP_ERR_IO;
	if (of->no_clobber) {
		/* link() fails if the target appeared meanwhile: never overwrite. */
		if (link(of->tmp, of->path) != 0)
			return errno == EEXIST ? SP_ERR_EXISTS : SP_ERR_IO;
		(void)unlink(of->tmp);
	} else if (rename(of->tmp, of->path) != 0) {
		return SP_ERR_IO;
	}
	free(of->tmp);
	of->tmp = NULL;
	return SP_OK;
}

void sp_outfile_free(sp_outfile *of)
{
	int saved = errno;

	if (of == NULL)
		return;
	if (of->fd >= 0)
		close(of->fd);
	if (of->tmp != NULL)
		(void)unlink(of->tmp);
	free(of->tmp);
	free(of->path);
	free(of);
	errno = saved;
}

/* ---- passphrases ---- */

/* The passphrase is the exact bytes given, less one trailing LF or CR LF (doc/FORMAT.md);
 * empty is SP_ERR_WRONG_PASS, a CR, LF or NUL inside SP_ERR_ENCODING, too long SP_ERR_LIMIT. */
static int pass_from_buf(char **pass, size_t *len, const char *src, size_t n)
{
	char *p;
	int err;

	n = sp_passphrase_line(src, n);
	if (n == 0)
		return SP_ERR_WRONG_PASS;
	if ((err = sp_passphrase_check(src, n)) != SP_OK)
		return err == SP_ERR_ARG ? SP_ERR_ENCODING : err;
	if ((p = sodium_malloc(n + 1)) == NULL)
		return SP_ERR_NOMEM;
	memcpy(p, src, n);
	p[n] = 0;
	*pass = p;
	*len = n;
	return SP_OK;
}

static int tty_read(int fd, const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios old, quiet;
	size_t n = 0;
	int err = SP_OK;
	char c;

	if (tcgetattr(fd, &old) != 0)
		return SP_ERR_ARG;
	quiet = old;
	quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		return SP_ERR_ARG;
	(void)sp_io_write_all(fd, (const unsigned char *)prompt, strlen(prompt));
	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 >= cap) {
			err = SP_ERR_LIMIT;
			break;
		}
		buf[n++] = c;
	}
	c = 0;
	(void)sp_io_write_all(fd, (const unsigned char *)"\n", 1);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	buf[n] = 0;
	*len = n;
	return err;
}

int sp_io_passphrase(char **pass, size_t *len, const char *prompt, int confirm)
{
	const char *env = getenv("SECRETPACK_PASSPHRASE");
	const char *file = getenv("SECRETPACK_PASSPHRASE_FILE");
	unsigned char *data = NULL;
	char *a = NULL, *b = NULL;
	size_t dlen = 0, alen = 0, blen = 0;
	int fd = -1, err;

	*pass = NULL;
	*len = 0;
	if (env != NULL && *env && file != NULL && *file)
		return SP_ERR_DUPLICATE; /* neither is silently preferred (run refuses both too) */
	if (env != NULL && *env)
		return pass_from_buf(pass, len, env, strlen(env));
	if (file != NULL && *file) {
		if ((err = sp_io_read_file(file, PASS_MAX + 2, 1, 1, &data, &dlen)) != SP_OK)
			return err;
		err = pass_from_buf(pass, len, (const char *)data, dlen);
		sp_io_free(data, dlen, 1);
		return err;
	}
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
		return SP_ERR_ARG;
	err = SP_ERR_NOMEM;
	if ((a = sodium_malloc(PASS_MAX + 1)) == NULL || (b = sodium_malloc(PASS_MAX + 1)) == NULL)
		goto out;
	if ((err = tty_read(fd, prompt, a, PASS_MAX + 1, &alen)) != SP_OK)
		goto out;
	if (alen == 0) {
		err = SP_ERR_WRONG_PASS;
		goto out;
	}
	if (confirm) {
		if ((err = tty_read(fd, "Confirm passphrase: ", b, PASS_MAX + 1, &blen)) != SP_OK)
			goto out;
		if (alen != blen || sodium_memcmp(a, b, alen) != 0) {
			err = SP_ERR_WRONG_PASS;
			goto out;
		}
	}
	err = pass_from_buf(pass, len, a, alen);
out:
	if (fd >= 0)
		close(fd);
	if (a != NULL)
		sodium_free(a);
	if (b != NULL)
		sodium_free(b);
	return err;
}

/* ---- identities ---- */

int sp_io_identity_pass(void *ctx, char *buf, size_t cap, size_t *len)
{
	char *p = NULL;
	size_t n = 0;
	int err;

	(void)ctx;
	if ((err = sp_io_passphrase(&p, &n, "Passphrase for identity: ", 0)) != SP_OK)
		return err;
	if (n + 1 > cap) {
		err = SP_ERR_LIMIT;
	} else {
		memcpy(buf, p, n + 1);
		*len = n;
	}
	sp_io_free((unsigned char *)p, n, 1);
	return err;
}

int sp_io_key_fd(const char *val)
{
	char *end;
	long fd;

	errno = 0;
	fd = strtol(val, &end, 10);
	if (*val < '0' || *val > '9' || *end != '\0' || errno != 0 || fd > 1 << 20 ||
	    fcntl((int)fd, F_GETFD) < 0)
		return -1;
	return (int)fd;
}

/* The key on SECRETPACK_KEY_FD: a pipe, or a private regular file; read to its end, then closed. */
static int read_key_fd(const char *val, unsigned char **text, size_t *len)
{
	struct stat st;
	int fd = sp_io_key_fd(val), err, saved;

	if (fd < 0)
		return SP_ERR_ARG;
	if (fstat(fd, &st) != 0)
		err = SP_ERR_IO;
	else if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)
		err = SP_ERR_PERM;
	else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		err = SP_ERR_UNSAFE_PATH;
	else
		err = sp_io_read_fd(fd, 1u << 20, 1, text, len);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return err;
}

int sp_io_load_identities(sp_identities *ids, const char *path, size_t *bad_line)
{
	const char *env;
	unsigned char *text = NULL;
	size_t len = 0;
	int err;

	*bad_line = 0;
	if (path == NULL && (env = getenv("SECRETPACK_KEY")) != NULL && *env)
		return sp_identities_parse(ids, env, strlen(env), sp_io_identity_pass, NULL, bad_line);
	if (path == NULL && (env = getenv("SECRETPACK_KEY_FILE")) != NULL && *env)
		path = env;
	if (path == NULL && (env = getenv("SECRETPACK_KEY_FD")) != NULL && *env) {
		if ((err = read_key_fd(env, &text, &len)) != SP_OK)
			return err;
	} else if (path == NULL) {
		return SP_ERR_ARG;
	} else if ((err = sp_io_read_input(path, 1u << 20, 1, 1, &text, &len)) != SP_OK) {
		return err;
	}
	err = sp_identities_parse(ids, (const char *)text, len, sp_io_identity_pass, NULL, bad_line);
	sp_io_free(text, len, 1);
	return err;
}
