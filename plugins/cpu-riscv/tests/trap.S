/* Exceptions, delegation to S-mode, mret/sret, TSR/TW/TVM, counter enables. */
#include "rv-test.h"
TEST_START
    .option norvc
    SKIP_TRAPS
    S_SKIP_TRAPS
    li s10, -1
    li s8, -1
    /* ecall from M: cause 11, mepc = the ecall */
    la a0, 1f
1:  ecall
    CHECK_MTRAP(1, 11)
    csrr a1, mepc                 /* the handler advanced it past the ecall */
    addi a0, a0, 4
    li gp, 2
    bne a0, a1, fail
    /* illegal instruction: cause 2, mtval = the bits */
    .word 0xffffffff
    CHECK_MTRAP(3, 2)
    CHECK(4, s11, 0xffffffff)
    /* ebreak: cause 3, mtval = pc; c.ebreak too */
    la a0, 2f
2:  ebreak
    CHECK_MTRAP(5, 3)
    li gp, 6
    bne s11, a0, fail
    .option rvc
    c.ebreak
    .option norvc
    CHECK_MTRAP(7, 3)
    /* mret to M with MPIE set: MIE = 1, MPIE = 1, MPP = U */
    li a0, 0x1888
    csrc mstatus, a0
    li a0, 0x1880                 /* MPP = M, MPIE */
    csrs mstatus, a0
    la a0, 3f
    csrw mepc, a0
    mret
3:  csrr a2, mstatus
    andi a2, a2, 0x1888 & 0x7ff
    li a3, 0x1800
    csrr a4, mstatus
    and a4, a4, a3
    CHECK(8, a2, 0x88)
    CHECK(9, a4, 0)
    csrci mstatus, 8              /* MIE off again */
    /* into S-mode: an ecall there reaches M with cause 9, MPP = S */
    ENTER(1, 4f)
4:  ecall
    CHECK_MTRAP(10, 9)
    /* delegate illegal instruction and ecall-from-U to S */
    li a0, (1 << 2) | (1 << 8)
    csrw medeleg, a0
    ENTER(1, 5f)
5:  .word 0xffffffff               /* handled by S */
    CHECK_STRAP(11, 2)
    CHECK(12, s9, 0xffffffff)
    CHECK(13, s10, -1)            /* M saw nothing */
    csrr a2, sstatus              /* after sret: SPP = U, SPIE = 1 */
    andi a2, a2, 0x120
    CHECK(14, a2, 0x20)
    /* S reads an M-only CSR: illegal, delegated so S sees it */
    csrr a2, mscratch
    CHECK_STRAP(15, 2)
    /* sret to U, ecall from U goes to S (delegated), which returns to S */
    li a0, 0x100
    csrc sstatus, a0
    la a0, 6f
    csrw sepc, a0
    sret
6:  csrr a2, sstatus              /* U-mode: any CSR but counters traps */
    CHECK_STRAP(16, 2)
    ecall
    CHECK_STRAP(17, 8)
    /* back in S: now ecall to M */
    ecall
    CHECK_MTRAP(18, 9)
    csrw medeleg, zero
    /* TSR: sret in S traps */
    li a0, 1 << 22
    csrs mstatus, a0
    ENTER(1, 7f)
7:  sret
    CHECK_MTRAP(19, 2)
    ecall
    CHECK_MTRAP(20, 9)
    li a0, 1 << 22
    csrc mstatus, a0
    /* TW: wfi in S traps; wfi in U always traps (S-mode exists) */
    li a0, 1 << 21
    csrs mstatus, a0
    ENTER(1, 8f)
8:  wfi
    CHECK_MTRAP(21, 2)
    ecall
    li a0, 1 << 21
    csrc mstatus, a0
    ENTER(0, 9f)
9:  wfi
    CHECK_MTRAP(22, 2)
    /* U-mode counters: denied unless mcounteren and scounteren allow */
    csrr a2, cycle
    CHECK_MTRAP(23, 2)
    ecall
    li a0, 7
    csrw mcounteren, a0
    ENTER(1, 10f)
10: csrr a2, instret               /* S: mcounteren suffices */
    CHECK(24, s10, -1)
    ecall
    ENTER(0, 11f)
11: csrr a2, time                  /* U: scounteren still 0 */
    CHECK_MTRAP(25, 2)
    ecall
    li a0, 7
    csrw scounteren, a0
    ENTER(0, 12f)
12: csrr a2, time
    CHECK(26, s10, -1)
    ecall
    /* TVM: satp and sfence.vma trap in S */
    li a0, 1 << 20
    csrs mstatus, a0
    ENTER(1, 13f)
13: csrr a2, satp
    CHECK_MTRAP(27, 2)
    sfence.vma
    CHECK_MTRAP(28, 2)
    ecall
    li a0, 1 << 20
    csrc mstatus, a0
    /* mret in S is illegal */
    ENTER(1, 14f)
14: mret
    CHECK_MTRAP(29, 2)
    ecall
    /* fetch from an unmapped address: instruction access fault */
    li a0, 0x1000
    jalr ra, 0(a0)
    CHECK_MTRAP(30, 1)
    CHECK(31, s11, 0x1000)
    TEST_PASS
