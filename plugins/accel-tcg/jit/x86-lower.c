/*
 * x86-lower.c - register allocation for one IR block and the x86-64
 * code of its pure operations (see x86-lower.h).
 */
#include "x86-lower.h"

#include <string.h>

/* The allocation pool, callee-saved first: a value there survives a
 * call into C. */
static const int pool[] = {
    X86_RBP, X86_R14, X86_R15, X86_R8, X86_R9, X86_R10, X86_R11,
    X86_RSI, X86_RDI,           /* only in blocks that need no scratch there */
};
#define N_POOL_MAX ((unsigned)(sizeof(pool) / sizeof(pool[0])))
#define N_POOL (N_POOL_MAX - 2)
#define CALLEE_SAVED ((1u << X86_RBP) | (1u << X86_R14) | (1u << X86_R15))

static bool is_global(const TcgX86 *x, TcgTemp t)
{
    return t < x->blk->n_globals;
}

static bool touches_globals(const TcgOp *op)
{
    return op->opc == TCG_OP_TARGET && (op->eff & TCG_EFF_GLOBALS);
}

static void count_arg(const TcgArg *a, unsigned n_globals, unsigned *uses)
{
    if (a->kind == TCG_ARG_TEMP && a->t < n_globals) {
        uses[a->t]++;
    }
}

/* Locals: last uses, whether they live across a call, and the most that
 * are live at once. */
static unsigned scan_locals(TcgX86 *x)
{
    const TcgBlock *blk = x->blk;
    uint16_t def[TCG_MAX_TEMPS];
    unsigned max_live = 0;

    for (unsigned t = blk->n_globals; t < blk->n_temps; t++) {
        x->last_use[t] = 0;
        x->across_call[t] = false;
        def[t] = 0;
    }
    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        const TcgArg *args[2] = { &op->a, &op->b };
        if (op->opc == TCG_OP_NOP) {
            /* a removed op keeps its operands but is never lowered, so
             * tcg_x86_op_done never runs for it: a last use there would
             * keep the local's register taken to the end of the block */
            continue;
        }
        for (unsigned k = 0; k < 2; k++) {
            if (args[k]->kind == TCG_ARG_TEMP && !is_global(x, args[k]->t)) {
                x->last_use[args[k]->t] = (uint16_t)i;
            }
        }
        if (op->d != TCG_NO_TEMP && !is_global(x, op->d)) {
            def[op->d] = (uint16_t)i;
        }
    }
    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        unsigned live = 0;
        for (unsigned t = blk->n_globals; t < blk->n_temps; t++) {
            if (def[t] <= i && x->last_use[t] > i) {
                live++;
                /* any TARGET op may call C, at least on a slow path
                 * that does not keep r8-r11 */
                if (op->opc == TCG_OP_TARGET && def[t] < i) {
                    x->across_call[t] = true;
                }
            }
        }
        if (live > max_live) {
            max_live = live;
        }
    }
    return max_live;
}

