/*
 * testutil.h - helpers shared by the unit tests: temporary folders and whole-file I/O.
 *
 * Include after <stdarg.h>, <stddef.h>, <setjmp.h> and <cmocka.h> (cmocka's rule).
 */
#ifndef DS_TESTUTIL_H
#define DS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer for building test inputs in memory. */
typedef struct tu_buf {
    uint8_t *data;
    size_t len, cap;
} tu_buf;

void tu_buf_put(tu_buf *b, const void *data, size_t len);
void tu_buf_u8(tu_buf *b, uint8_t v);
void tu_buf_u16be(tu_buf *b, uint16_t v);
void tu_buf_u32be(tu_buf *b, uint32_t v);
void tu_buf_u16le(tu_buf *b, uint16_t v);
void tu_buf_u32le(tu_buf *b, uint32_t v);
void tu_buf_free(tu_buf *b);

/* tu_tmpdir - a fresh temporary folder (removed with its contents at exit). Static storage. */
const char *tu_tmpdir(void);

/* tu_path - "<tmpdir>/<name>" in a static rotating buffer (valid for 8 further calls). */
const char *tu_path(const char *name);

/* tu_write_file - write len bytes to path; fails the test on error. */
void tu_write_file(const char *path, const void *data, size_t len);

/* tu_read_file - the whole file, NUL-terminated, malloc'd; *len gets the size (may be NULL). */
char *tu_read_file(const char *path, size_t *len);

#endif
