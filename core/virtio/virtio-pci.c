/*
 * core/virtio/virtio-pci.c - the virtio PCI transport (VIRTIO 1.2, 4.1):
 * the abstract device type "virtio-pci", its modern interface, and
 * ts_virtio_register_pci(), which makes a device model a PCI -device
 * type ("virtio-blk-pci") from the same class that virtio-mmio carries.
 * The legacy interface of transitional devices is virtio-pci-legacy.c's.
 *
 * Layout, as QEMU's devices have it: BAR4, a 64-bit prefetchable
 * memory BAR of 16 KiB, holds the common configuration (0x0000), the ISR
 * (0x1000), the device configuration (0x2000) and the notification
 * registers (0x3000, 4 bytes a queue); vendor capabilities point at each.
 * MSI-X (one vector per queue plus one for configuration changes) lives
 * in BAR1 when the bus has an MSI controller; otherwise, and while the
 * guest has not enabled MSI-X, the ISR and INTA do the job.  A
 * transitional device adds the legacy registers as I/O BAR0.
 *
 * IDs: vendor 0x1af4; a modern-only device has 0x1040 + the virtio device
 * ID and revision 1, a transitional one the transitional ID (0x1001 for
 * block...), revision 0 and the device type as subsystem ID (see
 * choose_interfaces).  Everything behind the registers that is not about
 * PCI (features, status, queues, the interrupt decision) is
 * virtio-device.c's.
 */
#include "virtio-pci.h"
#include "object/object-hooks.h"
#include "pci/pci-buses.h"

#define TYPE_VIRTIO_PCI "virtio-pci"

#define VIRTIO_PCI_DEVICE_ID_BASE 0x1040

/* BAR4 regions */
#define MODERN_BAR          4
#define MODERN_BAR_SIZE     0x4000
#define COMMON_OFF          0x0000
#define ISR_OFF             0x1000
#define DEVICE_OFF          0x2000
#define NOTIFY_OFF          0x3000
#define REGION_SIZE         0x1000
#define NOTIFY_MULTIPLIER   4
#define MSIX_BAR            1

/* Capability cfg_type values (4.1.4) */
enum {
    CAP_COMMON_CFG = 1,
    CAP_NOTIFY_CFG = 2,
    CAP_ISR_CFG = 3,
    CAP_DEVICE_CFG = 4,
};

/* Common configuration (4.1.4.3) */
enum {
    CC_DFSELECT = 0x00,         /* le32 */
    CC_DF = 0x04,               /* le32, RO */
    CC_GFSELECT = 0x08,         /* le32 */
    CC_GF = 0x0c,               /* le32 */
    CC_MSIX_CONFIG = 0x10,      /* le16 */
    CC_NUM_QUEUES = 0x12,       /* le16, RO */
    CC_STATUS = 0x14,           /* u8 */
    CC_CFG_GENERATION = 0x15,   /* u8, RO */
    CC_Q_SELECT = 0x16,         /* le16 */
    CC_Q_SIZE = 0x18,           /* le16 */
    CC_Q_MSIX = 0x1a,           /* le16 */
    CC_Q_ENABLE = 0x1c,         /* le16 */
    CC_Q_NOFF = 0x1e,           /* le16, RO */
    CC_Q_DESC_LO = 0x20,
    CC_Q_DESC_HI = 0x24,
    CC_Q_AVAIL_LO = 0x28,
    CC_Q_AVAIL_HI = 0x2c,
    CC_Q_USED_LO = 0x30,
    CC_Q_USED_HI = 0x34,
    CC_Q_NOTIFY_DATA = 0x38,    /* le16, RO */
    CC_Q_RESET = 0x3a,          /* le16 */
    CC_SIZE = 0x3c,
};

typedef struct VirtioPciClass {
    TsPciDeviceClass parent;
    const TsVirtioDeviceClass *model;   /* NULL in the abstract type */
    size_t model_offset;
} VirtioPciClass;

