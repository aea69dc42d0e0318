/*
 * core/pci/pci-monitor.c - `info pci` and `query-pci`, in QEMU's shapes:
 * every function of every root bus in devfn order, a bridge's secondary
 * bus after the bridge, BARs with the addresses they decode at (-1 when
 * not mapped).
 */
#include "pci-internal.h"
#include "monitor/hmp.h"
#include "monitor/qmp.h"

/* The class names QEMU's monitor prints; other classes print as
 * "Class NNNN" (the class code in decimal, as QEMU does). */
static const struct {
    uint16_t class_id;
    const char *desc;
} class_names[] = {
    { 0x0100, "SCSI controller" },
    { 0x0101, "IDE controller" },
    { 0x0104, "RAID controller" },
    { 0x0106, "SATA controller" },
    { 0x0180, "Storage controller" },
    { 0x0200, "Ethernet controller" },
    { 0x0280, "Network controller" },
    { 0x0300, "VGA controller" },
    { 0x0380, "Display controller" },
    { 0x0401, "Audio controller" },
    { 0x0403, "Audio controller" },
    { 0x0500, "RAM controller" },
    { 0x0600, "Host bridge" },
    { 0x0601, "ISA bridge" },
    { 0x0604, "PCI bridge" },
    { 0x0700, "Serial port" },
    { 0x0c03, "USB controller" },
};

static const char *class_desc(uint16_t class_id)
{
    for (size_t i = 0; i < G_N_ELEMENTS(class_names); i++) {
        if (class_names[i].class_id == class_id) {
            return class_names[i].desc;
        }
    }
    return NULL;
}

static const char *qdev_id(TsPciDevice *dev)
{
    TsObject *obj = TS_OBJECT(dev);
    return obj->parent && g_strcmp0(obj->parent->name, "peripheral") == 0
           ? obj->name : "";
}

/* A bridge window [base, limit] from its registers, as QEMU shows it
 * (even when empty). */
typedef struct Range {
    uint64_t base, limit;
} Range;

static Range bridge_io(const uint8_t *c)
{
    Range r = {
        (uint64_t)(c[TS_PCI_IO_BASE] & 0xf0) << 8,
        (uint64_t)(c[TS_PCI_IO_LIMIT] & 0xf0) << 8 | 0xfff,
    };
    if (c[TS_PCI_IO_BASE] & 1) {
        r.base |= (uint64_t)ts_pci_get_word(c + TS_PCI_IO_BASE_UPPER16) << 16;
        r.limit |= (uint64_t)ts_pci_get_word(c + TS_PCI_IO_LIMIT_UPPER16)
                   << 16;
    }
    return r;
}

static Range bridge_mem(const uint8_t *c)
{
    return (Range){
        (uint64_t)(ts_pci_get_word(c + TS_PCI_MEMORY_BASE) & 0xfff0) << 16,
        (uint64_t)(ts_pci_get_word(c + TS_PCI_MEMORY_LIMIT) & 0xfff0) << 16 |
        0xfffff,
    };
}

static Range bridge_pref(const uint8_t *c)
{
    Range r = {
        (uint64_t)(ts_pci_get_word(c + TS_PCI_PREF_MEMORY_BASE) & 0xfff0)
        << 16,
        (uint64_t)(ts_pci_get_word(c + TS_PCI_PREF_MEMORY_LIMIT) & 0xfff0)
        << 16 | 0xfffff,
    };
    if (c[TS_PCI_PREF_MEMORY_BASE] & 1) {
        r.base |= (uint64_t)ts_pci_get_long(c + TS_PCI_PREF_BASE_UPPER32)
                  << 32;
        r.limit |= (uint64_t)ts_pci_get_long(c + TS_PCI_PREF_LIMIT_UPPER32)
                   << 32;
    }
    return r;
}

/* ---- info pci ------------------------------------------------------- */

static void hmp_bus(HmpCall *c, TsPciBus *bus);

