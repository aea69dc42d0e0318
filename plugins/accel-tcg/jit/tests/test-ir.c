/*
 * test-ir.c - unit tests of the JIT's target-independent half.
 *
 *  - tcg_eval, the meaning of every pure op, against references written
 *    here from the RISC-V M extension's rules and plain C (__int128 for
 *    the high products), on corner values and random ones;
 *  - the optimiser on small hand-built blocks, asserting on the ops it
 *    leaves (constant and pc-relative folding, copy propagation, dead
 *    code, constant branches, what GLOBALS target ops forget);
 *  - random blocks (with side exits, loads, stores and target ops) run
 *    by a small IR interpreter (below) before and after tcg_ir_optimise,
 *    which must agree on the globals, the memory, where the block leaves
 *    to and, when a memory op faults, the state at the fault;
 *  - on x86-64 hosts, the backend (x86-lower.c) run natively against the
 *    same interpreter: every pure op in several operand shapes on corner
 *    values, and random blocks that stress register allocation (pinned
 *    globals, locals in registers and spill slots, helper calls that
 *    clobber the caller-saved registers).  The generated code starts
 *    with garbage in every register the backend may not rely on.
 */
#include "ir.h"
#include "x86-lower.h"

#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ------------------------------------------------------------------ */
/* Random numbers: GLib's generator, seeded per test (g_test_rand_*).   */

static uint64_t rand64(void)
{
    return (uint64_t)g_test_rand_int() << 32 ^ (uint32_t)g_test_rand_int();
}

static unsigned below(unsigned n)
{
    return (unsigned)g_test_rand_int_range(0, (int32_t)n);
}

static uint64_t sext32(uint64_t v)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

/* ------------------------------------------------------------------ */
/* 1. tcg_eval                                                          */

/*
 * The reference: the M extension's division table (divide by zero gives
 * a quotient of all ones and the dividend as remainder; the signed
 * overflow -2^(L-1) / -1 gives -2^(L-1) and remainder 0), the W forms
 * working on the low 32 bits and sign-extending the 32-bit result.
 */
static uint64_t ref_div(TcgOpc opc, unsigned bits, uint64_t a, uint64_t b)
{
    bool sign = opc == TCG_OP_DIV || opc == TCG_OP_REM;
    bool rem = opc == TCG_OP_REM || opc == TCG_OP_REMU;
    uint64_t r;

    if (bits == 32) {
        if (sign) {
            int32_t x = (int32_t)(uint32_t)a, y = (int32_t)(uint32_t)b;
            if (y == 0) {
                r = rem ? (uint64_t)(int64_t)x : UINT64_MAX;
            } else if (x == INT32_MIN && y == -1) {
                r = rem ? 0 : (uint64_t)(int64_t)INT32_MIN;
            } else {
                r = (uint64_t)(int64_t)(rem ? x % y : x / y);
            }
        } else {
            uint32_t x = (uint32_t)a, y = (uint32_t)b;
            if (y == 0) {
                r = rem ? x : UINT32_MAX;
            } else {
                r = rem ? x % y : x / y;
            }
        }
        return sext32(r);
    }
    if (sign) {
        int64_t x = (int64_t)a, y = (int64_t)b;
        if (y == 0) {
            return rem ? a : UINT64_MAX;
        }
        if (x == INT64_MIN && y == -1) {
            return rem ? 0 : (uint64_t)INT64_MIN;
        }
        return (uint64_t)(rem ? x % y : x / y);
    }
    if (b == 0) {
        return rem ? a : UINT64_MAX;
    }
    return rem ? a % b : a / b;
}

static bool ref_cond(TcgCond c, uint64_t a, uint64_t b)
{
    switch (c) {
    case TCG_EQ: return a == b;
    case TCG_NE: return a != b;
    case TCG_LT: return (int64_t)a < (int64_t)b;
    case TCG_GE: return !((int64_t)a < (int64_t)b);
    case TCG_LTU: return a < b;
    case TCG_GEU: return !(a < b);
    }
    g_assert_not_reached();
}

/* The value of a pure op, from C and the RISC-V rules. */
static uint64_t ref_op(TcgOpc opc, bool w, TcgCond cond, uint64_t a, uint64_t b)
{
    __int128 sa = (int64_t)a, sb = (int64_t)b;
    unsigned __int128 ua = a, ub = b;

    if (w) {
        uint32_t x = (uint32_t)a, y = (uint32_t)b;
        switch (opc) {
        case TCG_OP_ADD: return sext32(x + y);
        case TCG_OP_SUB: return sext32(x - y);
        case TCG_OP_AND: return sext32(x & y);
        case TCG_OP_OR: return sext32(x | y);
        case TCG_OP_XOR: return sext32(x ^ y);
        case TCG_OP_SHL: return sext32(x << (y & 31));
        case TCG_OP_SHR: return sext32(x >> (y & 31));
        case TCG_OP_SAR: return (uint64_t)(int64_t)((int32_t)x >> (y & 31));
        case TCG_OP_MUL: return sext32((uint32_t)((uint64_t)x * y));
        case TCG_OP_DIV: case TCG_OP_DIVU: case TCG_OP_REM: case TCG_OP_REMU:
            return ref_div(opc, 32, a, b);
        default:
            g_assert_not_reached();
        }
    }
    switch (opc) {
    case TCG_OP_MOV: return a;
    case TCG_OP_ADD: return a + b;
    case TCG_OP_SUB: return a - b;
    case TCG_OP_AND: return a & b;
    case TCG_OP_OR: return a | b;
    case TCG_OP_XOR: return a ^ b;
    case TCG_OP_SHL: return a << (b & 63);
    case TCG_OP_SHR: return a >> (b & 63);
    case TCG_OP_SAR: return (uint64_t)((int64_t)a >> (b & 63));
    case TCG_OP_MUL: return a * b;
    case TCG_OP_MULH: return (uint64_t)((unsigned __int128)(sa * sb) >> 64);
    case TCG_OP_MULHU: return (uint64_t)((ua * ub) >> 64);
    case TCG_OP_MULHSU: return (uint64_t)((unsigned __int128)(sa * (__int128)ub) >> 64);
    case TCG_OP_DIV: case TCG_OP_DIVU: case TCG_OP_REM: case TCG_OP_REMU:
        return ref_div(opc, 64, a, b);
    case TCG_OP_SETCOND: return ref_cond(cond, a, b);
    default:
        g_assert_not_reached();
    }
}

/* The ops that have a W form in RISC-V (plus the bitwise ones, which
 * the optimiser treats specially). */
static bool has_w(TcgOpc opc)
{
    switch (opc) {
    case TCG_OP_ADD: case TCG_OP_SUB: case TCG_OP_AND: case TCG_OP_OR:
    case TCG_OP_XOR: case TCG_OP_SHL: case TCG_OP_SHR: case TCG_OP_SAR:
    case TCG_OP_MUL: case TCG_OP_DIV: case TCG_OP_DIVU: case TCG_OP_REM:
    case TCG_OP_REMU:
        return true;
    default:
        return false;
    }
}

static const uint64_t corner[] = {
    0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff,
    0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000,
    0x17fffffff, 0xfffffffe00000000,
    (uint64_t)INT64_MAX, (uint64_t)INT64_MIN, (uint64_t)INT64_MIN + 1,
    (uint64_t)-1, (uint64_t)-2, (uint64_t)-3, (uint64_t)-7, (uint64_t)-64,
    0xffffffff80000000, 0xffffffff7fffffff, 0x123456789abcdef0,
};
#define N_CORNER (sizeof(corner) / sizeof(corner[0]))

static void check_eval(TcgOpc opc, bool w, TcgCond cond, uint64_t a, uint64_t b)
{
    uint64_t got = tcg_eval(opc, w ? TCG_F_W : 0, cond, a, b);
    uint64_t want = ref_op(opc, w, cond, a, b);
    if (got != want) {
        g_test_message("op %d%s cond %d (0x%" PRIx64 ", 0x%" PRIx64 "): 0x%" PRIx64
                       ", want 0x%" PRIx64, opc, w ? "_w" : "", cond, a, b, got, want);
    }
    g_assert_cmphex(got, ==, want);
}

/* Every pure op and form on every pair of corner values and on random
 * pairs (plain and with small second operands, as shift counts). */
static void test_eval_all(void)
{
    for (TcgOpc opc = TCG_OP_MOV; opc <= TCG_OP_SETCOND; opc++) {
        unsigned n_cond = opc == TCG_OP_SETCOND ? 6 : 1;
        for (unsigned w = 0; w <= (has_w(opc) ? 1u : 0u); w++) {
            for (unsigned c = 0; c < n_cond; c++) {
                for (unsigned i = 0; i < N_CORNER; i++) {
                    for (unsigned j = 0; j < N_CORNER; j++) {
                        check_eval(opc, w, (TcgCond)c, corner[i], corner[j]);
                    }
                }
                for (unsigned k = 0; k < 2000; k++) {
                    uint64_t a = rand64(), b = rand64();
                    check_eval(opc, w, (TcgCond)c, a, b);
                    check_eval(opc, w, (TcgCond)c, a, b & 127);
                    check_eval(opc, w, (TcgCond)c, a, sext32(b));
                }
            }
        }
    }
}

/* Values worked out by hand from the spec, so the reference above is not
 * the only witness. */