static VirtioPci *of_state(VirtioState *s)
{
    return s->transport;
}

bool virtio_pci_msix_on(VirtioPci *v)
{
    return v->nvectors && ts_pci_msix_enabled(&v->parent);
}

/* ---- What the common code asks of the transport ---------------------- */

static void pci_update_irq(VirtioState *s)
{
    VirtioPci *v = of_state(s);
    ts_pci_set_irq(&v->parent, !virtio_pci_msix_on(v) && s->isr != 0);
}

static bool pci_message(VirtioState *s, int q)
{
    VirtioPci *v = of_state(s);
    if (!virtio_pci_msix_on(v)) {
        return false;
    }
    uint16_t vector = q < 0 ? v->config_vector : v->queue_vector[q];
    /* NO_VECTOR with MSI-X on: the driver asked for no interrupt. */
    if (vector != VIRTIO_PCI_NO_VECTOR) {
        ts_pci_msi_notify(&v->parent, vector);
    }
    return true;
}

static bool pci_enter(VirtioState *s)
{
    VirtioPci *v = of_state(s);
    /* Any of the four regions marks the device busy for DMA aimed at
     * itself: the common configuration is the one that matters (queue
     * setup), and work runs only from notify or the bottom half. */
    if (!ts_memory_region_enter(v->notify)) {
        return false;
    }
    if (!ts_memory_region_enter(v->common)) {
        ts_memory_region_leave(v->notify);
        return false;
    }
    /* The legacy registers too: the PIO window is in system memory. */
    if (v->legacy_io && !ts_memory_region_enter(v->legacy_io)) {
        ts_memory_region_leave(v->common);
        ts_memory_region_leave(v->notify);
        return false;
    }
    return true;
}

static void pci_leave(VirtioState *s)
{
    VirtioPci *v = of_state(s);
    if (v->legacy_io) {
        ts_memory_region_leave(v->legacy_io);
    }
    ts_memory_region_leave(v->common);
    ts_memory_region_leave(v->notify);
}

static const VirtioTransportOps pci_transport_ops = {
    .update_irq = pci_update_irq,
    .message = pci_message,
    .enter = pci_enter,
    .leave = pci_leave,
};

/* ---- Common configuration ------------------------------------------ */

VirtQueue *virtio_pci_selected_queue(VirtioPci *v)
{
    if (v->queue_sel >= v->state.num_queues) {
        return NULL;
    }
    return &v->state.vq[v->queue_sel];
}

static uint64_t common_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioPci *v = opaque;
    VirtioState *s = &v->state;
    VirtQueue *vq = virtio_pci_selected_queue(v);
    uint64_t val;
    switch (off & ~UINT64_C(3)) {
    case CC_DFSELECT: val = v->dfselect; break;
    case CC_DF:
        val = v->dfselect < 2
            ? (uint32_t)(virtio_offered_features(s) >> (32 * v->dfselect))
            : 0;
        break;
    case CC_GFSELECT: val = v->gfselect; break;
    case CC_GF:
        val = v->gfselect < 2
            ? (uint32_t)(s->driver_features >> (32 * v->gfselect)) : 0;
        break;
    case CC_MSIX_CONFIG:        /* + CC_NUM_QUEUES */
        val = v->config_vector | (uint32_t)s->num_queues << 16;
        break;
    case CC_STATUS:             /* + generation + queue_select */
        val = (s->status & 0xff) | (s->config_generation & 0xff) << 8 |
              (uint32_t)v->queue_sel << 16;
        break;
    case CC_Q_SIZE:             /* + queue_msix_vector */
        val = vq ? ((vq->num ? vq->num : vq->num_max) |
                    (uint32_t)v->queue_vector[v->queue_sel] << 16)
                 : (uint32_t)VIRTIO_PCI_NO_VECTOR << 16;
        break;
    case CC_Q_ENABLE:           /* + queue_notify_off */
        val = vq ? (vq->ready | (uint32_t)v->queue_sel << 16) : 0;
        break;
    case CC_Q_DESC_LO: val = vq ? (uint32_t)vq->desc_addr : 0; break;
    case CC_Q_DESC_HI: val = vq ? vq->desc_addr >> 32 : 0; break;
    case CC_Q_AVAIL_LO: val = vq ? (uint32_t)vq->avail_addr : 0; break;
    case CC_Q_AVAIL_HI: val = vq ? vq->avail_addr >> 32 : 0; break;
    case CC_Q_USED_LO: val = vq ? (uint32_t)vq->used_addr : 0; break;
    case CC_Q_USED_HI: val = vq ? vq->used_addr >> 32 : 0; break;
    case CC_Q_NOTIFY_DATA:      /* + queue_reset (not offered: 0) */
        val = v->queue_sel;
        break;
    default:
        return 0;
    }
    val >>= (off & 3) * 8;
    return size == 4 ? (uint32_t)val : val & ((1u << (size * 8)) - 1);
}

