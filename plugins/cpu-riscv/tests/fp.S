/* F/D: FS gating and dirty tracking, NaN-boxing, canonical NaNs, flags,
 * fmin/fmax, compares, fclass, fused multiply-add. */
#include "rv-test.h"
#define CANON 0x7fc00000
TEST_START
    SKIP_TRAPS
    li s10, -1
    /* FS = off: FP instructions are illegal */
    fadd.s f0, f0, f0
    CHECK_MTRAP(1, 2)
    li t0, 1 << 13                 /* FS = initial */
    csrs mstatus, t0
    /* NaN-boxing: a single that is not boxed reads as the canonical NaN */
    FLI_D(f1, 0x000000003f800000)
    fadd.s f2, f1, f1
    CHECK_S(2, f2, CANON)
    CHECK_FLAGS(3, 0)
    fmv.x.w a0, f1                 /* moves raw bits, no unboxing */
    CHECK(4, a0, 0x3f800000)
    FLI_S(f0, 0x3f800000)
    fsgnj.s f3, f1, f0
    CHECK_S(5, f3, CANON)
    fsgnjn.s f3, f0, f0
    CHECK_S(6, f3, 0xbf800000)
    fsgnjx.s f4, f3, f3
    CHECK_S(7, f4, 0x3f800000)
    /* flw boxes, fsw stores the low word */
    la s0, buf
    li a0, 0x40400000
    sw a0, 0(s0)
    flw f5, 0(s0)
    CHECK_S(8, f5, 0x40400000)
    FLI_D(f6, 0x123456789abcdef0)
    fsw f6, 4(s0)
    lwu a0, 4(s0)
    CHECK(9, a0, 0x9abcdef0)
    fmv.w.x f7, a0
    fmv.x.w a1, f7
    CHECK(10, a1, 0xffffffff9abcdef0)
    /* division by zero, invalid operations */
    FLI_S(f8, 0)
    fdiv.s f9, f0, f8
    CHECK_S(11, f9, 0x7f800000)
    CHECK_FLAGS(12, 0x08)
    fdiv.s f9, f8, f8
    CHECK_S(13, f9, CANON)
    CHECK_FLAGS(14, 0x10)
    FLI_S(f10, 0xbf800000)
    fsqrt.s f9, f10
    CHECK_S(15, f9, CANON)
    CHECK_FLAGS(16, 0x10)
    FLI_S(f11, 0x7f800000)
    fsub.s f9, f11, f11
    CHECK_S(17, f9, CANON)
    CHECK_FLAGS(18, 0x10)
    FLI_S(f12, 0x7f800001)         /* sNaN */
    fadd.s f9, f12, f0
    CHECK_S(19, f9, CANON)
    CHECK_FLAGS(20, 0x10)
    FLI_S(f13, 0x7fc12345)         /* qNaN with payload: result canonical */
    fadd.s f9, f13, f0
    CHECK_S(21, f9, CANON)
    CHECK_FLAGS(22, 0)
    /* fmin/fmax */
    FLI_S(f14, 0x80000000)
    fmin.s f9, f14, f8
    CHECK_S(23, f9, 0x80000000)
    fmin.s f9, f8, f14
    CHECK_S(24, f9, 0x80000000)
    fmax.s f9, f14, f8
    CHECK_S(25, f9, 0)
    fmin.s f9, f13, f0
    CHECK_S(26, f9, 0x3f800000)
    CHECK_FLAGS(27, 0)
    fmax.s f9, f0, f12
    CHECK_S(28, f9, 0x3f800000)
    CHECK_FLAGS(29, 0x10)
    fmin.s f9, f13, f13
    CHECK_S(30, f9, CANON)
    FLI_D(f15, 0x7ff0000000000001) /* double sNaN */
    FLI_D(f16, 0xbff0000000000000)
    fmax.d f9, f15, f16
    CHECK_D(31, f9, 0xbff0000000000000)
    CHECK_FLAGS(32, 0x10)
    /* compares: feq quiet, flt/fle signalling */
    feq.s a0, f13, f0
    CHECK(33, a0, 0)
    CHECK_FLAGS(34, 0)
    flt.s a0, f13, f0
    CHECK(35, a0, 0)
    CHECK_FLAGS(36, 0x10)
    feq.s a0, f12, f0
    CHECK_FLAGS(37, 0x10)
    feq.s a0, f14, f8              /* -0 == +0 */
    CHECK(38, a0, 1)
    fle.s a0, f0, f0
    CHECK(39, a0, 1)
    flt.d a0, f16, f16
    CHECK(40, a0, 0)
    /* fclass */
    FLI_S(f17, 0xff800000)
    fclass.s a0, f17
    CHECK(41, a0, 1)
    fclass.s a0, f10
    CHECK(42, a0, 2)
    FLI_S(f17, 0x80000001)
    fclass.s a0, f17
    CHECK(43, a0, 4)
    fclass.s a0, f14
    CHECK(44, a0, 8)
    fclass.s a0, f8
    CHECK(45, a0, 16)
    FLI_S(f17, 0x00000001)
    fclass.s a0, f17
    CHECK(46, a0, 32)
    fclass.s a0, f0
    CHECK(47, a0, 64)
    fclass.s a0, f11
    CHECK(48, a0, 128)
    fclass.s a0, f12
    CHECK(49, a0, 256)
    fclass.s a0, f13
    CHECK(50, a0, 512)
    fclass.s a0, f1                /* unboxed: canonical NaN */
    CHECK(51, a0, 512)
    fclass.d a0, f15
    CHECK(52, a0, 256)
    fclass.d a0, f16
    CHECK(53, a0, 2)
    /* overflow, underflow, inexact */
    FLI_S(f18, 0x7f7fffff)
    FLI_S(f19, 0x40000000)
    fmul.s f9, f18, f19
    CHECK_S(54, f9, 0x7f800000)
    CHECK_FLAGS(55, 0x05)
    fmul.s f9, f18, f19, rtz
    CHECK_S(56, f9, 0x7f7fffff)
    CHECK_FLAGS(57, 0x05)
    FLI_S(f20, 0x00800000)
    fmul.s f9, f20, f20
    CHECK_S(58, f9, 0)
    CHECK_FLAGS(59, 0x03)
    FLI_S(f21, 0x3f000000)         /* 0.5: exact subnormal, no UF */
    fmul.s f9, f20, f21
    CHECK_S(60, f9, 0x00400000)
    CHECK_FLAGS(61, 0)
    FLI_S(f22, 0x40400000)
    fdiv.s f9, f0, f22
    CHECK_S(62, f9, 0x3eaaaaab)
    CHECK_FLAGS(63, 0x01)
    /* fused multiply-add family: 2 * 3 (+-) 1 */
    fmadd.s f9, f19, f22, f0
    CHECK_S(64, f9, 0x40e00000)
    fmsub.s f9, f19, f22, f0
    CHECK_S(65, f9, 0x40a00000)
    fnmsub.s f9, f19, f22, f0
    CHECK_S(66, f9, 0xc0a00000)
    fnmadd.s f9, f19, f22, f0
    CHECK_S(67, f9, 0xc0e00000)
    CHECK_FLAGS(68, 0)
    /* inf * 0 + qNaN is invalid */
    fmadd.s f9, f11, f8, f13
    CHECK_S(69, f9, CANON)
    CHECK_FLAGS(70, 0x10)
    FLI_D(f23, 0x7ff8000000000000)
    FLI_D(f24, 0x7ff0000000000000)
    FLI_D(f25, 0)
    fmadd.d f9, f25, f24, f23
    CHECK_D(71, f9, 0x7ff8000000000000)
    CHECK_FLAGS(72, 0x10)
    /* conversions between formats */
    fcvt.s.d f9, f15
    CHECK_S(73, f9, CANON)
    CHECK_FLAGS(74, 0x10)
    fcvt.d.s f9, f12
    CHECK_D(75, f9, 0x7ff8000000000000)
    CHECK_FLAGS(76, 0x10)
    fcvt.d.s f9, f0
    CHECK_D(77, f9, 0x3ff0000000000000)
    FLI_D(f26, 0x3ff0000000000000)
    FLI_D(f27, 0x3ca0000000000000) /* 2^-53 */
    fadd.d f9, f26, f27
    CHECK_D(78, f9, 0x3ff0000000000000)
    CHECK_FLAGS(79, 0x01)
    fsqrt.d f9, f26
    CHECK_D(80, f9, 0x3ff0000000000000)
    fld f9, 8(s0)                  /* fsd/fld round trip */
    fsd f16, 16(s0)
    ld a0, 16(s0)
    CHECK(81, a0, 0xbff0000000000000)
    /* FS dirty tracking: clean -> dirty on an FP write, SD follows */
    li t0, 1 << 13
    csrc mstatus, t0               /* FS = 2 (clean) */
    csrr a0, mstatus
    srli a0, a0, 63
    CHECK(82, a0, 0)
    fadd.s f9, f0, f0
    csrr a0, mstatus
    srli a1, a0, 13
    andi a1, a1, 3
    CHECK(83, a1, 3)
    srli a0, a0, 63
    CHECK(84, a0, 1)
    TEST_PASS

    .data
    .balign 16
buf: .fill 4, 8, 0
