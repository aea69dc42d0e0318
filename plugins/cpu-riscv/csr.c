/*
 * csr.c - control and status registers (Zicsr, Zicntr, Zihpm, Sstc, the
 * M- and S-mode CSRs of the Privileged ISA 20211203, and fflags/frm/fcsr).
 *
 * rv_csr_read/rv_csr_write with `checked` apply the access rules that
 * depend on state (counter enables, TVM, FS, Sstc enables); the generic
 * privilege and read-only checks by CSR number are in rv_exec_csr.
 */
#include "rv-state.h"

enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105,
    CSR_SCOUNTEREN = 0x106, CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140,
    CSR_SEPC = 0x141, CSR_SCAUSE = 0x142, CSR_STVAL = 0x143, CSR_SIP = 0x144,
    CSR_STIMECMP = 0x14d, CSR_SATP = 0x180,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302,
    CSR_MIDELEG = 0x303, CSR_MIE = 0x304, CSR_MTVEC = 0x305,
    CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a, CSR_MCOUNTINHIBIT = 0x320,
    CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33f,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342,
    CSR_MTVAL = 0x343, CSR_MIP = 0x344,
    CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02, CSR_MHPMCOUNTER3 = 0xb03,
    CSR_MHPMCOUNTER31 = 0xb1f,
    CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02,
    CSR_HPMCOUNTER3 = 0xc03, CSR_HPMCOUNTER31 = 0xc1f,
    CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12, CSR_MIMPID = 0xf13,
    CSR_MHARTID = 0xf14, CSR_MCONFIGPTR = 0xf15,
};

#define MSTATUS_WRITABLE (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | \
                          MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | \
                          MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | \
                          MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
#define MEDELEG_WRITABLE 0xb3ffull     /* all synchronous causes but ecall-from-M */

void rv_set_fs_dirty(RvCpu *cpu)
{
    cpu->mstatus |= MSTATUS_FS;
}

static uint64_t misa_value(const RvCpu *cpu)
{
    uint64_t v = 2ull << 62;
    static const struct { uint32_t ext; char letter; } map[] = {
        { RV_EXT_A, 'a' }, { RV_EXT_C, 'c' }, { RV_EXT_D, 'd' }, { RV_EXT_F, 'f' },
        { RV_EXT_M, 'm' }, { RV_EXT_S, 's' }, { RV_EXT_U, 'u' },
    };
    v |= 1u << ('i' - 'a');
    for (unsigned i = 0; i < G_N_ELEMENTS(map); i++) {
        if (cpu->ext & map[i].ext) {
            v |= 1u << (map[i].letter - 'a');
        }
    }
    return v;
}

static uint64_t mstatus_value(const RvCpu *cpu)
{
    uint64_t s = cpu->mstatus | (2ull << 32) | (2ull << 34);   /* UXL = SXL = 64 */
    if ((s & MSTATUS_FS) == MSTATUS_FS) {
        s |= MSTATUS_SD;
    }
    return s;
}

