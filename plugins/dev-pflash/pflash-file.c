/*
 * pflash-file.c - the bank's image file.
 *
 * The whole image is read into the bank's memory at realize (a smaller
 * file is padded with 0xff, the erased state); every program or erase
 * then writes the bytes it changed back with pwrite, so the file is
 * current as soon as the guest's operation completes.  fdatasync is
 * batched: a second after the first unsynced write, when the device
 * goes away, and at process exit, so that a guest writing many small
 * pieces does not wait for the disk each time.
 *
 * Data is never dropped: a failed write leaves the bytes in memory (the
 * guest keeps reading them), is reported on stderr and, to the guest, as
 * a program or erase error, and the range is written again with the next
 * change and at exit.  A file written past its end grows up to the bank
 * size; the gap is written too (0xff), never left as a hole of zeros.
 *
 * The image is locked (an open file description lock: exclusive, or
 * shared for readonly=on) so that two emulators, or two banks, cannot
 * write the same file.
 */
#define _GNU_SOURCE             /* F_OFD_SETLK */
#include "pflash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYNC_DELAY_NS INT64_C(1000000000)

/* Banks with a writable file, for the sync at exit. */
static GList *writable_banks;
static bool exit_hook_set;

/* What is still only in memory when the bank or the process goes. */
static void report_unsaved(Pflash *s)
{
    if (s->dirty_end > s->dirty_start) {
        fprintf(stderr, "tessera: " PFLASH_TYPE "@%" PRIx64 ": %" PRIu64
                " bytes the guest wrote (from offset %" PRIu64 ") could "
                "not be saved to '%s'\n", s->parent.addr,
                s->dirty_end - s->dirty_start, s->dirty_start, s->file);
    }
}

static void sync_all_at_exit(void)
{
    for (GList *l = writable_banks; l; l = l->next) {
        pflash_file_sync(l->data);
        report_unsaved(l->data);
    }
}

static void sync_timer_fired(void *opaque)
{
    pflash_file_sync(opaque);
}

static bool lock_image(Pflash *s, GError **errp)
{
    struct flock fl = {
        .l_type = s->readonly ? F_RDLCK : F_WRLCK,
        .l_whence = SEEK_SET,
    };
    if (fcntl(s->fd, F_OFD_SETLK, &fl) == 0) {
        return true;
    }
    if (errno == EAGAIN || errno == EACCES) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "'%s' is in use (another process or flash bank holds "
                    "a lock on it)", s->file);
        return false;
    }
    return true;                /* a file system without locks */
}

/* Read the image into s->data; the rest of the bank stays erased. */
static bool load_image(Pflash *s, uint64_t len, GError **errp)
{
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = pread(s->fd, s->data + done, len - done, (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "reading '%s' failed: %s", s->file,
                        g_strerror(errno));
            return false;
        }
        if (n == 0) {
            break;              /* it shrank meanwhile */
        }
        done += (uint64_t)n;
    }
    memset(s->data + done, 0xff, s->size - done);
    s->file_len = done;
    return true;
}

bool pflash_file_open(Pflash *s, GError **errp)
{
    s->fd = -1;
    if (!s->file) {
        s->blank = true;        /* erased; filled on first change */
        return true;
    }
    s->fd = open(s->file, (s->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (s->fd < 0) {
        bool denied = errno == EACCES || errno == EROFS;
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "cannot open '%s'%s: %s", s->file,
                    denied && !s->readonly
                        ? " for writing (readonly=on opens it read-only)" : "",
                    g_strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(s->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is not a regular file", s->file);
        goto fail;
    }
    if ((uint64_t)st.st_size > s->size) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "'%s' is %" PRIu64 " bytes, larger than the flash bank "
                    "(%" PRIu64 " bytes)", s->file, (uint64_t)st.st_size,
                    s->size);
        goto fail;
    }
    if (!lock_image(s, errp) || !load_image(s, (uint64_t)st.st_size, errp)) {
        goto fail;
    }
    if (!s->readonly) {
        s->sync_timer = ts_timer_new(TS_CLOCK_HOST, sync_timer_fired, s);
        writable_banks = g_list_prepend(writable_banks, s);
        if (!exit_hook_set) {
            exit_hook_set = true;
            atexit(sync_all_at_exit);   /* boards are not torn down */
        }
    }
    return true;

fail:
    close(s->fd);
    s->fd = -1;
    return false;
}

static bool write_range(Pflash *s, uint64_t start, uint64_t end)
{
    while (start < end) {
        ssize_t n = pwrite(s->fd, s->data + start, end - start,
                           (off_t)start);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (!s->write_failing) {
                fprintf(stderr, "tessera: " PFLASH_TYPE "@%" PRIx64
                        ": writing %" PRIu64 " bytes at offset %" PRIu64
                        " of '%s' failed: %s; the guest's data stays in "
                        "memory and is written again later\n", s->parent.addr,
                        end - start, start, s->file,
                        n < 0 ? g_strerror(errno) : "no progress");
            }
            s->write_failing = true;
            return false;
        }
        start += (uint64_t)n;
    }
    if (s->write_failing) {
        fprintf(stderr, "tessera: " PFLASH_TYPE "@%" PRIx64 ": '%s' is "
                "written again\n", s->parent.addr, s->file);
        s->write_failing = false;
    }
    return true;
}

bool pflash_file_write(Pflash *s, uint64_t start, uint64_t len)
{
    if (s->fd < 0 || s->readonly) {
        return true;            /* a blank bank lives in memory only */
    }
    uint64_t end = start + len;
    /* No hole between the old end of the file and the change. */
    start = MIN(start, s->file_len);
    if (s->dirty_end > s->dirty_start) {
        start = MIN(start, s->dirty_start);
        end = MAX(end, s->dirty_end);
    }
    if (!write_range(s, start, end)) {
        s->dirty_start = start;
        s->dirty_end = end;
        return false;
    }
    s->dirty_start = s->dirty_end = 0;
    s->file_len = MAX(s->file_len, end);
    s->unsynced = true;
    if (!ts_timer_pending(s->sync_timer)) {
        ts_timer_mod(s->sync_timer,
                     ts_clock_get_ns(TS_CLOCK_HOST) + SYNC_DELAY_NS);
    }
    return true;
}

void pflash_file_sync(Pflash *s)
{
    if (s->fd < 0 || s->readonly) {
        return;
    }
    if (s->dirty_end > s->dirty_start &&
        write_range(s, s->dirty_start, s->dirty_end)) {
        s->file_len = MAX(s->file_len, s->dirty_end);
        s->dirty_start = s->dirty_end = 0;
        s->unsynced = true;
    }
    if (s->unsynced) {
        if (fdatasync(s->fd) != 0) {
            fprintf(stderr, "tessera: " PFLASH_TYPE "@%" PRIx64 ": "
                    "syncing '%s' failed: %s\n", s->parent.addr, s->file,
                    g_strerror(errno));
        } else {
            s->unsynced = false;
        }
    }
    /* The timer is left alone: at exit the loop may be gone, and a
     * timer that fires after this sync finds nothing to do. */
}

void pflash_file_close(Pflash *s)
{
    if (s->fd < 0) {
        return;
    }
    pflash_file_sync(s);
    report_unsaved(s);
    writable_banks = g_list_remove(writable_banks, s);
    ts_timer_free(s->sync_timer);
    s->sync_timer = NULL;
    close(s->fd);
    s->fd = -1;
}
