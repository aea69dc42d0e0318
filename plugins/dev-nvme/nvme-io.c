/*
 * nvme-io.c - the NVM command set (NVMe 1.4, 6): Read, Write, Flush,
 * Write Zeroes and Dataset Management (deallocate: a discard) on the
 * namespaces' disks.
 *
 * Data moves through a host buffer: a write's data is copied out of the
 * guest before the disk gets it, a read lands in the buffer and is copied
 * into the guest when the disk answers.  No guest pointer is held while
 * the disk works.  A range past the namespace's end is LBA Out of Range,
 * a transfer above MDTS Invalid Field, a write to a read-only disk
 * Namespace Is Write Protected, a disk error Write Fault / Unrecovered
 * Read Error, an unreachable PRP Data Transfer Error.
 */
#include "nvme-ctrl.h"

#include <errno.h>
#include <string.h>

static NvmeNamespace *req_ns(NvmeRequest *req, uint16_t *status)
{
    NvmeCtrl *n = req->n;
    if (req->nsid == 0 || req->nsid > NVME_NS_MAX || !n->ns[req->nsid]) {
        *status = NVME_INVALID_NSID | NVME_DNR;
        return NULL;
    }
    return n->ns[req->nsid];
}

/* The first error decides the status; what a disk error means depends
 * on what the command did. */
static uint16_t status_of(NvmeRequest *req, int ret)
{
    if (ret == 0) {
        return NVME_SUCCESS;
    }
    if (ret == -EACCES || ret == -EROFS) {
        return NVME_NS_WRITE_PROTECTED | NVME_DNR;
    }
    if (ret == -ENOSPC) {
        return NVME_CAPACITY_EXCEEDED | NVME_DNR;
    }
    return req->kind == NVME_IO_READ ? NVME_UNRECOVERED_READ
                                     : NVME_WRITE_FAULT;
}

void nvme_req_start_io(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    if (req->sq) {
        req->sq->active = g_list_concat(&req->link, req->sq->active);
    }
    n->inflight_reqs++;
    n->inflight_bytes += req->len;
}

static void req_end_io(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    if (req->sq) {
        req->sq->active = g_list_remove_link(req->sq->active, &req->link);
    }
    n->inflight_reqs--;
    n->inflight_bytes -= req->len;
}

/* A disk operation of the request completed. */
static void io_done(void *opaque, int ret)
{
    NvmeRequest *req = opaque;
    if (ret && !req->first_error) {
        req->first_error = ret;
    }
    if (--req->pending_ops) {
        return;
    }
    req_end_io(req);
    uint16_t status = status_of(req, req->first_error);
    if (status == NVME_SUCCESS && req->kind == NVME_IO_READ && req->sq &&
        !req->host) {
        status = nvme_req_dma_to_guest(req, req->buf, req->len);
    }
    req->status = status;
    nvme_req_complete(req);
}

static void submit(NvmeRequest *req, NvmeNamespace *ns, NvmeIoKind kind,
                   uint64_t offset, uint64_t bytes, unsigned flags)
{
    NvmeCtrl *n = req->n;
    struct iovec iov = { req->buf, (size_t)bytes };
    bool data = kind == NVME_IO_READ || kind == NVME_IO_WRITE;
    const struct iovec *v = req->host ? req->host : &iov;
    int nv = req->host ? (int)req->nmaps : 1;
    n->ops->io(n->opaque, ns->disk, kind, offset, bytes,
               data ? v : NULL, data ? nv : 0, flags, io_done, req);
}

/*
 * The disk works on guest RAM directly when every PRP range is RAM the
 * host can map (contiguous pages are one range already): no buffer and
 * no copy, as QEMU does.  Anything else (a range over MMIO, mastering
 * off, a host without dma_map) goes through the buffer and the DMA
 * calls, which give the statuses a hostile guest earns.
 */
static bool map_direct(NvmeRequest *req, bool write)
{
    NvmeCtrl *n = req->n;
    if (!n->ops->dma_map || !req->nsegs) {
        return false;
    }
    req->host = g_new(struct iovec, req->nsegs);
    req->maps = g_new0(void *, req->nsegs);
    for (unsigned i = 0; i < req->nsegs; i++) {
        size_t len = req->segs[i].iov_len;
        void *p = n->ops->dma_map(n->opaque,
                                  (uint64_t)(uintptr_t)req->segs[i].iov_base,
                                  len, !write, &req->maps[i]);
        if (!p) {
            for (unsigned j = 0; j < req->nmaps; j++) {
                n->ops->dma_unmap(n->opaque, req->maps[j]);
            }
            g_clear_pointer(&req->host, g_free);
            g_clear_pointer(&req->maps, g_free);
            req->nmaps = 0;
            return false;
        }
        req->host[i] = (struct iovec){ p, len };
        req->nmaps = i + 1;
    }
    return true;
}

