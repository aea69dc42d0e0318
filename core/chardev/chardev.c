/*
 * chardev.c - the generic character device layer: the id table, frontend
 * attachment, flow control and the buffered output path that every
 * fd-based backend shares.  Backends live in chardev-*.c.
 */
#include "chardev-internal.h"
#include "util/parse.h"
#include "object/object-hooks.h"
#include "loop/main-loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

/* Reads from a stream fd are at most this big; a frontend rarely takes
 * more at once (a UART FIFO is 16 bytes) so a bigger buffer buys nothing. */
#define CHARDEV_READ_CHUNK 4096
/* A datagram must be read whole or its tail is lost. */
#define CHARDEV_DATAGRAM_MAX 65536

static const ChardevBackend *const backends[] = {
    &chardev_file_backend,
    &chardev_memory_backend,
    &chardev_mux_backend,
    &chardev_null_backend,
    &chardev_pipe_backend,
    &chardev_pty_backend,
    &chardev_ringbuf_backend,
    &chardev_serial_backend,
    &chardev_socket_backend,
    &chardev_stdio_backend,
    &chardev_tty_backend,
    &chardev_udp_backend,
};

static GHashTable *chardev_by_id;   /* id -> TsChardev* */
static GPtrArray *chardev_order;    /* creation order, for info chardev */

static void flush_kept_output(TsChardev *chr);

static void (*quit_handler)(void *opaque);
static void *quit_opaque;

static const ChardevBackend *backend_lookup(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++) {
        if (g_str_equal(backends[i]->name, name)) {
            return backends[i];
        }
    }
    return NULL;
}

const char *const *chardev_backend_names(void)
{
    static const char *names[G_N_ELEMENTS(backends) + 1];
    for (size_t i = 0; i < G_N_ELEMENTS(backends); i++) {
        names[i] = backends[i]->name;
    }
    names[G_N_ELEMENTS(backends)] = NULL;
    return names;
}

const char *chardev_backend_description(const char *name)
{
    const ChardevBackend *be = backend_lookup(name);
    return be ? be->description : NULL;
}

void chardev_set_quit_handler(void (*fn)(void *opaque), void *opaque)
{
    quit_handler = fn;
    quit_opaque = opaque;
}

void chardev_request_quit(void)
{
    if (quit_handler) {
        quit_handler(quit_opaque);
    } else {
        ts_loop_quit(0);
    }
}

void chardev_fd_setup(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    fl = fcntl(fd, F_GETFD);
    if (fl >= 0) {
        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
}

void chardev_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

/* ---- Identifiers and the id table */

static bool id_is_valid(const char *id)
{
    return ts_id_well_formed(id);
}

TS_EXPORT TsChardev *ts_chardev_find(const char *id)
{
    if (!chardev_by_id || !id) {
        return NULL;
    }
    return g_hash_table_lookup(chardev_by_id, id);
}

TS_EXPORT const char *ts_chardev_id(const TsChardev *chr)
{
    return chr ? chr->id : NULL;
}

const char *chardev_filename(const TsChardev *chr)
{
    return chr->filename ? chr->filename : chr->be->name;
}

bool chardev_has_frontend(const TsChardev *chr)
{
    return chr->fe_count > 0;
}

void chardev_foreach(void (*fn)(TsChardev *chr, void *opaque), void *opaque)
{
    if (!chardev_order) {
        return;
    }
    /* Copy: fn may create or free chardevs. */
    g_autoptr(GPtrArray) copy = g_ptr_array_new();
    for (guint i = 0; i < chardev_order->len; i++) {
        g_ptr_array_add(copy, g_ptr_array_index(chardev_order, i));
    }
    for (guint i = 0; i < copy->len; i++) {
        fn(g_ptr_array_index(copy, i), opaque);
    }
}

TsChardev *chardev_new_with_backend(const char *id, const char *backend,
                                    ChardevOpts *opts, GError **errp)
{
    const ChardevBackend *be = backend_lookup(backend);
    if (!be) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is not a valid char driver name", backend);
        return NULL;
    }
    if (!id_is_valid(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'id' expects an identifier (a letter, then "
                    "letters, digits, '-', '.', '_'), not '%s'", id);
        return NULL;
    }
    if (ts_chardev_find(id)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s' already exists", id);
        return NULL;
    }
    if (!chardev_by_id) {
        chardev_by_id = g_hash_table_new(g_str_hash, g_str_equal);
        chardev_order = g_ptr_array_new();
        /* A peer that goes away must show up as EPIPE on write, not kill
         * the emulator.  Only if nobody chose a disposition already. */
        struct sigaction old;
        if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
            signal(SIGPIPE, SIG_IGN);
        }
    }

    TsChardev *chr = g_new0(TsChardev, 1);
    chr->id = g_strdup(id);
    chr->be = be;
    chr->in_fd = -1;
    chr->out_fd = -1;
    chr->pending_in = g_byte_array_new();
    chr->out_buf = g_byte_array_new();

    if (!be->open(chr, opts, errp)) {
        be->close(chr);
        chardev_io_stop(chr);
        ts_bh_free(chr->drained_bh);
        g_byte_array_unref(chr->pending_in);
        g_byte_array_unref(chr->out_buf);
        g_free(chr->filename);
        g_free(chr->id);
        g_free(chr);
        return NULL;
    }
    g_hash_table_insert(chardev_by_id, chr->id, chr);
    g_ptr_array_add(chardev_order, chr);
    return chr;
}

