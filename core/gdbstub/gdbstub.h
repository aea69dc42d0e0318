/*
 * gdbstub.h - the GDB remote protocol server (-gdb, -s).
 */
#ifndef GDBSTUB_H
#define GDBSTUB_H

#include <tessera/types.h>

/* -gdb DEV / -s: remember the device (the last one given wins, as in
 * QEMU); "none" turns the server off. */
void gdbstub_set_option(const char *dev);

/* Open the server on the remembered device, once the machine and its
 * CPUs exist (cli-run.c).  True with nothing to do when none was given. */
bool gdbstub_open_option(GError **errp);

/* Start a server on `dev` (a chardev spec as -gdb takes it, or "none" to
 * stop the current one): HMP gdbserver.  Replaces a running server. */
bool gdbstub_start(const char *dev, GError **errp);

/* Close the server and its chardev (the end of main). */
void gdbstub_close(void);

#endif
