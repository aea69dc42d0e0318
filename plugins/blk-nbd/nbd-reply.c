/*
 * plugins/blk-nbd/nbd-reply.c - requests in flight on one connection and
 * the reader thread that matches replies to them by handle (see
 * nbd-conn.h for why one reader rather than a lock per request: requests
 * of several workers overlap on the wire, as a guest's queue depth asks).
 *
 * Everything the server sends is checked against the request it claims
 * to answer before a byte of payload is read: the handle must be in
 * flight, a chunk must suit the command, lie inside the request's range
 * and be no longer than it, an error message fits its chunk.  A reply
 * that breaks these rules kills the connection (the stream can no longer
 * be trusted); an error the server reports properly fails that request
 * alone.
 */
#include "nbd-conn.h"
#include "nbd-proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A block status chunk: context id and at most this many bytes of
 * extents (we ask for one; a server may send a few). */
#define MAX_STATUS_CHUNK (4 + 8 * 8192)

int nbd_errno_to_host(uint32_t err)
{
    switch (err) {
    case NBD_EPERM: return -EPERM;
    case NBD_EIO: return -EIO;
    case NBD_ENOMEM: return -ENOMEM;
    case NBD_ENOSPC: return -ENOSPC;
    case NBD_EOVERFLOW: return -EOVERFLOW;
    case NBD_ENOTSUP: return -ENOTSUP;
    case NBD_ESHUTDOWN: return -ESHUTDOWN;
    case NBD_EINVAL:
    default: return -EINVAL;    /* proto.md: unknown values mean EINVAL */
    }
}

void nbd_conn_init(NbdConn *c, int fd)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    g_mutex_init(&c->send_lock);
    g_mutex_init(&c->lock);
    c->inflight = g_hash_table_new(g_int64_hash, g_int64_equal);
    c->next_handle = 1;
}

/* With c->lock held. */
static void complete_locked(NbdConn *c, NbdReq *req, int ret)
{
    g_hash_table_remove(c->inflight, &req->handle);
    if (req->ret == 0) {
        req->ret = ret;
    }
    req->done = true;
    g_cond_broadcast(&req->cond);
}

static void complete(NbdConn *c, NbdReq *req, int ret)
{
    g_mutex_lock(&c->lock);
    if (c->busy == req) {
        c->busy = NULL;
    }
    if (!req->done) {
        complete_locked(c, req, c->dead ? -EIO : ret);
    }
    g_mutex_unlock(&c->lock);
}

void nbd_conn_kill(NbdConn *c, const char *why)
{
    g_mutex_lock(&c->lock);
    if (c->dead) {
        g_mutex_unlock(&c->lock);
        return;
    }
    c->dead = true;
    c->error = g_strdup(why);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, c->inflight);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        NbdReq *req = v;
        /* The reader is filling this one: it completes it itself when
         * its read fails (the shutdown below makes it fail). */
        if (req == c->busy) {
            continue;
        }
        g_hash_table_iter_remove(&it);
        req->ret = -EIO;
        req->done = true;
        g_cond_broadcast(&req->cond);
    }
    bool notify = !c->closing;
    g_mutex_unlock(&c->lock);
    shutdown(c->fd, SHUT_RDWR);
    if (notify && c->on_dead) {
        c->on_dead(c->opaque, why);
    }
}

