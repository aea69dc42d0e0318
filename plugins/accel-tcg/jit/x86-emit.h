/*
 * x86-emit.h - a small x86-64 instruction encoder for the JIT backend.
 *
 * Only the forms a translator needs: 64/32-bit moves, ALU, shifts,
 * multiply, loads and stores of every width, set-on-condition, jumps and
 * calls.  Every function appends to an X86Buf; the caller reserves enough
 * room first (x86_room), so no function here checks bounds.  Memory
 * operands are base + index * scale + disp (X86Mem); an index of
 * X86_NOREG means none.
 *
 * Target-independent: a CPU plugin's translator calls these directly
 * today, and an IR backend will call them later.
 */
#ifndef TCG_X86_EMIT_H
#define TCG_X86_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
    X86_NOREG = -1,
};

/* Condition codes (the low nibble of Jcc / SETcc). */
enum {
    X86_CC_O = 0, X86_CC_B = 2, X86_CC_AE = 3, X86_CC_E = 4, X86_CC_NE = 5,
    X86_CC_BE = 6, X86_CC_A = 7, X86_CC_L = 0xc, X86_CC_GE = 0xd,
    X86_CC_LE = 0xe, X86_CC_G = 0xf,
};

/* ALU operations: the /digit of the 0x81 group and op<<3 of the r/m forms. */
enum {
    X86_ADD = 0, X86_OR = 1, X86_AND = 4, X86_SUB = 5, X86_XOR = 6, X86_CMP = 7,
};

/* Shifts: the /digit of the 0xC1 / 0xD3 groups. */
enum { X86_SHL = 4, X86_SHR = 5, X86_SAR = 7 };

typedef struct X86Buf {
    uint8_t *start, *p, *end;
} X86Buf;

typedef struct X86Mem {
    int base, index;
    unsigned scale;         /* 1, 2, 4, 8 */
    int32_t disp;
} X86Mem;

static inline X86Mem x86_mem(int base, int32_t disp)
{
    return (X86Mem){ base, X86_NOREG, 1, disp };
}

static inline X86Mem x86_mem_idx(int base, int index, unsigned scale, int32_t disp)
{
    return (X86Mem){ base, index, scale, disp };
}

static inline bool x86_room(const X86Buf *b, size_t n)
{
    return (size_t)(b->end - b->p) >= n;
}

static inline void x86_b(X86Buf *b, uint8_t v) { *b->p++ = v; }
static inline void x86_d(X86Buf *b, uint32_t v) { memcpy(b->p, &v, 4); b->p += 4; }
static inline void x86_q(X86Buf *b, uint64_t v) { memcpy(b->p, &v, 8); b->p += 8; }

/* REX prefix; emitted only when needed (or `force` for byte registers
 * sil/dil and above). */
static inline void x86_rex(X86Buf *b, bool w, int reg, int index, int base, bool force)
{
    uint8_t rex = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                  ((index >= 0 && (index & 8)) ? 2 : 0) | ((base & 8) ? 1 : 0);
    if (rex != 0x40 || force) {
        x86_b(b, rex);
    }
}

/* ModRM (+SIB, +disp) for `reg` and the memory operand `m`. */
static inline void x86_modrm_mem(X86Buf *b, int reg, X86Mem m)
{
    int mod = m.disp == 0 && (m.base & 7) != X86_RBP ? 0
            : (m.disp >= -128 && m.disp <= 127) ? 1 : 2;
    bool sib = m.index >= 0 || (m.base & 7) == X86_RSP;

    x86_b(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (sib ? 4 : (m.base & 7))));
    if (sib) {
        unsigned ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
        int index = m.index >= 0 ? (m.index & 7) : 4;   /* 4 = no index */
        x86_b(b, (uint8_t)(ss << 6 | index << 3 | (m.base & 7)));
    }
    if (mod == 1) {
        x86_b(b, (uint8_t)(int8_t)m.disp);
    } else if (mod == 2) {
        x86_d(b, (uint32_t)m.disp);
    }
}

