/*
 * hash.c - SHA-256 through OpenSSL's EVP interface (see hash.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "state/hash.h"

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
