/*
 * core/memory/memory-hmp.c - `info mtree`: the region trees, or with -f
 * the flat views, of system memory and of every CPU's own address space.
 */
#include "memory-dump.h"
#include "monitor/hmp.h"

#include <tessera/cpu.h>
#include <tessera/memory.h>

static void print_address_space(HmpCall *c, TsAddressSpace *as, bool flat)
{
    g_autofree char *text = flat ? ts_address_space_flat_dump(as)
                                 : ts_address_space_mtree(as);
    if (text) {
        hmp_printf(c, "%s", text);
    }
}

static void info_mtree(HmpCall *c, const char *args)
{
    bool flat = g_str_equal(args, "-f");
    if (*args && !flat) {
        hmp_printf(c, "info mtree: unknown option '%s' (only -f)\n", args);
        return;
    }
    TsAddressSpace *system = ts_address_space_system();
    print_address_space(c, system, flat);
    /* A CPU with an address space of its own shows it too. */
    g_autoptr(GPtrArray) shown = g_ptr_array_new();
    g_ptr_array_add(shown, system);
    for (unsigned i = 0; i < ts_cpu_count(); i++) {
        TsCpu *cpu = ts_cpu_by_index(i);
        if (cpu && cpu->as && !g_ptr_array_find(shown, cpu->as, NULL)) {
            g_ptr_array_add(shown, cpu->as);
            hmp_printf(c, "\n");
            print_address_space(c, cpu->as, flat);
        }
    }
}

static const HmpCommand memory_info_commands[] = {
    { "mtree", "[-f]", "show memory tree (-f: flat view)", info_mtree },
    { NULL }
};
HMP_INFO_COMMANDS(memory_info_commands)
