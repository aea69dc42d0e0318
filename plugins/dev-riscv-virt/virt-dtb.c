/*
 * virt-dtb.c - see virt-dtb.h.
 */
#include "virt-dtb.h"

#include <tessera/types.h>
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>

/* Room left in a -dtb tree for the board's /chosen edits. */
#define DTB_EDIT_ROOM (64 * 1024)

/*
 * At most `max` bytes of `path` into a new buffer.  Bounded, because -dtb
 * may name anything: /dev/zero or a huge file must not be read until
 * memory runs out.  NULL + errp on an error or when the file is larger.
 */
static gchar *read_bounded(const char *path, gsize max, gsize *len,
                           GError **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND, "-dtb %s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    gchar *data = g_malloc(max + 1);
    *len = fread(data, 1, max + 1, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed || *len > max) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    failed ? "-dtb %s: cannot read it"
                           : "-dtb %s: larger than the board's limit of "
                             "1 MiB", path);
        g_free(data);
        return NULL;
    }
    return data;
}

void *virt_dtb_open(const void *data, size_t len, const char *path,
                    GError **errp)
{
    /*
     * libfdt trusts what it is given: it reads the header before checking
     * anything (so a blob shorter than the header never reaches it), and
     * fdt_open_into believes the memory reservation map ends where the
     * next block begins (one running to the end moved a negative size).
     * fdt_check_full walks every block against the length read; only a
     * blob it accepts goes further.  It needs the block sizes of version
     * 17 (what dtc and every board have written since 2007): on an older
     * tree it followed a NULL pointer.
     */
    if (len < sizeof(struct fdt_header) || fdt_version(data) < 17 ||
        fdt_check_full(data, len) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-dtb %s: not a valid device tree blob", path);
        return NULL;
    }
    void *blob = g_malloc0(fdt_totalsize(data) + DTB_EDIT_ROOM);
    if (fdt_open_into(data, blob, (int)fdt_totalsize(data) + DTB_EDIT_ROOM)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-dtb %s: not a valid device tree blob", path);
        g_free(blob);
        return NULL;
    }
    return blob;
}

void *virt_dtb_load(const char *path, GError **errp)
{
    gsize len = 0;
    g_autofree gchar *data = read_bounded(path, VIRT_DTB_MAX_SIZE, &len,
                                          errp);
    return data ? virt_dtb_open(data, len, path, errp) : NULL;
}

bool virt_fdt_set_initrd(void *fdt, uint64_t start, uint64_t end,
                         GError **errp)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0) {
        chosen = fdt_add_subnode(fdt, 0, "chosen");
    }
    int r = chosen < 0 ? chosen
            : fdt_setprop_u64(fdt, chosen, "linux,initrd-start", start);
    if (r >= 0) {
        r = fdt_setprop_u64(fdt, chosen, "linux,initrd-end", end);
    }
    if (r < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "virt: cannot record the initrd in the device tree: %s",
                    fdt_strerror(r));
        return false;
    }
    return true;
}
