/*
 * core/memory/host-ram.h - the host memory behind guest RAM and ROM, and
 * the promise it comes with.
 *
 * Guest RAM is mapped with the kernel's commit accounting on, as QEMU maps
 * it: a size the host cannot commit (more than RAM + swap under Linux's
 * default heuristic, more than the commit limit under
 * vm.overcommit_memory=2) is refused when the machine is built, with one
 * line naming it, instead of being accepted and found missing when the
 * guest touches it (the OOM killer then picks a process on the host).
 * With vm.overcommit_memory=1 the host's owner has chosen to promise
 * everything, and so do we.  -mem-prealloc touches every page before the
 * guest starts, so a VM that starts has all of its memory.
 */
#ifndef TESSERA_CORE_HOST_RAM_H
#define TESSERA_CORE_HOST_RAM_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* -mem-prealloc: RAM made from now on is populated before it is used. */
void host_ram_set_prealloc(bool on);

/* size zeroed bytes for the region `name` (in messages), or NULL + errp.
 * *mapped is the length to munmap at the end, or 0 for g_free.  ROM is
 * never preallocated: the board fills it at once anyway. */
void *host_ram_alloc(const char *name, uint64_t size, bool is_rom,
                     size_t *mapped, GError **errp);

/* Whether -mem-prealloc was given. */
bool host_ram_prealloc_enabled(void);

/* Where a memory backend's pages come from. */
typedef struct HostRamSource {
    int fd;             /* a file or memfd, or -1: anonymous memory */
    bool share;         /* MAP_SHARED: stores reach the file/others */
    bool readonly;      /* the file is not to be written */
    bool prealloc;      /* populate before use (or -mem-prealloc) */
    bool merge;         /* KSM may merge identical pages */
    bool dump;          /* include in core dumps */
} HostRamSource;

/* Map size bytes of guest memory from `src` (the fd may be closed
 * afterwards); *mapped is the length to munmap.  NULL + errp. */
void *host_ram_map(const char *name, const HostRamSource *src,
                   uint64_t size, size_t *mapped, GError **errp);

#endif
