/*
 * qcow2 on-disk layout: field offsets, flag bits and limits, from the
 * qcow2 specification (QEMU's docs/interop/qcow2.txt), plus big-endian
 * accessors.  Nothing here knows about an open image.
 */
#ifndef QCOW2_FORMAT_H
#define QCOW2_FORMAT_H

#include <stdint.h>
#include <string.h>

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */

/* Header field offsets (version 2 ends at 72, version 3 at 104 or more). */
#define QH_MAGIC                0
#define QH_VERSION              4
#define QH_BACKING_OFFSET       8
#define QH_BACKING_SIZE         16
#define QH_CLUSTER_BITS         20
#define QH_SIZE                 24
#define QH_CRYPT_METHOD         32
#define QH_L1_SIZE              36
#define QH_L1_OFFSET            40
#define QH_REFTABLE_OFFSET      48
#define QH_REFTABLE_CLUSTERS    56
#define QH_NB_SNAPSHOTS         60
#define QH_SNAPSHOTS_OFFSET     64
#define QH_INCOMPAT             72
#define QH_COMPAT               80
#define QH_AUTOCLEAR            88
#define QH_REFCOUNT_ORDER       96
#define QH_HEADER_LENGTH        100
#define QH_COMPRESSION_TYPE     104
#define QCOW2_V2_HEADER_LEN     72
#define QCOW2_V3_HEADER_MIN     104
/* What we write for version 3: the compression type byte, padded to 8. */
#define QCOW2_V3_HEADER_LEN     112

/* Feature bits. */
#define QCOW2_INCOMPAT_DIRTY        (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT      (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE    (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION  (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2        (1ull << 4)
/* What this driver handles itself; anything else set is refused. */
#define QCOW2_INCOMPAT_KNOWN \
    (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_COMPRESSION)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS     (1ull << 0)
#define QCOW2_AUTOCLEAR_DATA_RAW    (1ull << 1)

/* Header extension types. */
#define QCOW2_EXT_END           0x00000000u
#define QCOW2_EXT_BACKING_FMT   0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857u
#define QCOW2_EXT_BITMAPS       0x23852875u
#define QCOW2_EXT_CRYPTO        0x0537be77u
#define QCOW2_EXT_DATA_FILE     0x44415441u

#define QCOW2_CRYPT_NONE 0
#define QCOW2_CRYPT_AES  1
#define QCOW2_CRYPT_LUKS 2

#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

/* L1, L2 and refcount table entries. */
#define QCOW2_OFLAG_COPIED      (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED  (1ull << 62)
#define QCOW2_OFLAG_ZERO        (1ull << 0)
#define QCOW2_OFFSET_MASK       0x00fffffffffffe00ull /* bits 9..55 */
#define QCOW2_L1_RESERVED       0x7f000000000001ffull
#define QCOW2_L2_RESERVED       0x3f000000000001feull
#define QCOW2_REFT_RESERVED     0x00000000000001ffull

/* Limits the specification sets or that QEMU enforces on open. */
#define QCOW2_MIN_CLUSTER_BITS  9
#define QCOW2_MAX_CLUSTER_BITS  21
#define QCOW2_MAX_BACKING_NAME  1023
#define QCOW2_MAX_L1_BYTES      (32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS     65536
#define QCOW2_MAX_SNAPSHOT_EXTRA 1024
#define QCOW2_MAX_SNAPSHOT_TABLE (64u << 20)
/* Offsets are 56-bit; a virtual disk stays below 2^61 as in QEMU. */
#define QCOW2_MAX_IMAGE_SIZE    (1ull << 61)

/* Snapshot table entry: fixed part, then extra data, id, name, padding. */
#define QS_L1_OFFSET    0
#define QS_L1_SIZE      8
#define QS_ID_LEN       12
#define QS_NAME_LEN     14
#define QS_DATE_SEC     16
#define QS_DATE_NSEC    20
#define QS_VM_CLOCK     24
#define QS_VM_STATE     32
#define QS_EXTRA_SIZE   36
#define QS_FIXED_LEN    40
/* Extra data fields (version 3 requires at least the first two). */
#define QS_X_VM_STATE_LARGE 0
#define QS_X_DISK_SIZE      8
#define QS_X_ICOUNT         16
#define QS_EXTRA_LEN        24

static inline uint16_t be16_get(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t be32_get(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t be64_get(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)be32_get(b) << 32 | be32_get(b + 4);
}

static inline void be16_put(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = v >> 8;
    b[1] = v;
}

static inline void be32_put(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = v >> 24;
    b[1] = v >> 16;
    b[2] = v >> 8;
    b[3] = v;
}

static inline void be64_put(void *p, uint64_t v)
{
    be32_put(p, v >> 32);
    be32_put((uint8_t *)p + 4, (uint32_t)v);
}

#endif
