/*
 * Interrupts: masking by mie/mstatus, priority (MEI > MSI > MTI > SEI >
 * SSI > STI), delegation, S-level interrupts never taken in M-mode,
 * vectored mtvec, WFI wake-up, the Sstc timer and software SEIP.
 *
 * irq_handler (M) and s_irq_handler (S) append the interrupt number to the
 * log at s2 (s3 counts entries; s4 is the log's start) and clear the cause: device lines through
 * the test device, software bits in mip/sip, the timer via stimecmp.
 */
#include "rv-test.h"
#define IRQREG (TESTDEV + 0x10)
#define LOG(reg) sd reg, 0(s2); addi s2, s2, 8; addi s3, s3, 1

TEST_START
    j main
    .align 2
irq_handler:                      /* exceptions go to skip_handler */
    csrr a6, mcause
    bgez a6, skip_handler
    slli a6, a6, 1
    srli a6, a6, 1
    LOG(a6)
    /* clear the source: device line and software bit */
    li a5, 1
    sll a5, a5, a6
    csrc mip, a5
    li a4, IRQREG
    lw a3, 0(a4)
    not a5, a5
    and a3, a3, a5
    sw a3, 0(a4)
    li a4, 5
    bne a6, a4, 1f
    li a4, -1
    csrw stimecmp, a4
1:  mret
fail_trap:
    csrr t4, scause
    DEBUG(t4)
    csrr t4, sepc
    DEBUG(t4)
    csrr t4, mcause
    DEBUG(t4)
    DEBUG(s3)
    li gp, 0xeee
    j fail

    .align 2
s_irq_handler:
    csrr a6, scause
    bgez a6, fail_trap
    slli a6, a6, 1
    srli a6, a6, 1
    LOG(a6)
    li a5, 1
    sll a5, a5, a6
    csrc sip, a5
    li a4, 9
    bne a6, a4, 2f
    li a4, IRQREG                 /* SEI is a device line */
    sw zero, 0(a4)
2:  li a4, 5
    bne a6, a4, 3f
    li a4, -1
    csrw stimecmp, a4
3:  sret

    .balign 256
vector_table:                     /* mtvec vectored: base + 4 * cause */
    .option push
    .option norvc
    .rept 11
    j fail_trap
    .endr
    j vectored_mei
    .option pop
vectored_mei:
    li a4, IRQREG
    sw zero, 0(a4)
    li a6, 0x111
    LOG(a6)
    mret

main:
    la s2, log
    li s3, 0
    la t0, irq_handler
    csrw mtvec, t0
    /* masked by mstatus.MIE: no trap */
    li a0, 1 << 11
    csrw mie, a0
    li a1, IRQREG
    li a2, 1 << 11
    sw a2, 0(a1)
    nop
    nop
    CHECK(1, s3, 0)
    csrr a2, mip
    CHECK(2, a2, 1 << 11)
    /* enabling takes it at once */
    csrsi mstatus, 8
    nop
    CHECK(3, s3, 1)
    ld a2, log
    CHECK(4, a2, 11)
    /* priority among M interrupts: raise MSI, MTI, MEI together */
    csrci mstatus, 8
    li a0, (1 << 3) | (1 << 7) | (1 << 11)
    csrw mie, a0
    li a2, (1 << 3) | (1 << 7) | (1 << 11)
    sw a2, 0(a1)
    csrsi mstatus, 8
    nop
    csrci mstatus, 8
    CHECK(5, s3, 4)
    la s4, log
    ld a2, 8(s4)
    CHECK(6, a2, 11)
    ld a2, 16(s4)
    CHECK(7, a2, 3)
    ld a2, 24(s4)
    CHECK(8, a2, 7)
    /* S interrupts taken in M when not delegated: SEI > SSI > STI */
    li a0, (1 << 9) | (1 << 1) | (1 << 5) | (1 << 7)
    csrw mie, a0
    li a2, 1 << 9
    sw a2, 0(a1)
    li a2, (1 << 1) | (1 << 5)
    csrs mip, a2
    csrsi mstatus, 8
    nop
    csrci mstatus, 8
    CHECK(9, s3, 7)
    ld a2, 32(s4)
    CHECK(10, a2, 9)
    ld a2, 40(s4)
    CHECK(11, a2, 1)
    ld a2, 48(s4)
    CHECK(12, a2, 5)
    /* delegated S interrupts are never taken in M, even with MIE */
    la t0, s_irq_handler
    csrw stvec, t0
    li a0, (1 << 1) | (1 << 5) | (1 << 9)
    csrw mideleg, a0
    csrsi mip, 2
    csrsi mstatus, 8
    nop
    nop
    csrci mstatus, 8
    CHECK(13, s3, 7)
    /* ... but they are in S-mode with SIE, SSI taken by S; with SIE clear
     * nothing happens until S enables it */
    li a0, 1 << 8
    csrw medeleg, zero
    csrci mstatus, 2              /* SIE off */
    ENTER(1, 1f)
