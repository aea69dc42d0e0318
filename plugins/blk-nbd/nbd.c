/*
 * blk-nbd - the "nbd" protocol driver: a disk served by an NBD server
 * (qemu-nbd, nbdkit, nbd-server, Tessera's own), as QEMU's nbd driver.
 *
 * Options as QEMU 7.2's -blockdev driver=nbd: server.type=inet with
 * server.host and server.port (default 10809), or server.type=unix with
 * server.path; export; reconnect-delay; tls-creds is refused (no TLS
 * yet).  Filenames
 * nbd://, nbd+tcp://, nbd+unix:// and the legacy nbd: through
 * parse_filename, so -drive file=nbd://host/exp works as in QEMU.
 *
 * One connection per node; the block layer's worker threads share it
 * (nbd-conn.h says how).  Requests larger than the server takes are
 * split; block status comes from the base:allocation context when the
 * server offers it, so holes stay holes for the image tool and sparse
 * reads.
 */
#include "nbd-conn.h"
#include "nbd-proto.h"

#include <tessera/tessera.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The most a trim, zeroing or status request covers at once (they carry
 * no payload, but the length field is 32 bits). */
#define NBD_MAX_NOPAYLOAD (1u << 30)

typedef struct NbdNode {
    TsBlockNode parent;
    /* options */
    char *server_type;
    char *host;
    char *port;
    char *path;
    char *export;
    char *tls_creds;
    char *tls_hostname;
    uint64_t reconnect_delay;
    /* state */
    NbdExport exp;              /* as first negotiated: what requests
                                 * assume of every connection */
    GMutex conn_lock;           /* conn, closing */
    NbdConn *conn;              /* the live connection (NULL: none) */
    GPtrArray *old_conns;       /* dead ones, freed at close: a worker
                                 * may still be returning from one */
    bool closing;
    GMutex reconnect_lock;      /* one reconnection at a time */
    gint64 gave_up_at;          /* last reconnection window that failed */
} NbdNode;

static const TsProperty nbd_options[] = {
    TS_PROP_STRING("server.type", NbdNode, server_type, NULL,
                   "transport: inet or unix"),
    TS_PROP_STRING("server.host", NbdNode, host, NULL,
                   "host name or address (server.type=inet)"),
    TS_PROP_STRING("server.port", NbdNode, port, NBD_DEFAULT_PORT,
                   "port number or service name (server.type=inet)"),
    TS_PROP_STRING("server.path", NbdNode, path, NULL,
                   "socket path (server.type=unix)"),
    TS_PROP_STRING("export", NbdNode, export, NULL,
                   "export name (default: the server's default export)"),
    TS_PROP_STRING("tls-creds", NbdNode, tls_creds, NULL,
                   "TLS credentials (not supported yet)"),
    TS_PROP_STRING("tls-hostname", NbdNode, tls_hostname, NULL,
                   "TLS host name (not supported yet)"),
    TS_PROP_UINT("reconnect-delay", NbdNode, reconnect_delay, 0,
                 "seconds requests wait for a lost server to come back "
                 "(0: they fail at once)"),
    TS_PROP_END,
};

/* ---- connecting ------------------------------------------------------ */

/* connect(2) with a bound on how long it may take. */
static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int r = connect(fd, sa, len);
    if (r < 0 && errno == EINPROGRESS) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int err = 0;
        socklen_t elen = sizeof(err);
        r = poll(&p, 1, NBD_STALL_MS);
        if (r == 0) {
            errno = ETIMEDOUT;
            r = -1;
        } else if (r > 0) {
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
            errno = err;
            r = err ? -1 : 0;
        }
    }
    int saved = errno;
    fcntl(fd, F_SETFL, fl);
    errno = saved;
    return r;
}

