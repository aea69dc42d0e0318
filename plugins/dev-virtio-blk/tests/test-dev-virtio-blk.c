/*
 * test-dev-virtio-blk.c - the virtio block device of plugins/dev-virtio-blk
 * on raw image files through the block layer, driven by the test's guest
 * driver (tests/harness/virtio-driver.c): identity, features and
 * configuration for each property, every request type with its data
 * checked in the image file on the host, requests larger than the
 * device's pieces, several queues, the write cache toggle, resize; then a
 * hostile driver: ranges past the end or misaligned, short headers, no
 * status byte, unknown types, discard/write-zeroes with bad segments or
 * flags or sizes, writes to a read-only disk, and resets and unplugs with
 * requests in flight, whose completions must never reach the guest.
 */
#include "virtio-driver.h"

#include "block/block-internal.h"
#include "block/block-options.h"
#include "machine/machine-lifecycle.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

#define BLK_BASE   UINT64_C(0x10001000)
#define QSIZE      128

/* Guest memory: headers and status bytes per descriptor slot, data from
 * DATA on (up to the end of the test's RAM). */
#define HDRS       TEST_BUF                     /* 32 bytes per slot */
#define STATUS     (TEST_BUF + 0x8000)          /* 1 byte per slot */
#define TABLE      (TEST_BUF + 0x10000)         /* indirect tables */
#define DATA       (TEST_BUF + 0x100000)
#define DATA_MAX   (TEST_RAM_END - DATA)

/* Request types and status values (VIRTIO 1.2, 5.2.6). */
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11,
       T_WRITE_ZEROES = 13 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2, S_UNTOUCHED = 0xee };

/* Feature bits (5.2.3). */
#define F_SEG_MAX      (UINT64_C(1) << 2)
#define F_RO           (UINT64_C(1) << 5)
#define F_BLK_SIZE     (UINT64_C(1) << 6)
#define F_FLUSH        (UINT64_C(1) << 9)
#define F_TOPOLOGY     (UINT64_C(1) << 10)
#define F_CONFIG_WCE   (UINT64_C(1) << 11)
#define F_MQ           (UINT64_C(1) << 12)
#define F_DISCARD      (UINT64_C(1) << 13)
#define F_WRITE_ZEROES (UINT64_C(1) << 14)

#define ALL_BLK_FEATURES (F_SEG_MAX | F_BLK_SIZE | F_FLUSH | F_TOPOLOGY | \
                          F_CONFIG_WCE | F_DISCARD | F_WRITE_ZEROES)

/* Configuration offsets (5.2.4). */
enum { C_CAPACITY = 0, C_SEG_MAX = 12, C_BLK_SIZE = 20, C_PHYS_EXP = 24,
       C_WRITEBACK = 32, C_NUM_QUEUES = 34, C_MAX_DISCARD = 36,
       C_MAX_DISCARD_SEG = 40, C_DISCARD_ALIGN = 44, C_MAX_WZ = 48,
       C_MAX_WZ_SEG = 52, C_WZ_MAY_UNMAP = 56 };

#define DISK_SIZE  (UINT64_C(8) << 20)

static char *tmpdir;
static unsigned drive_count;

/* ------------------------------------------------------------------ */
/* Images and devices                                                  */

/* A -drive, opened at once as the command line would. */
static void drive_add(const char *opts)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(block_drive_add(opts, &err));
    g_assert_true(block_drives_open(&err));
    g_assert_no_error(err);
}

/* The monitor's block_resize of drive `id`. */
static void drive_resize(const char *id, uint64_t size)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(block_resize(id, NULL, (int64_t)size, &err));
    g_assert_no_error(err);
}

typedef struct Disk {
    char *path;
    char *id;
    TsDevice *dev;
    Vdrv d;
    unsigned next_desc[8];      /* the driver's next free descriptor */
} Disk;

static uint8_t pattern(uint64_t offset)
{
    return (uint8_t)(offset / 512 + offset % 512);
}

/* An image file of `size` bytes, byte i of sector s being (s + i) & 0xff
 * so every sector differs from its neighbours. */
static char *make_image(uint64_t size)
{
    char *path = g_strdup_printf("%s/disk%u.img", tmpdir, drive_count);
    g_autofree uint8_t *data = g_malloc(size);
    for (uint64_t i = 0; i < size; i++) {
        data[i] = pattern(i);
    }
    GError *err = NULL;
    g_assert_true(g_file_set_contents(path, (const char *)data, size, &err));
    return path;
}

static void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, (ssize_t)len);
    close(fd);
}

static bool file_is(const char *path, uint64_t off, size_t len,
                    int byte /* -1: the pattern */)
{
    g_autofree uint8_t *buf = g_malloc(len);
    file_read(path, off, buf, len);
    for (size_t i = 0; i < len; i++) {
        uint8_t want = byte < 0 ? pattern(off + i) : (uint8_t)byte;
        if (buf[i] != want) {
            return false;
        }
    }
    return true;
}

/* A -drive over a new image of `size` bytes with extra drive options,
 * and a virtio-blk-device on it with extra properties (NULL-terminated,
 * at most 8), its interrupt wired to irq (may be NULL), realized.  NULL +
 * *errp when the device refuses. */
