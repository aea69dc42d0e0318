/*
 * aia-start.S - start-up and trap entry for the C test guests (aia.c):
 * a stack, mtvec, every register saved around the C handler, which
 * returns the pc to go on at.  M-mode, from -bios none -kernel.
 */
    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, trap_entry
    csrw mtvec, t0
    call main
1:  j 1b

    .text
    .align 2
trap_entry:
    addi sp, sp, -256
    .irp r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\r, \r*8(sp)
    .endr
    csrr a0, mcause
    csrr a1, mepc
    call trap
    csrw mepc, a0
    .irp r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\r, \r*8(sp)
    .endr
    addi sp, sp, 256
    mret
