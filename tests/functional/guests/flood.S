/*
 * flood.S - write FLOOD_LINES lines of 64 bytes to the UART's THR as fast
 * as the hart goes, never looking at LSR, then power off.  The emulator
 * must neither block for good nor buffer without bound, whatever is on
 * the other side of the serial port.  Output: "flood: start", the lines
 * ("abc...\n"), "flood: done"; exit status 0.
 */
#include "guest.h"

#ifndef FLOOD_LINES
#define FLOOD_LINES 32768           /* 2 MiB; the slow suite's has 10 MiB */
#endif

    .text
    .globl main
main:
    la a0, s_start
    call puts
    li t0, UART_BASE
    li t1, FLOOD_LINES
1:  la t2, line                     /* one line: 63 letters and '\n' */
    addi t3, t2, 64
2:  lbu t4, 0(t2)
    sb t4, 0(t0)                    /* THR, full or not */
    addi t2, t2, 1
    bne t2, t3, 2b
    addi t1, t1, -1
    bnez t1, 1b
    la a0, s_done
    call puts
    li a0, 0
    call exit

    .section .rodata
    .globl guest_name
guest_name: .asciz "flood"
s_start:    .asciz "flood: start\n"
s_done:     .asciz "flood: done\n"
line:       .ascii "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\n"