static int connect_unix(NbdNode *s, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(s->path) >= sizeof(sa.sun_path)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "UNIX socket path '%s' is too long", s->path);
        return -1;
    }
    strcpy(sa.sun_path, s->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect_bounded(fd, (struct sockaddr *)&sa,
                                  sizeof(sa)) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Failed to connect to '%s': %s", s->path,
                    g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

static int connect_inet(NbdNode *s, GError **errp)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM };
    struct addrinfo *res;
    int rc = getaddrinfo(s->host, s->port, &hints, &res);
    if (rc) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "address resolution failed for %s:%s: %s", s->host,
                    s->port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
                    a->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect_bounded(fd, a->ai_addr, a->ai_addrlen) == 0) {
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Failed to connect to '%s:%s': %s", s->host, s->port,
                    g_strerror(err));
        return -1;
    }
    int one = 1;                /* requests are small and latency counts */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static bool check_options(NbdNode *s, GError **errp)
{
    if (s->tls_creds || s->tls_hostname) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "NBD over TLS (%s) is not supported yet",
                    s->tls_creds ? "tls-creds" : "tls-hostname");
        return false;
    }
    if (s->reconnect_delay > 3600) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "reconnect-delay must be at most 3600 seconds");
        return false;
    }
    if (!s->server_type) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'server.type' is missing");
        return false;
    }
    if (g_str_equal(s->server_type, "inet")) {
        if (!s->host) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter 'server.host' is missing");
            return false;
        }
    } else if (g_str_equal(s->server_type, "unix")) {
        if (!s->path) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Parameter 'server.path' is missing");
            return false;
        }
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'server.type' does not accept value '%s' "
                    "(inet or unix)", s->server_type);
        return false;
    }
    if (s->export && strlen(s->export) > NBD_MAX_STRING) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "NBD export name is longer than %d bytes",
                    NBD_MAX_STRING);
        return false;
    }
    return true;
}

/* The filename query-block shows, as QEMU writes it. */
static char *display_name(NbdNode *s)
{
    const char *exp = s->export ? s->export : "";
    if (s->path) {
        return *exp ? g_strdup_printf("nbd+unix:///%s?socket=%s", exp,
                                      s->path)
                    : g_strdup_printf("nbd+unix://?socket=%s", s->path);
    }
    bool v6 = strchr(s->host, ':') != NULL;
    return g_strdup_printf("nbd://%s%s%s:%s%s%s", v6 ? "[" : "", s->host,
                           v6 ? "]" : "", s->port, *exp ? "/" : "", exp);
}

/* Called on the reader thread (or a worker) when the connection dies. */
static void on_dead(void *opaque, const char *why)
{
    NbdNode *s = opaque;
    ts_block_node_warn(opaque, "%s; %s", why, s->reconnect_delay
                       ? "reconnecting" : "requests fail with EIO from now "
                         "on");
}

/* A new connection, negotiated, its reader running; NULL + errp. */
static NbdConn *connect_export(NbdNode *s, GError **errp)
{
    int fd = s->path ? connect_unix(s, errp) : connect_inet(s, errp);
    if (fd < 0) {
        return NULL;
    }
    NbdConn *c = g_new0(NbdConn, 1);
    nbd_conn_init(c, fd);
    c->on_dead = on_dead;
    c->opaque = s;
    g_autoptr(GError) err = NULL;
    if (!nbd_handshake(c, s->export ? s->export : "", true, &err)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED, "%s", err->message);
        /* Still negotiating: a disconnect request means nothing yet. */
        c->dead = true;
        c->closing = true;
        nbd_conn_close(c);
        g_free(c);
        return NULL;
    }
    nbd_conn_start_reader(c);
    return c;
}

static void free_conn(gpointer p)
{
    NbdConn *c = p;
    c->closing = true;          /* an orderly end: no warning */
    nbd_conn_close(c);
    g_free(c);
}

