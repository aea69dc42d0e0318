/*
 * chardev-internal.h - the core's side of character devices: creating
 * backends from options, the backend table, and the shared machinery the
 * backend files (chardev-*.c) build on.
 *
 * The public frontend API is <tessera/chardev.h>.  Everything here is core
 * internal (not exported from libtessera.so).
 */
#ifndef TESSERA_CHARDEV_INTERNAL_H
#define TESSERA_CHARDEV_INTERNAL_H

#include <tessera/chardev.h>
#include <tessera/loop.h>

#include "chardevs.h"

/* ---- For backend implementations (chardev-*.c) */

typedef struct ChardevOpts ChardevOpts;

/* The option list of one -chardev.  Every getter marks the key as used;
 * chardev_new_from_opts() refuses keys no backend asked for. */
const char *chardev_opts_get(ChardevOpts *o, const char *key);
bool chardev_opts_has(ChardevOpts *o, const char *key);
/* on|off|yes|no|true|false; missing key gives def. */
bool chardev_opts_get_bool(ChardevOpts *o, const char *key, bool def,
                           bool *out, GError **errp);
/* Decimal or 0x hex, no sign; missing key gives def. */
bool chardev_opts_get_uint(ChardevOpts *o, const char *key, uint64_t def,
                           uint64_t *out, GError **errp);
/* Like get_uint, accepting K/M/G suffixes (powers of 1024). */
bool chardev_opts_get_size(ChardevOpts *o, const char *key, uint64_t def,
                           uint64_t *out, GError **errp);
/* The value of a key the backend cannot work without, or NULL + an error
 * that names the key and the backend. */
const char *chardev_opts_require(ChardevOpts *o, const char *key,
                                 GError **errp);

/* Parse "backend,key=val,..." (",," is a literal comma). */
ChardevOpts *chardev_opts_parse(const char *text, GError **errp);
void chardev_opts_free(ChardevOpts *o);
/* The first unused key, or NULL. */
const char *chardev_opts_first_unused(ChardevOpts *o);

typedef struct ChardevBackend {
    const char *name;
    const char *description;
    /* Set up chr (its id and backend are filled in).  May store state in
     * chr->be_state and call chardev_io_start() / chardev_set_open().
     * false + errp on failure; close is then still called. */
    bool (*open)(TsChardev *chr, ChardevOpts *opts, GError **errp);
    /* Release everything open set up (safe on a half-opened chr). */
    void (*close)(TsChardev *chr);
    /* Optional: the backend takes output itself (null, ringbuf, mux)
     * instead of writing it to its out fd.  Returns bytes accepted. */
    size_t (*write)(TsChardev *chr, const uint8_t *buf, size_t len);
    /* Optional: input bytes read from the in fd pass through here before
     * they reach the frontend (telnet strips its commands).  Returns the
     * number of bytes left in buf (in place). */
    size_t (*filter_input)(TsChardev *chr, uint8_t *buf, size_t len);
    /* Optional: the in fd reached EOF or failed (socket peer left).  The
     * default closes the I/O and reports CLOSED. */
    void (*hangup)(TsChardev *chr);
    /* Optional: the frontend can take input again; for backends without an
     * in fd that hold input elsewhere (the mux asks its base). */
    void (*input_resumed)(TsChardev *chr);
    /* Output to the out fd is sent with send(MSG_NOSIGNAL) and input read
     * with recv() (sockets, udp). */
    bool is_socket;
} ChardevBackend;

#define CHARDEV_MAX_FRONTENDS 8
/* Output buffered for a peer that does not read, per backend; beyond it
 * ordinary output (a guest's serial port) is dropped and counted.  Output
 * written with chardev_write_all() is never dropped: its writer bounds it
 * by watching chardev_output_pending(). */
#define CHARDEV_OUTBUF_LIMIT (1024 * 1024)
/* How long closing a chardev waits for a peer to take buffered output that
 * must not be dropped (a monitor's last replies, e.g. to "quit"). */
#define CHARDEV_CLOSE_FLUSH_MS 1000

typedef struct ChardevFrontend {
    const TsChardevHandlers *h;
    void *opaque;
} ChardevFrontend;

struct TsChardev {
    char *id;
    const ChardevBackend *be;
    char *filename;
    void *be_state;
    bool is_mux;

