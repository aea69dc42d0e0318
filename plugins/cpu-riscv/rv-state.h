/*
 * rv-state.h - the hart's architectural state and the internal calls that
 * the rv-*.c files share.  Not part of any public API.
 */
#ifndef RV_STATE_H
#define RV_STATE_H

#include "rv-cpu.h"
#include "rv-insn.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the RISC-V hart model assumes a little-endian host"
#endif

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define RV_PAGE_BITS 12
#define RV_PAGE_SIZE (1ull << RV_PAGE_BITS)
#define RV_PAGE_MASK (~(RV_PAGE_SIZE - 1))

/* ---- exception causes (mcause with the interrupt bit clear) ---- */
enum {
    RV_EXC_INSN_MISALIGNED = 0,
    RV_EXC_INSN_ACCESS = 1,
    RV_EXC_ILLEGAL = 2,
    RV_EXC_BREAKPOINT = 3,
    RV_EXC_LOAD_MISALIGNED = 4,
    RV_EXC_LOAD_ACCESS = 5,
    RV_EXC_STORE_MISALIGNED = 6,
    RV_EXC_STORE_ACCESS = 7,
    RV_EXC_ECALL_U = 8,
    RV_EXC_ECALL_S = 9,
    RV_EXC_ECALL_M = 11,
    RV_EXC_INSN_PAGE = 12,
    RV_EXC_LOAD_PAGE = 13,
    RV_EXC_STORE_PAGE = 15,
};

/* ---- mstatus fields ---- */
#define MSTATUS_SIE   (1ull << 1)
#define MSTATUS_MIE   (1ull << 3)
#define MSTATUS_SPIE  (1ull << 5)
#define MSTATUS_MPIE  (1ull << 7)
#define MSTATUS_SPP   (1ull << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP   (3ull << MSTATUS_MPP_SHIFT)
#define MSTATUS_FS_SHIFT 13
#define MSTATUS_FS    (3ull << MSTATUS_FS_SHIFT)
#define MSTATUS_MPRV  (1ull << 17)
#define MSTATUS_SUM   (1ull << 18)
#define MSTATUS_MXR   (1ull << 19)
#define MSTATUS_TVM   (1ull << 20)
#define MSTATUS_TW    (1ull << 21)
#define MSTATUS_TSR   (1ull << 22)
#define MSTATUS_UXL   (3ull << 32)
#define MSTATUS_SXL   (3ull << 34)
#define MSTATUS_SD    (1ull << 63)
#define SSTATUS_MASK  (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | \
                       MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)

#define FS_OFF   0
#define FS_DIRTY 3

#define MENVCFG_STCE (1ull << 63)
#define MENVCFG_PBMTE (1ull << 62)
#define MENVCFG_ADUE (1ull << 61)

/* Interrupt bits that S-mode can see through sip/sie. */
#define RV_S_INTS ((1u << RV_IRQ_SSI) | (1u << RV_IRQ_STI) | (1u << RV_IRQ_SEI))
#define RV_ALL_INTS (RV_S_INTS | (1u << RV_IRQ_MSI) | (1u << RV_IRQ_MTI) | \
                     (1u << RV_IRQ_MEI))

/* ---- access types ---- */
typedef enum RvAccess { RV_ACC_READ = 0, RV_ACC_WRITE = 1, RV_ACC_EXEC = 2 } RvAccess;

/*
 * Software TLB: one direct-mapped table per effective privilege (U, S, M),
 * so switching modes or MPRV never flushes.  A tag is the virtual page
 * number of a page that may be accessed that way; bit 0 set means the
 * page is I/O (no host pointer: go through the bus at `ppage`).  A tag of
 * all ones is empty.  Instruction fetches have tables of their own
 * (itlb, only tag[RV_ACC_EXEC] used): an entry describes one page, and
 * code and data pages that share an index would otherwise evict each
 * other on every access (a data page 1 MiB from the code, say), which
 * costs a page walk per fetched block and per load.
 */
#define RV_TLB_BITS 10
#define RV_TLB_SIZE (1u << RV_TLB_BITS)
#define RV_TLB_IO 1ull
#define RV_TLB_EMPTY (~0ull)

#define RV_SUPER_RANGES 4

typedef struct RvTlbEntry {
    uint64_t tag[3];            /* per RvAccess */
    uintptr_t host_minus_va;    /* host pointer = va + this (RAM pages) */
    uint64_t ppage;             /* physical page */
} RvTlbEntry;