static void set_low(uint64_t *r, uint32_t val)
{
    *r = (*r & ~UINT64_C(0xffffffff)) | val;
}

static void set_high(uint64_t *r, uint32_t val)
{
    *r = (*r & UINT64_C(0xffffffff)) | ((uint64_t)val << 32);
}

/* A vector the device has, or NO_VECTOR: what the driver reads back
 * tells it whether the assignment worked (4.1.5.1.2). */
uint16_t virtio_pci_checked_vector(VirtioPci *v, uint32_t val)
{
    return val < v->nvectors ? (uint16_t)val : VIRTIO_PCI_NO_VECTOR;
}

void virtio_pci_reset_transport(VirtioPci *v)
{
    v->dfselect = v->gfselect = 0;
    v->queue_sel = 0;
    v->config_vector = VIRTIO_PCI_NO_VECTOR;
    for (unsigned q = 0; q < TS_VIRTIO_QUEUES_MAX; q++) {
        v->queue_vector[q] = VIRTIO_PCI_NO_VECTOR;
    }
}

static void common_write(void *opaque, uint64_t off, uint64_t val,
                         unsigned size)
{
    VirtioPci *v = opaque;
    VirtioState *s = &v->state;
    VirtQueue *vq = virtio_pci_selected_queue(v);
    bool w32 = size == 4, w16 = size == 2, w8 = size == 1;
    if (vq && vq->ready && (off == CC_Q_SIZE || off == CC_Q_MSIX ||
                            (off >= CC_Q_DESC_LO && off < CC_Q_NOTIFY_DATA))) {
        virtio_guest_error(s, "queue %u reconfigured while enabled; "
                           "ignored", v->queue_sel);
        return;
    }
    if (off == CC_GF || off == CC_STATUS) {
        s->legacy = false;      /* a modern driver (transitional device) */
    }
    if (off == CC_DFSELECT && w32) {
        v->dfselect = (uint32_t)val;
    } else if (off == CC_GFSELECT && w32) {
        v->gfselect = (uint32_t)val;
    } else if (off == CC_GF && w32) {
        virtio_set_driver_features(s, v->gfselect, (uint32_t)val);
    } else if (off == CC_MSIX_CONFIG && w16) {
        v->config_vector = virtio_pci_checked_vector(v, (uint32_t)val);
    } else if (off == CC_STATUS && w8) {
        if (val == 0) {
            virtio_pci_reset_transport(v);
        }
        virtio_set_status(s, (uint32_t)val);
    } else if (off == CC_Q_SELECT && w16) {
        v->queue_sel = (uint16_t)val;
    } else if (off == CC_Q_SIZE && w16 && vq) {
        vq->num = (uint32_t)val;
    } else if (off == CC_Q_MSIX && w16 && vq) {
        v->queue_vector[v->queue_sel] =
            virtio_pci_checked_vector(v, (uint32_t)val);
    } else if (off == CC_Q_ENABLE && w16 && vq) {
        if (val == 1) {
            if (!vq->num) {
                vq->num = vq->num_max;      /* the size it read */
            }
            virtio_set_queue_ready(s, v->queue_sel, true);
        } else {
            virtio_guest_error(s, "queue_enable written with %u; only 1 "
                               "is allowed", (unsigned)val);
        }
    } else if (off >= CC_Q_DESC_LO && off < CC_Q_NOTIFY_DATA && w32 && vq) {
        uint64_t *area = off < CC_Q_AVAIL_LO ? &vq->desc_addr
                       : off < CC_Q_USED_LO ? &vq->avail_addr
                       : &vq->used_addr;
        (off & 4 ? set_high : set_low)(area, (uint32_t)val);
    } else if (off == CC_Q_RESET && w16) {
        /* VIRTIO_F_RING_RESET is not offered: nothing to do. */
    } else {
        virtio_guest_error(s, "%u-byte write of 0x%" PRIx64 " to common "
                           "configuration offset 0x%" PRIx64 " ignored",
                           size, val, off);
    }
}

