/*
 * msix.c - a bare-metal test of MSI-X delivery from a real PCI device
 * (virtio-rng-pci, modern only) through the IMSIC, on -M
 * virt,aia=aplic-imsic.  Run the same way on Tessera and on QEMU 7.2 so
 * that the outputs can be compared line by line (test-msix.py).
 *
 * In M-mode, as a driver would: find 1af4:1044 through ECAM, size and
 * place its BARs in the 32-bit window, walk its capabilities (MSI-X and
 * the virtio common/notify/ISR structures), point MSI-X entries 0
 * (configuration) and 1 (queue 0) at hart 0's M-level IMSIC page,
 * enable those identities in the interrupt file, bring the device up,
 * post one 16-byte buffer and take the interrupt.  Then what a hostile
 * or careless guest does: the queue's entry aimed at nowhere, at the
 * guest's own RAM, masked then unmasked, and bus mastering off.
 *
 * Every value printed is architectural state (never the random bytes
 * themselves); it ends through sifive_test.  aia-start.S has the start
 * and the trap entry.
 */
#include "bare.h"

#define IMSIC_M     0x24000000ul
#define ECAM        0x30000000ul
#define MMIO32      0x40000000ul        /* the 32-bit PCI memory window */
#define MTIME       0x0200bff8ul        /* the CLINT's timer, 10 MHz */

#define ID_CONFIG   0x03                /* identities the entries send */
#define ID_QUEUE    0x2a

/* config space */
#define CFG_ID      0x00
#define CFG_COMMAND 0x04
#define CFG_STATUS  0x06
#define CFG_BAR0    0x10
#define CFG_CAPS    0x34
#define CMD_MEMORY  0x2
#define CMD_MASTER  0x4
#define CAP_VNDR    0x09
#define CAP_MSIX    0x11

/* virtio common configuration (VIRTIO 1.2, 4.1.4.3) */
#define CC_DFSELECT 0x00
#define CC_DF       0x04
#define CC_GFSELECT 0x08
#define CC_GF       0x0c
#define CC_MSIX_CONFIG 0x10
#define CC_NUM_QUEUES 0x12
#define CC_STATUS   0x14
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE   0x18
#define CC_Q_MSIX   0x1a
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOFF   0x1e
#define CC_Q_DESC   0x20
#define CC_Q_AVAIL  0x28
#define CC_Q_USED   0x30

#define S_ACK       1
#define S_DRIVER    2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8

#define QSIZE       8

#define fence() __asm__ volatile("fence iorw, iorw" ::: "memory")
#define MIP_MEIP (1ul << 11)


static void mireg_write(uint64_t sel, uint64_t v)
{
    csr_write(0x350, sel);
    csr_write(0x351, v);
}

static uint64_t mireg_read(uint64_t sel)
{
    csr_write(0x350, sel);
    return csr_read(0x351);
}

/* ---- traps: external interrupts are claimed through mtopei ---- */

static volatile uint64_t irqs, claimed, other_traps;

uint64_t trap(uint64_t cause, uint64_t epc)
{
    if (cause == (1ul << 63 | 11)) {
        irqs++;
        claimed = csr_swap(0x35c, 0);
        return epc;
    }
    other_traps++;
    return epc + ((*(volatile uint16_t *)epc & 3) == 3 ? 4 : 2);
}

/* aia-start.S's S-mode entry wants one; this guest stays in M-mode. */
uint64_t s_trap(uint64_t cause, uint64_t epc)
{
    (void)cause;
    return epc;
}

void secondary(uint64_t hart)
{
    (void)hart;
    for (;;) {
        __asm__ volatile("wfi");
    }
}

/* ---- the device ---- */

static uint64_t cfg;                    /* its ECAM page */
static uint64_t bar[6];
static uint64_t common, notify, isr, msix_table, msix_pba;
static uint32_t notify_mult;

static uint32_t cfg32(unsigned off) { return r32(cfg + off); }

/* Size every BAR and give it a naturally aligned place in the 32-bit
 * window, as firmware would; a 64-bit BAR gets a zero high half. */
