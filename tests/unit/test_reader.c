/*
 * test_reader.c - ds_reader as a whole (lib/capture/reader.c) and ds_inputs_expand
 * (inputs.c): the batch contract, errors after packets, link type bookkeeping, directory
 * expansion order, and every real capture in the shared test data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static void test_batches_and_errors(void **state)
{
    /* 10 SYNs, then a record of impossible length. */
    tu_buf b = {0};
    tu_pcap_header(&b, 0, 0xa1b2c3d4, 2, 4, 100, 1);
    uint8_t f[64];
    size_t len = tu_frame_syn(f, 0, 1, 2, 3, 4, 5);
    for (int i = 0; i < 10; i++)
        tu_pcap_record(&b, 0, 0, (uint32_t)i, 0, (uint32_t)len, (uint32_t)len, f, len);
    tu_pcap_record(&b, 0, 0, 99, 0, 101, 101, f, len);

    ds_reader *r;
    ds_error err;
    assert_int_equal(ds_reader_open_mem(&r, b.data, b.len, "x.pcap", 3, &err), DS_OK);
    assert_string_equal(ds_reader_name(r), "x.pcap");
    assert_int_equal(ds_reader_format(r), DS_FORMAT_PCAP);
    ds_packet pkts[4];
    size_t n = 99;
    assert_int_equal(ds_reader_next(r, pkts, 0, &n, &err), DS_ERR_INVALID);
    assert_int_equal(n, 0);
    size_t total = 0;
    /* 4 + 4, then the last 2 with DS_OK, then the error, and the error again. */
    assert_int_equal(ds_reader_next(r, pkts, 4, &n, &err), DS_OK);
    assert_int_equal(n, 4);
    total += n;
    assert_int_equal(pkts[0].file_index, 3);
    assert_int_equal(ds_reader_next(r, pkts, 4, &n, &err), DS_OK);
    total += n;
    assert_int_equal(ds_reader_next(r, pkts, 4, &n, &err), DS_OK);
    assert_int_equal(n, 2);
    total += n;
    assert_int_equal(total, 10);
    assert_int_equal(ds_reader_next(r, pkts, 4, &n, &err), DS_ERR_FORMAT);
    assert_int_equal(n, 0);
    assert_string_equal(err.msg,
                        "x.pcap: byte 724: record length 101 exceeds the snapshot length 100");
    assert_int_equal(ds_reader_next(r, pkts, 4, &n, &err), DS_ERR_FORMAT);
    const ds_capture_stats *st = ds_reader_stats(r);
    assert_int_equal(st->records, 10);
    assert_int_equal(st->first_ts_ns, 0);
    assert_int_equal(st->last_ts_ns, 9000000000LL);
    ds_reader_free(r);
    ds_reader_free(NULL);
    tu_buf_free(&b);
}

/* At most DS_MAX_LINKTYPES distinct link types are remembered, in order, without repeats. */
static void test_linktypes(void **state)
{
    tu_buf b = {0};
    tu_ng_shb(&b, 0, 1, 0);
    for (uint16_t i = 0; i < 40; i++)
        tu_ng_idb(&b, 0, (uint16_t)(200 + i % 20), 0, -1, 0, 0);
    tu_capture c;
    assert_int_equal(tu_read_mem(b.data, b.len, 8, &c), DS_OK);
    assert_int_equal(c.stats.n_linktypes, DS_MAX_LINKTYPES);
    for (uint32_t i = 0; i < DS_MAX_LINKTYPES; i++)
        assert_int_equal(c.stats.linktypes[i], 200 + i);
    tu_buf_free(&b);
}

