/*
 * test-dev-pflash.c - the CFI flash of plugins/dev-pflash, loaded from
 * the build tree and driven through system memory the way firmware does:
 * the query table, identifier codes, word and buffered program, block
 * erase, lock bits, status and error bits, the read-array fast path, the
 * image on a block backend written back (never with a read-only drive;
 * what lies beyond the image's end reported to the guest and kept in
 * memory), the device-tree node and bad configurations.
 *
 * Most banks here are the virt board's shape (two x16 chips on a 32-bit
 * bus, 256 KiB blocks) made 1 MiB so they are cheap to create.
 */
#include "dev-harness.h"
#include "memory/memory-dump.h"
#include "block/block-options.h"

#include <glib/gstdio.h>
#include <libfdt.h>
#include <unistd.h>

#define BASE   0x20000000u
#define BLOCK  (256u * 1024)
#define BUF_WORDS 256           /* of 4 bytes: a 1 KiB write buffer */

/* Status register, as seen through two x16 chips: one copy per lane. */
#define SR(x)  ((uint32_t)(x) | (uint32_t)(x) << 16)
#define READY  0x80
#define ERR_ERASE 0x20
#define ERR_PROGRAM 0x10
#define ERR_VPP 0x08
#define ERR_LOCKED 0x02

static uint32_t rd(uint64_t off)
{
    return (uint32_t)mmio_read(BASE + off, 4);
}

static void wr(uint64_t off, uint32_t v)
{
    mmio_write(BASE + off, 4, v);
}

/* A command as firmware writes it to a x16 pair: once per chip. */
static void cmd(uint64_t off, uint8_t c)
{
    wr(off, SR(c));
}

/* A -drive if=none for the image: "drive=ID" (g_free), or NULL + err
 * when the block layer refuses it. */
static char *drive_prop(const char *file, bool readonly, GError **err)
{
    static unsigned n;
    g_autofree char *id = g_strdup_printf("d%u", n++);
    g_autofree char *arg = g_strdup_printf("if=none,id=%s,format=raw,"
                                           "file=%s%s", id, file,
                                           readonly ? ",readonly=on" : "");
    if (!block_drive_add(arg, err) || !block_options_open(err)) {
        return NULL;
    }
    return g_strdup_printf("drive=%s", id);
}

static TsDevice *bank(const char *name, uint64_t addr, const char *size,
                      const char *file, bool readonly)
{
    g_autofree char *a = g_strdup_printf("addr=0x%" PRIx64, addr);
    g_autofree char *s = g_strdup_printf("size=%s", size);
    g_autoptr(GError) err = NULL;
    g_autofree char *d = file ? drive_prop(file, readonly, &err) : NULL;
    g_assert_no_error(err);
    const char *props[] = {
        a, s, "bank-width=4", "device-width=2", "sector-length=256K", d,
        NULL,
    };
    return harness_device("cfi.pflash01", name, NULL, props);
}

static TsDevice *blank_bank(void)
{
    return bank("flash", BASE, "1M", NULL, false);
}

/* A temporary file of `len` bytes of `fill`; g_free the path. */
static char *temp_image(size_t len, uint8_t fill)
{
    char *path = NULL;
    GError *err = NULL;
    int fd = g_file_open_tmp("pflash-XXXXXX.img", &path, &err);
    g_assert_no_error(err);
    close(fd);
    g_autofree uint8_t *bytes = g_malloc(len ? len : 1);
    memset(bytes, fill, len);
    g_assert_true(g_file_set_contents(path, (char *)bytes, (gssize)len,
                                      NULL));
    return path;
}

static GBytes *file_bytes(const char *path)
{
    block_drain_all();          /* the bank writes in the background */
    gchar *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    return g_bytes_new_take(data, len);
}

static uint8_t file_byte(GBytes *b, size_t at)
{
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    g_assert_cmpuint(at, <, len);
    return p[at];
}

/* ------------------------------------------------------------------ */

