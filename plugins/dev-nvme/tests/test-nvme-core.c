/*
 * test-nvme-core.c - the NVMe controller core of plugins/dev-nvme on a
 * fake bus: guest memory is a host array at GUEST_BASE (DMA outside it
 * fails, as on a bus with nothing there), the disk is a host array whose
 * operations complete only when the test says so, interrupts are
 * counted.  The test is the host driver: it writes commands into its
 * submission queues, rings doorbells and reads the completions back.
 *
 * Covered: registers and enabling, Identify, queue creation with every
 * refusal, reads and writes through PRP1, PRP2, PRP lists and chained
 * list pages, Flush, Write Zeroes, Dataset Management; then a hostile
 * host: bad PRPs and wild addresses, ranges past the end, oversized
 * transfers, bad doorbells (asynchronous error events), queues in
 * unreachable memory (Controller Fatal Status), a full completion queue,
 * resets and queue deletions with I/O in flight (nothing may reach the
 * guest afterwards), the in-flight bound, pin-based interrupts and
 * their mask, shutdown.
 */
#include "nvme-ctrl.h"

#include <errno.h>
#include <string.h>

#define GUEST_BASE  UINT64_C(0x80000000)
#define GUEST_SIZE  (16u << 20)
#define ASQ         (GUEST_BASE + 0x0000)
#define ACQ         (GUEST_BASE + 0x1000)
#define IOSQ        (GUEST_BASE + 0x10000)     /* up to 256 entries */
#define IOCQ        (GUEST_BASE + 0x20000)
#define LIST        (GUEST_BASE + 0x30000)     /* PRP lists */
#define DATA        (GUEST_BASE + 0x100000)
#define WILD        UINT64_C(0x10000000)       /* nothing there */
#define DISK_SIZE   (4u << 20)
#define LBS         512

typedef struct DiskOp {
    NvmeIoKind kind;
    uint64_t offset, bytes;
    struct iovec iov;
    unsigned flags;
    NvmeIoDone done;
    void *opaque;
} DiskOp;

typedef struct Fake {
    uint8_t *mem;
    uint8_t *disk;
    GQueue ops;                 /* disk operations not yet completed */
    GPtrArray *history;         /* every operation seen (DiskOp copies) */
    int fail_next;              /* -errno for the next completion */
    unsigned msix_fired[NVME_QUEUES];
    bool pin;
    unsigned guest_errors;
    bool wce;
    unsigned wce_calls;
} Fake;

static Fake fake;
static NvmeCtrl ctrl;
static NvmeNamespace ns1;

/* ---- The fake bus ------------------------------------------------------ */

static bool in_guest(uint64_t addr, size_t len)
{
    return addr >= GUEST_BASE && len <= GUEST_SIZE &&
           addr - GUEST_BASE <= GUEST_SIZE - len;
}

static bool f_dma_read(void *o, uint64_t addr, void *buf, size_t len)
{
    (void)o;
    if (!in_guest(addr, len)) {
        return false;
    }
    memcpy(buf, fake.mem + (addr - GUEST_BASE), len);
    return true;
}

static bool f_dma_write(void *o, uint64_t addr, const void *buf, size_t len)
{
    (void)o;
    if (!in_guest(addr, len)) {
        return false;
    }
    memcpy(fake.mem + (addr - GUEST_BASE), buf, len);
    return true;
}

static void f_irq(void *o, unsigned vector, bool level)
{
    (void)o;
    if (ctrl.msix) {
        g_assert_cmpuint(vector, <, NVME_QUEUES);
        g_assert_true(level);
        fake.msix_fired[vector]++;
    } else {
        g_assert_cmpuint(vector, ==, 0);
        fake.pin = level;
    }
}

static void f_io(void *o, void *disk, NvmeIoKind kind, uint64_t offset,
                 uint64_t bytes, const struct iovec *iov, int niov,
                 unsigned flags, NvmeIoDone done, void *done_opaque)
{
    (void)o;
    g_assert_true(disk == &fake);
    DiskOp *op = g_new0(DiskOp, 1);
    op->kind = kind;
    op->offset = offset;
    op->bytes = bytes;
    if (kind == NVME_IO_READ || kind == NVME_IO_WRITE) {
        g_assert_cmpint(niov, ==, 1);
        g_assert_cmpuint(iov[0].iov_len, ==, bytes);
        op->iov = iov[0];
    } else {
        g_assert_cmpint(niov, ==, 0);
    }
    op->flags = flags;
    op->done = done;
    op->opaque = done_opaque;
    g_queue_push_tail(&fake.ops, op);
    g_ptr_array_add(fake.history, g_memdup2(op, sizeof(*op)));
}

static void f_set_wc(void *o, void *disk, bool on)
{
    (void)o;
    g_assert_true(disk == &fake);
    fake.wce = on;
    fake.wce_calls++;
}

static void f_guest_error(void *o, const char *msg)
{
    (void)o;
    g_assert_nonnull(msg);
    fake.guest_errors++;
}

static const NvmeHostOps fake_ops = {
    .dma_read = f_dma_read,
    .dma_write = f_dma_write,
    .irq = f_irq,
    .io = f_io,
    .set_write_cache = f_set_wc,
    .guest_error = f_guest_error,
};

/* Complete the disk's operations (and those they start), as the block
 * layer's bottom half would. */
static unsigned run_disk(void)
{
    unsigned count = 0;
    DiskOp *op;
    while ((op = g_queue_pop_head(&fake.ops))) {
        int ret = 0;
        if (fake.fail_next) {
            ret = fake.fail_next;
            fake.fail_next = 0;
        } else if (op->offset + op->bytes > DISK_SIZE) {
            ret = -EIO;
        } else if (op->kind == NVME_IO_READ) {
            memcpy(op->iov.iov_base, fake.disk + op->offset, op->bytes);
        } else if (op->kind == NVME_IO_WRITE) {
            memcpy(fake.disk + op->offset, op->iov.iov_base, op->bytes);
        } else if (op->kind == NVME_IO_WRITE_ZEROES ||
                   op->kind == NVME_IO_DISCARD) {
            memset(fake.disk + op->offset, 0, op->bytes);
        }
        op->done(op->opaque, ret);
        g_free(op);
        count++;
    }
    return count;
}

static uint8_t *gptr(uint64_t addr)
{
    g_assert_true(in_guest(addr, 1));
    return fake.mem + (addr - GUEST_BASE);
}

static void g_put64(uint64_t addr, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(gptr(addr), &v, 8);
}

/* ---- The test's host driver ---------------------------------------------- */

typedef struct Q {
    uint16_t id;
    uint64_t sq, cq;
    uint32_t sq_size, cq_size;
    uint32_t sq_tail, cq_head;
    bool phase;
} Q;

static Q adminq, ioq;

typedef struct Cmd {
    uint8_t opcode;
    uint8_t flags;
    uint32_t nsid;
    uint64_t prp1, prp2;
    uint32_t dw[16];            /* dw[10..15] used */
} Cmd;

typedef struct Cqe {
    uint32_t result;
    uint16_t sqhd, sqid, cid;
    uint16_t status;            /* without the phase bit */
} Cqe;

static uint16_t next_cid = 1;

static void reg_write(uint64_t addr, uint64_t v)
{
    nvme_ctrl_write(&ctrl, addr, v, 4);
}

static uint32_t reg_read(uint64_t addr)
{
    return (uint32_t)nvme_ctrl_read(&ctrl, addr, 4);
}

