/*
 * blk-copy-on-read - the "copy-on-read" filter, as QEMU's: every read
 * passes to the "file" child; whatever part of it the child does not hold
 * itself (block status without ALLOCATED: the data comes from a backing
 * file, or reads as zeroes from nowhere) is written back into the child
 * after it was read, so that the next read is served by the top image
 * and the backing chain is no longer needed for it.  Writes, zeroes,
 * discards and flushes pass through unchanged.
 *
 * A copy must not undo a guest write: reading old data from the backing
 * file and writing it back races with a write of new data to the same
 * place.  Both therefore take the range they touch in the filter's range
 * lock, and the copy looks at the block status again once it holds it.
 * Reads of data the top image already holds take no lock.
 */
#include <tessera/tessera.h>

#include <errno.h>

typedef struct CorRange {
    uint64_t start, end;
} CorRange;

typedef struct CorNode {
    TsBlockNode parent;
    TsBlockChild *file;
    GMutex lock;
    GCond released;
    GPtrArray *busy;            /* CorRange *: writes and copies running */
} CorNode;

/* ---- the range lock ------------------------------------------------- */

static bool overlaps_busy(CorNode *c, uint64_t start, uint64_t end)
{
    for (guint i = 0; i < c->busy->len; i++) {
        CorRange *r = g_ptr_array_index(c->busy, i);
        if (r->start < end && start < r->end) {
            return true;
        }
    }
    return false;
}

static CorRange *range_lock(CorNode *c, uint64_t offset, uint64_t bytes)
{
    CorRange *r = g_new(CorRange, 1);
    r->start = offset;
    r->end = offset + bytes;
    g_mutex_lock(&c->lock);
    while (overlaps_busy(c, r->start, r->end)) {
        g_cond_wait(&c->released, &c->lock);
    }
    g_ptr_array_add(c->busy, r);
    g_mutex_unlock(&c->lock);
    return r;
}

static void range_unlock(CorNode *c, CorRange *r)
{
    g_mutex_lock(&c->lock);
    g_ptr_array_remove_fast(c->busy, r);
    g_cond_broadcast(&c->released);
    g_mutex_unlock(&c->lock);
    g_free(r);
}

/* ---- vectors --------------------------------------------------------- */

/* The part [skip, skip + bytes) of a vector, as a new vector in *out
 * (g_free it); returns its element count. */
static int iov_slice(const struct iovec *iov, int niov, uint64_t skip,
                     uint64_t bytes, struct iovec **out)
{
    struct iovec *v = g_new(struct iovec, MAX(niov, 1));
    int n = 0;
    for (int i = 0; i < niov && bytes; i++) {
        uint64_t len = iov[i].iov_len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        uint64_t take = MIN(len - skip, bytes);
        v[n].iov_base = (uint8_t *)iov[i].iov_base + skip;
        v[n].iov_len = take;
        n++;
        bytes -= take;
        skip = 0;
    }
    *out = v;
    return n;
}

static bool iov_all_zero(const struct iovec *iov, int niov)
{
    for (int i = 0; i < niov; i++) {
        const uint8_t *p = iov[i].iov_base;
        for (size_t k = 0; k < iov[i].iov_len; k++) {
            if (p[k]) {
                return false;
            }
        }
    }
    return true;
}

/* ---- reads ------------------------------------------------------------ */

/* Read [offset, offset + bytes) into the vector and, where the child
 * does not hold the data itself, write it into the child.  The range is
 * locked: no write to it runs meanwhile. */
static int copy_up(CorNode *c, uint64_t offset, uint64_t bytes,
                   const struct iovec *iov, int niov, unsigned flags)
{
    uint64_t done = 0;
    while (done < bytes) {
        uint64_t pnum = 0, map = 0;
        TsBlockChild *where = NULL;
        int st = ts_block_child_block_status(c->file, offset + done,
                                             bytes - done, &pnum, &map,
                                             &where);
        if (st < 0) {
            return st;
        }
        if (pnum == 0 || pnum > bytes - done) {
            pnum = bytes - done;
        }
        g_autofree struct iovec *part = NULL;
        int npart = iov_slice(iov, niov, done, pnum, &part);
        int ret = ts_block_child_preadv(c->file, offset + done, pnum, part,
                                        npart, flags);
        if (ret < 0) {
            return ret;
        }
        if (!(st & TS_BLOCK_STATUS_ALLOCATED)) {
            /* Zeroes are recorded as zeroes (a qcow2 zero cluster), not
             * as data, as QEMU does. */
            ret = iov_all_zero(part, npart)
                ? ts_block_child_write_zeroes(c->file, offset + done, pnum,
                                              0)
                : ts_block_child_pwritev(c->file, offset + done, pnum, part,
                                         npart, 0);
            if (ret < 0) {
                return ret;
            }
        }
        done += pnum;
    }
    return 0;
}

