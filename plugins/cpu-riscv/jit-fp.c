/*
 * jit-fp.c - inline x86-64 fast paths for RISC-V F and D instructions
 * (see jit-fp.h for the contract and the cases left to the slow path).
 *
 * Shape of the code for an arithmetic instruction, e.g. fadd.d:
 *
 *     test  dword [mstatus], FS  ; jz slow      FS Off: illegal
 *     cmp   dword [frm], 0       ; jne slow     only for rm = dyn
 *     movsd xmm0, [f1]
 *     <MXCSR prepare>                           see mxcsr_prepare
 *     addsd xmm0, [f2]
 *     <MXCSR check>              ; jne slow     see mxcsr_check
 *     ucomisd xmm0, xmm0         ; jp slow      NaN: canonical in C
 *     movsd [fd], xmm0
 *     or    [fflags], edx                       inexact, 0 or 1
 *     or    dword [mstatus], FS                 Dirty
 *
 * Single-precision operands are checked for NaN-boxing (upper word all
 * ones) and results are written boxed, as one 8-byte store so that a
 * later 8-byte load of the register is not split across two stores.
 */
#include "jit-fp.h"

#if defined(__x86_64__)

#define F_OFF(r) ((int32_t)(offsetof(RvCpu, f) + 8 * (r)))
#define FFLAGS_OFF ((int32_t)offsetof(RvCpu, fflags))
#define FRM_OFF ((int32_t)offsetof(RvCpu, frm))
#define MSTATUS_OFF ((int32_t)offsetof(RvCpu, mstatus))
#define SCRATCH_OFF ((int32_t)offsetof(RvCpu, jit_val))

_Static_assert(MSTATUS_FS == 0x6000, "FS is tested and set as a dword immediate");

/* MXCSR: flags in bits 0-5 (IE DE ZE OE UE PE), then DAZ, the six masks,
 * RC (bits 13-14) and FZ.  The default: everything masked, RNE. */
#define MXCSR_DEFAULT 0x1f80u
#define MXCSR_DE 0x02u
#define MXCSR_PE 0x20u
#define MXCSR_FLAGS 0x3fu

#define BOX_S 0xffffffff00000000ull
#define FL_NX 1u

enum { RM_RNE = 0, RM_RTZ = 1, RM_DYN = 7 };

typedef enum {
    K_ARITH,        /* rd = rs1 op rs2 (add, sub, mul, div) */
    K_SQRT,
    K_FMA,          /* the four fused multiply-adds */
    K_SGNJ,
    K_MINMAX,
    K_CMP,          /* feq, flt, fle -> x[rd] */
    K_F2I,          /* fcvt.{w,wu,l,lu}.{s,d} */
    K_I2F,          /* fcvt.{s,d}.{w,wu,l,lu} */
    K_F2F,          /* fcvt.d.s, fcvt.s.d */
    K_MV_X,         /* fmv.x.w, fmv.x.d */
    K_MV_F,         /* fmv.w.x, fmv.d.x */
} Kind;

typedef enum { I_W, I_WU, I_L, I_LU } IntKind;

/* Which rounding modes the fast path does. */
typedef enum {
    R_NONE,         /* the operation has no rounding-mode field */
    R_RNE,          /* the result depends on it: RNE only */
    R_RNE_RTZ,      /* conversions to integers: RNE (cvt) or RTZ (cvtt) */
    R_ANY,          /* always exact: any valid mode */
} RmRule;

typedef struct FpOp {
    Kind kind;
    bool dbl;           /* operand format (F2F: the source's; I2F: the result's) */
    uint8_t sub;        /* X86_FP_* / X86_FMADD.. / X86_CC_* / sgnj variant / max */
    IntKind ik;
    RmRule rm;
    unsigned n_src;     /* FP source registers read (rs1, rs2, rs3) */
} FpOp;

enum { SGNJ, SGNJN, SGNJX };

static bool host_has_fma(void)
{
    static int have = -1;       /* a benign race: every thread finds the same */
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("fma") ? 1 : 0;
    }
    return have == 1;
}

