/*
 * nvme-ctrl.c - the NVMe controller's registers and queues: CAP/VS/CC/
 * CSTS/AQA/ASQ/ACQ, enabling and resetting, the doorbells, fetching
 * commands from submission queues, posting completions and the
 * interrupt each completion queue asks for.  What the commands do is
 * nvme-admin.c's and nvme-io.c's.
 *
 * A doorbell the guest gets wrong (a queue that does not exist, a value
 * past the queue's end) is ignored and reported as an asynchronous error
 * event, as the specification says.  A queue the controller cannot read
 * or write (its memory is gone) leaves no way to answer: the controller
 * sets Controller Fatal Status and stops until the guest resets it.
 */
#include "nvme-ctrl.h"

#include <stdarg.h>
#include <string.h>

void nvme_guest_error(NvmeCtrl *n, const char *fmt, ...)
{
    if (!n->ops->guest_error) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    n->ops->guest_error(n->opaque, msg);
}

uint32_t nvme_cmd_dw(const NvmeRequest *req, unsigned dw)
{
    uint32_t v;
    memcpy(&v, req->cmd + dw * 4, 4);
    return GUINT32_FROM_LE(v);
}

uint64_t nvme_cmd_qw(const NvmeRequest *req, unsigned dw)
{
    return nvme_cmd_dw(req, dw) | (uint64_t)nvme_cmd_dw(req, dw + 1) << 32;
}

static void fatal(NvmeCtrl *n, const char *why)
{
    if (!(n->csts & NVME_CSTS_CFS)) {
        nvme_guest_error(n, "controller fatal status: %s", why);
    }
    n->csts |= NVME_CSTS_CFS;
}

static bool working(NvmeCtrl *n)
{
    return (n->csts & (NVME_CSTS_RDY | NVME_CSTS_CFS)) == NVME_CSTS_RDY;
}

/* ---- Interrupts --------------------------------------------------------- */

static bool cq_pending(const NvmeCQ *cq)
{
    return cq->exists && cq->ien && cq->head != cq->tail;
}

/* Pin-based: the line is up while any unmasked queue with interrupts has
 * entries the host has not consumed. */
static void update_pin(NvmeCtrl *n)
{
    if (n->msix) {
        return;
    }
    bool level = false;
    for (unsigned i = 0; i < NVME_QUEUES && !level; i++) {
        const NvmeCQ *cq = &n->cq[i];
        level = cq_pending(cq) && !(n->intms & (1u << (cq->vector & 31)));
    }
    if (level != n->irq_level) {
        n->irq_level = level;
        n->ops->irq(n->opaque, 0, level);
    }
}

static void cq_notify(NvmeCtrl *n, NvmeCQ *cq)
{
    if (!cq->ien) {
        return;
    }
    if (n->msix) {
        n->ops->irq(n->opaque, cq->vector, true);
    } else {
        update_pin(n);
    }
}

void nvme_ctrl_set_msix(NvmeCtrl *n, bool on)
{
    if (n->msix == on) {
        return;
    }
    if (on && n->irq_level) {
        n->irq_level = false;
        n->ops->irq(n->opaque, 0, false);
    }
    n->msix = on;
    update_pin(n);
}

/* ---- Completions ----------------------------------------------------- */

static void req_free(NvmeRequest *req)
{
    for (unsigned i = 0; i < req->nmaps; i++) {
        req->n->ops->dma_unmap(req->n->opaque, req->maps[i]);
    }
    g_free(req->maps);
    g_free(req->host);
    g_free(req->buf);
    g_free(req->segs);
    g_free(req);
}

static bool cq_full(const NvmeCQ *cq)
{
    return (cq->tail + 1) % cq->size == cq->head;
}

/* Write req's completion entry at the CQ's tail. */
static bool post_cqe(NvmeCtrl *n, NvmeCQ *cq, NvmeRequest *req)
{
    uint32_t e[4];
    uint16_t status = (uint16_t)(req->status << 1) | (cq->phase ? 1 : 0);
    e[0] = GUINT32_TO_LE(req->result);
    e[1] = 0;
    e[2] = GUINT32_TO_LE(req->sq->head | (uint32_t)req->sq->id << 16);
    e[3] = GUINT32_TO_LE(req->cid | (uint32_t)status << 16);
    if (!n->ops->dma_write(n->opaque, cq->base + (uint64_t)cq->tail *
                           NVME_CQE_SIZE, e, sizeof(e))) {
        fatal(n, "completion queue memory unreachable");
        return false;
    }
    if (++cq->tail == cq->size) {
        cq->tail = 0;
        cq->phase = !cq->phase;
    }
    return true;
}

