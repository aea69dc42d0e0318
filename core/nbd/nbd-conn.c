/*
 * core/nbd/nbd-conn.c - one client's connection as a machine fed bytes:
 * it buffers what the client sent until a whole message is there, hands
 * it to the phase it is in, queues the replies, and bounds both what it
 * holds and what it lets run, so that a client that floods or stops
 * reading only stalls itself.
 */
#include "nbd-internal.h"

#include <string.h>

/* Unsent replies past which the client is not read (it stopped reading
 * its replies; with the in-flight limit this bounds its memory). */
#define NBD_MAX_OUTPUT      (64u * 1024 * 1024)
/* Payload bytes in flight past which no new request is read. */
#define NBD_MAX_INFLIGHT_BYTES (64u * 1024 * 1024)

static void process(NbdConn *c);

NbdConn *nbd_conn_new(const NbdConnOps *ops, void *opaque)
{
    NbdConn *c = g_new0(NbdConn, 1);
    c->ops = ops;
    c->opaque = opaque;
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->phase = NBD_PHASE_CLIENT_FLAGS;
    return c;
}

void nbd_conn_put(NbdConn *c, const void *data, size_t len)
{
    if (!c->dead) {
        g_byte_array_append(c->out, data, len);
    }
}

void nbd_conn_put16(NbdConn *c, uint16_t v)
{
    uint8_t b[2];
    nbd_put16(b, v);
    nbd_conn_put(c, b, sizeof(b));
}

void nbd_conn_put32(NbdConn *c, uint32_t v)
{
    uint8_t b[4];
    nbd_put32(b, v);
    nbd_conn_put(c, b, sizeof(b));
}

void nbd_conn_put64(NbdConn *c, uint64_t v)
{
    uint8_t b[8];
    nbd_put64(b, v);
    nbd_conn_put(c, b, sizeof(b));
}

void nbd_conn_wake(NbdConn *c)
{
    if (!c->dead && c->ops->wake) {
        c->ops->wake(c->opaque);
    }
}

void nbd_conn_start(NbdConn *c)
{
    nbd_conn_put64(c, NBD_MAGIC);
    nbd_conn_put64(c, NBD_IHAVEOPT);
    nbd_conn_put16(c, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
    nbd_conn_wake(c);
}

void nbd_conn_fail(NbdConn *c, const char *why)
{
    if (c->phase != NBD_PHASE_CLOSING) {
        c->phase = NBD_PHASE_CLOSING;
        g_free(c->close_reason);
        c->close_reason = g_strdup(why);
    }
    c->skip = 0;
    g_byte_array_set_size(c->in, 0);
}

bool nbd_conn_wants_input(const NbdConn *c)
{
    return !c->dead && c->phase != NBD_PHASE_CLOSING && !c->disconnecting &&
           c->inflight < NBD_MAX_INFLIGHT &&
           c->inflight_bytes < NBD_MAX_INFLIGHT_BYTES &&
           nbd_conn_pending(c) < NBD_MAX_OUTPUT;
}

bool nbd_conn_finished(const NbdConn *c)
{
    bool closing = c->phase == NBD_PHASE_CLOSING ||
                   (c->disconnecting && !c->inflight);
    return closing && nbd_conn_pending(c) == 0;
}

size_t nbd_conn_pending(const NbdConn *c)
{
    return c->out->len - c->out_sent;
}

void nbd_conn_sent(NbdConn *c, size_t n)
{
    c->out_sent += n;
    if (c->out_sent == c->out->len) {
        g_byte_array_set_size(c->out, 0);
        c->out_sent = 0;
    } else if (c->out_sent >= 1024 * 1024 &&
               c->out_sent * 2 >= c->out->len) {
        /* Move the rest down now and then, not on every send. */
        g_byte_array_remove_range(c->out, 0, (guint)c->out_sent);
        c->out_sent = 0;
    }
    if (!c->processing && c->phase == NBD_PHASE_TRANSMISSION &&
        c->in->len) {
        process(c);             /* requests held back by the output */
    }
}

/* Hand whole messages to the phase until it needs more bytes. */
static void process(NbdConn *c)
{
    /* A request that completes at once (the fuzz target's) comes back
     * here through nbd_conn_request_done: the loop below goes on. */
    if (c->processing) {
        return;
    }
    c->processing = true;
    size_t pos = 0;
    while (pos < c->in->len && c->phase != NBD_PHASE_CLOSING &&
           !c->disconnecting) {
        const uint8_t *p = c->in->data + pos;
        size_t len = c->in->len - pos;
        size_t used;
        if (c->skip) {
            used = MIN(c->skip, len);
            c->skip -= used;
        } else if (c->phase == NBD_PHASE_CLIENT_FLAGS) {
            if (len < 4) {
                break;
            }
            uint32_t flags = nbd_get32(p);
            if (flags & ~(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES)) {
                nbd_conn_fail(c, "unknown client flags");
                break;
            }
            c->no_zeroes = flags & NBD_FLAG_C_NO_ZEROES;
            c->phase = NBD_PHASE_OPTIONS;
            used = 4;
        } else if (c->phase == NBD_PHASE_OPTIONS) {
            used = nbd_negotiate_input(c, p, len);
        } else {
            /* The limits hold for requests already buffered too: one
             * read of the socket can bring thousands of them. */
            if (c->inflight >= NBD_MAX_INFLIGHT ||
                c->inflight_bytes >= NBD_MAX_INFLIGHT_BYTES ||
                nbd_conn_pending(c) >= NBD_MAX_OUTPUT) {
                break;          /* resumes when a request completes or
                                 * the client reads its replies */
            }
            used = nbd_request_input(c, p, len);
        }
        if (!used || c->dead) {
            break;
        }
        pos += used;
    }
    c->processing = false;
    if (c->dead) {
        return;
    }
    if (c->phase == NBD_PHASE_CLOSING) {
        g_byte_array_set_size(c->in, 0);
    } else if (pos) {
        g_byte_array_remove_range(c->in, 0, pos);
    }
}

void nbd_conn_feed(NbdConn *c, const uint8_t *data, size_t len)
{
    if (c->dead || c->phase == NBD_PHASE_CLOSING) {
        return;
    }
    g_byte_array_append(c->in, data, len);
    process(c);
    nbd_conn_wake(c);
}

static void conn_free(NbdConn *c)
{
    g_byte_array_unref(c->in);
    g_byte_array_unref(c->out);
    g_free(c->meta_export);
    g_free(c->close_reason);
    g_free(c);
}

void nbd_conn_close(NbdConn *c)
{
    if (c->dead) {
        return;
    }
    c->dead = true;
    NbdExport *exp = c->exp;
    c->exp = NULL;
    g_byte_array_set_size(c->out, 0);
    c->out_sent = 0;
    if (!c->inflight) {
        conn_free(c);
    }
    /* Last: letting go of an export being removed drains it, and the
     * requests completing then free c (it is dead); after this only
     * the pointer's value is used. */
    if (exp) {
        nbd_export_put_conn(exp, c);
    }
}

bool nbd_conn_request_done(NbdConn *c, uint64_t bytes)
{
    c->inflight--;
    c->inflight_bytes -= bytes;
    if (c->dead) {
        if (!c->inflight) {
            conn_free(c);
        }
        return true;
    }
    /* Requests held back by the limits may go now. */
    process(c);
    nbd_conn_wake(c);
    return false;
}
