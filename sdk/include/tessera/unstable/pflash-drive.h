/*
 * tessera/unstable/pflash-drive.h - NOT PART OF THE STABLE ABI.
 *
 * A stop-gap until the block layer exists: boards with flash banks ask the
 * core for the file of a -drive if=pflash, and the bank's device opens the
 * file itself.  The block layer replaces this with a real block backend
 * (a drive property on the flash device); this call then goes away in any
 * minor release, without an ABI bump.  It is exported and checked like
 * the rest (tests/abi/test-sdk-exports.py), but the ABI baseline
 * (sdk/abi/tessera-abi.txt) does not record it: nothing under
 * <tessera/unstable/> is promised.  Only boards built in this tree use it.
 */
#ifndef TESSERA_UNSTABLE_PFLASH_DRIVE_H
#define TESSERA_UNSTABLE_PFLASH_DRIVE_H

#include <tessera/types.h>

TS_BEGIN_DECLS

/*
 * The image file of `-drive if=pflash,unit=N,file=PATH[,format=raw]`
 * (index=N is the same), or NULL when no drive was given for that unit.
 * *readonly (may be NULL) gets its readonly= setting.  For boards with
 * flash banks: init asks for each bank it has, and the bank's device
 * opens the file itself (the core checked only that it exists and is no
 * other image format).  A drive no board asked for ends the run after
 * init with QEMU's "machine type does not support if=pflash,bus=0,unit=N".
 * The string lives as long as the process.
 */
const char *ts_machine_pflash_file(unsigned unit, bool *readonly);

TS_END_DECLS

#endif
