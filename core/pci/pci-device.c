/*
 * core/pci/pci-device.c - the "pci-device" base type: its properties
 * (addr, multifunction, bus), plugging into a bus at a devfn with
 * QEMU's checks and messages, the bus master address space, and the
 * realize/unrealize/reset that wrap the class's hooks.
 */
#include "pci-internal.h"
#include "object/object-hooks.h"
#include "device/devices.h"
#include "machine/machine-lifecycle.h"
#include <errno.h>
#include <stdlib.h>

static const char *type_name(TsPciDevice *dev)
{
    return ts_object_type_name(TS_OBJECT(dev));
}

/* "SLOT[.FN]" in hex, slot < 32, fn < 8; -1 if it is not that. */
static int parse_addr(const char *s)
{
    char *end;
    errno = 0;
    unsigned long slot = strtoul(s, &end, 16);
    unsigned long fn = 0;
    if (end == s || errno || slot > 0x1f || !g_ascii_isxdigit(*s)) {
        return -1;
    }
    if (*end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        if (end == f || !g_ascii_isxdigit(*f) || fn > 7) {
            return -1;
        }
    }
    return *end ? -1 : (int)(slot << 3 | fn);
}

/* The bus the device asked for, QEMU's words when there is none. */
static TsPciBus *choose_bus(TsPciDevice *dev, GError **errp)
{
    if (dev->bus_prop) {
        TsPciBus *bus = pci_bus_by_name(dev->bus_prop);
        if (!bus) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "Bus '%s' not found", dev->bus_prop);
        }
        return bus;
    }
    TsPciBus *bus = pci_default_bus();
    if (!bus) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "No 'PCI' bus found for device '%s'", type_name(dev));
    }
    return bus;
}

static const char *id_of(TsPciDevice *dev)
{
    TsObject *obj = TS_OBJECT(dev);
    /* Only -device id= names count (QEMU prints "(null)" otherwise). */
    return obj->parent && obj->parent->name &&
           g_str_equal(obj->parent->name, "peripheral") ? obj->name
                                                        : "(null)";
}

/* After start-up a device goes only where a slot can take it while the
 * guest runs (a root port with hotplug=on); QEMU's words otherwise. */
static bool hotplug_allowed(TsPciBus *bus, GError **errp)
{
    if (!machine_creation_done() || bus->plugged) {
        return true;
    }
    if (bus->bridge && bus->express) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Hot-plug failed: unsupported by the port device '%s'",
                    id_of(bus->bridge));
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Bus '%s' does not support hotplugging", bus->name);
    }
    return false;
}

static bool is_multifunction(TsPciDevice *d)
{
    return pci_state(d)->config[TS_PCI_HEADER_TYPE] &
           TS_PCI_HEADER_TYPE_MULTI_FUNCTION;
}

/* A free devfn on `bus` (the one asked for, or the first free slot), or
 * -1 + errp with QEMU's messages. */
static int choose_devfn(TsPciDevice *dev, TsPciBus *bus, GError **errp)
{
    int devfn;
    if (dev->addr_prop) {
        devfn = parse_addr(dev->addr_prop);
        if (devfn < 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Property '%s.addr' doesn't take value '%s'",
                        type_name(dev), dev->addr_prop);
            return -1;
        }
    } else {
        for (devfn = 0; devfn < PCI_DEVFN_MAX; devfn += 8) {
            if (!bus->devices[devfn]) {
                break;
            }
        }
        if (devfn >= PCI_DEVFN_MAX) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "PCI: no slot/function available for %s, all in use "
                        "or reserved", type_name(dev));
            return -1;
        }
    }
    /* Below a PCI Express port there is one slot: device 0. */
    if (bus->bridge && bus->express && (devfn >> 3) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "PCI: slot %d is not valid for %s, parent device only "
                    "allows plugging into slot 0.", devfn >> 3,
                    type_name(dev));
        return -1;
    }
    TsPciDevice *other = bus->devices[devfn];
    if (other) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "PCI: slot %d function %d not available for %s, in use "
                    "by %s,id=%s", devfn >> 3, devfn & 7, type_name(dev),
                    type_name(other), id_of(other));
        return -1;
    }
    unsigned slot = devfn & ~7;
    if ((devfn & 7) && bus->devices[slot] &&
        !is_multifunction(bus->devices[slot])) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "PCI: single function device can't be populated in "
                    "function %x.%x", devfn >> 3, devfn & 7);
        return -1;
    }
    if (!(devfn & 7) && !dev->multifunction) {
        for (unsigned fn = 1; fn < 8; fn++) {
            if (bus->devices[slot + fn]) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "PCI: %x.0 indicates single function, but %x.%x "
                            "is already populated.", devfn >> 3, devfn >> 3,
                            fn);
                return -1;
            }
        }
    }
    return devfn;
}

