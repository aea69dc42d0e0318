/*
 * blk-raw - the "raw" format: the image is its file's bytes, optionally a
 * window of them (offset=, size=, as in QEMU: a partition inside a disk
 * image).  Everything is passed to the file child, moved by the offset;
 * the core checks the range against the window's length.
 */
#include <tessera/tessera.h>

#include <errno.h>

typedef struct RawNode {
    TsBlockNode parent;
    uint64_t offset;
    uint64_t size;              /* 0: up to the end of the file */
    bool has_size;
    TsBlockChild *file;
} RawNode;

static const TsProperty raw_options[] = {
    TS_PROP_SIZE("offset", RawNode, offset, 0,
                 "where the image starts in the file"),
    TS_PROP_SIZE("size", RawNode, size, 0,
                 "the image's length (default: to the end of the file)"),
    TS_PROP_END,
};

static bool raw_open(TsBlockNode *node, GError **errp)
{
    RawNode *r = (RawNode *)node;
    r->file = ts_block_open_child(node, "file", false, errp);
    if (!r->file) {
        return false;
    }
    int64_t flen = ts_block_child_length(r->file);
    if (flen < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not get the size of the file: %s",
                    g_strerror((int)-flen));
        return false;
    }
    if (r->offset > (uint64_t)flen) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "The sum of offset (%" PRIu64 ") and size (0) has to be "
                    "smaller or equal to the actual size of the containing "
                    "file (%" PRId64 ")", r->offset, flen);
        return false;
    }
    r->has_size = r->size != 0;
    if (r->has_size && r->offset + r->size > (uint64_t)flen) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "The sum of offset (%" PRIu64 ") and size (%" PRIu64
                    ") has to be smaller or equal to the actual size of the "
                    "containing file (%" PRId64 ")", r->offset, r->size,
                    flen);
        return false;
    }
    ts_block_node_set_length(node, r->has_size ? r->size
                                               : (uint64_t)flen - r->offset);
    return true;
}

static int raw_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov, unsigned flags)
{
    RawNode *r = (RawNode *)node;
    return ts_block_child_preadv(r->file, r->offset + offset, bytes, iov,
                                 niov, flags);
}

static int raw_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, unsigned flags)
{
    RawNode *r = (RawNode *)node;
    return ts_block_child_pwritev(r->file, r->offset + offset, bytes, iov,
                                  niov, flags);
}

static int raw_discard(TsBlockNode *node, uint64_t offset, uint64_t bytes)
{
    RawNode *r = (RawNode *)node;
    return ts_block_child_discard(r->file, r->offset + offset, bytes);
}

static int raw_write_zeroes(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, unsigned flags)
{
    RawNode *r = (RawNode *)node;
    return ts_block_child_write_zeroes(r->file, r->offset + offset, bytes,
                                       flags | TS_BLOCK_REQ_NO_FALLBACK);
}

static int raw_block_status(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            TsBlockChild **file)
{
    RawNode *r = (RawNode *)node;
    int ret = ts_block_child_block_status(r->file, r->offset + offset, bytes,
                                          pnum, map, file);
    if (ret >= 0) {
        *map = r->offset + offset;
        *file = r->file;
        ret |= TS_BLOCK_STATUS_OFFSET_VALID | TS_BLOCK_STATUS_ALLOCATED;
    }
    return ret;
}

static bool raw_truncate(TsBlockNode *node, uint64_t length, bool exact,
                         TsBlockPrealloc prealloc, GError **errp)
{
    RawNode *r = (RawNode *)node;
    if (r->has_size || r->offset) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Cannot resize a raw image with an offset or size");
        return false;
    }
    if (!ts_block_child_truncate(r->file, length, exact, prealloc, errp)) {
        return false;
    }
    ts_block_node_set_length(node, length);
    return true;
}

typedef struct RawCreateOpts {
    uint64_t size;
} RawCreateOpts;

static const TsProperty raw_create_options[] = {
    TS_PROP_SIZE("size", RawCreateOpts, size, 0, "virtual disk size"),
    TS_PROP_END,
};

static bool raw_create(const char *filename, const void *opts, GError **errp)
{
    const RawCreateOpts *o = opts;
    TsBlockChild *f = ts_block_create_file(filename, errp);
    if (!f) {
        return false;
    }
    bool ok = ts_block_child_truncate(f, o->size, true, TS_BLOCK_PREALLOC_OFF,
                                      errp);
    ts_block_child_release(f);
    return ok;
}

/* A raw copy is as large as its virtual size, whatever it holds (sparse
 * files are the host's business, as qemu-img measure sees it). */
static bool raw_measure(const void *opts, TsBlockNode *source,
                        TsBlockMeasure *out, GError **errp)
{
    const RawCreateOpts *o = opts;
    uint64_t size = o->size;
    if (source) {
        int64_t len = ts_block_node_length(source);
        if (len < 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Unable to get image virtual_size: %s",
                        g_strerror((int)-len));
            return false;
        }
        size = (uint64_t)len;
    }
    /* Whole sectors, as a created raw image. */
    size = (size + TS_BLOCK_SECTOR_SIZE - 1) &
           ~(uint64_t)(TS_BLOCK_SECTOR_SIZE - 1);
    out->required = out->fully_allocated = size;
    out->bitmaps = 0;
    return true;
}

static const TsBlockDriver raw_driver = {
    .name = "raw",
    .description = "raw disk image (the file's bytes as they are)",
    .kind = TS_BLOCK_FORMAT,
    .instance_size = sizeof(RawNode),
    .options = raw_options,
    .open = raw_open,
    .preadv = raw_preadv,
    .pwritev = raw_pwritev,
    .discard = raw_discard,
    .write_zeroes = raw_write_zeroes,
    .block_status = raw_block_status,
    .truncate = raw_truncate,
    .create = raw_create,
    .create_opts_size = sizeof(RawCreateOpts),
    .create_options = raw_create_options,
    .measure = raw_measure,
    .supported_write_flags = TS_BLOCK_REQ_FUA,
    .has_zero_init = true,
};

static bool raw_plugin_init(GError **errp)
{
    return ts_block_driver_register(&raw_driver, errp);
}

TS_PLUGIN("blk-raw", "Block driver: raw images", raw_plugin_init);
