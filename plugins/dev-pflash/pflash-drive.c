/*
 * pflash-drive.c - the bank's image, on a block backend (<tessera/block.h>).
 *
 * The whole image is read into the bank's memory at realize (a smaller
 * image is padded with 0xff, the erased state: QEMU refuses one, which
 * makes firmware images awkward to use); every program or erase then
 * writes the bytes it changed to the drive in the background, so the
 * vCPU never waits for the disk and the guest reads its new data from
 * memory at once.  A flush follows a second after the first unflushed
 * write; the block layer flushes everything at exit.
 *
 * What the drive cannot take stays in memory and is reported once: bytes
 * beyond the image's end (a block device does not grow), and writes that
 * fail (the drive's werror= decides first: with werror=stop the VM stops
 * and `cont` writes them again).  Locking is the block layer's: the
 * attachment asks to write and lets others only read, so a second
 * emulator (Tessera or QEMU) cannot write the same image.
 */
#include "pflash.h"

#include <stdio.h>

#define SYNC_DELAY_NS INT64_C(1000000000)

typedef struct PflashWrite {
    Pflash *s;
    uint8_t *copy;
    uint64_t offset;
} PflashWrite;

static void sync_timer_fired(void *opaque)
{
    pflash_file_sync(opaque);
}

bool pflash_file_open(Pflash *s, GError **errp)
{
    if (!s->drive) {
        s->blank = true;        /* erased; filled on first change */
        return true;
    }
    TsBlockBackend *blk = ts_block_attach(s->drive, TS_OBJECT(s), NULL, s,
                                          true, errp);
    if (!blk) {
        return false;
    }
    s->readonly = ts_block_is_read_only(blk);
    uint64_t len = ts_block_length(blk);
    if (len > s->size) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "drive '%s' is %" PRIu64 " bytes, larger than the "
                    "flash bank (%" PRIu64 " bytes)", s->drive, len, s->size);
        ts_block_detach(blk);
        return false;
    }
    int ret = ts_block_pread_sync(blk, 0, s->data, len);
    if (ret < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "reading drive '%s' failed: %s", s->drive,
                    g_strerror(-ret));
        ts_block_detach(blk);
        return false;
    }
    memset(s->data + len, 0xff, s->size - len);
    s->blk = blk;
    s->image_len = len;
    if (!s->readonly) {
        s->sync_timer = ts_timer_new(TS_CLOCK_HOST, sync_timer_fired, s);
    }
    return true;
}

static void write_done(void *opaque, int ret)
{
    PflashWrite *w = opaque;
    Pflash *s = w->s;
    s->writes_inflight--;
    if (ret < 0 && !s->warned_failed) {
        s->warned_failed = true;
        fprintf(stderr, "tessera: " PFLASH_TYPE "@%" PRIx64 ": writing "
                "drive '%s' at offset %" PRIu64 " failed: %s; the guest's "
                "data stays in memory\n", s->parent.addr, s->drive,
                w->offset, g_strerror(-ret));
    }
    g_free(w->copy);
    g_free(w);
}

bool pflash_file_write(Pflash *s, uint64_t start, uint64_t len)
{
    if (!s->blk || s->readonly) {
        return true;            /* a blank bank lives in memory only */
    }
    uint64_t end = MIN(start + len, s->image_len);
    if (start + len > s->image_len && !s->warned_beyond) {
        s->warned_beyond = true;
        fprintf(stderr, "tessera: " PFLASH_TYPE "@%" PRIx64 ": the guest "
                "wrote beyond the end of drive '%s' (%" PRIu64 " bytes): "
                "that part is kept in memory only\n", s->parent.addr,
                s->drive, s->image_len);
    }
    if (start >= end) {
        return false;
    }
    /* The device's memory may change again before the write runs. */
    PflashWrite *w = g_new0(PflashWrite, 1);
    w->s = s;
    w->offset = start;
    w->copy = g_memdup2(s->data + start, end - start);
    struct iovec iov = { w->copy, end - start };
    s->writes_inflight++;
    ts_block_pwritev(s->blk, start, &iov, 1, 0, write_done, w);
    s->unsynced = true;
    if (!ts_timer_pending(s->sync_timer)) {
        ts_timer_mod(s->sync_timer,
                     ts_clock_get_ns(TS_CLOCK_HOST) + SYNC_DELAY_NS);
    }
    return end == start + len;
}

void pflash_file_sync(Pflash *s)
{
    if (s->blk && s->unsynced) {
        s->unsynced = false;
        ts_block_flush(s->blk, NULL, NULL);
    }
}

void pflash_file_close(Pflash *s)
{
    if (!s->blk) {
        return;
    }
    ts_timer_free(s->sync_timer);
    s->sync_timer = NULL;
    pflash_file_sync(s);
    ts_block_detach(s->blk);    /* waits for the writes and the flush */
    s->blk = NULL;
}
