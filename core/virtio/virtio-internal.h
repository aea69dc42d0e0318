/*
 * core/virtio/virtio-internal.h - what the files of core/virtio share: the
 * virtqueue walker (virtqueue.c, virtqueue-split.c), the transport-neutral
 * device state (virtio-device.c) and the transports (virtio-mmio*.c).
 *
 * Terms follow the OASIS VIRTIO 1.2 specification.  Only the modern
 * interface is implemented: VIRTIO_F_VERSION_1 required, split queues.
 */
#ifndef TESSERA_CORE_VIRTIO_INTERNAL_H
#define TESSERA_CORE_VIRTIO_INTERNAL_H

#include <tessera/tessera.h>
#include <tessera/virtio.h>

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

/* ISR status bits, the same on every transport. */
#define VIRTIO_ISR_USED_BUFFER     0x1
#define VIRTIO_ISR_CONFIG_CHANGE   0x2

/* Entries an indirect table may hold: the spec bounds a chain by the
 * queue size only for direct descriptors. */
#define VIRTQ_INDIRECT_MAX (TS_VIRTQ_CHAIN_MAX - TS_VIRTQ_SIZE_MAX)

/* ------------------------------------------------------------------ */
/* Virtqueues (virtqueue.c: the common part; virtqueue-split.c)        */

/* How the rings are laid out.  Packed queues (spec 2.8) will be a second
 * VirtqRingOps chosen when VIRTIO_F_RING_PACKED is negotiated. */
typedef enum VirtqFormat {
    VIRTQ_SPLIT,
    VIRTQ_PACKED,               /* not implemented */
} VirtqFormat;

typedef struct VirtQueue VirtQueue;

typedef struct VirtqRingOps {
    /* The areas the driver configured are aligned and in guest RAM. */
    bool (*check_layout)(const VirtQueue *vq, GError **errp);
    /* 1 + chain, 0 for none, -1 + errp when the driver broke the rules. */
    int (*pop)(VirtQueue *vq, TsVirtqChain *chain, GError **errp);
    bool (*push)(VirtQueue *vq, uint16_t head, uint32_t len, GError **errp);
    /* Whether the driver wants an interrupt for what was pushed since the
     * last call. */
    bool (*should_interrupt)(VirtQueue *vq, bool *interrupt, GError **errp);
} VirtqRingOps;

/* One queue: what the driver configured and how far the device got. */
struct VirtQueue {
    TsAddressSpace *as;         /* where the rings and buffers live */
    const VirtqRingOps *ops;
    /* Written by the driver through the transport while not ready. */
    uint32_t num;               /* queue size, a power of two */
    uint32_t num_max;           /* what the device offers */
    uint64_t desc_addr;         /* descriptor table */
    uint64_t avail_addr;        /* driver area */
    uint64_t used_addr;         /* device area */
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
};

extern const VirtqRingOps virtq_split_ops;

/* Forget what the driver configured; keep `as` and num_max. */
void virtq_reset(VirtQueue *vq);
/* The queue is being made ready in `format`: check its layout. */
bool virtq_start(VirtQueue *vq, VirtqFormat format, GError **errp);
/* Copy between buf and the chain's writable (to_guest) or readable
 * segments, from `offset` bytes into them. */
bool virtq_chain_copy(VirtQueue *vq, const TsVirtqChain *chain,
                      bool to_guest, uint64_t offset, uint8_t *buf,
                      size_t len, GError **errp);
/* [addr, addr+len) is guest RAM (writable RAM if for_write). */
bool virtq_check_ram(TsAddressSpace *as, uint64_t addr, uint64_t len,
                     bool for_write, const char *what, GError **errp);

/* ------------------------------------------------------------------ */
/* The device state every transport keeps (virtio-device.c)            */

typedef struct VirtioState VirtioState;

/* What the common code needs from the transport that carries it. */
typedef struct VirtioTransportOps {
    /* The ISR changed: drive the interrupt line(s). */
    void (*update_irq)(VirtioState *s);
    /* Optional: signal queue q (-1: a configuration change) by a message
     * of its own (MSI-X) and return true, or return false to have the
     * ISR raised instead (messages not enabled). */
    bool (*message)(VirtioState *s, int q);
    /* Mark the transport's registers busy around DMA, so DMA aimed at
     * them is refused; false if they already are. */
    bool (*enter)(VirtioState *s);
    void (*leave)(VirtioState *s);
} VirtioTransportOps;

