/*
 * aia-start.S - start-up and trap entry for the C test guests (aia.c):
 * a stack, mtvec, every register saved around the C handler, which
 * returns the pc to go on at.  M-mode, from -bios none -kernel.  Hart 0
 * runs main(), the others secondary(hartid).
 */
    .section .text.init
    .globl _start
_start:
    la sp, stack_top
    la t0, trap_entry
    csrw mtvec, t0
    csrr a0, mhartid
    bnez a0, 2f
    call main
1:  j 1b
    /* other harts: a stack 8 KiB further down each, then secondary() */
2:  slli t0, a0, 13
    sub sp, sp, t0
    call secondary
    j 1b

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

/* S-mode trap entry: the same, through s_trap(scause, sepc) and sret. */
    .align 2
    .globl s_trap_entry
s_trap_entry:
    addi sp, sp, -256
    .irp r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\r, \r*8(sp)
    .endr
    csrr a0, scause
    csrr a1, sepc
    call s_trap
    csrw sepc, a0
    .irp r, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\r, \r*8(sp)
    .endr
    addi sp, sp, 256
    sret