/* Generic "opcode reg, r/m(mem)" with optional 0x66 prefix and 0x0F escape. */
static inline void x86_op_mem(X86Buf *b, bool p66, bool w, bool esc, uint8_t op,
                              int reg, X86Mem m, bool force_rex)
{
    if (p66) {
        x86_b(b, 0x66);
    }
    x86_rex(b, w, reg, m.index, m.base, force_rex);
    if (esc) {
        x86_b(b, 0x0f);
    }
    x86_b(b, op);
    x86_modrm_mem(b, reg, m);
}

/* Generic "opcode reg, r/m(register)". */
static inline void x86_op_rr(X86Buf *b, bool w, bool esc, uint8_t op, int reg, int rm)
{
    x86_rex(b, w, reg, X86_NOREG, rm, false);
    if (esc) {
        x86_b(b, 0x0f);
    }
    x86_b(b, op);
    x86_b(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* ---- moves ---- */

static inline void x86_load64(X86Buf *b, int dst, X86Mem m)
{
    x86_op_mem(b, false, true, false, 0x8b, dst, m, false);
}

static inline void x86_store64(X86Buf *b, X86Mem m, int src)
{
    x86_op_mem(b, false, true, false, 0x89, src, m, false);
}

/* Store the low `size` bytes of `src` (1, 2, 4, 8). */
static inline void x86_store(X86Buf *b, unsigned size, X86Mem m, int src)
{
    switch (size) {
    case 1: x86_op_mem(b, false, false, false, 0x88, src, m, src >= 4); break;
    case 2: x86_op_mem(b, true, false, false, 0x89, src, m, false); break;
    case 4: x86_op_mem(b, false, false, false, 0x89, src, m, false); break;
    default: x86_store64(b, m, src); break;
    }
}

/* Load `size` bytes into a 64-bit register, sign- or zero-extended. */
static inline void x86_load(X86Buf *b, unsigned size, bool sign, int dst, X86Mem m)
{
    switch (size) {
    case 1: x86_op_mem(b, false, sign, true, sign ? 0xbe : 0xb6, dst, m, false); break;
    case 2: x86_op_mem(b, false, sign, true, sign ? 0xbf : 0xb7, dst, m, false); break;
    case 4:
        if (sign) {
            x86_op_mem(b, false, true, false, 0x63, dst, m, false);  /* movsxd */
        } else {
            x86_op_mem(b, false, false, false, 0x8b, dst, m, false);
        }
        break;
    default: x86_load64(b, dst, m); break;
    }
}

static inline void x86_mov_rr(X86Buf *b, int dst, int src)
{
    x86_op_rr(b, true, false, 0x89, src, dst);
}

/* dst = imm, choosing the shortest encoding. */
static inline void x86_mov_imm(X86Buf *b, int dst, uint64_t imm)
{
    if (imm == 0) {
        x86_op_rr(b, false, false, 0x31, dst, dst);          /* xor r32, r32 */
    } else if (imm <= UINT32_MAX) {
        x86_rex(b, false, 0, X86_NOREG, dst, false);
        x86_b(b, (uint8_t)(0xb8 | (dst & 7)));
        x86_d(b, (uint32_t)imm);
    } else if ((int64_t)imm == (int32_t)imm) {
        x86_rex(b, true, 0, X86_NOREG, dst, false);
        x86_b(b, 0xc7);
        x86_b(b, (uint8_t)(0xc0 | (dst & 7)));
        x86_d(b, (uint32_t)imm);
    } else {
        x86_rex(b, true, 0, X86_NOREG, dst, false);
        x86_b(b, (uint8_t)(0xb8 | (dst & 7)));
        x86_q(b, imm);
    }
}

/* qword [m] = sign-extended imm32 */
static inline void x86_store_imm32(X86Buf *b, X86Mem m, int32_t imm)
{
    x86_op_mem(b, false, true, false, 0xc7, 0, m, false);
    x86_d(b, (uint32_t)imm);
}

static inline void x86_lea(X86Buf *b, int dst, X86Mem m)
{
    x86_op_mem(b, false, true, false, 0x8d, dst, m, false);
}

/* movsxd dst, src32 */
static inline void x86_movsxd(X86Buf *b, int dst, int src)
{
    x86_op_rr(b, true, false, 0x63, dst, src);
}

/* ---- arithmetic ---- */

/* dst op= src (w: 64-bit, else 32-bit) */
static inline void x86_alu_rr(X86Buf *b, bool w, int op, int dst, int src)
{
    x86_op_rr(b, w, false, (uint8_t)(op << 3 | 1), src, dst);
}

/* dst op= [m] (64-bit) */
static inline void x86_alu_rm(X86Buf *b, int op, int dst, X86Mem m)
{
    x86_op_mem(b, false, true, false, (uint8_t)(op << 3 | 3), dst, m, false);
}

/* dst op= sign-extended imm32 */
static inline void x86_alu_ri(X86Buf *b, bool w, int op, int dst, int32_t imm)
{
    x86_rex(b, w, 0, X86_NOREG, dst, false);
    if (imm >= -128 && imm <= 127) {
        x86_b(b, 0x83);
        x86_b(b, (uint8_t)(0xc0 | op << 3 | (dst & 7)));
        x86_b(b, (uint8_t)(int8_t)imm);
    } else {
        x86_b(b, 0x81);
        x86_b(b, (uint8_t)(0xc0 | op << 3 | (dst & 7)));
        x86_d(b, (uint32_t)imm);
    }
}

/* dst op= imm32, always the 4-byte form (so the immediate can be patched);
 * returns the address of the immediate. */
static inline uint8_t *x86_alu_ri32(X86Buf *b, int op, int dst, int32_t imm)
{
    x86_rex(b, true, 0, X86_NOREG, dst, false);
    x86_b(b, 0x81);
    x86_b(b, (uint8_t)(0xc0 | op << 3 | (dst & 7)));
    uint8_t *at = b->p;
    x86_d(b, (uint32_t)imm);
    return at;
}

/* cmp dword [m], imm8 */
static inline void x86_cmp_mem32_imm8(X86Buf *b, X86Mem m, int8_t imm)
{
    x86_op_mem(b, false, false, false, 0x83, X86_CMP, m, false);
    x86_b(b, (uint8_t)imm);
}

/* dst = the address `target` (rip-relative, within +-2 GiB of the code) */
static inline void x86_lea_rip(X86Buf *b, int dst, const uint8_t *target)
{
    x86_rex(b, true, dst, X86_NOREG, 0, false);
    x86_b(b, 0x8d);
    x86_b(b, (uint8_t)(0x05 | (dst & 7) << 3));
    int32_t rel = (int32_t)(target - (b->p + 4));
    x86_d(b, (uint32_t)rel);
}

static inline void x86_shift_ri(X86Buf *b, bool w, int op, int dst, unsigned n)
{
    x86_rex(b, w, 0, X86_NOREG, dst, false);
    x86_b(b, 0xc1);
    x86_b(b, (uint8_t)(0xc0 | op << 3 | (dst & 7)));
    x86_b(b, (uint8_t)n);
}

/* dst shifted by cl (the hardware masks the count to 63 or 31) */
static inline void x86_shift_cl(X86Buf *b, bool w, int op, int dst)
{
    x86_rex(b, w, 0, X86_NOREG, dst, false);
    x86_b(b, 0xd3);
    x86_b(b, (uint8_t)(0xc0 | op << 3 | (dst & 7)));
}

/* dst *= src */
static inline void x86_imul_rr(X86Buf *b, bool w, int dst, int src)
{
    x86_op_rr(b, w, true, 0xaf, dst, src);
}

/* rdx:rax = rax * src, unsigned (mul) or signed (imul) */
static inline void x86_mul_wide(X86Buf *b, bool sign, int src)
{
    x86_rex(b, true, 0, X86_NOREG, src, false);
    x86_b(b, 0xf7);
    x86_b(b, (uint8_t)(0xc0 | (sign ? 5 : 4) << 3 | (src & 7)));
}

/* rdx:rax / src (edx:eax for 32-bit): quotient in rax, remainder in rdx;
 * signed (idiv) or unsigned (div).  Faults on /0 and on signed overflow:
 * the caller rules both out first. */
static inline void x86_div(X86Buf *b, bool w, bool sign, int src)
{
    x86_rex(b, w, 0, X86_NOREG, src, false);
    x86_b(b, 0xf7);
    x86_b(b, (uint8_t)(0xc0 | (sign ? 7 : 6) << 3 | (src & 7)));
}

/* Sign-extend rax into rdx (cqo) or eax into edx (cdq). */
static inline void x86_sign_extend_ax(X86Buf *b, bool w)
{
    if (w) {
        x86_b(b, 0x48);
    }
    x86_b(b, 0x99);
}

/* dst = -dst */
static inline void x86_neg(X86Buf *b, bool w, int dst)
{
    x86_rex(b, w, 0, X86_NOREG, dst, false);
    x86_b(b, 0xf7);
    x86_b(b, (uint8_t)(0xc0 | 3 << 3 | (dst & 7)));
}

/* dst = (condition) ? 1 : 0, after a compare */
static inline void x86_setcc(X86Buf *b, int cc, int dst)
{
    x86_rex(b, false, 0, X86_NOREG, dst, dst >= 4);
    x86_b(b, 0x0f);
    x86_b(b, (uint8_t)(0x90 | cc));
    x86_b(b, (uint8_t)(0xc0 | (dst & 7)));
    /* movzx r32, r8: without REX, r/m 4-7 would be ah/ch/dh/bh */
    x86_rex(b, false, dst, X86_NOREG, dst, dst >= 4);
    x86_b(b, 0x0f);
    x86_b(b, 0xb6);
    x86_b(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (dst & 7)));
}

static inline void x86_test_rr(X86Buf *b, bool w, int a, int c)
{
    x86_op_rr(b, w, false, 0x85, c, a);
}

/* ---- control flow ---- */

/* Jump/call with a 32-bit displacement to be patched; returns the address
 * of the displacement. */
static inline uint8_t *x86_jcc32(X86Buf *b, int cc)
{
    x86_b(b, 0x0f);
    x86_b(b, (uint8_t)(0x80 | cc));
    uint8_t *at = b->p;
    x86_d(b, 0);
    return at;
}

static inline uint8_t *x86_jmp32(X86Buf *b)
{
    x86_b(b, 0xe9);
    uint8_t *at = b->p;
    x86_d(b, 0);
    return at;
}

/* Point the rel32 at `at` to `target`. */
static inline void x86_patch_rel32(uint8_t *at, const uint8_t *target)
{
    int32_t rel = (int32_t)(target - (at + 4));
    memcpy(at, &rel, 4);
}

static inline void x86_jmp_to(X86Buf *b, const uint8_t *target)
{
    x86_patch_rel32(x86_jmp32(b), target);
}

static inline void x86_jcc_to(X86Buf *b, int cc, const uint8_t *target)
{
    x86_patch_rel32(x86_jcc32(b, cc), target);
}

/* call rel32 to `target` (within +-2 GiB: code in the same cache) */
static inline void x86_call_to(X86Buf *b, const uint8_t *target)
{
    x86_b(b, 0xe8);
    uint8_t *at = b->p;
    x86_d(b, 0);
    x86_patch_rel32(at, target);
}

/* Call a C function anywhere in the address space (through rax). */
static inline void x86_call_abs(X86Buf *b, const void *fn)
{
    x86_mov_imm(b, X86_RAX, (uint64_t)(uintptr_t)fn);
    x86_b(b, 0xff);
    x86_b(b, 0xd0);                                  /* call rax */
}

/* jmp qword [m] (an indirect jump through memory) */
static inline void x86_jmp_mem(X86Buf *b, X86Mem m)
{
    x86_op_mem(b, false, false, false, 0xff, 4, m, false);
}

static inline void x86_push(X86Buf *b, int r)
{
    x86_rex(b, false, 0, X86_NOREG, r, false);
    x86_b(b, (uint8_t)(0x50 | (r & 7)));
}

static inline void x86_pop(X86Buf *b, int r)
{
    x86_rex(b, false, 0, X86_NOREG, r, false);
    x86_b(b, (uint8_t)(0x58 | (r & 7)));
}

static inline void x86_ret(X86Buf *b)
{
    x86_b(b, 0xc3);
}

/* mfence: the full barrier (x86 may otherwise pass a load ahead of an
 * earlier store) */
static inline void x86_mfence(X86Buf *b)
{
    x86_b(b, 0x0f);
    x86_b(b, 0xae);
    x86_b(b, 0xf0);
}

/* ==================================================================== */
/* ---- scalar floating point: SSE, FMA3 (VEX), MXCSR ----
 *
 * For the translators' inline FP paths.  XMM registers are numbered 0-15
 * like the general ones (REX.R/B extend them the same way).  The scalar
 * operations are chosen by a mandatory prefix: F2 double, F3 single (and
 * 66 / none for the packed-style ucomisd / ucomiss, movd / movq), which
 * goes before any REX byte.  Intel SDM vol. 2 is the reference for every
 * opcode here; tests/test-x86-emit.c checks the bytes.
 */

/* Two-operand scalar arithmetic: the opcode after 0x0F (prefix F2/F3). */
enum {
    X86_FP_SQRT = 0x51, X86_FP_ADD = 0x58, X86_FP_MUL = 0x59,
    X86_FP_SUB = 0x5c, X86_FP_MIN = 0x5d, X86_FP_DIV = 0x5e, X86_FP_MAX = 0x5f,
};

/* FMA3 "213" forms: dst = ±(src1 * dst) ± src2, one rounding (the VEX
 * opcode byte in map 0F38). */
enum {
    X86_FMADD = 0xa9,       /*   src1 * dst  + src2 */
    X86_FMSUB = 0xab,       /*   src1 * dst  - src2 */
    X86_FNMADD = 0xad,      /* -(src1 * dst) + src2 */
    X86_FNMSUB = 0xaf,      /* -(src1 * dst) - src2 */
};

/* "prefix [REX] 0F op /r" with reg and a register r/m. */
static inline void x86_sse_rr(X86Buf *b, uint8_t prefix, bool w, uint8_t op,
                              int reg, int rm)
{
    if (prefix) {
        x86_b(b, prefix);
    }
    x86_op_rr(b, w, true, op, reg, rm);
}

/* "prefix [REX] 0F op /r" with reg and a memory r/m. */
static inline void x86_sse_rm(X86Buf *b, uint8_t prefix, bool w, uint8_t op,
                              int reg, X86Mem m)
{
    if (prefix) {
        x86_b(b, prefix);
    }
    x86_op_mem(b, false, w, true, op, reg, m, false);
}

/* The scalar prefix: F2 for double, F3 for single. */
static inline uint8_t x86_fp_prefix(bool dbl)
{
    return dbl ? 0xf2 : 0xf3;
}

/* movsd / movss xmm, [m] (the upper bits of xmm are zeroed) */
static inline void x86_fp_load(X86Buf *b, bool dbl, int xmm, X86Mem m)
{
    x86_sse_rm(b, x86_fp_prefix(dbl), false, 0x10, xmm, m);
}

/* movapd dst, src: the whole register (no partial-register merge) */
static inline void x86_fp_copy(X86Buf *b, int dst, int src)
{
    x86_sse_rr(b, 0x66, false, 0x28, dst, src);
}

/* movsd / movss [m], xmm */
static inline void x86_fp_store(X86Buf *b, bool dbl, X86Mem m, int xmm)
{
    x86_sse_rm(b, x86_fp_prefix(dbl), false, 0x11, xmm, m);
}

/* addsd/subsd/mulsd/divsd/minsd/maxsd/sqrtsd (or the ss forms):
 * dst = dst op src (sqrt: dst = sqrt(src)) */
static inline void x86_fp_arith_rr(X86Buf *b, bool dbl, uint8_t op, int dst, int src)
{
    x86_sse_rr(b, x86_fp_prefix(dbl), false, op, dst, src);
}

static inline void x86_fp_arith_rm(X86Buf *b, bool dbl, uint8_t op, int dst, X86Mem m)
{
    x86_sse_rm(b, x86_fp_prefix(dbl), false, op, dst, m);
}

/* ucomisd / ucomiss a, c: ZF PF CF = 111 unordered, 100 equal, 001 a < c,
 * 000 a > c.  Quiet: only a signalling NaN raises invalid. */
static inline void x86_ucomis_rr(X86Buf *b, bool dbl, int a, int c)
{
    x86_sse_rr(b, dbl ? 0x66 : 0, false, 0x2e, a, c);
}

static inline void x86_ucomis_rm(X86Buf *b, bool dbl, int a, X86Mem m)
{
    x86_sse_rm(b, dbl ? 0x66 : 0, false, 0x2e, a, m);
}

/* cvtss2sd (to_dbl) or cvtsd2ss: dst = src converted */
static inline void x86_cvt_fp_rr(X86Buf *b, bool to_dbl, int dst, int src)
{
    x86_sse_rr(b, x86_fp_prefix(!to_dbl), false, 0x5a, dst, src);
}

static inline void x86_cvt_fp_rm(X86Buf *b, bool to_dbl, int dst, X86Mem m)
{
    x86_sse_rm(b, x86_fp_prefix(!to_dbl), false, 0x5a, dst, m);
}

/* cvt(t)sd2si / cvt(t)ss2si: gpr (64-bit with w, else 32-bit, zero-
 * extended) = the double/single in xmm or [m], truncated (trunc) or
 * rounded by MXCSR.RC.  Out of range or NaN: the "integer indefinite"
 * (only the sign bit set) and invalid. */
static inline void x86_cvt_fp2int_rr(X86Buf *b, bool dbl, bool trunc, bool w,
                                     int gpr, int xmm)
{
    x86_sse_rr(b, x86_fp_prefix(dbl), w, trunc ? 0x2c : 0x2d, gpr, xmm);
}

static inline void x86_cvt_fp2int_rm(X86Buf *b, bool dbl, bool trunc, bool w,
                                     int gpr, X86Mem m)
{
    x86_sse_rm(b, x86_fp_prefix(dbl), w, trunc ? 0x2c : 0x2d, gpr, m);
}

/* cvtsi2sd / cvtsi2ss xmm, gpr: the signed 64-bit (w) or 32-bit integer
 * in gpr, rounded by MXCSR.RC; only the low element of xmm is written
 * (clear xmm first to break the dependency on its old value). */
static inline void x86_cvt_int2fp(X86Buf *b, bool dbl, bool w, int xmm, int gpr)
{
    x86_sse_rr(b, x86_fp_prefix(dbl), w, 0x2a, xmm, gpr);
}

/* movq xmm, r64 (w) / movd xmm, r32: the upper bits of xmm are zeroed */
static inline void x86_mov_to_xmm(X86Buf *b, bool w, int xmm, int gpr)
{
    x86_sse_rr(b, 0x66, w, 0x6e, xmm, gpr);
}

/* movq r64, xmm (w) / movd r32, xmm (zero-extended to 64 bits) */
static inline void x86_mov_from_xmm(X86Buf *b, bool w, int gpr, int xmm)
{
    x86_sse_rr(b, 0x66, w, 0x7e, xmm, gpr);
}

/* xorps dst, src (dst = 0 when dst == src) */
static inline void x86_xorps(X86Buf *b, int dst, int src)
{
    x86_sse_rr(b, 0, false, 0x57, dst, src);
}

/* stmxcsr [m] / ldmxcsr [m] (0F AE /3, /2) */
static inline void x86_stmxcsr(X86Buf *b, X86Mem m)
{
    x86_op_mem(b, false, false, true, 0xae, 3, m, false);
}

static inline void x86_ldmxcsr(X86Buf *b, X86Mem m)
{
    x86_op_mem(b, false, false, true, 0xae, 2, m, false);
}

/* vfm*213sd / vfm*213ss dst, src1, src2 (all xmm; see X86_FMADD...):
 * VEX.LIG.66.0F38.W1 (double) or W0 (single).  Three-byte VEX: C4, then
 * ~R ~X ~B and the map (00010 = 0F38), then W, ~vvvv (src1), L = 0 and
 * pp (01 = 66); VEX.128 zeroes the destination above bit 127. */
static inline void x86_vfma_rrr(X86Buf *b, bool dbl, uint8_t op, int dst,
                                int src1, int src2)
{
    x86_b(b, 0xc4);
    x86_b(b, (uint8_t)(((dst & 8) ? 0 : 0x80) | 0x40 | ((src2 & 8) ? 0 : 0x20) | 0x02));
    x86_b(b, (uint8_t)((dbl ? 0x80 : 0) | (~src1 & 15) << 3 | 0x01));
    x86_b(b, op);
    x86_b(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (src2 & 7)));
}

