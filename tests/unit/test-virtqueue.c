/*
 * test-virtqueue.c - core/virtio's split virtqueue walker on its own, on
 * an address space of one RAM bank and one MMIO window: chains (direct,
 * indirect, zero-length segments), returning them, the interrupt decision
 * with and without VIRTIO_F_EVENT_IDX, copying at offsets across
 * segments, and every way a hostile driver's rings can be wrong, each an
 * error and never a crash.
 */
#include "virtio/virtio-internal.h"

#include <string.h>

#define RAM_BASE  0x10000000u
#define RAM_SIZE  0x10000u
#define MMIO_BASE 0x20000000u
#define DESC      (RAM_BASE + 0x0000)
#define AVAIL     (RAM_BASE + 0x1000)
#define USED      (RAM_BASE + 0x2000)
#define INDIRECT  (RAM_BASE + 0x3000)
#define BUF       (RAM_BASE + 0x8000)
#define NUM       8

#define F_NEXT     1
#define F_WRITE    2
#define F_INDIRECT 4

static TsAddressSpace *as;
static VirtQueue vq;
static TsVirtqChain chain;

static uint64_t mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0;
}

static void mmio_write(void *opaque, uint64_t addr, uint64_t v, unsigned s)
{
}

static const TsMemoryOps mmio_ops = {
    .read = mmio_read, .write = mmio_write,
    .valid_min = 1, .valid_max = 8, .impl_min = 1, .impl_max = 8,
};

static void w16(uint64_t a, uint16_t v)
{
    uint16_t le = GUINT16_TO_LE(v);
    g_assert_cmpint(ts_dma_write(as, a, &le, 2), ==, TS_MEM_OK);
}

static uint16_t r16(uint64_t a)
{
    uint16_t le;
    g_assert_cmpint(ts_dma_read(as, a, &le, 2), ==, TS_MEM_OK);
    return GUINT16_FROM_LE(le);
}

static uint32_t r32(uint64_t a)
{
    uint32_t le;
    g_assert_cmpint(ts_dma_read(as, a, &le, 4), ==, TS_MEM_OK);
    return GUINT32_FROM_LE(le);
}

static void desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
                    uint16_t flags, uint16_t next)
{
    uint8_t d[16];
    uint64_t a = GUINT64_TO_LE(addr);
    uint32_t l = GUINT32_TO_LE(len);
    uint16_t f = GUINT16_TO_LE(flags), n = GUINT16_TO_LE(next);
    memcpy(d, &a, 8);
    memcpy(d + 8, &l, 4);
    memcpy(d + 12, &f, 2);
    memcpy(d + 14, &n, 2);
    g_assert_cmpint(ts_dma_write(as, table + 16 * i, d, 16), ==, TS_MEM_OK);
}

/* Make head available as the next entry. */
static void avail(uint16_t head)
{
    uint16_t idx = r16(AVAIL + 2);
    w16(AVAIL + 4 + 2 * (idx % NUM), head);
    w16(AVAIL + 2, idx + 1);
}

/* A fresh queue of NUM entries over zeroed rings. */
static void setup(bool indirect, bool event_idx)
{
    static const uint8_t zero[0x4000];
    g_assert_cmpint(ts_dma_write(as, RAM_BASE, zero, sizeof(zero)), ==,
                    TS_MEM_OK);
    memset(&vq, 0, sizeof(vq));
    vq.as = as;
    vq.num_max = TS_VIRTQ_SIZE_MAX;
    vq.num = NUM;
    vq.desc_addr = DESC;
    vq.avail_addr = AVAIL;
    vq.used_addr = USED;
    vq.indirect = indirect;
    vq.event_idx = event_idx;
    g_autoptr(GError) err = NULL;
    g_assert_true(virtq_start(&vq, VIRTQ_SPLIT, &err));
    g_assert_no_error(err);
}

/* Pop expecting failure; the message must contain `why`. */
static void pop_fails(const char *why)
{
    g_autoptr(GError) err = NULL;
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, -1);
    g_assert_nonnull(err);
    if (!strstr(err->message, why)) {
        g_error("'%s' does not say '%s'", err->message, why);
    }
}

