/*
 * Header parsing and validation: every field is checked before anything
 * uses it, with QEMU's messages, so that later code may trust the header.
 * Offsets of tables are checked for alignment and overflow here; whether
 * they overlap each other is the open path's overlap check.
 */
#include "qcow2.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>

#define FAIL(...) do { *errmsg = g_strdup_printf(__VA_ARGS__); return -EINVAL; } while (0)

/* Names of the incompatible bits from the image's feature table (or the
 * spec's names for the bits we know), joined QEMU's way. */
char *qcow2_header_feature_names(const uint8_t *buf, size_t len,
                                 const Qcow2Header *h, uint64_t bits)
{
    GString *out = g_string_new(NULL);
    size_t off = h->version >= 3 ? h->header_length : QCOW2_V2_HEADER_LEN;
    /* Feature names from the table, where the image has one. */
    while (off + 8 <= len) {
        uint32_t type = be32_get(buf + off), elen = be32_get(buf + off + 4);
        if (type == QCOW2_EXT_END || elen > len - off - 8)
            break;
        if (type == QCOW2_EXT_FEATURE_TABLE) {
            for (uint32_t i = 0; i + 48 <= elen; i += 48) {
                const uint8_t *e = buf + off + 8 + i;
                if (e[0] != 0 || e[1] >= 64 || !(bits & (1ull << e[1])))
                    continue;
                if (out->len)
                    g_string_append(out, ", ");
                g_string_append_len(out, (const char *)e + 2,
                                    strnlen((const char *)e + 2, 46));
                bits &= ~(1ull << e[1]);
            }
        }
        off += 8 + ((elen + 7ull) & ~7ull);
    }
    static const char *const known[] = {
        "dirty bit", "corrupt bit", "external data file",
        "compression type", "extended L2 entries",
    };
    for (int b = 0; b < 64; b++) {
        if (!(bits & (1ull << b)))
            continue;
        if (out->len)
            g_string_append(out, ", ");
        if (b < (int)G_N_ELEMENTS(known))
            g_string_append(out, known[b]);
        else
            g_string_append_printf(out, "Unknown incompatible feature: %llx",
                                   1ull << b);
    }
    return g_string_free(out, FALSE);
}

static int parse_extensions(const uint8_t *buf, size_t len, Qcow2Header *h,
                            char **errmsg)
{
    size_t off = h->version >= 3 ? h->header_length : QCOW2_V2_HEADER_LEN;
    size_t end = len;
    /* The backing file name, when it follows the header in the first
     * cluster, ends the extension area. */
    if (h->backing_offset && h->backing_offset > off && h->backing_offset < end)
        end = h->backing_offset;
    while (off + 8 <= end) {
        uint32_t type = be32_get(buf + off), elen = be32_get(buf + off + 4);
        off += 8;
        if (type == QCOW2_EXT_END)
            return 0;
        if (elen > end - off)
            FAIL("ERROR: ext_len too large");
        switch (type) {
        case QCOW2_EXT_BACKING_FMT:
            if (elen >= sizeof(h->backing_fmt))
                FAIL("ERROR: ext_backing_format: len=%u too large (>=%zu)",
                     elen, sizeof(h->backing_fmt));
            memcpy(h->backing_fmt, buf + off, elen);
            h->backing_fmt[elen] = 0;
            break;
        case QCOW2_EXT_CRYPTO:
            h->has_crypto_ext = true;
            break;
        default:
            /* Feature table, bitmaps, unknown: nothing to act on here. */
            break;
        }
        off += (elen + 7u) & ~7u;
    }
    return 0;
}

/* A table of `bytes` at `offset` must be cluster aligned and addressable. */
static bool table_ok(uint64_t offset, uint64_t bytes, uint32_t cluster_bits)
{
    if (offset & ((1ull << cluster_bits) - 1))
        return false;
    if (offset > QCOW2_OFFSET_MASK || bytes > QCOW2_OFFSET_MASK - offset)
        return false;
    return true;
}