static void test_query(void)
{
    TsDevice *dev = bank("flash", BASE, "32M", NULL, false);
    cmd(0x55 * 4, 0x98);
    /* Chip word n is bus word n: 'Q' 'R' 'Y' at 0x10..0x12, per lane. */
    g_assert_cmphex(rd(0x10 * 4), ==, SR('Q'));
    g_assert_cmphex(rd(0x11 * 4), ==, SR('R'));
    g_assert_cmphex(rd(0x12 * 4), ==, SR('Y'));
    g_assert_cmphex(mmio_read(BASE + 0x40, 1), ==, 'Q');
    g_assert_cmphex(mmio_read(BASE + 0x41, 1), ==, 0);
    g_assert_cmphex(mmio_read(BASE + 0x42, 2), ==, 'Q');
    g_assert_cmphex(rd(0x13 * 4), ==, SR(0x01));   /* Intel/Sharp 0x0001 */
    g_assert_cmphex(rd(0x14 * 4), ==, 0);
    g_assert_cmphex(rd(0x15 * 4), ==, SR(0x31));   /* extended table */
    g_assert_cmphex(rd(0x27 * 4), ==, SR(24));     /* 16 MiB per chip */
    g_assert_cmphex(rd(0x28 * 4), ==, SR(0x01));   /* x16 */
    g_assert_cmphex(rd(0x2a * 4), ==, SR(9));      /* 512-byte buffer */
    g_assert_cmphex(rd(0x2c * 4), ==, SR(1));      /* one region */
    g_assert_cmphex(rd(0x2d * 4), ==, SR(0x7f));   /* 128 blocks */
    g_assert_cmphex(rd(0x2e * 4), ==, 0);
    g_assert_cmphex(rd(0x2f * 4), ==, 0);          /* of 0x200 * 256 */
    g_assert_cmphex(rd(0x30 * 4), ==, SR(0x02));
    g_assert_cmphex(rd(0x31 * 4), ==, SR('P'));
    g_assert_cmphex(rd(0x32 * 4), ==, SR('R'));
    g_assert_cmphex(rd(0x33 * 4), ==, SR('I'));
    g_assert_cmphex(rd(0x34 * 4), ==, SR('1'));
    g_assert_cmphex(rd(0x35 * 4), ==, SR('0'));
    g_assert_cmphex(rd(0x1000 * 4), ==, 0);        /* past the table */
    cmd(0, 0xff);
    g_assert_cmphex(rd(0x40), ==, 0xffffffff);     /* erased contents */
    harness_destroy(dev);

    /* One x32 chip on the same bus answers in one lane. */
    const char *x32[] = { "addr=0x20000000", "size=1M", "bank-width=4",
                          NULL };
    dev = harness_device("cfi.pflash01", "x32", NULL, x32);
    wr(0x55 * 4, 0x98);
    g_assert_cmphex(rd(0x10 * 4), ==, 'Q');
    g_assert_cmphex(rd(0x27 * 4), ==, 20);          /* 1 MiB */
    g_assert_cmphex(rd(0x28 * 4), ==, 0x03);        /* x32 */
    g_assert_cmphex(rd(0x2a * 4), ==, 10);          /* 1 KiB buffer */
    g_assert_cmphex(rd(0x2d * 4), ==, 3);           /* 4 blocks */
    g_assert_cmphex(rd(0x30 * 4), ==, 0x04);        /* of 1024 * 256 */
    harness_destroy(dev);
}

static void test_identifier(void)
{
    TsDevice *dev = blank_bank();
    cmd(0, 0x90);
    g_assert_cmphex(rd(0), ==, SR(0x89));           /* Intel */
    g_assert_cmphex(rd(4), ==, SR(0x18));
    g_assert_cmphex(rd(BLOCK + 8), ==, 0);          /* block 1 unlocked */
    cmd(BLOCK, 0x60);
    cmd(BLOCK, 0x01);
    cmd(0, 0x90);
    g_assert_cmphex(rd(BLOCK + 8), ==, SR(1));
    g_assert_cmphex(rd(8), ==, 0);
    cmd(0, 0xff);
    harness_destroy(dev);
}