/* BMI2 shlx / shrx / sarx: dst = src shifted by count (mod 64, or mod
 * 32 without w), flags untouched, any registers.  VEX.LZ.0F38.W F7 /r
 * with pp 66 (shl), F3 (sar), F2 (shr); vvvv is the count, inverted.
 * Only on hosts with BMI2 (the caller checks). */
static inline void x86_shiftx(X86Buf *b, bool w, int op, int dst, int src, int count)
{
    uint8_t pp = op == X86_SHL ? 1 : op == X86_SAR ? 2 : 3;
    x86_b(b, 0xc4);
    x86_b(b, (uint8_t)(((dst & 8) ? 0 : 0x80) | 0x40 | ((src & 8) ? 0 : 0x20) | 0x02));
    x86_b(b, (uint8_t)((w ? 0x80 : 0) | (~count & 15) << 3 | pp));
    x86_b(b, 0xf7);
    x86_b(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));
}

/* ---- general-register forms the FP paths need ---- */

/* test dword [m], imm32 */
static inline void x86_test_mem32_imm(X86Buf *b, X86Mem m, uint32_t imm)
{
    x86_op_mem(b, false, false, false, 0xf7, 0, m, false);
    x86_d(b, imm);
}

/* test byte [m], imm8 */
static inline void x86_test_mem8_imm(X86Buf *b, X86Mem m, uint8_t imm)
{
    x86_op_mem(b, false, false, false, 0xf6, 0, m, false);
    x86_b(b, imm);
}

