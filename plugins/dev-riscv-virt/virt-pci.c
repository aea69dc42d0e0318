/*
 * virt-pci.c - the virt board's PCI Express host bridge, a generic ECAM
 * one ("pci-host-ecam-generic") at QEMU's addresses: config space in
 * the ECAM window, BARs in a 32-bit and a 64-bit memory window and an
 * I/O window, INTA..INTD on PLIC (or APLIC) sources 32..35, and the host bridge
 * function at 00.0 that QEMU calls gpex-root.
 */
#include "virt.h"

/* The function at 00.0: nothing but its identity, as under QEMU. */
static void gpex_root_class_init(TsObjectClass *klass, const void *data)
{
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = TS_PCI_VENDOR_ID_REDHAT;
    pc->device_id = 0x0008;
    pc->class_id = TS_PCI_CLASS_BRIDGE_HOST;
    ((TsDeviceClass *)klass)->user_creatable = false;
}

const TsTypeInfo virt_gpex_root_type = {
    .name = VIRT_TYPE_GPEX_ROOT,
    .parent = TS_TYPE_PCI_DEVICE,
    .description = "QEMU PCIe Host bridge",
    .instance_size = sizeof(TsPciDevice),
    .class_init = gpex_root_class_init,
};

/* Like QEMU: the 64-bit window is 16 GiB, above RAM, aligned to its
 * size. */
static uint64_t high_mmio_base(const TsMachineConfig *cfg)
{
    uint64_t end = VIRT_DRAM_BASE + cfg->ram_size;
    return (end + VIRT_PCIE_HIGH_MMIO_SIZE - 1) &
           ~(VIRT_PCIE_HIGH_MMIO_SIZE - 1);
}

/* Show [base, base+size) of the bus space `space` at the same CPU
 * addresses (the windows do not translate). */
static void map_window(TsMemoryRegion *sys, const char *name,
                       TsMemoryRegion *space, uint64_t bus_addr,
                       uint64_t cpu_addr, uint64_t size)
{
    TsMemoryRegion *alias = ts_memory_region_new_alias(name, space, bus_addr,
                                                       size);
    ts_memory_region_add_subregion(sys, cpu_addr, alias, 0);
    ts_memory_region_unref(alias);
}

bool virt_pci_create(VirtMachine *vm, GError **errp)
{
    TsMemoryRegion *sys = ts_machine_system_memory();
    TsMemoryRegion *mem = ts_memory_region_new_container("pcie-mmio",
                                                         UINT64_MAX);
    TsMemoryRegion *io = ts_memory_region_new_container("pcie-pio",
                                                        VIRT_PCIE_PIO_SIZE);
    vm->pcie_high_base = high_mmio_base(vm->parent.config);
    vm->pcie = ts_pci_root_bus_new(NULL, "pcie.0", mem, io, NULL, true,
                                   errp);
    if (vm->pcie) {
        map_window(sys, "pcie-mmio-low", mem, VIRT_PCIE_MMIO_BASE,
                   VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE);
        map_window(sys, "pcie-mmio-high", mem, vm->pcie_high_base,
                   vm->pcie_high_base, VIRT_PCIE_HIGH_MMIO_SIZE);
        map_window(sys, "pcie-pio", io, 0, VIRT_PCIE_PIO_BASE,
                   VIRT_PCIE_PIO_SIZE);
    }
    ts_memory_region_unref(mem);
    ts_memory_region_unref(io);
    if (!vm->pcie) {
        return false;
    }
    TsMemoryRegion *ecam = ts_pci_host_ecam_region_new(
        vm->pcie, "pcie-ecam", VIRT_PCIE_ECAM_SIZE >> 20);
    ts_memory_region_add_subregion(sys, VIRT_PCIE_ECAM_BASE, ecam, 0);
    ts_memory_region_unref(ecam);
    for (unsigned n = 0; n < 4; n++) {
        unsigned source = VIRT_IRQ_PCIE0 + n;
        ts_pci_root_bus_set_intx(vm->pcie, n,
                                 vm->aia_mode != VIRT_AIA_NONE
                                     ? virt_aia_source(vm, source)
                                     : ts_device_irq_in(vm->plic, "irq",
                                                        source));
    }
    vm->pcie_msi = vm->aia_mode == VIRT_AIA_APLIC_IMSIC;
    /* Messages need an MSI controller (the IMSIC, with aia=aplic-imsic);
     * without one devices use INTx. */
    ts_pci_root_bus_set_msi(vm->pcie, vm->pcie_msi);

    TsObject *obj = ts_object_new(VIRT_TYPE_GPEX_ROOT, errp);
    if (!obj) {
        return false;
    }
    bool ok = ts_object_add_child(TS_OBJECT(vm), "gpex-root", obj, errp);
    ts_object_unref(obj);
    return ok && ts_device_realize(TS_DEVICE(obj), errp);
}
