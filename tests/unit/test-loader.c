/*
 * test-loader.c - the image loaders (ELF, uImage, Intel HEX, raw) and the
 * generic loader device (-device loader).
 *
 * Images are built byte by byte here, written to a temporary directory and
 * loaded into the system address space, which holds ROM at 0x1000, RAM at
 * 0x80000000 and a register block at 0x10000000.  Every malformed image
 * must be refused with a message that names the file, and must leave
 * memory untouched.
 */
#include "loader/loader-internal.h"
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include "loader/reset-fixups.h"
#include "device/devices.h"
#include "loop/main-loop.h"

#include <tessera/cpu.h>
#include <tessera/device.h>
#include <tessera/loop.h>
#include <elf.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <zlib.h>

#define ROM_BASE  UINT64_C(0x1000)
#define ROM_SIZE  UINT64_C(0x1000)
#define RAM_BASE  UINT64_C(0x80000000)
#define RAM_SIZE  UINT64_C(0x100000)
#define MMIO_BASE UINT64_C(0x10000000)
#define FILL 0xaa

static char *tmpdir;
static TsAddressSpace *as;

/* ------------------------------------------------------------------ */
/* The machine's memory and a register block that records writes       */

typedef struct Regs {
    unsigned writes;
    uint64_t last_addr, last_val;
    unsigned last_size;
} Regs;

static Regs regs;

static void regs_write(void *opaque, uint64_t addr, uint64_t val,
                       unsigned size)
{
    Regs *r = opaque;
    r->writes++;
    r->last_addr = addr;
    r->last_val = val;
    r->last_size = size;
}

static const TsMemoryOps regs_ops = { .write = regs_write, .valid_min = 4,
                                      .valid_max = 4 };

static void setup_memory(void)
{
    TsMemoryRegion *sys = ts_machine_system_memory();
    TsMemoryRegion *rom = ts_memory_region_new_rom("rom", ROM_SIZE, NULL);
    TsMemoryRegion *ram = ts_memory_region_new_ram("ram", RAM_SIZE, NULL);
    TsMemoryRegion *mmio = ts_memory_region_new_mmio("regs", 0x100,
                                                     &regs_ops, &regs);
    ts_memory_region_add_subregion(sys, ROM_BASE, rom, 0);
    ts_memory_region_add_subregion(sys, RAM_BASE, ram, 0);
    ts_memory_region_add_subregion(sys, MMIO_BASE, mmio, 0);
    ts_memory_region_unref(rom);
    ts_memory_region_unref(ram);
    ts_memory_region_unref(mmio);
    as = ts_address_space_system();
}

/* Fill RAM and ROM with FILL, so that writes (and zero fill) show. */
static void fill_memory(void)
{
    static uint8_t buf[RAM_SIZE];
    memset(buf, FILL, sizeof(buf));
    g_assert_true(ts_load_bytes(as, RAM_BASE, buf, RAM_SIZE, NULL));
    g_assert_true(ts_load_bytes(as, ROM_BASE, buf, ROM_SIZE, NULL));
}

static uint8_t *guest(uint64_t addr, uint64_t len)
{
    uint8_t *p = ts_address_space_ram_ptr(as, addr, len, false);
    g_assert_nonnull(p);
    return p;
}

static void assert_bytes(uint64_t addr, const void *want, size_t len)
{
    g_assert_cmpmem(guest(addr, len), len, want, len);
}

static void assert_filled(uint64_t addr, size_t len, uint8_t value)
{
    const uint8_t *p = guest(addr, len);
    for (size_t i = 0; i < len; i++) {
        if (p[i] != value) {
            g_error("byte at 0x%" PRIx64 " is 0x%02x, not 0x%02x",
                    addr + i, p[i], value);
        }
    }
}

