/*
 * cpu-riscv plugin - the RV64GC hart as a Tessera CPU device.
 *
 * The hart model itself (rv-cpu.h) knows nothing of the core; this file
 * gives it a type ("rv64-cpu") with properties for -cpu rv64,<ext>=on|off,
 * reaches physical memory through the CPU's address space, takes its
 * interrupt lines as a device input ("irq", one line per mip bit), reads
 * mtime from the virtual clock (10 MHz, the frequency the virt board's
 * CLINT and device tree announce), and registers the riscv64 target.
 */
#include <tessera/build-id.h>
#include <tessera/tessera.h>
#include "rv-cpu.h"
#include "plugin-log.h"
#include "plugin-gdb.h"

#define RV_TIMEBASE_HZ 10000000ull     /* mtime ticks per second */
#define NS_PER_TICK (1000000000ull / RV_TIMEBASE_HZ)
#define RV_IMSIC_LINES 256             /* identities per interrupt file */

/* Extensions a user may toggle, as property names (ISA-string spelling). */
static const char *const toggles[] = {
    "m", "a", "f", "d", "c", "s", "u", "zifencei", "zicntr", "zihpm",
    "sstc", "svpbmt", NULL,
};
#define N_TOGGLES (G_N_ELEMENTS(toggles) - 1)

typedef struct RiscvCpu {
    TsCpu parent;
    /* properties */
    uint64_t hartid;
    uint64_t resetvec;
    bool ext_on[N_TOGGLES];
    char *mmu;                  /* "sv39" | "sv48" | "sv57" */
    char *isa;                  /* read-only: the ISA string, once realized */
    uint64_t pmp_entries;
    bool aia;                   /* x-aia: Smaia/Ssaia, set by the board */
    bool jit;                   /* set by accel-tcg (jit=on) */
    uint64_t jit_cache_size;    /* bytes; 0 = default */
    bool jit_split_wx;          /* map the code cache twice (split-wx=on) */
    /* state */
    RvCpu *hart;
    TsTimer *sstc_timer;        /* wakes the hart when stimecmp is due */
    int reset_pending;          /* atomic: reset on the hart's own thread */
    uint64_t map_generation;    /* the memory map the TLB was filled from */
    RiscvJitLog *jit_log;       /* -d op, op_opt, out_asm; else NULL */
} RiscvCpu;

static RiscvCpu *riscv_cpu(void *p)
{
    return (RiscvCpu *)p;
}

/* ---- the hart's view of the machine -------------------------------- */

/*
 * The hart caches host pointers (its TLB, the JIT's code) that are only
 * good for the memory map they came from; a device access can change
 * that map (a flash bank leaving read-array mode hides its ROM).  Such
 * an access ends the run at once, and riscv_exec drops the stale
 * pointers before the next instruction.
 */
static void note_map_change(RiscvCpu *s)
{
    if (ts_address_space_generation(s->parent.as) != s->map_generation) {
        rv_cpu_request_exit(s->hart);
    }
}

static int bus_load(void *opaque, uint64_t paddr, unsigned size,
                    uint64_t *val)
{
    TsCpu *cpu = opaque;
    TsMemResult r = ts_address_space_load(cpu->as, paddr, size, val);
    if (r != TS_MEM_OK) {
        riscv_log_bus_error(riscv_cpu(cpu)->hartid, false, paddr, size, r);
    }
    note_map_change(riscv_cpu(cpu));
    return r != TS_MEM_OK;
}

static int bus_store(void *opaque, uint64_t paddr, unsigned size,
                     uint64_t val)
{
    TsCpu *cpu = opaque;
    TsMemResult r = ts_address_space_store(cpu->as, paddr, size, val);
    if (r != TS_MEM_OK) {
        riscv_log_bus_error(riscv_cpu(cpu)->hartid, true, paddr, size, r);
    }
    note_map_change(riscv_cpu(cpu));
    return r != TS_MEM_OK;
}

static void *bus_ram_ptr(void *opaque, uint64_t paddr, uint64_t len,
                         bool write)
{
    TsCpu *cpu = opaque;
    return ts_address_space_ram_ptr(cpu->as, paddr, len, write);
}