static void test_program(void)
{
    TsDevice *dev = blank_bank();
    cmd(0, 0x50);
    cmd(0x100, 0x40);
    g_assert_cmphex(rd(0x100), ==, SR(READY));      /* status while pending */
    wr(0x100, 0x12345678);
    g_assert_cmphex(rd(0), ==, SR(READY));          /* status after it */
    cmd(0, 0xff);
    g_assert_cmphex(rd(0x100), ==, 0x12345678);
    /* Programming only clears bits. */
    cmd(0x100, 0x10);
    wr(0x100, 0xffff00ff);
    cmd(0, 0x00);                                   /* read array too */
    g_assert_cmphex(rd(0x100), ==, 0x12340078);
    /* A narrow program changes only its bytes. */
    cmd(0x200, 0x40);
    mmio_write(BASE + 0x202, 2, 0xbeef);
    cmd(0, 0xff);
    g_assert_cmphex(rd(0x200), ==, 0xbeefffff);
    /* Status is not touched by reads in read-array mode. */
    cmd(0, 0x70);
    g_assert_cmphex(rd(0x12340), ==, SR(READY));
    cmd(0, 0xff);
    harness_destroy(dev);
}

static void test_buffered_program(void)
{
    TsDevice *dev = blank_bank();
    uint64_t at = BLOCK + 0x400;
    cmd(BLOCK, 0xe8);
    g_assert_cmphex(rd(BLOCK), ==, SR(READY));      /* buffer available */
    wr(BLOCK, SR(3));                               /* 4 words */
    for (unsigned i = 0; i < 4; i++) {
        wr(at + 4 * i, 0xa0a0a0a0 + i);
    }
    cmd(BLOCK, 0xd0);
    g_assert_cmphex(rd(BLOCK), ==, SR(READY));
    cmd(0, 0xff);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmphex(rd(at + 4 * i), ==, 0xa0a0a0a0 + i);
    }
    g_assert_cmphex(rd(at + 16), ==, 0xffffffff);

    /* A full buffer. */
    cmd(0, 0xe8);
    wr(0, SR(BUF_WORDS - 1));
    for (unsigned i = 0; i < BUF_WORDS; i++) {
        wr(0x800 + 4 * i, i);
    }
    cmd(0, 0xd0);
    cmd(0, 0xff);
    g_assert_cmphex(rd(0x800), ==, 0);
    g_assert_cmphex(rd(0x800 + 4 * (BUF_WORDS - 1)), ==, BUF_WORDS - 1);

    /* Confirmed with something else: nothing programmed, SR.4 + SR.5. */
    cmd(0, 0xe8);
    wr(0, SR(0));
    wr(0x20000, 0);
    cmd(0, 0x70);                                   /* not 0xd0 */
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_ERASE | ERR_PROGRAM));
    cmd(0, 0xff);
    g_assert_cmphex(rd(0x20000), ==, 0xffffffff);
    cmd(0, 0x50);
    cmd(0, 0x70);
    g_assert_cmphex(rd(0), ==, SR(READY));

    /* More words than the buffer holds. */
    cmd(0, 0xe8);
    wr(0, SR(BUF_WORDS));
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_ERASE | ERR_PROGRAM));
    cmd(0, 0x50);

    /* A word outside the buffer's window, or in another block. */
    cmd(0, 0xe8);
    wr(0, SR(1));
    wr(0x30000, 0);
    wr(0x30000 + 1024, 0);
    cmd(0, 0xd0);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_ERASE | ERR_PROGRAM));
    cmd(0, 0x50);
    cmd(0, 0xe8);
    wr(0, SR(0));
    wr(BLOCK + 0x30000, 0);
    cmd(0, 0xd0);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_ERASE | ERR_PROGRAM));
    cmd(0, 0x50);
    cmd(0, 0xff);
    g_assert_cmphex(rd(0x30000), ==, 0xffffffff);
    g_assert_cmphex(rd(BLOCK + 0x30000), ==, 0xffffffff);
    harness_destroy(dev);
}

