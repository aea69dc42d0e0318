/*
 * plugins/net-socket/socket.h - what the files of net-socket share: the
 * backend instance, QEMU's host:port parsing, and the stream (TCP) and
 * datagram (UDP, multicast) halves.
 */
#ifndef NET_SOCKET_H
#define NET_SOCKET_H

#include <tessera/net.h>
#include <tessera/loop.h>
#include <tessera/types.h>

#include <netinet/in.h>

#include "socket-framing.h"

typedef struct SocketNet {
    TsNetdev parent;
    /* options */
    char *listen, *connect, *mcast, *udp, *localaddr, *fd_opt;

    int fd;                     /* the connection or datagram socket */
    int listen_fd;
    bool is_stream;
    TsFdWatch *read_watch, *write_watch, *listen_watch;
    TsBH *flush_bh;             /* ts_net_flush outside our receive */
    bool read_paused;           /* the peer keeps a frame of ours */

    /* stream: frames read but not yet handed over (a pause mid-read) */
    SocketFramer framer;
    uint8_t *inbuf;
    size_t in_off, in_len;
    /* stream: the rest of a frame the socket did not take at once */
    uint8_t *outbuf;
    size_t out_off, out_len;

    /* datagrams: where frames go (udp=, mcast=), or nowhere (fd=,
     * send() on a connected socket) */
    struct sockaddr_in dgram_dst;
    bool has_dst;
    uint8_t *dgram_buf;
} SocketNet;

/* QEMU's parse_host_port(): "[host]:port", host empty = any. */
bool socket_parse_host_port(struct sockaddr_in *sa, const char *text,
                            GError **errp);
char *socket_addr_string(const struct sockaddr_in *sa);

/* socket-stream.c */
bool socket_stream_listen(SocketNet *s, GError **errp);
bool socket_stream_connect(SocketNet *s, GError **errp);
void socket_stream_start(SocketNet *s, int fd);
ssize_t socket_stream_receive(SocketNet *s, const struct iovec *iov,
                              int iovcnt);
void socket_stream_close(SocketNet *s);
bool socket_stream_writable(int fd, GIOCondition cond, void *opaque);
bool socket_stream_readable(int fd, GIOCondition cond, void *opaque);

/* socket-dgram.c */
bool socket_dgram_udp(SocketNet *s, GError **errp);
bool socket_dgram_mcast(SocketNet *s, GError **errp);
void socket_dgram_start(SocketNet *s, int fd);
ssize_t socket_dgram_receive(SocketNet *s, const struct iovec *iov,
                             int iovcnt);
bool socket_dgram_readable(int fd, GIOCondition cond, void *opaque);

/* socket.c: stop or resume watching fd for input; write interest. */
void socket_read_watch(SocketNet *s, bool on);
void socket_write_watch(SocketNet *s, bool on);
/* Frames per wakeup before the loop gets a turn. */
#define SOCKET_BATCH 64

#endif