static void assign_bars(void)
{
    uint64_t next = MMIO32;
    for (unsigned i = 0; i < 6; i++) {
        unsigned off = CFG_BAR0 + 4 * i;
        uint32_t orig = cfg32(off);
        int is64 = (orig & 7) == 4;
        w32(cfg + off, 0xffffffff);
        uint32_t lo = cfg32(off);
        uint32_t hi = 0xffffffff;
        if (is64) {
            w32(cfg + off + 4, 0xffffffff);
            hi = cfg32(off + 4);
        }
        uint64_t mask = (uint64_t)hi << 32 | (lo & ~0xful);
        if (!(orig & 1) && (lo & ~0xful)) {
            uint64_t size = ~mask + 1;
            next = (next + size - 1) & ~(size - 1);
            bar[i] = next;
            next += size;
            puts_("bar");
            putc_((char)('0' + i));
            show(is64 ? ".size64" : ".size32", size);
        }
        w32(cfg + off, (uint32_t)bar[i]);
        if (is64) {
            w32(cfg + off + 4, 0);
            i++;
        }
    }
}

static void walk_caps(void)
{
    show("status.caplist", (r16(cfg + CFG_STATUS) >> 4) & 1);
    unsigned at = r8(cfg + CFG_CAPS) & ~3u;
    for (int n = 0; at && n < 48; n++) {
        uint8_t id = r8(cfg + at);
        if (id == CAP_MSIX) {
            uint16_t ctrl = r16(cfg + at + 2);
            uint32_t table = cfg32(at + 4), pba = cfg32(at + 8);
            show("msix.vectors", (ctrl & 0x7ff) + 1u);
            show("msix.table", table);
            show("msix.pba", pba);
            msix_table = bar[table & 7] + (table & ~7u);
            msix_pba = bar[pba & 7] + (pba & ~7u);
            /* enabled, function mask off */
            w16(cfg + at + 2, 0x8000);
            show("msix.ctrl", r16(cfg + at + 2) & 0xc000);
        } else if (id == CAP_VNDR) {
            uint8_t type = r8(cfg + at + 3);
            uint64_t where = bar[r8(cfg + at + 4) & 7] + cfg32(at + 8);
            if (type == 1) {
                common = where;
            } else if (type == 2) {
                notify = where;
                notify_mult = cfg32(at + 16);
            } else if (type == 3) {
                isr = where;
            }
        }
        at = r8(cfg + at + 1) & ~3u;
    }
    show("found.common", common != 0);
    show("found.notify", notify != 0);
    show("found.isr", isr != 0);
    show("notify.multiplier", notify_mult);
}

static void msix_entry(unsigned v, uint64_t addr, uint32_t data,
                       uint32_t ctrl)
{
    uint64_t e = msix_table + 16 * v;
    w32(e + 0, (uint32_t)addr);
    w32(e + 4, (uint32_t)(addr >> 32));
    w32(e + 8, data);
    w32(e + 12, ctrl);
}

/* ---- the queue, in the guest's RAM ---- */

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

static struct desc descs[QSIZE] __attribute__((aligned(16)));
static volatile uint16_t avail[3 + QSIZE] __attribute__((aligned(2)));
static volatile uint32_t used[1 + 2 * QSIZE + 1] __attribute__((aligned(4)));
static volatile uint8_t buf[16] __attribute__((aligned(16)));
/* where entry 1 points in the RAM case, between two sentinels */
static volatile uint32_t ram_target[3] __attribute__((aligned(16)));
static uint16_t posted;

static uint16_t used_idx(void) { return (uint16_t)(used[0] >> 16); }

/* The length of the last used element. */
static uint32_t used_len(void)
{
    return used[2 + 2 * ((used_idx() - 1u) % QSIZE)];
}

static void fill(uint8_t v)
{
    for (int i = 0; i < 16; i++) {
        buf[i] = v;
    }
}

static uint64_t buf_changed(uint8_t v)
{
    uint64_t n = 0;
    for (int i = 0; i < 16; i++) {
        n += buf[i] != v;
    }
    return n;
}

/* Post the buffer (device-writable) and notify queue 0. */
static void kick(void)
{
    descs[0].addr = (uint64_t)(uintptr_t)buf;
    descs[0].len = sizeof(buf);
    descs[0].flags = 2;                 /* VIRTQ_DESC_F_WRITE */
    descs[0].next = 0;
    avail[2 + posted % QSIZE] = 0;
    fence();
    posted++;
    avail[1] = posted;
    fence();
    w16(notify + r16(common + CC_Q_NOFF) * notify_mult, 0);
}