static void sq_doorbell(uint16_t qid, uint32_t v)
{
    reg_write(NVME_REG_DOORBELLS + qid * 8, v);
}

static void cq_doorbell(uint16_t qid, uint32_t v)
{
    reg_write(NVME_REG_DOORBELLS + qid * 8 + 4, v);
}

/* Write a command at the SQ's tail without ringing. */
static uint16_t queue_cmd(Q *q, const Cmd *c)
{
    uint8_t e[64] = { 0 };
    uint16_t cid = next_cid++;
    uint32_t dw0 = c->opcode | (uint32_t)c->flags << 8 | (uint32_t)cid << 16;
    memcpy(e, &dw0, 4);
    memcpy(e + 4, &c->nsid, 4);
    memcpy(e + 24, &c->prp1, 8);
    memcpy(e + 32, &c->prp2, 8);
    for (unsigned i = 10; i < 16; i++) {
        memcpy(e + i * 4, &c->dw[i], 4);
    }
    memcpy(gptr(q->sq + (uint64_t)q->sq_tail * 64), e, 64);
    q->sq_tail = (q->sq_tail + 1) % q->sq_size;
    return cid;
}

/* The next completion, if the controller posted it. */
static bool peek_cqe(Q *q, Cqe *out)
{
    uint32_t e[4];
    memcpy(e, gptr(q->cq + (uint64_t)q->cq_head * 16), 16);
    uint16_t st = e[3] >> 16;
    if ((bool)(st & 1) != q->phase) {
        return false;
    }
    out->result = e[0];
    out->sqhd = e[2] & 0xffff;
    out->sqid = e[2] >> 16;
    out->cid = e[3] & 0xffff;
    out->status = st >> 1;
    return true;
}

static bool pop_cqe(Q *q, Cqe *out)
{
    if (!peek_cqe(q, out)) {
        return false;
    }
    if (++q->cq_head == q->cq_size) {
        q->cq_head = 0;
        q->phase = !q->phase;
    }
    cq_doorbell(q->id, q->cq_head);
    return true;
}

/* Submit one command, let the disk answer, return its status. */
static uint16_t run_cmd(Q *q, const Cmd *c, uint32_t *result)
{
    uint16_t cid = queue_cmd(q, c);
    sq_doorbell(q->id, q->sq_tail);
    run_disk();
    Cqe e;
    g_assert_true(pop_cqe(q, &e));
    g_assert_cmpuint(e.cid, ==, cid);
    g_assert_cmpuint(e.sqid, ==, q->id);
    g_assert_cmpuint(e.sqhd, ==, q->sq_tail);
    if (result) {
        *result = e.result;
    }
    return e.status;
}

static uint16_t admin(const Cmd *c, uint32_t *result)
{
    return run_cmd(&adminq, c, result);
}

static void setup(bool msix)
{
    memset(&ctrl, 0, sizeof(ctrl));
    memset(fake.mem, 0, GUEST_SIZE);
    fake.fail_next = 0;
    memset(fake.msix_fired, 0, sizeof(fake.msix_fired));
    fake.pin = false;
    fake.guest_errors = 0;
    fake.wce_calls = 0;
    g_ptr_array_set_size(fake.history, 0);
    for (unsigned i = 0; i < DISK_SIZE; i++) {
        fake.disk[i] = (uint8_t)(i / LBS + i % LBS);
    }
    g_strlcpy(ctrl.serial, "SERIAL-1", sizeof(ctrl.serial));
    g_strlcpy(ctrl.model, "QEMU NVMe Ctrl", sizeof(ctrl.model));
    g_strlcpy(ctrl.firmware, "1.0", sizeof(ctrl.firmware));
    g_strlcpy(ctrl.subnqn, "nqn.2019-08.org.qemu:SERIAL-1",
              sizeof(ctrl.subnqn));
    ctrl.vendor_id = 0x1b36;
    ctrl.subsys_vendor_id = 0x1af4;
    nvme_ctrl_init(&ctrl, &fake_ops, NULL);
    nvme_ctrl_set_msix(&ctrl, msix);
    memset(&ns1, 0, sizeof(ns1));
    ns1.disk = &fake;
    ns1.size = DISK_SIZE;
    ns1.lbs = LBS;
    ns1.write_cache = true;
    g_assert_true(nvme_ctrl_attach_ns(&ctrl, 1, &ns1));
    next_cid = 1;
}

static void teardown(void)
{
    nvme_ctrl_cleanup(&ctrl);
    run_disk();                 /* orphans free themselves */
    g_assert_cmpuint(ctrl.inflight_reqs, ==, 0);
    g_assert_cmpuint(ctrl.inflight_bytes, ==, 0);
}

static void enable(void)
{
    adminq = (Q){ .id = 0, .sq = ASQ, .cq = ACQ, .sq_size = 32,
                  .cq_size = 32, .phase = true };
    reg_write(NVME_REG_AQA, (32 - 1) | (32 - 1) << 16);
    nvme_ctrl_write(&ctrl, NVME_REG_ASQ, ASQ, 8);
    nvme_ctrl_write(&ctrl, NVME_REG_ACQ, ACQ, 8);
    reg_write(NVME_REG_CC, NVME_CC_EN | 6u << 16 | 4u << 20);
    g_assert_cmpuint(reg_read(NVME_REG_CSTS), ==, NVME_CSTS_RDY);
}

static uint16_t create_cq(uint16_t qid, uint64_t base, uint32_t size,
                          uint16_t vector, bool ien)
{
    Cmd c = { .opcode = NVME_ADM_CREATE_CQ, .prp1 = base };
    c.dw[10] = qid | (size - 1) << 16;
    c.dw[11] = 1 | (ien ? 2 : 0) | (uint32_t)vector << 16;
    return admin(&c, NULL);
}

static uint16_t create_sq(uint16_t qid, uint64_t base, uint32_t size,
                          uint16_t cqid)
{
    Cmd c = { .opcode = NVME_ADM_CREATE_SQ, .prp1 = base };
    c.dw[10] = qid | (size - 1) << 16;
    c.dw[11] = 1 | (uint32_t)cqid << 16;
    return admin(&c, NULL);
}

/* An enabled controller with I/O queue pair 1 of `size` entries. */
static void start(bool msix, uint32_t size)
{
    setup(msix);
    enable();
    g_assert_cmphex(create_cq(1, IOCQ, size, msix ? 1 : 0, true), ==, 0);
    g_assert_cmphex(create_sq(1, IOSQ, size, 1), ==, 0);
    ioq = (Q){ .id = 1, .sq = IOSQ, .cq = IOCQ, .sq_size = size,
               .cq_size = size, .phase = true };
}

static Cmd rw_cmd(uint8_t opcode, uint64_t slba, uint32_t nlb,
                  uint64_t prp1, uint64_t prp2)
{
    Cmd c = { .opcode = opcode, .nsid = 1, .prp1 = prp1, .prp2 = prp2 };
    c.dw[10] = (uint32_t)slba;
    c.dw[11] = (uint32_t)(slba >> 32);
    c.dw[12] = nlb - 1;
    return c;
}

static uint8_t disk_pattern(uint64_t off)
{
    return (uint8_t)(off / LBS + off % LBS);
}

/* ---- Tests ---------------------------------------------------------- */