static void test_erase(void)
{
    TsDevice *dev = blank_bank();
    for (unsigned b = 0; b < 3; b++) {
        cmd(b * BLOCK + 0x10, 0x40);
        wr(b * BLOCK + 0x10, 0);
    }
    cmd(BLOCK + 0x1234, 0x20);                  /* any address in it */
    cmd(BLOCK + 0x1234, 0xd0);
    g_assert_cmphex(rd(0), ==, SR(READY));
    cmd(0, 0xff);
    g_assert_cmphex(rd(BLOCK + 0x10), ==, 0xffffffff);
    g_assert_cmphex(rd(0x10), ==, 0);           /* neighbours kept */
    g_assert_cmphex(rd(2 * BLOCK + 0x10), ==, 0);

    /* Bad confirm: SR.4 + SR.5, nothing erased, sticky until 0x50. */
    cmd(0, 0x20);
    cmd(0, 0x55);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_ERASE | ERR_PROGRAM));
    cmd(0, 0xff);
    g_assert_cmphex(rd(0x10), ==, 0);
    cmd(0, 0x70);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_ERASE | ERR_PROGRAM));
    cmd(0, 0x50);
    g_assert_cmphex(rd(0), ==, SR(READY));
    cmd(0, 0xff);
    harness_destroy(dev);
}

static void test_lock(void)
{
    TsDevice *dev = blank_bank();
    cmd(BLOCK, 0x60);
    cmd(BLOCK, 0x01);
    g_assert_cmphex(rd(BLOCK), ==, SR(READY));
    cmd(BLOCK, 0x40);
    wr(BLOCK, 0);
    g_assert_cmphex(rd(BLOCK), ==, SR(READY | ERR_PROGRAM | ERR_LOCKED));
    cmd(0, 0x50);
    cmd(BLOCK, 0x20);
    cmd(BLOCK, 0xd0);
    g_assert_cmphex(rd(BLOCK), ==, SR(READY | ERR_ERASE | ERR_LOCKED));
    cmd(0, 0x50);
    cmd(BLOCK, 0xe8);
    wr(BLOCK, SR(0));
    wr(BLOCK, 0);
    cmd(BLOCK, 0xd0);
    g_assert_cmphex(rd(BLOCK), ==, SR(READY | ERR_PROGRAM | ERR_LOCKED));
    cmd(0, 0x50);
    cmd(0, 0xff);
    g_assert_cmphex(rd(BLOCK), ==, 0xffffffff);

    /* Other blocks are not affected; unlock makes it writable again. */
    cmd(0, 0x40);
    wr(0, 0);
    g_assert_cmphex(rd(0), ==, SR(READY));
    cmd(BLOCK, 0x60);
    cmd(BLOCK, 0xd0);
    cmd(BLOCK, 0x40);
    wr(BLOCK, 0x11111111);
    g_assert_cmphex(rd(0), ==, SR(READY));

    /* A bad lock command is a sequence error. */
    cmd(0, 0x60);
    cmd(0, 0x77);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_ERASE | ERR_PROGRAM));

    /* Reset: read-array, clean status, locks gone. */
    cmd(BLOCK, 0x60);
    cmd(BLOCK, 0x2f);                           /* lock-down */
    ts_device_reset(dev);
    g_assert_cmphex(rd(BLOCK), ==, 0x11111111);
    cmd(0, 0x70);
    g_assert_cmphex(rd(0), ==, SR(READY));
    cmd(0, 0x90);
    g_assert_cmphex(rd(BLOCK + 8), ==, 0);
    cmd(0, 0xff);
    harness_destroy(dev);
}

/* Guests write anything anywhere: the chip ends up in some mode, never
 * crashes, and 0x50 + 0xff always bring it back. */
