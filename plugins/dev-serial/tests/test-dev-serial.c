/*
 * test-dev-serial.c - the ns16550a UART of plugins/dev-serial, loaded from
 * the build tree and driven through system memory like a guest would:
 * output to chardevs, the receive FIFO and flow control, interrupt
 * identification and the interrupt line, loopback, a flood of output that
 * nobody takes, and its device-tree node.
 */
#include "dev-harness.h"

#include "chardev/chardev-internal.h"
#include "loop/main-loop.h"

#include <libfdt.h>
#include <stdio.h>
#include <unistd.h>

#define UART_BASE 0x10000000u

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static char *tmp_dir;

static uint8_t rd(unsigned reg)
{
    return (uint8_t)mmio_read(UART_BASE + reg, 1);
}

static void wr(unsigned reg, uint8_t val)
{
    mmio_write(UART_BASE + reg, 1, val);
}

/* A UART at UART_BASE on chardev `chr_id` (NULL: none). */
static TsDevice *uart_new(const char *chr_id, TestIrq *irq)
{
    g_autofree char *chr_prop = chr_id ? g_strdup_printf("chardev=%s",
                                                         chr_id) : NULL;
    const char *props[] = { "addr=0x10000000", chr_prop, NULL };
    return harness_device("ns16550a", "uart", irq, props);
}

static char *drain_ringbuf(TsChardev *chr)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GBytes) out = chardev_ringbuf_read(chr, 4096, &err);
    g_assert_no_error(err);
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

/* ------------------------------------------------------------------ */

static void test_reset_values(void)
{
    TsDevice *dev = uart_new(NULL, NULL);
    g_assert_cmphex(rd(IER), ==, 0x00);
    g_assert_cmphex(rd(IIR), ==, 0x01);
    g_assert_cmphex(rd(LCR), ==, 0x00);
    g_assert_cmphex(rd(MCR), ==, 0x00);
    g_assert_cmphex(rd(LSR), ==, 0x60);
    /* Outside loopback a cable is attached: CTS, DSR, DCD. */
    g_assert_cmphex(rd(MSR), ==, 0xb0);
    /* Writes without a chardev go nowhere and harm nothing. */
    wr(THR, 'x');
    g_assert_cmphex(rd(LSR), ==, 0x60);
    wr(SCR, 0x5a);
    g_assert_cmphex(rd(SCR), ==, 0x5a);
    harness_destroy(dev);
}

