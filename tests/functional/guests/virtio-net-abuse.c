/*
 * virtio-net-abuse.c - a hostile driver for two virtio-net-device NICs
 * joined by a hub (-netdev hubport ... hubid=0, twice), in M-mode from
 * -bios none -kernel: what NIC 0 transmits, NIC 1 receives.
 *
 * Each case breaks a rule on the transmit, receive or control queue and
 * checks the device's answer: DEVICE_NEEDS_RESET for a broken chain
 * (short header, loop, readable receive buffer, buffer over the device's
 * own registers, control command without ack), a dropped frame for a
 * frame too large or buffers too small, ERR for a nonsense command; a
 * notify storm and a transmit flood into a NIC without buffers.  Between
 * cases the driver resets the device, and at the end one frame must go
 * from NIC 0 to NIC 1 intact.
 *
 * Prints one line per case, "virtio-net-abuse: done, failures=N", and
 * ends through sifive_test: 0 when every case saw what it expected.
 */
#include "bare.h"

#define SLOTS       8
#define SLOT(i)     (0x10001000ul + 0x1000ul * (i))

enum {
    MAGIC = 0x000, DEVICE_ID = 0x008, DRV_FEAT = 0x020, DRV_FEAT_SEL = 0x024,
    QSEL = 0x030, QNUM_MAX = 0x034, QNUM = 0x038, QREADY = 0x044,
    QNOTIFY = 0x050, INT_ACK = 0x064, INT_STATUS = 0x060, STATUS = 0x070,
    QDESC = 0x080, QDRIVER = 0x090, QDEVICE = 0x0a0,
};
#define S_NEEDS_RESET 0x40
#define F_MRG_RXBUF   (1u << 15)
#define F_CTRL_VQ     (1u << 17)
#define D_NEXT  1
#define D_WRITE 2

#define QN      16
#define RINGS   0x80200000ul        /* per NIC 0x40000, per queue 0x10000 */
#define BUF     0x80400000ul        /* buffers: per NIC 0x100000 */
#define BIG     0x80800000ul        /* a 128 KiB frame's worth */

static uint64_t nic[2];
static uint16_t avail_idx[2][3];
static unsigned failures;

static uint64_t ring(int d, int q)
{
    return RINGS + 0x40000ul * d + 0x10000ul * q;
}

static void fill(uint64_t a, uint8_t v, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++) {
        w8(a + i, v);
    }
}

static void dev_up(int d, uint32_t features)
{
    uint64_t b = nic[d];
    w32(b + STATUS, 0);
    w32(b + STATUS, 1);
    w32(b + STATUS, 3);
    w32(b + DRV_FEAT_SEL, 0);
    w32(b + DRV_FEAT, features);
    w32(b + DRV_FEAT_SEL, 1);
    w32(b + DRV_FEAT, 1);                   /* VERSION_1 */
    w32(b + STATUS, 3 | 8);
    for (int q = 0; q < 3; q++) {
        uint64_t r = ring(d, q);
        fill(r, 0, 0x3000);
        avail_idx[d][q] = 0;
        w32(b + QSEL, (uint32_t)q);
        w32(b + QNUM, QN);
        w32(b + QDESC, (uint32_t)r);
        w32(b + QDESC + 4, 0);
        w32(b + QDRIVER, (uint32_t)(r + 0x1000));
        w32(b + QDRIVER + 4, 0);
        w32(b + QDEVICE, (uint32_t)(r + 0x2000));
        w32(b + QDEVICE + 4, 0);
        w32(b + QREADY, 1);
    }
    w32(b + STATUS, 3 | 8 | 4);
}

static void desc(int d, int q, unsigned i, uint64_t addr, uint32_t len,
                 uint16_t flags, uint16_t next)
{
    uint64_t a = ring(d, q) + 16ul * i;
    *(volatile uint64_t *)a = addr;
    w32(a + 8, len);
    w16(a + 12, flags);
    w16(a + 14, next);
}

static void avail(int d, int q, uint16_t head)
{
    uint64_t a = ring(d, q) + 0x1000;
    w16(a + 4 + 2 * (avail_idx[d][q] % QN), head);
    __asm__ volatile("fence w, w" ::: "memory");
    w16(a + 2, ++avail_idx[d][q]);
    __asm__ volatile("fence w, w" ::: "memory");
}

static void notify(int d, int q)
{
    w32(nic[d] + QNOTIFY, (uint32_t)q);
}

static uint16_t used_idx(int d, int q)
{
    return r16(ring(d, q) + 0x2000 + 2);
}

static uint32_t used_len(int d, int q, unsigned slot)
{
    return r32(ring(d, q) + 0x2000 + 4 + 8 * (slot % QN) + 4);
}

