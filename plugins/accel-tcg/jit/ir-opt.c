/*
 * ir-opt.c - the IR optimiser: one forward pass that folds constants
 * (including pc-relative values, so AUIPC-style address arithmetic and
 * "jump to pc + k through a register" become direct), propagates copies
 * and applies algebraic identities; then one backward pass that removes
 * what nothing reads.
 *
 * Blocks are straight lines, so both passes are single sweeps.  Locals
 * are written once, which makes a copy of a local valid for the rest of
 * the block; a copy of a global is valid while that global keeps the
 * value it had (tracked with a per-temp write count).
 */
#include "ir.h"

#include <string.h>

enum { K_UNKNOWN, K_CONST, K_PCREL, K_COPY };

typedef struct Known {
    uint8_t kind;
    bool nonzero;           /* whatever the value, it is not 0 */
    TcgTemp src;            /* K_COPY */
    uint32_t src_version;   /* K_COPY: writes to src when copied */
    int64_t c;              /* K_CONST value, K_PCREL offset */
} Known;

typedef struct Opt {
    TcgBlock *blk;
    Known known[TCG_MAX_TEMPS];
    uint32_t version[TCG_MAX_TEMPS];
} Opt;

/* An argument as the best known equivalent: a constant, pc + k, or the
 * oldest temp holding the same value. */
static void resolve(Opt *o, TcgArg *a)
{
    if (a->kind != TCG_ARG_TEMP) {
        return;
    }
    const Known *k = &o->known[a->t];
    switch (k->kind) {
    case K_CONST:
        *a = tcg_const(k->c);
        break;
    case K_PCREL:
        *a = tcg_pcrel(k->c);
        break;
    case K_COPY:
        if (o->version[k->src] == k->src_version) {
            a->t = k->src;
        }
        break;
    default:
        break;
    }
}

/* d is about to be written: what was known about it goes. */
static void clobber(Opt *o, TcgTemp d)
{
    if (d != TCG_NO_TEMP) {
        o->known[d].kind = K_UNKNOWN;
        o->known[d].nonzero = false;
        o->version[d]++;
    }
}

static void forget_globals(Opt *o)
{
    for (unsigned g = 0; g < o->blk->n_globals; g++) {
        clobber(o, (TcgTemp)g);
    }
}

/* Record d = a after an op became a move (or was one). */
static void learn_move(Opt *o, TcgTemp d, const TcgArg *a)
{
    Known *k = &o->known[d];
    switch (a->kind) {
    case TCG_ARG_CONST: k->kind = K_CONST; k->c = a->c; break;
    case TCG_ARG_PCREL: k->kind = K_PCREL; k->c = a->c; break;
    case TCG_ARG_TEMP:
        if (a->t != d) {
            k->kind = K_COPY;
            k->src = a->t;
            k->src_version = o->version[a->t];
        }
        break;
    default:
        break;
    }
}

static void make_move(TcgOp *op, TcgArg a)
{
    op->opc = TCG_OP_MOV;
    op->flags = 0;
    op->a = a;
    op->b = (TcgArg){ .kind = TCG_ARG_NONE };
}

static bool is_const(const TcgArg *a, int64_t v)
{
    return a->kind == TCG_ARG_CONST && a->c == v;
}

static bool commutes(TcgOpc opc)
{
    return opc == TCG_OP_ADD || opc == TCG_OP_AND || opc == TCG_OP_OR ||
           opc == TCG_OP_XOR || opc == TCG_OP_MUL || opc == TCG_OP_MULHU ||
           opc == TCG_OP_MULH;
}

/* Simplify a pure op whose arguments are resolved; true if it became a
 * move (whose source is op->a). */