static bool nbd_open(TsBlockNode *node, GError **errp)
{
    NbdNode *s = (NbdNode *)node;
    g_mutex_init(&s->conn_lock);
    g_mutex_init(&s->reconnect_lock);
    s->old_conns = g_ptr_array_new_with_free_func(free_conn);
    s->conn = NULL;
    s->closing = false;
    s->gave_up_at = 0;
    if (!check_options(s, errp)) {
        goto fail;
    }
    if (g_str_equal(s->server_type, "unix")) {
        g_clear_pointer(&s->host, g_free);
    } else {
        g_clear_pointer(&s->path, g_free);
    }
    NbdConn *c = connect_export(s, errp);
    if (!c) {
        goto fail;
    }
    s->conn = c;
    s->exp = c->exp;
    const NbdExport *e = &c->exp;
    unsigned flags = ts_block_node_open_flags(node);
    if ((e->flags & NBD_TFLAG_READ_ONLY) && (flags & TS_BLOCK_OPEN_RDWR) &&
        !ts_block_node_is_read_only(node)) {
        if (!(flags & TS_BLOCK_OPEN_AUTO_READ_ONLY)) {
            /* QEMU 7.2's words for it. */
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Could not open image: Permission denied");
            goto fail;
        }
        ts_block_node_set_read_only(node);
    }
    if (e->size > INT64_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "NBD export is too large (%" G_GUINT64_FORMAT " bytes)",
                    (guint64)e->size);
        goto fail;
    }
    ts_block_node_set_length(node, e->size);
    ts_block_node_set_request_alignment(node, e->min_block);
    char *name = display_name(s);
    ts_block_node_set_filename(node, name);
    g_free(name);
    return true;

fail:
    if (s->conn) {
        free_conn(s->conn);
        s->conn = NULL;
    }
    g_ptr_array_unref(s->old_conns);
    g_mutex_clear(&s->conn_lock);
    g_mutex_clear(&s->reconnect_lock);
    return false;
}

static void nbd_close(TsBlockNode *node)
{
    NbdNode *s = (NbdNode *)node;
    g_mutex_lock(&s->conn_lock);
    s->closing = true;
    NbdConn *c = s->conn;
    s->conn = NULL;
    g_mutex_unlock(&s->conn_lock);
    if (c) {
        free_conn(c);
    }
    g_ptr_array_unref(s->old_conns);
    g_mutex_clear(&s->conn_lock);
    g_mutex_clear(&s->reconnect_lock);
}

/* ---- reconnecting ---------------------------------------------------- */

static NbdConn *current(NbdNode *s)
{
    g_mutex_lock(&s->conn_lock);
    NbdConn *c = s->conn;
    g_mutex_unlock(&s->conn_lock);
    return c;
}

static bool conn_dead(NbdConn *c)
{
    g_mutex_lock(&c->lock);
    bool dead = c->dead;
    g_mutex_unlock(&c->lock);
    return dead;
}

/* The server behind the node again, as before: the same size, no less
 * writable, at least the features and block sizes requests assume. */
static bool same_export(NbdNode *s, const NbdExport *e)
{
    const NbdExport *old = &s->exp;
    const uint16_t sends = NBD_TFLAG_SEND_FLUSH | NBD_TFLAG_SEND_FUA |
                           NBD_TFLAG_SEND_TRIM | NBD_TFLAG_SEND_WRITE_ZEROES |
                           NBD_TFLAG_SEND_FAST_ZERO;
    return e->size == old->size && !(old->flags & sends & ~e->flags) &&
           e->min_block <= old->min_block &&
           e->max_block >= old->max_block &&
           (!(e->flags & NBD_TFLAG_READ_ONLY) ||
            ts_block_node_is_read_only(&s->parent)) &&
           e->structured == old->structured &&
           e->has_allocation == old->has_allocation;
}

/*
 * reconnect-delay: `dead` died under a request.  One worker tries to
 * connect again (the others wait for it on reconnect_lock), for up to
 * reconnect-delay seconds the first time; once a window has passed in
 * vain, each later request tries once, without waiting, as QEMU fails
 * requests at once after the delay while it keeps trying.  True: a new
 * connection is current (retry the request on it).
 */