static uint64_t hart_time(void *opaque)
{
    return (uint64_t)ts_clock_get_ns(TS_CLOCK_VIRTUAL) / NS_PER_TICK;
}

static void hart_kick(void *opaque)
{
    ts_cpu_kick(opaque);
}

static void irq_in(void *opaque, unsigned n, int level)
{
    RiscvCpu *s = opaque;
    if (s->hart) {
        rv_cpu_set_irq(s->hart, n, level != 0);
    }
}

/* "imsic-m" and "imsic-s" line n: a message for identity n arrived at
 * the hart's IMSIC page (the board's IMSIC device drives them). */
static void imsic_m_in(void *opaque, unsigned n, int level)
{
    RiscvCpu *s = opaque;
    if (s->hart && level) {
        rv_cpu_imsic_send(s->hart, false, n);
    }
}

static void imsic_s_in(void *opaque, unsigned n, int level)
{
    RiscvCpu *s = opaque;
    if (s->hart && level) {
        rv_cpu_imsic_send(s->hart, true, n);
    }
}

static void hart_trap(void *opaque, const RvTrap *trap)
{
    riscv_log_trap(riscv_cpu(opaque)->hartid, trap);
    riscv_log_unimp(riscv_cpu(opaque)->hartid, trap);
}

/* Every reset of the hart goes through here, for -d cpu_reset. */
static void hart_reset(RiscvCpu *s)
{
    rv_cpu_reset(s->hart, s->resetvec);
    riscv_log_reset(s->hartid, s->hart);
}

static void hart_decode(void *opaque, uint64_t pc, const RvInsn *insn)
{
    riscv_log_in_asm(riscv_cpu(opaque)->hartid, pc, insn);
}

static void hart_jit_ir(void *opaque, uint64_t pc, bool optimised,
                        const char *text)
{
    riscv_log_jit_ir(riscv_cpu(opaque)->jit_log, pc, optimised, text);
}

static void hart_jit_code(void *opaque, uint64_t pc, const uint8_t *code,
                          size_t size)
{
    riscv_log_out_asm(riscv_cpu(opaque)->jit_log, pc, code, size);
}

static void sstc_fire(void *opaque)
{
    ts_cpu_kick(opaque);
}

/* ---- TsCpuClass ----------------------------------------------------- */

/* accel-tcg asks for the JIT through the jit/jit-cache-size properties
 * once the CPUs exist; the code cache is made on the hart's own thread. */
static void jit_start(RiscvCpu *s)
{
    GError *err = NULL;
    if (!rv_cpu_enable_jit(s->hart, s->jit_cache_size, s->jit_split_wx, &err)) {
        g_printerr("tessera: hart %" PRIu64 ": %s; interpreting instead\n",
                   s->hartid, err->message);
        g_error_free(err);
        s->jit = false;
        return;
    }
    rv_cpu_jit_set_chaining(s->hart, !ts_log_enabled(TS_LOG_NOCHAIN));
}

static TsCpuExit riscv_exec(TsCpu *cpu, uint64_t budget)
{
    RiscvCpu *s = riscv_cpu(cpu);
    if (g_atomic_int_compare_and_exchange(&s->reset_pending, 1, 0)) {
        hart_reset(s);
    }
    uint64_t generation = ts_address_space_generation(cpu->as);
    if (generation != s->map_generation) {
        s->map_generation = generation;
        rv_cpu_flush_tlb(s->hart);
    }
    if (G_UNLIKELY(s->jit) && !rv_cpu_jit_enabled(s->hart)) {
        jit_start(s);
    }
    switch (rv_cpu_run(s->hart, budget, NULL)) {
    case RV_STOP_BUDGET:
        return TS_CPU_EXIT_BUDGET;
    case RV_STOP_WFI: {
        /* The accelerator sleeps until a kick: make sure the hart's own
         * timer (Sstc) is one, since no device drives that line. */
        uint64_t due = rv_cpu_timer_deadline(s->hart);
        if (due != UINT64_MAX) {
            uint64_t ns = due > INT64_MAX / NS_PER_TICK ? INT64_MAX
                                                        : due * NS_PER_TICK;
            ts_timer_mod(s->sstc_timer, (int64_t)ns);
        }
        return TS_CPU_EXIT_IDLE;
    }
    case RV_STOP_DEBUG:
        return TS_CPU_EXIT_DEBUG;
    case RV_STOP_EXIT:
    default:
        return TS_CPU_EXIT_REQUEST;
    }
}

