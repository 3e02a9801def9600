/*
 * mmdb.c - shared libmaxminddb helpers (see mmdb.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "enrich/mmdb.h"

/* Distinct data offsets already decoded (open addressing; offset + 1, 0 empty). */
typedef struct offset_set {
    uint32_t *slot;
    size_t cap, used;
} offset_set;

/* offset_set_add - true when off is new (and adds it); false when seen or out of memory. */
static bool offset_set_add(offset_set *s, uint32_t off, bool *nomem)
{
    if ((s->used + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint32_t *t = calloc(cap, sizeof(*t));
        if (t == NULL) {
            *nomem = true;
            return false;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slot[i] == 0)
                continue;
            size_t j = (size_t)(s->slot[i] * 0x9E3779B1u) & (cap - 1);
            while (t[j] != 0)
                j = (j + 1) & (cap - 1);
            t[j] = s->slot[i];
        }
        free(s->slot);
        s->slot = t;
        s->cap = cap;
    }
    uint32_t key = off + 1;
    size_t j = (size_t)(key * 0x9E3779B1u) & (s->cap - 1);
    while (s->slot[j] != 0) {
        if (s->slot[j] == key)
            return false;
        j = (j + 1) & (s->cap - 1);
    }
    s->slot[j] = key;
    s->used++;
    return true;
}

/*
 * verify - the whole database, once, at open: every node of the search tree must be reachable
 * from the root (orphaned nodes mean a corrupt node count or tree; a node reached again, as
 * IPv6 trees alias their IPv4 subtree, is walked once, so a cycle ends the walk), every record
 * must be a node, empty or a pointer into the data section, and every distinct data record and
 * the metadata must decode completely. libmaxminddb checks only what a lookup touches, so
 * without this a damaged database fails (or answers nonsense) only for some addresses.
 */
static ds_status verify(ds_mmdb *m, const char *path, ds_error *err)
{
    MMDB_s *db = &m->db;
    MMDB_entry_data_list_s *list = NULL;
    int rc = MMDB_get_metadata_as_entry_data_list(db, &list);
    MMDB_free_entry_data_list(list);
    if (rc != MMDB_SUCCESS)
        return ds_error_set(err, rc == MMDB_OUT_OF_MEMORY_ERROR ? DS_ERR_NOMEM : DS_ERR_FORMAT,
                            "%s: libmaxminddb: %s", path, MMDB_strerror(rc));
    uint32_t nodes = db->metadata.node_count;
    uint8_t *seen = calloc((size_t)nodes / 8 + 1, 1);
    uint32_t *stack = malloc(((size_t)nodes + 1) * sizeof(*stack));
    offset_set data = {NULL, 0, 0};
    ds_status st = DS_OK;
    bool nomem = false;
    if (seen == NULL || stack == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t sp = 0, visited = 0;
    if (nodes > 0) {
        stack[sp++] = 0;
        seen[0] = 1;
    }
    while (sp > 0) {
        uint32_t x = stack[--sp];
        visited++;
        MMDB_search_node_s node;
        rc = MMDB_read_node(db, x, &node);
        if (rc != MMDB_SUCCESS)
            break;
        uint64_t rec[2] = {node.left_record, node.right_record};
        uint8_t type[2] = {node.left_record_type, node.right_record_type};
        MMDB_entry_s entry[2] = {node.left_record_entry, node.right_record_entry};
        for (int k = 0; k < 2 && rc == MMDB_SUCCESS; k++) {
            if (type[k] == MMDB_RECORD_TYPE_SEARCH_NODE) {
                uint32_t child = (uint32_t)rec[k];
                if (seen[child / 8] >> (child % 8) & 1)
                    continue; /* IPv6 trees alias the IPv4 subtree (::ffff:0:0/96, 2002::/16) */
                seen[child / 8] |= (uint8_t)(1u << (child % 8));
                stack[sp++] = child;
            } else if (type[k] == MMDB_RECORD_TYPE_DATA) {
                if (rec[k] < (uint64_t)nodes + 16) {
                    rc = MMDB_INVALID_DATA_ERROR; /* points into the separator */
                    break;
                }
                if (!offset_set_add(&data, entry[k].offset, &nomem))
                    continue;
                rc = MMDB_get_entry_data_list(&entry[k], &list);
                MMDB_free_entry_data_list(list);
                list = NULL;
            } else if (type[k] != MMDB_RECORD_TYPE_EMPTY) {
                rc = MMDB_CORRUPT_SEARCH_TREE_ERROR;
            }
        }
        if (rc != MMDB_SUCCESS || nomem)
            break;
    }
    if (nomem) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    } else if (rc != MMDB_SUCCESS) {
        st = ds_error_set(err, rc == MMDB_OUT_OF_MEMORY_ERROR ? DS_ERR_NOMEM : DS_ERR_FORMAT,
                          "%s: libmaxminddb: %s", path, MMDB_strerror(rc));
    } else if (visited != nodes) {
        st =
            ds_error_set(err, DS_ERR_FORMAT, "%s: libmaxminddb: %s (%zu of %u nodes are reachable)",
                         path, MMDB_strerror(MMDB_CORRUPT_SEARCH_TREE_ERROR), visited, nodes);
    }
out:
    free(seen);
    free(stack);
    free(data.slot);
    return st;
}

