/*
 * core/nbd/nbd-request.c - the transmission phase: each request is
 * checked (magic, command, flags, range, length, what the export allows)
 * and either answered at once with an error or run on the block layer's
 * workers, its reply queued when it completes.  Reads are answered with
 * data and hole chunks when structured replies are on, so a client sees
 * a sparse image's holes without reading them.
 */
#include "nbd-internal.h"

#include <errno.h>
#include <string.h>

typedef struct NbdReq {
    BlockExportReq br;          /* first: done hands it back */
    NbdConn *conn;
    uint64_t cookie;
    uint16_t type, flags;
    uint64_t held;              /* counted in conn->inflight_bytes */
} NbdReq;

static uint32_t wire_error(int err)
{
    switch (err) {
    case EPERM: case EACCES: case EROFS:
        return NBD_EPERM;
    case ENOSPC: case EDQUOT: case EFBIG:
        return NBD_ENOSPC;
    case ENOMEM:
        return NBD_ENOMEM;
    case EINVAL:
        return NBD_EINVAL;
    case EOVERFLOW:
        return NBD_EOVERFLOW;
    case ENOTSUP:
        return NBD_ENOTSUP;
    case ESHUTDOWN:
        return NBD_ESHUTDOWN;
    default:
        return NBD_EIO;
    }
}

static void simple_reply(NbdConn *c, uint64_t cookie, uint32_t error,
                         const void *data, size_t len)
{
    uint8_t b[16];
    nbd_put32(b, NBD_SIMPLE_REPLY_MAGIC);
    nbd_put32(b + 4, error);
    nbd_put64(b + 8, cookie);
    nbd_conn_put(c, b, sizeof(b));
    nbd_conn_put(c, data, len);
}

static void chunk_header(NbdConn *c, uint64_t cookie, uint16_t flags,
                         uint16_t type, uint32_t len)
{
    uint8_t b[20];
    nbd_put32(b, NBD_STRUCTURED_REPLY_MAGIC);
    nbd_put16(b + 4, flags);
    nbd_put16(b + 6, type);
    nbd_put64(b + 8, cookie);
    nbd_put32(b + 16, len);
    nbd_conn_put(c, b, sizeof(b));
}

/* An error for any request: a structured error chunk once structured
 * replies are on (reads need it; others may have it). */
static void error_reply(NbdConn *c, uint64_t cookie, int err)
{
    uint32_t e = wire_error(err);
    if (!c->structured) {
        simple_reply(c, cookie, e, NULL, 0);
        return;
    }
    chunk_header(c, cookie, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, 6);
    nbd_conn_put32(c, e);
    nbd_conn_put16(c, 0);
}

static void read_chunks(NbdConn *c, NbdReq *r)
{
    BlockExportReq *br = &r->br;
    uint64_t off = br->offset;
    guint n = br->extents->len;
    if (!n) {
        chunk_header(c, r->cookie, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE,
                     0);
        return;
    }
    for (guint i = 0; i < n; i++) {
        BlockExportExtent *e = &g_array_index(br->extents,
                                              BlockExportExtent, i);
        uint16_t done = i == n - 1 ? NBD_REPLY_FLAG_DONE : 0;
        if (e->zero) {
            chunk_header(c, r->cookie, done, NBD_REPLY_TYPE_OFFSET_HOLE, 12);
            nbd_conn_put64(c, off);
            nbd_conn_put32(c, (uint32_t)e->length);
        } else {
            chunk_header(c, r->cookie, done, NBD_REPLY_TYPE_OFFSET_DATA,
                         (uint32_t)(8 + e->length));
            nbd_conn_put64(c, off);
            nbd_conn_put(c, (uint8_t *)br->buf + (off - br->offset),
                         e->length);
        }
        off += e->length;
    }
}

static void status_chunk(NbdConn *c, NbdReq *r)
{
    GArray *ex = r->br.extents;
    chunk_header(c, r->cookie, NBD_REPLY_FLAG_DONE,
                 NBD_REPLY_TYPE_BLOCK_STATUS, 4 + 8 * ex->len);
    nbd_conn_put32(c, NBD_META_ID_ALLOCATION);
    for (guint i = 0; i < ex->len; i++) {
        BlockExportExtent *e = &g_array_index(ex, BlockExportExtent, i);
        nbd_conn_put32(c, (uint32_t)e->length);
        nbd_conn_put32(c, (e->data ? 0 : NBD_STATE_HOLE) |
                          (e->zero ? NBD_STATE_ZERO : 0));
    }
}