int qcow2_header_parse(const uint8_t *buf, size_t len, Qcow2Header *h,
                       char **errmsg)
{
    memset(h, 0, sizeof(*h));
    if (len < QCOW2_V2_HEADER_LEN || be32_get(buf + QH_MAGIC) != QCOW2_MAGIC)
        FAIL("Image is not in qcow2 format");
    h->version = be32_get(buf + QH_VERSION);
    if (h->version != 2 && h->version != 3)
        FAIL("Unsupported qcow2 version %u", h->version);
    h->backing_offset = be64_get(buf + QH_BACKING_OFFSET);
    h->backing_size = be32_get(buf + QH_BACKING_SIZE);
    h->cluster_bits = be32_get(buf + QH_CLUSTER_BITS);
    h->size = be64_get(buf + QH_SIZE);
    h->crypt_method = be32_get(buf + QH_CRYPT_METHOD);
    h->l1_size = be32_get(buf + QH_L1_SIZE);
    h->l1_offset = be64_get(buf + QH_L1_OFFSET);
    h->reftable_offset = be64_get(buf + QH_REFTABLE_OFFSET);
    h->reftable_clusters = be32_get(buf + QH_REFTABLE_CLUSTERS);
    h->nb_snapshots = be32_get(buf + QH_NB_SNAPSHOTS);
    h->snapshots_offset = be64_get(buf + QH_SNAPSHOTS_OFFSET);

    if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        h->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
        FAIL("Unsupported cluster size: 2^%u", h->cluster_bits);
    uint64_t cs = 1ull << h->cluster_bits;

    if (h->version == 2) {
        h->refcount_order = 4;
        h->header_length = QCOW2_V2_HEADER_LEN;
    } else {
        if (len < QCOW2_V3_HEADER_MIN)
            FAIL("qcow2 header too short");
        h->incompat = be64_get(buf + QH_INCOMPAT);
        h->compat = be64_get(buf + QH_COMPAT);
        h->autoclear = be64_get(buf + QH_AUTOCLEAR);
        h->refcount_order = be32_get(buf + QH_REFCOUNT_ORDER);
        h->header_length = be32_get(buf + QH_HEADER_LENGTH);
        if (h->header_length < QCOW2_V3_HEADER_MIN)
            FAIL("qcow2 header too short");
        if (h->header_length > cs || h->header_length > len)
            FAIL("qcow2 header exceeds cluster size");
        if (h->header_length > QH_COMPRESSION_TYPE)
            h->compression_type = buf[QH_COMPRESSION_TYPE];
    }

    if (h->backing_offset) {
        if (h->backing_offset > cs || h->backing_offset > len)
            FAIL("Invalid backing file offset");
        if (h->backing_size > QCOW2_MAX_BACKING_NAME)
            FAIL("Backing file name too long");
        if (h->backing_size > len - h->backing_offset)
            FAIL("Invalid backing file offset");
        memcpy(h->backing_file, buf + h->backing_offset, h->backing_size);
        h->backing_file[h->backing_size] = 0;
        if (strlen(h->backing_file) != h->backing_size)
            FAIL("Backing file name contains a NUL byte");
    }

    int ret = parse_extensions(buf, len, h, errmsg);
    if (ret < 0)
        return ret;

    uint64_t unknown = h->incompat & ~QCOW2_INCOMPAT_KNOWN;
    if (unknown) {
        char *names = qcow2_header_feature_names(buf, len, h, unknown);
        *errmsg = g_strdup_printf("Unsupported qcow2 feature(s): %s", names);
        g_free(names);
        return -ENOTSUP;
    }
    if (h->refcount_order > 6)
        FAIL("Reference count entry width too large; may not exceed 64 bits");
    if (h->compression_type > QCOW2_COMPRESSION_ZSTD)
        FAIL("qcow2: unknown compression type: %u", h->compression_type);
    if ((h->compression_type != QCOW2_COMPRESSION_ZLIB) !=
        !!(h->incompat & QCOW2_INCOMPAT_COMPRESSION))
        FAIL(h->compression_type ?
             "qcow2: Compression type incompatible feature bit must be set" :
             "qcow2: Compression type incompatible feature bit must not be set"
             " when compression type is zlib");
    if (h->crypt_method != QCOW2_CRYPT_NONE || h->has_crypto_ext) {
        *errmsg = g_strdup_printf(
            "qcow2 encryption (%s) is not supported: write a decrypted copy "
            "with 'qemu-img convert --object secret,... --image-opts ...'",
            h->crypt_method == QCOW2_CRYPT_AES ? "AES-CBC" :
            h->crypt_method == QCOW2_CRYPT_LUKS ? "LUKS" : "unknown method");
        return -ENOTSUP;
    }
    if (h->size > QCOW2_MAX_IMAGE_SIZE)
        FAIL("Image size too large");

    if ((uint64_t)h->reftable_clusters << h->cluster_bits > QCOW2_MAX_REFTABLE_BYTES)
        FAIL("Reference count table too large");
    if (h->reftable_clusters == 0 ||
        !table_ok(h->reftable_offset, (uint64_t)h->reftable_clusters << h->cluster_bits,
                  h->cluster_bits) || h->reftable_offset == 0)
        FAIL("Invalid reference count table offset");

    if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
        FAIL("Too many snapshots");
    if (h->nb_snapshots &&
        (!table_ok(h->snapshots_offset, (uint64_t)h->nb_snapshots * QS_FIXED_LEN,
                   h->cluster_bits) || h->snapshots_offset == 0))
        FAIL("Invalid snapshot table offset");

    if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES)
        FAIL("Active L1 table too large");
    uint64_t l2_span = cs * (cs / 8);
    uint64_t needed = (h->size + l2_span - 1) / l2_span;
    if (h->l1_size < needed)
        FAIL("L1 table is too small");
    if (h->l1_size && (!table_ok(h->l1_offset, (uint64_t)h->l1_size * 8,
                                 h->cluster_bits) || h->l1_offset == 0))
        FAIL("Invalid L1 table offset");
    return 0;
}
