/*
 * test-dev-nvme.c - the `nvme` PCI function of plugins/dev-nvme on a
 * root bus with an MSI controller (what Linux 6.1 on the fixture cannot
 * show: it has no AIA drivers, so the functional test runs on INTx):
 * config header and BAR0, a write and a read on a raw image through the
 * block layer with the completion signalled by its MSI-X vector, then a
 * guest that turns bus mastering off (nothing it asked for reaches
 * memory; the controller reports a fatal status instead), unplug with a
 * command on the disk, and the property errors.
 */
#include "dev-harness.h"
#include "pci-host.h"

#include "block/block-internal.h"
#include "machine/machine-lifecycle.h"
#include "block/block-options.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define WIN_BASE  UINT64_C(0x40000000)
#define WIN_SIZE  UINT64_C(0x40000000)
#define RAM_BASE  UINT64_C(0x80000000)
#define RAM_SIZE  (UINT64_C(4) << 20)
#define BAR0      (WIN_BASE + 0x100000)
#define MSI_ADDR  (RAM_BASE + 0x1000)
#define ASQ       (RAM_BASE + 0x10000)
#define ACQ       (RAM_BASE + 0x11000)
#define IOSQ      (RAM_BASE + 0x12000)
#define IOCQ      (RAM_BASE + 0x13000)
#define DATA      (RAM_BASE + 0x20000)
#define DISK_SIZE (UINT64_C(1) << 20)

static TsPciBus *bus;
static char *tmpdir;
static unsigned drives;

static void ram_write(uint64_t addr, const void *buf, size_t len)
{
    g_assert_cmpint(ts_address_space_write(ts_address_space_system(), addr,
                                           buf, len), ==, TS_MEM_OK);
}

static void ram_read(uint64_t addr, void *buf, size_t len)
{
    g_assert_cmpint(ts_address_space_read(ts_address_space_system(), addr,
                                          buf, len), ==, TS_MEM_OK);
}

static uint32_t ram32(uint64_t addr)
{
    uint32_t v;
    ram_read(addr, &v, 4);
    return GUINT32_FROM_LE(v);
}

static void host_init(void)
{
    pci_host_add_ram(RAM_BASE, RAM_SIZE);
    bus = pci_host_new(WIN_BASE, WIN_SIZE, PCI_HOST_NO_IO_WINDOW, true);
}

/* A raw image of DISK_SIZE bytes, byte i = i / 512 + i % 512, as drive
 * "dN"; returns its path. */
static char *drive_new(char **id)
{
    char *path = g_strdup_printf("%s/disk%u.img", tmpdir, drives);
    g_autofree uint8_t *data = g_malloc(DISK_SIZE);
    for (uint64_t i = 0; i < DISK_SIZE; i++) {
        data[i] = (uint8_t)(i / 512 + i % 512);
    }
    g_assert_true(g_file_set_contents(path, (const char *)data, DISK_SIZE,
                                      NULL));
    *id = g_strdup_printf("d%u", drives++);
    g_autofree char *opts = g_strdup_printf("file=%s,format=raw,if=none,"
                                            "id=%s", path, *id);
    g_autoptr(GError) err = NULL;
    g_assert_true(block_drive_add(opts, &err));
    g_assert_true(block_drives_open(&err));
    g_assert_no_error(err);
    return path;
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

static uint32_t reg_read(uint64_t off)
{
    return (uint32_t)mmio_read(BAR0 + off, 4);
}

static void reg_write(uint64_t off, uint32_t v)
{
    mmio_write(BAR0 + off, 4, v);
}

/* The host driver's view of a queue pair. */
typedef struct Q {
    uint16_t id;
    uint64_t sq, cq;
    uint32_t size, tail, head;
    bool phase;
} Q;

static uint16_t cid;

static void submit(Q *q, uint8_t opcode, uint32_t nsid, uint64_t prp1,
                   const uint32_t *dw10_15)
{
    uint32_t e[16] = { 0 };
    e[0] = GUINT32_TO_LE(opcode | (uint32_t)++cid << 16);
    e[1] = GUINT32_TO_LE(nsid);
    e[6] = GUINT32_TO_LE((uint32_t)prp1);
    e[7] = GUINT32_TO_LE((uint32_t)(prp1 >> 32));
    for (unsigned i = 0; dw10_15 && i < 6; i++) {
        e[10 + i] = GUINT32_TO_LE(dw10_15[i]);
    }
    ram_write(q->sq + (uint64_t)q->tail * 64, e, 64);
    q->tail = (q->tail + 1) % q->size;
    reg_write(0x1000 + q->id * 8, q->tail);
}

typedef struct Wait {
    Q *q;
} Wait;

static bool cqe_posted(void *opaque)
{
    Q *q = opaque;
    uint32_t dw3 = ram32(q->cq + (uint64_t)q->head * 16 + 12);
    return (bool)((dw3 >> 16) & 1) == q->phase;
}

/* Wait for the next completion; returns its status (without phase). */
static uint16_t reap(Q *q)
{
    g_assert_true(run_until(cqe_posted, q, 10000));
    uint32_t dw3 = ram32(q->cq + (uint64_t)q->head * 16 + 12);
    g_assert_cmpuint(dw3 & 0xffff, ==, cid);
    if (++q->head == q->size) {
        q->head = 0;
        q->phase = !q->phase;
    }
    reg_write(0x1000 + q->id * 8 + 4, q->head);
    return (uint16_t)(dw3 >> 17);
}

/* Create and realize; NULL + errp when refused (the device is gone). */
static TsDevice *realized(const char *name, const char *const *props,
                          GError **errp)
{
    TsDevice *dev = harness_try_device("nvme", name, props, errp);
    if (dev && !ts_device_realize(dev, errp)) {
        ts_object_remove_child(TS_OBJECT(ts_machine_current()),
                               TS_OBJECT(dev));
        dev = NULL;
    }
    return dev;
}

static TsPciDevice *nvme_new(const char *drive, GError **errp)
{
    g_autofree char *d = g_strdup_printf("drive=%s", drive);
    const char *props[] = { "serial=UNIT0", d, NULL };
    TsDevice *dev = realized("nvme0", props, errp);
    return dev ? TS_PCI_DEVICE(dev) : NULL;
}

static bool file_is_pattern(const char *path, uint64_t off, size_t len)
{
    g_autofree uint8_t *buf = g_malloc(len);
    int fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, (ssize_t)len);
    close(fd);
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != (uint8_t)((off + i) / 512 + (off + i) % 512)) {
            return false;
        }
    }
    return true;
}

