/*
 * test-dev-riscv-virt.c - the virt board's interrupt controllers, loaded
 * from the build tree and driven through system memory: the PLIC's
 * priority, enable, threshold and claim/complete rules for level-triggered
 * sources, and the CLINT's software interrupt, timer compare and mtime.
 */
#include "dev-harness.h"
#include "loop/main-loop.h"

#define PLIC 0x0c000000u
#define CLINT 0x02000000u
#define PRIORITY(s) (PLIC + 4u * (s))
#define PENDING(w) (PLIC + 0x1000u + 4u * (w))
#define ENABLE(c, w) (PLIC + 0x2000u + 0x80u * (c) + 4u * (w))
#define THRESHOLD(c) (PLIC + 0x200000u + 0x1000u * (c))
#define CLAIM(c) (THRESHOLD(c) + 4)

typedef struct Plic {
    TsDevice *dev;
    TestIrq *ctx[4];            /* two harts: M and S contexts each */
} Plic;

static Plic plic_new(void)
{
    const char *props[] = { "addr=0xc000000", "num-sources=96",
                            "num-harts=2", NULL };
    Plic p = { .dev = harness_device("riscv-plic", "plic", NULL, props) };
    for (unsigned c = 0; c < 4; c++) {
        p.ctx[c] = test_irq_new();
        g_assert_true(ts_device_connect_irq_out(p.dev, "ctx", c,
                                                p.ctx[c]->line));
    }
    return p;
}

static void plic_free(Plic *p)
{
    harness_destroy(p->dev);
    for (unsigned c = 0; c < 4; c++) {
        test_irq_free(p->ctx[c]);
    }
}

static void source(Plic *p, unsigned s, int level)
{
    ts_irq_set(ts_device_irq_in(p->dev, "irq", s), level);
}

static void test_plic_claim_complete(void)
{
    Plic p = plic_new();
    source(&p, 10, 1);
    g_assert_cmphex(mmio_read(PENDING(0), 4), ==, 1u << 10);
    g_assert_cmpint(p.ctx[1]->level, ==, 0);     /* priority 0: never */
    mmio_write(PRIORITY(10), 4, 1);
    g_assert_cmpint(p.ctx[1]->level, ==, 0);     /* not enabled yet */
    mmio_write(ENABLE(1, 0), 4, 1u << 10);
    g_assert_cmpint(p.ctx[1]->level, ==, 1);     /* hart 0, S-mode */
    g_assert_cmpint(p.ctx[0]->level, ==, 0);     /* M context: not enabled */
    g_assert_cmpuint(mmio_read(CLAIM(1), 4), ==, 10);
    g_assert_cmpint(p.ctx[1]->level, ==, 0);
    g_assert_cmphex(mmio_read(PENDING(0), 4), ==, 0);
    /* Still asserted, but claimed: not offered until completed. */
    g_assert_cmpuint(mmio_read(CLAIM(1), 4), ==, 0);
    mmio_write(CLAIM(1), 4, 10);                 /* complete */
    g_assert_cmpint(p.ctx[1]->level, ==, 1);     /* level still high */
    source(&p, 10, 0);
    g_assert_cmpint(p.ctx[1]->level, ==, 0);     /* line went away */
    g_assert_cmpuint(mmio_read(CLAIM(1), 4), ==, 0);
    plic_free(&p);
}