/* Put a mux named id over base; on failure base is freed too. */
static TsChardev *wrap_in_mux(const char *id, TsChardev *base, GError **errp)
{
    g_autofree char *mux_text = g_strdup_printf("mux,chardev=%s", base->id);
    ChardevOpts *mux_opts = chardev_opts_parse(mux_text, errp);
    TsChardev *mux = mux_opts ? chardev_new_with_backend(id, "mux", mux_opts,
                                                         errp)
                              : NULL;
    chardev_opts_free(mux_opts);
    if (mux) {
        chardev_mux_adopt_base(mux);
    } else {
        chardev_free(base);
    }
    return mux;
}

static TsChardev *new_from_parsed(ChardevOpts *opts, GError **errp)
{
    const char *backend = chardev_opts_get(opts, "backend");
    const char *id = chardev_opts_get(opts, "id");
    bool mux = false;

    if (!backend || !*backend) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev: \"backend\" is missing");
        return NULL;
    }
    if (!id) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev: Parameter 'id' is missing");
        return NULL;
    }
    if (!chardev_opts_get_bool(opts, "mux", false, &mux, errp)) {
        return NULL;
    }
    /* QEMU's log file option is not implemented: refuse it rather than
     * ignore it. */
    if (chardev_opts_has(opts, "logfile")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "chardev '%s': 'logfile' is not supported yet", id);
        return NULL;
    }
    if (mux) {
        if (!backend_lookup(backend)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "'%s' is not a valid char driver name", backend);
            return NULL;
        }
        if (g_str_equal(backend, "mux")) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "chardev '%s': a mux cannot have mux=on", id);
            return NULL;
        }
        if (!id_is_valid(id) || ts_chardev_find(id)) {
            /* Let the normal checks word the error. */
            return chardev_new_with_backend(id, "null", NULL, errp);
        }
    }

    g_autofree char *base_id = mux ? g_strdup_printf("%s-base", id)
                                   : g_strdup(id);
    TsChardev *chr = chardev_new_with_backend(base_id, backend, opts, errp);
    if (!chr) {
        return NULL;
    }
    const char *unused = chardev_opts_first_unused(opts);
    if (unused) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': Invalid parameter '%s' for backend '%s'",
                    id, unused, backend);
        chardev_free(chr);
        return NULL;
    }
    return mux ? wrap_in_mux(id, chr, errp) : chr;
}

TsChardev *chardev_new_from_opts(const char *opts_text, GError **errp)
{
    ChardevOpts *opts = chardev_opts_parse(opts_text, errp);
    if (!opts) {
        return NULL;
    }
    TsChardev *chr = new_from_parsed(opts, errp);
    chardev_opts_free(opts);
    return chr;
}

