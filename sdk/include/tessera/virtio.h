/*
 * tessera/virtio.h - what a virtio device plugin uses: the device model's
 * class, and the calls that take buffers from the driver and give them
 * back (OASIS VIRTIO 1.2).
 *
 * The core does everything that is the same for every virtio device:
 * feature negotiation, device status and reset, the configuration space
 * window, the virtqueues and their checks against a hostile driver, the
 * interrupt decision, bounded work continued from a bottom half, and the
 * transports.  A device says what it is in a const TsVirtioDeviceClass and
 * handles its queues' notifications; nothing else.
 *
 * How a device binds to a transport: the device model is a plain struct
 * (TsVirtioDevice first) described by its class; it is not an object of
 * its own.  ts_virtio_register_mmio() registers a user-visible device type
 * ("virtio-rng-device") that is the virtio-mmio transport with the model
 * inside it: its instance holds the transport and, after it, the model
 * struct; the model's properties become the type's properties, so
 * `-device virtio-rng-device,help` lists them and `chardev=` lands in the
 * model's field.  A PCI transport will register "virtio-rng-pci" from the
 * same class the same way: one model, any transport.
 *
 * Buffers: a chain is what the driver made available in one go, the
 * device-readable segments first, then the device-writable ones.  Every
 * call that touches the guest's rings or buffers can find that the driver
 * broke the rules (a looping chain, a buffer outside RAM, an index out of
 * range...).  The core then gives the queue up, sets DEVICE_NEEDS_RESET,
 * tells the driver (configuration-change interrupt), logs the reason with
 * -d guest_errors and warns the user once per device; the call returns
 * false (or -1) and the device just stops working on that queue.  Nothing
 * a guest does makes the emulator exit.
 */
#ifndef TESSERA_VIRTIO_H
#define TESSERA_VIRTIO_H

#include <tessera/object.h>

TS_BEGIN_DECLS

/* The largest queue (QueueNumMax) a device can ask for. */
#define TS_VIRTQ_SIZE_MAX 256
/* The largest queue a device may offer with ts_virtio_set_queue_max
 * (since ABI 1.5; virtio-net's rx_queue_size=1024).  Chains stay bounded
 * by TS_VIRTQ_CHAIN_MAX. */
#define TS_VIRTQ_SIZE_LIMIT 1024
/* Segments one chain can describe: a direct chain of a whole queue plus
 * an indirect table of up to 1024 entries (Linux builds indirect tables
 * longer than the queue). */
#define TS_VIRTQ_CHAIN_MAX (TS_VIRTQ_SIZE_MAX + 1024)
/* Queues one device can have (a virtio-blk with one per vCPU). */
#define TS_VIRTIO_QUEUES_MAX 32

typedef struct TsVirtioDevice TsVirtioDevice;

/* A guest buffer, checked to lie in guest RAM (ROM when only read). */
typedef struct TsVirtqSeg {
    uint64_t addr;
    uint32_t len;
} TsVirtqSeg;

/* A descriptor chain taken from a queue.  Large: keep it in the device
 * struct, not on the stack. */
typedef struct TsVirtqChain {
    unsigned queue;             /* the queue it came from */
    uint16_t head;              /* what goes back in the used ring */
    unsigned n_out;             /* device-readable segments: seg[0..] */
    unsigned n_in;              /* device-writable: seg[n_out..] */
    uint64_t out_len, in_len;   /* their total sizes in bytes */
    TsVirtqSeg seg[TS_VIRTQ_CHAIN_MAX];
} TsVirtqChain;

