/*
 * core/block/block-backend.c - what a device attaches to.
 *
 * A backend holds a root node for one device and does for it what QEMU's
 * BlockBackend does: requests go to the worker pool and complete on the
 * main loop; the guest's write cache setting turns writes into FUA
 * writes; discard=ignore drops discards; statistics are counted for
 * query-blockstats; and a failed request meets its rerror/werror action:
 * report it, ignore it, or stop the VM with a BLOCK_IO_ERROR event and
 * hold the request until `cont`, which submits it again (so a guest never
 * sees an error a full host disk caused, and loses no data).
 */
#include "block-internal.h"
#include "block-options.h"
#include "loop/main-loop.h"
#include "monitor/qmp.h"

#include <errno.h>

typedef enum ReqOp {
    REQ_READ, REQ_WRITE, REQ_FLUSH, REQ_DISCARD, REQ_ZEROES,
} ReqOp;

typedef struct BlockReq {
    BlockJob job;
    TsBlockBackend *blk;
    ReqOp op;
    uint64_t offset, bytes;
    struct iovec *iov;
    int niov;
    unsigned flags;
    TsBlockCompleteFn cb;
    void *opaque;
    int64_t start_ns;
} BlockReq;

static GPtrArray *backends;     /* named ones (-drive) */
static GPtrArray *attached;     /* every backend, for `cont` and events */
static bool notifier_added;

static GPtrArray *all_backends(void);

GPtrArray *block_backends(void)
{
    if (!backends) {
        backends = g_ptr_array_new();
    }
    return backends;
}

GPtrArray *block_all_backends(void)
{
    return all_backends();
}

static GPtrArray *all_backends(void)
{
    if (!attached) {
        attached = g_ptr_array_new();
    }
    return attached;
}

TsBlockBackend *block_backend_find(const char *name)
{
    for (guint i = 0; name && backends && i < backends->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(backends, i);
        if (b->name && g_str_equal(b->name, name)) {
            return b;
        }
    }
    return NULL;
}

TsBlockBackend *block_backend_of_node(TsBlockNode *root)
{
    for (guint i = 0; attached && i < attached->len; i++) {
        TsBlockBackend *b = g_ptr_array_index(attached, i);
        if (b->root == root) {
            return b;
        }
    }
    return NULL;
}

const char *block_backend_device_name(TsBlockNode *root)
{
    TsBlockBackend *b = block_backend_of_node(root);
    return b && b->name ? b->name : "";
}

bool block_error_action_parse(const char *text, bool for_read,
                              ErrorAction *out, GError **errp)
{
    static const char *const names[] = { "report", "ignore", "stop",
                                         "enospc" };
    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        if (g_str_equal(text, names[i]) &&
            !(for_read && i == ERROR_ACTION_ENOSPC)) {
            *out = i;
            return true;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "'%s' invalid %s error action", text,
                for_read ? "read" : "write");
    return false;
}

const char *block_error_action_name(ErrorAction a)
{
    static const char *const names[] = { "report", "ignore", "stop",
                                         "enospc" };
    return names[a];
}

static void vm_state_changed(bool running, void *opaque);

static void register_backend(TsBlockBackend *blk)
{
    g_ptr_array_add(all_backends(), blk);
    if (!notifier_added) {
        notifier_added = true;
        ts_vm_state_notifier_add(vm_state_changed, NULL);
    }
}

/* Permissions of a backend, as QEMU 7.2 takes them (seen in its locks):
 * a device reads, writes unless read-only, and lets others read and
 * resize but not write (share-rw=off); a -drive without a device only
 * reads and shares everything. */
static void backend_perms(TsBlockBackend *blk, bool has_dev, bool writable)
{
    blk->user.perm = TS_BLOCK_PERM_CONSISTENT_READ |
                     (has_dev && writable ? TS_BLOCK_PERM_WRITE : 0);
    blk->user.shared = has_dev
        ? TS_BLOCK_PERM_ALL & ~TS_BLOCK_PERM_WRITE
        : TS_BLOCK_PERM_ALL;
}

TsBlockBackend *block_backend_new(const char *name, TsBlockNode *root,
                                  const BackendConf *conf, GError **errp)
{
    TsBlockBackend *blk = g_new0(TsBlockBackend, 1);
    blk->name = g_strdup(name);
    blk->root = root;
    blk->conf = *conf;
    blk->iostatus = "ok";
    blk->legacy = name != NULL;
    backend_perms(blk, false, !ts_block_node_is_read_only(root));
    if (!block_node_add_user(root, &blk->user, errp)) {
        g_free(blk->name);
        g_free(blk);
        return NULL;
    }
    if (name) {
        g_ptr_array_add(block_backends(), blk);
    }
    register_backend(blk);
    return blk;
}

