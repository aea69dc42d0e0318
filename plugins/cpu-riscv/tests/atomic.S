/* A extension: LR/SC rules, AMO results and sign extension, alignment. */
#include "rv-test.h"
TEST_START
    SKIP_TRAPS
    la s0, data
    /* LR/SC pair succeeds */
    li a0, 5
    sd a0, 0(s0)
    lr.d a1, (s0)
    CHECK(1, a1, 5)
    li a2, 9
    sc.d a3, a2, (s0)
    CHECK(2, a3, 0)
    ld a1, 0(s0)
    CHECK(3, a1, 9)
    /* a second SC has no reservation left */
    sc.d a3, a0, (s0)
    CHECK(4, a3, 1)
    ld a1, 0(s0)
    CHECK(5, a1, 9)
    /* SC to another address than the reservation fails */
    lr.d a1, (s0)
    addi s1, s0, 8
    sc.d a3, a0, (s1)
    CHECK(6, a3, 1)
    /* word forms sign-extend */
    li a0, 0x80000000
    sw a0, 16(s0)
    addi s1, s0, 16
    lr.w a1, (s1)
    CHECK(7, a1, 0xffffffff80000000)
    sc.w a3, zero, (s1)
    CHECK(8, a3, 0)
    /* AMOs return the old value */
    li a0, 10
    sd a0, 24(s0)
    addi s1, s0, 24
    li a1, 3
    amoadd.d a2, a1, (s1)
    CHECK(9, a2, 10)
    ld a2, 0(s1)
    CHECK(10, a2, 13)
    amoswap.d a2, a1, (s1)
    CHECK(11, a2, 13)
    li a1, 0xff
    amoor.d a2, a1, (s1)
    amoand.d a2, zero, (s1)
    CHECK(12, a2, 0xff)
    li a1, 0x0f
    amoxor.d a2, a1, (s1)
    ld a2, 0(s1)
    CHECK(13, a2, 0x0f)
    li a1, -1
    amomin.d a2, a1, (s1)
    ld a2, 0(s1)
    CHECK(14, a2, -1)
    li a1, 7
    amomax.d a2, a1, (s1)
    ld a2, 0(s1)
    CHECK(15, a2, 7)
    li a1, -1
    amominu.d a2, a1, (s1)
    ld a2, 0(s1)
    CHECK(16, a2, 7)
    amomaxu.d a2, a1, (s1)
    ld a2, 0(s1)
    CHECK(17, a2, -1)
    /* 32-bit AMOs compare as 32-bit signed/unsigned and leave the upper
     * word of memory alone */
    li a0, 0x1111111180000000
    sd a0, 32(s0)
    addi s1, s0, 32
    li a1, 1
    amomax.w a2, a1, (s1)
    CHECK(18, a2, 0xffffffff80000000)
    ld a2, 0(s1)
    CHECK(19, a2, 0x1111111100000001)
    li a1, 0x80000000
    amomaxu.w a2, a1, (s1)
    ld a2, 0(s1)
    CHECK(20, a2, 0x1111111180000000)
    li a1, 0x7fffffff
    amoadd.w a2, a1, (s1)
    ld a2, 0(s1)
    CHECK(21, a2, 0x11111111ffffffff)
    amominu.w a2, zero, (s1)
    CHECK(22, a2, -1)
    /* misaligned: LR -> load misaligned, AMO/SC -> store misaligned */
    li s10, -1
    addi s1, s0, 4
    lr.d a1, (s1)
    CHECK_MTRAP(23, 4)
    amoadd.d a1, a1, (s1)
    CHECK_MTRAP(24, 6)
    li gp, 25
    bne s11, s1, fail
    addi s1, s0, 2
    sc.w a1, a1, (s1)
    CHECK_MTRAP(26, 6)
    /* AMO on an unmapped address: store access fault */
    li s1, 0x1000
    amoswap.w a1, a1, (s1)
    CHECK_MTRAP(27, 7)
    TEST_PASS

    .data
    .balign 64
data: .fill 8, 8, 0
