/*
 * core/memory/machine-ram.h - the plan for the machine's main RAM
 * (-machine memory-backend=, -mem-path), set from the command line
 * before the board asks for its RAM (ts_memory_region_new_machine_ram).
 */
#ifndef TESSERA_CORE_MACHINE_RAM_H
#define TESSERA_CORE_MACHINE_RAM_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Check and keep the plan: `backend` (an -object memory backend id) or
 * `mem_path` or neither.  With a backend its size becomes *ram_size (an
 * -m given must match, as QEMU requires).  numa_memdevs: -numa nodes
 * take memdevs (exclusive with a machine backend).  false + errp in
 * QEMU's words. */
bool machine_ram_plan(const char *backend, const char *mem_path,
                      bool size_given, uint64_t *ram_size, bool numa_memdevs,
                      GError **errp);
void machine_ram_reset(void);

#endif