void nvme_req_complete(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    NvmeSQ *sq = req->sq;
    if (!sq || !working(n)) {
        if (sq) {
            sq->outstanding--;
        }
        req_free(req);
        return;
    }
    NvmeCQ *cq = &n->cq[sq->cqid];
    if (cq_full(cq) || cq->waiting.length) {
        g_queue_push_tail(&cq->waiting, req);
        return;
    }
    post_cqe(n, cq, req);
    sq->outstanding--;
    req_free(req);
    cq_notify(n, cq);
    nvme_kick(n);
}

/* The host consumed entries: post what waited for room. */
static void cq_drain_waiting(NvmeCtrl *n, NvmeCQ *cq)
{
    bool posted = false;
    while (cq->waiting.length && !cq_full(cq) && working(n)) {
        NvmeRequest *req = g_queue_pop_head(&cq->waiting);
        post_cqe(n, cq, req);
        req->sq->outstanding--;
        req_free(req);
        posted = true;
    }
    if (posted) {
        cq_notify(n, cq);
    }
}

/* ---- Asynchronous events ---------------------------------------------- */

void nvme_raise_event(NvmeCtrl *n, unsigned type, unsigned info,
                      unsigned log_page)
{
    uint32_t ev = type | info << 8 | log_page << 16;
    n->error_count += type == NVME_AER_TYPE_ERROR;
    for (unsigned i = 0; i < n->n_aer_pending; i++) {
        if (n->aer_pending[i] == ev) {
            return;             /* already queued: once is enough */
        }
    }
    if (n->n_aer_pending < G_N_ELEMENTS(n->aer_pending)) {
        n->aer_pending[n->n_aer_pending++] = ev;
    }
    nvme_aer_deliver(n);
}

/* ---- Submission ---------------------------------------------------------- */

static bool may_fetch(NvmeCtrl *n, NvmeSQ *sq)
{
    if (sq->head == sq->tail || !working(n)) {
        return false;
    }
    if (sq->outstanding >= sq->size ||
        n->inflight_bytes >= NVME_INFLIGHT_BYTES ||
        n->inflight_reqs >= NVME_INFLIGHT_REQS) {
        n->starved = true;
        return false;
    }
    return true;
}

static void process_sq(NvmeCtrl *n, NvmeSQ *sq)
{
    while (sq->exists && may_fetch(n, sq)) {
        NvmeRequest *req = g_new0(NvmeRequest, 1);
        if (!n->ops->dma_read(n->opaque, sq->base + (uint64_t)sq->head *
                              NVME_SQE_SIZE, req->cmd, NVME_SQE_SIZE)) {
            g_free(req);
            fatal(n, "submission queue memory unreachable");
            return;
        }
        sq->head = (sq->head + 1) % sq->size;
        sq->outstanding++;
        req->n = n;
        req->sq = sq;
        req->link.data = req;
        req->cid = (uint16_t)(nvme_cmd_dw(req, 0) >> 16);
        req->nsid = nvme_cmd_dw(req, 1);
        bool done = sq->id == 0 ? nvme_admin_exec(req) : nvme_io_exec(req);
        if (done) {
            nvme_req_complete(req);
        }
    }
}

/* Fetch and run what the submission queues hold, the admin queue first.
 * Completions posted meanwhile ask for another round instead of
 * recursing. */
void nvme_kick(NvmeCtrl *n)
{
    if (n->in_process) {
        n->kick_again = true;
        return;
    }
    n->in_process = true;
    do {
        n->kick_again = false;
        n->starved = false;
        for (unsigned i = 0; i < NVME_QUEUES && working(n); i++) {
            process_sq(n, &n->sq[i]);
        }
    } while (n->kick_again && working(n));
    n->in_process = false;
}

/* ---- Queues -------------------------------------------------------- */