static void hmp_device(HmpCall *c, TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    const uint8_t *cf = s->config;
    uint16_t class_id = ts_pci_get_word(cf + TS_PCI_CLASS_DEVICE);
    const char *desc = class_desc(class_id);
    hmp_printf(c, "  Bus %2d, device %3d, function %d:\n",
               ts_pci_device_bus_number(dev), ts_pci_slot(dev),
               ts_pci_func(dev));
    if (desc) {
        hmp_printf(c, "    %s", desc);
    } else {
        hmp_printf(c, "    Class %04d", class_id);
    }
    hmp_printf(c, ": PCI device %04x:%04x\n",
               ts_pci_get_word(cf + TS_PCI_VENDOR_ID),
               ts_pci_get_word(cf + TS_PCI_DEVICE_ID));
    if (!pci_is_bridge(dev)) {
        hmp_printf(c, "      PCI subsystem %04x:%04x\n",
                   ts_pci_get_word(cf + TS_PCI_SUBSYSTEM_VENDOR_ID),
                   ts_pci_get_word(cf + TS_PCI_SUBSYSTEM_ID));
    }
    if (cf[TS_PCI_INTERRUPT_PIN]) {
        hmp_printf(c, "      IRQ %d, pin %c\n", cf[TS_PCI_INTERRUPT_LINE],
                   'A' + cf[TS_PCI_INTERRUPT_PIN] - 1);
    }
    if (pci_is_bridge(dev)) {
        Range io = bridge_io(cf), mem = bridge_mem(cf),
              pref = bridge_pref(cf);
        hmp_printf(c, "      BUS %d.\n      secondary bus %d.\n"
                   "      subordinate bus %d.\n",
                   cf[TS_PCI_PRIMARY_BUS], cf[TS_PCI_SECONDARY_BUS],
                   cf[TS_PCI_SUBORDINATE_BUS]);
        hmp_printf(c, "      IO range [0x%04" PRIx64 ", 0x%04" PRIx64 "]\n",
                   io.base, io.limit);
        hmp_printf(c, "      memory range [0x%08" PRIx64 ", 0x%08" PRIx64
                   "]\n", mem.base, mem.limit);
        hmp_printf(c, "      prefetchable memory range [0x%08" PRIx64
                   ", 0x%08" PRIx64 "]\n", pref.base, pref.limit);
    }
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        PciBar *b = &s->bars[i];
        if (!b->mr) {
            continue;
        }
        /* the end wraps for an unmapped BAR, as QEMU prints it */
        uint64_t end = b->addr + b->size - 1;
        if (b->type & TS_PCI_BAR_IO) {
            hmp_printf(c, "      BAR%u: I/O at 0x%04" PRIx64 " [0x%04" PRIx64
                       "].\n", i, b->addr, end);
        } else {
            hmp_printf(c, "      BAR%u: %d bit%s memory at 0x%08" PRIx64
                       " [0x%08" PRIx64 "].\n", i,
                       (b->type & TS_PCI_BAR_MEM64) ? 64 : 32,
                       (b->type & TS_PCI_BAR_PREFETCH) ? " prefetchable" : "",
                       b->addr, end);
        }
    }
    hmp_printf(c, "      id \"%s\"\n", qdev_id(dev));
    /* What is behind a bridge shows once the guest numbered its bus. */
    if (s->secondary && cf[TS_PCI_SECONDARY_BUS]) {
        hmp_bus(c, s->secondary);
    }
}

static void hmp_bus(HmpCall *c, TsPciBus *bus)
{
    for (unsigned devfn = 0; devfn < PCI_DEVFN_MAX; devfn++) {
        if (bus->devices[devfn] && bus->devices[devfn]->priv) {
            hmp_device(c, bus->devices[devfn]);
        }
    }
}

static void info_pci(HmpCall *c, const char *args)
{
    GPtrArray *roots = pci_root_buses();
    for (guint i = 0; i < roots->len; i++) {
        hmp_bus(c, g_ptr_array_index(roots, i));
    }
}

static const HmpCommand pci_info_commands[] = {
    { "pci", "", "show PCI info", info_pci },
    { NULL }
};
HMP_INFO_COMMANDS(pci_info_commands)

/* ---- query-pci ------------------------------------------------------ */

static JsonArray *qmp_devices(TsPciBus *bus);

static JsonObject *qmp_range(Range r)
{
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "base", (gint64)r.base);
    json_object_set_int_member(o, "limit", (gint64)r.limit);
    return o;
}

static JsonArray *qmp_regions(PciState *s)
{
    JsonArray *regions = json_array_new();
    for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
        PciBar *b = &s->bars[i];
        if (!b->mr) {
            continue;
        }
        JsonObject *r = json_object_new();
        if (!(b->type & TS_PCI_BAR_IO)) {
            json_object_set_boolean_member(r, "prefetch",
                                           b->type & TS_PCI_BAR_PREFETCH);
            json_object_set_boolean_member(r, "mem_type_64",
                                           b->type & TS_PCI_BAR_MEM64);
        }
        json_object_set_int_member(r, "bar", i);
        json_object_set_int_member(r, "size", (gint64)b->size);
        json_object_set_int_member(r, "address", (gint64)b->addr);
        json_object_set_string_member(r, "type", (b->type & TS_PCI_BAR_IO)
                                      ? "io" : "memory");
        json_array_add_object_element(regions, r);
    }
    return regions;
}

