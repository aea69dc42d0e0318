/*
 * core/block/block-export.c - a node used by an exporter (the NBD
 * server): found by drive id or node name, held with its own permissions,
 * its requests run on the worker pool and completed on the main loop.
 *
 * Kept apart from block-backend.c because an export is no device: it
 * must not show in query-block, stop the VM on an error, or keep the
 * guest's write cache setting; its client hears every error itself.
 */
#include "block-internal.h"
#include "block-export.h"
#include "monitor/qmp.h"

#include <errno.h>
#include <string.h>

struct BlockExportUser {
    TsBlockNode *node;
    BlockUser user;
    bool writable;
    unsigned inflight;          /* main thread only */
};

typedef struct ExportJob {
    BlockJob job;
    BlockExportUser *u;
    BlockExportReq *req;
} ExportJob;

/*
 * A writable export next to a device that does not share writes (a
 * guest's disk without share-rw=on) is refused, in QEMU's words: the
 * image locks that would catch it between processes do not conflict
 * within one.
 */
static bool writers_welcome(TsBlockNode *node, GError **errp)
{
    GPtrArray *users = node_core(node)->users;
    for (guint i = 0; i < users->len; i++) {
        BlockUser *u = g_ptr_array_index(users, i);
        if (u->shared & TS_BLOCK_PERM_WRITE) {
            continue;
        }
        g_autofree char *who = NULL;
        GPtrArray *all = block_all_backends();
        for (guint j = 0; j < all->len && !who; j++) {
            TsBlockBackend *b = g_ptr_array_index(all, j);
            if (&b->user == u) {
                who = b->name
                    ? g_strdup_printf("block device '%s' (uses node '%s' "
                                      "as 'root' child)", b->name,
                                      node_core(node)->name)
                    : g_strdup_printf("an unnamed block device (uses "
                                      "node '%s' as 'root' child)",
                                      node_core(node)->name);
            }
        }
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Permission conflict on node '%s': permissions 'write' "
                    "are both required by an unnamed block device (uses "
                    "node '%s' as 'root' child) and unshared by %s.",
                    node_core(node)->name, node_core(node)->name,
                    who ? who : "another user of the node");
        return false;
    }
    return true;
}

BlockExportUser *block_export_open_node(TsBlockNode *node, bool writable,
                                        GError **errp)
{
    if (writable && ts_block_node_is_read_only(node)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Cannot export read-only node as writable");
        return NULL;
    }
    if (writable && !writers_welcome(node, errp)) {
        return NULL;
    }
    BlockExportUser *u = g_new0(BlockExportUser, 1);
    u->node = block_node_ref(node);
    u->writable = writable;
    u->user.perm = TS_BLOCK_PERM_CONSISTENT_READ |
                   (writable ? TS_BLOCK_PERM_WRITE : 0);
    u->user.shared = TS_BLOCK_PERM_ALL;
    if (!block_node_add_user(node, &u->user, errp)) {
        block_node_unref(node);
        g_free(u);
        return NULL;
    }
    return u;
}

BlockExportUser *block_export_open(const char *device, bool writable,
                                   GError **errp)
{
    TsBlockBackend *blk = block_backend_find(device);
    TsBlockNode *node = blk ? blk->root : block_node_find(device);
    if (!node) {
        g_set_error(errp, QMP_ERROR, QMP_ERROR_GENERIC,
                    "Cannot find device='%s' nor node-name='%s'",
                    device ? device : "", device ? device : "");
        return NULL;
    }
    /* QEMU exports what the device sees, below its implicit filters. */
    return block_export_open_node(node, writable, errp);
}

TsBlockNode *block_export_open_image(const char *filename,
                                     const char *format, bool image_opts,
                                     GHashTable *extra, GError **errp)
{
    g_autoptr(GError) err = NULL;
    BlockOpts *o = image_opts ? block_opts_parse(filename, &err)
                              : block_opts_new();
    if (!o) {
        g_propagate_error(errp, g_steal_pointer(&err));
        return NULL;
    }
    GHashTableIter it;
    gpointer k, v;
    if (extra) {
        g_hash_table_iter_init(&it, extra);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            g_hash_table_replace(o, g_strdup(k), g_strdup(v));
        }
    }
    TsBlockNode *n = image_opts
        ? block_node_open(o, false, &err)
        : block_node_open_image(filename, format, o, &err);
    if (!n) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not open '%s': %s", filename, err->message);
    }
    return n;
}

void block_export_release_image(TsBlockNode *node)
{
    if (node) {
        block_node_unref(node);
    }
}

bool block_export_node_exists(const char *name)
{
    return block_node_find(name) != NULL;
}

char **block_export_drive_names(void)
{
    GPtrArray *all = block_backends();
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; i < all->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(all, i);
        if (b->name && b->root) {
            g_ptr_array_add(names, g_strdup(b->name));
        }
    }
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

void block_export_close(BlockExportUser *u)
{
    if (!u) {
        return;
    }
    while (u->inflight) {
        if (!block_pool_run_completions()) {
            block_pool_wait();
        }
    }
    block_node_remove_user(u->node, &u->user);
    block_node_unref(u->node);
    g_free(u);
}

const char *block_export_node_name(const BlockExportUser *u)
{
    return ts_block_node_name(u->node);
}

