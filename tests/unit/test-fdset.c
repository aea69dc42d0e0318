/*
 * -add-fd and "/dev/fdset/N": QEMU's rules for the descriptors (not 0-2,
 * open, inherited), the access-mode match when a path names a set, and a
 * file chardev writing through a set.
 */
#include "util/fdset.h"
#include "chardev/chardev-internal.h"
#include "loop/main-loop.h"

#include <tessera/chardev.h>
#include <tessera/loop.h>

#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmp_dir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

static void check_message(GError *err, const char *what, const char *fragment)
{
    g_assert_nonnull(err);
    if (!strstr(err->message, fragment)) {
        g_error("%s: message '%s' lacks '%s'", what, err->message, fragment);
    }
    g_error_free(err);
}

static void add_ok(const char *fmt, int fd, int set)
{
    g_autofree char *arg = g_strdup_printf(fmt, fd, set);
    GError *err = NULL;
    if (!fdset_add_option(arg, &err)) {
        g_error("-add-fd %s: %s", arg, err->message);
    }
}

static void add_fails(const char *arg, const char *fragment)
{
    GError *err = NULL;
    g_assert_false(fdset_add_option(arg, &err));
    check_message(err, arg, fragment);
}

static void open_fails(const char *path, int flags, const char *fragment)
{
    GError *err = NULL;
    g_assert_cmpint(fdset_open(path, flags, 0644, &err), <, 0);
    check_message(err, path, fragment);
}

