/*
 * core/block/block-commit.c - HMP `commit device|all`: copy what a
 * drive's top image holds into its backing file, flush the backing file,
 * then empty the top image where its format can (the driver's
 * make_empty: qcow2 unallocates its clusters) so that it reads through
 * to the backing file again.  With -snapshot this is how the temporary
 * overlay's changes reach the real image.
 *
 * Synchronous, as QEMU 7.2's HMP commit is: the monitor waits for the
 * copy.  The guest's requests on the drive are drained first and no new
 * one can start meanwhile (devices submit with the big lock, which the
 * monitor holds), so nothing races with the copy or with emptying the
 * top.  The copy goes a MiB at a time, only over the ranges block_status
 * says the top image itself defines.
 *
 * `tessera-img commit` uses the same copy (block_commit_chain), also
 * into a base further down the chain (-b): then what any image above the
 * base defines is copied.
 */
#include "block-internal.h"
#include "monitor/hmp.h"

#include <errno.h>
#include <string.h>

#define COMMIT_CHUNK (1024 * 1024)

/* The image the drive shows: filters (copy-on-read, throttle) skipped. */
static TsBlockNode *image_node(TsBlockNode *n)
{
    while (n && n->driver->kind == TS_BLOCK_FILTER) {
        n = block_node_file_child(n);
    }
    return n;
}

/*
 * Whether an image from `top` down to (not including) `base` defines the
 * start of [off, off + bytes): 1 (with *zero when it reads as zeroes) or
 * 0, over *pnum bytes; -errno.  Past the end of a shorter image between
 * them the range reads as zeroes, whatever lies below: that is a
 * definition too.
 */
static int chain_status(TsBlockNode *top, TsBlockNode *base, uint64_t off,
                        uint64_t bytes, uint64_t *pnum, bool *zero)
{
    uint64_t n = bytes;
    for (TsBlockNode *cur = top; cur && cur != base;
         cur = block_node_backing(cur)) {
        int64_t len = block_node_get_length(cur);
        if (len < 0) {
            return (int)len;
        }
        if (off >= (uint64_t)len) {
            *pnum = n;
            *zero = true;
            return 1;
        }
        uint64_t p = 0, map = 0;
        TsBlockChild *file = NULL;
        int st = block_node_block_status(cur, off, MIN(n, (uint64_t)len - off),
                                         &p, &map, &file);
        if (st < 0) {
            return st;
        }
        if (!p) {
            return -EIO;        /* a driver that makes no progress */
        }
        if (st & TS_BLOCK_STATUS_ALLOCATED) {
            *pnum = p;
            *zero = st & TS_BLOCK_STATUS_ZERO;
            return 1;
        }
        n = MIN(n, p);
    }
    *pnum = n;
    *zero = false;
    return 0;
}

/* Copy every range the images above `base` define into `base`, reading
 * it through `top`; 0 or -errno. */
static int copy_allocated(TsBlockNode *top, TsBlockNode *base,
                          BlockCommitProgress progress)
{
    uint64_t len = (uint64_t)block_node_get_length(top);
    g_autofree uint8_t *buf = g_malloc(COMMIT_CHUNK);
    uint64_t off = 0;
    while (off < len) {
        uint64_t pnum = 0;
        bool zero = false;
        int st = chain_status(top, base, off, MIN(COMMIT_CHUNK, len - off),
                              &pnum, &zero);
        if (st < 0) {
            return st;
        }
        int ret = 0;
        if (!st) {
            /* Read from the backing file already: nothing to copy. */
        } else if (zero) {
            ret = block_node_write_zeroes(base, off, pnum, 0);
        } else {
            struct iovec iov = { buf, pnum };
            ret = block_node_preadv(top, off, pnum, &iov, 1, 0);
            if (ret == 0) {
                ret = block_node_pwritev(base, off, pnum, &iov, 1, 0);
            }
        }
        if (ret < 0) {
            return ret;
        }
        off += pnum;
        if (progress) {
            progress(off * 100.0 / len);
        }
    }
    return 0;
}

