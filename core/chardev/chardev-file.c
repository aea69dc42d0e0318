/*
 * chardev-file.c - file and pipe backends.
 *
 * file: output goes to path= (truncated, or appended with append=on);
 *       optional input from in=.
 * pipe: path=P uses the FIFOs P.in (input) and P.out (output) when both
 *       exist, else P for both directions.
 */
#include "chardev-internal.h"
#include "util/fdset.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

typedef struct FileState {
    int in_fd;
    int out_fd;
} FileState;

/* path may name an -add-fd set ("/dev/fdset/N"). */
static int open_or_error(const char *path, int flags, GError **errp)
{
    return fdset_open(path, flags | O_NOCTTY, 0666, errp);
}

static FileState *file_state_new(TsChardev *chr)
{
    FileState *s = g_new(FileState, 1);
    s->in_fd = -1;
    s->out_fd = -1;
    chr->be_state = s;
    return s;
}

static bool file_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    const char *path = chardev_opts_require(opts, "path", errp);
    const char *in = chardev_opts_get(opts, "in");
    bool append;
    if (!path || !chardev_opts_get_bool(opts, "append", false, &append, errp)) {
        return false;
    }
    FileState *s = file_state_new(chr);
    s->out_fd = open_or_error(path, O_WRONLY | O_CREAT |
                              (append ? O_APPEND : O_TRUNC), errp);
    if (s->out_fd < 0) {
        return false;
    }
    if (in) {
        s->in_fd = open_or_error(in, O_RDONLY | O_NONBLOCK, errp);
        if (s->in_fd < 0) {
            return false;
        }
    }
    chr->filename = g_strdup_printf("file:%s", path);
    chardev_io_start(chr, s->in_fd, s->out_fd);
    chr->open = true;
    return true;
}

static bool pipe_open(TsChardev *chr, ChardevOpts *opts, GError **errp)
{
    const char *path = chardev_opts_require(opts, "path", errp);
    if (!path) {
        return false;
    }
    FileState *s = file_state_new(chr);
    g_autofree char *in_path = g_strdup_printf("%s.in", path);
    g_autofree char *out_path = g_strdup_printf("%s.out", path);

    /* O_RDWR on a FIFO neither blocks in open() waiting for the other
     * side nor sees EOF each time a writer goes away. */
    s->in_fd = open(in_path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    s->out_fd = open(out_path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (s->in_fd < 0 || s->out_fd < 0) {
        if (s->in_fd >= 0) {
            close(s->in_fd);
        }
        if (s->out_fd >= 0) {
            close(s->out_fd);
        }
        s->out_fd = -1;
        s->in_fd = open_or_error(path, O_RDWR | O_NONBLOCK, errp);
        if (s->in_fd < 0) {
            return false;
        }
    }
    chr->filename = g_strdup_printf("pipe:%s", path);
    chardev_io_start(chr, s->in_fd, s->out_fd >= 0 ? s->out_fd : s->in_fd);
    chr->open = true;
    return true;
}

static void file_close(TsChardev *chr)
{
    FileState *s = chr->be_state;
    chardev_io_stop(chr);
    if (s) {
        if (s->in_fd >= 0) {
            close(s->in_fd);
        }
        if (s->out_fd >= 0) {
            close(s->out_fd);
        }
        g_free(s);
        chr->be_state = NULL;
    }
}

/* A file has no peer to lose: reaching the end of in= just ends input. */
static void file_input_end(TsChardev *chr)
{
}

const ChardevBackend chardev_file_backend = {
    .name = "file",
    .description = "output to a file (path=, append=on|off, in=)",
    .open = file_open,
    .close = file_close,
    .hangup = file_input_end,
};

const ChardevBackend chardev_pipe_backend = {
    .name = "pipe",
    .description = "named pipes path.in/path.out, or path (path=)",
    .open = pipe_open,
    .close = file_close,
};