void block_backend_delete(TsBlockBackend *blk)
{
    ts_block_drain(blk);
    if (backends) {
        g_ptr_array_remove(backends, blk);
    }
    g_ptr_array_remove(all_backends(), blk);
    if (blk->root) {
        block_node_remove_user(blk->root, &blk->user);
        block_node_unref(blk->root);
    }
    block_throttle_unref(blk->throttle);
    g_free(blk->name);
    g_free(blk->legacy_iface);
    g_free(blk->legacy_option);
    g_free(blk);
}

/* ---- attaching ------------------------------------------------------- */

TS_EXPORT TsBlockBackend *ts_block_attach(const char *drive, TsObject *dev,
                                          const TsBlockDevOps *ops,
                                          void *opaque, bool writable,
                                          GError **errp)
{
    const char *type = dev ? ts_object_type_name(dev) : "device";
    TsBlockBackend *blk = block_backend_find(drive);
    bool anonymous = false;
    if (!blk) {
        TsBlockNode *node = block_node_find(drive);
        if (!node) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "Property '%s.drive' can't find value '%s'", type,
                        drive ? drive : "");
            return NULL;
        }
        blk = g_new0(TsBlockBackend, 1);
        blk->root = block_node_ref(node);
        blk->conf = (BackendConf){ .rerror = ERROR_ACTION_REPORT,
                                   .werror = ERROR_ACTION_ENOSPC,
                                   .write_cache = true };
        blk->iostatus = "ok";
        anonymous = true;
    } else if (blk->dev) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Drive '%s' is already in use by another device", drive);
        return NULL;
    }
    if (ts_block_is_read_only(blk)) {
        writable = false;       /* a read-only attachment, as QEMU's */
    }
    BlockUser old = blk->user;
    if (!anonymous) {
        block_node_remove_user(blk->root, &blk->user);
    }
    backend_perms(blk, true, writable);
    if (!block_node_add_user(blk->root, &blk->user, errp)) {
        blk->user = old;
        if (!anonymous) {
            block_node_add_user(blk->root, &blk->user, NULL);
        }
        goto fail;
    }
    blk->dev = dev ? dev : (TsObject *)blk;
    blk->ops = ops;
    blk->opaque = opaque;
    if (anonymous) {
        register_backend(blk);
    }
    return blk;

fail:
    if (anonymous) {
        block_node_unref(blk->root);
        g_free(blk);
    }
    return NULL;
}

TS_EXPORT void ts_block_detach(TsBlockBackend *blk)
{
    if (!blk) {
        return;
    }
    ts_block_drain(blk);
    blk->dev = NULL;
    blk->ops = NULL;
    blk->opaque = NULL;
    if (!blk->legacy) {
        g_ptr_array_remove(all_backends(), blk);
        block_node_remove_user(blk->root, &blk->user);
        block_node_unref(blk->root);
        g_free(blk);
        return;
    }
    /* A -drive outlives its device, as in QEMU (until drive_del). */
    block_node_remove_user(blk->root, &blk->user);
    backend_perms(blk, false, !ts_block_node_is_read_only(blk->root));
    block_node_add_user(blk->root, &blk->user, NULL);
}

/* ---- properties ------------------------------------------------------ */

TS_EXPORT const char *ts_block_name(const TsBlockBackend *blk)
{
    return blk->name ? blk->name : node_core(blk->root)->name;
}

TS_EXPORT uint64_t ts_block_length(TsBlockBackend *blk)
{
    return blk->root ? (uint64_t)block_node_get_length(blk->root) : 0;
}

TS_EXPORT bool ts_block_is_read_only(TsBlockBackend *blk)
{
    return blk->conf.read_only || !blk->root ||
           ts_block_node_is_read_only(blk->root);
}

TS_EXPORT bool ts_block_write_cache_enabled(TsBlockBackend *blk)
{
    return blk->conf.write_cache;
}

TS_EXPORT void ts_block_set_write_cache(TsBlockBackend *blk, bool enabled)
{
    blk->conf.write_cache = enabled;
}

TS_EXPORT void ts_block_block_sizes(TsBlockBackend *blk, uint32_t *logical,
                                    uint32_t *physical)
{
    TsBlockNode *n = blk->root;
    /* The host's sizes are the protocol node's, under the formats. */
    while (n && block_node_file_child(n)) {
        n = block_node_file_child(n);
    }
    *logical = n ? node_core(n)->logical : 512;
    *physical = n ? node_core(n)->physical : 512;
}

TS_EXPORT bool ts_block_discard_enabled(TsBlockBackend *blk)
{
    return blk->root && node_core(blk->root)->discard_unmap;
}

void block_backend_resized(TsBlockBackend *blk)
{
    if (blk->ops && blk->ops->resize) {
        blk->ops->resize(blk->opaque);
    }
}