/* Memory untouched since fill_memory(). */
static void assert_untouched(void)
{
    assert_filled(RAM_BASE, RAM_SIZE, FILL);
    assert_filled(ROM_BASE, ROM_SIZE, FILL);
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

static char *write_file(const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    /* stdio rather than g_file_set_contents: no fsync for hundreds of
     * throwaway files. */
    FILE *f = fopen(path, "wb");
    g_assert_nonnull(f);
    g_assert_cmpuint(fwrite(data, 1, len, f), ==, len);
    g_assert_cmpint(fclose(f), ==, 0);
    return path;
}

static void load_ok(const char *path, unsigned formats, uint64_t raw_addr,
                    TsLoadedImage *img)
{
    GError *err = NULL;
    memset(img, 0x5a, sizeof(*img));
    if (!ts_load_image(as, path, formats, raw_addr, 0, img, &err)) {
        g_error("loading %s: %s", path, err->message);
    }
}

/* The load fails, names the file, says `fragment` and writes nothing. */
static void load_fails(const char *path, unsigned formats, uint64_t max,
                       const char *fragment)
{
    GError *err = NULL;
    TsLoadedImage img;
    fill_memory();
    g_assert_false(ts_load_image(as, path, formats, RAM_BASE, max, &img,
                                 &err));
    g_assert_nonnull(err);
    g_test_message("%s", err->message);
    if (!strstr(err->message, path) || !strstr(err->message, fragment)) {
        g_error("message '%s' lacks '%s' or '%s'", err->message, path,
                fragment);
    }
    g_error_free(err);
    assert_untouched();
}

#define ANY (TS_IMAGE_ELF | TS_IMAGE_UIMAGE | TS_IMAGE_IHEX | TS_IMAGE_RAW)

static void put(GByteArray *b, size_t off, uint64_t v, unsigned size)
{
    g_assert_cmpuint(off + size, <=, b->len);
    for (unsigned i = 0; i < size; i++) {
        b->data[off + i] = v >> (8 * i);
    }
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static char *save(const char *name, GByteArray *b)
{
    char *path = write_file(name, b->data, b->len);
    g_byte_array_unref(b);
    return path;
}

/* ------------------------------------------------------------------ */
/* ELF                                                                 */

typedef struct Seg {
    uint32_t type;
    uint64_t paddr;
    const void *data;
    uint64_t filesz, memsz;
} Seg;

/* Offsets of the fields the tests patch, per class. */
typedef struct ElfOff {
    unsigned ehsize, phsize, word, entry, phoff, phentsize, phnum;
    unsigned p_offset, p_paddr, p_filesz, p_memsz;
} ElfOff;

static const ElfOff off32 = { 52, 32, 4, 24, 28, 42, 44, 4, 12, 16, 20 };
static const ElfOff off64 = { 64, 56, 8, 24, 32, 54, 56, 8, 24, 32, 40 };

static const ElfOff *elf_off(int cls)
{
    return cls == 32 ? &off32 : &off64;
}

/* Little-endian executable; phdrs right after the header, then data. */
static GByteArray *elf_build(int cls, uint64_t entry, const Seg *segs,
                             unsigned n)
{
    const ElfOff *o = elf_off(cls);
    GByteArray *b = g_byte_array_new();
    g_byte_array_set_size(b, o->ehsize + n * o->phsize);
    memset(b->data, 0, b->len);
    memcpy(b->data, "\x7f" "ELF", 4);
    b->data[4] = cls == 32 ? 1 : 2;     /* EI_CLASS */
    b->data[5] = 1;                     /* little-endian */
    b->data[6] = 1;                     /* EV_CURRENT */
    put(b, 16, 2, 2);                   /* ET_EXEC */
    put(b, 18, 243, 2);                 /* EM_RISCV */
    put(b, 20, 1, 4);
    put(b, o->entry, entry, o->word);
    put(b, o->phoff, o->ehsize, o->word);
    put(b, cls == 32 ? 40 : 52, o->ehsize, 2);      /* e_ehsize */
    put(b, o->phentsize, o->phsize, 2);
    put(b, o->phnum, n, 2);
    for (unsigned i = 0; i < n; i++) {
        size_t ph = o->ehsize + i * o->phsize;
        put(b, ph, segs[i].type, 4);
        put(b, ph + o->p_offset, b->len, o->word);
        put(b, ph + o->p_paddr, segs[i].paddr, o->word);
        put(b, ph + o->p_filesz, segs[i].filesz, o->word);
        put(b, ph + o->p_memsz, segs[i].memsz, o->word);
        g_byte_array_append(b, segs[i].data, segs[i].filesz);
    }
    return b;
}

static size_t phdr_at(int cls, unsigned i)
{
    return elf_off(cls)->ehsize + i * elf_off(cls)->phsize;
}

static const uint8_t code[] = { 0x13, 0x05, 0x10, 0x00, 0x73, 0x00, 0x10,
                                0x00, 0x6f, 0x00, 0x00, 0x00 };
static const uint8_t rodata[] = "read-only data";

static void check_elf(int cls)
{
    static const uint8_t note[] = "not loaded";
    Seg segs[] = {
        { PT_LOAD, RAM_BASE + 0x100, code, sizeof(code), 0x1000 },
        { 4 /* PT_NOTE */, RAM_BASE, note, sizeof(note), sizeof(note) },
        { PT_LOAD, ROM_BASE + 0x10, rodata, sizeof(rodata),
          sizeof(rodata) },
        { PT_LOAD, RAM_BASE + 0x8000, NULL, 0, 0 },     /* empty */
    };
    g_autofree char *path = save(cls == 32 ? "a32.elf" : "a64.elf",
                                 elf_build(cls, RAM_BASE + 0x104, segs, 4));
    fill_memory();
    TsLoadedImage img;
    load_ok(path, ANY, 0, &img);
    g_assert_cmpint(img.format, ==, TS_IMAGE_ELF);
    g_assert_true(img.has_entry);
    g_assert_cmphex(img.entry, ==, RAM_BASE + 0x104);
    g_assert_cmphex(img.low, ==, ROM_BASE + 0x10);
    g_assert_cmphex(img.high, ==, RAM_BASE + 0x1100);
    assert_bytes(RAM_BASE + 0x100, code, sizeof(code));
    assert_filled(RAM_BASE + 0x100 + sizeof(code), 0x1000 - sizeof(code), 0);
    assert_filled(RAM_BASE + 0x1100, 0x100, FILL);
    assert_filled(RAM_BASE, 0x100, FILL);          /* the note stayed out */
    assert_bytes(ROM_BASE + 0x10, rodata, sizeof(rodata));
}

static void test_elf64(void)
{
    check_elf(64);
}

static void test_elf32(void)
{
    check_elf(32);
}

/* A good two-segment image to break in different ways. */
static GByteArray *elf_good(int cls)
{
    Seg segs[] = {
        { PT_LOAD, RAM_BASE, code, sizeof(code), sizeof(code) },
        { PT_LOAD, RAM_BASE + 0x1000, rodata, sizeof(rodata), 0x100 },
    };
    return elf_build(cls, RAM_BASE, segs, 2);
}

static void elf_refused(int cls, const char *name, GByteArray *b,
                        const char *fragment)
{
    g_autofree char *path = save(name, b);
    load_fails(path, ANY, 0, fragment);
}

static void check_elf_corrupt(int cls)
{
    const ElfOff *o = elf_off(cls);
    size_t ph1 = phdr_at(cls, 1);
    GByteArray *b;

    /* Truncated: inside e_ident, then inside the class's header. */
    b = elf_good(cls);
    g_byte_array_set_size(b, 10);
    elf_refused(cls, "trunc-ident.elf", b, "ELF header is truncated");
    b = elf_good(cls);
    g_byte_array_set_size(b, o->ehsize - 1);
    elf_refused(cls, "trunc-header.elf", b, "ELF header is truncated");

    /* Program headers past the end, or their offset beyond 2^32/2^64. */
    b = elf_good(cls);
    g_byte_array_set_size(b, phdr_at(cls, 1) + 8);
    elf_refused(cls, "trunc-phdr.elf", b, "program headers");
    b = elf_good(cls);
    put(b, o->phoff, cls == 32 ? UINT32_MAX - 8 : UINT64_MAX - 8, o->word);
    elf_refused(cls, "phoff-huge.elf", b, "lie past the end of the file");
    b = elf_good(cls);
    put(b, o->phnum, 0xfffe, 2);
    elf_refused(cls, "phnum-huge.elf", b, "lie past the end of the file");
    b = elf_good(cls);
    put(b, o->phnum, 0, 2);
    elf_refused(cls, "phnum-0.elf", b, "no program headers");
    b = elf_good(cls);
    put(b, o->phnum, 0xffff, 2);
    elf_refused(cls, "phnum-xnum.elf", b, "extended program header");
    b = elf_good(cls);
    put(b, o->phentsize, o->phsize - 1, 2);
    elf_refused(cls, "phentsize.elf", b, "program header size");

    /* Segment data past the end of the file, by offset or by size. */
    b = elf_good(cls);
    put(b, ph1 + o->p_offset, b->len + 1, o->word);
    elf_refused(cls, "seg-offset.elf", b, "segment 1: file data");
    b = elf_good(cls);
    put(b, ph1 + o->p_offset, cls == 32 ? UINT32_MAX : UINT64_MAX, o->word);
    elf_refused(cls, "seg-offset-huge.elf", b, "past the end of the file");
    b = elf_good(cls);
    put(b, ph1 + o->p_filesz, 0x1000, o->word);
    put(b, ph1 + o->p_memsz, 0x1000, o->word);
    elf_refused(cls, "seg-filesz.elf", b, "past the end of the file");

    /* p_filesz > p_memsz. */
    b = elf_good(cls);
    put(b, ph1 + o->p_memsz, 4, o->word);
    elf_refused(cls, "filesz-memsz.elf", b, "larger than p_memsz");

    /* p_paddr + p_memsz wraps around the address space. */
    b = elf_good(cls);
    put(b, ph1 + o->p_paddr, cls == 32 ? 0xfffff000u : UINT64_C(-0x1000),
        o->word);
    put(b, ph1 + o->p_memsz, 0x2000, o->word);
    elf_refused(cls, "wrap.elf", b, "wraps past the end");

    /* A segment in a hole, in MMIO, or running off the end of RAM: the
     * first, good segment must not have been written either. */
    b = elf_good(cls);
    put(b, ph1 + o->p_paddr, 0x40000000, o->word);
    elf_refused(cls, "hole.elf", b, "segment 1 (0xf bytes at 0x40000000)"
                ": address 0x40000000 is not RAM or ROM");
    b = elf_good(cls);
    put(b, ph1 + o->p_paddr, MMIO_BASE, o->word);
    elf_refused(cls, "mmio.elf", b, "is not RAM or ROM");
    b = elf_good(cls);
    put(b, ph1 + o->p_paddr, RAM_BASE + RAM_SIZE - 0x10, o->word);
    elf_refused(cls, "ram-end.elf", b, "segment 1 zero fill");

    /* Not executables, or not little-endian. */
    b = elf_good(cls);
    put(b, 16, 1, 2);
    elf_refused(cls, "rel.elf", b, "relocatable object, not an executable");
    b = elf_good(cls);
    b->data[5] = 2;
    elf_refused(cls, "be.elf", b, "big-endian");
    b = elf_good(cls);
    b->data[4] = 3;
    elf_refused(cls, "class.elf", b, "unknown ELF class 3");
    b = elf_good(cls);
    put(b, phdr_at(cls, 0), 4, 4);
    put(b, ph1, 4, 4);
    elf_refused(cls, "no-load.elf", b, "no loadable segment");
}

static void test_elf64_corrupt(void)
{
    check_elf_corrupt(64);
}

static void test_elf32_corrupt(void)
{
    check_elf_corrupt(32);
    /* ELF32 addresses end at 4 GiB. */
    GByteArray *b = elf_good(32);
    put(b, phdr_at(32, 1) + off32.p_paddr, 0xfffff000u, 4);
    put(b, phdr_at(32, 1) + off32.p_memsz, 0x1001, 4);
    elf_refused(32, "wrap-4g.elf", b, "wraps past the end");
}

/* Random damage to a good image: refused or loaded, never a crash (the
 * sanitizers watch). */
static void test_elf_fuzz(void)
{
    GRand *rand = g_rand_new_with_seed(1234);
    for (int round = 0; round < 400; round++) {
        int cls = round % 2 ? 32 : 64;
        GByteArray *b = elf_good(cls);
        unsigned flips = g_rand_int_range(rand, 1, 8);
        for (unsigned i = 0; i < flips; i++) {
            /* Mostly the headers, where the offsets and sizes are. */
            size_t at = g_rand_int_range(rand, 0, phdr_at(cls, 2));
            b->data[at] = g_rand_int(rand);
        }
        if (g_rand_boolean(rand)) {
            g_byte_array_set_size(b, g_rand_int_range(rand, 0, b->len));
        }
        g_autofree char *path = save("fuzz.elf", b);
        GError *err = NULL;
        TsLoadedImage img;
        if (!ts_load_image(as, path, ANY, RAM_BASE, 0, &img, &err)) {
            g_assert_nonnull(strstr(err->message, path));
            g_error_free(err);
        }
    }
    g_rand_free(rand);
}

/* ------------------------------------------------------------------ */
/* uImage                                                              */

enum { UI_KERNEL = 2, UI_RAMDISK = 3, UI_FIRMWARE = 5 };
enum { UC_NONE = 0, UC_GZIP = 1, UC_BZIP2 = 2 };

static GByteArray *uimage_build(uint8_t type, uint8_t comp, uint32_t load,
                                uint32_t ep, const void *data, size_t len)
{
    GByteArray *b = g_byte_array_sized_new(64 + len);
    g_byte_array_set_size(b, 64);
    uint8_t *h = b->data;
    memset(h, 0, 64);
    put_be32(h + 0, 0x27051956);
    put_be32(h + 12, len);
    put_be32(h + 16, load);
    put_be32(h + 20, ep);
    put_be32(h + 24, crc32(0, data, len));
    h[28] = 5;                          /* Linux */
    h[29] = 26;                         /* RISC-V */
    h[30] = type;
    h[31] = comp;
    memcpy(h + 32, "test image", 10);
    put_be32(h + 4, crc32(0, h, 64));
    g_byte_array_append(b, data, len);
    return b;
}

/* gzip of `len` bytes of `data`, repeated `times` times. */
static GByteArray *gzip(const void *data, size_t len, unsigned times)
{
    z_stream zs = { 0 };
    g_assert_cmpint(deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 9,
                                 Z_DEFAULT_STRATEGY), ==, Z_OK);
    GByteArray *out = g_byte_array_new();
    uint8_t buf[64 * 1024];
    for (unsigned t = 0; t < times; t++) {
        zs.next_in = (Bytef *)data;
        zs.avail_in = len;
        int flush = t + 1 == times ? Z_FINISH : Z_NO_FLUSH;
        int rc;
        do {
            zs.next_out = buf;
            zs.avail_out = sizeof(buf);
            rc = deflate(&zs, flush);
            g_byte_array_append(out, buf, sizeof(buf) - zs.avail_out);
        } while (zs.avail_in || (flush == Z_FINISH && rc != Z_STREAM_END));
    }
    deflateEnd(&zs);
    return out;
}

static void test_uimage(void)
{
    static uint8_t kernel[3000];
    for (size_t i = 0; i < sizeof(kernel); i++) {
        kernel[i] = i * 7 + (i >> 8);
    }
    g_autofree char *plain = save("plain.uimg", uimage_build(
        UI_KERNEL, UC_NONE, RAM_BASE + 0x200, RAM_BASE + 0x208, kernel,
        sizeof(kernel)));
    fill_memory();
    TsLoadedImage img;
    load_ok(plain, ANY, 0, &img);
    g_assert_cmpint(img.format, ==, TS_IMAGE_UIMAGE);
    g_assert_true(img.has_entry);
    g_assert_cmphex(img.entry, ==, RAM_BASE + 0x208);
    g_assert_cmphex(img.low, ==, RAM_BASE + 0x200);
    g_assert_cmphex(img.high, ==, RAM_BASE + 0x200 + sizeof(kernel));
    assert_bytes(RAM_BASE + 0x200, kernel, sizeof(kernel));
    assert_filled(RAM_BASE + 0x200 + sizeof(kernel), 16, FILL);

    GByteArray *z = gzip(kernel, sizeof(kernel), 1);
    g_autofree char *gz = save("gzip.uimg", uimage_build(
        UI_FIRMWARE, UC_GZIP, ROM_BASE, ROM_BASE, z->data, z->len));
    g_byte_array_unref(z);
    fill_memory();
    load_ok(gz, ANY, 0, &img);
    g_assert_cmphex(img.entry, ==, ROM_BASE);
    g_assert_cmphex(img.high, ==, ROM_BASE + sizeof(kernel));
    assert_bytes(ROM_BASE, kernel, sizeof(kernel));
}

static void uimage_refused(const char *name, GByteArray *b,
                           const char *fragment)
{
    g_autofree char *path = save(name, b);
    load_fails(path, ANY, 0, fragment);
}

static void test_uimage_corrupt(void)
{
    static const uint8_t data[100] = { 1, 2, 3 };
    GByteArray *b;

    b = uimage_build(UI_KERNEL, UC_NONE, RAM_BASE, RAM_BASE, data, 100);
    g_byte_array_set_size(b, 40);
    uimage_refused("short.uimg", b, "uImage header is truncated");

    b = uimage_build(UI_KERNEL, UC_NONE, RAM_BASE, RAM_BASE, data, 100);
    b->data[17] ^= 1;                   /* load address, not re-summed */
    uimage_refused("hcrc.uimg", b, "uImage header checksum mismatch");

    b = uimage_build(UI_KERNEL, UC_NONE, RAM_BASE, RAM_BASE, data, 100);
    b->data[64 + 50] ^= 0x80;
    uimage_refused("dcrc.uimg", b, "uImage data checksum mismatch");

    b = uimage_build(UI_KERNEL, UC_NONE, RAM_BASE, RAM_BASE, data, 100);
    g_byte_array_set_size(b, 64 + 99);
    uimage_refused("trunc.uimg", b, "uImage data is truncated");

    b = uimage_build(UI_RAMDISK, UC_NONE, RAM_BASE, RAM_BASE, data, 100);
    uimage_refused("ramdisk.uimg", b, "type 3 (ramdisk) cannot be loaded");

    b = uimage_build(UI_KERNEL, UC_BZIP2, RAM_BASE, RAM_BASE, data, 100);
    uimage_refused("bzip2.uimg", b, "compression 2 (bzip2) is not supported");

    b = uimage_build(UI_KERNEL, UC_GZIP, RAM_BASE, RAM_BASE, data, 100);
    uimage_refused("notgzip.uimg", b, "gzip payload is corrupt: incorrect "
                   "header check");

    GByteArray *z = gzip(data, sizeof(data), 1);
    b = uimage_build(UI_KERNEL, UC_GZIP, RAM_BASE, RAM_BASE, z->data,
                     z->len - 6);
    g_byte_array_unref(z);
    uimage_refused("gzip-trunc.uimg", b, "gzip payload is truncated");

    b = uimage_build(UI_KERNEL, UC_NONE, 0x40000000, 0x40000000, data, 100);
    uimage_refused("hole.uimg", b, "payload (0x64 bytes at 0x40000000)");
}

/* A payload that inflates past the bound is refused, not allocated. */
static void test_uimage_gzip_bomb(void)
{
    static const uint8_t zeros[1 << 20];
    GByteArray *z = gzip(zeros, sizeof(zeros), 257);     /* 257 MiB */
    g_autofree char *path = save("bomb.uimg", uimage_build(
        UI_KERNEL, UC_GZIP, RAM_BASE, RAM_BASE, z->data, z->len));
    g_byte_array_unref(z);
    load_fails(path, ANY, 0, "decompresses to more than 256 MiB");
}

/* ------------------------------------------------------------------ */
/* Intel HEX                                                           */

static void ihex_rec(GString *s, unsigned type, unsigned addr,
                     const uint8_t *d, unsigned n, const char *eol)
{
    uint8_t sum = n + (addr >> 8) + addr + type;
    g_string_append_printf(s, ":%02X%04X%02X", n, addr & 0xffff, type);
    for (unsigned i = 0; i < n; i++) {
        g_string_append_printf(s, "%02X", d[i]);
        sum += d[i];
    }
    g_string_append_printf(s, "%02X%s", (uint8_t)-sum, eol);
}

static char *save_text(const char *name, GString *s)
{
    char *path = write_file(name, s->str, s->len);
    g_string_free(s, TRUE);
    return path;
}

static void test_ihex(void)
{
    static const uint8_t upper_ram[] = { 0x80, 0x00 };
    static const uint8_t start[] = { 0x80, 0x00, 0x01, 0x00 };
    GString *s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\r\n");        /* base 0x80000000 */
    ihex_rec(s, 0, 0x0010, code, 8, "\r\n");
    ihex_rec(s, 0, 0x0018, code + 8, 4, "\r\n");    /* merges */
    ihex_rec(s, 0, 0x0100, rodata, 5, "\r\n");
    ihex_rec(s, 5, 0, start, 4, "\r\n");
    ihex_rec(s, 1, 0, NULL, 0, "\r\n");
    g_string_append(s, "anything after the end record is ignored\n");
    g_autofree char *path = save_text("linear.hex", s);
    fill_memory();
    TsLoadedImage img;
    load_ok(path, ANY, 0, &img);
    g_assert_cmpint(img.format, ==, TS_IMAGE_IHEX);
    g_assert_true(img.has_entry);
    g_assert_cmphex(img.entry, ==, 0x80000100);
    g_assert_cmphex(img.low, ==, RAM_BASE + 0x10);
    g_assert_cmphex(img.high, ==, RAM_BASE + 0x105);
    assert_bytes(RAM_BASE + 0x10, code, sizeof(code));
    assert_bytes(RAM_BASE + 0x100, rodata, 5);
    assert_filled(RAM_BASE + 0x1c, 0x100 - 0x1c, FILL);

    /* Segment addressing (into ROM at 0x1000), offsets wrap in 64 KiB;
     * a start segment record (CS:IP) gives the entry. */
    static const uint8_t seg[] = { 0x00, 0x10 };     /* base 0x100 */
    static const uint8_t csip[] = { 0x00, 0x10, 0x00, 0x20 };
    s = g_string_new(NULL);
    ihex_rec(s, 2, 0, seg, 2, "\n");
    ihex_rec(s, 0, 0x0f00, code, 4, "\n");           /* 0x1000 */
    ihex_rec(s, 3, 0, csip, 4, "\n");
    ihex_rec(s, 1, 0, NULL, 0, "\n");
    g_autofree char *segpath = save_text("segment.hex", s);
    fill_memory();
    load_ok(segpath, ANY, 0, &img);
    g_assert_cmphex(img.entry, ==, 0x100 + 0x20);
    assert_bytes(ROM_BASE, code, 4);

    /* No start record: no entry of its own, entry = lowest address. */
    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\n");
    ihex_rec(s, 0, 0x40, code, 4, "\n");
    ihex_rec(s, 1, 0, NULL, 0, "\n");
    g_autofree char *nostart = save_text("nostart.hex", s);
    load_ok(nostart, ANY, 0, &img);
    g_assert_false(img.has_entry);
    g_assert_cmphex(img.entry, ==, RAM_BASE + 0x40);
}

static void ihex_refused(const char *name, GString *s, const char *fragment)
{
    g_autofree char *path = save_text(name, s);
    load_fails(path, ANY, 0, fragment);
}

static void test_ihex_corrupt(void)
{
    static const uint8_t upper_ram[] = { 0x80, 0x00 };
    GString *s;

    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\n");
    ihex_rec(s, 0, 0, code, 8, "\n");
    s->str[s->len - 2] ^= 1;            /* checksum digit */
    ihex_rec(s, 1, 0, NULL, 0, "\n");
    ihex_refused("checksum.hex", s, "line 2: bad checksum");

    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\n");
    ihex_rec(s, 0, 0, code, 8, "\n");
    ihex_refused("no-eof.hex", s, "no end-of-file record");

    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\n");
    g_string_append(s, ":04000000G0000000FC\n");
    ihex_refused("digit.hex", s, "line 2: 'G' is not a hex digit");

    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\n");
    ihex_rec(s, 0, 0, code, 8, "\n");
    g_string_erase(s, s->len - 5, 2);   /* one data byte fewer */
    ihex_refused("count.hex", s, "line 2: record says 8 data bytes");

    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\n");
    ihex_rec(s, 4, 0, upper_ram, 1, "\n");
    ihex_refused("short-ext.hex", s, "record type 04 needs 2 data bytes");

    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\n");
    ihex_rec(s, 7, 0, upper_ram, 2, "\n");
    ihex_refused("type.hex", s, "line 2: unknown record type 07");

    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_ram, 2, "\n");
    g_string_append(s, "garbage\n");
    ihex_refused("garbage.hex", s, "line 2: a record must start with ':'");

    /* Data outside RAM: base 0x40000000. */
    static const uint8_t upper_hole[] = { 0x40, 0x00 };
    s = g_string_new(NULL);
    ihex_rec(s, 4, 0, upper_hole, 2, "\n");
    ihex_rec(s, 0, 0, code, 8, "\n");
    ihex_rec(s, 1, 0, NULL, 0, "\n");
    ihex_refused("hole.hex", s, "data from line 2");
}

