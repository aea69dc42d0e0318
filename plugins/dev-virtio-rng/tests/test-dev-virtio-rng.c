/*
 * test-dev-virtio-rng.c - the virtio-mmio transport of core/virtio with
 * the virtio-rng model of plugins/dev-virtio-rng, loaded from the build
 * tree and driven by the test's own guest driver (virtio-driver.c):
 * identity registers, feature negotiation, queue setup, requests served into guest RAM with the used
 * ring and the interrupt line, indirect descriptors, interrupt
 * suppression, bounded work, reset, the device-tree node; then a hostile
 * driver: loops, indexes out of range, buffers outside RAM, in other
 * devices and in the device's own registers, huge and wrapping lengths,
 * jumping indexes, bad indirect tables and bad queue layouts.  Each must
 * end with DEVICE_NEEDS_RESET and a configuration interrupt, nothing
 * written outside the guest's RAM, and a device that works again after a
 * reset.
 */
#include "virtio-driver.h"

#include "util/log-setup.h"

#include <libfdt.h>
#include <stdio.h>
#include <unistd.h>

#define RNG_BASE    UINT64_C(0x10001000)
#define CANARY_BASE UINT64_C(0x20000000)
#define TABLE       (TEST_BUF + 0x20000)    /* indirect tables */

/* ------------------------------------------------------------------ */
/* A device's registers nobody should touch: counts every access       */

static unsigned canary_writes;

static uint64_t canary_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0;
}

static void canary_write(void *opaque, uint64_t addr, uint64_t val,
                         unsigned size)
{
    canary_writes++;
}

static const TsMemoryOps canary_ops = {
    .read = canary_read,
    .write = canary_write,
    .valid_min = 1,
    .valid_max = 8,
};

static void canary_init(void)
{
    TsMemoryRegion *mr = ts_memory_region_new_mmio("canary", 0x1000,
                                                   &canary_ops, NULL);
    g_assert_true(ts_memory_region_add_subregion(ts_machine_system_memory(),
                                                 CANARY_BASE, mr, 0));
    ts_memory_region_unref(mr);
}

/* ------------------------------------------------------------------ */

static TsDevice *rng_new(TestIrq *irq)
{
    const char *props[] = { "addr=0x10001000", NULL };
    return harness_device("virtio-rng-device", "rng", irq, props);
}

/* One 64-byte writable request in descriptor `i` at `buf`. */
static void post_request(Vdrv *d, unsigned i, uint64_t buf, uint32_t len)
{
    vd_desc(d, 0, i, buf, len, VD_DESC_WRITE, 0);
    vd_avail(d, 0, i);
}

static void check_used(Vdrv *d, unsigned slot, uint32_t id, uint32_t len)
{
    uint32_t got_id, got_len;
    vd_used_elem(d, 0, slot, &got_id, &got_len);
    g_assert_cmpuint(got_id, ==, id);
    g_assert_cmpuint(got_len, ==, len);
}

static bool used_reaches(void *opaque)
{
    Vdrv *d = opaque;
    return vd_used_idx(d, 0) == d->q[0].avail_idx;
}

/* ------------------------------------------------------------------ */

static void test_identity(void)
{
    TsDevice *dev = rng_new(NULL);
    Vdrv d = { .base = RNG_BASE };
    g_assert_cmphex(vd_rd(&d, VD_MAGIC), ==, 0x74726976);
    g_assert_cmpuint(vd_rd(&d, VD_VERSION), ==, 2);
    g_assert_cmpuint(vd_rd(&d, VD_DEVICE_ID), ==, 4);
    g_assert_cmphex(vd_rd(&d, VD_VENDOR_ID), !=, 0);
    g_assert_cmphex(vd_rd(&d, VD_STATUS), ==, 0);
    vd_wr(&d, VD_QUEUE_SEL, 0);
    g_assert_cmpuint(vd_rd(&d, VD_QUEUE_NUM_MAX), ==, 256);
    g_assert_cmpuint(vd_rd(&d, VD_QUEUE_READY), ==, 0);
    vd_wr(&d, VD_QUEUE_SEL, 1);         /* only one queue */
    g_assert_cmpuint(vd_rd(&d, VD_QUEUE_NUM_MAX), ==, 0);
    /* No shared memory regions: length all ones. */
    vd_wr(&d, VD_SHM_SEL, 0);
    g_assert_cmphex(vd_rd(&d, VD_SHM_LEN_LOW), ==, 0xffffffff);
    g_assert_cmphex(vd_rd(&d, VD_SHM_LEN_HIGH), ==, 0xffffffff);
    g_assert_cmpuint(vd_rd(&d, VD_CONFIG_GENERATION), ==, 0);
    /* No configuration space; narrow register reads are refused. */
    g_assert_cmpuint(vd_rd(&d, VD_CONFIG), ==, 0);
    g_assert_cmpuint(mmio_read(RNG_BASE + VD_MAGIC, 1), ==, 0);
    /* 8-byte accesses are not allowed by the transport. */
    uint64_t v;
    g_assert_cmpint(ts_address_space_load(ts_address_space_system(),
                                          RNG_BASE, 8, &v), !=, TS_MEM_OK);
    harness_destroy(dev);
}

