/*
 * libFuzzer target: the qcow2 engine (plugins/blk-qcow2) on an image held
 * in memory: header and extensions, L1/L2 tables, refcount table and
 * blocks, the snapshot table, compressed descriptors.  Whatever the bytes,
 * open refuses with a message or the image reads, writes, discards, takes
 * and drops a snapshot and counts its refcounts without a crash, a leak,
 * a hang or a write outside the file.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "qcow2.h"

#define MAX_FILE (2u << 20)

typedef struct MemFile {
    uint8_t *data;
    size_t len;
} MemFile;

static int mem_pread(void *opaque, uint64_t off, void *buf, size_t len)
{
    MemFile *f = opaque;
    size_t have = off >= f->len ? 0 : MIN(len, f->len - (size_t)off);
    if (have)
        memcpy(buf, f->data + off, have);
    memset((uint8_t *)buf + have, 0, len - have);
    return 0;
}

static int mem_pwrite(void *opaque, uint64_t off, const void *buf, size_t len)
{
    MemFile *f = opaque;
    if (off > MAX_FILE || len > MAX_FILE - off)
        return -ENOSPC;
    if (off + len > f->len) {
        f->data = g_realloc(f->data, off + len);
        memset(f->data + f->len, 0, off + len - f->len);
        f->len = off + len;
    }
    memcpy(f->data + off, buf, len);
    return 0;
}

static int mem_flush(void *opaque)
{
    return 0;
}

static int mem_truncate(void *opaque, uint64_t size)
{
    MemFile *f = opaque;
    if (size > MAX_FILE)
        return -ENOSPC;
    f->data = g_realloc(f->data, size ? size : 1);
    if (size > f->len)
        memset(f->data + f->len, 0, size - f->len);
    f->len = size;
    return 0;
}

static int64_t mem_length(void *opaque)
{
    return (int64_t)((MemFile *)opaque)->len;
}

static void quiet(void *opaque, bool corrupt, const char *msg)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MemFile f = { .data = g_memdup2(data, size ? size : 1), .len = size };
    Qcow2IO io = { .opaque = &f, .pread = mem_pread, .pwrite = mem_pwrite,
                   .flush = mem_flush, .truncate = mem_truncate, .length = mem_length };
    Qcow2Options o = { .lazy_refcounts = -1, .report = quiet };
    Qcow2 *q = NULL;
    char *err = NULL;
    if (qcow2_open(&q, &io, &o, &err) < 0) {
        g_free(err);
        g_free(f.data);
        return 0;
    }
    uint64_t vsize = qcow2_size(q);
    uint8_t buf[8192];
    uint64_t spots[] = { 0, vsize / 3, vsize / 2, vsize > 8192 ? vsize - 8192 : 0 };
    for (size_t i = 0; i < G_N_ELEMENTS(spots); i++) {
        size_t n = (size_t)MIN((uint64_t)sizeof(buf), vsize - spots[i]);
        qcow2_read(q, spots[i], buf, n);
    }
    uint64_t off = 0, pnum, host;
    for (int i = 0; i < 64 && off < vsize; i++) {
        if (qcow2_block_status(q, off, vsize - off, &pnum, &host) < 0 || !pnum)
            break;
        off += pnum;
    }
    Qcow2SnapshotInfo *list;
    int count;
    qcow2_snapshot_list(q, &list, &count);
    qcow2_snapshot_list_free(list, count);
    memset(buf, 0xa5, sizeof(buf));
    for (size_t i = 0; i < G_N_ELEMENTS(spots); i++) {
        size_t n = (size_t)MIN((uint64_t)sizeof(buf), vsize - spots[i]);
        qcow2_write(q, spots[i], buf, n);
    }
    qcow2_write_zeroes(q, 0, MIN(vsize, 65536), true);
    qcow2_discard(q, vsize / 2, MIN(vsize - vsize / 2, 65536));
    if (qcow2_snapshot_create(q, NULL, "fuzz", 0, &err) == 0) {
        g_clear_pointer(&err, g_free);
        qcow2_snapshot_delete(q, "fuzz", &err);
    }
    g_clear_pointer(&err, g_free);
    Qcow2CheckResult r;
    qcow2_check(q, &r);
    qcow2_close(q);
    g_free(f.data);
    return 0;
}
