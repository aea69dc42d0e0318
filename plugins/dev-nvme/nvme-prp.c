/*
 * nvme-prp.c - Physical Region Page entries (NVMe 1.4, 4.3): turning a
 * command's PRP1/PRP2 into the guest ranges its data lives in, and moving
 * data between those ranges and a host buffer.
 *
 * The list is read once, when the command starts, into host memory; the
 * data moves later through the host's DMA calls, which refuse anything
 * that is not guest memory.  So a list pointing anywhere, entries with
 * offsets, lists chaining on forever, or a list rewritten while the disk
 * works can produce only a status: PRP Offset Invalid, Data Transfer
 * Error, Invalid Field.
 */
#include "nvme-ctrl.h"

#include <string.h>

typedef struct SegList {
    struct iovec *v;
    unsigned n, cap;
} SegList;

static void seg_add(SegList *l, uint64_t addr, size_t len)
{
    if (l->n && (uint64_t)(uintptr_t)l->v[l->n - 1].iov_base +
        l->v[l->n - 1].iov_len == addr) {
        l->v[l->n - 1].iov_len += len;       /* contiguous: merge */
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = g_renew(struct iovec, l->v, l->cap);
    }
    l->v[l->n].iov_base = (void *)(uintptr_t)addr;
    l->v[l->n].iov_len = len;
    l->n++;
}

uint16_t nvme_prp_map(NvmeCtrl *n, uint64_t prp1, uint64_t prp2, size_t len,
                      struct iovec **segs, unsigned *nsegs)
{
    const uint64_t page = n->page_size;
    SegList l = { 0 };
    uint16_t status = NVME_SUCCESS;
    *segs = NULL;
    *nsegs = 0;
    if (len == 0) {
        return NVME_SUCCESS;
    }
    if (len > NVME_MAX_TRANSFER) {
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    /* PRP1 may start anywhere in a page (dword aligned). */
    if (prp1 & 3) {
        return NVME_PRP_OFFSET_INVALID | NVME_DNR;
    }
    size_t first = MIN(len, page - (prp1 & (page - 1)));
    seg_add(&l, prp1, first);
    size_t left = len - first;
    if (left == 0) {
        goto done;
    }
    if (left <= page) {
        /* PRP2 is the second page itself. */
        if (prp2 & (page - 1)) {
            status = NVME_PRP_OFFSET_INVALID | NVME_DNR;
            goto fail;
        }
        seg_add(&l, prp2, left);
        goto done;
    }
    /* PRP2 points at a list (it may start inside a page); its last entry
     * in a page points at the next page of the list while more is left. */
    uint64_t list = prp2;
    if (list & 7) {
        status = NVME_PRP_OFFSET_INVALID | NVME_DNR;
        goto fail;
    }
    /* A list page holds at least one data entry besides its chain entry,
     * except a list that starts at a page's last entry: so more list
     * pages than data pages + 1 means the guest made a loop. */
    unsigned hops = 0, hops_max = (unsigned)(len / page) + 2;
    while (left) {
        if (++hops > hops_max * 2) {
            status = NVME_INVALID_FIELD | NVME_DNR;
            goto fail;
        }
        unsigned in_page = (unsigned)((page - (list & (page - 1))) / 8);
        uint64_t pages_left = (left + page - 1) / page;
        unsigned want = (unsigned)MIN((uint64_t)in_page, pages_left);
        uint64_t entries[512];      /* a 4 KiB page's worth at a time */
        want = MIN(want, (unsigned)G_N_ELEMENTS(entries));
        if (!n->ops->dma_read(n->opaque, list, entries, want * 8)) {
            status = NVME_DATA_TRANSFER_ERROR;
            goto fail;
        }
        for (unsigned i = 0; i < want && left; i++) {
            uint64_t e = GUINT64_FROM_LE(entries[i]);
            bool last_in_page = i == in_page - 1;
            if (last_in_page && left > page) {
                /* A chain to the next list page. */
                if (e & 7) {
                    status = NVME_PRP_OFFSET_INVALID | NVME_DNR;
                    goto fail;
                }
                list = e;
                goto next_list;
            }
            if (e & (page - 1)) {
                status = NVME_PRP_OFFSET_INVALID | NVME_DNR;
                goto fail;
            }
            size_t chunk = MIN(left, page);
            seg_add(&l, e, chunk);
            left -= chunk;
        }
        /* Entries read in pieces (a page bigger than 4 KiB): go on in the
         * same list page. */
        list += (uint64_t)want * 8;
    next_list:;
    }
done:
    *segs = l.v;
    *nsegs = l.n;
    return NVME_SUCCESS;
fail:
    g_free(l.v);
    return status;
}

uint16_t nvme_req_map_prp(NvmeRequest *req, size_t len)
{
    NvmeCtrl *n = req->n;
    if ((nvme_cmd_dw(req, 0) >> 14) & 3) {
        /* PSDT: SGLs are not offered (Identify SGLS 0). */
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    return nvme_prp_map(n, nvme_cmd_qw(req, 6), nvme_cmd_qw(req, 8), len,
                        &req->segs, &req->nsegs);
}

uint16_t nvme_req_dma_to_guest(NvmeRequest *req, const void *buf, size_t len)
{
    NvmeCtrl *n = req->n;
    const uint8_t *p = buf;
    for (unsigned i = 0; i < req->nsegs && len; i++) {
        size_t chunk = MIN(len, req->segs[i].iov_len);
        if (!n->ops->dma_write(n->opaque,
                               (uint64_t)(uintptr_t)req->segs[i].iov_base,
                               p, chunk)) {
            return NVME_DATA_TRANSFER_ERROR;
        }
        p += chunk;
        len -= chunk;
    }
    return NVME_SUCCESS;
}

uint16_t nvme_req_dma_from_guest(NvmeRequest *req, void *buf, size_t len)
{
    NvmeCtrl *n = req->n;
    uint8_t *p = buf;
    for (unsigned i = 0; i < req->nsegs && len; i++) {
        size_t chunk = MIN(len, req->segs[i].iov_len);
        if (!n->ops->dma_read(n->opaque,
                              (uint64_t)(uintptr_t)req->segs[i].iov_base,
                              p, chunk)) {
            return NVME_DATA_TRANSFER_ERROR;
        }
        p += chunk;
        len -= chunk;
    }
    return NVME_SUCCESS;
}
