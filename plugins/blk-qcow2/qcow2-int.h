/*
 * The engine's private state and the calls its files share.  Only the
 * qcow2-*.c files include this; blk-qcow2.c and the tools use qcow2.h.
 */
#ifndef QCOW2_INT_H
#define QCOW2_INT_H

#include <glib.h>

#include "qcow2.h"

/* A small LRU of cluster-sized tables (L2 tables or refcount blocks).
 * Write-back: callers change an entry here and mark the bytes dirty
 * (qcow2_cache_set_dirty); qcow2-cache.c writes them in an order that a
 * crash cannot break (see there).  Writing metadata through
 * qcow2_pwrite_checked first writes what it depends on. */
typedef struct Qcow2CacheEntry {
    uint64_t offset;            /* 0 = empty slot */
    uint64_t used;              /* LRU tick */
    uint32_t dirty_start, dirty_end; /* bytes not in the file yet (end 0: clean) */
    uint8_t *data;
} Qcow2CacheEntry;

typedef struct Qcow2Cache {
    int count;
    int ndirty;                 /* entries with dirty bytes */
    uint64_t tick;
    Qcow2CacheEntry *e;
} Qcow2Cache;

typedef struct Qcow2Snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    char *id, *name;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    uint64_t disk_size;
    uint64_t icount;
    uint32_t extra_size;        /* as read: kept when the table is rewritten */
    uint8_t *extra;
} Qcow2Snapshot;

/* Metadata kinds, for overlap checks. */
enum {
    QCOW2_OL_HEADER = 1 << 0,
    QCOW2_OL_L1 = 1 << 1,
    QCOW2_OL_REFTABLE = 1 << 2,
    QCOW2_OL_REFBLOCK = 1 << 3,
    QCOW2_OL_L2 = 1 << 4,
    QCOW2_OL_SNAPTABLE = 1 << 5,
    QCOW2_OL_SNAP_L1 = 1 << 6,
};

struct Qcow2 {
    Qcow2IO io;
    Qcow2Backing backing;
    bool has_backing;
    Qcow2Header h;
    uint32_t cluster_size;
    uint32_t l2_entries;        /* per L2 table */
    uint64_t refblock_entries;  /* per refcount block */
    uint32_t refcount_bits;
    uint64_t refcount_max;

    uint64_t *l1;               /* active L1, host order, h.l1_size entries */
    uint64_t *reftable;         /* host order */
    uint64_t reftable_entries;
    Qcow2Snapshot *snapshots;
    uint32_t snapshot_table_bytes;

    Qcow2Cache l2_cache, refblock_cache;
    uint64_t file_end;          /* known length of the file */
    uint64_t free_hint;         /* first cluster that may be free */
    uint64_t alloc_end;         /* clusters allocated so far end here */

    bool read_only;
    bool corrupt;               /* found broken: no more writes */
    bool lazy_refcounts;
    bool dirty_written;         /* the dirty bit is set on disk by us */
    bool need_flush;
    bool pass_discard;

    /* The cluster compressed writes are being packed into (0: none) and
     * how much of it is used. */
    uint64_t comp_cluster, comp_used;

    /* One decompressed cluster, kept for sequential reads. */
    uint64_t zcache_entry;
    uint8_t *zcache;

    void (*report)(void *opaque, bool corrupt, const char *msg);
    void *report_opaque;
};

