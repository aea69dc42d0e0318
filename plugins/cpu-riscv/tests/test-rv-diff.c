/*
 * test-rv-diff.c - differential test of the JIT against the interpreter.
 *
 * Random RV64GC programs are generated from a seeded PRNG, run once on the
 * interpreter (the reference) and once with the JIT, and the final
 * architectural state must be the same: x1..x31, f0..f31, fcsr, pc,
 * mstatus, the trap CSRs, mscratch, the memory the program can touch and
 * what it wrote to the test device.
 *
 * A program is a prologue (sp, gp, mtvec, FS, fcsr), an M-mode trap
 * handler and a body of "groups": short self-contained instruction
 * sequences (an address computation and the access that uses it, an
 * lr/sc pair, a store over an instruction and fence.i, ...).  Control flow only ever lands on a group's first
 * instruction: branches and jumps go forward to a later group, and the
 * only backward jumps close loops whose counter (tp) nothing else writes.
 * The handler logs every trap (mcause, mepc, mtval and a hash of x1..x31
 * as the trapping instruction saw them) to memory, skips the
 * trapping instruction (2 or 4 bytes, read from its first parcel) and
 * returns, so illegal instructions, faults, misaligned atomics, ecall
 * and ebreak all keep the program going; a fetch fault (a jump to a
 * wild address) resumes where the jumping group stored its return point.
 *
 * Reserved registers: sp points at the page boundary in the middle of
 * the data window, gp at the handler's save area, constant pool and trap
 * log, tp is the loop counter.  The handler saves and restores t0-t2.
 *
 * Every other program runs on the JIT in random slices of 1 to 64 steps
 * (rv_cpu_run budgets), so compiled blocks also stop on the budget at
 * any instruction and are entered again there.
 *
 * Reproducing: TESSERA_DIFF_SEED=<n> adds a run with that seed;
 * TESSERA_DIFF_PROGRAM=<i> limits every run to program i (each program
 * is generated from (seed, i) alone); TESSERA_DIFF_COUNT=<n> sets the
 * number of programs per seed, TESSERA_DIFF_LEN=<n> their length in
 * instructions (200; the code area holds about 3000).  (A
 * seed gives the same program with the same build; the order in which a
 * compiler evaluates call arguments that draw random numbers may differ
 * between compilers.)  On a mismatch the test prints the seed,
 * the program index, the first difference, the program as hex words and
 * the smallest set of groups (others replaced by c.nop) that still
 * disagrees.
 */
#include "rv-harness.h"

/* ---- memory layout of a generated program ---- */

#define CODE_BASE   ((uint64_t)RV_RAM_BASE)
#define CODE_SIZE   0x4000u
#define DATA_BASE   (RV_RAM_BASE + 0x100000)    /* two pages */
#define DATA_SIZE   0x2000u
#define DATA_MID    (DATA_BASE + 0x1000)        /* sp: the page boundary */
#define GP_BASE     (RV_RAM_BASE + 0x200000)
#define GP_SIZE     0x1000u
#define TAIL_BASE   (RV_RAM_BASE + RV_RAM_SIZE - 0x1000)   /* last RAM page */
#define TAIL_SIZE   0x1000u
#define MAX_STEPS   200000u

/* The gp area: all within reach of a 12-bit offset from gp. */
enum {
    GP_SAVE = 0x00,         /* t0, t1, t2 while the handler runs */
    GP_RESUME = 0x18,       /* where a fetch fault goes on */
    GP_LOGP = 0x20,         /* next free trap-log slot */
    GP_LOGEND = 0x28,
    GP_COUNT = 0x30,        /* traps taken */
    GP_FCSR = 0x38,         /* fcsr at start */
    GP_HASH = 0x40,         /* the handler's register hash, on its way to the log */
    GP_POOL = 0x48,         /* constants, POOL_N of them */
    POOL_N = 220,
    GP_LOG = 0x800,         /* LOG_N records: mcause, mepc, mtval, register hash */
    LOG_REC = 32,
    LOG_N = 60,
};

/* Registers named here: sp, gp and tp have fixed jobs and are never a
 * destination in the body; t0-t2 are the handler's scratch (saved). */
enum { X_RA = 1, X_SP = 2, X_GP = 3, X_TP = 4, X_T0 = 5, X_T1 = 6, X_T2 = 7 };

/* ---- interesting values ---- */

static const uint64_t int_vals[] = {
    0, 1, 2, 3, 7, 31, 32, 63, 64, 0xffffffffffffffffull, 0xfffffffffffffffeull,
    0x8000000000000000ull, 0x7fffffffffffffffull, 0x80000000ull, 0x7fffffffull,
    0xffffffffull, 0xffffffff80000000ull, 0x100000000ull, 0x5555555555555555ull,
    0xaaaaaaaaaaaaaaaaull, 0x00000000ffff8000ull, 0xffffffff7fffffffull,
};

static const uint64_t d_vals[] = {
    0x0000000000000000ull, 0x8000000000000000ull,   /* +0, -0 */
    0x3ff0000000000000ull, 0xbff0000000000000ull,   /* 1, -1 */
    0x3fe0000000000000ull, 0x3ff8000000000000ull,   /* 0.5, 1.5 */
    0x4004000000000000ull, 0xc004000000000000ull,   /* 2.5, -2.5 */
    0x4008000000000000ull, 0x3fd5555555555555ull,   /* 3, 1/3 */
    0x400921fb54442d18ull,                          /* pi */
    0x0000000000000001ull, 0x8000000000000001ull,   /* smallest subnormals */
    0x000fffffffffffffull, 0x0010000000000000ull,   /* largest subnormal, smallest normal */
    0x7fefffffffffffffull, 0xffefffffffffffffull,   /* +-max */
    0x7ff0000000000000ull, 0xfff0000000000000ull,   /* +-inf */
    0x7ff8000000000000ull, 0xfff8000000000000ull,   /* +-qNaN */
    0x7ff8000000000123ull, 0x7ff0000000000001ull,   /* qNaN payload, sNaN */
    0x7ff4000000000000ull, 0xfff0000000000abcull,   /* sNaNs */
    0x43e0000000000000ull, 0xc3e0000000000000ull,   /* +-2^63 */
    0x43f0000000000000ull, 0x43efffffffffffffull,   /* 2^64, just below */
    0x41e0000000000000ull, 0xc1e0000000000000ull,   /* +-2^31 */
    0x41dfffffffc00000ull, 0xc1e0000000100000ull,   /* 2^31-1, -2^31-0.5 */
    0x41f0000000000000ull, 0x41efffffffe00000ull,   /* 2^32, 2^32-1 */
    0x3ff0000010000000ull,                          /* 1+2^-24: a tie as float */
    0x3ff0000000000001ull, 0x3ca0000000000000ull,   /* 1+ulp, 2^-53 */
    0x36a0000000000000ull, 0x3690000000000000ull,   /* 2^-149, 2^-150 */
    0x47efffffe0000000ull, 0x47effffff0000000ull,   /* FLT_MAX, halfway above */
    0x7e37e43c8800759cull, 0x0170000000000000ull,   /* 1e300, tiny */
};

static const uint32_t s_vals[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0x3fc00000,
    0x40200000, 0xc0200000, 0x40400000, 0x3eaaaaab, 0x40490fdb,
    0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff,
    0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc00123, 0x7f800001,
    0x7fa00000, 0x4f000000, 0xcf000000, 0x4f800000, 0x5f000000, 0xdf000000,
    0x5f800000, 0x33800000, 0x4b800001, 0x3f800001, 0x4effffff, 0xcf000001,
};

/* Addresses outside the data window: unmapped, device, straddling the
 * end of RAM.  `store` marks those a store may target with offset 0
 * (never the finisher or the interrupt-line register). */
static const struct { uint64_t addr; bool store; } wild[] = {
    { 0x0, true }, { 0x1000, true }, { 0x7ffffff8ull, true },
    { RV_RAM_BASE + RV_RAM_SIZE, true }, { RV_RAM_BASE + RV_RAM_SIZE - 4, true },
    { RV_RAM_BASE + RV_RAM_SIZE - 7, true }, { RV_RAM_BASE + RV_RAM_SIZE - 16, true },
    { 0xffffffff80000000ull, true }, { 0x8000000000000000ull, true },
    { RV_TESTDEV, false }, { RV_TESTDEV + 0x10, false },
    { RV_TESTDEV + 0x04, true }, { RV_TESTDEV + 0x08, true }, { RV_TESTDEV + 0x09, true },
    { RV_TESTDEV + 0x18, true }, { RV_TESTDEV + 0x1c, true }, { RV_TESTDEV + 0x20, true },
};

/* Where a jump may go to fault on fetch. */
static const uint64_t wild_fetch[] = {
    0x0, RV_TESTDEV, RV_TESTDEV + 0x18, RV_RAM_BASE + RV_RAM_SIZE, 0x7ffffffcull,
    0x8000000000000000ull,
};

/* Pool layout: slots [0, POOL_SMC) are values, then instructions for
 * code patching, the wild addresses and the fetch targets. */
enum {
    POOL_SMC = POOL_N - 28,
    POOL_WILD = POOL_SMC + 4,
    POOL_FETCH = POOL_WILD + 17,
};
_Static_assert(G_N_ELEMENTS(wild) == POOL_FETCH - POOL_WILD, "wild slots");
_Static_assert(POOL_FETCH + G_N_ELEMENTS(wild_fetch) <= POOL_N, "fetch slots");
_Static_assert(GP_POOL + 8 * POOL_N <= 0x7f8, "pool within reach of gp");
_Static_assert(GP_LOG + LOG_REC * LOG_N <= GP_SIZE, "log within the gp area");

/* ---- the program being built ---- */

#define MAX_GROUPS 2048
#define MAX_FIXUPS 1024

typedef enum { FX_B, FX_J, FX_CB, FX_CJ, FX_I } FixKind;

typedef struct Fixup {
    unsigned at;            /* code offset of the instruction to patch */
    unsigned base;          /* FX_I: offset the immediate is relative to */
    FixKind kind;
    unsigned group;         /* the group the jump is in */
    unsigned target;        /* a group index (see resolve_fixups) */
    bool exact;             /* target is exact (loop back edge), not "at most" */
    int adjust;             /* added to the offset (an odd jalr target) */
} Fixup;

typedef struct Group {
    unsigned start, end;    /* code offsets */
    int loop;               /* loop id of a body/tail group, else -1 */
    bool fixed;             /* never replaced by nops when minimising */
    const char *kind;
} Group;

typedef struct Prog {
    uint32_t seed;
    unsigned index;
    GRand *g;
    uint8_t code[CODE_SIZE];
    unsigned pos, body_start, code_end, ninsns;
    Group groups[MAX_GROUPS];
    unsigned ngroups;
    Fixup fix[MAX_FIXUPS];
    unsigned nfix;
    int cur_loop;
    unsigned nloops;
    uint64_t x[32], f[32];
    uint8_t data[DATA_SIZE], gp[GP_SIZE], tail[TAIL_SIZE];
} Prog;

