/*
 * plugins/net-socket/socket-stream.c - the TCP half: listen= (one
 * connection at a time; accepting again once it closes), connect=, and
 * fd= of a stream socket.  Frames carry QEMU's 4-byte big-endian length.
 *
 * Flow control: when the peer keeps a frame of ours, we stop reading
 * the socket (what we read already waits in inbuf) until the sent
 * callback, so the backlog stays in the kernel and TCP slows the sender.
 * Towards the socket, a frame the kernel takes only in part is finished
 * from outbuf before the next one is taken (receive answers 0 meanwhile
 * and the core pauses whoever sends to us).
 */
#include "socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define INBUF_SIZE 65536

static bool accept_ready(int fd, GIOCondition cond, void *opaque);

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void stream_sent(TsNetClient *nc, ssize_t len);

static bool deliver_frame(const uint8_t *frame, size_t len, void *opaque)
{
    SocketNet *s = opaque;
    if (ts_net_send_buf(s->parent.client, frame, len, stream_sent) == 0) {
        s->read_paused = true;
        return false;
    }
    return true;
}

/* The connection is over (EOF, error, a bad length): back to listening
 * if we listen, else nothing more happens, as in QEMU. */
static void connection_closed(SocketNet *s)
{
    socket_read_watch(s, false);
    socket_write_watch(s, false);
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    s->in_off = s->in_len = 0;
    s->out_off = s->out_len = 0;
    s->read_paused = false;
    socket_framer_reset(&s->framer);
    ts_net_client_set_info(s->parent.client, "index=0,type=socket,");
    if (s->listen_fd >= 0 && !s->listen_watch) {
        s->listen_watch = ts_fd_watch_add(s->listen_fd, G_IO_IN,
                                          accept_ready, s);
    }
    /* Frames kept for us would wait for a connection that is gone; not
     * flushed from here, which may be inside our own receive. */
    ts_bh_schedule(s->flush_bh);
}

/* Hand over what inbuf holds; false if the connection had to close. */
static bool drain_inbuf(SocketNet *s)
{
    while (s->in_off < s->in_len && !s->read_paused) {
        uint32_t bad = 0;
        ssize_t n = socket_framer_feed(&s->framer, s->inbuf + s->in_off,
                                       s->in_len - s->in_off, deliver_frame,
                                       s, &bad);
        if (n < 0) {
            fprintf(stderr, "%s: warning: -netdev socket,id=%s: frame "
                    "length %u is over the maximum (%u): closing the "
                    "connection\n", g_get_prgname() ? g_get_prgname()
                                                    : "tessera",
                    ts_netdev_id(&s->parent), bad,
                    (unsigned)TS_NET_FRAME_MAX);
            connection_closed(s);
            return false;
        }
        s->in_off += n;
    }
    if (s->in_off == s->in_len) {
        s->in_off = s->in_len = 0;
    }
    return true;
}

static void stream_sent(TsNetClient *nc, ssize_t len)
{
    SocketNet *s = ts_net_client_opaque(nc);
    if (s->fd < 0) {
        return;
    }
    s->read_paused = false;
    if (drain_inbuf(s) && !s->read_paused) {
        socket_read_watch(s, true);
    }
}

bool socket_stream_readable(int fd, GIOCondition cond, void *opaque)
{
    SocketNet *s = opaque;
    /* While we run, the watch is not ours to remove: returning false
     * does it.  Put it back only if reading goes on. */
    TsFdWatch *self = s->read_watch;
    s->read_watch = NULL;
    for (int i = 0; i < SOCKET_BATCH && !s->read_paused; i++) {
        ssize_t n = read(s->fd, s->inbuf, INBUF_SIZE);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (n <= 0) {
            connection_closed(s);
            return false;
        }
        s->in_off = 0;
        s->in_len = n;
        if (!drain_inbuf(s)) {
            return false;               /* closed */
        }
    }
    if (s->read_paused) {
        return false;                   /* until stream_sent */
    }
    s->read_watch = self;
    return true;
}

void socket_stream_start(SocketNet *s, int fd)
{
    set_nonblock(fd);
    s->fd = fd;
    s->is_stream = true;
    if (!s->inbuf) {
        s->inbuf = g_malloc(INBUF_SIZE);
        s->outbuf = g_malloc(TS_NET_FRAME_MAX + 4);
        socket_framer_init(&s->framer, TS_NET_FRAME_MAX);
    }
    socket_read_watch(s, true);
    ts_net_flush(s->parent.client);
}

