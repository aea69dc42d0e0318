/*
 * nvme-ctrl.h - the NVMe controller without its transport: registers,
 * queues, admin and NVM commands.  The PCI glue (nvme-pci.c) and the unit
 * test (tests/test-nvme-core.c) give it DMA, interrupts and disks through
 * NvmeHostOps, so the same code runs on a real bus and on a fake memory.
 *
 * Threads: every call here is made with the big lock held (an MMIO
 * handler, a bottom half, realize); the host's I/O completions come back
 * the same way.
 *
 * Everything the guest writes is hostile: a bad queue id, size, PRP or
 * doorbell value becomes an NVMe status, an asynchronous error event or,
 * when the controller can no longer answer (its queues are not in
 * memory), the Controller Fatal Status bit.  The core never touches
 * memory except through the host's DMA calls.
 */
#ifndef DEV_NVME_CTRL_H
#define DEV_NVME_CTRL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "nvme-spec.h"

/* I/O queue pairs beyond the admin queue (QEMU's max_ioqpairs default). */
#define NVME_IOQ_MAX            64
#define NVME_QUEUES             (NVME_IOQ_MAX + 1)
/* Entries per queue at most (CAP.MQES + 1). */
#define NVME_QUEUE_ENTRIES_MAX  2048
/* Namespace ids 1..NVME_NS_MAX (Identify's NN). */
#define NVME_NS_MAX             256
/* Largest data transfer: 2^MDTS minimum pages (4 KiB) = 512 KiB. */
#define NVME_MDTS               7
#define NVME_MAX_TRANSFER       ((size_t)4096 << NVME_MDTS)
/* Largest range one Dataset Management range may deallocate, in bytes
 * (DMRSL, reported in blocks): the block layer's largest request, as
 * QEMU reports it. */
#define NVME_DMRSL_BYTES        UINT32_C(0x7ffffe00)
/* Async Event Requests held at most (Identify AERL + 1). */
#define NVME_AER_MAX            4
/* Bounds on work in flight on the disks: beyond them no command is
 * fetched until some complete (a guest cannot make the host allocate
 * without limit). */
#define NVME_INFLIGHT_BYTES     (64u << 20)
#define NVME_INFLIGHT_REQS      4096
/* Bytes of the register space the controller decodes: registers and the
 * doorbells of every queue (stride 4). */
#define NVME_REG_SIZE           (NVME_REG_DOORBELLS + NVME_QUEUES * 8)

typedef struct NvmeCtrl NvmeCtrl;
typedef struct NvmeRequest NvmeRequest;

/* What a namespace asks the host to do on its disk. */
typedef enum NvmeIoKind {
    NVME_IO_READ,
    NVME_IO_WRITE,
    NVME_IO_FLUSH,
    NVME_IO_DISCARD,
    NVME_IO_WRITE_ZEROES,
} NvmeIoKind;

typedef void (*NvmeIoDone)(void *opaque, int ret);

/*
 * The transport and the disks.  DMA calls return false when any part of
 * the range could not be reached (no RAM there, bus mastering off); the
 * core never retries.  io() is asynchronous: done(opaque, 0 or -errno)
 * runs later, never inside io() itself; the iovec array may be freed
 * when io() returns, the buffers it points at stay valid until done.
 * flags: 1 = FUA for writes, 2 = may unmap for write-zeroes.
 */
typedef struct NvmeHostOps {
    bool (*dma_read)(void *opaque, uint64_t addr, void *buf, size_t len);
    bool (*dma_write)(void *opaque, uint64_t addr, const void *buf,
                      size_t len);
    /* Optional: the host address of guest RAM [addr, addr+len) for the
     * disk to read (for_write false) or write directly, with *token to
     * give back to dma_unmap once the disk is done; NULL when the range
     * is not plain RAM (or bus mastering is off): the core then copies
     * through a buffer with dma_read/dma_write. */
    void *(*dma_map)(void *opaque, uint64_t addr, size_t len, bool for_write,
                     void **token);
    void (*dma_unmap)(void *opaque, void *token);
    /* MSI-X (msix on): fire `vector`.  Pin-based: set the one interrupt
     * line to `level`. */
    void (*irq)(void *opaque, unsigned vector, bool level);
    void (*io)(void *opaque, void *disk, NvmeIoKind kind, uint64_t offset,
               uint64_t bytes, const struct iovec *iov, int niov,
               unsigned flags, NvmeIoDone done, void *done_opaque);
    /* The guest's Volatile Write Cache feature (may be NULL). */
    void (*set_write_cache)(void *opaque, void *disk, bool enabled);
    /* A guest error for -d guest_errors (may be NULL). */
    void (*guest_error)(void *opaque, const char *msg);
} NvmeHostOps;