static Disk *disk_try_irq(uint64_t size, const char *drive_opts,
                          const char *const *props, TestIrq *irq,
                          GError **errp)
{
    Disk *k = g_new0(Disk, 1);
    k->path = make_image(size);
    k->id = g_strdup_printf("d%u", drive_count++);
    g_autofree char *opts = g_strdup_printf(
        "file=%s,format=raw,if=none,id=%s%s%s", k->path, k->id,
        drive_opts ? "," : "", drive_opts ? drive_opts : "");
    drive_add(opts);
    g_autofree char *drive = g_strdup_printf("drive=%s", k->id);
    const char *all[12] = { "addr=0x10001000", drive };
    for (unsigned i = 0; props && props[i]; i++) {
        g_assert_cmpuint(i, <, 8);
        all[2 + i] = props[i];
    }
    k->dev = harness_try_device("virtio-blk-device", k->id, all, errp);
    k->d.base = BLK_BASE;
    TsMmioDevice *mmio = k->dev ? (TsMmioDevice *)ts_object_dynamic_cast(
        TS_OBJECT(k->dev), TS_TYPE_MMIO_DEVICE) : NULL;
    if (mmio && irq) {
        g_assert_true(ts_mmio_device_place(mmio, mmio->addr, 0, irq->line,
                                           errp));
    }
    if (k->dev && !ts_device_realize(k->dev, errp)) {
        ts_object_remove_child(TS_OBJECT(ts_machine_current()),
                               TS_OBJECT(k->dev));
        k->dev = NULL;
    }
    if (!k->dev) {
        g_unlink(k->path);
        g_free(k->path);
        g_free(k->id);
        g_free(k);
        return NULL;
    }
    return k;
}

static Disk *disk_try(uint64_t size, const char *drive_opts,
                      const char *const *props, GError **errp)
{
    return disk_try_irq(size, drive_opts, props, NULL, errp);
}

static Disk *disk_new_irq(const char *drive_opts, const char *const *props,
                          TestIrq *irq)
{
    g_autoptr(GError) err = NULL;
    Disk *k = disk_try_irq(DISK_SIZE, drive_opts, props, irq, &err);
    g_assert_no_error(err);
    g_assert_nonnull(k);
    return k;
}

static Disk *disk_new(const char *drive_opts, const char *const *props)
{
    return disk_new_irq(drive_opts, props, NULL);
}

static void disk_free(Disk *k)
{
    if (k->dev) {
        harness_destroy(k->dev);
    }
    g_unlink(k->path);
    g_free(k->path);
    g_free(k->id);
    g_free(k);
}

static uint64_t features_offered(Disk *k)
{
    vd_wr(&k->d, VD_DEVICE_FEATURES_SEL, 0);
    uint64_t lo = vd_rd(&k->d, VD_DEVICE_FEATURES);
    vd_wr(&k->d, VD_DEVICE_FEATURES_SEL, 1);
    uint64_t hi = vd_rd(&k->d, VD_DEVICE_FEATURES);
    return lo | hi << 32;
}

static uint64_t cfg(Disk *k, unsigned off, unsigned size)
{
    return mmio_read(BLK_BASE + VD_CONFIG + off, size);
}

