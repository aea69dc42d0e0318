/*
 * exec-fp.c - F and D extensions (Unprivileged ISA 20191213, ch. 11-12).
 *
 * Arithmetic runs on the host FPU through <fenv.h>: x86-64 SSE is IEEE 754
 * exact for + - * / sqrt and fma, detects tininess after rounding like
 * RISC-V, and raises the same five flags.  What is RISC-V specific is done
 * here: canonical NaNs for every NaN result, NaN-boxing of singles,
 * fmin/fmax and compare rules, saturating conversions, fclass, and the
 * round-to-nearest-max-magnitude mode (RMM) the host lacks, derived from
 * the round-to-zero and round-to-nearest-even results plus an exact tie
 * test.  Known gap: the tie test is exact for add, sub, mul, div (sqrt
 * cannot tie) and conversions, but double-precision fused multiply-add
 * under RMM rounds exact ties like RNE.  This file is built with
 * -frounding-math so the compiler keeps arithmetic between the rounding
 * mode changes.
 */
#include <fenv.h>
#include <math.h>
#include "rv-state.h"

/*
 * The host's FP state.  On x86-64 float and double arithmetic is SSE,
 * whose whole state is MXCSR, while <fenv.h>'s calls also read and write
 * the x87 environment (fnstenv/fldenv: hundreds of cycles, 70 % of the
 * time of the guest's FP benchmark).  MXCSR's status bits are the FE_*
 * flag values on this host and its rounding field is FE_* << 3.
 */
#if defined(__x86_64__)
#include <xmmintrin.h>
static inline void host_clear(int mask)
{
    _mm_setcsr(_mm_getcsr() & ~(unsigned)mask);
}
static inline int host_test(int mask)
{
    return (int)_mm_getcsr() & mask;
}
static inline void host_round(int mode)
{
    _mm_setcsr((_mm_getcsr() & ~0x6000u) | ((unsigned)mode << 3));
}
#else
#define host_clear feclearexcept
#define host_test fetestexcept
#define host_round fesetround
#endif

#define CANON_S 0x7fc00000u
#define CANON_D 0x7ff8000000000000ull

enum { RM_RNE, RM_RTZ, RM_RDN, RM_RUP, RM_RMM, RM_DYN = 7 };
enum { FL_NX = 1, FL_UF = 2, FL_OF = 4, FL_DZ = 8, FL_NV = 16 };

static const int host_mode[5] = {
    FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD, FE_TONEAREST,
};

/* ---- register access with NaN-boxing ---- */

