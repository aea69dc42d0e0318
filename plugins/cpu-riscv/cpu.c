/*
 * cpu.c - hart life cycle, configuration, interrupt lines and the
 * accessors monitors and debuggers use.
 */
#include "rv-state.h"
#include "jit.h"

static const struct {
    const char *name;
    uint32_t bit;
} ext_names[] = {
    { "m", RV_EXT_M }, { "a", RV_EXT_A }, { "f", RV_EXT_F }, { "d", RV_EXT_D },
    { "c", RV_EXT_C }, { "s", RV_EXT_S }, { "u", RV_EXT_U },
    { "zicsr", RV_EXT_ZICSR }, { "zifencei", RV_EXT_ZIFENCEI },
    { "zicntr", RV_EXT_ZICNTR }, { "zihpm", RV_EXT_ZIHPM },
    { "smaia", RV_EXT_SMAIA }, { "ssaia", RV_EXT_SMAIA },
    { "sstc", RV_EXT_SSTC }, { "svpbmt", RV_EXT_SVPBMT },
};

bool rv_ext_from_name(const char *name, uint32_t *bit)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(ext_names); i++) {
        if (g_ascii_strcasecmp(name, ext_names[i].name) == 0) {
            *bit = ext_names[i].bit;
            return true;
        }
    }
    return false;
}

RvCpu *rv_cpu_new(const RvCpuConfig *cfg, GError **errp)
{
    RvCpu *cpu;
    uint32_t ext = cfg->ext ? cfg->ext : RV_EXT_DEFAULT;
    unsigned max_mmu = cfg->max_mmu ? cfg->max_mmu : RV_MMU_SV57;

    if (cfg->pmp_entries > RV_PMP_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "RISC-V hart: %u PMP entries requested, at most %u supported",
                    cfg->pmp_entries, RV_PMP_MAX);
        return NULL;
    }
    if (max_mmu < RV_MMU_SV39 || max_mmu > RV_MMU_SV57) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "RISC-V hart: unknown paging mode %u", max_mmu);
        return NULL;
    }
    if ((ext & RV_EXT_D) && !(ext & RV_EXT_F)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "RISC-V hart: extension 'd' requires 'f'");
        return NULL;
    }
    if ((ext & RV_EXT_S) && !(ext & RV_EXT_U)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "RISC-V hart: extension 's' requires 'u'");
        return NULL;
    }
    if ((ext & (RV_EXT_SSTC | RV_EXT_SVPBMT)) && !(ext & RV_EXT_S)) {
        ext &= ~(RV_EXT_SSTC | RV_EXT_SVPBMT);
    }
    if (!cfg->bus.load || !cfg->bus.store) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "RISC-V hart: the bus needs load and store callbacks");
        return NULL;
    }
    cpu = g_malloc0(sizeof(*cpu));
    cpu->cfg = *cfg;
    cpu->ext = ext | RV_EXT_ZICSR;
    cpu->aia = (ext & RV_EXT_SMAIA) != 0;
    cpu->max_mmu = max_mmu;
    cpu->pmp_entries = cfg->pmp_entries ? cfg->pmp_entries : RV_PMP_MAX;
    cpu->dcache = g_malloc(sizeof(RvDecoded) * RV_DCACHE_SIZE);
    rv_cpu_reset(cpu, 0);
    return cpu;
}

void rv_cpu_free(RvCpu *cpu)
{
    if (cpu) {
        rv_jit_free(cpu);
        g_free(cpu->debug_bp);
        g_free(cpu->dcache);
        g_free(cpu);
    }
}

void rv_cpu_reset(RvCpu *cpu, uint64_t pc)
{
    memset(cpu->x, 0, sizeof(cpu->x));
    memset(cpu->f, 0, sizeof(cpu->f));
    cpu->pc = pc;
    cpu->priv = RV_PRIV_M;
    cpu->fflags = cpu->frm = 0;
    cpu->mstatus = 0;
    cpu->medeleg = cpu->mideleg = cpu->mie = 0;
    cpu->mtvec = cpu->mscratch = cpu->mepc = cpu->mcause = cpu->mtval = 0;
    cpu->mcounteren = cpu->menvcfg = cpu->mcountinhibit = 0;
    cpu->stvec = cpu->sscratch = cpu->sepc = cpu->scause = cpu->stval = 0;
    cpu->scounteren = cpu->senvcfg = cpu->satp = 0;
    cpu->stimecmp = UINT64_MAX;
    cpu->mip_sw = 0;
    cpu->instret = cpu->instret_offset = cpu->cycle_offset = 0;
    memset(cpu->pmpaddr, 0, sizeof(cpu->pmpaddr));
    memset(cpu->pmpcfg, 0, sizeof(cpu->pmpcfg));
    cpu->pmp_active = false;
    rv_aia_reset(cpu);
    cpu->reservation = RV_TLB_EMPTY;
    cpu->in_wfi = false;
    memset(cpu->dcache, 0xff, sizeof(RvDecoded) * RV_DCACHE_SIZE);
    rv_tlb_flush_all(cpu);
    rv_jit_flush(cpu);          /* a reset usually follows new images */
}

