/*
 * core/util/fdset.c - -add-fd and "/dev/fdset/N".
 */
#define _GNU_SOURCE             /* O_DIRECT */
#include "fdset.h"
#include <tessera/host.h>
#include "cli/opts.h"
#include "parse.h"

#include <tessera/object.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <unistd.h>

#define FDSET_PREFIX "/dev/fdset/"

typedef struct FdSetEntry {
    int fd;                 /* our duplicate */
    char *opaque;           /* the user's note (-add-fd opaque=) */
} FdSetEntry;

typedef struct FdSet {
    uint64_t id;
    GArray *fds;            /* of FdSetEntry, in -add-fd order */
} FdSet;

static GPtrArray *sets;             /* of FdSet * */
static GArray *inherited;           /* of int: originals to close */

static FdSet *find_set(uint64_t id)
{
    for (guint i = 0; sets && i < sets->len; i++) {
        FdSet *s = g_ptr_array_index(sets, i);
        if (s->id == id) {
            return s;
        }
    }
    return NULL;
}

static FdSet *get_set(uint64_t id)
{
    FdSet *s = find_set(id);
    if (!s) {
        if (!sets) {
            sets = g_ptr_array_new();
        }
        s = g_new0(FdSet, 1);
        s->id = id;
        s->fds = g_array_new(false, false, sizeof(FdSetEntry));
        g_ptr_array_add(sets, s);
    }
    return s;
}

/* QEMU's messages, so scripts written against it keep working. */
bool fdset_add_option(const char *arg, GError **errp)
{
    static const char *const keys[] = { "fd", "set", "opaque", NULL };
    g_autoptr(TsOpts) o = opts_parse(arg, NULL, errp);
    uint64_t fd, set;
    if (!o || !opts_check_keys(o, keys, errp) ||
        !opts_get_uint(o, "fd", UINT64_MAX, &fd, errp) ||
        !opts_get_uint(o, "set", UINT64_MAX, &set, errp)) {
        return false;
    }
    if (fd > INT32_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "fd option is required and must be non-negative");
        return false;
    }
    if (fd <= STDERR_FILENO) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "fd cannot be a standard I/O stream");
        return false;
    }
    /* A descriptor inherited across exec has close-on-exec clear; every
     * descriptor the emulator opens itself has it set, so this also
     * refuses "fd=N" naming one of ours (a guessed number). */
    int fdflags = fcntl((int)fd, F_GETFD);
    if (fdflags == -1 || (fdflags & FD_CLOEXEC)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "fd is not valid or already in use");
        return false;
    }
    if (set == UINT64_MAX) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "set option is required and must be non-negative");
        return false;
    }
    int dup_fd = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "error duplicating fd: %s", g_strerror(errno));
        return false;
    }
    FdSetEntry e = { dup_fd, g_strdup(opts_get(o, "opaque")) };
    g_array_append_val(get_set(set)->fds, e);
    if (!inherited) {
        inherited = g_array_new(false, false, sizeof(int));
    }
    int original = (int)fd;
    g_array_append_val(inherited, original);
    return true;
}

void fdset_close_inherited(void)
{
    if (!inherited) {
        return;
    }
    /* The same fd may have been added to several sets: close it once. */
    for (guint i = 0; i < inherited->len; i++) {
        int fd = g_array_index(inherited, int, i);
        bool seen = false;
        for (guint j = 0; j < i; j++) {
            seen = seen || g_array_index(inherited, int, j) == fd;
        }
        if (!seen) {
            close(fd);
        }
    }
    g_array_set_size(inherited, 0);
}

static const char *mode_name(int accmode)
{
    switch (accmode) {
    case O_RDONLY:
        return "reading";
    case O_WRONLY:
        return "writing";
    default:
        return "reading and writing";
    }
}

