/*
 * test-pci.c - core/pci with a probe function defined here, on a root
 * bus whose memory window is mapped into system memory as the virt
 * board maps it: config space and masks, absent functions, BAR sizing
 * and mapping (over RAM, over each other), the capability lists, INTx
 * with the swizzle, MSI and MSI-X delivery and masking, bus mastering,
 * reset, and the addr=/multifunction= checks with QEMU's messages.
 */
#include "machine/machine-lifecycle.h"
#include "device/devices.h"
#include "object/object-hooks.h"

#include <tessera/tessera.h>

#define WIN_BASE  0x40000000ull    /* the memory window, bus addresses 1:1 */
#define WIN_SIZE  0x40000000ull
#define RAM_BASE  0x80000000ull
#define MSI_ADDR  (RAM_BASE + 0x1000)

typedef struct Probe {
    TsPciDevice parent;
    bool msix;
    bool msi;
    uint8_t msix_cap, msi_cap, vndr_cap;
    uint16_t dsn;
    int resets;
} Probe;

static uint64_t bar_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0xb0 + (uintptr_t)opaque;      /* which BAR answered */
}

static const TsMemoryOps bar_ops = {
    .read = bar_read,
    .valid_min = 1, .valid_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static bool probe_realize(TsPciDevice *dev, GError **errp)
{
    Probe *p = (Probe *)dev;
    TsMemoryRegion *b0 = ts_memory_region_new_mmio("probe-bar0", 0x1000,
                                                   &bar_ops, (void *)0);
    TsMemoryRegion *b1 = ts_memory_region_new_mmio("probe-io", 0x100,
                                                   &bar_ops, (void *)1);
    TsMemoryRegion *b2 = ts_memory_region_new_mmio("probe-bar2", 0x4000,
                                                   &bar_ops, (void *)2);
    bool ok = ts_pci_register_bar(dev, 0, TS_PCI_BAR_MEM32, b0, errp) &&
              ts_pci_register_bar(dev, 1, TS_PCI_BAR_IO, b1, errp) &&
              ts_pci_register_bar(dev, 2, TS_PCI_BAR_MEM64 |
                                  TS_PCI_BAR_PREFETCH, b2, errp);
    ts_memory_region_unref(b0);
    ts_memory_region_unref(b1);
    ts_memory_region_unref(b2);
    if (!ok || !ts_pcie_add_express_capability(dev, TS_PCIE_TYPE_ENDPOINT,
                                               0, errp)) {
        return false;
    }
    p->vndr_cap = ts_pci_add_capability(dev, TS_PCI_CAP_ID_VNDR, 0, 16,
                                        errp);
    if (!p->vndr_cap) {
        return false;
    }
    ts_pci_config(dev)[p->vndr_cap + 2] = 16;
    if (p->msi) {
        p->msi_cap = ts_pci_add_msi(dev, 4, true, true, 0, errp);
        if (!p->msi_cap) {
            return false;
        }
    }
    if (p->msix) {
        p->msix_cap = ts_pci_add_msix_bar(dev, 3, 4, 0, errp);
        if (!p->msix_cap) {
            return false;
        }
    }
    p->dsn = ts_pcie_add_ext_capability(dev, TS_PCI_EXT_CAP_ID_DSN, 1, 0,
                                        12, errp);
    return p->dsn != 0;
}

static void probe_reset(TsPciDevice *dev)
{
    ((Probe *)dev)->resets++;
}

static const TsProperty probe_props[] = {
    TS_PROP_BOOL("msix", Probe, msix, false, "offer MSI-X"),
    TS_PROP_BOOL("msi", Probe, msi, false, "offer MSI"),
    TS_PROP_END,
};

static void probe_class_init(TsObjectClass *klass, const void *data)
{
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = 0x1b36;
    pc->device_id = 0x00f0;
    pc->revision = 3;
    pc->class_id = 0x00ff;          /* what QEMU's pci-testdev says */
    pc->interrupt_pin = 1;
    pc->express = true;
    pc->realize = probe_realize;
    pc->reset = probe_reset;
    ts_class_add_properties(klass, probe_props);
}

static const TsTypeInfo probe_type = {
    .name = "pci-probe", .parent = TS_TYPE_PCI_DEVICE,
    .instance_size = sizeof(Probe), .class_init = probe_class_init,
};

/* The host side: a bus, its windows in system memory, four INTx lines. */
static TsPciBus *bus;
static TsMemoryRegion *pci_mem, *pci_io;
static int intx_level[4];

static void intx_handler(void *opaque, unsigned n, int level)
{
    intx_level[n] = level;
}

static void host_init(bool msi)
{
    TsMemoryRegion *sys = ts_machine_system_memory();
    TsMemoryRegion *ram = ts_memory_region_new_ram("ram", 0x100000, NULL);
    ts_memory_region_add_subregion(sys, RAM_BASE, ram, 0);
    ts_memory_region_unref(ram);
    pci_mem = ts_memory_region_new_container("pci-mem", UINT64_MAX);
    pci_io = ts_memory_region_new_container("pci-io", 0x10000);
    TsMemoryRegion *win = ts_memory_region_new_alias("win", pci_mem,
                                                     WIN_BASE, WIN_SIZE);
    ts_memory_region_add_subregion(sys, WIN_BASE, win, 0);
    ts_memory_region_unref(win);
    bus = ts_pci_root_bus_new(NULL, "pcie.0", pci_mem, pci_io, NULL, true,
                              NULL);
    g_assert_nonnull(bus);
    for (unsigned i = 0; i < 4; i++) {
        ts_pci_root_bus_set_intx(bus, i, ts_irq_new(intx_handler, NULL, i));
    }
    ts_pci_root_bus_set_msi(bus, msi);
}

static TsPciDevice *probe_try(const char *name, const char *props,
                              GError **errp)
{
    TsObject *obj = ts_object_new("pci-probe", NULL);
    g_assert_nonnull(obj);
    g_auto(GStrv) kv = g_strsplit(props ? props : "", ",", -1);
    for (char **p = kv; *p && **p; p++) {
        g_auto(GStrv) pair = g_strsplit(*p, "=", 2);
        g_assert_true(ts_object_set_prop(obj, pair[0], pair[1], NULL));
    }
    g_assert_true(ts_object_add_child(TS_OBJECT(ts_machine_current()), name,
                                      obj, NULL));
    ts_object_unref(obj);
    if (!ts_device_realize(TS_DEVICE(obj), errp)) {
        ts_object_remove_child(TS_OBJECT(ts_machine_current()), obj);
        return NULL;
    }
    return TS_PCI_DEVICE(obj);
}

static TsPciDevice *probe_new(const char *name, const char *props)
{
    g_autoptr(GError) err = NULL;
    TsPciDevice *dev = probe_try(name, props, &err);
    g_assert_no_error(err);
    return dev;
}

static void probe_destroy(TsPciDevice *dev)
{
    ts_object_remove_child(TS_OBJECT(ts_machine_current()), TS_OBJECT(dev));
}

static uint32_t cfg_read(TsPciDevice *dev, uint16_t reg, unsigned len)
{
    return ts_pci_host_config_read(bus, 0, dev->devfn, reg, len);
}

static void cfg_write(TsPciDevice *dev, uint16_t reg, uint32_t val,
                      unsigned len)
{
    ts_pci_host_config_write(bus, 0, dev->devfn, reg, val, len);
}

static uint64_t sys_load(uint64_t addr, unsigned size, TsMemResult *res)
{
    uint64_t val = 0;
    TsMemResult r = ts_address_space_load(ts_address_space_system(), addr,
                                          size, &val);
    if (res) {
        *res = r;
    }
    return val;
}

static void test_absent_functions(void)
{
    /* Nothing there: all-ones at every width, writes go nowhere. */
    g_assert_cmphex(ts_pci_host_config_read(bus, 0, 0x28, 0, 4), ==,
                    0xffffffff);
    g_assert_cmphex(ts_pci_host_config_read(bus, 0, 0x28, 2, 2), ==, 0xffff);
    g_assert_cmphex(ts_pci_host_config_read(bus, 7, 0, 0, 1), ==, 0xff);
    ts_pci_host_config_write(bus, 0, 0x28, 4, 0xffff, 2);
    /* misaligned or oversized accesses are refused, not split */
    TsPciDevice *dev = probe_new("p", NULL);
    g_assert_cmphex(ts_pci_host_config_read(bus, 0, dev->devfn, 1, 2), ==,
                    0xffff);
    g_assert_cmphex(ts_pci_host_config_read(bus, 0, dev->devfn, 0, 3), ==,
                    0xffffff);
    /* through the ECAM window too */
    TsMemoryRegion *ecam = ts_pci_host_ecam_region_new(bus, "ecam", 16);
    ts_memory_region_add_subregion(ts_machine_system_memory(), 0x30000000,
                                   ecam, 0);
    uint64_t where = 0x30000000 + ((uint64_t)dev->devfn << 12);
    g_assert_cmphex(sys_load(where, 4, NULL), ==, 0x00f01b36);
    g_assert_cmphex(sys_load(0x30000000 + (3 << 12), 4, NULL), ==,
                    0xffffffff);
    g_assert_cmphex(sys_load(0x30000000 + (2 << 20), 2, NULL), ==, 0xffff);
    ts_memory_region_remove_subregion(ts_machine_system_memory(), ecam);
    ts_memory_region_unref(ecam);
    probe_destroy(dev);
}

static void test_header(void)
{
    TsPciDevice *dev = probe_new("p", NULL);
    g_assert_cmpuint(dev->devfn, ==, 0);      /* first free slot */
    g_assert_cmphex(cfg_read(dev, TS_PCI_VENDOR_ID, 2), ==, 0x1b36);
    g_assert_cmphex(cfg_read(dev, TS_PCI_DEVICE_ID, 2), ==, 0x00f0);
    g_assert_cmphex(cfg_read(dev, TS_PCI_REVISION_ID, 1), ==, 3);
    g_assert_cmphex(cfg_read(dev, TS_PCI_CLASS_DEVICE, 2), ==, 0x00ff);
    /* QEMU's default subsystem ids */
    g_assert_cmphex(cfg_read(dev, TS_PCI_SUBSYSTEM_VENDOR_ID, 4), ==,
                    0x11001af4);
    g_assert_cmphex(cfg_read(dev, TS_PCI_HEADER_TYPE, 1), ==, 0);
    g_assert_cmphex(cfg_read(dev, TS_PCI_INTERRUPT_PIN, 1), ==, 1);
    g_assert_cmphex(cfg_read(dev, TS_PCI_STATUS, 2) &
                    TS_PCI_STATUS_CAP_LIST, ==, TS_PCI_STATUS_CAP_LIST);
    /* read-only registers stay, writable ones take only their bits */
    cfg_write(dev, TS_PCI_VENDOR_ID, 0x12345678, 4);
    g_assert_cmphex(cfg_read(dev, TS_PCI_VENDOR_ID, 4), ==, 0x00f01b36);
    cfg_write(dev, TS_PCI_COMMAND, 0xffff, 2);
    g_assert_cmphex(cfg_read(dev, TS_PCI_COMMAND, 2), ==, 0x0547);
    cfg_write(dev, TS_PCI_INTERRUPT_LINE, 0x2a, 1);
    g_assert_cmphex(cfg_read(dev, TS_PCI_INTERRUPT_LINE, 1), ==, 0x2a);
    /* status bits are write-1-to-clear */
    uint8_t *c = ts_pci_config(dev);
    ts_pci_set_word(c + TS_PCI_STATUS, ts_pci_get_word(c + TS_PCI_STATUS) |
                    0x2000);
    cfg_write(dev, TS_PCI_STATUS, 0x0000, 2);
    g_assert_cmphex(cfg_read(dev, TS_PCI_STATUS, 2) & 0x2000, ==, 0x2000);
    cfg_write(dev, TS_PCI_STATUS, 0x2000, 2);
    g_assert_cmphex(cfg_read(dev, TS_PCI_STATUS, 2) & 0x2000, ==, 0);
    /* 4 KiB on an express bus; beyond it all-ones */
    g_assert_cmpuint(ts_pci_config_size(dev), ==, 4096);
    g_assert_cmphex(cfg_read(dev, 0x100, 2), ==, TS_PCI_EXT_CAP_ID_DSN);
    probe_destroy(dev);
}

static void test_bar_sizing(void)
{
    TsPciDevice *dev = probe_new("p", NULL);
    static const struct { uint16_t reg; uint32_t sized; } bars[] = {
        { 0x10, 0xfffff000 },              /* 4 KiB, 32-bit memory */
        { 0x14, 0xffffff01 },              /* 256 bytes of I/O */
        { 0x18, 0xffffc00c },              /* 16 KiB, 64-bit prefetchable */
        { 0x1c, 0xffffffff },              /* its upper half */
        { 0x20, 0x00000000 },              /* no BAR 4 */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bars); i++) {
        cfg_write(dev, bars[i].reg, 0xffffffff, 4);
        g_assert_cmphex(cfg_read(dev, bars[i].reg, 4), ==, bars[i].sized);
    }
    /* all-ones leaves the BARs at the top, where nothing is mapped even
     * with decoding on */
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY |
              TS_PCI_COMMAND_IO, 2);
    g_assert_cmphex(ts_pci_bar_address(dev, 0), ==, TS_PCI_BAR_UNMAPPED);
    g_assert_cmphex(ts_pci_bar_address(dev, 1), ==, TS_PCI_BAR_UNMAPPED);
    g_assert_cmphex(ts_pci_bar_address(dev, 2), ==, TS_PCI_BAR_UNMAPPED);
    probe_destroy(dev);
}

