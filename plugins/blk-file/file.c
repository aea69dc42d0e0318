/*
 * blk-file - the "file" protocol driver: a POSIX file or a host block
 * device, as QEMU's file (and host_device) driver with aio=threads: the
 * core's worker threads make the blocking calls, so nothing waits for
 * them but the request.
 *
 * Options as in QEMU: filename, aio (threads, io_uring; native is
 * refused: there is no libaio backend), locking (auto, on, off).  Creation makes an
 * empty file of `size` bytes (for qcow2 and the image tool).
 */
#define _GNU_SOURCE             /* O_DIRECT */
#include "file.h"

#include <tessera/host.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const file_aio_values[] = { "threads", "native",
                                               "io_uring", NULL };
static const char *const locking_values[] = { "auto", "on", "off", NULL };
static const char *const prealloc_values[] = { "off", "falloc", "full",
                                               NULL };

static const TsProperty file_options[] = {
    TS_PROP_STRING("filename", FileNode, filename, NULL,
                   "path of the file or host block device"),
    TS_PROP_ENUM("aio", FileNode, aio, "threads", file_aio_values,
                 "how requests are made: threads, io_uring"),
    TS_PROP_ENUM("locking", FileNode, locking, "auto", locking_values,
                 "take QEMU-compatible image locks"),
    TS_PROP_END,
};

static int64_t host_length(FileNode *f)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0) {
        return -errno;
    }
    if (S_ISBLK(st.st_mode)) {
        uint64_t len;
        return ioctl(f->fd, BLKGETSIZE64, &len) == 0 ? (int64_t)len : -errno;
    }
    return st.st_size;
}

static int open_fd(FileNode *f, bool rdwr, bool direct)
{
    /* Also /dev/fdset/N: a descriptor a management tool passed in. */
    return ts_host_open(f->filename, (rdwr ? O_RDWR : O_RDONLY) |
                        (direct ? O_DIRECT : 0), 0, NULL);
}

static bool file_open(TsBlockNode *node, GError **errp)
{
    FileNode *f = (FileNode *)node;
    unsigned flags = ts_block_node_open_flags(node);
    bool rdwr = flags & TS_BLOCK_OPEN_RDWR;
    bool direct = flags & TS_BLOCK_OPEN_DIRECT;
    f->fd = -1;
    f->perm = 0;
    f->shared = TS_BLOCK_PERM_ALL;
    g_mutex_init(&f->rmw_lock);
    if (!f->filename) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Parameter 'filename' is missing");
        return false;
    }
    if (f->aio == AIO_NATIVE) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "aio=native is not supported (no libaio backend): use "
                    "aio=io_uring or aio=threads");
        return false;
    }
    if (f->aio == AIO_IO_URING && !file_uring_available(errp)) {
        return false;
    }
    f->fd = open_fd(f, rdwr, direct);
    if (f->fd < 0 && rdwr && (errno == EACCES || errno == EROFS || errno ==
                              EPERM) &&
        (flags & TS_BLOCK_OPEN_AUTO_READ_ONLY)) {
        f->fd = open_fd(f, false, direct);
        if (f->fd >= 0) {
            ts_block_node_set_read_only(node);
        }
    }
    if (f->fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not open '%s': %s", f->filename,
                    g_strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(f->fd, &st) != 0 || (!S_ISREG(st.st_mode) &&
                                   !S_ISBLK(st.st_mode) &&
                                   !S_ISCHR(st.st_mode))) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is not a file", f->filename);
        goto fail;
    }
    f->is_device = S_ISBLK(st.st_mode);
    /* A regular file says nothing of its storage's blocks: 512 both,
     * as QEMU gives a guest; a block device tells its own. */
    uint32_t logical = 512, physical = 512;
    if (f->is_device) {
        int ls = 0;
        unsigned int ps = 0;
        if (ioctl(f->fd, BLKSSZGET, &ls) == 0 && ls > 0) {
            logical = (uint32_t)ls;
        }
        if (ioctl(f->fd, BLKPBSZGET, &ps) == 0 && ps > 0) {
            physical = ps;
        }
        ts_block_node_set_block_sizes(node, logical, physical);
    }
    /* O_DIRECT wants the storage's block; 4 KiB covers every disk. */
    f->align = direct ? MAX(logical, 4096) : 1;
    int64_t len = host_length(f);
    if (len < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not get the size of '%s': %s", f->filename,
                    g_strerror((int)-len));
        goto fail;
    }
    ts_block_node_set_length(node, (uint64_t)len);
    ts_block_node_set_filename(node, f->filename);
    return true;

