/*
 * test-virtio-net-pci.c - the same virtio-net model on the virtio PCI
 * transport, on a root bus (tests/harness/pci-host.c), without a
 * backend, modern only (disable-legacy=on): the ids Linux matches
 * (1af4:1041, class 020000, QEMU's with disable-legacy=on), three queues, the MAC in the device configuration
 * and the link reported up; a frame sent by the driver with no peer is
 * taken and dropped, not left in the ring.
 */
#include "dev-harness.h"
#include "pci-host.h"

#include <string.h>

#define WIN_BASE  UINT64_C(0x40000000)
#define WIN_SIZE  UINT64_C(0x40000000)
#define RAM_BASE  UINT64_C(0x80000000)
#define RAM_SIZE  (UINT64_C(4) << 20)
#define BAR4      (WIN_BASE + 0x200000)
#define DESC      (RAM_BASE + 0x10000)
#define AVAIL     (RAM_BASE + 0x11000)
#define USED      (RAM_BASE + 0x12000)
#define BUF       (RAM_BASE + 0x20000)

enum { DFSELECT = 0x00, DF = 0x04, GFSELECT = 0x08, GF = 0x0c,
       NUM_QUEUES = 0x12, STATUS = 0x14, Q_SELECT = 0x16, Q_SIZE = 0x18,
       Q_ENABLE = 0x1c, Q_NOFF = 0x1e, Q_DESC = 0x20, Q_AVAIL = 0x28,
       Q_USED = 0x30 };

static TsPciBus *bus;
static TsPciDevice *dev;
static uint64_t common, notify, device_cfg;
static uint32_t notify_mult;

static uint32_t cfg_read(uint16_t reg, unsigned len)
{
    return ts_pci_host_config_read(bus, 0, dev->devfn, reg, len);
}

static void cfg_write(uint16_t reg, uint32_t val, unsigned len)
{
    ts_pci_host_config_write(bus, 0, dev->devfn, reg, val, len);
}

static void ram_write(uint64_t addr, const void *buf, size_t len)
{
    g_assert_cmpint(ts_address_space_write(ts_address_space_system(), addr,
                                           buf, len), ==, TS_MEM_OK);
}

static uint16_t ram16(uint64_t addr)
{
    uint16_t v = 0;
    ts_address_space_read(ts_address_space_system(), addr, &v, 2);
    return GUINT16_FROM_LE(v);
}

static void device_up(void)
{
    pci_host_add_ram(RAM_BASE, RAM_SIZE);
    bus = pci_host_new(WIN_BASE, WIN_SIZE, PCI_HOST_NO_IO_WINDOW, true);
    /* Modern only: a root bus would make it transitional (1af4:1000) */
    const char *props[] = { "mac=52:54:00:12:34:99", "disable-legacy=on",
                            NULL };
    g_autoptr(GError) err = NULL;
    TsDevice *d = harness_try_device("virtio-net-pci", "net0", props, &err);
    g_assert_no_error(err);
    g_assert_true(ts_device_realize(d, &err));
    dev = TS_PCI_DEVICE(d);
    cfg_write(0x10 + 4 * 4, (uint32_t)BAR4, 4);
    cfg_write(0x10 + 5 * 4, (uint32_t)(BAR4 >> 32), 4);
    cfg_write(TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY | TS_PCI_COMMAND_MASTER,
              2);
    for (uint8_t at = (uint8_t)cfg_read(TS_PCI_CAPABILITY_LIST, 1); at;
         at = (uint8_t)cfg_read(at + 1, 1)) {
        if (cfg_read(at, 1) != TS_PCI_CAP_ID_VNDR) {
            continue;
        }
        uint64_t where = BAR4 + cfg_read(at + 8, 4);
        switch (cfg_read(at + 3, 1)) {
        case 1: common = where; break;
        case 2: notify = where; notify_mult = cfg_read(at + 16, 4); break;
        case 4: device_cfg = where; break;
        }
    }
    g_assert_cmphex(common && notify && device_cfg, ==, 1);
}

static void test_identity(void)
{
    g_assert_cmphex(cfg_read(TS_PCI_VENDOR_ID, 4), ==, 0x10411af4);
    g_assert_cmphex(cfg_read(TS_PCI_REVISION_ID, 4), ==, 0x02000001);
    g_assert_cmphex(cfg_read(TS_PCI_SUBSYSTEM_VENDOR_ID, 4), ==,
                    0x11001af4);
    g_assert_cmpuint(mmio_read(common + NUM_QUEUES, 2), ==, 3);
    mmio_write(common + DFSELECT, 4, 0);
    g_assert_cmphex(mmio_read(common + DF, 4) & (1u << 5), ==, 1u << 5);
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x99 };
    uint8_t got[6];
    for (unsigned i = 0; i < 6; i++) {
        got[i] = (uint8_t)mmio_read(device_cfg + i, 1);
    }
    g_assert_cmpmem(got, 6, mac, 6);
    g_assert_cmphex(mmio_read(device_cfg + 6, 2), ==, 1);     /* link up */
}

static bool used_reaches_one(void *opaque)
{
    return ram16(USED + 2) == 1;
}

static void test_no_peer(void)
{
    mmio_write(common + STATUS, 1, 0);
    mmio_write(common + STATUS, 1, 1 | 2);
    mmio_write(common + GFSELECT, 4, 1);
    mmio_write(common + GF, 4, 1);
    mmio_write(common + GFSELECT, 4, 0);
    mmio_write(common + GF, 4, 0);
    mmio_write(common + STATUS, 1, 1 | 2 | 8);
    static const uint8_t zeroes[4096];
    ram_write(AVAIL, zeroes, sizeof(zeroes));
    ram_write(USED, zeroes, sizeof(zeroes));
    mmio_write(common + Q_SELECT, 2, 1);                /* transmit */
    mmio_write(common + Q_SIZE, 2, 8);
    mmio_write(common + Q_DESC, 4, (uint32_t)DESC);
    mmio_write(common + Q_DESC + 4, 4, 0);
    mmio_write(common + Q_AVAIL, 4, (uint32_t)AVAIL);
    mmio_write(common + Q_AVAIL + 4, 4, 0);
    mmio_write(common + Q_USED, 4, (uint32_t)USED);
    mmio_write(common + Q_USED + 4, 4, 0);
    mmio_write(common + Q_ENABLE, 2, 1);
    mmio_write(common + STATUS, 1, 1 | 2 | 8 | 4);
    /* header + 60-byte frame in one descriptor */
    uint8_t frame[72] = { 0 };
    memset(frame + 12, 0xff, 6);
    ram_write(BUF, frame, sizeof(frame));
    struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d = {
        GUINT64_TO_LE(BUF), GUINT32_TO_LE(sizeof(frame)), 0, 0 };
    ram_write(DESC, &d, sizeof(d));
    uint16_t head = 0, idx = GUINT16_TO_LE(1);
    ram_write(AVAIL + 4, &head, 2);
    ram_write(AVAIL + 2, &idx, 2);
    uint16_t noff = (uint16_t)mmio_read(common + Q_NOFF, 2);
    mmio_write(notify + (uint64_t)noff * notify_mult, 2, 1);
    g_assert_true(run_until(used_reaches_one, NULL, 5000));
    g_assert_cmphex(mmio_read(common + STATUS, 1) & 0x40, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("virtio-net-pci")) {
        return 0;
    }
    device_up();
    g_test_add_func("/virtio-net-pci/identity", test_identity);
    g_test_add_func("/virtio-net-pci/no-peer", test_no_peer);
    int ret = g_test_run();
    harness_destroy(TS_DEVICE(dev));
    return ret;
}