static void test_bar_mapping(void)
{
    TsPciDevice *dev = probe_new("p", NULL);
    TsMemResult r;
    cfg_write(dev, 0x10, WIN_BASE + 0x1000, 4);
    cfg_write(dev, 0x18, WIN_BASE + 0x4000, 4);
    cfg_write(dev, 0x1c, 0, 4);
    cfg_write(dev, 0x14, 0x1000, 4);
    /* programmed but not decoding */
    sys_load(WIN_BASE + 0x1000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(sys_load(WIN_BASE + 0x1000, 4, &r), ==, 0xb0);
    g_assert_cmphex(sys_load(WIN_BASE + 0x4ffc, 4, &r), ==, 0xb2);
    g_assert_cmphex(ts_pci_bar_address(dev, 2), ==, WIN_BASE + 0x4000);
    /* I/O stays off until its own bit */
    g_assert_cmphex(ts_pci_bar_address(dev, 1), ==, TS_PCI_BAR_UNMAPPED);
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY |
              TS_PCI_COMMAND_IO, 2);
    g_assert_cmphex(ts_pci_bar_address(dev, 1), ==, 0x1000);
    /* moving a BAR moves the registers */
    cfg_write(dev, 0x10, WIN_BASE + 0x10000, 4);
    sys_load(WIN_BASE + 0x1000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);
    g_assert_cmphex(sys_load(WIN_BASE + 0x10000, 4, &r), ==, 0xb0);
    /* over each other: one answers, nothing breaks, and moving one away
     * brings the other back */
    cfg_write(dev, 0x18, WIN_BASE + 0x10000, 4);
    uint64_t v = sys_load(WIN_BASE + 0x10000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_OK);
    g_assert_true(v == 0xb0 || v == 0xb2);
    cfg_write(dev, 0x18, WIN_BASE + 0x20000, 4);
    g_assert_cmphex(sys_load(WIN_BASE + 0x10000, 4, &r), ==, 0xb0);
    /* over RAM: RAM is untouched and still RAM */
    uint32_t magic = 0x5a5aa5a5;
    ts_address_space_write(ts_address_space_system(), RAM_BASE, &magic, 4);
    cfg_write(dev, 0x10, (uint32_t)RAM_BASE, 4);
    g_assert_cmphex(sys_load(RAM_BASE, 4, &r), ==, magic);
    g_assert_cmpint(r, ==, TS_MEM_OK);
    g_assert_nonnull(ts_address_space_ram_ptr(ts_address_space_system(),
                                              RAM_BASE, 4, true));
    /* a 64-bit BAR far above 4 GiB, beyond the window: decoded on the
     * bus, reached by nobody */
    cfg_write(dev, 0x1c, 0x10, 4);
    g_assert_cmphex(ts_pci_bar_address(dev, 2), ==, 0x1040020000ull);
    sys_load(WIN_BASE + 0x20000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);
    sys_load(0x1040020000ull, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);
    /* decoding off unmaps everything */
    cfg_write(dev, TS_PCI_COMMAND, 0, 2);
    sys_load(WIN_BASE + 0x20000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);
    probe_destroy(dev);
    /* and a device that is gone leaves nothing mapped */
    dev = probe_new("p", NULL);
    cfg_write(dev, 0x10, WIN_BASE + 0x1000, 4);
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(sys_load(WIN_BASE + 0x1000, 4, &r), ==, 0xb0);
    probe_destroy(dev);
    sys_load(WIN_BASE + 0x1000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);
}