static void test_eval_known(void)
{
    static const struct {
        TcgOpc opc;
        bool w;
        uint64_t a, b, r;
    } v[] = {
        /* division by zero */
        { TCG_OP_DIV, false, 42, 0, UINT64_MAX },
        { TCG_OP_DIVU, false, 42, 0, UINT64_MAX },
        { TCG_OP_REM, false, (uint64_t)-42, 0, (uint64_t)-42 },
        { TCG_OP_REMU, false, 42, 0, 42 },
        { TCG_OP_DIV, true, 0x1234500000007, 0x100000000, UINT64_MAX },
        { TCG_OP_DIVU, true, 7, 0xffffffff00000000, UINT64_MAX },
        { TCG_OP_REM, true, 0x1234580000007, 0, 0xffffffff80000007 },
        { TCG_OP_REMU, true, 0x1234580000007, 0, 0xffffffff80000007 },
        /* signed overflow */
        { TCG_OP_DIV, false, (uint64_t)INT64_MIN, (uint64_t)-1, (uint64_t)INT64_MIN },
        { TCG_OP_REM, false, (uint64_t)INT64_MIN, (uint64_t)-1, 0 },
        { TCG_OP_DIV, true, 0x80000000, 0xffffffff, 0xffffffff80000000 },
        { TCG_OP_REM, true, 0x80000000, 0xffffffff, 0 },
        /* rounding toward zero, remainder takes the dividend's sign */
        { TCG_OP_DIV, false, (uint64_t)-7, 2, (uint64_t)-3 },
        { TCG_OP_REM, false, (uint64_t)-7, 2, (uint64_t)-1 },
        { TCG_OP_REM, false, 7, (uint64_t)-2, 1 },
        { TCG_OP_DIVU, false, (uint64_t)-7, 2, 0x7ffffffffffffffc },
        /* high products */
        { TCG_OP_MULH, false, (uint64_t)-1, (uint64_t)-1, 0 },
        { TCG_OP_MULHU, false, (uint64_t)-1, (uint64_t)-1, 0xfffffffffffffffe },
        { TCG_OP_MULHSU, false, (uint64_t)-1, (uint64_t)-1, UINT64_MAX },
        { TCG_OP_MULHSU, false, 2, (uint64_t)-1, 1 },
        { TCG_OP_MULH, false, (uint64_t)INT64_MIN, (uint64_t)INT64_MIN, 0x4000000000000000 },
        { TCG_OP_MULH, false, (uint64_t)INT64_MIN, 1, UINT64_MAX },
        /* W forms: low 32 bits in, sign-extended 32 bits out */
        { TCG_OP_ADD, true, 0x7fffffff, 1, 0xffffffff80000000 },
        { TCG_OP_SHL, true, 1, 31 + 32, 0xffffffff80000000 },
        { TCG_OP_SHR, true, 0xffffffff80000000, 4, 0x08000000 },
        { TCG_OP_SHR, true, 0x80000000, 0, 0xffffffff80000000 },
        { TCG_OP_SAR, true, 0x80000000, 4, 0xfffffffff8000000 },
        { TCG_OP_MUL, true, 0x10000, 0x8000, 0xffffffff80000000 },
        { TCG_OP_SHR, false, 0x8000000000000000, 64 + 63, 1 },
    };

    for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        g_assert_cmphex(tcg_eval(v[i].opc, v[i].w ? TCG_F_W : 0, TCG_EQ,
                                 v[i].a, v[i].b), ==, v[i].r);
    }
    g_assert_true(tcg_cond_holds(TCG_LT, (uint64_t)-1, 0));
    g_assert_false(tcg_cond_holds(TCG_LTU, (uint64_t)-1, 0));
    g_assert_true(tcg_cond_holds(TCG_GEU, (uint64_t)-1, 0));
    g_assert_true(tcg_cond_holds(TCG_GE, 5, 5));
    g_assert_true(tcg_op_is_pure(TCG_OP_MOV) && tcg_op_is_pure(TCG_OP_SETCOND));
    g_assert_false(tcg_op_is_pure(TCG_OP_LD) || tcg_op_is_pure(TCG_OP_INSN) ||
                   tcg_op_is_pure(TCG_OP_TARGET) || tcg_op_is_pure(TCG_OP_NOP));
}

/* ------------------------------------------------------------------ */
/* 2. The optimiser on hand-built blocks                                */

static TcgBlock *block_new(unsigned n_globals)
{
    TcgBlock *blk = g_new0(TcgBlock, 1);
    tcg_ir_init(blk, n_globals, NULL);
    return blk;
}

static TcgOp *emit(TcgBlock *blk, TcgOpc opc, TcgTemp d, TcgArg a, TcgArg b)
{
    return tcg_ir_binop(blk, 0, opc, false, d, a, b);
}

static TcgOp *emit_w(TcgBlock *blk, TcgOpc opc, TcgTemp d, TcgArg a, TcgArg b)
{
    return tcg_ir_binop(blk, 0, opc, true, d, a, b);
}

static TcgOp *emit_goto(TcgBlock *blk, int64_t off)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_GOTO, 0);
    op->imm = off;
    return op;
}

static TcgOp *emit_ld(TcgBlock *blk, TcgTemp d, TcgArg addr)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_LD, 0);
    op->d = d;
    op->a = addr;
    op->aux = 8;
    return op;
}

static TcgOp *emit_target(TcgBlock *blk, unsigned eff, TcgTemp d)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_TARGET, 0);
    op->eff = (uint8_t)eff;
    op->aux = 1;
    op->d = d;
    return op;
}

static TcgArg none(void)
{
    return (TcgArg){ .kind = TCG_ARG_NONE };
}

/* The ops the optimiser kept (neither NOP nor INSN), in order. */
static unsigned kept(const TcgBlock *blk, const TcgOp **out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        if (op->opc != TCG_OP_NOP && op->opc != TCG_OP_INSN) {
            g_assert_cmpuint(n, <, max);
            out[n++] = op;
        }
    }
    return n;
}

static void assert_arg(const TcgArg *a, TcgArgKind kind, int64_t v)
{
    g_assert_cmpint(a->kind, ==, kind);
    if (kind == TCG_ARG_TEMP) {
        g_assert_cmpint(a->t, ==, v);
    } else {
        g_assert_cmpint(a->c, ==, v);
    }
}

static void assert_move(const TcgOp *op, TcgTemp d, TcgArgKind kind, int64_t v)
{
    g_assert_cmpint(op->opc, ==, TCG_OP_MOV);
    g_assert_cmpint(op->d, ==, d);
    assert_arg(&op->a, kind, v);
}

/* movi + add -> one move of the sum; W folding sign-extends. */
static void test_opt_const(void)
{
    TcgBlock *blk = block_new(4);
    const TcgOp *k[16];
    TcgTemp t = tcg_ir_local(blk);

    emit(blk, TCG_OP_MOV, t, tcg_const(5), none());
    emit(blk, TCG_OP_ADD, 1, tcg_temp(t), tcg_const(7));
    emit(blk, TCG_OP_MOV, 2, tcg_const(0x7fffffff), none());
    emit_w(blk, TCG_OP_ADD, 3, tcg_temp(2), tcg_const(1));
    emit_goto(blk, 4);
    tcg_ir_optimise(blk);

    g_assert_cmpuint(kept(blk, k, 16), ==, 4);
    assert_move(k[0], 1, TCG_ARG_CONST, 12);
    assert_move(k[1], 2, TCG_ARG_CONST, 0x7fffffff);
    assert_move(k[2], 3, TCG_ARG_CONST, (int64_t)0xffffffff80000000);
    g_assert_cmpint(k[2]->flags, ==, 0);
    g_assert_cmpint(k[3]->opc, ==, TCG_OP_GOTO);
    g_assert_cmpint(k[3]->imm, ==, 4);
    g_free(blk);
}

/* pc-relative values: an AUIPC + ADDI + JALR-style sequence becomes a
 * direct jump; differences of pc values are constants; W forms and
 * ordered compares of pc values are left alone (they depend on the pc). */
static void test_opt_pcrel(void)
{
    TcgBlock *blk = block_new(12);
    const TcgOp *k[16];

    emit(blk, TCG_OP_MOV, 1, tcg_pcrel(8), none());
    emit(blk, TCG_OP_ADD, 2, tcg_temp(1), tcg_const(4));
    emit(blk, TCG_OP_AND, 3, tcg_temp(2), tcg_const(-2));
    emit(blk, TCG_OP_SUB, 4, tcg_temp(3), tcg_temp(1));
    TcgOp *eq = emit(blk, TCG_OP_SETCOND, 5, tcg_temp(2), tcg_temp(3));
    eq->cond = TCG_EQ;
    emit_w(blk, TCG_OP_ADD, 6, tcg_temp(1), tcg_const(4));
    TcgOp *ltu = emit(blk, TCG_OP_SETCOND, 7, tcg_temp(2), tcg_temp(1));
    ltu->cond = TCG_LTU;
    emit(blk, TCG_OP_ADD, 8, tcg_const(-3), tcg_temp(1));     /* pc+5 */
    emit(blk, TCG_OP_AND, 9, tcg_temp(8), tcg_const(-2));     /* pc+4 */
    emit(blk, TCG_OP_SUB, 10, tcg_temp(9), tcg_const(0x100000000));
    TcgOp *jr = tcg_ir_op(blk, TCG_OP_GOTO_PTR, 0);
    jr->a = tcg_temp(3);
    tcg_ir_optimise(blk);

    g_assert_cmpuint(kept(blk, k, 16), ==, 11);
    assert_move(k[0], 1, TCG_ARG_PCREL, 8);
    assert_move(k[1], 2, TCG_ARG_PCREL, 12);
    assert_move(k[2], 3, TCG_ARG_PCREL, 12);
    assert_move(k[3], 4, TCG_ARG_CONST, 4);
    assert_move(k[4], 5, TCG_ARG_CONST, 1);
    g_assert_cmpint(k[5]->opc, ==, TCG_OP_ADD);
    g_assert_true(k[5]->flags & TCG_F_W);
    assert_arg(&k[5]->a, TCG_ARG_PCREL, 8);
    assert_arg(&k[5]->b, TCG_ARG_CONST, 4);
    g_assert_cmpint(k[6]->opc, ==, TCG_OP_SETCOND);
    assert_arg(&k[6]->a, TCG_ARG_PCREL, 12);
    assert_arg(&k[6]->b, TCG_ARG_PCREL, 8);
    assert_move(k[7], 8, TCG_ARG_PCREL, 5);
    assert_move(k[8], 9, TCG_ARG_PCREL, 4);
    assert_move(k[9], 10, TCG_ARG_PCREL, 4 - 0x100000000);
    g_assert_cmpint(k[10]->opc, ==, TCG_OP_GOTO);
    g_assert_cmpint(k[10]->imm, ==, 12);
    g_assert_cmpint(k[10]->a.kind, ==, TCG_ARG_NONE);
    g_free(blk);
}

