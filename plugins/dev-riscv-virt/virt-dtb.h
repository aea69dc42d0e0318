/*
 * virt-dtb.h - a device tree blob from outside (-dtb), and the edits the
 * board makes to whichever tree it hands the guest.
 *
 * Kept apart from the tree the board builds so that the libFuzzer target
 * tests/fuzz/fuzz-dtb.c can link exactly the code a user's blob reaches:
 * it needs glib, libfdt and the SDK's error domain, nothing of the board.
 */
#ifndef VIRT_DTB_H
#define VIRT_DTB_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* The largest tree the board hands over (its own, or a -dtb file). */
#define VIRT_DTB_MAX_SIZE (1024 * 1024)

/* The -dtb file at `path`, read with the board's bound: a tree with room
 * for the board's edits (g_free it), or NULL + errp ("-dtb PATH: ..."). */
void *virt_dtb_load(const char *path, GError **errp);

/* The same from `len` bytes already read (`path` names them in
 * messages).  Every check happens here, before libfdt walks the blob. */
void *virt_dtb_open(const void *data, size_t len, const char *path,
                    GError **errp);

/* Set /chosen's initrd range in an existing tree. */
bool virt_fdt_set_initrd(void *fdt, uint64_t start, uint64_t end,
                         GError **errp);

#endif
