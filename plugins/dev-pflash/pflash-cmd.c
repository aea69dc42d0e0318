/*
 * pflash-cmd.c - the Intel/Sharp command set as the guest drives it.
 *
 * A command is the low byte of a write anywhere in the bank; a few take
 * a second write (a confirm code, the data, a count).  Reads answer in
 * the mode the last command chose.  Program and erase finish at once:
 * the status register always reads ready (SR.7), and its error bits
 * (SR.5 erase, SR.4 program, both for a bad sequence, SR.3 no program
 * voltage, SR.1 block locked) stay set until Clear Status (0x50), as on
 * the datasheets (Intel StrataFlash J3/P30).
 *
 * Deliberate choices where datasheets leave room:
 *  - an unknown first command returns the chip to read-array and sets
 *    no status bit: Linux and U-Boot probe every chip with the AMD reset
 *    (0xf0) and then expect a clean status;
 *  - programming ANDs the data into the array (bits only go 1 -> 0), as
 *    the cells do; only an erase brings ones back;
 *  - lock bits (0x60 0x01 lock, 0x2f lock-down, 0xd0 unlock) apply per
 *    block, refuse program/erase with SR.1, and clear on reset;
 *  - readonly=on is a chip without programming voltage: program and
 *    erase fail with SR.3 plus SR.4 or SR.5, and nothing changes.
 */
#include "pflash.h"

#include <stdarg.h>

enum {
    CMD_READ_ARRAY    = 0xff,
    CMD_READ_ARRAY0   = 0x00,   /* older parts */
    CMD_READ_STATUS   = 0x70,
    CMD_CLEAR_STATUS  = 0x50,
    CMD_READ_ID       = 0x90,
    CMD_QUERY         = 0x98,
    CMD_PROGRAM       = 0x40,
    CMD_PROGRAM_ALT   = 0x10,
    CMD_ERASE         = 0x20,
    CMD_BUFFER        = 0xe8,
    CMD_CONFIRM       = 0xd0,   /* erase/buffer confirm, unlock, resume */
    CMD_SUSPEND       = 0xb0,
    CMD_LOCK_SETUP    = 0x60,
    CMD_LOCK          = 0x01,
    CMD_LOCK_DOWN     = 0x2f,
    CMD_READ_CONFIG   = 0x03,   /* 0x60 0x03: set read configuration */
    CMD_AMD_RESET     = 0xf0,   /* other vendors' reset, sent by probes */
};

static void G_GNUC_PRINTF(2, 3) guest_error(Pflash *s, const char *fmt, ...)
{
    if (!ts_log_enabled(TS_LOG_GUEST_ERROR)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ts_log(TS_LOG_GUEST_ERROR, PFLASH_TYPE "@%" PRIx64 ": %s\n", s->parent.addr,
           what);
}

/* ------------------------------------------------------------------ */
/* Reads                                                              */

/* One chip's answer at bank offset `offset` outside read-array mode. */
static uint16_t chip_word(const Pflash *s, uint64_t offset)
{
    switch (s->read_mode) {
    case READ_STATUS:
        return s->status;
    case READ_ID:
        return pflash_id_word(s, offset);
    case READ_QUERY: {
        uint64_t word = offset / s->bank_width;
        return word < PFLASH_QUERY_SIZE ? s->query[word] : 0;
    }
    case READ_ARRAY:
        break;
    }
    return 0;
}

static uint64_t pflash_read(void *opaque, uint64_t offset, unsigned size)
{
    Pflash *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t at = offset + i;
        uint8_t byte;
        if (s->read_mode == READ_ARRAY) {
            byte = s->blank ? 0xff : s->data[at];
        } else {
            /* Each chip drives its own lane of the bus. */
            unsigned lane = at % s->device_width;
            byte = lane < 2 ? chip_word(s, at) >> (8 * lane) : 0;
        }
        v |= (uint64_t)byte << (8 * i);
    }
    return v;
}

/* ------------------------------------------------------------------ */
/* Program and erase                                                  */

/* May the block at `offset` be changed?  Sets the error bits if not:
 * `err` is SR_PROGRAM_ERR or SR_ERASE_ERR. */