/* Checks every command with a range makes. */
static uint16_t check_range(NvmeNamespace *ns, uint64_t slba, uint32_t nlb)
{
    uint64_t blocks = ns->size >> ns->lbs_log2;
    if (slba > blocks || nlb > blocks - slba) {
        return NVME_LBA_RANGE | NVME_DNR;
    }
    return NVME_SUCCESS;
}

static bool rw(NvmeRequest *req, NvmeNamespace *ns, bool write)
{
    uint64_t slba = nvme_cmd_qw(req, 10);
    uint32_t dw12 = nvme_cmd_dw(req, 12);
    uint32_t nlb = (dw12 & 0xffff) + 1;
    size_t len = (size_t)nlb << ns->lbs_log2;
    req->kind = write ? NVME_IO_WRITE : NVME_IO_READ;
    if (len > NVME_MAX_TRANSFER) {
        req->status = NVME_INVALID_FIELD | NVME_DNR;
        return true;
    }
    req->status = check_range(ns, slba, nlb);
    if (req->status) {
        return true;
    }
    if (write && ns->read_only) {
        req->status = NVME_NS_WRITE_PROTECTED | NVME_DNR;
        return true;
    }
    req->status = nvme_req_map_prp(req, len);
    if (req->status) {
        return true;
    }
    req->len = len;
    if (!map_direct(req, write)) {
        req->buf = g_try_malloc(len);
        if (!req->buf) {
            req->status = NVME_INTERNAL_ERROR;
            return true;
        }
        if (write) {
            req->status = nvme_req_dma_from_guest(req, req->buf, len);
            if (req->status) {
                return true;
            }
        }
    }
    if (write) {
        ns->units_written += len / 512;
        ns->writes++;
    } else {
        ns->units_read += len / 512;
        ns->reads++;
    }
    req->pending_ops = 1;
    nvme_req_start_io(req);
    submit(req, ns, req->kind, slba << ns->lbs_log2, len,
           write && (dw12 & NVME_RW_FUA) ? NVME_IO_FLAG_FUA : 0);
    return false;
}

static bool write_zeroes(NvmeRequest *req, NvmeNamespace *ns)
{
    uint64_t slba = nvme_cmd_qw(req, 10);
    uint32_t dw12 = nvme_cmd_dw(req, 12);
    uint32_t nlb = (dw12 & 0xffff) + 1;
    req->kind = NVME_IO_WRITE_ZEROES;
    req->status = check_range(ns, slba, nlb);
    if (req->status) {
        return true;
    }
    if (ns->read_only) {
        req->status = NVME_NS_WRITE_PROTECTED | NVME_DNR;
        return true;
    }
    req->pending_ops = 1;
    nvme_req_start_io(req);
    submit(req, ns, NVME_IO_WRITE_ZEROES, slba << ns->lbs_log2,
           (uint64_t)nlb << ns->lbs_log2,
           dw12 & NVME_WZ_DEAC ? NVME_IO_FLAG_MAY_UNMAP : 0);
    return false;
}

static uint32_t get_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_LE(v);
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_LE(v);
}

static bool dsm(NvmeRequest *req, NvmeNamespace *ns)
{
    unsigned nr = (nvme_cmd_dw(req, 10) & 0xff) + 1;
    uint32_t attr = nvme_cmd_dw(req, 11);
    size_t len = (size_t)nr * NVME_DSM_RANGE_SIZE;
    req->kind = NVME_IO_DISCARD;
    if (!(attr & NVME_DSM_AD)) {
        /* Only hints (integral read/write): nothing to do. */
        req->status = NVME_SUCCESS;
        return true;
    }
    if (ns->read_only) {
        req->status = NVME_NS_WRITE_PROTECTED | NVME_DNR;
        return true;
    }
    uint8_t ranges[NVME_DSM_RANGES_MAX * NVME_DSM_RANGE_SIZE];
    req->status = nvme_req_map_prp(req, len);
    if (!req->status) {
        req->status = nvme_req_dma_from_guest(req, ranges, len);
    }
    if (req->status) {
        return true;
    }
    /* Check every range before discarding any. */
    for (unsigned i = 0; i < nr; i++) {
        const uint8_t *r = ranges + i * NVME_DSM_RANGE_SIZE;
        uint32_t nlb = get_le32(r + 4);
        uint64_t slba = get_le64(r + 8);
        req->status = check_range(ns, slba, nlb);
        if (req->status) {
            return true;
        }
    }
    /* One more than the ranges, so that none completes the command
     * before every one was submitted. */
    req->pending_ops = 1;
    nvme_req_start_io(req);
    for (unsigned i = 0; i < nr; i++) {
        const uint8_t *r = ranges + i * NVME_DSM_RANGE_SIZE;
        uint32_t nlb = get_le32(r + 4);
        uint64_t slba = get_le64(r + 8);
        if (nlb) {
            req->pending_ops++;
            submit(req, ns, NVME_IO_DISCARD, slba << ns->lbs_log2,
                   (uint64_t)nlb << ns->lbs_log2, 0);
        }
    }
    io_done(req, 0);
    return false;
}

