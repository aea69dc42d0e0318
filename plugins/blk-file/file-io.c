/*
 * file-io.c - I/O on the file, run by the core's worker threads
 * (preadv/pwritev in the calling thread: the pool is the asynchrony;
 * with aio=io_uring the same calls go through file-uring.c's ring).
 *
 * With cache.direct=on the file is opened O_DIRECT, which wants offsets,
 * lengths and buffers aligned to the storage's block; a request that is
 * not goes through an aligned bounce buffer.  A write whose offset and
 * length are aligned (only its memory is not, as with most callers'
 * buffers) is just copied; one that starts or ends inside a block reads
 * those edge blocks first (under a lock, so two such writes sharing a
 * block cannot undo each other).
 */
#define _GNU_SOURCE             /* fallocate, SEEK_DATA, preadv2 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

static bool aligned(FileNode *f, uint64_t offset, uint64_t bytes,
                    const struct iovec *iov, int niov)
{
    if (f->align <= 1) {
        return true;
    }
    if ((offset | bytes) % f->align) {
        return false;
    }
    for (int i = 0; i < niov; i++) {
        if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) % f->align) {
            return false;
        }
    }
    return true;
}

/* The whole vector, retried on short transfers and EINTR.  Reads past
 * the end of a regular file return zeroes. */
static int rw_all(FileNode *f, bool write, uint64_t offset,
                  const struct iovec *iov_in, int niov)
{
    g_autofree struct iovec *iov = g_memdup2(iov_in,
                                             sizeof(*iov) * MAX(niov, 1));
    int first = 0;
    while (first < niov) {
        ssize_t n;
        if (f->aio == AIO_IO_URING) {
            n = file_uring_rw(f, write, offset, iov + first, niov - first);
            if (n < 0) {
                return (int)n;
            }
        } else {
            n = write ? pwritev(f->fd, iov + first, niov - first,
                                (off_t)offset)
                      : preadv(f->fd, iov + first, niov - first,
                               (off_t)offset);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return -errno;
            }
        }
        if (n == 0) {
            if (write) {
                return -EIO;
            }
            for (int i = first; i < niov; i++) {
                memset(iov[i].iov_base, 0, iov[i].iov_len);
            }
            return 0;
        }
        offset += (uint64_t)n;
        while (n > 0 && first < niov) {
            if ((size_t)n >= iov[first].iov_len) {
                n -= (ssize_t)iov[first].iov_len;
                first++;
            } else {
                iov[first].iov_base = (uint8_t *)iov[first].iov_base + n;
                iov[first].iov_len -= (size_t)n;
                n = 0;
            }
        }
    }
    return 0;
}

static void copy_from_iov(uint8_t *dst, const struct iovec *iov, int niov)
{
    for (int i = 0; i < niov; i++) {
        memcpy(dst, iov[i].iov_base, iov[i].iov_len);
        dst += iov[i].iov_len;
    }
}

static void copy_to_iov(const struct iovec *iov, int niov, const uint8_t *src)
{
    for (int i = 0; i < niov; i++) {
        memcpy(iov[i].iov_base, src, iov[i].iov_len);
        src += iov[i].iov_len;
    }
}

