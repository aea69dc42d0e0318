/*
 * mem.c - the hart's memory slow paths: TLB refill, I/O, misaligned
 * accesses (emulated in RAM, trapped elsewhere), instruction fetch,
 * atomics.
 *
 * The inline fast paths in rv-state.h handle naturally aligned RAM hits;
 * everything else lands here.
 */
#include "rv-state.h"
#include "jit.h"

static const int page_fault_of[3] = {
    RV_EXC_LOAD_PAGE, RV_EXC_STORE_PAGE, RV_EXC_INSN_PAGE,
};
static const int access_fault_of[3] = {
    RV_EXC_LOAD_ACCESS, RV_EXC_STORE_ACCESS, RV_EXC_INSN_ACCESS,
};

int rv_bus_load(RvCpu *cpu, uint64_t pa, unsigned size, uint64_t *val)
{
    *val = 0;
    return cpu->cfg.bus.load ? cpu->cfg.bus.load(cpu->cfg.bus.opaque, pa, size, val) : -1;
}

int rv_bus_store(RvCpu *cpu, uint64_t pa, unsigned size, uint64_t val)
{
    return cpu->cfg.bus.store ? cpu->cfg.bus.store(cpu->cfg.bus.opaque, pa, size, val) : -1;
}

static void *bus_ram_ptr(RvCpu *cpu, uint64_t pa, uint64_t len, bool write)
{
    return cpu->cfg.bus.ram_ptr ? cpu->cfg.bus.ram_ptr(cpu->cfg.bus.opaque, pa, len, write)
                                : NULL;
}

/* Remember the translation of `va`'s page for `acc`, if PMP grants the
 * whole page (otherwise every access keeps taking the slow path). */
static void tlb_fill(RvCpu *cpu, unsigned priv, uint64_t va, uint64_t pa,
                     RvAccess acc)
{
    uint64_t vpage = va & RV_PAGE_MASK, ppage = pa & RV_PAGE_MASK;
    RvTlbEntry *e = rv_tlb_entry(cpu, priv, acc, va);
    void *host;

    if (acc == RV_ACC_WRITE && cpu->jit) {
        rv_jit_note_write(cpu, ppage);   /* translated code there is stale */
    }
    if (!rv_pmp_check(cpu, ppage, RV_PAGE_SIZE, acc, priv)) {
        return;
    }
    host = bus_ram_ptr(cpu, ppage, RV_PAGE_SIZE, acc == RV_ACC_WRITE);
    /* One entry describes one page: drop other access kinds that name a
     * different page or a different host mapping. */
    for (int i = 0; i < 3; i++) {
        if (e->tag[i] != RV_TLB_EMPTY &&
            ((e->tag[i] & ~RV_TLB_IO) != vpage || e->ppage != ppage ||
             (host && !(e->tag[i] & RV_TLB_IO) &&
              e->host_minus_va != (uintptr_t)host - vpage))) {
            e->tag[i] = RV_TLB_EMPTY;
        }
    }
    e->ppage = ppage;
    if (host) {
        e->host_minus_va = (uintptr_t)host - vpage;
        e->tag[acc] = vpage;
    } else {
        e->tag[acc] = vpage | RV_TLB_IO;
    }
}

bool rv_access(RvCpu *cpu, uint64_t va, unsigned size, RvAccess acc,
               uint64_t *pa, void **host)
{
    unsigned priv = acc == RV_ACC_EXEC ? cpu->priv : rv_data_priv(cpu);
    RvTlbEntry *e = rv_tlb_entry(cpu, priv, acc, va);
    uint64_t vpage = va & RV_PAGE_MASK;
    int cause;

    if ((e->tag[acc] & ~RV_TLB_IO) != vpage) {
        cause = rv_translate(cpu, va, acc, priv, true, pa);
        if (cause >= 0) {
            return rv_raise(cpu, cause, va);
        }
        if (!rv_pmp_check(cpu, *pa, size, acc, priv)) {
            return rv_raise(cpu, access_fault_of[acc], va);
        }
        tlb_fill(cpu, priv, va, *pa, acc);
        if (cpu->walk_leaf_bits > RV_PAGE_BITS) {
            rv_tlb_note_superpage(cpu, va, cpu->walk_leaf_bits);
        }
        if ((e->tag[acc] & ~RV_TLB_IO) != vpage) {
            /* not cacheable (PMP finer than a page): access uncached */
            *host = bus_ram_ptr(cpu, *pa, size, acc == RV_ACC_WRITE);
            return true;
        }
    }
    *pa = e->ppage | (va & ~RV_PAGE_MASK);
    *host = (e->tag[acc] & RV_TLB_IO) ? NULL
          : (void *)(uintptr_t)(va + e->host_minus_va);
    return true;
}

