/*
 * blk-copy-on-read - the "copy-on-read" filter, as QEMU's: data a read
 * finds below its child's top layer (in a backing file) is written into
 * that layer as it is read, so the image fills itself from its backing
 * chain while the guest uses it.
 *
 * Ordering: a copy (read below, write on top) must not overwrite what
 * the guest writes to the same range in between, so copies and writes
 * through the filter take one lock; reads of data the top layer already
 * has do not.  Simple and correct rather than parallel: copy-on-read is
 * for populating images, not for speed.
 */
#include <tessera/tessera.h>

#include <errno.h>

typedef struct CorNode {
    TsBlockNode parent;
    TsBlockChild *file;
    GMutex lock;
} CorNode;

static bool cor_open(TsBlockNode *node, GError **errp)
{
    CorNode *c = (CorNode *)node;
    g_mutex_init(&c->lock);
    c->file = ts_block_open_child(node, "file", false, errp);
    if (!c->file) {
        return false;
    }
    /* Copying writes into the child: over a read-only node the filter
     * could never do its job, and QEMU refuses it the same way. */
    if (ts_block_node_is_read_only(node) ||
        ts_block_node_is_read_only(ts_block_child_node(c->file))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Block node is read-only");
        return false;
    }
    ts_block_node_set_length(node,
                             (uint64_t)ts_block_child_length(c->file));
    return true;
}

static void cor_close(TsBlockNode *node)
{
    g_mutex_clear(&((CorNode *)node)->lock);
}

/* The part of the vector [skip, skip+len) as a new vector. */
static int sub_iov(const struct iovec *iov, int niov, uint64_t skip,
                   uint64_t len, struct iovec *out)
{
    int n = 0;
    for (int i = 0; i < niov && len; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        size_t take = MIN(iov[i].iov_len - skip, len);
        out[n].iov_base = (uint8_t *)iov[i].iov_base + skip;
        out[n].iov_len = take;
        n++;
        len -= take;
        skip = 0;
    }
    return n;
}

static int cor_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov, unsigned flags)
{
    CorNode *c = (CorNode *)node;
    bool writable = !ts_block_node_is_read_only(
        ts_block_child_node(c->file));
    g_autofree struct iovec *part = g_new(struct iovec, (size_t)niov + 1);
    uint64_t done = 0;
    while (done < bytes) {
        uint64_t pnum = 0, map;
        TsBlockChild *f;
        int st = ts_block_child_block_status(c->file, offset + done,
                                             bytes - done, &pnum, &map, &f);
        if (st < 0) {
            return st;
        }
        if (!pnum) {
            pnum = bytes - done;
        }
        int n = sub_iov(iov, niov, done, pnum, part);
        bool copy = writable && !(st & TS_BLOCK_STATUS_ALLOCATED);
        if (copy) {
            g_mutex_lock(&c->lock);
        }
        int ret = ts_block_child_preadv(c->file, offset + done, pnum, part,
                                        n, flags);
        if (ret == 0 && copy) {
            ret = ts_block_child_pwritev(c->file, offset + done, pnum, part,
                                         n, 0);
        }
        if (copy) {
            g_mutex_unlock(&c->lock);
        }
        if (ret < 0) {
            return ret;
        }
        done += pnum;
    }
    return 0;
}

static int cor_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, unsigned flags)
{
    CorNode *c = (CorNode *)node;
    g_mutex_lock(&c->lock);
    int ret = ts_block_child_pwritev(c->file, offset, bytes, iov, niov,
                                     flags);
    g_mutex_unlock(&c->lock);
    return ret;
}

static int cor_discard(TsBlockNode *node, uint64_t offset, uint64_t bytes)
{
    CorNode *c = (CorNode *)node;
    g_mutex_lock(&c->lock);
    int ret = ts_block_child_discard(c->file, offset, bytes);
    g_mutex_unlock(&c->lock);
    return ret;
}

static int cor_write_zeroes(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, unsigned flags)
{
    CorNode *c = (CorNode *)node;
    g_mutex_lock(&c->lock);
    int ret = ts_block_child_write_zeroes(c->file, offset, bytes, flags);
    g_mutex_unlock(&c->lock);
    return ret;
}

static int cor_block_status(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            TsBlockChild **file)
{
    CorNode *c = (CorNode *)node;
    return ts_block_child_block_status(c->file, offset, bytes, pnum, map,
                                       file);
}

static bool cor_truncate(TsBlockNode *node, uint64_t length, bool exact,
                         TsBlockPrealloc prealloc, GError **errp)
{
    CorNode *c = (CorNode *)node;
    if (!ts_block_child_truncate(c->file, length, exact, prealloc, errp)) {
        return false;
    }
    ts_block_node_set_length(node, length);
    return true;
}

static const TsBlockDriver cor_driver = {
    .name = "copy-on-read",
    .description = "copies data read from a backing file into the image",
    .kind = TS_BLOCK_FILTER,
    .instance_size = sizeof(CorNode),
    .open = cor_open,
    .close = cor_close,
    .preadv = cor_preadv,
    .pwritev = cor_pwritev,
    .discard = cor_discard,
    .write_zeroes = cor_write_zeroes,
    .block_status = cor_block_status,
    .truncate = cor_truncate,
    .supported_write_flags = TS_BLOCK_REQ_FUA,
};

static bool cor_plugin_init(GError **errp)
{
    return ts_block_driver_register(&cor_driver, errp);
}

TS_PLUGIN("blk-copy-on-read", "Block filter: copy-on-read",
          cor_plugin_init);