/* Copies: a read of a copy reads the original while the original keeps
 * its value, and not after it changes. */
static void test_opt_copy(void)
{
    TcgBlock *blk = block_new(8);
    const TcgOp *k[16];
    TcgTemp t = tcg_ir_local(blk);

    emit(blk, TCG_OP_MOV, 1, tcg_temp(2), none());
    emit(blk, TCG_OP_ADD, 3, tcg_temp(1), tcg_temp(4));   /* g3 = g2 + g4 */
    emit(blk, TCG_OP_MOV, t, tcg_temp(2), none());
    emit(blk, TCG_OP_ADD, 2, tcg_temp(2), tcg_const(1));
    emit(blk, TCG_OP_ADD, 5, tcg_temp(t), tcg_const(1));  /* old g2: t */
    emit(blk, TCG_OP_SUB, 6, tcg_temp(1), tcg_temp(1));   /* 0 */
    emit(blk, TCG_OP_MOV, 7, tcg_temp(1), none());        /* g1 is old g2 */
    emit_goto(blk, 4);
    tcg_ir_optimise(blk);

    g_assert_cmpuint(kept(blk, k, 16), ==, 8);
    assert_move(k[0], 1, TCG_ARG_TEMP, 2);
    g_assert_cmpint(k[1]->opc, ==, TCG_OP_ADD);
    assert_arg(&k[1]->a, TCG_ARG_TEMP, 2);
    assert_arg(&k[1]->b, TCG_ARG_TEMP, 4);
    assert_move(k[2], t, TCG_ARG_TEMP, 2);
    g_assert_cmpint(k[3]->opc, ==, TCG_OP_ADD);
    assert_arg(&k[3]->a, TCG_ARG_TEMP, 2);
    g_assert_cmpint(k[4]->opc, ==, TCG_OP_ADD);
    assert_arg(&k[4]->a, TCG_ARG_TEMP, t);
    assert_move(k[5], 6, TCG_ARG_CONST, 0);
    assert_move(k[6], 7, TCG_ARG_TEMP, 1);
    g_free(blk);
}

/* x OP constant and x OP x identities. */
static void test_opt_identities(void)
{
    TcgBlock *blk = block_new(16);
    const TcgOp *k[32];

    emit(blk, TCG_OP_ADD, 1, tcg_temp(9), tcg_const(0));
    emit(blk, TCG_OP_AND, 2, tcg_temp(9), tcg_const(-1));
    emit(blk, TCG_OP_MUL, 3, tcg_const(1), tcg_temp(9));
    emit(blk, TCG_OP_MUL, 4, tcg_temp(9), tcg_const(0));
    emit(blk, TCG_OP_AND, 5, tcg_const(0), tcg_temp(9));
    emit(blk, TCG_OP_OR, 6, tcg_temp(9), tcg_temp(9));
    emit(blk, TCG_OP_XOR, 7, tcg_temp(9), tcg_temp(9));
    emit(blk, TCG_OP_SHL, 8, tcg_temp(9), tcg_const(0));
    /* W forms keep their sign extension */
    emit_w(blk, TCG_OP_ADD, 10, tcg_temp(9), tcg_const(0));
    emit_w(blk, TCG_OP_OR, 11, tcg_temp(9), tcg_temp(9));
    emit_w(blk, TCG_OP_MUL, 12, tcg_temp(9), tcg_const(1));
    emit_w(blk, TCG_OP_SUB, 13, tcg_temp(9), tcg_temp(9));
    emit_goto(blk, 4);
    tcg_ir_optimise(blk);

    g_assert_cmpuint(kept(blk, k, 32), ==, 13);
    assert_move(k[0], 1, TCG_ARG_TEMP, 9);
    assert_move(k[1], 2, TCG_ARG_TEMP, 9);
    assert_move(k[2], 3, TCG_ARG_TEMP, 9);
    assert_move(k[3], 4, TCG_ARG_CONST, 0);
    assert_move(k[4], 5, TCG_ARG_CONST, 0);
    assert_move(k[5], 6, TCG_ARG_TEMP, 9);
    assert_move(k[6], 7, TCG_ARG_CONST, 0);
    assert_move(k[7], 8, TCG_ARG_TEMP, 9);
    g_assert_cmpint(k[8]->opc, ==, TCG_OP_ADD);
    g_assert_cmpint(k[9]->opc, ==, TCG_OP_OR);
    g_assert_cmpint(k[10]->opc, ==, TCG_OP_MUL);
    assert_move(k[11], 13, TCG_ARG_CONST, 0);
    g_free(blk);
}

/* g1 written, then written again: is the first write kept?  `between`
 * adds the op in the middle (NULL: nothing). */
static bool first_write_kept(void (*between)(TcgBlock *))
{
    TcgBlock *blk = block_new(8);
    const TcgOp *k[16];

    TcgOp *first = emit(blk, TCG_OP_ADD, 1, tcg_temp(2), tcg_const(1));
    if (between) {
        between(blk);
    }
    emit(blk, TCG_OP_ADD, 1, tcg_temp(3), tcg_const(1));
    emit_goto(blk, 4);
    tcg_ir_optimise(blk);
    unsigned n = kept(blk, k, 16);
    bool was_kept = first->opc == TCG_OP_ADD;
    g_assert_cmpuint(n, ==, (was_kept ? 3u : 2u) + (between != NULL));
    g_free(blk);
    return was_kept;
}

static void mid_ld(TcgBlock *blk) { emit_ld(blk, 5, tcg_temp(6)); }
static void mid_st(TcgBlock *blk)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_ST, 0);
    op->a = tcg_temp(6);
    op->b = tcg_temp(7);
    op->aux = 4;
}
static void mid_fault(TcgBlock *blk) { emit_target(blk, TCG_EFF_FAULT, TCG_NO_TEMP); }
static void mid_globals(TcgBlock *blk) { emit_target(blk, TCG_EFF_GLOBALS, TCG_NO_TEMP); }
static void mid_side(TcgBlock *blk) { emit_target(blk, TCG_EFF_SIDE, TCG_NO_TEMP); }
static void mid_pure(TcgBlock *blk) { emit(blk, TCG_OP_ADD, 4, tcg_temp(1), tcg_temp(1)); }
static void mid_exit_if(TcgBlock *blk)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_EXIT_IF, 0);
    op->cond = TCG_EQ;
    op->a = tcg_temp(6);
    op->b = tcg_const(0);
    op->imm = 64;
}

static void test_opt_dead(void)
{
    g_assert_false(first_write_kept(NULL));
    g_assert_true(first_write_kept(mid_ld));
    g_assert_true(first_write_kept(mid_st));
    g_assert_true(first_write_kept(mid_fault));
    g_assert_true(first_write_kept(mid_globals));
    g_assert_false(first_write_kept(mid_side));
    g_assert_true(first_write_kept(mid_pure));     /* read by the middle op */
    g_assert_true(first_write_kept(mid_exit_if));

    /* locals nobody reads go; a load whose value is dead still loads */
    TcgBlock *blk = block_new(4);
    const TcgOp *k[16];
    TcgTemp t0 = tcg_ir_local(blk), t1 = tcg_ir_local(blk), t2 = tcg_ir_local(blk);
    emit(blk, TCG_OP_ADD, t0, tcg_temp(1), tcg_const(2));
    emit(blk, TCG_OP_MUL, t1, tcg_temp(t0), tcg_temp(t0));
    TcgOp *ld_local = emit_ld(blk, t2, tcg_temp(1));
    TcgOp *ld_global = emit_ld(blk, 2, tcg_temp(1));
    emit(blk, TCG_OP_MOV, 2, tcg_const(3), none());
    emit(blk, TCG_OP_MOV, 3, tcg_temp(3), none());   /* a self move */
    emit_goto(blk, 4);
    tcg_ir_optimise(blk);

    g_assert_cmpuint(kept(blk, k, 16), ==, 4);
    g_assert_true(k[0] == ld_local && k[1] == ld_global);
    g_assert_cmpint(ld_local->opc, ==, TCG_OP_LD);
    g_assert_cmpint(ld_local->d, ==, TCG_NO_TEMP);
    g_assert_cmpint(ld_global->opc, ==, TCG_OP_LD);
    g_assert_cmpint(ld_global->d, ==, TCG_NO_TEMP);
    assert_arg(&ld_global->a, TCG_ARG_TEMP, 1);
    assert_move(k[2], 2, TCG_ARG_CONST, 3);
    g_assert_cmpint(k[3]->opc, ==, TCG_OP_GOTO);
    g_free(blk);
}