static void test_plic_priority_threshold(void)
{
    Plic p = plic_new();
    mmio_write(PRIORITY(3), 4, 2);
    mmio_write(PRIORITY(40), 4, 5);
    mmio_write(ENABLE(2, 0), 4, 1u << 3);
    mmio_write(ENABLE(2, 1), 4, 1u << (40 - 32));
    g_assert_cmphex(mmio_read(ENABLE(2, 1), 4), ==, 1u << 8);
    source(&p, 3, 1);
    source(&p, 40, 1);
    g_assert_cmpint(p.ctx[2]->level, ==, 1);     /* hart 1, M-mode */
    mmio_write(THRESHOLD(2), 4, 5);              /* masks both */
    g_assert_cmpint(p.ctx[2]->level, ==, 0);
    mmio_write(THRESHOLD(2), 4, 2);              /* masks source 3 */
    g_assert_cmpuint(mmio_read(CLAIM(2), 4), ==, 40);
    g_assert_cmpuint(mmio_read(CLAIM(2), 4), ==, 0);
    mmio_write(THRESHOLD(2), 4, 0);
    g_assert_cmpuint(mmio_read(CLAIM(2), 4), ==, 3);
    /* Priorities keep three bits; source 0 cannot be enabled. */
    mmio_write(PRIORITY(3), 4, 0xff);
    g_assert_cmpuint(mmio_read(PRIORITY(3), 4), ==, 7);
    mmio_write(ENABLE(0, 0), 4, 0xffffffff);
    g_assert_cmphex(mmio_read(ENABLE(0, 0), 4), ==, 0xfffffffe);
    /* A complete for a source never claimed changes nothing. */
    mmio_write(CLAIM(0), 4, 77);
    mmio_write(CLAIM(0), 4, 100000);
    plic_free(&p);
}

typedef struct Clint {
    TsDevice *dev;
    TestIrq *msi, *mti;
} Clint;

static Clint clint_new(void)
{
    const char *props[] = { "addr=0x2000000", "num-harts=1", NULL };
    Clint c = { .dev = harness_device("riscv-clint", "clint", NULL, props),
                .msi = test_irq_new(), .mti = test_irq_new() };
    g_assert_true(ts_device_connect_irq_out(c.dev, "msi", 0, c.msi->line));
    g_assert_true(ts_device_connect_irq_out(c.dev, "mti", 0, c.mti->line));
    return c;
}

static bool mti_up(void *opaque)
{
    return ((TestIrq *)opaque)->level;
}

static void test_clint(void)
{
    Clint c = clint_new();
    mmio_write(CLINT, 4, 1);
    g_assert_cmpint(c.msi->level, ==, 1);
    g_assert_cmpuint(mmio_read(CLINT, 4), ==, 1);
    mmio_write(CLINT, 4, 0);
    g_assert_cmpint(c.msi->level, ==, 0);

    mmio_write(CLINT + 0x4000, 8, 0);            /* compare in the past */
    g_assert_cmpint(c.mti->level, ==, 1);
    mmio_write(CLINT + 0x4000, 8, UINT64_MAX);
    g_assert_cmpint(c.mti->level, ==, 0);
    /* 32-bit halves, as RV32 software writes them. */
    mmio_write(CLINT + 0x4004, 4, 0x12345678);
    g_assert_cmphex(mmio_read(CLINT + 0x4000, 8), ==, 0x12345678ffffffffull);

    /* mtime can be set; it then counts from there while the VM runs. */
    mmio_write(CLINT + 0xbff8, 8, 1000000);
    uint64_t now = mmio_read(CLINT + 0xbff8, 8);
    g_assert_cmpuint(now, >=, 1000000);
    g_assert_cmpuint(now, <, 1000000 + 10000000);     /* under a second */
    ts_vm_start();
    mmio_write(CLINT + 0x4000, 8, now + 1000);        /* 100 us ahead */
    g_assert_true(run_until(mti_up, c.mti, 5000));
    g_assert_cmpuint(mmio_read(CLINT + 0xbff8, 8), >=, now + 1000);
    ts_vm_stop();
    harness_destroy(c.dev);
    test_irq_free(c.msi);
    test_irq_free(c.mti);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("riscv-plic")) {
        return 0;
    }
    g_test_add_func("/plic/claim-complete", test_plic_claim_complete);
    g_test_add_func("/plic/priority-threshold", test_plic_priority_threshold);
    g_test_add_func("/clint/msip-mtimecmp-mtime", test_clint);
    return g_test_run();
}