fail:
    close(f->fd);
    f->fd = -1;
    return false;
}

static void file_close(TsBlockNode *node)
{
    FileNode *f = (FileNode *)node;
    if (f->fd >= 0) {
        close(f->fd);   /* releases the locks of this description */
        f->fd = -1;
    }
    g_mutex_clear(&f->rmw_lock);
}

/* A new descriptor in the other mode; the image locks lived on the old
 * one's description, so they are forgotten here and the core applies
 * them again (set_perm) on the new one. */
static bool file_reopen(TsBlockNode *node, bool read_write, GError **errp)
{
    FileNode *f = (FileNode *)node;
    int fd = open_fd(f, read_write,
                     ts_block_node_open_flags(node) & TS_BLOCK_OPEN_DIRECT);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not reopen '%s': %s", f->filename,
                    g_strerror(errno));
        return false;
    }
    close(f->fd);
    f->fd = fd;
    f->perm = 0;
    f->shared = TS_BLOCK_PERM_ALL;
    return true;
}

static bool file_truncate(TsBlockNode *node, uint64_t length, bool exact,
                          TsBlockPrealloc prealloc, GError **errp)
{
    FileNode *f = (FileNode *)node;
    int64_t cur = host_length(f);
    if (f->is_device) {
        if (cur >= 0 && (uint64_t)cur < length) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Cannot grow device files");
            return false;
        }
        if (exact && cur >= 0 && (uint64_t)cur != length) {
            g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                        "Cannot resize device files");
            return false;
        }
        ts_block_node_set_length(node, length);
        return true;
    }
    if (ftruncate(f->fd, (off_t)length) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Failed to resize the file: %s", g_strerror(errno));
        return false;
    }
    if (cur >= 0 && length > (uint64_t)cur &&
        prealloc >= TS_BLOCK_PREALLOC_FALLOC &&
        fallocate(f->fd, 0, cur, (off_t)(length - (uint64_t)cur)) != 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not preallocate new data: %s", g_strerror(errno));
        return false;
    }
    ts_block_node_set_length(node, length);
    return true;
}

typedef struct FileCreateOpts {
    uint64_t size;
    int preallocation;
} FileCreateOpts;

static const TsProperty file_create_options[] = {
    TS_PROP_SIZE("size", FileCreateOpts, size, 0, "virtual disk size"),
    TS_PROP_ENUM("preallocation", FileCreateOpts, preallocation, "off",
                 prealloc_values, "preallocation mode: off, falloc, full"),
    TS_PROP_END,
};

static bool file_create(const char *filename, const void *opts_,
                        GError **errp)
{
    const FileCreateOpts *o = opts_;
    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not create '%s': %s", filename, g_strerror(errno));
        return false;
    }
    bool ok = ftruncate(fd, (off_t)o->size) == 0 &&
              (o->preallocation == 0 || o->size == 0 ||
               fallocate(fd, 0, 0, (off_t)o->size) == 0);
    if (!ok) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not resize file: %s", g_strerror(errno));
    }
    close(fd);
    return ok;
}

static int64_t file_get_length(TsBlockNode *node)
{
    return host_length((FileNode *)node);
}

static const TsBlockDriver file_driver = {
    .name = "file",
    .description = "POSIX file or host block device",
    .kind = TS_BLOCK_PROTOCOL,
    .instance_size = sizeof(FileNode),
    .options = file_options,
    .open = file_open,
    .close = file_close,
    .preadv = file_preadv,
    .pwritev = file_pwritev,
    .flush = file_flush,
    .discard = file_discard,
    .write_zeroes = file_write_zeroes,
    .block_status = file_block_status,
    .get_length = file_get_length,
    .truncate = file_truncate,
    .set_perm = file_set_perm,
    .reopen = file_reopen,
    .create = file_create,
    .create_opts_size = sizeof(FileCreateOpts),
    .create_options = file_create_options,
    .has_zero_init = true,
};

static bool file_plugin_init(GError **errp)
{
    return ts_block_driver_register(&file_driver, errp);
}

TS_PLUGIN("blk-file", "Block driver: POSIX files and host block devices",
          file_plugin_init);
