/*
 * chardev-udp.c - datagrams: output goes to host=:port= (default host
 * localhost), input comes from that peer to localaddr=:localport= (default
 * any address, an ephemeral port).  Each datagram is delivered whole.
 */
#include "chardev-internal.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct UdpState {
    int fd;
} UdpState;

static struct addrinfo *udp_resolve(TsChardev *chr, const char *host,
                                    const char *port, int family, bool passive,
                                    GError **errp)
{
    struct addrinfo hints = {
        .ai_family = family,
        .ai_socktype = SOCK_DGRAM,
        .ai_flags = passive ? AI_PASSIVE : 0,
    };
    struct addrinfo *res = NULL;
    int r = getaddrinfo(host, port, &hints, &res);
    if (r != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': address resolution failed for %s:%s: %s",
                    chr->id, host ? host : "", port, gai_strerror(r));
        return NULL;
    }
    return res;
}

static bool udp_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    UdpState *s = g_new(UdpState, 1);
    s->fd = -1;
    chr->be_state = s;

    const char *host = chardev_opts_get(opts, "host");
    const char *port = chardev_opts_require(opts, "port", errp);
    const char *laddr = chardev_opts_get(opts, "localaddr");
    const char *lport = chardev_opts_get(opts, "localport");
    bool ipv4, ipv6;
    if (!port ||
        !chardev_opts_get_bool(opts, "ipv4", false, &ipv4, errp) ||
        !chardev_opts_get_bool(opts, "ipv6", false, &ipv6, errp)) {
        return false;
    }
    if (!host || !*host) {
        host = "localhost";
    }
    int family = ipv4 && !ipv6 ? AF_INET : ipv6 && !ipv4 ? AF_INET6 : AF_UNSPEC;
    struct addrinfo *remote = udp_resolve(chr, host, port, family, false, errp);
    if (!remote) {
        return false;
    }
    /* Bind in the remote's family so connect() cannot fail on a mismatch. */
    struct addrinfo *local = udp_resolve(chr, laddr && *laddr ? laddr : NULL,
                                         lport && *lport ? lport : "0",
                                         remote->ai_family, true, errp);
    if (!local) {
        freeaddrinfo(remote);
        return false;
    }
    int err = 0;
    const char *step = "create";
    s->fd = socket(remote->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        err = errno;
    } else if (bind(s->fd, local->ai_addr, local->ai_addrlen) < 0) {
        err = errno;
        step = "bind";
    } else if (connect(s->fd, remote->ai_addr, remote->ai_addrlen) < 0) {
        err = errno;
        step = "connect";
    }
    freeaddrinfo(remote);
    freeaddrinfo(local);
    if (err) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "chardev '%s': cannot %s udp socket (%s:%s from %s:%s): %s",
                    chr->id, step, host, port, laddr ? laddr : "",
                    lport ? lport : "0", g_strerror(err));
        return false;
    }
    chardev_fd_setup(s->fd);
    chr->filename = g_strdup_printf("udp:%s:%s@%s:%s", host, port,
                                    laddr ? laddr : "", lport ? lport : "0");
    chardev_io_start(chr, s->fd, s->fd);
    chr->open = true;
    return true;
}

static void udp_close(TsChardev *chr)
{
    UdpState *s = chr->be_state;
    chardev_io_stop(chr);
    if (s) {
        if (s->fd >= 0) {
            close(s->fd);
        }
        g_free(s);
        chr->be_state = NULL;
    }
}

/* A datagram socket has no connection to lose; errors are per packet. */
static void udp_hangup(TsChardev *chr)
{
    UdpState *s = chr->be_state;
    chardev_io_start(chr, s->fd, s->fd);
}

const ChardevBackend chardev_udp_backend = {
    .name = "udp",
    .description = "udp datagrams (host=, port=, localaddr=, localport=)",
    .open = udp_open,
    .close = udp_close,
    .hangup = udp_hangup,
    .is_socket = true,
};
