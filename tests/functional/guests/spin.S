/*
 * spin.S - interrupts off, then a one-instruction loop forever.  The
 * emulator must still answer its monitor and quit when told to.
 */
#include "guest.h"

    .text
    .globl main
main:
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    la a0, s_spin
    call puts
1:  j 1b

    .section .rodata
    .globl guest_name
guest_name: .asciz "spin"
s_spin:     .asciz "spin: looping with interrupts off\n"
