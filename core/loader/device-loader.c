/*
 * core/loader/device-loader.c - `-device loader`, QEMU's generic loader.
 *
 * Not hardware: a way to put things into a machine from the command line,
 * the three uses QEMU's manual ("Generic Loader") describes:
 *
 *   addr=A,data=V,data-len=N[,data-be=on][,cpu-num=C]
 *       store the N-byte value V at A (through CPU C's address space,
 *       else the first CPU's), little-endian unless data-be;
 *   file=F[,addr=A][,cpu-num=C][,force-raw=on]
 *       load an ELF, uImage or Intel HEX file where it says (a raw file,
 *       or any file with force-raw, at A); with cpu-num, CPU C starts at
 *       the image's entry point (raw: A; Intel HEX without a start
 *       record: its lowest address);
 *   addr=A,cpu-num=C
 *       CPU C starts at A.
 *
 * Images are parsed and written at realize, so a bad file fails the
 * command line before anything runs, and written again after every
 * system reset, since the guest may have overwritten them.  The PC is set
 * and values are stored in a reset fixup (reset-fixups.h), which runs
 * after every device's and the board's reset and before the first start:
 * the user's word is the last one, whatever order devices reset in.
 *
 * Where we differ from QEMU, it is to refuse what QEMU silently ignores
 * or truncates: a data-len other than 1, 2, 4 or 8, a value that does
 * not fit in data-len bytes, and force-raw without a file.
 */
#include "loader-internal.h"
#include "machine/machine-lifecycle.h"
#include "object/object-hooks.h"
#include "reset-fixups.h"

#include <tessera/cpu.h>
#include <tessera/device.h>
#include <stdio.h>

#define TYPE_LOADER "loader"
#define CPU_NONE UINT32_MAX     /* cpu-num not given */

typedef struct LoaderDevice {
    TsDevice parent;
    char *file;
    uint64_t addr;
    uint64_t data;
    uint64_t data_len;
    bool data_be;
    uint64_t cpu_num;
    bool force_raw;

    /* What realize decided. */
    LoadPlan *plan;             /* the file's contents, to write again */
    bool store_data;            /* data/data-len mode */
    bool set_pc;
    uint64_t pc;
    bool fixup_added;
} LoaderDevice;

static const TsProperty loader_props[] = {
    TS_PROP_STRING("file", LoaderDevice, file, NULL,
                   "image to load (ELF, uImage, Intel HEX or raw)"),
    TS_PROP_UINT("addr", LoaderDevice, addr, 0,
                 "where to store data or a raw file; the PC to set"),
    TS_PROP_UINT("data", LoaderDevice, data, 0, "value to store at addr"),
    TS_PROP_UINT("data-len", LoaderDevice, data_len, 0,
                 "size of data in bytes: 1, 2, 4 or 8"),
    TS_PROP_BOOL("data-be", LoaderDevice, data_be, false,
                 "store data big-endian rather than little-endian"),
    { .name = "cpu-num", .kind = TS_PROP_UINT,
      .offset = offsetof(LoaderDevice, cpu_num),
      .description = "CPU whose address space to use and whose PC to set",
      .def.u = CPU_NONE, .min = 0, .max = CPU_NONE },
    TS_PROP_BOOL("force-raw", LoaderDevice, force_raw, false,
                 "load the file as raw bytes even if it is an ELF, uImage "
                 "or Intel HEX"),
    TS_PROP_END
};

/* The given CPU's view of memory, else the first CPU's, else the
 * system address space (a machine without CPUs). */
static TsAddressSpace *target_as(LoaderDevice *s)
{
    unsigned index = s->cpu_num == CPU_NONE ? 0 : (unsigned)s->cpu_num;
    TsCpu *cpu = ts_cpu_by_index(index);
    return cpu && cpu->as ? cpu->as : ts_address_space_system();
}

/* The data's bytes as the guest should see them, as a number whose
 * little-endian bytes they are (what ts_address_space_store takes). */
