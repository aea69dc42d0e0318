/*
 * plugins/blk-nbd/nbd-io.c - whole reads and writes on the NBD socket.
 * Reads wait with poll() so that a server that stops half way through a
 * message is given up on (NBD_STALL_MS) instead of holding a request
 * forever; shutdown() of the socket wakes a reader at once (close).
 */
#include "nbd-conn.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    for (;;) {
        int r = poll(&p, 1, timeout_ms);
        if (r > 0) {
            return 0;
        }
        if (r == 0) {
            return -ETIMEDOUT;
        }
        if (errno != EINTR) {
            return -errno;
        }
    }
}

int nbd_read_full(int fd, void *buf, size_t len, int timeout_ms)
{
    uint8_t *p = buf;
    while (len) {
        int r = wait_readable(fd, timeout_ms);
        if (r < 0) {
            return r;
        }
        ssize_t n = recv(fd, p, len, 0);
        if (n == 0) {
            return -EIO;        /* the server closed the connection */
        }
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int nbd_write_full(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Call fn on each piece of [skip, skip + len) of the vector. */
static int for_each_piece(const struct iovec *iov, int niov, size_t skip,
                          size_t len, int (*fn)(int fd, void *base,
                                                size_t n, int timeout_ms),
                          int fd, int timeout_ms)
{
    for (int i = 0; i < niov && len; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        size_t n = MIN(iov[i].iov_len - skip, len);
        int r = fn(fd, (uint8_t *)iov[i].iov_base + skip, n, timeout_ms);
        if (r < 0) {
            return r;
        }
        skip = 0;
        len -= n;
    }
    return len ? -EINVAL : 0;
}

static int write_piece(int fd, void *base, size_t n, int timeout_ms)
{
    return nbd_write_full(fd, base, n);
}

int nbd_read_iov(int fd, const struct iovec *iov, int niov, size_t skip,
                 size_t len, int timeout_ms)
{
    return for_each_piece(iov, niov, skip, len, nbd_read_full, fd,
                          timeout_ms);
}

int nbd_write_iov(int fd, const struct iovec *iov, int niov, size_t skip,
                  size_t len)
{
    return for_each_piece(iov, niov, skip, len, write_piece, fd, 0);
}

int nbd_read_discard(int fd, uint64_t len, int timeout_ms)
{
    uint8_t sink[4096];
    while (len) {
        size_t n = (size_t)MIN(len, sizeof(sink));
        int r = nbd_read_full(fd, sink, n, timeout_ms);
        if (r < 0) {
            return r;
        }
        len -= n;
    }
    return 0;
}