/* dword [m] op= imm (sign-extended imm8 when it fits) */
static inline void x86_alu_mem32_imm(X86Buf *b, int op, X86Mem m, int32_t imm)
{
    bool small = imm >= -128 && imm <= 127;
    x86_op_mem(b, false, false, false, small ? 0x83 : 0x81, op, m, false);
    if (small) {
        x86_b(b, (uint8_t)(int8_t)imm);
    } else {
        x86_d(b, (uint32_t)imm);
    }
}

/* dword [m] op= src32 */
static inline void x86_alu_mem32_r(X86Buf *b, int op, X86Mem m, int src)
{
    x86_op_mem(b, false, false, false, (uint8_t)(op << 3 | 1), src, m, false);
}

/* mov dst32, src32 (zero-extends into the upper half of dst) */
static inline void x86_mov_rr32(X86Buf *b, int dst, int src)
{
    x86_op_rr(b, false, false, 0x89, src, dst);
}

/* Bit test and modify with an immediate bit number: 0F BA /4../7. */
enum { X86_BT = 4, X86_BTS = 5, X86_BTR = 6, X86_BTC = 7 };

static inline void x86_bt_ri(X86Buf *b, bool w, int op, int dst, unsigned bit)
{
    x86_rex(b, w, 0, X86_NOREG, dst, false);
    x86_b(b, 0x0f);
    x86_b(b, 0xba);
    x86_b(b, (uint8_t)(0xc0 | op << 3 | (dst & 7)));
    x86_b(b, (uint8_t)bit);
}

/* Condition codes the FP compares use besides those above. */
enum { X86_CC_S = 8, X86_CC_P = 0xa, X86_CC_NP = 0xb };

#endif
