/*
 * fuzz_http.c - the input bytes as what a web server sent to `darkscan probe`
 * (ds_http_parse_response), then the body through the disclosure check. Checked: a failure
 * leaves no body; a success has a NUL-terminated body within the cap, a status 200..999, and
 * NUL-terminated headers; the disclosure's words and title are NUL-terminated and bounded.
 * The first byte chooses the cap, so that cuts are fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/enrich.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t max_body = (size_t)data[0] * 16;
    data++;
    size--;
    ds_http_response r;
    ds_error err;
    ds_status st = ds_http_parse_response(data, size, max_body, &r, &err);
    if (st != DS_OK) {
        if (r.body != NULL || (st != DS_ERR_FORMAT && st != DS_ERR_NOMEM))
            abort();
        return 0;
    }
    if (r.body == NULL || r.body_len > max_body || r.body[r.body_len] != '\0' || r.status < 200 ||
        r.status > 999 || memchr(r.location, '\0', sizeof(r.location)) == NULL ||
        memchr(r.content_type, '\0', sizeof(r.content_type)) == NULL)
        abort();
    ds_disclosure d;
    ds_disclosure_check(r.body, r.body_len, &d);
    if (d.n_matched > DS_DISCLOSURE_MAX_WORDS || memchr(d.title, '\0', sizeof(d.title)) == NULL)
        abort();
    for (size_t i = 0; i < d.n_matched; i++) {
        if (memchr(d.matched[i], '\0', sizeof(d.matched[i])) == NULL || d.matched[i][0] == '\0')
            abort();
    }
    if (d.documented && d.n_matched < 2)
        abort();
    ds_http_response_free(&r);
    return 0;
}
