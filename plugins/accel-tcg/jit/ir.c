/*
 * ir.c - building IR blocks, the meaning of each pure op, and the text
 * form -d op / -d op_opt print.
 */
#include "ir.h"

#include <inttypes.h>
#include <string.h>

void tcg_ir_init(TcgBlock *blk, unsigned n_globals,
                 const char *const *global_names)
{
    blk->n_globals = n_globals;
    blk->n_temps = n_globals;
    blk->n_ops = 0;
    blk->global_names = global_names;
    blk->target_name = NULL;
}

bool tcg_ir_room(const TcgBlock *blk, unsigned n)
{
    return blk->n_ops + n <= TCG_MAX_OPS && blk->n_temps + n <= TCG_MAX_TEMPS;
}

TcgTemp tcg_ir_local(TcgBlock *blk)
{
    if (blk->n_temps >= TCG_MAX_TEMPS) {
        return TCG_NO_TEMP;
    }
    return (TcgTemp)blk->n_temps++;
}

TcgOp *tcg_ir_op(TcgBlock *blk, TcgOpc opc, unsigned insn)
{
    TcgOp *op = &blk->ops[blk->n_ops++];
    memset(op, 0, sizeof(*op));
    op->opc = (uint8_t)opc;
    op->insn = (uint16_t)insn;
    op->d = TCG_NO_TEMP;
    return op;
}

TcgOp *tcg_ir_binop(TcgBlock *blk, unsigned insn, TcgOpc opc, bool w,
                    TcgTemp d, TcgArg a, TcgArg b)
{
    TcgOp *op = tcg_ir_op(blk, opc, insn);
    op->flags = w ? TCG_F_W : 0;
    op->d = d;
    op->a = a;
    op->b = opc == TCG_OP_MOV ? (TcgArg){ .kind = TCG_ARG_NONE } : b;
    return op;
}

bool tcg_op_is_pure(TcgOpc opc)
{
    return opc >= TCG_OP_MOV && opc <= TCG_OP_SETCOND;
}

bool tcg_cond_holds(TcgCond cond, uint64_t a, uint64_t b)
{
    switch (cond) {
    case TCG_EQ: return a == b;
    case TCG_NE: return a != b;
    case TCG_LT: return (int64_t)a < (int64_t)b;
    case TCG_GE: return (int64_t)a >= (int64_t)b;
    case TCG_LTU: return a < b;
    default: return a >= b;
    }
}

