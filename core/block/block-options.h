/*
 * core/block/block-options.h - the block layer's command-line options,
 * for cli/: -blockdev, -drive and its spellings, -snapshot, and when in
 * the start-up they are acted on.
 */
#ifndef TESSERA_CORE_BLOCK_OPTIONS_H
#define TESSERA_CORE_BLOCK_OPTIONS_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

/* At parse time: check and queue (errors are not prefixed). */
bool block_drive_add(const char *arg, GError **errp);
bool block_blockdev_queue(const char *arg, GError **errp);
/* -hda, -hdb, -hdc, -hdd, -cdrom, -fda, -fdb, -mtdblock, -sd: `name`
 * without the dash. */
bool block_legacy_option(const char *name, const char *file, GError **errp);
/* -set drive.ID.KEY=VALUE: the -drive with that id gets KEY=VALUE (the
 * last value wins); false + QEMU's "there is no drive ..." otherwise. */
bool block_drive_set(const char *id, const char *key, const char *value,
                     GError **errp);
/* -snapshot: every -drive gets snapshot=on. */
void block_set_snapshot_all(void);

/* Before the board is built: open -blockdev nodes, then -drive images
 * (errors are prefixed with the option). */
bool block_options_open(GError **errp);
/* After the board: devices for if=virtio drives (before -device ones
 * are realized is not needed: they name their drive themselves). */
bool block_drives_create_devices(GError **errp);
/* After every device: a drive on an interface nobody took is an error. */
bool block_drives_check_claimed(GError **errp);
/* Every submitted request completes and every writable node is flushed
 * (tests use it to look at files the background writes change). */
void block_drain_all(void);
/* At exit: drain, flush and close everything (temporary overlays go). */
void block_close_all(void);
/* Forget every queued option (tests parse several command lines). */
void block_legacy_reset(void);

#endif