static void test_registers(void)
{
    setup(true);
    uint64_t cap = nvme_ctrl_read(&ctrl, NVME_REG_CAP, 8);
    g_assert_cmpuint(cap & 0xffff, ==, NVME_QUEUE_ENTRIES_MAX - 1);
    g_assert_true(cap & NVME_CAP_CQR);
    g_assert_true(cap & NVME_CAP_CSS_NVM);
    g_assert_cmpuint((cap >> 32) & 0xf, ==, 0);         /* DSTRD */
    g_assert_cmphex(reg_read(NVME_REG_CAP + 4), ==, cap >> 32);
    g_assert_cmphex(reg_read(NVME_REG_VS), ==, 0x10400);
    g_assert_cmphex(reg_read(NVME_REG_CSTS), ==, 0);
    /* Enable refused: admin queue not page aligned. */
    reg_write(NVME_REG_AQA, 31 | 31 << 16);
    nvme_ctrl_write(&ctrl, NVME_REG_ASQ, ASQ + 8, 8);
    nvme_ctrl_write(&ctrl, NVME_REG_ACQ, ACQ, 8);
    reg_write(NVME_REG_CC, NVME_CC_EN);
    g_assert_cmphex(reg_read(NVME_REG_CSTS) & NVME_CSTS_RDY, ==, 0);
    reg_write(NVME_REG_CC, 0);
    /* Page size above MPSMAX */
    nvme_ctrl_write(&ctrl, NVME_REG_ASQ, ASQ, 8);
    reg_write(NVME_REG_CC, NVME_CC_EN | 5u << 7);
    g_assert_cmphex(reg_read(NVME_REG_CSTS) & NVME_CSTS_RDY, ==, 0);
    reg_write(NVME_REG_CC, 0);
    /* Admin queue of one entry */
    reg_write(NVME_REG_AQA, 0);
    reg_write(NVME_REG_CC, NVME_CC_EN);
    g_assert_cmphex(reg_read(NVME_REG_CSTS) & NVME_CSTS_RDY, ==, 0);
    reg_write(NVME_REG_CC, 0);
    /* ASQ by halves */
    reg_write(NVME_REG_ASQ, 0x1000);
    reg_write(NVME_REG_ASQ + 4, 0x2);
    g_assert_cmphex(nvme_ctrl_read(&ctrl, NVME_REG_ASQ, 8), ==,
                    UINT64_C(0x200001000));
    /* Reads of the doorbells and of nothing are 0; writes to read-only
     * registers change nothing. */
    g_assert_cmphex(reg_read(NVME_REG_DOORBELLS), ==, 0);
    g_assert_cmphex(reg_read(0xf00), ==, 0);
    reg_write(NVME_REG_VS, 0);
    reg_write(NVME_REG_CSTS, 0xffffffff);
    g_assert_cmphex(reg_read(NVME_REG_VS), ==, 0x10400);
    g_assert_cmphex(reg_read(NVME_REG_CSTS), ==, 0);
    /* Doorbells of a disabled controller are ignored. */
    sq_doorbell(0, 1);
    enable();
    teardown();
}

