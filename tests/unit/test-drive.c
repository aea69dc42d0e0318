/*
 * test-drive.c - -drive without a block layer (core/cli/drive.c): what
 * if=pflash accepts, how units are numbered, what boards get from
 * ts_machine_pflash_file(), and the errors for everything else.
 */
#include "cli/drive.h"

#include <glib/gstdio.h>
#include <tessera/machine.h>
#include <tessera/unstable/pflash-drive.h>
#include <tessera/types.h>
#include <unistd.h>

static char *image;             /* a raw file */
static char *qcow2;             /* a file that starts like qcow2 */

static void add_ok(const char *arg)
{
    g_autoptr(GError) err = NULL;
    if (!drive_add_option(arg, &err)) {
        g_error("-drive %s: %s", arg, err->message);
    }
}

static void add_fails(const char *arg, const char *want)
{
    g_autoptr(GError) err = NULL;
    g_assert_false(drive_add_option(arg, &err));
    g_assert_nonnull(err);
    if (!strstr(err->message, want)) {
        g_error("-drive %s: expected '%s' in: %s", arg, want, err->message);
    }
}

static void test_units(void)
{
    drive_reset();
    g_autofree char *a = g_strdup_printf("if=pflash,file=%s,format=raw",
                                         image);
    g_autofree char *b = g_strdup_printf("if=pflash,format=raw,unit=3,"
                                         "readonly=on,file=%s", image);
    g_autofree char *c = g_strdup_printf("file=%s,if=pflash,format=raw,"
                                         "index=1,id=fw", image);
    add_ok(a);                  /* the first free unit: 0 */
    add_ok(b);
    add_ok(c);
    bool ro = true;
    g_assert_cmpstr(ts_machine_pflash_file(0, &ro), ==, image);
    g_assert_false(ro);
    g_assert_cmpstr(ts_machine_pflash_file(1, &ro), ==, image);
    g_assert_false(ro);
    g_assert_null(ts_machine_pflash_file(2, &ro));
    g_assert_false(ro);
    g_autoptr(GError) err = NULL;
    g_assert_false(drive_check_claimed(&err));      /* unit 3 unasked */
    g_assert_nonnull(strstr(err->message, "machine type does not support "
                            "if=pflash,bus=0,unit=3"));
    g_clear_error(&err);
    g_assert_cmpstr(ts_machine_pflash_file(3, NULL), ==, image);
    g_assert_true(ts_machine_pflash_file(3, &ro) && ro);
    g_assert_true(drive_check_claimed(&err));

    /* The next one without unit= takes 2. */
    g_autofree char *d = g_strdup_printf("if=pflash,file=%s,format=raw",
                                         image);
    add_ok(d);
    g_assert_nonnull(ts_machine_pflash_file(2, NULL));
    g_autofree char *dup = g_strdup_printf("if=pflash,unit=1,file=%s,"
                                           "format=raw", image);
    add_fails(dup, "drive with bus=0, unit=1 exists");
    drive_reset();
    g_assert_null(ts_machine_pflash_file(0, NULL));
}

static void test_refused(void)
{
    drive_reset();
    g_autofree char *on_virtio = g_strdup_printf("file=%s", image);
    add_fails(on_virtio, "machine's default interface (no if=) is not "
              "supported yet");
    g_autofree char *virtio = g_strdup_printf("if=virtio,file=%s", image);
    add_fails(virtio, "if=virtio is not supported yet");
    g_autofree char *none = g_strdup_printf("if=none,id=d,file=%s", image);
    add_fails(none, "if=none is not supported yet");
    add_fails("if=bogus,file=x", "unsupported bus type 'bogus'");
    g_autofree char *fmt = g_strdup_printf("if=pflash,file=%s,format=qcow2",
                                           image);
    add_fails(fmt, "format 'qcow2' is not supported yet");
    g_autofree char *sniffed = g_strdup_printf("if=pflash,file=%s", qcow2);
    add_fails(sniffed, "looks like a qcow2 image");
    g_autofree char *cache = g_strdup_printf("if=pflash,file=%s,format=raw,"
                                             "cache=none", image);
    add_fails(cache, "parameter 'cache' is not supported yet");
    g_autofree char *snap = g_strdup_printf("if=pflash,file=%s,format=raw,"
                                            "snapshot=on", image);
    add_fails(snap, "parameter 'snapshot' is not supported yet");
    add_fails("if=pflash,format=raw", "if=pflash needs file=");
    add_fails("if=pflash,file=/nonexistent/flash.img",
              "Could not open '/nonexistent/flash.img'");
    g_autofree char *both = g_strdup_printf("if=pflash,file=%s,format=raw,"
                                            "index=0,unit=0", image);
    add_fails(both, "index cannot be used with bus and unit");
    g_autofree char *bus = g_strdup_printf("if=pflash,file=%s,format=raw,"
                                           "bus=1", image);
    add_fails(bus, "bus=1");
    g_autofree char *far = g_strdup_printf("if=pflash,file=%s,format=raw,"
                                           "unit=64", image);
    add_fails(far, "unit=64 is out of range");
    g_autofree char *ro = g_strdup_printf("if=pflash,file=%s,format=raw,"
                                          "readonly=maybe", image);
    add_fails(ro, "readonly");
    add_fails("if=pflash,,file", "");           /* malformed: no crash */
    g_assert_null(ts_machine_pflash_file(0, NULL));
    g_autoptr(GError) err = NULL;
    g_assert_true(drive_check_claimed(&err));
}

/* QEMU guesses raw (with a warning) when format= is missing; so do we,
 * after checking the file is no other format. */
static void test_no_format(void)
{
    drive_reset();
    g_autofree char *arg = g_strdup_printf("if=pflash,file=%s", image);
    add_ok(arg);
    g_assert_cmpstr(ts_machine_pflash_file(0, NULL), ==, image);
    drive_reset();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    int fd = g_file_open_tmp("drive-XXXXXX.img", &image, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(image, "raw bytes", -1, NULL));
    fd = g_file_open_tmp("drive-XXXXXX.qcow2", &qcow2, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(qcow2, "QFI\xfb\0\0\0\3", 8, NULL));

    g_test_add_func("/drive/units", test_units);
    g_test_add_func("/drive/refused", test_refused);
    g_test_add_func("/drive/no-format", test_no_format);
    int status = g_test_run();
    g_unlink(image);
    g_unlink(qcow2);
    g_free(image);
    g_free(qcow2);
    drive_reset();
    return status;
}