static void test_garbage(void)
{
    TsDevice *dev = blank_bank();
    cmd(0, 0x40);
    wr(0, 0x5a5a5a5a);
    GRand *rand = g_rand_new_with_seed(5);
    for (unsigned i = 0; i < 20000; i++) {
        uint64_t off = g_rand_int_range(rand, 0, 1 << 20);
        unsigned size = 1u << g_rand_int_range(rand, 0, 4);
        off &= ~(uint64_t)(size - 1);
        uint64_t v = (uint64_t)g_rand_int(rand) << 32 | g_rand_int(rand);
        /* Mostly real commands, so that sequences go somewhere. */
        static const uint8_t cmds[] = { 0x40, 0x10, 0x20, 0xd0, 0x60, 0x01,
                                        0xe8, 0x70, 0x90, 0x98, 0xff, 0x50,
                                        0xb0, 0x2f, 0x00, 0x03 };
        if (g_rand_boolean(rand)) {
            v = cmds[g_rand_int_range(rand, 0, G_N_ELEMENTS(cmds))];
        }
        if (g_rand_int_range(rand, 0, 8) == 0) {
            uint64_t r;
            g_assert_cmpint(ts_address_space_load(ts_address_space_system(),
                                                  BASE + off, size, &r),
                            ==, TS_MEM_OK);
        } else {
            mmio_write(BASE + off, size, v);
        }
    }
    g_rand_free(rand);
    ts_device_reset(dev);                       /* locks, pending words */
    cmd(0, 0x50);
    cmd(0, 0x70);
    g_assert_cmphex(rd(0), ==, SR(READY));
    cmd(0, 0xff);
    cmd(0, 0x98);
    g_assert_cmphex(rd(0x40), ==, SR('Q'));
    cmd(0, 0xff);
    harness_destroy(dev);
}

/* In read-array mode the bank is host memory for the CPU (ROM-fast); in
 * any other mode reads come from the state machine. */
static void test_fast_path(void)
{
    TsDevice *dev = blank_bank();
    TsAddressSpace *as = ts_address_space_system();
    /* A bank without a file reads erased through MMIO, its memory not yet
     * filled; the first program gives it contents and the fast path. */
    g_assert_null(ts_address_space_ram_ptr(as, BASE, 4, false));
    g_assert_cmphex(rd(0), ==, 0xffffffff);
    g_assert_cmphex(rd(BLOCK - 4), ==, 0xffffffff);
    cmd(0x40, 0x40);
    wr(0x40, 0xcafef00d);
    cmd(0, 0xff);
    uint32_t *p = ts_address_space_ram_ptr(as, BASE + 0x40, 4, false);
    g_assert_nonnull(p);
    g_assert_cmphex(*p, ==, 0xcafef00d);
    g_assert_cmphex(rd(0x44), ==, 0xffffffff);
    g_assert_cmphex(rd(BLOCK + 0x40), ==, 0xffffffff);
    g_assert_null(ts_address_space_ram_ptr(as, BASE, 4, true));
    uint64_t gen = ts_address_space_generation(as);

    cmd(0, 0x70);
    g_assert_null(ts_address_space_ram_ptr(as, BASE + 0x40, 4, false));
    g_assert_cmpuint(ts_address_space_generation(as), !=, gen);
    g_assert_cmphex(rd(0x40), ==, SR(READY));
    cmd(0, 0x20);                               /* pending: still MMIO */
    g_assert_null(ts_address_space_ram_ptr(as, BASE + 0x40, 4, false));
    cmd(0, 0xd0);
    cmd(0, 0xff);
    g_assert_nonnull(ts_address_space_ram_ptr(as, BASE + 0x40, 4, false));
    g_assert_cmphex(rd(0x40), ==, 0xffffffff);

    /* An unknown command leaves the fast path in place. */
    gen = ts_address_space_generation(as);
    wr(0x80, 0x12345678);
    g_assert_cmpuint(ts_address_space_generation(as), ==, gen);
    g_assert_cmphex(rd(0x80), ==, 0xffffffff);

    g_autofree char *mtree = ts_address_space_mtree(as);
    g_assert_nonnull(strstr(mtree, "romd): pflash@20000000.array"));
    g_assert_nonnull(strstr(mtree, "mmio): pflash@20000000.cmd"));
    harness_destroy(dev);
    g_assert_null(ts_address_space_ram_ptr(as, BASE, 4, false));
}

