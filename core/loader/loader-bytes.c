/*
 * core/loader/loader-bytes.c - copying host bytes into guest RAM and ROM.
 *
 * Boards and image loaders fill ROM too, which guest stores cannot do, so
 * this goes through the regions' host pointers rather than the guest write
 * path.  A range may cross regions: it is copied piece by piece, each
 * piece the largest one that lies in a single RAM/ROM region.  The same
 * walk without the copy lets a loader check a whole image before it
 * writes any of it.
 */
#include "loader-internal.h"

/* Walk [addr, addr+len) region by region; copy from src unless it is NULL
 * (then only check that every byte lands in RAM or ROM). */
static bool walk(TsAddressSpace *as, uint64_t addr, const uint8_t *src,
                 uint64_t len, GError **errp)
{
    if (len && addr + len - 1 < addr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "0x%" PRIx64 "+0x%" PRIx64 " wraps past the end of "
                    "memory", addr, len);
        return false;
    }
    while (len) {
        /* Try the whole rest, then halve until one region holds it. */
        uint64_t piece = len;
        uint8_t *dst = NULL;
        while (piece && !(dst = ts_address_space_ram_ptr(as, addr, piece,
                                                         false))) {
            piece /= 2;
        }
        if (!dst) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "address 0x%" PRIx64 " is not RAM or ROM", addr);
            return false;
        }
        if (src) {
            memcpy(dst, src, piece);
            src += piece;
        }
        addr += piece;
        len -= piece;
    }
    return true;
}

TS_EXPORT bool ts_load_bytes(TsAddressSpace *as, uint64_t addr,
                             const void *buf, size_t len, GError **errp)
{
    static const uint8_t nothing;
    return walk(as, addr, buf ? buf : &nothing, buf ? len : 0, errp);
}

bool load_bytes_check(TsAddressSpace *as, uint64_t addr, uint64_t len,
                      GError **errp)
{
    return walk(as, addr, NULL, len, errp);
}
