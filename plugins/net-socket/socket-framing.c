/*
 * plugins/net-socket/socket-framing.c - reading and writing the 4-byte
 * big-endian length prefix of frames on a TCP stream (see the header).
 * Memory is bounded by one frame: a prefix over the maximum is an error,
 * never an allocation.
 */
#include "socket-framing.h"

#include <stdlib.h>
#include <string.h>

void socket_framer_init(SocketFramer *f, size_t max)
{
    memset(f, 0, sizeof(*f));
    f->max = max;
    f->buf = malloc(max ? max : 1);
}

void socket_framer_reset(SocketFramer *f)
{
    f->hdr_have = 0;
    f->want = 0;
    f->have = 0;
}

void socket_framer_destroy(SocketFramer *f)
{
    free(f->buf);
    f->buf = NULL;
}

void socket_framer_header(uint32_t len, uint8_t out[4])
{
    out[0] = len >> 24;
    out[1] = len >> 16;
    out[2] = len >> 8;
    out[3] = len;
}

ssize_t socket_framer_feed(SocketFramer *f, const uint8_t *data, size_t len,
                           SocketFrameFn fn, void *opaque,
                           uint32_t *bad_len)
{
    size_t off = 0;
    while (off < len) {
        if (f->hdr_have < 4) {
            f->hdr[f->hdr_have++] = data[off++];
            if (f->hdr_have < 4) {
                continue;
            }
            f->want = (uint32_t)f->hdr[0] << 24 | (uint32_t)f->hdr[1] << 16 |
                      (uint32_t)f->hdr[2] << 8 | f->hdr[3];
            f->have = 0;
            if (f->want > f->max) {
                *bad_len = f->want;
                return -1;
            }
            if (f->want == 0) {
                f->hdr_have = 0;        /* nothing to deliver */
                continue;
            }
        }
        size_t take = f->want - f->have;
        if (take > len - off) {
            take = len - off;
        }
        memcpy(f->buf + f->have, data + off, take);
        f->have += take;
        off += take;
        if (f->have == f->want) {
            f->hdr_have = 0;
            if (!fn(f->buf, f->want, opaque)) {
                break;
            }
        }
    }
    return off;
}