static int cor_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov, unsigned flags)
{
    CorNode *c = (CorNode *)node;
    uint64_t done = 0;
    while (done < bytes) {
        uint64_t pnum = 0, map = 0;
        TsBlockChild *where = NULL;
        int st = ts_block_child_block_status(c->file, offset + done,
                                             bytes - done, &pnum, &map,
                                             &where);
        if (st < 0) {
            return st;
        }
        if (pnum == 0 || pnum > bytes - done) {
            pnum = bytes - done;
        }
        g_autofree struct iovec *part = NULL;
        int npart = iov_slice(iov, niov, done, pnum, &part);
        int ret;
        if (st & TS_BLOCK_STATUS_ALLOCATED) {
            ret = ts_block_child_preadv(c->file, offset + done, pnum, part,
                                        npart, flags);
        } else {
            /* The status may change before the lock is ours (a write
             * landed): copy_up asks again under the lock. */
            CorRange *r = range_lock(c, offset + done, pnum);
            ret = copy_up(c, offset + done, pnum, part, npart, flags);
            range_unlock(c, r);
        }
        if (ret < 0) {
            return ret;
        }
        done += pnum;
    }
    return 0;
}

/* ---- what passes through ---------------------------------------------- */

static int cor_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, unsigned flags)
{
    CorNode *c = (CorNode *)node;
    CorRange *r = range_lock(c, offset, bytes);
    int ret = ts_block_child_pwritev(c->file, offset, bytes, iov, niov,
                                     flags);
    range_unlock(c, r);
    return ret;
}

static int cor_write_zeroes(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, unsigned flags)
{
    CorNode *c = (CorNode *)node;
    CorRange *r = range_lock(c, offset, bytes);
    int ret = ts_block_child_write_zeroes(c->file, offset, bytes,
                                          flags | TS_BLOCK_REQ_NO_FALLBACK);
    range_unlock(c, r);
    return ret;
}

static int cor_discard(TsBlockNode *node, uint64_t offset, uint64_t bytes)
{
    CorNode *c = (CorNode *)node;
    CorRange *r = range_lock(c, offset, bytes);
    int ret = ts_block_child_discard(c->file, offset, bytes);
    range_unlock(c, r);
    return ret;
}

/* What the child says: the filter stores nothing of its own. */
static int cor_block_status(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            TsBlockChild **file)
{
    CorNode *c = (CorNode *)node;
    return ts_block_child_block_status(c->file, offset, bytes, pnum, map,
                                       file);
}

static int64_t cor_get_length(TsBlockNode *node)
{
    CorNode *c = (CorNode *)node;
    return ts_block_child_length(c->file);
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

/* ---- open and close ---------------------------------------------------- */

static bool cor_open(TsBlockNode *node, GError **errp)
{
    CorNode *c = (CorNode *)node;
    c->file = ts_block_open_child(node, "file", false, errp);
    if (!c->file) {
        return false;
    }
    /* Copying writes into the child: a read-only filter or child could
     * never do its job, and QEMU refuses it the same way. */
    if (ts_block_node_is_read_only(node) ||
        ts_block_node_is_read_only(ts_block_child_node(c->file))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Block node is read-only");
        return false;
    }
    g_mutex_init(&c->lock);
    g_cond_init(&c->released);
    c->busy = g_ptr_array_new();
    int64_t len = ts_block_child_length(c->file);
    ts_block_node_set_length(node, len > 0 ? (uint64_t)len : 0);
    return true;
}

static void cor_close(TsBlockNode *node)
{
    CorNode *c = (CorNode *)node;
    if (c->busy) {
        g_ptr_array_unref(c->busy);
        g_mutex_clear(&c->lock);
        g_cond_clear(&c->released);
    }
}

static const TsBlockDriver cor_driver = {
    .name = "copy-on-read",
    .description = "filter: data read from a backing file is copied into "
                   "the top image",
    .kind = TS_BLOCK_FILTER,
    .instance_size = sizeof(CorNode),
    .open = cor_open,
    .close = cor_close,
    .preadv = cor_preadv,
    .pwritev = cor_pwritev,
    .discard = cor_discard,
    .write_zeroes = cor_write_zeroes,
    .block_status = cor_block_status,
    .get_length = cor_get_length,
    .truncate = cor_truncate,
    .supported_write_flags = TS_BLOCK_REQ_FUA,
};

static bool cor_plugin_init(GError **errp)
{
    return ts_block_driver_register(&cor_driver, errp);
}

TS_PLUGIN("blk-copy-on-read", "Block filter: copy-on-read",
          cor_plugin_init);
