/*
 * rv-insn.h - the decoded instruction form shared by the interpreter and
 * (later) the JIT translator.
 *
 * Every instruction, 16- or 32-bit, is decoded once into an RvInsn: an
 * operation from the list below plus its operands.  Compressed encodings
 * decode to the base operation they expand to (c.addi4spn -> ADDI), so
 * consumers never see the C extension except through `len`.  Operations
 * of extensions that are switched off decode to ILLEGAL.
 */
#ifndef RV_INSN_H
#define RV_INSN_H

#include <stdint.h>
#include <inttypes.h>
#include <stdbool.h>

/* X(name, mnemonic) */
#define RV_OP_LIST(X) \
    X(ILLEGAL, "illegal") \
    X(LUI, "lui") X(AUIPC, "auipc") X(JAL, "jal") X(JALR, "jalr") \
    X(BEQ, "beq") X(BNE, "bne") X(BLT, "blt") X(BGE, "bge") \
    X(BLTU, "bltu") X(BGEU, "bgeu") \
    X(LB, "lb") X(LH, "lh") X(LW, "lw") X(LD, "ld") \
    X(LBU, "lbu") X(LHU, "lhu") X(LWU, "lwu") \
    X(SB, "sb") X(SH, "sh") X(SW, "sw") X(SD, "sd") \
    X(ADDI, "addi") X(SLTI, "slti") X(SLTIU, "sltiu") X(XORI, "xori") \
    X(ORI, "ori") X(ANDI, "andi") X(SLLI, "slli") X(SRLI, "srli") \
    X(SRAI, "srai") \
    X(ADD, "add") X(SUB, "sub") X(SLL, "sll") X(SLT, "slt") X(SLTU, "sltu") \
    X(XOR, "xor") X(SRL, "srl") X(SRA, "sra") X(OR, "or") X(AND, "and") \
    X(ADDIW, "addiw") X(SLLIW, "slliw") X(SRLIW, "srliw") X(SRAIW, "sraiw") \
    X(ADDW, "addw") X(SUBW, "subw") X(SLLW, "sllw") X(SRLW, "srlw") \
    X(SRAW, "sraw") \
    X(FENCE, "fence") X(FENCE_I, "fence.i") \
    X(ECALL, "ecall") X(EBREAK, "ebreak") X(MRET, "mret") X(SRET, "sret") \
    X(WFI, "wfi") X(SFENCE_VMA, "sfence.vma") \
    X(CSRRW, "csrrw") X(CSRRS, "csrrs") X(CSRRC, "csrrc") \
    X(CSRRWI, "csrrwi") X(CSRRSI, "csrrsi") X(CSRRCI, "csrrci") \
    X(MUL, "mul") X(MULH, "mulh") X(MULHSU, "mulhsu") X(MULHU, "mulhu") \
    X(DIV, "div") X(DIVU, "divu") X(REM, "rem") X(REMU, "remu") \
    X(MULW, "mulw") X(DIVW, "divw") X(DIVUW, "divuw") X(REMW, "remw") \
    X(REMUW, "remuw") \
    X(LR_W, "lr.w") X(SC_W, "sc.w") X(AMOSWAP_W, "amoswap.w") \
    X(AMOADD_W, "amoadd.w") X(AMOXOR_W, "amoxor.w") X(AMOAND_W, "amoand.w") \
    X(AMOOR_W, "amoor.w") X(AMOMIN_W, "amomin.w") X(AMOMAX_W, "amomax.w") \
    X(AMOMINU_W, "amominu.w") X(AMOMAXU_W, "amomaxu.w") \
    X(LR_D, "lr.d") X(SC_D, "sc.d") X(AMOSWAP_D, "amoswap.d") \
    X(AMOADD_D, "amoadd.d") X(AMOXOR_D, "amoxor.d") X(AMOAND_D, "amoand.d") \
    X(AMOOR_D, "amoor.d") X(AMOMIN_D, "amomin.d") X(AMOMAX_D, "amomax.d") \
    X(AMOMINU_D, "amominu.d") X(AMOMAXU_D, "amomaxu.d") \
    X(FLW, "flw") X(FSW, "fsw") X(FLD, "fld") X(FSD, "fsd") \
    X(FMADD_S, "fmadd.s") X(FMSUB_S, "fmsub.s") X(FNMSUB_S, "fnmsub.s") \
    X(FNMADD_S, "fnmadd.s") X(FADD_S, "fadd.s") X(FSUB_S, "fsub.s") \
    X(FMUL_S, "fmul.s") X(FDIV_S, "fdiv.s") X(FSQRT_S, "fsqrt.s") \
    X(FSGNJ_S, "fsgnj.s") X(FSGNJN_S, "fsgnjn.s") X(FSGNJX_S, "fsgnjx.s") \
    X(FMIN_S, "fmin.s") X(FMAX_S, "fmax.s") \
    X(FCVT_W_S, "fcvt.w.s") X(FCVT_WU_S, "fcvt.wu.s") \
    X(FCVT_L_S, "fcvt.l.s") X(FCVT_LU_S, "fcvt.lu.s") \
    X(FMV_X_W, "fmv.x.w") X(FEQ_S, "feq.s") X(FLT_S, "flt.s") \
    X(FLE_S, "fle.s") X(FCLASS_S, "fclass.s") \
    X(FCVT_S_W, "fcvt.s.w") X(FCVT_S_WU, "fcvt.s.wu") \
    X(FCVT_S_L, "fcvt.s.l") X(FCVT_S_LU, "fcvt.s.lu") X(FMV_W_X, "fmv.w.x") \
    X(FMADD_D, "fmadd.d") X(FMSUB_D, "fmsub.d") X(FNMSUB_D, "fnmsub.d") \
    X(FNMADD_D, "fnmadd.d") X(FADD_D, "fadd.d") X(FSUB_D, "fsub.d") \
    X(FMUL_D, "fmul.d") X(FDIV_D, "fdiv.d") X(FSQRT_D, "fsqrt.d") \
    X(FSGNJ_D, "fsgnj.d") X(FSGNJN_D, "fsgnjn.d") X(FSGNJX_D, "fsgnjx.d") \
    X(FMIN_D, "fmin.d") X(FMAX_D, "fmax.d") \
    X(FCVT_W_D, "fcvt.w.d") X(FCVT_WU_D, "fcvt.wu.d") \
    X(FCVT_L_D, "fcvt.l.d") X(FCVT_LU_D, "fcvt.lu.d") \
    X(FMV_X_D, "fmv.x.d") X(FEQ_D, "feq.d") X(FLT_D, "flt.d") \
    X(FLE_D, "fle.d") X(FCLASS_D, "fclass.d") \
    X(FCVT_D_W, "fcvt.d.w") X(FCVT_D_WU, "fcvt.d.wu") \
    X(FCVT_D_L, "fcvt.d.l") X(FCVT_D_LU, "fcvt.d.lu") X(FMV_D_X, "fmv.d.x") \
    X(FCVT_S_D, "fcvt.s.d") X(FCVT_D_S, "fcvt.d.s")

