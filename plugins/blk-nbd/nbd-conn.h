/*
 * plugins/blk-nbd/nbd-conn.h - one NBD connection, what the files of the
 * plugin share:
 *
 *   nbd-io.c         whole reads and writes on the socket, with a bound
 *                    on how long a started message may take
 *   nbd-handshake.c  fixed newstyle negotiation: structured replies,
 *                    base:allocation, NBD_OPT_GO (or the older ways)
 *   nbd-reply.c      requests in flight, matched to their replies by
 *                    handle on a reader thread
 *   nbd-uri.c        nbd://, nbd+unix:// and nbd: filenames to options
 *   nbd.c            the "nbd" block driver on top
 *
 * Only GLib and libc here (no SDK calls), so that the fuzz target
 * (tests/fuzz/fuzz-nbd-client.c) runs the same parsers on a socketpair.
 *
 * Several worker threads send requests at once over the one connection:
 * each registers its request under a fresh handle, then writes it whole
 * under send_lock; one reader thread reads every reply and hands it to
 * the request with that handle (data straight into the request's
 * buffers), which sleeps on its condition until done.  So requests
 * overlap on the wire as a queue depth allows, and a reply for nobody or
 * a malformed one kills the connection: every request waiting then
 * fails with -EIO, and so does every later one.
 */
#ifndef PLUGINS_BLK_NBD_CONN_H
#define PLUGINS_BLK_NBD_CONN_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/* A started message (the rest of a reply, a handshake answer) that takes
 * longer than this kills the connection: a server may think before it
 * answers, but not stop half way. */
#define NBD_STALL_MS 30000

/* The largest request payload we send or accept, whatever the server
 * allows: 32 MiB, what servers commonly take. */
#define NBD_MAX_PAYLOAD (32u << 20)

/* The exported device, as negotiated. */
typedef struct NbdExport {
    uint64_t size;
    uint16_t flags;             /* NBD_TFLAG_* */
    uint32_t min_block;         /* 1 unless the server said */
    uint32_t pref_block;
    uint32_t max_block;         /* capped at NBD_MAX_PAYLOAD */
    bool structured;            /* structured replies negotiated */
    bool has_allocation;        /* base:allocation negotiated */
    uint32_t allocation_id;     /* its context id */
} NbdExport;

typedef struct NbdReq NbdReq;

typedef struct NbdConn {
    int fd;
    NbdExport exp;
    GMutex send_lock;           /* one request on the wire at a time */
    GMutex lock;                /* the rest below */
    GHashTable *inflight;       /* handle -> NbdReq * */
    uint64_t next_handle;
    bool dead;                  /* no request may start any more */
    bool closing;               /* nbd_conn_close: not worth a warning */
    NbdReq *busy;               /* the request the reader is filling */
    char *error;                /* why it died (first reason) */
    GThread *reader;
    /* Called once, on the reader thread, with the reason the connection
     * died (not for an orderly close). */
    void (*on_dead)(void *opaque, const char *why);
    void *opaque;
} NbdConn;

struct NbdReq {
    /* what to send */
    uint16_t type;              /* NBD_CMD_* */
    uint16_t flags;             /* NBD_CMD_FLAG_* */
    uint64_t offset;
    uint32_t length;
    /* READ: where the data goes; WRITE: where it comes from: `length`
     * bytes of iov starting `skip` bytes in. */
    const struct iovec *iov;
    int niov;
    size_t skip;
    /* BLOCK_STATUS: the first extent's length and NBD_STATE_* flags
     * (length 0: none came). */
    uint32_t extent_len;
    uint32_t extent_flags;
    /* the reader's bookkeeping */
    uint64_t handle;
    uint64_t received;          /* READ bytes covered so far */
    int ret;                    /* 0 or -errno, valid once done */
    bool done;
    GCond cond;
};

/* nbd-io.c: 0, or -errno (-EIO at end of stream, -ETIMEDOUT when
 * timeout_ms (-1: none) passes with no byte).  The write sends with
 * MSG_NOSIGNAL: a closed peer is -EPIPE, not a signal. */
int nbd_read_full(int fd, void *buf, size_t len, int timeout_ms);
int nbd_write_full(int fd, const void *buf, size_t len);
/* Read len bytes into iov starting `skip` bytes in. */
int nbd_read_iov(int fd, const struct iovec *iov, int niov, size_t skip,
                 size_t len, int timeout_ms);
int nbd_write_iov(int fd, const struct iovec *iov, int niov, size_t skip,
                  size_t len);
/* Read and drop len bytes. */
int nbd_read_discard(int fd, uint64_t len, int timeout_ms);

/* nbd-handshake.c: negotiate export `name` on conn->fd (connected),
 * filling conn->exp.  want_allocation: ask for base:allocation.  false
 * + errp (a one-line reason) if the server does not serve it. */
bool nbd_handshake(NbdConn *conn, const char *name, bool want_allocation,
                   GError **errp);

/* nbd-reply.c */
void nbd_conn_init(NbdConn *conn, int fd);
/* Start the reader thread (after the handshake). */
void nbd_conn_start_reader(NbdConn *conn);
/* Send req and wait for its reply: req->ret. */
int nbd_conn_request(NbdConn *conn, NbdReq *req);
/* Register and send req without waiting (the fuzz target reads the
 * replies itself): 0 or -errno. */
int nbd_conn_submit(NbdConn *conn, NbdReq *req);
/* Read and dispatch one reply or chunk: 0, or -EIO with conn->error set
 * (the caller then calls nbd_conn_kill). */
int nbd_conn_read_reply(NbdConn *conn);
/* Mark the connection dead: every waiting request fails with -EIO. */
void nbd_conn_kill(NbdConn *conn, const char *why);
/* NBD_CMD_DISC if alive, stop the reader, close the socket. */
void nbd_conn_close(NbdConn *conn);

/* nbd-uri.c: a filename (nbd://, nbd+tcp://, nbd+unix://, nbd:...) to
 * option pairs ("server.type", "inet", ...) added to opts. */
bool nbd_parse_filename(const char *filename, GHashTable *opts,
                        GError **errp);

/* An NBD error number to -errno. */
int nbd_errno_to_host(uint32_t err);

#endif
