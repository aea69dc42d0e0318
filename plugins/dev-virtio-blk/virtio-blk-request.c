/*
 * virtio-blk-request.c - the requests of the virtio block device (VIRTIO
 * 1.2, 5.2.6): a chain is parsed (header, data, status byte), checked
 * against the disk and the features, run on the block backend, and given
 * back with its status.
 *
 * Data moves the way QEMU's does, straight between guest memory and the
 * backend: a read or write whose data segments are all plain guest RAM
 * is given to the backend as those segments, mapped with ts_dma_map (the
 * mapping holds the memory even if the guest's RAM is unplugged
 * meanwhile, and the guest may change a write's data under it, as it may
 * on hardware).  Anything else (a segment over a region boundary, memory
 * the view no longer has as RAM) goes through host buffers and
 * ts_virtio_chain_read/write, at the moment data moves: a write's data is
 * copied out of the chain before the backend gets it, a read lands in a
 * host buffer copied into the chain when the backend completes.  Those
 * requests are done in pieces of VBLK_CHUNK_BYTES, so one holds at most
 * that much host memory, and the device stops taking chains while its
 * requests hold VBLK_INFLIGHT_BYTES.
 *
 * What the guest gets wrong becomes a status, never a crash: a range past
 * the end of the disk or not aligned to the logical block size, a write
 * to a read-only disk, an oversized or misaligned discard is IOERR; an
 * unknown type, a request for a feature not negotiated, a discard with
 * flags or more segments than offered is UNSUPP; a header too short is
 * IOERR.  Only a chain without room for the status byte cannot be
 * answered: that breaks the queue (DEVICE_NEEDS_RESET), as the spec lets
 * a device do when the driver breaks the rules.
 *
 * Reset: a request started before a reset finishes on the backend (a
 * write may land, as on real hardware) but its completion is dropped: it
 * pushes nothing on the queues and writes no status.  Requests on mapped
 * memory are waited for by the reset itself, so that no read lands in
 * guest memory after it (the driver may reuse that memory at once).
 */
#include "virtio-blk.h"

#include <stdlib.h>

/* Spare requests kept for reuse (each holds a TsVirtqChain, ~20 KiB). */
#define FREE_REQS_MAX 32
/* Host buffers the spare requests keep, at most, in all: the next
 * request of the same size then needs no allocation (a megabyte is
 * otherwise an mmap, page faults and an munmap each time). */
#define SPARE_BUF_BYTES_MAX (8 * 1024 * 1024)
/* Host buffers are aligned for O_DIRECT, so that with cache.direct=on
 * the file driver writes and reads them as they are, without a bounce
 * buffer and its copy. */
#define BUF_ALIGN 4096

struct VblkRequest {
    VirtioBlk *b;
    uint64_t epoch;             /* b->epoch when taken */
    uint32_t type;
    uint64_t offset;            /* on the disk, of the next piece */
    uint64_t done;              /* data bytes done so far */
    uint64_t total;             /* data bytes of the request */
    uint64_t status_at;         /* offset of the status byte in the
                                 * writable part */
    uint8_t *buf;               /* host buffer of the piece in flight */
    size_t buf_len;
    size_t piece;               /* bytes of the piece in flight */
    size_t piece_done;          /* bytes of the piece just completed */
    int ret;                    /* its result, while deferred */
    struct iovec *iov;          /* the data in guest memory, when mapped */
    TsMemoryRegion **maps;      /* the mappings' references */
    unsigned niov;              /* 0: not mapped */
    unsigned iov_cap;
    uint8_t status;
    uint32_t used;              /* bytes written into the chain */
    TsVirtqChain chain;
};