/* ---- the debugger's hooks (plugin-gdb.c, debug.c) ------------------- */

static size_t riscv_gdb_read(TsCpu *cpu, unsigned n, uint8_t *buf, size_t size)
{
    return riscv_gdb_read_register(riscv_cpu(cpu)->hart, n, buf, size);
}

static size_t riscv_gdb_write(TsCpu *cpu, unsigned n, const uint8_t *buf,
                              size_t len)
{
    return riscv_gdb_write_register(riscv_cpu(cpu)->hart, n, buf, len);
}

static const char *riscv_gdb_target_xml(TsCpu *cpu, const char *annex)
{
    return riscv_gdb_xml(annex);
}

static bool riscv_debug_translate(TsCpu *cpu, uint64_t vaddr, uint64_t *paddr)
{
    return rv_cpu_debug_translate(riscv_cpu(cpu)->hart, vaddr, paddr);
}

static void riscv_set_debug(TsCpu *cpu, const uint64_t *bps, unsigned n,
                            bool single_step)
{
    rv_cpu_set_debug(riscv_cpu(cpu)->hart, bps, n, single_step);
}

static bool riscv_has_work(TsCpu *cpu)
{
    RiscvCpu *s = riscv_cpu(cpu);
    return g_atomic_int_get(&s->reset_pending) || rv_cpu_has_work(s->hart);
}

static void riscv_kick(TsCpu *cpu)
{
    RiscvCpu *s = riscv_cpu(cpu);
    if (s->hart) {
        rv_cpu_request_exit(s->hart);
    }
}

static void riscv_dump_state(TsCpu *cpu, GString *out)
{
    rv_cpu_dump_state(riscv_cpu(cpu)->hart, out);
}

static bool riscv_read_register(TsCpu *cpu, const char *name, uint64_t *v)
{
    return rv_cpu_read_register(riscv_cpu(cpu)->hart, name, v);
}

static void riscv_set_pc(TsCpu *cpu, uint64_t pc)
{
    RiscvCpu *s = riscv_cpu(cpu);
    /* A reset still pending would undo the new pc: do it now. */
    if (g_atomic_int_compare_and_exchange(&s->reset_pending, 1, 0)) {
        hart_reset(s);
    }
    rv_cpu_set_pc(s->hart, pc);
}

/* ---- TsDeviceClass -------------------------------------------------- */