static bool reconnect(NbdNode *s, NbdConn *dead)
{
    g_mutex_lock(&s->reconnect_lock);
    if (current(s) != dead) {
        g_mutex_unlock(&s->reconnect_lock);
        return current(s) != NULL;
    }
    gint64 now = g_get_monotonic_time();
    gint64 deadline = s->gave_up_at ? now
                      : now + (gint64)s->reconnect_delay * G_USEC_PER_SEC;
    for (;;) {
        g_autoptr(GError) err = NULL;
        NbdConn *c = connect_export(s, &err);
        if (c && !same_export(s, &c->exp)) {
            free_conn(c);
            c = NULL;
            g_set_error(&err, TS_ERROR, TS_ERROR_FAILED,
                        "the export is no longer the same (size, "
                        "read-only or features changed)");
        }
        if (c) {
            g_mutex_lock(&s->conn_lock);
            bool closing = s->closing;
            if (!closing) {
                g_ptr_array_add(s->old_conns, s->conn);
                s->conn = c;
            }
            g_mutex_unlock(&s->conn_lock);
            if (closing) {
                free_conn(c);
                break;
            }
            s->gave_up_at = 0;
            ts_block_node_warn(&s->parent, "reconnected to the NBD server");
            g_mutex_unlock(&s->reconnect_lock);
            return true;
        }
        gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0) {
            if (!s->gave_up_at) {
                ts_block_node_warn(&s->parent, "cannot reconnect: %s; "
                                   "requests fail until the server is "
                                   "back", err->message);
            }
            s->gave_up_at = g_get_monotonic_time();
            break;
        }
        g_usleep((gulong)MIN(G_USEC_PER_SEC / 4, left));
    }
    g_mutex_unlock(&s->reconnect_lock);
    return false;
}

/* Send req on the current connection; with reconnect-delay, once more
 * on a new connection when the old one died under it. */
static int request(NbdNode *s, NbdReq *req)
{
    for (int tries = 0;; tries++) {
        NbdConn *c = current(s);
        if (!c) {
            return -EIO;
        }
        NbdReq r = *req;
        int ret = nbd_conn_request(c, &r);
        if (ret != -EIO || !s->reconnect_delay || tries ||
            !conn_dead(c) || !reconnect(s, c)) {
            req->extent_len = r.extent_len;
            req->extent_flags = r.extent_flags;
            return ret;
        }
    }
}

/* ---- requests -------------------------------------------------------- */

static int one(NbdNode *s, uint16_t type, uint16_t flags, uint64_t offset,
               uint32_t length, const struct iovec *iov, int niov,
               size_t skip)
{
    NbdReq req = { .type = type, .flags = flags, .offset = offset,
                   .length = length, .iov = iov, .niov = niov,
                   .skip = skip };
    return request(s, &req);
}

/* The largest piece of `bytes` a request without payload may cover:
 * a multiple of the minimum block, or all that is left. */
static uint32_t nopayload_piece(NbdNode *s, uint64_t bytes)
{
    uint32_t min = s->exp.min_block;
    uint32_t max = NBD_MAX_NOPAYLOAD / min * min;
    return (uint32_t)MIN(bytes, max);
}

static int nbd_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      const struct iovec *iov, int niov, unsigned flags)
{
    NbdNode *s = (NbdNode *)node;
    for (uint64_t done = 0; done < bytes;) {
        uint32_t n = (uint32_t)MIN(bytes - done, s->exp.max_block);
        int r = one(s, NBD_CMD_READ, 0, offset + done, n, iov, niov, done);
        if (r < 0) {
            return r;
        }
        done += n;
    }
    return 0;
}

static int nbd_flush(TsBlockNode *node)
{
    NbdNode *s = (NbdNode *)node;
    if (!(s->exp.flags & NBD_TFLAG_SEND_FLUSH)) {
        return 0;               /* the server has no cache to flush */
    }
    return one(s, NBD_CMD_FLUSH, 0, 0, 0, NULL, 0, 0);
}

static int nbd_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                       const struct iovec *iov, int niov, unsigned flags)
{
    NbdNode *s = (NbdNode *)node;
    bool fua = flags & TS_BLOCK_REQ_FUA;
    bool server_fua = s->exp.flags & NBD_TFLAG_SEND_FUA;
    for (uint64_t done = 0; done < bytes;) {
        uint32_t n = (uint32_t)MIN(bytes - done, s->exp.max_block);
        int r = one(s, NBD_CMD_WRITE,
                    fua && server_fua ? NBD_CMD_FLAG_FUA : 0,
                    offset + done, n, iov, niov, done);
        if (r < 0) {
            return r;
        }
        done += n;
    }
    return fua && !server_fua ? nbd_flush(node) : 0;
}