void rv_cpu_set_irq(RvCpu *cpu, unsigned irq, bool level)
{
    uint32_t bit = 1u << irq;
    if (irq > RV_IRQ_MEI || !(bit & ((1u << RV_IRQ_MSI) | (1u << RV_IRQ_MTI) |
                                     (1u << RV_IRQ_MEI) | (1u << RV_IRQ_SEI)))) {
        return;
    }
    if (level) {
        __atomic_fetch_or(&cpu->irq_lines, bit, __ATOMIC_RELEASE);
    } else {
        __atomic_fetch_and(&cpu->irq_lines, ~bit, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&cpu->break_chunk, 1, __ATOMIC_RELAXED);
    if (cpu->cfg.kick) {
        cpu->cfg.kick(cpu->cfg.kick_opaque);
    }
}

void rv_cpu_request_exit(RvCpu *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&cpu->break_chunk, 1, __ATOMIC_RELAXED);
}

bool rv_cpu_has_work(RvCpu *cpu)
{
    return (rv_pending_irqs(cpu) & __atomic_load_n(&cpu->mie, __ATOMIC_RELAXED)) != 0;
}

uint64_t rv_cpu_timer_deadline(RvCpu *cpu)
{
    if ((cpu->ext & RV_EXT_SSTC) && (cpu->menvcfg & MENVCFG_STCE) &&
        (cpu->mie & (1u << RV_IRQ_STI))) {
        return cpu->stimecmp;
    }
    return UINT64_MAX;
}

void rv_cpu_flush_tlb(RvCpu *cpu)
{
    rv_tlb_flush_all(cpu);
    rv_jit_flush(cpu);          /* RAM may now be other memory */
}

bool rv_cpu_enable_jit(RvCpu *cpu, uint64_t cache_bytes, bool split_wx,
                       GError **errp)
{
    return rv_jit_enable(cpu, (size_t)cache_bytes, split_wx, errp);
}

void rv_cpu_jit_set_chaining(RvCpu *cpu, bool on)
{
    rv_jit_set_chaining(cpu, on);
}

void rv_cpu_jit_set_threshold(RvCpu *cpu, unsigned runs)
{
    if (cpu->jit) {
        cpu->jit->hot = runs;
    }
}

bool rv_cpu_jit_enabled(const RvCpu *cpu)
{
    return cpu->jit != NULL;
}

void rv_cpu_jit_stats(const RvCpu *cpu, RvJitStats *out)
{
    memset(out, 0, sizeof(*out));
    if (cpu->jit) {
        out->blocks_translated = cpu->jit->translated;
        out->blocks_invalidated = cpu->jit->invalidated;
        out->flushes = cpu->jit->flushes;
        out->insns_jitted = cpu->jit->insns;
        out->jumps_chained = cpu->jit->chained;
    }
}

char *rv_cpu_isa_string(const RvCpu *cpu)
{
    GString *s = g_string_new("rv64i");
    static const char letters[] = "mafdc";
    static const uint32_t bits_[] = { RV_EXT_M, RV_EXT_A, RV_EXT_F, RV_EXT_D, RV_EXT_C };

    for (unsigned i = 0; i < 5; i++) {
        if (cpu->ext & bits_[i]) {
            g_string_append_c(s, letters[i]);
        }
    }
    /* multi-letter extensions in canonical order: Z* then S* */
    for (unsigned i = 7; i < G_N_ELEMENTS(ext_names); i++) {
        if (cpu->ext & ext_names[i].bit) {
            g_string_append_printf(s, "_%s", ext_names[i].name);
        }
    }
    return g_string_free(s, false);
}

uint64_t rv_cpu_get_pc(const RvCpu *cpu) { return cpu->pc; }
void rv_cpu_set_pc(RvCpu *cpu, uint64_t pc) { cpu->pc = pc; }
unsigned rv_cpu_get_priv(const RvCpu *cpu) { return cpu->priv; }

uint64_t rv_cpu_get_xreg(const RvCpu *cpu, unsigned n)
{
    return n < 32 ? cpu->x[n] : 0;
}

void rv_cpu_set_xreg(RvCpu *cpu, unsigned n, uint64_t v)
{
    if (n > 0 && n < 32) {
        cpu->x[n] = v;
    }
}

