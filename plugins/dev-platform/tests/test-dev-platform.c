/*
 * test-dev-platform.c - sifive_test and goldfish_rtc of
 * plugins/dev-platform, loaded from the build tree and driven through
 * system memory: the finisher's shutdown requests reach the machine with
 * the right cause and exit code, the RTC's time runs and can be set, its
 * alarm raises the interrupt, and both describe themselves in the device
 * tree.
 */
#include "dev-harness.h"

#include "machine/machine-lifecycle.h"

#include <libfdt.h>

#define TEST_BASE 0x100000u
#define RTC_BASE  0x101000u

/* ------------------------------------------------------------------ */
/* sifive_test                                                        */

typedef struct Shutdown {
    unsigned count;
    TsShutdownCause cause;
    int exit_code;
} Shutdown;

static Shutdown last_shutdown;

static void record_shutdown(TsShutdownCause cause, int exit_code)
{
    last_shutdown.count++;
    last_shutdown.cause = cause;
    last_shutdown.exit_code = exit_code;
}

static bool shutdown_seen(void *opaque)
{
    return last_shutdown.count > 0;
}

/* Write `value` with an access of `size` and return what reached the
 * machine (count 0: nothing). */
static Shutdown finisher_write(uint64_t offset, unsigned size,
                               uint64_t value)
{
    memset(&last_shutdown, 0, sizeof(last_shutdown));
    mmio_write(TEST_BASE + offset, size, value);
    run_until(shutdown_seen, NULL, 5000);
    return last_shutdown;
}

/* A write that must not shut down: requests are acted on at the next
 * loop iteration, so a few iterations show there was none. */
static unsigned finisher_write_ignored(uint64_t offset, unsigned size,
                                       uint64_t value)
{
    memset(&last_shutdown, 0, sizeof(last_shutdown));
    mmio_write(TEST_BASE + offset, size, value);
    run_until(shutdown_seen, NULL, 20);
    return last_shutdown.count;
}

static TsDevice *finisher_new(void)
{
    const char *props[] = { "addr=0x100000", NULL };
    return harness_device("sifive_test", "test", NULL, props);
}

static void test_finisher_pass(void)
{
    TsDevice *dev = finisher_new();
    Shutdown s = finisher_write(0, 4, 0x5555);
    g_assert_cmpuint(s.count, ==, 1);
    g_assert_cmpint(s.cause, ==, TS_SHUTDOWN_GUEST_POWEROFF);
    g_assert_cmpint(s.exit_code, ==, 0);
    /* OpenSBI writes 16 bits. */
    s = finisher_write(0, 2, 0x5555);
    g_assert_cmpuint(s.count, ==, 1);
    g_assert_cmpint(s.cause, ==, TS_SHUTDOWN_GUEST_POWEROFF);
    g_assert_cmpint(s.exit_code, ==, 0);
    harness_destroy(dev);
}

static void test_finisher_fail(void)
{
    TsDevice *dev = finisher_new();
    Shutdown s = finisher_write(0, 4, 0x3333 | (42u << 16));
    g_assert_cmpuint(s.count, ==, 1);
    g_assert_cmpint(s.cause, ==, TS_SHUTDOWN_GUEST_POWEROFF);
    g_assert_cmpint(s.exit_code, ==, 42);
    s = finisher_write(0, 4, 0x3333 | (0xffffu << 16));
    g_assert_cmpint(s.exit_code, ==, 0xffff);
    harness_destroy(dev);
}

static void test_finisher_reset(void)
{
    TsDevice *dev = finisher_new();
    Shutdown s = finisher_write(0, 4, 0x7777);
    g_assert_cmpuint(s.count, ==, 1);
    g_assert_cmpint(s.cause, ==, TS_SHUTDOWN_GUEST_RESET);
    harness_destroy(dev);
}