/* ------------------------------------------------------------------ */
/* Raw images, format selection, files                                 */

static void test_raw(void)
{
    g_autofree char *path = write_file("raw.bin", code, sizeof(code));
    fill_memory();
    TsLoadedImage img;
    load_ok(path, ANY, RAM_BASE + 0x400, &img);
    g_assert_cmpint(img.format, ==, TS_IMAGE_RAW);
    g_assert_false(img.has_entry);
    g_assert_cmphex(img.entry, ==, RAM_BASE + 0x400);
    g_assert_cmphex(img.low, ==, RAM_BASE + 0x400);
    g_assert_cmphex(img.high, ==, RAM_BASE + 0x400 + sizeof(code));
    assert_bytes(RAM_BASE + 0x400, code, sizeof(code));

    /* An ELF loaded with only RAW allowed is copied as it is. */
    g_autofree char *elf = save("raw.elf", elf_good(64));
    load_ok(elf, TS_IMAGE_RAW, RAM_BASE, &img);
    g_assert_cmpint(img.format, ==, TS_IMAGE_RAW);
    assert_bytes(RAM_BASE, "\x7f" "ELF", 4);

    /* Bounded by max_size, by memory, and by the formats allowed. */
    load_fails(path, ANY, sizeof(code) - 1,
               "image is 12 bytes, more than the 11 bytes allowed");
    GError *err = NULL;
    fill_memory();
    g_assert_false(ts_load_image(as, path, TS_IMAGE_RAW,
                                 RAM_BASE + RAM_SIZE - 4, 0, &img, &err));
    g_assert_nonnull(strstr(err->message, "raw image (0xc bytes at"));
    g_clear_error(&err);
    assert_untouched();
    load_fails(path, TS_IMAGE_ELF | TS_IMAGE_UIMAGE,
               0, "not a recognised image (expected ELF or uImage)");

    /* Files that cannot be images. */
    g_autofree char *missing = g_build_filename(tmpdir, "missing", NULL);
    load_fails(missing, ANY, 0, "No such file or directory");
    load_fails(tmpdir, ANY, 0, "not a regular file");
}