typedef enum RvOp {
#define RV_OP_ENUM(name, mnem) RV_OP_##name,
    RV_OP_LIST(RV_OP_ENUM)
#undef RV_OP_ENUM
    RV_OP_COUNT
} RvOp;

/*
 * One decoded instruction (16 bytes).  Fields an operation does not use
 * are zero.  imm holds the sign-extended immediate (branch/jump offsets
 * relative to the instruction, shift amounts, the CSR number for CSR ops);
 * for CSR*I forms rs1 holds the 5-bit unsigned immediate.  rm is the
 * rounding mode of FP ops, the aq/rl bits (aq=2, rl=1) of atomics, and
 * 0 elsewhere.  raw is the instruction as fetched (16-bit ones
 * zero-extended); caches compare it to spot code that changed.
 */
typedef struct RvInsn {
    uint16_t op;        /* RvOp */
    uint8_t rd, rs1, rs2, rs3;
    uint8_t len;        /* 2 or 4 */
    uint8_t rm;
    int32_t imm;
    uint32_t raw;
} RvInsn;

/* Length in bytes of the instruction whose low 16 bits are `lo`. */
static inline unsigned rv_insn_length(uint16_t lo)
{
    return (lo & 3) == 3 ? 4 : 2;
}

/*
 * Decode `raw` (the low 16 bits only, zero-extended, when it is a
 * compressed instruction) with the extensions in `ext` (RvExt bits).
 * Never fails: unknown or disabled encodings give RV_OP_ILLEGAL.
 */
void rv_decode(uint32_t raw, uint32_t ext, RvInsn *out);

/* Mnemonic of an operation ("addi"), for logs and disassembly. */
const char *rv_op_name(unsigned op);

/* Append a readable form of `insn` ("addi a0, a1, -3"). */
void rv_disassemble(const RvInsn *insn, uint64_t pc, char *buf, unsigned size);

/* Whether a FENCE (imm = its fm/pred/succ bits) orders earlier stores
 * before later loads: predecessor set has W, successor set has R. */
static inline bool rv_fence_orders_store_load(int32_t imm)
{
    return ((imm >> 4) & 1) && ((imm >> 1) & 1);
}

#endif
