/*
 * core/pci/pci-bridge-types.c - the bridges a user can plug: pci-bridge
 * (a conventional PCI-to-PCI bridge, 1b36:0001) and pcie-root-port (a
 * PCI Express root port, 1b36:000c, one slot below it), with QEMU's ids,
 * properties and refusals, and the root port's native hot-plug slot
 * (PCI Express 4.0, 6.7): a function plugged into it is announced by
 * presence detect and link state changes; device_del presses the
 * attention button and the function goes when the guest powers the slot
 * off, with DEVICE_DELETED.
 */
#include "pci-internal.h"
#include "object/object-hooks.h"
#include "device/devices.h"
#include <tessera/loop.h>

#define TYPE_PCI_BRIDGE "pci-bridge"
#define TYPE_PCIE_ROOT_PORT "pcie-root-port"

typedef struct PciBridgeDev {
    TsPciDevice parent;
    int64_t chassis_nr;         /* pci-bridge: "chassis_nr" */
    int64_t chassis, slot, port;    /* pcie-root-port */
    bool hotplug;                   /* "hotplug" */
    bool shpc;                      /* pci-bridge: "shpc" */
    uint8_t exp_cap;
    bool unplug_pending;            /* the attention button was pressed */
    bool hp_level;                  /* a hot-plug event is signalled */
    TsBH *unplug_bh;
} PciBridgeDev;

/* ---- pci-bridge ----------------------------------------------------- */

static bool pci_bridge_realize(TsPciDevice *dev, GError **errp)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    if (b->chassis_nr == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Bridge chassis not specified. Each bridge is required "
                    "to be assigned a unique chassis id > 0.");
        return false;
    }
    if (b->shpc) {
        /* QEMU's default is on; without the controller, say so rather
         * than pretend the bridge's slots could take a hot-plug. */
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "pci-bridge: shpc=on (the standard hot-plug controller) "
                    "is not supported");
        return false;
    }
    if (!pci_bridge_init(dev, false, errp)) {
        return false;
    }
    /* Slot identification: the chassis the bridge's slots are in. */
    uint8_t at = ts_pci_add_capability(dev, 0x04, 0, 4, errp);
    if (!at) {
        return false;
    }
    uint8_t *c = ts_pci_config(dev);
    c[at + 2] = 0x20 | 0x1f;    /* first in chassis, 31 expansion slots */
    c[at + 3] = (uint8_t)b->chassis_nr;
    ts_pci_set_config_mask(dev, at + 3, 1, 0xff, 0);
    g_autoptr(GError) err = NULL;
    if (!ts_pci_add_msi(dev, 1, true, true, 0, &err) &&
        !g_error_matches(err, TS_ERROR, TS_ERROR_UNSUPPORTED)) {
        g_propagate_error(errp, g_steal_pointer(&err));
        return false;
    }
    return true;
}

static const TsProperty pci_bridge_props[] = {
    TS_PROP_INT("chassis_nr", PciBridgeDev, chassis_nr, 0, 0, 255,
                "chassis number (required, unique, > 0)"),
    TS_PROP_BOOL("shpc", PciBridgeDev, shpc, false,
                 "standard hot-plug controller (not supported: off)"),
    TS_PROP_END,
};

static void pci_bridge_class_init(TsObjectClass *klass, const void *data)
{
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = TS_PCI_VENDOR_ID_REDHAT;
    pc->device_id = 0x0001;
    pc->class_id = TS_PCI_CLASS_BRIDGE_PCI;
    pc->header_type = TS_PCI_HEADER_TYPE_BRIDGE;
    ((TsDeviceClass *)klass)->categories = TS_DEVICE_CATEGORY_BRIDGE;
    pc->realize = pci_bridge_realize;   /* no INTx pin, as QEMU's */
    ts_class_add_properties(klass, pci_bridge_props);
}

/* ---- pcie-root-port ------------------------------------------------- */