/* Start the driver with `features` (VERSION_1 added) and nq queues. */
static void disk_start(Disk *k, uint64_t features, unsigned nq)
{
    memset(k->next_desc, 0, sizeof(k->next_desc));
    vd_start(&k->d, features, nq, QSIZE);
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

typedef struct Seg {
    uint64_t addr;
    uint32_t len;
    bool writable;
} Seg;

static unsigned desc_alloc(Disk *k, unsigned q)
{
    return k->next_desc[q]++ % QSIZE;
}

/*
 * Post a chain on queue q: `nseg` segments as given, each its own
 * descriptor (the test builds headers and status bytes itself for the
 * hostile cases).  Returns the head.
 */
static unsigned post_segs(Disk *k, unsigned q, const Seg *segs,
                          unsigned nseg)
{
    unsigned head = desc_alloc(k, q), cur = head;
    for (unsigned i = 0; i < nseg; i++) {
        unsigned next = i + 1 < nseg ? desc_alloc(k, q) : 0;
        vd_desc(&k->d, q, cur, segs[i].addr, segs[i].len,
                (segs[i].writable ? VD_DESC_WRITE : 0) |
                (i + 1 < nseg ? VD_DESC_NEXT : 0), next);
        cur = next;
    }
    vd_avail(&k->d, q, head);
    return head;
}

static void write_header(uint64_t at, uint32_t type, uint64_t sector)
{
    uint8_t h[16] = { 0 };
    uint32_t t = GUINT32_TO_LE(type);
    uint64_t s = GUINT64_TO_LE(sector);
    memcpy(h, &t, 4);
    memcpy(h + 8, &s, 8);
    ram_write(at, h, sizeof(h));
}

/* A well-formed request: header, data segments (readable for OUT and
 * the discard family, writable for IN and GET_ID), status byte.  Each
 * request gets its own header slot and status byte: `slot`. */
static unsigned post_req(Disk *k, unsigned q, unsigned slot, uint32_t type,
                         uint64_t sector, const Seg *data, unsigned ndata)
{
    Seg segs[10];
    g_assert_cmpuint(ndata, <=, 8);
    write_header(HDRS + 32 * slot, type, sector);
    segs[0] = (Seg){ HDRS + 32 * slot, 16, false };
    for (unsigned i = 0; i < ndata; i++) {
        segs[1 + i] = data[i];
    }
    ram_fill(STATUS + slot, S_UNTOUCHED, 1);
    segs[1 + ndata] = (Seg){ STATUS + slot, 1, true };
    return post_segs(k, q, segs, ndata + 2);
}

static uint8_t status_of(unsigned slot)
{
    uint8_t st;
    ram_read(STATUS + slot, &st, 1);
    return st;
}

typedef struct Wait {
    Disk *k;
    unsigned q;
    uint16_t want;
} Wait;

static bool used_reaches(void *opaque)
{
    Wait *w = opaque;
    return (uint16_t)(vd_used_idx(&w->k->d, w->q) - w->want) < 0x8000;
}

/* Notify queue q and wait for the used index to reach `want`. */
static void kick_and_wait(Disk *k, unsigned q, uint16_t want)
{
    vd_notify(&k->d, q);
    Wait w = { k, q, want };
    g_assert_true(run_until(used_reaches, &w, 10000));
    g_assert_cmpuint(vd_used_idx(&k->d, q), ==, want);
}

/* One request on queue 0, run to completion: its status. */
static uint8_t one_req(Disk *k, uint32_t type, uint64_t sector,
                       const Seg *data, unsigned ndata)
{
    uint16_t before = vd_used_idx(&k->d, 0);
    post_req(k, 0, 0, type, sector, data, ndata);
    kick_and_wait(k, 0, before + 1);
    return status_of(0);
}

/* A discard or write-zeroes segment at DATA. */
static Seg dwz_seg(uint64_t at, uint64_t sector, uint32_t num,
                   uint32_t flags)
{
    uint8_t s[16];
    uint64_t se = GUINT64_TO_LE(sector);
    uint32_t n = GUINT32_TO_LE(num), f = GUINT32_TO_LE(flags);
    memcpy(s, &se, 8);
    memcpy(s + 8, &n, 4);
    memcpy(s + 12, &f, 4);
    ram_write(at, s, 16);
    return (Seg){ at, 16, false };
}

/* ------------------------------------------------------------------ */
/* Identity, features, configuration                                   */

static void test_identity(void)
{
    Disk *k = disk_new(NULL, NULL);
    g_assert_cmpuint(vd_rd(&k->d, VD_DEVICE_ID), ==, 2);
    uint64_t f = features_offered(k);
    g_assert_cmphex(f & ALL_BLK_FEATURES, ==, ALL_BLK_FEATURES);
    g_assert_cmphex(f & (F_RO | F_MQ), ==, 0);
    g_assert_cmphex(f & (VD_F_INDIRECT_DESC | VD_F_EVENT_IDX |
                         VD_F_VERSION_1), ==,
                    VD_F_INDIRECT_DESC | VD_F_EVENT_IDX | VD_F_VERSION_1);
    g_assert_cmpuint(cfg(k, C_CAPACITY, 4), ==, DISK_SIZE / 512);
    g_assert_cmpuint(cfg(k, C_CAPACITY + 4, 4), ==, 0);
    g_assert_cmpuint(cfg(k, C_SEG_MAX, 4), ==, 254);
    g_assert_cmpuint(cfg(k, C_BLK_SIZE, 4), ==, 512);
    g_assert_cmpuint(cfg(k, C_WRITEBACK, 1), ==, 1);
    g_assert_cmpuint(cfg(k, C_NUM_QUEUES, 2), ==, 1);
    g_assert_cmpuint(cfg(k, C_MAX_DISCARD, 4), ==, 4194303);
    g_assert_cmpuint(cfg(k, C_MAX_DISCARD_SEG, 4), ==, 1);
    g_assert_cmpuint(cfg(k, C_DISCARD_ALIGN, 4), ==, 1);
    g_assert_cmpuint(cfg(k, C_MAX_WZ, 4), ==, 4194303);
    g_assert_cmpuint(cfg(k, C_MAX_WZ_SEG, 4), ==, 1);
    g_assert_cmpuint(cfg(k, C_WZ_MAY_UNMAP, 1), ==, 1);
    vd_wr(&k->d, VD_QUEUE_SEL, 0);
    g_assert_cmpuint(vd_rd(&k->d, VD_QUEUE_NUM_MAX), ==, 256);
    vd_wr(&k->d, VD_QUEUE_SEL, 1);      /* num-queues=1 */
    g_assert_cmpuint(vd_rd(&k->d, VD_QUEUE_NUM_MAX), ==, 0);
    disk_free(k);
}

/* Each property changes what the driver is shown. */
static void test_properties(void)
{
    const char *p1[] = { "num-queues=4", "event_idx=off",
                         "indirect_desc=off", "discard=off",
                         "write-zeroes=off", "config-wce=off",
                         "logical_block_size=4096", NULL };
    Disk *k = disk_new(NULL, p1);
    uint64_t f = features_offered(k);
    g_assert_cmphex(f & F_MQ, ==, F_MQ);
    g_assert_cmphex(f & (F_DISCARD | F_WRITE_ZEROES | F_CONFIG_WCE |
                         VD_F_INDIRECT_DESC | VD_F_EVENT_IDX), ==, 0);
    g_assert_cmpuint(cfg(k, C_NUM_QUEUES, 2), ==, 4);
    g_assert_cmpuint(cfg(k, C_BLK_SIZE, 4), ==, 4096);
    g_assert_cmpuint(cfg(k, C_PHYS_EXP, 1), ==, 0);     /* 4096/4096 */
    g_assert_cmpuint(cfg(k, C_DISCARD_ALIGN, 4), ==, 8);
    vd_wr(&k->d, VD_QUEUE_SEL, 3);
    g_assert_cmpuint(vd_rd(&k->d, VD_QUEUE_NUM_MAX), ==, 256);
    vd_wr(&k->d, VD_QUEUE_SEL, 4);
    g_assert_cmpuint(vd_rd(&k->d, VD_QUEUE_NUM_MAX), ==, 0);
    /* A driver may not accept what is not offered. */
    g_assert_cmphex(vd_negotiate(&k->d, VD_F_VERSION_1 | F_DISCARD) &
                    VD_S_FEATURES_OK, ==, 0);
    disk_free(k);

    const char *p2[] = { "physical_block_size=4096",
                         "max-discard-sectors=64",
                         "max-write-zeroes-sectors=128", NULL };
    k = disk_new(NULL, p2);
    g_assert_cmpuint(cfg(k, C_BLK_SIZE, 4), ==, 512);
    g_assert_cmpuint(cfg(k, C_PHYS_EXP, 1), ==, 3);     /* 4096/512 */
    g_assert_cmpuint(cfg(k, C_MAX_DISCARD, 4), ==, 64);
    g_assert_cmpuint(cfg(k, C_MAX_WZ, 4), ==, 128);
    disk_free(k);

    const char *p3[] = { "num-queues=32", NULL };
    k = disk_new(NULL, p3);
    g_assert_cmpuint(cfg(k, C_NUM_QUEUES, 2), ==, 32);
    vd_wr(&k->d, VD_QUEUE_SEL, 31);
    g_assert_cmpuint(vd_rd(&k->d, VD_QUEUE_NUM_MAX), ==, 256);
    vd_wr(&k->d, VD_QUEUE_SEL, 32);
    g_assert_cmpuint(vd_rd(&k->d, VD_QUEUE_NUM_MAX), ==, 0);
    disk_free(k);
}

static void test_realize_errors(void)
{
    static const struct {
        const char *prop;
        const char *error;
    } cases[] = {
        { "num-queues=0", "num-queues property must be larger than 0" },
        { "num-queues=33", "num-queues property must be <= 32" },
        { "logical_block_size=1000", "not a power of 2" },
        { "logical_block_size=256", "minimum: 512" },
        { "physical_block_size=65536", "maximum: 32768" },
        { "max-discard-sectors=0", "max-discard-sectors" },
        { "max-write-zeroes-sectors=0", "max-write-zeroes-sectors" },
        { "drive=nosuchdrive", "nosuchdrive" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) err = NULL;
        const char *props[] = { cases[i].prop, NULL };
        Disk *k = disk_try(DISK_SIZE, NULL, props, &err);
        g_assert_null(k);
        g_assert_nonnull(err);
        if (!strstr(err->message, cases[i].error)) {
            g_error("%s: got '%s', want '%s'", cases[i].prop, err->message,
                    cases[i].error);
        }
    }
    /* logical > physical */
    g_autoptr(GError) err = NULL;
    const char *props[] = { "logical_block_size=4096",
                            "physical_block_size=512", NULL };
    g_assert_null(disk_try(DISK_SIZE, NULL, props, &err));
    g_assert_nonnull(strstr(err->message,
                            "logical_block_size > physical_block_size"));
    g_clear_error(&err);
    /* No drive at all. */
    const char *nodrive[] = { "addr=0x10001000", NULL };
    TsDevice *dev = harness_try_device("virtio-blk-device", "nodrive",
                                       nodrive, &err);
    g_assert_no_error(err);
    g_assert_false(ts_device_realize(dev, &err));
    g_assert_nonnull(strstr(err->message, "drive property not set"));
    ts_object_remove_child(TS_OBJECT(ts_machine_current()), TS_OBJECT(dev));
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

/* A write in three data segments, then a read of the same range in two:
 * the image holds what was written, the guest reads it back, sectors
 * around it are untouched, used lengths are right. */
static void test_read_write(void)
{
    Disk *k = disk_new(NULL, NULL);
    disk_start(k, F_FLUSH, 1);
    for (unsigned i = 0; i < 3 * 1024; i++) {
        ram_fill(DATA + i, (uint8_t)(i * 7 + 1), 1);
    }
    Seg w[] = { { DATA, 1024, false }, { DATA + 1024, 512, false },
                { DATA + 1536, 1536, false } };
    g_assert_cmpuint(one_req(k, T_OUT, 10, w, 3), ==, S_OK);
    uint32_t id, len;
    vd_used_elem(&k->d, 0, 0, &id, &len);
    g_assert_cmpuint(len, ==, 1);                   /* the status byte */
    g_autofree uint8_t *want = g_malloc(3072);
    ram_read(DATA, want, 3072);
    g_autofree uint8_t *got = g_malloc(3072);
    file_read(k->path, 10 * 512, got, 3072);
    g_assert_cmpmem(got, 3072, want, 3072);
    g_assert_true(file_is(k->path, 9 * 512, 512, -1));
    g_assert_true(file_is(k->path, 16 * 512, 512, -1));

    ram_fill(DATA + 0x10000, 0, 4096);
    Seg r[] = { { DATA + 0x10000, 2048, true },
                { DATA + 0x10800, 1024, true } };
    g_assert_cmpuint(one_req(k, T_IN, 10, r, 2), ==, S_OK);
    vd_used_elem(&k->d, 0, 1, &id, &len);
    g_assert_cmpuint(len, ==, 3072 + 1);
    ram_read(DATA + 0x10000, got, 3072);
    g_assert_cmpmem(got, 3072, want, 3072);
    g_assert_true(ram_is(DATA + 0x10000 + 3072, 0, 1024));

    /* The last sector of the disk is readable; a read of the pattern
     * from an untouched place matches the file. */
    Seg last = { DATA, 512, true };
    g_assert_cmpuint(one_req(k, T_IN, DISK_SIZE / 512 - 1, &last, 1), ==,
                     S_OK);
    uint8_t sec[512];
    ram_read(DATA, sec, 512);
    for (unsigned i = 0; i < 512; i++) {
        g_assert_cmpuint(sec[i], ==, pattern(DISK_SIZE - 512 + i));
    }
    /* A zero-length read and write are fine. */
    g_assert_cmpuint(one_req(k, T_IN, 0, NULL, 0), ==, S_OK);
    g_assert_cmpuint(one_req(k, T_OUT, 0, NULL, 0), ==, S_OK);
    disk_free(k);
}

/* 3.5 MiB in one request through an indirect table: more than one of the
 * device's 1 MiB pieces, each landing in its place. */
static void test_large_request(void)
{
    Disk *k = disk_new(NULL, NULL);
    disk_start(k, VD_F_INDIRECT_DESC, 1);
    const uint32_t len = 3584 * 1024;
    g_assert_cmpuint(len, <=, DATA_MAX);
    g_autofree uint8_t *buf = g_malloc(len);
    for (uint32_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i / 4096 * 13 + i);
    }
    ram_write(DATA, buf, len);
    /* header, 7 data segments of 512 KiB, status */
    write_header(HDRS, T_OUT, 2048);
    vd_desc_at(TABLE, 0, HDRS, 16, VD_DESC_NEXT, 1);
    for (unsigned i = 0; i < 7; i++) {
        vd_desc_at(TABLE, 1 + i, DATA + i * (len / 7), len / 7,
                   VD_DESC_NEXT, 2 + i);
    }
    ram_fill(STATUS, S_UNTOUCHED, 1);
    vd_desc_at(TABLE, 8, STATUS, 1, VD_DESC_WRITE, 0);
    vd_desc(&k->d, 0, 0, TABLE, 9 * 16, VD_DESC_INDIRECT, 0);
    vd_avail(&k->d, 0, 0);
    kick_and_wait(k, 0, 1);
    g_assert_cmpuint(status_of(0), ==, S_OK);
    g_autofree uint8_t *got = g_malloc(len);
    file_read(k->path, 2048 * 512, got, len);
    g_assert_cmpmem(got, len, buf, len);

    /* Read it back in one writable segment. */
    ram_fill(DATA, 0, len);
    Seg r = { DATA, len, true };
    g_assert_cmpuint(one_req(k, T_IN, 2048, &r, 1), ==, S_OK);
    ram_read(DATA, got, len);
    g_assert_cmpmem(got, len, buf, len);
    disk_free(k);
}

static void test_flush_get_id(void)
{
    const char *props[] = { "serial=SERIAL-0123456789", NULL };
    Disk *k = disk_new(NULL, props);
    disk_start(k, F_FLUSH, 1);
    g_assert_cmpuint(one_req(k, T_FLUSH, 0, NULL, 0), ==, S_OK);
    /* GET_ID: the serial, NUL-padded to 20 bytes. */
    ram_fill(DATA, 0xaa, 32);
    Seg id = { DATA, 32, true };
    g_assert_cmpuint(one_req(k, T_GET_ID, 0, &id, 1), ==, S_OK);
    char got[21] = { 0 };
    ram_read(DATA, got, 20);
    g_assert_cmpstr(got, ==, "SERIAL-0123456789");
    g_assert_true(ram_is(DATA + 17, 0, 3));
    g_assert_true(ram_is(DATA + 20, 0xaa, 12));
    /* A shorter buffer gets what fits. */
    ram_fill(DATA, 0xaa, 32);
    id.len = 6;
    g_assert_cmpuint(one_req(k, T_GET_ID, 0, &id, 1), ==, S_OK);
    ram_read(DATA, got, 6);
    g_assert_cmpmem(got, 6, "SERIAL", 6);
    g_assert_true(ram_is(DATA + 6, 0xaa, 1));
    disk_free(k);

    /* Without a serial: 20 zero bytes. */
    k = disk_new(NULL, NULL);
    disk_start(k, 0, 1);
    ram_fill(DATA, 0xaa, 32);
    id.len = 20;
    g_assert_cmpuint(one_req(k, T_GET_ID, 0, &id, 1), ==, S_OK);
    g_assert_true(ram_is(DATA, 0, 20));
    disk_free(k);
}

static void test_discard_write_zeroes(void)
{
    const char *props[] = { "max-discard-sectors=64",
                            "max-write-zeroes-sectors=64", NULL };
    Disk *k = disk_new("discard=unmap", props);
    disk_start(k, F_DISCARD | F_WRITE_ZEROES, 1);

    Seg s = dwz_seg(DATA, 100, 8, 0);
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_OK);
    g_assert_true(file_is(k->path, 100 * 512, 8 * 512, 0));
    g_assert_true(file_is(k->path, 99 * 512, 512, -1));
    g_assert_true(file_is(k->path, 108 * 512, 512, -1));
    s = dwz_seg(DATA, 200, 16, 1);                  /* unmap allowed */
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_OK);
    g_assert_true(file_is(k->path, 200 * 512, 16 * 512, 0));

    /* A discard: the data is no longer needed; whatever it reads as,
     * the request succeeds and its neighbours keep theirs. */
    s = dwz_seg(DATA, 300, 64, 0);
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, &s, 1), ==, S_OK);
    g_assert_true(file_is(k->path, 299 * 512, 512, -1));
    g_assert_true(file_is(k->path, 364 * 512, 512, -1));

    /* Hostile: flags, sizes, ranges, segment counts. */
    s = dwz_seg(DATA, 300, 8, 1);                   /* unmap on discard */
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, &s, 1), ==, S_UNSUPP);
    s = dwz_seg(DATA, 300, 8, 2);
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_UNSUPP);
    s = dwz_seg(DATA, 300, 65, 0);                  /* > max */
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, &s, 1), ==, S_IOERR);
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_IOERR);
    g_assert_true(file_is(k->path, 300 * 512 + 64 * 512, 512, -1));
    s = dwz_seg(DATA, DISK_SIZE / 512 - 4, 8, 0);   /* past the end */
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, &s, 1), ==, S_IOERR);
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_IOERR);
    s = dwz_seg(DATA, UINT64_MAX / 256, 8, 0);      /* sector overflows */
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_IOERR);
    /* Two segments in one buffer (one is offered). */
    dwz_seg(DATA, 400, 8, 0);
    dwz_seg(DATA + 16, 500, 8, 0);
    Seg both = { DATA, 32, false };
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &both, 1), ==, S_UNSUPP);
    g_assert_true(file_is(k->path, 400 * 512, 512, -1));
    Seg half = { DATA, 12, false };                 /* not a whole segment */
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, &half, 1), ==, S_UNSUPP);
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, NULL, 0), ==, S_UNSUPP);
    disk_free(k);

    /* Misaligned for a 4 KiB logical block size. */
    const char *p4k[] = { "logical_block_size=4096", NULL };
    k = disk_new(NULL, p4k);
    disk_start(k, F_DISCARD | F_WRITE_ZEROES, 1);
    s = dwz_seg(DATA, 4, 8, 0);
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, &s, 1), ==, S_IOERR);
    s = dwz_seg(DATA, 8, 4, 0);
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_IOERR);
    g_assert_true(file_is(k->path, 0, 32 * 512, -1));
    s = dwz_seg(DATA, 8, 8, 0);
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_OK);
    g_assert_true(file_is(k->path, 8 * 512, 8 * 512, 0));
    disk_free(k);

    /* Not negotiated: UNSUPP, nothing done. */
    k = disk_new(NULL, NULL);
    disk_start(k, 0, 1);
    s = dwz_seg(DATA, 8, 8, 0);
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_UNSUPP);
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, &s, 1), ==, S_UNSUPP);
    g_assert_true(file_is(k->path, 8 * 512, 8 * 512, -1));
    disk_free(k);
}

