/*
 * aia.c - Smaia and Ssaia (RISC-V Advanced Interrupt Architecture 1.0):
 * the hart's two IMSIC interrupt files (machine and supervisor level),
 * the indirect register windows miselect/mireg and siselect/sireg, the
 * claim registers mtopei/stopei and the summaries mtopi/stopi.
 *
 * The interrupt files live here, in the hart, because the CSRs reach
 * them on every interrupt; the IMSIC's memory-mapped pages (a device on
 * the board) only turn a message written to seteipnum into
 * rv_cpu_imsic_send().  A message can come from any thread (another
 * hart's store, a device's DMA), so the pending bits are changed with
 * atomic operations; everything else belongs to the hart's own thread.
 *
 * Whether a file has an interrupt for the hart is worked out when the
 * hart looks (rv_aia_pending), not cached, so there is no second copy
 * of the state to keep in step.
 */
#include "rv-state.h"

enum {
    CSR_SISELECT = 0x150, CSR_SIREG = 0x151, CSR_STOPEI = 0x15c,
    CSR_MISELECT = 0x350, CSR_MIREG = 0x351, CSR_MTOPEI = 0x35c,
    CSR_STOPI = 0xdb0, CSR_MTOPI = 0xfb0,
};

/* miselect/siselect values (AIA 1.0, tables 2.2 and 2.3) */
enum {
    ISEL_IPRIO0 = 0x30, ISEL_IPRIO15 = 0x3f,
    ISEL_EIDELIVERY = 0x70, ISEL_EITHRESHOLD = 0x72,
    ISEL_EIP0 = 0x80, ISEL_EIP63 = 0xbf,
    ISEL_EIE0 = 0xc0, ISEL_EIE63 = 0xff,
};

#define TOPEI_ID_SHIFT 16
#define TOPI_IID_SHIFT 16
#define EITHRESHOLD_MASK 0x7ff          /* identities are 11 bits */

bool rv_aia_csr(unsigned csr)
{
    switch (csr) {
    case CSR_SISELECT: case CSR_SIREG: case CSR_STOPEI:
    case CSR_MISELECT: case CSR_MIREG: case CSR_MTOPEI:
    case CSR_STOPI: case CSR_MTOPI:
        return true;
    }
    return false;
}

/* The lowest pending-and-enabled identity under the threshold, or 0:
 * in an IMSIC a smaller identity is a higher priority. */
static unsigned file_top(RvImsicFile *f)
{
    /* (relaxed loads: rv_cpu_has_work may look from another thread) */
    uint32_t threshold = __atomic_load_n(&f->eithreshold, __ATOMIC_RELAXED);
    for (unsigned w = 0; w < RV_IMSIC_WORDS; w++) {
        uint64_t bits = __atomic_load_n(&f->eip[w], __ATOMIC_ACQUIRE) &
                        __atomic_load_n(&f->eie[w], __ATOMIC_RELAXED);
        if (bits) {
            unsigned id = w * 64 + (unsigned)__builtin_ctzll(bits);
            if (threshold && id >= threshold) {
                return 0;
            }
            return id;
        }
    }
    return 0;
}

uint32_t rv_aia_pending(RvCpu *cpu)
{
    uint32_t mip = 0;
    for (unsigned i = 0; i < 2; i++) {
        RvImsicFile *f = &cpu->imsic[i];
        if (__atomic_load_n(&f->eidelivery, __ATOMIC_RELAXED) == 1 &&
            file_top(f)) {
            mip |= 1u << (i ? RV_IRQ_SEI : RV_IRQ_MEI);
        }
    }
    return mip;
}

void rv_cpu_imsic_send(RvCpu *cpu, bool supervisor, unsigned id)
{
    if (!cpu->aia || id == 0 || id >= RV_IMSIC_IDS) {
        return;                 /* no such identity: the message is lost */
    }
    RvImsicFile *f = &cpu->imsic[supervisor];
    __atomic_fetch_or(&f->eip[id / 64], 1ull << (id % 64), __ATOMIC_RELEASE);
    __atomic_store_n(&cpu->break_chunk, 1, __ATOMIC_RELAXED);
    if (cpu->cfg.kick) {
        cpu->cfg.kick(cpu->cfg.kick_opaque);
    }
}

