/*
 * core/pci/pci-bus.c - PCI buses: root buses of host bridges and the
 * secondary buses of bridges, their names, bus numbers and the INTx
 * lines with the standard swizzle.
 */
#include "pci-internal.h"
#include "pci-buses.h"

/* Every bus by name, and the root buses in creation order. */
static GHashTable *buses;
static GPtrArray *roots;

TsPciBus *pci_bus_new(TsDevice *owner, const char *name, TsMemoryRegion *mem,
                      TsMemoryRegion *io, bool express, GError **errp)
{
    if (!buses) {
        buses = g_hash_table_new(g_str_hash, g_str_equal);
        roots = g_ptr_array_new();
    }
    if (g_hash_table_contains(buses, name)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "PCI bus '%s' already exists", name);
        return NULL;
    }
    TsPciBus *bus = g_new0(TsPciBus, 1);
    bus->name = g_strdup(name);
    bus->owner = owner;
    bus->root = bus;
    bus->mem = ts_memory_region_ref(mem);
    bus->io = ts_memory_region_ref(io);
    bus->express = express;
    g_hash_table_insert(buses, bus->name, bus);
    return bus;
}

void pci_bus_free(TsPciBus *bus)
{
    if (!bus) {
        return;
    }
    g_hash_table_remove(buses, bus->name);
    g_ptr_array_remove(roots, bus);
    ts_memory_region_unref(bus->mem);
    ts_memory_region_unref(bus->io);
    ts_memory_region_unref(bus->dma_root);
    g_free(bus->name);
    g_free(bus);
}

TsPciBus *pci_bus_by_name(const char *name)
{
    return buses ? g_hash_table_lookup(buses, name) : NULL;
}

TsPciBus *pci_default_bus(void)
{
    return roots && roots->len ? g_ptr_array_index(roots, 0) : NULL;
}

GPtrArray *pci_root_buses(void)
{
    if (!roots) {
        roots = g_ptr_array_new();
    }
    return roots;
}

uint8_t pci_bus_number(const TsPciBus *bus)
{
    if (!bus->bridge) {
        return 0;
    }
    return pci_state(bus->bridge)->config[TS_PCI_SECONDARY_BUS];
}

/* Is busnr behind `bridge` (its secondary..subordinate range)? */
static bool bridge_covers(TsPciDevice *bridge, uint8_t busnr)
{
    const uint8_t *c = pci_state(bridge)->config;
    uint8_t sec = c[TS_PCI_SECONDARY_BUS], sub = c[TS_PCI_SUBORDINATE_BUS];
    return sec != 0 && sec <= busnr && busnr <= sub;
}

TsPciBus *pci_bus_find(TsPciBus *root, uint8_t busnr)
{
    TsPciBus *bus = root;
    /* Each step goes one bridge deeper; a hierarchy has at most 256
     * buses, and a guest that programs overlapping ranges only gets the
     * first match, never a loop. */
    for (unsigned depth = 0; bus && depth < 256; depth++) {
        if (pci_bus_number(bus) == busnr) {
            return bus;
        }
        TsPciBus *next = NULL;
        for (unsigned devfn = 0; devfn < PCI_DEVFN_MAX && !next; devfn++) {
            TsPciDevice *d = bus->devices[devfn];
            if (d && pci_is_bridge(d) && d->priv && bridge_covers(d, busnr)) {
                next = pci_state(d)->secondary;
            }
        }
        bus = next;
    }
    return NULL;
}

void pci_bus_intx_change(TsPciBus *bus, unsigned slot, unsigned pin,
                         int delta)
{
    /* The swizzle: INTA of slot 1 arrives as INTB, and so on, so that
     * devices in neighbouring slots spread over the four lines. */
    unsigned line = (pin + slot) % 4;
    bool was = bus->intx_count[line] > 0;
    if (delta < 0 && bus->intx_count[line] == 0) {
        return;                 /* a core bug; never wrap the count */
    }
    bus->intx_count[line] += delta;
    bool now = bus->intx_count[line] > 0;
    if (was == now) {
        return;
    }
    if (bus->bridge) {
        /* A bridge drives its own pin `line` on its primary bus. */
        TsPciDevice *br = bus->bridge;
        pci_bus_intx_change(br->bus, ts_pci_slot(br), line, now ? 1 : -1);
    } else {
        ts_irq_set(bus->intx[line], now);
    }
}

TS_EXPORT TsPciBus *ts_pci_root_bus_new(TsDevice *owner, const char *name,
                                        TsMemoryRegion *mem,
                                        TsMemoryRegion *io,
                                        TsMemoryRegion *dma_root,
                                        bool express, GError **errp)
{
    TsPciBus *bus = pci_bus_new(owner, name, mem, io, express, errp);
    if (bus) {
        bus->dma_root = ts_memory_region_ref(dma_root ? dma_root
                                             : ts_machine_system_memory());
        g_ptr_array_add(pci_root_buses(), bus);
    }
    return bus;
}

TS_EXPORT void ts_pci_root_bus_free(TsPciBus *bus)
{
    pci_bus_free(bus);
}

TS_EXPORT void ts_pci_root_bus_set_intx(TsPciBus *bus, unsigned n,
                                        TsIrq *line)
{
    if (n < 4) {
        bus->intx[n] = line;
        ts_irq_set(line, bus->intx_count[n] > 0);
    }
}

TS_EXPORT void ts_pci_root_bus_set_msi(TsPciBus *bus, bool available)
{
    bus->msi = available;
}

TS_EXPORT const char *ts_pci_bus_name(const TsPciBus *bus)
{
    return bus->name;
}

bool pci_bus_is_express_port(const TsPciBus *bus)
{
    return bus && bus->express && bus->bridge;
}
