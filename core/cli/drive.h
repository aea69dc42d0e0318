/*
 * core/cli/drive.h - -drive, as far as it goes without a block layer: flash
 * banks (if=pflash) backed by raw image files, which boards pick up with
 * ts_machine_pflash_file() (<tessera/machine.h>).
 */
#ifndef TESSERA_CORE_DRIVE_H
#define TESSERA_CORE_DRIVE_H

#include <glib.h>
#include <stdbool.h>

/* Parse and record one -drive argument.  false + errp (not prefixed with
 * the option) for what is malformed or needs the block layer. */
bool drive_add_option(const char *arg, GError **errp);

/* After the board is built: a -drive that no board asked for is an
 * error, as in QEMU ("machine type does not support if=pflash,..."). */
bool drive_check_claimed(GError **errp);

/* Forget every -drive (tests parse several command lines). */
void drive_reset(void);

#endif