/* IN and OUT outside the disk or misaligned: IOERR, image untouched,
 * guest buffers untouched. */
static void test_bad_ranges(void)
{
    const char *p4k[] = { "logical_block_size=4096", NULL };
    Disk *k = disk_new(NULL, p4k);
    disk_start(k, 0, 1);
    const uint64_t last = DISK_SIZE / 512;
    static const struct {
        uint64_t sector;
        uint32_t len;
    } bad[] = {
        { 0, 512 },                 /* not a whole logical block */
        { 1, 4096 },                /* not aligned to one */
        { last, 4096 },             /* just past the end */
        { last - 8, 8192 },         /* runs past the end */
        { UINT64_MAX / 512, 4096 }, /* sector * 512 overflows */
        { UINT64_MAX, 4096 },
        { UINT64_C(1) << 55, 4096 },
    };
    ram_fill(DATA, 0x5a, 8192);
    for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
        Seg w = { DATA, bad[i].len, false };
        g_assert_cmpuint(one_req(k, T_OUT, bad[i].sector, &w, 1), ==,
                         S_IOERR);
        Seg r = { DATA, bad[i].len, true };
        g_assert_cmpuint(one_req(k, T_IN, bad[i].sector, &r, 1), ==,
                         S_IOERR);
        g_assert_true(ram_is(DATA, 0x5a, 8192));
    }
    g_assert_true(file_is(k->path, 0, DISK_SIZE, -1));
    /* The device still works. */
    Seg r = { DATA, 4096, true };
    g_assert_cmpuint(one_req(k, T_IN, last - 8, &r, 1), ==, S_OK);
    g_assert_cmphex(vd_rd(&k->d, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);
    disk_free(k);
}

