/*
 * core/loader/reset-fixups.h - work that must come after every other reset.
 *
 * A system reset resets every device (children first, in creation order)
 * and then calls the board's reset hook.  Some work must follow all of
 * that whatever the tree looks like: the generic loader (-device loader)
 * rewrites its images and sets a CPU's PC, and neither the CPU's own reset
 * nor the board's may undo it.  Fixups run in the order they were added,
 * after each system reset and once before the CPUs first start.
 */
#ifndef TESSERA_CORE_RESET_FIXUPS_H
#define TESSERA_CORE_RESET_FIXUPS_H

#include <glib.h>

void reset_fixup_add(void (*fn)(void *opaque), void *opaque);
/* Remove the fixup added with that fn and opaque (no-op if absent). */
void reset_fixup_remove(void (*fn)(void *opaque), void *opaque);
void reset_fixups_run(void);

#endif
