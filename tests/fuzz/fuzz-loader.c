/*
 * libFuzzer target: the image parsers (ELF, uImage, Intel HEX) and writing
 * what they accept into a small machine.  Any input must load or be
 * refused with a message naming the file; never crash, leak or hang.  The
 * first byte picks the parser, so each one is reached whatever the input
 * starts with; the rest is the file.
 */
#include "loader/loader-internal.h"

static TsAddressSpace *machine(void)
{
    static TsAddressSpace *as;
    if (!as) {
        TsMemoryRegion *root = ts_memory_region_new_container("root",
                                                              UINT64_MAX);
        TsMemoryRegion *ram = ts_memory_region_new_ram("ram", 1 << 20,
                                                       NULL);
        TsMemoryRegion *rom = ts_memory_region_new_rom("rom", 1 << 12,
                                                       NULL);
        ts_memory_region_add_subregion(root, 0x80000000, ram, 0);
        ts_memory_region_add_subregion(root, 0x1000, rom, 0);
        ts_memory_region_unref(ram);
        ts_memory_region_unref(rom);
        as = ts_address_space_new("fuzz", root);
        ts_memory_region_unref(root);
    }
    return as;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool (*const parsers[])(LoadPlan *, GBytes *, GError **) = {
        elf_parse, uimage_parse, ihex_parse,
    };
    if (size < 1) {
        return 0;
    }
    g_autoptr(GBytes) file = g_bytes_new(data + 1, size - 1);
    g_autoptr(LoadPlan) plan = load_plan_new("fuzz.img");
    GError *err = NULL;
    if (parsers[data[0] % G_N_ELEMENTS(parsers)](plan, file, &err)) {
        load_plan_set_bounds(plan, 0);
        load_plan_write(machine(), plan, &err);
    }
    if (err && !strstr(err->message, "fuzz.img")) {
        g_error("message without the file name: %s", err->message);
    }
    g_clear_error(&err);
    return 0;
}
