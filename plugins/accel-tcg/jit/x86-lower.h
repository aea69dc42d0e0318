/*
 * x86-lower.h - the x86-64 backend's register allocator and the lowering
 * of the IR's pure operations (MOV .. SETCOND).
 *
 * The translator drives the backend: it walks its optimised block and
 * lowers the ops only it understands (memory accesses through its soft
 * TLB, exits, its TARGET ops) itself, using the calls here to reach the
 * values, and hands every pure op to tcg_x86_lower_pure.
 *
 * Register allocation, per block (blocks are straight lines):
 *  - the most used globals (two uses or more) are pinned to host
 *    registers for the whole block: loaded at entry if read before being
 *    written, written back when the translator asks (before exits and
 *    helper calls: tcg_x86_write_back), reloaded after ops that touch
 *    globals in memory (tcg_x86_reload);
 *  - locals get a free register from their definition to their last
 *    use, a callee-saved one if they live across a TARGET op (which may
 *    call C without keeping r8-r11), or a
 *    slot in the CPU state when none is free;
 *  - rax, rcx, rdx (and rsi, rdi when not in the pool) are the
 *    lowering's scratch registers and never hold a value between ops.
 * The host registers of the pool are rbp, r14, r15 (callee-saved) and
 * r8-r11, plus rsi and rdi in a block without loads, stores, TARGET ops
 * or MULHSU (whose lowering uses them); rbx holds the CPU state and r12
 * the block's entry pc, as the translators' calling convention says.
 */
#ifndef TCG_X86_LOWER_H
#define TCG_X86_LOWER_H

#include "ir.h"
#include "x86-emit.h"

#define TCG_X86_SPILLS 16   /* 8-byte slots the CPU state provides */

typedef struct TcgX86 {
    X86Buf b;
    const TcgBlock *blk;
    const int32_t *global_off;  /* the CPU state offset of each global */
    int32_t spill_off;          /* the CPU state offset of the spill slots */
    /* where each temp is: a host register, or -1 (globals: their place in
     * the CPU state; locals: spill slot `slot[t]`) */
    int8_t reg[TCG_MAX_TEMPS];
    int8_t slot[TCG_MAX_TEMPS];
    uint16_t last_use[TCG_MAX_TEMPS];   /* locals: op index of the last read */
    bool across_call[TCG_MAX_TEMPS];    /* locals live over a TARGET op */
    uint64_t pinned;            /* globals in host registers (bit g) */
    uint64_t dirty;             /* pinned globals newer than memory */
    uint64_t written;           /* pinned globals the block writes */
    unsigned n_pool;            /* registers in this block's pool */
    uint32_t free_regs;         /* pool registers holding nothing */
    uint32_t free_slots;        /* spill slots holding nothing */
    bool failed;                /* out of spill slots: give up the block */
} TcgX86;

/* Set up allocation for `blk` (optimised), emitting into `buf`.  With
 * self_loop (the block may jump back to its start with its registers
 * held) every pinned global the block writes counts as dirty from the
 * start.  Returns the pinned globals to load at entry (emit them with
 * tcg_x86_load_globals where the body starts). */
uint64_t tcg_x86_begin(TcgX86 *x, const TcgBlock *blk, X86Buf buf,
                       const int32_t *global_off, int32_t spill_off,
                       bool self_loop);
void tcg_x86_load_globals(TcgX86 *x, uint64_t which);
/* Store the pinned globals in `which` (a dirty mask) to the CPU state. */
void tcg_x86_write_back(TcgX86 *x, uint64_t which);
/* Write back everything dirty and count it clean from here on. */
void tcg_x86_sync(TcgX86 *x);
/* After an op that changed globals in memory: load every pinned one. */
void tcg_x86_reload(TcgX86 *x);

/* A register holding the value of `a` (loaded into `scratch` unless it
 * already is in one). */
int tcg_x86_src(TcgX86 *x, const TcgArg *a, int scratch);
/* Put the value of `a` in host register `host`. */
void tcg_x86_load_arg(TcgX86 *x, int host, const TcgArg *a);
/* The register to compute temp d in (its own, or rax), then
 * tcg_x86_dst_done to finish the write. */
int tcg_x86_dst(TcgX86 *x, TcgTemp d);
void tcg_x86_dst_done(TcgX86 *x, TcgTemp d, int host);
/* The host register where d lives now, or -1 if it lives in memory
 * (then tcg_x86_temp_mem). */
int tcg_x86_temp_reg(const TcgX86 *x, TcgTemp d);
X86Mem tcg_x86_temp_mem(const TcgX86 *x, TcgTemp d);

/* Lower a pure op (MOV .. SETCOND). */
void tcg_x86_lower_pure(TcgX86 *x, const TcgOp *op);
/* A division and a remainder of the same operands (either order, the
 * first not writing an operand of the second): one x86 div gives both.
 * tcg_x86_lower_divrem lowers the pair in place of the two ops. */
bool tcg_x86_divrem_pair(const TcgOp *first, const TcgOp *second);
void tcg_x86_lower_divrem(TcgX86 *x, const TcgOp *first, const TcgOp *second);
/* Call after lowering op i: frees locals read for the last time. */
void tcg_x86_op_done(TcgX86 *x, unsigned i);

/* cmp a, b (64-bit), for a jcc or setcc on tcg_x86_cc(cond) next;
 * rcx and rdx are its scratch registers. */
void tcg_x86_cmp(TcgX86 *x, const TcgArg *a, const TcgArg *b);
/* The x86 condition code of an IR condition (after cmp a, b). */
int tcg_x86_cc(TcgCond cond);

#endif
