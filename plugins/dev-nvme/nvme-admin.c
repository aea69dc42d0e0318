/*
 * nvme-admin.c - the admin command set (NVMe 1.4, 5): Identify
 * (controller, namespace, active namespace list, namespace descriptors),
 * creating and deleting I/O queues, Get/Set Features, Get Log Page (error
 * information, SMART / health, firmware slots), Abort, and Asynchronous
 * Event Requests, held until an event comes.  Anything else is Invalid
 * Command Opcode.
 */
#include "nvme-ctrl.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, 8);
}

/* ASCII fields are space padded, not NUL terminated. */
static void put_string(uint8_t *p, size_t field, const char *s)
{
    size_t len = MIN(strlen(s), field);
    memset(p, ' ', field);
    memcpy(p, s, len);
}

/* Send `len` bytes of `data` to the command's PRPs. */
static uint16_t send_data(NvmeRequest *req, const void *data, size_t len)
{
    uint16_t status = nvme_req_map_prp(req, len);
    if (status == NVME_SUCCESS) {
        status = nvme_req_dma_to_guest(req, data, len);
    }
    return status;
}

/* ---- Identify ---------------------------------------------------------- */

static void identify_ctrl(NvmeCtrl *n, uint8_t *id)
{
    put16(id + 0, n->vendor_id);
    put16(id + 2, n->subsys_vendor_id);
    put_string(id + 4, 20, n->serial);
    put_string(id + 24, 40, n->model);
    put_string(id + 64, 8, n->firmware);
    id[72] = 6;                         /* RAB: arbitration burst */
    id[73] = 0x00;                      /* IEEE OUI 52:54:00, low byte first */
    id[74] = 0x54;
    id[75] = 0x52;
    id[77] = NVME_MDTS;
    put16(id + 78, 0);                  /* CNTLID */
    put32(id + 80, NVME_VS_1_4);
    put32(id + 92, 1u << 8);            /* OAES: namespace attribute notices */
    id[111] = 1;                        /* CNTRLTYPE: I/O controller */
    put16(id + 256, 0);                 /* OACS: no optional admin commands */
    id[258] = 3;                        /* ACL: 4 aborts (0-based) */
    id[259] = NVME_AER_MAX - 1;         /* AERL (0-based) */
    id[260] = 0x03;                     /* FRMW: 1 slot, slot 1 read-only */
    id[261] = 0x04;                     /* LPA: extended Get Log Page data */
    id[262] = 0;                        /* ELPE: one error log entry */
    put16(id + 266, 0x157);             /* WCTEMP, kelvin */
    put16(id + 268, 0x175);             /* CCTEMP */
    id[512] = NVME_SQES_LOG2 | NVME_SQES_LOG2 << 4;  /* SQES min/max */
    id[513] = NVME_CQES_LOG2 | NVME_CQES_LOG2 << 4;  /* CQES */
    put16(id + 514, 0);                 /* MAXCMD: not reported */
    put32(id + 516, NVME_NS_MAX);       /* NN */
    put16(id + 520, 1u << 2 | 1u << 3); /* ONCS: DSM, Write Zeroes */
    /* VWC: present, Flush with the broadcast NSID supported */
    id[525] = 0x01 | 0x06;
    id[530] = 1;                        /* NVSCC */
    put32(id + 536, 0);                 /* SGLS: PRPs only */
    put_string(id + 768, 256, n->subnqn);
    /* The string field is NUL-padded, unlike the ASCII ones above. */
    memset(id + 768 + MIN(strlen(n->subnqn), 256), 0,
           256 - MIN(strlen(n->subnqn), 256));
    put16(id + 2048, 0x9c4);            /* PSD0: 25 W max power */
}

static void identify_ns(NvmeNamespace *ns, uint8_t *id)
{
    uint64_t blocks = ns->size >> ns->lbs_log2;
    put64(id + 0, blocks);              /* NSZE */
    put64(id + 8, blocks);              /* NCAP */
    put64(id + 16, blocks);             /* NUSE */
    id[24] = 0;                         /* NSFEAT */
    id[25] = 0;                         /* NLBAF: one format (0-based) */
    id[26] = 0;                         /* FLBAS: format 0 */
    /* DLFEAT: Write Zeroes may deallocate; what a deallocated block reads
     * as is not reported (it depends on the image) */
    id[33] = 0x08;
    put32(id + 128, (uint32_t)ns->lbs_log2 << 16);   /* LBAF0: LBADS */
}

