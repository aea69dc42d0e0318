/*
 * core/loader-bytes.c - copying host bytes into guest RAM and ROM.
 *
 * Boards and image loaders fill ROM too, which guest stores cannot do, so
 * this goes through the regions' host pointers rather than the guest write
 * path.  A range may cross regions: it is copied piece by piece, each
 * piece the largest one that lies in a single RAM/ROM region.
 */
#include <tessera/loader.h>

TS_EXPORT bool ts_load_bytes(TsAddressSpace *as, uint64_t addr,
                             const void *buf, size_t len, GError **errp)
{
    const uint8_t *src = buf;
    if (len && addr + len - 1 < addr) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "0x%" PRIx64 "+0x%zx wraps past the end of memory",
                    addr, len);
        return false;
    }
    while (len) {
        /* Try the whole rest, then halve until one region holds it. */
        size_t piece = len;
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
        memcpy(dst, src, piece);
        addr += piece;
        src += piece;
        len -= piece;
    }
    return true;
}
