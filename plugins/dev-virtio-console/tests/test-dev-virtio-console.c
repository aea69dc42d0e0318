/*
 * test-dev-virtio-console.c - virtio-console of plugins/dev-virtio-console
 * on ringbuf chardevs, driven by the test's guest driver (virtio-driver.c):
 * transmit reaches the chardev (also a chain larger than one
 * notification's work), input lands in the receive buffers the driver
 * posted and waits in the chardev while there are none, emergency write,
 * a console without chardev, and a driver that posts bad buffers.
 */
#include "virtio-driver.h"

#include "chardev/chardev-internal.h"

#define CON_BASE UINT64_C(0x10002000)
#define RX 0
#define TX 1

static TsDevice *console_new(const char *chr_id, TestIrq *irq)
{
    g_autofree char *chr_prop = chr_id ? g_strdup_printf("chardev=%s",
                                                         chr_id) : NULL;
    const char *props[] = { "addr=0x10002000", chr_prop, NULL };
    return harness_device("virtio-console-device", "console", irq, props);
}

static GBytes *drain(TsChardev *chr)
{
    g_autoptr(GError) err = NULL;
    GBytes *out = chardev_ringbuf_read(chr, 4 << 20, &err);
    g_assert_no_error(err);
    return out;
}

static char *drain_text(TsChardev *chr)
{
    g_autoptr(GBytes) out = drain(chr);
    gsize len;
    const char *data = g_bytes_get_data(out, &len);
    return g_strndup(data, len);
}

static void feed(TsChardev *chr, const char *text)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(chardev_ringbuf_write(chr, text, strlen(text), &err));
    g_assert_no_error(err);
}

static void check_used(Vdrv *d, unsigned q, unsigned slot, uint32_t id,
                       uint32_t len)
{
    uint32_t got_id, got_len;
    vd_used_elem(d, q, slot, &got_id, &got_len);
    g_assert_cmpuint(got_id, ==, id);
    g_assert_cmpuint(got_len, ==, len);
}

/* Post a receive buffer of `len` bytes at `addr` in descriptor i. */
static void post_rx(Vdrv *d, unsigned i, uint64_t addr, uint32_t len)
{
    vd_desc(d, RX, i, addr, len, VD_DESC_WRITE, 0);
    vd_avail(d, RX, i);
    vd_notify(d, RX);
}

static bool ram_has(uint64_t addr, const char *text)
{
    size_t n = strlen(text);
    g_autofree char *buf = g_malloc(n);
    ram_read(addr, buf, n);
    return memcmp(buf, text, n) == 0;
}

/* ------------------------------------------------------------------ */

static void test_identity(void)
{
    TsDevice *dev = console_new(NULL, NULL);
    Vdrv d = { .base = CON_BASE };
    g_assert_cmpuint(vd_rd(&d, VD_DEVICE_ID), ==, 3);
    vd_wr(&d, VD_DEVICE_FEATURES_SEL, 0);
    /* EMERG_WRITE (bit 2); no SIZE, no MULTIPORT. */
    g_assert_cmphex(vd_rd(&d, VD_DEVICE_FEATURES) & 7, ==, 4);
    for (unsigned q = 0; q < 3; q++) {
        vd_wr(&d, VD_QUEUE_SEL, q);
        g_assert_cmpuint(vd_rd(&d, VD_QUEUE_NUM_MAX), ==, q < 2 ? 256 : 0);
    }
    /* cols, rows, max_nr_ports, emerg_wr: all zero; beyond: zero. */
    for (unsigned off = 0; off < 16; off += 4) {
        g_assert_cmphex(vd_rd(&d, VD_CONFIG + off), ==, 0);
    }
    g_assert_cmphex(mmio_read(CON_BASE + VD_CONFIG, 2), ==, 0);
    harness_destroy(dev);
}