/* What `op` is, or false if it has no fast path here. */
static bool describe(unsigned op, FpOp *d)
{
    *d = (FpOp){ .rm = R_NONE };
#define S_OR_D(s_op) (d->dbl = op != RV_OP_##s_op)
    switch (op) {
    case RV_OP_FADD_S: case RV_OP_FADD_D:
        S_OR_D(FADD_S); d->kind = K_ARITH; d->sub = X86_FP_ADD; break;
    case RV_OP_FSUB_S: case RV_OP_FSUB_D:
        S_OR_D(FSUB_S); d->kind = K_ARITH; d->sub = X86_FP_SUB; break;
    case RV_OP_FMUL_S: case RV_OP_FMUL_D:
        S_OR_D(FMUL_S); d->kind = K_ARITH; d->sub = X86_FP_MUL; break;
    case RV_OP_FDIV_S: case RV_OP_FDIV_D:
        S_OR_D(FDIV_S); d->kind = K_ARITH; d->sub = X86_FP_DIV; break;
    case RV_OP_FSQRT_S: case RV_OP_FSQRT_D:
        S_OR_D(FSQRT_S); d->kind = K_SQRT; d->sub = X86_FP_SQRT; break;
    /* RISC-V fnmsub is -(a*b)+c and fnmadd -(a*b)-c: x86's fnmadd and
     * fnmsub respectively */
    case RV_OP_FMADD_S: case RV_OP_FMADD_D:
        S_OR_D(FMADD_S); d->kind = K_FMA; d->sub = X86_FMADD; break;
    case RV_OP_FMSUB_S: case RV_OP_FMSUB_D:
        S_OR_D(FMSUB_S); d->kind = K_FMA; d->sub = X86_FMSUB; break;
    case RV_OP_FNMSUB_S: case RV_OP_FNMSUB_D:
        S_OR_D(FNMSUB_S); d->kind = K_FMA; d->sub = X86_FNMADD; break;
    case RV_OP_FNMADD_S: case RV_OP_FNMADD_D:
        S_OR_D(FNMADD_S); d->kind = K_FMA; d->sub = X86_FNMSUB; break;
    case RV_OP_FSGNJ_S: case RV_OP_FSGNJ_D:
        S_OR_D(FSGNJ_S); d->kind = K_SGNJ; d->sub = SGNJ; break;
    case RV_OP_FSGNJN_S: case RV_OP_FSGNJN_D:
        S_OR_D(FSGNJN_S); d->kind = K_SGNJ; d->sub = SGNJN; break;
    case RV_OP_FSGNJX_S: case RV_OP_FSGNJX_D:
        S_OR_D(FSGNJX_S); d->kind = K_SGNJ; d->sub = SGNJX; break;
    case RV_OP_FMIN_S: case RV_OP_FMIN_D:
        S_OR_D(FMIN_S); d->kind = K_MINMAX; d->sub = 0; break;
    case RV_OP_FMAX_S: case RV_OP_FMAX_D:
        S_OR_D(FMAX_S); d->kind = K_MINMAX; d->sub = 1; break;
    case RV_OP_FEQ_S: case RV_OP_FEQ_D:
        S_OR_D(FEQ_S); d->kind = K_CMP; d->sub = X86_CC_E; break;
    case RV_OP_FLT_S: case RV_OP_FLT_D:
        S_OR_D(FLT_S); d->kind = K_CMP; d->sub = X86_CC_B; break;
    case RV_OP_FLE_S: case RV_OP_FLE_D:
        S_OR_D(FLE_S); d->kind = K_CMP; d->sub = X86_CC_BE; break;
    case RV_OP_FCVT_W_S: case RV_OP_FCVT_W_D:
        S_OR_D(FCVT_W_S); d->kind = K_F2I; d->ik = I_W; break;
    case RV_OP_FCVT_WU_S: case RV_OP_FCVT_WU_D:
        S_OR_D(FCVT_WU_S); d->kind = K_F2I; d->ik = I_WU; break;
    case RV_OP_FCVT_L_S: case RV_OP_FCVT_L_D:
        S_OR_D(FCVT_L_S); d->kind = K_F2I; d->ik = I_L; break;
    case RV_OP_FCVT_LU_S: case RV_OP_FCVT_LU_D:
        S_OR_D(FCVT_LU_S); d->kind = K_F2I; d->ik = I_LU; break;
    case RV_OP_FCVT_S_W: case RV_OP_FCVT_D_W:
        S_OR_D(FCVT_S_W); d->kind = K_I2F; d->ik = I_W; break;
    case RV_OP_FCVT_S_WU: case RV_OP_FCVT_D_WU:
        S_OR_D(FCVT_S_WU); d->kind = K_I2F; d->ik = I_WU; break;
    case RV_OP_FCVT_S_L: case RV_OP_FCVT_D_L:
        S_OR_D(FCVT_S_L); d->kind = K_I2F; d->ik = I_L; break;
    case RV_OP_FCVT_S_LU: case RV_OP_FCVT_D_LU:
        S_OR_D(FCVT_S_LU); d->kind = K_I2F; d->ik = I_LU; break;
    case RV_OP_FCVT_D_S: d->kind = K_F2F; d->dbl = false; break;
    case RV_OP_FCVT_S_D: d->kind = K_F2F; d->dbl = true; break;
    case RV_OP_FMV_X_W: d->kind = K_MV_X; d->dbl = false; break;
    case RV_OP_FMV_X_D: d->kind = K_MV_X; d->dbl = true; break;
    case RV_OP_FMV_W_X: d->kind = K_MV_F; d->dbl = false; break;
    case RV_OP_FMV_D_X: d->kind = K_MV_F; d->dbl = true; break;
    default:
        return false;   /* loads/stores, fclass, not FP */
    }
#undef S_OR_D
    switch (d->kind) {
    case K_ARITH: case K_SGNJ: case K_MINMAX: case K_CMP: d->n_src = 2; break;
    case K_FMA: d->n_src = 3; break;
    case K_SQRT: case K_F2I: case K_F2F: case K_MV_X: d->n_src = 1; break;
    default: d->n_src = 0; break;
    }
    switch (d->kind) {
    case K_ARITH: case K_SQRT: case K_FMA:
        d->rm = R_RNE;
        break;
    case K_F2I:
        d->rm = R_RNE_RTZ;
        break;
    case K_I2F:
        /* an int32 always fits a double exactly */
        d->rm = d->dbl && (d->ik == I_W || d->ik == I_WU) ? R_ANY : R_RNE;
        break;
    case K_F2F:
        d->rm = d->dbl ? R_RNE : R_ANY;         /* fcvt.d.s is exact */
        break;
    default:
        break;
    }
    return true;
}

