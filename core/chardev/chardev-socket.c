/*
 * chardev-socket.c - stream sockets: TCP (host=, port=) and unix (path=),
 * as server (server=on, one client at a time) or client (reconnect=N
 * retries every N seconds), optionally speaking telnet (telnet=on).
 *
 * A server with wait=on (the default, as in QEMU) blocks start-up until
 * the first client connects; wait=off starts at once and accepts clients
 * from the main loop.
 */
#include "chardev-internal.h"
#include "util/signal-cleanup.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

/* Telnet protocol bytes (RFC 854/857/858). */
enum {
    TN_SE = 240, TN_BRK = 243, TN_SB = 250, TN_WILL = 251, TN_WONT = 252,
    TN_DO = 253, TN_DONT = 254, TN_IAC = 255,
    TN_OPT_ECHO = 1, TN_OPT_SGA = 3,
};

typedef enum TelnetState {
    TS_DATA, TS_CR, TS_IAC, TS_OPTION, TS_SUB, TS_SUB_IAC,
} TelnetState;

typedef struct SocketState {
    bool server, wait, nodelay, telnet, is_unix;
    uint64_t reconnect_s;
    char *host, *port, *path;
    bool ipv4, ipv6;

    int listen_fd;
    TsFdWatch *listen_watch;
    int local_port;
    bool unlink_path;        /* we created the unix socket file */
    int cleanup_slot;        /* ...and a signal at start-up removes it */
    struct stat path_st;     /* it, to leave one another process made */

    int conn_fd;
    int connecting_fd;       /* client: non-blocking connect in progress */
    TsFdWatch *connect_watch;
    TsTimer *reconnect_timer;

    char *where;             /* "tcp:host:port,server=on" */
    TelnetState tn;
} SocketState;

static void socket_describe(TsChardev *chr, const char *peer)
{
    SocketState *s = chr->be_state;
    g_free(chr->filename);
    if (peer) {
        chr->filename = g_strdup_printf("%s <-> %s", s->where, peer);
    } else {
        chr->filename = g_strdup_printf("disconnected:%s", s->where);
    }
}

static char *peer_name(int fd, bool is_unix)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (is_unix) {
        return g_strdup("unix client");
    }
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0 ||
        getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv,
                    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return g_strdup("?");
    }
    return g_strdup_printf("%s:%s", host, serv);
}

static void start_listening(TsChardev *chr);
static void schedule_reconnect(TsChardev *chr);

static void connection_up(TsChardev *chr, int fd)
{
    SocketState *s = chr->be_state;
    s->conn_fd = fd;
    chardev_fd_setup(fd);
    if (!s->is_unix && s->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    g_autofree char *peer = peer_name(fd, s->is_unix);
    socket_describe(chr, peer);
    chardev_io_start(chr, fd, fd);
    if (s->telnet) {
        /* Ask the client to let us echo and to stop line buffering, so
         * each key reaches the guest as it is typed. */
        static const uint8_t hello[] = {
            TN_IAC, TN_WILL, TN_OPT_ECHO, TN_IAC, TN_WILL, TN_OPT_SGA,
        };
        s->tn = TS_DATA;
        chardev_write_fd(chr, hello, sizeof(hello));
    }
    chardev_set_open(chr, true);
}

static void connection_down(TsChardev *chr)
{
    SocketState *s = chr->be_state;
    chardev_io_stop(chr);
    if (s->conn_fd >= 0) {
        close(s->conn_fd);
        s->conn_fd = -1;
    }
    socket_describe(chr, NULL);
    chardev_set_open(chr, false);
    if (s->server) {
        start_listening(chr);
    } else if (s->reconnect_s) {
        schedule_reconnect(chr);
    }
}

static bool accept_ready(int fd, GIOCondition cond, void *opaque)
{
    TsChardev *chr = opaque;
    SocketState *s = chr->be_state;
    int c = accept(fd, NULL, NULL);
    if (c < 0) {
        return true;    /* EAGAIN, or the client gave up already */
    }
    /* One client at a time: later ones wait in the backlog. */
    s->listen_watch = NULL;
    connection_up(chr, c);
    return false;
}

static void start_listening(TsChardev *chr)
{
    SocketState *s = chr->be_state;
    if (s->listen_fd >= 0 && !s->listen_watch) {
        s->listen_watch = ts_fd_watch_add(s->listen_fd, G_IO_IN,
                                          accept_ready, chr);
    }
}

static bool fill_unix_addr(TsChardev *chr, struct sockaddr_un *sun,
                           GError **errp)
{
    SocketState *s = chr->be_state;
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(s->path) >= sizeof(sun->sun_path)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': UNIX socket path '%s' is too long "
                    "(at most %zu bytes)", chr->id, s->path,
                    sizeof(sun->sun_path) - 1);
        return false;
    }
    strcpy(sun->sun_path, s->path);
    return true;
}