static const TsMemoryOps common_ops = {
    .read = common_read,
    .write = common_write,
    .valid_min = 1,
    .valid_max = 4,
    .impl_min = 1,
    .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

/* ---- ISR, device configuration, notifications ------------------------- */

/* Reading the ISR acknowledges it (4.1.4.5). */
static uint64_t isr_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioPci *v = opaque;
    if (off != 0) {
        return 0;
    }
    uint32_t isr = v->state.isr;
    if (isr) {
        virtio_isr_ack(&v->state, isr);
    }
    return isr;
}

static const TsMemoryOps isr_ops = {
    .read = isr_read,
    .valid_min = 1,
    .valid_max = 4,
    .impl_min = 1,
    .impl_max = 1,
    .endian = TS_ENDIAN_LITTLE,
};

static uint64_t device_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioPci *v = opaque;
    return virtio_config_read(&v->state, (unsigned)off, size);
}

static void device_write(void *opaque, uint64_t off, uint64_t val,
                         unsigned size)
{
    VirtioPci *v = opaque;
    virtio_config_write(&v->state, (unsigned)off, (uint32_t)val, size);
}

static const TsMemoryOps device_ops = {
    .read = device_read,
    .write = device_write,
    .valid_min = 1,
    .valid_max = 4,
    .impl_min = 1,
    .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

/* The queue is the one whose notify offset was written; the value the
 * driver writes (its index) is not trusted for anything. */
static void notify_write(void *opaque, uint64_t off, uint64_t val,
                         unsigned size)
{
    VirtioPci *v = opaque;
    (void)val;
    (void)size;
    virtio_queue_notified(&v->state, (unsigned)(off / NOTIFY_MULTIPLIER));
}

static const TsMemoryOps notify_ops = {
    .write = notify_write,
    .valid_min = 1,
    .valid_max = 4,
    .impl_min = 1,
    .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

/* ---- Capabilities ----------------------------------------------------- */

static bool add_cap(VirtioPci *v, uint8_t type, uint32_t offset,
                    uint32_t length, bool notify, GError **errp)
{
    TsPciDevice *dev = &v->parent;
    uint8_t len = notify ? 20 : 16;
    uint8_t at = ts_pci_add_capability(dev, TS_PCI_CAP_ID_VNDR, 0, len,
                                       errp);
    if (!at) {
        return false;
    }
    uint8_t *c = ts_pci_config(dev) + at;
    c[2] = len;
    c[3] = type;
    c[4] = MODERN_BAR;
    c[5] = 0;                   /* id: one structure of each type */
    ts_pci_set_long(c + 8, offset);
    ts_pci_set_long(c + 12, length);
    if (notify) {
        ts_pci_set_long(c + 16, NOTIFY_MULTIPLIER);
    }
    return true;
}

/* ---- Life cycle ------------------------------------------------------ */

static const TsVirtioDeviceClass *model(VirtioPci *v)
{
    return v->state.dc;
}

static void drop_regions(VirtioPci *v)
{
    ts_memory_region_unref(v->common);
    ts_memory_region_unref(v->isr);
    ts_memory_region_unref(v->device);
    ts_memory_region_unref(v->notify);
    ts_memory_region_unref(v->bar);
    ts_memory_region_unref(v->legacy_io);
    v->common = v->isr = v->device = v->notify = v->bar = NULL;
    v->legacy_io = NULL;
}

/*
 * Which interfaces the device offers, as QEMU 7.2 decides it: with
 * disable-legacy=auto a device is transitional (legacy and modern) on a
 * root bus or a conventional bus, and modern only behind a PCI Express
 * port, where I/O space is scarce.  A transitional or legacy device has
 * the transitional device ID, revision 0 and its virtio type as the
 * subsystem ID (what legacy drivers match on); a modern-only one keeps
 * the class's 0x1040 + type, revision 1 and QEMU's default subsystem.
 */
static bool choose_interfaces(VirtioPci *v, GError **errp)
{
    TsPciDevice *dev = &v->parent;
    uint32_t type = model(v)->device_id;
    uint16_t legacy_id = virtio_pci_legacy_device_id(type);
    bool pcie_port = pci_bus_is_express_port(dev->bus);
    bool legacy = v->disable_legacy == VIRTIO_PCI_OFF ||
                  (v->disable_legacy == VIRTIO_PCI_AUTO && !pcie_port);
    if (legacy && !legacy_id) {
        if (v->disable_legacy == VIRTIO_PCI_OFF) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "device is modern-only, use disable-legacy=on");
            return false;
        }
        legacy = false;
    }
    if (!legacy && v->disable_modern) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "device cannot work as neither modern nor legacy mode "
                    "is enabled");
        return false;
    }
    v->has_legacy = legacy;
    v->has_modern = !v->disable_modern;
    if (legacy) {
        uint8_t *c = ts_pci_config(dev);
        ts_pci_set_word(c + TS_PCI_DEVICE_ID, legacy_id);
        c[TS_PCI_REVISION_ID] = 0;
        ts_pci_set_word(c + TS_PCI_SUBSYSTEM_VENDOR_ID,
                        TS_PCI_VENDOR_ID_REDHAT_QUMRANET);
        ts_pci_set_word(c + TS_PCI_SUBSYSTEM_ID, (uint16_t)type);
    }
    return true;
}

