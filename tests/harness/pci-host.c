/*
 * pci-host.c - a PCI root bus for the PCI device plugin tests.
 */
#include "pci-host.h"

#include <glib.h>

#define IO_SPACE_SIZE 0x10000

/* Show [bus_addr, bus_addr + size) of `space` at cpu_addr. */
static void show(TsMemoryRegion *space, const char *name, uint64_t bus_addr,
                 uint64_t cpu_addr, uint64_t size)
{
    TsMemoryRegion *alias = ts_memory_region_new_alias(name, space, bus_addr,
                                                       size);
    ts_memory_region_add_subregion(ts_machine_system_memory(), cpu_addr,
                                   alias, 0);
    ts_memory_region_unref(alias);
}

TsPciBus *pci_host_new(uint64_t mem_win, uint64_t mem_win_size,
                       uint64_t io_win, bool msi)
{
    TsMemoryRegion *mem = ts_memory_region_new_container("pci-mem",
                                                         UINT64_MAX);
    TsMemoryRegion *io = ts_memory_region_new_container("pci-io",
                                                        IO_SPACE_SIZE);
    TsPciBus *bus = ts_pci_root_bus_new(NULL, "pcie.0", mem, io, NULL, true,
                                        NULL);
    g_assert_nonnull(bus);
    show(mem, "pci-mem-window", mem_win, mem_win, mem_win_size);
    if (io_win != PCI_HOST_NO_IO_WINDOW) {
        /* The I/O space starts at bus address 0, wherever it shows. */
        show(io, "pci-io-window", 0, io_win, IO_SPACE_SIZE);
    }
    ts_memory_region_unref(mem);
    ts_memory_region_unref(io);
    ts_pci_root_bus_set_msi(bus, msi);
    return bus;
}

void pci_host_add_ram(uint64_t base, uint64_t size)
{
    TsMemoryRegion *ram = ts_memory_region_new_ram("ram", size, NULL);
    ts_memory_region_add_subregion(ts_machine_system_memory(), base, ram, 0);
    ts_memory_region_unref(ram);
}