void chardev_free(TsChardev *chr)
{
    if (!chr) {
        return;
    }
    if (chardev_by_id) {
        g_hash_table_remove(chardev_by_id, chr->id);
        g_ptr_array_remove(chardev_order, chr);
    }
    chr->fe_count = 0;
    flush_kept_output(chr);
    chr->be->close(chr);
    chardev_io_stop(chr);
    ts_bh_free(chr->drained_bh);
    g_byte_array_unref(chr->pending_in);
    g_byte_array_unref(chr->out_buf);
    g_free(chr->filename);
    g_free(chr->id);
    g_free(chr);
}

void chardev_free_all(void)
{
    if (chardev_order) {
        /* Newest first: a mux goes before its base. */
        while (chardev_order->len) {
            chardev_free(g_ptr_array_index(chardev_order,
                                           chardev_order->len - 1));
        }
        g_ptr_array_unref(chardev_order);
        g_hash_table_unref(chardev_by_id);
        chardev_order = NULL;
        chardev_by_id = NULL;
    }
    chardev_term_restore();
}

/* ---- Frontends */

TS_EXPORT bool ts_chardev_attach(TsChardev *chr, const TsChardevHandlers *h,
                                 void *opaque, GError **errp)
{
    if (!chr || !h) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "ts_chardev_attach: no chardev or no handlers");
        return false;
    }
    int max = chr->is_mux ? CHARDEV_MAX_FRONTENDS : 1;
    for (int i = 0; i < chr->fe_count; i++) {
        if (chr->fe[i].opaque == opaque) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "chardev '%s': this frontend is already attached",
                        chr->id);
            return false;
        }
    }
    if (chr->fe_count >= max) {
        if (chr->is_mux) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "chardev '%s': too many frontends on one mux "
                        "(at most %d)", chr->id, max);
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "chardev '%s' is already in use (add mux=on to "
                        "share it)", chr->id);
        }
        return false;
    }
    int old_focus = chr->fe_count ? chr->focus : -1;
    chr->fe[chr->fe_count].h = h;
    chr->fe[chr->fe_count].opaque = opaque;
    chr->focus = chr->fe_count;
    chr->fe_count++;
    if (chr->is_mux && old_focus >= 0) {
        ChardevFrontend *f = &chr->fe[old_focus];
        if (f->h->event) {
            f->h->event(f->opaque, TS_CHARDEV_EVENT_MUX_OUT);
        }
    }
    if (chr->open && h->event) {
        h->event(opaque, TS_CHARDEV_EVENT_OPENED);
    }
    if (chr->is_mux && h->event) {
        h->event(opaque, TS_CHARDEV_EVENT_MUX_IN);
    }
    ts_chardev_accept_input(chr);
    return true;
}

TS_EXPORT void ts_chardev_detach(TsChardev *chr, void *opaque)
{
    if (!chr) {
        return;
    }
    for (int i = 0; i < chr->fe_count; i++) {
        if (chr->fe[i].opaque != opaque) {
            continue;
        }
        memmove(&chr->fe[i], &chr->fe[i + 1],
                (chr->fe_count - i - 1) * sizeof(chr->fe[0]));
        chr->fe_count--;
        if (chr->focus > i || chr->focus >= chr->fe_count) {
            chr->focus = chr->focus > 0 ? chr->focus - 1 : 0;
        }
        return;
    }
}

static ChardevFrontend *focused(TsChardev *chr)
{
    return chr->fe_count ? &chr->fe[chr->focus] : NULL;
}

void chardev_send_event(TsChardev *chr, TsChardevEvent ev)
{
    if (ev == TS_CHARDEV_EVENT_OPENED || ev == TS_CHARDEV_EVENT_CLOSED) {
        /* A handler may detach; walk a copy. */
        ChardevFrontend copy[CHARDEV_MAX_FRONTENDS];
        int n = chr->fe_count;
        memcpy(copy, chr->fe, n * sizeof(copy[0]));
        for (int i = 0; i < n; i++) {
            if (copy[i].h->event) {
                copy[i].h->event(copy[i].opaque, ev);
            }
        }
        return;
    }
    ChardevFrontend *f = focused(chr);
    if (f && f->h->event) {
        f->h->event(f->opaque, ev);
    }
}

