/*
 * sha256.h - SHA-256 through OpenSSL's libcrypto, which uses the CPU's SHA extensions where
 * present. The state names sources by the SHA-256 of a capture file's bytes and tuple rows by
 * that of their payload; the report allows its inline script by its hash. Private to
 * libdarkscan.
 */
#ifndef DS_UTIL_SHA256_H
#define DS_UTIL_SHA256_H

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

/* DS_CSP_HASH_LEN - "sha256-" + 44 base64 characters + NUL. */
#define DS_CSP_HASH_LEN 52

/*
 * ds_csp_hash - "sha256-<base64 of the digest of text>", the hash source of a
 * Content-Security-Policy, into buf; returns buf.
 */
char *ds_csp_hash(const char *text, size_t len, char buf[DS_CSP_HASH_LEN]);
#endif