static bool load_aligned(RvCpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
    uint64_t pa;
    void *host;

    if (!rv_access(cpu, va, size, RV_ACC_READ, &pa, &host)) {
        return false;
    }
    if (host) {
        *val = 0;
        memcpy(val, host, size);
        return true;
    }
    cpu->break_chunk = 1;             /* a device may have changed an irq line */
    if (rv_bus_load(cpu, pa, size, val) != 0) {
        return rv_raise(cpu, RV_EXC_LOAD_ACCESS, va);
    }
    return true;
}

static bool store_aligned(RvCpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
    uint64_t pa;
    void *host;

    if (!rv_access(cpu, va, size, RV_ACC_WRITE, &pa, &host)) {
        return false;
    }
    if (host) {
        memcpy(host, &val, size);
        return true;
    }
    cpu->break_chunk = 1;
    if (rv_bus_store(cpu, pa, size, val) != 0) {
        return rv_raise(cpu, RV_EXC_STORE_ACCESS, va);
    }
    return true;
}

/*
 * May a misaligned access of `size` bytes at `va` be emulated?  Only in
 * RAM: device registers are not byte arrays (a misaligned word at a UART
 * would touch four registers, each with its side effects), and the
 * privileged ISA lets a region without misaligned support raise
 * address-misaligned, as real I/O regions do.  Translating both ends
 * first also means a fault leaves memory untouched.  Returns 1 to
 * emulate, 0 to raise address-misaligned, -1 with a fault raised.
 */
static int misaligned_in_ram(RvCpu *cpu, uint64_t va, unsigned size,
                             RvAccess acc)
{
    uint64_t pa;
    void *host;

    if (!rv_access(cpu, va, 1, acc, &pa, &host)) {
        return -1;
    }
    if (!host) {
        return 0;
    }
    if (!rv_access(cpu, va + size - 1, 1, acc, &pa, &host)) {
        return -1;
    }
    return host != NULL;
}

bool rv_load_slow(RvCpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
    uint64_t v = 0, b;
    int ram;

    if (likely((va & (size - 1)) == 0)) {
        return load_aligned(cpu, va, size, val);
    }
    ram = misaligned_in_ram(cpu, va, size, RV_ACC_READ);
    if (ram < 0) {
        return false;                   /* page or access fault raised */
    }
    if (ram == 0) {
        return rv_raise(cpu, RV_EXC_LOAD_MISALIGNED, va);
    }
    /* Misaligned in RAM: byte by byte (no atomicity is promised). */
    for (unsigned i = 0; i < size; i++) {
        if (!load_aligned(cpu, va + i, 1, &b)) {
            return false;
        }
        v |= b << (8 * i);
    }
    *val = v;
    return true;
}

bool rv_store_slow(RvCpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
    int ram;

    if (likely((va & (size - 1)) == 0)) {
        return store_aligned(cpu, va, size, val);
    }
    ram = misaligned_in_ram(cpu, va, size, RV_ACC_WRITE);
    if (ram < 0) {
        return false;                   /* page or access fault raised */
    }
    if (ram == 0) {
        return rv_raise(cpu, RV_EXC_STORE_MISALIGNED, va);
    }
    for (unsigned i = 0; i < size; i++) {
        if (!store_aligned(cpu, va + i, 1, (val >> (8 * i)) & 0xff)) {
            return false;
        }
    }
    return true;
}

/* Read 16 bits of instruction at `va` (one page). */
static bool fetch16(RvCpu *cpu, uint64_t va, uint16_t *out, bool cache)
{
    uint64_t pa;
    void *host;

    if (!rv_access(cpu, va, 2, RV_ACC_EXEC, &pa, &host)) {
        return false;
    }
    if (host) {
        memcpy(out, host, 2);
        if (cache) {
            cpu->fetch_vpage = va & RV_PAGE_MASK;
            cpu->fetch_host_minus_va = (uintptr_t)host - va;
            cpu->fetch_pa_minus_va = pa - va;
        }
        return true;
    }
    /* Code runs from RAM and ROM only: fetching from a device register
     * would read it with side effects (a UART's receive FIFO), so it is
     * an access fault, as the PMA of an I/O region would make it.  (A bus
     * without the ram_ptr fast path serves everything through load.) */
    uint64_t v;
    if (cpu->cfg.bus.ram_ptr || rv_bus_load(cpu, pa, 2, &v) != 0) {
        return rv_raise(cpu, RV_EXC_INSN_ACCESS, va);
    }
    *out = (uint16_t)v;
    return true;
}

bool rv_fetch_slow(RvCpu *cpu, RvInsn *insn)
{
    uint64_t pc = cpu->pc;
    uint16_t lo, hi = 0;

    cpu->fetch_vpage = RV_TLB_EMPTY;
    if (!fetch16(cpu, pc, &lo, true)) {
        return false;
    }
    if (rv_insn_length(lo) == 4 && !fetch16(cpu, pc + 2, &hi, false)) {
        return false;
    }
    rv_decode(lo | (uint32_t)hi << 16, cpu->ext, insn);
    if (cpu->cfg.on_decode) {
        cpu->cfg.on_decode(cpu->cfg.decode_opaque, pc, insn);
    }
    return true;
}

/* ---- A extension ---- */

