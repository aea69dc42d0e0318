/*
 * mmu.c - Sv39/Sv48/Sv57 page-table walks (Privileged ISA 20211203,
 * section 4.3-4.5) and software TLB flushes.
 *
 * Accessed/dirty bits are set by the walker in memory (the Svadu-style
 * hardware update), with a compare-and-swap on the PTE so that a
 * concurrent change by another hart restarts the walk.  Linux and
 * OpenSBI work either way; hardware update spares the guest a page fault
 * per first touch.  "svade" is therefore not advertised.
 */
#include "rv-state.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK ((1ull << 44) - 1)
#define PTE_RESERVED (0x7full << 54)
#define PTE_PBMT_SHIFT 61
#define PTE_N (1ull << 63)

void rv_tlb_flush_all(RvCpu *cpu)
{
    memset(cpu->tlb, 0xff, sizeof(cpu->tlb));
    memset(cpu->itlb, 0xff, sizeof(cpu->itlb));
    cpu->fetch_vpage = RV_TLB_EMPTY;
    cpu->n_super = 0;
    rv_jump_cache_clear(cpu);
}

/*
 * The TLB holds superpages as 4 KiB pieces, but sfence.vma names one
 * address of a superpage whose mapping changed: every piece must go.
 * The virtual ranges of the superpages cached since the last full flush
 * are remembered (a few, merged when there are more), and a page flush
 * inside one of them flushes everything.
 */
void rv_tlb_note_superpage(RvCpu *cpu, uint64_t va, unsigned bits)
{
    uint64_t lo = va & ~((1ull << bits) - 1), hi = lo + (1ull << bits) - 1;

    for (unsigned i = 0; i < cpu->n_super; i++) {
        if (lo >= cpu->super_lo[i] && hi <= cpu->super_hi[i]) {
            return;
        }
    }
    if (cpu->n_super < RV_SUPER_RANGES) {
        cpu->super_lo[cpu->n_super] = lo;
        cpu->super_hi[cpu->n_super++] = hi;
        return;
    }
    /* full: the last range grows to cover it too (flushes more, never
     * less) */
    unsigned k = RV_SUPER_RANGES - 1;
    cpu->super_lo[k] = MIN(cpu->super_lo[k], lo);
    cpu->super_hi[k] = MAX(cpu->super_hi[k], hi);
}

void rv_tlb_flush_page(RvCpu *cpu, uint64_t va)
{
    for (unsigned i = 0; i < cpu->n_super; i++) {
        if (va >= cpu->super_lo[i] && va <= cpu->super_hi[i]) {
            rv_tlb_flush_all(cpu);
            return;
        }
    }
    unsigned idx = (va >> RV_PAGE_BITS) & (RV_TLB_SIZE - 1);
    for (unsigned p = 0; p < 4; p++) {
        memset(&cpu->tlb[p][idx], 0xff, sizeof(cpu->tlb[p][idx]));
        memset(&cpu->itlb[p][idx], 0xff, sizeof(cpu->itlb[p][idx]));
    }
    cpu->fetch_vpage = RV_TLB_EMPTY;
    rv_jump_cache_clear(cpu);
}

enum { PTE_UPDATED, PTE_CHANGED, PTE_FAULT };

static int pte_update(RvCpu *cpu, uint64_t pte_pa, uint64_t old, uint64_t new)
{
    void *host = cpu->cfg.bus.ram_ptr
               ? cpu->cfg.bus.ram_ptr(cpu->cfg.bus.opaque, pte_pa, 8, true) : NULL;
    if (host) {
        return __atomic_compare_exchange_n((uint64_t *)host, &old, new, false,
                                           __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)
               ? PTE_UPDATED : PTE_CHANGED;
    }
    if (cpu->cfg.bus.ram_ptr) {
        return PTE_FAULT;   /* page tables live in RAM, never in a device */
    }
    return rv_bus_store(cpu, pte_pa, 8, new) == 0 ? PTE_UPDATED : PTE_FAULT;
}

