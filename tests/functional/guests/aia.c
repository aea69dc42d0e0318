/*
 * aia.c - a bare-metal test of the virt board's AIA interrupt controllers
 * (aia=aplic-imsic, or aia=aplic when built with -DAIA_DIRECT), run the
 * same way on Tessera and on QEMU 7.2 so that their outputs can be
 * compared line by line (test-aia.py).
 *
 * It programs the IMSIC interrupt files through the AIA CSRs, sends
 * messages to their pages, takes the interrupts, routes the UART's wired
 * interrupt (source 10) through the APLIC's M and S domains in MSI or
 * direct delivery mode, and pokes at things a hostile guest would.
 * Every value it prints is architectural state; it ends through
 * sifive_test.  M-mode from -bios none -kernel; aia-start.S has the
 * trap entry.
 */
#include "bare.h"

#pragma GCC diagnostic ignored "-Wunused-function"

#define UART_IER    1
#define UART_IIR    2
#define APLIC_M     0x0c000000ul
#define APLIC_S     0x0d000000ul
#define IMSIC_M     0x24000000ul
#define IMSIC_S     0x28000000ul
#define UART_SOURCE 10

/* APLIC registers */
#define DOMAINCFG   0x0000
#define SOURCECFG(i) (0x0004 + 4 * ((i) - 1))
#define MMSIADDRCFG 0x1bc0
#define MMSIADDRCFGH 0x1bc4
#define SMSIADDRCFG 0x1bc8
#define SMSIADDRCFGH 0x1bcc
#define SETIP0      0x1c00
#define SETIPNUM    0x1cdc
#define IN_CLRIP0   0x1d00
#define CLRIPNUM    0x1ddc
#define SETIE0      0x1e00
#define SETIENUM    0x1edc
#define CLRIENUM    0x1fdc
#define GENMSI      0x3000
#define TARGET(i)   (0x3004 + 4 * ((i) - 1))
#define IDC(h)      (0x4000 + 32 * (h))
#define IDELIVERY   0x00
#define IFORCE      0x04
#define ITHRESHOLD  0x08
#define TOPI        0x18
#define CLAIMI      0x1c


/* The AIA CSRs by number, so an assembler that predates them is fine. */
#define MISELECT 0x350
#define MIREG    0x351
#define MTOPEI   0x35c
#define MTOPI    0xfb0
#define SISELECT 0x150
#define SIREG    0x151
#define STOPEI   0x15c
#define STOPI    0xdb0
#define MIP_SEIP (1ul << 9)
#define MIP_MEIP (1ul << 11)

static volatile uint64_t traps, last_cause, irq_value;
static volatile uint64_t irq_log;       /* interrupt codes, oldest first */


/* Short wait for a device: harmless on both emulators. */
static void settle(void)
{
    for (volatile int i = 0; i < 2000; i++) {
    }
}

/* mireg/sireg through the select registers. */
static uint64_t mireg_read(uint64_t sel)
{
    csr_write(0x350, sel);
    return csr_read(0x351);
}

static void mireg_write(uint64_t sel, uint64_t v)
{
    csr_write(0x350, sel);
    csr_write(0x351, v);
}

static uint64_t sireg_read(uint64_t sel)
{
    csr_write(0x150, sel);
    return csr_read(0x151);
}

static void sireg_write(uint64_t sel, uint64_t v)
{
    csr_write(0x150, sel);
    csr_write(0x151, v);
}

static void uart_irq(int on)
{
    w8(UART + UART_IER, on ? 0x02 : 0x00);     /* THR empty */
}

/* The C side of the trap entry: returns where to go on. */
/* What the second hart saw: set by its trap handler. */
static volatile uint64_t hart1_ready, hart1_got;

static uint64_t claim_external(uint64_t hart)
{
#ifdef AIA_DIRECT
    return r32(APLIC_M + IDC(hart) + CLAIMI);
#else
    (void)hart;
    return csr_swap(0x35c, 0);
#endif
}