static bool file_is_byte(const char *path, uint64_t off, size_t len,
                         uint8_t byte)
{
    g_autofree uint8_t *buf = g_malloc(len);
    int fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, (ssize_t)len);
    close(fd);
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != byte) {
            return false;
        }
    }
    return true;
}

/* Map BAR0, enable memory and bus mastering, and MSI-X with vector 1
 * writing `data` to MSI_ADDR; then bring the controller up with an
 * admin queue and I/O queue pair 1 on vector 1. */
static void bring_up(TsPciDevice *dev, Q *aq, Q *ioq, uint32_t data)
{
    cfg_write(dev, TS_PCI_BASE_ADDRESS_0, (uint32_t)BAR0, 4);
    cfg_write(dev, TS_PCI_BASE_ADDRESS_0 + 4, (uint32_t)(BAR0 >> 32), 4);
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY |
              TS_PCI_COMMAND_MASTER, 2);
    uint8_t cap = ts_pci_find_capability(dev, TS_PCI_CAP_ID_MSIX);
    g_assert_cmpuint(cap, !=, 0);
    /* table in BAR0 at 0x2000: entry 1 */
    mmio_write(BAR0 + 0x2000 + 16, 4, MSI_ADDR);
    mmio_write(BAR0 + 0x2000 + 20, 4, 0);
    mmio_write(BAR0 + 0x2000 + 24, 4, data);
    mmio_write(BAR0 + 0x2000 + 28, 4, 0);
    cfg_write(dev, cap + 2, 0x8000, 2);
    g_assert_true(ts_pci_msix_enabled(dev));

    /* As a driver does: completion queues start zeroed (phase 0). */
    static const uint8_t zeroes[4096];
    ram_write(ACQ, zeroes, sizeof(zeroes));
    ram_write(IOCQ, zeroes, sizeof(zeroes));
    *aq = (Q){ .id = 0, .sq = ASQ, .cq = ACQ, .size = 8, .phase = true };
    reg_write(0x24, 7 | 7 << 16);
    reg_write(0x28, (uint32_t)ASQ);
    reg_write(0x2c, (uint32_t)(ASQ >> 32));
    reg_write(0x30, (uint32_t)ACQ);
    reg_write(0x34, (uint32_t)(ACQ >> 32));
    reg_write(0x14, 1 | 6u << 16 | 4u << 20);
    g_assert_cmphex(reg_read(0x1c), ==, 1);
    uint32_t cq[6] = { 1 | 15u << 16, 1 | 2 | 1u << 16 };
    submit(aq, 0x05, 0, IOCQ, cq);
    g_assert_cmphex(reap(aq), ==, 0);
    uint32_t sq[6] = { 1 | 15u << 16, 1 | 1u << 16 };
    submit(aq, 0x01, 0, IOSQ, sq);
    g_assert_cmphex(reap(aq), ==, 0);
    *ioq = (Q){ .id = 1, .sq = IOSQ, .cq = IOCQ, .size = 16, .phase = true };
}

static bool msi_landed(void *opaque)
{
    return ram32(MSI_ADDR) == GPOINTER_TO_UINT(opaque);
}

