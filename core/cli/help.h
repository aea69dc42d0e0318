/*
 * core/cli/help.h - help listings answered from sidecars and core types.
 */
#ifndef TESSERA_CORE_HELP_H
#define TESSERA_CORE_HELP_H

#include "plugin/plugins.h"
#include <stdio.h>

/* Print the list of one kind, in QEMU's layout where QEMU has one.
 * Machines are filtered by target (NULL: all). */
void help_print(FILE *out, PluginKind kind, const char *target);

/* Walk the same list as help_print, sorted by name, without printing
 * (and without loading any plugin): for query-machines. */
typedef void (*HelpEntryFn)(const char *name, const char *description,
                            bool is_default, void *opaque);
void help_foreach(PluginKind kind, const char *target, HelpEntryFn fn,
                  void *opaque);

/* The user name of the target's default machine, or NULL. */
const char *help_default_machine(const char *target);

#endif