/* Decoded-instruction cache, direct-mapped by physical address. */
#define RV_DCACHE_BITS 15
#define RV_DCACHE_SIZE (1u << RV_DCACHE_BITS)
typedef struct RvDecoded {
    uint64_t paddr;             /* ~0 when empty */
    RvInsn insn;
} RvDecoded;

#define RV_PMP_MAX 16

/* One IMSIC interrupt file (aia.c): identities 1..RV_IMSIC_IDS-1, the
 * 255 that QEMU's virt board gives each file (riscv,num-ids). */
#define RV_IMSIC_IDS 256
#define RV_IMSIC_WORDS (RV_IMSIC_IDS / 64)
typedef struct RvImsicFile {
    uint64_t eip[RV_IMSIC_WORDS];   /* atomic: messages come from anywhere */
    uint64_t eie[RV_IMSIC_WORDS];
    uint32_t eidelivery, eithreshold;
} RvImsicFile;

/*
 * The JIT's jump cache (jit.c): virtual pc + mode -> translated code,
 * direct-mapped, probed inline by translated code at indirect jumps and
 * cross-page jumps so they need not go back to the dispatcher.  An entry
 * holds only while the pc's virtual-to-physical mapping is unchanged, so
 * every TLB flush empties the table (rv_jump_cache_clear), as does
 * dropping translations.  A vpc of all ones (odd, never a pc) is empty.
 */
#define RV_JC_BITS 10
#define RV_JC_SIZE (1u << RV_JC_BITS)
typedef struct RvJumpCacheEntry {
    uint64_t vpc;
    uint32_t flags;             /* the block's priv | data priv << 2 */
    uint32_t unused;
    const uint8_t *code;
    struct RvTb *tb;            /* the block, for the dispatcher's lookup */
} RvJumpCacheEntry;
/* pcs are 2-byte aligned; fold in the page number so equal offsets in
 * different pages spread out.  Translated code computes the same. */
static inline unsigned rv_jump_cache_index(uint64_t pc)
{
    return (unsigned)((pc >> 1) ^ (pc >> (RV_JC_BITS + 1))) & (RV_JC_SIZE - 1);
}

struct RvCpu {
    /* hot state first */
    uint64_t x[32];
    uint64_t pc;
    uint64_t f[32];
    unsigned priv;
    uint32_t fflags, frm;
    uint32_t ext;

    /* CSRs */
    uint64_t mstatus, medeleg, mideleg, mie, mtvec, mscratch, mepc, mcause,
             mtval, mcounteren, menvcfg, mcountinhibit;
    uint64_t stvec, sscratch, sepc, scause, stval, scounteren, senvcfg, satp,
             stimecmp;
    uint32_t mip_sw;            /* SSIP, STIP, SEIP as software wrote them */
    uint32_t irq_lines;         /* atomic: MSIP, MTIP, MEIP, SEIP from devices */
    uint64_t instret;           /* retired instructions so far */
    uint64_t instret_offset;    /* minstret = instret + offset */
    uint64_t cycle_offset;
    uint64_t pmpaddr[RV_PMP_MAX];
    uint8_t pmpcfg[RV_PMP_MAX];
    unsigned pmp_entries;
    bool pmp_active;            /* any entry not OFF */

    /* Smaia/Ssaia (aia.c), when cfg.aia: interrupt files [0] M, [1] S */
    bool aia;
    RvImsicFile imsic[2];
    uint64_t miselect, siselect;
    uint8_t iprio[2][64];       /* major interrupt priorities, M and S */

    /* LR/SC reservation: physical address (~0 when none) and the value
     * LR read, which SC compares-and-swaps against (host-atomic ready) */
    uint64_t reservation, reservation_val;

    /* the page instructions are fetched from, cached by rv_fetch_slow;
     * fetch_vpage is ~0 when nothing is cached */
    uint64_t fetch_vpage;
    uintptr_t fetch_host_minus_va;
    uint64_t fetch_pa_minus_va;

    /* pending exception, set by helpers that return false */
    uint64_t exc_cause, exc_tval;
    /* a value a JIT helper hands back to translated code (jit-translate.c) */
    uint64_t jit_val;
    /* where the JIT's backend keeps block-local values it has no host
     * register for (x86-lower.h) */
    uint64_t jit_spill[16];

    int exit_request;           /* atomic */
    /* atomic: end the current chunk after this instruction (an I/O access
     * or an interrupt line changed, so interrupts need a look) */
    int break_chunk;
    bool in_wfi;

