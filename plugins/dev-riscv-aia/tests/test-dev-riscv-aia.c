/*
 * test-dev-riscv-aia.c - the APLIC and IMSIC devices, loaded from the
 * build tree and driven through system memory: direct delivery (IDC
 * lines, claims, thresholds, a level source whose wire drops),
 * delegation from the M domain to the S domain, MSI delivery reaching
 * an IMSIC page's output lines, and junk written everywhere.
 */
#include "dev-harness.h"

#define APLIC_M 0x0c000000u
#define APLIC_S 0x0d000000u
#define IMSIC   0x24000000u
#define SOURCECFG(b, i) ((b) + 4u * (i))
#define TARGET(b, i) ((b) + 0x3000u + 4u * (i))
#define SETIENUM(b) ((b) + 0x1edcu)
#define SETIPNUM(b) ((b) + 0x1cdcu)
#define SETIP0(b) ((b) + 0x1c00u)
#define IDC(b, h) ((b) + 0x4000u + 32u * (h))

static void wire(TsDevice *root, unsigned s, int level)
{
    ts_irq_set(ts_device_irq_in(root, "irq", s), level);
}

static void test_direct(void)
{
    const char *props[] = { "addr=0xc000000", "num-harts=2", NULL };
    TsDevice *m = harness_device("riscv.aplic", "aplic-m", NULL, props);
    TestIrq *line[2] = { test_irq_new(), test_irq_new() };
    for (unsigned h = 0; h < 2; h++) {
        g_assert_true(ts_device_connect_irq_out(m, "idc", h, line[h]->line));
    }
    g_assert_cmphex(mmio_read(APLIC_M, 4), ==, 0x80000000u);
    mmio_write(APLIC_M, 4, 0x100);                      /* IE */
    mmio_write(SOURCECFG(APLIC_M, 7), 4, 6);            /* Level1 */
    mmio_write(TARGET(APLIC_M, 7), 4, 1u << 18 | 4);    /* hart 1, prio 4 */
    mmio_write(SETIENUM(APLIC_M), 4, 7);
    mmio_write(IDC(APLIC_M, 1), 4, 1);                  /* idelivery */
    wire(m, 7, 1);
    g_assert_cmpint(line[1]->level, ==, 1);
    g_assert_cmpint(line[0]->level, ==, 0);
    g_assert_cmphex(mmio_read(IDC(APLIC_M, 1) + 0x18, 4), ==, 7u << 16 | 4);
    mmio_write(IDC(APLIC_M, 1) + 8, 4, 4);              /* threshold 4 */
    g_assert_cmpint(line[1]->level, ==, 0);
    mmio_write(IDC(APLIC_M, 1) + 8, 4, 0);
    g_assert_cmphex(mmio_read(IDC(APLIC_M, 1) + 0x1c, 4), ==, 7u << 16 | 4);
    /* level, direct mode: the pending bit is the wire */
    g_assert_cmpint(line[1]->level, ==, 1);
    wire(m, 7, 0);
    g_assert_cmpint(line[1]->level, ==, 0);
    g_assert_cmphex(mmio_read(SETIP0(APLIC_M), 4), ==, 0);
    /* an edge source: set by software, cleared by the claim */
    mmio_write(SOURCECFG(APLIC_M, 3), 4, 4);
    mmio_write(TARGET(APLIC_M, 3), 4, 0);               /* prio 0 -> 1 */
    g_assert_cmphex(mmio_read(TARGET(APLIC_M, 3), 4), ==, 1);
    mmio_write(SETIENUM(APLIC_M), 4, 3);
    mmio_write(SETIPNUM(APLIC_M), 4, 3);
    g_assert_cmpint(line[0]->level, ==, 0);             /* no idelivery */
    mmio_write(IDC(APLIC_M, 0), 4, 1);
    g_assert_cmpint(line[0]->level, ==, 1);
    g_assert_cmphex(mmio_read(IDC(APLIC_M, 0) + 0x1c, 4), ==, 3u << 16 | 1);
    g_assert_cmpint(line[0]->level, ==, 0);
    /* iforce, then a spurious claim ends it */
    mmio_write(IDC(APLIC_M, 0) + 4, 4, 1);
    g_assert_cmpint(line[0]->level, ==, 1);
    g_assert_cmphex(mmio_read(IDC(APLIC_M, 0) + 0x1c, 4), ==, 0);
    g_assert_cmpint(line[0]->level, ==, 0);
    harness_destroy(m);
    test_irq_free(line[0]);
    test_irq_free(line[1]);
}