static void test_transmit_ringbuf(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=tx-rb,size=256");
    TsDevice *dev = uart_new("tx-rb", NULL);
    for (const char *p = "hello, world\n"; *p; p++) {
        g_assert_true(rd(LSR) & 0x20);
        wr(THR, (uint8_t)*p);
    }
    g_autofree char *out = drain_ringbuf(chr);
    g_assert_cmpstr(out, ==, "hello, world\n");
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_transmit_file(void)
{
    g_autofree char *path = g_build_filename(tmp_dir, "uart.out", NULL);
    g_autofree char *opts = g_strdup_printf("file,id=tx-file,path=%s", path);
    TsChardev *chr = harness_chardev(opts);
    TsDevice *dev = uart_new("tx-file", NULL);
    for (const char *p = "to a file"; *p; p++) {
        wr(THR, (uint8_t)*p);
    }
    harness_destroy(dev);
    chardev_free(chr);
    g_autofree char *contents = NULL;
    g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
    g_assert_cmpstr(contents, ==, "to a file");
    unlink(path);
}

/* More input than the FIFO holds arrives whole, in order: the chardev
 * keeps what does not fit and resumes as the guest reads. */
static void check_receive(bool fifo)
{
    TsChardev *chr = harness_chardev("ringbuf,id=rx-rb");
    TsDevice *dev = uart_new("rx-rb", NULL);
    if (fifo) {
        wr(FCR, 0x01);
    }
    g_assert_false(rd(LSR) & 0x01);
    const char *text = "the quick brown fox jumps over the lazy dog";
    feed(chr, text);
    GString *got = g_string_new(NULL);
    while (rd(LSR) & 0x01) {
        g_string_append_c(got, (char)rd(RBR));
        g_assert_cmpuint(got->len, <=, strlen(text));
    }
    g_assert_cmpstr(got->str, ==, text);
    g_assert_cmphex(rd(LSR), ==, 0x60);     /* no overrun, DR clear */
    g_string_free(got, TRUE);
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_receive_no_fifo(void)
{
    check_receive(false);
}

static void test_receive_fifo(void)
{
    check_receive(true);
}

static void test_receive_fifo_level(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=rx-level");
    TsDevice *dev = uart_new("rx-level", NULL);
    wr(FCR, 0x01);
    feed(chr, "0123456789abcdefXYZ");
    /* The FIFO took 16 bytes; the rest waits in the chardev. */
    for (int i = 0; i < 16; i++) {
        g_assert_true(rd(LSR) & 0x01);
        g_assert_cmpint(rd(RBR), ==, "0123456789abcdef"[i]);
    }
    g_assert_cmpint(rd(RBR), ==, 'X');
    g_assert_cmpint(rd(RBR), ==, 'Y');
    g_assert_cmpint(rd(RBR), ==, 'Z');
    g_assert_false(rd(LSR) & 0x01);
    /* FCR bit 1 clears the receive FIFO. */
    feed(chr, "abc");
    g_assert_true(rd(LSR) & 0x01);
    wr(FCR, 0x03);
    g_assert_false(rd(LSR) & 0x01);
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_iir_priorities(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=iir-rb");
    TestIrq *irq = test_irq_new();
    TsDevice *dev = uart_new("iir-rb", irq);

    wr(FCR, 0x01);                  /* FIFOs on, trigger 1 byte */
    g_assert_cmphex(rd(IIR), ==, 0xc1);
    wr(IER, 0x0f);
    /* Lowest first: THR empty fires on enable. */
    g_assert_true(irq->level);
    feed(chr, "a");
    g_assert_cmphex(rd(IIR), ==, 0xc4);     /* data beats THR empty */
    chardev_send_event(chr, TS_CHARDEV_EVENT_BREAK);
    g_assert_cmphex(rd(IIR), ==, 0xc6);     /* line status beats data */
    uint8_t lsr = rd(LSR);
    g_assert_cmphex(lsr & 0x11, ==, 0x11);  /* BI and DR */
    g_assert_true(lsr & 0x80);              /* error in FIFO */
    g_assert_cmphex(rd(IIR), ==, 0xc4);     /* reading LSR cleared it */
    g_assert_cmpint(rd(RBR), ==, 'a');
    g_assert_cmpint(rd(RBR), ==, 0);        /* the break's NUL */
    /* Data gone: THR empty is next, and reading IIR clears it. */
    g_assert_cmphex(rd(IIR), ==, 0xc2);
    g_assert_cmphex(rd(IIR), ==, 0xc1);
    g_assert_false(irq->level);
    /* Modem status is lowest: loopback changes every input. */
    wr(MCR, 0x10);
    g_assert_cmphex(rd(IIR), ==, 0xc0);
    g_assert_true(irq->level);
    g_assert_cmphex(rd(MSR), ==, 0x0b);     /* DCTS, DDSR, DDCD; all low */
    g_assert_cmphex(rd(IIR), ==, 0xc1);
    g_assert_false(irq->level);
    /* Masked sources do not show. */
    wr(IER, 0x00);
    wr(MCR, 0x00);
    g_assert_cmphex(rd(IIR), ==, 0xc1);
    g_assert_false(irq->level);

    harness_destroy(dev);
    test_irq_free(irq);
    chardev_free(chr);
}

static void test_rx_trigger_level(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=trig-rb");
    TestIrq *irq = test_irq_new();
    TsDevice *dev = uart_new("trig-rb", irq);
    wr(FCR, 0x81);                  /* trigger at 8 bytes */
    wr(IER, 0x01);
    feed(chr, "1234567");
    g_assert_false(irq->level);
    g_assert_cmphex(rd(IIR), ==, 0xc1);
    feed(chr, "8");
    g_assert_true(irq->level);
    g_assert_cmphex(rd(IIR), ==, 0xc4);
    rd(RBR);
    g_assert_false(irq->level);     /* below the trigger again */
    harness_destroy(dev);
    test_irq_free(irq);
    chardev_free(chr);
}

static void test_thre_interrupt(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=thre-rb");
    TestIrq *irq = test_irq_new();
    TsDevice *dev = uart_new("thre-rb", irq);

    g_assert_false(irq->level);
    wr(IER, 0x02);
    g_assert_true(irq->level);
    g_assert_cmphex(rd(IIR), ==, 0x02);
    g_assert_false(irq->level);             /* the IIR read cleared it */
    g_assert_cmphex(rd(IIR), ==, 0x01);
    /* Writing IER again with the bit already set is no new edge. */
    wr(IER, 0x02);
    g_assert_false(irq->level);
    /* A byte goes out and THR is empty again. */
    wr(THR, 'z');
    g_assert_true(irq->level);
    wr(THR, 'z');                           /* still pending */
    g_assert_true(irq->level);
    /* Disabling drops it; enabling re-arms it (drivers rely on that). */
    wr(IER, 0x00);
    g_assert_false(irq->level);
    unsigned before = irq->raised;
    wr(IER, 0x02);
    g_assert_true(irq->level);
    g_assert_cmpuint(irq->raised, ==, before + 1);
    /* Writing THR with the interrupt off latches nothing. */
    rd(IIR);
    wr(IER, 0x00);
    wr(THR, 'y');
    g_assert_cmphex(rd(IIR), ==, 0x01);
    /* Reset lowers the line. */
    wr(IER, 0x02);
    g_assert_true(irq->level);
    ts_device_reset(dev);
    g_assert_false(irq->level);
    g_assert_cmphex(rd(IER), ==, 0x00);

    g_autofree char *out = drain_ringbuf(chr);
    g_assert_cmpstr(out, ==, "zzy");
    harness_destroy(dev);
    test_irq_free(irq);
    chardev_free(chr);
}

static void test_divisor_latch(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=dl-rb");
    TsDevice *dev = uart_new("dl-rb", NULL);
    wr(IER, 0x05);
    wr(LCR, 0x83);                  /* DLAB, 8N1 */
    wr(DLL, 0x0c);
    wr(DLM, 0x01);
    g_assert_cmphex(rd(DLL), ==, 0x0c);
    g_assert_cmphex(rd(DLM), ==, 0x01);
    wr(LCR, 0x03);
    g_assert_cmphex(rd(IER), ==, 0x05);   /* untouched by the latch */
    g_assert_cmphex(rd(LCR), ==, 0x03);
    g_autofree char *out = drain_ringbuf(chr);
    g_assert_cmpstr(out, ==, "");         /* DLL writes sent nothing */
    wr(LCR, 0x80);
    g_assert_cmphex(rd(DLL), ==, 0x0c);
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_loopback(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=loop-rb");
    TsDevice *dev = uart_new("loop-rb", NULL);
    wr(FCR, 0x01);
    wr(MCR, 0x1f);                  /* loopback, all outputs on */
    g_assert_cmphex(rd(MSR) & 0xf0, ==, 0xf0);
    wr(MCR, 0x11);                  /* DTR only: DSR */
    g_assert_cmphex(rd(MSR), ==, 0x20 | 0x0d);  /* DCTS, TERI, DDCD */
    g_assert_cmphex(rd(MSR), ==, 0x20);
    /* Input from the chardev waits while the receiver is looped. */
    feed(chr, "host");
    g_assert_false(rd(LSR) & 0x01);
    for (const char *p = "loop"; *p; p++) {
        wr(THR, (uint8_t)*p);
    }
    for (const char *p = "loop"; *p; p++) {
        g_assert_true(rd(LSR) & 0x01);
        g_assert_cmpint(rd(RBR), ==, *p);
    }
    g_assert_false(rd(LSR) & 0x01);
    /* Nothing reached the chardev. */
    g_autofree char *out = drain_ringbuf(chr);
    g_assert_cmpstr(out, ==, "");
    /* Leaving loopback lets the held input in. */
    wr(MCR, 0x00);
    for (const char *p = "host"; *p; p++) {
        g_assert_cmpint(rd(RBR), ==, *p);
    }
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_overrun(void)
{
    TestIrq *irq = test_irq_new();
    TsDevice *dev = uart_new(NULL, irq);
    wr(IER, 0x04);
    wr(MCR, 0x10);
    /* FIFO mode: the 17th byte is lost, the FIFO keeps the first 16. */
    wr(FCR, 0x01);
    for (int i = 0; i < 17; i++) {
        wr(THR, (uint8_t)('A' + i));
    }
    g_assert_true(irq->level);
    g_assert_cmphex(rd(IIR), ==, 0xc6);
    g_assert_cmphex(rd(LSR) & 0x03, ==, 0x03);
    g_assert_false(irq->level);
    g_assert_cmphex(rd(LSR) & 0x02, ==, 0x00);    /* cleared by the read */
    for (int i = 0; i < 16; i++) {
        g_assert_cmpint(rd(RBR), ==, 'A' + i);
    }
    g_assert_false(rd(LSR) & 0x01);
    /* Without FIFO the holding register is overwritten. */
    wr(FCR, 0x00);
    wr(THR, '1');
    wr(THR, '2');
    g_assert_cmphex(rd(LSR) & 0x03, ==, 0x03);
    g_assert_cmpint(rd(RBR), ==, '2');
    g_assert_false(rd(LSR) & 0x01);
    harness_destroy(dev);
    test_irq_free(irq);
}

static bool irq_up(void *opaque)
{
    return ((TestIrq *)opaque)->level;
}

static void test_char_timeout(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=to-rb");
    TestIrq *irq = test_irq_new();
    TsDevice *dev = uart_new("to-rb", irq);
    wr(FCR, 0xc1);                  /* trigger at 14 */
    wr(IER, 0x01);
    feed(chr, "hi");
    g_assert_cmphex(rd(IIR), ==, 0xc1);     /* below the trigger */
    ts_vm_start();
    g_assert_true(run_until(irq_up, irq, 10000));
    g_assert_cmphex(rd(IIR), ==, 0xcc);
    /* Reading a byte clears the indication and restarts the count. */
    g_assert_cmpint(rd(RBR), ==, 'h');
    g_assert_false(irq->level);
    g_assert_true(run_until(irq_up, irq, 10000));
    g_assert_cmpint(rd(RBR), ==, 'i');
    g_assert_false(irq->level);
    g_assert_cmphex(rd(IIR), ==, 0xc1);
    ts_vm_stop();
    harness_destroy(dev);
    test_irq_free(irq);
    chardev_free(chr);
}

/* A chardev whose host side takes nothing, ever. */
static uint64_t refused_calls;

static size_t refuse_write(TsChardev *chr, const uint8_t *buf, size_t len)
{
    refused_calls++;
    return 0;
}

static void test_flood(void)
{
    static ChardevBackend refusing;
    refusing = chardev_ringbuf_backend;
    refusing.write = refuse_write;
    TsChardev *chr = harness_chardev("ringbuf,id=flood,size=1");
    chr->be = &refusing;
    TsDevice *dev = uart_new("flood", NULL);

    const uint64_t total = 1024 * 1024;
    for (uint64_t i = 0; i < total; i++) {
        g_assert_cmpint(ts_address_space_store(ts_address_space_system(),
                                               UART_BASE + THR, 1,
                                               (uint8_t)i), ==, TS_MEM_OK);
    }
    /* One attempt per byte: dropped, never retried, never queued. */
    g_assert_cmpuint(refused_calls, ==, total);
    g_assert_cmphex(rd(LSR), ==, 0x60);
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_regshift(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=shift-rb");
    const char *props[] = { "addr=0x10000000", "regshift=2",
                            "chardev=shift-rb", NULL };
    TsDevice *dev = harness_device("ns16550a", "uart", NULL, props);
    mmio_write(UART_BASE + 4 * SCR, 4, 0xa5);
    g_assert_cmphex(mmio_read(UART_BASE + 4 * SCR, 4), ==, 0xa5);
    g_assert_cmphex(mmio_read(UART_BASE + 4 * LSR, 4), ==, 0x60);
    mmio_write(UART_BASE + 4 * THR, 4, 'Q');
    /* Bytes between registers decode to nothing. */
    g_assert_cmphex(mmio_read(UART_BASE + 4 * SCR + 1, 1), ==, 0);
    mmio_write(UART_BASE + 4 * SCR + 1, 1, 0xff);
    g_assert_cmphex(mmio_read(UART_BASE + 4 * SCR, 1), ==, 0xa5);
    g_autofree char *out = drain_ringbuf(chr);
    g_assert_cmpstr(out, ==, "Q");
    harness_destroy(dev);
    chardev_free(chr);
}

static void test_wide_access(void)
{
    TsDevice *dev = uart_new(NULL, NULL);
    /* A 4-byte read of LSR sees LSR zero-extended, not its neighbours. */
    g_assert_cmphex(mmio_read(UART_BASE + LSR, 1), ==, 0x60);
    wr(SCR, 0x77);
    g_assert_cmphex(mmio_read(UART_BASE + 4, 4), ==, 0x00);  /* MCR */
    g_assert_cmphex(mmio_read(UART_BASE + 0x80, 1), ==, 0);  /* past regs */
    harness_destroy(dev);
}

static void test_realize_errors(void)
{
    g_autoptr(GError) err = NULL;
    const char *no_chr[] = { "addr=0x10000000", "chardev=nope", NULL };
    TsDevice *dev = harness_try_device("ns16550a", "bad", no_chr, &err);
    g_assert_nonnull(dev);
    g_assert_false(ts_device_realize(dev, &err));
    g_assert_nonnull(strstr(err->message, "'nope' not found"));
    harness_destroy(dev);
    g_clear_error(&err);

    const char *no_clock[] = { "addr=0x10000000", "clock-frequency=0", NULL };
    dev = harness_try_device("ns16550a", "bad", no_clock, &err);
    g_assert_false(ts_device_realize(dev, &err));
    g_assert_nonnull(strstr(err->message, "clock-frequency"));
    harness_destroy(dev);
    g_clear_error(&err);

    const char *wrap[] = { "addr=0xffffffffffffff80", NULL };
    dev = harness_try_device("ns16550a", "bad", wrap, &err);
    g_assert_false(ts_device_realize(dev, &err));
    g_assert_cmpstr(err->message, ==, "ns16550a: addr 0xffffffffffffff80 "
                    "leaves no room for its 0x100-byte register window");
    harness_destroy(dev);
    g_clear_error(&err);

    const char *shift[] = { "regshift=9", NULL };
    g_assert_null(harness_try_device("ns16550a", "bad", shift, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);

    /* A chardev without mux=on takes one frontend. */
    TsChardev *chr = harness_chardev("ringbuf,id=busy");
    TsDevice *first = uart_new("busy", NULL);
    const char *second_props[] = { "addr=0x10001000", "chardev=busy", NULL };
    dev = harness_try_device("ns16550a", "second", second_props, &err);
    g_assert_false(ts_device_realize(dev, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    /* It left nothing behind at its address. */
    uint64_t val;
    g_assert_cmpint(ts_address_space_load(ts_address_space_system(),
                                          0x10001000, 1, &val), ==,
                    TS_MEM_UNASSIGNED);
    harness_destroy(dev);
    harness_destroy(first);
    chardev_free(chr);
}

static void test_unrealize(void)
{
    TsChardev *chr = harness_chardev("ringbuf,id=gone");
    TsDevice *dev = uart_new("gone", NULL);
    harness_destroy(dev);
    uint64_t val;
    g_assert_cmpint(ts_address_space_load(ts_address_space_system(),
                                          UART_BASE + LSR, 1, &val), ==,
                    TS_MEM_UNASSIGNED);
    /* The chardev is free for another frontend. */
    dev = uart_new("gone", NULL);
    harness_destroy(dev);
    chardev_free(chr);
}

/* ------------------------------------------------------------------ */
/* Device tree                                                        */

static void test_fdt(void)
{
    int soc;
    g_autofree void *fdt = harness_fdt_with_soc(2, 2, &soc);
    /* interrupts is the number of the input a UART is wired to, and
     * nothing else: two sinks numbered like controller inputs 7 and 12. */
    TestIrq *irq = test_irq_new_at(7);
    TsDevice *dev = uart_new(NULL, irq);
    TestIrq *irq12 = test_irq_new_at(12);
    const char *other_props[] = { "addr=0x10001000", NULL };
    TsDevice *other = harness_device("ns16550a", "other", irq12,
                                     other_props);
    const char *polled_props[] = { "addr=0x10002000", "regshift=2", NULL };
    TsDevice *polled = harness_device("ns16550a", "polled", NULL,
                                      polled_props);

    TsFdtContext ctx = { .fdt = fdt, .parent = soc, .addr_cells = 2,
                         .size_cells = 2, .irq_parent = 3, .irq_cells = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_fdt_add_device_nodes(&ctx, &err));
    g_assert_no_error(err);

    int node = fdt_path_offset(fdt, "/soc/serial@10000000");
    g_assert_cmpint(node, >=, 0);
    int len;
    const char *compat = fdt_getprop(fdt, node, "compatible", &len);
    g_assert_cmpstr(compat, ==, "ns16550a");
    g_assert_cmpint(len, ==, sizeof("ns16550a"));
    int n;
    const fdt32_t *reg = harness_fdt_cells(fdt, node, "reg", &n);
    g_assert_cmpint(n, ==, 4);
    g_assert_cmphex(fdt32_to_cpu(reg[0]), ==, 0);
    g_assert_cmphex(fdt32_to_cpu(reg[1]), ==, 0x10000000);
    g_assert_cmphex(fdt32_to_cpu(reg[2]), ==, 0);
    g_assert_cmphex(fdt32_to_cpu(reg[3]), ==, 0x100);
    const fdt32_t *irqs = harness_fdt_cells(fdt, node, "interrupts", &n);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(fdt32_to_cpu(irqs[0]), ==, 7);
    const fdt32_t *ip = harness_fdt_cells(fdt, node, "interrupt-parent", &n);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(fdt32_to_cpu(ip[0]), ==, 3);
    const fdt32_t *clk = harness_fdt_cells(fdt, node, "clock-frequency", &n);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(fdt32_to_cpu(clk[0]), ==, 3686400);
    g_assert_null(fdt_getprop(fdt, node, "reg-shift", NULL));

    node = fdt_path_offset(fdt, "/soc/serial@10001000");
    irqs = harness_fdt_cells(fdt, node, "interrupts", &n);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(fdt32_to_cpu(irqs[0]), ==, 12);
    ip = harness_fdt_cells(fdt, node, "interrupt-parent", &n);
    g_assert_cmpuint(fdt32_to_cpu(ip[0]), ==, 3);

    /* Unwired: polled, no interrupts (nor interrupt-parent); a reg-shift
     * other than 0. */
    node = fdt_path_offset(fdt, "/soc/serial@10002000");
    g_assert_cmpint(node, >=, 0);
    g_assert_null(fdt_getprop(fdt, node, "interrupts", NULL));
    g_assert_null(fdt_getprop(fdt, node, "interrupt-parent", NULL));
    const fdt32_t *shift = harness_fdt_cells(fdt, node, "reg-shift", &n);
    g_assert_cmpuint(fdt32_to_cpu(shift[0]), ==, 2);

    /* One-cell parents get one-cell reg; two-cell controllers a flag. */
    g_autofree void *small = harness_fdt_with_soc(1, 1, &soc);
    TsFdtContext ctx1 = { .fdt = small, .parent = soc, .addr_cells = 1,
                          .size_cells = 1, .irq_parent = 5, .irq_cells = 2 };
    g_assert_true(ts_fdt_add_device_nodes(&ctx1, &err));
    node = fdt_path_offset(small, "/soc/serial@10000000");
    reg = harness_fdt_cells(small, node, "reg", &n);
    g_assert_cmpint(n, ==, 2);
    g_assert_cmphex(fdt32_to_cpu(reg[0]), ==, 0x10000000);
    g_assert_cmphex(fdt32_to_cpu(reg[1]), ==, 0x100);
    irqs = harness_fdt_cells(small, node, "interrupts", &n);
    g_assert_cmpint(n, ==, 2);
    g_assert_cmpuint(fdt32_to_cpu(irqs[0]), ==, 7);
    g_assert_cmpuint(fdt32_to_cpu(irqs[1]), ==, 4);

    /* A blob too small is an error, not a crash. */
    char tiny_buf[200];
    g_assert_cmpint(fdt_create_empty_tree(tiny_buf, sizeof(tiny_buf)), ==, 0);
    TsFdtContext ctx2 = { .fdt = tiny_buf, .parent = 0, .addr_cells = 2,
                          .size_cells = 2, .irq_parent = 1, .irq_cells = 1 };
    g_assert_false(ts_fdt_add_device_nodes(&ctx2, &err));
    g_assert_nonnull(strstr(err->message, "device tree"));
    g_clear_error(&err);

    harness_destroy(polled);
    harness_destroy(other);
    harness_destroy(dev);
    test_irq_free(irq12);
    test_irq_free(irq);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("ns16550a")) {
        return 0;
    }
    tmp_dir = g_dir_make_tmp("test-dev-serial-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);

    g_test_add_func("/ns16550a/reset-values", test_reset_values);
    g_test_add_func("/ns16550a/transmit-ringbuf", test_transmit_ringbuf);
    g_test_add_func("/ns16550a/transmit-file", test_transmit_file);
    g_test_add_func("/ns16550a/receive-no-fifo", test_receive_no_fifo);
    g_test_add_func("/ns16550a/receive-fifo", test_receive_fifo);
    g_test_add_func("/ns16550a/receive-fifo-level", test_receive_fifo_level);
    g_test_add_func("/ns16550a/iir-priorities", test_iir_priorities);
    g_test_add_func("/ns16550a/rx-trigger-level", test_rx_trigger_level);
    g_test_add_func("/ns16550a/thre-interrupt", test_thre_interrupt);
    g_test_add_func("/ns16550a/divisor-latch", test_divisor_latch);
    g_test_add_func("/ns16550a/loopback", test_loopback);
    g_test_add_func("/ns16550a/overrun", test_overrun);
    g_test_add_func("/ns16550a/char-timeout", test_char_timeout);
    g_test_add_func("/ns16550a/flood", test_flood);
    g_test_add_func("/ns16550a/regshift", test_regshift);
    g_test_add_func("/ns16550a/wide-access", test_wide_access);
    g_test_add_func("/ns16550a/realize-errors", test_realize_errors);
    g_test_add_func("/ns16550a/unrealize", test_unrealize);
    g_test_add_func("/ns16550a/fdt", test_fdt);

    int ret = g_test_run();
    chardev_free_all();
    rmdir(tmp_dir);
    g_free(tmp_dir);
    return ret;
}