    /* A debugger's breakpoints and single-step (debug.c); set only while
     * the hart is not running.  debug_active says either is set. */
    bool debug_active, debug_step;
    unsigned n_debug_bp;
    uint64_t *debug_bp;

    RvCpuConfig cfg;
    unsigned max_mmu;

    /* superpages cached as 4 KiB pieces since the last full flush (mmu.c
     * rv_tlb_note_superpage), and the last walk's leaf size in bits */
    uint64_t super_lo[RV_SUPER_RANGES], super_hi[RV_SUPER_RANGES];
    unsigned n_super;
    unsigned walk_leaf_bits;

    RvTlbEntry tlb[4][RV_TLB_SIZE];  /* loads/stores, by privilege (2 unused) */
    RvTlbEntry itlb[4][RV_TLB_SIZE]; /* fetches, by privilege */
    RvDecoded *dcache;
    struct RvJit *jit;          /* NULL: interpreter only (jit.h) */
    RvJumpCacheEntry jcache[RV_JC_SIZE];
    bool jcache_used;           /* an entry was filled since the last clear */
};

/* ---- trap.c ---- */
/* Record a synchronous exception for the current instruction; returns false
 * so helpers can `return rv_raise(...)`. */
static inline bool rv_raise(RvCpu *cpu, uint64_t cause, uint64_t tval)
{
    cpu->exc_cause = cause;
    cpu->exc_tval = tval;
    return false;
}
/* Take the recorded exception at cpu->pc (the faulting instruction). */
void rv_take_exception(RvCpu *cpu);
/* Take the highest-priority pending enabled interrupt; false if none. */
bool rv_check_interrupts(RvCpu *cpu);
uint32_t rv_pending_irqs(RvCpu *cpu);   /* mip as the hart sees it */
bool rv_exec_mret(RvCpu *cpu);
bool rv_exec_sret(RvCpu *cpu);

/* ---- csr.c ---- */
/* Execute a CSR instruction; false with an exception recorded. */
bool rv_exec_csr(RvCpu *cpu, const RvInsn *in);
bool rv_csr_read(RvCpu *cpu, unsigned csr, uint64_t *val, bool checked);
bool rv_csr_write(RvCpu *cpu, unsigned csr, uint64_t val, bool checked);
void rv_set_fs_dirty(RvCpu *cpu);

/* ---- aia.c ---- */
/* Is `csr` one of the AIA CSRs (whether or not the hart has them)? */
bool rv_aia_csr(unsigned csr);
/* Access AIA CSR `csr`: *old gets the value read; with `write`, the bits
 * in `mask` become those of `val`.  1 done, 0 illegal instruction. */
int rv_aia_exec_csr(RvCpu *cpu, unsigned csr, uint64_t *old, bool write,
                    uint64_t mask, uint64_t val);
/* The interrupt among `irqs` (M-level ones, else S-level) the priority
 * array puts first, as mtopi/stopi report it; -1 for none. */
int rv_aia_select(RvCpu *cpu, uint32_t irqs, bool supervisor);
/* MEIP/SEIP as the interrupt files signal them. */
uint32_t rv_aia_pending(RvCpu *cpu);
void rv_aia_reset(RvCpu *cpu);

/* ---- mmu.c ---- */
/*
 * Translate `va` for `acc` at privilege `priv` (already MPRV-adjusted).
 * On success fills *pa and returns -1; else returns the exception cause.
 * With `update` false no A/D bit is written (debugger access).
 */
int rv_translate(RvCpu *cpu, uint64_t va, RvAccess acc, unsigned priv,
                 bool update, uint64_t *pa);