static void sq_forget(NvmeCtrl *n, NvmeSQ *sq)
{
    /* Requests on the disks become orphans: their completions will only
     * free them. */
    for (GList *l = sq->active; l;) {
        GList *next = l->next;
        NvmeRequest *req = l->data;
        req->sq = NULL;
        req->link.prev = req->link.next = NULL;
        l = next;
    }
    sq->active = NULL;
    if (sq->exists && sq->cqid < NVME_QUEUES) {
        NvmeCQ *cq = &n->cq[sq->cqid];
        cq->sq_refs--;
        /* Completions of this SQ waiting for room are dropped. */
        for (GList *l = cq->waiting.head; l;) {
            GList *next = l->next;
            NvmeRequest *req = l->data;
            if (req->sq == sq) {
                g_queue_delete_link(&cq->waiting, l);
                req_free(req);
            }
            l = next;
        }
    }
    memset(sq, 0, sizeof(*sq));
}

static void cq_forget(NvmeCQ *cq)
{
    NvmeRequest *req;
    while ((req = g_queue_pop_head(&cq->waiting))) {
        req_free(req);
    }
    memset(cq, 0, sizeof(*cq));
    g_queue_init(&cq->waiting);
}

void nvme_sq_create(NvmeCtrl *n, uint16_t id, uint16_t cqid, uint64_t base,
                    uint32_t size)
{
    NvmeSQ *sq = &n->sq[id];
    memset(sq, 0, sizeof(*sq));
    sq->exists = true;
    sq->id = id;
    sq->cqid = cqid;
    sq->base = base;
    sq->size = size;
    n->cq[cqid].sq_refs++;
}

void nvme_cq_create(NvmeCtrl *n, uint16_t id, uint64_t base, uint32_t size,
                    uint16_t vector, bool ien)
{
    NvmeCQ *cq = &n->cq[id];
    cq_forget(cq);
    cq->exists = true;
    cq->id = id;
    cq->base = base;
    cq->size = size;
    cq->phase = true;
    cq->vector = vector;
    cq->ien = ien;
}

void nvme_sq_delete(NvmeCtrl *n, uint16_t id)
{
    sq_forget(n, &n->sq[id]);
}

void nvme_cq_delete(NvmeCtrl *n, uint16_t id)
{
    cq_forget(&n->cq[id]);
    update_pin(n);
}

/* ---- Enable, reset, shutdown -------------------------------------------- */

void nvme_ctrl_reset(NvmeCtrl *n)
{
    for (unsigned i = 0; i < NVME_QUEUES; i++) {
        sq_forget(n, &n->sq[i]);
    }
    for (unsigned i = 0; i < NVME_QUEUES; i++) {
        cq_forget(&n->cq[i]);
    }
    n->aer_held = 0;
    n->n_aer_pending = 0;
    n->aer_masked = 0;
    n->intms = 0;
    if (n->shutdown_flush) {
        /* Its completions find no controller. */
        nvme_flush_all_forget(n);
    }
    n->cc = 0;
    n->csts = 0;
    n->starved = false;
    if (n->irq_level) {
        n->irq_level = false;
        n->ops->irq(n->opaque, 0, false);
    }
}

void nvme_ctrl_cleanup(NvmeCtrl *n)
{
    nvme_ctrl_reset(n);
    for (unsigned i = 1; i <= NVME_NS_MAX; i++) {
        if (n->ns[i]) {
            n->ns[i]->ctrl = NULL;
            n->ns[i] = NULL;
        }
    }
}

static void enable(NvmeCtrl *n)
{
    uint32_t cc = n->cc;
    unsigned mps = NVME_CC_MPS(cc);
    unsigned asqs = NVME_AQA_ASQS(n->aqa) + 1;
    unsigned acqs = NVME_AQA_ACQS(n->aqa) + 1;
    const char *why = NULL;
    if (NVME_CC_CSS(cc) != 0) {
        why = "unsupported command set (CC.CSS)";
    } else if (mps > ((n->cap >> NVME_CAP_MPSMAX_SHIFT) & 0xf)) {
        why = "memory page size above CAP.MPSMAX";
    } else if (NVME_CC_AMS(cc) != 0) {
        why = "unsupported arbitration (CC.AMS)";
    } else if (asqs < 2 || acqs < 2) {
        why = "admin queue of fewer than 2 entries";
    } else if (!n->asq || !n->acq) {
        why = "admin queue address 0";
    } else if ((n->asq | n->acq) & ((UINT64_C(4096) << mps) - 1)) {
        why = "admin queue not aligned to the memory page size";
    }
    if (why) {
        nvme_guest_error(n, "enable refused: %s", why);
        /* The controller does not become ready; the host times out. */
        return;
    }
    n->page_size = 4096u << mps;
    nvme_cq_create(n, 0, n->acq, acqs, 0, true);
    nvme_sq_create(n, 0, 0, n->asq, asqs);
    n->csts = NVME_CSTS_RDY;
}

