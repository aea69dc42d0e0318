/*
 * test-virtio-rng-pci.c - the virtio PCI transport of core/virtio
 * (virtio-pci.c) with the virtio-rng model, on a root bus with an MSI
 * controller, driven by the test as a modern driver: ids and the vendor
 * capabilities, feature negotiation and queue setup through the common
 * configuration, a request served into guest RAM and signalled by the
 * queue's MSI-X vector, then a hostile driver: vectors and queues that do
 * not exist, queue changes while enabled, notifications for absent queues
 * and a notify storm, the ISR without MSI-X, and bus mastering off (the
 * queue breaks, nothing is written, a reset brings it back).  On the
 * root bus the device is transitional (QEMU's disable-legacy=auto): the
 * legacy registers in I/O BAR0 serve a request too, and refuse queue
 * addresses (PFNs) that put the rings outside RAM: past its end, over a
 * BAR, over the I/O window.
 */
#include "dev-harness.h"
#include "pci-host.h"

#include "machine/machine-lifecycle.h"

#include <string.h>

#define WIN_BASE  UINT64_C(0x40000000)
#define WIN_SIZE  UINT64_C(0x40000000)
#define RAM_BASE  UINT64_C(0x80000000)
#define RAM_SIZE  (UINT64_C(4) << 20)
#define BAR4      (WIN_BASE + 0x200000)
#define BAR1      (WIN_BASE + 0x100000)
#define MSI_ADDR  (RAM_BASE + 0x1000)
#define DESC      (RAM_BASE + 0x10000)
#define AVAIL     (RAM_BASE + 0x11000)
#define USED      (RAM_BASE + 0x12000)
#define BUF       (RAM_BASE + 0x20000)
#define IO_WIN    UINT64_C(0x03000000)
#define LEGACY_IO 0x100         /* BAR0, in the I/O space */
#define LEGACY    (IO_WIN + LEGACY_IO)

/* Common configuration offsets (VIRTIO 1.2, 4.1.4.3) */
enum { DFSELECT = 0x00, DF = 0x04, GFSELECT = 0x08, GF = 0x0c,
       MSIX_CONFIG = 0x10, NUM_QUEUES = 0x12, STATUS = 0x14,
       Q_SELECT = 0x16, Q_SIZE = 0x18, Q_MSIX = 0x1a, Q_ENABLE = 0x1c,
       Q_NOFF = 0x1e, Q_DESC = 0x20, Q_AVAIL = 0x28, Q_USED = 0x30 };

static TsPciBus *bus;
static TsPciDevice *dev;
static uint64_t common, isr, notify;
static uint32_t notify_mult;

static void ram_write(uint64_t addr, const void *buf, size_t len)
{
    g_assert_cmpint(ts_address_space_write(ts_address_space_system(), addr,
                                           buf, len), ==, TS_MEM_OK);
}

static uint32_t ram32(uint64_t addr)
{
    uint32_t v = 0;
    ts_address_space_read(ts_address_space_system(), addr, &v, 4);
    return GUINT32_FROM_LE(v);
}

static uint16_t ram16(uint64_t addr)
{
    return (uint16_t)ram32(addr);
}

static void host_init(void)
{
    pci_host_add_ram(RAM_BASE, RAM_SIZE);
    bus = pci_host_new(WIN_BASE, WIN_SIZE, IO_WIN, true);
}

static uint32_t cfg_read(uint16_t reg, unsigned len)
{
    return ts_pci_host_config_read(bus, 0, dev->devfn, reg, len);
}

static void cfg_write(uint16_t reg, uint32_t val, unsigned len)
{
    ts_pci_host_config_write(bus, 0, dev->devfn, reg, val, len);
}

/* Walk the capability list as a driver does: the vendor capabilities
 * give each structure's BAR and offset. */
static void find_structures(void)
{
    unsigned seen = 0;
    for (uint8_t at = (uint8_t)cfg_read(TS_PCI_CAPABILITY_LIST, 1); at;
         at = (uint8_t)cfg_read(at + 1, 1)) {
        if (cfg_read(at, 1) != TS_PCI_CAP_ID_VNDR) {
            continue;
        }
        unsigned type = cfg_read(at + 3, 1);
        g_assert_cmpuint(cfg_read(at + 4, 1), ==, 4);      /* BAR4 */
        uint64_t where = BAR4 + cfg_read(at + 8, 4);
        switch (type) {
        case 1: common = where; break;
        case 2: notify = where; notify_mult = cfg_read(at + 16, 4); break;
        case 3: isr = where; break;
        case 4: break;
        default: g_assert_not_reached();
        }
        seen |= 1u << type;
    }
    g_assert_cmphex(seen, ==, 0x1e);
}

