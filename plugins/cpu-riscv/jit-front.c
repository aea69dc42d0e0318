/*
 * jit-front.c - RISC-V instructions (decoded RvInsn) to the JIT's IR.
 *
 * Guest register x[r] is IR global r (x0 is never used as one: reads of
 * it are the constant 0, writes to it are dropped, except that a load
 * into x0 still makes its access).  pc values are pc-relative operands
 * (offset from the block's start), since a block serves every virtual
 * alias of its page.  Instructions the IR has no operation for (F/D,
 * atomics) become a TARGET op that calls their C implementation.
 */
#include "jit-ir.h"

const char *const rv_jit_global_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6",
    "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

const char *rv_jit_target_name(unsigned aux)
{
    switch (aux) {
    case RV_T_AMO: return "call_amo";
    case RV_T_FP: return "call_fp";
    case RV_T_FLOAD: return "fload";
    case RV_T_FSTORE: return "fstore";
    case RV_T_FCSR: return "fcsr_op";
    case RV_T_CSR: return "call_csr";
    default: return "fence_store_load";
    }
}

static TcgArg xr(unsigned r)
{
    return r == 0 ? tcg_const(0) : tcg_temp((TcgTemp)r);
}

/* d = x[rs1] OP b, dropped for rd = x0 */
static void binop(TcgBlock *blk, unsigned idx, TcgOpc opc, bool w,
                  const RvInsn *in, TcgArg b)
{
    if (in->rd != 0) {
        tcg_ir_binop(blk, idx, opc, w, (TcgTemp)in->rd, xr(in->rs1), b);
    }
}

static void setcond(TcgBlock *blk, unsigned idx, TcgCond cond, const RvInsn *in,
                    TcgArg b)
{
    if (in->rd != 0) {
        TcgOp *op = tcg_ir_binop(blk, idx, TCG_OP_SETCOND, false,
                                 (TcgTemp)in->rd, xr(in->rs1), b);
        op->cond = (uint8_t)cond;
    }
}

static void load(TcgBlock *blk, unsigned idx, const RvInsn *in, unsigned size,
                 bool sign)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_LD, idx);
    op->d = in->rd ? (TcgTemp)in->rd : TCG_NO_TEMP;
    op->a = xr(in->rs1);
    op->imm = in->imm;
    op->aux = (uint8_t)(size | (sign ? TCG_MEM_SIGN : 0));
}

static void store(TcgBlock *blk, unsigned idx, const RvInsn *in, unsigned size)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_ST, idx);
    op->a = xr(in->rs1);
    op->b = xr(in->rs2);
    op->imm = in->imm;
    op->aux = (uint8_t)size;
}

static void helper_call(TcgBlock *blk, unsigned idx, unsigned kind)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_TARGET, idx);
    op->aux = (uint8_t)kind;
    op->eff = TCG_EFF_FAULT | TCG_EFF_GLOBALS | TCG_EFF_SIDE;
    op->payload = idx;
}

/*
 * An F/D computational instruction: inline when jit-fp.c has a fast path
 * for it, else a call; either way the integer register it reads (int ->
 * fp conversions and moves) is `a` and the one it writes (fp -> int,
 * compares, fclass) is `d`, which is all it does to the guest registers.
 */
static void fp_op(TcgBlock *blk, unsigned idx, const RvInsn *in)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_TARGET, idx);
    op->aux = RV_T_FP;
    op->eff = TCG_EFF_FAULT | TCG_EFF_SIDE;
    op->payload = idx;
    switch (in->op) {
    case RV_OP_FCVT_S_W: case RV_OP_FCVT_S_WU: case RV_OP_FCVT_S_L:
    case RV_OP_FCVT_S_LU: case RV_OP_FMV_W_X:
    case RV_OP_FCVT_D_W: case RV_OP_FCVT_D_WU: case RV_OP_FCVT_D_L:
    case RV_OP_FCVT_D_LU: case RV_OP_FMV_D_X:
        op->a = xr(in->rs1);
        break;
    case RV_OP_FCVT_W_S: case RV_OP_FCVT_WU_S: case RV_OP_FCVT_L_S:
    case RV_OP_FCVT_LU_S: case RV_OP_FMV_X_W: case RV_OP_FEQ_S:
    case RV_OP_FLT_S: case RV_OP_FLE_S: case RV_OP_FCLASS_S:
    case RV_OP_FCVT_W_D: case RV_OP_FCVT_WU_D: case RV_OP_FCVT_L_D:
    case RV_OP_FCVT_LU_D: case RV_OP_FMV_X_D: case RV_OP_FEQ_D:
    case RV_OP_FLT_D: case RV_OP_FLE_D: case RV_OP_FCLASS_D:
        op->d = in->rd ? (TcgTemp)in->rd : TCG_NO_TEMP;
        break;
    default:
        break;
    }
}