static void test_transmit(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=tx");
    TestIrq *irq = test_irq_new();
    TsDevice *dev = console_new("tx", irq);
    Vdrv d = { .base = CON_BASE };
    vd_start(&d, 0, 2, 16);

    ram_write(TEST_BUF, "hel", 3);
    ram_write(TEST_BUF + 0x100, "lo, world\n", 10);
    vd_desc(&d, TX, 6, TEST_BUF, 3, VD_DESC_NEXT, 2);
    vd_desc(&d, TX, 2, TEST_BUF + 0x100, 10, 0, 0);
    vd_avail(&d, TX, 6);
    vd_notify(&d, TX);

    g_autofree char *out = drain_text(chr);
    g_assert_cmpstr(out, ==, "hello, world\n");
    g_assert_cmpuint(vd_used_idx(&d, TX), ==, 1);
    check_used(&d, TX, 0, 6, 0);
    g_assert_cmpint(irq->level, ==, 1);
    g_assert_cmphex(vd_rd(&d, VD_INTERRUPT_STATUS), ==, 1);

    /* Through an indirect table too. */
    vd_wr(&d, VD_INTERRUPT_ACK, 1);
    vd_start(&d, VD_F_INDIRECT_DESC, 2, 16);
    uint64_t table = TEST_BUF + 0x1000;
    vd_desc_at(table, 0, TEST_BUF, 3, VD_DESC_NEXT, 1);
    vd_desc_at(table, 1, TEST_BUF + 0x100, 10, 0, 0);
    vd_desc(&d, TX, 0, table, 32, VD_DESC_INDIRECT, 0);
    vd_avail(&d, TX, 0);
    vd_notify(&d, TX);
    g_autofree char *again = drain_text(chr);
    g_assert_cmpstr(again, ==, "hello, world\n");
    g_assert_cmpint(irq->level, ==, 1);

    harness_destroy(dev);
    test_irq_free(irq);
    chardev_free(chr);
}

static bool tx_done(void *opaque)
{
    Vdrv *d = opaque;
    return vd_used_idx(d, TX) == d->q[TX].avail_idx;
}

/* 300 KiB in one chain is more than one notification's work: it is sent
 * in pieces from the main loop, whole and in order. */
static void test_large_transmit(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=big,size=1M");
    TsDevice *dev = console_new("big", NULL);
    Vdrv d = { .base = CON_BASE };
    vd_start(&d, 0, 2, 16);

    const size_t seg = 60 * 1024, nseg = 5;
    g_autofree uint8_t *pattern = g_malloc(seg * nseg);
    for (size_t i = 0; i < seg * nseg; i++) {
        pattern[i] = (uint8_t)(i * 7 + i / 251);
    }
    for (unsigned k = 0; k < nseg; k++) {
        uint64_t addr = TEST_BUF + k * 0x10000;
        ram_write(addr, pattern + k * seg, seg);
        vd_desc(&d, TX, k, addr, seg, k + 1 < nseg ? VD_DESC_NEXT : 0,
                k + 1);
    }
    vd_avail(&d, TX, 0);
    vd_notify(&d, TX);
    g_assert_cmpuint(vd_used_idx(&d, TX), ==, 0);   /* not all at once */
    g_assert_true(run_until(tx_done, &d, 10000));
    check_used(&d, TX, 0, 0, 0);

    g_autoptr(GBytes) out = drain(chr);
    gsize len;
    const uint8_t *data = g_bytes_get_data(out, &len);
    g_assert_cmpuint(len, ==, seg * nseg);
    g_assert_true(memcmp(data, pattern, len) == 0);
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_receive(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=rx");
    TestIrq *irq = test_irq_new();
    TsDevice *dev = console_new("rx", irq);
    Vdrv d = { .base = CON_BASE };
    vd_start(&d, 0, 2, 16);
    ram_fill(TEST_BUF, 0, 64);
    post_rx(&d, 3, TEST_BUF, 64);
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 0);

    feed(chr, "abc");
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 1);
    check_used(&d, RX, 0, 3, 3);
    g_assert_true(ram_has(TEST_BUF, "abc"));
    g_assert_true(ram_is(TEST_BUF + 3, 0, 61));
    g_assert_cmpint(irq->level, ==, 1);
    harness_destroy(dev);
    test_irq_free(irq);
    chardev_free(chr);
}

/* Without receive buffers input waits in the chardev, and arrives in
 * order as the driver posts buffers, however small. */
