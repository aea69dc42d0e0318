/*
 * virtio.h - what the files of the dev-virtio plugin share: the split
 * virtqueue walker (virtqueue.c), the virtio-mmio transport every device
 * derives from (virtio-mmio.c) and its device-tree node (virtio-fdt.c).
 *
 * Terms follow the OASIS VIRTIO 1.2 specification: the guest's driver
 * hands buffers to the device through a descriptor table, an available
 * ring and a used ring; each buffer is a chain of descriptors, the
 * device-readable ones ("out") first, then the device-writable ones
 * ("in").  Only the modern interface is implemented: virtio-mmio
 * version 2, VIRTIO_F_VERSION_1 required, split queues.
 */
#ifndef DEV_VIRTIO_VIRTIO_H
#define DEV_VIRTIO_VIRTIO_H

#include <tessera/tessera.h>

/* Device status bits (spec 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE  0x01
#define VIRTIO_STATUS_DRIVER       0x02
#define VIRTIO_STATUS_DRIVER_OK    0x04
#define VIRTIO_STATUS_FEATURES_OK  0x08
#define VIRTIO_STATUS_NEEDS_RESET  0x40
#define VIRTIO_STATUS_FAILED       0x80

/* Transport feature bits (spec 6). */
#define VIRTIO_F_INDIRECT_DESC     28
#define VIRTIO_F_EVENT_IDX         29
#define VIRTIO_F_VERSION_1         32

/* InterruptStatus bits. */
#define VIRTIO_ISR_USED_BUFFER     0x1
#define VIRTIO_ISR_CONFIG_CHANGE   0x2

/* Size of a device's register window (control registers + config). */
#define VIRTIO_MMIO_WINDOW         0x200

/* QueueNumMax of every queue.  Linux and U-Boot are happy with any power
 * of two; 256 keeps the worst-case work per notification small. */
#define VIRTIO_QUEUE_MAX           256
/* Queues a device may have (console: receive and transmit). */
#define VIRTIO_QUEUES_MAX          2
/* Entries an indirect table may hold.  The spec bounds a chain by the
 * queue size only for direct descriptors; Linux builds indirect tables
 * longer than the queue, so they get their own, larger bound. */
#define VIRTQ_INDIRECT_MAX         1024
/* Buffers (segments) one chain can describe: direct + indirect. */
#define VIRTQ_CHAIN_MAX            (VIRTIO_QUEUE_MAX + VIRTQ_INDIRECT_MAX)

/* ------------------------------------------------------------------ */
/* Split virtqueues (virtqueue.c)                                     */

/* One queue: what the driver configured and how far the device got. */
typedef struct VirtQueue {
    TsAddressSpace *as;         /* where the rings and buffers live */
    /* Written by the driver through the registers while not ready. */
    uint32_t num;               /* queue size, a power of two */
    uint64_t desc_addr;         /* descriptor table */
    uint64_t avail_addr;        /* driver area: the available ring */
    uint64_t used_addr;         /* device area: the used ring */
    bool ready;
    /* Negotiated features that change how the rings are read. */
    bool indirect;              /* VIRTIO_F_INDIRECT_DESC */
    bool event_idx;             /* VIRTIO_F_EVENT_IDX */
    /* Device side. */
    bool broken;                /* the driver broke the rules: ignored
                                 * until the device is reset */
    uint16_t last_avail;        /* next available-ring entry to take */
    uint16_t used_idx;          /* next used-ring entry to fill */
    uint16_t signalled_used;    /* used_idx when the driver was last
                                 * considered for an interrupt */
} VirtQueue;

/* A guest buffer: checked to lie in guest RAM (ROM allowed when the
 * device only reads it). */
typedef struct VirtqSeg {
    uint64_t addr;
    uint32_t len;
} VirtqSeg;

/* A descriptor chain taken from the available ring. */
typedef struct VirtqChain {
    uint16_t head;              /* what goes back in the used ring */
    unsigned n_out;             /* device-readable segments: seg[0..] */
    unsigned n_in;              /* device-writable: seg[n_out..] */
    uint64_t out_len, in_len;   /* their total sizes */
    VirtqSeg seg[VIRTQ_CHAIN_MAX];
} VirtqChain;

/* Forget everything but `as` (device reset, or the driver writing 0 to
 * QueueReady). */
void virtq_reset(VirtQueue *vq);

/* Check a queue the driver is making ready: its size and that its three
 * areas are aligned and in guest RAM.  false + errp says what is wrong. */
bool virtq_check_layout(const VirtQueue *vq, GError **errp);

/*
 * Take the next chain the driver made available.  Returns 1 with *chain
 * filled, 0 when there is none, -1 + errp when the driver broke the
 * rules (index out of range, a loop, a buffer outside RAM, an available
 * index that jumped past the queue size, ...): the queue must then be
 * given up.  Never visits more descriptors than the queue (or indirect
 * table) holds.
 */
int virtq_pop(VirtQueue *vq, VirtqChain *chain, GError **errp);