static void test_file(void)
{
    g_autofree char *path = temp_image(4096 + 1, 0x3c);
    TsDevice *dev = bank("flash", BASE, "1M", path, false);
    g_assert_cmphex(rd(0), ==, 0x3c3c3c3c);
    g_assert_cmphex(rd(4096), ==, 0xffffff3c);      /* padded erased */
    g_assert_cmphex(rd(0x80000), ==, 0xffffffff);

    cmd(0x10, 0x40);
    wr(0x10, 0x01020304);
    g_autoptr(GBytes) b = file_bytes(path);
    g_assert_cmpuint(g_bytes_get_size(b), ==, 4096 + 1);
    g_assert_cmphex(file_byte(b, 0x10), ==, 0x04 & 0x3c);
    g_assert_cmphex(file_byte(b, 0x13), ==, 0x01 & 0x3c);

    /* A program past the end of the image cannot be saved (a drive does
     * not grow): the guest gets a program error, reads its data from the
     * bank, and the file is unchanged. */
    cmd(2 * BLOCK, 0xe8);
    wr(2 * BLOCK, SR(1));
    wr(2 * BLOCK + 8, 0x11223344);
    wr(2 * BLOCK + 12, 0x55667788);
    cmd(2 * BLOCK, 0xd0);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_PROGRAM));
    cmd(0, 0x50);
    cmd(0, 0xff);
    g_assert_cmphex(rd(2 * BLOCK + 8), ==, 0x11223344);
    g_bytes_unref(b);
    b = file_bytes(path);
    g_assert_cmpuint(g_bytes_get_size(b), ==, 4096 + 1);

    /* Erase writes the whole block back. */
    cmd(0, 0x20);
    cmd(0, 0xd0);
    g_bytes_unref(b);
    b = file_bytes(path);
    g_assert_cmphex(file_byte(b, 0), ==, 0xff);
    g_assert_cmphex(file_byte(b, 0x10), ==, 0xff);
    g_assert_cmphex(file_byte(b, 4096), ==, 0xff);
    cmd(0, 0xff);

    /* The same image for a second bank (its own drive) is refused: the
     * first bank writes it and lets nobody else (QEMU's image locks). */
    g_autoptr(GError) err = NULL;
    g_autofree char *f = drive_prop(path, false, &err);
    g_assert_no_error(err);
    const char *again[] = { "addr=0x30000000", "size=1M", f, NULL };
    TsDevice *other = harness_try_device("cfi.pflash01", "other", again,
                                         &err);
    g_assert_false(ts_device_realize(other, &err));
    if (!strstr(err->message, "Failed to get \"write\" lock")) {
        g_error("second bank: %s", err->message);
    }
    harness_destroy(other);
    g_clear_error(&err);

    /* What the file holds survives the device. */
    harness_destroy(dev);
    dev = bank("flash", BASE, "1M", path, false);
    g_assert_cmphex(rd(0), ==, 0xffffffff);
    g_assert_cmphex(rd(0x10), ==, 0xffffffff);
    harness_destroy(dev);
    g_unlink(path);
}

