/*
 * plugins/net-socket/socket.c - QEMU's `-netdev socket`: frames over a
 * TCP stream (listen=, connect=, fd=), UDP (udp= with localaddr=) or a
 * multicast group (mcast=[,localaddr=]).  This file holds the options,
 * their checks in QEMU's words, and the client hooks; the stream and
 * datagram halves are in their own files.
 */
#include "socket.h"

#include <tessera/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static const TsProperty socket_options[] = {
    TS_PROP_STRING("listen", SocketNet, listen, NULL,
                   "[host]:port to accept one TCP connection on"),
    TS_PROP_STRING("connect", SocketNet, connect, NULL,
                   "host:port to connect to over TCP"),
    TS_PROP_STRING("mcast", SocketNet, mcast, NULL,
                   "maddr:port of a UDP multicast group to join"),
    TS_PROP_STRING("udp", SocketNet, udp, NULL,
                   "host:port to send UDP datagrams to"),
    TS_PROP_STRING("localaddr", SocketNet, localaddr, NULL,
                   "udp=: host:port to bind; mcast=: the interface address"),
    TS_PROP_STRING("fd", SocketNet, fd_opt, NULL,
                   "an open socket (stream or datagram) to use"),
    TS_PROP_END
};

static bool fd_readable(int fd, GIOCondition cond, void *opaque);

void socket_read_watch(SocketNet *s, bool on)
{
    if (on && !s->read_watch && !s->read_paused && s->fd >= 0) {
        s->read_watch = ts_fd_watch_add(s->fd, G_IO_IN, fd_readable, s);
    } else if (!on && s->read_watch) {
        ts_fd_watch_remove(s->read_watch);
        s->read_watch = NULL;
    }
}

void socket_write_watch(SocketNet *s, bool on)
{
    if (on && !s->write_watch && s->fd >= 0) {
        s->write_watch = ts_fd_watch_add(s->fd, G_IO_OUT,
                                         socket_stream_writable, s);
    } else if (!on && s->write_watch) {
        ts_fd_watch_remove(s->write_watch);
        s->write_watch = NULL;
    }
}

/* One watch, whichever half the socket is. */
static bool fd_readable(int fd, GIOCondition cond, void *opaque)
{
    SocketNet *s = opaque;
    return s->is_stream ? socket_stream_readable(fd, cond, opaque)
                        : socket_dgram_readable(fd, cond, opaque);
}

static bool socket_can_receive(TsNetClient *nc)
{
    SocketNet *s = ts_net_client_opaque(nc);
    return !s->out_len && !s->write_watch;
}

static ssize_t socket_receive(TsNetClient *nc, const struct iovec *iov,
                              int iovcnt)
{
    SocketNet *s = ts_net_client_opaque(nc);
    if (s->fd < 0) {
        size_t len = 0;
        for (int i = 0; i < iovcnt; i++) {
            len += iov[i].iov_len;
        }
        return len ? (ssize_t)len : 1;  /* nobody there: dropped */
    }
    return s->is_stream ? socket_stream_receive(s, iov, iovcnt)
                        : socket_dgram_receive(s, iov, iovcnt);
}

static const TsNetClientOps socket_client_ops = {
    .can_receive = socket_can_receive,
    .receive = socket_receive,
};

static void flush_bh(void *opaque)
{
    SocketNet *s = opaque;
    ts_net_flush(s->parent.client);
}

/* fd=N: a socket the caller opened; its type says which half. */
static bool open_fd(SocketNet *s, GError **errp)
{
    char *end;
    errno = 0;
    long fd = strtol(s->fd_opt, &end, 10);
    if (!*s->fd_opt || *end || errno || fd < 0 || fd > INT32_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid file descriptor number '%s'", s->fd_opt);
        return false;
    }
    int type;
    socklen_t tlen = sizeof(type);
    if (fcntl(fd, F_GETFD) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "%s: Can't use file descriptor %ld: %s",
                    ts_netdev_id(&s->parent), fd, g_strerror(errno));
        return false;
    }
    if (type == SOCK_STREAM) {
        socket_stream_start(s, fd);
    } else if (type == SOCK_DGRAM) {
        socket_dgram_start(s, fd);
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "socket type=%d for fd=%ld must be either SOCK_DGRAM "
                    "or SOCK_STREAM", type, fd);
        return false;
    }
    ts_net_client_set_info(s->parent.client,
                           "index=0,type=socket,socket: fd=%ld", fd);
    return true;
}

static bool socket_open(TsNetdev *nd, GError **errp)
{
    SocketNet *s = (SocketNet *)nd;
    s->fd = -1;
    s->listen_fd = -1;
    s->flush_bh = ts_bh_new("net-socket-flush", flush_bh, s);
    int modes = !!s->fd_opt + !!s->listen + !!s->connect + !!s->mcast +
                !!s->udp;
    if (modes != 1) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "exactly one of listen=, connect=, mcast= or udp= is "
                    "required");
        return false;
    }
    if (s->localaddr && !s->mcast && !s->udp) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "localaddr= is only valid with mcast= or udp=");
        return false;
    }
    if (s->udp && !s->localaddr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "localaddr= is mandatory with udp=");
        return false;
    }
    if (s->fd_opt) {
        return open_fd(s, errp);
    }
    if (s->listen) {
        return socket_stream_listen(s, errp);
    }
    if (s->connect) {
        return socket_stream_connect(s, errp);
    }
    if (s->mcast) {
        return socket_dgram_mcast(s, errp);
    }
    return socket_dgram_udp(s, errp);
}

static void socket_close(TsNetdev *nd)
{
    SocketNet *s = (SocketNet *)nd;
    socket_read_watch(s, false);
    socket_write_watch(s, false);
    if (s->listen_watch) {
        ts_fd_watch_remove(s->listen_watch);
        s->listen_watch = NULL;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    if (s->flush_bh) {
        ts_bh_free(s->flush_bh);
        s->flush_bh = NULL;
    }
    socket_stream_close(s);
    g_clear_pointer(&s->dgram_buf, g_free);
}

static const TsNetdevDriver socket_driver = {
    .name = "socket",
    .description = "frames over a TCP stream, UDP or a multicast group",
    .instance_size = sizeof(SocketNet),
    .options = socket_options,
    .ops = &socket_client_ops,
    .open = socket_open,
    .close = socket_close,
};

static bool net_socket_init(GError **errp)
{
    return ts_netdev_driver_register(&socket_driver, errp);
}

TS_PLUGIN("net-socket", "network backend over host sockets (-netdev socket)",
          net_socket_init);
