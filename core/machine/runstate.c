/*
 * core/machine/runstate.c - what happens when the guest or a monitor asks to power
 * off or reset, shaped by -no-reboot and -no-shutdown, and the -pidfile.
 */
#include "runstate.h"
#include "actions.h"
#include "cpu-internal.h"
#include "machine-lifecycle.h"
#include "monitor/qmp.h"
#include "loader/reset-fixups.h"
#include "device/devices.h"
#include "loop/main-loop.h"
#include "util/signal-cleanup.h"

#include <tessera/cpu.h>
#include <tessera/device.h>
#include <tessera/loop.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *vm_name;
static char *pidfile_path;
static int pidfile_fd = -1;
static int pidfile_cleanup = -1;    /* its signal_cleanup handle */

/* Reset every device (CPUs are devices) while the VM holds still; then
 * the board, then what must come after both (-device loader). */
static void reset_machine(void)
{
    bool was_running = ts_vm_running();
    if (was_running) {
        ts_vm_stop();
    }
    cpu_wait_idle();            /* no hart may run while it is reset */
    ts_devices_reset_all();
    machine_reset();
    reset_fixups_run();
    if (was_running) {
        ts_vm_start();
    }
}

static void handle_request(TsShutdownCause cause, int exit_code)
{
    const char *reason = qmp_shutdown_cause_name(cause);
    bool guest = cause != TS_SHUTDOWN_HOST;
    /* -action (and set-action at run time) over -no-reboot and
     * -no-shutdown, which runstate_setup folded into it. */
    bool no_reboot = vm_actions()->reboot_shutdown;
    bool no_shutdown = vm_actions()->shutdown_pause;
    if (cause == TS_SHUTDOWN_GUEST_RESET && !no_reboot) {
        qmp_event_reset(guest, reason);
        reset_machine();
        return;
    }
    qmp_event_shutdown(guest, reason);
    if (no_shutdown && cause != TS_SHUTDOWN_HOST) {
        /* -no-shutdown: stay for the monitor, in QEMU's "shutdown"
         * run state. */
        qmp_set_stop_reason("shutdown");
        ts_vm_stop();
        return;
    }
    ts_loop_quit(exit_code);
}

static const char *get_vm_name(void)
{
    return vm_name;
}

static void monitor_reset(void)
{
    reset_machine();
}

static void monitor_powerdown(void)
{
    /* Without an ACPI-like power button, powerdown ends the VM. */
    ts_request_shutdown(TS_SHUTDOWN_HOST, 0);
}

/*
 * SIGTERM, SIGINT and SIGHUP end the VM the way a monitor's quit does
 * (SHUTDOWN event, pidfile removed, terminal restored), as QEMU does,
 * instead of killing the process mid-write.  The handler only writes the
 * signal number into a pipe that the main loop watches (GLib's own unix
 * signal sources would start a helper thread named "gmain", which
 * -name process= must not see).
 *
 * Before the main loop runs nobody reads that pipe, and start-up may be
 * blocked for good (a socket chardev waiting for its client, a -pidfile
 * or -dtb naming a FIFO): there the handler ends the process itself, as
 * the signal's default action would in QEMU, after removing the files we
 * created and restoring the terminal (util/signal-cleanup.h).
 */
static char *progname;
static int signal_pipe[2] = { -1, -1 };
static TsFdWatch *signal_watch;
static volatile sig_atomic_t loop_takes_signals;

/* Async-signal-safe "<progname>: terminating on signal N". */
static void say_terminating(int sig)
{
    char msg[256];
    size_t n = 0;
    const char *parts[] = { progname ? progname : "tessera",
                            ": terminating on signal " };
    for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
        for (const char *c = parts[i]; *c && n < sizeof(msg) - 8; c++) {
            msg[n++] = *c;
        }
    }
    char digits[4];
    int nd = 0;
    for (unsigned v = (unsigned)sig % 1000; nd == 0 || v; v /= 10) {
        digits[nd++] = (char)('0' + v % 10);
    }
    while (nd) {
        msg[n++] = digits[--nd];
    }
    msg[n++] = '\n';
    if (write(STDERR_FILENO, msg, n) < 0) {
        /* nowhere left to say it */
    }
}

static void end_startup(int sig)
{
    say_terminating(sig);
    signal_cleanup_run();
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);           /* not reached: the default action ends us */
}

static void on_signal(int sig)
{
    if (!loop_takes_signals) {
        end_startup(sig);
    }
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (write(signal_pipe[1], &b, 1) < 0) {
        /* full pipe: a shutdown is already on its way */
    }
    errno = saved;
}