/* Malformed chains that still have a status byte get a status: unknown
 * types, a short header, nothing but the status byte. */
static void test_malformed(void)
{
    Disk *k = disk_new(NULL, NULL);
    disk_start(k, 0, 1);
    g_assert_cmpuint(one_req(k, 99, 0, NULL, 0), ==, S_UNSUPP);
    g_assert_cmpuint(one_req(k, 10, 0, NULL, 0), ==, S_UNSUPP);  /* lifetime */
    g_assert_cmpuint(one_req(k, 14, 0, NULL, 0), ==, S_UNSUPP);  /* erase */

    /* Header of 8 bytes, then status. */
    write_header(HDRS, T_OUT, 0);
    ram_fill(STATUS, S_UNTOUCHED, 1);
    Seg shorthdr[] = { { HDRS, 8, false }, { STATUS, 1, true } };
    post_segs(k, 0, shorthdr, 2);
    kick_and_wait(k, 0, vd_used_idx(&k->d, 0) + 1);
    g_assert_cmpuint(status_of(0), ==, S_IOERR);
    /* Only a status byte. */
    ram_fill(STATUS, S_UNTOUCHED, 1);
    Seg only = { STATUS, 1, true };
    post_segs(k, 0, &only, 1);
    kick_and_wait(k, 0, vd_used_idx(&k->d, 0) + 1);
    g_assert_cmpuint(status_of(0), ==, S_IOERR);
    /* The header split over two descriptors is fine. */
    write_header(HDRS, T_IN, 0);
    ram_fill(STATUS, S_UNTOUCHED, 1);
    Seg split[] = { { HDRS, 5, false }, { HDRS + 5, 11, false },
                    { DATA, 512, true }, { STATUS, 1, true } };
    post_segs(k, 0, split, 4);
    kick_and_wait(k, 0, vd_used_idx(&k->d, 0) + 1);
    g_assert_cmpuint(status_of(0), ==, S_OK);
    g_assert_cmphex(vd_rd(&k->d, VD_STATUS) & VD_S_NEEDS_RESET, ==, 0);
    disk_free(k);
}