enum {
    EXP_LNKSTA = 0x12,
    LNKSTA_DLLLA = 0x2000,      /* data link layer link active */
    EXP_SLTCAP = 0x14, EXP_SLTCTL = 0x18, EXP_SLTSTA = 0x1a,
    EXP_RTCTL = 0x1c,
    /* slot capabilities as QEMU's: attention button, power controller,
     * attention and power indicators, hot-plug surprise, hot-plug
     * capable, electromechanical interlock */
    SLTCAP_HOTPLUG = 0x01 | 0x02 | 0x08 | 0x10 | 0x20 | 0x40 | 0x20000,
    SLTCTL_HPIE = 0x0020,       /* hot-plug interrupt enable */
    SLTCTL_PIC = 0x0300,        /* power indicator control */
    SLTCTL_PCC = 0x0400,        /* power controller: 1 = off */
    SLTCTL_DLLSCE = 0x1000,
    SLTSTA_ABP = 0x0001,        /* attention button pressed */
    SLTSTA_PDC = 0x0008,        /* presence detect changed */
    SLTSTA_CC = 0x0010,         /* command completed */
    SLTSTA_PDS = 0x0040,        /* presence detect state */
    SLTSTA_DLLSC = 0x0100,      /* data link layer state changed */
    SLTSTA_EVENTS = 0x001f,     /* the ones enabled by SLTCTL's 0x1f */
};

static bool slot_occupied(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    if (!s->secondary) {
        return false;
    }
    for (unsigned fn = 0; fn < 8; fn++) {
        if (s->secondary->devices[fn]) {
            return true;
        }
    }
    return false;
}

static uint16_t slot_reg(TsPciDevice *dev, unsigned off)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    return ts_pci_get_word(ts_pci_config(dev) + b->exp_cap + off);
}

static void slot_set(TsPciDevice *dev, unsigned off, uint16_t v)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    ts_pci_set_word(ts_pci_config(dev) + b->exp_cap + off, v);
}

/* A hot-plug interrupt while an enabled event is pending: a message on
 * its rising edge when the guest enabled MSI-X/MSI, else INTA's level. */
static void hotplug_update_irq(TsPciDevice *dev)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    uint16_t ctl = slot_reg(dev, EXP_SLTCTL), sta = slot_reg(dev, EXP_SLTSTA);
    bool pending = (ctl & SLTCTL_HPIE) &&
                   ((sta & ctl & SLTSTA_EVENTS) ||
                    ((sta & SLTSTA_DLLSC) && (ctl & SLTCTL_DLLSCE)));
    if (ts_pci_msi_vectors(dev)) {
        ts_pci_set_irq(dev, 0);
        if (pending && !b->hp_level) {
            ts_pci_msi_notify(dev, 0);
        }
    } else {
        ts_pci_set_irq(dev, pending);
    }
    b->hp_level = pending;
}

static void hotplug_event(TsPciDevice *dev, uint16_t events)
{
    slot_set(dev, EXP_SLTSTA, slot_reg(dev, EXP_SLTSTA) | events);
    hotplug_update_irq(dev);
}

/* A function arrived in the slot (at start-up too: the guest's hot-plug
 * driver clears the events when it starts). */
static void root_port_plugged(TsPciDevice *bridge, TsPciDevice *dev)
{
    hotplug_event(bridge, SLTSTA_PDC | SLTSTA_DLLSC);
}

static int root_port_unplug_request(TsPciDevice *bridge, TsPciDevice *dev,
                                    GError **errp)
{
    PciBridgeDev *b = (PciBridgeDev *)bridge;
    b->unplug_pending = true;
    hotplug_event(bridge, SLTSTA_ABP);
    return 1;
}

/* The guest powered the slot off after a request: the functions go (from
 * the main loop, not from inside the config write that did it). */
static void root_port_unplug_bh(void *opaque)
{
    TsPciDevice *dev = opaque;
    PciBridgeDev *b = opaque;
    PciState *s = pci_state(dev);
    if (!b->unplug_pending || !s || !s->secondary) {
        return;
    }
    b->unplug_pending = false;
    for (unsigned fn = 0; fn < 8; fn++) {
        TsPciDevice *f = s->secondary->devices[fn];
        if (f) {
            device_unplug_finish(TS_DEVICE(f));
        }
    }
    hotplug_event(dev, SLTSTA_PDC | SLTSTA_DLLSC);
}