/* Wait (boundedly) until the device has used what was posted; then a
 * while longer so that an interrupt that is coming has come. */
static void wait_used(void)
{
    for (long i = 0; i < 50000000 && used_idx() != posted; i++) {
    }
    for (volatile int i = 0; i < 20000; i++) {
    }
}

static void wait_irq(void)
{
    for (long i = 0; i < 50000000 && !irqs; i++) {
    }
}

static void device_up(void)
{
    w8(common + CC_STATUS, 0);
    show("reset.status", r8(common + CC_STATUS));
    w8(common + CC_STATUS, S_ACK);
    w8(common + CC_STATUS, S_ACK | S_DRIVER);
    w32(common + CC_DFSELECT, 1);
    show("features.hi", r32(common + CC_DF) & 1);     /* VERSION_1 */
    w32(common + CC_GFSELECT, 0);
    w32(common + CC_GF, 0);
    w32(common + CC_GFSELECT, 1);
    w32(common + CC_GF, 1);
    w8(common + CC_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    show("features_ok", r8(common + CC_STATUS));
    show("num_queues", r16(common + CC_NUM_QUEUES));
    w16(common + CC_MSIX_CONFIG, 0);
    show("msix_config", r16(common + CC_MSIX_CONFIG));
    w16(common + CC_Q_SELECT, 0);
    show("queue0.max", r16(common + CC_Q_SIZE));
    w16(common + CC_Q_SIZE, QSIZE);
    w16(common + CC_Q_MSIX, 1);
    show("queue0.msix", r16(common + CC_Q_MSIX));
    w32(common + CC_Q_DESC, (uint32_t)(uintptr_t)descs);
    w32(common + CC_Q_DESC + 4, 0);
    w32(common + CC_Q_AVAIL, (uint32_t)(uintptr_t)avail);
    w32(common + CC_Q_AVAIL + 4, 0);
    w32(common + CC_Q_USED, (uint32_t)(uintptr_t)used);
    w32(common + CC_Q_USED + 4, 0);
    w16(common + CC_Q_ENABLE, 1);
    w8(common + CC_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    show("driver_ok", r8(common + CC_STATUS));
}

/* The interrupt of one request, taken as a trap. */
static void request(const char *what)
{
    puts_("== ");
    puts_(what);
    putc_('\n');
    irqs = 0;
    claimed = 0;
    fill(0x5a);
    csr_set(mie, MIP_MEIP);
    csr_set(mstatus, 8);
    kick();
    wait_used();
    wait_irq();
    csr_clear(mstatus, 8);
    show("irqs", irqs);
    show("identity", claimed >> 16);
    show("used.idx", used_idx());
    show("used.len", used_len());
    show("buf.changed", buf_changed(0x5a) != 0);
}

/* A request whose message must not reach the hart: nothing pending in
 * the interrupt file afterwards either. */
static void request_quiet(void)
{
    irqs = 0;
    fill(0x5a);
    kick();
    wait_used();
    show("irqs", irqs);
    show("mip.meip", csr_read(mip) & MIP_MEIP);
    show("eip0", mireg_read(0x80));
    show("used.idx", used_idx());
    show("buf.changed", buf_changed(0x5a) != 0);
}

/* A request and a fixed wait (nothing to wait for when the device cannot
 * reach memory); the same wait with bus mastering on shows it is long
 * enough for the request to be served and its interrupt taken. */
static void kick_fixed_wait(void)
{
    irqs = 0;
    claimed = 0;
    csr_set(mstatus, 8);
    fill(0xa5);
    uint16_t before = used_idx();
    kick();
    /* 100 ms by the CLINT's 10 MHz mtime: host time on both emulators,
     * so a loaded host does not make the control case miss */
    uint64_t until = *(volatile uint64_t *)MTIME + 1000000;
    while (*(volatile uint64_t *)MTIME < until) {
    }
    csr_clear(mstatus, 8);
    show("irqs", irqs);
    show("identity", claimed >> 16);
    show("mip.meip", csr_read(mip) & MIP_MEIP);
    show("used.idx.moved", used_idx() != before);
    show("buf.changed", buf_changed(0xa5) != 0);
}

static void hostile(void)
{
    puts_("== entry 1 at unmapped addresses\n");
    msix_entry(1, 0xfffff000ul, ID_QUEUE, 0);
    request_quiet();
    msix_entry(1, 0x10000000000ul, ID_QUEUE, 0);
    request_quiet();

    puts_("== entry 1 at RAM\n");
    ram_target[0] = ram_target[1] = ram_target[2] = 0xeeeeeeee;
    msix_entry(1, (uint64_t)(uintptr_t)&ram_target[1], 0x12345678, 0);
    request_quiet();
    show("ram.before", ram_target[0]);
    show("ram.target", ram_target[1]);
    show("ram.after", ram_target[2]);

    puts_("== entry 1 masked\n");
    msix_entry(1, IMSIC_M, ID_QUEUE, 1);
    request_quiet();
    show("pba", r32(msix_pba));
    irqs = 0;
    claimed = 0;
    csr_set(mstatus, 8);
    w32(msix_table + 16 + 12, 0);           /* unmask: the pending one goes */
    wait_irq();
    csr_clear(mstatus, 8);
    show("unmasked.irqs", irqs);
    show("unmasked.identity", claimed >> 16);
    show("unmasked.pba", r32(msix_pba));

    puts_("== function masked\n");
    uint16_t caps = r8(cfg + CFG_CAPS) & ~3u;
    while (caps && r8(cfg + caps) != CAP_MSIX) {
        caps = r8(cfg + caps + 1) & ~3u;
    }
    w16(cfg + caps + 2, 0xc000);
    request_quiet();
    show("pba", r32(msix_pba));
    irqs = 0;
    claimed = 0;
    csr_set(mstatus, 8);
    w16(cfg + caps + 2, 0x8000);
    wait_irq();
    csr_clear(mstatus, 8);
    show("unmasked.irqs", irqs);
    show("unmasked.identity", claimed >> 16);

    /* The message aimed at the device's own table, at entry 1's data:
     * QEMU's bus master address space is the system's, so the write
     * lands in the table (peer-to-peer); whatever the emulator does
     * there, it must not loop nor interrupt. */
    puts_("== entry 1 at its own table\n");
    msix_entry(1, msix_table + 16 + 8, 0x77, 0);
    request_quiet();
    show("entry1.data", r32(msix_table + 16 + 8));
    msix_entry(1, IMSIC_M, ID_QUEUE, 0);

    /* Last: QEMU stops a virtio device whose bus mastering goes off
     * (DRIVER_OK is dropped), Tessera refuses its DMA and messages; both
     * leave the buffer and the used ring alone and say nothing. */
    puts_("== fixed wait, bus mastering on\n");
    kick_fixed_wait();
    puts_("== bus mastering off\n");
    w16(cfg + CFG_COMMAND, CMD_MEMORY);
    show("command", r16(cfg + CFG_COMMAND) & 7);
    kick_fixed_wait();
}

int main(void)
{
    puts_("msix\n");
    /* hart 0's M-level interrupt file: both identities enabled */
    mireg_write(0x70, 1);                   /* eidelivery */
    mireg_write(0x72, 0);                   /* eithreshold */
    mireg_write(0x80, 0);
    mireg_write(0xc0, 1ul << ID_CONFIG | 1ul << ID_QUEUE);
    show("eie0", mireg_read(0xc0));

    for (unsigned dev = 0; dev < 32 && !cfg; dev++) {
        uint64_t c = ECAM + ((uint64_t)dev << 15);
        if (r32(c + CFG_ID) == (0x1044u << 16 | 0x1af4)) {
            cfg = c;
            show("found.slot", dev);
        }
    }
    if (!cfg) {
        puts_("no virtio-rng-pci\n");
        w32(TEST_DEV, 0x13333);
        for (;;) {
        }
    }
    assign_bars();
    w16(cfg + CFG_COMMAND, CMD_MEMORY | CMD_MASTER);
    show("command", r16(cfg + CFG_COMMAND) & 7);
    walk_caps();
    msix_entry(0, IMSIC_M, ID_CONFIG, 0);
    msix_entry(1, IMSIC_M, ID_QUEUE, 0);
    show("entry1.data", r32(msix_table + 16 + 8));
    device_up();
    request("request");
    hostile();
    show("other.traps", other_traps);
    puts_("done\n");
    w32(TEST_DEV, 0x5555);
    for (;;) {
    }
}
