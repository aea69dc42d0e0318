/*
 * test-dev-pci-testdev.c - pci-testdev loaded from the build tree on a
 * root bus of the test's own, its memory and I/O windows mapped into
 * system memory: identity, BAR sizes, the test protocol through both
 * BARs (select, read width/offset/data/name, write, count; the end of
 * the list), membar=, and reset.
 */
#include "dev-harness.h"
#include "pci-host.h"

#define MEM_WIN 0x40000000ull
#define IO_WIN  0x03000000ull
#define BAR0    (MEM_WIN + 0x1000)
#define BAR1    0x100ull            /* in I/O space */

static TsPciBus *bus;

static void host_init(void)
{
    bus = pci_host_new(MEM_WIN, 0x40000000, IO_WIN, false);
}

static uint32_t cfg(TsPciDevice *d, uint16_t reg, unsigned len)
{
    return ts_pci_host_config_read(bus, 0, d->devfn, reg, len);
}

static void cfg_w(TsPciDevice *d, uint16_t reg, uint32_t v, unsigned len)
{
    ts_pci_host_config_write(bus, 0, d->devfn, reg, v, len);
}

static uint32_t bar_size(TsPciDevice *d, uint16_t reg)
{
    uint32_t old = cfg(d, reg, 4);
    cfg_w(d, reg, 0xffffffff, 4);
    uint32_t v = cfg(d, reg, 4);
    cfg_w(d, reg, old, 4);
    return v;
}

/* Run every test of a BAR at `base` as a guest would; how many ran. */
static unsigned run_tests(uint64_t base)
{
    unsigned n;
    for (n = 0; n < 16; n++) {
        mmio_write(base, 1, n);
        unsigned width = mmio_read(base + 1, 1);
        if (width != 1 && width != 2 && width != 4) {
            break;
        }
        uint32_t off = mmio_read(base + 4, 4);
        uint32_t data = mmio_read(base + 8, 4);
        char name[33] = "";
        for (unsigned i = 0; i < 32; i++) {
            name[i] = (char)mmio_read(base + 16 + i, 1);
        }
        g_assert_cmpuint(strlen(name), >, 0);
        g_assert_cmpuint(mmio_read(base + 12, 4), ==, 0);
        mmio_write(base + off, width, data);
        mmio_write(base + off, width, data);
        g_assert_cmpuint(mmio_read(base + 12, 4), ==, 2);
        if (g_str_has_prefix(name, "datamatch")) {
            mmio_write(base + off, width, data ^ 1);
            g_assert_cmpuint(mmio_read(base + 12, 4), ==, 2);
        }
    }
    return n;
}

static void test_identity_and_tests(void)
{
    TsDevice *d = harness_device("pci-testdev", "td", NULL, NULL);
    TsPciDevice *p = TS_PCI_DEVICE(d);
    g_assert_cmphex(cfg(p, 0, 4), ==, 0x00051b36);
    g_assert_cmphex(cfg(p, 0x0a, 2), ==, 0x00ff);
    g_assert_cmphex(cfg(p, 0x2c, 4), ==, 0x11001af4);
    g_assert_cmphex(cfg(p, 0x3d, 1), ==, 0);      /* no INTx */
    g_assert_cmphex(bar_size(p, 0x10), ==, 0xfffff000);
    g_assert_cmphex(bar_size(p, 0x14), ==, 0xffffff01);
    g_assert_cmphex(bar_size(p, 0x18), ==, 0);    /* no membar */
    cfg_w(p, 0x10, (uint32_t)BAR0, 4);
    cfg_w(p, 0x14, (uint32_t)BAR1, 4);
    cfg_w(p, 0x04, 0x3, 2);
    g_assert_cmpuint(run_tests(BAR0), ==, 3);
    g_assert_cmpuint(run_tests(IO_WIN + BAR1), ==, 3);
    /* reset: counts and selection back to test 0, BARs unmapped */
    mmio_write(BAR0 + 0x40, 4, 0);
    ts_device_reset(d);
    g_assert_cmphex(cfg(p, 0x04, 2), ==, 0);
    cfg_w(p, 0x10, (uint32_t)BAR0, 4);
    cfg_w(p, 0x04, 0x2, 2);
    g_assert_cmpuint(mmio_read(BAR0 + 12, 4), ==, 0);
    g_assert_cmpuint(mmio_read(BAR0 + 1, 1), ==, 4);
    harness_destroy(d);
}

static void test_membar(void)
{
    static const char *const props[] = { "membar=1G", NULL };
    TsDevice *d = harness_device("pci-testdev", "td", NULL, props);
    TsPciDevice *p = TS_PCI_DEVICE(d);
    g_assert_cmphex(bar_size(p, 0x18), ==, 0xc000000c);
    g_assert_cmphex(bar_size(p, 0x1c), ==, 0xffffffff);
    harness_destroy(d);
    static const char *const bad[] = { "membar=3M", NULL };
    g_autoptr(GError) err = NULL;
    d = harness_try_device("pci-testdev", "td", bad, &err);
    g_assert_nonnull(d);
    g_assert_false(ts_device_realize(d, &err));
    g_assert_cmpstr(err->message, ==,
                    "pci-testdev: membar size must be a power of 2.");
    harness_destroy(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("pci-testdev")) {
        return 0;
    }
    host_init();
    g_test_add_func("/pci-testdev/identity-and-tests",
                    test_identity_and_tests);
    g_test_add_func("/pci-testdev/membar", test_membar);
    return g_test_run();
}
