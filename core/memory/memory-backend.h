/*
 * core/memory/memory-backend.h - -object memory-backend-ram, -file and
 * -memfd (user object kinds, core/object/user-object.h).
 *
 * `-machine memory-backend=ID` makes a backend the machine's RAM (mapped
 * when the board creates its RAM); `-numa node,memdev=ID` gives a
 * backend's size to a node (the board allocates the RAM of all nodes as
 * one block, so nodes take plain memory-backend-ram backends only).
 * Properties that would change the memory in ways not done here are
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

/* Whether backend `id` is plain anonymous memory (what -numa nodes can
 * take while the board allocates all nodes' RAM as one block). */
bool memory_backend_plain(const char *id);

/* Map backend `id` as guest memory for region `name`: its file or memfd
 * opened now, its size; *mapped is the length to munmap.  NULL + errp. */
void *memory_backend_map(const char *id, const char *name, size_t *mapped,
                         GError **errp);

/* -mem-path PATH: size bytes from a file there (a directory: an unlinked
 * file of its own), private to the process as QEMU maps it. */
void *memory_mem_path_map(const char *path, const char *name, uint64_t size,
                          size_t *mapped, GError **errp);

/* Forget every backend (tests). */
void memory_backend_reset(void);

#endif
