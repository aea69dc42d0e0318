/*
 * dev-riscv-aia plugin - the RISC-V Advanced Interrupt Architecture's
 * interrupt controllers as devices a board builds: APLIC domains
 * (aplic.c) and IMSIC pages (imsic.c).  The harts' side of the IMSIC,
 * its interrupt files and CSRs, is in cpu-riscv (x-aia=on).
 */
#include "aia.h"

static bool aia_plugin_init(GError **errp)
{
    return ts_type_register(&aia_aplic_type, errp) &&
           ts_type_register(&aia_imsic_type, errp);
}

TS_PLUGIN("dev-riscv-aia", "RISC-V AIA interrupt controllers: APLIC and IMSIC",
          aia_plugin_init);
