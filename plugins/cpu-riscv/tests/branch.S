/* Branches and jumps: conditions, signed vs unsigned, link values, jalr. */
#include "rv-test.h"
TEST_START
    .option norvc             /* exact instruction sizes below */
    li a0, -1
    li a1, 1
    li s0, 0
    blt a0, a1, 1f
    j fail
1:  bltu a0, a1, fail
    bge a1, a0, 2f
    j fail
2:  bgeu a1, a0, fail
    beq a0, a0, 3f
    j fail
3:  bne a0, a0, fail
    bgeu a0, a1, 4f
    j fail
4:  bge a0, a0, 5f          /* equal satisfies >= */
    j fail
5:
    /* jal link value and backward branches: count down a loop */
    li a2, 10
    li a3, 0
6:  addi a3, a3, 3
    addi a2, a2, -1
    bnez a2, 6b
    CHECK(1, a3, 30)
    jal ra, 7f
8:  j 9f
7:  la a4, 8b
    li gp, 2
    bne ra, a4, fail
    ret
9:
    /* jalr clears bit 0 of the target, and rd = rs1 works */
    la a5, 10f
    addi a5, a5, 1
    jalr a5, 0(a5)
    j fail
10: la a4, 10b
    addi a4, a4, -4
    li gp, 3
    bne a5, a4, fail
    /* jalr with offset */
    la a5, 11f
    addi a5, a5, -8
    jalr zero, 8(a5)
    j fail
11:
    TEST_PASS
