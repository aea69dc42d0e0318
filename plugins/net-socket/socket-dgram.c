/*
 * plugins/net-socket/socket-dgram.c - the datagram half: udp= (to one
 * peer, from localaddr=), mcast= (a multicast group every member joins,
 * looped back so members on one host see each other), and fd= of a
 * datagram socket.  One frame per datagram, no framing.
 *
 * Flow control: while the peer keeps a frame of ours we stop reading;
 * the kernel's socket buffer holds (and past its size drops) the rest,
 * as a real network would.
 */
#include "socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void dgram_sent(TsNetClient *nc, ssize_t len);

bool socket_dgram_readable(int fd, GIOCondition cond, void *opaque)
{
    SocketNet *s = opaque;
    for (int i = 0; i < SOCKET_BATCH; i++) {
        ssize_t n = recv(s->fd, s->dgram_buf, TS_NET_FRAME_MAX, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return true;        /* EAGAIN, or an ICMP error: go on */
        }
        if (n == 0) {
            continue;
        }
        if (ts_net_send_buf(s->parent.client, s->dgram_buf, n,
                            dgram_sent) == 0) {
            s->read_paused = true;
            s->read_watch = NULL;
            return false;
        }
    }
    return true;
}

static void dgram_sent(TsNetClient *nc, ssize_t len)
{
    SocketNet *s = ts_net_client_opaque(nc);
    s->read_paused = false;
    socket_read_watch(s, true);
}

void socket_dgram_start(SocketNet *s, int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->fd = fd;
    s->is_stream = false;
    s->dgram_buf = g_malloc(TS_NET_FRAME_MAX);
    socket_read_watch(s, true);
}

static int dgram_socket(GError **errp)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "can't create datagram socket: %s", g_strerror(errno));
    }
    return fd;
}

bool socket_dgram_udp(SocketNet *s, GError **errp)
{
    struct sockaddr_in local;
    if (!socket_parse_host_port(&s->dgram_dst, s->udp, errp) ||
        !socket_parse_host_port(&local, s->localaddr, errp)) {
        return false;
    }
    s->has_dst = true;
    int fd = dgram_socket(errp);
    if (fd < 0) {
        return false;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &local.sin_addr, ip, sizeof(ip));
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "can't bind ip=%s to socket: %s", ip, g_strerror(errno));
        close(fd);
        return false;
    }
    socket_dgram_start(s, fd);
    g_autofree char *dst = socket_addr_string(&s->dgram_dst);
    ts_net_client_set_info(s->parent.client,
                           "index=0,type=socket,socket: udp=%s", dst);
    return true;
}

bool socket_dgram_mcast(SocketNet *s, GError **errp)
{
    if (!socket_parse_host_port(&s->dgram_dst, s->mcast, errp)) {
        return false;
    }
    if (!IN_MULTICAST(ntohl(s->dgram_dst.sin_addr.s_addr))) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &s->dgram_dst.sin_addr, ip, sizeof(ip));
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "specified mcastaddr %s (0x%08x) does not contain a "
                    "multicast address", ip,
                    ntohl(s->dgram_dst.sin_addr.s_addr));
        return false;
    }
    struct in_addr local = { .s_addr = htonl(INADDR_ANY) };
    if (s->localaddr && !inet_aton(s->localaddr, &local)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "localaddr '%s' is not a valid IPv4 address",
                    s->localaddr);
        return false;
    }
    s->has_dst = true;
    int fd = dgram_socket(errp);
    if (fd < 0) {
        return false;
    }
    /* Every member binds the group's port. */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in bind_addr = s->dgram_dst;
    if (bind(fd, (struct sockaddr *)&bind_addr, sizeof(bind_addr)) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "can't bind ip=%s to socket: %s",
                    inet_ntoa(bind_addr.sin_addr), g_strerror(errno));
        close(fd);
        return false;
    }
    struct ip_mreq mreq = { .imr_multiaddr = s->dgram_dst.sin_addr,
                            .imr_interface = local };
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
                   sizeof(mreq)) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "can't add socket to multicast group %s: %s",
                    inet_ntoa(s->dgram_dst.sin_addr), g_strerror(errno));
        close(fd);
        return false;
    }
    unsigned char loop = 1;
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
    if (s->localaddr) {
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &local, sizeof(local));
    }
    socket_dgram_start(s, fd);
    g_autofree char *dst = socket_addr_string(&s->dgram_dst);
    ts_net_client_set_info(s->parent.client,
                           "index=0,type=socket,socket: mcast=%s", dst);
    return true;
}

static bool dgram_writable(int fd, GIOCondition cond, void *opaque)
{
    SocketNet *s = opaque;
    s->write_watch = NULL;
    ts_net_flush(s->parent.client);
    return false;
}

ssize_t socket_dgram_receive(SocketNet *s, const struct iovec *iov,
                             int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++) {
        len += iov[i].iov_len;
    }
    struct msghdr msg = {
        .msg_iov = (struct iovec *)iov,
        .msg_iovlen = iovcnt,
        .msg_name = s->has_dst ? &s->dgram_dst : NULL,
        .msg_namelen = s->has_dst ? sizeof(s->dgram_dst) : 0,
    };
    ssize_t n;
    do {
        n = sendmsg(s->fd, &msg, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        /* The socket buffer is full: keep the frame, go on once it
         * drains. */
        if (!s->write_watch) {
            s->write_watch = ts_fd_watch_add(s->fd, G_IO_OUT,
                                             dgram_writable, s);
        }
        return 0;
    }
    return len;                 /* sent, or lost as on a real wire */
}