/* An aligned buffer covering [offset, offset+bytes), read whole. */
static uint8_t *bounce_read(FileNode *f, uint64_t offset, uint64_t bytes,
                            uint64_t *start, uint64_t *len, int *ret)
{
    *start = offset / f->align * f->align;
    uint64_t end = (offset + bytes + f->align - 1) / f->align * f->align;
    *len = end - *start;
    void *buf = NULL;
    if (posix_memalign(&buf, MAX(f->align, 4096), *len) != 0) {
        *ret = -ENOMEM;
        return NULL;
    }
    struct iovec v = { buf, *len };
    *ret = rw_all(f, false, *start, &v, 1);
    if (*ret < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int file_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                const struct iovec *iov, int niov, unsigned flags)
{
    FileNode *f = (FileNode *)node;
    if (aligned(f, offset, bytes, iov, niov)) {
        return rw_all(f, false, offset, iov, niov);
    }
    uint64_t start, len;
    int ret;
    uint8_t *buf = bounce_read(f, offset, bytes, &start, &len, &ret);
    if (buf) {
        copy_to_iov(iov, niov, buf + (offset - start));
        free(buf);
    }
    return ret;
}

/* Only the memory is misaligned: copy into an aligned buffer and write
 * it, without reading anything or taking the read-modify-write lock. */
static int write_copied(FileNode *f, uint64_t offset, uint64_t bytes,
                        const struct iovec *iov, int niov)
{
    void *buf = NULL;
    if (posix_memalign(&buf, MAX(f->align, 4096), MAX(bytes, 1)) != 0) {
        return -ENOMEM;
    }
    copy_from_iov(buf, iov, niov);
    struct iovec v = { buf, bytes };
    int ret = rw_all(f, true, offset, &v, 1);
    free(buf);
    return ret;
}

/* The edge blocks of an unaligned range into buf (covering [start,
 * start+len)): the first and last block, which the write fills only in
 * part; the blocks between are overwritten whole. */
static int read_edges(FileNode *f, uint8_t *buf, uint64_t start, uint64_t len)
{
    struct iovec v = { buf, f->align };
    int ret = rw_all(f, false, start, &v, 1);
    if (ret == 0 && len > f->align) {
        v.iov_base = buf + len - f->align;
        ret = rw_all(f, false, start + len - f->align, &v, 1);
    }
    return ret;
}

int file_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                 const struct iovec *iov, int niov, unsigned flags)
{
    FileNode *f = (FileNode *)node;
    if (aligned(f, offset, bytes, iov, niov)) {
        return rw_all(f, true, offset, iov, niov);
    }
    if ((offset | bytes) % f->align == 0) {
        return write_copied(f, offset, bytes, iov, niov);
    }
    uint64_t start = offset / f->align * f->align;
    uint64_t len = (offset + bytes + f->align - 1) / f->align * f->align - start;
    void *buf = NULL;
    if (posix_memalign(&buf, MAX(f->align, 4096), len) != 0) {
        return -ENOMEM;
    }
    g_mutex_lock(&f->rmw_lock);
    int ret = read_edges(f, buf, start, len);
    if (ret == 0) {
        copy_from_iov((uint8_t *)buf + (offset - start), iov, niov);
        struct iovec v = { buf, len };
        ret = rw_all(f, true, start, &v, 1);
    }
    g_mutex_unlock(&f->rmw_lock);
    free(buf);
    return ret;
}

int file_flush(TsBlockNode *node)
{
    FileNode *f = (FileNode *)node;
    if (f->aio == AIO_IO_URING) {
        return file_uring_fdatasync(f);
    }
    return fdatasync(f->fd) == 0 ? 0 : -errno;
}

int file_discard(TsBlockNode *node, uint64_t offset, uint64_t bytes)
{
    FileNode *f = (FileNode *)node;
    if (f->is_device) {
        uint64_t range[2] = { offset, bytes };
        return ioctl(f->fd, BLKDISCARD, range) == 0 ? 0 : -errno;
    }
    if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)offset, (off_t)bytes) == 0) {
        return 0;
    }
    /* A discard is advice: a file system without holes just keeps the
     * data. */
    return errno == EOPNOTSUPP ? 0 : -errno;
}

int file_write_zeroes(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      unsigned flags)
{
    FileNode *f = (FileNode *)node;
    if (f->is_device) {
        uint64_t range[2] = { offset, bytes };
        return ioctl(f->fd, BLKZEROOUT, range) == 0 ? 0 : -ENOTSUP;
    }
    if ((flags & TS_BLOCK_REQ_MAY_UNMAP) &&
        fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)offset, (off_t)bytes) == 0) {
        return 0;
    }
    if (fallocate(f->fd, FALLOC_FL_ZERO_RANGE, (off_t)offset,
                  (off_t)bytes) == 0) {
        return 0;
    }
    return errno == ENOSPC ? -ENOSPC : -ENOTSUP;
}

int file_block_status(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map, TsBlockChild **file)
{
    FileNode *f = (FileNode *)node;
    *map = offset;
    *file = NULL;
    if (f->is_device) {
        *pnum = bytes;
        return TS_BLOCK_STATUS_DATA | TS_BLOCK_STATUS_ALLOCATED;
    }
    off_t data = lseek(f->fd, (off_t)offset, SEEK_DATA);
    if (data < 0 && errno == ENXIO) {
        *pnum = bytes;          /* a hole up to the end */
        return TS_BLOCK_STATUS_ZERO | TS_BLOCK_STATUS_ALLOCATED;
    }
    if (data < 0) {
        *pnum = bytes;
        return TS_BLOCK_STATUS_DATA | TS_BLOCK_STATUS_ALLOCATED;
    }
    if ((uint64_t)data > offset) {
        *pnum = MIN(bytes, (uint64_t)data - offset);
        return TS_BLOCK_STATUS_ZERO | TS_BLOCK_STATUS_ALLOCATED;
    }
    off_t hole = lseek(f->fd, (off_t)offset, SEEK_HOLE);
    *pnum = hole < 0 ? bytes : MIN(bytes, (uint64_t)hole - offset);
    if (!*pnum) {
        *pnum = bytes;
    }
    return TS_BLOCK_STATUS_DATA | TS_BLOCK_STATUS_ALLOCATED;
}