int nbd_conn_submit(NbdConn *c, NbdReq *req)
{
    g_cond_init(&req->cond);
    req->done = false;
    req->ret = 0;
    req->received = 0;
    req->extent_len = 0;
    req->extent_flags = 0;
    g_mutex_lock(&c->lock);
    if (c->dead) {
        req->ret = -EIO;
        req->done = true;
        g_mutex_unlock(&c->lock);
        return -EIO;
    }
    /* Registered before it is sent: the reply may come at once. */
    req->handle = c->next_handle++;
    g_hash_table_insert(c->inflight, &req->handle, req);
    g_mutex_unlock(&c->lock);

    uint8_t hdr[NBD_REQUEST_SIZE];
    nbd_put32(hdr, NBD_MAGIC_REQUEST);
    nbd_put16(hdr + 4, req->flags);
    nbd_put16(hdr + 6, req->type);
    nbd_put64(hdr + 8, req->handle);
    nbd_put64(hdr + 16, req->offset);
    nbd_put32(hdr + 24, req->length);
    g_mutex_lock(&c->send_lock);
    int r = nbd_write_full(c->fd, hdr, sizeof(hdr));
    if (r == 0 && req->type == NBD_CMD_WRITE) {
        r = nbd_write_iov(c->fd, req->iov, req->niov, req->skip,
                          req->length);
    }
    g_mutex_unlock(&c->send_lock);
    if (r < 0) {
        /* Half a request may be on the wire: the stream is lost. */
        g_autofree char *why = g_strdup_printf(
            "Failed to send a request to the NBD server: %s",
            g_strerror(-r));
        nbd_conn_kill(c, why);
        return -EIO;
    }
    return 0;
}

int nbd_conn_request(NbdConn *c, NbdReq *req)
{
    nbd_conn_submit(c, req);
    g_mutex_lock(&c->lock);
    while (!req->done) {
        g_cond_wait(&req->cond, &c->lock);
    }
    g_mutex_unlock(&c->lock);
    g_cond_clear(&req->cond);
    return req->ret;
}

/* ---- the reader ------------------------------------------------------ */

