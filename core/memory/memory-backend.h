/*
 * core/memory/memory-backend.h - -object memory-backend-ram,id=ID,size=SIZE.
 *
 * The only -object type so far, and only as far as -numa needs it: a
 * named size that `-numa node,memdev=ID` gives to a node.  The board still
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

/* One -object argument: "[qom-type=]memory-backend-ram,id=..,size=..". */
bool memory_backend_add(const char *arg, GError **errp);

/* The size of backend `id`; false if there is none. */
bool memory_backend_size(const char *id, uint64_t *size);

/* `-object help`: the object types that can be created. */
void memory_backend_print_types(FILE *out, const char *const *others);

/* Forget every backend (tests). */
void memory_backend_reset(void);

#endif