static int open_from_set(const char *path, int flags, GError **errp)
{
    const char *num = path + strlen(FDSET_PREFIX);
    uint64_t id;
    if (!ts_parse_uint("fdset", num, &id, NULL)) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "Could not open '%s': '%s' is not an fd set number",
                    path, num);
        return -1;
    }
    FdSet *s = find_set(id);
    if (!s || s->fds->len == 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_NOT_FOUND,
                    "Could not open '%s': there is no fd set %s "
                    "(add descriptors to it with -add-fd)", path, num);
        return -1;
    }
    int want = flags & O_ACCMODE;
    for (guint i = 0; i < s->fds->len; i++) {
        int fd = g_array_index(s->fds, FdSetEntry, i).fd;
        int fl = fcntl(fd, F_GETFL);
        if (fl == -1 || (fl & O_ACCMODE) != want) {
            continue;
        }
        int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (dup_fd < 0) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Could not open '%s': %s", path, g_strerror(errno));
            return -1;
        }
        /* What open() would have done to a file it opened: the status
         * flags fcntl may change (O_DIRECT for cache=none too, as QEMU
         * does; they are shared with the descriptor the user passed),
         * and truncation. */
        const int settable = O_APPEND | O_NONBLOCK | O_DIRECT;
        int status = (fl & ~settable) | (flags & settable);
        bool truncate = (flags & O_TRUNC) ||
                        (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
        if (fcntl(dup_fd, F_SETFL, status) == -1 ||
            (truncate && ftruncate(dup_fd, 0) == -1)) {
            g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                        "Could not open '%s': %s", path, g_strerror(errno));
            close(dup_fd);
            return -1;
        }
        return dup_fd;
    }
    g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                "Could not open '%s': fd set %s has no descriptor open for "
                "%s", path, num, mode_name(want));
    return -1;
}

int fdset_open(const char *path, int flags, mode_t mode, GError **errp)
{
    if (g_str_has_prefix(path, FDSET_PREFIX)) {
        return open_from_set(path, flags, errp);
    }
    int fd = open(path, flags | O_CLOEXEC, mode);
    if (fd < 0) {
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not open '%s': %s", path, g_strerror(errno));
    }
    return fd;
}

TS_EXPORT int ts_host_open(const char *path, int flags, mode_t mode,
                           GError **errp)
{
    int fd;
    if (g_str_has_prefix(path, FDSET_PREFIX)) {
        fd = open_from_set(path, flags, errp);
        if (fd < 0) {
            errno = EACCES;     /* no descriptor that fits */
        }
        return fd;
    }
    do {
        fd = open(path, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int err = errno;
        g_set_error(errp, TS_ERROR, TS_ERROR_FAILED,
                    "Could not open '%s': %s", path, g_strerror(err));
        errno = err;
    }
    return fd;
}

void fdset_foreach(FdSetEntryFn fn, void *opaque)
{
    for (guint i = 0; sets && i < sets->len; i++) {
        FdSet *s = g_ptr_array_index(sets, i);
        for (guint j = 0; j < s->fds->len; j++) {
            FdSetEntry *e = &g_array_index(s->fds, FdSetEntry, j);
            fn(s->id, e->fd, e->opaque, opaque);
        }
    }
}

/* QEMU's message, so scripts written against it keep working. */
static bool not_found(bool has_fd, uint64_t set, int64_t fd, GError **errp)
{
    if (has_fd) {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "File descriptor named 'fdset-id:%" PRIu64 ", fd:%" PRId64
                    "' not found", set, fd);
    } else {
        g_set_error(errp, TS_ERROR, TS_ERROR_INVALID,
                    "File descriptor named 'fdset-id:%" PRIu64 "' not found",
                    set);
    }
    return false;
}

bool fdset_remove(uint64_t set, bool has_fd, int64_t fd, GError **errp)
{
    FdSet *s = find_set(set);
    bool removed = false;

    if (!s) {
        return not_found(has_fd, set, fd, errp);
    }
    for (guint j = s->fds->len; j-- > 0;) {
        FdSetEntry *e = &g_array_index(s->fds, FdSetEntry, j);
        if (!has_fd || e->fd == fd) {
            close(e->fd);
            g_free(e->opaque);
            g_array_remove_index(s->fds, j);
            removed = true;
        }
    }
    if (!removed) {
        return not_found(has_fd, set, fd, errp);
    }
    if (s->fds->len == 0) {
        g_array_free(s->fds, true);
        g_ptr_array_remove(sets, s);
        g_free(s);
    }
    return true;
}

void fdset_reset(void)
{
    for (guint i = 0; sets && i < sets->len; i++) {
        FdSet *s = g_ptr_array_index(sets, i);
        for (guint j = 0; j < s->fds->len; j++) {
            FdSetEntry *e = &g_array_index(s->fds, FdSetEntry, j);
            close(e->fd);
            g_free(e->opaque);
        }
        g_array_free(s->fds, true);
        g_free(s);
    }
    g_clear_pointer(&sets, g_ptr_array_unref);
    if (inherited) {
        g_array_set_size(inherited, 0);
    }
}
