/*
 * trap.c - taking exceptions and interrupts, delegation to S-mode,
 * mret/sret (Privileged ISA 20211203, 3.1.6-3.1.9, 3.3.2, 4.1).
 */
#include "rv-state.h"

#define CAUSE_INTERRUPT (1ull << 63)

static void set_priv(RvCpu *cpu, unsigned priv)
{
    cpu->priv = priv;
    cpu->fetch_vpage = RV_TLB_EMPTY;
}

static uint64_t vector_target(uint64_t tvec, uint64_t cause)
{
    uint64_t base = tvec & ~3ull;
    if ((tvec & 3) == 1 && (cause & CAUSE_INTERRUPT)) {
        return base + 4 * (cause & ~CAUSE_INTERRUPT);
    }
    return base;
}

/* Enter the trap handler for `cause`; cpu->pc is the address to return to. */
static void trap_enter_mode(RvCpu *cpu, uint64_t cause, uint64_t tval)
{
    unsigned code = cause & 63;
    uint64_t deleg = (cause & CAUSE_INTERRUPT) ? cpu->mideleg : cpu->medeleg;
    uint64_t s = cpu->mstatus;

    cpu->reservation = RV_TLB_EMPTY;
    cpu->in_wfi = false;
    if (cpu->priv <= RV_PRIV_S && ((deleg >> code) & 1)) {
        cpu->scause = cause;
        cpu->sepc = cpu->pc;
        cpu->stval = tval;
        s &= ~(MSTATUS_SPIE | MSTATUS_SPP);
        if (s & MSTATUS_SIE) {
            s |= MSTATUS_SPIE;
        }
        if (cpu->priv == RV_PRIV_S) {
            s |= MSTATUS_SPP;
        }
        s &= ~MSTATUS_SIE;
        cpu->mstatus = s;
        cpu->pc = vector_target(cpu->stvec, cause);
        set_priv(cpu, RV_PRIV_S);
        return;
    }
    cpu->mcause = cause;
    cpu->mepc = cpu->pc;
    cpu->mtval = tval;
    s &= ~(MSTATUS_MPIE | MSTATUS_MPP);
    if (s & MSTATUS_MIE) {
        s |= MSTATUS_MPIE;
    }
    s |= (uint64_t)cpu->priv << MSTATUS_MPP_SHIFT;
    s &= ~MSTATUS_MIE;
    cpu->mstatus = s;
    cpu->pc = vector_target(cpu->mtvec, cause);
    set_priv(cpu, RV_PRIV_M);
}

static void trap_enter(RvCpu *cpu, uint64_t cause, uint64_t tval)
{
    RvTrap t = {
        .cause = cause, .epc = cpu->pc, .tval = tval,
        .from_priv = cpu->priv,
    };

    trap_enter_mode(cpu, cause, tval);
    if (cpu->cfg.on_trap) {
        t.handler = cpu->pc;
        t.to_priv = cpu->priv;
        cpu->cfg.on_trap(cpu->cfg.trap_opaque, &t);
    }
}

void rv_take_exception(RvCpu *cpu)
{
    trap_enter(cpu, cpu->exc_cause, cpu->exc_tval);
}

uint32_t rv_pending_irqs(RvCpu *cpu)
{
    uint32_t mip = cpu->mip_sw | __atomic_load_n(&cpu->irq_lines, __ATOMIC_ACQUIRE);
    if (cpu->aia) {
        mip |= rv_aia_pending(cpu);
    }
    if ((cpu->ext & RV_EXT_SSTC) && (cpu->menvcfg & MENVCFG_STCE)) {
        mip &= ~(1u << RV_IRQ_STI);
        if (rv_time(cpu) >= cpu->stimecmp) {
            mip |= 1u << RV_IRQ_STI;
        }
    }
    return mip;
}

/* Highest-priority interrupt in `irqs`: MEI, MSI, MTI, SEI, SSI, STI. */
static int highest_irq(uint32_t irqs)
{
    static const int order[] = {
        RV_IRQ_MEI, RV_IRQ_MSI, RV_IRQ_MTI, RV_IRQ_SEI, RV_IRQ_SSI, RV_IRQ_STI,
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(order); i++) {
        if (irqs & (1u << order[i])) {
            return order[i];
        }
    }
    return -1;
}

bool rv_check_interrupts(RvCpu *cpu)
{
    uint32_t pend = rv_pending_irqs(cpu) & (uint32_t)cpu->mie;
    uint32_t m_pend, s_pend, take = 0;
    bool m_on, s_on;

    if (likely(!pend)) {
        return false;
    }
    m_pend = pend & ~(uint32_t)cpu->mideleg;
    s_pend = pend & (uint32_t)cpu->mideleg;
    m_on = cpu->priv < RV_PRIV_M || (cpu->mstatus & MSTATUS_MIE);
    s_on = cpu->priv < RV_PRIV_S ||
           (cpu->priv == RV_PRIV_S && (cpu->mstatus & MSTATUS_SIE));
    if (m_on && m_pend) {
        take = m_pend;
    } else if (s_on && s_pend) {
        take = s_pend;
    }
    if (!take) {
        return false;
    }
    /* with Smaia the priority array may reorder them (aia.c) */
    int irq = cpu->aia ? rv_aia_select(cpu, take, take == s_pend)
                       : highest_irq(take);
    trap_enter(cpu, CAUSE_INTERRUPT | (uint64_t)irq, 0);
    return true;
}

bool rv_exec_mret(RvCpu *cpu)
{
    uint64_t s = cpu->mstatus;
    unsigned mpp = (s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;

    s &= ~MSTATUS_MIE;
    if (s & MSTATUS_MPIE) {
        s |= MSTATUS_MIE;
    }
    s |= MSTATUS_MPIE;
    s &= ~MSTATUS_MPP;
    if (!(cpu->ext & RV_EXT_U)) {
        s |= (uint64_t)RV_PRIV_M << MSTATUS_MPP_SHIFT;
    }
    if (mpp != RV_PRIV_M) {
        s &= ~MSTATUS_MPRV;
    }
    cpu->mstatus = s;
    cpu->pc = cpu->mepc;
    set_priv(cpu, mpp);
    return true;
}

bool rv_exec_sret(RvCpu *cpu)
{
    uint64_t s = cpu->mstatus;
    unsigned spp = (s & MSTATUS_SPP) ? RV_PRIV_S : RV_PRIV_U;

    s &= ~MSTATUS_SIE;
    if (s & MSTATUS_SPIE) {
        s |= MSTATUS_SIE;
    }
    s |= MSTATUS_SPIE;
    s &= ~(MSTATUS_SPP | MSTATUS_MPRV);
    cpu->mstatus = s;
    cpu->pc = cpu->sepc;
    set_priv(cpu, spp);
    return true;
}
