/*
 * file-uring.c - aio=io_uring: reads, writes and flushes go through a
 * Linux io_uring (Debian's liburing) instead of preadv/pwritev/fdatasync.
 *
 * Where the completions are reaped follows <tessera/block.h>'s threading
 * contract: the I/O hooks run synchronously on the core's worker threads
 * (several at once), so each worker thread has its own small ring, made
 * the first time it serves a request and taken down when the thread
 * ends.  A request is submitted to the ring of the thread that runs it
 * and reaped there; nothing is shared between threads, so no lock and no
 * routing of completions is needed, and the pool still gives as many
 * requests in flight as it has threads.  (An eventfd on the main loop
 * would only add a hop: the hook must return the result anyway.)
 *
 * Whether the host allows io_uring at all (a kernel without it, or a
 * seccomp filter that says EPERM) is checked at open, so that the user
 * hears it once, as QEMU says it, instead of seeing every request fail.
 */
#include "file.h"

#include <errno.h>

#ifdef HAVE_LIBURING
#include <liburing.h>

#define RING_ENTRIES 8          /* one request at a time per thread */

static void ring_free(gpointer p)
{
    io_uring_queue_exit(p);
    g_free(p);
}

static GPrivate thread_ring = G_PRIVATE_INIT(ring_free);

static struct io_uring *ring_get(int *err)
{
    struct io_uring *r = g_private_get(&thread_ring);
    if (r) {
        return r;
    }
    r = g_new0(struct io_uring, 1);
    *err = io_uring_queue_init(RING_ENTRIES, r, 0);
    if (*err < 0) {
        g_free(r);
        return NULL;
    }
    g_private_set(&thread_ring, r);
    return r;
}

bool file_uring_available(GError **errp)
{
    int err = 0;
    if (!ring_get(&err)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                    "Unable to use io_uring: failed to init linux io_uring "
                    "ring: %s", g_strerror(-err));
        return false;
    }
    return true;
}

/* Submit the prepared entry and wait for its completion: its result. */
static int submit_wait(struct io_uring *r)
{
    int ret;
    do {
        ret = io_uring_submit(r);
    } while (ret == -EINTR || ret == -EAGAIN);
    if (ret < 0) {
        return ret;
    }
    struct io_uring_cqe *cqe = NULL;
    do {
        ret = io_uring_wait_cqe(r, &cqe);
    } while (ret == -EINTR);
    if (ret < 0) {
        return ret;
    }
    ret = cqe->res;
    io_uring_cqe_seen(r, cqe);
    return ret;
}

ssize_t file_uring_rw(FileNode *f, bool write, uint64_t offset,
                      const struct iovec *iov, int niov)
{
    int err = 0;
    struct io_uring *r = ring_get(&err);
    if (!r) {
        return err;
    }
    int ret;
    do {
        struct io_uring_sqe *sqe = io_uring_get_sqe(r);
        if (!sqe) {
            return -EBUSY;      /* cannot happen: one request per ring */
        }
        if (write) {
            io_uring_prep_writev(sqe, f->fd, iov, (unsigned)niov, offset);
        } else {
            io_uring_prep_readv(sqe, f->fd, iov, (unsigned)niov, offset);
        }
        ret = submit_wait(r);
    } while (ret == -EINTR || ret == -EAGAIN);
    return ret;
}

int file_uring_fdatasync(FileNode *f)
{
    int err = 0;
    struct io_uring *r = ring_get(&err);
    if (!r) {
        return err;
    }
    int ret;
    do {
        struct io_uring_sqe *sqe = io_uring_get_sqe(r);
        if (!sqe) {
            return -EBUSY;
        }
        io_uring_prep_fsync(sqe, f->fd, IORING_FSYNC_DATASYNC);
        ret = submit_wait(r);
    } while (ret == -EINTR || ret == -EAGAIN);
    return ret < 0 ? ret : 0;
}

#else /* !HAVE_LIBURING */

bool file_uring_available(GError **errp)
{
    g_set_error(errp, TS_ERROR, TS_ERROR_UNSUPPORTED,
                "aio=io_uring: this build has no io_uring support (it was "
                "built without liburing)");
    return false;
}

ssize_t file_uring_rw(FileNode *f, bool write, uint64_t offset,
                      const struct iovec *iov, int niov)
{
    return -ENOTSUP;
}

int file_uring_fdatasync(FileNode *f)
{
    return -ENOTSUP;
}

#endif