static bool add_modern(VirtioPci *v, GError **errp)
{
    return ts_pci_register_bar(&v->parent, MODERN_BAR,
                               TS_PCI_BAR_MEM64 | TS_PCI_BAR_PREFETCH,
                               v->bar, errp) &&
           add_cap(v, CAP_COMMON_CFG, COMMON_OFF, CC_SIZE, false, errp) &&
           add_cap(v, CAP_ISR_CFG, ISR_OFF, 1, false, errp) &&
           add_cap(v, CAP_DEVICE_CFG, DEVICE_OFF,
                   MAX(model(v)->config_size, 1u), false, errp) &&
           add_cap(v, CAP_NOTIFY_CFG, NOTIFY_OFF,
                   v->state.num_queues * NOTIFY_MULTIPLIER, true, errp);
}

static bool virtio_pci_realize(TsPciDevice *dev, GError **errp)
{
    VirtioPci *v = (VirtioPci *)dev;
    const char *name = ts_object_type_name(TS_OBJECT(dev));
    g_autoptr(GError) err = NULL;

    if (!choose_interfaces(v, errp)) {
        return false;
    }

    v->bar = ts_memory_region_new_container("virtio-pci", MODERN_BAR_SIZE);
    v->common = ts_memory_region_new_mmio("virtio-pci-common", REGION_SIZE,
                                          &common_ops, v);
    v->isr = ts_memory_region_new_mmio("virtio-pci-isr", REGION_SIZE,
                                       &isr_ops, v);
    v->device = ts_memory_region_new_mmio("virtio-pci-device", REGION_SIZE,
                                          &device_ops, v);
    v->notify = ts_memory_region_new_mmio("virtio-pci-notify", REGION_SIZE,
                                          &notify_ops, v);
    ts_memory_region_add_subregion(v->bar, COMMON_OFF, v->common, 0);
    ts_memory_region_add_subregion(v->bar, ISR_OFF, v->isr, 0);
    ts_memory_region_add_subregion(v->bar, DEVICE_OFF, v->device, 0);
    ts_memory_region_add_subregion(v->bar, NOTIFY_OFF, v->notify, 0);

    g_autofree char *label = g_strdup_printf(
        "%s@%02x:%02x.%u", name, ts_pci_device_bus_number(dev),
        ts_pci_slot(dev), ts_pci_func(dev));
    virtio_pci_reset_transport(v);
    virtio_state_init(&v->state, &pci_transport_ops, v, label,
                      ts_pci_device_dma_as(dev));
    v->state.settings_open = true;
    bool ok = !model(v)->realize || model(v)->realize(v->state.dev, errp);
    v->state.settings_open = false;
    if (!ok) {
        g_prefix_error(errp, "%s: ", name);
        virtio_state_destroy(&v->state);
        drop_regions(v);
        return false;
    }

    if (v->has_modern && !add_modern(v, errp)) {
        goto fail;
    }
    /* One vector per queue and one for configuration changes, as QEMU's
     * default "vectors" gives most devices. */
    unsigned vectors = v->state.num_queues + 1;
    if (ts_pci_add_msix_bar(dev, vectors, MSIX_BAR, 0, &err)) {
        v->nvectors = vectors;
    } else if (g_error_matches(err, TS_ERROR, TS_ERROR_UNSUPPORTED)) {
        v->nvectors = 0;            /* no MSI controller: INTA */
    } else {
        g_propagate_error(errp, g_steal_pointer(&err));
        goto fail;
    }
    if (v->has_legacy && !virtio_pci_legacy_realize(v, errp)) {
        goto fail;
    }
    return true;

fail:
    g_prefix_error(errp, "%s: ", name);
    if (model(v)->unrealize) {
        model(v)->unrealize(v->state.dev);
    }
    virtio_state_destroy(&v->state);
    drop_regions(v);
    return false;
}

