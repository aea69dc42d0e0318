/*
 * core/nbd/nbd-server.c - the server's sockets: one listening socket
 * (inet or unix), the clients' sockets, and the bytes between them and
 * their connections (nbd-conn.c).  Everything runs on the main loop with
 * non-blocking sockets; the disk work runs on the block layer's workers,
 * so a slow disk or a silent client never holds up the guest.
 */
#define _GNU_SOURCE 1         /* accept4 */
#include "nbd-internal.h"

#include <tessera/loop.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Bytes read from a client at a time. */
#define NBD_READ_CHUNK (64 * 1024)

typedef struct NbdClient {
    int fd;
    NbdConn *conn;
    TsFdWatch *watch;
    GIOCondition cond;
    unsigned number;            /* for -v */
} NbdClient;

typedef struct NbdServer {
    int listen_fd;
    TsFdWatch *listen_watch;
    char *unix_path;            /* unlinked when the server stops */
    unsigned port;
    uint32_t max_connections;   /* 0: no limit */
    GPtrArray *clients;         /* NbdClient * */
    unsigned accepted;
} NbdServer;

static NbdServer *server;
static bool oneshot;
static void (*all_gone_cb)(void);
static bool verbose;

static void update_watch(NbdClient *cl);
static void listen_update(void);

bool nbd_server_running(void)
{
    return server != NULL;
}

unsigned nbd_server_port(void)
{
    return server ? server->port : 0;
}

void nbd_server_set_oneshot(bool on, void (*all_gone)(void))
{
    oneshot = on;
    all_gone_cb = all_gone;
}

void nbd_server_set_verbose(bool on)
{
    verbose = on;
}

/* ---- connection callbacks ----------------------------------------------- */

static NbdExport *conn_find(const char *name, void *opaque)
{
    return nbd_export_find_name(name);
}

static GPtrArray *conn_list(void *opaque)
{
    return g_ptr_array_ref(nbd_exports());
}

static void conn_wake(void *opaque)
{
    update_watch(opaque);
}

static const NbdConnOps conn_ops = {
    .find = conn_find,
    .list = conn_list,
    .wake = conn_wake,
};

/* ---- clients ------------------------------------------------------------ */

static void client_close(NbdClient *cl)
{
    if (verbose) {
        fprintf(stderr, "nbd: client %u gone%s%s\n", cl->number,
                cl->conn->close_reason ? ": " : "",
                cl->conn->close_reason ? cl->conn->close_reason : "");
    }
    ts_fd_watch_remove(cl->watch);
    close(cl->fd);
    g_ptr_array_remove(server->clients, cl);
    nbd_conn_close(cl->conn);
    g_free(cl);
    listen_update();
    if (oneshot && !server->clients->len && all_gone_cb) {
        all_gone_cb();
    }
}

static bool client_read(NbdClient *cl)
{
    static uint8_t buf[NBD_READ_CHUNK];
    ssize_t n = recv(cl->fd, buf, sizeof(buf), 0);
    if (n > 0) {
        nbd_conn_feed(cl->conn, buf, (size_t)n);
        return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return true;
    }
    /* The client went away; a request in flight is let finish unseen. */
    return false;
}

static bool client_write(NbdClient *cl)
{
    NbdConn *c = cl->conn;
    while (nbd_conn_pending(c)) {
        ssize_t n = send(cl->fd, c->out->data + c->out_sent,
                         nbd_conn_pending(c), MSG_NOSIGNAL);
        if (n < 0) {
            return errno == EAGAIN || errno == EINTR;
        }
        nbd_conn_sent(c, (size_t)n);
    }
    return true;
}

static bool client_ready(int fd, GIOCondition revents, void *opaque)
{
    NbdClient *cl = opaque;
    bool ok = true;
    if (revents & G_IO_OUT) {
        ok = client_write(cl);
    }
    if (ok && (revents & G_IO_IN) && nbd_conn_wants_input(cl->conn)) {
        ok = client_read(cl);
        if (ok) {
            ok = client_write(cl);      /* replies often fit at once */
        }
    } else if (ok && (revents & (G_IO_HUP | G_IO_ERR)) &&
               !(revents & G_IO_IN)) {
        ok = false;
    }
    if (!ok || nbd_conn_finished(cl->conn)) {
        client_close(cl);       /* removes this watch too */
        return false;
    }
    update_watch(cl);
    return true;
}

/* Watch what the connection wants now: input while it takes some,
 * output while replies wait (or to notice that it is done). */
