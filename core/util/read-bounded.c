/*
 * core/util/read-bounded.c - see read-bounded.h.
 */
#include "read-bounded.h"

#include <tessera/types.h>
#include <errno.h>
#include <stdio.h>

char *read_bounded(const char *path, gsize max, gsize *len, GError **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND, "%s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    char *data = g_malloc(max + 2);
    gsize n = fread(data, 1, max + 1, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "%s: cannot read it",
                    path);
    } else if (n > max) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: larger than %" G_GSIZE_FORMAT " bytes", path, max);
    } else {
        data[n] = '\0';
        if (len) {
            *len = n;
        }
        return data;
    }
    g_free(data);
    return NULL;
}