static void test_chain(void)
{
    setup(false, false);
    g_autoptr(GError) err = NULL;
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 0);
    /* out 16 bytes, an empty segment (skipped), in 32 bytes */
    desc_at(DESC, 3, BUF, 16, F_NEXT, 5);
    desc_at(DESC, 5, BUF + 0x100, 0, F_NEXT, 6);
    desc_at(DESC, 6, BUF + 0x200, 32, F_WRITE, 0);
    avail(3);
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 1);
    g_assert_no_error(err);
    g_assert_cmpuint(chain.head, ==, 3);
    g_assert_cmpuint(chain.n_out, ==, 1);
    g_assert_cmpuint(chain.n_in, ==, 1);
    g_assert_cmpuint(chain.out_len, ==, 16);
    g_assert_cmpuint(chain.in_len, ==, 32);
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 0);

    g_assert_true(vq.ops->push(&vq, 3, 20, &err));
    g_assert_cmpuint(r16(USED + 2), ==, 1);
    g_assert_cmpuint(r32(USED + 4), ==, 3);
    g_assert_cmpuint(r32(USED + 8), ==, 20);
    bool irq;
    g_assert_true(vq.ops->should_interrupt(&vq, &irq, &err));
    g_assert_true(irq);
    g_assert_true(vq.ops->should_interrupt(&vq, &irq, &err));
    g_assert_false(irq);                /* nothing new pushed */
    w16(AVAIL, 1);                      /* VIRTQ_AVAIL_F_NO_INTERRUPT */
    g_assert_true(vq.ops->push(&vq, 3, 0, &err));
    g_assert_true(vq.ops->should_interrupt(&vq, &irq, &err));
    g_assert_false(irq);
}

static void test_copy(void)
{
    setup(false, false);
    g_autoptr(GError) err = NULL;
    desc_at(DESC, 0, BUF, 3, F_NEXT, 1);
    desc_at(DESC, 1, BUF + 0x10, 5, 0, 0);
    ts_dma_write(as, BUF, "abc", 3);
    ts_dma_write(as, BUF + 0x10, "defgh", 5);
    avail(0);
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 1);
    char got[6] = "";
    g_assert_true(virtq_chain_copy(&vq, &chain, false, 2, (uint8_t *)got,
                                   5, &err));
    g_assert_cmpmem(got, 5, "cdefg", 5);
    g_assert_false(virtq_chain_copy(&vq, &chain, false, 4, (uint8_t *)got,
                                    5, &err));
    g_assert_nonnull(strstr(err->message, "too short"));
    g_clear_error(&err);
    /* No writable segments: writing anything is too much. */
    g_assert_false(virtq_chain_copy(&vq, &chain, true, 0, (uint8_t *)got,
                                    1, &err));
}

static void test_indirect(void)
{
    setup(true, false);
    g_autoptr(GError) err = NULL;
    desc_at(INDIRECT, 0, BUF, 8, F_NEXT, 1);
    desc_at(INDIRECT, 1, BUF + 0x100, 64, F_WRITE, 0);
    desc_at(DESC, 2, INDIRECT, 32, F_INDIRECT, 0);
    avail(2);
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 1);
    g_assert_cmpuint(chain.head, ==, 2);
    g_assert_cmpuint(chain.out_len, ==, 8);
    g_assert_cmpuint(chain.in_len, ==, 64);

    /* An indirect table may be longer than the queue. */
    for (unsigned i = 0; i < 40; i++) {
        desc_at(INDIRECT, i, BUF, 4, i < 39 ? F_NEXT : 0, i + 1);
    }
    desc_at(DESC, 2, INDIRECT, 40 * 16, F_INDIRECT, 0);
    avail(2);
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 1);
    g_assert_cmpuint(chain.n_out, ==, 40);
}