/* ---- emission ---- */

typedef struct Fp {
    X86Buf *b;
    const RvJitFpEnv *env;
    uint8_t **slots;
    unsigned *n_slots;
} Fp;

static X86Mem cpu_at(int32_t off)
{
    return x86_mem(X86_RBX, off);
}

/* Jump to the slow path if condition `cc` holds. */
static void slow_if(Fp *f, int cc)
{
    if (*f->n_slots >= RV_JIT_FP_MAX_SLOTS) {
        /* a bug in this file, not guest behaviour: the counts are fixed */
        __builtin_trap();
    }
    f->slots[(*f->n_slots)++] = x86_jcc32(f->b, cc);
}

/* Single-precision register r must be NaN-boxed: its upper word all ones. */
static void check_boxed(Fp *f, unsigned r)
{
    x86_cmp_mem32_imm8(f->b, cpu_at(F_OFF(r) + 4), -1);
    slow_if(f, X86_CC_NE);
}

/* The checks every instruction starts with: FS not Off, the rounding
 * mode (when dynamic: the static ones were vetted by the caller), and
 * NaN-boxed single sources. */
static void emit_checks(Fp *f, const RvInsn *in, const FpOp *d)
{
    x86_test_mem32_imm(f->b, cpu_at(MSTATUS_OFF), MSTATUS_FS);
    slow_if(f, X86_CC_E);
    if (in->rm == RM_DYN && d->rm != R_NONE) {
        /* R_ANY: any valid mode; frm 5-7 make the instruction illegal */
        x86_cmp_mem32_imm8(f->b, cpu_at(FRM_OFF), d->rm == R_ANY ? 4 : 0);
        slow_if(f, d->rm == R_ANY ? X86_CC_A : X86_CC_NE);
    }
    if (!d->dbl && d->kind != K_I2F && d->kind != K_MV_X && d->kind != K_MV_F) {
        const uint8_t src[3] = { in->rs1, in->rs2, in->rs3 };
        for (unsigned i = 0; i < d->n_src; i++) {
            bool seen = false;
            for (unsigned j = 0; j < i; j++) {
                seen |= src[j] == src[i];
            }
            if (!seen) {
                check_boxed(f, src[i]);
            }
        }
    }
}

