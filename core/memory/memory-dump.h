/*
 * core/memory/memory-dump.h - address spaces as text, for `info mtree`
 * and the tests.
 */
#ifndef TESSERA_CORE_MEMORY_DUMP_H
#define TESSERA_CORE_MEMORY_DUMP_H

#include <tessera/memory.h>

/*
 * The region tree of an address space as text, like QEMU's `info mtree`:
 *   address-space: memory
 *     0000000000000000-ffffffffffffffff (prio 0, container): system
 *       0000000080000000-0000000087ffffff (prio 0, ram): ram
 *       0000000000001000-0000000000001fff (prio 1, alias): boot @rom 0000000000000000-0000000000000fff
 * Aliased regions that are not otherwise in the tree follow it as
 * "memory-region: NAME" trees.  Free with g_free().
 */
char *ts_address_space_mtree(TsAddressSpace *as);

/* The flat view as text, one line per range:
 *   0000000080000000-0000000087ffffff (ram) ram @0000000000000000
 * Free with g_free(). */
char *ts_address_space_flat_dump(TsAddressSpace *as);

#endif