/* Whether a status answer says the whole range already reads as zero. */
static bool all_zero(BlockExportReq *br)
{
    uint64_t covered = 0;
    for (guint i = 0; i < br->extents->len; i++) {
        BlockExportExtent *e = &g_array_index(br->extents,
                                              BlockExportExtent, i);
        if (!e->zero) {
            return false;
        }
        covered += e->length;
    }
    return covered == br->bytes;
}

static void req_free(NbdReq *r)
{
    NbdConn *c = r->conn;
    uint64_t held = r->held;
    g_free(r->br.buf);
    if (r->br.extents) {
        g_array_unref(r->br.extents);
    }
    g_free(r);
    nbd_conn_request_done(c, held);
}

static void req_done(BlockExportReq *br, int ret)
{
    NbdReq *r = (NbdReq *)br;
    NbdConn *c = r->conn;
    if (c->dead) {
        req_free(r);
        return;
    }
    if (ret < 0) {
        error_reply(c, r->cookie, -ret);
    } else if (r->type == NBD_CMD_READ && br->op == BLOCK_EXPORT_READ_MAPPED) {
        read_chunks(c, r);
    } else if (r->type == NBD_CMD_READ && c->structured) {
        chunk_header(c, r->cookie, NBD_REPLY_FLAG_DONE,
                     NBD_REPLY_TYPE_OFFSET_DATA, (uint32_t)(8 + br->bytes));
        nbd_conn_put64(c, br->offset);
        nbd_conn_put(c, br->buf, br->bytes);
    } else if (r->type == NBD_CMD_READ) {
        simple_reply(c, r->cookie, 0, br->buf, br->bytes);
    } else if (r->type == NBD_CMD_BLOCK_STATUS) {
        status_chunk(c, r);
    } else if (r->type == NBD_CMD_WRITE_ZEROES &&
               br->op == BLOCK_EXPORT_STATUS) {
        /* FAST_ZERO: only a range that is zero already is fast here,
         * since the block layer cannot say whether zeroing is cheap. */
        simple_reply(c, r->cookie, all_zero(br) ? 0 : NBD_ENOTSUP, NULL, 0);
    } else {
        simple_reply(c, r->cookie, 0, NULL, 0);
    }
    req_free(r);
}

static unsigned allowed_flags(const NbdConn *c, uint16_t type)
{
    switch (type) {
    case NBD_CMD_READ:
        return c->structured ? NBD_CMD_FLAG_DF : 0;
    case NBD_CMD_WRITE:
    case NBD_CMD_TRIM:
        return NBD_CMD_FLAG_FUA;
    case NBD_CMD_WRITE_ZEROES:
        return NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE |
               NBD_CMD_FLAG_FAST_ZERO;
    case NBD_CMD_BLOCK_STATUS:
        return NBD_CMD_FLAG_REQ_ONE;
    default:
        return 0;
    }
}

static bool is_write(uint16_t type)
{
    return type == NBD_CMD_WRITE || type == NBD_CMD_TRIM ||
           type == NBD_CMD_WRITE_ZEROES;
}

/* The error a request gets before it runs, or 0. */
static int check(NbdConn *c, uint16_t type, uint16_t flags, uint64_t off,
                 uint32_t len)
{
    NbdExport *exp = c->exp;
    if (type > NBD_CMD_BLOCK_STATUS) {
        return EINVAL;
    }
    if (flags & ~allowed_flags(c, type)) {
        return EINVAL;
    }
    if (is_write(type) && !exp->writable) {
        return EPERM;
    }
    if (type == NBD_CMD_FLUSH) {
        return 0;
    }
    if ((type == NBD_CMD_READ || type == NBD_CMD_WRITE) &&
        len > NBD_MAX_PAYLOAD) {
        return EINVAL;          /* more than NBD_INFO_BLOCK_SIZE allows */
    }
    if (off > exp->size || len > exp->size - off) {
        return is_write(type) ? ENOSPC : EINVAL;
    }
    if (type == NBD_CMD_BLOCK_STATUS && (!c->meta_alloc || !len)) {
        return EINVAL;
    }
    return 0;
}

