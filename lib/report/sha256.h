/*
 * sha256.h - SHA-256 (FIPS 180-4) and the base64 form a Content-Security-Policy hash source
 * takes ('sha256-<base64>'), so that the report's inline script is allowed by its hash and no
 * other script can run in the page.
 */
#ifndef DS_REPORT_SHA256_H
#define DS_REPORT_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* ds_sha256 - the digest of len bytes at data into out. */
void ds_sha256(const void *data, size_t len, uint8_t out[32]);

/* DS_CSP_HASH_LEN - "sha256-" + 44 base64 characters + NUL. */
#define DS_CSP_HASH_LEN 52

/* ds_csp_hash - "sha256-<base64 of the digest of text>" into buf; returns buf. */
char *ds_csp_hash(const char *text, size_t len, char buf[DS_CSP_HASH_LEN]);

#endif