static bool accept_ready(int fd, GIOCondition cond, void *opaque)
{
    SocketNet *s = opaque;
    struct sockaddr_in peer;
    socklen_t plen = sizeof(peer);
    int c = accept(s->listen_fd, (struct sockaddr *)&peer, &plen);
    if (c < 0) {
        return true;
    }
    /* One connection at a time: stop accepting until it closes. */
    s->listen_watch = NULL;
    g_autofree char *addr = socket_addr_string(&peer);
    ts_net_client_set_info(s->parent.client,
                           "index=0,type=socket,socket: connection from %s",
                           addr);
    socket_stream_start(s, c);
    return false;
}

bool socket_stream_listen(SocketNet *s, GError **errp)
{
    struct sockaddr_in sa;
    if (!socket_parse_host_port(&sa, s->listen, errp)) {
        return false;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "can't create stream "
                    "socket: %s", g_strerror(errno));
        return false;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    s->listen_fd = fd;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof(ip));
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "can't bind ip=%s to socket: %s", ip, g_strerror(errno));
        return false;
    }
    if (listen(fd, 0) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "can't listen on socket: %s", g_strerror(errno));
        return false;
    }
    set_nonblock(fd);
    s->listen_watch = ts_fd_watch_add(fd, G_IO_IN, accept_ready, s);
    return true;
}

bool socket_stream_connect(SocketNet *s, GError **errp)
{
    struct sockaddr_in sa;
    if (!socket_parse_host_port(&sa, s->connect, errp)) {
        return false;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "can't create stream "
                    "socket: %s", g_strerror(errno));
        return false;
    }
    /* Non-blocking, as QEMU: a peer that is not there yet (or refuses)
     * is not a start-up error; the connection just ends. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
        errno != EINPROGRESS && errno != EINTR && errno != ECONNREFUSED) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "can't connect socket: %s", g_strerror(errno));
        close(fd);
        return false;
    }
    g_autofree char *addr = socket_addr_string(&sa);
    socket_stream_start(s, fd);
    ts_net_client_set_info(s->parent.client,
                           "index=0,type=socket,socket: connect to %s", addr);
    return true;
}

/* Write what outbuf holds; true once it is empty. */
static bool flush_outbuf(SocketNet *s)
{
    while (s->out_off < s->out_len) {
        ssize_t n = write(s->fd, s->outbuf + s->out_off,
                          s->out_len - s->out_off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return false;
        }
        if (n <= 0) {
            connection_closed(s);
            return true;
        }
        s->out_off += n;
    }
    s->out_off = s->out_len = 0;
    return true;
}

bool socket_stream_writable(int fd, GIOCondition cond, void *opaque)
{
    SocketNet *s = opaque;
    if (!flush_outbuf(s)) {
        return true;
    }
    s->write_watch = NULL;
    ts_net_flush(s->parent.client);
    return false;
}

ssize_t socket_stream_receive(SocketNet *s, const struct iovec *iov,
                              int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    if (s->fd < 0) {
        return len;                     /* nobody connected: dropped */
    }
    if (s->out_len) {
        return 0;                       /* finish the last frame first */
    }
    uint8_t hdr[4];
    socket_framer_header(len, hdr);
    struct iovec v[1 + 64];
    int n = 0;
    v[n++] = (struct iovec){ hdr, 4 };
    for (int i = 0; i < iovcnt && n < (int)G_N_ELEMENTS(v); i++) {
        v[n++] = iov[i];
    }
    ssize_t w;
    do {
        w = writev(s->fd, v, n);
    } while (w < 0 && errno == EINTR);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        connection_closed(s);
        return len;
    }
    size_t done = w < 0 ? 0 : (size_t)w;
    if (done == len + 4) {
        return len;
    }
    /* Keep the rest: the frame is ours now, the stream must stay whole. */
    size_t off = 0;
    s->out_len = 0;
    for (int i = 0; i < n; i++) {
        const uint8_t *b = v[i].iov_base;
        for (size_t j = 0; j < v[i].iov_len; j++, off++) {
            if (off >= done) {
                s->outbuf[s->out_len++] = b[j];
            }
        }
    }
    s->out_off = 0;
    socket_write_watch(s, true);
    return len;
}

void socket_stream_close(SocketNet *s)
{
    socket_framer_destroy(&s->framer);
    g_clear_pointer(&s->inbuf, g_free);
    g_clear_pointer(&s->outbuf, g_free);
}