static bool flush(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    req->kind = NVME_IO_FLUSH;
    if (req->nsid != NVME_NSID_BROADCAST) {
        uint16_t status;
        NvmeNamespace *ns = req_ns(req, &status);
        if (!ns) {
            req->status = status;
            return true;
        }
        req->pending_ops = 1;
        nvme_req_start_io(req);
        submit(req, ns, NVME_IO_FLUSH, 0, 0, 0);
        return false;
    }
    req->pending_ops = 1;
    nvme_req_start_io(req);
    for (unsigned i = 1; i <= NVME_NS_MAX; i++) {
        if (n->ns[i]) {
            req->pending_ops++;
            submit(req, n->ns[i], NVME_IO_FLUSH, 0, 0, 0);
        }
    }
    io_done(req, 0);
    return false;
}

bool nvme_io_exec(NvmeRequest *req)
{
    unsigned opcode = req->cmd[0];
    uint16_t status;
    if ((nvme_cmd_dw(req, 0) >> 8) & 3) {
        req->status = NVME_INVALID_FIELD | NVME_DNR;   /* fused */
        return true;
    }
    if (opcode == NVME_CMD_FLUSH) {
        return flush(req);
    }
    NvmeNamespace *ns = req_ns(req, &status);
    switch (opcode) {
    case NVME_CMD_WRITE:
    case NVME_CMD_READ:
    case NVME_CMD_WRITE_ZEROES:
    case NVME_CMD_DSM:
        if (!ns) {
            req->status = status;
            return true;
        }
        break;
    default:
        nvme_guest_error(req->n, "I/O opcode 0x%02x not supported", opcode);
        req->status = NVME_INVALID_OPCODE | NVME_DNR;
        return true;
    }
    req->ns = ns;
    switch (opcode) {
    case NVME_CMD_WRITE: return rw(req, ns, true);
    case NVME_CMD_READ: return rw(req, ns, false);
    case NVME_CMD_WRITE_ZEROES: return write_zeroes(req, ns);
    default: return dsm(req, ns);
    }
}

/* ---- Flush of every namespace, for a shutdown ----------------------- */

typedef struct FlushAll {
    NvmeCtrl *n;                /* NULL once the controller forgot it */
    unsigned pending;
    void (*done)(NvmeCtrl *n);
} FlushAll;

static void flush_all_done(void *opaque, int ret)
{
    FlushAll *f = opaque;
    (void)ret;
    if (--f->pending) {
        return;
    }
    if (f->n) {
        f->n->shutdown_flush = NULL;
        f->done(f->n);
    }
    g_free(f);
}

void nvme_flush_all(NvmeCtrl *n, void (*done)(NvmeCtrl *n))
{
    nvme_flush_all_forget(n);
    FlushAll *f = g_new0(FlushAll, 1);
    f->n = n;
    f->done = done;
    f->pending = 1;
    n->shutdown_flush = f;
    for (unsigned i = 1; i <= NVME_NS_MAX; i++) {
        if (n->ns[i]) {
            f->pending++;
            n->ops->io(n->opaque, n->ns[i]->disk, NVME_IO_FLUSH, 0, 0, NULL,
                       0, 0, flush_all_done, f);
        }
    }
    flush_all_done(f, 0);
}

void nvme_flush_all_forget(NvmeCtrl *n)
{
    FlushAll *f = n->shutdown_flush;
    if (f) {
        f->n = NULL;
        n->shutdown_flush = NULL;
    }
}