static void shutdown_flushed(NvmeCtrl *n)
{
    n->csts = (n->csts & ~NVME_CSTS_SHST_MASK) | NVME_CSTS_SHST_COMPLETE;
}

static void write_cc(NvmeCtrl *n, uint32_t val)
{
    uint32_t old = n->cc;
    if ((old & NVME_CC_EN) && !(val & NVME_CC_EN)) {
        nvme_ctrl_reset(n);
        n->cc = val;
        return;
    }
    n->cc = val;
    if (!(old & NVME_CC_EN) && (val & NVME_CC_EN)) {
        enable(n);
    }
    if (NVME_CC_SHN(val) && !NVME_CC_SHN(old)) {
        /* Normal or abrupt shutdown: what the write cache holds goes to
         * the disks before the host hears the shutdown is complete. */
        n->csts = (n->csts & ~NVME_CSTS_SHST_MASK) | NVME_CSTS_SHST_OCCURRING;
        nvme_flush_all(n, shutdown_flushed);
    } else if (!NVME_CC_SHN(val) && NVME_CC_SHN(old)) {
        n->csts &= ~NVME_CSTS_SHST_MASK;
    }
}

/* ---- Doorbells -------------------------------------------------------- */

static void doorbell(NvmeCtrl *n, uint64_t offset, uint32_t val)
{
    if (!working(n)) {
        return;
    }
    unsigned index = (unsigned)(offset / 4);
    unsigned qid = index / 2;
    bool is_cq = index & 1;
    if (offset % 4 || qid >= NVME_QUEUES ||
        (is_cq ? !n->cq[qid].exists : !n->sq[qid].exists)) {
        nvme_guest_error(n, "doorbell write at 0x%" G_GINT64_MODIFIER "x: "
                         "no such queue", NVME_REG_DOORBELLS + offset);
        nvme_raise_event(n, NVME_AER_TYPE_ERROR,
                         NVME_AER_INFO_ERR_INVALID_DB_REG, NVME_LOG_ERROR);
        return;
    }
    uint32_t size = is_cq ? n->cq[qid].size : n->sq[qid].size;
    if (val >= size) {
        nvme_guest_error(n, "%s %u doorbell value %u beyond its %u "
                         "entries", is_cq ? "CQ" : "SQ", qid, val, size);
        nvme_raise_event(n, NVME_AER_TYPE_ERROR,
                         NVME_AER_INFO_ERR_INVALID_DB_VALUE, NVME_LOG_ERROR);
        return;
    }
    if (is_cq) {
        NvmeCQ *cq = &n->cq[qid];
        cq->head = val;
        cq_drain_waiting(n, cq);
        update_pin(n);
        nvme_kick(n);
    } else {
        n->sq[qid].tail = val;
        nvme_kick(n);
    }
}

/* ---- Register space ---------------------------------------------------- */

void nvme_ctrl_init(NvmeCtrl *n, const NvmeHostOps *ops, void *opaque)
{
    n->ops = ops;
    n->opaque = opaque;
    n->cap = (uint64_t)(NVME_QUEUE_ENTRIES_MAX - 1) << NVME_CAP_MQES_SHIFT |
             NVME_CAP_CQR |
             (uint64_t)0xf << NVME_CAP_TO_SHIFT |
             NVME_CAP_CSS_NVM |
             (uint64_t)0 << NVME_CAP_MPSMIN_SHIFT |
             (uint64_t)4 << NVME_CAP_MPSMAX_SHIFT;
    n->page_size = 4096;
    n->feat_temp_threshold = 0x157;     /* 343 K, Identify's WCTEMP */
    n->feat_write_atomicity = 0;
    for (unsigned i = 0; i < NVME_QUEUES; i++) {
        g_queue_init(&n->cq[i].waiting);
        n->feat_irq_vector_config[i] = i;
    }
    if (!n->msix_vectors) {
        n->msix_vectors = NVME_QUEUES;
    }
}

bool nvme_ctrl_attach_ns(NvmeCtrl *n, uint32_t nsid, NvmeNamespace *ns)
{
    if (nsid == 0 || nsid > NVME_NS_MAX || n->ns[nsid]) {
        return false;
    }
    ns->lbs_log2 = (unsigned)g_bit_storage(ns->lbs) - 1;
    ns->ctrl = n;
    n->ns[nsid] = ns;
    return true;
}