static int bad(NbdConn *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int bad(NbdConn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    nbd_conn_kill(c, why);
    return -EIO;
}

static int lost(NbdConn *c, int r)
{
    return bad(c, "%s", r == -EIO ? "NBD server closed the connection"
               : r == -ETIMEDOUT ? "NBD server stopped in the middle of a "
                                   "reply"
               : "Failed to read from the NBD server");
}

/* The request with this handle, marked busy (the reader fills it). */
static NbdReq *claim(NbdConn *c, uint64_t handle)
{
    g_mutex_lock(&c->lock);
    NbdReq *req = g_hash_table_lookup(c->inflight, &handle);
    c->busy = req;
    g_mutex_unlock(&c->lock);
    return req;
}

static void release(NbdConn *c)
{
    g_mutex_lock(&c->lock);
    c->busy = NULL;
    g_mutex_unlock(&c->lock);
}

static int read_simple(NbdConn *c)
{
    uint8_t h[12];
    int r = nbd_read_full(c->fd, h, sizeof(h), NBD_STALL_MS);
    if (r < 0) {
        return lost(c, r);
    }
    uint32_t err = nbd_get32(h);
    uint64_t handle = nbd_get64(h + 4);
    NbdReq *req = claim(c, handle);
    if (!req) {
        return bad(c, "NBD server replied to an unknown handle 0x%"
                   G_GINT64_MODIFIER "x", (guint64)handle);
    }
    if (err) {
        complete(c, req, nbd_errno_to_host(err));
        return 0;
    }
    if (req->type == NBD_CMD_BLOCK_STATUS) {
        release(c);
        return bad(c, "NBD server sent a simple reply to a block status "
                   "request");
    }
    if (req->type == NBD_CMD_READ) {
        r = nbd_read_iov(c->fd, req->iov, req->niov, req->skip,
                         req->length, NBD_STALL_MS);
        if (r < 0) {
            complete(c, req, -EIO);
            return lost(c, r);
        }
    }
    complete(c, req, 0);
    return 0;
}

static void zero_iov(NbdReq *req, uint64_t at, uint64_t len)
{
    size_t skip = req->skip + (size_t)at;
    for (int i = 0; i < req->niov && len; i++) {
        if (skip >= req->iov[i].iov_len) {
            skip -= req->iov[i].iov_len;
            continue;
        }
        size_t n = (size_t)MIN(req->iov[i].iov_len - skip, len);
        memset((uint8_t *)req->iov[i].iov_base + skip, 0, n);
        skip = 0;
        len -= n;
    }
}

/* Whether [off, off + len) lies in the request's range and fits what is
 * still missing. */
static bool in_range(NbdReq *req, uint64_t off, uint64_t len)
{
    return off >= req->offset && len <= req->length &&
           off - req->offset <= req->length - len &&
           req->received + len <= req->length;
}

/* One structured chunk's payload for req (its header read).  0, or -EIO
 * when the connection was killed. */
static int read_chunk(NbdConn *c, NbdReq *req, uint16_t type,
                      uint32_t len)
{
    uint8_t b[16];
    int r;
    switch (type) {
    case NBD_REPLY_TYPE_NONE:
        if (len) {
            return bad(c, "NBD server sent a NONE chunk with a payload");
        }
        return 0;
    case NBD_REPLY_TYPE_OFFSET_DATA: {
        if (req->type != NBD_CMD_READ || len <= 8 ||
            len - 8 > req->length) {
            return bad(c, "NBD server sent a data chunk of %u bytes that "
                       "does not fit the request", len);
        }
        if ((r = nbd_read_full(c->fd, b, 8, NBD_STALL_MS)) < 0) {
            return lost(c, r);
        }
        uint64_t off = nbd_get64(b);
        if (!in_range(req, off, len - 8)) {
            return bad(c, "NBD server sent data past the request");
        }
        r = nbd_read_iov(c->fd, req->iov, req->niov,
                         req->skip + (size_t)(off - req->offset), len - 8,
                         NBD_STALL_MS);
        if (r < 0) {
            return lost(c, r);
        }
        req->received += len - 8;
        return 0;
    }
    case NBD_REPLY_TYPE_OFFSET_HOLE: {
        if (req->type != NBD_CMD_READ || len != 12) {
            return bad(c, "NBD server sent a malformed hole chunk");
        }
        if ((r = nbd_read_full(c->fd, b, 12, NBD_STALL_MS)) < 0) {
            return lost(c, r);
        }
        uint64_t off = nbd_get64(b);
        uint32_t size = nbd_get32(b + 8);
        if (!size || !in_range(req, off, size)) {
            return bad(c, "NBD server sent a hole past the request");
        }
        zero_iov(req, off - req->offset, size);
        req->received += size;
        return 0;
    }
    case NBD_REPLY_TYPE_BLOCK_STATUS: {
        if (req->type != NBD_CMD_BLOCK_STATUS || len < 12 ||
            (len - 4) % 8 || len > MAX_STATUS_CHUNK || req->extent_len) {
            return bad(c, "NBD server sent a malformed block status chunk "
                       "(%u bytes)", len);
        }
        if ((r = nbd_read_full(c->fd, b, 12, NBD_STALL_MS)) < 0 ||
            (r = nbd_read_discard(c->fd, len - 12, NBD_STALL_MS)) < 0) {
            return lost(c, r);
        }
        uint32_t id = nbd_get32(b);
        uint32_t elen = nbd_get32(b + 4);
        if (id != c->exp.allocation_id || !elen) {
            return bad(c, "NBD server sent block status for another "
                       "context or an empty extent");
        }
        req->extent_len = MIN(elen, req->length);
        req->extent_flags = nbd_get32(b + 8);
        return 0;
    }
    default:
        break;
    }
    if (!NBD_REPLY_TYPE_IS_ERROR(type)) {
        return bad(c, "NBD server sent an unknown chunk type %u", type);
    }
    /* Errors: 32-bit error, 16-bit message length, message, and for
     * ERROR_OFFSET the offset it concerns. */
    uint32_t tail = type == NBD_REPLY_TYPE_ERROR_OFFSET ? 8 : 0;
    if (len < 6 + tail || len > 6 + NBD_MAX_STRING + tail) {
        return bad(c, "NBD server sent a malformed error chunk");
    }
    if ((r = nbd_read_full(c->fd, b, 6, NBD_STALL_MS)) < 0) {
        return lost(c, r);
    }
    uint32_t err = nbd_get32(b);
    uint16_t msglen = nbd_get16(b + 4);
    bool known = type == NBD_REPLY_TYPE_ERROR ||
                 type == NBD_REPLY_TYPE_ERROR_OFFSET;
    if (known && msglen != len - 6 - tail) {
        return bad(c, "NBD server sent an error chunk whose message does "
                   "not fit it");
    }
    if ((r = nbd_read_discard(c->fd, len - 6, NBD_STALL_MS)) < 0) {
        return lost(c, r);
    }
    if (req->ret == 0) {
        req->ret = err ? nbd_errno_to_host(err) : -EIO;
    }
    return 0;
}

static int read_structured(NbdConn *c)
{
    uint8_t h[16];
    int r = nbd_read_full(c->fd, h, sizeof(h), NBD_STALL_MS);
    if (r < 0) {
        return lost(c, r);
    }
    uint16_t flags = nbd_get16(h);
    uint16_t type = nbd_get16(h + 2);
    uint64_t handle = nbd_get64(h + 4);
    uint32_t len = nbd_get32(h + 12);
    if (!c->exp.structured) {
        return bad(c, "NBD server sent a structured reply that was not "
                   "negotiated");
    }
    NbdReq *req = claim(c, handle);
    if (!req) {
        return bad(c, "NBD server replied to an unknown handle 0x%"
                   G_GINT64_MODIFIER "x", (guint64)handle);
    }
    if (type == NBD_REPLY_TYPE_NONE && !(flags & NBD_REPLY_FLAG_DONE)) {
        release(c);
        return bad(c, "NBD server sent a NONE chunk that is not the last");
    }
    if (read_chunk(c, req, type, len) < 0) {
        complete(c, req, -EIO);
        return -EIO;
    }
    if (!(flags & NBD_REPLY_FLAG_DONE)) {
        release(c);
        return 0;
    }
    /* The last chunk: a successful read covered its range, a block
     * status said something. */
    int ret = 0;
    if (req->ret == 0 &&
        ((req->type == NBD_CMD_READ && req->received != req->length) ||
         (req->type == NBD_CMD_BLOCK_STATUS && !req->extent_len))) {
        ret = -EIO;
    }
    complete(c, req, ret);
    return 0;
}

int nbd_conn_read_reply(NbdConn *c)
{
    uint8_t magic[4];
    /* Between replies the server may take its time (a slow disk). */
    int r = nbd_read_full(c->fd, magic, 4, -1);
    if (r < 0) {
        return lost(c, r);
    }
    switch (nbd_get32(magic)) {
    case NBD_MAGIC_SIMPLE_REPLY:
        return read_simple(c);
    case NBD_MAGIC_STRUCTURED_REPLY:
        return read_structured(c);
    default:
        return bad(c, "NBD server sent a reply with a bad magic 0x%08x",
                   nbd_get32(magic));
    }
}

static gpointer reader_main(gpointer opaque)
{
    NbdConn *c = opaque;
    while (nbd_conn_read_reply(c) == 0) {
    }
    return NULL;
}

void nbd_conn_start_reader(NbdConn *c)
{
    c->reader = g_thread_new("nbd-reader", reader_main, c);
}

void nbd_conn_close(NbdConn *c)
{
    g_mutex_lock(&c->lock);
    c->closing = true;
    bool alive = !c->dead;
    g_mutex_unlock(&c->lock);
    if (alive) {
        /* No reply comes to a disconnect. */
        uint8_t hdr[NBD_REQUEST_SIZE] = { 0 };
        nbd_put32(hdr, NBD_MAGIC_REQUEST);
        nbd_put16(hdr + 6, NBD_CMD_DISC);
        g_mutex_lock(&c->send_lock);
        nbd_write_full(c->fd, hdr, sizeof(hdr));
        g_mutex_unlock(&c->send_lock);
    }
    nbd_conn_kill(c, "closed");
    if (c->reader) {
        g_thread_join(c->reader);
        c->reader = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    g_hash_table_unref(c->inflight);
    g_mutex_clear(&c->lock);
    g_mutex_clear(&c->send_lock);
    g_free(c->error);
    c->error = NULL;
}