/* qcow2-open.c */
void qcow2_report(Qcow2 *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Something on disk is broken: say so once, set the corrupt bit (if the
 * image is writable), refuse writes from now on.  Returns -EIO. */
int qcow2_signal_corruption(Qcow2 *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
int qcow2_write_header(Qcow2 *s);
int qcow2_mark_dirty(Qcow2 *s);
/* Orders metadata before a refcount goes down: every cached change on
 * disk and flushed.  A no-op with lazy refcounts, where the dirty bit
 * and a repair on the next open stand in for it. */
int qcow2_order_barrier(Qcow2 *s);
/* The file's flush (need_flush cleared). */
int qcow2_io_flush(Qcow2 *s);
/* Every cached change written (in order) and the file flushed. */
int qcow2_sync(Qcow2 *s);

/* qcow2-cache.c */
void qcow2_cache_init(Qcow2Cache *c, uint64_t bytes, uint32_t cluster_size);
void qcow2_cache_free(Qcow2Cache *c);
/* Forget a table (freed, or its write failed), dirty bytes included. */
void qcow2_cache_drop(Qcow2Cache *c, uint64_t offset);
/* Forget every table, dirty bytes included (the refcount rebuild). */
void qcow2_cache_clear(Qcow2Cache *c);
/* Free the memory of the tables that have nothing left to write. */
void qcow2_cache_clear_clean(Qcow2Cache *c);
/* The table at `offset`, read through the cache, or NULL with *ret set. */
uint8_t *qcow2_cache_get(Qcow2 *s, Qcow2Cache *c, uint64_t offset, int *ret);
/* Put freshly written contents in the cache (new tables). */
int qcow2_cache_put(Qcow2 *s, Qcow2Cache *c, uint64_t offset, const uint8_t *data);
/* Bytes [start, end) of the cached table at `offset` were changed. */
void qcow2_cache_set_dirty(Qcow2Cache *c, uint64_t offset, uint32_t start, uint32_t end);
/* Write every dirty table: refcount blocks first, then L2 tables. */
int qcow2_cache_write_back(Qcow2 *s);
bool qcow2_cache_any_dirty(const Qcow2 *s);
/* What must be in the file before metadata of `kind` is written there
 * (called by qcow2_pwrite_checked). */
int qcow2_cache_order_write(Qcow2 *s, int kind);

/* qcow2-overlap.c */
/* The kinds of metadata (not in `ignore`) that [offset, offset+len)
 * overlaps; 0 if none. */
int qcow2_overlaps(Qcow2 *s, int ignore, uint64_t offset, uint64_t len);
const char *qcow2_overlap_name(int kind);
/* Every write goes through here: refused when read-only or corrupt, and
 * when it would overwrite metadata other than `kind`. */
int qcow2_pwrite_checked(Qcow2 *s, int kind, uint64_t offset,
                         const void *buf, size_t len);
int qcow2_pread(Qcow2 *s, uint64_t offset, void *buf, size_t len);

/* qcow2-refcount.c */
uint64_t qcow2_refblock_get(const Qcow2 *s, const uint8_t *block, uint64_t i);
void qcow2_refblock_set(const Qcow2 *s, uint8_t *block, uint64_t i, uint64_t v);
int qcow2_refcount_get(Qcow2 *s, uint64_t cluster, uint64_t *value);
/* Add `addend` to the refcount of every cluster touching
 * [offset, offset+len); clusters reaching zero become free. */
int qcow2_refcount_update(Qcow2 *s, uint64_t offset, uint64_t len, int64_t addend);
/* `n` contiguous free clusters, their refcounts set to 1: the file offset. */
int64_t qcow2_alloc_clusters(Qcow2 *s, uint64_t n);
int qcow2_load_reftable(Qcow2 *s);

/* qcow2-cluster.c */
enum {
    QCOW2_C_UNALLOCATED,
    QCOW2_C_ZERO_PLAIN,
    QCOW2_C_ZERO_ALLOC,
    QCOW2_C_NORMAL,
    QCOW2_C_COMPRESSED,
};
int qcow2_entry_type(const Qcow2 *s, uint64_t entry);
/* A compressed descriptor's file offset and length in bytes. */
void qcow2_compressed_range(const Qcow2 *s, uint64_t entry,
                            uint64_t *offset, uint64_t *len);
/* The L2 entry for a guest offset (0 when no L2 table). */
int qcow2_get_entry(Qcow2 *s, uint64_t guest, uint64_t *entry);
/* An L2 table for `guest` that may be written (allocated or copied from a
 * shared one as needed): its file offset. */
int qcow2_l2_for_write(Qcow2 *s, uint64_t guest, uint64_t *l2_offset);
int qcow2_set_entry(Qcow2 *s, uint64_t l2_offset, uint32_t index, uint64_t entry);
/* A loaded L2 table, checked: NULL on error (*ret). */
uint8_t *qcow2_load_l2(Qcow2 *s, uint64_t l2_offset, int *ret);
int qcow2_grow_l1(Qcow2 *s, uint32_t min_size);
/* Refcounts of every cluster one L1 table reaches, +1 or -1. */
int qcow2_tree_refcount(Qcow2 *s, const uint64_t *l1, uint32_t l1_size, int addend);
/* Sets or clears COPIED in the active L1 and L2 tables per the refcounts. */
int qcow2_fix_copied(Qcow2 *s);

/* qcow2-repair.c */
/* References to every cluster of the file counted from the tables (the
 * refcount structure too with `with_refcounts`).  With `report` set (the
 * check) the walk also reports what it finds broken on the way, counts
 * the cluster statistics, and sets `rebuild` when the refcount structure
 * itself is broken.  g_free(c) afterwards (on success). */
typedef struct Qcow2Refs {
    uint32_t *c;
    uint64_t n;                 /* clusters counted: the file's */
    uint64_t beyond;            /* references past the end of the file */
    Qcow2CheckReport *report;
    bool rebuild;
} Qcow2Refs;
int qcow2_count_refs(Qcow2 *s, Qcow2Refs *k, bool with_refcounts);
/* A new refcount structure from the counted references, at the end of
 * the file. */
int qcow2_rebuild_refcounts(Qcow2 *s);

/* qcow2-compress.c */
int qcow2_decompress(int type, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t out_len);
size_t qcow2_compress(int type, const uint8_t *in, size_t len, uint8_t *out, size_t out_max);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(Qcow2 *s, char **errmsg);
void qcow2_free_snapshots(Qcow2 *s);

#endif