static void root_port_config_write(TsPciDevice *dev, uint32_t addr,
                                   uint32_t val, unsigned len)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    uint32_t ctl_at = b->exp_cap + EXP_SLTCTL;
    bool slot = b->exp_cap && b->hotplug && addr < ctl_at + 4 &&
                ctl_at < addr + len;
    uint16_t old_ctl = slot ? slot_reg(dev, EXP_SLTCTL) : 0;
    ts_pci_default_config_write(dev, addr, val, len);
    if (!slot) {
        return;
    }
    uint16_t ctl = slot_reg(dev, EXP_SLTCTL);
    if (addr < ctl_at + 2 && ctl_at < addr + len) {
        /* every slot control write completes at once */
        slot_set(dev, EXP_SLTSTA, slot_reg(dev, EXP_SLTSTA) | SLTSTA_CC);
        if ((ctl & SLTCTL_PCC) && !(old_ctl & SLTCTL_PCC) &&
            b->unplug_pending) {
            ts_bh_schedule(b->unplug_bh);
        }
    }
    hotplug_update_irq(dev);
}

/* The windows start closed (base above limit), as QEMU's root port;
 * the slot is powered with no event pending. */
static void root_port_reset(TsPciDevice *dev)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    uint8_t *c = ts_pci_config(dev);
    if (b->exp_cap) {
        slot_set(dev, EXP_SLTCTL, 0);
        slot_set(dev, EXP_SLTSTA, 0);
        b->hp_level = false;
        b->unplug_pending = false;
    }
    c[TS_PCI_IO_BASE] = 0xf0;
    ts_pci_set_word(c + TS_PCI_MEMORY_BASE, 0xfff0);
    ts_pci_set_word(c + TS_PCI_PREF_MEMORY_BASE, 0xfff1);
    pci_bridge_update(dev);
}

static bool root_port_realize(TsPciDevice *dev, GError **errp)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    if (!pci_bridge_init(dev, true, errp)) {
        return false;
    }
    /* MSI-X in BAR 0; without an MSI controller QEMU keeps the 4 KiB
     * BAR all the same, and so do we, so the guest sees the same
     * resources. */
    g_autoptr(GError) err = NULL;
    if (!ts_pci_add_msix_bar(dev, 1, 0, 0, &err)) {
        if (!g_error_matches(err, TS_ERROR, TS_ERROR_UNSUPPORTED)) {
            g_propagate_error(errp, g_steal_pointer(&err));
            return false;
        }
        TsMemoryRegion *mr = ts_memory_region_new_container(
            "pcie-root-port-msix", 0x1000);
        bool ok = ts_pci_register_bar(dev, 0, TS_PCI_BAR_MEM32, mr, errp);
        ts_memory_region_unref(mr);
        if (!ok) {
            return false;
        }
    }
    b->exp_cap = ts_pcie_add_express_capability(dev, TS_PCIE_TYPE_ROOT_PORT,
                                                0, errp);
    /* A bridge's subsystem ids live in a capability: QEMU's says
     * 1b36:0000. */
    uint8_t ssvid = b->exp_cap ? ts_pci_add_capability(dev,
                                                       TS_PCI_CAP_ID_SSVID,
                                                       0, 8, errp) : 0;
    if (!ssvid) {
        return false;
    }
    ts_pci_set_word(ts_pci_config(dev) + ssvid + 4, TS_PCI_VENDOR_ID_REDHAT);
    uint8_t *c = ts_pci_config(dev) + b->exp_cap;
    /* link: port number; slot: its physical number, no hot-plug */
    ts_pci_set_long(c + 0x0c, ts_pci_get_long(c + 0x0c) |
                    (uint32_t)b->port << 24);
    ts_pci_set_long(c + EXP_SLTCAP, (uint32_t)b->slot << 19 |
                    (b->hotplug ? SLTCAP_HOTPLUG : 0));
    if (b->hotplug) {
        PciState *s = pci_state(dev);
        s->secondary->plugged = root_port_plugged;
        s->secondary->unplug_request = root_port_unplug_request;
        b->unplug_bh = ts_bh_new("pcie-root-port unplug",
                                 root_port_unplug_bh, dev);
    }
    ts_pci_set_config_mask(dev, b->exp_cap + EXP_SLTCTL, 2, 0x1fff, 0);
    ts_pci_set_config_mask(dev, b->exp_cap + EXP_SLTSTA, 2, 0, 0x011f);
    ts_pci_set_config_mask(dev, b->exp_cap + EXP_RTCTL, 2, 0x001f, 0);
    root_port_reset(dev);
    return true;
}