/* A chain with only readable buffers: DEVICE_NEEDS_RESET, the image is
 * untouched, and after a reset requests work again. */
static void test_no_status_byte(void)
{
    Disk *k = disk_new(NULL, NULL);
    disk_start(k, 0, 1);
    write_header(HDRS, T_OUT, 0);
    ram_fill(DATA, 0, 512);
    Seg segs[] = { { HDRS, 16, false }, { DATA, 512, false } };
    post_segs(k, 0, segs, 2);
    vd_notify(&k->d, 0);
    g_assert_cmphex(vd_rd(&k->d, VD_STATUS) & VD_S_NEEDS_RESET, ==,
                    VD_S_NEEDS_RESET);
    g_assert_cmpuint(vd_used_idx(&k->d, 0), ==, 0);
    g_assert_true(file_is(k->path, 0, 512, -1));
    disk_start(k, 0, 1);
    Seg r = { DATA, 512, true };
    g_assert_cmpuint(one_req(k, T_IN, 0, &r, 1), ==, S_OK);
    disk_free(k);
}

/* A read-only drive: VIRTIO_BLK_F_RO, writes and discards IOERR, reads
 * fine, the image unchanged. */
static void test_read_only(void)
{
    Disk *k = disk_new("readonly=on", NULL);
    g_assert_cmphex(features_offered(k) & F_RO, ==, F_RO);
    disk_start(k, F_RO | F_DISCARD | F_WRITE_ZEROES, 1);
    ram_fill(DATA, 0, 4096);
    Seg w = { DATA, 4096, false };
    g_assert_cmpuint(one_req(k, T_OUT, 0, &w, 1), ==, S_IOERR);
    Seg s = dwz_seg(DATA + 8192, 0, 8, 0);
    g_assert_cmpuint(one_req(k, T_DISCARD, 0, &s, 1), ==, S_IOERR);
    g_assert_cmpuint(one_req(k, T_WRITE_ZEROES, 0, &s, 1), ==, S_IOERR);
    Seg r = { DATA, 4096, true };
    g_assert_cmpuint(one_req(k, T_IN, 0, &r, 1), ==, S_OK);
    uint8_t b0;
    ram_read(DATA + 1, &b0, 1);
    g_assert_cmpuint(b0, ==, pattern(1));
    g_assert_cmpuint(one_req(k, T_FLUSH, 0, NULL, 0), ==, S_OK);
    g_assert_true(file_is(k->path, 0, DISK_SIZE, -1));
    disk_free(k);
}

