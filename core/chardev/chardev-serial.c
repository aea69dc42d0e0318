/*
 * chardev-serial.c - host terminals: serial/tty (a device node such as
 * /dev/ttyUSB0, put in raw mode) and pty (a new pseudo-terminal whose
 * slave name is announced on stderr, for `screen /dev/pts/N`).
 */
#define _GNU_SOURCE
#include "chardev-internal.h"
#include "util/fdset.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

/* How often a pty whose slave was closed looks for a new reader. */
#define PTY_POLL_NS (200 * 1000 * 1000)

typedef struct TermState {
    int fd;
    char *link_path;     /* pty path=: our symlink, removed at close */
    TsTimer *poll_timer; /* pty: waiting for someone to reopen the slave */
} TermState;

static void set_raw(int fd, bool set_speed)
{
    struct termios t;
    if (tcgetattr(fd, &t) < 0) {
        return;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    if (set_speed) {
        cfsetispeed(&t, B115200);
        cfsetospeed(&t, B115200);
    }
    tcsetattr(fd, TCSANOW, &t);
}

static TermState *term_state_new(TsChardev *chr)
{
    TermState *s = g_new0(TermState, 1);
    s->fd = -1;
    chr->be_state = s;
    return s;
}

static bool serial_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    const char *path = chardev_opts_require(opts, "path", errp);
    if (!path) {
        return false;
    }
    TermState *s = term_state_new(chr);
    s->fd = fdset_open(path, O_RDWR | O_NOCTTY | O_NONBLOCK, 0, errp);
    if (s->fd < 0) {
        return false;
    }
    if (!isatty(s->fd)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': '%s' is not a terminal", chr->id, path);
        return false;
    }
    set_raw(s->fd, true);
    chr->filename = g_strdup_printf("serial:%s", path);
    chardev_io_start(chr, s->fd, s->fd);
    chr->open = true;
    return true;
}

static void term_close(TsChardev *chr)
{
    TermState *s = chr->be_state;
    chardev_io_stop(chr);
    if (!s) {
        return;
    }
    if (s->poll_timer) {
        ts_timer_del(s->poll_timer);
        ts_timer_free(s->poll_timer);
    }
    if (s->link_path) {
        unlink(s->link_path);
        g_free(s->link_path);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    g_free(s);
    chr->be_state = NULL;
}

/* The master reports POLLHUP while no process has the slave open (after
 * it was opened once; a never-opened slave buffers what we write, so the
 * boot log is there when somebody attaches). */
static bool pty_slave_closed(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

static void pty_poll(void *opaque)
{
    TsChardev *chr = opaque;
    TermState *s = chr->be_state;
    if (pty_slave_closed(s->fd)) {
        ts_timer_mod(s->poll_timer,
                     ts_clock_get_ns(TS_CLOCK_HOST) + PTY_POLL_NS);
        return;
    }
    chardev_io_start(chr, s->fd, s->fd);
    chardev_set_open(chr, true);
}

static void pty_hangup(TsChardev *chr)
{
    TermState *s = chr->be_state;
    chardev_io_stop(chr);
    chardev_set_open(chr, false);
    ts_timer_mod(s->poll_timer, ts_clock_get_ns(TS_CLOCK_HOST) + PTY_POLL_NS);
}

static bool pty_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    const char *link = chardev_opts_get(opts, "path");
    TermState *s = term_state_new(chr);
    char name[256];

    s->fd = posix_openpt(O_RDWR | O_NOCTTY);
    if (s->fd < 0 || grantpt(s->fd) < 0 || unlockpt(s->fd) < 0 ||
        ptsname_r(s->fd, name, sizeof(name)) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "chardev '%s': cannot create a pty: %s", chr->id,
                    g_strerror(errno));
        return false;
    }
    chardev_fd_setup(s->fd);
    /* On a pty master this sets the slave's modes: the program on the
     * other side gets a raw line, like a serial cable. */
    set_raw(s->fd, false);
    if (link) {
        struct stat st;
        /* Replace a stale link from an earlier run, never a real file. */
        if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode)) {
            unlink(link);
        }
        if (symlink(name, link) < 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "chardev '%s': cannot create symlink '%s': %s",
                        chr->id, link, g_strerror(errno));
            return false;
        }
        s->link_path = g_strdup(link);
    }
    s->poll_timer = ts_timer_new(TS_CLOCK_HOST, pty_poll, chr);
    chr->filename = g_strdup_printf("pty:%s", name);
    chardev_report("char device redirected to %s (label %s)\n", name,
                   chr->id);
    chardev_io_start(chr, s->fd, s->fd);
    chr->open = true;
    return true;
}

const ChardevBackend chardev_serial_backend = {
    .name = "serial",
    .description = "a host serial device, raw mode (path=)",
    .open = serial_open,
    .close = term_close,
};

const ChardevBackend chardev_tty_backend = {
    .name = "tty",
    .description = "alias of serial",
    .open = serial_open,
    .close = term_close,
};

const ChardevBackend chardev_pty_backend = {
    .name = "pty",
    .description = "a new pseudo-terminal (path= makes a symlink to it)",
    .open = pty_open,
    .close = term_close,
    .hangup = pty_hangup,
};