static void test_features(void)
{
    TsDevice *dev = rng_new(NULL);
    Vdrv d = { .base = RNG_BASE };
    vd_wr(&d, VD_DEVICE_FEATURES_SEL, 0);
    uint32_t lo = vd_rd(&d, VD_DEVICE_FEATURES);
    vd_wr(&d, VD_DEVICE_FEATURES_SEL, 1);
    uint32_t hi = vd_rd(&d, VD_DEVICE_FEATURES);
    vd_wr(&d, VD_DEVICE_FEATURES_SEL, 2);
    g_assert_cmphex(vd_rd(&d, VD_DEVICE_FEATURES), ==, 0);
    g_assert_cmphex(lo, ==, (uint32_t)(VD_F_INDIRECT_DESC | VD_F_EVENT_IDX));
    g_assert_cmphex(hi, ==, 1);                     /* VERSION_1 */

    /* A legacy driver (no VERSION_1) is refused. */
    g_assert_cmphex(vd_negotiate(&d, VD_F_INDIRECT_DESC) &
                    VD_S_FEATURES_OK, ==, 0);
    /* So is one that accepts what was not offered. */
    g_assert_cmphex(vd_negotiate(&d, VD_F_VERSION_1 | (1u << 5)) &
                    VD_S_FEATURES_OK, ==, 0);
    g_assert_cmphex(vd_negotiate(&d, VD_F_VERSION_1 | (UINT64_C(1) << 40)) &
                    VD_S_FEATURES_OK, ==, 0);
    /* A subset with VERSION_1 is accepted. */
    g_assert_cmphex(vd_negotiate(&d, VD_F_VERSION_1 | VD_F_EVENT_IDX), ==,
                    VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK);

    /* DRIVER_OK without FEATURES_OK: nothing is served. */
    g_assert_cmphex(vd_negotiate(&d, 0) & VD_S_FEATURES_OK, ==, 0);
    vd_queue_setup(&d, 0, 16);
    vd_wr(&d, VD_STATUS, VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_DRIVER_OK);
    ram_fill(TEST_BUF, 0xaa, 64);
    post_request(&d, 0, TEST_BUF, 64);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 0);
    g_assert_true(ram_is(TEST_BUF, 0xaa, 64));
    harness_destroy(dev);
}

/* The whole path: a request is filled, the used ring updated, the line
 * raised; the driver acknowledges and it drops. */
static void test_request(void)
{
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, 0, 1, 16);
    g_assert_cmpint(irq->level, ==, 0);

    ram_fill(TEST_BUF, 0xaa, 128);
    post_request(&d, 3, TEST_BUF, 64);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 1);
    check_used(&d, 0, 3, 64);
    /* 64 random bytes are not all 0xaa; the next 64 are untouched. */
    g_assert_false(ram_is(TEST_BUF, 0xaa, 64));
    g_assert_true(ram_is(TEST_BUF + 64, 0xaa, 64));
    g_assert_cmpint(irq->level, ==, 1);
    g_assert_cmphex(vd_rd(&d, VD_INTERRUPT_STATUS), ==, 1);
    vd_wr(&d, VD_INTERRUPT_ACK, 1);
    g_assert_cmpint(irq->level, ==, 0);
    g_assert_cmphex(vd_rd(&d, VD_INTERRUPT_STATUS), ==, 0);

    /* Two requests in one notification: one interrupt. */
    post_request(&d, 0, TEST_BUF + 0x1000, 16);
    post_request(&d, 1, TEST_BUF + 0x2000, 4096);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 3);
    check_used(&d, 1, 0, 16);
    check_used(&d, 2, 1, 4096);
    g_assert_cmpuint(irq->raised, ==, 2);
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);

    /* A notification for a queue that does not exist changes nothing. */
    vd_wr(&d, VD_QUEUE_NOTIFY, 5);
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* A chain of three writable buffers, and the same through an indirect
 * table: every byte is written and the used length is their sum. */