static int needs_reset(int d)
{
    return (r32(nic[d] + STATUS) & S_NEEDS_RESET) != 0;
}

/* The device may finish from a bottom half: give it a moment. */
static void settle(void)
{
    for (volatile int i = 0; i < 20000; i++) {
    }
}

static void check(const char *name, int good)
{
    puts_(name);
    puts_(good ? ": ok\n" : ": FAILED\n");
    if (!good) {
        failures++;
    }
}

/* A transmit chain in slot i: header (12 zero bytes) then `len` bytes
 * of frame to NIC 1's address at `frame`. */
static void tx(unsigned i, uint64_t frame, uint32_t len)
{
    uint64_t h = BUF + 0x80000 + 0x100ul * i;
    fill(h, 0, 12);
    desc(0, 1, 2 * i, h, 12, D_NEXT, (uint16_t)(2 * i + 1));
    desc(0, 1, 2 * i + 1, frame, len, 0, 0);
    avail(0, 1, (uint16_t)(2 * i));
}

static uint64_t make_frame(unsigned n, uint8_t fill_byte)
{
    uint64_t f = BUF + 0x90000;
    fill(f, fill_byte, n);
    for (int i = 0; i < 6; i++) {
        w8(f + i, 0xff);                    /* broadcast */
        w8(f + 6 + i, (uint8_t)(0x10 + i));
    }
    w8(f + 12, 0x08);
    w8(f + 13, 0x00);
    return f;
}

/* NIC 1 gets `n` receive buffers of `len` bytes. */
static void rx_buffers(unsigned n, uint32_t len)
{
    for (unsigned i = 0; i < n; i++) {
        desc(1, 0, i, BUF + 0x100000 + 0x1000ul * i, len, D_WRITE, 0);
        avail(1, 0, (uint16_t)i);
    }
    notify(1, 0);
}

static void case_tx_short(void)
{
    dev_up(0, 0);
    desc(0, 1, 0, BUF, 4, 0, 0);
    avail(0, 1, 0);
    notify(0, 1);
    settle();
    check("tx chain shorter than the header: needs reset", needs_reset(0));
}

static void case_tx_loop(void)
{
    dev_up(0, 0);
    desc(0, 1, 0, BUF, 12, D_NEXT, 1);
    desc(0, 1, 1, BUF, 64, D_NEXT, 0);
    avail(0, 1, 0);
    notify(0, 1);
    settle();
    check("tx descriptor loop: needs reset", needs_reset(0));
}

static void case_tx_huge(void)
{
    dev_up(0, 0);
    dev_up(1, F_MRG_RXBUF);
    rx_buffers(8, 2048);
    desc(0, 1, 0, BUF, 12, D_NEXT, 1);
    desc(0, 1, 1, BIG, 0x20000, 0, 0);
    avail(0, 1, 0);
    tx(1, make_frame(100, 0x5a), 100);
    notify(0, 1);
    settle();
    check("tx frame of 128 KiB: dropped, the next one goes out",
          !needs_reset(0) && used_idx(0, 1) == 2 && used_idx(1, 0) == 1 &&
          used_len(1, 0, 0) == 112);
}

static void case_rx_readonly(void)
{
    dev_up(0, 0);
    dev_up(1, 0);
    desc(1, 0, 0, BUF + 0x100000, 2048, 0, 0);
    avail(1, 0, 0);
    notify(1, 0);
    tx(0, make_frame(64, 1), 64);
    notify(0, 1);
    settle();
    check("rx buffer the device can only read: needs reset, the sender "
          "goes on", needs_reset(1) && !needs_reset(0) &&
          used_idx(0, 1) == 1);
}

static void case_rx_own_registers(void)
{
    dev_up(0, 0);
    dev_up(1, 0);
    desc(1, 0, 0, nic[1], 256, D_WRITE, 0);
    avail(1, 0, 0);
    notify(1, 0);
    tx(0, make_frame(64, 2), 64);
    notify(0, 1);
    settle();
    check("rx buffer over the NIC's own registers: needs reset, "
          "registers intact", needs_reset(1) &&
          r32(nic[1] + MAGIC) == 0x74726976);
}

static void case_rx_tiny(void)
{
    dev_up(0, 0);
    dev_up(1, F_MRG_RXBUF);
    for (unsigned i = 0; i < QN; i++) {
        desc(1, 0, i, BUF + 0x100000 + i, 1, D_WRITE, 0);
        avail(1, 0, (uint16_t)i);
    }
    notify(1, 0);
    tx(0, make_frame(100, 3), 100);
    notify(0, 1);
    settle();
    check("rx buffers of one byte: the frame is dropped, nobody stalls",
          !needs_reset(1) && used_idx(1, 0) == 0 && used_idx(0, 1) == 1);
}

