/*
 * core/machine/boot-opts.h - -boot [order=]drives[,once=drives][,menu=on|off]
 * [,splash=file][,splash-time=ms][,reboot-timeout=ms][,strict=on|off].
 *
 * Checked as QEMU's manual and QEMU check them: drive letters a-p, each
 * at most once; splash-time 0..65535; reboot-timeout -1..65535 (-1, the
 * default, means no reboot); the splash file must exist and be a JPEG or
 * a 24-bit BMP.  The result stays in the core (no board reads it yet).
 */
#ifndef TESSERA_CORE_BOOT_OPTS_H
#define TESSERA_CORE_BOOT_OPTS_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include <tessera/machine.h>

/*
 * -boot: what the firmware is asked to boot from.  Drive letters are
 * QEMU's: a-b floppies, c-f disks, g-m machine-specific, n-p network.
 * Not in the SDK until a board's firmware takes a boot order; the letters
 * are checked (a-p, no repeats) but what they mean will be the board's.
 */
typedef struct TsBootConfig {
    const char *order;          /* order=, NULL: the board's default */
    /* once=: the order for the first boot only; from the first reset on,
     * `order` applies again.  NULL if not given. */
    const char *once;
    bool menu;                  /* menu=on: interactive boot menu */
    bool strict;                /* strict=on: boot only from the list */
    const char *splash;         /* splash= picture (JPEG or 24-bit BMP) */
    int64_t splash_time;        /* splash-time= ms (0..65535), -1: unset */
    /* reboot-timeout= ms to wait after a failed boot before rebooting
     * (0..65535); -1 (the default): do not reboot. */
    int64_t reboot_timeout;
    void *reserved[4];
} TsBootConfig;

/* Fill out from text (NULL: the defaults).  The strings out points to are
 * its own until boot_opts_clear(). */
/* -boot help: the keys and the kind of value each takes. */
void boot_opts_print_help(FILE *out);

bool boot_opts_parse(const char *text, TsBootConfig *out, GError **errp);
void boot_opts_clear(TsBootConfig *cfg);

/* The -boot of this run (its defaults without -boot), once the machine's
 * configuration is applied. */
const TsBootConfig *machine_boot_config(void);

/* The checks of order= and once= (also what a board's boot-order change
 * must pass): letters 'a'..'p', none twice. */
bool boot_opts_check_drives(const char *drives, GError **errp);

#endif