static void device_up(void)
{
    const char *props[] = { NULL };
    g_autoptr(GError) err = NULL;
    TsDevice *d = harness_try_device("virtio-rng-pci", "rng0", props, &err);
    g_assert_no_error(err);
    g_assert_true(ts_device_realize(d, &err));
    dev = TS_PCI_DEVICE(d);
    cfg_write(0x10 + 4 * 4, (uint32_t)BAR4, 4);
    cfg_write(0x10 + 5 * 4, (uint32_t)(BAR4 >> 32), 4);
    cfg_write(0x10 + 1 * 4, (uint32_t)BAR1, 4);
    cfg_write(TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY | TS_PCI_COMMAND_MASTER,
              2);
    find_structures();
}

static void msix_on(uint32_t data0, uint32_t data1)
{
    uint8_t cap = ts_pci_find_capability(dev, TS_PCI_CAP_ID_MSIX);
    g_assert_cmpuint(cap, !=, 0);
    g_assert_cmpuint((cfg_read(cap + 2, 2) & 0x7ff) + 1, ==, 2);
    mmio_write(BAR1 + 0, 4, MSI_ADDR);
    mmio_write(BAR1 + 8, 4, data0);
    mmio_write(BAR1 + 12, 4, 0);
    mmio_write(BAR1 + 16, 4, MSI_ADDR);
    mmio_write(BAR1 + 24, 4, data1);
    mmio_write(BAR1 + 28, 4, 0);
    cfg_write(cap + 2, 0x8000, 2);
}

/* Negotiate VERSION_1 and set queue 0 up on vector `vector`. */
static void driver_up(uint16_t vector)
{
    mmio_write(common + STATUS, 1, 0);
    mmio_write(common + STATUS, 1, 1 | 2);
    mmio_write(common + DFSELECT, 4, 1);
    g_assert_true(mmio_read(common + DF, 4) & 1);      /* VERSION_1 */
    mmio_write(common + GFSELECT, 4, 1);
    mmio_write(common + GF, 4, 1);
    mmio_write(common + GFSELECT, 4, 0);
    mmio_write(common + GF, 4, 0);
    mmio_write(common + STATUS, 1, 1 | 2 | 8);
    g_assert_cmphex(mmio_read(common + STATUS, 1), ==, 1 | 2 | 8);
    g_assert_cmpuint(mmio_read(common + NUM_QUEUES, 2), ==, 1);
    mmio_write(common + Q_SELECT, 2, 0);
    g_assert_cmpuint(mmio_read(common + Q_SIZE, 2), >=, 8);
    mmio_write(common + Q_SIZE, 2, 8);
    mmio_write(common + Q_MSIX, 2, vector);
    mmio_write(common + Q_DESC, 4, (uint32_t)DESC);
    mmio_write(common + Q_DESC + 4, 4, (uint32_t)(DESC >> 32));
    mmio_write(common + Q_AVAIL, 4, (uint32_t)AVAIL);
    mmio_write(common + Q_AVAIL + 4, 4, (uint32_t)(AVAIL >> 32));
    mmio_write(common + Q_USED, 4, (uint32_t)USED);
    mmio_write(common + Q_USED + 4, 4, (uint32_t)(USED >> 32));
    mmio_write(common + Q_ENABLE, 2, 1);
    mmio_write(common + STATUS, 1, 1 | 2 | 8 | 4);
    static const uint8_t zeroes[4096];
    ram_write(AVAIL, zeroes, sizeof(zeroes));
    ram_write(USED, zeroes, sizeof(zeroes));
}

/* Post one 64-byte writable buffer as avail entry `idx` and notify. */
static void post(uint16_t idx)
{
    struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d = {
        GUINT64_TO_LE(BUF), GUINT32_TO_LE(64), GUINT16_TO_LE(2), 0 };
    ram_write(DESC, &d, sizeof(d));
    uint16_t head = 0, next = GUINT16_TO_LE(idx + 1);
    ram_write(AVAIL + 4 + 2 * (idx % 8), &head, 2);
    ram_write(AVAIL + 2, &next, 2);
    uint16_t noff = (uint16_t)mmio_read(common + Q_NOFF, 2);
    mmio_write(notify + (uint64_t)noff * notify_mult, 2, 0);
}

typedef struct UsedWait {
    uint16_t want;
} UsedWait;

static bool used_reaches(void *opaque)
{
    return ram16(USED + 2) >= ((UsedWait *)opaque)->want;
}

