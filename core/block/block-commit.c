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

/* Copy every range `top` allocates into `base`; 0 or -errno. */
static int copy_allocated(TsBlockNode *top, TsBlockNode *base)
{
    uint64_t len = (uint64_t)block_node_get_length(top);
    g_autofree uint8_t *buf = g_malloc(COMMIT_CHUNK);
    uint64_t off = 0;
    while (off < len) {
        uint64_t pnum = 0, map = 0;
        TsBlockChild *file = NULL;
        int st = block_node_block_status(top, off, MIN(COMMIT_CHUNK, len - off),
                                         &pnum, &map, &file);
        if (st < 0) {
            return st;
        }
        if (!pnum) {
            return -EIO;        /* a driver that makes no progress */
        }
        int ret = 0;
        if (!(st & TS_BLOCK_STATUS_ALLOCATED)) {
            /* Read from the backing file already: nothing to copy. */
        } else if (st & TS_BLOCK_STATUS_ZERO) {
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
    }
    return 0;
}

/* Commit `top` into `base`: 0 or -errno (errp says more when set). */
static int commit_node(TsBlockNode *top, TsBlockNode *base, GError **errp)
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
        ret = copy_allocated(top, base);
    }
    if (ret == 0) {
        ret = block_node_flush(base);
    }
    /* Only once the data is stable in the backing file may the top let
     * go of its copy. */
    if (ret == 0 && top->driver->make_empty && !ts_block_node_is_read_only(top)) {
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

/*
 * One drive.  Returns 0, or -errno with *errp possibly set.  A backing
 * node opened read-only (the default for a backing file named in the
 * image) is refused: QEMU reopens it read-write for the commit, which
 * needs a reopen the drivers do not have; the user opens the backing
 * file read-write instead (a -blockdev node given as backing=).
 */
static int commit_backend(TsBlockBackend *blk, GError **errp)
{
    TsBlockNode *top = image_node(blk->root);
    TsBlockNode *base = top ? block_node_backing(top) : NULL;
    if (!base) {
        return -ENOTSUP;
    }
    if (ts_block_node_is_read_only(base)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "backing file '%s' is open read-only; open it "
                    "read-write to commit (-blockdev ...,node-name=NAME "
                    "and backing=NAME)", ts_block_node_filename(base));
        return -EACCES;
    }
    ts_block_drain(blk);
    return commit_node(top, base, errp);
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