ds_status ds_mmdb_open(ds_mmdb *m, const char *path, ds_error *err)
{
    memset(m, 0, sizeof(*m));
    errno = 0;
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &m->db);
    if (rc != MMDB_SUCCESS) {
        int e = errno;
        if (rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR) {
            if (e != 0)
                return ds_error_set(err, DS_ERR_IO, "%s: libmaxminddb: %s (%s)", path,
                                    MMDB_strerror(rc), strerror(e));
            return ds_error_set(err, DS_ERR_IO, "%s: libmaxminddb: %s", path, MMDB_strerror(rc));
        }
        if (rc == MMDB_OUT_OF_MEMORY_ERROR)
            return ds_error_set(err, DS_ERR_NOMEM, "%s: libmaxminddb: %s", path, MMDB_strerror(rc));
        return ds_error_set(err, DS_ERR_FORMAT, "%s: libmaxminddb: %s", path, MMDB_strerror(rc));
    }
    ds_status st = verify(m, path, err);
    if (st != DS_OK) {
        MMDB_close(&m->db);
        return st;
    }
    m->path = strdup(path);
    if (m->path == NULL) {
        MMDB_close(&m->db);
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
    }
    return DS_OK;
}

void ds_mmdb_close(ds_mmdb *m)
{
    if (m->path == NULL)
        return;
    MMDB_close(&m->db);
    free(m->path);
    m->path = NULL;
}

static ds_status mmdb_fail(const ds_mmdb *m, int rc, ds_error *err)
{
    if (rc == MMDB_OUT_OF_MEMORY_ERROR)
        return ds_error_set(err, DS_ERR_NOMEM, "%s: libmaxminddb: %s", m->path, MMDB_strerror(rc));
    return ds_error_set(err, DS_ERR_FORMAT, "%s: libmaxminddb: %s", m->path, MMDB_strerror(rc));
}

ds_status ds_mmdb_lookup_v4(const ds_mmdb *m, uint32_t addr, MMDB_lookup_result_s *res, bool *found,
                            ds_error *err)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr);
    int rc = MMDB_SUCCESS;
    *res = MMDB_lookup_sockaddr(&m->db, (const struct sockaddr *)&sin, &rc);
    *found = false;
    if (rc != MMDB_SUCCESS)
        return mmdb_fail(m, rc, err);
    *found = res->found_entry;
    return DS_OK;
}

/* get - the value at keys: DS_OK with *found, or the decoding error. */
static ds_status get(const ds_mmdb *m, MMDB_entry_s *entry, const char *const *keys,
                     MMDB_entry_data_s *data, bool *found, ds_error *err)
{
    *found = false;
    int rc = MMDB_aget_value(entry, data, keys);
    if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
        return DS_OK;
    if (rc != MMDB_SUCCESS)
        return mmdb_fail(m, rc, err);
    *found = data->has_data;
    return DS_OK;
}

ds_status ds_mmdb_string(const ds_mmdb *m, MMDB_entry_s *entry, const char *const *keys, char *buf,
                         size_t size, bool *found, ds_error *err)
{
    MMDB_entry_data_s data;
    ds_status st = get(m, entry, keys, &data, found, err);
    if (st != DS_OK || !*found)
        return st;
    if (data.type != MMDB_DATA_TYPE_UTF8_STRING) {
        *found = false;
        return DS_OK;
    }
    size_t n = data.data_size < size - 1 ? data.data_size : size - 1;
    memcpy(buf, data.utf8_string, n);
    buf[n] = '\0';
    return DS_OK;
}

ds_status ds_mmdb_uint(const ds_mmdb *m, MMDB_entry_s *entry, const char *const *keys,
                       uint32_t *out, bool *found, ds_error *err)
{
    MMDB_entry_data_s data;
    ds_status st = get(m, entry, keys, &data, found, err);
    if (st != DS_OK || !*found)
        return st;
    switch (data.type) {
    case MMDB_DATA_TYPE_UINT16:
        *out = data.uint16;
        return DS_OK;
    case MMDB_DATA_TYPE_UINT32:
        *out = data.uint32;
        return DS_OK;
    case MMDB_DATA_TYPE_UINT64:
        if (data.uint64 <= UINT32_MAX) {
            *out = (uint32_t)data.uint64;
            return DS_OK;
        }
        break;
    case MMDB_DATA_TYPE_INT32:
        if (data.int32 >= 0) {
            *out = (uint32_t)data.int32;
            return DS_OK;
        }
        break;
    default:
        break;
    }
    *found = false;
    return DS_OK;
}