static bool msi_is(void *opaque)
{
    return ram32(MSI_ADDR) == GPOINTER_TO_UINT(opaque);
}

/* On the root bus: transitional, as QEMU's (1af4:1005, revision 0,
 * subsystem = virtio type 4). */
static void test_identity(void)
{
    g_assert_cmphex(cfg_read(TS_PCI_VENDOR_ID, 4), ==, 0x10051af4);
    g_assert_cmphex(cfg_read(TS_PCI_REVISION_ID, 4), ==, 0x00ff0000);
    g_assert_cmphex(cfg_read(TS_PCI_SUBSYSTEM_VENDOR_ID, 4), ==,
                    0x00041af4);
    /* BAR0: I/O, the 24-byte header with MSI-X and no configuration,
     * rounded up to 32 */
    cfg_write(0x10, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(0x10, 4), ==, 0xffffffe1);
    cfg_write(0x10, LEGACY_IO, 4);
    g_assert_cmpuint(notify_mult, ==, 4);
    /* BAR4: 64-bit prefetchable memory, 16 KiB */
    cfg_write(0x10 + 4 * 4, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(0x10 + 4 * 4, 4), ==, 0xffffc00c);
    cfg_write(0x10 + 4 * 4, (uint32_t)BAR4, 4);
}

static void test_request_msix(void)
{
    msix_on(0x1111, 0x2222);
    driver_up(1);
    g_assert_cmphex(mmio_read(common + Q_MSIX, 2), ==, 1);
    uint32_t zero = 0;
    ram_write(MSI_ADDR, &zero, 4);
    static const uint8_t zeroes[64];
    ram_write(BUF, zeroes, 64);
    post(0);
    UsedWait w = { 1 };
    g_assert_true(run_until(used_reaches, &w, 5000));
    g_assert_cmpuint(ram32(USED + 8), ==, 64);          /* len */
    uint8_t got[64];
    ts_address_space_read(ts_address_space_system(), BUF, got, 64);
    g_assert_true(memcmp(got, zeroes, 64) != 0);
    g_assert_true(run_until(msi_is, GUINT_TO_POINTER(0x2222), 5000));
    /* With MSI-X on, the ISR is not used */
    g_assert_cmpuint(mmio_read(isr, 1), ==, 0);
}

static void test_hostile(void)
{
    msix_on(0x1111, 0x2222);
    driver_up(0);
    /* A vector the device lacks reads back as NO_VECTOR */
    mmio_write(common + MSIX_CONFIG, 2, 7);
    g_assert_cmphex(mmio_read(common + MSIX_CONFIG, 2), ==, 0xffff);
    /* A queue that does not exist: size 0, writes go nowhere */
    mmio_write(common + Q_SELECT, 2, 77);
    g_assert_cmpuint(mmio_read(common + Q_SIZE, 2), ==, 0);
    mmio_write(common + Q_SIZE, 2, 4);
    mmio_write(common + Q_ENABLE, 2, 1);
    mmio_write(common + Q_DESC, 4, 0xdead0000);
    /* Queue 0 changed while enabled: refused */
    mmio_write(common + Q_SELECT, 2, 0);
    mmio_write(common + Q_DESC, 4, 0xdead0000);
    g_assert_cmphex(mmio_read(common + Q_DESC, 4), ==, (uint32_t)DESC);
    /* Notifications for absent queues, anywhere in the region, a storm */
    for (unsigned i = 0; i < 0x1000; i += 2) {
        mmio_write(notify + i, 2, 0xffff);
    }
    /* The device still serves */
    post(0);
    UsedWait w = { 1 };
    g_assert_true(run_until(used_reaches, &w, 5000));
    /* Bus mastering off: the next request breaks the queue, nothing is
     * written, the driver hears of it */
    cfg_write(TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY, 2);
    static const uint8_t zeroes[64];
    ram_write(BUF, zeroes, 64);
    post(1);
    g_assert_cmphex(mmio_read(common + STATUS, 1) & 0x40, ==, 0x40);
    uint8_t got[64];
    ts_address_space_read(ts_address_space_system(), BUF, got, 64);
    g_assert_cmpmem(got, 64, zeroes, 64);
    /* A reset and mastering back: it works again */
    cfg_write(TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY | TS_PCI_COMMAND_MASTER,
              2);
    driver_up(0);
    g_assert_cmphex(mmio_read(common + STATUS, 1), ==, 0xf);
    post(0);
    g_assert_true(run_until(used_reaches, &w, 5000));
}