uint64_t block_export_length(BlockExportUser *u)
{
    int64_t len = block_node_get_length(u->node);
    return len > 0 ? (uint64_t)len : 0;
}

bool block_export_writable(const BlockExportUser *u)
{
    return u->writable;
}

bool block_export_can_discard(const BlockExportUser *u)
{
    return node_core(u->node)->discard_unmap;
}

unsigned block_export_inflight(const BlockExportUser *u)
{
    return u->inflight;
}

/*
 * The state of [offset, offset + bytes) from its start, through the
 * backing chain: a range the top node does not define is what its
 * backing file says (zeroes past the backing file's end, or with none).
 */
static int status_above(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                        uint64_t *pnum, BlockExportExtent *e)
{
    for (;;) {
        uint64_t map = 0;
        TsBlockChild *file = NULL;
        uint64_t num = 0;
        int ret = block_node_block_status(n, offset, bytes, &num, &map,
                                          &file);
        if (ret < 0) {
            return ret;
        }
        if (num == 0 || num > bytes) {
            num = bytes;        /* a driver that says nothing useful */
        }
        TsBlockNode *backing = block_node_backing(n);
        if ((ret & (TS_BLOCK_STATUS_ALLOCATED | TS_BLOCK_STATUS_EOF)) ||
            !backing) {
            e->data = ret & TS_BLOCK_STATUS_DATA;
            e->zero = (ret & TS_BLOCK_STATUS_ZERO) ||
                      (!e->data && !(ret & TS_BLOCK_STATUS_ALLOCATED));
            *pnum = num;
            return 0;
        }
        n = backing;
        bytes = num;
    }
}

static int map_range(BlockExportUser *u, BlockExportReq *req)
{
    uint64_t off = req->offset, left = req->bytes;
    while (left) {
        BlockExportExtent e = { 0 };
        uint64_t num;
        int ret = status_above(u->node, off, left, &num, &e);
        if (ret < 0) {
            return ret;
        }
        e.length = num;
        BlockExportExtent *last = req->extents->len
            ? &g_array_index(req->extents, BlockExportExtent,
                             req->extents->len - 1) : NULL;
        if (last && last->data == e.data && last->zero == e.zero) {
            last->length += num;            /* one run, however stored */
        } else if (req->max_extents &&
                   req->extents->len >= req->max_extents) {
            break;
        } else {
            g_array_append_val(req->extents, e);
        }
        off += num;
        left -= num;
    }
    return 0;
}

static int read_mapped(BlockExportUser *u, BlockExportReq *req)
{
    int ret = map_range(u, req);
    if (ret < 0) {
        return ret;
    }
    uint64_t off = req->offset;
    for (guint i = 0; i < req->extents->len; i++) {
        BlockExportExtent *e = &g_array_index(req->extents,
                                              BlockExportExtent, i);
        if (!e->zero) {
            struct iovec iov = { (uint8_t *)req->buf + (off - req->offset),
                                 e->length };
            ret = block_node_preadv(u->node, off, e->length, &iov, 1, 0);
            if (ret < 0) {
                return ret;
            }
        }
        off += e->length;
    }
    return 0;
}

static int export_work(BlockJob *job)
{
    ExportJob *j = (ExportJob *)job;
    BlockExportReq *r = j->req;
    TsBlockNode *n = j->u->node;
    uint64_t len = block_export_length(j->u);
    if (r->op != BLOCK_EXPORT_FLUSH &&
        (r->offset > len || r->bytes > len - r->offset)) {
        return -EIO;
    }
    struct iovec iov = { r->buf, r->bytes };
    switch (r->op) {
    case BLOCK_EXPORT_READ:
        return block_node_preadv(n, r->offset, r->bytes, &iov, 1, 0);
    case BLOCK_EXPORT_WRITE:
        return block_node_pwritev(n, r->offset, r->bytes, &iov, 1,
                                  r->flags & TS_BLOCK_REQ_FUA);
    case BLOCK_EXPORT_FLUSH:
        return block_node_flush(n);
    case BLOCK_EXPORT_DISCARD:
        return node_core(n)->discard_unmap
            ? block_node_discard(n, r->offset, r->bytes) : 0;
    case BLOCK_EXPORT_ZEROES:
        return block_node_write_zeroes(
            n, r->offset, r->bytes,
            r->flags & (TS_BLOCK_REQ_FUA | TS_BLOCK_REQ_MAY_UNMAP));
    case BLOCK_EXPORT_STATUS:
        return map_range(j->u, r);
    case BLOCK_EXPORT_READ_MAPPED:
        return read_mapped(j->u, r);
    }
    return -EINVAL;
}

static void export_done(BlockJob *job)
{
    ExportJob *j = (ExportJob *)job;
    BlockExportReq *r = j->req;
    j->u->inflight--;
    int ret = job->ret < 0 ? job->ret : 0;
    g_free(j);
    r->done(r, ret);
}

void block_export_submit(BlockExportUser *u, BlockExportReq *req)
{
    ExportJob *j = g_new0(ExportJob, 1);
    j->job.work = export_work;
    j->job.done = export_done;
    j->job.bytes = req->bytes;
    j->u = u;
    j->req = req;
    u->inflight++;
    block_pool_submit(&j->job);
}