size_t nbd_request_input(NbdConn *c, const uint8_t *p, size_t len)
{
    if (len < 28) {
        return 0;
    }
    if (nbd_get32(p) != NBD_REQUEST_MAGIC) {
        nbd_conn_fail(c, "bad request magic");
        return 28;
    }
    uint16_t flags = nbd_get16(p + 4);
    uint16_t type = nbd_get16(p + 6);
    uint64_t cookie = nbd_get64(p + 8);
    uint64_t off = nbd_get64(p + 16);
    uint32_t rlen = nbd_get32(p + 24);
    size_t used = 28;
    int err = check(c, type, flags, off, rlen);

    if (type == NBD_CMD_WRITE) {
        if (err || !rlen) {
            /* The payload follows anyway: skip it, whatever its size. */
            c->skip = rlen;
        } else if (len - 28 < rlen) {
            return 0;           /* wait for the whole payload */
        } else {
            used += rlen;
        }
    }
    if (type == NBD_CMD_DISC) {
        c->disconnecting = true;    /* finish what runs, then close */
        return used;
    }
    if (err) {
        error_reply(c, cookie, err);
        return used;
    }
    bool zero_len = type != NBD_CMD_FLUSH && !rlen;
    if (zero_len || type == NBD_CMD_CACHE) {
        /* Nothing to do; and CACHE is advice: the block layer has no
         * read-ahead to fill, so the hint is acknowledged as such. */
        if (type == NBD_CMD_READ && c->structured) {
            chunk_header(c, cookie, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE,
                         0);
        } else {
            simple_reply(c, cookie, 0, NULL, 0);
        }
        return used;
    }

    NbdReq *r = g_new0(NbdReq, 1);
    BlockExportReq *br = &r->br;
    r->conn = c;
    r->cookie = cookie;
    r->type = type;
    r->flags = flags;
    br->offset = off;
    br->bytes = rlen;
    br->done = req_done;
    if (flags & NBD_CMD_FLAG_FUA) {
        br->flags |= TS_BLOCK_REQ_FUA;
    }
    switch (type) {
    case NBD_CMD_READ:
        br->buf = g_try_malloc(rlen);
        r->held = rlen;
        if (c->structured && !(flags & NBD_CMD_FLAG_DF)) {
            br->op = BLOCK_EXPORT_READ_MAPPED;
            br->extents = g_array_new(FALSE, FALSE,
                                      sizeof(BlockExportExtent));
        } else {
            br->op = BLOCK_EXPORT_READ;
        }
        break;
    case NBD_CMD_WRITE:
        br->op = BLOCK_EXPORT_WRITE;
        br->buf = g_try_malloc(rlen);
        if (br->buf) {
            memcpy(br->buf, p + 28, rlen);
        }
        r->held = rlen;
        break;
    case NBD_CMD_FLUSH:
        br->op = BLOCK_EXPORT_FLUSH;
        break;
    case NBD_CMD_TRIM:
        br->op = BLOCK_EXPORT_DISCARD;
        break;
    case NBD_CMD_WRITE_ZEROES:
        if (flags & NBD_CMD_FLAG_FAST_ZERO) {
            br->op = BLOCK_EXPORT_STATUS;
            br->max_extents = 1;
            br->extents = g_array_new(FALSE, FALSE,
                                      sizeof(BlockExportExtent));
        } else {
            br->op = BLOCK_EXPORT_ZEROES;
            if (!(flags & NBD_CMD_FLAG_NO_HOLE)) {
                br->flags |= TS_BLOCK_REQ_MAY_UNMAP;
            }
        }
        break;
    case NBD_CMD_BLOCK_STATUS:
        br->op = BLOCK_EXPORT_STATUS;
        br->max_extents = flags & NBD_CMD_FLAG_REQ_ONE ? 1 : NBD_MAX_EXTENTS;
        br->extents = g_array_new(FALSE, FALSE, sizeof(BlockExportExtent));
        break;
    }
    if (r->held && !br->buf) {
        g_free(r);
        error_reply(c, cookie, ENOMEM);
        return used;
    }
    c->inflight++;
    c->inflight_bytes += r->held;
    c->exp->submit(c->exp, br);
    return used;
}