static void test_delegation(void)
{
    const char *mp[] = { "addr=0xc000000", NULL };
    const char *sp[] = { "addr=0xd000000", "mmode=off",
                         "parent=/machine/aplic-m", NULL };
    TsDevice *m = harness_device("riscv.aplic", "aplic-m", NULL, mp);
    TsDevice *s = harness_device("riscv.aplic", "aplic-s", NULL, sp);
    TestIrq *mline = test_irq_new(), *sline = test_irq_new();
    g_assert_true(ts_device_connect_irq_out(m, "idc", 0, mline->line));
    g_assert_true(ts_device_connect_irq_out(s, "idc", 0, sline->line));
    /* not delegated: read-only zero in the child */
    mmio_write(SOURCECFG(APLIC_S, 5), 4, 6);
    g_assert_cmphex(mmio_read(SOURCECFG(APLIC_S, 5), 4), ==, 0);
    mmio_write(SOURCECFG(APLIC_M, 5), 4, 0x400);
    g_assert_cmphex(mmio_read(SOURCECFG(APLIC_M, 5), 4), ==, 0x400);
    mmio_write(TARGET(APLIC_M, 5), 4, 9);
    g_assert_cmphex(mmio_read(TARGET(APLIC_M, 5), 4), ==, 0);
    mmio_write(SOURCECFG(APLIC_S, 5), 4, 6);
    g_assert_cmphex(mmio_read(SOURCECFG(APLIC_S, 5), 4), ==, 6);
    mmio_write(TARGET(APLIC_S, 5), 4, 2);
    mmio_write(SETIENUM(APLIC_S), 4, 5);
    mmio_write(APLIC_S, 4, 0x100);
    mmio_write(IDC(APLIC_S, 0), 4, 1);
    mmio_write(APLIC_M, 4, 0x100);
    mmio_write(IDC(APLIC_M, 0), 4, 1);
    wire(m, 5, 1);
    g_assert_cmpint(sline->level, ==, 1);
    g_assert_cmpint(mline->level, ==, 0);
    /* taken back: inactive in the child again */
    mmio_write(SOURCECFG(APLIC_M, 5), 4, 0);
    g_assert_cmphex(mmio_read(SOURCECFG(APLIC_S, 5), 4), ==, 0);
    g_assert_cmpint(sline->level, ==, 0);
    harness_destroy(s);
    harness_destroy(m);
    test_irq_free(mline);
    test_irq_free(sline);
}