#define NVME_IO_FLAG_FUA        1u
#define NVME_IO_FLAG_MAY_UNMAP  2u

typedef struct NvmeNamespace {
    void *disk;                 /* the host's handle, for io() */
    uint64_t size;              /* bytes */
    uint32_t lbs;               /* logical block size, a power of two */
    unsigned lbs_log2;
    bool read_only;
    bool write_cache;           /* for Get Features: Volatile Write Cache */
    NvmeCtrl *ctrl;             /* the controller it is attached to, or
                                 * NULL (set by nvme_ctrl_attach_ns and
                                 * cleared by nvme_ctrl_cleanup) */
    /* Bookkeeping for the SMART log */
    uint64_t units_read, units_written, reads, writes;
} NvmeNamespace;

typedef struct NvmeCQ {
    bool exists;
    uint16_t id;
    uint64_t base;
    uint32_t size;
    uint32_t head, tail;
    bool phase;
    bool ien;
    uint16_t vector;
    unsigned sq_refs;           /* SQs that post here */
    GQueue waiting;             /* requests done, waiting for a free slot */
} NvmeCQ;

typedef struct NvmeSQ {
    bool exists;
    uint16_t id;
    uint16_t cqid;
    uint64_t base;
    uint32_t size;
    uint32_t head, tail;
    unsigned outstanding;       /* fetched, not yet posted; <= size */
    GList *active;              /* its requests in flight on a disk */
} NvmeSQ;

struct NvmeCtrl {
    const NvmeHostOps *ops;
    void *opaque;

    /* Identity */
    char serial[21];
    char model[41];
    char firmware[9];
    char subnqn[256];
    uint16_t vendor_id, subsys_vendor_id;
    unsigned msix_vectors;      /* 1.. interrupt vectors the device has */

    /* Registers */
    uint64_t cap;
    uint32_t cc, csts, aqa, intms;
    uint64_t asq, acq;
    uint32_t page_size;
    bool msix;                  /* the transport enabled MSI-X */
    bool irq_level;             /* pin-based: what we told the host */

    NvmeSQ sq[NVME_QUEUES];
    NvmeCQ cq[NVME_QUEUES];
    NvmeNamespace *ns[NVME_NS_MAX + 1];     /* index by nsid; [0] unused */

    /* Features */
    uint32_t feat_arbitration, feat_power, feat_temp_threshold;
    uint32_t feat_error_recovery, feat_irq_coalescing, feat_aec;
    uint32_t feat_write_atomicity;
    uint32_t feat_irq_vector_config[NVME_QUEUES];

    /* Asynchronous events: requests held, events not yet reported, and
     * the event types reported but not yet cleared by reading their log
     * page (masked until then). */
    uint16_t aer_cid[NVME_AER_MAX];
    unsigned aer_held;
    uint32_t aer_pending[8];
    unsigned n_aer_pending;
    uint8_t aer_masked;         /* bit per event type */
    uint64_t error_count;

    /* Work in flight */
    uint64_t inflight_bytes;
    unsigned inflight_reqs;
    bool starved;               /* fetching stopped at a bound */
    bool in_process;            /* guards nvme_kick against recursion */
    bool kick_again;            /* a completion came during it */
    void *shutdown_flush;       /* the flush of a shutdown in progress */
};

/* ---- nvme-ctrl.c ----------------------------------------------------- */

/* Set up the controller's identity and registers (fill `serial`, `model`,
 * `firmware`, `subnqn`, vendor ids and msix_vectors before or after; they
 * are read at Identify time). */
void nvme_ctrl_init(NvmeCtrl *n, const NvmeHostOps *ops, void *opaque);
/* The disk becomes namespace `nsid` (1..NVME_NS_MAX); false when taken. */
bool nvme_ctrl_attach_ns(NvmeCtrl *n, uint32_t nsid, NvmeNamespace *ns);
/* Forget everything in flight and the queues (controller reset, CC.EN
 * 0, the machine's reset).  Requests the disks still hold are orphaned:
 * their completions free them without touching the guest. */
void nvme_ctrl_reset(NvmeCtrl *n);
/* Before freeing: reset (requests in flight become orphans) and detach
 * every namespace; then the host drains its disks (orphans free
 * themselves). */
void nvme_ctrl_cleanup(NvmeCtrl *n);

/* Register space: size 4 or 8 (8 only for CAP, ASQ, ACQ; otherwise
 * split by the caller).  Accesses outside the decoded registers read 0
 * and are ignored. */