static void virtio_pci_unrealize(TsPciDevice *dev)
{
    VirtioPci *v = (VirtioPci *)dev;
    if (model(v)->unrealize) {
        model(v)->unrealize(v->state.dev);
    }
    virtio_state_destroy(&v->state);
    drop_regions(v);
}

static void virtio_pci_reset(TsPciDevice *dev)
{
    VirtioPci *v = (VirtioPci *)dev;
    virtio_pci_reset_transport(v);
    virtio_reset(&v->state);
}

/* Switching MSI-X on or off moves a pending ISR between INTA and the
 * vectors: lower or raise the line accordingly. */
static void virtio_pci_config_write(TsPciDevice *dev, uint32_t addr,
                                    uint32_t val, unsigned len)
{
    VirtioPci *v = (VirtioPci *)dev;
    ts_pci_default_config_write(dev, addr, val, len);
    pci_update_irq(&v->state);
}

/* Join the model (the struct after the transport's) to its state. */
static void virtio_pci_instance_init(TsObject *obj)
{
    VirtioPci *v = (VirtioPci *)obj;
    VirtioPciClass *vc = (VirtioPciClass *)
        ts_class_dynamic_cast(obj->klass, TYPE_VIRTIO_PCI);
    TsVirtioDevice *vdev = (TsVirtioDevice *)((char *)obj +
                                              vc->model_offset);
    vdev->klass = vc->model;
    vdev->core = &v->state;
    v->state.dev = vdev;
    v->state.dc = vc->model;
}