static void test_capabilities(void)
{
    TsPciDevice *dev = probe_new("p", "msix=on,msi=on");
    Probe *p = (Probe *)dev;
    /* the list, in the order the device added them */
    uint8_t ids[8], n = 0;
    for (uint8_t at = cfg_read(dev, TS_PCI_CAPABILITY_LIST, 1);
         at && n < 8; at = cfg_read(dev, at + 1, 1)) {
        g_assert_cmpuint(at & 3, ==, 0);
        g_assert_cmpuint(at, >=, 0x40);
        ids[n++] = cfg_read(dev, at, 1);
    }
    g_assert_cmpuint(n, ==, 4);
    g_assert_cmphex(ids[0], ==, TS_PCI_CAP_ID_EXP);
    g_assert_cmphex(ids[1], ==, TS_PCI_CAP_ID_VNDR);
    g_assert_cmphex(ids[2], ==, TS_PCI_CAP_ID_MSI);
    g_assert_cmphex(ids[3], ==, TS_PCI_CAP_ID_MSIX);
    g_assert_cmpuint(ts_pci_find_capability(dev, TS_PCI_CAP_ID_MSIX), ==,
                     p->msix_cap);
    g_assert_cmpuint(cfg_read(dev, p->vndr_cap + 2, 1), ==, 16);
    /* on a root bus, an endpoint is a root complex integrated one */
    uint8_t exp = ts_pci_find_capability(dev, TS_PCI_CAP_ID_EXP);
    g_assert_cmphex((cfg_read(dev, exp + 2, 2) >> 4) & 0xf, ==,
                    TS_PCIE_TYPE_RC_END);
    /* MSI-X: 3 vectors, table in BAR 4 at 0, PBA at 2 KiB */
    g_assert_cmphex(cfg_read(dev, p->msix_cap + 2, 2), ==, 2);
    g_assert_cmphex(cfg_read(dev, p->msix_cap + 4, 4), ==, 4);
    g_assert_cmphex(cfg_read(dev, p->msix_cap + 8, 4), ==, 0x800 | 4);
    cfg_write(dev, 0x20, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(dev, 0x20, 4), ==, 0xfffff000);
    /* the capabilities' read-only parts stay read-only */
    cfg_write(dev, p->msix_cap + 4, 0, 4);
    g_assert_cmphex(cfg_read(dev, p->msix_cap + 4, 4), ==, 4);
    /* extended: DSN at 0x100, the end of the list */
    g_assert_cmpuint(ts_pcie_find_ext_capability(dev, TS_PCI_EXT_CAP_ID_DSN),
                     ==, 0x100);
    g_assert_cmphex(cfg_read(dev, 0x100, 4), ==, 0x00010003);
    probe_destroy(dev);
}

