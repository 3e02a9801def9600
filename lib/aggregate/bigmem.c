/*
 * bigmem.c - large arrays on transparent huge pages (see bigmem.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "aggregate/bigmem.h"

#define HUGE_PAGE ((size_t)2 << 20)

static size_t round_huge(size_t bytes)
{
    return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* map - a new mapping of len bytes (a multiple of HUGE_PAGE). */
static void *map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void ds_big_huge(void *p, size_t cap)
{
    if (p != NULL && cap >= DS_BIG_MIN)
        madvise(p, cap, MADV_HUGEPAGE); /* advice only: nothing changes where it is refused */
}

void *ds_big_alloc(size_t bytes, bool zero, size_t *cap)
{
    *cap = 0;
    if (bytes == 0)
        return NULL;
    if (bytes < DS_BIG_MIN) {
        void *p = zero ? calloc(1, bytes) : malloc(bytes);
        if (p != NULL)
            *cap = bytes;
        return p;
    }
    size_t len = round_huge(bytes);
    if (len < bytes)
        return NULL;
    void *p = map(len); /* fresh anonymous pages are zero */
    if (p != NULL)
        *cap = len;
    return p;
}

void *ds_big_grow(void *p, size_t *cap, size_t bytes)
{
    if (bytes <= *cap && p != NULL)
        return p;
    if (p == NULL) {
        size_t c;
        void *q = ds_big_alloc(bytes, false, &c);
        if (q != NULL)
            *cap = c;
        return q;
    }
    if (bytes < DS_BIG_MIN) {
        void *q = realloc(p, bytes);
        if (q != NULL)
            *cap = bytes;
        return q;
    }
    size_t len = round_huge(bytes);
    if (len < bytes)
        return NULL;
    if (*cap < DS_BIG_MIN) {
        /* From malloc to a mapping: one copy, then the old block goes. */
        void *q = map(len);
        if (q == NULL)
            return NULL;
        memcpy(q, p, *cap);
        free(p);
        *cap = len;
        return q;
    }
    void *q = mremap(p, *cap, len, MREMAP_MAYMOVE);
    if (q == MAP_FAILED)
        return NULL;
    *cap = len;
    return q;
}

void ds_big_free(void *p, size_t cap)
{
    if (p == NULL)
        return;
    if (cap < DS_BIG_MIN)
        free(p);
    else
        munmap(p, cap);
}
