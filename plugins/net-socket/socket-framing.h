/*
 * plugins/net-socket/socket-framing.h - QEMU's framing of Ethernet frames
 * on a stream socket: each frame is preceded by its length as 4 bytes,
 * big-endian.  The reader is a pure function of the bytes it is fed (no
 * I/O), so the fuzzer can drive it with anything.
 */
#ifndef NET_SOCKET_FRAMING_H
#define NET_SOCKET_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct SocketFramer {
    uint8_t hdr[4];
    unsigned hdr_have;          /* bytes of the length read so far */
    uint32_t want;              /* the frame's length once hdr is full */
    size_t have;                /* bytes of the frame read so far */
    size_t max;                 /* longest frame accepted */
    uint8_t *buf;               /* max bytes */
} SocketFramer;

void socket_framer_init(SocketFramer *f, size_t max);
void socket_framer_reset(SocketFramer *f);
void socket_framer_destroy(SocketFramer *f);

/* A whole frame: return false to stop feeding after it (the peer
 * paused); the bytes after it are left unconsumed. */
typedef bool (*SocketFrameFn)(const uint8_t *frame, size_t len,
                              void *opaque);

/*
 * Feed len bytes: whole frames go to fn (empty frames are skipped).
 * Returns the bytes consumed (less than len only when fn said stop), or
 * -1 when a length prefix is larger than max (*bad_len says which): the
 * stream cannot be trusted any more.
 */
ssize_t socket_framer_feed(SocketFramer *f, const uint8_t *data, size_t len,
                           SocketFrameFn fn, void *opaque,
                           uint32_t *bad_len);

/* The 4-byte prefix for a frame of len bytes. */
void socket_framer_header(uint32_t len, uint8_t out[4]);

#endif