static void test_intx_swizzle(void)
{
    TsPciDevice *a = probe_new("a", "addr=02");
    TsPciDevice *b = probe_new("b", "addr=03");
    memset(intx_level, 0, sizeof(intx_level));
    ts_pci_set_irq(a, 1);
    /* slot 2, INTA: line (0 + 2) % 4 */
    g_assert_cmpint(intx_level[2], ==, 1);
    g_assert_cmphex(cfg_read(a, TS_PCI_STATUS, 2) & TS_PCI_STATUS_INTERRUPT,
                    ==, TS_PCI_STATUS_INTERRUPT);
    ts_pci_set_irq(b, 1);
    g_assert_cmpint(intx_level[3], ==, 1);
    /* INTx disable hides the level, the status bit still shows it */
    cfg_write(a, TS_PCI_COMMAND, TS_PCI_COMMAND_INTX_DISABLE, 2);
    g_assert_cmpint(intx_level[2], ==, 0);
    g_assert_cmphex(cfg_read(a, TS_PCI_STATUS, 2) & TS_PCI_STATUS_INTERRUPT,
                    ==, TS_PCI_STATUS_INTERRUPT);
    cfg_write(a, TS_PCI_COMMAND, 0, 2);
    g_assert_cmpint(intx_level[2], ==, 1);
    ts_pci_set_irq(a, 0);
    g_assert_cmpint(intx_level[2], ==, 0);
    /* a device that goes away while asserting lowers its line */
    probe_destroy(b);
    g_assert_cmpint(intx_level[3], ==, 0);
    probe_destroy(a);
}