static void test_receive_flow_control(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=flow");
    TsDevice *dev = console_new("flow", NULL);
    Vdrv d = { .base = CON_BASE };
    vd_start(&d, 0, 2, 16);

    feed(chr, "xyz");
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 0);
    post_rx(&d, 0, TEST_BUF, 2);
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 1);
    check_used(&d, RX, 0, 0, 2);
    g_assert_true(ram_has(TEST_BUF, "xy"));

    /* A buffer the device cannot write into is given back empty and
     * the next one is used. */
    vd_desc(&d, RX, 1, TEST_BUF + 0x100, 8, 0, 0);
    vd_avail(&d, RX, 1);
    post_rx(&d, 2, TEST_BUF + 0x200, 8);
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 3);
    check_used(&d, RX, 1, 1, 0);
    check_used(&d, RX, 2, 2, 1);
    g_assert_true(ram_has(TEST_BUF + 0x200, "z"));

    /* A buffer split over two descriptors is filled across both. */
    vd_desc(&d, RX, 4, TEST_BUF + 0x300, 2, VD_DESC_WRITE | VD_DESC_NEXT, 5);
    vd_desc(&d, RX, 5, TEST_BUF + 0x400, 8, VD_DESC_WRITE, 0);
    vd_avail(&d, RX, 4);
    vd_notify(&d, RX);
    feed(chr, "split");
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 4);
    check_used(&d, RX, 3, 4, 5);
    g_assert_true(ram_has(TEST_BUF + 0x300, "sp"));
    g_assert_true(ram_has(TEST_BUF + 0x400, "lit"));
    harness_destroy(dev);
    chardev_free(chr);
}

static bool rx_used(void *opaque)
{
    Vdrv *d = opaque;
    return vd_used_idx(d, RX) > 0;
}

/* Input typed before the guest's driver is up is kept for it. */
static void test_input_before_driver(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=early");
    TsDevice *dev = console_new("early", NULL);
    Vdrv d = { .base = CON_BASE };
    feed(chr, "early");
    uint32_t st = vd_negotiate(&d, VD_F_VERSION_1);
    vd_queue_setup(&d, RX, 16);
    vd_queue_setup(&d, TX, 16);
    post_rx(&d, 0, TEST_BUF, 64);       /* before DRIVER_OK: waits */
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 0);
    vd_wr(&d, VD_STATUS, st | VD_S_DRIVER_OK);
    g_assert_true(run_until(rx_used, &d, 5000));
    check_used(&d, RX, 0, 0, 5);
    g_assert_true(ram_has(TEST_BUF, "early"));
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_emergency_write(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=emerg");
    TsDevice *dev = console_new("emerg", NULL);
    /* Usable before any driver set-up. */
    mmio_write(CON_BASE + VD_CONFIG + 8, 4, 'O');
    mmio_write(CON_BASE + VD_CONFIG + 8, 1, 'K');
    g_autofree char *out = drain_text(chr);
    g_assert_cmpstr(out, ==, "OK");
    harness_destroy(dev);
    chardev_free(chr);
}

/* No chardev: output is consumed and dropped, nothing breaks. */
static void test_no_chardev(void)
{
    TsDevice *dev = console_new(NULL, NULL);
    Vdrv d = { .base = CON_BASE };
    vd_start(&d, 0, 2, 16);
    vd_desc(&d, TX, 0, TEST_BUF, 32, 0, 0);
    vd_avail(&d, TX, 0);
    vd_notify(&d, TX);
    g_assert_cmpuint(vd_used_idx(&d, TX), ==, 1);
    post_rx(&d, 0, TEST_BUF, 32);
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 0);
    mmio_write(CON_BASE + VD_CONFIG + 8, 4, 'x');
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);
    harness_destroy(dev);
}