uint64_t trap(uint64_t cause, uint64_t epc)
{
    uint64_t hart = csr_read(mhartid);
    if (hart != 0) {
        if (cause == (1ul << 63 | 11)) {
            hart1_got = claim_external(hart);
        }
        return epc;
    }
    traps++;
    last_cause = cause;
    if (cause == 9) {
        /* ecall from S: back to M-mode after it */
        csr_set(mstatus, 0x1800);
        return epc + 4;
    }
    if ((int64_t)cause < 0) {
        irq_log = irq_log << 8 | (cause & 0xff);
        if ((cause & 0xff) == 7) {
            csr_clear(mie, 1ul << 7);      /* the timer stays pending */
        }
        if ((cause & 0xff) == 11) {
            irq_value = claim_external(0);
            uart_irq(0);
            csr_clear(mie, 1ul << 11);
        }
        return epc;
    }
    /* an illegal CSR access or a refused load/store: skip it (16 or
     * 32 bits, as its low bits say) */
    return epc + ((*(volatile uint16_t *)epc & 3) == 3 ? 4 : 2);
}

static void expect_trap(const char *what, uint64_t before)
{
    puts_(what);
    puts_(traps == before + 1 && last_cause == 2 ? " traps\n"
                                                 : " does not trap\n");
}

/* ---- S-mode: the supervisor file from the kernel's side ---- */
static volatile uint64_t s_claim, s_cause;
extern char s_trap_entry[];

/* The C side of the S-mode trap entry. */
uint64_t s_trap(uint64_t cause, uint64_t epc)
{
    s_cause = cause;
    if (cause == (1ul << 63 | 9)) {
        s_claim = csr_swap(0x15c, 0);           /* stopei, from S */
    }
    return epc;
}

#ifndef AIA_DIRECT
static void imsic_m_file(void)
{
    puts_("== IMSIC M file\n");
    mireg_write(0x70, 1);                   /* eidelivery */
    mireg_write(0x72, 0);                   /* eithreshold */
    mireg_write(0xc0, 1ul << 5 | 1ul << 7 | 1ul << 9 | 1);
    show("eidelivery", mireg_read(0x70));
    show("eie0", mireg_read(0xc0));
    show("mtopei.idle", csr_read(0x35c));
    w32(IMSIC_M, 5);
    show("eip0", mireg_read(0x80));
    show("mip.meip", csr_read(mip) & MIP_MEIP);
    show("mtopei", csr_read(0x35c));
    csr_set(mie, 1ul << 11);
    show("mtopi", csr_read(0xfb0));
    irq_value = 0;
    csr_set(mstatus, 8);
    settle();
    csr_clear(mstatus, 8);
    show("taken.topei", irq_value);
    show("eip0.after", mireg_read(0x80));

    /* threshold: 7 is not below it, 3 not enabled until later */
    mireg_write(0x72, 5);
    w32(IMSIC_M, 7);
    w32(IMSIC_M, 3);
    show("threshold.mtopei", csr_read(0x35c));
    mireg_write(0xc0, mireg_read(0xc0) | 1ul << 3);
    show("threshold.enabled3", csr_read(0x35c));
    show("claim", csr_swap(0x35c, 0));
    mireg_write(0x72, 0);
    show("next", csr_swap(0x35c, 0));
    show("none", csr_read(0x35c));

    /* delivery off: pending stays, no interrupt for the hart */
    mireg_write(0x70, 0);
    w32(IMSIC_M, 9);
    show("off.eip0", mireg_read(0x80));
    show("off.mip.meip", csr_read(mip) & MIP_MEIP);
    show("off.mtopei", csr_read(0x35c));
    mireg_write(0x70, 1);
    show("on.mip.meip", csr_read(mip) & MIP_MEIP);
    show("on.claim", csr_swap(0x35c, 0));
    w32(IMSIC_M + 4, __builtin_bswap32(9));  /* seteipnum_be */
    show("be.eip0", mireg_read(0x80));
    mireg_write(0x80, 0);

    /* eip written directly, other words, identity 0 */
    mireg_write(0x82, 1ul << 3);            /* eip2: identity 67 */
    show("eip2", mireg_read(0x82));
    mireg_write(0xc2, ~0ul);
    show("eie2", mireg_read(0xc2));
    show("mtopei.67", csr_read(0x35c));
    csr_clear(0x351, ~0ul);                  /* eie2 (miselect 0xc2) */
    mireg_write(0x82, 0);
    mireg_write(0x80, 1);                   /* identity 0: none */
    show("eip0.id0", mireg_read(0x80));
    show("eip6", mireg_read(0x86));
    w32(IMSIC_M, 255);
    show("eip6.255", mireg_read(0x86));
    mireg_write(0x86, 0);
}