static void test_identify(void)
{
    setup(true);
    enable();
    Cmd c = { .opcode = NVME_ADM_IDENTIFY, .prp1 = DATA };
    c.dw[10] = NVME_CNS_CTRL;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    const uint8_t *id = gptr(DATA);
    g_assert_cmphex(id[0] | id[1] << 8, ==, 0x1b36);
    g_assert_cmpmem(id + 4, 20, "SERIAL-1            ", 20);
    g_assert_cmpmem(id + 24, 14, "QEMU NVMe Ctrl", 14);
    g_assert_cmpuint(id[24 + 14], ==, ' ');
    g_assert_cmpuint(id[77], ==, NVME_MDTS);
    g_assert_cmphex(id[512], ==, 0x66);
    g_assert_cmphex(id[513], ==, 0x44);
    g_assert_cmpuint(id[516], ==, NVME_NS_MAX & 0xff);
    g_assert_cmpuint(id[517], ==, NVME_NS_MAX >> 8);
    g_assert_cmpstr((const char *)id + 768, ==,
                    "nqn.2019-08.org.qemu:SERIAL-1");

    c.dw[10] = NVME_CNS_NS;
    c.nsid = 1;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    uint64_t nsze;
    memcpy(&nsze, gptr(DATA), 8);
    g_assert_cmpuint(nsze, ==, DISK_SIZE / LBS);
    g_assert_cmpuint(gptr(DATA)[128 + 2], ==, 9);        /* LBADS */
    /* An inactive namespace reads as zeroes */
    c.nsid = 7;
    memset(gptr(DATA), 0xaa, 4096);
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    g_assert_cmpuint(gptr(DATA)[0] | gptr(DATA)[128 + 2], ==, 0);
    c.nsid = 0;
    g_assert_cmphex(admin(&c, NULL), ==, NVME_INVALID_NSID | NVME_DNR);
    c.nsid = 0x12345;
    g_assert_cmphex(admin(&c, NULL), ==, NVME_INVALID_NSID | NVME_DNR);

    c.dw[10] = NVME_CNS_ACTIVE_NS_LIST;
    c.nsid = 0;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    g_assert_cmpuint(gptr(DATA)[0], ==, 1);
    g_assert_cmpuint(gptr(DATA)[4], ==, 0);
    c.nsid = 1;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    g_assert_cmpuint(gptr(DATA)[0], ==, 0);

    c.dw[10] = NVME_CNS_NS_DESC_LIST;
    c.nsid = 1;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    /* The NVM command set's limits: DMRSL in blocks */
    c.dw[10] = NVME_CNS_CS_CTRL;
    c.nsid = 0;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    uint32_t dmrsl;
    memcpy(&dmrsl, gptr(DATA + 4), 4);
    g_assert_cmpuint(dmrsl, ==, NVME_DMRSL_BYTES / LBS);
    c.dw[11] = 2u << 24;                /* zoned: not offered */
    g_assert_cmphex(admin(&c, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    c.dw[11] = 0;
    c.dw[10] = 0x15;
    g_assert_cmphex(admin(&c, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    /* Identify data to nowhere, or at an offset inside a page that
     * makes it need a second one without PRP2 being a page */
    c.dw[10] = NVME_CNS_CTRL;
    c.prp1 = WILD;
    g_assert_cmphex(admin(&c, NULL), ==, NVME_DATA_TRANSFER_ERROR);
    c.prp1 = DATA + 0x100;
    c.prp2 = DATA + 0x2010;
    g_assert_cmphex(admin(&c, NULL), ==, NVME_PRP_OFFSET_INVALID | NVME_DNR);
    c.prp2 = DATA + 0x2000;
    memset(gptr(DATA + 0x2000), 0xaa, 4096);
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    g_assert_cmphex(gptr(DATA + 0x100)[0], ==, 0x36);
    g_assert_cmpmem(gptr(DATA + 0x100 + 768), 4, "nqn.", 4);
    /* the last 0x100 bytes (zeroes) went to the second page */
    g_assert_cmphex(gptr(DATA + 0x2000)[0], ==, 0);
    g_assert_cmphex(gptr(DATA + 0x2000)[0xff], ==, 0);
    g_assert_cmphex(gptr(DATA + 0x2000)[0x100], ==, 0xaa);
    /* Unknown admin opcode; fused */
    Cmd bad = { .opcode = 0x7f };
    g_assert_cmphex(admin(&bad, NULL), ==, NVME_INVALID_OPCODE | NVME_DNR);
    c.flags = 1;
    g_assert_cmphex(admin(&c, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    teardown();
}

static void test_queue_creation(void)
{
    setup(true);
    enable();
    g_assert_cmphex(create_cq(0, IOCQ, 16, 1, true), ==,
                    NVME_INVALID_QID | NVME_DNR);
    g_assert_cmphex(create_cq(NVME_QUEUES, IOCQ, 16, 1, true), ==,
                    NVME_INVALID_QID | NVME_DNR);
    g_assert_cmphex(create_cq(0xffff, IOCQ, 16, 1, true), ==,
                    NVME_INVALID_QID | NVME_DNR);
    g_assert_cmphex(create_cq(1, IOCQ, 1, 1, true), ==,
                    NVME_INVALID_QSIZE | NVME_DNR);
    g_assert_cmphex(create_cq(1, IOCQ, NVME_QUEUE_ENTRIES_MAX + 1, 1, true),
                    ==, NVME_INVALID_QSIZE | NVME_DNR);
    g_assert_cmphex(create_cq(1, IOCQ + 8, 16, 1, true), ==,
                    NVME_PRP_OFFSET_INVALID | NVME_DNR);
    g_assert_cmphex(create_cq(1, IOCQ, 16, NVME_QUEUES, true), ==,
                    NVME_INVALID_IRQ_VECTOR | NVME_DNR);
    Cmd c = { .opcode = NVME_ADM_CREATE_CQ, .prp1 = IOCQ };
    c.dw[10] = 1 | 15 << 16;
    c.dw[11] = 2;                       /* not physically contiguous */
    g_assert_cmphex(admin(&c, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    g_assert_cmphex(create_cq(1, IOCQ, 16, 1, true), ==, 0);
    g_assert_cmphex(create_cq(1, IOCQ, 16, 1, true), ==,
                    NVME_INVALID_QID | NVME_DNR);

    g_assert_cmphex(create_sq(1, IOSQ, 16, 0), ==, NVME_CQ_INVALID | NVME_DNR);
    g_assert_cmphex(create_sq(1, IOSQ, 16, 2), ==, NVME_CQ_INVALID | NVME_DNR);
    g_assert_cmphex(create_sq(1, IOSQ, 16, 0xffff), ==,
                    NVME_CQ_INVALID | NVME_DNR);
    g_assert_cmphex(create_sq(0, IOSQ, 16, 1), ==, NVME_INVALID_QID | NVME_DNR);
    g_assert_cmphex(create_sq(1, IOSQ, 1, 1), ==,
                    NVME_INVALID_QSIZE | NVME_DNR);
    g_assert_cmphex(create_sq(1, IOSQ + 0x800, 16, 1), ==,
                    NVME_PRP_OFFSET_INVALID | NVME_DNR);
    g_assert_cmphex(create_sq(1, IOSQ, 16, 1), ==, 0);
    g_assert_cmphex(create_sq(1, IOSQ, 16, 1), ==, NVME_INVALID_QID | NVME_DNR);

    Cmd del = { .opcode = NVME_ADM_DELETE_CQ };
    del.dw[10] = 1;
    g_assert_cmphex(admin(&del, NULL), ==,
                    NVME_INVALID_QUEUE_DELETION | NVME_DNR);
    del.dw[10] = 0;
    g_assert_cmphex(admin(&del, NULL), ==, NVME_INVALID_QID | NVME_DNR);
    Cmd dsq = { .opcode = NVME_ADM_DELETE_SQ };
    dsq.dw[10] = 0;
    g_assert_cmphex(admin(&dsq, NULL), ==, NVME_INVALID_QID | NVME_DNR);
    dsq.dw[10] = 5;
    g_assert_cmphex(admin(&dsq, NULL), ==, NVME_INVALID_QID | NVME_DNR);
    dsq.dw[10] = 1;
    g_assert_cmphex(admin(&dsq, NULL), ==, 0);
    del.dw[10] = 1;
    g_assert_cmphex(admin(&del, NULL), ==, 0);
    g_assert_cmphex(admin(&del, NULL), ==, NVME_INVALID_QID | NVME_DNR);
    teardown();

    /* Pin-based: only vector 0 exists */
    setup(false);
    enable();
    g_assert_cmphex(create_cq(1, IOCQ, 16, 1, true), ==,
                    NVME_INVALID_IRQ_VECTOR | NVME_DNR);
    g_assert_cmphex(create_cq(1, IOCQ, 16, 0, true), ==, 0);
    teardown();
}

static void test_read_write(void)
{
    start(true, 64);
    /* One page through PRP1 at an offset: 2 blocks in one page */
    memset(gptr(DATA), 0x5a, 4096);
    Cmd w = rw_cmd(NVME_CMD_WRITE, 10, 2, DATA + 0x200, 0);
    g_assert_cmphex(run_cmd(&ioq, &w, NULL), ==, 0);
    for (unsigned i = 0; i < 1024; i++) {
        g_assert_cmpuint(fake.disk[10 * LBS + i], ==, 0x5a);
    }
    g_assert_cmpuint(fake.disk[12 * LBS], ==, disk_pattern(12 * LBS));
    g_assert_cmpuint(fake.msix_fired[1], >=, 1);

    /* PRP1 + PRP2: 8 blocks starting 0x800 into a page */
    Cmd r = rw_cmd(NVME_CMD_READ, 100, 8, DATA + 0x10800, DATA + 0x30000);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, 0);
    for (unsigned i = 0; i < 0x800; i++) {
        g_assert_cmpuint(gptr(DATA + 0x10800)[i], ==,
                         disk_pattern(100 * LBS + i));
        g_assert_cmpuint(gptr(DATA + 0x30000)[i], ==,
                         disk_pattern(100 * LBS + 0x800 + i));
    }
    /* A PRP list: 5 pages, scattered backwards */
    g_put64(LIST, DATA + 0x40000);
    g_put64(LIST + 8, DATA + 0x3f000);
    g_put64(LIST + 16, DATA + 0x3e000);
    g_put64(LIST + 24, DATA + 0x3d000);
    r = rw_cmd(NVME_CMD_READ, 200, 40, DATA + 0x50000, LIST);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, 0);
    const uint64_t pages[] = { DATA + 0x50000, DATA + 0x40000,
                               DATA + 0x3f000, DATA + 0x3e000,
                               DATA + 0x3d000 };
    for (unsigned p = 0; p < 5; p++) {
        for (unsigned i = 0; i < 4096; i += 511) {
            g_assert_cmpuint(gptr(pages[p])[i], ==,
                             disk_pattern(200 * LBS + p * 4096 + i));
        }
    }
    /* A list starting at the last entry of a page: it chains at once to
     * a second list page; and a list that needs its chain entry */
    g_put64(LIST + 0x1ff8, LIST + 0x3000);
    g_put64(LIST + 0x3000, DATA + 0x60000);
    g_put64(LIST + 0x3008, DATA + 0x61000);
    memset(gptr(DATA + 0x70000), 0xc3, 4096);
    memset(gptr(DATA + 0x60000), 0xc4, 4096);
    memset(gptr(DATA + 0x61000), 0xc5, 4096);
    w = rw_cmd(NVME_CMD_WRITE, 300, 24, DATA + 0x70000, LIST + 0x1ff8);
    g_assert_cmphex(run_cmd(&ioq, &w, NULL), ==, 0);
    g_assert_cmpuint(fake.disk[300 * LBS], ==, 0xc3);
    g_assert_cmpuint(fake.disk[300 * LBS + 4096], ==, 0xc4);
    g_assert_cmpuint(fake.disk[300 * LBS + 8192 + 4095], ==, 0xc5);
    /* FUA reaches the disk */
    w = rw_cmd(NVME_CMD_WRITE, 0, 1, DATA, 0);
    w.dw[12] |= NVME_RW_FUA;
    g_assert_cmphex(run_cmd(&ioq, &w, NULL), ==, 0);
    DiskOp *last = g_ptr_array_index(fake.history, fake.history->len - 1);
    g_assert_cmpuint(last->flags, ==, NVME_IO_FLAG_FUA);
    /* The largest transfer (MDTS) works; one block more is refused */
    for (unsigned i = 0; i < 127; i++) {
        g_put64(LIST + i * 8, DATA + 0x100000 + i * 4096);
    }
    r = rw_cmd(NVME_CMD_READ, 0, NVME_MAX_TRANSFER / LBS, DATA, LIST);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, 0);
    g_assert_cmpuint(gptr(DATA + 0x100000 + 126 * 4096)[4095], ==,
                     disk_pattern(NVME_MAX_TRANSFER - 1));
    r = rw_cmd(NVME_CMD_READ, 0, NVME_MAX_TRANSFER / LBS + 1, DATA, LIST);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    /* Counted in the SMART log */
    Cmd log = { .opcode = NVME_ADM_GET_LOG_PAGE, .prp1 = DATA + 0x8000,
                .nsid = NVME_NSID_BROADCAST };
    log.dw[10] = NVME_LOG_SMART | 127u << 16;
    g_assert_cmphex(admin(&log, NULL), ==, 0);
    uint64_t host_writes;
    memcpy(&host_writes, gptr(DATA + 0x8000 + 80), 8);
    g_assert_cmpuint(host_writes, ==, 3);
    teardown();
}

static void test_hostile_io(void)
{
    start(true, 64);
    /* Ranges past the end of the namespace, including wrapping ones */
    uint64_t blocks = DISK_SIZE / LBS;
    Cmd r = rw_cmd(NVME_CMD_READ, blocks - 1, 2, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_LBA_RANGE | NVME_DNR);
    r = rw_cmd(NVME_CMD_READ, UINT64_MAX, 2, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_LBA_RANGE | NVME_DNR);
    r = rw_cmd(NVME_CMD_READ, blocks - 1, 1, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, 0);
    /* Namespaces that do not exist */
    r.nsid = 2;
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_INVALID_NSID | NVME_DNR);
    r.nsid = NVME_NSID_BROADCAST;
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_INVALID_NSID | NVME_DNR);
    /* Data to nowhere: a read whose buffer is wild, a write whose data
     * cannot be read, a list that is wild, list entries that are wild */
    unsigned ops_before = fake.history->len;
    Cmd w = rw_cmd(NVME_CMD_WRITE, 0, 8, WILD, DATA);
    g_assert_cmphex(run_cmd(&ioq, &w, NULL), ==, NVME_DATA_TRANSFER_ERROR);
    g_assert_cmpuint(fake.history->len, ==, ops_before);   /* not written */
    r = rw_cmd(NVME_CMD_READ, 0, 8, DATA + 0x800, WILD);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_DATA_TRANSFER_ERROR);
    r = rw_cmd(NVME_CMD_READ, 0, 8, GUEST_BASE + GUEST_SIZE - 4096, 0);
    r.dw[12] = 15;      /* 8 KiB: the second page would be PRP2 = 0 */
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_DATA_TRANSFER_ERROR);
    r = rw_cmd(NVME_CMD_READ, 0, 24, DATA, WILD);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_DATA_TRANSFER_ERROR);
    g_put64(LIST, WILD);
    g_put64(LIST + 8, UINT64_MAX & ~UINT64_C(4095));
    r = rw_cmd(NVME_CMD_READ, 0, 24, DATA, LIST);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_DATA_TRANSFER_ERROR);
    /* Offsets where pages must start: PRP2 as a page, list entries,
     * PRP1 not dword aligned, the list not qword aligned */
    r = rw_cmd(NVME_CMD_READ, 0, 16, DATA, DATA + 0x1001);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==,
                    NVME_PRP_OFFSET_INVALID | NVME_DNR);
    g_put64(LIST, DATA + 0x10);
    r = rw_cmd(NVME_CMD_READ, 0, 24, DATA, LIST);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==,
                    NVME_PRP_OFFSET_INVALID | NVME_DNR);
    r = rw_cmd(NVME_CMD_READ, 0, 1, DATA + 2, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==,
                    NVME_PRP_OFFSET_INVALID | NVME_DNR);
    r = rw_cmd(NVME_CMD_READ, 0, 24, DATA, LIST + 4);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==,
                    NVME_PRP_OFFSET_INVALID | NVME_DNR);
    /* A list page whose only entry chains to itself: a loop */
    g_put64(LIST + 0xff8, LIST + 0xff8);
    r = rw_cmd(NVME_CMD_READ, 0, 24, DATA, LIST + 0xff8);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    /* SGLs (PSDT) are not offered; unknown opcodes; fused */
    r = rw_cmd(NVME_CMD_READ, 0, 1, DATA, 0);
    r.flags = 1u << 6;
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    r.flags = 1;
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    r = rw_cmd(0x05 /* compare */, 0, 1, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==,
                    NVME_INVALID_OPCODE | NVME_DNR);
    r = rw_cmd(0xff, 0, 1, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==,
                    NVME_INVALID_OPCODE | NVME_DNR);
    /* Disk errors */
    fake.fail_next = -EIO;
    r = rw_cmd(NVME_CMD_READ, 0, 1, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, NVME_UNRECOVERED_READ);
    fake.fail_next = -EIO;
    w = rw_cmd(NVME_CMD_WRITE, 0, 1, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &w, NULL), ==, NVME_WRITE_FAULT);
    fake.fail_next = -ENOSPC;
    g_assert_cmphex(run_cmd(&ioq, &w, NULL), ==,
                    NVME_CAPACITY_EXCEEDED | NVME_DNR);
    /* Read-only namespace */
    ns1.read_only = true;
    g_assert_cmphex(run_cmd(&ioq, &w, NULL), ==,
                    NVME_NS_WRITE_PROTECTED | NVME_DNR);
    ns1.read_only = false;
    g_assert_cmphex(reg_read(NVME_REG_CSTS), ==, NVME_CSTS_RDY);
    teardown();
}