/* num-queues=3: requests on each queue are served on that queue. */
static void test_multiqueue(void)
{
    TestIrq *irq = test_irq_new();
    const char *props[] = { "num-queues=3", NULL };
    Disk *k = disk_new(NULL, props);
    disk_start(k, F_MQ, 3);
    for (unsigned q = 0; q < 3; q++) {
        ram_fill(DATA + q * 4096, (uint8_t)(0x10 + q), 4096);
        Seg w = { DATA + q * 4096, 4096, false };
        post_req(k, q, q, T_OUT, 64 + 8 * q, &w, 1);
    }
    for (unsigned q = 0; q < 3; q++) {
        kick_and_wait(k, q, 1);
        g_assert_cmpuint(status_of(q), ==, S_OK);
        g_assert_true(file_is(k->path, (64 + 8 * q) * 512, 4096, 0x10 + q));
    }
    disk_free(k);
    test_irq_free(irq);
}

/* The guest switches the write cache (CONFIG_WCE); a reset restores it;
 * without CONFIG_WCE negotiated the byte cannot be written. */
static void test_write_cache(void)
{
    Disk *k = disk_new(NULL, NULL);
    disk_start(k, F_CONFIG_WCE | F_FLUSH, 1);
    g_assert_cmpuint(cfg(k, C_WRITEBACK, 1), ==, 1);
    mmio_write(BLK_BASE + VD_CONFIG + C_WRITEBACK, 1, 0);
    g_assert_cmpuint(cfg(k, C_WRITEBACK, 1), ==, 0);
    /* Writethrough still writes. */
    ram_fill(DATA, 0x77, 512);
    Seg w = { DATA, 512, false };
    g_assert_cmpuint(one_req(k, T_OUT, 5, &w, 1), ==, S_OK);
    g_assert_true(file_is(k->path, 5 * 512, 512, 0x77));
    mmio_write(BLK_BASE + VD_CONFIG + C_WRITEBACK, 1, 1);
    g_assert_cmpuint(cfg(k, C_WRITEBACK, 1), ==, 1);
    mmio_write(BLK_BASE + VD_CONFIG + C_WRITEBACK, 1, 0);
    vd_wr(&k->d, VD_STATUS, 0);
    g_assert_cmpuint(cfg(k, C_WRITEBACK, 1), ==, 1);
    /* Not negotiated: ignored. */
    disk_start(k, F_FLUSH, 1);
    mmio_write(BLK_BASE + VD_CONFIG + C_WRITEBACK, 1, 0);
    g_assert_cmpuint(cfg(k, C_WRITEBACK, 1), ==, 1);
    /* Other configuration bytes are read-only. */
    mmio_write(BLK_BASE + VD_CONFIG + C_CAPACITY, 4, 1);
    g_assert_cmpuint(cfg(k, C_CAPACITY, 4), ==, DISK_SIZE / 512);
    disk_free(k);

    /* cache=writethrough shows as 0. */
    k = disk_new("cache=writethrough", NULL);
    g_assert_cmpuint(cfg(k, C_WRITEBACK, 1), ==, 0);
    disk_free(k);
}

static bool irq_high(void *opaque)
{
    return ((TestIrq *)opaque)->level != 0;
}

/* block_resize: the capacity follows, the generation moves on, and the
 * driver gets a configuration-change interrupt. */
static void test_resize(void)
{
    TestIrq *irq = test_irq_new();
    Disk *k = disk_new_irq(NULL, NULL, irq);
    disk_start(k, 0, 1);
    uint32_t gen = vd_rd(&k->d, VD_CONFIG_GENERATION);
    drive_resize(k->id, 2 * DISK_SIZE);
    g_assert_true(run_until(irq_high, irq, 5000));
    g_assert_cmphex(vd_rd(&k->d, VD_INTERRUPT_STATUS) & 2, ==, 2);
    g_assert_cmpuint(vd_rd(&k->d, VD_CONFIG_GENERATION), !=, gen);
    g_assert_cmpuint(cfg(k, C_CAPACITY, 4), ==, 2 * DISK_SIZE / 512);
    /* The new space is usable. */
    ram_fill(DATA, 0x42, 512);
    Seg w = { DATA, 512, false };
    g_assert_cmpuint(one_req(k, T_OUT, DISK_SIZE / 512 + 1, &w, 1), ==,
                     S_OK);
    disk_free(k);
    test_irq_free(irq);
}

/* ------------------------------------------------------------------ */
/* Resets and unplugs with requests in flight                          */

/* A big read and a big write are in flight when the driver resets the
 * device: their completions must not write the status bytes or used ring,
 * even after the driver set the queue up again in the same place, and
 * the guest's buffers do not change after the reset: the read, which
 * works on the guest's memory, is waited for by the reset.  (The write
 * may land on the disk, as on real hardware.) */
