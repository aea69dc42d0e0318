/*
 * core/util/read-bounded.h - reading a whole file the user named, with a
 * size bound.
 *
 * An option may name anything: /dev/zero, a FIFO, a file of many
 * gigabytes.  g_file_get_contents would read until memory runs out; this
 * stops one byte past the bound and refuses the file.
 */
#ifndef TESSERA_CORE_READ_BOUNDED_H
#define TESSERA_CORE_READ_BOUNDED_H

#include <glib.h>
#include <stdbool.h>

/* The contents of `path` (NUL-terminated, g_free) and their length, or
 * NULL + errp when it cannot be read or holds more than `max` bytes.
 * Messages name the file and say which. */
char *read_bounded(const char *path, gsize max, gsize *len, GError **errp);

#endif
