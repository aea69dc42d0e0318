/*
 * pflash-query.c - what a chip answers in query (0x98) and identifier
 * (0x90) mode: the Common Flash Interface table and the ID codes.
 *
 * The layout is the CFI specification's (JEDEC JESD68, Intel AP-646):
 * byte n of the table is at chip word address n.  Every value here is one
 * chip's: a bank of two x16 chips describes a 16 MiB chip with 128 KiB
 * blocks, and firmware multiplies by the number of chips it sees.
 */
#include "pflash.h"

#define MANUFACTURER_INTEL 0x0089
/* Intel's code for a 128 Mbit StrataFlash; what QEMU's virt reports
 * too, so firmware built for it identifies the part the same way. */
#define DEVICE_ID          0x0018

/* Primary extended table (Intel/Sharp), where the CFI header says. */
#define EXT_TABLE 0x31

static unsigned log2_u64(uint64_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

static void put16(uint8_t *q, unsigned at, unsigned value)
{
    q[at] = value & 0xff;
    q[at + 1] = (value >> 8) & 0xff;
}

void pflash_query_build(Pflash *s)
{
    uint8_t *q = s->query;
    uint64_t chip_size = s->size / s->devices;
    uint64_t chip_block = s->sector_len / s->devices;
    uint64_t chip_buffer = s->buf_bytes / s->devices;

    memset(q, 0, PFLASH_QUERY_SIZE);
    q[0x10] = 'Q';
    q[0x11] = 'R';
    q[0x12] = 'Y';
    put16(q, 0x13, 0x0001);         /* Intel/Sharp extended command set */
    put16(q, 0x15, EXT_TABLE);
    put16(q, 0x17, 0x0000);         /* no alternate command set */
    put16(q, 0x19, 0x0000);
    q[0x1b] = 0x27;                 /* Vcc 2.7 .. 3.6 V (BCD) */
    q[0x1c] = 0x36;
    q[0x1d] = 0x00;                 /* no Vpp pin */
    q[0x1e] = 0x00;
    /* Typical times as 2^n (us, us, ms) and their maxima as 2^n times
     * typical.  Operations here finish at once; these only size the
     * guest's timeouts.  No whole-chip erase. */
    q[0x1f] = 0x07;                 /* word program: 128 us */
    q[0x20] = 0x08;                 /* buffer program: 256 us */
    q[0x21] = 0x0a;                 /* block erase: 1 s */
    q[0x22] = 0x00;
    q[0x23] = 0x04;
    q[0x24] = 0x04;
    q[0x25] = 0x04;
    q[0x26] = 0x00;
    q[0x27] = log2_u64(chip_size);
    /* Interface: x8 only, x16 only or x32 only. */
    put16(q, 0x28, s->device_width == 1 ? 0x0000
                   : s->device_width == 2 ? 0x0001 : 0x0003);
    put16(q, 0x2a, log2_u64(chip_buffer));
    q[0x2c] = 1;                    /* one region of equal blocks */
    put16(q, 0x2d, (unsigned)(s->blocks - 1));
    put16(q, 0x2f, (unsigned)(chip_block / 256));

    q[EXT_TABLE + 0] = 'P';
    q[EXT_TABLE + 1] = 'R';
    q[EXT_TABLE + 2] = 'I';
    q[EXT_TABLE + 3] = '1';         /* version 1.0 */
    q[EXT_TABLE + 4] = '0';
    /* 0x36..0x39 optional features, 0x3a functions after suspend: none
     * claimed (suspend is accepted but there is never anything to
     * suspend). */
    put16(q, 0x3b, 0x0001);         /* identifier mode shows lock bits */
    q[0x3d] = 0x33;                 /* best Vcc 3.3 V */
    q[0x3e] = 0x00;
    q[0x3f] = 0x00;                 /* no protection (OTP) registers */
}

uint16_t pflash_id_word(const Pflash *s, uint64_t offset)
{
    uint64_t in_block = offset % s->sector_len;
    switch (in_block / s->bank_width) {
    case 0:
        return MANUFACTURER_INTEL;
    case 1:
        return DEVICE_ID;
    case 2:
        return s->locked[offset / s->sector_len] ? 1 : 0;
    default:
        return 0;
    }
}