static uint32_t ram_word(uint64_t addr)
{
    uint32_t v = 0;
    ts_address_space_read(ts_address_space_system(), addr, &v, 4);
    return v;
}

static void test_msix(void)
{
    TsPciDevice *dev = probe_new("p", "msix=on");
    Probe *p = (Probe *)dev;
    uint64_t table = WIN_BASE + 0x8000;
    cfg_write(dev, 0x20, (uint32_t)table, 4);
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY, 2);
    TsAddressSpace *sys = ts_address_space_system();
    /* entry 1: address, data, unmasked */
    ts_address_space_store(sys, table + 16, 4, MSI_ADDR);
    ts_address_space_store(sys, table + 20, 4, 0);
    ts_address_space_store(sys, table + 24, 4, 0x77);
    ts_address_space_store(sys, table + 28, 4, 0);
    g_assert_cmphex(sys_load(table + 24, 4, NULL), ==, 0x77);
    uint32_t zero = 0;
    ts_address_space_write(sys, MSI_ADDR, &zero, 4);
    /* not enabled: nothing */
    ts_pci_msi_notify(dev, 1);
    g_assert_cmphex(ram_word(MSI_ADDR), ==, 0);
    cfg_write(dev, p->msix_cap + 2, 0x8000, 2);
    g_assert_true(ts_pci_msix_enabled(dev));
    /* enabled, but bus mastering off: the message goes nowhere */
    ts_pci_msi_notify(dev, 1);
    g_assert_cmphex(ram_word(MSI_ADDR), ==, 0);
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY |
              TS_PCI_COMMAND_MASTER, 2);
    ts_pci_msi_notify(dev, 1);
    g_assert_cmphex(ram_word(MSI_ADDR), ==, 0x77);
    /* masked vector 0: pending bit, then delivered on unmask */
    ts_address_space_store(sys, table + 0, 4, MSI_ADDR + 4);
    ts_address_space_store(sys, table + 8, 4, 0x55);
    ts_pci_msi_notify(dev, 0);
    g_assert_cmphex(ram_word(MSI_ADDR + 4), ==, 0);
    g_assert_cmphex(sys_load(table + 0x800, 4, NULL), ==, 1);
    ts_address_space_store(sys, table + 12, 4, 0);
    g_assert_cmphex(ram_word(MSI_ADDR + 4), ==, 0x55);
    g_assert_cmphex(sys_load(table + 0x800, 4, NULL), ==, 0);
    /* function mask holds everything back */
    ts_address_space_write(sys, MSI_ADDR, &zero, 4);
    cfg_write(dev, p->msix_cap + 2, 0xc000, 2);
    ts_pci_msi_notify(dev, 1);
    g_assert_cmphex(ram_word(MSI_ADDR), ==, 0);
    cfg_write(dev, p->msix_cap + 2, 0x8000, 2);
    g_assert_cmphex(ram_word(MSI_ADDR), ==, 0x77);
    /* a wild table entry or vector: the emulator stays up */
    ts_address_space_store(sys, table + 16, 4, 0xfffffffc);
    ts_address_space_store(sys, table + 20, 4, 0xffffffff);
    ts_pci_msi_notify(dev, 1);
    ts_pci_msi_notify(dev, 99);
    /* the PBA is read-only */
    ts_address_space_store(sys, table + 0x800, 4, 0xffffffff);
    g_assert_cmphex(sys_load(table + 0x800, 4, NULL), ==, 0);
    /* reset: disabled, entries masked */
    ts_device_reset(TS_DEVICE(dev));
    g_assert_false(ts_pci_msix_enabled(dev));
    g_assert_true(ts_pci_msix_masked(dev, 1));
    g_assert_cmpint(p->resets, ==, 1);
    probe_destroy(dev);
}

static void test_msi(void)
{
    TsPciDevice *dev = probe_new("p", "msi=on");
    Probe *p = (Probe *)dev;
    uint8_t at = p->msi_cap;
    /* 4 vectors offered, 64-bit, maskable */
    g_assert_cmphex(cfg_read(dev, at + 2, 2), ==, 0x0184);
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MASTER, 2);
    cfg_write(dev, at + 4, (uint32_t)MSI_ADDR, 4);
    cfg_write(dev, at + 8, 0, 4);
    cfg_write(dev, at + 12, 0x40, 2);
    cfg_write(dev, at + 2, 0x0021, 2);      /* enable, 4 vectors */
    g_assert_cmpuint(ts_pci_msi_vectors(dev), ==, 4);
    ts_pci_msi_notify(dev, 2);
    g_assert_cmphex(ram_word(MSI_ADDR), ==, 0x42);
    /* masked: pending, then sent on unmask */
    cfg_write(dev, at + 0x10, 0x8, 4);
    ts_pci_msi_notify(dev, 3);
    g_assert_cmphex(ram_word(MSI_ADDR), ==, 0x42);
    g_assert_cmphex(cfg_read(dev, at + 0x14, 4), ==, 0x8);
    cfg_write(dev, at + 0x10, 0, 4);
    g_assert_cmphex(ram_word(MSI_ADDR), ==, 0x43);
    probe_destroy(dev);
}