static void test_finisher_ignored(void)
{
    TsDevice *dev = finisher_new();
    /* Unknown commands and other offsets do nothing. */
    g_assert_cmpuint(finisher_write_ignored(0, 4, 0x1234), ==, 0);
    g_assert_cmpuint(finisher_write_ignored(4, 4, 0x5555), ==, 0);
    g_assert_cmpuint(finisher_write_ignored(0xffc, 4, 0x5555), ==, 0);
    g_assert_cmphex(mmio_read(TEST_BASE, 4), ==, 0);
    /* Byte and doubleword accesses are refused, not misread. */
    TsAddressSpace *as = ts_address_space_system();
    g_assert_cmpint(ts_address_space_store(as, TEST_BASE, 1, 0x55), ==,
                    TS_MEM_ACCESS_ERROR);
    g_assert_cmpint(ts_address_space_store(as, TEST_BASE, 8, 0x5555), ==,
                    TS_MEM_ACCESS_ERROR);
    run_until(shutdown_seen, NULL, 20);
    g_assert_cmpuint(last_shutdown.count, ==, 0);
    harness_destroy(dev);
    uint64_t val;
    g_assert_cmpint(ts_address_space_load(as, TEST_BASE, 4, &val), ==,
                    TS_MEM_UNASSIGNED);
}

/* ------------------------------------------------------------------ */
/* goldfish_rtc                                                       */

enum { TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08,
       ALARM_HIGH = 0x0c, IRQ_ENABLED = 0x10, CLEAR_ALARM = 0x14,
       ALARM_STATUS = 0x18, CLEAR_INTERRUPT = 0x1c };

static uint32_t rtc_rd(unsigned reg)
{
    return (uint32_t)mmio_read(RTC_BASE + reg, 4);
}

static void rtc_wr(unsigned reg, uint32_t val)
{
    mmio_write(RTC_BASE + reg, 4, val);
}

/* The guest's way: TIME_LOW first, which latches TIME_HIGH. */
static uint64_t rtc_time(void)
{
    uint32_t low = rtc_rd(TIME_LOW);
    return ((uint64_t)rtc_rd(TIME_HIGH) << 32) | low;
}

static void rtc_set_time(uint64_t ns)
{
    rtc_wr(TIME_HIGH, (uint32_t)(ns >> 32));
    rtc_wr(TIME_LOW, (uint32_t)ns);
}

static void rtc_set_alarm(uint64_t ns)
{
    rtc_wr(ALARM_HIGH, (uint32_t)(ns >> 32));
    rtc_wr(ALARM_LOW, (uint32_t)ns);
}

static TsDevice *rtc_new(TestIrq *irq)
{
    const char *props[] = { "addr=0x101000", NULL };
    return harness_device("goldfish_rtc", "rtc", irq, props);
}

static bool irq_up(void *opaque)
{
    return ((TestIrq *)opaque)->level;
}

static bool alarm_disarmed(void *opaque)
{
    return rtc_rd(ALARM_STATUS) == 0;
}

static void test_rtc_time(void)
{
    TsDevice *dev = rtc_new(NULL);
    /* Out of reset it tells the host's wall clock. */
    uint64_t before = (uint64_t)ts_clock_get_ns(TS_CLOCK_REALTIME);
    uint64_t t1 = rtc_time();
    uint64_t after = (uint64_t)ts_clock_get_ns(TS_CLOCK_REALTIME);
    g_assert_cmpuint(t1, >=, before);
    g_assert_cmpuint(t1, <=, after);
    g_usleep(2000);
    uint64_t t2 = rtc_time();
    g_assert_cmpuint(t2, >, t1);

    /* The guest sets it; it runs on from there. */
    const uint64_t set = UINT64_C(1000) * 1000000000;  /* 1970 + 1000 s */
    before = (uint64_t)ts_clock_get_ns(TS_CLOCK_REALTIME);
    rtc_set_time(set);
    uint64_t t3 = rtc_time();
    after = (uint64_t)ts_clock_get_ns(TS_CLOCK_REALTIME);
    g_assert_cmpuint(t3, >=, set);
    g_assert_cmpuint(t3, <=, set + (after - before));
    g_usleep(2000);
    g_assert_cmpuint(rtc_time(), >, t3);

    /* A high half above 32 bits works too. */
    const uint64_t far = UINT64_C(0x123456789) * 1000000000;
    rtc_set_time(far);
    g_assert_cmpuint(rtc_time(), >=, far);
    g_assert_cmpuint(rtc_time() - far, <, UINT64_C(3600) * 1000000000);

    /* Reset keeps the time (battery backed). */
    ts_device_reset(dev);
    g_assert_cmpuint(rtc_time(), >=, far);
    harness_destroy(dev);
}