/* Commit `top` (and the images between) into `base`: 0 or -errno (errp
 * says more when set).  Empties `top` afterwards when asked. */
static int commit_node(TsBlockNode *top, TsBlockNode *base, bool empty_top,
                       BlockCommitProgress progress, GError **errp)
{
    /* The commit writes the backing file: take the write permission, so
     * that another process holding the image (a QEMU, qemu-img) refuses
     * it through the image locks, as QEMU's commit would be refused. */
    BlockUser writer = {
        .perm = TS_BLOCK_PERM_CONSISTENT_READ | TS_BLOCK_PERM_WRITE |
                TS_BLOCK_PERM_RESIZE,
        .shared = TS_BLOCK_PERM_ALL,
    };
    if (!block_node_add_user(base, &writer, errp)) {
        return -EBUSY;
    }
    int ret = 0;
    uint64_t len = (uint64_t)block_node_get_length(top);
    if ((uint64_t)block_node_get_length(base) < len &&
        !block_node_truncate(base, len, errp)) {
        ret = -EINVAL;          /* a grown top (block_resize) */
    }
    if (ret == 0) {
        ret = copy_allocated(top, base, progress);
    }
    if (ret == 0) {
        ret = block_node_flush(base);
    }
    /* Only once the data is stable in the backing file may the top let
     * go of its copy. */
    if (ret == 0 && empty_top && top->driver->make_empty &&
        !ts_block_node_is_read_only(top)) {
        block_node_drain(top);
        ret = top->driver->make_empty(top);
        if (ret == 0) {
            ret = block_node_flush(top);
        }
    }
    block_node_remove_user(base, &writer);
    return ret;
}

static void print_failure(HmpCall *c, const char *device, int ret,
                          GError *err)
{
    if (err) {
        hmp_printf(c, "'commit' error for '%s': %s\n", device, err->message);
        g_error_free(err);
    } else {
        hmp_printf(c, "'commit' error for '%s': %s\n", device,
                   g_strerror(-ret));
    }
}

/* ---- a read-only backing node, read-write for the commit ------------ */

/* The node and the nodes below it that hold its data (its file children,
 * not its own backing chain, which the commit does not write). */
static void data_nodes(TsBlockNode *n, GPtrArray *out)
{
    g_ptr_array_add(out, n);
    NodeCore *nc = node_core(n);
    for (guint i = 0; i < nc->children->len; i++) {
        TsBlockChild *c = g_ptr_array_index(nc->children, i);
        if (c->role == CHILD_FILE) {
            data_nodes(c->node, out);
        }
    }
}

/* Whether every node can change mode: protocol drivers need the reopen
 * hook, formats that depend on the mode (supports_backing) too; a node
 * the driver made read-only (auto-read-only, corruption) stays so. */
static bool reopenable(GPtrArray *nodes, const char **driver)
{
    for (guint i = 0; i < nodes->len; i++) {
        TsBlockNode *n = g_ptr_array_index(nodes, i);
        NodeCore *nc = node_core(n);
        bool needs_hook = n->driver->kind == TS_BLOCK_PROTOCOL ||
                          n->driver->supports_backing;
        if ((needs_hook && !n->driver->reopen) || nc->read_only ||
            g_atomic_int_get(&nc->corrupt)) {
            *driver = n->driver->name;
            return false;
        }
    }
    return true;
}

/* Switch the nodes' mode: to read-write bottom up (a format writes its
 * header through a file that is writable already), back to read-only
 * top down (a format flushes its metadata while its file still takes
 * writes).  On a failure the ones switched go back.  The locks are
 * applied again by the next permission update. */