static unsigned rnd(Prog *p, unsigned n)
{
    return (unsigned)g_rand_int_range(p->g, 0, (gint32)n);
}

static int rnd_range(Prog *p, int lo, int hi_incl)
{
    return g_rand_int_range(p->g, lo, hi_incl + 1);
}

static bool chance(Prog *p, unsigned percent)
{
    return rnd(p, 100) < percent;
}

static uint64_t rnd64(Prog *p)
{
    uint64_t hi = g_rand_int(p->g);
    return hi << 32 | g_rand_int(p->g);
}

/* ---- encoders (RISC-V Unprivileged ISA, chapter 24 and 16) ---- */

static uint32_t enc_r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd,
                      unsigned opc)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static uint32_t enc_i(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned opc)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static uint32_t enc_s(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3, unsigned opc)
{
    uint32_t i = (uint32_t)imm & 0xfff;
    return (i >> 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (i & 31) << 7 | opc;
}

static uint32_t enc_b(int32_t off, unsigned rs2, unsigned rs1, unsigned f3)
{
    uint32_t o = (uint32_t)off;
    return ((o >> 12) & 1) << 31 | ((o >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 |
           f3 << 12 | ((o >> 1) & 0xf) << 8 | ((o >> 11) & 1) << 7 | 0x63;
}

static uint32_t enc_u(uint32_t imm20, unsigned rd, unsigned opc)
{
    return (imm20 & 0xfffff) << 12 | rd << 7 | opc;
}

static uint32_t enc_j(int32_t off, unsigned rd)
{
    uint32_t o = (uint32_t)off;
    return ((o >> 20) & 1) << 31 | ((o >> 1) & 0x3ff) << 21 | ((o >> 11) & 1) << 20 |
           ((o >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}

static uint32_t enc_r4(unsigned rs3, unsigned fmt, unsigned rs2, unsigned rs1, unsigned rm,
                       unsigned rd, unsigned opc)
{
    return rs3 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | opc;
}

static uint32_t enc_csr(unsigned f3, unsigned csr, unsigned rs1, unsigned rd)
{
    return csr << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73;
}

/* CI with a 6-bit immediate: c.addi, c.addiw, c.li, c.lui, c.slli. */
static uint16_t enc_ci(unsigned f3, unsigned rd, int32_t imm6, unsigned q)
{
    uint32_t i = (uint32_t)imm6;
    return (uint16_t)(f3 << 13 | ((i >> 5) & 1) << 12 | rd << 7 | (i & 31) << 2 | q);
}

/* CL/CS, word offsets: uimm[5:3] at 12:10, uimm[2] at 6, uimm[6] at 5. */
static uint16_t enc_cls_w(unsigned f3, unsigned rs1p, unsigned rp, unsigned uimm)
{
    return (uint16_t)(f3 << 13 | ((uimm >> 3) & 7) << 10 | (rs1p - 8) << 7 |
                      ((uimm >> 2) & 1) << 6 | ((uimm >> 6) & 1) << 5 | (rp - 8) << 2);
}

/* CL/CS, double offsets: uimm[5:3] at 12:10, uimm[7:6] at 6:5. */
static uint16_t enc_cls_d(unsigned f3, unsigned rs1p, unsigned rp, unsigned uimm)
{
    return (uint16_t)(f3 << 13 | ((uimm >> 3) & 7) << 10 | (rs1p - 8) << 7 |
                      ((uimm >> 6) & 3) << 5 | (rp - 8) << 2);
}

static uint16_t enc_c_lwsp(unsigned rd, unsigned uimm)
{
    return (uint16_t)(2u << 13 | ((uimm >> 5) & 1) << 12 | rd << 7 | ((uimm >> 2) & 7) << 4 |
                      ((uimm >> 6) & 3) << 2 | 2);
}

/* c.ldsp (f3 3) and c.fldsp (f3 1). */
static uint16_t enc_c_ldsp(unsigned f3, unsigned rd, unsigned uimm)
{
    return (uint16_t)(f3 << 13 | ((uimm >> 5) & 1) << 12 | rd << 7 | ((uimm >> 3) & 3) << 5 |
                      ((uimm >> 6) & 7) << 2 | 2);
}

static uint16_t enc_c_swsp(unsigned rs2, unsigned uimm)
{
    return (uint16_t)(6u << 13 | ((uimm >> 2) & 15) << 9 | ((uimm >> 6) & 3) << 7 | rs2 << 2 | 2);
}

/* c.sdsp (f3 7) and c.fsdsp (f3 5). */
static uint16_t enc_c_sdsp(unsigned f3, unsigned rs2, unsigned uimm)
{
    return (uint16_t)(f3 << 13 | ((uimm >> 3) & 7) << 10 | ((uimm >> 6) & 7) << 7 | rs2 << 2 | 2);
}

static uint16_t enc_c_addi4spn(unsigned rdp, unsigned nzuimm)
{
    return (uint16_t)(((nzuimm >> 4) & 3) << 11 | ((nzuimm >> 6) & 15) << 7 |
                      ((nzuimm >> 2) & 1) << 6 | ((nzuimm >> 3) & 1) << 5 | (rdp - 8) << 2);
}

static uint16_t enc_c_addi16sp(int32_t nzimm)
{
    uint32_t i = (uint32_t)nzimm;
    return (uint16_t)(3u << 13 | ((i >> 9) & 1) << 12 | 2u << 7 | ((i >> 4) & 1) << 6 |
                      ((i >> 6) & 1) << 5 | ((i >> 7) & 3) << 3 | ((i >> 5) & 1) << 2 | 1);
}

/* c.beqz (f3 6) / c.bnez (f3 7). */
static uint16_t enc_cb(unsigned f3, unsigned rs1p, int32_t off)
{
    uint32_t o = (uint32_t)off;
    return (uint16_t)(f3 << 13 | ((o >> 8) & 1) << 12 | ((o >> 3) & 3) << 10 | (rs1p - 8) << 7 |
                      ((o >> 6) & 3) << 5 | ((o >> 1) & 3) << 3 | ((o >> 5) & 1) << 2 | 1);
}

static uint16_t enc_cj(int32_t off)
{
    uint32_t o = (uint32_t)off;
    return (uint16_t)(5u << 13 | ((o >> 11) & 1) << 12 | ((o >> 4) & 1) << 11 |
                      ((o >> 8) & 3) << 9 | ((o >> 10) & 1) << 8 | ((o >> 6) & 1) << 7 |
                      ((o >> 7) & 1) << 6 | ((o >> 1) & 7) << 3 | ((o >> 5) & 1) << 2 | 1);
}

/* ---- emitting ---- */

static void emit16(Prog *p, uint16_t h)
{
    g_assert_cmpuint(p->pos + 2, <=, CODE_SIZE);
    memcpy(p->code + p->pos, &h, 2);
    p->pos += 2;
    p->ninsns++;
}

static void emit32(Prog *p, uint32_t w)
{
    g_assert_cmpuint(p->pos + 4, <=, CODE_SIZE);
    memcpy(p->code + p->pos, &w, 4);
    p->pos += 4;
    p->ninsns++;
}

static void patch32(Prog *p, unsigned at, uint32_t w)
{
    memcpy(p->code + at, &w, 4);
}

static uint32_t read32(const Prog *p, unsigned at)
{
    uint32_t w;
    memcpy(&w, p->code + at, 4);
    return w;
}

static void group_begin(Prog *p, const char *kind)
{
    g_assert_cmpuint(p->ngroups, <, MAX_GROUPS);
    Group *gr = &p->groups[p->ngroups];
    gr->start = p->pos;
    gr->loop = p->cur_loop;
    gr->fixed = false;
    gr->kind = kind;
}

static void group_end(Prog *p)
{
    p->groups[p->ngroups].end = p->pos;
    p->ngroups++;
}

/* A forward jump from the current group to some later group, at most
 * `ahead` groups on (resolve_fixups keeps it in range and legal). */
static void add_fixup(Prog *p, FixKind kind, unsigned at, unsigned base, unsigned ahead,
                      int adjust)
{
    g_assert_cmpuint(p->nfix, <, MAX_FIXUPS);
    p->fix[p->nfix++] = (Fixup){
        .at = at, .base = base, .kind = kind, .group = p->ngroups,
        .target = p->ngroups + ahead, .exact = false, .adjust = adjust,
    };
}

static bool fits(int64_t v, unsigned bits)
{
    return v >= -(1ll << (bits - 1)) && v < (1ll << (bits - 1));
}

static bool fixup_reaches(const Fixup *f, int64_t off)
{
    switch (f->kind) {
    case FX_B: return fits(off, 13);
    case FX_J: return fits(off, 21);
    case FX_CB: return fits(off, 9);
    case FX_CJ: return fits(off, 12);
    default: return fits(off, 12);
    }
}

static void apply_fixup(Prog *p, const Fixup *f, int64_t off)
{
    uint32_t w = read32(p, f->at);
    uint16_t h;
    switch (f->kind) {
    case FX_B:
        patch32(p, f->at, enc_b((int32_t)off, (w >> 20) & 31, (w >> 15) & 31, (w >> 12) & 7));
        break;
    case FX_J:
        patch32(p, f->at, enc_j((int32_t)off, (w >> 7) & 31));
        break;
    case FX_CB:
        h = enc_cb((w >> 13) & 7, 8 + ((w >> 7) & 7), (int32_t)off);
        memcpy(p->code + f->at, &h, 2);
        break;
    case FX_CJ:
        h = enc_cj((int32_t)off);
        memcpy(p->code + f->at, &h, 2);
        break;
    case FX_I:
        patch32(p, f->at, (w & 0xfffff) | ((uint32_t)off & 0xfff) << 20);
        break;
    }
}

/*
 * Point every jump at a group start.  A forward jump may land on a group
 * outside any loop, or inside its own loop: never in the middle of
 * another loop, whose counter would not have been set.  Going back from
 * the wished-for target finds one: the next group always qualifies.
 */
static void resolve_fixups(Prog *p)
{
    for (unsigned i = 0; i < p->nfix; i++) {
        Fixup *f = &p->fix[i];
        unsigned from = f->kind == FX_I ? f->base : f->at;
        int here = p->groups[f->group].loop;
        int64_t off;

        if (f->exact) {
            off = (int64_t)p->groups[f->target].start - (int64_t)from;
            g_assert_true(fixup_reaches(f, off));
            apply_fixup(p, f, off);
            continue;
        }
        for (unsigned t = MIN(f->target, p->ngroups - 1);; t--) {
            g_assert_cmpuint(t, >, f->group);
            off = (int64_t)p->groups[t].start - (int64_t)from;
            bool legal = p->groups[t].loop < 0 || p->groups[t].loop == here;
            if (legal && fixup_reaches(f, off + f->adjust)) {
                apply_fixup(p, f, off + f->adjust);
                break;
            }
        }
    }
}

/* ---- register choice ---- */

/* A destination: anything but sp, gp, tp; x0 now and then. */
static unsigned pick_rd(Prog *p)
{
    unsigned r;
    do {
        r = rnd(p, 32);
    } while (r >= X_SP && r <= X_TP);
    return r;
}

static unsigned pick_rd_nz(Prog *p)
{
    unsigned r;
    do {
        r = pick_rd(p);
    } while (r == 0);
    return r;
}

static unsigned pick_rs(Prog *p)
{
    return rnd(p, 32);
}

/* x8..x15, the registers of the compressed 3-bit fields. */
static unsigned pick_rc(Prog *p)
{
    return 8 + rnd(p, 8);
}

static unsigned pick_f(Prog *p)
{
    return rnd(p, 32);
}

/* ---- small building blocks ---- */

static void emit_addi(Prog *p, unsigned rd, unsigned rs1, int32_t imm)
{
    emit32(p, enc_i(imm, rs1, 0, rd, 0x13));
}

static void emit_ld(Prog *p, unsigned rd, unsigned rs1, int32_t imm)
{
    emit32(p, enc_i(imm, rs1, 3, rd, 0x03));
}

static void emit_sd(Prog *p, unsigned rs2, unsigned rs1, int32_t imm)
{
    emit32(p, enc_s(imm, rs2, rs1, 3, 0x23));
}

/* Load a 32-bit-or-less positive constant (lui + addi). */
static void emit_li32(Prog *p, unsigned rd, uint32_t v)
{
    uint32_t hi = (v + 0x800) >> 12;
    int32_t lo = (int32_t)(v << 20) >> 20;
    g_assert_cmpuint(v, <, 0x7ffff800u);
    if (hi) {
        emit32(p, enc_u(hi, rd, 0x37));
        if (lo) {
            emit_addi(p, rd, rd, lo);
        }
    } else {
        emit_addi(p, rd, 0, lo);
    }
}

static unsigned pool_value_slot(Prog *p)
{
    return GP_POOL + 8 * rnd(p, POOL_SMC);
}

/* An offset from sp (the page boundary in the data window) for an access
 * of `size` bytes: often around the boundary or misaligned. */
static int32_t window_offset(Prog *p, unsigned size)
{
    /* hi: base + immediate reach 4094 at most */
    int32_t lo = -(int32_t)(DATA_SIZE / 2), hi = (int32_t)(DATA_SIZE / 2 - 8);
    unsigned k = rnd(p, 100);
    if (k < 30) {
        return rnd_range(p, -(int32_t)size - 2, 2);            /* across the page boundary */
    }
    if (k < 50) {
        return rnd_range(p, lo, hi);                            /* any alignment */
    }
    return rnd_range(p, lo, hi) & ~(int32_t)(size - 1);        /* naturally aligned */
}

/* Split a window offset into a base adjustment and an access immediate,
 * both 12-bit. */
static void split_offset(Prog *p, int32_t d, int32_t *base, int32_t *imm)
{
    int32_t lo = MAX(d - 2047, -2048), hi = MIN(d + 2048, 2047);
    *base = rnd_range(p, lo, hi);
    *imm = d - *base;
}

/* Another immediate from the same base, a few bytes from the last one,
 * still inside the window. */
static int32_t near_imm(Prog *p, int32_t base, int32_t imm)
{
    int32_t d = CLAMP(base + imm + rnd_range(p, -9, 9), -(int32_t)DATA_SIZE / 2,
                      (int32_t)DATA_SIZE / 2 - 8);
    return CLAMP(d - base, -2048, 2047);
}

/* ---- instruction groups ---- */

static int32_t imm12(Prog *p);

static const struct { uint8_t f7, f3, opc; } alu_r_ops[] = {
    { 0, 0, 0x33 }, { 0x20, 0, 0x33 }, { 0, 1, 0x33 }, { 0, 2, 0x33 }, { 0, 3, 0x33 },
    { 0, 4, 0x33 }, { 0, 5, 0x33 }, { 0x20, 5, 0x33 }, { 0, 6, 0x33 }, { 0, 7, 0x33 },
    { 1, 0, 0x33 }, { 1, 1, 0x33 }, { 1, 2, 0x33 }, { 1, 3, 0x33 }, { 1, 4, 0x33 },
    { 1, 5, 0x33 }, { 1, 6, 0x33 }, { 1, 7, 0x33 },
    { 0, 0, 0x3b }, { 0x20, 0, 0x3b }, { 0, 1, 0x3b }, { 0, 5, 0x3b }, { 0x20, 5, 0x3b },
    { 1, 0, 0x3b }, { 1, 4, 0x3b }, { 1, 5, 0x3b }, { 1, 6, 0x3b }, { 1, 7, 0x3b },
};

/* A 32-bit integer instruction that writes no reserved register and
 * stays one whatever bits 20-24 (rs2 or immediate) become. */
static uint32_t safe_alu_insn(Prog *p)
{
    static const unsigned i_f3[] = { 0, 2, 3, 4, 6, 7 };
    if (chance(p, 50)) {
        unsigned k = rnd(p, G_N_ELEMENTS(alu_r_ops));
        return enc_r(alu_r_ops[k].f7, pick_rs(p), pick_rs(p), alu_r_ops[k].f3, pick_rd(p),
                     alu_r_ops[k].opc);
    }
    return enc_i(imm12(p), pick_rs(p), i_f3[rnd(p, 6)], pick_rd(p), chance(p, 80) ? 0x13 : 0x1b);
}

static void gen_alu_r(Prog *p)
{
    unsigned n = 1 + rnd(p, 3);
    for (unsigned i = 0; i < n; i++) {
        unsigned k = rnd(p, G_N_ELEMENTS(alu_r_ops));
        unsigned rs1 = pick_rs(p), rs2 = chance(p, 10) ? rs1 : pick_rs(p);
        emit32(p, enc_r(alu_r_ops[k].f7, rs2, rs1, alu_r_ops[k].f3, pick_rd(p),
                        alu_r_ops[k].opc));
    }
}

static int32_t imm12(Prog *p)
{
    static const int32_t edge[] = { 0, 1, -1, 2047, -2048, 0x7ff, -0x800, 31, 32, 63 };
    return chance(p, 30) ? edge[rnd(p, G_N_ELEMENTS(edge))] : rnd_range(p, -2048, 2047);
}

static void gen_alu_i(Prog *p)
{
    unsigned n = 1 + rnd(p, 3);
    for (unsigned i = 0; i < n; i++) {
        unsigned rd = pick_rd(p), rs1 = pick_rs(p);
        switch (rnd(p, 12)) {
        case 0: case 1: case 2: case 3: case 4: case 5: {
            static const unsigned f3[] = { 0, 2, 3, 4, 6, 7 };
            emit32(p, enc_i(imm12(p), rs1, f3[rnd(p, 6)], rd, 0x13));
            break;
        }
        case 6: emit32(p, enc_i(rnd(p, 64), rs1, 1, rd, 0x13)); break;             /* slli */
        case 7:                                                                    /* srli, srai */
            emit32(p, enc_i((chance(p, 50) ? 0x400 : 0) | rnd(p, 64), rs1, 5, rd, 0x13));
            break;
        case 8: case 9: emit32(p, enc_i(imm12(p), rs1, 0, rd, 0x1b)); break;       /* addiw */
        case 10: emit32(p, enc_i(rnd(p, 32), rs1, 1, rd, 0x1b)); break;            /* slliw */
        default:                                                                   /* srliw, sraiw */
            emit32(p, enc_i((chance(p, 50) ? 0x400 : 0) | rnd(p, 32), rs1, 5, rd, 0x1b));
            break;
        }
    }
}

static void gen_upper(Prog *p)
{
    static const uint32_t edge[] = { 0, 1, 0x7ffff, 0x80000, 0xfffff, 0x80200 };
    uint32_t imm = chance(p, 40) ? edge[rnd(p, G_N_ELEMENTS(edge))] : rnd(p, 1u << 20);
    emit32(p, enc_u(imm, pick_rd(p), chance(p, 50) ? 0x37 : 0x17));
}

static void gen_alu_c(Prog *p)
{
    unsigned n = 1 + rnd(p, 4);
    for (unsigned i = 0; i < n; i++) {
        int32_t imm6 = rnd_range(p, -32, 31);
        switch (rnd(p, 14)) {
        case 0: emit16(p, enc_ci(0, pick_rd_nz(p), imm6, 1)); break;               /* c.addi */
        case 1: emit16(p, enc_ci(1, pick_rd_nz(p), imm6, 1)); break;               /* c.addiw */
        case 2: emit16(p, enc_ci(2, pick_rd_nz(p), imm6, 1)); break;               /* c.li */
        case 3:                                                                    /* c.lui */
            emit16(p, enc_ci(3, pick_rd_nz(p), imm6 ? imm6 : 1, 1));
            break;
        case 4: emit16(p, enc_ci(0, pick_rd_nz(p), rnd_range(p, 1, 63), 2)); break; /* c.slli */
        case 5: case 6: {                                                          /* c.srli, c.srai */
            unsigned sh = rnd_range(p, 1, 63);
            emit16(p, (uint16_t)(4u << 13 | ((sh >> 5) & 1) << 12 | rnd(p, 2) << 10 |
                                 (pick_rc(p) - 8) << 7 | (sh & 31) << 2 | 1));
            break;
        }
        case 7:                                                                    /* c.andi */
            emit16(p, (uint16_t)(4u << 13 | (((uint32_t)imm6 >> 5) & 1) << 12 | 2u << 10 |
                                 (pick_rc(p) - 8) << 7 | ((uint32_t)imm6 & 31) << 2 | 1));
            break;
        case 8: case 9: {                                                          /* c.mv, c.add */
            unsigned rs2;
            do {
                rs2 = pick_rs(p);
            } while (rs2 == 0);
            emit16(p, (uint16_t)(4u << 13 | rnd(p, 2) << 12 | pick_rd_nz(p) << 7 | rs2 << 2 | 2));
            break;
        }
        case 10: case 11: {                                                        /* c.sub .. c.addw */
            static const unsigned f[6][2] = { {0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 0}, {1, 1} };
            unsigned k = rnd(p, 6);
            emit16(p, (uint16_t)(4u << 13 | f[k][0] << 12 | 3u << 10 | (pick_rc(p) - 8) << 7 |
                                 f[k][1] << 5 | (pick_rc(p) - 8) << 2 | 1));
            break;
        }
        case 12: emit16(p, enc_c_addi4spn(pick_rc(p), 4 * rnd_range(p, 1, 255))); break;
        default: emit16(p, 0x0001); break;                                         /* c.nop */
        }
    }
}

/* Integer loads and stores in the data window: one base computation and
 * one or two accesses from it. */
static void gen_mem(Prog *p)
{
    static const unsigned ld_f3[] = { 0, 1, 2, 3, 4, 5, 6 };
    static const unsigned size_of_f3[] = { 1, 2, 4, 8, 1, 2, 4 };
    unsigned rb = pick_rd_nz(p), n = 1 + rnd(p, 2);
    bool store = chance(p, 45);
    unsigned f3 = store ? rnd(p, 4) : ld_f3[rnd(p, 7)];
    int32_t base, imm, d = window_offset(p, size_of_f3[f3]);

    split_offset(p, d, &base, &imm);
    emit_addi(p, rb, X_SP, base);
    for (unsigned i = 0; i < n; i++) {
        if (i > 0) {
            store = chance(p, 45);
            f3 = store ? rnd(p, 4) : ld_f3[rnd(p, 7)];
            imm = near_imm(p, base, imm);
        }
        if (store) {
            emit32(p, enc_s(imm, pick_rs(p), rb, f3, 0x23));
        } else {
            unsigned rd = pick_rd(p);
            if (i + 1 < n && rd == rb) {
                rd = 0;                 /* keep the base for the next access */
            }
            emit32(p, enc_i(imm, rb, f3, rd, 0x03));
        }
    }
}

static void gen_fmem(Prog *p)
{
    unsigned rb = pick_rd_nz(p), n = 1 + rnd(p, 2);
    bool dbl = chance(p, 50);
    int32_t base, imm;

    split_offset(p, window_offset(p, dbl ? 8 : 4), &base, &imm);
    emit_addi(p, rb, X_SP, base);
    for (unsigned i = 0; i < n; i++) {
        bool store = chance(p, 45);
        if (i > 0) {
            dbl = chance(p, 50);
            imm = near_imm(p, base, imm);
        }
        if (store) {
            emit32(p, enc_s(imm, pick_f(p), rb, dbl ? 3 : 2, 0x27));
        } else {
            emit32(p, enc_i(imm, rb, dbl ? 3 : 2, pick_f(p), 0x07));
        }
    }
}

/* Compressed register-based loads and stores (c.lw, c.ld, c.sw, c.sd,
 * c.fld, c.fsd), the base made by addi or c.addi4spn. */
static void gen_mem_c(Prog *p)
{
    unsigned rb = pick_rc(p), kind = rnd(p, 6);
    /* f3 on quadrant 0: 1 fld, 2 lw, 3 ld, 5 fsd, 6 sw, 7 sd */
    static const unsigned f3[] = { 1, 2, 3, 5, 6, 7 };
    bool word = f3[kind] == 2 || f3[kind] == 6;
    unsigned uimm = word ? 4 * rnd(p, 32) : 8 * rnd(p, 32);
    int32_t d = window_offset(p, word ? 4 : 8);
    int32_t base = CLAMP(d - (int32_t)uimm, -2048, 2047);

    if (base >= 4 && base <= 1020 && (base & 3) == 0 && chance(p, 70)) {
        emit16(p, enc_c_addi4spn(rb, (unsigned)base));
    } else {
        emit_addi(p, rb, X_SP, base);
    }
    unsigned n = 1 + rnd(p, 2);
    for (unsigned i = 0; i < n; i++) {
        unsigned r = pick_rc(p);
        if (i + 1 < n && r == rb && (f3[kind] == 2 || f3[kind] == 3)) {
            r = rb == 8 ? 9 : 8;        /* a load into the base ends the group */
        }
        if (word) {
            emit16(p, enc_cls_w(f3[kind], rb, r, uimm));
        } else {
            emit16(p, enc_cls_d(f3[kind], rb, r, uimm));
        }
        kind = rnd(p, 6);
        word = f3[kind] == 2 || f3[kind] == 6;
        uimm = word ? 4 * rnd(p, 32) : 8 * rnd(p, 32);
    }
}

/* sp-relative compressed accesses, sometimes with sp moved by
 * c.addi16sp and moved back in the same group. */
static void gen_mem_sp(Prog *p)
{
    int32_t adj = 0;
    if (chance(p, 40)) {
        do {
            adj = 16 * rnd_range(p, -32, 31);
        } while (adj == 0);
        emit16(p, enc_c_addi16sp(adj));
    }
    unsigned n = 1 + rnd(p, 3);
    for (unsigned i = 0; i < n; i++) {
        switch (rnd(p, 6)) {
        case 0: emit16(p, enc_c_lwsp(pick_rd_nz(p), 4 * rnd(p, 64))); break;
        case 1: emit16(p, enc_c_ldsp(3, pick_rd_nz(p), 8 * rnd(p, 64))); break;
        case 2: emit16(p, enc_c_ldsp(1, pick_f(p), 8 * rnd(p, 64))); break;
        case 3: emit16(p, enc_c_swsp(pick_rs(p), 4 * rnd(p, 64))); break;
        case 4: emit16(p, enc_c_sdsp(7, pick_rs(p), 8 * rnd(p, 64))); break;
        default: emit16(p, enc_c_sdsp(5, pick_f(p), 8 * rnd(p, 64))); break;
        }
    }
    if (adj) {
        emit16(p, enc_c_addi16sp(-adj));
    }
}

/* Accesses outside the window: unmapped, device registers, the end of
 * RAM.  Loads may add a small offset; stores use the address as is. */
static void gen_mem_wild(Prog *p)
{
    unsigned k = rnd(p, G_N_ELEMENTS(wild)), rb = pick_rd_nz(p);
    emit_ld(p, rb, X_GP, GP_POOL + 8 * (POOL_WILD + k));
    if (wild[k].store && chance(p, 50)) {
        switch (rnd(p, 3)) {
        case 0: emit32(p, enc_s(0, pick_rs(p), rb, rnd(p, 4), 0x23)); break;
        case 1: emit32(p, enc_s(0, pick_f(p), rb, 2 + rnd(p, 2), 0x27)); break;
        default: {
            /* an AMO or sc (the reservation is whatever it is) */
            static const unsigned f5[] = { 0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c, 0x03 };
            emit32(p, enc_r(f5[rnd(p, G_N_ELEMENTS(f5))] << 2, pick_rs(p), rb, 2 + rnd(p, 2),
                            pick_rd(p), 0x2f));
            break;
        }
        }
        return;
    }
    int32_t imm = chance(p, 60) ? 0 : rnd_range(p, -8, 8);
    switch (rnd(p, 3)) {
    case 0: case 1: {
        static const unsigned f3[] = { 0, 1, 2, 3, 4, 5, 6 };
        emit32(p, enc_i(imm, rb, f3[rnd(p, 7)], pick_rd(p), 0x03));
        break;
    }
    default:
        if (chance(p, 70)) {
            emit32(p, enc_i(imm, rb, 2 + rnd(p, 2), pick_f(p), 0x07));
        } else {
            emit32(p, enc_r(0x02 << 2, 0, rb, 2 + rnd(p, 2), pick_rd(p), 0x2f));   /* lr */
        }
        break;
    }
}

static void gen_branch(Prog *p)
{
    unsigned ahead = 1 + rnd(p, 10);
    if (chance(p, 25)) {
        add_fixup(p, FX_CB, p->pos, 0, ahead, 0);
        emit16(p, enc_cb(6 + rnd(p, 2), pick_rc(p), 0));
    } else {
        static const unsigned f3[] = { 0, 1, 4, 5, 6, 7 };
        unsigned rs1 = pick_rs(p), rs2 = chance(p, 10) ? rs1 : pick_rs(p);
        add_fixup(p, FX_B, p->pos, 0, ahead, 0);
        emit32(p, enc_b(0, rs2, rs1, f3[rnd(p, 6)]));
    }
}

static void gen_jal(Prog *p)
{
    unsigned ahead = 1 + rnd(p, 8);
    if (chance(p, 30)) {
        add_fixup(p, FX_CJ, p->pos, 0, ahead, 0);
        emit16(p, enc_cj(0));
    } else {
        unsigned rd = chance(p, 40) ? 0 : chance(p, 40) ? X_RA : pick_rd(p);
        add_fixup(p, FX_J, p->pos, 0, ahead, 0);
        emit32(p, enc_j(0, rd));
    }
}

/* Indirect jumps to a later group: auipc + jalr, or auipc + addi +
 * c.jr/c.jalr (the link register may be the base, bit 0 may be set). */
static void gen_jalr(Prog *p)
{
    unsigned ahead = 1 + rnd(p, 8), rb = chance(p, 25) ? X_RA : pick_rd_nz(p);
    unsigned base = p->pos;
    emit32(p, enc_u(0, rb, 0x17));
    if (chance(p, 50)) {
        add_fixup(p, FX_I, p->pos, base, ahead, chance(p, 30));
        emit32(p, enc_i(0, rb, 0, chance(p, 30) ? rb : pick_rd(p), 0x67));
    } else {
        add_fixup(p, FX_I, p->pos, base, ahead, chance(p, 30));
        emit_addi(p, rb, rb, 0);
        /* c.jr / c.jalr rb */
        emit16(p, (uint16_t)(4u << 13 | rnd(p, 2) << 12 | rb << 7 | 2));
    }
}

/* A jump to where nothing can be fetched (an access fault): the handler
 * resumes at the address stored in GP_RESUME, the end of this group. */
static void gen_wild_fetch(Prog *p)
{
    unsigned rb = pick_rd_nz(p), rt, start = p->pos;
    do {
        rt = pick_rd_nz(p);
    } while (rt == rb);
    emit32(p, enc_u(0, rb, 0x17));
    emit_addi(p, rb, rb, 20);
    emit_sd(p, rb, X_GP, GP_RESUME);
    emit_ld(p, rt, X_GP, GP_POOL + 8 * (POOL_FETCH + rnd(p, G_N_ELEMENTS(wild_fetch))));
    emit32(p, enc_i(0, rt, 0, chance(p, 50) ? X_RA : pick_rd(p), 0x67));
    g_assert_cmpuint(p->pos - start, ==, 20);
}

/*
 * Code patching: overwrite the instruction at the end of this group with
 * one from the pool whose rs2/immediate bits are changed by tp (the loop
 * counter), so every round of a loop runs a different instruction there,
 * then fence.i (without it the ISA leaves open whether the hart sees the
 * old or the new instruction).
 */
static void gen_smc(Prog *p)
{
    unsigned ra = pick_rd_nz(p), rv, rt, start = p->pos;
    do {
        rv = pick_rd_nz(p);
    } while (rv == ra);
    do {
        rt = pick_rd_nz(p);
    } while (rt == ra || rt == rv);
    emit32(p, enc_u(0, ra, 0x17));                                 /* auipc ra, 0 */
    emit32(p, enc_i(GP_POOL + 8 * (POOL_SMC + rnd(p, POOL_WILD - POOL_SMC)), X_GP, 6, rv,
                    0x03));                                        /* lwu rv, slot(gp) */
    emit32(p, enc_i(20, X_TP, 1, rt, 0x13));                       /* slli rt, tp, 20 */
    emit32(p, enc_r(0, rt, rv, 4, rv, 0x33));                      /* xor rv, rv, rt */
    emit32(p, enc_s(24, rv, ra, 2, 0x23));                         /* sw rv, 24(ra) */
    emit32(p, 0x0000100f);                                         /* fence.i */
    g_assert_cmpuint(p->pos - start, ==, 24);
    emit32(p, safe_alu_insn(p));                                   /* the patched one */
}

/* ---- floating point ---- */

typedef enum { FK_ARITH, FK_UNARY_RM, FK_FIXED, FK_CMP, FK_TOINT, FK_FROMINT,
               FK_MVX, FK_MVF, FK_FMA } FpKind;

static const struct { FpKind kind; uint8_t f5, rs2, f3; } fp_ops[] = {
    { FK_ARITH, 0x00, 0, 0 }, { FK_ARITH, 0x01, 0, 0 }, { FK_ARITH, 0x02, 0, 0 },
    { FK_ARITH, 0x03, 0, 0 },
    { FK_UNARY_RM, 0x0b, 0, 0 },                           /* fsqrt */
    { FK_UNARY_RM, 0x08, 1, 0 },                           /* fcvt.s.d (fmt S) / fcvt.d.s (fmt D) */
    { FK_FIXED, 0x04, 0, 0 }, { FK_FIXED, 0x04, 0, 1 }, { FK_FIXED, 0x04, 0, 2 },
    { FK_FIXED, 0x05, 0, 0 }, { FK_FIXED, 0x05, 0, 1 },    /* fmin, fmax */
    { FK_CMP, 0x14, 0, 0 }, { FK_CMP, 0x14, 0, 1 }, { FK_CMP, 0x14, 0, 2 },
    { FK_TOINT, 0x18, 0, 0 }, { FK_TOINT, 0x18, 1, 0 }, { FK_TOINT, 0x18, 2, 0 },
    { FK_TOINT, 0x18, 3, 0 },
    { FK_FROMINT, 0x1a, 0, 0 }, { FK_FROMINT, 0x1a, 1, 0 }, { FK_FROMINT, 0x1a, 2, 0 },
    { FK_FROMINT, 0x1a, 3, 0 },
    { FK_MVX, 0x1c, 0, 0 }, { FK_MVX, 0x1c, 0, 1 },        /* fmv.x.w/d, fclass */
    { FK_MVF, 0x1e, 0, 0 },                                /* fmv.w.x/d.x */
    { FK_FMA, 0x43, 0, 0 }, { FK_FMA, 0x47, 0, 0 }, { FK_FMA, 0x4b, 0, 0 },
    { FK_FMA, 0x4f, 0, 0 },
};

/* Dynamic mostly, every static mode (RNE more often: the JIT has fast
 * paths for it), and the reserved 5 and 6 now and then (illegal). */
static unsigned pick_rm(Prog *p)
{
    unsigned k = rnd(p, 100);
    return k < 55 ? 7 : k < 75 ? 0 : k < 96 ? rnd(p, 5) : 5 + rnd(p, 2);
}

static void gen_fp_one(Prog *p)
{
    unsigned k = rnd(p, G_N_ELEMENTS(fp_ops)), fmt = rnd(p, 2);
    unsigned f7 = (unsigned)fp_ops[k].f5 << 2 | fmt;
    switch (fp_ops[k].kind) {
    case FK_ARITH:
        emit32(p, enc_r(f7, pick_f(p), pick_f(p), pick_rm(p), pick_f(p), 0x53));
        break;
    case FK_UNARY_RM: {
        unsigned rs2 = fp_ops[k].f5 == 0x08 ? !fmt : 0;    /* source format is the other one */
        emit32(p, enc_r(f7, rs2, pick_f(p), pick_rm(p), pick_f(p), 0x53));
        break;
    }
    case FK_FIXED:
        emit32(p, enc_r(f7, pick_f(p), pick_f(p), fp_ops[k].f3, pick_f(p), 0x53));
        break;
    case FK_CMP:
        emit32(p, enc_r(f7, pick_f(p), pick_f(p), fp_ops[k].f3, pick_rd(p), 0x53));
        break;
    case FK_TOINT:
        emit32(p, enc_r(f7, fp_ops[k].rs2, pick_f(p), pick_rm(p), pick_rd(p), 0x53));
        break;
    case FK_FROMINT:
        emit32(p, enc_r(f7, fp_ops[k].rs2, pick_rs(p), pick_rm(p), pick_f(p), 0x53));
        break;
    case FK_MVX:
        emit32(p, enc_r(f7, 0, pick_f(p), fp_ops[k].f3, pick_rd(p), 0x53));
        break;
    case FK_MVF:
        emit32(p, enc_r(f7, 0, pick_rs(p), 0, pick_f(p), 0x53));
        break;
    case FK_FMA:
        emit32(p, enc_r4(pick_f(p), fmt, pick_f(p), pick_f(p), pick_rm(p), pick_f(p),
                         fp_ops[k].f5));
        break;
    }
}

static void gen_fp(Prog *p)
{
    unsigned n = 1 + rnd(p, 3);
    for (unsigned i = 0; i < n; i++) {
        gen_fp_one(p);
    }
}

/* An interesting FP (or integer) bit pattern into an FP register: from
 * the pool through an integer register and fmv, or by flw/fld. */
static void gen_fp_const(Prog *p)
{
    unsigned slot = pool_value_slot(p), f = pick_f(p), r = pick_rd_nz(p);
    switch (rnd(p, 4)) {
    case 0: emit_ld(p, r, X_GP, slot); emit32(p, enc_r(0x79, 0, r, 0, f, 0x53)); break;
    case 1: emit_ld(p, r, X_GP, slot); emit32(p, enc_r(0x78, 0, r, 0, f, 0x53)); break;
    case 2: emit32(p, enc_i(slot, X_GP, 3, f, 0x07)); break;
    default: emit32(p, enc_i(slot + 4 * rnd(p, 2), X_GP, 2, f, 0x07)); break;
    }
    if (chance(p, 60)) {
        gen_fp_one(p);
    }
}

static void gen_int_const(Prog *p)
{
    emit_ld(p, pick_rd_nz(p), X_GP, pool_value_slot(p));
}

/* ---- atomics ---- */

static const unsigned amo_f5[] = { 0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c };

static uint32_t enc_amo(unsigned f5, unsigned aqrl, unsigned rs2, unsigned rs1, bool dbl,
                        unsigned rd)
{
    return enc_r(f5 << 2 | aqrl, rs2, rs1, dbl ? 3 : 2, rd, 0x2f);
}

static void gen_amo(Prog *p)
{
    bool dbl = chance(p, 50);
    unsigned size = dbl ? 8 : 4, rb = pick_rd_nz(p);
    int32_t off = rnd_range(p, -2048, 2047 - 8) & ~(int32_t)(size - 1);
    if (chance(p, 12)) {
        off += 1 + rnd(p, size - 1);            /* misaligned: must trap */
    }
    emit_addi(p, rb, X_SP, off);
    unsigned n = 1 + rnd(p, 2);
    for (unsigned i = 0; i < n; i++) {
        unsigned rd = pick_rd(p);
        if (i + 1 < n && rd == rb) {
            rd = 0;
        }
        emit32(p, enc_amo(amo_f5[rnd(p, G_N_ELEMENTS(amo_f5))], rnd(p, 4), pick_rs(p), rb,
                          chance(p, 80) ? dbl : !dbl, rd));
    }
}

/* lr/sc: matching pairs, a second address, the other width, an access or
 * a trap in between, sc with no lr. */
static void gen_lrsc(Prog *p)
{
    bool dbl = chance(p, 50);
    unsigned size = dbl ? 8 : 4, ra, rb, rd;
    int32_t off = rnd_range(p, -2048, 2047 - 16) & ~(int32_t)(size - 1);

    ra = pick_rd_nz(p);
    do {
        rb = pick_rd_nz(p);
    } while (rb == ra);
    if (chance(p, 6)) {
        off += 1 + rnd(p, size - 1);
    }
    emit_addi(p, ra, X_SP, off);
    if (chance(p, 90)) {
        do {
            rd = pick_rd(p);
        } while (rd == ra || rd == rb);
        emit32(p, enc_amo(0x02, rnd(p, 4), 0, ra, dbl, rd));               /* lr */
    }
    switch (rnd(p, 8)) {
    case 0:                                                                /* other address */
        emit_addi(p, rb, ra, chance(p, 50) ? (int32_t)size : -(int32_t)size);
        emit32(p, enc_amo(0x03, rnd(p, 4), pick_rs(p), rb, dbl, pick_rd(p)));
        return;
    case 1:                                                                /* store between */
        emit32(p, enc_s(0, pick_rs(p), ra, dbl ? 3 : 2, 0x23));
        break;
    case 2:                                                                /* a trap between */
        emit32(p, 0x00000073);
        break;
    case 3:                                                                /* other width */
        dbl = !dbl;
        break;
    case 4: {
        unsigned r;
        do {
            r = pick_rd(p);
        } while (r == ra);
        emit32(p, enc_r(0, pick_rs(p), pick_rs(p), 0, r, 0x33));
        break;
    }
    default:
        break;
    }
    emit32(p, enc_amo(0x03, rnd(p, 4), pick_rs(p), ra, dbl, pick_rd(p)));   /* sc */
}

/* ---- CSRs ---- */

enum { CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003, CSR_SSTATUS = 0x100,
       CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302, CSR_MIE = 0x304,
       CSR_MTVEC = 0x305, CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342,
       CSR_MTVAL = 0x343, CSR_MIP = 0x344, CSR_MHARTID = 0xf14 };

static void gen_csr_fp(Prog *p)
{
    static const unsigned csrs[] = { CSR_FFLAGS, CSR_FRM, CSR_FCSR };
    unsigned csr = csrs[rnd(p, 3)], f3 = 1 + rnd(p, 3);
    if (chance(p, 50)) {
        /* immediate forms; frm writes mostly legal modes */
        unsigned uimm = csr != CSR_FRM ? rnd(p, 32) : chance(p, 40) ? 0
                      : chance(p, 70) ? rnd(p, 5) : rnd(p, 32);
        emit32(p, enc_csr(f3 + 4, csr, uimm, pick_rd(p)));
    } else {
        emit32(p, enc_csr(f3, csr, chance(p, 20) ? 0 : pick_rs(p), pick_rd(p)));
    }
}

/* mstatus.FS to 0 (off: FP instructions and CSRs become illegal) .. 3. */
static void gen_csr_fs(Prog *p)
{
    unsigned r = pick_rd_nz(p), k = rnd(p, 100);
    unsigned fs = k < 20 ? 0 : k < 45 ? 1 : k < 70 ? 2 : 3;
    emit32(p, enc_u(6, r, 0x37));
    emit32(p, enc_csr(3, CSR_MSTATUS, r, 0));              /* csrc mstatus, FS */
    if (fs) {
        emit32(p, enc_u(fs << 1, r, 0x37));
        emit32(p, enc_csr(2, chance(p, 30) ? CSR_SSTATUS : CSR_MSTATUS, r,
                          chance(p, 50) ? pick_rd(p) : 0));
    }
}

static void gen_csr_misc(Prog *p)
{
    static const unsigned readable[] = {
        CSR_MSTATUS, CSR_MISA, CSR_MEDELEG, CSR_MIE, CSR_MTVEC, CSR_MSCRATCH, CSR_MEPC,
        CSR_MCAUSE, CSR_MTVAL, CSR_MIP, CSR_MHARTID, CSR_SSTATUS,
    };
    switch (rnd(p, 6)) {
    case 0: case 1:                                        /* mscratch, any form */
        emit32(p, enc_csr(1 + rnd(p, 3) + (chance(p, 30) ? 4 : 0), CSR_MSCRATCH,
                          pick_rs(p), pick_rd(p)));
        break;
    case 2:
        emit32(p, enc_csr(2, readable[rnd(p, G_N_ELEMENTS(readable))], 0, pick_rd(p)));
        break;
    case 3: {
        /* mstatus bits that change nothing the program depends on: SIE,
         * MIE, SPIE, MPIE, SPP, MPP, MPRV, SUM, MXR (no interrupt is
         * enabled in mie, and mret always returns to M) */
        static const uint32_t bits[] = {
            1u << 1, 1u << 3, 1u << 5, 1u << 7, 1u << 8, 1u << 11, 1u << 12, 3u << 11,
            1u << 17, 1u << 18, 1u << 19,
        };
        uint32_t v = 0;
        unsigned r = pick_rd_nz(p);
        for (unsigned i = 0, n = 1 + rnd(p, 3); i < n; i++) {
            v |= bits[rnd(p, G_N_ELEMENTS(bits))];
        }
        emit_li32(p, r, v);
        emit32(p, enc_csr(2 + rnd(p, 2), CSR_MSTATUS, r, chance(p, 30) ? pick_rd(p) : 0));
        break;
    }
    default: {
        /* illegal: writing read-only CSRs, CSRs that do not exist */
        static const unsigned bad[] = { CSR_MHARTID, 0xf11, 0xc00, 0xc02, 0x7c0, 0x5c0, 0x800,
                                        0x0ff };
        unsigned csr = bad[rnd(p, G_N_ELEMENTS(bad))];
        emit32(p, enc_csr(1 + rnd(p, 3), csr, pick_rd_nz(p), pick_rd(p)));
        break;
    }
    }
}

/* ---- traps and odds and ends ---- */

static void gen_trap(Prog *p)
{
    static const uint16_t illegal16[] = {
        0x0000,         /* all zeros */
        0x0004,         /* c.addi4spn, imm 0 */
        0x6081,         /* c.lui ra, 0 */
        0x6101,         /* c.addi16sp 0 */
        0x4002,         /* c.lwsp x0 */
        0x6002,         /* c.ldsp x0 */
        0x8002,         /* c.jr x0 */
        0x8000,         /* quadrant 0, funct3 4 */
        0x9c41,         /* c.subw reserved funct2 */
        0x2001,         /* c.addiw x0 */
    };
    static const uint32_t illegal32[] = {
        0x0000001f,     /* a 48-bit encoding */
        0x0000007f,     /* >= 64-bit encoding */
        0x40001033,     /* sll with funct7 0x20 */
        0x02000033 | 0x08000000, /* OP funct7 5 */
        0x00007003,     /* load funct3 7 */
        0x00004023,     /* store funct3 4 */
        0x00002063,     /* branch funct3 2 */
        0x0000201b,     /* OP-IMM-32 funct3 2 */
        0x00001067,     /* jalr funct3 1 */
        0x04000053,     /* fadd.h: no Zfh */
        0x06000053,     /* fadd.q: no Q */
        0x00005053,     /* fadd.s rm 5 */
        0x0200602f,     /* amo funct5 0 on funct3 6 */
        0x2800202f,     /* amo funct5 0x05 */
        0x1010202f,     /* lr.w with rs2 */
        0x00200073,     /* uret */
        0x7b200073,     /* dret */
        0x00004073,     /* system funct3 4 */
        0xe0100053,     /* fmv.x.w with rs2 1 */
        0x58101053,     /* fsqrt.s rs2 1 */
    };
    switch (rnd(p, 6)) {
    case 0: emit32(p, 0x00000073); break;                  /* ecall */
    case 1: emit32(p, 0x00100073); break;                  /* ebreak */
    case 2: emit16(p, 0x9002); break;                      /* c.ebreak */
    case 3: emit16(p, illegal16[rnd(p, G_N_ELEMENTS(illegal16))]); break;
    default: emit32(p, illegal32[rnd(p, G_N_ELEMENTS(illegal32))]); break;
    }
}

/* The test device's console and debug registers (side effects the two
 * runs must share), and fences. */
static void gen_device_or_fence(Prog *p)
{
    switch (rnd(p, 4)) {
    case 0: case 1: {
        unsigned r = pick_rd_nz(p);
        emit32(p, enc_u(RV_TESTDEV >> 12, r, 0x37));
        emit32(p, enc_s(chance(p, 50) ? 0x08 : 0x18, pick_rs(p), r, rnd(p, 4), 0x23));
        break;
    }
    case 2: emit32(p, 0x0ff0000f); break;                  /* fence */
    default: emit32(p, 0x0000100f); break;                 /* fence.i */
    }
}

typedef struct { void (*fn)(Prog *p); unsigned weight; const char *name; } GroupGen;

static const GroupGen group_gens[] = {
    { gen_alu_r, 12, "alu" }, { gen_alu_i, 10, "alu-imm" }, { gen_upper, 3, "lui/auipc" },
    { gen_alu_c, 10, "alu-c" }, { gen_int_const, 3, "const" },
    { gen_mem, 12, "mem" }, { gen_fmem, 5, "fmem" }, { gen_mem_c, 6, "mem-c" },
    { gen_mem_sp, 4, "mem-sp" }, { gen_mem_wild, 4, "mem-wild" },
    { gen_branch, 7, "branch" }, { gen_jal, 3, "jal" }, { gen_jalr, 3, "jalr" },
    { gen_wild_fetch, 1, "fetch-fault" },
    { gen_fp, 12, "fp" }, { gen_fp_const, 5, "fp-const" },
    { gen_amo, 4, "amo" }, { gen_lrsc, 3, "lr/sc" },
    { gen_csr_fp, 4, "csr-fp" }, { gen_csr_fs, 3, "csr-fs" }, { gen_csr_misc, 3, "csr" },
    { gen_trap, 4, "trap" }, { gen_device_or_fence, 2, "dev/fence" },
    { gen_smc, 2, "code patch" },
};

static void gen_group(Prog *p)
{
    unsigned total = 0, k;
    for (unsigned i = 0; i < G_N_ELEMENTS(group_gens); i++) {
        total += group_gens[i].weight;
    }
    k = rnd(p, total);
    for (unsigned i = 0; i < G_N_ELEMENTS(group_gens); i++) {
        if (k < group_gens[i].weight) {
            group_begin(p, group_gens[i].name);
            group_gens[i].fn(p);
            group_end(p);
            return;
        }
        k -= group_gens[i].weight;
    }
}

/* A counted loop: tp = n, a few groups, tp -= 1, back while tp != 0. */
static void gen_loop(Prog *p)
{
    unsigned first, n = 2 + rnd(p, 5);

    group_begin(p, "loop-head");
    /* c.li tp, n: a few rounds, sometimes many (chained and self-looping blocks) */
    emit16(p, enc_ci(2, X_TP, chance(p, 80) ? rnd_range(p, 1, 4) : rnd_range(p, 5, 31), 1));
    p->groups[p->ngroups].fixed = true;
    group_end(p);
    p->cur_loop = (int)p->nloops++;
    first = p->ngroups;
    for (unsigned i = 0; i < n; i++) {
        gen_group(p);
    }
    group_begin(p, "loop-tail");
    emit16(p, enc_ci(0, X_TP, -1, 1));                             /* c.addi tp, -1 */
    g_assert_cmpuint(p->nfix, <, MAX_FIXUPS);
    p->fix[p->nfix++] = (Fixup){ .at = p->pos, .kind = FX_B, .group = p->ngroups,
                                 .target = first, .exact = true };
    emit32(p, enc_b(0, 0, X_TP, 1));                               /* bne tp, x0, first */
    p->groups[p->ngroups].fixed = true;
    group_end(p);
    p->cur_loop = -1;
}

/* ---- prologue, handler, epilogue ---- */

static void emit_prologue(Prog *p, unsigned handler, unsigned fs)
{
    unsigned at;
    emit32(p, enc_u(0x200, X_GP, 0x17));                   /* auipc gp: GP_BASE */
    emit32(p, enc_u(0x101, X_SP, 0x17));                   /* auipc sp, then -4: DATA_MID */
    emit_addi(p, X_SP, X_SP, -4);
    emit32(p, enc_u(2, X_TP, 0x37));                       /* FS = initial */
    emit32(p, enc_csr(2, CSR_MSTATUS, X_TP, 0));
    emit_ld(p, X_TP, X_GP, GP_FCSR);
    emit32(p, enc_csr(1, CSR_FCSR, X_TP, 0));
    emit32(p, enc_u(6, X_TP, 0x37));                       /* FS as chosen */
    emit32(p, enc_csr(3, CSR_MSTATUS, X_TP, 0));
    emit32(p, enc_u(fs << 1, X_TP, 0x37));
    emit32(p, enc_csr(2, CSR_MSTATUS, X_TP, 0));
    at = p->pos;
    emit32(p, enc_u(0, X_TP, 0x17));
    emit_addi(p, X_TP, X_TP, (int32_t)(handler - at));
    emit32(p, enc_csr(1, CSR_MTVEC, X_TP, 0));
    emit_addi(p, X_TP, 0, 0);
    at = p->pos;
    emit32(p, enc_j((int32_t)(p->body_start - at), 0));
}

static void emit_handler(Prog *p)
{
    unsigned skip_log, not_fetch, to_write, len2;

    g_assert_cmpuint(p->pos % 4, ==, 0);
    emit_sd(p, X_T0, X_GP, GP_SAVE);
    emit_sd(p, X_T1, X_GP, GP_SAVE + 8);
    emit_sd(p, X_T2, X_GP, GP_SAVE + 16);
    /* hash = sum of x[r] * 3^(31-r): the registers as the trapping
     * instruction left them, so an imprecise trap shows even when the
     * program overwrites the register afterwards (3^k is odd, so any
     * single wrong register changes the hash) */
    emit_addi(p, X_T1, 0, 0);
    for (unsigned r = 1; r < 32; r++) {
        emit32(p, enc_i(1, X_T1, 1, X_T0, 0x13));          /* slli t0, t1, 1 */
        emit32(p, enc_r(0, X_T0, X_T1, 0, X_T1, 0x33));    /* add t1, t1, t0 */
        if (r >= X_T0 && r <= X_T2) {
            emit_ld(p, X_T0, X_GP, GP_SAVE + 8 * (r - X_T0));
            emit32(p, enc_r(0, X_T0, X_T1, 0, X_T1, 0x33));
        } else {
            emit32(p, enc_r(0, r, X_T1, 0, X_T1, 0x33));   /* add t1, t1, xr */
        }
    }
    emit_sd(p, X_T1, X_GP, GP_HASH);
    emit_ld(p, X_T0, X_GP, GP_COUNT);
    emit_addi(p, X_T0, X_T0, 1);
    emit_sd(p, X_T0, X_GP, GP_COUNT);
    emit_ld(p, X_T0, X_GP, GP_LOGP);
    emit_ld(p, X_T1, X_GP, GP_LOGEND);
    skip_log = p->pos;
    emit32(p, 0);                                          /* bgeu t0, t1, 1f */
    emit32(p, enc_csr(2, CSR_MCAUSE, 0, X_T1));
    emit_sd(p, X_T1, X_T0, 0);
    emit32(p, enc_csr(2, CSR_MEPC, 0, X_T1));
    emit_sd(p, X_T1, X_T0, 8);
    emit32(p, enc_csr(2, CSR_MTVAL, 0, X_T1));
    emit_sd(p, X_T1, X_T0, 16);
    emit_ld(p, X_T1, X_GP, GP_HASH);
    emit_sd(p, X_T1, X_T0, 24);
    emit_addi(p, X_T0, X_T0, LOG_REC);
    emit_sd(p, X_T0, X_GP, GP_LOGP);
    patch32(p, skip_log, enc_b((int32_t)(p->pos - skip_log), X_T1, X_T0, 7));
    /* 1: an instruction access fault resumes at GP_RESUME */
    emit32(p, enc_csr(2, CSR_MCAUSE, 0, X_T0));
    emit_addi(p, X_T1, 0, 1);
    not_fetch = p->pos;
    emit32(p, 0);                                          /* bne t0, t1, 2f */
    emit_ld(p, X_T0, X_GP, GP_RESUME);
    to_write = p->pos;
    emit32(p, 0);                                          /* j 3f */
    patch32(p, not_fetch, enc_b((int32_t)(p->pos - not_fetch), X_T1, X_T0, 1));
    /* 2: anything else skips the instruction, 2 or 4 bytes */
    emit32(p, enc_csr(2, CSR_MEPC, 0, X_T0));
    emit32(p, enc_i(0, X_T0, 5, X_T1, 0x03));              /* lhu t1, 0(t0) */
    emit32(p, enc_i(3, X_T1, 7, X_T1, 0x13));              /* andi t1, t1, 3 */
    emit_addi(p, X_T0, X_T0, 2);
    emit_addi(p, X_T2, 0, 3);
    len2 = p->pos;
    emit32(p, 0);                                          /* bne t1, t2, 3f */
    emit_addi(p, X_T0, X_T0, 2);
    patch32(p, len2, enc_b((int32_t)(p->pos - len2), X_T2, X_T1, 1));
    patch32(p, to_write, enc_j((int32_t)(p->pos - to_write), 0));
    /* 3: */
    emit32(p, enc_csr(1, CSR_MEPC, X_T0, 0));
    emit_ld(p, X_T0, X_GP, GP_SAVE);
    emit_ld(p, X_T1, X_GP, GP_SAVE + 8);
    emit_ld(p, X_T2, X_GP, GP_SAVE + 16);
    emit32(p, 0x30200073);                                 /* mret */
}

static void emit_epilogue(Prog *p)
{
    group_begin(p, "epilogue");
    emit32(p, enc_u(RV_TESTDEV >> 12, X_TP, 0x37));
    emit_li32(p, X_GP, RV_PASS);
    emit32(p, enc_s(0, X_GP, X_TP, 2, 0x23));              /* sw: the finisher */
    emit32(p, enc_j(0, 0));                                /* 1: j 1b */
    p->groups[p->ngroups].fixed = true;
    group_end(p);
}

/* ---- initial state ---- */

static uint64_t fp_pattern(Prog *p)
{
    switch (rnd(p, 8)) {
    case 0: case 1: case 2: return d_vals[rnd(p, G_N_ELEMENTS(d_vals))];
    case 3: case 4: case 5: return 0xffffffff00000000ull | s_vals[rnd(p, G_N_ELEMENTS(s_vals))];
    case 6: {
        /* a single that is not NaN-boxed (reads as the canonical NaN) */
        static const uint64_t upper[] = { 0, 0x7fffffff, 0xfffffffe, 0x3ff00000 };
        return upper[rnd(p, 4)] << 32 | s_vals[rnd(p, G_N_ELEMENTS(s_vals))];
    }
    default: return rnd64(p);
    }
}

static uint64_t int_pattern(Prog *p)
{
    switch (rnd(p, 6)) {
    case 0: case 1: return int_vals[rnd(p, G_N_ELEMENTS(int_vals))];
    case 2: return (uint64_t)(int64_t)rnd_range(p, -100, 100);
    case 3: return fp_pattern(p);
    default: return rnd64(p);
    }
}

static void init_state(Prog *p)
{
    uint64_t v;
    unsigned k;
    for (unsigned r = 0; r < 32; r++) {
        p->x[r] = r ? int_pattern(p) : 0;
        p->f[r] = fp_pattern(p);
    }
    for (unsigned i = 0; i < DATA_SIZE; i += 8) {
        v = chance(p, 40) ? fp_pattern(p) : chance(p, 30) ? int_pattern(p) : rnd64(p);
        if (chance(p, 15)) {            /* two singles side by side, for flw */
            v = (uint64_t)s_vals[rnd(p, G_N_ELEMENTS(s_vals))] << 32 |
                s_vals[rnd(p, G_N_ELEMENTS(s_vals))];
        }
        memcpy(p->data + i, &v, 8);
    }
    for (unsigned i = 0; i < TAIL_SIZE; i += 8) {
        v = rnd64(p);
        memcpy(p->tail + i, &v, 8);
    }
    memset(p->gp, 0, sizeof(p->gp));
    v = GP_BASE + GP_LOG;
    memcpy(p->gp + GP_LOGP, &v, 8);
    v = GP_BASE + GP_LOG + LOG_REC * LOG_N;
    memcpy(p->gp + GP_LOGEND, &v, 8);
    /* fcsr: random flags, RNE half the time, another legal mode mostly */
    k = rnd(p, 100);
    v = rnd(p, 32) | (uint64_t)(k < 50 ? 0 : k < 90 ? rnd(p, 5) : 5 + rnd(p, 3)) << 5;
    memcpy(p->gp + GP_FCSR, &v, 8);
    for (unsigned i = 0; i < POOL_SMC; i++) {
        v = chance(p, 55) ? fp_pattern(p) : int_pattern(p);
        memcpy(p->gp + GP_POOL + 8 * i, &v, 8);
    }
    for (unsigned i = POOL_SMC; i < POOL_WILD; i++) {
        v = safe_alu_insn(p);
        memcpy(p->gp + GP_POOL + 8 * i, &v, 8);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(wild); i++) {
        memcpy(p->gp + GP_POOL + 8 * (POOL_WILD + i), &wild[i].addr, 8);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(wild_fetch); i++) {
        memcpy(p->gp + GP_POOL + 8 * (POOL_FETCH + i), &wild_fetch[i], 8);
    }
}

/* The program for (seed, index), about `len` instructions in the body. */
static Prog *generate(uint32_t seed, unsigned index, unsigned len)
{
    Prog *p = g_new0(Prog, 1);
    guint32 s[2] = { seed, index };
    unsigned handler, fs;

    p->seed = seed;
    p->index = index;
    p->g = g_rand_new_with_seed_array(s, 2);
    p->cur_loop = -1;
    init_state(p);
    fs = chance(p, 10) ? 0 : 1 + rnd(p, 3);
    /* the body starts at a random place before a page boundary, so that
     * some of it (perhaps a 32-bit instruction) straddles the boundary */
    p->body_start = 0x400 + 2 * rnd(p, 0x580);
    handler = 16 * 4;
    emit_prologue(p, handler, fs);
    g_assert_cmpuint(p->pos, <=, handler);
    p->pos = handler;
    emit_handler(p);
    g_assert_cmpuint(p->pos, <=, p->body_start);
    p->pos = p->body_start;
    p->ninsns = 0;
    while (p->ninsns < len) {
        if (chance(p, 4)) {
            gen_loop(p);
        } else {
            gen_group(p);
        }
    }
    emit_epilogue(p);
    resolve_fixups(p);
    p->code_end = p->pos;
    g_rand_free(p->g);
    p->g = NULL;
    return p;
}

/* ---- running and comparing ---- */

static RvHarness *run_prog(const Prog *p, bool jit)
{
    RvHarness *h = jit ? rv_harness_new_jit(0) : rv_harness_new(0);
    if (jit && p->index % 3 == 1) {
        /* blocks interpreted their first two runs, then compiled (the
         * JIT's default works that way, with a higher count) */
        rv_cpu_jit_set_threshold(h->cpu, 2);
    }
    rv_harness_load(h, CODE_BASE, p->code, CODE_SIZE);
    rv_harness_load(h, DATA_BASE, p->data, DATA_SIZE);
    rv_harness_load(h, GP_BASE, p->gp, GP_SIZE);
    rv_harness_load(h, TAIL_BASE, p->tail, TAIL_SIZE);
    for (unsigned r = 1; r < 32; r++) {
        rv_cpu_set_xreg(h->cpu, r, p->x[r]);
    }
    for (unsigned r = 0; r < 32; r++) {
        rv_cpu_set_freg(h->cpu, r, p->f[r]);
    }
    if (!jit || p->index % 2 == 0) {
        rv_harness_run(h, MAX_STEPS);
        return h;
    }
    /* Every other program runs on the JIT in slices of 1 to 64 steps, so
     * that blocks stop on the budget anywhere and are entered again. */
    uint64_t spent = 0, n, r = (uint64_t)p->seed << 32 | p->index;
    while (!h->finished && spent < MAX_STEPS) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        n = 0;
        rv_cpu_run(h->cpu, 1 + (r >> 58), &n);
        spent += n;
    }
    return h;
}

static const struct { unsigned csr; const char *name; } compared_csrs[] = {
    { CSR_FCSR, "fcsr" }, { CSR_MSTATUS, "mstatus" }, { CSR_MCAUSE, "mcause" },
    { CSR_MEPC, "mepc" }, { CSR_MTVAL, "mtval" }, { CSR_MSCRATCH, "mscratch" },
};

static const struct { uint64_t base; unsigned size; const char *name; } compared_mem[] = {
    { CODE_BASE, CODE_SIZE, "code" }, { DATA_BASE, DATA_SIZE, "data window" },
    { GP_BASE, GP_SIZE, "gp area (trap log)" }, { TAIL_BASE, TAIL_SIZE, "end of RAM" },
};

static uint64_t ram64(const RvHarness *h, uint64_t addr)
{
    uint64_t v;
    memcpy(&v, h->ram + (addr - RV_RAM_BASE), 8);
    return v;
}

/* The first difference between the reference and the JIT run, or NULL. */
static char *first_difference(RvHarness *ref, RvHarness *jit)
{
    uint64_t a, b;

    if (ref->finish_code != jit->finish_code) {
        return g_strdup_printf("finisher: interpreter 0x%x, JIT 0x%x",
                               ref->finish_code, jit->finish_code);
    }
    a = rv_cpu_get_pc(ref->cpu);
    b = rv_cpu_get_pc(jit->cpu);
    if (a != b) {
        return g_strdup_printf("pc: interpreter 0x%" PRIx64 ", JIT 0x%" PRIx64, a, b);
    }
    for (unsigned r = 1; r < 32; r++) {
        a = rv_cpu_get_xreg(ref->cpu, r);
        b = rv_cpu_get_xreg(jit->cpu, r);
        if (a != b) {
            return g_strdup_printf("x%u: interpreter 0x%" PRIx64 ", JIT 0x%" PRIx64, r, a, b);
        }
    }
    for (unsigned r = 0; r < 32; r++) {
        a = rv_cpu_get_freg(ref->cpu, r);
        b = rv_cpu_get_freg(jit->cpu, r);
        if (a != b) {
            return g_strdup_printf("f%u: interpreter 0x%" PRIx64 ", JIT 0x%" PRIx64, r, a, b);
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(compared_csrs); i++) {
        g_assert_true(rv_cpu_read_csr(ref->cpu, compared_csrs[i].csr, &a));
        g_assert_true(rv_cpu_read_csr(jit->cpu, compared_csrs[i].csr, &b));
        if (a != b) {
            return g_strdup_printf("%s: interpreter 0x%" PRIx64 ", JIT 0x%" PRIx64,
                                   compared_csrs[i].name, a, b);
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(compared_mem); i++) {
        for (unsigned j = 0; j < compared_mem[i].size; j += 8) {
            a = ram64(ref, compared_mem[i].base + j);
            b = ram64(jit, compared_mem[i].base + j);
            if (a != b) {
                return g_strdup_printf("%s: memory at 0x%" PRIx64 ": interpreter 0x%016"
                                       PRIx64 ", JIT 0x%016" PRIx64, compared_mem[i].name,
                                       compared_mem[i].base + j, a, b);
            }
        }
    }
    if (strcmp(ref->console->str, jit->console->str) != 0) {
        return g_strdup_printf("console: interpreter '%s', JIT '%s'",
                               ref->console->str, jit->console->str);
    }
    if (ref->debug->len != jit->debug->len ||
        (ref->debug->len &&
         memcmp(ref->debug->data, jit->debug->data, ref->debug->len * sizeof(uint64_t)))) {
        return g_strdup_printf("debug log: interpreter %u values, JIT %u values",
                               ref->debug->len, jit->debug->len);
    }
    return NULL;
}

/* Run both; the difference (g_free) or NULL.  The reference run is kept
 * in *keep_ref if that is not NULL; *jitted (if not NULL) gets the
 * number of instructions the JIT ran in compiled code. */
static char *run_both(const Prog *p, RvHarness **keep_ref, uint64_t *jitted)
{
    RvHarness *ref = run_prog(p, false), *jit = run_prog(p, true);
    char *diff = first_difference(ref, jit);
    RvJitStats st;

    rv_cpu_jit_stats(jit->cpu, &st);
    if (jitted) {
        *jitted = st.insns_jitted;
    }
    rv_harness_free(jit);
    if (keep_ref) {
        *keep_ref = ref;
    } else {
        rv_harness_free(ref);
    }
    return diff;
}

static void dump_code(const Prog *p, GString *s, const bool *nopped)
{
    for (unsigned gi = 0; gi < p->ngroups; gi++) {
        const Group *gr = &p->groups[gi];
        if (nopped && nopped[gi]) {
            continue;
        }
        g_string_append_printf(s, "  %08" PRIx64 ": ", CODE_BASE + gr->start);
        for (unsigned at = gr->start; at < gr->end;) {
            uint16_t lo;
            memcpy(&lo, p->code + at, 2);
            if ((lo & 3) == 3) {
                g_string_append_printf(s, "%08x ", read32(p, at));
                at += 4;
            } else {
                g_string_append_printf(s, "%04x ", lo);
                at += 2;
            }
        }
        g_string_append_printf(s, "  # %s\n", gr->kind);
    }
}

static void dump_program(const Prog *p, GString *s)
{
    g_string_append_printf(s, "program %u of seed 0x%x (TESSERA_DIFF_SEED=0x%x "
                           "TESSERA_DIFF_PROGRAM=%u), code at 0x%" PRIx64 ":\n",
                           p->index, p->seed, p->seed, p->index, CODE_BASE);
    for (unsigned at = 0; at < p->code_end; at += 32) {
        static const uint8_t zero[32];
        if (memcmp(p->code + at, zero, MIN(32u, p->code_end - at)) == 0) {
            continue;                   /* the gap before the body */
        }
        g_string_append_printf(s, "  %08" PRIx64 ":", CODE_BASE + at);
        for (unsigned w = 0; w < 32 && at + w < p->code_end; w += 4) {
            g_string_append_printf(s, " %08x", read32(p, at + w));
        }
        g_string_append_c(s, '\n');
    }
    g_string_append(s, "initial registers (sp, gp, tp are the prologue's):\n");
    for (unsigned r = 1; r < 32; r++) {
        if (r < X_SP || r > X_TP) {
            g_string_append_printf(s, "  x%-2u %016" PRIx64 "%s", r, p->x[r],
                                   r % 4 == 3 ? "\n" : "");
        }
    }
    g_string_append_c(s, '\n');
    for (unsigned r = 0; r < 32; r++) {
        g_string_append_printf(s, "  f%-2u %016" PRIx64 "%s", r, p->f[r], r % 4 == 3 ? "\n" : "");
    }
}

/* Replace groups by c.nop one at a time, keeping each replacement that
 * still leaves a difference: what remains is what the two disagree on. */
static void minimise(Prog *p, GString *s)
{
    g_autofree bool *nopped = g_new0(bool, p->ngroups);
    g_autofree uint8_t *saved = g_malloc(CODE_SIZE);
    char *diff = NULL;

    memcpy(saved, p->code, CODE_SIZE);
    for (unsigned gi = 0; gi < p->ngroups; gi++) {
        const Group *gr = &p->groups[gi];
        uint8_t old[CODE_SIZE];
        if (gr->fixed) {
            continue;
        }
        memcpy(old, p->code + gr->start, gr->end - gr->start);
        for (unsigned at = gr->start; at < gr->end; at += 2) {
            p->code[at] = 0x01;
            p->code[at + 1] = 0x00;
        }
        diff = run_both(p, NULL, NULL);
        if (diff) {
            nopped[gi] = true;
            g_free(diff);
        } else {
            memcpy(p->code + gr->start, old, gr->end - gr->start);
        }
    }
    diff = run_both(p, NULL, NULL);
    g_string_append_printf(s, "smallest disagreeing program (other groups are c.nop): %s\n",
                           diff ? diff : "(no longer differs?)");
    g_free(diff);
    dump_code(p, s, nopped);
    memcpy(p->code, saved, CODE_SIZE);
}

/* ---- the tests ---- */

static const uint32_t fixed_seeds[] = { 0x5eed0001, 0x0badcafe, 0x00c0ffee, 0x7e55e7a1 };

static unsigned env_uint(const char *name, unsigned dflt)
{
    const char *v = g_getenv(name);
    return v && *v ? (unsigned)g_ascii_strtoull(v, NULL, 0) : dflt;
}

/* Trap causes the generator must produce in a run of programs, so that a
 * broken generator cannot pass quietly. */
static const unsigned expected_causes[] = { 1, 2, 3, 4, 5, 6, 7, 11 };

static void run_seed(gconstpointer data)
{
    uint32_t seed = GPOINTER_TO_UINT(data);
    unsigned count = env_uint("TESSERA_DIFF_COUNT", 80);
    unsigned only = env_uint("TESSERA_DIFF_PROGRAM", UINT_MAX);
    unsigned len = env_uint("TESSERA_DIFF_LEN", 200);
    uint64_t causes = 0, traps = 0, jitted = 0;

    for (unsigned i = 0; i < count; i++) {
        if (only != UINT_MAX && i != only) {
            continue;
        }
        Prog *p = generate(seed, i, len);
        RvHarness *ref = NULL;
        uint64_t n_jit = 0;
        char *diff = run_both(p, &ref, &n_jit);

        jitted += n_jit;
        if (ref->finish_code != RV_PASS) {
            g_autoptr(GString) s = g_string_new(NULL);
            g_autofree char *rep = rv_harness_report(ref);
            dump_program(p, s);
            g_test_message("seed 0x%x program %u did not finish on the interpreter "
                           "(a generator bug): %s\n%s", seed, i, rep, s->str);
            g_test_fail();
            g_free(diff);
            rv_harness_free(ref);
            g_free(p);
            return;
        }
        /* what traps the reference took, from its log */
        uint64_t n = ram64(ref, GP_BASE + GP_COUNT);
        traps += n;
        for (unsigned t = 0; t < MIN(n, (uint64_t)LOG_N); t++) {
            uint64_t cause = ram64(ref, GP_BASE + GP_LOG + LOG_REC * t);
            if (cause < 64) {
                causes |= 1ull << cause;
            }
        }
        rv_harness_free(ref);
        if (diff) {
            g_autoptr(GString) s = g_string_new(NULL);
            g_string_append_printf(s, "seed 0x%x program %u: interpreter and JIT disagree: %s\n",
                                   seed, i, diff);
            dump_program(p, s);
            minimise(p, s);
            g_test_message("%s", s->str);
            g_test_fail();
            g_free(diff);
            g_free(p);
            return;
        }
        g_free(p);
    }
    g_test_message("seed 0x%x: %" PRIu64 " traps taken, causes 0x%" PRIx64 ", %" PRIu64
                   " instructions run in compiled code", seed, traps, causes, jitted);
    g_assert_cmpuint(jitted, >, 0);
    if (only == UINT_MAX && count >= 32) {
        for (unsigned i = 0; i < G_N_ELEMENTS(expected_causes); i++) {
            if (!(causes >> expected_causes[i] & 1)) {
                g_test_message("no trap with cause %u was generated", expected_causes[i]);
            }
            g_assert_true(causes >> expected_causes[i] & 1);
        }
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (unsigned i = 0; i < G_N_ELEMENTS(fixed_seeds); i++) {
        g_autofree char *name = g_strdup_printf("/riscv/diff/seed-0x%08x", fixed_seeds[i]);
        g_test_add_data_func(name, GUINT_TO_POINTER(fixed_seeds[i]), run_seed);
    }
    const char *env = g_getenv("TESSERA_DIFF_SEED");
    if (env && *env) {
        uint32_t seed = (uint32_t)g_ascii_strtoull(env, NULL, 0);
        g_autofree char *name = g_strdup_printf("/riscv/diff/env-seed-0x%08x", seed);
        g_test_add_data_func(name, GUINT_TO_POINTER(seed), run_seed);
    }
    return g_test_run();
}
