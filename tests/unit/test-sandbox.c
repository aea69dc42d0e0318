/*
 * test-sandbox.c - -sandbox's seccomp filter, each option in a child
 * process of its own: a denied call kills the child with SIGSYS, an
 * allowed one returns.  The calls are made so that they do nothing even
 * if the filter let them through (reboot with a bad magic number, setuid
 * to the uid we have, swapoff of a path that does not exist).
 */
#define _GNU_SOURCE
#include "config.h"
#include "util/sandbox.h"

#include <glib.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*Action)(void);

static int do_reboot(void)
{
    return (int)syscall(SYS_reboot, 0, 0, 0, NULL);  /* bad magic: EINVAL */
}

static int do_ustat(void)
{
    return (int)syscall(SYS_ustat, 0, NULL);
}

static int do_setuid(void)
{
    return setuid(getuid());
}

static int do_fork(void)
{
    pid_t p = fork();
    if (p == 0) {
        _exit(0);
    }
    return p > 0 && waitpid(p, NULL, 0) == p ? 0 : -1;
}

static int do_exec(void)
{
    char *argv[] = { (char *)"/bin/true", NULL };
    execv("/bin/true", argv);
    return -1;
}

static void *thread_fn(void *arg)
{
    return arg;
}

static int do_thread(void)
{
    pthread_t th;
    void *ret = NULL;
    if (pthread_create(&th, NULL, thread_fn, (void *)1) != 0) {
        return -1;
    }
    pthread_join(th, &ret);
    return ret == (void *)1 ? 0 : -1;
}

static int do_affinity(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof(set), &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

/* How the child ended: the signal that killed it, or 0 if it returned
 * (the call was allowed, whatever it answered). */
static int run_sandboxed(const char *opts, Action act)
{
    fflush(NULL);
    pid_t p = fork();
    g_assert_cmpint(p, >=, 0);
    if (p == 0) {
        SandboxOpts o;
        GError *err = NULL;
        if (!sandbox_parse(opts, &o, &err) || !sandbox_install(&o, &err)) {
            _exit(100);
        }
        act();
        _exit(0);       /* no exit handlers: a sanitizer's would run here */
    }
    int status;
    g_assert_cmpint(waitpid(p, &status, 0), ==, p);
    if (WIFEXITED(status)) {
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        return 0;
    }
    g_assert_true(WIFSIGNALED(status));
    return WTERMSIG(status);
}

static void test_parse(void)
{
    SandboxOpts o;
    GError *err = NULL;
    g_assert_true(sandbox_parse("on", &o, &err));
    g_assert_true(o.enable && !o.obsolete_allow && !o.spawn_deny &&
                  o.elevate == SANDBOX_PRIV_ALLOW);
    g_assert_true(sandbox_parse("off", &o, &err) && !o.enable);
    static const char *const bad[][2] = {
        { "bogus", "Parameter 'enable' expects 'on' or 'off'" },
        { "on,spawn=bogus", "invalid argument for spawn" },
        { "on,elevateprivileges=x", "invalid argument for elevateprivileges" },
        { "on,foo=1", "Invalid parameter 'foo'" },
        { "spawn=deny", "Parameter 'enable' is missing" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(sandbox_parse(bad[i][0], &o, &err));
        g_assert_nonnull(strstr(err->message, bad[i][1]));
        g_clear_error(&err);
    }
}

static void test_filters(void)
{
#ifndef HAVE_SECCOMP
    g_test_skip("built without libseccomp (Debian package libseccomp-dev)");
    return;
#else
    /* Off: nothing filtered. */
    g_assert_cmpint(run_sandboxed("off", do_reboot), ==, 0);
    /* On: the host's administration and obsolete calls are gone; the
     * rest of the defaults allow privileges, processes and scheduling. */
    g_assert_cmpint(run_sandboxed("on", do_reboot), ==, SIGSYS);
    g_assert_cmpint(run_sandboxed("on", do_ustat), ==, SIGSYS);
    g_assert_cmpint(run_sandboxed("on,obsolete=allow", do_ustat), ==, 0);
    g_assert_cmpint(run_sandboxed("on", do_setuid), ==, 0);
    g_assert_cmpint(run_sandboxed("on", do_fork), ==, 0);
    g_assert_cmpint(run_sandboxed("on", do_affinity), ==, 0);
    /* Each option denies its group. */
    g_assert_cmpint(run_sandboxed("on,elevateprivileges=deny", do_setuid),
                    ==, SIGSYS);
    g_assert_cmpint(run_sandboxed("on,elevateprivileges=children",
                                  do_setuid), ==, 0);
    g_assert_cmpint(run_sandboxed("on,spawn=deny", do_fork), ==, SIGSYS);
    g_assert_cmpint(run_sandboxed("on,spawn=deny", do_exec), ==, SIGSYS);
    g_assert_cmpint(run_sandboxed("on,resourcecontrol=deny", do_affinity),
                    ==, SIGSYS);
    /* spawn=deny keeps threads (the emulator's vCPUs and workers). */
    g_assert_cmpint(run_sandboxed("on,spawn=deny", do_thread), ==, 0);
#endif
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sandbox/parse", test_parse);
    g_test_add_func("/sandbox/filters", test_filters);
    return g_test_run();
}