static bool parse_mmu(const char *name, RvMmuMode *mode, GError **errp)
{
    static const struct { const char *name; RvMmuMode mode; } modes[] = {
        { "sv39", RV_MMU_SV39 }, { "sv48", RV_MMU_SV48 },
        { "sv57", RV_MMU_SV57 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        if (g_ascii_strcasecmp(name, modes[i].name) == 0) {
            *mode = modes[i].mode;
            return true;
        }
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Parameter 'mmu' expects sv39, sv48 or sv57");
    return false;
}

static bool riscv_realize(TsDevice *dev, GError **errp)
{
    RiscvCpu *s = riscv_cpu(dev);
    TsCpu *cpu = &s->parent;
    RvCpuConfig cfg = {
        .hart_id = s->hartid,
        .pmp_entries = (unsigned)s->pmp_entries,
        .bus = { cpu, bus_load, bus_store, bus_ram_ptr },
        .get_time = hart_time,
        .kick = hart_kick, .kick_opaque = cpu,
        .on_trap = hart_trap, .trap_opaque = s,
        /* -d is parsed before any CPU exists; no hook, no cost. */
        .on_decode = ts_log_enabled(TS_LOG_IN_ASM) ? hart_decode : NULL,
        .decode_opaque = s,
        .on_jit_ir = ts_log_enabled(TS_LOG_OP | TS_LOG_OP_OPT) ? hart_jit_ir
                                                                : NULL,
        .on_jit_code = ts_log_enabled(TS_LOG_OUT_ASM) ? hart_jit_code : NULL,
        .jit_log_opaque = s,
    };
    if (s->pmp_entries > 16) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'pmp-entries' expects 0 to 16");
        return false;
    }
    if (!parse_mmu(s->mmu ? s->mmu : "sv57", &cfg.max_mmu, errp)) {
        return false;
    }
    cfg.ext = RV_EXT_ZICSR;
    for (size_t i = 0; i < N_TOGGLES; i++) {
        uint32_t bit;
        if (s->ext_on[i] && rv_ext_from_name(toggles[i], &bit)) {
            cfg.ext |= bit;
        }
    }
    if (s->aia) {
        cfg.ext |= RV_EXT_SMAIA;
    }
    if ((cfg.ext & RV_EXT_D) && !(cfg.ext & RV_EXT_F)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "extension 'd' requires 'f'");
        return false;
    }
    if ((cfg.ext & RV_EXT_S) && !(cfg.ext & RV_EXT_U)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "extension 's' requires 'u'");
        return false;
    }
    if (!cpu->as) {
        cpu->as = ts_address_space_system();
    }
    if (s->isa) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Property 'isa' is read-only; toggle extensions instead "
                    "(e.g. -cpu rv64,c=off)");
        return false;
    }
    if (ts_log_enabled(TS_LOG_OP | TS_LOG_OP_OPT | TS_LOG_OUT_ASM)) {
        s->jit_log = riscv_jit_log_new(s->hartid);
    }
    s->hart = rv_cpu_new(&cfg, errp);
    if (!s->hart) {
        g_clear_pointer(&s->jit_log, riscv_jit_log_free);
        return false;
    }
    s->isa = rv_cpu_isa_string(s->hart);
    s->sstc_timer = ts_timer_new(TS_CLOCK_VIRTUAL, sstc_fire, cpu);
    ts_device_init_irq_in(dev, "irq", 16, irq_in, s);
    if (s->aia) {
        ts_device_init_irq_in(dev, "imsic-m", RV_IMSIC_LINES, imsic_m_in, s);
        ts_device_init_irq_in(dev, "imsic-s", RV_IMSIC_LINES, imsic_s_in, s);
    }
    hart_reset(s);
    return true;
}

static void riscv_unrealize(TsDevice *dev)
{
    RiscvCpu *s = riscv_cpu(dev);
    ts_timer_free(s->sstc_timer);
    s->sstc_timer = NULL;
    rv_cpu_free(s->hart);
    s->hart = NULL;
    g_clear_pointer(&s->jit_log, riscv_jit_log_free);
    g_clear_pointer(&s->isa, g_free);
}

static void riscv_reset(TsDevice *dev)
{
    /* The hart may be inside rv_cpu_run on its thread right now (a reset
     * stops the VM but does not wait for the CPU threads), so the reset
     * itself runs there, at the start of the next exec(). */
    RiscvCpu *s = riscv_cpu(dev);
    g_atomic_int_set(&s->reset_pending, 1);
    s->parent.halted = false;
    ts_cpu_kick(&s->parent);
}

/* ---- type ------------------------------------------------------------ */

