/*
 * illegal.S - instructions the hart must refuse: reserved and
 * unimplemented encodings, bad rounding modes, writes to read-only CSRs,
 * CSRs and privileged instructions used from a mode that may not.  Each
 * must give mcause 2 with mtval = the instruction's bits and mepc = its
 * address.  Expected: "illegal: cases=N traps=N wrong=0 missed=0".
 */
#include "guest.h"

#define MSTATUS_TVM (1 << 20)
#define MSTATUS_TW  (1 << 21)
#define MSTATUS_TSR (1 << 22)

    .text
    .globl main
main:
    li t0, MSTATUS_FS
    csrs mstatus, t0            /* FP on, for the rounding-mode cases */
    csrw mcounteren, zero       /* no counters below M */
    csrw medeleg, zero          /* every trap comes to M */

    /* ---- encodings that are not instructions ---- */
    CASE_ILLEGAL
    .word 0x00000000            /* all zeros (a 16-bit illegal) */
    CASE_END
    CASE_ILLEGAL
    .word 0xffffffff            /* all ones */
    CASE_END
    CASE_ILLEGAL
    .word 0x0000006b            /* major opcode 11010: reserved */
    CASE_END
    CASE_ILLEGAL
    .word 0x00000077            /* major opcode 11101: reserved */
    CASE_END
    CASE_ILLEGAL
    .word 0x00000057            /* OP-V: no vector unit */
    CASE_END
    CASE_ILLEGAL
    .word 0x0000000b            /* custom-0: nothing custom here */
    CASE_END
    CASE_ILLEGAL
    .word 0x40001033            /* OP, funct3 SLL with funct7 0100000 */
    CASE_END
    CASE_ILLEGAL
    .word 0x04005033            /* OP, funct7 0000010 */
    CASE_END
    CASE_ILLEGAL
    .word 0x00007003            /* LOAD with funct3 111 */
    CASE_END
    CASE_ILLEGAL
    .word 0x0000307b            /* OP-64 (RV64 W ops), funct3 011 */
    CASE_END
    CASE_ILLEGAL
    .half 0x6081, 0x0001        /* c.lui ra, 0: reserved */
    CASE_END
    CASE_ILLEGAL
    .half 0x0004, 0x0001        /* c.addi4spn with a zero immediate */
    CASE_END
    CASE_ILLEGAL
    .half 0x6002, 0x0001        /* c.ldsp into x0: reserved */
    CASE_END

    /* ---- floating point ---- */
    CASE_ILLEGAL
    .word 0x0020d053            /* fadd.s f0, f1, f2 with rm 101 */
    CASE_END
    csrwi frm, 5                /* a reserved dynamic rounding mode */
    CASE_ILLEGAL
    fadd.s f0, f1, f2, dyn
    CASE_END
    csrwi frm, 0
    li t0, MSTATUS_FS
    csrc mstatus, t0            /* FP off: every FP instruction traps */
    CASE_ILLEGAL
    fadd.d f0, f1, f2
    CASE_END
    CASE_ILLEGAL
    csrr t2, fcsr
    CASE_END
    li t0, MSTATUS_FS
    csrs mstatus, t0

    /* ---- CSRs that are read-only or absent ---- */
    CASE_ILLEGAL
    csrw mvendorid, zero        /* csrrw writes even from x0 */
    CASE_END
    li t2, 1
    CASE_ILLEGAL
    csrrs t2, mhartid, t2
    CASE_END
    CASE_ILLEGAL
    csrrwi zero, cycle, 1
    CASE_END
    CASE_ILLEGAL
    csrrsi t2, time, 1
    CASE_END
    CASE_ILLEGAL
    csrr t2, 0x0ff              /* no CSR there */
    CASE_END

    /* ---- S-mode: M-only things, and what TSR/TW/TVM forbid ---- */
    li t0, MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM
    csrs mstatus, t0
    ENTER_MODE(1)
    CASE_ILLEGAL
    mret
    CASE_END
    CASE_ILLEGAL
    csrr t2, mstatus
    CASE_END
    CASE_ILLEGAL
    csrw mscratch, t2
    CASE_END
    CASE_ILLEGAL
    sret                        /* TSR */
    CASE_END
    CASE_ILLEGAL
    wfi                         /* TW */
    CASE_END
    CASE_ILLEGAL
    csrr t2, satp               /* TVM */
    CASE_END
    CASE_ILLEGAL
    sfence.vma                  /* TVM */
    CASE_END
    BACK_TO_M
    li t0, MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM
    csrc mstatus, t0

    /* ---- U-mode: anything privileged ---- */
    ENTER_MODE(0)
    CASE_ILLEGAL
    mret
    CASE_END
    CASE_ILLEGAL
    sret
    CASE_END
    CASE_ILLEGAL
    wfi
    CASE_END
    CASE_ILLEGAL
    sfence.vma
    CASE_END
    CASE_ILLEGAL
    csrr t2, sstatus
    CASE_END
    CASE_ILLEGAL
    csrw mtvec, zero
    CASE_END
    CASE_ILLEGAL
    csrr t2, cycle              /* mcounteren is 0 */
    CASE_END
    BACK_TO_M
    ret

    .section .rodata
    .globl guest_name
guest_name: .asciz "illegal"