static inline float f32_of(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static inline uint32_t bits32(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static inline double f64_of(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static inline uint64_t bits64(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

static inline uint32_t get_s(const RvCpu *cpu, unsigned r)
{
    uint64_t v = cpu->f[r];
    return (v >> 32) == 0xffffffffu ? (uint32_t)v : CANON_S;
}

static inline void put_s(RvCpu *cpu, unsigned r, uint32_t v)
{
    cpu->f[r] = 0xffffffff00000000ull | v;
}

static inline bool is_snan_s(uint32_t b)
{
    return (b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu) && !(b & 0x400000u);
}

static inline bool is_snan_d(uint64_t b)
{
    return (b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
           (b & 0xfffffffffffffull) && !(b & 0x8000000000000ull);
}

/* ---- host FP environment ---- */

static unsigned host_flags(void)
{
    int e = host_test(FE_ALL_EXCEPT);
    return ((e & FE_INEXACT) ? FL_NX : 0) | ((e & FE_UNDERFLOW) ? FL_UF : 0) |
           ((e & FE_OVERFLOW) ? FL_OF : 0) | ((e & FE_DIVBYZERO) ? FL_DZ : 0) |
           ((e & FE_INVALID) ? FL_NV : 0);
}

/* The arithmetic operations that go through the host. */
typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_FMA } ArithOp;

/* Inputs and result go through volatile variables so that the operation
 * stays between the MXCSR accesses around it. */
static double host_d(ArithOp op, double a_, double b_, double c_)
{
    volatile double va = a_, vb = b_, vc = c_;
    double a = va, b = vb, c = vc;
    volatile double r;
    switch (op) {
    case OP_ADD: r = a + b; break;
    case OP_SUB: r = a - b; break;
    case OP_MUL: r = a * b; break;
    case OP_DIV: r = a / b; break;
    case OP_SQRT: r = sqrt(a); break;
    default: r = fma(a, b, c); break;
    }
    return r;
}

static float host_s(ArithOp op, float a_, float b_, float c_)
{
    volatile float va = a_, vb = b_, vc = c_;
    float a = va, b = vb, c = vc;
    volatile float r;
    switch (op) {
    case OP_ADD: r = a + b; break;
    case OP_SUB: r = a - b; break;
    case OP_MUL: r = a * b; break;
    case OP_DIV: r = a / b; break;
    case OP_SQRT: r = sqrtf(a); break;
    default: r = fmaf(a, b, c); break;
    }
    return r;
}

/* Run `op` under host rounding mode `mode`, collecting flags. */
static double run_d(ArithOp op, int mode, double a, double b, double c, unsigned *fl)
{
    double r;
    if (mode != FE_TONEAREST) {
        host_round(mode);
    }
    host_clear(FE_ALL_EXCEPT);
    r = host_d(op, a, b, c);
    *fl = host_flags();
    if (mode != FE_TONEAREST) {
        host_round(FE_TONEAREST);
    }
    return r;
}

static float run_s(ArithOp op, int mode, float a, float b, float c, unsigned *fl)
{
    float r;
    if (mode != FE_TONEAREST) {
        host_round(mode);
    }
    host_clear(FE_ALL_EXCEPT);
    r = host_s(op, a, b, c);
    *fl = host_flags();
    if (mode != FE_TONEAREST) {
        host_round(FE_TONEAREST);
    }
    return r;
}

/*
 * Was the exact result of `op` exactly halfway between `tz` (the result
 * rounded toward zero, finite and nonzero) and the next value away from
 * zero?  Only then does RMM differ from rounding toward zero.
 */
static bool tie_d(ArithOp op, double a, double b, double tz)
{
    double away = nextafter(tz, copysign(INFINITY, tz));
    double half = (away - tz) / 2, e;
    if (half == 0) {
        return false;
    }
    switch (op) {
    case OP_ADD: case OP_SUB: {
        /* exact error of the sum (Knuth's TwoSum, no rounding involved) */
        double bb = op == OP_SUB ? -b : b;
        double s = a + bb, bv = s - a, av = s - bv;
        e = (a - av) + (bb - bv);
        e += s - tz;
        return e == half;
    }
    case OP_MUL:
        return fma(a, b, -tz) == half;
    case OP_DIV:
        /* a == (tz + half) * b exactly  <=>  (a - tz*b) == half*b */
        return fma(half, b, -fma(-tz, b, a)) == 0;
    default:
        return false;           /* sqrt never ties; fma: see file header */
    }
}

static double arith_d(RvCpu *cpu, ArithOp op, unsigned rm, double a, double b,
                      double c, unsigned *fl)
{
    if (rm != RM_RMM) {
        return run_d(op, host_mode[rm], a, b, c, fl);
    }
    double ne = run_d(op, FE_TONEAREST, a, b, c, fl), tz;
    unsigned ignore;
    if (!isfinite(ne) || ne == 0) {
        return ne;
    }
    tz = run_d(op, FE_TOWARDZERO, a, b, c, &ignore);
    if (ne != tz || !(*fl & FL_NX) || !tie_d(op, a, b, tz)) {
        return ne;
    }
    return nextafter(tz, copysign(INFINITY, tz));
}

static float arith_s(RvCpu *cpu, ArithOp op, unsigned rm, float a, float b,
                     float c, unsigned *fl)
{
    if (rm != RM_RMM) {
        return run_s(op, host_mode[rm], a, b, c, fl);
    }
    float ne = run_s(op, FE_TONEAREST, a, b, c, fl), tz;
    unsigned ignore, dfl;
    if (!isfinite(ne) || ne == 0) {
        return ne;
    }
    tz = run_s(op, FE_TOWARDZERO, a, b, c, &ignore);
    if (ne != tz || !(*fl & FL_NX)) {
        return ne;
    }
    /* A single-precision midpoint fits in a double: the tie test is the
     * double-precision result being exact and equal to it. */
    float away = nextafterf(tz, copysignf(INFINITY, tz));
    double mid = ((double)tz + (double)away) / 2;
    double exact = run_d(op, FE_TONEAREST, a, b, c, &dfl);
    if (!(dfl & FL_NX) && exact == mid) {
        return away;
    }
    return ne;
}

/* ---- conversions to integers (saturating) ---- */

typedef enum { TO_W, TO_WU, TO_L, TO_LU } IntKind;

static double round_integral(double v, unsigned rm)
{
    switch (rm) {
    case RM_RTZ: return trunc(v);
    case RM_RDN: return floor(v);
    case RM_RUP: return ceil(v);
    case RM_RMM: return round(v);
    default: return nearbyint(v);       /* host is in round-to-nearest-even */
    }
}

static uint64_t to_int(double v, unsigned rm, IntKind kind, unsigned *fl)
{
    static const double lo[4] = { -2147483648.0, 0.0, -9223372036854775808.0, 0.0 };
    static const double hi_excl[4] = { 2147483648.0, 4294967296.0,
                                       9223372036854775808.0, 18446744073709551616.0 };
    static const uint64_t min_v[4] = { (uint64_t)(int64_t)INT32_MIN, 0,
                                       (uint64_t)INT64_MIN, 0 };
    static const uint64_t max_v[4] = { INT32_MAX, UINT64_MAX /* sext of 0xffffffff */,
                                       INT64_MAX, UINT64_MAX };
    double r;

    if (isnan(v)) {
        *fl |= FL_NV;
        return max_v[kind];
    }
    r = round_integral(v, rm);
    if (r < lo[kind]) {
        *fl |= FL_NV;
        return min_v[kind];
    }
    if (r >= hi_excl[kind]) {
        *fl |= FL_NV;
        return max_v[kind];
    }
    if (r != v) {
        *fl |= FL_NX;
    }
    switch (kind) {
    case TO_W: return (uint64_t)(int64_t)(int32_t)r;
    case TO_WU: return (uint64_t)(int64_t)(int32_t)(uint32_t)r;
    case TO_L: return (uint64_t)(int64_t)r;
    default: return (uint64_t)r;
    }
}

/* ---- conversions from integers ---- */

static double from_int_d(uint64_t v, bool is_signed, unsigned rm, unsigned *fl)
{
    volatile double r;
    host_round(host_mode[rm == RM_RMM ? RM_RTZ : rm]);
    host_clear(FE_ALL_EXCEPT);
    r = is_signed ? (double)(int64_t)v : (double)v;
    *fl = host_flags();
    host_round(FE_TONEAREST);
    if (rm == RM_RMM && (*fl & FL_NX)) {
        /* exact integers: the tie test is 2 * (v - tz) == ulp */
        double away = nextafter(r, copysign(INFINITY, r));
        unsigned __int128 mag = is_signed && (int64_t)v < 0 ? -(__int128)(int64_t)v : v;
        unsigned __int128 t = (unsigned __int128)fabs(r);
        unsigned __int128 ulp = (unsigned __int128)fabs(away) - t;
        if (2 * (mag - t) >= ulp) {
            r = away;
        }
    }
    return r;
}

static float from_int_s(uint64_t v, bool is_signed, unsigned rm, unsigned *fl)
{
    volatile float r;
    host_round(host_mode[rm == RM_RMM ? RM_RTZ : rm]);
    host_clear(FE_ALL_EXCEPT);
    r = is_signed ? (float)(int64_t)v : (float)v;
    *fl = host_flags();
    host_round(FE_TONEAREST);
    if (rm == RM_RMM && (*fl & FL_NX)) {
        float away = nextafterf(r, copysignf(INFINITY, r));
        unsigned __int128 mag = is_signed && (int64_t)v < 0 ? -(__int128)(int64_t)v : v;
        unsigned __int128 t = (unsigned __int128)fabsf(r);
        unsigned __int128 ulp = (unsigned __int128)fabsf(away) - t;
        if (2 * (mag - t) >= ulp) {
            r = away;
        }
    }
    return r;
}

/* ---- classification and min/max ---- */

static uint64_t fclass_bits(bool neg, bool inf, bool nan, bool snan, bool zero,
                            bool sub)
{
    if (nan) {
        return snan ? 1u << 8 : 1u << 9;
    }
    if (inf) {
        return neg ? 1u << 0 : 1u << 7;
    }
    if (zero) {
        return neg ? 1u << 3 : 1u << 4;
    }
    if (sub) {
        return neg ? 1u << 2 : 1u << 5;
    }
    return neg ? 1u << 1 : 1u << 6;
}

static uint64_t fclass_s(uint32_t b)
{
    uint32_t e = (b >> 23) & 0xff, m = b & 0x7fffff;
    return fclass_bits(b >> 31, e == 0xff && !m, e == 0xff && m, is_snan_s(b),
                       e == 0 && !m, e == 0 && m);
}

static uint64_t fclass_d(uint64_t b)
{
    uint64_t e = (b >> 52) & 0x7ff, m = b & 0xfffffffffffffull;
    return fclass_bits(b >> 63, e == 0x7ff && !m, e == 0x7ff && m, is_snan_d(b),
                       e == 0 && !m, e == 0 && m);
}

static uint32_t minmax_s(uint32_t a, uint32_t b, bool max, unsigned *fl)
{
    float fa = f32_of(a), fb = f32_of(b);
    if (is_snan_s(a) || is_snan_s(b)) {
        *fl |= FL_NV;
    }
    if (isnan(fa) && isnan(fb)) {
        return CANON_S;
    }
    if (isnan(fa)) {
        return b;
    }
    if (isnan(fb)) {
        return a;
    }
    if (fa == fb) {                     /* equal, or -0 vs +0 */
        return max ? (a & b) : (a | b);
    }
    return (fa < fb) != max ? a : b;
}

static uint64_t minmax_d(uint64_t a, uint64_t b, bool max, unsigned *fl)
{
    double fa = f64_of(a), fb = f64_of(b);
    if (is_snan_d(a) || is_snan_d(b)) {
        *fl |= FL_NV;
    }
    if (isnan(fa) && isnan(fb)) {
        return CANON_D;
    }
    if (isnan(fa)) {
        return b;
    }
    if (isnan(fb)) {
        return a;
    }
    if (fa == fb) {
        return max ? (a & b) : (a | b);
    }
    return (fa < fb) != max ? a : b;
}

/* feq is quiet (NV only for sNaN); flt/fle signal on any NaN. */
static uint64_t compare(double a, double b, bool a_snan, bool b_snan, int kind,
                        unsigned *fl)
{
    if (isnan(a) || isnan(b)) {
        if (kind != 0 || a_snan || b_snan) {
            *fl |= FL_NV;
        }
        return 0;
    }
    return kind == 0 ? a == b : kind == 1 ? a < b : a <= b;
}

static inline bool fma_invalid(double a, double b)
{
    return (isinf(a) && b == 0) || (a == 0 && isinf(b));
}

static uint32_t canon_s(float r)
{
    return isnan(r) ? CANON_S : bits32(r);
}

static uint64_t canon_d(double r)
{
    return isnan(r) ? CANON_D : bits64(r);
}

bool rv_exec_fp(RvCpu *cpu, const RvInsn *in)
{
    uint64_t *x = cpu->x, va;
    unsigned rm = in->rm == RM_DYN ? cpu->frm : in->rm;
    unsigned fl = 0;

    if (rv_fs_off(cpu) || rm > RM_RMM) {
        return rv_raise(cpu, RV_EXC_ILLEGAL, in->raw);
    }
    switch (in->op) {
    case RV_OP_FLW: case RV_OP_FLD: {
        uint64_t v;
        va = x[in->rs1] + (int64_t)in->imm;
        if (!rv_load(cpu, va, in->op == RV_OP_FLW ? 4 : 8, &v)) {
            return false;
        }
        cpu->f[in->rd] = in->op == RV_OP_FLW ? 0xffffffff00000000ull | v : v;
        rv_set_fs_dirty(cpu);
        return true;
    }
    case RV_OP_FSW:
        return rv_store(cpu, x[in->rs1] + (int64_t)in->imm, 4, (uint32_t)cpu->f[in->rs2]);
    case RV_OP_FSD:
        return rv_store(cpu, x[in->rs1] + (int64_t)in->imm, 8, cpu->f[in->rs2]);
    default:
        break;
    }

    uint32_t s1 = get_s(cpu, in->rs1), s2 = get_s(cpu, in->rs2), s3 = get_s(cpu, in->rs3);
    uint64_t d1 = cpu->f[in->rs1], d2 = cpu->f[in->rs2], d3 = cpu->f[in->rs3];
    float a = f32_of(s1), b = f32_of(s2), c = f32_of(s3);
    double da = f64_of(d1), db = f64_of(d2), dc = f64_of(d3);

    switch (in->op) {
    /* single precision arithmetic */
    case RV_OP_FADD_S: put_s(cpu, in->rd, canon_s(arith_s(cpu, OP_ADD, rm, a, b, 0, &fl))); break;
    case RV_OP_FSUB_S: put_s(cpu, in->rd, canon_s(arith_s(cpu, OP_SUB, rm, a, b, 0, &fl))); break;
    case RV_OP_FMUL_S: put_s(cpu, in->rd, canon_s(arith_s(cpu, OP_MUL, rm, a, b, 0, &fl))); break;
    case RV_OP_FDIV_S: put_s(cpu, in->rd, canon_s(arith_s(cpu, OP_DIV, rm, a, b, 0, &fl))); break;
    case RV_OP_FSQRT_S: put_s(cpu, in->rd, canon_s(arith_s(cpu, OP_SQRT, rm, a, 0, 0, &fl))); break;
    case RV_OP_FMADD_S: case RV_OP_FMSUB_S: case RV_OP_FNMSUB_S: case RV_OP_FNMADD_S: {
        float ma = (in->op == RV_OP_FNMSUB_S || in->op == RV_OP_FNMADD_S) ? -a : a;
        float mc = (in->op == RV_OP_FMSUB_S || in->op == RV_OP_FNMADD_S) ? -c : c;
        float r = arith_s(cpu, OP_FMA, rm, ma, b, mc, &fl);
        if (fma_invalid(a, b)) {
            fl |= FL_NV;
        }
        put_s(cpu, in->rd, canon_s(r));
        break;
    }
    case RV_OP_FSGNJ_S: put_s(cpu, in->rd, (s1 & 0x7fffffffu) | (s2 & 0x80000000u)); break;
    case RV_OP_FSGNJN_S: put_s(cpu, in->rd, (s1 & 0x7fffffffu) | (~s2 & 0x80000000u)); break;
    case RV_OP_FSGNJX_S: put_s(cpu, in->rd, s1 ^ (s2 & 0x80000000u)); break;
    case RV_OP_FMIN_S: put_s(cpu, in->rd, minmax_s(s1, s2, false, &fl)); break;
    case RV_OP_FMAX_S: put_s(cpu, in->rd, minmax_s(s1, s2, true, &fl)); break;
    case RV_OP_FCVT_W_S: x[in->rd] = to_int(a, rm, TO_W, &fl); break;
    case RV_OP_FCVT_WU_S: x[in->rd] = to_int(a, rm, TO_WU, &fl); break;
    case RV_OP_FCVT_L_S: x[in->rd] = to_int(a, rm, TO_L, &fl); break;
    case RV_OP_FCVT_LU_S: x[in->rd] = to_int(a, rm, TO_LU, &fl); break;
    case RV_OP_FMV_X_W: x[in->rd] = (uint64_t)(int64_t)(int32_t)(uint32_t)d1; break;
    case RV_OP_FEQ_S: x[in->rd] = compare(a, b, is_snan_s(s1), is_snan_s(s2), 0, &fl); break;
    case RV_OP_FLT_S: x[in->rd] = compare(a, b, is_snan_s(s1), is_snan_s(s2), 1, &fl); break;
    case RV_OP_FLE_S: x[in->rd] = compare(a, b, is_snan_s(s1), is_snan_s(s2), 2, &fl); break;
    case RV_OP_FCLASS_S: x[in->rd] = fclass_s(s1); break;
    case RV_OP_FCVT_S_W:
        put_s(cpu, in->rd, bits32(from_int_s((uint64_t)(int64_t)(int32_t)x[in->rs1], true, rm, &fl)));
        break;
    case RV_OP_FCVT_S_WU:
        put_s(cpu, in->rd, bits32(from_int_s((uint32_t)x[in->rs1], false, rm, &fl)));
        break;
    case RV_OP_FCVT_S_L: put_s(cpu, in->rd, bits32(from_int_s(x[in->rs1], true, rm, &fl))); break;
    case RV_OP_FCVT_S_LU: put_s(cpu, in->rd, bits32(from_int_s(x[in->rs1], false, rm, &fl))); break;
    case RV_OP_FMV_W_X: put_s(cpu, in->rd, (uint32_t)x[in->rs1]); break;

    /* double precision */
    case RV_OP_FADD_D: cpu->f[in->rd] = canon_d(arith_d(cpu, OP_ADD, rm, da, db, 0, &fl)); break;
    case RV_OP_FSUB_D: cpu->f[in->rd] = canon_d(arith_d(cpu, OP_SUB, rm, da, db, 0, &fl)); break;
    case RV_OP_FMUL_D: cpu->f[in->rd] = canon_d(arith_d(cpu, OP_MUL, rm, da, db, 0, &fl)); break;
    case RV_OP_FDIV_D: cpu->f[in->rd] = canon_d(arith_d(cpu, OP_DIV, rm, da, db, 0, &fl)); break;
    case RV_OP_FSQRT_D: cpu->f[in->rd] = canon_d(arith_d(cpu, OP_SQRT, rm, da, 0, 0, &fl)); break;
    case RV_OP_FMADD_D: case RV_OP_FMSUB_D: case RV_OP_FNMSUB_D: case RV_OP_FNMADD_D: {
        double ma = (in->op == RV_OP_FNMSUB_D || in->op == RV_OP_FNMADD_D) ? -da : da;
        double mc = (in->op == RV_OP_FMSUB_D || in->op == RV_OP_FNMADD_D) ? -dc : dc;
        double r = arith_d(cpu, OP_FMA, rm, ma, db, mc, &fl);
        if (fma_invalid(da, db)) {
            fl |= FL_NV;
        }
        cpu->f[in->rd] = canon_d(r);
        break;
    }
    case RV_OP_FSGNJ_D: cpu->f[in->rd] = (d1 & ~(1ull << 63)) | (d2 & (1ull << 63)); break;
    case RV_OP_FSGNJN_D: cpu->f[in->rd] = (d1 & ~(1ull << 63)) | (~d2 & (1ull << 63)); break;
    case RV_OP_FSGNJX_D: cpu->f[in->rd] = d1 ^ (d2 & (1ull << 63)); break;
    case RV_OP_FMIN_D: cpu->f[in->rd] = minmax_d(d1, d2, false, &fl); break;
    case RV_OP_FMAX_D: cpu->f[in->rd] = minmax_d(d1, d2, true, &fl); break;
    case RV_OP_FCVT_W_D: x[in->rd] = to_int(da, rm, TO_W, &fl); break;
    case RV_OP_FCVT_WU_D: x[in->rd] = to_int(da, rm, TO_WU, &fl); break;
    case RV_OP_FCVT_L_D: x[in->rd] = to_int(da, rm, TO_L, &fl); break;
    case RV_OP_FCVT_LU_D: x[in->rd] = to_int(da, rm, TO_LU, &fl); break;
    case RV_OP_FMV_X_D: x[in->rd] = d1; break;
    case RV_OP_FEQ_D: x[in->rd] = compare(da, db, is_snan_d(d1), is_snan_d(d2), 0, &fl); break;
    case RV_OP_FLT_D: x[in->rd] = compare(da, db, is_snan_d(d1), is_snan_d(d2), 1, &fl); break;
    case RV_OP_FLE_D: x[in->rd] = compare(da, db, is_snan_d(d1), is_snan_d(d2), 2, &fl); break;
    case RV_OP_FCLASS_D: x[in->rd] = fclass_d(d1); break;
    case RV_OP_FCVT_D_W:
        cpu->f[in->rd] = bits64(from_int_d((uint64_t)(int64_t)(int32_t)x[in->rs1], true, rm, &fl));
        break;
    case RV_OP_FCVT_D_WU:
        cpu->f[in->rd] = bits64(from_int_d((uint32_t)x[in->rs1], false, rm, &fl));
        break;
    case RV_OP_FCVT_D_L: cpu->f[in->rd] = bits64(from_int_d(x[in->rs1], true, rm, &fl)); break;
    case RV_OP_FCVT_D_LU: cpu->f[in->rd] = bits64(from_int_d(x[in->rs1], false, rm, &fl)); break;
    case RV_OP_FMV_D_X: cpu->f[in->rd] = x[in->rs1]; break;
    case RV_OP_FCVT_D_S:
        if (is_snan_s(s1)) {
            fl |= FL_NV;
        }
        cpu->f[in->rd] = canon_d((double)a);
        break;
    case RV_OP_FCVT_S_D: {
        volatile float r;
        host_round(host_mode[rm == RM_RMM ? RM_RTZ : rm]);
        host_clear(FE_ALL_EXCEPT);
        r = (float)da;
        fl = host_flags();
        host_round(FE_TONEAREST);
        if (rm == RM_RMM && (fl & FL_OF)) {
            r = copysignf(INFINITY, r);     /* RMM overflows like RNE */
        } else if (rm == RM_RMM && (fl & FL_NX) && isfinite(r)) {
            float away = nextafterf(r, copysignf(INFINITY, r));
            double mid = ((double)r + (double)away) / 2;
            if (fabs(da) >= fabs(mid)) {
                r = away;
            }
        }
        put_s(cpu, in->rd, canon_s(r));
        break;
    }
    default:
        return rv_raise(cpu, RV_EXC_ILLEGAL, in->raw);
    }
    /* Leave no host flag but inexact set: the JIT's inline paths
     * (jit-fp.c) take any other one as raised by their own operation and
     * come here, so one left behind would send every later instruction
     * the slow way. */
    if (host_test(FE_ALL_EXCEPT & ~FE_INEXACT)) {
        host_clear(FE_ALL_EXCEPT & ~FE_INEXACT);
    }
    cpu->fflags |= fl;
    rv_set_fs_dirty(cpu);
    return true;
}
