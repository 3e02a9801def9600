/*
 * sha256.c - SHA-256 through OpenSSL's EVP interface, and the base64 (RFC 4648) form a
 * Content-Security-Policy hash source takes (see sha256.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/sha256.h"

#define READ_SIZE ((size_t)1 << 20)

struct ds_sha256_ctx {
    EVP_MD_CTX *ctx;
};

ds_sha256_ctx *ds_sha256_new(void)
{
    ds_sha256_ctx *h = malloc(sizeof(*h));
    if (h == NULL)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void ds_sha256_update(ds_sha256_ctx *h, const void *data, size_t len)
{
    EVP_DigestUpdate(h->ctx, data, len);
}

void ds_sha256_final(ds_sha256_ctx *h, uint8_t out[32])
{
    unsigned len = 32;
    EVP_DigestFinal_ex(h->ctx, out, &len);
    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void ds_sha256_free(ds_sha256_ctx *h)
{
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void ds_sha256_buf(const void *data, size_t len, uint8_t out[32])
{
    unsigned n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

ds_status ds_sha256_file(const char *path, uint8_t out[32], uint64_t *size,
                         const atomic_bool *cancel, ds_error *err)
{
    ds_status st = DS_OK;
    uint8_t *buf = NULL;
    ds_sha256_ctx *h = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    buf = malloc(READ_SIZE);
    h = ds_sha256_new();
    if (buf == NULL || h == NULL) {
        st = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        goto out;
    }
    uint64_t total = 0;
    for (;;) {
        if (cancel != NULL && atomic_load(cancel)) {
            st = ds_error_set(err, DS_ERR_STATE, "%s: hashing cancelled", path);
            goto out;
        }
        ssize_t got = read(fd, buf, READ_SIZE);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            st = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (got == 0)
            break;
        ds_sha256_update(h, buf, (size_t)got);
        total += (uint64_t)got;
    }
    ds_sha256_final(h, out);
    *size = total;
out:
    ds_sha256_free(h);
    free(buf);
    close(fd);
    return st;
}

char *ds_csp_hash(const char *text, size_t len, char buf[DS_CSP_HASH_LEN])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t d[33] = {0};
    ds_sha256_buf(text, len, d);
    memcpy(buf, "sha256-", 7);
    char *o = buf + 7;
    for (int i = 0; i < 33; i += 3) { /* 32 bytes: ten whole groups and one of two bytes */
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < 32 ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < 32 ? b64[v & 63] : '=';
    }
    *o = '\0';
    return buf;
}
