/*
 * The qcow2 format engine: an open image over a Qcow2IO, with guest reads
 * and writes, discard, zeroes, block status, internal snapshots and image
 * creation.  It knows nothing of the block layer; blk-qcow2.c wraps it in
 * a block.h driver.  Not thread-safe: the caller serialises calls.
 *
 * Errors are negative errnos; open and create also give a one-line message
 * (QEMU's wording where QEMU has one) that the caller frees with g_free.
 */
#ifndef QCOW2_H
#define QCOW2_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "qcow2-format.h"
#include "qcow2-io.h"

typedef struct Qcow2 Qcow2;

/* The parsed and validated header (host byte order). */
typedef struct Qcow2Header {
    uint32_t version;
    uint64_t backing_offset;
    uint32_t backing_size;
    uint32_t cluster_bits;
    uint64_t size;
    uint32_t crypt_method;
    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t reftable_offset;
    uint32_t reftable_clusters;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t incompat, compat, autoclear;
    uint32_t refcount_order;
    uint32_t header_length;
    uint8_t compression_type;
    char backing_file[QCOW2_MAX_BACKING_NAME + 1];
    char backing_fmt[64];
    bool has_crypto_ext;
} Qcow2Header;

/* Parse the first cluster of an image (at least 512 bytes of it). */
int qcow2_header_parse(const uint8_t *buf, size_t len, Qcow2Header *h,
                       char **errmsg);
/* The names of the incompatible bits in `bits`, for QEMU's message. */
char *qcow2_header_feature_names(const uint8_t *buf, size_t len,
                                 const Qcow2Header *h, uint64_t bits);

typedef struct Qcow2Options {
    bool read_only;
    /* 0 = default (1 MiB of L2 tables, 256 KiB of refcount blocks). */
    uint64_t l2_cache_size;
    uint64_t refcount_cache_size;
    /* -1 = as the header says, 0/1 = override (lazy-refcounts=). */
    int lazy_refcounts;
    /* Clusters a guest discard or unmapping zero write frees are
     * discarded in the file too (QEMU's pass-discard-request). */
    bool pass_discard;
    /* Warnings (corrupt false) and corruption found (corrupt true: the
     * image is now read-only; msg says what is broken, without QEMU's
     * "Marking image as corrupt" wrapping).  NULL prints to stderr. */
    void (*report)(void *opaque, bool corrupt, const char *msg);
    void *report_opaque;
    /* Opened for a check (qemu-img check -r): a dirty image is not
     * repaired and a corrupt one opens read-write anyway, so that
     * qcow2_check_image() sees and repairs them itself. */
    bool check;
} Qcow2Options;

int qcow2_open(Qcow2 **out, const Qcow2IO *io, const Qcow2Options *opts,
               char **errmsg);
/* Writes back the clean state (dirty bit cleared) when writable. */
int qcow2_close(Qcow2 *s);

const Qcow2Header *qcow2_header(const Qcow2 *s);
uint64_t qcow2_size(const Qcow2 *s);
uint32_t qcow2_cluster_size(const Qcow2 *s);
bool qcow2_is_read_only(const Qcow2 *s);
bool qcow2_is_corrupt(const Qcow2 *s);
/* The backing file name and format the header names, or NULL. */
const char *qcow2_backing_file(const Qcow2 *s);
const char *qcow2_backing_fmt(const Qcow2 *s);
void qcow2_set_backing(Qcow2 *s, const Qcow2Backing *backing);

int qcow2_read(Qcow2 *s, uint64_t offset, void *buf, size_t len);
int qcow2_write(Qcow2 *s, uint64_t offset, const void *buf, size_t len);

/* Where guest [offset, +len) lies in the image file when no metadata is
 * involved: every cluster of it plain data inside the file (for a write,
 * clusters this image owns alone, so the data goes in place, and no
 * metadata in the way).  Fills out[] with at most `max` file ranges, in
 * guest order, and returns how many; 0 when the request needs the engine
 * (zeroes, backing, compressed, allocation, more ranges, an error to
 * report), < 0 on an I/O error reading the tables.  The caller holds the
 * image's lock for the call, and may then move the data without it, as
 * long as nothing frees or moves clusters meanwhile (blk-qcow2.c). */
typedef struct Qcow2Extent {
    uint64_t host;
    uint64_t len;
} Qcow2Extent;
int qcow2_map_direct(Qcow2 *s, uint64_t offset, uint64_t len, bool write,
                     Qcow2Extent *out, int max);
/* One whole cluster (offset cluster-aligned; the last one may be short
 * of the disk's end), stored compressed with the image's compression
 * type, or plain when it does not shrink: for the image tool. */
int qcow2_write_compressed(Qcow2 *s, uint64_t offset, const void *buf, size_t len);
/* The same in two steps, so that the costly one runs in parallel:
 * compress (no lock needed: it reads only what never changes; `out` has
 * room for a cluster; returns the compressed length, 0 when it does not
 * shrink), then store what it gave (clen 0: `buf` is stored plain). */
size_t qcow2_compress_cluster(const Qcow2 *s, const void *buf, size_t len, uint8_t *out);
int qcow2_write_compressed_prepared(Qcow2 *s, uint64_t offset, const void *buf,
                                    size_t len, const uint8_t *out, size_t clen);
