/*
 * core/util/sandbox.h - -sandbox: a seccomp filter (Debian's libseccomp)
 * that stops the emulator process from making system calls it never
 * needs, as QEMU's -sandbox does.
 */
#ifndef TESSERA_CORE_SANDBOX_H
#define TESSERA_CORE_SANDBOX_H

#include <glib.h>
#include <stdbool.h>

typedef enum SandboxPriv {
    SANDBOX_PRIV_ALLOW,
    SANDBOX_PRIV_DENY,          /* no set*uid / set*gid at all */
    SANDBOX_PRIV_CHILDREN,      /* allowed here; children exec'd with no
                                 * new privileges (setuid bits ignored) */
} SandboxPriv;

typedef struct SandboxOpts {
    bool enable;
    bool obsolete_allow;        /* default deny */
    SandboxPriv elevate;        /* default allow */
    bool spawn_deny;            /* default allow */
    bool resourcecontrol_deny;  /* default allow */
} SandboxOpts;

/* -sandbox on|off[,obsolete=..][,elevateprivileges=..][,spawn=..]
 * [,resourcecontrol=..]: false + QEMU's message. */
bool sandbox_parse(const char *arg, SandboxOpts *out, GError **errp);
/* Install the filter on every thread of the process (nothing when
 * disabled); false + errp when it cannot (built without libseccomp:
 * QEMU's "seccomp support is disabled"). */
bool sandbox_install(const SandboxOpts *o, GError **errp);

#endif