static bool on_signal_byte(int fd, GIOCondition cond, void *opaque)
{
    unsigned char b;
    while (read(fd, &b, 1) == 1) {
        fprintf(stderr, "%s: terminating on signal %d\n",
                progname ? progname : "tessera", b);
        ts_request_shutdown(TS_SHUTDOWN_HOST, 0);
    }
    return true;
}

void runstate_catch_signals(const char *prog)
{
    if (signal_pipe[0] >= 0 || !g_unix_open_pipe(signal_pipe,
                                                 FD_CLOEXEC, NULL)) {
        return;
    }
    progname = g_strdup(prog);
    g_unix_set_fd_nonblocking(signal_pipe[0], TRUE, NULL);
    g_unix_set_fd_nonblocking(signal_pipe[1], TRUE, NULL);
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
    for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++) {
        struct sigaction sa = { .sa_handler = on_signal,
                                .sa_flags = SA_RESTART };
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

void runstate_loop_takes_signals(void)
{
    loop_takes_signals = 1;
}

void runstate_setup(const RunstatePolicy *policy)
{
    if (signal_pipe[0] >= 0 && !signal_watch) {
        signal_watch = ts_fd_watch_add(signal_pipe[0], G_IO_IN,
                                       on_signal_byte, NULL);
    }
    VmActions actions = *vm_actions();
    actions.reboot_shutdown |= policy->no_reboot;
    actions.shutdown_pause |= policy->no_shutdown;
    vm_actions_install(&actions);
    vm_name = g_strdup(policy->vm_name);
    machine_set_shutdown_handler(handle_request);

    QmpVmHooks hooks;
    qmp_core_vm_hooks(&hooks);
    hooks.vm_name = get_vm_name;
    hooks.system_reset = monitor_reset;
    hooks.system_powerdown = monitor_powerdown;
    qmp_set_vm_hooks(&hooks);
}

/*
 * The pid file is locked for as long as we run, as QEMU does: a second
 * instance naming the same file is refused instead of taking it over (and
 * having it deleted under it when the first exits).  The lock is checked
 * before the file is truncated, so a refused instance leaves the running
 * one's pid in place.
 */
bool runstate_write_pidfile(const char *path, GError **errp)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "-pidfile %s: cannot write it: %s", path,
                    g_strerror(errno));
        return false;
    }
    struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fcntl(fd, F_SETLK, &lock) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "-pidfile %s: Cannot lock pid file: %s", path,
                    g_strerror(errno));
        close(fd);
        return false;
    }
    g_autofree char *text = g_strdup_printf("%d\n", (int)getpid());
    if (ftruncate(fd, 0) != 0 ||
        write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "-pidfile %s: cannot write it: %s", path,
                    g_strerror(errno));
        close(fd);
        return false;
    }
    pidfile_fd = fd;            /* kept open: closing it drops the lock */
    pidfile_path = g_strdup(path);
    pidfile_cleanup = signal_cleanup_add_path(path);
    return true;
}

/* Whether path still names the file we locked (not one that replaced
 * it since). */
static bool pidfile_is_ours(void)
{
    struct stat at_path, ours;
    return stat(pidfile_path, &at_path) == 0 &&
           fstat(pidfile_fd, &ours) == 0 &&
           at_path.st_dev == ours.st_dev && at_path.st_ino == ours.st_ino;
}

void runstate_cleanup(void)
{
    if (pidfile_path) {
        signal_cleanup_forget(pidfile_cleanup);
        pidfile_cleanup = -1;
        if (pidfile_is_ours()) {
            unlink(pidfile_path);
        }
        close(pidfile_fd);
        pidfile_fd = -1;
        g_clear_pointer(&pidfile_path, g_free);
    }
    /* The handlers go first: they read progname and the pipe. */
    if (signal_pipe[0] >= 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
    }
    loop_takes_signals = 0;
    g_clear_pointer(&vm_name, g_free);
    g_clear_pointer(&progname, g_free);
    g_clear_pointer(&signal_watch, ts_fd_watch_remove);
    for (int i = 0; i < 2; i++) {
        if (signal_pipe[i] >= 0) {
            close(signal_pipe[i]);
            signal_pipe[i] = -1;
        }
    }
}

void runstate_debug_stop(void)
{
    if (ts_vm_running()) {
        ts_vm_stop();
        qmp_set_stop_reason("debug");
    }
    cpu_wait_idle();
}

void runstate_wait_cpus_idle(void)
{
    cpu_wait_idle();
}
