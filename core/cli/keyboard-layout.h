/*
 * core/cli/keyboard-layout.h - -k LANGUAGE, the host keyboard layout a
 * display backend (VNC) translates keysyms with.
 *
 * Only the layouts of QEMU's manual are accepted, so that a typo fails at
 * start instead of when a display first needs the keymap; en-us is the
 * default.  Tessera has no display backend yet that uses it: the layout
 * is kept for one (cli.h: Cli.keyboard_layout).
 */
#ifndef TESSERA_CORE_KEYBOARD_LAYOUT_H
#define TESSERA_CORE_KEYBOARD_LAYOUT_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#define KEYBOARD_LAYOUT_DEFAULT "en-us"

bool keyboard_layout_check(const char *name, GError **errp);

/* `-k help`: the layouts, as the manual lays them out. */
void keyboard_layout_print(FILE *out);

#endif
