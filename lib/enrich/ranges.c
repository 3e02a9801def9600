/*
 * ranges.c - overlapping IPv4 range sets with a prefix-maximum index (see ranges.h).
 */
#include <stdlib.h>
#include <string.h>

#include "enrich/ranges.h"

ds_status ds_ranges_add(ds_ranges *s, uint32_t first, uint32_t last, uint32_t value, ds_error *err)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        ds_range *grown = realloc(s->r, cap * sizeof(*grown));
        if (grown == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        s->r = grown;
        s->cap = cap;
    }
    s->r[s->n++] = (ds_range){first, last, value};
    return DS_OK;
}

static int cmp_range(const void *a, const void *b)
{
    const ds_range *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    if (x->last != y->last)
        return x->last > y->last ? -1 : 1; /* wider first: narrower ones are met first */
    return (x->value > y->value) - (x->value < y->value);
}

ds_status ds_ranges_finish(ds_ranges *s, ds_error *err)
{
    free(s->max_last);
    s->max_last = NULL;
    if (s->n == 0)
        return DS_OK;
    qsort(s->r, s->n, sizeof(*s->r), cmp_range);
    s->max_last = malloc(s->n * sizeof(*s->max_last));
    if (s->max_last == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    uint32_t m = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->r[i].last > m)
            m = s->r[i].last;
        s->max_last[i] = m;
    }
    return DS_OK;
}

/* upper - the number of ranges whose first address is <= addr. */
static size_t upper(const ds_ranges *s, uint32_t addr)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->r[mid].first <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

long ds_ranges_narrowest(const ds_ranges *s, uint32_t addr)
{
    long best = -1;
    uint32_t best_width = UINT32_MAX;
    for (size_t i = upper(s, addr); i > 0 && s->max_last[i - 1] >= addr; i--) {
        const ds_range *r = &s->r[i - 1];
        if (r->last < addr)
            continue;
        uint32_t width = r->last - r->first;
        if (best < 0 || width < best_width) {
            best = (long)(i - 1);
            best_width = width;
        }
    }
    return best;
}

void ds_ranges_overlapping(const ds_ranges *s, uint32_t first, uint32_t last,
                           int (*fn)(void *ctx, const ds_range *r), void *ctx)
{
    for (size_t i = upper(s, last); i > 0 && s->max_last[i - 1] >= first; i--) {
        const ds_range *r = &s->r[i - 1];
        if (r->last >= first && fn(ctx, r) != 0)
            return;
    }
}

bool ds_enrich_parse_ipv4(const char *s, size_t len, uint32_t *out)
{
    uint32_t addr = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return false;
            i++;
        }
        unsigned v = 0, digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            digits++;
            i++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return false;
        addr = addr << 8 | v;
    }
    if (i != len)
        return false;
    *out = addr;
    return true;
}

void ds_ranges_free(ds_ranges *s)
{
    free(s->r);
    free(s->max_last);
    s->r = NULL;
    s->max_last = NULL;
    s->n = s->cap = 0;
}

static uint64_t name_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static ds_status names_grow(ds_names *t, ds_error *err)
{
    size_t cap = t->table_cap ? t->table_cap * 2 : 256;
    uint32_t *table = calloc(cap, sizeof(*table));
    if (table == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    for (size_t id = 0; id < t->n; id++) {
        size_t j = name_hash(t->names[id], strlen(t->names[id])) & (cap - 1);
        while (table[j] != 0)
            j = (j + 1) & (cap - 1);
        table[j] = (uint32_t)id + 1;
    }
    free(t->table);
    t->table = table;
    t->table_cap = cap;
    return DS_OK;
}

ds_status ds_names_intern(ds_names *t, const char *s, size_t len, uint32_t *id, ds_error *err)
{
    if ((t->n + 1) * 2 > t->table_cap) {
        ds_status st = names_grow(t, err);
        if (st != DS_OK)
            return st;
    }
    size_t j = name_hash(s, len) & (t->table_cap - 1);
    while (t->table[j] != 0) {
        const char *name = t->names[t->table[j] - 1];
        if (strlen(name) == len && memcmp(name, s, len) == 0) {
            *id = t->table[j] - 1;
            return DS_OK;
        }
        j = (j + 1) & (t->table_cap - 1);
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **grown = realloc(t->names, cap * sizeof(*grown));
        if (grown == NULL)
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        t->names = grown;
        t->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    memcpy(copy, s, len);
    copy[len] = '\0';
    t->names[t->n] = copy;
    t->table[j] = (uint32_t)t->n + 1;
    *id = (uint32_t)t->n++;
    return DS_OK;
}

void ds_names_free(ds_names *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    free(t->table);
    memset(t, 0, sizeof(*t));
}
