/*
 * core/img/img-output.c - what convert, dd, compare and bench share:
 * making and opening the image a command writes, asking a node what a
 * copy into it may leave out (zero init, cluster size, compression), and
 * the progress display of -p as qemu-img paces it.
 */
#include "img.h"
#include "block/block-graph.h"
#include "plugin/plugins.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const TsBlockDriver *img_format_driver(const char *format, GError **errp)
{
    g_autoptr(GError) err = NULL;
    if (!block_driver_known(format) ||
        !plugin_require(PK_BLOCKDRIVER, format, &err)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Unknown file format '%s'", format);
        return NULL;
    }
    g_autofree char *type = g_strconcat(format, TS_BLOCK_DRIVER_SUFFIX, NULL);
    TsObjectClass *k = ts_class_by_name(type);
    const TsBlockDriver *drv = k ? block_driver_of_class(k) : NULL;
    if (!drv || drv->kind != TS_BLOCK_FORMAT) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Unknown file format '%s'", format);
        return NULL;
    }
    return drv;
}

bool img_create_output(const char *filename, const char *format,
                       uint64_t size, const char *options,
                       const char *backing, const char *backing_fmt,
                       GError **errp)
{
    BlockOpts *o = block_opts_new();
    if (options && *options) {
        g_autoptr(GError) err = NULL;
        BlockOpts *user = block_opts_parse(options, &err);
        if (!user) {
            g_hash_table_unref(o);
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "Invalid options "
                        "for file format '%s': %s", format, err->message);
            return false;
        }
        g_hash_table_unref(o);
        o = user;
    }
    /* qemu-img makes whole sectors of any size it is given. */
    size = (size + TS_BLOCK_SECTOR_SIZE - 1) / TS_BLOCK_SECTOR_SIZE *
           TS_BLOCK_SECTOR_SIZE;
    g_hash_table_replace(o, g_strdup("size"),
                         g_strdup_printf("%" G_GUINT64_FORMAT, size));
    if (backing) {
        g_hash_table_replace(o, g_strdup("backing_file"), g_strdup(backing));
    }
    if (backing_fmt) {
        g_hash_table_replace(o, g_strdup("backing_fmt"),
                             g_strdup(backing_fmt));
    }
    return block_create_image(format, filename, o, errp);
}

TsBlockNode *img_open_output(const char *filename, const char *format,
                             const char *cache, bool image_opts,
                             GError **errp)
{
    ImgOpen how = {
        .format = format, .writable = true, .cache = cache, .quiet = true,
        .image_opts = image_opts,
    };
    return img_open(filename, &how, errp);
}

uint32_t img_cluster_size(TsBlockNode *n)
{
    if (!n->driver->get_info) {
        return 0;
    }
    TsBlockInfo info = {0};
    g_autoptr(GError) err = NULL;
    uint32_t cs = 0;
    if (n->driver->get_info(n, &info, &err)) {
        cs = info.cluster_size;
    }
    g_free(info.backing_filename);
    g_free(info.backing_format);
    g_free(info.format_specific_json);
    return cs;
}

bool img_has_backing(TsBlockNode *n)
{
    return block_node_backing(n) != NULL;
}

bool img_zero_init(TsBlockNode *n)
{
    /* A backing file shows through what is not written: no zeroes. */
    return n->driver->has_zero_init && !img_has_backing(n);
}

bool img_can_compress(TsBlockNode *n)
{
    return (n->driver->supported_write_flags &
            TS_BLOCK_REQ_WRITE_COMPRESSED) && img_cluster_size(n) != 0;
}

bool img_buffer_is_zero(const void *buf, size_t len)
{
    struct iovec iov = { (void *)buf, len };
    return iov_is_zero(&iov, 1);
}

char *img_errno_text(int neg_errno)
{
    return g_strdup(g_strerror(neg_errno < 0 ? -neg_errno : neg_errno));
}

/* ---- progress ------------------------------------------------------ */

void img_meter_start(ImgMeter *m, bool enabled)
{
    m->enabled = enabled;
    m->shown = 0.0;
    if (enabled) {
        img_progress(0.0);
    }
}

void img_meter_update(ImgMeter *m, double percent)
{
    /* qemu-img redraws each time a whole percent more is done. */
    if (m->enabled && percent >= m->shown + 1.0) {
        m->shown = percent;
        img_progress(percent);
    }
}

/* ---- allocation through a backing chain ------------------------------ */

int img_chain_status(TsBlockNode *n, uint64_t off, uint64_t bytes,
                     uint64_t *pnum)
{
    const int mask = TS_BLOCK_STATUS_DATA | TS_BLOCK_STATUS_ZERO |
                     TS_BLOCK_STATUS_ALLOCATED;
    while (n) {
        int64_t len = block_node_get_length(n);
        if (len < 0) {
            return (int)len;
        }
        if (off >= (uint64_t)len) {
            *pnum = bytes;      /* a shorter backing file: zeroes */
            return TS_BLOCK_STATUS_ZERO;
        }
        uint64_t map = 0;
        TsBlockChild *file = NULL;
        int st = block_node_block_status(n, off, bytes, pnum, &map, &file);
        if (st < 0) {
            return st;
        }
        *pnum = MAX(MIN(*pnum, bytes), 1);
        if (st & mask) {
            return st & mask;
        }
        /* Neither data nor zeroes here: what the backing file says. */
        bytes = *pnum;
        n = block_node_backing(n);
    }
    return TS_BLOCK_STATUS_ZERO;
}

/* ---- probing without the warning ----------------------------------- */

const char *img_read_only_format(const char *format, const char *filename,
                                 bool image_opts)
{
    if (format || image_opts) {
        return format;
    }
    int fd = open(filename, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;            /* img_open says why */
    }
    uint8_t head[8] = { 0 };
    ssize_t n = pread(fd, head, sizeof(head), 0);
    close(fd);
    if (n < 0) {
        return NULL;
    }
    struct iovec iov = { head, sizeof(head) };
    /* A known magic: the core's probe names it (without a warning). */
    return block_probe_looks_like_image(&iov, 1) ? NULL : "raw";
}