static bool may_change(Pflash *s, uint64_t offset, uint8_t err)
{
    if (s->readonly) {
        s->status |= SR_VPP_LOW | err;
        guest_error(s, "%s at offset 0x%" PRIx64 " of a read-only bank",
                    err == SR_ERASE_ERR ? "erase" : "program", offset);
        return false;
    }
    if (s->locked[offset / s->sector_len]) {
        s->status |= SR_BLOCK_LOCKED | err;
        return false;
    }
    return true;
}

static void written(Pflash *s, uint64_t start, uint64_t len, uint8_t err)
{
    if (!pflash_file_write(s, start, len)) {
        s->status |= err;       /* in memory, but not in the file */
    }
}

static void program(Pflash *s, uint64_t offset, uint64_t value,
                    unsigned size)
{
    if (!may_change(s, offset, SR_PROGRAM_ERR)) {
        return;
    }
    pflash_materialize(s);
    for (unsigned i = 0; i < size; i++) {
        s->data[offset + i] &= (uint8_t)(value >> (8 * i));
    }
    written(s, offset, size, SR_PROGRAM_ERR);
}

static void erase(Pflash *s, uint64_t offset)
{
    uint64_t start = pflash_block_start(s, offset);
    if (!may_change(s, start, SR_ERASE_ERR)) {
        return;
    }
    pflash_materialize(s);
    memset(s->data + start, 0xff, s->sector_len);
    written(s, start, s->sector_len, SR_ERASE_ERR);
}

static void lock(Pflash *s, uint64_t offset, uint8_t cmd)
{
    uint8_t *bit = &s->locked[offset / s->sector_len];
    switch (cmd) {
    case CMD_LOCK:
    case CMD_LOCK_DOWN:
        *bit = 1;
        break;
    case CMD_CONFIRM:
        *bit = 0;
        break;
    case CMD_READ_CONFIG:
        break;                  /* reads are always asynchronous here */
    default:
        s->status |= SR_SEQUENCE_ERR;
        guest_error(s, "lock setup (0x60) followed by 0x%02x at offset "
                    "0x%" PRIx64, cmd, offset);
        break;
    }
}

/* ------------------------------------------------------------------ */
/* Buffered program: 0xe8, count - 1, count data words, 0xd0          */

static void buffer_count(Pflash *s, uint64_t value)
{
    uint64_t lane_mask = s->device_width >= 8 ? UINT64_MAX
                         : (UINT64_C(1) << (8 * s->device_width)) - 1;
    uint64_t words = (value & lane_mask) + 1;
    if (words > s->buf_bytes / s->bank_width) {
        s->status |= SR_SEQUENCE_ERR;
        s->pending = PENDING_NONE;
        guest_error(s, "buffered program of %" PRIu64 " words, the buffer "
                    "holds %" PRIu64, words, s->buf_bytes / s->bank_width);
        return;
    }
    s->buf_words_left = (unsigned)words;
    s->buf_started = false;
    s->buf_bad = false;
    memset(s->buf_written, 0, s->buf_bytes);
    s->pending = PENDING_BUF_DATA;
}

static void buffer_data(Pflash *s, uint64_t offset, uint64_t value,
                        unsigned size)
{
    if (!s->buf_started) {
        s->buf_base = offset - offset % s->buf_bytes;
        s->buf_started = true;
    }
    if (pflash_block_start(s, offset) != s->buf_block ||
        offset < s->buf_base || offset + size > s->buf_base + s->buf_bytes) {
        if (!s->buf_bad) {
            guest_error(s, "buffered program word at offset 0x%" PRIx64
                        " is outside the buffer at 0x%" PRIx64, offset,
                        s->buf_base);
        }
        s->buf_bad = true;
    } else {
        for (unsigned i = 0; i < size; i++) {
            s->buf[offset - s->buf_base + i] = (uint8_t)(value >> (8 * i));
            s->buf_written[offset - s->buf_base + i] = 1;
        }
    }
    if (--s->buf_words_left == 0) {
        s->pending = PENDING_BUF_CONFIRM;
    }
}

static void buffer_program(Pflash *s)
{
    if (!may_change(s, s->buf_block, SR_PROGRAM_ERR)) {
        return;
    }
    pflash_materialize(s);
    uint64_t first = s->buf_bytes, last = 0;
    for (uint64_t i = 0; i < s->buf_bytes; i++) {
        if (s->buf_written[i]) {
            s->data[s->buf_base + i] &= s->buf[i];
            first = MIN(first, i);
            last = i;
        }
    }
    if (first <= last) {
        written(s, s->buf_base + first, last - first + 1, SR_PROGRAM_ERR);
    }
}