void chardev_set_open(TsChardev *chr, bool open)
{
    if (chr->open == open) {
        return;
    }
    chr->open = open;
    chardev_send_event(chr, open ? TS_CHARDEV_EVENT_OPENED
                                 : TS_CHARDEV_EVENT_CLOSED);
}

TS_EXPORT bool ts_chardev_is_open(const TsChardev *chr)
{
    return chr && chr->open;
}

TS_EXPORT uint64_t ts_chardev_dropped_bytes(const TsChardev *chr)
{
    return chr ? chr->dropped : 0;
}

/* ---- Input */

size_t chardev_frontend_space(TsChardev *chr)
{
    ChardevFrontend *f = focused(chr);
    if (!f || !f->h->can_receive || !f->h->receive) {
        return 0;
    }
    return f->h->can_receive(f->opaque);
}

size_t chardev_input_space(TsChardev *chr)
{
    return chr->pending_in->len ? 0 : chardev_frontend_space(chr);
}

/* Hand pending input to the frontend as far as it takes it.  A frontend
 * may call ts_chardev_accept_input() from its receive handler; the guard
 * turns that into another turn of this loop instead of a nested call. */
static void flush_pending(TsChardev *chr)
{
    if (chr->delivering) {
        return;
    }
    chr->delivering = true;
    while (chr->pending_in->len) {
        size_t can = chardev_frontend_space(chr);
        if (!can) {
            break;
        }
        size_t n = MIN(can, chr->pending_in->len);
        /* Copy out first: receive may append more to pending_in. */
        g_autofree uint8_t *chunk = g_memdup2(chr->pending_in->data, n);
        g_byte_array_remove_range(chr->pending_in, 0, n);
        ChardevFrontend *f = focused(chr);
        f->h->receive(f->opaque, chunk, n);
    }
    chr->delivering = false;
}

void chardev_deliver_input(TsChardev *chr, const uint8_t *buf, size_t len)
{
    if (len) {
        g_byte_array_append(chr->pending_in, buf, len);
        flush_pending(chr);
    }
}

static bool input_ready(int fd, GIOCondition cond, void *opaque);

static void input_watch_start(TsChardev *chr)
{
    if (chr->in_fd >= 0 && !chr->in_watch) {
        chr->in_watch = ts_fd_watch_add(chr->in_fd,
                                        G_IO_IN | G_IO_HUP | G_IO_ERR,
                                        input_ready, chr);
    }
}

static void input_hangup(TsChardev *chr)
{
    if (chr->in_watch) {
        ts_fd_watch_remove(chr->in_watch);
        chr->in_watch = NULL;
    }
    chr->in_fd = -1;
    if (chr->be->hangup) {
        chr->be->hangup(chr);
    } else {
        chardev_set_open(chr, false);
    }
}

static bool input_ready(int fd, GIOCondition cond, void *opaque)
{
    TsChardev *chr = opaque;
    size_t space = chardev_input_space(chr);

    if (space == 0) {
        /* Paused: ts_chardev_accept_input() re-arms the watch. */
        chr->in_watch = NULL;
        return false;
    }
    bool datagram = chr->be->is_socket && chr->be == &chardev_udp_backend;
    size_t want = datagram ? CHARDEV_DATAGRAM_MAX : MIN(space, CHARDEV_READ_CHUNK);
    g_autofree uint8_t *buf = g_malloc(want);
    ssize_t n;
    do {
        n = chr->be->is_socket ? recv(fd, buf, want, 0) : read(fd, buf, want);
    } while (n < 0 && errno == EINTR);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return true;
    }
    if (n <= 0 && datagram) {
        /* ICMP errors from an earlier send surface here; not fatal. */
        return true;
    }
    if (n <= 0) {
        /* The watch is removed by returning false; input_hangup must not
         * remove it a second time. */
        chr->in_watch = NULL;
        input_hangup(chr);
        return false;
    }
    size_t len = n;
    if (chr->be->filter_input) {
        len = chr->be->filter_input(chr, buf, len);
    }
    chardev_deliver_input(chr, buf, len);
    return true;
}

