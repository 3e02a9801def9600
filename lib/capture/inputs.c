/*
 * inputs.c - command-line capture arguments to a list of paths (see ds_inputs_expand in
 * capture.h): a directory becomes every capture below it, recursively, in byte-wise sorted
 * order (a regular file whose first bytes start a capture or a compressed file; others are
 * skipped with a warning); "-" (standard input) and other paths pass through unchanged.
 *
 * Symbolic links to regular files are listed; symbolic links to directories are not followed
 * (so a link loop cannot make the walk endless).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "darkscan/capture.h"
#include "capture/format.h"
#include "capture/stream.h"

static ds_status list_add(ds_path_list *list, size_t *cap, char *path, ds_error *err)
{
    if (list->count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 16;
        char **grown = realloc(list->paths, grown_cap * sizeof(*grown));
        if (grown == NULL) {
            free(path);
            return ds_error_set(err, DS_ERR_NOMEM, "out of memory");
        }
        list->paths = grown;
        *cap = grown_cap;
    }
    list->paths[list->count++] = path;
    return DS_OK;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    bool slash = a > 0 && dir[a - 1] == '/';
    char *p = malloc(a + b + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    if (!slash)
        p[a++] = '/';
    memcpy(p + a, name, b + 1);
    return p;
}

/*
 * is_capture - whether the file at path starts like a capture or a compressed file. A file
 * that cannot be opened or read counts as one: the reader then reports why, as for a file
 * named by itself. Otherwise *why says what it is.
 */
static bool is_capture(const char *path, char *why, size_t why_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return true;
    uint8_t p[8];
    ssize_t n = read(fd, p, sizeof(p));
    close(fd);
    if (n < 0)
        return true;
    if (n == 0) {
        snprintf(why, why_len, "an empty file");
        return false;
    }
    if (ds_format_magic(p, (size_t)n) || ds_stream_compressed_magic(p, (size_t)n))
        return true;
    char hex[9];
    ds_format_starts(p, (size_t)n, hex);
    snprintf(why, why_len, "neither a capture nor compressed (starts %s)", hex);
    return false;
}

/* walk - add every capture below dir (unsorted). */
static ds_status walk(const char *dir, ds_path_list *list, size_t *cap, const ds_diag *diag,
                      ds_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return ds_error_set(err, DS_ERR_IO, "%s: %s", dir, strerror(errno));
    ds_status rc = DS_OK;
    struct dirent *de;
    while (rc == DS_OK && (errno = 0, de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *path = join(dir, de->d_name);
        if (path == NULL) {
            rc = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            break;
        }
        struct stat lst, st;
        if (lstat(path, &lst) != 0) {
            rc = ds_error_set(err, DS_ERR_IO, "%s: %s", path, strerror(errno));
            free(path);
            break;
        }
        if (S_ISDIR(lst.st_mode)) {
            rc = walk(path, list, cap, diag, err);
            free(path);
        } else if (S_ISREG(lst.st_mode) ||
                   (S_ISLNK(lst.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode))) {
            char why[64];
            if (is_capture(path, why, sizeof(why))) {
                rc = list_add(list, cap, path, err);
            } else {
                ds_warn(diag, "%s: skipped: %s", path, why);
                free(path);
            }
        } else {
            free(path);
        }
    }
    if (rc == DS_OK && errno != 0)
        rc = ds_error_set(err, DS_ERR_IO, "%s: %s", dir, strerror(errno));
    closedir(d);
    return rc;
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

ds_status ds_inputs_expand(const char *const *args, size_t n_args, ds_path_list *list,
                           const ds_diag *diag, ds_error *err)
{
    size_t cap = list->count;
    ds_status rc = DS_OK;
    for (size_t i = 0; i < n_args && rc == DS_OK; i++) {
        const char *arg = args[i];
        struct stat st;
        if (strcmp(arg, "-") != 0 && stat(arg, &st) != 0) {
            rc = ds_error_set(err, DS_ERR_IO, "%s: %s", arg, strerror(errno));
            break;
        }
        if (strcmp(arg, "-") != 0 && S_ISDIR(st.st_mode)) {
            size_t first = list->count;
            rc = walk(arg, list, &cap, diag, err);
            /* strcmp orders bytes as unsigned char: byte-wise, locale-independent. */
            if (rc == DS_OK)
                qsort(list->paths + first, list->count - first, sizeof(char *), path_cmp);
        } else {
            char *copy = strdup(arg);
            if (copy == NULL)
                rc = ds_error_set(err, DS_ERR_NOMEM, "out of memory");
            else
                rc = list_add(list, &cap, copy, err);
        }
    }
    if (rc != DS_OK)
        ds_path_list_free(list);
    return rc;
}

void ds_path_list_free(ds_path_list *list)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->paths[i]);
    free(list->paths);
    list->paths = NULL;
    list->count = 0;
}