static uint64_t mulh_unsigned(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static uint64_t divide(TcgOpc opc, bool w, uint64_t a, uint64_t b)
{
    bool sign = opc == TCG_OP_DIV || opc == TCG_OP_REM;
    bool rem = opc == TCG_OP_REM || opc == TCG_OP_REMU;

    if (w) {
        a = sign ? (uint64_t)(int64_t)(int32_t)a : (uint32_t)a;
        b = sign ? (uint64_t)(int64_t)(int32_t)b : (uint32_t)b;
    }
    if (b == 0) {
        return rem ? a : UINT64_MAX;
    }
    if (sign) {
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        if (sb == -1) {
            return rem ? 0 : (uint64_t)0 - a;   /* wraps for MIN, as wanted */
        }
        return rem ? (uint64_t)(sa % sb) : (uint64_t)(sa / sb);
    }
    return rem ? a % b : a / b;
}

uint64_t tcg_eval(TcgOpc opc, unsigned flags, TcgCond cond, uint64_t a, uint64_t b)
{
    bool w = flags & TCG_F_W;
    unsigned sh = (unsigned)b & (w ? 31 : 63);
    uint64_t r;

    switch (opc) {
    case TCG_OP_MOV: r = a; break;
    case TCG_OP_ADD: r = a + b; break;
    case TCG_OP_SUB: r = a - b; break;
    case TCG_OP_AND: r = a & b; break;
    case TCG_OP_OR: r = a | b; break;
    case TCG_OP_XOR: r = a ^ b; break;
    case TCG_OP_SHL: r = a << sh; break;
    case TCG_OP_SHR: r = w ? (uint32_t)a >> sh : a >> sh; break;
    case TCG_OP_SAR:
        r = w ? (uint64_t)(int64_t)((int32_t)a >> sh) : (uint64_t)((int64_t)a >> sh);
        break;
    case TCG_OP_MUL: r = a * b; break;
    case TCG_OP_MULHU: r = mulh_unsigned(a, b); break;
    case TCG_OP_MULH:
        r = mulh_unsigned(a, b) - ((int64_t)a < 0 ? b : 0) - ((int64_t)b < 0 ? a : 0);
        break;
    case TCG_OP_MULHSU: r = mulh_unsigned(a, b) - ((int64_t)a < 0 ? b : 0); break;
    case TCG_OP_DIV: case TCG_OP_DIVU: case TCG_OP_REM: case TCG_OP_REMU:
        r = divide(opc, w, a, b);
        break;
    case TCG_OP_SETCOND: r = tcg_cond_holds(cond, a, b); break;
    default: r = 0; break;
    }
    if (w) {
        r = (uint64_t)(int64_t)(int32_t)r;
    }
    return r;
}

/* ---- dumps ---- */

static const char *const op_names[TCG_OP_COUNT] = {
    [TCG_OP_NOP] = "nop", [TCG_OP_INSN] = "insn", [TCG_OP_MOV] = "mov",
    [TCG_OP_ADD] = "add", [TCG_OP_SUB] = "sub", [TCG_OP_AND] = "and",
    [TCG_OP_OR] = "or", [TCG_OP_XOR] = "xor", [TCG_OP_SHL] = "shl",
    [TCG_OP_SHR] = "shr", [TCG_OP_SAR] = "sar", [TCG_OP_MUL] = "mul",
    [TCG_OP_MULH] = "mulh", [TCG_OP_MULHU] = "mulhu", [TCG_OP_MULHSU] = "mulhsu",
    [TCG_OP_DIV] = "div", [TCG_OP_DIVU] = "divu", [TCG_OP_REM] = "rem",
    [TCG_OP_REMU] = "remu", [TCG_OP_SETCOND] = "setcond", [TCG_OP_LD] = "ld",
    [TCG_OP_ST] = "st", [TCG_OP_TARGET] = "target", [TCG_OP_GOTO] = "goto",
    [TCG_OP_GOTO_PTR] = "goto_ptr", [TCG_OP_BRCOND] = "brcond",
    [TCG_OP_EXIT_IF] = "exit_if", [TCG_OP_SKIP_IF] = "skip_if",
    [TCG_OP_LABEL] = "label",
};

static const char *const cond_names[] = { "eq", "ne", "lt", "ge", "ltu", "geu" };

static void dump_temp(const TcgBlock *blk, FILE *out, TcgTemp t)
{
    if (t < blk->n_globals && blk->global_names) {
        fputs(blk->global_names[t], out);
    } else if (t < blk->n_globals) {
        fprintf(out, "g%u", t);
    } else {
        fprintf(out, "tmp%u", t - blk->n_globals);
    }
}

static void dump_arg(const TcgBlock *blk, FILE *out, const TcgArg *a)
{
    switch (a->kind) {
    case TCG_ARG_TEMP: dump_temp(blk, out, a->t); break;
    case TCG_ARG_CONST: fprintf(out, "$0x%" PRIx64, (uint64_t)a->c); break;
    case TCG_ARG_PCREL: fprintf(out, "pc%+" PRId64, a->c); break;
    default: fputs("-", out); break;
    }
}

void tcg_ir_dump(const TcgBlock *blk, FILE *out)
{
    for (unsigned i = 0; i < blk->n_ops; i++) {
        const TcgOp *op = &blk->ops[i];
        if (op->opc == TCG_OP_NOP) {
            continue;
        }
        if (op->opc == TCG_OP_INSN) {
            fprintf(out, " ---- insn %u at pc%+" PRId64 "\n", op->insn, op->imm);
            continue;
        }
        fputs("  ", out);
        if (op->opc == TCG_OP_TARGET && blk->target_name) {
            fputs(blk->target_name(op->aux), out);
        } else {
            fputs(op_names[op->opc], out);
        }
        if (op->flags & TCG_F_W) {
            fputs("_w", out);
        }
        if (op->opc == TCG_OP_SETCOND || op->opc == TCG_OP_BRCOND ||
            op->opc == TCG_OP_EXIT_IF || op->opc == TCG_OP_SKIP_IF) {
            fprintf(out, "_%s", cond_names[op->cond % 6]);
        }
        if (op->opc == TCG_OP_LD || op->opc == TCG_OP_ST) {
            fprintf(out, "%u%s", op->aux & TCG_MEM_SIZE,
                    op->aux & TCG_MEM_SIGN ? "s" : "");
        }
        fputc(' ', out);
        bool comma = false;
        if (op->d != TCG_NO_TEMP) {
            dump_temp(blk, out, op->d);
            comma = true;
        }
        const TcgArg *args[2] = { &op->a, &op->b };
        for (unsigned k = 0; k < 2; k++) {
            if (args[k]->kind != TCG_ARG_NONE) {
                fputs(comma ? ", " : "", out);
                dump_arg(blk, out, args[k]);
                comma = true;
            }
        }
        switch (op->opc) {
        case TCG_OP_LD: case TCG_OP_ST:
            fprintf(out, "%s%+" PRId64, comma ? ", " : "", op->imm);
            break;
        case TCG_OP_GOTO:
            fprintf(out, "pc%+" PRId64, op->imm);
            break;
        case TCG_OP_EXIT_IF:
            fprintf(out, ", pc%+" PRId64, op->imm);
            break;
        case TCG_OP_SKIP_IF:
            fprintf(out, ", L%" PRId64, op->imm);
            break;
        case TCG_OP_LABEL:
            fprintf(out, "L%" PRId64, op->imm);
            break;
        case TCG_OP_BRCOND:
            fprintf(out, ", pc%+" PRId64 ", pc%+" PRId64, op->imm, op->imm2);
            break;
        default:
            break;
        }
        fputc('\n', out);
    }
}
