/*
 * core/loader/loader-uimage.c - U-Boot legacy images ("uImage", mkimage -A ...).
 *
 * A 64-byte big-endian header, then the payload.  The header carries a
 * CRC-32 of itself (computed with its own CRC field zeroed) and one of the
 * payload; both are checked, so a damaged download is named as such
 * instead of booting garbage.  Kernel and firmware images are loaded at
 * the header's load address and entered at its entry point; their payload
 * is stored as is or gzip-compressed.  Other types (ramdisks, scripts,
 * multi-file images) and compressions are refused by name.
 */
#include "loader-internal.h"

#include <zlib.h>

#define UIMAGE_MAGIC        0x27051956u
#define UIMAGE_HEADER_SIZE  64

/* Header fields: byte offsets of big-endian 32-bit words, then bytes. */
enum {
    UH_MAGIC = 0, UH_HCRC = 4, UH_TIME = 8, UH_SIZE = 12, UH_LOAD = 16,
    UH_EP = 20, UH_DCRC = 24, UH_OS = 28, UH_ARCH = 29, UH_TYPE = 30,
    UH_COMP = 31, UH_NAME = 32,
};

/* Image types and compressions as mkimage numbers them. */
enum { UT_STANDALONE = 1, UT_KERNEL = 2, UT_RAMDISK = 3, UT_MULTI = 4,
       UT_FIRMWARE = 5, UT_SCRIPT = 6, UT_FILESYSTEM = 7, UT_FLATDT = 8 };
enum { UC_NONE = 0, UC_GZIP = 1, UC_BZIP2 = 2, UC_LZMA = 3, UC_LZO = 4,
       UC_LZ4 = 5, UC_ZSTD = 6 };

/*
 * Bound on a decompressed payload.  gzip can expand ~1000:1, so without a
 * bound a small hostile file would make the host allocate gigabytes; no
 * kernel or firmware we boot comes near this.
 */
#define UIMAGE_MAX_INFLATED (256u << 20)

static uint32_t read_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

bool uimage_recognise(const uint8_t *buf, size_t len)
{
    return len >= 4 && read_be32(buf + UH_MAGIC) == UIMAGE_MAGIC;
}

static const char *type_name(unsigned type)
{
    static const char *const names[] = {
        [UT_STANDALONE] = "standalone program", [UT_KERNEL] = "kernel",
        [UT_RAMDISK] = "ramdisk", [UT_MULTI] = "multi-file image",
        [UT_FIRMWARE] = "firmware", [UT_SCRIPT] = "script",
        [UT_FILESYSTEM] = "filesystem", [UT_FLATDT] = "device tree",
    };
    return type < G_N_ELEMENTS(names) && names[type] ? names[type]
                                                      : "unknown";
}

static const char *comp_name(unsigned comp)
{
    static const char *const names[] = {
        [UC_NONE] = "none", [UC_GZIP] = "gzip", [UC_BZIP2] = "bzip2",
        [UC_LZMA] = "lzma", [UC_LZO] = "lzo", [UC_LZ4] = "lz4",
        [UC_ZSTD] = "zstd",
    };
    return comp < G_N_ELEMENTS(names) ? names[comp] : "unknown";
}

static bool check_crcs(const char *path, const uint8_t *buf, size_t len,
                       GError **errp)
{
    uint8_t header[UIMAGE_HEADER_SIZE];
    memcpy(header, buf, sizeof(header));
    memset(header + UH_HCRC, 0, 4);
    uint32_t hcrc = crc32(0, header, sizeof(header));
    if (hcrc != read_be32(buf + UH_HCRC)) {
        return load_refuse(errp, path, "uImage header checksum mismatch "
                           "(header says 0x%08x, computed 0x%08x)",
                           read_be32(buf + UH_HCRC), hcrc);
    }
    uint32_t size = read_be32(buf + UH_SIZE);
    if (size > len - UIMAGE_HEADER_SIZE) {
        return load_refuse(errp, path, "uImage data is truncated (header "
                           "says %" PRIu32 " bytes, the file has %zu after "
                           "the header)", size, len - UIMAGE_HEADER_SIZE);
    }
    uint32_t dcrc = crc32(0, buf + UIMAGE_HEADER_SIZE, size);
    if (dcrc != read_be32(buf + UH_DCRC)) {
        return load_refuse(errp, path, "uImage data checksum mismatch "
                           "(header says 0x%08x, computed 0x%08x)",
                           read_be32(buf + UH_DCRC), dcrc);
    }
    return true;
}

