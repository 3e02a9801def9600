/*
 * inputs.c - command-line capture arguments to a list of paths (see ds_inputs_expand in
 * capture.h): a directory becomes every regular file below it, recursively, in byte-wise
 * sorted order; "-" (standard input) and other paths pass through unchanged.
 *
 * Symbolic links to regular files are listed; symbolic links to directories are not followed
 * (so a link loop cannot make the walk endless).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "darkscan/capture.h"

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

/* walk - add every regular file below dir (unsorted). */
static ds_status walk(const char *dir, ds_path_list *list, size_t *cap, ds_error *err)
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
            rc = walk(path, list, cap, err);
            free(path);
        } else if (S_ISREG(lst.st_mode) ||
                   (S_ISLNK(lst.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode))) {
            rc = list_add(list, cap, path, err);
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
                           ds_error *err)
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
            rc = walk(arg, list, &cap, err);
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
