/*
 * core/memory/memory-overlap.h - what a window would cover, for the code
 * that places user-created devices (a -device addr= over RAM or over
 * another device is refused instead of silently shadowing it).
 */
#ifndef TESSERA_CORE_MEMORY_OVERLAP_H
#define TESSERA_CORE_MEMORY_OVERLAP_H

#include <tessera/memory.h>

/* The name of an enabled region mapped directly in `container` that
 * [addr, addr + size) would overlap, or NULL (also for size 0). */
const char *memory_container_overlap(TsMemoryRegion *container,
                                     uint64_t addr, uint64_t size);

#endif
