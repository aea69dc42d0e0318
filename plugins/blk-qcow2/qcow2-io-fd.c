#define _GNU_SOURCE /* fallocate */
/* Qcow2IO over a plain file descriptor: for tests, tools and fuzzing. */
#include "qcow2-io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fd_pread(void *opaque, uint64_t offset, void *buf, size_t len)
{
    int fd = *(int *)opaque;
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0) {
            memset(p, 0, len); /* past the end of the file */
            return 0;
        }
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static int fd_pwrite(void *opaque, uint64_t offset, const void *buf, size_t len)
{
    int fd = *(int *)opaque;
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static int fd_flush(void *opaque)
{
    return fdatasync(*(int *)opaque) < 0 ? -errno : 0;
}

static int fd_truncate(void *opaque, uint64_t size)
{
    return ftruncate(*(int *)opaque, (off_t)size) < 0 ? -errno : 0;
}

static int64_t fd_length(void *opaque)
{
    struct stat st;
    if (fstat(*(int *)opaque, &st) < 0)
        return -errno;
    return st.st_size;
}

static int fd_discard(void *opaque, uint64_t offset, uint64_t len)
{
    int r = fallocate(*(int *)opaque, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t)offset, (off_t)len);
    return r < 0 ? -errno : 0;
}

void qcow2_io_init_fd(Qcow2IO *io, int *fd)
{
    io->opaque = fd;
    io->pread = fd_pread;
    io->pwrite = fd_pwrite;
    io->flush = fd_flush;
    io->truncate = fd_truncate;
    io->length = fd_length;
    io->discard = fd_discard;
}