static void guest_error(VirtioBlk *b, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static void guest_error(VirtioBlk *b, const char *fmt, ...)
{
    if (!ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ts_log(TS_LOG_GUEST_ERROR, "virtio-blk %s: %s\n",
           ts_block_name(b->blk), msg);
}

/* ---- Request memory --------------------------------------------------- */

static VblkRequest *req_new(VirtioBlk *b)
{
    VblkRequest *r;
    if (b->free_reqs) {
        r = b->free_reqs->data;
        b->free_reqs = g_slist_delete_link(b->free_reqs, b->free_reqs);
        b->n_free--;
        b->spare_buf_bytes -= r->buf_len;       /* r keeps its buffer */
    } else {
        r = g_new(VblkRequest, 1);
        r->buf = NULL;
        r->buf_len = 0;
        r->iov = NULL;
        r->maps = NULL;
        r->iov_cap = 0;
    }
    r->niov = 0;
    r->b = b;
    r->epoch = b->epoch;
    r->piece = 0;
    r->piece_done = 0;
    r->done = 0;
    r->total = 0;
    r->used = 0;
    r->status = VIRTIO_BLK_S_OK;
    return r;
}

static void buf_release(VblkRequest *r)
{
    free(r->buf);
    r->buf = NULL;
    r->buf_len = 0;
}

static void unmap_data(VblkRequest *r)
{
    for (unsigned i = 0; i < r->niov; i++) {
        ts_dma_unmap(r->maps[i]);
    }
    r->niov = 0;
}

static void iov_release(VblkRequest *r)
{
    g_free(r->iov);
    g_free(r->maps);
    r->iov = NULL;
    r->maps = NULL;
    r->iov_cap = 0;
}

static void req_free(VblkRequest *r)
{
    VirtioBlk *b = r->b;
    unmap_data(r);
    if (b->n_free < FREE_REQS_MAX) {
        if (b->spare_buf_bytes + r->buf_len > SPARE_BUF_BYTES_MAX) {
            buf_release(r);
        }
        b->spare_buf_bytes += r->buf_len;
        b->free_reqs = g_slist_prepend(b->free_reqs, r);
        b->n_free++;
    } else {
        buf_release(r);
        iov_release(r);
        g_free(r);
    }
}

/* Map the request's data (after the header of a write, before the status
 * byte of a read) where it lies in the guest: true if all of it is plain
 * RAM, in r->iov; otherwise nothing stays mapped and the request takes
 * the host buffers. */
static bool map_data(VblkRequest *r)
{
    const TsVirtqChain *c = &r->chain;
    bool to_guest = r->type == VIRTIO_BLK_T_IN;
    unsigned first = to_guest ? c->n_out : 0;
    unsigned end = to_guest ? c->n_out + c->n_in : c->n_out;
    uint64_t skip = to_guest ? 0 : VBLK_HEADER_SIZE;
    uint64_t left = r->total;
    TsAddressSpace *as = ts_virtio_dma_as(&r->b->parent);
    if (r->iov_cap < end - first) {
        iov_release(r);
        r->iov_cap = end - first;
        r->iov = g_new(struct iovec, r->iov_cap);
        r->maps = g_new(TsMemoryRegion *, r->iov_cap);
    }
    r->niov = 0;
    for (unsigned i = first; i < end && left; i++) {
        uint64_t len = c->seg[i].len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        uint64_t addr = c->seg[i].addr + skip;
        len = MIN(len - skip, left);
        skip = 0;
        TsMemoryRegion *mr;
        void *p = ts_dma_map(as, addr, len, to_guest, &mr);
        if (!p) {
            unmap_data(r);
            return false;
        }
        r->iov[r->niov] = (struct iovec){ .iov_base = p, .iov_len = len };
        r->maps[r->niov++] = mr;
        left -= len;
    }
    if (left) {
        unmap_data(r);
        return false;
    }
    return true;
}

/* The device's budget for host buffers in flight has room for `len`
 * more bytes (there is always room when nothing is in flight). */
static bool budget_ok(VirtioBlk *b, size_t len)
{
    return !b->inflight_bytes ||
           b->inflight_bytes + len <= VBLK_INFLIGHT_BYTES;
}

/* A host buffer for a piece of `len` bytes, counted in the budget.  A
 * request already running (`running`) goes on past the budget, so that
 * it always finishes; false only when the host is out of memory. */
static bool buf_get(VblkRequest *r, size_t len, bool running)
{
    VirtioBlk *b = r->b;
    if (!running && !budget_ok(b, len)) {
        return false;
    }
    if (r->buf_len < len) {
        buf_release(r);
        void *p = NULL;
        if (posix_memalign(&p, BUF_ALIGN, len) != 0) {
            return false;
        }
        r->buf = p;
        r->buf_len = len;
    }
    b->inflight_bytes += len;
    return true;
}

static void buf_put(VblkRequest *r, size_t len)
{
    r->b->inflight_bytes -= len;
}

/* ---- Completion ------------------------------------------------------- */

/* Write the status, give the chain back, interrupt if the driver wants.
 * The caller made DMA safe (queue_notify or ts_virtio_begin). */
static void finish(VblkRequest *r)
{
    VirtioBlk *b = r->b;
    TsVirtioDevice *dev = &b->parent;
    if (r->epoch == b->epoch &&
        ts_virtio_chain_write(dev, &r->chain, r->status_at, &r->status, 1)) {
        ts_virtio_push(dev, &r->chain, r->used + 1);
        ts_virtio_notify(dev, r->chain.queue);
    }
    req_free(r);
}

static void rw_advance(VblkRequest *r, int ret);

/* Go on with a request the backend completed (ret), DMA made safe. */
static void resume(VblkRequest *r, int ret)
{
    if (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT) {
        rw_advance(r, ret);
        return;
    }
    if (ret < 0) {
        guest_error(r->b, "request type %u failed: %s", r->type,
                    g_strerror(-ret));
        r->status = VIRTIO_BLK_S_IOERR;
    }
    finish(r);
}

/* The backend completed a request (on the main loop, from a bottom half).
 * Touch the guest only under the DMA guard; if the device is busy (its
 * registers are being accessed), the device's bottom half does it. */
static void backend_done(void *opaque, int ret)
{
    VblkRequest *r = opaque;
    VirtioBlk *b = r->b;
    b->inflight--;
    if (r->niov) {
        b->inflight_mapped--;
    }
    buf_put(r, r->piece);
    r->piece_done = r->piece;
    r->piece = 0;
    if (r->epoch != b->epoch) {
        req_free(r);                    /* taken before a reset: dropped */
    } else if (!ts_virtio_begin(&b->parent)) {
        r->ret = ret;
        g_queue_push_tail(&b->deferred, r);
        ts_bh_schedule(b->deferred_bh);
    } else {
        resume(r, ret);
        ts_virtio_end(&b->parent);
    }
    /* Buffers came free: a queue waiting for them may go on. */
    if (b->starved) {
        ts_bh_schedule(b->deferred_bh);
    }
}

static bool run_queues(VirtioBlk *b);

/* Finishes what completed while the device was busy and restarts queues
 * that waited for buffers. */
void vblk_deferred_bh(void *opaque)
{
    VirtioBlk *b = opaque;
    if (g_queue_is_empty(&b->deferred) && !b->starved) {
        return;
    }
    if (!ts_virtio_begin(&b->parent)) {
        ts_bh_schedule(b->deferred_bh);
        return;
    }
    VblkRequest *r;
    while ((r = g_queue_pop_head(&b->deferred))) {
        if (r->epoch != b->epoch) {
            req_free(r);
        } else {
            resume(r, r->ret);
        }
    }
    bool more = b->starved && run_queues(b);
    ts_virtio_end(&b->parent);
    if (more) {
        ts_bh_schedule(b->deferred_bh);
    }
}

/* ---- Reads and writes, piece by piece --------------------------------- */

static void rw_next(VblkRequest *r);

/* A piece completed: copy it into the guest (reads) and go on. */
static void rw_advance(VblkRequest *r, int ret)
{
    VirtioBlk *b = r->b;
    bool mapped = r->niov != 0;     /* the whole request, in guest memory */
    if (mapped) {
        unmap_data(r);
        r->piece_done = r->total;
    }
    if (ret < 0) {
        guest_error(b, "%s of %zu bytes at %" PRIu64 " failed: %s",
                    r->type == VIRTIO_BLK_T_IN ? "read" : "write",
                    r->piece_done, r->offset, g_strerror(-ret));
        r->status = VIRTIO_BLK_S_IOERR;
        r->used = 0;
        finish(r);
        return;
    }
    if (r->type == VIRTIO_BLK_T_IN) {
        if (!mapped &&
            !ts_virtio_chain_write(&b->parent, &r->chain, r->done, r->buf,
                                   r->piece_done)) {
            req_free(r);                /* the queue broke: nothing to say */
            return;
        }
        r->used = (uint32_t)MIN(r->done + r->piece_done, UINT32_MAX - 1);
    }
    r->done += r->piece_done;
    r->offset += r->piece_done;
    rw_next(r);
}

/* Start the next piece of a read or write, or finish the request.  DMA
 * is safe (queue work or the guard). */
static void rw_next(VblkRequest *r)
{
    VirtioBlk *b = r->b;
    if (r->done == r->total) {
        finish(r);
        return;
    }
    size_t piece = (size_t)MIN(r->total - r->done, VBLK_CHUNK_BYTES);
    if (!buf_get(r, piece, true)) {
        guest_error(b, "no host memory for a %zu-byte piece", piece);
        r->status = VIRTIO_BLK_S_IOERR;
        r->used = 0;
        finish(r);
        return;
    }
    r->piece = piece;
    struct iovec iov = { .iov_base = r->buf, .iov_len = piece };
    b->inflight++;
    if (r->type == VIRTIO_BLK_T_OUT) {
        if (!ts_virtio_chain_read(&b->parent, &r->chain,
                                  VBLK_HEADER_SIZE + r->done, r->buf,
                                  piece)) {
            b->inflight--;
            buf_put(r, piece);
            req_free(r);                /* the queue broke */
            return;
        }
        ts_block_pwritev(b->blk, r->offset, &iov, 1, 0, backend_done, r);
    } else {
        ts_block_preadv(b->blk, r->offset, &iov, 1, 0, backend_done, r);
    }
}

/* ---- Other requests ---------------------------------------------------- */

/* [sector * 512, + bytes) lies on the disk and is aligned to the logical
 * block size. */
static bool range_ok(VirtioBlk *b, uint64_t sector, uint64_t bytes)
{
    uint64_t cap = vblk_capacity(b);
    if (sector > cap / VBLK_SECTOR) {
        return false;
    }
    uint64_t offset = sector * VBLK_SECTOR;
    return bytes <= cap - offset && offset % b->lbs == 0 &&
           bytes % b->lbs == 0;
}

static uint8_t get_id(VblkRequest *r)
{
    VirtioBlk *b = r->b;
    uint8_t id[VBLK_ID_BYTES] = { 0 };
    if (b->serial) {
        memcpy(id, b->serial, MIN(strlen(b->serial), sizeof(id)));
    }
    size_t n = (size_t)MIN(r->status_at, sizeof(id));
    if (!ts_virtio_chain_write(&b->parent, &r->chain, 0, id, n)) {
        return 0xff;
    }
    r->used = n;
    return VIRTIO_BLK_S_OK;
}

/* Discard or write-zeroes: one segment {le64 sector, le32 num_sectors,
 * le32 flags} after the header.  Returns a status, or 0xff when the
 * queue broke, or 0xfe when the backend took the request. */
static uint8_t discard_write_zeroes(VblkRequest *r, uint64_t out_data)
{
    VirtioBlk *b = r->b;
    bool wz = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
    unsigned feature = wz ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD;
    uint64_t max = wz ? b->max_write_zeroes_sectors : b->max_discard_sectors;
    if (!vblk_has_feature(b, feature)) {
        guest_error(b, "%s without the feature", wz ? "write-zeroes"
                                                    : "discard");
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (out_data == 0 || out_data % VBLK_DWZ_SEG_SIZE ||
        out_data / VBLK_DWZ_SEG_SIZE > VBLK_DWZ_SEG_MAX) {
        guest_error(b, "%s with %" PRIu64 " bytes of segments (one of %u "
                    "bytes is offered)", wz ? "write-zeroes" : "discard",
                    out_data, VBLK_DWZ_SEG_SIZE);
        return VIRTIO_BLK_S_UNSUPP;
    }
    uint8_t seg[VBLK_DWZ_SEG_SIZE];
    if (!ts_virtio_chain_read(&b->parent, &r->chain, VBLK_HEADER_SIZE, seg,
                              sizeof(seg))) {
        return 0xff;
    }
    uint64_t sector;
    uint32_t num, flags;
    memcpy(&sector, seg, 8);
    memcpy(&num, seg + 8, 4);
    memcpy(&flags, seg + 12, 4);
    sector = GUINT64_FROM_LE(sector);
    num = GUINT32_FROM_LE(num);
    flags = GUINT32_FROM_LE(flags);
    if (flags & ~(wz ? VBLK_WZ_FLAG_UNMAP : 0)) {
        guest_error(b, "%s with flags 0x%x", wz ? "write-zeroes" : "discard",
                    flags);
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (b->read_only) {
        return VIRTIO_BLK_S_IOERR;
    }
    if (num > max || !range_ok(b, sector, (uint64_t)num * VBLK_SECTOR)) {
        guest_error(b, "%s of %u sectors at %" PRIu64 " is too large, past "
                    "the end or not aligned", wz ? "write-zeroes" : "discard",
                    num, sector);
        return VIRTIO_BLK_S_IOERR;
    }
    b->inflight++;
    if (wz) {
        unsigned f = flags & VBLK_WZ_FLAG_UNMAP ? TS_BLOCK_REQ_MAY_UNMAP : 0;
        ts_block_write_zeroes(b->blk, sector * VBLK_SECTOR,
                              (uint64_t)num * VBLK_SECTOR, f, backend_done, r);
    } else {
        ts_block_discard(b->blk, sector * VBLK_SECTOR,
                         (uint64_t)num * VBLK_SECTOR, backend_done, r);
    }
    return 0xfe;
}

/*
 * Start the request in r->chain.  Returns false when it could not be
 * started for lack of buffers (the caller keeps it for later); otherwise
 * the request is running, finished or (queue broken) dropped.
 */
static bool start(VblkRequest *r)
{
    VirtioBlk *b = r->b;
    TsVirtioDevice *dev = &b->parent;
    const TsVirtqChain *c = &r->chain;
    if (c->in_len == 0) {
        ts_virtio_set_needs_reset(dev, c->queue, "virtio-blk request "
                                  "without a status byte");
        req_free(r);
        return true;
    }
    r->status_at = c->in_len - 1;
    if (c->out_len < VBLK_HEADER_SIZE) {
        guest_error(b, "request header of %" PRIu64 " bytes (16 needed)",
                    c->out_len);
        r->status = VIRTIO_BLK_S_IOERR;
        finish(r);
        return true;
    }
    uint8_t hdr[VBLK_HEADER_SIZE];
    if (!ts_virtio_chain_read(dev, c, 0, hdr, sizeof(hdr))) {
        req_free(r);
        return true;
    }
    uint32_t type;
    uint64_t sector;
    memcpy(&type, hdr, 4);
    memcpy(&sector, hdr + 8, 8);
    r->type = GUINT32_FROM_LE(type);
    sector = GUINT64_FROM_LE(sector);
    uint64_t out_data = c->out_len - VBLK_HEADER_SIZE;
    uint8_t st;

    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        r->total = r->type == VIRTIO_BLK_T_IN ? r->status_at : out_data;
        if (r->type == VIRTIO_BLK_T_OUT && b->read_only) {
            st = VIRTIO_BLK_S_IOERR;
        } else if (!range_ok(b, sector, r->total)) {
            guest_error(b, "%s of %" PRIu64 " bytes at sector %" PRIu64
                        " is past the end of the disk or not aligned to "
                        "%u bytes", r->type ? "write" : "read", r->total,
                        sector, b->lbs);
            st = VIRTIO_BLK_S_IOERR;
        } else {
            r->offset = sector * VBLK_SECTOR;
            if (r->total && map_data(r)) {
                b->inflight++;
                b->inflight_mapped++;
                if (r->type == VIRTIO_BLK_T_OUT) {
                    ts_block_pwritev(b->blk, r->offset, r->iov, (int)r->niov,
                                     0, backend_done, r);
                } else {
                    ts_block_preadv(b->blk, r->offset, r->iov, (int)r->niov,
                                    0, backend_done, r);
                }
                return true;
            }
            if (!budget_ok(b, (size_t)MIN(r->total, VBLK_CHUNK_BYTES))) {
                return false;           /* wait for buffers */
            }
            rw_next(r);
            return true;
        }
        break;
    case VIRTIO_BLK_T_FLUSH:
        b->inflight++;
        ts_block_flush(b->blk, backend_done, r);
        return true;
    case VIRTIO_BLK_T_GET_ID:
        st = get_id(r);
        break;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        st = discard_write_zeroes(r, out_data);
        if (st == 0xfe) {
            return true;
        }
        break;
    default:
        guest_error(b, "request type %u is not supported", r->type);
        st = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    if (st == 0xff) {
        req_free(r);                    /* the queue broke */
        return true;
    }
    r->status = st;
    if (st != VIRTIO_BLK_S_OK) {
        r->used = 0;
    }
    finish(r);
    return true;
}

/* ---- Queues ------------------------------------------------------------ */

/* Take and start chains from queue q, a queue's worth at most; true if
 * some may be left.  A chain that must wait for buffers is held (one per
 * queue) and started first next time. */
bool vblk_handle_queue(VirtioBlk *b, unsigned q)
{
    TsVirtioDevice *dev = &b->parent;
    unsigned num = ts_virtio_queue_size(dev, q);
    for (unsigned n = 0; n < num; n++) {
        VblkRequest *r = b->held[q];
        b->held[q] = NULL;
        if (!r) {
            r = req_new(b);
            if (ts_virtio_pop(dev, q, &r->chain) <= 0) {
                req_free(r);
                return false;
            }
        }
        if (!start(r)) {
            b->held[q] = r;
            b->starved = true;
            return false;           /* a completion restarts us */
        }
    }
    return true;
}

/* Once buffers came free: every queue again, since the driver will not
 * notify for chains it made available while the device was waiting.
 * true if some may be left (and b->starved is set again). */
static bool run_queues(VirtioBlk *b)
{
    bool more = false;
    b->starved = false;
    for (unsigned q = 0; q < ts_virtio_num_queues(&b->parent); q++) {
        if (ts_virtio_queue_active(&b->parent, q)) {
            more |= vblk_handle_queue(b, q);
        }
    }
    if (more) {
        b->starved = true;
    }
    return more;
}

void vblk_requests_reset(VirtioBlk *b)
{
    /* Requests in flight see the new epoch when they complete. */
    b->epoch++;
    b->starved = false;
    for (unsigned q = 0; q < TS_VIRTIO_QUEUES_MAX; q++) {
        if (b->held[q]) {
            req_free(b->held[q]);
            b->held[q] = NULL;
        }
    }
    VblkRequest *r;
    while ((r = g_queue_pop_head(&b->deferred))) {
        req_free(r);
    }
    /* The backend is still working on guest memory for these: wait, so
     * that none of it changes after the reset (their completions see the
     * new epoch and are dropped). */
    if (b->inflight_mapped && b->blk) {
        ts_block_drain(b->blk);
    }
}

void vblk_requests_free(VirtioBlk *b)
{
    vblk_requests_reset(b);
    for (GSList *l = b->free_reqs; l; l = l->next) {
        VblkRequest *r = l->data;
        buf_release(r);
        iov_release(r);
        g_free(r);
    }
    g_slist_free(b->free_reqs);
    b->free_reqs = NULL;
    b->spare_buf_bytes = 0;
    b->n_free = 0;
}