static void test_opt_brcond(void)
{
    for (unsigned taken = 0; taken < 2; taken++) {
        TcgBlock *blk = block_new(4);
        const TcgOp *k[8];
        emit(blk, TCG_OP_MOV, 1, tcg_const(taken ? 3 : 7), none());
        TcgOp *br = tcg_ir_op(blk, TCG_OP_BRCOND, 0);
        br->cond = TCG_LT;
        br->a = tcg_temp(1);
        br->b = tcg_const(5);
        br->imm = 8;
        br->imm2 = 16;
        tcg_ir_optimise(blk);
        g_assert_cmpuint(kept(blk, k, 8), ==, 2);
        g_assert_cmpint(k[1]->opc, ==, TCG_OP_GOTO);
        g_assert_cmpint(k[1]->imm, ==, taken ? 8 : 16);
        g_assert_cmpint(k[1]->a.kind, ==, TCG_ARG_NONE);
        g_assert_cmpint(k[1]->b.kind, ==, TCG_ARG_NONE);
        g_free(blk);
    }

    /* side exits: always taken ends the block there, never taken goes */
    for (unsigned taken = 0; taken < 2; taken++) {
        TcgBlock *blk = block_new(4);
        const TcgOp *k[8];
        emit(blk, TCG_OP_MOV, 1, tcg_const(taken ? 0 : 7), none());
        TcgOp *side = tcg_ir_op(blk, TCG_OP_EXIT_IF, 0);
        side->cond = TCG_EQ;
        side->a = tcg_temp(1);
        side->b = tcg_const(0);
        side->imm = 32;
        emit(blk, TCG_OP_MOV, 2, tcg_const(1), none());
        emit_goto(blk, 4);
        tcg_ir_optimise(blk);
        g_assert_cmpuint(kept(blk, k, 8), ==, taken ? 4 : 3);
        if (taken) {
            g_assert_cmpint(k[1]->opc, ==, TCG_OP_GOTO);
            g_assert_cmpint(k[1]->imm, ==, 32);
            g_assert_cmpint(k[1]->a.kind, ==, TCG_ARG_NONE);
        } else {
            assert_move(k[1], 2, TCG_ARG_CONST, 1);
        }
        g_free(blk);
    }

    /* unknown: stays a branch, on the propagated copy */
    TcgBlock *blk = block_new(4);
    const TcgOp *k[8];
    emit(blk, TCG_OP_MOV, 1, tcg_temp(2), none());
    TcgOp *br = tcg_ir_op(blk, TCG_OP_BRCOND, 0);
    br->cond = TCG_NE;
    br->a = tcg_temp(1);
    br->b = tcg_const(0);
    br->imm = 8;
    br->imm2 = 4;
    tcg_ir_optimise(blk);
    g_assert_cmpuint(kept(blk, k, 8), ==, 2);
    g_assert_cmpint(k[1]->opc, ==, TCG_OP_BRCOND);
    assert_arg(&k[1]->a, TCG_ARG_TEMP, 2);
    g_free(blk);
}

/* After an op that changes globals in memory nothing is known about
 * globals (locals keep what is known); ops writing d forget d. */
static void test_opt_globals_effect(void)
{
    static const unsigned effs[] = { TCG_EFF_GLOBALS, TCG_EFF_FAULT, 0 };

    for (unsigned e = 0; e < 3; e++) {
        TcgBlock *blk = block_new(8);
        const TcgOp *k[16];
        TcgTemp t = tcg_ir_local(blk);
        emit(blk, TCG_OP_MOV, 1, tcg_const(3), none());
        emit(blk, TCG_OP_MOV, 2, tcg_temp(3), none());
        emit(blk, TCG_OP_MOV, t, tcg_const(5), none());
        emit_target(blk, effs[e], TCG_NO_TEMP);
        emit(blk, TCG_OP_ADD, 4, tcg_temp(1), tcg_const(1));
        emit(blk, TCG_OP_ADD, 5, tcg_temp(2), tcg_const(1));
        emit(blk, TCG_OP_ADD, 6, tcg_temp(t), tcg_const(1));
        emit_goto(blk, 4);
        tcg_ir_optimise(blk);
        g_assert_cmpuint(kept(blk, k, 16), ==, 7);
        if (effs[e] & TCG_EFF_GLOBALS) {
            g_assert_cmpint(k[3]->opc, ==, TCG_OP_ADD);
            assert_arg(&k[3]->a, TCG_ARG_TEMP, 1);
            g_assert_cmpint(k[4]->opc, ==, TCG_OP_ADD);
            assert_arg(&k[4]->a, TCG_ARG_TEMP, 2);
        } else {
            assert_move(k[3], 4, TCG_ARG_CONST, 4);
            g_assert_cmpint(k[4]->opc, ==, TCG_OP_ADD);
            assert_arg(&k[4]->a, TCG_ARG_TEMP, 3);
        }
        assert_move(k[5], 6, TCG_ARG_CONST, 6);
        g_free(blk);
    }

    /* a target op or a load writing g1 forgets its constant */
    for (unsigned ld = 0; ld < 2; ld++) {
        TcgBlock *blk = block_new(4);
        const TcgOp *k[8];
        emit(blk, TCG_OP_MOV, 1, tcg_const(3), none());
        if (ld) {
            emit_ld(blk, 1, tcg_temp(2));
        } else {
            emit_target(blk, 0, 1);
        }
        emit(blk, TCG_OP_ADD, 3, tcg_temp(1), tcg_const(1));
        emit_goto(blk, 4);
        tcg_ir_optimise(blk);
        unsigned n = kept(blk, k, 8);
        g_assert_cmpint(k[n - 2]->opc, ==, TCG_OP_ADD);
        assert_arg(&k[n - 2]->a, TCG_ARG_TEMP, 1);
        g_free(blk);
    }
}

static const char *test_target_name(unsigned aux)
{
    return aux == 1 ? "frobnicate" : "other";
}

/* The text form: it names globals, locals, pc values and ops. */
static void test_dump(void)
{
    static const char *const names[4] = { "zero", "ra", "sp", "gp" };
    TcgBlock *blk = g_new0(TcgBlock, 1);
    tcg_ir_init(blk, 4, names);
    blk->target_name = test_target_name;
    TcgTemp t = tcg_ir_local(blk);

    TcgOp *insn = tcg_ir_op(blk, TCG_OP_INSN, 0);
    insn->imm = 0;
    insn->imm2 = 4;
    emit(blk, TCG_OP_MOV, 1, tcg_pcrel(12), none());
    emit_w(blk, TCG_OP_ADD, t, tcg_temp(2), tcg_const(5));
    TcgOp *ld = emit_ld(blk, 3, tcg_temp(t));
    ld->aux = 4 | TCG_MEM_SIGN;
    ld->imm = -8;
    emit_target(blk, TCG_EFF_SIDE, TCG_NO_TEMP);
    TcgOp *side = tcg_ir_op(blk, TCG_OP_EXIT_IF, 0);
    side->cond = TCG_GE;
    side->a = tcg_temp(3);
    side->b = tcg_const(0);
    side->imm = -6;
    TcgOp *br = tcg_ir_op(blk, TCG_OP_BRCOND, 0);
    br->cond = TCG_LTU;
    br->a = tcg_temp(1);
    br->b = tcg_temp(3);
    br->imm = 12;
    br->imm2 = 4;

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    g_assert_nonnull(f);
    tcg_ir_dump(blk, f);
    fclose(f);
    g_test_message("%s", text);
    const char *want[] = { "insn", "mov ra, pc+12", "add_w tmp0, sp, $0x5",
                           "ld4s gp, tmp0, -8", "frobnicate", "exit_if_ge gp, $0x0, pc-6",
                           "brcond_ltu ra, gp",
                           "pc+12", "pc+4" };
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (!strstr(text, want[i])) {
            g_test_message("missing \"%s\"", want[i]);
        }
        g_assert_nonnull(strstr(text, want[i]));
    }
    free(text);

    /* without names: g<n>, and NOPs are not shown */
    blk->global_names = NULL;
    blk->target_name = NULL;
    tcg_ir_optimise(blk);
    f = open_memstream(&text, &len);
    g_assert_nonnull(f);
    tcg_ir_dump(blk, f);
    fclose(f);
    g_assert_nonnull(strstr(text, "g1"));
    g_assert_nonnull(strstr(text, "target"));
    g_assert_null(strstr(text, "nop"));
    free(text);
    g_free(blk);
}

/* ------------------------------------------------------------------ */
/* 3. A reference interpreter, random blocks, and the optimiser         */

enum {
    MEM_SIZE = 256,         /* the interpreter's guest memory, wrapping */
    N_GLOBALS = 8,
    /* the tests' own TARGET ops */
    T_MIX = 1,              /* d = a * 3 + b, with random effects */
    T_CALL = 2,             /* no operands; GLOBALS: scrambles the globals */
};