static void imsic_s_file(void)
{
    puts_("== IMSIC S file\n");
    sireg_write(0x70, 1);
    sireg_write(0xc0, 1ul << 12);
    w32(IMSIC_S, 12);
    w32(IMSIC_M, 12);                       /* the M file has it off */
    show("s.eip0", sireg_read(0x80));
    show("m.eip0", mireg_read(0x80));
    show("mip.seip", csr_read(mip) & MIP_SEIP);
    show("stopei", csr_read(0x15c));
    csr_write(mideleg, MIP_SEIP);
    csr_set(mie, MIP_SEIP);
    show("stopi", csr_read(0xdb0));
    show("mtopi.s", csr_read(0xfb0));
    show("s.claim", csr_swap(0x15c, 0));
    show("stopi.after", csr_read(0xdb0));
    csr_clear(mie, MIP_SEIP);
    mireg_write(0x80, 0);
}

static void aplic_msi(void)
{
    puts_("== APLIC MSI delivery\n");
    w32(APLIC_M + DOMAINCFG, 0x100);
    show("m.domaincfg", r32(APLIC_M + DOMAINCFG));
    w32(APLIC_M + MMSIADDRCFG, IMSIC_M >> 12);
    w32(APLIC_M + MMSIADDRCFGH, 0);
    w32(APLIC_M + SMSIADDRCFG, IMSIC_S >> 12);
    w32(APLIC_M + SMSIADDRCFGH, 0);
    show("mmsiaddrcfg", r32(APLIC_M + MMSIADDRCFG));
    w32(APLIC_M + SOURCECFG(UART_SOURCE), 6);          /* Level1 */
    w32(APLIC_M + TARGET(UART_SOURCE), 0 << 18 | 0x21);
    w32(APLIC_M + SETIENUM, UART_SOURCE);
    show("sourcecfg10", r32(APLIC_M + SOURCECFG(UART_SOURCE)));
    show("target10", r32(APLIC_M + TARGET(UART_SOURCE)));
    show("setie0", r32(APLIC_M + SETIE0));
    mireg_write(0xc0, 1ul << 0x21 | 1ul << 0x22 | 1ul << 0x23);
    mireg_write(0x80, 0);

    uart_irq(1);
    settle();
    uint64_t eip = mireg_read(0x80);
    uint64_t input = r32(APLIC_M + IN_CLRIP0);
    uart_irq(0);
    show("uart.eip0", eip);
    show("uart.in_clrip0", input);
    show("uart.claim", csr_swap(0x35c, 0));

    /* and taken as an interrupt */
    irq_value = 0;
    csr_set(mie, 1ul << 11);
    uart_irq(1);
    csr_set(mstatus, 8);
    settle();
    csr_clear(mstatus, 8);
    show("uart.taken", irq_value);

    /* a detached source set by software, and an extempore message */
    w32(APLIC_M + SOURCECFG(20), 1);
    w32(APLIC_M + TARGET(20), 0 << 18 | 0x22);
    w32(APLIC_M + SETIENUM, 20);
    w32(APLIC_M + SETIPNUM, 20);
    w32(APLIC_M + GENMSI, 0 << 18 | 0x23);
    settle();
    show("detached+genmsi.eip0", mireg_read(0x80));
    show("genmsi", r32(APLIC_M + GENMSI));
    show("claim1", csr_swap(0x35c, 0));
    show("claim2", csr_swap(0x35c, 0));
    show("claim3", csr_swap(0x35c, 0));

    /* delegated to the S domain: MSIs to the S file */
    w32(APLIC_M + SOURCECFG(UART_SOURCE), 0x400);
    show("m.sourcecfg10.delegated", r32(APLIC_M + SOURCECFG(UART_SOURCE)));
    show("s.sourcecfg11", r32(APLIC_S + SOURCECFG(11)));
    w32(APLIC_S + DOMAINCFG, 0x100);
    show("s.domaincfg", r32(APLIC_S + DOMAINCFG));
    show("s.mmsiaddrcfg", r32(APLIC_S + MMSIADDRCFG));
    w32(APLIC_S + SOURCECFG(UART_SOURCE), 6);
    w32(APLIC_S + TARGET(UART_SOURCE), 0 << 18 | 0x30);
    w32(APLIC_S + SETIENUM, UART_SOURCE);
    sireg_write(0x70, 1);
    sireg_write(0xc0, 1ul << 0x30);
    uart_irq(1);
    settle();
    eip = sireg_read(0x80);
    uart_irq(0);
    show("s.uart.eip0", eip);
    show("s.uart.stopei", csr_swap(0x15c, 0));
    show("s.uart.after", sireg_read(0x80));
}