static void test_reset_in_flight(void)
{
    TestIrq *irq = test_irq_new();
    /* Reads throttled so that the big one is still waiting when the
     * driver resets (a reset that did not wait would leave the buffer
     * as it was, and the read would land later). */
    Disk *k = disk_new_irq("throttling.bps-read=1048576", NULL, irq);
    disk_start(k, 0, 1);
    const uint32_t len = 3 * 1024 * 1024;
    /* The disk holds 0x33s (raw image, written behind the device's
     * back before anything read it). */
    g_autofree uint8_t *pattern = g_malloc(len);
    memset(pattern, 0x33, len);
    FILE *f = fopen(k->path, "r+b");
    g_assert_nonnull(f);
    g_assert_cmpuint(fwrite(pattern, 1, len, f), ==, len);
    g_assert_cmpint(fclose(f), ==, 0);
    ram_fill(DATA, 0xaa, len);
    Seg r = { DATA, len, true };
    post_req(k, 0, 1, T_IN, 0, &r, 1);
    Seg w = { DATA, 4096, false };
    post_req(k, 0, 2, T_OUT, 4096, &w, 1);
    vd_notify(&k->d, 0);
    /* Nothing completes inside the notification. */
    g_assert_cmpuint(vd_used_idx(&k->d, 0), ==, 0);
    vd_wr(&k->d, VD_STATUS, 0);
    /* The read is over when the reset is: its data is in place. */
    g_assert_true(ram_is(DATA, 0x33, len));
    disk_start(k, 0, 1);
    irq->raised = 0;
    /* New requests go through; the old completions arrive meanwhile. */
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmpuint(one_req(k, T_FLUSH, 0, NULL, 0), ==, S_OK);
        Seg small = { DATA + len, 512, true };
        g_assert_cmpuint(one_req(k, T_IN, 0, &small, 1), ==, S_OK);
    }
    g_assert_cmpuint(vd_used_idx(&k->d, 0), ==, 16);
    for (unsigned slot = 0; slot < 16; slot++) {
        uint32_t id, l;
        vd_used_elem(&k->d, 0, slot, &id, &l);
        /* Only the new requests' heads: a FLUSH (2 descriptors) then an
         * IN (3), alternating from descriptor 0 again. */
        g_assert_cmpuint(id, ==, (slot / 2) * 5 + (slot % 2 ? 2 : 0));
    }
    g_assert_true(ram_is(DATA, 0x33, len));
    g_assert_cmpuint(status_of(1), ==, S_UNTOUCHED);
    g_assert_cmpuint(status_of(2), ==, S_UNTOUCHED);
    disk_free(k);
    test_irq_free(irq);
}

/* The device is unplugged with requests in flight: nothing is left
 * behind to run on freed memory (ASan watches). */
static void test_unplug_in_flight(void)
{
    Disk *k = disk_new(NULL, NULL);
    disk_start(k, 0, 1);
    const uint32_t len = 2 * 1024 * 1024;
    Seg r = { DATA, len, true };
    post_req(k, 0, 1, T_IN, 0, &r, 1);
    Seg w = { DATA, len, false };
    post_req(k, 0, 2, T_OUT, 8192, &w, 1);
    post_req(k, 0, 3, T_FLUSH, 0, NULL, 0);
    vd_notify(&k->d, 0);
    ram_fill(STATUS, S_UNTOUCHED, 4);
    harness_destroy(k->dev);
    k->dev = NULL;
    /* Let any stray completion run. */
    for (unsigned i = 0; i < 50; i++) {
        g_main_context_iteration(NULL, FALSE);
    }
    g_assert_true(ram_is(STATUS, S_UNTOUCHED, 4));
    disk_free(k);
}

/* A queue full of 1 MiB writes (all from the same guest buffer, through
 * indirect tables): more than the device's 64 MiB of host buffers at
 * once, so some requests wait for others to free theirs, and every one
 * completes. */
static void test_queue_full_of_large_requests(void)
{
    Disk *k = disk_new(NULL, NULL);
    disk_start(k, VD_F_INDIRECT_DESC, 1);
    const uint32_t len = 1024 * 1024;
    ram_fill(DATA, 0x33, len);
    for (unsigned i = 0; i < QSIZE; i++) {
        uint64_t table = TABLE + 64 * (uint64_t)i;
        write_header(HDRS + 32 * i, T_OUT, (uint64_t)(i % 8) * (len / 512));
        ram_fill(STATUS + i, S_UNTOUCHED, 1);
        vd_desc_at(table, 0, HDRS + 32 * i, 16, VD_DESC_NEXT, 1);
        vd_desc_at(table, 1, DATA, len, VD_DESC_NEXT, 2);
        vd_desc_at(table, 2, STATUS + i, 1, VD_DESC_WRITE, 0);
        vd_desc(&k->d, 0, i, table, 48, VD_DESC_INDIRECT, 0);
        vd_avail(&k->d, 0, i);
    }
    kick_and_wait(k, 0, QSIZE);
    for (unsigned i = 0; i < QSIZE; i++) {
        g_assert_cmpuint(status_of(i), ==, S_OK);
    }
    g_assert_true(file_is(k->path, 0, 8 * len, 0x33));
    disk_free(k);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("virtio-blk-device")) {
        return 0;
    }
    vd_ram_init();
    tmpdir = g_dir_make_tmp("test-virtio-blk-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);

    g_test_add_func("/virtio-blk/identity", test_identity);
    g_test_add_func("/virtio-blk/properties", test_properties);
    g_test_add_func("/virtio-blk/realize-errors", test_realize_errors);
    g_test_add_func("/virtio-blk/read-write", test_read_write);
    g_test_add_func("/virtio-blk/large-request", test_large_request);
    g_test_add_func("/virtio-blk/flush-get-id", test_flush_get_id);
    g_test_add_func("/virtio-blk/discard-write-zeroes",
                    test_discard_write_zeroes);
    g_test_add_func("/virtio-blk/hostile/bad-ranges", test_bad_ranges);
    g_test_add_func("/virtio-blk/hostile/malformed", test_malformed);
    g_test_add_func("/virtio-blk/hostile/no-status-byte",
                    test_no_status_byte);
    g_test_add_func("/virtio-blk/read-only", test_read_only);
    g_test_add_func("/virtio-blk/multiqueue", test_multiqueue);
    g_test_add_func("/virtio-blk/write-cache", test_write_cache);
    g_test_add_func("/virtio-blk/resize", test_resize);
    g_test_add_func("/virtio-blk/hostile/reset-in-flight",
                    test_reset_in_flight);
    g_test_add_func("/virtio-blk/hostile/unplug-in-flight",
                    test_unplug_in_flight);
    g_test_add_func("/virtio-blk/many-large-requests",
                    test_queue_full_of_large_requests);
    int ret = g_test_run();
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return ret;
}