static void test_file_errors(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *big = temp_image(1024 * 1024 + 1, 0);
    g_autofree char *f = drive_prop(big, false, &err);
    g_assert_no_error(err);
    const char *too_big[] = { "addr=0x20000000", "size=1M", f, NULL };
    TsDevice *dev = harness_try_device("cfi.pflash01", "big", too_big, &err);
    g_assert_false(ts_device_realize(dev, &err));
    g_assert_nonnull(strstr(err->message, "1048577 bytes"));
    g_assert_nonnull(strstr(err->message, "(1048576 bytes)"));
    harness_destroy(dev);
    g_clear_error(&err);
    g_unlink(big);

    /* The block layer refuses what is no image before a bank sees it. */
    g_assert_null(drive_prop("/nonexistent/flash.img", false, &err));
    g_assert_nonnull(strstr(err->message, "/nonexistent/flash.img"));
    g_clear_error(&err);
    g_assert_null(drive_prop("/", true, &err));
    g_assert_nonnull(strstr(err->message, "is not a file"));
    g_clear_error(&err);

    const char *unknown[] = { "addr=0x20000000", "size=1M", "drive=nope",
                              NULL };
    dev = harness_try_device("cfi.pflash01", "unknown", unknown, &err);
    g_assert_false(ts_device_realize(dev, &err));
    g_assert_nonnull(strstr(err->message, "can't find value 'nope'"));
    harness_destroy(dev);
    g_clear_error(&err);
}

static void test_readonly(void)
{
    g_autofree char *path = temp_image(BLOCK, 0x5a);
    TsDevice *dev = bank("flash", BASE, "1M", path, true);
    cmd(0, 0x40);
    wr(0, 0);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_PROGRAM | ERR_VPP));
    cmd(0, 0x50);
    cmd(0, 0x20);
    cmd(0, 0xd0);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_ERASE | ERR_VPP));
    cmd(0, 0x50);
    cmd(0, 0xe8);
    wr(0, SR(0));
    wr(0, 0);
    cmd(0, 0xd0);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_PROGRAM | ERR_VPP));
    cmd(0, 0xff);
    g_assert_cmphex(rd(0), ==, 0x5a5a5a5a);
    harness_destroy(dev);
    g_autoptr(GBytes) b = file_bytes(path);
    g_assert_cmpuint(g_bytes_get_size(b), ==, BLOCK);
    g_assert_cmphex(file_byte(b, 0), ==, 0x5a);
    g_unlink(path);
}

/* Writes inside the image are saved while one beyond its end is not:
 * each program is written on its own, so the failed one loses nothing
 * of the others. */
static void test_write_beyond(void)
{
    g_autofree char *path = temp_image(4096, 0xee);
    TsDevice *dev = bank("flash", BASE, "1M", path, false);
    cmd(0x2000, 0x40);
    wr(0x2000, 0x0badf00d);
    g_assert_cmphex(rd(0), ==, SR(READY | ERR_PROGRAM));
    cmd(0, 0x50);
    cmd(0, 0xff);
    g_assert_cmphex(rd(0x2000), ==, 0x0badf00d);
    cmd(0x10, 0x40);
    wr(0x10, 0);
    g_assert_cmphex(rd(0), ==, SR(READY));
    g_autoptr(GBytes) b = file_bytes(path);
    g_assert_cmpuint(g_bytes_get_size(b), ==, 4096);
    g_assert_cmphex(file_byte(b, 0x10), ==, 0);
    g_assert_cmphex(file_byte(b, 0x14), ==, 0xee);
    cmd(0, 0xff);
    harness_destroy(dev);
    g_unlink(path);
}

static uint32_t cell(const void *fdt, int node, const char *name, int i)
{
    int n;
    const fdt32_t *p = harness_fdt_cells(fdt, node, name, &n);
    g_assert_cmpint(n, >, i);
    return fdt32_to_cpu(p[i]);
}

/* Two banks back to back share a node (one reg entry each), as QEMU's
 * virt describes them; a bank elsewhere gets its own. */