/*
 * Before an operation whose flags matter.  While fflags.NX is set, a
 * stale inexact in MXCSR cannot make a difference and nothing is done
 * (other stale flags just send this instruction down the slow path).
 * While it is clear, the inexact seen afterwards must be this
 * operation's own: clear MXCSR's flags first if any is set (ldmxcsr is
 * slow, so only then).  Uses no register.
 */
static void mxcsr_prepare(Fp *f)
{
    X86Buf *b = f->b;

    x86_test_mem8_imm(b, cpu_at(FFLAGS_OFF), FL_NX);
    uint8_t *nx_set = x86_jcc32(b, X86_CC_NE);
    x86_stmxcsr(b, cpu_at(SCRATCH_OFF));
    x86_test_mem8_imm(b, cpu_at(SCRATCH_OFF), MXCSR_FLAGS & ~MXCSR_DE);
    uint8_t *clean = x86_jcc32(b, X86_CC_E);
    x86_alu_mem32_imm(b, X86_AND, cpu_at(SCRATCH_OFF), ~(int32_t)MXCSR_FLAGS);
    x86_ldmxcsr(b, cpu_at(SCRATCH_OFF));
    x86_patch_rel32(nx_set, b->p);
    x86_patch_rel32(clean, b->p);
}

/*
 * After the operation: MXCSR must be the default apart from inexact and
 * denormal, else the slow path (invalid, divide by zero, overflow,
 * underflow, or a host rounding mode / FTZ / DAZ / unmasked exception we
 * did not expect).  Leaves edx = 1 if inexact (to OR into fflags), else 0.
 */
static void mxcsr_check(Fp *f)
{
    X86Buf *b = f->b;

    x86_stmxcsr(b, cpu_at(SCRATCH_OFF));
    x86_load(b, 4, false, X86_RCX, cpu_at(SCRATCH_OFF));
    x86_mov_rr32(b, X86_RDX, X86_RCX);
    x86_alu_ri(b, false, X86_AND, X86_RCX, ~(int32_t)(MXCSR_PE | MXCSR_DE));
    x86_alu_ri(b, false, X86_CMP, X86_RCX, MXCSR_DEFAULT);
    slow_if(f, X86_CC_NE);
    x86_shift_ri(b, false, X86_SHR, X86_RDX, 5);
    x86_alu_ri(b, false, X86_AND, X86_RDX, 1);
}

/* A NaN in xmm0 goes the slow path (it makes the canonical NaN). */
static void nan_check(Fp *f, bool dbl)
{
    x86_ucomis_rr(f->b, dbl, 0, 0);
    slow_if(f, X86_CC_P);
}

/* rax |= the NaN box (rcx clobbered) */
static void box_rax(Fp *f)
{
    x86_mov_imm(f->b, X86_RCX, BOX_S);
    x86_alu_rr(f->b, true, X86_OR, X86_RAX, X86_RCX);
}

/* f[rd] = xmm0 (singles boxed) */
static void write_f_xmm0(Fp *f, unsigned rd, bool dbl)
{
    if (dbl) {
        x86_fp_store(f->b, true, cpu_at(F_OFF(rd)), 0);
    } else {
        x86_mov_from_xmm(f->b, false, X86_RAX, 0);
        box_rax(f);
        x86_store64(f->b, cpu_at(F_OFF(rd)), X86_RAX);
    }
}

static void or_inexact(Fp *f)
{
    x86_alu_mem32_r(f->b, X86_OR, cpu_at(FFLAGS_OFF), X86_RDX);
}

static void set_dirty(Fp *f)
{
    x86_alu_mem32_imm(f->b, X86_OR, cpu_at(MSTATUS_OFF), (int32_t)MSTATUS_FS);
}

/* Is f[r] in xmm7 (RvJitFpEnv.xmm7), in this precision? */
static bool in_xmm7(const Fp *f, unsigned r, bool dbl)
{
    return f->env->xmm7 && *f->env->xmm7 == rv_jit_fp_xmm7(r, dbl);
}

