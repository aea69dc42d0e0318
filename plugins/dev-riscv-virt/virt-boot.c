/*
 * virt-boot.c - what the virt board puts in memory before the first
 * instruction: firmware (-bios, OpenSBI's fw_dynamic by default), kernel,
 * initrd, the device tree, and the reset ROM at 0x1000 that every hart
 * starts in.
 *
 * The ROM jumps to the first flash bank instead when it holds an image.
 * It follows OpenSBI's fw_dynamic convention (a0 = hart id, a1 = the
 * device tree, a2 = struct fw_dynamic_info naming the next stage) and
 * jumps to the firmware, or straight to the kernel with -bios none.
 * fw_jump and fw_payload firmware just ignore a2.
 */
#include "virt.h"
#include "virt-dtb.h"
#include <libfdt.h>

#define DEFAULT_BIOS "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
#define KERNEL_OFFSET_WITH_FW 0x200000    /* 2 MiB: where Linux wants it */
#define FW_DYNAMIC_MAGIC 0x4942534full    /* "OSBI" */
#define FW_DYNAMIC_VERSION 1              /* no boot_hart: harts race */
#define FW_NEXT_MODE_S 1

/*
 * The reset code.  Hand-assembled (the encodings are in the comments):
 *   auipc t0, 0            t0 = this ROM
 *   addi  a2, t0, 40       a2 = &fw_dynamic_info below
 *   csrr  a0, mhartid
 *   ld    a1, 32(t0)       a1 = device tree
 *   ld    t0, 24(t0)       t0 = where to go
 *   jr    t0
 * then the 64-bit words: start address (24), fdt address (32), and
 * fw_dynamic_info (40): magic, version, next_addr, next_mode, options,
 * boot_hart.
 */
static const uint32_t reset_code[] = {
    0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067,
};

static const char *bios_path(const TsMachineConfig *cfg)
{
    if (!cfg->firmware || g_str_equal(cfg->firmware, "default")) {
        return DEFAULT_BIOS;
    }
    return g_str_equal(cfg->firmware, "none") ? NULL : cfg->firmware;
}

static bool load(const char *what, const char *path, unsigned formats,
                 uint64_t addr, uint64_t max, TsLoadedImage *img,
                 GError **errp)
{
    if (!ts_load_image(ts_address_space_system(), path, formats, addr, max,
                       img, errp)) {
        g_prefix_error(errp, "%s: ", what);
        return false;
    }
    return true;
}

static bool write_rom(VirtMachine *vm, uint64_t start, uint64_t next,
                      GError **errp)
{
    uint8_t rom[40 + 6 * 8];
    uint64_t words[8] = {
        start, vm->fdt_addr,
        FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, next,
        FW_NEXT_MODE_S, 0, 0,
    };
    memcpy(rom, reset_code, sizeof(reset_code));
    for (unsigned i = 0; i < 8; i++) {
        for (unsigned b = 0; b < 8; b++) {
            rom[24 + i * 8 + b] = (uint8_t)(words[i] >> (8 * b));
        }
    }
    return ts_load_bytes(ts_address_space_system(), VIRT_MROM_BASE, rom,
                         sizeof(rom), errp);
}

bool virt_boot_load(VirtMachine *vm, GError **errp)
{
    const TsMachineConfig *cfg = vm->parent.config;
    uint64_t ram_end = VIRT_DRAM_BASE + cfg->ram_size;
    const char *bios = bios_path(cfg);
    TsLoadedImage img;
    uint64_t fw_entry = VIRT_DRAM_BASE, kernel_addr = VIRT_DRAM_BASE;
    uint64_t free_from = VIRT_DRAM_BASE;

    if (bios) {
        if (!g_file_test(bios, G_FILE_TEST_EXISTS)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        g_str_equal(bios, DEFAULT_BIOS)
                        ? "Unable to find the default RISC-V firmware '%s': "
                          "install Debian's opensbi package, or use -bios "
                          "FILE or -bios none"
                        : "Unable to find the RISC-V firmware '%s'", bios);
            return false;
        }
        if (!load("-bios", bios, TS_IMAGE_ELF | TS_IMAGE_RAW, VIRT_DRAM_BASE,
                  cfg->ram_size, &img, errp)) {
            return false;
        }
        fw_entry = img.has_entry ? img.entry : VIRT_DRAM_BASE;
        kernel_addr = VIRT_DRAM_BASE + KERNEL_OFFSET_WITH_FW;
        free_from = img.high;
    }
    vm->kernel_entry = 0;
    if (cfg->kernel) {
        if (!load("-kernel", cfg->kernel,
                  TS_IMAGE_ELF | TS_IMAGE_UIMAGE | TS_IMAGE_RAW, kernel_addr,
                  ram_end > kernel_addr ? ram_end - kernel_addr : 1,
                  &img, errp)) {
            return false;
        }
        vm->kernel_entry = img.has_entry ? img.entry : kernel_addr;
        free_from = MAX(free_from, img.high);
        if (cfg->initrd) {
            /* Far enough above the kernel that it can unpack itself. */
            uint64_t start = vm->kernel_entry +
                             MIN(cfg->ram_size / 2, 128ull << 20);
            start = MAX(start, (free_from + 0xfff) & ~0xfffull);
            if (start >= ram_end) {
                g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                            "-initrd: no room in %" PRIu64 " MiB of RAM",
                            cfg->ram_size >> 20);
                return false;
            }
            if (!load("-initrd", cfg->initrd, TS_IMAGE_RAW, start,
                      ram_end - start, &img, errp)) {
                return false;
            }
            vm->initrd_start = img.low;
            vm->initrd_end = img.high;
        }
    } else if (cfg->initrd) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-initrd needs -kernel");
        return false;
    }

    if (!vm->fdt) {
        vm->fdt = virt_fdt_build(vm, errp);
        if (!vm->fdt) {
            return false;
        }
        if (vm->initrd_end &&
            !virt_fdt_set_initrd(vm->fdt, vm->initrd_start, vm->initrd_end,
                                 errp)) {
            return false;
        }
        fdt_pack(vm->fdt);
        /* At the top of RAM (below 3 GiB, for 32-bit-minded firmware),
         * 2 MiB aligned, out of the kernel's way. */
        uint64_t top = MIN(ram_end, 0xc0000000ull);
        uint64_t size = fdt_totalsize(vm->fdt);
        if (top < VIRT_DRAM_BASE + size + (2u << 20)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "not enough RAM for the device tree");
            return false;
        }
        vm->fdt_addr = (top - size) & ~((2ull << 20) - 1);
        if (vm->fdt_addr < free_from) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "the images do not leave room for the device tree "
                        "in %" PRIu64 " MiB of RAM: use a larger -m",
                        cfg->ram_size >> 20);
            return false;
        }
    }
    if (!ts_load_bytes(ts_address_space_system(), vm->fdt_addr, vm->fdt,
                       fdt_totalsize(vm->fdt), errp)) {
        return false;
    }
    uint64_t start = bios ? fw_entry : vm->kernel_entry;
    if (vm->flash0_image) {
        /* An image in the first flash bank is the firmware, run in place
         * (the -bios image, if any, is still loaded, as QEMU does). */
        start = VIRT_FLASH_BASE;
    }
    return write_rom(vm, start, vm->kernel_entry, errp);
}
