/*
 * core/cli/cli-unsupported.c - QEMU options that Tessera knows but cannot do
 * yet.  They are recognised with the right arity, so a command line that
 * uses them fails with a precise "not supported yet" naming the option
 * rather than "invalid option" or, worse, being silently ignored.
 */
#include "cli.h"

#include <tessera/types.h>

typedef struct KnownOption {
    const char *name;
    bool has_arg;
} KnownOption;

/* From the sections of QEMU's system emulation manual. */
static const KnownOption known[] = {
    /* standard options */
    { "pflash", true }, { "fsdev", true }, { "virtfs", true },
    { "iscsi", true },
    { "overcommit", true },
    { "icount", true },
    { "echr", true }, { "incoming", true }, { "only-migratable", false },
    { "msg", true },
    { "trace", true }, { "plugin", true }, { "enable-kvm", false },
    { "xen-domid", true }, { "loadvm", true }, { "semihosting", false },
    { "semihosting-config", true }, { "L", true },
    { "prom-env", true }, { "compat", true },
    { "run-with", true }, { "async-teardown", false },
    { "tpmdev", true }, { "option-rom", true },
    { "enable-sync-profile", false },
    /* USB */
    { "usbdevice", true },
    /* display */
    { "full-screen", false }, { "g", true }, { "vnc", true },
    { "spice", true }, { "portrait", false }, { "rotate", true },
    { "win2k-hack", false }, { "no-frame", false }, { "alt-grab", false },
    { "ctrl-grab", false }, { "no-quit", false }, { "sdl", false },
    /* character devices */
    { "debugcon", true },
    /* debug/expert */
    { "dfilter", true }, { "seed", true }, { "singlestep", false },
    { "preconfig", false }, { "dump-vmstate", true }, { "audio", true },
    { "soundhw", true }, { "audio-help", false }, { "mem-merge", true }, { "device-tree", true },
};

bool cli_unsupported_option(const char *name, bool *has_arg)
{
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
        if (g_str_equal(known[i].name, name)) {
            *has_arg = known[i].has_arg;
            return true;
        }
    }
    return false;
}
