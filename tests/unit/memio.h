/* memio.h - a growing output buffer and a reader over bytes, for tests that seal into memory and
 * open from it (sp_write_fn / sp_read_fn). */
#ifndef SP_UNIT_MEMIO_H
#define SP_UNIT_MEMIO_H
#include "unit.h"

#include <stdlib.h>

#include "sp_err.h"

typedef struct {
	unsigned char *p;
	size_t len, cap;
} membuf;

typedef struct {
	const unsigned char *p;
	size_t len, off;
} memsrc;

static inline int mem_write(void *ctx, const unsigned char *buf, size_t len)
{
	membuf *b = ctx;

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, buf, len);
	b->len += len;
	return SP_OK;
}

static inline int mem_read(void *ctx, unsigned char *buf, size_t len, size_t *got)
{
	memsrc *s = ctx;
	size_t n = s->len - s->off < len ? s->len - s->off : len;

	memcpy(buf, s->p + s->off, n);
	s->off += n;
	*got = n;
	return SP_OK;
}
#endif
