/* C extension: the compressed forms expand to their base instructions. */
#include "rv-test.h"
TEST_START
    .option push
    .option rvc
    li t0, 0x6000             /* FS = dirty: c.fld/c.fsd below */
    csrs mstatus, t0
    la s0, buf
    c.li a0, -5
    CHECK(1, a0, -5)
    c.addi a0, 7
    CHECK(2, a0, 2)
    c.lui a1, 0xfffe1          /* imm 0x21 sign-extended: -31 << 12 */
    CHECK(3, a1, 0xfffffffffffe1000)
    c.mv a2, a0
    c.add a2, a0
    CHECK(4, a2, 4)
    c.addiw a2, -1
    CHECK(5, a2, 3)
    li a3, 0x7fffffff
    c.addiw a3, 1
    CHECK(6, a3, 0xffffffff80000000)
    mv s1, sp
    mv sp, s0
    c.addi16sp sp, 64
    addi a4, s0, 64
    li gp, 7
    bne sp, a4, fail
    c.addi4spn a5, sp, 8
    addi a4, a4, 8
    li gp, 8
    bne a5, a4, fail
    mv sp, s0
    li a0, 0x1122334455667788
    c.sdsp a0, 8(sp)
    c.ldsp a1, 8(sp)
    CHECK(9, a1, 0x1122334455667788)
    c.lwsp a1, 12(sp)
    CHECK(10, a1, 0x11223344)
    c.swsp a0, 16(sp)
    mv a2, s0
    c.lw a3, 16(a2)
    CHECK(11, a3, 0x55667788)
    c.ld a3, 8(a2)
    CHECK(12, a3, 0x1122334455667788)
    c.sd a0, 24(a2)
    c.sw a0, 32(a2)
    ld a3, 24(s0)
    CHECK(13, a3, 0x1122334455667788)
    lwu a3, 32(s0)
    CHECK(14, a3, 0x55667788)
    mv sp, s1
    li a4, 0xf0
    c.srli a4, 4
    CHECK(15, a4, 0xf)
    li a4, -256
    c.srai a4, 4
    CHECK(16, a4, -16)
    c.slli a4, 60
    CHECK(17, a4, 0)
    li a4, 0x1f
    c.andi a4, -2
    CHECK(18, a4, 0x1e)
    li a4, 12
    li a5, 10
    c.sub a4, a5
    CHECK(19, a4, 2)
    c.xor a4, a5
    CHECK(20, a4, 8)
    c.or a4, a5
    CHECK(21, a4, 10)
    c.and a4, a5
    CHECK(22, a4, 10)
    li a4, 0x7fffffff
    li a5, -1
    c.subw a4, a5
    CHECK(23, a4, 0xffffffff80000000)
    c.addw a4, a5
    CHECK(24, a4, 0x7fffffff)
    /* control flow */
    li a4, 0
    c.beqz a4, 1f
    j fail
1:  c.bnez a4, fail
    c.j 2f
    j fail
2:  la a5, 3f
    c.jalr a5
4:  j 5f
3:  la a4, 4b
    li gp, 25
    bne ra, a4, fail
    c.jr ra
5:  fld fa0, 8(s0)
    c.fsd fa0, 40(a2)
    c.fld fa1, 40(a2)
    fmv.x.d a4, fa1
    CHECK(26, a4, 0x1122334455667788)
    c.nop
    .option pop
    TEST_PASS

    .data
    .align 4
buf: .fill 128, 1, 0
