/*
 * pci-host.h - a PCI root bus for the PCI device plugin tests: what a
 * board's host bridge does, without a board.
 */
#ifndef TESTS_HARNESS_PCI_HOST_H
#define TESTS_HARNESS_PCI_HOST_H

#include <tessera/tessera.h>
#include <tessera/pci.h>

#define PCI_HOST_NO_IO_WINDOW UINT64_MAX

/*
 * A root bus "pcie.0" whose memory space shows in system memory at
 * [mem_win, mem_win + mem_win_size) (bus address = CPU address), whose
 * 64 KiB I/O space shows at io_win (PCI_HOST_NO_IO_WINDOW: nowhere), and
 * which delivers MSI/MSI-X messages when `msi` (else devices use INTx).
 */
TsPciBus *pci_host_new(uint64_t mem_win, uint64_t mem_win_size,
                       uint64_t io_win, bool msi);

/* RAM of `size` bytes at `base` in system memory, for devices' DMA. */
void pci_host_add_ram(uint64_t base, uint64_t size);

#endif
