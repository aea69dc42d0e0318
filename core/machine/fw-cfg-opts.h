/*
 * core/machine/fw-cfg-opts.h - -fw_cfg [name=]NAME,file=FILE|string=STR:
 * items a board's firmware configuration device hands to the guest, and
 * the other command-line values such a device reports
 * (ts_machine_fw_cfg_info).
 */
#ifndef TESSERA_CORE_FW_CFG_OPTS_H
#define TESSERA_CORE_FW_CFG_OPTS_H

#include <glib.h>
#include <stdbool.h>

/* One -fw_cfg: parsed and its file read now (false + errp). */
bool fw_cfg_opts_add(const char *arg, GError **errp);
/* -uuid (NULL: none) and -nographic, before the board is built. */
void fw_cfg_opts_set_machine(const char *uuid, bool nographic);
/* Forget everything (tests parse several command lines). */
void fw_cfg_opts_reset(void);

#endif
