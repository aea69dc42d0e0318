/*
 * pci-testdev.c - QEMU's PCI test device (1b36:0005) for low-level I/O
 * tests, after the interface QEMU documents (docs/specs/pci-testdev):
 * BAR0 (4 KiB of memory) and BAR1 (256 bytes of I/O) each start with a
 * header through which the guest selects a test, learns the width,
 * offset and data of the write it must make, and reads back how many
 * such writes the device saw; tests are numbered from 0 and the first
 * number whose width is not 1, 2 or 4 ends the list.  membar=SIZE adds
 * BAR2, a 64-bit prefetchable BAR without backing storage, for guests'
 * handling of large BARs.
 */
#include <tessera/tessera.h>

/* The header at the start of BAR0 and BAR1 (little-endian). */
enum {
    HDR_TEST = 0,               /* write: select a test */
    HDR_WIDTH = 1,              /* 1, 2 or 4; 0: no such test */
    HDR_OFFSET = 4,             /* where the test's write goes */
    HDR_DATA = 8,               /* what to write (datamatch tests) */
    HDR_COUNT = 12,             /* writes seen since the test was selected */
    HDR_NAME = 16,              /* NUL-terminated */
    HDR_NAME_MAX = 32,
    TEST_AREA = 0x40,           /* the tests' registers, 4 bytes each */
};

typedef struct TestCase {
    const char *name;
    uint8_t width;
    bool match_data;            /* only writes of `data` count */
} TestCase;

/* Each BAR offers the same three: any write counts, any write counts
 * (a second register, so a guest can tell them apart), only the
 * expected data counts. */
static const TestCase tests[] = {
    { "no-eventfd", 4, false },
    { "wildcard-eventfd", 4, false },
    { "datamatch-eventfd", 4, true },
};
#define TEST_DATA 0xfa          /* what a datamatch test expects */

typedef struct TestBar {
    uint8_t test;               /* selected test */
    uint32_t count;
} TestBar;

typedef struct PciTestdev {
    TsPciDevice parent;
    uint64_t membar;            /* "membar": BAR2 size, 0 = none */
    TestBar bar[2];
} PciTestdev;

#define PCI_TESTDEV(obj) ((PciTestdev *)(obj))

static const TestCase *selected(TestBar *b)
{
    return b->test < G_N_ELEMENTS(tests) ? &tests[b->test] : NULL;
}

static uint32_t test_offset(const TestBar *b)
{
    return TEST_AREA + 4u * b->test;
}

/* One byte of the header (or the name) as the guest reads it. */
static uint8_t header_byte(TestBar *b, uint64_t addr)
{
    const TestCase *t = selected(b);
    uint32_t word;
    switch (addr & ~3ull) {
    case HDR_TEST:
        word = t ? t->width << 8 : 0;   /* test byte is write-only */
        break;
    case HDR_OFFSET:
        word = t ? test_offset(b) : 0;
        break;
    case HDR_DATA:
        word = t && t->match_data ? TEST_DATA : 0;
        break;
    case HDR_COUNT:
        word = b->count;
        break;
    default:
        if (t && addr >= HDR_NAME && addr < HDR_NAME + HDR_NAME_MAX) {
            size_t i = addr - HDR_NAME;
            return i < strlen(t->name) ? (uint8_t)t->name[i] : 0;
        }
        return 0;
    }
    return (uint8_t)(word >> (8 * (addr & 3)));
}

static uint64_t testdev_read(TestBar *b, uint64_t addr, unsigned size)
{
    uint64_t val = 0;
    for (unsigned i = 0; i < size; i++) {
        val |= (uint64_t)header_byte(b, addr + i) << (8 * i);
    }
    return val;
}

static void testdev_write(TestBar *b, uint64_t addr, uint64_t val,
                          unsigned size)
{
    if (addr == HDR_TEST) {
        b->test = (uint8_t)val;
        b->count = 0;
        return;
    }
    const TestCase *t = selected(b);
    if (t && addr == test_offset(b) && size == t->width &&
        (!t->match_data || val == TEST_DATA)) {
        b->count++;
    }
}

