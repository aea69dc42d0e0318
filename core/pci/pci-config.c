/*
 * core/pci/pci-config.c - a function's configuration space: the
 * standard header's values and write masks, the default config access,
 * what command register changes do (INTx disable, bus mastering, BAR
 * decoding) and the reset of the standard registers.
 */
#include "pci-internal.h"

static void set_mask(PciState *s, uint32_t off, unsigned len, uint32_t wmask,
                     uint32_t w1cmask)
{
    for (unsigned i = 0; i < len; i++) {
        s->wmask[off + i] = (uint8_t)(wmask >> (8 * i));
        s->w1cmask[off + i] = (uint8_t)(w1cmask >> (8 * i));
    }
}

TS_EXPORT bool ts_pci_set_config_mask(TsPciDevice *dev, uint32_t offset,
                                      unsigned len, uint32_t wmask,
                                      uint32_t w1cmask)
{
    PciState *s = pci_state(dev);
    if (!s || (len != 1 && len != 2 && len != 4) || offset >= s->size ||
        len > s->size - offset) {
        g_critical("ts_pci_set_config_mask: %u bytes at 0x%x are outside "
                   "the config space", len, offset);
        return false;
    }
    set_mask(s, offset, len, wmask | w1cmask, w1cmask);
    return true;
}

TS_EXPORT uint8_t *ts_pci_config(TsPciDevice *dev)
{
    return pci_state(dev) ? pci_state(dev)->config : NULL;
}

TS_EXPORT uint32_t ts_pci_config_size(TsPciDevice *dev)
{
    return pci_state(dev) ? pci_state(dev)->size : 0;
}

TS_EXPORT uint8_t ts_pci_device_bus_number(TsPciDevice *dev)
{
    return dev->bus ? pci_bus_number(dev->bus) : 0;
}

/* The header as the class describes it, and what the guest may write
 * in it (PCI 3.0 chapter 6; bridges: PCI-to-PCI bridge 1.2). */
void pci_config_init_header(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    TsPciDeviceClass *pc = pci_class(dev);
    uint8_t *c = s->config;
    ts_pci_set_word(c + TS_PCI_VENDOR_ID, pc->vendor_id);
    ts_pci_set_word(c + TS_PCI_DEVICE_ID, pc->device_id);
    c[TS_PCI_REVISION_ID] = pc->revision;
    c[TS_PCI_CLASS_PROG] = pc->prog_if;
    ts_pci_set_word(c + TS_PCI_CLASS_DEVICE, pc->class_id);
    c[TS_PCI_HEADER_TYPE] = (pc->header_type & 0x7f) |
        (dev->multifunction ? TS_PCI_HEADER_TYPE_MULTI_FUNCTION : 0);
    c[TS_PCI_INTERRUPT_PIN] = pc->interrupt_pin <= 4 ? pc->interrupt_pin
                                                     : 0;
    /* command: I/O, memory, master, parity, SERR, INTx disable */
    set_mask(s, TS_PCI_COMMAND, 2, 0x0547, 0);
    /* status: parity error, signalled/received aborts, SERR: RW1C */
    set_mask(s, TS_PCI_STATUS, 2, 0xf900, 0xf900);
    set_mask(s, TS_PCI_CACHE_LINE_SIZE, 1, 0xff, 0);
    set_mask(s, TS_PCI_INTERRUPT_LINE, 1, 0xff, 0);
    if ((pc->header_type & 0x7f) == TS_PCI_HEADER_TYPE_BRIDGE) {
        set_mask(s, TS_PCI_PRIMARY_BUS, 1, 0xff, 0);
        set_mask(s, TS_PCI_SECONDARY_BUS, 1, 0xff, 0);
        set_mask(s, TS_PCI_SUBORDINATE_BUS, 1, 0xff, 0);
        set_mask(s, TS_PCI_IO_BASE, 1, 0xf0, 0);
        set_mask(s, TS_PCI_IO_LIMIT, 1, 0xf0, 0);
        set_mask(s, TS_PCI_SEC_STATUS, 2, 0xf900, 0xf900);
        set_mask(s, TS_PCI_MEMORY_BASE, 2, 0xfff0, 0);
        set_mask(s, TS_PCI_MEMORY_LIMIT, 2, 0xfff0, 0);
        set_mask(s, TS_PCI_PREF_MEMORY_BASE, 2, 0xfff0, 0);
        set_mask(s, TS_PCI_PREF_MEMORY_LIMIT, 2, 0xfff0, 0);
        set_mask(s, TS_PCI_PREF_BASE_UPPER32, 4, 0xffffffff, 0);
        set_mask(s, TS_PCI_PREF_LIMIT_UPPER32, 4, 0xffffffff, 0);
        set_mask(s, TS_PCI_IO_BASE_UPPER16, 2, 0xffff, 0);
        set_mask(s, TS_PCI_IO_LIMIT_UPPER16, 2, 0xffff, 0);
        set_mask(s, TS_PCI_BRIDGE_CONTROL, 2, 0x0fff, 0);
        /* 16-bit I/O and 64-bit prefetchable windows, as QEMU's */
        c[TS_PCI_PREF_MEMORY_BASE] = c[TS_PCI_PREF_MEMORY_LIMIT] = 0x01;
    } else {
        uint16_t svid = pc->subsystem_vendor_id, sid = pc->subsystem_id;
        if (!svid && !sid) {
            svid = TS_PCI_VENDOR_ID_REDHAT_QUMRANET;
            sid = TS_PCI_SUBDEVICE_ID_QEMU;
        }
        ts_pci_set_word(c + TS_PCI_SUBSYSTEM_VENDOR_ID, svid);
        ts_pci_set_word(c + TS_PCI_SUBSYSTEM_ID, sid);
    }
    /* The standard header is not for capabilities. */
    memset(s->used, 1, 0x40);
}