void nvme_ctrl_ns_resized(NvmeCtrl *n, uint32_t nsid, uint64_t size)
{
    if (nsid && nsid <= NVME_NS_MAX && n->ns[nsid]) {
        n->ns[nsid]->size = size;
        /* Namespace Attribute Changed notice (Changed Namespace List log
         * 0x04) */
        nvme_raise_event(n, NVME_AER_TYPE_NOTICE, 0, NVME_LOG_CHANGED_NS);
    }
}

uint64_t nvme_ctrl_read(NvmeCtrl *n, uint64_t addr, unsigned size)
{
    uint64_t v;
    switch (addr & ~UINT64_C(3)) {
    case NVME_REG_CAP: v = n->cap; break;
    case NVME_REG_CAP + 4: v = n->cap >> 32; break;
    case NVME_REG_VS: v = NVME_VS_1_4; break;
    case NVME_REG_INTMS:
    case NVME_REG_INTMC: v = n->intms; break;
    case NVME_REG_CC: v = n->cc; break;
    case NVME_REG_CSTS: v = n->csts; break;
    case NVME_REG_AQA: v = n->aqa; break;
    case NVME_REG_ASQ: v = n->asq; break;
    case NVME_REG_ASQ + 4: v = n->asq >> 32; break;
    case NVME_REG_ACQ: v = n->acq; break;
    case NVME_REG_ACQ + 4: v = n->acq >> 32; break;
    default:
        /* Reserved registers and doorbells (write-only) read 0. */
        return 0;
    }
    if (size == 8 && (addr & 7) == 0) {
        switch (addr) {
        case NVME_REG_CAP: return n->cap;
        case NVME_REG_ASQ: return n->asq;
        case NVME_REG_ACQ: return n->acq;
        default: break;
        }
    }
    if (addr & 3) {
        v >>= (addr & 3) * 8;
    }
    return size >= 4 ? (uint32_t)v : v & ((UINT64_C(1) << (size * 8)) - 1);
}

static void set_half(uint64_t *reg, uint64_t addr, uint64_t val,
                     unsigned size)
{
    if (size == 8) {
        *reg = val;
    } else if (addr & 4) {
        *reg = (*reg & UINT32_MAX) | (uint64_t)(uint32_t)val << 32;
    } else {
        *reg = (*reg & ~(uint64_t)UINT32_MAX) | (uint32_t)val;
    }
}

void nvme_ctrl_write(NvmeCtrl *n, uint64_t addr, uint64_t val, unsigned size)
{
    if (addr >= NVME_REG_DOORBELLS) {
        if (size != 4) {
            nvme_guest_error(n, "%u-byte doorbell write ignored", size);
            return;
        }
        doorbell(n, addr - NVME_REG_DOORBELLS, (uint32_t)val);
        return;
    }
    if (size != 4 && !(size == 8 && (addr == NVME_REG_ASQ ||
                                     addr == NVME_REG_ACQ))) {
        nvme_guest_error(n, "%u-byte register write at 0x%" G_GINT64_MODIFIER
                         "x ignored", size, addr);
        return;
    }
    switch (addr) {
    case NVME_REG_INTMS:
        if (!n->msix) {
            n->intms |= (uint32_t)val;
            update_pin(n);
        }
        break;
    case NVME_REG_INTMC:
        if (!n->msix) {
            n->intms &= ~(uint32_t)val;
            update_pin(n);
        }
        break;
    case NVME_REG_CC:
        write_cc(n, (uint32_t)val);
        break;
    case NVME_REG_AQA:
        n->aqa = (uint32_t)val & 0x0fff0fff;
        break;
    case NVME_REG_ASQ:
    case NVME_REG_ASQ + 4:
        set_half(&n->asq, addr, val, size);
        break;
    case NVME_REG_ACQ:
    case NVME_REG_ACQ + 4:
        set_half(&n->acq, addr, val, size);
        break;
    case NVME_REG_NSSR:
        /* NVM Subsystem Reset is not supported (CAP.NSSRS 0): ignored. */
        break;
    default:
        nvme_guest_error(n, "write of 0x%" G_GINT64_MODIFIER "x to read-only "
                         "or reserved register 0x%" G_GINT64_MODIFIER "x",
                         val, addr);
        break;
    }
}
