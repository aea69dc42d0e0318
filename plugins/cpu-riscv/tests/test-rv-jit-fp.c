/*
 * test-rv-jit-fp.c - the JIT's inline F/D fast paths (jit-fp.c) against
 * the C implementation (exec-fp.c, the interpreter's).
 *
 * Each instruction is compiled alone into a small function: the fast
 * path, then "return 0" (done inline), with every slow-path slot pointed
 * at "return 1".  It runs on a hart state; the same state then goes
 * through rv_exec_fp.  When the fast path finished, the two results
 * (f and x registers, fflags, mstatus) must be equal; when it took the
 * slow path, it must have changed nothing.  Operands mix special values
 * (zeros, subnormals, infinities, quiet and signalling NaNs, integer
 * limits, unboxed singles) with random ones; fflags, frm, mstatus.FS and
 * the host MXCSR (stale flags, odd control bits) vary too.  Each
 * instruction must also take its fast path often enough that the test
 * means something.
 */
#include <fenv.h>
#include <math.h>
#include "rv-harness.h"
#include "rv-state.h"
#include "jit-fp.h"
#include "code-cache.h"

#if defined(__x86_64__)

static TcgCodeCache cache;

static void env_get_x(void *ctx, X86Buf *b, int host, unsigned r)
{
    if (r == 0) {
        x86_mov_imm(b, host, 0);
    } else {
        x86_load64(b, host, x86_mem(X86_RBX, (int32_t)(offsetof(RvCpu, x) + 8 * r)));
    }
}

static void env_set_x(void *ctx, X86Buf *b, unsigned r, int host)
{
    if (r != 0) {
        x86_store64(b, x86_mem(X86_RBX, (int32_t)(offsetof(RvCpu, x) + 8 * r)), host);
    }
}

static const RvJitFpEnv env = { NULL, env_get_x, env_set_x };

/* The fast path of `in` as a function of the hart (0: done inline, 1: slow
 * path), or NULL when rv_jit_fp_emit has none (it must emit nothing). */
static const uint8_t *compile(const RvInsn *in)
{
    if (tcg_cache_free(&cache) < 1024) {
        tcg_cache_reset(&cache);
    }
    X86Buf b = { cache.ptr, cache.ptr, cache.base + cache.size };
    uint8_t *slots[RV_JIT_FP_MAX_SLOTS];
    unsigned n = 0;

    if (!rv_jit_fp_emit(&b, in, &env, slots, &n)) {
        g_assert_true(b.p == cache.ptr);
        g_assert_cmpuint(n, ==, 0);
        return NULL;
    }
    /* get_x and set_x here take at most 7 bytes each */
    g_assert_cmpuint((size_t)(b.p - cache.ptr), <=, RV_JIT_FP_MAX_BYTES + 14);
    g_assert_cmpuint(n, <=, RV_JIT_FP_MAX_SLOTS);
    x86_mov_imm(&b, X86_RAX, 0);
    x86_mov_imm(&b, X86_RDX, 0);
    x86_jmp_to(&b, cache.exit);
    for (unsigned i = 0; i < n; i++) {
        x86_patch_rel32(slots[i], b.p);
    }
    x86_mov_imm(&b, X86_RAX, 1);
    x86_mov_imm(&b, X86_RDX, 0);
    x86_jmp_to(&b, cache.exit);
    const uint8_t *code = cache.ptr;
    cache.ptr = (uint8_t *)(((uintptr_t)b.p + 15) & ~(uintptr_t)15);
    return code;
}

static unsigned run_fast_path(const uint8_t *code, RvCpu *cpu, uint32_t mxcsr)
{
    __builtin_ia32_ldmxcsr(mxcsr);
    TcgExit r = tcg_cache_enter(&cache, cpu, tcg_cache_rx(&cache, code), 0, 0);
    __builtin_ia32_ldmxcsr(0x1f80);
    return (unsigned)(r.result & 3);
}

/* What an F/D instruction may change. */
typedef struct State {
    uint64_t x[32], f[32], mstatus;
    uint32_t fflags, frm;
} State;

static void save(const RvCpu *cpu, State *s)
{
    memcpy(s->x, cpu->x, sizeof(s->x));
    memcpy(s->f, cpu->f, sizeof(s->f));
    s->mstatus = cpu->mstatus;
    s->fflags = cpu->fflags;
    s->frm = cpu->frm;
}