/* Presence detect follows what sits in the slot, the link what is
 * there and powered. */
static uint32_t root_port_config_read(TsPciDevice *dev, uint32_t addr,
                                      unsigned len)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    if (b->exp_cap) {
        bool present = slot_occupied(dev);
        uint16_t sta = slot_reg(dev, EXP_SLTSTA) & ~SLTSTA_PDS;
        slot_set(dev, EXP_SLTSTA, sta | (present ? SLTSTA_PDS : 0));
        bool up = present && !(slot_reg(dev, EXP_SLTCTL) & SLTCTL_PCC);
        uint16_t lnk = slot_reg(dev, EXP_LNKSTA) & ~LNKSTA_DLLLA;
        slot_set(dev, EXP_LNKSTA, lnk | (up ? LNKSTA_DLLLA : 0));
    }
    return ts_pci_default_config_read(dev, addr, len);
}

static void root_port_unrealize(TsPciDevice *dev)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    if (b->unplug_bh) {
        ts_bh_free(b->unplug_bh);
        b->unplug_bh = NULL;
    }
}

static const TsProperty root_port_props[] = {
    TS_PROP_INT("chassis", PciBridgeDev, chassis, 0, 0, 255,
                "chassis number"),
    TS_PROP_INT("slot", PciBridgeDev, slot, 0, 0, 8191,
                "physical slot number"),
    TS_PROP_INT("port", PciBridgeDev, port, 0, 0, 255, "port number"),
    TS_PROP_BOOL("hotplug", PciBridgeDev, hotplug, true,
                 "native PCI Express hot-plug of the slot"),
    TS_PROP_END,
};

static void root_port_class_init(TsObjectClass *klass, const void *data)
{
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = TS_PCI_VENDOR_ID_REDHAT;
    pc->device_id = 0x000c;
    pc->class_id = TS_PCI_CLASS_BRIDGE_PCI;
    pc->header_type = TS_PCI_HEADER_TYPE_BRIDGE;
    ((TsDeviceClass *)klass)->categories = TS_DEVICE_CATEGORY_BRIDGE;
    pc->interrupt_pin = 1;
    pc->express = true;
    pc->realize = root_port_realize;
    pc->reset = root_port_reset;
    pc->config_read = root_port_config_read;
    pc->config_write = root_port_config_write;
    pc->unrealize = root_port_unrealize;
    ts_class_add_properties(klass, root_port_props);
}

static const TsTypeInfo bridge_types[] = {
    { .name = TYPE_PCI_BRIDGE, .parent = TS_TYPE_PCI_DEVICE,
      .description = "Standard PCI Bridge",
      .instance_size = sizeof(PciBridgeDev),
      .class_init = pci_bridge_class_init },
    { .name = TYPE_PCIE_ROOT_PORT, .parent = TS_TYPE_PCI_DEVICE,
      .description = "PCI Express Root Port",
      .instance_size = sizeof(PciBridgeDev),
      .class_init = root_port_class_init },
};

static void pci_bridge_types_init(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(bridge_types); i++) {
        object_core_type(&bridge_types[i]);
    }
}
OBJECT_CORE_INIT(pci_bridge_types_init)
