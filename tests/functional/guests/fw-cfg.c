/*
 * fw-cfg.c - a bare-metal reader of the virt board's fw_cfg device
 * (QEMU's "qemu,fw-cfg-mmio" at 0x10100000), for test-fw-cfg.py: what a
 * firmware sees through both interfaces, printed so that Tessera's and
 * QEMU's outputs can be compared line by line.
 *
 *   traditional: a 16-bit big-endian selector at +8, a byte stream at +0
 *   DMA: the big-endian address of a descriptor {be32 control, be32
 *        length, be64 address} written to +16 (high half) and +20 (low
 *        half, which starts the transfer); control reads back 0 or ERROR.
 *
 * Then what a hostile driver does: descriptors pointing outside RAM,
 * lengths past the item, writes to read-only items; each must end with
 * the error bit or a short transfer, never a stuck device.
 */
#include "bare.h"

#define FW_CFG          0x10100000ul
#define FW_DATA         (FW_CFG + 0)
#define FW_SEL          (FW_CFG + 8)
#define FW_DMA          (FW_CFG + 16)

#define KEY_SIGNATURE   0x0000
#define KEY_ID          0x0001
#define KEY_FILE_DIR    0x0019

#define DMA_ERROR       0x01
#define DMA_READ        0x02
#define DMA_SKIP        0x04
#define DMA_SELECT      0x08
#define DMA_WRITE       0x10

struct dma_desc {
    uint32_t control, length;
    uint64_t address;
} __attribute__((aligned(16)));

static struct dma_desc desc;
static uint8_t buf[4096];

/* Byte swaps by hand: no libgcc in a -nostdlib guest. */
static uint16_t be16(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }
static uint32_t be32(uint32_t v)
{
    return v << 24 | (v & 0xff00) << 8 | (v >> 8 & 0xff00) | v >> 24;
}
static uint64_t be64(uint64_t v)
{
    return (uint64_t)be32((uint32_t)v) << 32 | be32((uint32_t)(v >> 32));
}

static void select_key(uint16_t key)
{
    w16(FW_SEL, be16(key));
}

static void read_bytes(void *dst, unsigned n)
{
    uint8_t *d = dst;
    for (unsigned i = 0; i < n; i++) {
        d[i] = r8(FW_DATA);
    }
}

/* Run one DMA descriptor; returns control as read back. */
static uint32_t dma(uint32_t control, uint32_t length, uint64_t address)
{
    desc.control = be32(control);
    desc.length = be32(length);
    desc.address = be64(address);
    __asm__ volatile("fence rw, rw" ::: "memory");
    uint64_t a = (uint64_t)&desc;
    w32(FW_DMA, be32((uint32_t)(a >> 32)));
    w32(FW_DMA + 4, be32((uint32_t)a));
    __asm__ volatile("fence rw, rw" ::: "memory");
    return be32(*(volatile uint32_t *)&desc.control);
}

