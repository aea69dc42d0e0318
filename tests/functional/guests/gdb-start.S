/*
 * gdb-start.S - start-up for the gdbstub test guest (gdb-counter.c):
 * M-mode from -bios none -kernel, 4 KiB of stack per hart, hart 0 runs
 * main(), the others secondary().
 */
    .section .text.init
    .globl _start
_start:
    csrr a0, mhartid
    la sp, stack_top
    slli t0, a0, 12
    sub sp, sp, t0
    bnez a0, 1f
    call main
    j 2f
1:  call secondary
2:  wfi
    j 2b