static bool intx_isr(void *opaque)
{
    return ts_pci_get_word(ts_pci_config(dev) + TS_PCI_STATUS) &
           TS_PCI_STATUS_INTERRUPT;
}

static void test_isr_intx(void)
{
    uint8_t cap = ts_pci_find_capability(dev, TS_PCI_CAP_ID_MSIX);
    cfg_write(cap + 2, 0, 2);
    driver_up(0);
    post(0);
    g_assert_true(run_until(intx_isr, NULL, 5000));
    /* Reading the ISR acknowledges it and lowers INTA */
    g_assert_cmpuint(mmio_read(isr, 1), ==, 1);
    g_assert_false(intx_isr(NULL));
    g_assert_cmpuint(mmio_read(isr, 1), ==, 0);
}

/* ---- The legacy interface (VIRTIO 1.2, 4.1.4.8) ---------------------- */

enum { LG_DF = 0x00, LG_GF = 0x04, LG_PFN = 0x08, LG_QSIZE = 0x0c,
       LG_QSEL = 0x0e, LG_NOTIFY = 0x10, LG_STATUS = 0x12, LG_ISR = 0x13 };

static uint64_t lg_avail, lg_used;

static void legacy_io_on(void)
{
    uint8_t cap = ts_pci_find_capability(dev, TS_PCI_CAP_ID_MSIX);
    cfg_write(cap + 2, 0, 2);                   /* MSI-X off: INTx */
    cfg_write(0x10, LEGACY_IO, 4);
    cfg_write(TS_PCI_COMMAND, TS_PCI_COMMAND_IO | TS_PCI_COMMAND_MEMORY |
              TS_PCI_COMMAND_MASTER, 2);
}

/* Reset, then what a legacy driver does: no FEATURES_OK, one write of
 * the queue's page frame number; returns the status it reads back. */
static uint8_t legacy_up(uint32_t pfn)
{
    mmio_write(LEGACY + LG_STATUS, 1, 0);
    mmio_write(LEGACY + LG_STATUS, 1, 1 | 2);
    mmio_write(LEGACY + LG_GF, 4, mmio_read(LEGACY + LG_DF, 4));
    mmio_write(LEGACY + LG_QSEL, 2, 0);
    g_assert_cmpuint(mmio_read(LEGACY + LG_PFN, 4), ==, 0);
    mmio_write(LEGACY + LG_PFN, 4, pfn);
    mmio_write(LEGACY + LG_STATUS, 1, 1 | 2 | 4);
    return (uint8_t)mmio_read(LEGACY + LG_STATUS, 1);
}

static void legacy_post(uint16_t idx)
{
    struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d = {
        GUINT64_TO_LE(BUF), GUINT32_TO_LE(64), GUINT16_TO_LE(2), 0 };
    ram_write(DESC, &d, sizeof(d));
    uint16_t head = 0, next = GUINT16_TO_LE(idx + 1);
    uint32_t num = (uint32_t)mmio_read(LEGACY + LG_QSIZE, 2);
    ram_write(lg_avail + 4 + 2 * (idx % num), &head, 2);
    ram_write(lg_avail + 2, &next, 2);
    mmio_write(LEGACY + LG_NOTIFY, 2, 0);
}

typedef struct LegacyWait {
    uint16_t want;
} LegacyWait;

static bool legacy_used_reaches(void *opaque)
{
    return ram16(lg_used + 2) >= ((LegacyWait *)opaque)->want;
}

static void test_legacy_request(void)
{
    legacy_io_on();
    /* A legacy driver sees features 0-31 only: no VERSION_1 anywhere */
    uint32_t df = (uint32_t)mmio_read(LEGACY + LG_DF, 4);
    g_assert_cmphex(df & (1u << 28), !=, 0);        /* INDIRECT_DESC */
    uint32_t num = (uint32_t)mmio_read(LEGACY + LG_QSIZE, 2);
    g_assert_cmpuint(num, >=, 8);
    g_assert_cmpuint(num & (num - 1), ==, 0);
    /* The legacy layout: available ring after the descriptors, used ring
     * at the next 4 KiB boundary */
    lg_avail = DESC + 16 * num;
    lg_used = (lg_avail + 6 + 2 * num + 4095) & ~UINT64_C(4095);
    static const uint8_t zeroes[8192];
    ram_write(lg_avail, zeroes, lg_used + 4096 - lg_avail);
    g_assert_cmphex(legacy_up((uint32_t)(DESC >> 12)), ==, 1 | 2 | 4);
    g_assert_cmphex(mmio_read(LEGACY + LG_PFN, 4), ==, DESC >> 12);
    ram_write(BUF, zeroes, 64);
    legacy_post(0);
    LegacyWait w = { 1 };
    g_assert_true(run_until(legacy_used_reaches, &w, 5000));
    g_assert_cmpuint(ram32(lg_used + 8), ==, 64);
    uint8_t got[64];
    ts_address_space_read(ts_address_space_system(), BUF, got, 64);
    g_assert_true(memcmp(got, zeroes, 64) != 0);
    /* INTx and the ISR: reading acknowledges */
    g_assert_true(run_until(intx_isr, NULL, 5000));
    g_assert_cmpuint(mmio_read(LEGACY + LG_ISR, 1), ==, 1);
    g_assert_false(intx_isr(NULL));
    g_assert_cmpuint(mmio_read(LEGACY + LG_ISR, 1), ==, 0);
    /* PFN 0 takes the queue back */
    mmio_write(LEGACY + LG_PFN, 4, 0);
    g_assert_cmpuint(mmio_read(LEGACY + LG_PFN, 4), ==, 0);
}