static void test_event_idx(void)
{
    setup(false, true);
    g_autoptr(GError) err = NULL;
    /* An empty queue asks to hear about the next entry (avail_event). */
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 0);
    g_assert_cmpuint(r16(USED + 4 + 8 * NUM), ==, 0);
    desc_at(DESC, 0, BUF, 8, F_WRITE, 0);
    for (unsigned i = 0; i < 3; i++) {
        avail(0);
        g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 1);
    }
    g_assert_cmpint(vq.ops->pop(&vq, &chain, &err), ==, 0);
    g_assert_cmpuint(r16(USED + 4 + 8 * NUM), ==, 3);
    /* used_event = 1: interrupt once the entry at 1 is used. */
    w16(AVAIL + 4 + 2 * NUM, 1);
    bool irq;
    g_assert_true(vq.ops->push(&vq, 0, 8, &err));           /* entry 0 */
    g_assert_true(vq.ops->should_interrupt(&vq, &irq, &err));
    g_assert_false(irq);
    g_assert_true(vq.ops->push(&vq, 0, 8, &err));           /* entry 1 */
    g_assert_true(vq.ops->push(&vq, 0, 8, &err));           /* entry 2 */
    g_assert_true(vq.ops->should_interrupt(&vq, &irq, &err));
    g_assert_true(irq);
}

/* Each builds a broken chain at head 0 and names what pop must say. */
static void hostile_loop(void)
{
    desc_at(DESC, 0, BUF, 8, F_NEXT, 1);
    desc_at(DESC, 1, BUF, 8, F_NEXT, 0);
}

static void hostile_self_loop(void)
{
    desc_at(DESC, 0, BUF, 8, F_NEXT, 0);
}

static void hostile_next_out_of_range(void)
{
    desc_at(DESC, 0, BUF, 8, F_NEXT, NUM);
}

static void hostile_outside_ram(void)
{
    desc_at(DESC, 0, RAM_BASE + RAM_SIZE - 4, 8, 0, 0);
}

static void hostile_into_mmio(void)
{
    desc_at(DESC, 0, MMIO_BASE, 8, F_WRITE, 0);
}

static void hostile_wraps(void)
{
    desc_at(DESC, 0, UINT64_MAX - 3, 8, 0, 0);
}

static void hostile_read_after_write(void)
{
    desc_at(DESC, 0, BUF, 8, F_WRITE | F_NEXT, 1);
    desc_at(DESC, 1, BUF, 8, 0, 0);
}

static void hostile_indirect_not_negotiated(void)
{
    desc_at(DESC, 0, INDIRECT, 16, F_INDIRECT, 0);
}

static void hostile_indirect_loop(void)
{
    vq.indirect = true;
    desc_at(INDIRECT, 0, BUF, 8, F_NEXT, 1);
    desc_at(INDIRECT, 1, BUF, 8, F_NEXT, 0);
    desc_at(DESC, 0, INDIRECT, 32, F_INDIRECT, 0);
}

static void hostile_indirect_nested(void)
{
    vq.indirect = true;
    desc_at(INDIRECT, 0, INDIRECT, 16, F_INDIRECT, 0);
    desc_at(DESC, 0, INDIRECT, 16, F_INDIRECT, 0);
}

static void hostile_indirect_with_next(void)
{
    vq.indirect = true;
    desc_at(DESC, 0, INDIRECT, 16, F_INDIRECT | F_NEXT, 1);
}

static void hostile_indirect_odd_size(void)
{
    vq.indirect = true;
    desc_at(DESC, 0, INDIRECT, 24, F_INDIRECT, 0);
}

static void hostile_indirect_outside_ram(void)
{
    vq.indirect = true;
    desc_at(DESC, 0, MMIO_BASE, 32, F_INDIRECT, 0);
}