static struct addrinfo *resolve(TsChardev *chr, bool passive, GError **errp)
{
    SocketState *s = chr->be_state;
    struct addrinfo hints = {
        .ai_family = s->ipv4 && !s->ipv6 ? AF_INET
                   : s->ipv6 && !s->ipv4 ? AF_INET6 : AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = passive ? AI_PASSIVE : 0,
    };
    const char *host = s->host && *s->host ? s->host
                     : passive ? NULL : "localhost";
    struct addrinfo *res = NULL;
    int r = getaddrinfo(host, s->port, &hints, &res);
    if (r != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': address resolution failed for %s:%s: %s",
                    chr->id, host ? host : "", s->port, gai_strerror(r));
        return NULL;
    }
    return res;
}

static bool listen_open(TsChardev *chr, GError **errp)
{
    SocketState *s = chr->be_state;
    int err = 0;

    if (s->is_unix) {
        struct sockaddr_un sun;
        struct stat st;
        if (!fill_unix_addr(chr, &sun, errp)) {
            return false;
        }
        /* A socket left by an earlier run would make bind fail; anything
         * that is not a socket is the user's file and stays. */
        if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
            unlink(s->path);
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
            listen(fd, 1) == 0) {
            s->listen_fd = fd;
            s->unlink_path = lstat(s->path, &s->path_st) == 0;
            s->cleanup_slot = s->unlink_path
                              ? signal_cleanup_add_path(s->path) : -1;
        } else {
            err = errno;
            if (fd >= 0) {
                close(fd);
            }
        }
    } else {
        struct addrinfo *res = resolve(chr, true, errp);
        if (!res) {
            return false;
        }
        for (struct addrinfo *ai = res; ai && s->listen_fd < 0;
             ai = ai->ai_next) {
            int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                            ai->ai_protocol);
            int one = 1;
            if (fd < 0) {
                err = errno;
                continue;
            }
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                listen(fd, 1) == 0) {
                s->listen_fd = fd;
            } else {
                err = errno;
                close(fd);
            }
        }
        freeaddrinfo(res);
    }
    if (s->listen_fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "chardev '%s': Failed to bind socket to %s: %s", chr->id,
                    s->where, g_strerror(err));
        return false;
    }
    chardev_fd_setup(s->listen_fd);
    if (!s->is_unix) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char serv[NI_MAXSERV];
        if (getsockname(s->listen_fd, (struct sockaddr *)&ss, &len) == 0 &&
            getnameinfo((struct sockaddr *)&ss, len, NULL, 0, serv,
                        sizeof(serv), NI_NUMERICSERV) == 0) {
            s->local_port = atoi(serv);
            g_free(s->where);
            s->where = g_strdup_printf("tcp:%s:%d,server=on",
                                       s->host ? s->host : "",
                                       s->local_port);
        }
    }
    socket_describe(chr, NULL);
    return true;
}

/* Blocking wait for the first client (wait=on). */
static bool wait_for_client(TsChardev *chr, GError **errp)
{
    SocketState *s = chr->be_state;
    chardev_report("tessera: waiting for connection on: %s\n",
                   chr->filename);
    for (;;) {
        struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };
        if (poll(&p, 1, -1) < 0 && errno != EINTR) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "chardev '%s': waiting for a client failed: %s",
                        chr->id, g_strerror(errno));
            return false;
        }
        int c = accept(s->listen_fd, NULL, NULL);
        if (c >= 0) {
            connection_up(chr, c);
            return true;
        }
    }
}

/* Start a connect; returns the socket (connected or in progress) or -1
 * with errno set. */
static int connect_start(TsChardev *chr, bool blocking, bool *in_progress,
                         GError **errp)
{
    SocketState *s = chr->be_state;
    int flags = SOCK_STREAM | SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK);
    *in_progress = false;
    if (s->is_unix) {
        struct sockaddr_un sun;
        if (!fill_unix_addr(chr, &sun, errp)) {
            return -1;
        }
        int fd = socket(AF_UNIX, flags, 0);
        if (fd < 0) {
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            return fd;
        }
        if (errno == EINPROGRESS) {
            *in_progress = true;
            return fd;
        }
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    struct addrinfo *res = resolve(chr, false, errp);
    int fd = -1, e = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | (flags & ~SOCK_STREAM),
                    ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        if (errno == EINPROGRESS) {
            *in_progress = true;
            break;
        }
        e = errno;
        close(fd);
        fd = -1;
    }
    if (res) {
        freeaddrinfo(res);
    }
    errno = e;
    return fd;
}