static uint64_t data_as_stored(LoaderDevice *s)
{
    uint64_t v = s->data;
    if (s->data_be) {
        v = GUINT64_SWAP_LE_BE(v) >> (64 - 8 * s->data_len);
    }
    return v;
}

/*
 * Store the value.  RAM and ROM are written from the host side (so ROM
 * can be patched too); anything else is a device register, written as a
 * CPU would, with its side effects: QEMU's manual shows the loader
 * setting a clock controller's register.
 */
static bool store_data(LoaderDevice *s, GError **errp)
{
    TsAddressSpace *as = target_as(s);
    unsigned len = s->data_len;
    uint64_t v = data_as_stored(s);
    if (ts_address_space_ram_ptr(as, s->addr, len, false)) {
        uint8_t bytes[8];
        for (unsigned i = 0; i < len; i++) {
            bytes[i] = v >> (8 * i);
        }
        return ts_load_bytes(as, s->addr, bytes, len, errp);
    }
    TsMemResult r = ts_address_space_store(as, s->addr, len, v);
    if (r == TS_MEM_OK) {
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                r == TS_MEM_UNASSIGNED
                ? "cannot store %u bytes at 0x%" PRIx64 ": nothing is "
                  "mapped there"
                : "cannot store %u bytes at 0x%" PRIx64 ": the device "
                  "there refused the access", len, s->addr);
    return false;
}

/* After every reset (and before the first start): images back, value
 * stored, PC set.  Failures here are warnings: the machine is running. */
static void loader_fixup(void *opaque)
{
    LoaderDevice *s = opaque;
    g_autoptr(GError) err = NULL;
    if (s->plan && !load_plan_write(target_as(s), s->plan, &err)) {
        fprintf(stderr, "warning: -device loader: %s\n", err->message);
        g_clear_error(&err);
    }
    if (s->store_data && !store_data(s, &err)) {
        fprintf(stderr, "warning: -device loader: %s\n", err->message);
    }
    if (s->set_pc) {
        TsCpu *cpu = ts_cpu_by_index(s->cpu_num);
        TsCpuClass *cc = cpu ? TS_CPU_GET_CLASS(cpu) : NULL;
        if (cc && cc->set_pc) {
            cc->set_pc(cpu, s->pc);
        }
    }
}

static bool refuse(GError **errp, const char *msg)
{
    g_set_error_literal(errp, TS_ERROR, TS_ERROR_INVALID, msg);
    return false;
}

/* Which of the three uses the properties ask for; false + errp if they
 * mix them or ask for none. */
static bool choose_mode(LoaderDevice *s, GError **errp)
{
    bool has_cpu = s->cpu_num != CPU_NONE;
    if (s->data || s->data_len || s->data_be) {
        if (s->file) {
            return refuse(errp, "a file cannot be loaded together with "
                          "data, data-len or data-be");
        }
        if (s->force_raw) {
            return refuse(errp, "force-raw applies to files; it cannot be "
                          "combined with data, data-len or data-be");
        }
        if (!s->data_len) {
            return refuse(errp, "both data and data-len must be given");
        }
        if (s->data_len != 1 && s->data_len != 2 && s->data_len != 4 &&
            s->data_len != 8) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "data-len must be 1, 2, 4 or 8, not %" PRIu64,
                        s->data_len);
            return false;
        }
        if (s->data_len < 8 && s->data >> (8 * s->data_len)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "data 0x%" PRIx64 " does not fit in data-len=%"
                        PRIu64 " bytes", s->data, s->data_len);
            return false;
        }
        s->store_data = true;
    } else if (s->file) {
        s->set_pc = has_cpu;            /* PC = the image's entry */
    } else if (s->force_raw) {
        return refuse(errp, "force-raw needs a file");
    } else if (s->addr) {
        if (!has_cpu) {
            return refuse(errp, "cpu-num must be given to set a program "
                          "counter (addr alone does nothing)");
        }
        s->set_pc = true;
        s->pc = s->addr;
    } else {
        return refuse(errp, "nothing to do: give file, addr with cpu-num, "
                      "or addr with data and data-len");
    }
    return true;
}