/* ------------------------------------------------------------------ */
/* The generic loader device                                           */

typedef struct TestCpu {
    TsCpu parent;
    uint64_t pc;
    unsigned resets;
} TestCpu;

static void test_cpu_set_pc(TsCpu *cpu, uint64_t pc)
{
    ((TestCpu *)cpu)->pc = pc;
}

static void test_cpu_reset(TsDevice *dev)
{
    ((TestCpu *)dev)->pc = 0x1000;      /* the reset vector */
    ((TestCpu *)dev)->resets++;
}

static void test_cpu_class_init(TsObjectClass *klass, const void *data)
{
    TsCpuClass *cc = (TsCpuClass *)klass;
    cc->parent.reset = test_cpu_reset;
    if (data) {
        cc->set_pc = test_cpu_set_pc;
    }
}

static const TsTypeInfo test_cpu_type = {
    .name = "test-loader-cpu",
    .parent = TS_TYPE_CPU,
    .instance_size = sizeof(TestCpu),
    .class_init = test_cpu_class_init,
    .class_data = "with set_pc",
};

static const TsTypeInfo pcless_cpu_type = {
    .name = "test-loader-pcless-cpu",
    .parent = TS_TYPE_CPU,
    .instance_size = sizeof(TestCpu),
    .class_init = test_cpu_class_init,
};