typedef struct Machine {
    uint64_t v[TCG_MAX_TEMPS];  /* globals, then locals */
    uint8_t mem[MEM_SIZE];
    uint64_t pc;                /* the block's entry pc (even) */
    uint64_t exit;              /* where the block left to */
    int fault_op;               /* the op that faulted, or -1 */
} Machine;

/* What an op that changes globals in memory does to them: every global
 * comes from its old value and its neighbour's, so a write lost before
 * the op shows even when the global is overwritten after it. */
static void scramble_globals(uint64_t *g, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        g[i] = (g[i] << 7 | g[i] >> 57) ^ (g[(i + 1) % n] >> 3) ^
               (0x9e3779b97f4a7c15ull * (i + 1));
    }
}

static uint64_t arg_value(const Machine *m, const TcgArg *a)
{
    switch (a->kind) {
    case TCG_ARG_TEMP: return m->v[a->t];
    case TCG_ARG_CONST: return (uint64_t)a->c;
    case TCG_ARG_PCREL: return m->pc + (uint64_t)a->c;
    default: return 0;
    }
}

static bool may_fault(const TcgOp *op)
{
    return op->opc == TCG_OP_LD || op->opc == TCG_OP_ST ||
           (op->opc == TCG_OP_TARGET && (op->eff & TCG_EFF_FAULT));
}

/* Run `blk`; the fault_n-th op that may fault (from 0; -1: none) faults
 * before it has any effect. */
static void run(const TcgBlock *blk, Machine *m, int fault_n)
{
    int n_faulting = 0;

    m->fault_op = -1;
    m->exit = 0;
    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        uint64_t a = arg_value(m, &op->a), b = arg_value(m, &op->b);
        unsigned size = op->aux & TCG_MEM_SIZE;

        if (may_fault(op) && n_faulting++ == fault_n) {
            m->fault_op = (int)i;
            return;
        }
        switch (op->opc) {
        case TCG_OP_NOP: case TCG_OP_INSN:
            break;
        case TCG_OP_LD: {
            uint64_t v = 0;
            for (unsigned k = 0; k < size; k++) {
                v |= (uint64_t)m->mem[(a + (uint64_t)op->imm + k) % MEM_SIZE] << (8 * k);
            }
            if ((op->aux & TCG_MEM_SIGN) && size < 8) {
                unsigned sh = 64 - 8 * size;
                v = (uint64_t)((int64_t)(v << sh) >> sh);
            }
            if (op->d != TCG_NO_TEMP) {
                m->v[op->d] = v;
            }
            break;
        }
        case TCG_OP_ST:
            for (unsigned k = 0; k < size; k++) {
                m->mem[(a + (uint64_t)op->imm + k) % MEM_SIZE] = (uint8_t)(b >> (8 * k));
            }
            break;
        case TCG_OP_TARGET:
            if (op->eff & TCG_EFF_GLOBALS) {
                scramble_globals(m->v, blk->n_globals);
            }
            if (op->d != TCG_NO_TEMP) {
                m->v[op->d] = a * 3 + b;
            }
            break;
        case TCG_OP_GOTO:
            m->exit = m->pc + (uint64_t)op->imm;
            return;
        case TCG_OP_GOTO_PTR:
            m->exit = a;
            return;
        case TCG_OP_BRCOND:
            m->exit = m->pc + (uint64_t)(tcg_cond_holds(op->cond, a, b) ? op->imm : op->imm2);
            return;
        case TCG_OP_EXIT_IF:
            if (tcg_cond_holds(op->cond, a, b)) {
                m->exit = m->pc + (uint64_t)op->imm;
                return;
            }
            break;
        default:
            g_assert_true(tcg_op_is_pure(op->opc));
            if (op->d != TCG_NO_TEMP) {
                m->v[op->d] = tcg_eval(op->opc, op->flags, op->cond, a, b);
            }
            break;
        }
    }
    g_assert_not_reached();             /* every block ends with an exit */
}

/* ---- random blocks ---- */

typedef struct GenCfg {
    unsigned min_ops, max_ops;  /* the random middle part */
    bool mem;                   /* LD, ST and T_MIX target ops */
    bool calls;                 /* T_CALL ops (GLOBALS, no operands) */
    bool side_exits;            /* EXIT_IF ops */
    unsigned pressure;          /* up to this many locals defined first
                                 * and read at the end */
} GenCfg;

typedef struct Gen {
    TcgBlock *blk;
    const GenCfg *cfg;
    TcgTemp locals[TCG_MAX_TEMPS];  /* locals written so far */
    unsigned n_locals;
    unsigned insn;
} Gen;

static int64_t random_const(void)
{
    static const int64_t special[] = {
        0, 1, -1, 2, -2, 3, 4, 31, 32, 33, 63, 64, 65, 0xfff, -4096,
        INT64_MIN, INT64_MAX, INT32_MIN, INT32_MAX, 0xffffffff, 0x80000000,
        0x100000000, -0x100000000,
    };
    switch (below(5)) {
    case 0: case 1: return special[below(sizeof(special) / sizeof(special[0]))];
    case 2: return g_test_rand_int_range(-2048, 2048);
    case 3: return (int64_t)sext32(rand64());
    default: return (int64_t)rand64();
    }
}

/* pc offsets: near (odd ones too), AUIPC-sized, and anything at all
 * (folded pc + constant arithmetic can produce any offset) */
static int64_t random_pc_offset(void)
{
    switch (below(4)) {
    case 0: case 1: return g_test_rand_int_range(-4096, 4096);
    case 2: return (int64_t)sext32(rand64()) + g_test_rand_int_range(-2048, 2048);
    default: return (int64_t)rand64();
    }
}

static TcgTemp random_global(void)
{
    return (TcgTemp)below(N_GLOBALS);
}

static TcgArg random_arg(Gen *g)
{
    unsigned r = below(20);
    if (r < 7) {
        return tcg_temp(random_global());
    }
    if (r < 14 && g->n_locals) {
        return tcg_temp(g->locals[below(g->n_locals)]);
    }
    if (r < 18) {
        return tcg_const(random_const());
    }
    return tcg_pcrel(random_pc_offset());
}

/* A destination: a global, or a fresh local (noted by gen_done). */
static TcgTemp random_dest(Gen *g)
{
    if (below(2) == 0 || g->blk->n_temps >= TCG_MAX_TEMPS - 1) {
        return random_global();
    }
    return tcg_ir_local(g->blk);
}

static void gen_done(Gen *g, TcgTemp d)
{
    if (d != TCG_NO_TEMP && d >= g->blk->n_globals) {
        g->locals[g->n_locals++] = d;
    }
}

static void gen_insn(Gen *g)
{
    TcgOp *op = tcg_ir_op(g->blk, TCG_OP_INSN, g->insn);
    op->imm = 4 * g->insn;
    op->imm2 = 4;
    g->insn++;
}

static TcgOp *gen_pure_op(Gen *g, TcgOpc opc, TcgTemp d, TcgArg a, TcgArg b)
{
    bool w = has_w(opc) && below(3) == 0;
    TcgOp *op = tcg_ir_binop(g->blk, g->insn, opc, w, d, a, b);
    if (opc == TCG_OP_SETCOND) {
        op->cond = (uint8_t)below(6);
    }
    gen_done(g, d);
    return op;
}

static void gen_pure(Gen *g)
{
    TcgOpc opc = (TcgOpc)(TCG_OP_MOV + below(TCG_OP_SETCOND - TCG_OP_MOV + 1));
    TcgArg a = random_arg(g);
    TcgArg b = below(8) == 0 ? a : random_arg(g);

    if (below(6) == 0) {                /* known values for the optimiser */
        opc = TCG_OP_MOV;
        a = below(2) ? tcg_const(random_const()) : tcg_pcrel(random_pc_offset());
    }
    gen_pure_op(g, opc, random_dest(g), a, b);
}

static void gen_mem(Gen *g)
{
    TcgOp *op;
    switch (below(3)) {
    case 0:
        op = tcg_ir_op(g->blk, TCG_OP_LD, g->insn);
        op->d = random_dest(g);
        op->a = random_arg(g);
        op->imm = g_test_rand_int_range(-16, 16);
        op->aux = (uint8_t)((1u << below(4)) | (below(2) ? TCG_MEM_SIGN : 0));
        gen_done(g, op->d);
        break;
    case 1:
        op = tcg_ir_op(g->blk, TCG_OP_ST, g->insn);
        op->a = random_arg(g);
        op->b = random_arg(g);
        op->imm = g_test_rand_int_range(-16, 16);
        op->aux = (uint8_t)(1u << below(4));
        break;
    default:
        op = tcg_ir_op(g->blk, TCG_OP_TARGET, g->insn);
        op->aux = T_MIX;
        op->eff = (uint8_t)below(8);
        op->a = random_arg(g);
        op->b = below(2) ? random_arg(g) : none();
        op->d = below(3) ? random_dest(g) : TCG_NO_TEMP;
        gen_done(g, op->d);
        break;
    }
}

static void gen_call(Gen *g)
{
    TcgOp *op = tcg_ir_op(g->blk, TCG_OP_TARGET, g->insn);
    op->aux = T_CALL;
    op->eff = TCG_EFF_GLOBALS | TCG_EFF_SIDE;
}

static void gen_exit_if(Gen *g)
{
    TcgOp *op = tcg_ir_op(g->blk, TCG_OP_EXIT_IF, g->insn);
    op->cond = (uint8_t)below(6);
    op->a = random_arg(g);
    op->b = below(4) ? random_arg(g) : tcg_const(random_const());
    op->imm = 2 * g_test_rand_int_range(-1024, 1024);
}

