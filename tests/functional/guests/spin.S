/*
 * spin.S - interrupts off, then a one-instruction loop forever; built
 * with -DSPIN_WFI, a wfi loop instead, with every interrupt masked so
 * the hart sleeps for good.  Either way the emulator must still answer
 * its monitor and quit when told to.
 */
#include "guest.h"

    .text
    .globl main
main:
    csrw mie, zero
    csrci mstatus, MSTATUS_MIE
    la a0, s_banner
    call puts
#ifdef SPIN_WFI
1:  wfi
    j 1b
#else
1:  j 1b
#endif

    .section .rodata
    .globl guest_name
#ifdef SPIN_WFI
guest_name: .asciz "sleep"
s_banner:   .asciz "sleep: waiting with every interrupt masked\n"
#else
guest_name: .asciz "spin"
s_banner:   .asciz "spin: looping with interrupts off\n"
#endif
