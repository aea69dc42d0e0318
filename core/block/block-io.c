/*
 * core/block/block-io.c - synchronous I/O on a node, in the calling
 * thread: what drivers call on their children and what the worker pool
 * runs for devices.  Every request passes here, so the rules that hold
 * for every driver are kept here once: the range is checked against the
 * length, a corrupt or read-only node takes no writes, FUA becomes a
 * flush for drivers without it, cache.no-flush drops flushes, missing
 * write_zeroes becomes zero buffers, and the node counts what runs on it
 * so that close and truncate can wait for it.
 */
#include "block-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

size_t iov_size(const struct iovec *iov, int niov)
{
    size_t n = 0;
    for (int i = 0; i < niov; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

bool iov_is_zero(const struct iovec *iov, int niov)
{
    for (int i = 0; i < niov; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t len = iov[i].iov_len;
        /* Word at a time where aligned; what remains byte by byte. */
        while (len && ((uintptr_t)p & 7)) {
            if (*p++) {
                return false;
            }
            len--;
        }
        for (; len >= 8; p += 8, len -= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (w) {
                return false;
            }
        }
        while (len--) {
            if (*p++) {
                return false;
            }
        }
    }
    return true;
}

static void enter(TsBlockNode *n)
{
    g_atomic_int_inc(&node_core(n)->inflight);
}

static void leave(TsBlockNode *n)
{
    NodeCore *nc = node_core(n);
    if (g_atomic_int_dec_and_test(&nc->inflight)) {
        g_mutex_lock(&nc->lock);
        g_cond_broadcast(&nc->idle);
        g_mutex_unlock(&nc->lock);
    }
}

int64_t block_node_get_length(TsBlockNode *n)
{
    return __atomic_load_n(&node_core(n)->length, __ATOMIC_ACQUIRE);
}

/* Formats and filters serve their own length.  A protocol node is the
 * host's storage, which a format grows by writing past its end (qcow2
 * allocating a cluster) and which reads as zeroes there, as in QEMU; the
 * guest's bound is its backend's length (block-backend.c). */
static int check_range(TsBlockNode *n, uint64_t offset, uint64_t bytes)
{
    if (n->driver->kind == TS_BLOCK_PROTOCOL) {
        return offset + bytes < offset ? -EIO : 0;
    }
    uint64_t len = (uint64_t)block_node_get_length(n);
    if (offset > len || bytes > len - offset) {
        return -EIO;
    }
    return 0;
}

static int check_write(TsBlockNode *n, uint64_t offset, uint64_t bytes)
{
    NodeCore *nc = node_core(n);
    if (!(nc->open_flags & TS_BLOCK_OPEN_RDWR) || nc->read_only) {
        return -EACCES;
    }
    if (g_atomic_int_get(&nc->corrupt)) {
        return -EIO;
    }
    return check_range(n, offset, bytes);
}

int block_node_preadv(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov, unsigned flags)
{
    int ret = check_range(n, offset, bytes);
    if (ret < 0) {
        return ret;
    }
    if (!bytes) {
        return 0;
    }
    enter(n);
    ret = n->driver->preadv(n, offset, bytes, iov, niov, flags);
    leave(n);
    return ret;
}

static void threshold_check(TsBlockNode *n, uint64_t offset, uint64_t bytes);

/* query-blockstats' wr_highest_offset of the node. */
static void note_write_end(TsBlockNode *n, uint64_t end)
{
    uint64_t *slot = &node_core(n)->wr_highest;
    uint64_t cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
    while (cur < end &&
           !__atomic_compare_exchange_n(slot, &cur, end, false,
                                        __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
}

/* A write as the driver gets it (no zero detection). */
static int do_pwritev(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov, unsigned flags)
{
    if (!n->driver->pwritev) {
        return -EROFS;
    }
    threshold_check(n, offset, bytes);
    unsigned fua = flags & TS_BLOCK_REQ_FUA;
    unsigned pass = flags & n->driver->supported_write_flags;
    if ((flags & TS_BLOCK_REQ_WRITE_COMPRESSED) &&
        !(pass & TS_BLOCK_REQ_WRITE_COMPRESSED)) {
        /* Compression is the format's; storing plainly would lie. */
        return -ENOTSUP;
    }
    enter(n);
    int ret = n->driver->pwritev(n, offset, bytes, iov, niov, pass);
    leave(n);
    if (ret == 0) {
        note_write_end(n, offset + bytes);
    }
    if (ret == 0 && n->driver->kind == TS_BLOCK_PROTOCOL) {
        /* The file grew if the write went past its end. */
        int64_t end = (int64_t)(offset + bytes);
        int64_t cur = block_node_get_length(n);
        while (cur < end &&
               !__atomic_compare_exchange_n(&node_core(n)->length, &cur, end,
                                            false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
        }
    }
    if (ret == 0 && fua && !(pass & TS_BLOCK_REQ_FUA)) {
        ret = block_node_flush(n);
    }
    return ret;
}

int block_node_pwritev(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, unsigned flags)
{
    int ret = check_write(n, offset, bytes);
    if (ret < 0 || !bytes) {
        return ret;
    }
    if (node_core(n)->probed_raw && offset == 0 &&
        block_probe_looks_like_image(iov, niov)) {
        return -EPERM;          /* QEMU's guard for a guessed raw image */
    }
    DetectZeroes dz = node_core(n)->detect_zeroes;
    if (dz != DETECT_ZEROES_OFF && iov_is_zero(iov, niov)) {
        /* detect-zeroes: a buffer of zeroes becomes a write-zeroes, which
         * a format can record without writing data. */
        return block_node_write_zeroes(n, offset, bytes,
                                       (flags & TS_BLOCK_REQ_FUA) |
                                       (dz == DETECT_ZEROES_UNMAP
                                        ? TS_BLOCK_REQ_MAY_UNMAP : 0));
    }
    return do_pwritev(n, offset, bytes, iov, niov, flags);
}

int block_node_flush(TsBlockNode *n)
{
    NodeCore *nc = node_core(n);
    if (nc->open_flags & TS_BLOCK_OPEN_NO_FLUSH) {
        return 0;
    }
    int ret = 0;
    enter(n);
    if (n->driver->flush) {
        ret = n->driver->flush(n);
    } else {
        for (guint i = 0; ret == 0 && i < nc->children->len; i++) {
            TsBlockChild *c = g_ptr_array_index(nc->children, i);
            if (c->role == CHILD_FILE) {
                ret = block_node_flush(c->node);
            }
        }
    }
    leave(n);
    return ret;
}

int block_node_discard(TsBlockNode *n, uint64_t offset, uint64_t bytes)
{
    int ret = check_write(n, offset, bytes);
    if (ret < 0 || !bytes) {
        return ret;
    }
    if (!n->driver->discard) {
        return 0;
    }
    enter(n);
    ret = n->driver->discard(n, offset, bytes);
    leave(n);
    /* What QEMU's file driver counts (query-blockstats driver-specific). */
    NodeCore *nc = node_core(n);
    if (ret == 0) {
        __atomic_add_fetch(&nc->discard_ok, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&nc->discard_bytes_ok, bytes, __ATOMIC_RELAXED);
    } else if (ret != -ENOTSUP) {
        __atomic_add_fetch(&nc->discard_failed, 1, __ATOMIC_RELAXED);
    }
    return ret == -ENOTSUP ? 0 : ret;
}

/* Zero buffers, a MiB at a time. */
static int write_zero_buffers(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                              unsigned flags)
{
    static const size_t chunk = 1024 * 1024;
    g_autofree void *zero = g_malloc0(MIN(bytes, chunk));
    while (bytes) {
        size_t len = MIN(bytes, chunk);
        struct iovec iov = { zero, len };
        int ret = do_pwritev(n, offset, len, &iov, 1,
                             flags & TS_BLOCK_REQ_FUA);
        if (ret < 0) {
            return ret;
        }
        offset += len;
        bytes -= len;
    }
    return 0;
}

int block_node_write_zeroes(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                            unsigned flags)
{
    int ret = check_write(n, offset, bytes);
    if (ret < 0 || !bytes) {
        return ret;
    }
    if (!node_core(n)->discard_unmap) {
        flags &= ~TS_BLOCK_REQ_MAY_UNMAP;
    }
    ret = -ENOTSUP;
    if (n->driver->write_zeroes) {
        threshold_check(n, offset, bytes);
        enter(n);
        ret = n->driver->write_zeroes(n, offset, bytes, flags);
        leave(n);
        if (ret == 0) {
            note_write_end(n, offset + bytes);
        }
    }
    if (ret == -ENOTSUP && !(flags & TS_BLOCK_REQ_NO_FALLBACK)) {
        ret = write_zero_buffers(n, offset, bytes, flags);
    }
    return ret;
}

static int node_block_status(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                             uint64_t *pnum, uint64_t *map,
                             TsBlockChild **file)
{
    uint64_t len = (uint64_t)block_node_get_length(n);
    if (offset >= len) {
        *pnum = bytes;
        return TS_BLOCK_STATUS_ZERO | TS_BLOCK_STATUS_EOF;
    }
    bytes = MIN(bytes, len - offset);
    if (!n->driver->block_status) {
        *pnum = bytes;
        return TS_BLOCK_STATUS_DATA | TS_BLOCK_STATUS_ALLOCATED;
    }
    enter(n);
    int ret = n->driver->block_status(n, offset, bytes, pnum, map, file);
    leave(n);
    return ret;
}

int block_node_block_status(TsBlockNode *n, uint64_t offset, uint64_t bytes,
                            uint64_t *pnum, uint64_t *map, TsBlockChild **file)
{
    return node_block_status(n, offset, bytes, pnum, map, file);
}

/* ---- write thresholds ------------------------------------------------ */

typedef struct ThresholdHit {
    char *node_name;
    uint64_t offset, bytes;
} ThresholdHit;

static void threshold_report(void *opaque)
{
    ThresholdHit *h = opaque;
    TsBlockNode *n = block_node_find(h->node_name);
    if (n && node_core(n)->write_threshold) {
        block_event_write_threshold(n, h->offset, h->bytes);
        node_core(n)->write_threshold = 0;  /* one event, as QEMU */
    }
    g_free(h->node_name);
    g_free(h);
}

static void threshold_check(TsBlockNode *n, uint64_t offset, uint64_t bytes)
{
    uint64_t t = __atomic_load_n(&node_core(n)->write_threshold,
                                 __ATOMIC_RELAXED);
    if (t && offset + bytes > t) {
        ThresholdHit *h = g_new0(ThresholdHit, 1);
        h->node_name = g_strdup(node_core(n)->name);
        h->offset = offset;
        h->bytes = bytes;
        ts_loop_call(threshold_report, h);
    }
}

/* ---- the SDK's child calls ------------------------------------------- */

TS_EXPORT int ts_block_child_preadv(TsBlockChild *child, uint64_t offset,
                                    uint64_t bytes, const struct iovec *iov,
                                    int niov, unsigned flags)
{
    if (child->role == CHILD_BACKING) {
        /* A backing file shorter than its overlay reads as zeroes. */
        uint64_t len = (uint64_t)block_node_get_length(child->node);
        if (offset + bytes > len) {
            uint64_t have = offset < len ? len - offset : 0;
            uint64_t skip = have;
            for (int i = 0; i < niov; i++) {
                if (skip >= iov[i].iov_len) {
                    skip -= iov[i].iov_len;
                    continue;
                }
                memset((uint8_t *)iov[i].iov_base + skip, 0,
                       iov[i].iov_len - skip);
                skip = 0;
            }
            if (!have) {
                return 0;
            }
            /* Read the part that exists through a trimmed vector. */
            g_autofree struct iovec *v = g_new(struct iovec, (size_t)MAX(niov, 1));
            int nv = 0;
            uint64_t left = have;
            for (int i = 0; i < niov && left; i++) {
                v[nv] = iov[i];
                v[nv].iov_len = MIN(iov[i].iov_len, left);
                left -= v[nv].iov_len;
                nv++;
            }
            return block_node_preadv(child->node, offset, have, v, nv, flags);
        }
    }
    return block_node_preadv(child->node, offset, bytes, iov, niov, flags);
}

TS_EXPORT int ts_block_child_pwritev(TsBlockChild *child, uint64_t offset,
                                     uint64_t bytes, const struct iovec *iov,
                                     int niov, unsigned flags)
{
    return block_node_pwritev(child->node, offset, bytes, iov, niov, flags);
}

TS_EXPORT int ts_block_child_pread(TsBlockChild *child, uint64_t offset,
                                   void *buf, uint64_t bytes)
{
    struct iovec iov = { buf, bytes };
    return ts_block_child_preadv(child, offset, bytes, &iov, 1, 0);
}

TS_EXPORT int ts_block_child_pwrite(TsBlockChild *child, uint64_t offset,
                                    const void *buf, uint64_t bytes,
                                    unsigned flags)
{
    struct iovec iov = { (void *)buf, bytes };
    return block_node_pwritev(child->node, offset, bytes, &iov, 1, flags);
}

TS_EXPORT int ts_block_child_flush(TsBlockChild *child)
{
    return block_node_flush(child->node);
}

TS_EXPORT int ts_block_child_discard(TsBlockChild *child, uint64_t offset,
                                     uint64_t bytes)
{
    return block_node_discard(child->node, offset, bytes);
}

TS_EXPORT int ts_block_child_write_zeroes(TsBlockChild *child,
                                          uint64_t offset, uint64_t bytes,
                                          unsigned flags)
{
    return block_node_write_zeroes(child->node, offset, bytes, flags);
}

TS_EXPORT int ts_block_child_block_status(TsBlockChild *child,
                                          uint64_t offset, uint64_t bytes,
                                          uint64_t *pnum, uint64_t *map,
                                          TsBlockChild **file)
{
    return node_block_status(child->node, offset, bytes, pnum, map, file);
}

TS_EXPORT int ts_block_node_block_status(TsBlockNode *node, uint64_t offset,
                                         uint64_t bytes, uint64_t *pnum,
                                         uint64_t *map, TsBlockChild **file)
{
    return node_block_status(node, offset, bytes, pnum, map, file);
}

TS_EXPORT int64_t ts_block_child_length(TsBlockChild *child)
{
    return block_node_get_length(child->node);
}

TS_EXPORT bool ts_block_child_truncate(TsBlockChild *child, uint64_t length,
                                       bool exact, TsBlockPrealloc prealloc,
                                       GError **errp)
{
    TsBlockNode *n = child->node;
    if (!n->driver->truncate) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Image format driver does not support resize");
        return false;
    }
    return n->driver->truncate(n, length, exact, prealloc, errp);
}

/* ---- node accessors -------------------------------------------------- */

TS_EXPORT const char *ts_block_node_name(const TsBlockNode *node)
{
    return node_core(node)->name;
}

TS_EXPORT unsigned ts_block_node_open_flags(const TsBlockNode *node)
{
    return node_core(node)->open_flags;
}

TS_EXPORT bool ts_block_node_is_read_only(const TsBlockNode *node)
{
    const NodeCore *nc = node_core(node);
    return !(nc->open_flags & TS_BLOCK_OPEN_RDWR) || nc->read_only ||
           g_atomic_int_get(&((NodeCore *)nc)->corrupt);
}

TS_EXPORT void ts_block_node_set_read_only(TsBlockNode *node)
{
    node_core(node)->read_only = true;
}

TS_EXPORT void ts_block_node_set_length(TsBlockNode *node, uint64_t length)
{
    __atomic_store_n(&node_core(node)->length, (int64_t)length,
                     __ATOMIC_RELEASE);
}

TS_EXPORT int64_t ts_block_node_length(TsBlockNode *node)
{
    return block_node_get_length(node);
}

TS_EXPORT void ts_block_node_set_filename(TsBlockNode *node,
                                          const char *filename)
{
    NodeCore *nc = node_core(node);
    g_free(nc->filename);
    nc->filename = g_strdup(filename);
}

TS_EXPORT const char *ts_block_node_filename(const TsBlockNode *node)
{
    return node_core(node)->filename;
}

TS_EXPORT void ts_block_node_set_request_alignment(TsBlockNode *node,
                                                   uint32_t align)
{
    node_core(node)->align = align ? align : 1;
}

TS_EXPORT void ts_block_node_set_block_sizes(TsBlockNode *node,
                                             uint32_t logical,
                                             uint32_t physical)
{
    node_core(node)->logical = logical;
    node_core(node)->physical = physical;
}

TS_EXPORT void ts_block_node_warn(TsBlockNode *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: warning: %s: %s\n", g_get_prgname() ?
            g_get_prgname() : "tessera", node_core(node)->name, msg);
}

typedef struct CorruptReport {
    char *node_name, *msg;
    bool fatal;
    uint64_t offset, size;
} CorruptReport;

static void corrupt_report(void *opaque)
{
    CorruptReport *r = opaque;
    TsBlockNode *n = block_node_find(r->node_name);
    if (n) {
        block_event_corrupt(n, r->msg, r->fatal, r->offset, r->size);
    }
    g_free(r->node_name);
    g_free(r->msg);
    g_free(r);
}

TS_EXPORT void ts_block_node_report_corrupt(TsBlockNode *node, bool fatal,
                                            uint64_t offset, uint64_t size,
                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (fatal) {
        g_atomic_int_set(&node_core(node)->corrupt, 1);
    }
    fprintf(stderr, fatal ? "%s: %s: Marking image as corrupt: %s; "
            "further corruption events will be suppressed\n"
            : "%s: %s: Image is corrupt: %s\n", g_get_prgname() ?
            g_get_prgname() : "tessera", node_core(node)->name, msg);
    CorruptReport *r = g_new0(CorruptReport, 1);
    r->node_name = g_strdup(node_core(node)->name);
    r->msg = g_steal_pointer(&msg);
    r->fatal = fatal;
    r->offset = offset;
    r->size = size;
    ts_loop_call(corrupt_report, r);
}