/* ---- requests -------------------------------------------------------- */

static int req_work(BlockJob *job)
{
    BlockReq *r = (BlockReq *)job;
    TsBlockNode *n = r->blk->root;
    unsigned flags = r->flags;
    uint64_t len = ts_block_length(r->blk);
    if (r->op != REQ_FLUSH &&
        (r->offset > len || r->bytes > len - r->offset)) {
        return -EIO;            /* the guest's disk ends here */
    }
    switch (r->op) {
    case REQ_READ:
        return block_node_preadv(n, r->offset, r->bytes, r->iov, r->niov, 0);
    case REQ_WRITE:
        if (!r->blk->conf.write_cache) {
            flags |= TS_BLOCK_REQ_FUA;
        }
        return block_node_pwritev(n, r->offset, r->bytes, r->iov, r->niov,
                                  flags);
    case REQ_FLUSH:
        return block_node_flush(n);
    case REQ_DISCARD:
        if (!node_core(n)->discard_unmap) {
            return 0;       /* discard=ignore */
        }
        return block_node_discard(n, r->offset, r->bytes);
    case REQ_ZEROES:
        if (!r->blk->conf.write_cache) {
            flags |= TS_BLOCK_REQ_FUA;
        }
        return block_node_write_zeroes(n, r->offset, r->bytes, flags);
    }
    return -EINVAL;
}

static void account(TsBlockBackend *blk, BlockReq *r, int ret)
{
    BlockStats *s = &blk->stats;
    int64_t now = g_get_monotonic_time() * 1000;
    uint64_t ns = (uint64_t)(now - r->start_ns);
    s->last_ns = now;
    switch (r->op) {
    case REQ_READ:
        ret < 0 ? s->failed_rd++ : (s->rd_ops++, s->rd_bytes += r->bytes);
        s->rd_ns += ns;
        break;
    case REQ_WRITE:
    case REQ_ZEROES:
        ret < 0 ? s->failed_wr++ : (s->wr_ops++, s->wr_bytes += r->bytes);
        s->wr_ns += ns;
        if (ret >= 0) {
            s->wr_highest = MAX(s->wr_highest, r->offset + r->bytes);
        }
        break;
    case REQ_FLUSH:
        ret < 0 ? s->failed_flush++ : s->flush_ops++;
        s->flush_ns += ns;
        break;
    case REQ_DISCARD:
        ret < 0 ? s->failed_unmap++
                : (s->unmap_ops++, s->unmap_bytes += r->bytes);
        s->unmap_ns += ns;
        break;
    }
}

static void req_finish(BlockReq *r, int ret)
{
    TsBlockBackend *blk = r->blk;
    blk->inflight--;
    if (r->cb) {
        r->cb(r->opaque, ret);
    }
    g_free(r->iov);
    g_free(r);
}

static ErrorAction action_for(TsBlockBackend *blk, BlockReq *r, int ret)
{
    ErrorAction a = r->op == REQ_READ ? blk->conf.rerror : blk->conf.werror;
    if (a == ERROR_ACTION_ENOSPC) {
        return ret == -ENOSPC ? ERROR_ACTION_STOP : ERROR_ACTION_REPORT;
    }
    return a;
}

static void req_done(BlockJob *job)
{
    BlockReq *r = (BlockReq *)job;
    TsBlockBackend *blk = r->blk;
    int ret = job->ret;
    account(blk, r, ret);
    if (ret >= 0) {
        req_finish(r, 0);
        return;
    }
    ErrorAction a = action_for(blk, r, ret);
    bool write = r->op != REQ_READ;
    block_event_io_error(blk, write, a == ERROR_ACTION_STOP ? "stop"
                         : a == ERROR_ACTION_IGNORE ? "ignore" : "report",
                         -ret);
    if (a == ERROR_ACTION_STOP && !blk->draining) {
        blk->iostatus = ret == -ENOSPC ? "nospace" : "failed";
        g_queue_push_tail(&blk->held, r);
        qmp_set_stop_reason("io-error");
        ts_vm_stop();
        return;
    }
    if (a != ERROR_ACTION_IGNORE) {
        blk->iostatus = "failed";
    }
    req_finish(r, a == ERROR_ACTION_IGNORE ? 0 : ret);
}

