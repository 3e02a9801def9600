/*
 * bigmem.h - large arrays on transparent huge pages (private to lib/aggregate/).
 *
 * The aggregate's key buffers, sort scratch, sorted runs and host tables reach tens to
 * hundreds of MiB, and most of their pages are touched for the first time while the input is
 * read. On the development VM a first touch costs about 2 us per 4 KiB page (0.2 s per
 * 400 MiB), and a 2 MiB huge page about a fifth of that per byte (docs/PERFORMANCE.md). So an
 * array of at least DS_BIG_MIN bytes is its own anonymous mapping, a multiple of 2 MiB long
 * with MADV_HUGEPAGE, that grows with mremap() (pages move, none is copied); smaller arrays
 * come from malloc. The capacity in bytes tells which: the caller keeps it.
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

/* ds_big_free - release p of capacity cap. NULL is a no-op. */
void ds_big_free(void *p, size_t cap);

#endif