static uint64_t fnv(const uint8_t *p, unsigned n, uint64_t h)
{
    for (unsigned i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

static void put_name(const char *name)
{
    for (unsigned i = 0; i < 56 && name[i]; i++) {
        putc_(name[i]);
    }
}

int main(void)
{
    char sig[5] = { 0 };
    select_key(KEY_SIGNATURE);
    read_bytes(sig, 4);
    puts_("signature=");
    puts_(sig);
    putc_('\n');

    uint8_t id[4];
    select_key(KEY_ID);
    read_bytes(id, 4);
    show("id", id[0] | id[1] << 8 | id[2] << 16 | (uint32_t)id[3] << 24);

    /* -uuid, -nographic and -boot menu=, by key. */
    uint8_t u[16];
    select_key(0x0002);
    read_bytes(u, 16);
    show("uuid-fnv", fnv(u, 16, 0xcbf29ce484222325ull));
    uint8_t w[2];
    select_key(0x0004);
    read_bytes(w, 2);
    show("nographic", w[0] | w[1] << 8);
    select_key(0x000e);
    read_bytes(w, 2);
    show("boot-menu", w[0] | w[1] << 8);

    /* A wide read of the data register is the next bytes in order. */
    select_key(KEY_SIGNATURE);
    show("wide-read", r32(FW_DATA));

    /* The file directory through the traditional interface. */
    uint32_t count;
    select_key(KEY_FILE_DIR);
    read_bytes(&count, 4);
    count = be32(count);
    show("files", count);
    struct { uint32_t size; uint16_t select, reserved; char name[56]; }
        files[32];
    for (uint32_t i = 0; i < count && i < 32; i++) {
        read_bytes(&files[i], sizeof(files[i]));
    }
    for (uint32_t i = 0; i < count && i < 32; i++) {
        uint32_t size = be32(files[i].size);
        uint16_t sel = be16(files[i].select);
        /* Contents through DMA, in pieces (SELECT on the first). */
        uint64_t h = 0xcbf29ce484222325ull;
        uint32_t done = 0, ctl = 0;
        while (done < size) {
            uint32_t n = size - done < sizeof(buf) ? size - done
                                                   : sizeof(buf);
            ctl = dma((done ? 0 : DMA_SELECT | (uint32_t)sel << 16) |
                      DMA_READ, n, (uint64_t)buf);
            if (ctl) {
                break;
            }
            h = fnv(buf, n, h);
            done += n;
        }
        puts_("file ");
        put_name(files[i].name);
        puts_(" size=");
        hex(size);
        puts_(" fnv=");
        hex(h);
        puts_(" ctl=");
        hex(ctl);
        putc_('\n');
    }

    /* DMA of the signature, then a read past the end of the item: the
     * rest of the buffer is zeroes (QEMU's rule), no error. */
    for (unsigned i = 0; i < 16; i++) {
        buf[i] = 0xee;
    }
    show("dma-sig-ctl", dma(DMA_SELECT | KEY_SIGNATURE << 16 | DMA_READ, 8,
                            (uint64_t)buf));
    show("dma-sig", buf[0] | buf[1] << 8 | buf[2] << 16 |
                    (uint64_t)buf[3] << 24 | (uint64_t)buf[4] << 32 |
                    (uint64_t)buf[7] << 56);
    /* SKIP then READ: the offset moves. */
    show("skip-ctl", dma(DMA_SELECT | KEY_SIGNATURE << 16 | DMA_SKIP, 2, 0));
    buf[0] = buf[1] = 0;
    show("after-skip-ctl", dma(DMA_READ, 2, (uint64_t)buf));
    show("after-skip", buf[0] | buf[1] << 8);

    /* Hostile: data to an address with no RAM, a write to a read-only
     * item. */
    show("dma-no-ram", dma(DMA_SELECT | KEY_SIGNATURE << 16 | DMA_READ, 4,
                           0x100000000000ul) & DMA_ERROR);
    show("dma-write-ro", dma(DMA_SELECT | KEY_SIGNATURE << 16 | DMA_WRITE,
                             4, (uint64_t)buf) & DMA_ERROR);
    /* Past the end of the item (zeroes) and past the end of RAM (128
     * MiB from 0x80000000): the transfer stops with the error bit. */
    show("dma-past-ram", dma(DMA_SELECT | KEY_FILE_DIR << 16 | DMA_READ,
                             0x10000, 0x88000000ul - 0x100) & DMA_ERROR);
    /* A descriptor that is not in RAM: nothing to write back; the device
     * must simply go on working. */
    w32(FW_DMA, be32(0x1000u));          /* 0x100000000000: no RAM */
    w32(FW_DMA + 4, 0);
    select_key(KEY_SIGNATURE);
    read_bytes(sig, 4);
    puts_("still=");
    puts_(sig);
    putc_('\n');
    puts_("done\n");
    w32(TEST_DEV, 0x5555);
    for (;;) {
    }
}

void secondary(void)
{
    for (;;) {
        __asm__ volatile("wfi");
    }
}

uint64_t s_trap(uint64_t cause, uint64_t epc)
{
    return epc;
}

uint64_t trap(uint64_t cause, uint64_t epc)
{
    show("unexpected-trap", cause);
    w32(TEST_DEV, 0x3333 | 1 << 16);
    return epc;
}