static bool simplify(TcgOp *op)
{
    TcgOpc opc = op->opc;
    bool w = op->flags & TCG_F_W;
    TcgArg *a = &op->a, *b = &op->b;

    if (opc == TCG_OP_MOV) {
        return true;
    }
    if (a->kind == TCG_ARG_CONST && b->kind == TCG_ARG_CONST) {
        make_move(op, tcg_const((int64_t)tcg_eval(opc, op->flags, op->cond,
                                                  (uint64_t)a->c, (uint64_t)b->c)));
        return true;
    }
    if (commutes(opc) && a->kind == TCG_ARG_CONST) {
        TcgArg t = *a;
        *a = *b;
        *b = t;
    }
    /* pc + k arithmetic (64-bit only: a W form would need the pc's bits) */
    if (!w && a->kind == TCG_ARG_PCREL && b->kind == TCG_ARG_CONST) {
        if (opc == TCG_OP_ADD || opc == TCG_OP_SUB) {
            /* in uint64_t: offsets wrap like the addresses they stand for
             * (a folded constant can be anything; int64_t overflow is UB) */
            uint64_t k = (uint64_t)a->c, c = (uint64_t)b->c;
            make_move(op, tcg_pcrel((int64_t)(opc == TCG_OP_ADD ? k + c : k - c)));
            return true;
        }
        /* blocks start at even addresses, so clearing bit 0 of pc + k
         * clears it in k (the JALR target rule) */
        if (opc == TCG_OP_AND && b->c == -2) {
            make_move(op, tcg_pcrel(a->c & ~(int64_t)1));
            return true;
        }
    }
    if (a->kind == TCG_ARG_PCREL && b->kind == TCG_ARG_PCREL && !w &&
        (opc == TCG_OP_SUB || opc == TCG_OP_SETCOND)) {
        uint64_t r = tcg_eval(opc, 0, op->cond, (uint64_t)a->c, (uint64_t)b->c);
        if (opc == TCG_OP_SUB || op->cond == TCG_EQ || op->cond == TCG_NE) {
            make_move(op, tcg_const((int64_t)r));   /* differences are exact */
            return true;
        }
    }
    if (a->kind == TCG_ARG_TEMP && b->kind == TCG_ARG_TEMP && a->t == b->t) {
        if (opc == TCG_OP_SUB || opc == TCG_OP_XOR) {
            make_move(op, tcg_const(0));
            return true;
        }
        if ((opc == TCG_OP_AND || opc == TCG_OP_OR) && !w) {
            make_move(op, *a);
            return true;
        }
    }
    if (b->kind != TCG_ARG_CONST) {
        return false;
    }
    /* x OP constant identities */
    switch (opc) {
    case TCG_OP_ADD: case TCG_OP_SUB: case TCG_OP_OR: case TCG_OP_XOR:
    case TCG_OP_SHL: case TCG_OP_SHR: case TCG_OP_SAR:
        if (is_const(b, 0) && !w) {
            make_move(op, *a);
            return true;
        }
        break;
    case TCG_OP_AND:
        if (is_const(b, 0)) {
            make_move(op, tcg_const(0));
            return true;
        }
        if (is_const(b, -1) && !w) {
            make_move(op, *a);
            return true;
        }
        break;
    case TCG_OP_MUL:
        if (is_const(b, 0)) {
            make_move(op, tcg_const(0));
            return true;
        }
        if (is_const(b, 1) && !w) {
            make_move(op, *a);
            return true;
        }
        break;
    default:
        break;
    }
    return false;
}

static void forward(Opt *o)
{
    TcgBlock *blk = o->blk;

    for (unsigned i = 0; i < blk->n_ops; i++) {
        TcgOp *op = &blk->ops[i];
        TcgOpc opc = op->opc;

        if (opc == TCG_OP_NOP || opc == TCG_OP_INSN) {
            continue;
        }
        resolve(o, &op->a);
        resolve(o, &op->b);
        if (tcg_op_is_pure(opc)) {
            bool move = simplify(op);
            if (op->opc >= TCG_OP_DIV && op->opc <= TCG_OP_REMU &&
                op->b.kind == TCG_ARG_TEMP && o->known[op->b.t].nonzero) {
                op->flags |= TCG_F_NONZERO_B;
            }
            clobber(o, op->d);
            if (move && op->d != TCG_NO_TEMP) {
                learn_move(o, op->d, &op->a);
            }
            /* x | c is never 0 when c's low word is not (divisors made
             * odd, as in a % (b | 1)); the low word, so that the W
             * divisions, which look only at it, may rely on it too */
            if (!move && op->d != TCG_NO_TEMP && op->opc == TCG_OP_OR &&
                op->b.kind == TCG_ARG_CONST && (uint32_t)op->b.c != 0) {
                o->known[op->d].nonzero = true;
            }
            continue;
        }
        switch (opc) {
        case TCG_OP_BRCOND:
            if (op->a.kind == TCG_ARG_CONST && op->b.kind == TCG_ARG_CONST) {
                bool taken = tcg_cond_holds(op->cond, (uint64_t)op->a.c,
                                            (uint64_t)op->b.c);
                op->opc = TCG_OP_GOTO;
                op->imm = taken ? op->imm : op->imm2;
                op->a = op->b = (TcgArg){ .kind = TCG_ARG_NONE };
            }
            break;
        case TCG_OP_EXIT_IF:
            if (op->a.kind == TCG_ARG_CONST && op->b.kind == TCG_ARG_CONST) {
                /* always: the block ends here (what follows is never
                 * reached, and is left as it is); never: gone */
                bool taken = tcg_cond_holds(op->cond, (uint64_t)op->a.c,
                                            (uint64_t)op->b.c);
                op->opc = taken ? TCG_OP_GOTO : TCG_OP_NOP;
                op->a = op->b = (TcgArg){ .kind = TCG_ARG_NONE };
            }
            break;
        case TCG_OP_LABEL:
            forget_globals(o);          /* a join: other paths arrive */
            break;
        case TCG_OP_GOTO_PTR:
            if (op->a.kind == TCG_ARG_PCREL) {
                op->opc = TCG_OP_GOTO;
                op->imm = op->a.c;
                op->a = (TcgArg){ .kind = TCG_ARG_NONE };
            }
            break;
        case TCG_OP_TARGET:
            if (op->eff & TCG_EFF_GLOBALS) {
                forget_globals(o);
            }
            clobber(o, op->d);
            break;
        default:                        /* LD, ST */
            clobber(o, op->d);
            break;
        }
    }
}