/* xmm = f[r], from xmm7 when it is there */
static void load_src(Fp *f, bool dbl, int xmm, unsigned r)
{
    if (in_xmm7(f, r, dbl)) {
        x86_fp_copy(f->b, xmm, 7);
    } else {
        x86_fp_load(f->b, dbl, xmm, cpu_at(F_OFF(r)));
    }
}

void rv_jit_fp_reload_xmm7(X86Buf *b, int holds)
{
    if (holds >= 0) {
        x86_fp_load(b, holds & 1, 7, cpu_at(F_OFF(holds >> 1)));
    }
}

static void emit_arith(Fp *f, const RvInsn *in, const FpOp *d)
{
    X86Buf *b = f->b;

    switch (d->kind) {
    case K_ARITH:
        load_src(f, d->dbl, 0, in->rs1);
        mxcsr_prepare(f);
        if (in_xmm7(f, in->rs2, d->dbl)) {
            x86_fp_arith_rr(b, d->dbl, d->sub, 0, 7);
        } else {
            x86_fp_arith_rm(b, d->dbl, d->sub, 0, cpu_at(F_OFF(in->rs2)));
        }
        break;
    case K_SQRT:
        load_src(f, d->dbl, 0, in->rs1);
        mxcsr_prepare(f);
        x86_fp_arith_rr(b, d->dbl, X86_FP_SQRT, 0, 0);
        break;
    default:        /* K_FMA: xmm0 = ±(xmm1 * xmm0) ± xmm2 */
        load_src(f, d->dbl, 0, in->rs1);
        load_src(f, d->dbl, 1, in->rs2);
        load_src(f, d->dbl, 2, in->rs3);
        mxcsr_prepare(f);
        x86_vfma_rrr(b, d->dbl, d->sub, 0, 1, 2);
        break;
    }
    mxcsr_check(f);
    nan_check(f, d->dbl);
    write_f_xmm0(f, in->rd, d->dbl);
    or_inexact(f);
    set_dirty(f);
    if (f->env->xmm7) {
        x86_fp_copy(b, 7, 0);           /* the result, for the next one */
        *f->env->xmm7 = rv_jit_fp_xmm7(in->rd, d->dbl);
    }
}

/* Sign injection: pure bit operations, no flags.  rax = rs1, rcx = rs2. */
static void emit_sgnj(Fp *f, const RvInsn *in, const FpOp *d)
{
    X86Buf *b = f->b;
    unsigned sign = d->dbl ? 63 : 31;

    x86_load64(b, X86_RAX, cpu_at(F_OFF(in->rs1)));
    x86_load64(b, X86_RCX, cpu_at(F_OFF(in->rs2)));
    if (d->sub != SGNJX) {
        x86_bt_ri(b, true, X86_BTR, X86_RAX, sign);
    }
    /* rcx = the sign bit of rs2 alone (a single's box stays in rax) */
    x86_shift_ri(b, true, X86_SHR, X86_RCX, sign);
    if (!d->dbl) {
        x86_alu_ri(b, false, X86_AND, X86_RCX, 1);      /* drop the box */
    }
    if (d->sub == SGNJN) {
        x86_alu_ri(b, false, X86_XOR, X86_RCX, 1);
    }
    x86_shift_ri(b, true, X86_SHL, X86_RCX, sign);
    x86_alu_rr(b, true, d->sub == SGNJX ? X86_XOR : X86_OR, X86_RAX, X86_RCX);
    x86_store64(b, cpu_at(F_OFF(in->rd)), X86_RAX);
    set_dirty(f);
}

/*
 * fmin/fmax: a NaN operand goes the slow path (sNaN raises invalid, one
 * NaN gives the other operand, two give the canonical NaN).  Equal
 * operands are identical bits except for -0 and +0, where min is the OR
 * of the two (the negative one) and max the AND; different ones are
 * ordered, where minsd/maxsd are right.  No flags.
 */