static bool connect_done(int fd, GIOCondition cond, void *opaque)
{
    TsChardev *chr = opaque;
    SocketState *s = chr->be_state;
    int err = 0;
    socklen_t len = sizeof(err);
    s->connect_watch = NULL;
    s->connecting_fd = -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
        close(fd);
        schedule_reconnect(chr);
    } else {
        connection_up(chr, fd);
    }
    return false;
}

static void reconnect_now(void *opaque)
{
    TsChardev *chr = opaque;
    SocketState *s = chr->be_state;
    bool in_progress;
    if (s->conn_fd >= 0 || s->connecting_fd >= 0) {
        return;
    }
    int fd = connect_start(chr, false, &in_progress, NULL);
    if (fd < 0) {
        schedule_reconnect(chr);
    } else if (in_progress) {
        s->connecting_fd = fd;
        s->connect_watch = ts_fd_watch_add(fd, G_IO_OUT | G_IO_ERR | G_IO_HUP,
                                           connect_done, chr);
    } else {
        connection_up(chr, fd);
    }
}

static void schedule_reconnect(TsChardev *chr)
{
    SocketState *s = chr->be_state;
    if (!s->reconnect_timer) {
        s->reconnect_timer = ts_timer_new(TS_CLOCK_HOST, reconnect_now, chr);
    }
    ts_timer_mod(s->reconnect_timer, ts_clock_get_ns(TS_CLOCK_HOST) +
                 (int64_t)s->reconnect_s * 1000000000);
}

static bool refuse_option(TsChardev *chr, ChardevOpts *opts, const char *key,
                          GError **errp)
{
    bool on = false;
    if (!chardev_opts_has(opts, key)) {
        return true;
    }
    if (chardev_opts_get_bool(opts, key, false, &on, NULL) && !on) {
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                "chardev '%s': socket option '%s' is not supported yet",
                chr->id, key);
    return false;
}

static bool socket_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    SocketState *s = g_new0(SocketState, 1);
    s->listen_fd = s->conn_fd = s->connecting_fd = -1;
    chr->be_state = s;

    const char *path = chardev_opts_get(opts, "path");
    const char *host = chardev_opts_get(opts, "host");
    const char *port = chardev_opts_get(opts, "port");
    if (!chardev_opts_get_bool(opts, "server", false, &s->server, errp) ||
        !chardev_opts_get_bool(opts, "wait", true, &s->wait, errp) ||
        !chardev_opts_get_bool(opts, "nodelay", false, &s->nodelay, errp) ||
        !chardev_opts_get_bool(opts, "telnet", false, &s->telnet, errp) ||
        !chardev_opts_get_bool(opts, "ipv4", false, &s->ipv4, errp) ||
        !chardev_opts_get_bool(opts, "ipv6", false, &s->ipv6, errp) ||
        !chardev_opts_get_uint(opts, "reconnect", 0, &s->reconnect_s, errp) ||
        !refuse_option(chr, opts, "websocket", errp) ||
        !refuse_option(chr, opts, "tn3270", errp) ||
        !refuse_option(chr, opts, "abstract", errp) ||
        !refuse_option(chr, opts, "tls-creds", errp) ||
        !refuse_option(chr, opts, "fd", errp) ||
        !refuse_option(chr, opts, "to", errp)) {
        return false;
    }
    if (path && (host || port)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': give either path= (unix socket) or "
                    "host=/port= (tcp), not both", chr->id);
        return false;
    }
    if (!path && !port) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': socket backend requires the option "
                    "'path' (unix socket) or 'port' (tcp)", chr->id);
        return false;
    }
    if (s->server && s->reconnect_s) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': 'reconnect' only works with server=off",
                    chr->id);
        return false;
    }
    if (s->reconnect_s > 24 * 3600) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': 'reconnect' is in seconds, at most a day",
                    chr->id);
        return false;
    }
    if (path) {
        if (!*path) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "chardev '%s': 'path' must not be empty", chr->id);
            return false;
        }
        s->is_unix = true;
        s->path = g_strdup(path);
        s->where = g_strdup_printf("unix:%s%s", path,
                                   s->server ? ",server=on" : "");
    } else {
        s->host = g_strdup(host ? host : "");
        s->port = g_strdup(port);
        s->where = g_strdup_printf("tcp:%s:%s%s", s->host, port,
                                   s->server ? ",server=on" : "");
    }
    socket_describe(chr, NULL);

    if (s->server) {
        if (!listen_open(chr, errp)) {
            return false;
        }
        if (s->wait) {
            return wait_for_client(chr, errp);
        }
        start_listening(chr);
        return true;
    }

    bool in_progress;
    int fd = connect_start(chr, true, &in_progress, errp);
    if (fd >= 0) {
        connection_up(chr, fd);
        return true;
    }
    if (errp && *errp) {
        return false;
    }
    if (s->reconnect_s) {
        /* The peer may come later; that is what reconnect is for. */
        schedule_reconnect(chr);
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                "chardev '%s': Failed to connect to '%s': %s", chr->id,
                s->is_unix ? s->path : s->where + 4, g_strerror(errno));
    return false;
}

