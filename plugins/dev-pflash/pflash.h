/*
 * plugins/dev-pflash/pflash.h - a bank of CFI parallel flash with the
 * Intel/Sharp command set (CFI command set 0x0001), what the files of
 * this plugin share:
 *
 *   pflash.c        the device type: properties, memory regions, reset,
 *                   device-tree node
 *   pflash-cmd.c    the command state machine behind the guest's reads
 *                   and writes
 *   pflash-query.c  the CFI query table and identifier codes
 *   pflash-drive.c  the image on a block backend: load, write back, flush
 *
 * A bank is `devices` identical chips side by side on a bus of
 * bank-width bytes, each device-width bytes wide: every chip gets the
 * same command in its own lane and answers status, identifier and query
 * reads in its lane, which is how firmware tells the chip width from the
 * bus width.
 */
#ifndef PLUGINS_DEV_PFLASH_H
#define PLUGINS_DEV_PFLASH_H

#include <tessera/tessera.h>

#define PFLASH_TYPE "cfi.pflash01"

/* The status register (Intel StrataFlash; SR.n is bit n). */
enum {
    SR_READY       = 0x80,  /* SR.7: the write state machine is idle */
    SR_ERASE_ERR   = 0x20,  /* SR.5: erase or lock-bit clear failed */
    SR_PROGRAM_ERR = 0x10,  /* SR.4: program or lock-bit set failed */
    SR_VPP_LOW     = 0x08,  /* SR.3: no programming voltage (readonly=on) */
    SR_BLOCK_LOCKED = 0x02, /* SR.1: the block is locked */
};
/* SR.4 and SR.5 together: a command sequence the chip does not accept. */
#define SR_SEQUENCE_ERR (SR_ERASE_ERR | SR_PROGRAM_ERR)
#define SR_ERRORS (SR_ERASE_ERR | SR_PROGRAM_ERR | SR_VPP_LOW | \
                   SR_BLOCK_LOCKED)

/* What reads return. */
typedef enum PflashReadMode {
    READ_ARRAY,                 /* the contents (ROM-fast, see pflash.c) */
    READ_STATUS,                /* the status register */
    READ_ID,                    /* manufacturer, device, block lock */
    READ_QUERY,                 /* the CFI query table */
} PflashReadMode;

/* Which write the chip waits for after a command's first cycle. */
typedef enum PflashPending {
    PENDING_NONE,               /* the next write is a command */
    PENDING_PROGRAM,            /* 0x40/0x10: the data word */
    PENDING_ERASE,              /* 0x20: 0xd0 at the block */
    PENDING_LOCK,               /* 0x60: 0x01 lock, 0xd0 unlock, 0x2f */
    PENDING_BUF_COUNT,          /* 0xe8: the number of words - 1 */
    PENDING_BUF_DATA,           /* the words themselves */
    PENDING_BUF_CONFIRM,        /* 0xd0 programs the buffer */
} PflashPending;

/* Bytes in one chip's query table (offsets are chip-word addresses). */
#define PFLASH_QUERY_SIZE 0x40

typedef struct Pflash {
    TsMmioDevice parent;        /* addr, the window (container) */
    /* properties */
    uint64_t size;              /* bytes in the bank */
    uint64_t sector_len;        /* erase block of the bank, all chips */
    uint64_t bank_width;        /* bus bytes: 1, 2 or 4 */
    uint64_t device_width;      /* one chip's bytes; 0: the bank width */
    char *drive;                /* block backend, or NULL: a blank bank */
    bool readonly;              /* the drive is read-only */

    /* geometry, from realize */
    unsigned devices;           /* chips side by side */
    uint64_t blocks;
    uint64_t buf_bytes;         /* the write buffer of the bank */
    uint8_t query[PFLASH_QUERY_SIZE];

    /* memory: `array` (a ROM device) over `io` (MMIO) in a container,
     * the window (which mmio-device owns) */
    TsMemoryRegion *array, *io;
    uint8_t *data;              /* the contents: array's host memory */
    bool array_shown;           /* array is enabled (read-array mode) */
    /* A bank without a file starts erased without touching its memory:
     * filling 32 MiB with 0xff costs page faults at every start.  Until
     * the first program or erase, reads answer 0xff through the MMIO
     * path and the array stays hidden. */
    bool blank;

    /* command state */
    PflashReadMode read_mode;
    PflashPending pending;
    uint8_t status;
    uint8_t *locked;            /* [blocks]: block lock bits */
    uint64_t buf_block;         /* block the 0xe8 was written to */
    uint64_t buf_base;          /* bank offset of buffer byte 0 */
    unsigned buf_words_left;
    bool buf_started;           /* a data word was written */
    bool buf_bad;               /* a word fell outside the buffer */
    uint8_t *buf;               /* [buf_bytes] */
    uint8_t *buf_written;       /* [buf_bytes]: 1 where buf holds data */

    /* the image (pflash-drive.c) */
    TsBlockBackend *blk;        /* NULL: no drive */
    uint64_t image_len;         /* bytes of the drive */
    unsigned writes_inflight;
    bool unsynced;              /* written, not yet flushed */
    bool warned_beyond;         /* told that writes past the end stay */
    bool warned_failed;
    TsTimer *sync_timer;
} Pflash;

/* pflash.c: show the array ROM-fast or route reads to the state machine,
 * as read_mode and pending say. */
void pflash_update_mapping(Pflash *s);
/* Give a blank bank its erased contents before it first changes. */
void pflash_materialize(Pflash *s);
/* Offset of the first byte of the block holding `offset`. */
static inline uint64_t pflash_block_start(const Pflash *s, uint64_t offset)
{
    return offset - offset % s->sector_len;
}

/* pflash-cmd.c */
extern const TsMemoryOps pflash_io_ops;     /* reads and writes */
extern const TsMemoryOps pflash_array_ops;  /* writes in read-array mode */
void pflash_cmd_reset(Pflash *s);

/* pflash-query.c: fill s->query from the geometry; the chip word at
 * `word` of the identifier space (block lock bit at word 2 of a block). */
void pflash_query_build(Pflash *s);
uint16_t pflash_id_word(const Pflash *s, uint64_t offset);

/* pflash-drive.c */
bool pflash_file_open(Pflash *s, GError **errp);
/* The guest changed [start, start+len): write it to the drive (in the
 * background: the bank's memory is what the guest reads meanwhile).
 * false when it cannot be saved at all (beyond the image's end). */
bool pflash_file_write(Pflash *s, uint64_t start, uint64_t len);
/* Flush what was written. */
void pflash_file_sync(Pflash *s);
void pflash_file_close(Pflash *s);

#endif