TS_EXPORT void ts_chardev_accept_input(TsChardev *chr)
{
    if (!chr) {
        return;
    }
    flush_pending(chr);
    if (chr->pending_in->len) {
        return;
    }
    input_watch_start(chr);
    if (chr->be->input_resumed) {
        chr->be->input_resumed(chr);
    }
}

/* ---- Output */

/* Write what the fd takes without blocking.  A blocking fd (stdout, which
 * we inherit and must leave blocking for the rest of the process) is
 * polled first and written in chunks small enough that a pipe or tty with
 * room accepts them whole.  Returns bytes written, -1 on a hard error. */
static ssize_t write_some(TsChardev *chr, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        struct pollfd p = { .fd = chr->out_fd, .events = POLLOUT,
                            .revents = POLLOUT };
        int r = chr->out_nonblock ? 1 : poll(&p, 1, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0 || !(p.revents & POLLOUT)) {
            if (r > 0 && (p.revents & (POLLERR | POLLNVAL))) {
                return -1;
            }
            break;
        }
        size_t chunk = MIN(len - done, (size_t)CHARDEV_READ_CHUNK);
        ssize_t n = chr->be->is_socket
                    ? send(chr->out_fd, buf + done, chunk, MSG_NOSIGNAL)
                    : write(chr->out_fd, buf + done, chunk);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            return -1;
        }
        done += n;
    }
    return done;
}

/* Input may wait for output to drain (a monitor stops reading commands
 * while its replies back up): offer it again, to the mux above too, whose
 * frontends' input it holds.  From a bottom half, so that the commands this
 * runs do not run inside the output watch. */
static void output_drained(void *opaque)
{
    TsChardev *chr = opaque;
    ts_chardev_accept_input(chr->mux ? chr->mux : chr);
}

static void output_buffer_emptied(TsChardev *chr)
{
    chr->out_keep = false;
    if (!chr->drained_bh) {
        chr->drained_bh = ts_bh_new("chardev-output-drained", output_drained,
                                    chr);
    }
    ts_bh_schedule(chr->drained_bh);
}

static bool output_ready(int fd, GIOCondition cond, void *opaque)
{
    TsChardev *chr = opaque;
    ssize_t n = write_some(chr, chr->out_buf->data, chr->out_buf->len);
    if (n < 0 || (cond & (G_IO_ERR | G_IO_NVAL))) {
        /* The reader is gone: nobody will ever read the buffer. */
        g_byte_array_set_size(chr->out_buf, 0);
    } else if (n > 0) {
        g_byte_array_remove_range(chr->out_buf, 0, n);
    }
    if (chr->out_buf->len == 0) {
        chr->out_watch = NULL;
        output_buffer_emptied(chr);
        return false;
    }
    return true;
}

/* Nesting depth of chardev_write_all(): its bytes pass through the
 * backend's write hook (a mux, telnet) down to chardev_write_fd(), which
 * must not drop them.  Chardev calls are made with the big lock held. */
static unsigned write_all_depth;

TS_EXPORT size_t ts_chardev_write(TsChardev *chr, const void *data, size_t len)
{
    if (!chr || len == 0) {
        return 0;
    }
    if (chr->be->write) {
        return chr->be->write(chr, data, len);
    }
    return chardev_write_fd(chr, data, len);
}