static void test_chains(void)
{
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, VD_F_INDIRECT_DESC, 1, 16);
    ram_fill(TEST_BUF, 0, 0x1000);

    vd_desc(&d, 0, 4, TEST_BUF, 100, VD_DESC_WRITE | VD_DESC_NEXT, 9);
    vd_desc(&d, 0, 9, TEST_BUF + 0x200, 200, VD_DESC_WRITE | VD_DESC_NEXT, 2);
    vd_desc(&d, 0, 2, TEST_BUF + 0x400, 300, VD_DESC_WRITE, 0);
    vd_avail(&d, 0, 4);

    vd_desc_at(TABLE, 0, TEST_BUF + 0x800, 256, VD_DESC_WRITE | VD_DESC_NEXT,
               1);
    vd_desc_at(TABLE, 1, TEST_BUF + 0xa00, 256, VD_DESC_WRITE, 0);
    vd_desc(&d, 0, 5, TABLE, 32, VD_DESC_INDIRECT, 0);
    vd_avail(&d, 0, 5);
    vd_notify(&d, 0);

    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 2);
    check_used(&d, 0, 4, 600);
    check_used(&d, 1, 5, 512);
    /* Random bytes: no run of 16 zero bytes in any buffer, and the gaps
     * between buffers are untouched. */
    static const struct { uint64_t off; uint32_t len; } bufs[] = {
        { 0, 100 }, { 0x200, 200 }, { 0x400, 300 }, { 0x800, 256 },
        { 0xa00, 256 },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bufs); i++) {
        for (uint32_t o = 0; o + 16 <= bufs[i].len; o += 16) {
            g_assert_false(ram_is(TEST_BUF + bufs[i].off + o, 0, 16));
        }
        g_assert_true(ram_is(TEST_BUF + bufs[i].off + bufs[i].len, 0, 16));
    }
    g_assert_cmpint(irq->level, ==, 1);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* A request with no writable buffer gets nothing, and says so. */
static void test_empty_request(void)
{
    TsDevice *dev = rng_new(NULL);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, 0, 1, 16);
    ram_fill(TEST_BUF, 0xaa, 64);
    vd_desc(&d, 0, 0, TEST_BUF, 64, 0, 0);     /* device-readable */
    vd_avail(&d, 0, 0);
    vd_desc(&d, 0, 1, TEST_BUF, 0, VD_DESC_WRITE, 0);  /* zero length */
    vd_avail(&d, 0, 1);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 2);
    check_used(&d, 0, 0, 0);
    check_used(&d, 1, 1, 0);
    g_assert_true(ram_is(TEST_BUF, 0xaa, 64));
    harness_destroy(dev);
}

static void test_no_interrupt_flag(void)
{
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, 0, 1, 16);
    vd_set_avail_flags(&d, 0, VD_AVAIL_NO_INTERRUPT);
    post_request(&d, 0, TEST_BUF, 32);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 1);
    g_assert_cmpint(irq->level, ==, 0);
    g_assert_cmphex(vd_rd(&d, VD_INTERRUPT_STATUS), ==, 0);
    vd_set_avail_flags(&d, 0, 0);
    post_request(&d, 1, TEST_BUF, 32);
    vd_notify(&d, 0);
    g_assert_cmpint(irq->level, ==, 1);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* VIRTIO_F_EVENT_IDX: the device interrupts only when the used index
 * passes used_event, and asks for notifications with avail_event. */
static void test_event_idx(void)
{
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, VD_F_EVENT_IDX, 1, 16);

    vd_set_used_event(&d, 0, 0);
    post_request(&d, 0, TEST_BUF, 16);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 1);
    g_assert_cmpint(irq->level, ==, 1);
    g_assert_cmpuint(vd_avail_event(&d, 0), ==, 1);
    vd_wr(&d, VD_INTERRUPT_ACK, 1);

    vd_set_used_event(&d, 0, 5);            /* not interested yet */
    post_request(&d, 1, TEST_BUF, 16);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 2);
    g_assert_cmpint(irq->level, ==, 0);
    g_assert_cmpuint(vd_avail_event(&d, 0), ==, 2);

    vd_set_used_event(&d, 0, 2);            /* the next one, please */
    post_request(&d, 2, TEST_BUF, 16);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 3);
    g_assert_cmpint(irq->level, ==, 1);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* Buffers made available before DRIVER_OK wait for it. */