static void test_no_msi_controller(void)
{
    ts_pci_root_bus_set_msi(bus, false);
    g_autoptr(GError) err = NULL;
    g_assert_null(probe_try("p", "msix=on", &err));
    g_assert_error(err, TS_ERROR, TS_ERROR_UNSUPPORTED);
    g_assert_cmpstr(err->message, ==,
                    "MSI-X is not supported by interrupt controller");
    ts_pci_root_bus_set_msi(bus, true);
}

static void test_dma_master(void)
{
    TsPciDevice *dev = probe_new("p", NULL);
    uint32_t v = 0x11223344, back = 0;
    g_assert_cmpint(ts_pci_dma_write(dev, RAM_BASE + 0x100, &v, 4), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_cmphex(ram_word(RAM_BASE + 0x100), ==, 0);
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MASTER, 2);
    g_assert_cmpint(ts_pci_dma_write(dev, RAM_BASE + 0x100, &v, 4), ==,
                    TS_MEM_OK);
    g_assert_cmpint(ts_pci_dma_read(dev, RAM_BASE + 0x100, &back, 4), ==,
                    TS_MEM_OK);
    g_assert_cmphex(back, ==, v);
    /* reset turns mastering off again */
    ts_device_reset(TS_DEVICE(dev));
    g_assert_cmpint(ts_pci_dma_read(dev, RAM_BASE + 0x100, &back, 4), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_cmphex(back, ==, 0);
    probe_destroy(dev);
}

static void expect_error(const char *props, const char *message)
{
    g_autoptr(GError) err = NULL;
    g_assert_null(probe_try("bad", props, &err));
    g_assert_nonnull(err);
    g_assert_cmpstr(err->message, ==, message);
}

static void test_placement(void)
{
    TsPciDevice *f0 = probe_new("f0", "addr=04.0");
    g_assert_cmpuint(f0->devfn, ==, 0x20);
    expect_error("addr=zz", "Property 'pci-probe.addr' doesn't take value "
                 "'zz'");
    expect_error("addr=20", "Property 'pci-probe.addr' doesn't take value "
                 "'20'");
    expect_error("addr=3.8", "Property 'pci-probe.addr' doesn't take value "
                 "'3.8'");
    expect_error("addr=4", "PCI: slot 4 function 0 not available for "
                 "pci-probe, in use by pci-probe,id=(null)");
    expect_error("addr=4.1", "PCI: single function device can't be "
                 "populated in function 4.1");
    expect_error("bus=nope", "Bus 'nope' not found");
    TsPciDevice *f1 = probe_new("f1", "addr=05.1");
    expect_error("addr=5.0", "PCI: 5.0 indicates single function, but 5.1 "
                 "is already populated.");
    TsPciDevice *m0 = probe_new("m0", "addr=05.0,multifunction=on");
    g_assert_cmphex(cfg_read(m0, TS_PCI_HEADER_TYPE, 1), ==, 0x80);
    g_assert_cmpuint(ts_pci_device_bus_number(f1), ==, 0);
    g_assert_cmphex(ts_pci_host_config_read(bus, 0, 0x29, 0, 2), ==,
                    0x1b36);
    probe_destroy(f1);
    probe_destroy(m0);
    probe_destroy(f0);
}

static TsPciDevice *bridge_new(const char *type, const char *name,
                               const char *props)
{
    TsObject *obj = ts_object_new(type, NULL);
    g_assert_nonnull(obj);
    g_auto(GStrv) kv = g_strsplit(props ? props : "", ",", -1);
    for (char **p = kv; *p && **p; p++) {
        g_auto(GStrv) pair = g_strsplit(*p, "=", 2);
        g_assert_true(ts_object_set_prop(obj, pair[0], pair[1], NULL));
    }
    /* under peripheral/, as -device id= puts it: the bus takes the id */
    TsObject *machine = TS_OBJECT(ts_machine_current());
    TsObject *per = ts_object_child(machine, "peripheral");
    if (!per) {
        per = ts_object_new("container", NULL);
        ts_object_add_child(machine, "peripheral", per, NULL);
        ts_object_unref(per);
    }
    g_assert_true(ts_object_add_child(per, name, obj, NULL));
    ts_object_unref(obj);
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_device_realize(TS_DEVICE(obj), &err));
    g_assert_no_error(err);
    return TS_PCI_DEVICE(obj);
}

static void bridge_destroy(TsPciDevice *dev)
{
    TsObject *obj = TS_OBJECT(dev);
    ts_object_remove_child(obj->parent, obj);
}

