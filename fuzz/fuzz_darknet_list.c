/*
 * fuzz_darknet_list.c - the input bytes as a darknet list file (ds_darknet_load_buffer), then
 * ds_darknet_finish, then every promise of the dense index checked against the prefix list:
 * sizes add up, prefixes are ascending, aligned and disjoint, index/address/sensor_of agree
 * at the ends of every prefix, and ds_darknet_index matches a linear scan for addresses taken
 * from the input. A failed load must name the list and add nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/darknet.h"

static void count_warning(void *ctx, const char *msg)
{
    (*(size_t *)ctx)++;
    if (msg[0] == '\0')
        abort();
}

/* ds_darknet_index by brute force over the prefixes. */
static int64_t linear_index(const ds_darknet *d, uint32_t a)
{
    uint64_t base = 0;
    for (size_t i = 0; i < ds_darknet_prefix_count(d); i++) {
        uint32_t addr;
        unsigned len;
        ds_darknet_prefix(d, i, &addr, &len, NULL);
        uint64_t n = 1ull << (32 - len);
        if (a >= addr && (uint64_t)a - addr < n)
            return (int64_t)(base + (a - addr));
        base += n;
    }
    return -1;
}

static void check(const ds_darknet *d, const uint8_t *data, size_t size)
{
    uint64_t sum = 0, base = 0, prev_end = 0;
    for (size_t s = 0; s < ds_darknet_sensor_count(d); s++) {
        if (ds_darknet_sensor_name(d, s) == NULL)
            abort();
        sum += ds_darknet_sensor_size(d, s);
    }
    if (sum != ds_darknet_size(d) || sum == 0)
        abort();
    for (size_t i = 0; i < ds_darknet_prefix_count(d); i++) {
        uint32_t addr;
        unsigned len;
        size_t sensor;
        ds_darknet_prefix(d, i, &addr, &len, &sensor);
        uint64_t n = 1ull << (32 - len);
        if (len > 32 || (addr & (n - 1)) != 0 || (i > 0 && addr < prev_end) ||
            sensor >= ds_darknet_sensor_count(d))
            abort();
        uint32_t last = (uint32_t)(addr + n - 1);
        if (ds_darknet_index(d, addr) != (int64_t)base ||
            ds_darknet_index(d, last) != (int64_t)(base + n - 1) ||
            ds_darknet_address(d, base) != addr || ds_darknet_address(d, base + n - 1) != last ||
            ds_darknet_sensor_of(d, base) != sensor ||
            ds_darknet_sensor_of(d, base + n - 1) != sensor)
            abort();
        if (addr > 0) {
            int64_t before = ds_darknet_index(d, addr - 1);
            if (before != (addr == prev_end && i > 0 ? (int64_t)base - 1 : -1))
                abort();
        }
        prev_end = addr + n;
        base += n;
    }
    if (base != ds_darknet_size(d))
        abort();
    /* Addresses made of the input's bytes, and their neighbours (small lists: linear). */
    if (ds_darknet_prefix_count(d) > 4096)
        return;
    for (size_t i = 0; i + 4 <= size && i < 64; i += 4) {
        uint32_t a = (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 |
                     (uint32_t)data[i + 2] << 8 | data[i + 3];
        for (uint32_t k = 0; k < 3; k++)
            if (ds_darknet_index(d, a + k - 1) != linear_index(d, a + k - 1))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ds_darknet *d = ds_darknet_new();
    if (d == NULL)
        return 0;
    ds_error err;
    ds_error_clear(&err);
    ds_status st = ds_darknet_load_buffer(d, data, size, "fuzz", &err);
    if (st != DS_OK) {
        if (err.status != st || strncmp(err.msg, "fuzz:", 5) != 0 ||
            ds_darknet_sensor_count(d) != 0)
            abort();
        /* Nothing was added: finish sees an empty darknet. */
        if (ds_darknet_finish(d, NULL, &err) != DS_ERR_INVALID)
            abort();
    } else {
        size_t warnings = 0;
        ds_diag diag = {count_warning, &warnings};
        st = ds_darknet_finish(d, &diag, &err);
        if (st == DS_OK)
            check(d, data, size);
        else if (st != DS_ERR_NOMEM)
            abort();
    }
    ds_darknet_free(d);
    return 0;
}
