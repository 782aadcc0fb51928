/* sp_secmem.c - locked memory for keys and plaintext: one arena per process, mapped with guard
 * pages, kept out of core dumps and locked once, instead of sodium_malloc's guarded mapping per
 * buffer (an mmap, three mprotects, a madvise and an mlock to allocate, four calls more to free).
 * The arena is the process's one allocator state, like malloc's own: a static, not an option. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "sp_err.h"
#include "sp_secmem.h"

/* Room for what `run` holds at once: the key text, the identities, and an opened bundle's keys,
 * index and one payload chunk (64 KiB). Anything that does not fit comes from sodium_malloc. All
 * of it is locked, so every page is made resident at once: no larger than that. */
#define ARENA_BYTES (96u << 10)
#define ALIGN 64u /* a cache line: the opener's chunk is _Alignas(64) (the kernel copies from
                   * an aligned buffer at twice the speed) */
#define MAGIC 0x53504d31u

/* Before every block; blocks follow each other from the bottom of the arena. */
typedef struct {
	uint32_t size;  /* bytes of the block, a multiple of ALIGN */
	uint32_t prev;  /* offset of the previous block's header plus one; 0 for the first block */
	uint32_t magic;
	uint32_t used;
	unsigned char pad[ALIGN - 16]; /* so the block after it starts aligned */
} head;
_Static_assert(sizeof(head) == ALIGN, "a block header is one alignment unit");

static struct {
	unsigned char *map;   /* the mapping, guard pages included */
	unsigned char *base;  /* the first byte after the low guard page */
	size_t top;           /* end of the last block */
	size_t last;          /* offset of the last block's header plus one; 0 when empty */
	int state;            /* 0 not tried, 1 mapped, -1 cannot be mapped */
	int locked;           /* all of it */
	int lock_errno;       /* why not, for a later sp_secmem_init */
} arena;

int sp_secmem_init(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096, len;
	unsigned char *m;
	int e;

	if (arena.state > 0) {
		if (!arena.locked)
			errno = arena.lock_errno;
		return arena.locked ? SP_OK : SP_ERR_PRIV;
	}
	if (arena.state < 0)
		return SP_ERR_NOMEM;
	arena.state = -1;
	if (ARENA_BYTES % page != 0)
		return SP_ERR_NOMEM;
	/* cppcheck-suppress invalidFunctionArg ; MAP_ANONYMOUS takes fd -1 (mmap(2)) */
	m = mmap(NULL, ARENA_BYTES + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return SP_ERR_NOMEM;
	if (mprotect(m + page, ARENA_BYTES, PROT_READ | PROT_WRITE) != 0) {
		(void)munmap(m, ARENA_BYTES + 2 * page);
		return SP_ERR_NOMEM;
	}
	(void)madvise(m + page, ARENA_BYTES, MADV_DONTDUMP);
	arena.map = m; /* the process's for its lifetime: never unmapped */
	arena.base = m + page;
	arena.state = 1;
	if (mlock(arena.base, ARENA_BYTES) == 0) {
		arena.locked = 1;
		return SP_OK;
	}
	/* Over the limit (ENOMEM): blocks are handed out from the bottom, keys first, so lock what
	 * the limit allows there. EPERM: no locking at all is allowed. */
	e = errno;
	for (len = ARENA_BYTES / 2; e == ENOMEM && len >= page; len /= 2)
		if (mlock(arena.base, len) == 0)
			break;
	errno = arena.lock_errno = e;
	return SP_ERR_PRIV;
}

void *sp_secmem_alloc(size_t n)
{
	size_t size = n == 0 ? ALIGN : (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	head *h;
	void *p;

	if (arena.state == 0)
		(void)sp_secmem_init();
	if (arena.state < 0 || n > ARENA_BYTES || size + sizeof *h > ARENA_BYTES - arena.top) {
		if ((p = sodium_malloc(n)) != NULL)
			memset(p, 0, n);
		return p;
	}
	h = (head *)(void *)(arena.base + arena.top);
	h->size = (uint32_t)size;
	h->prev = (uint32_t)arena.last;
	h->magic = MAGIC;
	h->used = 1;
	arena.last = arena.top + 1;
	arena.top += sizeof *h + size;
	return h + 1;
}

void sp_secmem_free(void *p)
{
	unsigned char *c = p;
	size_t off;
	head *h;

	if (p == NULL)
		return;
	if (arena.state <= 0 || c < arena.base || c >= arena.base + ARENA_BYTES) {
		sodium_free(p);
		return;
	}
	off = (size_t)(c - arena.base);
	h = (head *)(void *)(c - sizeof *h);
	if (off < sizeof *h || off % ALIGN != 0 || h->magic != MAGIC || h->used != 1 ||
	    off + h->size > arena.top)
		abort(); /* a block overran its neighbour, or p was freed twice: stop, as libsodium does */
	sodium_memzero(c, h->size);
	h->used = 0;
	/* Give back the free blocks at the top. */
	while (arena.last != 0) {
		head *t = (head *)(void *)(arena.base + arena.last - 1);
		size_t at = arena.last - 1;
		if (t->used)
			break;
		arena.last = t->prev;
		sodium_memzero(t, sizeof *t);
		arena.top = at;
	}
}