static void test_flush_zeroes_dsm(void)
{
    start(true, 64);
    Cmd f = { .opcode = NVME_CMD_FLUSH, .nsid = 1 };
    g_assert_cmphex(run_cmd(&ioq, &f, NULL), ==, 0);
    DiskOp *last = g_ptr_array_index(fake.history, fake.history->len - 1);
    g_assert_cmpint(last->kind, ==, NVME_IO_FLUSH);
    f.nsid = NVME_NSID_BROADCAST;
    unsigned before = fake.history->len;
    g_assert_cmphex(run_cmd(&ioq, &f, NULL), ==, 0);
    g_assert_cmpuint(fake.history->len, ==, before + 1);
    f.nsid = 3;
    g_assert_cmphex(run_cmd(&ioq, &f, NULL), ==, NVME_INVALID_NSID | NVME_DNR);

    Cmd z = rw_cmd(NVME_CMD_WRITE_ZEROES, 20, 4, 0, 0);
    z.dw[12] |= NVME_WZ_DEAC;
    g_assert_cmphex(run_cmd(&ioq, &z, NULL), ==, 0);
    last = g_ptr_array_index(fake.history, fake.history->len - 1);
    g_assert_cmpint(last->kind, ==, NVME_IO_WRITE_ZEROES);
    g_assert_cmpuint(last->offset, ==, 20 * LBS);
    g_assert_cmpuint(last->bytes, ==, 4 * LBS);
    g_assert_cmpuint(last->flags, ==, NVME_IO_FLAG_MAY_UNMAP);
    g_assert_cmpuint(fake.disk[20 * LBS + 7], ==, 0);
    g_assert_cmpuint(fake.disk[24 * LBS + 7], ==, disk_pattern(24 * LBS + 7));
    z = rw_cmd(NVME_CMD_WRITE_ZEROES, DISK_SIZE / LBS - 2, 4, 0, 0);
    g_assert_cmphex(run_cmd(&ioq, &z, NULL), ==, NVME_LBA_RANGE | NVME_DNR);

    /* Dataset Management: three ranges (one empty) deallocated */
    uint8_t ranges[48] = { 0 };
    uint32_t len0 = 8, len2 = 16;
    uint64_t lba0 = 100, lba2 = 4000;
    memcpy(ranges + 4, &len0, 4);
    memcpy(ranges + 8, &lba0, 8);
    memcpy(ranges + 32 + 4, &len2, 4);
    memcpy(ranges + 32 + 8, &lba2, 8);
    memcpy(gptr(DATA), ranges, sizeof(ranges));
    Cmd d = { .opcode = NVME_CMD_DSM, .nsid = 1, .prp1 = DATA };
    d.dw[10] = 2;
    d.dw[11] = NVME_DSM_AD;
    before = fake.history->len;
    g_assert_cmphex(run_cmd(&ioq, &d, NULL), ==, 0);
    g_assert_cmpuint(fake.history->len, ==, before + 2);
    DiskOp *a = g_ptr_array_index(fake.history, before);
    DiskOp *b = g_ptr_array_index(fake.history, before + 1);
    g_assert_cmpint(a->kind, ==, NVME_IO_DISCARD);
    g_assert_cmpuint(a->offset, ==, 100 * LBS);
    g_assert_cmpuint(a->bytes, ==, 8 * LBS);
    g_assert_cmpuint(b->offset, ==, 4000 * LBS);
    g_assert_cmpuint(b->bytes, ==, 16 * LBS);
    /* One range past the end: nothing is discarded */
    lba2 = DISK_SIZE / LBS - 8;
    memcpy(gptr(DATA + 32 + 8), &lba2, 8);
    before = fake.history->len;
    g_assert_cmphex(run_cmd(&ioq, &d, NULL), ==, NVME_LBA_RANGE | NVME_DNR);
    g_assert_cmpuint(fake.history->len, ==, before);
    /* Ranges nowhere; 256 ranges across two pages; hints only */
    d.prp1 = WILD;
    g_assert_cmphex(run_cmd(&ioq, &d, NULL), ==, NVME_DATA_TRANSFER_ERROR);
    memset(gptr(DATA + 0x10000), 0, 8192);
    d.prp1 = DATA + 0x10800;
    d.prp2 = DATA + 0x20000;
    memset(gptr(DATA + 0x20000), 0, 4096);
    d.dw[10] = 255;
    g_assert_cmphex(run_cmd(&ioq, &d, NULL), ==, 0);
    d.dw[11] = 0;
    d.prp1 = WILD;
    g_assert_cmphex(run_cmd(&ioq, &d, NULL), ==, 0);
    /* A failing discard fails the command */
    d.dw[11] = NVME_DSM_AD;
    d.dw[10] = 0;
    d.prp1 = DATA;
    fake.fail_next = -EIO;
    g_assert_cmphex(run_cmd(&ioq, &d, NULL), ==, NVME_WRITE_FAULT);
    teardown();
}

