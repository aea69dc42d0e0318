/*
 * core/pci/pci-host.c - the host bridge's side of config space: routing
 * a guest's access to bus/devfn/register, all-ones for what is absent,
 * and the ECAM window boards map.
 */
#include "pci-internal.h"

static uint32_t all_ones(unsigned len)
{
    return len >= 4 ? UINT32_MAX : (1u << (len * 8)) - 1;
}

static bool access_ok(uint16_t reg, unsigned len)
{
    return (len == 1 || len == 2 || len == 4) && (reg & (len - 1)) == 0 &&
           reg + len <= TS_PCIE_CONFIG_SPACE_SIZE;
}

/* The function the guest addressed, if it has register `reg`: a
 * conventional function (or any function below a conventional bus) has
 * 256 bytes, however the guest reached it. */
static TsPciDevice *target(TsPciBus *root, uint8_t busnr, uint8_t devfn,
                           uint16_t reg)
{
    TsPciBus *bus = pci_bus_find(root, busnr);
    TsPciDevice *dev = bus ? bus->devices[devfn] : NULL;
    if (!dev || !dev->priv) {
        return NULL;
    }
    uint32_t limit = pci_state(dev)->size;
    if (!bus->root->express || (bus->bridge && !bus->express)) {
        limit = TS_PCI_CONFIG_SPACE_SIZE;
    }
    return reg < limit ? dev : NULL;
}

static uint32_t device_read(TsPciDevice *dev, uint16_t reg, unsigned len)
{
    TsPciDeviceClass *pc = pci_class(dev);
    return pc->config_read ? pc->config_read(dev, reg, len)
                           : ts_pci_default_config_read(dev, reg, len);
}

static void device_write(TsPciDevice *dev, uint16_t reg, uint32_t val,
                         unsigned len)
{
    TsPciDeviceClass *pc = pci_class(dev);
    if (pc->config_write) {
        pc->config_write(dev, reg, val, len);
    } else {
        ts_pci_default_config_write(dev, reg, val, len);
    }
}

TS_EXPORT uint32_t ts_pci_host_config_read(TsPciBus *root, uint8_t busnr,
                                           uint8_t devfn, uint16_t reg,
                                           unsigned len)
{
    if (!access_ok(reg, len)) {
        return all_ones(MIN(len, 4));
    }
    TsPciDevice *dev = target(root, busnr, devfn, reg);
    return dev ? device_read(dev, reg, len) & all_ones(len) : all_ones(len);
}

TS_EXPORT void ts_pci_host_config_write(TsPciBus *root, uint8_t busnr,
                                        uint8_t devfn, uint16_t reg,
                                        uint32_t val, unsigned len)
{
    if (!access_ok(reg, len)) {
        return;
    }
    TsPciDevice *dev = target(root, busnr, devfn, reg);
    if (dev) {
        device_write(dev, reg, val & all_ones(len), len);
    }
}

/* ECAM: bus << 20 | devfn << 12 | register. */
static uint64_t ecam_read(void *opaque, uint64_t addr, unsigned size)
{
    return ts_pci_host_config_read(opaque, (addr >> 20) & 0xff,
                                   (addr >> 12) & 0xff, addr & 0xfff, size);
}

static void ecam_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    ts_pci_host_config_write(opaque, (addr >> 20) & 0xff,
                             (addr >> 12) & 0xff, addr & 0xfff,
                             (uint32_t)val, size);
}

static const TsMemoryOps ecam_ops = {
    .read = ecam_read,
    .write = ecam_write,
    .valid_min = 1, .valid_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

TS_EXPORT TsMemoryRegion *ts_pci_host_ecam_region_new(TsPciBus *root,
                                                      const char *name,
                                                      unsigned nr_buses)
{
    nr_buses = CLAMP(nr_buses, 1, 256);
    return ts_memory_region_new_mmio(name, (uint64_t)nr_buses << 20,
                                     &ecam_ops, root);
}
