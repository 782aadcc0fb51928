/* sp_secmem.h - locked memory for keys and plaintext, from one arena per process. */
#ifndef SP_SECMEM_H
#define SP_SECMEM_H

#include <stddef.h>

/* Maps the arena if it is not mapped yet: guard pages at both ends, kept out of core dumps, and
 * locked. SP_OK when all of it is locked; SP_ERR_PRIV when locking was refused (errno says why:
 * RLIMIT_MEMLOCK), in which case its first pages, where the keys go, are still locked if the
 * limit allows any; SP_ERR_NOMEM when it cannot be mapped (allocations then use sodium_malloc).
 * Calling it is optional: the first sp_secmem_alloc does it. */
int sp_secmem_init(void);

/* n bytes, 64-byte aligned and zero-filled, from the arena; when the arena is full or unmapped,
 * from sodium_malloc. NULL when neither can. The caller frees with sp_secmem_free. */
void *sp_secmem_alloc(size_t n);

/* Wipes and releases p (NULL is ignored). Takes a pointer from sp_secmem_alloc or from
 * sodium_malloc alike. A block whose bookkeeping was overwritten aborts the process. */
void sp_secmem_free(void *p);

#endif