static void test_features_logs(void)
{
    setup(true);
    enable();
    uint32_t res = 0;
    Cmd c = { .opcode = NVME_ADM_SET_FEATURES };
    c.dw[10] = NVME_FEAT_NUM_QUEUES;
    c.dw[11] = 3 | 3 << 16;
    g_assert_cmphex(admin(&c, &res), ==, 0);
    g_assert_cmphex(res, ==, (NVME_IOQ_MAX - 1) | (NVME_IOQ_MAX - 1) << 16);
    c.dw[11] = 0xffff;
    g_assert_cmphex(admin(&c, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    c.dw[10] = NVME_FEAT_VOLATILE_WC;
    c.dw[11] = 0;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    g_assert_cmpuint(fake.wce_calls, ==, 1);
    g_assert_false(fake.wce);
    Cmd g = { .opcode = NVME_ADM_GET_FEATURES };
    g.dw[10] = NVME_FEAT_VOLATILE_WC;
    res = 7;
    g_assert_cmphex(admin(&g, &res), ==, 0);
    g_assert_cmpuint(res, ==, 0);
    c.dw[10] = NVME_FEAT_ASYNC_EVENT_CONFIG;
    c.dw[11] = 0x1ff;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    g.dw[10] = NVME_FEAT_ASYNC_EVENT_CONFIG;
    g_assert_cmphex(admin(&g, &res), ==, 0);
    g_assert_cmphex(res, ==, 0x1ff);
    g.dw[10] = 0x7e;
    g_assert_cmphex(admin(&g, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    c.dw[10] = 0x7e;
    g_assert_cmphex(admin(&c, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    c.dw[10] = NVME_FEAT_ARBITRATION | 1u << 31;    /* save */
    g_assert_cmphex(admin(&c, NULL), ==, NVME_FEAT_NOT_SAVEABLE | NVME_DNR);
    g.dw[10] = NVME_FEAT_IRQ_VECTOR_CONFIG;
    g.dw[11] = 0xffff;
    g_assert_cmphex(admin(&g, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);

    Cmd l = { .opcode = NVME_ADM_GET_LOG_PAGE, .prp1 = DATA };
    l.dw[10] = NVME_LOG_FW_SLOT | 127u << 16;
    g_assert_cmphex(admin(&l, NULL), ==, 0);
    g_assert_cmpuint(gptr(DATA)[0], ==, 1);
    g_assert_cmpmem(gptr(DATA + 8), 3, "1.0", 3);
    /* With an offset; past the end; unknown pages */
    l.dw[12] = 8;
    l.dw[10] = NVME_LOG_FW_SLOT | 1u << 16;
    g_assert_cmphex(admin(&l, NULL), ==, 0);
    g_assert_cmpmem(gptr(DATA), 3, "1.0", 3);
    l.dw[12] = 1024;
    g_assert_cmphex(admin(&l, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    l.dw[12] = 0;
    l.dw[10] = 0x7f | 127u << 16;
    g_assert_cmphex(admin(&l, NULL), ==, NVME_INVALID_LOG_PAGE | NVME_DNR);
    l.dw[10] = NVME_LOG_ERROR | 15u << 16;
    g_assert_cmphex(admin(&l, NULL), ==, 0);
    /* Huge lengths: above MDTS refused, never allocated */
    l.dw[10] = NVME_LOG_ERROR | 0xffffu << 16;
    l.dw[11] = 0xffff;
    g_assert_cmphex(admin(&l, NULL), ==, NVME_INVALID_FIELD | NVME_DNR);
    /* A resize: a namespace attribute notice, whose log page says
     * "rescan everything" */
    Cmd aer = { .opcode = NVME_ADM_ASYNC_EVENT };
    uint16_t aer_cid = queue_cmd(&adminq, &aer);
    sq_doorbell(0, adminq.sq_tail);
    nvme_ctrl_ns_resized(&ctrl, 1, DISK_SIZE / 2);
    Cqe ev;
    g_assert_true(pop_cqe(&adminq, &ev));
    g_assert_cmpuint(ev.cid, ==, aer_cid);
    g_assert_cmphex(ev.result, ==, NVME_AER_TYPE_NOTICE |
                    NVME_LOG_CHANGED_NS << 16);
    l.dw[10] = NVME_LOG_CHANGED_NS | 1023u << 16;
    l.dw[11] = 0;
    g_assert_cmphex(admin(&l, NULL), ==, 0);
    g_assert_cmphex(gptr(DATA)[0] & gptr(DATA)[3], ==, 0xff);
    Cmd idn = { .opcode = NVME_ADM_IDENTIFY, .prp1 = DATA, .nsid = 1 };
    g_assert_cmphex(admin(&idn, NULL), ==, 0);
    uint64_t nsze;
    memcpy(&nsze, gptr(DATA), 8);
    g_assert_cmpuint(nsze, ==, DISK_SIZE / 2 / LBS);
    Cmd ab = { .opcode = NVME_ADM_ABORT };
    g_assert_cmphex(admin(&ab, &res), ==, 0);
    g_assert_cmpuint(res & 1, ==, 1);
    teardown();
}

static void test_doorbells_and_events(void)
{
    start(true, 16);
    /* Hold the most Asynchronous Event Requests; one more is refused */
    Cmd aer = { .opcode = NVME_ADM_ASYNC_EVENT };
    uint16_t held[NVME_AER_MAX];
    for (unsigned i = 0; i < NVME_AER_MAX; i++) {
        held[i] = queue_cmd(&adminq, &aer);
    }
    sq_doorbell(0, adminq.sq_tail);
    Cqe e;
    g_assert_false(peek_cqe(&adminq, &e));
    g_assert_cmphex(admin(&aer, NULL), ==, NVME_AER_LIMIT_EXCEEDED | NVME_DNR);

    /* A doorbell value past the queue: ignored, reported */
    unsigned errors = fake.guest_errors;
    sq_doorbell(1, 16);
    g_assert_cmpuint(fake.guest_errors, >, errors);
    g_assert_true(pop_cqe(&adminq, &e));
    g_assert_cmphex(e.status, ==, 0);
    g_assert_cmphex(e.result, ==, NVME_AER_TYPE_ERROR |
                    NVME_AER_INFO_ERR_INVALID_DB_VALUE << 8 |
                    NVME_LOG_ERROR << 16);
    g_assert_true(e.cid == held[0] || e.cid == held[NVME_AER_MAX - 1]);
    /* The same type is masked until its log page is read */
    sq_doorbell(7, 1);                  /* no such queue */
    g_assert_false(peek_cqe(&adminq, &e));
    Cmd l = { .opcode = NVME_ADM_GET_LOG_PAGE, .prp1 = DATA };
    l.dw[10] = NVME_LOG_ERROR | 15u << 16;
    uint16_t cid = queue_cmd(&adminq, &l);
    sq_doorbell(0, adminq.sq_tail);
    /* Both the log page and the unmasked event complete, in either
     * order */
    Cqe two[2];
    g_assert_true(pop_cqe(&adminq, &two[0]));
    g_assert_true(pop_cqe(&adminq, &two[1]));
    unsigned ev = two[0].cid == cid ? 1 : 0;
    g_assert_cmpuint(two[1 - ev].cid, ==, cid);
    g_assert_cmphex(two[ev].result & 0xffff, ==, NVME_AER_TYPE_ERROR |
                    NVME_AER_INFO_ERR_INVALID_DB_REG << 8);
    /* Doorbells nowhere, of the wrong size, misaligned, CQ head beyond */
    nvme_ctrl_write(&ctrl, NVME_REG_DOORBELLS + NVME_QUEUES * 8 + 0x100, 1,
                    4);
    nvme_ctrl_write(&ctrl, 0x1ffc, 1, 4);
    nvme_ctrl_write(&ctrl, NVME_REG_DOORBELLS + 8, 1, 2);
    nvme_ctrl_write(&ctrl, NVME_REG_DOORBELLS + 9, 1, 4);
    cq_doorbell(1, 0xffffffff);
    g_assert_cmphex(reg_read(NVME_REG_CSTS), ==, NVME_CSTS_RDY);
    /* The I/O queue still works */
    Cmd r = rw_cmd(NVME_CMD_READ, 0, 1, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, 0);
    teardown();
}

static void test_fatal(void)
{
    /* The admin submission queue nowhere */
    setup(true);
    reg_write(NVME_REG_AQA, 3 | 3 << 16);
    nvme_ctrl_write(&ctrl, NVME_REG_ASQ, WILD, 8);
    nvme_ctrl_write(&ctrl, NVME_REG_ACQ, ACQ, 8);
    reg_write(NVME_REG_CC, NVME_CC_EN | 6u << 16 | 4u << 20);
    sq_doorbell(0, 1);
    g_assert_cmphex(reg_read(NVME_REG_CSTS), ==,
                    NVME_CSTS_RDY | NVME_CSTS_CFS);
    sq_doorbell(0, 2);                  /* ignored now */
    /* A reset brings it back */
    reg_write(NVME_REG_CC, 0);
    g_assert_cmphex(reg_read(NVME_REG_CSTS), ==, 0);
    enable();
    Cmd c = { .opcode = NVME_ADM_IDENTIFY, .prp1 = DATA };
    c.dw[10] = NVME_CNS_CTRL;
    g_assert_cmphex(admin(&c, NULL), ==, 0);
    /* An I/O completion queue at the very end of guest memory, so its
     * second entry is nowhere */
    g_assert_cmphex(create_cq(1, GUEST_BASE + GUEST_SIZE - 4096, 512, 1,
                              true), ==, 0);
    g_assert_cmphex(create_sq(1, IOSQ, 16, 1), ==, 0);
    ioq = (Q){ .id = 1, .sq = IOSQ, .cq = GUEST_BASE + GUEST_SIZE - 4096,
               .sq_size = 16, .cq_size = 512, .phase = true };
    Cmd r = rw_cmd(NVME_CMD_READ, 0, 1, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, 0);
    for (unsigned i = 0; i < 260; i++) {
        queue_cmd(&ioq, &r);
        sq_doorbell(1, ioq.sq_tail);
        run_disk();
        if (reg_read(NVME_REG_CSTS) & NVME_CSTS_CFS) {
            break;
        }
        Cqe e;
        g_assert_true(pop_cqe(&ioq, &e));
    }
    g_assert_cmphex(reg_read(NVME_REG_CSTS), ==,
                    NVME_CSTS_RDY | NVME_CSTS_CFS);
    teardown();
}

static void test_cq_full(void)
{
    start(true, 4);                     /* 3 usable completion slots */
    Cmd r = rw_cmd(NVME_CMD_READ, 0, 1, DATA, 0);
    for (unsigned i = 0; i < 3; i++) {
        queue_cmd(&ioq, &r);
    }
    sq_doorbell(1, ioq.sq_tail);
    run_disk();
    for (unsigned i = 0; i < 3; i++) {
        queue_cmd(&ioq, &r);
    }
    sq_doorbell(1, ioq.sq_tail);
    run_disk();
    /* 6 commands, 3 slots: three posted, the rest wait; the SQ (4
     * entries) holds no more than its size outstanding */
    Cqe e;
    unsigned got = 0;
    while (peek_cqe(&ioq, &e) && got < 4) {
        if (++ioq.cq_head == ioq.cq_size) {
            ioq.cq_head = 0;
            ioq.phase = !ioq.phase;
        }
        got++;
    }
    g_assert_cmpuint(got, ==, 3);
    /* The host consumes them: the others are posted */
    cq_doorbell(1, ioq.cq_head);
    run_disk();
    while (pop_cqe(&ioq, &e)) {
        g_assert_cmphex(e.status, ==, 0);
        got++;
        run_disk();
    }
    g_assert_cmpuint(got, ==, 6);
    teardown();
}

static void test_reset_in_flight(void)
{
    start(true, 16);
    memset(gptr(DATA), 0xee, 8192);
    Cmd r = rw_cmd(NVME_CMD_READ, 0, 8, DATA, DATA + 0x1000);
    queue_cmd(&ioq, &r);
    queue_cmd(&ioq, &r);
    sq_doorbell(1, ioq.sq_tail);
    g_assert_cmpuint(fake.ops.length, ==, 2);
    g_assert_cmpuint(ctrl.inflight_reqs, ==, 2);
    /* Reset with both on the disk: their completions must not write
     * the data or the completion queue */
    reg_write(NVME_REG_CC, 0);
    uint8_t before[16];
    memcpy(before, gptr(IOCQ), 16);
    run_disk();
    g_assert_cmpuint(gptr(DATA)[0], ==, 0xee);
    g_assert_cmpuint(gptr(DATA + 0x1000)[0], ==, 0xee);
    g_assert_cmpmem(gptr(IOCQ), 16, before, 16);
    g_assert_cmpuint(ctrl.inflight_reqs, ==, 0);
    teardown();

    /* Deleting the SQ with a read on the disk */
    start(true, 16);
    memset(gptr(DATA), 0xee, 8192);
    queue_cmd(&ioq, &r);
    sq_doorbell(1, ioq.sq_tail);
    Cmd d = { .opcode = NVME_ADM_DELETE_SQ };
    d.dw[10] = 1;
    g_assert_cmphex(admin(&d, NULL), ==, 0);
    run_disk();
    g_assert_cmpuint(gptr(DATA)[0], ==, 0xee);
    Cqe e;
    g_assert_false(peek_cqe(&ioq, &e));
    /* The queue may be created again and used */
    g_assert_cmphex(create_sq(1, IOSQ, 16, 1), ==, 0);
    ioq.sq_tail = 0;
    r = rw_cmd(NVME_CMD_READ, 3, 1, DATA, 0);
    g_assert_cmphex(run_cmd(&ioq, &r, NULL), ==, 0);
    g_assert_cmpuint(gptr(DATA)[0], ==, disk_pattern(3 * LBS));
    /* Unplug with requests in flight (cleanup, then the disk drains) */
    queue_cmd(&ioq, &r);
    sq_doorbell(1, ioq.sq_tail);
    teardown();
}

static void test_inflight_bound(void)
{
    start(true, 256);
    for (unsigned i = 0; i < 127; i++) {
        g_put64(LIST + i * 8, DATA + (i + 1) * 4096);
    }
    Cmd w = rw_cmd(NVME_CMD_WRITE, 0, NVME_MAX_TRANSFER / LBS, DATA, LIST);
    unsigned n = NVME_INFLIGHT_BYTES / NVME_MAX_TRANSFER + 10;
    for (unsigned i = 0; i < n; i++) {
        queue_cmd(&ioq, &w);
    }
    sq_doorbell(1, ioq.sq_tail);
    g_assert_cmpuint(fake.ops.length, ==,
                     NVME_INFLIGHT_BYTES / NVME_MAX_TRANSFER);
    g_assert_cmpuint(ctrl.inflight_bytes, <=, NVME_INFLIGHT_BYTES);
    /* Completions let the rest go */
    unsigned done = 0;
    while (done < n) {
        run_disk();
        Cqe e;
        while (pop_cqe(&ioq, &e)) {
            g_assert_cmphex(e.status, ==, 0);
            done++;
        }
        g_assert_cmpuint(ctrl.inflight_bytes, <=, NVME_INFLIGHT_BYTES);
        if (!fake.ops.length && done < n) {
            g_assert_not_reached();
        }
    }
    teardown();
}

static void test_pin_interrupt(void)
{
    start(false, 16);
    g_assert_false(fake.pin);
    Cmd r = rw_cmd(NVME_CMD_READ, 0, 1, DATA, 0);
    queue_cmd(&ioq, &r);
    sq_doorbell(1, ioq.sq_tail);
    g_assert_false(fake.pin);           /* still on the disk */
    run_disk();
    g_assert_true(fake.pin);
    /* Masked, unmasked */
    reg_write(NVME_REG_INTMS, 1);
    g_assert_false(fake.pin);
    g_assert_cmphex(reg_read(NVME_REG_INTMS), ==, 1);
    reg_write(NVME_REG_INTMC, 1);
    g_assert_true(fake.pin);
    Cqe e;
    g_assert_true(pop_cqe(&ioq, &e));
    g_assert_false(fake.pin);
    /* Switching to MSI-X lowers the line */
    queue_cmd(&ioq, &r);
    sq_doorbell(1, ioq.sq_tail);
    run_disk();
    g_assert_true(fake.pin);
    nvme_ctrl_set_msix(&ctrl, true);
    g_assert_false(fake.pin);
    teardown();
}

static void test_shutdown(void)
{
    start(true, 16);
    reg_write(NVME_REG_CC, reg_read(NVME_REG_CC) | 1u << 14);
    g_assert_cmphex(reg_read(NVME_REG_CSTS) & NVME_CSTS_SHST_MASK, ==,
                    NVME_CSTS_SHST_OCCURRING);
    g_assert_cmpuint(fake.ops.length, ==, 1);
    run_disk();
    g_assert_cmphex(reg_read(NVME_REG_CSTS) & NVME_CSTS_SHST_MASK, ==,
                    NVME_CSTS_SHST_COMPLETE);
    /* A reset during a shutdown's flush: the flush ends quietly */
    reg_write(NVME_REG_CC, 0);
    enable();
    reg_write(NVME_REG_CC, reg_read(NVME_REG_CC) | 2u << 14);
    reg_write(NVME_REG_CC, 0);
    run_disk();
    g_assert_cmphex(reg_read(NVME_REG_CSTS), ==, 0);
    teardown();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fake.mem = g_malloc0(GUEST_SIZE);
    fake.disk = g_malloc0(DISK_SIZE);
    fake.history = g_ptr_array_new_with_free_func(g_free);
    g_queue_init(&fake.ops);
    g_test_add_func("/nvme/registers", test_registers);
    g_test_add_func("/nvme/identify", test_identify);
    g_test_add_func("/nvme/queue-creation", test_queue_creation);
    g_test_add_func("/nvme/read-write", test_read_write);
    g_test_add_func("/nvme/hostile-io", test_hostile_io);
    g_test_add_func("/nvme/flush-zeroes-dsm", test_flush_zeroes_dsm);
    g_test_add_func("/nvme/features-logs", test_features_logs);
    g_test_add_func("/nvme/doorbells-events", test_doorbells_and_events);
    g_test_add_func("/nvme/fatal", test_fatal);
    g_test_add_func("/nvme/cq-full", test_cq_full);
    g_test_add_func("/nvme/reset-in-flight", test_reset_in_flight);
    g_test_add_func("/nvme/inflight-bound", test_inflight_bound);
    g_test_add_func("/nvme/pin-interrupt", test_pin_interrupt);
    g_test_add_func("/nvme/shutdown", test_shutdown);
    int ret = g_test_run();
    g_ptr_array_free(fake.history, true);
    g_free(fake.mem);
    g_free(fake.disk);
    return ret;
}