static void test_fdt(void)
{
    TsDevice *a = bank("flash0", BASE, "1M", NULL, false);
    TsDevice *b = bank("flash1", BASE + 0x100000, "1M", NULL, false);
    const char *far[] = { "addr=0x40000000", "size=1M", "bank-width=2",
                          NULL };
    TsDevice *c = harness_device("cfi.pflash01", "flash2", NULL, far);

    int soc;
    g_autofree void *fdt = harness_fdt_with_soc(2, 2, &soc);
    TsFdtContext ctx = { .fdt = fdt, .parent_path = "/soc", .parent = soc,
                         .addr_cells = 2, .size_cells = 2 };
    g_autoptr(GError) err = NULL;
    g_assert_true(ts_fdt_add_device_nodes(&ctx, &err));
    g_assert_no_error(err);

    int node = fdt_path_offset(fdt, "/soc/flash@20000000");
    g_assert_cmpint(node, >=, 0);
    g_assert_cmpstr(fdt_getprop(fdt, node, "compatible", NULL), ==,
                    "cfi-flash");
    g_assert_cmpuint(cell(fdt, node, "bank-width", 0), ==, 4);
    int len;
    g_assert_nonnull(fdt_getprop(fdt, node, "reg", &len));
    g_assert_cmpint(len, ==, 32);
    g_assert_cmphex(cell(fdt, node, "reg", 1), ==, BASE);
    g_assert_cmphex(cell(fdt, node, "reg", 3), ==, 0x100000);
    g_assert_cmphex(cell(fdt, node, "reg", 5), ==, BASE + 0x100000);
    g_assert_cmphex(cell(fdt, node, "reg", 7), ==, 0x100000);
    g_assert_cmpint(fdt_path_offset(fdt, "/soc/flash@20100000"), <, 0);
    int other = fdt_path_offset(fdt, "/soc/flash@40000000");
    g_assert_cmpint(other, >=, 0);
    g_assert_cmpuint(cell(fdt, other, "bank-width", 0), ==, 2);
    harness_destroy(c);
    harness_destroy(b);
    harness_destroy(a);
}

static void expect_refused(const char *const *props, const char *what)
{
    g_autoptr(GError) err = NULL;
    TsDevice *dev = harness_try_device("cfi.pflash01", "bad", props, &err);
    g_assert_no_error(err);
    g_assert_false(ts_device_realize(dev, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, what)) {
        g_error("expected '%s' in: %s", what, err->message);
    }
    harness_destroy(dev);
}

static void test_bad_config(void)
{
    const char *width[] = { "size=1M", "bank-width=3", NULL };
    expect_refused(width, "bank-width 3");
    const char *dwidth[] = { "size=1M", "bank-width=2", "device-width=4",
                             NULL };
    expect_refused(dwidth, "device-width 4");
    const char *nosize[] = { NULL };
    expect_refused(nosize, "size 0");
    const char *odd[] = { "size=3M", NULL };
    expect_refused(odd, "size 3145728");
    const char *huge[] = { "size=4G", NULL };
    expect_refused(huge, "power of two up to");
    const char *sector[] = { "size=1M", "sector-length=2M", NULL };
    expect_refused(sector, "sector-length");
    const char *tiny[] = { "size=1M", "sector-length=512", NULL };
    expect_refused(tiny, "sector-length 512");
    const char *wrap[] = { "size=1M", "addr=0xfffffffffff00001", NULL };
    expect_refused(wrap, "leaves no room");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!harness_init("cfi.pflash01")) {
        return 0;
    }
    g_test_add_func("/pflash/query", test_query);
    g_test_add_func("/pflash/identifier", test_identifier);
    g_test_add_func("/pflash/program", test_program);
    g_test_add_func("/pflash/buffered-program", test_buffered_program);
    g_test_add_func("/pflash/erase", test_erase);
    g_test_add_func("/pflash/lock", test_lock);
    g_test_add_func("/pflash/garbage", test_garbage);
    g_test_add_func("/pflash/fast-path", test_fast_path);
    g_test_add_func("/pflash/file", test_file);
    g_test_add_func("/pflash/file-errors", test_file_errors);
    g_test_add_func("/pflash/readonly", test_readonly);
    g_test_add_func("/pflash/write-beyond", test_write_beyond);
    g_test_add_func("/pflash/fdt", test_fdt);
    g_test_add_func("/pflash/bad-config", test_bad_config);
    return g_test_run();
}