static void test_before_driver_ok(void)
{
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    uint32_t st = vd_negotiate(&d, VD_F_VERSION_1);
    vd_queue_setup(&d, 0, 16);
    post_request(&d, 0, TEST_BUF, 16);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 0);
    g_assert_cmpint(irq->level, ==, 0);
    vd_wr(&d, VD_STATUS, st | VD_S_DRIVER_OK);
    g_assert_true(run_until(used_reaches, &d, 5000));
    g_assert_cmpint(irq->level, ==, 1);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* A full queue of 4 KiB requests is more than one notification's work:
 * part is served at once, the rest from the main loop, all in order. */
static void test_bounded_work(void)
{
    TsDevice *dev = rng_new(NULL);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, 0, 1, 256);
    for (unsigned i = 0; i < 256; i++) {
        post_request(&d, i, TEST_BUF + 4096 * (uint64_t)i, 4096);
    }
    vd_notify(&d, 0);
    uint16_t first = vd_used_idx(&d, 0);
    g_assert_cmpuint(first, >, 0);
    g_assert_cmpuint(first, <, 256);
    g_assert_true(run_until(used_reaches, &d, 10000));
    for (unsigned i = 0; i < 256; i++) {
        check_used(&d, i, i, 4096);
    }
    harness_destroy(dev);
}

/* Machine reset and the driver's Status = 0 both bring back the state
 * after realize; the device then works as new. */
static void test_reset(void)
{
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, VD_F_EVENT_IDX, 1, 16);
    post_request(&d, 0, TEST_BUF, 16);
    vd_notify(&d, 0);
    g_assert_cmpint(irq->level, ==, 1);

    ts_device_reset(dev);
    g_assert_cmphex(vd_rd(&d, VD_STATUS), ==, 0);
    g_assert_cmphex(vd_rd(&d, VD_INTERRUPT_STATUS), ==, 0);
    vd_wr(&d, VD_QUEUE_SEL, 0);
    g_assert_cmpuint(vd_rd(&d, VD_QUEUE_READY), ==, 0);
    g_assert_cmpint(irq->level, ==, 0);

    for (int round = 0; round < 2; round++) {
        vd_start(&d, 0, 1, 16);     /* writes Status = 0 first */
        post_request(&d, 0, TEST_BUF, 16);
        vd_notify(&d, 0);
        g_assert_cmpuint(vd_used_idx(&d, 0), ==, 1);
        g_assert_cmpint(irq->level, ==, 1);
    }
    /* The driver taking a queue back: QueueReady reads 0 again and the
     * queue may be set up anew. */
    vd_wr(&d, VD_QUEUE_SEL, 0);
    vd_wr(&d, VD_QUEUE_READY, 0);
    g_assert_cmpuint(vd_rd(&d, VD_QUEUE_READY), ==, 0);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* ------------------------------------------------------------------ */
/* Hostile drivers                                                    */

typedef struct Hostile {
    const char *name;
    uint64_t features;              /* negotiated besides VERSION_1 */
    void (*post)(Vdrv *d);          /* the bad request, made available */
} Hostile;

#define W VD_DESC_WRITE
#define N VD_DESC_NEXT
#define I VD_DESC_INDIRECT

static void bad_loop(Vdrv *d)
{
    vd_desc(d, 0, 0, TEST_BUF, 64, W | N, 1);
    vd_desc(d, 0, 1, TEST_BUF + 64, 64, W | N, 0);
    vd_avail(d, 0, 0);
}

static void bad_self_loop(Vdrv *d)
{
    vd_desc(d, 0, 0, TEST_BUF, 64, W | N, 0);
    vd_avail(d, 0, 0);
}

static void bad_whole_table_loop(Vdrv *d)
{
    for (unsigned i = 0; i < 16; i++) {
        vd_desc(d, 0, i, TEST_BUF + 16 * i, 16, W | N, (i + 1) % 16);
    }
    vd_avail(d, 0, 5);
}

static void bad_head(Vdrv *d)
{
    vd_avail(d, 0, 300);
}

static void bad_next(Vdrv *d)
{
    vd_desc(d, 0, 0, TEST_BUF, 64, W | N, 16);
    vd_avail(d, 0, 0);
}

static void bad_unassigned(Vdrv *d)
{
    vd_desc(d, 0, 0, 0x1000, 64, W, 0);
    vd_avail(d, 0, 0);
}

static void bad_other_device(Vdrv *d)
{
    vd_desc(d, 0, 0, CANARY_BASE, 64, W, 0);
    vd_avail(d, 0, 0);
}

static void bad_own_registers(Vdrv *d)
{
    vd_desc(d, 0, 0, RNG_BASE, 0x100, W, 0);
    vd_avail(d, 0, 0);
}

static void bad_past_ram_end(Vdrv *d)
{
    vd_desc(d, 0, 0, TEST_RAM_END - 16, 64, W, 0);
    vd_avail(d, 0, 0);
}