static bool set_mode(GPtrArray *nodes, bool rw, GError **errp)
{
    guint len = nodes->len;
    for (guint k = 0; k < len; k++) {
        guint i = rw ? len - 1 - k : k;
        TsBlockNode *n = g_ptr_array_index(nodes, i);
        NodeCore *nc = node_core(n);
        if (n->driver->reopen && !n->driver->reopen(n, rw, errp)) {
            /* Undo the switched ones, in the reverse order. */
            for (guint u = k; u-- > 0;) {
                guint j = rw ? len - 1 - u : u;
                TsBlockNode *m = g_ptr_array_index(nodes, j);
                if (m->driver->reopen) {
                    m->driver->reopen(m, !rw, NULL);
                }
                node_core(m)->open_flags ^= TS_BLOCK_OPEN_RDWR;
                node_core(m)->applied_perm = node_core(m)->applied_shared = 0;
            }
            return false;
        }
        nc->open_flags = rw ? nc->open_flags | TS_BLOCK_OPEN_RDWR
                            : nc->open_flags & ~TS_BLOCK_OPEN_RDWR;
        nc->applied_perm = nc->applied_shared = 0;
    }
    return true;
}

/*
 * Commit top into base (a node of its backing chain).  Returns 0, or
 * -errno with *errp possibly set.  A backing node opened read-only (the
 * default for a backing file named in the image, and the image under
 * -snapshot's overlay) is reopened read-write for the time of the
 * commit, as QEMU does.
 */
int block_commit_chain(TsBlockNode *top, TsBlockNode *base, bool empty_top,
                       BlockCommitProgress progress, GError **errp)
{
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();
    bool reopened = false;
    if (ts_block_node_is_read_only(base)) {
        const char *driver = NULL;
        data_nodes(base, nodes);
        if (!reopenable(nodes, &driver)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "backing file '%s' is open read-only and cannot "
                        "be reopened read-write (driver %s); open it "
                        "read-write to commit (-blockdev ...,"
                        "node-name=NAME and backing=NAME)",
                        ts_block_node_filename(base), driver);
            return -EACCES;
        }
        block_node_drain(base);
        if (!set_mode(nodes, true, errp)) {
            block_node_update_perms(base, NULL);
            return -EACCES;
        }
        reopened = true;
    }
    int ret = commit_node(top, base, empty_top, progress, errp);
    if (reopened) {
        block_node_drain(base);
        set_mode(nodes, false, NULL);
        block_node_update_perms(base, NULL);
    }
    return ret;
}

/* One drive: its top image into the backing file. */
static int commit_backend(TsBlockBackend *blk, GError **errp)
{
    TsBlockNode *top = image_node(blk->root);
    TsBlockNode *base = top ? block_node_backing(top) : NULL;
    if (!base) {
        return -ENOTSUP;
    }
    ts_block_drain(blk);
    return block_commit_chain(top, base, true, NULL, errp);
}

static void cmd_commit(HmpCall *c, const char *args)
{
    g_autofree char *device = g_strstrip(g_strdup(args));
    GError *err = NULL;
    int ret = 0;
    if (!*device) {
        hmp_printf(c, "commit: expects a device name or 'all'\n");
        return;
    }
    if (!strcmp(device, "all")) {
        /* Every drive with a backing file, as QEMU's: the first failure
         * stops it. */
        GPtrArray *all = block_all_backends();
        for (guint i = 0; ret == 0 && i < all->len; i++) {
            TsBlockBackend *b = g_ptr_array_index(all, i);
            TsBlockNode *top = b->root ? image_node(b->root) : NULL;
            if (top && block_node_backing(top)) {
                ret = commit_backend(b, &err);
            }
        }
    } else {
        TsBlockBackend *blk = block_backend_find(device);
        if (!blk) {
            hmp_printf(c, "Device '%s' not found\n", device);
            return;
        }
        if (!blk->root) {
            hmp_printf(c, "Device '%s' has no medium\n", device);
            return;
        }
        ret = commit_backend(blk, &err);
    }
    if (ret < 0) {
        print_failure(c, device, ret, err);
    }
}

static const HmpCommand block_commit_commands[] = {
    { "commit", "device|all", "commit changes to the disk images (if "
      "-snapshot is used) or backing files", cmd_commit },
    { NULL }
};
HMP_COMMANDS(block_commit_commands)
