/*
 * ir.h - the JIT's intermediate representation: one translation block as
 * a straight line of operations on 64-bit values.
 *
 * A CPU plugin's translator turns guest instructions into these ops
 * (tcg_ir_* builders below), the optimiser (ir-opt.c) folds constants,
 * propagates copies and drops dead code, and the host backend
 * (x86-lower.c) gives the values host registers and writes machine code.
 * Nothing here knows a guest architecture.
 *
 * Values are "temps":
 *  - globals (0 .. n_globals-1) are guest registers: they live in the
 *    CPU state at a fixed offset from the state pointer and keep their
 *    value across blocks; every global is live when the block is left.
 *  - locals (n_globals ..) belong to the block.  A translator writes each
 *    local once (the optimiser relies on it) and they die with the block.
 * An operand (TcgArg) is a temp, a constant, or "the block's pc plus a
 * constant" (blocks may run at several virtual addresses, so a pc is
 * never a constant; the backend keeps the entry pc in a register).
 *
 * Control flow: blocks are straight lines.  They end with one of GOTO
 * (direct, to the block pc + imm), GOTO_PTR (indirect) or BRCOND (two
 * direct targets), and may leave early at an EXIT_IF (a conditional
 * branch whose fall-through the block goes on with).  A conditional
 * branch forward to an instruction of the same block is a SKIP_IF to a
 * LABEL further down: the only joins there are, so the optimiser forgets
 * what it knew about globals at a LABEL.  No local may be live across a
 * LABEL (a translator's locals stay within one guest instruction).  Ops that may leave the block early with an exception
 * (loads, stores, target ops flagged TCG_EFF_FAULT) need every global
 * exact at that point; the optimiser keeps that true.
 */
#ifndef TCG_IR_H
#define TCG_IR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef uint16_t TcgTemp;
#define TCG_NO_TEMP ((TcgTemp)0xffff)

enum {
    TCG_MAX_LABELS = 32,
    TCG_MAX_GLOBALS = 64,
    TCG_MAX_TEMPS = 1024,       /* globals + locals */
    TCG_MAX_OPS = 1024,
};

typedef enum TcgOpc {
    TCG_OP_NOP,         /* removed by the optimiser */
    TCG_OP_INSN,        /* start of guest instruction: imm = pc offset,
                         * imm2 = its length; no code */
    TCG_OP_MOV,         /* d = a */
    TCG_OP_ADD, TCG_OP_SUB, TCG_OP_AND, TCG_OP_OR, TCG_OP_XOR,
    TCG_OP_SHL, TCG_OP_SHR, TCG_OP_SAR,  /* shift count mod 64 (32 with W) */
    TCG_OP_MUL,
    TCG_OP_MULH, TCG_OP_MULHU, TCG_OP_MULHSU,    /* high 64 bits of the
                                 * 128-bit product: signed x signed,
                                 * unsigned x unsigned, signed x unsigned */
    /* Division is total: x / 0 = all ones, x % 0 = x, and the signed
     * overflow MIN / -1 = MIN, MIN % -1 = 0. */
    TCG_OP_DIV, TCG_OP_DIVU, TCG_OP_REM, TCG_OP_REMU,
    TCG_OP_SETCOND,     /* d = (a cond b) ? 1 : 0 */
    TCG_OP_LD,          /* d = guest memory[a + imm]; aux = TcgMemFlags */
    TCG_OP_ST,          /* guest memory[a + imm] = b; aux = TcgMemFlags */
    TCG_OP_TARGET,      /* the translator's own operation: aux = its code,
                         * eff = what it touches; a, b read, d written */
    TCG_OP_GOTO,        /* leave for the block pc + imm */
    TCG_OP_GOTO_PTR,    /* leave for the address a */
    TCG_OP_BRCOND,      /* leave for pc + imm if (a cond b), else pc + imm2 */
    TCG_OP_EXIT_IF,     /* leave for pc + imm if (a cond b), else go on */
    TCG_OP_SKIP_IF,     /* if (a cond b) go on at LABEL imm (further down) */
    TCG_OP_LABEL,       /* where SKIP_IFs with this imm land; no code */
    TCG_OP_COUNT
} TcgOpc;

/* Flags of an op. */
enum {
    TCG_F_W = 1,        /* 32-bit operation, result sign-extended to 64 */
    TCG_F_NONZERO_B = 2,    /* DIV/REM: the optimiser knows b's low 32
                             * bits (so b) are not all 0 */
};