/* mtopi's priorities: the iprio array through miselect 0x30.., and what
 * mtopi/stopi report with the timer and external interrupts pending. */
static void priorities(void)
{
    puts_("== priorities\n");
    csr_write(mideleg, 0);
    csr_write(mie, 0);
    mireg_write(0x30, ~0ul);
    show("iprio0", mireg_read(0x30));
    mireg_write(0x32, ~0ul);
    show("iprio2", mireg_read(0x32));
    sireg_write(0x30, ~0ul);
    show("s.iprio0", sireg_read(0x30));
    sireg_write(0x32, ~0ul);
    show("s.iprio2", sireg_read(0x32));
    mireg_write(0x30, 0);
    mireg_write(0x32, 0);
    sireg_write(0x30, 0);
    sireg_write(0x32, 0);
    uint64_t t = traps;
    csr_write(0x350, 0x31);
    (void)csr_read(0x351);
    expect_trap("iprio1", t);

    /* the timer: mtimecmp 0 makes MTI pending at once */
    *(volatile uint64_t *)(0x2004000ul) = 0;
    csr_set(mie, 1ul << 7);
    show("mtopi.mti", csr_read(0xfb0));
    mireg_write(0xc0, 1ul << 6);
    mireg_write(0x80, 0);
    w32(IMSIC_M, 6);
    csr_set(mie, 1ul << 11);
    show("mtopi.mei+mti", csr_read(0xfb0));
    mireg_write(0x30, 9ul << 56);           /* MTI: priority 9 */
    show("mtopi.mti9", csr_read(0xfb0));
    /* and the timer's trap is taken before the external one */
    irq_log = 0;
    irq_value = 0;
    csr_set(mstatus, 8);
    settle();
    csr_clear(mstatus, 8);
    show("taken.order", irq_log);
    show("taken.claim", irq_value);
    mireg_write(0x30, 0);
    csr_write(mie, 0);
    show("mtopi.masked", csr_read(0xfb0));
    *(volatile uint64_t *)(0x2004000ul) = ~0ul;
    /* supervisor timer, delegated: stopi */
    csr_write(mideleg, 1ul << 5 | 1ul << 1);
    csr_set(mip, 1ul << 5 | 1ul << 1);
    csr_set(mie, 1ul << 5 | 1ul << 1);
    /* (with both at priority zero the spec's default order puts SSI
     * first; QEMU 7.2 reports STI: not compared) */
    sireg_write(0x30, 3ul << 40);           /* STI: priority 3 */
    show("stopi.sti3", csr_read(0xdb0));
    sireg_write(0x30, 0);
    show("mtopi.deleg", csr_read(0xfb0));
    csr_clear(mip, 1ul << 5 | 1ul << 1);
    csr_write(mie, 0);
    csr_write(mideleg, 0);
}

