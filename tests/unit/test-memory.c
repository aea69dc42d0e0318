/*
 * test-memory.c - the memory API: regions, flattening, dispatch, DMA,
 * dumps and concurrent readers.
 */
#include <string.h>

#include <tessera/loop.h>
#include <tessera/machine.h>
#include <tessera/memory.h>
#include "memory/memory-dump.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)

/* ------------------------------------------------------------------ */
/* A device that records every callback                               */

typedef struct Call {
    bool is_write;
    uint64_t addr, val;
    unsigned size;
} Call;

typedef struct Recorder {
    Call calls[64];
    unsigned n;
    uint8_t regs[64];           /* backing bytes, little-endian */
    TsAddressSpace *dma_as;     /* if set, writes DMA into dma_addr */
    uint64_t dma_addr;
    TsMemResult dma_result;
} Recorder;

static uint64_t rec_read(void *opaque, uint64_t addr, unsigned size)
{
    Recorder *r = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && addr + i < sizeof(r->regs); i++) {
        v |= (uint64_t)r->regs[addr + i] << (8 * i);
    }
    if (r->n < G_N_ELEMENTS(r->calls)) {
        r->calls[r->n++] = (Call){ false, addr, v, size };
    }
    return v;
}

static void rec_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    Recorder *r = opaque;
    if (r->n < G_N_ELEMENTS(r->calls)) {
        r->calls[r->n++] = (Call){ true, addr, val, size };
    }
    for (unsigned i = 0; i < size && addr + i < sizeof(r->regs); i++) {
        r->regs[addr + i] = val >> (8 * i);
    }
    if (r->dma_as) {
        uint32_t word = 0xdeadbeef;
        r->dma_result = ts_dma_write(r->dma_as, r->dma_addr, &word, 4);
    }
}

static void assert_call(const Recorder *r, unsigned i, bool is_write,
                        uint64_t addr, uint64_t val, unsigned size)
{
    g_assert_cmpuint(i, <, r->n);
    g_assert_cmpint(r->calls[i].is_write, ==, is_write);
    g_assert_cmphex(r->calls[i].addr, ==, addr);
    g_assert_cmphex(r->calls[i].val, ==, val);
    g_assert_cmpuint(r->calls[i].size, ==, size);
}

static TsMemoryRegion *new_ram(const char *name, uint64_t size)
{
    GError *err = NULL;
    TsMemoryRegion *mr = ts_memory_region_new_ram(name, size, &err);
    g_assert_no_error(err);
    g_assert_nonnull(mr);
    return mr;
}

/* Map and drop our reference: the container owns it from then on. */
static TsMemoryRegion *map(TsMemoryRegion *parent, uint64_t addr,
                           TsMemoryRegion *child, int priority)
{
    g_assert_true(ts_memory_region_add_subregion(parent, addr, child,
                                                 priority));
    ts_memory_region_unref(child);
    return child;
}

static uint64_t load(TsAddressSpace *as, uint64_t addr, unsigned size)
{
    uint64_t v = 0;
    g_assert_cmpint(ts_address_space_load(as, addr, size, &v), ==, TS_MEM_OK);
    return v;
}

/* ------------------------------------------------------------------ */
/* RAM and ROM                                                        */

static void test_ram_round_trip(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    TsMemoryRegion *ram = map(root, 0x1000, new_ram("ram", 64 * KiB), 0);
    TsAddressSpace *as = ts_address_space_new("test", root);

    uint8_t out[300], in[300];
    for (unsigned i = 0; i < sizeof(out); i++) {
        out[i] = i * 7 + 1;
    }
    g_assert_cmpint(ts_address_space_write(as, 0x1100, out, sizeof(out)), ==,
                    TS_MEM_OK);
    g_assert_cmpint(ts_address_space_read(as, 0x1100, in, sizeof(in)), ==,
                    TS_MEM_OK);
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    /* The bytes live where host_ptr says. */
    uint8_t *host = ts_memory_region_host_ptr(ram);
    g_assert_cmpmem(host + 0x100, sizeof(out), out, sizeof(out));

    /* Loads and stores are little-endian, any size, unaligned too. */
    g_assert_cmpint(ts_address_space_store(as, 0x2001, 8,
                                           0x1122334455667788), ==, TS_MEM_OK);
    g_assert_cmphex(host[0x1001], ==, 0x88);
    g_assert_cmphex(host[0x1008], ==, 0x11);
    g_assert_cmphex(load(as, 0x2001, 8), ==, 0x1122334455667788);
    g_assert_cmphex(load(as, 0x2001, 4), ==, 0x55667788);
    g_assert_cmphex(load(as, 0x2003, 2), ==, 0x5566);
    g_assert_cmphex(load(as, 0x2008, 1), ==, 0x11);
    ts_address_space_store(as, 0x3000, 2, 0xabcdef);    /* truncated */
    g_assert_cmphex(load(as, 0x3000, 4), ==, 0xcdef);

    uint64_t v = 1;
    g_assert_cmpint(ts_address_space_load(as, 0x2000, 3, &v), ==,
                    TS_MEM_ACCESS_ERROR);
    g_assert_cmpuint(v, ==, 0);
    g_assert_cmpint(ts_address_space_store(as, 0x2000, 16, 0), ==,
                    TS_MEM_ACCESS_ERROR);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_ram_sizes(void)
{
    GError *err = NULL;
    g_assert_null(ts_memory_region_new_ram("zero", 0, &err));
    g_assert_error(err, TS_ERROR, TS_ERROR_INVALID);
    g_clear_error(&err);
    g_assert_null(ts_memory_region_new_ram("huge", UINT64_C(1) << 60, &err));
    g_assert_error(err, TS_ERROR, TS_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "huge"));
    g_clear_error(&err);

    /* Big RAM is mapped lazily and zeroed, start to end. */
    TsMemoryRegion *big = new_ram("big", 256 * MiB);
    uint8_t *host = ts_memory_region_host_ptr(big);
    g_assert_cmpuint(host[0], ==, 0);
    g_assert_cmpuint(host[256 * MiB - 1], ==, 0);
    host[256 * MiB - 1] = 5;
    g_assert_cmpuint(ts_memory_region_size(big), ==, 256 * MiB);
    g_assert_cmpstr(ts_memory_region_name(big), ==, "big");
    g_assert_cmpint(ts_memory_region_kind(big), ==, TS_MEMORY_RAM);
    ts_memory_region_unref(big);
}

