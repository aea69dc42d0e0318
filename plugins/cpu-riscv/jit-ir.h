/*
 * jit-ir.h - the RISC-V translator's use of the JIT's IR (ir.h): the
 * front end (jit-front.c) and its TARGET operations, which
 * jit-translate.c lowers.
 */
#ifndef RV_JIT_IR_H
#define RV_JIT_IR_H

#include "jit.h"
#include "ir.h"

/* TCG_OP_TARGET codes (TcgOp.aux). */
enum {
    RV_T_FP,        /* call exec-fp.c for instruction `payload` */
    RV_T_AMO,       /* call mem.c's AMO/LR/SC for instruction `payload` */
    RV_T_FENCE,     /* full barrier (a FENCE ordering stores before loads) */
    RV_T_FLOAD,     /* f[rd] = memory[a + imm], imm2 bytes (FLW, FLD) */
    RV_T_FSTORE,    /* memory[a + imm] = f[rs2], imm2 bytes (FSW, FSD) */
    RV_T_FCSR,      /* a CSR instruction on fflags, frm or fcsr: d = old
                     * value, a = the source (register or immediate) */
    RV_T_CSR,       /* call csr.c for CSR instruction `payload` (the block
                     * ends after it if it made an interrupt deliverable
                     * or changed the data privilege) */
};

/* IR global r is x[r]; these name them in dumps. */
extern const char *const rv_jit_global_names[32];
const char *rv_jit_target_name(unsigned aux);

/* Append the IR of instruction `in`, number `idx` of the block, `off`
 * bytes from the block's start; `last` if the block ends with it (a
 * conditional branch elsewhere is a side exit). */
void rv_jit_front(TcgBlock *blk, const RvInsn *in, unsigned idx, int64_t off,
                  bool last);

#endif
