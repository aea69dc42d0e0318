/*
 * disasm.c - a compact textual form of decoded instructions, for -d in_asm
 * style logs and test failure messages.  Operands are printed by operand
 * class of the operation, not re-derived from the encoding.
 */
#include <stdio.h>
#include "rv-insn.h"

static const char *const xname[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1",
    "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

void rv_disassemble(const RvInsn *in, uint64_t pc, char *buf, unsigned size)
{
    const char *m = rv_op_name(in->op);
    unsigned op = in->op;

    if (op == RV_OP_ILLEGAL) {
        snprintf(buf, size, "illegal 0x%0*x", in->len * 2, in->raw);
    } else if (op == RV_OP_LUI || op == RV_OP_AUIPC) {
        snprintf(buf, size, "%s %s, 0x%x", m, xname[in->rd], (uint32_t)in->imm >> 12);
    } else if (op == RV_OP_JAL) {
        snprintf(buf, size, "%s %s, 0x%" PRIx64, m, xname[in->rd], pc + (int64_t)in->imm);
    } else if (op >= RV_OP_BEQ && op <= RV_OP_BGEU) {
        snprintf(buf, size, "%s %s, %s, 0x%" PRIx64, m, xname[in->rs1], xname[in->rs2],
                 pc + (int64_t)in->imm);
    } else if ((op >= RV_OP_LB && op <= RV_OP_LWU) || op == RV_OP_JALR) {
        snprintf(buf, size, "%s %s, %d(%s)", m, xname[in->rd], in->imm, xname[in->rs1]);
    } else if (op >= RV_OP_SB && op <= RV_OP_SD) {
        snprintf(buf, size, "%s %s, %d(%s)", m, xname[in->rs2], in->imm, xname[in->rs1]);
    } else if (op == RV_OP_FLW || op == RV_OP_FLD) {
        snprintf(buf, size, "%s f%u, %d(%s)", m, in->rd, in->imm, xname[in->rs1]);
    } else if (op == RV_OP_FSW || op == RV_OP_FSD) {
        snprintf(buf, size, "%s f%u, %d(%s)", m, in->rs2, in->imm, xname[in->rs1]);
    } else if ((op >= RV_OP_ADDI && op <= RV_OP_SRAI) ||
               (op >= RV_OP_ADDIW && op <= RV_OP_SRAIW)) {
        snprintf(buf, size, "%s %s, %s, %d", m, xname[in->rd], xname[in->rs1], in->imm);
    } else if (op >= RV_OP_CSRRW && op <= RV_OP_CSRRC) {
        snprintf(buf, size, "%s %s, 0x%x, %s", m, xname[in->rd], in->imm, xname[in->rs1]);
    } else if (op >= RV_OP_CSRRWI && op <= RV_OP_CSRRCI) {
        snprintf(buf, size, "%s %s, 0x%x, %u", m, xname[in->rd], in->imm, in->rs1);
    } else if (op >= RV_OP_LR_W && op <= RV_OP_AMOMAXU_D) {
        snprintf(buf, size, "%s %s, %s, (%s)", m, xname[in->rd], xname[in->rs2],
                 xname[in->rs1]);
    } else if (op >= RV_OP_FMADD_S) {
        snprintf(buf, size, "%s r%u, r%u, r%u, r%u", m, in->rd, in->rs1, in->rs2, in->rs3);
    } else if (op >= RV_OP_FENCE && op <= RV_OP_SFENCE_VMA) {
        snprintf(buf, size, "%s", m);
    } else {
        snprintf(buf, size, "%s %s, %s, %s", m, xname[in->rd], xname[in->rs1], xname[in->rs2]);
    }
}