uint64_t tcg_x86_begin(TcgX86 *x, const TcgBlock *blk, X86Buf buf,
                       const int32_t *global_off, int32_t spill_off,
                       bool self_loop)
{
    unsigned uses[TCG_MAX_GLOBALS] = { 0 };
    uint64_t written = 0, need = 0, seen_write = 0;
    bool call_seen = false, skip_seen = false;

    x->b = buf;
    x->blk = blk;
    x->global_off = global_off;
    x->spill_off = spill_off;
    x->failed = false;
    memset(x->reg, -1, blk->n_temps);
    memset(x->slot, -1, blk->n_temps);
    x->free_slots = (1u << TCG_X86_SPILLS) - 1;

    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        if (op->opc == TCG_OP_NOP || op->opc == TCG_OP_INSN) {
            continue;
        }
        count_arg(&op->a, blk->n_globals, uses);
        count_arg(&op->b, blk->n_globals, uses);
        uint64_t reads = 0;
        if (op->a.kind == TCG_ARG_TEMP && op->a.t < blk->n_globals) {
            reads |= 1ull << op->a.t;
        }
        if (op->b.kind == TCG_ARG_TEMP && op->b.t < blk->n_globals) {
            reads |= 1ull << op->b.t;
        }
        uint64_t writes = op->d != TCG_NO_TEMP && op->d < blk->n_globals
                          ? 1ull << op->d : 0;
        if (skip_seen) {
            /* code a SKIP_IF may jump over: what it reads or writes must
             * hold the guest's value on the other path too */
            need |= reads | writes;
        } else if (!call_seen) {
            need |= reads & ~seen_write;
        }
        if (writes) {
            uses[op->d]++;
            written |= writes;
            seen_write |= writes;
        }
        if (op->opc == TCG_OP_SKIP_IF) {
            skip_seen = true;
        }
        if (touches_globals(op)) {
            call_seen = true;
        }
    }

    /* rsi and rdi are scratch only for memory accesses, target ops and
     * MULHSU: a block without them gets two more registers */
    bool extra = true;
    for (unsigned i = 0; i < blk->n_ops && extra; i++) {
        TcgOpc opc = blk->ops[i].opc;
        extra = opc != TCG_OP_LD && opc != TCG_OP_ST && opc != TCG_OP_TARGET &&
                opc != TCG_OP_MULHSU;
    }
    x->n_pool = extra ? N_POOL_MAX : N_POOL;

    unsigned max_live = scan_locals(x);
    unsigned reserve = max_live < 3 ? max_live : 3;
    /* the globals used twice or more, most used first (insertion sort:
     * a block touches a few dozen at most) */
    unsigned cand[TCG_MAX_GLOBALS], n_cand = 0;
    for (unsigned g = 0; g < blk->n_globals; g++) {
        if (uses[g] >= 2) {
            unsigned k = n_cand++;
            while (k > 0 && uses[cand[k - 1]] < uses[g]) {
                cand[k] = cand[k - 1];
                k--;
            }
            cand[k] = g;
        }
    }
    x->pinned = 0;
    uint32_t taken = 0;
    for (unsigned k = 0; k < n_cand && k + reserve < x->n_pool; k++) {
        x->pinned |= 1ull << cand[k];
        x->reg[cand[k]] = (int8_t)pool[k];
        taken |= 1u << pool[k];
    }
    x->free_regs = 0;
    for (unsigned k = 0; k < x->n_pool; k++) {
        if (!(taken & (1u << pool[k]))) {
            x->free_regs |= 1u << pool[k];
        }
    }
    x->written = written & x->pinned;
    x->dirty = 0;
    if (self_loop) {
        x->dirty = x->written;
        need |= x->dirty;
    }
    return need & x->pinned;
}

static X86Mem global_mem(const TcgX86 *x, TcgTemp g)
{
    return x86_mem(X86_RBX, x->global_off[g]);
}

X86Mem tcg_x86_temp_mem(const TcgX86 *x, TcgTemp t)
{
    if (is_global(x, t)) {
        return global_mem(x, t);
    }
    return x86_mem(X86_RBX, x->spill_off + 8 * (x->slot[t] < 0 ? 0 : x->slot[t]));
}

int tcg_x86_temp_reg(const TcgX86 *x, TcgTemp t)
{
    return x->reg[t];
}

void tcg_x86_load_globals(TcgX86 *x, uint64_t which)
{
    for (unsigned g = 0; g < x->blk->n_globals; g++) {
        if (which & x->pinned & (1ull << g)) {
            x86_load64(&x->b, x->reg[g], global_mem(x, (TcgTemp)g));
        }
    }
}

void tcg_x86_write_back(TcgX86 *x, uint64_t which)
{
    for (unsigned g = 0; g < x->blk->n_globals; g++) {
        if (which & x->pinned & (1ull << g)) {
            x86_store64(&x->b, global_mem(x, (TcgTemp)g), x->reg[g]);
        }
    }
}

void tcg_x86_sync(TcgX86 *x)
{
    tcg_x86_write_back(x, x->dirty);
    x->dirty = 0;
}

void tcg_x86_reload(TcgX86 *x)
{
    tcg_x86_load_globals(x, x->pinned);
}

/* host = pc + off (r12 holds the block's entry pc).  The optimiser folds
 * pc + constant for any constant, so off can be any 64-bit value. */
static void pc_value(X86Buf *b, int host, int64_t off)
{
    if (off == (int32_t)off) {
        x86_lea(b, host, x86_mem(X86_R12, (int32_t)off));
    } else {
        x86_mov_imm(b, host, (uint64_t)off);
        x86_alu_rr(b, true, X86_ADD, host, X86_R12);
    }
}

