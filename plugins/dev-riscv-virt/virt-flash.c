/*
 * virt-flash.c - the virt board's two CFI flash banks.
 *
 * QEMU's virt maps two 32 MiB banks of Intel-command-set flash at
 * 0x20000000 and 0x22000000, always: without an image they are blank
 * (all 0xff) and forget what the guest writes.  `-drive if=pflash,unit=N`
 * or `-machine pflashN=NODE` (a -blockdev node name) backs bank N with a
 * block backend, as in QEMU.  The banks are "cfi.pflash01"
 * devices from plugins/dev-pflash, which also describe themselves in the
 * device tree (one flash@20000000 node with both banks in its reg).
 */
#include "virt.h"

#define VIRT_FLASH_SIZE   (32u << 20)       /* per bank */
#define VIRT_FLASH_SECTOR (256u << 10)      /* erase block of the bank */
#define VIRT_FLASH_BANKS  2

static bool create_bank(VirtMachine *vm, unsigned unit, GError **errp)
{
    const char *node = unit ? vm->pflash1 : vm->pflash0;
    const char *drive = ts_block_legacy_drive("pflash", unit);
    if (node && drive) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "pflash%u is given twice: -machine pflash%u=%s and "
                    "-drive if=pflash,unit=%u", unit, unit, node, unit);
        return false;
    }
    const char *file = node ? node : drive;
    if (unit == 0) {
        vm->flash0_image = file != NULL;
    }
    char name[16];
    g_snprintf(name, sizeof(name), "flash%u", unit);
    TsObject *obj = ts_object_new("cfi.pflash01", errp);
    if (!obj) {
        g_prefix_error(errp, "virt: flash bank %u: ", unit);
        return false;
    }
    /* Two 16-bit chips side by side on a 32-bit bus, as QEMU's virt
     * has them: firmware sees the same CFI geometry as there. */
    bool ok =
        ts_object_set_uint(obj, "addr",
                           VIRT_FLASH_BASE + unit * VIRT_FLASH_SIZE, errp) &&
        ts_object_set_uint(obj, "size", VIRT_FLASH_SIZE, errp) &&
        ts_object_set_uint(obj, "sector-length", VIRT_FLASH_SECTOR, errp) &&
        ts_object_set_uint(obj, "bank-width", 4, errp) &&
        ts_object_set_uint(obj, "device-width", 2, errp) &&
        (!file || ts_object_set_prop(obj, "drive", file, errp)) &&
        ts_object_add_child(TS_OBJECT(vm), name, obj, errp);
    ts_object_unref(obj);           /* the machine holds it if added */
    if (ok && !ts_device_realize((TsDevice *)obj, errp)) {
        ok = false;
    }
    if (!ok) {
        g_prefix_error(errp, "virt: flash bank %u%s%s: ", unit,
                       file ? " with drive " : "", file ? file : "");
    }
    return ok;
}

bool virt_flash_create(VirtMachine *vm, GError **errp)
{
    for (unsigned unit = 0; unit < VIRT_FLASH_BANKS; unit++) {
        if (!create_bank(vm, unit, errp)) {
            return false;
        }
    }
    return true;
}