static void enter_s_mode(void)
{
    csr_clear(mstatus, 0x1800);
    csr_set(mstatus, 0x800);                    /* MPP = S */
    __asm__ volatile("la t0, 1f; csrw mepc, t0; mret; 1:" ::: "t0", "memory");
}

static void back_to_m_mode(void)
{
    __asm__ volatile("ecall" ::: "memory");
}

static void supervisor(void)
{
    puts_("== S-mode\n");
    /* everything accessible from S (NAPOT over all of it) */
    csr_write(pmpaddr0, ~0ul);
    csr_write(pmpcfg0, 0x1f);
    csr_write(stvec, (uint64_t)s_trap_entry);
    csr_write(mideleg, MIP_SEIP);
    csr_write(mie, MIP_SEIP);
    sireg_write(0x70, 1);
    sireg_write(0x72, 0);
    sireg_write(0x80, 0);
    sireg_write(0xc2, 1ul << (0x50 - 64));
    uint64_t t = traps;
    enter_s_mode();
    uint64_t eie = sireg_read(0xc2);
    csr_set(sstatus, 2);                        /* SIE */
    w32(IMSIC_S, 0x50);
    settle();
    csr_clear(sstatus, 2);
    (void)csr_read(0x35c);                      /* mtopei: M only */
    (void)csr_read(0x350);
    back_to_m_mode();
    show("s.eie2", eie);
    show("s.cause", s_cause);
    show("s.claim", s_claim);
    show("s.traps.to.m", traps - t);
    csr_write(mie, 0);
    csr_write(mideleg, 0);
}

