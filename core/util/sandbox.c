/*
 * core/util/sandbox.c - -sandbox with libseccomp.
 *
 * A deny list, as QEMU's: everything is allowed except groups of calls
 * an emulator never makes (rebooting the host, loading modules, mounting,
 * setting the host's clock), the obsolete ones, and, when asked, the
 * privilege changes (elevateprivileges=deny), new processes (spawn=deny)
 * and scheduling and memory-policy changes (resourcecontrol=deny).  A
 * denied call kills the whole process (SIGSYS): a compromised emulator
 * must not get to try again.  The filter covers every thread (TSYNC),
 * also the ones started later.
 *
 * spawn=deny is about running programs: execve is denied, and so are the
 * ways to a new process image: fork() (clone() sharing no memory) and
 * vfork()/posix_spawn (CLONE_VFORK).  Threads (CLONE_THREAD) stay
 * allowed, and so does a clone sharing the address space (what the leak
 * checker of a sanitizer build uses at exit): it cannot exec.  clone3,
 * whose flags a filter cannot read, answers ENOSYS so that the C library
 * falls back to clone().
 */
#define _GNU_SOURCE
#include "config.h"
#include "sandbox.h"
#include "cli/opts.h"

#include <tessera/types.h>
#include <errno.h>
#include <sched.h>

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#endif

static bool parse_allow_deny(const TsOpts *o, const char *key, bool *deny,
                             GError **errp)
{
    const char *v = opts_get(o, key);
    if (!v) {
        return true;
    }
    if (g_str_equal(v, "allow") || g_str_equal(v, "deny")) {
        *deny = g_str_equal(v, "deny");
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID, "invalid argument for %s",
                key);
    return false;
}

bool sandbox_parse(const char *arg, SandboxOpts *out, GError **errp)
{
    g_autoptr(TsOpts) o = opts_parse(arg, "enable", errp);
    if (!o) {
        return false;
    }
    static const char *const keys[] = {
        "enable", "obsolete", "elevateprivileges", "spawn",
        "resourcecontrol", NULL };
    if (!opts_check_keys(o, keys, errp)) {
        return false;
    }
    SandboxOpts s = { .elevate = SANDBOX_PRIV_ALLOW };
    if (opts_wants_help(o)) {
        /* As QEMU, which reads "help" as the value of enable. */
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'enable' expects 'on' or 'off'");
        return false;
    }
    if (!opts_has(o, "enable")) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'enable' is missing");
        return false;
    }
    if (!opts_get_bool(o, "enable", false, &s.enable, errp)) {
        return false;
    }
    bool obsolete_deny = true;
    if (!parse_allow_deny(o, "obsolete", &obsolete_deny, errp) ||
        !parse_allow_deny(o, "spawn", &s.spawn_deny, errp) ||
        !parse_allow_deny(o, "resourcecontrol", &s.resourcecontrol_deny,
                          errp)) {
        return false;
    }
    s.obsolete_allow = !obsolete_deny;
    const char *ep = opts_get(o, "elevateprivileges");
    if (ep) {
        if (g_str_equal(ep, "allow")) {
            s.elevate = SANDBOX_PRIV_ALLOW;
        } else if (g_str_equal(ep, "deny")) {
            s.elevate = SANDBOX_PRIV_DENY;
        } else if (g_str_equal(ep, "children")) {
            s.elevate = SANDBOX_PRIV_CHILDREN;
        } else {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "invalid argument for elevateprivileges");
            return false;
        }
    }
    *out = s;
    return true;
}

#ifdef HAVE_SECCOMP

/* Never needed by an emulator: the host's own administration. */
static const char *const always_denied[] = {
    "reboot", "swapon", "swapoff", "syslog", "mount", "umount2",
    "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "pivot_root", "acct", "settimeofday", "clock_settime",
    "adjtimex", "clock_adjtime", "quotactl", "iopl", "ioperm", "vhangup",
    NULL
};
static const char *const obsolete[] = {
    "uselib", "ustat", "sysfs", "_sysctl", "bdflush", "create_module",
    "get_kernel_syms", "query_module", "nfsservctl", "getpmsg", "putpmsg",
    "afs_syscall", "tuxcall", "security", "vserver", "readdir",
    "lookup_dcookie", NULL
};
static const char *const privileges[] = {
    "setuid", "setgid", "setpgid", "setsid", "setreuid", "setregid",
    "setresuid", "setresgid", "setfsuid", "setfsgid", "setgroups", NULL
};
static const char *const spawning[] = {
    "fork", "vfork", "execve", "execveat", NULL
};
static const char *const resources[] = {
    "setpriority", "sched_setparam", "sched_setscheduler",
    "sched_setaffinity", "sched_setattr", "mbind", "migrate_pages",
    "move_pages", "set_mempolicy", NULL
};

/* Deny each call of the list this architecture has (names it does not
 * know, such as readdir on x86-64, are skipped). */
static int deny(scmp_filter_ctx ctx, const char *const *names)
{
    for (; *names; names++) {
        int nr = seccomp_syscall_resolve_name(*names);
        if (nr == __NR_SCMP_ERROR) {
            continue;
        }
        int rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int deny_spawn(scmp_filter_ctx ctx)
{
    int rc = deny(ctx, spawning);
    if (rc < 0) {
        return rc;
    }
    rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                          SCMP_A0(SCMP_CMP_MASKED_EQ,
                                  CLONE_THREAD | CLONE_VM, 0));
    if (rc < 0) {
        return rc;
    }
    rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                          SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VFORK,
                                  CLONE_VFORK));
    if (rc < 0) {
        return rc;
    }
    int nr = seccomp_syscall_resolve_name("clone3");
    if (nr != __NR_SCMP_ERROR) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
    }
    return rc;
}

bool sandbox_install(const SandboxOpts *o, GError **errp)
{
    if (!o->enable) {
        return true;
    }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "failed to initialize seccomp context");
        return false;
    }
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (rc >= 0) {
        rc = deny(ctx, always_denied);
    }
    if (rc >= 0 && !o->obsolete_allow) {
        rc = deny(ctx, obsolete);
    }
    if (rc >= 0 && o->elevate == SANDBOX_PRIV_DENY) {
        rc = deny(ctx, privileges);
    }
    if (rc >= 0 && o->spawn_deny) {
        rc = deny_spawn(ctx);
    }
    if (rc >= 0 && o->resourcecontrol_deny) {
        rc = deny(ctx, resources);
    }
    /* libseccomp sets no_new_privs before loading (the kernel wants it
     * from an unprivileged process): children of the emulator never gain
     * privileges through setuid programs, whichever the option. */
    if (rc >= 0) {
        rc = seccomp_load(ctx);
    }
    seccomp_release(ctx);
    if (rc < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "failed to install seccomp syscall filter in the "
                    "kernel: %s", g_strerror(-rc));
        return false;
    }
    return true;
}

#else

bool sandbox_install(const SandboxOpts *o, GError **errp)
{
    if (!o->enable) {
        return true;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                "seccomp support is disabled (built without libseccomp: "
                "install libseccomp-dev and rebuild)");
    return false;
}

#endif