static uint64_t amo_compute(unsigned op, uint64_t old, uint64_t src, bool word)
{
    int64_t so = word ? (int32_t)old : (int64_t)old;
    int64_t ss = word ? (int32_t)src : (int64_t)src;
    uint64_t uo = word ? (uint32_t)old : old, us = word ? (uint32_t)src : src;

    switch (op) {
    case RV_OP_AMOSWAP_W: case RV_OP_AMOSWAP_D: return src;
    case RV_OP_AMOADD_W: case RV_OP_AMOADD_D: return old + src;
    case RV_OP_AMOXOR_W: case RV_OP_AMOXOR_D: return old ^ src;
    case RV_OP_AMOAND_W: case RV_OP_AMOAND_D: return old & src;
    case RV_OP_AMOOR_W: case RV_OP_AMOOR_D: return old | src;
    case RV_OP_AMOMIN_W: case RV_OP_AMOMIN_D: return so < ss ? old : src;
    case RV_OP_AMOMAX_W: case RV_OP_AMOMAX_D: return so > ss ? old : src;
    case RV_OP_AMOMINU_W: case RV_OP_AMOMINU_D: return uo < us ? old : src;
    default: /* AMOMAXU */ return uo > us ? old : src;
    }
}

static bool is_word_amo(unsigned op)
{
    return op >= RV_OP_LR_W && op <= RV_OP_AMOMAXU_W;
}

/* Host-atomic read-modify-write of a naturally aligned RAM word. */
static uint64_t amo_host(void *host, unsigned op, uint64_t src, bool word)
{
    if (word) {
        uint32_t *p = host, old = __atomic_load_n(p, __ATOMIC_RELAXED), nv;
        do {
            nv = (uint32_t)amo_compute(op, old, src, true);
        } while (!__atomic_compare_exchange_n(p, &old, nv, true,
                                              __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
        return old;
    }
    uint64_t *p = host, old = __atomic_load_n(p, __ATOMIC_RELAXED), nv;
    do {
        nv = amo_compute(op, old, src, false);
    } while (!__atomic_compare_exchange_n(p, &old, nv, true,
                                          __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
    return old;
}

bool rv_exec_amo(RvCpu *cpu, const RvInsn *in)
{
    bool word = is_word_amo(in->op);
    unsigned size = word ? 4 : 8;
    uint64_t va = cpu->x[in->rs1], src = cpu->x[in->rs2], pa, old = 0;
    bool lr = in->op == RV_OP_LR_W || in->op == RV_OP_LR_D;
    bool sc = in->op == RV_OP_SC_W || in->op == RV_OP_SC_D;
    void *host;

    if (va & (size - 1)) {
        return rv_raise(cpu, lr ? RV_EXC_LOAD_MISALIGNED : RV_EXC_STORE_MISALIGNED, va);
    }
    if (!rv_access(cpu, va, size, lr ? RV_ACC_READ : RV_ACC_WRITE, &pa, &host)) {
        return false;
    }
    if (lr) {
        if (host) {
            old = word ? __atomic_load_n((uint32_t *)host, __ATOMIC_SEQ_CST)
                       : __atomic_load_n((uint64_t *)host, __ATOMIC_SEQ_CST);
        } else if (rv_bus_load(cpu, pa, size, &old) != 0) {
            return rv_raise(cpu, RV_EXC_LOAD_ACCESS, va);
        }
        cpu->reservation = pa;
        cpu->reservation_val = old;
        cpu->x[in->rd] = word ? (uint64_t)(int64_t)(int32_t)old : old;
        return true;
    }
    if (sc) {
        bool ok = cpu->reservation == pa;
        uint64_t expect = cpu->reservation_val;
        cpu->reservation = RV_TLB_EMPTY;
        if (ok && host) {
            if (word) {
                uint32_t e32 = (uint32_t)expect;
                ok = __atomic_compare_exchange_n((uint32_t *)host, &e32, (uint32_t)src,
                                                 false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
            } else {
                ok = __atomic_compare_exchange_n((uint64_t *)host, &expect, src,
                                                 false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
            }
        } else if (ok && rv_bus_store(cpu, pa, size, src) != 0) {
            return rv_raise(cpu, RV_EXC_STORE_ACCESS, va);
        }
        cpu->x[in->rd] = ok ? 0 : 1;
        return true;
    }
    if (host) {
        old = amo_host(host, in->op, src, word);
    } else {
        if (rv_bus_load(cpu, pa, size, &old) != 0 ||
            rv_bus_store(cpu, pa, size, amo_compute(in->op, old, src, word)) != 0) {
            return rv_raise(cpu, RV_EXC_STORE_ACCESS, va);
        }
    }
    cpu->x[in->rd] = word ? (uint64_t)(int64_t)(int32_t)old : old;
    return true;
}

/* Exported for the exception tables above (keeps them in one place). */
int rv_page_fault_cause(RvAccess acc)
{
    return page_fault_of[acc];
}

int rv_access_fault_cause(RvAccess acc)
{
    return access_fault_of[acc];
}