static void bad_huge_length(Vdrv *d)
{
    vd_desc(d, 0, 0, TEST_BUF, 0xffffffff, W, 0);
    vd_avail(d, 0, 0);
}

static void bad_wrap(Vdrv *d)
{
    vd_desc(d, 0, 0, UINT64_C(0xfffffffffffff000), 0x2000, W, 0);
    vd_avail(d, 0, 0);
}

/* The good part first, then a bad buffer: nothing may be written. */
static void bad_second_buffer(Vdrv *d)
{
    vd_desc(d, 0, 0, TEST_BUF, 64, W | N, 1);
    vd_desc(d, 0, 1, TEST_RAM_END - 8, 16, W, 0);
    vd_avail(d, 0, 0);
}

static void bad_avail_jump(Vdrv *d)
{
    vd_desc(d, 0, 0, TEST_BUF, 64, W, 0);
    vd_set_avail_idx(d, 0, 17);
}

static void bad_read_after_write(Vdrv *d)
{
    vd_desc(d, 0, 0, TEST_BUF, 64, W | N, 1);
    vd_desc(d, 0, 1, TEST_BUF + 64, 64, 0, 0);
    vd_avail(d, 0, 0);
}

/* An otherwise fine two-entry indirect table. */
static void good_table(void)
{
    vd_desc_at(TABLE, 0, TEST_BUF, 64, W | N, 1);
    vd_desc_at(TABLE, 1, TEST_BUF + 64, 64, W, 0);
}

static void bad_indirect_not_negotiated(Vdrv *d)
{
    good_table();
    vd_desc(d, 0, 0, TABLE, 32, I, 0);
    vd_avail(d, 0, 0);
}

static void bad_indirect_nested(Vdrv *d)
{
    vd_desc_at(TABLE, 0, TABLE, 32, I, 0);
    vd_desc(d, 0, 0, TABLE, 32, I, 0);
    vd_avail(d, 0, 0);
}

static void bad_indirect_with_next(Vdrv *d)
{
    good_table();
    vd_desc(d, 0, 0, TABLE, 32, I | N, 1);
    vd_desc(d, 0, 1, TEST_BUF + 128, 64, W, 0);
    vd_avail(d, 0, 0);
}

static void bad_indirect_length(Vdrv *d)
{
    good_table();
    vd_desc(d, 0, 0, TABLE, 24, I, 0);
    vd_avail(d, 0, 0);
}

static void bad_indirect_loop(Vdrv *d)
{
    vd_desc_at(TABLE, 0, TEST_BUF, 64, W | N, 1);
    vd_desc_at(TABLE, 1, TEST_BUF + 64, 64, W | N, 0);
    vd_desc(d, 0, 0, TABLE, 32, I, 0);
    vd_avail(d, 0, 0);
}

static void bad_indirect_next(Vdrv *d)
{
    vd_desc_at(TABLE, 0, TEST_BUF, 64, W | N, 2);   /* table has 2 */
    vd_desc(d, 0, 0, TABLE, 32, I, 0);
    vd_avail(d, 0, 0);
}

static void bad_indirect_outside(Vdrv *d)
{
    vd_desc(d, 0, 0, 0x2000, 32, I, 0);
    vd_avail(d, 0, 0);
}

static void bad_indirect_huge(Vdrv *d)
{
    vd_desc(d, 0, 0, TABLE, 16 * 4096, I, 0);
    vd_avail(d, 0, 0);
}

static void bad_indirect_buffer_outside(Vdrv *d)
{
    vd_desc_at(TABLE, 0, TEST_BUF, 64, W | N, 1);
    vd_desc_at(TABLE, 1, CANARY_BASE, 64, W, 0);
    vd_desc(d, 0, 0, TABLE, 32, I, 0);
    vd_avail(d, 0, 0);
}