static uint64_t mem_read(void *opaque, uint64_t addr, unsigned size)
{
    return testdev_read(&PCI_TESTDEV(opaque)->bar[0], addr, size);
}

static void mem_write(void *opaque, uint64_t addr, uint64_t val,
                      unsigned size)
{
    testdev_write(&PCI_TESTDEV(opaque)->bar[0], addr, val, size);
}

static uint64_t io_read(void *opaque, uint64_t addr, unsigned size)
{
    return testdev_read(&PCI_TESTDEV(opaque)->bar[1], addr, size);
}

static void io_write(void *opaque, uint64_t addr, uint64_t val,
                     unsigned size)
{
    testdev_write(&PCI_TESTDEV(opaque)->bar[1], addr, val, size);
}

static const TsMemoryOps mem_ops = {
    .read = mem_read, .write = mem_write,
    .valid_min = 1, .valid_max = 4, .impl_min = 1, .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static const TsMemoryOps io_ops = {
    .read = io_read, .write = io_write,
    .valid_min = 1, .valid_max = 4, .impl_min = 1, .impl_max = 4,
    .endian = TS_ENDIAN_LITTLE,
};

static bool add_bar(TsPciDevice *dev, unsigned n, uint8_t type,
                    TsMemoryRegion *mr, GError **errp)
{
    bool ok = ts_pci_register_bar(dev, n, type, mr, errp);
    ts_memory_region_unref(mr);
    return ok;
}

static bool testdev_realize(TsPciDevice *dev, GError **errp)
{
    PciTestdev *td = PCI_TESTDEV(dev);
    uint64_t mb = td->membar;
    if (mb && (mb & (mb - 1))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "pci-testdev: membar size must be a power of 2.");
        return false;
    }
    if (!add_bar(dev, 0, TS_PCI_BAR_MEM32,
                 ts_memory_region_new_mmio("pci-testdev-mmio", 0x1000,
                                           &mem_ops, td), errp) ||
        !add_bar(dev, 1, TS_PCI_BAR_IO,
                 ts_memory_region_new_mmio("pci-testdev-portio", 0x100,
                                           &io_ops, td), errp)) {
        return false;
    }
    return !mb ||
           add_bar(dev, 2, TS_PCI_BAR_MEM64 | TS_PCI_BAR_PREFETCH,
                   ts_memory_region_new_container("pci-testdev-membar",
                                                  MAX(mb, 16)), errp);
}

static void testdev_reset(TsPciDevice *dev)
{
    PciTestdev *td = PCI_TESTDEV(dev);
    memset(td->bar, 0, sizeof(td->bar));
}

static const TsProperty testdev_props[] = {
    TS_PROP_SIZE("membar", PciTestdev, membar, 0,
                 "size of BAR2, a 64-bit prefetchable BAR without backing "
                 "storage (a power of 2; 0: none)"),
    TS_PROP_END,
};

static void testdev_class_init(TsObjectClass *klass, const void *data)
{
    TsPciDeviceClass *pc = (TsPciDeviceClass *)klass;
    pc->vendor_id = TS_PCI_VENDOR_ID_REDHAT;
    pc->device_id = 0x0005;
    pc->class_id = 0x00ff;          /* unclassified, as QEMU's */
    pc->realize = testdev_realize;
    pc->reset = testdev_reset;
    ((TsDeviceClass *)klass)->categories = TS_DEVICE_CATEGORY_MISC;
    ts_class_add_properties(klass, testdev_props);
}

static const TsTypeInfo testdev_type = {
    .name = "pci-testdev",
    .parent = TS_TYPE_PCI_DEVICE,
    .description = "PCI Test Device",
    .instance_size = sizeof(PciTestdev),
    .class_init = testdev_class_init,
};

static bool testdev_plugin_init(GError **errp)
{
    return ts_type_register(&testdev_type, errp);
}

TS_PLUGIN("dev-pci-testdev", "QEMU's PCI test device (1b36:0005)",
          testdev_plugin_init);