static void restore(RvCpu *cpu, const State *s)
{
    memcpy(cpu->x, s->x, sizeof(s->x));
    memcpy(cpu->f, s->f, sizeof(s->f));
    cpu->mstatus = s->mstatus;
    cpu->fflags = s->fflags;
    cpu->frm = s->frm;
}

static bool same(const State *a, const State *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

/* ---- operands ---- */

static const uint64_t special_d[] = {
    0, 0x8000000000000000ull,                       /* +-0 */
    0x3ff0000000000000ull, 0xbff0000000000000ull,   /* +-1 */
    0x3ff8000000000000ull, 0x4000000000000000ull,   /* 1.5, 2 */
    0x4008000000000000ull, 0x3fb999999999999aull,   /* 3, 0.1 */
    0x3fe0000000000000ull, 0xbfe0000000000000ull,   /* +-0.5 */
    0x4004000000000000ull, 0xbfe3333333333333ull,   /* 2.5, -0.6 */
    0x7fefffffffffffffull, 0xffefffffffffffffull,   /* +-max */
    0x0010000000000000ull, 0x8010000000000000ull,   /* +-min normal */
    0x0000000000000001ull, 0x800fffffffffffffull,   /* subnormals */
    0x7ff0000000000000ull, 0xfff0000000000000ull,   /* +-inf */
    0x7ff8000000000000ull, 0xfff8000000000123ull,   /* qNaN, payload */
    0x7ff0000000000001ull, 0x7ff4000000000000ull,   /* sNaN */
    0x41e0000000000000ull, 0xc1e0000000000000ull,   /* +-2^31 */
    0x41dfffffffe00000ull, 0xc1e0000000100000ull,   /* 2^31-1, -2^31-0.5 */
    0x41efffffffe00000ull, 0x41f0000000000000ull,   /* 2^32-1, 2^32 */
    0x41effffffff00000ull,                          /* 2^32-0.5 */
    0x43e0000000000000ull, 0xc3e0000000000000ull,   /* +-2^63 */
    0x43dfffffffffffffull, 0x43f0000000000000ull,   /* < 2^63, 2^64 */
    0x36a0000000000000ull, 0x47efffffe0000000ull,   /* single's tiny, max */
    0x3ff0000000000001ull, 0x3810000000000000ull,   /* 1+ulp, single min normal */
};

static const uint32_t special_s[] = {
    0, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x3fc00000u, 0x40000000u,
    0x40400000u, 0x3dcccccdu, 0x3f000000u, 0xbf000000u, 0x40200000u,
    0xbf19999au, 0x7f7fffffu, 0xff7fffffu, 0x00800000u, 0x80800000u,
    0x00000001u, 0x807fffffu, 0x7f800000u, 0xff800000u, 0x7fc00000u,
    0xffc00123u, 0x7f800001u, 0x7fa00000u, 0x4f000000u, 0xcf000000u,
    0x4f800000u, 0x5f000000u, 0xdf000000u, 0x5f800000u, 0x3f800001u,
    0x4effffffu,
};

static const uint64_t special_x[] = {
    0, 1, UINT64_MAX, 0x7fffffff, 0x80000000, 0xffffffff,
    0xffffffff80000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0x20000000000001ull, 0x1000001, 12345, (uint64_t)-12345,
};

static uint64_t random_double(void)
{
    switch (g_test_rand_int_range(0, 3)) {
    case 0: return ((uint64_t)g_test_rand_int() << 32) | g_test_rand_int();
    case 1: {
        double v = g_test_rand_double_range(-1e6, 1e6);
        uint64_t b;
        memcpy(&b, &v, 8);
        return b;
    }
    default: {
        double v = ldexp(g_test_rand_double_range(1, 2), g_test_rand_int_range(-1100, 1100));
        uint64_t b;
        if (g_test_rand_bit()) {
            v = -v;
        }
        memcpy(&b, &v, 8);
        return b;
    }
    }
}

static uint32_t random_single(void)
{
    switch (g_test_rand_int_range(0, 3)) {
    case 0: return g_test_rand_int();
    case 1: {
        float v = (float)g_test_rand_double_range(-1e4, 1e4);
        uint32_t b;
        memcpy(&b, &v, 4);
        return b;
    }
    default: {
        float v = ldexpf((float)g_test_rand_double_range(1, 2), g_test_rand_int_range(-155, 135));
        uint32_t b;
        memcpy(&b, &v, 4);
        return b ^ (g_test_rand_bit() ? 0x80000000u : 0);
    }
    }
}

/* An f register value: a double, or a single boxed (now and then not). */
static uint64_t operand(bool dbl)
{
    bool special = g_test_rand_int_range(0, 3) == 0;
    if (dbl) {
        return special ? special_d[g_test_rand_int_range(0, G_N_ELEMENTS(special_d))]
                       : random_double();
    }
    uint32_t s = special ? special_s[g_test_rand_int_range(0, G_N_ELEMENTS(special_s))]
                         : random_single();
    if (g_test_rand_int_range(0, 40) == 0) {
        return s;                                   /* not boxed */
    }
    if (g_test_rand_int_range(0, 40) == 0) {
        return special_d[g_test_rand_int_range(0, G_N_ELEMENTS(special_d))];
    }
    return 0xffffffff00000000ull | s;
}

static uint64_t int_operand(void)
{
    switch (g_test_rand_int_range(0, 4)) {
    case 0: return special_x[g_test_rand_int_range(0, G_N_ELEMENTS(special_x))];
    case 1: return (uint64_t)(int64_t)g_test_rand_int_range(-100000, 100000);
    case 2: return (uint64_t)(int64_t)(int32_t)g_test_rand_int();
    default: return ((uint64_t)g_test_rand_int() << 32) | g_test_rand_int();
    }
}

/* Host MXCSR at entry: mostly the default, often with stale flags, now
 * and then another rounding mode, and FTZ or DAZ for the instructions
 * that check MXCSR (the others, like exec-fp.c, assume that the process
 * never sets FTZ or DAZ: see jit-fp.h). */
static uint32_t random_mxcsr(bool ftz_daz)
{
    uint32_t m = 0x1f80;
    if (g_test_rand_bit()) {
        m |= g_test_rand_int_range(0, 64);
    }
    switch (g_test_rand_int_range(0, 30)) {
    case 0: m |= 0x2000; break;         /* RC = down */
    case 1: m |= 0x6000; break;         /* RC = towards zero */
    case 2: m |= ftz_daz ? 0x8000 : 0; break;   /* FZ */
    case 3: m |= ftz_daz ? 0x0040 : 0; break;   /* DAZ */
    default: break;
    }
    return m;
}

/* ---- the instructions ---- */

typedef struct OpCase {
    unsigned op;
    bool fsrc_dbl;      /* format of the f sources */
    bool int_src;       /* rs1 is an x register */
} OpCase;

#define S(op) { RV_OP_##op, false, false }
#define D(op) { RV_OP_##op, true, false }
#define I(op) { RV_OP_##op, false, true }
static const OpCase ops[] = {
    S(FADD_S), S(FSUB_S), S(FMUL_S), S(FDIV_S), S(FSQRT_S),
    S(FMADD_S), S(FMSUB_S), S(FNMSUB_S), S(FNMADD_S),
    S(FSGNJ_S), S(FSGNJN_S), S(FSGNJX_S), S(FMIN_S), S(FMAX_S),
    S(FCVT_W_S), S(FCVT_WU_S), S(FCVT_L_S), S(FCVT_LU_S), S(FMV_X_W),
    S(FEQ_S), S(FLT_S), S(FLE_S),
    I(FCVT_S_W), I(FCVT_S_WU), I(FCVT_S_L), I(FCVT_S_LU), I(FMV_W_X),
    D(FADD_D), D(FSUB_D), D(FMUL_D), D(FDIV_D), D(FSQRT_D),
    D(FMADD_D), D(FMSUB_D), D(FNMSUB_D), D(FNMADD_D),
    D(FSGNJ_D), D(FSGNJN_D), D(FSGNJX_D), D(FMIN_D), D(FMAX_D),
    D(FCVT_W_D), D(FCVT_WU_D), D(FCVT_L_D), D(FCVT_LU_D), D(FMV_X_D),
    D(FEQ_D), D(FLT_D), D(FLE_D),
    I(FCVT_D_W), I(FCVT_D_WU), I(FCVT_D_L), I(FCVT_D_LU), I(FMV_D_X),
    S(FCVT_D_S), D(FCVT_S_D),
};

static bool fixed_rm(unsigned op)
{
    switch (op) {
    case RV_OP_FSGNJ_S: case RV_OP_FSGNJN_S: case RV_OP_FSGNJX_S:
    case RV_OP_FSGNJ_D: case RV_OP_FSGNJN_D: case RV_OP_FSGNJX_D:
    case RV_OP_FMIN_S: case RV_OP_FMAX_S: case RV_OP_FMIN_D: case RV_OP_FMAX_D:
    case RV_OP_FEQ_S: case RV_OP_FLT_S: case RV_OP_FLE_S:
    case RV_OP_FEQ_D: case RV_OP_FLT_D: case RV_OP_FLE_D:
    case RV_OP_FMV_X_W: case RV_OP_FMV_X_D: case RV_OP_FMV_W_X: case RV_OP_FMV_D_X:
        return true;
    default:
        return false;
    }
}

static bool is_fma(unsigned op)
{
    return (op >= RV_OP_FMADD_S && op <= RV_OP_FNMADD_S) ||
           (op >= RV_OP_FMADD_D && op <= RV_OP_FNMADD_D);
}

static bool to_int(unsigned op)
{
    return (op >= RV_OP_FCVT_W_S && op <= RV_OP_FCVT_LU_S) ||
           (op >= RV_OP_FCVT_W_D && op <= RV_OP_FCVT_LU_D);
}

static bool exact_op(unsigned op)
{
    return op == RV_OP_FCVT_D_S || op == RV_OP_FCVT_D_W || op == RV_OP_FCVT_D_WU;
}

/* Does the fast path of `op` round (and so check MXCSR)? */
static bool rounds(unsigned op)
{
    return !fixed_rm(op) && !exact_op(op);
}

static char *describe_state(const State *s, unsigned rd)
{
    return g_strdup_printf("f[rd]=%016" PRIx64 " x[rd]=%016" PRIx64
                           " fflags=%x mstatus=%" PRIx64,
                           s->f[rd], s->x[rd], s->fflags, s->mstatus);
}

/* Run `in` `iters` times on random states; returns how often the fast
 * path finished. */
static unsigned differential(RvCpu *cpu, const RvInsn *in, const OpCase *oc,
                             unsigned iters)
{
    const uint8_t *code = compile(in);
    unsigned fast = 0;

    g_assert_nonnull(code);
    for (unsigned it = 0; it < iters; it++) {
        State init, jit, ref;
        for (unsigned r = 0; r < 32; r++) {
            cpu->f[r] = operand(oc->fsrc_dbl);
            cpu->x[r] = r ? int_operand() : 0;
        }
        switch (g_test_rand_int_range(0, 8)) {
        case 0: cpu->fflags = 0x1f; break;
        case 1: case 2: case 3: cpu->fflags = 0; break;
        default: cpu->fflags = g_test_rand_int_range(0, 32); break;
        }
        int k = g_test_rand_int_range(0, 12);
        cpu->frm = k < 8 ? 0 : k < 10 ? 1 : k == 10 ? 4 : 7;
        k = g_test_rand_int_range(0, 16);
        cpu->mstatus = (k == 0 ? 0ull : k < 8 ? 1ull : 3ull) << MSTATUS_FS_SHIFT;
        uint32_t mxcsr = random_mxcsr(rounds(in->op));
        save(cpu, &init);

        unsigned slow = run_fast_path(code, cpu, mxcsr);
        save(cpu, &jit);
        restore(cpu, &init);
        __builtin_ia32_ldmxcsr(0x1f80 | (mxcsr & 0x3f));
        bool ok = rv_exec_fp(cpu, in);
        cpu->x[0] = 0;                  /* as its callers do */
        save(cpu, &ref);
        /* the helper leaves no flag but inexact behind (jit-fp.h) */
        if (ok) {
            g_assert_cmpint(fetestexcept(FE_ALL_EXCEPT & ~FE_INEXACT), ==, 0);
        }
        __builtin_ia32_ldmxcsr(0x1f80);
        if (slow) {
            if (!same(&jit, &init)) {
                g_autofree char *a = describe_state(&init, in->rd);
                g_autofree char *c = describe_state(&jit, in->rd);
                g_test_message("%s: the slow path was taken after writing: "
                               "before %s, after %s", rv_op_name(in->op), a, c);
                g_test_fail();
                return fast;
            }
            continue;
        }
        fast++;
        if (!ok || !same(&jit, &ref)) {
            g_autofree char *a = describe_state(&jit, in->rd);
            g_autofree char *c = describe_state(&ref, in->rd);
            g_test_message("%s rm=%u: f1=%016" PRIx64 " f2=%016" PRIx64
                           " f3=%016" PRIx64 " x1=%016" PRIx64
                           " fflags=%x frm=%u mxcsr=%x: fast path %s, C %s%s",
                           rv_op_name(in->op), in->rm, init.f[in->rs1],
                           init.f[in->rs2], init.f[in->rs3], init.x[in->rs1],
                           init.fflags, init.frm, mxcsr, a, c,
                           ok ? "" : " (exception)");
            g_test_fail();
            return fast;
        }
    }
    return fast;
}

static RvInsn insn(unsigned op, unsigned rd, unsigned rs1, unsigned rs2,
                   unsigned rs3, unsigned rm)
{
    return (RvInsn){ .op = (uint16_t)op, .rd = (uint8_t)rd, .rs1 = (uint8_t)rs1,
                     .rs2 = (uint8_t)rs2, .rs3 = (uint8_t)rs3, .rm = (uint8_t)rm,
                     .len = 4 };
}

static void test_differential(void)
{
    RvHarness *h = rv_harness_new(0);
    const unsigned iters = 2000;
    bool fma = __builtin_cpu_supports("fma");

    for (unsigned i = 0; i < G_N_ELEMENTS(ops); i++) {
        const OpCase *oc = &ops[i];
        /* rounding modes with a fast path: RNE and dyn, RTZ for
         * conversions to integers, any for exact operations */
        unsigned rms[5], n_rm = 0;
        if (fixed_rm(oc->op)) {
            rms[n_rm++] = 0;
        } else {
            rms[n_rm++] = 0;
            rms[n_rm++] = 7;
            if (to_int(oc->op) || exact_op(oc->op)) {
                rms[n_rm++] = 1;
            }
            if (exact_op(oc->op)) {
                rms[n_rm++] = 3;
            }
        }
        for (unsigned k = 0; k < n_rm; k++) {
            /* distinct registers, then sources and destination shared */
            RvInsn a = insn(oc->op, 3, 1, 2, 4, rms[k]);
            RvInsn b = insn(oc->op, 1, 1, 1, 1, rms[k]);
            if (is_fma(oc->op) && !fma) {
                g_assert_null(compile(&a));
                continue;
            }
            unsigned fa = differential(h->cpu, &a, oc, iters);
            unsigned fb = differential(h->cpu, &b, oc, iters / 4);
            if (g_test_failed()) {
                goto out;
            }
            if (g_test_verbose()) {
                g_test_message("%-10s rm=%u: fast %u/%u, %u/%u", rv_op_name(oc->op),
                               rms[k], fa, iters, fb, iters / 4);
            }
            /* NaNs, unboxed singles, FS off, frm != 0 ... leave plenty */
            if (fa < iters / 8) {
                g_test_message("%s rm=%u: fast path only %u times of %u",
                               rv_op_name(oc->op), rms[k], fa, iters);
                g_test_fail();
            }
        }
    }
    /* x0 as source and destination */
    RvInsn z = insn(RV_OP_FCVT_D_L, 2, 0, 0, 0, 0);
    differential(h->cpu, &z, &(OpCase)I(FCVT_D_L), 100);
    z = insn(RV_OP_FCVT_W_D, 0, 2, 0, 0, 1);
    differential(h->cpu, &z, &(OpCase)D(FCVT_W_D), 100);
out:
    rv_harness_free(h);
}

/* Instructions and rounding modes without a fast path emit nothing. */
static void test_no_fast_path(void)
{
    static const RvInsn none[] = {
        { .op = RV_OP_FADD_D, .rd = 1, .rs1 = 2, .rs2 = 3, .rm = 2, .len = 4 },
        { .op = RV_OP_FMUL_S, .rd = 1, .rs1 = 2, .rs2 = 3, .rm = 1, .len = 4 },
        { .op = RV_OP_FCVT_W_D, .rd = 1, .rs1 = 2, .rm = 3, .len = 4 },
        { .op = RV_OP_FCVT_S_D, .rd = 1, .rs1 = 2, .rm = 4, .len = 4 },
        { .op = RV_OP_FCLASS_D, .rd = 1, .rs1 = 2, .len = 4 },
        { .op = RV_OP_FCLASS_S, .rd = 1, .rs1 = 2, .len = 4 },
        { .op = RV_OP_FLD, .rd = 1, .rs1 = 2, .len = 4 },
        { .op = RV_OP_FSW, .rs1 = 1, .rs2 = 2, .len = 4 },
        { .op = RV_OP_ADD, .rd = 1, .rs1 = 2, .rs2 = 3, .len = 4 },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(none); i++) {
        g_assert_null(compile(&none[i]));
    }
}

/*
 * The MXCSR rules one by one: a stale inexact must not reach fflags
 * while NX is clear; an inexact result sets NX; stale invalid only costs
 * a slow path; FS Off and a dynamic frm other than RNE go the slow path.
 */
static void test_flags(void)
{
    RvHarness *h = rv_harness_new(0);
    RvCpu *cpu = h->cpu;
    RvInsn add = insn(RV_OP_FADD_D, 3, 1, 2, 0, 7);
    const uint8_t *code = compile(&add);
    double one = 1.0, two = 2.0, tenth = 0.1;

    cpu->mstatus = 1ull << MSTATUS_FS_SHIFT;
    cpu->frm = 0;
    cpu->fflags = 0;
    memcpy(&cpu->f[1], &one, 8);
    memcpy(&cpu->f[2], &two, 8);
    /* exact 1 + 2 with a stale PE in MXCSR: no NX */
    g_assert_cmpuint(run_fast_path(code, cpu, 0x1f80 | 0x20), ==, 0);
    g_assert_cmphex(cpu->f[3], ==, 0x4008000000000000ull);
    g_assert_cmpuint(cpu->fflags, ==, 0);
    g_assert_cmphex(cpu->mstatus & MSTATUS_FS, ==, MSTATUS_FS);
    /* 1 + 0.1 is inexact */
    memcpy(&cpu->f[2], &tenth, 8);
    g_assert_cmpuint(run_fast_path(code, cpu, 0x1f80), ==, 0);
    g_assert_cmpuint(cpu->fflags, ==, 1);
    /* stale invalid with NX set: slow path, nothing written */
    cpu->f[3] = 0;
    g_assert_cmpuint(run_fast_path(code, cpu, 0x1f80 | 0x01), ==, 1);
    g_assert_cmphex(cpu->f[3], ==, 0);
    /* ... and with NX clear it is cleared first: fast */
    cpu->fflags = 0;
    g_assert_cmpuint(run_fast_path(code, cpu, 0x1f80 | 0x01), ==, 0);
    g_assert_cmpuint(cpu->fflags, ==, 1);
    /* host rounding down: slow */
    g_assert_cmpuint(run_fast_path(code, cpu, 0x3f80), ==, 1);
    /* dynamic rounding not RNE: slow */
    cpu->frm = 1;
    g_assert_cmpuint(run_fast_path(code, cpu, 0x1f80), ==, 1);
    cpu->frm = 0;
    /* FS Off: slow (the helper raises illegal instruction) */
    cpu->mstatus = 0;
    g_assert_cmpuint(run_fast_path(code, cpu, 0x1f80), ==, 1);
    g_assert_cmphex(cpu->mstatus, ==, 0);
    rv_harness_free(h);
}

int main(int argc, char **argv)
{
    const char *err = NULL;

    g_test_init(&argc, &argv, NULL);
    if (!tcg_cache_init(&cache, 1 << 20, false, &err)) {
        g_print("1..0 # SKIP no executable memory: %s\n", err);
        return 0;
    }
    g_test_add_func("/riscv/jit-fp/no-fast-path", test_no_fast_path);
    g_test_add_func("/riscv/jit-fp/flags", test_flags);
    g_test_add_func("/riscv/jit-fp/differential", test_differential);
    int ret = g_test_run();
    tcg_cache_destroy(&cache);
    return ret;
}

#else

int main(void)
{
    printf("1..0 # SKIP the JIT's FP fast paths are x86-64 code\n");
    return 0;
}

#endif
