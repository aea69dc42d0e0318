/*
 * core/virtio/virtio-pci-legacy.c - the legacy interface of a
 * transitional virtio PCI device (VIRTIO 1.2, 4.1.4.8): the registers in
 * I/O BAR0 that drivers written before virtio 1.0 use (Linux with
 * virtio_pci.force_legacy=1, old firmware).
 *
 *   0x00 device features (bits 0-31)    0x0e queue select
 *   0x04 driver features (bits 0-31)    0x10 queue notify (the index)
 *   0x08 queue address (PFN, 4 KiB)     0x12 device status
 *   0x0c queue size (read-only)         0x13 ISR (reading acknowledges)
 *   0x14 configuration vector, 0x16 queue vector: only while MSI-X is
 *   enabled, and the device configuration follows at 0x18 (else 0x14).
 *
 * A legacy driver never sets FEATURES_OK and cannot see feature bits
 * past 31 (so not VERSION_1): writing the legacy registers tells the
 * common code which rules apply (VirtioState.legacy).  Queues have the
 * device's maximum size and the legacy layout: descriptors at PFN * 4096,
 * the available ring right after them, the used ring at the next 4096
 * boundary.  The layout is checked like any other: a PFN that puts the
 * rings outside guest RAM (over MMIO, past RAM) breaks the queue and the
 * device asks for a reset.  Legacy registers are little-endian here:
 * they are the guest's native order, and RISC-V is little-endian.
 */
#include "virtio-pci.h"

#define LEGACY_BAR 0

enum {
    LG_DEVICE_FEATURES = 0x00,  /* le32, RO */
    LG_DRIVER_FEATURES = 0x04,  /* le32 */
    LG_QUEUE_PFN = 0x08,        /* le32 */
    LG_QUEUE_SIZE = 0x0c,       /* le16, RO */
    LG_QUEUE_SELECT = 0x0e,     /* le16 */
    LG_QUEUE_NOTIFY = 0x10,     /* le16 */
    LG_STATUS = 0x12,           /* u8 */
    LG_ISR = 0x13,              /* u8, RO */
    LG_MSIX_CONFIG = 0x14,      /* le16, with MSI-X enabled */
    LG_MSIX_QUEUE = 0x16,       /* le16, with MSI-X enabled */
    LG_HEADER = 0x14,           /* header without the MSI-X registers */
    LG_HEADER_MSIX = 0x18,      /* with them */
};

#define LEGACY_PAGE_SHIFT 12
#define LEGACY_ALIGN UINT64_C(4096)

uint16_t virtio_pci_legacy_device_id(uint32_t id)
{
    /* 4.1.2.3: the transitional IDs, by virtio device type. */
    switch (id) {
    case 1: return 0x1000;      /* network */
    case 2: return 0x1001;      /* block */
    case 5: return 0x1002;      /* memory balloon */
    case 3: return 0x1003;      /* console */
    case 8: return 0x1004;      /* SCSI host */
    case 4: return 0x1005;      /* entropy source */
    case 9: return 0x1009;      /* 9P transport */
    default: return 0;
    }
}

/* Where the device configuration starts: it moves when the guest turns
 * MSI-X on or off, as the specification has it. */
static unsigned config_offset(VirtioPci *v)
{
    return virtio_pci_msix_on(v) ? LG_HEADER_MSIX : LG_HEADER;
}

/* The 4-byte word of the header at `word` (a multiple of 4). */
static uint32_t header_word(VirtioPci *v, uint64_t word)
{
    VirtioState *s = &v->state;
    VirtQueue *vq = virtio_pci_selected_queue(v);
    switch (word) {
    case LG_DEVICE_FEATURES:
        return (uint32_t)virtio_offered_features(s);
    case LG_DRIVER_FEATURES:
        return (uint32_t)s->driver_features;
    case LG_QUEUE_PFN:
        return vq && vq->ready
            ? (uint32_t)(vq->desc_addr >> LEGACY_PAGE_SHIFT) : 0;
    case LG_QUEUE_SIZE:         /* + queue select */
        return (vq ? vq->num_max : 0) | (uint32_t)v->queue_sel << 16;
    case LG_QUEUE_NOTIFY:       /* + status + ISR (read separately) */
        return (s->status & 0xff) << 16;
    case LG_MSIX_CONFIG:        /* + queue vector */
        return v->config_vector |
               (uint32_t)(vq ? v->queue_vector[v->queue_sel]
                             : VIRTIO_PCI_NO_VECTOR) << 16;
    default:
        return 0;
    }
}