/* Zeroes: with `unmap`, clusters wholly covered are freed (v3). */
int qcow2_write_zeroes(Qcow2 *s, uint64_t offset, uint64_t len, bool unmap);
/* Clusters wholly inside the range are released (read as zero on v3,
 * from the backing file on v2 as QEMU does). */
int qcow2_discard(Qcow2 *s, uint64_t offset, uint64_t len);
/* Every cluster unallocated (read from the backing file again), whatever
 * the version: HMP commit empties the top image with it. */
int qcow2_make_empty(Qcow2 *s);
int qcow2_flush(Qcow2 *s);
/* Forget cached tables (cache-clean-interval): nothing is lost, the
 * caches are write-through. */
void qcow2_drop_caches(Qcow2 *s);

/* Count every cluster's references from the tables and compare with the
 * stored refcounts: clusters with too high a count (leaks) and too low
 * (errors: a write could reuse them). */
typedef struct Qcow2CheckResult {
    uint64_t leaks;
    uint64_t errors;
} Qcow2CheckResult;
int qcow2_check(Qcow2 *s, Qcow2CheckResult *res);

/* What `qemu-img check` reports, with its meanings (qcow2-check.c). */
typedef struct Qcow2CheckReport {
    uint64_t corruptions, leaks, check_errors;
    uint64_t corruptions_fixed, leaks_fixed;
    uint64_t image_end_offset;
    uint64_t total_clusters, allocated_clusters;
    uint64_t fragmented_clusters, compressed_clusters;
} Qcow2CheckReport;
enum {
    QCOW2_FIX_LEAKS = 1,        /* free clusters nothing refers to */
    QCOW2_FIX_ERRORS = 2,       /* raise refcounts that are too low... */
};
/* Check every table and refcount, repairing what `fix` names (the image
 * must then be writable).  Findings are printed on stderr one per line,
 * in qemu-img's words.  0: the check ran to the end, whatever it found;
 * -errno: it could not (r->check_errors says so). */
int qcow2_check_image(Qcow2 *s, Qcow2CheckReport *r, unsigned fix);

/* Options of an existing image to change (qcow2-amend.c). */
typedef struct Qcow2AmendOptions {
    int version;                /* 0: as it is; 2 (compat=0.10) or 3 */
    int lazy_refcounts;         /* -1: as it is (off when going to 2) */
    bool set_backing;           /* the backing file name and format: */
    const char *backing_file;   /* NULL or "": none */
    const char *backing_fmt;
    bool set_size;
    uint64_t size;
} Qcow2AmendOptions;
int qcow2_amend(Qcow2 *s, const Qcow2AmendOptions *o, char **errmsg);

/* Grow (or shrink if nothing is allocated past the new end). */
int qcow2_truncate(Qcow2 *s, uint64_t size, char **errmsg);

enum {
    QCOW2_STATUS_DATA = 1,        /* allocated in this image */
    QCOW2_STATUS_ZERO = 2,        /* reads as zeroes */
    QCOW2_STATUS_BACKING = 4,     /* comes from the backing file */
    QCOW2_STATUS_COMPRESSED = 8,
};
/* Status of [offset, offset+len): flags of the first cluster and how many
 * bytes from offset share them (*pnum); *host is the file offset for
 * plain data (0 otherwise). */
int qcow2_block_status(Qcow2 *s, uint64_t offset, uint64_t len,
                       uint64_t *pnum, uint64_t *host);

/* Internal snapshots (for qemu-img snapshot and savevm). */
typedef struct Qcow2SnapshotInfo {
    char *id;
    char *name;
    uint64_t vm_state_size;
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t disk_size;
    uint64_t icount;
} Qcow2SnapshotInfo;
/* A copy of the table; free with qcow2_snapshot_list_free. */
int qcow2_snapshot_list(Qcow2 *s, Qcow2SnapshotInfo **list, int *count);
void qcow2_snapshot_list_free(Qcow2SnapshotInfo *list, int count);
/* `id` NULL or empty picks the next free number, as QEMU does. */
int qcow2_snapshot_create(Qcow2 *s, const char *id, const char *name,
                          uint64_t vm_clock_nsec, char **errmsg);
/* By id or name (id first, as QEMU looks them up). */
int qcow2_snapshot_apply(Qcow2 *s, const char *id_or_name, char **errmsg);
int qcow2_snapshot_delete(Qcow2 *s, const char *id_or_name, char **errmsg);

typedef struct Qcow2CreateOptions {
    uint64_t size;
    uint32_t cluster_size;      /* 0 = 64 KiB */
    int version;                /* 0 = 3 (compat=1.1); 2 (compat=0.10) */
    const char *backing_file;
    const char *backing_fmt;
    bool lazy_refcounts;
    uint32_t refcount_bits;     /* 0 = 16 */
    bool preallocate_metadata;
    int compression_type;       /* QCOW2_COMPRESSION_* */
} Qcow2CreateOptions;
/* Writes a new empty image onto an empty (truncated) file. */
int qcow2_create(const Qcow2IO *io, const Qcow2CreateOptions *opts,
                 char **errmsg);

#endif