static const struct Hostile {
    const char *name;
    void (*build)(void);
    const char *why;
} hostile[] = {
    { "loop", hostile_loop, "a loop?" },
    { "self-loop", hostile_self_loop, "a loop?" },
    { "next-out-of-range", hostile_next_out_of_range, "beyond the queue" },
    { "outside-ram", hostile_outside_ram, "not in guest RAM" },
    { "into-mmio", hostile_into_mmio, "not in guest RAM" },
    { "wraps", hostile_wraps, "wraps past the end" },
    { "read-after-write", hostile_read_after_write,
      "after a device-writable" },
    { "indirect-not-negotiated", hostile_indirect_not_negotiated,
      "was not negotiated" },
    { "indirect-loop", hostile_indirect_loop, "indirect table of 2" },
    { "indirect-nested", hostile_indirect_nested, "inside an indirect" },
    { "indirect-with-next", hostile_indirect_with_next, "both INDIRECT" },
    { "indirect-odd-size", hostile_indirect_odd_size, "multiple of 16" },
    { "indirect-outside-ram", hostile_indirect_outside_ram,
      "not in guest RAM" },
};

static void test_hostile(const void *data)
{
    const struct Hostile *h = data;
    setup(false, false);
    h->build();
    avail(0);
    pop_fails(h->why);
}

static void test_hostile_rings(void)
{
    setup(false, false);
    w16(AVAIL + 2, NUM + 1);            /* more than the queue holds */
    pop_fails("more than the queue size");
    setup(false, false);
    w16(AVAIL + 4, NUM);                /* head beyond the table */
    w16(AVAIL + 2, 1);
    pop_fails("beyond the queue size");
}

static void test_layout(void)
{
    static const struct {
        uint32_t num;
        uint64_t desc, avail, used;
        const char *why;
    } bad[] = {
        { 0, DESC, AVAIL, USED, "not a power of two" },
        { 6, DESC, AVAIL, USED, "not a power of two" },
        { 512, DESC, AVAIL, USED, "between 1 and 256" },
        { NUM, DESC + 8, AVAIL, USED, "misaligned" },
        { NUM, DESC, AVAIL + 1, USED, "misaligned" },
        { NUM, DESC, AVAIL, USED + 2, "misaligned" },
        { NUM, MMIO_BASE, AVAIL, USED, "descriptor table" },
        { NUM, DESC, RAM_BASE + RAM_SIZE - 8, USED, "driver area" },
        { NUM, DESC, AVAIL, UINT64_MAX - 3, "device area" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        VirtQueue q = { .as = as, .num_max = TS_VIRTQ_SIZE_MAX,
                        .num = bad[i].num, .desc_addr = bad[i].desc,
                        .avail_addr = bad[i].avail, .used_addr = bad[i].used };
        g_autoptr(GError) err = NULL;
        g_assert_false(virtq_start(&q, VIRTQ_SPLIT, &err));
        if (!strstr(err->message, bad[i].why)) {
            g_error("case %u: '%s' does not say '%s'", i, err->message,
                    bad[i].why);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_autoptr(GError) err = NULL;
    TsMemoryRegion *root = ts_memory_region_new_container("root",
                                                          UINT64_MAX);
    TsMemoryRegion *ram = ts_memory_region_new_ram("ram", RAM_SIZE, &err);
    g_assert_no_error(err);
    TsMemoryRegion *mmio = ts_memory_region_new_mmio("mmio", 0x1000,
                                                     &mmio_ops, NULL);
    ts_memory_region_add_subregion(root, RAM_BASE, ram, 0);
    ts_memory_region_add_subregion(root, MMIO_BASE, mmio, 0);
    ts_memory_region_unref(ram);
    ts_memory_region_unref(mmio);
    as = ts_address_space_new("test", root);
    ts_memory_region_unref(root);

    g_test_add_func("/virtqueue/chain", test_chain);
    g_test_add_func("/virtqueue/copy", test_copy);
    g_test_add_func("/virtqueue/indirect", test_indirect);
    g_test_add_func("/virtqueue/event-idx", test_event_idx);
    for (unsigned i = 0; i < G_N_ELEMENTS(hostile); i++) {
        g_autofree char *path = g_strdup_printf("/virtqueue/hostile/%s",
                                                hostile[i].name);
        g_test_add_data_func(path, &hostile[i], test_hostile);
    }
    g_test_add_func("/virtqueue/hostile/rings", test_hostile_rings);
    g_test_add_func("/virtqueue/layout", test_layout);
    int rc = g_test_run();
    ts_address_space_free(as);
    return rc;
}