/* FLW/FLD/FSW/FSD: the address from x[rs1], the f register from the
 * instruction (`payload`) */
static void fp_access(TcgBlock *blk, unsigned idx, const RvInsn *in, unsigned kind,
                      unsigned size)
{
    TcgOp *op = tcg_ir_op(blk, TCG_OP_TARGET, idx);
    op->aux = (uint8_t)kind;
    op->eff = TCG_EFF_FAULT | TCG_EFF_SIDE;
    op->a = xr(in->rs1);
    op->imm = in->imm;
    op->imm2 = size;
    op->payload = idx;
}

/* A conditional branch: the block's end (BRCOND), or a side exit when
 * the block goes on with its fall-through (EXIT_IF). */
static void branch(TcgBlock *blk, unsigned idx, TcgCond cond, const RvInsn *in,
                   int64_t off, bool last)
{
    TcgOp *op = tcg_ir_op(blk, last ? TCG_OP_BRCOND : TCG_OP_EXIT_IF, idx);
    op->cond = (uint8_t)cond;
    op->a = xr(in->rs1);
    op->b = xr(in->rs2);
    op->imm = off + in->imm;
    op->imm2 = off + in->len;
}

void rv_jit_front(TcgBlock *blk, const RvInsn *in, unsigned idx, int64_t off,
                  bool last)
{
    TcgOp *mark = tcg_ir_op(blk, TCG_OP_INSN, idx);
    mark->imm = off;
    mark->imm2 = in->len;
    TcgArg imm = tcg_const(in->imm);

    switch (in->op) {
    case RV_OP_LUI:
        if (in->rd) {
            tcg_ir_binop(blk, idx, TCG_OP_MOV, false, (TcgTemp)in->rd, imm, imm);
        }
        break;
    case RV_OP_AUIPC:
        if (in->rd) {
            tcg_ir_binop(blk, idx, TCG_OP_MOV, false, (TcgTemp)in->rd,
                         tcg_pcrel(off + in->imm), tcg_const(0));
        }
        break;
    case RV_OP_JAL: {
        if (in->rd) {
            tcg_ir_binop(blk, idx, TCG_OP_MOV, false, (TcgTemp)in->rd,
                         tcg_pcrel(off + in->len), tcg_const(0));
        }
        TcgOp *op = tcg_ir_op(blk, TCG_OP_GOTO, idx);
        op->imm = off + in->imm;
        break;
    }
    case RV_OP_JALR: {
        /* the target first: rd may be rs1 */
        TcgTemp t = tcg_ir_local(blk), t2 = tcg_ir_local(blk);
        tcg_ir_binop(blk, idx, TCG_OP_ADD, false, t, xr(in->rs1), imm);
        tcg_ir_binop(blk, idx, TCG_OP_AND, false, t2, tcg_temp(t), tcg_const(-2));
        if (in->rd) {
            tcg_ir_binop(blk, idx, TCG_OP_MOV, false, (TcgTemp)in->rd,
                         tcg_pcrel(off + in->len), tcg_const(0));
        }
        TcgOp *op = tcg_ir_op(blk, TCG_OP_GOTO_PTR, idx);
        op->a = tcg_temp(t2);
        break;
    }
    case RV_OP_BEQ: branch(blk, idx, TCG_EQ, in, off, last); break;
    case RV_OP_BNE: branch(blk, idx, TCG_NE, in, off, last); break;
    case RV_OP_BLT: branch(blk, idx, TCG_LT, in, off, last); break;
    case RV_OP_BGE: branch(blk, idx, TCG_GE, in, off, last); break;
    case RV_OP_BLTU: branch(blk, idx, TCG_LTU, in, off, last); break;
    case RV_OP_BGEU: branch(blk, idx, TCG_GEU, in, off, last); break;
    case RV_OP_LB: load(blk, idx, in, 1, true); break;
    case RV_OP_LH: load(blk, idx, in, 2, true); break;
    case RV_OP_LW: load(blk, idx, in, 4, true); break;
    case RV_OP_LD: load(blk, idx, in, 8, false); break;
    case RV_OP_LBU: load(blk, idx, in, 1, false); break;
    case RV_OP_LHU: load(blk, idx, in, 2, false); break;
    case RV_OP_LWU: load(blk, idx, in, 4, false); break;
    case RV_OP_SB: store(blk, idx, in, 1); break;
    case RV_OP_SH: store(blk, idx, in, 2); break;
    case RV_OP_SW: store(blk, idx, in, 4); break;
    case RV_OP_SD: store(blk, idx, in, 8); break;
    case RV_OP_ADDI: binop(blk, idx, TCG_OP_ADD, false, in, imm); break;
    case RV_OP_SLTI: setcond(blk, idx, TCG_LT, in, imm); break;
    case RV_OP_SLTIU: setcond(blk, idx, TCG_LTU, in, imm); break;
    case RV_OP_XORI: binop(blk, idx, TCG_OP_XOR, false, in, imm); break;
    case RV_OP_ORI: binop(blk, idx, TCG_OP_OR, false, in, imm); break;
    case RV_OP_ANDI: binop(blk, idx, TCG_OP_AND, false, in, imm); break;
    case RV_OP_SLLI: binop(blk, idx, TCG_OP_SHL, false, in, imm); break;
    case RV_OP_SRLI: binop(blk, idx, TCG_OP_SHR, false, in, imm); break;
    case RV_OP_SRAI: binop(blk, idx, TCG_OP_SAR, false, in, imm); break;
    case RV_OP_ADDIW: binop(blk, idx, TCG_OP_ADD, true, in, imm); break;
    case RV_OP_SLLIW: binop(blk, idx, TCG_OP_SHL, true, in, imm); break;
    case RV_OP_SRLIW: binop(blk, idx, TCG_OP_SHR, true, in, imm); break;
    case RV_OP_SRAIW: binop(blk, idx, TCG_OP_SAR, true, in, imm); break;
    case RV_OP_ADD: binop(blk, idx, TCG_OP_ADD, false, in, xr(in->rs2)); break;
    case RV_OP_SUB: binop(blk, idx, TCG_OP_SUB, false, in, xr(in->rs2)); break;
    case RV_OP_SLL: binop(blk, idx, TCG_OP_SHL, false, in, xr(in->rs2)); break;
    case RV_OP_SLT: setcond(blk, idx, TCG_LT, in, xr(in->rs2)); break;
    case RV_OP_SLTU: setcond(blk, idx, TCG_LTU, in, xr(in->rs2)); break;
    case RV_OP_XOR: binop(blk, idx, TCG_OP_XOR, false, in, xr(in->rs2)); break;
    case RV_OP_SRL: binop(blk, idx, TCG_OP_SHR, false, in, xr(in->rs2)); break;
    case RV_OP_SRA: binop(blk, idx, TCG_OP_SAR, false, in, xr(in->rs2)); break;
    case RV_OP_OR: binop(blk, idx, TCG_OP_OR, false, in, xr(in->rs2)); break;
    case RV_OP_AND: binop(blk, idx, TCG_OP_AND, false, in, xr(in->rs2)); break;
    case RV_OP_ADDW: binop(blk, idx, TCG_OP_ADD, true, in, xr(in->rs2)); break;
    case RV_OP_SUBW: binop(blk, idx, TCG_OP_SUB, true, in, xr(in->rs2)); break;
    case RV_OP_SLLW: binop(blk, idx, TCG_OP_SHL, true, in, xr(in->rs2)); break;
    case RV_OP_SRLW: binop(blk, idx, TCG_OP_SHR, true, in, xr(in->rs2)); break;
    case RV_OP_SRAW: binop(blk, idx, TCG_OP_SAR, true, in, xr(in->rs2)); break;
    case RV_OP_MUL: binop(blk, idx, TCG_OP_MUL, false, in, xr(in->rs2)); break;
    case RV_OP_MULH: binop(blk, idx, TCG_OP_MULH, false, in, xr(in->rs2)); break;
    case RV_OP_MULHSU: binop(blk, idx, TCG_OP_MULHSU, false, in, xr(in->rs2)); break;
    case RV_OP_MULHU: binop(blk, idx, TCG_OP_MULHU, false, in, xr(in->rs2)); break;
    case RV_OP_DIV: binop(blk, idx, TCG_OP_DIV, false, in, xr(in->rs2)); break;
    case RV_OP_DIVU: binop(blk, idx, TCG_OP_DIVU, false, in, xr(in->rs2)); break;
    case RV_OP_REM: binop(blk, idx, TCG_OP_REM, false, in, xr(in->rs2)); break;
    case RV_OP_REMU: binop(blk, idx, TCG_OP_REMU, false, in, xr(in->rs2)); break;
    case RV_OP_MULW: binop(blk, idx, TCG_OP_MUL, true, in, xr(in->rs2)); break;
    case RV_OP_DIVW: binop(blk, idx, TCG_OP_DIV, true, in, xr(in->rs2)); break;
    case RV_OP_DIVUW: binop(blk, idx, TCG_OP_DIVU, true, in, xr(in->rs2)); break;
    case RV_OP_REMW: binop(blk, idx, TCG_OP_REM, true, in, xr(in->rs2)); break;
    case RV_OP_REMUW: binop(blk, idx, TCG_OP_REMU, true, in, xr(in->rs2)); break;
    case RV_OP_FENCE:
        /* x86 keeps every order but store -> load */
        if (rv_fence_orders_store_load(in->imm)) {
            TcgOp *op = tcg_ir_op(blk, TCG_OP_TARGET, idx);
            op->aux = RV_T_FENCE;
            op->eff = TCG_EFF_SIDE;
        }
        break;
    case RV_OP_LR_W: case RV_OP_SC_W: case RV_OP_AMOSWAP_W: case RV_OP_AMOADD_W:
    case RV_OP_AMOXOR_W: case RV_OP_AMOAND_W: case RV_OP_AMOOR_W:
    case RV_OP_AMOMIN_W: case RV_OP_AMOMAX_W: case RV_OP_AMOMINU_W:
    case RV_OP_AMOMAXU_W:
    case RV_OP_LR_D: case RV_OP_SC_D: case RV_OP_AMOSWAP_D: case RV_OP_AMOADD_D:
    case RV_OP_AMOXOR_D: case RV_OP_AMOAND_D: case RV_OP_AMOOR_D:
    case RV_OP_AMOMIN_D: case RV_OP_AMOMAX_D: case RV_OP_AMOMINU_D:
    case RV_OP_AMOMAXU_D:
        helper_call(blk, idx, RV_T_AMO);
        break;
    case RV_OP_CSRRW: case RV_OP_CSRRS: case RV_OP_CSRRC:
    case RV_OP_CSRRWI: case RV_OP_CSRRSI: case RV_OP_CSRRCI: {
        if (((unsigned)in->imm & 0xfff) > 3) {
            helper_call(blk, idx, RV_T_CSR);
            break;
        }
        /* fflags, frm, fcsr: inline */
        TcgOp *op = tcg_ir_op(blk, TCG_OP_TARGET, idx);
        op->aux = RV_T_FCSR;
        op->eff = TCG_EFF_FAULT | TCG_EFF_SIDE;
        op->payload = idx;
        op->a = in->op >= RV_OP_CSRRWI ? tcg_const(in->rs1) : xr(in->rs1);
        op->d = in->rd ? (TcgTemp)in->rd : TCG_NO_TEMP;
        break;
    }
    case RV_OP_FLW: fp_access(blk, idx, in, RV_T_FLOAD, 4); break;
    case RV_OP_FLD: fp_access(blk, idx, in, RV_T_FLOAD, 8); break;
    case RV_OP_FSW: fp_access(blk, idx, in, RV_T_FSTORE, 4); break;
    case RV_OP_FSD: fp_access(blk, idx, in, RV_T_FSTORE, 8); break;
    default:
        /* F and D: jit-fp.c or exec-fp.c, which check mstatus.FS */
        fp_op(blk, idx, in);
        break;
    }
}