static const Hostile hostile_cases[] = {
    { "loop", 0, bad_loop },
    { "self-loop", 0, bad_self_loop },
    { "whole-table-loop", 0, bad_whole_table_loop },
    { "head-out-of-range", 0, bad_head },
    { "next-out-of-range", 0, bad_next },
    { "unassigned", 0, bad_unassigned },
    { "other-device", 0, bad_other_device },
    { "own-registers", 0, bad_own_registers },
    { "past-ram-end", 0, bad_past_ram_end },
    { "huge-length", 0, bad_huge_length },
    { "wrap", 0, bad_wrap },
    { "second-buffer-outside", 0, bad_second_buffer },
    { "avail-index-jump", 0, bad_avail_jump },
    { "readable-after-writable", 0, bad_read_after_write },
    { "indirect-not-negotiated", 0, bad_indirect_not_negotiated },
    { "indirect-nested", VD_F_INDIRECT_DESC, bad_indirect_nested },
    { "indirect-with-next", VD_F_INDIRECT_DESC, bad_indirect_with_next },
    { "indirect-length", VD_F_INDIRECT_DESC, bad_indirect_length },
    { "indirect-loop", VD_F_INDIRECT_DESC, bad_indirect_loop },
    { "indirect-next", VD_F_INDIRECT_DESC, bad_indirect_next },
    { "indirect-outside", VD_F_INDIRECT_DESC, bad_indirect_outside },
    { "indirect-huge", VD_F_INDIRECT_DESC, bad_indirect_huge },
    { "indirect-buffer-outside", VD_F_INDIRECT_DESC,
      bad_indirect_buffer_outside },
};

/* The device asked for a reset and raised the configuration interrupt;
 * nothing was served. */
static void assert_needs_reset(Vdrv *d, TestIrq *irq)
{
    g_assert_cmphex(vd_rd(d, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);
    g_assert_cmphex(vd_rd(d, VD_INTERRUPT_STATUS) & 2, ==, 2);
    g_assert_cmpint(irq->level, ==, 1);
}

static void test_hostile(const void *data)
{
    const Hostile *h = data;
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    canary_writes = 0;
    ram_fill(TEST_BUF, 0xaa, 0x1000);
    ram_fill(TEST_RAM_END - 0x1000, 0xee, 0x1000);
    vd_start(&d, h->features, 1, 16);
    h->post(&d);
    vd_notify(&d, 0);

    assert_needs_reset(&d, irq);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 0);
    g_assert_cmpuint(canary_writes, ==, 0);
    g_assert_true(ram_is(TEST_BUF, 0xaa, 0x1000));
    g_assert_true(ram_is(TEST_RAM_END - 0x1000, 0xee, 0x1000));
    /* The device's own registers still answer sanely. */
    g_assert_cmphex(vd_rd(&d, VD_MAGIC), ==, 0x74726976);

    /* The queue stays given up: a good request now is not served, and
     * acknowledging the interrupt does not clear NEEDS_RESET. */
    vd_wr(&d, VD_INTERRUPT_ACK, 3);
    g_assert_cmpint(irq->level, ==, 0);
    post_request(&d, 2, TEST_BUF, 64);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 0);
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);

    /* A reset brings the device back. */
    vd_start(&d, h->features, 1, 16);
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);
    post_request(&d, 2, TEST_BUF, 64);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 1);
    check_used(&d, 0, 2, 64);
    g_assert_cmpuint(canary_writes, ==, 0);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* Queue layouts refused when the driver makes the queue ready. */
typedef struct BadLayout {
    const char *name;
    uint32_t num;
    uint64_t desc, avail, used;
} BadLayout;

#define Q0 (TEST_RAM_BASE + 0x10000)
static const BadLayout bad_layouts[] = {
    { "size-not-power-of-two", 12, Q0, Q0 + 0x4000, Q0 + 0x8000 },
    { "size-zero", 0, Q0, Q0 + 0x4000, Q0 + 0x8000 },
    { "size-too-large", 512, Q0, Q0 + 0x4000, Q0 + 0x8000 },
    { "descriptors-misaligned", 16, Q0 + 8, Q0 + 0x4000, Q0 + 0x8000 },
    { "used-misaligned", 16, Q0, Q0 + 0x4000, Q0 + 0x8002 },
    { "descriptors-outside-ram", 16, 0x1000, Q0 + 0x4000, Q0 + 0x8000 },
    { "driver-area-past-end", 16, Q0, TEST_RAM_END - 8, Q0 + 0x8000 },
    { "device-area-in-registers", 16, Q0, Q0 + 0x4000, RNG_BASE },
    { "device-area-in-other-device", 16, Q0, Q0 + 0x4000, CANARY_BASE },
};