static void test_rom_readonly(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    GError *err = NULL;
    TsMemoryRegion *rom = ts_memory_region_new_rom("rom", 4 * KiB, &err);
    g_assert_no_error(err);
    map(root, 0, rom, 0);
    TsAddressSpace *as = ts_address_space_new("test", root);

    memcpy(ts_memory_region_host_ptr(rom), "firmware", 8);
    char buf[9] = "";
    g_assert_cmpint(ts_address_space_read(as, 0, buf, 8), ==, TS_MEM_OK);
    g_assert_cmpstr(buf, ==, "firmware");

    g_assert_cmpint(ts_address_space_write(as, 0, "XXXX", 4), ==,
                    TS_MEM_READONLY);
    g_assert_cmpint(ts_address_space_store(as, 4, 4, 0), ==,
                    TS_MEM_READONLY);
    g_assert_cmpint(ts_dma_write(as, 2, "YY", 2), ==, TS_MEM_READONLY);
    g_assert_cmpmem(ts_memory_region_host_ptr(rom), 8, "firmware", 8);
    g_assert_cmphex(load(as, 0, 4), ==, 0x6d726966);   /* "firm" */

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

/* ------------------------------------------------------------------ */
/* MMIO                                                               */

static const TsMemoryOps plain_ops = {
    .read = rec_read, .write = rec_write,
};

/* A ROM device: reads from host memory without a callback (and host
 * pointers for them), writes through ops->write with its size rules;
 * hidden, it uncovers what is under it. */
static void test_rom_device(void)
{
    static const TsMemoryOps romd_ops = {
        .write = rec_write, .valid_min = 2, .valid_max = 4,
    };
    Recorder rec = { 0 };
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    GError *err = NULL;
    TsMemoryRegion *romd = ts_memory_region_new_rom_device("romd", 4 * KiB,
                                                           &romd_ops, &rec,
                                                           &err);
    g_assert_no_error(err);
    g_assert_cmpint(ts_memory_region_kind(romd), ==, TS_MEMORY_ROM);
    TsMemoryRegion *under = ts_memory_region_new_mmio("under", 4 * KiB,
                                                      &plain_ops, &rec);
    map(root, 0x1000, under, 0);
    map(root, 0x1000, romd, 1);
    TsAddressSpace *as = ts_address_space_new("test", root);

    memcpy(ts_memory_region_host_ptr(romd), "flash!", 6);
    char buf[7] = "";
    g_assert_cmpint(ts_address_space_read(as, 0x1000, buf, 6), ==,
                    TS_MEM_OK);
    g_assert_cmpstr(buf, ==, "flash!");
    g_assert_cmphex(load(as, 0x1000, 2), ==, 0x6c66);          /* "fl" */
    g_assert_nonnull(ts_address_space_ram_ptr(as, 0x1000, 8, false));
    g_assert_null(ts_address_space_ram_ptr(as, 0x1000, 8, true));
    g_assert_cmpuint(rec.n, ==, 0);             /* no callback for reads */

    /* Writes reach the callback and leave the contents alone. */
    g_assert_cmpint(ts_address_space_store(as, 0x1004, 4, 0x98), ==,
                    TS_MEM_OK);
    g_assert_cmpint(ts_address_space_write(as, 0x1010, "\x70\x00", 2), ==,
                    TS_MEM_OK);
    assert_call(&rec, 0, true, 0x4, 0x98, 4);
    assert_call(&rec, 1, true, 0x10, 0x70, 2);
    g_assert_cmpmem(ts_memory_region_host_ptr(romd), 6, "flash!", 6);
    /* ...with the sizes the ops accept. */
    g_assert_cmpint(ts_address_space_store(as, 0x1000, 1, 0xff), ==,
                    TS_MEM_ACCESS_ERROR);
    g_assert_cmpint(ts_address_space_store(as, 0x1002, 4, 0xff), ==,
                    TS_MEM_ACCESS_ERROR);
    g_assert_cmpuint(rec.n, ==, 2);

    /* Hidden, it leaves reads (and writes) to the region below. */
    ts_memory_region_set_enabled(romd, false);
    rec.regs[0] = 0x80;
    g_assert_cmphex(load(as, 0x1000, 1), ==, 0x80);
    g_assert_null(ts_address_space_ram_ptr(as, 0x1000, 8, false));
    ts_memory_region_set_enabled(romd, true);
    g_assert_cmphex(load(as, 0x1000, 1), ==, 'f');

    g_autofree char *mtree = ts_address_space_mtree(as);
    g_assert_nonnull(strstr(mtree, "(prio 1, romd): romd"));

    /* A ROM device without a write callback is a mistake. */
    g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*ops->write*");
    g_assert_null(ts_memory_region_new_rom_device("bad", 4 * KiB,
                                                  &(TsMemoryOps){ 0 },
                                                  NULL, NULL));
    g_test_assert_expected_messages();

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_mmio_offsets(void)
{
    Recorder rec = { 0 };
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    map(root, 0x10000, ts_memory_region_new_mmio("dev", 64, &plain_ops, &rec),
        0);
    TsAddressSpace *as = ts_address_space_new("test", root);

    g_assert_cmpint(ts_address_space_store(as, 0x10008, 4, 0xcafef00d), ==,
                    TS_MEM_OK);
    assert_call(&rec, 0, true, 8, 0xcafef00d, 4);
    g_assert_cmphex(load(as, 0x10008, 2), ==, 0xf00d);
    assert_call(&rec, 1, false, 8, 0xf00d, 2);
    g_assert_cmphex(load(as, 0x10000, 8), ==, 0);
    assert_call(&rec, 2, false, 0, 0, 8);

    /* Byte buffers use the widest aligned accesses the device takes. */
    rec.n = 0;
    uint8_t buf[7];
    g_assert_cmpint(ts_address_space_read(as, 0x10009, buf, 7), ==,
                    TS_MEM_OK);
    g_assert_cmpuint(rec.n, ==, 3);
    assert_call(&rec, 0, false, 9, 0xf0, 1);
    assert_call(&rec, 1, false, 10, 0xcafe, 2);
    assert_call(&rec, 2, false, 12, 0, 4);
    g_assert_cmphex(buf[0], ==, 0xf0);
    g_assert_cmphex(buf[2], ==, 0xca);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_mmio_split_combine(void)
{
    Recorder rec = { 0 };
    static const TsMemoryOps byte_ops = {
        .read = rec_read, .write = rec_write, .impl_max = 1,
    };
    static const TsMemoryOps word_ops = {
        .read = rec_read, .write = rec_write, .impl_min = 4, .impl_max = 4,
        .unaligned_ok = true,
    };
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    map(root, 0x1000, ts_memory_region_new_mmio("bytes", 64, &byte_ops, &rec),
        0);
    map(root, 0x2000, ts_memory_region_new_mmio("words", 64, &word_ops, &rec),
        0);
    TsAddressSpace *as = ts_address_space_new("test", root);

    /* A 4-byte access to a byte-wide device: four calls, low byte first. */
    ts_address_space_store(as, 0x1004, 4, 0x44332211);
    g_assert_cmpuint(rec.n, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        assert_call(&rec, i, true, 4 + i, 0x11 * (i + 1), 1);
    }
    rec.n = 0;
    g_assert_cmphex(load(as, 0x1004, 4), ==, 0x44332211);
    g_assert_cmpuint(rec.n, ==, 4);
    assert_call(&rec, 3, false, 7, 0x44, 1);

    /* A byte read from a word-wide device: the aligned word, one lane. */
    memcpy(rec.regs + 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    rec.n = 0;
    g_assert_cmphex(load(as, 0x200a, 1), ==, 0x03);
    g_assert_cmpuint(rec.n, ==, 1);
    assert_call(&rec, 0, false, 8, 0x04030201, 4);
    /* A byte write: the value moves to its lane, others are zero. */
    rec.n = 0;
    ts_address_space_store(as, 0x2009, 1, 0xaa);
    assert_call(&rec, 0, true, 8, 0xaa00, 4);
    /* An unaligned 2-byte read straddling two words: two word reads. */
    memcpy(rec.regs + 8, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    rec.n = 0;
    g_assert_cmphex(load(as, 0x200b, 2), ==, 0x0504);
    g_assert_cmpuint(rec.n, ==, 2);
    assert_call(&rec, 0, false, 8, 0x04030201, 4);
    assert_call(&rec, 1, false, 12, 0x08070605, 4);
    /* An 8-byte access: two words, low address first. */
    rec.n = 0;
    g_assert_cmphex(load(as, 0x2008, 8), ==, 0x0807060504030201);
    g_assert_cmpuint(rec.n, ==, 2);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_mmio_big_endian(void)
{
    Recorder rec = { 0 };
    static const TsMemoryOps be_ops = {
        .read = rec_read, .write = rec_write, .impl_max = 2,
        .endian = TS_ENDIAN_BIG,
    };
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    map(root, 0, ts_memory_region_new_mmio("be", 64, &be_ops, &rec), 0);
    TsAddressSpace *as = ts_address_space_new("test", root);

    /* Memory bytes 11 22 33 44: the device sees 0x1122 at 0, 0x3344 at 2. */
    uint8_t bytes[4] = { 0x11, 0x22, 0x33, 0x44 };
    g_assert_cmpint(ts_address_space_write(as, 0, bytes, 4), ==, TS_MEM_OK);
    g_assert_cmpuint(rec.n, ==, 2);
    assert_call(&rec, 0, true, 0, 0x1122, 2);
    assert_call(&rec, 1, true, 2, 0x3344, 2);
    rec.n = 0;
    g_assert_cmphex(load(as, 0, 4), ==, 0x44332211);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_mmio_invalid_sizes(void)
{
    Recorder rec = { 0 };
    static const TsMemoryOps four_ops = {
        .read = rec_read, .write = rec_write, .valid_min = 4, .valid_max = 4,
    };
    static const TsMemoryOps loose_ops = {
        .read = rec_read, .write = rec_write, .valid_min = 2, .valid_max = 4,
        .unaligned_ok = true,
    };
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    map(root, 0, ts_memory_region_new_mmio("four", 64, &four_ops, &rec), 0);
    map(root, 0x100, ts_memory_region_new_mmio("loose", 64, &loose_ops, &rec),
        0);
    TsAddressSpace *as = ts_address_space_new("test", root);
    uint64_t v;

    g_assert_cmpint(ts_address_space_load(as, 0, 1, &v), ==,
                    TS_MEM_ACCESS_ERROR);
    g_assert_cmpint(ts_address_space_load(as, 0, 2, &v), ==,
                    TS_MEM_ACCESS_ERROR);
    g_assert_cmpint(ts_address_space_load(as, 0, 8, &v), ==,
                    TS_MEM_ACCESS_ERROR);
    g_assert_cmpint(ts_address_space_store(as, 2, 4, 1), ==,
                    TS_MEM_ACCESS_ERROR);     /* misaligned */
    g_assert_cmpint(ts_address_space_load(as, 0, 5, &v), ==,
                    TS_MEM_ACCESS_ERROR);
    uint8_t one = 0;
    g_assert_cmpint(ts_address_space_write(as, 4, &one, 1), ==,
                    TS_MEM_ACCESS_ERROR);
    g_assert_cmpuint(rec.n, ==, 0);           /* refused before any call */
    g_assert_cmpint(ts_address_space_load(as, 4, 4, &v), ==, TS_MEM_OK);
    g_assert_cmpuint(rec.n, ==, 1);

    rec.n = 0;
    g_assert_cmpint(ts_address_space_load(as, 0x101, 4, &v), ==, TS_MEM_OK);
    assert_call(&rec, 0, false, 1, 0, 4);     /* unaligned_ok: as asked */
    g_assert_cmpint(ts_address_space_load(as, 0x101, 1, &v), ==,
                    TS_MEM_ACCESS_ERROR);

    /* Inconsistent ops are refused, not trusted. */
    static const TsMemoryOps bad_ops = { .valid_min = 3 };
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*inconsistent*");
    g_assert_null(ts_memory_region_new_mmio("bad", 4, &bad_ops, NULL));
    g_test_assert_expected_messages();

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

/* ------------------------------------------------------------------ */
/* Topology                                                           */

static unsigned count_lines(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}

static void test_priority_overlap(void)
{
    Recorder rec = { 0 };
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    TsMemoryRegion *low = map(root, 0, new_ram("low", 64 * KiB), 0);
    TsMemoryRegion *high = map(root, 0x4000,
                               ts_memory_region_new_mmio("high", 0x1000,
                                                         &plain_ops, &rec), 1);
    TsAddressSpace *as = ts_address_space_new("test", root);
    memset(ts_memory_region_host_ptr(low), 0x5a, 64 * KiB);

    /* High over low: the hole in the RAM makes three ranges. */
    char *flat = ts_address_space_flat_dump(as);
    g_assert_cmpuint(count_lines(flat, "\n  "), ==, 3);
    g_assert_nonnull(strstr(flat,
        "0000000000000000-0000000000003fff (ram) low @0000000000000000"));
    g_assert_nonnull(strstr(flat,
        "0000000000004000-0000000000004fff (mmio) high @0000000000000000"));
    g_assert_nonnull(strstr(flat,
        "0000000000005000-000000000000ffff (ram) low @0000000000005000"));
    g_free(flat);
    g_assert_cmphex(load(as, 0x3fff, 1), ==, 0x5a);
    load(as, 0x4004, 4);
    assert_call(&rec, 0, false, 4, 0, 4);
    g_assert_cmphex(load(as, 0x5000, 1), ==, 0x5a);

    /* Lower priority never shows through, whatever the order of adding. */
    TsMemoryRegion *under = map(root, 0x4000, new_ram("under", 0x2000), -1);
    memset(ts_memory_region_host_ptr(under), 0x11, 0x2000);
    g_assert_cmphex(load(as, 0x5000, 1), ==, 0x5a);

    /* Equal priority: the region added last wins. */
    TsMemoryRegion *later = map(root, 0x8000, new_ram("later", 0x100), 0);
    memset(ts_memory_region_host_ptr(later), 0x77, 0x100);
    g_assert_cmphex(load(as, 0x8000, 1), ==, 0x77);
    g_assert_cmphex(load(as, 0x8100, 1), ==, 0x5a);

    /* Removing the windows rejoins the RAM into one range. */
    ts_memory_transaction_begin();
    ts_memory_region_remove_subregion(root, later);
    ts_memory_region_remove_subregion(root, under);
    ts_memory_region_remove_subregion(root, high);
    ts_memory_transaction_commit();
    flat = ts_address_space_flat_dump(as);
    g_assert_cmpuint(count_lines(flat, "\n  "), ==, 1);
    g_assert_nonnull(strstr(flat,
        "0000000000000000-000000000000ffff (ram) low @0000000000000000"));
    g_free(flat);
    g_assert_true(ts_address_space_ram_ptr(as, 0x3ff0, 0x20, true) ==
                  (uint8_t *)ts_memory_region_host_ptr(low) + 0x3ff0);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_alias(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    GError *err = NULL;
    TsMemoryRegion *rom = ts_memory_region_new_rom("flash", 0x1000, &err);
    g_assert_no_error(err);
    uint8_t *host = ts_memory_region_host_ptr(rom);
    for (unsigned i = 0; i < 0x1000; i++) {
        host[i] = i & 0xff;
    }
    map(root, 0x20000, rom, 0);
    /* A window on flash[0x180..0x27f] at 0x8000, and one running past
     * the end of the flash (the excess is unassigned). */
    map(root, 0x8000, ts_memory_region_new_alias("win", rom, 0x180, 0x100), 0);
    map(root, 0x9000, ts_memory_region_new_alias("tail", rom, 0xff0, 0x100),
        0);
    TsAddressSpace *as = ts_address_space_new("test", root);

    g_assert_cmphex(load(as, 0x8000, 1), ==, 0x80);
    g_assert_cmphex(load(as, 0x80ff, 1), ==, 0x7f);
    g_assert_true(ts_address_space_ram_ptr(as, 0x8000, 0x100, false) ==
                  host + 0x180);
    uint64_t v;
    g_assert_cmpint(ts_address_space_load(as, 0x8100, 1, &v), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_cmphex(load(as, 0x900f, 1), ==, 0xff);
    g_assert_cmpint(ts_address_space_load(as, 0x9010, 1, &v), ==,
                    TS_MEM_UNASSIGNED);
    /* Writes through an alias of ROM are still refused. */
    g_assert_cmpint(ts_address_space_store(as, 0x8000, 1, 0), ==,
                    TS_MEM_READONLY);

    /* An alias of an alias of a container. */
    TsMemoryRegion *inner = ts_memory_region_new_container("inner", 0x1000);
    TsMemoryRegion *ram = map(inner, 0x800, new_ram("iram", 0x100), 0);
    TsMemoryRegion *a1 = ts_memory_region_new_alias("a1", inner, 0x700, 0x300);
    map(root, 0x40000, ts_memory_region_new_alias("a2", a1, 0x100, 0x100), 0);
    ts_memory_region_unref(a1);
    ts_memory_region_unref(inner);
    ((uint8_t *)ts_memory_region_host_ptr(ram))[0x10] = 0x99;
    g_assert_cmphex(load(as, 0x40010, 1), ==, 0x99);

    /* Two adjacent aliases continuing each other become one range. */
    TsMemoryRegion *big = new_ram("big", 0x2000);
    map(root, 0x50000, ts_memory_region_new_alias("lo", big, 0, 0x1000), 0);
    map(root, 0x51000, ts_memory_region_new_alias("hi", big, 0x1000, 0x1000),
        0);
    g_assert_true(ts_address_space_ram_ptr(as, 0x50ff0, 0x20, true) ==
                  (uint8_t *)ts_memory_region_host_ptr(big) + 0xff0);
    ts_memory_region_unref(big);
    char *flat = ts_address_space_flat_dump(as);
    g_assert_nonnull(strstr(flat,
        "0000000000050000-0000000000051fff (ram) big @0000000000000000\n"));
    g_free(flat);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_nested_and_enable(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", UINT64_MAX);
    TsMemoryRegion *bus = ts_memory_region_new_container("bus", 0x10000);
    TsMemoryRegion *sub = ts_memory_region_new_container("sub", 0x2000);
    TsMemoryRegion *ram = map(sub, 0x10, new_ram("leaf", 0x100), 0);
    map(bus, 0x1000, sub, 0);
    map(root, 0x100000, bus, 0);
    TsAddressSpace *as = ts_address_space_new("test", root);
    uint8_t *host = ts_memory_region_host_ptr(ram);
    host[0] = 0x42;
    host[0xff] = 0x43;

    g_assert_cmphex(load(as, 0x101010, 1), ==, 0x42);
    g_assert_cmphex(load(as, 0x10110f, 1), ==, 0x43);
    uint64_t v;
    g_assert_cmpint(ts_address_space_load(as, 0x101110, 1, &v), ==,
                    TS_MEM_UNASSIGNED);

    /* Disabling a container hides all it holds. */
    uint64_t gen = ts_address_space_generation(as);
    ts_memory_region_set_enabled(sub, false);
    g_assert_cmpuint(ts_address_space_generation(as), !=, gen);
    g_assert_cmpint(ts_address_space_load(as, 0x101010, 1, &v), ==,
                    TS_MEM_UNASSIGNED);
    ts_memory_region_set_enabled(sub, true);
    g_assert_cmphex(load(as, 0x101010, 1), ==, 0x42);

    /* Moving a region. */
    ts_memory_region_set_address(sub, 0x3000);
    g_assert_cmpint(ts_address_space_load(as, 0x101010, 1, &v), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_cmphex(load(as, 0x103010, 1), ==, 0x42);

    /* Clipped by its container: bus is 64 KiB. */
    ts_memory_region_set_address(sub, 0xff80);
    g_assert_cmphex(load(as, 0x10ff90, 1), ==, 0x42);
    g_assert_cmpint(ts_address_space_load(as, 0x110000, 1, &v), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_null(ts_address_space_ram_ptr(as, 0x10ff90, 0x71, false));
    g_assert_nonnull(ts_address_space_ram_ptr(as, 0x10ff90, 0x70, false));

    /* No-op changes keep the view (and a JIT's cached pointers). */
    gen = ts_address_space_generation(as);
    ts_memory_region_set_enabled(ram, true);
    TsMemoryRegion *unmapped = new_ram("elsewhere", 0x10);
    TsMemoryRegion *other = ts_memory_region_new_container("other", 0x100);
    map(other, 0, unmapped, 0);
    g_assert_cmpuint(ts_address_space_generation(as), ==, gen);
    ts_memory_region_unref(other);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_cycles_refused(void)
{
    TsMemoryRegion *a = ts_memory_region_new_container("a", 0x1000);
    TsMemoryRegion *b = ts_memory_region_new_container("b", 0x1000);
    TsMemoryRegion *ram = new_ram("r", 0x10);
    map(a, 0, b, 0);

    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                          "*would contain itself*");
    g_assert_false(ts_memory_region_add_subregion(b, 0, a, 0));
    g_test_assert_expected_messages();

    TsMemoryRegion *loop = ts_memory_region_new_alias("loop", a, 0, 0x100);
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                          "*would contain itself*");
    g_assert_false(ts_memory_region_add_subregion(b, 0, loop, 0));
    g_test_assert_expected_messages();

    g_assert_true(ts_memory_region_add_subregion(b, 0, ram, 0));
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                          "*already mapped*");
    g_assert_false(ts_memory_region_add_subregion(a, 0x100, ram, 0));
    g_test_assert_expected_messages();
    g_test_expect_message(G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL,
                          "*not a container*");
    g_assert_false(ts_memory_region_add_subregion(ram, 0, loop, 0));
    g_test_assert_expected_messages();

    ts_memory_region_unref(loop);
    ts_memory_region_unref(ram);
    ts_memory_region_unref(a);
}

static void test_transaction(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    TsAddressSpace *as = ts_address_space_new("test", root);
    uint64_t gen = ts_address_space_generation(as);
    uint64_t v;

    ts_memory_transaction_begin();
    ts_memory_transaction_begin();
    map(root, 0, new_ram("a", 0x1000), 0);
    map(root, 0x1000, new_ram("b", 0x1000), 0);
    ts_memory_transaction_commit();
    /* Still inside the outer transaction: nothing visible yet. */
    g_assert_cmpint(ts_address_space_load(as, 0, 1, &v), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_cmpuint(ts_address_space_generation(as), ==, gen);
    ts_memory_transaction_commit();
    g_assert_cmpint(ts_address_space_load(as, 0x1fff, 1, &v), ==, TS_MEM_OK);
    g_assert_cmpuint(ts_address_space_generation(as), ==, gen + 1);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

/* ------------------------------------------------------------------ */
/* Unassigned, host pointers, DMA                                     */

static void test_unassigned(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    TsMemoryRegion *ram = map(root, 0x1000, new_ram("ram", 0x1000), 0);
    TsAddressSpace *as = ts_address_space_new("test", root);
    memset(ts_memory_region_host_ptr(ram), 0xee, 0x1000);

    uint64_t v = 7;
    g_assert_cmpint(ts_address_space_load(as, 0x800, 4, &v), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_cmpuint(v, ==, 0);
    g_assert_cmpint(ts_address_space_store(as, 0x800, 4, 1), ==,
                    TS_MEM_UNASSIGNED);
    /* Beyond the root container: unassigned too. */
    g_assert_cmpint(ts_address_space_load(as, 2 * MiB, 8, &v), ==,
                    TS_MEM_UNASSIGNED);

    /* A buffer across hole|RAM|hole: RAM part done, holes read as 0. */
    uint8_t buf[0x1200];
    memset(buf, 0x33, sizeof(buf));
    g_assert_cmpint(ts_address_space_read(as, 0xf00, buf, sizeof(buf)), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_cmphex(buf[0], ==, 0);
    g_assert_cmphex(buf[0xff], ==, 0);
    g_assert_cmphex(buf[0x100], ==, 0xee);
    g_assert_cmphex(buf[0x10ff], ==, 0xee);
    g_assert_cmphex(buf[0x1100], ==, 0);
    /* A load straddling RAM's end: the RAM bytes, then the hole. */
    g_assert_cmpint(ts_address_space_load(as, 0x1ffe, 4, &v), ==,
                    TS_MEM_UNASSIGNED);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_ram_ptr(void)
{
    Recorder rec = { 0 };
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    TsMemoryRegion *a = map(root, 0x0, new_ram("a", 0x1000), 0);
    TsMemoryRegion *b = map(root, 0x1000, new_ram("b", 0x1000), 0);
    GError *err = NULL;
    TsMemoryRegion *rom = ts_memory_region_new_rom("rom", 0x1000, &err);
    map(root, 0x2000, rom, 0);
    map(root, 0x3000, ts_memory_region_new_mmio("dev", 0x100, &plain_ops,
                                                &rec), 0);
    TsAddressSpace *as = ts_address_space_new("test", root);
    uint8_t *ha = ts_memory_region_host_ptr(a);
    uint8_t *hb = ts_memory_region_host_ptr(b);

    g_assert_true(ts_address_space_ram_ptr(as, 0x10, 8, true) == ha + 0x10);
    g_assert_true(ts_address_space_ram_ptr(as, 0xff8, 8, true) == ha + 0xff8);
    g_assert_true(ts_address_space_ram_ptr(as, 0x1000, 0, true) == hb);
    /* Two adjacent RAM regions are not one host buffer. */
    g_assert_null(ts_address_space_ram_ptr(as, 0xffc, 8, false));
    g_assert_true(ts_address_space_ram_ptr(as, 0x2000, 4, false) ==
                  ts_memory_region_host_ptr(rom));
    g_assert_null(ts_address_space_ram_ptr(as, 0x2000, 4, true));
    g_assert_null(ts_address_space_ram_ptr(as, 0x3000, 4, false));
    g_assert_null(ts_address_space_ram_ptr(as, 0x5000, 4, false));
    g_assert_null(ts_address_space_ram_ptr(as, UINT64_MAX, 2, false));
    g_assert_null(ts_address_space_ram_ptr(as, 0, UINT64_MAX, false));
    g_assert_cmpuint(rec.n, ==, 0);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_pin(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    TsMemoryRegion *ram = map(root, 0x1000, new_ram("ram", 0x1000), 0);
    TsAddressSpace *as = ts_address_space_new("test", root);
    memset(ts_memory_region_host_ptr(ram), 0x6b, 0x1000);

    ts_address_space_pin(as);
    /* Unmap and drop the last outside reference: the pinned snapshot
     * keeps the RAM alive and still answers; other accesses do not. */
    ts_memory_region_remove_subregion(root, ram);
    uint8_t *p = ts_address_space_ram_ptr(as, 0x1800, 1, true);
    g_assert_nonnull(p);
    g_assert_cmphex(*p, ==, 0x6b);
    *p = 1;
    uint64_t v;
    g_assert_cmpint(ts_address_space_load(as, 0x1800, 1, &v), ==,
                    TS_MEM_UNASSIGNED);
    /* Re-pinning sees the new map. */
    ts_address_space_pin(as);
    g_assert_null(ts_address_space_ram_ptr(as, 0x1800, 1, true));
    ts_address_space_unpin();
    ts_address_space_unpin();           /* harmless */

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

/* ts_dma_map: a pointer only for a range that is wholly plain RAM of one
 * region (ROM for reads), NULL for whatever a hostile guest may name
 * instead; and a mapping outlives the region's removal from the guest. */
static void test_dma_map(void)
{
    Recorder rec = { 0 };
    TsMemoryRegion *root = ts_memory_region_new_container("root", UINT64_MAX);
    TsMemoryRegion *ram = new_ram("ram", 0x2000);
    g_assert_true(ts_memory_region_add_subregion(root, 0x10000, ram, 0));
    map(root, 0x12000, new_ram("next", 0x1000), 0);     /* adjacent */
    map(root, 0x20000, ts_memory_region_new_mmio("dev", 0x1000, &plain_ops,
                                                 &rec), 0);
    GError *err = NULL;
    TsMemoryRegion *rom = ts_memory_region_new_rom("rom", 0x1000, &err);
    g_assert_no_error(err);
    map(root, 0x30000, rom, 0);
    map(root, UINT64_MAX - 0xfff, new_ram("top", 0x1000), 0);
    TsAddressSpace *as = ts_address_space_new("test", root);
    uint8_t *host = ts_memory_region_host_ptr(ram);
    TsMemoryRegion *mr = (TsMemoryRegion *)&rec;        /* must be reset */

    /* Plain RAM, to its last byte. */
    g_assert_true(ts_dma_map(as, 0x10000, 0x2000, true, &mr) == host);
    g_assert_true(mr == ram);
    ts_dma_unmap(mr);
    g_assert_true(ts_dma_map(as, 0x11fff, 1, true, &mr) == host + 0x1fff);
    ts_dma_unmap(mr);

    /* What a guest may point at instead: all refused, *mr NULL. */
    const struct { uint64_t addr, len; bool write; } bad[] = {
        { 0x11fff, 2, true },               /* over the boundary to "next" */
        { 0x10000, 0x3000, false },         /* two regions, even if adjacent */
        { 0x13000, 1, false },              /* a hole */
        { 0x0fff, 2, true },                /* from a hole into RAM */
        { 0x20000, 4, false },              /* MMIO */
        { 0x1fff0, 0x20, true },            /* a hole into MMIO */
        { 0x30000, 16, true },              /* ROM, for writing */
        { 0x10000, 0, true },               /* nothing */
        { UINT64_MAX - 7, 16, true },       /* wraps past 2^64 */
        { 0x10000, UINT64_MAX, true },      /* absurd length */
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        mr = ram;
        g_assert_null(ts_dma_map(as, bad[i].addr, bad[i].len, bad[i].write,
                                 &mr));
        g_assert_null(mr);
    }
    g_assert_cmpuint(rec.n, ==, 0);         /* the device never called */
    /* ROM for reading, and the top of the space, are fine. */
    g_assert_nonnull(ts_dma_map(as, 0x30000, 16, false, &mr));
    ts_dma_unmap(mr);
    g_assert_nonnull(ts_dma_map(as, UINT64_MAX - 0xfff, 0x1000, true, &mr));
    ts_dma_unmap(mr);
    ts_dma_unmap(NULL);

    /* The RAM goes away while mapped (unplugged, our own reference
     * dropped): the mapping still holds the memory, so a late write lands
     * harmlessly (ASan would see a use after free), and the guest no
     * longer reaches it. */
    uint8_t *p = ts_dma_map(as, 0x10800, 0x100, true, &mr);
    g_assert_true(p == host + 0x800);
    ts_memory_region_remove_subregion(root, ram);
    ts_memory_region_unref(ram);
    g_assert_null(ts_dma_map(as, 0x10800, 0x100, true, &(TsMemoryRegion *){
                                 NULL }));
    memset(p, 0x5a, 0x100);
    uint8_t back[4] = { 1, 1, 1, 1 };
    ts_dma_read(as, 0x10800, back, 4);
    g_assert_cmphex(back[0], ==, 0);        /* a hole now */
    ts_dma_unmap(mr);                       /* frees the region */

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_dma_wild(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", UINT64_MAX);
    TsMemoryRegion *low = map(root, 0, new_ram("low", 0x1000), 0);
    TsMemoryRegion *top = map(root, UINT64_MAX - 0xfff, new_ram("top", 0x1000),
                              0);
    TsAddressSpace *as = ts_address_space_new("test", root);
    uint8_t buf[32];

    /* Wrapping past 2^64 is refused whole: nothing read, nothing written
     * (in particular not the low RAM the wrapped tail would reach). */
    memset(buf, 0xab, sizeof(buf));
    g_assert_cmpint(ts_dma_write(as, UINT64_MAX - 7, buf, 16), ==,
                    TS_MEM_UNASSIGNED);
    uint8_t *hl = ts_memory_region_host_ptr(low);
    uint8_t *ht = ts_memory_region_host_ptr(top);
    g_assert_cmphex(hl[0], ==, 0);
    g_assert_cmphex(ht[0xfff], ==, 0);
    g_assert_cmpint(ts_dma_read(as, UINT64_MAX - 7, buf, 16), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_cmphex(buf[0], ==, 0);
    g_assert_cmpint(ts_dma_write(as, 0x1000, buf, SIZE_MAX), ==,
                    TS_MEM_UNASSIGNED);

    /* The very top of the space is ordinary memory. */
    memset(buf, 0xcd, 8);
    g_assert_cmpint(ts_dma_write(as, UINT64_MAX - 7, buf, 8), ==, TS_MEM_OK);
    g_assert_cmphex(ht[0xfff], ==, 0xcd);
    g_assert_cmphex(load(as, UINT64_MAX - 7, 8), ==, 0xcdcdcdcdcdcdcdcd);
    g_assert_cmphex(load(as, UINT64_MAX, 1), ==, 0xcd);
    uint64_t v;
    g_assert_cmpint(ts_address_space_load(as, UINT64_MAX - 3, 8, &v), ==,
                    TS_MEM_UNASSIGNED);
    g_assert_true(ts_address_space_ram_ptr(as, UINT64_MAX, 1, true) ==
                  ht + 0xfff);

    /* Huge lengths into a hole end at the hole, not in host memory. */
    g_assert_cmpint(ts_dma_write(as, 0x10000, buf, 0), ==, TS_MEM_OK);
    g_assert_cmpint(ts_dma_read(as, 0xffc, buf, 8), ==, TS_MEM_UNASSIGNED);
    g_assert_cmphex(buf[4], ==, 0);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_reentrancy(void)
{
    Recorder rec = { 0 };
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    TsMemoryRegion *dev = map(root, 0x1000,
                              ts_memory_region_new_mmio("dev", 64, &plain_ops,
                                                        &rec), 0);
    TsMemoryRegion *ram = map(root, 0x8000, new_ram("ram", 0x100), 0);
    TsAddressSpace *as = ts_address_space_new("test", root);

    /* The device's write handler DMAs into its own registers: refused,
     * and the handler ran exactly once (no recursion). */
    rec.dma_as = as;
    rec.dma_addr = 0x1000;
    g_assert_cmpint(ts_address_space_store(as, 0x1010, 4, 1), ==, TS_MEM_OK);
    g_assert_cmpint(rec.dma_result, ==, TS_MEM_ACCESS_ERROR);
    g_assert_cmpuint(rec.n, ==, 1);

    /* DMA into RAM from the same handler is fine. */
    rec.dma_addr = 0x8000;
    g_assert_cmpint(ts_address_space_store(as, 0x1010, 4, 1), ==, TS_MEM_OK);
    g_assert_cmpint(rec.dma_result, ==, TS_MEM_OK);
    g_assert_cmphex(*(uint32_t *)ts_memory_region_host_ptr(ram), ==,
                    0xdeadbeef);

    /* Work outside a callback (a bottom half) guards itself the same way. */
    rec.dma_as = NULL;
    rec.n = 0;
    g_assert_true(ts_memory_region_enter(dev));
    g_assert_false(ts_memory_region_enter(dev));
    uint32_t word = 5;
    g_assert_cmpint(ts_dma_write(as, 0x1000, &word, 4), ==,
                    TS_MEM_ACCESS_ERROR);
    ts_memory_region_leave(dev);
    g_assert_cmpint(ts_dma_write(as, 0x1000, &word, 4), ==, TS_MEM_OK);
    g_assert_cmpuint(rec.n, ==, 1);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

/* ------------------------------------------------------------------ */
/* Dumps and system memory                                            */

static void test_mtree(void)
{
    Recorder rec = { 0 };
    TsMemoryRegion *root = ts_memory_region_new_container("root", UINT64_MAX);
    map(root, 0x80000000, new_ram("ram", 128 * MiB), 0);
    TsMemoryRegion *uart = map(root, 0x10000000,
                               ts_memory_region_new_mmio("uart", 0x100,
                                                         &plain_ops, &rec), 1);
    GError *err = NULL;
    TsMemoryRegion *flash = ts_memory_region_new_rom("flash", 0x2000, &err);
    map(root, 0x1000, ts_memory_region_new_alias("boot", flash, 0x1000,
                                                 0x1000), 2);
    ts_memory_region_unref(flash);
    ts_memory_region_set_enabled(uart, false);
    TsAddressSpace *as = ts_address_space_new("cpu-memory", root);

    char *text = ts_address_space_mtree(as);
    g_test_message("%s", text);
    static const char *const expected[] = {
        "address-space: cpu-memory\n"
        "  0000000000000000-ffffffffffffffff (prio 0, container): root\n"
        "    0000000000001000-0000000000001fff (prio 2, alias): boot "
        "@flash 0000000000001000-0000000000001fff\n"
        "    0000000010000000-00000000100000ff (prio 1, mmio, disabled): uart\n"
        "    0000000080000000-0000000087ffffff (prio 0, ram): ram\n",
        "\nmemory-region: flash\n"
        "  0000000000000000-0000000000001fff (prio 0, rom): flash\n",
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(expected); i++) {
        g_assert_nonnull(strstr(text, expected[i]));
    }
    g_free(text);

    text = ts_address_space_flat_dump(as);
    g_assert_nonnull(strstr(text, "FlatView for cpu-memory:\n"
        "  0000000000001000-0000000000001fff (rom) flash @0000000000001000\n"
        "  0000000080000000-0000000087ffffff (ram) ram @0000000000000000\n"));
    g_free(text);

    ts_address_space_free(as);
    ts_memory_region_unref(root);
}

static void test_system_memory(void)
{
    TsMemoryRegion *sys = ts_machine_system_memory();
    g_assert_true(sys == ts_machine_system_memory());
    g_assert_cmpuint(ts_memory_region_size(sys), ==, UINT64_MAX);
    g_assert_cmpstr(ts_memory_region_name(sys), ==, "system");
    TsAddressSpace *as = ts_address_space_system();
    g_assert_true(as == ts_address_space_system());

    TsMemoryRegion *ram = new_ram("sysram", 0x1000);
    g_assert_true(ts_memory_region_add_subregion(sys, 0x80000000, ram, 0));
    ((uint8_t *)ts_memory_region_host_ptr(ram))[1] = 9;
    g_assert_cmphex(load(as, 0x80000001, 1), ==, 9);
    char *text = ts_address_space_mtree(as);
    g_assert_nonnull(strstr(text, "address-space: memory\n"
        "  0000000000000000-ffffffffffffffff (prio 0, container): system\n"
        "    0000000080000000-0000000080000fff (prio 0, ram): sysram\n"));
    g_free(text);
    ts_memory_region_remove_subregion(sys, ram);
    ts_memory_region_unref(ram);
    uint64_t v;
    g_assert_cmpint(ts_address_space_load(as, 0x80000001, 1, &v), ==,
                    TS_MEM_UNASSIGNED);
}

/* ------------------------------------------------------------------ */
/* Concurrency                                                        */

typedef struct Race {
    TsAddressSpace *as;
    int stop;                   /* atomic */
    gint reads, mmio_reads, misses;     /* atomic */
    char *failure;              /* first wrong value seen (atomic) */
} Race;

/* The device state is freed as soon as the device is unmapped (under
 * the big lock, like an unrealize): a dispatch that raced with the
 * unmapping must not call into it (ASan would catch it). */
static uint64_t const_read(void *opaque, uint64_t addr, unsigned size)
{
    return *(uint32_t *)opaque;
}

static const TsMemoryOps const_ops = { .read = const_read, .valid_min = 4,
                                       .valid_max = 4 };

static void race_fail(Race *race, const char *what, uint64_t value)
{
    char *text = g_strdup_printf("%s: 0x%" G_GINT64_MODIFIER "x", what,
                                 value);
    if (!g_atomic_pointer_compare_and_exchange(&race->failure, NULL, text)) {
        g_free(text);
    }
}

/*
 * 0x0000: fixed RAM filled with 0x11 (must always read so).
 * 0x1000: swaps between RAM "x" (0x22), RAM "y" (0x33), the MMIO device
 *         (0x77777777) and nothing.
 */
static gpointer race_reader(gpointer data)
{
    Race *race = data;
    unsigned reads = 0, mmio_reads = 0, misses = 0;
    /* Like a JIT: keep a pin, renew it when the map changes, and only
     * dereference host pointers from ram_ptr under it. */
    uint64_t pinned_generation = ts_address_space_generation(race->as);
    ts_address_space_pin(race->as);
    while (!g_atomic_int_get(&race->stop)) {
        uint64_t generation = ts_address_space_generation(race->as);
        if (generation != pinned_generation) {
            ts_address_space_unpin();
            pinned_generation = generation;
            ts_address_space_pin(race->as);
        }
        uint64_t v;
        if (ts_address_space_load(race->as, 0x10, 4, &v) != TS_MEM_OK ||
            v != 0x11111111) {
            race_fail(race, "fixed RAM", v);
        }
        /* Reaching the device takes the big lock: not every time, or the
         * readers would starve the thread that changes the map. */
        TsMemResult r = reads % 8 ? TS_MEM_UNASSIGNED
                                  : ts_address_space_load(race->as, 0x1008,
                                                          4, &v);
        if (r == TS_MEM_OK) {
            if (v == 0x77777777) {
                mmio_reads++;
            } else if (v != 0x22222222 && v != 0x33333333) {
                race_fail(race, "swapped region", v);
            }
        } else if (r == TS_MEM_UNASSIGNED) {
            misses++;
        } else {
            race_fail(race, "result", r);
        }
        uint8_t *p = ts_address_space_ram_ptr(race->as, 0x1000, 16, false);
        if (p && *p != 0x22 && *p != 0x33) {
            race_fail(race, "ram_ptr byte", *p);
        }
        reads++;
    }
    ts_address_space_unpin();
    g_atomic_int_add(&race->reads, reads);
    g_atomic_int_add(&race->mmio_reads, mmio_reads);
    g_atomic_int_add(&race->misses, misses);
    return NULL;
}

static void test_concurrent_remap(void)
{
    TsMemoryRegion *root = ts_memory_region_new_container("root", 1 * MiB);
    TsMemoryRegion *fixed = map(root, 0, new_ram("fixed", 0x1000), 0);
    memset(ts_memory_region_host_ptr(fixed), 0x11, 0x1000);
    Race race = { .as = ts_address_space_new("race", root) };

    GThread *readers[2];
    for (unsigned i = 0; i < G_N_ELEMENTS(readers); i++) {
        readers[i] = g_thread_new("reader", race_reader, &race);
    }
    gint64 end = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
    unsigned long changes = 0;
    while (g_get_monotonic_time() < end) {
        /* Fresh regions each round, so freed ones are really freed (ASan
         * catches a reader on a freed view or region). */
        TsMemoryRegion *x = new_ram("x", 0x1000);
        TsMemoryRegion *y = new_ram("y", 0x1000);
        memset(ts_memory_region_host_ptr(x), 0x22, 0x1000);
        memset(ts_memory_region_host_ptr(y), 0x33, 0x1000);
        uint32_t *state = g_new(uint32_t, 1);
        *state = 0x77777777;
        TsMemoryRegion *dev = ts_memory_region_new_mmio("dev", 0x1000,
                                                        &const_ops, state);
        /* Topology changes are made under the big lock (memory.h); let
         * readers in between, so that they also reach the MMIO device. */
        ts_bql_lock();
        map(root, 0x1000, x, 0);
        map(root, 0x1000, y, 1);
        ts_bql_unlock();
        ts_bql_lock();
        ts_memory_region_remove_subregion(root, y);
        map(root, 0x1000, dev, 2);
        ts_bql_unlock();
        g_thread_yield();
        ts_bql_lock();
        ts_memory_region_set_enabled(dev, false);
        ts_bql_unlock();
        ts_bql_lock();
        ts_memory_region_set_enabled(dev, true);
        ts_bql_unlock();
        g_thread_yield();
        ts_bql_lock();
        ts_memory_region_remove_subregion(root, dev);
        g_free(state);
        ts_memory_region_remove_subregion(root, x);
        ts_bql_unlock();
        changes += 8;
    }
    g_atomic_int_set(&race.stop, 1);
    for (unsigned i = 0; i < G_N_ELEMENTS(readers); i++) {
        g_thread_join(readers[i]);
    }
    g_test_message("%lu map changes, %d reads (%d MMIO, %d unassigned)",
                   changes, race.reads, race.mmio_reads, race.misses);
    if (race.failure) {
        g_test_fail_printf("reader saw %s", race.failure);
        g_free(race.failure);
    }
    g_assert_cmpint(race.reads, >, 1000);
    g_assert_cmpuint(changes, >, 50);
    g_assert_cmpint(race.mmio_reads, >, 0);

    ts_address_space_free(race.as);
    ts_memory_region_unref(root);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/ram/round-trip", test_ram_round_trip);
    g_test_add_func("/memory/ram/sizes", test_ram_sizes);
    g_test_add_func("/memory/rom/readonly", test_rom_readonly);
    g_test_add_func("/memory/rom/device", test_rom_device);
    g_test_add_func("/memory/mmio/offsets", test_mmio_offsets);
    g_test_add_func("/memory/mmio/split-combine", test_mmio_split_combine);
    g_test_add_func("/memory/mmio/big-endian", test_mmio_big_endian);
    g_test_add_func("/memory/mmio/invalid-sizes", test_mmio_invalid_sizes);
    g_test_add_func("/memory/topology/priority-overlap",
                    test_priority_overlap);
    g_test_add_func("/memory/topology/alias", test_alias);
    g_test_add_func("/memory/topology/nested-enable", test_nested_and_enable);
    g_test_add_func("/memory/topology/cycles-refused", test_cycles_refused);
    g_test_add_func("/memory/topology/transaction", test_transaction);
    g_test_add_func("/memory/access/unassigned", test_unassigned);
    g_test_add_func("/memory/access/ram-ptr", test_ram_ptr);
    g_test_add_func("/memory/access/pin", test_pin);
    g_test_add_func("/memory/access/dma-wild", test_dma_wild);
    g_test_add_func("/memory/access/dma-map", test_dma_map);
    g_test_add_func("/memory/access/reentrancy", test_reentrancy);
    g_test_add_func("/memory/dump/mtree", test_mtree);
    g_test_add_func("/memory/system", test_system_memory);
    g_test_add_func("/memory/concurrent-remap", test_concurrent_remap);
    return g_test_run();
}