/* ------------------------------------------------------------------ */
/* Writes                                                             */

static void command(Pflash *s, uint64_t offset, uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_ARRAY:
    case CMD_READ_ARRAY0:
    case CMD_AMD_RESET:
        s->read_mode = READ_ARRAY;
        return;
    case CMD_READ_STATUS:
        s->read_mode = READ_STATUS;
        return;
    case CMD_CLEAR_STATUS:
        s->status &= ~SR_ERRORS;
        return;
    case CMD_READ_ID:
        s->read_mode = READ_ID;
        return;
    case CMD_QUERY:
        s->read_mode = READ_QUERY;
        return;
    case CMD_PROGRAM:
    case CMD_PROGRAM_ALT:
        s->pending = PENDING_PROGRAM;
        break;
    case CMD_ERASE:
        s->pending = PENDING_ERASE;
        break;
    case CMD_LOCK_SETUP:
        s->pending = PENDING_LOCK;
        break;
    case CMD_BUFFER:
        s->pending = PENDING_BUF_COUNT;
        s->buf_block = pflash_block_start(s, offset);
        break;
    case CMD_SUSPEND:
    case CMD_CONFIRM:
        /* Suspend/resume: nothing is ever in progress. */
        break;
    default:
        guest_error(s, "unknown command 0x%02x at offset 0x%" PRIx64
                    ", back to read-array", cmd, offset);
        s->read_mode = READ_ARRAY;
        return;
    }
    s->read_mode = READ_STATUS;     /* the write state machine answers */
}

static void pflash_write(void *opaque, uint64_t offset, uint64_t value,
                         unsigned size)
{
    Pflash *s = opaque;
    uint8_t cmd = value & 0xff;
    PflashPending pending = s->pending;

    if (pending != PENDING_BUF_DATA) {
        s->pending = PENDING_NONE;
    }
    switch (pending) {
    case PENDING_NONE:
        command(s, offset, cmd);
        break;
    case PENDING_PROGRAM:
        program(s, offset, value, size);
        break;
    case PENDING_ERASE:
        if (cmd == CMD_CONFIRM) {
            erase(s, offset);
        } else {
            s->status |= SR_SEQUENCE_ERR;
            guest_error(s, "block erase (0x20) confirmed with 0x%02x at "
                        "offset 0x%" PRIx64 " instead of 0xd0", cmd, offset);
        }
        break;
    case PENDING_LOCK:
        lock(s, offset, cmd);
        break;
    case PENDING_BUF_COUNT:
        buffer_count(s, value);
        break;
    case PENDING_BUF_DATA:
        buffer_data(s, offset, value, size);
        break;
    case PENDING_BUF_CONFIRM:
        if (cmd == CMD_CONFIRM && !s->buf_bad) {
            buffer_program(s);
        } else {
            /* Nothing is programmed after a bad sequence. */
            s->status |= SR_SEQUENCE_ERR;
            if (cmd != CMD_CONFIRM) {
                guest_error(s, "buffered program confirmed with 0x%02x "
                            "at offset 0x%" PRIx64 " instead of 0xd0", cmd,
                            offset);
            }
        }
        break;
    }
    pflash_update_mapping(s);
}

void pflash_cmd_reset(Pflash *s)
{
    s->read_mode = READ_ARRAY;
    s->pending = PENDING_NONE;
    s->status = SR_READY;
    memset(s->locked, 0, s->blocks);
    pflash_update_mapping(s);
}

/* Sizes: any access up to 8 bytes is accepted; the callbacks see at most
 * one bus word at a time (pflash.c sets impl_max to the bank width), so
 * a wide store is one bus cycle per word, as on the real bus. */
const TsMemoryOps pflash_io_ops = {
    .read = pflash_read,
    .write = pflash_write,
    .valid_min = 1,
    .valid_max = 8,
    .impl_min = 1,
    .unaligned_ok = false,
    .endian = TS_ENDIAN_LITTLE,
};

const TsMemoryOps pflash_array_ops = {
    .write = pflash_write,
    .valid_min = 1,
    .valid_max = 8,
    .impl_min = 1,
    .unaligned_ok = false,
    .endian = TS_ENDIAN_LITTLE,
};