static void test_bad_layout(const void *data)
{
    const BadLayout *b = data;
    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    canary_writes = 0;
    uint32_t st = vd_negotiate(&d, VD_F_VERSION_1);
    vd_wr(&d, VD_QUEUE_SEL, 0);
    vd_wr(&d, VD_QUEUE_NUM, b->num);
    vd_wr(&d, VD_QUEUE_DESC_LOW, (uint32_t)b->desc);
    vd_wr(&d, VD_QUEUE_DESC_HIGH, (uint32_t)(b->desc >> 32));
    vd_wr(&d, VD_QUEUE_DRIVER_LOW, (uint32_t)b->avail);
    vd_wr(&d, VD_QUEUE_DRIVER_HIGH, (uint32_t)(b->avail >> 32));
    vd_wr(&d, VD_QUEUE_DEVICE_LOW, (uint32_t)b->used);
    vd_wr(&d, VD_QUEUE_DEVICE_HIGH, (uint32_t)(b->used >> 32));
    vd_wr(&d, VD_QUEUE_READY, 1);
    /* Before DRIVER_OK the driver learns it from Status alone. */
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);
    g_assert_cmpint(irq->level, ==, 0);
    vd_wr(&d, VD_STATUS, st | VD_S_DRIVER_OK);
    vd_notify(&d, 0);
    run_until(NULL, NULL, 20);      /* let deferred work run, if any */
    g_assert_cmpuint(canary_writes, ==, 0);
    g_assert_cmphex(vd_rd(&d, VD_MAGIC), ==, 0x74726976);
    harness_destroy(dev);
    test_irq_free(irq);
}

/* Reconfiguring a ready queue is ignored: the rings stay where they were. */
static void test_reconfigure_ready_queue(void)
{
    TsDevice *dev = rng_new(NULL);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, 0, 1, 16);
    vd_wr(&d, VD_QUEUE_SEL, 0);
    vd_wr(&d, VD_QUEUE_DEVICE_LOW, (uint32_t)CANARY_BASE);
    vd_wr(&d, VD_QUEUE_NUM, 64);
    canary_writes = 0;
    post_request(&d, 0, TEST_BUF, 16);
    vd_notify(&d, 0);
    g_assert_cmpuint(vd_used_idx(&d, 0), ==, 1);
    g_assert_cmpuint(canary_writes, ==, 0);
    g_assert_cmphex(vd_rd(&d, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);
    harness_destroy(dev);
}

/* With -d guest_errors the reason is logged. */
static void test_guest_error_log(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-dev-virtio-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "log", NULL);
    g_autoptr(GError) err = NULL;
    g_assert_true(log_set_file(path, &err));
    g_assert_true(log_set_items("guest_errors", &err));

    TestIrq *irq = test_irq_new();
    TsDevice *dev = rng_new(irq);
    Vdrv d = { .base = RNG_BASE };
    vd_start(&d, 0, 1, 16);
    bad_loop(&d);
    vd_notify(&d, 0);
    assert_needs_reset(&d, irq);
    harness_destroy(dev);
    test_irq_free(irq);

    g_assert_true(log_set_items("", &err));
    g_autofree char *log = NULL;
    g_assert_true(g_file_get_contents(path, &log, NULL, NULL));
    g_assert_nonnull(strstr(log, "virtio-rng-device@0x10001000: queue 0: "
                                 "descriptor chain at head 0"));
    g_assert_nonnull(strstr(log, "a loop?"));
    g_assert_nonnull(strstr(log, "needs a reset"));
    unlink(path);
    rmdir(dir);
}

static void test_realize_errors(void)
{
    static const struct {
        const char *addr;
        const char *error;
    } cases[] = {
        { NULL, "virtio-mmio slot" },           /* no board slot */
        { "addr=0x10001004", "not a multiple of 0x200" },
        { "addr=0xfffffffffffffe00", "below 2^64" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        const char *props[] = { cases[i].addr, NULL };
        TsDevice *dev = harness_try_device("virtio-rng-device", "bad",
                                           props, &err);
        if (dev) {
            g_assert_no_error(err);
            g_assert_false(ts_device_realize(dev, &err));
            harness_destroy(dev);
        }
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, cases[i].error));
    }

    g_autoptr(GError) err = NULL;

    /* The abstract transport cannot be created. */
    g_assert_null(ts_object_new("virtio-mmio-device", &err));
    g_assert_nonnull(err);
}