    ChardevFrontend fe[CHARDEV_MAX_FRONTENDS];
    int fe_count;
    int focus;

    bool open;

    /* Input read from the host but not yet taken by the frontend. */
    GByteArray *pending_in;
    bool delivering;        /* inside the frontend's receive */
    int in_fd;
    TsFdWatch *in_watch;

    /* Output the host could not take yet. */
    int out_fd;
    bool out_nonblock;      /* write without polling first */
    TsFdWatch *out_watch;
    GByteArray *out_buf;
    uint64_t dropped;
    /* out_buf holds bytes written with chardev_write_all() (a monitor's
     * replies): they are never dropped for lack of room, and closing the
     * chardev tries to deliver them first (chardev_free). */
    bool out_keep;
    /* Runs when out_buf has drained: a frontend that stopped taking input
     * because output backed up (a monitor) gets another chance. */
    TsBH *drained_bh;

    /* The mux this chardev is the base of, if any (set by the mux). */
    TsChardev *mux;
};

/* Backends available: defined in their own files. */
extern const ChardevBackend chardev_null_backend;
extern const ChardevBackend chardev_stdio_backend;
extern const ChardevBackend chardev_file_backend;
extern const ChardevBackend chardev_pipe_backend;
extern const ChardevBackend chardev_serial_backend;
extern const ChardevBackend chardev_tty_backend;
extern const ChardevBackend chardev_pty_backend;
extern const ChardevBackend chardev_socket_backend;
extern const ChardevBackend chardev_udp_backend;
extern const ChardevBackend chardev_ringbuf_backend;
extern const ChardevBackend chardev_memory_backend;
extern const ChardevBackend chardev_mux_backend;

/* Start moving bytes between the host fds and the frontend.  in_fd -1: no
 * input; out_fd -1: output discarded.  The fds stay owned by the backend
 * (chardev_io_stop() before closing them). */
void chardev_io_start(TsChardev *chr, int in_fd, int out_fd);
/* Stop watching the fds and drop buffered output. */
void chardev_io_stop(TsChardev *chr);

/* The default output path: write to chr->out_fd what it takes now, buffer
 * the rest (bounded), discard if there is no out fd.  For backends whose
 * write hook transforms the bytes first (telnet). */
size_t chardev_write_fd(TsChardev *chr, const uint8_t *buf, size_t len);

/* Mark the backend open/closed and tell every frontend (OPENED/CLOSED);
 * nothing happens if the state does not change. */
void chardev_set_open(TsChardev *chr, bool open);

/* Send an event to the focused frontend (BREAK) or to all (others). */
void chardev_send_event(TsChardev *chr, TsChardevEvent ev);

/* How many input bytes the frontend can take now (0 while input is
 * pending or no frontend takes input). */
size_t chardev_input_space(TsChardev *chr);
/* What the focused frontend's can_receive says (0 without a frontend
 * that takes input), ignoring input already pending. */
size_t chardev_frontend_space(TsChardev *chr);
/* Hand input to the focused frontend; what it cannot take now is kept and
 * delivered on ts_chardev_accept_input(). */
void chardev_deliver_input(TsChardev *chr, const uint8_t *buf, size_t len);

/* Create a backend under an explicit id from parsed options (the mux uses
 * it for its base). */
TsChardev *chardev_new_with_backend(const char *id, const char *backend,
                                    ChardevOpts *opts, GError **errp);

/* Terminal helpers (chardev-stdio.c): put a tty in raw mode, remembering
 * how it was, and restore it at exit or on a fatal signal. */
void chardev_term_make_raw(int fd, bool allow_signals);
void chardev_term_restore(void);

/* Mux: the mux owns its base (made by mux=on) and frees it with itself. */
void chardev_mux_adopt_base(TsChardev *mux);
/* Mux: the chardev under it (NULL once it is being closed). */
TsChardev *chardev_mux_base(const TsChardev *mux);

/* Mux: Ctrl-a x. Calls the handler of chardev_set_quit_handler(). */
void chardev_request_quit(void);

/* Make an fd non-blocking and close-on-exec. */
void chardev_fd_setup(int fd);

/* Fatal-output helper for the pty banner etc.: messages printed to stderr
 * on behalf of a backend. */
void chardev_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif
