/*
 * core/pci/pci-buses.h - what the rest of the core may ask about a PCI
 * bus (virtio-pci's choice of interfaces).
 */
#ifndef TESSERA_CORE_PCI_BUSES_H
#define TESSERA_CORE_PCI_BUSES_H

#include <tessera/pci.h>

/* The secondary bus of a PCI Express port (a root port): not a root
 * bus, not below a conventional PCI bridge.  QEMU's virtio-pci leaves
 * the legacy I/O interface out there by default. */
bool pci_bus_is_express_port(const TsPciBus *bus);

#endif
