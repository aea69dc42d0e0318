/*
 * rv-test.h - macros for the assembly test programs.
 *
 * A program starts with TEST_START (M-mode, a trap vector that fails the
 * test with code 0xfff and logs mcause/mepc/mtval to the debug register),
 * checks values with CHECK(n, reg, expected), which fails with code n,
 * and ends with TEST_PASS.  gp holds the current check number; t6 and
 * t5 are scratch for the macros.
 */
#define TESTDEV 0x100000

#define TEST_START                  \
    .section .text.init;            \
    .globl _start;                  \
_start:                             \
    la t0, unexpected_trap;         \
    csrw mtvec, t0;                 \
    li gp, 0;                       \
    j test_body;                    \
    .align 2;                       \
unexpected_trap:                    \
    li t5, TESTDEV;                 \
    csrr t6, mcause; sd t6, 0x18(t5); \
    csrr t6, mepc;   sd t6, 0x18(t5); \
    csrr t6, mtval;  sd t6, 0x18(t5); \
    sd gp, 0x18(t5);                \
    li gp, 0xfff;                   \
    j fail;                         \
fail:                               \
    li t5, TESTDEV;                 \
    slli t6, gp, 16;                \
    ori t6, t6, 0x333;              \
    li t4, 0x3000;                  \
    or t6, t6, t4;                  \
    sw t6, 0(t5);                   \
1:  j 1b;                           \
test_body:

#define TEST_PASS                   \
    li t5, TESTDEV;                 \
    li t6, 0x5555;                  \
    sw t6, 0(t5);                   \
1:  j 1b

/* Fail with check number n unless reg == expected (64-bit constant). */
#define CHECK(n, reg, expected)     \
    li gp, n;                       \
    li t6, expected;                \
    bne reg, t6, fail

/* Log a value to the harness debug register. */
#define DEBUG(reg)                  \
    li t5, TESTDEV;                 \
    sd reg, 0x18(t5)