static char *slurp(const char *path)
{
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

/* A descriptor as a management tool would pass it: open, inheritable. */
static int inherited_fd(const char *path, int flags)
{
    int fd = open(path, flags, 0644);
    g_assert_cmpint(fd, >, STDERR_FILENO);
    g_assert_false(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    return fd;
}

static void test_refused_descriptors(void)
{
    fdset_reset();
    add_fails("fd=0,set=1", "fd cannot be a standard I/O stream");
    add_fails("fd=2,set=1", "fd cannot be a standard I/O stream");
    add_fails("set=1", "fd option is required and must be non-negative");
    add_fails("fd=-1,set=1", "Parameter 'fd' expects a non-negative");
    /* Not open at all. */
    add_fails("fd=1000,set=1", "fd is not valid or already in use");
    /* Open, but one of the emulator's own (close-on-exec). */
    g_autofree char *path = tmp_path("own");
    int own = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    g_autofree char *arg = g_strdup_printf("fd=%d,set=1", own);
    add_fails(arg, "fd is not valid or already in use");
    close(own);
    int fd = inherited_fd(path, O_WRONLY);
    g_autofree char *noset = g_strdup_printf("fd=%d", fd);
    add_fails(noset, "set option is required and must be non-negative");
    g_autofree char *extra = g_strdup_printf("fd=%d,set=1,mode=rw", fd);
    add_fails(extra, "Invalid parameter 'mode'");
    close(fd);
}

static void test_open_through_set(void)
{
    fdset_reset();
    g_autofree char *path = tmp_path("data");
    g_assert_true(g_file_set_contents(path, "old contents", -1, NULL));
    int wfd = inherited_fd(path, O_WRONLY);
    int rfd = inherited_fd(path, O_RDONLY);
    /* The manual's example: two modes of one file in set 2. */
    add_ok("fd=%d,set=%d,opaque=wronly:/path/to/file", wfd, 2);
    add_ok("fd=%d,set=%d,opaque=rdonly:/path/to/file", rfd, 2);
    /* The originals go once the command line is read; the set keeps
     * its duplicates. */
    fdset_close_inherited();
    g_assert_cmpint(fcntl(wfd, F_GETFD), ==, -1);
    g_assert_cmpint(fcntl(rfd, F_GETFD), ==, -1);

    GError *err = NULL;
    int w = fdset_open("/dev/fdset/2", O_WRONLY | O_TRUNC, 0, &err);
    g_assert_no_error(err);
    g_assert_true(fcntl(w, F_GETFD) & FD_CLOEXEC);
    g_assert_cmpint(write(w, "new", 3), ==, 3);
    close(w);
    g_autofree char *text = slurp(path);
    g_assert_cmpstr(text, ==, "new");           /* O_TRUNC truncated */

    int r = fdset_open("/dev/fdset/2", O_RDONLY | O_NONBLOCK, 0, &err);
    g_assert_no_error(err);
    g_assert_true(fcntl(r, F_GETFL) & O_NONBLOCK);
    close(r);

    open_fails("/dev/fdset/2", O_RDWR, "Could not open '/dev/fdset/2': fd "
               "set 2 has no descriptor open for reading and writing");
    open_fails("/dev/fdset/7", O_RDONLY, "there is no fd set 7 (add "
               "descriptors to it with -add-fd)");
    open_fails("/dev/fdset/x", O_RDONLY, "'x' is not an fd set number");
}

static void test_one_fd_in_two_sets(void)
{
    fdset_reset();
    g_autofree char *path = tmp_path("shared");
    int fd = inherited_fd(path, O_RDWR | O_CREAT);
    add_ok("fd=%d,set=%d", fd, 3);
    add_ok("fd=%d,set=%d", fd, 4);
    fdset_close_inherited();
    GError *err = NULL;
    int a = fdset_open("/dev/fdset/3", O_RDWR, 0, &err);
    int b = fdset_open("/dev/fdset/4", O_RDWR, 0, &err);
    g_assert_no_error(err);
    g_assert_cmpint(a, >=, 0);
    g_assert_cmpint(b, >=, 0);
    close(a);
    close(b);
}

typedef struct Seen {
    GString *text;
    int fds[8];
    unsigned n;
} Seen;

static void note_entry(uint64_t set, int fd, const char *note, void *opaque)
{
    Seen *seen = opaque;
    g_string_append_printf(seen->text, "%" G_GUINT64_FORMAT ":%s;", set,
                           note ? note : "-");
    g_assert_cmpint(fcntl(fd, F_GETFD), !=, -1);    /* still open */
    if (seen->n < G_N_ELEMENTS(seen->fds)) {
        seen->fds[seen->n++] = fd;
    }
}

/* "set:note;" for each descriptor; fds[] gets their numbers if wanted */
static char *list_sets(int *fds)
{
    Seen seen = { g_string_new(NULL), { 0 }, 0 };
    fdset_foreach(note_entry, &seen);
    if (fds) {
        memcpy(fds, seen.fds, sizeof(seen.fds));
    }
    return g_string_free(seen.text, false);
}

/* query-fdsets and remove-fd: what is listed, what goes, QEMU's errors. */
static void test_query_and_remove(void)
{
    fdset_reset();
    g_autofree char *path = tmp_path("remove");
    int a = inherited_fd(path, O_RDWR | O_CREAT), b = inherited_fd(path, O_RDONLY);
    add_ok("fd=%d,set=%d,opaque=first", a, 4);
    add_ok("fd=%d,set=%d", b, 4);
    add_ok("fd=%d,set=%d,opaque=other", a, 9);
    fdset_close_inherited();
    int fds[8];
    g_autofree char *all = list_sets(fds);
    g_assert_cmpstr(all, ==, "4:first;4:-;9:other;");

    GError *err = NULL;
    g_assert_false(fdset_remove(5, false, -1, &err));
    check_message(err, "remove set 5", "File descriptor named 'fdset-id:5' not found");
    err = NULL;
    g_assert_false(fdset_remove(4, true, 1000, &err));
    check_message(err, "remove 4/1000",
                  "File descriptor named 'fdset-id:4, fd:1000' not found");
    err = NULL;

    /* a file opened through the set keeps its own duplicate */
    int ro = fdset_open("/dev/fdset/4", O_RDONLY, 0, &err);
    g_assert_no_error(err);
    /* set 4's second descriptor (the read-only one) goes */
    g_assert_true(fdset_remove(4, true, fds[1], &err));
    g_assert_no_error(err);
    g_free(all);
    all = list_sets(NULL);
    g_assert_cmpstr(all, ==, "4:first;9:other;");
    g_assert_cmpint(fcntl(ro, F_GETFD), !=, -1);
    close(ro);
    /* the whole of set 9: set 4 is all there is */
    g_assert_true(fdset_remove(9, false, -1, &err));
    g_assert_no_error(err);
    g_free(all);
    all = list_sets(NULL);
    g_assert_cmpstr(all, ==, "4:first;");
    fdset_reset();
}

static void test_plain_paths(void)
{
    g_autofree char *path = tmp_path("plain");
    GError *err = NULL;
    int fd = fdset_open(path, O_WRONLY | O_CREAT, 0644, &err);
    g_assert_no_error(err);
    g_assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    g_autofree char *missing = tmp_path("no/such/file");
    open_fails(missing, O_RDONLY, "No such file or directory");
}

/* A file chardev on an fd set: QEMU's way to hand over a log file. */
static void test_chardev_file_on_fdset(void)
{
    fdset_reset();
    g_autofree char *path = tmp_path("serial.log");
    int fd = inherited_fd(path, O_WRONLY | O_CREAT);
    add_ok("fd=%d,set=%d", fd, 9);
    fdset_close_inherited();
    GError *err = NULL;
    TsChardev *chr = chardev_new_from_opts("file,id=log,path=/dev/fdset/9",
                                           &err);
    g_assert_no_error(err);
    g_assert_cmpuint(ts_chardev_write(chr, "booted\n", 7), ==, 7);
    chardev_free(chr);
    g_autofree char *text = slurp(path);
    g_assert_cmpstr(text, ==, "booted\n");

    /* in= wants a read-only descriptor, which set 9 has not. */
    g_assert_null(chardev_new_from_opts("file,id=log2,path=/dev/fdset/9,"
                                        "in=/dev/fdset/9", &err));
    check_message(err, "in=", "fd set 9 has no descriptor open for reading");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ts_loop_init();
    tmp_dir = g_dir_make_tmp("test-fdset-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);
    g_test_add_func("/fdset/refused", test_refused_descriptors);
    g_test_add_func("/fdset/open-through-set", test_open_through_set);
    g_test_add_func("/fdset/one-fd-two-sets", test_one_fd_in_two_sets);
    g_test_add_func("/fdset/plain-paths", test_plain_paths);
    g_test_add_func("/fdset/query-and-remove", test_query_and_remove);
    g_test_add_func("/fdset/chardev-file", test_chardev_file_on_fdset);
    int rc = g_test_run();
    fdset_reset();
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp_dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(tmp_dir);
    return rc;
}
