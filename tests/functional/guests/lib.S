/*
 * lib.S - the part every test guest shares: start-up, a trap handler that
 * checks and counts the traps the cases provoke, UART output, the summary
 * line and the exit through sifive_test.
 *
 * A guest provides `main` (returns with ret, or never) and `guest_name`
 * (a string).  Output waits for THRE like a polite driver would; the
 * flood guest writes THR directly instead.
 */
#include "guest.h"

    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, trap_count
    csrw mtvec, t0
    /* One PMP entry granting everything, so U-mode cases run exactly as
     * they would under firmware (NAPOT over the whole address space). */
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                 /* NAPOT | X | W | R */
    csrw pmpcfg0, t0
    li s2, 0
    li s3, 0
    li s5, 0
    li s6, 0
    li s9, 0
    call main
    call report
1:  j 1b

    .text
/*
 * The trap handler: compare mcause, mepc and mtval with what the case
 * announced (guest.h), count, and resume at s4 in the mode the trap came
 * from.  An ecall is a case asking to go back to M-mode.
 */
    .align 2
    .globl trap_count
trap_count:
    csrr t3, mcause
    li t4, 8                    /* ecall from U */
    beq t3, t4, back_to_m
    li t4, 9                    /* ecall from S */
    beq t3, t4, back_to_m
    csrr t4, mtval
    csrr t5, mepc
    bne t3, s1, trap_wrong
    bne t5, s8, trap_wrong
    li t6, -1
    beq s7, t6, trap_right      /* mtval not checked for this case */
    bne t4, s7, trap_wrong
trap_right:
    addi s2, s2, 1
    j trap_resume
trap_wrong:
    /* wrong_log[s3 % 8] = { case, mcause, mtval, mepc } */
    andi t6, s3, 7
    slli t6, t6, 5
    la a7, wrong_log            /* a7: the cases leave it alone too */
    add t6, t6, a7
    sd s9, 0(t6)
    sd t3, 8(t6)
    sd t4, 16(t6)
    sd t5, 24(t6)
    addi s3, s3, 1
trap_resume:
    csrw mepc, s4
    mret
back_to_m:
    li t4, MSTATUS_MPP
    csrs mstatus, t4
    csrw mepc, s4
    mret

/* putc(a0): one byte to the UART.  Clobbers t0, t1. */
    .globl putc
putc:
    li t0, UART_BASE
1:  lbu t1, UART_LSR(t0)
    andi t1, t1, LSR_THRE
    beqz t1, 1b
    sb a0, 0(t0)
    ret

/* puts(a0): a NUL-terminated string.  Clobbers a0, a2, t0-t2. */
    .globl puts
puts:
    mv a2, ra
    mv t2, a0
1:  lbu a0, 0(t2)
    beqz a0, 2f
    call putc
    addi t2, t2, 1
    j 1b
2:  jr a2

/* put_num(a0 = value, a1 = base 10 or 16).  Clobbers a0-a2, t0-t2. */
    .globl put_num
put_num:
    addi sp, sp, -48
    sd ra, 40(sp)
    addi a2, sp, 32
    sb zero, 0(a2)
1:  remu t1, a0, a1
    divu a0, a0, a1
    li t0, 10
    blt t1, t0, 2f
    addi t1, t1, 'a' - '0' - 10
2:  addi t1, t1, '0'
    addi a2, a2, -1
    sb t1, 0(a2)
    bnez a0, 1b
    mv a0, a2
    call puts
    ld ra, 40(sp)
    addi sp, sp, 48
    ret

/* put_label(a0 = string, a1 = value): " string=value" in decimal. */
put_label:
    addi sp, sp, -16
    sd ra, 8(sp)
    sd a1, 0(sp)
    call puts
    ld a0, 0(sp)
    li a1, 10
    call put_num
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

/* put_hex_field(a0 = string, a1 = value): " string=0x..." */
    .globl put_hex_field
put_hex_field:
    addi sp, sp, -16
    sd ra, 8(sp)
    sd a1, 0(sp)
    call puts
    ld a0, 0(sp)
    li a1, 16
    call put_num
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

/*
 * report: "<name>: cases=N traps=N wrong=N missed=N", then one line per
 * wrong trap (at most 8) and the last case that did not trap; exit 0 if
 * every case trapped as expected, else 1.
 */
    .globl report
report:
    addi sp, sp, -16
    sd ra, 8(sp)
    la a0, guest_name
    call puts
    la a0, s_cases
    mv a1, s9
    call put_label
    la a0, s_traps
    mv a1, s2
    call put_label
    la a0, s_wrong
    mv a1, s3
    call put_label
    la a0, s_missed
    mv a1, s5
    call put_label
    li a0, '\n'
    call putc
    /* the wrong traps */
    la s10, wrong_log
    li s11, 8
    bgeu s3, s11, 1f
    mv s11, s3
1:  beqz s11, 2f
    la a0, s_bad_case
    ld a1, 0(s10)
    call put_label
    la a0, s_mcause
    ld a1, 8(s10)
    call put_label
    la a0, s_mtval
    ld a1, 16(s10)
    call put_hex_field
    la a0, s_mepc
    ld a1, 24(s10)
    call put_hex_field
    li a0, '\n'
    call putc
    addi s10, s10, 32
    addi s11, s11, -1
    j 1b
2:  beqz s5, 3f
    la a0, s_last_missed
    mv a1, s6
    call put_label
    li a0, '\n'
    call putc
3:  or a0, s3, s5
    snez a0, a0
    call exit

/* exit(a0): 0 powers off (status 0), n > 0 ends with status n. */
    .globl exit
exit:
    li t0, TEST_BASE
    li t1, 0x5555
    beqz a0, 1f
    slli t1, a0, 16
    li t2, 0x3333
    or t1, t1, t2
1:  sw t1, 0(t0)
2:  j 2b

    .section .rodata
s_cases:       .asciz ": cases="
s_traps:       .asciz " traps="
s_wrong:       .asciz " wrong="
s_missed:      .asciz " missed="
s_bad_case:    .asciz "wrong trap: case="
s_mcause:      .asciz " mcause="
s_mtval:       .asciz " mtval=0x"
s_mepc:        .asciz " mepc=0x"
s_last_missed: .asciz "no trap in case="

    .bss
    .align 3
wrong_log:     .skip 8 * 32
