/*
 * blk-qcow2's measure hook (`tessera-img measure -O qcow2`): how many
 * bytes a new qcow2 image needs on the host, with qemu-img measure's
 * arithmetic so that both tools answer the same:
 *
 *  fully allocated = header cluster + L2 tables for every cluster + the
 *                    L1 table (whole clusters) + the refcount blocks and
 *                    table covering all of that + the data itself;
 *  required        = the same without the data clusters a copy of the
 *                    source would leave unallocated (all of them for
 *                    --size, none with falloc/full preallocation).
 *
 * The metadata of the fully allocated image is counted in both: qemu-img
 * overestimates the same way.
 */
#include <tessera/block.h>

#include <string.h>


/* The layout of blk-qcow2.c's Qcow2CreateOpts (the create_options
 * struct the core fills): keep the two in step. */
typedef struct MeasureOpts {
    uint64_t size;
    char *compat;
    char *backing_file;
    char *backing_fmt;
    uint64_t cluster_size;
    int preallocation;
    bool lazy_refcounts;
    uint64_t refcount_bits;
    int compression_type;
} MeasureOpts;

bool qcow2_node_measure(const void *opts, TsBlockNode *source,
                        TsBlockMeasure *out, GError **errp);

/* The L1 table may hold at most 32 MiB of entries (QEMU's limit, which
 * every qcow2 reader applies when opening). */
#define MAX_L1_BYTES (32u << 20)

#define ROUND_UP_TO(x, a) (((x) + (a) - 1) / (a) * (a))
#define DIV_UP(x, a) (((x) + (a) - 1) / (a))

/* Refcount blocks and table clusters to cover `clusters` clusters and
 * themselves, in bytes. */
static uint64_t refcount_bytes(uint64_t clusters, uint64_t cs,
                               uint64_t refbits)
{
    uint64_t per_block = cs * 8 / refbits, per_table = cs / 8;
    uint64_t blocks = 0, table = 0, total = 0, last;
    do {
        last = total;
        blocks = DIV_UP(clusters + table + blocks, per_block);
        table = DIV_UP(blocks, per_table);
        total = clusters + blocks + table;
    } while (total != last);
    return (blocks + table) * cs;
}

/* Every cluster allocated, metadata included, for `size` bytes (a whole
 * number of clusters). */
static uint64_t fully_allocated(uint64_t size, uint64_t cs, uint64_t refbits)
{
    uint64_t meta = cs;                                 /* header */
    uint64_t l2_entries = ROUND_UP_TO(size / cs, cs / 8);
    meta += l2_entries * 8;                             /* L2 tables */
    uint64_t l1_entries = ROUND_UP_TO(l2_entries * 8 / cs, cs / 8);
    meta += l1_entries * 8;                             /* L1 table */
    meta += refcount_bytes((meta + size) / cs, cs, refbits);
    return meta + size;
}

static int version_of(const char *compat)
{
    if (!compat || !strcmp(compat, "1.1") || !strcmp(compat, "v3")) {
        return 3;
    }
    if (!strcmp(compat, "0.10") || !strcmp(compat, "v2")) {
        return 2;
    }
    return 0;
}

bool qcow2_node_measure(const void *opaque, TsBlockNode *source,
                        TsBlockMeasure *out, GError **errp)
{
    const MeasureOpts *o = opaque;
    uint64_t cs = o->cluster_size, refbits = o->refcount_bits;
    int version = version_of(o->compat);
    if (!version) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Invalid compatibility level: '%s'", o->compat);
        return false;
    }
    if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Cluster size must be a power of two between 512 and "
                    "2048k");
        return false;
    }
    if (!refbits || refbits > 64 || (refbits & (refbits - 1))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Refcount width must be a power of two and may not "
                    "exceed 64 bits");
        return false;
    }
    if (version == 2 && refbits != 16) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Different refcount widths than 16 bits require "
                    "compatibility level 1.1 or above (use compat=1.1 or "
                    "greater)");
        return false;
    }
    uint64_t required = 0, size = o->size;
    if (source) {
        int64_t len = ts_block_node_length(source);
        if (len < 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Unable to get image virtual_size: %s",
                        g_strerror((int)-len));
            return false;
        }
        size = (uint64_t)len;
    }
    if (size > INT64_MAX - (2u << 20)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "The image size is too large (try using a larger "
                    "cluster size)");
        return false;
    }
    uint64_t vsize = ROUND_UP_TO(size, cs);
    uint64_t l2_tables = DIV_UP(vsize / cs, cs / 8);
    if (l2_tables * 8 > MAX_L1_BYTES) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "The image size is too large (try using a larger "
                    "cluster size)");
        return false;
    }
    /* Data clusters a copy of the source needs: those holding data that
     * is not known to read as zeroes (anywhere in the backing chain). */
    for (uint64_t off = 0; source && off < size;) {
        uint64_t pnum = 0;
        int ret = ts_block_node_block_status_above(source, off, size - off,
                                                   &pnum, NULL, NULL, NULL);
        if (ret < 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Unable to get block status: %s", g_strerror(-ret));
            return false;
        }
        if (!pnum) {
            break;
        }
        if (!(ret & TS_BLOCK_STATUS_ZERO) &&
            (ret & TS_BLOCK_STATUS_DATA) &&
            (ret & TS_BLOCK_STATUS_ALLOCATED)) {
            /* The rest of the cluster comes with it. */
            pnum = ROUND_UP_TO(off + pnum, cs) - off;
            required += off % cs + pnum;
        }
        off += pnum;
    }
    if (o->preallocation >= 2) {        /* falloc, full */
        required = vsize;
    }
    out->fully_allocated = fully_allocated(vsize, cs, refbits);
    out->required = out->fully_allocated - vsize + required;
    out->bitmaps = 0;                   /* no persistent bitmaps kept */
    return true;
}