/* The NVM command set's controller limits (NVM Command Set 1.0,
 * 4.1.5.1): only DMRSL, the largest deallocation range, for the smallest
 * block size in use. */
static void identify_nvm_ctrl(NvmeCtrl *n, uint8_t *id)
{
    uint32_t lbs_min = 0;
    for (unsigned i = 1; i <= NVME_NS_MAX; i++) {
        if (n->ns[i] && (!lbs_min || n->ns[i]->lbs < lbs_min)) {
            lbs_min = n->ns[i]->lbs;
        }
    }
    put32(id + 4, NVME_DMRSL_BYTES / (lbs_min ? lbs_min : 512));
}

static uint16_t identify(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    unsigned cns = nvme_cmd_dw(req, 10) & 0xff;
    g_autofree uint8_t *id = g_malloc0(NVME_IDENTIFY_BYTES);
    switch (cns) {
    case NVME_CNS_CTRL:
        identify_ctrl(n, id);
        break;
    case NVME_CNS_NS:
        if (req->nsid == 0 || (req->nsid > NVME_NS_MAX &&
                               req->nsid != NVME_NSID_BROADCAST)) {
            return NVME_INVALID_NSID | NVME_DNR;
        }
        /* An inactive namespace, or the broadcast id (the common
         * capabilities, none of which we report): all zeroes. */
        if (req->nsid <= NVME_NS_MAX && n->ns[req->nsid]) {
            identify_ns(n->ns[req->nsid], id);
        }
        break;
    case NVME_CNS_ACTIVE_NS_LIST: {
        if (req->nsid >= NVME_NSID_BROADCAST - 1) {
            return NVME_INVALID_NSID | NVME_DNR;
        }
        unsigned k = 0;
        for (uint32_t i = req->nsid + 1; i <= NVME_NS_MAX && k < 1024; i++) {
            if (n->ns[i]) {
                put32(id + 4 * k++, i);
            }
        }
        break;
    }
    case NVME_CNS_NS_DESC_LIST:
        if (req->nsid == 0 || req->nsid > NVME_NS_MAX || !n->ns[req->nsid]) {
            return NVME_INVALID_NSID | NVME_DNR;
        }
        /* No identifiers: an empty list. */
        break;
    case NVME_CNS_CS_CTRL:
        if ((nvme_cmd_dw(req, 11) >> 24) != NVME_CSI_NVM) {
            return NVME_INVALID_FIELD | NVME_DNR;
        }
        identify_nvm_ctrl(n, id);
        break;
    default:
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    return send_data(req, id, NVME_IDENTIFY_BYTES);
}

/* ---- Queues ---------------------------------------------------------- */

static uint16_t create_cq(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    uint32_t dw10 = nvme_cmd_dw(req, 10), dw11 = nvme_cmd_dw(req, 11);
    uint16_t qid = dw10 & 0xffff;
    uint32_t size = (dw10 >> 16) + 1;
    uint16_t vector = dw11 >> 16;
    uint64_t base = nvme_cmd_qw(req, 6);
    if (qid == 0 || qid >= NVME_QUEUES || n->cq[qid].exists) {
        return NVME_INVALID_QID | NVME_DNR;
    }
    if (size < 2 || size > NVME_QUEUE_ENTRIES_MAX) {
        return NVME_INVALID_QSIZE | NVME_DNR;
    }
    if (!(dw11 & 1)) {
        return NVME_INVALID_FIELD | NVME_DNR;   /* CAP.CQR: contiguous */
    }
    if (!base || base & (n->page_size - 1)) {
        return NVME_PRP_OFFSET_INVALID | NVME_DNR;
    }
    if (vector >= n->msix_vectors || (!n->msix && vector != 0)) {
        return NVME_INVALID_IRQ_VECTOR | NVME_DNR;
    }
    if (NVME_CC_IOCQES(n->cc) != NVME_CQES_LOG2) {
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    nvme_cq_create(n, qid, base, size, vector, dw11 & 2);
    return NVME_SUCCESS;
}

static uint16_t create_sq(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    uint32_t dw10 = nvme_cmd_dw(req, 10), dw11 = nvme_cmd_dw(req, 11);
    uint16_t qid = dw10 & 0xffff;
    uint32_t size = (dw10 >> 16) + 1;
    uint16_t cqid = dw11 >> 16;
    uint64_t base = nvme_cmd_qw(req, 6);
    if (qid == 0 || qid >= NVME_QUEUES || n->sq[qid].exists) {
        return NVME_INVALID_QID | NVME_DNR;
    }
    if (cqid == 0 || cqid >= NVME_QUEUES || !n->cq[cqid].exists) {
        return NVME_CQ_INVALID | NVME_DNR;
    }
    if (size < 2 || size > NVME_QUEUE_ENTRIES_MAX) {
        return NVME_INVALID_QSIZE | NVME_DNR;
    }
    if (!(dw11 & 1)) {
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    if (!base || base & (n->page_size - 1)) {
        return NVME_PRP_OFFSET_INVALID | NVME_DNR;
    }
    if (NVME_CC_IOSQES(n->cc) != NVME_SQES_LOG2) {
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    nvme_sq_create(n, qid, cqid, base, size);
    return NVME_SUCCESS;
}

static uint16_t delete_sq(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    uint16_t qid = nvme_cmd_dw(req, 10) & 0xffff;
    if (qid == 0 || qid >= NVME_QUEUES || !n->sq[qid].exists) {
        return NVME_INVALID_QID | NVME_DNR;
    }
    nvme_sq_delete(n, qid);
    return NVME_SUCCESS;
}

static uint16_t delete_cq(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    uint16_t qid = nvme_cmd_dw(req, 10) & 0xffff;
    if (qid == 0 || qid >= NVME_QUEUES || !n->cq[qid].exists) {
        return NVME_INVALID_QID | NVME_DNR;
    }
    if (n->cq[qid].sq_refs) {
        return NVME_INVALID_QUEUE_DELETION | NVME_DNR;
    }
    nvme_cq_delete(n, qid);
    return NVME_SUCCESS;
}

/* ---- Features -------------------------------------------------------- */

static NvmeNamespace *first_ns(NvmeCtrl *n)
{
    for (unsigned i = 1; i <= NVME_NS_MAX; i++) {
        if (n->ns[i]) {
            return n->ns[i];
        }
    }
    return NULL;
}

static uint16_t get_features(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    uint32_t dw10 = nvme_cmd_dw(req, 10), dw11 = nvme_cmd_dw(req, 11);
    unsigned fid = dw10 & 0xff, sel = (dw10 >> 8) & 7;
    if (sel == 3) {
        /* Supported capabilities: nothing saveable or per-namespace,
         * all changeable. */
        req->result = 1u << 2;
        return NVME_SUCCESS;
    }
    if (sel > 3) {
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    switch (fid) {
    case NVME_FEAT_ARBITRATION: req->result = n->feat_arbitration; break;
    case NVME_FEAT_POWER_MGMT: req->result = n->feat_power; break;
    case NVME_FEAT_TEMP_THRESHOLD:
        /* Only the composite sensor's over threshold is kept; others 0. */
        req->result = (dw11 & 0x3fffff) == 0 ? n->feat_temp_threshold : 0;
        break;
    case NVME_FEAT_ERROR_RECOVERY: req->result = n->feat_error_recovery;
        break;
    case NVME_FEAT_VOLATILE_WC: {
        NvmeNamespace *ns = first_ns(n);
        req->result = ns && ns->write_cache;
        break;
    }
    case NVME_FEAT_NUM_QUEUES:
        req->result = (NVME_IOQ_MAX - 1) | (uint32_t)(NVME_IOQ_MAX - 1) << 16;
        break;
    case NVME_FEAT_IRQ_COALESCING: req->result = n->feat_irq_coalescing;
        break;
    case NVME_FEAT_IRQ_VECTOR_CONFIG: {
        unsigned iv = dw11 & 0xffff;
        if (iv >= NVME_QUEUES) {
            return NVME_INVALID_FIELD | NVME_DNR;
        }
        req->result = n->feat_irq_vector_config[iv];
        break;
    }
    case NVME_FEAT_WRITE_ATOMICITY: req->result = n->feat_write_atomicity;
        break;
    case NVME_FEAT_ASYNC_EVENT_CONFIG: req->result = n->feat_aec; break;
    default:
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    return NVME_SUCCESS;
}

static uint16_t set_features(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    uint32_t dw10 = nvme_cmd_dw(req, 10), dw11 = nvme_cmd_dw(req, 11);
    unsigned fid = dw10 & 0xff;
    if (dw10 & (1u << 31)) {
        return NVME_FEAT_NOT_SAVEABLE | NVME_DNR;
    }
    switch (fid) {
    case NVME_FEAT_ARBITRATION: n->feat_arbitration = dw11; break;
    case NVME_FEAT_POWER_MGMT:
        if ((dw11 & 0x1f) != 0) {
            return NVME_INVALID_FIELD | NVME_DNR;   /* one power state */
        }
        n->feat_power = dw11;
        break;
    case NVME_FEAT_TEMP_THRESHOLD:
        if ((dw11 >> 16) == 0) {
            n->feat_temp_threshold = dw11 & 0xffff;
        }
        break;
    case NVME_FEAT_ERROR_RECOVERY: n->feat_error_recovery = dw11; break;
    case NVME_FEAT_VOLATILE_WC:
        for (unsigned i = 1; i <= NVME_NS_MAX; i++) {
            NvmeNamespace *ns = n->ns[i];
            if (ns) {
                ns->write_cache = dw11 & 1;
                if (n->ops->set_write_cache) {
                    n->ops->set_write_cache(n->opaque, ns->disk, dw11 & 1);
                }
            }
        }
        break;
    case NVME_FEAT_NUM_QUEUES:
        if ((dw11 & 0xffff) == 0xffff || (dw11 >> 16) == 0xffff) {
            return NVME_INVALID_FIELD | NVME_DNR;
        }
        /* What the controller has, whatever was asked for. */
        req->result = (NVME_IOQ_MAX - 1) | (uint32_t)(NVME_IOQ_MAX - 1) << 16;
        break;
    case NVME_FEAT_IRQ_COALESCING: n->feat_irq_coalescing = dw11 & 0xffff;
        break;
    case NVME_FEAT_IRQ_VECTOR_CONFIG: {
        unsigned iv = dw11 & 0xffff;
        if (iv >= NVME_QUEUES) {
            return NVME_INVALID_FIELD | NVME_DNR;
        }
        n->feat_irq_vector_config[iv] = dw11 & 0x1ffff;
        break;
    }
    case NVME_FEAT_WRITE_ATOMICITY: n->feat_write_atomicity = dw11 & 1;
        break;
    case NVME_FEAT_ASYNC_EVENT_CONFIG: n->feat_aec = dw11; break;
    default:
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    return NVME_SUCCESS;
}

/* ---- Log pages ------------------------------------------------------- */

static void smart_log(NvmeCtrl *n, uint8_t *log)
{
    uint64_t units_read = 0, units_written = 0, reads = 0, writes = 0;
    for (unsigned i = 1; i <= NVME_NS_MAX; i++) {
        if (n->ns[i]) {
            /* Data units are thousands of 512-byte units, rounded up. */
            units_read += (n->ns[i]->units_read + 999) / 1000;
            units_written += (n->ns[i]->units_written + 999) / 1000;
            reads += n->ns[i]->reads;
            writes += n->ns[i]->writes;
        }
    }
    log[0] = 0;                             /* critical warning */
    put16(log + 1, 0x127);                  /* 295 K, below WCTEMP */
    log[3] = 100;                           /* available spare % */
    log[4] = 10;                            /* its threshold */
    log[5] = 0;                             /* percentage used */
    put64(log + 32, units_read);
    put64(log + 48, units_written);
    put64(log + 64, reads);
    put64(log + 80, writes);
    put64(log + 176, n->error_count);       /* error log entries */
}

static uint16_t get_log_page(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    uint32_t dw10 = nvme_cmd_dw(req, 10), dw11 = nvme_cmd_dw(req, 11);
    unsigned lid = dw10 & 0xff;
    bool rae = dw10 & (1u << 15);
    uint64_t dwords = ((dw10 >> 16) | (uint64_t)(dw11 & 0xffff) << 16) + 1;
    uint64_t offset = nvme_cmd_qw(req, 12);
    uint8_t log[4096] = { 0 };
    size_t log_size = 512;
    unsigned event_type;
    switch (lid) {
    case NVME_LOG_ERROR:
        log_size = 64;          /* one entry, empty: nothing recorded */
        event_type = NVME_AER_TYPE_ERROR;
        break;
    case NVME_LOG_SMART:
        if (req->nsid != 0 && req->nsid != NVME_NSID_BROADCAST) {
            /* LPA bit 0 clear: no per-namespace SMART data */
            return NVME_INVALID_FIELD | NVME_DNR;
        }
        smart_log(n, log);
        event_type = NVME_AER_TYPE_SMART;
        break;
    case NVME_LOG_FW_SLOT:
        log[0] = 1;                         /* AFI: slot 1 active */
        put_string(log + 8, 8, n->firmware);
        event_type = 0xff;
        break;
    case NVME_LOG_CHANGED_NS:
        /* "More than 1024 changed": the host rescans every namespace,
         * which is what a resize needs. */
        log_size = 4096;
        put32(log, NVME_NSID_BROADCAST);
        event_type = NVME_AER_TYPE_NOTICE;
        break;
    default:
        return NVME_INVALID_LOG_PAGE | NVME_DNR;
    }
    if (offset & 3 || offset > log_size) {
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    if (dwords * 4 > NVME_MAX_TRANSFER) {
        return NVME_INVALID_FIELD | NVME_DNR;
    }
    size_t len = (size_t)dwords * 4;
    g_autofree uint8_t *out = g_malloc0(len);
    memcpy(out, log + offset, MIN(len, log_size - offset));
    uint16_t status = send_data(req, out, len);
    if (status == NVME_SUCCESS && !rae && event_type < 8) {
        /* Reading the page clears its events: they may be raised again. */
        n->aer_masked &= ~(1u << event_type);
        nvme_aer_deliver(n);
    }
    return status;
}

/* ---- Asynchronous events ------------------------------------------- */

void nvme_aer_deliver(NvmeCtrl *n)
{
    while (n->aer_held && n->n_aer_pending) {
        /* The first pending event whose type is not masked. */
        unsigned i;
        for (i = 0; i < n->n_aer_pending; i++) {
            if (!(n->aer_masked & (1u << (n->aer_pending[i] & 7)))) {
                break;
            }
        }
        if (i == n->n_aer_pending) {
            return;
        }
        uint32_t ev = n->aer_pending[i];
        memmove(&n->aer_pending[i], &n->aer_pending[i + 1],
                (n->n_aer_pending - i - 1) * sizeof(ev));
        n->n_aer_pending--;
        n->aer_masked |= 1u << (ev & 7);
        NvmeRequest *req = g_new0(NvmeRequest, 1);
        req->n = n;
        req->sq = &n->sq[0];
        req->cid = n->aer_cid[--n->aer_held];
        req->result = ev;
        /* Its submission slot was given back when it was held. */
        req->sq->outstanding++;
        nvme_req_complete(req);
    }
}

static bool async_event(NvmeRequest *req)
{
    NvmeCtrl *n = req->n;
    if (n->aer_held == NVME_AER_MAX) {
        req->status = NVME_AER_LIMIT_EXCEEDED | NVME_DNR;
        return true;
    }
    n->aer_cid[n->aer_held++] = req->cid;
    /* Held without a request: it costs no submission slot meanwhile. */
    req->sq->outstanding--;
    g_free(req);
    nvme_aer_deliver(n);
    return false;
}

bool nvme_admin_exec(NvmeRequest *req)
{
    unsigned opcode = req->cmd[0];
    uint16_t status;
    if ((nvme_cmd_dw(req, 0) >> 8) & 3) {
        /* Fused operations are not supported (FUSES 0). */
        req->status = NVME_INVALID_FIELD | NVME_DNR;
        return true;
    }
    switch (opcode) {
    case NVME_ADM_IDENTIFY: status = identify(req); break;
    case NVME_ADM_CREATE_CQ: status = create_cq(req); break;
    case NVME_ADM_CREATE_SQ: status = create_sq(req); break;
    case NVME_ADM_DELETE_SQ: status = delete_sq(req); break;
    case NVME_ADM_DELETE_CQ: status = delete_cq(req); break;
    case NVME_ADM_GET_FEATURES: status = get_features(req); break;
    case NVME_ADM_SET_FEATURES: status = set_features(req); break;
    case NVME_ADM_GET_LOG_PAGE: status = get_log_page(req); break;
    case NVME_ADM_ABORT:
        /* Commands run to completion here: nothing is ever aborted
         * (DW0 bit 0 set: "not aborted"). */
        req->result = 1;
        status = NVME_SUCCESS;
        break;
    case NVME_ADM_ASYNC_EVENT:
        return async_event(req);
    default:
        nvme_guest_error(req->n, "admin opcode 0x%02x not supported",
                         opcode);
        status = NVME_INVALID_OPCODE | NVME_DNR;
        break;
    }
    req->status = status;
    return true;
}