static TestCpu *cpu0;                   /* CPU 0 has set_pc, CPU 1 not */

/* A loader with "key=value" properties, realized; NULL + *err if not. */
static TsObject *loader_new(GError **err, ...)
{
    TsObject *obj = ts_object_new("loader", err);
    g_assert_nonnull(obj);
    va_list ap;
    va_start(ap, err);
    for (const char *kv; (kv = va_arg(ap, const char *));) {
        g_auto(GStrv) p = g_strsplit(kv, "=", 2);
        g_assert_true(ts_object_set_prop(obj, p[0], p[1], err));
    }
    va_end(ap);
    if (!ts_device_realize((TsDevice *)obj, err)) {
        ts_object_unref(obj);
        return NULL;
    }
    return obj;
}

static void loader_refused(const char *fragment, ...)
{
    GError *err = NULL;
    TsObject *obj = ts_object_new("loader", &err);
    va_list ap;
    va_start(ap, fragment);
    for (const char *kv; (kv = va_arg(ap, const char *));) {
        g_auto(GStrv) p = g_strsplit(kv, "=", 2);
        g_assert_true(ts_object_set_prop(obj, p[0], p[1], &err));
    }
    va_end(ap);
    fill_memory();
    g_assert_false(ts_device_realize((TsDevice *)obj, &err));
    g_test_message("%s", err->message);
    if (!strstr(err->message, fragment)) {
        g_error("message '%s' lacks '%s'", err->message, fragment);
    }
    g_error_free(err);
    ts_object_unref(obj);
    assert_untouched();
}