static void test_realize_errors(void)
{
    g_autoptr(GError) err = NULL;
    const char *missing[] = { "addr=0x10002000", "chardev=nope", NULL };
    TsDevice *dev = harness_try_device("virtio-console-device", "c",
                                       missing, &err);
    if (dev) {
        g_assert_false(ts_device_realize(dev, &err));
        harness_destroy(dev);
    }
    g_assert_nonnull(strstr(err->message, "chardev 'nope' not found"));
    g_clear_error(&err);

    /* A chardev without mux=on takes one frontend. */
    TsChardev *chr = harness_chardev("ringbuf,id=taken");
    TsDevice *first = console_new("taken", NULL);
    const char *second_props[] = { "addr=0x10003000", "chardev=taken", NULL };
    dev = harness_try_device("virtio-console-device", "c2", second_props,
                             &err);
    if (dev) {
        g_assert_false(ts_device_realize(dev, &err));
        harness_destroy(dev);
    }
    g_assert_nonnull(err);
    harness_destroy(first);

    /* Unrealize detached the console: input goes nowhere, harmlessly,
     * and the chardev can be used again. */
    feed(chr, "after");
    TsDevice *again = console_new("taken", NULL);
    harness_destroy(again);
    chardev_free(chr);
}

static void test_bad_buffers(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=bad");
    TestIrq *irq = test_irq_new();
    TsDevice *dev = console_new("bad", irq);
    Vdrv d = { .base = CON_BASE };

    /* A receive buffer outside RAM. */
    vd_start(&d, 0, 2, 16);
    ram_fill(TEST_RAM_END - 0x100, 0xee, 0x100);
    post_rx(&d, 0, TEST_RAM_END - 4, 64);
    feed(chr, "lost");
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);
    g_assert_cmphex(vd_rd(&d, VD_INTERRUPT_STATUS) & 2, ==, 2);
    g_assert_cmpint(irq->level, ==, 1);
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 0);
    g_assert_true(ram_is(TEST_RAM_END - 0x100, 0xee, 0x100));
    /* The transmit queue still works. */
    ram_write(TEST_BUF, "still", 5);
    vd_desc(&d, TX, 0, TEST_BUF, 5, 0, 0);
    vd_avail(&d, TX, 0);
    vd_notify(&d, TX);
    g_autofree char *out = drain_text(chr);
    g_assert_cmpstr(out, ==, "still");

    /* A transmit chain that loops. */
    vd_start(&d, 0, 2, 16);
    vd_desc(&d, TX, 0, TEST_BUF, 5, VD_DESC_NEXT, 1);
    vd_desc(&d, TX, 1, TEST_BUF, 5, VD_DESC_NEXT, 0);
    vd_avail(&d, TX, 0);
    vd_notify(&d, TX);
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);
    g_assert_cmpuint(vd_used_idx(&d, TX), ==, 0);
    g_autofree char *none = drain_text(chr);
    g_assert_cmpstr(none, ==, "");

    /* After a reset the console works again: the input the broken
     * queue never took comes first, then what follows. */
    vd_start(&d, 0, 2, 16);
    post_rx(&d, 0, TEST_BUF, 64);
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 1);
    check_used(&d, RX, 0, 0, 4);
    g_assert_true(ram_has(TEST_BUF, "lost"));
    post_rx(&d, 1, TEST_BUF + 0x100, 64);
    feed(chr, "back");
    g_assert_cmpuint(vd_used_idx(&d, RX), ==, 2);
    g_assert_true(ram_has(TEST_BUF + 0x100, "back"));
    harness_destroy(dev);
    test_irq_free(irq);
    chardev_free(chr);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("virtio-console-device")) {
        return 0;
    }
    vd_ram_init();

    g_test_add_func("/virtio-console/identity", test_identity);
    g_test_add_func("/virtio-console/transmit", test_transmit);
    g_test_add_func("/virtio-console/large-transmit", test_large_transmit);
    g_test_add_func("/virtio-console/receive", test_receive);
    g_test_add_func("/virtio-console/receive-flow-control",
                    test_receive_flow_control);
    g_test_add_func("/virtio-console/input-before-driver",
                    test_input_before_driver);
    g_test_add_func("/virtio-console/emergency-write", test_emergency_write);
    g_test_add_func("/virtio-console/no-chardev", test_no_chardev);
    g_test_add_func("/virtio-console/realize-errors", test_realize_errors);
    g_test_add_func("/virtio-console/bad-buffers", test_bad_buffers);
    int ret = g_test_run();
    chardev_free_all();
    return ret;
}
