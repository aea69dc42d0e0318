/*
 * core/machine/boot-opts.h - -boot [order=]drives[,once=drives][,menu=on|off]
 * [,splash=file][,splash-time=ms][,reboot-timeout=ms][,strict=on|off].
 *
 * Checked as QEMU's manual and QEMU check them: drive letters a-p, each
 * at most once; splash-time 0..65535; reboot-timeout -1..65535 (-1, the
 * default, means no reboot); the splash file must exist and be a JPEG or
 * a 24-bit BMP.  The result is TsBootConfig (sdk machine.h) for boards.
 */
#ifndef TESSERA_CORE_BOOT_OPTS_H
#define TESSERA_CORE_BOOT_OPTS_H

#include <glib.h>
#include <stdbool.h>

#include <tessera/machine.h>

/* Fill out from text (NULL: the defaults).  The strings out points to are
 * its own until boot_opts_clear(). */
bool boot_opts_parse(const char *text, TsBootConfig *out, GError **errp);
void boot_opts_clear(TsBootConfig *cfg);

/* The checks of order= and once= (also what a board's boot-order change
 * must pass): letters 'a'..'p', none twice. */
bool boot_opts_check_drives(const char *drives, GError **errp);

#endif