/* toggles[i] names ext_on[i]; the table below spells them out again. */
#define EXT_PROP(i, desc)                                                  \
    TS_PROP_BOOL(EXT_NAME_##i, RiscvCpu, ext_on[i], true, desc)
#define EXT_NAME_0 "m"
#define EXT_NAME_1 "a"
#define EXT_NAME_2 "f"
#define EXT_NAME_3 "d"
#define EXT_NAME_4 "c"
#define EXT_NAME_5 "s"
#define EXT_NAME_6 "u"
#define EXT_NAME_7 "zifencei"
#define EXT_NAME_8 "zicntr"
#define EXT_NAME_9 "zihpm"
#define EXT_NAME_10 "sstc"
#define EXT_NAME_11 "svpbmt"

static const TsProperty riscv_props[] = {
    TS_PROP_UINT("hartid", RiscvCpu, hartid, 0, "mhartid of this hart"),
    TS_PROP_UINT("resetvec", RiscvCpu, resetvec, 0x1000,
                 "address the hart starts at after reset"),
    TS_PROP_STRING("mmu", RiscvCpu, mmu, "sv57",
                   "largest paging mode: sv39, sv48 or sv57"),
    TS_PROP_STRING("isa", RiscvCpu, isa, NULL,
                   "ISA string for the device tree (read-only)"),
    TS_PROP_UINT("pmp-entries", RiscvCpu, pmp_entries, 16,
                 "number of PMP entries (0-16)"),
    TS_PROP_BOOL("x-aia", RiscvCpu, aia, false,
                 "Smaia and Ssaia: IMSIC interrupt files and their CSRs "
                 "(set by the board for aia=aplic-imsic)"),
    EXT_PROP(0, "integer multiply and divide"),
    EXT_PROP(1, "atomic instructions"),
    EXT_PROP(2, "single-precision floating point"),
    EXT_PROP(3, "double-precision floating point"),
    EXT_PROP(4, "compressed instructions"),
    EXT_PROP(5, "supervisor mode and paging"),
    EXT_PROP(6, "user mode"),
    EXT_PROP(7, "fence.i"),
    EXT_PROP(8, "cycle, time and instret counters"),
    EXT_PROP(9, "hardware performance counters"),
    EXT_PROP(10, "supervisor timer compare (stimecmp)"),
    EXT_PROP(11, "page-based memory types"),
    /* set by the accelerator (-accel tcg,jit=on,tb-size=N), not by users */
    { .name = "x-jit", .kind = TS_PROP_BOOL, .offset = offsetof(RiscvCpu, jit),
      .description = "run through the JIT (set by -accel tcg,jit=on)",
      .def.b = false, .settable_after_realize = true },
    { .name = "x-jit-cache-size", .kind = TS_PROP_SIZE,
      .offset = offsetof(RiscvCpu, jit_cache_size),
      .description = "JIT code cache in bytes, 0 for the default (set by "
                     "-accel tcg,tb-size=N)",
      .def.u = 0, .settable_after_realize = true },
    { .name = "x-jit-split-wx", .kind = TS_PROP_BOOL,
      .offset = offsetof(RiscvCpu, jit_split_wx),
      .description = "map the JIT code cache twice, writable and executable "
                     "(set by -accel tcg,split-wx=on)",
      .def.b = false, .settable_after_realize = true },
    TS_PROP_END,
};

static void riscv_class_init(TsObjectClass *klass, const void *data)
{
    TsDeviceClass *dc = (TsDeviceClass *)klass;
    TsCpuClass *cc = (TsCpuClass *)klass;
    dc->realize = riscv_realize;
    dc->unrealize = riscv_unrealize;
    dc->reset = riscv_reset;
    dc->user_creatable = false;     /* boards create their harts */
    cc->exec = riscv_exec;
    cc->has_work = riscv_has_work;
    cc->kick = riscv_kick;
    cc->dump_state = riscv_dump_state;
    cc->read_register = riscv_read_register;
    cc->set_pc = riscv_set_pc;
    cc->gdb_read_register = riscv_gdb_read;
    cc->gdb_write_register = riscv_gdb_write;
    cc->gdb_target_xml = riscv_gdb_target_xml;
    cc->debug_translate = riscv_debug_translate;
    cc->set_debug = riscv_set_debug;
    ts_class_add_properties(klass, riscv_props);
}

static const TsTypeInfo riscv_cpu_type = {
    .name = "rv64" TS_CPU_SUFFIX,
    .parent = TS_TYPE_CPU,
    .description = "RV64GC hart with Zicntr, Zihpm, Sstc and Svpbmt",
    .instance_size = sizeof(RiscvCpu),
    .class_init = riscv_class_init,
};

static const TsTargetInfo riscv64_target = {
    .name = "riscv64",
    .description = "RISC-V 64-bit",
    .default_machine = "virt",
};

static bool riscv_plugin_init(GError **errp)
{
    return ts_type_register(&riscv_cpu_type, errp) &&
           ts_target_register(&riscv64_target, errp);
}

TS_PLUGIN_INTERNAL("cpu-riscv", "RISC-V 64 CPU (RV64GC)", riscv_plugin_init,
                   TS_BUILD_ID);