static uint64_t legacy_read(void *opaque, uint64_t off, unsigned size)
{
    VirtioPci *v = opaque;
    unsigned cfg = config_offset(v);
    if (off >= cfg) {
        return virtio_config_read(&v->state, (unsigned)(off - cfg), size);
    }
    if (off + size > cfg) {
        virtio_guest_error(&v->state, "%u-byte legacy read at 0x%" PRIx64
                           " straddles the device configuration", size,
                           off);
        return 0;
    }
    uint64_t val = header_word(v, off & ~UINT64_C(3));
    if (off <= LG_ISR && off + size > LG_ISR) {
        /* Reading the ISR acknowledges it. */
        uint32_t isr = v->state.isr & 0xff;
        if (isr) {
            virtio_isr_ack(&v->state, isr);
        }
        val |= (uint64_t)isr << 24;
    }
    val >>= (off & 3) * 8;
    return size == 4 ? (uint32_t)val : val & ((1u << (size * 8)) - 1);
}

/* A queue address written: the rings in the legacy layout, checked by
 * the common code when the queue starts; 0 takes the queue back. */
static void set_queue_pfn(VirtioPci *v, uint32_t pfn)
{
    VirtioState *s = &v->state;
    VirtQueue *vq = virtio_pci_selected_queue(v);
    if (!vq) {
        virtio_guest_error(s, "queue address for queue %u, which does not "
                           "exist", v->queue_sel);
        return;
    }
    if (pfn == 0) {
        virtio_set_queue_ready(s, v->queue_sel, false);
        return;
    }
    if (vq->ready) {
        virtio_guest_error(s, "queue %u moved while in use; ignored",
                           v->queue_sel);
        return;
    }
    uint64_t num = vq->num_max;
    vq->num = vq->num_max;
    vq->desc_addr = (uint64_t)pfn << LEGACY_PAGE_SHIFT;
    vq->avail_addr = vq->desc_addr + 16 * num;
    /* flags, idx, ring[num], used_event */
    uint64_t avail_end = vq->avail_addr + 6 + 2 * num;
    vq->used_addr = (avail_end + LEGACY_ALIGN - 1) & ~(LEGACY_ALIGN - 1);
    virtio_set_queue_ready(s, v->queue_sel, true);
}

static void legacy_write(void *opaque, uint64_t off, uint64_t val,
                         unsigned size)
{
    VirtioPci *v = opaque;
    VirtioState *s = &v->state;
    unsigned cfg = config_offset(v);
    bool msix = virtio_pci_msix_on(v);
    if (off >= cfg) {
        virtio_config_write(s, (unsigned)(off - cfg), (uint32_t)val, size);
        return;
    }
    /* The driver speaks the legacy interface: legacy rules apply. */
    s->legacy = true;
    if (off == LG_DRIVER_FEATURES && size == 4) {
        virtio_set_driver_features(s, 0, (uint32_t)val);
    } else if (off == LG_QUEUE_PFN && size == 4) {
        set_queue_pfn(v, (uint32_t)val);
    } else if (off == LG_QUEUE_SELECT && size == 2) {
        v->queue_sel = (uint16_t)val;
    } else if (off == LG_QUEUE_NOTIFY && size == 2) {
        virtio_queue_notified(s, (unsigned)val);
    } else if (off == LG_STATUS && size == 1) {
        if (val == 0) {
            virtio_pci_reset_transport(v);
        }
        virtio_set_status(s, (uint32_t)val);
    } else if (msix && off == LG_MSIX_CONFIG && size == 2) {
        v->config_vector = virtio_pci_checked_vector(v, (uint32_t)val);
    } else if (msix && off == LG_MSIX_QUEUE && size == 2 &&
               virtio_pci_selected_queue(v)) {
        v->queue_vector[v->queue_sel] =
            virtio_pci_checked_vector(v, (uint32_t)val);
    } else {
        virtio_guest_error(s, "%u-byte write of 0x%" PRIx64 " to legacy "
                           "register 0x%" PRIx64 " ignored", size, val, off);
    }
}

static const TsMemoryOps legacy_ops = {
    .read = legacy_read,
    .write = legacy_write,
    .valid_min = 1,
    .valid_max = 4,
    .impl_min = 1,
    .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

bool virtio_pci_legacy_realize(VirtioPci *v, GError **errp)
{
    /* The header with the MSI-X registers when the device has MSI-X, and
     * the configuration, rounded up to a power of two as BARs are. */
    uint64_t size = (v->nvectors ? LG_HEADER_MSIX : LG_HEADER) +
                    v->state.dc->config_size;
    size = MAX(size, 4);
    while (size & (size - 1)) {
        size += size & -size;
    }
    v->legacy_io = ts_memory_region_new_mmio("virtio-pci-legacy", size,
                                             &legacy_ops, v);
    return ts_pci_register_bar(&v->parent, LEGACY_BAR, TS_PCI_BAR_IO,
                               v->legacy_io, errp);
}