static void test_msi(void)
{
    const char *ip[] = { "addr=0x24000000", "num-harts=2", "mmode=on",
                         NULL };
    const char *mp[] = { "addr=0xc000000", "num-harts=2", "msimode=on",
                         NULL };
    TsDevice *imsic = harness_device("riscv.imsic", "imsic", NULL, ip);
    TsDevice *m = harness_device("riscv.aplic", "aplic-m", NULL, mp);
    TestIrq *eip = test_irq_new(), *other = test_irq_new();
    /* hart 1, identity 0x21; and hart 0, identity 0x21 */
    g_assert_true(ts_device_connect_irq_out(imsic, "eip", 256 + 0x21,
                                            eip->line));
    g_assert_true(ts_device_connect_irq_out(imsic, "eip", 0x21,
                                            other->line));
    g_assert_cmphex(mmio_read(APLIC_M, 4), ==, 0x80000004u);
    mmio_write(APLIC_M, 4, 0x100);
    mmio_write(APLIC_M + 0x1bc0, 4, IMSIC >> 12);
    mmio_write(APLIC_M + 0x1bc4, 4, 1u << 12);          /* LHXW 1 */
    mmio_write(SOURCECFG(APLIC_M, 10), 4, 6);
    mmio_write(TARGET(APLIC_M, 10), 4, 1u << 18 | 0x21);
    mmio_write(SETIENUM(APLIC_M), 4, 10);
    wire(m, 10, 1);
    g_assert_cmpuint(eip->raised, ==, 1);
    g_assert_cmpuint(other->raised, ==, 0);
    g_assert_cmphex(mmio_read(SETIP0(APLIC_M), 4), ==, 0);  /* forwarded */
    /* (the line counts rising edges: each message is a raise) */
    ts_irq_lower(eip->line);
    wire(m, 10, 1);                                     /* no new edge */
    g_assert_cmpuint(eip->raised, ==, 1);
    mmio_write(SETIPNUM(APLIC_M), 4, 10);               /* wire high: ok */
    g_assert_cmpuint(eip->raised, ==, 2);
    /* locked: the address no longer changes */
    mmio_write(APLIC_M + 0x1bc4, 4, 1u << 31 | 1u << 12);
    mmio_write(APLIC_M + 0x1bc0, 4, 0);
    g_assert_cmphex(mmio_read(APLIC_M + 0x1bc0, 4), ==, IMSIC >> 12);
    /* messages the IMSIC has no identity for, and other offsets */
    mmio_write(IMSIC + 0x1000, 4, 0);
    mmio_write(IMSIC + 0x1000, 4, 256);
    mmio_write(IMSIC + 0x1004, 4, 0x21);
    g_assert_cmpuint(eip->raised, ==, 2);
    ts_irq_lower(eip->line);
    mmio_write(IMSIC + 0x1000, 4, 0x21);
    g_assert_cmpuint(eip->raised, ==, 3);
    g_assert_cmphex(mmio_read(IMSIC + 0x1000, 4), ==, 0);
    harness_destroy(m);
    harness_destroy(imsic);
    test_irq_free(eip);
    test_irq_free(other);
}

/* Every register of both windows, every value class: nothing breaks. */
static void test_junk(void)
{
    const char *ip[] = { "addr=0x24000000", "num-harts=1", NULL };
    const char *mp[] = { "addr=0xc000000", "msimode=on", NULL };
    const char *sp[] = { "addr=0xd000000", "mmode=off", "msimode=on",
                         "parent=/machine/aplic-m", NULL };
    TsDevice *imsic = harness_device("riscv.imsic", "imsic", NULL, ip);
    TsDevice *m = harness_device("riscv.aplic", "aplic-m", NULL, mp);
    TsDevice *s = harness_device("riscv.aplic", "aplic-s", NULL, sp);
    static const uint32_t vals[] = { 0, 1, 0x400, 0x7ff, 0x80000000u,
                                     0xffffffffu, 0x12345678u };
    for (unsigned v = 0; v < G_N_ELEMENTS(vals); v++) {
        for (uint32_t off = 0; off < 0x8000; off += 4) {
            mmio_write(APLIC_M + off, 4, vals[v]);
            mmio_write(APLIC_S + off, 4, vals[v] ^ 0x5a5a5a5au);
            (void)mmio_read(APLIC_M + off, 4);
            (void)mmio_read(APLIC_S + off, 4);
        }
        wire(m, 1 + v * 13, 1);
        wire(m, 96, (int)(v & 1));
    }
    harness_destroy(s);
    harness_destroy(m);
    harness_destroy(imsic);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("riscv.aplic")) {
        return 0;
    }
    g_test_add_func("/aplic/direct", test_direct);
    g_test_add_func("/aplic/delegation", test_delegation);
    g_test_add_func("/aplic/msi-to-imsic", test_msi);
    g_test_add_func("/aplic/junk", test_junk);
    return g_test_run();
}
