/*
 * libFuzzer target: the NBD client's side of a connection
 * (plugins/blk-nbd's nbd-handshake.c and nbd-reply.c, compiled in) fed
 * a server's bytes through a socketpair.  The first input byte picks
 * the start: bit 0 skips the handshake (so that the fuzzer reaches the
 * replies without rebuilding a negotiation), bits 1 and 2 then say
 * whether structured replies and base:allocation count as negotiated.
 * The rest is what the server "sends"; the client then has four
 * requests in flight (read, block status, write, flush: handles 1 to 4)
 * and reads replies until the stream ends or breaks.
 *
 * Checked: no crash, leak or read/write outside a buffer; every request
 * completes (none is left waiting when the connection ends); a read that
 * succeeded over structured replies had its whole range covered; a
 * block status that succeeded reports an extent inside its range.
 */
#include "nbd-conn.h"
#include "nbd-proto.h"

#include <assert.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) {
        return 0;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        return 0;
    }
    /* The "server": everything at once, then end of stream.  What the
     * client writes stays unread in sv[1] (a few hundred bytes). */
    uint8_t mode = data[0];
    size_t off = 1;
    while (off < size) {
        ssize_t n = write(sv[1], data + off, size - off);
        if (n <= 0) {
            break;
        }
        off += (size_t)n;
    }
    shutdown(sv[1], SHUT_WR);

    NbdConn c;
    nbd_conn_init(&c, sv[0]);
    bool ok;
    if (mode & 1) {
        c.exp = (NbdExport){ .size = 1 << 20, .flags = 0xffff,
                             .min_block = 1, .pref_block = 4096,
                             .max_block = NBD_MAX_PAYLOAD,
                             .structured = mode & 2,
                             .has_allocation = mode & 4,
                             .allocation_id = 1 };
        ok = true;
    } else {
        GError *err = NULL;
        ok = nbd_handshake(&c, "exp", true, &err);
        if (!ok) {
            assert(err && err->message && !strchr(err->message, '\n'));
            g_error_free(err);
        }
    }
    if (ok) {
        static uint8_t rbuf[4096], wbuf[512];
        /* Two pieces, so that chunks land across an iovec boundary. */
        struct iovec riov[2] = { { rbuf, 1000 }, { rbuf + 1000, 3096 } };
        struct iovec wiov = { wbuf, sizeof(wbuf) };
        NbdReq reqs[4] = {
            { .type = NBD_CMD_READ, .offset = 0, .length = 4096,
              .iov = riov, .niov = 2 },
            { .type = NBD_CMD_BLOCK_STATUS, .flags = NBD_CMD_FLAG_REQ_ONE,
              .offset = 0, .length = 65536 },
            { .type = NBD_CMD_WRITE, .offset = 4096, .length = 512,
              .iov = &wiov, .niov = 1 },
            { .type = NBD_CMD_FLUSH },
        };
        for (int i = 0; i < 4; i++) {
            nbd_conn_submit(&c, &reqs[i]);
        }
        while (nbd_conn_read_reply(&c) == 0) {
        }
        for (int i = 0; i < 4; i++) {
            assert(reqs[i].done);
            g_cond_clear(&reqs[i].cond);
        }
        if (reqs[0].ret == 0 && c.exp.structured) {
            assert(reqs[0].received == 4096);
        }
        if (reqs[1].ret == 0) {
            assert(reqs[1].extent_len > 0 && reqs[1].extent_len <= 65536);
        }
    }
    c.closing = true;
    nbd_conn_close(&c);
    close(sv[1]);
    return 0;
}