1:  nop
    nop
    CHECK(14, s3, 7)
    csrsi sstatus, 2
    nop
    CHECK(15, s3, 8)
    ld a2, 56(s4)
    CHECK(16, a2, 1)
    /* in S-mode, an M interrupt is taken even with MIE clear */
    li a2, 1 << 7
    sw a2, 0(a1)
    nop
    CHECK(17, s3, 9)
    ld a2, 64(s4)
    CHECK(18, a2, 7)
    /* SEI delegated: S takes it and drops the line */
    li a2, 1 << 9
    sw a2, 0(a1)
    nop
    CHECK(19, s3, 10)
    ld a2, 72(s4)
    CHECK(20, a2, 9)
    /* Sstc: stimecmp in the past fires STI in S */
    csrr a2, time
    addi a2, a2, 3
    csrw stimecmp, a2             /* illegal: menvcfg.STCE is 0 */
    j 2f
2:  ecall                         /* back to M to enable Sstc */
    CHECK(21, s3, 10)
    li a0, 1
    slli a0, a0, 63
    csrs menvcfg, a0
    li a0, 2
    csrs mcounteren, a0           /* TM: S may use stimecmp */
    ENTER(1, 3f)
3:  csrr a2, time
    addi a2, a2, 2
    csrw stimecmp, a2
4:  li a4, 10
    bltu s3, a4, 5f
    li a4, 11
    bltu s3, a4, 4b
5:  CHECK(22, s3, 11)
    ld a2, 80(s4)
    CHECK(23, a2, 5)
    ecall
    /* WFI in M with MIE clear wakes on a pending enabled interrupt
     * without trapping */
    csrw mideleg, zero
    csrci mstatus, 8
    li a0, 1 << 5
    csrw mie, a0
    csrr a2, time
    addi a2, a2, 50
    csrw stimecmp, a2
    wfi
    csrr a2, mip
    andi a2, a2, 1 << 5
    CHECK(24, a2, 1 << 5)
    CHECK(25, s3, 11)
    li a2, -1
    csrw stimecmp, a2
    csrr a2, mip
    CHECK(26, a2, 0)
    /* software SEIP and the external line are ORed in mip; csrs/csrc on
     * mip only touch the software bit */
    li a2, 1 << 9
    sw a2, 0(a1)
    li a4, 1 << 9
    csrs mip, a4
    csrc mip, a4
    csrr a2, mip
    CHECK(27, a2, 1 << 9)
    sw zero, 0(a1)
    csrr a2, mip
    CHECK(28, a2, 0)
    /* vectored mtvec: MEI lands at base + 4 * 11 */
    la t0, vector_table
    ori t0, t0, 1
    csrw mtvec, t0
    li a0, 1 << 11
    csrw mie, a0
    li a2, 1 << 11
    sw a2, 0(a1)
    csrsi mstatus, 8
    nop
    csrci mstatus, 8
    CHECK(29, s3, 12)
    ld a2, 88(s4)
    CHECK(30, a2, 0x111)
    TEST_PASS

    .data
log: .fill 32, 8, 0
