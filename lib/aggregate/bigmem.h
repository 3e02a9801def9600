/*
 * bigmem.h - large arrays on transparent huge pages (private to lib/aggregate/).
 *
 * The aggregate's key buffers, sort scratch, sorted runs and host tables reach tens to
 * hundreds of MiB. An array of at least DS_BIG_MIN bytes is its own anonymous mapping, a
 * multiple of 2 MiB long, that grows with mremap() (pages move, none is copied); smaller
 * arrays come from malloc. The capacity in bytes tells which: the caller keeps it.
 *
 * Only the host tables ask for transparent huge pages (ds_big_huge): their updates are random
 * and a page walk is expensive in the VM. The key arrays are streamed; on huge pages their
 * first touches cost more, not less, on the development VM (analyze -j 1 on the bench capture
 * 2.3-2.6 s instead of 1.9-2.1: the kernel zeroes fresh 2 MiB pages that the hypervisor must
 * first back, docs/PERFORMANCE.md).
 */
#ifndef DS_AGGREGATE_BIGMEM_H
#define DS_AGGREGATE_BIGMEM_H

#include <stdbool.h>
#include <stddef.h>

/* Arrays of at least this many bytes are mappings of their own. */
#define DS_BIG_MIN ((size_t)4 << 20)

/*
 * ds_big_alloc - room for at least `bytes` bytes (zeroed when zero is true); *cap gets the
 * capacity in bytes (at least `bytes`), to pass to ds_big_grow and ds_big_free. NULL when out
 * of memory (or bytes is 0).
 */
void *ds_big_alloc(size_t bytes, bool zero, size_t *cap);

/*
 * ds_big_grow - grow p (capacity *cap) to at least `bytes` bytes, keeping its content; the
 * new part is not initialised. Returns the array, which may have moved, and updates *cap; NULL
 * when out of memory (p is then unchanged). p may be NULL (with *cap 0).
 */
void *ds_big_grow(void *p, size_t *cap, size_t bytes);

/* ds_big_huge - ask for transparent huge pages for p (capacity cap) when it is a mapping. */
void ds_big_huge(void *p, size_t cap);

/* ds_big_free - release p of capacity cap. NULL is a no-op. */
void ds_big_free(void *p, size_t cap);

#endif
