/* Integer ALU edge cases (RV64I chapter 2 and 5). */
#include "rv-test.h"
TEST_START
    /* add/sub wrap around */
    li a0, 0x7fffffffffffffff
    addi a1, a0, 1
    CHECK(1, a1, 0x8000000000000000)
    li a2, 0
    addi a3, a2, -1
    CHECK(2, a3, 0xffffffffffffffff)
    sub a4, a2, a0
    CHECK(3, a4, 0x8000000000000001)
    /* addiw/addw sign-extend bit 31 */
    li a0, 0x7fffffff
    addiw a1, a0, 1
    CHECK(4, a1, 0xffffffff80000000)
    li a0, 0xffffffff00000005
    addw a1, a0, zero
    CHECK(5, a1, 5)
    li a0, 0x80000000
    subw a1, zero, a0
    CHECK(6, a1, 0xffffffff80000000)
    /* slt/sltu/slti/sltiu */
    li a0, -1
    li a1, 1
    slt a2, a0, a1
    CHECK(7, a2, 1)
    sltu a2, a0, a1
    CHECK(8, a2, 0)
    sltiu a2, a1, -1          /* 1 < 0xfff..f unsigned */
    CHECK(9, a2, 1)
    slti a2, a0, 0
    CHECK(10, a2, 1)
    sltiu a2, zero, 1         /* seqz */
    CHECK(11, a2, 1)
    /* logic with sign-extended immediates */
    li a0, 0x00ff00ff00ff00ff
    xori a1, a0, -1
    CHECK(12, a1, 0xff00ff00ff00ff00)
    andi a1, a0, -16
    CHECK(13, a1, 0x00ff00ff00ff00f0)
    ori a1, zero, 0x7ff
    CHECK(14, a1, 0x7ff)
    /* shifts use 6 bits of rs2 (RV64), 5 bits for *W */
    li a0, 1
    li a1, 65
    sll a2, a0, a1
    CHECK(15, a2, 2)
    li a0, 0x8000000000000000
    srai a1, a0, 63
    CHECK(16, a1, 0xffffffffffffffff)
    srli a1, a0, 63
    CHECK(17, a1, 1)
    li a2, 127
    sra a1, a0, a2
    CHECK(18, a1, 0xffffffffffffffff)
    li a0, 0x80000000
    sraiw a1, a0, 4
    CHECK(19, a1, 0xfffffffff8000000)
    srliw a1, a0, 4
    CHECK(20, a1, 0x08000000)
    li a0, 1
    slliw a1, a0, 31
    CHECK(21, a1, 0xffffffff80000000)
    li a0, 0xffffffff12345678
    li a2, 36                 /* only 5 bits count: shift by 4 */
    srlw a1, a0, a2
    CHECK(22, a1, 0x01234567)
    sraw a1, a0, a2
    CHECK(23, a1, 0x01234567)
    li a0, 0x80000000
    sraw a1, a0, zero         /* shift by 0 still sign-extends */
    CHECK(24, a1, 0xffffffff80000000)
    sllw a1, a0, a2
    CHECK(25, a1, 0)
    /* lui/auipc */
    lui a0, 0x80000
    CHECK(26, a0, 0xffffffff80000000)
    lui a0, 0x7ffff
    CHECK(27, a0, 0x7ffff000)
1:  auipc a0, 0
    la a1, 1b
    li gp, 28
    bne a0, a1, fail
    /* writes to x0 are discarded */
    addi zero, zero, 5
    CHECK(29, zero, 0)
    lui zero, 0x12345
    mv a0, zero
    CHECK(30, a0, 0)
    TEST_PASS
