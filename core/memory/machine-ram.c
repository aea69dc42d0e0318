/*
 * core/memory/machine-ram.c - where the machine's main RAM comes from:
 * -machine memory-backend=ID, -mem-path, or anonymous memory.  The
 * command line sets the plan before the board is built; the board asks
 * for its RAM with ts_memory_region_new_machine_ram().
 */
#include "machine-ram.h"
#include "memory-backend.h"
#include "memory-internal.h"

#include <tessera/memory.h>
#include <tessera/types.h>

static char *plan_backend;      /* -machine memory-backend= */
static char *plan_mem_path;     /* -mem-path */

bool machine_ram_plan(const char *backend, const char *mem_path,
                      bool size_given, uint64_t *ram_size, bool numa_memdevs,
                      GError **errp)
{
    machine_ram_reset();
    if (backend && mem_path) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'-mem-path' can't be used together with"
                    "'-machine memory-backend'");
        return false;
    }
    if (backend) {
        uint64_t size;
        if (numa_memdevs) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "'-machine memory-backend' and '-numa memdev' "
                        "properties are mutually exclusive");
            return false;
        }
        if (!memory_backend_size(backend, &size)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                        "Memory backend '%s' not found", backend);
            return false;
        }
        if (size_given && size != *ram_size) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Machine memory size does not match the size of "
                        "the memory backend");
            return false;
        }
        *ram_size = size;
        plan_backend = g_strdup(backend);
    }
    plan_mem_path = g_strdup(mem_path);
    return true;
}

void machine_ram_reset(void)
{
    g_clear_pointer(&plan_backend, g_free);
    g_clear_pointer(&plan_mem_path, g_free);
}

TS_EXPORT TsMemoryRegion *ts_memory_region_new_machine_ram(const char *name,
                                                           uint64_t size,
                                                           GError **errp)
{
    if (!plan_backend && !plan_mem_path) {
        return ts_memory_region_new_ram(name, size, errp);
    }
    size_t mapped = 0;
    void *host = plan_backend
        ? memory_backend_map(plan_backend, name, &mapped, errp)
        : memory_mem_path_map(plan_mem_path, name, size, &mapped, errp);
    if (!host) {
        return NULL;
    }
    return memory_region_new_mapped(name, size, host, mapped);
}
