/*
 * hash.h - SHA-256 (OpenSSL's libcrypto, which uses the CPU's SHA extensions where present):
 * source ids are the SHA-256 of a capture file's bytes, tuple rows are named by the SHA-256 of
 * their payload. Private to libdarkscan.
 */
#ifndef DS_STATE_HASH_H
#define DS_STATE_HASH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "darkscan/error.h"

typedef struct ds_sha256_ctx ds_sha256_ctx;

/* ds_sha256_new - a fresh hash; NULL when out of memory. */
ds_sha256_ctx *ds_sha256_new(void);
void ds_sha256_update(ds_sha256_ctx *h, const void *data, size_t len);
/* ds_sha256_final - the digest into out; the hash is then fresh again. */
void ds_sha256_final(ds_sha256_ctx *h, uint8_t out[32]);
void ds_sha256_free(ds_sha256_ctx *h);

/* ds_sha256_buf - the digest of one buffer. */
void ds_sha256_buf(const void *data, size_t len, uint8_t out[32]);

/*
 * ds_sha256_file - the digest of the bytes of the file at path, and their count. Stops with
 * DS_ERR_STATE when *cancel becomes true (cancel may be NULL). DS_ERR_IO names the file.
 */
ds_status ds_sha256_file(const char *path, uint8_t out[32], uint64_t *size,
                         const atomic_bool *cancel, ds_error *err);

#endif