static int nbd_discard(TsBlockNode *node, uint64_t offset, uint64_t bytes)
{
    NbdNode *s = (NbdNode *)node;
    if (!(s->exp.flags & NBD_TFLAG_SEND_TRIM)) {
        return 0;               /* discards may do nothing */
    }
    for (uint64_t done = 0; done < bytes;) {
        uint32_t n = nopayload_piece(s, bytes - done);
        int r = one(s, NBD_CMD_TRIM, 0, offset + done, n, NULL, 0, 0);
        if (r < 0) {
            return r;
        }
        done += n;
    }
    return 0;
}

static int nbd_write_zeroes(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, unsigned flags)
{
    NbdNode *s = (NbdNode *)node;
    uint16_t tf = s->exp.flags;
    if (!(tf & NBD_TFLAG_SEND_WRITE_ZEROES)) {
        return -ENOTSUP;        /* the core writes zero buffers */
    }
    /* NO_HOLE keeps the range allocated unless unmapping is allowed;
     * FAST_ZERO makes a server that would write zeroes itself say
     * ENOTSUP instead, which is what NO_FALLBACK asks. */
    uint16_t cf = (flags & TS_BLOCK_REQ_MAY_UNMAP) ? 0
                                                  : NBD_CMD_FLAG_NO_HOLE;
    if (flags & TS_BLOCK_REQ_NO_FALLBACK) {
        if (!(tf & NBD_TFLAG_SEND_FAST_ZERO)) {
            return -ENOTSUP;
        }
        cf |= NBD_CMD_FLAG_FAST_ZERO;
    }
    for (uint64_t done = 0; done < bytes;) {
        uint32_t n = nopayload_piece(s, bytes - done);
        int r = one(s, NBD_CMD_WRITE_ZEROES, cf, offset + done, n, NULL, 0,
                    0);
        if (r < 0) {
            return r;
        }
        done += n;
    }
    return 0;
}

static int nbd_block_status(TsBlockNode *node, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            TsBlockChild **file)
{
    NbdNode *s = (NbdNode *)node;
    *map = offset;
    *file = NULL;
    if (!s->exp.has_allocation) {
        *pnum = bytes;
        return TS_BLOCK_STATUS_DATA | TS_BLOCK_STATUS_ALLOCATED;
    }
    NbdReq req = { .type = NBD_CMD_BLOCK_STATUS,
                   .flags = NBD_CMD_FLAG_REQ_ONE, .offset = offset,
                   .length = nopayload_piece(s, bytes) };
    int r = request(s, &req);
    if (r < 0) {
        return r;
    }
    *pnum = req.extent_len;     /* 0 < extent_len <= length: checked */
    return TS_BLOCK_STATUS_ALLOCATED |
           (req.extent_flags & NBD_STATE_HOLE ? 0 : TS_BLOCK_STATUS_DATA) |
           (req.extent_flags & NBD_STATE_ZERO ? TS_BLOCK_STATUS_ZERO : 0);
}

static bool nbd_parse_filename_hook(const char *filename, GHashTable *opts,
                                    GError **errp)
{
    return nbd_parse_filename(filename, opts, errp);
}

static const TsBlockDriver nbd_driver = {
    .name = "nbd",
    .description = "disk served by an NBD server",
    .kind = TS_BLOCK_PROTOCOL,
    .instance_size = sizeof(NbdNode),
    .options = nbd_options,
    .open = nbd_open,
    .close = nbd_close,
    .preadv = nbd_preadv,
    .pwritev = nbd_pwritev,
    .flush = nbd_flush,
    .discard = nbd_discard,
    .write_zeroes = nbd_write_zeroes,
    .block_status = nbd_block_status,
    .parse_filename = nbd_parse_filename_hook,
    .supported_write_flags = TS_BLOCK_REQ_FUA,
};

static bool nbd_plugin_init(GError **errp)
{
    return ts_block_driver_register(&nbd_driver, errp);
}

TS_PLUGIN("blk-nbd", "Block driver: nbd (NBD client)", nbd_plugin_init);