static void test_rtc_alarm(void)
{
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rtc_new(irq);
    g_assert_cmpuint(rtc_rd(ALARM_STATUS), ==, 0);
    g_assert_cmpuint(rtc_rd(IRQ_ENABLED), ==, 0);

    /* An alarm shortly ahead fires and raises the line. */
    rtc_wr(IRQ_ENABLED, 1);
    g_assert_cmpuint(rtc_rd(IRQ_ENABLED), ==, 1);
    uint64_t when = rtc_time() + 1000000;
    rtc_set_alarm(when);
    g_assert_cmpuint(rtc_rd(ALARM_STATUS), ==, 1);
    g_assert_cmphex(rtc_rd(ALARM_LOW), ==, (uint32_t)when);
    g_assert_cmphex(rtc_rd(ALARM_HIGH), ==, (uint32_t)(when >> 32));
    g_assert_true(run_until(irq_up, irq, 10000));
    g_assert_cmpuint(rtc_time(), >=, when);
    g_assert_cmpuint(rtc_rd(ALARM_STATUS), ==, 0);
    rtc_wr(CLEAR_INTERRUPT, 1);
    g_assert_false(irq->level);

    /* An alarm in the past fires at once. */
    rtc_set_alarm(rtc_time() - UINT64_C(1000000000));
    g_assert_true(run_until(irq_up, irq, 10000));
    rtc_wr(CLEAR_INTERRUPT, 1);
    g_assert_false(irq->level);

    /* With the interrupt disabled it fires silently; enabling it then
     * raises the line, acknowledging lowers it. */
    rtc_wr(IRQ_ENABLED, 0);
    rtc_set_alarm(rtc_time());
    g_assert_true(run_until(alarm_disarmed, NULL, 10000));
    g_assert_false(irq->level);
    rtc_wr(IRQ_ENABLED, 1);
    g_assert_true(irq->level);
    rtc_wr(CLEAR_INTERRUPT, 1);
    g_assert_false(irq->level);

    /* CLEAR_ALARM disarms. */
    rtc_set_alarm(rtc_time() + UINT64_C(3600) * 1000000000);
    g_assert_cmpuint(rtc_rd(ALARM_STATUS), ==, 1);
    rtc_wr(CLEAR_ALARM, 1);
    g_assert_cmpuint(rtc_rd(ALARM_STATUS), ==, 0);

    /* Setting the time past an armed alarm fires it. */
    uint64_t now = rtc_time();
    rtc_set_alarm(now + UINT64_C(3600) * 1000000000);
    rtc_set_time(now + UINT64_C(7200) * 1000000000);
    g_assert_true(run_until(irq_up, irq, 10000));
    rtc_wr(CLEAR_INTERRUPT, 1);

    /* Reset disarms and disables. */
    rtc_set_alarm(rtc_time() + UINT64_C(3600) * 1000000000);
    ts_device_reset(dev);
    g_assert_cmpuint(rtc_rd(ALARM_STATUS), ==, 0);
    g_assert_cmpuint(rtc_rd(IRQ_ENABLED), ==, 0);

    /* Only 32-bit accesses. */
    uint64_t val;
    g_assert_cmpint(ts_address_space_load(ts_address_space_system(),
                                          RTC_BASE, 8, &val), ==,
                    TS_MEM_ACCESS_ERROR);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* ------------------------------------------------------------------ */
/* Device tree                                                        */

static uint32_t cell(const void *fdt, int node, const char *name, int i)
{
    int n;
    const fdt32_t *p = harness_fdt_cells(fdt, node, name, &n);
    g_assert_cmpint(n, >, i);
    return fdt32_to_cpu(p[i]);
}

static int prop_len(const void *fdt, int node, const char *name)
{
    int len;
    return fdt_getprop(fdt, node, name, &len) ? len : -1;
}

static void test_fdt(void)
{
    int soc;
    g_autofree void *fdt = harness_fdt_with_soc(2, 2, &soc);
    /* Something of the board's with a phandle already. */
    int plic = fdt_add_subnode(fdt, soc, "plic@c000000");
    fdt_setprop_u32(fdt, plic, "phandle", 1);

    /* The finisher last: its /poweroff and /reboot go in at the root,
     * ahead of /soc, which moves /soc's offset.  The RTC's interrupts
     * are the number of the input it is wired to. */
    TestIrq *irq = test_irq_new_at(11);
    TsDevice *rtc = rtc_new(irq);
    TsDevice *finisher = finisher_new();
    TsFdtContext ctx = { .fdt = fdt, .parent = soc, .addr_cells = 2,
                         .size_cells = 2, .irq_parent = 1, .irq_cells = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_fdt_add_device_nodes(&ctx, &err));
    g_assert_no_error(err);

    int test = fdt_path_offset(fdt, "/soc/test@100000");
    g_assert_cmpint(test, >=, 0);
    static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
    int len;
    const void *compat = fdt_getprop(fdt, test, "compatible", &len);
    g_assert_cmpint(len, ==, sizeof(test_compat));
    g_assert_cmpmem(compat, len, test_compat, sizeof(test_compat));
    g_assert_cmphex(cell(fdt, test, "reg", 1), ==, 0x100000);
    g_assert_cmphex(cell(fdt, test, "reg", 3), ==, 0x1000);
    uint32_t phandle = fdt_get_phandle(fdt, test);
    g_assert_cmpuint(phandle, !=, 0);
    g_assert_cmpuint(phandle, !=, 1);           /* not the PLIC's */
    g_assert_cmpint(prop_len(fdt, test, "interrupts"), ==, -1);

    int poweroff = fdt_path_offset(fdt, "/poweroff");
    g_assert_cmpint(poweroff, >=, 0);
    g_assert_cmpstr(fdt_getprop(fdt, poweroff, "compatible", NULL), ==,
                    "syscon-poweroff");
    g_assert_cmpuint(cell(fdt, poweroff, "regmap", 0), ==, phandle);
    g_assert_cmpuint(cell(fdt, poweroff, "offset", 0), ==, 0);
    g_assert_cmphex(cell(fdt, poweroff, "value", 0), ==, 0x5555);
    int reboot = fdt_path_offset(fdt, "/reboot");
    g_assert_cmpint(reboot, >=, 0);
    g_assert_cmpstr(fdt_getprop(fdt, reboot, "compatible", NULL), ==,
                    "syscon-reboot");
    g_assert_cmpuint(cell(fdt, reboot, "regmap", 0), ==, phandle);
    g_assert_cmpuint(cell(fdt, reboot, "offset", 0), ==, 0);
    g_assert_cmphex(cell(fdt, reboot, "value", 0), ==, 0x7777);

    int node = fdt_path_offset(fdt, "/soc/rtc@101000");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmpstr(fdt_getprop(fdt, node, "compatible", NULL), ==,
                    "google,goldfish-rtc");
    g_assert_cmpint(prop_len(fdt, node, "reg"), ==, 16);
    g_assert_cmphex(cell(fdt, node, "reg", 1), ==, 0x101000);
    g_assert_cmphex(cell(fdt, node, "reg", 3), ==, 0x1000);
    g_assert_cmpint(prop_len(fdt, node, "interrupts"), ==, 4);
    g_assert_cmpuint(cell(fdt, node, "interrupts", 0), ==, 11);
    g_assert_cmpuint(cell(fdt, node, "interrupt-parent", 0), ==, 1);

    /* A second finisher cannot add another /poweroff: a clear error. */
    const char *props[] = { "addr=0x102000", NULL };
    TsDevice *second = harness_device("sifive_test", "test2", NULL, props);
    g_assert_cmpint(fdt_create_empty_tree(fdt, 64 * 1024), ==, 0);
    soc = fdt_add_subnode(fdt, 0, "soc");
    ctx.parent = soc;
    g_assert_false(ts_fdt_add_device_nodes(&ctx, &err));
    g_assert_nonnull(strstr(err->message, "/poweroff"));
    g_clear_error(&err);

    harness_destroy(second);
    harness_destroy(rtc);
    harness_destroy(finisher);
    test_irq_free(irq);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("sifive_test")) {
        return 0;
    }
    machine_set_shutdown_handler(record_shutdown);

    g_test_add_func("/sifive_test/pass", test_finisher_pass);
    g_test_add_func("/sifive_test/fail", test_finisher_fail);
    g_test_add_func("/sifive_test/reset", test_finisher_reset);
    g_test_add_func("/sifive_test/ignored", test_finisher_ignored);
    g_test_add_func("/goldfish_rtc/time", test_rtc_time);
    g_test_add_func("/goldfish_rtc/alarm", test_rtc_alarm);
    g_test_add_func("/dev-platform/fdt", test_fdt);
    return g_test_run();
}