static void hostile(void)
{
    puts_("== hostile\n");
    uint64_t t = traps;
    csr_write(0x350, 0x81);                 /* eip1: odd, none on RV64 */
    (void)csr_read(0x351);
    expect_trap("eip1", t);
    t = traps;
    csr_write(0x350, 0x20);                 /* nothing selected */
    (void)csr_read(0x351);
    expect_trap("miselect 0x20", t);
    t = traps;
    csr_write(0xfb0, 0);                    /* mtopi is read-only */
    expect_trap("mtopi write", t);
    w32(IMSIC_M, 0);
    w32(IMSIC_M, 256);
    w32(IMSIC_M, 0xffffffff);
    w32(IMSIC_M + 8, 5);
    show("imsic.read", r32(IMSIC_M));
    show("eip0.wild", mireg_read(0x80));
    show("eip6.wild", mireg_read(0x86));
    /* a target hart that does not exist */
    w32(APLIC_M + TARGET(20), 100u << 18 | 0x24);
    w32(APLIC_M + SETIPNUM, 20);
    w32(APLIC_M + GENMSI, 200u << 18 | 0x25);
    /* hart index bits in the address: hart 5 has no IMSIC page */
    w32(APLIC_M + MMSIADDRCFGH, 4 << 12);
    w32(APLIC_M + TARGET(20), 5u << 18 | 0x26);
    w32(APLIC_M + SETIPNUM, 20);
    w32(APLIC_M + GENMSI, 9u << 18 | 0x27);
    w32(APLIC_M + TARGET(20), 0u << 18 | 0x28);
    w32(APLIC_M + SETIPNUM, 20);
    w32(APLIC_M + MMSIADDRCFGH, 0);
    w32(APLIC_M + SETIPNUM, 1000);
    w32(APLIC_M + SETIENUM, 0);
    w32(APLIC_M + SOURCECFG(97), 6);
    show("sourcecfg97", r32(APLIC_M + SOURCECFG(97)));
    show("eip0.wild2", mireg_read(0x80));
    w32(APLIC_M + 0x7ffc, 0xffffffff);
    show("aplic.7ffc", r32(APLIC_M + 0x7ffc));
    /* accesses of other sizes: the registers are 32 bits */
    t = traps;
    w8(IMSIC_M, 5);
    (void)r8(APLIC_M + 1);
    *(volatile uint64_t *)(IMSIC_M + 8) = 5;
    *(volatile uint16_t *)(APLIC_M + DOMAINCFG) = 0x100;
    show("subword.traps", traps - t);
    show("subword.cause", last_cause);
    show("subword.eip0", mireg_read(0x80));
}
#else
static void aplic_direct(void)
{
    puts_("== APLIC direct delivery\n");
    uint64_t t = traps;
    (void)csr_read(0x350);
    expect_trap("miselect without an IMSIC", t);
    w32(APLIC_M + DOMAINCFG, 0x104);
    show("m.domaincfg", r32(APLIC_M + DOMAINCFG));
    show("mmsiaddrcfg", r32(APLIC_M + MMSIADDRCFG));
    w32(APLIC_M + SOURCECFG(UART_SOURCE), 6);
    w32(APLIC_M + TARGET(UART_SOURCE), 0 << 18 | 5);
    w32(APLIC_M + SETIENUM, UART_SOURCE);
    w32(APLIC_M + IDC(0) + IDELIVERY, 1);
    w32(APLIC_M + IDC(0) + ITHRESHOLD, 0);
    show("target10", r32(APLIC_M + TARGET(UART_SOURCE)));
    show("idelivery", r32(APLIC_M + IDC(0) + IDELIVERY));
    show("topi.idle", r32(APLIC_M + IDC(0) + TOPI));

    uart_irq(1);
    settle();
    uint64_t topi = r32(APLIC_M + IDC(0) + TOPI);
    uint64_t meip = csr_read(mip) & MIP_MEIP;
    uint64_t pend = r32(APLIC_M + SETIP0);
    w32(APLIC_M + IDC(0) + ITHRESHOLD, 5);
    uint64_t topi_th5 = r32(APLIC_M + IDC(0) + TOPI);
    uint64_t meip_th5 = csr_read(mip) & MIP_MEIP;
    w32(APLIC_M + IDC(0) + ITHRESHOLD, 6);
    uint64_t topi_th6 = r32(APLIC_M + IDC(0) + TOPI);
    w32(APLIC_M + IDC(0) + ITHRESHOLD, 0);
    uint64_t claim = r32(APLIC_M + IDC(0) + CLAIMI);
    uart_irq(0);
    settle();
    /* QEMU 7.2 keeps a level source pending after its wire went low
     * (the spec has the bit follow the wire in direct mode): make both
     * start afresh by taking the source through inactive */
    w32(APLIC_M + SOURCECFG(UART_SOURCE), 0);
    w32(APLIC_M + SOURCECFG(UART_SOURCE), 6);
    w32(APLIC_M + TARGET(UART_SOURCE), 0 << 18 | 5);
    w32(APLIC_M + SETIENUM, UART_SOURCE);
    show("uart.topi", topi);
    show("uart.mip.meip", meip);
    show("uart.setip0", pend);
    show("uart.topi.th5", topi_th5);
    show("uart.mip.meip.th5", meip_th5);
    show("uart.topi.th6", topi_th6);
    show("uart.claimi", claim);
    show("uart.topi.reset", r32(APLIC_M + IDC(0) + TOPI));
    show("uart.mip.meip.reset", csr_read(mip) & MIP_MEIP);

    /* taken as an interrupt */
    irq_value = 0;
    csr_set(mie, 1ul << 11);
    uart_irq(1);
    csr_set(mstatus, 8);
    settle();
    csr_clear(mstatus, 8);
    show("uart.taken", irq_value);
    w32(APLIC_M + SOURCECFG(UART_SOURCE), 0);
    w32(APLIC_M + SOURCECFG(UART_SOURCE), 6);
    w32(APLIC_M + TARGET(UART_SOURCE), 0 << 18 | 5);
    w32(APLIC_M + SETIENUM, UART_SOURCE);

    /* priority 0 reads as 1; an edge source set by software */
    w32(APLIC_M + SOURCECFG(20), 4);
    w32(APLIC_M + TARGET(20), 0);
    show("target20", r32(APLIC_M + TARGET(20)));
    w32(APLIC_M + SETIENUM, 20);
    w32(APLIC_M + SETIPNUM, 20);
    show("edge.setip0", r32(APLIC_M + SETIP0));
    show("edge.topi", r32(APLIC_M + IDC(0) + TOPI));
    show("edge.claimi", r32(APLIC_M + IDC(0) + CLAIMI));
    show("edge.after", r32(APLIC_M + SETIP0));
    /* software cannot set a level source's pending bit here */
    w32(APLIC_M + SETIPNUM, UART_SOURCE);
    show("level.setip0", r32(APLIC_M + SETIP0));

    /* iforce: an interrupt with nothing behind it */
    w32(APLIC_M + IDC(0) + IFORCE, 1);
    show("iforce.mip.meip", csr_read(mip) & MIP_MEIP);
    show("iforce.claimi", r32(APLIC_M + IDC(0) + CLAIMI));
    show("iforce.after", r32(APLIC_M + IDC(0) + IFORCE));
    /* (QEMU 7.2 leaves MEIP up after that claim until the next update;
     * fixed in later QEMU: not compared) */

    /* delegated to the S domain: SEI */
    w32(APLIC_M + SOURCECFG(UART_SOURCE), 0x400);
    w32(APLIC_S + DOMAINCFG, 0x100);
    w32(APLIC_S + SOURCECFG(UART_SOURCE), 6);
    w32(APLIC_S + TARGET(UART_SOURCE), 0 << 18 | 3);
    w32(APLIC_S + SETIENUM, UART_SOURCE);
    w32(APLIC_S + IDC(0) + IDELIVERY, 1);
    show("s.domaincfg", r32(APLIC_S + DOMAINCFG));
    uart_irq(1);
    settle();
    uint64_t seip = csr_read(mip) & MIP_SEIP;
    uint64_t stopi = r32(APLIC_S + IDC(0) + TOPI);
    meip = csr_read(mip) & MIP_MEIP;
    uint64_t sclaim = r32(APLIC_S + IDC(0) + CLAIMI);
    uart_irq(0);
    settle();
    show("s.uart.mip.seip", seip);
    show("s.uart.topi", stopi);
    show("s.uart.mip.meip", meip);
    show("s.uart.claimi", sclaim);
    w32(APLIC_S + SOURCECFG(UART_SOURCE), 0);
    show("s.uart.mip.seip.inactive", csr_read(mip) & MIP_SEIP);

    puts_("== hostile\n");
    w32(APLIC_M + IDC(5) + IDELIVERY, 1);
    show("idc5", r32(APLIC_M + IDC(5) + IDELIVERY));
    w32(APLIC_S + SOURCECFG(UART_SOURCE), 6);
    w32(APLIC_S + TARGET(UART_SOURCE), 300u << 18 | 2);
    show("s.target10.wild", r32(APLIC_S + TARGET(UART_SOURCE)));
    uart_irq(1);
    settle();
    uart_irq(0);
    w32(APLIC_M + SETIPNUM, 1000);
    w32(APLIC_M + SOURCECFG(97), 6);
    show("sourcecfg97", r32(APLIC_M + SOURCECFG(97)));
}
#endif