typedef enum TcgCond {
    TCG_EQ, TCG_NE, TCG_LT, TCG_GE, TCG_LTU, TCG_GEU,
} TcgCond;

/* LD/ST: access size in bytes (1, 2, 4, 8) | TCG_MEM_SIGN for loads
 * that sign-extend. */
enum { TCG_MEM_SIZE = 15, TCG_MEM_SIGN = 16 };

/* What a TCG_OP_TARGET op does besides reading a, b and writing d. */
enum {
    TCG_EFF_FAULT = 1,      /* may leave the block with an exception */
    TCG_EFF_GLOBALS = 2,    /* reads and writes any global in memory */
    TCG_EFF_SIDE = 4,       /* has effects: never removed */
};

typedef enum TcgArgKind {
    TCG_ARG_NONE, TCG_ARG_TEMP, TCG_ARG_CONST, TCG_ARG_PCREL,
} TcgArgKind;

typedef struct TcgArg {
    uint8_t kind;       /* TcgArgKind */
    TcgTemp t;          /* TCG_ARG_TEMP */
    int64_t c;          /* TCG_ARG_CONST: value; TCG_ARG_PCREL: offset */
} TcgArg;

typedef struct TcgOp {
    uint8_t opc;        /* TcgOpc */
    uint8_t flags;      /* TCG_F_* */
    uint8_t cond;       /* SETCOND, BRCOND */
    uint8_t aux;        /* LD/ST: TcgMemFlags; TARGET: the target's code */
    uint8_t eff;        /* TARGET: TCG_EFF_* */
    uint16_t insn;      /* index of the guest instruction it came from */
    TcgTemp d;          /* result or TCG_NO_TEMP */
    TcgArg a, b;
    int64_t imm, imm2;
    uint32_t payload;   /* TARGET: the translator's own index */
} TcgOp;

typedef struct TcgBlock {
    unsigned n_globals;
    unsigned n_temps;       /* globals + locals so far */
    unsigned n_ops;
    TcgOp ops[TCG_MAX_OPS];
    const char *const *global_names;    /* for dumps; may be NULL */
    /* names of TCG_OP_TARGET codes, for dumps; may be NULL */
    const char *(*target_name)(unsigned aux);
} TcgBlock;

/* ---- building (ir.c) ---- */

void tcg_ir_init(TcgBlock *blk, unsigned n_globals,
                 const char *const *global_names);
/* Room for `n` more ops (translators check before each instruction). */
bool tcg_ir_room(const TcgBlock *blk, unsigned n);
/* A fresh local, or TCG_NO_TEMP if there are too many. */
TcgTemp tcg_ir_local(TcgBlock *blk);
/* Append an op (zeroed, d = TCG_NO_TEMP) and return it to fill in. */
TcgOp *tcg_ir_op(TcgBlock *blk, TcgOpc opc, unsigned insn);

static inline TcgArg tcg_temp(TcgTemp t)
{
    return (TcgArg){ .kind = TCG_ARG_TEMP, .t = t };
}

static inline TcgArg tcg_const(int64_t c)
{
    return (TcgArg){ .kind = TCG_ARG_CONST, .c = c };
}

static inline TcgArg tcg_pcrel(int64_t off)
{
    return (TcgArg){ .kind = TCG_ARG_PCREL, .c = off };
}

/* d = a OP b (MOV ignores b). */
TcgOp *tcg_ir_binop(TcgBlock *blk, unsigned insn, TcgOpc opc, bool w,
                    TcgTemp d, TcgArg a, TcgArg b);

/* ---- semantics (ir.c), shared by the optimiser and tests ---- */

/* Whether op `opc` is a pure computation of its arguments (MOV .. SETCOND). */
bool tcg_op_is_pure(TcgOpc opc);
/* The value of a pure op on constant arguments. */
uint64_t tcg_eval(TcgOpc opc, unsigned flags, TcgCond cond, uint64_t a, uint64_t b);
bool tcg_cond_holds(TcgCond cond, uint64_t a, uint64_t b);

/* ---- optimising (ir-opt.c) ---- */

/* Constant folding (also of pc-relative values), copy propagation,
 * algebraic simplification, then dead code removal; ops that go become
 * TCG_OP_NOP. */
void tcg_ir_optimise(TcgBlock *blk);

/* ---- dumps (ir.c), for -d op and -d op_opt ---- */

void tcg_ir_dump(const TcgBlock *blk, FILE *out);

#endif