static void master_as_create(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    g_autofree char *name = g_strdup_printf("%s bus master", s->name);
    s->master_root = ts_memory_region_new_container(name, UINT64_MAX);
    s->master_alias = ts_memory_region_new_alias("bus master enable",
                                                 dev->bus->root->dma_root, 0,
                                                 UINT64_MAX);
    ts_memory_region_set_enabled(s->master_alias, false);
    ts_memory_region_add_subregion(s->master_root, 0, s->master_alias, 0);
    s->master_as = ts_address_space_new(name, s->master_root);
}

static void master_as_free(PciState *s)
{
    ts_address_space_free(s->master_as);
    ts_memory_region_unref(s->master_alias);
    ts_memory_region_unref(s->master_root);
    s->master_as = NULL;
    s->master_alias = s->master_root = NULL;
}

/* Everything the core gave the device, in reverse. */
static void pci_teardown(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    if (s->secondary) {
        /* What sits behind a bridge goes with it. */
        for (unsigned devfn = 0; devfn < PCI_DEVFN_MAX; devfn++) {
            TsPciDevice *child = s->secondary->devices[devfn];
            if (child) {
                ts_device_unrealize(TS_DEVICE(child));
            }
        }
        pci_bridge_release(dev);
    }
    if (s->intx_routed) {
        s->intx_level = 0;
        pci_intx_update(dev);
    }
    pci_msi_release(dev);
    pci_bars_release(dev);
    if (dev->bus && dev->bus->devices[dev->devfn] == dev) {
        dev->bus->devices[dev->devfn] = NULL;
    }
    master_as_free(s);
    g_free(s->name);
    g_free(s);
    dev->priv = NULL;
    dev->bus = NULL;
}

static bool pci_device_realize(TsDevice *d, GError **errp)
{
    TsPciDevice *dev = (TsPciDevice *)d;
    TsPciDeviceClass *pc = pci_class(dev);
    TsPciBus *bus = choose_bus(dev, errp);
    if (!bus || !hotplug_allowed(bus, errp)) {
        return false;
    }
    /* Header first: the multi-function checks read function 0's. */
    PciState *s = g_new0(PciState, 1);
    dev->priv = s;
    /* An express function keeps its 4 KiB below a conventional bus too
     * (its capabilities are there); the guest just cannot reach the
     * extended part through it (pci-host.c). */
    s->size = pc->express ? TS_PCIE_CONFIG_SPACE_SIZE
                          : TS_PCI_CONFIG_SPACE_SIZE;
    TsObject *obj = TS_OBJECT(dev);
    s->name = g_strdup(obj->parent && g_strcmp0(obj->parent->name,
                                                "peripheral") == 0
                       ? obj->name : type_name(dev));
    pci_config_init_header(dev);
    int devfn = choose_devfn(dev, bus, errp);
    if (devfn < 0) {
        g_free(s->name);
        g_free(s);
        dev->priv = NULL;
        return false;
    }
    dev->bus = bus;
    dev->devfn = (uint8_t)devfn;
    bus->devices[devfn] = dev;
    master_as_create(dev);
    if (pc->realize && !pc->realize(dev, errp)) {
        pci_teardown(dev);
        return false;
    }
    if (bus->plugged) {
        bus->plugged(bus->bridge, dev);
    }
    return true;
}

/* device_del of a function in a hot-plug slot waits for the guest;
 * elsewhere it is refused, as QEMU does (the guest would not know). */