static void emit_minmax(Fp *f, const RvInsn *in, const FpOp *d)
{
    X86Buf *b = f->b;
    bool max = d->sub;

    x86_fp_load(b, d->dbl, 0, cpu_at(F_OFF(in->rs1)));
    x86_ucomis_rm(b, d->dbl, 0, cpu_at(F_OFF(in->rs2)));
    slow_if(f, X86_CC_P);
    uint8_t *differ = x86_jcc32(b, X86_CC_NE);
    x86_load64(b, X86_RAX, cpu_at(F_OFF(in->rs1)));
    x86_alu_rm(b, max ? X86_AND : X86_OR, X86_RAX, cpu_at(F_OFF(in->rs2)));
    uint8_t *store = x86_jmp32(b);
    x86_patch_rel32(differ, b->p);
    x86_fp_arith_rm(b, d->dbl, max ? X86_FP_MAX : X86_FP_MIN, 0, cpu_at(F_OFF(in->rs2)));
    x86_mov_from_xmm(b, d->dbl, X86_RAX, 0);
    if (!d->dbl) {
        box_rax(f);
    }
    x86_patch_rel32(store, b->p);
    x86_store64(b, cpu_at(F_OFF(in->rd)), X86_RAX);
    set_dirty(f);
}

/* feq/flt/fle: a NaN operand goes the slow path (flags differ by kind);
 * otherwise the compare raises nothing. */
static void emit_cmp(Fp *f, const RvInsn *in, const FpOp *d)
{
    X86Buf *b = f->b;

    x86_fp_load(b, d->dbl, 0, cpu_at(F_OFF(in->rs1)));
    x86_ucomis_rm(b, d->dbl, 0, cpu_at(F_OFF(in->rs2)));
    slow_if(f, X86_CC_P);
    x86_setcc(b, d->sub, X86_RAX);
    set_dirty(f);
    f->env->set_x(f->env->ctx, b, in->rd, X86_RAX);
}

/*
 * Float to integer.  cvt(t)s?2si gives the integer indefinite and invalid
 * for NaN and out-of-range values (slow path, which saturates); unsigned
 * kinds convert to int64 and check the range themselves.  W results are
 * sign-extended, WU ones too (RISC-V keeps 32-bit values sign-extended).
 */
static void emit_f2i(Fp *f, const RvInsn *in, const FpOp *d)
{
    X86Buf *b = f->b;
    bool trunc = in->rm == RM_RTZ;

    mxcsr_prepare(f);
    x86_cvt_fp2int_rm(b, d->dbl, trunc, d->ik != I_W, X86_RAX, cpu_at(F_OFF(in->rs1)));
    mxcsr_check(f);
    switch (d->ik) {
    case I_W:
        x86_movsxd(b, X86_RAX, X86_RAX);
        break;
    case I_WU:
        x86_mov_rr(b, X86_RCX, X86_RAX);
        x86_shift_ri(b, true, X86_SHR, X86_RCX, 32);
        slow_if(f, X86_CC_NE);              /* negative or >= 2^32 */
        x86_movsxd(b, X86_RAX, X86_RAX);
        break;
    case I_L:
        break;
    default:                                /* I_LU */
        x86_test_rr(b, true, X86_RAX, X86_RAX);
        slow_if(f, X86_CC_S);               /* negative (>= 2^63: invalid) */
        break;
    }
    or_inexact(f);
    set_dirty(f);
    f->env->set_x(f->env->ctx, b, in->rd, X86_RAX);
}

/* Integer to float.  Unsigned 32-bit values convert exactly as int64;
 * unsigned 64-bit ones with the top bit set go the slow path. */
static void emit_i2f(Fp *f, const RvInsn *in, const FpOp *d)
{
    X86Buf *b = f->b;
    bool exact = d->rm == R_ANY;

    /* rax = x[rs1] already (rv_jit_fp_emit) */
    if (d->ik == I_WU) {
        x86_mov_rr32(b, X86_RAX, X86_RAX);
    } else if (d->ik == I_LU) {
        x86_test_rr(b, true, X86_RAX, X86_RAX);
        slow_if(f, X86_CC_S);
    }
    x86_xorps(b, 0, 0);
    if (!exact) {
        mxcsr_prepare(f);
    }
    x86_cvt_int2fp(b, d->dbl, d->ik != I_W, 0, X86_RAX);
    if (!exact) {
        mxcsr_check(f);
    }
    write_f_xmm0(f, in->rd, d->dbl);
    if (!exact) {
        or_inexact(f);
    }
    set_dirty(f);
}

