/*
 * core/pci/pci-bridge.c - what every type 1 function does: own a
 * secondary bus and forward the guest's I/O, memory and prefetchable
 * windows from its primary bus to it (PCI-to-PCI Bridge 1.2, 3.2.5).
 */
#include "pci-internal.h"

enum { WIN_IO, WIN_MEM, WIN_PREF };

static const char *const window_names[] = {
    "pci_bridge_io", "pci_bridge_mem", "pci_bridge_pref_mem",
};

bool pci_bridge_init(TsPciDevice *dev, bool express, GError **errp)
{
    PciState *s = pci_state(dev);
    /* The bus is named after the bridge's id, so that bus=ID finds it;
     * an anonymous bridge's bus gets the first free "pci.N". */
    TsObject *obj = TS_OBJECT(dev);
    g_autofree char *bus_name = NULL;
    if (obj->parent && g_strcmp0(obj->parent->name, "peripheral") == 0) {
        bus_name = g_strdup(obj->name);
    }
    for (unsigned n = 1; !bus_name; n++) {
        bus_name = g_strdup_printf("pci.%u", n);
        if (pci_bus_by_name(bus_name)) {
            g_clear_pointer(&bus_name, g_free);
        }
    }
    g_autofree char *mem_name = g_strdup_printf("%s mem", s->name);
    g_autofree char *io_name = g_strdup_printf("%s io", s->name);
    TsMemoryRegion *mem = ts_memory_region_new_container(mem_name,
                                                         UINT64_MAX);
    TsMemoryRegion *io = ts_memory_region_new_container(io_name,
                                                        1ull << 32);
    TsPciBus *bus = pci_bus_new(TS_DEVICE(dev), bus_name, mem, io, express,
                                errp);
    ts_memory_region_unref(mem);
    ts_memory_region_unref(io);
    if (!bus) {
        return false;
    }
    bus->bridge = dev;
    bus->root = dev->bus->root;
    s->secondary = bus;
    return true;
}

/* [base, limit] of window `w` as the guest programmed it; false when
 * empty (base above limit). */
static bool window_range(PciState *s, int w, uint64_t *base, uint64_t *limit)
{
    const uint8_t *c = s->config;
    switch (w) {
    case WIN_IO:
        *base = (uint64_t)(c[TS_PCI_IO_BASE] & 0xf0) << 8;
        *limit = (uint64_t)(c[TS_PCI_IO_LIMIT] & 0xf0) << 8 | 0xfff;
        if (c[TS_PCI_IO_BASE] & 0x01) {
            *base |= (uint64_t)ts_pci_get_word(c + TS_PCI_IO_BASE_UPPER16)
                     << 16;
            *limit |= (uint64_t)ts_pci_get_word(c + TS_PCI_IO_LIMIT_UPPER16)
                      << 16;
        }
        break;
    case WIN_MEM:
        *base = (uint64_t)(ts_pci_get_word(c + TS_PCI_MEMORY_BASE) & 0xfff0)
                << 16;
        *limit = (uint64_t)(ts_pci_get_word(c + TS_PCI_MEMORY_LIMIT) &
                            0xfff0) << 16 | 0xfffff;
        break;
    default:
        *base = (uint64_t)(ts_pci_get_word(c + TS_PCI_PREF_MEMORY_BASE) &
                           0xfff0) << 16 |
                (uint64_t)ts_pci_get_long(c + TS_PCI_PREF_BASE_UPPER32) << 32;
        *limit = (uint64_t)(ts_pci_get_word(c + TS_PCI_PREF_MEMORY_LIMIT) &
                            0xfff0) << 16 | 0xfffff |
                 (uint64_t)ts_pci_get_long(c + TS_PCI_PREF_LIMIT_UPPER32)
                 << 32;
        break;
    }
    return *base <= *limit && *limit != UINT64_MAX;
}

static void window_unmap(PciState *s, TsPciDevice *dev, int w)
{
    if (s->window[w]) {
        TsMemoryRegion *space = w == WIN_IO ? dev->bus->io : dev->bus->mem;
        ts_memory_region_remove_subregion(space, s->window[w]);
        ts_memory_region_unref(s->window[w]);
        s->window[w] = NULL;
    }
}

void pci_bridge_update(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    if (!s->secondary) {
        return;
    }
    uint16_t cmd = ts_pci_get_word(s->config + TS_PCI_COMMAND);
    ts_memory_transaction_begin();
    for (int w = WIN_IO; w <= WIN_PREF; w++) {
        window_unmap(s, dev, w);
        uint64_t base, limit;
        bool on = w == WIN_IO ? (cmd & TS_PCI_COMMAND_IO)
                              : (cmd & TS_PCI_COMMAND_MEMORY);
        TsMemoryRegion *space = w == WIN_IO ? dev->bus->io : dev->bus->mem;
        TsMemoryRegion *target = w == WIN_IO ? s->secondary->io
                                             : s->secondary->mem;
        if (!on || !space || !window_range(s, w, &base, &limit)) {
            continue;
        }
        /* The window shows the secondary bus's addresses [base, limit]
         * at the same addresses on the primary side. */
        s->window[w] = ts_memory_region_new_alias(window_names[w], target,
                                                  base, limit - base + 1);
        ts_memory_region_add_subregion(space, base, s->window[w], 1);
    }
    ts_memory_transaction_commit();
}

void pci_bridge_release(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    ts_memory_transaction_begin();
    for (int w = WIN_IO; w <= WIN_PREF; w++) {
        window_unmap(s, dev, w);
    }
    ts_memory_transaction_commit();
    pci_bus_free(s->secondary);
    s->secondary = NULL;
}