static void test_device_values(void)
{
    GError *err = NULL;
    fill_memory();
    TsObject *le = loader_new(&err, "addr=0x80000010", "data=0x11223344",
                              "data-len=4", NULL);
    g_assert_no_error(err);
    TsObject *be = loader_new(&err, "addr=0x80000020", "data=0x11223344",
                              "data-len=4", "data-be=on", NULL);
    TsObject *be2 = loader_new(&err, "addr=0x80000030", "data=0xa1b2",
                               "data-len=2", "data-be=true", NULL);
    TsObject *q = loader_new(&err, "addr=0x1008", "data=0x0102030405060708",
                             "data-len=8", NULL);       /* into ROM */
    TsObject *reg = loader_new(&err, "addr=0x10000004", "data=0x8000000e",
                               "data-len=4", NULL);
    g_assert_no_error(err);
    /* RAM and ROM are written at realize. */
    assert_bytes(RAM_BASE + 0x10, "\x44\x33\x22\x11", 4);
    assert_bytes(RAM_BASE + 0x20, "\x11\x22\x33\x44", 4);
    assert_bytes(RAM_BASE + 0x30, "\xa1\xb2", 2);
    assert_filled(RAM_BASE + 0x32, 2, FILL);
    assert_bytes(ROM_BASE + 8, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    /* A register only when the machine starts and at each reset. */
    g_assert_cmpuint(regs.writes, ==, 0);

    fill_memory();
    reset_fixups_run();
    assert_bytes(RAM_BASE + 0x10, "\x44\x33\x22\x11", 4);
    assert_bytes(RAM_BASE + 0x20, "\x11\x22\x33\x44", 4);
    assert_bytes(ROM_BASE + 8, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    g_assert_cmpuint(regs.writes, ==, 1);
    g_assert_cmphex(regs.last_addr, ==, 4);
    g_assert_cmphex(regs.last_val, ==, 0x8000000e);
    g_assert_cmpuint(regs.last_size, ==, 4);

    /* Gone devices write nothing more. */
    ts_object_unref(le);
    ts_object_unref(be);
    ts_object_unref(be2);
    ts_object_unref(q);
    ts_object_unref(reg);
    fill_memory();
    reset_fixups_run();
    assert_untouched();
    g_assert_cmpuint(regs.writes, ==, 1);
}

static void test_device_images(void)
{
    Seg segs[] = {
        { PT_LOAD, RAM_BASE + 0x2000, code, sizeof(code), 0x20 },
    };
    g_autofree char *elf = save("dev.elf",
                                elf_build(64, RAM_BASE + 0x2004, segs, 1));
    g_autofree char *raw = write_file("dev.bin", rodata, sizeof(rodata));
    g_autofree char *elf_opt = g_strconcat("file=", elf, NULL);
    g_autofree char *raw_opt = g_strconcat("file=", raw, NULL);
    GError *err = NULL;

    /* Without cpu-num: images only, no PC. */
    fill_memory();
    cpu0->pc = 0;
    TsObject *a = loader_new(&err, elf_opt, NULL);
    g_assert_no_error(err);
    assert_bytes(RAM_BASE + 0x2000, code, sizeof(code));
    assert_filled(RAM_BASE + 0x2000 + sizeof(code), 0x20 - sizeof(code), 0);
    reset_fixups_run();
    g_assert_cmphex(cpu0->pc, ==, 0);
    ts_object_unref(a);

    /* With cpu-num: the entry point; a raw file's is its address. */
    TsObject *b = loader_new(&err, elf_opt, "cpu-num=0", NULL);
    g_assert_no_error(err);
    reset_fixups_run();
    g_assert_cmphex(cpu0->pc, ==, RAM_BASE + 0x2004);
    ts_object_unref(b);
    TsObject *c = loader_new(&err, raw_opt, "addr=0x80003000", "cpu-num=0",
                             NULL);
    g_assert_no_error(err);
    assert_bytes(RAM_BASE + 0x3000, rodata, sizeof(rodata));
    reset_fixups_run();
    g_assert_cmphex(cpu0->pc, ==, RAM_BASE + 0x3000);
    ts_object_unref(c);

    /* force-raw copies an ELF as it is, PC at addr. */
    TsObject *d = loader_new(&err, elf_opt, "addr=0x80004000", "cpu-num=0",
                             "force-raw=on", NULL);
    g_assert_no_error(err);
    assert_bytes(RAM_BASE + 0x4000, "\x7f" "ELF", 4);
    reset_fixups_run();
    g_assert_cmphex(cpu0->pc, ==, RAM_BASE + 0x4000);

    /* The guest overwrites the image: a reset puts it back. */
    fill_memory();
    reset_fixups_run();
    assert_bytes(RAM_BASE + 0x4000, "\x7f" "ELF", 4);
    ts_object_unref(d);

    /* addr + cpu-num alone: only the PC. */
    fill_memory();
    TsObject *e = loader_new(&err, "addr=0x80000abc", "cpu-num=0", NULL);
    g_assert_no_error(err);
    reset_fixups_run();
    g_assert_cmphex(cpu0->pc, ==, 0x80000abc);
    assert_untouched();
    ts_object_unref(e);
}

static void test_device_refused(void)
{
    GByteArray *b = elf_good(64);
    put(b, phdr_at(64, 1) + off64.p_memsz, 4, 8);
    g_autofree char *bad = save("dev-bad.elf", b);
    g_autofree char *bad_opt = g_strconcat("file=", bad, NULL);
    g_autofree char *missing = g_build_filename(tmpdir, "nope.bin", NULL);
    g_autofree char *missing_opt = g_strconcat("file=", missing, NULL);
    g_autofree char *raw = write_file("dev-hole.bin", code, sizeof(code));
    g_autofree char *raw_opt = g_strconcat("file=", raw, NULL);

    loader_refused("nothing to do", NULL);
    loader_refused("nothing to do", "cpu-num=0", NULL);
    loader_refused("cpu-num must be given", "addr=0x80000000", NULL);
    loader_refused("both data and data-len", "addr=0x80000000", "data=1",
                   NULL);
    loader_refused("both data and data-len", "data-be=on", NULL);
    loader_refused("data-len must be 1, 2, 4 or 8, not 3",
                   "addr=0x80000000", "data=1", "data-len=3", NULL);
    loader_refused("data-len must be 1, 2, 4 or 8, not 16",
                   "addr=0x80000000", "data=1", "data-len=16", NULL);
    loader_refused("data 0x100 does not fit in data-len=1 bytes",
                   "addr=0x80000000", "data=256", "data-len=1", NULL);
    loader_refused("a file cannot be loaded together with data",
                   "addr=0x80000000", "data=1", "data-len=4", bad_opt, NULL);
    loader_refused("force-raw applies to files", "addr=0x80000000",
                   "data=1", "data-len=4", "force-raw=on", NULL);
    loader_refused("force-raw needs a file", "force-raw=on", NULL);
    loader_refused("cpu-num=7: there is no such CPU (the machine has 2)",
                   "addr=0x80000000", "cpu-num=7", NULL);
    loader_refused("cannot have its program counter set",
                   "addr=0x80000000", "cpu-num=1", NULL);
    loader_refused("larger than p_memsz", bad_opt, NULL);
    loader_refused("nope.bin: No such file or directory", missing_opt, NULL);
    loader_refused("raw image (0xc bytes at 0x40000000): address 0x40000000 "
                   "is not RAM or ROM", raw_opt, "addr=0x40000000",
                   "cpu-num=0", NULL);
}

/* -device loader,help lists QEMU's property names. */
static void test_device_help(void)
{
    g_autofree char *help = object_class_property_help(
        ts_class_by_name("loader"));
    static const char *const names[] = {
        "addr=", "cpu-num=", "data=", "data-be=", "data-len=", "file=",
        "force-raw=", NULL };
    for (int i = 0; names[i]; i++) {
        g_assert_nonnull(strstr(help, names[i]));
    }
    TsDeviceClass *dc = (TsDeviceClass *)ts_class_dynamic_cast(
        ts_class_by_name("loader"), TS_TYPE_DEVICE);
    g_assert_true(dc->user_creatable);
}

/*
 * A system reset as runstate.c does it: devices (children first, in
 * creation order), the board, then the fixups.  The loader is created
 * before the CPU on purpose, so that the tree alone would reset the CPU
 * after the loader set its PC; the fixup still has the last word.
 */
static void test_device_reset_order(void)
{
    object_core_init();
    GError *err = NULL;
    TsMachine *machine = machine_create("none-machine", &err);
    g_assert_no_error(err);
    TsObject *loader = loader_new(&err, "addr=0x80000040", "cpu-num=0",
                                  NULL);
    g_assert_no_error(err);
    g_assert_true(ts_object_add_child(TS_OBJECT(machine), "loader", loader,
                                      &err));
    ts_object_unref(loader);
    g_assert_true(ts_object_add_child(TS_OBJECT(machine), "cpu0",
                                      TS_OBJECT(cpu0), &err));
    unsigned resets = cpu0->resets;

    ts_devices_reset_all();
    machine_reset();
    reset_fixups_run();
    g_assert_cmpuint(cpu0->resets, ==, resets + 1);
    g_assert_cmphex(cpu0->pc, ==, 0x80000040);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ts_loop_init();
    object_core_init();
    setup_memory();
    tmpdir = g_dir_make_tmp("test-loader-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);

    GError *err = NULL;
    g_assert_true(ts_type_register(&test_cpu_type, &err));
    g_assert_true(ts_type_register(&pcless_cpu_type, &err));
    cpu0 = (TestCpu *)ts_object_new("test-loader-cpu", &err);
    TsCpu *cpu1 = (TsCpu *)ts_object_new("test-loader-pcless-cpu", &err);
    g_assert_no_error(err);
    cpu0->parent.as = as;
    cpu1->as = as;
    g_assert_true(ts_device_realize((TsDevice *)cpu0, &err));
    g_assert_true(ts_device_realize((TsDevice *)cpu1, &err));
    ts_cpu_add(&cpu0->parent);
    ts_cpu_add(cpu1);

    g_test_add_func("/loader/elf/64", test_elf64);
    g_test_add_func("/loader/elf/32", test_elf32);
    g_test_add_func("/loader/elf/64-corrupt", test_elf64_corrupt);
    g_test_add_func("/loader/elf/32-corrupt", test_elf32_corrupt);
    g_test_add_func("/loader/elf/fuzz", test_elf_fuzz);
    g_test_add_func("/loader/uimage/load", test_uimage);
    g_test_add_func("/loader/uimage/corrupt", test_uimage_corrupt);
    g_test_add_func("/loader/uimage/gzip-bomb", test_uimage_gzip_bomb);
    g_test_add_func("/loader/ihex/load", test_ihex);
    g_test_add_func("/loader/ihex/corrupt", test_ihex_corrupt);
    g_test_add_func("/loader/raw", test_raw);
    g_test_add_func("/loader/device/values", test_device_values);
    g_test_add_func("/loader/device/images", test_device_images);
    g_test_add_func("/loader/device/refused", test_device_refused);
    g_test_add_func("/loader/device/help", test_device_help);
    g_test_add_func("/loader/device/reset-order", test_device_reset_order);
    int status = g_test_run();

    /* Leave no files behind. */
    g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
    for (const char *name; dir && (name = g_dir_read_name(dir));) {
        g_autofree char *path = g_build_filename(tmpdir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return status;
}
