/*
 * core/pci/pci-bar.c - base address registers: declaring them, the
 * sizing protocol (the write mask answers a write of all-ones), and
 * mapping each BAR's region into its bus's memory or I/O space while
 * the guest has it enabled at a usable address.
 */
#include "pci-internal.h"

static uint32_t bar_reg(unsigned bar)
{
    return TS_PCI_BASE_ADDRESS_0 + 4 * bar;
}

bool pci_config_hits_bars(TsPciDevice *dev, uint32_t off, unsigned len)
{
    uint32_t end = bar_reg(pci_bar_count(dev));
    return off < end && off + len > TS_PCI_BASE_ADDRESS_0;
}

TS_EXPORT bool ts_pci_register_bar(TsPciDevice *dev, unsigned bar,
                                   uint8_t type, TsMemoryRegion *mr,
                                   GError **errp)
{
    PciState *s = pci_state(dev);
    const char *name = s ? s->name : ts_object_type_name(TS_OBJECT(dev));
    bool io = type & TS_PCI_BAR_IO;
    bool is64 = !io && (type & TS_PCI_BAR_MEM64);
    uint64_t size = mr ? ts_memory_region_size(mr) : 0;
    if (!s || !mr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: BAR %u declared outside realize", name, bar);
        return false;
    }
    if (bar + (is64 ? 1 : 0) >= pci_bar_count(dev) ||
        s->bars[bar].mr || (is64 && s->bars[bar + 1].mr) ||
        (bar > 0 && (s->bars[bar - 1].type & TS_PCI_BAR_MEM64) &&
         s->bars[bar - 1].mr)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: BAR %u is taken or out of range", name, bar);
        return false;
    }
    if ((size & (size - 1)) || size < (io ? 4 : 16) ||
        (io && size > 0x10000) || (!is64 && !io && size > (1ull << 31))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "%s: BAR %u: size 0x%" PRIx64 " is not a power of two "
                    "the BAR can hold", name, bar, size);
        return false;
    }
    type = io ? TS_PCI_BAR_IO
              : type & (TS_PCI_BAR_MEM64 | TS_PCI_BAR_PREFETCH);
    PciBar *b = &s->bars[bar];
    b->mr = ts_memory_region_ref(mr);
    b->type = type;
    b->size = size;
    b->addr = TS_PCI_BAR_UNMAPPED;
    uint64_t wmask = ~(size - 1);
    uint32_t reg = bar_reg(bar);
    ts_pci_set_long(s->config + reg, type);
    for (unsigned i = 0; i < 4; i++) {
        s->wmask[reg + i] = (uint8_t)(wmask >> (8 * i));
    }
    s->wmask[reg] &= io ? 0xfc : 0xf0;
    if (is64) {
        ts_pci_set_long(s->config + reg + 4, 0);
        for (unsigned i = 0; i < 4; i++) {
            s->wmask[reg + 4 + i] = (uint8_t)(wmask >> (32 + 8 * i));
        }
    }
    return true;
}

/*
 * Where the guest put the BAR, if the command register lets it decode
 * there.  Like QEMU, address 0 and ranges that wrap (or, for 32-bit
 * BARs, reach 4 GiB) count as "not mapped": a sizing write of all-ones
 * leaves a BAR at the top of the space and must not map it there.
 */
static uint64_t bar_target(TsPciDevice *dev, unsigned bar)
{
    PciState *s = pci_state(dev);
    PciBar *b = &s->bars[bar];
    uint16_t cmd = ts_pci_get_word(s->config + TS_PCI_COMMAND);
    uint32_t reg = bar_reg(bar);
    bool io = b->type & TS_PCI_BAR_IO;
    if (!(cmd & (io ? TS_PCI_COMMAND_IO : TS_PCI_COMMAND_MEMORY))) {
        return TS_PCI_BAR_UNMAPPED;
    }
    uint64_t addr = ts_pci_get_long(s->config + reg);
    if (b->type & TS_PCI_BAR_MEM64) {
        addr |= (uint64_t)ts_pci_get_long(s->config + reg + 4) << 32;
    }
    addr &= ~(b->size - 1);
    uint64_t last = addr + b->size - 1;
    if (addr == 0 || last < addr ||
        (!(b->type & TS_PCI_BAR_MEM64) && last >= UINT32_MAX) ||
        last == UINT64_MAX) {
        return TS_PCI_BAR_UNMAPPED;
    }
    return addr;
}

void pci_bars_update(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    ts_memory_transaction_begin();
    for (unsigned i = 0; i < pci_bar_count(dev); i++) {
        PciBar *b = &s->bars[i];
        if (!b->mr) {
            continue;
        }
        uint64_t addr = bar_target(dev, i);
        if (addr == b->addr) {
            continue;
        }
        if (b->addr != TS_PCI_BAR_UNMAPPED) {
            ts_memory_region_remove_subregion(b->space, b->mr);
            b->space = NULL;
        }
        b->addr = addr;
        TsMemoryRegion *space = (b->type & TS_PCI_BAR_IO) ? dev->bus->io
                                                          : dev->bus->mem;
        /* The space is a window's worth at most: a BAR beyond it is
         * programmed but reaches nothing, as on real hardware. */
        if (addr != TS_PCI_BAR_UNMAPPED && space &&
            (ts_memory_region_size(space) == UINT64_MAX ||
             addr < ts_memory_region_size(space))) {
            /* Priority 1: above the bus's own holes, so an MSI-X table
             * or a device behind a bridge ties break by order only. */
            ts_memory_region_add_subregion(space, addr, b->mr, 1);
            b->space = space;
        } else if (addr != TS_PCI_BAR_UNMAPPED) {
            b->addr = TS_PCI_BAR_UNMAPPED;
        }
    }
    ts_memory_transaction_commit();
}

TS_EXPORT uint64_t ts_pci_bar_address(TsPciDevice *dev, unsigned bar)
{
    PciState *s = pci_state(dev);
    return s && bar < PCI_NUM_BARS && s->bars[bar].mr ? s->bars[bar].addr
                                                      : TS_PCI_BAR_UNMAPPED;
}

/* Reset: BAR registers keep only their type bits, and nothing decodes
 * (the command register was cleared). */
void pci_bars_reset(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    for (unsigned i = 0; i < pci_bar_count(dev); i++) {
        if (s->bars[i].mr) {
            ts_pci_set_long(s->config + bar_reg(i), s->bars[i].type);
            if (s->bars[i].type & TS_PCI_BAR_MEM64) {
                ts_pci_set_long(s->config + bar_reg(i + 1), 0);
            }
        }
    }
    pci_bars_update(dev);
}

void pci_bars_release(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    ts_memory_transaction_begin();
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        PciBar *b = &s->bars[i];
        if (b->space) {
            ts_memory_region_remove_subregion(b->space, b->mr);
        }
        ts_memory_region_unref(b->mr);
        memset(b, 0, sizeof(*b));
    }
    ts_memory_transaction_commit();
}