static void socket_close(TsChardev *chr)
{
    SocketState *s = chr->be_state;
    chardev_io_stop(chr);
    if (!s) {
        return;
    }
    if (s->listen_watch) {
        ts_fd_watch_remove(s->listen_watch);
    }
    if (s->connect_watch) {
        ts_fd_watch_remove(s->connect_watch);
    }
    if (s->reconnect_timer) {
        ts_timer_del(s->reconnect_timer);
        ts_timer_free(s->reconnect_timer);
    }
    if (s->connecting_fd >= 0) {
        close(s->connecting_fd);
    }
    if (s->conn_fd >= 0) {
        close(s->conn_fd);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    if (s->unlink_path) {
        signal_cleanup_forget(s->cleanup_slot);
        /* A second instance on the same path replaced our socket with
         * its own (as QEMU does): that one is not ours to remove. */
        struct stat st;
        if (lstat(s->path, &st) == 0 && st.st_dev == s->path_st.st_dev &&
            st.st_ino == s->path_st.st_ino) {
            unlink(s->path);
        }
    }
    g_free(s->host);
    g_free(s->port);
    g_free(s->path);
    g_free(s->where);
    g_free(s);
    chr->be_state = NULL;
}

/* Telnet output: a data byte 255 must be sent as IAC IAC. */
static size_t socket_write(TsChardev *chr, const uint8_t *buf, size_t len)
{
    SocketState *s = chr->be_state;
    if (!s->telnet || !memchr(buf, TN_IAC, len)) {
        return chardev_write_fd(chr, buf, len);
    }
    g_autoptr(GByteArray) esc = g_byte_array_sized_new(len + 16);
    for (size_t i = 0; i < len; i++) {
        g_byte_array_append(esc, &buf[i], 1);
        if (buf[i] == TN_IAC) {
            g_byte_array_append(esc, &buf[i], 1);
        }
    }
    size_t took = chardev_write_fd(chr, esc->data, esc->len);
    return took == esc->len ? len : MIN(took, len);
}

/* Remove telnet commands from the input in place; BREAK becomes an event
 * (after the bytes that came before it). */
static size_t socket_filter(TsChardev *chr, uint8_t *buf, size_t len)
{
    SocketState *s = chr->be_state;
    size_t out = 0;
    if (!s->telnet) {
        return len;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        switch (s->tn) {
        case TS_CR:
            s->tn = TS_DATA;
            if (c == 0) {
                break;      /* CR NUL is a bare CR */
            }
            /* fall through */
        case TS_DATA:
            if (c == TN_IAC) {
                s->tn = TS_IAC;
            } else {
                buf[out++] = c;
                if (c == '\r') {
                    s->tn = TS_CR;
                }
            }
            break;
        case TS_IAC:
            s->tn = TS_DATA;
            if (c == TN_IAC) {
                buf[out++] = c;
            } else if (c >= TN_WILL) {
                s->tn = TS_OPTION;
            } else if (c == TN_SB) {
                s->tn = TS_SUB;
            } else if (c == TN_BRK) {
                chardev_deliver_input(chr, buf, out);
                out = 0;
                chardev_send_event(chr, TS_CHARDEV_EVENT_BREAK);
            }
            break;
        case TS_OPTION:
            s->tn = TS_DATA;
            break;
        case TS_SUB:
            if (c == TN_IAC) {
                s->tn = TS_SUB_IAC;
            }
            break;
        case TS_SUB_IAC:
            s->tn = c == TN_SE ? TS_DATA : TS_SUB;
            break;
        }
    }
    return out;
}

int chardev_socket_local_port(const TsChardev *chr)
{
    if (!chr || chr->be != &chardev_socket_backend) {
        return -1;
    }
    SocketState *s = chr->be_state;
    return s->server && !s->is_unix ? s->local_port : -1;
}

const ChardevBackend chardev_socket_backend = {
    .name = "socket",
    .description = "tcp (host=,port=) or unix (path=) socket; server=, "
                   "wait=, nodelay=, reconnect=, telnet=",
    .open = socket_open,
    .close = socket_close,
    .write = socket_write,
    .filter_input = socket_filter,
    .hangup = connection_down,
    .is_socket = true,
};
