/*
 * plugins/blk-file/file.h - the "file" protocol driver, what its files
 * share:
 *
 *   file.c       the driver: options, open, length, truncate, create
 *   file-io.c    reads, writes, flush, discard, zeroes and block status,
 *                with bounce buffers for O_DIRECT's alignment
 *   file-lock.c  QEMU's permission locks on bytes 100+ and 200+
 *   file-uring.c aio=io_uring: requests through a ring per worker thread
 */
#ifndef PLUGINS_BLK_FILE_H
#define PLUGINS_BLK_FILE_H

#include <tessera/tessera.h>

#include <sys/types.h>

typedef struct FileNode {
    TsBlockNode parent;
    /* options */
    char *filename;
    int aio;                    /* index into file_aio_values */
    int locking;                /* auto, on, off */
    /* state */
    int fd;
    bool is_device;             /* a host block device */
    uint32_t align;             /* O_DIRECT: offsets, lengths, memory */
    GMutex rmw_lock;            /* O_DIRECT read-modify-write of edges */
    uint64_t perm, shared;      /* what the locks stand for now */
} FileNode;

enum { LOCKING_AUTO, LOCKING_ON, LOCKING_OFF };
/* aio= values, in file_aio_values' order. */
enum { AIO_THREADS, AIO_NATIVE, AIO_IO_URING };

/* file-io.c */
int file_preadv(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                const struct iovec *iov, int niov, unsigned flags);
int file_pwritev(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                 const struct iovec *iov, int niov, unsigned flags);
int file_flush(TsBlockNode *node);
int file_discard(TsBlockNode *node, uint64_t offset, uint64_t bytes);
int file_write_zeroes(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      unsigned flags);
int file_block_status(TsBlockNode *node, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map, TsBlockChild **file);

/* file-uring.c: false + errp when io_uring cannot be used here (no
 * liburing in the build, or the kernel refuses it). */
bool file_uring_available(GError **errp);
/* One readv/writev through the calling thread's ring: bytes or -errno. */
ssize_t file_uring_rw(FileNode *f, bool write, uint64_t offset,
                      const struct iovec *iov, int niov);
int file_uring_fdatasync(FileNode *f);

/* file-lock.c */
bool file_set_perm(TsBlockNode *node, uint64_t perm, uint64_t shared,
                   GError **errp);

#endif