static void test_names(void **state)
{
    assert_string_equal(ds_format_name(DS_FORMAT_PCAP), "pcap");
    assert_string_equal(ds_format_name(DS_FORMAT_PCAPNG), "pcapng");
    assert_string_equal(ds_compression_name(DS_COMP_NONE), "none");
    assert_string_equal(ds_compression_name(DS_COMP_GZIP), "gzip");
    assert_string_equal(ds_compression_name(DS_COMP_BZIP2), "bzip2");
    assert_string_equal(ds_compression_name(DS_COMP_XZ), "xz");
    assert_string_equal(ds_compression_name(DS_COMP_ZSTD), "zstd");
    assert_string_equal(ds_compression_name(DS_COMP_LZ4), "lz4");
    assert_string_equal(ds_linktype_name(1), "ethernet");
}

/* A file that starts like a classic pcap (the walk looks no further). */
static void touch(const char *rel)
{
    tu_write_file(tu_path(rel), "\xd4\xc3\xb2\xa1", 4);
}

/* Warnings collected from ds_inputs_expand. */
static char warned[4][256];
static size_t n_warned;

static void collect(void *ctx, const char *msg)
{
    (void)ctx;
    if (n_warned < 4)
        snprintf(warned[n_warned], sizeof(warned[0]), "%s", msg);
    n_warned++;
}

static void test_inputs_expand(void **state)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", tu_path("tree"));
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(tu_path("tree/b"), 0755), 0);
    assert_int_equal(mkdir(tu_path("tree/a"), 0755), 0);
    assert_int_equal(mkdir(tu_path("tree/a/deep"), 0755), 0);
    assert_int_equal(mkdir(tu_path("tree/empty"), 0755), 0);
    touch("tree/b/2.pcap");
    touch("tree/b/10.pcap");
    touch("tree/a/deep/z.pcap");
    touch("tree/a.pcap");
    touch("tree/B.pcap");
    touch("tree/.hidden");
    touch("tree/\xc3\xa9.pcap");
    /* Below a directory, only captures and compressed files: others are skipped, with a
     * warning each. */
    tu_write_file(tu_path("tree/b/c.pcapng"), "\x0a\x0d\x0d\x0a\x1c\0\0\0\x4d\x3c\x2b\x1a", 12);
    tu_write_file(tu_path("tree/b/d.gz"), "\x1f\x8b\x08\0", 4);
    tu_write_file(tu_path("tree/b/darknet.txt"), "192.0.2.0/24\n", 13);
    tu_write_file(tu_path("tree/a/empty.pcap"), "", 0);
    assert_int_equal(symlink("b/2.pcap", tu_path("tree/link.pcap")), 0);
    assert_int_equal(symlink(".", tu_path("tree/a/loop")), 0); /* not followed */
    touch("single.pcap");

    char single[512];
    snprintf(single, sizeof(single), "%s", tu_path("single.pcap"));
    const char *args[] = {single, "-", dir};
    ds_path_list list = {0};
    ds_error err;
    ds_diag diag = {collect, NULL};
    n_warned = 0;
    assert_int_equal(ds_inputs_expand(args, 3, &list, &diag, &err), DS_OK);
    const char *want[] = {"single.pcap",     "-",
                          "tree/.hidden",    "tree/B.pcap",
                          "tree/a.pcap",     "tree/a/deep/z.pcap",
                          "tree/b/10.pcap",  "tree/b/2.pcap",
                          "tree/b/c.pcapng", "tree/b/d.gz",
                          "tree/link.pcap",  "tree/\xc3\xa9.pcap"};
    assert_int_equal(list.count, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < list.count; i++) {
        if (strcmp(want[i], "-") == 0) {
            assert_string_equal(list.paths[i], "-");
            continue;
        }
        char full[600];
        snprintf(full, sizeof(full), "%s/%s", tu_tmpdir(), want[i]);
        assert_string_equal(list.paths[i], full);
    }
    ds_path_list_free(&list);
    assert_null(list.paths);
    assert_int_equal(list.count, 0);
    assert_int_equal(n_warned, 2);
    char w[2][600];
    snprintf(w[0], sizeof(w[0]), "%s/tree/a/empty.pcap: skipped: an empty file", tu_tmpdir());
    snprintf(w[1], sizeof(w[1]),
             "%s/tree/b/darknet.txt: skipped: neither a capture nor compressed (starts 3139322e)",
             tu_tmpdir());
    /* The walk's order is the directory's, not sorted: compare as a set. */
    bool first = strcmp(warned[0], w[0]) == 0;
    assert_string_equal(warned[first ? 0 : 1], w[0]);
    assert_string_equal(warned[first ? 1 : 0], w[1]);

    /* A file named by itself is listed whatever it holds (the reader says what is wrong). */
    char txt[512];
    snprintf(txt, sizeof(txt), "%s", tu_path("tree/b/darknet.txt"));
    const char *args1[] = {txt};
    n_warned = 0;
    assert_int_equal(ds_inputs_expand(args1, 1, &list, &diag, &err), DS_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(n_warned, 0);
    ds_path_list_free(&list);

    /* A trailing slash does not double. */
    char slash[600];
    snprintf(slash, sizeof(slash), "%s/", tu_path("tree/b"));
    const char *args2[] = {slash};
    assert_int_equal(ds_inputs_expand(args2, 1, &list, NULL, &err), DS_OK);
    assert_int_equal(list.count, 4);
    assert_non_null(strstr(list.paths[0], "tree/b/10.pcap"));
    assert_null(strstr(list.paths[0], "//"));
    ds_path_list_free(&list);

    /* A missing argument is an I/O error that names it. */
    const char *args3[] = {single, "no/such/file.pcap"};
    assert_int_equal(ds_inputs_expand(args3, 2, &list, NULL, &err), DS_ERR_IO);
    assert_string_equal(err.msg, "no/such/file.pcap: No such file or directory");
    assert_int_equal(list.count, 0);
    ds_path_list_free(&list);
    ds_path_list_free(NULL);
}