uint64_t rv_cpu_get_freg(const RvCpu *cpu, unsigned n)
{
    return n < 32 ? cpu->f[n] : 0;
}

void rv_cpu_set_freg(RvCpu *cpu, unsigned n, uint64_t v)
{
    if (n < 32) {
        cpu->f[n] = v;
    }
}

bool rv_cpu_read_csr(RvCpu *cpu, unsigned csr, uint64_t *val)
{
    return csr < 4096 && rv_csr_read(cpu, csr, val, false);
}

bool rv_cpu_write_csr(RvCpu *cpu, unsigned csr, uint64_t val)
{
    return csr < 4096 && rv_csr_write(cpu, csr, val, false);
}

bool rv_cpu_debug_translate(RvCpu *cpu, uint64_t vaddr, uint64_t *paddr)
{
    return rv_translate(cpu, vaddr, RV_ACC_READ, rv_data_priv(cpu), false, paddr) < 0;
}

static const char *const abi_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1",
    "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const struct { const char *name; unsigned csr; } csr_names[] = {
    { "fflags", 0x001 }, { "frm", 0x002 }, { "fcsr", 0x003 },
    { "sstatus", 0x100 }, { "sie", 0x104 }, { "stvec", 0x105 },
    { "scounteren", 0x106 }, { "senvcfg", 0x10a }, { "sscratch", 0x140 },
    { "sepc", 0x141 }, { "scause", 0x142 }, { "stval", 0x143 }, { "sip", 0x144 },
    { "stimecmp", 0x14d }, { "satp", 0x180 },
    { "mstatus", 0x300 }, { "misa", 0x301 }, { "medeleg", 0x302 },
    { "mideleg", 0x303 }, { "mie", 0x304 }, { "mtvec", 0x305 },
    { "mcounteren", 0x306 }, { "menvcfg", 0x30a }, { "mscratch", 0x340 },
    { "mepc", 0x341 }, { "mcause", 0x342 }, { "mtval", 0x343 }, { "mip", 0x344 },
    { "mcycle", 0xb00 }, { "minstret", 0xb02 }, { "cycle", 0xc00 },
    { "time", 0xc01 }, { "instret", 0xc02 }, { "mhartid", 0xf14 },
};

bool rv_cpu_read_register(RvCpu *cpu, const char *name, uint64_t *val)
{
    if (g_ascii_strcasecmp(name, "pc") == 0) {
        *val = cpu->pc;
        return true;
    }
    if (g_ascii_strcasecmp(name, "priv") == 0) {
        *val = cpu->priv;
        return true;
    }
    if (g_ascii_strcasecmp(name, "fp") == 0) {
        *val = cpu->x[8];
        return true;
    }
    for (unsigned i = 0; i < 32; i++) {
        if (g_ascii_strcasecmp(name, abi_names[i]) == 0) {
            *val = cpu->x[i];
            return true;
        }
    }
    if ((name[0] == 'x' || name[0] == 'f') && g_ascii_isdigit(name[1])) {
        char *end;
        guint64 n = g_ascii_strtoull(name + 1, &end, 10);
        if (*end == '\0' && n < 32) {
            *val = name[0] == 'x' ? cpu->x[n] : cpu->f[n];
            return true;
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(csr_names); i++) {
        if (g_ascii_strcasecmp(name, csr_names[i].name) == 0) {
            return rv_cpu_read_csr(cpu, csr_names[i].csr, val);
        }
    }
    return false;
}

void rv_cpu_dump_state(RvCpu *cpu, GString *out)
{
    static const char priv_letter[4] = { 'U', 'S', '?', 'M' };
    g_string_append_printf(out, " pc       %016" PRIx64 "  priv %c\n",
                           cpu->pc, priv_letter[cpu->priv & 3]);
    for (unsigned i = 0; i < G_N_ELEMENTS(csr_names); i++) {
        uint64_t v;
        if (csr_names[i].csr == 0xc01 || !rv_cpu_read_csr(cpu, csr_names[i].csr, &v)) {
            continue;
        }
        g_string_append_printf(out, " %-10s %016" PRIx64 "\n", csr_names[i].name, v);
    }
    for (unsigned i = 0; i < 32; i++) {
        g_string_append_printf(out, " x%-2u/%-4s %016" PRIx64 "%s", i, abi_names[i],
                               cpu->x[i], (i % 4) == 3 ? "\n" : "");
    }
    if (cpu->ext & RV_EXT_F) {
        for (unsigned i = 0; i < 32; i++) {
            g_string_append_printf(out, " f%-2u      %016" PRIx64 "%s", i,
                                   cpu->f[i], (i % 4) == 3 ? "\n" : "");
        }
    }
}