void rv_tlb_flush_all(RvCpu *cpu);
int rv_page_fault_cause(RvAccess acc);
int rv_access_fault_cause(RvAccess acc);
void rv_tlb_flush_page(RvCpu *cpu, uint64_t va);
/* A translation of `va` through a superpage of 2^bits bytes was cached. */
void rv_tlb_note_superpage(RvCpu *cpu, uint64_t va, unsigned bits);
/* The TLB entry for `va` accessed as `acc` at privilege `priv`. */
static inline RvTlbEntry *rv_tlb_entry(RvCpu *cpu, unsigned priv, RvAccess acc,
                                       uint64_t va)
{
    unsigned idx = (va >> RV_PAGE_BITS) & (RV_TLB_SIZE - 1);
    return acc == RV_ACC_EXEC ? &cpu->itlb[priv][idx] : &cpu->tlb[priv][idx];
}
/* Empty the JIT's jump cache (every mapping may have changed). */
static inline void rv_jump_cache_clear(RvCpu *cpu)
{
    /* Linux issues an sfence.vma per page-table update, often several
     * between two fills: clear only what has something in it */
    if (cpu->jit && cpu->jcache_used) {
        memset(cpu->jcache, 0xff, sizeof(cpu->jcache));
        cpu->jcache_used = false;
    }
}
/* Effective privilege of data accesses (MPRV applied). */
static inline unsigned rv_data_priv(const RvCpu *cpu)
{
    if (unlikely(cpu->mstatus & MSTATUS_MPRV) && cpu->priv == RV_PRIV_M) {
        return (cpu->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
    }
    return cpu->priv;
}

/* ---- pmp.c ---- */
/* True if `priv` may do `acc` on [pa, pa+size). */
bool rv_pmp_check(RvCpu *cpu, uint64_t pa, uint64_t size, RvAccess acc,
                  unsigned priv);
bool rv_pmp_read_csr(RvCpu *cpu, unsigned csr, uint64_t *val);
bool rv_pmp_write_csr(RvCpu *cpu, unsigned csr, uint64_t val);

/* ---- mem.c ---- */
bool rv_load_slow(RvCpu *cpu, uint64_t va, unsigned size, uint64_t *val);
bool rv_store_slow(RvCpu *cpu, uint64_t va, unsigned size, uint64_t val);
/*
 * Translate a naturally aligned access of `size` bytes at `va` through the
 * TLB (filling it), checking PMP.  On success *pa is set and *host is the
 * host pointer, or NULL for I/O.  False with an exception recorded.
 */
bool rv_access(RvCpu *cpu, uint64_t va, unsigned size, RvAccess acc,
               uint64_t *pa, void **host);
/* Physical-address bus access with PMP already checked. */
int rv_bus_load(RvCpu *cpu, uint64_t pa, unsigned size, uint64_t *val);
int rv_bus_store(RvCpu *cpu, uint64_t pa, unsigned size, uint64_t val);
/* Fetch the instruction at pc into *insn (decoded, cached); false with an
 * exception recorded. */
bool rv_fetch_slow(RvCpu *cpu, RvInsn *insn);
/* Atomic memory operations (A extension), on a translated RAM or I/O word. */
bool rv_exec_amo(RvCpu *cpu, const RvInsn *in);

/* ---- exec-fp.c ---- */
bool rv_exec_fp(RvCpu *cpu, const RvInsn *in);

/* ---- mem access fast paths (inline, used by the interpreter) ---- */
static inline bool rv_load(RvCpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
    RvTlbEntry *e = &cpu->tlb[rv_data_priv(cpu)][(va >> RV_PAGE_BITS) & (RV_TLB_SIZE - 1)];
    if (likely(e->tag[RV_ACC_READ] == (va & RV_PAGE_MASK)) &&
        likely((va & (size - 1)) == 0)) {
        const void *p = (const void *)(uintptr_t)(va + e->host_minus_va);
        switch (size) {
        case 1: *val = *(const uint8_t *)p; return true;
        case 2: { uint16_t v; memcpy(&v, p, 2); *val = v; return true; }
        case 4: { uint32_t v; memcpy(&v, p, 4); *val = v; return true; }
        default: { uint64_t v; memcpy(&v, p, 8); *val = v; return true; }
        }
    }
    return rv_load_slow(cpu, va, size, val);
}

static inline bool rv_store(RvCpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
    RvTlbEntry *e = &cpu->tlb[rv_data_priv(cpu)][(va >> RV_PAGE_BITS) & (RV_TLB_SIZE - 1)];
    if (likely(e->tag[RV_ACC_WRITE] == (va & RV_PAGE_MASK)) &&
        likely((va & (size - 1)) == 0)) {
        void *p = (void *)(uintptr_t)(va + e->host_minus_va);
        switch (size) {
        case 1: *(uint8_t *)p = (uint8_t)val; break;
        case 2: { uint16_t v = (uint16_t)val; memcpy(p, &v, 2); break; }
        case 4: { uint32_t v = (uint32_t)val; memcpy(p, &v, 4); break; }
        default: memcpy(p, &val, 8); break;
        }
        return true;
    }
    return rv_store_slow(cpu, va, size, val);
}

/* Current time (mtime ticks). */
static inline uint64_t rv_time(RvCpu *cpu)
{
    return cpu->cfg.get_time ? cpu->cfg.get_time(cpu->cfg.time_opaque) : 0;
}

static inline bool rv_fs_off(const RvCpu *cpu)
{
    return (cpu->mstatus & MSTATUS_FS) == 0;
}

#endif
