/*
 * core/pci/pci-bridge-types.c - the bridges a user can plug: pci-bridge
 * (a conventional PCI-to-PCI bridge, 1b36:0001) and pcie-root-port (a
 * PCI Express root port, 1b36:000c, one slot below it), with QEMU's ids,
 * properties and refusals.  Hot-plug through the root port's slot is not
 * modelled yet: its slot says it is not hot-plug capable.
 */
#include "pci-internal.h"
#include "object/object-hooks.h"

#define TYPE_PCI_BRIDGE "pci-bridge"
#define TYPE_PCIE_ROOT_PORT "pcie-root-port"

typedef struct PciBridgeDev {
    TsPciDevice parent;
    int64_t chassis_nr;         /* pci-bridge: "chassis_nr" */
    int64_t chassis, slot, port;    /* pcie-root-port */
    uint8_t exp_cap;
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
    TS_PROP_END,
};

static void pci_bridge_class_init(TsObjectClass *klass, const void *data)
{
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = TS_PCI_VENDOR_ID_REDHAT;
    pc->device_id = 0x0001;
    pc->class_id = TS_PCI_CLASS_BRIDGE_PCI;
    pc->header_type = TS_PCI_HEADER_TYPE_BRIDGE;
    pc->realize = pci_bridge_realize;   /* no INTx pin, as QEMU's */
    ts_class_add_properties(klass, pci_bridge_props);
}

/* ---- pcie-root-port ------------------------------------------------- */

enum {
    EXP_SLTCAP = 0x14, EXP_SLTCTL = 0x18, EXP_SLTSTA = 0x1a,
    EXP_RTCTL = 0x1c,
    SLTSTA_PDS = 0x0040,        /* presence detect state */
};

/* The windows start closed (base above limit), as QEMU's root port. */
static void root_port_reset(TsPciDevice *dev)
{
    uint8_t *c = ts_pci_config(dev);
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
    ts_pci_set_long(c + EXP_SLTCAP, (uint32_t)b->slot << 19);
    ts_pci_set_config_mask(dev, b->exp_cap + EXP_SLTCTL, 2, 0x1fff, 0);
    ts_pci_set_config_mask(dev, b->exp_cap + EXP_SLTSTA, 2, 0, 0x011f);
    ts_pci_set_config_mask(dev, b->exp_cap + EXP_RTCTL, 2, 0x001f, 0);
    root_port_reset(dev);
    return true;
}

/* Presence detect follows what sits in the slot. */
static uint32_t root_port_config_read(TsPciDevice *dev, uint32_t addr,
                                      unsigned len)
{
    PciBridgeDev *b = (PciBridgeDev *)dev;
    PciState *s = pci_state(dev);
    uint32_t sta = b->exp_cap + EXP_SLTSTA;
    if (b->exp_cap && addr <= sta && sta < addr + len) {
        uint16_t v = ts_pci_get_word(s->config + sta) & ~SLTSTA_PDS;
        if (s->secondary && s->secondary->devices[0]) {
            v |= SLTSTA_PDS;
        }
        ts_pci_set_word(s->config + sta, v);
    }
    return ts_pci_default_config_read(dev, addr, len);
}

static const TsProperty root_port_props[] = {
    TS_PROP_INT("chassis", PciBridgeDev, chassis, 0, 0, 255,
                "chassis number"),
    TS_PROP_INT("slot", PciBridgeDev, slot, 0, 0, 8191,
                "physical slot number"),
    TS_PROP_INT("port", PciBridgeDev, port, 0, 0, 255, "port number"),
    TS_PROP_END,
};

static void root_port_class_init(TsObjectClass *klass, const void *data)
{
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = TS_PCI_VENDOR_ID_REDHAT;
    pc->device_id = 0x000c;
    pc->class_id = TS_PCI_CLASS_BRIDGE_PCI;
    pc->header_type = TS_PCI_HEADER_TYPE_BRIDGE;
    pc->interrupt_pin = 1;
    pc->express = true;
    pc->realize = root_port_realize;
    pc->reset = root_port_reset;
    pc->config_read = root_port_config_read;
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
