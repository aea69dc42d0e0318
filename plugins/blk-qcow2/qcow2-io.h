/*
 * The engine's view of the world: the image file, and optionally the
 * backing image, through a few calls on offsets.  The block driver wraps
 * block.h children in these; the unit tests and tools wrap plain files.
 * Every call returns 0 or a negative errno.
 */
#ifndef QCOW2_IO_H
#define QCOW2_IO_H

#include <stddef.h>
#include <stdint.h>

typedef struct Qcow2IO {
    void *opaque;
    /* Bytes past the end of the file read as zeroes. */
    int (*pread)(void *opaque, uint64_t offset, void *buf, size_t len);
    /* Writing past the end grows the file. */
    int (*pwrite)(void *opaque, uint64_t offset, const void *buf, size_t len);
    int (*flush)(void *opaque);
    int (*truncate)(void *opaque, uint64_t size);
    /* Current length in bytes, or a negative errno. */
    int64_t (*length)(void *opaque);
    /* Optional (NULL: never called): the range's contents are no longer
     * needed (host space may be freed; it then reads as zeroes). */
    int (*discard)(void *opaque, uint64_t offset, uint64_t len);
} Qcow2IO;

/* Where unallocated clusters read from; reads past `size` are zeroes. */
typedef struct Qcow2Backing {
    void *opaque;
    int (*pread)(void *opaque, uint64_t offset, void *buf, size_t len);
    uint64_t size;
} Qcow2Backing;

/* A Qcow2IO over a POSIX file descriptor (tools, tests, the fuzzer). */
void qcow2_io_init_fd(Qcow2IO *io, int *fd);

#endif
