/* Rounding modes (static and dynamic), RMM ties, saturating conversions. */
#include "rv-test.h"
TEST_START
    SKIP_TRAPS
    li s10, -1
    li t0, 1 << 13
    csrs mstatus, t0
    /* fcvt.w.s of 1.5 and -2.5 in each mode */
    FLI_S(f0, 0x3fc00000)
    fcvt.w.s a0, f0, rne
    CHECK(1, a0, 2)
    fcvt.w.s a0, f0, rtz
    CHECK(2, a0, 1)
    fcvt.w.s a0, f0, rdn
    CHECK(3, a0, 1)
    fcvt.w.s a0, f0, rup
    CHECK(4, a0, 2)
    fcvt.w.s a0, f0, rmm
    CHECK(5, a0, 2)
    CHECK_FLAGS(6, 0x01)
    FLI_S(f1, 0xc0200000)
    fcvt.w.s a0, f1, rne
    CHECK(7, a0, -2)
    fcvt.w.s a0, f1, rtz
    CHECK(8, a0, -2)
    fcvt.w.s a0, f1, rdn
    CHECK(9, a0, -3)
    fcvt.w.s a0, f1, rup
    CHECK(10, a0, -2)
    fcvt.w.s a0, f1, rmm
    CHECK(11, a0, -3)
    /* saturation and flags */
    CHECK_FLAGS(12, 0x01)
    FLI_S(f2, 0x4f32d05e)          /* 3e9 */
    fcvt.w.s a0, f2, rtz
    CHECK(13, a0, 0x7fffffff)
    CHECK_FLAGS(14, 0x10)
    FLI_S(f3, 0xff800000)
    fcvt.w.s a0, f3, rtz
    CHECK(15, a0, 0xffffffff80000000)
    FLI_S(f4, 0x7fc00000)
    fcvt.w.s a0, f4, rtz
    CHECK(16, a0, 0x7fffffff)
    FLI_S(f5, 0xbf800000)
    fcvt.wu.s a0, f5, rtz
    CHECK(17, a0, 0)
    CHECK_FLAGS(18, 0x10)
    FLI_S(f6, 0xbe99999a)          /* -0.3 */
    fcvt.wu.s a0, f6, rtz
    CHECK(19, a0, 0)
    CHECK_FLAGS(20, 0x01)
    FLI_S(f7, 0x4f6e6b28)          /* 4e9 */
    fcvt.wu.s a0, f7, rtz
    CHECK(21, a0, 0xffffffffee6b2800)
    CHECK_FLAGS(22, 0)
    FLI_D(f8, 0x43e0000000000000)  /* 2^63 */
    fcvt.l.d a0, f8, rtz
    CHECK(23, a0, 0x7fffffffffffffff)
    CHECK_FLAGS(24, 0x10)
    FLI_D(f9, 0xc3e0000000000000)  /* -2^63 fits */
    fcvt.l.d a0, f9, rtz
    CHECK(25, a0, 0x8000000000000000)
    CHECK_FLAGS(26, 0)
    FLI_D(f10, 0xbff0000000000000)
    fcvt.lu.d a0, f10, rtz
    CHECK(27, a0, 0)
    CHECK_FLAGS(28, 0x10)
    FLI_D(f11, 0x43f0000000000000) /* 2^64 */
    fcvt.lu.d a0, f11, rtz
    CHECK(29, a0, -1)
    fcvt.lu.s a0, f4, rtz
    CHECK(30, a0, -1)
    CHECK_FLAGS(31, 0x10)
    /* dynamic rounding from frm */
    FLI_S(f12, 0x3f800000)
    FLI_S(f13, 0x40400000)
    FLI_S(f14, 0xbf800000)
    csrwi frm, 3                   /* RUP */
    fdiv.s f15, f12, f13
    CHECK_S(32, f15, 0x3eaaaaab)
    fdiv.s f15, f14, f13
    CHECK_S(33, f15, 0xbeaaaaaa)
    csrwi frm, 1                   /* RTZ */
    fdiv.s f15, f12, f13
    CHECK_S(34, f15, 0x3eaaaaaa)
    csrwi frm, 2                   /* RDN */
    fdiv.s f15, f14, f13
    CHECK_S(35, f15, 0xbeaaaaab)
    fdiv.s f15, f12, f13, rne      /* static overrides frm */
    CHECK_S(36, f15, 0x3eaaaaab)
    /* a reserved frm makes dynamic-rounding instructions illegal */
    csrwi frm, 5
    fdiv.s f15, f12, f13
    CHECK_MTRAP(37, 2)
    fdiv.s f15, f12, f13, rtz
    CHECK(38, s10, -1)
    fsgnj.s f15, f12, f12          /* no rounding: fine */
    CHECK(39, s10, -1)
    csrwi frm, 0
    CHECK_FLAGS(40, 0x01)
    /* RMM: ties go away from zero, RNE to even */
    FLI_S(f16, 0x33800000)         /* 2^-24: 1 + 2^-24 is a tie */
    fadd.s f15, f12, f16, rne
    CHECK_S(41, f15, 0x3f800000)
    fadd.s f15, f12, f16, rmm
    CHECK_S(42, f15, 0x3f800001)
    fadd.s f15, f12, f16, rup
    CHECK_S(43, f15, 0x3f800001)
    fadd.s f15, f12, f16, rdn
    CHECK_S(44, f15, 0x3f800000)
    FLI_S(f17, 0x33000000)         /* 2^-25: below the tie */
    fadd.s f15, f12, f17, rmm
    CHECK_S(45, f15, 0x3f800000)
    FLI_S(f18, 0x34000000)         /* 3 + 2^-23: tie at a larger ulp */
    fadd.s f15, f13, f18, rmm
    CHECK_S(46, f15, 0x40400001)
    fadd.s f15, f13, f18, rne
    CHECK_S(47, f15, 0x40400000)
    FLI_S(f19, 0xbf800000)         /* negative tie: away = more negative */
    FLI_S(f20, 0xb3800000)
    fadd.s f15, f19, f20, rmm
    CHECK_S(48, f15, 0xbf800001)
    FLI_S(f21, 0x3f800800)         /* (1 + 2^-12)^2: product tie */
    fmul.s f15, f21, f21, rmm
    CHECK_S(49, f15, 0x3f801001)
    fmul.s f15, f21, f21, rne
    CHECK_S(50, f15, 0x3f801000)
    FLI_D(f22, 0x3ff0000000000000)
    FLI_D(f23, 0x3ca0000000000000)
    fadd.d f15, f22, f23, rmm
    CHECK_D(51, f15, 0x3ff0000000000001)
    fadd.d f15, f22, f23, rne
    CHECK_D(52, f15, 0x3ff0000000000000)
    FLI_D(f24, 0x3ff0000004000000) /* (1 + 2^-26)(1 + 2^-27) */
    FLI_D(f25, 0x3ff0000002000000)
    fmul.d f15, f24, f25, rmm
    CHECK_D(53, f15, 0x3ff0000006000001)
    fmul.d f15, f24, f25, rne
    CHECK_D(54, f15, 0x3ff0000006000000)
    li a0, 0x1000001               /* 2^24 + 1 */
    fcvt.s.w f15, a0, rmm
    CHECK_S(55, f15, 0x4b800001)
    fcvt.s.w f15, a0, rne
    CHECK_S(56, f15, 0x4b800000)
    fcvt.s.w f15, a0, rup
    CHECK_S(57, f15, 0x4b800001)
    li a0, -0x1000001
    fcvt.s.l f15, a0, rdn
    CHECK_S(58, f15, 0xcb800001)
    FLI_D(f26, 0x3ff0000010000000) /* 1 + 2^-24 as double */
    fcvt.s.d f15, f26, rmm
    CHECK_S(59, f15, 0x3f800001)
    fcvt.s.d f15, f26, rne
    CHECK_S(60, f15, 0x3f800000)
    CHECK_FLAGS(61, 0x01)
    /* large unsigned integers */
    li a0, -1
    fcvt.d.lu f15, a0, rtz
    CHECK_D(62, f15, 0x43efffffffffffff)
    fcvt.d.lu f15, a0, rne
    CHECK_D(63, f15, 0x43f0000000000000)
    fcvt.s.wu f15, a0, rtz
    CHECK_S(64, f15, 0x4f7fffff)
    TEST_PASS
