/*
 * aia.h - what the files of the RISC-V AIA plugin share: the type names
 * boards create, and the limits.
 */
#ifndef AIA_H
#define AIA_H

#include <tessera/tessera.h>

#define AIA_TYPE_APLIC "riscv.aplic"
#define AIA_TYPE_IMSIC "riscv.imsic"

#define AIA_MAX_HARTS 16384         /* an APLIC hart index is 14 bits */
#define AIA_IMSIC_MAX_IDS 2047      /* identities are 11 bits */
#define AIA_APLIC_MAX_SOURCES 1023

extern const TsTypeInfo aia_aplic_type;
extern const TsTypeInfo aia_imsic_type;

#endif
