/*
 * storm.S - a trap that traps forever.  mtvec points at an illegal
 * instruction (or, built with -DSTORM_FETCH, at an address where nothing
 * is mapped), then the guest executes one: every trap lands on another.
 * The emulator must still answer its monitor and quit when told to.
 */
#include "guest.h"

    .text
    .globl main
main:
    la a0, s_storm
    call puts
#ifdef STORM_FETCH
    li t0, 0x40000000               /* fetching the handler faults */
#else
    la t0, storm_vector
#endif
    csrw mtvec, t0
    .word 0                         /* the first trap */
1:  j 1b

    .align 2
storm_vector:
    .word 0                         /* illegal: traps to itself */

    .section .rodata
    .globl guest_name
guest_name: .asciz "storm"
s_storm:    .asciz "storm: trapping forever\n"
