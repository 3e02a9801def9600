/*
 * fuzz_report.c - the input bytes as a results JSON, rendered as the HTML report
 * (ds_report_write). A document the report refuses must be refused with where and why
 * ("fuzz:LINE:COL: ..." or "fuzz: ..."); a page it writes must hold exactly one script (the
 * report's own: nothing from the input may open one) and end with </html>.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darkscan/json_parse.h"
#include "darkscan/report.h"

static size_t count_of(const char *hay, size_t len, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        if (memcmp(hay + i, needle, k) == 0)
            n++;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ds_jval *root = NULL;
    ds_error err;
    if (ds_jval_parse((const char *)data, size, "fuzz", &root, &err) != DS_OK)
        return 0;
    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (f == NULL)
        abort();
    ds_report_options opt;
    ds_report_options_default(&opt);
    opt.name = "fuzz";
    ds_status st = ds_report_write(root, f, &opt, &err);
    if (fclose(f) != 0)
        abort();
    if (st != DS_OK) {
        if (st != DS_ERR_FORMAT || strncmp(err.msg, "fuzz:", 5) != 0)
            abort();
    } else {
        static const char tail[] = "</body>\n</html>\n";
        if (count_of(page, len, "<script") != 1 || count_of(page, len, "</script") != 1 ||
            len < sizeof(tail) - 1 ||
            memcmp(page + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0)
            abort();
    }
    free(page);
    ds_jval_free(root);
    return 0;
}