/*
 * The second hart (the tests run with -smp 2): its M-level interrupt
 * file takes identities 64..79 (aia=aplic-imsic), or its IDC takes what
 * the APLIC targets at it (aia=aplic); it waits in wfi, and its trap
 * handler records each claim in hart1_got.
 */
void secondary(uint64_t hart)
{
    if (hart != 1) {
        for (;;) {
            __asm__ volatile("wfi");
        }
    }
#ifndef AIA_DIRECT
    mireg_write(0x70, 1);
    mireg_write(0x72, 0);
    mireg_write(0x80, 0);
    mireg_write(0xc0, 0);
    mireg_write(0xc2, 0xfffful);            /* identities 64..79 */
#endif
    csr_set(mie, 1ul << 11);
    hart1_ready = 1;
    csr_set(mstatus, 8);
    for (;;) {
        __asm__ volatile("wfi");
    }
}

/* Wait (boundedly) for hart 1 to claim something; its claim, or 0. */
static uint64_t hart1_claim(void)
{
    for (long i = 0; i < 20000000 && !hart1_got; i++) {
    }
    uint64_t v = hart1_got;
    hart1_got = 0;
    return v;
}

static void second_hart(void)
{
    puts_("== second hart\n");
    for (long i = 0; i < 20000000 && !hart1_ready; i++) {
    }
    show("hart1.ready", hart1_ready);
#ifndef AIA_DIRECT
    w32(IMSIC_M + 0x1000, 0x40);            /* hart 1's page */
    show("hart1.imsic", hart1_claim());
    /* the APLIC with a hart-index field one bit wide: hart 1 is a page up */
    w32(APLIC_M + MMSIADDRCFGH, 1 << 12);
    w32(APLIC_M + SOURCECFG(21), 1);
    w32(APLIC_M + TARGET(21), 1u << 18 | 0x41);
    w32(APLIC_M + SETIENUM, 21);
    w32(APLIC_M + SETIPNUM, 21);
    show("hart1.aplic", hart1_claim());
    w32(APLIC_M + GENMSI, 1u << 18 | 0x42);
    show("hart1.genmsi", hart1_claim());
    w32(APLIC_M + MMSIADDRCFGH, 0);
#else
    w32(APLIC_M + SOURCECFG(21), 4);        /* Edge1 */
    w32(APLIC_M + TARGET(21), 1u << 18 | 7);
    w32(APLIC_M + SETIENUM, 21);
    w32(APLIC_M + IDC(1) + IDELIVERY, 1);
    w32(APLIC_M + SETIPNUM, 21);
    show("hart1.idc", hart1_claim());
    w32(APLIC_M + IDC(1) + IDELIVERY, 0);
#endif
}