void tcg_x86_load_arg(TcgX86 *x, int host, const TcgArg *a)
{
    switch (a->kind) {
    case TCG_ARG_CONST:
        x86_mov_imm(&x->b, host, (uint64_t)a->c);
        break;
    case TCG_ARG_PCREL:
        pc_value(&x->b, host, a->c);
        break;
    case TCG_ARG_TEMP:
        if (x->reg[a->t] >= 0) {
            if (x->reg[a->t] != host) {
                x86_mov_rr(&x->b, host, x->reg[a->t]);
            }
        } else {
            x86_load64(&x->b, host, tcg_x86_temp_mem(x, a->t));
        }
        break;
    default:
        x86_mov_imm(&x->b, host, 0);
        break;
    }
}

int tcg_x86_src(TcgX86 *x, const TcgArg *a, int scratch)
{
    if (a->kind == TCG_ARG_TEMP && x->reg[a->t] >= 0) {
        return x->reg[a->t];
    }
    tcg_x86_load_arg(x, scratch, a);
    return scratch;
}

/* Give local t a home at its definition. */
static void place_local(TcgX86 *x, TcgTemp t)
{
    uint32_t ok = x->free_regs & (x->across_call[t] ? CALLEE_SAVED : ~0u);
    for (unsigned k = 0; k < x->n_pool; k++) {
        if (ok & (1u << pool[k])) {
            x->reg[t] = (int8_t)pool[k];
            x->free_regs &= ~(1u << pool[k]);
            return;
        }
    }
    for (int s = 0; s < TCG_X86_SPILLS; s++) {
        if (x->free_slots & (1u << s)) {
            x->slot[t] = (int8_t)s;
            x->free_slots &= ~(1u << s);
            return;
        }
    }
    x->failed = true;
}

int tcg_x86_dst(TcgX86 *x, TcgTemp d)
{
    if (d == TCG_NO_TEMP) {
        return X86_RAX;
    }
    if (!is_global(x, d) && x->reg[d] < 0 && x->slot[d] < 0) {
        place_local(x, d);
    }
    return x->reg[d] >= 0 ? x->reg[d] : X86_RAX;
}

void tcg_x86_dst_done(TcgX86 *x, TcgTemp d, int host)
{
    if (d == TCG_NO_TEMP) {
        return;
    }
    if (x->reg[d] >= 0) {
        if (x->reg[d] != host) {
            x86_mov_rr(&x->b, x->reg[d], host);
        }
        if (is_global(x, d)) {
            x->dirty |= 1ull << d;
        }
    } else {
        x86_store64(&x->b, tcg_x86_temp_mem(x, d), host);
    }
}

void tcg_x86_op_done(TcgX86 *x, unsigned i)
{
    const TcgOp *op = &x->blk->ops[i];
    const TcgArg *args[2] = { &op->a, &op->b };

    for (unsigned k = 0; k < 2; k++) {
        TcgTemp t = args[k]->t;
        if (args[k]->kind != TCG_ARG_TEMP || is_global(x, t) || x->last_use[t] != i) {
            continue;
        }
        if (x->reg[t] >= 0) {
            x->free_regs |= 1u << x->reg[t];
        } else if (x->slot[t] >= 0) {
            x->free_slots |= 1u << x->slot[t];
        }
    }
}

int tcg_x86_cc(TcgCond cond)
{
    static const int cc[] = {
        [TCG_EQ] = X86_CC_E, [TCG_NE] = X86_CC_NE, [TCG_LT] = X86_CC_L,
        [TCG_GE] = X86_CC_GE, [TCG_LTU] = X86_CC_B, [TCG_GEU] = X86_CC_AE,
    };
    return cc[cond];
}

/* ---- pure operations ---- */

/* BMI2's three-operand shifts, when the host has them (looked up once) */
static bool have_bmi2(void)
{
    static int known = -1;              /* translators of several harts */
    int v = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("bmi2") ? 1 : 0;
        __atomic_store_n(&known, v, __ATOMIC_RELAXED);
    }
    return v;
}

static bool fits_imm32(const TcgArg *a)
{
    return a->kind == TCG_ARG_CONST && a->c == (int32_t)a->c;
}

static bool same_value(const TcgArg *a, const TcgArg *b)
{
    return a->kind == b->kind && a->t == b->t && a->c == b->c;
}

static int alu_of(TcgOpc opc)
{
    switch (opc) {
    case TCG_OP_ADD: return X86_ADD;
    case TCG_OP_SUB: return X86_SUB;
    case TCG_OP_AND: return X86_AND;
    case TCG_OP_OR: return X86_OR;
    case TCG_OP_XOR: return X86_XOR;
    default: return -1;
    }
}