void rv_aia_reset(RvCpu *cpu)
{
    for (unsigned i = 0; i < 2; i++) {
        RvImsicFile *f = &cpu->imsic[i];
        for (unsigned w = 0; w < RV_IMSIC_WORDS; w++) {
            __atomic_store_n(&f->eip[w], 0, __ATOMIC_RELAXED);
            f->eie[w] = 0;
        }
        f->eidelivery = f->eithreshold = 0;
    }
    cpu->miselect = cpu->siselect = 0;
    memset(cpu->iprio, 0, sizeof(cpu->iprio));
}

/* Read-modify-write of a 64-bit eip/eie register: `word` is the register's
 * index divided by two (RV64 has only the even-numbered ones).  Pending
 * bits are changed bit by bit, atomically, so a message arriving between
 * the read and the write is neither lost nor invented. */
static void file_rmw(RvImsicFile *f, bool pending, unsigned word,
                     uint64_t *old, uint64_t mask, uint64_t val)
{
    uint64_t keep = word == 0 ? ~1ull : ~0ull;      /* identity 0: none */
    if (word >= RV_IMSIC_WORDS) {
        *old = 0;               /* beyond the implemented identities */
        return;
    }
    if (!pending) {
        *old = f->eie[word];
        __atomic_store_n(&f->eie[word],
                         (*old & ~(mask & keep)) | (val & mask & keep),
                         __ATOMIC_RELAXED);
        return;
    }
    *old = __atomic_load_n(&f->eip[word], __ATOMIC_ACQUIRE);
    uint64_t set = val & mask & keep, clear = ~val & mask & keep;
    if (set) {
        __atomic_fetch_or(&f->eip[word], set, __ATOMIC_RELEASE);
    }
    if (clear) {
        __atomic_fetch_and(&f->eip[word], ~clear, __ATOMIC_RELEASE);
    }
}

/* Every priority byte is writable but the one of the level's own
 * external interrupt (MEI in the M array, SEI in the S one), whose
 * priority comes from the interrupt file: read-only zero.  Bytes of
 * interrupts this hart does not have are kept too, as QEMU 7.2 does. */
static bool iprio_writable(unsigned irq, bool supervisor)
{
    return irq != (supervisor ? RV_IRQ_SEI : RV_IRQ_MEI);
}

/*
 * One access through mireg (supervisor false) or sireg.  Returns false for
 * an illegal instruction: a select value with nothing behind it, or an
 * odd-numbered register (RV64 has only the even ones).
 */
static bool ireg_rmw(RvCpu *cpu, bool supervisor, uint64_t *old,
                     uint64_t mask, uint64_t val)
{
    uint64_t sel = supervisor ? cpu->siselect : cpu->miselect;
    RvImsicFile *f = &cpu->imsic[supervisor];

    if (sel >= ISEL_IPRIO0 && sel <= ISEL_IPRIO15) {
        if (sel & 1) {
            return false;
        }
        uint8_t *prio = cpu->iprio[supervisor];
        unsigned first = (unsigned)(sel - ISEL_IPRIO0) * 4;
        uint64_t v = 0;
        for (unsigned i = 0; i < 8; i++) {
            v |= (uint64_t)prio[first + i] << (8 * i);
        }
        *old = v;
        uint64_t nv = (v & ~mask) | (val & mask);
        for (unsigned i = 0; i < 8; i++) {
            if (iprio_writable(first + i, supervisor)) {
                prio[first + i] = (uint8_t)(nv >> (8 * i));
            }
        }
        return true;
    }
    if (sel == ISEL_EIDELIVERY) {
        *old = f->eidelivery;
        __atomic_store_n(&f->eidelivery,
                         (uint32_t)(((*old & ~mask) | (val & mask)) & 1),
                         __ATOMIC_RELAXED);
        return true;
    }
    if (sel == ISEL_EITHRESHOLD) {
        *old = f->eithreshold;
        __atomic_store_n(&f->eithreshold,
                         (uint32_t)(((*old & ~mask) | (val & mask)) &
                                    EITHRESHOLD_MASK),
                         __ATOMIC_RELAXED);
        return true;
    }
    if (sel >= ISEL_EIP0 && sel <= ISEL_EIE63) {
        unsigned reg = (unsigned)(sel - ISEL_EIP0) % 64;
        if (reg & 1) {
            return false;
        }
        file_rmw(f, sel <= ISEL_EIP63, reg / 2, old, mask, val);
        return true;
    }
    return false;
}

/* mtopei/stopei: identity in bits 26:16 and again as the priority in
 * 10:0; 0 when nothing is pending and enabled under the threshold. */
