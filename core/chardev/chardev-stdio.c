/*
 * chardev-stdio.c - the stdio backend, and the terminal mode helpers it
 * needs: when stdin is a terminal it goes to raw mode (every key reaches
 * the guest at once, no local echo) and back to how it was at exit, on a
 * fatal signal, and while the process is stopped with Ctrl-z.
 */
#include "chardev-internal.h"
#include "util/signal-cleanup.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_termios;
static int raw_fd = -1;             /* the tty we changed, or -1 */
static struct termios raw_termios;  /* what we set, to re-apply on SIGCONT */
static bool stdio_in_use;

static void apply_raw(void)
{
    tcsetattr(raw_fd, TCSANOW, &raw_termios);
}

void chardev_term_restore(void)
{
    if (raw_fd >= 0) {
        tcsetattr(raw_fd, TCSANOW, &saved_termios);
        raw_fd = -1;
    }
}

/* Async-signal-safe: only tcsetattr, signal and raise. */
static void on_fatal_signal(int sig)
{
    if (raw_fd >= 0) {
        tcsetattr(raw_fd, TCSANOW, &saved_termios);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_stop_signal(int sig)
{
    if (raw_fd >= 0) {
        tcsetattr(raw_fd, TCSANOW, &saved_termios);
    }
    signal(SIGTSTP, SIG_DFL);
    raise(SIGTSTP);
}

static void on_continue(int sig)
{
    if (raw_fd >= 0) {
        apply_raw();
    }
    signal(SIGTSTP, on_stop_signal);
}

/* Take over a signal only if nobody else did: the main loop may turn
 * SIGTERM into a clean shutdown, which restores the terminal at exit. */
static void catch_if_default(int sig, void (*fn)(int))
{
    struct sigaction old;
    if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO)) {
        struct sigaction sa = { .sa_handler = fn };
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, NULL);
    }
}

void chardev_term_make_raw(int fd, bool allow_signals)
{
    static bool handlers_installed;
    struct termios t;

    if (tcgetattr(fd, &t) < 0) {
        return;
    }
    if (raw_fd < 0) {
        saved_termios = t;
    }
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                   ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!allow_signals) {
        t.c_lflag &= ~ISIG;
    }
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    raw_termios = t;
    raw_fd = fd;
    apply_raw();

    if (!handlers_installed) {
        handlers_installed = true;
        atexit(chardev_term_restore);
        signal_cleanup_set_terminal(chardev_term_restore);
        static const int fatal[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
                                     SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
                                     SIGILL };
        for (size_t i = 0; i < G_N_ELEMENTS(fatal); i++) {
            catch_if_default(fatal[i], on_fatal_signal);
        }
        catch_if_default(SIGTSTP, on_stop_signal);
        catch_if_default(SIGCONT, on_continue);
    }
}

static const char *refusal;     /* why stdio may not be used, or NULL */

void chardev_stdio_refuse(const char *reason)
{
    refusal = reason;
}

static bool stdio_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    bool allow_signals;
    if (!chardev_opts_get_bool(opts, "signal", true, &allow_signals, errp)) {
        return false;
    }
    if (refusal) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "%s", refusal);
        return false;
    }
    if (stdio_in_use) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "chardev '%s': cannot use stdio for more than one "
                    "character device (use mux=on to share it)", chr->id);
        return false;
    }
    stdio_in_use = true;
    chr->be_state = chr;        /* marks that close must release stdio */
    if (isatty(STDIN_FILENO)) {
        chardev_term_make_raw(STDIN_FILENO, allow_signals);
    }
    chr->filename = g_strdup("stdio");
    chardev_io_start(chr, STDIN_FILENO, STDOUT_FILENO);
    chr->open = true;
    return true;
}

/* Output still buffered when stdio closes (the reply to a QMP `quit`,
 * say, when the reader of a pipe was slow) is written out first: the
 * reader expects it, and the process is about to exit.  A reader that
 * stopped reading is given a few seconds, not forever. */
static void drain_output(TsChardev *chr)
{
    const gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    size_t done = 0;
    while (chr->out_fd >= 0 && chr->out_buf && done < chr->out_buf->len) {
        gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0) {
            break;
        }
        struct pollfd p = { .fd = chr->out_fd, .events = POLLOUT };
        int r = poll(&p, 1, (int)(left / 1000) + 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0 || !(p.revents & POLLOUT)) {
            break;
        }
        /* At most PIPE_BUF: a blocking stdout with room takes it whole
         * instead of blocking past the deadline. */
        size_t chunk = MIN(chr->out_buf->len - done, (size_t)PIPE_BUF);
        ssize_t n = write(chr->out_fd, chr->out_buf->data + done, chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        done += (size_t)n;
    }
}

static void stdio_close(TsChardev *chr)
{
    drain_output(chr);
    chardev_io_stop(chr);
    if (chr->be_state) {
        chardev_term_restore();
        stdio_in_use = false;
        chr->be_state = NULL;
    }
}

const ChardevBackend chardev_stdio_backend = {
    .name = "stdio",
    .description = "standard input and output (signal=on|off)",
    .open = stdio_open,
    .close = stdio_close,
};