static int shift_of(TcgOpc opc)
{
    return opc == TCG_OP_SHL ? X86_SHL : opc == TCG_OP_SHR ? X86_SHR : X86_SAR;
}

static void lower_move(TcgX86 *x, const TcgOp *op)
{
    TcgTemp d = op->d;
    int dr = tcg_x86_dst(x, d);

    if (dr == X86_RAX && fits_imm32(&op->a)) {
        x86_store_imm32(&x->b, tcg_x86_temp_mem(x, d), (int32_t)op->a.c);
        return;
    }
    tcg_x86_load_arg(x, dr, &op->a);
    tcg_x86_dst_done(x, d, dr);
}

/* What emit_total_div leaves: the quotient or the remainder in rax, or
 * both (quotient in rax, remainder in rdx). */
enum { DIV_QUOT, DIV_REM, DIV_BOTH };

/*
 * rax / rb and/or rax % rb with the IR's total division (see ir.h): x86
 * would fault on /0 and on MIN / -1, so both take their own paths (any
 * x / -1 is -x and x % -1 is 0); a divisor known not to be 0 skips that
 * test.  q64: 64-bit, else 32-bit (the caller sign-extends).
 */
static void emit_total_div(X86Buf *b, bool q64, bool sign, int rb, bool nonzero,
                           int want)
{
    bool rem = want == DIV_REM, both = want == DIV_BOTH;
    uint8_t *zero = NULL, *minus1 = NULL, *done0 = NULL, *done1 = NULL;

    if (!nonzero) {
        x86_test_rr(b, q64, rb, rb);
        zero = x86_jcc32(b, X86_CC_E);
    }
    if (sign) {
        x86_alu_ri(b, q64, X86_CMP, rb, -1);
        minus1 = x86_jcc32(b, X86_CC_E);
        x86_sign_extend_ax(b, q64);
    } else {
        x86_mov_imm(b, X86_RDX, 0);
    }
    x86_div(b, q64, sign, rb);
    if (rem) {
        x86_mov_rr(b, X86_RAX, X86_RDX);
    }
    /* x % 0 = x is rax already: the remainder alone has an empty zero
     * path, nothing to jump over */
    if (sign || (zero && !rem)) {
        done0 = x86_jmp32(b);
    }
    if (sign) {
        x86_patch_rel32(minus1, b->p);
        if (rem) {
            x86_mov_imm(b, X86_RAX, 0);
        } else {
            x86_neg(b, q64, X86_RAX);
            if (both) {
                x86_mov_imm(b, X86_RDX, 0);
            }
        }
        if (zero) {
            done1 = x86_jmp32(b);
        }
    }
    if (zero) {
        x86_patch_rel32(zero, b->p);
        if (both) {
            x86_mov_rr(b, X86_RDX, X86_RAX);    /* x % 0 = x */
        }
        if (!rem) {
            x86_mov_imm(b, X86_RAX, UINT64_MAX);    /* x / 0 = all ones */
        }
    }
    if (done0) {
        x86_patch_rel32(done0, b->p);
    }
    if (done1) {
        x86_patch_rel32(done1, b->p);
    }
}

/* MULH*, DIV*, REM*: through rax and rcx, result in rax. */
static void lower_wide(TcgX86 *x, const TcgOp *op)
{
    X86Buf *b = &x->b;
    bool w = op->flags & TCG_F_W;

    tcg_x86_load_arg(x, X86_RAX, &op->a);
    /* b where it is (a pool register is never rax or rdx), else rcx */
    int rb = tcg_x86_src(x, &op->b, X86_RCX);
    switch (op->opc) {
    case TCG_OP_MULH:
        x86_mul_wide(b, true, rb);
        x86_mov_rr(b, X86_RAX, X86_RDX);
        break;
    case TCG_OP_MULHU:
        x86_mul_wide(b, false, rb);
        x86_mov_rr(b, X86_RAX, X86_RDX);
        break;
    case TCG_OP_MULHSU:
        /* high(signed a * unsigned b) = high(a * b unsigned) - (a < 0 ? b : 0) */
        x86_mov_rr(b, X86_RSI, X86_RAX);
        x86_mul_wide(b, false, rb);
        x86_shift_ri(b, true, X86_SAR, X86_RSI, 63);
        x86_alu_rr(b, true, X86_AND, X86_RSI, rb);
        x86_alu_rr(b, true, X86_SUB, X86_RDX, X86_RSI);
        x86_mov_rr(b, X86_RAX, X86_RDX);
        break;
    default:
        emit_total_div(b, !w, op->opc == TCG_OP_DIV || op->opc == TCG_OP_REM, rb,
                       op->flags & TCG_F_NONZERO_B,
                       op->opc == TCG_OP_REM || op->opc == TCG_OP_REMU ? DIV_REM
                                                                       : DIV_QUOT);
        break;
    }
    if (w) {
        x86_movsxd(b, X86_RAX, X86_RAX);
    }
    int dr = tcg_x86_dst(x, op->d);
    if (dr != X86_RAX) {
        x86_mov_rr(b, dr, X86_RAX);
    }
    tcg_x86_dst_done(x, op->d, dr);
}