/* Read a PTE: from RAM/ROM only when the bus can tell (see pte_update). */
static bool pte_read(RvCpu *cpu, uint64_t pte_pa, uint64_t *pte)
{
    if (cpu->cfg.bus.ram_ptr) {
        const void *host = cpu->cfg.bus.ram_ptr(cpu->cfg.bus.opaque, pte_pa,
                                                8, false);
        if (!host) {
            return false;
        }
        *pte = __atomic_load_n((const uint64_t *)host, __ATOMIC_RELAXED);
        return true;
    }
    return rv_bus_load(cpu, pte_pa, 8, pte) == 0;
}

int rv_translate(RvCpu *cpu, uint64_t va, RvAccess acc, unsigned priv,
                 bool update, uint64_t *pa)
{
    unsigned mode = cpu->satp >> 60;
    int pf = rv_page_fault_cause(acc), af = rv_access_fault_cause(acc);

    cpu->walk_leaf_bits = RV_PAGE_BITS;
    if (priv == RV_PRIV_M || mode == 0) {
        *pa = va;
        return -1;
    }
    unsigned levels = mode - 5;             /* Sv39: 3 ... Sv57: 5 */
    unsigned vabits = RV_PAGE_BITS + 9 * levels;
    if ((uint64_t)((int64_t)(va << (64 - vabits)) >> (64 - vabits)) != va) {
        return pf;
    }
    bool sum = cpu->mstatus & MSTATUS_SUM, mxr = cpu->mstatus & MSTATUS_MXR;
    bool pbmt_ok = (cpu->ext & RV_EXT_SVPBMT) && (cpu->menvcfg & MENVCFG_PBMTE);

restart:;
    uint64_t base = (cpu->satp & PTE_PPN_MASK) << RV_PAGE_BITS;
    uint64_t pte = 0, pte_pa = 0;
    int level;
    for (level = levels - 1; level >= 0; level--) {
        unsigned vpn = (va >> (RV_PAGE_BITS + 9 * level)) & 0x1ff;
        pte_pa = base + vpn * 8;
        if (!rv_pmp_check(cpu, pte_pa, 8, RV_ACC_READ, RV_PRIV_S) ||
            !pte_read(cpu, pte_pa, &pte)) {
            return af;
        }
        if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) ||
            (pte & (PTE_RESERVED | PTE_N))) {
            return pf;
        }
        unsigned pbmt = (pte >> PTE_PBMT_SHIFT) & 3;
        if (pbmt == 3 || (pbmt && !pbmt_ok)) {
            return pf;
        }
        if (pte & (PTE_R | PTE_X)) {
            break;                          /* leaf */
        }
        if (pte & (PTE_A | PTE_D | PTE_U) || pbmt) {
            return pf;                      /* reserved in non-leaf PTEs */
        }
        base = ((pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK) << RV_PAGE_BITS;
    }
    if (level < 0) {
        return pf;
    }

    if (priv == RV_PRIV_U) {
        if (!(pte & PTE_U)) {
            return pf;
        }
    } else if (pte & PTE_U) {
        if (acc == RV_ACC_EXEC || !sum) {
            return pf;
        }
    }
    switch (acc) {
    case RV_ACC_READ:
        if (!(pte & PTE_R) && !(mxr && (pte & PTE_X))) {
            return pf;
        }
        break;
    case RV_ACC_WRITE:
        if (!(pte & PTE_W)) {
            return pf;
        }
        break;
    case RV_ACC_EXEC:
        if (!(pte & PTE_X)) {
            return pf;
        }
        break;
    }
    uint64_t ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
    uint64_t low_mask = (1ull << (9 * level)) - 1;
    if (ppn & low_mask) {
        return pf;                          /* misaligned superpage */
    }

    uint64_t want = PTE_A | (acc == RV_ACC_WRITE ? PTE_D : 0);
    if ((pte & want) != want && update) {
        if (!rv_pmp_check(cpu, pte_pa, 8, RV_ACC_WRITE, RV_PRIV_S)) {
            return af;
        }
        switch (pte_update(cpu, pte_pa, pte, pte | want)) {
        case PTE_CHANGED:
            goto restart;                   /* another hart changed it */
        case PTE_FAULT:
            return af;
        }
    }
    ppn |= (va >> RV_PAGE_BITS) & low_mask;
    *pa = (ppn << RV_PAGE_BITS) | (va & (RV_PAGE_SIZE - 1));
    cpu->walk_leaf_bits = RV_PAGE_BITS + 9 * (unsigned)level;
    return -1;
}