static void test_legacy_hostile(void)
{
    legacy_io_on();
    /* Rings past the end of RAM, in the last page of RAM (the used ring
     * falls off its end), over the memory window (BAR4 is there), over
     * the I/O window (the legacy registers themselves), over page 0:
     * each breaks the queue and the device asks for a reset */
    const uint32_t bad[] = {
        0xffffffff,
        (uint32_t)((RAM_BASE + RAM_SIZE) >> 12),
        (uint32_t)((RAM_BASE + RAM_SIZE - 4096) >> 12),
        (uint32_t)(BAR4 >> 12),
        (uint32_t)(IO_WIN >> 12),
        1,
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmphex(legacy_up(bad[i]) & 0x40, ==, 0x40);
        /* and notifying it does nothing */
        mmio_write(LEGACY + LG_NOTIFY, 2, 0);
    }
    /* A queue that does not exist: size 0, its PFN goes nowhere */
    mmio_write(LEGACY + LG_STATUS, 1, 0);
    mmio_write(LEGACY + LG_QSEL, 2, 9);
    g_assert_cmpuint(mmio_read(LEGACY + LG_QSIZE, 2), ==, 0);
    mmio_write(LEGACY + LG_PFN, 4, (uint32_t)(DESC >> 12));
    g_assert_cmpuint(mmio_read(LEGACY + LG_PFN, 4), ==, 0);
    /* Notifications for absent queues, writes of the wrong size,
     * read-only registers, past the end of the window */
    for (unsigned q = 0; q < 0x10000; q += 0x1111) {
        mmio_write(LEGACY + LG_NOTIFY, 2, q);
    }
    mmio_write(LEGACY + LG_PFN, 2, 0x1234);
    mmio_write(LEGACY + LG_DF, 4, 0xffffffff);
    mmio_write(LEGACY + LG_QSIZE, 2, 4);
    mmio_write(LEGACY + 0x1f, 1, 0xff);
    g_assert_cmpuint(mmio_read(LEGACY + 0x1c, 4), ==, 0);
    /* A queue moved while in use: refused */
    g_assert_cmphex(legacy_up((uint32_t)(DESC >> 12)), ==, 1 | 2 | 4);
    mmio_write(LEGACY + LG_PFN, 4, (uint32_t)(BUF >> 12));
    g_assert_cmphex(mmio_read(LEGACY + LG_PFN, 4), ==, DESC >> 12);
    /* After all that, the device still serves */
    static const uint8_t zeroes[8192];
    ram_write(lg_avail, zeroes, lg_used + 4096 - lg_avail);
    legacy_post(0);
    LegacyWait w = { 1 };
    g_assert_true(run_until(legacy_used_reaches, &w, 5000));
    mmio_write(LEGACY + LG_STATUS, 1, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("virtio-rng-pci")) {
        return 0;
    }
    host_init();
    device_up();
    g_test_add_func("/virtio-rng-pci/identity", test_identity);
    g_test_add_func("/virtio-rng-pci/request-msix", test_request_msix);
    g_test_add_func("/virtio-rng-pci/hostile", test_hostile);
    g_test_add_func("/virtio-rng-pci/isr-intx", test_isr_intx);
    g_test_add_func("/virtio-rng-pci/legacy-request", test_legacy_request);
    g_test_add_func("/virtio-rng-pci/legacy-hostile", test_legacy_hostile);
    int ret = g_test_run();
    harness_destroy(TS_DEVICE(dev));
    return ret;
}