void tcg_x86_cmp(TcgX86 *x, const TcgArg *a, const TcgArg *b)
{
    int ra = tcg_x86_src(x, a, X86_RCX);

    if (fits_imm32(b)) {
        x86_alu_ri(&x->b, true, X86_CMP, ra, (int32_t)b->c);
    } else {
        int rb = tcg_x86_src(x, b, X86_RDX);
        x86_alu_rr(&x->b, true, X86_CMP, ra, rb);
    }
}

static void lower_setcond(TcgX86 *x, const TcgOp *op)
{
    tcg_x86_cmp(x, &op->a, &op->b);
    int dr = tcg_x86_dst(x, op->d);
    x86_setcc(&x->b, tcg_x86_cc(op->cond), dr);
    tcg_x86_dst_done(x, op->d, dr);
}

/* d = a OP b for ADD .. XOR, shifts and MUL. */
static void lower_binop(TcgX86 *x, const TcgOp *op)
{
    X86Buf *b = &x->b;
    bool w = op->flags & TCG_F_W;
    bool q64 = !w;
    int alu = alu_of(op->opc);
    bool shift = op->opc == TCG_OP_SHL || op->opc == TCG_OP_SHR || op->opc == TCG_OP_SAR;
    bool commutes = op->opc != TCG_OP_SUB && !shift;
    int d = tcg_x86_dst(x, op->d);
    TcgArg a = op->a, bb = op->b;

    if (fits_imm32(&bb) && (alu >= 0 || shift)) {
        int32_t imm = (int32_t)bb.c;
        int ra = tcg_x86_src(x, &a, d);
        if (op->opc == TCG_OP_ADD && ra != d) {
            x86_lea(b, d, x86_mem(ra, imm));      /* add into another register */
            if (w) {
                x86_movsxd(b, d, d);
            }
            tcg_x86_dst_done(x, op->d, d);
            return;
        }
        if (ra != d) {
            x86_mov_rr(b, d, ra);
        }
        if (shift) {
            x86_shift_ri(b, q64, shift_of(op->opc), d, (unsigned)imm & (w ? 31 : 63));
        } else {
            x86_alu_ri(b, q64, alu, d, imm);
        }
    } else if (shift && have_bmi2()) {
        /* shlx/shrx/sarx: any registers, no moves into cl and d */
        int rc = tcg_x86_src(x, &bb, X86_RCX);
        int ra = tcg_x86_src(x, &a, X86_RDX);
        x86_shiftx(b, q64, shift_of(op->opc), d, ra, rc);
    } else if (shift) {
        tcg_x86_load_arg(x, X86_RCX, &bb);
        int ra = tcg_x86_src(x, &a, d);
        if (ra != d) {
            x86_mov_rr(b, d, ra);
        }
        x86_shift_cl(b, q64, shift_of(op->opc), d);
    } else if (bb.kind == TCG_ARG_TEMP && x->reg[bb.t] < 0) {
        /* b in memory (a guest register not kept in a host one): the
         * memory form, no load into a scratch register first */
        int ra = tcg_x86_src(x, &a, d);
        if (ra != d) {
            x86_mov_rr(b, d, ra);
        }
        X86Mem m = tcg_x86_temp_mem(x, bb.t);
        if (op->opc == TCG_OP_MUL) {
            x86_op_mem(b, false, q64, true, 0xaf, d, m, false);     /* imul */
        } else {
            x86_op_mem(b, false, q64, false, (uint8_t)(alu << 3 | 3), d, m, false);
        }
    } else {
        /* d = a OP b with b in a register; if d is b's register and a is
         * something else, swap (commutative) or work in rax */
        int rb = tcg_x86_src(x, &bb, X86_RCX);
        if (rb == d && !same_value(&a, &bb)) {
            if (commutes) {
                TcgArg t = a;
                a = bb;
                bb = t;
                rb = tcg_x86_src(x, &bb, X86_RCX);
            } else {
                d = X86_RAX;
            }
        }
        int ra = tcg_x86_src(x, &a, d);
        if (ra != d) {
            x86_mov_rr(b, d, ra);
        }
        if (op->opc == TCG_OP_MUL) {
            x86_imul_rr(b, q64, d, rb);
        } else {
            x86_alu_rr(b, q64, alu, d, rb);
        }
    }
    if (w) {
        x86_movsxd(b, d, d);
    }
    tcg_x86_dst_done(x, op->d, d);
}

