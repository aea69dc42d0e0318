/*
 * libFuzzer target: a client's byte stream into the NBD server's
 * connection (core/nbd/nbd-conn.c), through the option phase and the
 * transmission phase, with the same parsers the sockets feed.  The
 * export is 64 KiB of memory whose requests complete at once (the
 * block layer would complete them later; the connection must not care).
 * The first byte picks the chunk sizes the stream arrives in, the
 * second whether the export is writable and has a description.  Every request that reaches
 * the export must lie inside it, and the output is drained as a socket
 * would; never a crash, a leak or a read past the input.
 */
#include "nbd/nbd-internal.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#define EXPORT_SIZE (64 * 1024)

static uint8_t disk[EXPORT_SIZE];

static void fake_submit(NbdExport *exp, BlockExportReq *r)
{
    int ret = 0;
    if (r->op != BLOCK_EXPORT_FLUSH) {
        assert(r->offset <= EXPORT_SIZE &&
               r->bytes <= EXPORT_SIZE - r->offset);
    }
    switch (r->op) {
    case BLOCK_EXPORT_READ:
        memcpy(r->buf, disk + r->offset, r->bytes);
        break;
    case BLOCK_EXPORT_WRITE:
        assert(exp->writable);
        memcpy(disk + r->offset, r->buf, r->bytes);
        break;
    case BLOCK_EXPORT_DISCARD:
    case BLOCK_EXPORT_ZEROES:
        assert(exp->writable);
        memset(disk + r->offset, 0, r->bytes);
        break;
    case BLOCK_EXPORT_FLUSH:
        break;
    case BLOCK_EXPORT_STATUS:
    case BLOCK_EXPORT_READ_MAPPED:
        /* 4 KiB blocks: zero ones are holes. */
        for (uint64_t off = r->offset; off < r->offset + r->bytes;) {
            uint64_t end = MIN((off / 4096 + 1) * 4096, r->offset + r->bytes);
            bool zero = true;
            for (uint64_t i = off; i < end && zero; i++) {
                zero = !disk[i];
            }
            BlockExportExtent e = { end - off, !zero, zero };
            if (r->max_extents && r->extents->len >= r->max_extents) {
                break;
            }
            g_array_append_val(r->extents, e);
            if (!zero && r->op == BLOCK_EXPORT_READ_MAPPED) {
                memcpy((uint8_t *)r->buf + (off - r->offset), disk + off,
                       end - off);
            }
            off = end;
        }
        break;
    }
    /* Now and then a failure, as a disk would have. */
    if (r->offset % 4096 == 1234) {
        ret = -EIO;
    }
    r->done(r, ret);
}

static NbdExport fake = {
    .id = (char *)"e", .name = (char *)"e",
    .description = (char *)"fuzz", .size = EXPORT_SIZE,
    .submit = fake_submit,
};

static NbdExport *find(const char *name, void *opaque)
{
    return g_str_equal(name, fake.name) ? &fake : NULL;
}

static GPtrArray *list(void *opaque)
{
    GPtrArray *a = g_ptr_array_new();
    g_ptr_array_add(a, &fake);
    return a;
}

static void wake(void *opaque)
{
}

static const NbdConnOps ops = { .find = find, .list = list, .wake = wake };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    size_t chunk = 1 + data[0] % 64 * (data[0] & 0x80 ? 97 : 1);
    fake.writable = data[1] & 1;
    fake.description = data[1] & 2 ? NULL : (char *)"fuzz";
    fake.multi_conn = !fake.writable;
    if (!fake.conns) {
        fake.conns = g_ptr_array_new();
    }
    data += 2;
    size -= 2;
    NbdConn *c = nbd_conn_new(&ops, NULL);
    nbd_conn_start(c);
    while (size) {
        size_t n = MIN(chunk, size);
        nbd_conn_feed(c, data, n);
        data += n;
        size -= n;
        /* What a socket would send; the rest of the time it is full. */
        if (nbd_conn_pending(c) && (n & 1)) {
            nbd_conn_sent(c, nbd_conn_pending(c));
        }
        assert(nbd_conn_pending(c) <= 200u * 1024 * 1024);
        if (nbd_conn_finished(c)) {
            break;
        }
    }
    nbd_conn_close(c);
    assert(fake.conns->len == 0);
    return 0;
}