static void gen_exit(Gen *g)
{
    TcgOp *op;
    switch (below(3)) {
    case 0:
        op = tcg_ir_op(g->blk, TCG_OP_GOTO, g->insn);
        op->imm = 2 * g_test_rand_int_range(-1024, 1024);
        break;
    case 1:
        op = tcg_ir_op(g->blk, TCG_OP_GOTO_PTR, g->insn);
        op->a = random_arg(g);
        break;
    default:
        op = tcg_ir_op(g->blk, TCG_OP_BRCOND, g->insn);
        op->cond = (uint8_t)below(6);
        op->a = random_arg(g);
        op->b = below(4) ? random_arg(g) : tcg_const(random_const());
        op->imm = 2 * g_test_rand_int_range(-1024, 1024);
        op->imm2 = 4 * (int64_t)g->insn + 4;
        break;
    }
}

/* A random block: straight-line ops over N_GLOBALS globals and locals
 * written once before they are read, ending with an exit. */
static void gen_block(TcgBlock *blk, const GenCfg *cfg)
{
    static Gen g;
    static const TcgOpc readers[] = { TCG_OP_ADD, TCG_OP_XOR, TCG_OP_SUB, TCG_OP_MUL,
                                      TCG_OP_SETCOND, TCG_OP_DIVU, TCG_OP_SHR };

    memset(&g, 0, sizeof(g));
    g.blk = blk;
    g.cfg = cfg;
    tcg_ir_init(blk, N_GLOBALS, NULL);

    /* locals that all stay live to the end: register pressure */
    unsigned n_press = cfg->pressure ? below(cfg->pressure + 1) : 0;
    TcgTemp press[64];
    g_assert_cmpuint(n_press, <=, 64);
    for (unsigned i = 0; i < n_press; i++) {
        gen_insn(&g);
        press[i] = tcg_ir_local(blk);
        TcgArg b = below(2) ? tcg_temp(random_global()) : tcg_const(random_const());
        gen_pure_op(&g, readers[below(4)], press[i], tcg_temp(random_global()), b);
    }

    unsigned n = cfg->min_ops + below(cfg->max_ops - cfg->min_ops + 1);
    for (unsigned i = 0; i < n; i++) {
        if (below(3) == 0) {
            gen_insn(&g);
        }
        unsigned r = below(20);
        if (cfg->mem && r < 4) {
            gen_mem(&g);
        } else if (cfg->calls && r == 4) {
            gen_call(&g);
        } else if (cfg->side_exits && r == 5) {
            gen_exit_if(&g);
        } else {
            gen_pure(&g);
        }
    }

    for (unsigned i = 0; i < n_press; i++) {
        TcgTemp d = random_global();
        TcgOpc opc = readers[below(sizeof(readers) / sizeof(readers[0]))];
        gen_pure_op(&g, opc, d, tcg_temp(d), tcg_temp(press[i]));
    }
    gen_exit(&g);
}

/* A starting state: globals of every kind, random memory, an even pc. */
static void random_machine(Machine *m)
{
    memset(m, 0, sizeof(*m));
    for (unsigned i = 0; i < N_GLOBALS; i++) {
        m->v[i] = below(3) == 0 ? corner[below(N_CORNER)] : rand64();
    }
    for (unsigned i = 0; i < MEM_SIZE; i++) {
        m->mem[i] = (uint8_t)g_test_rand_int();
    }
    m->pc = rand64() & ~(uint64_t)1;
    if (below(2)) {
        m->pc = 0x80000000 + 2 * below(0x100000);
    }
}

static void dump_to_log(const char *what, const TcgBlock *blk)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    g_assert_nonnull(f);
    tcg_ir_dump(blk, f);
    fclose(f);
    g_test_message("%s:\n%s", what, text);
    free(text);
}

/* Do the two runs agree on everything the guest can see? */
static bool same_state(const Machine *x, const Machine *y, unsigned n_globals)
{
    bool same = x->fault_op == y->fault_op &&
                memcmp(x->v, y->v, n_globals * sizeof(x->v[0])) == 0 &&
                memcmp(x->mem, y->mem, MEM_SIZE) == 0 &&
                (x->fault_op >= 0 || x->exit == y->exit);
    if (!same) {
        g_test_message("fault at %d / %d, exit 0x%" PRIx64 " / 0x%" PRIx64,
                       x->fault_op, y->fault_op, x->exit, y->exit);
        for (unsigned g = 0; g < n_globals; g++) {
            g_test_message("g%u: 0x%" PRIx64 " / 0x%" PRIx64 "%s", g, x->v[g], y->v[g],
                           x->v[g] != y->v[g] ? "  <--" : "");
        }
    }
    return same;
}

static void check_optimiser(const GenCfg *cfg, unsigned n_blocks)
{
    TcgBlock *orig = g_new0(TcgBlock, 1), *opt = g_new0(TcgBlock, 1);
    Machine *init = g_new(Machine, 1), *m1 = g_new(Machine, 1), *m2 = g_new(Machine, 1);
    unsigned removed = 0, total = 0;

    for (unsigned n = 0; n < n_blocks; n++) {
        gen_block(orig, cfg);
        memcpy(opt, orig, sizeof(*opt));
        tcg_ir_optimise(opt);
        for (unsigned i = 0; i < opt->n_ops; i++) {
            removed += opt->ops[i].opc == TCG_OP_NOP;
        }
        total += opt->n_ops;

        int n_faulting = 0;
        for (unsigned i = 0; i < orig->n_ops; i++) {
            n_faulting += may_fault(&orig->ops[i]);
        }
        for (unsigned s = 0; s < 2; s++) {
            random_machine(init);
            for (int f = -1; f < n_faulting; f++) {
                *m1 = *init;
                *m2 = *init;
                run(orig, m1, f);
                run(opt, m2, f);
                if (!same_state(m1, m2, N_GLOBALS)) {
                    g_test_message("block %u, pc 0x%" PRIx64 ", fault %d", n, init->pc, f);
                    dump_to_log("before", orig);
                    dump_to_log("after", opt);
                    g_test_fail();
                    goto out;
                }
            }
        }
    }
    /* the optimiser did something (so the comparison means something) */
    g_test_message("%u of %u ops removed", removed, total);
    g_assert_cmpuint(removed, >, total / 10);
out:
    g_free(orig);
    g_free(opt);
    g_free(init);
    g_free(m1);
    g_free(m2);
}

static void test_random_pure(void)
{
    static const GenCfg cfg = { .min_ops = 1, .max_ops = 40 };
    check_optimiser(&cfg, 3000);
}

static void test_random_effects(void)
{
    static const GenCfg cfg = { .min_ops = 1, .max_ops = 40, .mem = true, .calls = true,
                                .side_exits = true };
    check_optimiser(&cfg, 4000);
}

static void test_random_pressure(void)
{
    static const GenCfg cfg = { .min_ops = 0, .max_ops = 30, .calls = true,
                                .side_exits = true, .pressure = 24 };
    check_optimiser(&cfg, 1000);
}

/* ------------------------------------------------------------------ */
/* 4. The x86-64 backend, run natively                                  */

#if defined(__x86_64__)

/*
 * The state the generated code works on (rbx points at it): the globals
 * at 8 * g, the spill slots after them, then where the block left to.
 */
enum {
    STATE_SPILL = N_GLOBALS,
    STATE_EXIT = STATE_SPILL + TCG_X86_SPILLS,
    STATE_WORDS,
    CODE_SIZE = 1 << 20,
    OP_ROOM = 1024,             /* more than any one op's code */
};

typedef void JitFn(uint64_t *state, uint64_t pc);

/* the backend's pool: the first x->n_pool of these (rsi and rdi only in
 * blocks without memory accesses, target ops or MULHSU) */
static const int pool_regs[] = {
    X86_RBP, X86_R14, X86_R15, X86_R8, X86_R9, X86_R10, X86_R11, X86_RSI, X86_RDI,
};

static bool in_pool(const TcgX86 *x, int r)
{
    for (unsigned i = 0; i < x->n_pool; i++) {
        if (pool_regs[i] == r) {
            return true;
        }
    }
    return false;
}
static const int scratch_regs[] = { X86_RAX, X86_RCX, X86_RDX, X86_RSI, X86_RDI };
static const int callee_saved[] = { X86_RBX, X86_RBP, X86_R12, X86_R13, X86_R14, X86_R15 };

/* T_CALL: what the generated code calls, as a translator calls helpers */
static void call_scramble(uint64_t *state)
{
    scramble_globals(state, N_GLOBALS);
}

/* Garbage in `r`, so that code relying on a value it never put there
 * computes something wrong. */
static void poison(X86Buf *b, int r, unsigned salt)
{
    x86_mov_imm(b, r, 0xdead000000000000ull ^ (uint64_t)salt << 8 ^ (uint64_t)r);
}

static void store_exit(TcgX86 *x, const TcgArg *target, int via)
{
    tcg_x86_load_arg(x, via, target);
    x86_store64(&x->b, x86_mem(X86_RBX, 8 * STATE_EXIT), via);
}

/* Jumps to the epilogue, patched when it is emitted: an exit may come
 * before the block's last op (an EXIT_IF the optimiser made a GOTO). */
static uint8_t *to_end[2 * TCG_MAX_OPS];
static unsigned n_to_end;

static void jmp_to_end(X86Buf *b)
{
    to_end[n_to_end++] = x86_jmp32(b);
}