static bool same_arg(const TcgArg *a, const TcgArg *b)
{
    return a->kind == b->kind &&
           (a->kind == TCG_ARG_TEMP ? a->t == b->t : a->c == b->c);
}

bool tcg_x86_divrem_pair(const TcgOp *first, const TcgOp *second)
{
    bool signed1 = first->opc == TCG_OP_DIV || first->opc == TCG_OP_REM;
    bool signed2 = second->opc == TCG_OP_DIV || second->opc == TCG_OP_REM;
    bool rem1 = first->opc == TCG_OP_REM || first->opc == TCG_OP_REMU;
    bool rem2 = second->opc == TCG_OP_REM || second->opc == TCG_OP_REMU;

    if (first->opc < TCG_OP_DIV || first->opc > TCG_OP_REMU ||
        second->opc < TCG_OP_DIV || second->opc > TCG_OP_REMU ||
        signed1 != signed2 || rem1 == rem2 || first->flags != second->flags ||
        first->d == TCG_NO_TEMP || second->d == TCG_NO_TEMP ||
        first->d == second->d ||
        !same_arg(&first->a, &second->a) || !same_arg(&first->b, &second->b)) {
        return false;
    }
    /* the first result must not be an operand of the second */
    const TcgArg *args[2] = { &second->a, &second->b };
    for (unsigned k = 0; k < 2; k++) {
        if (args[k]->kind == TCG_ARG_TEMP && args[k]->t == first->d) {
            return false;
        }
    }
    return true;
}

void tcg_x86_lower_divrem(TcgX86 *x, const TcgOp *first, const TcgOp *second)
{
    X86Buf *b = &x->b;
    bool w = first->flags & TCG_F_W;
    bool q64 = !w;
    bool sign = first->opc == TCG_OP_DIV || first->opc == TCG_OP_REM;

    tcg_x86_load_arg(x, X86_RAX, &first->a);
    int rb = tcg_x86_src(x, &first->b, X86_RCX);
    emit_total_div(b, q64, sign, rb, first->flags & TCG_F_NONZERO_B, DIV_BOTH);
    if (w) {
        x86_movsxd(b, X86_RAX, X86_RAX);
        x86_movsxd(b, X86_RDX, X86_RDX);
    }
    /* the remainder first: writing it never touches rax (no temp lives
     * in rax), so the quotient is still there for the other */
    const TcgOp *rem_op = first->opc == TCG_OP_REM || first->opc == TCG_OP_REMU
                        ? first : second;
    const TcgOp *div_op = rem_op == first ? second : first;
    tcg_x86_dst(x, rem_op->d);
    tcg_x86_dst_done(x, rem_op->d, X86_RDX);
    tcg_x86_dst(x, div_op->d);
    tcg_x86_dst_done(x, div_op->d, X86_RAX);
}

void tcg_x86_lower_pure(TcgX86 *x, const TcgOp *op)
{
    if (op->d == TCG_NO_TEMP) {
        return;
    }
    switch (op->opc) {
    case TCG_OP_MOV:
        lower_move(x, op);
        break;
    case TCG_OP_MULH: case TCG_OP_MULHU: case TCG_OP_MULHSU:
    case TCG_OP_DIV: case TCG_OP_DIVU: case TCG_OP_REM: case TCG_OP_REMU:
        lower_wide(x, op);
        break;
    case TCG_OP_SETCOND:
        lower_setcond(x, op);
        break;
    default:
        lower_binop(x, op);
        break;
    }
}
