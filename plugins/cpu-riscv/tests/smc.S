/* Self-modifying code: a routine rewritten between calls, with and
 * without fence.i, and an instruction rewritten by a store just ahead of
 * it in the same straight-line run (a JIT must drop the block it is
 * executing).  This hart's own stores are seen without fence.i here, as
 * the emulator promises (the ISA would allow stale fetches). */
#include "rv-test.h"
#define LI_A0(n) (((n) << 20) | (10 << 7) | 0x13)   /* addi a0, zero, n */
#define LI_A1(n) (((n) << 20) | (11 << 7) | 0x13)   /* addi a1, zero, n */
TEST_START
    la s0, patch_site
    jalr ra, 0(s0)
    CHECK(1, a0, 1)
    li t0, LI_A0(2)
    sw t0, 0(s0)
    jalr ra, 0(s0)                  /* no fence.i */
    CHECK(2, a0, 2)
    li t0, LI_A0(3)
    sw t0, 0(s0)
    fence.i
    jalr ra, 0(s0)
    CHECK(3, a0, 3)

    /* run the same code twice, rewriting it in between from inside */
    li s2, 0
again:
    la s1, in_block
    li t0, LI_A1(7)
    li a1, 0
    sw t0, 0(s1)
in_block:
    .word LI_A1(5)                  /* becomes addi a1, zero, 7 */
    CHECK(4, a1, 7)
    li t0, LI_A1(5)
    sw t0, 0(s1)                    /* put it back for the second round */
    addi s2, s2, 1
    li t1, 2
    bne s2, t1, again
    TEST_PASS

    .align 2
patch_site:
    .word LI_A0(1)
    ret
