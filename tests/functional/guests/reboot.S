/*
 * reboot.S - print a line, then reset the whole machine through
 * sifive_test, forever: a guest in a reboot loop.  The emulator must keep
 * going (each reset reloads the image) and still quit when told to.
 */
#include "guest.h"

#define TEST_RESET 0x7777

    .text
    .globl main
main:
    la a0, s_boot
    call puts
    li t0, TEST_BASE
    li t1, TEST_RESET
    sw t1, 0(t0)
1:  j 1b

    .section .rodata
    .globl guest_name
guest_name: .asciz "reboot"
s_boot:     .asciz "reboot: booted, resetting\n"
