/*
 * scribble.S - write junk to every register of every device on the
 * board (sifive_test aside: it would end the run), in every size, and
 * read it all back.  Refused accesses trap and are skipped.  The junk
 * ends with zeros, which leaves the UART usable for the report.
 * Expected: "scribble: done, refused accesses: N" and exit status 0.
 */
#include "guest.h"

#define VIRTIO_BASE 0x10001000      /* 8 slots of 0x1000 */

    .option norvc               /* the skip handler steps 4 bytes; and
                                   .align works only from 4-byte code */
    .text
    .globl main
main:
    la t0, skip
    csrw mtvec, t0
    la s10, regions
1:  ld s6, 0(s10)                   /* base */
    ld s7, 8(s10)                   /* length */
    ld s8, 16(s10)                  /* stride */
    beqz s7, 3f
    add s7, s7, s6
2:  mv a0, s6
    call junk_word
    add s6, s6, s8
    bltu s6, s7, 2b
    addi s10, s10, 24
    j 1b
3:  /* the emulator may have changed the UART's state: put it back */
    li t0, UART_BASE
    sb zero, 3(t0)                  /* LCR: DLAB off */
    sb zero, 4(t0)                  /* MCR: no loopback */
    la a0, s_done
    call puts
    mv a0, s2
    li a1, 10
    call put_num
    li a0, '\n'
    call putc
    li a0, 0
    call exit

/*
 * junk_word(a0): each pattern, as a word, as a doubleword (if aligned),
 * as each of the four bytes, each read back in the same size.
 */
junk_word:
    la t2, patterns
1:  ld t0, 0(t2)
    sw t0, 0(a0)
    lw t1, 0(a0)
    andi t3, a0, 7
    bnez t3, 2f
    sd t0, 0(a0)
    ld t1, 0(a0)
2:  sb t0, 0(a0)
    lb t1, 0(a0)
    sb t0, 1(a0)
    lb t1, 1(a0)
    sb t0, 2(a0)
    lh t1, 2(a0)
    sb t0, 3(a0)
    lbu t1, 3(a0)
    addi t2, t2, 8
    bnez t0, 1b                     /* the last pattern is zero */
    ret

/* Every refused access lands here: step over it. */
    .align 2
skip:
    csrr t4, mepc
    addi t4, t4, 4
    csrw mepc, t4
    addi s2, s2, 1
    mret

    .section .rodata
    .align 3
patterns:
    .dword 0xffffffffffffffff, 0xdeadbeefcafef00d, 0x8000000080000001, 0
regions:    /* base, length, stride */
    .dword RTC_BASE, 0x1000, 4
    .dword CLINT_BASE, 0x10000, 4
    .dword PLIC_BASE, 0x2100, 4                 /* priority, pending, enables */
    .dword PLIC_BASE + 0x2100, 0x1fdf00, 0x1000 /* the rest of the window, sampled */
    .dword PLIC_BASE + 0x200000, 0x2000, 4      /* threshold, claim: M and S */
    .dword UART_BASE, 0x100, 4
    .dword VIRTIO_BASE, 0x8000, 4
    .dword MROM_BASE, 0x100, 4                  /* read-only */
    .dword 0, 0, 0
    .globl guest_name
guest_name: .asciz "scribble"
s_done:     .asciz "scribble: done, refused accesses: "