static void test_bridges(void)
{
    TsPciDevice *rp = bridge_new("pcie-root-port", "rp", "slot=5");
    TsPciDevice *pb = bridge_new("pci-bridge", "pb", "chassis_nr=2");
    g_assert_cmphex(cfg_read(rp, TS_PCI_VENDOR_ID, 4), ==, 0x000c1b36);
    g_assert_cmphex(cfg_read(rp, TS_PCI_HEADER_TYPE, 1), ==, 1);
    g_assert_cmphex(cfg_read(pb, TS_PCI_CLASS_DEVICE, 2), ==, 0x0604);
    /* below a root port only slot 0; below a PCI bridge any slot */
    expect_error("bus=rp,addr=1", "PCI: slot 1 is not valid for pci-probe, "
                 "parent device only allows plugging into slot 0.");
    TsPciDevice *a = probe_new("a", "bus=rp");
    TsPciDevice *b = probe_new("b", "bus=pb,addr=3");
    g_assert_true(a->bus != bus && b->bus != bus);
    /* not reachable until the guest numbers the buses */
    g_assert_cmphex(ts_pci_host_config_read(bus, 1, 0, 0, 4), ==,
                    0xffffffff);
    cfg_write(rp, TS_PCI_SECONDARY_BUS, 1, 1);
    cfg_write(rp, TS_PCI_SUBORDINATE_BUS, 1, 1);
    cfg_write(pb, TS_PCI_SECONDARY_BUS, 2, 1);
    cfg_write(pb, TS_PCI_SUBORDINATE_BUS, 2, 1);
    g_assert_cmphex(ts_pci_host_config_read(bus, 1, 0, 0, 4), ==,
                    0x00f01b36);
    g_assert_cmphex(ts_pci_host_config_read(bus, 2, 3 << 3, 0, 2), ==,
                    0x1b36);
    g_assert_cmphex(ts_pci_host_config_read(bus, 2, 0, 0, 4), ==,
                    0xffffffff);
    g_assert_cmpuint(ts_pci_device_bus_number(b), ==, 2);
    /* express below the root port, conventional below the PCI bridge */
    g_assert_cmphex(ts_pci_host_config_read(bus, 1, 0, 0x100, 2), ==,
                    TS_PCI_EXT_CAP_ID_DSN);
    g_assert_cmphex(ts_pci_host_config_read(bus, 2, 3 << 3, 0x100, 4), ==,
                    0xffffffff);
    /* slot status: presence detect follows the slot */
    uint8_t exp = ts_pci_find_capability(rp, TS_PCI_CAP_ID_EXP);
    g_assert_cmphex(cfg_read(rp, exp + 0x1a, 2) & 0x40, ==, 0x40);
    g_assert_cmphex(cfg_read(rp, exp + 0x14, 4) >> 19, ==, 5);
    /* a BAR behind the root port shows through its window only */
    TsMemResult r;
    ts_pci_host_config_write(bus, 1, 0, 0x10, WIN_BASE + 0x200000, 4);
    ts_pci_host_config_write(bus, 1, 0, TS_PCI_COMMAND,
                             TS_PCI_COMMAND_MEMORY, 2);
    sys_load(WIN_BASE + 0x200000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);
    cfg_write(rp, TS_PCI_MEMORY_BASE, (WIN_BASE + 0x200000) >> 16, 2);
    cfg_write(rp, TS_PCI_MEMORY_LIMIT, (WIN_BASE + 0x2fffff) >> 16, 2);
    sys_load(WIN_BASE + 0x200000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);    /* bridge not enabled */
    cfg_write(rp, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(sys_load(WIN_BASE + 0x200000, 4, &r), ==, 0xb0);
    /* the window shrinks away from the BAR: gone again */
    cfg_write(rp, TS_PCI_MEMORY_BASE, (WIN_BASE + 0x300000) >> 16, 2);
    sys_load(WIN_BASE + 0x200000, 4, &r);
    g_assert_cmpint(r, ==, TS_MEM_UNASSIGNED);
    /* INTx through the bridge: b at slot 3 INTA -> pb's pin D (3), on
     * root slot of pb (2): line (3 + 2) % 4 = 1 */
    memset(intx_level, 0, sizeof(intx_level));
    unsigned pb_slot = ts_pci_slot(pb);
    ts_pci_set_irq(b, 1);
    g_assert_cmpint(intx_level[(3 + pb_slot) % 4], ==, 1);
    ts_pci_set_irq(b, 0);
    g_assert_cmpint(intx_level[(3 + pb_slot) % 4], ==, 0);
    /* a bridge that goes takes what is behind it along */
    ts_pci_set_irq(a, 1);
    bridge_destroy(rp);
    g_assert_null(a->priv);
    g_assert_cmpint(intx_level[0], ==, 0);
    g_assert_cmphex(ts_pci_host_config_read(bus, 1, 0, 0, 4), ==,
                    0xffffffff);
    probe_destroy(a);
    probe_destroy(b);
    bridge_destroy(pb);
    /* QEMU's refusal of a bridge without a chassis number */
    TsObject *obj = ts_object_new("pci-bridge", NULL);
    ts_object_add_child(TS_OBJECT(ts_machine_current()), "nochassis", obj,
                        NULL);
    ts_object_unref(obj);
    g_autoptr(GError) err = NULL;
    g_assert_false(ts_device_realize(TS_DEVICE(obj), &err));
    g_assert_cmpstr(err->message, ==, "Bridge chassis not specified. Each "
                    "bridge is required to be assigned a unique chassis id "
                    "> 0.");
    ts_object_remove_child(TS_OBJECT(ts_machine_current()), obj);
}

/*
 * A hostile guest in bulk: random config writes biased towards the
 * registers that change the topology (command, BARs, bridge bus numbers
 * and windows, MSI/MSI-X control), random accesses to the window and
 * ECAM, messages fired meanwhile.  Nothing may crash or trip the
 * sanitizers; afterwards a reset leaves nothing decoding.
 */
static void test_hostile_config(void)
{
    TsPciDevice *rp = bridge_new("pcie-root-port", "hrp", NULL);
    TsPciDevice *pb = bridge_new("pci-bridge", "hpb", "chassis_nr=3");
    TsPciDevice *d[4] = {
        probe_new("h0", "msix=on,msi=on"),
        probe_new("h1", "bus=hrp,msix=on"),
        probe_new("h2", "bus=hpb,addr=1,msi=on"),
        probe_new("h3", "addr=10.0,multifunction=on"),
    };
    static const uint16_t hot[] = {
        0x04, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x19, 0x1a, 0x1c,
        0x20, 0x22, 0x24, 0x26, 0x28, 0x2c, 0x30, 0x3e, 0x40, 0x42,
        0x44, 0x48, 0x4c, 0x50, 0x52, 0x60, 0x62, 0x70, 0x72, 0x100,
    };
    static const uint32_t values[] = {
        0, 0xffffffff, 0x7, 0x407, 0x40000000, 0x40001000, 0x80000000,
        0x01, 0x02, 0xff, 0x8000, 0xc000, 0x0101, 0xfff0, 0x4000,
        0x4000, 0x4000, 0x0007, 0x0007, 0x40001000, 0x40000000,
    };
    GRand *rand = g_rand_new_with_seed(1313);
    TsAddressSpace *sys = ts_address_space_system();
    for (unsigned i = 0; i < 100000; i++) {
        /* mostly the functions that exist, at times anything */
        uint8_t busnr = 0, devfn;
        if (g_rand_int_range(rand, 0, 4) == 0) {
            busnr = g_rand_int_range(rand, 0, 4);
            devfn = (uint8_t)g_rand_int_range(rand, 0, 256);
        } else {
            TsPciDevice *t = g_rand_boolean(rand) ? d[0] : (
                g_rand_boolean(rand) ? rp : pb);
            devfn = t->devfn;
        }
        unsigned len = 1u << g_rand_int_range(rand, 0, 3);
        uint16_t reg = g_rand_boolean(rand)
                       ? hot[g_rand_int_range(rand, 0, G_N_ELEMENTS(hot))]
                       : (uint16_t)g_rand_int_range(rand, 0, 0x1000);
        reg &= ~(len - 1);
        uint32_t val = g_rand_boolean(rand)
                       ? values[g_rand_int_range(rand, 0,
                                                 G_N_ELEMENTS(values))]
                       : g_rand_int(rand);
        switch (g_rand_int_range(rand, 0, 8)) {
        case 0:
            ts_pci_host_config_read(bus, busnr, devfn, reg, len);
            break;
        case 1: {
            uint64_t v;
            /* near where the values above put BARs, or anywhere */
            uint64_t a = WIN_BASE + (g_rand_boolean(rand)
                                     ? (g_rand_int(rand) & 0x1ffc)
                                     : (g_rand_int(rand) & 0x3ffffc));
            if (g_rand_boolean(rand)) {
                ts_address_space_load(sys, a, 4, &v);
            } else {
                ts_address_space_store(sys, a, 4, val);
            }
            break;
        }
        case 2:
            ts_pci_msi_notify(d[g_rand_int_range(rand, 0, 4)],
                              g_rand_int_range(rand, 0, 40));
            break;
        case 3:
            ts_pci_set_irq(d[g_rand_int_range(rand, 0, 4)],
                           g_rand_boolean(rand));
            break;
        default:
            ts_pci_host_config_write(bus, busnr, devfn, reg, val, len);
            break;
        }
    }
    g_rand_free(rand);
    /* the guest resets: nothing decodes, config space still answers */
    TsPciDevice *all[] = { rp, pb, d[0], d[1], d[2], d[3] };
    for (size_t i = 0; i < G_N_ELEMENTS(all); i++) {
        ts_device_reset(TS_DEVICE(all[i]));
        for (unsigned b = 0; b < 6; b++) {
            g_assert_cmphex(ts_pci_bar_address(all[i], b), ==,
                            TS_PCI_BAR_UNMAPPED);
        }
        g_assert_cmphex(ts_pci_get_word(ts_pci_config(all[i])), ==, 0x1b36);
    }
    for (size_t i = 0; i < 4; i++) {
        TsObject *o = TS_OBJECT(d[i]);
        if (d[i]->priv) {
            ts_object_remove_child(o->parent, o);
        }
    }
    bridge_destroy(rp);
    bridge_destroy(pb);
    memset(intx_level, 0, sizeof(intx_level));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    object_core_init();
    g_assert_true(ts_type_register(&probe_type, NULL));
    g_assert_nonnull(machine_create("none" TS_MACHINE_SUFFIX, NULL));
    host_init(true);
    g_test_add_func("/pci/absent-functions", test_absent_functions);
    g_test_add_func("/pci/header", test_header);
    g_test_add_func("/pci/bar-sizing", test_bar_sizing);
    g_test_add_func("/pci/bar-mapping", test_bar_mapping);
    g_test_add_func("/pci/capabilities", test_capabilities);
    g_test_add_func("/pci/intx-swizzle", test_intx_swizzle);
    g_test_add_func("/pci/msix", test_msix);
    g_test_add_func("/pci/msi", test_msi);
    g_test_add_func("/pci/no-msi-controller", test_no_msi_controller);
    g_test_add_func("/pci/dma-master", test_dma_master);
    g_test_add_func("/pci/placement", test_placement);
    g_test_add_func("/pci/bridges", test_bridges);
    g_test_add_func("/pci/hostile-config", test_hostile_config);
    return g_test_run();
}
