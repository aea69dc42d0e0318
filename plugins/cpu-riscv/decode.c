/*
 * decode.c - RV64GC instruction decoder into the shared RvInsn form.
 *
 * Encodings follow the RISC-V Unprivileged ISA (20191213) chapters 2-16
 * and the Privileged ISA (20211203) for mret/sret/wfi/sfence.vma.
 */
#include <string.h>
#include "rv-insn.h"
#include "rv-cpu.h"

static inline uint32_t bits(uint32_t v, unsigned hi, unsigned lo)
{
    return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static inline int32_t sext(uint32_t v, unsigned width)
{
    return (int32_t)(v << (32 - width)) >> (32 - width);
}

static void set(RvInsn *d, RvOp op, unsigned rd, unsigned rs1, unsigned rs2,
                int32_t imm)
{
    d->op = op;
    d->rd = rd;
    d->rs1 = rs1;
    d->rs2 = rs2;
    d->imm = imm;
}

/* ---- 32-bit encodings ---- */

static RvOp decode_op_imm(uint32_t r, int32_t *imm)
{
    unsigned f3 = bits(r, 14, 12);
    switch (f3) {
    case 0: return RV_OP_ADDI;
    case 2: return RV_OP_SLTI;
    case 3: return RV_OP_SLTIU;
    case 4: return RV_OP_XORI;
    case 6: return RV_OP_ORI;
    case 7: return RV_OP_ANDI;
    case 1:
        if (bits(r, 31, 26) != 0) {
            return RV_OP_ILLEGAL;
        }
        *imm = bits(r, 25, 20);
        return RV_OP_SLLI;
    default: /* 5 */
        *imm = bits(r, 25, 20);
        if (bits(r, 31, 26) == 0) {
            return RV_OP_SRLI;
        }
        if (bits(r, 31, 26) == 0x10) {
            return RV_OP_SRAI;
        }
        return RV_OP_ILLEGAL;
    }
}

static RvOp decode_op_imm32(uint32_t r, int32_t *imm)
{
    unsigned f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
    if (f3 == 0) {
        return RV_OP_ADDIW;
    }
    *imm = bits(r, 24, 20);
    if (f3 == 1 && f7 == 0) {
        return RV_OP_SLLIW;
    }
    if (f3 == 5 && f7 == 0) {
        return RV_OP_SRLIW;
    }
    if (f3 == 5 && f7 == 0x20) {
        return RV_OP_SRAIW;
    }
    return RV_OP_ILLEGAL;
}

static RvOp decode_op(uint32_t r, uint32_t ext)
{
    unsigned f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
    static const RvOp base[8] = {
        RV_OP_ADD, RV_OP_SLL, RV_OP_SLT, RV_OP_SLTU,
        RV_OP_XOR, RV_OP_SRL, RV_OP_OR, RV_OP_AND,
    };
    static const RvOp muldiv[8] = {
        RV_OP_MUL, RV_OP_MULH, RV_OP_MULHSU, RV_OP_MULHU,
        RV_OP_DIV, RV_OP_DIVU, RV_OP_REM, RV_OP_REMU,
    };
    if (f7 == 0) {
        return base[f3];
    }
    if (f7 == 0x20) {
        return f3 == 0 ? RV_OP_SUB : f3 == 5 ? RV_OP_SRA : RV_OP_ILLEGAL;
    }
    if (f7 == 1 && (ext & RV_EXT_M)) {
        return muldiv[f3];
    }
    return RV_OP_ILLEGAL;
}

static RvOp decode_op32(uint32_t r, uint32_t ext)
{
    unsigned f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
    if (f7 == 0) {
        return f3 == 0 ? RV_OP_ADDW : f3 == 1 ? RV_OP_SLLW
             : f3 == 5 ? RV_OP_SRLW : RV_OP_ILLEGAL;
    }
    if (f7 == 0x20) {
        return f3 == 0 ? RV_OP_SUBW : f3 == 5 ? RV_OP_SRAW : RV_OP_ILLEGAL;
    }
    if (f7 == 1 && (ext & RV_EXT_M)) {
        switch (f3) {
        case 0: return RV_OP_MULW;
        case 4: return RV_OP_DIVW;
        case 5: return RV_OP_DIVUW;
        case 6: return RV_OP_REMW;
        case 7: return RV_OP_REMUW;
        }
    }
    return RV_OP_ILLEGAL;
}

static RvOp decode_amo(uint32_t r, uint32_t ext)
{
    unsigned f3 = bits(r, 14, 12), f5 = bits(r, 31, 27);
    if (!(ext & RV_EXT_A) || (f3 != 2 && f3 != 3)) {
        return RV_OP_ILLEGAL;
    }
    bool d = f3 == 3;
    switch (f5) {
    case 0x02: return bits(r, 24, 20) ? RV_OP_ILLEGAL
                                      : d ? RV_OP_LR_D : RV_OP_LR_W;
    case 0x03: return d ? RV_OP_SC_D : RV_OP_SC_W;
    case 0x01: return d ? RV_OP_AMOSWAP_D : RV_OP_AMOSWAP_W;
    case 0x00: return d ? RV_OP_AMOADD_D : RV_OP_AMOADD_W;
    case 0x04: return d ? RV_OP_AMOXOR_D : RV_OP_AMOXOR_W;
    case 0x0c: return d ? RV_OP_AMOAND_D : RV_OP_AMOAND_W;
    case 0x08: return d ? RV_OP_AMOOR_D : RV_OP_AMOOR_W;
    case 0x10: return d ? RV_OP_AMOMIN_D : RV_OP_AMOMIN_W;
    case 0x14: return d ? RV_OP_AMOMAX_D : RV_OP_AMOMAX_W;
    case 0x18: return d ? RV_OP_AMOMINU_D : RV_OP_AMOMINU_W;
    case 0x1c: return d ? RV_OP_AMOMAXU_D : RV_OP_AMOMAXU_W;
    }
    return RV_OP_ILLEGAL;
}

/* OP-FP (opcode 0x53).  fmt 0 = S, 1 = D. */
static RvOp decode_op_fp(uint32_t r, uint32_t ext)
{
    unsigned f5 = bits(r, 31, 27), fmt = bits(r, 26, 25);
    unsigned rm = bits(r, 14, 12), rs2 = bits(r, 24, 20);
    bool dbl;
    if (fmt == 0 && (ext & RV_EXT_F)) {
        dbl = false;
    } else if (fmt == 1 && (ext & RV_EXT_D)) {
        dbl = true;
    } else {
        return RV_OP_ILLEGAL;
    }
#define SD(s, d) (dbl ? RV_OP_##d : RV_OP_##s)
    switch (f5) {
    case 0x00: return SD(FADD_S, FADD_D);
    case 0x01: return SD(FSUB_S, FSUB_D);
    case 0x02: return SD(FMUL_S, FMUL_D);
    case 0x03: return SD(FDIV_S, FDIV_D);
    case 0x0b: return rs2 ? RV_OP_ILLEGAL : SD(FSQRT_S, FSQRT_D);
    case 0x04:
        return rm == 0 ? SD(FSGNJ_S, FSGNJ_D) : rm == 1 ? SD(FSGNJN_S, FSGNJN_D)
             : rm == 2 ? SD(FSGNJX_S, FSGNJX_D) : RV_OP_ILLEGAL;
    case 0x05:
        return rm == 0 ? SD(FMIN_S, FMIN_D) : rm == 1 ? SD(FMAX_S, FMAX_D)
             : RV_OP_ILLEGAL;
    case 0x08: /* fcvt between formats: rs2 names the source format */
        if (dbl && rs2 == 0) {
            return RV_OP_FCVT_D_S;
        }
        if (!dbl && rs2 == 1 && (ext & RV_EXT_D)) {
            return RV_OP_FCVT_S_D;
        }
        return RV_OP_ILLEGAL;
    case 0x14:
        return rm == 2 ? SD(FEQ_S, FEQ_D) : rm == 1 ? SD(FLT_S, FLT_D)
             : rm == 0 ? SD(FLE_S, FLE_D) : RV_OP_ILLEGAL;
    case 0x18:
        switch (rs2) {
        case 0: return SD(FCVT_W_S, FCVT_W_D);
        case 1: return SD(FCVT_WU_S, FCVT_WU_D);
        case 2: return SD(FCVT_L_S, FCVT_L_D);
        case 3: return SD(FCVT_LU_S, FCVT_LU_D);
        }
        return RV_OP_ILLEGAL;
    case 0x1a:
        switch (rs2) {
        case 0: return SD(FCVT_S_W, FCVT_D_W);
        case 1: return SD(FCVT_S_WU, FCVT_D_WU);
        case 2: return SD(FCVT_S_L, FCVT_D_L);
        case 3: return SD(FCVT_S_LU, FCVT_D_LU);
        }
        return RV_OP_ILLEGAL;
    case 0x1c:
        if (rs2 != 0) {
            return RV_OP_ILLEGAL;
        }
        return rm == 0 ? SD(FMV_X_W, FMV_X_D) : rm == 1 ? SD(FCLASS_S, FCLASS_D)
             : RV_OP_ILLEGAL;
    case 0x1e:
        return rs2 == 0 && rm == 0 ? SD(FMV_W_X, FMV_D_X) : RV_OP_ILLEGAL;
    }
#undef SD
    return RV_OP_ILLEGAL;
}

static bool fp_rm_fixed(RvOp op)
{
    switch (op) {
    case RV_OP_FSGNJ_S: case RV_OP_FSGNJN_S: case RV_OP_FSGNJX_S:
    case RV_OP_FSGNJ_D: case RV_OP_FSGNJN_D: case RV_OP_FSGNJX_D:
    case RV_OP_FMIN_S: case RV_OP_FMAX_S: case RV_OP_FMIN_D: case RV_OP_FMAX_D:
    case RV_OP_FEQ_S: case RV_OP_FLT_S: case RV_OP_FLE_S:
    case RV_OP_FEQ_D: case RV_OP_FLT_D: case RV_OP_FLE_D:
    case RV_OP_FMV_X_W: case RV_OP_FMV_X_D: case RV_OP_FCLASS_S:
    case RV_OP_FCLASS_D: case RV_OP_FMV_W_X: case RV_OP_FMV_D_X:
        return true;
    default:
        return false;
    }
}

static RvOp decode_system(uint32_t r, RvInsn *d)
{
    unsigned f3 = bits(r, 14, 12);
    d->imm = bits(r, 31, 20);
    switch (f3) {
    case 1: return RV_OP_CSRRW;
    case 2: return RV_OP_CSRRS;
    case 3: return RV_OP_CSRRC;
    case 5: return RV_OP_CSRRWI;
    case 6: return RV_OP_CSRRSI;
    case 7: return RV_OP_CSRRCI;
    case 0:
        break;
    default:
        return RV_OP_ILLEGAL;
    }
    d->imm = 0;
    if (bits(r, 31, 25) == 0x09 && bits(r, 11, 7) == 0) {
        return RV_OP_SFENCE_VMA;
    }
    if (bits(r, 19, 7) != 0) {
        return RV_OP_ILLEGAL;
    }
    switch (bits(r, 31, 20)) {
    case 0x000: return RV_OP_ECALL;
    case 0x001: return RV_OP_EBREAK;
    case 0x102: return RV_OP_SRET;
    case 0x302: return RV_OP_MRET;
    case 0x105: return RV_OP_WFI;
    }
    return RV_OP_ILLEGAL;
}

static void decode32(uint32_t r, uint32_t ext, RvInsn *d)
{
    unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
    unsigned f3 = bits(r, 14, 12);
    int32_t imm_i = (int32_t)r >> 20;
    int32_t imm_s = sext((bits(r, 31, 25) << 5) | bits(r, 11, 7), 12);
    int32_t imm_b = sext((bits(r, 31, 31) << 12) | (bits(r, 7, 7) << 11) |
                         (bits(r, 30, 25) << 5) | (bits(r, 11, 8) << 1), 13);
    int32_t imm_u = (int32_t)(r & 0xfffff000u);
    int32_t imm_j = sext((bits(r, 31, 31) << 20) | (bits(r, 19, 12) << 12) |
                         (bits(r, 20, 20) << 11) | (bits(r, 30, 21) << 1), 21);
    RvOp op = RV_OP_ILLEGAL;
    bool fp = (ext & RV_EXT_F) != 0;

    d->rd = rd;
    d->rs1 = rs1;
    d->rs2 = rs2;
    switch (bits(r, 6, 0)) {
    case 0x37: op = RV_OP_LUI; d->imm = imm_u; d->rs1 = d->rs2 = 0; break;
    case 0x17: op = RV_OP_AUIPC; d->imm = imm_u; d->rs1 = d->rs2 = 0; break;
    case 0x6f: op = RV_OP_JAL; d->imm = imm_j; d->rs1 = d->rs2 = 0; break;
    case 0x67:
        op = f3 == 0 ? RV_OP_JALR : RV_OP_ILLEGAL;
        d->imm = imm_i;
        d->rs2 = 0;
        break;
    case 0x63: {
        static const RvOp br[8] = {
            RV_OP_BEQ, RV_OP_BNE, RV_OP_ILLEGAL, RV_OP_ILLEGAL,
            RV_OP_BLT, RV_OP_BGE, RV_OP_BLTU, RV_OP_BGEU,
        };
        op = br[f3];
        d->imm = imm_b;
        d->rd = 0;
        break;
    }
    case 0x03: {
        static const RvOp ld[8] = {
            RV_OP_LB, RV_OP_LH, RV_OP_LW, RV_OP_LD,
            RV_OP_LBU, RV_OP_LHU, RV_OP_LWU, RV_OP_ILLEGAL,
        };
        op = ld[f3];
        d->imm = imm_i;
        d->rs2 = 0;
        break;
    }
    case 0x23:
        op = f3 <= 3 ? (RvOp)(RV_OP_SB + f3) : RV_OP_ILLEGAL;
        d->imm = imm_s;
        d->rd = 0;
        break;
    case 0x13:
        d->imm = imm_i;
        d->rs2 = 0;
        op = decode_op_imm(r, &d->imm);
        break;
    case 0x1b:
        d->imm = imm_i;
        d->rs2 = 0;
        op = decode_op_imm32(r, &d->imm);
        break;
    case 0x33: op = decode_op(r, ext); break;
    case 0x3b: op = decode_op32(r, ext); break;
    case 0x0f:
        d->rd = d->rs1 = d->rs2 = 0;
        if (f3 == 0) {
            op = RV_OP_FENCE;
            d->imm = imm_i;             /* fm, pred, succ */
        } else if (f3 == 1 && (ext & RV_EXT_ZIFENCEI)) {
            op = RV_OP_FENCE_I;
        }
        break;
    case 0x73:
        d->rs2 = 0;
        op = decode_system(r, d);
        if (op == RV_OP_SFENCE_VMA) {
            d->rs2 = rs2;
        }
        if (op == RV_OP_SFENCE_VMA && !(ext & RV_EXT_S)) {
            op = RV_OP_ILLEGAL;
        }
        if (op == RV_OP_SRET && !(ext & RV_EXT_S)) {
            op = RV_OP_ILLEGAL;
        }
        break;
    case 0x2f:
        op = decode_amo(r, ext);
        d->rm = bits(r, 26, 25);
        break;
    case 0x07:
        d->imm = imm_i;
        d->rs2 = 0;
        if (f3 == 2 && fp) {
            op = RV_OP_FLW;
        } else if (f3 == 3 && (ext & RV_EXT_D)) {
            op = RV_OP_FLD;
        }
        break;
    case 0x27:
        d->imm = imm_s;
        d->rd = 0;
        if (f3 == 2 && fp) {
            op = RV_OP_FSW;
        } else if (f3 == 3 && (ext & RV_EXT_D)) {
            op = RV_OP_FSD;
        }
        break;
    case 0x43: case 0x47: case 0x4b: case 0x4f: {
        unsigned fmt = bits(r, 26, 25), k = (bits(r, 6, 0) - 0x43) >> 2;
        static const RvOp s[4] = { RV_OP_FMADD_S, RV_OP_FMSUB_S,
                                   RV_OP_FNMSUB_S, RV_OP_FNMADD_S };
        static const RvOp dd[4] = { RV_OP_FMADD_D, RV_OP_FMSUB_D,
                                    RV_OP_FNMSUB_D, RV_OP_FNMADD_D };
        if (fmt == 0 && fp) {
            op = s[k];
        } else if (fmt == 1 && (ext & RV_EXT_D)) {
            op = dd[k];
        }
        d->rs3 = bits(r, 31, 27);
        d->rm = f3;
        break;
    }
    case 0x53:
        op = decode_op_fp(r, ext);
        d->rm = fp_rm_fixed(op) ? 0 : f3;
        break;
    }
    if (op != RV_OP_ILLEGAL && d->rm >= 5 && d->rm != 7 &&
        op >= RV_OP_FMADD_S) {
        op = RV_OP_ILLEGAL;     /* reserved static rounding modes */
    }
    d->op = op;
}

/* ---- 16-bit encodings (C extension) ---- */

static void decode16(uint32_t r, uint32_t ext, RvInsn *d)
{
    unsigned q = bits(r, 1, 0), f3 = bits(r, 15, 13);
    unsigned rdp = 8 + bits(r, 4, 2), rs1p = 8 + bits(r, 9, 7);
    unsigned rd = bits(r, 11, 7), rs2 = bits(r, 6, 2);
    bool fd = (ext & RV_EXT_D) != 0;
    int32_t imm;
    /* offsets of the CL/CS word and double forms */
    uint32_t off_w = (bits(r, 12, 10) << 3) | (bits(r, 6, 6) << 2) | (bits(r, 5, 5) << 6);
    uint32_t off_d = (bits(r, 12, 10) << 3) | (bits(r, 6, 5) << 6);

    d->op = RV_OP_ILLEGAL;
    if (q == 0) {
        switch (f3) {
        case 0:
            imm = (bits(r, 12, 11) << 4) | (bits(r, 10, 7) << 6) |
                  (bits(r, 6, 6) << 2) | (bits(r, 5, 5) << 3);
            if (imm) {
                set(d, RV_OP_ADDI, rdp, 2, 0, imm);
            }
            break;
        case 1: if (fd) set(d, RV_OP_FLD, rdp, rs1p, 0, off_d); break;
        case 2: set(d, RV_OP_LW, rdp, rs1p, 0, off_w); break;
        case 3: set(d, RV_OP_LD, rdp, rs1p, 0, off_d); break;
        case 5: if (fd) set(d, RV_OP_FSD, 0, rs1p, rdp, off_d); break;
        case 6: set(d, RV_OP_SW, 0, rs1p, rdp, off_w); break;
        case 7: set(d, RV_OP_SD, 0, rs1p, rdp, off_d); break;
        }
        return;
    }
    if (q == 1) {
        int32_t imm6 = sext((bits(r, 12, 12) << 5) | bits(r, 6, 2), 6);
        switch (f3) {
        case 0: set(d, RV_OP_ADDI, rd, rd, 0, imm6); break;
        case 1: if (rd) set(d, RV_OP_ADDIW, rd, rd, 0, imm6); break;
        case 2: set(d, RV_OP_ADDI, rd, 0, 0, imm6); break;
        case 3:
            if (rd == 2) {
                imm = sext((bits(r, 12, 12) << 9) | (bits(r, 6, 6) << 4) |
                           (bits(r, 5, 5) << 6) | (bits(r, 4, 3) << 7) |
                           (bits(r, 2, 2) << 5), 10);
                if (imm) {
                    set(d, RV_OP_ADDI, 2, 2, 0, imm);
                }
            } else if (imm6) {
                set(d, RV_OP_LUI, rd, 0, 0, (int32_t)((uint32_t)imm6 << 12));
            }
            break;
        case 4: {
            unsigned sh = (bits(r, 12, 12) << 5) | bits(r, 6, 2);
            switch (bits(r, 11, 10)) {
            case 0: set(d, RV_OP_SRLI, rs1p, rs1p, 0, sh); break;
            case 1: set(d, RV_OP_SRAI, rs1p, rs1p, 0, sh); break;
            case 2: set(d, RV_OP_ANDI, rs1p, rs1p, 0, imm6); break;
            case 3: {
                static const RvOp ops[2][4] = {
                    { RV_OP_SUB, RV_OP_XOR, RV_OP_OR, RV_OP_AND },
                    { RV_OP_SUBW, RV_OP_ADDW, RV_OP_ILLEGAL, RV_OP_ILLEGAL },
                };
                set(d, ops[bits(r, 12, 12)][bits(r, 6, 5)], rs1p, rs1p, rdp, 0);
                break;
            }
            }
            break;
        }
        case 5:
            imm = sext((bits(r, 12, 12) << 11) | (bits(r, 11, 11) << 4) |
                       (bits(r, 10, 9) << 8) | (bits(r, 8, 8) << 10) |
                       (bits(r, 7, 7) << 6) | (bits(r, 6, 6) << 7) |
                       (bits(r, 5, 3) << 1) | (bits(r, 2, 2) << 5), 12);
            set(d, RV_OP_JAL, 0, 0, 0, imm);
            break;
        case 6: case 7:
            imm = sext((bits(r, 12, 12) << 8) | (bits(r, 11, 10) << 3) |
                       (bits(r, 6, 5) << 6) | (bits(r, 4, 3) << 1) |
                       (bits(r, 2, 2) << 5), 9);
            set(d, f3 == 6 ? RV_OP_BEQ : RV_OP_BNE, 0, rs1p, 0, imm);
            break;
        }
        return;
    }
    if (q == 2) {
        unsigned sh = (bits(r, 12, 12) << 5) | bits(r, 6, 2);
        uint32_t lwsp = (bits(r, 12, 12) << 5) | (bits(r, 6, 4) << 2) | (bits(r, 3, 2) << 6);
        uint32_t ldsp = (bits(r, 12, 12) << 5) | (bits(r, 6, 5) << 3) | (bits(r, 4, 2) << 6);
        uint32_t swsp = (bits(r, 12, 9) << 2) | (bits(r, 8, 7) << 6);
        uint32_t sdsp = (bits(r, 12, 10) << 3) | (bits(r, 9, 7) << 6);
        switch (f3) {
        case 0: set(d, RV_OP_SLLI, rd, rd, 0, sh); break;
        case 1: if (fd) set(d, RV_OP_FLD, rd, 2, 0, ldsp); break;
        case 2: if (rd) set(d, RV_OP_LW, rd, 2, 0, lwsp); break;
        case 3: if (rd) set(d, RV_OP_LD, rd, 2, 0, ldsp); break;
        case 4:
            if (!bits(r, 12, 12)) {
                if (rs2 == 0) {
                    if (rd) set(d, RV_OP_JALR, 0, rd, 0, 0);
                } else {
                    set(d, RV_OP_ADD, rd, 0, rs2, 0);
                }
            } else if (rd == 0 && rs2 == 0) {
                set(d, RV_OP_EBREAK, 0, 0, 0, 0);
            } else if (rs2 == 0) {
                set(d, RV_OP_JALR, 1, rd, 0, 0);
            } else {
                set(d, RV_OP_ADD, rd, rd, rs2, 0);
            }
            break;
        case 5: if (fd) set(d, RV_OP_FSD, 0, 2, rs2, sdsp); break;
        case 6: set(d, RV_OP_SW, 0, 2, rs2, swsp); break;
        case 7: set(d, RV_OP_SD, 0, 2, rs2, sdsp); break;
        }
    }
}

void rv_decode(uint32_t raw, uint32_t ext, RvInsn *out)
{
    memset(out, 0, sizeof(*out));
    if ((raw & 3) == 3) {
        out->len = 4;
        out->raw = raw;
        if ((raw & 0x1c) == 0x1c) {
            out->op = RV_OP_ILLEGAL;    /* 48-bit and longer encodings */
            return;
        }
        decode32(raw, ext, out);
    } else {
        out->len = 2;
        out->raw = raw & 0xffff;
        if (!(ext & RV_EXT_C)) {
            out->op = RV_OP_ILLEGAL;
            return;
        }
        decode16(raw & 0xffff, ext, out);
    }
    if (out->op == RV_OP_ILLEGAL) {
        uint32_t keep = out->raw;
        uint8_t len = out->len;
        memset(out, 0, sizeof(*out));
        out->raw = keep;
        out->len = len;
    }
}

static const char *const op_names[RV_OP_COUNT] = {
#define RV_OP_NAME(name, mnem) mnem,
    RV_OP_LIST(RV_OP_NAME)
#undef RV_OP_NAME
};

const char *rv_op_name(unsigned op)
{
    return op < RV_OP_COUNT ? op_names[op] : "?";
}
