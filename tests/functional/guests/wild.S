/*
 * wild.S - loads, stores, atomics and instruction fetches to addresses
 * where nothing answers or where the device refuses the access.  Every
 * case must trap with the right cause, mepc and mtval, and the emulator
 * must carry on.  Expected: "wild: cases=N traps=N wrong=0 missed=0".
 */
#include "guest.h"

    .option norvc               /* one fixed size for the faulting insns */
    .text
    .globl main
main:
    /* ---- loads and stores where nothing is mapped ---- */
    CASE(CAUSE_LOAD_ACCESS, 0)                  /* address 0 */
    li t0, 0
    FAULT
    ld t1, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, 0)
    li t0, 0
    FAULT
    sd t1, 0(t0)
    CASE_END
    CASE(CAUSE_LOAD_ACCESS, 0x40000000)         /* the hole below RAM */
    li t0, 0x40000000
    FAULT
    lw t1, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, 0x40000000)
    li t0, 0x40000000
    FAULT
    sw t1, 0(t0)
    CASE_END
    CASE(CAUSE_LOAD_ACCESS, 0xfffffffffffffff8) /* the top of the space */
    li t0, 0xfffffffffffffff8
    FAULT
    ld t1, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, 0xfffffffffffffff8)
    li t0, 0xfffffffffffffff8
    FAULT
    sd t1, 0(t0)
    CASE_END
    CASE(CAUSE_LOAD_ACCESS, RAM_END)            /* just past RAM */
    li t0, RAM_END
    FAULT
    lbu t1, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, RAM_END)
    li t0, RAM_END
    FAULT
    sb t1, 0(t0)
    CASE_END
    CASE(CAUSE_LOAD_ACCESS, 0x100000000000)     /* far above RAM */
    li t0, 0x100000000000
    FAULT
    lh t1, 0(t0)
    CASE_END
    /* straddling the end of RAM: only RAM takes misaligned accesses */
    CASE(CAUSE_LOAD_MISALIGNED, RAM_END - 4)
    li t0, RAM_END - 4
    FAULT
    ld t1, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_MISALIGNED, RAM_END - 2)
    li t0, RAM_END - 2
    FAULT
    sw t1, 0(t0)
    CASE_END

    /* ---- devices refusing the size ---- */
    CASE(CAUSE_STORE_ACCESS, RTC_BASE)          /* goldfish_rtc: 4 only */
    li t0, RTC_BASE
    FAULT
    sd zero, 0(t0)
    CASE_END
    CASE(CAUSE_LOAD_ACCESS, RTC_BASE)
    li t0, RTC_BASE
    FAULT
    lb t1, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, PLIC_BASE + 8)     /* PLIC: 4 only */
    li t0, PLIC_BASE + 8
    FAULT
    sd zero, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, TEST_BASE)         /* sifive_test: 2..4 */
    li t0, TEST_BASE
    FAULT
    sb zero, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, TEST_BASE)
    li t0, TEST_BASE
    FAULT
    sd zero, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, MROM_BASE)         /* the reset ROM */
    li t0, MROM_BASE
    FAULT
    sw zero, 0(t0)
    CASE_END

    /* ---- misaligned accesses to devices ---- */
    CASE(CAUSE_LOAD_MISALIGNED, UART_BASE + 1)
    li t0, UART_BASE + 1
    FAULT
    lw t1, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_MISALIGNED, UART_BASE + 1)
    li t0, UART_BASE + 1
    FAULT
    sh t1, 0(t0)
    CASE_END
    CASE(CAUSE_LOAD_MISALIGNED, RTC_BASE + 2)
    li t0, RTC_BASE + 2
    FAULT
    lw t1, 0(t0)
    CASE_END
    CASE(CAUSE_STORE_MISALIGNED, CLINT_BASE + 0x4004)   /* mtimecmp + 4 */
    li t0, CLINT_BASE + 0x4004
    FAULT
    sd t1, 0(t0)
    CASE_END

    /* ---- atomics: misaligned, and where nothing is mapped ---- */
    CASE(CAUSE_STORE_MISALIGNED, RAM_BASE + 0x2001)
    li t0, RAM_BASE + 0x2001
    FAULT
    amoadd.w t1, t1, (t0)
    CASE_END
    CASE(CAUSE_LOAD_MISALIGNED, RAM_BASE + 0x2004)
    li t0, RAM_BASE + 0x2004
    FAULT
    lr.d t1, (t0)
    CASE_END
    CASE(CAUSE_STORE_ACCESS, 0x40000000)
    li t0, 0x40000000
    FAULT
    amoswap.d t1, t1, (t0)
    CASE_END
    CASE(CAUSE_LOAD_ACCESS, 0)
    li t0, 0
    FAULT
    lr.w t1, (t0)
    CASE_END

    /* ---- instruction fetches where nothing is mapped ---- */
    CASE_FETCH(0)
    CASE_END
    CASE_FETCH(0x40000000)
    CASE_END
    CASE_FETCH(RAM_END)
    CASE_END
    CASE_FETCH(0xfffffffffffffff8)
    CASE_END
    CASE_FETCH(0x100000000000)
    CASE_END

    /* ---- nonsense the devices take and ignore: no trap at all ---- */
    li s1, -1                   /* any trap here counts as wrong */
    la s4, 1f
    li t0, TEST_BASE
    li t1, 0x1234               /* not a sifive_test command */
    sw t1, 0(t0)
    li t0, RTC_BASE
    lw t1, 0x1c(t0)             /* goldfish_rtc: not a readable register */
    li t0, PLIC_BASE + 0x1000
    sw zero, 0(t0)              /* PLIC pending bits: read-only */
1:  ret

    .section .rodata
    .globl guest_name
guest_name: .asciz "wild"
