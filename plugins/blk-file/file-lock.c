/*
 * file-lock.c - image locking compatible with QEMU's.
 *
 * QEMU (file-posix) shows what a process does with an image and what it
 * refuses others with shared open-file-description locks on single bytes:
 * byte 100+n while it holds permission n, byte 200+n while it does not
 * share permission n (n: consistent read 0, write 1, write unchanged 2,
 * resize 3).  A process wanting permission n must find nobody on 200+n;
 * one refusing n must find nobody on 100+n.  Taking the same bytes the
 * same way makes Tessera and QEMU exclude each other both ways.  Our own
 * locks are on our own description and never conflict with themselves.
 */
#define _GNU_SOURCE             /* F_OFD_SETLK */
#include "file.h"

#include <errno.h>
#include <fcntl.h>

#define PERM_BASE 100
#define SHARED_BASE 200
#define PERM_BITS 4

static const char *const perm_names[PERM_BITS] = {
    "consistent read", "write", "write unchanged", "resize",
};

static int set_byte(int fd, int off, short type)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
                        .l_start = off, .l_len = 1 };
    return fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : -errno;
}

/* Whether another description holds a lock on the byte. */
static bool held_by_other(int fd, int off)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                        .l_start = off, .l_len = 1 };
    return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

static int apply(int fd, uint64_t perm, uint64_t shared)
{
    for (int n = 0; n < PERM_BITS; n++) {
        uint64_t bit = UINT64_C(1) << n;
        int ret = set_byte(fd, PERM_BASE + n, perm & bit ? F_RDLCK : F_UNLCK);
        if (ret == 0) {
            ret = set_byte(fd, SHARED_BASE + n,
                           shared & bit ? F_UNLCK : F_RDLCK);
        }
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static bool check(FileNode *f, uint64_t perm, uint64_t shared,
                  GError **errp)
{
    for (int n = 0; n < PERM_BITS; n++) {
        uint64_t bit = UINT64_C(1) << n;
        const char *what = NULL;
        if ((perm & bit) && held_by_other(f->fd, SHARED_BASE + n)) {
            what = "";
        } else if (!(shared & bit) && held_by_other(f->fd, PERM_BASE + n)) {
            what = "shared ";
        }
        if (what) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Failed to get %s\"%s\" lock\n"
                        "Is another process using the image [%s]?", what,
                        perm_names[n], f->filename);
            return false;
        }
    }
    return true;
}

bool file_set_perm(TsBlockNode *node, uint64_t perm, uint64_t shared,
                   GError **errp)
{
    FileNode *f = (FileNode *)node;
    if (f->locking == LOCKING_OFF || f->fd < 0) {
        return true;
    }
    /* Take first, then look: two processes starting together cannot
     * both miss each other. */
    int ret = apply(f->fd, perm, shared);
    if (ret == -EINVAL || ret == -ENOTSUP || ret == -ENOLCK) {
        /* A file system without OFD locks: QEMU goes on (locking=auto). */
        if (f->locking == LOCKING_ON) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Failed to lock byte %d: %s", PERM_BASE,
                        g_strerror(-ret));
            return false;
        }
        return true;
    }
    if (ret == 0 && check(f, perm, shared, errp)) {
        f->perm = perm;
        f->shared = shared;
        return true;
    }
    if (ret < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Failed to lock byte %d: %s", PERM_BASE, g_strerror(-ret));
    }
    apply(f->fd, f->perm, f->shared);
    return false;
}