static bool check_cpu(LoaderDevice *s, GError **errp)
{
    if (s->cpu_num == CPU_NONE) {
        return true;
    }
    TsCpu *cpu = ts_cpu_by_index(s->cpu_num);
    if (!cpu) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "cpu-num=%" PRIu64 ": there is no such CPU (the machine "
                    "has %u)", s->cpu_num, ts_cpu_count());
        return false;
    }
    TsCpuClass *cc = TS_CPU_GET_CLASS(cpu);
    if (s->set_pc && !(cc && cc->set_pc)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "cpu-num=%" PRIu64 ": CPU type '%s' cannot have its "
                    "program counter set", s->cpu_num,
                    ts_object_type_name(TS_OBJECT(cpu)));
        return false;
    }
    return true;
}

static bool load_file(LoaderDevice *s, GError **errp)
{
    /* As in QEMU, a raw image may be as large as the machine's RAM. */
    TsMachine *m = ts_machine_current();
    uint64_t max_size = m && m->config ? m->config->ram_size : 0;
    unsigned formats = s->force_raw
        ? TS_IMAGE_RAW
        : TS_IMAGE_ELF | TS_IMAGE_UIMAGE | TS_IMAGE_IHEX | TS_IMAGE_RAW;
    s->plan = load_plan_from_file(s->file, formats, s->addr, max_size, errp);
    if (!s->plan || !load_plan_write(target_as(s), s->plan, errp)) {
        g_clear_pointer(&s->plan, load_plan_free);
        return false;
    }
    s->pc = s->plan->info.entry;
    return true;
}

static bool loader_realize(TsDevice *dev, GError **errp)
{
    LoaderDevice *s = (LoaderDevice *)dev;
    s->store_data = s->set_pc = false;
    if (!choose_mode(s, errp) || !check_cpu(s, errp)) {
        return false;
    }
    if (s->file && !load_file(s, errp)) {
        return false;
    }
    /* A value for RAM or ROM is stored now, so a wrong address fails
     * here; a device register is written only when the machine starts,
     * since writing it has effects. */
    if (s->store_data &&
        ts_address_space_ram_ptr(target_as(s), s->addr, s->data_len, false)
        && !store_data(s, errp)) {
        return false;
    }
    reset_fixup_add(loader_fixup, s);
    s->fixup_added = true;
    return true;
}

static void loader_unrealize(TsDevice *dev)
{
    LoaderDevice *s = (LoaderDevice *)dev;
    if (s->fixup_added) {
        reset_fixup_remove(loader_fixup, s);
        s->fixup_added = false;
    }
    g_clear_pointer(&s->plan, load_plan_free);
}

/* A realize that failed part-way leaves nothing for unrealize to see. */
static void loader_finalize(TsObject *obj)
{
    LoaderDevice *s = (LoaderDevice *)obj;
    g_clear_pointer(&s->plan, load_plan_free);
}

static void loader_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    dc->realize = loader_realize;
    dc->unrealize = loader_unrealize;
    dc->user_creatable = true;
    dc->categories = TS_DEVICE_CATEGORY_MISC;
    ts_class_add_properties(klass, loader_props);
}

static const TsTypeInfo loader_type = {
    .name = TYPE_LOADER,
    .parent = TS_TYPE_DEVICE,
    .description = "generic loader: load an image, store a value, set "
                   "a CPU's PC",
    .instance_size = sizeof(LoaderDevice),
    .class_init = loader_class_init,
    .instance_finalize = loader_finalize,
};

static void device_loader_init(void)
{
    object_core_type(&loader_type);
}
OBJECT_CORE_INIT(device_loader_init)