/* fcvt.d.s (exact: only a NaN needs care; an sNaN's invalid is left to
 * the slow path the NaN result takes) and fcvt.s.d (rounds). */
static void emit_f2f(Fp *f, const RvInsn *in, const FpOp *d)
{
    X86Buf *b = f->b;
    bool to_dbl = !d->dbl;

    if (to_dbl) {
        x86_xorps(b, 0, 0);
        x86_cvt_fp_rm(b, true, 0, cpu_at(F_OFF(in->rs1)));
    } else {
        x86_xorps(b, 0, 0);
        mxcsr_prepare(f);
        x86_cvt_fp_rm(b, false, 0, cpu_at(F_OFF(in->rs1)));
        mxcsr_check(f);
    }
    nan_check(f, to_dbl);
    write_f_xmm0(f, in->rd, to_dbl);
    if (!to_dbl) {
        or_inexact(f);
    }
    set_dirty(f);
}

/* fmv.x.w (sign-extended low word, boxed or not) and fmv.x.d. */
static void emit_mv_x(Fp *f, const RvInsn *in, const FpOp *d)
{
    x86_load(f->b, d->dbl ? 8 : 4, true, X86_RAX, cpu_at(F_OFF(in->rs1)));
    set_dirty(f);
    f->env->set_x(f->env->ctx, f->b, in->rd, X86_RAX);
}

/* fmv.w.x (boxed low word) and fmv.d.x; rax = x[rs1] already. */
static void emit_mv_f(Fp *f, const RvInsn *in, const FpOp *d)
{
    if (!d->dbl) {
        x86_mov_rr32(f->b, X86_RAX, X86_RAX);
        box_rax(f);
    }
    x86_store64(f->b, cpu_at(F_OFF(in->rd)), X86_RAX);
    set_dirty(f);
}

bool rv_jit_fp_emit(X86Buf *b, const RvInsn *in, const RvJitFpEnv *env,
                    uint8_t **slots, unsigned *n_slots)
{
    FpOp d;
    Fp f = { b, env, slots, n_slots };

    if (!describe(in->op, &d)) {
        return false;
    }
    if (d.kind == K_FMA && !host_has_fma()) {
        return false;
    }
    /* static rounding modes the fast path cannot do (5 and 6 decode as
     * illegal; R_NONE operations have rm = 0) */
    if (in->rm != RM_DYN) {
        if ((d.rm == R_RNE && in->rm != RM_RNE) ||
            (d.rm == R_RNE_RTZ && in->rm != RM_RNE && in->rm != RM_RTZ)) {
            return false;
        }
    }
    /* get_x comes before anything else is live */
    if (d.kind == K_MV_F || d.kind == K_I2F) {
        env->get_x(env->ctx, b, X86_RAX, in->rs1);
    }
    emit_checks(&f, in, &d);
    switch (d.kind) {
    case K_ARITH: case K_SQRT: case K_FMA: emit_arith(&f, in, &d); break;
    case K_SGNJ: emit_sgnj(&f, in, &d); break;
    case K_MINMAX: emit_minmax(&f, in, &d); break;
    case K_CMP: emit_cmp(&f, in, &d); break;
    case K_F2I: emit_f2i(&f, in, &d); break;
    case K_I2F: emit_i2f(&f, in, &d); break;
    case K_F2F: emit_f2f(&f, in, &d); break;
    case K_MV_X: emit_mv_x(&f, in, &d); break;
    case K_MV_F: emit_mv_f(&f, in, &d); break;
    }
    /* the others that write f[rd] leave xmm7 as it was: not f[rd] now */
    bool writes_f = d.kind == K_SGNJ || d.kind == K_MINMAX || d.kind == K_I2F ||
                    d.kind == K_F2F || d.kind == K_MV_F;
    if (writes_f && env->xmm7 && *env->xmm7 >= 0 &&
        (unsigned)(*env->xmm7 >> 1) == in->rd) {
        *env->xmm7 = -1;
    }
    return true;
}

#else /* !__x86_64__ */

bool rv_jit_fp_emit(X86Buf *b, const RvInsn *in, const RvJitFpEnv *env,
                    uint8_t **slots, unsigned *n_slots)
{
    return false;
}

void rv_jit_fp_reload_xmm7(X86Buf *b, int holds)
{
}

#endif
