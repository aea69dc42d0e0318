/*
 * guest.h - what the hostile test guests share: the virt board's
 * addresses, and the case macros the trap-counting programs use.
 *
 * The guests run in M-mode straight from -bios none -kernel.  Each one
 * prints a summary line on the UART and ends through sifive_test, with
 * exit status 0 when every case behaved and 1 otherwise (lib.S).
 *
 * Registers the trap handler in lib.S (trap_count) relies on; the case
 * code must not touch them, nor t3..t6 which the handler clobbers:
 *   s1  the mcause the current case expects
 *   s7  the mtval it expects (-1: not checked)
 *   s8  the mepc it expects (the faulting instruction or fetch target)
 *   s4  where to resume after the trap
 *   s2  traps that matched, s3 traps that did not (logged in wrong_log)
 *   s5  cases that did not trap at all, s6 the last such case
 *   s9  the case number (1, 2, ...)
 * The handler also uses a7; the report uses s10 and s11.
 */
#ifndef GUEST_H
#define GUEST_H

#define UART_BASE   0x10000000      /* ns16550a, 1-byte registers */
#define UART_LSR    5
#define LSR_THRE    0x20
#define TEST_BASE   0x00100000      /* sifive_test: 2..4-byte writes */
#define RTC_BASE    0x00101000      /* goldfish_rtc: 4-byte only */
#define CLINT_BASE  0x02000000      /* 4- and 8-byte */
#define PLIC_BASE   0x0c000000      /* 4-byte only */
#define MROM_BASE   0x00001000      /* the reset ROM: read-only */
#define RAM_BASE    0x80000000
#define RAM_END     0x88000000      /* the tests run with -m 128M */

#define MSTATUS_MIE 0x8
#define MSTATUS_MPP 0x1800          /* both bits: M-mode */
#define MSTATUS_FS  0x6000

#define CAUSE_FETCH_MISALIGNED  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL           2
#define CAUSE_LOAD_MISALIGNED   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_STORE_MISALIGNED  6
#define CAUSE_STORE_ACCESS      7

/*
 * One case: expect `cause` with mtval `tval` from the instruction after
 * FAULT, before CASE_END.  The handler resumes at CASE_END; falling
 * through to it means the trap never came.
 */
#define CASE(cause, tval)   \
    addi s9, s9, 1;         \
    li s1, cause;           \
    li s7, tval;            \
    la s4, 9f;              \
    la s8, 8f

/* Marks the instruction that must trap (the mepc the case expects). */
#define FAULT 8:

/* The same, for a fetch from `target`: mepc and mtval are the target. */
#define CASE_FETCH(target)  \
    addi s9, s9, 1;         \
    li s1, CAUSE_FETCH_ACCESS; \
    li s7, target;          \
    mv s8, s7;              \
    la s4, 9f;              \
    mv t0, s7;              \
    jalr zero, 0(t0)

/* An illegal instruction right after this: mtval must be its bits (16
 * or 32 of them, as its length encoding says), read back from memory. */
#define CASE_ILLEGAL        \
    addi s9, s9, 1;         \
    li s1, CAUSE_ILLEGAL;   \
    la s4, 9f;              \
    la s8, 8f;              \
    lhu s7, 0(s8);          \
    andi t0, s7, 3;         \
    li t1, 3;               \
    bne t0, t1, 8f;         \
    lwu s7, 0(s8);          \
8:

#define CASE_END            \
    addi s5, s5, 1;         \
    mv s6, s9;              \
9:

/* Continue in S-mode (MPP 1) or U-mode (MPP 0) from M-mode. */
#define ENTER_MODE(mpp)     \
    li t0, MSTATUS_MPP;     \
    csrc mstatus, t0;       \
    li t0, (mpp) << 11;     \
    csrs mstatus, t0;       \
    la t0, 7f;              \
    csrw mepc, t0;          \
    mret;                   \
7:

/* Back to M-mode from S or U: the handler turns ecall into that. */
#define BACK_TO_M           \
    la s4, 7f;              \
    ecall;                  \
7:

#endif
