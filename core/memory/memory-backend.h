/*
 * core/memory/memory-backend.h - -object memory-backend-ram,id=ID,size=SIZE.
 *
 * A user object kind (core/object/user-object.h), as far as -numa needs
 * it: a named size that `-numa node,memdev=ID` gives to a node.  The board still
 * allocates the guest's RAM as one block of -m bytes; the backends say
 * how it is split between nodes (their sizes must add up to -m).  Other
 * object types, and backend properties such as prealloc or share, are
 * refused as not supported yet rather than accepted and ignored.
 */
#ifndef TESSERA_CORE_MEMORY_BACKEND_H
#define TESSERA_CORE_MEMORY_BACKEND_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The size of backend `id` (which is in use from then on); false if
 * there is none. */
bool memory_backend_size(const char *id, uint64_t *size);

/* Forget every backend (tests). */
void memory_backend_reset(void);

#endif