size_t chardev_write_fd(TsChardev *chr, const uint8_t *buf, size_t len)
{
    if (chr->out_fd < 0) {
        return len;
    }
    size_t done = 0;
    if (chr->out_buf->len == 0) {
        ssize_t n = write_some(chr, buf, len);
        if (n < 0) {
            /* EPIPE and friends: discard, as on a line nobody listens to.
             * A socket notices the hangup on its input side. */
            return len;
        }
        done = n;
    }
    size_t rest = len - done;
    size_t take = rest;
    if (write_all_depth) {
        chr->out_keep |= rest > 0;
    } else {
        size_t room = CHARDEV_OUTBUF_LIMIT - MIN(chr->out_buf->len,
                                                (guint)CHARDEV_OUTBUF_LIMIT);
        take = MIN(rest, room);
    }
    g_byte_array_append(chr->out_buf, buf + done, take);
    chr->dropped += rest - take;
    if (chr->out_buf->len && !chr->out_watch) {
        chr->out_watch = ts_fd_watch_add(chr->out_fd, G_IO_OUT | G_IO_ERR,
                                         output_ready, chr);
    }
    return done + take;
}

size_t chardev_write_all(TsChardev *chr, const void *buf, size_t len)
{
    write_all_depth++;
    ts_chardev_write(chr, buf, len);
    write_all_depth--;
    return len;
}

size_t chardev_output_pending(const TsChardev *chr)
{
    if (chr->is_mux) {
        const TsChardev *base = chardev_mux_base(chr);
        return base ? chardev_output_pending(base) : 0;
    }
    return chr->out_buf->len;
}

/*
 * Before a chardev closes: give its peer a moment to take buffered output
 * that must not be lost (a monitor's replies; the reply to "quit" is
 * written just before the process ends).  A guest's serial output to a
 * peer that does not read is not waited for.
 */
static void flush_kept_output(TsChardev *chr)
{
    gint64 deadline = g_get_monotonic_time() +
                      CHARDEV_CLOSE_FLUSH_MS * (gint64)1000;
    while (chr->out_keep && chr->out_buf->len && chr->out_fd >= 0) {
        gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
        if (left_ms <= 0) {
            break;
        }
        struct pollfd p = { .fd = chr->out_fd, .events = POLLOUT };
        int r = poll(&p, 1, (int)left_ms);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0 || (p.revents & (POLLERR | POLLNVAL))) {
            break;
        }
        ssize_t n = write_some(chr, chr->out_buf->data, chr->out_buf->len);
        if (n < 0) {
            break;
        }
        g_byte_array_remove_range(chr->out_buf, 0, n);
    }
}

/* ---- fd plumbing for backends */

void chardev_io_start(TsChardev *chr, int in_fd, int out_fd)
{
    chardev_io_stop(chr);
    chr->in_fd = in_fd;
    chr->out_fd = out_fd;
    int fl = out_fd >= 0 ? fcntl(out_fd, F_GETFL) : -1;
    chr->out_nonblock = fl >= 0 && (fl & O_NONBLOCK);
    /* Reading starts when a frontend wants input (no frontend: the bytes
     * wait in the host's buffers, as on an unplugged serial line). */
    if (chardev_frontend_space(chr) > 0) {
        input_watch_start(chr);
    }
}

void chardev_io_stop(TsChardev *chr)
{
    if (chr->in_watch) {
        ts_fd_watch_remove(chr->in_watch);
        chr->in_watch = NULL;
    }
    if (chr->out_watch) {
        ts_fd_watch_remove(chr->out_watch);
        chr->out_watch = NULL;
    }
    chr->in_fd = -1;
    chr->out_fd = -1;
    if (chr->out_buf) {
        g_byte_array_set_size(chr->out_buf, 0);
    }
    chr->out_keep = false;
}

bool chardev_is_mux(const TsChardev *chr)
{
    return chr->is_mux;
}

bool chardev_frontend_has_focus(const TsChardev *chr, const void *opaque)
{
    return !chr->is_mux ||
           (chr->fe_count > 0 && chr->fe[chr->focus].opaque == opaque);
}

/* The base of chardev backend types a plugin may provide (the built-in
 * backends are a table, not types). */
static const TsTypeInfo chardev_type = {
    .name = "chardev", .parent = TS_TYPE_OBJECT, .abstract = true,
};

static void chardev_types_init(void)
{
    object_core_type(&chardev_type);
}
OBJECT_CORE_INIT(chardev_types_init)