static void test_fdt(void)
{
    /* The node names the interrupt the output is wired to: input 7. */
    TestIrq *irq = test_irq_new_at(7);
    TsDevice *dev = rng_new(irq);
    int soc;
    g_autofree void *fdt = harness_fdt_with_soc(2, 2, &soc);
    TsFdtContext ctx = { .fdt = fdt, .parent = soc, .addr_cells = 2,
                         .size_cells = 2, .irq_parent = 3, .irq_cells = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_fdt_add_device_nodes(&ctx, &err));
    g_assert_no_error(err);

    int node = fdt_path_offset(fdt, "/soc/virtio_mmio@10001000");
    g_assert_cmpint(node, >=, 0);
    int len, n;
    const char *compat = fdt_getprop(fdt, node, "compatible", &len);
    g_assert_cmpstr(compat, ==, "virtio,mmio");
    g_assert_cmpint(len, ==, sizeof("virtio,mmio"));
    const fdt32_t *reg = harness_fdt_cells(fdt, node, "reg", &n);
    g_assert_cmpint(n, ==, 4);
    g_assert_cmphex(fdt32_to_cpu(reg[0]), ==, 0);
    g_assert_cmphex(fdt32_to_cpu(reg[1]), ==, 0x10001000);
    g_assert_cmphex(fdt32_to_cpu(reg[2]), ==, 0);
    g_assert_cmphex(fdt32_to_cpu(reg[3]), ==, 0x200);
    const fdt32_t *irqs = harness_fdt_cells(fdt, node, "interrupts", &n);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(fdt32_to_cpu(irqs[0]), ==, 7);
    const fdt32_t *ip = harness_fdt_cells(fdt, node, "interrupt-parent", &n);
    g_assert_cmpint(n, ==, 1);
    g_assert_cmpuint(fdt32_to_cpu(ip[0]), ==, 3);

    /* One-cell parent, two-cell interrupt controller. */
    g_autofree void *small = harness_fdt_with_soc(1, 1, &soc);
    TsFdtContext ctx1 = { .fdt = small, .parent = soc, .addr_cells = 1,
                          .size_cells = 1, .irq_parent = 5, .irq_cells = 2 };
    g_assert_true(ts_fdt_add_device_nodes(&ctx1, &err));
    node = fdt_path_offset(small, "/soc/virtio_mmio@10001000");
    reg = harness_fdt_cells(small, node, "reg", &n);
    g_assert_cmpint(n, ==, 2);
    g_assert_cmphex(fdt32_to_cpu(reg[0]), ==, 0x10001000);
    g_assert_cmphex(fdt32_to_cpu(reg[1]), ==, 0x200);
    irqs = harness_fdt_cells(small, node, "interrupts", &n);
    g_assert_cmpint(n, ==, 2);
    g_assert_cmpuint(fdt32_to_cpu(irqs[0]), ==, 7);
    g_assert_cmpuint(fdt32_to_cpu(irqs[1]), ==, 4);

    /* A blob too small is an error, not a crash. */
    char tiny[200];
    g_assert_cmpint(fdt_create_empty_tree(tiny, sizeof(tiny)), ==, 0);
    TsFdtContext ctx2 = { .fdt = tiny, .parent = 0, .addr_cells = 2,
                          .size_cells = 2, .irq_parent = 1, .irq_cells = 1 };
    g_assert_false(ts_fdt_add_device_nodes(&ctx2, &err));
    g_assert_nonnull(strstr(err->message, "virtio_mmio@10001000"));
    harness_destroy(dev);
    test_irq_free(irq);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("virtio-rng-device")) {
        return 0;
    }
    vd_ram_init();
    canary_init();

    g_test_add_func("/virtio-mmio/identity", test_identity);
    g_test_add_func("/virtio-mmio/features", test_features);
    g_test_add_func("/virtio-rng/request", test_request);
    g_test_add_func("/virtio-rng/chains", test_chains);
    g_test_add_func("/virtio-rng/empty-request", test_empty_request);
    g_test_add_func("/virtio-mmio/no-interrupt-flag", test_no_interrupt_flag);
    g_test_add_func("/virtio-mmio/event-idx", test_event_idx);
    g_test_add_func("/virtio-mmio/before-driver-ok", test_before_driver_ok);
    g_test_add_func("/virtio-rng/bounded-work", test_bounded_work);
    g_test_add_func("/virtio-mmio/reset", test_reset);
    for (unsigned i = 0; i < G_N_ELEMENTS(hostile_cases); i++) {
        g_autofree char *path = g_strdup_printf("/virtio-mmio/hostile/%s",
                                                hostile_cases[i].name);
        g_test_add_data_func(path, &hostile_cases[i], test_hostile);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(bad_layouts); i++) {
        g_autofree char *path = g_strdup_printf("/virtio-mmio/bad-layout/%s",
                                                bad_layouts[i].name);
        g_test_add_data_func(path, &bad_layouts[i], test_bad_layout);
    }
    g_test_add_func("/virtio-mmio/reconfigure-ready-queue",
                    test_reconfigure_ready_queue);
    g_test_add_func("/virtio-mmio/guest-error-log", test_guest_error_log);
    g_test_add_func("/virtio-mmio/realize-errors", test_realize_errors);
    g_test_add_func("/virtio-mmio/fdt", test_fdt);
    return g_test_run();
}