/* The block's way out: the dirty globals written back (without forgetting
 * they are dirty: a branch has two ways out) and the target stored. */
static void lower_exit(TcgX86 *x, const TcgOp *op)
{
    X86Buf *b = &x->b;

    switch (op->opc) {
    case TCG_OP_GOTO:
        tcg_x86_write_back(x, x->dirty);
        store_exit(x, &(TcgArg){ .kind = TCG_ARG_PCREL, .c = op->imm }, X86_RAX);
        jmp_to_end(b);
        break;
    case TCG_OP_GOTO_PTR:
        tcg_x86_load_arg(x, X86_RCX, &op->a);
        tcg_x86_write_back(x, x->dirty);
        x86_store64(b, x86_mem(X86_RBX, 8 * STATE_EXIT), X86_RCX);
        jmp_to_end(b);
        break;
    default: {                          /* BRCOND */
        int ra = tcg_x86_src(x, &op->a, X86_RAX);
        if (op->b.kind == TCG_ARG_CONST && op->b.c == (int32_t)op->b.c) {
            x86_alu_ri(b, true, X86_CMP, ra, (int32_t)op->b.c);
        } else {
            int rb = tcg_x86_src(x, &op->b, X86_RCX);
            x86_alu_rr(b, true, X86_CMP, ra, rb);
        }
        uint8_t *taken = x86_jcc32(b, tcg_x86_cc((TcgCond)op->cond));
        tcg_x86_write_back(x, x->dirty);
        store_exit(x, &(TcgArg){ .kind = TCG_ARG_PCREL, .c = op->imm2 }, X86_RAX);
        jmp_to_end(b);
        x86_patch_rel32(taken, b->p);
        tcg_x86_write_back(x, x->dirty);
        store_exit(x, &(TcgArg){ .kind = TCG_ARG_PCREL, .c = op->imm }, X86_RAX);
        jmp_to_end(b);
        break;
    }
    }
}

/* A side exit taken (EXIT_IF): lowered out of line after the block, as
 * the translators do, with the globals dirty at the branch. */
typedef struct SideExit {
    uint8_t *jcc;
    uint64_t dirty;
    int64_t off;
} SideExit;

static SideExit side_exits[TCG_MAX_OPS];
static unsigned n_side_exits;

static void lower_exit_if(TcgX86 *x, const TcgOp *op)
{
    X86Buf *b = &x->b;
    int ra = tcg_x86_src(x, &op->a, X86_RAX);

    if (op->b.kind == TCG_ARG_CONST && op->b.c == (int32_t)op->b.c) {
        x86_alu_ri(b, true, X86_CMP, ra, (int32_t)op->b.c);
    } else {
        int rb = tcg_x86_src(x, &op->b, X86_RCX);
        x86_alu_rr(b, true, X86_CMP, ra, rb);
    }
    side_exits[n_side_exits++] = (SideExit){
        x86_jcc32(b, tcg_x86_cc((TcgCond)op->cond)), x->dirty, op->imm,
    };
}

/*
 * Compile `blk` as a C function (state, pc), the way a translator drives
 * the backend.  Every register the backend may not rely on is poisoned:
 * the pool and the scratch registers at entry, the scratch registers
 * after every op, r8-r11 after every call.  False if the backend gave
 * the block up (out of spill slots).
 */
static bool jit_compile(const TcgBlock *blk, TcgX86 *x, uint8_t *code, bool self_loop)
{
    static const int32_t global_off[N_GLOBALS] = { 0, 8, 16, 24, 32, 40, 48, 56 };
    X86Buf b = { code, code, code + CODE_SIZE };
    unsigned salt = 0;

    for (unsigned i = 0; i < G_N_ELEMENTS(callee_saved); i++) {
        x86_push(&b, callee_saved[i]);
    }
    x86_alu_ri(&b, true, X86_SUB, X86_RSP, 8);     /* calls want rsp 16-aligned */
    x86_mov_rr(&b, X86_RBX, X86_RDI);
    x86_mov_rr(&b, X86_R12, X86_RSI);
    for (unsigned i = 0; i < G_N_ELEMENTS(pool_regs); i++) {
        poison(&b, pool_regs[i], salt++);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(scratch_regs); i++) {
        poison(&b, scratch_regs[i], salt++);
    }

    n_side_exits = 0;
    n_to_end = 0;
    uint64_t need = tcg_x86_begin(x, blk, b, global_off, 8 * STATE_SPILL,
                                  self_loop);
    tcg_x86_load_globals(x, need);
    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        g_assert_true(x86_room(&x->b, OP_ROOM));
        if (op->opc == TCG_OP_NOP || op->opc == TCG_OP_INSN) {
            continue;
        }
        if (tcg_op_is_pure(op->opc)) {
            tcg_x86_lower_pure(x, op);
        } else if (op->opc == TCG_OP_TARGET) {
            g_assert_cmpint(op->aux, ==, T_CALL);
            tcg_x86_sync(x);
            x86_mov_rr(&x->b, X86_RDI, X86_RBX);
            x86_call_abs(&x->b, (const void *)call_scramble);
            for (int r = X86_R8; r <= X86_R11; r++) {
                poison(&x->b, r, salt++);
            }
            tcg_x86_reload(x);
        } else if (op->opc == TCG_OP_EXIT_IF) {
            lower_exit_if(x, op);
        } else {
            lower_exit(x, op);
        }
        tcg_x86_op_done(x, i);
        for (unsigned k = 0; k < G_N_ELEMENTS(scratch_regs); k++) {
            if (in_pool(x, scratch_regs[k])) {
                continue;               /* rsi/rdi hold values here */
            }
            poison(&x->b, scratch_regs[k], salt++);
        }
    }
    g_assert_true(x86_room(&x->b, OP_ROOM));
    uint8_t *epilogue = x->b.p;
    for (unsigned i = 0; i < n_to_end; i++) {
        x86_patch_rel32(to_end[i], epilogue);
    }
    x86_alu_ri(&x->b, true, X86_ADD, X86_RSP, 8);
    for (unsigned i = G_N_ELEMENTS(callee_saved); i-- > 0;) {
        x86_pop(&x->b, callee_saved[i]);
    }
    x86_ret(&x->b);
    for (unsigned i = 0; i < n_side_exits; i++) {
        g_assert_true(x86_room(&x->b, OP_ROOM));
        x86_patch_rel32(side_exits[i].jcc, x->b.p);
        tcg_x86_write_back(x, side_exits[i].dirty);
        store_exit(x, &(TcgArg){ .kind = TCG_ARG_PCREL, .c = side_exits[i].off }, X86_RAX);
        x86_jmp_to(&x->b, epilogue);
    }
    return !x->failed;
}

/* After the last op every local is dead: its register or slot is free
 * again, and only pinned globals hold registers. */
static void check_all_freed(const TcgBlock *blk, const TcgX86 *x)
{
    uint32_t pool = 0, pinned = 0;
    for (unsigned i = 0; i < x->n_pool; i++) {
        pool |= 1u << pool_regs[i];
    }
    for (unsigned g = 0; g < blk->n_globals; g++) {
        if (x->pinned & (1ull << g)) {
            pinned |= 1u << x->reg[g];
        }
    }
    g_assert_cmphex(x->free_regs, ==, pool & ~pinned);
    g_assert_cmphex(x->free_slots, ==, (1u << TCG_X86_SPILLS) - 1);
}

/* The most locals that need a home at once: at op i, those written
 * before i and read at i or later, and the one i writes. */
static unsigned max_live_locals(const TcgBlock *blk)
{
    static int def[TCG_MAX_TEMPS], last[TCG_MAX_TEMPS];
    unsigned most = 0;

    for (unsigned t = 0; t < blk->n_temps; t++) {
        def[t] = last[t] = -1;
    }
    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        if (op->opc == TCG_OP_NOP) {
            continue;
        }
        if (op->a.kind == TCG_ARG_TEMP) {
            last[op->a.t] = (int)i;
        }
        if (op->b.kind == TCG_ARG_TEMP) {
            last[op->b.t] = (int)i;
        }
        if (op->d != TCG_NO_TEMP) {
            def[op->d] = (int)i;
        }
    }
    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        unsigned n = op->opc != TCG_OP_NOP && op->d != TCG_NO_TEMP &&
                     op->d >= blk->n_globals;
        for (unsigned t = blk->n_globals; t < blk->n_temps; t++) {
            n += def[t] >= 0 && def[t] < (int)i && last[t] >= (int)i;
        }
        most = n > most ? n : most;
    }
    return most;
}

typedef struct BackendStats {
    unsigned blocks, given_up, spilled, pinned;
    unsigned given_up_optimised;    /* of blocks the optimiser saw first */
} BackendStats;

/* Run the compiled `blk` (at `code`) and the interpreter on `init`; false
 * (after logging) if they disagree. */
static bool jit_run(const TcgBlock *blk, uint8_t *code, const Machine *init, Machine *ref,
                    const char *what)
{
    uint64_t state[STATE_WORDS];

    for (unsigned i = 0; i < STATE_WORDS; i++) {
        state[i] = 0xbad0000000000000ull + i;
    }
    memcpy(state, init->v, N_GLOBALS * sizeof(state[0]));
    JitFn *fn = (JitFn *)(uintptr_t)code;
    fn(state, init->pc);

    *ref = *init;
    run(blk, ref, -1);
    bool same = memcmp(state, ref->v, N_GLOBALS * sizeof(state[0])) == 0 &&
                state[STATE_EXIT] == ref->exit;
    if (!same) {
        g_test_message("pc 0x%" PRIx64 ": exit 0x%" PRIx64 ", reference 0x%" PRIx64,
                       init->pc, state[STATE_EXIT], ref->exit);
        for (unsigned g = 0; g < N_GLOBALS; g++) {
            g_test_message("g%u: 0x%" PRIx64 ", reference 0x%" PRIx64 "%s", g, state[g],
                           ref->v[g], state[g] != ref->v[g] ? "  <--" : "");
        }
        dump_to_log(what, blk);
    }
    return same;
}