struct VirtioState {
    TsVirtioDevice *dev;        /* the model, inside the same object */
    const TsVirtioDeviceClass *dc;
    const VirtioTransportOps *ops;
    void *transport;            /* the transport object, for its ops */
    char *label;                /* "virtio-rng-device@0x10001000" */
    TsBH *work_bh;              /* continues queue work left over */
    TsTimer *ready_timer;       /* warns if the guest never drives it */

    uint32_t status;
    uint32_t isr;
    uint64_t driver_features;
    /* The driver uses a transitional device's legacy interface (set by
     * the transport): no FEATURES_OK step, features 0-31 only. */
    bool legacy;
    /* What this instance offers and how many queues it has: the class's
     * unless its realize said otherwise (ts_virtio_set_*). */
    uint64_t features;
    unsigned num_queues;
    bool settings_open;         /* in realize: ts_virtio_set_* allowed */
    uint32_t config_generation; /* moved on by ts_virtio_config_changed */
    uint32_t pending;           /* queues with work left: bit per queue
                                 * (TS_VIRTIO_QUEUES_MAX <= 32) */
    unsigned work_depth;        /* >0 while DMA may run (see begin) */
    bool ever_ready;            /* DRIVER_OK seen since realize */
    bool told_broken;           /* the user was told once */
    VirtQueue vq[TS_VIRTIO_QUEUES_MAX];
};

/* Set up (at realize, before the guest can reach it) and tear down. */
void virtio_state_init(VirtioState *s, const VirtioTransportOps *ops,
                       void *transport, const char *label,
                       TsAddressSpace *as);
void virtio_state_destroy(VirtioState *s);

/* Status register: write (0 resets), and reset. */
void virtio_set_status(VirtioState *s, uint32_t val);
void virtio_reset(VirtioState *s);
/* Features offered (transport + device) and a 32-bit bank of them. */
uint64_t virtio_offered_features(VirtioState *s);
void virtio_set_driver_features(VirtioState *s, unsigned bank,
                                uint32_t val);
/* QueueReady written for queue q. */
void virtio_set_queue_ready(VirtioState *s, unsigned q, bool ready);
/* The driver notified queue q. */
void virtio_queue_notified(VirtioState *s, unsigned q);
/* Configuration space accesses, already bounds-checked by nothing. */
uint64_t virtio_config_read(VirtioState *s, unsigned off, unsigned size);
void virtio_config_write(VirtioState *s, unsigned off, uint32_t val,
                         unsigned size);
/* The driver acknowledged ISR bits. */
void virtio_isr_ack(VirtioState *s, uint32_t bits);
/* Give queue q up (see tessera/virtio.h); takes err. */
void virtio_queue_error(VirtioState *s, unsigned q, GError *err);
/* -d guest_errors, prefixed with the label. */
void virtio_guest_error(VirtioState *s, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* ------------------------------------------------------------------ */
/* The virtio-mmio transport (virtio-mmio.c)                          */

#define TYPE_VIRTIO_MMIO "virtio-mmio-device"

/* Size of the register window (control registers + configuration). */
#define VIRTIO_MMIO_WINDOW 0x200

/*
 * The abstract transport, an mmio-device.  A concrete type registered
 * with ts_virtio_register_mmio() is this struct followed, at the class's
 * model_offset, by the device model's struct.
 */
typedef struct VirtioMmio {
    TsMmioDevice parent;        /* "addr", the window, output "irq" 0 */
    uint32_t dev_features_sel, drv_features_sel, queue_sel;
    VirtioState state;
} VirtioMmio;

typedef struct VirtioMmioClass {
    TsMmioDeviceClass parent;
    const TsVirtioDeviceClass *model;   /* NULL in the abstract type */
    size_t model_offset;
} VirtioMmioClass;

/* A model registered on a transport (virtio-proxy.c): what the type's
 * class_init receives as its data. */
typedef struct VirtioProxy {
    TsTypeInfo info;
    const TsVirtioDeviceClass *model;
    size_t model_offset;        /* where the model's struct starts */
    TsProperty *props;          /* the model's, moved to its offset */
} VirtioProxy;

/* Check the model's class and register type_name: a `parent` (the
 * transport's type) instance of transport_size bytes, then the model's
 * struct, with the model's properties.  class_init gets the VirtioProxy. */
/* The -device help category QEMU gives a virtio device type on any
 * transport (TS_DEVICE_CATEGORY_*; 0 for types it leaves out). */
uint32_t virtio_proxy_category(uint32_t device_id);
bool virtio_proxy_register(const TsVirtioDeviceClass *klass,
                           const char *type_name, const char *description,
                           const char *parent, size_t transport_size,
                           void (*class_init)(TsObjectClass *, const void *),
                           GError **errp);

#endif
