/*
 * core/machine/cpu-opts.h - -cpu MODEL[,prop=value,...], parsed once.
 *
 * The model is resolved to its CPU type (loading the plugin that provides
 * it) and each prop=value becomes a default for every CPU of that type,
 * applied when the board creates it, the way -global applies (as QEMU
 * does).  A board reads only TsMachineConfig.cpu_type: the type's name.
 */
#ifndef TESSERA_CORE_CPU_OPTS_H
#define TESSERA_CORE_CPU_OPTS_H

#include <glib.h>
#include <stdbool.h>

/* The CPU type `spec` names, e.g. "rv64-cpu" for "rv64,c=off" (owned by
 * this file until cpu_opts_cleanup), its properties recorded; NULL +
 * errp for an unknown model or a malformed list. */
const char *cpu_opts_apply(const char *spec, GError **errp);
void cpu_opts_cleanup(void);

#endif