static void submit(TsBlockBackend *blk, ReqOp op, uint64_t offset,
                   uint64_t bytes, const struct iovec *iov, int niov,
                   unsigned flags, TsBlockCompleteFn cb, void *opaque)
{
    BlockReq *r = g_new0(BlockReq, 1);
    r->job.work = req_work;
    r->job.done = req_done;
    /* Successes only: an error may stop the VM (werror=stop), which is
     * the main thread's to do. */
    r->job.done_on_worker = true;
    r->blk = blk;
    r->op = op;
    r->offset = offset;
    r->bytes = bytes;
    if (niov) {
        r->iov = g_memdup2(iov, sizeof(*iov) * niov);
        r->niov = niov;
    }
    r->flags = flags;
    r->cb = cb;
    r->opaque = opaque;
    r->start_ns = g_get_monotonic_time() * 1000;
    r->job.bytes = bytes;
    blk->inflight++;
    if (blk->throttle && (op == REQ_READ || op == REQ_WRITE)) {
        block_throttle_submit(blk->throttle, &r->job, op == REQ_WRITE);
        return;
    }
    block_pool_submit(&r->job);
}

/* `cont`: the held requests are submitted again. */
static void vm_state_changed(bool running, void *opaque)
{
    if (!running) {
        return;
    }
    for (guint i = 0; attached && i < attached->len; i++) {
        TsBlockBackend *blk = g_ptr_array_index(attached, i);
        BlockReq *r;
        blk->iostatus = "ok";
        while ((r = g_queue_pop_head(&blk->held))) {
            r->start_ns = g_get_monotonic_time() * 1000;
            block_pool_submit(&r->job);
        }
    }
}

TS_EXPORT void ts_block_preadv(TsBlockBackend *blk, uint64_t offset,
                               const struct iovec *iov, int niov,
                               unsigned flags, TsBlockCompleteFn cb,
                               void *opaque)
{
    submit(blk, REQ_READ, offset, iov_size(iov, niov), iov, niov, 0, cb,
           opaque);
}

TS_EXPORT void ts_block_pwritev(TsBlockBackend *blk, uint64_t offset,
                                const struct iovec *iov, int niov,
                                unsigned flags, TsBlockCompleteFn cb,
                                void *opaque)
{
    submit(blk, REQ_WRITE, offset, iov_size(iov, niov), iov, niov,
           flags & TS_BLOCK_REQ_FUA, cb, opaque);
}

TS_EXPORT void ts_block_flush(TsBlockBackend *blk, TsBlockCompleteFn cb,
                              void *opaque)
{
    submit(blk, REQ_FLUSH, 0, 0, NULL, 0, 0, cb, opaque);
}

TS_EXPORT void ts_block_discard(TsBlockBackend *blk, uint64_t offset,
                                uint64_t bytes, TsBlockCompleteFn cb,
                                void *opaque)
{
    submit(blk, REQ_DISCARD, offset, bytes, NULL, 0, 0, cb, opaque);
}

TS_EXPORT void ts_block_write_zeroes(TsBlockBackend *blk, uint64_t offset,
                                     uint64_t bytes, unsigned flags,
                                     TsBlockCompleteFn cb, void *opaque)
{
    submit(blk, REQ_ZEROES, offset, bytes, NULL, 0,
           flags & (TS_BLOCK_REQ_FUA | TS_BLOCK_REQ_MAY_UNMAP), cb, opaque);
}

TS_EXPORT void ts_block_drain(TsBlockBackend *blk)
{
    blk->draining = true;
    BlockReq *r;
    while ((r = g_queue_pop_head(&blk->held))) {
        req_finish(r, -EIO);
    }
    block_throttle_flush_all();
    while (blk->inflight) {
        if (!block_pool_run_completions()) {
            block_pool_wait();
        }
    }
    blk->draining = false;
}

static bool in_range(TsBlockBackend *blk, uint64_t offset, uint64_t bytes)
{
    uint64_t len = ts_block_length(blk);
    return offset <= len && bytes <= len - offset;
}

TS_EXPORT int ts_block_pread_sync(TsBlockBackend *blk, uint64_t offset,
                                  void *buf, uint64_t bytes)
{
    struct iovec iov = { buf, bytes };
    if (!in_range(blk, offset, bytes)) {
        return -EIO;
    }
    return block_node_preadv(blk->root, offset, bytes, &iov, 1, 0);
}

TS_EXPORT int ts_block_pwrite_sync(TsBlockBackend *blk, uint64_t offset,
                                   const void *buf, uint64_t bytes)
{
    struct iovec iov = { (void *)buf, bytes };
    if (!in_range(blk, offset, bytes)) {
        return -EIO;
    }
    return block_node_pwritev(blk->root, offset, bytes, &iov, 1,
                              blk->conf.write_cache ? 0 : TS_BLOCK_REQ_FUA);
}

void block_drain_all(void)
{
    for (guint i = 0; attached && i < attached->len; i++) {
        ts_block_drain(g_ptr_array_index(attached, i));
    }
    GPtrArray *nodes = block_nodes();
    for (guint i = 0; i < nodes->len; i++) {
        TsBlockNode *n = g_ptr_array_index(nodes, i);
        block_node_drain(n);
        if (!ts_block_node_is_read_only(n)) {
            block_node_flush(n);
        }
    }
}