static void test_identity(void)
{
    g_autofree char *id = NULL;
    g_autofree char *path = drive_new(&id);
    g_autoptr(GError) err = NULL;
    TsPciDevice *dev = nvme_new(id, &err);
    g_assert_no_error(err);
    g_assert_cmphex(cfg_read(dev, TS_PCI_VENDOR_ID, 4), ==, 0x00101b36);
    g_assert_cmphex(cfg_read(dev, TS_PCI_REVISION_ID, 4), ==, 0x01080202);
    g_assert_cmphex(cfg_read(dev, TS_PCI_INTERRUPT_PIN, 1), ==, 1);
    /* BAR0: 64-bit memory, 16 KiB */
    cfg_write(dev, TS_PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(dev, TS_PCI_BASE_ADDRESS_0, 4), ==,
                    0xffffc004);
    g_assert_cmpuint(ts_pci_find_capability(dev, TS_PCI_CAP_ID_EXP), !=, 0);
    harness_destroy(TS_DEVICE(dev));
    g_unlink(path);
}

static void test_io_msix(void)
{
    g_autofree char *id = NULL;
    g_autofree char *path = drive_new(&id);
    g_autoptr(GError) err = NULL;
    TsPciDevice *dev = nvme_new(id, &err);
    g_assert_no_error(err);
    Q aq, ioq;
    bring_up(dev, &aq, &ioq, 0x4242);
    g_assert_cmphex(reg_read(0x08), ==, 0x10400);

    /* Write 8 blocks of 0xa5 at LBA 16, the completion by vector 1 */
    uint8_t buf[4096];
    memset(buf, 0xa5, sizeof(buf));
    ram_write(DATA, buf, sizeof(buf));
    uint32_t zero = 0;
    ram_write(MSI_ADDR, &zero, 4);
    uint32_t rw[6] = { 16, 0, 7 };
    submit(&ioq, 0x01, 1, DATA, rw);
    g_assert_cmphex(reap(&ioq), ==, 0);
    g_assert_true(run_until(msi_landed, GUINT_TO_POINTER(0x4242), 5000));
    g_assert_true(file_is_byte(path, 16 * 512, 4096, 0xa5));
    g_assert_true(file_is_pattern(path, 24 * 512, 512));
    /* Read them back elsewhere */
    uint32_t rd[6] = { 24, 0, 7 };
    submit(&ioq, 0x02, 1, DATA + 0x1000, rd);
    g_assert_cmphex(reap(&ioq), ==, 0);
    ram_read(DATA + 0x1000, buf, sizeof(buf));
    g_assert_cmpuint(buf[0], ==, (uint8_t)(24 + 0));
    g_assert_cmpuint(buf[513], ==, (uint8_t)(25 + 1));
    /* Past the end: LBA Out of Range with DNR */
    uint32_t far[6] = { (uint32_t)(DISK_SIZE / 512), 0, 0 };
    submit(&ioq, 0x02, 1, DATA, far);
    g_assert_cmphex(reap(&ioq), ==, 0x4080);

    /* The guest turns bus mastering off and submits: nothing reaches
     * memory, the controller cannot fetch and says so with CFS. */
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY, 2);
    memset(buf, 0x3c, sizeof(buf));
    ram_write(DATA, buf, sizeof(buf));
    submit(&ioq, 0x01, 1, DATA, rw);
    g_assert_cmphex(reg_read(0x1c) & 2, ==, 2);
    g_assert_true(file_is_byte(path, 16 * 512, 4096, 0xa5));
    /* A reset with mastering back on: usable again */
    cfg_write(dev, TS_PCI_COMMAND, TS_PCI_COMMAND_MEMORY |
              TS_PCI_COMMAND_MASTER, 2);
    reg_write(0x14, 0);
    g_assert_cmphex(reg_read(0x1c), ==, 0);
    bring_up(dev, &aq, &ioq, 0x4343);
    submit(&ioq, 0x01, 1, DATA, rw);
    g_assert_cmphex(reap(&ioq), ==, 0);
    g_assert_true(file_is_byte(path, 16 * 512, 4096, 0x3c));

    /* Unplug with a read on the disk: its completion touches nothing */
    submit(&ioq, 0x02, 1, DATA + 0x1000, rd);
    harness_destroy(TS_DEVICE(dev));
    g_unlink(path);
}

static void test_errors(void)
{
    g_autoptr(GError) err = NULL;
    const char *no_serial[] = { NULL };
    g_assert_null(realized("nvme1", no_serial, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->message, "serial property not set"));
    g_clear_error(&err);
    const char *bad_lbs[] = { "serial=x", "logical_block_size=1000", NULL };
    g_assert_null(realized("nvme1", bad_lbs, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    /* A controller without a drive has no namespace, and works */
    const char *bare[] = { "serial=x", NULL };
    TsDevice *dev = realized("nvme1", bare, &err);
    g_assert_no_error(err);
    harness_destroy(dev);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("nvme")) {
        return 0;
    }
    tmpdir = g_dir_make_tmp("test-dev-nvme-XXXXXX", NULL);
    host_init();
    g_test_add_func("/dev-nvme/identity", test_identity);
    g_test_add_func("/dev-nvme/io-msix", test_io_msix);
    g_test_add_func("/dev-nvme/errors", test_errors);
    int ret = g_test_run();
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