static JsonObject *qmp_bridge(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    const uint8_t *c = s->config;
    JsonObject *bus = json_object_new();
    json_object_set_int_member(bus, "number", c[TS_PCI_PRIMARY_BUS]);
    json_object_set_int_member(bus, "secondary", c[TS_PCI_SECONDARY_BUS]);
    json_object_set_int_member(bus, "subordinate",
                               c[TS_PCI_SUBORDINATE_BUS]);
    json_object_set_object_member(bus, "io_range", qmp_range(bridge_io(c)));
    json_object_set_object_member(bus, "memory_range",
                                  qmp_range(bridge_mem(c)));
    json_object_set_object_member(bus, "prefetchable_range",
                                  qmp_range(bridge_pref(c)));
    JsonObject *br = json_object_new();
    json_object_set_object_member(br, "bus", bus);
    if (s->secondary && c[TS_PCI_SECONDARY_BUS]) {
        json_object_set_array_member(br, "devices",
                                     qmp_devices(s->secondary));
    }
    return br;
}

static JsonObject *qmp_device(TsPciDevice *dev)
{
    PciState *s = pci_state(dev);
    const uint8_t *c = s->config;
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "bus", ts_pci_device_bus_number(dev));
    json_object_set_int_member(o, "slot", ts_pci_slot(dev));
    json_object_set_int_member(o, "function", ts_pci_func(dev));
    JsonObject *ci = json_object_new();
    uint16_t class_id = ts_pci_get_word(c + TS_PCI_CLASS_DEVICE);
    if (class_desc(class_id)) {
        json_object_set_string_member(ci, "desc", class_desc(class_id));
    }
    json_object_set_int_member(ci, "class", class_id);
    json_object_set_object_member(o, "class_info", ci);
    JsonObject *id = json_object_new();
    json_object_set_int_member(id, "device",
                               ts_pci_get_word(c + TS_PCI_DEVICE_ID));
    json_object_set_int_member(id, "vendor",
                               ts_pci_get_word(c + TS_PCI_VENDOR_ID));
    if (!pci_is_bridge(dev)) {
        json_object_set_int_member(id, "subsystem",
                                   ts_pci_get_word(c + TS_PCI_SUBSYSTEM_ID));
        json_object_set_int_member(id, "subsystem-vendor",
                                   ts_pci_get_word(c +
                                                   TS_PCI_SUBSYSTEM_VENDOR_ID));
    }
    json_object_set_object_member(o, "id", id);
    if (c[TS_PCI_INTERRUPT_PIN]) {
        json_object_set_int_member(o, "irq", c[TS_PCI_INTERRUPT_LINE]);
    }
    json_object_set_int_member(o, "irq_pin", c[TS_PCI_INTERRUPT_PIN]);
    json_object_set_string_member(o, "qdev_id", qdev_id(dev));
    if (pci_is_bridge(dev)) {
        json_object_set_object_member(o, "pci_bridge", qmp_bridge(dev));
    }
    json_object_set_array_member(o, "regions", qmp_regions(s));
    return o;
}

static JsonArray *qmp_devices(TsPciBus *bus)
{
    JsonArray *list = json_array_new();
    for (unsigned devfn = 0; devfn < PCI_DEVFN_MAX; devfn++) {
        if (bus->devices[devfn] && bus->devices[devfn]->priv) {
            json_array_add_object_element(list,
                                          qmp_device(bus->devices[devfn]));
        }
    }
    return list;
}

static bool qmp_query_pci(JsonObject *args, JsonNode **ret, GError **errp)
{
    JsonArray *list = json_array_new();
    GPtrArray *roots = pci_root_buses();
    for (guint i = 0; i < roots->len; i++) {
        TsPciBus *bus = g_ptr_array_index(roots, i);
        JsonObject *o = json_object_new();
        json_object_set_int_member(o, "bus", pci_bus_number(bus));
        json_object_set_array_member(o, "devices", qmp_devices(bus));
        json_array_add_object_element(list, o);
    }
    *ret = qmp_array_node(list);
    return true;
}

static void pci_qmp_commands(void)
{
    qmp_register_command("query-pci", qmp_query_pci, QMP_CMD_NONE);
}
QMP_COMMANDS(pci_qmp_commands)
