/*
 * core/virtio/virtio-pci.h - what the two halves of the virtio PCI
 * transport share: the instance (virtio-pci.c, the modern interface and
 * the type) and the legacy interface of transitional devices
 * (virtio-pci-legacy.c).
 */
#ifndef TESSERA_CORE_VIRTIO_PCI_H
#define TESSERA_CORE_VIRTIO_PCI_H

#include "virtio-internal.h"

#include <tessera/pci.h>

#define VIRTIO_PCI_NO_VECTOR 0xffff

/* disable-legacy=, QEMU's OnOffAuto in the order of its help text. */
enum { VIRTIO_PCI_ON, VIRTIO_PCI_OFF, VIRTIO_PCI_AUTO };

typedef struct VirtioPci {
    TsPciDevice parent;
    /* Properties */
    int disable_legacy;         /* VIRTIO_PCI_ON/OFF/AUTO */
    bool disable_modern;
    /* Which interfaces this instance has (realize decides). */
    bool has_legacy, has_modern;
    uint32_t dfselect, gfselect;
    uint16_t queue_sel;         /* shared by both interfaces */
    uint16_t config_vector;
    uint16_t queue_vector[TS_VIRTIO_QUEUES_MAX];
    unsigned nvectors;          /* 0: no MSI-X on this bus */
    TsMemoryRegion *bar;
    TsMemoryRegion *common, *isr, *device, *notify;
    TsMemoryRegion *legacy_io;  /* BAR0 of a transitional device */
    VirtioState state;
} VirtioPci;

/* MSI-X is present on the bus and the guest enabled it. */
bool virtio_pci_msix_on(VirtioPci *v);
/* The selected queue, or NULL if it does not exist. */
VirtQueue *virtio_pci_selected_queue(VirtioPci *v);
/* A vector the device has, or NO_VECTOR. */
uint16_t virtio_pci_checked_vector(VirtioPci *v, uint32_t val);
/* Status 0 from either interface: forget the transport's selections. */
void virtio_pci_reset_transport(VirtioPci *v);

/* virtio-pci-legacy.c */
/* The transitional PCI device ID of virtio device type `id` (VIRTIO 1.2,
 * 4.1.2.1), or 0 if the type has none (modern only). */
uint16_t virtio_pci_legacy_device_id(uint32_t id);
/* Create the legacy registers and make them BAR0 (I/O). */
bool virtio_pci_legacy_realize(VirtioPci *v, GError **errp);

#endif