static int pci_unplug_request(TsDevice *d, GError **errp)
{
    TsPciDevice *dev = (TsPciDevice *)ts_object_dynamic_cast(
        TS_OBJECT(d), TS_TYPE_PCI_DEVICE);
    if (!dev || !dev->priv || !dev->bus) {
        return 0;
    }
    TsPciBus *bus = dev->bus;
    if (bus->unplug_request) {
        return bus->unplug_request(bus->bridge, dev, errp);
    }
    if (bus->bridge && bus->express) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Hot-unplug failed: unsupported by the port device '%s'",
                    id_of(bus->bridge));
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Bus '%s' does not support hotplugging", bus->name);
    }
    return -1;
}

static void pci_device_unrealize(TsDevice *d)
{
    TsPciDevice *dev = (TsPciDevice *)d;
    TsPciDeviceClass *pc = pci_class(dev);
    if (!dev->priv) {
        return;
    }
    /* Off the bus first: the guest reaches nothing while the device's
     * own unrealize releases its regions. */
    PciState *s = pci_state(dev);
    ts_memory_transaction_begin();
    uint16_t cmd = ts_pci_get_word(s->config + TS_PCI_COMMAND);
    ts_pci_set_word(s->config + TS_PCI_COMMAND,
                    cmd & ~(TS_PCI_COMMAND_IO | TS_PCI_COMMAND_MEMORY |
                            TS_PCI_COMMAND_MASTER));
    pci_bars_update(dev);
    pci_master_update(dev);
    ts_memory_transaction_commit();
    dev->bus->devices[dev->devfn] = NULL;
    if (pc->unrealize) {
        pc->unrealize(dev);
    }
    pci_teardown(dev);
}

static void pci_device_reset(TsDevice *d)
{
    TsPciDevice *dev = (TsPciDevice *)d;
    TsPciDeviceClass *pc = pci_class(dev);
    if (!dev->priv) {
        return;
    }
    pci_msi_reset(dev);
    pci_config_reset(dev);
    if (pc->reset) {
        pc->reset(dev);
    }
}

TS_EXPORT TsAddressSpace *ts_pci_device_dma_as(TsPciDevice *dev)
{
    return pci_state(dev) ? pci_state(dev)->master_as : NULL;
}

TS_EXPORT TsMemResult ts_pci_dma_read(TsPciDevice *dev, uint64_t addr,
                                      void *buf, size_t len)
{
    PciState *s = pci_state(dev);
    if (!s) {
        memset(buf, 0, len);
        return TS_MEM_UNASSIGNED;
    }
    return ts_dma_read(s->master_as, addr, buf, len);
}

TS_EXPORT TsMemResult ts_pci_dma_write(TsPciDevice *dev, uint64_t addr,
                                       const void *buf, size_t len)
{
    PciState *s = pci_state(dev);
    return s ? ts_dma_write(s->master_as, addr, buf, len)
             : TS_MEM_UNASSIGNED;
}

static const TsProperty pci_device_props[] = {
    TS_PROP_STRING("addr", TsPciDevice, addr_prop, NULL,
                   "Slot and optional function number, example: 06.0 or "
                   "06"),
    TS_PROP_BOOL("multifunction", TsPciDevice, multifunction, false,
                 "on/off"),
    TS_PROP_STRING("bus", TsPciDevice, bus_prop, NULL,
                   "PCI bus (a root bus or the id of a bridge or port)"),
    TS_PROP_END,
};

static void pci_device_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->realize = pci_device_realize;
    dc->unrealize = pci_device_unrealize;
    dc->reset = pci_device_reset;
    ts_class_add_properties(klass, pci_device_props);
}

static const TsTypeInfo pci_device_type = {
    .name = TS_TYPE_PCI_DEVICE,
    .parent = TS_TYPE_DEVICE,
    .description = "PCI function: config space, BARs, INTx, MSI/MSI-X, DMA",
    .abstract = true,
    .instance_size = sizeof(TsPciDevice),
    .class_size = sizeof(TsPciDeviceClass),
    .class_init = pci_device_class_init,
};

static void pci_device_types_init(void)
{
    object_core_type(&pci_device_type);
    device_set_unplug_request(pci_unplug_request);
}
OBJECT_CORE_INIT(pci_device_types_init)
