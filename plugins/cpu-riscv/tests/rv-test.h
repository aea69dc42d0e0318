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
    .align 2;                       \
skip_handler:                       \
    csrr s10, mcause;               \
    csrr s11, mtval;                \
    csrr t6, mepc;                  \
    bltz s10, 5f;                   \
    li t5, 8;  beq s10, t5, 3f;     \
    li t5, 9;  beq s10, t5, 3f;     \
    li t5, 11; beq s10, t5, 3f;     \
    li t5, 1;  beq s10, t5, 4f;     \
    li t5, 12; beq s10, t5, 4f;     \
    j 2f;                           \
3:  li t5, 0x1800;                  \
    csrs mstatus, t5;               \
2:  lhu t5, 0(t6);                  \
    andi t5, t5, 3;                 \
    li t4, 3;                       \
    addi t6, t6, 2;                 \
    bne t5, t4, 1f;                 \
    addi t6, t6, 2;                 \
1:  csrw mepc, t6;                  \
5:  mret;                           \
4:  csrw mepc, ra;                  \
    mret;                           \
    .align 2;                       \
s_skip_handler:                     \
    csrr s8, scause;                \
    csrr s9, stval;                 \
    csrr t6, sepc;                  \
    bltz s8, 5f;                    \
    li t5, 8;  beq s8, t5, 3f;      \
    li t5, 12; beq s8, t5, 4f;      \
    li t5, 1;  beq s8, t5, 4f;      \
    j 2f;                           \
3:  li t5, 0x100;                   \
    csrs sstatus, t5;               \
2:  lhu t5, 0(t6);                  \
    andi t5, t5, 3;                 \
    li t4, 3;                       \
    addi t6, t6, 2;                 \
    bne t5, t4, 1f;                 \
    addi t6, t6, 2;                 \
1:  csrw sepc, t6;                  \
5:  sret;                           \
4:  csrw sepc, ra;                  \
    sret;                           \
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

/*
 * Trap handlers that record and skip the trapping instruction:
 * skip_handler (M): s10 = mcause, s11 = mtval; an ecall additionally
 * returns in M-mode (the tests' way back up).  s_skip_handler (S):
 * s8 = scause, s9 = stval; an ecall from U returns in S-mode.  Fetch
 * faults return to ra.  Interrupts are not expected by them.
 */
#define SKIP_TRAPS   la t0, skip_handler; csrw mtvec, t0
#define S_SKIP_TRAPS la t0, s_skip_handler; csrw stvec, t0

/* mret into privilege `mode` (0 U, 1 S, 3 M) at `label`; clears the
 * recorded trap causes. */
#define ENTER(mode, label)          \
    li s10, -1;                     \
    li s8, -1;                      \
    li t0, 0x1800;                  \
    csrc mstatus, t0;               \
    li t0, (mode) << 11;            \
    csrs mstatus, t0;               \
    la t0, label;                   \
    csrw mepc, t0;                  \
    mret

/* Expect the previous instruction trapped with cause c (M handler). */
#define CHECK_MTRAP(n, c)  CHECK(n, s10, c); li s10, -1
#define CHECK_STRAP(n, c)  CHECK(n, s8, c); li s8, -1

/* FP helpers: load bit patterns, compare whole registers (boxing too). */
#define FLI_S(freg, bits) li a7, bits; fmv.w.x freg, a7
#define FLI_D(freg, bits) li a7, bits; fmv.d.x freg, a7
#define CHECK_S(n, freg, bits) fmv.x.d a7, freg; CHECK(n, a7, 0xffffffff00000000 | (bits))
#define CHECK_D(n, freg, bits) fmv.x.d a7, freg; CHECK(n, a7, bits)
/* Compare and clear the accrued flags. */
#define CHECK_FLAGS(n, val) csrrw a7, fflags, zero; CHECK(n, a7, val)

/* Log a value to the harness debug register. */
#define DEBUG(reg)                  \
    li t5, TESTDEV;                 \
    sd reg, 0x18(t5)