/*
 * What a careful driver does first: every source of both domains made
 * active (detached) for a moment, disabled and not pending, then
 * inactive again; no forced interrupt.  QEMU 7.2 does not clear the
 * APLIC's state at reset and ignores clrie/clrip for inactive sources,
 * so without this its output depends on leftover memory.
 */
static void quiesce_source(uint64_t base, uint32_t i)
{
    w32(base + SOURCECFG(i), 1);
    w32(base + CLRIENUM, i);
    w32(base + CLRIPNUM, i);
}

static void aplic_quiesce(void)
{
    for (uint32_t i = 1; i <= 96; i++) {
        quiesce_source(APLIC_M, i);
        w32(APLIC_M + SOURCECFG(i), 0x400);     /* to the S domain */
        quiesce_source(APLIC_S, i);
        w32(APLIC_S + SOURCECFG(i), 0);
        w32(APLIC_M + SOURCECFG(i), 0);
    }
#ifdef AIA_DIRECT
    w32(APLIC_M + IDC(0) + IFORCE, 0);
    w32(APLIC_S + IDC(0) + IFORCE, 0);
#endif
}

int main(void)
{
    aplic_quiesce();
#ifdef AIA_DIRECT
    puts_("aia=aplic\n");
    aplic_direct();
    second_hart();
#else
    puts_("aia=aplic-imsic\n");
    imsic_m_file();
    imsic_s_file();
    aplic_msi();
    second_hart();
    priorities();
    supervisor();
    hostile();
#endif
    show("traps", traps);
    puts_("done\n");
    w32(TEST_DEV, 0x5555);
    for (;;) {
    }
}
