/*
 * pmp.c - physical memory protection (Privileged ISA 20211203, 3.7):
 * up to 16 entries, OFF/TOR/NA4/NAPOT, lock bit, 4-byte granularity.
 *
 * One deliberate leniency, as QEMU does: while no entry is active (all
 * OFF) every mode may access everything, so a kernel started directly in
 * S-mode without firmware still runs.  Once firmware programs any entry
 * the ISA rule applies (S/U accesses that match nothing fail).
 */
#include "rv-state.h"

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_A_SHIFT 3
#define PMP_A 0x18
#define PMP_L 0x80

enum { PMP_OFF, PMP_TOR, PMP_NA4, PMP_NAPOT };

#define CSR_PMPCFG0 0x3a0
#define CSR_PMPADDR0 0x3b0

/* [lo, hi] inclusive byte range of entry i; false when it matches nothing. */
static bool pmp_range(const RvCpu *cpu, unsigned i, uint64_t *lo, uint64_t *hi)
{
    uint64_t a = cpu->pmpaddr[i];
    switch ((cpu->pmpcfg[i] & PMP_A) >> PMP_A_SHIFT) {
    case PMP_TOR: {
        uint64_t start = i ? cpu->pmpaddr[i - 1] << 2 : 0, end = a << 2;
        if (start >= end) {
            return false;
        }
        *lo = start;
        *hi = end - 1;
        return true;
    }
    case PMP_NA4:
        *lo = a << 2;
        *hi = *lo + 3;
        return true;
    case PMP_NAPOT: {
        unsigned t = __builtin_ctzll(~a);   /* trailing ones */
        if (t >= 54) {
            *lo = 0;
            *hi = UINT64_MAX;
            return true;
        }
        uint64_t size = 1ull << (t + 3);
        *lo = (a & ~((1ull << t) - 1)) << 2;
        *lo &= ~(size - 1);
        *hi = *lo + size - 1;
        return true;
    }
    default:
        return false;
    }
}

bool rv_pmp_check(RvCpu *cpu, uint64_t pa, uint64_t size, RvAccess acc,
                  unsigned priv)
{
    static const uint8_t need[3] = { PMP_R, PMP_W, PMP_X };
    uint64_t last = pa + size - 1, lo, hi;

    if (!cpu->pmp_active) {
        return true;
    }
    for (unsigned i = 0; i < cpu->pmp_entries; i++) {
        if (!pmp_range(cpu, i, &lo, &hi) || last < lo || pa > hi) {
            continue;
        }
        if (pa < lo || last > hi) {
            return false;                   /* matches only part of the access */
        }
        if (priv == RV_PRIV_M && !(cpu->pmpcfg[i] & PMP_L)) {
            return true;
        }
        return (cpu->pmpcfg[i] & need[acc]) != 0;
    }
    return priv == RV_PRIV_M;
}

static bool addr_locked(const RvCpu *cpu, unsigned i)
{
    if (cpu->pmpcfg[i] & PMP_L) {
        return true;
    }
    return i + 1 < cpu->pmp_entries && (cpu->pmpcfg[i + 1] & PMP_L) &&
           ((cpu->pmpcfg[i + 1] & PMP_A) >> PMP_A_SHIFT) == PMP_TOR;
}

static void update_active(RvCpu *cpu)
{
    cpu->pmp_active = false;
    for (unsigned i = 0; i < cpu->pmp_entries; i++) {
        if (cpu->pmpcfg[i] & PMP_A) {
            cpu->pmp_active = true;
        }
    }
    rv_tlb_flush_all(cpu);
}

bool rv_pmp_read_csr(RvCpu *cpu, unsigned csr, uint64_t *val)
{
    if (csr >= CSR_PMPCFG0 && csr < CSR_PMPCFG0 + 16) {
        unsigned n = csr - CSR_PMPCFG0;
        if (n & 1) {
            return false;                   /* odd pmpcfg do not exist on RV64 */
        }
        uint64_t v = 0;
        for (unsigned b = 0; b < 8; b++) {
            unsigned i = n * 4 + b;
            if (i < cpu->pmp_entries) {
                v |= (uint64_t)cpu->pmpcfg[i] << (8 * b);
            }
        }
        *val = v;
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr < CSR_PMPADDR0 + 64) {
        unsigned i = csr - CSR_PMPADDR0;
        *val = i < cpu->pmp_entries ? cpu->pmpaddr[i] : 0;
        return true;
    }
    return false;
}

bool rv_pmp_write_csr(RvCpu *cpu, unsigned csr, uint64_t val)
{
    if (csr >= CSR_PMPCFG0 && csr < CSR_PMPCFG0 + 16) {
        unsigned n = csr - CSR_PMPCFG0;
        if (n & 1) {
            return false;
        }
        for (unsigned b = 0; b < 8; b++) {
            unsigned i = n * 4 + b;
            uint8_t c = (val >> (8 * b)) & 0xff;
            if (i >= cpu->pmp_entries || (cpu->pmpcfg[i] & PMP_L)) {
                continue;
            }
            c &= PMP_R | PMP_W | PMP_X | PMP_A | PMP_L;
            if ((c & (PMP_R | PMP_W)) == PMP_W) {
                c &= ~PMP_W;                /* W without R is reserved */
            }
            cpu->pmpcfg[i] = c;
        }
        update_active(cpu);
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr < CSR_PMPADDR0 + 64) {
        unsigned i = csr - CSR_PMPADDR0;
        if (i < cpu->pmp_entries && !addr_locked(cpu, i)) {
            cpu->pmpaddr[i] = val & ((1ull << 54) - 1);
            update_active(cpu);
        }
        return true;
    }
    return false;
}