/* Inflate a gzip payload into a new GBytes of at most
 * UIMAGE_MAX_INFLATED bytes, or NULL + errp. */
static GBytes *gunzip(const char *path, const uint8_t *in, size_t in_len,
                      GError **errp)
{
    z_stream zs = { .next_in = (Bytef *)in, .avail_in = in_len };
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {   /* gzip wrapper */
        load_refuse(errp, path, "cannot start gzip decompression");
        return NULL;
    }
    size_t cap = MIN(MAX((size_t)in_len * 4, 64 * 1024),
                     (size_t)UIMAGE_MAX_INFLATED);
    uint8_t *out = g_malloc(cap);
    int rc = Z_OK;
    while (rc == Z_OK) {
        if (zs.total_out == cap) {
            if (cap == UIMAGE_MAX_INFLATED) {
                load_refuse(errp, path, "uImage payload decompresses to "
                            "more than %u MiB", UIMAGE_MAX_INFLATED >> 20);
                goto fail;
            }
            cap = MIN(cap * 2, (size_t)UIMAGE_MAX_INFLATED);
            out = g_realloc(out, cap);
        }
        zs.next_out = out + zs.total_out;
        zs.avail_out = cap - zs.total_out;
        rc = inflate(&zs, Z_NO_FLUSH);
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
        load_refuse(errp, path, "uImage gzip payload is truncated (the "
                    "data ends inside the compressed stream)");
        goto fail;
    }
    if (rc != Z_STREAM_END) {
        load_refuse(errp, path, "uImage gzip payload is corrupt: %s",
                    zs.msg ? zs.msg : zError(rc));
        goto fail;
    }
    size_t out_len = zs.total_out;
    inflateEnd(&zs);
    return g_bytes_new_take(g_realloc(out, MAX(out_len, 1)), out_len);
fail:
    inflateEnd(&zs);
    g_free(out);
    return NULL;
}

bool uimage_parse(LoadPlan *plan, GBytes *file, GError **errp)
{
    size_t len;
    const uint8_t *buf = g_bytes_get_data(file, &len);
    if (len < UIMAGE_HEADER_SIZE) {
        return load_refuse(errp, plan->path, "uImage header is truncated "
                           "(file is %zu bytes, the header is %u)", len,
                           UIMAGE_HEADER_SIZE);
    }
    if (!check_crcs(plan->path, buf, len, errp)) {
        return false;
    }
    unsigned type = buf[UH_TYPE], comp = buf[UH_COMP];
    if (type != UT_KERNEL && type != UT_FIRMWARE) {
        return load_refuse(errp, plan->path, "uImage type %u (%s) cannot be "
                           "loaded; only kernel and firmware images can",
                           type, type_name(type));
    }
    if (comp != UC_NONE && comp != UC_GZIP) {
        return load_refuse(errp, plan->path, "uImage compression %u (%s) is "
                           "not supported; only none and gzip are", comp,
                           comp_name(comp));
    }
    const uint8_t *data = buf + UIMAGE_HEADER_SIZE;
    uint32_t size = read_be32(buf + UH_SIZE);
    uint32_t load = read_be32(buf + UH_LOAD);
    if (comp == UC_GZIP) {
        g_autoptr(GBytes) inflated = gunzip(plan->path, data, size, errp);
        if (!inflated) {
            return false;
        }
        load_plan_keep(plan, inflated);
        size_t out_len;
        data = g_bytes_get_data(inflated, &out_len);
        load_plan_add(plan, load, data, out_len, "payload");
    } else {
        load_plan_keep(plan, file);
        load_plan_add(plan, load, data, size, "payload");
    }
    plan->info.format = TS_IMAGE_UIMAGE;
    plan->info.entry = read_be32(buf + UH_EP);
    plan->info.has_entry = true;
    return true;
}
