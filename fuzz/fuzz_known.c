/*
 * fuzz_known.c - the input bytes as a known-scanner list (ds_known_load_mem: MISP JSON,
 * `IP # owner` or `CIDR [name]` lines), then matched against a few blocks. Checked: a failed
 * load adds nothing; every hit names an organisation and covers no more hosts than given;
 * hits are sorted by hosts descending.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/enrich.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ds_known *k = ds_known_new();
    if (k == NULL)
        return 0;
    ds_error err;
    ds_status st =
        ds_known_load_mem(k, (const char *)data, size, "fuzz/list-scanning.txt", NULL, &err);
    if (st != DS_OK && ds_known_get_stats(k).ranges != 0)
        abort();
    if (ds_known_finish(k, &err) != DS_OK)
        goto out;
    static const uint32_t hosts[] = {0x01020304u, 0x0a000001u, 0x0a0000ffu, 0xc0000201u,
                                     0xffffffffu};
    static const uint32_t blocks[][2] = {
        {0x00000000u, 0xffffffffu}, {0x0a000000u, 0x0a00ffffu}, {0xc0000200u, 0xc00002ffu}};
    for (size_t b = 0; b < 3; b++) {
        ds_known_hit *hits;
        size_t n;
        if (ds_known_match(k, blocks[b][0], blocks[b][1], hosts, 5, &hits, &n, &err) != DS_OK)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (hits[i].name == NULL || hits[i].hosts > 5 ||
                (i > 0 && hits[i].hosts > hits[i - 1].hosts))
                abort();
        }
        free(hits);
    }
out:
    ds_known_free(k);
    return 0;
}
