/*
 * loop.S - the bare-metal integer loop of bench/loop.py: no OS, no
 * firmware (-bios none), M-mode from 0x80000000.  Each iteration is
 * exactly LOOP_BODY_INSNS instructions of ALU work, a load, a store and
 * a taken branch; after ITERATIONS it writes the pass code to the virt
 * board's sifive_test finisher, which ends the emulator.
 */
#define FINISHER 0x100000
#define ITERATIONS 100000000
/* LOOP_BODY_INSNS 10 (counted below; loop.py uses the same figure) */

    .section .text
    .globl _start
_start:
    li      t0, ITERATIONS
    la      t1, buffer
    li      a0, 1
    li      a3, 0x9e3779b9
1:  ld      a1, 0(t1)           /* 1 */
    add     a0, a0, a1          /* 2 */
    xor     a2, a0, t0          /* 3 */
    slli    a4, a2, 7           /* 4 */
    srli    a5, a2, 9           /* 5 */
    or      a4, a4, a5          /* 6 */
    mul     a0, a4, a3          /* 7 */
    sd      a2, 0(t1)           /* 8 */
    addi    t0, t0, -1          /* 9 */
    bnez    t0, 1b              /* 10 */

    li      t2, FINISHER
    li      t3, 0x5555
    sw      t3, 0(t2)
2:  j       2b

    .section .data
    .balign 8
buffer:
    .dword 0x0123456789abcdef