static void mstatus_write(RvCpu *cpu, uint64_t val, uint64_t mask)
{
    uint64_t old = cpu->mstatus, s;
    if (((val & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == 2 ||
        (((val & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == RV_PRIV_S && !(cpu->ext & RV_EXT_S)) ||
        (((val & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == RV_PRIV_U && !(cpu->ext & RV_EXT_U))) {
        mask &= ~MSTATUS_MPP;               /* WARL: keep the legal old value */
    }
    if (!(cpu->ext & RV_EXT_F)) {
        mask &= ~MSTATUS_FS;
    }
    if (!(cpu->ext & RV_EXT_S)) {
        mask &= ~(MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM |
                  MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TSR);
    }
    s = (old & ~mask) | (val & mask);
    cpu->mstatus = s;
    if ((old ^ s) & (MSTATUS_SUM | MSTATUS_MXR)) {
        rv_tlb_flush_all(cpu);              /* cached permissions changed */
    }
}

/* Counter CSRs (cycle/time/instret/hpmcounterN) from S or U mode. */
static bool counter_allowed(const RvCpu *cpu, unsigned csr)
{
    unsigned bit = csr & 31;
    if (!(cpu->ext & RV_EXT_ZICNTR) && bit < 3) {
        return false;
    }
    if (!(cpu->ext & RV_EXT_ZIHPM) && bit >= 3) {
        return false;
    }
    if (cpu->priv < RV_PRIV_M && !((cpu->mcounteren >> bit) & 1)) {
        return false;
    }
    if (cpu->priv < RV_PRIV_S && !((cpu->scounteren >> bit) & 1)) {
        return false;
    }
    return true;
}

static bool stimecmp_allowed(const RvCpu *cpu)
{
    if (!(cpu->ext & RV_EXT_SSTC)) {
        return false;
    }
    if (cpu->priv == RV_PRIV_S) {
        return (cpu->menvcfg & MENVCFG_STCE) && (cpu->mcounteren & 2);
    }
    return true;
}

static bool has_s(const RvCpu *cpu)
{
    return (cpu->ext & RV_EXT_S) != 0;
}

bool rv_csr_read(RvCpu *cpu, unsigned csr, uint64_t *val, bool checked)
{
    switch (csr) {
    case CSR_FFLAGS: case CSR_FRM: case CSR_FCSR:
        if (!(cpu->ext & RV_EXT_F) || (checked && rv_fs_off(cpu))) {
            return false;
        }
        *val = csr == CSR_FFLAGS ? cpu->fflags : csr == CSR_FRM ? cpu->frm
             : (cpu->frm << 5) | cpu->fflags;
        return true;
    case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET:
    case CSR_HPMCOUNTER3 ... CSR_HPMCOUNTER31:
        if (checked && !counter_allowed(cpu, csr)) {
            return false;
        }
        *val = csr == CSR_CYCLE ? cpu->instret + cpu->cycle_offset
             : csr == CSR_TIME ? rv_time(cpu)
             : csr == CSR_INSTRET ? cpu->instret + cpu->instret_offset : 0;
        return true;
    case CSR_MCYCLE: *val = cpu->instret + cpu->cycle_offset; return true;
    case CSR_MINSTRET: *val = cpu->instret + cpu->instret_offset; return true;
    case CSR_MHPMCOUNTER3 ... CSR_MHPMCOUNTER31:
    case CSR_MHPMEVENT3 ... CSR_MHPMEVENT31:
        *val = 0;
        return true;
    case CSR_MCOUNTINHIBIT: *val = cpu->mcountinhibit; return true;
    case CSR_MVENDORID: case CSR_MARCHID: case CSR_MIMPID: case CSR_MCONFIGPTR:
        *val = 0;
        return true;
    case CSR_MHARTID: *val = cpu->cfg.hart_id; return true;
    case CSR_MSTATUS: *val = mstatus_value(cpu); return true;
    case CSR_MISA: *val = misa_value(cpu); return true;
    case CSR_MEDELEG: *val = cpu->medeleg; return true;
    case CSR_MIDELEG: *val = cpu->mideleg; return true;
    case CSR_MIE: *val = cpu->mie; return true;
    case CSR_MTVEC: *val = cpu->mtvec; return true;
    case CSR_MCOUNTEREN: *val = cpu->mcounteren; return true;
    case CSR_MENVCFG: *val = cpu->menvcfg; return true;
    case CSR_MSCRATCH: *val = cpu->mscratch; return true;
    case CSR_MEPC: *val = cpu->mepc & ((cpu->ext & RV_EXT_C) ? ~1ull : ~3ull); return true;
    case CSR_MCAUSE: *val = cpu->mcause; return true;
    case CSR_MTVAL: *val = cpu->mtval; return true;
    case CSR_MIP: *val = rv_pending_irqs(cpu); return true;
    }
    if (rv_pmp_read_csr(cpu, csr, val)) {
        return true;
    }
    if (!has_s(cpu)) {
        return false;
    }
    switch (csr) {
    case CSR_SSTATUS: *val = mstatus_value(cpu) & SSTATUS_MASK; return true;
    case CSR_SIE: *val = cpu->mie & cpu->mideleg; return true;
    case CSR_SIP: *val = rv_pending_irqs(cpu) & cpu->mideleg; return true;
    case CSR_STVEC: *val = cpu->stvec; return true;
    case CSR_SCOUNTEREN: *val = cpu->scounteren; return true;
    case CSR_SENVCFG: *val = cpu->senvcfg; return true;
    case CSR_SSCRATCH: *val = cpu->sscratch; return true;
    case CSR_SEPC: *val = cpu->sepc & ((cpu->ext & RV_EXT_C) ? ~1ull : ~3ull); return true;
    case CSR_SCAUSE: *val = cpu->scause; return true;
    case CSR_STVAL: *val = cpu->stval; return true;
    case CSR_STIMECMP:
        if (checked && !stimecmp_allowed(cpu)) {
            return false;
        }
        if (!(cpu->ext & RV_EXT_SSTC)) {
            return false;
        }
        *val = cpu->stimecmp;
        return true;
    case CSR_SATP:
        if (checked && cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM)) {
            return false;
        }
        *val = cpu->satp;
        return true;
    }
    return false;
}

static uint64_t legal_tvec(uint64_t old, uint64_t val)
{
    if ((val & 3) >= 2) {
        return (val & ~3ull) | (old & 3);   /* reserved modes: keep the old mode */
    }
    return val;
}

bool rv_csr_write(RvCpu *cpu, unsigned csr, uint64_t val, bool checked)
{
    uint64_t s_ints = RV_S_INTS;

    switch (csr) {
    case CSR_FFLAGS: case CSR_FRM: case CSR_FCSR:
        if (!(cpu->ext & RV_EXT_F) || (checked && rv_fs_off(cpu))) {
            return false;
        }
        if (csr == CSR_FFLAGS) {
            cpu->fflags = val & 0x1f;
        } else if (csr == CSR_FRM) {
            cpu->frm = val & 7;
        } else {
            cpu->fflags = val & 0x1f;
            cpu->frm = (val >> 5) & 7;
        }
        rv_set_fs_dirty(cpu);
        return true;
    case CSR_MCYCLE: cpu->cycle_offset = val - cpu->instret; return true;
    case CSR_MINSTRET:
        /* the write takes effect after this instruction retires */
        cpu->instret_offset = val - cpu->instret - 1;
        return true;
    case CSR_MHPMCOUNTER3 ... CSR_MHPMCOUNTER31:
    case CSR_MHPMEVENT3 ... CSR_MHPMEVENT31:
        return true;
    case CSR_MCOUNTINHIBIT: cpu->mcountinhibit = val & ~2ull; return true;
    case CSR_MSTATUS: mstatus_write(cpu, val, MSTATUS_WRITABLE); return true;
    case CSR_MISA: return true;             /* WARL: extensions are fixed */
    case CSR_MEDELEG:
        cpu->medeleg = has_s(cpu) ? val & MEDELEG_WRITABLE : 0;
        return true;
    case CSR_MIDELEG:
        cpu->mideleg = has_s(cpu) ? val & s_ints : 0;
        return true;
    case CSR_MIE:
        cpu->mie = val & (has_s(cpu) ? RV_ALL_INTS : RV_ALL_INTS & ~s_ints);
        return true;
    case CSR_MTVEC: cpu->mtvec = legal_tvec(cpu->mtvec, val); return true;
    case CSR_MCOUNTEREN: cpu->mcounteren = val & 0xffffffffull; return true;
    case CSR_MENVCFG: {
        uint64_t mask = 1;                  /* FIOM */
        if (cpu->ext & RV_EXT_SSTC) {
            mask |= MENVCFG_STCE;
        }
        if (cpu->ext & RV_EXT_SVPBMT) {
            mask |= MENVCFG_PBMTE;
        }
        if ((val ^ cpu->menvcfg) & MENVCFG_PBMTE) {
            rv_tlb_flush_all(cpu);
        }
        cpu->menvcfg = val & mask;
        return true;
    }
    case CSR_MSCRATCH: cpu->mscratch = val; return true;
    case CSR_MEPC: cpu->mepc = val & ~1ull; return true;
    case CSR_MCAUSE: cpu->mcause = val; return true;
    case CSR_MTVAL: cpu->mtval = val; return true;
    case CSR_MIP: {
        uint32_t mask = has_s(cpu) ? s_ints : 0;
        if ((cpu->ext & RV_EXT_SSTC) && (cpu->menvcfg & MENVCFG_STCE)) {
            mask &= ~(1u << RV_IRQ_STI);    /* driven by stimecmp */
        }
        cpu->mip_sw = (cpu->mip_sw & ~mask) | ((uint32_t)val & mask);
        return true;
    }
    case CSR_MVENDORID: case CSR_MARCHID: case CSR_MIMPID: case CSR_MHARTID:
    case CSR_MCONFIGPTR: case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET:
    case CSR_HPMCOUNTER3 ... CSR_HPMCOUNTER31:
        return false;                       /* read-only */
    }
    if (rv_pmp_write_csr(cpu, csr, val)) {
        return true;
    }
    if (!has_s(cpu)) {
        return false;
    }
    switch (csr) {
    case CSR_SSTATUS:
        mstatus_write(cpu, val, MSTATUS_WRITABLE & SSTATUS_MASK);
        return true;
    case CSR_SIE:
        cpu->mie = (cpu->mie & ~cpu->mideleg) | (val & cpu->mideleg);
        return true;
    case CSR_SIP: {
        uint32_t mask = (1u << RV_IRQ_SSI) & (uint32_t)cpu->mideleg;
        cpu->mip_sw = (cpu->mip_sw & ~mask) | ((uint32_t)val & mask);
        return true;
    }
    case CSR_STVEC: cpu->stvec = legal_tvec(cpu->stvec, val); return true;
    case CSR_SCOUNTEREN: cpu->scounteren = val & 0xffffffffull; return true;
    case CSR_SENVCFG: cpu->senvcfg = val & 1; return true;
    case CSR_SSCRATCH: cpu->sscratch = val; return true;
    case CSR_SEPC: cpu->sepc = val & ~1ull; return true;
    case CSR_SCAUSE: cpu->scause = val; return true;
    case CSR_STVAL: cpu->stval = val; return true;
    case CSR_STIMECMP:
        if (!(cpu->ext & RV_EXT_SSTC) || (checked && !stimecmp_allowed(cpu))) {
            return false;
        }
        cpu->stimecmp = val;
        return true;
    case CSR_SATP: {
        unsigned mode = val >> 60;
        if (checked && cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_TVM)) {
            return false;
        }
        if (mode != 0 && (mode < RV_MMU_SV39 || mode > cpu->max_mmu)) {
            return true;                    /* unsupported mode: no effect */
        }
        /* ASIDs are 16 bits wide but do not tag TLB entries: a satp write
         * flushes, which is what sharing nothing between ASIDs needs. */
        cpu->satp = val & ((0xfull << 60) | (0xffffull << 44) | ((1ull << 44) - 1));
        if (mode == 0) {
            cpu->satp = 0;
        }
        rv_tlb_flush_all(cpu);
        return true;
    }
    }
    return false;
}

bool rv_exec_csr(RvCpu *cpu, const RvInsn *in)
{
    unsigned csr = (unsigned)in->imm & 0xfff;
    bool imm_form = in->op >= RV_OP_CSRRWI;
    uint64_t src = imm_form ? in->rs1 : cpu->x[in->rs1], old = 0, nv;
    unsigned kind = (in->op - RV_OP_CSRRW) % 3;     /* 0 write, 1 set, 2 clear */
    bool writes = kind == 0 || in->rs1 != 0;
    bool reads = kind != 0 || in->rd != 0;

    if (((csr >> 8) & 3) > cpu->priv || (writes && (csr >> 10) == 3)) {
        return rv_raise(cpu, RV_EXC_ILLEGAL, in->raw);
    }
    if (rv_aia_csr(csr)) {
        /* the indirect registers and claims need the read and the write
         * as one step (aia.c) */
        uint64_t mask = kind == 2 ? src : kind == 1 ? src : ~0ull;
        uint64_t val = kind == 2 ? 0 : src;
        if (rv_aia_exec_csr(cpu, csr, &old, writes, mask, val) != 1) {
            return rv_raise(cpu, RV_EXC_ILLEGAL, in->raw);
        }
        cpu->x[in->rd] = old;
        return true;
    }
    if (!rv_csr_read(cpu, csr, &old, true)) {
        return rv_raise(cpu, RV_EXC_ILLEGAL, in->raw);
    }
    (void)reads;    /* reads have no side effects here */
    if (writes) {
        nv = kind == 0 ? src : kind == 1 ? old | src : old & ~src;
        if (csr == 0x344 || csr == 0x144) {
            /* read-modify-write of mip/sip works on the software bits only */
            uint64_t sw = cpu->mip_sw;
            nv = kind == 0 ? src : kind == 1 ? sw | src : sw & ~src;
        }
        if (!rv_csr_write(cpu, csr, nv, true)) {
            return rv_raise(cpu, RV_EXC_ILLEGAL, in->raw);
        }
    }
    cpu->x[in->rd] = old;
    return true;
}