static void update_watch(NbdClient *cl)
{
    GIOCondition cond = 0;
    if (nbd_conn_wants_input(cl->conn)) {
        cond |= G_IO_IN;
    }
    if (nbd_conn_pending(cl->conn) || nbd_conn_finished(cl->conn)) {
        cond |= G_IO_OUT;
    }
    if (cl->watch && cond == cl->cond) {
        return;
    }
    ts_fd_watch_remove(cl->watch);
    cl->watch = NULL;
    cl->cond = cond;
    if (cond) {
        cl->watch = ts_fd_watch_add(cl->fd, cond, client_ready, cl);
    }
}

static void client_new(int fd)
{
    NbdClient *cl = g_new0(NbdClient, 1);
    cl->fd = fd;
    cl->number = ++server->accepted;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    cl->conn = nbd_conn_new(&conn_ops, cl);
    g_ptr_array_add(server->clients, cl);
    if (verbose) {
        fprintf(stderr, "nbd: client %u connected\n", cl->number);
    }
    nbd_conn_start(cl->conn);
    listen_update();
}

void nbd_server_drop_clients(NbdExport *exp)
{
    if (!server) {
        return;
    }
    for (guint i = server->clients->len; i-- > 0;) {
        NbdClient *cl = g_ptr_array_index(server->clients, i);
        if (cl->conn->exp == exp) {
            g_free(cl->conn->close_reason);
            cl->conn->close_reason = g_strdup("export removed");
            client_close(cl);
            if (!server) {
                return;
            }
            i = MIN(i, server->clients->len);
        }
    }
}

/* ---- listening -------------------------------------------------------- */

static bool listen_ready(int fd, GIOCondition revents, void *opaque)
{
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c >= 0) {
        client_new(c);
    }
    return true;
}

/* Accept while under max-connections (clients over it wait in the
 * listen queue, as QEMU's do). */
static void listen_update(void)
{
    if (!server) {
        return;
    }
    bool want = !server->max_connections ||
                server->clients->len < server->max_connections;
    if (want && !server->listen_watch) {
        server->listen_watch = ts_fd_watch_add(server->listen_fd, G_IO_IN,
                                               listen_ready, NULL);
    } else if (!want && server->listen_watch) {
        ts_fd_watch_remove(server->listen_watch);
        server->listen_watch = NULL;
    }
}

static int listen_unix(const char *path, GError **errp)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sun.sun_path)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "UNIX socket path '%s' is too long", path);
        return -1;
    }
    strcpy(sun.sun_path, path);
    /* A socket left by an earlier run would make bind fail. */
    struct stat st;
    if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        listen(fd, 16) < 0) {
        int err = errno;
        if (fd >= 0) {
            close(fd);
        }
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Failed to bind socket to %s: %s", path,
                    g_strerror(err));
        return -1;
    }
    return fd;
}

static int listen_inet(const NbdListenAddr *a, unsigned *port, GError **errp)
{
    struct addrinfo hints = {
        .ai_family = a->ipv4 && !a->ipv6 ? AF_INET
                   : a->ipv6 && !a->ipv4 ? AF_INET6 : AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE,
    }, *res = NULL;
    const char *host = a->host && *a->host ? a->host : NULL;
    int r = getaddrinfo(host, a->port, &hints, &res);
    if (r) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "address resolution failed for %s:%s: %s",
                    host ? host : "", a->port, gai_strerror(r));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
            listen(fd, 16) < 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Failed to bind socket: %s", g_strerror(err));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        *port = ntohs(ss.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *)&ss)->sin6_port
                      : ((struct sockaddr_in *)&ss)->sin_port);
    }
    return fd;
}

bool nbd_server_start(const NbdListenAddr *addr, uint32_t max_connections,
                      GError **errp)
{
    if (server) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "NBD server already running");
        return false;
    }
    unsigned port = 0;
    int fd = addr->is_unix ? listen_unix(addr->path, errp)
                           : listen_inet(addr, &port, errp);
    if (fd < 0) {
        return false;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    server = g_new0(NbdServer, 1);
    server->listen_fd = fd;
    server->port = port;
    server->unix_path = addr->is_unix ? g_strdup(addr->path) : NULL;
    server->max_connections = max_connections;
    server->clients = g_ptr_array_new();
    listen_update();
    return true;
}

void nbd_server_stop(void)
{
    if (!server) {
        return;
    }
    /* Exports first: that drops their clients. */
    nbd_export_remove_all();
    while (server->clients->len) {
        client_close(g_ptr_array_index(server->clients, 0));
    }
    ts_fd_watch_remove(server->listen_watch);
    close(server->listen_fd);
    if (server->unix_path) {
        unlink(server->unix_path);
    }
    g_ptr_array_unref(server->clients);
    g_free(server->unix_path);
    g_clear_pointer(&server, g_free);
}