/* What a device is.  Static const in the plugin; every hook optional. */
typedef struct TsVirtioDeviceClass {
    const char *name;           /* the model, "virtio-rng": for help text */
    uint32_t device_id;         /* spec 5: 3 console, 4 entropy, ... */
    uint64_t features;          /* device-type feature bits offered (the
                                 * core adds VERSION_1, INDIRECT_DESC and
                                 * EVENT_IDX) */
    unsigned num_queues;        /* at most TS_VIRTIO_QUEUES_MAX */
    unsigned queue_size;        /* QueueNumMax: a power of two up to
                                 * TS_VIRTQ_SIZE_MAX; 0 means the max */
    unsigned config_size;       /* bytes of device configuration */
    /* Guest kernel option the driver needs, for a warning when the guest
     * has not initialised the device after a minute ("CONFIG_..."). */
    const char *driver_hint;
    size_t instance_size;       /* the device's struct, TsVirtioDevice
                                 * as its first member */
    /* Properties of the device (offsets into its struct), TS_PROP_END
     * terminated, or NULL.  They appear on every transport's type. */
    const TsProperty *properties;

    /* Check properties, claim resources.  false + errp: creation fails;
     * the core prefixes the message with the device type's name. */
    bool (*realize)(TsVirtioDevice *dev, GError **errp);
    void (*unrealize)(TsVirtioDevice *dev);
    /* The driver reset the device (or the machine reset): forget held
     * chains.  The queues are already reset. */
    void (*reset)(TsVirtioDevice *dev);
    /*
     * The driver notified queue q, or work on it was left over.  Runs
     * with DMA allowed.  Do a bounded amount of work (a queue's worth of
     * chains, some hundred KiB) and return true if some may be left: the
     * core calls again from a bottom half.
     */
    bool (*queue_notify)(TsVirtioDevice *dev, unsigned q);
    /* Fill config_size bytes of configuration (little-endian fields). */
    void (*read_config)(TsVirtioDevice *dev, uint8_t *config);
    /* A driver write of `size` bytes at `offset` into the configuration. */
    void (*write_config)(TsVirtioDevice *dev, unsigned offset,
                         uint32_t value, unsigned size);
    void *reserved[8];
} TsVirtioDeviceClass;

/* The head of every device's struct.  Fields are the core's. */
struct TsVirtioDevice {
    const TsVirtioDeviceClass *klass;
    void *core;                 /* private: the transport's state */
    void *reserved[4];
};

/* Transport feature bits (VIRTIO 1.2, 6) a device may withhold from one
 * instance with ts_virtio_set_features() (QEMU's indirect_desc= and
 * event_idx= properties).  VIRTIO_F_VERSION_1 is always offered. */
#define TS_VIRTIO_F_INDIRECT_DESC 28
#define TS_VIRTIO_F_EVENT_IDX     29

/*
 * Register `type_name`: the virtio-mmio transport (version 2) carrying
 * the device `klass` describes, shown with `description` in -device help.
 * From the plugin's init.  The board places it (address, interrupt).
 */
bool ts_virtio_register_mmio(const TsVirtioDeviceClass *klass,
                             const char *type_name, const char *description,
                             GError **errp);

/*
 * Register `type_name` ("virtio-rng-pci"): the modern virtio PCI transport
 * (VIRTIO 1.2, 4.1) carrying the device `klass` describes, shown with
 * `description` in -device help.  Vendor 0x1af4, device 0x1040 + the
 * virtio device ID; common, notify, ISR and device configuration in BAR4,
 * one MSI-X vector per queue plus one for the configuration in BAR1 when
 * the bus has an MSI controller (INTA otherwise).  Placed with the PCI
 * device properties (bus=, addr=, multifunction=).  From the plugin's
 * init, next to ts_virtio_register_mmio() with the same class.
 */
bool ts_virtio_register_pci(const TsVirtioDeviceClass *klass,
                            const char *type_name, const char *description,
                            GError **errp);

/*
 * Per-instance settings, made from the class's realize hook (before the
 * guest can see the device; later calls are refused):
 *
 * ts_virtio_set_features: what this instance offers, replacing the
 * class's `features`: device-type bits plus any of
 * TS_VIRTIO_F_INDIRECT_DESC and TS_VIRTIO_F_EVENT_IDX (other transport
 * bits are ignored; VERSION_1 is added).  Without the call an instance
 * offers the class's features and both transport bits.
 *
 * ts_virtio_set_num_queues: how many queues this instance has, 1 up to
 * the class's num_queues (which is then the most any instance may have).
 * false + errp (a message naming the limit) when out of range.
 */