/* Every real capture in the shared data reads to its end without a crash; the invalid ones
 * give an error; a few known counts. */
static void test_real_captures(void **state)
{
    const char *root = DS_SHARED_DATA "/pcap";
    const char *args[] = {root};
    ds_path_list list = {0};
    ds_error err;
    if (access(root, R_OK) != 0) {
        skip();
        return;
    }
    assert_int_equal(ds_inputs_expand(args, 1, &list, NULL, &err), DS_OK);
    size_t read = 0, failed = 0;
    for (size_t i = 0; i < list.count; i++) {
        const char *p = list.paths[i];
        const char *ext = strrchr(p, '.');
        if (ext == NULL || (strstr(p, ".pcap") == NULL && strcmp(ext, ".cap") != 0))
            continue;
        tu_capture c;
        ds_status rc = tu_read_path(p, 1000, &c);
        bool invalid = strstr(p, "invalid-vers") != NULL || strstr(p, "reserved-field") != NULL ||
                       strstr(p, "option-too-long") != NULL || strstr(p, "trunc-hdr") != NULL;
        if (invalid && rc == DS_OK)
            fail_msg("%s: read without an error", p);
        if (!invalid && rc != DS_OK)
            fail_msg("%s: %s", p, c.err.msg);
        if (rc != DS_OK) {
            assert_non_null(strstr(c.err.msg, p));
            failed++;
        }
        assert_int_equal(c.n, c.stats.ipv4);
        if (strstr(p, "echo-connections.pcap.gz") != NULL) {
            assert_int_equal(c.compression, DS_COMP_GZIP);
            assert_int_equal(c.stats.records, 82582);
        }
        if (strstr(p, "nfs3-01__input.pcap") != NULL) /* big-endian 2.1 */
            assert_int_equal(c.stats.records, 128);
        if (strstr(p, "output_le/difficult/test202.pcapng") != NULL ||
            strstr(p, "output_be/difficult/test202.pcapng") != NULL)
            assert_int_equal(c.stats.records, 8); /* 6 EPB + 2 SPB over 3 sections */
        read++;
        tu_capture_free(&c);
    }
    assert_true(read >= 90);
    assert_int_equal(failed, 7);
    ds_path_list_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches_and_errors),
        cmocka_unit_test(test_linktypes),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_inputs_expand),
        cmocka_unit_test(test_real_captures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