static const char *const on_off_auto[] = { "on", "off", "auto", NULL };

/* QEMU's names and defaults; see choose_interfaces(). */
static const TsProperty virtio_pci_props[] = {
    TS_PROP_ENUM("disable-legacy", VirtioPci, disable_legacy, "auto",
                 on_off_auto, "no legacy interface (auto: only behind a "
                 "PCI Express port)"),
    TS_PROP_BOOL("disable-modern", VirtioPci, disable_modern, false,
                 "no virtio 1.x interface (legacy only)"),
    TS_PROP_END
};

static void virtio_pci_class_init(TsObjectClass *klass, const void *data)
{
    (void)data;
    ts_class_add_properties(klass, virtio_pci_props);
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = TS_PCI_VENDOR_ID_REDHAT_QUMRANET;
    pc->revision = 1;
    pc->interrupt_pin = 1;
    pc->realize = virtio_pci_realize;
    pc->unrealize = virtio_pci_unrealize;
    pc->reset = virtio_pci_reset;
    pc->config_write = virtio_pci_config_write;
}

static const TsTypeInfo virtio_pci_type = {
    .name = TYPE_VIRTIO_PCI,
    .parent = TS_TYPE_PCI_DEVICE,
    .description = "virtio PCI transport (modern) of a virtio device",
    .instance_size = sizeof(VirtioPci),
    .class_size = sizeof(VirtioPciClass),
    .abstract = true,
    .class_init = virtio_pci_class_init,
    .instance_init = virtio_pci_instance_init,
};

static void virtio_pci_types_init(void)
{
    object_core_type(&virtio_pci_type);
}
OBJECT_CORE_INIT(virtio_pci_types_init)

/* ---- A device model on this transport -------------------------------- */

/* The class a guest's driver expects for each device type, as QEMU
 * gives them (base class << 8 | subclass). */
static uint16_t pci_class_of(uint32_t device_id)
{
    switch (device_id) {
    case 1: return TS_PCI_CLASS_NETWORK_ETHERNET;
    case 2: return TS_PCI_CLASS_STORAGE_SCSI;       /* virtio-blk */
    case 3: return TS_PCI_CLASS_COMMUNICATION_OTHER; /* console */
    case 8: return TS_PCI_CLASS_STORAGE_SCSI;
    case 16: return TS_PCI_CLASS_DISPLAY_OTHER;
    case 18: return TS_PCI_CLASS_INPUT_OTHER;
    /* QEMU's "others" for the rest (virtio-rng-pci...): base class 0x00
     * (before class codes existed), subclass 0xff, not base class 0xff. */
    default: return 0x00ff;
    }
}

static void pci_proxy_class_init(TsObjectClass *klass, const void *data)
{
    const VirtioProxy *p = data;
    VirtioPciClass *vc = (VirtioPciClass *)klass;
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    vc->model = p->model;
    vc->model_offset = p->model_offset;
    pc->device_id = (uint16_t)(VIRTIO_PCI_DEVICE_ID_BASE +
                               p->model->device_id);
    pc->class_id = pci_class_of(p->model->device_id);
    ((TsDeviceClass *)klass)->categories =
        virtio_proxy_category(p->model->device_id);
    if (p->props) {
        ts_class_add_properties(klass, p->props);
    }
}

TS_EXPORT bool ts_virtio_register_pci(const TsVirtioDeviceClass *klass,
                                      const char *type_name,
                                      const char *description,
                                      GError **errp)
{
    if (klass->device_id > 0xffff - VIRTIO_PCI_DEVICE_ID_BASE) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: virtio device ID %u has no PCI device ID",
                    type_name, klass->device_id);
        return false;
    }
    return virtio_proxy_register(klass, type_name, description,
                                 TYPE_VIRTIO_PCI, sizeof(VirtioPci),
                                 pci_proxy_class_init, errp);
}
