/*
 * jit-fp.h - inline x86-64 code for RISC-V F and D instructions.
 *
 * A translator calls rv_jit_fp_emit for a computational F/D instruction
 * (not flw/fsw/fld/fsd: those are memory accesses and the translator's).
 * It emits a fast path that does the instruction with SSE (and FMA3 when
 * the host has it) in the common case, and jumps to a slow path the
 * caller provides, which runs the whole instruction in C (rv_exec_fp),
 * in every case the fast path cannot get exactly right:
 *
 *   - mstatus.FS is Off (the helper raises illegal instruction);
 *   - the rounding mode is not round-to-nearest-even (static rm, or
 *     rm = dyn with cpu->frm != 0 at run time), except that conversions
 *     to integers also do round-towards-zero (static rm = 1) with the
 *     truncating cvtt* forms, and exact operations (fcvt.d.s, fcvt.d.w,
 *     fcvt.d.wu) take any valid mode;
 *   - a single-precision operand is not NaN-boxed;
 *   - the result is a NaN (RISC-V wants the canonical NaN; x86 keeps
 *     payloads) or an operand of a compare or fmin/fmax is a NaN;
 *   - the host raised invalid, divide-by-zero, overflow or underflow, or
 *     MXCSR's control bits are not the default 0x1F80 (all exceptions
 *     masked, RNE, no FTZ/DAZ);
 *   - a conversion to integer is out of the destination's range.
 *
 * Exception flags come from the host's MXCSR: inexact is ORed into
 * cpu->fflags inline, everything else goes the slow path.  MXCSR's sticky
 * flags may be stale on entry (C code sets them freely), and clearing
 * them (ldmxcsr) costs tens of cycles, so it is avoided: while fflags.NX
 * is already set, a stale inexact does not matter and nothing is cleared;
 * only while it is clear does the fast path first clear any stale flag.
 * Denormal (DE) is ignored: it only reports a subnormal operand, which
 * SSE computes exactly without DAZ.  A stale invalid/overflow/... flag
 * only sends one instruction down the slow path, after which rv_exec_fp
 * leaves those flags clear.
 *
 * Operations that cannot round (sign injection, compares, fmin/fmax,
 * moves, fcvt.d.s) do not look at MXCSR at all: like exec-fp.c, whose
 * compares run on the host too, they assume that nothing in the process
 * sets DAZ (denormals are zero), which would make subnormal operands
 * compare as zero.
 *
 * Like rv_exec_fp, every instruction handled here sets mstatus.FS to
 * Dirty (mstatus_value derives SD from it), also those that write only an
 * integer register.
 */
#ifndef RV_JIT_FP_H
#define RV_JIT_FP_H

#include <stdbool.h>
#include <stdint.h>
#include "rv-state.h"   /* RvCpu, RvInsn, RV_OP_* */
#include "x86-emit.h"

/*
 * How the fast path reaches the integer registers, which the translator
 * may keep in host registers.  Both callbacks emit code into `b`; they may
 * use `host` and change no other register except the scratch ones listed
 * at rv_jit_fp_emit (the fast path calls get_x before anything else is
 * live and set_x after everything else is done).
 */
typedef struct RvJitFpEnv {
    void *ctx;
    /* emit: host register `host` = guest x[r] (0 for x0) */
    void (*get_x)(void *ctx, X86Buf *b, int host, unsigned r);
    /* emit: guest x[r] = host register `host` (ignored for x0) */
    void (*set_x)(void *ctx, X86Buf *b, unsigned r, int host);
    /*
     * Optional (NULL: unused).  What xmm7 holds at this point of the
     * block: rv_jit_fp_xmm7(r, dbl) when it has f[r] as a double (dbl)
     * or single, else -1.  Arithmetic fast paths read a source from xmm7
     * instead of memory when it is there (dependent FP code then waits
     * for no store-to-load forwarding), and leave their result there.
     * The caller sets it to -1 wherever xmm7 may have been changed (a
     * call into C, a join) and, on the slow path of an instruction,
     * loads xmm7 again from f[] after the helper (rv_jit_fp_reload_xmm7).
     */
    int *xmm7;
} RvJitFpEnv;

static inline int rv_jit_fp_xmm7(unsigned r, bool dbl)
{
    return (int)(r << 1 | dbl);
}

/* Most slow-path jumps one instruction's fast path appends. */
#define RV_JIT_FP_MAX_SLOTS 8
/* Most bytes one instruction's fast path takes, get_x/set_x excluded
 * (the caller makes sure there is that much room plus its own). */
#define RV_JIT_FP_MAX_BYTES 320

/*
 * Emit the inline fast path of F/D computational instruction `in`.
 *
 * Translated code has rbx = RvCpu *.  The fast path uses rax, rcx, rdx,
 * rsi, rdi, xmm0-xmm3 and the flags as scratch, and the low 4 bytes of
 * cpu->jit_val as memory for stmxcsr/ldmxcsr; it reads and writes cpu->f,
 * cpu->fflags, cpu->frm and cpu->mstatus in memory (the translator keeps
 * none of them in registers).  It falls through to the next instruction
 * when it is done.
 *
 * Every case it does not handle at run time jumps, BEFORE anything
 * guest-visible is written (f, x, fflags, mstatus), through a rel32 slot
 * it appends to slots[*n_slots] (at most RV_JIT_FP_MAX_SLOTS); the caller
 * points them at a slow path that calls the C helper for the whole
 * instruction.  Nothing is live in the scratch registers there.
 *
 * Returns false, having emitted nothing, when the instruction has no fast
 * path: loads/stores, fclass, non-FP operations, a static rounding mode
 * other than RNE (RTZ also for conversions to integers), and the fused
 * multiply-adds on a host without FMA3.
 */
bool rv_jit_fp_emit(X86Buf *b, const RvInsn *in, const RvJitFpEnv *env,
                    uint8_t **slots, unsigned *n_slots);

/* Emit: xmm7 = f[] as `holds` (an RvJitFpEnv.xmm7 value) says, nothing
 * for -1.  For the slow path's way back to the fast path. */
void rv_jit_fp_reload_xmm7(X86Buf *b, int holds);

#endif