static void code_writable(uint8_t *code, bool writable)
{
    if (mprotect(code, CODE_SIZE, PROT_READ | (writable ? PROT_WRITE : PROT_EXEC)) != 0) {
        g_error("mprotect: %s", g_strerror(errno));
    }
}

/* Compile and run `blk` on `init`; false (after logging) on a mismatch. */
static bool check_backend_block(const TcgBlock *blk, const Machine *init, bool optimised,
                                uint8_t *code, TcgX86 *x, Machine *ref, BackendStats *st)
{
    /* as for a block that jumps back to its start: whatever the block
     * writes counts as dirty from the start (so it is loaded at entry) */
    bool self_loop = below(4) == 0;

    code_writable(code, true);
    st->blocks++;
    if (!jit_compile(blk, x, code, self_loop)) {
        /* (unoptimised blocks keep locals nobody reads, and the backend
         * frees a local's home at its last read) */
        st->given_up++;
        st->given_up_optimised += optimised;
        if (optimised) {
            /* it may give up only when the spill slots alone are not enough */
            g_assert_cmpuint(max_live_locals(blk), >, TCG_X86_SPILLS);
        }
        return true;
    }
    if (optimised) {
        check_all_freed(blk, x);
    }
    for (unsigned t = blk->n_globals; t < blk->n_temps; t++) {
        if (x->slot[t] >= 0) {
            st->spilled++;
            break;
        }
    }
    st->pinned += x->pinned != 0;
    code_writable(code, false);

    return jit_run(blk, code, init, ref, optimised ? "optimised block" : "block");
}

static void check_backend(const GenCfg *cfg, unsigned n_blocks, BackendStats *st)
{
    uint8_t *code = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        g_test_skip("cannot map memory for code");
        return;
    }
    TcgBlock *orig = g_new0(TcgBlock, 1), *opt = g_new0(TcgBlock, 1);
    Machine *init = g_new(Machine, 1), *ref = g_new(Machine, 1);
    TcgX86 *x = g_new0(TcgX86, 1);

    for (unsigned n = 0; n < n_blocks; n++) {
        gen_block(orig, cfg);
        memcpy(opt, orig, sizeof(*opt));
        tcg_ir_optimise(opt);
        random_machine(init);
        if (!check_backend_block(opt, init, true, code, x, ref, st) ||
            !check_backend_block(orig, init, false, code, x, ref, st)) {
            g_test_message("block %u", n);
            dump_to_log("before optimising", orig);
            g_test_fail();
            break;
        }
    }
    munmap(code, CODE_SIZE);
    g_free(orig);
    g_free(opt);
    g_free(init);
    g_free(ref);
    g_free(x);
}

/* One op in several operand shapes (registers, a local, immediates, a pc
 * value, d the same as an operand), for one constant `c`. */
static void shapes_block(TcgBlock *blk, TcgOpc opc, bool w, TcgCond cond, int64_t c)
{
    tcg_ir_init(blk, N_GLOBALS, NULL);
    TcgTemp t = tcg_ir_local(blk);
    const struct { TcgTemp d; TcgArg a, b; } form[] = {
        { 2, tcg_temp(0), tcg_temp(1) },
        { t, tcg_temp(1), tcg_temp(0) },
        { 3, tcg_temp(t), tcg_const(c) },
        { 4, tcg_const(c), tcg_temp(0) },
        { 5, tcg_temp(0), tcg_temp(0) },
        { 6, tcg_pcrel(c), tcg_temp(1) },
        { 7, tcg_temp(1), tcg_pcrel((int64_t)(0 - (uint64_t)c)) },
        { 1, tcg_temp(0), tcg_temp(1) },
        { 0, tcg_temp(0), tcg_temp(t) },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(form); i++) {
        TcgOp *op = tcg_ir_binop(blk, 0, opc, w, form[i].d, form[i].a, form[i].b);
        op->cond = (uint8_t)cond;
    }
    emit_goto(blk, 4);
}

/* Every pure op and form through the backend, unoptimised, on every pair
 * of corner values: the lowering of each op (division by zero and
 * overflow, W forms whose operands have high bits set, shifts by large
 * counts) rather than the allocator. */
static void test_backend_corners(void)
{
    uint8_t *code = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        g_test_skip("cannot map memory for code");
        return;
    }
    TcgBlock *blk = g_new0(TcgBlock, 1);
    Machine *init = g_new0(Machine, 1), *ref = g_new(Machine, 1);
    TcgX86 *x = g_new0(TcgX86, 1);
    static const int64_t consts[] = { 0, 1, -1, 31, 32, 63, 0x100000000, INT64_MIN,
                                      INT32_MIN, 0x12345678abcd };
    unsigned runs = 0;

    for (TcgOpc opc = TCG_OP_MOV; opc <= TCG_OP_SETCOND; opc++) {
        for (unsigned w = 0; w <= (has_w(opc) ? 1u : 0u); w++) {
            for (unsigned c = 0; c < (opc == TCG_OP_SETCOND ? 6u : 1u); c++) {
                for (unsigned k = 0; k < G_N_ELEMENTS(consts); k++) {
                    shapes_block(blk, opc, w, (TcgCond)c, consts[k]);
                    code_writable(code, true);
                    g_assert_true(jit_compile(blk, x, code, false));
                    code_writable(code, false);
                    for (unsigned i = 0; i < N_CORNER; i++) {
                        for (unsigned j = 0; j < N_CORNER; j += 1 + (k & 1)) {
                            init->v[0] = corner[i];
                            init->v[1] = corner[j];
                            init->pc = 0x80000000 + 2 * (i * N_CORNER + j);
                            runs++;
                            if (!jit_run(blk, code, init, ref, "block")) {
                                g_test_fail();
                                goto out;
                            }
                        }
                    }
                }
            }
        }
    }
    g_test_message("%u runs", runs);
out:
    munmap(code, CODE_SIZE);
    g_free(blk);
    g_free(init);
    g_free(ref);
    g_free(x);
}

static void report_backend(const BackendStats *st)
{
    g_test_message("%u blocks compiled and run: %u with spill slots, %u with pinned "
                   "globals; %u given up (%u after optimising)", st->blocks, st->spilled,
                   st->pinned, st->given_up, st->given_up_optimised);
}

static void test_backend_pure(void)
{
    static const GenCfg cfg = { .min_ops = 1, .max_ops = 60, .side_exits = true };
    BackendStats st = { 0 };

    check_backend(&cfg, 3000, &st);
    report_backend(&st);
    if (!g_test_failed()) {
        g_assert_cmpuint(st.given_up_optimised, ==, 0);
        g_assert_cmpuint(st.pinned, >, st.blocks / 2);
    }
}

/* Many locals live at once (spill slots), and helper calls (locals live
 * across them need callee-saved registers or slots; pinned globals are
 * written back before and reloaded after). */
static void test_backend_pressure(void)
{
    static const GenCfg cfg = { .min_ops = 0, .max_ops = 30, .calls = true,
                                .side_exits = true, .pressure = 18 };
    BackendStats st = { 0 };

    check_backend(&cfg, 2000, &st);
    report_backend(&st);
    if (!g_test_failed()) {
        g_assert_cmpuint(st.spilled, >, st.blocks / 10);
        g_assert_cmpuint(st.given_up, <, st.blocks / 4);
    }
}

#else

static void test_backend_pure(void)
{
    g_test_skip("the backend is x86-64 code; this host is not x86-64");
}

static void test_backend_pressure(void)
{
    g_test_skip("the backend is x86-64 code; this host is not x86-64");
}

static void test_backend_corners(void)
{
    g_test_skip("the backend is x86-64 code; this host is not x86-64");
}

#endif

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jit/ir/eval/all", test_eval_all);
    g_test_add_func("/jit/ir/eval/known", test_eval_known);
    g_test_add_func("/jit/ir/opt/const", test_opt_const);
    g_test_add_func("/jit/ir/opt/pcrel", test_opt_pcrel);
    g_test_add_func("/jit/ir/opt/copy", test_opt_copy);
    g_test_add_func("/jit/ir/opt/identities", test_opt_identities);
    g_test_add_func("/jit/ir/opt/dead", test_opt_dead);
    g_test_add_func("/jit/ir/opt/brcond", test_opt_brcond);
    g_test_add_func("/jit/ir/opt/globals-effect", test_opt_globals_effect);
    g_test_add_func("/jit/ir/dump", test_dump);
    g_test_add_func("/jit/ir/random/pure", test_random_pure);
    g_test_add_func("/jit/ir/random/effects", test_random_effects);
    g_test_add_func("/jit/ir/random/pressure", test_random_pressure);
    g_test_add_func("/jit/x86/corners", test_backend_corners);
    g_test_add_func("/jit/x86/random/pure", test_backend_pure);
    g_test_add_func("/jit/x86/random/pressure", test_backend_pressure);
    return g_test_run();
}