static uint64_t topei(RvImsicFile *f)
{
    unsigned id = file_top(f);
    return id ? ((uint64_t)id << TOPEI_ID_SHIFT) | id : 0;
}

/* Claiming the identity a read returned clears its pending bit, whatever
 * arrived since. */
static void claim(RvImsicFile *f, uint64_t read)
{
    unsigned id = (unsigned)(read >> TOPEI_ID_SHIFT) & 0x7ff;
    if (id && id < RV_IMSIC_IDS) {
        __atomic_fetch_and(&f->eip[id / 64], ~(1ull << (id % 64)),
                           __ATOMIC_RELEASE);
    }
}

/* Default priority order of the major interrupts, highest first (AIA
 * 1.0 table 5.1, the standard ones this hart has). */
static const unsigned default_order[] = {
    RV_IRQ_MEI, RV_IRQ_MSI, RV_IRQ_MTI, RV_IRQ_SEI, RV_IRQ_SSI, RV_IRQ_STI,
};

/*
 * mtopi/stopi: the highest-priority interrupt among `irqs` as
 * IID << 16 | IPRIO.  A nonzero priority byte wins over the zero ones,
 * smaller numbers first; among zero bytes the default order decides.  A
 * zero byte is reported as 0 for the level's external interrupt and as
 * 255 for the interrupts below it in the default order (AIA 1.0 6.3.3,
 * and what QEMU 7.2 reports).
 */
static uint64_t topi(RvCpu *cpu, uint32_t irqs, bool supervisor)
{
    const uint8_t *prio = cpu->iprio[supervisor];
    int best = -1;
    unsigned best_prio = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(default_order); i++) {
        unsigned irq = default_order[i];
        if (!(irqs >> irq & 1)) {
            continue;
        }
        /* a zero byte ranks below every programmed one */
        unsigned p = prio[irq] ? prio[irq] : 256;
        if (best < 0 || p < best_prio) {
            best = (int)irq;
            best_prio = p;
        }
    }
    if (best < 0) {
        return 0;
    }
    unsigned external = supervisor ? RV_IRQ_SEI : RV_IRQ_MEI;
    unsigned reported = best_prio != 256 ? best_prio
                      : (unsigned)best == external || best == RV_IRQ_MEI ? 0
                      : 255;
    return ((uint64_t)best << TOPI_IID_SHIFT) | reported;
}

int rv_aia_select(RvCpu *cpu, uint32_t irqs, bool supervisor)
{
    uint64_t top = topi(cpu, irqs, supervisor);
    return top ? (int)(top >> TOPI_IID_SHIFT) : -1;
}

int rv_aia_exec_csr(RvCpu *cpu, unsigned csr, uint64_t *old, bool write,
                    uint64_t mask, uint64_t val)
{
    if (!cpu->aia) {
        return 0;
    }
    bool has_s = cpu->ext & RV_EXT_S;
    bool s_reg = csr == CSR_SISELECT || csr == CSR_SIREG ||
                 csr == CSR_STOPEI || csr == CSR_STOPI;
    if (s_reg && !has_s) {
        return 0;
    }
    uint32_t pend = rv_pending_irqs(cpu) & (uint32_t)cpu->mie;
    switch (csr) {
    case CSR_MISELECT: case CSR_SISELECT: {
        uint64_t *sel = csr == CSR_MISELECT ? &cpu->miselect : &cpu->siselect;
        *old = *sel;
        if (write) {
            /* WARL: wide enough for every defined value (0..0x1ff) */
            *sel = ((*sel & ~mask) | (val & mask)) & 0x1ff;
        }
        return 1;
    }
    case CSR_MIREG: case CSR_SIREG:
        if (!ireg_rmw(cpu, csr == CSR_SIREG, old, write ? mask : 0, val)) {
            return 0;
        }
        break;
    case CSR_MTOPEI: case CSR_STOPEI: {
        RvImsicFile *f = &cpu->imsic[csr == CSR_STOPEI];
        *old = topei(f);
        if (write) {
            claim(f, *old);
        }
        break;
    }
    case CSR_MTOPI:
        *old = topi(cpu, pend & ~(uint32_t)cpu->mideleg, false);
        return 1;
    case CSR_STOPI:
        *old = topi(cpu, pend & (uint32_t)cpu->mideleg, true);
        return 1;
    default:
        return -1;
    }
    if (write) {
        /* a claim or a new enable may change what is deliverable */
        __atomic_store_n(&cpu->break_chunk, 1, __ATOMIC_RELAXED);
    }
    return 1;
}