/* Return a chain to the driver with `len` bytes written into it. */
bool virtq_push(VirtQueue *vq, uint16_t head, uint32_t len, GError **errp);

/* Whether the driver wants an interrupt for the chains pushed since the
 * last call (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with
 * VIRTIO_F_EVENT_IDX).  false + errp if the rings became unreadable. */
bool virtq_should_interrupt(VirtQueue *vq, bool *interrupt, GError **errp);

/* Copy between `buf` and the chain's writable (write) or readable (read)
 * segments, starting `offset` bytes into them.  The range must fit. */
bool virtq_chain_write(VirtQueue *vq, const VirtqChain *chain,
                       uint64_t offset, const void *buf, size_t len,
                       GError **errp);
bool virtq_chain_read(VirtQueue *vq, const VirtqChain *chain,
                      uint64_t offset, void *buf, size_t len, GError **errp);

/* ------------------------------------------------------------------ */
/* The virtio-mmio transport (virtio-mmio.c)                          */

#define TYPE_VIRTIO_MMIO "virtio-mmio-device"

typedef struct VirtioMmio {
    TsDevice parent;
    /* Properties, set by the board's pre_plug (or by hand). */
    uint64_t addr;              /* guest physical address of the window */
    uint64_t irq_num;           /* interrupt number, for the device tree */

    TsMemoryRegion *mmio;
    TsIrq *irq;                 /* output "irq", wired by the board */
    TsBH *work_bh;              /* continues queue work left over */
    TsTimer *ready_timer;       /* warns if the guest never drives it */

    uint32_t status;
    uint32_t isr;               /* InterruptStatus */
    uint32_t dev_features_sel, drv_features_sel, queue_sel;
    uint64_t driver_features;
    uint32_t pending;           /* queues with work left: bit per queue */
    unsigned work_depth;        /* >0 while DMA may run (see begin) */
    bool ever_ready;            /* DRIVER_OK seen since realize */
    bool told_broken;           /* the user was told once */
    VirtQueue vq[VIRTIO_QUEUES_MAX];
} VirtioMmio;

typedef struct VirtioMmioClass {
    TsDeviceClass parent;
    uint32_t device_id;         /* spec 5: 3 console, 4 entropy */
    unsigned num_queues;
    uint64_t features;          /* device-type feature bits offered */
    unsigned config_size;       /* bytes of device configuration */
    const char *driver_hint;    /* guest kernel option, for the warning */
    /* Optional hooks. */
    bool (*realize)(VirtioMmio *v, GError **errp);
    void (*unrealize)(VirtioMmio *v);
    void (*reset)(VirtioMmio *v);
    /* The driver notified queue q, or work on it was left over.  Runs
     * with DMA allowed.  Does a bounded amount of work and returns true
     * if some may be left (it is then called again from a bottom half). */
    bool (*queue_work)(VirtioMmio *v, unsigned q);
    /* Device configuration: fill config_size bytes (little-endian). */
    void (*read_config)(VirtioMmio *v, uint8_t *config);
    /* A driver write of `size` bytes at `offset` into the configuration. */
    void (*write_config)(VirtioMmio *v, unsigned offset, uint32_t value,
                         unsigned size);
} VirtioMmioClass;

#define VIRTIO_MMIO_GET_CLASS(v) \
    ((VirtioMmioClass *)ts_class_dynamic_cast(TS_OBJECT(v)->klass, \
                                              TYPE_VIRTIO_MMIO))

bool virtio_mmio_register(GError **errp);

/* Whether queue q may be worked on: the driver finished initialisation,
 * made the queue ready and has not broken it. */
bool virtio_mmio_queue_active(VirtioMmio *v, unsigned q);

/*
 * Give queue q up after the driver broke the rules: the device sets
 * DEVICE_NEEDS_RESET, raises a configuration-change interrupt, logs
 * (-d guest_errors) and tells the user once.  Takes `err`.
 */
void virtio_mmio_queue_error(VirtioMmio *v, unsigned q, GError *err);

/* After pushing chains to queue q: interrupt the driver if it wants. */
void virtio_mmio_notify(VirtioMmio *v, unsigned q);

/*
 * Bracket device work that does DMA outside the device's own register
 * callbacks (a chardev handler, a bottom half): while it runs, DMA into
 * the device's own window is refused, so a guest cannot make the device
 * re-enter itself.  Nests.  false: the device is busy, try later.
 */
bool virtio_mmio_begin(VirtioMmio *v);
void virtio_mmio_end(VirtioMmio *v);

/* "virtio-rng-device@0x10008000", for messages (g_free it). */
char *virtio_mmio_label(VirtioMmio *v);

/* The "fdt-node" interface's add (virtio-fdt.c). */
bool virtio_mmio_fdt_add(TsDevice *dev, const TsFdtContext *ctx,
                         GError **errp);

/* Devices (virtio-rng.c, virtio-console.c). */
bool virtio_rng_register(GError **errp);
bool virtio_console_register(GError **errp);

#endif