void ts_virtio_set_features(TsVirtioDevice *dev, uint64_t features);
bool ts_virtio_set_num_queues(TsVirtioDevice *dev, unsigned n,
                              GError **errp);
/* The queues this instance has (the class's num_queues unless set). */
unsigned ts_virtio_num_queues(TsVirtioDevice *dev);

/* The features the driver accepted, once FEATURES_OK is set (0 before,
 * and again after a reset).  Bit numbers as in the spec. */
uint64_t ts_virtio_driver_features(TsVirtioDevice *dev);

/*
 * The device's configuration changed on the host side (a disk resized):
 * the configuration generation moves on, so a driver reading it in
 * pieces reads again, and after DRIVER_OK the driver gets a
 * configuration-change interrupt.  read_config must already answer with
 * the new contents.
 */
void ts_virtio_config_changed(TsVirtioDevice *dev);

/* The device object the model lives in (the transport's instance, e.g.
 * a "virtio-blk-device"): for its id/path in messages and for backends
 * that record which device uses them.  Valid from realize to unrealize. */
TsObject *ts_virtio_object(TsVirtioDevice *dev);

/* Whether queue q may be worked on: the driver set DRIVER_OK, made the
 * queue ready and has not broken it. */
bool ts_virtio_queue_active(TsVirtioDevice *dev, unsigned q);
/* From realize (since ABI 1.5): offer queue q with QueueNumMax `size`
 * instead of the class's queue_size, e.g. a property the user set; a
 * power of two from 2 to TS_VIRTQ_SIZE_LIMIT (false otherwise, nothing
 * changed). */
bool ts_virtio_set_queue_max(TsVirtioDevice *dev, unsigned q, unsigned size);
/* The size the driver chose for queue q (0 if it has none). */
unsigned ts_virtio_queue_size(TsVirtioDevice *dev, unsigned q);
/* The address space the device's queues and chains live in (its bus
 * master's view): what ts_dma_map() of a chain's segments takes, for a
 * device that moves data without copying.  Fixed for the device's
 * life. */
TsAddressSpace *ts_virtio_dma_as(TsVirtioDevice *dev);

/*
 * Take the next chain the driver made available on queue q: 1 with
 * *chain filled, 0 when there is none (or the queue is not active), -1
 * when the driver broke the rules (the queue is given up, see above).
 */
int ts_virtio_pop(TsVirtioDevice *dev, unsigned q, TsVirtqChain *chain);

/* Give a chain back with `len` bytes written into it.  false: the queue
 * broke. */
bool ts_virtio_push(TsVirtioDevice *dev, const TsVirtqChain *chain,
                    uint32_t len);

/* Copy into the chain's writable segments / out of its readable ones,
 * starting `offset` bytes into them.  false: the chain is too short or
 * the memory went away; the queue broke. */
bool ts_virtio_chain_write(TsVirtioDevice *dev, const TsVirtqChain *chain,
                           uint64_t offset, const void *buf, size_t len);
bool ts_virtio_chain_read(TsVirtioDevice *dev, const TsVirtqChain *chain,
                          uint64_t offset, void *buf, size_t len);

/* After pushing chains on queue q: interrupt the driver if it asked for
 * it (VIRTQ_AVAIL_F_NO_INTERRUPT, used_event). */
void ts_virtio_notify(TsVirtioDevice *dev, unsigned q);

/* The device found the driver broke its device-type rules on queue q:
 * give the queue up and set DEVICE_NEEDS_RESET, as above. */
void ts_virtio_set_needs_reset(TsVirtioDevice *dev, unsigned q,
                               const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/*
 * Bracket work that touches the guest outside queue_notify (a chardev
 * handler): while it runs, DMA aimed at the device's own registers is
 * refused, so a guest cannot make the device re-enter itself.  Nests.
 * false: the device is busy, try later (do not call end).
 */
bool ts_virtio_begin(TsVirtioDevice *dev);
void ts_virtio_end(TsVirtioDevice *dev);

TS_END_DECLS

#endif
