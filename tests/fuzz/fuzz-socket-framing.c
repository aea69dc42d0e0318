/*
 * libFuzzer target: a TCP stream from a -netdev socket peer, through the
 * length-prefix reader of plugins/net-socket (socket-framing.c, compiled
 * in).  The input is fed in chunks whose sizes come from its first bytes,
 * with the frame callback pausing now and then, as the backend does when
 * its peer keeps a frame: every frame handed over must be whole, no
 * longer than the maximum, and a refused length must stop the stream;
 * never a crash, a leak or a read past the input.
 */
#include "socket-framing.h"

#include <assert.h>
#include <string.h>

/* Small, so lengths over it are easy for the fuzzer to reach. */
#define MAX 2048

typedef struct Ctx {
    unsigned frames;
    size_t bytes;
    uint8_t pause_every;
} Ctx;

static bool on_frame(const uint8_t *frame, size_t len, void *opaque)
{
    Ctx *c = opaque;
    assert(len > 0 && len <= MAX);
    /* Touch every byte: ASan checks they are inside the buffer. */
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += frame[i];
    }
    (void)sum;
    c->frames++;
    c->bytes += len;
    return !c->pause_every || c->frames % c->pause_every;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    Ctx c = { .pause_every = data[0] & 7 };
    uint8_t chunk = data[1] ? data[1] : 1;
    data += 2;
    size -= 2;
    SocketFramer f;
    socket_framer_init(&f, MAX);
    size_t off = 0;
    while (off < size) {
        size_t n = size - off < chunk ? size - off : chunk;
        uint32_t bad = 0;
        ssize_t used = socket_framer_feed(&f, data + off, n, on_frame, &c,
                                          &bad);
        if (used < 0) {
            assert(bad > MAX);
            break;              /* the backend closes the connection */
        }
        assert((size_t)used <= n);
        /* A pause leaves bytes unconsumed: the backend feeds them again
         * once the peer took the frame; so do we. */
        off += used;
    }
    assert(c.bytes <= size);
    socket_framer_destroy(&f);
    return 0;
}