uint64_t nvme_ctrl_read(NvmeCtrl *n, uint64_t addr, unsigned size);
void nvme_ctrl_write(NvmeCtrl *n, uint64_t addr, uint64_t val,
                     unsigned size);

/* The transport switched MSI-X on or off. */
void nvme_ctrl_set_msix(NvmeCtrl *n, bool on);
/* The namespace's disk changed size (block_resize). */
void nvme_ctrl_ns_resized(NvmeCtrl *n, uint32_t nsid, uint64_t size);

/* What the other files of the core share. */
void nvme_guest_error(NvmeCtrl *n, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void nvme_raise_event(NvmeCtrl *n, unsigned type, unsigned info,
                      unsigned log_page);
void nvme_kick(NvmeCtrl *n);
/* Queues, after the admin command checked every field. */
void nvme_sq_create(NvmeCtrl *n, uint16_t id, uint16_t cqid, uint64_t base,
                    uint32_t size);
void nvme_cq_create(NvmeCtrl *n, uint16_t id, uint64_t base, uint32_t size,
                    uint16_t vector, bool ien);
void nvme_sq_delete(NvmeCtrl *n, uint16_t id);
void nvme_cq_delete(NvmeCtrl *n, uint16_t id);

/* ---- requests (shared by nvme-admin.c and nvme-io.c) --------------- */

/* A command fetched from a submission queue, until its completion is
 * posted.  Its SQ pointer goes NULL when the queue or the controller is
 * reset under it (an orphan: completing it touches nothing). */
struct NvmeRequest {
    NvmeCtrl *n;
    NvmeSQ *sq;
    uint8_t cmd[NVME_SQE_SIZE];
    uint16_t cid;
    uint32_t nsid;
    uint32_t result;            /* completion DW0 */
    uint16_t status;
    /* Data: a host buffer and where it goes in the guest */
    uint8_t *buf;
    size_t len;
    struct iovec *segs;         /* guest ranges: iov_base holds the address */
    unsigned nsegs;
    /* Or, when every range is RAM the host could map: the ranges' host
     * addresses (no buffer, no copy) and the mappings to give back. */
    struct iovec *host;
    void **maps;
    unsigned nmaps;
    /* Several disk operations for one command (DSM, broadcast flush) */
    unsigned pending_ops;
    int first_error;
    NvmeNamespace *ns;
    NvmeIoKind kind;
    GList link;                 /* in sq->active while on a disk */
};

/* Post req's completion (or queue it until its CQ has room) and free it.
 * Orphans are just freed. */
void nvme_req_complete(NvmeRequest *req);
/* Little-endian command dwords */
uint32_t nvme_cmd_dw(const NvmeRequest *req, unsigned dw);
uint64_t nvme_cmd_qw(const NvmeRequest *req, unsigned dw);
/* The request goes to the disk: counted in flight until done. */
void nvme_req_start_io(NvmeRequest *req);

/* ---- nvme-prp.c -------------------------------------------------------- */

/*
 * Walk PRP1/PRP2 for `len` bytes with pages of `page_size` bytes into
 * guest ranges (*segs, *nsegs; adjacent ones merged), reading PRP lists
 * through the host's DMA.  Returns NVME_SUCCESS or the status to answer
 * (PRP Offset Invalid, Data Transfer Error, Invalid Field).
 */
uint16_t nvme_prp_map(NvmeCtrl *n, uint64_t prp1, uint64_t prp2, size_t len,
                      struct iovec **segs, unsigned *nsegs);
/* Move data between req->buf and the guest ranges. */
uint16_t nvme_req_dma_to_guest(NvmeRequest *req, const void *buf,
                               size_t len);
uint16_t nvme_req_dma_from_guest(NvmeRequest *req, void *buf, size_t len);
/* Map the command's PRPs for `len` bytes into req->segs. */
uint16_t nvme_req_map_prp(NvmeRequest *req, size_t len);

/* ---- nvme-admin.c ----------------------------------------------------- */

/* Run an admin command: returns true when complete (req->status set),
 * false when it completes later (held AER, flush on the disks). */
bool nvme_admin_exec(NvmeRequest *req);
/* Complete held AERs with pending events. */
void nvme_aer_deliver(NvmeCtrl *n);

/* ---- nvme-io.c -------------------------------------------------------- */

/* Run an NVM command: true when complete now, false when a disk has it. */
bool nvme_io_exec(NvmeRequest *req);
/* Flush every namespace; done(opaque) when all answered.  For shutdown
 * notifications. */
void nvme_flush_all(NvmeCtrl *n, void (*done)(NvmeCtrl *n));
/* Reset: the flush in progress finishes without telling anyone. */
void nvme_flush_all_forget(NvmeCtrl *n);

#endif