/* The interrupt line as the guest sees it: the device's level unless
 * INTx is disabled. */
void pci_intx_update(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    uint16_t cmd = ts_pci_get_word(s->config + TS_PCI_COMMAND);
    uint8_t pin = s->config[TS_PCI_INTERRUPT_PIN];
    /* A function signalling by message does not use its pin. */
    bool route = s->intx_level && pin >= 1 && pin <= 4 &&
                 !(cmd & TS_PCI_COMMAND_INTX_DISABLE) &&
                 !ts_pci_msi_enabled(dev) && !ts_pci_msix_enabled(dev);
    if (route != s->intx_routed && dev->bus) {
        s->intx_routed = route;
        pci_bus_intx_change(dev->bus, ts_pci_slot(dev), pin - 1,
                            route ? 1 : -1);
    }
}

TS_EXPORT void ts_pci_set_irq(TsPciDevice *dev, int level)
{
    PciState *s = pci_state(dev);
    if (!s || !s->config[TS_PCI_INTERRUPT_PIN]) {
        return;
    }
    s->intx_level = level != 0;
    uint16_t st = ts_pci_get_word(s->config + TS_PCI_STATUS);
    st = s->intx_level ? st | TS_PCI_STATUS_INTERRUPT
                       : st & ~TS_PCI_STATUS_INTERRUPT;
    ts_pci_set_word(s->config + TS_PCI_STATUS, st);
    pci_intx_update(dev);
}

void pci_master_update(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    bool on = ts_pci_get_word(s->config + TS_PCI_COMMAND) &
              TS_PCI_COMMAND_MASTER;
    if (s->master_alias) {
        ts_memory_region_set_enabled(s->master_alias, on);
    }
}

TS_EXPORT uint32_t ts_pci_default_config_read(TsPciDevice *dev,
                                              uint32_t addr, unsigned len)
{
    PciState *s = pci_state(dev);
    if (!s || len == 0 || len > 4 || addr >= s->size ||
        len > s->size - addr) {
        return 0;
    }
    uint32_t val = 0;
    for (unsigned i = 0; i < len; i++) {
        val |= (uint32_t)s->config[addr + i] << (8 * i);
    }
    return val;
}

TS_EXPORT void ts_pci_default_config_write(TsPciDevice *dev, uint32_t addr,
                                           uint32_t val, unsigned len)
{
    PciState *s = pci_state(dev);
    if (!s || len == 0 || len > 4 || addr >= s->size ||
        len > s->size - addr) {
        return;
    }
    uint16_t old_cmd = ts_pci_get_word(s->config + TS_PCI_COMMAND);
    for (unsigned i = 0; i < len; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t wm = s->wmask[addr + i], w1c = s->w1cmask[addr + i];
        uint8_t *p = &s->config[addr + i];
        *p = (*p & ~(wm & ~w1c)) | (b & wm & ~w1c);
        *p &= ~(b & w1c);
    }
    uint16_t cmd = ts_pci_get_word(s->config + TS_PCI_COMMAND);
    uint16_t changed = old_cmd ^ cmd;
    if (pci_config_hits_bars(dev, addr, len) ||
        (changed & (TS_PCI_COMMAND_IO | TS_PCI_COMMAND_MEMORY))) {
        pci_bars_update(dev);
    }
    if (changed & TS_PCI_COMMAND_INTX_DISABLE) {
        pci_intx_update(dev);
    }
    if (changed & TS_PCI_COMMAND_MASTER) {
        pci_master_update(dev);
    }
    pci_msi_config_written(dev, addr, len);
    if (pci_is_bridge(dev) && addr < 0x40) {
        pci_bridge_update(dev);
    }
}

/* What a reset puts back: the writable parts of the standard header
 * (command, status, cache line, interrupt line, BARs, bridge
 * registers); identity and capabilities' read-only parts stay. */
void pci_config_reset(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    for (uint32_t off = TS_PCI_COMMAND; off < 0x40; off++) {
        if (off == TS_PCI_INTERRUPT_PIN) {
            continue;
        }
        s->config[off] &= ~(s->wmask[off] | s->w1cmask[off]);
    }
    s->intx_level = 0;
    uint16_t st = ts_pci_get_word(s->config + TS_PCI_STATUS);
    ts_pci_set_word(s->config + TS_PCI_STATUS,
                    st & ~TS_PCI_STATUS_INTERRUPT);
    pci_intx_update(dev);
    pci_master_update(dev);
    pci_bars_reset(dev);
    if (pci_is_bridge(dev)) {
        pci_bridge_update(dev);
    }
}
