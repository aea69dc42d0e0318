/*
 * core/cli/daemonize.c - -daemonize, as QEMU does it.
 *
 * The fork happens before any thread exists (a forked child keeps only
 * the thread that forked).  The parent waits on a pipe: when the child
 * has built the VM it writes one byte and the parent exits 0, so a script
 * that runs `tessera -daemonize ...` can use the VM (its monitor socket,
 * its pidfile) as soon as the command returns.  If setting up fails, the
 * child prints why on the still shared stderr and exits; the parent sees
 * the pipe close without the byte and exits 1.  The child forks once
 * more so that the daemon is not a session leader (it can never get a
 * controlling terminal back by opening a tty), moves to "/" and, once
 * ready, points stdin and stdout, and stderr unless -d logging still
 * writes there, at /dev/null.
 */
#define _GNU_SOURCE             /* pipe2 */
#include "cli.h"
#include "chardev/chardevs.h"
#include "util/log-setup.h"

#include <tessera/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1;       /* the daemon's end of the pipe */

bool daemonize_check(const Cli *cli, GError **errp)
{
    if (cli->daemonize && cli->nographic) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "-nographic cannot be used with -daemonize");
        return false;
    }
    return true;
}

/* The parent: exit 0 when the daemon says it is ready, 1 otherwise. */
static G_NORETURN void wait_for_daemon(int fd, pid_t child)
{
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    char byte;
    ssize_t n;
    do {
        n = read(fd, &byte, 1);
    } while (n < 0 && errno == EINTR);
    /* _exit: the parent shares the child's state (pidfile, terminal
     * settings) and must not undo any of it with atexit handlers. */
    _exit(n == 1 ? 0 : 1);
}

bool daemonize_start(GError **errp)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "-daemonize: cannot create a pipe: %s",
                    g_strerror(errno));
        return false;
    }
    fflush(NULL);               /* nothing buffered is written twice */
    pid_t child = fork();
    if (child < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "-daemonize: cannot fork: %s", g_strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (child > 0) {
        close(fds[1]);
        wait_for_daemon(fds[0], child);
    }
    close(fds[0]);
    /* A new session without a terminal, then a child that is not its
     * leader. */
    if (setsid() < 0) {
        _exit(1);
    }
    pid_t daemon = fork();
    if (daemon < 0) {
        _exit(1);
    }
    if (daemon > 0) {
        _exit(0);
    }
    ready_fd = fds[1];
    chardev_stdio_refuse("cannot use stdio with -daemonize");
    umask(027);
    return true;
}

void daemonize_ready(void)
{
    if (ready_fd < 0) {
        return;
    }
    if (chdir("/") < 0) {
        /* Not fatal: every file was opened already. */
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (!log_writes_to_stderr()) {
            dup2(null, STDERR_FILENO);
        }
        close(null);
    }
    char byte = 0;
    while (write(ready_fd, &byte, 1) < 0 && errno == EINTR) {
    }
    close(ready_fd);
    ready_fd = -1;
}