/* ---- dead code ---- */

typedef struct Live {
    uint64_t w[TCG_MAX_TEMPS / 64];
} Live;

static bool live_has(const Live *l, TcgTemp t)
{
    return (l->w[t / 64] >> (t % 64)) & 1;
}

static void live_add(Live *l, TcgTemp t)
{
    l->w[t / 64] |= 1ull << (t % 64);
}

static void live_del(Live *l, TcgTemp t)
{
    l->w[t / 64] &= ~(1ull << (t % 64));
}

static void live_add_arg(Live *l, const TcgArg *a)
{
    if (a->kind == TCG_ARG_TEMP) {
        live_add(l, a->t);
    }
}

/* Globals are temps 0 .. n-1 with n <= TCG_MAX_GLOBALS = 64: word 0. */
static void live_add_globals(Live *l, unsigned n)
{
    l->w[0] |= n >= 64 ? ~0ull : (1ull << n) - 1;
}

static void backward(TcgBlock *blk)
{
    Live live;
    /* what is live at each LABEL, met before the SKIP_IFs that jump
     * there (forward jumps, backward walk) */
    Live at_label[TCG_MAX_LABELS];

    memset(&live, 0, sizeof(live));
    memset(at_label, 0, sizeof(at_label));
    live_add_globals(&live, blk->n_globals);
    for (unsigned i = blk->n_ops; i-- > 0;) {
        TcgOp *op = &blk->ops[i];
        TcgOpc opc = op->opc;

        if (opc == TCG_OP_NOP || opc == TCG_OP_INSN) {
            continue;
        }
        if (opc == TCG_OP_LABEL) {
            at_label[op->imm % TCG_MAX_LABELS] = live;
            continue;
        }
        if (opc == TCG_OP_SKIP_IF) {
            const Live *l = &at_label[op->imm % TCG_MAX_LABELS];
            for (unsigned w = 0; w < TCG_MAX_TEMPS / 64; w++) {
                live.w[w] |= l->w[w];
            }
        }
        bool d_live = op->d != TCG_NO_TEMP && live_has(&live, op->d);
        if (tcg_op_is_pure(opc)) {
            bool self_move = opc == TCG_OP_MOV && op->a.kind == TCG_ARG_TEMP &&
                             op->a.t == op->d;
            if (!d_live || self_move) {
                op->opc = TCG_OP_NOP;
                continue;
            }
        }
        if (opc == TCG_OP_LD && !d_live) {
            op->d = TCG_NO_TEMP;        /* the access still happens */
        }
        if (op->d != TCG_NO_TEMP) {
            live_del(&live, op->d);
        }
        bool all_globals = opc == TCG_OP_LD || opc == TCG_OP_ST ||
                           opc == TCG_OP_GOTO || opc == TCG_OP_GOTO_PTR ||
                           opc == TCG_OP_BRCOND || opc == TCG_OP_EXIT_IF ||
                           (opc == TCG_OP_TARGET &&
                            (op->eff & (TCG_EFF_FAULT | TCG_EFF_GLOBALS)));
        if (all_globals) {
            live_add_globals(&live, blk->n_globals);
        }
        live_add_arg(&live, &op->a);
        live_add_arg(&live, &op->b);
    }
}

void tcg_ir_optimise(TcgBlock *blk)
{
    Opt o;                              /* ~20 KiB of stack, set up as used */

    o.blk = blk;
    memset(o.known, 0, blk->n_temps * sizeof(o.known[0]));
    memset(o.version, 0, blk->n_temps * sizeof(o.version[0]));
    forward(&o);
    backward(blk);
}