static void case_ctrl(void)
{
    dev_up(0, F_CTRL_VQ);
    /* a command with no ack byte */
    uint64_t c = BUF + 0xa0000;
    w8(c, 0);
    w8(c + 1, 0);
    w8(c + 2, 1);
    desc(0, 2, 0, c, 3, 0, 0);
    avail(0, 2, 0);
    notify(0, 2);
    settle();
    check("control command without its ack: needs reset", needs_reset(0));

    /* a MAC table whose count cannot be */
    dev_up(0, F_CTRL_VQ);
    w8(c, 1);
    w8(c + 1, 0);
    w32(c + 2, 0xffffffffu);
    w32(c + 6, 0);
    w8(c + 0x100, 0x77);
    desc(0, 2, 0, c, 10, D_NEXT, 1);
    desc(0, 2, 1, c + 0x100, 1, D_WRITE, 0);
    avail(0, 2, 0);
    notify(0, 2);
    settle();
    check("MAC table of 2^32-1 entries: answered ERR",
          !needs_reset(0) && used_idx(0, 2) == 1 && r8(c + 0x100) == 1);
}

static void case_storm(void)
{
    dev_up(0, F_CTRL_VQ);
    dev_up(1, F_CTRL_VQ);
    for (unsigned i = 0; i < 200000; i++) {
        w32(nic[i & 1] + QNOTIFY, i % 8);
    }
    check("200000 notifications, to queues that exist and do not",
          !needs_reset(0) && !needs_reset(1));
}

/* NIC 1 not started: its frames wait in the core (bounded), NIC 0 is
 * paused or its frames dropped; nothing grows without bound. */
static void case_flood(void)
{
    w32(nic[1] + STATUS, 0);
    dev_up(0, 0);
    uint64_t f = make_frame(1500, 4);
    unsigned sent = 0;
    for (unsigned round = 0; round < 2000; round++) {
        uint16_t done = used_idx(0, 1);
        while ((uint16_t)(avail_idx[0][1] - done) < QN / 2) {
            tx(sent % (QN / 2), f, 1500);
            sent++;
        }
        notify(0, 1);
    }
    check("transmit flood into a NIC without buffers: still running",
          !needs_reset(0));
}

static void case_final(void)
{
    dev_up(0, 0);
    dev_up(1, F_MRG_RXBUF);
    rx_buffers(4, 2048);
    uint64_t f = make_frame(300, 0);
    for (unsigned i = 14; i < 300; i++) {
        w8(f + i, (uint8_t)(i * 3));
    }
    tx(0, f, 300);
    notify(0, 1);
    settle();
    /* A flood frame the core kept before the resets may come first (it
     * was on its way): look for ours among what arrived. */
    int same = 0;
    for (unsigned slot = 0; !same && slot < used_idx(1, 0); slot++) {
        uint32_t id = r32(ring(1, 0) + 0x2000 + 4 + 8 * slot);
        uint64_t got = BUF + 0x100000 + 0x1000ul * (id % QN);
        same = used_len(1, 0, slot) == 312 && r16(got + 10) == 1;
        for (unsigned i = 0; same && i < 300; i++) {
            same = r8(got + 12 + i) == r8(f + i);
        }
    }
    check("after all that, a frame goes from NIC 0 to NIC 1 intact", same);
}

uint64_t trap(uint64_t cause, uint64_t epc)
{
    show("unexpected trap, mcause", cause);
    show("mepc", epc);
    w32(TEST_DEV, 0x23333);
    for (;;) {
    }
}

uint64_t s_trap(uint64_t cause, uint64_t epc)
{
    return trap(cause, epc);
}

void secondary(uint64_t hartid)
{
    for (;;) {
        __asm__ volatile("wfi");
    }
}

int main(void)
{
    int n = 0;
    for (int i = 0; i < SLOTS && n < 2; i++) {
        if (r32(SLOT(i) + MAGIC) == 0x74726976 &&
            r32(SLOT(i) + DEVICE_ID) == 1) {
            nic[n++] = SLOT(i);
        }
    }
    if (n < 2) {
        puts_("virtio-net-abuse: two virtio-net-device NICs needed\n");
        w32(TEST_DEV, 0x13333);
    }
    case_tx_short();
    case_tx_loop();
    case_tx_huge();
    case_rx_readonly();
    case_rx_own_registers();
    case_rx_tiny();
    case_ctrl();
    case_storm();
    case_flood();
    case_final();
    puts_("virtio-net-abuse: done, failures=");
    hex(failures);
    putc_('\n');
    w32(TEST_DEV, failures ? 0x13333 : 0x5555);
    for (;;) {
    }
}
